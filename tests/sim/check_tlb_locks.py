#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run shootdown-sim with VSM TLB-lock holders (--tlb-locks) and check its
two oracles.

    check_tlb_locks.py SIM run
    check_tlb_locks.py SIM break STEP

run: the tlbflush design for one second with holders. Passes only if the
simulator exits 0 and its JSON line shows flush calls suspended for holders
(suspensions > 0) and no lost wake-up and no early completion.

break: the same with one TLB-lock step of the protocol disabled (--break
STEP), with every VP an initiator and holds of at most 1 us, which makes
the race frequent, for up to 60 s; the run ends early once an oracle
fired (usually within a second or two). Passes only if
the simulator exits with status 3 and reports lost wake-ups or early
completions for that step; status 0 means the oracles missed it, any other
status (a crash, a failed run) is not mistaken for a catch.
"""
import json
import subprocess
import sys

EXIT_CAUGHT = 3


def run(cmd):
    print("running:", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    sys.stderr.write("\n".join(p.stderr.splitlines()[:40]) + "\n")
    if p.returncode < 0:
        print(f"FAIL: the simulator died with signal {-p.returncode}")
        return p, None
    lines = p.stdout.strip().splitlines()
    if len(lines) != 1:
        print(f"FAIL: exit status {p.returncode}, expected one JSON line, got {p.stdout!r}")
        return p, None
    j = json.loads(lines[0])
    if j.get("design") != "tlbflush" or not isinstance(j.get("tlb_locks"), dict):
        print(f"FAIL: unexpected run: {lines[0]}")
        return p, None
    return p, j


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("run", "break") or \
            (sys.argv[2] == "break") != (len(sys.argv) == 4):
        print(__doc__, file=sys.stderr)
        return 2
    sim, mode = sys.argv[1:3]
    if mode == "run":
        p, j = run([sim, "--design", "tlbflush", "--seconds", "1", "--tlb-locks", "0.1",
                    "--json"])
        if j is None:
            return 1
        t = j["tlb_locks"]
        if p.returncode != 0:
            print(f"FAIL: exit status {p.returncode}: {t}, stale {j['stale']}")
            return 1
        if t["suspensions"] <= 0 or t["holds"] <= 0:
            print(f"FAIL: nothing exercised: {t}")
            return 1
        if t["lost"] != 0 or t["early"] != 0:
            print(f"FAIL: {t}")
            return 1
        print(f"ok: {t['holds']} holds, {t['suspensions']} of {t['calls']} flush calls "
              f"suspended (p50 {t['suspension_us']['p50']} us, max "
              f"{t['suspension_us']['max']} us), 0 lost wake-ups, 0 early completions "
              f"(seed {j['seed']})")
        return 0
    step = sys.argv[3]
    p, j = run([sim, "--design", "tlbflush", "--vps", "8", "--initiators", "8",
                "--tlb-locks", "0.5", "--tlb-lock-us", "1", "--seconds", "60",
                "--break", step, "--json"])
    if j is None:
        return 1
    t = j["tlb_locks"]
    if p.returncode == 0:
        print(f"FAIL: --break {step} ran without a lost wake-up or early completion: "
              f"the oracles missed it ({t})")
        return 1
    if p.returncode != EXIT_CAUGHT:
        print(f"FAIL: exit status {p.returncode}, expected {EXIT_CAUGHT}: {t}")
        return 1
    if j.get("break") != step or t["lost"] + t["early"] <= 0:
        print(f"FAIL: exit status {EXIT_CAUGHT} but break {j.get('break')!r}, {t}")
        return 1
    print(f"ok: --break {step} caught: {t['lost']} lost wake-ups, {t['early']} early "
          f"completions after {j['seconds']:.2f} s, {t['suspensions']} suspensions "
          f"(seed {j['seed']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
