/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/wake.h - per-VP state, the VP entry/exit path, the wake-decision
 * predicate and the batched kick plan.
 *
 * Each VP has one shared word on its own cache line saying whether it is
 * outside the guest, running guest code of a VTL, or being kicked, plus an
 * entry epoch; the same line holds how far the VP has polled each ring.
 * Nobody else's store ever lands on that line except a kicker's CAS.
 *
 * THE PROTOCOL (both sides; litmus sketch below)
 *
 *   VP entry:   V1 state = IN_GUEST(vtl, epoch+1)    initiator: record (push / bump)
 *               V2 full fence                                   I1 full fence
 *               poll the ring of vtl, apply                     I2 read the VP's state
 *               V3 publish the polled cursor                    I3 read its polled cursor
 *               enter guest code                                I4 CAS IN_GUEST -> EXITING
 *   VP exit:    V4 state = OUTSIDE (release)                    kick the mask, wait
 *
 * Store-buffering pair (V1/V2 against record/I1):
 *
 *     VP                               initiator
 *     state = IN_GUEST    (V1)         ring: seq = pub(k)   (P6, or G1)
 *     fence seq_cst       (V2)         fence seq_cst        (I1)
 *     poll: read seq      (C4)         read state           (I2)
 *
 *   The VP must see the initiator's publication, or the initiator must see
 *   IN_GUEST, or both. Without V2 or I1 both reads may return the old
 *   values (each store still sits in its CPU's store buffer): the VP enters
 *   without flushing and the initiator skips it as OUTSIDE (trap T1).
 *   With both fences, one fence is first in the single total order of
 *   seq_cst fences, and the other thread's read after its own fence sees
 *   the store made before the first one.
 *
 * SYNCHRONIZATION TABLE
 *   tlbf_vp_* entry/exit functions: only the VP's own thread, for its VP.
 *   tlbf_wake_decide / tlbf_kick_plan_*: any number of initiators, any time,
 *   concurrently with every VP's entry/exit path.
 *
 * STATE WORD
 *   bits 0-1 mode (NOT_STARTED 0, OUTSIDE 1, IN_GUEST 2, EXITING 3),
 *   bit 2 VTL, bits 8-63 entry epoch (incremented by each V1; 56 bits, so
 *   it cannot come back to the same value while one initiator looks).
 *   Only the VP writes it, except the IN_GUEST -> EXITING CAS of a kicker.
 *
 * LABELS
 *   V1 release          -> pairs with I2     V2 seq_cst fence -> pairs with I1
 *   V3 relaxed (see tlbf_vp_publish)        V4 release -> pairs with I2
 *   I1 seq_cst fence    -> pairs with V2     I2 acquire -> pairs with V1, V4
 *   I3 relaxed (see V3) I4 CAS acquire (for its failure case, as I2)
 *   The kick's wait ("left the guest") is the backend's: an IPI
 *   acknowledgement on TDX, M1-M4 in mock_backend.h.
 */
#ifndef TLBFLUSH_WAKE_H
#define TLBFLUSH_WAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "atomic_pvt.h"
#include "config.h"
#include "ring.h"

TLBF_EXTERN_C_BEGIN

/* VP modes (state word bits 0-1). */
#define TLBF_VP_NOT_STARTED 0u
#define TLBF_VP_OUTSIDE 1u
#define TLBF_VP_IN_GUEST 2u
#define TLBF_VP_EXITING 3u

#define TLBF_VP_MODE_MASK UINT64_C(3)
#define TLBF_VP_VTL_SHIFT 2
#define TLBF_VP_EPOCH_SHIFT 8

/**
 * struct tlbf_vp - the shared state of one VP, alone on its cache line
 * @state: mode, VTL and entry epoch (see STATE WORD above)
 * @polled: per VTL ring, the reader cursor the VP last published after a
 *	poll: [0] list ticket, [1] flush-entire generation, [2] non-global
 *	generation. Read by initiators to skip VPs that already polled past
 *	their request.
 */
struct tlbf_vp {
	TLBF_ALIGNAS(TLBF_CACHE_LINE) TLBF_ATOMIC(uint64_t) state;
	TLBF_ATOMIC(uint64_t) polled[TLBF_VTL_COUNT][3];
};

TLBF_STATIC_ASSERT(sizeof(struct tlbf_vp) == TLBF_CACHE_LINE || TLBF_CACHE_LINE < 64,
                   "struct tlbf_vp must fill exactly one cache line");

/**
 * struct tlbf_vp_local - what only the VP's own thread touches
 * @cursor: its reader cursor in each VTL's ring
 * @epoch: entry epoch of the last V1
 */
struct tlbf_vp_local {
	struct tlbf_cursor cursor[TLBF_VTL_COUNT];
	uint64_t epoch;
};

/**
 * tlbf_vp_state_mode - mode of a state word
 * @state: a value of struct tlbf_vp.state
 *
 * Returns: TLBF_VP_NOT_STARTED, _OUTSIDE, _IN_GUEST or _EXITING.
 */
static inline unsigned tlbf_vp_state_mode(uint64_t state)
{
	return (unsigned)(state & TLBF_VP_MODE_MASK);
}

/**
 * tlbf_vp_state_vtl - VTL of an IN_GUEST or EXITING state word
 * @state: a state value
 *
 * Returns: 0 or 1.
 */
static inline unsigned tlbf_vp_state_vtl(uint64_t state)
{
	return (unsigned)((state >> TLBF_VP_VTL_SHIFT) & 1);
}

static inline uint64_t tlbf__vp_word(unsigned mode, unsigned vtl, uint64_t epoch)
{
	return (epoch << TLBF_VP_EPOCH_SHIFT) | ((uint64_t)vtl << TLBF_VP_VTL_SHIFT) | mode;
}

/**
 * tlbf_vp_init - put a VP in the never-started state
 * @vp: shared state, caller storage (e.g. an array of TLBF_MAX_VPS)
 *
 * A never-started VP holds no translations, so initiators skip it.
 * All-zero storage is the same state. Concurrency: before publication.
 */
static inline void tlbf_vp_init(struct tlbf_vp *vp)
{
	tlbf__init(&vp->state, 0);
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		for (unsigned i = 0; i < 3; i++)
			tlbf__init(&vp->polled[v][i], 0);
}

/**
 * tlbf_vp_publish - tell initiators how far this VP has polled a ring (V3)
 * @vp: the VP's shared state
 * @l: the VP's private state
 * @vtl: the ring (VTL) just polled and applied
 *
 * Call after the flush the poll asked for has been applied (or, on TDX,
 * made pending for the next entry), before running guest code.
 *
 * V3: relaxed. An initiator that reads a cursor past its request (I3) only
 * learns that this VP's poll consumed the request after it was published
 * (that poll's acquire loads synchronised with the publication) and that
 * the VP flushes before it runs guest code again; no other data travels
 * with the value. The cursor only grows, so an old value is merely
 * conservative (a spurious kick).
 * Concurrency: the VP's own thread.
 */
static inline void tlbf_vp_publish(struct tlbf_vp *vp, const struct tlbf_vp_local *l, unsigned vtl)
{
	TLBF_STEP("V3");
	tlbf__store(&vp->polled[vtl][0], l->cursor[vtl].list, TLBF_RELAXED);
	tlbf__store(&vp->polled[vtl][1], l->cursor[vtl].entire, TLBF_RELAXED);
	tlbf__store(&vp->polled[vtl][2], l->cursor[vtl].non_global, TLBF_RELAXED);
}

/**
 * tlbf_vp_start - first start of a VP: cursors at the rings' present
 * @vp: the VP's shared state (in the never-started state)
 * @l: the VP's private state
 * @rings: the ring of each VTL the VP can run (TLBF_VTL_COUNT pointers)
 *
 * A VP that never ran holds no translation, so it starts at "now"
 * (tlbf_cursor_init_now()) and becomes OUTSIDE. The release store pairs
 * with nothing in particular; it keeps the published cursors ordered
 * before the state change for readers that check both.
 * Concurrency: the VP's own thread, once.
 */
static inline void tlbf_vp_start(struct tlbf_vp *vp, struct tlbf_vp_local *l,
                                 struct tlbf_ring *const *rings)
{
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++) {
		tlbf_cursor_init_now(rings[v], &l->cursor[v]);
		tlbf_vp_publish(vp, l, v);
	}
	l->epoch = 0;
	tlbf__store(&vp->state, tlbf__vp_word(TLBF_VP_OUTSIDE, 0, 0), TLBF_RELEASE);
}

