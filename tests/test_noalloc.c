/* SPDX-License-Identifier: MIT */
/*
 * No library operation allocates: this binary defines malloc, calloc,
 * realloc, free and the aligned allocators itself, counting every call and
 * forwarding to glibc's __libc_* entry points, and every library operation
 * is run between a reset and a check of the count.
 *
 * The definitions here take precedence over libc's for the whole process
 * (the executable comes first in symbol lookup), so an allocation made
 * anywhere on the path of an operation, in a header's inline code or in a
 * libc function it calls, is counted. The first test proves that: a
 * direct call to each allocator must move the count.
 *
 * Built only without sanitizers (their runtimes interpose these functions
 * themselves).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tlbflush/entry.h"
#include "tlbflush/flush.h"
#include "tlbflush/mock_backend.h"
#include "tlbflush/oracle.h"

/* glibc's own allocator entry points, which its malloc wraps. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static volatile unsigned long alloc_calls; /* malloc, calloc, realloc, aligned */
static volatile unsigned long free_calls;

void *malloc(size_t size)
{
	alloc_calls++;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	alloc_calls++;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	alloc_calls++;
	return __libc_realloc(p, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	alloc_calls++;
	return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	alloc_calls++;
	void *p = __libc_memalign(align, size);
	if (!p)
		return 12; /* ENOMEM */
	*out = p;
	return 0;
}

void free(void *p)
{
	free_calls++;
	__libc_free(p);
}

static unsigned long calls(void)
{
	return alloc_calls + free_calls;
}

#define NVP 200
#include "fixture.h"
#define LIST_CAP 512
static struct tlbf_entry e[8];
static uint64_t list_page[8][LIST_CAP];
static uint64_t kick[TLBF_MASK_WORDS(NVP)], wait_[TLBF_MASK_WORDS(NVP)];
static uint64_t out[TLBF_RING_CAPACITY];
static struct tlbf_ring rings[TLBF_VTL_COUNT];

static int setup(void **state)
{
	(void)state;
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		tlbf_ring_init(&rings[v]);
	assert_int_equal(fixture_setup(true, true), 0);
	return 0;
}

/* The interposition works: each allocator moves the count. */
static void allocations_are_counted(void **state)
{
	(void)state;
	unsigned long before = calls();
	void *volatile p = malloc(16);
	assert_true(calls() == before + 1);
	p = realloc(p, 4096);
	assert_true(calls() == before + 2);
	free(p);
	assert_true(calls() == before + 3);
	p = calloc(4, 8);
	free(p);
	p = aligned_alloc(64, 64);
	free(p);
	assert_true(calls() == before + 7);
	/* strdup is a libc function that allocates inside libc. */
	char *volatile s = strdup("x");
	assert_true(calls() > before + 7);
	free(s);
}

static void ring_operations(void **state)
{
	(void)state;
	uint64_t ranges[40];
	for (unsigned i = 0; i < 40; i++)
		ranges[i] = tlbf_hv_gva_make(0x1000 + 4 * i, i % 3);
	struct tlbf_cursor c;
	unsigned long before = calls();
	tlbf_ring_cursor_init(&rings[0], &c);
	struct tlbf_poll p = tlbf_ring_poll(&rings[0], &c, out, TLBF_RING_CAPACITY);
	assert_int_equal(p.flags, TLBF_POLL_NOTHING);
	struct tlbf_push r = tlbf_ring_push(&rings[0], ranges, 8, false);
	assert_int_equal(r.result, TLBF_PUSH_RESULT_LISTED);
	p = tlbf_ring_poll(&rings[0], &c, out, TLBF_RING_CAPACITY);
	assert_int_equal(p.count, 8);
	r = tlbf_ring_push(&rings[0], ranges, 40, false); /* promoted */
	assert_int_equal(r.result, TLBF_PUSH_RESULT_PROMOTED);
	for (unsigned i = 0; i < 5; i++) /* laps the reader */
		(void)tlbf_ring_push(&rings[0], ranges, 8, false);
	(void)tlbf_ring_flush_entire(&rings[0]);
	(void)tlbf_ring_flush_non_global(&rings[0]);
	p = tlbf_ring_poll(&rings[0], &c, out, TLBF_RING_CAPACITY);
	assert_int_equal(p.flags, TLBF_POLL_ENTIRE);
	assert_false(tlbf_ring_pending(&rings[0], &c));
	assert_true(tlbf_ring_valid(&rings[0]));
	assert_true(calls() == before);
}

static void vpset_operations(void **state)
{
	(void)state;
	/* HV_VP_SET sparse-4K over banks 0, 2 and 63. */
	uint64_t set[5] = {TLBF_HV_GENERIC_SET_SPARSE_4K, (UINT64_C(1) << 63) | 0x5, 0x21,
	                   UINT64_C(0xf0), UINT64_C(1)};
	uint64_t mask[64];
	struct tlbf_vpset s, all, legacy;
	memset(&s, 0, sizeof(s));
	unsigned long before = calls();
	assert_int_equal(tlbf_vpset_parse(&s, set, 5, 4096), TLBF_HV_STATUS_SUCCESS);
	tlbf_vpset_init_all(&all, 300);
	tlbf_vpset_init_mask(&legacy, 0x9, 64);
	assert_true(tlbf_vpset_contains(&s, 5));
	assert_false(tlbf_vpset_contains(&s, 6));
	assert_int_equal(tlbf_vpset_count(&s), 2 + 4 + 1);
	assert_false(tlbf_vpset_empty(&legacy));
	struct tlbf_vpset_iter it;
	uint32_t vp, n = 0;
	tlbf_vpset_iter_init(&it, &s);
	while (tlbf_vpset_iter_next(&it, &vp))
		n++;
	assert_int_equal(n, 7);
	tlbf_vpset_iter_init(&it, &all);
	for (n = 0; tlbf_vpset_iter_next(&it, &vp);)
		n++;
	assert_int_equal(n, 300);
	uint32_t sel = 0;
	assert_int_equal(tlbf_vpset_write_mask(&s, NULL, NULL, mask, 64, &sel), TLBF_STATUS_OK);
	assert_int_equal(sel, 7);
	assert_int_equal(tlbf_vpset_write_mask(&all, NULL, NULL, mask, 64, &sel), TLBF_STATUS_OK);
	assert_int_equal(sel, 300);
	tlbf__vpset_limit(&s, 100);
	assert_int_equal(tlbf_vpset_count(&s), 2);
	assert_true(calls() == before);
}

static void hypercall_decode(void **state)
{
	(void)state;
	uint64_t list_ex[8] = {0, 0, TLBF_HV_GENERIC_SET_SPARSE_4K, 0x5, 0x21, 0x4,
	                       tlbf_hv_gva_make(0x100, 1), tlbf_hv_gva_make(0x300, 0)};
	uint64_t space[3] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0};
	struct tlbf_flush_request req;
	enum tlbf_hypercall_rule rule;
	memset(&req, 0, sizeof(req));
	unsigned long before = calls();
	uint64_t control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST_EX, false, 2, 2, 0);
	assert_int_equal(tlbf_hypercall_decode(control, list_ex, sizeof(list_ex), NVP, 0, &req, &rule),
	                 TLBF_HV_STATUS_SUCCESS);
	static struct tlbf_ring ring;
	tlbf_ring_init(&ring);
	assert_int_equal(tlbf_ring_push(&ring, req.ranges, req.range_count, req.extended).result,
	                 TLBF_PUSH_RESULT_LISTED);
	control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0);
	assert_int_equal(tlbf_hypercall_decode(control, space, sizeof(space), NVP, 0, &req, &rule),
	                 TLBF_HV_STATUS_SUCCESS);
	/* A failing decode: a list call with rep start past rep count. */
	control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST, false, 0, 1, 2);
	assert_int_not_equal(tlbf_hypercall_decode(control, space, sizeof(space), NVP, 0, &req, &rule),
	                     TLBF_HV_STATUS_SUCCESS);
	assert_true(calls() == before);
}

