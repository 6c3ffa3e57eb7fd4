/* SPDX-License-Identifier: MIT */
/*
 * GenMC client of the whole shootdown path on the mock backend: initiators
 * record a request, fence, decide, kick or wait, and return, while one VP
 * enters, polls, runs guest code through its TLB and exits.
 *
 * The VP's TLB holds a translation of every page, cached before the run
 * (version 0). Initiator j changes page j's page table (pt[j] := 1), then
 * records its request in the partition's ring and runs the public wake
 * steps: tlbf_wake_plan_begin (I1), tlbf_wake_decide for VP 0,
 * tlbf_wake_send through the mock; then it reuses the old page:
 * old[j] := 1, a plain write. The plan adds no shared access to the old
 * tlbf__wake_fence + decision (its masks are the initiator's own memory).
 * The VP's entry path is tlbf__vp_prepare_entry (announce, poll), the
 * flush of what the poll returned, tlbf__vp_publish, tlbf_mock_enter; in
 * the guest it reads every page through its TLB (a refill reads pt[j]),
 * and a translation still at version 0 reads old[j], a plain read; then
 * tlbf_mock_leave and tlbf__vp_exit. The VP drives the private steps
 * rather than the entry driver (entry.h) because FIRST_PUBLISH_ONLY must
 * leave out a publication, and its TLB is two plain words instead of the
 * mock's (the driver on the mock runs in stress_wake and in KUnit).
 *
 * Asserted: a use of the old translation of page j (cached before the
 * run, or refilled from pt[j] before the change was visible) happens
 * before initiator j returns - GenMC reports a data race on old[j] otherwise, and the
 * assert catches a use ordered after the return. That is P1 of the
 * design: no initiator returns while a VP of its set can still use a
 * translation its request removed. Also: per entry, at most one initiator
 * is elected by the kick CAS.
 *
 * Scenarios (-D):
 *   WAKE_TWO      two initiators (a list push and a flush-entire), one
 *                 entry of the VP: one signaller, the other waits
 *                 (wait-only, K2), or skips it as outside / polled;
 *   WAKE_REENTER  one initiator (a list push), two entries of the VP: the
 *                 kick CAS fails on a newer epoch (the REENTERED skip), the
 *                 published cursor (POLLED), exit and re-entry.
 *   with LISTS_ONLY, every initiator pushes a list (two tickets in flight);
 *   with ABANDON (and WAKE_TWO), initiator 0, if it wins the kick CAS,
 *                 never sends its cancel and never returns (descheduled
 *                 for good, or its kick failed): initiator 1 must still
 *                 complete without it (the bounded K2 wait, then a cancel
 *                 of its own) and lose nothing;
 *   with FIRST_PUBLISH_ONLY, the VP publishes its cursor on its first entry
 *                 only (publishing is an optimisation: a VP that does not
 *                 only costs kicks), so a POLLED skip never rests on a
 *                 cursor of a later entry than the state word read.
 */
#include "c11_common.h"

#include "tlbflush/mock_backend.h"

#if defined(WAKE_TWO)
#define NI 2
#define ENTRIES 1
#elif defined(WAKE_REENTER)
#define NI 1
#define ENTRIES 2
#else
#error "define WAKE_TWO or WAKE_REENTER"
#endif

static struct tlbf_partition part;
static struct tlbf_vp vps[1];
static struct tlbf_vp_local local;
static struct tlbf_mock mock;
static struct tlbf_mock_vp mvps[1];
static _Atomic uint64_t pt[NI]; /* page tables */
/* Plain: the old pages, reused after return. Accessed as volatile only so
 * that the compiler does not hoist the guest's conditional read. */
static volatile uint64_t old[NI];
static result_t decision[NI];

/* The VP's TLB (its own thread only). */
static uint64_t tlb_valid[NI], tlb_ver[NI];

static uint64_t page_range(unsigned j)
{
	return c11_range(32 + j);
}

