/* SPDX-License-Identifier: MIT */
/*
 * bench/shim.c - the scenarios of the benchmark harness (see shim.h).
 *
 * Compiled as C only. The baselines are used through the common design
 * interface (bench/designs/design.h); nothing here re-implements them.
 */
#define _POSIX_C_SOURCE 200809L
#include "shim.h"

#include "design.h" /* first: it sets up the library's hooks */

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

enum shim_op {
	OP_POLL_IDLE,
	OP_POLL_NEW8,
	OP_PUSH1,
	OP_PUSH8,
	OP_FLUSH_ENTIRE,
	OP_PUSH_P999,
	OP_WAKE64,
	OP_ENTRY_EXIT,
	OP_FLOOR_LOAD,
	OP_FLOOR_FETCH_ADD,
	OP_VPSET_CONTAINS,
	OP_VPSET_ITER_SPARSE64,
	OP_VPSET_ITER_DENSE64,
	OP_VPSET_ITER_SPARSE4096,
	OP_VPSET_ITER_DENSE4096,
	OP_VPSET_MASK_SPARSE4096,
	OP_VPSET_MASK_DENSE4096,
	OP__COUNT
};

static const char *const op_names[OP__COUNT] = {
	"poll_idle", "poll_new8", "push1", "push8", "flush_entire", "push_p999", "wake64",
	"entry_exit", "floor_load", "floor_fetch_add", "vpset_contains", "vpset_iter_sparse64",
	"vpset_iter_dense64", "vpset_iter_sparse4096", "vpset_iter_dense4096",
	"vpset_write_mask_sparse4096", "vpset_write_mask_dense4096",
};

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

struct shim {
	enum shim_op op;
	enum shim_kind kind;
	int threads;
	uint32_t nvps;
	struct design *d;
	struct tlbf_backend be;
	struct tlbf_flush_request req[2];
	struct design_token tok;
	uint64_t ranges[8];
	uint64_t set_words[2][2 + 64];
	/* the library, used directly (tlbflush-inline) */
	struct tlbf_ring *rings;
	struct tlbf_vp *vps;
	struct padded_local *loc;
	struct tlbf_partition pt;
	struct tlbf_mark mark;
	struct tlbf_vpset set;
	const char *error;
	_Alignas(64) _Atomic uint64_t word; /* the floors' shared line */
	_Alignas(64) struct shim_thread thr[MAX_THREADS];
};

/* ---- a backend whose kick only walks the mask ------------------------ */

static int null_invgla_single(void *ctx, uint32_t vp, uint64_t rcx, uint64_t gla)
{
	(void)ctx, (void)vp, (void)rcx, (void)gla;
	return 0;
}

static int null_invgla_list(void *ctx, uint32_t vp, uint64_t rcx, uint64_t info,
                            const uint64_t *page)
{
	(void)ctx, (void)vp, (void)rcx, (void)info, (void)page;
	return 0;
}

static void null_set_enter_flags(void *ctx, uint32_t vp, uint64_t flags)
{
	(void)ctx, (void)vp, (void)flags;
}

/* What any kick does before its first IPI: walk the mask, CPU by CPU. */
static int null_kick(void *ctx, const uint64_t *mask, uint32_t nbits, unsigned flags)
{
	uint32_t n = 0;
	(void)ctx, (void)flags;
	for (uint32_t w = 0; w < (nbits + 63) / 64; w++)
		for (uint64_t bits = mask[w]; bits; bits &= bits - 1)
			n += tlbf_ctz64(bits) + 1;
	__asm__ volatile("" : : "r"(n));
	return 0;
}

static void null_relax(void *ctx)
{
	(void)ctx;
	TLBF_CPU_RELAX();
}

