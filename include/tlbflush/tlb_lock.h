/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/tlb_lock.h - VSM TLB locks: a flush completes only after every
 * VP that held the TLB lock of its target VTL has released it.
 *
 * A higher VTL can lock the TLB of a lower VTL on its own VP (VTL1 through
 * HvCallTranslateVirtualAddress with the TLB-flush-inhibit flag or the
 * TlbLocked bit of its VSM VP secure configuration register; the
 * paravisor, VTL2, while it emulates an instruction of a lower VTL). The
 * lock keeps the locking VTL's view of the lower VTL's translations valid
 * until it releases it: clears the bit, or returns to the lower VTL. The
 * flush hypercalls honour it: a caller whose flush targets a VP whose TLB
 * of the target VTL is locked is suspended until every such holder has
 * released its lock, and its call completes then.
 *
 * The rule covers the holders at the moment the flush is recorded: a VP
 * that takes the lock later takes it after the flush was recorded and
 * fenced, and reads the translations it relies on after its own fence
 * (H2), so it sees the guest's page-table writes that preceded the flush.
 *
 * STATE (caller storage, nothing allocated, nothing locked)
 *   Per VP, struct tlbf_tlb_lock_vp:
 *     held[t]          which VTLs (bit r for VTL r) hold the lock of target
 *                      VTL t on this VP; written only by the VP's thread,
 *                      on its own cache line, read by waiters. The union
 *                      of these words over the VPs is the holder set of t.
 *     wait[t].count    how many VPs this VP waits for (on target VTL t)
 *     wait[t].blocking which VPs it waits for; a bit is cleared by exactly
 *                      one of: the waiter (it saw the holder release) or
 *                      the holder (releasing, it found the waiter), and
 *                      whoever clears it decrements count
 *     wait[t].sleeping the VP has decided to halt until its count is 0
 *     by[t].blocked    which VPs wait for this one (set by waiters, cleared
 *                      by the holder when it releases or by the waiter)
 *   Lock and unlock touch only the VP's own line unless someone waits for
 *   it; a waiter reads the held line of each target of its flush.
 *
 * THE PROTOCOL
 *
 *   holder (VP h, VTL r locks t)        waiter (VP w, flushing VTL t)
 *   lock:   H1 held |= bit r            record the flush; W0/I1 fence
 *           H2 fence (if it was 0)      for each target h != w:
 *           ... reads translations ...    W1 read held[h]: 0 -> skip
 *   unlock: if other VTLs still hold,     count++, blocking |= h
 *             held &= ~bit r; done        W2 blocked[h] |= w (release)
 *           H3 held = 0 (release)         W3 fence
 *           H4 fence                      W4 read held[h]: 0 -> undo:
 *           H5 read blocked (acquire)        clear blocked[h] bit w; if
 *           for each waiter w:               we cleared blocking bit h,
 *             clear blocked bit w;           count--
 *             if we cleared w's blocking  W5 read count (acquire):
 *             bit h:                         nonzero -> suspend
 *               H6 count-- (release)
 *               if it was 1:            sleep check (the run loop):
 *                 H7 fence                S1 sleeping = 1
 *                 H8 read sleeping:       S2 fence
 *                    1 -> wake w          S3 read count (acquire):
 *                                            0 -> sleeping = 0, resume
 *
 * Store-buffering pairs, each with a seq_cst fence on both sides:
 *   H1/H2 against record/I1 (or W0)/W1: the holder reads the translations
 *     after the flush's page-table writes, or the waiter sees it holding.
 *   W2/W3/W4 against H3/H4/H5: the waiter sees the release, or the holder
 *     sees the waiter in its blocked set (no lost wake-up).
 *   S1/S2/S3 against H6/H7/H8: the waiter sees its count at 0, or the
 *     holder that brought it to 0 sees it sleeping and wakes it.
 * Release/acquire pairs (no early wake): H3 -> W1, W4 and H6 -> W5, S3: a
 * waiter resumes only after every holder of its snapshot released, and
 * what the holder did under the lock happens before. W2 -> H5: the
 * waiter's count++ happens before the holder's count-- (the count never
 * drops below the number of blocking bits).
 *
 * LABELS
 *   H1 relaxed store, published by H2    H2 seq_cst fence -> pairs with I1, W0
 *   H3 release store -> pairs with W1, W4 H4 seq_cst fence -> pairs with W3
 *   H5 acquire load -> pairs with W2      H6 release RMW -> pairs with W5, S3
 *   H7 seq_cst fence -> pairs with S2     H8 relaxed load, ordered by H7
 *   W0 seq_cst fence -> pairs with H2     W1 acquire load -> pairs with H3
 *   W2 release RMW -> pairs with H5       W3 seq_cst fence -> pairs with H4
 *   W4 acquire load -> pairs with H3      W5 acquire load -> pairs with H6
 *   S1 relaxed store, published by S2     S2 seq_cst fence -> pairs with H7
 *   S3 acquire load -> pairs with H6
 *   Relaxed, atomicity only: count++ (published by W2), the blocking bit
 *   RMWs (exactly one clearer), the blocked-bit clears, the waiter's own
 *   count-- (read only by itself, W5/S3 program order), sleeping = 0.
 *
 * SYNCHRONIZATION
 *   tlbf_tlb_lock(), tlbf_tlb_unlock(), tlbf_tlb_unlock_all(),
 *   tlbf_tlb_lock_wait_begin() and tlbf_tlb_lock_must_wait() run on the
 *   thread of the VP they name, for that VP; any number of VPs run them
 *   concurrently. tlbf_tlb_lock_held() and tlbf_tlb_lock_waiting() may be
 *   called from any thread (a snapshot).
 */
