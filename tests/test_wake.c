/* SPDX-License-Identifier: MIT */
/* Unit tests of VP state, the wake predicate and wake plans (tlbflush/wake.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

/* A hook at the labelled steps lets a test act "between" two steps of the
 * predicate, as another thread would. */
static void (*step_hook)(const char *label);
static void test_step(const char *label)
{
	if (step_hook)
		step_hook(label);
}
#define TLBF_STEP(label) test_step(label)

#include "tlbflush/wake.h"

static struct tlbf_ring rings[TLBF_VTL_COUNT];
static struct tlbf_vp vps[8];
static struct tlbf_vp_local loc[8];
static uint64_t out[TLBF_RING_CAPACITY];

static int setup(void **state)
{
	(void)state;
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		tlbf_ring_init(&rings[v]);
	for (unsigned i = 0; i < 8; i++)
		tlbf__vp_init(&vps[i]);
	step_hook = NULL;
	return 0;
}

/* Run the entry path of VP i for vtl: announce, poll, publish. */
static struct tlbf_poll enter(unsigned i, unsigned vtl)
{
	struct tlbf_poll p = tlbf__vp_prepare_entry(&vps[i], &loc[i], &rings[vtl], vtl, out,
	                                           TLBF_RING_CAPACITY);
	tlbf__vp_publish(&vps[i], &loc[i], vtl);
	return p;
}

static struct tlbf_mark push_one(unsigned vtl, uint64_t page)
{
	uint64_t r = tlbf_hv_gva_make(page, 0);
	struct tlbf_push p = tlbf_ring_push(&rings[vtl], &r, 1, false);
	tlbf__wake_fence();
	return p.mark;
}

static void layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct tlbf_vp), TLBF_CACHE_LINE);
	assert_int_equal((uintptr_t)&vps[1] % TLBF_CACHE_LINE, 0);
}

static void state_transitions(void **state)
{
	(void)state;
	uint64_t s = tlbf__load(&vps[0].state, TLBF_RELAXED);
	assert_int_equal(tlbf__vp_state_mode(s), TLBF_VP_NOT_STARTED);
	tlbf__vp_start(&vps[0], &loc[0], rings);
	s = tlbf__load(&vps[0].state, TLBF_RELAXED);
	assert_int_equal(tlbf__vp_state_mode(s), TLBF_VP_OUTSIDE);
	enter(0, 1);
	s = tlbf__load(&vps[0].state, TLBF_RELAXED);
	assert_int_equal(tlbf__vp_state_mode(s), TLBF_VP_IN_GUEST);
	assert_int_equal(tlbf__vp_state_vtl(s), 1);
	assert_true(s >> TLBF_VP_EPOCH_SHIFT == 1);
	assert_false(tlbf__vp_kicked(&vps[0]));
	tlbf__vp_exit(&vps[0], &loc[0]);
	s = tlbf__load(&vps[0].state, TLBF_RELAXED);
	assert_int_equal(tlbf__vp_state_mode(s), TLBF_VP_OUTSIDE);
	enter(0, 0);
	s = tlbf__load(&vps[0].state, TLBF_RELAXED);
	assert_true(s >> TLBF_VP_EPOCH_SHIFT == 2);
	assert_int_equal(tlbf__vp_state_vtl(s), 0);
}

