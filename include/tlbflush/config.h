/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/config.h - compile-time options of tlbflush.
 *
 * COMPILE-TIME OPTIONS
 *
 * Define any of these before the first tlbflush header is included (or on
 * the compiler command line). Every one has a default; nonsense is an
 * #error, never a silent fallback.
 *
 * TLBF_RING_CAPACITY
 *   Number of GVA-range slots in one flush ring. A power of two from 2 to
 *   4096. Default 32 (what OpenVMM and the Hyper-V flush list fast path are
 *   sized for). A batch larger than this is promoted to flush-entire.
 *
 * TLBF_MAX_VPS
 *   Largest number of virtual processors one partition may have. At most
 *   4096, which is what an HV_VP_SET sparse-4K set can name (64 banks of 64
 *   VPs). Default 4096. Sizes the kick-mask helpers.
 *
 * TLBF_VTL_COUNT
 *   Number of lower VTLs whose guest code a VP can run, and so the number
 *   of flush rings a VP polls in the broadcast use (VTL 0 and VTL 1).
 *   Default 2. From 1 to 2.
 *
 * TLBF_RING_PUSH_SPIN
 *   How many times a producer re-reads a ring slot that an older producer
 *   still holds before it gives up and degrades its push to flush-entire.
 *   From 0 (degrade at once) to 65536. Default 64 (a few hundred
 *   nanoseconds: covers a writer that is merely slow, not one that was
 *   preempted).
 *
 * TLBF_WAKE_WAIT_SPIN
 *   How many relax steps an initiator waits for a VP that another
 *   initiator is kicking before it sends a cancel of its own (so that a
 *   descheduled or failed kicker cannot hold it up). From 0 (cancel at
 *   once, never depend on another initiator) to 16777216. Default 1024.
 *
 * TLBF_GVA_BITS
 *   Width of a canonical guest virtual address: 48 (4-level paging,
 *   default) or 57 (5-level). A range that is not canonical at this width
 *   is promoted to flush-entire (never refused, never flushed by list).
 *
 * TLBF_MOCK_TLB_ENTRIES
 *   Entries of one VP's software TLB for one VTL in the mock backend
 *   (direct-mapped by page number). A power of two from 1 to 65536;
 *   default 64. Only tlbflush/mock_backend.h reads it.
 *
 * TLBF_CACHE_LINE
 *   Size in bytes of the unit of coherence that shared words are padded
 *   to. Default 64. A power of two, at least 16.
 *
 * TLBF_STATS
 *   1: compile in the counters of tlbflush/stats.h (the request side's
 *   tlbf_flush_count() and the VP side's counting in
 *   entry driver's in entry.h); 0 (default): those counting points are
 *   empty.
 *
 * TLBF_USDT
 *   1: compile in the USDT probes of tlbflush/trace.h (a nop and an ELF
 *   note each, from <sys/sdt.h>); 0 (default): no probe at all. Ignored
 *   (0) in a kernel build.
 *
 * TLBF_CPU_RELAX()
 *   The spin-wait hint of the library's few bounded spins (a degraded
 *   push's re-reads, an initiator waiting for a VP without a backend relax
 *   hook, the mock's waits). Default: `pause` on x86, `yield` on arm64,
 *   nothing elsewhere. Define it to ((void)0) for tools that cannot
 *   interpret those instructions (a model checker), or to a scheduler
 *   yield for an oversubscribed host.
 *
 * TLBF_ASSERT(expr)
 *   Debug assertion for internal invariants (never for guest input or a
 *   caller's index, which are checked in every build and answered with a
 *   status). Default: nothing. Define it (e.g. to assert()) in a debug
 *   build of a VMM.
 *
 * TLBF_STEP(label)
 *   Called at every labelled step of the protocol (push, poll, wake, VP
 *   entry/exit) with the label as a string literal, e.g. TLBF_STEP("P2").
 *   Default: nothing. The stress tests and the simulator's chaos mode
 *   define it to yield or sleep, to widen races.
 *
 * TLBF_ATOMIC_HOOK(ptr, kind)
 *   Called before every atomic operation on a shared word of the library
 *   (and of the mock backend and the oracle), with the word's address and
 *   TLBF_ATOMIC_HOOK_LOAD, _STORE, _RMW (every read-modify-write and
 *   compare-and-swap, failed or not) or _FENCE (the address is then a null
 *   pointer). Default: ((void)0), which evaluates nothing and leaves the
 *   code unchanged. For tools that trace the accesses (the deterministic
 *   simulator counts cache-line transfers with it). Not called in kernel
 *   mode.
 *
 * TLBF_BREAK(name)
 *   Fault injection for the oracles: an expression that, when true,
 *   disables the named protocol step (e.g. TLBF_BREAK(PENDING_SKIP)).
 *   Default 0, so the compiler removes every such branch. The simulator's
 *   --break mode and the should-fail stress tests define it. Never define
 *   it in production. The points are written TLBF_IF_BROKEN(name, stmt) /
 *   TLBF_UNLESS_BROKEN(name, stmt) at the step they break.
 *
 * TLBF_ATOMIC_GNU
 *   Define to 1 to implement atomics with the GCC/Clang __atomic builtins
 *   instead of <stdatomic.h> (for -nostdinc builds outside a kernel).
 *   Default: <stdatomic.h> when the compiler has it, else the builtins;
 *   in kernel mode, the kernel's own atomics (see TLBF_KERNEL).
 *
 * TLBF_KERNEL
 *   1: build inside a Linux kernel (a module, built-in code, KUnit): the
 *   types and limits come from <linux/types.h> and <linux/limits.h>, no C
 *   library header is included, TLBF_CPU_RELAX() is cpu_relax(), and the
 *   atomics are the Linux kernel memory model's (atomic64_t, smp_mb(),
 *   ...; the mapping is in docs/DESIGN.md, "Kernel mode"). 64-bit kernels
 *   only. 0: the C11 user-mode build. Default: 1 when __KERNEL__ is
 *   defined (kbuild defines it), else 0. docs/KERNEL.md tells how to use
 *   the library from a module.
 */
