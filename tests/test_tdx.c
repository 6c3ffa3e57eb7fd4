/* SPDX-License-Identifier: MIT */
/* Unit tests of the TDX mapping, the mock backend and the real backends'
 * encodings (tlbflush/tdx_backend.h, mock_backend.h, tdx_hw.h). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <linux/ioctl.h>
#include <cmocka.h>

#include "tlbflush/tlbflush.h"
#include "tlbflush/mock_backend.h"
#include "tlbflush/tdx_backend.h"
#if defined(__x86_64__)
#include "tlbflush/tdx_hw.h" /* x86-64 only (TDCALL) */
#endif

#define NVP 4
static struct tlbf_ring rings[TLBF_VTL_COUNT];
static struct tlbf_ring *rp[TLBF_VTL_COUNT];
static struct tlbf_vp vps[NVP];
static struct tlbf_vp_local loc[NVP];
static struct tlbf_mock_vp mvps[NVP];
static struct tlbf_mock mock;
static struct tlbf_mock_log_entry logbuf[256];
static struct tlbf_backend be;
static uint64_t list_page[NVP][TLBF_TDX_LIST_MAX];
static struct tlbf_tdx_vp tv[NVP];

static int setup(void **state)
{
	(void)state;
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++) {
		tlbf_ring_init(&rings[v]);
		rp[v] = &rings[v];
	}
	for (unsigned i = 0; i < NVP; i++) {
		tlbf__vp_init(&vps[i]);
		tlbf_tdx_vp_init(&tv[i], i, list_page[i], 0x5000 + i);
	}
	tlbf_mock_init(&mock, mvps, NVP, logbuf, 256);
	be = tlbf_mock_backend(&mock);
	return 0;
}

static uint64_t log_len(void)
{
	return tlbf__load(&mock.log_len, TLBF_RELAXED);
}

static uint64_t log_field(uint64_t i, int f)
{
	const struct tlbf_mock_log_entry *e = &logbuf[i];
	switch (f) {
	case 0: return tlbf__load(&((struct tlbf_mock_log_entry *)e)->op, TLBF_RELAXED);
	case 1: return tlbf__load(&((struct tlbf_mock_log_entry *)e)->vp, TLBF_RELAXED);
	case 2: return tlbf__load(&((struct tlbf_mock_log_entry *)e)->a, TLBF_RELAXED);
	default: return tlbf__load(&((struct tlbf_mock_log_entry *)e)->b, TLBF_RELAXED);
	}
}

static void precedence_merge(void **state)
{
	(void)state;
	/* Strength: INVEPT(1) > INVVPID(2) > NON_GLOBAL(3) > NONE(0). */
	const unsigned order[4] = {TLBF_INVD_NONE, TLBF_INVD_INVVPID_NON_GLOBAL, TLBF_INVD_INVVPID,
	                           TLBF_INVD_INVEPT};
	for (unsigned a = 0; a < 4; a++)
		for (unsigned b = 0; b < 4; b++) {
			unsigned want = order[a > b ? a : b];
			assert_int_equal(tlbf_invd_merge(order[a], order[b]), want);
			assert_int_equal(tlbf_invd_merge(order[b], order[a]), want);
		}
	/* Never the numeric maximum (trap T7). */
	assert_int_equal(tlbf_invd_merge(TLBF_INVD_INVEPT, TLBF_INVD_INVVPID_NON_GLOBAL), TLBF_INVD_INVEPT);
	assert_int_equal(tlbf_invd_rank(TLBF_INVD_INVEPT), 3);
	assert_int_equal(tlbf_invd_rank(TLBF_INVD_NONE), 0);
}

