#!/usr/bin/env bash
# KUnit tests of tlbflush inside a User-Mode Linux kernel built from
# Debian's linux-source-6.1, with the kernel's own tools/testing/kunit.
#
#   tests/kernel/run_kunit.sh            (make test-kernel, meson suite kernel)
#
# The kernel tree is extracted once into a cache directory (default
# build/kernel at the top of the repository; TLBF_KUNIT_DIR overrides)
# and its UML build directory is kept there, so a second run only
# recompiles the test and relinks. The test (tests/kernel/kunit) is added
# to the tree as lib/tlbflush/ with one Kconfig and one Makefile line, and
# compiled with -Werror against this repository's include/ directory; it
# is then compiled once more alone with W=1.
#
# Exit status: 0 when every KUnit case passed, 77 (skipped) when
# linux-source-6.1 is neither installed nor installable, 1 otherwise.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tarball=/usr/src/linux-source-6.1.tar.xz
cache=${TLBF_KUNIT_DIR:-$repo/build/kernel}
jobs=${TLBF_KUNIT_JOBS:-2}

if [ ! -f "$tarball" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "installing linux-source-6.1 bc flex bison"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		linux-source-6.1 bc flex bison >/dev/null 2>&1 || true
fi
if [ ! -f "$tarball" ]; then
	echo "SKIP: $tarball not installed and linux-source-6.1 not installable: no KUnit run"
	exit 77
fi
for tool in gcc make bc flex bison python3 tar xz; do
	command -v "$tool" >/dev/null || { echo "FAIL: $tool is needed to build UML"; exit 1; }
done

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one run at a time on a cache

src=$cache/linux-6.1
out=$cache/uml
if [ ! -f "$src/.tlbf-extracted" ]; then
	echo "extracting $tarball into $src (once)"
	rm -rf "$src" "$cache/linux-source-6.1"
	tar -xJf "$tarball" -C "$cache"
	mv "$cache/linux-source-6.1" "$src"
	touch "$src/.tlbf-extracted"
fi

# The test in the tree: lib/tlbflush/, one line in lib/Kconfig and one in
# lib/Makefile (added once).
mkdir -p "$src/lib/tlbflush"
for f in Kconfig tlbflush_kunit.c; do # copied only when changed: no rebuild
	cmp -s "$here/kunit/$f" "$src/lib/tlbflush/$f" || install -m 644 "$here/kunit/$f" "$src/lib/tlbflush/$f"
done
makefile="obj-\$(CONFIG_TLBFLUSH_KUNIT_TEST) += tlbflush_kunit.o
ccflags-y += -Werror -I$repo/include -I$here/common"
[ "$(cat "$src/lib/tlbflush/Makefile" 2>/dev/null)" = "$makefile" ] ||
	printf '%s\n' "$makefile" >"$src/lib/tlbflush/Makefile"
grep -q 'lib/tlbflush/Kconfig' "$src/lib/Kconfig" ||
	printf '\nsource "lib/tlbflush/Kconfig"\n' >>"$src/lib/Kconfig"
grep -q 'tlbflush/' "$src/lib/Makefile" ||
	printf '\nobj-$(CONFIG_TLBFLUSH_KUNIT_TEST) += tlbflush/\n' >>"$src/lib/Makefile"

start=$(date +%s)
log=$cache/kunit.log
rc=0
(cd "$src" && python3 tools/testing/kunit/kunit.py run --kunitconfig="$here/kunit/tlbflush.kunitconfig" \
	--jobs="$jobs" --build_dir="$out" --timeout=600) >"$log" 2>&1 || rc=$?
# KUnit's summary: the results block, from the first test line to the end.
sed -n '/=\{5,\} tlbflush/,$p' "$log" | sed 's/^\[[0-9:]*\] //' | grep -v '^stty: '
if [ "$rc" != 0 ]; then
	echo "FAIL: kunit.py exited $rc; its log: $log"
	tail -n 60 "$log"
	exit 1
fi

# The test once more with W=1 (extra warnings), alone, when it or the
# headers changed since the last clean W=1 build. W=1 also rebuilds a few
# of UML's own generated files, which warn by themselves: only messages
# about the test or this repository's headers count.
w1log=$cache/w1.log
w1sum=$(cat "$here/kunit/tlbflush_kunit.c" "$here"/common/*.h "$repo"/include/tlbflush/*.h | sha256sum | cut -c1-16)
if [ "$(cat "$cache/w1.ok" 2>/dev/null)" = "$w1sum" ]; then
	echo "W=1 build of lib/tlbflush/tlbflush_kunit.o in the UML tree: no warning (sources unchanged since it last ran, $w1sum)"
else
	w1rc=0
	(cd "$src" && make ARCH=um O="$out" W=1 -j"$jobs" lib/tlbflush/tlbflush_kunit.o) >"$w1log" 2>&1 || w1rc=$?
	ours=$(grep -E "(lib/tlbflush/|$repo/include/|$here/)" "$w1log" | grep -E 'warning|error' || true)
	if [ "$w1rc" != 0 ] || [ -n "$ours" ]; then
		echo "FAIL: W=1 build of lib/tlbflush/tlbflush_kunit.o in the UML tree (exit $w1rc):"
		if [ -n "$ours" ]; then echo "$ours"; else tail -n 30 "$w1log"; fi
		exit 1
	fi
	echo "$w1sum" >"$cache/w1.ok"
	echo "W=1 build of lib/tlbflush/tlbflush_kunit.o in the UML tree: no warning" \
		"($(grep -c 'warning:' "$w1log" || true) from UML's own files, not ours)"
fi

summary=$(grep -E 'Testing complete\.' "$log" | tail -n 1 | sed 's/^\[[0-9:]*\] //')
# Every case passed: "Ran N tests: passed: N" and no other count.
n=$(printf '%s\n' "$summary" | sed -n 's/^Testing complete\. Ran \([0-9]*\) tests: passed: \1$/\1/p')
if [ -z "$n" ] || [ "$n" = 0 ]; then
	echo "FAIL: unexpected KUnit summary: $summary"
	exit 1
fi
echo "kunit: $(($(date +%s) - start)) s for the build and the run"
echo "kunit: $n passed, 0 failed"