#ifndef TLBFLUSH_CONFIG_H
#define TLBFLUSH_CONFIG_H

#ifndef TLBF_KERNEL
#ifdef __KERNEL__
#define TLBF_KERNEL 1
#else
#define TLBF_KERNEL 0
#endif
#endif
#if TLBF_KERNEL != 0 && TLBF_KERNEL != 1
#error "TLBF_KERNEL must be 0 or 1"
#endif
#if TLBF_KERNEL && !defined(__KERNEL__)
#error "TLBF_KERNEL=1 needs a kernel build (__KERNEL__, kbuild's flags)"
#endif

/*
 * Types: the only headers the library takes from its environment. Every
 * other tlbflush header includes this one and none of its own (except
 * atomic_pvt.h, for the atomics).
 */
#if TLBF_KERNEL
/*
 * Kernel mode: kbuild compiles with -nostdinc, so there is no <stdint.h>.
 * <linux/types.h> has bool, size_t, uintptr_t and the C99 fixed-width
 * names (uint8_t to uint64_t, int64_t); the limits, UINT64_C and UINT32_C are
 * spelt differently in the kernel and are defined here from its own.
 */
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/limits.h>
#include <linux/const.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <asm/processor.h>
#ifndef CONFIG_64BIT
#error "tlbflush kernel mode needs a 64-bit kernel (every shared word is a 64-bit atomic)"
#endif
#ifndef UINT64_C
#define UINT64_C(x) ULL(x)
#endif
#ifndef UINT32_C
#define UINT32_C(x) (x##U)
#endif
#ifndef UINT64_MAX
#define UINT64_MAX U64_MAX
#endif
#ifndef INT64_MAX
#define INT64_MAX S64_MAX
#endif
#ifndef UINT32_MAX
#define UINT32_MAX U32_MAX
#endif
#ifndef TLBF_CPU_RELAX
#define TLBF_CPU_RELAX() cpu_relax()
#endif
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#ifndef TLBF_RING_CAPACITY
#define TLBF_RING_CAPACITY 32
#endif
#if TLBF_RING_CAPACITY < 2 || TLBF_RING_CAPACITY > 4096 || \
    (TLBF_RING_CAPACITY & (TLBF_RING_CAPACITY - 1)) != 0
#error "TLBF_RING_CAPACITY must be a power of two from 2 to 4096"
#endif

#ifndef TLBF_MAX_VPS
#define TLBF_MAX_VPS 4096
#endif
#if TLBF_MAX_VPS < 1 || TLBF_MAX_VPS > 4096
#error "TLBF_MAX_VPS must be from 1 to 4096 (the reach of an HV_VP_SET)"
#endif

#ifndef TLBF_VTL_COUNT
#define TLBF_VTL_COUNT 2
#endif
#if TLBF_VTL_COUNT < 1 || TLBF_VTL_COUNT > 2
#error "TLBF_VTL_COUNT must be 1 or 2"
#endif

#ifndef TLBF_RING_PUSH_SPIN
#define TLBF_RING_PUSH_SPIN 64
#endif
#if TLBF_RING_PUSH_SPIN < 0 || TLBF_RING_PUSH_SPIN > 65536
#error "TLBF_RING_PUSH_SPIN must be from 0 to 65536"
#endif

#ifndef TLBF_WAKE_WAIT_SPIN
#define TLBF_WAKE_WAIT_SPIN 1024
#endif
#if TLBF_WAKE_WAIT_SPIN < 0 || TLBF_WAKE_WAIT_SPIN > 16777216
#error "TLBF_WAKE_WAIT_SPIN must be from 0 to 16777216"
#endif

/* Ranges a push reads and classifies before it reserves anything: the
 * whole batch whenever the ring's capacity allows (256 bytes of stack at
 * most). Derived, not an option. */