static void encodings(void **state)
{
	(void)state;
	assert_true(tlbf__tdx_vm_index(0) == UINT64_C(1) << 52);
	assert_true(tlbf__tdx_vm_index(1) == UINT64_C(2) << 52);
	assert_true(tlbf_tdx_enter_flags(TLBF_INVD_INVVPID_NON_GLOBAL, 1) == ((UINT64_C(2) << 52) | 3));
	assert_true(tlbf_tdx_invgla_rcx(0, true) == ((UINT64_C(1) << 52) | 1));
	assert_true(tlbf_tdx_invgla_rcx(1, false) == (UINT64_C(2) << 52));
	const unsigned counts[4] = {1, 2, 32, 512};
	for (unsigned i = 0; i < 4; i++) {
		uint64_t info = tlbf_tdx_list_info(0xabcde, 0, counts[i]);
		assert_int_equal(info & 0x1ff, 0);
		assert_true(((info >> 12) & ((UINT64_C(1) << 40) - 1)) == 0xabcde);
		assert_int_equal((info >> 52) & 0x3ff, counts[i]);
	}
	uint64_t info = tlbf_tdx_list_info(1, 511, 1);
	assert_int_equal(info & 0x1ff, 511);
	/* A simple range is its own GLA entry. */
	assert_true(tlbf_range_to_gla(tlbf_hv_gva_make(0x1234, 7), false) == ((UINT64_C(0x1234) << 12) | 7));
}

#if defined(__x86_64__)
static void hw_backend_abi(void **state)
{
	(void)state;
	/* The ioctl numbers agree with the kernel's own macros. */
	assert_true(TLBF_MSHV_VTL_TDCALL == _IOWR(0xB8, 0x32, struct tlbf_mshv_tdcall));
	assert_true(TLBF_MSHV_KICKCPUS == _IOW(0xB8, 0x38, struct tlbf_mshv_kick));
	assert_int_equal(offsetof(struct tlbf_mshv_kick, cpu_mask), 8);
	assert_int_equal(offsetof(struct tlbf_mshv_tdcall, r11_out), 48);
	/* The backends build (they cannot run outside a TD). */
	uint64_t flags[2] = {0, 0};
	struct tlbf_tdx_tdcall t = {flags, NULL, NULL};
	struct tlbf_backend b = tlbf_tdx_tdcall_backend(&t);
	b.ops->set_enter_flags(b.ctx, 1, tlbf_tdx_enter_flags(TLBF_INVD_INVEPT, 0));
	assert_true(flags[1] == tlbf_tdx_enter_flags(TLBF_INVD_INVEPT, 0));
	struct tlbf_tdx_mshv m = {-1, NULL};
	b = tlbf_tdx_mshv_backend(&m);
	assert_non_null(b.ops->kick);
	uint64_t mask = 1;
	assert_int_equal(b.ops->kick(b.ctx, &mask, 1, TLBF_KICK_WAIT), -1); /* bad fd */
}
#endif

static void cpuid_bits(void **state)
{
	(void)state;
	uint32_t on = tlbf_hv_cpuid_flush_recommendations(0x1, true);
	assert_true(on == (0x1u | (1u << 1) | (1u << 2) | (1u << 11)));
	uint32_t off = tlbf_hv_cpuid_flush_recommendations(on | (1u << 5), false);
	assert_true(off == (0x1u | (1u << 5)));
	assert_true(tlbf_hv_cpuid_flush_recommendations(0, false) == 0);
}

/* One VP's entry through the TDX mapping on the mock. */
static struct tlbf_poll entry(unsigned vp, unsigned vtl, bool *entered)
{
	struct tlbf_poll p = tlbf__vp_prepare_entry(&vps[vp], &loc[vp], &rings[vtl], vtl,
	                                           tv[vp].list_page, TLBF_TDX_LIST_MAX);
	tlbf_tdx_apply(&be, &tv[vp], vtl, p);
	tlbf__vp_publish(&vps[vp], &loc[vp], vtl);
	be.ops->set_enter_flags(be.ctx, vp, tlbf_tdx_enter_flags(tv[vp].pending[vtl], vtl));
	*entered = tlbf_mock_enter(&mock, vp, vtl);
	tlbf_tdx_entry_done(&tv[vp], vtl, *entered);
	return p;
}

/* The VM exit: the mock's and the protocol's. */
static void leave(unsigned vp)
{
	tlbf_mock_leave(&mock, vp);
	tlbf__vp_exit(&vps[vp], &loc[vp]);
}

