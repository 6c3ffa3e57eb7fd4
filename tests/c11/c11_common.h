/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the GenMC clients (suite c11). Each client is a small
 * pthread program over the library's real headers; GenMC explores every
 * execution the C11 memory model (RC11) allows and reports a failed
 * assert(), a data race on a non-atomic object or a deadlock.
 *
 * Conventions forced by GenMC with LLVM 14 (see docs/C11.md):
 *   - spin hints are no-ops (GenMC cannot interpret `pause`);
 *   - results read in main() after pthread_join() are atomics (relaxed is
 *     enough: the join orders them), never plain variables;
 *   - loops in the clients have constant bounds where they can (a loop
 *     up to a variable count may become an llvm.umax intrinsic that
 *     GenMC cannot run; the runner's -mllvm -disable-lftr covers the
 *     library's own loops).
 * Include this before any tlbflush header.
 */
#ifndef TLBF_C11_COMMON_H
#define TLBF_C11_COMMON_H

#ifndef TLBF_CPU_RELAX
#define TLBF_CPU_RELAX() ((void)0)
#endif

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tlbflush/tlbflush.h"

/* Relaxed access to a result word (ordered by pthread_join in main). */
#define ST(var, v) atomic_store_explicit(&(var), (v), memory_order_relaxed)
#define LD(var) atomic_load_explicit(&(var), memory_order_relaxed)

typedef _Atomic uint64_t result_t;

/* Start a thread running fn(arg) (GenMC explores every interleaving). */
static inline pthread_t c11_spawn(void *(*fn)(void *), uintptr_t arg)
{
	pthread_t t;
	pthread_create(&t, NULL, fn, (void *)arg);
	return t;
}

/* The range a test pushes for page @page: one 4 KiB page. */
static inline uint64_t c11_range(uint64_t page)
{
	return tlbf_hv_gva_make(page, 0);
}

#endif /* TLBF_C11_COMMON_H */
