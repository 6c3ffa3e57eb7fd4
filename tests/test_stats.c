/* SPDX-License-Identifier: MIT */
/* Unit tests of the counters (tlbflush/stats.h, TLBF_STATS=1): each counter
 * moves exactly when its event happens, and by exactly one; every other
 * counter stays put. Built once more with TLBF_STATS=0, where nothing
 * moves (test_stats_off). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tlbflush/tlbflush.h"
#include "tlbflush/mock_backend.h"

#define NVP 4
static struct tlbf_ring rings[TLBF_VTL_COUNT];
static struct tlbf_vp vps[NVP];
static struct tlbf_vp_local loc[NVP];
static struct tlbf_mock_vp mvps[NVP];
static struct tlbf_mock mock;
static struct tlbf_backend be;
static struct tlbf_partition pt;
static struct tlbf_tdx_vp tv[NVP];
static uint64_t list_page[NVP][TLBF_TDX_LIST_MAX];
static struct tlbf_stats init_stats, vp_stats, before;

static int setup(void **state)
{
	(void)state;
	struct tlbf_ring *rp[TLBF_VTL_COUNT];
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++) {
		tlbf_ring_init(&rings[v]);
		rp[v] = &rings[v];
	}
	for (unsigned i = 0; i < NVP; i++) {
		tlbf__vp_init(&vps[i]);
		tlbf_tdx_vp_init(&tv[i], i, list_page[i], 0x5000 + i);
		tv[i].stats = &vp_stats;
		tlbf__vp_start(&vps[i], &loc[i], rp);
	}
	assert_int_equal(tlbf_partition_init(&pt, rp, vps, NVP), TLBF_STATUS_OK);
	tlbf_mock_init(&mock, mvps, NVP, NULL, 0);
	be = tlbf_mock_backend(&mock);
	tlbf_stats_init(&init_stats);
	tlbf_stats_init(&vp_stats);
	return 0;
}

/* Snapshot both sets of counters. */
static void snap(void)
{
	tlbf_stats_init(&before);
	tlbf_stats_fold(&before, &init_stats);
	tlbf_stats_fold(&before, &vp_stats);
}

/* Since the last snap(), exactly the counters listed moved, each by the
 * amount given (a list of (counter, delta) pairs ending with a negative
 * counter). With TLBF_STATS=0 nothing may move at all. */
static void expect_moved(const int *pairs)
{
	struct tlbf_stats now;
	tlbf_stats_init(&now);
	tlbf_stats_fold(&now, &init_stats);
	tlbf_stats_fold(&now, &vp_stats);
	for (unsigned i = 0; i < TLBF_STAT__COUNT; i++) {
		uint64_t want = 0;
#if TLBF_STATS
		for (const int *p = pairs; p[0] >= 0; p += 2)
			if ((unsigned)p[0] == i)
				want = (uint64_t)p[1];
#else
		(void)pairs;
#endif
		uint64_t got = tlbf_stats_get(&now, (enum tlbf_stat)i) -
		               tlbf_stats_get(&before, (enum tlbf_stat)i);
		if (got != want)
			fail_msg("counter %s moved by %llu, expected %llu", tlbf_stats_name((enum tlbf_stat)i),
			         (unsigned long long)got, (unsigned long long)want);
	}
}

/* Decode and handle one call from VP @caller; returns the status. */
static enum tlbf_status call(uint64_t control, const uint64_t *in, size_t len,
                                   uint32_t caller, uint32_t mask_words)
{
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	assert_int_equal(tlbf_hypercall_decode(control, in, len, NVP, 0, &req, NULL),
	                 TLBF_HV_STATUS_SUCCESS);
	uint64_t kick[1], wait[1];
	struct tlbf_flush_outcome out;
	enum tlbf_status st = tlbf_flush_handle(&pt, &be, &req, caller, kick, wait, mask_words, &out);
	tlbf_flush_count(&init_stats, &req, st, &out);
	return st;
}

/* One entry of VP @vp into VTL 0 on the mock, and its exit. */
static void entry(unsigned vp)
{
	tlbf_tdx_prepare_entry(&be, &tv[vp], &vps[vp], &loc[vp], &rings[0], 0);
	bool in = tlbf_mock_enter(&mock, vp, 0);
	tlbf_tdx_entry_done(&tv[vp], 0, in);
	if (in)
		tlbf_mock_leave(&mock, vp);
	tlbf__vp_exit(&vps[vp], &loc[vp]);
}

