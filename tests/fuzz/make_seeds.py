#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets (valid and invalid inputs).

    python3 tests/fuzz/make_seeds.py    # from anywhere; rewrites the seeds

Formats (see the fuzz targets):
  fuzz_vpset:  u16 vp_count, u16 bound, then HV_VP_SET words
  fuzz_decode: u64 control, u16 vp_count, u8 vtl, u8 misalign, input bytes
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def words(*w):
    return struct.pack("<%dQ" % len(w), *w)


def control(code, varhdr=0, reps=0, start=0, fast=False):
    return code | (fast << 16) | (varhdr << 17) | (reps << 32) | (start << 48)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def vpset(name, vp_count, bound, *w):
    write("fuzz_vpset", name, struct.pack("<HH", vp_count, bound) + words(*w))


def decode(name, ctl, vp_count, vtl, mis, *w, raw=b""):
    write("fuzz_decode", name,
          struct.pack("<QHBB", ctl, vp_count, vtl, mis) + words(*w) + raw)


vpset("tlfs_example", 4096, 131, 0, 0x5, 0x21, 0x4)
vpset("vp_4095", 4096, 4095, 0, 1 << 63, 1 << 63)
vpset("all_64_banks", 4096, 1000, 0, (1 << 64) - 1, *[(1 << b) | 1 for b in range(64)])
vpset("format_all", 70, 64, 1, 0)
vpset("format_all_banks", 70, 3, 1, 3, 0, 0)
vpset("small_partition", 6, 5, 0, 0x5, 0x21, 0x4)
vpset("bad_format", 64, 64, 2, 0)
vpset("short_banks", 64, 64, 0, 0x7, 1, 2)
vpset("empty", 64, 64, 0, 0)

SPACE, LIST, SPACE_EX, LIST_EX = 0x2, 0x3, 0x13, 0x14
decode("space_ok", control(SPACE), 64, 0, 0, 0, 0, 0x51)
decode("space_nonglobal_vtl1", control(SPACE), 64, 1, 0, 0, 0x4 | 0x10 | 0x100, 0x51)
decode("space_all_processors", control(SPACE), 8, 0, 0, 0, 0x1, 0)
decode("list_ok", control(LIST, reps=3, start=1), 8, 0, 0, 0, 0, 0x3,
       0x1000, 0x7F0000002003, 0x4000)
decode("list_extended_large", control(LIST, reps=2), 8, 0, 0, 0, 0x8, 0x3,
       0x1000, (0x200 << 12) | (1 << 11))
decode("list_ex_tlfs", control(LIST_EX, varhdr=2, reps=2), 4096, 0, 0,
       0, 0, 0, 0x5, 0x21, 0x4, 0xa000, 0xb000)
decode("space_ex_all_format", control(SPACE_EX), 200, 0, 0, 0, 0, 1, 0)
decode("list_ex_64_banks", control(LIST_EX, varhdr=64, reps=1), 4096, 0, 0,
       0, 0, 0, (1 << 64) - 1, *[1 << (63 - b) for b in range(64)], 0x1000)
decode("list_ex_too_many", control(LIST_EX, varhdr=1, reps=40), 64, 0, 0,
       0, 0, 0, 1, 0xffff, *[0x1000 * (i + 1) for i in range(40)])
decode("list_fast", control(LIST, reps=1, fast=True), 8, 0, 0, 0, 0, 1, 0x1000)
decode("bad_unknown_call", control(0x5), 8, 0, 0, 0, 0, 1)
decode("bad_control_reserved", control(SPACE) | 1 << 63, 8, 0, 0, 0, 0, 1)
decode("bad_rep_on_space", control(SPACE, reps=1), 8, 0, 0, 0, 0, 1, 0)
decode("bad_rep_start", control(LIST, reps=2, start=2), 8, 0, 0, 0, 0, 1, 0, 0)
decode("bad_varhdr_not_ex", control(SPACE, varhdr=1), 8, 0, 0, 0, 0, 1, 0)
decode("bad_over_page", control(LIST, reps=510), 8, 0, 0, 0, 0, 1)
decode("bad_misaligned", control(SPACE), 8, 0, 0x83, 0, 0, 1)
decode("bad_short", control(LIST_EX, varhdr=2, reps=2), 8, 0, 0, 0, 0, 0, 0x5, 0x21)
decode("bad_flags_reserved", control(SPACE), 8, 0, 0, 0, 0x20, 1)
decode("bad_flag_not_allowed", control(LIST, reps=1), 8, 0, 0, 0, 0x4, 1, 0x1000)
decode("bad_target_vtl_form", control(SPACE), 8, 1, 0, 0, 0x100, 1)
decode("bad_target_vtl_higher", control(SPACE), 8, 0, 0, 0, 0x10 | 0x200, 1)
decode("bad_set_format", control(SPACE_EX), 8, 0, 0, 0, 0, 7, 0)
decode("bad_varhdr_mismatch", control(SPACE_EX, varhdr=1), 8, 0, 0, 0, 0, 0, 0x5, 1, 1)
decode("bad_set_empty", control(SPACE_EX), 8, 0, 0, 0, 0, 0, 0)