/* One entry of VP @i into @vtl on the mock: prepare, enter, leave, done.
 * Returns whether the entry happened. */
static bool run_entry(unsigned i, unsigned vtl)
{
	assert_int_equal(tlbf_entry_prepare(&e[i], vtl), TLBF_STATUS_OK);
	bool entered = tlbf_mock_enter(&mock, i, vtl);
	if (entered)
		tlbf_mock_leave(&mock, i);
	assert_int_equal(tlbf_entry_done(&e[i], entered), TLBF_STATUS_OK);
	return entered;
}

/* The VP side (the entry driver: announce, poll, flush_list or the flush at
 * entry, publish, mock enter and leave) and the initiator side (decide,
 * plan, send, flush_handle with its kick). */
static void wake_flush_and_entry(void **state)
{
	(void)state;
	uint64_t input[8] = {0, 0, TLBF_HV_GENERIC_SET_SPARSE_4K, 0x5, 0x21, 0x4,
	                     tlbf_hv_gva_make(0x100, 1), tlbf_hv_gva_make(0x300, 0)};
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	uint64_t control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST_EX, false, 2, 2, 0);
	assert_int_equal(tlbf_hypercall_decode(control, input, sizeof(input), NVP, 0, &req, NULL),
	                 TLBF_HV_STATUS_SUCCESS);
	static struct tlbf_flush_outcome o;
	struct tlbf_wake_plan pl;
	memset(&pl, 0, sizeof(pl));
	unsigned long before = calls();
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(tlbf_entry_init(&e[i], &pt, &be, i, list_page[i], LIST_CAP, NULL),
		                 TLBF_STATUS_OK);
		assert_int_equal(tlbf_entry_prepare(&e[i], 0), TLBF_STATUS_OK);
	}
	/* VP 5 prepared but never entered the mock: kicked, no wait. */
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, 0, NULL, &o), TLBF_STATUS_OK);
	assert_int_equal(o.kick_rc, 0);
	assert_int_equal(o.plan.reasons[TLBF_WAKE_KICK], 1);
	/* Record, plan, decide and send by hand. */
	struct tlbf_push r;
	memset(&r, 0, sizeof(r));
	assert_int_equal(tlbf_flush_record(&pt, &req, &r), TLBF_STATUS_OK);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, kick, wait_, TLBF_MASK_WORDS(NVP), 0, r.mark),
	                 TLBF_STATUS_OK);
	assert_int_equal(tlbf_flush_plan(&pl, &req.vps, TLBF_NO_VP), TLBF_STATUS_LOCKS_IGNORED);
	assert_int_equal(pl.reasons[TLBF_WAKE_WAIT_ONLY], 1); /* VP 5 is EXITING */
	enum tlbf_wake w;
	assert_int_equal(tlbf_wake_decide(&pl, 1, TLBF_NO_VP, &w), TLBF_STATUS_OK);
	assert_int_equal(w, TLBF_WAKE_KICK);
	int rc = -1;
	assert_int_equal(tlbf_wake_send(&pl, &be, &rc), TLBF_STATUS_OK);
	assert_int_equal(rc, 0);
	/* VP 5 leaves and enters again: it polls both requests and flushes
	 * their ranges with one list flush, then its entry is cancelled (the
	 * kick); the next one polls nothing. */
	assert_int_equal(tlbf_entry_done(&e[5], false), TLBF_STATUS_OK);
	uint64_t logged = tlbf__load(&mock.log_len, TLBF_RELAXED);
	assert_false(run_entry(5, 0));
	uint64_t logged2 = tlbf__load(&mock.log_len, TLBF_RELAXED);
	assert_true(run_entry(5, 0));
	/* A flush-everything answer and a non-global one, for VP 6. */
	assert_int_equal(tlbf_entry_done(&e[6], false), TLBF_STATUS_OK);
	(void)tlbf_ring_flush_entire(&pt.rings[0]);
	(void)tlbf_ring_flush_non_global(&pt.rings[TLBF_VTL_COUNT - 1]);
	(void)run_entry(6, 0);
	(void)run_entry(6, TLBF_VTL_COUNT - 1);
	assert_true(calls() == before);
	/* The first entry flushed the list of both requests (four ranges: two
	 * per request) before it was cancelled; the second one flushed none. */
	assert_true(logged2 < 256 && tlbf__load(&mock.log_len, TLBF_RELAXED) < 256);
	unsigned lists = 0;
	for (uint64_t i = logged; i < logged2; i++)
		if (tlbf__load(&mlog[i].op, TLBF_RELAXED) == TLBF_MOCK_OP_FLUSH_LIST) {
			assert_true(tlbf__load(&mlog[i].vp, TLBF_RELAXED) == 5);
			assert_true(tlbf__load(&mlog[i].b, TLBF_RELAXED) == 4);
			lists++;
		}
	assert_int_equal(lists, 1);
	for (uint64_t i = logged2; i < tlbf__load(&mock.log_len, TLBF_RELAXED); i++)
		assert_true(tlbf__load(&mlog[i].op, TLBF_RELAXED) != TLBF_MOCK_OP_FLUSH_LIST ||
		            tlbf__load(&mlog[i].vp, TLBF_RELAXED) != 5);
}

