// SPDX-License-Identifier: MIT
/*
 * KUnit tests of the tlbflush headers in kernel mode (TLBF_KERNEL: the
 * kernel's types and atomic64_t primitives, no C library).
 *
 * Ring push and poll, and the same across the 2^64 wrap of its counters;
 * the lazy VP-set view of a real hypercall input page; the decoder's
 * statuses and rules; the wake decisions in a wake plan; one request
 * through tlbf_flush_handle() on the mock backend, to VPs on the entry
 * driver; the VSM TLB locks, woken through the mock; and a shootdown
 * between kthreads on the kernel backend of tlbf_kscenario.h with the
 * stale-translation oracle of tlbflush/oracle.h, from zero and across the
 * wrap; and the proof that the check can fail: with the kick or the wait
 * disabled, it fires.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/string.h>

/* Every labelled step of the protocol may give up the CPU: on a
 * uniprocessor kernel that is what interleaves the kthreads. */
static atomic_t tlbf_kunit_steps;
#define TLBF_STEP(label) \
	do { \
		if ((atomic_inc_return(&tlbf_kunit_steps) & 7) == 0) \
			cond_resched(); \
	} while (0)

/* The oracle's own test: a protocol step named here is disabled while a
 * should-fail case runs (TLBF_BREAK in config.h). NULL: none. */
