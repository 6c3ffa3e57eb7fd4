#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The ordering-mutation table: every memory order of the library is needed.

For every labelled atomic access and fence of the library (the labels of
docs/DESIGN.md: P1-P6, G1, C1-C8, V1-V4, I1-I4, K2, M1-M4; the mock's
wake, M5-M6; of tlb_lock.h's top comment: H1-H8, W0-W5, S1-S3; of the KVM
backend, kvm_backend.h: R1-R8; I1 is the fence tlbf_wake_plan_begin()
takes, in tlbf__wake_fence()), found by its label in include/tlbflush/*.h,
make a copy of the include tree with that
one order weakened one step, and run the GenMC clients (run_c11.py) on it
until one of them reports a violation. One row per mutant: label, access,
original order, weakened order, the client that caught it (or NOT CAUGHT),
executions GenMC explored in that client, time spent on the mutant.

Finding a label: a `TLBF_STEP("X")` call marks the next atomic call (a
tlbf__load/store/cas/fetch_add/fetch_or/fetch_and/xchg/fence with a TLBF_*
order, or a GCC __atomic_*_n builtin with an __ATOMIC_* order) after it;
for a label without TLBF_STEP, a comment that starts with the
label and a colon (`/* X: ...`, or `/* X, Y: ...` for consecutive calls)
does. The call must follow its marker within one statement. A few labels
name more than one access (MULTI below), and a comment `/* X (its ...):`
names one more access of label X, the call after it (M2's and R2's
acquire loads in the wait, apart from the seq_cst load that their
TLBF_STEP marks). A label that cannot be located,
or located two ways that disagree, is an error: a re-cut of the headers
must not silently drop a row.

Weakening one step: a seq_cst fence becomes acq_rel; an acq_rel fence
release or acquire; a release or acquire fence becomes relaxed (no
fence); a seq_cst load/store/RMW becomes acquire/release/acq_rel; acq_rel
release or acquire; release or acquire relaxed; a CAS weakens its success
order one step (its failure order clamped to what C11 allows), and an
acquire-on-failure CAS also gets a row with only the failure order
relaxed. Relaxed accesses have no row to weaken; they are listed.

A mutant GenMC cannot finish within --timeout counts as not caught. A
mutant that is not caught fails the run unless mutants_allowed.txt lists
it with the reason the weaker order is also correct. One exception, a
limit of the tool: when the litmus test cas_failure.c shows that this
GenMC takes a failed CAS's order from its success order, a mutant that
weakens only a CAS's failure order cannot be told apart from the original
and is reported as "not checkable" (it does not fail the run; docs/C11.md
argues that order by hand).

  mutate.py                      the whole table
  mutate.py --only P4,C6         some labels (the clients are first run on the
                                 unmodified headers, only those their mutants may run:
                                 --only R1,R2,R3,R4,R5,R6,R7,R8 takes seconds)
  mutate.py --locate             only print where each label is
  mutate.py --markdown           the table as markdown (docs/C11.md)
"""
import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_c11  # noqa: E402

LABELS = (["P%d" % i for i in range(1, 7)] + ["G1"] + ["C%d" % i for i in range(1, 9)] +
          ["V%d" % i for i in range(1, 5)] + ["I%d" % i for i in range(1, 5)] + ["K2"] +
          ["M%d" % i for i in range(1, 7)] +
          # tlb_lock.h: the holder, the waiter, the sleep check.
          ["H%d" % i for i in range(1, 9)] + ["W%d" % i for i in range(0, 6)] +
          ["S%d" % i for i in range(1, 4)] +
          # kvm_backend.h: the kick, the entry, the wake, the bind.
          ["R%d" % i for i in range(1, 9)])
# Clients the mutation run leaves out: they explore the most executions
# and catch nothing the others do not (they still run as tests of their own).
SLOW = {"wake-two-lists"}
# Step labels that mark a backend call, not an atomic access (K1: the kick).
CALL_LABELS = {"K1"}
# Labels that name several consecutive atomic calls after their marker.
MULTI = {"M3": 2, "R1": 2, "R3": 2, "V3": 3}

ORDERS = ["RELAXED", "ACQUIRE", "RELEASE", "ACQ_REL", "SEQ_CST"]
CALL_RE = re.compile(r"\btlbf__(load|store|cas|fetch_add|fetch_or|fetch_and|xchg|fence)\s*\(|"
                     r"\b__atomic_(load_n|store_n|exchange_n|fetch_add|fetch_or|fetch_and|"
                     r"thread_fence)\s*\(")
# The GCC builtins' names for the ops above (kvm_backend.h stores a byte of
# KVM's run page, immediate_exit, with __atomic_store_n and __ATOMIC_*).
GNU_OPS = {"load_n": "load", "store_n": "store", "exchange_n": "xchg", "thread_fence": "fence"}
ORDER_RE = re.compile(r"\b(?:TLBF|__ATOMIC)_(RELAXED|ACQUIRE|RELEASE|ACQ_REL|SEQ_CST)\b")
STEP_RE = re.compile(r'\bTLBF_STEP\(\s*"([A-Z][0-9]+)"\s*\)\s*;?')
LABEL_LIST = r"[PGCVIKMHWSR][0-9](?:\s*,\s*[PGCVIKMHWSR][0-9])*"
COMMENT_LABEL_RE = re.compile(r"(?:/\*|^[ \t]*\*)[ \t]*(" + LABEL_LIST + r")[ \t]*:", re.M)
# `/* X (its acquire loads): ...`: one more access of label X.
MORE_LABEL_RE = re.compile(r"(?:/\*|^[ \t]*\*)[ \t]*([PGCVIKMHWSR][0-9])[ \t]*\(its [^)]*\)[ \t]*:",
                           re.M)


class LocateError(Exception):
    pass


class Access:
    """One atomic call of a header: op, order tokens and their positions."""

    def __init__(self, path, text, start, end, op):
        self.path, self.start, self.end, self.op = path, start, end, op
        # (position of the order's name after its TLBF_ or __ATOMIC_, name)
        self.orders = [(m.start(1), m.group(1)) for m in ORDER_RE.finditer(text, start, end)]
        self.line = text.count("\n", 0, start) + 1

    def where(self):
        return f"{os.path.basename(self.path)}:{self.line}"

    def order_str(self):
        return "/".join(o.lower() for _, o in self.orders)


def comment_spans(text):
    spans = []
    for m in re.finditer(r"/\*.*?\*/|//[^\n]*", text, re.S):
        spans.append((m.start(), m.end()))
    return spans


