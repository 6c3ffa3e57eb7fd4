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
 * Also here: the bit helpers (popcount, count trailing zeros) every layer
 * needs, and the free-running counter comparisons.
 */
#ifndef TLBFLUSH_ATOMIC_PVT_H
#define TLBFLUSH_ATOMIC_PVT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

TLBF_EXTERN_C_BEGIN

/**
 * tlbf_guest_load_u64 - read one 64-bit word of guest-writable memory once
 * @p: the word (8-byte aligned), e.g. in a hypercall input page
 *
 * Guest input may change while the VMM reads it. Every such word is read
 * through this function exactly once and the value used from then on, so
 * the compiler can neither tear the read nor fetch it again. Relaxed is
 * enough: the guest is not a party to the library's orderings, we only need
 * one single-copy-atomic value. Uses the __atomic builtin on a plain object,
 * which GCC and Clang define for any aligned 8-byte object.
 *
 * Returns: the value read.
 */
static inline uint64_t tlbf_guest_load_u64(const uint64_t *p)
{
#if defined(__GNUC__) || defined(__clang__)
	return __atomic_load_n(p, __ATOMIC_RELAXED);
#else
	return *p;
#endif
}

/**
 * tlbf_u64_diff - signed distance from @b to @a of two free-running counters
 * @a: the later value (or the one being tested)
 * @b: the reference value
 *
 * Returns: a - b as a signed 64-bit number, computed without overflow
 * (two's complement conversion of the unsigned difference). Correct across
 * the 2^64 wrap as long as the true distance is below 2^63.
 */
static inline int64_t tlbf_u64_diff(uint64_t a, uint64_t b)
{
	uint64_t d = a - b;
	/* Avoid the implementation-defined unsigned->signed conversion. */
	return d <= (uint64_t)INT64_MAX ? (int64_t)d
	                                : -(int64_t)(~d) - 1;
}

/**
 * tlbf_u64_reached - whether free-running counter @a has reached @b
 * @a: current value
 * @b: target value
 *
 * Returns: true when a is at or after b, compared by difference.
 */
static inline bool tlbf_u64_reached(uint64_t a, uint64_t b)
{
	return tlbf_u64_diff(a, b) >= 0;
}

/**
 * tlbf_popcount64 - number of set bits of @x
 * @x: the word
 *
 * Returns: the population count, 0 to 64.
 */
static inline unsigned tlbf_popcount64(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
	return (unsigned)__builtin_popcountll(x);
#else
	unsigned n = 0;
	while (x) {
		x &= x - 1;
		n++;
	}
	return n;
#endif
}

/**
 * tlbf_ctz64 - index of the lowest set bit of @x
 * @x: the word; must not be 0
 *
 * Returns: 0 to 63.
 */
static inline unsigned tlbf_ctz64(uint64_t x)
{
	TLBF_ASSERT(x != 0);
#if defined(__GNUC__) || defined(__clang__)
	return (unsigned)__builtin_ctzll(x);
#else
	unsigned n = 0;
	while (!(x & 1)) {
		x >>= 1;
		n++;
	}
	return n;
#endif
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_ATOMIC_PVT_H */
