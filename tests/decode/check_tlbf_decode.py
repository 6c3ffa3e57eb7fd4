#!/usr/bin/env python3
"""Run examples/tlbf-decode on one named case; check exit code and JSON.

    check_tlbf_decode.py TOOL CASE
"""
import json
import os
import pty
import struct
import subprocess
import sys


def hexwords(*words):
    return struct.pack("<%dQ" % len(words), *words).hex()


def run(tool, args, stdin=None):
    p = subprocess.run([tool] + args, input=stdin, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def decoded(tool, args, stdin=None, rc=0):
    code, out, err = run(tool, args, stdin)
    if code != rc:
        raise AssertionError(f"exit {code}, expected {rc}: {out} {err}")
    lines = out.strip().splitlines()
    if len(lines) != 1:
        raise AssertionError(f"expected one JSON line, got: {out!r}")
    return json.loads(lines[0])


def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, expected {want!r}")


def case_tlfs_listex(tool):
    # valid_bank_mask 0x5, banks {0x21, 0x4} is {0, 5, 130}; rep start 1.
    h = hexwords(0, 0, 0, 0x5, 0x21, 0x4, 0x1000, 0x7F0000002003)
    j = decoded(tool, ["--call", "list-ex", "--reps", "2", "--rep-start", "1", "--vps", "4096", h])
    eq(j["status"], "HV_STATUS_SUCCESS", "status")
    eq(j["status_code"], 0, "status_code")
    # RAX: success, both reps completed.
    eq(j["result"], "0x0000000200000000", "result")
    eq(j["control"]["varhdr_qwords"], 2, "varhdr")
    eq(j["vp_set"]["vps"], [0, 5, 130], "vps")
    eq(j["vp_set"]["count"], 3, "count")
    eq(len(j["ranges"]), 1, "ranges")
    eq(j["ranges"][0]["first_page"], "0x7f0000002", "first page")
    eq(j["ranges"][0]["page_count"], 4, "page count")
    eq(j["policy"]["decision"], "list", "decision")
    # The same set on a 100-VP partition: VP 130 is ignored.
    j = decoded(tool, ["--call", "list-ex", "--reps", "2", "--vps", "100", h])
    eq(j["vp_set"]["vps"], [0, 5], "vps on 100 VPs")


def case_space(tool):
    control = "0x%x" % 0x0002
    # Input split over several HEX arguments, as in docs/DECODE.md.
    j = decoded(tool, ["--control", control, "--vps", "8", "--vtl", "1",
                       hexwords(0), hexwords(0x1 << 1 | 0x1 << 2), "0x" + hexwords(0x51)])
    eq(j["kind"], "non_global", "kind")
    eq(j["target_vtl"], 1, "target vtl")
    eq(j["flags"]["names"], ["ALL_VIRTUAL_ADDRESS_SPACES", "NON_GLOBAL_MAPPINGS_ONLY"], "flags")
    eq(j["vp_set"]["vps"], [0, 4, 6], "vps")
    eq(j["ranges"], [], "ranges")
    eq(j["policy"]["decision"], "non_global", "decision")


def case_promote(tool):
    # Extended format, range 1 is a 2 MiB large page: promoted at index 1.
    h = hexwords(0, 0x8 | 0x1, 0, 0x1000, (0x200 << 12) | (1 << 11) | (1 << 12))
    j = decoded(tool, ["--call", "FlushVirtualAddressList", "--reps", "2", "--vps", "4", h])
    eq(j["flags"]["names"], ["ALL_PROCESSORS", "USE_EXTENDED_RANGE_FORMAT"], "flags")
    eq(j["vp_set"]["kind"], "all", "set kind")
    eq(j["vp_set"]["vps"], [0, 1, 2, 3], "vps")
    eq(j["ranges"][1]["large_page"], True, "large page")
    eq(j["ranges"][1]["page_size"], "1G", "page size")
    eq(j["policy"], {"decision": "promote", "reason": "large_page", "first_offending": 1}, "policy")
    # More ranges than the ring holds.
    words = [0, 0, 1] + [0x1000 * (i + 1) for i in range(40)]
    j = decoded(tool, ["--call", "list", "--reps", "40", "--vps", "4", hexwords(*words)])
    eq(j["policy"]["reason"], "too_many", "too many")


def case_failures(tool):
    cases = [
        (["--control", "0x5", "--vps", "8", hexwords(0, 0, 1)], 2, "unknown_call"),
        (["--call", "space-ex", "--varhdr", "1", "--vps", "8", hexwords(0, 0, 0, 0x5, 1, 1)],
         3, "varhdr_mismatch"),
        (["--call", "space", "--vps", "8", hexwords(0, 0x20, 1)], 5, "flags_reserved"),
        (["--call", "list", "--reps", "3", "--vps", "8", hexwords(0, 0, 1, 0x1000)],
         3, "input_short"),
        (["--call", "list", "--reps", "2", "--rep-start", "2", "--vps", "8",
          hexwords(0, 0, 1, 0, 0)], 3, "rep_start"),
        (["--call", "space", "--vps", "8", "--vtl", "0", hexwords(0, 0x10 | 0x200, 1)],
         5, "target_vtl_higher"),
        (["--call", "space-ex", "--vps", "8", hexwords(0, 0, 7, 0)], 5, "set_format"),
    ]
    # Not failures: processor_mask 0 flushes every VP, an Ex call with no
    # bank flushes none (what deployed guests send, and KVM's answers).
    j = decoded(tool, ["--control", "0x2", "--vps", "8", hexwords(0, 0, 0)])
    eq(j["vp_set"]["kind"], "all", "mask 0 is all processors")
    eq(j["vp_set"]["count"], 8, "mask 0 flushes every VP")
    j = decoded(tool, ["--call", "space-ex", "--vps", "8", hexwords(0, 0, 0, 0)])
    eq(j["vp_set"]["count"], 0, "Ex call with no bank")
    for args, code, rule in cases:
        j = decoded(tool, args, rc=2)
        eq(j["status_code"], code, f"{rule} status")
        eq(j["rule"], rule, "rule")
    # RAX of a refused rep call: the status, and the reps completed before
    # the rep start, never more than the rep count (a rep start of 5 of 2).
    j = decoded(tool, ["--call", "list", "--reps", "3", "--rep-start", "1", "--vps", "8",
                       hexwords(0, 0, 1, 0x1000)], rc=2)
    eq(j["result"], "0x0000000100000003", "refused at rep start 1")
    j = decoded(tool, ["--call", "list", "--reps", "2", "--rep-start", "5", "--vps", "8",
                       hexwords(0, 0, 1, 0, 0)], rc=2)
    eq(j["rule"], "rep_start", "rep start past the count")
    eq(j["result"], "0x0000000200000003", "reps completed clamped to the count")
    # A simple call has no reps: the status alone.
    j = decoded(tool, ["--call", "space", "--vps", "8", hexwords(0, 0x20, 1)], rc=2)
    eq(j["result"], "0x0000000000000005", "simple call refused")


def case_stdin(tool):
    j = decoded(tool, ["--control", "0x2", "--vps", "64"],
                stdin="0x" + hexwords(0, 0) + "\n" + hexwords(1 << 63) + "\n")
    eq(j["vp_set"]["vps"], [63], "vps from stdin")


def case_usage(tool):
    for args, stdin in [([], ""), (["--vps", "4"], ""), (["--control", "0x2"], ""),
                        (["--control", "zz", "--vps", "4", "00"], None),
                        (["--control", "0x2", "--vps", "0", "00"], None),
                        (["--control", "0x2", "--vps", "4", "0g"], None),
                        (["--control", "0x2", "--vps", "4", "000"], None),
                        (["--bogus"], None)]:
        code, out, _ = run(tool, args, stdin)
        eq(code, 1, f"usage exit for {args}")
        eq(out, "", "no JSON on usage errors")
    code, out, _ = run(tool, ["--help"])
    eq(code, 0, "--help exit")
    if "--control" not in out:
        raise AssertionError("--help does not describe --control")


def usage_error(tool, args, stdin=None):
    """Run a call that must be refused as a usage error; its stderr."""
    code, out, err = run(tool, args, stdin)
    eq(code, 1, f"usage exit for {args}")
    eq(out, "", f"no JSON on usage errors ({args})")
    return err


def contains(text, part, what):
    if part not in text:
        raise AssertionError(f"{what}: {part!r} not in {text!r}")


def case_errors(tool):
    # Each message names the argument, quotes it and says what was expected.
    err = usage_error(tool, ["--control", "0x2", "--vps", "4", "00", "zz"])
    contains(err, "bad hex in argument 6: 'zz': expected two hex digits per byte", "bad hex")
    err = usage_error(tool, ["--control", "0x2", "--vps", "4", "000"])
    contains(err, "odd number of hex digits (3 in all; the last begun in argument 5)", "odd")
    err = usage_error(tool, ["--control", "0x2", "--vps", "4"], stdin="00\n0g\n")
    contains(err, "bad hex in stdin line 2: '0g'", "bad hex on stdin")
    err = usage_error(tool, ["--control", "0x2", "--vps", "0", "00"])
    contains(err, "bad value for --vps (argument 4): '0': expected the partition's VP count, "
             "from 1 to", "bad --vps")
    err = usage_error(tool, ["--control", "0x2", "--vps"])
    contains(err, "--vps (argument 3) needs a value", "missing value")
    err = usage_error(tool, ["--call", "flush", "--vps", "4", "00"])
    contains(err, "bad value for --call (argument 2): 'flush': expected space, list", "--call")
    err = usage_error(tool, ["--call", "space", "--vps", "4", "--offset", "4096", "00"])
    contains(err, "bad value for --offset (argument 6): '4096': expected a byte offset from 0 "
             "to 4095", "--offset range")
    err = usage_error(tool, ["--call", "space", "--vps", "4", "--words", "0", "0x1g"])
    contains(err, "bad word in argument 7: '0x1g': expected a 64-bit value in hex", "bad word")
    err = usage_error(tool, ["--call", "space", "--vps", "4", "--words", "12345678123456789"])
    contains(err, "1 to 16 digits (it has 17)", "long word")
    err = usage_error(tool, ["--vps", "4", "00"])
    contains(err, "missing the call: give --control 0xCONTROL or --call NAME", "no call")
    err = usage_error(tool, ["--call", "space", "00"])
    contains(err, "missing --vps V", "no --vps")
    err = usage_error(tool, ["--bogus"])
    contains(err, "unknown option '--bogus' (argument 1)", "unknown option")


def case_words(tool):
    # The same call as bytes in memory order and as little-endian words.
    words = [0, 0x8 | 0x1, 0, 0x1000, (0x200 << 12) | (1 << 11) | (1 << 12)]
    as_bytes = decoded(tool, ["--call", "list", "--reps", "2", "--vps", "4", hexwords(*words)])
    as_words = decoded(tool, ["--call", "list", "--reps", "2", "--vps", "4", "--words"]
                       + ["0x%x" % w for w in words])
    eq(as_words, as_bytes, "--words against bytes")
    # Several words in one argument, and from stdin (commas allowed).
    j = decoded(tool, ["--control", "0x2", "--vps", "64", "--words", "0 0", "0x8000000000000000"])
    eq(j["vp_set"]["vps"], [63], "words in one argument")
    j = decoded(tool, ["--control", "0x2", "--vps", "64", "--words", "-"],
                stdin="0, 0\n8000000000000000\n")
    eq(j["vp_set"]["vps"], [63], "words from stdin")


def case_pretty(tool):
    args = ["--call", "list-ex", "--reps", "2", "--rep-start", "1", "--vps", "4096",
            hexwords(0, 0, 0, 0x5, 0x21, 0x4, 0x1000, 0x7F0000002003)]
    code, out, err = run(tool, args + ["--pretty"])
    eq(code, 0, "--pretty exit")
    lines = out.rstrip("\n").split("\n")
    if len(lines) < 10 or not lines[1].startswith("  \"status\": "):
        raise AssertionError(f"--pretty output is not indented: {out!r}")
    eq(json.loads(out), decoded(tool, args), "--pretty against compact")
    # A refused call too.
    code, out, _ = run(tool, ["--call", "space", "--vps", "4", "--pretty", "00"])
    eq(code, 2, "--pretty refused exit")
    eq(json.loads(out)["evidence"]["bytes_given"], 1, "--pretty evidence")


def case_offset(tool):
    h = hexwords(0, 0x1, 0, 0x1000)
    args = ["--call", "list", "--reps", "1", "--vps", "4"]
    for off in (1, 4, 7, 12):
        j = decoded(tool, args + ["--offset", str(off), h], rc=2)
        eq(j["status_code"], 4, f"offset {off} status")
        eq(j["status"], "HV_STATUS_INVALID_ALIGNMENT", f"offset {off} status name")
        eq(j["rule"], "misaligned", f"offset {off} rule")
        eq(j["evidence"]["input_offset"], off, "evidence offset")
        eq(j["evidence"]["input_aligned"], False, "evidence aligned")
    for off in (0, 8, 4088):
        j = decoded(tool, args + ["--offset", str(off), h])
        eq(j["status_code"], 0, f"offset {off} status")


def case_evidence(tool):
    # Input short: bytes needed against given, the flags, the mask.
    j = decoded(tool, ["--call", "list", "--reps", "3", "--vps", "8", hexwords(0, 0x1, 0x6, 0)],
                rc=2)
    ev = j["evidence"]
    eq(j["rule"], "input_short", "rule")
    eq((ev["bytes_needed"], ev["bytes_given"]), (48, 32), "bytes needed, given")
    eq((ev["header_bytes"], ev["range_bytes"]), (24, 24), "header, range bytes")
    eq(ev["flags"], {"value": "0x1", "names": ["ALL_PROCESSORS"]}, "flags")
    eq(ev["set_format"], "processor_mask", "set format")
    eq(ev["processor_mask"], "0x6", "processor mask")
    eq((ev["target_vtl"], ev["target_vtl_from"]), (0, "caller"), "target vtl")
    # Unknown set format of an Ex call.
    j = decoded(tool, ["--call", "space-ex", "--vps", "8", hexwords(0, 0, 7, 0)], rc=2)
    ev = j["evidence"]
    eq((ev["set_format"], ev["set_format_value"]), ("unknown", 7), "Ex set format")
    eq((ev["valid_bank_mask"], ev["banks_in_mask"]), ("0x0", 0), "bank mask")
    # Variable header against the bank mask.
    j = decoded(tool, ["--call", "space-ex", "--varhdr", "1", "--vps", "8",
                       hexwords(0, 0, 0, 0x5, 1, 1)], rc=2)
    ev = j["evidence"]
    eq((ev["set_format"], ev["banks_in_mask"], ev["varhdr_qwords"]), ("sparse_4k", 2, 1),
       "varhdr evidence")
    # The target VTL the flags name, above the caller's.
    j = decoded(tool, ["--call", "space", "--vps", "8", "--vtl", "0",
                       hexwords(0, 0x10 | 0x200, 1)], rc=2)
    eq(j["rule"], "target_vtl_higher", "rule")
    eq((j["evidence"]["target_vtl"], j["evidence"]["target_vtl_from"]), (1, "flags"),
       "target vtl from flags")
    j = decoded(tool, ["--call", "space", "--vps", "8", hexwords(0, 0x100, 1)], rc=2)
    eq(j["evidence"]["target_vtl"], None, "malformed target vtl")
    # Too short to hold the flags: null, not a guess.
    j = decoded(tool, ["--call", "space", "--vps", "8", "00"], rc=2)
    eq((j["evidence"]["flags"], j["evidence"]["set_format"]), (None, None), "nothing read")
    # Unknown call: nothing is needed.
    j = decoded(tool, ["--control", "0x5", "--vps", "8", hexwords(0, 0, 1)], rc=2)
    eq(j["evidence"]["bytes_needed"], None, "unknown call")


def case_tty(tool):
    # At a terminal without input arguments the tool says it reads stdin.
    master, slave = pty.openpty()
    p = subprocess.Popen([tool, "--control", "0x2", "--vps", "64"], stdin=slave,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(slave)
    try:
        os.write(master, (hexwords(0, 0) + "\n" + hexwords(1 << 63) + "\n").encode() + b"\x04")
        out, err = p.communicate(timeout=20)
    finally:
        os.close(master)
    eq(p.returncode, 0, "tty exit")
    contains(err, "reading input from standard input", "tty note")
    eq(json.loads(out)["vp_set"]["vps"], [63], "vps from a terminal")
    # Not at a terminal (a pipe): no note.
    code, out, err = run(tool, ["--control", "0x2", "--vps", "64"],
                         stdin=hexwords(0, 0, 1 << 63))
    eq((code, err), (0, ""), "pipe: no note")
    # "-" reads stdin explicitly, after arguments too.
    j = decoded(tool, ["--control", "0x2", "--vps", "64", hexwords(0), "-"],
                stdin=hexwords(0, 1 << 62))
    eq(j["vp_set"]["vps"], [62], "argument then stdin")


CASES = {name[5:]: f for name, f in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print(__doc__, "cases:", " ".join(CASES), file=sys.stderr)
        sys.exit(1)
    CASES[sys.argv[2]](sys.argv[1])
    print("ok", sys.argv[2])