def in_spans(pos, spans):
    return any(a <= pos < b for a, b in spans)


def code_between(text, a, b, spans):
    """Text from a to b without comments and TLBF_STEP(...) statements."""
    out, i = [], a
    for s, e in spans:
        if e <= a or s >= b:
            continue
        out.append(text[i:max(i, s)])
        i = max(i, e)
    out.append(text[i:b])
    return STEP_RE.sub("", "".join(out))


def calls_of(path, text, spans):
    """Every ordered atomic call outside comments, in text order."""
    found = []
    for m in CALL_RE.finditer(text):
        if in_spans(m.start(), spans):
            continue
        depth, i = 0, m.end() - 1
        while i < len(text):
            if text[i] == "(":
                depth += 1
            elif text[i] == ")":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        op = m.group(1) or GNU_OPS.get(m.group(2), m.group(2))
        acc = Access(path, text, m.start(), i + 1, op)
        if acc.orders:
            found.append(acc)
    return found


def take(calls, text, spans, pos, count, what):
    """The count calls following position pos, each close to the previous."""
    out, prev = [], pos
    for k in range(count):
        nxt = next((c for c in calls if c.start >= prev), None)
        limit = 1 if k == 0 else 2
        if nxt is None or code_between(text, prev, nxt.start, spans).count(";") > limit:
            raise LocateError(f"{what}: no atomic call with a TLBF_* order within "
                              f"{limit} statement(s) after it (call {k + 1} of {count})")
        out.append(nxt)
        prev = nxt.end
    return out


