/* SPDX-License-Identifier: MIT */
/*
 * bench/designs/kvm_fifo.c - KVM's Hyper-V flush handling, re-implemented
 * as a baseline.
 *
 * Per target VP (and per VTL, as KVM keeps one FIFO per guest mode): a
 * FIFO of 16 GVA ranges. Producers serialise on the FIFO's spinlock; the
 * one consumer (the VP itself) drains it without the lock, kfifo style
 * (the producer publishes "in" with release, the consumer publishes "out"
 * with release). A request that does not fit, and every Space call, is a
 * single flush-all entry instead: a List request is queued only if it
 * leaves at least one slot free, so a flush-all always fits or one is
 * already queued.
 *
 * Per VP: a mode word, OUTSIDE / IN_GUEST / EXITING. Entry stores
 * IN_GUEST then a full barrier, then drains; exit stores OUTSIDE.
 * Initiators push into every target's FIFO, full barrier, then per
 * target: cmpxchg IN_GUEST -> EXITING and kick only on success; every
 * target not OUTSIDE is waited for: the ones we kicked by the backend's
 * kick with wait, the ones another initiator is kicking on their mode
 * word until they are no longer EXITING. The
 * mode knows no VTL and no "already drained": a VP in the guest is kicked
 * whatever it runs.
 *
 * The spinlock spins politely and yields after a while: in user space
 * (where the simulator and the benchmark run) a preempted lock holder is
 * possible, which KVM excludes by disabling preemption.
 */
#define _POSIX_C_SOURCE 200809L
#include "design.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "tlbflush/vpset.h"

#define KF_SIZE 16u
#define KF_FLUSH_ALL UINT64_MAX

enum { KF_OUTSIDE = 0, KF_IN_GUEST = 1, KF_EXITING = 2 };

struct kf_fifo {
	_Alignas(64) atomic_flag lock;
	_Atomic uint32_t in;  /* producers, under lock */
	_Atomic uint32_t out; /* consumer */
	_Atomic uint32_t gpa; /* guest-physical requests, under lock */
	uint32_t gpa_seen;    /* consumer's private copy */
	_Atomic uint64_t entry[KF_SIZE];
};

struct kf_vcpu {
	_Alignas(64) _Atomic uint32_t mode;
	struct kf_fifo fifo[TLBF_VTL_COUNT];
};

struct kf_design {
	struct design base;
	struct kf_vcpu *vcpu; /* [nvps] */
};

static struct kf_design *kf(struct design *d)
{
	return (struct kf_design *)d;
}

static void kf_lock(struct kf_fifo *f)
{
	unsigned spins = 0;
	while (atomic_flag_test_and_set_explicit(&f->lock, memory_order_acquire)) {
		if (++spins % 64 == 0)
			sched_yield();
		else
			TLBF_CPU_RELAX();
	}
}

static void kf_unlock(struct kf_fifo *f)
{
	atomic_flag_clear_explicit(&f->lock, memory_order_release);
}

static void kf_destroy(struct design *d)
{
	free(kf(d)->vcpu);
	design_base_fini(d);
	free(d);
}

static struct design *kf_create(const struct design_config *cfg)
{
	struct kf_design *k = design_alloc(sizeof(*k));
	if (!k)
		return NULL;
	if (design_base_init(&k->base, &design_kvm_fifo_ops, cfg) != 0) {
		free(k);
		return NULL;
	}
	k->vcpu = design_alloc(sizeof(*k->vcpu) * cfg->nvps);
	if (!k->vcpu) {
		kf_destroy(&k->base);
		return NULL;
	}
	for (uint32_t i = 0; i < cfg->nvps; i++) {
		atomic_init(&k->vcpu[i].mode, KF_OUTSIDE);
		for (unsigned v = 0; v < TLBF_VTL_COUNT; v++) {
			struct kf_fifo *f = &k->vcpu[i].fifo[v];
			atomic_flag_clear(&f->lock);
			atomic_init(&f->in, 0);
			atomic_init(&f->out, 0);
			atomic_init(&f->gpa, 0);
			f->gpa_seen = 0;
			for (unsigned e = 0; e < KF_SIZE; e++)
				atomic_init(&f->entry[e], 0);
		}
	}
	return &k->base;
}

/* Queue @n ranges (n == 0: flush all; with @gpa a guest-physical flush,
 * which KVM keeps as a request bit beside the FIFO and carries out with
 * INVEPT). Returns true if it overflowed. */
