#!/usr/bin/python3
"""Print one 'tests: N passed, N failed, N skipped' line from one or more of
meson's testlog.json files (default build/meson-logs/testlog.json).
Counts TAP subtests (GLib g_test 'ok N /path' lines) where a test printed them,
else the meson test itself. A crashed/timed-out test always counts as >= 1 failure;
a missing log counts as one failure (the suite did not run).
With --failures, first prints the tail of each failed test's output to stderr,
so that a CI log cut to its last lines still shows why."""
import json, os, re, sys

args = sys.argv[1:]
show_failures = "--failures" in args
args = [a for a in args if a != "--failures"]

def print_failure(t):
    out = ((t.get("stdout") or "") + (t.get("stderr") or "")).splitlines()
    print(f"==== {t['name']}: {t['result']} (exit {t.get('returncode')}), last lines:", file=sys.stderr)
    for l in out[-60:]:
        print("  " + l[:300], file=sys.stderr)

passed = failed = skipped = 0
for path in args or ["build/meson-logs/testlog.json"]:
    if not os.path.exists(path):
        failed += 1
        continue
    for line in open(path):
        t = json.loads(line)
        subs = [l for l in (t.get("stdout") or "").splitlines() if re.match(r"(not )?ok\b", l)]
        bad = t["result"] not in ("OK", "SKIP", "EXPECTEDFAIL")
        f = 0
        for l in subs:
            if re.search(r"#\s*SKIP", l, re.I): skipped += 1
            elif l.startswith("not ok") and not re.search(r"#\s*TODO", l, re.I): f += 1
            else: passed += 1
        if not subs and not bad:
            if t["result"] == "SKIP": skipped += 1
            else: passed += 1
        failed += max(f, 1) if bad else f
        if show_failures and (bad or f):
            print_failure(t)
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