def unlabelled(include_dir, found):
    """Non-relaxed atomic calls that carry no label (listed, not mutated)."""
    seen = {(a.path, a.start) for accs in found.values() for a in accs}
    out = []
    for path in sorted(glob.glob(os.path.join(include_dir, "tlbflush", "*.h"))):
        with open(path) as f:
            text = f.read()
        spans = comment_spans(text)
        for acc in calls_of(path, text, spans):
            if (path, acc.start) in seen or all(o == "RELAXED" for _, o in acc.orders):
                continue
            func = re.findall(r"^static inline [^(]*?\b(\w+)\(", text[:acc.start], re.M)
            out.append((acc, func[-1] if func else "?"))
    return out


def locate(include_dir):
    """label -> list of Access, from every header of include_dir/tlbflush."""
    steps, comments, more = {}, {}, {}
    headers = sorted(glob.glob(os.path.join(include_dir, "tlbflush", "*.h")))
    if not headers:
        raise LocateError(f"no headers in {include_dir}/tlbflush")
    for path in headers:
        with open(path) as f:
            text = f.read()
        spans = comment_spans(text)
        calls = calls_of(path, text, spans)
        for m in STEP_RE.finditer(text):
            if in_spans(m.start(), spans):
                continue
            lab = m.group(1)
            if lab in CALL_LABELS:
                continue
            where = f"TLBF_STEP(\"{lab}\") at {os.path.basename(path)}:{text.count(chr(10), 0, m.start()) + 1}"
            steps.setdefault(lab, []).append(
                take(calls, text, spans, m.end(), MULTI.get(lab, 1), where))
        for m in COMMENT_LABEL_RE.finditer(text):
            if not in_spans(m.start(1), spans):
                continue
            labs = [x.strip() for x in m.group(1).split(",")]
            where = f"comment '{m.group(1)}:' at {os.path.basename(path)}:{text.count(chr(10), 0, m.start(1)) + 1}"
            try:
                got = take(calls, text, spans, m.end(), sum(MULTI.get(x, 1) for x in labs), where)
            except LocateError:
                # A comment about a label away from its access (a doc
                # comment, say) is fine when the label is found elsewhere.
                for x in labs:
                    comments.setdefault(x, [])
                continue
            i = 0
            for x in labs:
                n = MULTI.get(x, 1)
                comments.setdefault(x, []).append(got[i:i + n])
                i += n
        for m in MORE_LABEL_RE.finditer(text):
            if not in_spans(m.start(1), spans):
                continue
            where = f"comment '{m.group(0).strip()}' at {os.path.basename(path)}:{text.count(chr(10), 0, m.start(1)) + 1}"
            more.setdefault(m.group(1), []).extend(take(calls, text, spans, m.end(), 1, where))
    result, problems = {}, []
    # A label that a re-cut adds (a TLBF_STEP the table does not know yet)
    # gets its rows too.
    extra = sorted(set(steps) - set(LABELS))
    for lab in LABELS + extra:
        cands = steps.get(lab) or [c for c in comments.get(lab, []) if c]
        if not cands:
            problems.append(f"{lab}: not found (no TLBF_STEP(\"{lab}\") and no '{lab}:' comment "
                            f"followed by its atomic call)")
            continue
        keys = {tuple((a.path, a.start) for a in c) for c in cands}
        if len(keys) > 1:
            desc = "; ".join(", ".join(a.where() for a in c) for c in cands)
            problems.append(f"{lab}: its markers point at different accesses: {desc}")
            continue
        result[lab] = cands[0] + more.pop(lab, [])
    for lab in more:
        problems.append(f"{lab}: a '{lab} (its ...):' comment, but no marker of {lab} itself")
    if problems:
        raise LocateError("cannot locate every label:\n  " + "\n  ".join(problems))
    return result


