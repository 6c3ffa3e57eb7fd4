/* SPDX-License-Identifier: MIT */
/* Unit tests of the stale-translation oracle (tlbflush/oracle.h) on the
 * mock backend: a flush a VP skipped is reported stale, one it carried out
 * is not; a flush call that completes while a hold it snapshotted still
 * holds is reported early, one whose holds ended (or began after the
 * snapshot) is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tlbflush/tlbflush.h"
#include "tlbflush/mock_backend.h"
#include "tlbflush/oracle.h"

#define NVP 4
#define NPAGES 8
#define BASE 0x400
static struct tlbf_mock_vp mvps[NVP];
static struct tlbf_mock mock;
static struct tlbf_oracle o;
static TLBF_ATOMIC(uint64_t) words[4096];
static uint64_t seq[NVP];

static int setup(void **state)
{
	(void)state;
	tlbf_mock_init(&mock, mvps, NVP, NULL, 0);
	assert_true(TLBF_ORACLE_WORDS(NVP, NPAGES) <= 4096);
	assert_int_equal(tlbf_oracle_init(&o, words, 4096, NVP, NPAGES, BASE), TLBF_STATUS_OK);
	return 0;
}

/* The mock's entry with a scope, as the entry driver would tell it. */
static void enter_with(uint32_t vp, unsigned vtl, enum tlbf_scope scope)
{
	struct tlbf_backend be = tlbf_mock_backend(&mock);
	be.ops->flush_at_entry(be.ctx, vp, vtl, scope);
	assert_true(tlbf_mock_enter(&mock, vp, vtl));
}

static void skipped_flush_is_stale(void **state)
{
	(void)state;
	enter_with(1, 0, TLBF_SCOPE_NONE);
	assert_false(tlbf_oracle_access(&o, &mock, 1, 0, 3, false)); /* fills version 1 */
	tlbf_mock_leave(&mock, 1);
	uint64_t v = tlbf_oracle_change(&o, 0, 3, false);
	assert_true(v == 2);
	/* The flush call "completed", but VP 1 never flushed. */
	tlbf_oracle_flushed(&o, NULL, 0, 3, v, false);
	enter_with(1, 0, TLBF_SCOPE_NONE);
	assert_true(tlbf_oracle_access(&o, &mock, 1, 0, 3, false));
	tlbf_mock_leave(&mock, 1);
	/* A VP outside the call's set is not required to flush. */
	struct tlbf_vpset only0;
	tlbf_vpset_init_mask(&only0, 1, NVP);
	enter_with(2, 0, TLBF_SCOPE_NONE);
	assert_false(tlbf_oracle_access(&o, &mock, 2, 0, 5, false));
	uint64_t v5 = tlbf_oracle_change(&o, 0, 5, false);
	tlbf_oracle_flushed(&o, &only0, 0, 5, v5, false);
	assert_false(tlbf_oracle_access(&o, &mock, 2, 0, 5, false));
	/* A guest-physical change a linear flush does not cover. */
	assert_false(tlbf_oracle_access(&o, &mock, 2, 0, 6, false));
	tlbf_mock_leave(&mock, 2);
	uint64_t g = tlbf_oracle_change(&o, 0, 6, true);
	tlbf_oracle_flushed(&o, NULL, 0, 6, g, true);
	enter_with(2, 0, TLBF_SCOPE_LINEAR);
	assert_true(tlbf_oracle_access(&o, &mock, 2, 0, 6, false));
	tlbf_mock_leave(&mock, 2);
}

