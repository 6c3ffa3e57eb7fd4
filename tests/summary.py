#!/usr/bin/env python3
"""Print one closing line for the whole test matrix.

Reads meson's testlog.json of every build directory given, prints the
tests that did not pass with their build, then 'N passed, N failed'.
Exit status 1 if any test failed, or if a build directory ran no test.
"""
import json
import os
import sys

passed = failed = skipped = 0
bad = []
empty = []
for build in sys.argv[1:]:
    log = os.path.join(build, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        empty.append(build)
        continue
    n = 0
    with open(log) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            n += 1
            res = t.get("result")
            if res in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif res == "SKIP":
                skipped += 1
            else:
                failed += 1
                bad.append(f"{os.path.basename(build)}: {t.get('name')} {res}")
    if n == 0:
        empty.append(build)
for b in bad:
    print("FAILED", b)
for e in empty:
    print("NO TESTS RAN in", e)
print(f"tlbflush: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or empty else 0)
