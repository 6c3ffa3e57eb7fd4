#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""shootdown-sim --stats prints the library's counters of every design, and
they agree with the simulator's own figures.

  check_stats.py SIM

Runs every design for one second with --stats and checks: one block per
design, each naming the same counters once; tlbflush counts requests and
entries, the baselines no request (their request side is their own). The
simulator itself fails a run whose counted entries and cancelled entries
differ from the mock's. Closing line 'N passed, N failed'.
"""
import json
import re
import subprocess
import sys


def main():
    sim = sys.argv[1]
    out = subprocess.run([sim, "--design", "all", "--seconds", "1", "--stats"],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        print(out.stdout[-3000:], out.stderr[-3000:])
        print("0 passed, 1 failed")
        return 1
    blocks, cur = {}, None
    for line in out.stdout.splitlines():
        m = re.match(r"counters of (\S+) ", line)
        if m:
            cur = blocks.setdefault(m.group(1), {})
            continue
        m = re.match(r"  (\S+)\s+(\S+)\s+(\d+)$", line)
        if cur is not None and m:
            if m.group(2) in cur:
                print(f"FAIL {m.group(1)}: {m.group(2)} printed twice")
                return 1
            cur[m.group(2)] = int(m.group(3))
    js = subprocess.run([sim, "--design", "tlbflush", "--seconds", "1", "--json"],
                        capture_output=True, text=True, timeout=600)
    checks = []
    checks.append(("four designs", sorted(blocks) == ["kvm-fifo", "mutex-seqlock", "rwlock",
                                                       "tlbflush"]))
    names = set(blocks.get("tlbflush", {}))
    checks.append(("same counters in every block",
                   all(set(b) == names for b in blocks.values()) and len(names) > 40))
    t = blocks.get("tlbflush", {})
    req = sum(v for k, v in t.items() if k.startswith("requests."))
    checks.append(("tlbflush counted requests", req > 0))
    checks.append(("tlbflush counted entries", t.get("entries", 0) > 0))
    checks.append(("baselines count no request", all(
        sum(v for k, v in b.items() if k.startswith("requests.")) == 0
        for d, b in blocks.items() if d != "tlbflush")))
    checks.append(("json run", js.returncode == 0 and json.loads(js.stdout.splitlines()[0])))
    failed = 0
    for what, ok in checks:
        print(("ok   " if ok else "FAIL ") + what)
        failed += not ok
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