#ifndef TLBFLUSH_TLB_LOCK_H
#define TLBFLUSH_TLB_LOCK_H

#include "config.h"
#include "atomic_pvt.h"
#include "backend.h"
#include "bits.h"
#include "vpset.h"

TLBF_EXTERN_C_BEGIN

/* Highest VTL that can hold a lock: the paravisor's. */
#define TLBF_TLB_LOCK_MAX_VTL 2u

/* 64-bit words of a VP bitmap of this build (TLBF_MAX_VPS bits). */
#define TLBF_TLB_LOCK_WORDS TLBF_VPSET_MASK_WORDS(TLBF_MAX_VPS)

/**
 * struct tlbf_tlb_lock_wait - one VP waiting for the holders of one VTL
 * @count: VPs in @blocking
 * @sleeping: 1 while the VP has decided to halt (S1)
 * @blocking: the VPs it waits for
 */
struct tlbf_tlb_lock_wait {
	TLBF_ALIGNAS(TLBF_CACHE_LINE) TLBF_ATOMIC(uint64_t) count;
	TLBF_ATOMIC(uint64_t) sleeping;
	TLBF_ATOMIC(uint64_t) blocking[TLBF_TLB_LOCK_WORDS];
};

/**
 * struct tlbf_tlb_lock_by - the VPs waiting for one VP's lock of one VTL
 * @blocked: one bit per waiting VP
 */
struct tlbf_tlb_lock_by {
	TLBF_ALIGNAS(TLBF_CACHE_LINE) TLBF_ATOMIC(uint64_t) blocked[TLBF_TLB_LOCK_WORDS];
};

/**
 * struct tlbf_tlb_lock_vp - one VP's TLB-lock state
 * @held: per target VTL, bit r set while VTL r holds its lock (H1, H3)
 * @wait: per target VTL, this VP as a waiter
 * @by: per target VTL, the VPs waiting for this one
 */
struct tlbf_tlb_lock_vp {
	TLBF_ALIGNAS(TLBF_CACHE_LINE) TLBF_ATOMIC(uint64_t) held[TLBF_VTL_COUNT];
	struct tlbf_tlb_lock_wait wait[TLBF_VTL_COUNT];
	struct tlbf_tlb_lock_by by[TLBF_VTL_COUNT];
};

/**
 * struct tlbf_tlb_locks - the TLB locks of a partition
 * @vps: one state per VP (caller storage, @vp_count entries)
 * @vp_count: number of VPs
 */
