#!/bin/sh
# Compile checks of the public headers (suite "compile").
#   check_headers.sh COMPILER INCLUDE_DIR
# 1. every header under INCLUDE_DIR/tlbflush compiles on its own as C11
#    with all warnings as errors;
# 2. the whole library (umbrella, mock backend, and on x86-64 the TDX
#    backends) compiles freestanding (-ffreestanding);
# 3. the same compiles kernel-style: __atomic builtins instead of
#    <stdatomic.h>, -ffreestanding -fno-builtin -nostdinc, with only the
#    compiler's own header directory;
# 4. the whole library at every option's extreme values, with all warnings;
# 5. every nonsense option value is refused by its #error.
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

# Option extremes: each line one build of the whole library.
while read -r opts; do
	[ -n "$opts" ] || continue
	check "$cc options: $opts" $cc $flags $opts -I"$inc" -c "$tmp/fs.c" -o "$tmp/opt.o"
done <<'EOF'
-DTLBF_RING_PUSH_SPIN=0 -DTLBF_RING_CAPACITY=2 -DTLBF_MAX_VPS=1 -DTLBF_VTL_COUNT=1 -DTLBF_MOCK_TLB_ENTRIES=1
-DTLBF_RING_PUSH_SPIN=1 -DTLBF_RING_CAPACITY=4096 -DTLBF_MAX_VPS=64 -DTLBF_GVA_BITS=57 -DTLBF_CACHE_LINE=128
-DTLBF_RING_PUSH_SPIN=65536 -DTLBF_RING_CAPACITY=4 -DTLBF_MAX_VPS=4096 -DTLBF_MOCK_TLB_ENTRIES=65536 -DTLBF_CACHE_LINE=16
-DTLBF_RING_PUSH_SPIN=0 -DTLBF_ATOMIC_GNU=1 -DTLBF_VTL_COUNT=1 -DTLBF_MAX_VPS=64
EOF

# The counters and the USDT probes compiled in (the probes need <sys/sdt.h>).
check "$cc options: -DTLBF_STATS=1" $cc $flags -DTLBF_STATS=1 -I"$inc" -c "$tmp/fs.c" -o "$tmp/opt.o"
if printf '#include <sys/sdt.h>\n' | $cc -E - >/dev/null 2>&1; then
	check "$cc options: -DTLBF_STATS=1 -DTLBF_USDT=1" $cc $flags -DTLBF_STATS=1 -DTLBF_USDT=1 \
		-I"$inc" -c "$tmp/fs.c" -o "$tmp/opt.o"
else
	echo "skip $cc options: -DTLBF_USDT=1 (no <sys/sdt.h>: systemtap-sdt-dev)"
fi

# Nonsense values: each must stop the build with that option's #error.
while read -r opt; do
	[ -n "$opt" ] || continue
	name=${opt%%=*}
	name=${name#-D}
	check "$cc refuses $opt" sh -c \
		"! $cc $flags $opt -I'$inc' -c '$tmp/fs.c' -o '$tmp/bad.o' 2>'$tmp/err' && grep -q '#error.*$name' '$tmp/err'"
done <<'EOF'
-DTLBF_RING_PUSH_SPIN=-1
-DTLBF_RING_PUSH_SPIN=65537
-DTLBF_RING_CAPACITY=1
-DTLBF_RING_CAPACITY=3
-DTLBF_RING_CAPACITY=8192
-DTLBF_MAX_VPS=0
-DTLBF_MAX_VPS=4097
-DTLBF_VTL_COUNT=0
-DTLBF_VTL_COUNT=3
-DTLBF_GVA_BITS=50
-DTLBF_MOCK_TLB_ENTRIES=0
-DTLBF_MOCK_TLB_ENTRIES=3
-DTLBF_CACHE_LINE=8
EOF

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
