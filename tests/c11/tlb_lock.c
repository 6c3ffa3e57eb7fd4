/* SPDX-License-Identifier: MIT */
/*
 * GenMC clients of the VSM TLB locks (tlbflush/tlb_lock.h): VP 0 is the
 * holder (VTL 1, and VTL 2 in TLB_NESTED, lock VTL 0 on it), VP 1 the
 * waiter (its flush targets VTL 0 on every VP). Labels H1-H8, W0-W5 and
 * S1-S3 are those of the header's top comment.
 *
 * The waiter's suspension is modelled without blocking: after a
 * tlbf_tlb_lock_must_wait() that says "stay suspended" the VP halts; a
 * halt ends only on a wake the holder sent: tlbf_tlb_unlock() wakes the
 * VPs it releases through the backend, here the mock's wake (M5, a sticky
 * flag per VP, as a VMM's event or futex word would be). The waiter looks
 * at its flag once per halt (tlbf_mock_take_wake(), M6): a pending wake
 * ends the halt (it is consumed and the VP runs must_wait again), none
 * means it stays halted, and its thread ends there with `halted` set.
 * Asserted after the join: a halted waiter's flag was set later (no lost
 * wake-up: the halt would end). When the waiter resumes (its flush completes), it reads
 * plain variables the holder wrote under the lock: a resume that is not
 * ordered after the release is a data race (no early wake).
 *
 * Scenarios (-D):
 *   TLB_SB        the H1/H2 vs W0/W1 store-buffering pair: the holder
 *                 locks and reads the page-table entry; the waiter writes
 *                 it and begins its wait (W0). The holder saw the new
 *                 entry or the waiter must suspend.
 *   TLB_RELEASE   lock held before the threads start; the holder writes
 *                 under it and unlocks; the waiter waits (W0-W5, S1-S3).
 *   TLB_SLEEP     the waiter is registered before the threads start (it
 *                 waits for VP 0); then one must_wait against the unlock.
 *   TLB_NESTED    VTL 1 and VTL 2 both hold the lock; the holder releases
 *                 them in the order NESTED_FIRST, then the other; the
 *                 waiter must not resume before the second release.
 *   TLB_TWO_HOLDERS VP 0 and VP 2 hold the lock and release it, each on
 *                 its own thread; the waiter (VP 1) waits for both: it
 *                 resumes only after both releases (its count goes 2, 1,
 *                 0: only the last holder may wake it).
 *   TLB_CHURN     the waiter flushes twice (pages 1 and 2) while the
 *                 holder unlocks, locks again, unlocks: under each lock
 *                 it uses the translations it read from the page table,
 *                 and a translation older than a flush the waiter
 *                 completed must not be in use (plain accesses to the
 *                 old pages, as in wake.c).
 *   OPENVMM_SLEEP no header: OpenVMM's sleep check transcribed (a
 *                 relaxed store of `sleeping` before a SeqCst load of the
 *                 count; a relaxed decrement before a SeqCst load of
 *                 `sleeping`, no fence): GenMC finds the lost wake-up.
 * -DBREAK=NAME breaks the step TLBF_BREAK(NAME) of the header (a
 * should-fail client: GenMC must report the violation).
 */
#define TLBF_MAX_VPS 64

#ifdef BREAK
/* Folded at compile time: both are string literals. (GenMC passes the
 * compiler's arguments on without their quotes: -DBREAK=NAME.) */
#define C11_STR_(x) #x
#define C11_STR(x) C11_STR_(x)
#define TLBF_BREAK(name) (__builtin_strcmp(#name, C11_STR(BREAK)) == 0)
#endif

#include "c11_common.h"

#include <genmc.h>

#include "tlbflush/mock_backend.h"

/* -DREACH=n fails the run where REACHED(n) is: shows that GenMC explores
 * that path (docs/C11.md lists the paths of each client). */
#ifdef REACH
#define REACHED(n) assert((n) != REACH)
#else
#define REACHED(n) ((void)0)
#endif

static result_t halted;

#ifdef OPENVMM_SLEEP

/* count: holders the waiter waits for; sleeping: the waiter halts;
 * woken: the holder's wake. */
static _Atomic uint64_t count = 1, sleeping, woken;

static void *waiter(void *arg)
{
	(void)arg;
	atomic_store_explicit(&sleeping, 1, memory_order_relaxed);
	if (atomic_load_explicit(&count, memory_order_seq_cst) != 0)
		ST(halted, 1); /* stays asleep until a wake */
	return NULL;
}