static bool kf_push(struct kf_fifo *f, const uint64_t *ranges, uint32_t n, bool gpa)
{
	bool overflow = false;
	DESIGN_STEP("kf:lock");
	kf_lock(f);
	/* lock, [gpa], the entries, in, unlock */
	DESIGN_COUNT(DESIGN_COUNT_SHARED, UINT64_C(3) + (gpa ? 1u : 0u) + (n ? n : 1u));
	if (gpa) /* relaxed: published by the release store of in below */
		atomic_store_explicit(&f->gpa, atomic_load_explicit(&f->gpa, memory_order_relaxed) + 1,
		                      memory_order_relaxed);
	uint32_t in = atomic_load_explicit(&f->in, memory_order_relaxed);
	/* Acquire: the consumer's reads of the slots we reuse are done. */
	uint32_t out = atomic_load_explicit(&f->out, memory_order_acquire);
	uint32_t avail = KF_SIZE - (in - out);
	if (n != 0 && n < avail) {
		for (uint32_t i = 0; i < n; i++)
			atomic_store_explicit(&f->entry[(in + i) % KF_SIZE], ranges[i],
			                      memory_order_relaxed);
		in += n;
	} else {
		overflow = n != 0;
		if (avail > 0) {
			atomic_store_explicit(&f->entry[in % KF_SIZE], KF_FLUSH_ALL,
			                      memory_order_relaxed);
			in += 1;
		}
		/* avail == 0: the last entry queued is a flush-all (a list
		 * always leaves one slot free), which covers this request. */
	}
	DESIGN_STEP("kf:publish");
	atomic_store_explicit(&f->in, in, memory_order_release);
	kf_unlock(f);
	return overflow;
}

static struct design_token kf_record(struct design *d, uint32_t self,
                                     const struct tlbf_flush_request *req)
{
	struct kf_design *k = kf(d);
	struct design_slot *s = &d->slot[self];
	struct design_token tok;
	tok.mark.kind = TLBF_MARK_KIND_NONE;
	tok.mark.value = 0;
	uint64_t ranges[KF_SIZE];
	uint32_t n = 0;
	tok.how = design_read_request(req, ranges, KF_SIZE - 1);
	if (tok.how == DESIGN_REC_LIST)
		n = req->range_count;
	if (tok.how != DESIGN_REC_EMPTY) {
		bool degraded = false;
		struct tlbf_vpset_iter it;
		uint32_t v;
		tlbf_vpset_iter_init(&it, &req->vps);
		while (tlbf_vpset_iter_next(&it, &v)) {
			if (v >= d->nvps)
				break;
			if (kf_push(&k->vcpu[v].fifo[req->target_vtl], ranges, n,
			            tok.how == DESIGN_REC_GPA)) {
				s->st.overflows++;
				degraded = true;
			}
		}
		if (degraded && tok.how == DESIGN_REC_LIST)
			tok.how = DESIGN_REC_DEGRADED;
	}
	s->st.recorded[tok.how]++;
	return tok;
}

static int kf_wake(struct design *d, uint32_t self, const struct tlbf_flush_request *req,
                   struct design_token tok)
{
	struct kf_design *k = kf(d);
	struct design_slot *s = &d->slot[self];
	(void)tok;
	s->st.wakes++;
	uint32_t nkick = 0, nwait = 0;
	for (uint32_t i = 0; i < d->mask_words; i++)
		s->kick[i] = s->wait[i] = 0;
	DESIGN_STEP("kf:fence");
	atomic_thread_fence(memory_order_seq_cst);
	struct tlbf_vpset_iter it;
	uint32_t v;
	tlbf_vpset_iter_init(&it, &req->vps);
	while (tlbf_vpset_iter_next(&it, &v)) {
		if (v >= d->nvps)
			break;
		if (v == self) {
			s->st.reasons[TLBF_WAKE_SKIP_INITIATOR]++;
			continue;
		}
		_Atomic uint32_t *mode = &k->vcpu[v].mode;
		DESIGN_STEP("kf:mode");
		uint32_t m = atomic_load_explicit(mode, memory_order_acquire);
		if (m == KF_IN_GUEST) {
			DESIGN_COUNT(DESIGN_COUNT_SHARED, 1);
			if (atomic_compare_exchange_strong_explicit(mode, &m, KF_EXITING,
			                                            memory_order_acq_rel,
			                                            memory_order_acquire)) {
				s->kick[v / 64] |= UINT64_C(1) << (v % 64);
				nkick++;
				s->st.reasons[TLBF_WAKE_KICK]++;
				continue;
			}
		}
		if (m == KF_EXITING) {
			s->wait[v / 64] |= UINT64_C(1) << (v % 64);
			nwait++;
			s->st.reasons[TLBF_WAKE_WAIT_ONLY]++;
		} else {
			s->st.reasons[TLBF_WAKE_SKIP_OUTSIDE]++;
		}
	}
	int rc = 0;
	if (nkick) {
		rc = d->be.ops->kick(d->be.ctx, s->kick, d->nvps, TLBF_KICK_CANCEL | TLBF_KICK_WAIT);
		s->st.kick_calls++;
	}
	/* Targets another initiator moved to EXITING: that initiator may not
	 * have sent its signal yet, so a backend wait could return while the
	 * VP is about to enter with a drain that missed our entry. Wait on the
	 * mode word instead, until the VP has left (OUTSIDE) or entered again
	 * (a new IN_GUEST, whose drain follows our fence). */
	for (uint32_t w = 0; w < d->mask_words; w++) {
		for (uint64_t bits = s->wait[w]; bits; bits &= bits - 1) {
			_Atomic uint32_t *mode = &k->vcpu[w * 64 + tlbf__ctz64(bits)].mode;
			DESIGN_STEP("kf:wait");
			while (atomic_load_explicit(mode, memory_order_acquire) == KF_EXITING) {
				if (d->be.ops->relax)
					d->be.ops->relax(d->be.ctx);
				else
					TLBF_CPU_RELAX();
			}
		}
	}
	s->st.kicks += nkick;
	s->st.waits += nwait;
	if (rc != 0)
		s->st.errors++;
	return rc;
}

