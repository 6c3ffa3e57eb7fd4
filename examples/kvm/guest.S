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
 *   writer  (ring 3; RDI = its index w, RSI = writers W) per call g of
 *           its own (counter at GUEST_WGEN + w * 64): writes g into a
 *           fresh pool page of each test page it owns (k = w, w + W, ...),
 *           points the PTE of every vCPU's copy of the page table at it,
 *           issues the flush hypercall of slot g % slots (out
 *           PORT_HYPERCALL; RCX control, RDX input GPA or first input
 *           word, R8 output GPA or second input word, XMM0-XMM5 the rest
 *           of a fast call's input; RAX result) and, when it returned,
 *           writes g into done[k][vp] for its pages and every VP of the
 *           call's set.
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
	mov %rdi, %r12			/* w: this writer's index (its VP) */
	mov %rdi, %r13
	shl $6, %r13
	add $GUEST_WGEN, %r13		/* its call counter */
	mov %rsi, %r11			/* writers: w owns pages w, w + W, ... */
1:	cmpq $0, GUEST_P_STOP
	jne 9f
	mov (%r13), %r14
	inc %r14
	mov %r14, (%r13)		/* g */
	mov %r14, %r9
	and GUEST_P_POOLMASK, %r9	/* pool page j = g % pool */
	mov %r12, %rcx			/* k */
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
	add %r11, %rcx
	cmp GUEST_P_NPAGES, %rcx
	jb 2b
	mov %r14, %rbx
	and GUEST_P_SLOTMASK, %rbx
	shl $5, %rbx			/* slot * 32 */
	mov GUEST_CALLS+GUEST_CALL_RCX(%rbx), %rcx
	mov GUEST_CALLS+GUEST_CALL_RDX(%rbx), %rdx
	mov GUEST_CALLS+GUEST_CALL_R8(%rbx), %r8
	mov %rbx, %rax
	shl $2, %rax			/* slot * 128: its fast XMM input */
	movdqu GUEST_XMM+0(%rax), %xmm0
	movdqu GUEST_XMM+16(%rax), %xmm1
	movdqu GUEST_XMM+32(%rax), %xmm2
	movdqu GUEST_XMM+48(%rax), %xmm3
	movdqu GUEST_XMM+64(%rax), %xmm4
	movdqu GUEST_XMM+80(%rax), %xmm5
	out %al, $PORT_HYPERCALL
	test $0xffff, %eax
	jz 4f
	out %al, $PORT_HC_ERROR
4:	mov GUEST_CALLS+GUEST_CALL_SET(%rbx), %r10
	xor %edx, %edx			/* v */
5:	bt %rdx, %r10
	jnc 7f
	mov %r12, %rcx			/* k: this writer's pages */
6:	mov %rcx, %rax
	shl $7, %rax
	mov %r14, GUEST_DONE(%rax,%rdx,8)	/* done[k][v] = g */
	add %r11, %rcx
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
