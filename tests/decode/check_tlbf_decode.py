#!/usr/bin/env python3
"""Run examples/tlbf-decode on one named case; check exit code and JSON.

    check_tlbf_decode.py TOOL CASE
"""
import json
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


CASES = {name[5:]: f for name, f in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print(__doc__, "cases:", " ".join(CASES), file=sys.stderr)
        sys.exit(1)
    CASES[sys.argv[2]](sys.argv[1])
    print("ok", sys.argv[2])
