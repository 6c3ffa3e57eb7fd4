/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/wake.h - the initiator side: after recording a request, decide
 * for each VP of its set whether to kick it, gather the decisions into a
 * batched kick plan, send the plan and wait.
 *
 *   record (ring.h)   push or bump in the target VTL's ring
 *   I1  full fence    tlbf_wake_fence(), once per request
 *   I2  read the VP's state word                      \
 *   I3  read its published cursor (if in the guest)   } tlbf_wake_decide()
 *   I4  CAS IN_GUEST -> EXITING (elects one kicker)   /
 *   kick the plan's VPs in one backend call, wait     tlbf_kick_plan_send()
 *   K2  wait for VPs another initiator is kicking
 *
 * The VP side (V1-V4) and the store-buffering pair I1/V2 are described in
 * vp.h.
 *
 * LABELS
 *   I1 seq_cst fence    -> pairs with V2
 *   I2 acquire          -> pairs with V1, V4
 *   I3 acquire          -> pairs with V2 (the fence before the V3 store)
 *   I4 CAS acquire (success and failure: on failure it is a read like I2)
 *   K2 acquire          -> pairs with V4, V1
 *   The kick's own wait ("left the guest") is the backend's: an IPI
 *   acknowledgement on TDX, M1-M4 in mock_backend.h.
 *
 * SYNCHRONIZATION
 *   tlbf_wake_decide / tlbf_kick_plan_*: any number of initiators, any time,
 *   concurrently with every VP's entry/exit path. A plan belongs to one
 *   initiator.
 */
#ifndef TLBFLUSH_WAKE_H
#define TLBFLUSH_WAKE_H

#include "config.h"
#include "atomic_pvt.h"
#include "backend.h"
#include "bits.h"
#include "ring.h"
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
 * @TLBF_WAKE_REFUSED: bad arguments (a VTL not below TLBF_VTL_COUNT, or a
 *	mark of no known kind) for a VP in the guest: nothing decided, no
 *	cursor read. (A VP outside the guest is skipped whatever the request.)
 *	Never the answer for a request tlbf_flush_handle() recorded.
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
	TLBF_WAKE_REFUSED,
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
	case TLBF_WAKE_REFUSED: return "refused";
	case TLBF_WAKE__COUNT: break;
	}
	return "?";
}

/**
 * tlbf_wake_fence - the initiator's full fence between record and wake (I1)
 *
 * I1: pairs with V2 in tlbf_vp_announce() (store-buffering pair, see the
 * top of this header). Call once per request, after recording it in the
 * ring and before the first tlbf_wake_decide().
 */
static inline void tlbf_wake_fence(void)
{
	TLBF_STEP("I1");
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
	return tlbf_u64_reached(c, mark.value);
}

/**
 * tlbf_wake_decide - decide whether one VP of the set must be kicked
 * @vp: the VP's shared state
 * @vp_index: its index
 * @initiator: index of the VP making the request (or a value >= the VP
 *	count when the request does not come from a VP)
 * @vtl: the target VTL (the ring the request was recorded in)
 * @mark: what the request recorded (tlbf_ring_push() / _flush_*())
 *
 * The caller has executed tlbf_wake_fence() after recording the request.
 * One acquire load of the state word decides most cases (I2, ordered after
 * I1 by the fence); a VP in the guest costs one more load on the same line
 * (I3) and, if it must be kicked, one CAS (I4) that makes sure a single
 * initiator sends the cancel signal. A VP found EXITING is another
 * initiator's kick: this one only waits for it.
 *
 * Concurrency: any number of initiators, concurrently with the VP.
 * Returns: the decision (never TLBF_WAKE_SKIP_NOT_IN_SET: set membership is
 * the caller's).
 */
