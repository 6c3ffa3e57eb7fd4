#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check README.md's API index and what its guide calls.

    check_api_index.py SOURCE_ROOT [--list]

Public functions are the `static inline` functions of include/tlbflush/*.h
(optionally marked TLBF_MUST_CHECK) whose names start with tlbf_ but not
tlbf__ (private). The "## API index" section has three tiers, each a
"### " heading: "First tier", "Test kit", "Building blocks". Fails when:
  - a public function is in no tier, or in more than one;
  - the index names a function no header defines;
  - the first tier has more than 20 functions;
  - a C block of the "## Integration guide" section calls a public
    function that is not in the first tier or the test kit.
With --list it prints the counts and the first tier.
"""
import glob
import os
import re
import sys

DEF = re.compile(r"(?:^|\n)(?:TLBF_MUST_CHECK\s+)?static\s+inline\b[^;{()]*?\b(tlbf_\w+)\s*\(")
FIRST_TIER_MAX = 20


def section(text, heading, level="## "):
    m = re.search(rf"^{re.escape(level + heading)}[^\n]*\n(.*?)(?=^{level}(?!#)|\Z)", text,
                  re.S | re.M)
    return m.group(1) if m else None


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    root = args[0]
    public = {}
    for path in sorted(glob.glob(os.path.join(root, "include", "tlbflush", "*.h"))):
        with open(path, encoding="utf-8") as f:
            for name in DEF.findall(f.read()):
                if not name.startswith("tlbf__"):
                    public.setdefault(name, os.path.relpath(path, root))
    if not public:
        sys.exit("no public function found under include/tlbflush")
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    index = section(readme, "API index")
    if index is None:
        sys.exit("README.md has no '## API index' section")
    errors = []
    tiers = {}
    for tier in ("First tier", "Test kit", "Building blocks"):
        body = section(index, tier, "### ")
        if body is None:
            errors.append(f"the API index has no '### {tier}' part")
            body = ""
        tiers[tier] = {n for n in re.findall(r"`(tlbf_\w+)`", body) if not n.startswith("tlbf__")}
    seen = {}
    for tier, names in tiers.items():
        for n in names:
            if n in seen:
                errors.append(f"{n} is in two tiers: {seen[n]} and {tier}")
            seen[n] = tier
            if n not in public:
                errors.append(f"the API index ({tier}) names {n}, which no header defines")
    for n in sorted(set(public) - set(seen)):
        errors.append(f"{n} ({public[n]}) is in no tier of README.md's API index")
    first = tiers["First tier"]
    if len(first) > FIRST_TIER_MAX:
        errors.append(f"the first tier has {len(first)} functions (at most {FIRST_TIER_MAX})")
    guide = section(readme, "Integration guide")
    if guide is None:
        errors.append("README.md has no '## Integration guide' section")
        guide = ""
    allowed = first | tiers["Test kit"]
    for block in re.findall(r"```c\n(.*?)```", guide, re.S):
        for n in sorted(set(re.findall(r"\b(tlbf_\w+)\s*\(", block))):
            if n in public and n not in allowed:
                errors.append(f"the guide's code calls {n}, a {seen.get(n, 'tier-less')} function")
    print(f"{len(public)} public functions: first tier {len(first)}, test kit "
          f"{len(tiers['Test kit'])}, building blocks {len(tiers['Building blocks'])}")
    if "--list" in sys.argv:
        print("first tier: " + " ".join(sorted(first)))
    for e in errors:
        print("ERROR", e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
