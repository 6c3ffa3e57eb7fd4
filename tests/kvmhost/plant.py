#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Copy tlbflush's headers with one decoder bug planted, for the tests that
prove the differential test (check_kvmdiff.py) catches it.

  plant.py BUG SRCDIR OUTDIR STAMP DEPFILE

Copies SRCDIR/*.h (include/tlbflush) to OUTDIR/tlbflush/ and applies BUG's
one replacement. Fails if the text to replace is not there exactly once,
so that a change of the headers cannot leave a planted test with no bug in
it. STAMP (a header the test's sources list, so that it is built first)
names the bug; a depfile lists every header read.
"""
import os
import sys

# bug -> (header, text, replacement)
BUGS = {
    # The iterator starts one bank word early: bank k is read from the word
    # of bank k-1 (and bank 0 from valid_bank_mask).
    "bank_index_off_by_one": ("vpset.h", "\tit->index = 1;\n", "\tit->index = 0;\n"),
    # The ranges begin at rep 0 whatever the rep start.
    "ranges_ignore_rep_start": ("hypercall.h",
                                "req->ranges = list ? in + hdr_words + rep_start : NULL;",
                                "req->ranges = list ? in + hdr_words : NULL;"),
    # A non-Ex processor_mask of 0 flushes nobody (the WS2012 rule removed).
    "no_ws2012_zero_mask": ("hypercall.h", "\t\tif (mask == 0)\n\t\t\tall = true;\n", ""),
}


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: plant.py BUG SRCDIR OUTDIR STAMP DEPFILE")
    bug, srcdir, outdir, stamp, depfile = sys.argv[1:]
    header, old, new = BUGS[bug]
    dst = os.path.join(outdir, "tlbflush")
    os.makedirs(dst, exist_ok=True)
    names = sorted(n for n in os.listdir(srcdir) if n.endswith(".h"))
    if header not in names:
        sys.exit("plant.py: %s has no %s" % (srcdir, header))
    for name in names:
        with open(os.path.join(srcdir, name), encoding="utf-8") as f:
            text = f.read()
        if name == header:
            if text.count(old) != 1:
                sys.exit("plant.py: %s: %r found %d times, expected once"
                         % (name, old, text.count(old)))
            text = text.replace(old, new)
        with open(os.path.join(dst, name), "w", encoding="utf-8") as f:
            f.write(text)
    with open(stamp, "w", encoding="utf-8") as f:
        f.write("/* tlbflush headers with the bug %s planted */\n" % bug)
    with open(depfile, "w", encoding="utf-8") as f:
        f.write("%s: %s\n" % (stamp, " ".join(os.path.join(srcdir, n) for n in names)))


if __name__ == "__main__":
    main()