static inline enum tlbf_wake tlbf_wake_decide(struct tlbf_vp *vp, uint32_t vp_index,
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
	switch (tlbf_vp_state_mode(s)) {
	case TLBF_VP_NOT_STARTED:
		return TLBF_WAKE_SKIP_NOT_STARTED;
	case TLBF_VP_OUTSIDE:
		return TLBF_WAKE_SKIP_OUTSIDE;
	default:
		break;
	}
	/* The arguments are checked where they would be used: a VTL the build
	 * does not have never matches the state word's, a mark of no known
	 * kind never indexes the cursors. */
	if (tlbf_vp_state_vtl(s) != vtl)
		return vtl < TLBF_VTL_COUNT ? TLBF_WAKE_SKIP_OTHER_VTL : TLBF_WAKE_REFUSED;
	if (tlbf__vp_polled_past(vp, vtl, mark) || mark.kind == TLBF_MARK_NONE)
		return TLBF_WAKE_SKIP_POLLED;
	if ((unsigned)mark.kind > TLBF_MARK_GPA)
		return TLBF_WAKE_REFUSED;
	if (tlbf_vp_state_mode(s) == TLBF_VP_EXITING)
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
		if (tlbf_vp_state_mode(s) == TLBF_VP_EXITING)
			return TLBF_BREAK(SKIP_EXITING) ? TLBF_WAKE_SKIP_OUTSIDE : TLBF_WAKE_WAIT_ONLY;
		return TLBF_WAKE_SKIP_OUTSIDE; /* it left the guest by itself */
	}
	/* A newer epoch: its V1 came after our I2 read the old one, so its V2
	 * fence is after our I1 in the fence order and its poll sees our
	 * record. (If it already exited again, it is outside: same answer.) */
	return TLBF_WAKE_SKIP_REENTERED;
}

/**
 * struct tlbf_kick_plan - dense CPU masks for one batched kick, in caller
 *	storage
 * @kick: bit v set: VP v gets the cancel signal and is waited for
 * @wait: bit v set: VP v is only waited for (another initiator signals
 *	it); after tlbf_kick_plan_send(), the VPs that got a duplicate cancel
 * @nwords: 64-bit words at @kick and at @wait
 * @nkick: bits set in @kick
 * @nwait: bits set in @wait
 * @ndecided: decisions recorded (skips included)
 * @nlate: wait-only VPs that had not left the epoch in which they were
 *	found within TLBF_WAKE_WAIT_SPIN relax steps and got a duplicate cancel
 * @kick_retries: kicks that failed and were sent again
 * @vtl: the target VTL of the request (set by tlbf_kick_plan_request())
 * @mark: the request's mark (likewise); lets a wait end as soon as the VP
 *	has published a cursor past it
 * @reasons: count of each decision, for statistics
 * @reasons_seen: with TLBF_STATS=1, bit w set: @reasons[w] is not 0 (set
 *	by tlbf_kick_plan_add() with @reasons[w], so that
 *	tlbf_stats_count_flush() visits only the decisions that happened);
 *	with TLBF_STATS=0 it stays 0 (the decisions cost no more than
 *	@reasons)
 */
struct tlbf_kick_plan {
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
	uint32_t reasons[TLBF_WAKE__COUNT];
	uint32_t reasons_seen;
};

TLBF_STATIC_ASSERT(TLBF_WAKE__COUNT <= 32, "a bit of reasons_seen per decision");

/**
 * tlbf_kick_plan_init - start an empty plan over caller storage
 * @pl: the plan
 * @kick: nwords words for the kick mask
 * @wait: nwords words for the wait-only mask
 * @nwords: enough words for the partition's VPs ((vp_count + 63) / 64)
 *
 * Clears both masks and the counts. The plan names no request yet (its
 * waits then end only when the VP leaves the epoch it was found in): see
 * tlbf_kick_plan_request().
 * Concurrency: a plan belongs to one initiator (one flush request).
 */
static inline void tlbf_kick_plan_init(struct tlbf_kick_plan *pl, uint64_t *kick, uint64_t *wait,
                                       uint32_t nwords)
{
	pl->kick = kick;
	pl->wait = wait;
	pl->nwords = nwords;
	pl->nkick = 0;
	pl->nwait = 0;
	pl->ndecided = 0;
	pl->nlate = 0;
	pl->kick_retries = 0;
	pl->vtl = 0;
	pl->mark.kind = TLBF_MARK_NONE;
	pl->mark.value = 0;
	for (uint32_t i = 0; i < nwords; i++) {
		kick[i] = 0;
		wait[i] = 0;
	}
	for (unsigned i = 0; i < TLBF_WAKE__COUNT; i++)
		pl->reasons[i] = 0;
	pl->reasons_seen = 0;
}

/**
 * tlbf_kick_plan_request - name the request a plan is for
 * @pl: the plan
 * @vtl: the target VTL (below TLBF_VTL_COUNT)
 * @mark: what the request recorded
 *
 * With it, a wait for a VP another initiator is kicking also ends once the
 * VP has published a cursor past @mark (its poll consumed the request).
 * tlbf_flush_plan() calls it. A bad VTL or mark is ignored (the waits
 * then use the epoch alone, which is always sufficient).
 * Concurrency: the plan's initiator only.
 */
