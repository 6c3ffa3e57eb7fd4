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
 *   tlbf_tlb_lock(), tlbf_tlb_unlock(), tlbf_tlb_lock_wait_begin() and
 *   tlbf_tlb_lock_must_wait() run on the thread of the VP they name, for
 *   that VP; any number of VPs run them concurrently.
 *   tlbf_tlb_lock_held() and tlbf_tlb_lock_waiting() may be called from
 *   any thread (a snapshot).
 *
 * The state is the partition's (struct tlbf_tlb_lock_vp, one per VP, given
 * to tlbf_partition_init()); a partition set up without it has no TLB
 * locks, and every call here refuses it with TLBF_STATUS_NO_LOCKS.
 */
#ifndef TLBFLUSH_TLB_LOCK_H
#define TLBFLUSH_TLB_LOCK_H

#include "config.h"
#include "atomic_pvt.h"
#include "backend.h"
#include "bits.h"
#include "partition.h"
#include "status.h"
#include "vpset.h"

TLBF_EXTERN_C_BEGIN

/* Highest VTL that can hold a lock: the paravisor's. */
#define TLBF_TLB_LOCK_MAX_VTL 2u

/* The target VTL of tlbf_tlb_unlock() that releases every lock the
 * requesting VTL holds (its return to a lower VTL). */
#define TLBF_TLB_UNLOCK_ALL 0xffu

/* The partition's checks shared by every call: accepted, with locks, @vp
 * one of its VPs. */
static inline enum tlbf_status tlbf__tlb_lock_check(const struct tlbf_partition *pt, uint32_t vp)
{
	if (!tlbf__partition_ok(pt))
		return TLBF_STATUS_BAD_PARTITION;
	if (pt->locks == NULL)
		return TLBF_STATUS_NO_LOCKS;
	if (vp >= pt->vp_count)
		return TLBF_STATUS_BAD_VP;
	return TLBF_STATUS_OK;
}

/* A lock of target @t by VTL @r that a partition can have. */
static inline bool tlbf__tlb_lock_vtls(unsigned r, unsigned t)
{
	return t < TLBF_VTL_COUNT && r > t && r <= TLBF_TLB_LOCK_MAX_VTL;
}

/**
 * tlbf_tlb_lock - VTL @requesting_vtl locks the TLB of @target_vtl on @vp
 * @pt: the partition (set up with TLB-lock state)
 * @vp: the calling VP
 * @requesting_vtl: the VTL taking the lock (1 or 2)
 * @target_vtl: the lower VTL whose TLB is locked
 *
 * Idempotent. Takes effect at H2: a flush recorded (and fenced) before H2
 * has its initiator wait for this lock's release; one recorded after may
 * not, and then the translations read after this call already reflect it.
 * Concurrency: @vp's own thread.
 * Returns: TLBF_STATUS_OK; refused, nothing changed:
 * TLBF_STATUS_BAD_PARTITION, _NO_LOCKS, _BAD_VP, or _BAD_VTL (the target
 * is not below the requesting VTL, or a VTL is out of range).
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_tlb_lock(struct tlbf_partition *pt, uint32_t vp,
                                                             unsigned requesting_vtl,
                                                             unsigned target_vtl)
{
	enum tlbf_status st = tlbf__tlb_lock_check(pt, vp);
	if (st != TLBF_STATUS_OK)
		return st;
	if (!tlbf__tlb_lock_vtls(requesting_vtl, target_vtl))
		return TLBF_STATUS_BAD_VTL;
	TLBF_ATOMIC(uint64_t) *held = &pt->locks[vp].held[target_vtl];
	/* Relaxed: only this thread writes the word. */
	uint64_t was = tlbf__load(held, TLBF_RELAXED);
	TLBF_STEP("H1");
	/* H1: relaxed, made visible before any later read by H2. */
	tlbf__store(held, was | (UINT64_C(1) << requesting_vtl), TLBF_RELAXED);
	if (was == 0) {
		TLBF_STEP("H2");
		/* H2: seq_cst fence, pairs with I1/W0; the reads of translations
		 * under the lock come after it. */
		TLBF_UNLESS_BROKEN(TLB_LOCK_NO_FENCE, tlbf__fence(TLBF_SEQ_CST));
	}
	return TLBF_STATUS_OK;
}

/* The holder side of a release: every waiter of @h on @t is unblocked, and
 * each whose count it brought to 0 and that sleeps is added to @wake.
 * Returns the number of VPs added. */
