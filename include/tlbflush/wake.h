/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/wake.h - the initiator side, step by step: after recording a
 * request, decide for each VP of its set whether to kick it, gather the
 * decisions into a batched wake plan, send the plan and wait.
 *
 *   record (flush.h, ring.h)  push or bump in the target VTL's ring
 *   tlbf_wake_plan_begin()    check the plan's storage, then I1 (full fence)
 *   tlbf_wake_decide()        per VP: I2 read its state word, I3 read its
 *                             published cursor (if in the guest), I4 CAS
 *                             IN_GUEST -> EXITING (elects one kicker)
 *   tlbf_wake_send()          K1 kick the plan's VPs in one backend call and
 *                             wait; K2 wait for VPs another initiator kicks
 *
 * tlbf_flush_handle() (flush.h) does all of it; these are the building
 * blocks for a VMM that splits the steps. Each checks its arguments before
 * it writes anything shared: the plan's storage is checked when it is
 * begun (so that no decision that moves a VP to EXITING can then fail to
 * be recorded), a decision on a plan that was not begun is refused, and
 * the fence I1 is taken by the call that begins the plan, never left to
 * the caller.
 *
 * The VP side (V1-V4) and the store-buffering pair I1/V2 are described in
 * vp.h.
 *
 * LABELS
 *   I1 seq_cst fence    -> pairs with V2
 *   I2 acquire          -> pairs with V1, V4
 *   I3 acquire          -> pairs with V2 (the fence before the V3 store)
 *   I4 CAS acquire (success and failure: on failure it is a read like I2)
 *   K1 the backend's kick (its own ordering: M1-M4 on the mock)
 *   K2 acquire          -> pairs with V4, V1
 *
 * SYNCHRONIZATION
 *   Any number of initiators, any time, concurrently with every VP's
 *   entry/exit path. A plan belongs to one initiator.
 */
#ifndef TLBFLUSH_WAKE_H
#define TLBFLUSH_WAKE_H

#include "config.h"
#include "atomic_pvt.h"
#include "backend.h"
#include "bits.h"
#include "partition.h"
#include "ring.h"
#include "status.h"
#include "trace.h"
#include "vp.h"

TLBF_EXTERN_C_BEGIN

/**
 * enum tlbf_wake - the wake decision for one VP, with its reason
 * @TLBF_WAKE_KICK: this initiator moved the VP to EXITING: send the cancel
 *	signal and wait for it to leave the guest
 * @TLBF_WAKE_WAIT_ONLY: another initiator is already kicking it: no second
 *	signal, but wait for it to leave the guest (trap T10)
 * @TLBF_WAKE_SKIP_NOT_IN_SET: not in the request's processor set
 * @TLBF_WAKE_SKIP_INITIATOR: the VP making the request (it is outside the
 *	guest and polls before it returns to it)
 * @TLBF_WAKE_SKIP_NOT_STARTED: never ran, holds no translations
 * @TLBF_WAKE_SKIP_OUTSIDE: outside the guest: it polls before entering
 * @TLBF_WAKE_SKIP_OTHER_VTL: running another VTL; it passes through the
 *	entry path (and polls this ring) before running the target VTL
 * @TLBF_WAKE_SKIP_POLLED: already polled past this request
 * @TLBF_WAKE_SKIP_REENTERED: entered the guest again after our I1 fence, so
 *	its poll sees the request (found when the kick CAS fails)
 * @TLBF_WAKE__COUNT: number of reasons
 */
enum tlbf_wake {
	TLBF_WAKE_KICK = 0,
	TLBF_WAKE_WAIT_ONLY,
	TLBF_WAKE_SKIP_NOT_IN_SET,
	TLBF_WAKE_SKIP_INITIATOR,
	TLBF_WAKE_SKIP_NOT_STARTED,
	TLBF_WAKE_SKIP_OUTSIDE,
	TLBF_WAKE_SKIP_OTHER_VTL,
	TLBF_WAKE_SKIP_POLLED,
	TLBF_WAKE_SKIP_REENTERED,
	TLBF_WAKE__COUNT
};

