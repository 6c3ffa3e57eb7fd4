/* SPDX-License-Identifier: MIT */
/*
 * Threaded validator of the VSM TLB locks (tlbflush/tlb_lock.h).
 *
 * NVP VP threads (more than the cores, so that they are descheduled in the
 * middle of the protocol) loop, each choosing at random:
 *   - holder: take some of the locks VTL1->VTL0, VTL2->VTL0 and VTL2->VTL1
 *     of its own VP in a random order, read the "translations" of each
 *     locked VTL (the page-table generation pt_gen[t]), work a short random
 *     time, sometimes issue a flush of its own (below) while holding, then
 *     release in a random order with tlbf_tlb_unlock() of one target
 *     or of TLBF_TLB_UNLOCK_ALL; the library wakes the VPs it releases
 *     through the backend's wake operation: the mock's (M5, a sticky wake
 *     flag per VP), behind a check of the mask (see wake_checked());
 *   - waiter: flush: take the oracle's snapshot (EARLY below), bump
 *     pt_gen[t] (the guest's page-table write and the record of the flush),
 *     call tlbf_tlb_lock_wait_begin() on a random set of VPs (sometimes
 *     all, sometimes only itself) and, if told to suspend,
 *     `while (tlbf_tlb_lock_must_wait()) halt();`, where halt waits for its
 *     mock wake flag (tlbf_mock_take_wake(), M6: the flag stays set until
 *     the halt consumes it, so a wake sent before the halt began ends it)
 *     with a bounded spin, then sched_yield(). A halt that ends on a wake while the count is
 *     still nonzero is counted as spurious (a wake meant for an earlier
 *     suspension, or a holder that read a stale sleeping mark): harmless.
 * --short makes most holds and pauses empty (see work()).
 *
 * THE ORACLE. Per holder VP h and target VTL t, an "episode" is a period in
 * which h's held word of t is nonzero: it starts with the lock call that
 * finds no VTL of h holding t and ends with the unlock that leaves none.
 * Nested locks (VTL1 and VTL2 on VTL0) are one episode. h's own thread
 * keeps, in shared atomics (all seq_cst, so that they are ordered among
 * themselves and with the library's calls, and none sits between the
 * library's stores and loads of a store-buffering pair):
 *   phase      +1 before the episode's first lock call, +1 after its last
 *              unlock call has returned: odd while h is in an episode
 *   lock_done  +1 after the first lock call of the episode has returned
 *              (and the translations were read)
 *   rel_start  +1 before the unlock call that ends the episode
 *   state      (translation generation read under the lock << 1) | 1
 *              while in an episode, after the read; 0 from rel_start on
 * A thread only ever runs one of its own episodes per t at a time, so
 * lock_done - rel_start is 0 or 1.
 *
 * EARLY wake (a waiter resumes while a holder of its snapshot still holds):
 *   before wait_begin, the waiter reads for each other VP h of its set
 *   e = lock_done, then r = rel_start. If r < e, episode e had returned
 *   from its lock call before the first read and had not started to
 *   release at the second, so it was holding throughout, and its H1 store
 *   happens before the waiter's reads (the lock_done RMW follows H1 in h's
 *   program order and the waiter read its value). wait_begin comes later
 *   in the waiter's program order, so its W1/W4 read either a nonzero held
 *   word of episode e, or the 0 that episode e's release (H3) wrote, which
 *   follows rel_start = e in h's program order. In the first case the
 *   library must keep the waiter suspended until H3/H6 of that episode.
 *   Either way, once the waiter resumes, rel_start >= e must hold (H3 and
 *   H6 come after rel_start = e in h's order, and the waiter's resume
 *   synchronizes with them). rel_start < e at resume: EARLY.
 *   (Reading held after wait_begin instead would race with releases;
 *   reading the counters before it can only leave holders out, never
 *   add one that the library may legitimately skip.)
 *
 * STALE translation (property S8, the H2/W0 store-buffering pair): the
 *   waiter's flush is generation g = ++pt_gen[t]. A holder that read a
 *   generation below g read it before the waiter's increment; with H2 and
 *   W0 in place either the waiter's W1 saw that holder's H1 (and then it
 *   waits for its release, which clears state first), or the holder's read
 *   saw g. So at resume no other VP of the set may be in an episode with
 *   state = (g' << 1) | 1, g' < g. The read of the generation comes right
 *   after the lock call with nothing in between, so that removing H2
 *   (TLB_LOCK_NO_FENCE) leaves a real store-buffering window on x86.
 *
 * LOST wake-up: a halted waiter whose count (tlbf_tlb_lock_waiting) is 0
 *   and whose wake flag is still clear for LOST_S seconds: the release that
 *   ended its wait did not wake it. It is counted and the
 *   halt ends (as if woken) so that the run goes on.
 * LATE (a wait that no release will end): right after wait_begin returns,
 *   the waiter reads each VP's phase (ph). A blocking bit of h that is set
 *   when wait_begin returns was set for an episode E of h that had started
 *   before (W4 read E's held word nonzero, and E's phase increment precedes
 *   its H1), and after wait_begin the bit only goes from 1 to 0. E's
 *   release saw the waiter (W2 before W4 against H3 before H5) and its
 *   holder cleared the bit before its unlock returned, before E's closing
 *   phase increment. So once phase >= end, where end is ph if ph is even
 *   (E was over) or ph + 1 (E was the episode in progress, or was over),
 *   the bit is clear. While halted (and right after wait_begin), the waiter
 *   reads h's phase, then its bit: phase >= end and the bit set: LATE.
 * HANG: a halted waiter whose count stays nonzero for HANG_S seconds: the
 *   run stops at once with exit status 3 (a stale wait whose holder has
 *   stopped taking locks, at the end of a run, ends this way).
 * SELF: after wait_begin, the waiter's blocking bit of itself and its bit
 *   in its own blocked set must be clear, a set naming only itself must
 *   not suspend, and a holder's unlock must never wake the holder itself.
 *
 * A waiter never waits while it holds unless its set has, besides itself,
 * only VPs of lower index: so waits-for chains between holding waiters
 * descend and end at a VP that will release (no deadlock of the test).
 *
 * --chaos yields at the library's labelled steps (H1-H8, W0-W5, S1-S3 of
 * tlb_lock.h, M5 and M6 of the mock's wake) and at the validator's own
 * steps (between the calls and the oracle's updates). The should-fail
 * builds run without it: a yield is a system call, which drains the store
 * buffer that a missing fence leaves open.
 *
 * Prints one line of figures; exits nonzero on any violation, or if no
 * suspension and no wake-up happened.
 */
