/* SPDX-License-Identifier: MIT */
/* Unit tests of the initiator path (tlbflush/flush.h): real hypercall input
 * is decoded, recorded, and the lazy set walked through the predicate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tlbflush/entry.h"
#include "tlbflush/flush.h"
#include "tlbflush/mock_backend.h"

#define NVP 200
#include "fixture.h"
static struct tlbf_vp_local loc[NVP];
static uint64_t out[TLBF_RING_CAPACITY];

static int setup(void **state)
{
	(void)state;
	return fixture_setup(false, false);
}

static void start_and_announce(unsigned vp, unsigned vtl)
{
	tlbf__vp_start(&vps[vp], &loc[vp], pt.rings);
	(void)tlbf__vp_prepare_entry(&vps[vp], &loc[vp], &pt.rings[vtl], vtl, out,
	                             TLBF_RING_CAPACITY);
	tlbf__vp_publish(&vps[vp], &loc[vp], vtl);
}

/* ListEx on the TLFS set {0, 5, 130}: recorded as two ranges; VP 5 is in
 * the guest (kicked), VP 0 is the initiator, VP 130 never started. */
static void list_ex_on_a_sparse_set(void **state)
{
	(void)state;
	start_and_announce(5, 0);
	start_and_announce(6, 0); /* in the guest but not in the set */
	uint64_t input[8] = {0, 0, TLBF_HV_GENERIC_SET_SPARSE_4K, 0x5, 0x21, 0x4,
	                     tlbf_hv_gva_make(0x100, 1), tlbf_hv_gva_make(0x300, 0)};
	uint64_t control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST_EX, false, 2, 2, 0);
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	assert_int_equal(tlbf_hypercall_decode(control, input, sizeof(input), NVP, 0, &req, NULL),
	                 TLBF_HV_STATUS_SUCCESS);
	static struct tlbf_flush_outcome o;
	/* VP 5 announced but never entered the mock, so the kick's wait
	 * returns at once and its next mock entry would be cancelled. */
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, 0, NULL, &o), TLBF_STATUS_OK);
	assert_int_equal(o.kick_rc, 0);
	assert_int_equal(o.push.result, TLBF_PUSH_RESULT_LISTED);
	assert_int_equal(o.push.mark.kind, TLBF_MARK_KIND_LIST);
	assert_true(o.push.mark.value == 2);
	assert_int_equal(o.plan.reasons[TLBF_WAKE_SKIP_INITIATOR], 1);
	assert_int_equal(o.plan.reasons[TLBF_WAKE_KICK], 1);
	assert_int_equal(o.plan.reasons[TLBF_WAKE_SKIP_NOT_STARTED], 1);
	assert_int_equal(o.plan.ndecided, 3);
	assert_true(o.kick[0] == UINT64_C(1) << 5);
	assert_true(o.kick[2] == 0 && o.wait[0] == 0);
	assert_true(tlbf__vp_kicked(&vps[5]));
	assert_false(tlbf__vp_kicked(&vps[6]));
	assert_true(tlbf__load(&mvps[5].cancel, TLBF_RELAXED) == 1);
	/* VP 5's next entry polls both ranges. */
	tlbf__vp_exit(&vps[5], &loc[5]);
	struct tlbf_poll p = tlbf__vp_prepare_entry(&vps[5], &loc[5], &pt.rings[0], 0, out,
	                                            TLBF_RING_CAPACITY);
	assert_int_equal(p.count, 2);
	assert_true(out[0] == input[6] && out[1] == input[7]);
}

/* Space on all processors, non-global, target VTL 1 from VTL 1. */
static void space_non_global_all_vtl1(void **state)
{
	(void)state;
	if (TLBF_VTL_COUNT < 2)
		skip();
	start_and_announce(3, 1);
	start_and_announce(4, 0); /* other VTL */
	uint64_t input[3] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS | TLBF_HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY, 0};
	uint64_t control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0);
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	assert_int_equal(tlbf_hypercall_decode(control, input, sizeof(input), NVP, 1, &req, NULL),
	                 TLBF_HV_STATUS_SUCCESS);
	assert_int_equal(req.target_vtl, 1);
	static struct tlbf_flush_outcome o;
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, TLBF_NO_VP, NULL, &o), TLBF_STATUS_OK);
	assert_int_equal(o.push.mark.kind, TLBF_MARK_KIND_NON_GLOBAL);
	assert_int_equal(o.plan.reasons[TLBF_WAKE_KICK], 1);
	assert_int_equal(o.plan.reasons[TLBF_WAKE_SKIP_OTHER_VTL], 1);
	assert_int_equal(o.plan.reasons[TLBF_WAKE_SKIP_NOT_STARTED], NVP - 2);
	assert_true(o.kick[0] == UINT64_C(1) << 3);
	assert_true(tlbf__load(&pt.rings[1].non_global, TLBF_RELAXED) == 1);
	assert_true(tlbf__load(&pt.rings[0].non_global, TLBF_RELAXED) == 0);
}

