/* SPDX-License-Identifier: MIT */
/* Unit tests of the flush hypercall decoder in tlbflush/hypercall.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tlbflush/tlbflush.h"

#define SPACE TLBF_HVCALL_FLUSH_VA_SPACE
#define LIST TLBF_HVCALL_FLUSH_VA_LIST
#define SPACE_EX TLBF_HVCALL_FLUSH_VA_SPACE_EX
#define LIST_EX TLBF_HVCALL_FLUSH_VA_LIST_EX

/* The input of the last decode, heap-allocated at exactly its size. */
static uint64_t *g_buf;
static size_t g_words;

static int teardown(void **state)
{
	(void)state;
	free(g_buf);
	g_buf = NULL;
	return 0;
}

static uint64_t ctl(uint16_t code, unsigned varhdr, unsigned reps, unsigned start)
{
	return tlbf_hv_control_make(code, false, varhdr, reps, start);
}

/*
 * Decode @nwords words (copied to an exact-size heap buffer, so that ASan
 * catches any read past them) and check what must hold on success.
 */
static enum tlbf_hv_status dec(uint64_t control, const uint64_t *words, size_t nwords,
                               uint32_t vp_count, unsigned vtl,
                               struct tlbf_flush_request *req, enum tlbf_hypercall_rule *rule)
{
	free(g_buf);
	g_buf = malloc(nwords ? nwords * 8 : 8);
	assert_non_null(g_buf);
	if (nwords)
		memcpy(g_buf, words, nwords * 8);
	g_words = nwords;
	enum tlbf_hypercall_rule r = TLBF_HYPERCALL_RULE__COUNT;
	enum tlbf_hv_status st = tlbf_hypercall_decode(control, g_buf, nwords * 8, vp_count, vtl,
	                                               req, &r);
	assert_int_equal(tlbf_hypercall_rule_status(r), st);
	assert_int_equal(st == TLBF_HV_STATUS_SUCCESS, r == TLBF_HYPERCALL_RULE_OK);
	if (st == TLBF_HV_STATUS_SUCCESS) {
		if (req->ranges) {
			assert_true(req->ranges >= g_buf);
			assert_true(req->ranges + req->range_count <= g_buf + nwords);
		} else {
			assert_int_equal(req->range_count, 0);
		}
		assert_true(tlbf__vpset_vp_count(&req->vps) <= vp_count);
	}
	if (rule)
		*rule = r;
	return st;
}

/* Decode and expect failure by @expect_rule. */
static void expect_rule(uint64_t control, const uint64_t *words, size_t nwords,
                        uint32_t vp_count, unsigned vtl, enum tlbf_hypercall_rule expect_rule_)
{
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	enum tlbf_hypercall_rule r;
	enum tlbf_hv_status st = dec(control, words, nwords, vp_count, vtl, &req, &r);
	if (r != expect_rule_)
		fail_msg("control %#llx: rule %s, expected %s", (unsigned long long)control,
		         tlbf_hypercall_rule_name(r), tlbf_hypercall_rule_name(expect_rule_));
	assert_int_equal(st, tlbf_hypercall_rule_status(expect_rule_));
}

static void expect_ok(uint64_t control, const uint64_t *words, size_t nwords,
                      uint32_t vp_count, unsigned vtl, struct tlbf_flush_request *req)
{
	enum tlbf_hypercall_rule r;
	enum tlbf_hv_status st = dec(control, words, nwords, vp_count, vtl, req, &r);
	if (st != TLBF_HV_STATUS_SUCCESS)
		fail_msg("control %#llx: rule %s", (unsigned long long)control,
		         tlbf_hypercall_rule_name(r));
}

