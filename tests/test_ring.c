/* SPDX-License-Identifier: MIT */
/* Unit tests of the flush ring (tlbflush/ring.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

/* A hook at the labelled steps lets a test act between two steps of a
 * push, as another thread would. */
static void (*step_hook)(const char *label);
static void test_step(const char *label)
{
	if (step_hook)
		step_hook(label);
}
#define TLBF_STEP(label) test_step(label)

#include "tlbflush/ring.h"

#define N TLBF_RING_CAPACITY

static struct tlbf_ring ring;
static uint64_t out[N];

static uint64_t range(uint64_t page, uint64_t extra)
{
	return tlbf_hv_gva_make(page, extra);
}

static int setup(void **state)
{
	(void)state;
	tlbf_ring_init(&ring);
	step_hook = NULL;
	return 0;
}

static struct tlbf_push push1(uint64_t v)
{
	return tlbf_ring_push(&ring, &v, 1, false);
}

static void empty_poll(void **state)
{
	(void)state;
	struct tlbf_cursor c;
	tlbf_ring_cursor_init(&ring, &c);
	assert_false(tlbf_ring_pending(&ring, &c));
	struct tlbf_poll p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_NOTHING);
	assert_int_equal(p.count, 0);
	assert_true(tlbf_ring_valid(&ring));
	/* All-zero static storage is the same empty ring. */
	static struct tlbf_ring zero;
	struct tlbf_cursor z = {0, 0, 0, 0, 0};
	assert_int_equal(tlbf_ring_poll(&zero, &z, out, N).flags, TLBF_POLL_NOTHING);
	uint64_t v = range(9, 0);
	assert_int_equal(tlbf_ring_push(&zero, &v, 1, false).result, TLBF_PUSH_RESULT_LISTED);
	struct tlbf_poll zp = tlbf_ring_poll(&zero, &z, out, N);
	assert_int_equal(zp.flags, TLBF_POLL_LIST);
	assert_int_equal(out[0], v);
	assert_true(tlbf_ring_valid(&zero));
}

static void single_and_batch(void **state)
{
	(void)state;
	struct tlbf_cursor c;
	tlbf_ring_cursor_init(&ring, &c);
	struct tlbf_push r = push1(range(0x1000, 3));
	assert_int_equal(r.result, TLBF_PUSH_RESULT_LISTED);
	assert_int_equal(r.mark.kind, TLBF_MARK_KIND_LIST);
	assert_true(r.mark.value == 1);
	assert_true(tlbf_ring_pending(&ring, &c));
	struct tlbf_poll p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_LIST);
	assert_int_equal(p.count, 1);
	assert_true(out[0] == range(0x1000, 3));
	assert_true(c.list == 1);

	uint64_t batch[8];
	for (unsigned i = 0; i < 8; i++)
		batch[i] = range(0x2000 + i, i);
	r = tlbf_ring_push(&ring, batch, 8, false);
	assert_int_equal(r.result, TLBF_PUSH_RESULT_LISTED);
	assert_true(r.mark.value == 9);
	p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_LIST);
	assert_int_equal(p.count, 8);
	assert_memory_equal(out, batch, sizeof(batch));
	/* Nothing new afterwards. */
	p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_NOTHING);
	assert_true(tlbf_ring_valid(&ring));
}

static void exact_capacity_and_one_more(void **state)
{
	(void)state;
	uint64_t batch[N + 1];
	for (unsigned i = 0; i < N + 1; i++)
		batch[i] = range(0x100 + i, 0);
	struct tlbf_cursor c;
	tlbf_ring_cursor_init(&ring, &c);
	struct tlbf_push r = tlbf_ring_push(&ring, batch, N, false);
	assert_int_equal(r.result, TLBF_PUSH_RESULT_LISTED);
	struct tlbf_poll p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_LIST);
	assert_int_equal(p.count, N);
	assert_memory_equal(out, batch, N * sizeof(uint64_t));

	uint64_t claim_before = c.list;
	r = tlbf_ring_push(&ring, batch, N + 1, false);
	assert_int_equal(r.result, TLBF_PUSH_RESULT_PROMOTED);
	assert_int_equal(r.mark.kind, TLBF_MARK_KIND_ENTIRE);
	assert_true(r.mark.value == 1);
	p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_ENTIRE);
	/* A promoted batch reserves nothing. */
	assert_true(c.list == claim_before);
	assert_true(c.entire == 1);
}