static void every_skip_reason(void **state)
{
	(void)state;
	for (unsigned i = 1; i < 5; i++)
		tlbf__vp_start(&vps[i], &loc[i], rings);
	enter(2, 1); /* VP 2 runs VTL 1 */
	enter(3, 0); /* VP 3 runs VTL 0, will poll past */
	enter(4, 0); /* VP 4 runs VTL 0, polled before */
	struct tlbf_mark m = push_one(0, 0x10);
	/* VP 3 polls again after the push (re-entry without exit). */
	tlbf__vp_exit(&vps[3], &loc[3]);
	struct tlbf_poll p = enter(3, 0);
	assert_int_equal(p.count, 1);

	assert_int_equal(tlbf__wake_decide(&vps[1], 1, 1, 0, m), TLBF_WAKE_SKIP_INITIATOR);
	assert_int_equal(tlbf__wake_decide(&vps[5], 5, 1, 0, m), TLBF_WAKE_SKIP_NOT_STARTED);
	assert_int_equal(tlbf__wake_decide(&vps[1], 1, 9, 0, m), TLBF_WAKE_SKIP_OUTSIDE);
	assert_int_equal(tlbf__wake_decide(&vps[2], 2, 9, 0, m), TLBF_WAKE_SKIP_OTHER_VTL);
	assert_int_equal(tlbf__wake_decide(&vps[3], 3, 9, 0, m), TLBF_WAKE_SKIP_POLLED);
	/* Nothing recorded: nothing to wait for. */
	struct tlbf_mark none = {TLBF_MARK_KIND_NONE, 0};
	assert_int_equal(tlbf__wake_decide(&vps[4], 4, 9, 0, none), TLBF_WAKE_SKIP_POLLED);
	/* VP 4 is in the guest behind the request: kick, and it is EXITING. */
	assert_int_equal(tlbf__wake_decide(&vps[4], 4, 9, 0, m), TLBF_WAKE_KICK);
	assert_true(tlbf__vp_kicked(&vps[4]));
	/* A second initiator does not signal again, but waits (T10). */
	struct tlbf_mark m2 = push_one(0, 0x11);
	assert_int_equal(tlbf__wake_decide(&vps[4], 4, 8, 0, m2), TLBF_WAKE_WAIT_ONLY);
	/* Once it left and re-entered past both requests: skipped. */
	tlbf__vp_exit(&vps[4], &loc[4]);
	enter(4, 0);
	assert_int_equal(tlbf__wake_decide(&vps[4], 4, 8, 0, m2), TLBF_WAKE_SKIP_POLLED);
	for (int i = 0; i < TLBF_WAKE__COUNT; i++)
		assert_non_null(tlbf_wake_name((enum tlbf_wake)i));
	assert_string_equal(tlbf_wake_name(TLBF_WAKE_WAIT_ONLY), "wait-only");
}

static void polled_past_each_kind(void **state)
{
	(void)state;
	tlbf__vp_start(&vps[0], &loc[0], rings);
	enter(0, 0);
	struct tlbf_mark e = tlbf_ring_flush_entire(&rings[0]);
	struct tlbf_mark g = tlbf_ring_flush_non_global(&rings[0]);
	struct tlbf_mark l = push_one(0, 0x20);
	assert_int_equal(tlbf__wake_decide(&vps[0], 0, 9, 0, e), TLBF_WAKE_KICK);
	tlbf__vp_exit(&vps[0], &loc[0]);
	struct tlbf_poll p = enter(0, 0);
	assert_int_equal(p.flags, TLBF_POLL_ENTIRE);
	/* One flush-everything covers all three kinds of request. */
	assert_int_equal(tlbf__wake_decide(&vps[0], 0, 9, 0, e), TLBF_WAKE_SKIP_POLLED);
	assert_int_equal(tlbf__wake_decide(&vps[0], 0, 9, 0, g), TLBF_WAKE_SKIP_POLLED);
	assert_int_equal(tlbf__wake_decide(&vps[0], 0, 9, 0, l), TLBF_WAKE_SKIP_POLLED);
	/* A newer non-global request is not covered. */
	struct tlbf_mark g2 = tlbf_ring_flush_non_global(&rings[0]);
	tlbf__wake_fence();
	assert_int_equal(tlbf__wake_decide(&vps[0], 0, 9, 0, g2), TLBF_WAKE_KICK);
}

/* No cursor is published for guest-physical requests: a VP in the guest
 * of the target VTL is never skipped as polled, even after it polled. */
static void gpa_mark_is_never_polled_past(void **state)
{
	(void)state;
	tlbf__vp_start(&vps[1], &loc[1], rings);
	struct tlbf_mark x = tlbf_ring_flush_gpa(&rings[0]);
	struct tlbf_poll p = enter(1, 0);
	assert_int_equal(p.flags, TLBF_POLL_ENTIRE | TLBF_POLL_GPA);
	tlbf__wake_fence();
	assert_int_equal(tlbf__wake_decide(&vps[1], 1, 9, 0, x), TLBF_WAKE_KICK);
	/* Outside, or in the other VTL, it is still skipped. */
	tlbf__vp_exit(&vps[1], &loc[1]);
	assert_int_equal(tlbf__wake_decide(&vps[1], 1, 9, 0, x), TLBF_WAKE_SKIP_OUTSIDE);
	/* (A mark of no known kind: unknown_mark_refused.) */
}

