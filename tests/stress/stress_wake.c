/* SPDX-License-Identifier: MIT */
/*
 * Threaded validator of the whole shootdown path on the mock backend.
 *
 * VP threads run a guest loop through the mock: they enter (announce,
 * poll, apply through the TDX mapping, publish, TDG.VP.ENTER on the mock),
 * translate pages through their software TLB, filling it from a shared
 * versioned page table, and leave when kicked or when they decide to. Some
 * VP threads are also initiators: outside the guest they change page-table
 * entries (bump versions) and issue a flush (list, entire or non-global)
 * to a random set of VPs through the library: record, fence, wake
 * predicate, kick plan, kick with wait.
 *
 * The oracle: once an initiator's flush call has returned, every VP in its
 * set must never again use a translation of a covered page of the target
 * VTL at a version older than the one the initiator wrote. Each use checks
 * its cached version against that requirement.
 *
 * The run prints the kicks and the skips by reason, and fails on any stale
 * use, or if nothing was flushed or kicked.
 */
#include "stress_common.h"

#include <pthread.h>

#ifndef TLBF_STATS
#define TLBF_STATS 1 /* the counters must agree with the oracle's own counts */
#endif

#include "tlbflush/mock_backend.h"
#include "tlbflush/stats.h"
#include "tlbflush/tdx_backend.h"
#include "tlbflush/wake.h"

#define NVP 6
#define NINIT 3 /* VPs 0..NINIT-1 also initiate */
#define NPAGES 16
#define NGLOBAL 4 /* pages 0..NGLOBAL-1 are global mappings */
#define VTLS TLBF_VTL_COUNT

static struct tlbf_ring rings[VTLS];
static struct tlbf_vp vps[NVP];
static struct tlbf_mock_vp mvps[NVP];
static struct tlbf_mock mock;
static struct tlbf_backend be;
static struct tlbf_stats vp_stats[NVP]; /* each VP thread's, both of its roles */
static _Atomic uint64_t pt[VTLS][NPAGES];           /* page-table versions */
static _Atomic uint64_t required[NVP][VTLS][NPAGES]; /* the oracle */
/* The VMM's guest-physical mapping of each page's frame, and its oracle. */
static _Atomic uint64_t gpt[VTLS][NPAGES];
static _Atomic uint64_t required_gpa[NVP][VTLS][NPAGES];
static atomic_bool stop;
static struct stress_opts opts;
static _Atomic uint64_t stale, uses, requests, reasons[TLBF_WAKE__COUNT];
static _Atomic uint64_t req_kind[4];
static _Atomic uint64_t stalls, longest_ns; /* --stall: kickers stalled, longest other call */

static void relax(void *arg)
{
	(void)arg;
	sched_yield();
}

static void atomic_max(_Atomic uint64_t *p, uint64_t v)
{
	uint64_t cur = atomic_load_explicit(p, memory_order_relaxed);
	while (cur < v && !atomic_compare_exchange_weak_explicit(p, &cur, v, memory_order_release,
	                                                        memory_order_relaxed))
		;
}

static void guest_use(uint32_t vp, unsigned vtl)
{
	uint64_t page = stress_rand() % NPAGES, ver;
	if (!tlbf_mock_tlb_lookup(&mock, vp, vtl, page, &ver)) {
		ver = atomic_load_explicit(&pt[vtl][page], memory_order_acquire);
		tlbf_mock_tlb_fill(&mock, vp, vtl, page, ver, page < NGLOBAL);
	}
	uint64_t need = atomic_load_explicit(&required[vp][vtl][page], memory_order_acquire);
	/* The frame's guest-physical translation, which only INVEPT drops. */
	uint64_t gver;
	if (!tlbf_mock_gpa_lookup(&mock, vp, vtl, page, &gver)) {
		gver = atomic_load_explicit(&gpt[vtl][page], memory_order_acquire);
		tlbf_mock_gpa_fill(&mock, vp, vtl, page, gver);
	}
	uint64_t gneed = atomic_load_explicit(&required_gpa[vp][vtl][page], memory_order_acquire);
	atomic_fetch_add_explicit(&uses, 1, memory_order_relaxed);
	if (gver < gneed && atomic_fetch_add(&stale, 1) < 5)
		fprintf(stderr,
		        "STALE: vp %u vtl %u page %llu guest-physical mapping used at version %llu, "
		        "flushed to %llu\n",
		        vp, vtl, (unsigned long long)page, (unsigned long long)gver,
		        (unsigned long long)gneed);
	if (ver < need && atomic_fetch_add(&stale, 1) < 5)
		fprintf(stderr, "STALE: vp %u vtl %u page %llu used at version %llu, flushed to %llu\n",
		        vp, vtl, (unsigned long long)page, (unsigned long long)ver,
		        (unsigned long long)need);
}

