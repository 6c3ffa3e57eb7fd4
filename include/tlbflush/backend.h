/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/backend.h - the interface between the protocol and the machine.
 *
 * struct tlbf_backend is the one place a VMM selects how operations are
 * carried out: it builds one at start-up and passes it everywhere. The
 * operations are those a flush needs on a TDX-like machine: invalidate a
 * list of guest linear addresses on the calling VP, set the flags of the
 * VP's next entry, kick a set of CPUs out of the guest (and wait), and
 * relax while spinning. Implementations:
 *   - tlbflush/tdx_hw.h:       TDCALL from kernel/L1 code (x86-64 inline
 *                              assembly) or the mshv_vtl ioctls from user
 *                              mode (MSHV_VTL_TDCALL, MSHV_KICKCPUS);
 *   - tlbflush/mock_backend.h: a software TLB per VP, an operation log and
 *                              a kick that waits for VP threads, for tests
 *                              and the simulator.
 * The encodings of the operands (INVGLA operands, VP-enter flags) are in
 * tlbflush/tdx_backend.h; the initiator's use of the kick is in wake.h.
 */
#ifndef TLBFLUSH_BACKEND_H
#define TLBFLUSH_BACKEND_H

#include "config.h"

TLBF_EXTERN_C_BEGIN

/* Kick flags (the MSHV_KICKCPUS flags word uses the same bits). */
#define TLBF_KICK_WAIT 1u   /* return once every CPU in the mask left the guest */
#define TLBF_KICK_CANCEL 2u /* cancel the VP's pending or current run */

/**
 * struct tlbf_backend_ops - the operations a backend implements
 * @invgla_single: TDG.VP.INVGLA of one GLA entry (@gla) for VP @vp
 * @invgla_list: TDG.VP.INVGLA with @list_info; @page is the list page as
 *	the VMM sees it (the mock reads it; hardware reads the GPA)
 * @set_enter_flags: the flags of VP @vp's next TDG.VP.ENTER
 * @kick: kick every CPU whose bit is set in @mask (@nbits bits), with
 *	TLBF_KICK_* @flags
 * @relax: called while an initiator spins waiting for a VP (e.g. a
 *	yield); NULL for a CPU pause
 *
 * Each returns 0 on success or a backend error (a TDX status, -errno).
 */
struct tlbf_backend_ops {
	int (*invgla_single)(void *ctx, uint32_t vp, uint64_t rcx, uint64_t gla);
	int (*invgla_list)(void *ctx, uint32_t vp, uint64_t rcx, uint64_t list_info,
	                   const uint64_t *page);
	void (*set_enter_flags)(void *ctx, uint32_t vp, uint64_t flags);
	int (*kick)(void *ctx, const uint64_t *mask, uint32_t nbits, unsigned flags);
	void (*relax)(void *ctx);
};

/**
 * struct tlbf_backend - a selected backend: its operations and context
 * @ops: the implementation
 * @ctx: its state
 */
struct tlbf_backend {
	const struct tlbf_backend_ops *ops;
	void *ctx;
};

/**
 * tlbf_backend_make - a backend from its operations and context
 * @ops: the implementation (static storage)
 * @ctx: its state
 *
 * Returns: the backend.
 */
static inline struct tlbf_backend tlbf_backend_make(const struct tlbf_backend_ops *ops, void *ctx)
{
	struct tlbf_backend be;
	be.ops = ops;
	be.ctx = ctx;
	return be;
}

/**
 * tlbf_backend_relax - one step of a spin wait
 * @be: the backend
 *
 * Calls the backend's relax hook, or TLBF_CPU_RELAX() when it has none.
 * Every spin of the library on another thread's progress goes through it.
 */
static inline void tlbf_backend_relax(const struct tlbf_backend *be)
{
	if (be->ops->relax)
		be->ops->relax(be->ctx);
	else
		TLBF_CPU_RELAX();
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_BACKEND_H */