/**
 * tlbf_wake_name - a short name for a wake decision
 * @w: the decision
 *
 * Returns: a static string such as "kick" or "skip-outside".
 */
static inline const char *tlbf_wake_name(enum tlbf_wake w)
{
	switch (w) {
	case TLBF_WAKE_KICK: return "kick";
	case TLBF_WAKE_WAIT_ONLY: return "wait-only";
	case TLBF_WAKE_SKIP_NOT_IN_SET: return "skip-not-in-set";
	case TLBF_WAKE_SKIP_INITIATOR: return "skip-initiator";
	case TLBF_WAKE_SKIP_NOT_STARTED: return "skip-not-started";
	case TLBF_WAKE_SKIP_OUTSIDE: return "skip-outside";
	case TLBF_WAKE_SKIP_OTHER_VTL: return "skip-other-vtl";
	case TLBF_WAKE_SKIP_POLLED: return "skip-polled";
	case TLBF_WAKE_SKIP_REENTERED: return "skip-reentered";
	case TLBF_WAKE__COUNT: break;
	}
	return "?";
}

/* The initiator's full fence between record and wake (I1): pairs with V2
 * in tlbf__vp_announce() (store-buffering pair, see vp.h). Once per
 * request, after recording it and before the first decision. */
static inline void tlbf__wake_fence(void)
{
	TLBF_STEP("I1");
	/* I1: seq_cst fence, pairs with V2. */
	tlbf__fence(TLBF_SEQ_CST);
}

/* I3: has the VP published a cursor at or past @mark in ring @vtl? */
static inline bool tlbf__vp_polled_past(struct tlbf_vp *vp, unsigned vtl, struct tlbf_mark mark)
{
	const unsigned k = (unsigned)mark.kind - 1u; /* LIST 0, ENTIRE 1, NON_GLOBAL 2 */
	if (k >= 3)
		return false; /* NONE, GPA (no cursor is published for it), unknown */
	/* I3: acquire, pairs with the V2 fence that precedes V3 (relaxed) in
	 * the entry that published this cursor: a cursor published by a later
	 * entry than the state word I2 read also tells that the VP exited
	 * the run I2 saw, and everything it did in that run must happen
	 * before this initiator returns. */
	uint64_t c = tlbf__load(&vp->polled[vtl][k], TLBF_ACQUIRE);
	return tlbf__u64_reached(c, mark.value);
}

/*
 * Decide whether VP @vp_index (state @vp) must be kicked for the request
 * @mark recorded in the ring of @vtl, by initiator @initiator (a value >=
 * the VP count when it is not a VP); the caller executed I1 after
 * recording, and checked @vtl and @mark. One acquire load of the state
 * word decides most cases (I2, ordered after I1 by the fence); a VP in the
 * guest costs one more load on the same line (I3) and, if it must be
 * kicked, one CAS (I4) that makes sure a single initiator sends the cancel
 * signal. A VP found EXITING is another initiator's kick: this one only
 * waits for it. Never returns TLBF_WAKE_SKIP_NOT_IN_SET.
 */
