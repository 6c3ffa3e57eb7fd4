/* SPDX-License-Identifier: MIT */
/* Unit tests of the VP entry driver (tlbflush/entry.h) on the mock backend
 * (tlbflush/mock_backend.h): what each poll answer becomes (a list flushed
 * now, or a scope flushed at the next entry), the pending scope across
 * cancelled and completed entries (trap T6), a backend without flush_list
 * or with one that fails, a driver set up again; and the kick and wake of
 * the mock with VPs on their own threads. Built with TLBF_STATS=1 so that
 * the driver's counters can be checked. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <cmocka.h>

/* The counters are compiled in. */
#ifndef TLBF_STATS
#define TLBF_STATS 1
#endif

#include "tlbflush/tlbflush.h"
#include "tlbflush/mock_backend.h"

#define NVP 4
#include "fixture.h"
#define LIST_CAP 512
static uint64_t list_page[NVP][LIST_CAP];
static struct tlbf_entry e[NVP];
static struct tlbf_stats vs[NVP];
static bool entered[NVP];

static int setup(void **state)
{
	(void)state;
	if (fixture_setup(false, true) != 0)
		return -1;
	memset(e, 0, sizeof(e));
	for (unsigned i = 0; i < NVP; i++) {
		tlbf_stats_init(&vs[i]);
		entered[i] = false;
	}
	return 0;
}

/* Set up VP @vp's driver (it starts the VP). */
static void start(unsigned vp)
{
	assert_int_equal(tlbf_entry_init(&e[vp], &pt, &be, vp, list_page[vp], LIST_CAP, &vs[vp]),
	                 TLBF_STATUS_OK);
}

static uint64_t log_len(void)
{
	return tlbf__load(&mock.log_len, TLBF_RELAXED);
}

static uint64_t log_field(uint64_t i, int f)
{
	struct tlbf_mock_log_entry *l = &mlog[i];
	assert_true(i < 256);
	switch (f) {
	case 0: return tlbf__load(&l->op, TLBF_RELAXED);
	case 1: return tlbf__load(&l->vp, TLBF_RELAXED);
	case 2: return tlbf__load(&l->a, TLBF_RELAXED);
	default: return tlbf__load(&l->b, TLBF_RELAXED);
	}
}

/* One VP's entry through the driver on the mock: prepare, then the
 * machine's entry. The guest runs until leave(). */
static void entry(unsigned vp, unsigned vtl)
{
	assert_int_equal(tlbf_entry_prepare(&e[vp], vtl), TLBF_STATUS_OK);
	entered[vp] = tlbf_mock_enter(&mock, vp, vtl);
}

/* The VM exit (or the end of a cancelled entry): the mock's and the
 * driver's. */
static void leave(unsigned vp)
{
	if (entered[vp])
		tlbf_mock_leave(&mock, vp);
	assert_int_equal(tlbf_entry_done(&e[vp], entered[vp]), TLBF_STATUS_OK);
}

static uint64_t stat(unsigned vp, enum tlbf_stat i)
{
	return tlbf_stats_get(&vs[vp], i);
}

