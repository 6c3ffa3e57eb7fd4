#!/bin/sh
# tlbflush as a consumer sees it (suite "compile").
#   check_consumers.sh SOURCE_ROOT MESON CC
# Builds and runs tests/consumers/project/consumer.c, a program outside the
# tree, three ways:
#   subproject  the tree in subprojects/tlbflush and dependency('tlbflush');
#               tlbflush's own tests and examples must not be built;
#   pkg-config  meson install --destdir into a temporary root, then
#               pkg-config --cflags tlbflush and a plain cc command line;
#   copy        include/ copied next to the program, plain cc -I.
set -u
src=$(cd "$1" && pwd)
meson=$2
cc=$3
fail=0
pass=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cflags="-std=c11 -Wall -Wextra -Wpedantic -Werror"

step() { # name, then the command
	name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $name"
		grep '^consumer:' "$tmp/out" | sed 's/^/     /'
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		sed 's/^/     /' "$tmp/out"
	fi
}

# 1. meson subproject.
sp=$tmp/subproject
mkdir -p "$sp/subprojects"
cp "$src/tests/consumers/project/meson.build" "$src/tests/consumers/project/consumer.c" "$sp/"
ln -s "$src" "$sp/subprojects/tlbflush"
step "subproject: meson setup" $meson setup "$sp/build" "$sp" --force-fallback-for=tlbflush
step "subproject: meson compile" $meson compile -C "$sp/build"
step "subproject: run" "$sp/build/consumer"
# The subproject's tests and examples are disabled (option 'auto'): no test
# is registered and nothing but the consumer is built.
step "subproject: tlbflush tests and examples not built" sh -c "
	$meson introspect --tests '$sp/build' | grep -q '^\[\]\$' &&
	$meson introspect --targets '$sp/build' | python3 -c '
import json, sys
names = [t[\"name\"] for t in json.load(sys.stdin)]
print(\"targets:\", names)
sys.exit(0 if names == [\"consumer\"] else 1)'"
step "subproject: dependency('tlbflush') came from the subproject" grep -q "^Executing subproject tlbflush" "$sp/build/meson-logs/meson-log.txt"

# 2. installed, through pkg-config.
ib=$tmp/install-build
root=$tmp/root
step "pkg-config: meson setup" $meson setup "$ib" "$src" --prefix=/opt/tlbflush \
	-Dtests=disabled -Dexamples=disabled -Dmodel=disabled
step "pkg-config: meson install --destdir" $meson install -C "$ib" --destdir "$root"
pcdir=$(dirname "$(find "$root" -name tlbflush.pc | head -n 1)")
pcflags=$(echo $(PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$root pkg-config --cflags tlbflush))
echo "     pkg-config --cflags tlbflush: $pcflags"
step "pkg-config: cflags point into the install" test -f "${pcflags#-I}/tlbflush/tlbflush.h"
step "pkg-config: cc" $cc $cflags $pcflags "$src/tests/consumers/project/consumer.c" -o "$tmp/consumer-pc"
step "pkg-config: run" "$tmp/consumer-pc"

# 3. include/ copied into the consumer's tree.
cp -R "$src/include" "$tmp/copied-include"
step "copy: cc" $cc $cflags -I"$tmp/copied-include" "$src/tests/consumers/project/consumer.c" -o "$tmp/consumer-copy"
step "copy: run" "$tmp/consumer-copy"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
