#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Checks flatpak/io.github.espy.Espy.yml: it parses (with flatpak-builder
# --show-manifest when flatpak-builder is installed, else with python3-yaml),
# its app id and command match the data files and the build, its sources are
# pinned release tarballs with sha256 checksums, and every finish-arg has a
# comment saying why. TAP output. ESPY_MANIFEST_PARSER=yaml forces the
# python3-yaml path.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
manifest=${1:-$top/flatpak/io.github.espy.Espy.yml}
python=$(command -v python3 || true)
if [ -z "$python" ]; then
  echo "1..0 # SKIP python3 is not installed"
  exit 0
fi

json=$(mktemp)
trap 'rm -f "$json"' EXIT
if [ "${ESPY_MANIFEST_PARSER:-}" != yaml ] && command -v flatpak-builder >/dev/null 2>&1; then
  parser=flatpak-builder
  if ! flatpak-builder --show-manifest "$manifest" >"$json" 2>&1; then
    echo "1..1"
    echo "not ok 1 - flatpak-builder --show-manifest failed"
    sed 's/^/# /' "$json"
    exit 1
  fi
else
  parser=python3-yaml
  if ! "$python" -c 'import yaml' 2>/dev/null; then
    echo "1..0 # SKIP neither flatpak-builder nor python3-yaml is installed"
    exit 0
  fi
  "$python" -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)' \
    "$manifest" >"$json" || { echo "1..1"; echo "not ok 1 - the manifest is not valid YAML"; exit 1; }
fi

exec "$python" - "$top" "$manifest" "$json" "$parser" <<'PYEOF'
import json, os, re, sys
import xml.etree.ElementTree as ET

top, manifest_path, json_path, parser = sys.argv[1:5]
m = json.load(open(json_path))
results = []

def check(ok, name, detail=''):
    results.append((bool(ok), name, detail))

def read(rel):
    path = os.path.join(top, rel)
    return open(path, encoding='utf-8').read() if os.path.exists(path) else None

check(True, 'the manifest parses (%s)' % parser)

app_id = m.get('id') or m.get('app-id')
check(app_id == 'io.github.espy.Espy', 'app id is io.github.espy.Espy', repr(app_id))

meson = read('meson.build') or ''
mm = re.search(r"app_id\s*=\s*'([^']+)'", meson)
check(mm and mm.group(1) == app_id, 'app id matches app_id in meson.build', mm.group(1) if mm else 'no app_id')

desktop = read('data/%s.desktop.in' % app_id)
check(desktop is not None, 'data/%s.desktop.in exists' % app_id)
if desktop is not None:
    icon = re.search(r'^Icon=(.*)$', desktop, re.M)
    check(icon and icon.group(1).strip() == app_id, 'desktop file Icon= is the app id', icon.group(1) if icon else 'none')
    exe = re.search(r'^Exec=(\S+)', desktop, re.M)
    check(exe and exe.group(1) == m.get('command'), 'desktop file Exec= runs the manifest command',
          '%s vs %s' % (exe.group(1) if exe else None, m.get('command')))

metainfo = read('data/%s.metainfo.xml.in' % app_id)
check(metainfo is not None, 'data/%s.metainfo.xml.in exists' % app_id)
if metainfo is not None:
    root = ET.fromstring(metainfo)
    check(root.findtext('id') == app_id, 'metainfo <id> is the app id', root.findtext('id'))
    launchable = root.find('launchable')
    check(launchable is not None and launchable.text == app_id + '.desktop',
          'metainfo launchable is the desktop file', launchable.text if launchable is not None else 'none')
    binaries = [b.text for b in root.iter('binary')]
    check(m.get('command') in binaries, 'metainfo provides the manifest command', ' '.join(binaries))
    for img in root.iter('image'):
        name = img.text.rsplit('/', 1)[-1]
        check(os.path.exists(os.path.join(top, 'data', 'screenshots', name)),
              'screenshot %s is in data/screenshots' % name)

