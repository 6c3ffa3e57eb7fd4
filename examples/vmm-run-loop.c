/* SPDX-License-Identifier: MIT */
/*
 * vmm-run-loop - a small VMM on the mock backend: the two code paths a VMM
 * writes against tlbflush, with several VP threads.
 *
 *   vmm-run-loop [--seconds S] [--vps N] [--seed X]
 *
 * Every VP thread runs the VP run loop of tlbflush/entry.h: prepare the
 * entry (tlbf_entry_prepare(): announce, poll, flush a list through the
 * backend or fold it into the entry's flush scope, publish), enter the
 * mock, run "guest code" that translates pages through the VP's software
 * TLB, leave on a kick or after a while, then tlbf_entry_done(). Half of
 * the VPs also play a guest kernel that changes its page table: on a VM
 * exit they bump the versions of a few pages, then make a flush hypercall
 * whose input they lay out as the guest would (one of the four calls,
 * with a 64-bit processor mask, a sparse HV_VP_SET or all processors) and
 * hand it to the VMM's hypercall handler: tlbf_hypercall_decode(), then
 * tlbf_flush_handle(), then tlbf_hypercall_result() for RAX. Now and then
 * the VMM changes the guest-physical mapping of a page itself and flushes
 * it everywhere (tlbf_flush_request_vmm(), no VP initiating).
 *
 * The partition has VSM TLB locks: now and then VTL1 of a VP locks VTL0's
 * TLB for a moment (tlbf_tlb_lock(), tlbf_tlb_unlock()). A guest flush
 * call that finds such a holder in its set returns TLBF_STATUS_SUSPEND:
 * the calling VP halts (tlbf_mock_halt()) while tlbf_tlb_lock_must_wait()
 * says so, and its hypercall completes then. The VMM's own request
 * returns TLBF_STATUS_LOCKS_IGNORED (done: nobody can be suspended).
 *
 * The checks, by the library's test kit (tlbflush/oracle.h): once a
 * handler has returned, no VP of the request's set may use a translation
 * of a changed page at an older version (stale use), and no flush call may
 * complete while a VP of its set still holds the lock it held when the
 * call began (early completion). The program exits with status 1 if
 * either happens, if a hypercall returns anything but success, or if
 * nothing happened. At the end it exports the library's counters
 * (tlbf_stats_export(), built with TLBF_STATS=1).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlbflush/tlbflush.h"
#include "tlbflush/mock_backend.h"
#include "tlbflush/oracle.h"

#define MAX_VPS 16
#define NPAGES 16
#define NGLOBAL 4 /* pages 0..3 are global mappings (kept by non-global flushes) */
#define VTLS TLBF_VTL_COUNT
#define LIST_CAP 64 /* ranges one poll may return to a VP */

/* The VMM's partition (rings, VP state lines, TLB-lock state) and its
 * backend. */
static struct tlbf_vp vps[MAX_VPS];
static struct tlbf_tlb_lock_vp locks[MAX_VPS];
static struct tlbf_partition part;
static struct tlbf_mock mock;
static struct tlbf_mock_vp mock_vps[MAX_VPS];
static struct tlbf_backend be;
static uint32_t nvps = 4;

/* The library's counters: one set per VP (its entry path), one per VP as
 * an initiator (its hypercall handler), one for the VMM's own requests
 * (made on VP 0's thread only: one writer). */
static struct tlbf_stats vp_stats[MAX_VPS], call_stats[MAX_VPS], vmm_stats;

/* The guest's page tables and what the check requires of each VP: the
 * oracle, in static storage. */
#define ORACLE_WORDS (2 * VTLS * NPAGES + 2 * MAX_VPS * VTLS * NPAGES + MAX_VPS * VTLS)
static TLBF_ATOMIC(uint64_t) oracle_words[ORACLE_WORDS];
static struct tlbf_oracle oracle;

static atomic_bool stop;
static _Atomic uint64_t calls[4], uses, stale, early, bad_status, holds, suspended, gpa_calls;
static _Atomic uint64_t decisions[TLBF_WAKE__COUNT];

