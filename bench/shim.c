/* SPDX-License-Identifier: MIT */
/*
 * bench/shim.c - the scenarios of the benchmark harness (see shim.h).
 *
 * Compiled as C only. The baselines are used through the common design
 * interface (bench/designs/design.h); nothing here re-implements them.
 * The requests are real flush hypercalls: input pages written by the
 * guest model's encoder (bench/guest/encode.h) and decoded by
 * tlbf_hypercall_decode(), untimed, as the simulator does.
 *
 * Each scenario is one entry of the table at the end (struct scenario):
 * its name, the designs it applies to, its setup and its timed loops.
 */
#define _POSIX_C_SOURCE 200809L
#include "shim.h"

#include "design.h" /* first: it sets up the library's hooks */

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encode.h"
#include "tlbflush/flush.h"
#include "tlbflush/ring.h"
#include "tlbflush/vpset.h"
#include "tlbflush/wake.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define SHIM_HAVE_TSC 1
#else
#define SHIM_HAVE_TSC 0
#endif

#define MAX_THREADS 8
#define NEW8_VPS 512u     /* VPs per thread in poll_new8 */
#define PAUSE_CYCLES 300u /* push_p999: TSC ticks between two pushes */
#define HIST_SUB_BITS 5u  /* 32 sub-buckets per power of two: 3% resolution */
#define HIST_BUCKETS (64u << HIST_SUB_BITS)

/* What a scenario runs against: a design through design.h, the library
 * called directly, or the floors. */
enum shim_kind {
	K_TLBFLUSH,
	K_RWLOCK,
	K_MUTEX_SEQLOCK,
	K_KVM_FIFO,
	K_INLINE,
	K_MATERIALIZE,
	K_FLOOR,
	K__COUNT
};

static const char *const kind_names[K__COUNT] = {
	"tlbflush", "rwlock", "mutex-seqlock", "kvm-fifo", "tlbflush-inline", "materialize", "floor",
};

#define KB(k) (1u << (k))
#define KB_DESIGNS (KB(K_TLBFLUSH) | KB(K_RWLOCK) | KB(K_MUTEX_SEQLOCK) | KB(K_KVM_FIFO))

/* One thread's private state, on its own lines. */
struct shim_thread {
	_Alignas(64) uint64_t out[2 * TLBF_RING_CAPACITY];
	uint64_t mask[64];
	uint64_t kick[1], wait[1];
	struct tlbf_cursor cursor;
	uint32_t next;
	uint64_t acc;
	uint64_t last_tsc;
	uint64_t *hist;
	const char *error;
};

/* A VP's private protocol state, alone on its line. */
struct padded_local {
	_Alignas(64) struct tlbf_vp_local l;
};

struct scenario;

struct shim {
	const struct scenario *sc;
	enum shim_kind kind;
	int threads;
	uint32_t nvps;
	struct design *d;
	struct tlbf_backend be;
	struct tlbf_flush_request req[2];
	struct design_token tok;
	uint64_t ranges[8];
	uint64_t input[2][GUEST_INPUT_WORDS]; /* the requests' hypercall input pages */
	uint64_t set_words[2 + 64];           /* the VP-set scenarios' set */
	/* the library, used directly (tlbflush-inline, materialize) */
	struct tlbf_ring *rings; /* pt.rings */
	struct tlbf_vp *vps;
	struct padded_local *loc;
	struct tlbf_partition pt;
	struct tlbf_mark mark;
	struct tlbf_vpset set;
	const char *error;
	_Alignas(64) _Atomic uint64_t word; /* the floors' shared line */
	_Alignas(64) struct shim_thread thr[MAX_THREADS];
};

/**
 * struct scenario - one operation of the harness
 * @name: the op name (shim.h)
 * @kinds: KB() of the kinds it applies to
 * @nvps: VPs of the partition
 * @max_threads: most threads it can run with
 * @setup: after the design or the library was set up (NULL: nothing);
 *	false on failure
 * @refill: untimed work after each batch (NULL: none)
 * @run: the timed loop of @n operations as thread @t
 */