static void *holder(void *arg)
{
	(void)arg;
	if (atomic_fetch_sub_explicit(&count, 1, memory_order_relaxed) == 1 &&
	    atomic_load_explicit(&sleeping, memory_order_seq_cst) != 0)
		atomic_store_explicit(&woken, 1, memory_order_relaxed); /* wake it */
	return NULL;
}

int main(void)
{
	pthread_t a = c11_spawn(waiter, 0), b = c11_spawn(holder, 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert(!LD(halted) || LD(woken)); /* no lost wake-up */
	return 0;
}

#else /* the header's clients */

#define H 0u /* the holder VP */
#define W 1u /* the waiter VP */

static struct tlbf_partition lk;
static struct tlbf_vp pvps[3];
static struct tlbf_tlb_lock_vp vps[3];
static struct tlbf_mock mock;
static struct tlbf_mock_vp mvps[3];
static struct tlbf_backend be;

/* Unlock (VTL @vtl on VP @h): the library wakes the VPs it releases
 * through the mock's wake (M5). */
static void holder_unlock_vp(uint32_t h, unsigned vtl)
{
	enum tlbf_status st = tlbf_tlb_unlock(&lk, &be, h, vtl, 0);
	assert(st == TLBF_STATUS_OK);
}

static void holder_unlock(unsigned vtl)
{
	holder_unlock_vp(H, vtl);
}

/* VTL @vtl locks VTL 0 on VP @h. */
static void lock(uint32_t h, unsigned vtl)
{
	enum tlbf_status st = tlbf_tlb_lock(&lk, h, vtl, 0);
	assert(st == TLBF_STATUS_OK);
}

/* Sleep checks of one suspension: each halt but the last ends on a wake
 * not seen before, and no client unlocks more than twice. */
#define ROUNDS 3u

/* The run loop of a suspended VP 1: true once its flush completes, false
 * if it halted for good (halted). */
static bool waiter_suspend(void)
{
	for (unsigned round = 0; round < ROUNDS; round++) {
		if (!tlbf_tlb_lock_must_wait(&lk, W)) {
			REACHED(round == 0 ? 3 : 4); /* resumed before / after a halt */
			/* Not marked sleeping any more: a later release must not
			 * wake a VP that is not asleep. */
			assert(atomic_load_explicit(&vps[W].wait[0].sleeping,
			                            memory_order_relaxed) == 0);
			return true;
		}
		/* The halt: ends on a wake not consumed yet (M6). */
		if (!tlbf_mock_take_wake(&mock, W)) {
			REACHED(5); /* halted for good (the wake comes later) */
			ST(halted, 1);
			return false;
		}
	}
	assert(0); /* more wakes than unlocks */
	return false;
}

/* A flush of VTL 0 on every VP, after its page-table change: true once it
 * completes. */
static bool waiter_flush(void)
{
	enum tlbf_status st = tlbf_tlb_lock_wait_begin(&lk, W, 0, NULL);
	assert(st == TLBF_STATUS_OK || st == TLBF_STATUS_SUSPEND);
	if (st == TLBF_STATUS_OK) {
		REACHED(1); /* no suspension: W1 or W4 saw the release */
		return true;
	}
	return waiter_suspend();
}

static void check_no_lost_wake(void)
{
	/* A halted waiter was woken after it last looked: its wake flag is
	 * set, so its halt ends. */
	if (LD(halted))
		assert(atomic_load_explicit(&mvps[W].wake, memory_order_relaxed) != 0);
}

static void setup(void)
{
#ifdef TLB_TWO_HOLDERS
	const uint32_t n = 3;
#else
	const uint32_t n = 2;
#endif
	enum tlbf_status st = tlbf_partition_init(&lk, pvps, vps, n);
	assert(st == TLBF_STATUS_OK);
	tlbf_mock_init(&mock, mvps, n, NULL, 0);
	be = tlbf_mock_backend(&mock);
}

#if defined(TLB_SB)

static _Atomic uint64_t pte;
static result_t holder_saw, suspend;

static void *holder(void *arg)
{
	(void)arg;
	enum tlbf_status st = tlbf_tlb_lock(&lk, H, 1, 0);
	assert(st == TLBF_STATUS_OK);
	ST(holder_saw, atomic_load_explicit(&pte, memory_order_relaxed));
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	atomic_store_explicit(&pte, 1, memory_order_relaxed);
	ST(suspend, tlbf_tlb_lock_wait_begin(&lk, W, 0, NULL) == TLBF_STATUS_SUSPEND);
	return NULL;
}

int main(void)
{
	setup();
	pthread_t a = c11_spawn(holder, 0), b = c11_spawn(waiter, 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	/* The holder reads the new entry, or the flush waits for it. */
	assert(LD(holder_saw) == 1 || LD(suspend));
	return 0;
}

#elif defined(TLB_RELEASE) || defined(TLB_SLEEP) || defined(TLB_NESTED)

#ifndef NESTED_FIRST
#define NESTED_FIRST 1u
#endif

/* Written by the holder under its lock, read by the waiter once resumed. */
static volatile uint64_t work, work2;

static void *holder(void *arg)
{
	(void)arg;
	work = 1;
#ifdef TLB_NESTED
	holder_unlock(NESTED_FIRST);
	work2 = 1; /* still under the other VTL's lock */
	holder_unlock(3u - NESTED_FIRST);
#else
	holder_unlock(1);
#endif
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
#ifdef TLB_SLEEP
	bool done = !tlbf_tlb_lock_must_wait(&lk, W);
	if (!done)
		ST(halted, 1);
#else
	bool done = waiter_flush();
#endif
	if (done) {
		assert(work == 1); /* a race, or a stale value: an early wake */
#ifdef TLB_NESTED
		assert(work2 == 1);
#endif
	}
	return NULL;
}

int main(void)
{
	setup();
	lock(H, 1);
#ifdef TLB_NESTED
	lock(H, 2);
#endif
#ifdef TLB_SLEEP
	/* Registered before the threads start: it waits for VP 0. */
	enum tlbf_status must = tlbf_tlb_lock_wait_begin(&lk, W, 0, NULL);
	assert(must == TLBF_STATUS_SUSPEND);
#endif
	pthread_t a = c11_spawn(holder, 0), b = c11_spawn(waiter, 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	check_no_lost_wake();
	return 0;
}

#elif defined(TLB_CHURN)

/* The page table: the waiter's flush k sets it to k (pages 1..k changed). */
static _Atomic uint64_t pte;
/* The old pages, reused by the waiter once flush k completed. */
static volatile uint64_t old[3];

/* Under a lock: use the translations of pages 1 and 2 read from @ver. */
static void use(uint64_t ver)
{
	for (unsigned k = 1; k <= 2; k++)
		if (ver < k)
			assert(old[k] == 0); /* the old page, not yet reused */
}

static void *holder(void *arg)
{
	(void)arg;
	use(0); /* locked in main(), with the page table at 0 */
	holder_unlock(1);
	lock(H, 1);
	use(atomic_load_explicit(&pte, memory_order_relaxed));
	holder_unlock(1);
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	for (unsigned k = 1; k <= 2; k++) {
		atomic_store_explicit(&pte, k, memory_order_relaxed);
		if (!waiter_flush())
			return NULL;
		old[k] = 1; /* the flush completed: the old page is reused */
	}
	return NULL;
}

int main(void)
{
	setup();
	lock(H, 1);
	pthread_t a = c11_spawn(holder, 0), b = c11_spawn(waiter, 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	check_no_lost_wake();
	return 0;
}

#elif defined(TLB_TWO_HOLDERS)

/* Written by holder VP 0 and VP 2 under their locks. */
static volatile uint64_t work[3];

static void *holder(void *arg)
{
	uint32_t h = (uint32_t)(uintptr_t)arg;
	work[h] = 1;
	holder_unlock_vp(h, 1);
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	if (waiter_flush()) {
		assert(work[0] == 1);
		assert(work[2] == 1);
	}
	return NULL;
}

int main(void)
{
	setup();
	lock(0, 1);
	lock(2, 1);
	pthread_t a = c11_spawn(holder, 0), b = c11_spawn(holder, 2), c = c11_spawn(waiter, 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_join(c, NULL);
	check_no_lost_wake();
	return 0;
}

#else
#error "define TLB_SB, TLB_RELEASE, TLB_SLEEP, TLB_NESTED, TLB_CHURN, TLB_TWO_HOLDERS or OPENVMM_SLEEP"
#endif

#endif /* OPENVMM_SLEEP */
