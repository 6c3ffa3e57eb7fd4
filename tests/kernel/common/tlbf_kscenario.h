/* SPDX-License-Identifier: MIT */
/*
 * A kernel backend for tlbflush and a shootdown between kthreads, shared
 * by the out-of-tree module (tests/kernel/module) and the KUnit suite
 * (tests/kernel/kunit).
 *
 * The backend (struct tlbf_kbe): every VP is a kthread with a software TLB
 * per VTL (one entry per page of a small versioned page table). A kick is
 * a function call: it sets the VP's cancel flag and, with TLBF_KICK_WAIT,
 * spins (cpu_relax(), cond_resched()) until the VP is out of its run of
 * guest code. Entry against kick is a store-buffering pair, written with
 * the kernel's own primitives:
 *     VP (tlbf_kbe_enter)              kicker (tlbf_kbe_kick)
 *     run = entries | RUNNING          cancel = 1
 *     smp_mb()                         smp_mb()
 *     read cancel                      read run
 * so either the entry sees the cancel or the kicker sees the VP running and
 * waits; the VP's release store of "not running" at exit pairs with the
 * kicker's acquire loads. The VPs apply what their poll returns to their
 * TLB themselves, so the backend's INVGLA operations (the TDX path) are
 * refused.
 *
 * The scenario (tlbf_ks_run): TLBF_KS_NVP VP kthreads loop: enter (the
 * library's announce and poll, the flush applied to the TLB, publish),
 * translate random pages through the TLB (filling it from the page
 * table), leave when kicked or after a while, exit. The first
 * TLBF_KS_NINIT of them also initiate, outside the guest: they bump
 * page-table versions, then write a real HvCallFlushVirtualAddressListEx
 * or HvCallFlushVirtualAddressSpaceEx input page, decode it and hand it to
 * tlbf_flush_handle(). The oracle: once tlbf_flush_handle() has returned,
 * no VP of the set may use a translation of a covered page of the target
 * VTL at an older version.
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

#define TLBF_KS_NVP 4
#define TLBF_KS_NINIT 2 /* VPs 0 .. NINIT - 1 also initiate */
#define TLBF_KS_NPAGES 16
#define TLBF_KS_NGLOBAL 4 /* pages 0 .. NGLOBAL - 1 are global mappings */
#define TLBF_KS_WORDS TLBF_MASK_WORDS(TLBF_KS_NVP)

/* One cached translation. */
struct tlbf_ktlb_entry {
	u64 version;
	bool valid;
};

/* One VP of the kernel backend. */
struct tlbf_kvp {
	atomic_t cancel;   /* kick pending */
	atomic64_t run;    /* entries << 1 | running */
	struct tlbf_ktlb_entry tlb[TLBF_VTL_COUNT][TLBF_KS_NPAGES]; /* VP only */
	u64 entries, cancelled; /* VP only */
};

struct tlbf_kbe {
	struct tlbf_kvp *kvps;
	u32 nvps;
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

/* The VPs apply their polls themselves: no TDX operations here. */
static inline int tlbf_kbe_invgla_single(void *ctx, u32 vp, u64 rcx, u64 gla)
{
	(void)ctx, (void)vp, (void)rcx, (void)gla;
	return -EOPNOTSUPP;
}

static inline int tlbf_kbe_invgla_list(void *ctx, u32 vp, u64 rcx, u64 info, const u64 *page)
{
	(void)ctx, (void)vp, (void)rcx, (void)info, (void)page;
	return -EOPNOTSUPP;
}

static inline void tlbf_kbe_set_enter_flags(void *ctx, u32 vp, u64 flags)
{
	(void)ctx, (void)vp, (void)flags;
}

static const struct tlbf_backend_ops tlbf_kbe_ops = {
	.invgla_single = tlbf_kbe_invgla_single,
	.invgla_list = tlbf_kbe_invgla_list,
	.set_enter_flags = tlbf_kbe_set_enter_flags,
	.kick = tlbf_kbe_kick,
	.relax = tlbf_kbe_relax,
};

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

/* ---- the scenario ---- */

struct tlbf_ks_vpctx {
	struct tlbf_ks *ks;
	u32 self;
	u64 rng;
	u64 out[TLBF_RING_CAPACITY];
	u64 input[512] __aligned(8); /* a hypercall input page */
	u64 kick[TLBF_KS_WORDS], wait[TLBF_KS_WORDS];
	struct task_struct *task;
};

struct tlbf_ks {
	struct tlbf_ring rings[TLBF_VTL_COUNT];
	struct tlbf_vp vps[TLBF_KS_NVP];
	struct tlbf_partition pt;
	struct tlbf_kvp kvps[TLBF_KS_NVP];
	struct tlbf_kbe kbe;
	struct tlbf_backend be;
	atomic64_t pt_version[TLBF_VTL_COUNT][TLBF_KS_NPAGES];
	atomic64_t required[TLBF_KS_NVP][TLBF_VTL_COUNT][TLBF_KS_NPAGES];
	struct tlbf_ks_vpctx ctx[TLBF_KS_NVP];
	/* results */
	atomic64_t stale, uses, requests, failures, kinds[3];
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

static inline void tlbf_ks_max(atomic64_t *p, u64 v)
{
	s64 cur = atomic64_read(p);

	while ((u64)cur < v && !atomic64_try_cmpxchg_release(p, &cur, (s64)v))
		;
}

static inline void tlbf_ks_use(struct tlbf_ks *ks, u32 vp, unsigned int vtl, u64 page)
{
	struct tlbf_ktlb_entry *e = &ks->kvps[vp].tlb[vtl][page];
	u64 need;

	if (!e->valid) {
		e->version = (u64)atomic64_read_acquire(&ks->pt_version[vtl][page]);
		e->valid = true;
	}
	need = (u64)atomic64_read_acquire(&ks->required[vp][vtl][page]);
	atomic64_inc(&ks->uses);
	if (e->version < need && atomic64_inc_return(&ks->stale) <= 5)
		pr_err("tlbflush: STALE: vp %u vtl %u page %llu used at version %llu, flushed to %llu\n",
		       vp, vtl, page, e->version, need);
}

/* Apply a poll's answer to the VP's TLB of @vtl. */
static inline void tlbf_ks_apply(struct tlbf_ks *ks, u32 vp, unsigned int vtl,
				 struct tlbf_poll p, const u64 *ranges)
{
	struct tlbf_ktlb_entry *tlb = ks->kvps[vp].tlb[vtl];
	u64 pg;
	u32 i;

