/* SPDX-License-Identifier: MIT */
/* What tests/cxx/ring_interop_c.c (C) exports to ring_interop.cpp (C++). */
#ifndef TLBF_TEST_INTEROP_H
#define TLBF_TEST_INTEROP_H

#include <stddef.h>
#include <stdint.h>

#include "tlbflush/partition.h"
#include "tlbflush/ring.h"
#include "tlbflush/wake.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A partition of one VP, defined in C. */
extern struct tlbf_partition interop_pt;
extern struct tlbf_vp interop_vps[1];
#define interop_ring (interop_pt.rings[0])
/* 0 sizeof ring, 1 offsetof slot, 2 sizeof vp, 3 offsetof polled,
 * 4 sizeof cursor, 5 sizeof partition, 6 offsetof vps, 7 sizeof
 * struct tlbf_tlb_lock_vp, as the C compiler lays them out. */
size_t interop_c_layout(unsigned what);
/* Sets up the partition: 0 (TLBF_STATUS_OK), or the refusal. */
unsigned interop_c_init(void);
uint32_t interop_c_push(const uint64_t *ranges, uint32_t n);
uint32_t interop_c_poll(struct tlbf_cursor *c, uint64_t *out, uint32_t cap, uint32_t *count);

#ifdef __cplusplus
}
#endif

#endif
