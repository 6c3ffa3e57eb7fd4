/* SPDX-License-Identifier: MIT */
/* Unit tests of the VSM TLB locks (tlbflush/tlb_lock.h) on one thread: the
 * holder and waiter calls in a fixed order, the VPs their releases wake
 * through the mock backend, and
 * tlbf_flush_handle()'s TLBF_STATUS_SUSPEND on the mock backend. Built with
 * the counters (TLBF_STATS=1) so that tlb_lock.suspended can be checked,
 * and once more with one VTL (test_tlb_lock_vtl1), where VTL2's lock of
 * VTL1 does not exist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#ifndef TLBF_STATS
#define TLBF_STATS 1
#endif

#include "tlbflush/tlbflush.h"
#include "tlbflush/mock_backend.h"

#define NVP 8
#define WORDS TLBF_MASK_WORDS(NVP)
#include "fixture.h" /* pt (with TLB locks: lvps), mock, be */

/* A copy of the whole lock state, to check that a call changed nothing. */
static struct tlbf_tlb_lock_vp saved[NVP];

/* pt has TLB locks; pt_nolock (its own VPs) has none. */
static struct tlbf_vp vps_nolock[NVP];
static struct tlbf_partition pt_nolock;

static int setup(void **state)
{
	(void)state;
	memset(lvps, 0xa5, sizeof(lvps)); /* init must not rely on zeroed storage */
	assert_int_equal(fixture_setup(true, false), 0);
	assert_int_equal(tlbf_partition_init(&pt_nolock, vps_nolock, NULL, NVP), TLBF_STATUS_OK);
	return 0;
}

static void save(void)
{
	memcpy(saved, lvps, sizeof(lvps));
}

static void assert_unchanged(void)
{
	assert_memory_equal(saved, lvps, sizeof(lvps));
}

/* A set of the VPs in @mask. */
static struct tlbf_vpset mask_set(uint64_t mask)
{
	struct tlbf_vpset s;
	tlbf_vpset_init_mask(&s, mask, NVP);
	return s;
}

/* The VPs the mock's wake operation woke since the last call (their wake
 * flags, consumed). */
static uint64_t woken(void)
{
	uint64_t m = 0;
	for (uint32_t v = 0; v < NVP; v++)
		if (tlbf_mock_take_wake(&mock, v))
			m |= UINT64_C(1) << v;
	return m;
}

/* Unlock target @t (or TLBF_TLB_UNLOCK_ALL) through the mock backend: the
 * release is accepted, exactly @n wake-ups are sent and they end the halt
 * of the VPs in @wake_mask. */
static void unlock_expect(uint32_t vp, unsigned r, unsigned t, int n, uint64_t wake_mask)
{
	(void)woken();
	uint64_t wakes = tlbf__load(&mock.wakes, TLBF_RELAXED);
	assert_int_equal(tlbf_tlb_unlock(&pt, &be, vp, r, t), TLBF_STATUS_OK);
	assert_int_equal(tlbf__load(&mock.wakes, TLBF_RELAXED) - wakes, n);
	assert_int_equal(woken(), wake_mask);
}

