/* SPDX-License-Identifier: MIT */
/*
 * examples/dsim/dsim_hooks.h - what turns the library and the four designs
 * into coroutines of the deterministic simulator (dsim).
 *
 * Included before anything else in every translation unit of dsim (the
 * compiler's -include), including the designs' sources in bench/designs,
 * which are compiled unmodified:
 *   TLBF_CPU_RELAX()       a yield to the scheduler (a spin iteration);
 *   TLBF_STEP(label)       a trace event and, with the probability the
 *                          seed chose, a yield with a random delay;
 *   TLBF_ATOMIC_HOOK(p,k)  the coherence ledger and the access's cost;
 *   TLBF_BREAK(name)       --break NAME;
 *   TLBF_ASSERT(e)         a failure with the replay command;
 * and, for the baselines, in this build only:
 *   the C11 atomic operations they use go through the same access hook;
 *   pthread mutexes and rwlocks are coroutine-aware sleeping locks (a
 *   waiter is parked, the unlocker hands over and pays the wake-up);
 *   a lock's release (those locks, and the FIFO spinlock's
 *   atomic_flag_clear) first pays the holder's debt, so that a lock is
 *   held for the time its critical section costs;
 *   sched_yield() is a yield (the FIFO spinlock's back-off);
 *   DESIGN_PLAIN_READ/WRITE (bench/designs/hooks.h), a design's plain
 *   memory under its lock, go through the same access hook, line by line.
 * The library uses the __atomic implementation (TLBF_ATOMIC_GNU), so that
 * its accesses are seen once, by TLBF_ATOMIC_HOOK, and the baselines' by
 * the redefinitions below.
 */
#ifndef TLBF_DSIM_HOOKS_H
#define TLBF_DSIM_HOOKS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* pthread_rwlock_t, ucontext */
#endif

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define TLBF_ATOMIC_GNU 1

/* Access kinds, as TLBF_ATOMIC_HOOK_* (atomic_pvt.h). */
void dsim_access(const volatile void *p, int kind);
void dsim_relax(void);
/* Before a lock's release: the holder pays the time its section cost. */
void dsim_release(void);
void dsim_step(const char *label);
bool dsim_break_is(const char *name);
void dsim_assert_failed(const char *file, int line, const char *expr);

#define TLBF_CPU_RELAX() dsim_relax()
#define TLBF_STEP(label) dsim_step(label)
#define TLBF_ATOMIC_HOOK(p, kind) dsim_access((p), (kind))
#define TLBF_BREAK(name) dsim_break_is(#name)
#define TLBF_ASSERT(e) ((e) ? (void)0 : dsim_assert_failed(__FILE__, __LINE__, #e))

/* The baselines' C11 atomics, through the same hook (0 load, 1 store,
 * 2 rmw, 3 fence). */
#undef atomic_load_explicit
#undef atomic_store_explicit
#undef atomic_fetch_add_explicit
#undef atomic_exchange_explicit
#undef atomic_compare_exchange_strong_explicit
#undef atomic_thread_fence
#undef atomic_flag_test_and_set_explicit
#undef atomic_flag_clear_explicit
#ifdef __clang__
#define atomic_load_explicit(p, mo) (dsim_access((p), 0), __c11_atomic_load((p), (mo)))
#define atomic_store_explicit(p, v, mo) (dsim_access((p), 1), __c11_atomic_store((p), (v), (mo)))
#define atomic_fetch_add_explicit(p, v, mo) \
	(dsim_access((p), 2), __c11_atomic_fetch_add((p), (v), (mo)))
#define atomic_exchange_explicit(p, v, mo) \
	(dsim_access((p), 2), __c11_atomic_exchange((p), (v), (mo)))
#define atomic_compare_exchange_strong_explicit(p, e, v, mo1, mo2) \
	(dsim_access((p), 2), __c11_atomic_compare_exchange_strong((p), (e), (v), (mo1), (mo2)))
#define atomic_flag_test_and_set_explicit(p, mo) \
	(dsim_access((p), 2), __c11_atomic_exchange(&(p)->_Value, 1, (mo)))
#define atomic_flag_clear_explicit(p, mo) \
	(dsim_release(), dsim_access((p), 1), __c11_atomic_store(&(p)->_Value, 0, (mo)))
#else
#define atomic_load_explicit(p, mo) (dsim_access((p), 0), __atomic_load_n((p), (mo)))
#define atomic_store_explicit(p, v, mo) (dsim_access((p), 1), __atomic_store_n((p), (v), (mo)))
#define atomic_fetch_add_explicit(p, v, mo) \
	(dsim_access((p), 2), __atomic_fetch_add((p), (v), (mo)))
#define atomic_exchange_explicit(p, v, mo) \
	(dsim_access((p), 2), __atomic_exchange_n((p), (v), (mo)))
#define atomic_compare_exchange_strong_explicit(p, e, v, mo1, mo2) \
	(dsim_access((p), 2), __atomic_compare_exchange_n((p), (e), (v), 0, (mo1), (mo2)))
#define atomic_flag_test_and_set_explicit(p, mo) \
	(dsim_access((p), 2), __atomic_test_and_set((p), (mo)))
#define atomic_flag_clear_explicit(p, mo) \
	(dsim_release(), dsim_access((p), 1), __atomic_clear((p), (mo)))
#endif
#define atomic_thread_fence(mo) (dsim_access((const void *)0, 3), __atomic_thread_fence(mo))

/* A design's plain shared memory under its lock (bench/designs/hooks.h):
 * every line of [p, p + bytes) read or written, for the ledger. */
void dsim_plain(const volatile void *p, unsigned long bytes, int kind);
#define DESIGN_PLAIN_READ(p, bytes) dsim_plain((p), (bytes), 0)
#define DESIGN_PLAIN_WRITE(p, bytes) dsim_plain((p), (bytes), 1)

/* Coroutine-aware locks over the pthread objects' storage. */
int dsim_mutex_init(pthread_mutex_t *m);
int dsim_mutex_lock(pthread_mutex_t *m);
int dsim_mutex_unlock(pthread_mutex_t *m);
int dsim_rwlock_init(pthread_rwlock_t *l);
int dsim_rwlock_rdlock(pthread_rwlock_t *l);
int dsim_rwlock_wrlock(pthread_rwlock_t *l);
int dsim_rwlock_unlock(pthread_rwlock_t *l);
int dsim_sched_yield(void);
int dsim_lock_destroy(const void *lock);
#define pthread_mutex_init(m, a) ((void)(a), dsim_mutex_init(m))
#define pthread_mutex_destroy(m) dsim_lock_destroy(m)
#define pthread_mutex_lock(m) dsim_mutex_lock(m)
#define pthread_mutex_unlock(m) dsim_mutex_unlock(m)
#define pthread_rwlock_init(l, a) ((void)(a), dsim_rwlock_init(l))
#define pthread_rwlock_destroy(l) dsim_lock_destroy(l)
#define pthread_rwlock_rdlock(l) dsim_rwlock_rdlock(l)
#define pthread_rwlock_wrlock(l) dsim_rwlock_wrlock(l)
#define pthread_rwlock_unlock(l) dsim_rwlock_unlock(l)
#define sched_yield() dsim_sched_yield()

#endif /* TLBF_DSIM_HOOKS_H */