static void list_single_and_entire_on_the_mock(void **state)
{
	(void)state;
	start(0);
	for (uint64_t p = 0; p < 8; p++)
		tlbf_mock_tlb_fill(&mock, 0, 0, p, 1, false);
	/* One range: flush_list of one range, then an entry with no flush. */
	uint64_t r = tlbf_hv_gva_make(3, 0);
	(void)tlbf_ring_push(&pt.rings[0], &r, 1, false);
	uint64_t before = log_len();
	entry(0, 0);
	assert_true(entered[0]);
	assert_true(log_field(before, 0) == TLBF_MOCK_OP_FLUSH_LIST);
	assert_true(log_field(before, 1) == 0);
	assert_true(log_field(before, 2) == 0); /* VTL */
	assert_true(log_field(before, 3) == 1); /* count */
	assert_true(list_page[0][0] == r);      /* straight from the list buffer */
	assert_true(log_field(before + 1, 0) == TLBF_MOCK_OP_FLUSH_AT_ENTRY);
	assert_true(log_field(before + 1, 3) == TLBF_SCOPE_NONE);
	assert_true(log_field(before + 2, 0) == TLBF_MOCK_OP_ENTER);
	uint64_t v;
	assert_false(tlbf_mock_tlb_lookup(&mock, 0, 0, 3, &v));
	assert_true(tlbf_mock_tlb_lookup(&mock, 0, 0, 4, &v));
	assert_true(stat(0, TLBF_STAT_FLUSH_LIST_SINGLE) == 1);
	leave(0);

	/* Two ranges (one of two pages): one flush_list of both. */
	uint64_t two[2] = {tlbf_hv_gva_make(4, 1), tlbf_hv_gva_make(7, 0)};
	(void)tlbf_ring_push(&pt.rings[0], two, 2, false);
	before = log_len();
	entry(0, 0);
	assert_true(log_field(before, 0) == TLBF_MOCK_OP_FLUSH_LIST);
	assert_true(log_field(before, 3) == 2);
	assert_true(list_page[0][0] == two[0] && list_page[0][1] == two[1]);
	for (uint64_t p = 4; p < 8; p++)
		assert_int_equal(tlbf_mock_tlb_lookup(&mock, 0, 0, p, &v), p == 6);
	assert_true(tlbf_mock_tlb_lookup(&mock, 0, 0, 0, &v));
	assert_true(stat(0, TLBF_STAT_FLUSH_LIST_MULTI) == 1);
	leave(0);

	/* Flush entire: the entry flushes every linear translation (a
	 * guest's request concerns linear translations only). */
	(void)tlbf_ring_flush_entire(&pt.rings[0]);
	before = log_len();
	entry(0, 0);
	assert_true(log_field(before, 0) == TLBF_MOCK_OP_FLUSH_AT_ENTRY);
	assert_true(log_field(before, 3) == TLBF_SCOPE_LINEAR);
	assert_true(log_field(before + 1, 0) == TLBF_MOCK_OP_ENTER);
	assert_true(log_field(before + 1, 3) == TLBF_SCOPE_LINEAR);
	assert_false(tlbf_mock_tlb_lookup(&mock, 0, 0, 0, &v));
	leave(0);
	assert_int_equal(e[0].pending[0], TLBF_SCOPE_NONE); /* cleared: entered */
	assert_true(stat(0, TLBF_STAT_ENTRY_FLUSH_LINEAR) == 1);
	assert_true(stat(0, TLBF_STAT_ENTRIES) == 3);
}

static void non_global_keeps_global_and_list_still_runs(void **state)
{
	(void)state;
	if (TLBF_VTL_COUNT < 2)
		skip();
	start(1);
	tlbf_mock_tlb_fill(&mock, 1, 1, 1, 1, true);  /* global */
	tlbf_mock_tlb_fill(&mock, 1, 1, 2, 1, false); /* not global */
	tlbf_mock_tlb_fill(&mock, 1, 1, 9, 1, true);  /* global, listed */
	(void)tlbf_ring_flush_non_global(&pt.rings[1]);
	uint64_t r = tlbf_hv_gva_make(9, 0);
	(void)tlbf_ring_push(&pt.rings[1], &r, 1, false);
	uint64_t before = log_len();
	entry(1, 1);
	/* The poll answered both: the list flushed now, non-global at entry. */
	assert_true(stat(1, TLBF_STAT_POLL_LIST) == 1);
	assert_true(stat(1, TLBF_STAT_POLL_NON_GLOBAL) == 1);
	assert_true(log_field(before, 0) == TLBF_MOCK_OP_FLUSH_LIST);
	assert_true(log_field(before, 2) == 1);
	assert_true(log_field(before + 1, 0) == TLBF_MOCK_OP_FLUSH_AT_ENTRY);
	assert_true(log_field(before + 1, 3) == TLBF_SCOPE_NON_GLOBAL);
	uint64_t v;
	assert_true(tlbf_mock_tlb_lookup(&mock, 1, 1, 1, &v));
	assert_false(tlbf_mock_tlb_lookup(&mock, 1, 1, 2, &v));
	assert_false(tlbf_mock_tlb_lookup(&mock, 1, 1, 9, &v));
	assert_int_equal(mvps[1].flushes_non_global, 1);
	leave(1);
}

