/* SPDX-License-Identifier: MIT */
/*
 * examples/sim/sim.c - the VP threads of shootdown-sim, the flush call
 * and one design's run.
 *
 * A VP thread runs the guest loop: prepare the entry through the design
 * (announce, poll, flush a list now or fold the answer into the entry's
 * flush scope: the entry driver, tlbflush/entry.h), enter on the mock,
 * then guest code that uses translations of the guest's pages through the
 * stale-translation oracle (tlbflush/oracle.h) until it is kicked or
 * leaves by itself, then the end of the entry. The first sim_opt.ninit
 * VPs also initiate, outside the guest: change pages, then issue a random
 * flush hypercall (bench/guest/encode.h), which the VMM side decodes and
 * hands to the design under test.
 *
 * With --tlb-locks (tlbflush design only) VPs also hold VTL1's lock of
 * VTL0's TLB now and then, outside guest code (tlbflush/tlb_lock.h), and
 * an initiator whose call finds a holder in its set is suspended as
 * TLBF_STATUS_SUSPEND says: tlbf_tlb_lock_must_wait() and a halt on the
 * mock until woken. Two checks: no call completes while a VP of its set
 * still holds the lock it held when the call was recorded (early: the
 * oracle's tlbf_oracle_call_begin()/_call_end()), and no halt outlives
 * every holder it waits for without a wake-up (lost: the simulator's own
 * hold counts, which oracle.h does not keep).
 */
#define _GNU_SOURCE
#include "sim.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The run of one design. */
static struct {
	const struct design_ops *ops;
	struct design *d;
	struct tlbf_mock mock;
	struct tlbf_mock_vp *mvps;
	struct tlbf_oracle oracle;
	TLBF_ATOMIC(uint64_t) *owords; /* the oracle's storage */
	struct sim_vp *vp;
	atomic_bool stop;
	atomic_uint interval; /* the part of the run the VPs count in */
	uint64_t t0;
	/* --tlb-locks: the tlbflush design's partition, with its TLB locks */
	bool locks_on;
	struct tlbf_partition *pt;
	struct tlbf_backend be;
} sim;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd(void)
{
	return design_hook_rand();
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static unsigned interval_now(void)
{
	return atomic_load_explicit(&sim.interval, memory_order_relaxed);
}

static void event(struct sim_vp *c, enum sim_ev_kind kind, uint64_t a, uint64_t b)
{
	struct sim_event *e = &c->ev[c->ev_next++ % SIM_EVENTS];
	e->t_ns = now_ns() - sim.t0;
	e->kind = kind;
	e->a = a;
	e->b = b;
}

/* ---- latency histogram: 8 sub-buckets per power of two (~12%) ---- */

static unsigned hist_index(uint64_t ns)
{
	if (ns < 8)
		return (unsigned)ns;
	unsigned e = 63u - (unsigned)__builtin_clzll(ns);
	return 8u * (e - 2u) + (unsigned)((ns >> (e - 3u)) & 7u);
}

static double hist_value(unsigned idx)
{
	if (idx < 8)
		return idx;
	unsigned e = idx / 8u + 2u, sub = idx % 8u;
	double lo = (double)((8u + sub) * (UINT64_C(1) << (e - 3u)));
	return lo + (double)(UINT64_C(1) << (e - 3u)) / 2.0;
}

static double hist_quantile(const uint64_t *h, double q)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < SIM_HIST_BUCKETS; i++)
		total += h[i];
	if (!total)
		return 0;
	double x = q * (double)total;
	uint64_t want = (uint64_t)x, seen = 0;
	if ((double)want < x)
		want++;
	for (unsigned i = 0; i < SIM_HIST_BUCKETS; i++) {
		seen += h[i];
		if (seen >= want && h[i])
			return hist_value(i);
	}
	return 0;
}

/* ---- the guest's work ---- */

/* One guest access: translate through the TLB, check against the oracle. */
static void guest_use(struct sim_vp *c, unsigned vtl)
{
	unsigned page = (unsigned)rnd_below(GUEST_NPAGES);
	const uint64_t gva_page = GUEST_GVA_BASE_PAGE + page;
	uint64_t v, gv;
	/* A miss in either TLB reads the page tables (a fill): looked up
	 * first, on this VP's own TLB, to count fills. */
	bool hit = tlbf_mock_tlb_lookup(&sim.mock, c->id, vtl, gva_page, &v) &&
	           tlbf_mock_gpa_lookup(&sim.mock, c->id, vtl, page, &gv);
	bool stale = tlbf_oracle_access(&sim.oracle, &sim.mock, c->id, vtl, page,
	                                page < GUEST_NGLOBAL);
	if (!hit) {
		c->fills++;
		c->fill_t[vtl][page] = now_ns() - sim.t0;
	}
	c->uses++;
	if (stale) {
		/* The versions used are the ones cached now (the access
		 * filled what it missed). */
		v = gv = 0;
		(void)tlbf_mock_tlb_lookup(&sim.mock, c->id, vtl, gva_page, &v);
		(void)tlbf_mock_gpa_lookup(&sim.mock, c->id, vtl, page, &gv);
		event(c, EV_STALE, page, v);
		atomic_fetch_add_explicit(&c->stale, 1, memory_order_relaxed);
		report_stale(c, sim.ops->name, vtl, page, v, gv);
	}
}