struct tlbf_tlb_locks {
	struct tlbf_tlb_lock_vp *vps;
	uint32_t vp_count;
};

/**
 * tlbf_tlb_locks_init - set up the TLB locks of a partition
 * @lk: caller storage
 * @vps: @vp_count VP states (caller storage; all-zero storage is the same
 *	initial state)
 * @vp_count: 1 to TLBF_MAX_VPS
 *
 * Concurrency: before @lk is shared.
 * Returns: true; false (and @lk has no VP, so that every call on it is
 * refused) if @vps is NULL or @vp_count is out of range.
 */
static inline bool tlbf_tlb_locks_init(struct tlbf_tlb_locks *lk, struct tlbf_tlb_lock_vp *vps,
                                       uint32_t vp_count)
{
	lk->vps = vps;
	lk->vp_count = 0;
	if (vps == NULL || vp_count == 0 || vp_count > (uint32_t)TLBF_MAX_VPS)
		return false;
	for (uint32_t i = 0; i < vp_count; i++) {
		for (unsigned t = 0; t < TLBF_VTL_COUNT; t++) {
			struct tlbf_tlb_lock_vp *v = &vps[i];
			tlbf__init(&v->held[t], 0);
			tlbf__init(&v->wait[t].count, 0);
			tlbf__init(&v->wait[t].sleeping, 0);
			for (unsigned w = 0; w < TLBF_TLB_LOCK_WORDS; w++) {
				tlbf__init(&v->wait[t].blocking[w], 0);
				tlbf__init(&v->by[t].blocked[w], 0);
			}
		}
	}
	lk->vp_count = vp_count;
	return true;
}

/* A lock of target @t by VTL @r on VP @vp that this partition can have. */
static inline bool tlbf__tlb_lock_args(const struct tlbf_tlb_locks *lk, uint32_t vp, unsigned r,
                                       unsigned t)
{
	return vp < lk->vp_count && t < TLBF_VTL_COUNT && r > t && r <= TLBF_TLB_LOCK_MAX_VTL;
}

/**
 * tlbf_tlb_lock - VTL @requesting_vtl locks the TLB of @target_vtl on @vp
 * @lk: the partition's locks
 * @vp: the calling VP
 * @requesting_vtl: the VTL taking the lock (1 or 2)
 * @target_vtl: the lower VTL whose TLB is locked
 *
 * Idempotent. Takes effect at H2: a flush recorded (and fenced) before H2
 * has its initiator wait for this lock's release; one recorded after may
 * not, and then the translations read after this call already reflect it.
 * Concurrency: @vp's own thread.
 * Returns: true; false (nothing changed) if @vp is not a VP of @lk, the
 * target is not below the requesting VTL, or a VTL is out of range.
 */
static inline bool tlbf_tlb_lock(struct tlbf_tlb_locks *lk, uint32_t vp, unsigned requesting_vtl,
                                 unsigned target_vtl)
{
	if (!tlbf__tlb_lock_args(lk, vp, requesting_vtl, target_vtl))
		return false;
	TLBF_ATOMIC(uint64_t) *held = &lk->vps[vp].held[target_vtl];
	/* Relaxed: only this thread writes the word. */
	uint64_t was = tlbf__load(held, TLBF_RELAXED);
	/* H1: relaxed, made visible before any later read by H2. */
	tlbf__store(held, was | (UINT64_C(1) << requesting_vtl), TLBF_RELAXED);
	if (was == 0) {
		/* H2: pairs with I1/W0; the reads of translations under the
		 * lock come after it. */
		TLBF_UNLESS_BROKEN(TLB_LOCK_NO_FENCE, tlbf__fence(TLBF_SEQ_CST));
	}
	return true;
}

/* The holder side of a release: every waiter of @h on @t is unblocked, and
 * each whose count it brought to 0 and that sleeps is added to @wake.
 * Returns the number of VPs added. */
