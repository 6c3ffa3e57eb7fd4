#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""shootdown-sim --stats prints the library's counters of every design, and
they agree with the simulator's own figures.

  check_stats.py SIM

Runs every design for one second with --json --stats and checks: one JSON
object and one counter block per design, each block naming the same
counters once, under the 1.0 names (flush_list.*, entry_flushes.*,
tlb_lock.ignored; none of the 0.2 names invgla.* and full_flushes.*);
tlbflush counts requests and entries, the baselines no request (their
request side is their own); and for every design the counters of the VP
side equal what the simulator saw on its own: entry_flushes.<scope> the
flushes the mock carried out at entry by scope, flush_list.<form> and
entries the figures of its JSON object. The simulator itself fails a run
whose counted entries and cancelled entries differ from the mock's.
Closing line 'N passed, N failed'.
"""
import json
import re
import subprocess
import sys

DESIGNS = ["kvm-fifo", "mutex-seqlock", "rwlock", "tlbflush"]


def main():
    sim = sys.argv[1]
    out = subprocess.run([sim, "--design", "all", "--seconds", "1", "--json", "--stats"],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        print(out.stdout[-3000:], out.stderr[-3000:])
        print("0 passed, 1 failed")
        return 1
    blocks, js, cur = {}, {}, None
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            js[d["design"]] = d
            continue
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
    checks = []
    checks.append(("four designs", sorted(blocks) == DESIGNS and sorted(js) == DESIGNS))
    names = set(blocks.get("tlbflush", {}))
    checks.append(("same counters in every block",
                   all(set(b) == names for b in blocks.values()) and len(names) > 40))
    new = {"flush_list.single", "flush_list.multi", "flush_list.skipped",
           "flush_list.unsupported", "entry_flushes.non_global", "entry_flushes.linear",
           "entry_flushes.gpa", "tlb_lock.ignored", "requests.vmm.gpa"}
    checks.append(("1.0 counter names", new <= names))
    checks.append(("no 0.2 counter names",
                   not any(n.startswith(("invgla.", "full_flushes.")) or n == "wake.refused"
                           for n in names)))
    t = blocks.get("tlbflush", {})
    req = sum(v for k, v in t.items() if k.startswith("requests."))
    checks.append(("tlbflush counted requests", req > 0))
    checks.append(("tlbflush counted entries", t.get("entries", 0) > 0))
    checks.append(("tlbflush counted the VMM's guest-physical requests",
                   t.get("requests.vmm.gpa", -1) == js.get("tlbflush", {}).get("gpa_calls")))
    checks.append(("baselines count no request", all(
        sum(v for k, v in b.items() if k.startswith("requests.")) == 0
        for d, b in blocks.items() if d != "tlbflush")))
    for d in DESIGNS:
        b, j = blocks.get(d, {}), js.get(d, {})
        ef, vf = j.get("entry_flushes", {}), j.get("vp_flushes", {})
        checks.append((f"{d}: entry_flushes.* = the mock's flushes at entry",
                       [b.get("entry_flushes." + s) for s in ("gpa", "linear", "non_global")]
                       == [ef.get(s) for s in ("gpa", "linear", "non_global")]
                       and sum(ef.values()) > 0))
        checks.append((f"{d}: flush_list.* = the simulator's list flushes",
                       [b.get("flush_list." + s) for s in ("single", "multi", "skipped")]
                       == [vf.get("list_" + s) for s in ("single", "multi", "skipped")]
                       and b.get("flush_list.single", 0) > 0))
        checks.append((f"{d}: entries = the mock's entries",
                       b.get("entries") == j.get("guest_entries") and
                       b.get("entries_cancelled") == j.get("entries_cancelled")))
    failed = 0
    for what, ok in checks:
        print(("ok   " if ok else "FAIL ") + what)
        failed += not ok
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
