/* SPDX-License-Identifier: MIT */
/*
 * A kernel backend for tlbflush and a shootdown between kthreads, shared
 * by the out-of-tree module (tests/kernel/module) and the KUnit suite
 * (tests/kernel/kunit).
 *
 * The backend (struct tlbf_kbe): every VP is a kthread. A kick is a
 * function call: it sets the VP's cancel flag and, with TLBF_KICK_WAIT,
 * spins (cpu_relax(), cond_resched()) until the VP is out of its run of
 * guest code. Entry against kick is a store-buffering pair, written with
 * the kernel's own primitives:
 *     VP (tlbf_kbe_enter)              kicker (tlbf_kbe_kick)
 *     run = entries | RUNNING          cancel = 1
 *     smp_mb()                         smp_mb()
 *     read cancel                      read run
 * so either the entry sees the cancel or the kicker sees the VP running and
 * waits; the VP's release store of "not running" at exit pairs with the
 * kicker's acquire loads. The VPs' TLBs are the mock backend's software
 * TLBs (tlbflush/mock_backend.h): the kernel backend hands flush_list and
 * flush_at_entry to the mock, and an entry the kernel backend let happen
 * is carried out by tlbf_mock_enter() (whose own cancel word nobody sets).
 *
 * The scenario (tlbf_ks_run): TLBF_KS_NVP VP kthreads loop: the entry
 * driver (tlbflush/entry.h: announce, poll, flush a list now or make it
 * pending, publish, the entry's scope to the backend), enter, translate
 * random pages through the TLB, leave when kicked or after a while, end
 * the entry. The first TLBF_KS_NINIT of them also initiate, outside the
 * guest: they change pages, then write a real
 * HvCallFlushVirtualAddressListEx or HvCallFlushVirtualAddressSpaceEx
 * input page, decode it and hand it to tlbf_flush_handle(); now and then
 * they make a guest-physical flush of every VP (tlbf_flush_request_vmm(),
 * after a change of the VMM's mapping of a page). The oracle is the
 * library's test kit (tlbflush/oracle.h): once tlbf_flush_handle() has
 * returned, no VP of the set may use a translation of a covered page of
 * the target VTL at an older version.
 *
 * Define TLBF_STEP before including this header to widen races.
 */
#ifndef TLBF_KSCENARIO_H
#define TLBF_KSCENARIO_H

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "tlbflush/tlbflush.h"
#include "tlbflush/mock_backend.h"
#include "tlbflush/oracle.h"

#define TLBF_KS_NVP 4
#define TLBF_KS_NINIT 2 /* VPs 0 .. NINIT - 1 also initiate */
#define TLBF_KS_NPAGES 16
#define TLBF_KS_NGLOBAL 4 /* pages 0 .. NGLOBAL - 1 are global mappings */
#define TLBF_KS_WORDS TLBF_MASK_WORDS(TLBF_KS_NVP)

/* One VP of the kernel backend. */
struct tlbf_kvp {
	atomic_t cancel;   /* kick pending */
	atomic64_t run;    /* entries << 1 | running */
	u64 entries, cancelled; /* VP only */
};

struct tlbf_kbe {
	struct tlbf_kvp *kvps;
	u32 nvps;
	struct tlbf_mock *mock; /* the VPs' TLBs */
	atomic64_t kicks; /* cancel flags set */
	atomic64_t waits; /* VPs waited for while running */
};

static inline void tlbf_kbe_relax(void *ctx)
{
	(void)ctx;
	cpu_relax();
	cond_resched();
}

