/* SPDX-License-Identifier: MIT */
/*
 * examples/sim/sim.h - the parts of shootdown-sim (see main.c for what it
 * does): the options, the VP threads' state, one design's results.
 *
 *   sim.c     the VP threads, the flush call, one design's run
 *   report.c  the table, its legend and verdict, the JSON lines, the
 *             stale-translation reports
 *   main.c    the command line
 *
 * The guest model (its region, hypercall input) is bench/guest, shared
 * with the benchmark harness; the stale-translation oracle is the
 * library's test kit, tlbflush/oracle.h.
 */
#ifndef TLBF_SIM_H
#define TLBF_SIM_H

#include "design.h" /* first: the hooks precede the library headers */

#include <stdbool.h>
#include <stdint.h>

#include "encode.h"
#include "tlbflush/mock_backend.h"
#include "tlbflush/oracle.h"

#define SIM_EVENTS 32u        /* per-VP event ring */
#define SIM_HIST_BUCKETS 496u /* latency histogram, 8 buckets per power of two */
#define SIM_INTERVALS 4u      /* a run is measured in this many equal parts */
#define SIM_EXIT_STALE 3     /* stale translations, or a TLB-lock violation */

/* What a VP records in its event ring (printed with a stale report). */
enum sim_ev_kind {
	EV_PREPARE = 1, /* a: vtl, b: what was applied (PREP_* bits | the entry's scope) */
	EV_ENTER,       /* a: vtl */
	EV_CANCELLED,   /* a: vtl: the entry was cancelled by a kick */
	EV_KICKED,      /* the guest saw a cancel signal and left */
	EV_LEAVE,       /* a: uses in this run */
	EV_CALL,        /* a: call code, b: target vtl: the VP's own flush call */
	EV_CALL_DONE,   /* a: pages covered (bitmap) */
	EV_STALE,       /* a: page, b: version used */
	EV_IDLE,        /* a: microseconds outside the guest (a halt) */
	EV_LOCK,        /* --tlb-locks: VTL1 took VTL0's TLB lock; a: hold (ns) */
	EV_UNLOCK,      /* a: enum tlbf_status of the unlock */
	EV_SUSPEND,     /* the flush call waits for TLB-lock holders */
	EV_RESUME,      /* a: suspension (ns); b: 1 if it ended by a lost wake-up */
};

/* EV_PREPARE details: the poll's answer as the VP applied it. */
#define PREP_SCOPE_MASK 3u      /* enum tlbf_scope the entry flushes */
#define PREP_LIST (1u << 8)     /* ranges flushed now (the backend's flush_list) */
#define PREP_ENTIRE (1u << 9)   /* flush-everything answer */
#define PREP_SKIPPED (1u << 10) /* ranges left to the pending flush at entry */

struct sim_event {
	uint64_t t_ns;
	uint32_t kind;
	uint64_t a;
	uint64_t b;
};

struct sim_options {
	uint32_t nvps;
	uint32_t ninit;
	double seconds;
	const char *design;
	bool chaos;
	uint64_t seed;
	bool json;
	bool stats; /* --stats: print the library's counters of each design */
	enum design_break brk;
	double kick_cost_us;
	double preempt;    /* --preempt: probability per producer critical section */
	double preempt_us; /* --preempt-us */
	bool count_shared; /* --count-shared */
	double tlb_locks;   /* --tlb-locks: probability per VP loop of a VTL1 lock hold */
	double tlb_lock_us; /* --tlb-lock-us: longest hold */
};

extern struct sim_options sim_opt;

/* One VP thread's state: private except the few atomic progress words.
 * The per-interval arrays are indexed by the interval the run is in. */
