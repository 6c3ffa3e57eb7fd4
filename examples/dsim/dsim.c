/* SPDX-License-Identifier: MIT */
/*
 * dsim - the deterministic shootdown simulator.
 *
 * One OS thread. Every VP is a coroutine (ucontext) scheduled by a seeded
 * scheduler in virtual time; the first --initiators VPs (spread over the
 * index space) issue flush hypercalls from their guest. The library and
 * the four designs (bench/designs) run unmodified: their spins, labelled
 * steps and atomic accesses are hooks (dsim_hooks.h). Same seed and build:
 * byte-identical output. docs/DSIM.md describes the model and the cost
 * table.
 */
#include "dsim_hooks.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "design.h"
#include "encode.h"
#include "tlbflush/mock_backend.h"
#include "tlbflush/oracle.h"
#include "tlbflush/tlbflush.h"

/* ---- the cost table (ns of virtual time) ---- */

struct cost_row {
	const char *name;
	double ns;
	const char *what;
};
enum {
	C_VM_ENTRY, C_VM_EXIT, C_IPI_SEND, C_IPI_DELIVER, C_FLUSH_RANGE, C_FLUSH_FULL,
	C_REFILL_FULL, C_REFILL_RANGE, C_LINE_LOCAL, C_LINE_REMOTE, C_LOAD, C_RMW, C_FENCE,
	C_RELAX, C_FUTEX_WAKE, C_FUTEX_WAKEUP, C_VMM_OUTSIDE, C__COUNT
};
static struct cost_row cost[C__COUNT] = {
	{"vm_entry", 600, "VM entry (VMRESUME with state load)"},
	{"vm_exit", 700, "VM exit to the VMM's handler"},
	{"ipi_send", 300, "initiator: send one kick IPI (ICR write, exit-less)"},
	{"ipi_deliver", 1000, "kick IPI delivery until the VP's forced exit begins"},
	{"flush_range", 100, "one listed range flushed (INVLPG/INVVPID address)"},
	{"flush_full", 300, "a full flush at entry (INVVPID/INVEPT context)"},
	{"refill_full", 4000, "guest work lost refilling the TLB after a full flush"},
	{"refill_range", 150, "guest work lost refilling one flushed range"},
	{"line_local", 60, "cache-line transfer within a socket"},
	{"line_remote", 140, "cache-line transfer across sockets"},
	{"load", 1, "atomic access that hits (load/store)"},
	{"rmw", 10, "locked read-modify-write that hits"},
	{"fence", 20, "full fence (MFENCE / locked op)"},
	{"relax", 40, "one spin iteration (PAUSE)"},
	{"futex_wake", 1500, "unlocker's wake of a sleeping lock waiter (syscall)"},
	{"futex_wakeup", 3000, "sleeping waiter: from the wake to running"},
	{"vmm_outside", 500, "VMM work between an exit and the next entry"},
};
static double cost_scale = 1.0;
static uint64_t C(int i)
{
	double v = cost[i].ns * cost_scale;
	return v < 1 ? 1 : (uint64_t)(v + 0.5);
}

/* ---- random numbers (splitmix64) ---- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}
static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}
/* Exponential with mean @mean (integer ns, at least 1). */
static uint64_t expo(uint64_t mean)
{
	double u = ((double)(rnd() >> 11) + 0.5) / 9007199254740992.0;
	double x = 0, t = 1 - u; /* -ln(u) by series-free means: */
	/* ln without libm: log2 by the exponent plus a short series */
	int e = 0;
	while (t < 0.5) {
		t *= 2;
		e++;
	}
	double y = (t - 1) / (t + 1), y2 = y * y;
	double ln = 2 * y * (1 + y2 / 3 + y2 * y2 / 5 + y2 * y2 * y2 / 7);
	x = (double)e * 0.6931471805599453 - ln;
	uint64_t v = (uint64_t)(x * (double)mean);
	return v ? v : 1;
}

/* ---- options ---- */

static struct {
	const char *design;
	uint32_t nvps, ninit;
	uint64_t us;
	uint64_t seed;
	const char *brk;
	bool tlb_locks;
	int trace;
	uint32_t sweep;
	bool matrix;
	uint64_t matrix_us;
	uint64_t access_ns;
	bool measure;
	uint64_t max_call_ns;
	bool prefer_writers;
} opt = {"tlbflush", 8, 2, 400, 1, NULL, false, 32, 0, false, 0, 2000, false, 0, false};
static int g_argc;
static char **g_argv;

/* ---- coroutines and the scheduler ---- */

enum op { OP_NONE, OP_ENTRY_IDLE, OP_ENTRY_NEW, OP_EXIT, OP_CALL, OP_HW, OP__COUNT };

#define STACK_BYTES (128u * 1024u)
#define MAX_VPS 512u
#define SOCKET_WORDS (MAX_VPS / 64u)

struct co {
	ucontext_t uc;
	void *stack;
	uint32_t id;
	uint32_t gen; /* a heap entry of an older generation is stale */
	bool done, in_guest, parked;
	uint64_t wake_t;
	uint64_t kick_due; /* in guest code: when a kick's IPI forces the exit (0: none) */
	uint64_t debt; /* cost incurred since the last yield */
	enum op op;
	uint64_t op_xfers;
	int next_waiter; /* lock queues: -1 none */
	bool want_write;
	bool poll_found;
	/* the VP's model */
	bool initiator;
	uint64_t useful_ns;
	uint64_t lost_ns;
	uint64_t halt_since;
	uint64_t lk_before[TLBF_MAX_VPS / 64 + 2];
	uint64_t kick_run[MAX_VPS]; /* as a kicker: each kicked VP's run word at its kick */
	uint64_t input[GUEST_INPUT_WORDS];
	uint64_t truth_words[GUEST_TRUTH_WORDS];
};

struct hent {
	uint64_t t, tie;
	uint32_t id, gen;
};

static struct {
	struct co *co;
	uint32_t n;
	struct co *cur;
	ucontext_t main_uc;
	struct hent *heap;
	uint32_t hn, hcap;
	uint64_t now, end;
	uint32_t step_permille, preempt_permille;
	uint64_t jitter_ns;
	bool failed;
	char why[256];
	uint64_t events;
} S;

static void heap_push(uint64_t t, uint32_t id, uint32_t gen)
{
	if (S.hn == S.hcap) {
		S.hcap = S.hcap ? 2 * S.hcap : 1024;
		S.heap = realloc(S.heap, sizeof(*S.heap) * S.hcap);
		if (!S.heap)
			abort();
	}
	struct hent e = {t, rnd(), id, gen};
	uint32_t i = S.hn++;
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		struct hent *q = &S.heap[p];
		if (q->t < e.t || (q->t == e.t && q->tie <= e.tie))
			break;
		S.heap[i] = *q;
		i = p;
	}
	S.heap[i] = e;
}
static struct hent heap_pop(void)
{
	struct hent top = S.heap[0], e = S.heap[--S.hn];
	uint32_t i = 0;
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		struct hent *best = &e;
		if (l < S.hn && (S.heap[l].t < best->t ||
		                 (S.heap[l].t == best->t && S.heap[l].tie < best->tie))) {
			m = l;
			best = &S.heap[l];
		}
		if (r < S.hn && (S.heap[r].t < best->t ||
		                 (S.heap[r].t == best->t && S.heap[r].tie < best->tie))) {
			m = r;
			best = &S.heap[r];
		}
		if (m == i)
			break;
		S.heap[i] = S.heap[m];
		i = m;
	}
	if (S.hn)
		S.heap[i] = e;
	return top;
}