static const char *tlbf_kunit_broken;
#define TLBF_BREAK(name) \
	(READ_ONCE(tlbf_kunit_broken) && strcmp(READ_ONCE(tlbf_kunit_broken), #name) == 0)

/* The counters of tlbflush/stats.h, compiled in (flush_handle_mock). */
#define TLBF_STATS 1

#include "tlbflush/tlbflush.h"
#include "tlbflush/mock_backend.h"
#include "tlbf_kscenario.h"

#define RANGE(page, add) tlbf_hv_gva_make((page), (add))

static u64 tlbf_kunit_page[512] __aligned(8);

/* A hypercall input page holding @n words (the rest zero). */
static const u64 *input_page(const u64 *words, size_t n)
{
	memset(tlbf_kunit_page, 0, sizeof(tlbf_kunit_page));
	memcpy(tlbf_kunit_page, words, n * sizeof(u64));
	return tlbf_kunit_page;
}

static void ring_push_poll(struct kunit *test)
{
	static struct tlbf_ring r;
	const u64 ranges[3] = { RANGE(0x10, 0), RANGE(0x20, 3), RANGE(0x7fff0, 15) };
	struct tlbf_cursor c;
	struct tlbf_push p;
	struct tlbf_poll a;
	struct tlbf_mark m;
	u64 out[TLBF_RING_CAPACITY];

	tlbf_ring_init(&r);
	KUNIT_ASSERT_TRUE(test, tlbf_ring_valid(&r));
	tlbf_ring_cursor_init(&r, &c);
	a = tlbf_ring_poll(&r, &c, out, TLBF_RING_CAPACITY);
	KUNIT_EXPECT_EQ(test, a.flags, TLBF_POLL_NOTHING);

	p = tlbf_ring_push(&r, ranges, 3, false);
	KUNIT_EXPECT_EQ(test, p.result, TLBF_PUSH_RESULT_LISTED);
	KUNIT_EXPECT_EQ(test, p.mark.kind, TLBF_MARK_KIND_LIST);
	KUNIT_EXPECT_EQ(test, p.mark.value, 3ULL);
	KUNIT_EXPECT_TRUE(test, tlbf_ring_pending(&r, &c));
	a = tlbf_ring_poll(&r, &c, out, TLBF_RING_CAPACITY);
	KUNIT_EXPECT_EQ(test, a.flags, TLBF_POLL_LIST);
	KUNIT_ASSERT_EQ(test, a.count, 3U);
	KUNIT_EXPECT_EQ(test, out[0], ranges[0]);
	KUNIT_EXPECT_EQ(test, out[1], ranges[1]);
	KUNIT_EXPECT_EQ(test, out[2], ranges[2]);
	KUNIT_EXPECT_FALSE(test, tlbf_ring_pending(&r, &c));

	m = tlbf_ring_flush_non_global(&r);
	KUNIT_EXPECT_EQ(test, m.kind, TLBF_MARK_KIND_NON_GLOBAL);
	a = tlbf_ring_poll(&r, &c, out, TLBF_RING_CAPACITY);
	KUNIT_EXPECT_EQ(test, a.flags, TLBF_POLL_NON_GLOBAL);

	m = tlbf_ring_flush_entire(&r);
	KUNIT_EXPECT_EQ(test, m.kind, TLBF_MARK_KIND_ENTIRE);
	a = tlbf_ring_poll(&r, &c, out, TLBF_RING_CAPACITY);
	KUNIT_EXPECT_EQ(test, a.flags, TLBF_POLL_ENTIRE);
	a = tlbf_ring_poll(&r, &c, out, TLBF_RING_CAPACITY);
	KUNIT_EXPECT_EQ(test, a.flags, TLBF_POLL_NOTHING);
}

/* The ring's free-running counters start 5 below 2^64 and wrap. */
static void ring_wrap(struct kunit *test)
{
	static struct tlbf_ring r;
	static u64 big[TLBF_RING_CAPACITY + 1];
	const u64 start = U64_MAX - 5;
	struct tlbf_cursor c;
	struct tlbf_push p;
	struct tlbf_poll a;
	u64 out[TLBF_RING_CAPACITY], ranges[3];
	unsigned int round, i;

	tlbf__ring_init_at(&r, start);
	KUNIT_ASSERT_TRUE(test, tlbf_ring_valid(&r));
	tlbf_ring_cursor_init(&r, &c);
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 3; i++)
			ranges[i] = RANGE(0x100 * round + i, i);
		p = tlbf_ring_push(&r, ranges, 3, false);
		KUNIT_EXPECT_EQ(test, p.result, TLBF_PUSH_RESULT_LISTED);
		KUNIT_EXPECT_EQ(test, p.mark.value, start + 3 * (round + 1));
		a = tlbf_ring_poll(&r, &c, out, TLBF_RING_CAPACITY);
		KUNIT_EXPECT_EQ(test, a.flags, TLBF_POLL_LIST);
		KUNIT_ASSERT_EQ(test, a.count, 3U);
		for (i = 0; i < 3; i++)
			KUNIT_EXPECT_EQ(test, out[i], ranges[i]);
		KUNIT_EXPECT_EQ(test, c.list, start + 3 * (round + 1));
	}
	KUNIT_EXPECT_EQ(test, c.list, 6ULL); /* wrapped */
	KUNIT_EXPECT_TRUE(test, tlbf_ring_valid(&r));

	/* A batch larger than the ring is promoted to flush-entire. */
	for (i = 0; i < TLBF_RING_CAPACITY + 1; i++)
		big[i] = RANGE(i, 0);
	p = tlbf_ring_push(&r, big, TLBF_RING_CAPACITY + 1, false);
	KUNIT_EXPECT_EQ(test, p.result, TLBF_PUSH_RESULT_PROMOTED);
	KUNIT_EXPECT_EQ(test, p.mark.kind, TLBF_MARK_KIND_ENTIRE);
	a = tlbf_ring_poll(&r, &c, out, TLBF_RING_CAPACITY);
	KUNIT_EXPECT_EQ(test, a.flags, TLBF_POLL_ENTIRE);

	/* A reader that falls a lap behind is told to flush everything. */
	tlbf_ring_cursor_init(&r, &c);
	for (round = 0; round < TLBF_RING_CAPACITY + 1; round++) {
		ranges[0] = RANGE(round, 0);
		tlbf_ring_push(&r, ranges, 1, false);
	}
	a = tlbf_ring_poll(&r, &c, out, TLBF_RING_CAPACITY);
	KUNIT_EXPECT_EQ(test, a.flags, TLBF_POLL_ENTIRE);
	KUNIT_EXPECT_TRUE(test, tlbf_ring_valid(&r));
}

/* HvCallFlushVirtualAddressListEx from the TLFS: VPs {0, 5, 130}, two
 * ranges, decoded in place in a page; the set is read lazily from it. */
