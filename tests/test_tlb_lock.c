/* SPDX-License-Identifier: MIT */
/* Unit tests of the VSM TLB locks (tlbflush/tlb_lock.h) on one thread: the
 * holder and waiter calls in a fixed order, the wake mask they return, and
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

static struct tlbf_tlb_lock_vp lvps[NVP];
static struct tlbf_tlb_locks lk;
/* A copy of the whole lock state, to check that a call changed nothing. */
static struct tlbf_tlb_lock_vp saved[NVP];

static struct tlbf_ring rings[TLBF_VTL_COUNT];
static struct tlbf_vp vps[NVP];
static struct tlbf_mock_vp mvps[NVP];
static struct tlbf_mock mock;
static struct tlbf_backend be;
static struct tlbf_partition pt;

static int setup(void **state)
{
	(void)state;
	memset(lvps, 0xa5, sizeof(lvps)); /* init must not rely on zeroed storage */
	assert_true(tlbf_tlb_locks_init(&lk, lvps, NVP));
	struct tlbf_ring *rp[TLBF_VTL_COUNT];
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++) {
		tlbf_ring_init(&rings[v]);
		rp[v] = &rings[v];
	}
	for (unsigned i = 0; i < NVP; i++)
		tlbf__vp_init(&vps[i]);
	assert_int_equal(tlbf_partition_init(&pt, rp, vps, NVP), TLBF_STATUS_OK);
	tlbf_mock_init(&mock, mvps, NVP, NULL, 0);
	be = tlbf_mock_backend(&mock);
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

/* Unlock, checking the return and the wake mask (a fresh zeroed one). */
static void unlock_expect(uint32_t vp, unsigned r, unsigned t, int ret, uint64_t wake_mask)
{
	uint64_t wake[WORDS] = {0};
	assert_int_equal(tlbf_tlb_unlock(&lk, vp, r, t, wake, WORDS), ret);
	assert_int_equal(wake[0], wake_mask);
}

static void init_refusals(void **state)
{
	(void)state;
	struct tlbf_tlb_locks l2;
	assert_false(tlbf_tlb_locks_init(&l2, NULL, 4));
	assert_int_equal(l2.vp_count, 0);
	assert_false(tlbf_tlb_locks_init(&l2, lvps, 0));
	assert_false(tlbf_tlb_locks_init(&l2, lvps, (uint32_t)TLBF_MAX_VPS + 1));
	/* A refused partition refuses every call. */
	assert_false(tlbf_tlb_lock(&l2, 0, 1, 0));
	assert_false(tlbf_tlb_lock_wait_begin(&l2, 0, 0, NULL));
	assert_false(tlbf_tlb_lock_must_wait(&l2, 0));
}