/* ---- trace ---- */

#define TRACE_CAP 65536u
struct tev {
	uint64_t t;
	uint32_t vp;
	const char *what;
	uint64_t a;
};
static struct tev trace_ring[TRACE_CAP];
static uint64_t trace_n;
static void tr(const char *what, uint64_t a)
{
	struct tev *e = &trace_ring[trace_n++ % TRACE_CAP];
	e->t = S.now;
	e->vp = S.cur ? S.cur->id : UINT32_MAX;
	e->what = what;
	e->a = a;
}

static void fail(const char *fmt, const char *a, uint64_t x, uint64_t y)
{
	if (S.failed)
		return;
	S.failed = true;
	snprintf(S.why, sizeof(S.why), fmt, a, x, y);
	tr("FAILURE", 0);
}

/* Schedule @c at time @t (its older entries become stale). */
static void sched_at(struct co *c, uint64_t t)
{
	c->gen++;
	c->wake_t = t;
	heap_push(t, c->id, c->gen);
}

/* Give the CPU back; run again @delay ns (plus the debt) from now. */
static void yield_for(uint64_t delay)
{
	struct co *c = S.cur;
	if (!c)
		return;
	sched_at(c, S.now + c->debt + delay);
	c->debt = 0;
	swapcontext(&c->uc, &S.main_uc);
}
/* Sleep until woken by sched_at() from another coroutine. */
static void park(void)
{
	struct co *c = S.cur;
	c->parked = true;
	c->gen++;
	S.now += c->debt; /* the cost was paid before sleeping */
	c->debt = 0;
	swapcontext(&c->uc, &S.main_uc);
	c->parked = false;
}
/* Spend @ns of virtual time now (a yield point). */
static void spend(uint64_t ns)
{
	yield_for(ns);
}

/* ---- the coherence ledger ---- */

struct line {
	uint64_t key; /* address >> 6, 0: empty */
	int32_t writer; /* last writer, -1: none since the start */
	uint64_t holders[SOCKET_WORDS];
};
#define LINE_BITS 20u
static struct line *lines;
static uint64_t ledger[OP__COUNT];
static uint64_t opcount[OP__COUNT];
static uint64_t xfer_total;

static struct line *line_of(const volatile void *p)
{
	uint64_t key = ((uint64_t)(uintptr_t)p >> 6) + 1;
	uint64_t h = (key * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - LINE_BITS);
	for (;;) {
		struct line *l = &lines[h];
		if (l->key == key)
			return l;
		if (l->key == 0) {
			l->key = key;
			l->writer = -1;
			return l;
		}
		h = (h + 1) & ((1u << LINE_BITS) - 1);
	}
}

static uint32_t socket_of(uint32_t vp)
{
	return vp * 2u / opt.nvps;
}

void dsim_access(const volatile void *p, int kind)
{
	struct co *c = S.cur;
	if (!c || c->op == OP_HW || c->op == OP_NONE)
		return;
	if (kind == TLBF_ATOMIC_HOOK_FENCE) {
		c->debt += C(C_FENCE);
		return;
	}
	struct line *l = line_of(p);
	uint32_t me = c->id, w = me / 64;
	uint64_t bit = UINT64_C(1) << (me % 64);
	bool xfer = false;
	int32_t from = -1;
	if (kind == TLBF_ATOMIC_HOOK_LOAD) {
		if (!(l->holders[w] & bit) && l->writer >= 0 && l->writer != (int32_t)me) {
			xfer = true;
			from = l->writer;
		}
		l->holders[w] |= bit;
		c->debt += C(C_LOAD);
	} else {
		for (uint32_t i = 0; i < SOCKET_WORDS && !xfer; i++) {
			uint64_t others = l->holders[i] & ~(i == w ? bit : 0);
			if (others) {
				xfer = true;
				from = (int32_t)(i * 64 + (uint32_t)__builtin_ctzll(others));
			}
		}
		if (l->writer >= 0 && l->writer != (int32_t)me && !(l->holders[w] & bit)) {
			xfer = true;
			from = l->writer;
		}
		memset(l->holders, 0, sizeof(l->holders));
		l->holders[w] = bit;
		l->writer = (int32_t)me;
		c->debt += kind == TLBF_ATOMIC_HOOK_RMW ? C(C_RMW) : C(C_LOAD);
	}
	if (xfer) {
		c->op_xfers++;
		xfer_total++;
		c->debt += socket_of((uint32_t)from) == socket_of(me) ? C(C_LINE_LOCAL) : C(C_LINE_REMOTE);
	}
}

/* ---- hooks ---- */

void dsim_plain(const volatile void *p, unsigned long bytes, int kind)
{
	uintptr_t a = (uintptr_t)p, end = a + (bytes ? bytes : 1);
	for (uintptr_t l = a & ~(uintptr_t)63; l < end; l += 64)
		dsim_access((const volatile void *)(l > a ? l : a), kind);
}

void dsim_relax(void)
{
	if (S.cur)
		yield_for(C(C_RELAX));
}
int dsim_sched_yield(void)
{
	dsim_relax();
	return 0;
}
void dsim_step(const char *label)
{
	if (!S.cur)
		return;
	tr(label, 0);
	uint64_t r = below(1000);
	if (opt.measure) {
		/* measuring: interleave at the seed's rate, add no time */
		if (r < S.step_permille)
			yield_for(0);
		return;
	}
	if (r < S.preempt_permille)
		yield_for(5000 + below(45000)); /* descheduled inside the operation */
	else if (r < S.step_permille)
		yield_for(1 + below(S.jitter_ns));
}
bool dsim_break_is(const char *name)
{
	return opt.brk && strcmp(opt.brk, name) == 0;
}
void dsim_assert_failed(const char *file, int line, const char *expr)
{
	(void)file;
	fail("assertion failed: %s (line %" PRIu64 ")%" PRIu64, expr, (uint64_t)line, 0);
	tr("assert", (uint64_t)line);
}

/* Sleeping locks over the pthread objects' storage: a mutex is a writer-
 * only rwlock. State: writer+1 (0: free), readers, FIFO queue of waiters. */