static void request_side(void **state)
{
	(void)state;
	/* Space on all processors from VP 0: every other VP never entered
	 * (outside). One request, one push, four decisions, no kick. */
	const uint64_t space[3] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0};
	snap();
	assert_int_equal(call(tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0), space,
	                      sizeof(space), 0, 1),
	                 TLBF_STATUS_OK);
	expect_moved((const int[]){TLBF_STAT_REQ_SPACE_ENTIRE, 1, TLBF_STAT_PUSH_LISTED, 1,
	                           TLBF_STAT_WAKE_SKIP_INITIATOR, 1, TLBF_STAT_WAKE_SKIP_OUTSIDE, 3,
	                           -1});
	/* A ListEx with a large page on VP 1 in the guest: promoted, one kick. */
	tlbf__vp_prepare_entry(&vps[1], &loc[1], &rings[0], 0, list_page[1], TLBF_TDX_LIST_MAX);
	const uint64_t listex[6] = {0, TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT,
	                            TLBF_HV_GENERIC_SET_SPARSE_4K, 1, 0x2,
	                            TLBF_GVA_EXT_LARGE_PAGE | (UINT64_C(5) << 21)};
	snap();
	assert_int_equal(call(tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST_EX, false, 1, 1, 0), listex,
	                      sizeof(listex), 0, 1),
	                 TLBF_STATUS_OK);
	expect_moved((const int[]){TLBF_STAT_REQ_LIST_EX_LIST, 1, TLBF_STAT_PUSH_PROMOTED, 1,
	                           TLBF_STAT_PROMOTED_LARGE_PAGE, 1, TLBF_STAT_WAKE_KICK, 1,
	                           TLBF_STAT_KICKS, 1, -1});
	/* Short masks: refused, nothing else. */
	snap();
	assert_int_equal(call(tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0), space,
	                      sizeof(space), 0, 0),
	                 TLBF_STATUS_BAD_STORAGE);
	expect_moved((const int[]){TLBF_STAT_REFUSED, 1, -1});
	/* VP 1 is still EXITING (the mock's kick does not move it): a failed
	 * kick is retried, then reported; a second initiator cancels it late. */
	tlbf__vp_exit(&vps[1], &loc[1]);
	tlbf__vp_prepare_entry(&vps[1], &loc[1], &rings[0], 0, list_page[1], TLBF_TDX_LIST_MAX);
	tlbf__store(&mock.fail_kicks, 2, TLBF_RELAXED);
	snap();
	assert_int_equal(call(tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0), space,
	                      sizeof(space), 0, 1),
	                 TLBF_STATUS_KICK_FAILED);
	expect_moved((const int[]){TLBF_STAT_REQ_SPACE_ENTIRE, 1, TLBF_STAT_PUSH_LISTED, 1,
	                           TLBF_STAT_WAKE_SKIP_INITIATOR, 1, TLBF_STAT_WAKE_SKIP_OUTSIDE, 2,
	                           TLBF_STAT_WAKE_KICK, 1, TLBF_STAT_KICKS, 1, TLBF_STAT_KICK_RETRIES, 1,
	                           TLBF_STAT_KICK_FAILURES, 1, -1});
	snap();
	assert_int_equal(call(tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0), space,
	                      sizeof(space), 2, 1),
	                 TLBF_STATUS_OK);
	expect_moved((const int[]){TLBF_STAT_REQ_SPACE_ENTIRE, 1, TLBF_STAT_PUSH_LISTED, 1,
	                           TLBF_STAT_WAKE_SKIP_INITIATOR, 1, TLBF_STAT_WAKE_SKIP_OUTSIDE, 2,
	                           TLBF_STAT_WAKE_WAIT_ONLY, 1, TLBF_STAT_KICKS, 1, TLBF_STAT_LATE, 1,
	                           -1});
}

