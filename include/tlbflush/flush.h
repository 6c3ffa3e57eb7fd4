/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/flush.h - the initiator side of a flush hypercall.
 *
 * After tlbf_hypercall_decode() accepted a request, the VMM's handler calls
 * tlbf_flush_handle(), which does, in order:
 *
 *   1. record the request in its target VTL's ring (tlbf_flush_record()):
 *      Space -> a flush-entire or non-global generation, List -> the ranges
 *      (promoted to flush-entire by the push itself: more ranges than the
 *      ring holds, or a range tlbf_hv_range_classify() does not call
 *      TLBF_HV_RANGE_LISTABLE, as the push reads it);
 *   2. begin a wake plan over the caller's masks (tlbf_wake_plan_begin():
 *      storage checked, then the fence I1) and walk the request's processor
 *      set lazily, deciding for each member (tlbf_flush_plan()); with VSM
 *      TLB locks, the same walk registers the caller with the members that
 *      hold the target VTL's lock;
 *   3. kick the plan's VPs and wait for them (tlbf_wake_send()).
 *
 * Nothing is allocated, nothing is locked, the set is never materialised.
 * The kick goes through the backend interface (backend.h). Steps 1 and 2
 * are public for a VMM that splits them; tlbf_flush_handle() is what the
 * guide uses.
 *
 * The address space named by the request is not used: a flush of the
 * VTL's translations for every address space covers any single one.
 *
 * SYNCHRONIZATION: any number of initiators concurrently, with every VP's
 * entry/exit path running.
 */
#ifndef TLBFLUSH_FLUSH_H
#define TLBFLUSH_FLUSH_H

#include "config.h"
#include "backend.h"
#include "bits.h"
#include "hypercall.h"
#include "partition.h"
#include "ring.h"
#include "stats.h"
#include "status.h"
#include "tlb_lock.h"
#include "trace.h"
#include "vpset.h"
#include "wake.h"

TLBF_EXTERN_C_BEGIN

/* A request tlbf_hypercall_decode() could have produced, or a VMM request
 * of kind GPA: a known kind and target VTL, ranges for a list. */
static inline bool tlbf__flush_request_ok(const struct tlbf_flush_request *req)
{
	return req != NULL && req->target_vtl < TLBF_VTL_COUNT &&
	       req->kind <= TLBF_FLUSH_KIND_GPA &&
	       (req->kind != TLBF_FLUSH_KIND_LIST || req->range_count == 0 || req->ranges != NULL);
}

/**
 * tlbf_flush_record - record a request in its target VTL's ring
 * @pt: the partition
 * @req: a request accepted by tlbf_hypercall_decode(), or one the VMM made
 *	itself (tlbf_flush_request_vmm())
 * @out: how it was recorded, and the mark the wake step compares against
 *
 * A List request is pushed (each range read once from guest memory and
 * classified as it is read); a Space request bumps the flush-entire or
 * non-global generation; a GPA request bumps the guest-physical one.
 * Concurrency: any number of initiators and VPs.
 * Returns: TLBF_STATUS_OK; refused, nothing recorded:
 * TLBF_STATUS_BAD_STORAGE (@out NULL), _BAD_PARTITION, _BAD_REQUEST.
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_flush_record(struct tlbf_partition *pt,
                                                                 const struct tlbf_flush_request *req,
                                                                 struct tlbf_push *out)
{
	if (out == NULL)
		return TLBF_STATUS_BAD_STORAGE;
	if (!tlbf__partition_ok(pt))
		return TLBF_STATUS_BAD_PARTITION;
	if (!tlbf__flush_request_ok(req))
		return TLBF_STATUS_BAD_REQUEST;
	struct tlbf_ring *ring = &pt->rings[req->target_vtl];
	TLBF_PROBE9(flush_request, req->call, req->kind, req->target_vtl, req->flags,
	            req->address_space, req->range_count, req->vps.kind, req->vps.valid,
	            req->vps.kind == TLBF_VPSET_KIND_MASK64 ? req->vps.filter : 0);
	out->result = TLBF_PUSH_RESULT_LISTED;
	out->why = TLBF_PUSH_WHY_NONE;
	if (req->kind == TLBF_FLUSH_KIND_LIST) {
		/* The push reads and classifies each range once and promotes
		 * the request itself: no second pass over guest memory. */
		*out = tlbf_ring_push(ring, req->ranges, req->range_count, req->extended);
	} else if (req->kind == TLBF_FLUSH_KIND_NON_GLOBAL) {
		out->mark = tlbf_ring_flush_non_global(ring);
	} else if (req->kind == TLBF_FLUSH_KIND_GPA) {
		out->mark = tlbf_ring_flush_gpa(ring);
	} else {
		out->mark = tlbf_ring_flush_entire(ring);
	}
	TLBF_PROBE5(push, out->result, out->why, out->mark.kind, out->mark.value, req->target_vtl);
	return TLBF_STATUS_OK;
}