static inline int tlbf_kbe_kick(void *ctx, const u64 *mask, u32 nbits, unsigned int flags)
{
	struct tlbf_kbe *k = ctx;
	u32 words = (nbits + 63) / 64;
	u32 w, vp;
	u64 bits, r0;

	if (nbits > k->nvps)
		return -EINVAL;
	for (w = 0; w < words; w++) {
		for (bits = mask[w]; bits; bits &= bits - 1) {
			vp = w * 64 + tlbf__ctz64(bits);
			if (flags & TLBF_KICK_CANCEL) {
				atomic_set(&k->kvps[vp].cancel, 1);
				atomic64_inc(&k->kicks);
			}
		}
	}
	if (!(flags & TLBF_KICK_WAIT))
		return 0;
	/* Pairs with the smp_mb() in tlbf_kbe_enter(): store-buffering. */
	smp_mb();
	for (w = 0; w < words; w++) {
		for (bits = mask[w]; bits; bits &= bits - 1) {
			struct tlbf_kvp *kv = &k->kvps[w * 64 + tlbf__ctz64(bits)];

			r0 = atomic64_read(&kv->run);
			if (!(r0 & 1))
				continue;
			atomic64_inc(&k->waits);
			/* Acquire: pairs with the release in tlbf_kbe_leave(). */
			while ((u64)atomic64_read_acquire(&kv->run) == r0)
				tlbf_kbe_relax(k);
		}
	}
	return 0;
}

/* A kick consumed (the VP's IPI handler). */
static inline bool tlbf_kbe_take_cancel(struct tlbf_kbe *k, u32 vp)
{
	atomic_t *c = &k->kvps[vp].cancel;

	return atomic_read(c) != 0 && atomic_xchg(c, 0) != 0;
}

static inline void tlbf_kbe_leave(struct tlbf_kbe *k, u32 vp)
{
	atomic64_t *run = &k->kvps[vp].run;

	atomic64_set_release(run, atomic64_read(run) & ~1LL);
}

/* Enter guest code: false (and not running) if a kick is pending. */
static inline bool tlbf_kbe_enter(struct tlbf_kbe *k, u32 vp)
{
	struct tlbf_kvp *kv = &k->kvps[vp];

	atomic64_set(&kv->run, (atomic64_read(&kv->run) | 1) + 2);
	smp_mb(); /* pairs with the kicker's smp_mb(): store-buffering */
	if (tlbf_kbe_take_cancel(k, vp)) {
		kv->cancelled++;
		tlbf_kbe_leave(k, vp);
		return false;
	}
	kv->entries++;
	return true;
}

/* The VPs' TLBs are the mock's: a list flush and the scope of the next
 * entry go to it. */
static inline int tlbf_kbe_flush_list(void *ctx, u32 vp, unsigned int vtl, const u64 *ranges,
				      u32 count)
{
	struct tlbf_kbe *k = ctx;
	struct tlbf_backend m = tlbf_mock_backend(k->mock);

	return m.ops->flush_list(m.ctx, vp, vtl, ranges, count);
}

static inline void tlbf_kbe_flush_at_entry(void *ctx, u32 vp, unsigned int vtl,
					   enum tlbf_scope scope)
{
	struct tlbf_kbe *k = ctx;
	struct tlbf_backend m = tlbf_mock_backend(k->mock);

	m.ops->flush_at_entry(m.ctx, vp, vtl, scope);
}

/* No VSM TLB locks in the scenario: no wake operation. */
static const struct tlbf_backend_ops tlbf_kbe_ops = {
	.flush_list = tlbf_kbe_flush_list,
	.flush_at_entry = tlbf_kbe_flush_at_entry,
	.kick = tlbf_kbe_kick,
	.relax = tlbf_kbe_relax,
};

/* ---- the scenario ---- */

#define TLBF_KS_ORACLE_WORDS \
	(2 * TLBF_VTL_COUNT * TLBF_KS_NPAGES + 2 * TLBF_KS_NVP * TLBF_VTL_COUNT * TLBF_KS_NPAGES + \
	 TLBF_KS_NVP * TLBF_VTL_COUNT)

struct tlbf_ks_vpctx {
	struct tlbf_ks *ks;
	u32 self;
	u64 rng;
	u64 list[TLBF_RING_CAPACITY]; /* the entry driver's list buffer */
	u64 input[512] __aligned(8); /* a hypercall input page */
	struct tlbf_flush_outcome out;
	struct task_struct *task;
};

