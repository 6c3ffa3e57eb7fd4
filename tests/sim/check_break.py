#!/usr/bin/env python3
"""Run shootdown-sim with one protocol step disabled; pass only if the
oracle catches it.

    check_break.py SIM STEP SECONDS

The simulator must exit with status 3 (stale translations observed) and
print one JSON object for the tlbflush design with "break" == STEP and
"stale" > 0. Any other outcome fails: status 0 means the oracle missed the
broken step; any other status (a crash, a signal, a failed run) is not
mistaken for a catch.
"""
import json
import subprocess
import sys

EXIT_STALE = 3


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    sim, step, seconds = sys.argv[1:]
    cmd = [sim, "--design", "tlbflush", "--chaos", "--break", step, "--seconds", seconds, "--json"]
    print("running:", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=float(seconds) * 10 + 60)
    # The first stale reports show what the oracle saw.
    sys.stderr.write("\n".join(p.stderr.splitlines()[:40]) + "\n")
    if p.returncode < 0:
        print(f"FAIL: the simulator died with signal {-p.returncode}")
        return 1
    if p.returncode == 0:
        print(f"FAIL: --break {step} ran without a stale translation: the oracle missed it")
        print(p.stdout)
        return 1
    if p.returncode != EXIT_STALE:
        print(f"FAIL: exit status {p.returncode}, expected {EXIT_STALE} (stale translations)")
        print(p.stdout)
        return 1
    lines = p.stdout.strip().splitlines()
    if len(lines) != 1:
        print(f"FAIL: expected one JSON line, got {p.stdout!r}")
        return 1
    j = json.loads(lines[0])
    if j.get("design") != "tlbflush" or j.get("break") != step:
        print(f"FAIL: unexpected run: {lines[0]}")
        return 1
    if not isinstance(j.get("stale"), int) or j["stale"] <= 0:
        print(f"FAIL: exit status {EXIT_STALE} but stale = {j.get('stale')!r}")
        return 1
    print(f"ok: --break {step} caught: {j['stale']} stale translations in "
          f"{j['flush_calls']} flush calls (seed {j['seed']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