/**
 * tlbf_vp_announce - the VP is about to run guest code of @vtl (V1, V2)
 * @vp: the VP's shared state
 * @l: the VP's private state
 * @vtl: the VTL it will enter
 *
 * After this returns, any request recorded by an initiator that then does
 * not see this VP in the guest is visible to the VP's next poll. Must be
 * followed by the poll (tlbf_vp_prepare_entry() does both).
 * Concurrency: the VP's own thread.
 */
static inline void tlbf_vp_announce(struct tlbf_vp *vp, struct tlbf_vp_local *l, unsigned vtl)
{
	l->epoch++;
	TLBF_STEP("V1");
	/* V1: release, pairs with I2: an initiator that reads this word also
	 * sees everything the VP did before (its last run of another VTL);
	 * ordered before the poll's loads by V2, not by the release. */
	tlbf__store(&vp->state, tlbf__vp_word(TLBF_VP_IN_GUEST, vtl, l->epoch), TLBF_RELEASE);
	TLBF_STEP("V2");
	/* V2: pairs with I1 (tlbf_wake_fence()): store-buffering pair, see the
	 * litmus sketch at the top of this header. */
	tlbf__fence(TLBF_SEQ_CST);
}

/**
 * tlbf_vp_prepare_entry - announce, then poll the VTL's ring
 * @vp: the VP's shared state
 * @l: the VP's private state
 * @ring: the ring of @vtl
 * @vtl: the VTL about to run
 * @out: caller storage for ranges (e.g. the INVGLA list page)
 * @cap: entries available at @out
 *
 * The caller then applies the answer, calls tlbf_vp_publish() and enters.
 * Concurrency: the VP's own thread.
 * Returns: the poll's answer.
 */
