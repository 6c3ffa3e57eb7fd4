/* SPDX-License-Identifier: MIT */
/*
 * examples/kvm/layout.h - the guest-physical layout of the small KVM guest
 * (shared by the VMM, demo_kvm.c, and the guest code, guest.S).
 *
 * One 2 MiB memory slot at GPA 0, mapped 1:1 by a 2 MiB page (PD[0]) in
 * every vCPU's page tables. The test mappings are 4 KiB pages at
 * GUEST_TEST_VA (PD[1]), through a page-table page of each vCPU's own: the
 * writer updates every copy. Only #defines: the assembler includes it.
 */
#ifndef TLBF_KVM_LAYOUT_H
#define TLBF_KVM_LAYOUT_H

#define GUEST_MEM_SIZE 0x200000
#define GUEST_GDT 0x1000      /* GDT (and the TSS at GUEST_TSS) */
#define GUEST_TSS 0x1800
#define GUEST_CODE 0x8000     /* guest.S, at most GUEST_CODE_MAX bytes */
#define GUEST_CODE_MAX 0x4000
#define GUEST_PARAMS 0x10000  /* the writer's parameters, below */
#define GUEST_P_NPAGES (GUEST_PARAMS + 0)    /* test pages changed per call */
#define GUEST_P_NVCPUS (GUEST_PARAMS + 8)    /* vCPUs (page-table copies) */
#define GUEST_P_SLOTMASK (GUEST_PARAMS + 16) /* call slots - 1 */
#define GUEST_P_STOP (GUEST_PARAMS + 24)     /* non-zero: the writer stops */
#define GUEST_P_POOLMASK (GUEST_PARAMS + 40) /* pool pages per test page - 1 */
#define GUEST_P_TICKMASK (GUEST_PARAMS + 48) /* a reader exits (PORT_TICK) every mask + 1 loops */
#define GUEST_WGEN (GUEST_PARAMS + 0x100) /* writer w's calls begun at + w * 64 */
#define GUEST_DONE 0x11000    /* done[k][vp]: GUEST_DONE + k * 128 + vp * 8 */
#define GUEST_COUNTERS 0x12000 /* reader vp's loop count at + vp * 64 */
#define GUEST_CALLS 0x13000   /* call slots: 32 bytes each, below */
#define GUEST_CALL_RCX 0      /* control */
#define GUEST_CALL_RDX 8      /* input GPA, or the first input word (fast) */
#define GUEST_CALL_R8 16      /* output GPA, or the second input word (fast) */
#define GUEST_CALL_SET 24     /* the VPs the call flushes (bit per VP) */
#define GUEST_XMM 0x14000    /* slot s's fast input in XMM0-XMM5: 96 of 128 bytes at + s * 128 */
#define GUEST_INPUT 0x20000   /* input page of slot s at + s * 0x1000 */
#define GUEST_OUTPUT 0x60000
#define GUEST_PT_BASE 0x80000 /* vCPU v: PML4, PDPT, PD, PT at + v * 0x4000 */
#define GUEST_POOL 0x100000   /* pool page j of test page k: + ((k << POOL_SHIFT) + j) * 4096 */
#define GUEST_POOL_SHIFT 2
#define GUEST_TEST_VA 0x200000 /* test page k at + k * 4096 */

#define GUEST_MAX_VCPUS 16
#define GUEST_MAX_PAGES 8
#define GUEST_MAX_WRITERS 4
#define GUEST_MAX_SLOTS 64

/* I/O ports of the guest's exits. */
#define PORT_HYPERCALL 0xe0   /* the writer's flush hypercall (RCX, RDX, R8) */
#define PORT_STALE 0xe1       /* a reader saw a stale page: RCX k, RAX done, RBX seen */
#define PORT_TICK 0xe2        /* a reader's periodic exit; the ticker's loop */
#define PORT_STOP 0xe3        /* the writer stopped */
#define PORT_HC_ERROR 0xe4    /* a hypercall returned an error status */

#endif