struct scenario {
	const char *name;
	unsigned kinds;
	uint32_t nvps;
	int max_threads;
	bool (*setup)(struct shim *s);
	void (*refill)(struct shim *s, int t);
	void (*run)(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n);
};

static bool is_design(const struct shim *s)
{
	return s->kind <= K_KVM_FIFO;
}

/* ---- a backend whose kick only walks the mask ------------------------ */

static int null_flush_list(void *ctx, uint32_t vp, unsigned vtl, const uint64_t *ranges,
                           uint32_t count)
{
	(void)ctx, (void)vp, (void)vtl, (void)ranges, (void)count;
	return 0;
}

static void null_flush_at_entry(void *ctx, uint32_t vp, unsigned vtl, enum tlbf_scope scope)
{
	(void)ctx, (void)vp, (void)vtl, (void)scope;
}

static int null_wake(void *ctx, const uint64_t *mask, uint32_t nbits)
{
	(void)ctx, (void)mask, (void)nbits;
	return 0;
}

/* What any kick does before its first IPI: walk the mask, CPU by CPU. */
static int null_kick(void *ctx, const uint64_t *mask, uint32_t nbits, unsigned flags)
{
	uint32_t n = 0;
	(void)ctx, (void)flags;
	for (uint32_t w = 0; w < (nbits + 63) / 64; w++)
		for (uint64_t bits = mask[w]; bits; bits &= bits - 1)
			n += tlbf__ctz64(bits) + 1;
	__asm__ volatile("" : : "r"(n));
	return 0;
}

static void null_relax(void *ctx)
{
	(void)ctx;
	TLBF_CPU_RELAX();
}

static const struct tlbf_backend_ops null_ops = {
	null_flush_list, null_flush_at_entry, null_kick, null_wake, null_relax,
};

/* ---- time ------------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t ticks_begin(void)
{
#if SHIM_HAVE_TSC
	_mm_lfence();
	return __rdtsc();
#else
	return now_ns();
#endif
}

static inline uint64_t ticks_end(void)
{
#if SHIM_HAVE_TSC
	unsigned aux;
	uint64_t t = __rdtscp(&aux);
	_mm_lfence();
	return t;
#else
	return now_ns();
#endif
}

/* Ticks per ns, measured once against CLOCK_MONOTONIC. */
static double ticks_per_ns(void)
{
	static double cached;
	if (cached > 0)
		return cached;
#if SHIM_HAVE_TSC
	uint64_t n0 = now_ns(), t0 = ticks_begin();
	while (now_ns() - n0 < 20000000u)
		;
	uint64_t n1 = now_ns(), t1 = ticks_end();
	cached = (double)(t1 - t0) / (double)(n1 - n0);
#else
	cached = 1.0;
#endif
	return cached;
}

static unsigned hist_index(uint64_t v)
{
	if (v < (UINT64_C(1) << HIST_SUB_BITS))
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned sub = (unsigned)(v >> (msb - HIST_SUB_BITS)) & ((1u << HIST_SUB_BITS) - 1);
	unsigned i = ((msb - HIST_SUB_BITS + 1) << HIST_SUB_BITS) | sub;
	return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}

/* Upper bound of the values of bucket @i. */
static uint64_t hist_value(unsigned i)
{
	if (i < (1u << HIST_SUB_BITS))
		return i;
	unsigned msb = (i >> HIST_SUB_BITS) + HIST_SUB_BITS - 1;
	uint64_t sub = i & ((1u << HIST_SUB_BITS) - 1);
	return ((UINT64_C(1) << HIST_SUB_BITS | sub) + 1) << (msb - HIST_SUB_BITS);
}

/* ---- requests and sets ---------------------------------------------- */

/* A sparse-4K VP set in @w over the banks of @valid, every bank @bank. */
static uint32_t make_set(uint64_t *w, uint64_t valid, uint64_t bank)
{
	uint64_t banks[64];
	for (unsigned b = 0; b < 64; b++)
		banks[b] = bank;
	return guest_set_sparse(w, valid, banks);
}

/* Request @i: a List (@nranges of s->ranges) or Space call, Ex, to the VPs
 * of @valid/@bank, from VTL @vtl, as input bytes decoded by the library. */
