/* SPDX-License-Identifier: MIT */
/*
 * shootdown-sim - TLB shootdowns on the mock backend, with a
 * stale-translation oracle, for every design of bench/designs.
 *
 * N VP threads run a guest loop through the mock TDX backend: prepare the
 * entry (announce, poll, apply the answer with INVGLA or the VP-enter
 * flags), TDG.VP.ENTER on the mock, then guest code that translates pages
 * through the VP's software TLB, filling it from a shared, versioned page
 * table, until it is kicked or leaves by itself. The first M VPs also
 * initiate: outside the guest they change page-table entries (bump
 * versions) and issue a flush hypercall, built as real input bytes and a
 * control value (List or Space, Ex or not; sparse banks, dense banks, the
 * all-processors flag, the HV_GENERIC_SET_ALL format, the legacy 64-bit
 * mask; sometimes non-global, sometimes another target VTL), decoded with
 * tlbf_hypercall_decode() as a VMM would, then recorded, woken and kicked
 * through the design under test.
 *
 * The oracle: once an initiator's flush call has returned, a VP of the
 * request's set must never again use a translation of a covered page of
 * the target VTL at a version older than the one the initiator wrote.
 * Every use is checked; a violation is a stale translation, reported with
 * the VP's recent events.
 *
 * Exit status: 0 no stale translation, 3 stale translations observed,
 * 1 the run failed otherwise (nothing exercised, a kick or decode error),
 * 2 usage.
 */
#define _GNU_SOURCE
#include "design.h" /* first: the hooks precede the library headers */

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tlbflush/hypercall.h"
#include "tlbflush/mock_backend.h"

/* The guest's address space, per VTL: NPAGES pages, the first NGLOBAL of
 * them global mappings. NPAGES = 64 so a set of pages is one u64 and the
 * pages fill the mock's direct-mapped TLB without aliasing. */
#define NPAGES 64u
#define NGLOBAL 8u
#define GVA_BASE_PAGE UINT64_C(0x7f0000000) /* 2 MiB aligned, canonical */
#define VTLS TLBF_VTL_COUNT
#define EVENTS 32u       /* per-VP event ring */
#define MAX_REPORTS 3u   /* stale translations printed in full */
#define HIST_BUCKETS 496u

#define EXIT_STALE 3

enum shape { SHAPE_SPARSE, SHAPE_DENSE, SHAPE_ALL_FLAG, SHAPE_SET_ALL, SHAPE_MASK64, SHAPE__COUNT };
static const char *const shape_names[SHAPE__COUNT] = {"sparse", "dense", "all-flag", "set-all",
                                                       "mask64"};

enum ev_kind {
	EV_PREPARE = 1, /* a: vtl, b: what was applied (PREP_* bits | invd pending) */
	EV_ENTER,       /* a: vtl */
	EV_CANCELLED,   /* a: vtl: the entry was cancelled by a kick */
	EV_KICKED,      /* the guest saw a cancel signal and left */
	EV_LEAVE,       /* a: uses in this run */
	EV_CALL,        /* a: call code, b: target vtl: the VP's own flush call */
	EV_CALL_DONE,   /* a: pages covered (bitmap) */
	EV_STALE,       /* a: page, b: version used */
	EV_IDLE,        /* a: microseconds outside the guest (a halt) */
};

/* EV_PREPARE details: the poll's answer as the VP applied it. */
#define PREP_INVD_MASK 3u      /* invd_translations pending for the entry */
#define PREP_INVGLA (1u << 8)  /* ranges invalidated with INVGLA */
#define PREP_ENTIRE (1u << 9)  /* flush-everything answer */
#define PREP_SKIPPED (1u << 10) /* ranges left to the pending full flush */

struct event {
	uint64_t t_ns;
	uint32_t kind;
	uint64_t a;
	uint64_t b;
};

/* Options. */
static struct {
	uint32_t nvps;
	uint32_t ninit;
	double seconds;
	const char *design;
	bool chaos;
	uint64_t seed;
	bool json;
	enum design_break brk;
	double kick_cost_us;
} opt = {8, 2, 8.0, NULL, false, 0, false, DESIGN_BREAK_NONE, 1.0};

/* One VP thread's state: private except the few atomic progress words. */
struct vp_ctx {
	_Alignas(64) uint32_t id;
	struct tlbf_tdx_vp tv;
	_Alignas(64) uint64_t list_page[TLBF_TDX_LIST_MAX];
	_Alignas(64) uint64_t input[TLBF_HV_INPUT_PAGE_BYTES / 8]; /* hypercall input page */
	struct event ev[EVENTS];
	uint32_t ev_next;
	uint64_t fill_t[VTLS][NPAGES]; /* when each cached translation was filled */
	uint64_t uses, fills, runs, kicked;
	uint64_t calls_by_code[4]; /* space, list, space-ex, list-ex */
	uint64_t shapes[SHAPE__COUNT];
	uint64_t non_global_calls, vtl1_calls, failures;
	uint64_t hist[HIST_BUCKETS];
	_Atomic uint64_t calls; /* completed flush calls (progress line) */
	_Atomic uint64_t stale;
};

/* The run of one design. */
static struct {
	const struct design_ops *ops;
	struct design *d;
	struct tlbf_mock mock;
	struct tlbf_mock_vp *mvps;
	struct tlbf_backend be;
	_Atomic uint64_t pt[VTLS][NPAGES]; /* page-table versions */
	_Atomic uint64_t *required;        /* [nvps][VTLS][NPAGES]: the oracle */
	struct vp_ctx *vp;
	atomic_bool stop;
	struct timespec t0;
} sim;

static atomic_uint stale_reports;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t since_start_ns(void)
{
	uint64_t t0 = (uint64_t)sim.t0.tv_sec * 1000000000u + (uint64_t)sim.t0.tv_nsec;
	return now_ns() - t0;
}

