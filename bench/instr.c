/* SPDX-License-Identifier: MIT */
/*
 * bench/instr.c - the instruction budget driver.
 *
 *   instr OP N     call OP's wrapper N times (after an untimed setup)
 *
 * OP is poll_idle, push1, vpset_contains or wake_decide. Each wrapper is
 * a noinline function around exactly one library call (flattened: the
 * call is inlined into it, as it is into a VMM's own code), so that
 *
 *   valgrind --tool=callgrind --toggle-collect=instr_OP ./instr OP N
 *
 * counts only the instructions executed inside the wrapper (the library
 * operation, plus the wrapper's own return). bench/run.sh runs it for N
 * = K and N = 2K and divides the difference by K: the count per call,
 * with setup and process start cancelled out. Built at -O2 for the
 * default x86-64 target, as a VMM would build it.
 *
 * The paths measured are the common ones:
 *   poll_idle       a poll that finds nothing new (three loads, compare)
 *   push1           a push of one range into a ring nobody reads (the
 *                   ring keeps wrapping: every slot is idle when reached)
 *   vpset_contains  membership in a sparse-4K set whose 64 banks are all
 *                   valid, so every call takes the full path (bank rank,
 *                   one guest load)
 *   wake_decide     a VP in the guest of the target VTL that has already
 *                   polled past the request (the longest path that makes
 *                   no kick: state load, VTL check, cursor load)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlbflush/ring.h"
#include "tlbflush/vpset.h"
#include "tlbflush/wake.h"

#define NOINLINE __attribute__((noinline, flatten))

static struct tlbf_ring rings[TLBF_VTL_COUNT]; /* VTL 0's is the one used */
static struct tlbf_cursor cursor;
static uint64_t out[TLBF_RING_CAPACITY];
static uint64_t range[1];
static uint64_t set_words[2 + 64];
static struct tlbf_vpset set;
static struct tlbf_vp vp;
static struct tlbf_vp_local vp_local;
static struct tlbf_mark mark;
static volatile uint64_t sink;

NOINLINE uint32_t instr_poll_idle(void);
NOINLINE uint32_t instr_push1(void);
NOINLINE bool instr_vpset_contains(uint32_t v);
NOINLINE unsigned instr_wake_decide(void);

NOINLINE uint32_t instr_poll_idle(void)
{
	return tlbf_ring_poll(&rings[0], &cursor, out, TLBF_RING_CAPACITY).flags;
}

NOINLINE uint32_t instr_push1(void)
{
	return (uint32_t)tlbf_ring_push(&rings[0], range, 1, false).result;
}

NOINLINE bool instr_vpset_contains(uint32_t v)
{
	return tlbf_vpset_contains(&set, v);
}

/* The decision itself (wake.h's internal step, after I1), without the
 * plan's bookkeeping of tlbf_wake_decide(). */
NOINLINE unsigned instr_wake_decide(void)
{
	return (unsigned)tlbf__wake_decide(&vp, 1, 99, 0, mark);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: instr poll_idle|push1|vpset_contains|wake_decide N\n");
		return 2;
	}
	const char *op = argv[1];
	unsigned long n = strtoul(argv[2], NULL, 10);

	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		tlbf_ring_init(&rings[v]);
	range[0] = tlbf_hv_gva_make(0x12345, 0);
	/* A ring that has seen requests, and a reader that has seen them. */
	for (unsigned i = 0; i < 100; i++)
		tlbf_ring_push(&rings[0], range, 1, false);
	tlbf_ring_cursor_init(&rings[0], &cursor);

	set_words[0] = TLBF_HV_GENERIC_SET_SPARSE_4K;
	set_words[1] = UINT64_MAX;
	for (unsigned b = 0; b < 64; b++)
		set_words[2 + b] = UINT64_C(0x8000000100010001) << (b % 4);
	if (tlbf_vpset_parse(&set, set_words, 2 + 64, 4096) != TLBF_HV_STATUS_SUCCESS)
		return 1;

	/* VP 1 in the guest of VTL 0, polled past the request's mark. */
	tlbf__vp_init(&vp);
	struct tlbf_push p = tlbf_ring_push(&rings[0], range, 1, false);
	mark = p.mark;
	tlbf__vp_start(&vp, &vp_local, rings);
	tlbf__vp_announce(&vp, &vp_local, 0);
	tlbf_ring_poll(&rings[0], &vp_local.cursor[0], out, TLBF_RING_CAPACITY);
	tlbf__vp_publish(&vp, &vp_local, 0);
	tlbf_ring_cursor_init(&rings[0], &cursor);

	/* The paths are the ones described above (a constant extra call per
	 * run, cancelled by the K / 2K difference). */
	if (instr_poll_idle() != TLBF_POLL_NOTHING || instr_push1() != TLBF_PUSH_RESULT_LISTED ||
	    !instr_vpset_contains(0) || instr_wake_decide() != TLBF_WAKE_SKIP_POLLED) {
		fprintf(stderr, "instr: setup does not give the intended paths\n");
		return 1;
	}
	tlbf_ring_cursor_init(&rings[0], &cursor);

	uint64_t acc = 0;
	if (strcmp(op, "poll_idle") == 0) {
		for (unsigned long i = 0; i < n; i++)
			acc += instr_poll_idle();
	} else if (strcmp(op, "push1") == 0) {
		for (unsigned long i = 0; i < n; i++)
			acc += instr_push1();
	} else if (strcmp(op, "vpset_contains") == 0) {
		for (unsigned long i = 0; i < n; i++)
			acc += instr_vpset_contains((uint32_t)(i * 37u) & 4095u);
	} else if (strcmp(op, "wake_decide") == 0) {
		for (unsigned long i = 0; i < n; i++)
			acc += instr_wake_decide();
	} else {
		fprintf(stderr, "instr: unknown operation %s\n", op);
		return 2;
	}
	sink = acc;
	return 0;
}