static inline uint32_t tlbf__tlb_release(struct tlbf_tlb_locks *lk, uint32_t h, unsigned t,
                                         uint64_t *wake)
{
	struct tlbf_tlb_lock_vp *me = &lk->vps[h];
	const uint64_t hbit = UINT64_C(1) << (h % 64);
	uint32_t woken = 0;
	/* H3: release; pairs with W1 and W4. */
	tlbf__store(&me->held[t], 0, TLBF_RELEASE);
	/* H4: pairs with W3 (store buffering: H3 before H5 against W2
	 * before W4). */
	TLBF_UNLESS_BROKEN(TLB_UNLOCK_NO_FENCE, tlbf__fence(TLBF_SEQ_CST));
	for (uint32_t wd = 0; wd < TLBF_VPSET_MASK_WORDS(lk->vp_count); wd++) {
		/* H5: acquire; pairs with W2 (the waiter's count++ first). */
		uint64_t waiters = tlbf__load(&me->by[t].blocked[wd], TLBF_ACQUIRE);
		for (; waiters; waiters &= waiters - 1u) {
			uint32_t w = wd * 64u + tlbf_ctz64(waiters);
			uint64_t wbit = waiters & (~waiters + 1u);
			struct tlbf_tlb_lock_wait *ww = &lk->vps[w].wait[t];
			/* Relaxed: the set only tells holders whom to look at. */
			(void)tlbf__fetch_and(&me->by[t].blocked[wd], ~wbit, TLBF_RELAXED);
			/* Relaxed: atomicity decides who clears the bit (the
			 * waiter's own W4 path, or us), and only the clearer
			 * decrements. */
			uint64_t had = tlbf__fetch_and(&ww->blocking[h / 64], ~hbit, TLBF_RELAXED);
			if (!(had & hbit))
				continue;
			/* H6: release; pairs with W5 and S3: what this VP did
			 * under the lock happens before the waiter resumes. */
			uint64_t old = tlbf__fetch_add(&ww->count, ~UINT64_C(0), TLBF_RELEASE);
			if (old != 1)
				continue;
			/* H7: pairs with S2 (store buffering: H6 before H8
			 * against S1 before S3). */
			TLBF_UNLESS_BROKEN(TLB_WAKE_NO_FENCE, tlbf__fence(TLBF_SEQ_CST));
			/* H8: relaxed, ordered after H6 by H7. */
			if (tlbf__load(&ww->sleeping, TLBF_RELAXED) && !(wake[wd] & wbit)) {
				wake[wd] |= wbit;
				woken++;
			}
		}
	}
	return woken;
}

/* The release of one lock, arguments already checked: returns the number
 * of VPs added to @wake. */
static inline uint32_t tlbf__tlb_unlock(struct tlbf_tlb_locks *lk, uint32_t vp, unsigned r,
                                        unsigned t, uint64_t *wake)
{
	TLBF_ATOMIC(uint64_t) *held = &lk->vps[vp].held[t];
	const uint64_t rbit = UINT64_C(1) << r;
	/* Relaxed: only this thread writes the word. */
	uint64_t was = tlbf__load(held, TLBF_RELAXED);
	if (!(was & rbit))
		return 0;
	if (was & ~rbit) {
		/* Still held by another VTL: relaxed, the word stays nonzero. */
		tlbf__store(held, was & ~rbit, TLBF_RELAXED);
		return 0;
	}
	return tlbf__tlb_release(lk, vp, t, wake);
}

/**
 * tlbf_tlb_unlock - VTL @requesting_vtl releases its lock of @target_vtl
 * @lk: the partition's locks
 * @vp: the calling VP
 * @requesting_vtl: the VTL that took the lock
 * @target_vtl: the VTL whose TLB it locked
 * @wake: caller storage, at least TLBF_VPSET_MASK_WORDS(vp_count) words;
 *	the VPs that must be woken are OR-ed in (zero it first)
 * @wake_words: words at @wake
 *
 * A lock this VTL does not hold changes nothing. While another VTL still
 * holds its own lock of @target_vtl on this VP (VTL1 and VTL2 both on
 * VTL0), the lock stays held and nobody is unblocked; the last release,
 * in either order, unblocks the waiters. The VPs in @wake were asleep in
 * tlbf_tlb_lock_must_wait() and are no longer blocked: wake them with
 * tlbf_tlb_lock_wake() or the VMM's own wake-up. A VP whose count this
 * release brought to 0 but that was not asleep sees it itself.
 * Concurrency: @vp's own thread.
 * Returns: the number of VPs added to @wake (0 or more); -1, having
 * changed nothing, if the arguments are refused (as tlbf_tlb_lock()) or
 * @wake is shorter than the partition needs.
 */