/**
 * tlbf_flush_plan - decide for every VP of a request's set
 * @pl: a plan begun with tlbf_wake_plan_begin() after the request was
 *	recorded (so I1 is behind us), not yet sent
 * @set: the request's processor set (members at or above the partition's
 *	VP count are ignored)
 * @initiator: the VP making the request, or TLBF_NO_VP
 *
 * Walks the set in ascending order, loading each bank word once, and
 * records every member's decision in @pl (tlbf_wake_decide()): the plan's
 * masks hold every VP of the partition, so no decision can be refused
 * half-way. In a partition with TLB locks and an @initiator that is a VP,
 * the same walk registers the initiator with every member holding the
 * lock of the plan's VTL (W1-W4, tlb_lock.h; I1 plays W0's part): the set
 * is read once.
 * Concurrency: the plan's initiator, with any number of initiators and VPs.
 * Returns: TLBF_STATUS_OK; TLBF_STATUS_SUSPEND: the initiator must stay
 * suspended until tlbf_tlb_lock_must_wait() says otherwise (after the
 * plan is sent); TLBF_STATUS_LOCKS_IGNORED: the partition has TLB locks
 * but @initiator is not a VP, so nobody waits for their holders; refused,
 * nothing decided: TLBF_STATUS_BAD_SEQUENCE, _BAD_REQUEST (@set NULL).
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_flush_plan(struct tlbf_wake_plan *pl,
                                                               const struct tlbf_vpset *set,
                                                               uint32_t initiator)
{
	if (pl == NULL || pl->phase != TLBF__PLAN_BEGUN)
		return TLBF_STATUS_BAD_SEQUENCE;
	if (set == NULL)
		return TLBF_STATUS_BAD_REQUEST;
	struct tlbf_partition *pt = pl->pt;
	const bool locks = pt->locks != NULL && initiator < pt->vp_count;
	struct tlbf_vpset_iter it;
	uint32_t vp;
	tlbf_vpset_iter_init(&it, set);
	while (tlbf_vpset_iter_next(&it, &vp)) {
		if (vp >= pt->vp_count)
			break; /* members are ascending: none below the count is left */
		/* The plan was begun, and vp is below the VP count: OK. */
		enum tlbf_status decided = tlbf_wake_decide(pl, vp, initiator, NULL);
		TLBF_ASSERT(decided == TLBF_STATUS_OK);
		(void)decided;
		if (locks && vp != initiator)
			(void)tlbf__tlb_wait_on(pt, initiator, vp, pl->vtl);
	}
	if (pt->locks != NULL && initiator >= pt->vp_count)
		return TLBF_STATUS_LOCKS_IGNORED;
	if (locks && tlbf__tlb_lock_waits(pt, initiator, pl->vtl))
		return TLBF_STATUS_SUSPEND;
	return TLBF_STATUS_OK;
}