static void init_refusals(void **state)
{
	(void)state;
	struct tlbf_partition p2;
	assert_int_equal(tlbf_partition_init(&p2, NULL, lvps, 4), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(p2.vp_count, 0);
	assert_int_equal(tlbf_partition_init(&p2, vps, lvps, 0), TLBF_STATUS_BAD_VP_COUNT);
	assert_int_equal(tlbf_partition_init(&p2, vps, lvps, (uint32_t)TLBF_MAX_VPS + 1),
	                 TLBF_STATUS_BAD_VP_COUNT);
	assert_null(p2.locks);
	/* A refused partition refuses every call. */
	assert_int_equal(tlbf_tlb_lock(&p2, 0, 1, 0), TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_tlb_unlock(&p2, &be, 0, 1, 0), TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&p2, 0, 0, NULL), TLBF_STATUS_BAD_PARTITION);
	assert_false(tlbf_tlb_lock_must_wait(&p2, 0));
	/* A partition without lock state refuses them with NO_LOCKS. */
	assert_int_equal(tlbf_tlb_lock(&pt_nolock, 0, 1, 0), TLBF_STATUS_NO_LOCKS);
	assert_int_equal(tlbf_tlb_unlock(&pt_nolock, &be, 0, 1, 0), TLBF_STATUS_NO_LOCKS);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt_nolock, 0, 0, NULL), TLBF_STATUS_NO_LOCKS);
	assert_false(tlbf_tlb_lock_must_wait(&pt_nolock, 0));
	assert_true(tlbf_tlb_lock_held(&pt_nolock, 0, 0) == 0);
	assert_true(tlbf_tlb_lock_waiting(&pt_nolock, 0, 0) == 0);
	/* The partition's init released every lock of storage that was not
	 * zero (setup filled it with 0xa5). */
	for (uint32_t v = 0; v < NVP; v++)
		for (unsigned t = 0; t < TLBF_VTL_COUNT; t++) {
			assert_true(tlbf_tlb_lock_held(&pt, v, t) == 0);
			assert_true(tlbf_tlb_lock_waiting(&pt, v, t) == 0);
			assert_true(tlbf__load(&lvps[v].wait[t].sleeping, TLBF_RELAXED) == 0);
			for (unsigned w = 0; w < TLBF_MASK_WORDS(TLBF_MAX_VPS); w++) {
				assert_true(tlbf__load(&lvps[v].wait[t].blocking[w], TLBF_RELAXED) == 0);
				assert_true(tlbf__load(&lvps[v].by[t].blocked[w], TLBF_RELAXED) == 0);
			}
		}
}

/* Refused arguments: -1 (false for lock), and no state changes. */
static void argument_refusal(void **state)
{
	(void)state;
	/* Some state worth protecting: VP 1 holds as VTL1 and VTL2, VP 0
	 * waits for it, asleep. */
	assert_int_equal(tlbf_tlb_lock(&pt, 1, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock(&pt, 1, 2, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 0, 0, NULL), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 0));
	save();
	static const unsigned bad[][2] = {
		{1, 1}, {2, 2}, {0, 0}, {1, 2}, /* target not below requesting */
		{3, 0}, {3, 1}, {7, 0},         /* requesting above 2 */
		{3, TLBF_VTL_COUNT},            /* target out of range */
#if TLBF_VTL_COUNT < 2
		{2, 1}, /* VTL1 does not exist in this build */
#endif
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tlbf_tlb_lock(&pt, 1, bad[i][0], bad[i][1]), TLBF_STATUS_BAD_VTL);
		assert_int_equal(tlbf_tlb_unlock(&pt, &be, 1, bad[i][0], bad[i][1]), TLBF_STATUS_BAD_VTL);
		assert_unchanged();
	}
	/* VP out of range. */
	assert_int_equal(tlbf_tlb_lock(&pt, NVP, 1, 0), TLBF_STATUS_BAD_VP);
	assert_int_equal(tlbf_tlb_lock(&pt, UINT32_MAX, 2, 0), TLBF_STATUS_BAD_VP);
	assert_int_equal(tlbf_tlb_unlock(&pt, &be, NVP, 1, 0), TLBF_STATUS_BAD_VP);
	assert_int_equal(tlbf_tlb_unlock(&pt, &be, NVP, 2, TLBF_TLB_UNLOCK_ALL), TLBF_STATUS_BAD_VP);
	assert_unchanged();
	/* No backend, no operations, or no wake, on a release that would
	 * wake VP 0. */
	static const struct tlbf_backend_ops no_wake_ops = {NULL, NULL, NULL, NULL, NULL};
	const struct tlbf_backend no_ops = {NULL, &mock};
	const struct tlbf_backend no_wake = {&no_wake_ops, &mock};
	assert_int_equal(tlbf_tlb_unlock(&pt, NULL, 1, 1, 0), TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(tlbf_tlb_unlock(&pt, &no_ops, 1, 1, 0), TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(tlbf_tlb_unlock(&pt, &no_wake, 1, 2, 0), TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(tlbf_tlb_unlock(&pt, NULL, 1, 2, TLBF_TLB_UNLOCK_ALL),
	                 TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(tlbf_tlb_unlock(&pt, &no_wake, 1, 2, TLBF_TLB_UNLOCK_ALL),
	                 TLBF_STATUS_BAD_BACKEND);
	/* unlock all: VTL 0 returns to nothing lower, VTL 3 does not exist. */
	assert_int_equal(tlbf_tlb_unlock(&pt, &be, 1, 0, TLBF_TLB_UNLOCK_ALL), TLBF_STATUS_BAD_VTL);
	assert_int_equal(tlbf_tlb_unlock(&pt, &be, 1, 3, TLBF_TLB_UNLOCK_ALL), TLBF_STATUS_BAD_VTL);
	assert_int_equal(woken(), 0);
	assert_true(tlbf__load(&mock.wakes, TLBF_RELAXED) == 0);
	assert_unchanged();
	/* The waiter side: out-of-range waiter or target. */
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, NVP, 0, NULL), TLBF_STATUS_BAD_VP);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, UINT32_MAX, 0, NULL), TLBF_STATUS_BAD_VP);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 2, TLBF_VTL_COUNT, NULL), TLBF_STATUS_BAD_VTL);
	assert_false(tlbf_tlb_lock_must_wait(&pt, NVP));
	assert_unchanged();
	/* Queries out of range answer 0. */
	assert_true(tlbf_tlb_lock_held(&pt, NVP, 0) == 0);
	assert_true(tlbf_tlb_lock_held(&pt, 1, TLBF_VTL_COUNT) == 0);
	assert_true(tlbf_tlb_lock_waiting(&pt, NVP, 0) == 0);
	assert_true(tlbf_tlb_lock_waiting(&pt, 0, TLBF_VTL_COUNT) == 0);
	/* The state was intact: both releases still wake VP 0. */
	unlock_expect(1, 1, 0, 0, 0);
	unlock_expect(1, 2, 0, 1, UINT64_C(1) << 0);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 0));
}