static void vpset_on_input_page(struct kunit *test)
{
	const u64 words[] = { 0, 0, TLBF_HV_GENERIC_SET_SPARSE_4K, 0x5, 0x21, 0x4,
			      RANGE(0x100, 1), RANGE(0x300, 0) };
	const u64 control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST_EX, false, 2, 2, 0);
	const u64 *in = input_page(words, ARRAY_SIZE(words));
	struct tlbf_flush_request req;
	struct tlbf_vpset_iter it;
	enum tlbf_hypercall_rule rule;
	u32 vp, seen[4], n = 0;

	memset(&req, 0, sizeof(req));
	KUNIT_ASSERT_EQ(test, tlbf_hypercall_decode(control, in, 4096, 200, 0, &req, &rule),
			TLBF_HV_STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, rule, TLBF_HYPERCALL_RULE_OK);
	KUNIT_EXPECT_EQ(test, req.kind, TLBF_FLUSH_KIND_LIST);
	KUNIT_EXPECT_EQ(test, req.range_count, 2U);
	KUNIT_EXPECT_PTR_EQ(test, req.ranges, &in[6]);
	KUNIT_EXPECT_EQ(test, tlbf_vpset_count(&req.vps), 3U);
	KUNIT_EXPECT_FALSE(test, tlbf_vpset_empty(&req.vps));
	KUNIT_EXPECT_TRUE(test, tlbf_vpset_contains(&req.vps, 0));
	KUNIT_EXPECT_TRUE(test, tlbf_vpset_contains(&req.vps, 5));
	KUNIT_EXPECT_TRUE(test, tlbf_vpset_contains(&req.vps, 130));
	KUNIT_EXPECT_FALSE(test, tlbf_vpset_contains(&req.vps, 1));
	KUNIT_EXPECT_FALSE(test, tlbf_vpset_contains(&req.vps, 64));
	KUNIT_EXPECT_FALSE(test, tlbf_vpset_contains(&req.vps, 129));
	tlbf_vpset_iter_init(&it, &req.vps);
	while (n < ARRAY_SIZE(seen) && tlbf_vpset_iter_next(&it, &vp))
		seen[n++] = vp;
	KUNIT_ASSERT_EQ(test, n, 3U);
	KUNIT_EXPECT_EQ(test, seen[0], 0U);
	KUNIT_EXPECT_EQ(test, seen[1], 5U);
	KUNIT_EXPECT_EQ(test, seen[2], 130U);

	/* The view is lazy: a bank word the guest changes later is read
	 * when the set is walked (the decoder read none). */
	tlbf_kunit_page[4] = 0x23;
	KUNIT_EXPECT_TRUE(test, tlbf_vpset_contains(&req.vps, 1));
	/* Limited to the partition: VP 130 does not exist with 100 VPs. */
	tlbf__vpset_limit(&req.vps, 100);
	KUNIT_EXPECT_FALSE(test, tlbf_vpset_contains(&req.vps, 130));
}

struct decode_case {
	const char *what;
	u16 code;
	unsigned int varhdr, reps, start;
	u64 words[6];
	size_t len;     /* bytes readable; 0: the whole page */
	unsigned int misalign;
	enum tlbf_hypercall_rule rule;
	enum tlbf_hv_status status;
};

#define SPACE TLBF_HVCALL_FLUSH_VA_SPACE
#define LIST TLBF_HVCALL_FLUSH_VA_LIST
#define SPACE_EX TLBF_HVCALL_FLUSH_VA_SPACE_EX
#define LIST_EX TLBF_HVCALL_FLUSH_VA_LIST_EX

static const struct decode_case decode_cases[] = {
	{ "space, all processors", SPACE, 0, 0, 0, { 0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0 }, 0, 0,
	  TLBF_HYPERCALL_RULE_OK, TLBF_HV_STATUS_SUCCESS },
	{ "unknown call code", 0x0005, 0, 0, 0, { 0 }, 0, 0,
	  TLBF_HYPERCALL_RULE_UNKNOWN_CALL, TLBF_HV_STATUS_INVALID_HYPERCALL_CODE },
	{ "rep count on a space call", SPACE, 0, 1, 0, { 0 }, 0, 0,
	  TLBF_HYPERCALL_RULE_REP_ON_SIMPLE_CALL, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "rep start past rep count", LIST, 0, 2, 2, { 0 }, 0, 0,
	  TLBF_HYPERCALL_RULE_REP_START, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "variable header on a non-Ex call", SPACE, 1, 0, 0, { 0 }, 0, 0,
	  TLBF_HYPERCALL_RULE_VARHDR_NOT_EX, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "input over the page", LIST, 0, 510, 0, { 0 }, 0, 0,
	  TLBF_HYPERCALL_RULE_OVER_PAGE, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "misaligned input", SPACE, 0, 0, 0, { 0 }, 4000, 4,
	  TLBF_HYPERCALL_RULE_MISALIGNED, TLBF_HV_STATUS_INVALID_ALIGNMENT },
	{ "input shorter than claimed", LIST_EX, 2, 2, 0, { 0 }, 48, 0,
	  TLBF_HYPERCALL_RULE_INPUT_SHORT, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "reserved flag", SPACE, 0, 0, 0, { 0, 1ULL << 40, 1 }, 0, 0,
	  TLBF_HYPERCALL_RULE_FLAGS_RESERVED, TLBF_HV_STATUS_INVALID_PARAMETER },
	{ "bank count differs from the variable header", LIST_EX, 0, 1, 0,
	  { 0, 0, TLBF_HV_GENERIC_SET_SPARSE_4K, 1, 1, 0x1000 }, 0, 0,
	  TLBF_HYPERCALL_RULE_VARHDR_MISMATCH, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "unknown set format", SPACE_EX, 0, 0, 0, { 0, 0, 7, 0 }, 0, 0,
	  TLBF_HYPERCALL_RULE_SET_FORMAT, TLBF_HV_STATUS_INVALID_PARAMETER },
	{ "empty Ex set: a call with no target", SPACE_EX, 0, 0, 0,
	  { 0, 0, TLBF_HV_GENERIC_SET_SPARSE_4K, 0 }, 0, 0, TLBF_HYPERCALL_RULE_OK, TLBF_HV_STATUS_SUCCESS },
	{ "processor mask 0: every VP", SPACE, 0, 0, 0, { 0, 0, 0 }, 0, 0,
	  TLBF_HYPERCALL_RULE_OK, TLBF_HV_STATUS_SUCCESS },
};