static void list_single_and_entire_on_the_mock(void **state)
{
	(void)state;
	bool in;
	tlbf__vp_start(&vps[0], &loc[0], rp);
	for (uint64_t p = 0; p < 8; p++)
		tlbf_mock_tlb_fill(&mock, 0, 0, p, 1, false);
	/* One range: a single-entry INVGLA. */
	uint64_t r = tlbf_hv_gva_make(3, 0);
	tlbf_ring_push(&rings[0], &r, 1, false);
	uint64_t before = log_len();
	entry(0, 0, &in);
	assert_true(in);
	assert_true(log_field(before, 0) == TLBF_MOCK_OP_INVGLA_SINGLE);
	assert_true(log_field(before, 2) == tlbf_tdx_invgla_rcx(0, false));
	assert_true(log_field(before, 3) == r);
	uint64_t v;
	assert_false(tlbf_mock_tlb_lookup(&mock, 0, 0, 3, &v));
	assert_true(tlbf_mock_tlb_lookup(&mock, 0, 0, 4, &v));
	leave(0);

	/* Two ranges (one of two pages): a list INVGLA straight from the page. */
	uint64_t two[2] = {tlbf_hv_gva_make(4, 1), tlbf_hv_gva_make(7, 0)};
	tlbf_ring_push(&rings[0], two, 2, false);
	before = log_len();
	entry(0, 0, &in);
	assert_true(log_field(before, 0) == TLBF_MOCK_OP_INVGLA_LIST);
	assert_true(log_field(before, 3) == tlbf_tdx_list_info(0x5000, 0, 2));
	assert_true(list_page[0][0] == two[0] && list_page[0][1] == two[1]);
	for (uint64_t p = 4; p < 8; p++)
		assert_int_equal(tlbf_mock_tlb_lookup(&mock, 0, 0, p, &v), p == 6);
	assert_true(tlbf_mock_tlb_lookup(&mock, 0, 0, 0, &v));
	leave(0);

	/* Flush entire: the enter flags carry INVVPID (a guest's request
	 * concerns linear translations only); every linear one goes. */
	tlbf_ring_flush_entire(&rings[0]);
	before = log_len();
	entry(0, 0, &in);
	assert_true(log_field(before, 0) == TLBF_MOCK_OP_ENTER_FLAGS);
	assert_true(log_field(before, 2) == tlbf_tdx_enter_flags(TLBF_INVD_INVVPID, 0));
	assert_true(log_field(before + 1, 0) == TLBF_MOCK_OP_ENTER);
	assert_false(tlbf_mock_tlb_lookup(&mock, 0, 0, 0, &v));
	assert_int_equal(tv[0].pending[0], TLBF_INVD_NONE); /* cleared: entered */
	leave(0);
}

static void non_global_keeps_global_and_list_still_runs(void **state)
{
	(void)state;
	bool in;
	tlbf__vp_start(&vps[1], &loc[1], rp);
	tlbf_mock_tlb_fill(&mock, 1, 1, 1, 1, true);  /* global */
	tlbf_mock_tlb_fill(&mock, 1, 1, 2, 1, false); /* not global */
	tlbf_mock_tlb_fill(&mock, 1, 1, 9, 1, true);  /* global, listed */
	tlbf_ring_flush_non_global(&rings[1]);
	uint64_t r = tlbf_hv_gva_make(9, 0);
	tlbf_ring_push(&rings[1], &r, 1, false);
	struct tlbf_poll p = entry(1, 1, &in);
	assert_int_equal(p.flags, TLBF_POLL_LIST | TLBF_POLL_NON_GLOBAL);
	uint64_t v;
	assert_true(tlbf_mock_tlb_lookup(&mock, 1, 1, 1, &v));
	assert_false(tlbf_mock_tlb_lookup(&mock, 1, 1, 2, &v));
	assert_false(tlbf_mock_tlb_lookup(&mock, 1, 1, 9, &v));
	assert_int_equal(mvps[1].flushes_non_global, 1);
}