static void *vp_thread(void *arg)
{
	(void)arg;
	uint64_t out[TLBF_RING_CAPACITY];
	for (unsigned e = 0; e < ENTRIES; e++) {
		struct tlbf_poll a = tlbf__vp_prepare_entry(&vps[0], &local, &part.rings[0], 0, out,
		                                           TLBF_RING_CAPACITY);
		for (unsigned j = 0; j < NI; j++) {
			bool hit = (a.flags & (TLBF_POLL_ENTIRE | TLBF_POLL_NON_GLOBAL)) != 0;
			for (unsigned k = 0; k < TLBF_RING_CAPACITY; k++)
				if (k < a.count && out[k] == page_range(j))
					hit = true;
			if (hit)
				tlb_valid[j] = 0;
		}
#ifdef FIRST_PUBLISH_ONLY
		if (e == 0)
#endif
			tlbf__vp_publish(&vps[0], &local, 0);
		if (tlbf_mock_enter(&mock, 0, 0)) {
			for (unsigned j = 0; j < NI; j++) {
				if (!tlb_valid[j]) {
					tlb_ver[j] = atomic_load_explicit(&pt[j], memory_order_relaxed);
					tlb_valid[j] = 1;
				}
				if (tlb_ver[j] == 0)
					assert(old[j] == 0); /* the old page, not yet reused */
			}
			tlbf_mock_leave(&mock, 0);
		}
		tlbf__vp_exit(&vps[0], &local);
	}
	return NULL;
}

static void *initiator(void *arg)
{
	unsigned j = (unsigned)(uintptr_t)arg;
	struct tlbf_mark m;
	atomic_store_explicit(&pt[j], 1, memory_order_relaxed);
#ifdef LISTS_ONLY
	if (1) {
#else
	if (j == 0) {
#endif
		uint64_t r = page_range(j);
		m = tlbf_ring_push(&part.rings[0], &r, 1, false).mark;
	} else {
		m = tlbf_ring_flush_entire(&part.rings[0]);
	}
	struct tlbf_backend be = tlbf_mock_backend(&mock);
	struct tlbf_wake_plan pl;
	uint64_t kick[1], wait[1];
	enum tlbf_wake w = TLBF_WAKE__COUNT;
	enum tlbf_status st = tlbf_wake_plan_begin(&pl, &part, kick, wait, 1, 0, m); /* I1 */
	assert(st == TLBF_STATUS_OK);
	st = tlbf_wake_decide(&pl, 0, TLBF_NO_VP, &w);
	assert(st == TLBF_STATUS_OK);
#ifdef ABANDON
	if (j == 0 && w == TLBF_WAKE_KICK) {
		ST(decision[j], w);
		return NULL; /* never kicks, never returns: old[0] is not reused */
	}
#endif
	st = tlbf_wake_send(&pl, &be, NULL);
	assert(st == TLBF_STATUS_OK);
	ST(decision[j], w);
	old[j] = 1; /* the flush returned: the old page is reused */
	return NULL;
}

int main(void)
{
	enum tlbf_status st = tlbf_partition_init(&part, vps, NULL, 1);
	assert(st == TLBF_STATUS_OK);
	tlbf_mock_init(&mock, mvps, 1, NULL, 0);
	tlbf__vp_start(&vps[0], &local, part.rings);
	for (unsigned j = 0; j < NI; j++)
		tlb_valid[j] = 1; /* cached at version 0 before the run */
	pthread_t t[NI + 1];
	t[0] = c11_spawn(vp_thread, 0);
	for (unsigned j = 0; j < NI; j++)
		t[1 + j] = c11_spawn(initiator, j);
	for (unsigned i = 0; i <= NI; i++)
		pthread_join(t[i], NULL);
	if (ENTRIES == 1 && NI == 2 && LD(decision[0]) == TLBF_WAKE_KICK)
		assert(LD(decision[1]) != TLBF_WAKE_KICK); /* one signaller */
	return 0;
}