static void overflow_after_slow_reader(void **state)
{
	(void)state;
	struct tlbf_cursor c;
	tlbf_ring_cursor_init(&ring, &c);
	for (unsigned i = 0; i < N + 1; i++)
		push1(range(i, 0));
	struct tlbf_poll p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_ENTIRE);
	assert_true(c.overflows == 1);
	assert_true(c.list == N + 1);
	/* Caught up: the next push is listed again. */
	push1(range(77, 1));
	p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_LIST);
	assert_int_equal(p.count, 1);
	assert_true(out[0] == range(77, 1));

	/* Exactly N behind is not an overflow. */
	for (unsigned i = 0; i < N; i++)
		push1(range(200 + i, 0));
	p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_LIST);
	assert_int_equal(p.count, N);

	/* Less output room than new entries: flush everything, never drop. */
	push1(range(1, 0));
	push1(range(2, 0));
	p = tlbf_ring_poll(&ring, &c, out, 1);
	assert_int_equal(p.flags, TLBF_POLL_ENTIRE);
}

static void generations_and_list(void **state)
{
	(void)state;
	struct tlbf_cursor c;
	tlbf_ring_cursor_init(&ring, &c);
	struct tlbf_mark m = tlbf_ring_flush_non_global(&ring);
	assert_int_equal(m.kind, TLBF_MARK_KIND_NON_GLOBAL);
	assert_true(m.value == 1);
	push1(range(5, 0));
	struct tlbf_poll p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_LIST | TLBF_POLL_NON_GLOBAL);
	assert_int_equal(p.count, 1);
	assert_true(c.non_global == 1);

	/* Non-global alone. */
	tlbf_ring_flush_non_global(&ring);
	p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_NON_GLOBAL);
	assert_int_equal(p.count, 0);

	/* Entire swallows everything, and catches up every counter. */
	push1(range(6, 0));
	tlbf_ring_flush_non_global(&ring);
	m = tlbf_ring_flush_entire(&ring);
	assert_int_equal(m.kind, TLBF_MARK_KIND_ENTIRE);
	p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_ENTIRE);
	assert_true(c.entire == 1 && c.non_global == 3 && c.list == 2);
	assert_int_equal(tlbf_ring_poll(&ring, &c, out, N).flags, TLBF_POLL_NOTHING);
}

/* The guest-physical generation: flush everything and guest-physical too;
 * it swallows what is pending and catches up every counter. */
static void gpa_generation(void **state)
{
	(void)state;
	struct tlbf_cursor c;
	tlbf_ring_cursor_init(&ring, &c);
	struct tlbf_mark m = tlbf_ring_flush_gpa(&ring);
	assert_int_equal(m.kind, TLBF_MARK_KIND_GPA);
	assert_true(m.value == 1);
	assert_true(tlbf_ring_pending(&ring, &c));
	push1(range(5, 0));
	tlbf_ring_flush_non_global(&ring);
	struct tlbf_poll p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_ENTIRE | TLBF_POLL_GPA);
	assert_true(c.gpa == 1 && c.non_global == 1 && c.list == 1 && c.entire == 0);
	assert_false(tlbf_ring_pending(&ring, &c));
	assert_int_equal(tlbf_ring_poll(&ring, &c, out, N).flags, TLBF_POLL_NOTHING);
	/* A flush-entire alone does not ask for guest-physical. */
	tlbf_ring_flush_entire(&ring);
	assert_int_equal(tlbf_ring_poll(&ring, &c, out, N).flags, TLBF_POLL_ENTIRE);
	/* Both at once: one answer with both bits. */
	tlbf_ring_flush_entire(&ring);
	tlbf_ring_flush_gpa(&ring);
	assert_int_equal(tlbf_ring_poll(&ring, &c, out, N).flags, TLBF_POLL_ENTIRE | TLBF_POLL_GPA);
	/* A cursor started now does not see the past ones. */
	struct tlbf_cursor d;
	tlbf_ring_cursor_init(&ring, &d);
	assert_true(d.gpa == 2);
	assert_int_equal(tlbf_ring_poll(&ring, &d, out, N).flags, TLBF_POLL_NOTHING);
}