/**
 * struct tlbf_flush_outcome - what tlbf_flush_handle() did
 * @push: how the request was recorded
 * @kick_rc: the backend's kick result (0 on success)
 * @suspend: the calling VP waits for TLB-lock holders (TLBF_STATUS_SUSPEND;
 *	also set with TLBF_STATUS_KICK_FAILED when it applies)
 * @plan: the decisions (its masks are @kick and @wait below, counts by
 *	reason)
 * @kick: the kick mask: the VPs this call sent the cancel signal (the
 *	first TLBF_MASK_WORDS(vp_count) words; the rest are not written)
 * @wait: the VPs another initiator was kicking that this call got a
 *	duplicate cancel after its bounded wait (likewise)
 *
 * Caller storage, about 1 KiB with TLBF_MAX_VPS 4096 (the masks). Do not
 * copy it while tlbf_flush_handle() runs.
 */
struct tlbf_flush_outcome {
	struct tlbf_push push;
	int kick_rc;
	bool suspend;
	struct tlbf_wake_plan plan;
	uint64_t kick[TLBF_MASK_WORDS(TLBF_MAX_VPS)];
	uint64_t wait[TLBF_MASK_WORDS(TLBF_MAX_VPS)];
};

/* Index 0-3 of a flush call code (Space, List, SpaceEx, ListEx), else 4. */
static inline unsigned tlbf__flush_call_index(uint64_t code)
{
	return code == TLBF_HVCALL_FLUSH_VA_SPACE      ? 0u
	       : code == TLBF_HVCALL_FLUSH_VA_LIST     ? 1u
	       : code == TLBF_HVCALL_FLUSH_VA_SPACE_EX ? 2u
	       : code == TLBF_HVCALL_FLUSH_VA_LIST_EX  ? 3u
	                                               : 4u;
}

/* Count one call of tlbf_flush_handle() on the initiator's counters @s
 * (NULL: nothing). Empty with TLBF_STATS=0. */
static inline void tlbf__flush_count(struct tlbf_stats *s, const struct tlbf_flush_request *req,
                                     enum tlbf_status st, const struct tlbf_flush_outcome *out)
{
#if TLBF_STATS
	if (!s)
		return;
	if (!tlbf__status_done(st) && st != TLBF_STATUS_KICK_FAILED) {
		tlbf__stat_add(s, TLBF_STAT_REFUSED, 1);
		return;
	}
	unsigned call = tlbf__flush_call_index(req->call);
	if (req->kind == TLBF_FLUSH_KIND_GPA)
		tlbf__stat_add(s, TLBF_STAT_REQ_GPA, 1);
	else if (call < 4 && req->kind < 3)
		tlbf__stat_add(s, TLBF_STAT_REQ_SPACE_ENTIRE + 3 * call + req->kind, 1);
	if ((unsigned)out->push.result <= TLBF_PUSH_RESULT_LAPPED)
		tlbf__stat_add(s, TLBF_STAT_PUSH_LISTED + (unsigned)out->push.result, 1);
	if (out->push.result == TLBF_PUSH_RESULT_PROMOTED && out->push.why != TLBF_PUSH_WHY_NONE &&
	    (unsigned)out->push.why < TLBF_PUSH_WHY__COUNT)
		tlbf__stat_add(s, TLBF_STAT_PROMOTED_TOO_MANY + (unsigned)out->push.why - 1, 1);
	/* Only the decisions that happened (usually one or two reasons). */
	for (uint32_t seen = out->plan.reasons_seen; seen; seen &= seen - 1u) {
		unsigned i = tlbf__ctz64(seen);
		tlbf__stat_add(s, TLBF_STAT_WAKE_KICK + i, out->plan.reasons[i]);
	}
	/* One test for the common case: nobody kicked, nothing failed. */
	if ((out->plan.nkick | out->plan.nlate | out->plan.kick_retries) == 0 &&
	    st == TLBF_STATUS_OK)
		return;
	if (out->plan.nkick + out->plan.nlate)
		tlbf__stat_add(s, TLBF_STAT_KICKS, (uint64_t)out->plan.nkick + out->plan.nlate);
	if (out->plan.nlate)
		tlbf__stat_add(s, TLBF_STAT_LATE, out->plan.nlate);
	if (out->plan.kick_retries)
		tlbf__stat_add(s, TLBF_STAT_KICK_RETRIES, out->plan.kick_retries);
	if (st == TLBF_STATUS_KICK_FAILED)
		tlbf__stat_add(s, TLBF_STAT_KICK_FAILURES, 1);
	if (out->suspend)
		tlbf__stat_add(s, TLBF_STAT_SUSPENDED, 1);
	if (st == TLBF_STATUS_LOCKS_IGNORED)
		tlbf__stat_add(s, TLBF_STAT_LOCKS_IGNORED, 1);
#else
	(void)s;
	(void)req;
	(void)st;
	(void)out;
#endif
}