static void keep_on_cancel_clear_on_entry(void **state)
{
	(void)state;
	start(2);
	tlbf_mock_tlb_fill(&mock, 2, 0, 5, 1, false);
	(void)tlbf_ring_flush_entire(&pt.rings[0]);
	/* A kick arrives before the entry: it is cancelled. */
	tlbf__store(&mvps[2].cancel, 1, TLBF_RELAXED);
	entry(2, 0);
	assert_false(entered[2]);
	leave(2);
	assert_int_equal(e[2].pending[0], TLBF_SCOPE_LINEAR); /* kept (T6) */
	uint64_t v;
	assert_true(tlbf_mock_tlb_lookup(&mock, 2, 0, 5, &v)); /* not flushed yet */
	assert_true(stat(2, TLBF_STAT_ENTRIES_CANCELLED) == 1);
	assert_true(stat(2, TLBF_STAT_ENTRY_FLUSH_LINEAR) == 0);
	/* Next entry: nothing new in the ring, but the pending flush goes. */
	uint64_t answered = stat(2, TLBF_STAT_POLL_EVERYTHING) + stat(2, TLBF_STAT_POLL_LIST);
	uint64_t before = log_len();
	entry(2, 0);
	assert_true(stat(2, TLBF_STAT_POLL_EVERYTHING) + stat(2, TLBF_STAT_POLL_LIST) == answered);
	assert_true(entered[2]);
	assert_true(log_field(before, 3) == TLBF_SCOPE_LINEAR);
	assert_false(tlbf_mock_tlb_lookup(&mock, 2, 0, 5, &v));
	leave(2);
	assert_int_equal(e[2].pending[0], TLBF_SCOPE_NONE);
	assert_true(stat(2, TLBF_STAT_ENTRY_FLUSH_LINEAR) == 1);
	/* A list while a full flush is pending is not flushed at all. */
	(void)tlbf_ring_flush_entire(&pt.rings[0]);
	tlbf__store(&mvps[2].cancel, 1, TLBF_RELAXED);
	entry(2, 0);
	assert_false(entered[2]);
	leave(2);
	uint64_t r = tlbf_hv_gva_make(5, 0);
	(void)tlbf_ring_push(&pt.rings[0], &r, 1, false);
	uint64_t singles = stat(2, TLBF_STAT_FLUSH_LIST_SINGLE);
	before = log_len();
	entry(2, 0);
	assert_true(entered[2]);
	assert_true(stat(2, TLBF_STAT_FLUSH_LIST_SINGLE) == singles);
	assert_true(stat(2, TLBF_STAT_FLUSH_LIST_SKIPPED) == 1);
	assert_true(log_field(before, 0) == TLBF_MOCK_OP_FLUSH_AT_ENTRY);
	leave(2);
}

/* Each kind of answer as a pending scope, merged by strength (numeric
 * maximum of enum tlbf_scope): list < non-global < all linear <
 * guest-physical. Entries are cancelled (done with entered false) so that
 * the scope stays pending. */
static void answers_merge_into_the_pending_scope(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 3; i++)
		start(i);
	(void)tlbf_ring_flush_entire(&pt.rings[0]);
	assert_int_equal(tlbf_entry_prepare(&e[0], 0), TLBF_STATUS_OK);
	assert_int_equal(e[0].pending[0], TLBF_SCOPE_LINEAR);
	assert_int_equal(tlbf_entry_prepare(&e[1], 0), TLBF_STATUS_OK);
	assert_int_equal(e[1].pending[0], TLBF_SCOPE_LINEAR);
	assert_int_equal(tlbf_entry_done(&e[1], true), TLBF_STATUS_OK);
	(void)tlbf_ring_flush_non_global(&pt.rings[0]);
	assert_int_equal(tlbf_entry_prepare(&e[1], 0), TLBF_STATUS_OK);
	assert_int_equal(e[1].pending[0], TLBF_SCOPE_NON_GLOBAL);
	(void)tlbf_ring_flush_gpa(&pt.rings[0]);
	assert_int_equal(tlbf_entry_prepare(&e[2], 0), TLBF_STATUS_OK);
	assert_int_equal(e[2].pending[0], TLBF_SCOPE_GPA);
	assert_int_equal(tlbf_entry_done(&e[2], false), TLBF_STATUS_OK);
	/* VP 0: LINEAR pending, then non-global (no change), then GPA, then
	 * entire (GPA stays). */
	assert_int_equal(tlbf_entry_done(&e[0], false), TLBF_STATUS_OK);
	assert_int_equal(e[0].pending[0], TLBF_SCOPE_LINEAR); /* kept, not polled again */
	assert_int_equal(tlbf_entry_prepare(&e[0], 0), TLBF_STATUS_OK);
	assert_int_equal(e[0].pending[0], TLBF_SCOPE_GPA); /* the non-global and gpa bumps */
	assert_int_equal(tlbf_entry_done(&e[0], true), TLBF_STATUS_OK);
	(void)tlbf_ring_flush_non_global(&pt.rings[0]);
	assert_int_equal(tlbf_entry_prepare(&e[0], 0), TLBF_STATUS_OK);
	assert_int_equal(e[0].pending[0], TLBF_SCOPE_NON_GLOBAL);
	assert_int_equal(tlbf_entry_done(&e[0], false), TLBF_STATUS_OK);
	(void)tlbf_ring_flush_entire(&pt.rings[0]);
	assert_int_equal(tlbf_entry_prepare(&e[0], 0), TLBF_STATUS_OK);
	assert_int_equal(e[0].pending[0], TLBF_SCOPE_LINEAR);
	assert_int_equal(tlbf_entry_done(&e[0], false), TLBF_STATUS_OK);
	(void)tlbf_ring_flush_non_global(&pt.rings[0]);
	assert_int_equal(tlbf_entry_prepare(&e[0], 0), TLBF_STATUS_OK);
	assert_int_equal(e[0].pending[0], TLBF_SCOPE_LINEAR);
	assert_int_equal(tlbf_entry_done(&e[0], false), TLBF_STATUS_OK);
	(void)tlbf_ring_flush_gpa(&pt.rings[0]);
	assert_int_equal(tlbf_entry_prepare(&e[0], 0), TLBF_STATUS_OK);
	assert_int_equal(e[0].pending[0], TLBF_SCOPE_GPA);
	assert_int_equal(tlbf_entry_done(&e[0], false), TLBF_STATUS_OK);
	(void)tlbf_ring_flush_entire(&pt.rings[0]);
	assert_int_equal(tlbf_entry_prepare(&e[0], 0), TLBF_STATUS_OK);
	assert_int_equal(e[0].pending[0], TLBF_SCOPE_GPA);
	assert_int_equal(tlbf_entry_done(&e[0], false), TLBF_STATUS_OK);
	/* A list on a VTL with nothing pending leaves it NONE; the pending
	 * scope is per VTL. */
	assert_int_equal(tlbf_entry_done(&e[1], false), TLBF_STATUS_OK);
	uint64_t r = tlbf_hv_gva_make(1, 0);
	(void)tlbf_ring_push(&pt.rings[TLBF_VTL_COUNT - 1], &r, 1, false);
	assert_int_equal(tlbf_entry_prepare(&e[1], TLBF_VTL_COUNT - 1), TLBF_STATUS_OK);
	assert_int_equal(e[1].pending[TLBF_VTL_COUNT - 1], TLBF_SCOPE_NONE);
	assert_true(stat(1, TLBF_STAT_FLUSH_LIST_SINGLE) == 1);
}