static inline enum tlbf_wake tlbf__wake_decide(struct tlbf_vp *vp, uint32_t vp_index,
                                               uint32_t initiator, unsigned vtl,
                                               struct tlbf_mark mark)
{
	if (vp_index == initiator)
		return TLBF_WAKE_SKIP_INITIATOR;
	TLBF_STEP("I2");
	/* I2: acquire, pairs with V1 and V4: a VP seen outside the guest (or
	 * in another VTL) did all its earlier guest accesses before this load.
	 * Ordered after the request's record by I1. */
	uint64_t s = tlbf__load(&vp->state, TLBF_ACQUIRE);
	switch (tlbf__vp_state_mode(s)) {
	case TLBF_VP_NOT_STARTED:
		return TLBF_WAKE_SKIP_NOT_STARTED;
	case TLBF_VP_OUTSIDE:
		return TLBF_WAKE_SKIP_OUTSIDE;
	default:
		break;
	}
	if (tlbf__vp_state_vtl(s) != vtl)
		return TLBF_WAKE_SKIP_OTHER_VTL;
	if (mark.kind == TLBF_MARK_KIND_NONE || tlbf__vp_polled_past(vp, vtl, mark))
		return TLBF_WAKE_SKIP_POLLED;
	if (tlbf__vp_state_mode(s) == TLBF_VP_EXITING)
		return TLBF_BREAK(SKIP_EXITING) ? TLBF_WAKE_SKIP_OUTSIDE : TLBF_WAKE_WAIT_ONLY;
	if (TLBF_BREAK(NO_KICK))
		return TLBF_WAKE_SKIP_OUTSIDE;
	TLBF_STEP("I4");
	/* I4: the CAS only elects the one initiator that signals; the
	 * ordering that makes skipping safe comes from I1/V2. Acquire on
	 * failure, like I2, because the new word may say the VP left (and C11
	 * wants the success order at least as strong). */
	uint64_t exiting = (s & ~TLBF_VP_MODE_MASK) | TLBF_VP_EXITING;
	if (tlbf__cas(&vp->state, &s, exiting, TLBF_ACQUIRE, TLBF_ACQUIRE))
		return TLBF_WAKE_KICK;
	/* The word changed under us: the VP exited, re-entered, or another
	 * initiator kicked it first. */
	if ((s >> TLBF_VP_EPOCH_SHIFT) == (exiting >> TLBF_VP_EPOCH_SHIFT)) {
		if (tlbf__vp_state_mode(s) == TLBF_VP_EXITING)
			return TLBF_BREAK(SKIP_EXITING) ? TLBF_WAKE_SKIP_OUTSIDE : TLBF_WAKE_WAIT_ONLY;
		return TLBF_WAKE_SKIP_OUTSIDE; /* it left the guest by itself */
	}
	/* A newer epoch: its V1 came after our I2 read the old one, so its V2
	 * fence is after our I1 in the fence order and its poll sees our
	 * record. (If it already exited again, it is outside: same answer.) */
	return TLBF_WAKE_SKIP_REENTERED;
}

/**
 * struct tlbf_wake_plan - the decisions of one request: dense VP masks for
 *	one batched kick, in caller storage
 * @kick: bit v set: VP v gets the cancel signal and is waited for
 * @wait: bit v set: VP v is only waited for (another initiator signals
 *	it); after tlbf_wake_send(), the VPs that got a duplicate cancel
 * @nwords: 64-bit words at @kick and at @wait
 * @nkick: bits set in @kick
 * @nwait: bits set in @wait
 * @ndecided: decisions recorded (skips included)
 * @nlate: wait-only VPs that had not left the epoch in which they were
 *	found within TLBF_WAKE_WAIT_SPIN relax steps and got a duplicate cancel
 * @kick_retries: kicks that failed and were sent again
 * @vtl: the target VTL of the request
 * @mark: the request's mark; lets a wait end as soon as the VP has
 *	published a cursor past it
 * @pt: the partition
 * @phase: 0 not begun, 1 begun, 2 sent (private)
 * @reasons: count of each decision, for statistics
 * @reasons_seen: with TLBF_STATS=1, bit w set: @reasons[w] is not 0 (so
 *	that the counting visits only the decisions that happened); with
 *	TLBF_STATS=0 it stays 0
 *
 * Read the fields; only the tlbf_wake_* calls write them.
 */
struct tlbf_wake_plan {
	uint64_t *kick;
	uint64_t *wait;
	uint32_t nwords;
	uint32_t nkick;
	uint32_t nwait;
	uint32_t ndecided;
	uint32_t nlate;
	uint32_t kick_retries;
	unsigned vtl;
	struct tlbf_mark mark;
	struct tlbf_partition *pt;
	uint32_t phase;
	uint32_t reasons[TLBF_WAKE__COUNT];
	uint32_t reasons_seen;
};

TLBF_STATIC_ASSERT(TLBF_WAKE__COUNT <= 32, "a bit of reasons_seen per decision");

#define TLBF__PLAN_BEGUN 1u
#define TLBF__PLAN_SENT 2u