static void decode_case_desc(const struct decode_case *c, char *desc)
{
	strscpy(desc, c->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(decode, decode_cases, decode_case_desc);

static void decoder_statuses(struct kunit *test)
{
	const struct decode_case *c = test->param_value;
	const u64 control = tlbf_hv_control_make(c->code, false, c->varhdr, c->reps, c->start);
	const u8 *in = (const u8 *)input_page(c->words, ARRAY_SIZE(c->words)) + c->misalign;
	size_t len = c->len ? c->len : 4096 - c->misalign;
	struct tlbf_flush_request req;
	enum tlbf_hypercall_rule rule = TLBF_HYPERCALL_RULE__COUNT;
	enum tlbf_hv_status st;

	memset(&req, 0, sizeof(req));
	st = tlbf_hypercall_decode(control, in, len, 8, 0, &req, &rule);
	KUNIT_EXPECT_EQ_MSG(test, st, c->status, "%s: rule %s", c->what,
			    tlbf_hypercall_rule_name(rule));
	KUNIT_EXPECT_EQ_MSG(test, rule, c->rule, "%s: rule %s", c->what,
			    tlbf_hypercall_rule_name(rule));
	KUNIT_EXPECT_EQ(test, tlbf_hypercall_rule_status(rule), st);
}

/* Each decision of tlbf_wake_decide() on VPs put in each state (driven
 * through the private entry steps, to hold each VP in its state). */
#define WAKE_NVP 6
static struct tlbf_vp wake_vps[WAKE_NVP];
static struct tlbf_vp_local wake_loc[WAKE_NVP];

static enum tlbf_wake decide(struct kunit *test, struct tlbf_wake_plan *pl, u32 vp)
{
	enum tlbf_wake w = TLBF_WAKE__COUNT;

	KUNIT_EXPECT_EQ(test, tlbf_wake_decide(pl, vp, 5, &w), TLBF_STATUS_OK);
	return w;
}

static void wake_decisions(struct kunit *test)
{
	static struct tlbf_partition pt;
	u64 out[TLBF_RING_CAPACITY], kick[1], wait[1], kick2[1], wait2[1];
	const u64 range = RANGE(0x42, 0);
	struct tlbf_wake_plan plan, plan2;
	enum tlbf_wake w = TLBF_WAKE__COUNT;
	struct tlbf_mark m;
	unsigned int v;

	KUNIT_ASSERT_EQ(test, tlbf_partition_init(&pt, wake_vps, NULL, WAKE_NVP), TLBF_STATUS_OK);
	/* 0 never starts; 1 is outside; 2 and 4 run VTL 0; 3 runs VTL 1;
	 * 5 is the initiator. */
	for (v = 1; v < WAKE_NVP; v++)
		tlbf__vp_start(&wake_vps[v], &wake_loc[v], pt.rings);
	for (v = 2; v < 5; v++) {
		unsigned int vtl = v == 3 ? 1 : 0;

		tlbf__vp_prepare_entry(&wake_vps[v], &wake_loc[v], &pt.rings[vtl], vtl, out,
				       TLBF_RING_CAPACITY);
		tlbf__vp_publish(&wake_vps[v], &wake_loc[v], vtl);
	}
	m = tlbf_ring_push(&pt.rings[0], &range, 1, false).mark;
	/* VP 4 polls again (re-enters) after the record: it is covered. */
	tlbf__vp_prepare_entry(&wake_vps[4], &wake_loc[4], &pt.rings[0], 0, out, TLBF_RING_CAPACITY);
	tlbf__vp_publish(&wake_vps[4], &wake_loc[4], 0);

	/* A decision needs a plan begun; its storage is checked first. */
	plan.phase = 0;
	KUNIT_EXPECT_EQ(test, tlbf_wake_decide(&plan, 0, 5, &w), TLBF_STATUS_BAD_SEQUENCE);
	KUNIT_EXPECT_EQ(test, tlbf_wake_plan_begin(&plan, &pt, kick, NULL, 1, 0, m),
			TLBF_STATUS_BAD_STORAGE);
	KUNIT_EXPECT_EQ(test, tlbf_wake_plan_begin(&plan, &pt, kick, wait, 1, TLBF_VTL_COUNT, m),
			TLBF_STATUS_BAD_VTL);
	KUNIT_ASSERT_EQ(test, tlbf_wake_plan_begin(&plan, &pt, kick, wait, 1, 0, m), TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, tlbf_wake_decide(&plan, WAKE_NVP, 5, &w), TLBF_STATUS_BAD_VP);

	KUNIT_EXPECT_EQ(test, decide(test, &plan, 0), TLBF_WAKE_SKIP_NOT_STARTED);
	KUNIT_EXPECT_EQ(test, decide(test, &plan, 1), TLBF_WAKE_SKIP_OUTSIDE);
	KUNIT_EXPECT_EQ(test, decide(test, &plan, 3), TLBF_WAKE_SKIP_OTHER_VTL);
	KUNIT_EXPECT_EQ(test, decide(test, &plan, 4), TLBF_WAKE_SKIP_POLLED);
	KUNIT_EXPECT_EQ(test, decide(test, &plan, 5), TLBF_WAKE_SKIP_INITIATOR);
	KUNIT_EXPECT_FALSE(test, tlbf__vp_kicked(&wake_vps[2]));
	KUNIT_EXPECT_EQ(test, decide(test, &plan, 2), TLBF_WAKE_KICK);
	KUNIT_EXPECT_TRUE(test, tlbf__vp_kicked(&wake_vps[2]));
	/* Decided once per plan: asked again, the plan answers. */
	KUNIT_EXPECT_EQ(test, decide(test, &plan, 2), TLBF_WAKE_KICK);
	KUNIT_EXPECT_EQ(test, plan.ndecided, 6U);
	KUNIT_EXPECT_EQ(test, plan.nkick, 1U);
	KUNIT_EXPECT_EQ(test, kick[0], 1ULL << 2);
	KUNIT_EXPECT_EQ(test, wait[0], 0ULL);

	/* A second initiator's plan finds it EXITING: it only waits. */
	KUNIT_ASSERT_EQ(test, tlbf_wake_plan_begin(&plan2, &pt, kick2, wait2, 1, 0, m),
			TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, tlbf_wake_decide(&plan2, 2, 1, &w), TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, w, TLBF_WAKE_WAIT_ONLY);
	KUNIT_EXPECT_EQ(test, kick2[0], 0ULL);
	KUNIT_EXPECT_EQ(test, wait2[0], 1ULL << 2);
	KUNIT_EXPECT_EQ(test, plan2.reasons[TLBF_WAKE_WAIT_ONLY], 1U);

	/* Once it exits, nobody waits for it; its next entry polls. */
	tlbf__vp_exit(&wake_vps[2], &wake_loc[2]);
	KUNIT_ASSERT_EQ(test, tlbf_wake_plan_begin(&plan2, &pt, kick2, wait2, 1, 0, m),
			TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, decide(test, &plan2, 2), TLBF_WAKE_SKIP_OUTSIDE);
	KUNIT_EXPECT_EQ(test, tlbf__vp_prepare_entry(&wake_vps[2], &wake_loc[2], &pt.rings[0], 0,
						    out, TLBF_RING_CAPACITY).count, 1U);
	KUNIT_EXPECT_EQ(test, out[0], range);
}

/* One request through tlbf_flush_handle() on the mock backend, the VPs
 * on the entry driver. */
#define MOCK_NVP 200
static struct tlbf_vp mock_vps[MOCK_NVP];
static struct tlbf_mock_vp mock_mvps[MOCK_NVP];
static struct tlbf_mock mock;
static struct tlbf_partition mock_pt;
static struct tlbf_flush_outcome mock_out;
static struct tlbf_entry mock_entry[2];          /* VPs 5 and 6 */
static u64 mock_list[2][TLBF_RING_CAPACITY];

static void flush_handle_mock(struct kunit *test)
{
	const u64 words[] = { 0, 0, TLBF_HV_GENERIC_SET_SPARSE_4K, 0x5, 0x21, 0x4,
			      RANGE(0x100, 1), RANGE(0x300, 0) };
	const u64 control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST_EX, false, 2, 2, 0);
	static const struct tlbf_backend no_backend;
	struct tlbf_flush_outcome *o = &mock_out;
	static struct tlbf_stats stats;
	struct tlbf_flush_request req;
	struct tlbf_backend be;
	struct tlbf_cursor c;
	unsigned int v;

	KUNIT_ASSERT_EQ(test, tlbf_partition_init(&mock_pt, mock_vps, NULL, MOCK_NVP),
			TLBF_STATUS_OK);
	tlbf_mock_init(&mock, mock_mvps, MOCK_NVP, NULL, 0);
	be = tlbf_mock_backend(&mock);
	for (v = 0; v < 2; v++) { /* 5 in the set, 6 not: both in the guest */
		KUNIT_ASSERT_EQ(test, tlbf_entry_init(&mock_entry[v], &mock_pt, &be, 5 + v,
						      mock_list[v], TLBF_RING_CAPACITY, NULL),
				TLBF_STATUS_OK);
		KUNIT_ASSERT_EQ(test, tlbf_entry_prepare(&mock_entry[v], 0), TLBF_STATUS_OK);
	}
	memset(&req, 0, sizeof(req));
	KUNIT_ASSERT_EQ(test, tlbf_hypercall_decode(control, input_page(words, ARRAY_SIZE(words)),
						    4096, MOCK_NVP, 0, &req, NULL),
			TLBF_HV_STATUS_SUCCESS);
	tlbf_stats_init(&stats);
	/* Refused before anything is recorded, and counted as refused. */
	tlbf_ring_cursor_init(&mock_pt.rings[0], &c);
	KUNIT_EXPECT_EQ(test, tlbf_flush_handle(&mock_pt, &no_backend, &req, 0, &stats, o),
			TLBF_STATUS_BAD_BACKEND);
	KUNIT_EXPECT_FALSE(test, tlbf_ring_pending(&mock_pt.rings[0], &c));
	KUNIT_EXPECT_EQ(test, tlbf_stats_get(&stats, TLBF_STAT_REFUSED), 1ULL);
	KUNIT_ASSERT_EQ(test, tlbf_flush_handle(&mock_pt, &be, &req, 0, &stats, o), TLBF_STATUS_OK);
	/* The counters work in kernel mode too. */
	KUNIT_EXPECT_EQ(test, tlbf_stats_get(&stats, TLBF_STAT_REQ_LIST_EX_LIST), 1ULL);
	KUNIT_EXPECT_EQ(test, tlbf_stats_get(&stats, TLBF_STAT_PUSH_LISTED), 1ULL);
	KUNIT_EXPECT_EQ(test, tlbf_stats_get(&stats, TLBF_STAT_WAKE_KICK), 1ULL);
	KUNIT_EXPECT_EQ(test, tlbf_stats_get(&stats, TLBF_STAT_KICKS), 1ULL);
	KUNIT_EXPECT_EQ(test, tlbf_stats_get(&stats, TLBF_STAT_REFUSED), 1ULL);
	KUNIT_EXPECT_EQ(test, o->kick_rc, 0);
	KUNIT_EXPECT_EQ(test, o->push.result, TLBF_PUSH_RESULT_LISTED);
	KUNIT_EXPECT_EQ(test, o->plan.reasons[TLBF_WAKE_SKIP_INITIATOR], 1U);
	KUNIT_EXPECT_EQ(test, o->plan.reasons[TLBF_WAKE_KICK], 1U);
	KUNIT_EXPECT_EQ(test, o->plan.reasons[TLBF_WAKE_SKIP_NOT_STARTED], 1U);
	KUNIT_EXPECT_EQ(test, o->kick[0], 1ULL << 5);
	KUNIT_EXPECT_TRUE(test, tlbf__vp_kicked(&mock_vps[5]));
	KUNIT_EXPECT_FALSE(test, tlbf__vp_kicked(&mock_vps[6]));
	KUNIT_EXPECT_EQ(test, tlbf__load(&mock_mvps[5].cancel, TLBF_RELAXED), 1ULL);
	KUNIT_EXPECT_EQ(test, tlbf__load(&mock.kicks, TLBF_RELAXED), 1ULL);
	/* VP 5's entry is cancelled by the mock; its next one polls both
	 * ranges into its list buffer and flushes them on the mock. */
	KUNIT_EXPECT_FALSE(test, tlbf_mock_enter(&mock, 5, 0));
	KUNIT_EXPECT_EQ(test, tlbf_entry_done(&mock_entry[0], false), TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, tlbf_entry_done(&mock_entry[0], false), TLBF_STATUS_BAD_SEQUENCE);
	KUNIT_ASSERT_EQ(test, tlbf_entry_prepare(&mock_entry[0], 0), TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, mock_list[0][0], words[6]);
	KUNIT_EXPECT_EQ(test, mock_list[0][1], words[7]);
	KUNIT_EXPECT_TRUE(test, tlbf_mock_enter(&mock, 5, 0));
	tlbf_mock_leave(&mock, 5);
	KUNIT_EXPECT_EQ(test, tlbf_entry_done(&mock_entry[0], true), TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, tlbf_entry_done(&mock_entry[1], false), TLBF_STATUS_OK);
}

static struct tlbf_ks tlbf_kunit_ks;

/* VSM TLB locks on the kernel's atomics: a waiter blocked by two VPs, one
 * of them locked by VTL1 and VTL2 at once, woken (through the mock's wake)
 * by the last release only; a holder never waits for itself. */
#define LOCK_NVP 4
static struct tlbf_vp lock_pvps[LOCK_NVP];
static struct tlbf_tlb_lock_vp lock_vps[LOCK_NVP];
static struct tlbf_mock_vp lock_mvps[LOCK_NVP];
static struct tlbf_mock lock_mock;

static void tlb_locks(struct kunit *test)
{
	static struct tlbf_partition lk, nolk;
	struct tlbf_backend be;

	KUNIT_ASSERT_EQ(test, tlbf_partition_init(&nolk, lock_pvps, NULL, LOCK_NVP), TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, tlbf_tlb_lock(&nolk, 1, 1, 0), TLBF_STATUS_NO_LOCKS);
	KUNIT_ASSERT_EQ(test, tlbf_partition_init(&lk, lock_pvps, lock_vps, LOCK_NVP), TLBF_STATUS_OK);
	tlbf_mock_init(&lock_mock, lock_mvps, LOCK_NVP, NULL, 0);
	be = tlbf_mock_backend(&lock_mock);
	KUNIT_EXPECT_EQ(test, tlbf_tlb_lock(&lk, 1, 1, 0), TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, tlbf_tlb_lock(&lk, 2, 1, 0), TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, tlbf_tlb_lock(&lk, 2, 2, 0), TLBF_STATUS_OK);
	/* VTL1 cannot lock VTL1 */
	KUNIT_EXPECT_EQ(test, tlbf_tlb_lock(&lk, 2, 1, 1), TLBF_STATUS_BAD_VTL);
	KUNIT_EXPECT_EQ(test, tlbf_tlb_lock_held(&lk, 2, 0), (u64)0x6);

	KUNIT_EXPECT_EQ(test, tlbf_tlb_lock_wait_begin(&lk, 0, 0, NULL), TLBF_STATUS_SUSPEND);
	KUNIT_EXPECT_EQ(test, tlbf_tlb_lock_waiting(&lk, 0, 0), (u64)2);
	KUNIT_EXPECT_TRUE(test, tlbf_tlb_lock_must_wait(&lk, 0));

	KUNIT_EXPECT_EQ(test, tlbf_tlb_unlock(&lk, &be, 1, 1, 0), TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, tlbf_tlb_lock_waiting(&lk, 0, 0), (u64)1);
	/* VTL1 still holds VP 2's lock */
	KUNIT_EXPECT_EQ(test, tlbf_tlb_unlock(&lk, &be, 2, 2, 0), TLBF_STATUS_OK);
	KUNIT_EXPECT_TRUE(test, tlbf_tlb_lock_must_wait(&lk, 0));
	KUNIT_EXPECT_EQ(test, tlbf__load(&lock_mock.wakes, TLBF_RELAXED), (u64)0);
	KUNIT_EXPECT_FALSE(test, tlbf_mock_take_wake(&lock_mock, 0));
	KUNIT_EXPECT_EQ(test, tlbf_tlb_unlock(&lk, &be, 2, 1, TLBF_TLB_UNLOCK_ALL), TLBF_STATUS_OK);
	/* VP 0, asleep, woken once */
	KUNIT_EXPECT_EQ(test, tlbf__load(&lock_mock.wakes, TLBF_RELAXED), (u64)1);
	KUNIT_EXPECT_TRUE(test, tlbf_mock_take_wake(&lock_mock, 0));
	KUNIT_EXPECT_FALSE(test, tlbf_tlb_lock_must_wait(&lk, 0));

	/* A holder's own flush never waits for itself. */
	KUNIT_EXPECT_EQ(test, tlbf_tlb_lock(&lk, 3, 2, 0), TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, tlbf_tlb_lock_wait_begin(&lk, 3, 0, NULL), TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, tlbf_tlb_unlock(&lk, &be, 3, 2, TLBF_TLB_UNLOCK_ALL), TLBF_STATUS_OK);
	KUNIT_EXPECT_EQ(test, tlbf__load(&lock_mock.wakes, TLBF_RELAXED), (u64)1);
	KUNIT_EXPECT_EQ(test, tlbf_tlb_lock_held(&lk, 3, 0), (u64)0);
}

static void shootdown_check(struct kunit *test, unsigned int ms, u64 start)
{
	struct tlbf_ks *ks = &tlbf_kunit_ks;

	KUNIT_ASSERT_EQ(test, tlbf_ks_run(ks, ms, start), 0);
	tlbf_ks_report(ks, "tlbflush_kunit");
	KUNIT_EXPECT_EQ(test, atomic64_read(&ks->failures), 0LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ks->stale), 0LL);
	KUNIT_EXPECT_GT(test, atomic64_read(&ks->requests), 0LL);
	KUNIT_EXPECT_GT(test, atomic64_read(&ks->uses), 0LL);
	KUNIT_EXPECT_GT(test, atomic64_read(&ks->kbe.kicks), 0LL);
	KUNIT_EXPECT_TRUE(test, tlbf_ring_valid(&ks->pt.rings[0]));
}