static bool make_req(struct shim *s, unsigned i, bool list, unsigned vtl, uint32_t nranges,
                     uint64_t valid, uint64_t bank)
{
	uint64_t set[2 + 64];
	uint32_t set_words = make_set(set, valid, bank);
	uint64_t control = guest_encode(s->input[i], guest_call_code(list, true), 0, 0, set,
	                                set_words, list ? s->ranges : NULL, list ? nranges : 0);
	enum tlbf_hypercall_rule rule;
	return tlbf_hypercall_decode(control, s->input[i], TLBF_HV_INPUT_PAGE_BYTES, s->nvps, vtl,
	                             &s->req[i], &rule) == TLBF_HV_STATUS_SUCCESS;
}

/* A request to VP 0 of @nranges ranges (0: a Space call). */
static bool req_vp0(struct shim *s, uint32_t nranges)
{
	return make_req(s, 0, nranges > 0, 0, nranges, 1, 1);
}

/* The VP-set scenarios' set over a partition of @nvps. */
static bool parse_set(struct shim *s, uint32_t words, uint32_t nvps)
{
	return tlbf_vpset_parse(&s->set, s->set_words, words, nvps) == TLBF_HV_STATUS_SUCCESS;
}

/* The push_p999 histograms. */
static bool alloc_hists(struct shim *s)
{
	for (int t = 0; t < s->threads; t++) {
		s->thr[t].hist = calloc(HIST_BUCKETS, sizeof(uint64_t));
		if (!s->thr[t].hist)
			return false;
	}
	ticks_per_ns();
	return true;
}

/* Wait PAUSE_CYCLES after the last timed operation, then time @op into
 * the thread's histogram. */
#define TIMED_AFTER_PAUSE(th, op)                                     \
	do {                                                          \
		uint64_t now_;                                        \
		do {                                                  \
			TLBF_CPU_RELAX();                             \
			now_ = ticks_begin();                         \
		} while (now_ - (th)->last_tsc < PAUSE_CYCLES);       \
		uint64_t t0_ = ticks_begin();                         \
		(th)->acc += (uint64_t)(op);                          \
		uint64_t t1_ = ticks_end();                           \
		(th)->hist[hist_index(t1_ - t0_)]++;                  \
		(th)->last_tsc = t1_;                                 \
	} while (0)

/* ---- the scenarios ---------------------------------------------------- */

/* poll_idle: a poll that finds nothing new. */
static void run_poll_idle(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n)
{
	uint64_t acc = 0;
	if (is_design(s)) {
		for (uint32_t i = 0; i < n; i++)
			acc += design_vp_poll(s->d, t, 0, th->out, TLBF_RING_CAPACITY).flags;
	} else {
		for (uint32_t i = 0; i < n; i++)
			acc += tlbf_ring_poll(&s->rings[0], &th->cursor, th->out, TLBF_RING_CAPACITY).flags;
	}
	th->acc += acc;
}

/* poll_new8: thread t owns 512 VPs and the ring of VTL t. */
static void refill_new8(struct shim *s, int t)
{
	if (is_design(s))
		design_record(s->d, s->nvps + (uint32_t)t, &s->req[t]);
	else
		tlbf_ring_push(&s->rings[t], s->ranges, 8, false);
}

static bool setup_new8(struct shim *s)
{
	for (unsigned t = 0; t < 2; t++)
		if (!make_req(s, t, true, t, 8, UINT64_C(0xff) << (8 * t), UINT64_MAX))
			return false;
	for (int t = 0; t < s->threads; t++)
		refill_new8(s, t);
	return true;
}

static void run_poll_new8(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t vp = t * NEW8_VPS + i % NEW8_VPS;
		struct tlbf_poll p =
		    is_design(s) ? design_vp_poll(s->d, vp, t, th->out, TLBF_RING_CAPACITY)
		                 : tlbf_ring_poll(&s->rings[t], &s->loc[vp].l.cursor[t], th->out,
		                                  TLBF_RING_CAPACITY);
		if (p.flags != TLBF_POLL_LIST || p.count != 8)
			th->error = "poll_new8: a poll did not return 8 ranges";
	}
}

