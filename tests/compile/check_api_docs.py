#!/usr/bin/env python3
"""Every public function of the library has a kernel-doc comment.

    check_api_docs.py [--expect-problems N] HEADER_OR_DIR...

A public function is a 'static inline' function (optionally marked
TLBF_MUST_CHECK) whose name does not start with 'tlbf__'. Its doc comment must sit directly above it, kernel-doc
style:

    /**
     * name - one-line summary
     * @arg: one line per parameter, in any order
     *
     * Description ...
     * Returns: ...            (when the function returns a value)
     */

A public function's name begins with its header's prefix: tlbf_ and the
header's name (tlbf_ring_* in ring.h), or for a backend's header the
backend's name (tlbf_mock_* in mock_backend.h, tlbf_kvm_* in
kvm_backend.h, tlbf_tdx_* in tdx_hw.h, tlbf_tlb_* in tlb_lock.h).

The refusal convention is checked too: a public function that returns
enum tlbf_status must be marked TLBF_MUST_CHECK, and no public function
returns int (a status is an enum with a _name() function, never -1).

Lists every function that breaks a rule and exits 1 if there is any.
With --expect-problems N (the checker's own test, on a fixture header) it
exits 0 only if it finds exactly N problems.
"""
import glob
import os
import re
import sys

DEF = re.compile(r"^(TLBF_MUST_CHECK\s+)?static inline\b")
NAME = re.compile(r"\b([A-Za-z_]\w*)\s*\($")


def signature(lines, i):
    """(return type + name, parameter text) of the definition at line i."""
    text = ""
    j = i
    while "{" not in lines[j] and ";" not in lines[j]:
        text += lines[j] + " "
        j += 1
    text += lines[j].split("{")[0]
    head, _, rest = text.partition("(")
    depth, params = 1, ""
    for ch in rest:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                break
        params += ch
    return head.split(), params


def param_names(params):
    names = []
    for p in params.split(","):
        p = p.strip()
        if not p or p == "void":
            continue
        m = re.search(r"\(\s*\*\s*(\w+)\s*\)", p)  # function pointer parameter
        if m:
            names.append(m.group(1))
            continue
        m = re.search(r"(\w+)\s*(\[[^\]]*\])?$", p)
        if m:
            names.append(m.group(1))
    return names


def doc_above(lines, i):
    """The /** ... */ block ending on line i - 1, or None."""
    j = i - 1
    if j < 0 or lines[j].strip() != "*/":
        return None
    while j >= 0 and not lines[j].lstrip().startswith("/*"):
        j -= 1
    if j < 0 or lines[j].strip() != "/**":
        return None
    return lines[j + 1:i - 1]


PREFIX = {"mock_backend": "mock", "kvm_backend": "kvm", "tdx_hw": "tdx", "tlb_lock": "tlb"}


def check(path):
    problems = []
    count = 0
    stem = os.path.basename(path)[:-2]
    prefix = "tlbf_" + PREFIX.get(stem, stem) + "_"
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        if not DEF.match(line):
            continue
        head, params = signature(lines, i)
        must_check = head[0] == "TLBF_MUST_CHECK"
        head = [h for h in head if h != "TLBF_MUST_CHECK"]
        if head[-1] == "TLBF_ATOMIC":
            # returns a pointer to an atomic word: TLBF_ATOMIC(T) *name(...)
            text = " ".join(lines[i:i + 3])
            m = re.search(r"\)\s*\*\s*(\w+)\s*\(", text)
            head = ["static", "inline", "TLBF_ATOMIC*", m.group(1) if m else "?"]
            params = text.split(m.group(0), 1)[1].split(")")[0] if m else ""
        name = head[-1].lstrip("*")
        if name.startswith("tlbf__"):
            continue
        count += 1
        where = f"{path}:{i + 1}: {name}"
        if not name.startswith(prefix) and not path.endswith("undocumented.h"):
            problems.append(f"{where}: a public function of {stem}.h begins with {prefix}")
        doc = doc_above(lines, i)
        if doc is None:
            problems.append(f"{where}: no /** doc comment directly above")
            continue
        body = [d.strip()[1:].strip() if d.strip().startswith("*") else d.strip() for d in doc]
        if not body or not re.match(re.escape(name) + r" - \S", body[0]):
            problems.append(f"{where}: the comment does not start with '{name} - summary'")
        documented = {m.group(1) for d in body for m in [re.match(r"@(\w+):", d)] if m}
        for p in param_names(params):
            if p not in documented:
                problems.append(f"{where}: parameter {p} is not documented (@{p}:)")
        rtype = " ".join(head[2:-1]) + ("*" if head[-1].startswith("*") else "")
        if rtype == "enum tlbf_status" and not must_check:
            problems.append(f"{where}: returns enum tlbf_status but is not TLBF_MUST_CHECK")
        if rtype in ("int", "long", "ssize_t"):
            problems.append(f"{where}: returns {rtype}: refuse with enum tlbf_status instead")
        returns_value = head[:-1] != ["static", "inline", "void"]
        if returns_value and not any(re.match(r"Returns?:", d) for d in body):
            problems.append(f"{where}: returns a value but has no 'Returns:'")
    return count, problems


def main():
    args = sys.argv[1:]
    expect = None
    if args[:1] == ["--expect-problems"] and len(args) >= 2:
        expect = int(args[1])
        args = args[2:]
    if not args:
        sys.exit(__doc__)
    total = 0
    problems = []
    paths = []
    for a in args:
        paths += sorted(glob.glob(os.path.join(a, "*.h"))) if os.path.isdir(a) else [a]
    for path in paths:
        n, p = check(path)
        total += n
        problems += p
    for p in problems:
        print("UNDOCUMENTED", p)
    print(f"{total} public functions, {len(problems)} problems")
    if expect is not None:
        sys.exit(0 if len(problems) == expect else 1)
    sys.exit(1 if problems or total == 0 else 0)


if __name__ == "__main__":
    main()
