/* SPDX-License-Identifier: MIT */
/* Unit tests of the Intel TDX encodings (tlbflush/tdx.h): the
 * invd_translations value of each flush scope, the VP-enter flags, the
 * INVGLA operands; the real backends' ABI (tlbflush/tdx_hw.h, x86-64); the
 * Hyper-V CPUID recommendations. The backends' ioctls are checked with a
 * recorder in test_mshv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__linux__)
#include <linux/ioctl.h>
#endif
#include <cmocka.h>

#include "tlbflush/tlbflush.h"
#include "tlbflush/tdx.h"
#if defined(__x86_64__)
#include "tlbflush/tdx_hw.h" /* x86-64 only (TDCALL) */
#endif

/* Every scope has its value; out of range is the strongest. */
static void invd_of_each_scope(void **state)
{
	(void)state;
	assert_int_equal(tlbf_tdx_invd(TLBF_SCOPE_NONE), TLBF_TDX_INVD_NONE);
	assert_int_equal(tlbf_tdx_invd(TLBF_SCOPE_NON_GLOBAL), TLBF_TDX_INVD_INVVPID_NON_GLOBAL);
	assert_int_equal(tlbf_tdx_invd(TLBF_SCOPE_LINEAR), TLBF_TDX_INVD_INVVPID);
	assert_int_equal(tlbf_tdx_invd(TLBF_SCOPE_GPA), TLBF_TDX_INVD_INVEPT);
	assert_int_equal(tlbf_tdx_invd(TLBF_SCOPE__COUNT), TLBF_TDX_INVD_INVEPT);
	assert_int_equal(tlbf_tdx_invd((enum tlbf_scope)77), TLBF_TDX_INVD_INVEPT);
	assert_int_equal(TLBF_TDX_INVD_NONE, 0);
	assert_int_equal(TLBF_TDX_INVD_INVEPT, 1);
	assert_int_equal(TLBF_TDX_INVD_INVVPID, 2);
	assert_int_equal(TLBF_TDX_INVD_INVVPID_NON_GLOBAL, 3);
}

/* Trap T7: scopes are merged by numeric maximum because enum tlbf_scope is
 * ordered by strength; the TDX values 1/2/3 are not (INVEPT, the strongest,
 * is 1), so merging them numerically would lose flushes. The library maps
 * a merged scope to its value last. */
static void merge_is_by_scope_not_by_tdx_value(void **state)
{
	(void)state;
	const enum tlbf_scope by_strength[4] = {TLBF_SCOPE_NONE, TLBF_SCOPE_NON_GLOBAL,
	                                        TLBF_SCOPE_LINEAR, TLBF_SCOPE_GPA};
	for (unsigned a = 0; a < 4; a++)
		assert_int_equal(by_strength[a], a); /* numeric order = strength */
	unsigned wrong = 0;
	for (unsigned a = 0; a < 4; a++)
		for (unsigned b = 0; b < 4; b++) {
			/* The right merge: the max of scopes, mapped last. */
			unsigned want = tlbf_tdx_invd(a > b ? by_strength[a] : by_strength[b]);
			/* It is never weaker than either side. */
			assert_true(want == tlbf_tdx_invd(by_strength[a]) ||
			            want == tlbf_tdx_invd(by_strength[b]));
			/* A merge of the TDX values by numeric max. */
			unsigned va = tlbf_tdx_invd(by_strength[a]), vb = tlbf_tdx_invd(by_strength[b]);
			if ((va > vb ? va : vb) != want)
				wrong++;
		}
	/* e.g. INVEPT (1) with INVVPID_NON_GLOBAL (3): numeric max 3 drops the
	 * guest-physical flush. */
	assert_true(wrong > 0);
	unsigned va = tlbf_tdx_invd(TLBF_SCOPE_GPA), vb = tlbf_tdx_invd(TLBF_SCOPE_NON_GLOBAL);
	assert_int_equal(va > vb ? va : vb, TLBF_TDX_INVD_INVVPID_NON_GLOBAL);
	assert_int_equal(tlbf_tdx_invd(TLBF_SCOPE_GPA > TLBF_SCOPE_NON_GLOBAL ? TLBF_SCOPE_GPA
	                                                                      : TLBF_SCOPE_NON_GLOBAL),
	                 TLBF_TDX_INVD_INVEPT);
	/* The entry driver merges scopes, not values (tlbf__entry_merge). */
	struct tlbf_entry e;
	memset(&e, 0, sizeof(e));
	tlbf__entry_merge(&e, 0, TLBF_SCOPE_GPA);
	tlbf__entry_merge(&e, 0, TLBF_SCOPE_NON_GLOBAL);
	assert_int_equal(e.pending[0], TLBF_SCOPE_GPA);
	tlbf__entry_merge(&e, 0, TLBF_SCOPE_LINEAR);
	assert_int_equal(e.pending[0], TLBF_SCOPE_GPA);
	e.pending[0] = TLBF_SCOPE_NON_GLOBAL;
	tlbf__entry_merge(&e, 0, TLBF_SCOPE_LINEAR);
	assert_int_equal(e.pending[0], TLBF_SCOPE_LINEAR);
	tlbf__entry_merge(&e, 0, TLBF_SCOPE_NONE);
	assert_int_equal(e.pending[0], TLBF_SCOPE_LINEAR);
}