/* push1, push8, flush_entire: record the request for VP 0. */
static bool setup_push1(struct shim *s)
{
	return req_vp0(s, 1);
}

static bool setup_push8(struct shim *s)
{
	return req_vp0(s, 8);
}

static bool setup_flush_entire(struct shim *s)
{
	return req_vp0(s, 0);
}

/* push_set8, push_set64: one List request of 1 range for VPs 0-7 / 0-63. */
static bool setup_push_set8(struct shim *s)
{
	return make_req(s, 0, true, 0, 1, 1, 0xff);
}

static bool setup_push_set64(struct shim *s)
{
	return make_req(s, 0, true, 0, 1, 1, UINT64_MAX);
}

static void run_record(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n)
{
	const uint32_t self = s->nvps + t;
	uint64_t acc = 0;
	if (is_design(s)) {
		for (uint32_t i = 0; i < n; i++)
			acc += design_record(s->d, self, &s->req[0]).how;
	} else if (s->req[0].range_count) {
		const uint32_t nr = s->req[0].range_count;
		for (uint32_t i = 0; i < n; i++)
			acc += tlbf_ring_push(&s->rings[0], s->ranges, nr, false).result;
	} else {
		for (uint32_t i = 0; i < n; i++)
			acc += tlbf_ring_flush_entire(&s->rings[0]).value;
	}
	th->acc += acc;
}

/* push_p999: push1, paced, each push timed. */
static bool setup_push_p999(struct shim *s)
{
	return req_vp0(s, 1) && alloc_hists(s);
}

static void run_push_p999(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n)
{
	const uint32_t self = s->nvps + t;
	for (uint32_t i = 0; i < n; i++) {
		if (is_design(s))
			TIMED_AFTER_PAUSE(th, design_record(s->d, self, &s->req[0]).how);
		else
			TIMED_AFTER_PAUSE(th, tlbf_ring_push(&s->rings[0], s->ranges, 1, false).result);
	}
}

/* wake64: put the 64 VPs in their states (see shim.h); @mixed: the
 * wake64_mixed states (56 outside, 4 in the other VTL, 4 in the target
 * VTL, polled past). */
static void wake64_states_of(struct shim *s, bool mixed)
{
	uint64_t *out = s->thr[0].out;
	const uint32_t nout = mixed ? 56 : 16;
	for (uint32_t v = 0; v < 64; v++) {
		unsigned vtl = mixed ? (v >= 56 && v < 60 ? 1 : 0) : (v >= 16 && v < 32 ? 1 : 0);
		if (!is_design(s)) {
			tlbf__vp_announce(&s->vps[v], &s->loc[v].l, vtl);
			tlbf_ring_poll(&s->rings[vtl], &s->loc[v].l.cursor[vtl], out, TLBF_RING_CAPACITY);
			tlbf__vp_publish(&s->vps[v], &s->loc[v].l, vtl);
			if (v < nout)
				tlbf__vp_exit(&s->vps[v], &s->loc[v].l);
		} else {
			design_vp_announce(s->d, v, vtl);
			design_vp_poll(s->d, v, vtl, out, TLBF_RING_CAPACITY);
			design_vp_publish(s->d, v, vtl);
			if (v < nout)
				design_vp_exit(s->d, v);
		}
	}
}

static void wake64_states(struct shim *s)
{
	wake64_states_of(s, false);
}

/* Set the VPs up and check the scenario: every VP skipped for its reason
 * (the library), or the design's expected kicks. */
