/* SPDX-License-Identifier: MIT */
/*
 * Threaded validator of the whole shootdown path on the mock backend, as a
 * VMM runs it.
 *
 * VP threads run the entry driver (tlbflush/entry.h) over the mock: they
 * prepare an entry (announce, poll, flush a list now or make it pending,
 * publish, tell the backend the entry's scope), enter on the mock, use
 * pages of the guest through the VP's software TLB and leave when kicked
 * or when they decide to, then end the entry. Some VP threads are also
 * initiators: outside the guest they change page-table entries (or the
 * VMM's guest-physical mapping of a frame) and request a flush (list,
 * entire, non-global, guest-physical) to a random set of VPs with
 * tlbf_flush_handle(): record, I1, wake decisions, kick with wait.
 *
 * The oracle is the library's test kit (tlbflush/oracle.h): each change is
 * tlbf_oracle_change() before the call, tlbf_oracle_flushed() once the
 * call has returned, and every guest access goes through
 * tlbf_oracle_access(): a VP of the call's set that uses a translation
 * (linear or guest-physical) of a covered page at a version older than the
 * one the change made is a stale use.
 *
 * --stall MS: a kicker is descheduled at K1, between its kick CASes (I4)
 * and its kick; other initiators that find its VPs EXITING must not wait
 * for it (their wait is bounded, then they cancel themselves).
 *
 * The run prints the kicks and the skips by reason, and fails on any stale
 * use, on counters that disagree with the oracle's and the mock's counts,
 * or if nothing was flushed or kicked.
 */
#include "stress_common.h"

#include <pthread.h>

#ifndef TLBF_STATS
#define TLBF_STATS 1 /* the counters must agree with the oracle's own counts */
#endif

#include "tlbflush/entry.h"
#include "tlbflush/flush.h"
#include "tlbflush/mock_backend.h"
#include "tlbflush/oracle.h"
#include "tlbflush/partition.h"
#include "tlbflush/stats.h"
#include "tlbflush/tdx.h"
#include "tlbflush/wake.h"

#define NVP 6
#define NINIT 3 /* VPs 0..NINIT-1 also initiate */
#define NPAGES 16
#define NGLOBAL 4 /* pages 0..NGLOBAL-1 are global mappings */
#define VTLS TLBF_VTL_COUNT

static struct tlbf_vp vps[NVP];
static struct tlbf_partition part;
static struct tlbf_mock_vp mvps[NVP];
static struct tlbf_mock mock;
static struct tlbf_backend be;
static struct tlbf_stats vp_stats[NVP]; /* each VP thread's, both of its roles */
static struct tlbf_oracle oracle;
static _Atomic uint64_t oracle_words[2 * VTLS * NPAGES + 2 * NVP * VTLS * NPAGES + NVP * VTLS];
static atomic_bool stop;
static struct stress_opts opts;
static _Atomic uint64_t stale, uses, requests, reasons[TLBF_WAKE__COUNT];
static _Atomic uint64_t req_kind[4];
static _Atomic uint64_t longest_ns; /* --stall: longest flush call of the others */

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
	uint32_t page = (uint32_t)(stress_rand() % NPAGES);
	atomic_fetch_add_explicit(&uses, 1, memory_order_relaxed);
	if (tlbf_oracle_access(&oracle, &mock, vp, vtl, page, page < NGLOBAL) &&
	    atomic_fetch_add(&stale, 1) < 5)
		fprintf(stderr, "STALE: vp %u vtl %u page %u used a translation older than a "
		        "completed flush\n", vp, vtl, page);
}

