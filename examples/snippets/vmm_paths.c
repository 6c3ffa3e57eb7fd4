/* SPDX-License-Identifier: MIT */
/*
 * The integration guide of README.md, compiled and run.
 *
 * Each region between a "readme:NAME" and a "readme:end" marker appears in
 * README.md byte for byte; tests/snippets/check_readme_snippets.py checks
 * that, and compiles this file. The code around the regions makes it a
 * program: two VP threads on the mock backend run the VP run loop, and
 * VP 0's exits are flush hypercalls (raw input pages, List and ListEx)
 * that go through the hypercall handler, while the guest code of both VPs
 * checks every access with the stale-translation oracle. VP 1's VTL1 now
 * and then locks VTL0's TLB (VSM TLB locks) until VP 0's flush call is
 * suspended for it. It fails if a hypercall does not return the result
 * expected, if the oracle reports a stale translation or an early
 * completion, if no flush call was ever suspended and resumed, or if the
 * counters disagree with what it counted itself. Whether VP 1 is ever
 * kicked depends on the schedule (a loaded machine may run the two threads
 * in turn): the kick paths are checked by tests/stress and the simulator.
 */
#define _POSIX_C_SOURCE 200809L /* pthread_barrier_t */
#define TLBF_STATS 1 /* the counters of tlbflush/stats.h (see readme:stats) */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void vmm_fatal(const char *what);
static void vmm_suspend_for_tlb_locks(uint32_t vp);

// readme:backend
#include <string.h> /* strcmp */

#include "tlbflush/tlbflush.h"
#include "tlbflush/mock_backend.h" /* software TLB: tests, simulation */
#if defined(__x86_64__) && defined(__linux__)
#include "tlbflush/tdx_hw.h" /* TDX: TDCALL, or the mshv_vtl ioctls */
#endif

#define VMM_VPS 2

static struct vmm {
	struct tlbf_vp vps[VMM_VPS];                /* one cache line per VP */
	struct tlbf_tlb_lock_vp tlb_locks[VMM_VPS]; /* only with VSM TLB locks */
	struct tlbf_partition pt;                   /* owns a flush ring per VTL */
	struct tlbf_backend be;                     /* the backend, selected once */
	struct tlbf_mock mock;
	struct tlbf_mock_vp mock_vps[VMM_VPS];
#if defined(__x86_64__) && defined(__linux__)
	struct tlbf_tdx_mshv mshv;     /* the mshv_vtl fd, run pages, list pages */
	struct tlbf_tdx_tdcall tdcall; /* enter-flags array, your IPI and wake */
#endif
} vmm;

static void vmm_init(const char *backend)
{
	/* Refuses a partition this build cannot serve (VMM_VPS > TLBF_MAX_VPS).
	 * Without VSM TLB locks, pass NULL for the lock array. */
	if (tlbf_partition_init(&vmm.pt, vmm.vps, vmm.tlb_locks, VMM_VPS) != TLBF_STATUS_OK)
		vmm_fatal("partition");
#if defined(__x86_64__) && defined(__linux__)
	if (strcmp(backend, "mshv") == 0) { /* user-mode paravisor */
		vmm.be = tlbf_tdx_mshv_backend(&vmm.mshv);
		return;
	}
	if (strcmp(backend, "tdcall") == 0) { /* kernel or L1 code */
		vmm.be = tlbf_tdx_tdcall_backend(&vmm.tdcall);
		return;
	}
#else
	(void)backend;
#endif
	tlbf_mock_init(&vmm.mock, vmm.mock_vps, VMM_VPS, NULL, 0);
	vmm.be = tlbf_mock_backend(&vmm.mock);
}
// readme:end

static void vmm_fatal(const char *what)
{
	fprintf(stderr, "vmm_paths: %s\n", what);
	exit(1);
}

// readme:stats
/* Counters: one struct per VP (its entry path counts) and one per thread
 * that handles hypercalls (here, the VP threads). An exporter sums and
 * names them whenever it likes, from any thread, while they count. */
static struct tlbf_stats vmm_vp_stats[VMM_VPS], vmm_handler_stats[VMM_VPS];

