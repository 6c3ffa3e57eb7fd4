/* SPDX-License-Identifier: MIT */
/*
 * The integration guide of README.md, compiled and run.
 *
 * Each region between a "readme:NAME" and a "readme:end" marker appears in
 * README.md byte for byte; tests/snippets/check_readme_snippets.py checks
 * that, and compiles this file. The code around the regions makes it a
 * program: two VP threads on the mock backend run the VP run loop, and
 * VP 0's VM exits are flush hypercalls (real input bytes) that go through
 * the hypercall handler. VP 1's VTL1 now and then locks VTL0's TLB (VSM
 * TLB locks) until VP 0's flush call is suspended for it. It fails if a
 * hypercall does not return the status expected, if no flush call was ever
 * suspended and resumed, or if the counters disagree with what it counted
 * itself. Whether VP 1 is ever kicked depends on the schedule (a loaded
 * machine may run the two threads in turn): the kick paths are checked by
 * tests/stress and the simulator.
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
#if defined(__x86_64__)
#include "tlbflush/tdx_hw.h" /* TDX: TDCALL, or the mshv_vtl ioctls */
#endif

#define VMM_VPS 2

static struct vmm {
	struct tlbf_ring rings[TLBF_VTL_COUNT]; /* one flush ring per VTL */
	struct tlbf_vp vps[VMM_VPS];            /* one cache line per VP */
	struct tlbf_partition pt;               /* rings and VPs, for the handler */
	struct tlbf_backend be;                 /* the backend, selected once */
	struct tlbf_mock mock;
	struct tlbf_mock_vp mock_vps[VMM_VPS];
#if defined(__x86_64__)
	struct tlbf_tdx_mshv mshv;     /* the mshv_vtl fd, each VP's run page */
	struct tlbf_tdx_tdcall tdcall; /* enter-flags array, your IPI function */
#endif
} vmm;

static void vmm_init(const char *backend)
{
	struct tlbf_ring *rings[TLBF_VTL_COUNT];
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++) {
		tlbf_ring_init(&vmm.rings[v]);
		rings[v] = &vmm.rings[v];
	}
	for (unsigned i = 0; i < VMM_VPS; i++)
		tlbf__vp_init(&vmm.vps[i]);
	/* Refuses a partition this build cannot serve (VMM_VPS > TLBF_MAX_VPS). */
	if (tlbf_partition_init(&vmm.pt, rings, vmm.vps, VMM_VPS) != TLBF_STATUS_OK)
		vmm_fatal("partition");
#if defined(__x86_64__)
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
 * that handles hypercalls (here, the VP threads). An exporter folds them
 * whenever it likes, from any thread, while they count. */
static struct tlbf_stats vmm_vp_stats[VMM_VPS], vmm_handler_stats[VMM_VPS];

static void vmm_print_counter(void *f, const char *name, uint64_t value)
{
	if (value != 0)
		fprintf(f, "tlbflush.%s %llu\n", name, (unsigned long long)value);
}

static void vmm_export_stats(FILE *f, struct tlbf_stats *sum)
{
	tlbf_stats_init(sum);
	for (unsigned i = 0; i < VMM_VPS; i++) {
		tlbf_stats_fold(sum, &vmm_vp_stats[i]);
		tlbf_stats_fold(sum, &vmm_handler_stats[i]);
	}
	tlbf_stats_foreach(sum, vmm_print_counter, f);
}
// readme:end

// readme:handler
/* A flush hypercall of VP @caller, made from VTL @vtl. Returns the result
 * value: the status in bits 0-15, the reps completed in bits 32-43. */