/* A list with a large-page extended range is promoted to flush-entire. */
static void list_promoted_by_policy(void **state)
{
	(void)state;
	uint64_t input[4] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS | TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT, 0,
	                     TLBF_GVA_EXT_LARGE_PAGE | (UINT64_C(3) << 21)};
	uint64_t control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST, false, 0, 1, 0);
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	assert_int_equal(tlbf_hypercall_decode(control, input, sizeof(input), NVP, 0, &req, NULL),
	                 TLBF_HV_STATUS_SUCCESS);
	tlbf__vp_start(&vps[1], &loc[1], pt.rings);
	struct tlbf_push p;
	assert_int_equal(tlbf_flush_record(&pt, &req, &p), TLBF_STATUS_OK);
	assert_int_equal(p.result, TLBF_PUSH_RESULT_PROMOTED);
	assert_int_equal(p.why, TLBF_PUSH_WHY_LARGE_PAGE);
	assert_int_equal(p.mark.kind, TLBF_MARK_KIND_ENTIRE);
	/* Classified before anything was reserved: no ticket is left behind
	 * for readers to stop at; a reader flushes everything. */
	assert_true(tlbf__load(&pt.rings[0].claim, TLBF_RELAXED) == 0);
	struct tlbf_poll r = tlbf_ring_poll(&pt.rings[0], &loc[1].cursor[0], out, TLBF_RING_CAPACITY);
	assert_int_equal(r.flags, TLBF_POLL_ENTIRE);
	assert_true(loc[1].cursor[0].list == 0);
	assert_true(tlbf_ring_valid(&pt.rings[0]));
}

/* The VMM's own guest-physical request: recorded in the gpa generation of
 * its target VTL's ring; a reader answers flush everything and
 * guest-physical. */
static void gpa_request_recorded(void **state)
{
	(void)state;
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	assert_int_equal(tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_GPA, TLBF_VTL_COUNT - 1, NVP),
	                 TLBF_STATUS_OK);
	assert_int_equal(req.kind, TLBF_FLUSH_KIND_GPA);
	assert_int_equal(req.target_vtl, TLBF_VTL_COUNT - 1);
	assert_int_equal(tlbf_vpset_count(&req.vps), NVP);
	tlbf__vp_start(&vps[1], &loc[1], pt.rings);
	struct tlbf_push p;
	assert_int_equal(tlbf_flush_record(&pt, &req, &p), TLBF_STATUS_OK);
	assert_int_equal(p.result, TLBF_PUSH_RESULT_LISTED);
	assert_int_equal(p.mark.kind, TLBF_MARK_KIND_GPA);
	struct tlbf_ring *r = &pt.rings[TLBF_VTL_COUNT - 1];
	assert_true(tlbf__load(&r->gpa, TLBF_RELAXED) == 1);
	assert_true(tlbf__load(&r->entire, TLBF_RELAXED) == 0);
	struct tlbf_poll q = tlbf_ring_poll(r, &loc[1].cursor[TLBF_VTL_COUNT - 1], out,
	                                    TLBF_RING_CAPACITY);
	assert_int_equal(q.flags, TLBF_POLL_ENTIRE | TLBF_POLL_GPA);
}

/* Masks shorter than the partition needs are refused by the plan before
 * any decision; nothing is written past them. The handler's own masks are
 * always long enough. */
static void short_masks_refused(void **state)
{
	(void)state;
	struct tlbf_flush_request req;
	fixture_space_request(&req);
	uint64_t k[TLBF_MASK_WORDS(NVP)], w[TLBF_MASK_WORDS(NVP)];
	k[3] = w[3] = UINT64_C(0x5a5a);
	struct tlbf_mark m = {TLBF_MARK_KIND_ENTIRE, 1};
	struct tlbf_wake_plan pl;
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, k, w, TLBF_MASK_WORDS(NVP) - 1, 0, m),
	                 TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_flush_plan(&pl, &req.vps, 0), TLBF_STATUS_BAD_SEQUENCE);
	assert_true(k[3] == UINT64_C(0x5a5a) && w[3] == UINT64_C(0x5a5a));
	static struct tlbf_flush_outcome o;
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, 0, NULL, &o), TLBF_STATUS_OK);
	assert_true(tlbf__load(&pt.rings[0].entire, TLBF_RELAXED) == 1);
}