static void enter_flags(void **state)
{
	(void)state;
	assert_true(tlbf__tdx_vm_index(0) == UINT64_C(1) << 52);
	assert_true(tlbf__tdx_vm_index(1) == UINT64_C(2) << 52);
	for (unsigned vtl = 0; vtl < 2; vtl++)
		for (unsigned s = 0; s <= TLBF_SCOPE__COUNT; s++) {
			uint64_t f = tlbf_tdx_enter_flags((enum tlbf_scope)s, vtl);
			assert_true((f & 3) == tlbf_tdx_invd((enum tlbf_scope)s));
			assert_true(((f >> 52) & 3) == vtl + 1);
			/* Nothing else set. */
			assert_true((f & ~(UINT64_C(3) | (UINT64_C(3) << 52))) == 0);
		}
	assert_true(tlbf_tdx_enter_flags(TLBF_SCOPE_NON_GLOBAL, 1) == ((UINT64_C(2) << 52) | 3));
	assert_true(tlbf_tdx_enter_flags(TLBF_SCOPE_GPA, 0) == ((UINT64_C(1) << 52) | 1));
	assert_true(tlbf_tdx_enter_flags(TLBF_SCOPE_LINEAR, 0) == ((UINT64_C(1) << 52) | 2));
	assert_true(tlbf_tdx_enter_flags(TLBF_SCOPE_NONE, 1) == (UINT64_C(2) << 52));
}

static void invgla_operands(void **state)
{
	(void)state;
	assert_true(tlbf_tdx_invgla_rcx(0, true) == ((UINT64_C(1) << 52) | 1));
	assert_true(tlbf_tdx_invgla_rcx(0, false) == (UINT64_C(1) << 52));
	assert_true(tlbf_tdx_invgla_rcx(1, false) == (UINT64_C(2) << 52));
	assert_true(tlbf_tdx_invgla_rcx(1, true) == ((UINT64_C(2) << 52) | 1));
	const unsigned counts[4] = {1, 2, 32, 512};
	for (unsigned i = 0; i < 4; i++) {
		uint64_t info = tlbf_tdx_list_info(0xabcde, 0, counts[i]);
		assert_int_equal(info & 0x1ff, 0);
		assert_int_equal((info >> 9) & 7, 0);
		assert_true(((info >> 12) & ((UINT64_C(1) << 40) - 1)) == 0xabcde);
		assert_int_equal((info >> 52) & 0x3ff, counts[i]);
		assert_int_equal(info >> 62, 0);
	}
	uint64_t info = tlbf_tdx_list_info(1, 511, 1);
	assert_int_equal(info & 0x1ff, 511);
	/* Wider fields are truncated to theirs, never spill into another. */
	info = tlbf_tdx_list_info(UINT64_MAX, 0x3ff, 0xfff);
	assert_true((info & 0x1ff) == 0x1ff);
	assert_true(((info >> 12) & ((UINT64_C(1) << 40) - 1)) == (UINT64_C(1) << 40) - 1);
	assert_true(((info >> 52) & 0x3ff) == 0x3ff);
	assert_true((info & (UINT64_C(7) << 9)) == 0 && info >> 62 == 0);
	assert_int_equal(TLBF_TDX_LIST_MAX * sizeof(uint64_t), 4096);
	/* A simple range is its own GLA entry (the ring stores it unchanged). */
	assert_true(tlbf_hv_gva_make(0x1234, 7) == ((UINT64_C(0x1234) << 12) | 7));
}