static void held_masks(void **state)
{
	(void)state;
	assert_true(tlbf_tlb_lock_held(&pt, 3, 0) == 0);
	assert_int_equal(tlbf_tlb_lock(&pt, 3, 1, 0), TLBF_STATUS_OK);
	assert_true(tlbf_tlb_lock_held(&pt, 3, 0) == 2);
	assert_int_equal(tlbf_tlb_lock(&pt, 3, 2, 0), TLBF_STATUS_OK);
	assert_true(tlbf_tlb_lock_held(&pt, 3, 0) == 6);
#if TLBF_VTL_COUNT >= 2
	assert_true(tlbf_tlb_lock_held(&pt, 3, 1) == 0);
	assert_int_equal(tlbf_tlb_lock(&pt, 3, 2, 1), TLBF_STATUS_OK);
	assert_true(tlbf_tlb_lock_held(&pt, 3, 1) == 4);
	assert_true(tlbf_tlb_lock_held(&pt, 3, 0) == 6);
#endif
	/* Other VPs are not affected. */
	for (uint32_t v = 0; v < NVP; v++)
		for (unsigned t = 0; t < TLBF_VTL_COUNT; t++)
			if (v != 3)
				assert_true(tlbf_tlb_lock_held(&pt, v, t) == 0);
	unlock_expect(3, 1, 0, 0, 0);
	assert_true(tlbf_tlb_lock_held(&pt, 3, 0) == 4);
	unlock_expect(3, 2, 0, 0, 0);
	assert_true(tlbf_tlb_lock_held(&pt, 3, 0) == 0);
}

