/* SPDX-License-Identifier: MIT */
/*
 * vmm-run-loop - a small VMM on the mock backend: the two code paths a VMM
 * writes against tlbflush, with several VP threads.
 *
 *   vmm-run-loop [--seconds S] [--vps N] [--seed X]
 *
 * Every VP thread runs the VP run loop: prepare the entry (announce, poll,
 * flush through the backend, publish), enter the mock, run "guest code"
 * that translates pages through the VP's software TLB, leave on a kick or
 * after a while, exit. The guest's page table is an array of versions, one
 * per page and VTL. Half of the VPs also play a guest kernel that changes
 * its page table: on a VM exit they bump the versions of a few pages, then
 * make a flush hypercall whose input they lay out as the guest would (one
 * of the four calls, with a 64-bit processor mask, a sparse HV_VP_SET or
 * all processors) and hand it to the VMM's hypercall handler: decode, then
 * tlbf_flush_handle().
 *
 * The check: once a handler has returned, no VP of the request's set may
 * use a translation of a changed page at an older version. A VP that does
 * counts as a stale use; the program exits with status 1 if there is any,
 * if a hypercall returns anything but success, or if nothing happened.
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

#define MAX_VPS 16
#define NPAGES 16
#define NGLOBAL 4 /* pages 0..3 are global mappings (kept by non-global flushes) */
#define VTLS TLBF_VTL_COUNT
#define MASK_WORDS TLBF_MASK_WORDS(MAX_VPS)

/* The VMM's partition and its backend. */
static struct tlbf_ring rings[VTLS];
static struct tlbf_vp vps[MAX_VPS];
static struct tlbf_partition part;
static struct tlbf_mock mock;
static struct tlbf_mock_vp mock_vps[MAX_VPS];
static struct tlbf_backend be;
static uint32_t nvps = 4;

/* The guest's page tables and what the check requires of each VP. */
static _Atomic uint64_t page_version[VTLS][NPAGES];
static _Atomic uint64_t required[MAX_VPS][VTLS][NPAGES];

static atomic_bool stop;
static _Atomic uint64_t calls[4], uses, stale, bad_status, decisions[TLBF_WAKE__COUNT];

static _Thread_local uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * UINT64_C(2685821657736338717);
}

/* ---- the initiator side: the VMM's flush hypercall handler ---- */

