// SPDX-License-Identifier: MIT
/*
 * The same headers in the same module with TLBF_ATOMIC_GNU=1: the GCC
 * __atomic builtins instead of the kernel's atomics (tolerated in kernel
 * mode, not its default), and with the counters compiled in (TLBF_STATS=1),
 * so that the code only the counters use builds in kernel mode too. This
 * file's structures are its own: a ring here has plain uint64_t words, one
 * in demo_main.c has atomic64_t.
 */
#define TLBF_ATOMIC_GNU 1
#define TLBF_STATS 1
#include "tlbflush/tlbflush.h"
#include "demo.h"

static struct tlbf_ring tlbf_demo_gnu_ring;

/* Push three ranges across the 2^64 wrap and poll them back. */
int tlbf_demo_gnu_check(void)
{
	const uint64_t ranges[3] = { tlbf_hv_gva_make(1, 0), tlbf_hv_gva_make(2, 1), tlbf_hv_gva_make(9, 7) };
	uint64_t out[TLBF_RING_CAPACITY];
	struct tlbf_cursor c;
	struct tlbf_push p;
	struct tlbf_poll a;

	tlbf__ring_init_at(&tlbf_demo_gnu_ring, UINT64_MAX - 1);
	tlbf_ring_cursor_init(&tlbf_demo_gnu_ring, &c);
	p = tlbf_ring_push(&tlbf_demo_gnu_ring, ranges, 3, false);
	a = tlbf_ring_poll(&tlbf_demo_gnu_ring, &c, out, TLBF_RING_CAPACITY);
	if (p.result != TLBF_PUSH_RESULT_LISTED || p.mark.value != 1 || a.flags != TLBF_POLL_LIST ||
	    a.count != 3 || out[2] != ranges[2] || !tlbf_ring_valid(&tlbf_demo_gnu_ring))
		return -1;
	return 0;
}
