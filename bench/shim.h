/* SPDX-License-Identifier: MIT */
/*
 * bench/shim.h - the C side of the benchmark harness, callable from C++.
 *
 * The library and the designs are only ever compiled as C; the Google
 * Benchmark main (bench.cc) sees nothing but these plain functions.
 *
 * A struct shim is one scenario: an operation, a design and a thread
 * count, with everything it needs set up by shim_create() (not timed).
 * Each benchmark thread then calls shim_loop() for batches of
 * shim_batch() operations; between batches it calls shim_refill(), which
 * the harness runs with the timer paused (only poll_new8 has work there).
 *
 * Operations (op names):
 *   poll_idle       a VP's poll that finds nothing new; thread t is VP t,
 *                   all on the ring of VTL 0
 *   poll_new8       a poll that finds exactly 8 new ranges; thread t owns
 *                   512 VPs and the ring of VTL t, and refills it (one push
 *                   of 8 to those VPs) after each VP polled once
 *   push1, push8    record a List request of 1 / 8 ranges for VP 0, VTL 0;
 *                   thread t is initiator slot nvps + t (not a VP)
 *   flush_entire    record a Space (flush-entire) request
 *   push_p999       push1 with a pause of PAUSE_CYCLES between pushes,
 *                   each push timed with the TSC into a per-thread
 *                   histogram (shim_latency_ns() reads the percentiles)
 *   wake64          the wake of a 64-VP request (fence, decide, kick
 *                   mask) against a backend whose kick only walks the
 *                   mask: 16 VPs outside, 16 in the guest of the other
 *                   VTL, 32 in the guest of the target VTL that already
 *                   polled past the request; "materialize" is the same
 *                   predicate over the set first written into a heap
 *                   bitmap and then iterated (heap kick masks too)
 *   push_set8, push_set64 record one List request of 1 range for VPs
 *                   0-7 / 0-63 (kvm-fifo writes each target's FIFO under
 *                   its lock; the others write their one shared record)
 *   wake64_mixed    wake64 with 56 VPs outside, 4 in the guest of the
 *                   other VTL and 4 in the guest of the target VTL that
 *                   polled past the request
 *   entry_exit      announce (entry) then exit; thread t cycles over VPs
 *                   t, t + T, t + 2T, ... of 64
 *   floor_load      a bare acquire load of one shared word
 *   floor_fetch_add a bare fetch_add on one shared word
 *   vpset_contains, vpset_iter_{sparse,dense}{64,4096},
 *   vpset_write_mask_{sparse,dense}4096: the VP-set view (library only)
 *
 * Designs: "tlbflush", "rwlock", "mutex-seqlock", "kvm-fifo" go through
 * the common design interface (bench/designs/design.h: one indirect call
 * per operation, the same for every design). "tlbflush-inline" calls the
 * library directly, inlined into the loop, as a VMM would; the floors
 * and the VP-set operations are measured the same way.
 */
#ifndef TLBF_BENCH_SHIM_H
#define TLBF_BENCH_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct shim;

/* Whether @op exists for @design. */
int shim_applies(const char *op, const char *design);

/* Set up a scenario for @threads threads; NULL if it does not apply or on
 * allocation failure. */
struct shim *shim_create(const char *op, const char *design, int threads);
void shim_destroy(struct shim *s);

/* Operations per shim_loop() call the harness should ask for, and
 * whether it must call shim_refill() (untimed) after each. */
uint32_t shim_batch(const char *op);
int shim_has_refill(const char *op);

/* Run @n operations as thread @thread (0 .. threads - 1). */
void shim_loop(struct shim *s, int thread, uint32_t n);

/* Untimed work after a batch (poll_new8: the refill). */
void shim_refill(struct shim *s, int thread);

/* NULL, or what went wrong (a poll that did not return what the scenario
 * promised, ...). Read after the threads stopped. */
const char *shim_error(const struct shim *s);

/* push_p999: percentile @q (0..1) of the per-push latency in ns over all
 * threads' histograms, and the number of samples. */
double shim_latency_ns(const struct shim *s, double q);
uint64_t shim_latency_samples(const struct shim *s);

#ifdef __cplusplus
}
#endif

#endif /* TLBF_BENCH_SHIM_H */