static void keep_on_cancel_clear_on_entry(void **state)
{
	(void)state;
	bool in;
	tlbf__vp_start(&vps[2], &loc[2], rp);
	tlbf_mock_tlb_fill(&mock, 2, 0, 5, 1, false);
	tlbf_ring_flush_entire(&rings[0]);
	/* A kick arrives before the entry: it is cancelled. */
	tlbf__store(&mvps[2].cancel, 1, TLBF_RELAXED);
	entry(2, 0, &in);
	assert_false(in);
	assert_int_equal(tv[2].pending[0], TLBF_INVD_INVVPID); /* kept (T6) */
	uint64_t v;
	assert_true(tlbf_mock_tlb_lookup(&mock, 2, 0, 5, &v)); /* not flushed yet */
	leave(2);
	/* Next entry: nothing new in the ring, but the pending flush goes. */
	struct tlbf_poll p = entry(2, 0, &in);
	assert_int_equal(p.flags, TLBF_POLL_NOTHING);
	assert_true(in);
	assert_false(tlbf_mock_tlb_lookup(&mock, 2, 0, 5, &v));
	assert_int_equal(tv[2].pending[0], TLBF_INVD_NONE);
	/* A list while a full flush is pending is not issued at all. */
	leave(2);
	tlbf_ring_flush_entire(&rings[0]);
	tlbf__store(&mvps[2].cancel, 1, TLBF_RELAXED);
	entry(2, 0, &in);
	assert_false(in);
	leave(2);
	uint64_t r = tlbf_hv_gva_make(5, 0);
	tlbf_ring_push(&rings[0], &r, 1, false);
	uint64_t singles = tv[2].invgla_single;
	entry(2, 0, &in);
	assert_true(in);
	assert_int_equal(tv[2].invgla_single, singles);
	assert_int_equal(tv[2].invgla_skipped, 1);
}

/* A VP thread that sits in the guest until kicked, then leaves. */
static void *guest_until_kicked(void *arg)
{
	(void)arg;
	bool in;
	entry(3, 0, &in);
	/* A kick that lands between the announce and the mock entry cancels
	 * the entry and consumes the signal: then there is nothing to wait for. */
	while (in && !tlbf_mock_take_cancel(&mock, 3))
		sched_yield();
	tlbf_mock_leave(&mock, 3);
	tlbf__vp_exit(&vps[3], &loc[3]);
	return NULL;
}

/* Each kind of answer as the weakest sufficient TDX operation. */
static void apply_maps_each_kind(void **state)
{
	(void)state;
	struct tlbf_poll p = {TLBF_POLL_ENTIRE, 0};
	tlbf_tdx_apply(&be, &tv[0], 0, p);
	assert_int_equal(tv[0].pending[0], TLBF_INVD_INVVPID);
	p.flags = TLBF_POLL_NON_GLOBAL;
	tlbf_tdx_apply(&be, &tv[1], 0, p);
	assert_int_equal(tv[1].pending[0], TLBF_INVD_INVVPID_NON_GLOBAL);
	p.flags = TLBF_POLL_ENTIRE | TLBF_POLL_GPA;
	tlbf_tdx_apply(&be, &tv[2], 0, p);
	assert_int_equal(tv[2].pending[0], TLBF_INVD_INVEPT);
	assert_int_equal(tv[2].gpa, 1);
	/* Merged by strength: list < non-global < all linear < guest-physical. */
	p.flags = TLBF_POLL_NON_GLOBAL;
	tlbf_tdx_apply(&be, &tv[0], 0, p);
	assert_int_equal(tv[0].pending[0], TLBF_INVD_INVVPID);
	p.flags = TLBF_POLL_ENTIRE | TLBF_POLL_GPA;
	tlbf_tdx_apply(&be, &tv[0], 0, p);
	assert_int_equal(tv[0].pending[0], TLBF_INVD_INVEPT);
	p.flags = TLBF_POLL_ENTIRE;
	tlbf_tdx_apply(&be, &tv[0], 0, p);
	assert_int_equal(tv[0].pending[0], TLBF_INVD_INVEPT);
	p.flags = TLBF_POLL_ENTIRE;
	tlbf_tdx_apply(&be, &tv[1], 0, p);
	assert_int_equal(tv[1].pending[0], TLBF_INVD_INVVPID);
	/* A failed INVGLA becomes INVVPID, not INVEPT. */
	tv[3].list_page[0] = tlbf_hv_gva_make(1, 0);
	p.flags = TLBF_POLL_LIST;
	p.count = 1;
	tlbf_tdx_apply(&be, &tv[3], TLBF_VTL_COUNT - 1, p);
	assert_int_equal(tv[3].pending[TLBF_VTL_COUNT - 1], TLBF_INVD_NONE);
	struct tlbf_mock_vp saved = mvps[3];
	mock.nvps = 3; /* the mock refuses VP 3: the INVGLA fails */
	tlbf_tdx_apply(&be, &tv[3], 0, p);
	mock.nvps = NVP;
	mvps[3] = saved;
	assert_int_equal(tv[3].errors, 1);
	assert_int_equal(tv[3].pending[0], TLBF_INVD_INVVPID);
}