struct dlock {
	int32_t writer; /* VP + 1, 0: none */
	int32_t readers;
	int32_t head, tail;
	int32_t writers_waiting;
};
_Static_assert(sizeof(struct dlock) <= sizeof(pthread_mutex_t), "fits");
static struct dlock *dl(const void *p)
{
	return (struct dlock *)(uintptr_t)p;
}
static void dl_init(struct dlock *l)
{
	l->writer = 0;
	l->readers = 0;
	l->head = l->tail = -1;
	l->writers_waiting = 0;
}
static void dl_enqueue(struct dlock *l, struct co *c)
{
	c->next_waiter = -1;
	if (l->tail < 0)
		l->head = (int32_t)c->id;
	else
		S.co[l->tail].next_waiter = (int32_t)c->id;
	l->tail = (int32_t)c->id;
}
static void dl_wake(struct co *w, bool first)
{
	/* the unlocker pays one futex wake per release (glibc wakes every
	 * waiter it can grant with one FUTEX_WAKE); each waiter runs after
	 * its own wake-up */
	if (first)
		S.cur->debt += C(C_FUTEX_WAKE);
	sched_at(w, S.now + S.cur->debt + C(C_FUTEX_WAKEUP));
}
void dsim_release(void);
static void dl_lock(struct dlock *l, bool write)
{
	struct co *c = S.cur;
	dsim_release(); /* what came before is not part of the hold */
	dsim_access(l, TLBF_ATOMIC_HOOK_RMW);
	/* readers preferred (glibc's default): a reader takes the lock
	 * whenever no writer holds it; writers preferred
	 * (--rwlock-prefer-writers, glibc's PREFER_WRITER_NONRECURSIVE_NP): a
	 * reader also waits while a writer waits */
	bool free_for_reader = l->writer == 0 && !(opt.prefer_writers && l->writers_waiting);
	if (write ? (l->writer == 0 && l->readers == 0) : free_for_reader) {
		if (write)
			l->writer = (int32_t)c->id + 1;
		else
			l->readers++;
		return;
	}
	c->want_write = write;
	l->writers_waiting += write;
	dl_enqueue(l, c);
	tr(write ? "lock:wait-w" : "lock:wait-r", 0);
	park(); /* the unlocker handed the lock over */
}
/* Hand the lock to the waiters it can now take. */
static void dl_grant(struct dlock *l)
{
	bool first = true;
	while (l->head >= 0) {
		struct co *w = &S.co[l->head];
		if (w->want_write ? (l->writer != 0 || l->readers != 0) : l->writer != 0)
			return;
		l->head = w->next_waiter;
		if (l->head < 0)
			l->tail = -1;
		l->writers_waiting -= w->want_write;
		if (w->want_write)
			l->writer = (int32_t)w->id + 1;
		else
			l->readers++;
		dl_wake(w, first);
		first = false;
	}
}
/* A lock is held for what its critical section cost: the holder pays its
 * debt (line transfers, accesses) before it takes the lock and again
 * before it releases it (the sleeping locks here; the FIFO spinlock's
 * atomic_flag_clear in dsim_hooks.h). */
void dsim_release(void)
{
	if (S.cur && S.cur->debt)
		yield_for(0);
}
static void dl_unlock(struct dlock *l)
{
	dsim_release();
	dsim_access(l, TLBF_ATOMIC_HOOK_RMW);
	if (l->writer)
		l->writer = 0;
	else
		l->readers--;
	dl_grant(l);
}
int dsim_lock_destroy(const void *lock)
{
	(void)lock;
	return 0;
}
int dsim_mutex_init(pthread_mutex_t *m)
{
	dl_init(dl(m));
	return 0;
}
int dsim_mutex_lock(pthread_mutex_t *m)
{
	dl_lock(dl(m), true);
	return 0;
}
int dsim_mutex_unlock(pthread_mutex_t *m)
{
	dl_unlock(dl(m));
	return 0;
}
int dsim_rwlock_init(pthread_rwlock_t *l)
{
	dl_init(dl(l));
	return 0;
}
/* glibc's default rwlock prefers readers: a reader takes it whenever no
 * writer holds it, waiting writers or not (dl_lock()). */
int dsim_rwlock_rdlock(pthread_rwlock_t *l)
{
	dl_lock(dl(l), false);
	return 0;
}
int dsim_rwlock_wrlock(pthread_rwlock_t *l)
{
	dl_lock(dl(l), true);
	return 0;
}
int dsim_rwlock_unlock(pthread_rwlock_t *l)
{
	dl_unlock(dl(l));
	return 0;
}

/* ---- the world of one run ---- */

static struct {
	const struct design_ops *ops;
	struct design *d;
	struct tlbf_mock mock;
	struct tlbf_mock_vp *mvps;
	struct tlbf_oracle oracle;
	tlbf_oracle_word *owords;
	struct tlbf_backend mock_be, be;
	struct tlbf_partition *pt;
	bool locks;
	/* results */
	uint64_t calls, gpa_calls, kicks, cancelled, entries, exits, stale, early, lost;
	uint64_t *lat;
	uint64_t nlat, caplat;
	uint64_t holds;
	/* the wake scan: VPs a call's set names (but the initiator), and
	 * those of them in guest code when the call begins */
	uint64_t scan_vps, scan_in_guest;
} W;

static void count_scan(const struct tlbf_vpset *set, uint32_t self)
{
	for (uint32_t i = 0; i < opt.nvps; i++) {
		if (i == self || (set && !tlbf_vpset_contains(set, i)))
			continue;
		W.scan_vps++;
		W.scan_in_guest += tlbf__load(&W.mvps[i].run, TLBF_RELAXED) & 1;
	}
}

/* The backend seen by the designs: the mock, with the hardware's costs,
 * and outside the ledger (a kick's IPI is not a cache line). */
static enum op hw_enter(void)
{
	enum op o = S.cur->op;
	S.cur->op = OP_HW;
	return o;
}
static int be_flush_list(void *ctx, uint32_t vp, unsigned vtl, const uint64_t *r, uint32_t n)
{
	(void)ctx;
	enum op o = hw_enter();
	S.cur->poll_found = true;
	S.cur->debt += C(C_FLUSH_RANGE) * n;
	S.cur->lost_ns += C(C_REFILL_RANGE) * n;
	int rc = W.mock_be.ops->flush_list(W.mock_be.ctx, vp, vtl, r, n);
	S.cur->op = o;
	return rc;
}
static void be_flush_at_entry(void *ctx, uint32_t vp, unsigned vtl, enum tlbf_scope scope)
{
	(void)ctx;
	enum op o = hw_enter();
	if (scope != TLBF_SCOPE_NONE)
		S.cur->poll_found = true;
	W.mock_be.ops->flush_at_entry(W.mock_be.ctx, vp, vtl, scope);
	S.cur->op = o;
}
/* The machine's kick with wait: the mock sends the cancel signals (M1)
 * and on_kick() notes each VP's run word right after its signal; the wait
 * is then for that run to end (the forced exit), as an IPI's
 * acknowledgement is. The mock's own wait (M2) reads the run word when it
 * reaches the VP, after the whole mask was kicked: a VP that left at once
 * and entered again is then waited for until its next natural exit. */