static bool setup_wake64(struct shim *s)
{
	if (!make_req(s, 0, true, 0, 1, 1, UINT64_MAX))
		return false;
	if (!is_design(s)) {
		s->mark = tlbf_ring_push(&s->rings[0], s->ranges, 1, false).mark;
		wake64_states(s);
		struct tlbf_wake_plan pl;
		if (tlbf_wake_plan_begin(&pl, &s->pt, s->thr[0].kick, s->thr[0].wait, 1, 0, s->mark) !=
		        TLBF_STATUS_OK ||
		    tlbf_flush_plan(&pl, &s->req[0].vps, TLBF_NO_VP) != TLBF_STATUS_OK) {
			s->error = "wake64: the plan was refused";
			return true;
		}
		if (pl.nkick || pl.nwait || pl.reasons[TLBF_WAKE_SKIP_OUTSIDE] != 16 ||
		    pl.reasons[TLBF_WAKE_SKIP_OTHER_VTL] != 16 || pl.reasons[TLBF_WAKE_SKIP_POLLED] != 32)
			s->error = "wake64: the VP states are not the intended ones";
		return true;
	}
	s->tok = design_record(s->d, s->nvps, &s->req[0]);
	wake64_states(s);
	struct design_stats st;
	design_wake(s->d, s->nvps, &s->req[0], s->tok);
	design_get_stats(s->d, &st);
	uint64_t want = s->kind == K_RWLOCK ? 64 : s->kind == K_MUTEX_SEQLOCK ? 32 : 0;
	if (st.kicks != want)
		s->error = "wake64: unexpected number of kicks";
	return true;
}

/* wake64_mixed: the same wake, most VPs outside, 4 in the guest. */
static bool setup_wake64_mixed(struct shim *s)
{
	if (!make_req(s, 0, true, 0, 1, 1, UINT64_MAX))
		return false;
	if (!is_design(s)) {
		s->mark = tlbf_ring_push(&s->rings[0], s->ranges, 1, false).mark;
		wake64_states_of(s, true);
		return true;
	}
	s->tok = design_record(s->d, s->nvps, &s->req[0]);
	wake64_states_of(s, true);
	struct design_stats st;
	design_wake(s->d, s->nvps, &s->req[0], s->tok);
	design_get_stats(s->d, &st);
	uint64_t want = s->kind == K_RWLOCK ? 64 : s->kind == K_MUTEX_SEQLOCK ? 4 : 0;
	if (st.kicks != want)
		s->error = "wake64_mixed: unexpected number of kicks";
	return true;
}

/*
 * wake64 the other way: the same predicate and plan, but the set is first
 * materialised into a heap bitmap of the partition (tlbf_vpset_write_mask)
 * and the bitmap iterated, with the kick and wait masks on the heap too,
 * as a VMM that converts the hypercall's set to its own CPU-set type does.
 */
static void loop_materialize(struct shim *s, struct shim_thread *th, uint32_t n)
{
	const size_t words = TLBF_MASK_WORDS(s->nvps);
	uint64_t acc = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t *set = calloc(words, sizeof(uint64_t));
		uint64_t *kick = calloc(words, sizeof(uint64_t));
		uint64_t *wait = calloc(words, sizeof(uint64_t));
		if (!set || !kick || !wait) {
			th->error = "materialize: out of memory";
			free(set), free(kick), free(wait);
			return;
		}
		tlbf_vpset_write_mask(&s->req[0].vps, NULL, NULL, set, words, NULL);
		struct tlbf_wake_plan pl;
		/* The plan's begin takes the fence I1. */
		enum tlbf_status st =
		    tlbf_wake_plan_begin(&pl, &s->pt, kick, wait, (uint32_t)words, 0, s->mark);
		for (size_t w = 0; w < words && st == TLBF_STATUS_OK; w++) {
			for (uint64_t bits = set[w]; bits && st == TLBF_STATUS_OK; bits &= bits - 1) {
				uint32_t vp = (uint32_t)(w * 64 + tlbf__ctz64(bits));
				st = tlbf_wake_decide(&pl, vp, TLBF_NO_VP, NULL);
			}
		}
		if (st == TLBF_STATUS_OK)
			st = tlbf_wake_send(&pl, &s->be, NULL);
		if (st != TLBF_STATUS_OK)
			th->error = "materialize: the plan was refused";
		acc += st == TLBF_STATUS_OK ? pl.nkick : (uint64_t)st;
		free(set);
		free(kick);
		free(wait);
	}
	th->acc += acc;
}

