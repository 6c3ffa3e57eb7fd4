#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The shape of include/tlbflush: layers, wings and what never includes what.

    check_layers.py INCLUDE_DIR [--graph]

Reads the `#include "..."` lines of every header and checks:

  1. the graph is acyclic; with --graph it prints each header's floor (the
     longest include chain below it) and the headers of each wing;
  2. the shared core (every header the umbrella tlbflush.h includes,
     except the two wings) never includes a wing, and the two wings never
     include each other:
        VP side:        entry.h
        initiator side: wake.h, flush.h
     so the VP entry driver and the counters do not depend on the
     initiator;
  3. stats.h includes nothing above the atomics (config, atomic_pvt, bits);
  4. no portable header (the umbrella's closure) includes a backend, the
     oracle, or a machine's encodings (tdx.h, tdx_hw.h, mock_backend.h,
     oracle.h, kvm_backend.h);
  5. no portable header names a machine: comments and strings removed, no
     identifier contains TDX, TDG, INVGLA, INVEPT, INVVPID, MSHV or KVM (in
     any case).

Exits 1 with one line per broken rule.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
MACHINE = re.compile(r"[A-Za-z_0-9]*(tdx|tdg|invgla|invept|invvpid|mshv|kvm)[A-Za-z_0-9]*", re.I)
VP_WING = {"entry.h"}
INITIATOR_WING = {"wake.h", "flush.h"}
MACHINE_HEADERS = {"tdx.h", "tdx_hw.h", "mock_backend.h", "oracle.h", "kvm_backend.h"}
STATS_ALLOWED = {"config.h", "atomic_pvt.h", "bits.h"}


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


def closure(graph, start):
    seen, todo = set(), [start]
    while todo:
        h = todo.pop()
        for d in graph.get(h, ()):
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    root = os.path.join(args[0], "tlbflush") if os.path.isdir(os.path.join(args[0], "tlbflush")) else args[0]
    texts, graph = {}, {}
    for name in sorted(os.listdir(root)):
        if name.endswith(".h"):
            with open(os.path.join(root, name), encoding="utf-8") as f:
                texts[name] = f.read()
            graph[name] = sorted(set(INCLUDE.findall(texts[name])))
    errors = []
    for h, deps in graph.items():
        for d in deps:
            if d not in graph:
                errors.append(f"{h} includes {d}, which is not a tlbflush header")

    floors = {}

    def floor(h, path=()):
        if h in path:
            errors.append("include cycle: " + " -> ".join(path + (h,)))
            return 0
        if h not in floors:
            deps = [d for d in graph.get(h, ()) if d in graph]
            floors[h] = 1 + max((floor(d, path + (h,)) for d in deps), default=-1)
        return floors[h]

    for h in graph:
        floor(h)

    portable = closure(graph, "tlbflush.h") | {"tlbflush.h"}
    core = portable - VP_WING - INITIATOR_WING - {"tlbflush.h"}
    for h in sorted(core):
        bad = closure(graph, h) & (VP_WING | INITIATOR_WING)
        if bad:
            errors.append(f"core header {h} includes the wing header(s) {sorted(bad)}")
    for h in sorted(VP_WING):
        bad = closure(graph, h) & INITIATOR_WING
        if bad:
            errors.append(f"VP-side {h} includes the initiator side {sorted(bad)}")
    for h in sorted(INITIATOR_WING):
        bad = closure(graph, h) & VP_WING
        if bad:
            errors.append(f"initiator-side {h} includes the VP side {sorted(bad)}")
    bad = closure(graph, "stats.h") - STATS_ALLOWED
    if bad:
        errors.append(f"stats.h includes {sorted(bad)} (only {sorted(STATS_ALLOWED)} allowed)")
    for h in sorted(portable):
        bad = (closure(graph, h) | {h}) & MACHINE_HEADERS
        if bad:
            errors.append(f"portable header {h} includes {sorted(bad)}")
        names = sorted(set(m.group(0) for m in MACHINE.finditer(strip_comments(texts[h]))))
        if names:
            errors.append(f"portable header {h} names a machine: {', '.join(names)}")

    if "--graph" in sys.argv:
        height = max(floors.values())
        print(f"{len(graph)} headers, {height + 1} floors (floor 0: no tlbflush include)")
        for f in range(height + 1):
            print(f"  floor {f}: " + " ".join(sorted(h for h, v in floors.items() if v == f)))
        print("  shared core: " + " ".join(sorted(core)))
        print("  VP side: " + " ".join(sorted(VP_WING)) +
              "; initiator side: " + " ".join(sorted(INITIATOR_WING)))
        print("  outside the umbrella: " + " ".join(sorted(set(graph) - portable)))
    for e in errors:
        print("FAIL " + e)
    if errors:
        sys.exit(1)
    print(f"ok: {len(portable)} portable headers, {len(graph) - len(portable)} outside; "
          "the wings and the core keep their rules")


if __name__ == "__main__":
    main()
