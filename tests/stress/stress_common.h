/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the threaded validators: the chaos hook that the
 * library's TLBF_STEP() labels call, a per-thread random generator, the
 * command line (--seconds S, --chaos, --wrap, --seed X) and failure
 * reporting. Include this before any tlbflush header.
 */
#ifndef TLBF_STRESS_COMMON_H
#define TLBF_STRESS_COMMON_H

#define _GNU_SOURCE
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool stress_chaos;
static _Thread_local uint64_t stress_rng_state;

static inline uint64_t stress_rand(void)
{
	/* xorshift64*: private per thread, seeded at thread start. */
	uint64_t x = stress_rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	stress_rng_state = x;
	return x * UINT64_C(2685821657736338717);
}

static inline void stress_seed_thread(uint64_t seed, unsigned id)
{
	stress_rng_state = (seed ^ (UINT64_C(0x9e3779b97f4a7c15) * (id + 1))) | 1;
}

/* --stall MS: at K1 (an initiator's kick, after its kick CASes moved VPs
 * to EXITING) one kick in 16 is delayed this long, so that other
 * initiators find those VPs EXITING with nobody signalling them yet. */
static double stress_stall_ms;
static _Atomic uint64_t stress_stalls;
static _Thread_local bool stress_stalled; /* this thread stalled since cleared */

/* Called at every labelled step of the protocol. */
static inline void stress_step(const char *label)
{
	if (stress_stall_ms > 0 && strcmp(label, "K1") == 0 && (stress_rand() & 15) == 0) {
		struct timespec ts = {0, (long)(stress_stall_ms * 1e6)};
		nanosleep(&ts, NULL);
		atomic_fetch_add_explicit(&stress_stalls, 1, memory_order_relaxed);
		stress_stalled = true;
	}
	if (stress_chaos && (stress_rand() & 3) == 0)
		sched_yield();
}

#define TLBF_STEP(label) stress_step(label)

/* -DSTRESS_BREAK="NAME" disables the protocol step TLBF_BREAK(NAME). */
#ifdef STRESS_BREAK
static inline bool stress_break_is(const char *name)
{
	return strcmp(name, STRESS_BREAK) == 0;
}
#define TLBF_BREAK(name) stress_break_is(#name)
#endif
#define TLBF_ASSERT(expr)                                                  \
	do {                                                               \
		if (!(expr)) {                                             \
			fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, \
			        __LINE__, #expr);                          \
			abort();                                           \
		}                                                          \
	} while (0)

struct stress_opts {
	double seconds;
	bool chaos;
	bool wrap;
	bool promote; /* some requests carry a range that must be promoted */
	double stall_ms; /* a kicker now and then stalls this long before it kicks */
	uint64_t seed;
};

static inline void stress_parse(int argc, char **argv, struct stress_opts *o)
{
	o->seconds = 2;
	o->chaos = false;
	o->wrap = false;
	o->promote = false;
	o->stall_ms = 0;
	o->seed = (uint64_t)time(NULL);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			o->seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--chaos"))
			o->chaos = true;
		else if (!strcmp(argv[i], "--wrap"))
			o->wrap = true;
		else if (!strcmp(argv[i], "--promote"))
			o->promote = true;
		else if (!strcmp(argv[i], "--stall") && i + 1 < argc)
			o->stall_ms = atof(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			o->seed = strtoull(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: %s [--seconds S] [--chaos] [--wrap] [--promote] [--stall MS] [--seed X]\n", argv[0]);
			exit(1);
		}
	}
	stress_chaos = o->chaos;
	stress_stall_ms = o->stall_ms;
}

static inline double stress_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static atomic_int stress_failures;

static inline void stress_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (atomic_fetch_add(&stress_failures, 1) < 10) {
		fputs("FAIL: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

#endif