/* A backend without flush_list: a list becomes TLBF_SCOPE_LINEAR at the
 * next entry, counted as flush_list.unsupported. */
static void no_flush_list_is_linear(void **state)
{
	(void)state;
	mock.list_flush = false;
	be = tlbf_mock_backend(&mock);
	assert_null(be.ops->flush_list);
	start(1);
	tlbf_mock_tlb_fill(&mock, 1, 0, 2, 1, true); /* global: only LINEAR drops it */
	uint64_t r = tlbf_hv_gva_make(9, 0);
	(void)tlbf_ring_push(&pt.rings[0], &r, 1, false);
	uint64_t before = log_len();
	entry(1, 0);
	assert_int_equal(e[1].pending[0], TLBF_SCOPE_LINEAR);
	assert_true(log_field(before, 0) == TLBF_MOCK_OP_FLUSH_AT_ENTRY);
	assert_true(log_field(before, 3) == TLBF_SCOPE_LINEAR);
	assert_true(entered[1]);
	uint64_t v;
	assert_false(tlbf_mock_tlb_lookup(&mock, 1, 0, 2, &v));
	leave(1);
	assert_int_equal(e[1].pending[0], TLBF_SCOPE_NONE);
	assert_true(stat(1, TLBF_STAT_FLUSH_LIST_UNSUPPORTED) == 1);
	assert_true(stat(1, TLBF_STAT_FLUSH_LIST_SINGLE) == 0);
	assert_true(stat(1, TLBF_STAT_ENTRY_FLUSH_LINEAR) == 1);
	assert_true(stat(1, TLBF_STAT_ERRORS) == 0);
}

/* A flush_list that fails becomes TLBF_SCOPE_LINEAR (never GPA, never
 * ignored), counted as an error. */
static void failing_flush_list_is_linear(void **state)
{
	(void)state;
	be = fixture_failing_list_backend(); /* the driver holds a pointer to be */
	start(3);
	uint64_t r = tlbf_hv_gva_make(9, 0);
	(void)tlbf_ring_push(&pt.rings[TLBF_VTL_COUNT - 1], &r, 1, false);
	entry(3, TLBF_VTL_COUNT - 1);
	assert_int_equal(e[3].pending[TLBF_VTL_COUNT - 1], TLBF_SCOPE_LINEAR);
	assert_int_equal(mvps[3].enter_scope[TLBF_VTL_COUNT - 1], TLBF_SCOPE_LINEAR);
	leave(3);
	assert_true(stat(3, TLBF_STAT_FLUSH_LIST_SINGLE) == 1);
	assert_true(stat(3, TLBF_STAT_ERRORS) == 1);
	assert_true(stat(3, TLBF_STAT_ENTRY_FLUSH_LINEAR) == 1);
	assert_true(stat(3, TLBF_STAT_ENTRY_FLUSH_GPA) == 0);
}