static _Thread_local uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * UINT64_C(2685821657736338717);
}

/* ---- the initiator side: the VMM's flush hypercall handler ---- */

/* The hypercall handler of VP @caller. Returns the value for RAX. */
static uint64_t flush_hypercall(uint32_t caller, unsigned caller_vtl, uint64_t control,
                                const void *input, size_t len)
{
	struct tlbf_flush_request req;
	enum tlbf_hv_status st =
	    tlbf_hypercall_decode(control, input, len, part.vp_count, caller_vtl, &req, NULL);
	if (st != TLBF_HV_STATUS_SUCCESS)
		return tlbf_hypercall_result(control, st);
	/* The oracle's snapshot of the TLB-lock holds the call must wait for. */
	uint64_t held_before[MAX_VPS];
	tlbf_oracle_call_begin(&oracle, held_before, &req.vps, req.target_vtl);
	static _Thread_local struct tlbf_flush_outcome out; /* ~1 KiB: off the stack */
	enum tlbf_status fs = tlbf_flush_handle(&part, &be, &req, caller, &call_stats[caller], &out);
	if (fs == TLBF_STATUS_SUSPEND) {
		/* A VP of the set holds the target VTL's TLB lock: the caller
		 * stays suspended (its hypercall not completed) until the last
		 * such holder released it and woke it. */
		atomic_fetch_add_explicit(&suspended, 1, memory_order_relaxed);
		while (tlbf_tlb_lock_must_wait(&part, caller))
			tlbf_mock_halt(&mock, caller);
	} else if (fs != TLBF_STATUS_OK) {
		fprintf(stderr, "flush not completed: %s, kick rc %d\n", tlbf_status_name(fs),
		        out.kick_rc);
		exit(1);
	}
	if (tlbf_oracle_call_end(&oracle, held_before, req.target_vtl, caller) &&
	    atomic_fetch_add(&early, 1) < 5)
		fprintf(stderr, "EARLY: VP %u's flush call completed while a holder still held\n",
		        caller);
	for (unsigned i = 0; i < TLBF_WAKE__COUNT; i++)
		atomic_fetch_add_explicit(&decisions[i], out.plan.reasons[i], memory_order_relaxed);
	return tlbf_hypercall_result(control, TLBF_HV_STATUS_SUCCESS);
}

/* The VMM changed the guest-physical mapping of a page of @vtl (a VTL
 * protection, say): its own request, every VP, no VP initiating. */
static void vmm_changes_mapping(unsigned vtl)
{
	uint32_t page = (uint32_t)(rnd() % NPAGES);
	uint64_t v = tlbf_oracle_change(&oracle, vtl, page, true);
	struct tlbf_flush_request req;
	static _Thread_local struct tlbf_flush_outcome out;
	if (tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_GPA, vtl, part.vp_count) !=
	    TLBF_STATUS_OK) {
		atomic_fetch_add(&bad_status, 1);
		return;
	}
	/* With TLB locks nobody can be suspended for a call of no VP: done,
	 * but holders were not waited for. */
	enum tlbf_status fs = tlbf_flush_handle(&part, &be, &req, TLBF_NO_VP, &vmm_stats, &out);
	if (fs != TLBF_STATUS_LOCKS_IGNORED) {
		if (atomic_fetch_add(&bad_status, 1) < 5)
			fprintf(stderr, "the VMM's flush returned %s\n", tlbf_status_name(fs));
		return;
	}
	tlbf_oracle_flushed(&oracle, NULL, vtl, page, v, true);
	atomic_fetch_add_explicit(&gpa_calls, 1, memory_order_relaxed);
}

/* VTL1 of VP @self locks VTL0's TLB for a moment (it relies on VTL0's
 * translations), then releases it, which wakes the callers it held up. */
