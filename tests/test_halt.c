/* SPDX-License-Identifier: MIT */
/*
 * A VP suspended for a VSM TLB lock halts on a futex word, and never
 * sleeps through the release that ends its wait.
 *
 * The correct pattern (tlb_lock.h, tlbf_tlb_lock_must_wait()): read the
 * wake word, then ask must_wait, and if it says wait, sleep only while the
 * word still has the value read. The holder releases with
 * tlbf_tlb_unlock() on a backend whose wake bumps the word and
 * futex-wakes. Many rounds, the release at random points, some of them
 * forced inside must_wait (between its S1 and S3) and between must_wait
 * and the sleep; a lost wake-up leaves the waiter asleep and the alarm
 * ends the test as failed.
 *
 * The wrong pattern (the word read after must_wait returned) is shown to
 * lose the wake-up, deterministically, on one thread.
 *
 * Linux only (futex); skipped (77) elsewhere.
 */
#if defined(__linux__)
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <cmocka.h>

/* The waiter's thread may be held at a step of must_wait (S1-S3). */
static void step_hook(const char *label);
#define TLBF_STEP(label) step_hook(label)

#include "tlbflush/tlbflush.h"

#define NVP 2
#define HOLDER 0u
#define WAITER 1u
#define ROUNDS 4000
#define TIMEOUT_SECONDS 10

static struct tlbf_vp vps[NVP];
static struct tlbf_tlb_lock_vp lvps[NVP];
static struct tlbf_partition pt;
static _Atomic uint32_t wake_word[NVP];
static _Atomic uint64_t wakes_sent;

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *t)
{
	return syscall(SYS_futex, (uint32_t *)word, op, val, t, NULL, 0);
}

/* The backend's wake: bump each VP's word, then wake its sleeper. */
static int futex_wake(void *ctx, const uint64_t *mask, uint32_t nbits)
{
	(void)ctx;
	for (uint32_t v = 0; v < nbits && v < NVP; v++)
		if (mask[v / 64] & (UINT64_C(1) << (v % 64))) {
			atomic_fetch_add_explicit(&wake_word[v], 1, memory_order_release);
			atomic_fetch_add_explicit(&wakes_sent, 1, memory_order_relaxed);
			(void)futex(&wake_word[v], FUTEX_WAKE_PRIVATE, INT32_MAX, NULL);
		}
	return 0;
}

static const struct tlbf_backend_ops futex_ops = {NULL, NULL, NULL, futex_wake, NULL};
static const struct tlbf_backend be = {&futex_ops, NULL};

/* Round control, between the holder (the test's thread) and the waiter. */
enum { AT_NONE, AT_S1, AT_S2, AT_S3, BEFORE_SLEEP, RANDOM };
static _Atomic int round_no;     /* the holder locked for this round */
static _Atomic int round_done;   /* the waiter finished this round */
static _Atomic int mode;         /* where the release is placed */
static _Atomic int waiter_parked; /* the waiter is held where mode says */
static _Atomic int released;     /* the holder released this round */
static _Atomic int sleeps;       /* futex waits that slept */
static _Thread_local int is_waiter;

/* Hold the waiter until the holder has released (bounded by the alarm). */
static void park(void)
{
	atomic_store(&waiter_parked, 1);
	while (!atomic_load(&released))
		sched_yield();
}

static void step_hook(const char *label)
{
	if (!is_waiter)
		return;
	int m = atomic_load_explicit(&mode, memory_order_relaxed);
	if ((m == AT_S1 && !strcmp(label, "S1")) || (m == AT_S2 && !strcmp(label, "S2")) ||
	    (m == AT_S3 && !strcmp(label, "S3")))
		park();
	else if (m == RANDOM && label[0] == 'S' && (rand() & 3) == 0)
		sched_yield();
}

/* The waiter's side of one flush call: registered with the holder, it
 * halts with the correct pattern until must_wait says false. */
static void *waiter(void *arg)
{
	(void)arg;
	is_waiter = 1;
	for (int r = 1; r <= ROUNDS; r++) {
		while (atomic_load(&round_no) != r)
			sched_yield();
		enum tlbf_status st = tlbf_tlb_lock_wait_begin(&pt, WAITER, 0, NULL);
		if (st != TLBF_STATUS_SUSPEND && st != TLBF_STATUS_OK)
			abort();
		if (st == TLBF_STATUS_SUSPEND) {
			for (;;) {
				uint32_t w = atomic_load_explicit(&wake_word[WAITER], memory_order_acquire);
				if (!tlbf_tlb_lock_must_wait(&pt, WAITER))
					break;
				if (atomic_load_explicit(&mode, memory_order_relaxed) == BEFORE_SLEEP)
					park();
				/* Sleeps only while the word still holds w. */
				if (futex(&wake_word[WAITER], FUTEX_WAIT_PRIVATE, w, NULL) == 0)
					atomic_fetch_add(&sleeps, 1);
			}
		}
		if (tlbf_tlb_lock_waiting(&pt, WAITER, 0) != 0)
			abort(); /* resumed early */
		atomic_store(&round_done, r);
	}
	return NULL;
}

