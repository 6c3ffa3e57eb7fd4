/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/bits.h - word helpers every layer uses: one read of a guest word,
 * free-running counter comparisons, population count and lowest set bit.
 *
 * Private: the other headers use them; they may change.
 */
#ifndef TLBFLUSH_BITS_H
#define TLBFLUSH_BITS_H

#include "config.h"

TLBF_EXTERN_C_BEGIN

/**
 * tlbf__guest_load_u64 - read one 64-bit word of guest-writable memory once
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
static inline uint64_t tlbf__guest_load_u64(const uint64_t *p)
{
#if defined(__GNUC__) || defined(__clang__)
	return __atomic_load_n(p, __ATOMIC_RELAXED);
#else
	return *p;
#endif
}

/**
 * tlbf__u64_diff - signed distance from @b to @a of two free-running counters
 * @a: the later value (or the one being tested)
 * @b: the reference value
 *
 * Returns: a - b as a signed 64-bit number, computed without overflow
 * (two's complement conversion of the unsigned difference). Correct across
 * the 2^64 wrap as long as the true distance is below 2^63.
 */
static inline int64_t tlbf__u64_diff(uint64_t a, uint64_t b)
{
	uint64_t d = a - b;
	/* Avoid the implementation-defined unsigned->signed conversion. */
	return d <= (uint64_t)INT64_MAX ? (int64_t)d
	                                : -(int64_t)(~d) - 1;
}

/**
 * tlbf__u64_reached - whether free-running counter @a has reached @b
 * @a: current value
 * @b: target value
 *
 * Returns: true when a is at or after b, compared by difference.
 */
static inline bool tlbf__u64_reached(uint64_t a, uint64_t b)
{
	return tlbf__u64_diff(a, b) >= 0;
}

/**
 * tlbf__popcount64 - number of set bits of @x
 * @x: the word
 *
 * Returns: the population count, 0 to 64.
 */
static inline unsigned tlbf__popcount64(uint64_t x)
{
#if (defined(__GNUC__) || defined(__clang__)) && \
    (!(defined(__x86_64__) || defined(__i386__)) || defined(__POPCNT__))
	return (unsigned)__builtin_popcountll(x);
#else
	/* x86 without POPCNT (the builtin would be a libgcc call, which a
	 * freestanding build may not have) and other compilers: SWAR count. */
	x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
	x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
	x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
	return (unsigned)((x * UINT64_C(0x0101010101010101)) >> 56);
#endif
}

/**
 * tlbf__ctz64 - index of the lowest set bit of @x
 * @x: the word; must not be 0
 *
 * Returns: 0 to 63.
 */
static inline unsigned tlbf__ctz64(uint64_t x)
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

#endif /* TLBFLUSH_BITS_H */