/* The mock keeps guest-physical translations through INVVPID and drops them
 * with INVEPT; a guest-physical request reaches the VP as INVEPT. */
static void gpa_request_is_invept_on_the_mock(void **state)
{
	(void)state;
	bool in;
	uint64_t v;
	tlbf__vp_start(&vps[0], &loc[0], rp);
	tlbf_mock_tlb_fill(&mock, 0, 0, 3, 1, false);
	tlbf_mock_gpa_fill(&mock, 0, 0, 3, 1);
	tlbf_ring_flush_entire(&rings[0]);
	entry(0, 0, &in);
	assert_true(in);
	assert_false(tlbf_mock_tlb_lookup(&mock, 0, 0, 3, &v));
	assert_true(tlbf_mock_gpa_lookup(&mock, 0, 0, 3, &v)); /* INVVPID keeps it */
	assert_int_equal(mvps[0].flushes_invept, 0);
	leave(0);
	tlbf_mock_tlb_fill(&mock, 0, 0, 3, 2, false);
	uint64_t before = log_len();
	struct tlbf_mark m = tlbf_ring_flush_gpa(&rings[0]);
	assert_int_equal(m.kind, TLBF_MARK_KIND_GPA);
	struct tlbf_poll p = entry(0, 0, &in);
	assert_int_equal(p.flags, TLBF_POLL_ENTIRE | TLBF_POLL_GPA);
	assert_true(in);
	assert_true(log_field(before, 2) == tlbf_tdx_enter_flags(TLBF_INVD_INVEPT, 0));
	assert_false(tlbf_mock_tlb_lookup(&mock, 0, 0, 3, &v));
	assert_false(tlbf_mock_gpa_lookup(&mock, 0, 0, 3, &v)); /* INVEPT drops it */
	assert_int_equal(mvps[0].flushes_invept, 1);
	assert_int_equal(mvps[0].flushes_entire, 2);
	/* Out-of-range VPs and VTLs: nothing cached, nothing found. */
	tlbf_mock_gpa_fill(&mock, NVP, 0, 3, 1);
	assert_false(tlbf_mock_gpa_lookup(&mock, NVP, 0, 3, &v));
	assert_false(tlbf_mock_gpa_lookup(&mock, 0, TLBF_VTL_COUNT, 3, &v));
	leave(0);
}

static void kick_waits_for_the_vp(void **state)
{
	(void)state;
	tlbf__vp_start(&vps[3], &loc[3], rp);
	pthread_t t;
	pthread_create(&t, NULL, guest_until_kicked, NULL);
	/* Wait until it runs on the mock (so it announced too). */
	while (!(tlbf__load(&mvps[3].run, TLBF_ACQUIRE) & 1))
		sched_yield();
	struct tlbf_mark m = tlbf_ring_flush_entire(&rings[0]);
	tlbf__wake_fence();
	uint64_t kick[1], wait[1];
	struct tlbf_wake_plan pl;
	tlbf_kick_plan_init(&pl, kick, wait, 1);
	for (uint32_t v = 0; v < NVP; v++)
		tlbf_kick_plan_add(&pl, v, tlbf_wake_decide(&vps[v], v, 0, 0, m));
	assert_int_equal(pl.nkick, 1);
	assert_true(kick[0] == 8);
	assert_int_equal(tlbf_wake_send(&be, &pl, vps, NVP), 0);
	/* Returned only once VP 3 had left the guest. */
	assert_false(tlbf__load(&mvps[3].run, TLBF_ACQUIRE) & 1);
	pthread_join(t, NULL);
	assert_true(tlbf__load(&mock.kicks, TLBF_RELAXED) == 1);
	assert_true(tlbf__load(&mock.waits, TLBF_RELAXED) == 1);
}

