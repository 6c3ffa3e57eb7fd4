/* SPDX-License-Identifier: MIT */
/* bench/observed.h - the counters' and probes' cost (bench/observed.c),
 * callable from C++. Each function runs @n operations and returns a value
 * that depends on them (so that nothing is optimised away). */
#ifndef TLBF_BENCH_OBSERVED_H
#define TLBF_BENCH_OBSERVED_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint64_t observed_entry_off(uint32_t n);
uint64_t observed_entry_on(uint32_t n);
uint64_t observed_push1_off(uint32_t n);
uint64_t observed_push1_on(uint32_t n);

#ifdef __cplusplus
}
#endif

#endif