/* One flush hypercall, as a VMM's handler would run it (the request is
 * built by hand rather than decoded from an input page). */
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
	uint32_t pages[NPAGES];
	unsigned npages = 0;
	if (kind == 2) {
		n = 1 + (unsigned)(stress_rand() % 3);
		for (unsigned i = 0; i < n; i++) {
			uint32_t p = (uint32_t)(stress_rand() % NPAGES);
			pages[npages++] = p;
			ranges[i] = tlbf_hv_gva_make(p, 0);
		}
	} else if (kind == 1) {
		for (uint32_t p = NGLOBAL; p < NPAGES; p++)
			if (stress_rand() & 1)
				pages[npages++] = p;
	} else {
		for (uint32_t p = 0; p < NPAGES; p++)
			if (stress_rand() & 1)
				pages[npages++] = p;
	}
	/* The guest's page-table change, before the hypercall (for kind 3,
	 * the VMM's change of its guest-physical mapping). */
	uint64_t newver[NPAGES];
	for (unsigned i = 0; i < npages; i++)
		newver[i] = tlbf_oracle_change(&oracle, vtl, pages[i], kind == 3);

	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	req.call = kind == 2 ? TLBF_HVCALL_FLUSH_VA_LIST : TLBF_HVCALL_FLUSH_VA_SPACE;
	req.kind = (uint8_t)(kind == 2   ? TLBF_FLUSH_KIND_LIST
	                     : kind == 1 ? TLBF_FLUSH_KIND_NON_GLOBAL
	                     : kind == 3 ? TLBF_FLUSH_KIND_GPA
	                                 : TLBF_FLUSH_KIND_ENTIRE);
	req.target_vtl = (uint8_t)vtl;
	req.flags = kind == 1 ? TLBF_HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY
	                      : TLBF_HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES;
	tlbf_vpset_init_mask(&req.vps, set, NVP);
	req.ranges = kind == 2 ? ranges : NULL;
	req.range_count = n;
	atomic_fetch_add_explicit(&req_kind[kind], 1, memory_order_relaxed);

	double t0 = stress_now();
	stress_stalled = false;
	struct tlbf_flush_outcome oc;
	enum tlbf_status st = tlbf_flush_handle(&part, &be, &req, self, &vp_stats[self], &oc);
	if (st != TLBF_STATUS_OK)
		stress_fail("vp %u: flush call returned %s (kick %d)", self, tlbf_status_name(st),
		            oc.kick_rc);
	if (!stress_stalled)
		atomic_max(&longest_ns, (uint64_t)((stress_now() - t0) * 1e9));
	for (unsigned i = 0; i < TLBF_WAKE__COUNT; i++)
		atomic_fetch_add_explicit(&reasons[i], oc.plan.reasons[i], memory_order_relaxed);
	atomic_fetch_add_explicit(&requests, 1, memory_order_relaxed);

	/* The flush call has returned: from now on the oracle holds. */
	for (unsigned i = 0; i < npages; i++)
		tlbf_oracle_flushed(&oracle, &req.vps, vtl, pages[i], newver[i], kind == 3);
}

static void *vp_main(void *arg)
{
	uint32_t self = (uint32_t)(uintptr_t)arg;
	stress_seed_thread(opts.seed, self);
	/* The VP's list buffer: a TDX INVGLA list page's worth of ranges. */
	static _Thread_local uint64_t list_page[TLBF_TDX_LIST_MAX];
	struct tlbf_entry e;
	if (tlbf_entry_init(&e, &part, &be, self, list_page, TLBF_TDX_LIST_MAX, &vp_stats[self]) !=
	    TLBF_STATUS_OK) {
		stress_fail("vp %u: entry driver refused", self);
		return NULL;
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned vtl = (unsigned)(stress_rand() % VTLS);
		enum tlbf_status st = tlbf_entry_prepare(&e, vtl);
		if (st != TLBF_STATUS_OK) {
			stress_fail("vp %u: entry refused: %s", self, tlbf_status_name(st));
			break;
		}
		bool entered = tlbf_mock_enter(&mock, self, vtl);
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
		st = tlbf_entry_done(&e, entered);
		if (st != TLBF_STATUS_OK)
			stress_fail("vp %u: entry done refused: %s", self, tlbf_status_name(st));
		if (self < NINIT && (stress_rand() & 3) == 0)
			initiate(self);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	stress_parse(argc, argv, &opts);
	if (tlbf_partition_init(&part, vps, NULL, NVP) != TLBF_STATUS_OK)
		return 2;
	if (opts.wrap)
		for (unsigned v = 0; v < VTLS; v++)
			tlbf__ring_init_at(&part.rings[v], UINT64_MAX - 99);
	if (tlbf_oracle_init(&oracle, oracle_words, sizeof(oracle_words) / sizeof(oracle_words[0]),
	                     NVP, NPAGES, 0) != TLBF_STATUS_OK)
		return 2;
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
		       (unsigned long long)atomic_load(&stress_stalls), opts.stall_ms,
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