static void vtl1_holds_lock(uint32_t self)
{
	if (tlbf_tlb_lock(&part, self, 1, 0) != TLBF_STATUS_OK) {
		atomic_fetch_add(&bad_status, 1);
		return;
	}
	tlbf_oracle_hold(&oracle, self, 0, true);
	for (unsigned i = 1 + (unsigned)(rnd() % 8); i; i--)
		sched_yield();
	tlbf_oracle_hold(&oracle, self, 0, false);
	if (tlbf_tlb_unlock(&part, &be, self, 1, 0) != TLBF_STATUS_OK)
		atomic_fetch_add(&bad_status, 1);
	atomic_fetch_add_explicit(&holds, 1, memory_order_relaxed);
}

/* ---- the guest kernel of VP @self: change pages, then flush ---- */

static const char *const call_names[4] = {"FlushVirtualAddressSpace", "FlushVirtualAddressList",
                                          "FlushVirtualAddressSpaceEx",
                                          "FlushVirtualAddressListEx"};

static void guest_changes_pages(uint32_t self, unsigned vtl)
{
	unsigned call = (unsigned)(rnd() % 4);
	bool non_global = call == 0;      /* Space: non-global mappings only */
	bool list = call == 1 || call == 3;
	bool ex = call >= 2;
	/* Target: the VTL we ran, or from VTL 1 now and then VTL 0. */
	unsigned target = vtl;
	uint64_t flags = 0;
	if (vtl == 1 && (rnd() & 1)) {
		target = 0;
		flags |= TLBF_HV_FLUSH_USE_TARGET_VTL | TLBF_HV_FLUSH_TARGET_VTL0;
	}
	uint64_t set = rnd() & ((UINT64_C(1) << nvps) - 1);
	bool all = set == 0 || (rnd() & 3) == 0;
	if (all && !ex)
		flags |= TLBF_HV_FLUSH_ALL_PROCESSORS;
	if (non_global)
		flags |= TLBF_HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY;

	/* Change the page table first, as a guest kernel does. */
	uint32_t pages[NPAGES];
	uint64_t newver[NPAGES];
	unsigned npages = 0;
	unsigned nranges = list ? 1 + (unsigned)(rnd() % 3) : 0;
	for (unsigned i = 0; i < (list ? nranges : NPAGES); i++) {
		uint32_t p = list ? (uint32_t)(rnd() % NPAGES) : i;
		if (!list && (non_global ? p < NGLOBAL : false))
			continue; /* a non-global flush cannot cover global pages */
		if (!list && (rnd() & 1))
			continue;
		pages[npages] = p;
		newver[npages++] = tlbf_oracle_change(&oracle, target, p, false);
	}

	/* The hypercall input page, word by word. */
	uint64_t in[8];
	unsigned n = 0;
	in[n++] = 0;     /* address space */
	in[n++] = flags;
	unsigned varhdr = 0;
	if (!ex) {
		in[n++] = all ? 0 : set; /* processor mask */
	} else if (all) {
		in[n++] = TLBF_HV_GENERIC_SET_ALL;
		in[n++] = 0; /* valid bank mask: no banks */
	} else {
		in[n++] = TLBF_HV_GENERIC_SET_SPARSE_4K;
		in[n++] = 1; /* bank 0 only */
		in[n++] = set;
		varhdr = 1;
	}
	for (unsigned i = 0; i < nranges; i++)
		in[n++] = tlbf_hv_gva_make(pages[i], 0);
	static const uint16_t codes[4] = {TLBF_HVCALL_FLUSH_VA_SPACE, TLBF_HVCALL_FLUSH_VA_LIST,
	                                  TLBF_HVCALL_FLUSH_VA_SPACE_EX,
	                                  TLBF_HVCALL_FLUSH_VA_LIST_EX};
	uint64_t control = tlbf_hv_control_make(codes[call], false, varhdr, nranges, 0);

	uint64_t result = flush_hypercall(self, vtl, control, in, n * sizeof(uint64_t));
	atomic_fetch_add_explicit(&calls[call], 1, memory_order_relaxed);
	if (result != (uint64_t)nranges << 32) {
		if (atomic_fetch_add(&bad_status, 1) < 5)
			fprintf(stderr, "%s returned %#llx\n", call_names[call],
			        (unsigned long long)result);
		return;
	}
	/* The hypercall returned: the set the guest meant must not see the
	 * old versions. */
	struct tlbf_vpset meant;
	tlbf_vpset_init_mask(&meant, all ? (UINT64_C(1) << nvps) - 1 : set, nvps);
	for (unsigned i = 0; i < npages; i++)
		tlbf_oracle_flushed(&oracle, &meant, target, pages[i], newver[i], false);
}