struct tlbf_ks {
	struct tlbf_vp vps[TLBF_KS_NVP];
	struct tlbf_partition pt;
	struct tlbf_kvp kvps[TLBF_KS_NVP];
	struct tlbf_kbe kbe;
	struct tlbf_backend be;
	struct tlbf_mock_vp mvps[TLBF_KS_NVP];
	struct tlbf_mock mock;
	struct tlbf_oracle oracle;
	TLBF_ATOMIC(uint64_t) oracle_words[TLBF_KS_ORACLE_WORDS];
	struct tlbf_ks_vpctx ctx[TLBF_KS_NVP];
	/* results */
	atomic64_t stale, uses, requests, failures, kinds[4];
	atomic64_t reasons[TLBF_WAKE__COUNT];
};

static inline u64 tlbf_ks_rand(struct tlbf_ks_vpctx *c)
{
	u64 x = c->rng; /* xorshift64* */

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->rng = x;
	return x * 2685821657736338717ULL;
}

/* A guest access of VP @vp to @page of @vtl, through its TLB. */
static inline void tlbf_ks_use(struct tlbf_ks *ks, u32 vp, unsigned int vtl, u32 page)
{
	atomic64_inc(&ks->uses);
	if (tlbf_oracle_access(&ks->oracle, &ks->mock, vp, vtl, page, page < TLBF_KS_NGLOBAL) &&
	    atomic64_inc_return(&ks->stale) <= 5)
		pr_err("tlbflush: STALE: vp %u vtl %u page %u used a translation older than a completed flush\n",
		       vp, vtl, page);
}

/* One flush hypercall from VP @c->self, as a VMM's handler runs it; or,
 * now and then, a guest-physical flush the VMM makes itself. */
static inline void tlbf_ks_initiate(struct tlbf_ks_vpctx *c)
{
	struct tlbf_ks *ks = c->ks;
	unsigned int vtl = (unsigned int)(tlbf_ks_rand(c) % TLBF_VTL_COUNT);
	u64 set = tlbf_ks_rand(c) & ((1ULL << TLBF_KS_NVP) - 1);
	unsigned int kind = (unsigned int)(tlbf_ks_rand(c) % 16);
	u32 pages[TLBF_KS_NPAGES];
	u64 newver[TLBF_KS_NPAGES];
	unsigned int npages = 0, i, n = 0;
	struct tlbf_flush_request req;
	enum tlbf_status st;
	u64 control;
	u32 pg;

	set |= 1ULL << (tlbf_ks_rand(c) % TLBF_KS_NVP);
	kind = kind < 2 ? TLBF_FLUSH_KIND_ENTIRE : kind < 4 ? TLBF_FLUSH_KIND_NON_GLOBAL :
	       kind == 4 ? TLBF_FLUSH_KIND_GPA : TLBF_FLUSH_KIND_LIST;
	memset(&req, 0, sizeof(req));
	if (kind == TLBF_FLUSH_KIND_GPA) {
		for (pg = 0; pg < TLBF_KS_NPAGES; pg++)
			if (tlbf_ks_rand(c) & 1)
				pages[npages++] = pg;
		/* The VMM's change of its guest-physical mappings. */
		for (i = 0; i < npages; i++)
			newver[i] = tlbf_oracle_change(&ks->oracle, vtl, pages[i], true);
		if (tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_GPA, vtl, TLBF_KS_NVP) !=
		    TLBF_STATUS_OK) {
			atomic64_inc(&ks->failures);
			return;
		}
		goto handle;
	}
	c->input[0] = 0; /* address space */
	c->input[2] = TLBF_HV_GENERIC_SET_SPARSE_4K;
	c->input[3] = 1; /* valid_bank_mask: bank 0 (variable header: 1 word) */
	c->input[4] = set;
	if (kind == TLBF_FLUSH_KIND_LIST) {
		n = 1 + (unsigned int)(tlbf_ks_rand(c) % 3);
		for (i = 0; i < n; i++) {
			pages[npages] = (u32)(tlbf_ks_rand(c) % TLBF_KS_NPAGES);
			c->input[5 + i] = tlbf_hv_gva_make(pages[npages++], 0);
		}
		c->input[1] = 0;
		control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST_EX, false, 1, n, 0);
	} else {
		for (pg = kind == TLBF_FLUSH_KIND_NON_GLOBAL ? TLBF_KS_NGLOBAL : 0; pg < TLBF_KS_NPAGES; pg++)
			if (tlbf_ks_rand(c) & 1)
				pages[npages++] = pg;
		c->input[1] = kind == TLBF_FLUSH_KIND_NON_GLOBAL ? TLBF_HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY
							      : TLBF_HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES;
		control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE_EX, false, 1, 0, 0);
	}
	/* The guest's page-table change, before its hypercall. */
	for (i = 0; i < npages; i++)
		newver[i] = tlbf_oracle_change(&ks->oracle, vtl, pages[i], false);

	if (tlbf_hypercall_decode(control, c->input, sizeof(c->input), TLBF_KS_NVP, vtl, &req,
				  NULL) != TLBF_HV_STATUS_SUCCESS || req.kind != kind ||
	    req.target_vtl != vtl) {
		atomic64_inc(&ks->failures);
		return;
	}