/* --count-shared: add this thread's writes since the last take to @w
 * (one more operation in @n). */
static void count_into(uint64_t w[2], uint64_t *n)
{
	uint64_t cw[2];
	design_count_take(cw);
	w[0] += cw[0];
	w[1] += cw[1];
	(*n)++;
}

/* ---- VSM TLB locks (--tlb-locks) ---- */

static void spend_us(double us);

static struct sim_vp *lk_vp(uint32_t h)
{
	return &sim.vp[h];
}

/* Each VP of the call's set but the caller (lk_set, lk_nset). */
#define FOR_EACH_OTHER(c, h)                                                   \
	for (uint32_t i_ = 0, h; i_ < (c)->lk_nset && (h = (c)->lk_set[i_], 1); i_++)

/* VTL1 locks VTL0's TLB on this VP for a short random time, outside guest
 * code, then releases it, which wakes the VPs its release unblocked. */
static void tlb_lock_hold(struct sim_vp *c)
{
	uint64_t hold_ns = 1 + rnd_below((uint64_t)(sim_opt.tlb_lock_us * 1e3));
	/* Before the lock: an initiator that finds us holding (its W1 read
	 * our H1) sees this count, so it knows which hold to wait for. The
	 * release fence pairs with the initiator's acquire fence after its
	 * call registered with the holders. */
	atomic_fetch_add_explicit(&c->lk_taking, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	if (tlbf_tlb_lock(sim.pt, c->id, 1, 0) != TLBF_STATUS_OK)
		c->failures++;
	/* The oracle's hold lies within the library's. */
	tlbf_oracle_hold(&sim.oracle, c->id, 0, true);
	atomic_store_explicit(&c->lk_since_ns, now_ns() - sim.t0, memory_order_relaxed);
	event(c, EV_LOCK, hold_ns, 0);
	spend_us((double)hold_ns / 1e3); /* VTL1 relies on VTL0's translations */
	tlbf_oracle_hold(&sim.oracle, c->id, 0, false);
	/* Either way out: clear the TlbLocked bit, or return to VTL0. */
	enum tlbf_status st = tlbf_tlb_unlock(sim.pt, &sim.be, c->id, 1,
	                                      rnd_below(2) ? 0u : TLBF_TLB_UNLOCK_ALL);
	if (st != TLBF_STATUS_OK)
		c->failures++;
	event(c, EV_UNLOCK, (uint64_t)st, 0);
	/* Release: the wake-up (M5) before it, for a waiter checking for a
	 * lost wake-up. */
	atomic_fetch_add_explicit(&c->lk_done, 1, memory_order_release);
	c->holds++;
}

/* Before the call is recorded: which VPs of the set hold the lock now
 * (the oracle's snapshot), and the set but the caller. */
static void tlb_lock_before(struct sim_vp *c, const struct tlbf_flush_request *req)
{
	struct tlbf_vpset_iter it;
	uint32_t v;
	c->lk_nset = 0;
	tlbf_vpset_iter_init(&it, &req->vps);
	while (tlbf_vpset_iter_next(&it, &v) && v < sim_opt.nvps)
		if (v != c->id)
			c->lk_set[c->lk_nset++] = v;
	tlbf_oracle_call_begin(&sim.oracle, c->lk_before, &req->vps, req->target_vtl);
}

/* During a halt: every hold the snapshot can contain has been released,
 * its wake-ups sent. */
static bool tlb_lock_holders_gone(struct sim_vp *c)
{
	FOR_EACH_OTHER(c, h)
		if (atomic_load_explicit(&lk_vp(h)->lk_done, memory_order_acquire) < c->lk_need[h])
			return false;
	return true;
}

/* The handler's TLBF_STATUS_SUSPEND and the run loop's wait: while
 * tlbf_tlb_lock_must_wait() halt until woken.
 *
 * A lost wake-up: the halt began after must_wait said true, so the holder
 * whose release brings the count to 0 must find the VP sleeping and wake
 * it; once every hold the call can have registered with has been released
 * and its wake-ups sent (lk_done, release, after the wake's M5; our
 * acquire load pairs with it), that wake-up is pending, so a halt that
 * finds every holder gone and no wake-up lost it (or waits on a count no
 * release will clear). It is checked at once rather than after a grace
 * period: a waiter's count left too high by a broken protocol is cleared
 * again by the same VP's next release (it finds the stale waiter bit),
 * which a grace period would let hide the loss. The halt is therefore the
 * mock's wake flag polled (tlbf_mock_take_wake()) beside that check, not
 * tlbf_mock_halt(), which would wait for ever. */
static void tlb_lock_suspend(struct sim_vp *c)
{
	/* The call registered with the holders it found (W1 read their
	 * H1): pairs with the holders' release fence before their H1. */
	atomic_thread_fence(memory_order_acquire);
	FOR_EACH_OTHER(c, h)
		c->lk_need[h] = atomic_load_explicit(&lk_vp(h)->lk_taking, memory_order_relaxed);
	event(c, EV_SUSPEND, 0, 0);
	uint64_t t0 = now_ns();
	bool lost = false;
	while (tlbf_tlb_lock_must_wait(sim.pt, c->id)) {
		/* The halt: until woken, or every holder gone. */
		bool woken = false;
		for (;;) {
			if (tlbf_mock_take_wake(&sim.mock, c->id)) {
				woken = true;
				break;
			}
			if (tlb_lock_holders_gone(c)) {
				woken = tlbf_mock_take_wake(&sim.mock, c->id);
				break;
			}
			tlbf__backend_relax(&sim.be);
		}
		if (woken)
			continue;
		/* Every holder released and sent its wake-ups, none for us. */
		lost = true;
		atomic_fetch_add_explicit(&c->lost, 1, memory_order_relaxed);
		bool stuck = tlbf_tlb_lock_must_wait(sim.pt, c->id);
		report_lost(c, sim.ops->name, stuck, now_ns() - sim.t0);
		/* Resume either way: if still stuck, no release is left to
		 * bring the count to 0. */
		break;
	}
	uint64_t len = now_ns() - t0;
	c->suspensions++;
	c->susp_hist[hist_index(len)]++;
	event(c, EV_RESUME, len, lost);
}

/* The call completes now: no VP of the set may still hold the lock it
 * held when the call was recorded (the oracle's early completion). */
static void tlb_lock_done(struct sim_vp *c, const struct tlbf_flush_request *req,
                          uint64_t t_rec)
{
	c->lock_calls++;
	if (tlbf_oracle_call_end(&sim.oracle, c->lk_before, req->target_vtl, c->id)) {
		atomic_fetch_add_explicit(&c->early, 1, memory_order_relaxed);
		report_early(c, sim.pt, sim.vp, sim.ops->name, t_rec, now_ns() - sim.t0);
	}
}

/* ---- the initiator: one flush hypercall, as a guest issues it and a VMM
 * handles it ---- */

static void flush_call(struct sim_vp *c)
{
	struct guest_call k;
	guest_call_random(&k, c->input, sim_opt.nvps, rnd);

	/* The guest's page-table change, before the hypercall. */
	uint64_t newver[GUEST_NPAGES] = {0};
	for (uint64_t m = k.pages; m; m &= m - 1) {
		unsigned p = tlbf__ctz64(m);
		newver[p] = tlbf_oracle_change(&sim.oracle, k.target_vtl, p, false);
	}
	event(c, EV_CALL, k.code, k.target_vtl);

	/* The VMM: decode, then the design's flush (record, fence, wake,
	 * kick with wait). The latency is that of the whole handler. */
	uint64_t t0 = now_ns();
	struct tlbf_flush_request req;
	enum tlbf_hypercall_rule rule;
	enum tlbf_hv_status st = tlbf_hypercall_decode(k.control, c->input, TLBF_HV_INPUT_PAGE_BYTES,
	                                               sim_opt.nvps, k.caller_vtl, &req, &rule);
	if (st != TLBF_HV_STATUS_SUCCESS) {
		c->failures++;
		fprintf(stderr, "shootdown-sim: call 0x%04x (%s set) refused: %s (%s), result %#llx\n",
		        k.code, guest_shape_names[k.shape], tlbf_hv_status_name(st),
		        tlbf_hypercall_rule_name(rule),
		        (unsigned long long)tlbf_hypercall_result(k.control, st));
		return;
	}
	if (sim.locks_on)
		tlb_lock_before(c, &req);
	uint64_t t_rec = now_ns() - sim.t0;
	design_hook_preempt_arm(); /* --preempt: maybe descheduled inside */
	uint64_t cw[2];
	design_count_take(cw);
	enum tlbf_status fs = design_flush(sim.d, c->id, &req);
	count_into(c->cw_call, &c->n_call);
	design_hook_preempt_disarm();
	uint64_t dt = now_ns() - t0;
	unsigned iv = interval_now();
	c->hist[iv][hist_index(dt)]++;
	/* TLBF_STATUS_SUSPEND: the call completes once no holder remains. */
	if (fs == TLBF_STATUS_SUSPEND)
		tlb_lock_suspend(c);
	if (sim.locks_on)
		tlb_lock_done(c, &req, t_rec);
	/* The result the guest sees: success, every rep completed. */
	if ((fs != TLBF_STATUS_OK && fs != TLBF_STATUS_SUSPEND) ||
	    tlbf_hypercall_result(k.control, TLBF_HV_STATUS_SUCCESS) !=
	        (k.control & TLBF_HV_CONTROL_REP_COUNT_MASK)) {
		c->failures++;
		fprintf(stderr, "shootdown-sim: call 0x%04x not completed: %s\n", k.code,
		        tlbf_status_name(fs));
	}

	/* The call returned: from now on the oracle holds for every VP the
	 * guest named (what it meant, not what the decoder made of it). */
	struct tlbf_vpset meant;
	guest_truth_set(&meant, c->truth_words, k.truth, sim_opt.nvps);
	for (uint64_t m = k.pages; m; m &= m - 1) {
		unsigned p = tlbf__ctz64(m);
		tlbf_oracle_flushed(&sim.oracle, &meant, k.target_vtl, p, newver[p], false);
	}
	event(c, EV_CALL_DONE, k.pages, 0);
	c->calls_by_code[(k.ex ? 2 : 0) + (k.list ? 1 : 0)]++;
	c->shapes[k.shape]++;
	c->non_global_calls += k.non_global;
	c->vtl1_calls += k.target_vtl == 1;
	c->calls_in[iv]++;
	atomic_fetch_add_explicit(&c->calls, 1, memory_order_relaxed);
}

/* ---- the VMM's own request: it changed guest-physical mappings (e.g. a
 * VTL protection) of some pages of one VTL and flushes every VP ---- */

static void gpa_call(struct sim_vp *c)
{
	unsigned vtl = GUEST_VTLS > 1 && rnd_below(4) == 0 ? 1 : 0;
	uint64_t pages = UINT64_C(1) << rnd_below(GUEST_NPAGES);
	pages |= UINT64_C(1) << rnd_below(GUEST_NPAGES);
	uint64_t newver[GUEST_NPAGES] = {0};
	for (uint64_t m = pages; m; m &= m - 1) {
		unsigned p = tlbf__ctz64(m);
		newver[p] = tlbf_oracle_change(&sim.oracle, vtl, p, true);
	}
	event(c, EV_CALL, 0, vtl);

	uint64_t t0 = now_ns();
	struct tlbf_flush_request req;
	if (tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_GPA, vtl, sim_opt.nvps) != TLBF_STATUS_OK) {
		c->failures++;
		return;
	}
	/* The VMM's own request, made on this VP's thread while the VP is
	 * outside the guest, from the VMM's slot of this thread (no VP: the
	 * VP is skipped as outside and polls at its next entry). In a
	 * partition with TLB locks nobody is suspended for them:
	 * TLBF_STATUS_LOCKS_IGNORED, done. */
	uint64_t cw[2];
	design_count_take(cw);
	enum tlbf_status fs = design_flush(sim.d, sim_opt.nvps + c->id, &req);
	if (fs != TLBF_STATUS_OK && !(sim.locks_on && fs == TLBF_STATUS_LOCKS_IGNORED)) {
		c->failures++;
		fprintf(stderr, "shootdown-sim: the VMM's guest-physical flush: %s\n",
		        tlbf_status_name(fs));
	}
	count_into(c->cw_call, &c->n_call);
	uint64_t dt = now_ns() - t0;
	unsigned iv = interval_now();
	c->hist[iv][hist_index(dt)]++;

	for (uint64_t m = pages; m; m &= m - 1) {
		unsigned p = tlbf__ctz64(m);
		tlbf_oracle_flushed(&sim.oracle, NULL, vtl, p, newver[p], true);
	}
	event(c, EV_CALL_DONE, pages, 0);
	c->gpa_calls++;
	c->calls_in[iv]++;
	atomic_fetch_add_explicit(&c->calls, 1, memory_order_relaxed);
}