static void lock_idempotent(void **state)
{
	(void)state;
	assert_int_equal(tlbf_tlb_lock(&pt, 2, 1, 0), TLBF_STATUS_OK);
	save();
	assert_int_equal(tlbf_tlb_lock(&pt, 2, 1, 0), TLBF_STATUS_OK);
	assert_unchanged();
	assert_true(tlbf_tlb_lock_held(&pt, 2, 0) == 2);
	/* One waiter, asleep; a single unlock releases the doubly taken lock. */
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 5, 0, NULL), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_waiting(&pt, 5, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 5));
	assert_int_equal(tlbf_tlb_lock(&pt, 2, 1, 0), TLBF_STATUS_OK);
	unlock_expect(2, 1, 0, 1, UINT64_C(1) << 5);
	assert_true(tlbf_tlb_lock_held(&pt, 2, 0) == 0);
	assert_true(tlbf_tlb_lock_waiting(&pt, 5, 0) == 0);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 5));
	/* A second unlock finds nothing held. */
	unlock_expect(2, 1, 0, 0, 0);
}

static void unlock_not_held(void **state)
{
	(void)state;
	/* Nothing held anywhere. */
	save();
	unlock_expect(4, 1, 0, 0, 0);
	unlock_expect(4, 2, 0, 0, 0);
	unlock_expect(4, 2, TLBF_TLB_UNLOCK_ALL, 0, 0);
	assert_unchanged();
	/* VTL1 holds; VTL2 releasing a lock it does not hold changes nothing,
	 * and the waiter stays blocked. */
	assert_int_equal(tlbf_tlb_lock(&pt, 4, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 6, 0, NULL), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 6));
	save();
	unlock_expect(4, 2, 0, 0, 0);
#if TLBF_VTL_COUNT >= 2
	unlock_expect(4, 2, 1, 0, 0);
#endif
	assert_unchanged();
	assert_true(tlbf_tlb_lock_held(&pt, 4, 0) == 2);
	assert_true(tlbf_tlb_lock_waiting(&pt, 6, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 6));
	unlock_expect(4, 1, 0, 1, UINT64_C(1) << 6);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 6));
}

/* VTL1 and VTL2 both hold VTL0's lock on VP 1; VP 0 waits, asleep. The
 * first release (either one) keeps VP 0 blocked and wakes nobody; the
 * second unblocks it and puts it in the wake mask. */
static void nested(unsigned first, unsigned second)
{
	assert_int_equal(tlbf_tlb_lock(&pt, 1, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock(&pt, 1, 2, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 0, 0, NULL), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_waiting(&pt, 0, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 0));
	unlock_expect(1, first, 0, 0, 0);
	assert_true(tlbf_tlb_lock_held(&pt, 1, 0) == (UINT64_C(1) << second));
	assert_true(tlbf_tlb_lock_waiting(&pt, 0, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 0));
	unlock_expect(1, second, 0, 1, UINT64_C(1) << 0);
	assert_true(tlbf_tlb_lock_held(&pt, 1, 0) == 0);
	assert_true(tlbf_tlb_lock_waiting(&pt, 0, 0) == 0);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 0));
}

static void nested_vtl1_first(void **state)
{
	(void)state;
	nested(1, 2);
}

static void nested_vtl2_first(void **state)
{
	(void)state;
	nested(2, 1);
	/* And again, the other way round, on the same state. */
	nested(1, 2);
}

/* A waiter that holds the lock itself is not blocked by itself. */
static void no_wait_on_self(void **state)
{
	(void)state;
	assert_int_equal(tlbf_tlb_lock(&pt, 2, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock(&pt, 2, 2, 0), TLBF_STATUS_OK);
	save();
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 2, 0, NULL), TLBF_STATUS_OK);
	struct tlbf_vpset self = mask_set(UINT64_C(1) << 2);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 2, 0, &self), TLBF_STATUS_OK);
	assert_true(tlbf_tlb_lock_waiting(&pt, 2, 0) == 0);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 2));
	assert_unchanged();
	/* With another holder (VP 3) it waits for that one only. */
	assert_int_equal(tlbf_tlb_lock(&pt, 3, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 2, 0, NULL), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_waiting(&pt, 2, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 2));
	/* Its own release does not touch its wait. */
	unlock_expect(2, 1, 0, 0, 0);
	unlock_expect(2, 2, 0, 0, 0);
	assert_true(tlbf_tlb_lock_waiting(&pt, 2, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 2));
	unlock_expect(3, 1, 0, 1, UINT64_C(1) << 2);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 2));
}

