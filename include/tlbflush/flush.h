/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/flush.h - the initiator side of a flush hypercall in one place.
 *
 * After tlbf_hypercall_decode() accepted a request, a VMM's handler does
 * three things, each one call here:
 *
 *   1. record it in the ring of its target VTL (tlbf_flush_record()):
 *      Space -> a flush-entire or non-global generation, List -> the ranges
 *      (promoted to flush-entire by the push itself: more ranges than the
 *      ring holds, or a range that tlbf_range_classify() does not put in
 *      TLBF_RANGE_LIST, as the push reads it);
 *   2. fence (I1) and walk the request's processor set lazily, deciding for
 *      each member with the wake predicate and building the kick plan in
 *      caller storage (tlbf_flush_plan());
 *   3. kick the plan's VPs and wait for them (tlbf_kick_plan_send()).
 *
 * tlbf_flush_handle() does all three. Nothing is allocated, nothing is
 * locked, the set is never materialised: the masks, in caller storage of a
 * stated length, are the only output. The kick goes through the backend
 * interface (backend.h); nothing here depends on TDX.
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

#include "config.h"
#include "backend.h"
#include "hypercall.h"
#include "ring.h"
#include "vpset.h"
#include "tlb_lock.h"
#include "trace.h"
#include "wake.h"

TLBF_EXTERN_C_BEGIN

/**
 * struct tlbf_partition - what the initiator side needs of a partition
 * @rings: the flush ring of each VTL
 * @vps: the shared state of each VP (vp_count entries)
 * @vp_count: number of VPs
 * @locks: the partition's VSM TLB locks, or NULL (no VTL takes TLB locks);
 *	set with tlbf_partition_set_tlb_locks()
 */
struct tlbf_partition {
	struct tlbf_ring *rings[TLBF_VTL_COUNT];
	struct tlbf_vp *vps;
	uint32_t vp_count;
	struct tlbf_tlb_locks *locks;
};

/**
 * enum tlbf_partition_status - what tlbf_partition_init() found
 * @TLBF_PARTITION_OK: the partition is usable
 * @TLBF_PARTITION_VP_COUNT: @vp_count is 0 or above TLBF_MAX_VPS: this
 *	build cannot serve it (rebuild with a larger TLBF_MAX_VPS)
 * @TLBF_PARTITION_NO_VPS: no VP state array
 * @TLBF_PARTITION_NO_RING: a VTL below TLBF_VTL_COUNT has no ring
 */
enum tlbf_partition_status {
	TLBF_PARTITION_OK = 0,
	TLBF_PARTITION_VP_COUNT,
	TLBF_PARTITION_NO_VPS,
	TLBF_PARTITION_NO_RING
};

/**
 * tlbf_partition_init - set up a partition, refusing what the build cannot serve
 * @pt: caller storage
 * @rings: TLBF_VTL_COUNT ring pointers, one per VTL
 * @vps: @vp_count VP states (caller storage)
 * @vp_count: number of VPs, 1 to TLBF_MAX_VPS
 *
 * Never truncates: a partition larger than TLBF_MAX_VPS is refused, since
 * the VPs past the limit could never be woken. On refusal @pt is left with
 * no VP (vp_count 0), which tlbf_flush_handle() refuses too.
 * Concurrency: before the partition is shared.
 * Returns: TLBF_PARTITION_OK, or why the partition was refused.
 */
static inline enum tlbf_partition_status tlbf_partition_init(struct tlbf_partition *pt,
                                                             struct tlbf_ring *const *rings,
                                                             struct tlbf_vp *vps,
                                                             uint32_t vp_count)
{
	enum tlbf_partition_status st = TLBF_PARTITION_OK;
	if (vp_count == 0 || vp_count > (uint32_t)TLBF_MAX_VPS)
		st = TLBF_PARTITION_VP_COUNT;
	else if (vps == NULL)
		st = TLBF_PARTITION_NO_VPS;
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++) {
		pt->rings[v] = rings ? rings[v] : NULL;
		if (st == TLBF_PARTITION_OK && pt->rings[v] == NULL)
			st = TLBF_PARTITION_NO_RING;
	}
	pt->vps = vps;
	pt->vp_count = st == TLBF_PARTITION_OK ? vp_count : 0;
	pt->locks = NULL;
	return st;
}

/**
 * tlbf_partition_set_tlb_locks - make flush calls honour VSM TLB locks
 * @pt: a partition accepted by tlbf_partition_init()
 * @locks: its TLB locks (tlbf_tlb_locks_init() with the same VP count), or
 *	NULL to stop honouring them
 *
 * From then on tlbf_flush_handle() snapshots the holders of the target
 * VTL's lock among the request's VPs and answers TLBF_FLUSH_SUSPEND while
 * any remains (tlbflush/tlb_lock.h).
 * Concurrency: before the partition is shared.
 * Returns: true; false (nothing changed) if the VP counts differ.
 */
