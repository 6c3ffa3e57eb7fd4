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
 *     and the default where <stdatomic.h> is missing): for -nostdinc
 *     -ffreestanding builds. Both give the same C11 memory model
 *     semantics; the builtins are what <stdatomic.h> expands to.
 * and, in kernel mode (TLBF_KERNEL, see config.h), a third:
 *   - the Linux kernel memory model's primitives on atomic64_t: each
 *     (operation, order) pair the library uses maps to the kernel
 *     primitive that gives at least the C11 order's guarantees, and to a
 *     stronger one only where the kernel has nothing equal (the table and
 *     its reasons are in docs/DESIGN.md, "Kernel mode"). The order names
 *     are tokens pasted into the primitive's name, so an order with no
 *     kernel mapping, or an order computed at run time, does not compile.
 */
#ifndef TLBFLUSH_ATOMIC_PVT_H
#define TLBFLUSH_ATOMIC_PVT_H

#include "config.h"

#ifndef TLBF_ATOMIC_GNU
#if TLBF_KERNEL
#define TLBF_ATOMIC_GNU 0
#elif defined(__STDC_NO_ATOMICS__) || \
    (defined(__cplusplus) && __cplusplus <= 202002L)
#define TLBF_ATOMIC_GNU 1
#else
#define TLBF_ATOMIC_GNU 0
#endif
#endif

/*
 * TLBF_ATOMIC_HOOK(ptr, kind) (config.h): called before every atomic
 * operation of the C11 and __atomic implementations, with the word's
 * address (a null pointer for a fence) and one of the kinds below. Not in
 * kernel mode. The default is ((void)0): its arguments are not evaluated
 * and the operations compile exactly as without it.
 */
#define TLBF_ATOMIC_HOOK_LOAD 0
#define TLBF_ATOMIC_HOOK_STORE 1
#define TLBF_ATOMIC_HOOK_RMW 2
#define TLBF_ATOMIC_HOOK_FENCE 3
#ifndef TLBF_ATOMIC_HOOK
#define TLBF_ATOMIC_HOOK(ptr, kind) ((void)0)
#endif
#define TLBF__HOOK(ptr, kind) TLBF_ATOMIC_HOOK(ptr, TLBF_ATOMIC_HOOK_##kind)

#if TLBF_KERNEL && !TLBF_ATOMIC_GNU
#include <linux/atomic.h>
#include <asm/barrier.h>
/*
 * Every shared word of the library is a uint64_t; in kernel mode it is an
 * atomic64_t (same size and alignment on 64-bit kernels), which only the
 * kernel's atomic64_*() functions can touch: a plain access is a compile
 * error, as it should be. The counter is an s64: values go in and out
 * through two's-complement casts (the kernel builds with -fno-strict-
 * overflow, and the arithmetic is done by the instruction anyway).
 */
#define TLBF_ATOMIC(T) atomic64_t
#define tlbf__load(p, mo) tlbf__k_load_##mo(p)
#define tlbf__store(p, v, mo) tlbf__k_store_##mo((p), (v))
#define tlbf__fetch_add(p, v, mo) tlbf__k_fetch_add_##mo((p), (v))
#define tlbf__fetch_or(p, v, mo) tlbf__k_fetch_or_##mo((p), (v))
#define tlbf__fetch_and(p, v, mo) tlbf__k_fetch_and_##mo((p), (v))
#define tlbf__xchg(p, v, mo) tlbf__k_xchg_##mo((p), (v))
#define tlbf__cas(p, expp, des, mo_ok, mo_fail) \
	tlbf__k_cas_##mo_ok##_##mo_fail((p), (expp), (des))
#define tlbf__fence(mo) tlbf__k_fence_##mo()

/* Loads. seq_cst: a full barrier before the acquire load, so that it is
 * ordered after every earlier seq_cst store and fence of this CPU (the
 * leading-fence mapping; seq_cst stores below are fully ordered too). */
