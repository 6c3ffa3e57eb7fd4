/* SPDX-License-Identifier: MIT */
/* Unit tests of the VP-set view in tlbflush/vpset.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tlbflush/tlbflush.h"

/*
 * Reference model: membership computed the slow, obvious way from the
 * words, independently of the view (walks the mask bit by bit).
 */
static bool ref_member(const uint64_t *set, uint32_t vp_count, uint32_t vp)
{
	if (vp >= vp_count)
		return false;
	if (set[0] == TLBF_HV_GENERIC_SET_ALL)
		return true;
	uint64_t mask = set[1];
	unsigned bank = vp / 64, idx = 0;
	if (!(mask & (UINT64_C(1) << bank)))
		return false;
	for (unsigned b = 0; b < bank; b++)
		if (mask & (UINT64_C(1) << b))
			idx++;
	return (set[2 + idx] >> (vp % 64)) & 1;
}

/* A heap copy of exactly @words words, so that ASan flags any overread. */
static uint64_t *exact_copy(const uint64_t *w, size_t words)
{
	uint64_t *p = malloc(words * sizeof(*p));
	assert_non_null(p);
	memcpy(p, w, words * sizeof(*p));
	return p;
}

/* Every operation of @s against the reference over all 4096 VPs. */
static void check_against_ref(const struct tlbf_vpset *s, const uint64_t *set,
                              uint32_t vp_count)
{
	uint32_t expect = 0;
	for (uint32_t vp = 0; vp < 4096 + 70; vp++) {
		bool m = ref_member(set, vp_count, vp);
		assert_int_equal(tlbf_vpset_contains(s, vp), m);
		expect += m;
	}
	assert_int_equal(tlbf_vpset_count(s), expect);
	assert_int_equal(tlbf_vpset_empty(s), expect == 0);

	struct tlbf_vpset_iter it;
	tlbf_vpset_iter_init(&it, s);
	uint32_t vp, n = 0, prev = 0;
	while (tlbf_vpset_iter_next(&it, &vp)) {
		assert_true(ref_member(set, vp_count, vp));
		if (n)
			assert_true(vp > prev);
		prev = vp;
		n++;
	}
	assert_int_equal(n, expect);
	assert_false(tlbf_vpset_iter_next(&it, &vp));

	uint64_t mask[64];
	uint32_t sel = 12345;
	assert_int_equal(tlbf_vpset_write_mask(s, NULL, NULL, mask, 64, &sel), TLBF_STATUS_OK);
	assert_int_equal(sel, expect);
	for (uint32_t v = 0; v < 4096; v++)
		assert_int_equal((mask[v / 64] >> (v % 64)) & 1, ref_member(set, vp_count, v));
}

static void tlfs_example(void **state)
{
	(void)state;
	/* valid_bank_mask 0x5, banks {0x21, 0x4}: the set {0, 5, 130}. */
	const uint64_t w[] = {TLBF_HV_GENERIC_SET_SPARSE_4K, 0x5, 0x21, 0x4};
	uint64_t *set = exact_copy(w, 4);
	struct tlbf_vpset s;
	memset(&s, 0, sizeof(s));
	assert_int_equal(tlbf_vpset_parse(&s, set, 4, 4096), TLBF_HV_STATUS_SUCCESS);
	assert_int_equal(tlbf__vpset_kind(&s), TLBF_VPSET_KIND_SPARSE_4K);
	for (uint32_t vp = 0; vp < 5000; vp++)
		assert_int_equal(tlbf_vpset_contains(&s, vp), vp == 0 || vp == 5 || vp == 130);
	struct tlbf_vpset_iter it;
	tlbf_vpset_iter_init(&it, &s);
	uint32_t vp;
	assert_true(tlbf_vpset_iter_next(&it, &vp));
	assert_int_equal(vp, 0);
	assert_true(tlbf_vpset_iter_next(&it, &vp));
	assert_int_equal(vp, 5);
	assert_true(tlbf_vpset_iter_next(&it, &vp));
	assert_int_equal(vp, 130);
	assert_false(tlbf_vpset_iter_next(&it, &vp));
	assert_int_equal(tlbf_vpset_count(&s), 3);
	assert_false(tlbf_vpset_empty(&s));
	check_against_ref(&s, set, 4096);
	free(set);
}