/* Refused arguments: -1 (false for lock), and no state changes. */
static void argument_refusal(void **state)
{
	(void)state;
	/* Some state worth protecting: VP 1 holds as VTL1 and VTL2, VP 0
	 * waits for it, asleep. */
	assert_true(tlbf_tlb_lock(&lk, 1, 1, 0));
	assert_true(tlbf_tlb_lock(&lk, 1, 2, 0));
	assert_true(tlbf_tlb_lock_wait_begin(&lk, 0, 0, NULL));
	assert_true(tlbf_tlb_lock_must_wait(&lk, 0));
	save();
	static const unsigned bad[][2] = {
		{1, 1}, {2, 2}, {0, 0}, {1, 2}, /* target not below requesting */
		{3, 0}, {3, 1}, {7, 0},         /* requesting above 2 */
		{3, TLBF_VTL_COUNT},            /* target out of range */
#if TLBF_VTL_COUNT < 2
		{2, 1}, /* VTL1 does not exist in this build */
#endif
	};
	uint64_t wake[WORDS + 1];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(tlbf_tlb_lock(&lk, 1, bad[i][0], bad[i][1]));
		wake[0] = 0x1234;
		assert_int_equal(tlbf_tlb_unlock(&lk, 1, bad[i][0], bad[i][1], wake, WORDS), -1);
		assert_true(wake[0] == 0x1234);
		assert_unchanged();
	}
	/* VP out of range. */
	assert_false(tlbf_tlb_lock(&lk, NVP, 1, 0));
	assert_false(tlbf_tlb_lock(&lk, UINT32_MAX, 2, 0));
	wake[0] = 0x1234;
	assert_int_equal(tlbf_tlb_unlock(&lk, NVP, 1, 0, wake, WORDS), -1);
	assert_int_equal(tlbf_tlb_unlock_all(&lk, NVP, 2, wake, WORDS), -1);
	assert_true(wake[0] == 0x1234);
	assert_unchanged();
	/* Short or NULL wake mask, on a release that would wake VP 0. */
	assert_int_equal(tlbf_tlb_unlock(&lk, 1, 1, 0, NULL, WORDS), -1);
	assert_int_equal(tlbf_tlb_unlock(&lk, 1, 1, 0, wake, WORDS - 1), -1);
	assert_int_equal(tlbf_tlb_unlock(&lk, 1, 2, 0, NULL, 5), -1);
	assert_int_equal(tlbf_tlb_unlock(&lk, 1, 2, 0, wake, 0), -1);
	assert_int_equal(tlbf_tlb_unlock_all(&lk, 1, 2, NULL, WORDS), -1);
	assert_int_equal(tlbf_tlb_unlock_all(&lk, 1, 2, wake, WORDS - 1), -1);
	/* unlock_all: VTL 0 returns to nothing lower, VTL 3 does not exist. */
	assert_int_equal(tlbf_tlb_unlock_all(&lk, 1, 0, wake, WORDS), -1);
	assert_int_equal(tlbf_tlb_unlock_all(&lk, 1, 3, wake, WORDS), -1);
	assert_true(wake[0] == 0x1234);
	assert_unchanged();
	/* The waiter side: out-of-range waiter or target. */
	assert_false(tlbf_tlb_lock_wait_begin(&lk, NVP, 0, NULL));
	assert_false(tlbf_tlb_lock_wait_begin(&lk, 2, TLBF_VTL_COUNT, NULL));
	assert_false(tlbf_tlb_lock_must_wait(&lk, NVP));
	assert_unchanged();
	/* Queries out of range answer 0. */
	assert_true(tlbf_tlb_lock_held(&lk, NVP, 0) == 0);
	assert_true(tlbf_tlb_lock_held(&lk, 1, TLBF_VTL_COUNT) == 0);
	assert_true(tlbf_tlb_lock_waiting(&lk, NVP, 0) == 0);
	assert_true(tlbf_tlb_lock_waiting(&lk, 0, TLBF_VTL_COUNT) == 0);
	/* The state was intact: both releases still wake VP 0. */
	unlock_expect(1, 1, 0, 0, 0);
	unlock_expect(1, 2, 0, 1, UINT64_C(1) << 0);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 0));
}

static void held_masks(void **state)
{
	(void)state;
	assert_true(tlbf_tlb_lock_held(&lk, 3, 0) == 0);
	assert_true(tlbf_tlb_lock(&lk, 3, 1, 0));
	assert_true(tlbf_tlb_lock_held(&lk, 3, 0) == 2);
	assert_true(tlbf_tlb_lock(&lk, 3, 2, 0));
	assert_true(tlbf_tlb_lock_held(&lk, 3, 0) == 6);
#if TLBF_VTL_COUNT >= 2
	assert_true(tlbf_tlb_lock_held(&lk, 3, 1) == 0);
	assert_true(tlbf_tlb_lock(&lk, 3, 2, 1));
	assert_true(tlbf_tlb_lock_held(&lk, 3, 1) == 4);
	assert_true(tlbf_tlb_lock_held(&lk, 3, 0) == 6);
#endif
	/* Other VPs are not affected. */
	for (uint32_t v = 0; v < NVP; v++)
		for (unsigned t = 0; t < TLBF_VTL_COUNT; t++)
			if (v != 3)
				assert_true(tlbf_tlb_lock_held(&lk, v, t) == 0);
	unlock_expect(3, 1, 0, 0, 0);
	assert_true(tlbf_tlb_lock_held(&lk, 3, 0) == 4);
	unlock_expect(3, 2, 0, 0, 0);
	assert_true(tlbf_tlb_lock_held(&lk, 3, 0) == 0);
}

