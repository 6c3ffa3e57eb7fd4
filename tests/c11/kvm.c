/* SPDX-License-Identifier: MIT */
/*
 * GenMC clients of the KVM backend (tlbflush/kvm_backend.h), its real
 * code over the stubbed system of kvm_sys.h (signals, KVM_RUN). Labels
 * R1-R8 are those of the header.
 *
 * KVM_KICK (kvm-kick): the kick with cancel and wait against an entry,
 * the backend's own store-buffering pair (R1-R4), as mock_kick.c for the
 * mock's M1-M4, and the bind (R7/R8):
 *
 *   VP 0                                   kicker
 *   tlbf_kvm_vcpu_bind   R7 bound := 1     the backend's kick of VP 0
 *   tlbf_kvm_run         clear immediate_  with cancel and wait:
 *                        exit, R3 run :=   R1 cancel := 1, immediate_exit := 1
 *                        in, read cancel   R8 read bound; if 1, pthread_kill
 *     KVM_RUN (stub): unless immediate_       of the thread bind wrote
 *       exit, the guest reads the page     R2 read run; wait while in
 *                        R4 run := out     page := 1 (non-atomic: reused)
 *
 * The page is plain memory: GenMC reports a data race unless every guest
 * access happens before the kicker's write, i.e. unless the kick returns
 * only after the VP left KVM_RUN (R2's acquire loads on R4) and an entry
 * the kick did not see running sees the cancel and does not call KVM_RUN
 * (the pairs R1/R3, R2/R3). The thread id is plain too: a kicker that
 * reads `bound` set and then the id races with bind's write unless R8
 * synchronises with R7. One entry: the kick waits out the run it saw,
 * not a later one (a second entry after a cancelled one may run while
 * the kick returns; the entry driver's poll covers that entry, as in the
 * mock, docs/C11.md).
 *
 * KVM_KICK with C11_KVM_RUN_LASTS (kvm-kick-run): the same, but KVM_RUN
 * runs the guest until a signal (kvm_sys.h), and the VP stores its state
 * "in the guest" (V1, release) after the bind, which the kicker reads
 * (I2, acquire) before it kicks, as the library kicks only VPs it saw in
 * the guest. The kicker's relax hook, called while it waits, asserts that
 * a VP that stays in KVM_RUN has a signal still to take: the kick ends the
 * run it waits for, by immediate_exit (R1's second store, against the
 * VP's clear before R3) or by the signal. -DUNORDERED_BIND leaves out the
 * V1/I2 order: GenMC then finds the kick that never ends the run (a
 * finding, docs/C11.md; not a client).
 *
 * KVM_WAKE (kvm-wake): the wake against the halt (R5/R6):
 *
 *   VP 0                                   waker
 *   tlbf_kvm_vcpu_bind                     waits for `waiting`
 *   waiting := 1 (release)                 work := 1 (non-atomic)
 *   tlbf_kvm_halt: block the signal;       the backend's wake of VP 0:
 *     while (!take_wake: R6) sigsuspend    R5 wake := 1, pthread_kill
 *   read work
 *
 * `waiting` stands for the waiter's registration that a TLB-lock holder
 * reads before it wakes the VP (W2/H5 in tlb_lock.h): the VP is bound by
 * then (a wake that found the VP unbound would send no signal;
 * -DUNORDERED_BIND shows that wake lost). The wake comes before the halt
 * or during it. No lost wake-up: a VP that fell asleep in sigsuspend() for
 * good was sent a signal after (its sleep ends, and the next check finds
 * the wake: if it did not, it would fall asleep again with nothing to
 * come). No early wake: once the halt returns the VP reads the waker's
 * plain write (a data race unless R6 synchronises with R5).
 *
 * -DREACH=n fails the run where REACHED(n) is, to show that GenMC explores
 * that path: 1 entry cancelled at R3, 2 the guest ran, 3 KVM_RUN returned
 * at once on immediate_exit, 4 the kick found the VP outside KVM_RUN, 5
 * it waited for it (kvm-kick, kvm-kick-run); 6 the VP fell asleep with the
 * wake still to come, 7 the halt ended without a sleep, 8 woken from a
 * sleep (kvm-wake).
 */
#include "c11_common.h"

#include <genmc.h>

#include "kvm_sys.h"

#include "tlbflush/kvm_backend.h"

#ifdef REACH
#define REACHED(n) assert((n) != REACH)
#else
#define REACHED(n) ((void)0)
#endif

static struct tlbf_kvm k;
static struct tlbf_kvm_vcpu vcpus[1];
static struct tlbf_backend be;

static void setup(void)
{
	enum tlbf_status st = tlbf_kvm_init(&k, vcpus, 1, C11_KVM_SIGNO);
	assert(st == TLBF_STATUS_OK);
	st = tlbf_kvm_vcpu_set(&k, 0, C11_KVM_FD0, &c11_kvm_run_page[0]);
	assert(st == TLBF_STATUS_OK);
	be = tlbf_kvm_backend(&k);
}

#if defined(KVM_KICK)