static void cursor_init_now_skips_the_past(void **state)
{
	(void)state;
	push1(range(1, 0));
	tlbf_ring_flush_entire(&ring);
	tlbf_ring_flush_non_global(&ring);
	struct tlbf_cursor c;
	tlbf_ring_cursor_init(&ring, &c);
	assert_int_equal(tlbf_ring_poll(&ring, &c, out, N).flags, TLBF_POLL_NOTHING);
	push1(range(2, 0));
	struct tlbf_poll p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.count, 1);
	assert_true(out[0] == range(2, 0));
}

/* A slot claimed but not yet published (a producer stalled between P1 and
 * P6): the reader stops its cursor there but returns what is behind. */
static void pending_does_not_hide_later_entries(void **state)
{
	(void)state;
	struct tlbf_cursor c;
	tlbf_ring_cursor_init(&ring, &c);
	/* Claim ticket 0 by hand, as a stalled producer would. */
	uint64_t k = tlbf__fetch_add(&ring.claim, 1, TLBF_RELEASE);
	assert_true(k == 0);
	push1(range(0x10, 0));
	push1(range(0x11, 0));
	struct tlbf_poll p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_LIST);
	assert_int_equal(p.count, 2);
	assert_true(out[0] == range(0x10, 0) && out[1] == range(0x11, 0));
	assert_true(c.list == 0); /* stays at the pending ticket */
	/* The stalled producer finishes: it is returned (with the others). */
	assert_int_equal(tlbf__ring_put(&ring, 0, range(0x0f, 0)), TLBF_PUSH_RESULT_LISTED);
	p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.count, 3);
	assert_true(out[0] == range(0x0f, 0));
	assert_true(c.list == 3);
}

/* A producer a lap ahead finds its slot still held by the stalled older
 * one: it degrades to flush-entire instead of waiting (T3/T5). */
static void degraded_and_lapped_pushes(void **state)
{
	(void)state;
	struct tlbf_cursor c;
	tlbf_ring_cursor_init(&ring, &c);
	/* Ticket 0's producer stalls after owning its slot (P3). */
	uint64_t k = tlbf__fetch_add(&ring.claim, 1, TLBF_RELEASE);
	uint64_t seq = tlbf__load(&ring.slot[0].seq, TLBF_RELAXED);
	assert_true(tlbf__cas(&ring.slot[0].seq, &seq, tlbf__seq_busy(k), TLBF_RELAXED, TLBF_RELAXED));
	for (unsigned i = 1; i < N; i++)
		assert_int_equal(push1(range(i, 0)).result, TLBF_PUSH_RESULT_LISTED);
	/* Ticket N maps to slot 0, held by ticket 0. */
	struct tlbf_push r = push1(range(0xdead, 0));
	assert_int_equal(r.result, TLBF_PUSH_RESULT_DEGRADED);
	assert_int_equal(r.mark.kind, TLBF_MARK_KIND_ENTIRE);
	struct tlbf_poll p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_ENTIRE);
	assert_true(c.list == N + 1);

	/* The stalled producer of ticket 0 now resumes, but a newer lap
	 * (ticket 2N) took the slot in the meantime: it is lapped. */
	tlbf_ring_init(&ring);
	tlbf_ring_cursor_init(&ring, &c);
	k = tlbf__fetch_add(&ring.claim, 1, TLBF_RELEASE); /* ticket 0 stalls before P2 */
	for (unsigned i = 1; i < 2 * N + 1; i++)
		push1(range(i, 0));
	assert_int_equal(tlbf__ring_put(&ring, k, range(0xbad, 0)), TLBF_PUSH_RESULT_LAPPED);
	/* The reader that needed ticket 0 sees an overflow. */
	p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.flags, TLBF_POLL_ENTIRE);
	assert_true(c.overflows == 1);
	/* And a reader positioned at ticket 0 by hand, with claim within
	 * reach, sees that the slot is newer: overflow too (never the value
	 * of the wrong lap). */
	struct tlbf_cursor c2 = c;
	c2.list = 2 * N;
	c2.entire = tlbf__load(&ring.entire, TLBF_RELAXED);
	tlbf__store(&ring.slot[0].seq, tlbf__seq_pub(3 * N), TLBF_RELAXED);
	p = tlbf_ring_poll(&ring, &c2, out, N);
	assert_int_equal(p.flags, TLBF_POLL_ENTIRE);
	assert_false(tlbf_ring_valid(&ring)); /* seq ahead of claim */
}