static void vmm_export_stats(void (*emit)(void *, const char *, uint64_t), void *ctx)
{
	const struct tlbf_stats *all[2 * VMM_VPS];
	for (unsigned i = 0; i < VMM_VPS; i++) {
		all[i] = &vmm_vp_stats[i];
		all[VMM_VPS + i] = &vmm_handler_stats[i];
	}
	tlbf_stats_export(all, 2 * VMM_VPS, emit, ctx);
}
// readme:end

// readme:handler
/* A flush hypercall of VP @caller, made from VTL @vtl: control in RCX, the
 * input page (or a fast call's registers) at @input. Returns RAX. */
static uint64_t vmm_flush_hypercall(uint32_t caller, unsigned vtl, uint64_t control,
                                    const void *input, size_t len)
{
	struct tlbf_flush_request req;
	enum tlbf_hv_status hv = tlbf_hypercall_decode(control, input, len, vmm.pt.vp_count, vtl,
	                                               &req, NULL);
	if (hv != TLBF_HV_STATUS_SUCCESS)
		return tlbf_hypercall_result(control, hv); /* refused */
	/* Record in the target VTL's ring, fence, decide for each VP of the
	 * set, kick the ones that must flush now and wait for them. */
	struct tlbf_flush_outcome out;
	enum tlbf_status st = tlbf_flush_handle(&vmm.pt, &vmm.be, &req, caller,
	                                        &vmm_handler_stats[caller], &out);
	if (st == TLBF_STATUS_SUSPEND) /* a VP of the set holds its TLB lock */
		vmm_suspend_for_tlb_locks(caller); /* see "VSM TLB locks" */
	else if (st != TLBF_STATUS_OK)
		vmm_fatal("flush not completed"); /* VPs may run with stale entries */
	return tlbf_hypercall_result(control, TLBF_HV_STATUS_SUCCESS);
}
// readme:end

#define VMM_TRIPS 3000

// readme:tlb-locks
/* VP @vp's VTL1 sets TlbLocked in its VSM VP secure configuration register,
 * or translates a GVA with the TLB-flush-inhibit flag: VTL0's TLB is locked
 * until it clears the bit or returns to VTL0. (The paravisor locks the TLB
 * of the VTL whose instruction it emulates: requesting VTL 2.) */
static void vmm_vtl1_locks_tlb(uint32_t vp)
{
	if (tlbf_tlb_lock(&vmm.pt, vp, 1, 0) != TLBF_STATUS_OK)
		vmm_fatal("TLB lock");
}

/* ... and releases it: @returning, VP @vp returns from VTL1 to VTL0 (every
 * lock VTL1 holds goes); else VTL1 cleared TlbLocked. The VPs whose flush
 * calls this release ended are woken with the backend's wake. */
static void vmm_vtl1_releases_tlb(uint32_t vp, bool returning)
{
	if (tlbf_tlb_unlock(&vmm.pt, &vmm.be, vp, 1, returning ? TLBF_TLB_UNLOCK_ALL : 0) !=
	    TLBF_STATUS_OK)
		vmm_fatal("TLB unlock");
}

/* TLBF_STATUS_SUSPEND: the call is recorded and its VPs flush, but it may
 * complete only once every holder of its snapshot released its lock. The
 * VP stays suspended (its hypercall not completed) and halts until woken,
 * checking again each time; then the call completes. The mock's wake flag
 * is sticky, so a wake sent while must_wait runs is not lost. */
static void vmm_suspend_for_tlb_locks(uint32_t vp)
{
	while (tlbf_tlb_lock_must_wait(&vmm.pt, vp))
		tlbf_mock_halt(&vmm.mock, vp);
}
// readme:end

static uint64_t vp1_locks, vp1_saw_waiter; /* VP 1's thread, read after the join */

static _Atomic uint64_t kicked_out;
static uint64_t hypercalls; /* VP 0's thread, read after the join */

struct vmm_vp_thread;
static bool vmm_stopping(struct vmm_vp_thread *t);
static void vmm_guest_runs(struct vmm_vp_thread *t, unsigned vtl);
static void vmm_handle_exit(struct vmm_vp_thread *t, unsigned vtl);