static void vp_side(void **state)
{
	(void)state;
	/* Nothing new: one poll answering nothing, one entry. */
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_NOTHING, 1, TLBF_STAT_ENTRIES, 1, -1});
	/* One range: a single INVGLA. */
	uint64_t r = tlbf_hv_gva_make(0x40, 0);
	tlbf_ring_push(&rings[0], &r, 1, false);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_LIST, 1, TLBF_STAT_FLUSH_LIST_SINGLE, 1,
	                           TLBF_STAT_ENTRIES, 1, -1});
	/* Two ranges: one list INVGLA. */
	uint64_t two[2] = {tlbf_hv_gva_make(0x41, 0), tlbf_hv_gva_make(0x50, 1)};
	tlbf_ring_push(&rings[0], two, 2, false);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_LIST, 1, TLBF_STAT_FLUSH_LIST_MULTI, 1,
	                           TLBF_STAT_ENTRIES, 1, -1});
	/* Non-global: carried out at the entry. */
	tlbf_ring_flush_non_global(&rings[0]);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_NON_GLOBAL, 1, TLBF_STAT_ENTRY_FLUSH_NON_GLOBAL, 1,
	                           TLBF_STAT_ENTRIES, 1, -1});
	/* Everything, then a list while it is pending: the list is skipped;
	 * a kick cancels the entry, which keeps the flush pending. */
	tlbf_ring_flush_entire(&rings[0]);
	tlbf_ring_push(&rings[0], &r, 1, false);
	tlbf__store(&mvps[2].cancel, 1, TLBF_RELAXED);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_EVERYTHING, 1, TLBF_STAT_ENTRIES_CANCELLED, 1, -1});
	tlbf_ring_push(&rings[0], &r, 1, false);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_LIST, 1, TLBF_STAT_FLUSH_LIST_SKIPPED, 1,
	                           TLBF_STAT_ENTRY_FLUSH_LINEAR, 1, TLBF_STAT_ENTRIES, 1, -1});
	/* The VMM's guest-physical request: everything, guest-physical too. */
	tlbf_ring_flush_gpa(&rings[0]);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_EVERYTHING, 1, TLBF_STAT_POLL_GPA, 1,
	                           TLBF_STAT_ENTRY_FLUSH_GPA, 1, TLBF_STAT_ENTRIES, 1, -1});
	/* A lap behind: an overflow. */
	for (unsigned i = 0; i < TLBF_RING_CAPACITY + 1; i++)
		tlbf_ring_push(&rings[0], &r, 1, false);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_EVERYTHING, 1, TLBF_STAT_OVERFLOWS, 1,
	                           TLBF_STAT_ENTRY_FLUSH_LINEAR, 1, TLBF_STAT_ENTRIES, 1, -1});
	/* A failed INVGLA: an error, and everything at the entry. */
	tlbf_ring_push(&rings[0], &r, 1, false);
	tv[2].vp_index = NVP; /* the mock refuses a VP it does not have */
	snap();
	tlbf_tdx_prepare_entry(&be, &tv[2], &vps[2], &loc[2], &rings[0], 0);
	tlbf_tdx_entry_done(&tv[2], 0, true);
	tlbf__vp_exit(&vps[2], &loc[2]);
	expect_moved((const int[]){TLBF_STAT_POLL_LIST, 1, TLBF_STAT_FLUSH_LIST_SINGLE, 1, TLBF_STAT_ERRORS, 1,
	                           TLBF_STAT_ENTRY_FLUSH_LINEAR, 1, TLBF_STAT_ENTRIES, 1, -1});
}

/* polls.nothing is derived: entries + entries_cancelled - the polls that
 * answered something, at least 0; the fold adds the stored counters. */
static void derived_nothing(void **state)
{
	(void)state;
	struct tlbf_stats a, b, sum;
	tlbf_stats_init(&a);
	tlbf_stats_init(&b);
	tlbf__stat_add(&a, TLBF_STAT_ENTRIES, 5);
	tlbf__stat_add(&a, TLBF_STAT_ENTRIES_CANCELLED, 2);
	tlbf__stat_add(&a, TLBF__STAT_POLLS_ANSWERED, 3);
	assert_int_equal(tlbf_stats_get(&a, TLBF_STAT_POLL_NOTHING), 4);
	/* Its own slot is never written; the internal counter is not exported. */
	assert_int_equal(tlbf__load(&a.c[TLBF_STAT_POLL_NOTHING], TLBF_RELAXED), 0);
	assert_int_equal(tlbf_stats_get(&a, TLBF_STAT__COUNT), 0);
	/* A poll answered, its entry not yet reported: clamped at 0. */
	tlbf__stat_add(&b, TLBF__STAT_POLLS_ANSWERED, 1);
	assert_int_equal(tlbf_stats_get(&b, TLBF_STAT_POLL_NOTHING), 0);
	tlbf__stat_add(&b, TLBF_STAT_ENTRIES, 3);
	assert_int_equal(tlbf_stats_get(&b, TLBF_STAT_POLL_NOTHING), 2);
	tlbf_stats_init(&sum);
	tlbf_stats_fold(&sum, &a);
	tlbf_stats_fold(&sum, &b);
	assert_int_equal(tlbf_stats_get(&sum, TLBF_STAT_ENTRIES), 8);
	assert_int_equal(tlbf_stats_get(&sum, TLBF_STAT_POLL_NOTHING), 6);
	assert_int_equal(tlbf__load(&sum.c[TLBF__STAT_POLLS_ANSWERED], TLBF_RELAXED), 4);
}

