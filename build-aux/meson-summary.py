#!/usr/bin/python3
"""Print one 'tests: N passed, N failed, N skipped' line from one or more of
meson's testlog.json files (default build/meson-logs/testlog.json).
Counts TAP subtests (GLib g_test 'ok N /path' lines) where a test printed them,
else the meson test itself. A crashed/timed-out test always counts as >= 1 failure;
a missing log counts as one failure (the suite did not run)."""
import json, os, re, sys

passed = failed = skipped = 0
for path in sys.argv[1:] or ["build/meson-logs/testlog.json"]:
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
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