static void run_wake64(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n)
{
	uint64_t acc = 0;
	if (is_design(s)) {
		for (uint32_t i = 0; i < n; i++)
			acc += (uint64_t)design_wake(s->d, s->nvps + t, &s->req[0], s->tok);
	} else if (s->kind == K_MATERIALIZE) {
		loop_materialize(s, th, n);
	} else {
		for (uint32_t i = 0; i < n; i++) {
			struct tlbf_wake_plan pl;
			enum tlbf_status st =
			    tlbf_wake_plan_begin(&pl, &s->pt, th->kick, th->wait, 1, 0, s->mark);
			if (st == TLBF_STATUS_OK)
				st = tlbf_flush_plan(&pl, &s->req[0].vps, TLBF_NO_VP);
			if (st == TLBF_STATUS_OK)
				st = tlbf_wake_send(&pl, &s->be, NULL);
			if (st != TLBF_STATUS_OK)
				th->error = "wake64: the plan was refused";
			acc += st == TLBF_STATUS_OK ? pl.nkick : (uint64_t)st;
		}
	}
	th->acc += acc;
}

/* entry_exit: thread t cycles over VPs t, t + T, ... of 64. */
static void run_entry_exit(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n)
{
	const uint32_t T = (uint32_t)s->threads;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t vp = t + T * th->next;
		th->next = (th->next + 1) % (64 / T);
		if (is_design(s)) {
			design_vp_announce(s->d, vp, 0);
			design_vp_exit(s->d, vp);
		} else {
			tlbf__vp_announce(&s->vps[vp], &s->loc[vp].l, 0);
			tlbf__vp_exit(&s->vps[vp], &s->loc[vp].l);
		}
	}
}

/* The floors: a bare load, a bare fetch_add, on one shared word. */
static void run_floor_load(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n)
{
	uint64_t acc = 0;
	(void)t;
	for (uint32_t i = 0; i < n; i++)
		acc += atomic_load_explicit(&s->word, memory_order_acquire);
	th->acc += acc;
}

static void run_floor_fetch_add(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n)
{
	uint64_t acc = 0;
	(void)t;
	for (uint32_t i = 0; i < n; i++)
		acc += atomic_fetch_add_explicit(&s->word, 1, memory_order_release);
	th->acc += acc;
}

/* The VP-set view: membership, iteration, writing a mask. */
static bool setup_set_contains(struct shim *s)
{
	return parse_set(s, make_set(s->set_words, UINT64_MAX, UINT64_C(0x8000000100010001)), 4096);
}

static bool setup_set_sparse64(struct shim *s)
{
	return parse_set(s, make_set(s->set_words, 1, UINT64_C(0x0101010101010101)), 64);
}

static bool setup_set_dense64(struct shim *s)
{
	return parse_set(s, make_set(s->set_words, 1, UINT64_MAX), 64);
}

/* 64 members, one per bank, at varying positions. */
static bool setup_set_sparse4096(struct shim *s)
{
	uint64_t banks[64];
	for (unsigned b = 0; b < 64; b++)
		banks[b] = UINT64_C(1) << ((b * 7) & 63);
	return parse_set(s, guest_set_sparse(s->set_words, UINT64_MAX, banks), 4096);
}

static bool setup_set_dense4096(struct shim *s)
{
	return parse_set(s, make_set(s->set_words, UINT64_MAX, UINT64_MAX), 4096);
}

static void run_set_contains(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n)
{
	uint64_t acc = 0;
	(void)t;
	for (uint32_t i = 0; i < n; i++) {
		th->next += 37;
		acc += tlbf_vpset_contains(&s->set, th->next & 4095u);
	}
	th->acc += acc;
}

static void run_set_iter(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n)
{
	uint64_t acc = 0;
	uint32_t vp;
	struct tlbf_vpset_iter it;
	(void)t;
	for (uint32_t i = 0; i < n; i++) {
		tlbf_vpset_iter_init(&it, &s->set);
		while (tlbf_vpset_iter_next(&it, &vp))
			acc += vp;
	}
	th->acc += acc;
}