static void polled_past_across_the_wrap(void **state)
{
	(void)state;
	tlbf__ring_init_at(&rings[0], UINT64_MAX - 50);
	tlbf__vp_start(&vps[0], &loc[0], rings);
	for (unsigned i = 0; i < 100; i++) {
		enter(0, 0);
		struct tlbf_mark m = push_one(0, i);
		assert_int_equal(tlbf__wake_decide(&vps[0], 0, 9, 0, m), TLBF_WAKE_KICK);
		tlbf__vp_exit(&vps[0], &loc[0]);
		enter(0, 0);
		assert_int_equal(tlbf__wake_decide(&vps[0], 0, 9, 0, m), TLBF_WAKE_SKIP_POLLED);
		tlbf__vp_exit(&vps[0], &loc[0]);
	}
	assert_true(loc[0].cursor[0].list < UINT64_MAX - 50); /* wrapped */
}

/* The 56-bit entry epoch wraps: decisions and the CAS race stay right. */
static void epoch_wraps(void **state)
{
	(void)state;
	tlbf__vp_start(&vps[0], &loc[0], rings);
	loc[0].epoch = (UINT64_C(1) << 56) - 50;
	for (unsigned i = 0; i < 100; i++) {
		enter(0, 0);
		uint64_t s = tlbf__load(&vps[0].state, TLBF_RELAXED);
		assert_int_equal(tlbf__vp_state_mode(s), TLBF_VP_IN_GUEST);
		struct tlbf_mark m = push_one(0, i);
		assert_int_equal(tlbf__wake_decide(&vps[0], 0, 9, 0, m), TLBF_WAKE_KICK);
		assert_int_equal(tlbf__wake_decide(&vps[0], 0, 8, 0, m), TLBF_WAKE_WAIT_ONLY);
		tlbf__vp_exit(&vps[0], &loc[0]);
		assert_int_equal(tlbf__wake_decide(&vps[0], 0, 8, 0, m), TLBF_WAKE_SKIP_OUTSIDE);
	}
	/* The epoch field went through zero. */
	assert_true(loc[0].epoch > (UINT64_C(1) << 56));
}

/* The CAS of I4 loses a race: the hook plays the other party. */
static unsigned race_vp;
static uint64_t race_word;
static void race_at_i4(const char *label)
{
	if (strcmp(label, "I4") == 0) {
		tlbf__store(&vps[race_vp].state, race_word, TLBF_RELAXED);
		step_hook = NULL;
	}
}

static void kick_cas_races(void **state)
{
	(void)state;
	tlbf__vp_start(&vps[0], &loc[0], rings);
	enter(0, 0);
	struct tlbf_mark m = push_one(0, 1);
	uint64_t s = tlbf__load(&vps[0].state, TLBF_RELAXED);
	race_vp = 0;

	/* The VP re-entered (newer epoch): it will see the request. */
	race_word = tlbf__vp_word(TLBF_VP_IN_GUEST, 0, (s >> TLBF_VP_EPOCH_SHIFT) + 1);
	step_hook = race_at_i4;
	assert_int_equal(tlbf__wake_decide(&vps[0], 0, 9, 0, m), TLBF_WAKE_SKIP_REENTERED);

	/* Another initiator won the CAS: wait only. */
	tlbf__store(&vps[0].state, s, TLBF_RELAXED);
	race_word = (s & ~TLBF_VP_MODE_MASK) | TLBF_VP_EXITING;
	step_hook = race_at_i4;
	assert_int_equal(tlbf__wake_decide(&vps[0], 0, 9, 0, m), TLBF_WAKE_WAIT_ONLY);

	/* The VP left by itself. */
	tlbf__store(&vps[0].state, s, TLBF_RELAXED);
	race_word = (s & ~TLBF_VP_MODE_MASK) | TLBF_VP_OUTSIDE;
	step_hook = race_at_i4;
	assert_int_equal(tlbf__wake_decide(&vps[0], 0, 9, 0, m), TLBF_WAKE_SKIP_OUTSIDE);
}

/* A partition of its own for the plan tests (the tests above drive the
 * private predicate on the file's rings). */
static struct tlbf_vp pvps[TLBF_MAX_VPS];
static struct tlbf_vp_local ploc[TLBF_MAX_VPS];
static struct tlbf_partition ppt;

/* Start VP i of ppt and put it in the guest of vtl. */
static void plan_vp_in_guest(uint32_t i, unsigned vtl)
{
	tlbf__vp_start(&pvps[i], &ploc[i], ppt.rings);
	(void)tlbf__vp_prepare_entry(&pvps[i], &ploc[i], &ppt.rings[vtl], vtl, out,
	                             TLBF_RING_CAPACITY);
	tlbf__vp_publish(&pvps[i], &ploc[i], vtl);
}

