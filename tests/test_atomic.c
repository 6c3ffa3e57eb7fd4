/* SPDX-License-Identifier: MIT */
/* Unit tests of the counter and bit helpers in tlbflush/atomic_pvt.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tlbflush/tlbflush.h"

static void diff_across_wrap(void **state)
{
	(void)state;
	assert_int_equal(tlbf__u64_diff(5, 3), 2);
	assert_int_equal(tlbf__u64_diff(3, 5), -2);
	/* 2 after the wrap is 5 ahead of 2^64 - 3. */
	assert_int_equal(tlbf__u64_diff(2, UINT64_MAX - 2), 5);
	assert_int_equal(tlbf__u64_diff(UINT64_MAX - 2, 2), -5);
	assert_true(tlbf__u64_diff((uint64_t)INT64_MAX + 1, 0) < 0);
	assert_true(tlbf__u64_reached(0, UINT64_MAX));
	assert_false(tlbf__u64_reached(UINT64_MAX, 0));
	assert_true(tlbf__u64_reached(7, 7));
}

static void diff_walks_the_wrap(void **state)
{
	(void)state;
	uint64_t base = UINT64_MAX - 99;
	for (uint64_t i = 0; i < 200; i++) {
		uint64_t a = base + i;
		assert_int_equal(tlbf__u64_diff(a, base), (int64_t)i);
		assert_true(tlbf__u64_reached(a, base));
		assert_int_equal(tlbf__u64_reached(base, a), i == 0);
	}
}

static void bits(void **state)
{
	(void)state;
	assert_int_equal(tlbf__popcount64(0), 0);
	assert_int_equal(tlbf__popcount64(UINT64_MAX), 64);
	assert_int_equal(tlbf__popcount64(0x5), 2);
	for (unsigned i = 0; i < 64; i++) {
		assert_int_equal(tlbf__ctz64(UINT64_C(1) << i), i);
		assert_int_equal(tlbf__ctz64(UINT64_MAX << i), i);
	}
}

static void atomics_roundtrip(void **state)
{
	(void)state;
	TLBF_ATOMIC(uint64_t) w;
	tlbf__init(&w, UINT64_MAX);
	assert_true(tlbf__fetch_add(&w, 2, TLBF_RELAXED) == UINT64_MAX);
	assert_true(tlbf__load(&w, TLBF_ACQUIRE) == 1);
	uint64_t expect = 0;
	assert_false(tlbf__cas(&w, &expect, 9, TLBF_ACQ_REL, TLBF_RELAXED));
	assert_true(expect == 1);
	assert_true(tlbf__cas(&w, &expect, 9, TLBF_ACQ_REL, TLBF_RELAXED));
	assert_true(tlbf__xchg(&w, 4, TLBF_SEQ_CST) == 9);
	assert_true(tlbf__fetch_or(&w, 3, TLBF_RELAXED) == 4);
	assert_true(tlbf__load(&w, TLBF_RELAXED) == 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(diff_across_wrap),
		cmocka_unit_test(diff_walks_the_wrap),
		cmocka_unit_test(bits),
		cmocka_unit_test(atomics_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