static uint64_t vmm_flush_hypercall(uint32_t caller, unsigned vtl, uint64_t control,
                                    const void *input, size_t len)
{
	struct tlbf_flush_request req;
	enum tlbf_hv_status st = tlbf_hypercall_decode(control, input, len, vmm.pt.vp_count,
	                                               vtl, &req, NULL);
	if (st != TLBF_HV_STATUS_SUCCESS) /* refused: reps completed = rep start */
		return (uint64_t)st | ((control & TLBF_HV_CONTROL_REP_START_MASK) >>
		                       TLBF_HV_CONTROL_REP_START_SHIFT) << 32;
	/* Record in the target VTL's ring, fence, decide for each VP of the
	 * set, kick the ones that must flush now and wait for them. */
	uint64_t kick[TLBF_MASK_WORDS(VMM_VPS)], wait[TLBF_MASK_WORDS(VMM_VPS)];
	struct tlbf_flush_outcome out;
	enum tlbf_status done = tlbf_flush_handle(&vmm.pt, &vmm.be, &req, caller, kick, wait,
	                                                TLBF_MASK_WORDS(VMM_VPS), &out);
	tlbf_flush_count(caller < VMM_VPS ? &vmm_handler_stats[caller] : NULL, &req, done,
	                       &out);
	if (done == TLBF_STATUS_SUSPEND) /* a VP of the set holds its TLB lock */
		vmm_suspend_for_tlb_locks(caller); /* see "VSM TLB locks" */
	else if (done != TLBF_STATUS_OK)
		vmm_fatal("flush not completed"); /* VPs may run with stale entries */
	return (uint64_t)TLBF_HV_STATUS_SUCCESS | (control & TLBF_HV_CONTROL_REP_COUNT_MASK);
}
// readme:end

#define VMM_TRIPS 3000

// readme:tlb-locks
static struct tlbf_tlb_lock_vp vmm_tlb_lock_vps[VMM_VPS]; /* caller storage */
static struct tlbf_tlb_locks vmm_tlb_locks;

/* At start-up, after tlbf_partition_init(): from then on a flush call whose
 * set holds the lock of its target VTL answers TLBF_STATUS_SUSPEND. */
static void vmm_init_tlb_locks(void)
{
	if (!tlbf_tlb_locks_init(&vmm_tlb_locks, vmm_tlb_lock_vps, VMM_VPS) ||
	    !tlbf_partition_set_tlb_locks(&vmm.pt, &vmm_tlb_locks))
		vmm_fatal("TLB locks");
}

/* VP @vp's VTL1 sets TlbLocked in its VSM VP secure configuration register,
 * or translates a GVA with the TLB-flush-inhibit flag: VTL0's TLB is locked
 * until it clears the bit or returns to VTL0. (The paravisor locks the TLB
 * of the VTL whose instruction it emulates: requesting VTL 2.) */
static void vmm_vtl1_locks_tlb(uint32_t vp)
{
	tlbf_tlb_lock(&vmm_tlb_locks, vp, 1, 0);
}

/* ... and releases it: @returning, VP @vp returns from VTL1 to VTL0 (every
 * lock VTL1 holds goes); else VTL1 cleared TlbLocked. Then wake the VPs
 * whose flush calls this release ended: a kick with no flags, which on
 * the mock ends their tlbf_mock_halt(). */
static void vmm_vtl1_releases_tlb(uint32_t vp, bool returning)
{
	uint64_t wake[TLBF_MASK_WORDS(VMM_VPS)] = {0};
	int n = returning ? tlbf_tlb_unlock_all(&vmm_tlb_locks, vp, 1, wake,
	                                        TLBF_MASK_WORDS(VMM_VPS))
	                  : tlbf_tlb_unlock(&vmm_tlb_locks, vp, 1, 0, wake,
	                                    TLBF_MASK_WORDS(VMM_VPS));
	if (n < 0 || tlbf_tlb_lock_wake(&vmm.be, wake, VMM_VPS) != 0)
		vmm_fatal("TLB unlock");
}

/* TLBF_STATUS_SUSPEND: the call is recorded and its VPs flush, but it may
 * complete only once every holder of its snapshot released its lock. The
 * VP stays suspended (its hypercall not completed) and its run loop halts
 * until woken, checking again each time; then the call completes. */
static void vmm_suspend_for_tlb_locks(uint32_t vp)
{
	while (tlbf_tlb_lock_must_wait(&vmm_tlb_locks, vp))
		tlbf_mock_halt(&vmm.mock, vp); /* TDX: block until the wake-up */
}
// readme:end

static uint64_t vp1_locks, vp1_saw_waiter; /* VP 1's thread, read after the join */

static _Atomic uint64_t kicked_out;
static uint64_t hypercalls; /* VP 0's thread, read after the join */

static uint64_t vmm_gpa_pfn(const void *page)
{
	return (uint64_t)(uintptr_t)page >> 12; /* the mock ignores it */
}

