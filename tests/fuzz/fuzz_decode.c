/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the whole flush-hypercall decoder (tlbflush/hypercall.h).
 *
 * Input: 8 bytes control value, 2 bytes VP count (modulo 4097), 1 byte
 * caller VTL (low 2 bits), 1 byte misalignment (low 3 bits), then the
 * hypercall input bytes. The input is copied to a heap buffer that ends
 * exactly where the input ends (ASan reports any read past it), placed at
 * the given misalignment when bit 7 of that byte is set.
 *
 * Invariants: the status is the status of the rule reported; success has
 * rule OK; on success every VP-set member is below the VP count, membership
 * agrees with iteration, count agrees with iteration; the ranges pointer
 * and count lie within the input buffer and start at rep start; List calls
 * have at least one range, Space calls none; the target VTL is at most the
 * caller's; ALL_PROCESSORS gives an ALL set; the range policy's index is
 * within the ranges. Failure leaves the request untouched.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlbflush/tlbflush.h"

#include "fuzz_common.h"

/* Iteration, membership, count and emptiness agree; members < VP count. */
NO_COVERAGE static void check_set(const struct tlbf_vpset *s, uint32_t vp_count)
{
	static uint8_t member[4096 + 64];
	memset(member, 0, sizeof(member));
	struct tlbf_vpset_iter it;
	tlbf_vpset_iter_init(&it, s);
	uint32_t vp, n = 0, prev = 0;
	while (tlbf_vpset_iter_next(&it, &vp)) {
		CHECK(vp < vp_count);
		CHECK(n == 0 || vp > prev);
		member[vp] = 1;
		prev = vp;
		n++;
	}
	for (uint32_t v = 0; v < 4096 + 64; v++)
		CHECK(tlbf_vpset_contains(s, v) == (member[v] != 0));
	CHECK(tlbf_vpset_count(s) == n);
	CHECK(tlbf_vpset_empty(s) == (n == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 12)
		return 0;
	uint64_t control;
	memcpy(&control, data, 8);
	uint32_t vp_count = (uint32_t)(data[8] | data[9] << 8) % 4097u;
	unsigned vtl = data[10] & 3u;
	unsigned mis = data[11] & 7u;
	/* Mostly aligned: misalign only when the top bit asks for it. */
	if (!(data[11] & 0x80))
		mis = 0;
	size_t len = size - 12;
	/* malloc returns 8-byte aligned memory; the input ends exactly where
	 * the allocation ends. */
	uint8_t *raw = (uint8_t *)malloc(len + mis ? len + mis : 1);
	CHECK(raw);
	uint8_t *in = raw + mis;
	memcpy(in, data + 12, len);

	struct tlbf_flush_request req, before;
	memset(&req, 0x5a, sizeof(req));
	before = req;
	enum tlbf_hypercall_rule rule = TLBF_HYPERCALL_RULE__COUNT;
	enum tlbf_hv_status st = tlbf_hypercall_decode(control, len ? in : NULL, len, vp_count,
	                                               vtl, &req, &rule);
	CHECK(rule < TLBF_HYPERCALL_RULE__COUNT);
	CHECK(tlbf_hypercall_rule_status(rule) == st);
	CHECK((st == TLBF_HV_STATUS_SUCCESS) == (rule == TLBF_HYPERCALL_RULE_OK));
	CHECK(vp_count != 0 || rule == TLBF_HYPERCALL_RULE_VP_COUNT); /* never clamped */
	if (((uintptr_t)in & 7u) != 0 && len && st == TLBF_HV_STATUS_SUCCESS)
		abort(); /* misaligned input must never decode */

	/* The result value for RAX: the status in bits 0-15, never more reps
	 * completed than the control value asked for (all of them on
	 * success, the rep start clamped otherwise), nothing else set. */
	uint64_t rax = tlbf_hypercall_result(control, st);
	uint64_t reps_asked = (control & TLBF_HV_CONTROL_REP_COUNT_MASK) >> TLBF_HV_CONTROL_REP_COUNT_SHIFT;
	uint64_t rep_start = (control & TLBF_HV_CONTROL_REP_START_MASK) >> TLBF_HV_CONTROL_REP_START_SHIFT;
	CHECK((rax & 0xffffu) == (uint64_t)st);
	CHECK((rax >> 32) <= reps_asked);
	CHECK((rax >> 32) == (st == TLBF_HV_STATUS_SUCCESS ? reps_asked
	                      : rep_start < reps_asked ? rep_start : reps_asked));
	CHECK((rax & UINT64_C(0xffffffffffff0000) & ~(UINT64_C(0xfff) << 32)) == 0);

	if (st != TLBF_HV_STATUS_SUCCESS) {
		CHECK(memcmp(&req, &before, sizeof(req)) == 0);
		free(raw);
		return 0;
	}

	uint64_t code = control & TLBF_HV_CONTROL_CODE_MASK;
	CHECK(tlbf_hypercall_is_flush(code) && req.call == code);
	bool list = code == TLBF_HVCALL_FLUSH_VA_LIST || code == TLBF_HVCALL_FLUSH_VA_LIST_EX;
	CHECK(req.target_vtl <= vtl);
	CHECK((req.flags & TLBF_HV_FLUSH_RESERVED) == 0);

	/* Ranges inside the buffer, from rep start, count = reps - start. */
	const uint64_t *lo = (const uint64_t *)in;
	const uint64_t *hi = (const uint64_t *)(in + len);
	if (list) {
		uint32_t reps = (uint32_t)((control & TLBF_HV_CONTROL_REP_COUNT_MASK) >>
		                           TLBF_HV_CONTROL_REP_COUNT_SHIFT);
		uint32_t start = (uint32_t)((control & TLBF_HV_CONTROL_REP_START_MASK) >>
		                            TLBF_HV_CONTROL_REP_START_SHIFT);
		CHECK(req.kind == TLBF_FLUSH_KIND_LIST);
		CHECK(req.range_count >= 1 && req.range_count == reps - start);
		CHECK(req.ranges >= lo && req.ranges + req.range_count <= hi);
		CHECK((size_t)((const uint8_t *)(req.ranges + req.range_count) - in) <=
		      TLBF_HV_INPUT_PAGE_BYTES);
		/* The one promotion rule: the push classifies each range as
		 * it reads it. Listed means every range went in and a poll
		 * returns them all, each flushable by list. */
		static struct tlbf_ring ring;
		tlbf_ring_init(&ring);
		struct tlbf_cursor cur;
		tlbf_ring_cursor_init(&ring, &cur);
		struct tlbf_push pu = tlbf_ring_push(&ring, req.ranges, req.range_count, req.extended);
		CHECK(pu.result == TLBF_PUSH_RESULT_LISTED || pu.result == TLBF_PUSH_RESULT_PROMOTED);
		CHECK(pu.result == TLBF_PUSH_RESULT_PROMOTED || req.range_count <= TLBF_RING_CAPACITY);
		uint64_t out[TLBF_RING_CAPACITY];
		struct tlbf_poll pl = tlbf_ring_poll(&ring, &cur, out, TLBF_RING_CAPACITY);
		if (pu.result == TLBF_PUSH_RESULT_LISTED)
			CHECK(pl.flags == TLBF_POLL_LIST && pl.count == req.range_count);
		else
			CHECK(pl.flags == TLBF_POLL_ENTIRE);
	} else {
		CHECK(req.kind != TLBF_FLUSH_KIND_LIST && !req.extended);
		CHECK(req.ranges == NULL && req.range_count == 0);
	}

	/* The VP set. */
	const struct tlbf_vpset *s = &req.vps;
	CHECK(tlbf__vpset_vp_count(s) == vp_count);
	if (req.flags & TLBF_HV_FLUSH_ALL_PROCESSORS)
		CHECK(tlbf__vpset_kind(s) == TLBF_VPSET_KIND_ALL && tlbf_vpset_count(s) == vp_count);
	check_set(s, vp_count);
	free(raw);
	return 0;
}