static int be_kick(void *ctx, const uint64_t *mask, uint32_t nbits, unsigned flags)
{
	(void)ctx;
	enum op o = hw_enter();
	struct co *k = S.cur;
	int rc = W.mock_be.ops->kick(W.mock_be.ctx, mask, nbits, flags & ~(unsigned)TLBF_KICK_WAIT);
	if (rc == 0 && (flags & TLBF_KICK_WAIT) && (flags & TLBF_KICK_CANCEL)) {
		for (uint32_t w = 0; w < (nbits + 63) / 64; w++)
			for (uint64_t bits = mask[w]; bits; bits &= bits - 1) {
				uint32_t vp = w * 64 + tlbf__ctz64(bits);
				uint64_t r0 = k->kick_run[vp];
				tr("kick-wait", vp);
				if (!(r0 & 1))
					continue;
				while (tlbf__load(&W.mvps[vp].run, TLBF_ACQUIRE) == r0)
					dsim_relax();
			}
	}
	S.cur->op = o;
	return rc;
}
static int be_wake(void *ctx, const uint64_t *mask, uint32_t nbits)
{
	(void)ctx;
	enum op o = hw_enter();
	int rc = W.mock_be.ops->wake(W.mock_be.ctx, mask, nbits);
	/* a halted VP is parked in its halt loop: it polls, nothing to do */
	S.cur->op = o;
	return rc;
}
static void be_relax(void *ctx)
{
	(void)ctx;
	dsim_relax();
}
static const struct tlbf_backend_ops be_ops = {be_flush_list, be_flush_at_entry, be_kick, be_wake,
                                               be_relax};

/* The mock's kick: the IPI costs the kicker; a VP in guest code is
 * interrupted after the delivery time. */
static void on_kick(void *arg, uint32_t vp)
{
	(void)arg;
	S.cur->debt += C(C_IPI_SEND);
	struct co *v = &S.co[vp];
	tr("kick", vp);
	/* M2's load, at the kick: right after M1's seq_cst store (the same
	 * store-buffering pair as the mock's) */
	S.cur->kick_run[vp] = tlbf__load(&W.mvps[vp].run, TLBF_SEQ_CST);
	/* A VP in guest code takes the IPI after the delivery time, wherever
	 * it is: its current guest segment ends then (guest_run()). Outside
	 * guest code the cancel signal cancels its next entry (the mock's M3). */
	if (v->in_guest) {
		uint64_t t = S.now + S.cur->debt + C(C_IPI_DELIVER);
		if (!v->kick_due || t < v->kick_due)
			v->kick_due = t;
		if (!v->parked && t < v->wake_t)
			sched_at(v, t);
	}
}

static void lat_add(uint64_t ns)
{
	if (opt.max_call_ns && ns > opt.max_call_ns) {
		tr("SLOW", ns);
		fail("slow flush call: %s%" PRIu64 " ns (--max-call-us: %" PRIu64 " ns)", "", ns,
		     opt.max_call_ns);
	}
	if (W.nlat == W.caplat) {
		W.caplat = W.caplat ? 2 * W.caplat : 4096;
		W.lat = realloc(W.lat, sizeof(*W.lat) * W.caplat);
		if (!W.lat)
			abort();
	}
	W.lat[W.nlat++] = ns;
}

static void op_begin(struct co *c, enum op o)
{
	c->op = o;
	c->op_xfers = 0;
	c->poll_found = false;
}
static void op_end(struct co *c, enum op o)
{
	ledger[o] += c->op_xfers;
	opcount[o]++;
	c->op = OP_HW;
}

/* One guest access: through the VP's TLB, checked by the oracle. */
static void guest_access(struct co *c, unsigned vtl)
{
	unsigned page = (unsigned)below(GUEST_NPAGES);
	if (tlbf_oracle_access(&W.oracle, &W.mock, c->id, vtl, page, page < GUEST_NGLOBAL)) {
		W.stale++;
		tr("STALE", page);
		fail("stale translation: VP used page %s%" PRIu64 " of VTL %" PRIu64
		     " at a version a completed flush call covered",
		     "", page, vtl);
	}
}

/* Guest code until the run ends, or a kick forces an exit: from the
 * entry (tlbf_mock_enter() returned true) to the VM exit. A kick's IPI
 * ends the segment it arrives in at its delivery time (on_kick()). */
static void guest_run(struct co *c, unsigned vtl, uint64_t len)
{
	uint64_t end = S.now + len;
	for (;;) {
		guest_access(c, vtl);
		if (S.failed)
			break;
		uint64_t gap = expo(opt.access_ns);
		uint64_t seg = end - S.now < gap ? end - S.now : gap;
		if (c->kick_due && c->kick_due - S.now < seg)
			seg = c->kick_due > S.now ? c->kick_due - S.now : 0;
		uint64_t t0 = S.now;
		yield_for(seg);
		c->useful_ns += S.now - t0;
		if (tlbf_mock_take_cancel(&W.mock, c->id)) {
			tr("forced-exit", 0);
			break;
		}
		if (c->kick_due && S.now >= c->kick_due) {
			/* the model's own invariant: a delivered IPI is taken */
			fail("kicked VP %s%" PRIu64 " still in guest code %" PRIu64
			     " ns after the IPI's delivery",
			     "", c->id, S.now - c->kick_due);
			break;
		}
		if (S.now >= end || S.now >= S.end)
			break;
	}
	c->kick_due = 0;
}

/* VSM TLB locks (--tlb-locks, tlbflush only): VTL1 locks VTL0's TLB
 * outside guest code, for a while, then unlocks. */
static void tlb_lock_hold(struct co *c)
{
	if (tlbf_tlb_lock(W.pt, c->id, 1, 0) != TLBF_STATUS_OK) {
		fail("tlbf_tlb_lock refused%s %" PRIu64 "%" PRIu64, "", 0, 0);
		return;
	}
	tlbf_oracle_hold(&W.oracle, c->id, 0, true);
	tr("tlb-lock", 0);
	spend(1 + below(8000));
	tlbf_oracle_hold(&W.oracle, c->id, 0, false);
	if (tlbf_tlb_unlock(W.pt, &W.be, c->id, 1, below(2) ? 0u : TLBF_TLB_UNLOCK_ALL) !=
	    TLBF_STATUS_OK)
		fail("tlbf_tlb_unlock refused%s %" PRIu64 "%" PRIu64, "", 0, 0);
	tr("tlb-unlock", 0);
	W.holds++;
}

/* The handler's suspension: halt while the library says so; the holds
 * are bounded (8 us), so a halt of 1 ms lost its wake-up. */
static void tlb_lock_suspend(struct co *c)
{
	uint64_t t0 = S.now;
	tr("suspend", 0);
	while (tlbf_tlb_lock_must_wait(W.pt, c->id)) {
		if (tlbf_mock_take_wake(&W.mock, c->id))
			continue;
		if (S.now - t0 > 1000000) {
			W.lost++;
			fail("lost wake-up: VP %s%" PRIu64 " halted %" PRIu64 " ns for TLB locks", "",
			     c->id, S.now - t0);
			return;
		}
		spend(C(C_RELAX) * 4);
	}
	tr("resume", S.now - t0);
}

