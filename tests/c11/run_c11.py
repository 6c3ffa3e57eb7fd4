#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Model-check the GenMC clients of tests/c11 under RC11 (suite c11).

Each client is a small pthread program over the real headers of
include/tlbflush; GenMC explores every execution the C11 memory model
allows and reports a failed assert(), a data race on a non-atomic object
or a deadlock. One line per client (result, executions explored, time),
then a closing line. Exit status 1 if a client did not pass, 77 (meson's
"skipped") when GenMC cannot be found.

GenMC is looked up in this order: --genmc, the GENMC environment
variable, --default-genmc (the build passes what it found when it was
configured), `genmc` on PATH. Its own include directory (pthread.h,
stdatomic.h, assert.h for the interpreter) is the `include` directory next
to its `bin`, or GENMC_INCLUDE.

  run_c11.py                    every client
  run_c11.py --only ring-gen    some of them (comma-separated)
  run_c11.py --list             the clients and what they check
  run_c11.py --where            print the GenMC found (status 1 if none)

A client of SHOULD_FAIL (a transcription of a wrong protocol, or a
step broken with TLBF_BREAK) passes only if GenMC reports a violation.

A client listed in known_failures.txt is expected to fail (a reported
finding in the library, with the reason in that file): its failure is
shown as XFAIL and passes; if it passes, that is an XPASS and fails, so
that the entry is removed once the library is fixed.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SKIP = 77
MISSING = "GenMC not found: set GENMC=/path/to/genmc/bin/genmc (see README)"

# Flags every client is built with (reasons in docs/C11.md): GenMC's own
# options, then the compiler's. -O1 (at -O0 a small struct returned by
# value is a mixed-size access); no memset/memcpy formation and no loop
# exit rewriting (GenMC cannot interpret llvm.memset into a struct field
# or llvm.umax); -disable-ipr, because in-place revisiting turns the
# benign unordered writes to a VP's state word (an exit store against a
# kicker's failed CAS window) into a hard error.
GENMC_OPTS = ["--disable-estimation", "--disable-ipr"]
CFLAGS = ["-O1", "-fno-builtin-memset", "-fno-builtin-memcpy", "-mllvm", "-disable-lftr",
          "-DTLBF_RING_CAPACITY=2", "-DTLBF_VTL_COUNT=1", "-DTLBF_MOCK_TLB_ENTRIES=1"]
# The bound of a wait-only initiator's K2 wait: 0 (one look, then a cancel
# of its own) keeps the wake clients small; wake-abandoned takes one relax
# step more, so that a wait that ends on a second look is explored too.
K2_NOW = "-DTLBF_WAKE_WAIT_SPIN=0"
K2_ONE = "-DTLBF_WAKE_WAIT_SPIN=1"