static void lock_idempotent(void **state)
{
	(void)state;
	assert_true(tlbf_tlb_lock(&lk, 2, 1, 0));
	save();
	assert_true(tlbf_tlb_lock(&lk, 2, 1, 0));
	assert_unchanged();
	assert_true(tlbf_tlb_lock_held(&lk, 2, 0) == 2);
	/* One waiter, asleep; a single unlock releases the doubly taken lock. */
	assert_true(tlbf_tlb_lock_wait_begin(&lk, 5, 0, NULL));
	assert_true(tlbf_tlb_lock_waiting(&lk, 5, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&lk, 5));
	assert_true(tlbf_tlb_lock(&lk, 2, 1, 0));
	unlock_expect(2, 1, 0, 1, UINT64_C(1) << 5);
	assert_true(tlbf_tlb_lock_held(&lk, 2, 0) == 0);
	assert_true(tlbf_tlb_lock_waiting(&lk, 5, 0) == 0);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 5));
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
	uint64_t wake[WORDS] = {0};
	assert_int_equal(tlbf_tlb_unlock_all(&lk, 4, 2, wake, WORDS), 0);
	assert_true(wake[0] == 0);
	assert_unchanged();
	/* VTL1 holds; VTL2 releasing a lock it does not hold changes nothing,
	 * and the waiter stays blocked. */
	assert_true(tlbf_tlb_lock(&lk, 4, 1, 0));
	assert_true(tlbf_tlb_lock_wait_begin(&lk, 6, 0, NULL));
	assert_true(tlbf_tlb_lock_must_wait(&lk, 6));
	save();
	unlock_expect(4, 2, 0, 0, 0);
#if TLBF_VTL_COUNT >= 2
	unlock_expect(4, 2, 1, 0, 0);
#endif
	assert_unchanged();
	assert_true(tlbf_tlb_lock_held(&lk, 4, 0) == 2);
	assert_true(tlbf_tlb_lock_waiting(&lk, 6, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&lk, 6));
	unlock_expect(4, 1, 0, 1, UINT64_C(1) << 6);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 6));
}

/* VTL1 and VTL2 both hold VTL0's lock on VP 1; VP 0 waits, asleep. The
 * first release (either one) keeps VP 0 blocked and wakes nobody; the
 * second unblocks it and puts it in the wake mask. */
static void nested(unsigned first, unsigned second)
{
	assert_true(tlbf_tlb_lock(&lk, 1, 1, 0));
	assert_true(tlbf_tlb_lock(&lk, 1, 2, 0));
	assert_true(tlbf_tlb_lock_wait_begin(&lk, 0, 0, NULL));
	assert_true(tlbf_tlb_lock_waiting(&lk, 0, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&lk, 0));
	unlock_expect(1, first, 0, 0, 0);
	assert_true(tlbf_tlb_lock_held(&lk, 1, 0) == (UINT64_C(1) << second));
	assert_true(tlbf_tlb_lock_waiting(&lk, 0, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&lk, 0));
	unlock_expect(1, second, 0, 1, UINT64_C(1) << 0);
	assert_true(tlbf_tlb_lock_held(&lk, 1, 0) == 0);
	assert_true(tlbf_tlb_lock_waiting(&lk, 0, 0) == 0);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 0));
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
	assert_true(tlbf_tlb_lock(&lk, 2, 1, 0));
	assert_true(tlbf_tlb_lock(&lk, 2, 2, 0));
	save();
	assert_false(tlbf_tlb_lock_wait_begin(&lk, 2, 0, NULL));
	struct tlbf_vpset self = mask_set(UINT64_C(1) << 2);
	assert_false(tlbf_tlb_lock_wait_begin(&lk, 2, 0, &self));
	assert_true(tlbf_tlb_lock_waiting(&lk, 2, 0) == 0);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 2));
	assert_unchanged();
	/* With another holder (VP 3) it waits for that one only. */
	assert_true(tlbf_tlb_lock(&lk, 3, 1, 0));
	assert_true(tlbf_tlb_lock_wait_begin(&lk, 2, 0, NULL));
	assert_true(tlbf_tlb_lock_waiting(&lk, 2, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&lk, 2));
	/* Its own release does not touch its wait. */
	unlock_expect(2, 1, 0, 0, 0);
	unlock_expect(2, 2, 0, 0, 0);
	assert_true(tlbf_tlb_lock_waiting(&lk, 2, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&lk, 2));
	unlock_expect(3, 1, 0, 1, UINT64_C(1) << 2);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 2));
}

