#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check_fast_install.sh SOURCE_ROOT MESON
#
# The installed route of the README: "meson setup" with tests, examples
# and the model disabled, then "meson install", must build nothing (the
# library is headers only) and install the headers and a tlbflush.pc with
# the project's version and no placeholder URL. Then the default
# configuration on a machine without spin: the model option is auto, so
# the setup must succeed and simply leave the model suite out.
set -eu

src=${1:?usage: check_fast_install.sh SOURCE_ROOT MESON}
meson=${2:?usage: check_fast_install.sh SOURCE_ROOT MESON}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tlbf-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() {
	echo "FAIL: $*"
	exit 1
}

# 1. The fast install line.
"$meson" setup "$tmp/b" "$src" --prefix=/usr \
	-Dtests=disabled -Dexamples=disabled -Dmodel=disabled >"$tmp/setup.log" 2>&1 ||
	{ cat "$tmp/setup.log"; fail "meson setup with tests and examples disabled"; }
targets=$("$meson" introspect --targets "$tmp/b")
[ "$targets" = "[]" ] || fail "the install build has targets: $targets"
"$meson" install -C "$tmp/b" --destdir "$tmp/root" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "meson install"; }
grep -q "^\[[0-9/]*\] *Compiling\|Linking" "$tmp/install.log" && fail "meson install compiled something"
[ -f "$tmp/root/usr/include/tlbflush/tlbflush.h" ] || fail "tlbflush/tlbflush.h not installed"
pc=$(find "$tmp/root" -name tlbflush.pc | head -n 1)
[ -n "$pc" ] || fail "tlbflush.pc not installed"
version=$("$meson" introspect --projectinfo "$tmp/b" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
grep -qx "Version: $version" "$pc" || fail "tlbflush.pc does not say Version: $version"
if grep -qi "^URL:" "$pc"; then
	fail "tlbflush.pc has a URL: $(grep -i '^URL:' "$pc")"
fi
echo "ok: fast install builds nothing, installs the headers and tlbflush.pc ($version)"

# 2. The default setup with spin missing from PATH (a PATH of links to
# every program of the usual directories but spin).
mkdir "$tmp/bin"
for d in /usr/local/bin /usr/bin; do
	for p in "$d"/*; do
		n=${p##*/}
		[ "$n" = spin ] || [ -e "$tmp/bin/$n" ] || ln -s "$p" "$tmp/bin/$n"
	done
done
if ! PATH=$tmp/bin "$meson" setup "$tmp/nospin" "$src" >"$tmp/nospin.log" 2>&1; then
	cat "$tmp/nospin.log"
	fail "meson setup (model auto) without spin"
fi
if "$meson" introspect --tests "$tmp/nospin" | grep -q '"model-real"'; then
	fail "the model suite is registered without spin"
fi
echo "ok: without spin the default setup succeeds and leaves the model suite out"