static void rule_statuses(void **state)
{
	(void)state;
	/* The table of the header, as code. */
	static const struct {
		enum tlbf_hypercall_rule rule;
		enum tlbf_hv_status status;
	} table[] = {
		{TLBF_HYPERCALL_RULE_OK, TLBF_HV_STATUS_SUCCESS},
		{TLBF_HYPERCALL_RULE_UNKNOWN_CALL, TLBF_HV_STATUS_INVALID_HYPERCALL_CODE},
		{TLBF_HYPERCALL_RULE_CONTROL_RESERVED, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT},
		{TLBF_HYPERCALL_RULE_REP_ON_SIMPLE_CALL, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT},
		{TLBF_HYPERCALL_RULE_REP_START, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT},
		{TLBF_HYPERCALL_RULE_VARHDR_NOT_EX, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT},
		{TLBF_HYPERCALL_RULE_OVER_PAGE, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT},
		{TLBF_HYPERCALL_RULE_MISALIGNED, TLBF_HV_STATUS_INVALID_ALIGNMENT},
		{TLBF_HYPERCALL_RULE_INPUT_SHORT, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT},
		{TLBF_HYPERCALL_RULE_FLAGS_RESERVED, TLBF_HV_STATUS_INVALID_PARAMETER},
		{TLBF_HYPERCALL_RULE_FLAG_NOT_ALLOWED, TLBF_HV_STATUS_INVALID_PARAMETER},
		{TLBF_HYPERCALL_RULE_TARGET_VTL_FORM, TLBF_HV_STATUS_INVALID_PARAMETER},
		{TLBF_HYPERCALL_RULE_VTL_UNSUPPORTED, TLBF_HV_STATUS_INVALID_PARAMETER},
		{TLBF_HYPERCALL_RULE_TARGET_VTL_HIGHER, TLBF_HV_STATUS_INVALID_PARAMETER},
		{TLBF_HYPERCALL_RULE_SET_FORMAT, TLBF_HV_STATUS_INVALID_PARAMETER},
		{TLBF_HYPERCALL_RULE_VARHDR_MISMATCH, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT},
		{TLBF_HYPERCALL_RULE_VP_COUNT, TLBF_HV_STATUS_INVALID_PARAMETER},
	};
	assert_int_equal(sizeof(table) / sizeof(table[0]), TLBF_HYPERCALL_RULE__COUNT);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_int_equal(table[i].rule, (enum tlbf_hypercall_rule)i);
		assert_int_equal(tlbf_hypercall_rule_status(table[i].rule), table[i].status);
		assert_string_not_equal(tlbf_hypercall_rule_name(table[i].rule), "unknown");
	}
	assert_string_equal(tlbf_hv_status_name(TLBF_HV_STATUS_INVALID_ALIGNMENT),
	                    "HV_STATUS_INVALID_ALIGNMENT");
}

static void space_ok(void **state)
{
	(void)state;
	const uint64_t in[] = {0x1234000, 0, 0x51};
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	expect_ok(ctl(SPACE, 0, 0, 0), in, 3, 64, 0, &req);
	assert_int_equal(req.call, SPACE);
	assert_int_equal(req.kind, TLBF_FLUSH_KIND_ENTIRE);
	assert_int_equal(req.target_vtl, 0);
	assert_false(req.extended);
	assert_false(req.fast);
	assert_true(req.address_space == 0x1234000);
	assert_null(req.ranges);
	assert_int_equal(tlbf__vpset_kind(&req.vps), TLBF_VPSET_KIND_MASK64);
	assert_int_equal(tlbf_vpset_count(&req.vps), 3);
	assert_true(tlbf_vpset_contains(&req.vps, 0));
	assert_true(tlbf_vpset_contains(&req.vps, 4));
	assert_true(tlbf_vpset_contains(&req.vps, 6));
	/* The view holds the mask by value: the guest changing it later has
	 * no effect. */
	g_buf[2] = 0;
	assert_int_equal(tlbf_vpset_count(&req.vps), 3);

	const uint64_t ng[] = {0, TLBF_HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY, 1};
	expect_ok(ctl(SPACE, 0, 0, 0), ng, 3, 64, 1, &req);
	assert_int_equal(req.kind, TLBF_FLUSH_KIND_NON_GLOBAL);
	assert_int_equal(req.target_vtl, 1);
	/* The mask is intersected with a 5-VP partition: VP 6 is ignored. */
	expect_ok(ctl(SPACE, 0, 0, 0), in, 3, 5, 0, &req);
	assert_int_equal(tlbf_vpset_count(&req.vps), 2);
}

static void list_ok_rep_start(void **state)
{
	(void)state;
	const uint64_t in[] = {0, 0, 0x3, 0x1000, 0x2001, 0x3002, 0x4003};
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	expect_ok(ctl(LIST, 0, 4, 0), in, 7, 8, 0, &req);
	assert_int_equal(req.kind, TLBF_FLUSH_KIND_LIST);
	assert_ptr_equal(req.ranges, g_buf + 3);
	assert_int_equal(req.range_count, 4);
	expect_ok(ctl(LIST, 0, 4, 1), in, 7, 8, 0, &req);
	assert_ptr_equal(req.ranges, g_buf + 4);
	assert_int_equal(req.range_count, 3);
	assert_true(tlbf__guest_load_u64(&req.ranges[0]) == 0x2001);
	expect_ok(ctl(LIST, 0, 4, 3), in, 7, 8, 0, &req);
	assert_int_equal(req.range_count, 1);
	assert_true(tlbf__guest_load_u64(&req.ranges[0]) == 0x4003);
	/* Extended format is allowed on both List calls. */
	const uint64_t ext[] = {0, TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT, 1, 0x1000};
	expect_ok(ctl(LIST, 0, 1, 0), ext, 4, 8, 0, &req);
	assert_true(req.extended);
}