/* Released before the waiter decided to sleep: not in the wake mask, and
 * must_wait says resume. */
static void waiter_not_sleeping(void **state)
{
	(void)state;
	assert_true(tlbf_tlb_lock(&lk, 6, 1, 0));
	assert_true(tlbf_tlb_lock_wait_begin(&lk, 1, 0, NULL));
	assert_true(tlbf_tlb_lock_waiting(&lk, 1, 0) == 1);
	unlock_expect(6, 1, 0, 0, 0);
	assert_true(tlbf_tlb_lock_waiting(&lk, 1, 0) == 0);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 1));
}

/* Asleep (must_wait said true): in the wake mask exactly once, from the
 * release that unblocks it, even with two holders. */
static void waiter_sleeping(void **state)
{
	(void)state;
	assert_true(tlbf_tlb_lock(&lk, 4, 1, 0));
	assert_true(tlbf_tlb_lock(&lk, 5, 2, 0));
	assert_true(tlbf_tlb_lock_wait_begin(&lk, 7, 0, NULL));
	assert_true(tlbf_tlb_lock_waiting(&lk, 7, 0) == 2);
	assert_true(tlbf_tlb_lock_must_wait(&lk, 7));
	assert_true(tlbf_tlb_lock_must_wait(&lk, 7)); /* a spurious wake */
	unlock_expect(5, 2, 0, 0, 0);
	assert_true(tlbf_tlb_lock_must_wait(&lk, 7));
	unlock_expect(4, 1, 0, 1, UINT64_C(1) << 7);
	/* Nothing else wakes it again. */
	assert_true(tlbf_tlb_lock(&lk, 4, 1, 0));
	unlock_expect(4, 1, 0, 0, 0);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 7));
}

/* After a sleep and its wake, the next wait of the same VP that is not
 * asleep when released is not in the wake mask either: the sleeping mark
 * does not outlive the sleep. */
static void sleeping_mark_cleared(void **state)
{
	(void)state;
	assert_true(tlbf_tlb_lock(&lk, 4, 1, 0));
	assert_true(tlbf_tlb_lock_wait_begin(&lk, 7, 0, NULL));
	assert_true(tlbf_tlb_lock_must_wait(&lk, 7));
	unlock_expect(4, 1, 0, 1, UINT64_C(1) << 7);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 7));
	/* A second flush of VP 7: it does not sleep this time. */
	assert_true(tlbf_tlb_lock(&lk, 4, 1, 0));
	assert_true(tlbf_tlb_lock_wait_begin(&lk, 7, 0, NULL));
	unlock_expect(4, 1, 0, 0, 0);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 7));
}

/* VTL2 returning releases its locks of VTL0 and VTL1 on its VP, and
 * nothing else: VTL1's lock of VTL0 and other VPs' locks stay. */
