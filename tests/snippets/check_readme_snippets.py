#!/usr/bin/env python3
"""Check that the C code shown in README.md is the code that compiles.

    check_readme_snippets.py SOURCE_ROOT COMPILER...

README.md marks each C block it shows with a line

    <!-- snippet: examples/snippets/FILE.c#NAME -->

followed by a ```c fenced block. FILE.c holds the same code between the
lines "// readme:NAME" and "// readme:end". Fails when:
  - a marked block differs from its region by a single byte;
  - a marker names a file or region that does not exist, or is not
    followed by a ```c block;
  - a region of examples/snippets/*.c is not shown in README.md;
  - a snippet file does not compile (C11, all warnings as errors) with
    each COMPILER.
"""
import difflib
import glob
import os
import re
import subprocess
import sys
import tempfile

MARKER = re.compile(r"^<!-- snippet: (\S+)#([\w-]+) -->$")
BEGIN = re.compile(r"^// readme:([\w-]+)$")
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Wconversion",
          "-Wshadow", "-Wstrict-prototypes", "-Wmissing-prototypes", "-pthread"]


def regions(path):
    """NAME -> text of the lines between '// readme:NAME' and '// readme:end'."""
    out = {}
    name = None
    body = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = BEGIN.match(line.rstrip("\n"))
            if m and m.group(1) != "end":
                if name is not None:
                    raise SystemExit(f"{path}:{n}: region {m.group(1)} inside {name}")
                if m.group(1) in out:
                    raise SystemExit(f"{path}:{n}: region {m.group(1)} defined twice")
                name, body = m.group(1), []
            elif m:
                if name is None:
                    raise SystemExit(f"{path}:{n}: readme:end without a region")
                out[name] = "".join(body)
                name = None
            elif name is not None:
                body.append(line)
    if name is not None:
        raise SystemExit(f"{path}: region {name} is not closed")
    return out


def readme_blocks(path):
    """[(file, name, text, line)] of every marked block of README.md."""
    lines = open(path, encoding="utf-8").read().split("\n")
    out = []
    errors = []
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if not m:
            i += 1
            continue
        start = i + 1
        if start >= len(lines) or lines[start] != "```c":
            errors.append(f"README.md:{i + 1}: marker not followed by a ```c block")
            i += 1
            continue
        j = start + 1
        while j < len(lines) and lines[j] != "```":
            j += 1
        if j == len(lines):
            errors.append(f"README.md:{start + 1}: unterminated code block")
            break
        text = "".join(line + "\n" for line in lines[start + 1:j])
        out.append((m.group(1), m.group(2), text, i + 1))
        i = j + 1
    return out, errors


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root, compilers = sys.argv[1], sys.argv[2:]
    errors = []
    files = sorted(glob.glob(os.path.join(root, "examples", "snippets", "*.c")))
    if not files:
        sys.exit("no snippet files under examples/snippets")
    want = {}
    for path in files:
        rel = os.path.relpath(path, root)
        for name, text in regions(path).items():
            want[(rel, name)] = text
    blocks, errs = readme_blocks(os.path.join(root, "README.md"))
    errors += errs
    shown = set()
    for rel, name, text, line in blocks:
        key = (rel, name)
        if key not in want:
            errors.append(f"README.md:{line}: no region {name} in {rel}")
            continue
        if key in shown:
            errors.append(f"README.md:{line}: {rel}#{name} shown twice")
        shown.add(key)
        if text != want[key]:
            diff = difflib.unified_diff(want[key].splitlines(True), text.splitlines(True),
                                        f"{rel}#{name}", f"README.md:{line}")
            errors.append(f"README.md:{line}: block differs from {rel}#{name}:\n" +
                          "".join(diff))
    for key in sorted(set(want) - shown):
        errors.append(f"{key[0]}: region {key[1]} is not shown in README.md")
    print(f"{len(shown)} README blocks match their snippet regions")

    inc = os.path.join(root, "include")
    with tempfile.TemporaryDirectory() as tmp:
        for cc in compilers:
            for path in files:
                cmd = [cc] + CFLAGS + ["-I", inc, "-c", path, "-o", os.path.join(tmp, "s.o")]
                r = subprocess.run(cmd, capture_output=True, text=True)
                status = "ok" if r.returncode == 0 else "FAIL"
                print(f"{status}   {cc} {os.path.relpath(path, root)}")
                if r.returncode != 0:
                    errors.append(f"{cc} cannot compile {path}:\n{r.stdout}{r.stderr}")
    for e in errors:
        print("ERROR", e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