/* Start VP 3 in the guest on its own thread and wait until it runs. */
static pthread_t start_guest(void)
{
	tlbf__vp_start(&vps[3], &loc[3], rp);
	pthread_t t;
	pthread_create(&t, NULL, guest_until_kicked, NULL);
	while (!(tlbf__load(&mvps[3].run, TLBF_ACQUIRE) & 1))
		sched_yield();
	return t;
}

/* A kicker that moved VP 3 to EXITING and then never sends its cancel (it
 * was descheduled, or its kick failed) does not hold up another initiator:
 * that one waits a bounded time, then cancels VP 3 itself. */
static void wait_only_does_not_depend_on_the_kicker(void **state)
{
	(void)state;
	pthread_t t = start_guest();
	struct tlbf_mark m1 = tlbf_ring_flush_entire(&rings[0]);
	tlbf__wake_fence();
	assert_int_equal(tlbf_wake_decide(&vps[3], 3, 0, 0, m1), TLBF_WAKE_KICK); /* never sent */
	struct tlbf_mark m2 = tlbf_ring_flush_entire(&rings[0]);
	tlbf__wake_fence();
	uint64_t kick[1], wait[1];
	struct tlbf_wake_plan pl;
	tlbf_kick_plan_init(&pl, kick, wait, 1);
	tlbf_kick_plan_request(&pl, 0, m2);
	tlbf_kick_plan_add(&pl, 3, tlbf_wake_decide(&vps[3], 3, 1, 0, m2));
	assert_int_equal(pl.nwait, 1);
	assert_int_equal(tlbf_wake_send(&be, &pl, vps, NVP), 0);
	assert_int_equal(pl.nlate, 1);
	assert_true(wait[0] == UINT64_C(1) << 3); /* who got the duplicate cancel */
	assert_false(tlbf__load(&mvps[3].run, TLBF_ACQUIRE) & 1);
	pthread_join(t, NULL);
	assert_true(tlbf__load(&mock.kicks, TLBF_RELAXED) == 1);
}

/* A wait ends as soon as the VP has published a cursor past the request,
 * even while it is still EXITING in the same epoch: no duplicate cancel. */
static void wait_ends_when_the_vp_polled_past(void **state)
{
	(void)state;
	tlbf__vp_start(&vps[2], &loc[2], rp);
	assert_true(tlbf__vp_announce(&vps[2], &loc[2], 0));          /* V1, V2 */
	struct tlbf_mark m = tlbf_ring_flush_entire(&rings[0]);    /* B records */
	tlbf__wake_fence();
	assert_int_equal(tlbf_wake_decide(&vps[2], 2, 0, 0, m), TLBF_WAKE_KICK);      /* A */
	uint64_t kick[1], wait[1];
	struct tlbf_wake_plan pl;
	tlbf_kick_plan_init(&pl, kick, wait, 1);
	tlbf_kick_plan_request(&pl, 0, m);
	tlbf_kick_plan_add(&pl, 2, tlbf_wake_decide(&vps[2], 2, 1, 0, m)); /* B */
	assert_int_equal(pl.nwait, 1);
	/* VP 2's poll (after its V2) sees B's request; it publishes. */
	assert_int_equal(tlbf_ring_poll(&rings[0], &loc[2].cursor[0], list_page[2], TLBF_TDX_LIST_MAX).flags,
	                 TLBF_POLL_ENTIRE);
	tlbf__vp_publish(&vps[2], &loc[2], 0);
	assert_int_equal(tlbf_wake_send(&be, &pl, vps, NVP), 0);
	assert_int_equal(pl.nlate, 0);
	assert_true(wait[0] == 0);
	assert_true(tlbf__load(&mock.kicks, TLBF_RELAXED) == 0);
}

/* A failed kick is sent again; a second failure is reported, and another
 * initiator that then finds the VP EXITING cancels it itself. */