static void ranges_that_need_promotion(void **state)
{
	(void)state;
	struct tlbf_cursor c;
	tlbf_ring_cursor_init(&ring, &c);
	uint64_t ext[3] = {range(1, 0), TLBF_GVA_EXT_LARGE_PAGE | (UINT64_C(5) << 21), range(3, 0)};
	uint64_t claim = tlbf__load(&ring.claim, TLBF_RELAXED);
	struct tlbf_push r = tlbf_ring_push(&ring, ext, 3, true);
	assert_int_equal(r.result, TLBF_PUSH_RESULT_PROMOTED);
	assert_int_equal(r.mark.kind, TLBF_MARK_KIND_ENTIRE);
	/* Classified before reserving: no ticket left for readers to stop at. */
	assert_true(tlbf__load(&ring.claim, TLBF_RELAXED) == claim);
	assert_int_equal(tlbf_ring_poll(&ring, &c, out, N).flags, TLBF_POLL_ENTIRE);
	/* Past the top of the address space. */
	uint64_t top = range(TLBF_GVA_MAX_PAGE, 1);
	assert_int_equal(tlbf_ring_push(&ring, &top, 1, false).result, TLBF_PUSH_RESULT_PROMOTED);
	/* Empty push records nothing. */
	struct tlbf_push e = tlbf_ring_push(&ring, NULL, 0, false);
	assert_int_equal(e.result, TLBF_PUSH_RESULT_EMPTY);
	assert_int_equal(e.mark.kind, TLBF_MARK_KIND_NONE);
	/* Small-page extended ranges go in unchanged. */
	tlbf_ring_poll(&ring, &c, out, N);
	uint64_t small = range(0x42, 0x7ff);
	assert_int_equal(tlbf_ring_push(&ring, &small, 1, true).result, TLBF_PUSH_RESULT_LISTED);
	struct tlbf_poll p = tlbf_ring_poll(&ring, &c, out, N);
	assert_int_equal(p.count, 1);
	assert_true(out[0] == small);
}

/* While a promoted push is stalled before its flush-entire bump (G1),
 * another producer lists two ranges and a reader polls twice. The promoted
 * push reserved nothing, so the reader's cursor does not stop at an
 * abandoned ticket: the second poll returns nothing instead of the same two
 * ranges again (and later initiators need not kick VPs that consumed them). */