# name -> (source, extra defines, what it checks). The order is the order
# they run in (and the order the mutation run tries them).
CLIENTS = {
    "sb-list": ("sb.c", ["-DKIND_LIST"],
                "store-buffering pair, list push: VP's entry poll sees it or the initiator kicks/waits"),
    "sb-entire": ("sb.c", ["-DKIND_ENTIRE"],
                  "store-buffering pair, flush-entire"),
    "sb-non-global": ("sb.c", ["-DKIND_NON_GLOBAL"],
                      "store-buffering pair, flush-non-global"),
    "sb-gpa": ("sb.c", ["-DKIND_GPA"],
               "store-buffering pair, the VMM's guest-physical flush (C8)"),
    "mock-kick": ("mock_kick.c", [],
                  "mock kick-with-wait vs entry (M1-M4): no guest access after the kick returns"),
    "kvm-kick": ("kvm.c", ["-DKVM_KICK"],
                 "KVM backend's kick with cancel and wait vs tlbf_kvm_run (R1-R4) and bind "
                 "(R7/R8), its system calls stubbed (kvm_sys.h): no guest access after the "
                 "kick returns, no KVM_RUN after a kick that found the VP outside, the "
                 "thread id read after `bound`"),
    "kvm-kick-run": ("kvm.c", ["-DKVM_KICK", "-DC11_KVM_RUN_LASTS"],
                     "the same with a KVM_RUN that lasts until a signal, against a kick of a "
                     "VP seen in the guest: the kick ends the run it waits for (immediate_exit "
                     "or the signal), no guest access after it returns"),
    "kvm-wake": ("kvm.c", ["-DKVM_WAKE"],
                 "KVM backend's wake vs tlbf_kvm_halt (R5/R6), stubbed signals: a wake "
                 "before or during the halt ends it (no lost wake-up), the woken VP sees "
                 "the waker's work (no early wake)"),
    "ring-gen": ("ring.c", ["-DRING_GEN", "-DTLBF_RING_PUSH_SPIN=1"],
                 "list push + flush-entire + non-global, one poll: freshness, delivery, values"),
    "ring-lap-spin0": ("ring.c", ["-DRING_LAP", "-DTLBF_RING_PUSH_SPIN=0"],
                       "pushes of 1 and 2 ranges lap a 2-slot ring, degrade at once"),
    "ring-lap-spin1": ("ring.c", ["-DRING_LAP", "-DTLBF_RING_PUSH_SPIN=1"],
                       "the same with one re-read before degrading"),
    "ring-lap3": ("ring.c", ["-DRING_LAP3", "-DTLBF_RING_PUSH_SPIN=0"],
                  "three producers of one range on a 2-slot ring"),
    "ring-lap3-spin1": ("ring.c", ["-DRING_LAP3", "-DTLBF_RING_PUSH_SPIN=1"],
                        "the same with one re-read before degrading"),
    "ring-pending": ("ring.c", ["-DRING_PENDING", "-DTLBF_RING_PUSH_SPIN=1"],
                     "two pushes, two polls: a reader behind a pending ticket comes back for it"),
    "wake-two": ("wake.c", ["-DWAKE_TWO", K2_NOW],
                 "two initiators, one VP entry on the mock: one signaller, wait-only, no stale use"),
    "wake-two-lists": ("wake.c", ["-DWAKE_TWO", "-DLISTS_ONLY", K2_NOW],
                       "the same with two list pushes (two tickets in flight)"),
    "wake-abandoned": ("wake.c", ["-DWAKE_TWO", "-DABANDON", K2_ONE],
                       "a kicker that wins the CAS and never sends its cancel: the other "
                       "initiator still completes (bounded K2 wait, then its own cancel) "
                       "and no stale translation is used after it returns"),
    "wake-reenter1": ("wake.c", ["-DWAKE_REENTER", "-DFIRST_PUBLISH_ONLY", K2_NOW],
                      "one initiator, two VP entries, cursor published on the first: REENTERED skip"),
    "wake-reenter": ("wake.c", ["-DWAKE_REENTER", K2_NOW],
                     "one initiator, two VP entries: REENTERED and POLLED skips, no stale use"),
    "tlb-lock-sb": ("tlb_lock.c", ["-DTLB_SB"],
                    "TLB lock H1/H2 vs the flush's W0/W1: the holder reads the new page-table "
                    "entry or the waiter must suspend"),
    "tlb-wait-release": ("tlb_lock.c", ["-DTLB_RELEASE"],
                         "a held TLB lock released while a VP waits for it (W0-W5, S1-S3): "
                         "no early wake (the work under the lock is visible), no lost wake-up"),
    "tlb-sleep": ("tlb_lock.c", ["-DTLB_SLEEP"],
                  "a registered waiter's sleep check (S1-S3) against the release (H6-H8): "
                  "never asleep and not woken"),
    "tlb-nested-12": ("tlb_lock.c", ["-DTLB_NESTED", "-DNESTED_FIRST=1u"],
                      "VTL1 and VTL2 lock VTL0 on one VP, VTL1 releases first: the waiter "
                      "resumes only after the second release"),
    "tlb-nested-21": ("tlb_lock.c", ["-DTLB_NESTED", "-DNESTED_FIRST=2u"],
                      "the same, VTL2 releases first"),
    "tlb-two-holders": ("tlb_lock.c", ["-DTLB_TWO_HOLDERS"],
                        "two VPs hold the lock and release it on their own threads: the "
                        "waiter resumes after both, only the last release wakes it"),
    "tlb-churn": ("tlb_lock.c", ["-DTLB_CHURN"],
                  "two successive flushes of one waiter against unlock, lock, unlock: no "
                  "translation older than a completed flush in use, no lost wake-up"),
    # Should-fail clients (SHOULD_FAIL below): they pass only if GenMC
    # reports the violation.
    "openvmm-sleep": ("tlb_lock.c", ["-DOPENVMM_SLEEP"],
                      "OpenVMM's sleep check transcribed (relaxed store, SeqCst load; relaxed "
                      "decrement, SeqCst load; no fence): the lost wake-up must be found"),
    "tlb-break-lock-no-fence": ("tlb_lock.c", ["-DTLB_SB", "-DBREAK=TLB_LOCK_NO_FENCE"],
                                "tlb-lock-sb without H2: must fail"),
    "tlb-break-unlock-no-fence": ("tlb_lock.c", ["-DTLB_RELEASE", "-DBREAK=TLB_UNLOCK_NO_FENCE"],
                                  "tlb-wait-release without H4: must fail"),
    "tlb-break-wait-no-fence": ("tlb_lock.c", ["-DTLB_RELEASE", "-DBREAK=TLB_WAIT_NO_FENCE"],
                                "tlb-wait-release without W3: must fail"),
    "tlb-break-wait-no-recheck": ("tlb_lock.c", ["-DTLB_RELEASE", "-DBREAK=TLB_WAIT_NO_RECHECK"],
                                  "tlb-wait-release without W4's re-check: must fail"),
    "tlb-break-wake-no-fence": ("tlb_lock.c", ["-DTLB_SLEEP", "-DBREAK=TLB_WAKE_NO_FENCE"],
                                "tlb-sleep without H7: must fail"),
    "tlb-break-sleep-no-fence": ("tlb_lock.c", ["-DTLB_SLEEP", "-DBREAK=TLB_SLEEP_NO_FENCE"],
                                 "tlb-sleep without S2: must fail"),
}