/* Released before the waiter decided to sleep: not in the wake mask, and
 * must_wait says resume. */
static void waiter_not_sleeping(void **state)
{
	(void)state;
	assert_int_equal(tlbf_tlb_lock(&pt, 6, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 1, 0, NULL), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_waiting(&pt, 1, 0) == 1);
	unlock_expect(6, 1, 0, 0, 0);
	assert_true(tlbf_tlb_lock_waiting(&pt, 1, 0) == 0);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 1));
}

/* Asleep (must_wait said true): in the wake mask exactly once, from the
 * release that unblocks it, even with two holders. */
static void waiter_sleeping(void **state)
{
	(void)state;
	assert_int_equal(tlbf_tlb_lock(&pt, 4, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock(&pt, 5, 2, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 7, 0, NULL), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_waiting(&pt, 7, 0) == 2);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 7));
	assert_true(tlbf_tlb_lock_must_wait(&pt, 7)); /* a spurious wake */
	unlock_expect(5, 2, 0, 0, 0);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 7));
	unlock_expect(4, 1, 0, 1, UINT64_C(1) << 7);
	/* Nothing else wakes it again. */
	assert_int_equal(tlbf_tlb_lock(&pt, 4, 1, 0), TLBF_STATUS_OK);
	unlock_expect(4, 1, 0, 0, 0);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 7));
}

/* After a sleep and its wake, the next wait of the same VP that is not
 * asleep when released is not in the wake mask either: the sleeping mark
 * does not outlive the sleep. */
static void sleeping_mark_cleared(void **state)
{
	(void)state;
	assert_int_equal(tlbf_tlb_lock(&pt, 4, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 7, 0, NULL), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 7));
	unlock_expect(4, 1, 0, 1, UINT64_C(1) << 7);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 7));
	/* A second flush of VP 7: it does not sleep this time. */
	assert_int_equal(tlbf_tlb_lock(&pt, 4, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 7, 0, NULL), TLBF_STATUS_SUSPEND);
	unlock_expect(4, 1, 0, 0, 0);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 7));
}

/* VTL2 returning releases its locks of VTL0 and VTL1 on its VP, and
 * nothing else: VTL1's lock of VTL0 and other VPs' locks stay. */
static void unlock_all_vtl2(void **state)
{
	(void)state;
	assert_int_equal(tlbf_tlb_lock(&pt, 1, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock(&pt, 1, 2, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock(&pt, 2, 2, 0), TLBF_STATUS_OK);
#if TLBF_VTL_COUNT >= 2
	assert_int_equal(tlbf_tlb_lock(&pt, 1, 2, 1), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock(&pt, 3, 2, 1), TLBF_STATUS_OK);
	struct tlbf_vpset s1 = mask_set(UINT64_C(1) << 1);
	/* VP 0 waits (asleep) for VP 1's lock of VTL1. */
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 0, 1, &s1), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 0));
#endif
	/* VP 4 waits (asleep) for VP 1's lock of VTL0. */
	struct tlbf_vpset s = mask_set(UINT64_C(1) << 1);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 4, 0, &s), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 4));
#if TLBF_VTL_COUNT >= 2
	unlock_expect(1, 2, TLBF_TLB_UNLOCK_ALL, 1, UINT64_C(1) << 0);
	assert_true(tlbf_tlb_lock_held(&pt, 1, 1) == 0);
	assert_true(tlbf_tlb_lock_held(&pt, 3, 1) == 4);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 0));
#else
	unlock_expect(1, 2, TLBF_TLB_UNLOCK_ALL, 0, 0);
