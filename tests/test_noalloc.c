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

#include "tlbflush/flush.h"
#include "tlbflush/mock_backend.h"

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
static struct tlbf_ring rings[TLBF_VTL_COUNT];
static struct tlbf_vp vps[NVP];
static struct tlbf_vp_local loc[NVP];
static struct tlbf_mock_vp mvps[NVP];
static struct tlbf_mock mock;
static struct tlbf_backend be;
static struct tlbf_partition pt;
static struct tlbf_tdx_vp tv[NVP];
static uint64_t list_page[4][TLBF_TDX_LIST_MAX];
static uint64_t kick[TLBF_MASK_WORDS(NVP)], wait_[TLBF_MASK_WORDS(NVP)];
static uint64_t out[TLBF_RING_CAPACITY];

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
		tlbf_tdx_vp_init(&tv[i], i, list_page[i % 4], 0x5000 + i);
	}
	assert_int_equal(tlbf_partition_init(&pt, rp, vps, NVP), TLBF_STATUS_OK);
	tlbf_mock_init(&mock, mvps, NVP, NULL, 0);
	be = tlbf_mock_backend(&mock);
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
		tlbf_ring_push(&rings[0], ranges, 8, false);
	tlbf_ring_flush_entire(&rings[0]);
	tlbf_ring_flush_non_global(&rings[0]);
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

/* The VP side (announce, poll, TDX apply, publish, mock enter and leave)
 * and the initiator side (decide, plan, flush_handle with its kick). */
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
	unsigned long before = calls();
	for (unsigned i = 0; i < 8; i++) {
		tlbf__vp_start(&vps[i], &loc[i], pt.rings);
		tlbf_tdx_prepare_entry(&be, &tv[i], &vps[i], &loc[i], &rings[0], 0);
	}
	struct tlbf_flush_outcome o;
	/* VP 5 announced but never entered the mock: kicked, no wait. */
	tlbf_flush_handle(&pt, &be, &req, 0, kick, wait_, TLBF_MASK_WORDS(NVP), &o);
	assert_int_equal(o.kick_rc, 0);
	assert_int_equal(o.plan.reasons[TLBF_WAKE_KICK], 1);
	/* Plan and decide by hand. */
	struct tlbf_wake_plan pl;
	tlbf_kick_plan_init(&pl, kick, wait_, TLBF_MASK_WORDS(NVP));
	struct tlbf_push r = tlbf_flush_record(&pt, &req);
	tlbf_flush_plan(&pt, &req.vps, NVP, 0, r.mark, &pl);
	assert_int_equal(pl.reasons[TLBF_WAKE_WAIT_ONLY], 1); /* VP 5 is EXITING */
	enum tlbf_wake w = tlbf_wake_decide(&vps[1], 1, NVP, 0, r.mark);
	assert_int_equal(w, TLBF_WAKE_KICK);
	/* VP 5 leaves and enters again: its entry is cancelled once, then it
	 * polls both requests and flushes them with INVGLA. */
	tlbf__vp_exit(&vps[5], &loc[5]);
	tlbf_tdx_prepare_entry(&be, &tv[5], &vps[5], &loc[5], &rings[0], 0);
	bool entered = tlbf_mock_enter(&mock, 5, 0);
	assert_false(entered);
	tlbf_tdx_entry_done(&tv[5], 0, entered);
	tlbf_tdx_prepare_entry(&be, &tv[5], &vps[5], &loc[5], &rings[0], 0);
	entered = tlbf_mock_enter(&mock, 5, 0);
	assert_true(entered);
	tlbf_tdx_entry_done(&tv[5], 0, entered);
	tlbf_mock_leave(&mock, 5);
	tlbf__vp_exit(&vps[5], &loc[5]);
	/* Apply a flush-everything answer and a non-global one. */
	struct tlbf_poll all = {TLBF_POLL_ENTIRE, 0};
	tlbf_tdx_apply(&be, &tv[6], 0, all);
	struct tlbf_poll ng = {TLBF_POLL_NON_GLOBAL, 0};
	tlbf_tdx_apply(&be, &tv[6], 1, ng);
	assert_true(calls() == before);
	assert_true(tv[5].invgla_list >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allocations_are_counted),
		cmocka_unit_test_setup(ring_operations, setup),
		cmocka_unit_test_setup(vpset_operations, setup),
		cmocka_unit_test_setup(hypercall_decode, setup),
		cmocka_unit_test_setup(wake_flush_and_entry, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