struct vmm_vp_thread;
static bool vmm_stopping(struct vmm_vp_thread *t);
static void vmm_guest_runs(struct vmm_vp_thread *t, unsigned vtl);
static void vmm_handle_exit(struct vmm_vp_thread *t, unsigned vtl);

// readme:run-loop
struct vmm_vp_thread {
	uint32_t index;
	struct tlbf_vp_local local; /* this VP's cursors: its thread only */
	struct tlbf_tdx_vp tdx;     /* flushes pending for the next entry */
	TLBF_ALIGNAS(4096) uint64_t list_page[TLBF_TDX_LIST_MAX]; /* INVGLA list */
};

static void *vmm_vp_run(void *arg)
{
	struct vmm_vp_thread *t = arg;
	struct tlbf_vp *vp = &vmm.vps[t->index];
	tlbf_tdx_vp_init(&t->tdx, t->index, t->list_page, vmm_gpa_pfn(t->list_page));
	t->tdx.stats = &vmm_vp_stats[t->index]; /* the entry path counts here */
	tlbf__vp_start(vp, &t->local, vmm.pt.rings); /* once, before the first entry */
	while (!vmm_stopping(t)) {
		unsigned vtl = 0; /* the VTL this entry runs */
		/* Announce (V1, V2), poll into the list page, INVGLA, publish (V3),
		 * and hand the flush-at-entry flags to the backend. */
		tlbf_tdx_prepare_entry(&vmm.be, &t->tdx, vp, &t->local, vmm.pt.rings[vtl], vtl);
		bool entered = tlbf_mock_enter(&vmm.mock, t->index, vtl); /* TDX: run ioctl */
		tlbf_tdx_entry_done(&t->tdx, vtl, entered); /* pending flush done? */
		if (entered) {
			vmm_guest_runs(t, vtl);               /* until a VM exit or a kick */
			tlbf_mock_leave(&vmm.mock, t->index); /* TDX: the ioctl returned */
		}
		tlbf__vp_exit(vp, &t->local); /* V4: outside the guest */
		vmm_handle_exit(t, vtl);     /* e.g. vmm_flush_hypercall() */
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

// readme:mock-guest
/* Guest code on the mock backend is the VP thread itself: it translates
 * through the VP's software TLB (fills it on a miss, from the page table
 * version it read) and stops when it finds the cancel signal of a kick,
 * as a real guest would be interrupted by the IPI. */
static void vmm_guest_runs(struct vmm_vp_thread *t, unsigned vtl)
{
	uint64_t version;
	for (uint64_t page = 0; page < 8; page++) {
		if (tlbf_mock_take_cancel(&vmm.mock, t->index)) { /* kicked: VM exit */
			atomic_fetch_add_explicit(&kicked_out, 1, memory_order_relaxed);
			return;
		}
		/* Your page table: here every page maps at version 1, not global. */
		if (!tlbf_mock_tlb_lookup(&vmm.mock, t->index, vtl, page, &version))
			tlbf_mock_tlb_fill(&vmm.mock, t->index, vtl, page, 1, false);
	}
}
// readme:end

/* VP 0 exits with a flush hypercall: HvCallFlushVirtualAddressList of
 * pages 2 and 3 on all processors, laid out as the guest's input page. */
static void vmm_handle_exit(struct vmm_vp_thread *t, unsigned vtl)
{
	if (t->index == 1 && progress[1].trips % 64 == 1) {
		/* VTL1 holds VTL0's lock until VP 0's flush call waits for it
		 * (or VP 0 is done), then releases it one way or the other. */
		vmm_vtl1_locks_tlb(1);
		vp1_locks++;
		while (tlbf_tlb_lock_waiting(&vmm_tlb_locks, 0, 0) == 0 && !atomic_load(&vp0_done))
			sched_yield();
		vp1_saw_waiter += tlbf_tlb_lock_waiting(&vmm_tlb_locks, 0, 0) != 0;
		vmm_vtl1_releases_tlb(1, vp1_locks % 2 == 0);
	}
	if (t->index != 0)
		return;
	uint64_t input[4] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0, tlbf_hv_gva_make(2, 1)};
	uint64_t control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST, false, 0, 1, 0);
	uint64_t result = vmm_flush_hypercall(0, vtl, control, input, sizeof(input));
	if (result != (UINT64_C(1) << 32))
		vmm_fatal("flush list: unexpected result");
	/* A reserved flag bit: refused with HV_STATUS_INVALID_PARAMETER. */
	input[1] |= UINT64_C(1) << 7;
	result = vmm_flush_hypercall(0, vtl, control, input, sizeof(input));
	if (result != TLBF_HV_STATUS_INVALID_PARAMETER)
		vmm_fatal("reserved flag: unexpected result");
	/* Refused with rep start 1 of 2: one rep reported completed, as the
	 * TLFS has it (the guest resumes the call from there). */
	uint64_t input2[5] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS | UINT64_C(1) << 7, 0,
	                      tlbf_hv_gva_make(2, 0), tlbf_hv_gva_make(3, 0)};
	control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST, false, 0, 2, 1);
	result = vmm_flush_hypercall(0, vtl, control, input2, sizeof(input2));
	if (result != (TLBF_HV_STATUS_INVALID_PARAMETER | UINT64_C(1) << 32))
		vmm_fatal("refused at rep start 1: unexpected result");
	hypercalls += 3;
}

