#!/bin/sh
# The headers from C++ (suite "compile").
#   check_cxx.sh CXX CC INCLUDE_DIR TEST_DIR
# CXX is g++ or clang++; CC the C compiler of the same family.
# 1. every public header on its own compiles as C++23 (g++ -std=c++23,
#    clang++ -std=c++2b: the headers use <stdatomic.h>, whose _Atomic(T)
#    is std::atomic<T>), and all of them in one translation unit as C++23
#    and as C++17 (the __atomic builtins), with all warnings as errors;
# 2. ring_interop.cpp + ring_interop_c.c: structures defined in C and used
#    from C++ (layout, push from one language and poll from the other, the
#    VP protocol), and a C++ producer thread against a polling reader;
#    built and run in both C++ modes.
set -u
cxx=$1
cc=$2
inc=$3
dir=$4
case $cxx in
clang*) std23=-std=c++2b ;;
*) std23=-std=c++23 ;;
esac
flags="-Wall -Wextra -Wpedantic -Werror -Wconversion -Wshadow"
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
		sed 's/^/     /' "$tmp/out"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		sed 's/^/     /' "$tmp/out"
	fi
}

: >"$tmp/all.cpp"
for h in "$inc"/tlbflush/*.h; do
	rel=tlbflush/$(basename "$h")
	case $rel in
	tlbflush/tdx_hw.h) [ "$(uname -m)" = x86_64 ] || continue ;;
	esac
	printf '#include "%s"\n' "$rel" >>"$tmp/all.cpp"
	printf '#include "%s"\nint tlbf_cxx_check_unit();\n' "$rel" >"$tmp/one.cpp"
	check "$cxx $std23 $rel" $cxx $std23 $flags -I"$inc" -c "$tmp/one.cpp" -o "$tmp/one.o"
done
for std in $std23 -std=c++17; do
	check "$cxx $std every header in one unit" $cxx $std $flags -I"$inc" -c "$tmp/all.cpp" -o "$tmp/all.o"
done

check "$cc -std=c11 ring_interop_c.c" $cc -std=c11 $flags -I"$inc" -c "$dir/ring_interop_c.c" -o "$tmp/c.o"
for mode in "$std23 -DEXPECT_ATOMIC_GNU=0" "-std=c++17 -DEXPECT_ATOMIC_GNU=1"; do
	check "$cxx $mode ring_interop.cpp (build)" $cxx $mode $flags -O2 -pthread -I"$inc" \
		"$dir/ring_interop.cpp" "$tmp/c.o" -o "$tmp/interop"
	[ -x "$tmp/interop" ] && check "$cxx $mode ring_interop (run)" "$tmp/interop"
	rm -f "$tmp/interop"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