# Should-fail clients: a protocol known to be wrong (a transcription of
# another implementation) or a step of the library broken on purpose
# (TLBF_BREAK). Each passes only if GenMC reports a violation (a tool
# error or a clean run fails it); the mutation run leaves them out.
SHOULD_FAIL = {
    "openvmm-sleep": "the lost wake-up of OpenVMM's sleep check (docs/C11.md)",
    "tlb-break-lock-no-fence": "TLBF_BREAK(TLB_LOCK_NO_FENCE)",
    "tlb-break-unlock-no-fence": "TLBF_BREAK(TLB_UNLOCK_NO_FENCE)",
    "tlb-break-wait-no-fence": "TLBF_BREAK(TLB_WAIT_NO_FENCE)",
    "tlb-break-wait-no-recheck": "TLBF_BREAK(TLB_WAIT_NO_RECHECK)",
    "tlb-break-wake-no-fence": "TLBF_BREAK(TLB_WAKE_NO_FENCE)",
    "tlb-break-sleep-no-fence": "TLBF_BREAK(TLB_SLEEP_NO_FENCE)",
}

# GenMC's verdicts that are a property violation of the client (a catch),
# as opposed to a tool problem (compilation, an instruction it cannot run).
VIOLATIONS = ("Safety violation", "Non-atomic race", "Liveness violation", "Deadlock",
              "deadlock", "Assertion violation")


def find_genmc(explicit=None, default=None):
    """Path of the genmc binary, or None: --genmc, $GENMC, --default-genmc
    (what the build found when it was configured), then PATH."""
    for cand in (explicit, os.environ.get("GENMC"), default):
        if cand:
            cand = os.path.abspath(os.path.expanduser(cand))
            return cand if os.access(cand, os.X_OK) and os.path.isfile(cand) else None
    return shutil.which("genmc")


def genmc_include(genmc):
    inc = os.environ.get("GENMC_INCLUDE")
    if inc:
        return inc
    return os.path.join(os.path.dirname(os.path.dirname(genmc)), "include")