static inline uint64_t tlbf__k_load_TLBF_RELAXED(const atomic64_t *p)
{
	return (uint64_t)atomic64_read(p);
}
static inline uint64_t tlbf__k_load_TLBF_ACQUIRE(const atomic64_t *p)
{
	return (uint64_t)atomic64_read_acquire(p);
}
static inline uint64_t tlbf__k_load_TLBF_SEQ_CST(const atomic64_t *p)
{
	smp_mb();
	return (uint64_t)atomic64_read_acquire(p);
}

/* Stores. seq_cst: a fully ordered exchange (smp_mb() on both sides), as
 * compilers do for a C11 seq_cst store on x86. */
static inline void tlbf__k_store_TLBF_RELAXED(atomic64_t *p, uint64_t v)
{
	atomic64_set(p, (s64)v);
}
static inline void tlbf__k_store_TLBF_RELEASE(atomic64_t *p, uint64_t v)
{
	atomic64_set_release(p, (s64)v);
}
static inline void tlbf__k_store_TLBF_SEQ_CST(atomic64_t *p, uint64_t v)
{
	(void)atomic64_xchg(p, (s64)v);
}

/* Read-modify-writes: the kernel's suffixes are the C11 orders; acq_rel
 * and seq_cst are the unsuffixed, fully ordered form (the kernel has no
 * acq_rel RMW; fully ordered is stronger). */
#define TLBF__K_RMW(op, mo, kfn)                                                  \
	static inline uint64_t tlbf__k_##op##_##mo(atomic64_t *p, uint64_t v)     \
	{                                                                         \
		return (uint64_t)kfn(p, v);                                       \
	}
#define tlbf__k_fadd_relaxed(p, v) atomic64_fetch_add_relaxed((s64)(v), (p))
#define tlbf__k_fadd_acquire(p, v) atomic64_fetch_add_acquire((s64)(v), (p))
#define tlbf__k_fadd_release(p, v) atomic64_fetch_add_release((s64)(v), (p))
#define tlbf__k_fadd_full(p, v) atomic64_fetch_add((s64)(v), (p))
#define tlbf__k_for_relaxed(p, v) atomic64_fetch_or_relaxed((s64)(v), (p))
#define tlbf__k_for_acquire(p, v) atomic64_fetch_or_acquire((s64)(v), (p))
#define tlbf__k_for_release(p, v) atomic64_fetch_or_release((s64)(v), (p))
#define tlbf__k_for_full(p, v) atomic64_fetch_or((s64)(v), (p))
#define tlbf__k_fand_relaxed(p, v) atomic64_fetch_and_relaxed((s64)(v), (p))
#define tlbf__k_fand_acquire(p, v) atomic64_fetch_and_acquire((s64)(v), (p))
#define tlbf__k_fand_release(p, v) atomic64_fetch_and_release((s64)(v), (p))
#define tlbf__k_fand_full(p, v) atomic64_fetch_and((s64)(v), (p))
#define tlbf__k_xch_relaxed(p, v) atomic64_xchg_relaxed((p), (s64)(v))
#define tlbf__k_xch_acquire(p, v) atomic64_xchg_acquire((p), (s64)(v))
#define tlbf__k_xch_release(p, v) atomic64_xchg_release((p), (s64)(v))
#define tlbf__k_xch_full(p, v) atomic64_xchg((p), (s64)(v))
TLBF__K_RMW(fetch_add, TLBF_RELAXED, tlbf__k_fadd_relaxed)
TLBF__K_RMW(fetch_add, TLBF_ACQUIRE, tlbf__k_fadd_acquire)
TLBF__K_RMW(fetch_add, TLBF_RELEASE, tlbf__k_fadd_release)
TLBF__K_RMW(fetch_add, TLBF_ACQ_REL, tlbf__k_fadd_full)
TLBF__K_RMW(fetch_add, TLBF_SEQ_CST, tlbf__k_fadd_full)
TLBF__K_RMW(fetch_or, TLBF_RELAXED, tlbf__k_for_relaxed)
TLBF__K_RMW(fetch_or, TLBF_ACQUIRE, tlbf__k_for_acquire)
TLBF__K_RMW(fetch_or, TLBF_RELEASE, tlbf__k_for_release)
TLBF__K_RMW(fetch_or, TLBF_ACQ_REL, tlbf__k_for_full)
TLBF__K_RMW(fetch_or, TLBF_SEQ_CST, tlbf__k_for_full)
TLBF__K_RMW(fetch_and, TLBF_RELAXED, tlbf__k_fand_relaxed)
TLBF__K_RMW(fetch_and, TLBF_ACQUIRE, tlbf__k_fand_acquire)
TLBF__K_RMW(fetch_and, TLBF_RELEASE, tlbf__k_fand_release)
TLBF__K_RMW(fetch_and, TLBF_ACQ_REL, tlbf__k_fand_full)
TLBF__K_RMW(fetch_and, TLBF_SEQ_CST, tlbf__k_fand_full)
TLBF__K_RMW(xchg, TLBF_RELAXED, tlbf__k_xch_relaxed)
TLBF__K_RMW(xchg, TLBF_ACQUIRE, tlbf__k_xch_acquire)
TLBF__K_RMW(xchg, TLBF_RELEASE, tlbf__k_xch_release)
TLBF__K_RMW(xchg, TLBF_ACQ_REL, tlbf__k_xch_full)
TLBF__K_RMW(xchg, TLBF_SEQ_CST, tlbf__k_xch_full)