static void list_ex_tlfs_set(void **state)
{
	(void)state;
	const uint64_t in[] = {0, 0, TLBF_HV_GENERIC_SET_SPARSE_4K, 0x5, 0x21, 0x4, 0xa000, 0xb000};
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	expect_ok(ctl(LIST_EX, 2, 2, 0), in, 8, 4096, 0, &req);
	assert_int_equal(req.call, LIST_EX);
	assert_ptr_equal(req.ranges, g_buf + 6);
	assert_int_equal(req.range_count, 2);
	assert_int_equal(tlbf_vpset_count(&req.vps), 3);
	struct tlbf_vpset_iter it;
	uint32_t vp, got[3], n = 0;
	tlbf_vpset_iter_init(&it, &req.vps);
	while (tlbf_vpset_iter_next(&it, &vp) && n < 3)
		got[n++] = vp;
	assert_int_equal(n, 3);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[1], 5);
	assert_int_equal(got[2], 130);
	/* The same set on a 100-VP partition: VP 130 is ignored. */
	expect_ok(ctl(LIST_EX, 2, 2, 1), in, 8, 100, 0, &req);
	assert_int_equal(tlbf_vpset_count(&req.vps), 2);
	assert_int_equal(req.range_count, 1);
	assert_ptr_equal(req.ranges, g_buf + 7);
}

static void ex_all_format_and_flag(void **state)
{
	(void)state;
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	const uint64_t all[] = {0, 0, TLBF_HV_GENERIC_SET_ALL, 0};
	expect_ok(ctl(SPACE_EX, 0, 0, 0), all, 4, 200, 0, &req);
	assert_int_equal(tlbf__vpset_kind(&req.vps), TLBF_VPSET_KIND_ALL);
	assert_int_equal(tlbf_vpset_count(&req.vps), 200);
	/* ALL with a non-zero mask still occupies its banks. */
	const uint64_t all_banks[] = {0, 0, TLBF_HV_GENERIC_SET_ALL, 0x3, 0, 0, 0x5000};
	expect_ok(ctl(LIST_EX, 2, 1, 0), all_banks, 7, 200, 0, &req);
	assert_ptr_equal(req.ranges, g_buf + 6);
	expect_rule(ctl(LIST_EX, 0, 1, 0), all_banks, 7, 200, 0, TLBF_HYPERCALL_RULE_VARHDR_MISMATCH);
	/* ALL_PROCESSORS overrides the set, also an empty one. */
	const uint64_t flag_ex[] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0, 0};
	expect_ok(ctl(SPACE_EX, 0, 0, 0), flag_ex, 4, 7, 0, &req);
	assert_int_equal(tlbf_vpset_count(&req.vps), 7);
	const uint64_t flag[] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0};
	expect_ok(ctl(SPACE, 0, 0, 0), flag, 3, 4096, 0, &req);
	assert_int_equal(tlbf_vpset_count(&req.vps), 4096);
	const uint64_t flag_mask[] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 1};
	expect_ok(ctl(SPACE, 0, 0, 0), flag_mask, 3, 100, 0, &req);
	assert_int_equal(tlbf_vpset_count(&req.vps), 100);
}

static void fast_bit(void **state)
{
	(void)state;
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	const uint64_t in[] = {0, 0, 0x3, 0x1000};
	expect_ok(tlbf_hv_control_make(LIST, true, 0, 1, 0), in, 4, 8, 0, &req);
	assert_true(req.fast);
	assert_int_equal(req.range_count, 1);
	/* A fast call whose registers cannot hold the claim: short input. */
	expect_rule(tlbf_hv_control_make(LIST, true, 0, 12, 0), in, 4, 8, 0,
	            TLBF_HYPERCALL_RULE_INPUT_SHORT);
}

static void unknown_call(void **state)
{
	(void)state;
	const uint64_t in[] = {0, 0, 1, 0};
	static const uint16_t codes[] = {0, 1, 4, 0x12, 0x15, 0x8002, 0xffff};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		expect_rule(ctl(codes[i], 0, 0, 0), in, 4, 8, 0, TLBF_HYPERCALL_RULE_UNKNOWN_CALL);
	/* It comes first: reserved bits do not change the answer. */
	expect_rule(ctl(1, 0, 0, 0) | (UINT64_C(1) << 63), in, 4, 8, 0, TLBF_HYPERCALL_RULE_UNKNOWN_CALL);
}

