#!/usr/bin/env bash
# Builds tests/kernel/module (the tlbflush headers in an out-of-tree
# module) with kbuild against Debian's linux-headers-amd64, twice: with
# W=1, then with sparse on every file (C=2). Fails on any warning of
# either; prints both outputs.
#
# Exit status: 0 clean, 77 (skipped) when no kernel headers are installed,
# 1 otherwise. KDIR overrides the headers directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
kdir=${KDIR:-$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1 || true)}
if [ -z "$kdir" ] || [ ! -f "$kdir/Makefile" ]; then
	echo "SKIP: no kernel headers in /usr/src/linux-headers-*-amd64 (apt-get install linux-headers-amd64)"
	exit 77
fi
command -v sparse >/dev/null || { echo "FAIL: sparse is not installed (apt-get install sparse)"; exit 1; }

# kbuild writes its objects next to the sources: build a copy.
out=${TLBF_MODULE_DIR:-$repo/build/kernel/module}
rm -rf "$out"
mkdir -p "$out"
cp "$here"/module/Kbuild "$here"/module/*.c "$here"/module/*.h "$out/"

rc=0
check() {
	local what=$1 log
	shift
	log=$(make -C "$kdir" M="$out" TLBF_ROOT="$repo" "$@" modules 2>&1) || rc=1
	# kbuild's own lines; everything else (a compiler or sparse message)
	# is a warning.
	local noise='^make(\[[0-9]+\])?: |^  (CC|CHECK|MODPOST|LD|BTF) |^Skipping BTF generation'
	printf '%s\n' "$log" | sed 's/^/  /'
	if printf '%s\n' "$log" | grep -Evq "$noise"; then
		echo "FAIL: $what printed warnings"
		rc=1
	else
		echo "$what: clean"
	fi
}
echo "module build against $kdir (W=1):"
check "kbuild W=1" W=1
[ -f "$out/tlbflush_demo.ko" ] || { echo "FAIL: no tlbflush_demo.ko"; rc=1; }
echo "sparse $(sparse --version) on every file (C=2):"
check "sparse C=2" W=1 C=2
exit $rc