/*
 * Compare-and-swap (strong, like the C11 one). The kernel orders a
 * cmpxchg only when it succeeds: a failed one is relaxed
 * (Documentation/atomic_t.txt). A C11 failure order of acquire is given
 * back by smp_acquire__after_ctrl_dep() on the failure branch: the branch
 * is a control dependency (load before later stores) and the barrier adds
 * load before later loads.
 */
static inline bool tlbf__k_cas_TLBF_RELAXED_TLBF_RELAXED(atomic64_t *p, uint64_t *expp, uint64_t des)
{
	return atomic64_try_cmpxchg_relaxed(p, (s64 *)expp, (s64)des);
}
static inline bool tlbf__k_cas_TLBF_ACQUIRE_TLBF_RELAXED(atomic64_t *p, uint64_t *expp, uint64_t des)
{
	return atomic64_try_cmpxchg_acquire(p, (s64 *)expp, (s64)des);
}
static inline bool tlbf__k_cas_TLBF_ACQUIRE_TLBF_ACQUIRE(atomic64_t *p, uint64_t *expp, uint64_t des)
{
	if (atomic64_try_cmpxchg_acquire(p, (s64 *)expp, (s64)des))
		return true;
	smp_acquire__after_ctrl_dep();
	return false;
}
static inline bool tlbf__k_cas_TLBF_RELEASE_TLBF_RELAXED(atomic64_t *p, uint64_t *expp, uint64_t des)
{
	return atomic64_try_cmpxchg_release(p, (s64 *)expp, (s64)des);
}
static inline bool tlbf__k_cas_TLBF_SEQ_CST_TLBF_SEQ_CST(atomic64_t *p, uint64_t *expp, uint64_t des)
{
	if (atomic64_try_cmpxchg(p, (s64 *)expp, (s64)des))
		return true;
	smp_mb(); /* a failed cmpxchg is unordered; C11's seq_cst failure is not */
	return false;
}

/*
 * Fences. The kernel's smp_rmb()/smp_wmb() order only loads against loads
 * and stores against stores; a C11 acquire fence also orders earlier loads
 * before later stores, and a release fence earlier loads before later
 * stores. Only smp_mb() orders all of them, so every C11 fence is smp_mb().
 */