int main(void)
{
	static struct vmm_vp_thread threads[VMM_VPS];
	pthread_t tid[VMM_VPS];
	vmm_init("mock");
	vmm_init_tlb_locks();
	pthread_barrier_init(&vmm_start, NULL, VMM_VPS);
	for (uint32_t i = 0; i < VMM_VPS; i++) {
		threads[i].index = i;
		if (pthread_create(&tid[i], NULL, vmm_vp_run, &threads[i]) != 0)
			vmm_fatal("pthread_create");
	}
	for (uint32_t i = 0; i < VMM_VPS; i++)
		pthread_join(tid[i], NULL);
	uint64_t kicks = atomic_load(&vmm.mock.kicks);
	const struct tlbf_tdx_vp *t1 = &threads[1].tdx;
	uint64_t invgla = t1->invgla_single + t1->invgla_list;
	printf("vmm_paths: %llu hypercalls, %llu kicks, %llu guest runs ended by a kick, "
	       "VP 1 flushed by INVGLA %llu times and entirely %llu times\n",
	       (unsigned long long)hypercalls, (unsigned long long)kicks,
	       (unsigned long long)atomic_load(&kicked_out), (unsigned long long)invgla,
	       (unsigned long long)t1->entire);
	printf("vmm_paths: VP 1 locked VTL0's TLB %llu times, VP 0 suspended for it %llu times, "
	       "%llu wake-ups\n",
	       (unsigned long long)vp1_locks, (unsigned long long)vp1_saw_waiter,
	       (unsigned long long)atomic_load(&vmm.mock.wakes));
	if (hypercalls != 3 * VMM_TRIPS)
		vmm_fatal("not every hypercall was handled");
	if (vp1_saw_waiter == 0)
		vmm_fatal("no flush call was suspended for a TLB lock");
	/* VP 1 polled after VP 0's last flush: by a single or list INVGLA,
	 * or everything when it fell behind the ring. */
	if (invgla + t1->entire == 0)
		vmm_fatal("VP 1 never flushed");
	/* The counters agree with what the program counted itself. */
	struct tlbf_stats sum;
	vmm_export_stats(stdout, &sum);
	uint64_t requests = 0;
	for (unsigned i = TLBF_STAT_REQ_SPACE_ENTIRE; i <= TLBF_STAT_REQ_LIST_EX_LIST; i++)
		requests += tlbf_stats_get(&sum, (enum tlbf_stat)i);
	if (requests != hypercalls / 3) /* two calls of three are refused by the decoder */
		vmm_fatal("requests counted");
	if (tlbf_stats_get(&sum, TLBF_STAT_KICKS) != kicks)
		vmm_fatal("kicks counted");
	if (tlbf_stats_get(&sum, TLBF_STAT_FLUSH_LIST_SINGLE) + tlbf_stats_get(&sum, TLBF_STAT_FLUSH_LIST_MULTI) <
	    invgla)
		vmm_fatal("INVGLAs counted");
	return 0;
}