/* A mark of no known kind is refused when the plan is begun, before any
 * VP in the guest could be moved to EXITING. */
static void unknown_mark_refused(void **state)
{
	(void)state;
	assert_int_equal(tlbf_partition_init(&ppt, pvps, NULL, 8), TLBF_STATUS_OK);
	plan_vp_in_guest(1, 0);
	uint64_t before = tlbf__load(&pvps[1].state, TLBF_RELAXED);
	struct tlbf_mark x = tlbf_ring_flush_gpa(&ppt.rings[0]);
	x.kind = (enum tlbf_mark_kind)(TLBF_MARK_KIND_GPA + 1);
	uint64_t k[1], w[1];
	struct tlbf_wake_plan pl;
	memset(&pl, 0, sizeof(pl)); /* gcc -O3 cannot see that a refused plan is never read */
	assert_int_equal(tlbf_wake_plan_begin(&pl, &ppt, k, w, 1, 0, x), TLBF_STATUS_BAD_REQUEST);
	enum tlbf_wake d = TLBF_WAKE__COUNT;
	assert_int_equal(tlbf_wake_decide(&pl, 1, 9, &d), TLBF_STATUS_BAD_SEQUENCE);
	assert_int_equal(d, TLBF_WAKE__COUNT);
	assert_true(tlbf__load(&pvps[1].state, TLBF_RELAXED) == before);
	assert_false(tlbf__vp_kicked(&pvps[1]));
	/* The same request with its real mark kicks it. */
	x.kind = TLBF_MARK_KIND_GPA;
	assert_int_equal(tlbf_wake_plan_begin(&pl, &ppt, k, w, 1, 0, x), TLBF_STATUS_OK);
	assert_int_equal(tlbf_wake_decide(&pl, 1, 9, &d), TLBF_STATUS_OK);
	assert_int_equal(d, TLBF_WAKE_KICK);
	assert_true(tlbf__vp_kicked(&pvps[1]));
}

static void kick_plan_masks(void **state)
{
	(void)state;
	assert_int_equal(tlbf_partition_init(&ppt, pvps, NULL, TLBF_MAX_VPS), TLBF_STATUS_OK);
	uint64_t kick[TLBF_MASK_WORDS(TLBF_MAX_VPS)], wait[TLBF_MASK_WORDS(TLBF_MAX_VPS)];
	const uint32_t nw = TLBF_MASK_WORDS(TLBF_MAX_VPS);
	const uint32_t last = TLBF_MAX_VPS - 1;
	memset(kick, 0xff, sizeof(kick));
	memset(wait, 0xff, sizeof(wait));
	struct tlbf_wake_plan pl;
	memset(&pl, 0, sizeof(pl)); /* gcc -O3 cannot see that a refused plan is never read */
	struct tlbf_mark m = tlbf_ring_flush_entire(&ppt.rings[0]);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &ppt, kick, wait, nw, 0, m), TLBF_STATUS_OK);
	for (unsigned i = 0; i < nw; i++)
		assert_true(kick[i] == 0 && wait[i] == 0);
	tlbf__wake_plan_add(&pl, 0, TLBF_WAKE_KICK);
	tlbf__wake_plan_add(&pl, last, TLBF_WAKE_KICK);
	tlbf__wake_plan_add(&pl, 130, TLBF_WAKE_WAIT_ONLY);
	tlbf__wake_plan_add(&pl, 7, TLBF_WAKE_SKIP_OUTSIDE);
	assert_true(kick[0] == 1 && kick[last / 64] == UINT64_C(1) << (last % 64));
	assert_true(wait[2] == UINT64_C(1) << 2);
	assert_int_equal(pl.nkick, 2);
	assert_int_equal(pl.nwait, 1);
	assert_int_equal(pl.ndecided, 4);
	assert_int_equal(pl.reasons[TLBF_WAKE_SKIP_OUTSIDE], 1);
	assert_int_equal(pl.reasons[TLBF_WAKE_KICK], 2);
	/* The reasons that happened, for the counters (TLBF_STATS=1 only). */
	assert_int_equal(pl.reasons_seen,
	                 TLBF_STATS ? (1u << TLBF_WAKE_KICK) | (1u << TLBF_WAKE_WAIT_ONLY) |
	                                      (1u << TLBF_WAKE_SKIP_OUTSIDE)
	                            : 0u);
	/* A VP already in a mask is not decided again: the earlier decision
	 * is returned (VP 130 never started, so a new decision would skip). */
	enum tlbf_wake d;
	assert_int_equal(tlbf_wake_decide(&pl, 130, TLBF_NO_VP, &d), TLBF_STATUS_OK);
	assert_int_equal(d, TLBF_WAKE_WAIT_ONLY);
	assert_int_equal(tlbf_wake_decide(&pl, 0, TLBF_NO_VP, &d), TLBF_STATUS_OK);
	assert_int_equal(d, TLBF_WAKE_KICK);
	assert_int_equal(pl.ndecided, 4);
	/* A VP not in a mask is decided: never started. */
	assert_int_equal(tlbf_wake_decide(&pl, 131, TLBF_NO_VP, &d), TLBF_STATUS_OK);
	assert_int_equal(d, TLBF_WAKE_SKIP_NOT_STARTED);
	assert_int_equal(pl.ndecided, 5);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &ppt, kick, wait, nw, 0, m), TLBF_STATUS_OK);
	assert_int_equal(pl.reasons_seen, 0);
	assert_int_equal(pl.ndecided, 0);
	assert_true(kick[0] == 0 && wait[2] == 0);
}