# One-step weakenings: (op kind, order) -> weaker orders.
STEP_DOWN = {
    "fence": {"SEQ_CST": ["ACQ_REL"], "ACQ_REL": ["RELEASE", "ACQUIRE"],
              "RELEASE": ["RELAXED"], "ACQUIRE": ["RELAXED"]},
    "load": {"SEQ_CST": ["ACQUIRE"], "ACQUIRE": ["RELAXED"]},
    "store": {"SEQ_CST": ["RELEASE"], "RELEASE": ["RELAXED"]},
    "rmw": {"SEQ_CST": ["ACQ_REL"], "ACQ_REL": ["RELEASE", "ACQUIRE"],
            "RELEASE": ["RELAXED"], "ACQUIRE": ["RELAXED"]},
}
# A CAS's failure order may be no stronger than its success order and
# neither release nor acq_rel.
FAIL_CLAMP = {"RELAXED": "RELAXED", "RELEASE": "RELAXED", "ACQUIRE": "ACQUIRE",
              "ACQ_REL": "ACQUIRE", "SEQ_CST": "SEQ_CST"}


def weakenings(acc):
    """List of new order tuples, one per mutant of this access."""
    cur = [o for _, o in acc.orders]
    if acc.op == "cas":
        ok, fail = cur
        out = []
        for w in STEP_DOWN["rmw"].get(ok, []):
            f = fail if ORDERS.index(fail) <= ORDERS.index(FAIL_CLAMP[w]) else FAIL_CLAMP[w]
            out.append([w, f])
        if fail == "ACQUIRE" or fail == "SEQ_CST":
            weaker = "RELAXED" if fail == "ACQUIRE" else "ACQUIRE"
            if [ok, weaker] not in out:
                out.append([ok, weaker])
        return out
    kind = acc.op if acc.op in ("fence", "load", "store") else "rmw"
    return [[w] for w in STEP_DOWN[kind].get(cur[0], [])]


def show(orders, op):
    s = "/".join(o.lower() for o in orders)
    return "relaxed (no fence)" if op == "fence" and orders == ["RELAXED"] else s


class Mutant:
    def __init__(self, label, index, count, acc, new):
        self.label, self.acc, self.new = label, acc, new
        cur = [o for _, o in acc.orders]
        self.failure_only = acc.op == "cas" and new[0] == cur[0]
        self.name = label if count == 1 else f"{label}.{index + 1}"
        self.id = f"{self.name}:{acc.order_str()}->{'/'.join(o.lower() for o in new)}"


def make_tree(include_dir, top, mutant):
    """Copy include_dir to a fresh directory under top with the one change."""
    dest = tempfile.mkdtemp(prefix="mutant-", dir=top)
    shutil.copytree(include_dir, os.path.join(dest, "include"))
    rel = os.path.relpath(mutant.acc.path, include_dir)
    path = os.path.join(dest, "include", rel)
    with open(path) as f:
        text = f.read()
    for (pos, old), new in sorted(zip(mutant.acc.orders, mutant.new), reverse=True):
        assert text[pos:pos + len(old)] == old, (path, pos, old)
        text = text[:pos] + new + text[pos + len(old):]
    with open(path, "w") as f:
        f.write(text)
    return os.path.join(dest, "include")


# Headers whose atomics only some clients execute: a mutant of such a
# header is tried on those clients only, and those clients only on its
# mutants (the tlb-* clients call nothing but tlb_lock.h and the mock's
# wake, and no other client calls either; the kvm-* clients nothing but
# kvm_backend.h, which no other client includes), so that an uncaught
# mutant does not run every client.
OWN_CLIENTS = {"tlb_lock.h": "tlb-", "kvm_backend.h": "kvm-"}
# Labels of other headers that only those clients execute: the mock's wake
# (M5) and the halt's check of it (M6).
OWN_LABELS = {"M5": "tlb-", "M6": "tlb-"}