static volatile uint64_t page; /* plain (volatile: not hoisted): reused by the kicker */
static result_t guest_saw, ran;

static void c11_kvm_guest(uint32_t vp)
{
	(void)vp;
	ST(guest_saw, page);
	ST(ran, 1);
}

#ifdef C11_KVM_RUN_LASTS
/* The VP's state word "in the guest" (V1), stored after the bind; the
 * kicker kicks a VP it saw there (I2, acquire), as tlbf_wake_decide()
 * does. */
static _Atomic uint64_t announced;
#endif

static void *vp_thread(void *arg)
{
	(void)arg;
	enum tlbf_status st = tlbf_kvm_vcpu_bind(&k, 0);
	assert(st == TLBF_STATUS_OK);
#ifdef C11_KVM_RUN_LASTS
	atomic_store_explicit(&announced, 1, memory_order_release);
#endif
	const enum tlbf_kvm_result r = tlbf_kvm_run(&k, 0, 0);
	assert(r == TLBF_KVM_RUN_CANCELLED || r == TLBF_KVM_RUN_EXIT ||
	       r == TLBF_KVM_RUN_INTERRUPTED);
	/* Cancelled at R3; the guest ran; KVM_RUN returned at once (immediate_exit). */
	REACHED(r == TLBF_KVM_RUN_CANCELLED ? 1 : LD(ran) ? 2 : 3);
	return NULL;
}

#ifdef C11_KVM_RUN_LASTS
/* The kicker's relax hook, called while it waits for the VP to leave
 * KVM_RUN: a VP that stays in KVM_RUN must have a signal still to take
 * (its run then ends, as explored where KVM_RUN takes it); the wait ends
 * here either way (it would last, or it is explored elsewhere). */
static void kicker_relax(void *arg)
{
	(void)arg;
	if (atomic_load_explicit(&c11_kvm_stuck, memory_order_acquire)) {
		const uint64_t t = LD(c11_kvm_stuck_thread);
		assert(atomic_load_explicit(&c11_sig_sent[t], memory_order_relaxed) >
		       LD(c11_kvm_stuck_taken)); /* else the kick never ends the run */
		__VERIFIER_assume(0);
	}
}
#endif

static void *kicker(void *arg)
{
	(void)arg;
#if defined(C11_KVM_RUN_LASTS) && !defined(UNORDERED_BIND)
	while (atomic_load_explicit(&announced, memory_order_acquire) == 0)
		;
#endif
	const uint64_t mask[1] = {1};
	int rc = be.ops->kick(be.ctx, mask, 1, TLBF_KICK_CANCEL | TLBF_KICK_WAIT);
	assert(rc == 0);
	page = 1;
	return NULL;
}

int main(void)
{
	setup();
#ifdef C11_KVM_RUN_LASTS
	k.relax = kicker_relax;
#endif
	pthread_t a = c11_spawn(vp_thread, 0);
	pthread_t b = c11_spawn(kicker, 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	/* The kick found the VP outside KVM_RUN / waited for it. */
	REACHED(tlbf__load(&k.waits, TLBF_RELAXED) ? 5 : 4);
	return 0;
}

#elif defined(KVM_WAKE)

static volatile uint64_t work; /* plain: written by the waker before its wake */
static _Atomic uint64_t waiting;
static result_t vp_saw;

static void c11_kvm_guest(uint32_t vp)
{
	(void)vp;
	assert(0); /* this client never enters */
}

static void *vp_thread(void *arg)
{
	(void)arg;
	enum tlbf_status st = tlbf_kvm_vcpu_bind(&k, 0);
	assert(st == TLBF_STATUS_OK);
	atomic_store_explicit(&waiting, 1, memory_order_release);
	st = tlbf_kvm_halt(&k, 0);
	assert(st == TLBF_STATUS_OK);
	ST(vp_saw, work);
	return NULL;
}

static void *waker(void *arg)
{
	(void)arg;
#ifndef UNORDERED_BIND
	while (atomic_load_explicit(&waiting, memory_order_acquire) == 0)
		;
#endif
	work = 1;
	const uint64_t mask[1] = {1};
	int rc = be.ops->wake(be.ctx, mask, 1);
	assert(rc == 0);
	return NULL;
}

int main(void)
{
	setup();
	pthread_t a = c11_spawn(vp_thread, 0);
	pthread_t b = c11_spawn(waker, 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	if (LD(c11_kvm_slept)) {
		/* Asleep for good: a signal came after it fell asleep. */
		const uint64_t t = LD(c11_kvm_slept_thread);
		assert(atomic_load_explicit(&c11_sig_sent[t], memory_order_relaxed) >
		       LD(c11_kvm_slept_taken));
		REACHED(6); /* fell asleep, the wake still to come */
	} else {
		assert(LD(vp_saw) == 1);
		REACHED(LD(c11_kvm_woke) ? 8 : 7); /* resumed: without a sleep / woken from one */
	}
	return 0;
}

#else
#error "define KVM_KICK or KVM_WAKE"
#endif