static void control_reserved(void **state)
{
	(void)state;
	const uint64_t in[] = {0, 0, 1};
	static const unsigned bits[] = {27, 28, 31, 44, 47, 60, 63};
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		expect_rule(ctl(SPACE, 0, 0, 0) | (UINT64_C(1) << bits[i]), in, 3, 8, 0,
		            TLBF_HYPERCALL_RULE_CONTROL_RESERVED);
}

static void rep_rules(void **state)
{
	(void)state;
	const uint64_t in[] = {0, 0, 1, 0x1000, 0x2000, 0x3000, 0x4000};
	expect_rule(ctl(SPACE, 0, 1, 0), in, 4, 8, 0, TLBF_HYPERCALL_RULE_REP_ON_SIMPLE_CALL);
	expect_rule(ctl(SPACE, 0, 0, 1), in, 4, 8, 0, TLBF_HYPERCALL_RULE_REP_ON_SIMPLE_CALL);
	const uint64_t inx[] = {0, 0, 0, 1, 1};
	expect_rule(ctl(SPACE_EX, 1, 2, 0), inx, 5, 8, 0, TLBF_HYPERCALL_RULE_REP_ON_SIMPLE_CALL);
	expect_rule(ctl(LIST, 0, 0, 0), in, 7, 8, 0, TLBF_HYPERCALL_RULE_REP_START);
	expect_rule(ctl(LIST, 0, 2, 2), in, 7, 8, 0, TLBF_HYPERCALL_RULE_REP_START);
	expect_rule(ctl(LIST, 0, 2, 3), in, 7, 8, 0, TLBF_HYPERCALL_RULE_REP_START);
	expect_rule(ctl(LIST_EX, 0, 1, 4095), in, 7, 8, 0, TLBF_HYPERCALL_RULE_REP_START);
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	expect_ok(ctl(LIST, 0, 2, 1), in, 5, 8, 0, &req);
}

static void varhdr_not_ex(void **state)
{
	(void)state;
	const uint64_t in[] = {0, 0, 1, 0x1000, 0x2000};
	expect_rule(ctl(SPACE, 1, 0, 0), in, 5, 8, 0, TLBF_HYPERCALL_RULE_VARHDR_NOT_EX);
	expect_rule(ctl(LIST, 1, 1, 0), in, 5, 8, 0, TLBF_HYPERCALL_RULE_VARHDR_NOT_EX);
}

static void over_page(void **state)
{
	(void)state;
	static uint64_t in[513];
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	memset(in, 0, sizeof(in));
	in[2] = 1;
	/* non-Ex List: 3 header words + 509 ranges = 4096 bytes. */
	expect_ok(ctl(LIST, 0, 509, 0), in, 512, 8, 0, &req);
	assert_int_equal(req.range_count, 509);
	expect_rule(ctl(LIST, 0, 510, 0), in, 513, 8, 0, TLBF_HYPERCALL_RULE_OVER_PAGE);
	expect_rule(ctl(LIST, 0, 4095, 0), in, 513, 8, 0, TLBF_HYPERCALL_RULE_OVER_PAGE);
	/* ListEx with one bank: 4 + 1 + 507 words. */
	in[2] = 0;
	in[3] = 1;
	in[4] = 1;
	expect_ok(ctl(LIST_EX, 1, 507, 0), in, 512, 8, 0, &req);
	expect_rule(ctl(LIST_EX, 1, 508, 0), in, 513, 8, 0, TLBF_HYPERCALL_RULE_OVER_PAGE);
	expect_rule(ctl(SPACE_EX, 1023, 0, 0), in, 513, 8, 0, TLBF_HYPERCALL_RULE_OVER_PAGE);
}

static void misaligned(void **state)
{
	(void)state;
	static uint64_t store[8];
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	enum tlbf_hypercall_rule r;
	store[2] = 1;
	for (unsigned off = 1; off < 8; off++) {
		const unsigned char *p = (const unsigned char *)store + off;
		assert_int_equal(tlbf_hypercall_decode(ctl(SPACE, 0, 0, 0), p, 40, 8, 0, &req, &r),
		                 TLBF_HV_STATUS_INVALID_ALIGNMENT);
		assert_int_equal(r, TLBF_HYPERCALL_RULE_MISALIGNED);
		/* Comes before the length rule. */
		assert_int_equal(tlbf_hypercall_decode(ctl(SPACE, 0, 0, 0), p, 1, 8, 0, &req, &r),
		                 TLBF_HV_STATUS_INVALID_ALIGNMENT);
	}
	/* rule pointer may be NULL */
	assert_int_equal(tlbf_hypercall_decode(ctl(SPACE, 0, 0, 0), store, 24, 8, 0, &req, NULL),
	                 TLBF_HV_STATUS_SUCCESS);
}

