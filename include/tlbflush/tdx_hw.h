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
 *       with wait) is a function the embedding code supplies.
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
#include "tdx_backend.h"

#if defined(__linux__) && defined(__STDC_HOSTED__) && __STDC_HOSTED__
#define TLBF_HAVE_MSHV 1
#include <sys/ioctl.h>
#else
#define TLBF_HAVE_MSHV 0
#endif

TLBF_EXTERN_C_BEGIN

/**
 * tlbf_tdcall - issue TDCALL with leaf @leaf and operands RCX, RDX
 * @leaf: the TDCALL leaf (RAX)
 * @rcx: first operand
 * @rdx: second operand
 *
 * Returns: the TDX status in RAX (0 on success).
 */
static inline uint64_t tlbf_tdcall(uint64_t leaf, uint64_t rcx, uint64_t rdx)
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

/**
 * struct tlbf_tdx_tdcall - context of the direct-TDCALL backend
 * @enter_flags: per VP, the flags for its next TDG.VP.ENTER (caller storage)
 * @kick: the embedding code's kick (IPI the CPUs in the mask; honour
 *	TLBF_KICK_WAIT and TLBF_KICK_CANCEL)
 * @kick_arg: its first argument
 */
struct tlbf_tdx_tdcall {
	uint64_t *enter_flags;
	int (*kick)(void *kick_arg, const uint64_t *mask, uint32_t nbits, unsigned flags);
	void *kick_arg;
};

static inline int tlbf__tdcall_invgla_single(void *ctx, uint32_t vp, uint64_t rcx, uint64_t gla)
{
	(void)ctx;
	(void)vp; /* TDCALL acts on the VP of the calling CPU */
	return tlbf_tdcall(TLBF_TDG_VP_INVGLA, rcx, gla) == 0 ? 0 : -1;
}

static inline int tlbf__tdcall_invgla_list(void *ctx, uint32_t vp, uint64_t rcx, uint64_t info,
                                           const uint64_t *page)
{
	(void)ctx;
	(void)vp;
	(void)page; /* the TDX module reads the page by its GPA in @info */
	return tlbf_tdcall(TLBF_TDG_VP_INVGLA, rcx, info) == 0 ? 0 : -1;
}

static inline void tlbf__tdcall_set_enter_flags(void *ctx, uint32_t vp, uint64_t flags)
{
	((struct tlbf_tdx_tdcall *)ctx)->enter_flags[vp] = flags;
}

static inline int tlbf__tdcall_kick(void *ctx, const uint64_t *mask, uint32_t nbits, unsigned flags)
{
	struct tlbf_tdx_tdcall *t = (struct tlbf_tdx_tdcall *)ctx;
	return t->kick(t->kick_arg, mask, nbits, flags);
}

/**
 * tlbf_tdx_tdcall_backend - the direct-TDCALL backend
 * @t: its context (outlives the backend)
 *
 * Returns: the backend.
 */
static inline struct tlbf_backend tlbf_tdx_tdcall_backend(struct tlbf_tdx_tdcall *t)
{
	static const struct tlbf_backend_ops ops = {
		tlbf__tdcall_invgla_single,
		tlbf__tdcall_invgla_list,
		tlbf__tdcall_set_enter_flags,
		tlbf__tdcall_kick,
		NULL,
	};
	return tlbf_backend_make(&ops, t);
}

#if TLBF_HAVE_MSHV

/* mshv_vtl ioctl interface (group 0xB8). */
#define TLBF_MSHV_IOCTL_TYPE 0xB8u
#define TLBF_MSHV_VTL_TDCALL_NR 0x32u
#define TLBF_MSHV_KICKCPUS_NR 0x38u

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
 * @len: bits in the mask
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
 */
struct tlbf_tdx_mshv {
	int fd;
	uint64_t **run_enter_flags;
};

static inline int tlbf__mshv_invgla(void *ctx, uint64_t rcx, uint64_t rdx)
{
	struct tlbf_tdx_mshv *m = (struct tlbf_tdx_mshv *)ctx;
	struct tlbf_mshv_tdcall t;
	t.rax = TLBF_TDG_VP_INVGLA;
	t.rcx = rcx;
	t.rdx = rdx;
	t.r8 = 0;
	t.r9 = 0;
	t.r10_out = 0;
	t.r11_out = 0;
	if (ioctl(m->fd, TLBF_MSHV_VTL_TDCALL, &t) != 0)
		return -1;
	return t.rax == 0 ? 0 : -1;
}

static inline int tlbf__mshv_invgla_single(void *ctx, uint32_t vp, uint64_t rcx, uint64_t gla)
{
	(void)vp; /* the ioctl runs on the calling VP's CPU */
	return tlbf__mshv_invgla(ctx, rcx, gla);
}

static inline int tlbf__mshv_invgla_list(void *ctx, uint32_t vp, uint64_t rcx, uint64_t info,
                                         const uint64_t *page)
{
	(void)vp;
	(void)page;
	return tlbf__mshv_invgla(ctx, rcx, info);
}

static inline void tlbf__mshv_set_enter_flags(void *ctx, uint32_t vp, uint64_t flags)
{
	/* The run page belongs to this VP's thread; the kernel reads it on
	 * the same CPU when the run ioctl enters. */
	*((struct tlbf_tdx_mshv *)ctx)->run_enter_flags[vp] = flags;
}

static inline int tlbf__mshv_kick(void *ctx, const uint64_t *mask, uint32_t nbits, unsigned flags)
{
	struct tlbf_tdx_mshv *m = (struct tlbf_tdx_mshv *)ctx;
	struct tlbf_mshv_kick k;
	k.len = nbits;
	k.cpu_mask = (const uint8_t *)mask;
	k.flags = flags & (TLBF_KICK_WAIT | TLBF_KICK_CANCEL);
	return ioctl(m->fd, TLBF_MSHV_KICKCPUS, &k) == 0 ? 0 : -1;
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
		tlbf__mshv_invgla_single,
		tlbf__mshv_invgla_list,
		tlbf__mshv_set_enter_flags,
		tlbf__mshv_kick,
		NULL,
	};
	return tlbf_backend_make(&ops, m);
}

#endif /* TLBF_HAVE_MSHV */

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_TDX_HW_H */