static inline struct tlbf_poll tlbf_vp_prepare_entry(struct tlbf_vp *vp, struct tlbf_vp_local *l,
                                                     const struct tlbf_ring *ring, unsigned vtl,
                                                     uint64_t *out, uint32_t cap)
{
	if (TLBF_BREAK(LATE_ANNOUNCE)) {
		struct tlbf_poll p = tlbf_ring_poll(ring, &l->cursor[vtl], out, cap);
		tlbf_vp_announce(vp, l, vtl);
		return p;
	}
	tlbf_vp_announce(vp, l, vtl);
	return tlbf_ring_poll(ring, &l->cursor[vtl], out, cap);
}

/**
 * tlbf_vp_kicked - whether an initiator has asked this VP to leave the guest
 * @vp: the VP's shared state
 *
 * A VMM may check this just before entering to skip an entry that would be
 * cancelled anyway. Relaxed: a hint; the kick itself is the guarantee.
 * Returns: true if the state is EXITING.
 */
static inline bool tlbf_vp_kicked(const struct tlbf_vp *vp)
{
	struct tlbf_vp *w = (struct tlbf_vp *)vp;
	return tlbf_vp_state_mode(tlbf__load(&w->state, TLBF_RELAXED)) == TLBF_VP_EXITING;
}

/**
 * tlbf_vp_exit - the VP has left guest code (V4)
 * @vp: the VP's shared state
 * @l: the VP's private state
 *
 * V4: release, pairs with I2 (an initiator that finds the VP outside and
 * skips it): every access the VP made while in the guest happens before
 * that initiator's flush call returns.
 * Concurrency: the VP's own thread.
 */
static inline void tlbf_vp_exit(struct tlbf_vp *vp, struct tlbf_vp_local *l)
{
	TLBF_STEP("V4");
	tlbf__store(&vp->state, tlbf__vp_word(TLBF_VP_OUTSIDE, 0, l->epoch), TLBF_RELEASE);
}

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
	/* I3: relaxed; see V3 in tlbf_vp_publish(). */
	uint64_t c = tlbf__load(&vp->polled[vtl][(unsigned)mark.kind - 1], TLBF_RELAXED);
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
 * One relaxed load of the state word decides most cases (I2, ordered after
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
	if (tlbf_vp_state_vtl(s) != vtl)
		return TLBF_WAKE_SKIP_OTHER_VTL;
	if (mark.kind == TLBF_MARK_NONE || tlbf__vp_polled_past(vp, vtl, mark))
		return TLBF_WAKE_SKIP_POLLED;
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
 * @wait: bit v set: VP v is only waited for (another initiator signals it)
 * @nwords: 64-bit words at @kick and at @wait
 * @nkick: bits set in @kick
 * @nwait: bits set in @wait
 * @reasons: count of each decision, for statistics
 */
struct tlbf_kick_plan {
	uint64_t *kick;
	uint64_t *wait;
	uint32_t nwords;
	uint32_t nkick;
	uint32_t nwait;
	uint32_t reasons[TLBF_WAKE__COUNT];
};

/**
 * tlbf_kick_plan_init - start an empty plan over caller storage
 * @pl: the plan
 * @kick: nwords words for the kick mask
 * @wait: nwords words for the wait-only mask
 * @nwords: enough words for the partition's VPs ((vp_count + 63) / 64)
 *
 * Clears both masks and the counts.
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
	for (uint32_t i = 0; i < nwords; i++) {
		kick[i] = 0;
		wait[i] = 0;
	}
	for (unsigned i = 0; i < TLBF_WAKE__COUNT; i++)
		pl->reasons[i] = 0;
}

/**
 * tlbf_kick_plan_add - record one decision in the plan
 * @pl: the plan
 * @vp_index: the VP (must be below 64 * nwords)
 * @w: tlbf_wake_decide()'s answer for it
 *
 * Sets the VP's bit in the kick mask (KICK) or the wait-only mask
 * (WAIT_ONLY) and counts the decision by reason.
 * Concurrency: the plan's initiator only.
 */
static inline void tlbf_kick_plan_add(struct tlbf_kick_plan *pl, uint32_t vp_index, enum tlbf_wake w)
{
	TLBF_ASSERT(vp_index / 64 < pl->nwords);
	pl->reasons[w]++;
	if (w == TLBF_WAKE_KICK) {
		pl->kick[vp_index / 64] |= UINT64_C(1) << (vp_index % 64);
		pl->nkick++;
	} else if (w == TLBF_WAKE_WAIT_ONLY) {
		pl->wait[vp_index / 64] |= UINT64_C(1) << (vp_index % 64);
		pl->nwait++;
	}
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_WAKE_H */