/**
 * tlbf_wake_plan_begin - start a plan for one recorded request, then fence
 * @pl: the plan (caller storage)
 * @pt: the partition
 * @kick: @nwords words for the kick mask
 * @wait: @nwords words for the wait-only mask
 * @nwords: at least TLBF_MASK_WORDS(pt->vp_count)
 *	(TLBF_MASK_WORDS(TLBF_MAX_VPS) always suffices)
 * @vtl: the request's target VTL (the ring it was recorded in)
 * @mark: what recording it returned (struct tlbf_push's @mark)
 *
 * Checks everything the decisions will need, clears both masks and the
 * counts, then executes I1: the full fence between the record and the
 * first decision (pairs with V2). Call it after the request is recorded.
 * Concurrency: the plan's initiator.
 * Returns: TLBF_STATUS_OK; refused (the plan is left not begun, nothing
 * shared was touched): TLBF_STATUS_BAD_STORAGE (@pl, @kick or @wait NULL,
 * or @nwords too short for the partition), _BAD_PARTITION, _BAD_VTL,
 * _BAD_REQUEST (a mark of no known kind).
 */
TLBF_MUST_CHECK static inline enum tlbf_status
tlbf_wake_plan_begin(struct tlbf_wake_plan *pl, struct tlbf_partition *pt, uint64_t *kick,
                     uint64_t *wait, uint32_t nwords, unsigned vtl, struct tlbf_mark mark)
{
	if (pl == NULL)
		return TLBF_STATUS_BAD_STORAGE;
	pl->phase = 0;
	if (!tlbf__partition_ok(pt))
		return TLBF_STATUS_BAD_PARTITION;
	if (kick == NULL || wait == NULL || nwords < TLBF_MASK_WORDS(pt->vp_count))
		return TLBF_STATUS_BAD_STORAGE;
	if (vtl >= TLBF_VTL_COUNT)
		return TLBF_STATUS_BAD_VTL;
	if ((unsigned)mark.kind > TLBF_MARK_KIND_GPA)
		return TLBF_STATUS_BAD_REQUEST;
	pl->kick = kick;
	pl->wait = wait;
	pl->nwords = nwords;
	pl->nkick = 0;
	pl->nwait = 0;
	pl->ndecided = 0;
	pl->nlate = 0;
	pl->kick_retries = 0;
	pl->vtl = vtl;
	pl->mark = mark;
	pl->pt = pt;
	for (uint32_t i = 0; i < nwords; i++) {
		kick[i] = 0;
		wait[i] = 0;
	}
	for (unsigned i = 0; i < TLBF_WAKE__COUNT; i++)
		pl->reasons[i] = 0;
	pl->reasons_seen = 0;
	pl->phase = TLBF__PLAN_BEGUN;
	tlbf__wake_fence();
	return TLBF_STATUS_OK;
}

/* Record decision @w for VP @vp_index (below the partition's VP count, so
 * inside the masks: tlbf_wake_plan_begin() checked their length). */
static inline void tlbf__wake_plan_add(struct tlbf_wake_plan *pl, uint32_t vp_index,
                                       enum tlbf_wake w)
{
	pl->reasons[w]++;
#if TLBF_STATS
	pl->reasons_seen |= UINT32_C(1) << w;
#endif
	pl->ndecided++;
	if (w == TLBF_WAKE_KICK) {
		pl->kick[vp_index / 64] |= UINT64_C(1) << (vp_index % 64);
		pl->nkick++;
	} else if (w == TLBF_WAKE_WAIT_ONLY) {
		pl->wait[vp_index / 64] |= UINT64_C(1) << (vp_index % 64);
		pl->nwait++;
	}
}

