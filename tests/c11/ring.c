/* SPDX-License-Identifier: MIT */
/*
 * GenMC client of the flush ring: producers and one reader on a ring of
 * TLBF_RING_CAPACITY slots (the runner builds it with 2, so three tickets
 * lap the ring), counters starting just below 2^64 so that tickets and
 * generations wrap during the run.
 *
 * Every producer first changes "its page table" (pt[p] := 1, relaxed),
 * then records one request, then says it is done (done[p], release). The
 * reader polls; before each poll it reads every done[p] (acquire), after
 * it every pt[p] (relaxed). main() checks, for every poll:
 *   - every returned value is a range some producer pushed;
 *   - freshness: if the reader consumed any part of producer p's request
 *     (returned one of its ranges, moved its cursor past one of its
 *     tickets, or reached its generation), it sees pt[p] = 1: the poll's
 *     acquires synchronised with the producer's releases, so a translation
 *     refilled after the flush is the new one;
 *   - delivery: if done[p] was seen before the poll, p's request is
 *     returned or covered: each of its ranges returned by this poll or an
 *     earlier one, or its tickets below the cursor of a flush-everything
 *     answer, or its generation reached by the cursor.
 *
 * Scenarios (-D):
 *   RING_LAP      A pushes 1 range, B pushes 2: three tickets on two slots
 *                 (B's second slot is A's; lapped and degraded pushes with
 *                 TLBF_RING_PUSH_SPIN 0 or 1), one poll;
 *   RING_GEN      A pushes 1 range, B requests flush-entire, C flush
 *                 non-global, one poll;
 *   RING_LAP3     A, B and C push 1 range each: C's slot is A's;
 *   RING_PENDING  A and B push 1 range each, two polls: a reader stopped
 *                 behind a pending ticket comes back for it.
 */
#include "c11_common.h"

enum { REQ_LIST = 1, REQ_ENTIRE, REQ_NON_GLOBAL };

#if defined(RING_LAP)
static const unsigned req_kind[] = {REQ_LIST, REQ_LIST};
static const unsigned req_n[] = {1, 2};
#define POLLS 1
#elif defined(RING_LAP3)
static const unsigned req_kind[] = {REQ_LIST, REQ_LIST, REQ_LIST};
static const unsigned req_n[] = {1, 1, 1};
#define POLLS 1
#elif defined(RING_GEN)
static const unsigned req_kind[] = {REQ_LIST, REQ_ENTIRE, REQ_NON_GLOBAL};
static const unsigned req_n[] = {1, 0, 0};
#define POLLS 1
#elif defined(RING_PENDING)
static const unsigned req_kind[] = {REQ_LIST, REQ_LIST};
static const unsigned req_n[] = {1, 1};
#define POLLS 2
#else
#error "define RING_LAP, RING_LAP3, RING_GEN or RING_PENDING"
#endif

#define NP (sizeof(req_kind) / sizeof(req_kind[0]))
#define MAXN 2
#define START (UINT64_MAX - 1) /* tickets UINT64_MAX-1, UINT64_MAX, 0 */

static struct tlbf_ring ring;
static struct tlbf_cursor cur;
static _Atomic uint64_t pt[NP];   /* the page tables the requests are for */
static _Atomic uint64_t done[NP]; /* the request returned (release) */

/* What each producer recorded: its mark. */
static result_t rec_kind[NP], rec_value[NP];
/* What each poll saw. */
static result_t seen_done[POLLS][NP], seen_pt[POLLS][NP];
static result_t ans_flags[POLLS], ans_count[POLLS], ans_val[POLLS][TLBF_RING_CAPACITY];
static result_t cur_list[POLLS], cur_entire[POLLS], cur_ng[POLLS];

/* main()'s bookkeeping (word-sized: GenMC rejects mixed-size accesses). */
static uint64_t returned[NP][MAXN], got[NP];

/* Free-running counters compared by difference (the 2^64 wrap). */
static int64_t diff(uint64_t a, uint64_t b)
{
	uint64_t d = a - b;
	return d <= (uint64_t)INT64_MAX ? (int64_t)d : -(int64_t)(~d) - 1;
}

static uint64_t range_of(unsigned p, unsigned i)
{
	return c11_range(16 * (p + 1) + i);
}