#endif
	assert_true(tlbf_tlb_lock_held(&pt, 1, 0) == 2);
	assert_true(tlbf_tlb_lock_held(&pt, 2, 0) == 4);
	assert_true(tlbf_tlb_lock_waiting(&pt, 4, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 4));
	/* VTL1 returning releases VTL0: VP 4 is woken. */
	unlock_expect(1, 1, TLBF_TLB_UNLOCK_ALL, 1, UINT64_C(1) << 4);
	assert_true(tlbf_tlb_lock_held(&pt, 1, 0) == 0);
	assert_true(tlbf_tlb_lock_held(&pt, 2, 0) == 4);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 4));
}

/* A set that leaves out the holder does not wait; one that names it does. */
static void set_excludes_holder(void **state)
{
	(void)state;
	assert_int_equal(tlbf_tlb_lock(&pt, 3, 1, 0), TLBF_STATUS_OK);
	save();
	struct tlbf_vpset s = mask_set(0xffu & ~(UINT64_C(1) << 3));
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 0, 0, &s), TLBF_STATUS_OK);
	assert_true(tlbf_tlb_lock_waiting(&pt, 0, 0) == 0);
	assert_unchanged();
	/* Another target VTL than the one held does not wait either. */
#if TLBF_VTL_COUNT >= 2
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 0, 1, NULL), TLBF_STATUS_OK);
	assert_unchanged();
#endif
	s = mask_set(UINT64_C(1) << 3);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 0, 0, &s), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_waiting(&pt, 0, 0) == 1);
	unlock_expect(3, 1, 0, 0, 0);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 0));
}

/* tlbf_flush_handle() with locks: Space (entire) on target VTL 0, on
 * partition @p. */
static enum tlbf_status flush(struct tlbf_partition *p, uint64_t mask, uint32_t initiator,
                              struct tlbf_stats *st, struct tlbf_flush_outcome *o)
{
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	req.call = TLBF_HVCALL_FLUSH_VA_SPACE;
	req.kind = TLBF_FLUSH_KIND_ENTIRE;
	req.target_vtl = 0;
	tlbf_vpset_init_mask(&req.vps, mask, NVP);
	return tlbf_flush_handle(p, &be, &req, initiator, st, o);
}

static void flush_handle_suspends(void **state)
{
	(void)state;
	struct tlbf_stats st;
	static struct tlbf_flush_outcome o;
	tlbf_stats_init(&st);
	assert_int_equal(tlbf_tlb_lock(&pt, 2, 1, 0), TLBF_STATUS_OK);
	/* Without locks in the partition, no suspension. */
	assert_int_equal(flush(&pt_nolock, 0xff, 0, &st, &o), TLBF_STATUS_OK);
	assert_false(o.suspend);
	/* The holder is outside the set. */
	assert_int_equal(flush(&pt, 0xfb, 0, &st, &o), TLBF_STATUS_OK);
	assert_false(o.suspend);
	/* The initiator is the holder. */
	assert_int_equal(flush(&pt, 0xff, 2, &st, &o), TLBF_STATUS_OK);
	assert_false(o.suspend);
	/* No initiator VP (the VMM's own request): done, but nobody could
	 * wait for the holder. */
	assert_int_equal(flush(&pt, 0xff, NVP, &st, &o), TLBF_STATUS_LOCKS_IGNORED);
	assert_int_equal(flush(&pt, 0xff, TLBF_NO_VP, &st, &o), TLBF_STATUS_LOCKS_IGNORED);
	assert_false(o.suspend);
	assert_true(o.push.mark.kind == TLBF_MARK_KIND_ENTIRE); /* recorded */
	assert_true(tlbf_stats_get(&st, TLBF_STAT_SUSPENDED) == 0);
	assert_true(tlbf_stats_get(&st, TLBF_STAT_LOCKS_IGNORED) == (TLBF_STATS ? 2 : 0));
	/* Without locks, a VMM request is plainly done. */
	assert_int_equal(flush(&pt_nolock, 0xff, TLBF_NO_VP, &st, &o), TLBF_STATUS_OK);
	assert_true(tlbf_stats_get(&st, TLBF_STAT_LOCKS_IGNORED) == (TLBF_STATS ? 2 : 0));
	for (uint32_t v = 0; v < NVP; v++)
		assert_true(tlbf_tlb_lock_waiting(&pt, v, 0) == 0);
	/* A target holds it: suspend, counted once. */
	assert_int_equal(flush(&pt, UINT64_C(1) << 2 | 1u << 5, 0, &st, &o), TLBF_STATUS_SUSPEND);
	assert_true(o.suspend);
	assert_int_equal(o.kick_rc, 0);
	assert_true(o.push.mark.kind == TLBF_MARK_KIND_ENTIRE); /* recorded nonetheless */
#if TLBF_STATS
	assert_true(tlbf_stats_get(&st, TLBF_STAT_SUSPENDED) == 1);
#else
	assert_true(tlbf_stats_get(&st, TLBF_STAT_SUSPENDED) == 0);
#endif
	assert_true(tlbf_tlb_lock_waiting(&pt, 0, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 0));
	unlock_expect(2, 1, 0, 1, UINT64_C(1) << 0);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 0));
	/* Released: done again. */
	assert_int_equal(flush(&pt, 0xff, 0, &st, &o), TLBF_STATUS_OK);