static void vp_4095(void **state)
{
	(void)state;
	const uint64_t w[] = {0, UINT64_C(1) << 63, UINT64_C(1) << 63};
	uint64_t *set = exact_copy(w, 3);
	struct tlbf_vpset s;
	memset(&s, 0, sizeof(s));
	assert_int_equal(tlbf_vpset_parse(&s, set, 3, 4096), TLBF_HV_STATUS_SUCCESS);
	assert_true(tlbf_vpset_contains(&s, 4095));
	assert_false(tlbf_vpset_contains(&s, 4094));
	assert_false(tlbf_vpset_contains(&s, 4096));
	assert_false(tlbf_vpset_contains(&s, UINT32_MAX));
	assert_int_equal(tlbf_vpset_count(&s), 1);
	struct tlbf_vpset_iter it;
	tlbf_vpset_iter_init(&it, &s);
	uint32_t vp = 0;
	assert_true(tlbf_vpset_iter_next(&it, &vp));
	assert_int_equal(vp, 4095);
	assert_false(tlbf_vpset_iter_next(&it, &vp));
	/* A partition of 4095 VPs has no VP 4095: ignored, not an error. */
	assert_int_equal(tlbf_vpset_parse(&s, set, 3, 4095), TLBF_HV_STATUS_SUCCESS);
	assert_false(tlbf_vpset_contains(&s, 4095));
	assert_true(tlbf_vpset_empty(&s));
	assert_int_equal(tlbf_vpset_count(&s), 0);
	check_against_ref(&s, set, 4095);
	/* VP counts beyond TLBF_MAX_VPS are clamped, never widen the reach. */
	assert_int_equal(tlbf_vpset_parse(&s, set, 3, UINT32_MAX), TLBF_HV_STATUS_SUCCESS);
	assert_int_equal(tlbf__vpset_vp_count(&s), TLBF_MAX_VPS);
	assert_true(tlbf_vpset_contains(&s, 4095));
	free(set);
}