static void *producer(void *arg)
{
	unsigned p = (unsigned)(uintptr_t)arg;
	struct tlbf_mark m;
	atomic_store_explicit(&pt[p], 1, memory_order_relaxed);
	if (req_kind[p] == REQ_LIST) {
		uint64_t r[MAXN];
		for (unsigned i = 0; i < MAXN; i++) /* constant bounds: see c11_common.h */
			r[i] = range_of(p, i);
		m = tlbf_ring_push(&ring, r, req_n[p], false).mark;
	} else if (req_kind[p] == REQ_ENTIRE) {
		m = tlbf_ring_flush_entire(&ring);
	} else {
		m = tlbf_ring_flush_non_global(&ring);
	}
	ST(rec_kind[p], (uint64_t)m.kind);
	ST(rec_value[p], m.value);
	atomic_store_explicit(&done[p], 1, memory_order_release);
	return NULL;
}

static void *reader(void *arg)
{
	(void)arg;
	uint64_t out[TLBF_RING_CAPACITY];
	for (unsigned i = 0; i < POLLS; i++) {
		for (unsigned p = 0; p < NP; p++)
			ST(seen_done[i][p], atomic_load_explicit(&done[p], memory_order_acquire));
		struct tlbf_poll a = tlbf_ring_poll(&ring, &cur, out, TLBF_RING_CAPACITY);
		for (unsigned p = 0; p < NP; p++)
			ST(seen_pt[i][p], atomic_load_explicit(&pt[p], memory_order_relaxed));
		ST(ans_flags[i], a.flags);
		ST(ans_count[i], a.count);
		for (unsigned k = 0; k < TLBF_RING_CAPACITY; k++)
			if (k < a.count)
				ST(ans_val[i][k], out[k]);
		ST(cur_list[i], cur.list);
		ST(cur_entire[i], cur.entire);
		ST(cur_ng[i], cur.non_global);
	}
	return NULL;
}

int main(void)
{
	tlbf__ring_init_at(&ring, START);
	tlbf_ring_cursor_init(&ring, &cur);
	pthread_t t[NP + 1];
	for (unsigned p = 0; p < NP; p++)
		t[p] = c11_spawn(producer, p);
	t[NP] = c11_spawn(reader, 0);
	for (unsigned p = 0; p <= NP; p++)
		pthread_join(t[p], NULL);

	bool any_entire = false;
	for (unsigned i = 0; i < POLLS; i++) {
		uint64_t flags = LD(ans_flags[i]), count = LD(ans_count[i]);
		uint64_t list = LD(cur_list[i]), entire = LD(cur_entire[i]), ng = LD(cur_ng[i]);
		assert(count <= TLBF_RING_CAPACITY);
		if (flags & TLBF_POLL_ENTIRE)
			any_entire = true;
		for (unsigned p = 0; p < NP; p++)
			got[p] = 0;
		for (unsigned k = 0; k < TLBF_RING_CAPACITY; k++) {
			if (k >= count)
				break;
			uint64_t v = LD(ans_val[i][k]);
			bool known = false;
			for (unsigned p = 0; p < NP; p++)
				for (unsigned j = 0; j < MAXN; j++)
					if (j < req_n[p] && req_kind[p] == REQ_LIST && v == range_of(p, j)) {
						known = true;
						returned[p][j] = 1;
						got[p] = 1;
					}
			assert(known); /* only values that were pushed */
		}
		for (unsigned p = 0; p < NP; p++) {
			uint64_t kind = LD(rec_kind[p]), value = LD(rec_value[p]);
			bool consumed = got[p] != 0, covered = true;
			if (kind == TLBF_MARK_KIND_LIST) {
				uint64_t first = value - req_n[p];
				for (unsigned j = 0; j < MAXN; j++) {
					if (j >= req_n[p])
						break;
					bool passed = diff(list, first + j) > 0;
					consumed = consumed || passed;
					covered = covered && (returned[p][j] || (passed && any_entire));
				}
			} else if (kind == TLBF_MARK_KIND_ENTIRE) {
				bool reached = diff(entire, value) >= 0;
				consumed = consumed || reached;
				covered = reached && any_entire;
			} else if (kind == TLBF_MARK_KIND_NON_GLOBAL) {
				bool reached = diff(ng, value) >= 0;
				consumed = consumed || reached;
				covered = reached;
			} else {
				covered = false; /* not recorded yet */
			}
			if (consumed)
				assert(LD(seen_pt[i][p]) == 1); /* freshness */
			if (LD(seen_done[i][p]))
				assert(covered); /* delivery */
		}
	}
	return 0;
}