static struct tlbf_cursor stall_cursor;
static uint32_t stall_counts[2];
static void stalled_before_bump(const char *label)
{
	if (label[0] != 'G')
		return;
	step_hook = NULL;
	uint64_t two[2] = {range(0x10, 0), range(0x20, 0)};
	assert_int_equal(tlbf_ring_push(&ring, two, 2, false).result, TLBF_PUSH_RESULT_LISTED);
	stall_counts[0] = tlbf_ring_poll(&ring, &stall_cursor, out, N).count;
	stall_counts[1] = tlbf_ring_poll(&ring, &stall_cursor, out, N).count;
}

static void promoted_push_leaves_no_ticket(void **state)
{
	(void)state;
	tlbf_ring_cursor_init(&ring, &stall_cursor);
	uint64_t bad[2] = {range(0x30, 0), tlbf_hv_gva_make(UINT64_C(1) << 40, 0)};
	step_hook = stalled_before_bump;
	assert_int_equal(tlbf_ring_push(&ring, bad, 2, false).result, TLBF_PUSH_RESULT_PROMOTED);
	assert_int_equal(stall_counts[0], 2);
	assert_int_equal(stall_counts[1], 0);
	/* After the bump the reader flushes everything once. */
	assert_int_equal(tlbf_ring_poll(&ring, &stall_cursor, out, N).flags, TLBF_POLL_ENTIRE);
	assert_true(tlbf_ring_valid(&ring));
}

/* Counters start within 100 of 2^64 and cross the wrap. */
static void reader_crosses_the_wrap(void **state)
{
	(void)state;
	const uint64_t start = UINT64_MAX - 99;
	tlbf__ring_init_at(&ring, start);
	assert_true(tlbf_ring_valid(&ring));
	struct tlbf_cursor c;
	tlbf_ring_cursor_init(&ring, &c);
	assert_true(c.list == start);
	uint64_t expect = 0;
	for (unsigned round = 0; round < 100; round++) {
		uint64_t b[3];
		for (unsigned i = 0; i < 3; i++)
			b[i] = range(expect + i, 0);
		struct tlbf_push r = tlbf_ring_push(&ring, b, 3, false);
		assert_int_equal(r.result, TLBF_PUSH_RESULT_LISTED);
		assert_true(r.mark.value == start + 3 * (round + 1));
		struct tlbf_poll p = tlbf_ring_poll(&ring, &c, out, N);
		assert_int_equal(p.flags, TLBF_POLL_LIST);
		assert_int_equal(p.count, 3);
		for (unsigned i = 0; i < 3; i++)
			assert_true(out[i] == range(expect + i, 0));
		expect += 3;
		if (round % 10 == 0) {
			tlbf_ring_flush_entire(&ring);
			assert_int_equal(tlbf_ring_poll(&ring, &c, out, N).flags, TLBF_POLL_ENTIRE);
		}
		assert_true(tlbf_ring_valid(&ring));
	}
	assert_true(c.list == start + 300); /* wrapped */
	assert_true(c.list < start);
	assert_true(c.entire == start + 10);
	/* Overflow detection across the wrap too. */
	for (unsigned i = 0; i < N + 1; i++)
		push1(range(i, 0));
	assert_int_equal(tlbf_ring_poll(&ring, &c, out, N).flags, TLBF_POLL_ENTIRE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(empty_poll, setup),
		cmocka_unit_test_setup(single_and_batch, setup),
		cmocka_unit_test_setup(exact_capacity_and_one_more, setup),
		cmocka_unit_test_setup(overflow_after_slow_reader, setup),
		cmocka_unit_test_setup(generations_and_list, setup),
		cmocka_unit_test_setup(gpa_generation, setup),
		cmocka_unit_test_setup(cursor_init_now_skips_the_past, setup),
		cmocka_unit_test_setup(pending_does_not_hide_later_entries, setup),
		cmocka_unit_test_setup(degraded_and_lapped_pushes, setup),
		cmocka_unit_test_setup(ranges_that_need_promotion, setup),
		cmocka_unit_test_setup(promoted_push_leaves_no_ticket, setup),
		cmocka_unit_test_setup(reader_crosses_the_wrap, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