/**
 * tlbf_wake_decide - decide for one VP of the request's set, into the plan
 * @pl: a plan begun with tlbf_wake_plan_begin() and not yet sent
 * @vp_index: a VP of the set (the caller walks the set: tlbf_flush_plan()
 *	does it for a decoded request)
 * @initiator: the VP making the request, or TLBF_NO_VP
 * @decision: if not NULL, receives the decision
 *
 * Skips (enum tlbf_wake) a VP that is the initiator, never started, is
 * outside the guest or runs another VTL, has polled past the request, or
 * re-entered after I1; moves a VP in the guest of the target VTL to
 * EXITING and puts it in the kick mask (this initiator sends its cancel);
 * puts a VP another initiator is kicking in the wait-only mask. A VP
 * already in either mask of this plan is not decided again (the earlier
 * decision is returned).
 * Concurrency: the plan's initiator, concurrently with every VP.
 * Returns: TLBF_STATUS_OK; refused, nothing changed: TLBF_STATUS_BAD_SEQUENCE
 * (@pl NULL, not begun, or sent), _BAD_VP (@vp_index not below the VP
 * count).
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_wake_decide(struct tlbf_wake_plan *pl,
                                                                uint32_t vp_index,
                                                                uint32_t initiator,
                                                                enum tlbf_wake *decision)
{
	if (pl == NULL || pl->phase != TLBF__PLAN_BEGUN)
		return TLBF_STATUS_BAD_SEQUENCE;
	if (vp_index >= pl->pt->vp_count)
		return TLBF_STATUS_BAD_VP;
	const uint64_t bit = UINT64_C(1) << (vp_index % 64);
	enum tlbf_wake w;
	if (pl->kick[vp_index / 64] & bit) {
		w = TLBF_WAKE_KICK;
	} else if (pl->wait[vp_index / 64] & bit) {
		w = TLBF_WAKE_WAIT_ONLY;
	} else {
		w = tlbf__wake_decide(&pl->pt->vps[vp_index], vp_index, initiator, pl->vtl, pl->mark);
		tlbf__wake_plan_add(pl, vp_index, w);
	}
	if (decision != NULL)
		*decision = w;
	return TLBF_STATUS_OK;
}

/* One cancel-and-wait kick of the @count VPs of @mask, sent again once if
 * it fails. */
static inline int tlbf__kick(const struct tlbf_backend *be, struct tlbf_wake_plan *pl,
                             const uint64_t *mask, uint32_t count, uint32_t nbits, unsigned flags)
{
	TLBF_STEP("K1");
	TLBF_PROBE3(kick, count, nbits, flags);
	/* K1: the backend's kick; its contract orders the VPs' guest accesses
	 * before its return (M1-M4 on the mock). */
	int rc = be->ops->kick(be->ctx, mask, nbits, flags);
	if (rc != 0) {
		pl->kick_retries++;
		rc = be->ops->kick(be->ctx, mask, nbits, flags);
	}
	return rc;
}

/*
 * K2: wait until the wait-only VP @vp has provably left the epoch it was
 * found in: its state word changed (it exited, V4, or entered again after
 * our I1, V1, whose poll sees our request), or it published a cursor past
 * the plan's mark (I3's rule). Acquire, pairs with V4 and V1: what the VP
 * did in the guest happens before this initiator returns. Returns false
 * if it is still in that epoch after TLBF_WAKE_WAIT_SPIN relax steps.
 */
static inline bool tlbf__wait_left_epoch(const struct tlbf_backend *be,
                                         const struct tlbf_wake_plan *pl, struct tlbf_vp *vp)
{
	uint64_t seen = 0;
	for (uint32_t spins = 0;; spins++) {
		TLBF_STEP("K2");
		/* K2: acquire load, pairs with V4 and V1 (above). */
		uint64_t s = tlbf__load(&vp->state, TLBF_ACQUIRE);
		if (spins == 0)
			seen = s;
		if (s != seen || tlbf__vp_state_mode(s) != TLBF_VP_EXITING)
			return true;
		if (pl->mark.kind != TLBF_MARK_KIND_NONE && tlbf__vp_polled_past(vp, pl->vtl, pl->mark))
			return true;
		if (spins == (uint32_t)TLBF_WAKE_WAIT_SPIN)
			return false;
		tlbf__backend_relax(be);
	}
}

/* The wait-only VPs of @pl (K2), then a cancel of our own for those still
 * in the epoch they were found in; returns @rc, or the late kick's error
 * if @rc was 0. */