#include "stress_common.h"

#include <pthread.h>
#include <unistd.h>

#include "tlbflush/mock_backend.h"
#include "tlbflush/partition.h"
#include "tlbflush/tlb_lock.h"

#define NVP 6
#define VTLS TLBF_VTL_COUNT
#define WORDS TLBF_MASK_WORDS(NVP)
#define LOST_S 2.0
#define HANG_S 10.0

struct episode {
	_Atomic uint64_t phase, lock_done, rel_start, state;
	char pad[64 - 4 * sizeof(uint64_t)];
};

static struct tlbf_vp vps[NVP];
static struct tlbf_tlb_lock_vp lvps[NVP];
static struct tlbf_partition part;
static struct tlbf_mock_vp mvps[NVP];
static struct tlbf_mock mock;
static struct tlbf_backend be;
static struct episode ep[NVP][VTLS];
static _Atomic uint64_t pt_gen[VTLS];
static atomic_bool stop;
static struct stress_opts opts;
static const struct tlbf_backend_ops *mock_ops; /* the mock's own */
static struct tlbf_backend_ops checked_ops;     /* the same, wake checked */
static _Atomic uint64_t n_locks, n_unlocks, n_waits, n_susp, n_wakeups, n_spurious, n_lost, n_early,
	n_late, n_stale, n_self, n_susp_ns, n_susp_max_ns, n_hold_waits;

/* Each thread's view of its own locks: held[t] as it set it. */
static _Thread_local uint64_t my_held[VTLS];
/* The VP this thread runs (the caller of the backend's wake). */
static _Thread_local uint32_t my_vp;
/* Wake calls this thread's current unlock made, and the VPs they woke. */
static _Thread_local unsigned my_wake_calls, my_woken;

static void add(_Atomic uint64_t *p, uint64_t v)
{
	atomic_fetch_add_explicit(p, v, memory_order_relaxed);
}

static void atomic_max(_Atomic uint64_t *p, uint64_t v)
{
	uint64_t cur = atomic_load_explicit(p, memory_order_relaxed);
	while (cur < v && !atomic_compare_exchange_weak_explicit(p, &cur, v, memory_order_relaxed,
	                                                        memory_order_relaxed))
		;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* The backend's wake: checks the mask tlbf_tlb_unlock() gives (never
 * empty, never the unlocking VP itself, nothing past the partition), counts
 * it, then hands it to the mock's wake (M5). */