/* A driver set up again for a VP that already ran: it may have missed
 * requests, so its next entry into each VTL flushes TLBF_SCOPE_GPA; its
 * epoch keeps growing. A VP that never ran starts with nothing pending. */
static void reinit_flushes_gpa(void **state)
{
	(void)state;
	start(0);
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		assert_int_equal(e[0].pending[v], TLBF_SCOPE_NONE);
	entry(0, 0);
	leave(0);
	entry(0, 0);
	leave(0);
	uint64_t epoch = tlbf__load(&vps[0].state, TLBF_RELAXED) >> TLBF_VP_EPOCH_SHIFT;
	assert_true(epoch == 2);
	start(0);
	uint64_t s = tlbf__load(&vps[0].state, TLBF_RELAXED);
	assert_int_equal(tlbf__vp_state_mode(s), TLBF_VP_OUTSIDE);
	assert_true(s >> TLBF_VP_EPOCH_SHIFT == epoch);
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		assert_int_equal(e[0].pending[v], TLBF_SCOPE_GPA);
	tlbf_mock_gpa_fill(&mock, 0, 0, 3, 1);
	uint64_t before = log_len();
	entry(0, 0);
	assert_true(log_field(before, 0) == TLBF_MOCK_OP_FLUSH_AT_ENTRY);
	assert_true(log_field(before, 3) == TLBF_SCOPE_GPA);
	assert_true(tlbf__load(&vps[0].state, TLBF_RELAXED) >> TLBF_VP_EPOCH_SHIFT == epoch + 1);
	uint64_t v;
	assert_false(tlbf_mock_gpa_lookup(&mock, 0, 0, 3, &v));
	leave(0);
	assert_int_equal(e[0].pending[0], TLBF_SCOPE_NONE);
	if (TLBF_VTL_COUNT > 1)
		assert_int_equal(e[0].pending[1], TLBF_SCOPE_GPA); /* not entered yet */
}

/* The mock keeps guest-physical translations through LINEAR and drops them
 * with GPA; a guest-physical request reaches the VP as GPA. */
static void gpa_request_is_gpa_on_the_mock(void **state)
{
	(void)state;
	uint64_t v;
	start(0);
	tlbf_mock_tlb_fill(&mock, 0, 0, 3, 1, false);
	tlbf_mock_gpa_fill(&mock, 0, 0, 3, 1);
	(void)tlbf_ring_flush_entire(&pt.rings[0]);
	entry(0, 0);
	assert_true(entered[0]);
	assert_false(tlbf_mock_tlb_lookup(&mock, 0, 0, 3, &v));
	assert_true(tlbf_mock_gpa_lookup(&mock, 0, 0, 3, &v)); /* LINEAR keeps it */
	assert_int_equal(mvps[0].flushes_gpa, 0);
	leave(0);
	tlbf_mock_tlb_fill(&mock, 0, 0, 3, 2, false);
	uint64_t before = log_len();
	struct tlbf_mark m = tlbf_ring_flush_gpa(&pt.rings[0]);
	assert_int_equal(m.kind, TLBF_MARK_KIND_GPA);
	entry(0, 0);
	assert_true(stat(0, TLBF_STAT_POLL_GPA) == 1);
	assert_true(entered[0]);
	assert_true(log_field(before, 3) == TLBF_SCOPE_GPA);
	assert_false(tlbf_mock_tlb_lookup(&mock, 0, 0, 3, &v));
	assert_false(tlbf_mock_gpa_lookup(&mock, 0, 0, 3, &v)); /* GPA drops it */
	assert_int_equal(mvps[0].flushes_gpa, 1);
	assert_int_equal(mvps[0].flushes_entire, 2);
	/* Out-of-range VPs and VTLs: nothing cached, nothing found. */
	tlbf_mock_gpa_fill(&mock, NVP, 0, 3, 1);
	assert_false(tlbf_mock_gpa_lookup(&mock, NVP, 0, 3, &v));
	assert_false(tlbf_mock_gpa_lookup(&mock, 0, TLBF_VTL_COUNT, 3, &v));
	leave(0);
}

/* A VP thread that sits in the guest until kicked, then leaves. */
static void *guest_until_kicked(void *arg)
{
	(void)arg;
	entry(3, 0);
	/* A kick that lands between the prepare and the mock entry cancels
	 * the entry and consumes the signal: then there is nothing to wait for. */
	while (entered[3] && !tlbf_mock_take_cancel(&mock, 3))
		sched_yield();
	leave(3);
	return NULL;
}

/* Start VP 3 in the guest on its own thread and wait until it runs. */
static pthread_t start_guest(void)
{
	start(3);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, guest_until_kicked, NULL), 0);
	while (!(tlbf__load(&mvps[3].run, TLBF_ACQUIRE) & 1))
		sched_yield();
	return t;
}