static inline int tlbf_tlb_unlock(struct tlbf_tlb_locks *lk, uint32_t vp, unsigned requesting_vtl,
                                  unsigned target_vtl, uint64_t *wake, uint32_t wake_words)
{
	if (!tlbf__tlb_lock_args(lk, vp, requesting_vtl, target_vtl) || wake == NULL ||
	    wake_words < TLBF_VPSET_MASK_WORDS(lk->vp_count))
		return -1;
	return (int)tlbf__tlb_unlock(lk, vp, requesting_vtl, target_vtl, wake);
}

/**
 * tlbf_tlb_unlock_all - release every lock @vtl holds, as it returns to a
 * lower VTL
 * @lk: the partition's locks
 * @vp: the calling VP
 * @vtl: the VTL returning (its locks of every lower VTL are released)
 * @wake: as for tlbf_tlb_unlock()
 * @wake_words: as for tlbf_tlb_unlock()
 *
 * Concurrency: @vp's own thread.
 * Returns: the number of VPs added to @wake; -1 (nothing changed) if
 * refused.
 */
static inline int tlbf_tlb_unlock_all(struct tlbf_tlb_locks *lk, uint32_t vp, unsigned vtl,
                                      uint64_t *wake, uint32_t wake_words)
{
	if (vp >= lk->vp_count || vtl == 0 || vtl > TLBF_TLB_LOCK_MAX_VTL || wake == NULL ||
	    wake_words < TLBF_VPSET_MASK_WORDS(lk->vp_count))
		return -1;
	uint32_t n = 0;
	for (unsigned t = 0; t < vtl && t < TLBF_VTL_COUNT; t++)
		n += tlbf__tlb_unlock(lk, vp, vtl, t, wake);
	return (int)n;
}

/* W1-W4 for one target @h: returns true if @w now waits for it. */
static inline bool tlbf__tlb_wait_on(struct tlbf_tlb_locks *lk, uint32_t w, uint32_t h, unsigned t)
{
	struct tlbf_tlb_lock_wait *me = &lk->vps[w].wait[t];
	TLBF_ATOMIC(uint64_t) *held = &lk->vps[h].held[t];
	TLBF_ATOMIC(uint64_t) *blocked = &lk->vps[h].by[t].blocked[w / 64];
	const uint64_t hbit = UINT64_C(1) << (h % 64), wbit = UINT64_C(1) << (w % 64);
	/* W1: acquire; pairs with H3 (a holder seen released: its work under
	 * the lock happens before this flush completes). */
	if (tlbf__load(held, TLBF_ACQUIRE) == 0)
		return false;
	/* Relaxed: the count is published by W2; a bit already set means we
	 * wait for @h already (an earlier flush of this VP), counted once. */
	if (tlbf__fetch_or(&me->blocking[h / 64], hbit, TLBF_RELAXED) & hbit)
		return true;
	(void)tlbf__fetch_add(&me->count, 1, TLBF_RELAXED);
	/* W2: release; pairs with H5 (our count++ before its count--). */
	(void)tlbf__fetch_or(blocked, wbit, TLBF_RELEASE);
	/* W3: pairs with H4 (store buffering: W2 before W4 against H3 before
	 * H5). */
	TLBF_UNLESS_BROKEN(TLB_WAIT_NO_FENCE, tlbf__fence(TLBF_SEQ_CST));
	/* W4: acquire; pairs with H3. */
	if (TLBF_BREAK(TLB_WAIT_NO_RECHECK) || tlbf__load(held, TLBF_ACQUIRE) != 0)
		return true;
	/* Released meanwhile: undo, unless the holder already did. Relaxed:
	 * as in the holder's path. */
	(void)tlbf__fetch_and(blocked, ~wbit, TLBF_RELAXED);
	if (tlbf__fetch_and(&me->blocking[h / 64], ~hbit, TLBF_RELAXED) & hbit)
		(void)tlbf__fetch_add(&me->count, ~UINT64_C(0), TLBF_RELAXED);
	return false;
}