static uint64_t rnd(void)
{
	return design_hook_rand();
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static _Atomic uint64_t *required_of(uint32_t vp, unsigned vtl, unsigned page)
{
	return &sim.required[((size_t)vp * VTLS + vtl) * NPAGES + page];
}

static void event(struct vp_ctx *c, enum ev_kind kind, uint64_t a, uint64_t b)
{
	struct event *e = &c->ev[c->ev_next++ % EVENTS];
	e->t_ns = since_start_ns();
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
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		total += h[i];
	if (!total)
		return 0;
	double x = q * (double)total;
	uint64_t want = (uint64_t)x, seen = 0;
	if ((double)want < x)
		want++;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h[i];
		if (seen >= want && h[i])
			return hist_value(i);
	}
	return 0;
}

/* ---- the oracle ---- */

static const char *ev_name(uint32_t k)
{
	switch (k) {
	case EV_PREPARE: return "prepare-entry";
	case EV_ENTER: return "enter";
	case EV_CANCELLED: return "enter-cancelled";
	case EV_IDLE: return "idle";
	case EV_KICKED: return "kicked";
	case EV_LEAVE: return "leave";
	case EV_CALL: return "flush-call";
	case EV_CALL_DONE: return "flush-call-returned";
	case EV_STALE: return "STALE-USE";
	}
	return "?";
}

static void report_stale(struct vp_ctx *c, unsigned vtl, unsigned page, uint64_t ver,
                         uint64_t need)
{
	unsigned n = atomic_fetch_add(&stale_reports, 1);
	if (n >= MAX_REPORTS)
		return;
	uint64_t cur = atomic_load_explicit(&sim.pt[vtl][page], memory_order_relaxed);
	flockfile(stderr);
	fprintf(stderr,
	        "STALE TRANSLATION #%u [%s]: VP %u VTL %u GVA 0x%" PRIx64 " used at version %" PRIu64
	        ", a completed flush required >= %" PRIu64 " (page table now %" PRIu64 ")\n",
	        n + 1, sim.ops->name, c->id, vtl, (GVA_BASE_PAGE + page) << 12, ver, need, cur);
	fprintf(stderr, "  the translation was cached at %.3f us; recent events of VP %u:\n",
	        (double)c->fill_t[vtl][page] / 1e3, c->id);
	uint32_t start = c->ev_next > EVENTS ? c->ev_next - EVENTS : 0;
	for (uint32_t i = start; i < c->ev_next; i++) {
		const struct event *e = &c->ev[i % EVENTS];
		fprintf(stderr, "    %12.3f us  %-20s", (double)e->t_ns / 1e3, ev_name(e->kind));
		switch (e->kind) {
		case EV_PREPARE:
			fprintf(stderr, " vtl %" PRIu64 ":%s%s%s invd pending %" PRIu64, e->a,
			        e->b & PREP_ENTIRE ? " flush-everything answer," : "",
			        e->b & PREP_INVGLA ? " INVGLA of polled ranges," : "",
			        e->b & PREP_SKIPPED ? " ranges left to the full flush," : "",
			        e->b & PREP_INVD_MASK);
			break;
		case EV_IDLE:
			fprintf(stderr, " %" PRIu64 " us outside the guest", e->a);
			break;
		case EV_ENTER:
		case EV_CANCELLED:
			fprintf(stderr, " vtl %" PRIu64, e->a);
			break;
		case EV_STALE:
			fprintf(stderr, " GVA 0x%" PRIx64 " version %" PRIu64, (GVA_BASE_PAGE + e->a) << 12,
			        e->b);
			break;
		case EV_LEAVE:
			fprintf(stderr, " after %" PRIu64 " uses", e->a);
			break;
		case EV_CALL:
			fprintf(stderr, " call 0x%04" PRIx64 " target vtl %" PRIu64, e->a, e->b);
			break;
		case EV_CALL_DONE:
			fprintf(stderr, " pages 0x%016" PRIx64, e->a);
			break;
		default:
			break;
		}
		fputc('\n', stderr);
	}
	funlockfile(stderr);
}

/* One guest access: translate through the TLB, check against the oracle. */
static void guest_use(struct vp_ctx *c, unsigned vtl)
{
	unsigned page = (unsigned)rnd_below(NPAGES);
	uint64_t ver;
	if (!tlbf_mock_tlb_lookup(&sim.mock, c->id, vtl, GVA_BASE_PAGE + page, &ver)) {
		/* Acquire: pairs with the initiator's release bump. */
		ver = atomic_load_explicit(&sim.pt[vtl][page], memory_order_acquire);
		tlbf_mock_tlb_fill(&sim.mock, c->id, vtl, GVA_BASE_PAGE + page, ver, page < NGLOBAL);
		c->fills++;
		c->fill_t[vtl][page] = since_start_ns();
	}
	c->uses++;
	uint64_t need = atomic_load_explicit(required_of(c->id, vtl, page), memory_order_acquire);
	if (ver < need) {
		event(c, EV_STALE, page, ver);
		atomic_fetch_add_explicit(&c->stale, 1, memory_order_relaxed);
		report_stale(c, vtl, page, ver, need);
	}
}

static void atomic_max(_Atomic uint64_t *p, uint64_t v)
{
	uint64_t cur = atomic_load_explicit(p, memory_order_relaxed);
	while (cur < v && !atomic_compare_exchange_weak_explicit(p, &cur, v, memory_order_release,
	                                                        memory_order_relaxed))
		;
}

/* ---- the initiator: one flush hypercall, as a guest issues it and a VMM
 * handles it ---- */

struct call {
	uint16_t code;
	bool ex, list;
	unsigned target_vtl, caller_vtl;
	uint64_t flags;
	enum shape shape;
	uint64_t truth[TLBF_MAX_VPS / 64]; /* the VPs the guest meant */
	uint64_t pages;                    /* covered pages (bit p: page p) */
};

