/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/backend.h - the interface between the protocol and the machine,
 * by capability.
 *
 * struct tlbf_backend is the one place a VMM says how the machine carries
 * out what the protocol decides. A backend offers five operations, each a
 * capability a machine has or lacks:
 *
 *   flush_list      flush a list of 4 KiB-page ranges of one VTL on the
 *                   calling VP, now; NULL when the machine cannot (then
 *                   every list becomes a flush at the next entry)
 *   flush_at_entry  the scope of the flush the VP's next entry into a VTL
 *                   carries out (told before every entry, NONE included)
 *   kick            send VPs out of the guest: cancel their run, and wait
 *                   until each has left it (TLBF_KICK_* flags)
 *   wake            end the halt of VPs waiting outside the guest (only
 *                   with VSM TLB locks)
 *   relax           one step of a spin wait; NULL for a CPU pause
 *
 * The library calls flush_list and flush_at_entry from the VP entry driver
 * (tlbflush/entry.h) on the VP's own thread, kick from an initiator
 * (tlbflush/wake.h), wake from a TLB-lock release (tlbflush/tlb_lock.h).
 * Implementations, each in its own header and outside the portable core:
 *   - tlbflush/tdx_hw.h:       Intel TDX (TDCALL, or the mshv_vtl ioctls);
 *   - tlbflush/mock_backend.h: a software TLB per VP, for tests and
 *                              simulation.
 * A backend's encodings live in its own headers; nothing here knows them.
 */
#ifndef TLBFLUSH_BACKEND_H
#define TLBFLUSH_BACKEND_H

#include "config.h"
#include "ring.h"

TLBF_EXTERN_C_BEGIN

/* Kick flags. */
#define TLBF_KICK_WAIT 1u   /* return once every VP in the mask left the guest */
#define TLBF_KICK_CANCEL 2u /* cancel the VP's pending or current run */

/**
 * struct tlbf_backend_ops - the operations a backend implements
 * @flush_list: flush the @count ranges at @ranges (simple-format
 *	HV_GVA_RANGE values: page number in bits 12-63, additional pages in
 *	bits 0-11) of VTL @vtl on VP @vp, which is the calling VP; @count is
 *	1 or more and at most the VP's list capacity (tlbf_entry_init()).
 *	@ranges is the VP's list buffer. Returns 0, or an error (the VP then
 *	flushes every linear translation at its next entry instead). NULL:
 *	the machine cannot flush a list; each becomes TLBF_SCOPE_LINEAR at
 *	the next entry.
 * @flush_at_entry: VP @vp's next entry into VTL @vtl must first flush
 *	@scope (TLBF_SCOPE_NONE: nothing). Called before every entry, on the
 *	VP's thread; the entry either happens with that flush or is
 *	cancelled (the driver then tells the same scope or a stronger one
 *	before the next entry).
 * @kick: for every VP whose bit is set in @mask (@nbits bits): with
 *	TLBF_KICK_CANCEL, make it leave the guest and cancel its next entry
 *	unless that entry begins after this call; with TLBF_KICK_WAIT,
 *	return only once each of them has left the run of guest code it was
 *	in when kicked (or was in none): a later entry of the VP either sees
 *	the cancel and does not happen, or follows it and so passes through
 *	the VP's entry path again. Returns 0 or an error.
 * @wake: end the halt of every VP in @mask (VPs suspended for VSM TLB
 *	locks, halted outside the guest); a wake that arrives before the
 *	halt begins must end it. Returns 0 or an error. Needed only with
 *	TLB locks (tlbf_tlb_unlock() refuses a backend without it); a VMM
 *	whose VPs halt on an eventfd or a futex of its own provides this
 *	operation around its own backend's.
 * @relax: called while an initiator spins waiting for a VP (e.g. a
 *	yield); NULL for a CPU pause (TLBF_CPU_RELAX()).
 */
struct tlbf_backend_ops {
	int (*flush_list)(void *ctx, uint32_t vp, unsigned vtl, const uint64_t *ranges,
	                  uint32_t count);
	void (*flush_at_entry)(void *ctx, uint32_t vp, unsigned vtl, enum tlbf_scope scope);
	int (*kick)(void *ctx, const uint64_t *mask, uint32_t nbits, unsigned flags);
	int (*wake)(void *ctx, const uint64_t *mask, uint32_t nbits);
	void (*relax)(void *ctx);
};

/**
 * struct tlbf_backend - a selected backend: its operations and context
 * @ops: the implementation (static storage)
 * @ctx: its state, passed to every operation
 */
struct tlbf_backend {
	const struct tlbf_backend_ops *ops;
	void *ctx;
};

/* One step of a spin wait: the backend's relax hook, or TLBF_CPU_RELAX().
 * Every spin of the library on another thread's progress goes through it. */
static inline void tlbf__backend_relax(const struct tlbf_backend *be)
{
	if (be->ops->relax)
		be->ops->relax(be->ctx);
	else
		TLBF_CPU_RELAX();
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_BACKEND_H */
