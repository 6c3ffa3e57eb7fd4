/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the VP-set view (tlbflush/vpset.h).
 *
 * Input: 2 bytes VP count (little endian, taken modulo 4097), 2 bytes the
 * bound for tlbf__vpset_limit(), then the HV_VP_SET words (format,
 * valid_bank_mask, banks). The words go to a heap buffer of exactly their
 * size, so ASan reports any read past them.
 *
 * Invariants checked on every parsed set: every member is below the VP
 * count; membership agrees with iteration and with a reference model;
 * iteration is strictly ascending; count and emptiness agree with
 * iteration; the kick mask equals the member set; a predicate sees every
 * member once in ascending order; limiting never adds members.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlbflush/tlbflush.h"

#include "fuzz_common.h"

/*
 * Reference model: materialise the set the obvious way (walk the mask bit
 * by bit, banks stored in ascending order), independently of the view.
 */
NO_COVERAGE static void ref_members(const uint64_t *w, uint32_t vp_count, uint8_t *ref)
{
	memset(ref, 0, 4096 + 64);
	uint32_t n = vp_count < 4096 ? vp_count : 4096;
	if (w[0] == TLBF_HV_GENERIC_SET_ALL) {
		memset(ref, 1, n);
		return;
	}
	unsigned idx = 0;
	for (unsigned bank = 0; bank < 64; bank++) {
		if (!((w[1] >> bank) & 1))
			continue;
		uint64_t word = w[2 + idx++];
		for (unsigned bit = 0; bit < 64; bit++)
			if (((word >> bit) & 1) && bank * 64 + bit < n)
				ref[bank * 64 + bit] = 1;
	}
}

struct seen {
	uint32_t n;
	uint32_t last;
	bool ascending;
};

static bool odd_vps(void *ctx, uint32_t vp)
{
	struct seen *s = (struct seen *)ctx;
	if (s->n && vp <= s->last)
		s->ascending = false;
	s->last = vp;
	s->n++;
	return vp & 1;
}

NO_COVERAGE static void check_view(const struct tlbf_vpset *s, const uint64_t *w, uint32_t bound)
{
	static uint8_t member[4096 + 64], ref[4096 + 64];
	memset(member, 0, sizeof(member));
	ref_members(w, bound, ref);
	struct tlbf_vpset_iter it;
	tlbf_vpset_iter_init(&it, s);
	uint32_t vp, n = 0, prev = 0;
	while (tlbf_vpset_iter_next(&it, &vp)) {
		CHECK(vp < tlbf__vpset_vp_count(s));
		CHECK(n == 0 || vp > prev);
		member[vp] = 1;
		prev = vp;
		n++;
	}
	/* No member at or above the bound (iteration checked that), so
	 * membership is probed up to one bank beyond it and at far points. */
	uint32_t probe = tlbf__vpset_vp_count(s) + 64;
	for (uint32_t v = 0; v < 4096 + 64; v++)
		CHECK(member[v] == ref[v]);
	for (uint32_t v = 0; v < probe; v++)
		CHECK(tlbf_vpset_contains(s, v) == (member[v] != 0));
	CHECK(!tlbf_vpset_contains(s, 4096) && !tlbf_vpset_contains(s, UINT32_MAX));
	CHECK(tlbf_vpset_count(s) == n);
	CHECK(tlbf_vpset_empty(s) == (n == 0));

	uint64_t mask[64];
	uint32_t sel = 0;
	CHECK(tlbf_vpset_write_mask(s, NULL, NULL, mask, 64, &sel) == TLBF_STATUS_OK);
	CHECK(sel == n);
	for (uint32_t v = 0; v < 4096; v++)
		CHECK(((mask[v / 64] >> (v % 64)) & 1) == member[v]);
	struct seen seen = {0, 0, true};
	CHECK(tlbf_vpset_write_mask(s, odd_vps, &seen, mask, 64, &sel) == TLBF_STATUS_OK);
	CHECK(seen.n == n && seen.ascending);
	for (uint32_t v = 0; v < 4096; v++)
		CHECK(((mask[v / 64] >> (v % 64)) & 1) == (member[v] && (v & 1)));
	if (tlbf_vpset_mask_words(s) > 0)
		CHECK(TLBF_STATUS_BAD_STORAGE == tlbf_vpset_write_mask(s, NULL, NULL, mask, tlbf_vpset_mask_words(s) - 1,
		                             NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	uint32_t vp_count = (uint32_t)(data[0] | data[1] << 8) % 4097u;
	uint32_t bound = (uint32_t)(data[2] | data[3] << 8) % 4097u;
	size_t words = (size - 4) / 8;
	uint64_t *w = (uint64_t *)malloc(words ? words * 8 : 8);
	CHECK(w);
	if (words)
		memcpy(w, data + 4, words * 8);

	struct tlbf_vpset s;
	enum tlbf_hv_status st = tlbf_vpset_parse(&s, w, words, vp_count);
	if (words < 2) {
		CHECK(st == TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	} else if (w[0] > 1) {
		CHECK(st == TLBF_HV_STATUS_INVALID_PARAMETER);
	} else if (words - 2 < (size_t)__builtin_popcountll(w[1])) {
		CHECK(st == TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	} else {
		CHECK(st == TLBF_HV_STATUS_SUCCESS);
		CHECK(tlbf__vpset_vp_count(&s) == vp_count);
		check_view(&s, w, vp_count);
		uint32_t before = tlbf_vpset_count(&s);
		tlbf__vpset_limit(&s, bound);
		CHECK(tlbf_vpset_count(&s) <= before);
		check_view(&s, w, bound < vp_count ? bound : vp_count);
	}
	free(w);

	/* The other two constructors, on the first word as a mask. */
	uint64_t pm = 0;
	memcpy(&pm, data + 4, size - 4 < 8 ? size - 4 : 8);
	const uint64_t as_set[3] = {0, 1, pm};
	tlbf_vpset_init_mask(&s, pm, vp_count);
	check_view(&s, as_set, vp_count);
	const uint64_t all[2] = {TLBF_HV_GENERIC_SET_ALL, 0};
	tlbf_vpset_init_all(&s, bound);
	check_view(&s, all, bound);
	CHECK(tlbf_vpset_count(&s) == bound);
	return 0;
}