static void input_short(void **state)
{
	(void)state;
	const uint64_t in[] = {0, 0, 0, 0x5, 0x21, 0x4, 0x1000, 0x2000};
	/* Every prefix shorter than header + banks + reps is refused. */
	for (size_t n = 0; n < 8; n++)
		expect_rule(ctl(LIST_EX, 2, 2, 0), in, n, 8, 0, TLBF_HYPERCALL_RULE_INPUT_SHORT);
	for (size_t n = 0; n < 3; n++)
		expect_rule(ctl(SPACE, 0, 0, 0), in, n, 8, 0, TLBF_HYPERCALL_RULE_INPUT_SHORT);
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	enum tlbf_hypercall_rule r;
	assert_int_equal(tlbf_hypercall_decode(ctl(SPACE, 0, 0, 0), NULL, 0, 8, 0, &req, &r),
	                 TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(r, TLBF_HYPERCALL_RULE_INPUT_SHORT);
	/* Byte lengths that are not a multiple of 8 count down. */
	static uint64_t store[4] = {0, 0, 1, 0};
	assert_int_equal(tlbf_hypercall_decode(ctl(SPACE, 0, 0, 0), store, 23, 8, 0, &req, &r),
	                 TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(tlbf_hypercall_decode(ctl(SPACE, 0, 0, 0), store, 25, 8, 0, &req, &r),
	                 TLBF_HV_STATUS_SUCCESS);
}

static void flags_reserved(void **state)
{
	(void)state;
	static const unsigned bits[] = {5, 6, 7, 10, 11, 31, 63};
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		const uint64_t in[] = {0, UINT64_C(1) << bits[i], 1, 0x1000};
		expect_rule(ctl(SPACE, 0, 0, 0), in, 3, 8, 0, TLBF_HYPERCALL_RULE_FLAGS_RESERVED);
		expect_rule(ctl(LIST, 0, 1, 0), in, 4, 8, 0, TLBF_HYPERCALL_RULE_FLAGS_RESERVED);
	}
}

static void flag_not_allowed(void **state)
{
	(void)state;
	const uint64_t ext[] = {0, TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT, 0, 1, 1};
	expect_rule(ctl(SPACE, 0, 0, 0), ext, 3, 8, 0, TLBF_HYPERCALL_RULE_FLAG_NOT_ALLOWED);
	expect_rule(ctl(SPACE_EX, 1, 0, 0), ext, 5, 8, 0, TLBF_HYPERCALL_RULE_FLAG_NOT_ALLOWED);
	const uint64_t ng[] = {0, TLBF_HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY, 0, 1, 1, 0x1000};
	expect_rule(ctl(LIST, 0, 1, 0), ng, 4, 8, 0, TLBF_HYPERCALL_RULE_FLAG_NOT_ALLOWED);
	expect_rule(ctl(LIST_EX, 1, 1, 0), ng, 6, 8, 0, TLBF_HYPERCALL_RULE_FLAG_NOT_ALLOWED);
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	const uint64_t ok[] = {0,
	                       TLBF_HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES |
	                               TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT,
	                       0, 1, 1, 0x1000};
	expect_ok(ctl(LIST_EX, 1, 1, 0), ok, 6, 8, 0, &req);
	assert_true(req.extended);
}

static void target_vtl(void **state)
{
	(void)state;
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	const uint64_t use = TLBF_HV_FLUSH_USE_TARGET_VTL;
	const uint64_t v0 = TLBF_HV_FLUSH_TARGET_VTL0, v1 = TLBF_HV_FLUSH_TARGET_VTL1;
	uint64_t in[3] = {0, 0, 1};
	/* Form. */
	in[1] = v0;
	expect_rule(ctl(SPACE, 0, 0, 0), in, 3, 8, 1, TLBF_HYPERCALL_RULE_TARGET_VTL_FORM);
	in[1] = v1;
	expect_rule(ctl(SPACE, 0, 0, 0), in, 3, 8, 1, TLBF_HYPERCALL_RULE_TARGET_VTL_FORM);
	in[1] = use;
	expect_rule(ctl(SPACE, 0, 0, 0), in, 3, 8, 1, TLBF_HYPERCALL_RULE_TARGET_VTL_FORM);
	in[1] = use | v0 | v1;
	expect_rule(ctl(SPACE, 0, 0, 0), in, 3, 8, 1, TLBF_HYPERCALL_RULE_TARGET_VTL_FORM);
	/* Higher than the caller. */
	in[1] = use | v1;
	expect_rule(ctl(SPACE, 0, 0, 0), in, 3, 8, 0, TLBF_HYPERCALL_RULE_TARGET_VTL_HIGHER);
	/* Same or lower. */
	expect_ok(ctl(SPACE, 0, 0, 0), in, 3, 8, 1, &req);
	assert_int_equal(req.target_vtl, 1);
	in[1] = use | v0;
	expect_ok(ctl(SPACE, 0, 0, 0), in, 3, 8, 1, &req);
	assert_int_equal(req.target_vtl, 0);
	expect_ok(ctl(SPACE, 0, 0, 0), in, 3, 8, 0, &req);
	assert_int_equal(req.target_vtl, 0);
	in[1] = 0;
	expect_ok(ctl(SPACE, 0, 0, 0), in, 3, 8, 1, &req);
	assert_int_equal(req.target_vtl, 1);
	/* A caller VTL the library does not track. */
	expect_rule(ctl(SPACE, 0, 0, 0), in, 3, 8, 2, TLBF_HYPERCALL_RULE_VTL_UNSUPPORTED);
	in[1] = use | v0;
	expect_rule(ctl(SPACE, 0, 0, 0), in, 3, 8, 5, TLBF_HYPERCALL_RULE_VTL_UNSUPPORTED);
}

static void set_format(void **state)
{
	(void)state;
	const uint64_t in[] = {0, 0, 2, 0};
	expect_rule(ctl(SPACE_EX, 0, 0, 0), in, 4, 8, 0, TLBF_HYPERCALL_RULE_SET_FORMAT);
	const uint64_t in2[] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, UINT64_MAX, 0};
	expect_rule(ctl(SPACE_EX, 0, 0, 0), in2, 4, 8, 0, TLBF_HYPERCALL_RULE_SET_FORMAT);
}