/* VP kthreads in and out of the guest, two of them initiating. */
static void shootdown_kthreads(struct kunit *test)
{
	shootdown_check(test, 1500, 0);
}

/* The same with the rings' counters crossing 2^64 during the run. */
static void shootdown_kthreads_wrap(struct kunit *test)
{
	shootdown_check(test, 1000, U64_MAX - 200);
}

/* With a protocol step disabled, the same run must use stale translations. */
static const char *const broken_steps[] = { "NO_KICK", "NO_WAIT" };

static void broken_step_desc(const char *const *step, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "without %s", *step);
}

KUNIT_ARRAY_PARAM(broken, broken_steps, broken_step_desc);

static void shootdown_oracle_catches(struct kunit *test)
{
	const char *const *step = test->param_value;
	struct tlbf_ks *ks = &tlbf_kunit_ks;
	int err;

	WRITE_ONCE(tlbf_kunit_broken, *step);
	err = tlbf_ks_run(ks, 1000, 0);
	WRITE_ONCE(tlbf_kunit_broken, NULL);
	KUNIT_ASSERT_EQ(test, err, 0);
	tlbf_ks_report(ks, *step);
	KUNIT_EXPECT_GT(test, atomic64_read(&ks->stale), 0LL);
}

static struct kunit_case tlbf_cases[] = {
	KUNIT_CASE(ring_push_poll),
	KUNIT_CASE(ring_wrap),
	KUNIT_CASE(vpset_on_input_page),
	KUNIT_CASE_PARAM(decoder_statuses, decode_gen_params),
	KUNIT_CASE(wake_decisions),
	KUNIT_CASE(flush_handle_mock),
	KUNIT_CASE(tlb_locks),
	KUNIT_CASE(shootdown_kthreads),
	KUNIT_CASE(shootdown_kthreads_wrap),
	KUNIT_CASE_PARAM(shootdown_oracle_catches, broken_gen_params),
	{}
};

static struct kunit_suite tlbf_suite = {
	.name = "tlbflush",
	.test_cases = tlbf_cases,
};
kunit_test_suite(tlbf_suite);

MODULE_DESCRIPTION("KUnit tests of the tlbflush headers");
MODULE_LICENSE("Dual MIT/GPL");