static inline void tlbf__k_fence_TLBF_ACQUIRE(void)
{
	smp_mb();
}
static inline void tlbf__k_fence_TLBF_RELEASE(void)
{
	smp_mb();
}
static inline void tlbf__k_fence_TLBF_ACQ_REL(void)
{
	smp_mb();
}
static inline void tlbf__k_fence_TLBF_SEQ_CST(void)
{
	smp_mb();
}
#elif TLBF_ATOMIC_GNU
#if !defined(__GNUC__) && !defined(__clang__)
#error "TLBF_ATOMIC_GNU needs GCC or Clang __atomic builtins"
#endif
#define TLBF_ATOMIC(T) T
#define TLBF_RELAXED __ATOMIC_RELAXED
#define TLBF_ACQUIRE __ATOMIC_ACQUIRE
#define TLBF_RELEASE __ATOMIC_RELEASE
#define TLBF_ACQ_REL __ATOMIC_ACQ_REL
#define TLBF_SEQ_CST __ATOMIC_SEQ_CST
#define tlbf__load(p, mo) (TLBF__HOOK((p), LOAD), __atomic_load_n((p), mo))
#define tlbf__store(p, v, mo) (TLBF__HOOK((p), STORE), __atomic_store_n((p), (v), mo))
#define tlbf__fetch_add(p, v, mo) (TLBF__HOOK((p), RMW), __atomic_fetch_add((p), (v), mo))
#define tlbf__fetch_or(p, v, mo) (TLBF__HOOK((p), RMW), __atomic_fetch_or((p), (v), mo))
#define tlbf__fetch_and(p, v, mo) (TLBF__HOOK((p), RMW), __atomic_fetch_and((p), (v), mo))
#define tlbf__xchg(p, v, mo) (TLBF__HOOK((p), RMW), __atomic_exchange_n((p), (v), mo))
#define tlbf__cas(p, expp, des, mo_ok, mo_fail) \
	(TLBF__HOOK((p), RMW),                  \
	 __atomic_compare_exchange_n((p), (expp), (des), 0, mo_ok, mo_fail))
#define tlbf__fence(mo) (TLBF__HOOK((const void *)0, FENCE), __atomic_thread_fence(mo))
#else
#include <stdatomic.h>
#define TLBF_ATOMIC(T) _Atomic(T)
#define TLBF_RELAXED memory_order_relaxed
#define TLBF_ACQUIRE memory_order_acquire
#define TLBF_RELEASE memory_order_release
#define TLBF_ACQ_REL memory_order_acq_rel
#define TLBF_SEQ_CST memory_order_seq_cst
#define tlbf__load(p, mo) (TLBF__HOOK((p), LOAD), atomic_load_explicit((p), mo))
#define tlbf__store(p, v, mo) (TLBF__HOOK((p), STORE), atomic_store_explicit((p), (v), mo))
#define tlbf__fetch_add(p, v, mo) (TLBF__HOOK((p), RMW), atomic_fetch_add_explicit((p), (v), mo))
#define tlbf__fetch_or(p, v, mo) (TLBF__HOOK((p), RMW), atomic_fetch_or_explicit((p), (v), mo))
#define tlbf__fetch_and(p, v, mo) (TLBF__HOOK((p), RMW), atomic_fetch_and_explicit((p), (v), mo))
#define tlbf__xchg(p, v, mo) (TLBF__HOOK((p), RMW), atomic_exchange_explicit((p), (v), mo))
#define tlbf__cas(p, expp, des, mo_ok, mo_fail) \
	(TLBF__HOOK((p), RMW),                  \
	 atomic_compare_exchange_strong_explicit((p), (expp), (des), mo_ok, mo_fail))
#define tlbf__fence(mo) (TLBF__HOOK((const void *)0, FENCE), atomic_thread_fence(mo))
#endif

/*
 * Initialise an atomic word that no other thread can see yet. Relaxed is
 * enough: publication of the containing object to other threads is the
 * caller's business (a thread start, a release store of a pointer, ...).
 */
#define tlbf__init(p, v) tlbf__store((p), (v), TLBF_RELAXED)

#endif /* TLBFLUSH_ATOMIC_PVT_H */