static void run_set_write_mask(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n)
{
	uint64_t acc = 0;
	(void)t;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t sel = 0;
		tlbf_vpset_write_mask(&s->set, NULL, NULL, th->mask, 64, &sel);
		acc += sel;
	}
	th->acc += acc;
}

/* The table. kvm-fifo has no wake64: its wake moves every VP in the guest
 * to EXITING and, on the next call, waits for it to leave (not repeatable
 * without VP threads). rwlock has no entry_exit: it keeps no per-VP state. */
#define K_LIB KB(K_INLINE)
static const struct scenario scenarios[] = {
	{"poll_idle", KB_DESIGNS | K_LIB, 64, MAX_THREADS, NULL, NULL, run_poll_idle},
	{"poll_new8", KB_DESIGNS | K_LIB, 2 * NEW8_VPS, 2, setup_new8, refill_new8, run_poll_new8},
	{"push1", KB_DESIGNS | K_LIB, 64, MAX_THREADS, setup_push1, NULL, run_record},
	{"push8", KB_DESIGNS | K_LIB, 64, MAX_THREADS, setup_push8, NULL, run_record},
	{"flush_entire", KB_DESIGNS | K_LIB, 64, MAX_THREADS, setup_flush_entire, NULL, run_record},
	{"push_p999", KB_DESIGNS | K_LIB, 64, MAX_THREADS, setup_push_p999, NULL, run_push_p999},
	{"push_set8", KB_DESIGNS, 64, MAX_THREADS, setup_push_set8, NULL, run_record},
	{"push_set64", KB_DESIGNS, 64, MAX_THREADS, setup_push_set64, NULL, run_record},
	{"wake64_mixed", KB_DESIGNS & ~KB(K_KVM_FIFO), 64, MAX_THREADS, setup_wake64_mixed, NULL,
	 run_wake64},
	{"wake64", (KB_DESIGNS & ~KB(K_KVM_FIFO)) | K_LIB | KB(K_MATERIALIZE), 64, MAX_THREADS,
	 setup_wake64, NULL, run_wake64},
	{"entry_exit", (KB_DESIGNS & ~KB(K_RWLOCK)) | K_LIB, 64, MAX_THREADS, NULL, NULL,
	 run_entry_exit},
	{"floor_load", KB(K_FLOOR), 64, MAX_THREADS, NULL, NULL, run_floor_load},
	{"floor_fetch_add", KB(K_FLOOR), 64, MAX_THREADS, NULL, NULL, run_floor_fetch_add},
	{"vpset_contains", K_LIB, 64, MAX_THREADS, setup_set_contains, NULL, run_set_contains},
	{"vpset_iter_sparse64", K_LIB, 64, MAX_THREADS, setup_set_sparse64, NULL, run_set_iter},
	{"vpset_iter_dense64", K_LIB, 64, MAX_THREADS, setup_set_dense64, NULL, run_set_iter},
	{"vpset_iter_sparse4096", K_LIB, 64, MAX_THREADS, setup_set_sparse4096, NULL, run_set_iter},
	{"vpset_iter_dense4096", K_LIB, 64, MAX_THREADS, setup_set_dense4096, NULL, run_set_iter},
	{"vpset_write_mask_sparse4096", K_LIB, 64, MAX_THREADS, setup_set_sparse4096, NULL,
	 run_set_write_mask},
	{"vpset_write_mask_dense4096", K_LIB, 64, MAX_THREADS, setup_set_dense4096, NULL,
	 run_set_write_mask},
};

/* ---- the interface (shim.h) ------------------------------------------ */

static const struct scenario *find_scenario(const char *name)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (strcmp(scenarios[i].name, name) == 0)
			return &scenarios[i];
	return NULL;
}

static int find_kind(const char *name)
{
	for (unsigned i = 0; i < K__COUNT; i++)
		if (strcmp(kind_names[i], name) == 0)
			return (int)i;
	return -1;
}

int shim_applies(const char *op, const char *design)
{
	const struct scenario *sc = find_scenario(op);
	int k = find_kind(design);
	return sc && k >= 0 && (sc->kinds & KB(k));
}