static void kick_waits_for_the_vp(void **state)
{
	(void)state;
	pthread_t t = start_guest();
	struct tlbf_mark m = tlbf_ring_flush_entire(&pt.rings[0]);
	uint64_t kick[1], wait[1];
	struct tlbf_wake_plan pl;
	memset(&pl, 0, sizeof(pl));
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, kick, wait, 1, 0, m), TLBF_STATUS_OK);
	for (uint32_t v = 0; v < NVP; v++)
		assert_int_equal(tlbf_wake_decide(&pl, v, 0, NULL), TLBF_STATUS_OK);
	assert_int_equal(pl.nkick, 1);
	assert_true(kick[0] == 8);
	assert_int_equal(tlbf_wake_send(&pl, &be, NULL), TLBF_STATUS_OK);
	/* Returned only once VP 3 had left the guest. */
	assert_false(tlbf__load(&mvps[3].run, TLBF_ACQUIRE) & 1);
	pthread_join(t, NULL);
	assert_true(tlbf__load(&mock.kicks, TLBF_RELAXED) == 1);
	assert_true(tlbf__load(&mock.waits, TLBF_RELAXED) == 1);
}

/* A kicker that moved VP 3 to EXITING and then never sends its cancel (it
 * was descheduled, or its kick failed) does not hold up another initiator:
 * that one waits a bounded time, then cancels VP 3 itself. */
static void wait_only_does_not_depend_on_the_kicker(void **state)
{
	(void)state;
	pthread_t t = start_guest();
	uint64_t k1[1], w1[1], kick[1], wait[1];
	struct tlbf_wake_plan p1, pl;
	memset(&p1, 0, sizeof(p1));
	memset(&pl, 0, sizeof(pl));
	enum tlbf_wake d;
	struct tlbf_mark m1 = tlbf_ring_flush_entire(&pt.rings[0]);
	assert_int_equal(tlbf_wake_plan_begin(&p1, &pt, k1, w1, 1, 0, m1), TLBF_STATUS_OK);
	assert_int_equal(tlbf_wake_decide(&p1, 3, 0, &d), TLBF_STATUS_OK);
	assert_int_equal(d, TLBF_WAKE_KICK); /* never sent */
	struct tlbf_mark m2 = tlbf_ring_flush_entire(&pt.rings[0]);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, kick, wait, 1, 0, m2), TLBF_STATUS_OK);
	assert_int_equal(tlbf_wake_decide(&pl, 3, 1, &d), TLBF_STATUS_OK);
	assert_int_equal(d, TLBF_WAKE_WAIT_ONLY);
	assert_int_equal(pl.nwait, 1);
	assert_int_equal(tlbf_wake_send(&pl, &be, NULL), TLBF_STATUS_OK);
	assert_int_equal(pl.nlate, 1);
	assert_true(wait[0] == UINT64_C(1) << 3); /* who got the duplicate cancel */
	assert_false(tlbf__load(&mvps[3].run, TLBF_ACQUIRE) & 1);
	pthread_join(t, NULL);
	assert_true(tlbf__load(&mock.kicks, TLBF_RELAXED) == 1);
}

/* A wait ends as soon as the VP has published a cursor past the request,
 * even while it is still EXITING in the same epoch: no duplicate cancel.
 * The VP's steps are taken one by one (vp.h). */
static void wait_ends_when_the_vp_polled_past(void **state)
{
	(void)state;
	struct tlbf_vp_local loc;
	tlbf__vp_start(&vps[2], &loc, pt.rings);
	tlbf__vp_announce(&vps[2], &loc, 0);                      /* V1, V2 */
	struct tlbf_mark m = tlbf_ring_flush_entire(&pt.rings[0]); /* B records */
	uint64_t k1[1], w1[1], kick[1], wait[1];
	struct tlbf_wake_plan p1, pl;
	memset(&p1, 0, sizeof(p1));
	memset(&pl, 0, sizeof(pl));
	enum tlbf_wake d;
	assert_int_equal(tlbf_wake_plan_begin(&p1, &pt, k1, w1, 1, 0, m), TLBF_STATUS_OK);
	assert_int_equal(tlbf_wake_decide(&p1, 2, 0, &d), TLBF_STATUS_OK); /* A */
	assert_int_equal(d, TLBF_WAKE_KICK);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, kick, wait, 1, 0, m), TLBF_STATUS_OK);
	assert_int_equal(tlbf_wake_decide(&pl, 2, 1, &d), TLBF_STATUS_OK); /* B */
	assert_int_equal(d, TLBF_WAKE_WAIT_ONLY);
	/* VP 2's poll (after its V2) sees B's request; it publishes. */
	assert_int_equal(tlbf_ring_poll(&pt.rings[0], &loc.cursor[0], list_page[2], LIST_CAP).flags,
	                 TLBF_POLL_ENTIRE);
	tlbf__vp_publish(&vps[2], &loc, 0);
	assert_int_equal(tlbf_wake_send(&pl, &be, NULL), TLBF_STATUS_OK);
	assert_int_equal(pl.nlate, 0);
	assert_true(wait[0] == 0);
	assert_true(tlbf__load(&mock.kicks, TLBF_RELAXED) == 0);
}