static int wake_checked(void *ctx, const uint64_t *mask, uint32_t nbits)
{
	const uint32_t self = my_vp;
	unsigned n = 0;
	if (nbits != NVP)
		stress_fail("vp %u: wake of %u VPs, the partition has %d", self, nbits, NVP);
	for (unsigned w = 0; w < WORDS; w++)
		n += (unsigned)__builtin_popcountll(mask[w]);
	if (n == 0)
		stress_fail("vp %u: wake with an empty mask", self);
	if (mask[0] >> NVP)
		stress_fail("vp %u: wake mask %#llx names VPs past the partition", self,
		            (unsigned long long)mask[0]);
	if (mask[self / 64] >> (self % 64) & 1) {
		add(&n_self, 1);
		stress_fail("vp %u: its own unlock woke it", self);
	}
	add(&n_wakeups, n);
	my_wake_calls++;
	my_woken += n;
	return mock_ops->wake(ctx, mask, nbits);
}

/* LATE (see the top): @end[h] is the phase of h from which the waiter's
 * blocking bit of h must be clear. Returns true if it found one set. */
static bool late_check(uint32_t self, unsigned t, const uint64_t *end)
{
	for (uint32_t h = 0; h < NVP; h++) {
		uint64_t p = atomic_load(&ep[h][t].phase);
		uint64_t b = tlbf__load(&lvps[self].wait[t].blocking[0], TLBF_SEQ_CST) >> h & 1;
		if (b && p >= end[h]) {
			add(&n_late, 1);
			stress_fail("vp %u: still waits (VTL %u) for vp %u, whose episode it waited "
			            "for has ended",
			            self, t, h);
			return true;
		}
	}
	return false;
}

/* Halt until woken. Returns after a wake, or after LOST_S of a count at 0
 * with no wake (a lost wake-up, counted). */
static void halt(uint32_t self, unsigned t, const uint64_t *end)
{
	double t0 = 0, zero_since = 0;
	bool late_seen = end == NULL;
	for (uint64_t spins = 1;; spins++) {
		if (tlbf_mock_take_wake(&mock, self))
			return;
		if (spins < 64) {
			cpu_relax();
			continue;
		}
		sched_yield();
		if (!late_seen)
			late_seen = late_check(self, t, end);
		if (spins % 16)
			continue;
		double now = stress_now();
		if (t0 == 0)
			t0 = now;
		uint64_t cnt = tlbf_tlb_lock_waiting(&part, self, t);
		if (cnt == 0 && tlbf__load(&mvps[self].wake, TLBF_SEQ_CST) == 0) {
			if (zero_since == 0)
				zero_since = now;
			else if (now - zero_since > LOST_S) {
				add(&n_lost, 1);
				stress_fail("vp %u: lost wake-up (VTL %u): no holder left, not woken for %.1f s",
				            self, t, now - zero_since);
				return;
			}
		} else {
			zero_since = 0;
		}
		if (cnt != 0 && now - t0 > HANG_S) {
			stress_fail("vp %u: still waiting (VTL %u) for %llu holders after %.0f s: hang", self,
			            t, (unsigned long long)cnt, now - t0);
			fflush(stderr);
			_exit(3);
		}
	}
}