handle:
	st = tlbf_flush_handle(&ks->pt, &ks->be, &req, c->self, NULL, &c->out);
	if (st != TLBF_STATUS_OK) {
		atomic64_inc(&ks->failures);
		return;
	}
	atomic64_inc(&ks->requests);
	atomic64_inc(&ks->kinds[kind]);
	for (i = 0; i < TLBF_WAKE__COUNT; i++)
		atomic64_add(c->out.plan.reasons[i], &ks->reasons[i]);
	/* The flush call has returned: from now on the oracle holds. */
	for (i = 0; i < npages; i++)
		tlbf_oracle_flushed(&ks->oracle, &req.vps, vtl, pages[i], newver[i],
				    kind == TLBF_FLUSH_KIND_GPA);
}

static inline int tlbf_ks_vp_main(void *arg)
{
	struct tlbf_ks_vpctx *c = arg;
	struct tlbf_ks *ks = c->ks;
	u32 self = c->self;
	struct tlbf_entry e;
	unsigned int vtl, i, n;
	bool entered;

	if (tlbf_entry_init(&e, &ks->pt, &ks->be, self, c->list, TLBF_RING_CAPACITY, NULL) !=
	    TLBF_STATUS_OK) {
		atomic64_inc(&ks->failures);
		goto idle;
	}
	while (!kthread_should_stop()) {
		vtl = (unsigned int)(tlbf_ks_rand(c) % TLBF_VTL_COUNT);
		if (tlbf_entry_prepare(&e, vtl) != TLBF_STATUS_OK) {
			atomic64_inc(&ks->failures);
			goto idle;
		}
		entered = tlbf_kbe_enter(&ks->kbe, self);
		if (entered) {
			/* The mock carries out the entry's flush (nobody
			 * cancels on the mock: the kick is the kernel
			 * backend's). */
			if (!tlbf_mock_enter(&ks->mock, self, vtl))
				atomic64_inc(&ks->failures);
			n = 1 + (unsigned int)(tlbf_ks_rand(c) % 64);
			for (i = 0; i < n; i++) {
				/* A vCPU preempted in the guest: a kick sent
				 * meanwhile is seen only after the next access. */
				if ((tlbf_ks_rand(c) & 7) == 0)
					cond_resched();
				tlbf_ks_use(ks, self, vtl, (u32)(tlbf_ks_rand(c) % TLBF_KS_NPAGES));
				if (tlbf_kbe_take_cancel(&ks->kbe, self))
					break;
			}
			tlbf_mock_leave(&ks->mock, self);
			tlbf_kbe_leave(&ks->kbe, self);
		}
		if (tlbf_entry_done(&e, entered) != TLBF_STATUS_OK)
			atomic64_inc(&ks->failures);
		if (self < TLBF_KS_NINIT && (tlbf_ks_rand(c) & 3) == 0)
			tlbf_ks_initiate(c);
		cond_resched();
	}
	return 0;
idle: /* a refusal: counted; wait to be stopped */
	while (!kthread_should_stop())
		msleep(1);
	return 0;
}

