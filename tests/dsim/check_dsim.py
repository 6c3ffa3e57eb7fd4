#!/usr/bin/env python3
"""Checks of dsim, the deterministic simulator (suite "dsim").

  check_dsim.py DSIM replay ARGS...   the same run twice: byte-identical
                                      output, exit code 0
  check_dsim.py DSIM clean ARGS...    a seed sweep without a break finds
                                      nothing (no false alarm)
  check_dsim.py DSIM catch ARGS...    a seed sweep with --break must fail
                                      (exit code 1) with an oracle's
                                      finding, print the replay command,
                                      and that command must fail again
                                      with the same finding and trace
"""
import shlex
import subprocess
import sys


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def failure_part(out):
    """From the FAILED line to the end of the trace."""
    lines = out.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("dsim: FAILED"))
    end = next(i for i, l in enumerate(lines) if l.startswith("dsim: replay:"))
    return [l for l in lines[start:end] if not l.startswith("dsim: caught")]


def main():
    dsim, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "replay":
        a = run([dsim] + args)
        b = run([dsim] + args)
        assert a[0] == 0, "exit code %d: %s%s" % (a[0], a[1], a[2])
        assert a[1] and a[1] == b[1], "outputs differ:\n%s\n---\n%s" % (a[1], b[1])
        assert "calls/s" in a[1]
        print("byte-identical (%d bytes)" % len(a[1]))
    elif mode == "clean":
        rc, out, err = run([dsim] + args)
        assert rc == 0 and "no failure" in out, "exit code %d:\n%s%s" % (rc, out, err)
        print(out.strip().splitlines()[-1])
    elif mode == "catch":
        rc, out, err = run([dsim] + args)
        assert rc == 1, "not caught (exit code %d):\n%s%s" % (rc, out, err)
        assert "caught after" in out, out
        part = failure_part(out)
        finding = part[0]
        assert ("stale translation" in finding or "lost wake-up" in finding
                or "early completion" in finding), finding
        replay = [l for l in out.splitlines() if l.startswith("dsim: replay:")][0]
        cmd = shlex.split(replay[len("dsim: replay:"):])
        rc2, out2, err2 = run([dsim] + cmd[1:])
        assert rc2 == 1, "replay did not fail (exit code %d):\n%s%s" % (rc2, out2, err2)
        assert failure_part(out2) == part, "replay differs:\n%s\n---\n%s" % (
            "\n".join(part), "\n".join(failure_part(out2)))
        print([l for l in out.splitlines() if l.startswith("dsim: caught")][0])
        print(finding)
        print("replayed identically: %s" % " ".join(cmd[1:]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
