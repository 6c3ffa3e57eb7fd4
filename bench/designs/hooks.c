/* SPDX-License-Identifier: MIT */
/*
 * bench/designs/hooks.c - the chaos step, the break mode and a per-thread
 * random generator (see hooks.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "hooks.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool design_hook_chaos;
bool design_hook_active;
double design_hook_preempt;
double design_hook_preempt_us = 500;
enum design_break design_hook_break;
static _Atomic uint64_t preemptions;
static _Thread_local bool preempt_armed;
bool design_hook_counting;
static _Thread_local uint64_t counts[2];

void design_count(unsigned cls, uint64_t n)
{
	counts[cls & 1] += n;
}

void design_count_take(uint64_t out[2])
{
	out[0] = counts[0];
	out[1] = counts[1];
	counts[0] = counts[1] = 0;
}

/* The library's labelled writes: shared or own, and how many stores. */
static void count_label(const char *l)
{
	if (l[0] == 'P' && (l[1] == '1' || l[1] == '3' || l[1] == '5' || l[1] == '6') && !l[2])
		counts[DESIGN_COUNT_SHARED]++;
	else if (!strcmp(l, "G1") || !strcmp(l, "I4"))
		counts[DESIGN_COUNT_SHARED]++;
	else if (!strcmp(l, "V1") || !strcmp(l, "V4"))
		counts[DESIGN_COUNT_OWN]++;
	else if (!strcmp(l, "V3"))
		counts[DESIGN_COUNT_OWN] += 3; /* the three cursor words */
}

uint64_t design_hook_preemptions(void)
{
	return atomic_load_explicit(&preemptions, memory_order_relaxed);
}

/* The step inside each design's producer critical section. */
static bool in_producer_section(const char *label)
{
	return strcmp(label, "P5") == 0 || strcmp(label, "rw:unlock") == 0 ||
	       strcmp(label, "ms:write") == 0 || strcmp(label, "kf:publish") == 0;
}

static const char *const break_names[DESIGN_BREAK__COUNT] = {
	"none", "pending-skip", "early-clear", "late-announce", "no-wait", "no-kick", "skip-exiting",
	"gpa-as-linear",
	"tlb-lock-no-fence",
	"tlb-unlock-no-fence",
	"tlb-wake-no-fence",
	"tlb-wait-no-fence",
	"tlb-wait-no-recheck",
	"tlb-sleep-no-fence",
};

const char *design_break_name(enum design_break b)
{
	return (unsigned)b < DESIGN_BREAK__COUNT ? break_names[b] : "?";
}

enum design_break design_break_parse(const char *name)
{
	for (unsigned i = 0; i < DESIGN_BREAK__COUNT; i++)
		if (strcmp(name, break_names[i]) == 0)
			return (enum design_break)i;
	return DESIGN_BREAK__COUNT;
}

static _Thread_local uint64_t rng_state;

uint64_t design_hook_rand(void);

void design_hook_preempt_arm(void)
{
	preempt_armed = design_hook_preempt > 0 &&
	                (double)(design_hook_rand() >> 11) * 0x1p-53 < design_hook_preempt;
}

void design_hook_preempt_disarm(void)
{
	preempt_armed = false;
}

void design_hook_seed_thread(uint64_t seed, uint32_t id)
{
	/* splitmix64 of (seed, id): distinct, well-mixed, never zero. */
	uint64_t z = seed + UINT64_C(0x9e3779b97f4a7c15) * ((uint64_t)id + 1);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	rng_state = (z ^ (z >> 31)) | 1;
}

uint64_t design_hook_rand(void)
{
	uint64_t x = rng_state ? rng_state : UINT64_C(0x2545f4914f6cdd1d);
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * UINT64_C(2685821657736338717);
}

void design_hook_step(const char *label)
{
	if (design_hook_counting)
		count_label(label);
	if (preempt_armed && in_producer_section(label)) {
		preempt_armed = false;
		atomic_fetch_add_explicit(&preemptions, 1, memory_order_relaxed);
		long ns = (long)(design_hook_preempt_us * 1e3);
		struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
		nanosleep(&ts, NULL);
	}
	if (!design_hook_chaos)
		return;
	uint64_t r = design_hook_rand();
	if ((r & 3) != 0)
		return;
	if (((r >> 2) & 31) == 0) {
		/* Now and then a sleep long enough to be descheduled. */
		struct timespec ts = {0, (long)(1000 + ((r >> 8) % 50000))};
		nanosleep(&ts, NULL);
	} else {
		sched_yield();
	}
}

_Noreturn void design_hook_assert_failed(const char *file, int line, const char *expr)
{
	fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
	abort();
}