/*
 * Run the scenario for @ms milliseconds in caller storage @ks (zeroed
 * here), with the rings' counters starting at @start (near 2^64 to wrap).
 * Returns 0, or -errno if the state was refused or a kthread could not be
 * started.
 */
static inline int tlbf_ks_run(struct tlbf_ks *ks, unsigned int ms, u64 start)
{
	unsigned int v, i;

	memset(ks, 0, sizeof(*ks));
	if (tlbf_partition_init(&ks->pt, ks->vps, NULL, TLBF_KS_NVP) != TLBF_STATUS_OK)
		return -EINVAL;
	for (v = 0; v < TLBF_VTL_COUNT; v++)
		tlbf__ring_init_at(&ks->pt.rings[v], start);
	tlbf_mock_init(&ks->mock, ks->mvps, TLBF_KS_NVP, NULL, 0);
	if (tlbf_oracle_init(&ks->oracle, ks->oracle_words, TLBF_KS_ORACLE_WORDS, TLBF_KS_NVP,
			     TLBF_KS_NPAGES, 0) != TLBF_STATUS_OK)
		return -EINVAL;
	ks->kbe.kvps = ks->kvps;
	ks->kbe.nvps = TLBF_KS_NVP;
	ks->kbe.mock = &ks->mock;
	ks->be.ops = &tlbf_kbe_ops;
	ks->be.ctx = &ks->kbe;
	for (i = 0; i < TLBF_KS_NVP; i++) {
		struct tlbf_ks_vpctx *c = &ks->ctx[i];

		c->ks = ks;
		c->self = i;
		c->rng = (0x9e3779b97f4a7c15ULL * (i + 1)) | 1;
	}
	for (i = 0; i < TLBF_KS_NVP; i++) {
		struct task_struct *t = kthread_run(tlbf_ks_vp_main, &ks->ctx[i], "tlbf-vp%u", i);

		if (IS_ERR(t)) {
			while (i--)
				kthread_stop(ks->ctx[i].task);
			return (int)PTR_ERR(t);
		}
		ks->ctx[i].task = t;
	}
	msleep(ms);
	for (i = 0; i < TLBF_KS_NVP; i++)
		kthread_stop(ks->ctx[i].task);
	return 0;
}

/* The scenario's counters, one line. */
static inline void tlbf_ks_report(struct tlbf_ks *ks, const char *who)
{
	u64 entries = 0, cancelled = 0;
	unsigned int i;

	for (i = 0; i < TLBF_KS_NVP; i++) {
		entries += ks->kvps[i].entries;
		cancelled += ks->kvps[i].cancelled;
	}
	pr_info("%s: %lld requests (list %lld, entire %lld, non-global %lld, guest-physical %lld), %llu entries (%llu cancelled), %lld uses, kicks %lld, waits %lld, skip-outside %lld, skip-polled %lld, stale %lld, failures %lld\n",
		who, atomic64_read(&ks->requests), atomic64_read(&ks->kinds[TLBF_FLUSH_KIND_LIST]),
		atomic64_read(&ks->kinds[TLBF_FLUSH_KIND_ENTIRE]),
		atomic64_read(&ks->kinds[TLBF_FLUSH_KIND_NON_GLOBAL]),
		atomic64_read(&ks->kinds[TLBF_FLUSH_KIND_GPA]), entries, cancelled,
		atomic64_read(&ks->uses), atomic64_read(&ks->kbe.kicks),
		atomic64_read(&ks->kbe.waits), atomic64_read(&ks->reasons[TLBF_WAKE_SKIP_OUTSIDE]),
		atomic64_read(&ks->reasons[TLBF_WAKE_SKIP_POLLED]), atomic64_read(&ks->stale),
		atomic64_read(&ks->failures));
}

#endif /* TLBF_KSCENARIO_H */