/* A flush by @self of VTL @t on the VPs of @mask (all if @all). */
static void flush_and_wait(uint32_t self, unsigned t, uint64_t mask, bool all)
{
	if (all)
		mask = (UINT64_C(1) << NVP) - 1;
	uint64_t need[NVP] = {0};
	for (uint32_t h = 0; h < NVP; h++) {
		if (h == self || !(mask >> h & 1))
			continue;
		uint64_t e = atomic_load(&ep[h][t].lock_done);
		uint64_t r = atomic_load(&ep[h][t].rel_start);
		if (r < e)
			need[h] = e;
	}
	stress_step("snapshot");
	struct tlbf_vpset set;
	tlbf_vpset_init_mask(&set, mask, NVP);
	add(&n_waits, 1);
	double t0 = stress_now();
	/* The flush record, right before wait_begin's W0 (nothing between
	 * them that would drain a store buffer or take long). */
	uint64_t g = atomic_fetch_add(&pt_gen[t], 1) + 1;
	enum tlbf_status ws = tlbf_tlb_lock_wait_begin(&part, self, t, all ? NULL : &set);
	if (ws != TLBF_STATUS_OK && ws != TLBF_STATUS_SUSPEND)
		stress_fail("vp %u: wait_begin refused: %s", self, tlbf_status_name(ws));
	bool susp = ws == TLBF_STATUS_SUSPEND;
	/* SELF */
	uint64_t sbit = UINT64_C(1) << self;
	if ((tlbf__load(&lvps[self].wait[t].blocking[0], TLBF_SEQ_CST) & sbit) ||
	    (tlbf__load(&lvps[self].by[t].blocked[0], TLBF_SEQ_CST) & sbit) ||
	    (susp && (mask & ~sbit) == 0)) {
		add(&n_self, 1);
		stress_fail("vp %u: waits for itself (VTL %u, set %#llx)", self, t,
		            (unsigned long long)mask);
	}
	if (!susp && tlbf_tlb_lock_waiting(&part, self, t) != 0)
		stress_fail("vp %u: not suspended, but its count is %llu", self,
		            (unsigned long long)tlbf_tlb_lock_waiting(&part, self, t));
	uint64_t end[NVP];
	for (uint32_t h = 0; h < NVP; h++) {
		uint64_t ph = atomic_load(&ep[h][t].phase);
		end[h] = ph + (ph & 1);
	}
	bool late_seen = late_check(self, t, end);
	if (susp) {
		add(&n_susp, 1);
		stress_step("suspended");
		while (tlbf_tlb_lock_must_wait(&part, self)) {
			stress_step("halt");
			halt(self, t, late_seen ? NULL : end);
			/* Counted as spurious if must_wait says to halt again
			 * (checked at the loop's next test). */
			if (tlbf_tlb_lock_waiting(&part, self, t) != 0)
				add(&n_spurious, 1);
		}
		uint64_t ns = (uint64_t)((stress_now() - t0) * 1e9);
		add(&n_susp_ns, ns);
		atomic_max(&n_susp_max_ns, ns);
		if (tlbf_tlb_lock_waiting(&part, self, t) != 0)
			stress_fail("vp %u: resumed with a count of %llu", self,
			            (unsigned long long)tlbf_tlb_lock_waiting(&part, self, t));
	}
	/* EARLY and STALE */
	for (uint32_t h = 0; h < NVP; h++) {
		if (h == self || !(mask >> h & 1))
			continue;
		uint64_t r = atomic_load(&ep[h][t].rel_start);
		if (need[h] && r < need[h]) {
			add(&n_early, 1);
			stress_fail("vp %u: resumed (VTL %u) while vp %u still holds episode %llu", self, t,
			            h, (unsigned long long)need[h]);
		}
		uint64_t st = atomic_load(&ep[h][t].state);
		if ((st & 1) && (st >> 1) < g) {
			add(&n_stale, 1);
			stress_fail("vp %u: flush %llu of VTL %u complete while vp %u holds the lock with "
			            "translations of generation %llu",
			            self, (unsigned long long)g, t, h, (unsigned long long)(st >> 1));
		}
	}
}

struct lockreq {
	unsigned r, t;
};

static void do_lock(uint32_t self, struct lockreq q)
{
	struct episode *e = &ep[self][q.t];
	bool first = my_held[q.t] == 0;
	if (first)
		atomic_fetch_add(&e->phase, 1);
	stress_step("before lock");
	enum tlbf_status st = tlbf_tlb_lock(&part, self, q.r, q.t);
	if (st != TLBF_STATUS_OK)
		stress_fail("vp %u: lock %u->%u refused: %s", self, q.r, q.t, tlbf_status_name(st));
	if (first) {
		/* The translations, read right after the lock (H1, H2, read). */
		uint64_t g = atomic_load_explicit(&pt_gen[q.t], memory_order_relaxed);
		atomic_fetch_add(&e->lock_done, 1);
		atomic_store(&e->state, g << 1 | 1);
	}
	my_held[q.t] |= UINT64_C(1) << q.r;
	add(&n_locks, 1);
	uint64_t lib = tlbf_tlb_lock_held(&part, self, q.t);
	if (lib != my_held[q.t])
		stress_fail("vp %u: held(%u) %#llx, expected %#llx", self, q.t, (unsigned long long)lib,
		            (unsigned long long)my_held[q.t]);
}

