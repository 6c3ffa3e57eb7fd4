/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/vp.h - one VP's side of the protocol: its shared state word, its
 * private state, and the steps of the entry/exit path (V1-V4).
 *
 * The types are public (struct tlbf_vp is the partition's per-VP array,
 * struct tlbf_vp_local lives in the VP's entry driver); the steps are
 * private (tlbf__vp_*): a VMM runs them through tlbflush/entry.h, which
 * checks its arguments first.
 *
 * Each VP has one shared word on its own cache line saying whether it is
 * outside the guest, running guest code of a VTL, or being kicked, plus an
 * entry epoch; the same line holds how far the VP has polled each ring.
 * Nobody else's store ever lands on that line except a kicker's CAS.
 *
 * THE PROTOCOL (both sides; the initiator's is in wake.h)
 *
 *   VP entry:   V1 state = IN_GUEST(vtl, epoch+1)    initiator: record (push / bump)
 *               V2 full fence                                   I1 full fence
 *               poll the ring of vtl, apply                     I2 read the VP's state
 *               V3 publish the polled cursor                    I3 read its polled cursor
 *               enter guest code                                I4 CAS IN_GUEST -> EXITING
 *   VP exit:    V4 state = OUTSIDE (release)                    kick the mask, wait (K2)
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
 *   without flushing and the initiator skips it as OUTSIDE (trap T1 in
 *   docs/DESIGN.md). With both fences, one fence is first in the single
 *   total order of seq_cst fences, and the other thread's read after its
 *   own fence sees the store made before the first one.
 *
 * STATE WORD
 *   bits 0-1 mode (NOT_STARTED 0, OUTSIDE 1, IN_GUEST 2, EXITING 3),
 *   bit 2 VTL, bits 8-63 entry epoch (incremented by each V1; 56 bits, so
 *   it cannot come back to the same value while one initiator looks).
 *   Only the VP writes it, except the IN_GUEST -> EXITING CAS of a kicker.
 *
 * LABELS (VP side; the initiator's I1-I4 and K2 are in wake.h)
 *   V1 release          -> pairs with I2, K2    V2 seq_cst fence -> pairs with I1
 *   V3 relaxed, released by V2 (tlbf__vp_publish)  V4 release -> pairs with I2, K2
 *
 * SYNCHRONIZATION
 *   Every function here runs on the VP's own thread, for its own VP, except
 *   tlbf__vp_init() (before the VP is published) and the read-only helpers.
 */
#ifndef TLBFLUSH_VP_H
#define TLBFLUSH_VP_H

#include "config.h"
#include "atomic_pvt.h"
#include "bits.h"
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

/* Mode of a state word: TLBF_VP_NOT_STARTED, _OUTSIDE, _IN_GUEST or _EXITING. */
static inline unsigned tlbf__vp_state_mode(uint64_t state)
{
	return (unsigned)(state & TLBF_VP_MODE_MASK);
}

/* VTL of an IN_GUEST or EXITING state word: 0 or 1. */
static inline unsigned tlbf__vp_state_vtl(uint64_t state)
{
	return (unsigned)((state >> TLBF_VP_VTL_SHIFT) & 1);
}

static inline uint64_t tlbf__vp_word(unsigned mode, unsigned vtl, uint64_t epoch)
{
	return (epoch << TLBF_VP_EPOCH_SHIFT) | ((uint64_t)vtl << TLBF_VP_VTL_SHIFT) | mode;
}

/* Put a VP in the never-started state (initiators skip it: it holds no
 * translations). All-zero storage is the same state. Before publication. */
static inline void tlbf__vp_init(struct tlbf_vp *vp)
{
	tlbf__init(&vp->state, 0);
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		for (unsigned i = 0; i < 3; i++)
			tlbf__init(&vp->polled[v][i], 0);
}

/*
 * Tell initiators how far this VP has polled the ring of @vtl (V3). Call
 * after the flush the poll asked for has been applied (or,
 * made pending for the next entry), before running guest code.
 *
 * V3: relaxed. An initiator that reads a cursor past its request (I3)
 * learns that this VP's poll consumed the request after it was published
 * (that poll's acquire loads synchronised with the publication) and that
 * the VP flushes before it runs guest code again. When the cursor comes
 * from a later entry than the run the initiator saw in the state word, it
 * must also learn that the earlier run is over: the V2 fence of the entry
 * that publishes sits between that run's exit and this store and acts as
 * its release, with I3's acquire. The cursor only grows, so an old value
 * is merely conservative (a spurious kick). The VP's own thread.
 */
static inline void tlbf__vp_publish(struct tlbf_vp *vp, const struct tlbf_vp_local *l, unsigned vtl)
{
	TLBF_ASSERT(vtl < TLBF_VTL_COUNT);
	TLBF_STEP("V3");
	/* V3: relaxed, released by the V2 fence of this entry (above). */
	tlbf__store(&vp->polled[vtl][0], l->cursor[vtl].list, TLBF_RELAXED);
	tlbf__store(&vp->polled[vtl][1], l->cursor[vtl].entire, TLBF_RELAXED);
	tlbf__store(&vp->polled[vtl][2], l->cursor[vtl].non_global, TLBF_RELAXED);
}

/*
 * First start of a VP (in the never-started state): cursors at the present
 * of the ring of each VTL (@rings, TLBF_VTL_COUNT of them). A VP that never
 * ran holds no translation, so it starts at "now"
 * (tlbf_ring_cursor_init()) and becomes OUTSIDE. The release store pairs
 * with nothing in particular; it keeps the published cursors ordered
 * before the state change for readers that check both. The VP's own
 * thread, once.
 */
static inline void tlbf__vp_start(struct tlbf_vp *vp, struct tlbf_vp_local *l,
                                  const struct tlbf_ring *rings)
{
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++) {
		tlbf_ring_cursor_init(&rings[v], &l->cursor[v]);
		tlbf__vp_publish(vp, l, v);
	}
	l->epoch = 0;
	/* V4 (the VP is outside the guest): release, as at an exit. */
	tlbf__store(&vp->state, tlbf__vp_word(TLBF_VP_OUTSIDE, 0, 0), TLBF_RELEASE);
}

/*
 * The VP is about to run guest code of @vtl (V1, V2; @vtl below
 * TLBF_VTL_COUNT, checked by the caller). After this returns, any request
 * recorded by an initiator that then does not see this VP in the guest is
 * visible to the VP's next poll. Must be followed by the poll
 * (tlbf__vp_prepare_entry() does both). The VP's own thread.
 */
static inline void tlbf__vp_announce(struct tlbf_vp *vp, struct tlbf_vp_local *l, unsigned vtl)
{
	TLBF_ASSERT(vtl < TLBF_VTL_COUNT);
	l->epoch++;
	TLBF_STEP("V1");
	/* V1: release, pairs with I2: an initiator that reads this word also
	 * sees everything the VP did before (its last run of another VTL);
	 * ordered before the poll's loads by V2, not by the release. */
	tlbf__store(&vp->state, tlbf__vp_word(TLBF_VP_IN_GUEST, vtl, l->epoch), TLBF_RELEASE);
	TLBF_STEP("V2");
	/* V2: pairs with I1 (tlbf__wake_fence()): store-buffering pair, see the
	 * litmus sketch at the top of this header. */
	tlbf__fence(TLBF_SEQ_CST);
}

/*
 * Announce, then poll the ring of @vtl (@vtl below TLBF_VTL_COUNT, checked
 * by the caller) into @out (@cap entries). The caller then applies the
 * answer, calls tlbf__vp_publish() and enters. The VP's own thread.
 */
static inline struct tlbf_poll tlbf__vp_prepare_entry(struct tlbf_vp *vp, struct tlbf_vp_local *l,
                                                      const struct tlbf_ring *ring, unsigned vtl,
                                                      uint64_t *out, uint32_t cap)
{
	TLBF_UNLESS_BROKEN(LATE_ANNOUNCE, tlbf__vp_announce(vp, l, vtl));
	struct tlbf_poll p = tlbf_ring_poll(ring, &l->cursor[vtl], out, cap);
	TLBF_IF_BROKEN(LATE_ANNOUNCE, tlbf__vp_announce(vp, l, vtl));
	return p;
}

/* Whether an initiator has asked this VP to leave the guest (state
 * EXITING). Relaxed: a hint; the kick itself is the guarantee. */
static inline bool tlbf__vp_kicked(const struct tlbf_vp *vp)
{
	/* Relaxed: a hint. */
	return tlbf__vp_state_mode(tlbf__load(&vp->state, TLBF_RELAXED)) == TLBF_VP_EXITING;
}

/*
 * The VP has left guest code (V4). V4: release, pairs with I2 (an initiator that finds the VP outside and
 * skips it): every access the VP made while in the guest happens before
 * that initiator's flush call returns. The VP's own thread.
 */
static inline void tlbf__vp_exit(struct tlbf_vp *vp, struct tlbf_vp_local *l)
{
	TLBF_STEP("V4");
	/* V4: release, pairs with I2 and K2. */
	tlbf__store(&vp->state, tlbf__vp_word(TLBF_VP_OUTSIDE, 0, l->epoch), TLBF_RELEASE);
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_VP_H */