/* ---- the VP thread ---- */

static void relax(void *arg)
{
	(void)arg;
	sched_yield();
}

/* Burn @us microseconds of CPU: the cost of hardware work the mock does
 * not do (an IPI, a TD exit and re-entry). */
static void spend_us(double us)
{
	if (!(us > 0))
		return;
	uint64_t t0 = now_ns();
	while ((double)(now_ns() - t0) * 1e-3 < us)
		;
}

/* The kicker's share of a kick: sending the IPI and taking its answer. */
static void on_kick(void *arg, uint32_t vp)
{
	(void)arg;
	(void)vp;
	spend_us(sim_opt.kick_cost_us);
}

/* Guest code of @vtl after an entry: uses until kicked or done. */
static void guest_run(struct sim_vp *c, unsigned vtl)
{
	event(c, EV_ENTER, vtl, 0);
	c->runs++;
	unsigned n = 1 + (unsigned)rnd_below(64), i;
	for (i = 0; i < n; i++) {
		if (tlbf_mock_take_cancel(&sim.mock, c->id)) {
			c->kicked++;
			event(c, EV_KICKED, 0, 0);
			spend_us(2 * sim_opt.kick_cost_us); /* the forced exit */
			break;
		}
		guest_use(c, vtl);
		if (design_hook_chaos && rnd_below(8) == 0)
			sched_yield();
	}
	tlbf_mock_leave(&sim.mock, c->id);
	event(c, EV_LEAVE, i, 0);
}

