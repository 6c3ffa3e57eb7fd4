/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/tdx_hw.h - the real TDX backends.
 *
 * Two ways to reach the TDX module, both as a struct tlbf_backend:
 *
 *   tlbf_tdx_tdcall_backend()  kernel or L1 code: TDG.VP.INVGLA is issued
 *       with the TDCALL instruction directly (x86-64 inline assembly). The
 *       embedding code enters the VP itself, so the VP-enter flags are
 *       stored per VP for it to pass to TDG.VP.ENTER, and the kick (an IPI
 *       with wait) and the wake are functions the embedding code supplies.
 *
 *   tlbf_tdx_mshv_backend()    a user-mode paravisor on the mshv_vtl driver:
 *       INVGLA through the MSHV_VTL_TDCALL ioctl, the VP-enter flags
 *       written into each VP's run page, and the kick through one
 *       MSHV_KICKCPUS ioctl for the whole mask (flags: bit 0 wait for the
 *       CPUs to leave the guest, bit 1 cancel their run).
 *
 * x86-64 only: anywhere else this header is an error, never a silent
 * fallback. The ioctl backend also needs a hosted Linux environment.
 * Nothing here can run outside a TD; the tests compile it.
 */
#ifndef TLBFLUSH_TDX_HW_H
#define TLBFLUSH_TDX_HW_H

#if !defined(__x86_64__)
#error "tlbflush/tdx_hw.h needs x86-64 (TDCALL); use tlbflush/mock_backend.h elsewhere"
#endif

#include "config.h"
#include "backend.h"
#include "ring.h"
#include "tdx.h"

#if defined(__linux__) && defined(__STDC_HOSTED__) && __STDC_HOSTED__
#define TLBF_HAVE_MSHV 1
#include <sys/ioctl.h>
#else
#define TLBF_HAVE_MSHV 0
#endif

TLBF_EXTERN_C_BEGIN

/* TDCALL with leaf @leaf and operands RCX, RDX; returns the TDX status in
 * RAX (0 on success). */
static inline uint64_t tlbf__tdx_tdcall(uint64_t leaf, uint64_t rcx, uint64_t rdx)
{
	uint64_t rax = leaf;
	/* TDCALL is 66 0F 01 CC; older assemblers lack the mnemonic. The asm
	 * is __volatile__ because its effect is outside the program: it must
	 * not be removed when the status is unused. R8-R11 may be written. */
	__asm__ __volatile__(".byte 0x66, 0x0f, 0x01, 0xcc"
	                     : "+a"(rax), "+c"(rcx), "+d"(rdx)
	                     :
	                     : "r8", "r9", "r10", "r11", "memory");
	return rax;
}

/* The INVGLA operands of a list of @count ranges at @ranges (the VP's list
 * page, whose frame is @pfn) for @vtl: RCX into *@rcx, RDX returned. */
static inline uint64_t tlbf__tdx_invgla_rdx(unsigned vtl, const uint64_t *ranges, uint32_t count,
                                            uint64_t pfn, uint64_t *rcx)
{
	*rcx = tlbf_tdx_invgla_rcx(vtl, count > 1);
	return count > 1 ? tlbf_tdx_list_info(pfn, 0, count) : ranges[0];
}

/**
 * struct tlbf_tdx_tdcall - context of the direct-TDCALL backend
 * @enter_flags: per VP, the flags for its next TDG.VP.ENTER (caller
 *	storage, VP count entries): pass enter_flags[vp] to TDG.VP.ENTER
 * @list_pfn: per VP, the guest-physical frame number of its list page
 *	(the list buffer given to tlbf_entry_init(): 4 KiB, page-aligned,
 *	TD-private)
 * @kick: the embedding code's kick (IPI the CPUs in the mask; honour
 *	TLBF_KICK_WAIT and TLBF_KICK_CANCEL; backend.h)
 * @wake: the embedding code's wake of halted VPs, or NULL (then the
 *	partition cannot have TLB locks)
 * @arg: the first argument of @kick and @wake
 */
struct tlbf_tdx_tdcall {
	uint64_t *enter_flags;
	const uint64_t *list_pfn;
	int (*kick)(void *arg, const uint64_t *mask, uint32_t nbits, unsigned flags);
	int (*wake)(void *arg, const uint64_t *mask, uint32_t nbits);
	void *arg;
};