/* The design, or the library's rings and VPs, for @s->nvps VPs. */
static bool setup_kind(struct shim *s)
{
	if (is_design(s)) {
		struct design_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.nvps = s->nvps;
		cfg.nslots = s->nvps + MAX_THREADS;
		cfg.backend = s->be;
		s->d = design_create(design_find(kind_names[s->kind]), &cfg);
		if (!s->d)
			return false;
		for (uint32_t v = 0; v < s->nvps; v++)
			design_vp_start(s->d, v, NULL);
		return true;
	}
	if (s->kind == K_FLOOR)
		return true;
	s->vps = aligned_alloc(64, sizeof(*s->vps) * s->nvps);
	s->loc = aligned_alloc(64, sizeof(*s->loc) * s->nvps);
	if (!s->vps || !s->loc)
		return false;
	/* The partition owns its rings (no TLB locks here). */
	if (tlbf_partition_init(&s->pt, s->vps, NULL, s->nvps) != TLBF_STATUS_OK)
		return false;
	s->rings = s->pt.rings;
	for (uint32_t v = 0; v < s->nvps; v++)
		tlbf__vp_start(&s->vps[v], &s->loc[v].l, s->pt.rings);
	for (int t = 0; t < s->threads; t++)
		tlbf_ring_cursor_init(&s->rings[0], &s->thr[t].cursor);
	return true;
}

struct shim *shim_create(const char *op, const char *design, int threads)
{
	const struct scenario *sc = find_scenario(op);
	int k = find_kind(design);
	if (!shim_applies(op, design) || threads < 1 || threads > sc->max_threads)
		return NULL;
	struct shim *s = aligned_alloc(64, (sizeof(*s) + 63) & ~(size_t)63);
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->sc = sc;
	s->kind = (enum shim_kind)k;
	s->threads = threads;
	s->nvps = sc->nvps;
	s->be.ops = &null_ops;
	s->be.ctx = s;
	atomic_init(&s->word, 0);
	for (unsigned i = 0; i < 8; i++)
		s->ranges[i] = tlbf_hv_gva_make(0x10000 + 16 * i, i % 4);
	if (!setup_kind(s) || (sc->setup && !sc->setup(s))) {
		shim_destroy(s);
		return NULL;
	}
	return s;
}

void shim_destroy(struct shim *s)
{
	if (!s)
		return;
	design_destroy(s->d);
	free(s->vps);
	free(s->loc);
	for (int t = 0; t < MAX_THREADS; t++)
		free(s->thr[t].hist);
	free(s);
}

uint32_t shim_batch(const char *op)
{
	return shim_has_refill(op) ? NEW8_VPS : 64;
}

int shim_has_refill(const char *op)
{
	const struct scenario *sc = find_scenario(op);
	return sc && sc->refill;
}

void shim_refill(struct shim *s, int t)
{
	if (s->sc->refill)
		s->sc->refill(s, t);
}

const char *shim_error(const struct shim *s)
{
	if (s->error)
		return s->error;
	for (int t = 0; t < s->threads; t++)
		if (s->thr[t].error)
			return s->thr[t].error;
	return NULL;
}

void shim_loop(struct shim *s, int thread, uint32_t n)
{
	s->sc->run(s, &s->thr[thread], (uint32_t)thread, n);
}

/* ---- latency percentiles --------------------------------------------- */

uint64_t shim_latency_samples(const struct shim *s)
{
	uint64_t n = 0;
	for (int t = 0; t < s->threads; t++)
		if (s->thr[t].hist)
			for (unsigned i = 0; i < HIST_BUCKETS; i++)
				n += s->thr[t].hist[i];
	return n;
}

double shim_latency_ns(const struct shim *s, double q)
{
	uint64_t total = shim_latency_samples(s);
	if (total == 0)
		return 0;
	uint64_t rank = (uint64_t)(q * (double)total);
	if (rank >= total)
		rank = total - 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		for (int t = 0; t < s->threads; t++)
			seen += s->thr[t].hist[i];
		if (seen > rank)
			return (double)hist_value(i) / ticks_per_ns();
	}
	return (double)hist_value(HIST_BUCKETS - 1) / ticks_per_ns();
}