/* The VP-side counters that tell a poll answered something. */
static uint64_t answered(const struct tlbf_stats *st, uint64_t *list, uint64_t *entire,
                         uint64_t *skipped)
{
	*list = tlbf_stats_get(st, TLBF_STAT_FLUSH_LIST_SINGLE) +
	        tlbf_stats_get(st, TLBF_STAT_FLUSH_LIST_MULTI);
	*entire = tlbf_stats_get(st, TLBF_STAT_POLL_EVERYTHING);
	*skipped = tlbf_stats_get(st, TLBF_STAT_FLUSH_LIST_SKIPPED);
	return *list + *entire + *skipped;
}

static void *vp_main(void *arg)
{
	struct sim_vp *c = arg;
	design_hook_seed_thread(sim_opt.seed, c->id);
	tlbf_stats_init(&c->stats);
	/* The entry path counts on c->stats (every design's, through the
	 * entry driver's policy). */
	design_vp_start(sim.d, c->id, &c->stats);
	while (!atomic_load_explicit(&sim.stop, memory_order_relaxed)) {
		unsigned vtl = GUEST_VTLS > 1 && rnd_below(4) == 0 ? 1 : 0;
		uint64_t inv0, ent0, skip0, inv1, ent1, skip1;
		uint64_t before = answered(&c->stats, &inv0, &ent0, &skip0);
		uint64_t cw[2];
		design_count_take(cw);
		if (design_prepare_entry(sim.d, c->id, vtl) != TLBF_STATUS_OK)
			c->failures++;
		/* The scope the backend was told this entry flushes. */
		const unsigned scope = sim.mvps[c->id].enter_scope[vtl];
		if (answered(&c->stats, &inv1, &ent1, &skip1) == before && scope == TLBF_SCOPE_NONE) {
			/* The poll found nothing: an idle entry. */
			design_count_take(cw);
			c->cw_idle[0] += cw[0];
			c->cw_idle[1] += cw[1];
			c->cw_entry[0] += cw[0];
			c->cw_entry[1] += cw[1];
			c->n_idle++;
			c->n_entry++;
		} else {
			count_into(c->cw_entry, &c->n_entry);
		}
		event(c, EV_PREPARE, vtl,
		      scope | (inv1 != inv0 ? PREP_LIST : 0u) | (ent1 != ent0 ? PREP_ENTIRE : 0u) |
		          (skip1 != skip0 ? PREP_SKIPPED : 0u));
		bool entered = tlbf_mock_enter(&sim.mock, c->id, vtl);
		if (entered) {
			guest_run(c, vtl); /* until the guest stops (tlbf_mock_leave()) */
		} else {
			event(c, EV_CANCELLED, vtl, 0);
			c->cancelled_in[interval_now()]++;
			spend_us(2 * sim_opt.kick_cost_us); /* the cancelled entry */
		}
		/* The entry is over: counted, its flush cleared if it happened,
		 * then the VP is outside (the exit's writes). */
		design_count_take(cw);
		if (design_entry_done(sim.d, c->id, entered) != TLBF_STATUS_OK)
			c->failures++;
		count_into(c->cw_exit, &c->n_exit);
		if (sim.locks_on && (double)(rnd() >> 11) * 0x1p-53 < sim_opt.tlb_locks)
			tlb_lock_hold(c);
		if (c->id < sim_opt.ninit && rnd_below(2) == 0)
			flush_call(c);
		if (c->id < sim_opt.ninit && rnd_below(512) == 0)
			gpa_call(c);
		if (rnd_below(16) == 0) {
			/* The guest halts now and then: the VP waits outside. */
			uint64_t us = 10 + rnd_below(90);
			struct timespec ts = {0, (long)us * 1000};
			event(c, EV_IDLE, us, 0);
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* ---- one design's run ---- */

static bool progress_enabled(void)
{
	return !sim_opt.json && isatty(STDERR_FILENO);
}

static uint64_t total_calls(uint64_t *stale)
{
	uint64_t calls = 0;
	*stale = 0;
	for (uint32_t i = 0; i < sim_opt.nvps; i++) {
		calls += atomic_load_explicit(&sim.vp[i].calls, memory_order_relaxed);
		*stale += atomic_load_explicit(&sim.vp[i].stale, memory_order_relaxed);
		*stale += atomic_load_explicit(&sim.vp[i].lost, memory_order_relaxed);
		*stale += atomic_load_explicit(&sim.vp[i].early, memory_order_relaxed);
	}
	return calls;
}

/* Run the VP threads until the time is up (or, with --break, the oracle
 * fired), moving them through the intervals; the interval lengths and
 * cancel signals per interval go to @res. */
static void supervise(const struct design_ops *ops, unsigned index, unsigned count,
                      struct sim_result *res)
{
	const uint64_t start = sim.t0, len = (uint64_t)(sim_opt.seconds * 1e9);
	const uint64_t end = start + len;
	uint64_t iv_start = start, kicks0 = 0;
	unsigned iv = 0;
	for (;;) {
		uint64_t now = now_ns();
		uint64_t iv_end = start + len * (iv + 1) / SIM_INTERVALS;
		if (now >= iv_end || now >= end) {
			uint64_t kicks = atomic_load(&sim.mock.kicks);
			res->iv[iv].seconds = (double)(now - iv_start) / 1e9;
			res->iv[iv].kicks = kicks - kicks0;
			kicks0 = kicks;
			iv_start = now;
			if (now >= end || iv + 1 == SIM_INTERVALS)
				break;
			atomic_store_explicit(&sim.interval, ++iv, memory_order_relaxed);
			continue;
		}
		uint64_t left = iv_end - now;
		struct timespec ts = {0, (long)(left < 100000000u ? left : 100000000u)};
		nanosleep(&ts, NULL);
		uint64_t stale, calls = total_calls(&stale);
		/* With --break the point is made once the oracle fired. */
		if (sim_opt.brk && stale) {
			now = now_ns();
			res->iv[iv].seconds = (double)(now - iv_start) / 1e9;
			res->iv[iv].kicks = atomic_load(&sim.mock.kicks) - kicks0;
			break;
		}
		if (progress_enabled()) {
			fprintf(stderr, "\r  [%u/%u] %-14s %5.1f / %.1f s   flush calls %10" PRIu64
			                "   stale %" PRIu64 " ",
			        index + 1, count, ops->name, (double)(now_ns() - start) / 1e9,
			        sim_opt.seconds, calls, stale);
			fflush(stderr);
		}
	}
	res->nintervals = iv + 1;
	atomic_store(&sim.stop, true);
}

/* Sum the VPs' counters into @res (the threads have stopped). */
static int collect(struct sim_result *res)
{
	uint64_t *hist = calloc(SIM_HIST_BUCKETS * (SIM_INTERVALS + 1), sizeof(uint64_t));
	if (!hist)
		return 1;
	uint64_t *all = &hist[SIM_HIST_BUCKETS * SIM_INTERVALS];
	uint64_t *susp = calloc(SIM_HIST_BUCKETS, sizeof(uint64_t));
	if (!susp) {
		free(hist);
		return 1;
	}
	uint64_t cw_entry[2] = {0}, cw_idle[2] = {0}, cw_exit[2] = {0}, cw_call[2] = {0};
	uint64_t n_entry = 0, n_idle = 0, n_exit = 0, n_call = 0;
	for (uint32_t i = 0; i < sim_opt.nvps; i++) {
		struct sim_vp *c = &sim.vp[i];
		res->calls += atomic_load(&c->calls);
		res->stale += atomic_load(&c->stale);
		for (unsigned k = 0; k < 4; k++)
			res->calls_by_code[k] += c->calls_by_code[k];
		for (unsigned k = 0; k < GUEST_SHAPE__COUNT; k++)
			res->shapes[k] += c->shapes[k];
		res->non_global_calls += c->non_global_calls;
		res->vtl1_calls += c->vtl1_calls;
		res->failures += c->failures;
		res->uses += c->uses;
		res->fills += c->fills;
		res->runs += c->runs;
		res->kicked_runs += c->kicked;
		/* The VP-side columns come from the library's counters. */
		tlbf_stats_fold(&res->lib, &c->stats);
		res->list_single += tlbf_stats_get(&c->stats, TLBF_STAT_FLUSH_LIST_SINGLE);
		res->list_multi += tlbf_stats_get(&c->stats, TLBF_STAT_FLUSH_LIST_MULTI);
		res->list_skipped += tlbf_stats_get(&c->stats, TLBF_STAT_FLUSH_LIST_SKIPPED);
		res->vp_entire += tlbf_stats_get(&c->stats, TLBF_STAT_POLL_EVERYTHING);
		res->vp_errors += tlbf_stats_get(&c->stats, TLBF_STAT_ERRORS);
		res->gpa_calls += c->gpa_calls;
		res->holds += c->holds;
		res->suspensions += c->suspensions;
		res->lock_calls += c->lock_calls;
		res->lost += atomic_load(&c->lost);
		res->early += atomic_load(&c->early);
		for (unsigned b = 0; b < SIM_HIST_BUCKETS; b++)
			susp[b] += c->susp_hist[b];
		for (unsigned k = 0; k < 2; k++) {
			cw_entry[k] += c->cw_entry[k];
			cw_idle[k] += c->cw_idle[k];
			cw_exit[k] += c->cw_exit[k];
			cw_call[k] += c->cw_call[k];
		}
		n_entry += c->n_entry;
		n_idle += c->n_idle;
		n_exit += c->n_exit;
		n_call += c->n_call;
		/* The entries' flushes by scope, as the mock carried them out. */
		res->scope_gpa += sim.mvps[i].flushes_gpa;
		res->scope_linear += sim.mvps[i].flushes_entire - sim.mvps[i].flushes_gpa;
		res->scope_non_global += sim.mvps[i].flushes_non_global;
		res->entries += sim.mvps[i].entries;
		res->cancelled += sim.mvps[i].cancelled;
		for (unsigned v = 0; v < SIM_INTERVALS; v++) {
			res->iv[v].calls += c->calls_in[v];
			res->iv[v].cancelled += c->cancelled_in[v];
			for (unsigned b = 0; b < SIM_HIST_BUCKETS; b++) {
				hist[v * SIM_HIST_BUCKETS + b] += c->hist[v][b];
				all[b] += c->hist[v][b];
			}
		}
	}
	for (unsigned v = 0; v < res->nintervals; v++) {
		res->iv[v].p99_ns = hist_quantile(&hist[v * SIM_HIST_BUCKETS], 0.99);
		res->iv[v].max_ns = hist_quantile(&hist[v * SIM_HIST_BUCKETS], 1.0);
	}
	res->p50_ns = hist_quantile(all, 0.50);
	res->p99_ns = hist_quantile(all, 0.99);
	res->p999_ns = hist_quantile(all, 0.999);
	for (unsigned k = 0; k < 2; k++) {
		res->w_entry[k] = n_entry ? (double)cw_entry[k] / (double)n_entry : 0;
		res->w_idle[k] = n_idle ? (double)cw_idle[k] / (double)n_idle : 0;
		res->w_exit[k] = n_exit ? (double)cw_exit[k] / (double)n_exit : 0;
		res->w_call[k] = n_call ? (double)cw_call[k] / (double)n_call : 0;
	}
	res->max_ns = hist_quantile(all, 1.0);
	res->tlb_locks = sim.locks_on;
	res->susp_p50_ns = hist_quantile(susp, 0.50);
	res->susp_p99_ns = hist_quantile(susp, 0.99);
	res->susp_max_ns = hist_quantile(susp, 1.0);
	free(susp);
	free(hist);
	res->mock_kicks = atomic_load(&sim.mock.kicks);
	res->mock_waits = atomic_load(&sim.mock.waits);
	design_get_stats(sim.d, &res->ds);
	tlbf_stats_fold(&res->lib, &res->ds.lib);
	/* The library's counters agree with what the mock saw. */
	if (tlbf_stats_get(&res->lib, TLBF_STAT_ENTRIES) != res->entries ||
	    tlbf_stats_get(&res->lib, TLBF_STAT_ENTRIES_CANCELLED) != res->cancelled) {
		fprintf(stderr, "shootdown-sim: %s: counters %llu entries, %llu cancelled; the mock %llu, %llu\n",
		        res->name, (unsigned long long)tlbf_stats_get(&res->lib, TLBF_STAT_ENTRIES),
		        (unsigned long long)tlbf_stats_get(&res->lib, TLBF_STAT_ENTRIES_CANCELLED),
		        (unsigned long long)res->entries, (unsigned long long)res->cancelled);
		res->failures++;
	}
	res->failures += res->ds.errors;
	return 0;
}

int sim_run_design(const struct design_ops *ops, unsigned index, unsigned count,
                   struct sim_result *res)
{
	memset(res, 0, sizeof(*res));
	res->name = ops->name;
	const uint32_t n = sim_opt.nvps;
	sim.ops = ops;
	sim.mvps = design_alloc(sizeof(*sim.mvps) * n);
	sim.vp = design_alloc(sizeof(*sim.vp) * n);
	pthread_t *t = calloc(n, sizeof(*t));
	const size_t owords = tlbf_oracle_words(n, GUEST_NPAGES);
	sim.owords = design_alloc(sizeof(*sim.owords) * owords);
	if (!sim.mvps || !sim.vp || !t || !sim.owords ||
	    tlbf_oracle_init(&sim.oracle, sim.owords, owords, n, GUEST_NPAGES,
	                     GUEST_GVA_BASE_PAGE) != TLBF_STATUS_OK) {
		fprintf(stderr, "shootdown-sim: out of memory\n");
		return 1;
	}
	tlbf_mock_init(&sim.mock, sim.mvps, n, NULL, 0);
	sim.mock.relax = relax;
	sim.mock.on_kick = on_kick;
	sim.be = tlbf_mock_backend(&sim.mock);
	/* Only the library implements VSM TLB locks: the baselines run
	 * without holders. Slots: one per VP, then one per VP thread for the
	 * VMM's own requests (no VP initiates them). */
	sim.locks_on = sim_opt.tlb_locks > 0 && ops == &design_tlbflush_ops;
	struct design_config cfg = {n, 2 * n, sim.be, sim.locks_on};
	sim.d = design_create(ops, &cfg);
	if (!sim.d) {
		fprintf(stderr, "shootdown-sim: cannot create design %s\n", ops->name);
		return 1;
	}
	sim.pt = design_partition(sim.d);
	if (sim.locks_on) {
		for (uint32_t i = 0; i < n; i++) {
			sim.vp[i].lk_before = calloc(n, sizeof(uint64_t));
			sim.vp[i].lk_need = calloc(n, sizeof(uint64_t));
			sim.vp[i].lk_set = calloc(n, sizeof(uint32_t));
			if (!sim.vp[i].lk_before || !sim.vp[i].lk_need || !sim.vp[i].lk_set) {
				fprintf(stderr, "shootdown-sim: out of memory\n");
				return 1;
			}
		}
	}
	atomic_store(&sim.stop, false);
	atomic_store(&sim.interval, 0);
	sim.t0 = now_ns();
	for (uint32_t i = 0; i < n; i++) {
		sim.vp[i].id = i;
		atomic_init(&sim.vp[i].calls, 0);
		atomic_init(&sim.vp[i].stale, 0);
		atomic_init(&sim.vp[i].lost, 0);
		atomic_init(&sim.vp[i].early, 0);
		atomic_init(&sim.vp[i].lk_taking, 0);
		atomic_init(&sim.vp[i].lk_done, 0);
		atomic_init(&sim.vp[i].lk_since_ns, 0);
	}
	/* Every VP's words are set before the first thread starts: a VP thread
	 * reads the others' (the TLB-lock oracle). */
	for (uint32_t i = 0; i < n; i++) {
		if (pthread_create(&t[i], NULL, vp_main, &sim.vp[i]) != 0) {
			fprintf(stderr, "shootdown-sim: cannot start VP thread %u\n", i);
			exit(1);
		}
	}
	uint64_t pre0 = design_hook_preemptions();
	supervise(ops, index, count, res);
	for (uint32_t i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	res->seconds = (double)(now_ns() - sim.t0) / 1e9;
	res->preemptions = design_hook_preemptions() - pre0;
	free(t);
	if (progress_enabled())
		fprintf(stderr, "\r\033[K");

	int rc = collect(res);
	design_destroy(sim.d);
	sim.d = NULL;
	free((void *)sim.owords);
	sim.owords = NULL;
	for (uint32_t i = 0; i < n; i++) {
		free(sim.vp[i].lk_before);
		free(sim.vp[i].lk_need);
		free(sim.vp[i].lk_set);
	}
	sim.pt = NULL;
	sim.locks_on = false;
	free(sim.mvps);
	free(sim.vp);
	return rc;
}
