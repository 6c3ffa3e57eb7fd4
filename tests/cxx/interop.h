/* SPDX-License-Identifier: MIT */
/* What tests/cxx/ring_interop_c.c (C) exports to ring_interop.cpp (C++). */
#ifndef TLBF_TEST_INTEROP_H
#define TLBF_TEST_INTEROP_H

#include <stddef.h>
#include <stdint.h>

#include "tlbflush/ring.h"
#include "tlbflush/wake.h"

#ifdef __cplusplus
extern "C" {
#endif

extern struct tlbf_ring interop_ring;
extern struct tlbf_vp interop_vp;
/* 0 sizeof ring, 1 offsetof slot, 2 sizeof vp, 3 offsetof polled,
 * 4 sizeof cursor, as the C compiler lays them out. */
size_t interop_c_layout(unsigned what);
void interop_c_init(void);
uint32_t interop_c_push(const uint64_t *ranges, uint32_t n);
uint32_t interop_c_poll(struct tlbf_cursor *c, uint64_t *out, uint32_t cap, uint32_t *count);

#ifdef __cplusplus
}
#endif

#endif
