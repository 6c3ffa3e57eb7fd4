/* SPDX-License-Identifier: MIT */
/*
 * The KVM backend (tlbflush/kvm_backend.h) on hostile arguments: every
 * public function, and the backend's operations, with a VP, a VTL, a mask
 * or storage it does not have, answer their documented refusal and change
 * nothing (the backend and its vCPU states compared byte for byte). No VM
 * is needed: every refusal comes before the first ioctl or signal.
 * x86-64 Linux with <linux/kvm.h> only (exit status 77, skipped,
 * elsewhere).
 */
#define _POSIX_C_SOURCE 200809L
#if defined(__x86_64__) && defined(__linux__) && defined(__has_include)
#if __has_include(<linux/kvm.h>)
#define TEST_KVM 1
#endif
#endif
#ifdef TEST_KVM
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tlbflush/tlbflush.h"
#include "tlbflush/kvm_backend.h"

#define NVP 3

static struct tlbf_kvm k, k_saved;
static struct tlbf_kvm_vcpu vcpus[NVP], vcpus_saved[NVP];
static struct kvm_run run_page[NVP];

static int setup(void **state)
{
	(void)state;
	memset(vcpus, 0xa5, sizeof(vcpus)); /* init must not rely on zeroed storage */
	if (tlbf_kvm_init(&k, vcpus, NVP, SIGUSR1) != TLBF_STATUS_OK)
		return -1;
	/* VP 0 has its vCPU, VP 1 has none, VP 2 has one. */
	if (tlbf_kvm_vcpu_set(&k, 0, -1, &run_page[0]) != TLBF_STATUS_OK ||
	    tlbf_kvm_vcpu_set(&k, 2, -1, &run_page[2]) != TLBF_STATUS_OK)
		return -1;
	return 0;
}

static void save(void)
{
	memcpy(&k_saved, &k, sizeof(k));
	memcpy(vcpus_saved, vcpus, sizeof(vcpus));
}

static void assert_unchanged(void)
{
	assert_memory_equal(&k, &k_saved, sizeof(k));
	assert_memory_equal(vcpus, vcpus_saved, sizeof(vcpus));
}

static void test_tlbf_kvm_init(void **state)
{
	(void)state;
	struct tlbf_kvm other;
	struct tlbf_kvm_vcpu ov[2];
	memset(&other, 0x5a, sizeof(other));
	memset(ov, 0x5a, sizeof(ov));
	struct tlbf_kvm o_saved = other;
	assert_int_equal(tlbf_kvm_init(NULL, ov, 2, SIGUSR1), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_kvm_init(&other, NULL, 2, SIGUSR1), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_kvm_init(&other, ov, 0, SIGUSR1), TLBF_STATUS_BAD_VP_COUNT);
	assert_int_equal(tlbf_kvm_init(&other, ov, (uint32_t)TLBF_MAX_VPS + 1, SIGUSR1),
	                 TLBF_STATUS_BAD_VP_COUNT);
	assert_int_equal(tlbf_kvm_init(&other, ov, UINT32_MAX, SIGUSR1), TLBF_STATUS_BAD_VP_COUNT);
	assert_memory_equal(&other, &o_saved, sizeof(other));
	for (unsigned i = 0; i < 2; i++)
		for (size_t b = 0; b < sizeof(ov[i]); b++)
			assert_int_equal(((const unsigned char *)&ov[i])[b], 0x5a);
	/* A valid one: every vCPU without its fd and run page. */
	assert_int_equal(tlbf_kvm_init(&other, ov, 2, SIGUSR1), TLBF_STATUS_OK);
	assert_int_equal(ov[1].fd, -1);
	assert_null(ov[1].kvm_run);
}

static void test_tlbf_kvm_install_signal(void **state)
{
	(void)state;
	assert_int_equal(tlbf_kvm_install_signal(0), TLBF_STATUS_OS_ERROR);
	assert_int_equal(tlbf_kvm_install_signal(-1), TLBF_STATUS_OS_ERROR);
	assert_int_equal(tlbf_kvm_install_signal(SIGKILL), TLBF_STATUS_OS_ERROR);
	assert_int_equal(tlbf_kvm_install_signal(100000), TLBF_STATUS_OS_ERROR);
}

static void test_tlbf_kvm_vcpu_set(void **state)
{
	(void)state;
	save();
	assert_int_equal(tlbf_kvm_vcpu_set(&k, NVP, -1, &run_page[0]), TLBF_STATUS_BAD_VP);
	assert_int_equal(tlbf_kvm_vcpu_set(&k, UINT32_MAX, -1, &run_page[0]), TLBF_STATUS_BAD_VP);
	assert_int_equal(tlbf_kvm_vcpu_set(&k, 1, -1, NULL), TLBF_STATUS_BAD_STORAGE);
	assert_unchanged();
}