/* foreach: every exported counter once, polls.nothing as derived. */
struct seen_names {
	unsigned calls;
	uint64_t nothing;
};

static void seen_one(void *ctx, const char *name, uint64_t value)
{
	struct seen_names *sn = ctx;
	sn->calls++;
	if (!strcmp(name, "polls.nothing"))
		sn->nothing = value;
}

static void foreach_derived(void **state)
{
	(void)state;
	struct tlbf_stats a;
	tlbf_stats_init(&a);
	tlbf__stat_add(&a, TLBF_STAT_ENTRIES, 7);
	tlbf__stat_add(&a, TLBF__STAT_POLLS_ANSWERED, 2);
	struct seen_names sn = {0, 0};
	tlbf_stats_foreach(&a, seen_one, &sn);
	assert_int_equal(sn.calls, TLBF_STAT__COUNT);
	assert_int_equal(sn.nothing, 5);
}

/* The wake counters come from the plan's reasons_seen; a plan built where
 * TLBF_STATS was 0 (reasons_seen 0, decisions made) is counted in full. */
static void wake_reasons(void **state)
{
	(void)state;
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	req.call = TLBF_HVCALL_FLUSH_VA_SPACE;
	req.kind = TLBF_FLUSH_KIND_ENTIRE;
	struct tlbf_flush_outcome out;
	memset(&out, 0, sizeof(out));
	uint64_t kick[1], wait[1];
	for (int untracked = 0; untracked < 2; untracked++) {
		tlbf_kick_plan_init(&out.plan, kick, wait, 1);
		tlbf_kick_plan_add(&out.plan, 1, TLBF_WAKE_SKIP_OUTSIDE);
		tlbf_kick_plan_add(&out.plan, 2, TLBF_WAKE_SKIP_OUTSIDE);
		tlbf_kick_plan_add(&out.plan, 3, TLBF_WAKE_SKIP_POLLED);
		tlbf_kick_plan_add(&out.plan, 0, TLBF_WAKE_SKIP_INITIATOR);
		if (untracked)
			out.plan.reasons_seen = 0;
		snap();
		tlbf_flush_count(&init_stats, &req, TLBF_STATUS_OK, &out);
		expect_moved((const int[]){TLBF_STAT_REQ_SPACE_ENTIRE, 1, TLBF_STAT_PUSH_LISTED, 1,
		                           TLBF_STAT_WAKE_SKIP_OUTSIDE, 2, TLBF_STAT_WAKE_SKIP_POLLED, 1,
		                           TLBF_STAT_WAKE_SKIP_INITIATOR, 1, -1});
	}
}

static void names(void **state)
{
	(void)state;
	for (unsigned i = 0; i < TLBF_STAT__COUNT; i++) {
		const char *n = tlbf_stats_name((enum tlbf_stat)i);
		assert_true(n[0] >= 'a' && n[0] <= 'z');
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(n, tlbf_stats_name((enum tlbf_stat)j));
	}
	assert_string_equal(tlbf_stats_name(TLBF_STAT_WAKE_SKIP_OUTSIDE), "wake.skip-outside");
	assert_string_equal(tlbf_stats_name(TLBF_STAT_REQ_LIST_EX_LIST), "requests.list_ex.list");
	assert_string_equal(tlbf_stats_name(TLBF_STAT__COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(request_side, setup),
		cmocka_unit_test_setup(vp_side, setup),
		cmocka_unit_test_setup(derived_nothing, setup),
		cmocka_unit_test_setup(foreach_derived, setup),
		cmocka_unit_test_setup(wake_reasons, setup),
		cmocka_unit_test_setup(names, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
