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
#include "fixture.h"
#define LIST_CAP 512 /* a TDX list page */
static struct tlbf_entry e[NVP];
static uint64_t list_page[NVP][LIST_CAP];
static struct tlbf_stats init_stats, vp_stats, before;

static int setup(void **state)
{
	(void)state;
	if (fixture_setup(false, false) != 0)
		return -1;
	tlbf_stats_init(&init_stats);
	tlbf_stats_init(&vp_stats);
	for (unsigned i = 0; i < NVP; i++)
		assert_int_equal(tlbf_entry_init(&e[i], &pt, &be, i, list_page[i], LIST_CAP, &vp_stats),
		                 TLBF_STATUS_OK);
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

/* Decode and handle one call from VP @caller through backend @b; returns
 * the status. */
static enum tlbf_status call(uint64_t control, const uint64_t *in, size_t len,
                                   uint32_t caller, const struct tlbf_backend *b)
{
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	assert_int_equal(tlbf_hypercall_decode(control, in, len, NVP, 0, &req, NULL),
	                 TLBF_HV_STATUS_SUCCESS);
	static struct tlbf_flush_outcome out;
	return tlbf_flush_handle(&pt, b, &req, caller, &init_stats, &out);
}

/* One entry of VP @vp into VTL 0 on the mock, and its exit. */
static void entry(unsigned vp)
{
	assert_int_equal(tlbf_entry_prepare(&e[vp], 0), TLBF_STATUS_OK);
	bool in = tlbf_mock_enter(&mock, vp, 0);
	if (in)
		tlbf_mock_leave(&mock, vp);
	assert_int_equal(tlbf_entry_done(&e[vp], in), TLBF_STATUS_OK);
}

static void request_side(void **state)
{
	(void)state;
	/* Space on all processors from VP 0: every other VP never entered
	 * (outside). One request, one push, four decisions, no kick. */
	const uint64_t space[3] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0};
	snap();
	assert_int_equal(call(tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0), space,
	                      sizeof(space), 0, &be),
	                 TLBF_STATUS_OK);
	expect_moved((const int[]){TLBF_STAT_REQ_SPACE_ENTIRE, 1, TLBF_STAT_PUSH_LISTED, 1,
	                           TLBF_STAT_WAKE_SKIP_INITIATOR, 1, TLBF_STAT_WAKE_SKIP_OUTSIDE, 3,
	                           -1});
	/* A ListEx with a large page on VP 1 in the guest: promoted, one kick. */
	assert_int_equal(tlbf_entry_prepare(&e[1], 0), TLBF_STATUS_OK);
	const uint64_t listex[6] = {0, TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT,
	                            TLBF_HV_GENERIC_SET_SPARSE_4K, 1, 0x2,
	                            TLBF_GVA_EXT_LARGE_PAGE | (UINT64_C(5) << 21)};
	snap();
	assert_int_equal(call(tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST_EX, false, 1, 1, 0), listex,
	                      sizeof(listex), 0, &be),
	                 TLBF_STATUS_OK);
	expect_moved((const int[]){TLBF_STAT_REQ_LIST_EX_LIST, 1, TLBF_STAT_PUSH_PROMOTED, 1,
	                           TLBF_STAT_PROMOTED_LARGE_PAGE, 1, TLBF_STAT_WAKE_KICK, 1,
	                           TLBF_STAT_KICKS, 1, -1});
	/* No backend: refused, nothing else. */
	snap();
	assert_int_equal(call(tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0), space,
	                      sizeof(space), 0, NULL),
	                 TLBF_STATUS_BAD_BACKEND);
	expect_moved((const int[]){TLBF_STAT_REFUSED, 1, -1});
	/* VP 1 is still EXITING (the mock's kick does not move it): a failed
	 * kick is retried, then reported; a second initiator cancels it late. */
	assert_int_equal(tlbf_entry_done(&e[1], false), TLBF_STATUS_OK);
	assert_int_equal(tlbf_entry_prepare(&e[1], 0), TLBF_STATUS_OK);
	tlbf__store(&mock.fail_kicks, 2, TLBF_RELAXED);
	snap();
	assert_int_equal(call(tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0), space,
	                      sizeof(space), 0, &be),
	                 TLBF_STATUS_KICK_FAILED);
	expect_moved((const int[]){TLBF_STAT_REQ_SPACE_ENTIRE, 1, TLBF_STAT_PUSH_LISTED, 1,
	                           TLBF_STAT_WAKE_SKIP_INITIATOR, 1, TLBF_STAT_WAKE_SKIP_OUTSIDE, 2,
	                           TLBF_STAT_WAKE_KICK, 1, TLBF_STAT_KICKS, 1, TLBF_STAT_KICK_RETRIES, 1,
	                           TLBF_STAT_KICK_FAILURES, 1, -1});
	snap();
	assert_int_equal(call(tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0), space,
	                      sizeof(space), 2, &be),
	                 TLBF_STATUS_OK);
	expect_moved((const int[]){TLBF_STAT_REQ_SPACE_ENTIRE, 1, TLBF_STAT_PUSH_LISTED, 1,
	                           TLBF_STAT_WAKE_SKIP_INITIATOR, 1, TLBF_STAT_WAKE_SKIP_OUTSIDE, 2,
	                           TLBF_STAT_WAKE_WAIT_ONLY, 1, TLBF_STAT_KICKS, 1, TLBF_STAT_LATE, 1,
	                           -1});
	/* The VMM's own guest-physical request. */
	struct tlbf_flush_request req;
	assert_int_equal(tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_GPA, 0, NVP), TLBF_STATUS_OK);
	static struct tlbf_flush_outcome out;
	assert_int_equal(tlbf_entry_done(&e[1], false), TLBF_STATUS_OK);
	snap();
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, TLBF_NO_VP, &init_stats, &out),
	                 TLBF_STATUS_OK);
	expect_moved((const int[]){TLBF_STAT_REQ_GPA, 1, TLBF_STAT_PUSH_LISTED, 1,
	                           TLBF_STAT_WAKE_SKIP_OUTSIDE, 4, -1});
}