static void test_tlbf_kvm_vcpu_bind(void **state)
{
	(void)state;
	save();
	assert_int_equal(tlbf_kvm_vcpu_bind(&k, NVP), TLBF_STATUS_BAD_VP);
	assert_int_equal(tlbf_kvm_vcpu_bind(&k, UINT32_MAX), TLBF_STATUS_BAD_VP);
	assert_unchanged();
}

static void test_tlbf_kvm_mmu_reset(void **state)
{
	(void)state;
	save();
	assert_int_equal(tlbf_kvm_mmu_reset(&k, NVP), TLBF_STATUS_BAD_VP);
	assert_int_equal(tlbf_kvm_mmu_reset(&k, UINT32_MAX), TLBF_STATUS_BAD_VP);
	assert_unchanged();
	/* A vCPU fd that is not one: the ioctl fails, nothing counted. */
	assert_int_equal(tlbf_kvm_mmu_reset(&k, 0), TLBF_STATUS_OS_ERROR);
	assert_unchanged();
}

static void test_tlbf_kvm_run(void **state)
{
	(void)state;
	save();
	assert_int_equal(tlbf_kvm_run(&k, NVP, 0), TLBF_KVM_RUN_FAILED);
	assert_int_equal(tlbf_kvm_run(&k, UINT32_MAX, 0), TLBF_KVM_RUN_FAILED);
	assert_int_equal(tlbf_kvm_run(&k, 0, TLBF_VTL_COUNT), TLBF_KVM_RUN_FAILED);
	assert_int_equal(tlbf_kvm_run(&k, 0, 255), TLBF_KVM_RUN_FAILED);
	assert_int_equal(tlbf_kvm_run(&k, 1, 0), TLBF_KVM_RUN_FAILED); /* no vCPU set */
	assert_unchanged();
	assert_false(tlbf_kvm_entered(TLBF_KVM_RUN_FAILED));
	assert_false(tlbf_kvm_entered((enum tlbf_kvm_result)1000));
}

static void test_tlbf_kvm_take_wake_and_halt(void **state)
{
	(void)state;
	save();
	assert_false(tlbf_kvm_take_wake(&k, NVP));
	assert_false(tlbf_kvm_take_wake(&k, UINT32_MAX));
	assert_int_equal(tlbf_kvm_halt(&k, NVP), TLBF_STATUS_BAD_VP);
	assert_int_equal(tlbf_kvm_halt(&k, UINT32_MAX), TLBF_STATUS_BAD_VP);
	assert_unchanged();
}

/* The backend's operations, as the library calls them, past the VPs. */
static void test_tlbf_kvm_backend(void **state)
{
	(void)state;
	struct tlbf_backend be = tlbf_kvm_backend(&k);
	assert_null(be.ops->flush_list); /* no list flush from user space */
	uint64_t mask[TLBF_MASK_WORDS(128)] = {~UINT64_C(0), ~UINT64_C(0)};
	save();
	assert_int_not_equal(be.ops->kick(be.ctx, mask, NVP + 1, TLBF_KICK_CANCEL | TLBF_KICK_WAIT), 0);
	assert_int_not_equal(be.ops->kick(be.ctx, mask, 128, TLBF_KICK_CANCEL), 0);
	assert_int_not_equal(be.ops->wake(be.ctx, mask, NVP + 1), 0);
	be.ops->flush_at_entry(be.ctx, NVP, 0, TLBF_SCOPE_LINEAR);
	be.ops->flush_at_entry(be.ctx, 0, TLBF_VTL_COUNT, TLBF_SCOPE_LINEAR);
	assert_unchanged();
	/* A scope out of range is kept as the strongest, never ignored. */
	be.ops->flush_at_entry(be.ctx, 0, 0, (enum tlbf_scope)77);
	assert_int_equal(vcpus[0].scope[0], TLBF_SCOPE_GPA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_tlbf_kvm_init, setup),
		cmocka_unit_test_setup(test_tlbf_kvm_install_signal, setup),
		cmocka_unit_test_setup(test_tlbf_kvm_vcpu_set, setup),
		cmocka_unit_test_setup(test_tlbf_kvm_vcpu_bind, setup),
		cmocka_unit_test_setup(test_tlbf_kvm_mmu_reset, setup),
		cmocka_unit_test_setup(test_tlbf_kvm_run, setup),
		cmocka_unit_test_setup(test_tlbf_kvm_take_wake_and_halt, setup),
		cmocka_unit_test_setup(test_tlbf_kvm_backend, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
int main(void);
int main(void)
{
	return 77; /* the KVM backend needs x86-64 Linux and <linux/kvm.h> */
}
#endif