static uint64_t flush_hypercall(uint32_t caller, unsigned caller_vtl, uint64_t control,
                                const void *input, size_t len)
{
	struct tlbf_flush_request req;
	enum tlbf_hv_status st =
	    tlbf_hypercall_decode(control, input, len, part.vp_count, caller_vtl, &req, NULL);
	if (st != TLBF_HV_STATUS_SUCCESS)
		return (uint64_t)st;
	uint64_t kick[MASK_WORDS], wait[MASK_WORDS];
	struct tlbf_flush_outcome out;
	if (tlbf_flush_handle(&part, &be, &req, caller, kick, wait, MASK_WORDS, &out) !=
	    TLBF_STATUS_OK) {
		fprintf(stderr, "flush not completed: kick rc %d\n", out.kick_rc);
		exit(1);
	}
	for (unsigned i = 0; i < TLBF_WAKE__COUNT; i++)
		atomic_fetch_add_explicit(&decisions[i], out.plan.reasons[i], memory_order_relaxed);
	return (uint64_t)TLBF_HV_STATUS_SUCCESS | (control & TLBF_HV_CONTROL_REP_COUNT_MASK);
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
	uint64_t pages[NPAGES], newver[NPAGES];
	unsigned npages = 0;
	unsigned nranges = list ? 1 + (unsigned)(rnd() % 3) : 0;
	for (unsigned i = 0; i < (list ? nranges : NPAGES); i++) {
		uint64_t p = list ? rnd() % NPAGES : i;
		if (!list && (non_global ? p < NGLOBAL : false))
			continue; /* a non-global flush cannot cover global pages */
		if (!list && (rnd() & 1))
			continue;
		pages[npages] = p;
		newver[npages++] =
		    atomic_fetch_add_explicit(&page_version[target][p], 1, memory_order_release) + 1;
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
	/* The hypercall returned: the set must not see the old versions. */
	for (uint32_t v = 0; v < nvps; v++) {
		if (!all && !((set >> v) & 1))
			continue;
		for (unsigned i = 0; i < npages; i++) {
			_Atomic uint64_t *r = &required[v][target][pages[i]];
			uint64_t cur = atomic_load_explicit(r, memory_order_relaxed);
			while (cur < newver[i] &&
			       !atomic_compare_exchange_weak_explicit(r, &cur, newver[i],
			                                              memory_order_release,
			                                              memory_order_relaxed))
				;
		}
	}
}

/* ---- the guest code of VP @self: translations through its TLB ---- */

static void guest_runs(uint32_t self, unsigned vtl)
{
	unsigned steps = 1 + (unsigned)(rnd() % 32);
	for (unsigned i = 0; i < steps; i++) {
		if (tlbf_mock_take_cancel(&mock, self))
			return; /* kicked: the VM exits */
		uint64_t page = rnd() % NPAGES, ver;
		if (!tlbf_mock_tlb_lookup(&mock, self, vtl, page, &ver)) {
			ver = atomic_load_explicit(&page_version[vtl][page], memory_order_acquire);
			tlbf_mock_tlb_fill(&mock, self, vtl, page, ver, page < NGLOBAL);
		}
		uint64_t need = atomic_load_explicit(&required[self][vtl][page], memory_order_acquire);
		atomic_fetch_add_explicit(&uses, 1, memory_order_relaxed);
		if (ver < need && atomic_fetch_add(&stale, 1) < 5)
			fprintf(stderr, "STALE: VP %u VTL %u page %llu at version %llu, flushed to %llu\n",
			        self, vtl, (unsigned long long)page, (unsigned long long)ver,
			        (unsigned long long)need);
		if ((rnd() & 7) == 0)
			sched_yield();
	}
}

/* ---- the VP side: the run loop of one VP thread ---- */

static void *vp_thread(void *arg)
{
	uint32_t self = (uint32_t)(uintptr_t)arg;
	static _Thread_local uint64_t list_page[TLBF_TDX_LIST_MAX];
	struct tlbf_vp_local local;
	struct tlbf_tdx_vp tdx;
	rng = (rng | 1) * (self + 1) + UINT64_C(0x9e3779b97f4a7c15);
	tlbf_tdx_vp_init(&tdx, self, list_page, 0x1000 + self);
	tlbf__vp_start(&vps[self], &local, part.rings);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned vtl = (unsigned)(rnd() % VTLS);
		tlbf_tdx_prepare_entry(&be, &tdx, &vps[self], &local, part.rings[vtl], vtl);
		bool entered = tlbf_mock_enter(&mock, self, vtl);
		tlbf_tdx_entry_done(&tdx, vtl, entered);
		if (entered) {
			guest_runs(self, vtl);
			tlbf_mock_leave(&mock, self);
		}
		tlbf__vp_exit(&vps[self], &local);
		if (self < nvps / 2 && (rnd() & 3) == 0)
			guest_changes_pages(self, vtl);
	}
	return NULL;
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

	/* The partition: a ring per VTL, a state line per VP, the mock. */
	struct tlbf_ring *ring_ptrs[VTLS];
	for (unsigned v = 0; v < VTLS; v++) {
		tlbf_ring_init(&rings[v]);
		ring_ptrs[v] = &rings[v];
	}
	for (uint32_t i = 0; i < nvps; i++)
		tlbf__vp_init(&vps[i]);
	if (tlbf_partition_init(&part, ring_ptrs, vps, nvps) != TLBF_STATUS_OK) {
		fprintf(stderr, "partition of %u VPs refused\n", nvps);
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
	printf("\n  stale translations used %llu, failed hypercalls %llu\n",
	       (unsigned long long)stale, (unsigned long long)bad_status);
	bool ok = stale == 0 && bad_status == 0 && total > 0 && uses > 0;
	printf("%s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