static inline uint32_t tlbf__tlb_release(struct tlbf_partition *pt, uint32_t h, unsigned t,
                                         uint64_t *wake)
{
	struct tlbf_tlb_lock_vp *me = &pt->locks[h];
	const uint64_t hbit = UINT64_C(1) << (h % 64);
	uint32_t woken = 0;
	TLBF_STEP("H3");
	/* H3: release store; pairs with W1 and W4. */
	tlbf__store(&me->held[t], 0, TLBF_RELEASE);
	TLBF_STEP("H4");
	/* H4: seq_cst fence, pairs with W3 (store buffering: H3 before H5
	 * against W2 before W4). */
	TLBF_UNLESS_BROKEN(TLB_UNLOCK_NO_FENCE, tlbf__fence(TLBF_SEQ_CST));
	for (uint32_t wd = 0; wd < TLBF_MASK_WORDS(pt->vp_count); wd++) {
		TLBF_STEP("H5");
		/* H5: acquire load; pairs with W2 (the waiter's count++ first). */
		uint64_t waiters = tlbf__load(&me->by[t].blocked[wd], TLBF_ACQUIRE);
		for (; waiters; waiters &= waiters - 1u) {
			uint32_t w = wd * 64u + tlbf__ctz64(waiters);
			uint64_t wbit = waiters & (~waiters + 1u);
			struct tlbf_tlb_lock_wait *ww = &pt->locks[w].wait[t];
			/* Relaxed: the set only tells holders whom to look at. */
			(void)tlbf__fetch_and(&me->by[t].blocked[wd], ~wbit, TLBF_RELAXED);
			/* Relaxed: atomicity decides who clears the bit (the
			 * waiter's own W4 path, or us), and only the clearer
			 * decrements. */
			uint64_t had = tlbf__fetch_and(&ww->blocking[h / 64], ~hbit, TLBF_RELAXED);
			if (!(had & hbit))
				continue;
			TLBF_STEP("H6");
			/* H6: release RMW; pairs with W5 and S3: what this VP did
			 * under the lock happens before the waiter resumes. */
			uint64_t old = tlbf__fetch_add(&ww->count, ~UINT64_C(0), TLBF_RELEASE);
			if (old != 1)
				continue;
			TLBF_STEP("H7");
			/* H7: seq_cst fence, pairs with S2 (store buffering: H6
			 * before H8 against S1 before S3). */
			TLBF_UNLESS_BROKEN(TLB_WAKE_NO_FENCE, tlbf__fence(TLBF_SEQ_CST));
			TLBF_STEP("H8");
			/* H8: relaxed load, ordered after H6 by H7. */
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
static inline uint32_t tlbf__tlb_unlock(struct tlbf_partition *pt, uint32_t vp, unsigned r,
                                        unsigned t, uint64_t *wake)
{
	TLBF_ATOMIC(uint64_t) *held = &pt->locks[vp].held[t];
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
	return tlbf__tlb_release(pt, vp, t, wake);
}

/**
 * tlbf_tlb_unlock - VTL @requesting_vtl releases its lock of @target_vtl,
 *	and the VPs whose flush calls this ends are woken
 * @pt: the partition (set up with TLB-lock state)
 * @be: the backend; its wake operation ends the halt of a suspended VP
 * @vp: the calling VP
 * @requesting_vtl: the VTL that took the lock (1 or 2)
 * @target_vtl: the VTL whose TLB it locked, or TLBF_TLB_UNLOCK_ALL: every
 *	lock @requesting_vtl holds on this VP (it returns to a lower VTL)
 *
 * A lock this VTL does not hold changes nothing. While another VTL still
 * holds its own lock of @target_vtl on this VP (VTL1 and VTL2 both on
 * VTL0), the lock stays held and nobody is unblocked; the last release,
 * in either order, unblocks the waiters. Each waiter whose last holder
 * this was and that is halted (it called tlbf_tlb_lock_must_wait(), which
 * said true) is woken with one call of the backend's wake for all of
 * them; one that was not halted finds out at its next check.
 * Concurrency: @vp's own thread.
 * Returns: TLBF_STATUS_OK; TLBF_STATUS_KICK_FAILED if the backend's wake
 * failed (the locks are released, the VPs in its mask were not woken: call
 * the wake again); refused, nothing changed: TLBF_STATUS_BAD_PARTITION,
 * _NO_LOCKS, _BAD_VP, _BAD_VTL (as tlbf_tlb_lock()), _BAD_BACKEND (no
 * backend, or one without a wake operation).
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_tlb_unlock(struct tlbf_partition *pt,
                                                               const struct tlbf_backend *be,
                                                               uint32_t vp,
                                                               unsigned requesting_vtl,
                                                               unsigned target_vtl)
{
	enum tlbf_status st = tlbf__tlb_lock_check(pt, vp);
	if (st != TLBF_STATUS_OK)
		return st;
	if (target_vtl == TLBF_TLB_UNLOCK_ALL
	        ? (requesting_vtl == 0 || requesting_vtl > TLBF_TLB_LOCK_MAX_VTL)
	        : !tlbf__tlb_lock_vtls(requesting_vtl, target_vtl))
		return TLBF_STATUS_BAD_VTL;
	if (be == NULL || be->ops == NULL || be->ops->wake == NULL)
		return TLBF_STATUS_BAD_BACKEND;
	uint64_t wake[TLBF_MASK_WORDS(TLBF_MAX_VPS)];
	for (unsigned w = 0; w < TLBF_MASK_WORDS(pt->vp_count); w++)
		wake[w] = 0;
	uint32_t n = 0;
	for (unsigned t = 0; t < TLBF_VTL_COUNT; t++)
		if (target_vtl == TLBF_TLB_UNLOCK_ALL ? t < requesting_vtl : t == target_vtl)
			n += tlbf__tlb_unlock(pt, vp, requesting_vtl, t, wake);
	if (n == 0)
		return TLBF_STATUS_OK;
	/* The backend's wake orders what this thread did (H6 included)
	 * before the woken VP's next check (the mock's M5/M6). */
	return be->ops->wake(be->ctx, wake, pt->vp_count) == 0 ? TLBF_STATUS_OK
	                                                       : TLBF_STATUS_KICK_FAILED;
}

/* W1-W4 for one target @h: returns true if @w now waits for it. */
static inline bool tlbf__tlb_wait_on(struct tlbf_partition *pt, uint32_t w, uint32_t h, unsigned t)
{
	struct tlbf_tlb_lock_wait *me = &pt->locks[w].wait[t];
	TLBF_ATOMIC(uint64_t) *held = &pt->locks[h].held[t];
	TLBF_ATOMIC(uint64_t) *blocked = &pt->locks[h].by[t].blocked[w / 64];
	const uint64_t hbit = UINT64_C(1) << (h % 64), wbit = UINT64_C(1) << (w % 64);
	TLBF_STEP("W1");
	/* W1: acquire load; pairs with H3 (a holder seen released: its work
	 * under the lock happens before this flush completes). */
	if (tlbf__load(held, TLBF_ACQUIRE) == 0)
		return false;
	/* Relaxed: the count is published by W2; a bit already set means we
	 * wait for @h already (an earlier flush of this VP), counted once. */
	if (tlbf__fetch_or(&me->blocking[h / 64], hbit, TLBF_RELAXED) & hbit)
		return true;
	(void)tlbf__fetch_add(&me->count, 1, TLBF_RELAXED);
	TLBF_STEP("W2");
	/* W2: release RMW; pairs with H5 (our count++ before its count--). */
	(void)tlbf__fetch_or(blocked, wbit, TLBF_RELEASE);
	TLBF_STEP("W3");
	/* W3: seq_cst fence, pairs with H4 (store buffering: W2 before W4
	 * against H3 before H5). */
	TLBF_UNLESS_BROKEN(TLB_WAIT_NO_FENCE, tlbf__fence(TLBF_SEQ_CST));
	TLBF_STEP("W4");
	/* W4: acquire load; pairs with H3. */
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
static inline bool tlbf__tlb_lock_waits(const struct tlbf_partition *pt, uint32_t w, unsigned t)
{
	TLBF_STEP("W5");
	/* W5: acquire load; pairs with H6. */
	return tlbf__load(&pt->locks[w].wait[t].count, TLBF_ACQUIRE) != 0;
}

/**
 * tlbf_tlb_lock_wait_begin - after recording a flush, wait for its holders
 * @pt: the partition (set up with TLB-lock state)
 * @waiter: the VP that made the flush request
 * @target_vtl: the request's target VTL
 * @set: the request's processor set (NULL: every VP)
 *
 * For a VMM that records a flush without tlbf_flush_handle(), which does
 * this itself. Snapshots the VPs of @set that hold the lock of
 * @target_vtl (never the waiter itself) and registers the waiter with
 * each. Call it after the flush is recorded; it fences first (W0).
 * Concurrency: @waiter's own thread.
 * Returns: TLBF_STATUS_SUSPEND if the waiter must stay suspended until
 * tlbf_tlb_lock_must_wait() says otherwise; TLBF_STATUS_OK if no holder
 * remains; refused, nothing changed: TLBF_STATUS_BAD_PARTITION,
 * _NO_LOCKS, _BAD_VP, _BAD_VTL (@target_vtl not below TLBF_VTL_COUNT).
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_tlb_lock_wait_begin(struct tlbf_partition *pt,
                                                                        uint32_t waiter,
                                                                        unsigned target_vtl,
                                                                        const struct tlbf_vpset *set)
{
	enum tlbf_status st = tlbf__tlb_lock_check(pt, waiter);
	if (st != TLBF_STATUS_OK)
		return st;
	if (target_vtl >= TLBF_VTL_COUNT)
		return TLBF_STATUS_BAD_VTL;
	TLBF_STEP("W0");
	/* W0: seq_cst fence, pairs with H2. */
	tlbf__fence(TLBF_SEQ_CST);
	struct tlbf_vpset_iter it;
	uint32_t h;
	tlbf__vpset_iter_init_or_all(&it, set, pt->vp_count);
	while (tlbf_vpset_iter_next(&it, &h)) {
		if (h >= pt->vp_count)
			break;
		/* Never wait on ourselves: our own lock is released when we
		 * return to the target VTL. */
		if (h != waiter)
			(void)tlbf__tlb_wait_on(pt, waiter, h, target_vtl);
	}
	return tlbf__tlb_lock_waits(pt, waiter, target_vtl) ? TLBF_STATUS_SUSPEND : TLBF_STATUS_OK;
}

/**
 * tlbf_tlb_lock_must_wait - the suspended VP's check before it halts
 * @pt: the partition
 * @vp: the calling VP
 *
 * Marks the VP sleeping (S1), fences (S2) and reads its counts (S3). If a
 * holder it waits for still holds its lock, returns true and the VP stays
 * marked: it may halt, and the holder whose release ends the wait finds
 * the mark and wakes it (the backend's wake). A wake-up can be sent as
 * soon as this call has set the mark, before it returns: the halt must
 * end on a wake sent after this call began (the mock's sticky wake flag,
 * an eventfd, a futex word read before this call), never only on one sent
 * after it returned. A spurious wake is harmless: the VP calls this again.
 * Returns false (and clears the mark) once no holder remains: the VP
 * resumes and its flush call completes.
 * Concurrency: @vp's own thread.
 * Returns: true to stay suspended; false to resume (also for a partition
 * without TLB locks, or a @vp it does not have: nothing to wait for).
 */
static inline bool tlbf_tlb_lock_must_wait(struct tlbf_partition *pt, uint32_t vp)
{
	if (tlbf__tlb_lock_check(pt, vp) != TLBF_STATUS_OK)
		return false;
	for (unsigned t = 0; t < TLBF_VTL_COUNT; t++) {
		struct tlbf_tlb_lock_wait *me = &pt->locks[vp].wait[t];
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
		TLBF_STEP("S1");
		/* S1: relaxed store, made visible before S3 by S2. */
		tlbf__store(&me->sleeping, 1, TLBF_RELAXED);
		TLBF_STEP("S2");
		/* S2: seq_cst fence, pairs with H7. */
		TLBF_UNLESS_BROKEN(TLB_SLEEP_NO_FENCE, tlbf__fence(TLBF_SEQ_CST));
		TLBF_STEP("S3");
		/* S3: acquire load; pairs with H6. */
		if (tlbf__load(&me->count, TLBF_ACQUIRE) != 0)
			return true;
		/* Relaxed: a stale 1 read by a holder costs a spurious wake. */
		tlbf__store(&me->sleeping, 0, TLBF_RELAXED);
	}
	return false;
}

/**
 * tlbf_tlb_lock_held - which VTLs hold the lock of @target_vtl on @vp
 * @pt: the partition
 * @vp: any VP
 * @target_vtl: the locked VTL
 *
 * Concurrency: any thread (a snapshot).
 * Returns: bit r set for each VTL r holding it; 0 for a partition without
 * TLB locks or out of range.
 */
static inline uint64_t tlbf_tlb_lock_held(const struct tlbf_partition *pt, uint32_t vp,
                                          unsigned target_vtl)
{
	if (tlbf__tlb_lock_check(pt, vp) != TLBF_STATUS_OK || target_vtl >= TLBF_VTL_COUNT)
		return 0;
	/* Relaxed: a snapshot for diagnostics. */
	return tlbf__load(&pt->locks[vp].held[target_vtl], TLBF_RELAXED);
}

/**
 * tlbf_tlb_lock_waiting - how many holders @vp still waits for
 * @pt: the partition
 * @vp: any VP
 * @target_vtl: the VTL of its flush
 *
 * Concurrency: any thread (a snapshot).
 * Returns: the count; 0 for a partition without TLB locks or out of
 * range.
 */
static inline uint64_t tlbf_tlb_lock_waiting(const struct tlbf_partition *pt, uint32_t vp,
                                             unsigned target_vtl)
{
	if (tlbf__tlb_lock_check(pt, vp) != TLBF_STATUS_OK || target_vtl >= TLBF_VTL_COUNT)
		return 0;
	/* Relaxed: a snapshot for diagnostics. */
	return tlbf__load(&pt->locks[vp].wait[target_vtl].count, TLBF_RELAXED);
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_TLB_LOCK_H */
