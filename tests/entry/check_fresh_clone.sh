#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check_fresh_clone.sh SOURCE_ROOT [MAKE_ARGS...]
#
# The README's first command on a fresh clone: clones the committed HEAD of
# SOURCE_ROOT into a temporary directory and runs "make demo" there (with
# DEMO_SECONDS=1 unless MAKE_ARGS say otherwise). A step an entry point
# forgets (a directory it does not create, a target it does not build)
# fails here, although it works in a tree where earlier commands left
# their output behind. make deps is a no-op when the packages are
# installed, so nothing is downloaded. Uncommitted changes are not seen:
# the clone is of HEAD.
#
# Exit status: 0 ok, 77 (skipped) SOURCE_ROOT is not a git checkout or git
# is missing, 1 the demo failed.
set -eu

src=${1:?usage: check_fresh_clone.sh SOURCE_ROOT [MAKE_ARGS...]}
shift
if [ $# -eq 0 ]; then
	set -- DEMO_SECONDS=1
fi
if ! command -v git >/dev/null 2>&1 || ! git -C "$src" rev-parse --verify -q HEAD >/dev/null; then
	echo "skip: $src is not a git checkout"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tlbf-clone.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

git clone -q --no-local "$src" "$tmp/tlbflush"
echo "cloned $(git -C "$tmp/tlbflush" log -1 --format='%h %s')"

# A make above us (make test) must not hand its jobserver or flags down.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES || true
if ! make -C "$tmp/tlbflush" --no-print-directory demo "$@" >"$tmp/demo.log" 2>&1; then
	cat "$tmp/demo.log"
	echo "FAIL: make demo $* in a fresh clone"
	exit 1
fi
cat "$tmp/demo.log"
for exe in shootdown-sim tlbf-decode; do
	if [ ! -x "$tmp/tlbflush/build/plain/examples/$exe" ]; then
		echo "FAIL: make demo did not build examples/$exe"
		exit 1
	fi
done
echo "ok: make demo $* in a fresh clone"
