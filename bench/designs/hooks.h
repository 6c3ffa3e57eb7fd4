/* SPDX-License-Identifier: MIT */
/*
 * bench/designs/hooks.h - runtime chaos and fault injection for the
 * instrumented build of the designs and for the shootdown simulator.
 *
 * Include this before any tlbflush header. With DESIGN_HOOKS defined (the
 * instrumented library, tlbf_designs_sim, and everything that links it)
 * it defines the library's hooks:
 *   TLBF_STEP(label)  calls design_hook_step(): in chaos mode it yields
 *                     or sleeps a few microseconds, at random, to widen
 *                     the races between the labelled steps;
 *   TLBF_BREAK(name)  true when --break selected that step, which the
 *                     library then skips (only the tlbflush design has
 *                     such steps);
 *   TLBF_ASSERT(e)    aborts with a message.
 * Without DESIGN_HOOKS (the benchmark build) the library keeps its
 * defaults and every hook compiles to nothing.
 *
 * The settings are plain globals: set them before starting any thread
 * that uses the designs, and do not change them while such threads run.
 */
#ifndef TLBF_BENCH_HOOKS_H
#define TLBF_BENCH_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define DESIGN_NORETURN [[noreturn]]
#else
#define DESIGN_NORETURN _Noreturn
#endif

/* The protocol steps --break can disable (the TLBF_BREAK names). */
enum design_break {
	DESIGN_BREAK_NONE = 0,
	DESIGN_BREAK_PENDING_SKIP,
	DESIGN_BREAK_EARLY_CLEAR,
	DESIGN_BREAK_LATE_ANNOUNCE,
	DESIGN_BREAK_NO_WAIT,
	DESIGN_BREAK_NO_KICK,
	DESIGN_BREAK_SKIP_EXITING,
	DESIGN_BREAK_GPA_AS_LINEAR,
	DESIGN_BREAK_TLB_LOCK_NO_FENCE,
	DESIGN_BREAK_TLB_UNLOCK_NO_FENCE,
	DESIGN_BREAK_TLB_WAKE_NO_FENCE,
	DESIGN_BREAK_TLB_WAIT_NO_FENCE,
	DESIGN_BREAK_TLB_WAIT_NO_RECHECK,
	DESIGN_BREAK_TLB_SLEEP_NO_FENCE,
	DESIGN_BREAK__COUNT
};

/* Command-line name of a break mode ("pending-skip", ...; "none"). */
const char *design_break_name(enum design_break b);
/* Parse a command-line name; DESIGN_BREAK__COUNT if unknown. */
enum design_break design_break_parse(const char *name);

/* Chaos mode: yield or sleep at every labelled step. */
extern bool design_hook_chaos;
/* Preempted producers: a flush call armed with design_hook_preempt_arm()
 * (with probability design_hook_preempt) sleeps design_hook_preempt_us at
 * the first step inside the design's producer critical section it reaches
 * (tlbflush: a claimed slot not yet published, P5; rwlock and
 * mutex-seqlock: the write lock held; kvm-fifo: a FIFO lock held). */
extern double design_hook_preempt;
extern double design_hook_preempt_us;
/* Arm this thread's next producer section with probability
 * design_hook_preempt; disarm at the end of the flush call. */
void design_hook_preempt_arm(void);
void design_hook_preempt_disarm(void);
/* How many producers were preempted so far (all threads). */
uint64_t design_hook_preemptions(void);
/* Whether any step hook is active (chaos, preemption or counting). */
extern bool design_hook_active;

/* Counting shared-memory writes (shootdown-sim --count-shared): each write
 * of a design to a line other threads also write (a claim counter, a lock
 * word, packed per-VP bytes, a FIFO header) is DESIGN_COUNT_SHARED; a write
 * to a line only its writer writes and others only read (a VP's own state
 * line) is DESIGN_COUNT_OWN. The library's writes are counted at their
 * labelled steps (P1 P3 P5 P6 G1 I4 shared; V1 V3 V4 own), the baselines'
 * where they write. Counts go to the calling thread. */
enum design_count_class { DESIGN_COUNT_SHARED = 0, DESIGN_COUNT_OWN = 1 };
extern bool design_hook_counting;
void design_count(unsigned cls, uint64_t n);
/* This thread's counts since the last call, [class]; resets them. */
void design_count_take(uint64_t out[2]);
/* The selected break mode. */
extern enum design_break design_hook_break;

/* Seed this thread's generator (chaos decisions, and design_hook_rand()). */
void design_hook_seed_thread(uint64_t seed, uint32_t id);
/* Next value of this thread's generator (xorshift64*). */
uint64_t design_hook_rand(void);
/* A labelled step was reached: in chaos mode, maybe yield or sleep. */
void design_hook_step(const char *label);

/* Report a failed TLBF_ASSERT and abort. */
DESIGN_NORETURN void design_hook_assert_failed(const char *file, int line, const char *expr);

#ifdef DESIGN_HOOKS
#define TLBF_STEP(label) (design_hook_active ? design_hook_step(label) : (void)0)
#define TLBF_BREAK(name) (design_hook_break == DESIGN_BREAK_##name)
#define TLBF_ASSERT(expr) \
	((expr) ? (void)0 : design_hook_assert_failed(__FILE__, __LINE__, #expr))
#define DESIGN_STEP(label) (design_hook_active ? design_hook_step(label) : (void)0)
#define DESIGN_COUNT(cls, n) (design_hook_counting ? design_count((cls), (n)) : (void)0)
#else
#define DESIGN_STEP(label) ((void)0)
#define DESIGN_COUNT(cls, n) ((void)0)
#endif

/* A design's plain shared memory, read or written under its lock (the
 * rwlock baseline's deque and counters): each access names the bytes it
 * touches. Nothing here; dsim's coherence ledger defines them (in
 * dsim_hooks.h, included first) so that these accesses count like atomic
 * ones. */
#ifndef DESIGN_PLAIN_READ
#define DESIGN_PLAIN_READ(p, bytes) ((void)0)
#endif
#ifndef DESIGN_PLAIN_WRITE
#define DESIGN_PLAIN_WRITE(p, bytes) ((void)0)
#endif

#ifdef __cplusplus
}
#endif

#endif /* TLBF_BENCH_HOOKS_H */