/* Whether @w still waits for a holder of @t (W5). */
static inline bool tlbf__tlb_lock_waits(struct tlbf_tlb_locks *lk, uint32_t w, unsigned t)
{
	/* W5: acquire; pairs with H6. */
	return tlbf__load(&lk->vps[w].wait[t].count, TLBF_ACQUIRE) != 0;
}

/*
 * The waiter's scan (W1-W4 for each VP of @set) without its leading fence,
 * for callers that executed I1 (tlbf_wake_fence()) after recording the
 * flush. tlbf_flush_plan() does the same inside its own walk of the set,
 * so that a set in guest memory is read once.
 */
static inline void tlbf__tlb_lock_wait_scan(struct tlbf_tlb_locks *lk, uint32_t w, unsigned t,
                                            const struct tlbf_vpset *set)
{
	struct tlbf_vpset_iter it;
	struct tlbf_vpset all;
	uint32_t h;
	if (set == NULL) {
		tlbf_vpset_init_all(&all, lk->vp_count);
		set = &all;
	}
	tlbf_vpset_iter_init(&it, set);
	while (tlbf_vpset_iter_next(&it, &h)) {
		if (h >= lk->vp_count)
			break;
		/* Never wait on ourselves: our own lock is released when we
		 * return to the target VTL. */
		if (h != w)
			(void)tlbf__tlb_wait_on(lk, w, h, t);
	}
}

/**
 * tlbf_tlb_lock_wait_begin - after recording a flush, wait for its holders
 * @lk: the partition's locks
 * @waiter: the VP that made the flush request
 * @target_vtl: the request's target VTL
 * @set: the request's processor set (NULL: every VP)
 *
 * Snapshots the VPs of @set that hold the lock of @target_vtl (never the
 * waiter itself) and registers the waiter with each. Call it after the
 * flush is recorded; it fences first (W0). tlbf_flush_handle() does this
 * itself for a partition with locks (tlbf_partition_set_tlb_locks()).
 * Concurrency: @waiter's own thread.
 * Returns: true if the waiter must be suspended until
 * tlbf_tlb_lock_must_wait() says otherwise; false if no holder remains (or
 * the arguments are refused: @waiter or @target_vtl out of range).
 */
static inline bool tlbf_tlb_lock_wait_begin(struct tlbf_tlb_locks *lk, uint32_t waiter,
                                            unsigned target_vtl, const struct tlbf_vpset *set)
{
	if (waiter >= lk->vp_count || target_vtl >= TLBF_VTL_COUNT)
		return false;
	/* W0: pairs with H2. */
	tlbf__fence(TLBF_SEQ_CST);
	tlbf__tlb_lock_wait_scan(lk, waiter, target_vtl, set);
	return tlbf__tlb_lock_waits(lk, waiter, target_vtl);
}

/**
 * tlbf_tlb_lock_must_wait - the suspended VP's check before it halts
 * @lk: the partition's locks
 * @vp: the calling VP
 *
 * Marks the VP sleeping (S1), fences (S2) and reads its counts (S3). If a
 * holder it waits for still holds its lock, returns true and the VP stays
 * marked: it may halt, and the holder whose release ends the wait finds
 * the mark and puts the VP in its wake set. The halt must end on a wake
 * that was sent after this call returned but before the halt began (an
 * event or a futex word, not a bare signal-less sleep); a spurious wake is
 * harmless, the VP calls this again. Returns false (and clears the mark)
 * once no holder remains: the VP resumes and its flush call completes.
 * Concurrency: @vp's own thread.
 * Returns: true to stay suspended; false to resume (also for a refused
 * @vp).
 */