static inline int tlbf__tdcall_flush_list(void *ctx, uint32_t vp, unsigned vtl,
                                          const uint64_t *ranges, uint32_t count)
{
	/* TDCALL acts on the VP of the calling CPU, which is @vp. */
	uint64_t rcx;
	uint64_t rdx = tlbf__tdx_invgla_rdx(vtl, ranges, count,
	                                    ((struct tlbf_tdx_tdcall *)ctx)->list_pfn[vp], &rcx);
	return tlbf__tdx_tdcall(TLBF_TDX_TDG_VP_INVGLA, rcx, rdx) == 0 ? 0 : -1;
}

static inline void tlbf__tdcall_flush_at_entry(void *ctx, uint32_t vp, unsigned vtl,
                                               enum tlbf_scope scope)
{
	((struct tlbf_tdx_tdcall *)ctx)->enter_flags[vp] = tlbf_tdx_enter_flags(scope, vtl);
}

static inline int tlbf__tdcall_kick(void *ctx, const uint64_t *mask, uint32_t nbits, unsigned flags)
{
	struct tlbf_tdx_tdcall *t = (struct tlbf_tdx_tdcall *)ctx;
	return t->kick(t->arg, mask, nbits, flags);
}

static inline int tlbf__tdcall_wake(void *ctx, const uint64_t *mask, uint32_t nbits)
{
	struct tlbf_tdx_tdcall *t = (struct tlbf_tdx_tdcall *)ctx;
	return t->wake ? t->wake(t->arg, mask, nbits) : -1;
}

/**
 * tlbf_tdx_tdcall_backend - the direct-TDCALL backend
 * @t: its context (outlives the backend)
 *
 * Returns: the backend; its wake fails (and so does a TLB-lock release
 * that must wake a VP) if @t has no @wake.
 */
static inline struct tlbf_backend tlbf_tdx_tdcall_backend(struct tlbf_tdx_tdcall *t)
{
	static const struct tlbf_backend_ops ops = {
		tlbf__tdcall_flush_list, tlbf__tdcall_flush_at_entry, tlbf__tdcall_kick,
		tlbf__tdcall_wake, NULL,
	};
	struct tlbf_backend be = {&ops, t};
	return be;
}

#if TLBF_HAVE_MSHV

/* mshv_vtl ioctl interface (group 0xB8). */
#define TLBF_MSHV_IOCTL_TYPE 0xB8u
#define TLBF_MSHV_VTL_TDCALL_NR 0x32u
#define TLBF_MSHV_KICKCPUS_NR 0x38u

/* The ioctl the mshv backend calls: tests define it to a recorder. */
#ifndef TLBF_MSHV_IOCTL
#define TLBF_MSHV_IOCTL ioctl
#endif

/**
 * struct tlbf_mshv_tdcall - the MSHV_VTL_TDCALL argument (seven u64:
 *	rax in/out, rcx, rdx, r8, r9 in, r10 and r11 out)
 */
struct tlbf_mshv_tdcall {
	uint64_t rax;
	uint64_t rcx;
	uint64_t rdx;
	uint64_t r8;
	uint64_t r9;
	uint64_t r10_out;
	uint64_t r11_out;
};

/**
 * struct tlbf_mshv_kick - the MSHV_KICKCPUS argument
 * @len: bits in the mask (the backend's buffer holds at least @len bytes,
 *	zero past the VPs, so a driver that reads @len bytes reads nothing
 *	stale)
 * @cpu_mask: the mask, byte-addressed (little-endian u64 words are the
 *	same bytes)
 * @flags: bit 0 wait, bit 1 cancel run
 */
struct tlbf_mshv_kick {
	uint64_t len;
	const uint8_t *cpu_mask;
	uint64_t flags;
};

TLBF_STATIC_ASSERT(sizeof(struct tlbf_mshv_tdcall) == 56, "MSHV_VTL_TDCALL layout");
TLBF_STATIC_ASSERT(sizeof(struct tlbf_mshv_kick) == 24, "MSHV_KICKCPUS layout");

/* Linux _IOWR / _IOW on x86-64: dir 30-31, size 16-29, type 8-15, nr 0-7. */
#define TLBF_MSHV_VTL_TDCALL                                                      \
	((3ul << 30) | ((unsigned long)sizeof(struct tlbf_mshv_tdcall) << 16) |  \
	 (TLBF_MSHV_IOCTL_TYPE << 8) | TLBF_MSHV_VTL_TDCALL_NR)
#define TLBF_MSHV_KICKCPUS                                                        \
	((1ul << 30) | ((unsigned long)sizeof(struct tlbf_mshv_kick) << 16) |    \
	 (TLBF_MSHV_IOCTL_TYPE << 8) | TLBF_MSHV_KICKCPUS_NR)

