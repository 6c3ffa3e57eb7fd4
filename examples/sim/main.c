/* SPDX-License-Identifier: MIT */
/*
 * shootdown-sim - TLB shootdowns on the mock backend, with a
 * stale-translation oracle, for every design of bench/designs.
 *
 * N VP threads run a guest loop through the mock backend: prepare the
 * entry (announce, poll, flush a list now or fold the answer into the
 * scope the entry flushes: the entry driver, tlbflush/entry.h), the entry
 * on the mock, then guest code that translates pages through the VP's
 * software TLB, filling it from a shared, versioned page table, until it
 * is kicked or leaves by itself. The first M VPs also
 * initiate: outside the guest they change page-table entries (bump
 * versions) and issue a flush hypercall, built as real input bytes and a
 * control value (List or Space, Ex or not; sparse banks, dense banks, the
 * all-processors flag, the HV_GENERIC_SET_ALL format, the legacy 64-bit
 * mask; sometimes non-global, sometimes another target VTL), decoded with
 * tlbf_hypercall_decode() as a VMM would, then recorded, woken and kicked
 * through the design under test (the tlbflush design: tlbf_flush_handle()).
 * Now and then the VMM flushes guest-physical translations of every VP
 * itself (tlbf_flush_request_vmm()).
 *
 * The oracle (the library's test kit, tlbflush/oracle.h): once an
 * initiator's flush call has returned, a VP of the request's set must
 * never again use a translation of a covered page of the target VTL at a
 * version older than the one the initiator wrote (of the page-table entry,
 * or of the VMM's guest-physical mapping). Every use is checked; a
 * violation is a stale translation, reported with the VP's recent events.
 *
 * With --tlb-locks, VPs of the tlbflush design also hold VTL1's lock of
 * VTL0's TLB (tlbflush/tlb_lock.h) now and then, and a flush call that
 * finds a holder in its set is suspended until every holder released it
 * (TLBF_STATUS_SUSPEND). Two more oracles: no call completes while a VP of
 * its set still holds the lock it held when the call was recorded (an
 * early completion), and no suspended VP's halt outlives every holder it
 * waits for without being woken (a lost wake-up).
 *
 * The parts: main.c the command line, sim.c the VP threads and the flush
 * call, report.c the output (sim.h); the guest model (its region,
 * hypercall input pages) is bench/guest, shared with the benchmark
 * harness.
 *
 * Exit status: 0 no stale translation, 3 stale translations (or, with
 * --tlb-locks, early completions or lost wake-ups) observed,
 * 1 the run failed otherwise (nothing exercised, a kick or decode error),
 * 2 usage.
 */
#define _GNU_SOURCE
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sim_options sim_opt = {8, 2, 8.0, NULL, false, 0, false, false, DESIGN_BREAK_NONE, 1.0, 0, 500, false, 0, 20};

/* ---- command line ---- */

