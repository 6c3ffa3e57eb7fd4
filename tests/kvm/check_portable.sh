#!/bin/sh
# The portable headers know nothing of KVM: only tlbflush/kvm_backend.h may
# name it in code (suite compile). Then kvm_backend.h on its own compiles as strict
# C11, first include, and after another header with POSIX asked for.
#   check_portable.sh COMPILER INCLUDE_DIR
set -u
cc=$1
inc=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Identifiers only: the comments may name KVM as prior art (gcc strips them).
for h in "$inc"/tlbflush/*.h; do
	case $h in */kvm_backend.h) continue ;; esac
	gcc -fpreprocessed -dD -E -P "$h" 2>/dev/null | grep -in 'kvm' | sed "s|^|$(basename "$h"):|"
done >"$tmp/hits"
if [ -s "$tmp/hits" ]; then
	echo "FAIL portable headers naming KVM in code:"
	sed 's/^/     /' "$tmp/hits"
	fail=1
else
	echo "ok   no portable header names KVM in code"
fi
flags="-std=c11 -Wall -Wextra -Wpedantic -Werror -Wconversion -Wshadow"
printf '#include "tlbflush/kvm_backend.h"\n#include "tlbflush/tlbflush.h"\nint tlbf_probe(void);\nint tlbf_probe(void) { return 0; }\n' >"$tmp/a.c"
printf '#define _POSIX_C_SOURCE 200809L\n#include <stdio.h>\n#include "tlbflush/tlbflush.h"\n#include "tlbflush/kvm_backend.h"\nint tlbf_probe(void);\nint tlbf_probe(void) { return 0; }\n' >"$tmp/b.c"
for f in a b; do
	if $cc $flags -I"$inc" -c "$tmp/$f.c" -o "$tmp/$f.o" 2>"$tmp/err"; then
		echo "ok   $cc kvm_backend.h ($f)"
	else
		echo "FAIL $cc kvm_backend.h ($f)"; sed 's/^/     /' "$tmp/err"; fail=1
	fi
done
exit $fail