#if TLBF_STATS
	assert_true(tlbf_stats_get(&st, TLBF_STAT_SUSPENDED) == 1);
#endif
	/* Locks of another VTL (VTL2 on VTL1) do not suspend a VTL0 flush. */
#if TLBF_VTL_COUNT >= 2
	assert_int_equal(tlbf_tlb_lock(&pt, 3, 2, 1), TLBF_STATUS_OK);
	assert_int_equal(flush(&pt, 0xff, 0, &st, &o), TLBF_STATUS_OK);
	unlock_expect(3, 2, 1, 0, 0);
#endif
}

/* A release whose wake fails is reported, and the lock is released all
 * the same (the VMM calls the wake again). */
static int failing_wake(void *ctx, const uint64_t *mask, uint32_t nbits)
{
	(void)ctx;
	(void)mask;
	(void)nbits;
	return -5;
}

static void unlock_wake_fails(void **state)
{
	(void)state;
	static const struct tlbf_backend_ops ops = {NULL, NULL, NULL, failing_wake, NULL};
	const struct tlbf_backend fb = {&ops, NULL};
	assert_int_equal(tlbf_tlb_lock(&pt, 1, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 0, 0, NULL), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 0));
	assert_int_equal(tlbf_tlb_unlock(&pt, &fb, 1, 1, 0), TLBF_STATUS_KICK_FAILED);
	assert_true(tlbf_tlb_lock_held(&pt, 1, 0) == 0);
	assert_true(tlbf_tlb_lock_waiting(&pt, 0, 0) == 0);
	assert_false(tlbf_tlb_lock_must_wait(&pt, 0));
	/* A release that wakes nobody does not call the wake. */
	assert_int_equal(tlbf_tlb_lock(&pt, 1, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_unlock(&pt, &fb, 1, 1, 0), TLBF_STATUS_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(init_refusals, setup),
		cmocka_unit_test_setup(argument_refusal, setup),
		cmocka_unit_test_setup(held_masks, setup),
		cmocka_unit_test_setup(lock_idempotent, setup),
		cmocka_unit_test_setup(unlock_not_held, setup),
		cmocka_unit_test_setup(nested_vtl1_first, setup),
		cmocka_unit_test_setup(nested_vtl2_first, setup),
		cmocka_unit_test_setup(no_wait_on_self, setup),
		cmocka_unit_test_setup(waiter_not_sleeping, setup),
		cmocka_unit_test_setup(waiter_sleeping, setup),
		cmocka_unit_test_setup(sleeping_mark_cleared, setup),
		cmocka_unit_test_setup(unlock_all_vtl2, setup),
		cmocka_unit_test_setup(set_excludes_holder, setup),
		cmocka_unit_test_setup(flush_handle_suspends, setup),
		cmocka_unit_test_setup(unlock_wake_fails, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
