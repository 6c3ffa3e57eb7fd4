/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/atomic_pvt.h - the one place where tlbflush touches atomics.
 *
 * Private: included by the other tlbflush headers; do not use these names
 * from outside the library, they may change.
 *
 * Every shared word of the library is declared TLBF_ATOMIC(T) and accessed
 * only through the tlbf__* macros below, with an explicit memory order.
 * Two implementations:
 *   - C11 <stdatomic.h> (default for C; for C++ from C++23 on);
 *   - the GCC/Clang __atomic builtins on plain integers (TLBF_ATOMIC_GNU=1,
 *     and the default where <stdatomic.h> is missing): what a kernel build
 *     with -nostdinc -ffreestanding uses. Both give the same C11 memory
 *     model semantics; the builtins are what <stdatomic.h> expands to.
 */
#ifndef TLBFLUSH_ATOMIC_PVT_H
#define TLBFLUSH_ATOMIC_PVT_H

#include "config.h"

#ifndef TLBF_ATOMIC_GNU
#if defined(__STDC_NO_ATOMICS__) || \
    (defined(__cplusplus) && __cplusplus <= 202002L)
#define TLBF_ATOMIC_GNU 1
#else
#define TLBF_ATOMIC_GNU 0
#endif
#endif

#if TLBF_ATOMIC_GNU
#if !defined(__GNUC__) && !defined(__clang__)
#error "TLBF_ATOMIC_GNU needs GCC or Clang __atomic builtins"
#endif
#define TLBF_ATOMIC(T) T
#define TLBF_RELAXED __ATOMIC_RELAXED
#define TLBF_ACQUIRE __ATOMIC_ACQUIRE
#define TLBF_RELEASE __ATOMIC_RELEASE
#define TLBF_ACQ_REL __ATOMIC_ACQ_REL
#define TLBF_SEQ_CST __ATOMIC_SEQ_CST
#define tlbf__load(p, mo) __atomic_load_n((p), mo)
#define tlbf__store(p, v, mo) __atomic_store_n((p), (v), mo)
#define tlbf__fetch_add(p, v, mo) __atomic_fetch_add((p), (v), mo)
#define tlbf__fetch_or(p, v, mo) __atomic_fetch_or((p), (v), mo)
#define tlbf__xchg(p, v, mo) __atomic_exchange_n((p), (v), mo)
#define tlbf__cas(p, expp, des, mo_ok, mo_fail) \
	__atomic_compare_exchange_n((p), (expp), (des), 0, mo_ok, mo_fail)
#define tlbf__fence(mo) __atomic_thread_fence(mo)
#else
#include <stdatomic.h>
#define TLBF_ATOMIC(T) _Atomic(T)
#define TLBF_RELAXED memory_order_relaxed
#define TLBF_ACQUIRE memory_order_acquire
#define TLBF_RELEASE memory_order_release
#define TLBF_ACQ_REL memory_order_acq_rel
#define TLBF_SEQ_CST memory_order_seq_cst
#define tlbf__load(p, mo) atomic_load_explicit((p), mo)
#define tlbf__store(p, v, mo) atomic_store_explicit((p), (v), mo)
#define tlbf__fetch_add(p, v, mo) atomic_fetch_add_explicit((p), (v), mo)
#define tlbf__fetch_or(p, v, mo) atomic_fetch_or_explicit((p), (v), mo)
#define tlbf__xchg(p, v, mo) atomic_exchange_explicit((p), (v), mo)
#define tlbf__cas(p, expp, des, mo_ok, mo_fail) \
	atomic_compare_exchange_strong_explicit((p), (expp), (des), mo_ok, mo_fail)
#define tlbf__fence(mo) atomic_thread_fence(mo)
#endif

/*
 * Initialise an atomic word that no other thread can see yet. Relaxed is
 * enough: publication of the containing object to other threads is the
 * caller's business (a thread start, a release store of a pointer, ...).
 */
#define tlbf__init(p, v) tlbf__store((p), (v), TLBF_RELAXED)

#endif /* TLBFLUSH_ATOMIC_PVT_H */