#define TLBF_RING_PUSH_STAGE (TLBF_RING_CAPACITY < 32 ? TLBF_RING_CAPACITY : 32)

#ifndef TLBF_GVA_BITS
#define TLBF_GVA_BITS 48
#endif
#if TLBF_GVA_BITS != 48 && TLBF_GVA_BITS != 57
#error "TLBF_GVA_BITS must be 48 or 57"
#endif

#ifndef TLBF_MOCK_TLB_ENTRIES
#define TLBF_MOCK_TLB_ENTRIES 64
#endif
#if TLBF_MOCK_TLB_ENTRIES < 1 || TLBF_MOCK_TLB_ENTRIES > 65536 || \
    (TLBF_MOCK_TLB_ENTRIES & (TLBF_MOCK_TLB_ENTRIES - 1)) != 0
#error "TLBF_MOCK_TLB_ENTRIES must be a power of two from 1 to 65536"
#endif

#ifndef TLBF_CACHE_LINE
#define TLBF_CACHE_LINE 64
#endif
#if TLBF_CACHE_LINE < 16 || (TLBF_CACHE_LINE & (TLBF_CACHE_LINE - 1)) != 0
#error "TLBF_CACHE_LINE must be a power of two of at least 16"
#endif

#ifndef TLBF_STATS
#define TLBF_STATS 0
#endif
#if TLBF_STATS != 0 && TLBF_STATS != 1
#error "TLBF_STATS must be 0 or 1"
#endif

#ifndef TLBF_USDT
#define TLBF_USDT 0
#endif
#if TLBF_USDT != 0 && TLBF_USDT != 1
#error "TLBF_USDT must be 0 or 1"
#endif
#if defined(__KERNEL__)
#undef TLBF_USDT
#define TLBF_USDT 0 /* probes compile to nothing in a kernel */
#endif

#ifndef TLBF_CPU_RELAX
#if defined(__x86_64__) || defined(__i386__)
#define TLBF_CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define TLBF_CPU_RELAX() __asm__("yield" ::: "memory")
#else
#define TLBF_CPU_RELAX() ((void)0)
#endif
#endif

#ifndef TLBF_ASSERT
#define TLBF_ASSERT(expr) ((void)0)
#endif

#ifndef TLBF_STEP
#define TLBF_STEP(label) ((void)0)
#endif

#ifndef TLBF_BREAK
#define TLBF_BREAK(name) 0
#endif
/* The fault-injection points, one line at the step they break: a statement
 * that runs only when the step is broken, or only when it is not. */
#define TLBF_IF_BROKEN(name, stmt) \
	do { \
		if (TLBF_BREAK(name)) { \
			stmt; \
		} \
	} while (0)
#define TLBF_UNLESS_BROKEN(name, stmt) \
	do { \
		if (!TLBF_BREAK(name)) { \
			stmt; \
		} \
	} while (0)

/* Language glue so that every header is valid C11 and valid C++. */
#if defined(__cplusplus) || TLBF_KERNEL
#define TLBF_STATIC_ASSERT(expr, msg) static_assert(expr, msg)
#else
#define TLBF_STATIC_ASSERT(expr, msg) _Static_assert(expr, msg)
#endif
#ifdef __cplusplus
#define TLBF_ALIGNAS(n) alignas(n)
#define TLBF_EXTERN_C_BEGIN extern "C" {
#define TLBF_EXTERN_C_END }
#else
#define TLBF_ALIGNAS(n) _Alignas(n)
#define TLBF_EXTERN_C_BEGIN
#define TLBF_EXTERN_C_END
#endif

/* The limits above, as declarations the compiler checks. */
TLBF_STATIC_ASSERT((TLBF_RING_CAPACITY & (TLBF_RING_CAPACITY - 1)) == 0,
                   "TLBF_RING_CAPACITY must be a power of two");
TLBF_STATIC_ASSERT(TLBF_MAX_VPS <= 64 * 64, "an HV_VP_SET names at most 4096 VPs");

/* A result that must not be ignored: a status that may say "nothing was
 * done" (GNU warn_unused_result; nothing elsewhere). Define TLBF_MUST_CHECK
 * yourself (even empty) to override it. */
#ifndef TLBF_MUST_CHECK
#if defined(__GNUC__) || defined(__clang__)
#define TLBF_MUST_CHECK __attribute__((__warn_unused_result__))
#else
#define TLBF_MUST_CHECK
#endif
#endif

/* Number of 64-bit words of a bitmap of @n VPs (a kick or wake mask). */
#define TLBF_MASK_WORDS(n) (((n) + 63u) / 64u)

/* The VP index of no VP: the initiator of a request the VMM makes itself. */
#define TLBF_NO_VP UINT32_MAX

#if defined(__GNUC__) || defined(__clang__)
#define TLBF_LIKELY(x) __builtin_expect(!!(x), 1)
#define TLBF_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define TLBF_LIKELY(x) (x)
#define TLBF_UNLIKELY(x) (x)
#endif

#endif /* TLBFLUSH_CONFIG_H */
