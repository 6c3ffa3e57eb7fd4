/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/flush.h - the initiator side of a flush hypercall in one place.
 *
 * After tlbf_hypercall_decode() accepted a request, a VMM's handler does
 * three things, each one call here:
 *
 *   1. record it in the ring of its target VTL (tlbf_flush_record()):
 *      Space -> a flush-entire or non-global generation, List -> the ranges
 *      (promoted to flush-entire by the push's own check of each range it
 *      reads, with the rules of tlbf_range_policy());
 *   2. fence (I1) and walk the request's processor set lazily, deciding for
 *      each member with the wake predicate and building the kick plan in
 *      caller storage (tlbf_flush_plan());
 *   3. kick the plan's VPs and wait for them (tlbf_kick_plan_send()).
 *
 * tlbf_flush_handle() does all three. Nothing is allocated, nothing is
 * locked, the set is never materialised: the masks are the only output.
 *
 * The address space named by the request is not used: TDX flushes the L2
 * VM's translations (INVGLA by address, or everything at entry) for all
 * address spaces, which covers any single one.
 *
 * SYNCHRONIZATION: any number of initiators concurrently, with every VP's
 * entry/exit path running (see wake.h).
 */
#ifndef TLBFLUSH_FLUSH_H
#define TLBFLUSH_FLUSH_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "hypercall.h"
#include "ring.h"
#include "tdx_backend.h"
#include "vpset.h"
#include "wake.h"

TLBF_EXTERN_C_BEGIN

/**
 * struct tlbf_partition - what the initiator side needs of a partition
 * @rings: the flush ring of each VTL
 * @vps: the shared state of each VP (vp_count entries)
 * @vp_count: number of VPs
 */
struct tlbf_partition {
	struct tlbf_ring *rings[TLBF_VTL_COUNT];
	struct tlbf_vp *vps;
	uint32_t vp_count;
};

/**
 * tlbf_flush_record - record a decoded request in its target VTL's ring
 * @pt: the partition
 * @req: a request accepted by tlbf_hypercall_decode()
 *
 * Concurrency: any number of initiators and VPs.
 * Returns: how it was recorded and the mark the wake step compares against.
 */
static inline struct tlbf_push tlbf_flush_record(const struct tlbf_partition *pt,
                                                 const struct tlbf_flush_request *req)
{
	struct tlbf_ring *ring = pt->rings[req->target_vtl];
	struct tlbf_push out;
	out.result = TLBF_PUSH_LISTED;
	switch (req->kind) {
	case TLBF_FLUSH_NON_GLOBAL:
		out.mark = tlbf_ring_flush_non_global(ring);
		return out;
	case TLBF_FLUSH_LIST:
		/* The push reads and classifies each range once and promotes
		 * the request itself (tlbf_range_policy()'s rules): no second
		 * pass over guest memory on the common path. */
		return tlbf_ring_push(ring, req->ranges, req->range_count, req->extended);
	default:
		out.mark = tlbf_ring_flush_entire(ring);
		return out;
	}
}

/**
 * tlbf_flush_plan - fence, then decide for every VP of the set
 * @pt: the partition
 * @set: the request's processor set (lazy view; members below vp_count)
 * @initiator: the VP making the request (or >= vp_count if none)
 * @vtl: the target VTL
 * @mark: tlbf_flush_record()'s mark
 * @pl: a plan started with tlbf_kick_plan_init() over at least
 *	TLBF_VPSET_MASK_WORDS(vp_count) words
 *
 * Executes I1 (tlbf_wake_fence()), then walks the set in ascending order,
 * loading each bank word once, and adds every member's decision to @pl.
 * Concurrency: any number of initiators and VPs.
 */
static inline void tlbf_flush_plan(const struct tlbf_partition *pt, const struct tlbf_vpset *set,
                                   uint32_t initiator, unsigned vtl, struct tlbf_mark mark,
                                   struct tlbf_kick_plan *pl)
{
	tlbf_wake_fence();
	struct tlbf_vpset_iter it;
	uint32_t vp;
	tlbf_vpset_iter_init(&it, set);
	while (tlbf_vpset_iter_next(&it, &vp)) {
		if (vp >= pt->vp_count)
			break; /* the view is limited to vp_count; belt and braces */
		tlbf_kick_plan_add(pl, vp, tlbf_wake_decide(&pt->vps[vp], vp, initiator, vtl, mark));
	}
}

/**
 * struct tlbf_flush_outcome - what tlbf_flush_handle() did
 * @push: how the request was recorded
 * @kick_rc: the backend's kick result (0 on success)
 * @plan: the plan (masks in the caller's storage, counts by reason)
 */
struct tlbf_flush_outcome {
	struct tlbf_push push;
	int kick_rc;
	struct tlbf_kick_plan plan;
};

/**
 * tlbf_flush_handle - record, wake and wait for one decoded flush request
 * @pt: the partition
 * @be: the backend that kicks
 * @req: a request accepted by tlbf_hypercall_decode()
 * @initiator: the VP making the request (or >= vp_count if none)
 * @kick_words: TLBF_VPSET_MASK_WORDS(vp_count) words for the kick mask
 * @wait_words: as many words for the wait-only mask
 * @out: the outcome
 *
 * When this returns (with @out->kick_rc == 0), no VP of the request's set
 * runs guest code of the target VTL with a translation the request
 * covered until it has flushed it: property P1.
 * Concurrency: any number of initiators and VPs.
 */
static inline void tlbf_flush_handle(const struct tlbf_partition *pt, const struct tlbf_backend *be,
                                     const struct tlbf_flush_request *req, uint32_t initiator,
                                     uint64_t *kick_words, uint64_t *wait_words,
                                     struct tlbf_flush_outcome *out)
{
	uint32_t nwords = (uint32_t)TLBF_VPSET_MASK_WORDS(pt->vp_count);
	out->push = tlbf_flush_record(pt, req);
	tlbf_kick_plan_init(&out->plan, kick_words, wait_words, nwords);
	tlbf_flush_plan(pt, &req->vps, initiator, req->target_vtl, out->push.mark, &out->plan);
	out->kick_rc = tlbf_kick_plan_send(be, &out->plan, pt->vps, pt->vp_count);
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_FLUSH_H */
