#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check the SPIN model of the shootdown protocol (tlbflush.pml).

For the real model and for each broken variant: generate the verifier
(spin -a), compile it (pan.c, safety only, lossless state compression,
a memory limit), run it, and parse its report. The real model must be
searched completely with no error; each broken variant must give a
counterexample of the expected kind. One line per variant, then a closing
line 'N passed, N failed'. Exit status 1 if anything did not go as
expected. Everything runs in a temporary directory that is removed.

  run_model.py                     the CI set (real, real-vp1, every break)
  run_model.py --only real,T1      some of them
  run_model.py --deep              also the larger configuration
  run_model.py --list              the variants and what they show
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "tlbflush.pml")

# name -> (spin defines, expected outcome, what it shows). Expected outcome:
# None (complete search, no error) or the kind of error pan must report.
ASSERT = "assertion violated"
DEADLOCK = "invalid end state"
VARIANTS = {
    "real": ([], None,
             "the protocol, VP0 enters twice, VP1 once"),
    "real-vp1": (["-DMAXENT0=1", "-DMAXENT1=2"], None,
                 "the protocol, VP0 enters once, VP1 twice"),
    "real-deep": (["-DMAXENT0=2", "-DMAXENT1=2"], None,
                  "the protocol, both VPs enter twice (--deep only)"),
    "T1": (["-DBREAK_T1"], ASSERT,
           "no V2/I1 fences: store buffering hides the request and the VP"),
    "T2": (["-DBREAK_T2"], ASSERT,
           "poll stops at the first pending ticket"),
    "T3": (["-DBREAK_T3"], ASSERT,
           "no slot ownership: plain val/seq stores"),
    "T4": (["-DBREAK_T4"], ASSERT,
           "no seq re-check after reading val"),
    "T5": (["-DBREAK_T5"], DEADLOCK,
           "a producer waits for a slot an older, stalled producer owns"),
    "T5R": (["-DBREAK_T5R"], DEADLOCK,
            "a reader waits for a pending ticket"),
    "T10": (["-DBREAK_T10"], ASSERT,
            "an initiator skips (does not wait for) a VP already EXITING"),
}
DEFAULT = ["real", "real-vp1", "T1", "T2", "T3", "T4", "T5", "T5R", "T10"]


def run(cmd, cwd, timeout):
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)


def check(name, args, top):
    """Run one variant; return (ok, line)."""
    defines, expect, _ = VARIANTS[name]
    work = os.path.join(top, name)
    os.mkdir(work)
    shutil.copy(MODEL, work)
    t0 = time.monotonic()
    try:
        r = run([args.spin, "-a"] + defines + ["tlbflush.pml"], work, 120)
        if r.returncode != 0 or not os.path.exists(os.path.join(work, "pan.c")):
            return False, f"{name}: spin -a failed:\n{r.stdout}"
        # Safety only (assertions, invalid end states); lossless
        # compression of the stored states; a memory bound. The real
        # model needs the optimiser and a larger hash table.
        memlim = max(args.memlim, 4096) if name == "real-deep" else args.memlim
        cflags = ["-w", "-DSAFETY", "-DCOLLAPSE", f"-DMEMLIM={memlim}"]
        cflags.append("-O2" if expect is None else "-O1")
        r = run(args.cc + cflags + ["-o", "pan", "pan.c"], work, 600)
        if r.returncode != 0:
            return False, f"{name}: compiling pan failed:\n{r.stdout}"
        hashbits = "-w25" if expect is None else "-w20"
        r = run(["./pan", "-m20000", hashbits], work, args.timeout)
        out = r.stdout
    except subprocess.TimeoutExpired:
        return False, f"{name}: timed out"
    wall = time.monotonic() - t0

    def num(pattern, default=None):
        m = re.search(pattern, out)
        return m.group(1) if m else default

    errors = num(r"errors: (\d+)")
    states = num(r"(\d+) states, stored")
    secs = num(r"pan: elapsed time ([0-9.e+]+) seconds", "?")
    if errors is None or states is None:
        return False, f"{name}: cannot parse the verifier's output:\n{out[-2000:]}"
    errors = int(errors)
    kind = num(r"pan:\d+: (assertion violated[^\n]*?|invalid end state)"
               r"(?: \(at depth \d+\))?\n", "")
    incomplete = ("max search depth too small" in out or
                  "reached -DMEMLIM bound" in out or
                  "out of memory" in out)
    stats = f"{int(states)} states, {secs} s search, {wall:.1f} s total"
    if expect is None:
        if errors == 0 and not incomplete and r.returncode == 0:
            return True, f"{name}: 0 errors, {stats}"
        why = "search incomplete" if incomplete else f"{errors} errors ({kind})"
        return False, f"{name}: FAILED: {why}, {stats}\n{out[-3000:]}"
    if errors >= 1 and kind.startswith(expect):
        return True, (f"{name}: counterexample found (expected): "
                      f"{kind.split('  ')[0]}, {stats}")
    if errors >= 1:
        return False, (f"{name}: FAILED: counterexample of the wrong kind: "
                       f"'{kind}', expected '{expect}', {stats}")
    return False, f"{name}: FAILED: no counterexample found, {stats}"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated variants to run")
    ap.add_argument("--deep", action="store_true",
                    help="also run real-deep (30M states, 2.5 GB, 2 min)")
    ap.add_argument("--list", action="store_true", help="list the variants")
    ap.add_argument("--jobs", type=int, default=1,
                    help="variants run at the same time (default 1)")
    ap.add_argument("--spin", default="spin", help="the spin program")
    ap.add_argument("--cc", default="gcc",
                    help="C compiler for pan.c (may include arguments)")
    ap.add_argument("--memlim", type=int, default=2048,
                    help="memory limit of each verifier run, MB "
                         "(at least 4096 for real-deep)")
    ap.add_argument("--timeout", type=int, default=900,
                    help="time limit of each verifier run, s")
    args = ap.parse_args()
    args.cc = args.cc.split()

    if args.list:
        for name, (defines, expect, what) in VARIANTS.items():
            print(f"{name:10} {' '.join(defines) or '-':30} "
                  f"{expect or 'no error'}: {what}")
        return 0
    names = args.only.split(",") if args.only else list(DEFAULT)
    if args.deep and "real-deep" not in names:
        names.append("real-deep")
    for n in names:
        if n not in VARIANTS:
            print(f"unknown variant {n}; --list shows them", file=sys.stderr)
            return 2
    for prog in (args.spin, args.cc[0]):
        if shutil.which(prog) is None:
            print(f"{prog} not found", file=sys.stderr)
            return 1

    top = tempfile.mkdtemp(prefix="tlbf-model-")
    passed = failed = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            futures = [ex.submit(check, n, args, top) for n in names]
            for f in futures:
                ok, line = f.result()
                print(line, flush=True)
                if ok:
                    passed += 1
                else:
                    failed += 1
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