def preferred(acc, clients, label=None):
    """Clients to try for an access of this header, the likeliest first."""
    base = os.path.basename(acc.path)
    if label in OWN_LABELS:
        return [c for c in clients if c.startswith(OWN_LABELS[label])]
    if base in OWN_CLIENTS:
        return [c for c in clients if c.startswith(OWN_CLIENTS[base])]
    clients = [c for c in clients if not c.startswith(tuple(OWN_CLIENTS.values()))]
    first = {"ring.h": ("ring-", "sb-"), "wake.h": ("sb-", "wake-"),
             "mock_backend.h": ("mock-", "wake-"),
             "tlb_lock.h": ("tlb-",)}.get(base, ("wake-",))
    head = [c for c in clients if c.startswith(first)]
    return head + [c for c in clients if c not in head]


def check_mutant(genmc, include_dir, top, mutant, clients, timeout):
    t0 = time.monotonic()
    tree = make_tree(include_dir, top, mutant)
    notes = []
    try:
        for name in preferred(mutant.acc, clients, mutant.label):
            res = run_c11.run_client(genmc, name, tree, timeout)
            if res.status == "violation":
                return name, res, time.monotonic() - t0, notes
            if res.status != "ok":
                notes.append(f"{name}: {res.short()}")
        return None, None, time.monotonic() - t0, notes
    finally:
        shutil.rmtree(os.path.dirname(tree), ignore_errors=True)


def genmc_ignores_cas_failure_order(genmc):
    """True if GenMC gives a failed CAS its success order (cas_failure.c)."""
    cmd = ([genmc] + run_c11.GENMC_OPTS + ["--", "-O1", "-I" + run_c11.genmc_include(genmc),
                                          os.path.join(HERE, "cas_failure.c")])
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=120)
    if "Assertion violation" in r.stdout:
        return False
    if "No errors were detected" in r.stdout:
        return True
    raise RuntimeError("cas_failure.c: unexpected GenMC output:\n" + r.stdout[-2000:])