static inline bool tlbf_tlb_lock_must_wait(struct tlbf_tlb_locks *lk, uint32_t vp)
{
	if (vp >= lk->vp_count)
		return false;
	for (unsigned t = 0; t < TLBF_VTL_COUNT; t++) {
		struct tlbf_tlb_lock_wait *me = &lk->vps[vp].wait[t];
		/* Acquire: a 0 here is S3's answer without the mark (pairs with
		 * H6 like S3). */
		if (tlbf__load(&me->count, TLBF_ACQUIRE) == 0) {
			/* Woken after a "stay suspended": drop the mark, or the
			 * last release of every later wait would find it and wake
			 * a VP that is not asleep. Relaxed, as below: nobody
			 * decrements a count of 0. */
			if (tlbf__load(&me->sleeping, TLBF_RELAXED) != 0)
				tlbf__store(&me->sleeping, 0, TLBF_RELAXED);
			continue;
		}
		/* S1: relaxed, made visible before S3 by S2. */
		tlbf__store(&me->sleeping, 1, TLBF_RELAXED);
		/* S2: pairs with H7. */
		TLBF_UNLESS_BROKEN(TLB_SLEEP_NO_FENCE, tlbf__fence(TLBF_SEQ_CST));
		/* S3: acquire; pairs with H6. */
		if (tlbf__load(&me->count, TLBF_ACQUIRE) != 0)
			return true;
		/* Relaxed: a stale 1 read by a holder costs a spurious wake. */
		tlbf__store(&me->sleeping, 0, TLBF_RELAXED);
	}
	return false;
}

/**
 * tlbf_tlb_lock_wake - wake the VPs an unlock returned
 * @be: the backend; its kick with no flags must end the halt of each VP
 *	in the mask (the mock's does: tlbf_mock_halt())
 * @wake: the mask tlbf_tlb_unlock() filled
 * @nbits: bits in it (the partition's VP count)
 *
 * A VMM whose suspended VPs halt on something the backend's kick does not
 * reach (an eventfd, a futex, a condition of its scheduler) wakes them
 * from the mask itself instead.
 * Concurrency: any thread.
 * Returns: 0, or the backend's kick error.
 */
static inline int tlbf_tlb_lock_wake(const struct tlbf_backend *be, const uint64_t *wake,
                                     uint32_t nbits)
{
	for (uint32_t w = 0; w < TLBF_VPSET_MASK_WORDS(nbits); w++)
		if (wake[w])
			return be->ops->kick(be->ctx, wake, nbits, 0);
	return 0;
}

/**
 * tlbf_tlb_lock_held - which VTLs hold the lock of @target_vtl on @vp
 * @lk: the partition's locks
 * @vp: any VP
 * @target_vtl: the locked VTL
 *
 * Concurrency: any thread (a snapshot).
 * Returns: bit r set for each VTL r holding it; 0 out of range.
 */
static inline uint64_t tlbf_tlb_lock_held(const struct tlbf_tlb_locks *lk, uint32_t vp,
                                          unsigned target_vtl)
{
	if (vp >= lk->vp_count || target_vtl >= TLBF_VTL_COUNT)
		return 0;
	/* Relaxed: a snapshot for diagnostics. */
	return tlbf__load(&lk->vps[vp].held[target_vtl], TLBF_RELAXED);
}

/**
 * tlbf_tlb_lock_waiting - how many holders @vp still waits for
 * @lk: the partition's locks
 * @vp: any VP
 * @target_vtl: the VTL of its flush
 *
 * Concurrency: any thread (a snapshot).
 * Returns: the count; 0 out of range.
 */
static inline uint64_t tlbf_tlb_lock_waiting(const struct tlbf_tlb_locks *lk, uint32_t vp,
                                             unsigned target_vtl)
{
	if (vp >= lk->vp_count || target_vtl >= TLBF_VTL_COUNT)
		return 0;
	/* Relaxed: a snapshot for diagnostics. */
	return tlbf__load(&lk->vps[vp].wait[target_vtl].count, TLBF_RELAXED);
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_TLB_LOCK_H */