/**
 * tlbf_flush_handle - record, wake and wait for one flush request
 * @pt: the partition
 * @be: the backend that kicks
 * @req: a request accepted by tlbf_hypercall_decode(), or one the VMM made
 *	itself (tlbf_flush_request_vmm())
 * @initiator: the VP making the request, or TLBF_NO_VP (a VMM's own
 *	request)
 * @stats: the initiator's counters (tlbflush/stats.h), or NULL; counted
 *	only with TLBF_STATS=1
 * @out: the outcome (caller storage)
 *
 * When this returns TLBF_STATUS_OK, no VP of the request's set runs guest
 * code of the target VTL with a translation the request covered until it
 * has flushed it: property S1 (docs/DESIGN.md). Everything is checked
 * before anything is recorded. A set that names no VP of the partition is
 * done at once, with nothing recorded.
 *
 * VSM TLB locks (a partition set up with lock state): the holders of the
 * target VTL's lock among the request's VPs are snapshotted after I1.
 * With an @initiator that is a VP, while any of them holds it the answer
 * is TLBF_STATUS_SUSPEND: the calling VP stays suspended (its hypercall
 * not completed) until tlbf_tlb_lock_must_wait(@initiator) says false,
 * and the call completes then (property S8). With TLBF_NO_VP nobody can
 * be suspended: the answer is TLBF_STATUS_LOCKS_IGNORED (the flush is
 * recorded, woken and waited for like TLBF_STATUS_OK, but no holder was
 * waited for; a VMM's own GPA request after it changed VTL protections is
 * such a call).
 * Concurrency: any number of initiators and VPs.
 * Returns: TLBF_STATUS_OK, _SUSPEND or _LOCKS_IGNORED (done, above);
 * TLBF_STATUS_KICK_FAILED: recorded, but the backend's kick failed twice
 * (@out->kick_rc): the request is not known to be complete; refused,
 * nothing recorded: TLBF_STATUS_BAD_STORAGE (@out NULL), _BAD_PARTITION,
 * _BAD_REQUEST (a request decode would not produce, a VP count other than
 * the partition's), _BAD_BACKEND (no backend, or one without a kick).
 */