static inline bool tlbf_partition_set_tlb_locks(struct tlbf_partition *pt,
                                                struct tlbf_tlb_locks *locks)
{
	if (locks != NULL && locks->vp_count != pt->vp_count)
		return false;
	pt->locks = locks;
	return true;
}

/**
 * tlbf_flush_record - record a decoded request in its target VTL's ring
 * @pt: the partition
 * @req: a request accepted by tlbf_hypercall_decode(), or one the VMM made
 *	itself with kind TLBF_FLUSH_GPA (tlbf_ring_flush_gpa())
 *
 * Concurrency: any number of initiators and VPs.
 * Returns: how it was recorded and the mark the wake step compares against.
 */
static inline struct tlbf_push tlbf_flush_record(const struct tlbf_partition *pt,
                                                 const struct tlbf_flush_request *req)
{
	struct tlbf_ring *ring = pt->rings[req->target_vtl];
	struct tlbf_push out;
	TLBF_PROBE9(flush_request, req->call, req->kind, req->target_vtl, req->flags,
	            req->address_space, req->range_count, req->vps.kind, req->vps.valid,
	            req->vps.kind == TLBF_VPSET_MASK64 ? req->vps.filter : 0);
	out.result = TLBF_PUSH_LISTED;
	out.why = TLBF_PUSH_WHY_NONE;
	if (req->kind == TLBF_FLUSH_LIST) {
		/* The push reads and classifies each range once and promotes
		 * the request itself: no second pass over guest memory. */
		out = tlbf_ring_push(ring, req->ranges, req->range_count, req->extended);
	} else if (req->kind == TLBF_FLUSH_NON_GLOBAL) {
		out.mark = tlbf_ring_flush_non_global(ring);
	} else if (req->kind == TLBF_FLUSH_GPA) {
		out.mark = tlbf_ring_flush_gpa(ring);
	} else {
		out.mark = tlbf_ring_flush_entire(ring);
	}
	TLBF_PROBE5(push, out.result, out.why, out.mark.kind, out.mark.value, req->target_vtl);
	return out;
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
 * On a partition with TLB locks and an @initiator that is a VP, the same
 * walk registers the initiator with every member holding the lock of
 * @vtl (W1-W4, tlb_lock.h; I1 plays W0's part): the set is read once.
 * Concurrency: any number of initiators and VPs.
 */
static inline void tlbf_flush_plan(const struct tlbf_partition *pt, const struct tlbf_vpset *set,
                                   uint32_t initiator, unsigned vtl, struct tlbf_mark mark,
                                   struct tlbf_kick_plan *pl)
{
	struct tlbf_tlb_locks *locks = initiator < pt->vp_count ? pt->locks : NULL;
	tlbf_wake_fence();
	tlbf_kick_plan_request(pl, vtl, mark);
	struct tlbf_vpset_iter it;
	uint32_t vp;
	tlbf_vpset_iter_init(&it, set);
	while (tlbf_vpset_iter_next(&it, &vp)) {
		if (vp >= pt->vp_count)
			break; /* the view is limited to vp_count; belt and braces */
		tlbf_kick_plan_add(pl, vp, tlbf_wake_decide(&pt->vps[vp], vp, initiator, vtl, mark));
		if (locks != NULL && vp != initiator)
			(void)tlbf__tlb_wait_on(locks, initiator, vp, vtl);
	}
}

/**
 * enum tlbf_flush_status - what tlbf_flush_handle() returns
 * @TLBF_FLUSH_DONE: recorded, woken and waited for: the request is complete
 *	(also a request whose set names no VP: nothing to do)
 * @TLBF_FLUSH_SHORT_MASKS: the caller's masks are shorter than
 *	TLBF_VPSET_MASK_WORDS(vp_count) words: nothing was recorded or sent
 * @TLBF_FLUSH_BAD_PARTITION: the partition was not accepted by
 *	tlbf_partition_init() (VP count 0 or above TLBF_MAX_VPS, no VPs, a
 *	missing ring): nothing was recorded or sent
 * @TLBF_FLUSH_BAD_REQUEST: the request's target VTL is not below
 *	TLBF_VTL_COUNT (not one tlbf_hypercall_decode() accepted): nothing was
 *	recorded or sent
 * @TLBF_FLUSH_KICK_FAILED: recorded, but the backend's kick failed
 *	(@kick_rc in the outcome): the request is not known to be complete
 * @TLBF_FLUSH_SUSPEND: recorded, woken and waited for, but a VP of the set
 *	held the TLB lock of the target VTL (partition with locks only): the
 *	calling VP must stay suspended while tlbf_tlb_lock_must_wait() says
 *	so; the call completes when it says false. (The TLFS words it as the
 *	caller being suspended and the call re-issued when it is resumed:
 *	the re-issued call would find the flush recorded and the snapshot's
 *	holders released, so completing it then is the same for the guest.)
 *	A failed kick wins over it: TLBF_FLUSH_KICK_FAILED is returned, with
 *	the outcome's @suspend set.
 */
enum tlbf_flush_status {
	TLBF_FLUSH_DONE = 0,
	TLBF_FLUSH_SHORT_MASKS,
	TLBF_FLUSH_BAD_PARTITION,
	TLBF_FLUSH_BAD_REQUEST,
	TLBF_FLUSH_KICK_FAILED,
	TLBF_FLUSH_SUSPEND
};

/**
 * struct tlbf_flush_outcome - what tlbf_flush_handle() did
 * @push: how the request was recorded
 * @kick_rc: the backend's kick result (0 on success)
 * @plan: the plan (masks in the caller's storage, counts by reason)
 * @suspend: the calling VP waits for TLB-lock holders (see
 *	TLBF_FLUSH_SUSPEND)
 */
struct tlbf_flush_outcome {
	struct tlbf_push push;
	int kick_rc;
	struct tlbf_kick_plan plan;
	bool suspend;
};

/**
 * tlbf_flush_handle - record, wake and wait for one decoded flush request
 * @pt: the partition
 * @be: the backend that kicks
 * @req: a request accepted by tlbf_hypercall_decode()
 * @initiator: the VP making the request (or >= vp_count if none)
 * @kick_words: storage for the kick mask
 * @wait_words: storage for the wait-only mask
 * @mask_words: 64-bit words at @kick_words and at @wait_words each; at
 *	least TLBF_VPSET_MASK_WORDS(pt->vp_count) (TLBF_VPSET_MASK_WORDS(
 *	TLBF_MAX_VPS) always suffices)
 * @out: the outcome
 *
 * When this returns TLBF_FLUSH_DONE, no VP of the request's set runs guest
 * code of the target VTL with a translation the request covered until it
 * has flushed it: property S1 (docs/DESIGN.md). Short masks are refused
 * before anything is recorded, in every build. With TLB locks
 * (tlbf_partition_set_tlb_locks()) and an @initiator that is a VP, the
 * holders of the target VTL's lock among the request's VPs are
 * snapshotted after I1; while any holds it the answer is
 * TLBF_FLUSH_SUSPEND, and the call is complete once
 * tlbf_tlb_lock_must_wait(@initiator) says false: property S8.
 * Concurrency: any number of initiators and VPs.
 * Returns: TLBF_FLUSH_DONE, TLBF_FLUSH_SUSPEND, or why not (above).
 */
static inline enum tlbf_flush_status tlbf_flush_handle(const struct tlbf_partition *pt,
                                                       const struct tlbf_backend *be,
                                                       const struct tlbf_flush_request *req,
                                                       uint32_t initiator, uint64_t *kick_words,
                                                       uint64_t *wait_words, uint32_t mask_words,
                                                       struct tlbf_flush_outcome *out)
{
	uint32_t nwords = (uint32_t)TLBF_VPSET_MASK_WORDS(pt->vp_count);
	enum tlbf_flush_status st = TLBF_FLUSH_DONE;
	out->push.result = TLBF_PUSH_EMPTY;
	out->push.why = TLBF_PUSH_WHY_NONE;
	out->push.mark.kind = TLBF_MARK_NONE;
	out->push.mark.value = 0;
	out->kick_rc = 0;
	out->suspend = false;
	if (pt->vp_count == 0 || pt->vp_count > (uint32_t)TLBF_MAX_VPS || pt->vps == NULL)
		st = TLBF_FLUSH_BAD_PARTITION;
	else if (req->target_vtl >= TLBF_VTL_COUNT || pt->rings[req->target_vtl] == NULL)
		st = TLBF_FLUSH_BAD_REQUEST;
	else if (mask_words < nwords)
		st = TLBF_FLUSH_SHORT_MASKS;
	if (st != TLBF_FLUSH_DONE || !tlbf_vpset_may_contain(&req->vps)) {
		/* Refused, or a set that names no VP: nothing to record. */
		tlbf_kick_plan_init(&out->plan, kick_words, wait_words, 0);
		return st;
	}
	out->push = tlbf_flush_record(pt, req);
	tlbf_kick_plan_init(&out->plan, kick_words, wait_words, nwords);
	tlbf_flush_plan(pt, &req->vps, initiator, req->target_vtl, out->push.mark, &out->plan);
	out->kick_rc = tlbf_kick_plan_send(be, &out->plan, pt->vps, pt->vp_count);
	/* The holders were snapshotted by tlbf_flush_plan(), after I1. A
	 * VMM's own request (no initiator VP) waits for nobody. */
	if (pt->locks != NULL && initiator < pt->vp_count)
		out->suspend = tlbf__tlb_lock_waits(pt->locks, initiator, req->target_vtl);
	if (out->kick_rc != 0)
		return TLBF_FLUSH_KICK_FAILED;
	return out->suspend ? TLBF_FLUSH_SUSPEND : TLBF_FLUSH_DONE;
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_FLUSH_H */