static void failed_kick_retried_then_reported(void **state)
{
	(void)state;
	struct tlbf_partition pt;
	assert_int_equal(tlbf_partition_init(&pt, rp, vps, NVP), TLBF_STATUS_OK);
	pthread_t t = start_guest();
	uint64_t input[3] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0};
	uint64_t control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0);
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	assert_int_equal(tlbf_hypercall_decode(control, input, sizeof(input), NVP, 0, &req, NULL),
	                 TLBF_HV_STATUS_SUCCESS);
	uint64_t kick[1], wait[1];
	struct tlbf_flush_outcome o;
	tlbf__store(&mock.fail_kicks, 2, TLBF_RELAXED);
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, 0, kick, wait, 1, &o),
	                 TLBF_STATUS_KICK_FAILED);
	assert_int_equal(o.kick_rc, -5);
	assert_int_equal(o.plan.kick_retries, 1);
	assert_true(tlbf__vp_kicked(&vps[3])); /* EXITING, never signalled */
	/* The next initiator does not wait for a signal that never comes. */
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, 1, kick, wait, 1, &o), TLBF_STATUS_OK);
	assert_int_equal(o.plan.reasons[TLBF_WAKE_WAIT_ONLY], 1);
	assert_int_equal(o.plan.nlate, 1);
	pthread_join(t, NULL);
	/* One failure only: the retry succeeds. */
	t = start_guest();
	tlbf__store(&mock.fail_kicks, 1, TLBF_RELAXED);
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, 0, kick, wait, 1, &o), TLBF_STATUS_OK);
	assert_int_equal(o.plan.kick_retries, 1);
	pthread_join(t, NULL);
}

/* Indexes from callers and guests are checked in every build. */
/* A kick with no flags is a wake-up: it cancels nothing, waits for nobody,
 * and ends a halt, even one that begins after it was sent. */
static void *halt_until_woken(void *arg)
{
	(void)arg;
	tlbf_mock_halt(&mock, 2);
	return NULL;
}

static void wake_kick_ends_a_halt(void **state)
{
	(void)state;
	uint64_t m2 = UINT64_C(1) << 2;
	assert_false(tlbf_mock_take_wake(&mock, 2));
	/* Sent before the halt: the halt returns at once and consumes it. */
	uint64_t before = log_len();
	assert_int_equal(be.ops->kick(be.ctx, &m2, NVP, 0), 0);
	assert_true(log_field(before, 0) == TLBF_MOCK_OP_WAKE);
	assert_true(tlbf__load(&mvps[2].cancel, TLBF_RELAXED) == 0);
	assert_true(tlbf__load(&mock.kicks, TLBF_RELAXED) == 0);
	assert_true(tlbf__load(&mock.waits, TLBF_RELAXED) == 0);
	assert_true(tlbf__load(&mock.wakes, TLBF_RELAXED) == 1);
	tlbf_mock_halt(&mock, 2);
	assert_false(tlbf_mock_take_wake(&mock, 2));
	/* Sent while another thread halts. */
	pthread_t t;
	pthread_create(&t, NULL, halt_until_woken, NULL);
	assert_int_equal(be.ops->kick(be.ctx, &m2, NVP, 0), 0);
	pthread_join(t, NULL);
	assert_false(tlbf_mock_take_wake(&mock, 2));
	/* A cancel is not a wake-up. */
	assert_int_equal(be.ops->kick(be.ctx, &m2, NVP, TLBF_KICK_CANCEL), 0);
	assert_false(tlbf_mock_take_wake(&mock, 2));
	assert_true(tlbf_mock_take_cancel(&mock, 2));
	/* Out of range: nothing. */
	assert_false(tlbf_mock_take_wake(&mock, NVP));
	tlbf_mock_halt(&mock, NVP);
}