static void truth_add(struct call *k, uint32_t v)
{
	k->truth[v / 64] |= UINT64_C(1) << (v % 64);
}

static void truth_all(struct call *k)
{
	for (uint32_t v = 0; v < opt.nvps; v++)
		truth_add(k, v);
}

/* Write the processor set at @w; returns the words written, sets *varhdr. */
static uint32_t build_set(struct call *k, uint64_t *w, uint32_t *varhdr)
{
	const uint32_t nbanks = (opt.nvps + 63) / 64;
	*varhdr = 0;
	if (!k->ex) {
		uint64_t mask = 0;
		if (k->shape == SHAPE_ALL_FLAG) {
			mask = rnd() & rnd(); /* ignored */
		} else {
			/* MASK64: VPs 0..63, bits past the partition ignored. */
			mask = rnd() & rnd();
			uint32_t lim = opt.nvps < 64 ? opt.nvps : 64;
			uint64_t valid = lim == 64 ? UINT64_MAX : (UINT64_C(1) << lim) - 1;
			if (!(mask & valid))
				mask |= UINT64_C(1) << rnd_below(lim);
			k->truth[0] = mask & valid;
		}
		w[0] = mask;
		return 1;
	}
	if (k->shape == SHAPE_SET_ALL || k->shape == SHAPE_ALL_FLAG) {
		w[0] = k->shape == SHAPE_SET_ALL ? TLBF_HV_GENERIC_SET_ALL : TLBF_HV_GENERIC_SET_SPARSE_4K;
		w[1] = 0;
		return 2;
	}
	uint64_t bankmask = 0, banks[64];
	if (k->shape == SHAPE_DENSE) {
		for (uint32_t b = 0; b < nbanks; b++) {
			bankmask |= UINT64_C(1) << b;
			banks[b] = UINT64_MAX; /* bits past the partition are ignored */
		}
		truth_all(k);
	} else {
		/* SPARSE: a random density, empty banks left out (sometimes one
		 * kept), now and then a bank past the partition (ignored). */
		unsigned density = 1 + (unsigned)rnd_below(3);
		for (uint32_t b = 0; b < nbanks; b++) {
			uint64_t bits = rnd();
			for (unsigned i = 1; i < density; i++)
				bits &= rnd();
			if (b == nbanks - 1 && opt.nvps % 64)
				bits &= (UINT64_C(1) << (opt.nvps % 64)) - 1;
			if (bits || rnd_below(8) == 0) {
				bankmask |= UINT64_C(1) << b;
				banks[b] = bits;
				k->truth[b] = bits;
			}
		}
		bool any = false;
		for (uint32_t b = 0; b < nbanks; b++)
			any |= k->truth[b] != 0;
		if (!any) {
			uint32_t v = (uint32_t)rnd_below(opt.nvps);
			bankmask |= UINT64_C(1) << (v / 64);
			banks[v / 64] = UINT64_C(1) << (v % 64);
			truth_add(k, v);
		}
		if (nbanks < 64 && rnd_below(4) == 0) {
			uint32_t b = nbanks + (uint32_t)rnd_below(64 - nbanks);
			bankmask |= UINT64_C(1) << b;
			banks[b] = rnd();
		}
	}
	w[0] = TLBF_HV_GENERIC_SET_SPARSE_4K;
	w[1] = bankmask;
	uint32_t n = 2;
	for (uint64_t m = bankmask; m; m &= m - 1)
		w[n++] = banks[tlbf_ctz64(m)];
	*varhdr = n - 2;
	return n;
}

/* Write the ranges at @w (room for @room words); returns how many. */
static uint32_t build_ranges(struct call *k, uint64_t *w, uint32_t room)
{
	uint64_t r = rnd_below(100);
	uint32_t n = r < 90 ? 1 + (uint32_t)rnd_below(4) : r < 97 ? 5 + (uint32_t)rnd_below(8)
	                                                          : 33 + (uint32_t)rnd_below(8);
	if (n > room)
		n = room;
	bool large = (k->flags & TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT) && rnd_below(10) == 0;
	for (uint32_t i = 0; i < n; i++) {
		unsigned p = (unsigned)rnd_below(NPAGES);
		unsigned add = (unsigned)rnd_below(4);
		if (p + add >= NPAGES)
			add = NPAGES - 1 - p;
		w[i] = tlbf_gva_make(GVA_BASE_PAGE + p, add);
		for (unsigned j = 0; j <= add; j++)
			k->pages |= UINT64_C(1) << (p + j);
	}
	if (large) {
		/* One 2 MiB large page over the whole region: INVGLA cannot
		 * flush it, so every design must promote the request. */
		w[rnd_below(n)] = ((GVA_BASE_PAGE >> 9) << 21) | TLBF_GVA_EXT_LARGE_PAGE;
		k->pages = UINT64_MAX;
	}
	return n;
}