static void varhdr_mismatch(void **state)
{
	(void)state;
	const uint64_t in[] = {0, 0, 0, 0x5, 0x21, 0x4, 0x1000, 0x2000};
	expect_rule(ctl(SPACE_EX, 1, 0, 0), in, 8, 8, 0, TLBF_HYPERCALL_RULE_VARHDR_MISMATCH);
	expect_rule(ctl(SPACE_EX, 3, 0, 0), in, 8, 8, 0, TLBF_HYPERCALL_RULE_VARHDR_MISMATCH);
	expect_rule(ctl(SPACE_EX, 0, 0, 0), in, 8, 8, 0, TLBF_HYPERCALL_RULE_VARHDR_MISMATCH);
	expect_rule(ctl(LIST_EX, 3, 1, 0), in, 8, 8, 0, TLBF_HYPERCALL_RULE_VARHDR_MISMATCH);
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	expect_ok(ctl(SPACE_EX, 2, 0, 0), in, 6, 8, 0, &req);
	/* A mask of 64 banks needs 64 bank words. */
	static uint64_t big[4 + 64];
	big[3] = UINT64_MAX;
	expect_rule(ctl(SPACE_EX, 63, 0, 0), big, 68, 4096, 0, TLBF_HYPERCALL_RULE_VARHDR_MISMATCH);
	big[4 + 63] = UINT64_C(1) << 63;
	expect_ok(ctl(SPACE_EX, 64, 0, 0), big, 68, 4096, 0, &req);
	assert_int_equal(tlbf_vpset_count(&req.vps), 1);
	assert_true(tlbf_vpset_contains(&req.vps, 4095));
}

/* What deployed guests send: a legacy call with processor_mask 0 and no
 * ALL_PROCESSORS flushes every VP (Windows Server 2012 expects it, KVM does
 * it); an Ex call with no bank is a successful call with no target. */