/* ---- the guest code of VP @self: translations through its TLB ---- */

static void guest_runs(uint32_t self, unsigned vtl)
{
	unsigned steps = 1 + (unsigned)(rnd() % 32);
	for (unsigned i = 0; i < steps; i++) {
		if (tlbf_mock_take_cancel(&mock, self))
			return; /* kicked: the VM exits */
		uint32_t page = (uint32_t)(rnd() % NPAGES);
		atomic_fetch_add_explicit(&uses, 1, memory_order_relaxed);
		if (tlbf_oracle_access(&oracle, &mock, self, vtl, page, page < NGLOBAL) &&
		    atomic_fetch_add(&stale, 1) < 5)
			fprintf(stderr, "STALE: VP %u VTL %u page %u used at a version a completed"
			                " flush call removed\n",
			        self, vtl, page);
		if ((rnd() & 7) == 0)
			sched_yield();
	}
}

/* ---- the VP side: the run loop of one VP thread ---- */

static void *vp_thread(void *arg)
{
	uint32_t self = (uint32_t)(uintptr_t)arg;
	static _Thread_local uint64_t list[LIST_CAP];
	struct tlbf_entry e;
	rng = (rng | 1) * (self + 1) + UINT64_C(0x9e3779b97f4a7c15);
	if (tlbf_entry_init(&e, &part, &be, self, list, LIST_CAP, &vp_stats[self]) !=
	    TLBF_STATUS_OK) {
		fprintf(stderr, "VP %u: entry driver refused\n", self);
		exit(1);
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned vtl = (unsigned)(rnd() % VTLS);
		if (tlbf_entry_prepare(&e, vtl) != TLBF_STATUS_OK) {
			fprintf(stderr, "VP %u: entry into VTL %u refused\n", self, vtl);
			exit(1);
		}
		bool entered = tlbf_mock_enter(&mock, self, vtl);
		if (entered) {
			guest_runs(self, vtl);
			tlbf_mock_leave(&mock, self);
		}
		/* The guest stopped: count, clear what the entry flushed, and
		 * the VP is outside (V4) before it handles its exit. */
		if (tlbf_entry_done(&e, entered) != TLBF_STATUS_OK) {
			fprintf(stderr, "VP %u: entry done out of sequence\n", self);
			exit(1);
		}
		if (VTLS > 1 && (rnd() & 15) == 0)
			vtl1_holds_lock(self);
		if (self < nvps / 2 && (rnd() & 3) == 0)
			guest_changes_pages(self, vtl);
		if (self == 0 && (rnd() & 63) == 0)
			vmm_changes_mapping((unsigned)(rnd() % VTLS));
	}
	return NULL;
}

/* tlbf_stats_export()'s callback: print the non-zero counters, keep two. */
struct exported {
	uint64_t entries, cancelled;
};

static void print_counter(void *ctx, const char *name, uint64_t value)
{
	struct exported *ex = ctx;
	if (!strcmp(name, "entries"))
		ex->entries = value;
	else if (!strcmp(name, "entries_cancelled"))
		ex->cancelled = value;
	if (value)
		printf(" %s %llu", name, (unsigned long long)value);
}

static void yield(void *arg)
{
	(void)arg;
	sched_yield();
}