static void kf_vp_start(struct design *d, uint32_t vp)
{
	/* A VP that never ran holds nothing: start past what is queued. */
	struct kf_vcpu *c = &kf(d)->vcpu[vp];
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++) {
		struct kf_fifo *f = &c->fifo[v];
		atomic_store_explicit(&f->out, atomic_load_explicit(&f->in, memory_order_acquire),
		                      memory_order_release);
		f->gpa_seen = atomic_load_explicit(&f->gpa, memory_order_acquire);
	}
}

static void kf_vp_announce(struct design *d, uint32_t vp, unsigned vtl)
{
	(void)vtl;
	DESIGN_STEP("kf:announce");
	DESIGN_COUNT(DESIGN_COUNT_OWN, 1);
	atomic_store_explicit(&kf(d)->vcpu[vp].mode, KF_IN_GUEST, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
}

static struct tlbf_poll kf_vp_poll(struct design *d, uint32_t vp, unsigned vtl, uint64_t *out,
                                   uint32_t cap)
{
	struct kf_fifo *f = &kf(d)->vcpu[vp].fifo[vtl];
	struct tlbf_poll p = {TLBF_POLL_NOTHING, 0};
	DESIGN_STEP("kf:drain");
	uint32_t in = atomic_load_explicit(&f->in, memory_order_acquire);
	uint32_t o = atomic_load_explicit(&f->out, memory_order_relaxed); /* ours */
	/* After in: a push's bump is ordered before its store of in. Checked
	 * even with nothing queued (a push into a full FIFO adds no entry). */
	uint32_t gpa = atomic_load_explicit(&f->gpa, memory_order_acquire);
	if (gpa != f->gpa_seen) {
		f->gpa_seen = gpa;
		DESIGN_COUNT(DESIGN_COUNT_SHARED, 1); /* out: the FIFO header line */
		atomic_store_explicit(&f->out, in, memory_order_release);
		p.flags = TLBF_POLL_ENTIRE | TLBF_POLL_GPA;
		return p;
	}
	if (in == o)
		return p;
	bool all = false;
	uint32_t count = 0;
	for (; o != in; o++) {
		uint64_t e = atomic_load_explicit(&f->entry[o % KF_SIZE], memory_order_relaxed);
		if (e == KF_FLUSH_ALL || count == cap)
			all = true;
		else if (!all)
			out[count++] = e;
	}
	DESIGN_COUNT(DESIGN_COUNT_SHARED, 1);
	atomic_store_explicit(&f->out, in, memory_order_release);
	if (all) {
		p.flags = TLBF_POLL_ENTIRE;
		return p;
	}
	p.flags = TLBF_POLL_LIST;
	p.count = count;
	return p;
}

static void kf_vp_exit(struct design *d, uint32_t vp)
{
	DESIGN_STEP("kf:exit");
	DESIGN_COUNT(DESIGN_COUNT_OWN, 1);
	atomic_store_explicit(&kf(d)->vcpu[vp].mode, KF_OUTSIDE, memory_order_release);
}

const struct design_ops design_kvm_fifo_ops = {
	.name = "kvm-fifo",
	.summary = "KVM's: spinlocked 16-entry FIFO per target VP, mode word, cmpxchg kick",
	.create = kf_create,
	.destroy = kf_destroy,
	.record = kf_record,
	.wake = kf_wake,
	.vp_start = kf_vp_start,
	.vp_announce = kf_vp_announce,
	.vp_poll = kf_vp_poll,
	.vp_publish = design_vp_publish_nothing,
	.vp_exit = kf_vp_exit,
	.prepare_entry = NULL,
	.get_stats = NULL,
};