/* Release: @all_vtl nonzero: every lock of VTL all_vtl
 * (TLBF_TLB_UNLOCK_ALL); else the one lock q. */
static void do_unlock(uint32_t self, unsigned all_vtl, struct lockreq q)
{
	bool final[VTLS] = {false};
	uint64_t after[VTLS];
	for (unsigned t = 0; t < VTLS; t++) {
		after[t] = my_held[t];
		if (all_vtl ? t < all_vtl : t == q.t)
			after[t] &= ~(UINT64_C(1) << (all_vtl ? all_vtl : q.r));
		final[t] = my_held[t] != 0 && after[t] == 0;
		if (final[t]) {
			atomic_store(&ep[self][t].state, 0);
			atomic_fetch_add(&ep[self][t].rel_start, 1);
		}
	}
	stress_step("before unlock");
	my_wake_calls = my_woken = 0;
	enum tlbf_status st = all_vtl ? tlbf_tlb_unlock(&part, &be, self, all_vtl, TLBF_TLB_UNLOCK_ALL)
	                              : tlbf_tlb_unlock(&part, &be, self, q.r, q.t);
	if (st != TLBF_STATUS_OK)
		stress_fail("vp %u: unlock returned %s", self, tlbf_status_name(st));
	/* One wake call per unlock at most, and only for a release. */
	bool released = false;
	for (unsigned t = 0; t < VTLS; t++)
		released |= final[t];
	if (my_wake_calls > 1 || (my_wake_calls && !released))
		stress_fail("vp %u: %u wake calls (%u VPs) for an unlock that %s", self, my_wake_calls,
		            my_woken, released ? "released" : "released nothing");
	for (unsigned t = 0; t < VTLS; t++) {
		my_held[t] = after[t];
		if (final[t])
			atomic_fetch_add(&ep[self][t].phase, 1);
		if (tlbf_tlb_lock_held(&part, self, t) != my_held[t])
			stress_fail("vp %u: held(%u) %#llx after unlock, expected %#llx", self, t,
			            (unsigned long long)tlbf_tlb_lock_held(&part, self, t),
			            (unsigned long long)my_held[t]);
	}
	add(&n_unlocks, 1);
}

/* --short: most holds and pauses are empty, so that lock calls and the
 * translation reads after them meet the flushes' records and wait_begins
 * more often (the TLB_LOCK_NO_FENCE window); the default's longer holds let
 * a stale wait outlive its holder's episode (the late checks). */
static bool short_work;

static void work(void)
{
	uint64_t k = stress_rand();
	unsigned n = (unsigned)(k % 2000);
	if (short_work && (k >> 32 & 3) != 0)
		n = (k >> 32 & 3) == 1 ? n % 64 : 0;
	for (volatile unsigned i = 0; i < n; i++)
		;
	if ((stress_rand() & 7) == 0)
		sched_yield();
	stress_step("work");
}

static void holder(uint32_t self)
{
	struct lockreq all[3] = {{1, 0}, {2, 0}, {2, 1}};
	unsigned navail = VTLS >= 2 ? 3 : 2;
	struct lockreq take[3];
	unsigned n = 0;
	uint64_t pick = 0;
	while (pick == 0)
		pick = stress_rand() & ((1u << navail) - 1);
	for (unsigned i = 0; i < navail; i++)
		if (pick >> i & 1)
			take[n++] = all[i];
	for (unsigned i = n; i > 1; i--) { /* shuffle */
		unsigned j = (unsigned)(stress_rand() % i);
		struct lockreq tmp = take[i - 1];
		take[i - 1] = take[j];
		take[j] = tmp;
	}
	for (unsigned i = 0; i < n; i++) {
		do_lock(self, take[i]);
		/* Now and then lock again (idempotent). */
		if ((stress_rand() & 15) == 0)
			do_lock(self, take[i]);
		work();
	}
	/* A flush of its own while holding: itself and lower VPs only. */
	if ((stress_rand() & 3) == 0) {
		uint64_t lower = (UINT64_C(1) << self) - 1;
		uint64_t mask = (stress_rand() & lower) | UINT64_C(1) << self;
		if ((stress_rand() & 3) == 0)
			mask = UINT64_C(1) << self;
		add(&n_hold_waits, 1);
		flush_and_wait(self, (unsigned)(stress_rand() % VTLS), mask, false);
	}
	work();
	/* Release in a random order, one of three ways. */
	unsigned how = (unsigned)(stress_rand() % 4);
	if (how == 0) {
		do_unlock(self, 2, (struct lockreq){0, 0});
		if (my_held[0])
			do_unlock(self, 1, (struct lockreq){0, 0});
	} else if (how == 1) {
		do_unlock(self, 1, (struct lockreq){0, 0});
		work();
		do_unlock(self, 2, (struct lockreq){0, 0});
	} else {
		for (unsigned i = n; i > 1; i--) {
			unsigned j = (unsigned)(stress_rand() % i);
			struct lockreq tmp = take[i - 1];
			take[i - 1] = take[j];
			take[j] = tmp;
		}
		for (unsigned i = 0; i < n; i++) {
			do_unlock(self, 0, take[i]);
			if (i + 1 < n)
				work();
		}
	}
	for (unsigned t = 0; t < VTLS; t++)
		if (my_held[t])
			stress_fail("vp %u: still holds %#llx of VTL %u after its releases", self,
			            (unsigned long long)my_held[t], t);
}