struct sim_vp {
	_Alignas(64) uint32_t id;
	struct tlbf_stats stats; /* the library's VP-side counters (the entry path's) */
	_Alignas(64) uint64_t input[GUEST_INPUT_WORDS]; /* hypercall input page */
	uint64_t truth_words[GUEST_TRUTH_WORDS];       /* the set the guest meant */
	struct sim_event ev[SIM_EVENTS];
	uint32_t ev_next;
	uint64_t fill_t[GUEST_VTLS][GUEST_NPAGES]; /* when each cached translation was filled */
	uint64_t uses, fills, runs, kicked;
	uint64_t calls_by_code[4]; /* space, list, space-ex, list-ex */
	uint64_t shapes[GUEST_SHAPE__COUNT];
	uint64_t non_global_calls, vtl1_calls, failures;
	uint64_t gpa_calls; /* the VMM's guest-physical requests among the calls */
	/* --count-shared: writes [shared, own] and how many of each operation */
	uint64_t cw_entry[2], cw_idle[2], cw_exit[2], cw_call[2];
	uint64_t n_entry, n_idle, n_exit, n_call;
	uint64_t calls_in[SIM_INTERVALS], cancelled_in[SIM_INTERVALS];
	uint64_t hist[SIM_INTERVALS][SIM_HIST_BUCKETS];
	_Atomic uint64_t calls; /* completed flush calls (progress line) */
	_Atomic uint64_t stale;
	/* --tlb-locks, as a holder (written by this thread, read by
	 * initiators; the hold itself is reported to the oracle,
	 * tlbf_oracle_hold()): lk_taking counts holds begun (before
	 * tlbf_tlb_lock()), lk_done counts holds whose release and wake-up
	 * were sent (the lost wake-up check); lk_since_ns: when the current
	 * hold began */
	_Alignas(64) _Atomic uint64_t lk_taking;
	_Atomic uint64_t lk_done;
	_Atomic uint64_t lk_since_ns;
	/* as an initiator: the oracle's snapshot of the holds before the call
	 * (tlbf_oracle_call_begin()), and per VP of the call's set lk_taking
	 * after the registration (nvps entries each) */
	_Alignas(64) uint64_t *lk_before, *lk_need;
	uint32_t *lk_set, lk_nset; /* the call's set but this VP */
	uint64_t holds, suspensions, lock_calls;
	uint64_t susp_hist[SIM_HIST_BUCKETS];
	_Atomic uint64_t lost, early;
};

/**
 * struct sim_interval - one part of a design's run
 * @seconds: its length
 * @calls: flush calls completed
 * @kicks: cancel signals sent
 * @cancelled: guest entries a kick cancelled
 * @p99_ns, @max_ns: flush-call latency
 */
struct sim_interval {
	double seconds;
	uint64_t calls, kicks, cancelled;
	double p99_ns, max_ns;
};

/* One design's run. */
struct sim_result {
	const char *name;
	double seconds;
	uint64_t calls, calls_by_code[4], shapes[GUEST_SHAPE__COUNT], non_global_calls, vtl1_calls;
	struct design_stats ds;
	uint64_t entries, cancelled, runs, kicked_runs, uses, fills;
	uint64_t list_single, list_multi, list_skipped, vp_entire, vp_errors;
	uint64_t mock_kicks, mock_waits;
	/* the VMM's own guest-physical calls; entries that flushed, by scope */
	uint64_t gpa_calls, scope_gpa, scope_linear, scope_non_global;
	uint64_t preemptions; /* --preempt: producers descheduled in their critical section */
	/* --count-shared: writes per operation, [shared, own] */
	double w_entry[2], w_idle[2], w_exit[2], w_call[2];
	double p50_ns, p99_ns, p999_ns, max_ns;
	uint64_t failures, stale;
	/* --tlb-locks (tlbflush only: the baselines run without holders) */
	bool tlb_locks;
	uint64_t holds, suspensions, lock_calls, lost, early;
	double susp_p50_ns, susp_p99_ns, susp_max_ns;
	struct tlbf_stats lib; /* the library's counters, folded over VPs and initiators */
	struct sim_interval iv[SIM_INTERVALS];
	unsigned nintervals; /* the parts measured (fewer if the run ended early) */
};

/* sim.c: run one design for sim_opt.seconds; 0, or 1 if it failed. */
int sim_run_design(const struct design_ops *ops, unsigned index, unsigned count,
                   struct sim_result *res);

/* report.c */
void report_stale(const struct sim_vp *c, const char *design, unsigned vtl, unsigned page,
                  uint64_t version, uint64_t gpa_version);
void report_early(const struct sim_vp *c, const struct tlbf_partition *pt,
                  const struct sim_vp *vps, const char *design, uint64_t recorded_ns,
                  uint64_t done_ns);
void report_lost(const struct sim_vp *c, const char *design, bool stuck, uint64_t now_ns);
void report_header(void);
void report_row(const struct sim_result *r);
void report_footer(const struct sim_result *res, unsigned n);
void report_json(const struct sim_result *r);
void report_stats(const struct sim_result *r);

#endif /* TLBF_SIM_H */
