/* SPDX-License-Identifier: MIT */
/*
 * examples/kvm/guest.S - the code of the small KVM guest, as data: the VMM
 * copies guest_code .. guest_code_end to GUEST_CODE. Three entry points
 * (offsets in guest_entry):
 *
 *   reader  (ring 3; RDI = its VP index, RSI = test pages) reads, for each
 *           test page k, done[k][vp] (the last call that flushed it on
 *           this VP and returned) and then the page through its test
 *           mapping: the page holds the call number that mapped it. A
 *           value below done is a stale translation: reported at once
 *           (out PORT_STALE), so the read and its report are one step.
 *   writer  (ring 0) per call g: writes g into a fresh pool page of each
 *           test page, points the PTE of every vCPU's copy of the page
 *           table at it, issues the flush hypercall of slot g % slots
 *           (out PORT_HYPERCALL; RCX control, RDX input, R8 output; RAX
 *           result) and, when it returned, writes g into done[k][vp] for
 *           every VP of the call's set.
 *   ticker  (ring 3) exits in a loop (out PORT_TICK): the cost of an exit.
 */
#include "layout.h"

	.section .rodata
	.balign 16
	.globl guest_code, guest_code_end, guest_entry
	.code64
guest_code:

reader:
	mov %rdi, %r12
	shl $3, %r12			/* vp * 8: the VP's column of done */
	mov %rdi, %r13
	shl $6, %r13			/* vp * 64: its counter */
	xor %r15, %r15
1:	xor %ecx, %ecx
2:	mov %rcx, %rdx
	shl $7, %rdx
	mov GUEST_DONE(%rdx,%r12,1), %rax	/* done[k][vp], first */
	mov %rcx, %rdx
	shl $12, %rdx
	mov GUEST_TEST_VA(%rdx), %rbx		/* then the page */
	cmp %rax, %rbx
	jb 5f
3:	inc %rcx
	cmp %rsi, %rcx
	jb 2b
	incq GUEST_COUNTERS(%r13)
	inc %r15
	test GUEST_P_TICKMASK, %r15
	jnz 1b
	out %al, $PORT_TICK
	jmp 1b
5:	out %al, $PORT_STALE
	jmp 3b

writer:
1:	cmpq $0, GUEST_P_STOP
	jne 9f
	mov GUEST_P_GEN, %r14
	inc %r14
	mov %r14, GUEST_P_GEN		/* g */
	mov %r14, %r9
	and GUEST_P_POOLMASK, %r9	/* pool page j = g % pool */
	xor %ecx, %ecx			/* k */
2:	mov %rcx, %rax
	shl $GUEST_POOL_SHIFT, %rax
	add %r9, %rax
	shl $12, %rax
	add $GUEST_POOL, %rax
	mov %r14, (%rax)		/* the page's content: g */
	or $7, %rax			/* PTE: present, writable, user */
	xor %edx, %edx			/* v */
3:	mov %rdx, %rbx
	shl $14, %rbx
	lea GUEST_PT_BASE+0x3000(%rbx,%rcx,8), %rbx
	mov %rax, (%rbx)		/* vCPU v's copy of the PTE */
	inc %rdx
	cmp GUEST_P_NVCPUS, %rdx
	jb 3b
	inc %rcx
	cmp GUEST_P_NPAGES, %rcx
	jb 2b
	mov %r14, %rbx
	and GUEST_P_SLOTMASK, %rbx
	shl $5, %rbx			/* slot * 32 */
	mov GUEST_CALLS+GUEST_CALL_RCX(%rbx), %rcx
	mov GUEST_CALLS+GUEST_CALL_RDX(%rbx), %rdx
	mov GUEST_CALLS+GUEST_CALL_R8(%rbx), %r8
	out %al, $PORT_HYPERCALL
	test $0xffff, %eax
	jz 4f
	out %al, $PORT_HC_ERROR
4:	mov GUEST_CALLS+GUEST_CALL_SET(%rbx), %r10
	xor %edx, %edx			/* v */
5:	bt %rdx, %r10
	jnc 7f
	xor %ecx, %ecx			/* k */
6:	mov %rcx, %rax
	shl $7, %rax
	mov %r14, GUEST_DONE(%rax,%rdx,8)	/* done[k][v] = g */
	inc %rcx
	cmp GUEST_P_NPAGES, %rcx
	jb 6b
7:	inc %rdx
	cmp GUEST_P_NVCPUS, %rdx
	jb 5b
	jmp 1b
9:	out %al, $PORT_STOP
	jmp 9b

ticker:
1:	out %al, $PORT_TICK
	jmp 1b

guest_code_end:

	.balign 8
guest_entry:
	.quad reader - guest_code
	.quad writer - guest_code
	.quad ticker - guest_code

	.section .note.GNU-stack,"",@progbits