static void flush_call(struct vp_ctx *c)
{
	struct call k;
	memset(&k, 0, sizeof(k));
	uint64_t *in = c->input;
	k.list = rnd_below(4) != 0;
	uint64_t s = rnd_below(100);
	k.shape = s < 35 ? SHAPE_SPARSE : s < 60 ? SHAPE_MASK64 : s < 75 ? SHAPE_DENSE
	        : s < 90 ? SHAPE_ALL_FLAG : SHAPE_SET_ALL;
	k.ex = k.shape == SHAPE_MASK64 ? false : k.shape == SHAPE_ALL_FLAG ? rnd_below(2) != 0 : true;
	k.code = (uint16_t)(k.list ? (k.ex ? TLBF_HVCALL_FLUSH_VA_LIST_EX : TLBF_HVCALL_FLUSH_VA_LIST)
	                           : (k.ex ? TLBF_HVCALL_FLUSH_VA_SPACE_EX : TLBF_HVCALL_FLUSH_VA_SPACE));
	/* Target VTL: the caller's, or (from VTL 1) VTL 0 named explicitly. */
	k.target_vtl = VTLS > 1 && rnd_below(4) == 0 ? 1 : 0;
	k.caller_vtl = k.target_vtl;
	if (VTLS > 1 && rnd_below(3) == 0) {
		k.caller_vtl = 1;
		k.flags |= TLBF_HV_FLUSH_USE_TARGET_VTL |
		           (k.target_vtl ? TLBF_HV_FLUSH_TARGET_VTL1 : TLBF_HV_FLUSH_TARGET_VTL0);
	}
	if (k.shape == SHAPE_ALL_FLAG)
		k.flags |= TLBF_HV_FLUSH_ALL_PROCESSORS;
	if (rnd_below(8) == 0)
		k.flags |= TLBF_HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES;
	bool non_global = !k.list && rnd_below(3) == 0;
	if (non_global)
		k.flags |= TLBF_HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY;
	if (k.list && rnd_below(5) == 0)
		k.flags |= TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT;

	/* The input page: address space, flags, the set, the ranges. */
	uint32_t w = 0, varhdr = 0, reps = 0;
	in[w++] = (rnd() & UINT64_C(0xffffff)) << 12; /* a CR3-like value */
	in[w++] = k.flags;
	w += build_set(&k, &in[w], &varhdr);
	if (k.shape == SHAPE_DENSE || k.shape == SHAPE_SET_ALL || k.shape == SHAPE_ALL_FLAG)
		truth_all(&k);
	if (k.list) {
		reps = build_ranges(&k, &in[w], (uint32_t)(TLBF_HV_INPUT_PAGE_BYTES / 8) - w);
	} else {
		/* The guest changed some pages and flushes the address space;
		 * a non-global flush covers only non-global pages. */
		for (unsigned p = non_global ? NGLOBAL : 0; p < NPAGES; p++)
			if (rnd_below(4) == 0)
				k.pages |= UINT64_C(1) << p;
	}
	uint64_t control = tlbf_hv_control_make(k.code, false, varhdr, reps, 0);

	/* The guest's page-table change, before the hypercall. */
	uint64_t newver[NPAGES] = {0};
	for (uint64_t m = k.pages; m; m &= m - 1) {
		unsigned p = tlbf_ctz64(m);
		newver[p] = atomic_fetch_add_explicit(&sim.pt[k.target_vtl][p], 1,
		                                      memory_order_release) + 1;
	}
	event(c, EV_CALL, k.code, k.target_vtl);

	/* The VMM: decode, then the design's flush (record, fence, wake,
	 * kick with wait). The latency is that of the whole handler. */
	uint64_t t0 = now_ns();
	struct tlbf_flush_request req;
	enum tlbf_hypercall_rule rule;
	enum tlbf_hv_status st = tlbf_hypercall_decode(control, in, TLBF_HV_INPUT_PAGE_BYTES,
	                                               opt.nvps, k.caller_vtl, &req, &rule);
	if (st != TLBF_HV_STATUS_SUCCESS) {
		c->failures++;
		fprintf(stderr, "shootdown-sim: call 0x%04x (%s set) refused: %s (%s)\n", k.code,
		        shape_names[k.shape], tlbf_hv_status_name(st), tlbf_hypercall_rule_name(rule));
		return;
	}
	if (design_flush(sim.d, c->id, &req) != 0)
		c->failures++;
	uint64_t dt = now_ns() - t0;
	c->hist[hist_index(dt)]++;

	/* The call returned: from now on the oracle holds for every VP the
	 * guest named. */
	for (uint32_t b = 0; b < (opt.nvps + 63) / 64; b++)
		for (uint64_t m = k.truth[b]; m; m &= m - 1) {
			uint32_t v = b * 64 + tlbf_ctz64(m);
			if (v >= opt.nvps)
				break;
			for (uint64_t pm = k.pages; pm; pm &= pm - 1) {
				unsigned p = tlbf_ctz64(pm);
				atomic_max(required_of(v, k.target_vtl, p), newver[p]);
			}
		}
	event(c, EV_CALL_DONE, k.pages, 0);
	c->calls_by_code[(k.ex ? 2 : 0) + (k.list ? 1 : 0)]++;
	c->shapes[k.shape]++;
	c->non_global_calls += non_global;
	c->vtl1_calls += k.target_vtl == 1;
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
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) * 1e6 + (double)(t.tv_nsec - t0.tv_nsec) * 1e-3 < us);
}

/* The kicker's share of a kick: sending the IPI and taking its answer. */
static void on_kick(void *arg, uint32_t vp)
{
	(void)arg;
	(void)vp;
	spend_us(opt.kick_cost_us);
}