#if defined(__x86_64__)
static void hw_backend_abi(void **state)
{
	(void)state;
	/* The INVGLA operands the backends pass: one range as itself, a list
	 * as list info of the VP's page. */
	uint64_t two[2] = {tlbf_hv_gva_make(4, 1), tlbf_hv_gva_make(9, 0)};
	uint64_t rcx;
	assert_true(tlbf__tdx_invgla_rdx(1, two, 1, 0x77, &rcx) == two[0]);
	assert_true(rcx == tlbf_tdx_invgla_rcx(1, false));
	assert_true(tlbf__tdx_invgla_rdx(0, two, 2, 0x77, &rcx) == tlbf_tdx_list_info(0x77, 0, 2));
	assert_true(rcx == tlbf_tdx_invgla_rcx(0, true));
	/* The direct backend stores the enter flags for the embedding code. */
	uint64_t flags[2] = {0, 0};
	const uint64_t pfn[2] = {0x10, 0x11};
	struct tlbf_tdx_tdcall t = {flags, pfn, NULL, NULL, NULL};
	struct tlbf_backend b = tlbf_tdx_tdcall_backend(&t);
	assert_non_null(b.ops->flush_list);
	b.ops->flush_at_entry(b.ctx, 1, 0, TLBF_SCOPE_GPA);
	assert_true(flags[1] == tlbf_tdx_enter_flags(TLBF_SCOPE_GPA, 0));
	assert_true(flags[0] == 0);
	/* No wake: the wake fails. */
	uint64_t mask = 1;
	assert_int_equal(b.ops->wake(b.ctx, &mask, 1), -1);
#if TLBF_HAVE_MSHV
	/* The ioctl numbers agree with the kernel's own macros. */
	assert_true(TLBF_MSHV_VTL_TDCALL == _IOWR(0xB8, 0x32, struct tlbf_mshv_tdcall));
	assert_true(TLBF_MSHV_KICKCPUS == _IOW(0xB8, 0x38, struct tlbf_mshv_kick));
	assert_int_equal(offsetof(struct tlbf_mshv_kick, cpu_mask), 8);
	assert_int_equal(offsetof(struct tlbf_mshv_kick, flags), 16);
	assert_int_equal(offsetof(struct tlbf_mshv_tdcall, r11_out), 48);
	struct tlbf_tdx_mshv m = {-1, NULL, NULL};
	b = tlbf_tdx_mshv_backend(&m);
	assert_non_null(b.ops->kick);
	assert_int_equal(b.ops->kick(b.ctx, &mask, 1, TLBF_KICK_WAIT), -1); /* bad fd */
	assert_int_equal(b.ops->wake(b.ctx, &mask, 1), -1);
#endif
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(invd_of_each_scope),
		cmocka_unit_test(merge_is_by_scope_not_by_tdx_value),
		cmocka_unit_test(enter_flags),
		cmocka_unit_test(invgla_operands),
#if defined(__x86_64__)
		cmocka_unit_test(hw_backend_abi),
#endif
		cmocka_unit_test(cpuid_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