static void flush_call(struct co *c)
{
	struct guest_call k;
	guest_call_random(&k, c->input, opt.nvps, rnd);
	uint64_t newver[GUEST_NPAGES] = {0};
	c->op = OP_HW;
	for (uint64_t m = k.pages; m; m &= m - 1) {
		unsigned p = (unsigned)tlbf__ctz64(m);
		newver[p] = tlbf_oracle_change(&W.oracle, k.target_vtl, p, false);
	}
	tr("call", k.code);
	uint64_t t0 = S.now;
	struct tlbf_flush_request req;
	enum tlbf_hypercall_rule rule;
	enum tlbf_hv_status st = tlbf_hypercall_decode(k.control, c->input, TLBF_HV_INPUT_PAGE_BYTES,
	                                               opt.nvps, k.caller_vtl, &req, &rule);
	if (st != TLBF_HV_STATUS_SUCCESS) {
		fail("flush call refused: %s%" PRIu64 "%" PRIu64, tlbf_hv_status_name(st), 0, 0);
		return;
	}
	if (W.locks)
		tlbf_oracle_call_begin(&W.oracle, c->lk_before, &req.vps, req.target_vtl);
	count_scan(&req.vps, c->id);
	op_begin(c, OP_CALL);
	enum tlbf_status fs = design_flush(W.d, c->id, &req);
	op_end(c, OP_CALL);
	if (fs == TLBF_STATUS_SUSPEND)
		tlb_lock_suspend(c);
	/* the handler's own time is paid before the call returns */
	spend(0);
	if (W.locks && tlbf_oracle_call_end(&W.oracle, c->lk_before, req.target_vtl, c->id)) {
		W.early++;
		fail("early completion: a flush call returned while a TLB-lock holder it "
		     "must wait for still held%s %" PRIu64 "%" PRIu64,
		     "", 0, 0);
	}
	if (fs != TLBF_STATUS_OK && fs != TLBF_STATUS_SUSPEND)
		fail("flush call not completed: %s%" PRIu64 "%" PRIu64, tlbf_status_name(fs), 0, 0);
	struct tlbf_vpset meant;
	guest_truth_set(&meant, c->truth_words, k.truth, opt.nvps);
	for (uint64_t m = k.pages; m; m &= m - 1) {
		unsigned p = (unsigned)tlbf__ctz64(m);
		tlbf_oracle_flushed(&W.oracle, &meant, k.target_vtl, p, newver[p], false);
	}
	tr("call-done", S.now - t0);
	lat_add(S.now - t0);
	W.calls++;
}

/* The VMM's own guest-physical flush of every VP (from the VMM's slot of
 * this VP's thread). */
static void gpa_call(struct co *c)
{
	unsigned vtl = below(4) == 0 ? 1u : 0u;
	uint64_t pages = UINT64_C(1) << below(GUEST_NPAGES);
	uint64_t newver[GUEST_NPAGES] = {0};
	c->op = OP_HW;
	for (uint64_t m = pages; m; m &= m - 1) {
		unsigned p = (unsigned)tlbf__ctz64(m);
		newver[p] = tlbf_oracle_change(&W.oracle, vtl, p, true);
	}
	tr("gpa-call", vtl);
	struct tlbf_flush_request req;
	if (tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_GPA, vtl, opt.nvps) != TLBF_STATUS_OK) {
		fail("gpa request refused%s%" PRIu64 "%" PRIu64, "", 0, 0);
		return;
	}
	uint64_t t0 = S.now;
	count_scan(NULL, c->id);
	op_begin(c, OP_CALL);
	enum tlbf_status fs = design_flush(W.d, opt.nvps + c->id, &req);
	op_end(c, OP_CALL);
	spend(0);
	if (fs != TLBF_STATUS_OK && !(W.locks && fs == TLBF_STATUS_LOCKS_IGNORED))
		fail("gpa flush: %s%" PRIu64 "%" PRIu64, tlbf_status_name(fs), 0, 0);
	for (uint64_t m = pages; m; m &= m - 1) {
		unsigned p = (unsigned)tlbf__ctz64(m);
		tlbf_oracle_flushed(&W.oracle, NULL, vtl, p, newver[p], true);
	}
	lat_add(S.now - t0);
	W.gpa_calls++;
	W.calls++;
}

#define RUN_MEAN_NS 50000u   /* a VP's guest run between natural exits */
#define THINK_MEAN_NS 5000u  /* an initiator's guest run between calls */

static void vp_main(struct co *c)
{
	c->op = OP_HW;
	design_vp_start(W.d, c->id, NULL);
	/* start spread over one run */
	spend(below(c->initiator ? THINK_MEAN_NS : RUN_MEAN_NS));
	while (S.now < S.end && !S.failed) {
		unsigned vtl = below(8) == 0 ? 1u : 0u;
		op_begin(c, OP_ENTRY_IDLE);
		tr("entry", vtl);
		enum tlbf_status ps = design_prepare_entry(W.d, c->id, vtl);
		op_end(c, c->poll_found ? OP_ENTRY_NEW : OP_ENTRY_IDLE);
		if (ps != TLBF_STATUS_OK) {
			fail("prepare_entry: %s%" PRIu64 "%" PRIu64, tlbf_status_name(ps), 0, 0);
			break;
		}
		W.entries++;
		c->op = OP_HW;
		unsigned scope = W.mvps[c->id].enter_scope[vtl];
		spend(C(C_VM_ENTRY));
		bool entered = tlbf_mock_enter(&W.mock, c->id, vtl);
		if (entered) {
			if (scope >= TLBF_SCOPE_NON_GLOBAL) {
				c->debt += C(C_FLUSH_FULL);
				c->lost_ns += C(C_REFILL_FULL);
			}
			c->in_guest = true; /* no yield since the entry happened */
			guest_run(c, vtl, expo(c->initiator ? THINK_MEAN_NS : RUN_MEAN_NS));
			c->in_guest = false;
			spend(C(C_VM_EXIT));
			tlbf_mock_leave(&W.mock, c->id);
		} else {
			W.cancelled++;
			tr("entry-cancelled", 0);
		}
		op_begin(c, OP_EXIT);
		enum tlbf_status ds = design_entry_done(W.d, c->id, entered);
		op_end(c, OP_EXIT);
		W.exits++;
		if (ds != TLBF_STATUS_OK) {
			fail("entry_done: %s%" PRIu64 "%" PRIu64, tlbf_status_name(ds), 0, 0);
			break;
		}
		if (S.failed)
			break;
		if (entered && c->initiator) {
			if (below(16) == 0)
				gpa_call(c);
			else
				flush_call(c);
		}
		if (W.locks && below(8) == 0)
			tlb_lock_hold(c);
		spend(C(C_VMM_OUTSIDE));
	}
	c->done = true;
}

static void co_entry(int id)
{
	vp_main(&S.co[id]);
	swapcontext(&S.co[id].uc, &S.main_uc);
}

/* ---- one run ---- */

