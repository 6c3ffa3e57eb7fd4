#!/bin/sh
# Compile checks of the public headers (suite "compile").
#   check_headers.sh COMPILER INCLUDE_DIR
# 1. every header under INCLUDE_DIR/tlbflush compiles on its own as C11
#    with all warnings as errors;
# 2. the whole library (umbrella, mock backend, and on x86-64 the TDX
#    backends) compiles freestanding (-ffreestanding);
# 3. the same compiles kernel-style: __atomic builtins instead of
#    <stdatomic.h>, -ffreestanding -fno-builtin -nostdinc, with only the
#    compiler's own header directory.
set -u
cc=$1
inc=$2
flags="-std=c11 -Wall -Wextra -Wpedantic -Werror -Wconversion -Wshadow"
fail=0
pass=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # name, then the command
	name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		sed 's/^/     /' "$tmp/out"
	fi
}

for h in "$inc"/tlbflush/*.h; do
	rel=tlbflush/$(basename "$h")
	printf '#include "%s"\ntypedef int tlbf_check_unit;\n' "$rel" >"$tmp/one.c"
	check "$cc $rel" $cc $flags -I"$inc" -c "$tmp/one.c" -o "$tmp/one.o"
done

# The whole library: the umbrella, the mock, and (x86-64) the TDX backends.
{
	printf '#include "tlbflush/tlbflush.h"\n#include "tlbflush/mock_backend.h"\n'
	printf '#if defined(__x86_64__)\n#include "tlbflush/tdx_hw.h"\n#endif\n'
	printf 'int tlbf_freestanding_probe(void);\nint tlbf_freestanding_probe(void) { return 0; }\n'
} >"$tmp/fs.c"
check "$cc freestanding library" $cc $flags -ffreestanding -I"$inc" -c "$tmp/fs.c" -o "$tmp/fs.o"

ccinc=$($cc -print-file-name=include)
case $cc in clang*) ccinc=$($cc -print-resource-dir)/include ;; esac
check "$cc kernel-style library" $cc $flags -DTLBF_ATOMIC_GNU=1 -ffreestanding -fno-builtin \
	-nostdinc -isystem "$ccinc" -I"$inc" -c "$tmp/fs.c" -o "$tmp/ks.o"
# The kernel-style build must not have pulled in <stdatomic.h>.
check "$cc kernel-style uses no stdatomic" sh -c \
	"! $cc $flags -DTLBF_ATOMIC_GNU=1 -ffreestanding -nostdinc -isystem '$ccinc' -I'$inc' -M '$tmp/fs.c' | grep -q stdatomic"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
