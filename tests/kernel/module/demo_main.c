// SPDX-License-Identifier: MIT
/*
 * tlbflush_demo - the tlbflush headers in a kernel module.
 *
 * On load: decodes a real HvCallFlushVirtualAddressListEx input page and
 * checks the processor set and the ranges it names, then runs a shootdown
 * between kthreads on the kernel backend of tlbf_kscenario.h (the portable
 * core: rings, VP entry/exit, wake decisions, tlbf_flush_handle) for
 * `ms` milliseconds with a stale-translation check. Loading fails with
 * -EINVAL if anything is wrong; the counters go to the kernel log.
 * demo_gnu.c checks a ring built with TLBF_ATOMIC_GNU=1 in the same module.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

#include "tlbf_kscenario.h"
#include "demo.h"

static unsigned int ms = 500;
module_param(ms, uint, 0444);
MODULE_PARM_DESC(ms, "how long the shootdown runs, in milliseconds");

static struct tlbf_ks tlbf_demo_ks;
static u64 tlbf_demo_page[512] __aligned(8);

/* The TLFS example: processors {0, 5, 130}, two ranges. */
static int tlbf_demo_decode(void)
{
	u64 control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST_EX, false, 2, 2, 0);
	static const u64 words[] = { 0, 0, TLBF_HV_GENERIC_SET_SPARSE_4K, 0x5, 0x21, 0x4,
				     0x100000 | 1, 0x300000 };
	struct tlbf_flush_request req;
	enum tlbf_hv_status st;

	memset(tlbf_demo_page, 0, sizeof(tlbf_demo_page));
	memcpy(tlbf_demo_page, words, sizeof(words));
	st = tlbf_hypercall_decode(control, tlbf_demo_page, sizeof(tlbf_demo_page), 200, 0, &req,
				   NULL);
	if (st != TLBF_HV_STATUS_SUCCESS || req.kind != TLBF_FLUSH_KIND_LIST || req.range_count != 2 ||
	    tlbf_vpset_count(&req.vps) != 3 || !tlbf_vpset_contains(&req.vps, 130) ||
	    tlbf_vpset_contains(&req.vps, 1) ||
	    tlbf__guest_load_u64(&req.ranges[1]) != tlbf_hv_gva_make(0x300, 0)) {
		pr_err("tlbflush_demo: decode: status %d\n", st);
		return -EINVAL;
	}
	return 0;
}

static int __init tlbf_demo_init(void)
{
	int err = tlbf_demo_decode();

	if (err)
		return err;
	if (tlbf_demo_gnu_check()) {
		pr_err("tlbflush_demo: ring with __atomic builtins\n");
		return -EINVAL;
	}
	err = tlbf_ks_run(&tlbf_demo_ks, ms, 0);
	if (err)
		return err;
	tlbf_ks_report(&tlbf_demo_ks, "tlbflush_demo");
	if (atomic64_read(&tlbf_demo_ks.stale) || atomic64_read(&tlbf_demo_ks.failures) ||
	    !atomic64_read(&tlbf_demo_ks.requests))
		return -EINVAL;
	return 0;
}

static void __exit tlbf_demo_exit(void)
{
}

module_init(tlbf_demo_init);
module_exit(tlbf_demo_exit);
MODULE_DESCRIPTION("tlbflush headers in a kernel module: decode and a kthread shootdown");
MODULE_LICENSE("Dual MIT/GPL");