static inline void tlbf_kick_plan_request(struct tlbf_kick_plan *pl, unsigned vtl,
                                          struct tlbf_mark mark)
{
	if (vtl >= TLBF_VTL_COUNT || (unsigned)mark.kind > TLBF_MARK_GPA)
		return;
	pl->vtl = vtl;
	pl->mark = mark;
}

/**
 * tlbf_kick_plan_add - record one decision in the plan
 * @pl: the plan
 * @vp_index: the VP
 * @w: tlbf_wake_decide()'s answer for it
 *
 * Sets the VP's bit in the kick mask (KICK) or the wait-only mask
 * (WAIT_ONLY) and counts the decision by reason (@reasons; with
 * TLBF_STATS=1 also @reasons_seen). A VP the masks cannot
 * hold (@vp_index >= 64 * nwords) or a decision out of range changes
 * nothing and is refused, in every build.
 * Concurrency: the plan's initiator only.
 * Returns: true if recorded, false if refused.
 */
static inline bool tlbf_kick_plan_add(struct tlbf_kick_plan *pl, uint32_t vp_index, enum tlbf_wake w)
{
	if (vp_index / 64 >= pl->nwords || (unsigned)w >= TLBF_WAKE__COUNT)
		return false;
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
	return true;
}

/* One cancel-and-wait kick of the @count VPs of @mask, sent again once if
 * it fails. */
static inline int tlbf__kick(const struct tlbf_backend *be, struct tlbf_kick_plan *pl,
                             const uint64_t *mask, uint32_t count, uint32_t nbits, unsigned flags)
{
	TLBF_STEP("K1");
	TLBF_PROBE3(kick, count, nbits, flags);
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
                                         const struct tlbf_kick_plan *pl, struct tlbf_vp *vp)
{
	uint64_t seen = 0;
	for (uint32_t spins = 0;; spins++) {
		TLBF_STEP("K2");
		uint64_t s = tlbf__load(&vp->state, TLBF_ACQUIRE);
		if (spins == 0)
			seen = s;
		if (s != seen || tlbf_vp_state_mode(s) != TLBF_VP_EXITING)
			return true;
		if (pl->mark.kind != TLBF_MARK_NONE && tlbf__vp_polled_past(vp, pl->vtl, pl->mark))
			return true;
		if (spins == (uint32_t)TLBF_WAKE_WAIT_SPIN)
			return false;
		tlbf_backend_relax(be);
	}
}

/* The wait-only VPs of @pl (K2), then a cancel of our own for those still
 * in the epoch they were found in; returns @rc, or the late kick's error
 * if @rc was 0. */
static inline int tlbf__wait_or_cancel(const struct tlbf_backend *be, struct tlbf_kick_plan *pl,
                                       struct tlbf_vp *vps, uint32_t nbits, unsigned flags, int rc)
{
	uint32_t words = (nbits + 63) / 64;
	for (uint32_t w = 0; w < words && w < pl->nwords; w++) {
		for (uint64_t bits = pl->wait[w]; bits; bits &= bits - 1) {
			uint64_t bit = bits & (~bits + 1);
			if (tlbf__wait_left_epoch(be, pl, &vps[w * 64 + tlbf_ctz64(bits)]))
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
 * tlbf_kick_plan_send - issue the batched kick of a plan and wait
 * @be: the backend
 * @pl: the plan (tlbf_kick_plan_add() results); its wait mask is rewritten
 * @vps: the partition's VP states (the wait-only VPs are watched there)
 * @nbits: bits in the masks (the partition's VP count)
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
 * kick of its own, so waits cannot form a cycle.
 *
 * Concurrency: any number of initiators, each with its own plan,
 * concurrently with every VP's entry/exit path.
 * Returns: 0, or the backend's kick error (after one retry).
 */
static inline int tlbf_kick_plan_send(const struct tlbf_backend *be, struct tlbf_kick_plan *pl,
                                      struct tlbf_vp *vps, uint32_t nbits)
{
	const bool wait = !TLBF_BREAK(NO_WAIT);
	const unsigned flags = TLBF_KICK_CANCEL | (wait ? TLBF_KICK_WAIT : 0u);
	int rc = 0;
	if (pl->nkick)
		rc = tlbf__kick(be, pl, pl->kick, pl->nkick, nbits, flags);
	if (pl->nwait && wait)
		rc = tlbf__wait_or_cancel(be, pl, vps, nbits, flags, rc);
	TLBF_PROBE6(wake, pl->nkick, pl->nwait, pl->ndecided - pl->nkick - pl->nwait, pl->nlate,
	            pl->kick_retries, rc);
	return rc;
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_WAKE_H */