static void *vp_main(void *arg)
{
	uint32_t self = (uint32_t)(uintptr_t)arg;
	stress_seed_thread(opts.seed, self);
	my_vp = self;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (stress_rand() & 1) {
			holder(self);
		} else {
			unsigned t = (unsigned)(stress_rand() % VTLS);
			unsigned k = (unsigned)(stress_rand() % 8);
			uint64_t mask = stress_rand() & ((UINT64_C(1) << NVP) - 1);
			if (k == 0)
				mask = UINT64_C(1) << self;
			flush_and_wait(self, t, mask, k == 1);
		}
		work();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	/* Our own option first; the rest are the common ones. */
	int n = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--short"))
			short_work = true;
		else
			argv[n++] = argv[i];
	}
	argc = n;
	stress_parse(argc, argv, &opts);
	if (tlbf_partition_init(&part, vps, lvps, NVP) != TLBF_STATUS_OK)
		return 2;
	tlbf_mock_init(&mock, mvps, NVP, NULL, 0);
	be = tlbf_mock_backend(&mock);
	mock_ops = be.ops;
	checked_ops = *be.ops;
	checked_ops.wake = wake_checked;
	be.ops = &checked_ops;
	pthread_t th[NVP];
	for (uintptr_t i = 0; i < NVP; i++)
		if (pthread_create(&th[i], NULL, vp_main, (void *)i))
			return 2;
	struct timespec ts = {(time_t)opts.seconds,
	                      (long)((opts.seconds - (double)(time_t)opts.seconds) * 1e9)};
	nanosleep(&ts, NULL);
	atomic_store(&stop, true);
	for (unsigned i = 0; i < NVP; i++)
		pthread_join(th[i], NULL);
	uint64_t susp = atomic_load(&n_susp);
	printf("stress_tlb_lock: %d VPs, %d VTLs, %s%s%.1f s, seed %llu%s%s\n", NVP, VTLS,
	       opts.chaos ? "chaos, " : "", short_work ? "short, " : "", opts.seconds, (unsigned long long)opts.seed,
#ifdef STRESS_BREAK
	       ", broken step ", STRESS_BREAK
#else
	       "", ""
#endif
	);
	printf("tlb_lock: locks %llu, unlocks %llu, waits %llu (while holding %llu), suspensions %llu, "
	       "wake-ups %llu, spurious %llu, lost %llu, early %llu, late %llu, stale %llu, self %llu; "
	       "suspension mean %.1f us, max %.1f ms\n",
	       (unsigned long long)n_locks, (unsigned long long)n_unlocks, (unsigned long long)n_waits,
	       (unsigned long long)n_hold_waits, (unsigned long long)susp,
	       (unsigned long long)n_wakeups, (unsigned long long)n_spurious,
	       (unsigned long long)n_lost, (unsigned long long)n_early, (unsigned long long)n_late,
	       (unsigned long long)n_stale, (unsigned long long)n_self,
	       susp ? (double)n_susp_ns / (double)susp / 1e3 : 0.0, (double)n_susp_max_ns / 1e6);
	if (susp == 0 || n_wakeups == 0)
		stress_fail("nothing was exercised: %llu suspensions, %llu wake-ups",
		            (unsigned long long)susp, (unsigned long long)n_wakeups);
	int f = atomic_load(&stress_failures);
	printf("%s: %d failures\n", f ? "FAILED" : "ok", f);
	return f ? 1 : 0;
}