/* A partition the build cannot serve is refused, never truncated: before,
 * a TLBF_MAX_VPS build silently never woke the VPs past the limit. */
static void partition_refused(void **state)
{
	(void)state;
	struct tlbf_partition big;
	assert_int_equal(tlbf_partition_init(&big, vps, NULL, TLBF_MAX_VPS + 1),
	                 TLBF_STATUS_BAD_VP_COUNT);
	assert_int_equal(big.vp_count, 0);
	assert_int_equal(tlbf_partition_init(&big, vps, NULL, 0), TLBF_STATUS_BAD_VP_COUNT);
	assert_int_equal(tlbf_partition_init(&big, NULL, NULL, 4), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_partition_init(NULL, vps, NULL, 4), TLBF_STATUS_BAD_STORAGE);
	/* A hand-made partition past the limit is refused by the handler. */
	big = pt;
	big.vp_count = TLBF_MAX_VPS + 1;
	struct tlbf_flush_request req;
	fixture_space_request(&req);
	static struct tlbf_flush_outcome o;
	assert_int_equal(tlbf_flush_handle(&big, &be, &req, 0, NULL, &o), TLBF_STATUS_BAD_PARTITION);
	req.target_vtl = TLBF_VTL_COUNT;
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, 0, NULL, &o), TLBF_STATUS_BAD_REQUEST);
	assert_true(tlbf__load(&pt.rings[0].entire, TLBF_RELAXED) == 0);
	/* A request made for a larger partition than this one. */
	req.target_vtl = 0;
	req.vps.vp_count = NVP + 1;
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, 0, NULL, &o), TLBF_STATUS_BAD_REQUEST);
	assert_true(tlbf__load(&pt.rings[0].entire, TLBF_RELAXED) == 0);
}

/* An Ex call whose set has no bank succeeds and records nothing. */
static void empty_ex_set_is_a_no_op(void **state)
{
	(void)state;
	uint64_t input[4] = {0, 0, TLBF_HV_GENERIC_SET_SPARSE_4K, 0};
	uint64_t control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE_EX, false, 0, 0, 0);
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	assert_int_equal(tlbf_hypercall_decode(control, input, sizeof(input), NVP, 0, &req, NULL),
	                 TLBF_HV_STATUS_SUCCESS);
	static struct tlbf_flush_outcome o;
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, 0, NULL, &o), TLBF_STATUS_OK);
	assert_int_equal(o.push.result, TLBF_PUSH_RESULT_EMPTY);
	assert_int_equal(o.plan.ndecided, 0);
	assert_true(tlbf__load(&pt.rings[0].entire, TLBF_RELAXED) == 0);
}

/* The VMM's own requests: every VP, the kinds it may make, refusals. */
static void vmm_request(void **state)
{
	(void)state;
	struct tlbf_flush_request req;
	memset(&req, 0x5c, sizeof(req));
	assert_int_equal(tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_ENTIRE, 0, NVP),
	                 TLBF_STATUS_OK);
	assert_int_equal(req.kind, TLBF_FLUSH_KIND_ENTIRE);
	assert_int_equal(req.range_count, 0);
	assert_null(req.ranges);
	assert_true(tlbf_vpset_contains(&req.vps, 0) && tlbf_vpset_contains(&req.vps, NVP - 1));
	assert_false(tlbf_vpset_contains(&req.vps, NVP));
	start_and_announce(7, 0);
	static struct tlbf_flush_outcome o;
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, TLBF_NO_VP, NULL, &o), TLBF_STATUS_OK);
	assert_int_equal(o.push.mark.kind, TLBF_MARK_KIND_ENTIRE);
	assert_true(o.kick[0] == UINT64_C(1) << 7);
	assert_int_equal(tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_NON_GLOBAL, 0, NVP),
	                 TLBF_STATUS_OK);
	assert_int_equal(req.kind, TLBF_FLUSH_KIND_NON_GLOBAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(list_ex_on_a_sparse_set, setup),
		cmocka_unit_test_setup(space_non_global_all_vtl1, setup),
		cmocka_unit_test_setup(list_promoted_by_policy, setup),
		cmocka_unit_test_setup(gpa_request_recorded, setup),
		cmocka_unit_test_setup(short_masks_refused, setup),
		cmocka_unit_test_setup(partition_refused, setup),
		cmocka_unit_test_setup(empty_ex_set_is_a_no_op, setup),
		cmocka_unit_test_setup(vmm_request, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
