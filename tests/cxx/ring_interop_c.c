/* SPDX-License-Identifier: MIT */
/* The C half of the C/C++ interop test: a partition (its ring and its VP)
 * defined in C and used from both languages (tests/cxx/ring_interop.cpp). */
#include <stddef.h>
#include <stdint.h>

#include "tlbflush/partition.h"
#include "tlbflush/ring.h"
#include "tlbflush/wake.h"

#include "interop.h"

struct tlbf_partition interop_pt;
struct tlbf_vp interop_vps[1];

size_t interop_c_layout(unsigned what)
{
	switch (what) {
	case 0: return sizeof(struct tlbf_ring);
	case 1: return offsetof(struct tlbf_ring, slot);
	case 2: return sizeof(struct tlbf_vp);
	case 3: return offsetof(struct tlbf_vp, polled);
	case 4: return sizeof(struct tlbf_cursor);
	case 5: return sizeof(struct tlbf_partition);
	case 6: return offsetof(struct tlbf_partition, vps);
	case 7: return sizeof(struct tlbf_tlb_lock_vp);
	default: return 0;
	}
}

unsigned interop_c_init(void)
{
	return (unsigned)tlbf_partition_init(&interop_pt, interop_vps, NULL, 1);
}

uint32_t interop_c_push(const uint64_t *ranges, uint32_t n)
{
	return (uint32_t)tlbf_ring_push(&interop_ring, ranges, n, false).result;
}

uint32_t interop_c_poll(struct tlbf_cursor *c, uint64_t *out, uint32_t cap, uint32_t *count)
{
	struct tlbf_poll p = tlbf_ring_poll(&interop_ring, c, out, cap);
	*count = p.count;
	return p.flags;
}