/* A failed kick is sent again; a second failure is reported, and another
 * initiator that then finds the VP EXITING cancels it itself. */
static void failed_kick_retried_then_reported(void **state)
{
	(void)state;
	pthread_t t = start_guest();
	struct tlbf_flush_request req;
	fixture_space_request(&req);
	static struct tlbf_flush_outcome o;
	tlbf__store(&mock.fail_kicks, 2, TLBF_RELAXED);
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, 0, NULL, &o), TLBF_STATUS_KICK_FAILED);
	assert_int_equal(o.kick_rc, -5);
	assert_int_equal(o.plan.kick_retries, 1);
	assert_true(tlbf__vp_kicked(&vps[3])); /* EXITING, never signalled */
	/* The next initiator does not wait for a signal that never comes. */
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, 1, NULL, &o), TLBF_STATUS_OK);
	assert_int_equal(o.plan.reasons[TLBF_WAKE_WAIT_ONLY], 1);
	assert_int_equal(o.plan.nlate, 1);
	pthread_join(t, NULL);
	/* One failure only: the retry succeeds. */
	t = start_guest();
	tlbf__store(&mock.fail_kicks, 1, TLBF_RELAXED);
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, 0, NULL, &o), TLBF_STATUS_OK);
	assert_int_equal(o.plan.kick_retries, 1);
	pthread_join(t, NULL);
}

/* The backend's wake ends a halt, even one that begins after it was sent;
 * a kick (with or without flags) is not a wake-up. */
static void *halt_until_woken(void *arg)
{
	(void)arg;
	tlbf_mock_halt(&mock, 2);
	return NULL;
}

static void wake_ends_a_halt(void **state)
{
	(void)state;
	uint64_t m2 = UINT64_C(1) << 2;
	assert_false(tlbf_mock_take_wake(&mock, 2));
	/* Sent before the halt: the halt returns at once and consumes it. */
	uint64_t before = log_len();
	assert_int_equal(be.ops->wake(be.ctx, &m2, NVP), 0);
	assert_true(log_field(before, 0) == TLBF_MOCK_OP_WAKE);
	assert_true(log_field(before, 1) == 2);
	assert_true(tlbf__load(&mvps[2].cancel, TLBF_RELAXED) == 0);
	assert_true(tlbf__load(&mock.kicks, TLBF_RELAXED) == 0);
	assert_true(tlbf__load(&mock.waits, TLBF_RELAXED) == 0);
	assert_true(tlbf__load(&mock.wakes, TLBF_RELAXED) == 1);
	tlbf_mock_halt(&mock, 2);
	assert_false(tlbf_mock_take_wake(&mock, 2));
	/* Sent while another thread halts. */
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, halt_until_woken, NULL), 0);
	assert_int_equal(be.ops->wake(be.ctx, &m2, NVP), 0);
	pthread_join(t, NULL);
	assert_false(tlbf_mock_take_wake(&mock, 2));
	/* A kick with no flags does nothing a VP can see (M5: only the wake
	 * ends a halt); a cancel is not a wake-up. */
	assert_int_equal(be.ops->kick(be.ctx, &m2, NVP, 0), 0);
	assert_false(tlbf_mock_take_wake(&mock, 2));
	assert_false(tlbf_mock_take_cancel(&mock, 2));
	assert_int_equal(be.ops->kick(be.ctx, &m2, NVP, TLBF_KICK_CANCEL), 0);
	assert_false(tlbf_mock_take_wake(&mock, 2));
	assert_true(tlbf_mock_take_cancel(&mock, 2));
	/* A mask wider than the mock: refused. */
	assert_int_equal(be.ops->wake(be.ctx, &m2, NVP + 1), -1);
	assert_false(tlbf_mock_take_wake(&mock, 2));
	/* Out of range: nothing. */
	assert_false(tlbf_mock_take_wake(&mock, NVP));
	tlbf_mock_halt(&mock, NVP);
}