static void usage(FILE *f, const char *argv0)
{
	fprintf(f,
	        "usage: %s [--vps N] [--initiators M] [--seconds S] [--design NAME|all]\n"
	        "       %*s [--chaos] [--seed X] [--json] [--break STEP] [--kick-cost-us C]\n"
	        "       %*s [--preempt P] [--preempt-us U] [--count-shared]\n"
	        "       %*s [--tlb-locks P] [--tlb-lock-us U]\n"
	        "\n"
	        "Simulate TLB shootdowns on the mock backend: N VP threads run guest code\n"
	        "through per-VP software TLBs over a versioned page table; M of them also issue\n"
	        "Hyper-V flush hypercalls (real input bytes, decoded by tlbf_hypercall_decode)\n"
	        "through the design under test. An oracle checks every translation used after\n"
	        "a flush call returned; the table compares the designs.\n"
	        "\n"
	        "  --vps N           VP threads (1..%u, default 8)\n"
	        "  --initiators M    VPs that also issue flush calls (1..N, default 2)\n"
	        "  --seconds S       run time per design, whole or fractional seconds (default\n"
	        "                    8; with --break the run ends early once a stale\n"
	        "                    translation was seen)\n"
	        "  --design NAME     tlbflush, rwlock, mutex-seqlock, kvm-fifo, or all (default:\n"
	        "                    all; tlbflush with --break)\n"
	        "  --chaos           yield or sleep at random at every labelled step of push,\n"
	        "                    poll, wake and the mock (widens races)\n"
	        "  --seed X          random seed (default: from the clock; printed)\n"
	        "  --json            one JSON object per design on stdout, nothing else\n"
	        "  --stats           after the tables, the library's counters of each design\n"
	        "                    (tlbflush/stats.h, as a VMM would export them)\n"
	        "  --break STEP      disable one protocol step of the tlbflush design, to show\n"
	        "                    that the oracle catches it: pending-skip (a poll drops the\n"
	        "                    ranges behind a pending slot), early-clear (the entry's\n"
	        "                    flush cleared before the entry happened), late-announce (poll\n"
	        "                    before announcing), no-wait (kick without waiting), no-kick\n"
	        "                    (skip VPs that need a kick), skip-exiting (do not wait for\n"
	        "                    VPs another initiator is kicking), gpa-as-invvpid (a\n"
	        "                    guest-physical request carried out as a linear flush,\n"
	        "                    which leaves guest-physical translations); with --tlb-locks:\n"
	        "                    tlb-wait-no-recheck (a waiter that registers with a holder\n"
	        "                    does not look again whether it released meanwhile), or\n"
	        "                    one of the TLB-lock fences: tlb-lock-no-fence,\n"
	        "                    tlb-unlock-no-fence, tlb-wake-no-fence, tlb-wait-no-fence,\n"
	        "                    tlb-sleep-no-fence (a tlb-* step without --tlb-locks turns\n"
	        "                    it on at 0.2). Other designs ignore it.\n"
	        "  --kick-cost-us C  what a kick costs on real hardware and the mock does not do:\n"
	        "                    the kicker spends C us per cancel signal (IPI and its\n"
	        "                    answer), the kicked VP 2C us per forced exit or cancelled\n"
	        "                    entry (TD exit and re-entry). Default 1; 0 makes kicks\n"
	        "                    free\n"
	        "  --preempt P       deschedule a flush call's producer inside its critical\n"
	        "                    section with probability P per call (0..1, default 0):\n"
	        "                    the write lock held\n"
	        "                    (rwlock, mutex-seqlock), a FIFO lock held (kvm-fifo), a\n"
	        "                    claimed slot not yet published (tlbflush, between P1 and\n"
	        "                    P6); every design's flush-call latency tail shows it\n"
	        "  --preempt-us U    how long such a producer sleeps (default 500)\n"
	        "  --count-shared    count each design's writes to shared memory per guest\n"
	        "                    entry (and idle entry: the poll found nothing), exit and\n"
	        "                    flush call: to lines other threads also write (claim\n"
	        "                    counter, lock word, packed per-VP bytes, FIFO header) and\n"
	        "                    to lines others only read (a VP's own state line)\n",
	        argv0, (int)strlen(argv0), "", (int)strlen(argv0), "", (int)strlen(argv0), "",
	        (unsigned)TLBF_MAX_VPS);
	fprintf(f,
	        "  --tlb-locks P     VSM TLB locks (tlbflush design only; the baselines run\n"
	        "                    without holders and are left out of that table): with\n"
	        "                    probability P per loop (0..1), a VP takes VTL1's lock of\n"
	        "                    VTL0's TLB outside guest code, holds it for a random time\n"
	        "                    up to --tlb-lock-us, releases it and wakes the VPs it\n"
	        "                    unblocked; a flush call whose set holds it is suspended\n"
	        "                    (TLBF_STATUS_SUSPEND: tlbf_tlb_lock_must_wait(), halt on\n"
	        "                    the mock until woken). Reports suspensions, their length,\n"
	        "                    lost wake-ups and early completions (both must be 0)\n"
	        "  --tlb-lock-us U   longest hold (default 20)\n"
	        "  --help            this text\n"
	        "\n"
	        "Exit status: 0 no stale translation, 3 stale translations (or early completions\n"
	        "or lost wake-ups) observed, 1 the run failed otherwise, 2 usage error.\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-')
		return false;
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (*end)
		return false;
	*out = v;
	return true;
}

static void bad_usage(const char *argv0, const char *msg, const char *arg)
{
	fprintf(stderr, "%s: %s%s%s\n", argv0, msg, arg ? ": " : "", arg ? arg : "");
	fprintf(stderr, "try %s --help\n", argv0);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	bool have_seed = false, have_init = false, have_locks = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout, argv[0]);
			exit(0);
		} else if (!strcmp(a, "--chaos")) {
			sim_opt.chaos = true;
		} else if (!strcmp(a, "--json")) {
			sim_opt.json = true;
		} else if (!strcmp(a, "--stats")) {
			sim_opt.stats = true;
		} else if (!strcmp(a, "--count-shared")) {
			sim_opt.count_shared = true;
		} else if (!v) {
			bad_usage(argv[0], "unknown option or missing value", a);
		} else if (!strcmp(a, "--vps")) {
			if (!parse_u64(v, &x) || x < 1 || x > TLBF_MAX_VPS)
				bad_usage(argv[0], "bad --vps", v);
			sim_opt.nvps = (uint32_t)x;
			i++;
		} else if (!strcmp(a, "--initiators")) {
			if (!parse_u64(v, &x) || x < 1 || x > TLBF_MAX_VPS)
				bad_usage(argv[0], "bad --initiators", v);
			sim_opt.ninit = (uint32_t)x;
			have_init = true;
			i++;
		} else if (!strcmp(a, "--seconds")) {
			char *end;
			sim_opt.seconds = strtod(v, &end);
			if (*end || !(sim_opt.seconds > 0) || sim_opt.seconds > 86400)
				bad_usage(argv[0], "bad --seconds", v);
			i++;
		} else if (!strcmp(a, "--design")) {
			if (strcmp(v, "all") != 0 && !design_find(v))
				bad_usage(argv[0], "unknown design", v);
			sim_opt.design = v;
			i++;
		} else if (!strcmp(a, "--seed")) {
			if (!parse_u64(v, &sim_opt.seed))
				bad_usage(argv[0], "bad --seed", v);
			have_seed = true;
			i++;
		} else if (!strcmp(a, "--kick-cost-us")) {
			char *end;
			sim_opt.kick_cost_us = strtod(v, &end);
			if (*end || !(sim_opt.kick_cost_us >= 0) || sim_opt.kick_cost_us > 1e6)
				bad_usage(argv[0], "bad --kick-cost-us", v);
			i++;
		} else if (!strcmp(a, "--preempt")) {
			char *end;
			sim_opt.preempt = strtod(v, &end);
			if (*end || !(sim_opt.preempt >= 0) || sim_opt.preempt > 1)
				bad_usage(argv[0], "bad --preempt", v);
			i++;
		} else if (!strcmp(a, "--preempt-us")) {
			char *end;
			sim_opt.preempt_us = strtod(v, &end);
			if (*end || !(sim_opt.preempt_us > 0) || sim_opt.preempt_us > 1e6)
				bad_usage(argv[0], "bad --preempt-us", v);
			i++;
		} else if (!strcmp(a, "--tlb-locks")) {
			char *end;
			sim_opt.tlb_locks = strtod(v, &end);
			if (*end || !(sim_opt.tlb_locks >= 0) || sim_opt.tlb_locks > 1)
				bad_usage(argv[0], "bad --tlb-locks", v);
			have_locks = true;
			i++;
		} else if (!strcmp(a, "--tlb-lock-us")) {
			char *end;
			sim_opt.tlb_lock_us = strtod(v, &end);
			if (*end || !(sim_opt.tlb_lock_us >= 1) || sim_opt.tlb_lock_us > 1e6)
				bad_usage(argv[0], "bad --tlb-lock-us", v);
			i++;
		} else if (!strcmp(a, "--break")) {
			sim_opt.brk = design_break_parse(v);
			if (sim_opt.brk == DESIGN_BREAK__COUNT)
				bad_usage(argv[0], "unknown --break step", v);
			i++;
		} else {
			bad_usage(argv[0], "unknown option", a);
		}
	}
	if (!have_init && sim_opt.ninit > sim_opt.nvps)
		sim_opt.ninit = sim_opt.nvps;
	if (sim_opt.ninit > sim_opt.nvps)
		bad_usage(argv[0], "--initiators cannot exceed --vps", NULL);
	if (!sim_opt.design)
		sim_opt.design = sim_opt.brk ? "tlbflush" : "all";
	/* A TLB-lock step shows only with holders. */
	if (sim_opt.brk >= DESIGN_BREAK_TLB_LOCK_NO_FENCE && !have_locks)
		sim_opt.tlb_locks = 0.2;
	if (!have_seed) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		sim_opt.seed = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
		           ((uint64_t)getpid() << 32);
	}
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	design_hook_chaos = sim_opt.chaos;
	design_hook_preempt = sim_opt.preempt;
	design_hook_preempt_us = sim_opt.preempt_us;
	design_hook_counting = sim_opt.count_shared;
	design_hook_active = sim_opt.chaos || sim_opt.preempt > 0 || sim_opt.count_shared;
	design_hook_break = sim_opt.brk;
	design_hook_seed_thread(sim_opt.seed, UINT32_MAX);

	const struct design_ops *run[8];
	unsigned n = 0;
	if (!strcmp(sim_opt.design, "all")) {
		for (unsigned i = 0; design_list[i] && n < 8; i++)
			run[n++] = design_list[i];
	} else {
		run[n++] = design_find(sim_opt.design);
	}
	if (!sim_opt.json)
		report_header();
	struct sim_result res[8];
	int rc = 0;
	for (unsigned i = 0; i < n; i++) {
		if (sim_run_design(run[i], i, n, &res[i]) != 0)
			return 1;
		if (sim_opt.json)
			report_json(&res[i]);
		else
			report_row(&res[i]);
	}
	if (!sim_opt.json)
		report_footer(res, n);
	for (unsigned i = 0; i < n && sim_opt.stats; i++)
		report_stats(&res[i]);
	for (unsigned i = 0; i < n; i++) {
		if (res[i].stale || res[i].lost || res[i].early)
			rc = SIM_EXIT_STALE;
		else if (rc == 0 && (res[i].failures || res[i].calls == 0 || res[i].uses == 0)) {
			fprintf(stderr, "shootdown-sim: %s: %s\n", res[i].name,
			        res[i].failures ? "backend or decode failures" : "nothing was exercised");
			rc = 1;
		}
	}
	return rc;
}
