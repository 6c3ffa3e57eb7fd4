/* SPDX-License-Identifier: MIT */
/*
 * The system under tlbflush/kvm_backend.h, for GenMC: what the backend
 * takes from <signal.h> (which cannot be included next to GenMC's own
 * pthread.h) and its ioctl, as stubs that GenMC can run. The client
 * defines, before including this file:
 *
 *     static void c11_kvm_guest(uint32_t vp);   the guest's code (plain accesses)
 *
 * and includes it before tlbflush/kvm_backend.h, which it configures:
 * TLBF_KVM_SIGNAL_H names this file, TLBF_KVM_IOCTL the ioctl stub.
 *
 * Signals. One kick signal (C11_KVM_SIGNO), sent by pthread_kill(), which
 * counts it for the thread (a release increment: the kernel delivers a
 * signal under the target's lock, so what the sender did before the kill
 * happens before the target takes it). The target thread takes every
 * signal sent so far (an acquire load of its count) where it can: when
 * KVM_RUN begins (one taken there ran the empty handler in user space and
 * is lost to KVM_RUN), when KVM_RUN would return on it, when it blocks the
 * signal (pthread_sigmask SIG_BLOCK: it ran before) and in sigsuspend().
 * Nothing releases back from the target to the sender: the stubs add no
 * ordering the kernel might not give.
 *
 * KVM_RUN (the only vCPU ioctl that does anything here; KVM_GET_SREGS and
 * KVM_SET_SREGS just succeed): returns -1 EINTR at once if the run page's
 * immediate_exit is set (read after the signals are taken, as KVM reads it
 * after the syscall entry); otherwise the guest runs (c11_kvm_guest) and
 * KVM_RUN returns -1 EINTR if a signal came meanwhile, else 0 (an exit of
 * the guest's own): a guest may exit at any time, so that covers every
 * safety property, but not whether a kick ends a run that would last.
 * With C11_KVM_RUN_LASTS defined, a KVM_RUN that took no signal by then
 * stays in the guest: it records that (c11_kvm_stuck, with the signals it
 * had taken) and ends the thread without returning; the client checks
 * that a signal came after (the run would end on it).
 *
 * sigsuspend() with no signal pending is the thread asleep: it records
 * that it fell asleep (c11_kvm_slept) and how many signals it had taken,
 * and ends the thread (pthread_exit); the client asserts after the join
 * that a signal was sent after that (the sleep would end), as tlb_lock.c
 * does for the mock's halt. A pending one is taken and it returns -1 EINTR.
 */
#ifndef TLBF_C11_KVM_SYS_H
#define TLBF_C11_KVM_SYS_H

#include <assert.h>
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define TLBF_KVM_SIGNAL_H "kvm_sys.h"
#define TLBF_KVM_IOCTL(fd, req, arg) c11_kvm_ioctl((fd), (req), (void *)(arg))

/* What <signal.h> gives the backend. */
typedef struct {
	uint64_t bits;
} sigset_t;
struct sigaction {
	void (*sa_handler)(int);
	sigset_t sa_mask;
	int sa_flags;
};
#define SA_RESTART 0x10000000
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

/* The kick signal the clients give tlbf_kvm_init(). */
#define C11_KVM_SIGNO 10
/* GenMC's thread ids: main is 0, the spawned threads 1, 2, ... */
#define C11_KVM_THREADS 4
/* The vCPUs' file descriptors: C11_KVM_FD0 + VP index. */
#define C11_KVM_FD0 100
#define C11_KVM_VCPUS 1

static void c11_kvm_guest(uint32_t vp);

/* Per thread: signals sent to it (the senders' release increments);
 * signals it took (its own, plain); the kick signal blocked (its own). */
static _Atomic uint64_t c11_sig_sent[C11_KVM_THREADS];
static uint64_t c11_sig_taken[C11_KVM_THREADS];
static int c11_sig_blocked[C11_KVM_THREADS];
/* Set by a thread that fell asleep in sigsuspend() for good (read by
 * main() after the join), with the signals it had taken then. */
static _Atomic uint64_t c11_kvm_slept, c11_kvm_slept_taken, c11_kvm_slept_thread;
/* Returns of sigsuspend() on a signal (read by main() after the join). */
static _Atomic uint64_t c11_kvm_woke;

/* C11_KVM_RUN_LASTS: set by a thread that stays in KVM_RUN (the guest
 * runs until a signal), with the signals it had taken then. */
static _Atomic uint64_t c11_kvm_stuck, c11_kvm_stuck_taken, c11_kvm_stuck_thread;

/* The run pages (struct kvm_run) of the vCPUs. */
static struct kvm_run c11_kvm_run_page[C11_KVM_VCPUS];