// readme:run-loop
#define VMM_LIST_MAX 512 /* ranges one 4 KiB page holds */

struct vmm_vp_thread {
	uint32_t index;
	struct tlbf_entry entry; /* this VP's entry driver: its thread only */
	/* Where polls write ranges for a list flush (TDX: the INVGLA list
	 * page, in TD-private memory; its frame goes in the backend's
	 * list_pfn[index]). */
	TLBF_ALIGNAS(4096) uint64_t list[VMM_LIST_MAX];
};

static void *vmm_vp_run(void *arg)
{
	struct vmm_vp_thread *t = arg;
	if (tlbf_entry_init(&t->entry, &vmm.pt, &vmm.be, t->index, t->list, VMM_LIST_MAX,
	                    &vmm_vp_stats[t->index]) != TLBF_STATUS_OK)
		vmm_fatal("entry driver");
	while (!vmm_stopping(t)) {
		unsigned vtl = 0; /* the VTL this entry runs */
		/* Announce, poll, flush a list now or at entry, publish. */
		if (tlbf_entry_prepare(&t->entry, vtl) != TLBF_STATUS_OK)
			vmm_fatal("entry");
		bool entered = tlbf_mock_enter(&vmm.mock, t->index, vtl); /* TDX: run ioctl */
		if (entered) {
			vmm_guest_runs(t, vtl);               /* until an exit or a kick */
			tlbf_mock_leave(&vmm.mock, t->index); /* TDX: the ioctl returned */
		}
		/* Pending flush done if entered; the VP is outside the guest. */
		if (tlbf_entry_done(&t->entry, entered) != TLBF_STATUS_OK)
			vmm_fatal("entry");
		vmm_handle_exit(t, vtl); /* e.g. vmm_flush_hypercall() */
	}
	return NULL;
}
// readme:end

static pthread_barrier_t vmm_start;
static _Atomic bool vp0_done;
static struct {
	unsigned trips;
	bool saw_vp0_done;
} progress[VMM_VPS];

/* VP 0 makes VMM_TRIPS trips; the others run until one trip after they
 * saw VP 0 done, so that they poll after its last flush. */
static bool vmm_stopping(struct vmm_vp_thread *t)
{
	if (progress[t->index].trips++ == 0)
		pthread_barrier_wait(&vmm_start);
	sched_yield(); /* interleave the two VPs, even on one CPU */
	if (t->index == 0) {
		if (progress[0].trips <= VMM_TRIPS)
			return false;
		atomic_store(&vp0_done, true);
		return true;
	}
	if (progress[t->index].saw_vp0_done)
		return true;
	progress[t->index].saw_vp0_done = atomic_load(&vp0_done);
	return false;
}

// readme:oracle
#include "tlbflush/oracle.h" /* the stale-translation oracle (tests) */

#define VMM_PAGES 8 /* the test's pages: GVA pages 0 to 7 of each VTL */

static tlbf_oracle_word vmm_oracle_words[TLBF_ORACLE_WORDS(VMM_VPS, VMM_PAGES)];
static struct tlbf_oracle vmm_oracle; /* tlbf_oracle_init() in main() */

/* Guest code on the mock backend is the VP thread itself: every access
 * translates through the VP's software TLB, and the oracle says whether
 * it used a translation that a completed flush call covered. It stops at
 * the cancel signal of a kick, as a real guest is interrupted by the IPI. */
static void vmm_guest_runs(struct vmm_vp_thread *t, unsigned vtl)
{
	for (uint32_t page = 0; page < VMM_PAGES; page++) {
		if (tlbf_mock_take_cancel(&vmm.mock, t->index)) { /* kicked: exit */
			atomic_fetch_add_explicit(&kicked_out, 1, memory_order_relaxed);
			return;
		}
		if (tlbf_oracle_access(&vmm_oracle, &vmm.mock, t->index, vtl, page, false))
			vmm_fatal("stale translation");
	}
}