/* VSM TLB locks: lock, wait, the sleep check, the release and its wake. */
static void tlb_lock_operations(void **state)
{
	(void)state;
	unsigned long before = calls();
	assert_int_equal(tlbf_tlb_lock(&pt, 1, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 0, 0, NULL), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_must_wait(&pt, 0));
	assert_true(tlbf_tlb_lock_held(&pt, 1, 0) == 2);
	assert_true(tlbf_tlb_lock_waiting(&pt, 0, 0) == 1);
	assert_int_equal(tlbf_tlb_unlock(&pt, &be, 1, 1, TLBF_TLB_UNLOCK_ALL), TLBF_STATUS_OK);
	assert_true(tlbf_mock_take_wake(&mock, 0));
	assert_false(tlbf_tlb_lock_must_wait(&pt, 0));
	assert_true(calls() == before);
}

/* Counters and the oracle. */
static void stats_and_oracle(void **state)
{
	(void)state;
	static struct tlbf_stats a, b;
	static TLBF_ATOMIC(uint64_t) words[4096];
	const struct tlbf_stats *const srcs[2] = {&a, &b};
	struct tlbf_oracle o;
	uint64_t seq[8];
	unsigned long before = calls();
	tlbf_stats_init(&a);
	tlbf_stats_init(&b);
	tlbf_stats_fold(&a, &b);
	assert_true(tlbf_stats_get(&a, TLBF_STAT_ENTRIES) == 0);
	tlbf_stats_export(srcs, 2, NULL, NULL);
	assert_true(TLBF_ORACLE_WORDS(8, 4) <= 4096);
	assert_int_equal(tlbf_oracle_init(&o, words, 4096, 8, 4, 0x100), TLBF_STATUS_OK);
	uint64_t v = tlbf_oracle_change(&o, 0, 1, false);
	tlbf_oracle_call_begin(&o, seq, NULL, 0);
	tlbf_oracle_flushed(&o, NULL, 0, 1, v, false);
	assert_false(tlbf_oracle_call_end(&o, seq, 0, TLBF_NO_VP));
	assert_false(tlbf_oracle_access(&o, &mock, 2, 0, 1, false));
	tlbf_oracle_hold(&o, 2, 0, true);
	tlbf_oracle_hold(&o, 2, 0, false);
	assert_true(calls() == before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allocations_are_counted),
		cmocka_unit_test_setup(ring_operations, setup),
		cmocka_unit_test_setup(vpset_operations, setup),
		cmocka_unit_test_setup(hypercall_decode, setup),
		cmocka_unit_test_setup(wake_flush_and_entry, setup),
		cmocka_unit_test_setup(tlb_lock_operations, setup),
		cmocka_unit_test_setup(stats_and_oracle, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