/**
 * struct tlbf_tdx_mshv - context of the mshv_vtl ioctl backend
 * @fd: the open mshv_vtl file descriptor
 * @run_enter_flags: per VP, the address of the VP-enter flags word in
 *	that VP's mapped run page
 * @list_pfn: per VP, the guest-physical frame number of its list page
 *	(the list buffer given to tlbf_entry_init(): 4 KiB, page-aligned,
 *	TD-private)
 */
struct tlbf_tdx_mshv {
	int fd;
	uint64_t **run_enter_flags;
	const uint64_t *list_pfn;
};

static inline int tlbf__mshv_flush_list(void *ctx, uint32_t vp, unsigned vtl,
                                        const uint64_t *ranges, uint32_t count)
{
	struct tlbf_tdx_mshv *m = (struct tlbf_tdx_mshv *)ctx;
	struct tlbf_mshv_tdcall t;
	/* The ioctl runs on the calling VP's CPU, which is @vp. */
	t.rax = TLBF_TDX_TDG_VP_INVGLA;
	t.rdx = tlbf__tdx_invgla_rdx(vtl, ranges, count, m->list_pfn[vp], &t.rcx);
	t.r8 = 0;
	t.r9 = 0;
	t.r10_out = 0;
	t.r11_out = 0;
	if (TLBF_MSHV_IOCTL(m->fd, TLBF_MSHV_VTL_TDCALL, &t) != 0)
		return -1;
	return t.rax == 0 ? 0 : -1;
}

static inline void tlbf__mshv_flush_at_entry(void *ctx, uint32_t vp, unsigned vtl,
                                             enum tlbf_scope scope)
{
	/* The run page belongs to this VP's thread; the kernel reads it on
	 * the same CPU when the run ioctl enters. */
	*((struct tlbf_tdx_mshv *)ctx)->run_enter_flags[vp] = tlbf_tdx_enter_flags(scope, vtl);
}

/* One MSHV_KICKCPUS of the @nbits-bit @mask. The driver is passed the bit
 * count, and a buffer of at least that many bytes, zero past the mask: a
 * driver that reads the length as a byte count reads zeros there. */
static inline int tlbf__mshv_kickcpus(struct tlbf_tdx_mshv *m, const uint64_t *mask,
                                      uint32_t nbits, unsigned flags)
{
	uint8_t buf[TLBF_MAX_VPS < 64 ? 64 : TLBF_MAX_VPS];
	struct tlbf_mshv_kick k;
	if (nbits > sizeof(buf))
		return -1;
	const uint32_t mask_bytes = (nbits + 7u) / 8u;
	/* @nbits bytes: the mask's bytes, then zeros up to @len bytes. */
	for (uint32_t i = 0; i < nbits; i++) {
		/* Not a conditional expression: its uint8_t operands promote
		 * to int, which -Wconversion reports on the store. */
		uint8_t byte = 0;
		if (i < mask_bytes)
			byte = (uint8_t)(mask[i / 8u] >> (8u * (i % 8u)));
		buf[i] = byte;
	}
	if (nbits % 8u)
		buf[mask_bytes - 1u] &= (uint8_t)((1u << (nbits % 8u)) - 1u);
	k.len = nbits;
	k.cpu_mask = buf;
	k.flags = flags & (TLBF_KICK_WAIT | TLBF_KICK_CANCEL);
	return TLBF_MSHV_IOCTL(m->fd, TLBF_MSHV_KICKCPUS, &k) == 0 ? 0 : -1;
}

static inline int tlbf__mshv_kick(void *ctx, const uint64_t *mask, uint32_t nbits, unsigned flags)
{
	return tlbf__mshv_kickcpus((struct tlbf_tdx_mshv *)ctx, mask, nbits, flags);
}

static inline int tlbf__mshv_wake(void *ctx, const uint64_t *mask, uint32_t nbits)
{
	/* A kick with neither flag: an IPI that ends a halt in the driver's
	 * run loop (a VMM that halts elsewhere wraps this operation). */
	return tlbf__mshv_kickcpus((struct tlbf_tdx_mshv *)ctx, mask, nbits, 0);
}

/**
 * tlbf_tdx_mshv_backend - the mshv_vtl ioctl backend
 * @m: its context (outlives the backend)
 *
 * Returns: the backend.
 */
static inline struct tlbf_backend tlbf_tdx_mshv_backend(struct tlbf_tdx_mshv *m)
{
	static const struct tlbf_backend_ops ops = {
		tlbf__mshv_flush_list, tlbf__mshv_flush_at_entry, tlbf__mshv_kick, tlbf__mshv_wake, NULL,
	};
	struct tlbf_backend be = {&ops, m};
	return be;
}

#endif /* TLBF_HAVE_MSHV */

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_TDX_HW_H */