/* Indexes from callers are checked in every build. */
static void bad_indexes_refused(void **state)
{
	(void)state;
	uint64_t r = tlbf_hv_gva_make(5, 0);
	for (unsigned vtl = 0; vtl < TLBF_VTL_COUNT + 2; vtl++)
		assert_int_equal(be.ops->flush_list(be.ctx, 0, vtl, &r, 1), vtl < TLBF_VTL_COUNT ? 0 : -1);
	assert_int_equal(be.ops->flush_list(be.ctx, NVP, 0, &r, 1), -1);
	assert_int_equal(be.ops->flush_list(be.ctx, 0, 0, NULL, 1), -1);
	assert_int_equal(be.ops->flush_list(be.ctx, 0, 0, &r, 0), -1);
	uint64_t before = log_len();
	be.ops->flush_at_entry(be.ctx, NVP, 0, TLBF_SCOPE_GPA);
	be.ops->flush_at_entry(be.ctx, 0, TLBF_VTL_COUNT, TLBF_SCOPE_GPA);
	assert_true(log_len() == before);
	/* A scope out of range is the strongest. */
	be.ops->flush_at_entry(be.ctx, 0, 0, TLBF_SCOPE__COUNT);
	assert_int_equal(mvps[0].enter_scope[0], TLBF_SCOPE_GPA);
	uint64_t version;
	assert_false(tlbf_mock_tlb_lookup(&mock, NVP, 0, 5, &version));
	assert_false(tlbf_mock_tlb_lookup(&mock, 0, TLBF_VTL_COUNT, 5, &version));
	tlbf_mock_tlb_fill(&mock, NVP, 0, 5, 1, false);
	tlbf_mock_tlb_fill(&mock, 0, TLBF_VTL_COUNT, 5, 1, false);
	assert_false(tlbf_mock_enter(&mock, 0, TLBF_VTL_COUNT));
	assert_false(tlbf_mock_take_cancel(&mock, NVP));
	/* The VP side refuses a VTL the build does not have, changing nothing. */
	start(0);
	uint64_t s = tlbf__load(&vps[0].state, TLBF_RELAXED);
	assert_int_equal(tlbf_entry_prepare(&e[0], TLBF_VTL_COUNT), TLBF_STATUS_BAD_VTL);
	assert_int_equal(tlbf_entry_prepare(&e[0], 7), TLBF_STATUS_BAD_VTL);
	assert_int_equal(tlbf_entry_done(&e[0], true), TLBF_STATUS_BAD_SEQUENCE);
	assert_true(tlbf__load(&vps[0].state, TLBF_RELAXED) == s);
	/* The initiator side too: a plan for a VTL or mark the build does not
	 * have is refused before any decision. */
	assert_int_equal(tlbf_entry_prepare(&e[0], 0), TLBF_STATUS_OK);
	s = tlbf__load(&vps[0].state, TLBF_RELAXED);
	struct tlbf_mark m = tlbf_ring_flush_entire(&pt.rings[0]);
	uint64_t kick[1], wait[1];
	struct tlbf_wake_plan pl;
	memset(&pl, 0, sizeof(pl));
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, kick, wait, 1, TLBF_VTL_COUNT, m),
	                 TLBF_STATUS_BAD_VTL);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, kick, wait, 1, 7, m), TLBF_STATUS_BAD_VTL);
	m.kind = (enum tlbf_mark_kind)9;
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, kick, wait, 1, 0, m), TLBF_STATUS_BAD_REQUEST);
	assert_int_equal(tlbf_wake_decide(&pl, 0, 9, NULL), TLBF_STATUS_BAD_SEQUENCE);
	assert_true(tlbf__load(&vps[0].state, TLBF_RELAXED) == s);
	assert_int_equal(tlbf_entry_done(&e[0], false), TLBF_STATUS_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(list_single_and_entire_on_the_mock, setup),
		cmocka_unit_test_setup(non_global_keeps_global_and_list_still_runs, setup),
		cmocka_unit_test_setup(keep_on_cancel_clear_on_entry, setup),
		cmocka_unit_test_setup(answers_merge_into_the_pending_scope, setup),
		cmocka_unit_test_setup(no_flush_list_is_linear, setup),
		cmocka_unit_test_setup(failing_flush_list_is_linear, setup),
		cmocka_unit_test_setup(reinit_flushes_gpa, setup),
		cmocka_unit_test_setup(gpa_request_is_gpa_on_the_mock, setup),
		cmocka_unit_test_setup(kick_waits_for_the_vp, setup),
		cmocka_unit_test_setup(wait_only_does_not_depend_on_the_kicker, setup),
		cmocka_unit_test_setup(wait_ends_when_the_vp_polled_past, setup),
		cmocka_unit_test_setup(failed_kick_retried_then_reported, setup),
		cmocka_unit_test_setup(wake_ends_a_halt, setup),
		cmocka_unit_test_setup(bad_indexes_refused, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
