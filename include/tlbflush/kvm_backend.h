/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/kvm_backend.h - a backend on Linux KVM, from user space.
 *
 * A VP is a vCPU thread of a VMM on /dev/kvm. The thread's run loop is the
 * library's entry driver (tlbflush/entry.h) around tlbf_kvm_run():
 *
 *     tlbf_kvm_vcpu_bind(&k, vp)                  on the vCPU's thread, once
 *     loop:
 *         tlbf_entry_prepare(&e, 0)
 *         r = tlbf_kvm_run(&k, vp)                KVM_RUN, or cancelled
 *         tlbf_entry_done(&e, tlbf_kvm_entered(r))
 *         if (r == TLBF_KVM_RUN_EXIT) handle kvm_run->exit_reason
 *
 * What the backend does with each capability (backend.h):
 *
 *   flush_list      NULL: user space cannot flush a list of pages on one
 *                   vCPU, so every list becomes a flush of every linear
 *                   translation at the VP's next entry (entry.h)
 *   flush_at_entry  remembers the scope; tlbf_kvm_run() carries out any
 *                   scope but NONE before KVM_RUN by a reset of the vCPU's
 *                   MMU context: KVM_SET_SREGS with CR4.PGE toggled, then
 *                   KVM_SET_SREGS with CR4 restored. KVM drops the vCPU's
 *                   roots on a CR4.PGE change and flushes its translations
 *                   before the vCPU next runs guest code, whenever that is:
 *                   the flush is handed to KVM before KVM_RUN is called, so
 *                   a KVM_RUN that returns at once (a kick) does not undo it
 *   kick            per VP: the cancel word (R1), the run page's
 *                   immediate_exit, and a signal to the vCPU's thread; with
 *                   TLBF_KICK_WAIT, a wait on the VP's run word (R2) until
 *                   its KVM_RUN has returned
 *   wake            the wake word (R5) and the same signal: ends a halt in
 *                   tlbf_kvm_halt() (VSM TLB locks)
 *   relax           the caller's hook (e.g. sched_yield), or a CPU pause
 *
 * THE SIGNAL. tlbf_kvm_install_signal() installs an empty handler for the
 * kick signal, without SA_RESTART. A signal that reaches the thread inside
 * KVM_RUN makes KVM_RUN return -EINTR; one that reaches it just before
 * KVM_RUN would be lost, so the kicker sets the run page's immediate_exit
 * before it sends the signal: a KVM_RUN that starts after that returns
 * -EINTR at once. The handler itself has nothing to do (it only must not
 * be SIG_IGN, or the kernel would drop the signal). The signal also makes
 * other blocking calls of the vCPU thread return EINTR.
 *
 * ENTRY AGAINST KICK (store-buffering pair, like the mock's M1-M4). The
 * VP clears immediate_exit, stores its run word "in KVM_RUN" then loads
 * its cancel word (R3, seq_cst on both); the kicker stores the cancel
 * word, then sets immediate_exit, then loads the run word (R1, R2, seq_cst
 * on both). Either the VP sees the cancel and does not call KVM_RUN, or
 * the kicker sees it in KVM_RUN and waits until the VP's release store of
 * "out" (R4) after KVM_RUN returned; then the kicker's immediate_exit
 * (ordered after the VP's clear by the same pair) or its signal ends that
 * KVM_RUN. Nothing the VP does after R4 runs guest code without another
 * R3, which sees the cancel or is seen running by a later kick.
 *
 * WAKE AGAINST HALT: message passing, R5 (release store of the wake word)
 * pairs with R6 (the acquire exchange that consumes it); the halt blocks
 * the signal, checks the word, and sleeps in sigsuspend() with the signal
 * unblocked, so a wake between the check and the sleep is not lost.
 *
 * x86-64 Linux, hosted (POSIX threads and signals). No allocation: the
 * caller provides the per-vCPU storage. In strict ISO C mode (-std=c11)
 * without a feature-test macro the header asks for POSIX.1-2008 itself,
 * which works when it is the first header the file includes; otherwise
 * define _POSIX_C_SOURCE 200809L (or _GNU_SOURCE) before any #include.
 */
#ifndef TLBFLUSH_KVM_BACKEND_H
#define TLBFLUSH_KVM_BACKEND_H

#if !defined(__x86_64__) || !defined(__linux__)
#error "tlbflush/kvm_backend.h needs x86-64 Linux (/dev/kvm); use tlbflush/mock_backend.h elsewhere"
#endif

#if defined(__STRICT_ANSI__) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE) && \
    !defined(_DEFAULT_SOURCE) && !defined(_XOPEN_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "config.h"
#include "atomic_pvt.h"
#include "backend.h"
#include "bits.h"
#include "ring.h"
#include "status.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sys/ioctl.h>
/* The header the signal calls come from (sigaction, sigset_t and its
 * functions, pthread_sigmask, sigsuspend, pthread_kill): a model checker's
 * client, which cannot include the C library's (it has its own pthread.h)
 * nor run signals, names its own stubs (tests/c11/kvm_sys.h). */
#ifdef TLBF_KVM_SIGNAL_H
#include TLBF_KVM_SIGNAL_H
#else
#include <signal.h>
#endif

#if !defined(SA_RESTART)
#error "tlbflush/kvm_backend.h needs POSIX signals: define _POSIX_C_SOURCE 200809L (or _GNU_SOURCE) before the first #include"
#endif

TLBF_EXTERN_C_BEGIN

/* The ioctl the backend calls: a test may define it to a recorder. */
#ifndef TLBF_KVM_IOCTL
#define TLBF_KVM_IOCTL ioctl
#endif

/* CR4.PGE, the bit whose change resets a vCPU's MMU context. */
#define TLBF_KVM_CR4_PGE (UINT64_C(1) << 7)

/**
 * enum tlbf_kvm_result - how tlbf_kvm_run() ended
 * @TLBF_KVM_RUN_CANCELLED: a kick's cancel was pending; KVM_RUN was not
 *	called and no flush was made (the driver keeps it pending)
 * @TLBF_KVM_RUN_EXIT: KVM_RUN returned 0: handle kvm_run->exit_reason
 * @TLBF_KVM_RUN_INTERRUPTED: KVM_RUN returned -EINTR (a kick, or another
 *	signal): nothing to handle, run again
 * @TLBF_KVM_RUN_FLUSH_FAILED: the MMU reset (KVM_GET_SREGS/KVM_SET_SREGS)
 *	failed; KVM_RUN was not called, the flush stays pending
 * @TLBF_KVM_RUN_FAILED: KVM_RUN failed otherwise (errno tells)
 */
enum tlbf_kvm_result {
	TLBF_KVM_RUN_CANCELLED = 0,
	TLBF_KVM_RUN_EXIT,
	TLBF_KVM_RUN_INTERRUPTED,
	TLBF_KVM_RUN_FLUSH_FAILED,
	TLBF_KVM_RUN_FAILED
};

/**
 * struct tlbf_kvm_vcpu - one vCPU of the KVM backend
 * @cancel: pending cancel (shared: set by kickers, R1; consumed by the VP)
 * @run: KVM_RUN count << 1 | in KVM_RUN (shared: watched by kickers, R2)
 * @wake: pending wake-up (shared: set by wake, R5; consumed, R6)
 * @bound: 1 once @thread is set (shared: read by kickers)
 * @thread: the vCPU's thread (tlbf_kvm_vcpu_bind())
 * @fd: the vCPU file descriptor (KVM_CREATE_VCPU)
 * @kvm_run: its mmap()ed struct kvm_run
 * @scope: per VTL, the scope of the next entry's flush (VP thread only)
 * @runs, @cancelled, @interrupted, @mmu_resets: statistics (VP thread only):
 *	KVM_RUN calls, entries cancelled before KVM_RUN, KVM_RUN calls that
 *	returned -EINTR, MMU resets made
 */
struct tlbf_kvm_vcpu {
	TLBF_ALIGNAS(TLBF_CACHE_LINE) TLBF_ATOMIC(uint64_t) cancel;
	TLBF_ATOMIC(uint64_t) run;
	TLBF_ATOMIC(uint64_t) wake;
	TLBF_ATOMIC(uint64_t) bound;
	pthread_t thread;
	int fd;
	struct kvm_run *kvm_run;
	uint8_t scope[TLBF_VTL_COUNT];
	uint64_t runs;
	uint64_t cancelled;
	uint64_t interrupted;
	uint64_t mmu_resets;
};

/**
 * struct tlbf_kvm - the KVM backend's state
 * @vcpus: one struct tlbf_kvm_vcpu per VP (caller storage)
 * @nvcpus: number of VPs
 * @signo: the kick signal (tlbf_kvm_install_signal())
 * @relax: called while a kicker waits for a VP (e.g. sched_yield), or NULL
 * @relax_arg: its argument
 * @kicks: statistics: cancels sent (per VP)
 * @waits: statistics: VPs waited for (found in KVM_RUN)
 * @wakes: statistics: wake-ups sent (per VP)
 */
struct tlbf_kvm {
	struct tlbf_kvm_vcpu *vcpus;
	uint32_t nvcpus;
	int signo;
	void (*relax)(void *arg);
	void *relax_arg;
	TLBF_ATOMIC(uint64_t) kicks;
	TLBF_ATOMIC(uint64_t) waits;
	TLBF_ATOMIC(uint64_t) wakes;
};

/* The kick signal's handler: nothing to do (see the top of this file). */
static inline void tlbf__kvm_on_signal(int signo)
{
	(void)signo;
}

/**
 * tlbf_kvm_install_signal - install the kick signal's handler
 * @signo: the signal (e.g. SIGRTMIN or SIGUSR1), the same for every vCPU
 *	thread and given to tlbf_kvm_init()
 *
 * An empty handler, without SA_RESTART: KVM_RUN returns -EINTR, and so do
 * other blocking calls of a vCPU thread the signal reaches. Process-wide;
 * call it once, before any kick.
 * Returns: TLBF_STATUS_OK; TLBF_STATUS_OS_ERROR with errno set
 * (sigaction() refused the signal).
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_kvm_install_signal(int signo)
{
	struct sigaction sa;
	sa.sa_handler = tlbf__kvm_on_signal;
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	return sigaction(signo, &sa, NULL) == 0 ? TLBF_STATUS_OK : TLBF_STATUS_OS_ERROR;
}

/**
 * tlbf_kvm_init - set up the backend over caller storage
 * @k: the backend
 * @vcpus: @nvcpus entries (caller storage; cleared here but for @fd and
 *	@kvm_run, set afterwards with tlbf_kvm_vcpu_set())
 * @nvcpus: number of VPs (the partition's VP count), 1 to TLBF_MAX_VPS
 * @signo: the kick signal (tlbf_kvm_install_signal())
 *
 * Concurrency: before any thread uses the backend.
 * Returns: TLBF_STATUS_OK; refused, nothing written: TLBF_STATUS_BAD_STORAGE
 * (@k or @vcpus NULL), _BAD_VP_COUNT.
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_kvm_init(struct tlbf_kvm *k,
                                                             struct tlbf_kvm_vcpu *vcpus,
                                                             uint32_t nvcpus, int signo)
{
	if (k == NULL || vcpus == NULL)
		return TLBF_STATUS_BAD_STORAGE;
	if (nvcpus == 0 || nvcpus > (uint32_t)TLBF_MAX_VPS)
		return TLBF_STATUS_BAD_VP_COUNT;
	k->vcpus = vcpus;
	k->nvcpus = nvcpus;
	k->signo = signo;
	k->relax = NULL;
	k->relax_arg = NULL;
	tlbf__init(&k->kicks, 0);
	tlbf__init(&k->waits, 0);
	tlbf__init(&k->wakes, 0);
	for (uint32_t i = 0; i < nvcpus; i++) {
		struct tlbf_kvm_vcpu *c = &vcpus[i];
		tlbf__init(&c->cancel, 0);
		tlbf__init(&c->run, 0);
		tlbf__init(&c->wake, 0);
		tlbf__init(&c->bound, 0);
		c->fd = -1;
		c->kvm_run = NULL;
		for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
			c->scope[v] = TLBF_SCOPE_NONE;
		c->runs = c->cancelled = c->interrupted = c->mmu_resets = 0;
	}
	return TLBF_STATUS_OK;
}

/**
 * tlbf_kvm_vcpu_set - give VP @vp its vCPU
 * @k: the backend
 * @vp: the VP
 * @fd: the vCPU file descriptor
 * @kvm_run: its struct kvm_run, mmap()ed from @fd
 *
 * Concurrency: before the VP's thread and any kicker use the backend.
 * Returns: TLBF_STATUS_OK; refused, nothing changed: TLBF_STATUS_BAD_VP
 * (a VP the backend does not have), _BAD_STORAGE (@kvm_run NULL).
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_kvm_vcpu_set(struct tlbf_kvm *k, uint32_t vp,
                                                                 int fd, struct kvm_run *kvm_run)
{
	if (vp >= k->nvcpus)
		return TLBF_STATUS_BAD_VP;
	if (kvm_run == NULL)
		return TLBF_STATUS_BAD_STORAGE;
	k->vcpus[vp].fd = fd;
	k->vcpus[vp].kvm_run = kvm_run;
	return TLBF_STATUS_OK;
}

/**
 * tlbf_kvm_vcpu_bind - the calling thread is VP @vp's thread
 * @k: the backend
 * @vp: the VP
 *
 * Call it on the vCPU's thread before its first tlbf_kvm_run(). Until
 * then kicks set the VP's cancel word without a signal (the VP is not in
 * KVM_RUN, and its first entry sees the cancel). The bind must happen
 * before any kick that could find the VP in KVM_RUN: under the C11 model a
 * kick racing the bind may read @bound as 0 and send no signal to a VP
 * that already entered. The library meets this on its own: it kicks only
 * VPs it found in the guest, and a VP is in the guest only after its
 * entry announced it (V1, release, read by the kicker's I2, acquire),
 * which follows the bind on the VP's thread.
 * Returns: TLBF_STATUS_OK; TLBF_STATUS_BAD_VP (nothing changed) for a VP
 * the backend does not have.
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_kvm_vcpu_bind(struct tlbf_kvm *k, uint32_t vp)
{
	if (vp >= k->nvcpus)
		return TLBF_STATUS_BAD_VP;
	k->vcpus[vp].thread = pthread_self();
	TLBF_STEP("R7");
	/* R7: release, pairs with R8 (the kicker's acquire load of @bound,
	 * which then reads @thread written above). */
	tlbf__store(&k->vcpus[vp].bound, 1, TLBF_RELEASE);
	return TLBF_STATUS_OK;
}

static inline void tlbf__kvm_flush_at_entry(void *ctx, uint32_t vp, unsigned vtl,
                                            enum tlbf_scope scope)
{
	struct tlbf_kvm *k = (struct tlbf_kvm *)ctx;
	if (vp >= k->nvcpus || vtl >= TLBF_VTL_COUNT)
		return;
	/* A scope out of range is the strongest: flushing more is safe. */
	k->vcpus[vp].scope[vtl] =
	    (uint8_t)((unsigned)scope < TLBF_SCOPE__COUNT ? scope : TLBF_SCOPE_GPA);
}

static inline void tlbf__kvm_relax(void *ctx)
{
	struct tlbf_kvm *k = (struct tlbf_kvm *)ctx;
	if (k->relax)
		k->relax(k->relax_arg);
	else
		TLBF_CPU_RELAX();
}

/* Signal VP @vp's thread, if it has one yet. Returns 0 or an errno. */
static inline int tlbf__kvm_signal(struct tlbf_kvm *k, uint32_t vp)
{
	struct tlbf_kvm_vcpu *c = &k->vcpus[vp];
	/* R8: acquire, pairs with R7 in tlbf_kvm_vcpu_bind(). */
	if (tlbf__load(&c->bound, TLBF_ACQUIRE) == 0)
		return 0;
	return pthread_kill(c->thread, k->signo);
}

static inline int tlbf__kvm_kick(void *ctx, const uint64_t *mask, uint32_t nbits, unsigned flags)
{
	struct tlbf_kvm *k = (struct tlbf_kvm *)ctx;
	const uint32_t words = (nbits + 63) / 64;
	int rc = 0;
	if (nbits > k->nvcpus)
		return -1;
	if (flags & TLBF_KICK_CANCEL) {
		for (uint32_t w = 0; w < words; w++) {
			for (uint64_t bits = mask[w]; bits; bits &= bits - 1) {
				const uint32_t vp = w * 64 + tlbf__ctz64(bits);
				struct tlbf_kvm_vcpu *c = &k->vcpus[vp];
				TLBF_STEP("R1");
				/* R1: seq_cst, pairs with R3 in tlbf_kvm_run()
				 * (store-buffering pair, see the top of this file). */
				tlbf__store(&c->cancel, 1, TLBF_SEQ_CST);
				/* R1: seq_cst store of immediate_exit, after the
				 * cancel: pairs with the VP's seq_cst clear before R3,
				 * so a VP that missed the cancel cleared before this
				 * store, and a KVM_RUN it starts returns at once. */
				if (c->kvm_run != NULL) /* NULL: no vCPU yet, never in KVM_RUN */
					__atomic_store_n(&c->kvm_run->immediate_exit, (uint8_t)1,
					                 __ATOMIC_SEQ_CST);
				/* Relaxed: a statistic. */
				tlbf__fetch_add(&k->kicks, 1, TLBF_RELAXED);
				if (!TLBF_BREAK(KVM_NO_SIGNAL)) {
					const int e = tlbf__kvm_signal(k, vp);
					if (e != 0 && rc == 0)
						rc = -e;
				}
			}
		}
	}
	if (!(flags & TLBF_KICK_WAIT))
		return rc;
	for (uint32_t w = 0; w < words; w++) {
		for (uint64_t bits = mask[w]; bits; bits &= bits - 1) {
			const uint32_t vp = w * 64 + tlbf__ctz64(bits);
			struct tlbf_kvm_vcpu *c = &k->vcpus[vp];
			TLBF_STEP("R2");
			/* R2: seq_cst load (pairs with R3: a VP whose entry missed
			 * our cancel is seen in KVM_RUN), then acquire loads (pair
			 * with R4: what the VP did in the guest happens before our
			 * return). Wait while it is in the same KVM_RUN. */
			const uint64_t r0 = tlbf__load(&c->run, TLBF_SEQ_CST);
			if (!(r0 & 1))
				continue;
			/* Relaxed: a statistic. */
			tlbf__fetch_add(&k->waits, 1, TLBF_RELAXED);
			/* R2 (its acquire loads): pair with R4. */
			while (tlbf__load(&c->run, TLBF_ACQUIRE) == r0)
				tlbf__kvm_relax(k);
		}
	}
	return rc;
}

static inline int tlbf__kvm_wake(void *ctx, const uint64_t *mask, uint32_t nbits)
{
	struct tlbf_kvm *k = (struct tlbf_kvm *)ctx;
	int rc = 0;
	if (nbits > k->nvcpus)
		return -1;
	for (uint32_t w = 0; w < (nbits + 63) / 64; w++) {
		for (uint64_t bits = mask[w]; bits; bits &= bits - 1) {
			const uint32_t vp = w * 64 + tlbf__ctz64(bits);
			if (TLBF_BREAK(KVM_NO_WAKE)) /* tests: the wake-up lost */
				continue;
			TLBF_STEP("R5");
			/* R5: release, pairs with R6 in tlbf_kvm_take_wake(): what
			 * the waker did before (H6) happens before the woken VP
			 * checks again. */
			tlbf__store(&k->vcpus[vp].wake, 1, TLBF_RELEASE);
			/* Relaxed: a statistic. */
			tlbf__fetch_add(&k->wakes, 1, TLBF_RELAXED);
			const int e = tlbf__kvm_signal(k, vp);
			if (e != 0 && rc == 0)
				rc = -e;
		}
	}
	return rc;
}

/**
 * tlbf_kvm_backend - the struct tlbf_backend of a KVM backend
 * @k: the backend (tlbf_kvm_init())
 *
 * Returns: a backend without flush_list, whose flush_at_entry, kick, wake
 * and relax act on @k.
 */
static inline struct tlbf_backend tlbf_kvm_backend(struct tlbf_kvm *k)
{
	static const struct tlbf_backend_ops ops = {
		NULL, tlbf__kvm_flush_at_entry, tlbf__kvm_kick, tlbf__kvm_wake, tlbf__kvm_relax,
	};
	struct tlbf_backend be = {&ops, k};
	return be;
}

/**
 * tlbf_kvm_mmu_reset - reset the MMU context of VP @vp's vCPU
 * @k: the backend
 * @vp: the VP (its own thread, outside KVM_RUN)
 *
 * KVM_SET_SREGS with CR4.PGE toggled, then with CR4 as it was: KVM drops
 * the vCPU's translations and flushes before the vCPU next runs guest
 * code. tlbf_kvm_run() calls it for a pending flush.
 * Returns: TLBF_STATUS_OK; TLBF_STATUS_BAD_VP (nothing done) for a VP the
 * backend does not have; TLBF_STATUS_OS_ERROR with errno set (the ioctl
 * that failed; CR4 may be left toggled only if the second KVM_SET_SREGS
 * failed).
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_kvm_mmu_reset(struct tlbf_kvm *k, uint32_t vp)
{
	struct kvm_sregs sr;
	if (vp >= k->nvcpus)
		return TLBF_STATUS_BAD_VP;
	const int fd = k->vcpus[vp].fd;
	if (TLBF_KVM_IOCTL(fd, KVM_GET_SREGS, &sr) != 0)
		return TLBF_STATUS_OS_ERROR;
	const uint64_t cr4 = sr.cr4;
	sr.cr4 = cr4 ^ TLBF_KVM_CR4_PGE;
	if (TLBF_KVM_IOCTL(fd, KVM_SET_SREGS, &sr) != 0)
		return TLBF_STATUS_OS_ERROR;
	sr.cr4 = cr4;
	if (TLBF_KVM_IOCTL(fd, KVM_SET_SREGS, &sr) != 0)
		return TLBF_STATUS_OS_ERROR;
	k->vcpus[vp].mmu_resets++;
	return TLBF_STATUS_OK;
}

/* The VP is out of KVM_RUN (R4). */
static inline void tlbf__kvm_out(struct tlbf_kvm_vcpu *c, uint64_t run)
{
	TLBF_STEP("R4");
	/* R4: release store of "out", pairs with the kicker's acquire loads
	 * (R2): everything the guest did happens before the kick returns. */
	tlbf__store(&c->run, run & ~UINT64_C(1), TLBF_RELEASE);
}

/**
 * tlbf_kvm_run - enter VTL @vtl of VP @vp's vCPU: KVM_RUN, unless cancelled
 * @k: the backend
 * @vp: the VP (its own thread, bound with tlbf_kvm_vcpu_bind(), after
 *	tlbf_entry_prepare())
 * @vtl: the VTL entered (the one tlbf_entry_prepare() was given; KVM runs
 *	one, so 0 in a partition without VSM)
 *
 * Clears immediate_exit, announces "in KVM_RUN" and checks for a cancel
 * (R3). A pending cancel is consumed and the entry cancelled. Otherwise a
 * pending flush scope other than NONE is carried out by an MMU reset
 * (tlbf_kvm_mmu_reset()), then KVM_RUN runs the vCPU until an exit or a
 * kick. Then the VP is out (R4) and any cancel that ended the run is
 * consumed.
 * Returns: enum tlbf_kvm_result; pass it to tlbf_kvm_entered() for
 * tlbf_entry_done().
 */
static inline enum tlbf_kvm_result tlbf_kvm_run(struct tlbf_kvm *k, uint32_t vp, unsigned vtl)
{
	if (vp >= k->nvcpus || vtl >= TLBF_VTL_COUNT || k->vcpus[vp].kvm_run == NULL)
		return TLBF_KVM_RUN_FAILED;
	struct tlbf_kvm_vcpu *c = &k->vcpus[vp];
	const uint64_t run = (tlbf__load(&c->run, TLBF_RELAXED) | 1) + 2; /* only we write it */
	/* seq_cst clear of immediate_exit, before R3: see R1 in the kick. */
	__atomic_store_n(&c->kvm_run->immediate_exit, (uint8_t)0, __ATOMIC_SEQ_CST);
	TLBF_STEP("R3");
	/* R3: seq_cst store of "in KVM_RUN", then the seq_cst load of the
	 * cancel word: pairs with R1/R2 (store-buffering pair). */
	tlbf__store(&c->run, run, TLBF_SEQ_CST);
	if (tlbf__load(&c->cancel, TLBF_SEQ_CST) != 0) {
		/* Relaxed: ours to consume; R2/R4 order what matters. */
		(void)tlbf__xchg(&c->cancel, 0, TLBF_RELAXED);
		c->cancelled++;
		tlbf__kvm_out(c, run);
		return TLBF_KVM_RUN_CANCELLED;
	}
	if (c->scope[vtl] != TLBF_SCOPE_NONE && !TLBF_BREAK(KVM_NO_MMU_RESET)) {
		if (tlbf_kvm_mmu_reset(k, vp) != TLBF_STATUS_OK) {
			tlbf__kvm_out(c, run);
			return TLBF_KVM_RUN_FLUSH_FAILED;
		}
	}
	c->runs++;
	const int r = TLBF_KVM_IOCTL(c->fd, KVM_RUN, 0);
	const int err = r == 0 ? 0 : errno;
	tlbf__kvm_out(c, run);
	/* Relaxed: a cancel that ended this run is consumed here; one that
	 * comes later is seen by the next R3 or waits for the next R4. */
	if (tlbf__load(&c->cancel, TLBF_RELAXED) != 0)
		(void)tlbf__xchg(&c->cancel, 0, TLBF_RELAXED);
	if (r == 0)
		return TLBF_KVM_RUN_EXIT;
	errno = err;
	if (err == EINTR) {
		c->interrupted++;
		return TLBF_KVM_RUN_INTERRUPTED;
	}
	return TLBF_KVM_RUN_FAILED;
}

/**
 * tlbf_kvm_entered - the @entered argument of tlbf_entry_done()
 * @r: what tlbf_kvm_run() returned
 *
 * An entry whose flush KVM holds counts as entered, even if KVM_RUN
 * returned before the guest ran: the MMU reset is carried out at the
 * vCPU's next entry whenever it comes. A cancelled entry, or one whose
 * reset failed, made no flush.
 * Returns: true for TLBF_KVM_RUN_EXIT and _INTERRUPTED.
 */
static inline bool tlbf_kvm_entered(enum tlbf_kvm_result r)
{
	return r == TLBF_KVM_RUN_EXIT || r == TLBF_KVM_RUN_INTERRUPTED;
}

/**
 * tlbf_kvm_take_wake - consume VP @vp's pending wake-up, without halting
 * @k: the backend
 * @vp: the VP (its own thread)
 *
 * Returns: true if a wake-up was pending (now consumed); false also for a
 * VP the backend does not have.
 */
static inline bool tlbf_kvm_take_wake(struct tlbf_kvm *k, uint32_t vp)
{
	if (vp >= k->nvcpus)
		return false;
	TLBF_ATOMIC(uint64_t) *w = &k->vcpus[vp].wake;
	/* Relaxed: only a hint; the exchange below is what orders. */
	if (tlbf__load(w, TLBF_RELAXED) == 0)
		return false;
	TLBF_STEP("R6");
	/* R6: acquire, pairs with R5 in the wake: the waker's work before the
	 * wake (a TLB-lock holder's H6) happens before what the VP does next. */
	return tlbf__xchg(w, 0, TLBF_ACQUIRE) != 0;
}

/**
 * tlbf_kvm_halt - halt VP @vp outside the guest until it is woken
 * @k: the backend
 * @vp: the VP (its own thread, bound)
 *
 * The halt of a VP suspended for VSM TLB locks: the run loop calls it
 * while tlbf_tlb_lock_must_wait() says true. Blocks the kick signal,
 * and sleeps in sigsuspend() with it unblocked until a wake-up is
 * pending, consuming it (R6); a wake sent before the call ends it at once
 * (the word is sticky). A kick also ends the sleep; the halt then checks
 * again. A spurious return is possible (a wake left from an earlier wait):
 * the caller checks again.
 * Returns: TLBF_STATUS_OK; TLBF_STATUS_BAD_VP (nothing done) for a VP the
 * backend does not have; TLBF_STATUS_OS_ERROR if the signal mask could
 * not be changed.
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_kvm_halt(struct tlbf_kvm *k, uint32_t vp)
{
	sigset_t block, old, sleep;
	if (vp >= k->nvcpus)
		return TLBF_STATUS_BAD_VP;
	sigemptyset(&block);
	sigaddset(&block, k->signo);
	if (pthread_sigmask(SIG_BLOCK, &block, &old) != 0)
		return TLBF_STATUS_OS_ERROR;
	sleep = old;
	sigdelset(&sleep, k->signo);
	while (!tlbf_kvm_take_wake(k, vp))
		(void)sigsuspend(&sleep); /* always -1 EINTR: a signal ran */
	return pthread_sigmask(SIG_SETMASK, &old, NULL) == 0 ? TLBF_STATUS_OK : TLBF_STATUS_OS_ERROR;
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_KVM_BACKEND_H */
