#!/usr/bin/env python3
"""Print one closing line for the whole test matrix.

Reads meson's testlog.json of every build directory given, prints the
tests that did not pass with their build, then 'N passed, N failed'.
Exit status 1 if any test failed, or if a build directory ran no test.
With --show NAME (repeatable), first prints the output of every test whose
name ends with NAME (e.g. the KUnit summary of kernel-kunit).
"""
import json
import os
import sys

passed = failed = skipped = 0
bad = []
empty = []
show, builds = [], []
args = iter(sys.argv[1:])
for a in args:
    if a == "--show":
        show.append(next(args))
    else:
        builds.append(a)
shown = []
for build in builds:
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
            if any(t.get("name", "").endswith(s) for s in show):
                shown.append((build, t))
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
for build, t in shown:
    print(f"--- {os.path.basename(build)}: {t.get('name')} ({t.get('result')})")
    print((t.get("stdout") or "").rstrip())
for b in bad:
    print("FAILED", b)
for e in empty:
    print("NO TESTS RAN in", e)
print(f"tlbflush: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or empty else 0)