/* The test's guest changes pages 2 and 3 of @vtl, then asks VP @caller's
 * hypervisor to flush them on every VP; once the call completed, every VP
 * must use the new versions. */
static void vmm_test_flush_pages_2_3(uint32_t caller, unsigned vtl)
{
	uint64_t v2 = tlbf_oracle_change(&vmm_oracle, vtl, 2, false);
	uint64_t v3 = tlbf_oracle_change(&vmm_oracle, vtl, 3, false);
	/* HvCallFlushVirtualAddressList: address space, flags, processor
	 * mask, then one HV_GVA_RANGE per rep (page 2 and 1 more page). */
	uint64_t input[4] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0, tlbf_hv_gva_make(2, 1)};
	uint64_t control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST, false, 0, 1, 0);
	if (vmm_flush_hypercall(caller, vtl, control, input, sizeof(input)) !=
	    tlbf_hypercall_result(control, TLBF_HV_STATUS_SUCCESS))
		vmm_fatal("flush list: unexpected result");
	tlbf_oracle_flushed(&vmm_oracle, NULL, vtl, 2, v2, false); /* NULL: every VP */
	tlbf_oracle_flushed(&vmm_oracle, NULL, vtl, 3, v3, false);
}
// readme:end

// readme:input-pages
/* A flush of page 5 as an Ex call naming VPs 0 and 1: the input
 * page holds the address space, the flags, the HV_VP_SET (format, then
 * valid_bank_mask, then one 64-bit bank per set bit of the mask: bank 0
 * holds VPs 0-63), then the ranges. The banks are the call's variable
 * header: its size in 8-byte words goes in the control value. */
static void vmm_test_flush_ex(uint32_t caller, unsigned vtl)
{
	uint64_t v5 = tlbf_oracle_change(&vmm_oracle, vtl, 5, false);
	uint64_t input[6] = {
		0,                             /* address space (ignored with the flag) */
		TLBF_HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES,
		TLBF_HV_GENERIC_SET_SPARSE_4K, /* HV_VP_SET format */
		UINT64_C(1) << 0,              /* valid_bank_mask: bank 0 only */
		UINT64_C(3),                   /* bank 0: VPs 0 and 1 */
		tlbf_hv_gva_make(5, 0),        /* rep 0: page 5 */
	};
	uint64_t control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST_EX, false,
	                                        1 /* variable header: 1 bank */, 1, 0);
	if (vmm_flush_hypercall(caller, vtl, control, input, sizeof(input)) !=
	    tlbf_hypercall_result(control, TLBF_HV_STATUS_SUCCESS))
		vmm_fatal("flush list ex: unexpected result");
	/* Every VP of the set: here every VP (else a struct tlbf_vpset). */
	tlbf_oracle_flushed(&vmm_oracle, NULL, vtl, 5, v5, false);

	/* A reserved flag bit: refused with HV_STATUS_INVALID_PARAMETER (5),
	 * no rep completed. */
	input[1] |= UINT64_C(1) << 7;
	if (vmm_flush_hypercall(caller, vtl, control, input, sizeof(input)) !=
	    TLBF_HV_STATUS_INVALID_PARAMETER)
		vmm_fatal("reserved flag: unexpected result");
}
// readme:end

/* VP 0 exits with flush hypercalls; VP 1's VTL1 takes VTL0's TLB lock now
 * and then. */