TLBF_MUST_CHECK static inline enum tlbf_status
tlbf_flush_handle(struct tlbf_partition *pt, const struct tlbf_backend *be,
                  const struct tlbf_flush_request *req, uint32_t initiator,
                  struct tlbf_stats *stats, struct tlbf_flush_outcome *out)
{
	enum tlbf_status st = TLBF_STATUS_OK;
	if (out == NULL)
		return TLBF_STATUS_BAD_STORAGE;
	out->push.result = TLBF_PUSH_RESULT_EMPTY;
	out->push.why = TLBF_PUSH_WHY_NONE;
	out->push.mark.kind = TLBF_MARK_KIND_NONE;
	out->push.mark.value = 0;
	out->kick_rc = 0;
	out->suspend = false;
	out->plan.phase = 0;
	out->plan.ndecided = out->plan.nkick = out->plan.nwait = 0;
	out->plan.nlate = out->plan.kick_retries = 0;
	out->plan.reasons_seen = 0;
	if (!tlbf__partition_ok(pt))
		st = TLBF_STATUS_BAD_PARTITION;
	else if (!tlbf__flush_request_ok(req) || req->vps.vp_count > pt->vp_count)
		st = TLBF_STATUS_BAD_REQUEST;
	else if (be == NULL || be->ops == NULL || be->ops->kick == NULL)
		st = TLBF_STATUS_BAD_BACKEND;
	if (st != TLBF_STATUS_OK) {
		tlbf__flush_count(stats, req, st, out);
		return st;
	}
	if (!tlbf__vpset_may_contain(&req->vps)) {
		/* A set that names no VP: nothing to record. */
		tlbf__flush_count(stats, req, st, out);
		return TLBF_STATUS_OK;
	}
	/* Checked above, so neither refuses (a warn_unused_result is not
	 * silenced by a cast to void in gcc: the results are kept). */
	enum tlbf_status recorded = tlbf_flush_record(pt, req, &out->push);
	/* The masks hold TLBF_MAX_VPS bits; the plan uses (and clears) only
	 * the words of this partition's VPs. */
	enum tlbf_status begun = tlbf_wake_plan_begin(&out->plan, pt, out->kick, out->wait,
	                                              TLBF_MASK_WORDS(pt->vp_count),
	                                              req->target_vtl, out->push.mark);
	TLBF_ASSERT(recorded == TLBF_STATUS_OK && begun == TLBF_STATUS_OK);
	(void)recorded;
	(void)begun;
	enum tlbf_status planned = tlbf_flush_plan(&out->plan, &req->vps, initiator);
	out->suspend = planned == TLBF_STATUS_SUSPEND;
	st = tlbf_wake_send(&out->plan, be, &out->kick_rc);
	if (st == TLBF_STATUS_OK)
		st = planned;
	tlbf__flush_count(stats, req, st, out);
	return st;
}

/**
 * tlbf_flush_request_vmm - a flush request the VMM makes itself
 * @req: the request (caller storage)
 * @kind: TLBF_FLUSH_KIND_ENTIRE, _NON_GLOBAL or _GPA (after the VMM changed
 *	the target's guest-physical mappings, e.g. VTL protections)
 * @target_vtl: the VTL whose translations are flushed
 * @vp_count: the partition's VP count (the request names every VP)
 *
 * Give it to tlbf_flush_handle() with initiator TLBF_NO_VP (or the VP on
 * whose behalf the VMM acts).
 * Returns: TLBF_STATUS_OK; refused, @req not written:
 * TLBF_STATUS_BAD_STORAGE (@req NULL), _BAD_REQUEST (a list kind, or an
 * unknown one), _BAD_VTL, _BAD_VP_COUNT.
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_flush_request_vmm(struct tlbf_flush_request *req,
                                                                      enum tlbf_flush_kind kind,
                                                                      unsigned target_vtl,
                                                                      uint32_t vp_count)
{
	if (req == NULL)
		return TLBF_STATUS_BAD_STORAGE;
	if (kind != TLBF_FLUSH_KIND_ENTIRE && kind != TLBF_FLUSH_KIND_NON_GLOBAL &&
	    kind != TLBF_FLUSH_KIND_GPA)
		return TLBF_STATUS_BAD_REQUEST;
	if (target_vtl >= TLBF_VTL_COUNT)
		return TLBF_STATUS_BAD_VTL;
	if (vp_count == 0 || vp_count > (uint32_t)TLBF_MAX_VPS)
		return TLBF_STATUS_BAD_VP_COUNT;
	req->call = 0;
	req->kind = (uint8_t)kind;
	req->target_vtl = (uint8_t)target_vtl;
	req->extended = false;
	req->fast = false;
	req->address_space = 0;
	req->flags = TLBF_HV_FLUSH_ALL_PROCESSORS | TLBF_HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES;
	tlbf_vpset_init_all(&req->vps, vp_count);
	req->ranges = NULL;
	req->range_count = 0;
	return TLBF_STATUS_OK;
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_FLUSH_H */
