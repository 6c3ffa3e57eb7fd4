#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The ordering labels have one source: the comments at the code.

    check_labels.py SOURCE_ROOT [--list]

The source of every label (P1, C4, V2, H6, ...) is the comment at the line
of include/tlbflush/ that performs the step: a comment that begins with the
label and a colon ("/* P1: ..." or " * K2: ..."). From those, this checks
everything that repeats them:

  1. every atomic access with an order other than relaxed, and every fence,
     in include/tlbflush/*.h has such a labelled comment right above it
     (in the comment block that ends on the line before, or on its line);
     every relaxed access has a comment saying why relaxed is enough (the
     word "relaxed" in that comment block);
  2. a header's LABELS block (the part of its top comment headed LABELS)
     names every label defined in that header, and names no label that no
     header defines;
  3. docs/DESIGN.md's table of pairings has exactly one row per label
     (first column), whose second column names the header that defines it;
     when the label's comment states an order (relaxed, acquire, release,
     seq_cst), the row's order column says the same; and every label the
     row pairs with is defined.

With --list it prints the labels found, per header. Exits 1 with one line
per problem.
"""
import glob
import os
import re
import sys

LABEL_DEF = re.compile(r"(?:/\*|^\s*\*)\s*((?:[A-Z][0-9]\s*(?:,|and)\s*)*[A-Z][0-9])\s*:\s*(.*)")
ORDER_WORDS = ("seq_cst", "acquire", "release", "relaxed")
ACCESS = re.compile(r"\btlbf__(load|store|fetch_add|fetch_or|fetch_and|xchg|cas|fence)\s*\(")
NONRELAXED = re.compile(r"TLBF_(ACQUIRE|RELEASE|SEQ_CST|ACQ_REL)\b")
RELAXED = re.compile(r"TLBF_RELAXED\b")
LABEL_TOKEN = re.compile(r"\b([A-Z][0-9])\b")


def order_of(text):
    """The first order word of a label comment's text, or None."""
    text = text.lower()
    hits = [(text.find(w), w) for w in ORDER_WORDS if w in text]
    if not hits:
        return None
    first = min(hits)[1]
    return first


def comment_above(lines, i):
    """The text of the comment that covers line i: on its line, or the
    block that ends above it, past at most four code lines of the same
    group (the other accesses of one labelled step, a TLBF_STEP, a local
    variable that feeds the access)."""
    out = []
    if "/*" in lines[i] or "//" in lines[i]:
        out.append(lines[i])
    j = i - 1
    code = 0
    while j >= 0 and not lines[j].rstrip().endswith("*/"):
        s = lines[j].strip()
        if s == "" or s.startswith("TLBF_STEP"):
            j -= 1
            continue
        if s.endswith("{") or s.startswith("}") or code == 4:
            return "\n".join(out)
        code += 1
        j -= 1
    while j >= 0:
        out.append(lines[j])
        if "/*" in lines[j]:
            break
        j -= 1
    return "\n".join(reversed(out))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    root = args[0]
    errors = []
    defined = {}  # label -> (header, order or None)
    headers = sorted(glob.glob(os.path.join(root, "include", "tlbflush", "*.h")))
    texts = {}
    for path in headers:
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            texts[name] = f.read()
        lines = texts[name].split("\n")
        top_end = texts[name].find("*/")
        for n, line in enumerate(lines):
            if sum(len(x) + 1 for x in lines[:n]) < top_end:
                continue  # the top comment describes, it does not define
            m = LABEL_DEF.search(line)
            if not m:
                continue
            rest = m.group(2)
            order = order_of(rest.split("pairs with")[0]) if rest else None
            for label in LABEL_TOKEN.findall(m.group(1)):
                if label in defined and defined[label][0] != name:
                    errors.append(f"{label} defined in {defined[label][0]} and in {name}")
                if label not in defined or (defined[label][1] is None and order):
                    defined[label] = (name, order)
        # 1. every access and fence has its comment
        for n, line in enumerate(lines):
            if not ACCESS.search(line) or line.lstrip().startswith(("*", "/*", "#define")):
                continue
            stmt = line
            k = n
            while ";" not in stmt and k + 1 < len(lines):
                k += 1
                stmt += lines[k]
            if "TLBF_" not in stmt:
                continue  # a macro definition or a wrapper without an order
            above = comment_above(lines, n)
            if NONRELAXED.search(stmt):
                if not LABEL_TOKEN.search(above) and "same reasons as" not in above:
                    errors.append(f"{name}:{n + 1}: non-relaxed access or fence without a label: "
                                  f"{line.strip()}")
            elif RELAXED.search(stmt):
                if "relaxed" not in above.lower() and "only we write" not in stmt:
                    errors.append(f"{name}:{n + 1}: relaxed access without a reason: {line.strip()}")

    # 2. LABELS blocks
    for name, text in texts.items():
        m = re.search(r"^ \* LABELS[^\n]*\n(.*?)(?=^ \*\s*[A-Z][A-Z ]+\n|^ \*/)", text, re.M | re.S)
        if not m:
            continue
        named = set(LABEL_TOKEN.findall(m.group(1)))
        mine = {lab for lab, (h, _) in defined.items() if h == name}
        for lab in sorted(mine - named):
            errors.append(f"{name}: the LABELS block does not name {lab}, defined here")
        for lab in sorted(named - set(defined)):
            errors.append(f"{name}: the LABELS block names {lab}, which no header defines")

    # 3. the pairing table of docs/DESIGN.md
    with open(os.path.join(root, "docs", "DESIGN.md"), encoding="utf-8") as f:
        design = f.read()
    t = re.search(r"^## Table of pairings\n(.*?)(?=^## )", design, re.M | re.S)
    if not t:
        errors.append("docs/DESIGN.md has no '## Table of pairings' section")
        rows = []
    else:
        rows = [r for r in t.group(1).split("\n") if re.match(r"^\| [A-Z][0-9](, [A-Z][0-9])* \|", r)]
    seen = {}

    def check_row(lab, where, order, partners):
        if lab not in defined:
            errors.append(f"DESIGN.md: row {lab}, which no header defines")
            return
        header, stated = defined[lab]
        if f"`{header}`" not in where:
            errors.append(f"DESIGN.md: row {lab} says '{where}', but {lab} is in {header}")
        if stated and stated not in order.lower():
            errors.append(f"DESIGN.md: row {lab} says order '{order}', the code says {stated}")
        for p in LABEL_TOKEN.findall(partners):
            if p not in defined:
                errors.append(f"DESIGN.md: row {lab} pairs with {p}, which no header defines")

    for r in rows:
        cols = [c.strip() for c in re.split(r"(?<!\\)\|", r.strip().strip("|"))]
        labs, where, order, partners = cols[0], cols[1], cols[3], cols[4]
        for lab in LABEL_TOKEN.findall(labs):
            if lab in seen:
                errors.append(f"DESIGN.md: two rows for {lab}")
            seen[lab] = r
        for lab in LABEL_TOKEN.findall(labs):
            check_row(lab, where, order, partners)
    for lab in sorted(set(defined) - set(seen)):
        errors.append(f"DESIGN.md: no row for {lab} ({defined[lab][0]})")

    if "--list" in sys.argv:
        for h in sorted({h for h, _ in defined.values()}):
            labs = sorted(l for l, (hh, _) in defined.items() if hh == h)
            print(f"{h}: " + " ".join(f"{l}({defined[l][1] or '-'})" for l in labs))
    for e in errors:
        print("FAIL " + e)
    if errors:
        sys.exit(1)
    print(f"ok: {len(defined)} labels, each at its code, in its header's LABELS block "
          f"and in one row of DESIGN.md's table of pairings")


if __name__ == "__main__":
    main()