/* Many rounds with the release at random points, some inside must_wait:
 * the waiter always wakes (the alarm fails the test otherwise). */
static void never_sleeps_through_the_release(void **state)
{
	(void)state;
	assert_int_equal(tlbf_partition_init(&pt, vps, lvps, NVP), TLBF_STATUS_OK);
	srand(4242);
	alarm(TIMEOUT_SECONDS);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, waiter, NULL), 0);
	int forced = 0;
	for (int r = 1; r <= ROUNDS; r++) {
		int m = r % 6;
		atomic_store(&mode, m);
		atomic_store(&waiter_parked, 0);
		atomic_store(&released, 0);
		assert_int_equal(tlbf_tlb_lock(&pt, HOLDER, 1, 0), TLBF_STATUS_OK);
		atomic_store(&round_no, r);
		if (m == AT_S1 || m == AT_S2 || m == AT_S3 || m == BEFORE_SLEEP) {
			/* Release exactly where the waiter is held. */
			while (!atomic_load(&waiter_parked))
				sched_yield();
			forced++;
		} else {
			/* Anywhere: before wait_begin, inside it, in must_wait, or
			 * while the waiter sleeps. */
			for (int spin = rand() % 2000; spin > 0; spin--)
				TLBF_CPU_RELAX();
			if (rand() & 1)
				sched_yield();
		}
		assert_int_equal(tlbf_tlb_unlock(&pt, &be, HOLDER, 1, 0), TLBF_STATUS_OK);
		atomic_store(&released, 1);
		while (atomic_load(&round_done) != r)
			sched_yield();
	}
	pthread_join(t, NULL);
	alarm(0);
	assert_true(forced > 0);
	/* The wake was exercised, with the waiter asleep at least sometimes
	 * (a machine where it never slept would test less, not fail). */
	assert_true(atomic_load(&wakes_sent) > 0);
	print_message("rounds %d, releases inside must_wait or before the sleep %d, wakes %llu, "
	              "sleeps %d\n",
	              ROUNDS, forced, (unsigned long long)atomic_load(&wakes_sent),
	              atomic_load(&sleeps));
}

/* The wrong pattern: the word read only after must_wait said true. The
 * release and its wake-up happen between must_wait and that read, so the
 * value read is already the new one: a futex wait on it would sleep, and
 * no wake-up is coming. Shown with a zero timeout, which answers
 * ETIMEDOUT where a real wait would have slept and EAGAIN where the value
 * had changed. */
static void reading_the_word_after_must_wait_loses_the_wake(void **state)
{
	(void)state;
	assert_int_equal(tlbf_partition_init(&pt, vps, lvps, NVP), TLBF_STATUS_OK);
	is_waiter = 0;
	atomic_store(&mode, AT_NONE);
	const struct timespec zero = {0, 0};
	assert_int_equal(tlbf_tlb_lock(&pt, HOLDER, 1, 0), TLBF_STATUS_OK);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, WAITER, 0, NULL), TLBF_STATUS_SUSPEND);
	uint32_t early = atomic_load(&wake_word[WAITER]); /* the correct read */
	assert_true(tlbf_tlb_lock_must_wait(&pt, WAITER));
	uint64_t sent = atomic_load(&wakes_sent);
	assert_int_equal(tlbf_tlb_unlock(&pt, &be, HOLDER, 1, 0), TLBF_STATUS_OK);
	assert_true(atomic_load(&wakes_sent) == sent + 1); /* the wake-up was sent */
	uint32_t late = atomic_load(&wake_word[WAITER]); /* the wrong read */
	assert_true(late != early);
	/* Wrong: the word still holds what was read, so the wait would sleep;
	 * the only wake-up is gone. */
	errno = 0;
	assert_int_equal(futex(&wake_word[WAITER], FUTEX_WAIT_PRIVATE, late, &zero), -1);
	assert_int_equal(errno, ETIMEDOUT);
	/* Right: the word moved since it was read, so the wait returns. */
	errno = 0;
	assert_int_equal(futex(&wake_word[WAITER], FUTEX_WAIT_PRIVATE, early, &zero), -1);
	assert_int_equal(errno, EAGAIN);
	/* And the waiter had nothing left to wait for. */
	assert_false(tlbf_tlb_lock_must_wait(&pt, WAITER));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reading_the_word_after_must_wait_loses_the_wake),
		cmocka_unit_test(never_sleeps_through_the_release),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
int main(void);
int main(void)
{
	return 77; /* skipped: futex is Linux only */
}
#endif