static void empty_sets_as_guests_send_them(void **state)
{
	(void)state;
	const uint64_t in[] = {0, 0, 0, 0, 0x1000};
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	expect_ok(ctl(SPACE, 0, 0, 0), in, 3, 8, 0, &req);
	assert_int_equal(tlbf__vpset_kind(&req.vps), TLBF_VPSET_KIND_ALL);
	assert_int_equal(tlbf_vpset_count(&req.vps), 8);
	expect_ok(ctl(LIST, 0, 1, 0), in, 4, 200, 0, &req);
	assert_int_equal(tlbf_vpset_count(&req.vps), 200);
	assert_int_equal(req.range_count, 1);
	expect_ok(ctl(SPACE_EX, 0, 0, 0), in, 4, 8, 0, &req);
	assert_false(tlbf__vpset_may_contain(&req.vps));
	assert_true(tlbf_vpset_empty(&req.vps));
	expect_ok(ctl(LIST_EX, 0, 1, 0), in, 5, 8, 0, &req);
	assert_false(tlbf__vpset_may_contain(&req.vps));
	/* A bank mask with zero bank words, or VPs the partition does not
	 * have, decodes to a set with no member. */
	const uint64_t zero_bank[] = {0, 0, 0, 0x1, 0};
	expect_ok(ctl(SPACE_EX, 1, 0, 0), zero_bank, 5, 8, 0, &req);
	assert_true(tlbf_vpset_empty(&req.vps));
	const uint64_t absent[] = {0, 0, UINT64_C(1) << 40};
	expect_ok(ctl(SPACE, 0, 0, 0), absent, 3, 8, 0, &req);
	assert_true(tlbf_vpset_empty(&req.vps));
}

/* A VP count the build cannot represent is refused, never clamped. */
static void vp_count_refused(void **state)
{
	(void)state;
	const uint64_t in[] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0};
	expect_rule(ctl(SPACE, 0, 0, 0), in, 3, 0, 0, TLBF_HYPERCALL_RULE_VP_COUNT);
	expect_rule(ctl(SPACE, 0, 0, 0), in, 3, TLBF_MAX_VPS + 1, 0, TLBF_HYPERCALL_RULE_VP_COUNT);
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	expect_ok(ctl(SPACE, 0, 0, 0), in, 3, TLBF_MAX_VPS, 0, &req);
	assert_int_equal(tlbf_vpset_count(&req.vps), TLBF_MAX_VPS);
}

/* One input breaking many rules: fixing them one by one walks the order. */
static void rule_order(void **state)
{
	(void)state;
	uint64_t in[8] = {0, UINT64_C(1) << 5, 7, 0, 0, 0, 0, 0};
	uint64_t c = ctl(SPACE_EX, 0, 0, 0) | (UINT64_C(1) << 30) | (UINT64_C(1) << 32);
	expect_rule(c, in, 8, 8, 0, TLBF_HYPERCALL_RULE_CONTROL_RESERVED);
	c &= ~(UINT64_C(1) << 30);
	expect_rule(c, in, 8, 8, 0, TLBF_HYPERCALL_RULE_REP_ON_SIMPLE_CALL);
	c &= ~TLBF_HV_CONTROL_REP_COUNT_MASK;
	expect_rule(c, in, 3, 8, 0, TLBF_HYPERCALL_RULE_INPUT_SHORT);
	expect_rule(c, in, 8, 8, 0, TLBF_HYPERCALL_RULE_FLAGS_RESERVED);
	in[1] = TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT | TLBF_HV_FLUSH_TARGET_VTL1;
	expect_rule(c, in, 8, 8, 0, TLBF_HYPERCALL_RULE_FLAG_NOT_ALLOWED);
	in[1] = TLBF_HV_FLUSH_TARGET_VTL1;
	expect_rule(c, in, 8, 8, 0, TLBF_HYPERCALL_RULE_TARGET_VTL_FORM);
	in[1] = TLBF_HV_FLUSH_USE_TARGET_VTL | TLBF_HV_FLUSH_TARGET_VTL1;
	expect_rule(c, in, 8, 8, 0, TLBF_HYPERCALL_RULE_TARGET_VTL_HIGHER);
	in[1] = 0;
	expect_rule(c, in, 8, 8, 0, TLBF_HYPERCALL_RULE_SET_FORMAT);
	in[2] = 0;
	in[3] = 0x3;
	expect_rule(c, in, 8, 8, 0, TLBF_HYPERCALL_RULE_VARHDR_MISMATCH);
	in[3] = 0;
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	expect_ok(c, in, 8, 8, 0, &req);
	assert_false(tlbf__vpset_may_contain(&req.vps));
	in[1] = TLBF_HV_FLUSH_ALL_PROCESSORS;
	expect_ok(c, in, 8, 8, 0, &req);
	assert_true(tlbf__vpset_may_contain(&req.vps));
	expect_rule(c, in, 8, 0, 0, TLBF_HYPERCALL_RULE_VP_COUNT);
}

/* Push @n ranges into a fresh ring: how the one promotion rule (the push's
 * classification of each range it reads) records them. */