	if (p.flags & TLBF_POLL_ENTIRE) {
		for (pg = 0; pg < TLBF_KS_NPAGES; pg++)
			tlb[pg].valid = false;
		return;
	}
	if (p.flags & TLBF_POLL_NON_GLOBAL)
		for (pg = TLBF_KS_NGLOBAL; pg < TLBF_KS_NPAGES; pg++)
			tlb[pg].valid = false;
	if (p.flags & TLBF_POLL_LIST) {
		for (i = 0; i < p.count; i++) {
			u64 first = tlbf__gva_page(ranges[i]);
			u64 n = tlbf__gva_additional(ranges[i], false) + 1;

			for (pg = 0; pg < TLBF_KS_NPAGES; pg++)
				if (pg - first < n)
					tlb[pg].valid = false;
		}
	}
}

/* One flush hypercall from VP @c->self, as a VMM's handler runs it. */
static inline void tlbf_ks_initiate(struct tlbf_ks_vpctx *c)
{
	struct tlbf_ks *ks = c->ks;
	unsigned int vtl = (unsigned int)(tlbf_ks_rand(c) % TLBF_VTL_COUNT);
	u64 set = tlbf_ks_rand(c) & ((1ULL << TLBF_KS_NVP) - 1);
	unsigned int kind = (unsigned int)(tlbf_ks_rand(c) % 8);
	u64 pages[TLBF_KS_NPAGES], newver[TLBF_KS_NPAGES];
	unsigned int npages = 0, i, n = 0;
	struct tlbf_flush_request req;
	struct tlbf_flush_outcome o;
	enum tlbf_status st;
	u64 control, pg;
	u32 v;

	set |= 1ULL << (tlbf_ks_rand(c) % TLBF_KS_NVP);
	kind = kind == 0 ? TLBF_FLUSH_KIND_ENTIRE : kind == 1 ? TLBF_FLUSH_KIND_NON_GLOBAL : TLBF_FLUSH_KIND_LIST;
	c->input[0] = 0; /* address space */
	c->input[2] = TLBF_HV_GENERIC_SET_SPARSE_4K;
	c->input[3] = 1; /* valid_bank_mask: bank 0 (variable header: 1 word) */
	c->input[4] = set;
	if (kind == TLBF_FLUSH_KIND_LIST) {
		n = 1 + (unsigned int)(tlbf_ks_rand(c) % 3);
		for (i = 0; i < n; i++) {
			pages[npages] = tlbf_ks_rand(c) % TLBF_KS_NPAGES;
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
		newver[i] = (u64)atomic64_inc_return_release(&ks->pt_version[vtl][pages[i]]);

	memset(&req, 0, sizeof(req));
	if (tlbf_hypercall_decode(control, c->input, sizeof(c->input), TLBF_KS_NVP, vtl, &req,
				  NULL) != TLBF_HV_STATUS_SUCCESS || req.kind != kind ||
	    req.target_vtl != vtl) {
		atomic64_inc(&ks->failures);
		return;
	}
	st = tlbf_flush_handle(&ks->pt, &ks->be, &req, c->self, c->kick, c->wait,
			       TLBF_KS_WORDS, &o);
	if (st != TLBF_STATUS_OK) {
		atomic64_inc(&ks->failures);
		return;
	}
	atomic64_inc(&ks->requests);
	atomic64_inc(&ks->kinds[kind]);
	for (i = 0; i < TLBF_WAKE__COUNT; i++)
		atomic64_add(o.plan.reasons[i], &ks->reasons[i]);
	/* The flush call has returned: from now on the oracle holds. */
	for (v = 0; v < TLBF_KS_NVP; v++)
		if ((set >> v) & 1)
			for (i = 0; i < npages; i++)
				tlbf_ks_max(&ks->required[v][vtl][pages[i]], newver[i]);
}

static inline int tlbf_ks_vp_main(void *arg)
{
	struct tlbf_ks_vpctx *c = arg;
	struct tlbf_ks *ks = c->ks;
	u32 self = c->self;
	struct tlbf_vp *vp = &ks->vps[self];
	struct tlbf_vp_local l;
	unsigned int vtl, i, n;
	struct tlbf_poll p;

	tlbf__vp_start(vp, &l, ks->pt.rings);
	while (!kthread_should_stop()) {
		vtl = (unsigned int)(tlbf_ks_rand(c) % TLBF_VTL_COUNT);
		p = tlbf__vp_prepare_entry(vp, &l, &ks->rings[vtl], vtl, c->out, TLBF_RING_CAPACITY);
		tlbf_ks_apply(ks, self, vtl, p, c->out);
		tlbf__vp_publish(vp, &l, vtl);
		if (tlbf_kbe_enter(&ks->kbe, self)) {
			n = 1 + (unsigned int)(tlbf_ks_rand(c) % 64);
			for (i = 0; i < n; i++) {
				/* A vCPU preempted in the guest: a kick sent
				 * meanwhile is seen only after the next access. */
				if ((tlbf_ks_rand(c) & 7) == 0)
					cond_resched();
				tlbf_ks_use(ks, self, vtl, tlbf_ks_rand(c) % TLBF_KS_NPAGES);
				if (tlbf_kbe_take_cancel(&ks->kbe, self))
					break;
			}
			tlbf_kbe_leave(&ks->kbe, self);
		}
		tlbf__vp_exit(vp, &l);
		if (self < TLBF_KS_NINIT && (tlbf_ks_rand(c) & 3) == 0)
			tlbf_ks_initiate(c);
		cond_resched();
	}
	return 0;
}

/*
 * Run the scenario for @ms milliseconds in caller storage @ks (zeroed
 * here), with the rings' counters starting at @start (near 2^64 to wrap).
 * Returns 0, or -errno if a kthread could not be started.
 */
static inline int tlbf_ks_run(struct tlbf_ks *ks, unsigned int ms, u64 start)
{
	unsigned int v, i;

	memset(ks, 0, sizeof(*ks));
	for (v = 0; v < TLBF_VTL_COUNT; v++) {
		tlbf__ring_init_at(&ks->rings[v], start);
		ks->pt.rings[v] = &ks->rings[v];
	}
	for (i = 0; i < TLBF_KS_NVP; i++)
		tlbf__vp_init(&ks->vps[i]);
	ks->pt.vps = ks->vps;
	ks->pt.vp_count = TLBF_KS_NVP;
	ks->kbe.kvps = ks->kvps;
	ks->kbe.nvps = TLBF_KS_NVP;
	ks->be = tlbf_backend_make(&tlbf_kbe_ops, &ks->kbe);
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
	pr_info("%s: %lld requests (list %lld, entire %lld, non-global %lld), %llu entries (%llu cancelled), %lld uses, kicks %lld, waits %lld, skip-outside %lld, skip-polled %lld, stale %lld, failures %lld\n",
		who, atomic64_read(&ks->requests), atomic64_read(&ks->kinds[TLBF_FLUSH_KIND_LIST]),
		atomic64_read(&ks->kinds[TLBF_FLUSH_KIND_ENTIRE]),
		atomic64_read(&ks->kinds[TLBF_FLUSH_KIND_NON_GLOBAL]), entries, cancelled,
		atomic64_read(&ks->uses), atomic64_read(&ks->kbe.kicks),
		atomic64_read(&ks->kbe.waits), atomic64_read(&ks->reasons[TLBF_WAKE_SKIP_OUTSIDE]),
		atomic64_read(&ks->reasons[TLBF_WAKE_SKIP_POLLED]), atomic64_read(&ks->stale),
		atomic64_read(&ks->failures));
}

#endif /* TLBF_KSCENARIO_H */