schema = read('data/%s.gschema.xml' % app_id)
check(schema is not None, 'data/%s.gschema.xml exists' % app_id)
if schema is not None:
    root = ET.fromstring(schema)
    ids = [s.get('id') for s in root.iter('schema')]
    paths = [s.get('path') for s in root.iter('schema')]
    check(app_id in ids, 'the GSettings schema id is the app id', ' '.join(map(str, ids)))
    check('/' + app_id.replace('.', '/') + '/' in paths, 'the GSettings schema path follows the app id', ' '.join(map(str, paths)))

for rel in ('data/icons/hicolor/scalable/apps/%s.svg' % app_id,
            'data/icons/hicolor/symbolic/apps/%s-symbolic.svg' % app_id):
    check(os.path.exists(os.path.join(top, rel)), '%s exists' % rel)

gui = read('src/gui/meson.build') or ''
ge = re.search(r"executable\('([^']+)'", gui)
check(ge and ge.group(1) == m.get('command'), 'command is the GUI executable', ge.group(1) if ge else 'none')

check(m.get('runtime') == 'org.gnome.Platform' and m.get('sdk') == 'org.gnome.Sdk', 'GNOME runtime and SDK')
rv = str(m.get('runtime-version', ''))
check(rv.isdigit() and int(rv) >= 47, 'runtime version is 47 or newer', rv)

# Sources: pinned release tarballs; the app itself from the tree.
for mod in m.get('modules', []):
    for src in mod.get('sources', []):
        if src.get('type') in ('archive', 'file'):
            check(src.get('url', '').startswith('https://') and re.fullmatch(r'[0-9a-f]{64}', src.get('sha256', '')),
                  'module %s: https tarball with a sha256' % mod['name'], src.get('url', ''))
        elif src.get('type') == 'git':
            check(src.get('commit') or src.get('tag'), 'module %s: git source pinned' % mod['name'])
    check(mod['name'] != 'json-glib', 'json-glib is not bundled (the GNOME runtime has it)')
check(m['modules'][-1]['name'] == 'espy', 'espy is the last module')

# Permissions: nothing broad, and each one justified by a comment on the
# line right above it (or on its own line): one reason per permission.
args = m.get('finish-args', [])
broad = [a for a in args if re.match(r'--(filesystem=(host|home|/)|socket=(session-bus|system-bus)|device=all|talk-name=\*)', a)]
check(not broad, 'no broad permission', ' '.join(broad))
for a in args:
    if a.startswith('--talk-name=') or a.startswith('--system-talk-name='):
        check(a in ('--talk-name=org.freedesktop.Flatpak', '--system-talk-name=org.freedesktop.Avahi'),
              'D-Bus name %s is one the issue allows' % a)

lines = open(manifest_path, encoding='utf-8').read().splitlines()
justified, unjustified, in_block = [], [], False
prev_kind = None
for line in lines:
    stripped = line.strip()
    if re.match(r'^finish-args:', line):
        in_block = True
        prev_kind = None
        continue
    if in_block and line and not line[0].isspace() and not line.startswith('#'):
        break
    if not in_block:
        continue
    if stripped.startswith('#'):
        prev_kind = 'comment'
    elif stripped.startswith('- '):
        arg = stripped[2:].split('#')[0].strip().strip('"\'')
        inline = '#' in stripped[2:]
        if prev_kind == 'comment' or inline:
            justified.append(arg)
            prev_kind = 'justified-arg'
        else:
            unjustified.append(arg)
            prev_kind = 'arg'
    elif not stripped:
        prev_kind = None
check(sorted(justified) == sorted(args) and not unjustified,
      'every finish-arg has a justification comment', 'unjustified: ' + ' '.join(unjustified))

print('1..%d' % len(results))
failed = 0
for i, (ok, name, detail) in enumerate(results, 1):
    print('%s %d - %s' % ('ok' if ok else 'not ok', i, name))
    if not ok:
        failed += 1
        if detail:
            print('# ' + detail)
sys.exit(1 if failed else 0)
PYEOF