static void done_flush_is_not_stale(void **state)
{
	(void)state;
	enter_with(1, 0, TLBF_SCOPE_NONE);
	assert_false(tlbf_oracle_access(&o, &mock, 1, 0, 3, false));
	assert_false(tlbf_oracle_access(&o, &mock, 1, 0, 4, true));
	tlbf_mock_leave(&mock, 1);
	uint64_t v = tlbf_oracle_change(&o, 0, 3, false);
	uint64_t v4 = tlbf_oracle_change(&o, 0, 4, false);
	tlbf_oracle_flushed(&o, NULL, 0, 3, v, false);
	tlbf_oracle_flushed(&o, NULL, 0, 4, v4, false);
	/* A list flush of page 3 covers it, page 4 is flushed at entry. */
	struct tlbf_backend be = tlbf_mock_backend(&mock);
	uint64_t r = tlbf_hv_gva_make(BASE + 3, 0);
	assert_int_equal(be.ops->flush_list(be.ctx, 1, 0, &r, 1), 0);
	assert_true(tlbf_oracle_access(&o, &mock, 1, 0, 4, true)); /* still stale */
	enter_with(1, 0, TLBF_SCOPE_LINEAR);
	assert_false(tlbf_oracle_access(&o, &mock, 1, 0, 3, false));
	assert_false(tlbf_oracle_access(&o, &mock, 1, 0, 4, true));
	tlbf_mock_leave(&mock, 1);
	/* A non-global flush keeps a global mapping: stale again after a change. */
	uint64_t v7 = tlbf_oracle_change(&o, 0, 4, false);
	tlbf_oracle_flushed(&o, NULL, 0, 4, v7, false);
	enter_with(1, 0, TLBF_SCOPE_NON_GLOBAL);
	assert_true(tlbf_oracle_access(&o, &mock, 1, 0, 4, true));
	tlbf_mock_leave(&mock, 1);
	/* And GPA covers guest-physical changes. */
	uint64_t g = tlbf_oracle_change(&o, 0, 3, true);
	tlbf_oracle_flushed(&o, NULL, 0, 3, g, true);
	enter_with(1, 0, TLBF_SCOPE_GPA);
	assert_false(tlbf_oracle_access(&o, &mock, 1, 0, 3, false));
	tlbf_mock_leave(&mock, 1);
	/* Out of range: not stale, nothing changed. */
	assert_false(tlbf_oracle_access(&o, &mock, NVP, 0, 3, false));
	assert_false(tlbf_oracle_access(&o, &mock, 1, TLBF_VTL_COUNT, 3, false));
	assert_false(tlbf_oracle_access(&o, &mock, 1, 0, NPAGES, false));
	assert_true(tlbf_oracle_change(&o, 0, NPAGES, false) == 0);
	assert_true(tlbf_oracle_change(&o, TLBF_VTL_COUNT, 0, false) == 0);
}

static void early_completion(void **state)
{
	(void)state;
	/* VP 2 holds VTL0's lock across the whole call: early. */
	tlbf_oracle_hold(&o, 2, 0, true);
	tlbf_oracle_call_begin(&o, seq, NULL, 0);
	assert_true(tlbf_oracle_call_end(&o, seq, 0, 0));
	/* Not for the initiator itself. */
	assert_false(tlbf_oracle_call_end(&o, seq, 0, 2));
	/* Nor for another target VTL's call. */
	if (TLBF_VTL_COUNT > 1) {
		tlbf_oracle_call_begin(&o, seq, NULL, 1);
		assert_false(tlbf_oracle_call_end(&o, seq, 1, 0));
	}
	/* Nor when the set leaves VP 2 out. */
	struct tlbf_vpset s;
	tlbf_vpset_init_mask(&s, 0x3, NVP);
	tlbf_oracle_call_begin(&o, seq, &s, 0);
	assert_false(tlbf_oracle_call_end(&o, seq, 0, 0));
	/* A hold that ended before the call completed: not early. */
	tlbf_oracle_call_begin(&o, seq, NULL, 0);
	tlbf_oracle_hold(&o, 2, 0, false);
	assert_false(tlbf_oracle_call_end(&o, seq, 0, 0));
	/* Ended, then began again during the call: a new hold, not the one
	 * the call waits for. */
	tlbf_oracle_hold(&o, 2, 0, true);
	tlbf_oracle_call_begin(&o, seq, NULL, 0);
	tlbf_oracle_hold(&o, 2, 0, false);
	tlbf_oracle_hold(&o, 2, 0, true);
	assert_false(tlbf_oracle_call_end(&o, seq, 0, 0));
	tlbf_oracle_hold(&o, 2, 0, false);
	/* A hold that began after call_begin: not early. */
	tlbf_oracle_call_begin(&o, seq, NULL, 0);
	tlbf_oracle_hold(&o, 3, 0, true);
	assert_false(tlbf_oracle_call_end(&o, seq, 0, 0));
	/* Reported twice is one hold. */
	tlbf_oracle_hold(&o, 3, 0, true);
	tlbf_oracle_call_begin(&o, seq, NULL, 0);
	assert_true(tlbf_oracle_call_end(&o, seq, 0, 0));
}

static void init_refusals(void **state)
{
	(void)state;
	struct tlbf_oracle o2;
	size_t need = TLBF_ORACLE_WORDS(NVP, NPAGES);
	memset(&o2, 0, sizeof(o2));
	assert_int_equal(tlbf_oracle_init(&o2, words, need - 1, NVP, NPAGES, 0), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_oracle_init(&o2, NULL, need, NVP, NPAGES, 0), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_oracle_init(NULL, words, need, NVP, NPAGES, 0), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_oracle_init(&o2, words, need, NVP, 0, 0), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_oracle_init(&o2, words, need, 0, NPAGES, 0), TLBF_STATUS_BAD_VP_COUNT);
	assert_null(o2.words);
	assert_int_equal(tlbf_oracle_init(&o2, words, need, NVP, NPAGES, 0), TLBF_STATUS_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(skipped_flush_is_stale, setup),
		cmocka_unit_test_setup(done_flush_is_not_stale, setup),
		cmocka_unit_test_setup(early_completion, setup),
		cmocka_unit_test_setup(init_refusals, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