static void unlock_all_vtl2(void **state)
{
	(void)state;
	assert_true(tlbf_tlb_lock(&lk, 1, 1, 0));
	assert_true(tlbf_tlb_lock(&lk, 1, 2, 0));
	assert_true(tlbf_tlb_lock(&lk, 2, 2, 0));
#if TLBF_VTL_COUNT >= 2
	assert_true(tlbf_tlb_lock(&lk, 1, 2, 1));
	assert_true(tlbf_tlb_lock(&lk, 3, 2, 1));
	struct tlbf_vpset s1 = mask_set(UINT64_C(1) << 1);
	/* VP 0 waits (asleep) for VP 1's lock of VTL1. */
	assert_true(tlbf_tlb_lock_wait_begin(&lk, 0, 1, &s1));
	assert_true(tlbf_tlb_lock_must_wait(&lk, 0));
#endif
	/* VP 4 waits (asleep) for VP 1's lock of VTL0. */
	struct tlbf_vpset s = mask_set(UINT64_C(1) << 1);
	assert_true(tlbf_tlb_lock_wait_begin(&lk, 4, 0, &s));
	assert_true(tlbf_tlb_lock_must_wait(&lk, 4));
	uint64_t wake[WORDS] = {0};
#if TLBF_VTL_COUNT >= 2
	assert_int_equal(tlbf_tlb_unlock_all(&lk, 1, 2, wake, WORDS), 1);
	assert_true(wake[0] == UINT64_C(1) << 0);
	assert_true(tlbf_tlb_lock_held(&lk, 1, 1) == 0);
	assert_true(tlbf_tlb_lock_held(&lk, 3, 1) == 4);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 0));
#else
	assert_int_equal(tlbf_tlb_unlock_all(&lk, 1, 2, wake, WORDS), 0);
	assert_true(wake[0] == 0);
#endif
	assert_true(tlbf_tlb_lock_held(&lk, 1, 0) == 2);
	assert_true(tlbf_tlb_lock_held(&lk, 2, 0) == 4);
	assert_true(tlbf_tlb_lock_waiting(&lk, 4, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&lk, 4));
	/* VTL1 returning releases VTL0: VP 4 is woken. */
	wake[0] = 0;
	assert_int_equal(tlbf_tlb_unlock_all(&lk, 1, 1, wake, WORDS), 1);
	assert_true(wake[0] == UINT64_C(1) << 4);
	assert_true(tlbf_tlb_lock_held(&lk, 1, 0) == 0);
	assert_true(tlbf_tlb_lock_held(&lk, 2, 0) == 4);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 4));
}

/* A set that leaves out the holder does not wait; one that names it does. */
static void set_excludes_holder(void **state)
{
	(void)state;
	assert_true(tlbf_tlb_lock(&lk, 3, 1, 0));
	save();
	struct tlbf_vpset s = mask_set(0xffu & ~(UINT64_C(1) << 3));
	assert_false(tlbf_tlb_lock_wait_begin(&lk, 0, 0, &s));
	assert_true(tlbf_tlb_lock_waiting(&lk, 0, 0) == 0);
	assert_unchanged();
	/* Another target VTL than the one held does not wait either. */
#if TLBF_VTL_COUNT >= 2
	assert_false(tlbf_tlb_lock_wait_begin(&lk, 0, 1, NULL));
	assert_unchanged();
#endif
	s = mask_set(UINT64_C(1) << 3);
	assert_true(tlbf_tlb_lock_wait_begin(&lk, 0, 0, &s));
	assert_true(tlbf_tlb_lock_waiting(&lk, 0, 0) == 1);
	unlock_expect(3, 1, 0, 0, 0);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 0));
}

/* tlbf_flush_handle() with locks: Space (entire) on target VTL 0. */
static enum tlbf_status flush(uint64_t mask, uint32_t initiator, struct tlbf_stats *st,
                                    struct tlbf_flush_outcome *o)
{
	struct tlbf_flush_request req;
	uint64_t kick[WORDS], wait[WORDS];
	memset(&req, 0, sizeof(req));
	req.call = TLBF_HVCALL_FLUSH_VA_SPACE;
	req.kind = TLBF_FLUSH_KIND_ENTIRE;
	req.target_vtl = 0;
	tlbf_vpset_init_mask(&req.vps, mask, NVP);
	enum tlbf_status rc = tlbf_flush_handle(&pt, &be, &req, initiator, kick, wait, WORDS, o);
	tlbf_flush_count(st, &req, rc, o);
	return rc;
}