static void *vp_main(void *arg)
{
	struct vp_ctx *c = arg;
	design_hook_seed_thread(opt.seed, c->id);
	tlbf_tdx_vp_init(&c->tv, c->id, c->list_page, 0x100000 + c->id);
	design_vp_start(sim.d, c->id);
	while (!atomic_load_explicit(&sim.stop, memory_order_relaxed)) {
		unsigned vtl = VTLS > 1 && rnd_below(4) == 0 ? 1 : 0;
		uint64_t inv0 = c->tv.invgla_single + c->tv.invgla_list;
		uint64_t ent0 = c->tv.entire, skip0 = c->tv.invgla_skipped;
		design_prepare_entry(sim.d, c->id, vtl, &c->tv);
		event(c, EV_PREPARE, vtl,
		      c->tv.pending[vtl] |
		          (c->tv.invgla_single + c->tv.invgla_list != inv0 ? PREP_INVGLA : 0u) |
		          (c->tv.entire != ent0 ? PREP_ENTIRE : 0u) |
		          (c->tv.invgla_skipped != skip0 ? PREP_SKIPPED : 0u));
		bool entered = tlbf_mock_enter(&sim.mock, c->id, vtl);
		tlbf_tdx_entry_done(&c->tv, vtl, entered);
		if (entered) {
			event(c, EV_ENTER, vtl, 0);
			c->runs++;
			unsigned n = 1 + (unsigned)rnd_below(64), i;
			for (i = 0; i < n; i++) {
				if (tlbf_mock_take_cancel(&sim.mock, c->id)) {
					c->kicked++;
					event(c, EV_KICKED, 0, 0);
					spend_us(2 * opt.kick_cost_us); /* the forced exit */
					break;
				}
				guest_use(c, vtl);
				if (design_hook_chaos && rnd_below(8) == 0)
					sched_yield();
			}
			tlbf_mock_leave(&sim.mock, c->id);
			event(c, EV_LEAVE, i, 0);
		} else {
			event(c, EV_CANCELLED, vtl, 0);
			spend_us(2 * opt.kick_cost_us); /* the cancelled entry */
		}
		design_vp_exit(sim.d, c->id);
		if (c->id < opt.ninit && rnd_below(2) == 0)
			flush_call(c);
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

/* ---- one design's run and its results ---- */

struct result {
	const char *name;
	double seconds;
	uint64_t calls, calls_by_code[4], shapes[SHAPE__COUNT], non_global_calls, vtl1_calls;
	struct design_stats ds;
	uint64_t entries, cancelled, runs, kicked_runs, uses, fills;
	uint64_t invgla_single, invgla_list, invgla_skipped, vp_entire, vp_errors;
	uint64_t mock_kicks, mock_waits;
	double p50_ns, p99_ns, max_ns;
	uint64_t failures, stale;
};

static bool progress_enabled(void)
{
	return !opt.json && isatty(STDERR_FILENO);
}

static int run_design(const struct design_ops *ops, unsigned index, unsigned count,
                      struct result *res)
{
	memset(res, 0, sizeof(*res));
	res->name = ops->name;
	const uint32_t n = opt.nvps;
	sim.ops = ops;
	sim.mvps = design_alloc(sizeof(*sim.mvps) * n);
	sim.vp = design_alloc(sizeof(*sim.vp) * n);
	sim.required = design_alloc(sizeof(*sim.required) * n * VTLS * NPAGES);
	if (!sim.mvps || !sim.vp || !sim.required) {
		fprintf(stderr, "shootdown-sim: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < (size_t)n * VTLS * NPAGES; i++)
		atomic_init(&sim.required[i], 0);
	for (unsigned v = 0; v < VTLS; v++)
		for (unsigned p = 0; p < NPAGES; p++)
			atomic_init(&sim.pt[v][p], 1);
	tlbf_mock_init(&sim.mock, sim.mvps, n, NULL, 0);
	sim.mock.relax = relax;
	sim.mock.on_kick = on_kick;
	sim.be = tlbf_mock_backend(&sim.mock);
	struct design_config cfg = {n, n, sim.be};
	sim.d = design_create(ops, &cfg);
	if (!sim.d) {
		fprintf(stderr, "shootdown-sim: cannot create design %s\n", ops->name);
		return 1;
	}
	atomic_store(&sim.stop, false);
	pthread_t *t = calloc(n, sizeof(*t));
	if (!t)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &sim.t0);
	uint64_t start = now_ns();
	for (uint32_t i = 0; i < n; i++) {
		sim.vp[i].id = i;
		atomic_init(&sim.vp[i].calls, 0);
		atomic_init(&sim.vp[i].stale, 0);
		if (pthread_create(&t[i], NULL, vp_main, &sim.vp[i]) != 0) {
			fprintf(stderr, "shootdown-sim: cannot start VP thread %u\n", i);
			exit(1);
		}
	}
	const uint64_t end = start + (uint64_t)(opt.seconds * 1e9);
	for (;;) {
		uint64_t now = now_ns();
		if (now >= end)
			break;
		uint64_t left = end - now;
		struct timespec ts = {0, (long)(left < 100000000u ? left : 100000000u)};
		nanosleep(&ts, NULL);
		uint64_t calls = 0, stale = 0;
		for (uint32_t i = 0; i < n; i++) {
			calls += atomic_load_explicit(&sim.vp[i].calls, memory_order_relaxed);
			stale += atomic_load_explicit(&sim.vp[i].stale, memory_order_relaxed);
		}
		/* With --break the point is made once the oracle fired. */
		if (opt.brk && stale)
			break;
		if (progress_enabled()) {
			fprintf(stderr, "\r  [%u/%u] %-14s %5.1f / %.1f s   flush calls %10" PRIu64
			                "   stale %" PRIu64 " ",
			        index + 1, count, ops->name, (double)(now_ns() - start) / 1e9, opt.seconds,
			        calls, stale);
			fflush(stderr);
		}
	}
	atomic_store(&sim.stop, true);
	for (uint32_t i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	res->seconds = (double)(now_ns() - start) / 1e9;
	free(t);
	if (progress_enabled())
		fprintf(stderr, "\r\033[K");

	uint64_t *hist = calloc(HIST_BUCKETS, sizeof(uint64_t));
	if (!hist)
		return 1;
	for (uint32_t i = 0; i < n; i++) {
		struct vp_ctx *c = &sim.vp[i];
		res->calls += atomic_load(&c->calls);
		res->stale += atomic_load(&c->stale);
		for (unsigned k = 0; k < 4; k++)
			res->calls_by_code[k] += c->calls_by_code[k];
		for (unsigned k = 0; k < SHAPE__COUNT; k++)
			res->shapes[k] += c->shapes[k];
		res->non_global_calls += c->non_global_calls;
		res->vtl1_calls += c->vtl1_calls;
		res->failures += c->failures;
		res->uses += c->uses;
		res->fills += c->fills;
		res->runs += c->runs;
		res->kicked_runs += c->kicked;
		res->invgla_single += c->tv.invgla_single;
		res->invgla_list += c->tv.invgla_list;
		res->invgla_skipped += c->tv.invgla_skipped;
		res->vp_entire += c->tv.entire;
		res->vp_errors += c->tv.errors;
		res->entries += sim.mvps[i].entries;
		res->cancelled += sim.mvps[i].cancelled;
		for (unsigned b = 0; b < HIST_BUCKETS; b++)
			hist[b] += c->hist[b];
	}
	res->p50_ns = hist_quantile(hist, 0.50);
	res->p99_ns = hist_quantile(hist, 0.99);
	res->max_ns = hist_quantile(hist, 1.0);
	free(hist);
	res->mock_kicks = atomic_load(&sim.mock.kicks);
	res->mock_waits = atomic_load(&sim.mock.waits);
	design_get_stats(sim.d, &res->ds);
	res->failures += res->ds.errors;
	design_destroy(sim.d);
	sim.d = NULL;
	free(sim.mvps);
	free(sim.vp);
	free((void *)sim.required);
	return 0;
}

/* ---- output ---- */

static uint64_t rec_entire(const struct design_stats *s)
{
	return s->recorded[DESIGN_REC_ENTIRE] + s->recorded[DESIGN_REC_NON_GLOBAL] +
	       s->recorded[DESIGN_REC_PROMOTED] + s->recorded[DESIGN_REC_DEGRADED];
}

static void fmt_count(char *buf, size_t len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
}

#define ROW_FMT "%-14s %8s %7s %7s %6s %7s %6s | %7s %6s %6s %6s %6s | %6s %7s %8s %6s\n"

/* @s centered in @width columns (at most 39). */
static void center(char *buf, int width, const char *s)
{
	int len = (int)strlen(s), left = (width - len) / 2;
	snprintf(buf, 40, "%*s%s%*s", left, "", s, width - len - left, "");
}

static void print_header(void)
{
	printf("shootdown-sim: %u VPs (%u initiating), %.1f s per design, seed %" PRIu64
	       "%s%s%s, mock backend, kick cost %.1f us\n\n",
	       opt.nvps, opt.ninit, opt.seconds, opt.seed, opt.chaos ? ", chaos" : "",
	       opt.brk ? ", break " : "", opt.brk ? design_break_name(opt.brk) : "",
	       opt.kick_cost_us);
	char g[4][40];
	center(g[0], 22, "recorded as");
	center(g[1], 14, "kicks");
	center(g[2], 35, "kicks avoided, by reason");
	center(g[3], 16, "flush-call lat.");
	printf("%-14s %8s %s %s | %s | %6s %s %6s\n", "", "flush", g[0], g[1], g[2], "ring", g[3],
	       "stale");
	printf(ROW_FMT, "design", "calls/s", "list", "entire", "degr", "sent", "wait", "outside",
	       "o-vtl", "polled", "reent", "self", "ovfl", "p50 us", "p99 us", "uses");
	printf("%.*s\n", 132, "----------------------------------------------------------------------"
	                      "----------------------------------------------------------------------");
}

static void fmt_us(char *buf, size_t len, double ns)
{
	if (ns >= 1e7)
		snprintf(buf, len, "%.0f", ns / 1e3);
	else
		snprintf(buf, len, "%.1f", ns / 1e3);
}

static void print_row(const struct result *r)
{
	char c[16][16];
	const struct design_stats *s = &r->ds;
	fmt_count(c[0], 16, (double)r->calls / r->seconds);
	fmt_count(c[1], 16, (double)s->recorded[DESIGN_REC_LIST]);
	fmt_count(c[2], 16, (double)rec_entire(s));
	fmt_count(c[3], 16, (double)s->recorded[DESIGN_REC_DEGRADED]);
	fmt_count(c[4], 16, (double)s->kicks);
	fmt_count(c[5], 16, (double)s->waits);
	fmt_count(c[6], 16,
	          (double)(s->reasons[TLBF_WAKE_SKIP_OUTSIDE] + s->reasons[TLBF_WAKE_SKIP_NOT_STARTED]));
	fmt_count(c[7], 16, (double)s->reasons[TLBF_WAKE_SKIP_OTHER_VTL]);
	fmt_count(c[8], 16, (double)s->reasons[TLBF_WAKE_SKIP_POLLED]);
	fmt_count(c[9], 16, (double)s->reasons[TLBF_WAKE_SKIP_REENTERED]);
	fmt_count(c[10], 16, (double)s->reasons[TLBF_WAKE_SKIP_INITIATOR]);
	fmt_count(c[11], 16, (double)s->overflows);
	fmt_us(c[12], 16, r->p50_ns);
	fmt_us(c[13], 16, r->p99_ns);
	snprintf(c[14], 16, "%" PRIu64, r->stale);
	printf(ROW_FMT, r->name, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10],
	       c[11], c[12], c[13], c[14]);
	fflush(stdout);
}

static void print_footer(const struct result *res, unsigned n)
{
	printf("\n%-14s %10s %10s %9s %10s %10s %10s\n", "design", "entries", "cancelled",
	       "kicked", "invgla", "vp-entire", "uses");
	for (unsigned i = 0; i < n; i++) {
		const struct result *r = &res[i];
		char e[16], cn[16], k[16], inv[16], ve[16], u[16];
		fmt_count(e, 16, (double)r->entries);
		fmt_count(cn, 16, (double)r->cancelled);
		fmt_count(k, 16, (double)r->kicked_runs);
		fmt_count(inv, 16, (double)(r->invgla_single + r->invgla_list));
		fmt_count(ve, 16, (double)r->vp_entire);
		fmt_count(u, 16, (double)r->uses);
		printf("%-14s %10s %10s %9s %10s %10s %10s\n", r->name, e, cn, k, inv, ve, u);
	}
	printf("\ncalls/s: flush hypercalls completed per second (decode, record, wake, kick with"
	       " wait).\n"
	       "recorded as: list of ranges, or entire (Space calls, lists promoted or degraded);"
	       " degr: lists that\n"
	       "  fell back to flush-entire under contention (slot held by a stalled writer; full"
	       " FIFO).\n"
	       "kicks: sent = cancel signals, wait = VPs only waited for (another initiator kicks"
	       " them).\n"
	       "avoided: VP outside the guest (or not started), in the other VTL, already polled"
	       " past the request,\n"
	       "  re-entered after the fence, or the initiator itself. ring ovfl: polls that lost"
	       " entries and\n"
	       "  flushed everything (kvm-fifo: pushes that found a full FIFO).\n"
	       "entries/cancelled: guest entries, and entries a kick cancelled; kicked: guest runs"
	       " cut short;\n"
	       "invgla/vp-entire: flushes the VPs carried out by INVGLA and by flushing"
	       " everything.\n");
	uint64_t stale = 0;
	for (unsigned i = 0; i < n; i++)
		stale += res[i].stale;
	printf("stale translations: %" PRIu64 "%s\n", stale,
	       stale ? " (see the reports on stderr)" : "");
}

static void print_json(const struct result *r)
{
	const struct design_stats *s = &r->ds;
	printf("{\"design\":\"%s\",\"seed\":%" PRIu64 ",\"vps\":%u,\"initiators\":%u,"
	       "\"seconds\":%.3f,\"chaos\":%s,\"break\":\"%s\",",
	       r->name, opt.seed, opt.nvps, opt.ninit, r->seconds, opt.chaos ? "true" : "false",
	       design_break_name(opt.brk));
	printf("\"flush_calls\":%" PRIu64 ",\"flush_calls_per_s\":%.1f,", r->calls,
	       (double)r->calls / r->seconds);
	printf("\"calls\":{\"space\":%" PRIu64 ",\"list\":%" PRIu64 ",\"space_ex\":%" PRIu64
	       ",\"list_ex\":%" PRIu64 ",\"non_global\":%" PRIu64 ",\"target_vtl1\":%" PRIu64 "},",
	       r->calls_by_code[0], r->calls_by_code[1], r->calls_by_code[2], r->calls_by_code[3],
	       r->non_global_calls, r->vtl1_calls);
	printf("\"sets\":{");
	for (unsigned k = 0; k < SHAPE__COUNT; k++)
		printf("%s\"%s\":%" PRIu64, k ? "," : "", shape_names[k], r->shapes[k]);
	printf("},\"recorded\":{");
	for (unsigned k = 0; k < DESIGN_REC__COUNT; k++)
		printf("%s\"%s\":%" PRIu64, k ? "," : "", design_recorded_name((enum design_recorded)k),
		       s->recorded[k]);
	printf("},\"flushes_list\":%" PRIu64 ",\"flushes_entire\":%" PRIu64 ",",
	       s->recorded[DESIGN_REC_LIST], rec_entire(s));
	printf("\"kicks\":%" PRIu64 ",\"kick_calls\":%" PRIu64 ",\"wait_only\":%" PRIu64
	       ",\"kicks_avoided\":{",
	       s->kicks, s->kick_calls, s->waits);
	bool first = true;
	for (unsigned k = TLBF_WAKE_SKIP_NOT_IN_SET; k < TLBF_WAKE__COUNT; k++) {
		printf("%s\"%s\":%" PRIu64, first ? "" : ",", design_reason_name((enum tlbf_wake)k),
		       s->reasons[k]);
		first = false;
	}
	printf("},\"overflows\":%" PRIu64 ",\"degraded\":%" PRIu64 ",", s->overflows,
	       s->recorded[DESIGN_REC_DEGRADED]);
	printf("\"latency_ns\":{\"p50\":%.0f,\"p99\":%.0f,\"max\":%.0f},", r->p50_ns, r->p99_ns,
	       r->max_ns);
	printf("\"guest_entries\":%" PRIu64 ",\"entries_cancelled\":%" PRIu64
	       ",\"runs_kicked\":%" PRIu64 ",\"translations_used\":%" PRIu64 ",\"tlb_fills\":%" PRIu64
	       ",",
	       r->entries, r->cancelled, r->kicked_runs, r->uses, r->fills);
	printf("\"vp_flushes\":{\"invgla_single\":%" PRIu64 ",\"invgla_list\":%" PRIu64
	       ",\"invgla_skipped\":%" PRIu64 ",\"entire\":%" PRIu64 "},",
	       r->invgla_single, r->invgla_list, r->invgla_skipped, r->vp_entire);
	printf("\"backend\":{\"cancel_signals\":%" PRIu64 ",\"waits\":%" PRIu64 "},", r->mock_kicks,
	       r->mock_waits);
	printf("\"failures\":%" PRIu64 ",\"stale\":%" PRIu64 "}\n", r->failures, r->stale);
	fflush(stdout);
}

/* ---- command line ---- */

static void usage(FILE *f, const char *argv0)
{
	fprintf(f,
	        "usage: %s [--vps N] [--initiators M] [--seconds S] [--design NAME|all]\n"
	        "       %*s [--chaos] [--seed X] [--json] [--break STEP] [--kick-cost-us C]\n"
	        "\n"
	        "Simulate TLB shootdowns on the mock TDX backend: N VP threads run guest code\n"
	        "through per-VP software TLBs over a versioned page table; M of them also issue\n"
	        "Hyper-V flush hypercalls (real input bytes, decoded by tlbf_hypercall_decode)\n"
	        "through the design under test. An oracle checks every translation used after\n"
	        "a flush call returned; the table compares the designs.\n"
	        "\n"
	        "  --vps N           VP threads (1..%u, default 8)\n"
	        "  --initiators M    VPs that also issue flush calls (1..N, default 2)\n"
	        "  --seconds S       run time per design (default 8; with --break the run\n"
	        "                    ends early once a stale translation was seen)\n"
	        "  --design NAME     tlbflush, rwlock, mutex-seqlock, kvm-fifo, or all (default:\n"
	        "                    all; tlbflush with --break)\n"
	        "  --chaos           yield or sleep at random at every labelled step of push,\n"
	        "                    poll, wake and the mock (widens races)\n"
	        "  --seed X          random seed (default: from the clock; printed)\n"
	        "  --json            one JSON object per design on stdout, nothing else\n"
	        "  --break STEP      disable one protocol step of the tlbflush design, to show\n"
	        "                    that the oracle catches it: pending-skip (a poll drops the\n"
	        "                    ranges behind a pending slot), early-clear (VP-enter flush\n"
	        "                    flag cleared before the entry happened), late-announce (poll\n"
	        "                    before announcing), no-wait (kick without waiting), no-kick\n"
	        "                    (skip VPs that need a kick), skip-exiting (do not wait for\n"
	        "                    VPs another initiator is kicking). Other designs ignore it.\n"
	        "  --kick-cost-us C  what a kick costs on real hardware and the mock does not do:\n"
	        "                    the kicker spends C us per cancel signal (IPI and its\n"
	        "                    answer), the kicked VP 2C us per forced exit or cancelled\n"
	        "                    entry (TD exit and re-entry). Default 1; 0 makes kicks\n"
	        "                    free\n"
	        "  --help            this text\n"
	        "\n"
	        "Exit status: 0 no stale translation, 3 stale translations observed, 1 the run\n"
	        "failed otherwise, 2 usage error.\n",
	        argv0, (int)strlen(argv0), "", (unsigned)TLBF_MAX_VPS);
}

static bool parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-')
		return false;
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (*end)
		return false;
	*out = v;
	return true;
}

static void bad_usage(const char *argv0, const char *msg, const char *arg)
{
	fprintf(stderr, "%s: %s%s%s\n", argv0, msg, arg ? ": " : "", arg ? arg : "");
	fprintf(stderr, "try %s --help\n", argv0);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	bool have_seed = false, have_init = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout, argv[0]);
			exit(0);
		} else if (!strcmp(a, "--chaos")) {
			opt.chaos = true;
		} else if (!strcmp(a, "--json")) {
			opt.json = true;
		} else if (!v) {
			bad_usage(argv[0], "unknown option or missing value", a);
		} else if (!strcmp(a, "--vps")) {
			if (!parse_u64(v, &x) || x < 1 || x > TLBF_MAX_VPS)
				bad_usage(argv[0], "bad --vps", v);
			opt.nvps = (uint32_t)x;
			i++;
		} else if (!strcmp(a, "--initiators")) {
			if (!parse_u64(v, &x) || x < 1 || x > TLBF_MAX_VPS)
				bad_usage(argv[0], "bad --initiators", v);
			opt.ninit = (uint32_t)x;
			have_init = true;
			i++;
		} else if (!strcmp(a, "--seconds")) {
			char *end;
			opt.seconds = strtod(v, &end);
			if (*end || !(opt.seconds > 0) || opt.seconds > 86400)
				bad_usage(argv[0], "bad --seconds", v);
			i++;
		} else if (!strcmp(a, "--design")) {
			if (strcmp(v, "all") != 0 && !design_find(v))
				bad_usage(argv[0], "unknown design", v);
			opt.design = v;
			i++;
		} else if (!strcmp(a, "--seed")) {
			if (!parse_u64(v, &opt.seed))
				bad_usage(argv[0], "bad --seed", v);
			have_seed = true;
			i++;
		} else if (!strcmp(a, "--kick-cost-us")) {
			char *end;
			opt.kick_cost_us = strtod(v, &end);
			if (*end || !(opt.kick_cost_us >= 0) || opt.kick_cost_us > 1e6)
				bad_usage(argv[0], "bad --kick-cost-us", v);
			i++;
		} else if (!strcmp(a, "--break")) {
			opt.brk = design_break_parse(v);
			if (opt.brk == DESIGN_BREAK__COUNT)
				bad_usage(argv[0], "unknown --break step", v);
			i++;
		} else {
			bad_usage(argv[0], "unknown option", a);
		}
	}
	if (!have_init && opt.ninit > opt.nvps)
		opt.ninit = opt.nvps;
	if (opt.ninit > opt.nvps)
		bad_usage(argv[0], "--initiators cannot exceed --vps", NULL);
	if (!opt.design)
		opt.design = opt.brk ? "tlbflush" : "all";
	if (!have_seed) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
		           ((uint64_t)getpid() << 32);
	}
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	design_hook_chaos = opt.chaos;
	design_hook_break = opt.brk;
	design_hook_seed_thread(opt.seed, UINT32_MAX);

	const struct design_ops *run[8];
	unsigned n = 0;
	if (!strcmp(opt.design, "all")) {
		for (unsigned i = 0; design_list[i] && n < 8; i++)
			run[n++] = design_list[i];
	} else {
		run[n++] = design_find(opt.design);
	}
	if (!opt.json)
		print_header();
	struct result res[8];
	int rc = 0;
	for (unsigned i = 0; i < n; i++) {
		if (run_design(run[i], i, n, &res[i]) != 0)
			return 1;
		if (opt.json)
			print_json(&res[i]);
		else
			print_row(&res[i]);
	}
	if (!opt.json)
		print_footer(res, n);
	for (unsigned i = 0; i < n; i++) {
		if (res[i].stale)
			rc = EXIT_STALE;
		else if (rc == 0 && (res[i].failures || res[i].calls == 0 || res[i].uses == 0)) {
			fprintf(stderr, "shootdown-sim: %s: %s\n", res[i].name,
			        res[i].failures ? "backend or decode failures" : "nothing was exercised");
			rc = 1;
		}
	}
	return rc;
}