def known_failures():
    """client name -> reason, from known_failures.txt."""
    out = {}
    path = os.path.join(HERE, "known_failures.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    name, _, reason = line.partition(" ")
                    out[name] = reason.strip()
    return out


class Result:
    """Outcome of one GenMC run: status is 'ok', 'violation', 'timeout' or 'tool-error'."""

    def __init__(self, status, kind, execs, secs, output):
        self.status, self.kind, self.execs, self.secs, self.output = status, kind, execs, secs, output

    def short(self):
        if self.status == "ok":
            return "no errors"
        if self.status == "violation":
            return self.kind
        return self.status + (": " + self.kind if self.kind else "")


def run_client(genmc, name, include_dir, timeout):
    """Run GenMC on client @name against the headers under @include_dir."""
    src, defines, _ = CLIENTS[name]
    cmd = ([genmc] + GENMC_OPTS + ["--"] + CFLAGS + defines +
           ["-I" + include_dir, "-I" + HERE, "-I" + genmc_include(genmc), os.path.join(HERE, src)])
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout)
        out = r.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        return Result("timeout", f"over {timeout:g} s", None, time.monotonic() - t0, out)
    secs = time.monotonic() - t0
    m = re.search(r"Number of complete executions explored: (\d+)", out)
    execs = int(m.group(1)) if m else None
    errors = re.findall(r"^Error: (.*)$", out, re.M)
    asserts = re.findall(r"^(Assertion violation: .*)$", out, re.M)
    if "No errors were detected" in out and r.returncode == 0 and not errors:
        return Result("ok", "", execs, secs, out)
    kind = errors[0].rstrip("!") if errors else ""
    if asserts:
        kind = asserts[0]
    if kind and any(v in kind for v in VIOLATIONS):
        return Result("violation", kind, execs, secs, out)
    tail = "\n".join(out.strip().splitlines()[-3:])
    return Result("tool-error", kind or tail, execs, secs, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--genmc", help="the genmc binary (default: $GENMC, then PATH)")
    ap.add_argument("--default-genmc", help="genmc to use when neither --genmc nor $GENMC is set")
    ap.add_argument("--include", default=os.path.join(ROOT, "include"),
                    help="directory holding tlbflush/ (default: the repository's)")
    ap.add_argument("--only", help="comma-separated client names")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per client")
    ap.add_argument("--list", action="store_true", help="list the clients")
    ap.add_argument("--configured-without", action="store_true",
                    help="the build found no GenMC when it was configured: skip either way")
    ap.add_argument("--names", action="store_true", help="print the client names, one a line")
    ap.add_argument("--where", action="store_true", help="print the GenMC found")
    ap.add_argument("--verbose", action="store_true", help="print GenMC's output of failures")
    args = ap.parse_args()

    if args.names:
        print("\n".join(CLIENTS))
        return 0
    if args.list:
        for name, (src, defines, what) in CLIENTS.items():
            print(f"{name:16} {src} {' '.join(defines)}\n{'':16} {what}")
        return 0
    genmc = find_genmc(args.genmc, args.default_genmc)
    if args.where:
        if genmc:
            print(genmc)
            return 0
        print(MISSING)
        return 1
    if not genmc:
        print(MISSING)
        return SKIP
    if args.configured_without:
        print(f"GenMC is at {genmc}, but the build was configured without it: "
              f"run meson setup --reconfigure on the build directory")
        return SKIP

    names = args.only.split(",") if args.only else list(CLIENTS)
    for n in names:
        if n not in CLIENTS:
            print(f"unknown client {n} (see --list)")
            return 2
    known = known_failures()
    failed = 0
    total = time.monotonic()
    for n in names:
        res = run_client(genmc, n, args.include, args.timeout)
        execs = "?" if res.execs is None else res.execs
        stats = f"{execs} executions, {res.secs:.1f} s"
        if n in SHOULD_FAIL:
            if res.status == "violation":
                print(f"{n}: ok, violation found as it must be ({res.short()}), {stats}; "
                      f"{SHOULD_FAIL[n]}")
                continue
            failed += 1
            print(f"{n}: FAILED: a should-fail client ({SHOULD_FAIL[n]}) got "
                  f"{res.short()}, {stats}")
            if res.status != "ok":
                print(res.output[-6000:])
            continue
        if n in known:
            if res.status == "violation":
                print(f"{n}: XFAIL ({res.short()}), {stats}; known: {known[n]}")
                continue
            if res.status == "ok":
                print(f"{n}: XPASS, {stats}: the library no longer fails it; "
                      f"remove it from known_failures.txt")
                failed += 1
                continue
        if res.status == "ok":
            print(f"{n}: ok, {stats}")
            continue
        failed += 1
        print(f"{n}: FAILED: {res.short()}, {stats}")
        if args.verbose or res.status != "violation":
            print(res.output[-6000:])
    print(f"{len(names) - failed} passed, {failed} failed, {time.monotonic() - total:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