/* One flush hypercall, as a VMM's handler would run it. */
static void initiate(uint32_t self)
{
	unsigned vtl = (unsigned)(stress_rand() % VTLS);
	uint64_t set = stress_rand() & ((UINT64_C(1) << NVP) - 1);
	if ((stress_rand() & 3) == 0)
		set = (UINT64_C(1) << NVP) - 1;
	/* 0: entire, 1: non-global, 2: list, 3: the VMM's guest-physical */
	unsigned kind = (unsigned)(stress_rand() % 16);
	kind = kind < 2 ? 0 : kind < 4 ? 1 : kind == 4 ? 3 : 2;
	uint64_t ranges[3];
	unsigned n = 0;
	uint64_t pages[NPAGES];
	unsigned npages = 0;
	if (kind == 2) {
		n = 1 + (unsigned)(stress_rand() % 3);
		for (unsigned i = 0; i < n; i++) {
			uint64_t p = stress_rand() % NPAGES;
			pages[npages++] = p;
			ranges[i] = tlbf_hv_gva_make(p, 0);
		}
	} else if (kind == 1) {
		for (uint64_t p = NGLOBAL; p < NPAGES; p++)
			if (stress_rand() & 1)
				pages[npages++] = p;
	} else {
		for (uint64_t p = 0; p < NPAGES; p++)
			if (stress_rand() & 1)
				pages[npages++] = p;
	}
	/* The guest's page-table change, before the hypercall (for kind 3,
	 * the VMM's change of its guest-physical mapping). */
	uint64_t newver[NPAGES];
	_Atomic uint64_t *table = kind == 3 ? gpt[vtl] : pt[vtl];
	for (unsigned i = 0; i < npages; i++)
		newver[i] = atomic_fetch_add_explicit(&table[pages[i]], 1, memory_order_release) + 1;

	struct tlbf_mark mark;
	enum tlbf_push_result push_result = TLBF_PUSH_RESULT_LISTED;
	if (kind == 2) {
		struct tlbf_push pu = tlbf_ring_push(&rings[vtl], ranges, n, false);
		mark = pu.mark;
		push_result = pu.result;
	} else if (kind == 1) {
		mark = tlbf_ring_flush_non_global(&rings[vtl]);
	} else if (kind == 3) {
		mark = tlbf_ring_flush_gpa(&rings[vtl]);
	} else {
		mark = tlbf_ring_flush_entire(&rings[vtl]);
	}
	atomic_fetch_add_explicit(&req_kind[kind], 1, memory_order_relaxed);

	double t0 = stress_now();
	tlbf__wake_fence();
	uint64_t kick[1], wait[1];
	struct tlbf_wake_plan plan;
	tlbf_kick_plan_init(&plan, kick, wait, 1);
	tlbf_kick_plan_request(&plan, vtl, mark);
	for (uint32_t v = 0; v < NVP; v++) {
		enum tlbf_wake w = (set >> v) & 1 ? tlbf_wake_decide(&vps[v], v, self, vtl, mark)
		                                  : TLBF_WAKE_SKIP_NOT_IN_SET;
		tlbf_kick_plan_add(&plan, v, w);
	}
	/* --stall: a kicker descheduled between its kick CAS (I4) and its
	 * kick; other initiators that find its VPs EXITING must not wait for
	 * it. */
	bool stalled = false;
	if (opts.stall_ms > 0 && plan.nkick && (stress_rand() & 15) == 0) {
		struct timespec ts = {0, (long)(opts.stall_ms * 1e6)};
		nanosleep(&ts, NULL);
		atomic_fetch_add_explicit(&stalls, 1, memory_order_relaxed);
		stalled = true;
	}
	int rc = tlbf_wake_send(&be, &plan, vps, NVP);
	if (rc != 0)
		stress_fail("kick failed");
	/* Count it as tlbf_flush_handle() would have (the request is not a
	 * decoded hypercall here: call and kind are set by hand). */
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	req.call = kind == 2 ? TLBF_HVCALL_FLUSH_VA_LIST : TLBF_HVCALL_FLUSH_VA_SPACE;
	req.kind = (uint8_t)(kind == 2   ? TLBF_FLUSH_KIND_LIST
	                     : kind == 1 ? TLBF_FLUSH_KIND_NON_GLOBAL
	                     : kind == 3 ? TLBF_FLUSH_KIND_GPA
	                                 : TLBF_FLUSH_KIND_ENTIRE);
	struct tlbf_flush_outcome oc;
	oc.push.result = kind == 2 ? push_result : TLBF_PUSH_RESULT_LISTED;
	oc.push.why = TLBF_PUSH_WHY_NONE;
	oc.push.mark = mark;
	oc.kick_rc = rc;
	oc.plan = plan;
	oc.suspend = false;
	tlbf_flush_count(&vp_stats[self], &req, rc ? TLBF_STATUS_KICK_FAILED : TLBF_STATUS_OK,
	                       &oc);
	if (!stalled)
		atomic_max(&longest_ns, (uint64_t)((stress_now() - t0) * 1e9));
	for (unsigned i = 0; i < TLBF_WAKE__COUNT; i++)
		atomic_fetch_add_explicit(&reasons[i], plan.reasons[i], memory_order_relaxed);
	atomic_fetch_add_explicit(&requests, 1, memory_order_relaxed);

	/* The flush call has returned: from now on the oracle holds. */
	for (uint32_t v = 0; v < NVP; v++)
		if ((set >> v) & 1)
			for (unsigned i = 0; i < npages; i++)
				atomic_max(kind == 3 ? &required_gpa[v][vtl][pages[i]]
				                     : &required[v][vtl][pages[i]],
				           newver[i]);
}

