#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that README.md's API index names every public function.

    check_api_index.py SOURCE_ROOT

Public functions are the `static inline` functions of include/tlbflush/*.h
whose names start with tlbf_ but not tlbf__ (private). Fails when one is
missing from the "## API index" section, or when the index names a
function no header defines.
"""
import glob
import os
import re
import sys

DEF = re.compile(r"static\s+inline\b[^;{()]*?\b(tlbf_\w+)\s*\(")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = sys.argv[1]
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
    m = re.search(r"^## API index\n(.*?)(?=^## )", readme, re.S | re.M)
    if not m:
        sys.exit("README.md has no '## API index' section")
    shown = {n for n in re.findall(r"`(tlbf_\w+)`", m.group(1)) if not n.startswith("tlbf__")}
    errors = [f"{name} ({public[name]}) is not in README.md's API index"
              for name in sorted(set(public) - shown)]
    errors += [f"README.md's API index names {name}, which no header defines"
               for name in sorted(shown - set(public))]
    print(f"{len(public)} public functions, {len(shown & set(public))} in the API index")
    for e in errors:
        print("ERROR", e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