static const struct tlbf_backend_ops null_ops = {
	null_invgla_single, null_invgla_list, null_set_enter_flags, null_kick, null_relax,
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

/* ---- setup helpers --------------------------------------------------- */

static int find(const char *const *names, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

static bool applies(enum shim_op op, enum shim_kind k)
{
	bool design = k <= K_KVM_FIFO;
	switch (op) {
	case OP_POLL_IDLE:
	case OP_POLL_NEW8:
	case OP_PUSH1:
	case OP_PUSH8:
	case OP_FLUSH_ENTIRE:
	case OP_PUSH_P999:
		return design || k == K_INLINE;
	case OP_WAKE64:
		/* kvm-fifo's wake moves every VP in the guest to EXITING and,
		 * on the next call, waits for it to leave: not repeatable
		 * without VP threads. */
		return k == K_TLBFLUSH || k == K_RWLOCK || k == K_MUTEX_SEQLOCK || k == K_INLINE ||
		       k == K_MATERIALIZE;
	case OP_ENTRY_EXIT:
		/* rwlock keeps no per-VP state: nothing to measure. */
		return k == K_TLBFLUSH || k == K_MUTEX_SEQLOCK || k == K_KVM_FIFO || k == K_INLINE;
	case OP_FLOOR_LOAD:
	case OP_FLOOR_FETCH_ADD:
		return k == K_FLOOR;
	default:
		return k == K_INLINE;
	}
}

int shim_applies(const char *op, const char *design)
{
	int o = find(op_names, OP__COUNT, op);
	int k = find(kind_names, K__COUNT, design);
	return o >= 0 && k >= 0 && applies((enum shim_op)o, (enum shim_kind)k);
}

/* An HV_VP_SET in @w over the banks of @valid, each bank word @bank. */
static size_t make_set(uint64_t *w, uint64_t valid, uint64_t bank)
{
	size_t n = 2;
	w[0] = TLBF_HV_GENERIC_SET_SPARSE_4K;
	w[1] = valid;
	for (uint64_t b = valid; b; b &= b - 1)
		w[n++] = bank;
	return n;
}

static bool make_req(struct shim *s, unsigned i, enum tlbf_flush_kind kind, unsigned vtl,
                     uint32_t nranges, size_t set_len)
{
	struct tlbf_flush_request *r = &s->req[i];
	memset(r, 0, sizeof(*r));
	r->call = kind == TLBF_FLUSH_LIST ? TLBF_HVCALL_FLUSH_VA_LIST_EX : TLBF_HVCALL_FLUSH_VA_SPACE_EX;
	r->kind = (uint8_t)kind;
	r->target_vtl = (uint8_t)vtl;
	r->ranges = kind == TLBF_FLUSH_LIST ? s->ranges : NULL;
	r->range_count = kind == TLBF_FLUSH_LIST ? nranges : 0;
	return tlbf_vpset_parse(&r->vps, s->set_words[i], set_len, s->nvps) == TLBF_HV_STATUS_SUCCESS;
}

static void inline_refill(struct shim *s, int t)
{
	tlbf_ring_push(&s->rings[t], s->ranges, 8, false);
}

void shim_refill(struct shim *s, int t)
{
	if (s->op != OP_POLL_NEW8)
		return;
	if (s->kind == K_INLINE)
		inline_refill(s, t);
	else
		design_record(s->d, s->nvps + (uint32_t)t, &s->req[t]);
}

/* Put the VPs of the wake64 scenario in their states (see shim.h). */
static void wake64_states(struct shim *s)
{
	uint64_t *out = s->thr[0].out;
	for (uint32_t v = 0; v < 64; v++) {
		unsigned vtl = v >= 16 && v < 32 ? 1 : 0;
		if (s->kind >= K_INLINE) {
			tlbf_vp_announce(&s->vps[v], &s->loc[v].l, vtl);
			tlbf_ring_poll(&s->rings[vtl], &s->loc[v].l.cursor[vtl], out, TLBF_RING_CAPACITY);
			tlbf_vp_publish(&s->vps[v], &s->loc[v].l, vtl);
			if (v < 16)
				tlbf_vp_exit(&s->vps[v], &s->loc[v].l);
		} else {
			design_vp_announce(s->d, v, vtl);
			design_vp_poll(s->d, v, vtl, out, TLBF_RING_CAPACITY);
			design_vp_publish(s->d, v, vtl);
			if (v < 16)
				design_vp_exit(s->d, v);
		}
	}
}

struct shim *shim_create(const char *op_name, const char *design, int threads)
{
	int o = find(op_names, OP__COUNT, op_name);
	int k = find(kind_names, K__COUNT, design);
	if (o < 0 || k < 0 || threads < 1 || threads > MAX_THREADS ||
	    !applies((enum shim_op)o, (enum shim_kind)k))
		return NULL;
	if (o == OP_POLL_NEW8 && threads > 2)
		return NULL; /* one VTL ring per thread */
	struct shim *s = aligned_alloc(64, (sizeof(*s) + 63) & ~(size_t)63);
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->op = (enum shim_op)o;
	s->kind = (enum shim_kind)k;
	s->threads = threads;
	s->nvps = s->op == OP_POLL_NEW8 ? 2 * NEW8_VPS : 64;
	s->be.ops = &null_ops;
	s->be.ctx = s;
	atomic_init(&s->word, 0);
	for (unsigned i = 0; i < 8; i++)
		s->ranges[i] = tlbf_gva_make(0x10000 + 16 * i, i % 4);

	bool ok = true;
	size_t len;
	switch (s->op) {
	case OP_POLL_NEW8:
		for (unsigned t = 0; t < 2; t++) {
			len = make_set(s->set_words[t], UINT64_C(0xff) << (8 * t), UINT64_MAX);
			ok = ok && make_req(s, t, TLBF_FLUSH_LIST, t, 8, len);
		}
		break;
	case OP_WAKE64:
		len = make_set(s->set_words[0], 1, UINT64_MAX);
		ok = make_req(s, 0, TLBF_FLUSH_LIST, 0, 1, len);
		break;
	case OP_FLUSH_ENTIRE:
		len = make_set(s->set_words[0], 1, 1);
		ok = make_req(s, 0, TLBF_FLUSH_ENTIRE, 0, 0, len);
		break;
	default:
		len = make_set(s->set_words[0], 1, 1); /* VP 0 */
		ok = make_req(s, 0, TLBF_FLUSH_LIST, 0, s->op == OP_PUSH8 ? 8 : 1, len);
		break;
	}
	if (!ok)
		goto fail;

	if (s->kind <= K_KVM_FIFO) {
		struct design_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.nvps = s->nvps;
		cfg.nslots = s->nvps + MAX_THREADS;
		cfg.backend = s->be;
		s->d = design_create(design_find(kind_names[s->kind]), &cfg);
		if (!s->d)
			goto fail;
		for (uint32_t v = 0; v < s->nvps; v++)
			design_vp_start(s->d, v);
	} else if (s->kind == K_INLINE || s->kind == K_MATERIALIZE) {
		s->rings = aligned_alloc(64, sizeof(*s->rings) * TLBF_VTL_COUNT);
		s->vps = aligned_alloc(64, sizeof(*s->vps) * s->nvps);
		s->loc = aligned_alloc(64, sizeof(*s->loc) * s->nvps);
		if (!s->rings || !s->vps || !s->loc)
			goto fail;
		for (unsigned v = 0; v < TLBF_VTL_COUNT; v++) {
			tlbf_ring_init(&s->rings[v]);
			s->pt.rings[v] = &s->rings[v];
		}
		s->pt.vps = s->vps;
		s->pt.vp_count = s->nvps;
		for (uint32_t v = 0; v < s->nvps; v++) {
			tlbf_vp_init(&s->vps[v]);
			tlbf_vp_start(&s->vps[v], &s->loc[v].l, s->pt.rings);
		}
		for (int t = 0; t < threads; t++)
			tlbf_cursor_init_now(&s->rings[0], &s->thr[t].cursor);
	}

	switch (s->op) {
	case OP_POLL_NEW8:
		for (int t = 0; t < threads; t++)
			shim_refill(s, t);
		break;
	case OP_PUSH_P999:
		for (int t = 0; t < threads; t++) {
			s->thr[t].hist = calloc(HIST_BUCKETS, sizeof(uint64_t));
			if (!s->thr[t].hist)
				goto fail;
		}
		ticks_per_ns();
		break;
	case OP_WAKE64:
		if (s->kind == K_INLINE || s->kind == K_MATERIALIZE) {
			s->mark = tlbf_ring_push(&s->rings[0], s->ranges, 1, false).mark;
			wake64_states(s);
			/* Check the scenario: every VP skipped, for its reason. */
			struct tlbf_kick_plan pl;
			tlbf_kick_plan_init(&pl, s->thr[0].kick, s->thr[0].wait, 1);
			tlbf_flush_plan(&s->pt, &s->req[0].vps, s->nvps, 0, s->mark, &pl);
			if (pl.nkick || pl.nwait || pl.reasons[TLBF_WAKE_SKIP_OUTSIDE] != 16 ||
			    pl.reasons[TLBF_WAKE_SKIP_OTHER_VTL] != 16 ||
			    pl.reasons[TLBF_WAKE_SKIP_POLLED] != 32)
				s->error = "wake64: the VP states are not the intended ones";
		} else {
			s->tok = design_record(s->d, s->nvps, &s->req[0]);
			wake64_states(s);
			struct design_stats st;
			design_wake(s->d, s->nvps, &s->req[0], s->tok);
			design_get_stats(s->d, &st);
			uint64_t want = s->kind == K_RWLOCK ? 64 : s->kind == K_MUTEX_SEQLOCK ? 32 : 0;
			if (st.kicks != want)
				s->error = "wake64: unexpected number of kicks";
		}
		break;
	case OP_VPSET_CONTAINS:
		len = make_set(s->set_words[0], UINT64_MAX, UINT64_C(0x8000000100010001));
		ok = tlbf_vpset_parse(&s->set, s->set_words[0], len, 4096) == TLBF_HV_STATUS_SUCCESS;
		break;
	case OP_VPSET_ITER_SPARSE64:
		len = make_set(s->set_words[0], 1, UINT64_C(0x0101010101010101));
		ok = tlbf_vpset_parse(&s->set, s->set_words[0], len, 64) == TLBF_HV_STATUS_SUCCESS;
		break;
	case OP_VPSET_ITER_DENSE64:
		len = make_set(s->set_words[0], 1, UINT64_MAX);
		ok = tlbf_vpset_parse(&s->set, s->set_words[0], len, 64) == TLBF_HV_STATUS_SUCCESS;
		break;
	case OP_VPSET_ITER_SPARSE4096:
	case OP_VPSET_MASK_SPARSE4096:
		/* 64 members, one per bank, at varying positions. */
		len = make_set(s->set_words[0], UINT64_MAX, 0);
		for (unsigned b = 0; b < 64; b++)
			s->set_words[0][2 + b] = UINT64_C(1) << ((b * 7) & 63);
		ok = tlbf_vpset_parse(&s->set, s->set_words[0], len, 4096) == TLBF_HV_STATUS_SUCCESS;
		break;
	case OP_VPSET_ITER_DENSE4096:
	case OP_VPSET_MASK_DENSE4096:
		len = make_set(s->set_words[0], UINT64_MAX, UINT64_MAX);
		ok = tlbf_vpset_parse(&s->set, s->set_words[0], len, 4096) == TLBF_HV_STATUS_SUCCESS;
		break;
	default:
		break;
	}
	if (!ok)
		goto fail;
	return s;
fail:
	shim_destroy(s);
	return NULL;
}

void shim_destroy(struct shim *s)
{
	if (!s)
		return;
	design_destroy(s->d);
	free(s->rings);
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
	return find(op_names, OP__COUNT, op) == OP_POLL_NEW8;
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

/* ---- the timed loops ------------------------------------------------- */

static void loop_design(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n)
{
	struct design *d = s->d;
	const uint32_t self = s->nvps + t;
	const uint32_t T = (uint32_t)s->threads;
	switch (s->op) {
	case OP_POLL_IDLE:
		for (uint32_t i = 0; i < n; i++)
			th->acc += design_vp_poll(d, t, 0, th->out, TLBF_RING_CAPACITY).flags;
		break;
	case OP_POLL_NEW8:
		for (uint32_t i = 0; i < n; i++) {
			uint32_t vp = t * NEW8_VPS + i % NEW8_VPS;
			struct tlbf_poll p = design_vp_poll(d, vp, t, th->out, TLBF_RING_CAPACITY);
			if (p.flags != TLBF_POLL_LIST || p.count != 8)
				th->error = "poll_new8: a poll did not return 8 ranges";
		}
		break;
	case OP_PUSH1:
	case OP_PUSH8:
	case OP_FLUSH_ENTIRE:
		for (uint32_t i = 0; i < n; i++)
			th->acc += design_record(d, self, &s->req[0]).how;
		break;
	case OP_PUSH_P999:
		for (uint32_t i = 0; i < n; i++) {
			uint64_t now;
			do {
				TLBF_CPU_RELAX();
				now = ticks_begin();
			} while (now - th->last_tsc < PAUSE_CYCLES);
			uint64_t t0 = ticks_begin();
			th->acc += design_record(d, self, &s->req[0]).how;
			uint64_t t1 = ticks_end();
			th->hist[hist_index(t1 - t0)]++;
			th->last_tsc = t1;
		}
		break;
	case OP_WAKE64:
		for (uint32_t i = 0; i < n; i++)
			th->acc += (uint64_t)design_wake(d, self, &s->req[0], s->tok);
		break;
	case OP_ENTRY_EXIT:
		for (uint32_t i = 0; i < n; i++) {
			uint32_t vp = t + T * th->next;
			th->next = (th->next + 1) % (64 / T);
			design_vp_announce(d, vp, 0);
			design_vp_exit(d, vp);
		}
		break;
	default:
		break;
	}
}

static void loop_inline(struct shim *s, struct shim_thread *th, uint32_t t, uint32_t n)
{
	const uint32_t T = (uint32_t)s->threads;
	struct tlbf_ring *r0 = s->rings ? &s->rings[0] : NULL;
	uint64_t acc = 0;
	uint32_t vp;
	struct tlbf_vpset_iter it;
	switch (s->op) {
	case OP_POLL_IDLE:
		for (uint32_t i = 0; i < n; i++)
			acc += tlbf_ring_poll(r0, &th->cursor, th->out, TLBF_RING_CAPACITY).flags;
		break;
	case OP_POLL_NEW8:
		for (uint32_t i = 0; i < n; i++) {
			vp = t * NEW8_VPS + i % NEW8_VPS;
			struct tlbf_poll p = tlbf_ring_poll(&s->rings[t], &s->loc[vp].l.cursor[t], th->out,
			                                    TLBF_RING_CAPACITY);
			if (p.flags != TLBF_POLL_LIST || p.count != 8)
				th->error = "poll_new8: a poll did not return 8 ranges";
		}
		break;
	case OP_PUSH1:
	case OP_PUSH8: {
		const uint32_t nr = s->req[0].range_count;
		for (uint32_t i = 0; i < n; i++)
			acc += tlbf_ring_push(r0, s->ranges, nr, false).result;
		break;
	}
	case OP_FLUSH_ENTIRE:
		for (uint32_t i = 0; i < n; i++)
			acc += tlbf_ring_flush_entire(r0).value;
		break;
	case OP_PUSH_P999:
		for (uint32_t i = 0; i < n; i++) {
			uint64_t now;
			do {
				TLBF_CPU_RELAX();
				now = ticks_begin();
			} while (now - th->last_tsc < PAUSE_CYCLES);
			uint64_t t0 = ticks_begin();
			acc += tlbf_ring_push(r0, s->ranges, 1, false).result;
			uint64_t t1 = ticks_end();
			th->hist[hist_index(t1 - t0)]++;
			th->last_tsc = t1;
		}
		break;
	case OP_WAKE64:
		for (uint32_t i = 0; i < n; i++) {
			struct tlbf_kick_plan pl;
			tlbf_kick_plan_init(&pl, th->kick, th->wait, 1);
			tlbf_flush_plan(&s->pt, &s->req[0].vps, s->nvps, 0, s->mark, &pl);
			acc += (uint64_t)tlbf_kick_plan_send(&s->be, &pl, s->vps, s->nvps) + pl.nkick;
		}
		break;
	case OP_ENTRY_EXIT:
		for (uint32_t i = 0; i < n; i++) {
			vp = t + T * th->next;
			th->next = (th->next + 1) % (64 / T);
			tlbf_vp_announce(&s->vps[vp], &s->loc[vp].l, 0);
			tlbf_vp_exit(&s->vps[vp], &s->loc[vp].l);
		}
		break;
	case OP_VPSET_CONTAINS:
		for (uint32_t i = 0; i < n; i++) {
			th->next += 37;
			acc += tlbf_vpset_contains(&s->set, th->next & 4095u);
		}
		break;
	case OP_VPSET_ITER_SPARSE64:
	case OP_VPSET_ITER_DENSE64:
	case OP_VPSET_ITER_SPARSE4096:
	case OP_VPSET_ITER_DENSE4096:
		for (uint32_t i = 0; i < n; i++) {
			tlbf_vpset_iter_init(&it, &s->set);
			while (tlbf_vpset_iter_next(&it, &vp))
				acc += vp;
		}
		break;
	case OP_VPSET_MASK_SPARSE4096:
	case OP_VPSET_MASK_DENSE4096:
		for (uint32_t i = 0; i < n; i++) {
			uint32_t sel = 0;
			tlbf_vpset_write_mask(&s->set, NULL, NULL, th->mask, 64, &sel);
			acc += sel;
		}
		break;
	default:
		break;
	}
	th->acc += acc;
}

/*
 * wake64 the other way: the same predicate and plan, but the set is first
 * materialised into a heap bitmap of the partition (tlbf_vpset_write_mask)
 * and the bitmap iterated, with the kick and wait masks on the heap too,
 * as a VMM that converts the hypercall's set to its own CPU-set type does.
 */
static void loop_materialize(struct shim *s, struct shim_thread *th, uint32_t n)
{
	const size_t words = TLBF_VPSET_MASK_WORDS(s->nvps);
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
		struct tlbf_kick_plan pl;
		tlbf_kick_plan_init(&pl, kick, wait, (uint32_t)words);
		tlbf_wake_fence();
		for (size_t w = 0; w < words; w++) {
			for (uint64_t bits = set[w]; bits; bits &= bits - 1) {
				uint32_t vp = (uint32_t)(w * 64 + tlbf_ctz64(bits));
				tlbf_kick_plan_add(&pl, vp,
				                   tlbf_wake_decide(&s->vps[vp], vp, s->nvps, 0, s->mark));
			}
		}
		acc += (uint64_t)tlbf_kick_plan_send(&s->be, &pl, s->vps, s->nvps) + pl.nkick;
		free(set);
		free(kick);
		free(wait);
	}
	th->acc += acc;
}

static void loop_floor(struct shim *s, struct shim_thread *th, uint32_t n)
{
	uint64_t acc = 0;
	if (s->op == OP_FLOOR_LOAD) {
		for (uint32_t i = 0; i < n; i++)
			acc += atomic_load_explicit(&s->word, memory_order_acquire);
	} else {
		for (uint32_t i = 0; i < n; i++)
			acc += atomic_fetch_add_explicit(&s->word, 1, memory_order_release);
	}
	th->acc += acc;
}

void shim_loop(struct shim *s, int thread, uint32_t n)
{
	struct shim_thread *th = &s->thr[thread];
	if (s->kind == K_INLINE)
		loop_inline(s, th, (uint32_t)thread, n);
	else if (s->kind == K_MATERIALIZE)
		loop_materialize(s, th, n);
	else if (s->kind == K_FLOOR)
		loop_floor(s, th, n);
	else
		loop_design(s, th, (uint32_t)thread, n);
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