static void *vp_main(void *arg)
{
	uint32_t self = (uint32_t)(uintptr_t)arg;
	stress_seed_thread(opts.seed, self);
	static _Thread_local uint64_t list_page[TLBF_TDX_LIST_MAX];
	struct tlbf_vp_local l;
	struct tlbf_tdx_vp tv;
	struct tlbf_ring *rp[VTLS];
	for (unsigned v = 0; v < VTLS; v++)
		rp[v] = &rings[v];
	tlbf_tdx_vp_init(&tv, self, list_page, 0x1000 + self);
	tv.stats = &vp_stats[self];
	tlbf__vp_start(&vps[self], &l, rp);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned vtl = (unsigned)(stress_rand() % VTLS);
		tlbf_tdx_prepare_entry(&be, &tv, &vps[self], &l, &rings[vtl], vtl);
		bool entered = tlbf_mock_enter(&mock, self, vtl);
		tlbf_tdx_entry_done(&tv, vtl, entered);
		if (entered) {
			unsigned n = 1 + (unsigned)(stress_rand() % 64);
			for (unsigned i = 0; i < n; i++) {
				if (tlbf_mock_take_cancel(&mock, self))
					break;
				guest_use(self, vtl);
				if (stress_chaos && (stress_rand() & 7) == 0)
					sched_yield();
			}
			tlbf_mock_leave(&mock, self);
		}
		tlbf__vp_exit(&vps[self], &l);
		if (self < NINIT && (stress_rand() & 3) == 0)
			initiate(self);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	stress_parse(argc, argv, &opts);
	for (unsigned v = 0; v < VTLS; v++) {
		if (opts.wrap)
			tlbf__ring_init_at(&rings[v], UINT64_MAX - 99);
		else
			tlbf_ring_init(&rings[v]);
	}
	for (unsigned i = 0; i < NVP; i++)
		tlbf__vp_init(&vps[i]);
	tlbf_mock_init(&mock, mvps, NVP, NULL, 0);
	mock.relax = relax;
	be = tlbf_mock_backend(&mock);
	pthread_t t[NVP];
	for (uintptr_t i = 0; i < NVP; i++)
		pthread_create(&t[i], NULL, vp_main, (void *)i);
	double end = stress_now() + opts.seconds;
	while (stress_now() < end) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	atomic_store(&stop, true);
	for (unsigned i = 0; i < NVP; i++)
		pthread_join(t[i], NULL);

	uint64_t entries = 0, cancelled = 0;
	for (unsigned i = 0; i < NVP; i++) {
		entries += mvps[i].entries;
		cancelled += mvps[i].cancelled;
	}
	printf("stress_wake: %d VPs (%d initiating), %s%s%.1f s, seed %llu\n", NVP, NINIT,
	       opts.chaos ? "chaos, " : "", opts.wrap ? "wrap, " : "", opts.seconds,
	       (unsigned long long)opts.seed);
	printf("  requests %llu (list %llu, entire %llu, non-global %llu, guest-physical %llu), "
	       "guest entries %llu (cancelled %llu), translations used %llu\n",
	       (unsigned long long)requests, (unsigned long long)req_kind[2],
	       (unsigned long long)req_kind[0], (unsigned long long)req_kind[1],
	       (unsigned long long)req_kind[3],
	       (unsigned long long)entries, (unsigned long long)cancelled, (unsigned long long)uses);
	printf("  wake decisions:");
	for (unsigned i = 0; i < TLBF_WAKE__COUNT; i++)
		printf(" %s %llu", tlbf_wake_name((enum tlbf_wake)i), (unsigned long long)reasons[i]);
	printf("\n  cancel signals sent %llu, VPs waited for %llu\n",
	       (unsigned long long)atomic_load(&mock.kicks), (unsigned long long)atomic_load(&mock.waits));
	if (opts.stall_ms > 0)
		printf("  kickers stalled %llu times for %.0f ms; longest flush call of the others %.1f ms\n",
		       (unsigned long long)atomic_load(&stalls), opts.stall_ms,
		       (double)atomic_load(&longest_ns) / 1e6);
	/* The counters agree with the oracle's own counts. */
	struct tlbf_stats sum;
	tlbf_stats_init(&sum);
	for (unsigned i = 0; i < NVP; i++)
		tlbf_stats_fold(&sum, &vp_stats[i]);
	uint64_t counted = 0;
	for (unsigned i = TLBF_STAT_REQ_SPACE_ENTIRE; i <= TLBF_STAT_REQ_GPA; i++)
		counted += tlbf_stats_get(&sum, (enum tlbf_stat)i);
	if (TLBF_STATS && counted != requests)
		stress_fail("counters: %llu requests, the oracle counted %llu", (unsigned long long)counted,
		            (unsigned long long)requests);
	for (unsigned i = 0; i < TLBF_WAKE__COUNT; i++)
		if (TLBF_STATS && tlbf_stats_get(&sum, (enum tlbf_stat)(TLBF_STAT_WAKE_KICK + i)) != reasons[i])
			stress_fail("counters: wake.%s differs from the oracle's", tlbf_wake_name((enum tlbf_wake)i));
	if (TLBF_STATS && tlbf_stats_get(&sum, TLBF_STAT_KICKS) != atomic_load(&mock.kicks))
		stress_fail("counters: %llu kicks, the mock sent %llu",
		            (unsigned long long)tlbf_stats_get(&sum, TLBF_STAT_KICKS),
		            (unsigned long long)atomic_load(&mock.kicks));
	if (TLBF_STATS && (tlbf_stats_get(&sum, TLBF_STAT_ENTRIES) != entries ||
	                   tlbf_stats_get(&sum, TLBF_STAT_ENTRIES_CANCELLED) != cancelled))
		stress_fail("counters: entries %llu/%llu cancelled, the mock saw %llu/%llu",
		            (unsigned long long)tlbf_stats_get(&sum, TLBF_STAT_ENTRIES),
		            (unsigned long long)tlbf_stats_get(&sum, TLBF_STAT_ENTRIES_CANCELLED),
		            (unsigned long long)entries, (unsigned long long)cancelled);
	printf("  counters: %llu requests, %llu kicks (%llu late), %llu entries, %llu cancelled: "
	       "as counted by the oracle and the mock\n",
	       (unsigned long long)counted, (unsigned long long)tlbf_stats_get(&sum, TLBF_STAT_KICKS),
	       (unsigned long long)tlbf_stats_get(&sum, TLBF_STAT_LATE),
	       (unsigned long long)tlbf_stats_get(&sum, TLBF_STAT_ENTRIES),
	       (unsigned long long)tlbf_stats_get(&sum, TLBF_STAT_ENTRIES_CANCELLED));
	if (requests == 0 || uses == 0)
		stress_fail("nothing was exercised");
	if (stale)
		stress_fail("%llu stale translations used after a completed flush", (unsigned long long)stale);
	int f = atomic_load(&stress_failures);
	printf("stale translations: %llu\n%s: %d failures\n", (unsigned long long)stale,
	       f ? "FAILED" : "ok", f);
	return f ? 1 : 0;
}