static enum tlbf_push_result push_fresh(const uint64_t *r, uint32_t n, bool extended)
{
	static struct tlbf_ring ring;
	tlbf_ring_init(&ring);
	return tlbf_ring_push(&ring, r, n, extended).result;
}

static void range_promotion(void **state)
{
	(void)state;
	uint64_t r[TLBF_RING_CAPACITY + 1];
	for (unsigned i = 0; i < TLBF_RING_CAPACITY + 1; i++)
		r[i] = tlbf_hv_gva_make(0x1000 + i, i);
	assert_int_equal(push_fresh(r, TLBF_RING_CAPACITY, false), TLBF_PUSH_RESULT_LISTED);
	assert_int_equal(push_fresh(r, TLBF_RING_CAPACITY + 1, false), TLBF_PUSH_RESULT_PROMOTED);
	assert_int_equal(push_fresh(r, 0, false), TLBF_PUSH_RESULT_EMPTY);

	/* Bit 11 is a page count bit in the simple format, large_page in
	 * the extended one. */
	r[2] = (UINT64_C(0x200) << 12) | TLBF_GVA_EXT_LARGE_PAGE;
	assert_int_equal(tlbf_hv_range_classify(r[2], false), TLBF_HV_RANGE_LISTABLE);
	assert_int_equal(push_fresh(r, 5, false), TLBF_PUSH_RESULT_LISTED);
	assert_int_equal(tlbf_hv_range_classify(r[2], true), TLBF_HV_RANGE_LARGE_PAGE);
	assert_int_equal(push_fresh(r, 5, true), TLBF_PUSH_RESULT_PROMOTED);

	r[2] = tlbf_hv_gva_make(0x1002, 2);
	r[1] = tlbf_hv_gva_make(TLBF_GVA_MAX_PAGE, 1);
	assert_int_equal(tlbf_hv_range_classify(r[1], true), TLBF_HV_RANGE_PAST_TOP);
	assert_int_equal(push_fresh(r, 5, true), TLBF_PUSH_RESULT_PROMOTED);

	r[1] = tlbf_hv_gva_make(0x1001, 1);
	r[0] = tlbf_hv_gva_make(UINT64_C(1) << 40, 0);
	assert_int_equal(tlbf_hv_range_classify(r[0], false), TLBF_HV_RANGE_NON_CANONICAL);
	assert_int_equal(push_fresh(r, 5, false), TLBF_PUSH_RESULT_PROMOTED);

	/* On a decoded request, from rep start on. */
	const uint64_t in[] = {0, TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT, 1,
	                       TLBF_GVA_EXT_LARGE_PAGE, 0x5000, 0x6000};
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	expect_ok(ctl(LIST, 0, 3, 0), in, 6, 8, 0, &req);
	assert_int_equal(push_fresh(req.ranges, req.range_count, req.extended), TLBF_PUSH_RESULT_PROMOTED);
	expect_ok(ctl(LIST, 0, 3, 1), in, 6, 8, 0, &req);
	assert_int_equal(push_fresh(req.ranges, req.range_count, req.extended), TLBF_PUSH_RESULT_LISTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(rule_statuses, teardown),
		cmocka_unit_test_teardown(space_ok, teardown),
		cmocka_unit_test_teardown(list_ok_rep_start, teardown),
		cmocka_unit_test_teardown(list_ex_tlfs_set, teardown),
		cmocka_unit_test_teardown(ex_all_format_and_flag, teardown),
		cmocka_unit_test_teardown(fast_bit, teardown),
		cmocka_unit_test_teardown(unknown_call, teardown),
		cmocka_unit_test_teardown(control_reserved, teardown),
		cmocka_unit_test_teardown(rep_rules, teardown),
		cmocka_unit_test_teardown(varhdr_not_ex, teardown),
		cmocka_unit_test_teardown(over_page, teardown),
		cmocka_unit_test_teardown(misaligned, teardown),
		cmocka_unit_test_teardown(input_short, teardown),
		cmocka_unit_test_teardown(flags_reserved, teardown),
		cmocka_unit_test_teardown(flag_not_allowed, teardown),
		cmocka_unit_test_teardown(target_vtl, teardown),
		cmocka_unit_test_teardown(set_format, teardown),
		cmocka_unit_test_teardown(varhdr_mismatch, teardown),
		cmocka_unit_test_teardown(empty_sets_as_guests_send_them, teardown),
		cmocka_unit_test_teardown(vp_count_refused, teardown),
		cmocka_unit_test_teardown(rule_order, teardown),
		cmocka_unit_test_teardown(range_promotion, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
