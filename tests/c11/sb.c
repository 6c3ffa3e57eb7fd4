/* SPDX-License-Identifier: MIT */
/*
 * GenMC client of the store-buffering pair between a VP's entry and an
 * initiator's wake decision, for one request kind (-DKIND_LIST,
 * -DKIND_ENTIRE, -DKIND_NON_GLOBAL or -DKIND_GPA).
 *
 *   VP (started, outside)               initiator
 *   V1 V2  tlbf__vp_announce              pt := 1 (its page-table change)
 *   C1..C8 tlbf_ring_poll                record: push / flush-entire /
 *   V3     tlbf__vp_publish                       flush-non-global / flush-gpa
 *                                        I1     tlbf_wake_plan_begin
 *                                        I2-I4  tlbf_wake_decide
 *
 * The initiator runs the public plan (its masks are the thread's own
 * memory: no shared access beyond I1-I4). The VP drives the private steps
 * (tlbf__vp_announce, the poll, tlbf__vp_publish) rather than the entry
 * driver, because the assertion is about what the poll itself returned.
 *
 * Asserted: the VP's poll returned the request (its range, or a
 * flush-everything answer, or for a non-global request the non-global
 * flag, or for a guest-physical request the GPA flag) or the initiator's decision is kick or wait-only; never both
 * missed. A poll that returned it sees pt = 1 (freshness).
 */
#include "c11_common.h"

#if defined(KIND_LIST)
#define COVERS(a, out) (((a).flags & TLBF_POLL_ENTIRE) || \
                        (((a).flags & TLBF_POLL_LIST) && (out)[0] == c11_range(7)))
#elif defined(KIND_ENTIRE)
#define COVERS(a, out) (((a).flags & TLBF_POLL_ENTIRE) != 0)
#elif defined(KIND_NON_GLOBAL)
#define COVERS(a, out) (((a).flags & (TLBF_POLL_ENTIRE | TLBF_POLL_NON_GLOBAL)) != 0)
#elif defined(KIND_GPA)
/* Only the GPA flag covers it: a flush-entire alone (INVVPID) would not. */
#define COVERS(a, out) (((a).flags & TLBF_POLL_GPA) != 0)
#else
#error "define KIND_LIST, KIND_ENTIRE, KIND_NON_GLOBAL or KIND_GPA"
#endif

static struct tlbf_partition part;
static struct tlbf_vp vps[1];
static struct tlbf_vp_local local;
static _Atomic uint64_t pt;
static result_t covered, decision;

static void *vp_thread(void *arg)
{
	(void)arg;
	uint64_t out[TLBF_RING_CAPACITY] = {0};
	tlbf__vp_announce(&vps[0], &local, 0);
	struct tlbf_poll a = tlbf_ring_poll(&part.rings[0], &local.cursor[0], out, TLBF_RING_CAPACITY);
	bool c = COVERS(a, out);
	if (c)
		assert(atomic_load_explicit(&pt, memory_order_relaxed) == 1);
	ST(covered, c);
	tlbf__vp_publish(&vps[0], &local, 0);
	return NULL;
}

static void *initiator(void *arg)
{
	(void)arg;
	struct tlbf_ring *ring = &part.rings[0];
	struct tlbf_mark m;
	atomic_store_explicit(&pt, 1, memory_order_relaxed);
#if defined(KIND_LIST)
	uint64_t r = c11_range(7);
	m = tlbf_ring_push(ring, &r, 1, false).mark;
#elif defined(KIND_ENTIRE)
	m = tlbf_ring_flush_entire(ring);
#elif defined(KIND_GPA)
	m = tlbf_ring_flush_gpa(ring);
#else
	m = tlbf_ring_flush_non_global(ring);
#endif
	struct tlbf_wake_plan pl;
	uint64_t kick[1], wait[1];
	enum tlbf_wake w = TLBF_WAKE__COUNT;
	enum tlbf_status st = tlbf_wake_plan_begin(&pl, &part, kick, wait, 1, 0, m); /* I1 */
	assert(st == TLBF_STATUS_OK);
	st = tlbf_wake_decide(&pl, 0, TLBF_NO_VP, &w);
	assert(st == TLBF_STATUS_OK);
	ST(decision, w);
	return NULL;
}

int main(void)
{
	enum tlbf_status st = tlbf_partition_init(&part, vps, NULL, 1);
	assert(st == TLBF_STATUS_OK);
	tlbf__vp_start(&vps[0], &local, part.rings);
	pthread_t a = c11_spawn(vp_thread, 0);
	pthread_t b = c11_spawn(initiator, 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	uint64_t w = LD(decision);
	if (!LD(covered)) /* (not one ||: clang would emit a freeze) */
		assert(w == TLBF_WAKE_KICK || w == TLBF_WAKE_WAIT_ONLY);
	return 0;
}