struct result {
	const char *design;
	uint32_t nvps, ninit;
	double scale;
	uint64_t vns, calls, kicks, cancelled, entries, exits;
	uint64_t p50, p99, max;
	uint64_t led[OP__COUNT], nops[OP__COUNT];
	double useful; /* fraction of VP time spent on useful guest work */
	uint64_t scan_vps, scan_in_guest;
	bool failed;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void print_replay(uint64_t seed)
{
	printf("dsim: replay:");
	bool skip = false;
	for (int i = 0; i < g_argc; i++) {
		if (skip) {
			skip = false;
			continue;
		}
		if (!strcmp(g_argv[i], "--seed") || !strcmp(g_argv[i], "--sweep")) {
			skip = true;
			continue;
		}
		printf(" %s", g_argv[i]);
	}
	printf(" --seed %" PRIu64 "\n", seed);
}

static int run_one(const struct design_ops *dops, uint32_t nvps, uint32_t ninit, uint64_t us,
                   uint64_t seed, struct result *res)
{
	memset(&S, 0, sizeof(S));
	memset(&W, 0, sizeof(W));
	memset(ledger, 0, sizeof(ledger));
	memset(opcount, 0, sizeof(opcount));
	memset(lines, 0, sizeof(*lines) << LINE_BITS);
	xfer_total = 0;
	trace_n = 0;
	opt.nvps = nvps; /* the guest model and the sockets read them */
	opt.ninit = ninit;
	rng_state = seed * UINT64_C(0x2545f4914f6cdd1d) + nvps * 131u + ninit;
	/* what the seed decides about the schedule: how often a labelled
	 * step yields, and by how much */
	S.step_permille = 20 + (uint32_t)below(480);
	S.jitter_ns = 50 + below(2000);
	S.preempt_permille = (uint32_t)below(8);
	S.end = us * 1000u;
	S.n = nvps;
	W.ops = dops;
	W.mvps = design_alloc(sizeof(*W.mvps) * nvps);
	size_t ow = TLBF_ORACLE_WORDS(nvps, GUEST_NPAGES);
	W.owords = design_alloc(sizeof(*W.owords) * ow);
	if (!W.mvps || !W.owords ||
	    tlbf_oracle_init(&W.oracle, W.owords, ow, nvps, GUEST_NPAGES, GUEST_GVA_BASE_PAGE) !=
	        TLBF_STATUS_OK) {
		fprintf(stderr, "dsim: no memory\n");
		exit(2);
	}
	tlbf_mock_init(&W.mock, W.mvps, nvps, NULL, 0);
	W.mock.relax = NULL;
	W.mock.on_kick = on_kick;
	W.mock_be = tlbf_mock_backend(&W.mock);
	W.be.ops = &be_ops;
	W.be.ctx = &W.mock;
	W.locks = opt.tlb_locks && dops == &design_tlbflush_ops;
	struct design_config cfg = {nvps, 2 * nvps, W.be, W.locks};
	W.d = design_create(dops, &cfg);
	if (!W.d) {
		fprintf(stderr, "dsim: cannot create %s\n", dops->name);
		exit(2);
	}
	W.pt = design_partition(W.d);
	S.co = calloc(nvps, sizeof(*S.co));
	if (!S.co)
		exit(2);
	for (uint32_t i = 0; i < nvps; i++) {
		struct co *c = &S.co[i];
		c->id = i;
		c->next_waiter = -1;
		c->initiator = false;
		c->stack = malloc(STACK_BYTES);
		if (!c->stack || getcontext(&c->uc) != 0)
			exit(2);
		c->uc.uc_stack.ss_sp = c->stack;
		c->uc.uc_stack.ss_size = STACK_BYTES;
		c->uc.uc_link = &S.main_uc;
		makecontext(&c->uc, (void (*)(void))co_entry, 1, (int)i);
	}
	for (uint32_t k = 0; k < ninit && k < nvps; k++)
		S.co[(uint64_t)k * nvps / ninit].initiator = true;
	for (uint32_t i = 0; i < nvps; i++)
		sched_at(&S.co[i], 0);
	/* the scheduler: earliest first, ties in the seed's order */
	while (S.hn) {
		struct hent e = heap_pop();
		struct co *c = &S.co[e.id];
		if (e.gen != c->gen || c->done)
			continue;
		S.now = e.t;
		S.cur = c;
		S.events++;
		swapcontext(&S.main_uc, &c->uc);
		S.cur = NULL;
		if (S.failed)
			break;
	}
	if (!S.failed) {
		uint32_t stuck = 0;
		for (uint32_t i = 0; i < nvps; i++)
			stuck += !S.co[i].done;
		if (stuck)
			fail("deadlock: %s%" PRIu64 " VPs asleep with nothing scheduled%" PRIu64, "",
			     stuck, 0);
	}
	/* results */
	memset(res, 0, sizeof(*res));
	res->design = dops->name;
	res->nvps = nvps;
	res->ninit = ninit;
	res->scale = cost_scale;
	res->vns = S.end;
	res->calls = W.calls;
	res->kicks = tlbf__load(&W.mock.kicks, TLBF_RELAXED);
	for (uint32_t i = 0; i < nvps; i++) {
		res->cancelled += W.mvps[i].cancelled;
		double t = (double)S.co[i].useful_ns - (double)S.co[i].lost_ns;
		res->useful += t > 0 ? t : 0;
	}
	res->useful /= (double)nvps * (double)S.end;
	res->entries = W.entries;
	res->scan_vps = W.scan_vps;
	res->scan_in_guest = W.scan_in_guest;
	res->exits = W.exits;
	if (W.nlat) {
		qsort(W.lat, W.nlat, sizeof(*W.lat), cmp_u64);
		res->p50 = W.lat[(W.nlat - 1) / 2];
		res->p99 = W.lat[(W.nlat - 1) * 99 / 100];
		res->max = W.lat[W.nlat - 1];
	}
	memcpy(res->led, ledger, sizeof(ledger));
	memcpy(res->nops, opcount, sizeof(opcount));
	res->failed = S.failed;
	if (S.failed) {
		printf("dsim: FAILED: %s, %u VPs, %u initiators, seed %" PRIu64 ": %s\n", dops->name,
		       nvps, ninit, seed, S.why);
		printf("dsim: at virtual time %" PRIu64 " ns; the last events:\n", S.now);
		uint64_t n = trace_n < (uint64_t)opt.trace ? trace_n : (uint64_t)opt.trace;
		for (uint64_t i = trace_n - n; i < trace_n; i++) {
			struct tev *t = &trace_ring[i % TRACE_CAP];
			if (t->vp == UINT32_MAX)
				printf("  %10" PRIu64 " ns  -      %-16s %" PRIu64 "\n", t->t, t->what, t->a);
			else
				printf("  %10" PRIu64 " ns  vp%-4u %-16s %" PRIu64 "\n", t->t, t->vp, t->what,
				       t->a);
		}
	}
	design_destroy(W.d);
	for (uint32_t i = 0; i < nvps; i++)
		free(S.co[i].stack);
	free(S.co);
	free(S.heap);
	free(W.mvps);
	free(W.owords);
	free(W.lat);
	return S.failed ? 1 : 0;
}

/* ---- printing ---- */

static double per(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0;
}
static double calls_per_s(const struct result *r)
{
	return (double)r->calls / ((double)r->vns * 1e-9);
}
static uint64_t entries_of(const struct result *r)
{
	return r->nops[OP_ENTRY_IDLE] + r->nops[OP_ENTRY_NEW];
}
static double x_entry(const struct result *r)
{
	return per(r->led[OP_ENTRY_IDLE] + r->led[OP_ENTRY_NEW], entries_of(r));
}
static double x_call(const struct result *r)
{
	return per(r->led[OP_CALL], r->nops[OP_CALL]);
}

static void print_header(void)
{
	printf("%-14s %4s %4s %10s %8s %8s %8s %7s %7s %7s %7s %7s %7s %7s %6s\n", "design", "vps",
	       "init", "calls/s", "p50us", "p99us", "maxus", "kick/c", "canc/c", "x/entry", "x/idle",
	       "x/new", "x/exit", "x/call", "useful");
}
static void print_result(const struct result *r)
{
	printf("%-14s %4u %4u %10.0f %8.2f %8.2f %8.2f %7.2f %7.2f %7.2f %7.2f %7.2f %7.2f %7.2f "
	       "%5.1f%%\n",
	       r->design, r->nvps, r->ninit, calls_per_s(r), (double)r->p50 / 1e3,
	       (double)r->p99 / 1e3, (double)r->max / 1e3, per(r->kicks, r->calls),
	       per(r->cancelled, r->calls), x_entry(r), per(r->led[OP_ENTRY_IDLE], r->nops[OP_ENTRY_IDLE]),
	       per(r->led[OP_ENTRY_NEW], r->nops[OP_ENTRY_NEW]), per(r->led[OP_EXIT], r->nops[OP_EXIT]),
	       x_call(r), 100 * r->useful);
}

static void print_costs(void)
{
	printf("cost table (ns of virtual time, x%.2f):\n", cost_scale);
	for (int i = 0; i < C__COUNT; i++)
		printf("  %-13s %6" PRIu64 "  %s\n", cost[i].name, C(i), cost[i].what);
}

/* The full comparison: every design at 8, 64 and 256 VPs with 1, 4 and
 * 16 initiators, at costs x1, x0.5 and x2; the ratios and the verdicts. */
static const uint32_t M_VPS[3] = {8, 64, 256};
static const uint32_t M_INIT[3] = {1, 4, 16};
static const double M_SCALE[3] = {1.0, 0.5, 2.0};
#define NDESIGNS 4
static struct result M[3][NDESIGNS][3][3]; /* scale, design, vps, init */

static int matrix(void)
{
	int bad = 0;
	for (int s = 0; s < 3; s++) {
		cost_scale = M_SCALE[s];
		printf("\n== costs x%.2f ==\n", cost_scale);
		if (s == 0)
			print_costs();
		print_header();
		for (int v = 0; v < 3; v++)
			for (int k = 0; k < 3; k++)
				for (int d = 0; d < NDESIGNS; d++) {
					uint64_t us = opt.matrix_us ? opt.matrix_us : (M_VPS[v] >= 256 ? 1500 : 3000);
					bad |= run_one(design_list[d], M_VPS[v], M_INIT[k], us, opt.seed,
					               &M[s][d][v][k]);
					if (M[s][d][v][k].failed)
						printf("dsim: replay: dsim --measure --design %s --vps %u --initiators %u "
						       "--us %" PRIu64 " --cost-scale %.2f --seed %" PRIu64 "\n",
						       design_list[d]->name, M_VPS[v], M_INIT[k], us, cost_scale, opt.seed);
					print_result(&M[s][d][v][k]);
				}
	}
	cost_scale = 1.0;
	/* the ledger per operation, costs x1, 16 initiators */
	printf("\n== coherence ledger: line transfers per operation (16 initiators; exact for "
	       "the seed, independent of the cost table at a given schedule) ==\n");
	printf("%-14s %4s %10s %10s %10s %10s %10s %10s %10s\n", "design", "vps", "entry-idle",
	       "entry-new", "exit", "call", "entries", "scanned/c", "in-guest/c");
	for (int v = 0; v < 3; v++)
		for (int d = 0; d < NDESIGNS; d++) {
			const struct result *r = &M[0][d][v][2];
			printf("%-14s %4u %10.2f %10.2f %10.2f %10.2f %10" PRIu64 " %10.2f %10.2f\n",
			       r->design, r->nvps, per(r->led[OP_ENTRY_IDLE], r->nops[OP_ENTRY_IDLE]),
			       per(r->led[OP_ENTRY_NEW], r->nops[OP_ENTRY_NEW]),
			       per(r->led[OP_EXIT], r->nops[OP_EXIT]), x_call(r), entries_of(r),
			       per(r->scan_vps, r->calls), per(r->scan_in_guest, r->calls));
		}
	/* A summary word per 64 VPs of which are in guest code, set at entry
	 * and cleared at exit, read by the wake scan first: a model from the
	 * ledger (tlbflush, 16 initiators, costs x1). The scan then reads
	 * one summary line per 64 VPs and only the state lines of the VPs in
	 * guest code (each read of a state line costs what it costs today on
	 * average); every entry and every exit writes its group's summary
	 * line, which initiators read and 63 other VPs write: one transfer
	 * each. Totals are per flush call, entries and exits included. */
	printf("\n== would a summary of in-guest VPs pay? (tlbflush, 16 initiators, a model from "
	       "the ledger: transfers per call, entries and exits included) ==\n");
	printf("%4s %10s %10s %10s %10s %10s %10s %10s\n", "vps", "x/call", "per-read", "saved/c",
	       "summary/c", "entry+exit", "total now", "total sum");
	for (int v = 1; v < 3; v++) {
		const struct result *r = &M[0][0][v][2];
		double calls = (double)r->nops[OP_CALL];
		double scanned = per(r->scan_vps, r->calls), in_guest = per(r->scan_in_guest, r->calls);
		double xc = x_call(r), per_read = scanned > 0 ? xc / scanned : 0;
		if (per_read > 1)
			per_read = 1;
		double saved = (scanned - in_guest) * per_read;
		double sum_lines = (double)((M_VPS[v] + 63) / 64);
		double ee = calls > 0 ? (double)(entries_of(r) + r->nops[OP_EXIT]) / calls : 0;
		double now = calls > 0 ? (double)(r->led[OP_CALL] + r->led[OP_ENTRY_IDLE] +
		                                  r->led[OP_ENTRY_NEW] + r->led[OP_EXIT]) / calls
		                       : 0;
		printf("%4u %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f\n", M_VPS[v], xc, per_read,
		       saved, sum_lines, ee, now, now - saved + sum_lines + ee);
	}
	/* ratios and verdicts at 64 and 256 VPs */
	printf("\n== tlbflush against each baseline (ratios tlbflush/baseline; calls/s: higher is "
	       "better, transfers: lower is better) ==\n");
	printf("%-14s %4s %4s %6s %9s %9s %9s  %s\n", "baseline", "vps", "init", "costs", "calls/s",
	       "x/entry", "x/call", "goal (ahead, ahead, <=1.5x)");
	unsigned held[NDESIGNS][2][3][3];
	memset(held, 0, sizeof(held));
	for (int v = 1; v < 3; v++)
		for (int k = 0; k < 3; k++)
			for (int d = 1; d < NDESIGNS; d++)
				for (int s = 0; s < 3; s++) {
					const struct result *t = &M[s][0][v][k], *b = &M[s][d][v][k];
					double rc = per(t->calls, b->calls);
					double re = b->nops[OP_ENTRY_IDLE] + b->nops[OP_ENTRY_NEW] && x_entry(b) > 0
					                ? x_entry(t) / x_entry(b)
					                : 0;
					double rx = x_call(b) > 0 ? x_call(t) / x_call(b) : 0;
					bool g1 = calls_per_s(t) > calls_per_s(b);
					bool g2 = x_entry(t) < x_entry(b);
					bool g3 = x_call(t) <= 1.5 * x_call(b);
					held[d][v - 1][k][0] += g1;
					held[d][v - 1][k][1] += g2;
					held[d][v - 1][k][2] += g3;
					printf("%-14s %4u %4u %6.2f %9.2f %9.2f %9.2f  %s %s %s\n", b->design, b->nvps,
					       b->ninit, M_SCALE[s], rc, re, rx, g1 ? "yes" : "NO", g2 ? "yes" : "NO",
					       g3 ? "yes" : "NO");
				}
	printf("\n== verdicts at 16 initiators that hold at x0.5, x1 and x2 ==\n");
	for (int v = 1; v < 3; v++)
		for (int d = 1; d < NDESIGNS; d++) {
			const unsigned *h = held[d][v - 1][2];
			printf("vs %-14s %4u VPs: calls/s ahead %s, x/entry ahead %s, x/call <=1.5x %s\n",
			       design_list[d]->name, M_VPS[v],
			       h[0] == 3 ? "holds" : (h[0] ? "depends on costs" : "no"),
			       h[1] == 3 ? "holds" : (h[1] ? "depends on costs" : "no"),
			       h[2] == 3 ? "holds" : (h[2] ? "depends on costs" : "no"));
		}
	/* for bench/report.py: `ratio NAME VALUE`, bigger is better */
	printf("\n== ratio lines (costs x1, 16 initiators; tlbflush over the baseline for calls/s, "
	       "the baseline over tlbflush for transfers and kicks: bigger is better) ==\n");
	for (int v = 1; v < 3; v++)
		for (int d = 1; d < NDESIGNS; d++) {
			const struct result *t = &M[0][0][v][2], *b = &M[0][d][v][2];
			char name[32];
			snprintf(name, sizeof(name), "%s", b->design);
			for (char *q = name; *q; q++)
				if (*q == '-')
					*q = '_';
			printf("ratio dsim_calls_%uvp_vs_%s %.2f\n", M_VPS[v], name,
			       per(t->calls, b->calls));
			printf("ratio dsim_xfer_entry_%uvp_vs_%s %.2f\n", M_VPS[v], name,
			       x_entry(t) > 0 ? x_entry(b) / x_entry(t) : 0);
			printf("ratio dsim_xfer_call_%uvp_vs_%s %.2f\n", M_VPS[v], name,
			       x_call(t) > 0 ? x_call(b) / x_call(t) : 0);
			if (v == 1 && d != 1) {
				double kt = per(t->kicks, t->calls), kb = per(b->kicks, b->calls);
				printf("ratio dsim_kicks_per_call_vs_%s %.2f\n", name, kt > 0 ? kb / kt : 0);
			}
		}
	return bad;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: dsim [--design NAME] [--vps N] [--initiators K] [--us VIRTUAL_US]\n"
	        "            [--seed S] [--sweep N] [--break STEP] [--tlb-locks] [--trace N]\n"
	        "            [--cost-scale X] [--access-ns NS] [--measure] [--max-call-us US]\n"
	        "            [--rwlock-prefer-writers] [--matrix [--matrix-us US]] [--costs]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	g_argc = argc;
	g_argv = argv;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (!strcmp(a, name) && v && (i++, 1))
		if (ARG("--design"))
			opt.design = v;
		else if (ARG("--vps"))
			opt.nvps = (uint32_t)strtoul(v, NULL, 0);
		else if (ARG("--initiators"))
			opt.ninit = (uint32_t)strtoul(v, NULL, 0);
		else if (ARG("--us"))
			opt.us = strtoull(v, NULL, 0);
		else if (ARG("--seed"))
			opt.seed = strtoull(v, NULL, 0);
		else if (ARG("--sweep"))
			opt.sweep = (uint32_t)strtoul(v, NULL, 0);
		else if (ARG("--break"))
			opt.brk = v;
		else if (ARG("--trace"))
			opt.trace = atoi(v);
		else if (ARG("--cost-scale"))
			cost_scale = strtod(v, NULL);
		else if (ARG("--access-ns"))
			opt.access_ns = strtoull(v, NULL, 0);
		else if (ARG("--max-call-us"))
			opt.max_call_ns = strtoull(v, NULL, 0) * 1000u;
		else if (ARG("--matrix-us"))
			opt.matrix_us = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--rwlock-prefer-writers"))
			opt.prefer_writers = true;
		else if (!strcmp(a, "--tlb-locks"))
			opt.tlb_locks = true;
		else if (!strcmp(a, "--matrix"))
			opt.matrix = opt.measure = true;
		else if (!strcmp(a, "--measure"))
			opt.measure = true;
		else if (!strcmp(a, "--costs")) {
			print_costs();
			return 0;
		} else
			usage();
	}
	if (opt.nvps < 1 || opt.nvps > MAX_VPS || opt.ninit < 1 || opt.ninit > opt.nvps ||
	    opt.trace < 0 || opt.trace > (int)TRACE_CAP || !(cost_scale > 0) || opt.access_ns < 1)
		usage();
	lines = calloc((size_t)1 << LINE_BITS, sizeof(*lines));
	if (!lines)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (opt.matrix)
		return matrix();
	const struct design_ops *dops = design_find(opt.design);
	if (!dops) {
		fprintf(stderr, "dsim: unknown design %s\n", opt.design);
		return 2;
	}
	uint32_t n = opt.sweep ? opt.sweep : 1;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t seed = opt.seed + i;
		struct result r;
		if (run_one(dops, opt.nvps, opt.ninit, opt.us, seed, &r)) {
			if (opt.sweep)
				printf("dsim: caught after %u seed(s)\n", i + 1);
			print_replay(seed);
			return 1;
		}
		if (!opt.sweep) {
			printf("dsim: %s, seed %" PRIu64 ", %" PRIu64 " us of virtual time, %" PRIu64
			       " scheduler events, %" PRIu64 " line transfers\n",
			       dops->name, seed, opt.us, S.events, xfer_total);
			print_header();
			print_result(&r);
		}
	}
	if (opt.sweep)
		printf("dsim: %u seeds from %" PRIu64 ", no failure\n", n, opt.seed);
	return 0;
}