/* Masks too short for the partition are refused when the plan is begun;
 * indexes the partition does not have are refused in every build; nothing
 * outside the masks is written. */
static void kick_plan_refuses_out_of_range(void **state)
{
	(void)state;
	uint64_t words[4];
	memset(words, 0xab, sizeof(words));
	struct tlbf_wake_plan pl;
	memset(&pl, 0, sizeof(pl)); /* gcc -O3 cannot see that a refused plan is never read */
	struct tlbf_mark m;
	/* 65 VPs do not fit one word. */
	assert_int_equal(tlbf_partition_init(&ppt, pvps, NULL, 65), TLBF_STATUS_OK);
	m = tlbf_ring_flush_entire(&ppt.rings[0]);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &ppt, &words[1], &words[2], 1, 0, m),
	                 TLBF_STATUS_BAD_STORAGE);
	for (unsigned i = 0; i < 4; i++)
		assert_true(words[i] == UINT64_C(0xabababababababab));
	/* 64 VPs do. */
	assert_int_equal(tlbf_partition_init(&ppt, pvps, NULL, 64), TLBF_STATUS_OK);
	plan_vp_in_guest(63, 0);
	m = tlbf_ring_flush_entire(&ppt.rings[0]);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &ppt, &words[1], &words[2], 1, 0, m),
	                 TLBF_STATUS_OK);
	enum tlbf_wake d;
	assert_int_equal(tlbf_wake_decide(&pl, 63, TLBF_NO_VP, &d), TLBF_STATUS_OK);
	assert_int_equal(d, TLBF_WAKE_KICK);
	assert_int_equal(tlbf_wake_decide(&pl, 64, TLBF_NO_VP, &d), TLBF_STATUS_BAD_VP);
	assert_int_equal(tlbf_wake_decide(&pl, UINT32_MAX, TLBF_NO_VP, &d), TLBF_STATUS_BAD_VP);
	assert_true(words[0] == UINT64_C(0xabababababababab));
	assert_true(words[1] == UINT64_C(1) << 63);
	assert_true(words[2] == 0);
	assert_true(words[3] == UINT64_C(0xabababababababab));
	assert_int_equal(pl.nkick, 1);
	assert_int_equal(pl.nwait, 0);
	assert_int_equal(pl.ndecided, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(layout, setup),
		cmocka_unit_test_setup(state_transitions, setup),
		cmocka_unit_test_setup(every_skip_reason, setup),
		cmocka_unit_test_setup(polled_past_each_kind, setup),
		cmocka_unit_test_setup(gpa_mark_is_never_polled_past, setup),
		cmocka_unit_test_setup(polled_past_across_the_wrap, setup),
		cmocka_unit_test_setup(kick_cas_races, setup),
		cmocka_unit_test_setup(epoch_wraps, setup),
		cmocka_unit_test_setup(unknown_mark_refused, setup),
		cmocka_unit_test_setup(kick_plan_masks, setup),
		cmocka_unit_test_setup(kick_plan_refuses_out_of_range, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