def allowed_list():
    out = {}
    path = os.path.join(HERE, "mutants_allowed.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    mid, _, reason = line.partition(" ")
                    out[mid] = reason.strip()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--genmc", help="the genmc binary (default: $GENMC, then PATH)")
    ap.add_argument("--default-genmc", help="genmc to use when neither --genmc nor $GENMC is set")
    ap.add_argument("--include", default=os.path.join(run_c11.ROOT, "include"),
                    help="directory holding tlbflush/ (default: the repository's)")
    ap.add_argument("--only", help="comma-separated labels")
    ap.add_argument("--timeout", type=float, default=120,
                    help="seconds GenMC may take on one client of one mutant")
    ap.add_argument("--jobs", type=int, default=1, help="mutants checked at once (at most 2)")
    ap.add_argument("--locate", action="store_true", help="only print where each label is")
    ap.add_argument("--markdown", action="store_true", help="print the table as markdown")
    ap.add_argument("--trace", action="store_true",
                    help="print GenMC's counterexample for each caught mutant")
    args = ap.parse_args()

    include_dir = os.path.abspath(args.include)
    try:
        found = locate(include_dir)
    except LocateError as e:
        print(f"mutate.py: {e}")
        return 1
    labels = args.only.split(",") if args.only else list(found)
    for lab in labels:
        if lab not in found:
            print(f"mutate.py: unknown label {lab}")
            return 2

    mutants, relaxed = [], []
    for lab in labels:
        accs = found[lab]
        for i, acc in enumerate(accs):
            ws = weakenings(acc)
            name = lab if len(accs) == 1 else f"{lab}.{i + 1}"
            if not ws:
                relaxed.append((name, acc))
            for w in ws:
                mutants.append(Mutant(lab, i, len(accs), acc, w))

    if args.locate:
        for lab in labels:
            for i, acc in enumerate(found[lab]):
                name = lab if len(found[lab]) == 1 else f"{lab}.{i + 1}"
                print(f"{name:5} {acc.where():24} {acc.op:9} {acc.order_str()}")
        for acc, func in unlabelled(include_dir, found):
            print(f"{'-':5} {acc.where():24} {acc.op:9} {acc.order_str():15} unlabelled, in {func}()")
        return 0

    genmc = run_c11.find_genmc(args.genmc, args.default_genmc)
    if not genmc:
        print(run_c11.MISSING)
        return run_c11.SKIP
    known = run_c11.known_failures()
    clients = [c for c in run_c11.CLIENTS
               if c not in known and c not in SLOW and c not in run_c11.SHOULD_FAIL]
    allowed = allowed_list()
    blind = genmc_ignores_cas_failure_order(genmc)

    # The clients must pass on the real headers first, or nothing below
    # means anything: those the chosen mutants may run (every one for the
    # whole table).
    needed = set()
    for m in mutants:
        needed.update(preferred(m.acc, clients, m.label))
    for name in [c for c in clients if c in needed]:
        res = run_c11.run_client(genmc, name, include_dir, args.timeout)
        if res.status != "ok":
            print(f"mutate.py: client {name} does not pass on the unmodified headers: "
                  f"{res.short()}")
            return 1

    rows, failed = [], 0
    t_all = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tlbf-mutants-") as top:
        jobs = max(1, min(2, args.jobs))
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            futs = [None if blind and m.failure_only else
                    pool.submit(check_mutant, genmc, include_dir, top, m, clients, args.timeout)
                    for m in mutants]
            for m, fut in zip(mutants, futs):
                if fut is None:
                    client, res, secs, notes = None, None, 0.0, []
                else:
                    client, res, secs, notes = fut.result()
                orig = show([o for _, o in m.acc.orders], m.acc.op)
                weak = show(m.new, m.acc.op)
                if client:
                    caught = f"{client} ({res.kind})"
                    execs = "?" if res.execs is None else str(res.execs)
                    if m.id in allowed:
                        caught += " [listed in mutants_allowed.txt: remove the entry]"
                        failed += 1
                elif fut is None:
                    caught, execs = ("not checkable: this GenMC gives a failed CAS its success "
                                     "order (cas_failure.c)"), "-"
                elif m.id in allowed:
                    caught, execs = f"not caught, justified: {allowed[m.id]}", "-"
                else:
                    caught, execs = "NOT CAUGHT", "-"
                    failed += 1
                if notes:
                    caught += " (" + "; ".join(notes) + ")"
                row = (m.name, m.acc.where(), m.acc.op, orig, weak, caught, execs, f"{secs:.1f}")
                rows.append(row)
                if args.trace and res is not None:
                    print(res.output)
                if not args.markdown:
                    print(f"{row[0]:5} {row[1]:24} {row[2]:9} {row[3]:15} -> {row[4]:19} "
                          f"{row[5]}  {row[6]} executions  {row[7]} s", flush=True)
    total = time.monotonic() - t_all
    if args.markdown:
        print("| label | access | op | order | weakened to | caught by | executions | time (s) |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in rows:
            print("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
        for name, acc in relaxed:
            print(f"| {name} | {acc.where()} | {acc.op} | {acc.order_str()} | "
                  f"relaxed (nothing to weaken) | | | |")
    else:
        for name, acc in relaxed:
            print(f"{name:5} {acc.where():24} {acc.op:9} {acc.order_str():15}    "
                  f"relaxed (nothing to weaken)")
    for acc, func in unlabelled(include_dir, found):
        if args.markdown:
            print(f"| - | {acc.where()} | {acc.op} | {acc.order_str()} | "
                  f"not mutated: no label ({func}) | | | |")
        else:
            print(f"{'-':5} {acc.where():24} {acc.op:9} {acc.order_str():15}    "
                  f"not mutated: no label, in {func}()")
    print(f"{len(rows) - failed} of {len(rows)} mutants caught or justified, "
          f"{len(relaxed)} relaxed accesses, {total:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