static void bad_indexes_refused(void **state)
{
	(void)state;
	for (uint64_t vm = 0; vm < 4; vm++) {
		uint64_t rcx = vm << TLBF_TDX_VM_INDEX_SHIFT;
		int want = vm >= 1 && vm <= TLBF_VTL_COUNT ? 0 : -1;
		assert_int_equal(be.ops->invgla_single(be.ctx, 0, rcx, tlbf_hv_gva_make(5, 0)), want);
		assert_int_equal(be.ops->invgla_list(be.ctx, 0, rcx | TLBF_TDX_INVGLA_LIST,
		                                     tlbf_tdx_list_info(0, 0, 1), list_page[0]),
		                 want);
	}
	assert_int_equal(be.ops->invgla_single(be.ctx, NVP, tlbf_tdx_invgla_rcx(0, false), 0), -1);
	uint64_t version;
	assert_false(tlbf_mock_tlb_lookup(&mock, NVP, 0, 5, &version));
	assert_false(tlbf_mock_tlb_lookup(&mock, 0, TLBF_VTL_COUNT, 5, &version));
	tlbf_mock_tlb_fill(&mock, NVP, 0, 5, 1, false);
	tlbf_mock_tlb_fill(&mock, 0, TLBF_VTL_COUNT, 5, 1, false);
	assert_false(tlbf_mock_enter(&mock, 0, TLBF_VTL_COUNT));
	assert_false(tlbf_mock_take_cancel(&mock, NVP));
	/* The VP side refuses a VTL the build does not have, changing nothing. */
	tlbf__vp_start(&vps[0], &loc[0], rp);
	uint64_t before = tlbf__load(&vps[0].state, TLBF_RELAXED);
	assert_false(tlbf_tdx_prepare_entry(&be, &tv[0], &vps[0], &loc[0], &rings[0], TLBF_VTL_COUNT));
	assert_int_equal(tlbf__vp_prepare_entry(&vps[0], &loc[0], &rings[0], TLBF_VTL_COUNT, list_page[0],
	                                       TLBF_TDX_LIST_MAX).flags,
	                 TLBF_POLL_REFUSED);
	assert_false(tlbf__vp_announce(&vps[0], &loc[0], 7));
	assert_true(tlbf__load(&vps[0].state, TLBF_RELAXED) == before);
	/* The initiator side too: for a VP in the guest, where the arguments
	 * would index its cursors, they are refused; outside, it is skipped. */
	struct tlbf_mark m = tlbf_ring_flush_entire(&rings[0]);
	assert_int_equal(tlbf_wake_decide(&vps[0], 0, 9, TLBF_VTL_COUNT, m), TLBF_WAKE_SKIP_OUTSIDE);
	assert_true(tlbf__vp_announce(&vps[0], &loc[0], 0));
	assert_int_equal(tlbf_wake_decide(&vps[0], 0, 9, TLBF_VTL_COUNT, m), TLBF_WAKE_REFUSED);
	assert_int_equal(tlbf_wake_decide(&vps[0], 0, 9, 7, m), TLBF_WAKE_REFUSED);
	m.kind = (enum tlbf_mark_kind)9;
	assert_int_equal(tlbf_wake_decide(&vps[0], 0, 9, 0, m), TLBF_WAKE_REFUSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(precedence_merge, setup),
		cmocka_unit_test_setup(encodings, setup),
#if defined(__x86_64__)
		cmocka_unit_test_setup(hw_backend_abi, setup),
#endif
		cmocka_unit_test_setup(cpuid_bits, setup),
		cmocka_unit_test_setup(list_single_and_entire_on_the_mock, setup),
		cmocka_unit_test_setup(non_global_keeps_global_and_list_still_runs, setup),
		cmocka_unit_test_setup(keep_on_cancel_clear_on_entry, setup),
		cmocka_unit_test_setup(apply_maps_each_kind, setup),
		cmocka_unit_test_setup(gpa_request_is_invept_on_the_mock, setup),
		cmocka_unit_test_setup(kick_waits_for_the_vp, setup),
		cmocka_unit_test_setup(wait_only_does_not_depend_on_the_kicker, setup),
		cmocka_unit_test_setup(wait_ends_when_the_vp_polled_past, setup),
		cmocka_unit_test_setup(failed_kick_retried_then_reported, setup),
		cmocka_unit_test_setup(wake_kick_ends_a_halt, setup),
		cmocka_unit_test_setup(bad_indexes_refused, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
