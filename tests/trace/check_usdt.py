#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The USDT probes of tlbflush/trace.h are in a program built with them.

  check_usdt.py readelf PROGRAM      the ELF notes (readelf -n) name every
                                     probe under provider "tlbflush"
  check_usdt.py bpftrace PROGRAM     bpftrace -l lists every probe (it
                                     reads the same notes; no tracing, no
                                     privileges needed)

Closing line 'N passed, N failed'; exit status 1 on a missing probe.
"""
import re
import subprocess
import sys

PROBES = ["entry_poll", "flush_request", "kick", "push", "wake"]


def found_readelf(prog):
    out = subprocess.run(["readelf", "-n", prog], capture_output=True, text=True,
                         check=True).stdout
    names, provider = set(), None
    for line in out.splitlines():
        m = re.match(r"\s*Provider:\s*(\S+)", line)
        if m:
            provider = m.group(1)
            continue
        m = re.match(r"\s*Name:\s*(\S+)", line)
        if m and provider == "tlbflush":
            names.add(m.group(1))
    return names


def found_bpftrace(prog):
    out = subprocess.run(["bpftrace", "-l", f"usdt:{prog}:tlbflush:*"], capture_output=True,
                         text=True, timeout=120)
    if out.returncode != 0:
        print(out.stdout + out.stderr)
    return {line.rsplit(":", 1)[1] for line in out.stdout.split() if ":tlbflush:" in line}


def main():
    how, prog = sys.argv[1], sys.argv[2]
    names = found_readelf(prog) if how == "readelf" else found_bpftrace(prog)
    passed = failed = 0
    for p in PROBES:
        if p in names:
            print(f"ok   {how}: tlbflush:{p}")
            passed += 1
        else:
            print(f"FAIL {how}: tlbflush:{p} not found in {prog}")
            failed += 1
    for p in sorted(names - set(PROBES)):
        print(f"FAIL {how}: tlbflush:{p} is a probe this check does not know")
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