static void vmm_handle_exit(struct vmm_vp_thread *t, unsigned vtl)
{
	if (t->index == 1 && progress[1].trips % 64 == 1) {
		/* VTL1 holds VTL0's lock until VP 0's flush call waits for it
		 * (or VP 0 is done), then releases it one way or the other. */
		vmm_vtl1_locks_tlb(1);
		vp1_locks++;
		while (tlbf_tlb_lock_waiting(&vmm.pt, 0, 0) == 0 && !atomic_load(&vp0_done))
			sched_yield();
		vp1_saw_waiter += tlbf_tlb_lock_waiting(&vmm.pt, 0, 0) != 0;
		vmm_vtl1_releases_tlb(1, vp1_locks % 2 == 0);
	}
	if (t->index != 0)
		return;
	vmm_test_flush_pages_2_3(0, vtl);
	vmm_test_flush_ex(0, vtl);
	/* Refused at rep start 3 of a 2-rep call (rep start past the rep
	 * count): the reps completed are clamped to the rep count. */
	uint64_t input[5] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0, tlbf_hv_gva_make(2, 0),
	                     tlbf_hv_gva_make(3, 0)};
	uint64_t control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST, false, 0, 2, 3);
	if (vmm_flush_hypercall(0, vtl, control, input, sizeof(input)) !=
	    (TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT | UINT64_C(2) << 32))
		vmm_fatal("rep start past the rep count: unexpected result");
	/* Refused with rep start 1 of 2: one rep reported completed (the guest
	 * resumes the call from there). */
	input[1] |= UINT64_C(1) << 7;
	control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST, false, 0, 2, 1);
	if (vmm_flush_hypercall(0, vtl, control, input, sizeof(input)) !=
	    (TLBF_HV_STATUS_INVALID_PARAMETER | UINT64_C(1) << 32))
		vmm_fatal("refused at rep start 1: unexpected result");
	hypercalls += 5;
}

/* The counters as the exporter reports them, by name. */
struct vmm_counters {
	uint64_t requests, kicks, list_flushes, entries;
};

static void vmm_collect(void *ctx, const char *name, uint64_t value)
{
	struct vmm_counters *c = ctx;
	if (value != 0)
		printf("tlbflush.%s %llu\n", name, (unsigned long long)value);
	if (strncmp(name, "requests.", 9) == 0)
		c->requests += value;
	else if (strcmp(name, "kicks") == 0)
		c->kicks = value;
	else if (strncmp(name, "flush_list.", 11) == 0 && strcmp(name, "flush_list.skipped") != 0)
		c->list_flushes += value;
	else if (strcmp(name, "entries") == 0)
		c->entries = value;
}

int main(void)
{
	static struct vmm_vp_thread threads[VMM_VPS];
	pthread_t tid[VMM_VPS];
	vmm_init("mock");
	if (tlbf_oracle_init(&vmm_oracle, vmm_oracle_words,
	                     sizeof(vmm_oracle_words) / sizeof(vmm_oracle_words[0]), VMM_VPS,
	                     VMM_PAGES, 0) != TLBF_STATUS_OK)
		vmm_fatal("oracle");
	pthread_barrier_init(&vmm_start, NULL, VMM_VPS);
	for (uint32_t i = 0; i < VMM_VPS; i++) {
		threads[i].index = i;
		if (pthread_create(&tid[i], NULL, vmm_vp_run, &threads[i]) != 0)
			vmm_fatal("pthread_create");
	}
	for (uint32_t i = 0; i < VMM_VPS; i++)
		pthread_join(tid[i], NULL);
	uint64_t kicks = atomic_load(&vmm.mock.kicks);
	printf("vmm_paths: %llu hypercalls, %llu kicks, %llu guest runs ended by a kick\n",
	       (unsigned long long)hypercalls, (unsigned long long)kicks,
	       (unsigned long long)atomic_load(&kicked_out));
	printf("vmm_paths: VP 1 locked VTL0's TLB %llu times, VP 0 suspended for it %llu times, "
	       "%llu wake-ups\n",
	       (unsigned long long)vp1_locks, (unsigned long long)vp1_saw_waiter,
	       (unsigned long long)atomic_load(&vmm.mock.wakes));
	if (hypercalls != 5 * VMM_TRIPS)
		vmm_fatal("not every hypercall was handled");
	if (vp1_saw_waiter == 0)
		vmm_fatal("no flush call was suspended for a TLB lock");
	/* The counters agree with what the program counted itself. */
	struct vmm_counters c = {0, 0, 0, 0};
	vmm_export_stats(vmm_collect, &c);
	if (c.requests != 2 * (hypercalls / 5)) /* three calls of five are refused */
		vmm_fatal("requests counted");
	if (c.kicks != kicks)
		vmm_fatal("kicks counted");
	if (c.list_flushes == 0 || c.entries == 0)
		vmm_fatal("VP side not counted");
	return 0;
}