static inline long c11_kvm_self(void)
{
	const long t = (long)pthread_self();
	assert(t >= 0 && t < C11_KVM_THREADS);
	return t;
}

/* The calling thread takes every signal sent to it so far. Returns true
 * if there was a new one. */
static inline bool c11_sig_take(long t)
{
	const uint64_t s = atomic_load_explicit(&c11_sig_sent[t], memory_order_acquire);
	const bool fresh = s != c11_sig_taken[t];
	c11_sig_taken[t] = s;
	return fresh;
}

static inline int sigemptyset(sigset_t *s)
{
	s->bits = 0;
	return 0;
}

static inline int sigaddset(sigset_t *s, int signo)
{
	s->bits |= UINT64_C(1) << signo;
	return 0;
}

static inline int sigdelset(sigset_t *s, int signo)
{
	s->bits &= ~(UINT64_C(1) << signo);
	return 0;
}

static inline int sigaction(int signo, const struct sigaction *sa, struct sigaction *old)
{
	(void)signo, (void)sa, (void)old;
	return 0;
}

/* A change of the calling thread's mask: signals that came while the
 * kick signal was unblocked, or that become unblocked now, ran. */
static inline int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	const long t = c11_kvm_self();
	const uint64_t bit = UINT64_C(1) << C11_KVM_SIGNO;
	if (old != NULL)
		old->bits = c11_sig_blocked[t] ? bit : 0;
	if (!c11_sig_blocked[t])
		(void)c11_sig_take(t);
	if (set != NULL) {
		const bool in = (set->bits & bit) != 0;
		if (how == SIG_BLOCK)
			c11_sig_blocked[t] |= in;
		else if (how == SIG_UNBLOCK)
			c11_sig_blocked[t] &= !in;
		else
			c11_sig_blocked[t] = in;
	}
	if (!c11_sig_blocked[t])
		(void)c11_sig_take(t);
	return 0;
}

/* Sleep with @mask until a signal: one pending (sent and not taken) ends
 * it at once; none, and the thread is asleep for good (see the top). */
static inline int sigsuspend(const sigset_t *mask)
{
	const long t = c11_kvm_self();
	assert(!(mask->bits & (UINT64_C(1) << C11_KVM_SIGNO))); /* the kick signal can come */
	if (!c11_sig_take(t)) {
		atomic_store_explicit(&c11_kvm_slept_taken, c11_sig_taken[t], memory_order_relaxed);
		atomic_store_explicit(&c11_kvm_slept_thread, (uint64_t)t, memory_order_relaxed);
		atomic_store_explicit(&c11_kvm_slept, 1, memory_order_relaxed);
		pthread_exit(NULL);
	}
	atomic_fetch_add_explicit(&c11_kvm_woke, 1, memory_order_relaxed);
	errno = EINTR;
	return -1;
}

static inline int pthread_kill(pthread_t thread, int signo)
{
	assert(signo == C11_KVM_SIGNO);
	assert(thread > 0 && thread < C11_KVM_THREADS); /* a thread of the client */
	atomic_fetch_add_explicit(&c11_sig_sent[thread], 1, memory_order_release);
	return 0;
}

/* The vCPU ioctls the backend makes. */
static inline int c11_kvm_ioctl(int fd, unsigned long req, void *arg)
{
	const long t = c11_kvm_self();
	assert(fd >= C11_KVM_FD0 && fd < C11_KVM_FD0 + C11_KVM_VCPUS);
	const uint32_t vp = (uint32_t)(fd - C11_KVM_FD0);
	if (req == KVM_GET_SREGS || req == KVM_SET_SREGS)
		return 0;
	assert(req == KVM_RUN && arg == NULL);
	/* Signals that came before: their handler ran in user space. */
	(void)c11_sig_take(t);
	if (__atomic_load_n(&c11_kvm_run_page[vp].immediate_exit, __ATOMIC_RELAXED)) {
		errno = EINTR;
		return -1;
	}
	c11_kvm_guest(vp);
	if (c11_sig_take(t)) {
		errno = EINTR;
		return -1;
	}
#ifdef C11_KVM_RUN_LASTS
	/* The guest runs on until a signal: the thread stays in KVM_RUN. */
	atomic_store_explicit(&c11_kvm_stuck_taken, c11_sig_taken[t], memory_order_relaxed);
	atomic_store_explicit(&c11_kvm_stuck_thread, (uint64_t)t, memory_order_relaxed);
	atomic_store_explicit(&c11_kvm_stuck, 1, memory_order_release);
	pthread_exit(NULL);
#endif
	return 0;
}

#endif /* TLBF_C11_KVM_SYS_H */