static void vp_side(void **state)
{
	(void)state;
	struct tlbf_ring *ring = &pt.rings[0];
	/* Nothing new: one poll answering nothing, one entry. */
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_NOTHING, 1, TLBF_STAT_ENTRIES, 1, -1});
	/* One range: a single list flush. */
	uint64_t r = tlbf_hv_gva_make(0x40, 0);
	(void)tlbf_ring_push(ring, &r, 1, false);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_LIST, 1, TLBF_STAT_FLUSH_LIST_SINGLE, 1,
	                           TLBF_STAT_ENTRIES, 1, -1});
	/* Two ranges: one list flush of several. */
	uint64_t two[2] = {tlbf_hv_gva_make(0x41, 0), tlbf_hv_gva_make(0x50, 1)};
	(void)tlbf_ring_push(ring, two, 2, false);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_LIST, 1, TLBF_STAT_FLUSH_LIST_MULTI, 1,
	                           TLBF_STAT_ENTRIES, 1, -1});
	/* Non-global: carried out at the entry. */
	(void)tlbf_ring_flush_non_global(ring);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_NON_GLOBAL, 1, TLBF_STAT_ENTRY_FLUSH_NON_GLOBAL, 1,
	                           TLBF_STAT_ENTRIES, 1, -1});
	/* Everything, then a list while it is pending: the list is skipped;
	 * a kick cancels the entry, which keeps the flush pending. */
	(void)tlbf_ring_flush_entire(ring);
	(void)tlbf_ring_push(ring, &r, 1, false);
	tlbf__store(&mvps[2].cancel, 1, TLBF_RELAXED);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_EVERYTHING, 1, TLBF_STAT_ENTRIES_CANCELLED, 1, -1});
	(void)tlbf_ring_push(ring, &r, 1, false);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_LIST, 1, TLBF_STAT_FLUSH_LIST_SKIPPED, 1,
	                           TLBF_STAT_ENTRY_FLUSH_LINEAR, 1, TLBF_STAT_ENTRIES, 1, -1});
	/* The VMM's guest-physical request: everything, guest-physical too. */
	(void)tlbf_ring_flush_gpa(ring);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_EVERYTHING, 1, TLBF_STAT_POLL_GPA, 1,
	                           TLBF_STAT_ENTRY_FLUSH_GPA, 1, TLBF_STAT_ENTRIES, 1, -1});
	/* A lap behind: an overflow. */
	for (unsigned i = 0; i < TLBF_RING_CAPACITY + 1; i++)
		(void)tlbf_ring_push(ring, &r, 1, false);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_EVERYTHING, 1, TLBF_STAT_OVERFLOWS, 1,
	                           TLBF_STAT_ENTRY_FLUSH_LINEAR, 1, TLBF_STAT_ENTRIES, 1, -1});
	/* A failed list flush: an error, and everything at the entry. */
	(void)tlbf_ring_push(ring, &r, 1, false);
	const struct tlbf_backend_ops *mock_ops = be.ops;
	be = fixture_failing_list_backend(); /* the driver holds a pointer to be */
	snap();
	entry(2);
	be.ops = mock_ops;
	expect_moved((const int[]){TLBF_STAT_POLL_LIST, 1, TLBF_STAT_FLUSH_LIST_SINGLE, 1, TLBF_STAT_ERRORS, 1,
	                           TLBF_STAT_ENTRY_FLUSH_LINEAR, 1, TLBF_STAT_ENTRIES, 1, -1});
	/* A backend that cannot flush a list: unsupported, everything at the
	 * entry. */
	(void)tlbf_ring_push(ring, &r, 1, false);
	mock.list_flush = false;
	be = tlbf_mock_backend(&mock);
	assert_null(be.ops->flush_list);
	snap();
	entry(2);
	expect_moved((const int[]){TLBF_STAT_POLL_LIST, 1, TLBF_STAT_FLUSH_LIST_UNSUPPORTED, 1,
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

/* export: every exported counter once, polls.nothing as derived. */
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

static void export_derived(void **state)
{
	(void)state;
	struct tlbf_stats a, b;
	tlbf_stats_init(&a);
	tlbf_stats_init(&b);
	tlbf__stat_add(&a, TLBF_STAT_ENTRIES, 7);
	tlbf__stat_add(&a, TLBF__STAT_POLLS_ANSWERED, 2);
	tlbf__stat_add(&b, TLBF_STAT_ENTRIES_CANCELLED, 1);
	/* Sums over the sources (a NULL entry is skipped). */
	const struct tlbf_stats *const srcs[3] = {&a, NULL, &b};
	struct seen_names sn = {0, 0};
	tlbf_stats_export(srcs, 3, seen_one, &sn);
	assert_int_equal(sn.calls, TLBF_STAT__COUNT);
	assert_int_equal(sn.nothing, 6);
	sn.calls = 0;
	tlbf_stats_export(srcs, 1, seen_one, &sn);
	assert_int_equal(sn.calls, TLBF_STAT__COUNT);
	assert_int_equal(sn.nothing, 5);
	/* No source: every counter, all zero. */
	sn.calls = 0;
	tlbf_stats_export(NULL, 0, seen_one, &sn);
	assert_int_equal(sn.calls, TLBF_STAT__COUNT);
	assert_int_equal(sn.nothing, 0);
}

/* The wake counters come from the plan's reasons_seen: only the reasons
 * a plan saw are visited, each counted in full. (In 0.2 a plan built
 * where TLBF_STATS was 0 could be counted elsewhere; since 1.0 the plan is
 * counted by tlbf_flush_handle() in the translation unit that built it.) */
static void wake_reasons(void **state)
{
	(void)state;
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	req.call = TLBF_HVCALL_FLUSH_VA_SPACE;
	req.kind = TLBF_FLUSH_KIND_ENTIRE;
	static struct tlbf_flush_outcome out;
	memset(&out, 0, sizeof(out));
	struct tlbf_mark m = {TLBF_MARK_KIND_ENTIRE, 1};
	assert_int_equal(tlbf_wake_plan_begin(&out.plan, &pt, out.kick, out.wait, 1, 0, m),
	                 TLBF_STATUS_OK);
	tlbf__wake_plan_add(&out.plan, 1, TLBF_WAKE_SKIP_OUTSIDE);
	tlbf__wake_plan_add(&out.plan, 2, TLBF_WAKE_SKIP_OUTSIDE);
	tlbf__wake_plan_add(&out.plan, 3, TLBF_WAKE_SKIP_POLLED);
	tlbf__wake_plan_add(&out.plan, 0, TLBF_WAKE_SKIP_INITIATOR);
	assert_int_equal(out.plan.reasons_seen,
	                 TLBF_STATS ? (1u << TLBF_WAKE_SKIP_OUTSIDE) | (1u << TLBF_WAKE_SKIP_POLLED) |
	                                      (1u << TLBF_WAKE_SKIP_INITIATOR)
	                            : 0u);
	snap();
	tlbf__flush_count(&init_stats, &req, TLBF_STATUS_OK, &out);
	expect_moved((const int[]){TLBF_STAT_REQ_SPACE_ENTIRE, 1, TLBF_STAT_PUSH_LISTED, 1,
	                           TLBF_STAT_WAKE_SKIP_OUTSIDE, 2, TLBF_STAT_WAKE_SKIP_POLLED, 1,
	                           TLBF_STAT_WAKE_SKIP_INITIATOR, 1, -1});
	/* A refused call counts refused and nothing else. */
	snap();
	tlbf__flush_count(&init_stats, &req, TLBF_STATUS_BAD_BACKEND, &out);
	expect_moved((const int[]){TLBF_STAT_REFUSED, 1, -1});
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
		cmocka_unit_test_setup(export_derived, setup),
		cmocka_unit_test_setup(wake_reasons, setup),
		cmocka_unit_test_setup(names, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