static inline int tlbf__wait_or_cancel(const struct tlbf_backend *be, struct tlbf_wake_plan *pl,
                                       struct tlbf_vp *vps, uint32_t nbits, unsigned flags, int rc)
{
	uint32_t words = (nbits + 63) / 64;
	for (uint32_t w = 0; w < words && w < pl->nwords; w++) {
		for (uint64_t bits = pl->wait[w]; bits; bits &= bits - 1) {
			uint64_t bit = bits & (~bits + 1);
			if (tlbf__wait_left_epoch(be, pl, &vps[w * 64 + tlbf__ctz64(bits)]))
				pl->wait[w] &= ~bit;
			else
				pl->nlate++;
		}
	}
	if (pl->nlate) {
		int late_rc = tlbf__kick(be, pl, pl->wait, pl->nlate, nbits, flags);
		if (rc == 0)
			rc = late_rc;
	}
	return rc;
}

/**
 * tlbf_wake_send - issue the batched kick of a plan and wait
 * @pl: a plan begun with tlbf_wake_plan_begin(), its decisions made
 * @be: the backend (its kick is used)
 * @kick_rc: if not NULL, receives the backend's kick result (0 on
 *	success)
 *
 * VPs this initiator moved to EXITING get the cancel signal in one backend
 * call with TLBF_KICK_CANCEL | TLBF_KICK_WAIT (K1). The backend's contract:
 * it returns once each of them is out of the guest and cannot enter it
 * again without seeing the cancel (the mshv_vtl driver's IPI with wait and
 * cancel_run; the mock's M1-M4). A kick that fails is sent once more.
 *
 * VPs another initiator is kicking (wait only) get no second signal at
 * first, and the backend's wait alone would not do: that initiator may not
 * have sent its cancel yet, so the VP may still be about to enter with a
 * poll that missed this request. They are waited for on the protocol's own
 * words (K2) until they have left the epoch they were found in or have
 * published a cursor past the request. That wait is bounded: a VP still in
 * the same epoch after TLBF_WAKE_WAIT_SPIN relax steps gets a duplicate
 * cancel from this initiator, with the backend's wait, so a descheduled or
 * failed kicker never holds this one up. On return the wait mask holds the
 * VPs that got the duplicate cancel (@pl->nlate of them).
 *
 * Every spin goes through the backend's relax hook. A kicking initiator
 * sends its cancels before it waits for anyone, and a late wait ends in a
 * kick of its own, so waits cannot form a cycle. A plan is sent once.
 *
 * Concurrency: any number of initiators, each with its own plan,
 * concurrently with every VP's entry/exit path.
 * Returns: TLBF_STATUS_OK: every VP of the plan is out of the guest or has
 * polled past the request; TLBF_STATUS_KICK_FAILED: the backend's kick
 * failed twice (the request is not known to be complete); refused, nothing
 * changed: TLBF_STATUS_BAD_SEQUENCE (@pl NULL, not begun, or already sent),
 * _BAD_BACKEND (no backend, or one without a kick).
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_wake_send(struct tlbf_wake_plan *pl,
                                                              const struct tlbf_backend *be,
                                                              int *kick_rc)
{
	if (pl == NULL || pl->phase != TLBF__PLAN_BEGUN)
		return TLBF_STATUS_BAD_SEQUENCE;
	if (be == NULL || be->ops == NULL || be->ops->kick == NULL)
		return TLBF_STATUS_BAD_BACKEND;
	pl->phase = TLBF__PLAN_SENT;
	const uint32_t nbits = pl->pt->vp_count;
	const bool wait = !TLBF_BREAK(NO_WAIT);
	const unsigned flags = TLBF_KICK_CANCEL | (wait ? TLBF_KICK_WAIT : 0u);
	int rc = 0;
	if (pl->nkick)
		rc = tlbf__kick(be, pl, pl->kick, pl->nkick, nbits, flags);
	if (pl->nwait && wait)
		rc = tlbf__wait_or_cancel(be, pl, pl->pt->vps, nbits, flags, rc);
	TLBF_PROBE6(wake, pl->nkick, pl->nwait, pl->ndecided - pl->nkick - pl->nwait, pl->nlate,
	            pl->kick_retries, rc);
	if (kick_rc != NULL)
		*kick_rc = rc;
	return rc == 0 ? TLBF_STATUS_OK : TLBF_STATUS_KICK_FAILED;
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_WAKE_H */
