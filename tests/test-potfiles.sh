#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# po/POTFILES.in must list every source file with translatable strings, and
# nothing else: a file missing from it keeps its strings out of espy.pot, so
# they stay English in every language. TAP output, one test per check.
#
# Translatable means: _("…"), N_("…"), C_("…", …), NC_(…), Q_(…), ngettext,
# g_dngettext, g_dpgettext2 in C; translatable="yes" in GtkBuilder files;
# any .in file under data/ (merged by i18n.merge_file) and GSettings schemas
# with a summary or description.
set -u

top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
potfiles="$top/po/POTFILES.in"
n=0
failed=0

ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

if [ ! -f "$potfiles" ]; then
  echo "1..1"
  echo "not ok 1 - $potfiles does not exist"
  exit 1
fi

# The listed files, without comments, blank lines or [type: …] prefixes.
listed=$(sed -e 's/#.*//' -e 's/^\[[^]]*\] *//' -e 's/[[:space:]]*$//' -e '/^$/d' "$potfiles" | sort -u)

# 1. Every listed file exists.
missing=""
for f in $listed; do
  [ -f "$top/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then
  ok "every file in POTFILES.in exists"
else
  not_ok "POTFILES.in lists files that do not exist:$missing"
fi

# 2. Every file with translatable strings is listed.
candidates=$(cd "$top" && {
  find src -type f \( -name '*.c' -o -name '*.h' \) -exec grep -lE \
    '(^|[^A-Za-z0-9_])(N|C|NC|Q)?_ ?\((["[:space:]]|$)|(^|[^A-Za-z0-9_])(g_d?n?gettext|ngettext|g_dpgettext2) ?\(' {} + 2>/dev/null
  find src -type f -name '*.ui' -exec grep -l 'translatable="yes"' {} + 2>/dev/null
  find data -type f -name '*.in' 2>/dev/null
  find data -type f -name '*.gschema.xml' -exec grep -lE '<(summary|description)>' {} + 2>/dev/null
} | sort -u)

unlisted=""
for f in $candidates; do
  echo "$listed" | grep -qxF "$f" || unlisted="$unlisted $f"
done
if [ -z "$unlisted" ]; then
  ok "every file with translatable strings is in POTFILES.in"
else
  not_ok "files with translatable strings missing from POTFILES.in:$unlisted"
fi

# 3. Listed files really have something to translate (a stale entry hides
#    nothing, but usually means a file was renamed and its successor is
#    missing).
empty=""
for f in $listed; do
  [ -f "$top/$f" ] || continue
  echo "$candidates" | grep -qxF "$f" || empty="$empty $f"
done
if [ -z "$empty" ]; then
  ok "every file in POTFILES.in has translatable strings"
else
  n=$((n + 1)); echo "not ok $n - POTFILES.in lists files without translatable strings:$empty # TODO mark their messages with _()"
fi

# 4. The checks can fail: a scratch tree with one unlisted file and one
#    missing entry must be caught by the same rules.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/po" "$scratch/src" "$scratch/data"
printf 'src/listed.c\nsrc/gone.c\n' > "$scratch/po/POTFILES.in"
printf 'x = _("Listed");\n' > "$scratch/src/listed.c"
printf 'y = C_("ctx", "Unlisted");\n' > "$scratch/src/unlisted.c"
if [ "${ESPY_POTFILES_SELFTEST:-}" = "" ]; then
  out=$(ESPY_POTFILES_SELFTEST=1 sh "$0" "$scratch" 2>&1)
  if echo "$out" | grep -q 'not ok .*do not exist: src/gone.c' &&
     echo "$out" | grep -q 'not ok .*missing from POTFILES.in: src/unlisted.c'; then
    ok "a missing entry and an unlisted file are both reported"
  else
    not_ok "self-test: the checks did not catch a planted gap"
    echo "$out" | sed 's/^/# /'
  fi
fi

echo "1..$n"
[ $failed -eq 0 ]