int main(int argc, char **argv)
{
	double seconds = 2;
	uint64_t seed = (uint64_t)time(NULL);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--vps") && i + 1 < argc)
			nvps = (uint32_t)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: %s [--seconds S] [--vps 2..%d] [--seed X]\n", argv[0],
			        MAX_VPS);
			return 2;
		}
	}
	if (nvps < 2 || nvps > MAX_VPS || !(seconds > 0)) {
		fprintf(stderr, "vmm-run-loop: --vps must be 2..%d and --seconds positive\n", MAX_VPS);
		return 2;
	}
	rng = seed;

	/* The partition: a ring per VTL, a state line per VP, the TLB-lock
	 * state; the mock; the oracle. */
	if (tlbf_partition_init(&part, vps, locks, nvps) != TLBF_STATUS_OK) {
		fprintf(stderr, "partition of %u VPs refused\n", nvps);
		return 1;
	}
	if (tlbf_oracle_init(&oracle, oracle_words, ORACLE_WORDS, nvps, NPAGES, 0) !=
	    TLBF_STATUS_OK) {
		fprintf(stderr, "oracle refused\n");
		return 1;
	}
	tlbf_mock_init(&mock, mock_vps, nvps, NULL, 0);
	mock.relax = yield; /* waiting initiators yield to the VP threads */
	be = tlbf_mock_backend(&mock);

	pthread_t tid[MAX_VPS];
	for (uint32_t i = 0; i < nvps; i++) {
		if (pthread_create(&tid[i], NULL, vp_thread, (void *)(uintptr_t)i) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
	nanosleep(&ts, NULL);
	atomic_store(&stop, true);
	for (uint32_t i = 0; i < nvps; i++)
		pthread_join(tid[i], NULL);

	uint64_t entries = 0, cancelled = 0, total = 0;
	for (uint32_t i = 0; i < nvps; i++) {
		entries += mock_vps[i].entries;
		cancelled += mock_vps[i].cancelled;
	}
	printf("vmm-run-loop: %u VPs (%u making hypercalls), %.1f s, seed %llu\n", nvps, nvps / 2,
	       seconds, (unsigned long long)seed);
	for (unsigned c = 0; c < 4; c++) {
		printf("  %-28s %llu\n", call_names[c], (unsigned long long)calls[c]);
		total += calls[c];
	}
	printf("  guest entries %llu (%llu cancelled by a kick), translations used %llu\n",
	       (unsigned long long)entries, (unsigned long long)cancelled,
	       (unsigned long long)uses);
	printf("  per VP of a set:");
	for (unsigned i = 0; i < TLBF_WAKE__COUNT; i++)
		printf(" %s %llu", tlbf_wake_name((enum tlbf_wake)i),
		       (unsigned long long)decisions[i]);
	printf("\n  the VMM's guest-physical flushes %llu; VTL1 TLB-lock holds %llu, flush calls"
	       " suspended for them %llu\n",
	       (unsigned long long)gpa_calls, (unsigned long long)holds,
	       (unsigned long long)suspended);
	/* The library's counters, as a VMM exports them. */
	const struct tlbf_stats *srcs[2 * MAX_VPS + 1];
	for (uint32_t i = 0; i < nvps; i++) {
		srcs[2 * i] = &vp_stats[i];
		srcs[2 * i + 1] = &call_stats[i];
	}
	srcs[2 * nvps] = &vmm_stats;
	struct exported ex = {0, 0};
	printf("  counters (tlbf_stats_export, non-zero):");
	tlbf_stats_export(srcs, 2 * nvps + 1, print_counter, &ex);
	printf("\n  stale translations used %llu, early completions %llu, failed hypercalls %llu\n",
	       (unsigned long long)stale, (unsigned long long)early,
	       (unsigned long long)bad_status);
	/* The counters agree with the mock: every entry counted. */
	bool counted = ex.entries == entries && ex.cancelled == cancelled;
	if (!counted)
		printf("  counters: %llu entries, %llu cancelled; the mock: %llu, %llu\n",
		       (unsigned long long)ex.entries, (unsigned long long)ex.cancelled,
		       (unsigned long long)entries, (unsigned long long)cancelled);
	bool ok = stale == 0 && early == 0 && bad_status == 0 && total > 0 && uses > 0 &&
	          counted;
	printf("%s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