static void flush_handle_suspends(void **state)
{
	(void)state;
	struct tlbf_stats st;
	struct tlbf_flush_outcome o;
	tlbf_stats_init(&st);
	assert_true(tlbf_tlb_lock(&lk, 2, 1, 0));
	/* Without locks in the partition, no suspension. */
	assert_int_equal(flush(0xff, 0, &st, &o), TLBF_STATUS_OK);
	assert_false(o.suspend);
	assert_true(tlbf_partition_set_tlb_locks(&pt, &lk));
	/* The holder is outside the set. */
	assert_int_equal(flush(0xfb, 0, &st, &o), TLBF_STATUS_OK);
	assert_false(o.suspend);
	/* The initiator is the holder. */
	assert_int_equal(flush(0xff, 2, &st, &o), TLBF_STATUS_OK);
	assert_false(o.suspend);
	/* No initiator VP (the VMM's own request). */
	assert_int_equal(flush(0xff, NVP, &st, &o), TLBF_STATUS_OK);
	assert_int_equal(flush(0xff, UINT32_MAX, &st, &o), TLBF_STATUS_OK);
	assert_false(o.suspend);
	assert_true(tlbf_stats_get(&st, TLBF_STAT_SUSPENDED) == 0);
	for (uint32_t v = 0; v < NVP; v++)
		assert_true(tlbf_tlb_lock_waiting(&lk, v, 0) == 0);
	/* A target holds it: suspend, counted once. */
	assert_int_equal(flush(UINT64_C(1) << 2 | 1u << 5, 0, &st, &o), TLBF_STATUS_SUSPEND);
	assert_true(o.suspend);
	assert_int_equal(o.kick_rc, 0);
	assert_true(o.push.mark.kind == TLBF_MARK_KIND_ENTIRE); /* recorded nonetheless */
#if TLBF_STATS
	assert_true(tlbf_stats_get(&st, TLBF_STAT_SUSPENDED) == 1);
#else
	assert_true(tlbf_stats_get(&st, TLBF_STAT_SUSPENDED) == 0);
#endif
	assert_true(tlbf_tlb_lock_waiting(&lk, 0, 0) == 1);
	assert_true(tlbf_tlb_lock_must_wait(&lk, 0));
	unlock_expect(2, 1, 0, 1, UINT64_C(1) << 0);
	assert_false(tlbf_tlb_lock_must_wait(&lk, 0));
	/* Released: done again. */
	assert_int_equal(flush(0xff, 0, &st, &o), TLBF_STATUS_OK);
#if TLBF_STATS
	assert_true(tlbf_stats_get(&st, TLBF_STAT_SUSPENDED) == 1);
#endif
	/* Locks of another VTL (VTL2 on VTL1) do not suspend a VTL0 flush. */
#if TLBF_VTL_COUNT >= 2
	assert_true(tlbf_tlb_lock(&lk, 3, 2, 1));
	assert_int_equal(flush(0xff, 0, &st, &o), TLBF_STATUS_OK);
	unlock_expect(3, 2, 1, 0, 0);
#endif
	assert_true(tlbf_partition_set_tlb_locks(&pt, NULL));
	assert_true(pt.locks == NULL);
}

static void set_tlb_locks_vp_count(void **state)
{
	(void)state;
	struct tlbf_tlb_locks other;
	assert_true(tlbf_tlb_locks_init(&other, lvps, NVP - 1));
	assert_false(tlbf_partition_set_tlb_locks(&pt, &other));
	assert_true(pt.locks == NULL);
	assert_true(tlbf_partition_set_tlb_locks(&pt, &lk));
	assert_false(tlbf_partition_set_tlb_locks(&pt, &other));
	assert_true(pt.locks == &lk);
	assert_true(tlbf_partition_set_tlb_locks(&pt, NULL));
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
		cmocka_unit_test_setup(set_tlb_locks_vp_count, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