static void all_64_banks(void **state)
{
	(void)state;
	uint64_t w[66];
	w[0] = TLBF_HV_GENERIC_SET_SPARSE_4K;
	w[1] = UINT64_MAX;
	for (unsigned b = 0; b < 64; b++)
		w[2 + b] = (UINT64_C(1) << b) | (UINT64_C(1) << (63 - b)) |
		           (b % 3 == 0 ? UINT64_C(0xf0f0) : 0);
	uint64_t *set = exact_copy(w, 66);
	struct tlbf_vpset s;
	memset(&s, 0, sizeof(s));
	assert_int_equal(tlbf_vpset_parse(&s, set, 65, 4096),
	                 TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(tlbf_vpset_parse(&s, set, 66, 4096), TLBF_HV_STATUS_SUCCESS);
	check_against_ref(&s, set, 4096);
	assert_true(tlbf_vpset_contains(&s, 64 * 10 + 10));
	assert_true(tlbf_vpset_contains(&s, 64 * 10 + 53));
	assert_false(tlbf_vpset_contains(&s, 64 * 10 + 11));
	/* All words all-ones: every VP. */
	for (unsigned b = 0; b < 64; b++)
		set[2 + b] = UINT64_MAX;
	assert_int_equal(tlbf_vpset_count(&s), 4096);
	check_against_ref(&s, set, 4096);
	free(set);
}

static void small_partition(void **state)
{
	(void)state;
	const uint64_t w[] = {0, 0x5, 0x21, 0x4};
	uint64_t *set = exact_copy(w, 4);
	struct tlbf_vpset s;
	memset(&s, 0, sizeof(s));
	for (uint32_t n = 0; n <= 200; n++) {
		assert_int_equal(tlbf_vpset_parse(&s, set, 4, n), TLBF_HV_STATUS_SUCCESS);
		check_against_ref(&s, set, n);
	}
	assert_int_equal(tlbf_vpset_parse(&s, set, 4, 6), TLBF_HV_STATUS_SUCCESS);
	assert_int_equal(tlbf_vpset_count(&s), 2);
	assert_int_equal(tlbf_vpset_parse(&s, set, 4, 4096), TLBF_HV_STATUS_SUCCESS);
	tlbf__vpset_limit(&s, 131);
	assert_int_equal(tlbf_vpset_count(&s), 3);
	tlbf__vpset_limit(&s, 130);
	assert_int_equal(tlbf_vpset_count(&s), 2);
	assert_false(tlbf_vpset_contains(&s, 130));
	tlbf__vpset_limit(&s, 4096); /* never widens */
	assert_int_equal(tlbf__vpset_vp_count(&s), 130);
	assert_false(tlbf_vpset_contains(&s, 130));
	tlbf__vpset_limit(&s, 1);
	assert_int_equal(tlbf_vpset_count(&s), 1);
	tlbf__vpset_limit(&s, 0);
	assert_true(tlbf_vpset_empty(&s));
	free(set);
}

static void all_and_mask64(void **state)
{
	(void)state;
	struct tlbf_vpset s;
	memset(&s, 0, sizeof(s));
	const uint64_t all[] = {TLBF_HV_GENERIC_SET_ALL, 0};
	for (uint32_t n = 0; n <= 4096; n += (n < 140 ? 1 : 397)) {
		tlbf_vpset_init_all(&s, n);
		assert_int_equal(tlbf__vpset_kind(&s), TLBF_VPSET_KIND_ALL);
		assert_int_equal(tlbf_vpset_count(&s), n);
		check_against_ref(&s, all, n);
	}
	/* An ALL set ignores the mask but occupies its banks. */
	const uint64_t w[] = {TLBF_HV_GENERIC_SET_ALL, 0x3, 0, 0};
	uint64_t *set = exact_copy(w, 4);
	assert_int_equal(tlbf_vpset_parse(&s, set, 3, 70),
	                 TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(tlbf_vpset_parse(&s, set, 4, 70), TLBF_HV_STATUS_SUCCESS);
	assert_int_equal(tlbf__vpset_kind(&s), TLBF_VPSET_KIND_ALL);
	assert_int_equal(tlbf_vpset_count(&s), 70);
	free(set);

	const uint64_t pm = UINT64_C(0x8000000000000051);
	const uint64_t as_set[] = {0, 1, pm};
	for (uint32_t n = 0; n <= 130; n++) {
		tlbf_vpset_init_mask(&s, pm, n);
		assert_int_equal(tlbf__vpset_kind(&s), TLBF_VPSET_KIND_MASK64);
		check_against_ref(&s, as_set, n);
	}
	tlbf_vpset_init_mask(&s, pm, 7);
	assert_int_equal(tlbf_vpset_count(&s), 3); /* 0, 4, 6 */
	tlbf_vpset_init_mask(&s, 0, 64);
	assert_true(tlbf_vpset_empty(&s));
}

static void parse_errors(void **state)
{
	(void)state;
	struct tlbf_vpset s;
	memset(&s, 0xa5, sizeof(s));
	struct tlbf_vpset before = s;
	const uint64_t bad_format[] = {2, 0};
	const uint64_t huge_format[] = {UINT64_MAX, 0};
	const uint64_t short_banks[] = {0, 0x7, 1, 2};
	assert_int_equal(tlbf_vpset_parse(&s, bad_format, 1, 64),
	                 TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(tlbf_vpset_parse(&s, bad_format, 0, 64),
	                 TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(tlbf_vpset_parse(&s, bad_format, 2, 64), TLBF_HV_STATUS_INVALID_PARAMETER);
	assert_int_equal(tlbf_vpset_parse(&s, huge_format, 2, 64), TLBF_HV_STATUS_INVALID_PARAMETER);
	assert_int_equal(tlbf_vpset_parse(&s, short_banks, 4, 64),
	                 TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	/* Failure leaves the view untouched. */
	assert_memory_equal(&s, &before, sizeof(s));
	/* Empty sparse set is valid at this level. */
	const uint64_t empty[] = {0, 0};
	assert_int_equal(tlbf_vpset_parse(&s, empty, 2, 64), TLBF_HV_STATUS_SUCCESS);
	assert_true(tlbf_vpset_empty(&s));
	check_against_ref(&s, empty, 64);
}

struct pred_ctx {
	uint32_t calls;
	uint32_t last;
	bool ascending;
};

static bool even_only(void *ctx, uint32_t vp)
{
	struct pred_ctx *c = (struct pred_ctx *)ctx;
	if (c->calls && vp <= c->last)
		c->ascending = false;
	c->last = vp;
	c->calls++;
	return (vp & 1) == 0;
}

static void kick_mask(void **state)
{
	(void)state;
	/* Banks 0, 2, 63: members 0,1,5 / 128,130,131 / 4032,4095. */
	const uint64_t w[] = {0, 0x8000000000000005, 0x23, 0xd, 0x8000000000000001};
	uint64_t *set = exact_copy(w, 5);
	struct tlbf_vpset s;
	memset(&s, 0, sizeof(s));
	assert_int_equal(tlbf_vpset_parse(&s, set, 5, 4096), TLBF_HV_STATUS_SUCCESS);
	assert_int_equal(tlbf_vpset_count(&s), 8);

	uint64_t mask[64];
	for (unsigned i = 0; i < 64; i++)
		mask[i] = UINT64_MAX; /* must be cleared */
	struct pred_ctx c = {0, 0, true};
	uint32_t sel = 0;
	assert_int_equal(tlbf_vpset_write_mask(&s, even_only, &c, mask, 64, &sel), TLBF_STATUS_OK);
	assert_int_equal(c.calls, 8);
	assert_true(c.ascending);
	assert_int_equal(sel, 4); /* 0, 128, 130, 4032 */
	assert_true(mask[0] == 1 && mask[2] == 5 && mask[63] == 1 && mask[1] == 0);
	free(set);
}

static void kick_mask_values(void **state)
{
	(void)state;
	const uint64_t w[] = {0, 0x8000000000000005, 0x23, 0xd, 0x8000000000000001};
	struct tlbf_vpset s;
	memset(&s, 0, sizeof(s));
	assert_int_equal(tlbf_vpset_parse(&s, w, 5, 4096), TLBF_HV_STATUS_SUCCESS);
	uint64_t mask[64];
	struct pred_ctx c = {0, 0, true};
	uint32_t sel = 0;
	assert_int_equal(tlbf_vpset_write_mask(&s, even_only, &c, mask, 64, &sel), TLBF_STATUS_OK);
	/* Members: bank0 0x23 -> 0,1,5; bank2 0xd -> 128,130,131;
	 * bank63 bit 0 and 63 -> 4032, 4095. Even: 0, 128, 130, 4032. */
	assert_int_equal(sel, 4);
	for (unsigned i = 0; i < 64; i++) {
		uint64_t expect = i == 0 ? 0x1 : i == 2 ? 0x5 : i == 63 ? 0x1 : 0;
		assert_true(mask[i] == expect);
	}
	/* Too small a mask: refused, nothing written. */
	for (unsigned i = 0; i < 64; i++)
		mask[i] = 7;
	assert_int_equal(tlbf_vpset_mask_words(&s), 64);
	assert_int_equal(tlbf_vpset_write_mask(&s, NULL, NULL, mask, 63, &sel), TLBF_STATUS_BAD_STORAGE);
	for (unsigned i = 0; i < 64; i++)
		assert_true(mask[i] == 7);
	/* A smaller partition needs fewer words and drops absent VPs. */
	tlbf__vpset_limit(&s, 130);
	assert_int_equal(tlbf_vpset_mask_words(&s), 3);
	assert_int_equal(tlbf_vpset_write_mask(&s, NULL, NULL, mask, 3, &sel), TLBF_STATUS_OK);
	assert_int_equal(sel, 4); /* 0, 1, 5, 128 */
	assert_true(mask[0] == 0x23 && mask[1] == 0 && mask[2] == 0x1);
	/* Words beyond the needed ones are cleared too. */
	assert_int_equal(tlbf_vpset_write_mask(&s, NULL, NULL, mask, 5, NULL), TLBF_STATUS_OK);
	assert_true(mask[3] == 0 && mask[4] == 0);
}

/*
 * The guest rewrites a bank word between two operations: membership may
 * change, reads stay inside the buffer (exact size: ASan would catch an
 * overread), and the mask-bound index never moves.
 */
static void bank_changes_between_reads(void **state)
{
	(void)state;
	const uint64_t w[] = {0, 0x5, 0x21, 0x4};
	uint64_t *set = exact_copy(w, 4);
	struct tlbf_vpset s;
	memset(&s, 0, sizeof(s));
	assert_int_equal(tlbf_vpset_parse(&s, set, 4, 4096), TLBF_HV_STATUS_SUCCESS);
	assert_true(tlbf_vpset_contains(&s, 130));
	set[3] = 0x8;
	assert_false(tlbf_vpset_contains(&s, 130));
	assert_true(tlbf_vpset_contains(&s, 131));
	/* The header changing after construction has no effect on bounds. */
	set[1] = UINT64_MAX;
	set[0] = 77;
	assert_false(tlbf_vpset_contains(&s, 64)); /* bank 1 stays absent */
	for (uint32_t vp = 0; vp < 4096; vp++)
		(void)tlbf_vpset_contains(&s, vp);
	/* Iteration loads each bank once: a change after that bank was
	 * visited is not seen by this walk. */
	struct tlbf_vpset_iter it;
	tlbf_vpset_iter_init(&it, &s);
	uint32_t vp;
	assert_true(tlbf_vpset_iter_next(&it, &vp));
	assert_int_equal(vp, 0);
	set[2] = 0x2; /* bank 0 now {1} */
	assert_true(tlbf_vpset_iter_next(&it, &vp));
	assert_int_equal(vp, 5);
	set[3] = UINT64_MAX; /* bank 2 not loaded yet: seen */
	uint32_t n = 0;
	while (tlbf_vpset_iter_next(&it, &vp)) {
		assert_true(vp >= 128 && vp < 192);
		n++;
	}
	assert_int_equal(n, 64);
	assert_int_equal(tlbf_vpset_count(&s), 1 + 64);
	free(set);
}

/* Random sets, every operation against the reference. */
static void random_sets(void **state)
{
	(void)state;
	uint64_t x = 0x9e3779b97f4a7c15u;
	for (int round = 0; round < 300; round++) {
		uint64_t w[66];
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		w[0] = (x >> 60) == 0 ? TLBF_HV_GENERIC_SET_ALL : TLBF_HV_GENERIC_SET_SPARSE_4K;
		uint64_t m = x;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		m &= x; /* sparser */
		w[1] = m;
		unsigned nb = (unsigned)__builtin_popcountll(m);
		for (unsigned i = 0; i < nb; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			w[2 + i] = (i & 1) ? x : x & (x >> 3);
		}
		uint32_t vp_count = (uint32_t)((x >> 20) % 4097);
		uint64_t *set = exact_copy(w, 2 + nb);
		struct tlbf_vpset s;
		memset(&s, 0, sizeof(s));
		assert_int_equal(tlbf_vpset_parse(&s, set, 2 + nb, vp_count), TLBF_HV_STATUS_SUCCESS);
		check_against_ref(&s, set, vp_count);
		free(set);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tlfs_example),
		cmocka_unit_test(vp_4095),
		cmocka_unit_test(all_64_banks),
		cmocka_unit_test(small_partition),
		cmocka_unit_test(all_and_mask64),
		cmocka_unit_test(parse_errors),
		cmocka_unit_test(kick_mask),
		cmocka_unit_test(kick_mask_values),
		cmocka_unit_test(bank_changes_between_reads),
		cmocka_unit_test(random_sets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
