/* SPDX-License-Identifier: MIT */
/*
 * examples/sim/report.c - what shootdown-sim prints: the comparison
 * table (a row per design as it finishes), the detail tables, the legend
 * and the verdict; or one JSON object per design; and the reports of
 * stale translations on stderr.
 */
#define _GNU_SOURCE
#include "../verdict.h"
#include "sim.h"

#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define MAX_REPORTS 3u /* stale translations printed in full */
#define NAME_W 24      /* the design column */

/* ---- stale translations (stderr) ---- */

static atomic_uint stale_reports;

static const char *ev_name(uint32_t k)
{
	switch (k) {
	case EV_PREPARE: return "prepare-entry";
	case EV_ENTER: return "enter";
	case EV_CANCELLED: return "enter-cancelled";
	case EV_IDLE: return "idle";
	case EV_KICKED: return "kicked";
	case EV_LEAVE: return "leave";
	case EV_CALL: return "flush-call";
	case EV_CALL_DONE: return "flush-call-returned";
	case EV_STALE: return "STALE-USE";
	case EV_LOCK: return "tlb-lock";
	case EV_UNLOCK: return "tlb-unlock";
	case EV_SUSPEND: return "flush-call-suspended";
	case EV_RESUME: return "flush-call-resumed";
	}
	return "?";
}

/* enum tlbf_scope as the events print it. */
static const char *scope_name(unsigned scope)
{
	static const char *const names[TLBF_SCOPE__COUNT] = {"nothing", "non-global", "linear",
	                                                     "linear+gpa"};
	return scope < TLBF_SCOPE__COUNT ? names[scope] : "?";
}

static void print_event(const struct sim_event *e)
{
	fprintf(stderr, "    %12.3f us  %-20s", (double)e->t_ns / 1e3, ev_name(e->kind));
	switch (e->kind) {
	case EV_PREPARE:
		fprintf(stderr, " vtl %" PRIu64 ":%s%s%s entry flushes %s", e->a,
		        e->b & PREP_ENTIRE ? " flush-everything answer," : "",
		        e->b & PREP_LIST ? " list flush of polled ranges," : "",
		        e->b & PREP_SKIPPED ? " ranges left to the flush at entry," : "",
		        scope_name((unsigned)(e->b & PREP_SCOPE_MASK)));
		break;
	case EV_IDLE:
		fprintf(stderr, " %" PRIu64 " us outside the guest", e->a);
		break;
	case EV_ENTER:
	case EV_CANCELLED:
		fprintf(stderr, " vtl %" PRIu64, e->a);
		break;
	case EV_STALE:
		fprintf(stderr, " GVA 0x%" PRIx64 " version %" PRIu64, guest_gva((unsigned)e->a), e->b);
		break;
	case EV_LEAVE:
		fprintf(stderr, " after %" PRIu64 " uses", e->a);
		break;
	case EV_CALL:
		fprintf(stderr, " call 0x%04" PRIx64 " target vtl %" PRIu64, e->a, e->b);
		break;
	case EV_CALL_DONE:
		fprintf(stderr, " pages 0x%016" PRIx64, e->a);
		break;
	case EV_LOCK:
		fprintf(stderr, " VTL1 locks VTL0 for %.3f us", (double)e->a / 1e3);
		break;
	case EV_UNLOCK:
		fprintf(stderr, " %s", tlbf_status_name((enum tlbf_status)e->a));
		break;
	case EV_RESUME:
		fprintf(stderr, " after %.3f us%s", (double)e->a / 1e3,
		        e->b ? " (LOST WAKE-UP)" : "");
		break;
	default:
		break;
	}
	fputc('\n', stderr);
}

static void print_events(const struct sim_vp *c);

void report_stale(const struct sim_vp *c, const char *design, unsigned vtl, unsigned page,
                  uint64_t version, uint64_t gpa_version)
{
	unsigned n = atomic_fetch_add(&stale_reports, 1);
	if (n >= MAX_REPORTS)
		return;
	flockfile(stderr);
	/* The oracle (tlbflush/oracle.h) says whether a use was stale, not
	 * which version a completed flush required. */
	fprintf(stderr,
	        "STALE TRANSLATION #%u [%s]: VP %u VTL %u GVA 0x%" PRIx64 " used at version %" PRIu64
	        " (guest-physical mapping version %" PRIu64 "), older than a completed flush"
	        " call allowed\n",
	        n + 1, design, c->id, vtl, guest_gva(page), version, gpa_version);
	fprintf(stderr, "  the translation was cached at %.3f us; recent events of VP %u:\n",
	        (double)c->fill_t[vtl][page] / 1e3, c->id);
	print_events(c);
	funlockfile(stderr);
}

static void print_events(const struct sim_vp *c)
{
	uint32_t start = c->ev_next > SIM_EVENTS ? c->ev_next - SIM_EVENTS : 0;
	for (uint32_t i = start; i < c->ev_next; i++)
		print_event(&c->ev[i % SIM_EVENTS]);
}

void report_early(const struct sim_vp *c, const struct tlbf_partition *pt,
                  const struct sim_vp *vps, const char *design, uint64_t recorded_ns,
                  uint64_t done_ns)
{
	unsigned n = atomic_fetch_add(&stale_reports, 1);
	if (n >= MAX_REPORTS)
		return;
	flockfile(stderr);
	/* The oracle says that a hold the call began under is still going
	 * on, not whose: the VPs of the set holding now are the suspects. */
	fprintf(stderr,
	        "EARLY COMPLETION #%u [%s]: VP %u's flush call (target VTL 0), recorded at %.3f us,"
	        " completed at %.3f us while a VP of its set still held VTL1's lock of VTL0's TLB"
	        " it held when the call began; holding now:",
	        n + 1, design, c->id, (double)recorded_ns / 1e3, (double)done_ns / 1e3);
	for (uint32_t i = 0; i < c->lk_nset; i++) {
		uint32_t h = c->lk_set[i];
		if (tlbf_tlb_lock_held(pt, h, 0))
			fprintf(stderr, " VP %u (since %.3f us)", h,
			        (double)atomic_load_explicit(&vps[h].lk_since_ns, memory_order_relaxed) /
			            1e3);
	}
	fprintf(stderr, "; recent events of VP %u:\n", c->id);
	print_events(c);
	funlockfile(stderr);
}

void report_lost(const struct sim_vp *c, const char *design, bool stuck, uint64_t now)
{
	unsigned n = atomic_fetch_add(&stale_reports, 1);
	if (n >= MAX_REPORTS)
		return;
	flockfile(stderr);
	fprintf(stderr,
	        "LOST WAKE-UP #%u [%s]: VP %u, suspended for TLB-lock holders, still halted"
	        " at %.3f us although every holder it waited for had released and sent its"
	        " wake-ups, none for it%s; recent events of VP %u:\n",
	        n + 1, design, c->id, (double)now / 1e3,
	        stuck ? " (and it still must wait: a count no release will clear)" : "", c->id);
	print_events(c);
	funlockfile(stderr);
}

/* ---- numbers ---- */

static uint64_t rec_entire(const struct design_stats *s)
{
	return s->recorded[DESIGN_REC_ENTIRE] + s->recorded[DESIGN_REC_NON_GLOBAL] +
	       s->recorded[DESIGN_REC_PROMOTED] + s->recorded[DESIGN_REC_DEGRADED];
}

static double per(uint64_t n, uint64_t d)
{
	return d ? (double)n / (double)d : 0;
}

/* The figures the verdict compares, for the whole run (@iv < 0) or one
 * interval. */

static double figure(const struct sim_result *r, enum figure f, int iv)
{
	if (iv >= 0) {
		const struct sim_interval *v = &r->iv[iv];
		switch (f) {
		case FIG_KICKS: return per(v->kicks, v->calls);
		case FIG_CANCELLED: return per(v->cancelled, v->calls);
		case FIG_P99: return v->p99_ns;
		case FIG_MAX: return v->max_ns;
		default: return v->seconds > 0 ? (double)v->calls / v->seconds : 0;
		}
	}
	switch (f) {
	case FIG_KICKS: return per(r->ds.kicks, r->calls);
	case FIG_CANCELLED: return per(r->cancelled, r->calls);
	case FIG_P99: return r->p99_ns;
	case FIG_MAX: return r->max_ns;
	default: return r->seconds > 0 ? (double)r->calls / r->seconds : 0;
	}
}

/* The run-to-run noise of a figure: its spread (max - min) between the
 * intervals of the run; negative when fewer than two were measured. */
static double spread(const struct sim_result *r, enum figure f)
{
	if (r->nintervals < 2)
		return -1;
	double lo = INFINITY, hi = -INFINITY;
	for (unsigned i = 0; i < r->nintervals; i++) {
		double x = figure(r, f, (int)i);
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	return hi - lo;
}

static void fmt_count(char *buf, size_t len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
}

static void fmt_us(char *buf, size_t len, double ns)
{
	if (ns >= 1e7)
		snprintf(buf, len, "%.0f", ns / 1e3);
	else
		snprintf(buf, len, "%.1f", ns / 1e3);
}

/* A figure as the verdict prints it. */
static void fmt_figure(char *buf, size_t len, enum figure f, double v)
{
	switch (f) {
	case FIG_KICKS:
	case FIG_CANCELLED:
		snprintf(buf, len, "%.2f", v);
		break;
	case FIG_P99:
	case FIG_MAX:
		fmt_us(buf, len, v);
		strncat(buf, " us", len - strlen(buf) - 1);
		break;
	default:
		fmt_count(buf, len, v);
		break;
	}
}

/* "tlbflush (this library)", "rwlock (baseline)". */
static const char *label(const char *name)
{
	static char buf[8][NAME_W + 8];
	static unsigned next;
	char *b = buf[next++ % 8];
	snprintf(b, NAME_W + 8, "%s (%s)", name,
	         strcmp(name, "tlbflush") == 0 ? "this library" : "baseline");
	return b;
}

/* ---- the table ---- */

#define ROW_FMT "%-24s %8s %5s %6s %7s %7s %7s %8s %8s %6s\n"

void report_header(void)
{
	printf("shootdown-sim: %u VPs (%u initiating), %.1f s per design, seed %" PRIu64
	       "%s%s%s, mock backend, kick cost %.1f us\n",
	       sim_opt.nvps, sim_opt.ninit, sim_opt.seconds, sim_opt.seed,
	       sim_opt.chaos ? ", chaos" : "", sim_opt.brk ? ", break " : "",
	       sim_opt.brk ? design_break_name(sim_opt.brk) : "", sim_opt.kick_cost_us);
	if (sim_opt.preempt > 0)
		printf("producers preempted in their critical section: probability %g, %g us each\n",
		       sim_opt.preempt, sim_opt.preempt_us);
	if (sim_opt.tlb_locks > 0)
		printf("VSM TLB locks: VTL1 of a VP locks VTL0's TLB with probability %g per loop, up\n"
		       "to %g us (tlbflush only: the baselines run without holders; table at the end)\n",
		       sim_opt.tlb_locks, sim_opt.tlb_lock_us);
	printf("tlbflush is this library; rwlock, mutex-seqlock and kvm-fifo are baselines\n"
	       "re-implemented from OpenVMM (original and current) and KVM, driven by the same\n"
	       "guest, flush calls and mock backend. A row appears as its design finishes.\n\n");
	printf(ROW_FMT, "design", "calls/s", "noise", "kicks", "cancel", "p50", "p99", "max", "uses",
	       "stale");
	char units[160];
	int len = snprintf(units, sizeof(units), ROW_FMT, "", "", "", "/call", "/call", "us", "us",
	                   "us", "", "");
	while (len > 0 && (units[len - 1] == ' ' || units[len - 1] == '\n'))
		len--;
	printf("%.*s\n", len, units);
	printf("%.*s\n", 98, "--------------------------------------------------"
	                     "--------------------------------------------------");
	fflush(stdout);
}

void report_row(const struct sim_result *r)
{
	char c[9][24];
	double rate = figure(r, FIG_RATE, -1), sp = spread(r, FIG_RATE);
	fmt_count(c[0], 24, rate);
	if (sp >= 0 && rate > 0)
		snprintf(c[1], 24, "%.0f%%", 100.0 * sp / rate);
	else
		snprintf(c[1], 24, "-");
	snprintf(c[2], 24, "%.2f", figure(r, FIG_KICKS, -1));
	snprintf(c[3], 24, "%.2f", figure(r, FIG_CANCELLED, -1));
	fmt_us(c[4], 24, r->p50_ns);
	fmt_us(c[5], 24, r->p99_ns);
	fmt_us(c[6], 24, r->max_ns);
	fmt_count(c[7], 24, (double)r->uses);
	snprintf(c[8], 24, "%" PRIu64, r->stale);
	printf(ROW_FMT, label(r->name), c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
	fflush(stdout);
}

#define DETAIL_FMT "%-24s %7s %7s %6s | %7s %6s | %7s %6s %6s %6s %6s | %6s\n"

static void print_details(const struct sim_result *res, unsigned n)
{
	printf("\n%-24s %-22s | %-14s | %-34s | %s\n", "how (whole run)", "    recorded as",
	       "    kicks", "   kicks avoided, by reason", "ring");
	printf(DETAIL_FMT, "design", "list", "entire", "degr", "sent", "wait", "outside", "o-vtl",
	       "polled", "reent", "self", "ovfl");
	for (unsigned i = 0; i < n; i++) {
		const struct design_stats *s = &res[i].ds;
		char c[11][16];
		fmt_count(c[0], 16, (double)s->recorded[DESIGN_REC_LIST]);
		fmt_count(c[1], 16, (double)rec_entire(s));
		fmt_count(c[2], 16, (double)s->recorded[DESIGN_REC_DEGRADED]);
		fmt_count(c[3], 16, (double)s->kicks);
		fmt_count(c[4], 16, (double)s->waits);
		fmt_count(c[5], 16, (double)(s->reasons[TLBF_WAKE_SKIP_OUTSIDE] +
		                             s->reasons[TLBF_WAKE_SKIP_NOT_STARTED]));
		fmt_count(c[6], 16, (double)s->reasons[TLBF_WAKE_SKIP_OTHER_VTL]);
		fmt_count(c[7], 16, (double)s->reasons[TLBF_WAKE_SKIP_POLLED]);
		fmt_count(c[8], 16, (double)s->reasons[TLBF_WAKE_SKIP_REENTERED]);
		fmt_count(c[9], 16, (double)s->reasons[TLBF_WAKE_SKIP_INITIATOR]);
		fmt_count(c[10], 16, (double)s->overflows);
		printf(DETAIL_FMT, label(res[i].name), c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
		       c[8], c[9], c[10]);
	}
	printf("\n%-24s %10s %10s %9s %10s %10s\n", "design", "entries", "cancelled", "kicked",
	       "list", "vp-entire");
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = &res[i];
		char e[16], cn[16], k[16], inv[16], ve[16];
		fmt_count(e, 16, (double)r->entries);
		fmt_count(cn, 16, (double)r->cancelled);
		fmt_count(k, 16, (double)r->kicked_runs);
		fmt_count(inv, 16, (double)(r->list_single + r->list_multi));
		fmt_count(ve, 16, (double)r->vp_entire);
		printf("%-24s %10s %10s %9s %10s %10s\n", label(r->name), e, cn, k, inv, ve);
	}
	printf("\n%-24s %8s %8s %8s %8s | %8s %8s %8s %8s | %9s\n", "per flush call", "kicks",
	       "cancel", "gpa", "linear", "non-glob", "p50 us", "p99 us", "p99.9 us",
	       "uses/s");
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = &res[i];
		char c[9][24];
		snprintf(c[0], 24, "%.3f", per(r->ds.kicks, r->calls));
		snprintf(c[1], 24, "%.3f", per(r->cancelled, r->calls));
		snprintf(c[2], 24, "%.3f", per(r->scope_gpa, r->calls));
		snprintf(c[3], 24, "%.3f", per(r->scope_linear, r->calls));
		snprintf(c[4], 24, "%.3f", per(r->scope_non_global, r->calls));
		fmt_us(c[5], 24, r->p50_ns);
		fmt_us(c[6], 24, r->p99_ns);
		fmt_us(c[7], 24, r->p999_ns);
		fmt_count(c[8], 24, r->seconds > 0 ? (double)r->uses / r->seconds : 0);
		printf("%-24s %8s %8s %8s %8s | %8s %8s %8s %8s | %9s\n", label(r->name), c[0], c[1],
		       c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
	}
}

static void print_legend(void)
{
	printf(
	    "\nfirst table, one row per design:\n"
	    "  calls/s      flush hypercalls completed per second (decode, record, wake, kick\n"
	    "               with wait): the initiators' throughput\n"
	    "  noise        run-to-run noise of calls/s: its spread (max - min) between the\n"
	    "               %u equal parts of the run, in %% of calls/s\n"
	    "  kicks/call   cancel signals (IPIs) sent per flush call\n"
	    "  cancel/call  guest entries a kick cancelled, per flush call (each costs the VP a\n"
	    "               TD exit and re-entry and does no guest work)\n"
	    "  p50/p99/max  flush-call latency, median, 99th percentile and worst (~12%% buckets)\n"
	    "  uses         guest translations used: the guest's useful work in the run\n"
	    "  stale        uses of a translation a returned flush call should have removed\n"
	    "               (must be 0)\n"
	    "how (whole run):\n"
	    "  recorded as  list of ranges, or entire (Space calls, lists promoted or degraded);\n"
	    "               degr: lists that fell back to flush-entire under contention (slot\n"
	    "               held by a stalled writer; full FIFO)\n"
	    "  kicks        sent: cancel signals; wait: VPs only waited for (another initiator\n"
	    "               kicks them)\n"
	    "  avoided      VP outside the guest (or not started), in the other VTL, already\n"
	    "               polled past the request, re-entered after the fence, or the\n"
	    "               initiator itself\n"
	    "  ring ovfl    polls that lost entries and flushed everything (kvm-fifo: pushes\n"
	    "               that found a full FIFO)\n"
	    "  entries      guest entries; cancelled: entries a kick cancelled; kicked: guest\n"
	    "               runs cut short by a kick\n"
	    "  list         flushes the VPs carried out as a list of ranges (INVGLA on\n"
	    "               TDX); vp-entire: by flushing everything\n"
	    "per flush call (the figures where the designs differ):\n"
	    "  kicks, cancel  cancel signals sent, guest entries they cancelled\n"
	    "  gpa            entries that flushed every linear translation and the\n"
	    "                 guest-physical ones too (INVEPT on TDX; needed only after the\n"
	    "                 VMM changed guest-physical mappings: its own requests, 1 in\n"
	    "                 512 loops of an initiator)\n"
	    "  linear         entries that flushed every linear translation (INVVPID)\n"
	    "  non-glob       entries that flushed the non-global ones only\n"
	    "  p50..p99.9     flush-call latency; uses/s: guest translations used per second\n",
	    SIM_INTERVALS);
}

/* One figure of the verdict: tlbflush (@a) against a baseline (@b). */
static void verdict_figure(const struct sim_result *a, const struct sim_result *b, enum figure f)
{
	double x = figure(a, f, -1), y = figure(b, f, -1);
	double sa = spread(a, f), sb = spread(b, f);
	char fx[24], fy[24], fn[24];
	fmt_figure(fx, sizeof(fx), f, x);
	fmt_figure(fy, sizeof(fy), f, y);
	fmt_figure(fn, sizeof(fn), f, sa > sb ? sa : sb);
	verdict_line(f, x, y, sa, sb, fx, fy, fn);
}

static void print_verdict(const struct sim_result *res, unsigned n)
{
	const struct sim_result *lib = NULL;
	for (unsigned i = 0; i < n; i++)
		if (strcmp(res[i].name, "tlbflush") == 0)
			lib = &res[i];
	if (!lib || n < 2)
		return;
	verdict_intro(SIM_INTERVALS);
	for (unsigned i = 0; i < n; i++) {
		if (&res[i] == lib)
			continue;
		const struct design_ops *ops = design_find(res[i].name);
		printf("  %s (%s)\n", res[i].name, ops ? ops->summary : "baseline");
		printf("    %-15s %9s    %s\n", "", "tlbflush", res[i].name);
		for (unsigned f = 0; f < FIG__COUNT; f++)
			verdict_figure(lib, &res[i], (enum figure)f);
	}
}

static void print_counts(const struct sim_result *res, unsigned n)
{
	printf("\nwrites to shared memory per operation (--count-shared): to lines other\n"
	       "threads also write (shared) / to lines others only read (own)\n");
	printf("%-24s %13s %13s %13s %13s\n", "design", "entry", "idle entry", "exit",
	       "flush call");
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = &res[i];
		char c[4][24];
		snprintf(c[0], 24, "%.2f / %.2f", r->w_entry[0], r->w_entry[1]);
		snprintf(c[1], 24, "%.2f / %.2f", r->w_idle[0], r->w_idle[1]);
		snprintf(c[2], 24, "%.2f / %.2f", r->w_exit[0], r->w_exit[1]);
		snprintf(c[3], 24, "%.2f / %.2f", r->w_call[0], r->w_call[1]);
		printf("%-24s %13s %13s %13s %13s\n", label(r->name), c[0], c[1], c[2], c[3]);
	}
}

/* --tlb-locks: the holders' effect on the library's flush calls. */
static void print_tlb_locks(const struct sim_result *res, unsigned n)
{
	printf("\nVSM TLB locks (--tlb-locks %g: a VP takes VTL1's lock of VTL0's TLB with that\n"
	       "probability per loop, outside guest code, for up to %g us; a flush call whose set\n"
	       "holds it is suspended until every holder released it):\n",
	       sim_opt.tlb_locks, sim_opt.tlb_lock_us);
	printf("%-24s %9s %11s %9s %9s %9s %9s %6s %6s\n", "design", "holds", "suspensions",
	       "susp/call", "p50 us", "p99 us", "max us", "lost", "early");
	const char *sep = "";
	char without[128] = "";
	uint64_t susp = 0, lost = 0, early = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = &res[i];
		if (!r->tlb_locks) {
			size_t l = strlen(without);
			snprintf(without + l, sizeof(without) - l, "%s%s", sep, r->name);
			sep = ", ";
			continue;
		}
		printf("%-24s %9" PRIu64 " %11" PRIu64 " %9.4f %9.1f %9.1f %9.1f %6" PRIu64
		       " %6" PRIu64 "\n",
		       label(r->name), r->holds, r->suspensions, per(r->suspensions, r->lock_calls),
		       r->susp_p50_ns / 1e3, r->susp_p99_ns / 1e3, r->susp_max_ns / 1e3, r->lost,
		       r->early);
		susp += r->suspensions;
		lost += r->lost;
		early += r->early;
	}
	if (without[0])
		printf("%s: excluded from this table, ran without holders (they do not\n"
		       "implement VSM TLB locks)\n",
		       without);
	printf("  suspensions  flush calls suspended (TLBF_STATUS_SUSPEND), per call, and how long\n"
	       "               (from the snapshot to tlbf_tlb_lock_must_wait() saying false)\n"
	       "  lost         halts with no wake-up once every holder they waited for had\n"
	       "               released and sent its wake-ups (must be 0)\n"
	       "  early        calls completed while a VP of their set still held the lock it\n"
	       "               held when they were recorded (must be 0)\n"
	       "  In the tables above the tlbflush row ran with holders: its calls/s includes\n"
	       "  the suspended time (its initiators wait), its latency columns do not (they\n"
	       "  time the handler up to TLBF_STATUS_SUSPEND).\n");
	printf("\nTLB-lock suspensions: %" PRIu64 ", lost wake-ups: %" PRIu64
	       ", early completions: %" PRIu64 "%s\n",
	       susp, lost, early, lost || early ? " (see the reports on stderr)" : "");
}

void report_footer(const struct sim_result *res, unsigned n)
{
	print_details(res, n);
	if (sim_opt.count_shared)
		print_counts(res, n);
	print_legend();
	print_verdict(res, n);
	uint64_t stale = 0;
	for (unsigned i = 0; i < n; i++)
		stale += res[i].stale;
	printf("\nstale translations: %" PRIu64 "%s\n", stale,
	       stale ? " (see the reports on stderr)" : "");
	if (sim_opt.tlb_locks > 0)
		print_tlb_locks(res, n);
}

/* ---- JSON ---- */

void report_json(const struct sim_result *r)
{
	const struct design_stats *s = &r->ds;
	printf("{\"design\":\"%s\",\"seed\":%" PRIu64 ",\"vps\":%u,\"initiators\":%u,"
	       "\"seconds\":%.3f,\"chaos\":%s,\"break\":\"%s\",",
	       r->name, sim_opt.seed, sim_opt.nvps, sim_opt.ninit, r->seconds,
	       sim_opt.chaos ? "true" : "false", design_break_name(sim_opt.brk));
	printf("\"flush_calls\":%" PRIu64 ",\"flush_calls_per_s\":%.1f,", r->calls,
	       (double)r->calls / r->seconds);
	printf("\"calls\":{\"space\":%" PRIu64 ",\"list\":%" PRIu64 ",\"space_ex\":%" PRIu64
	       ",\"list_ex\":%" PRIu64 ",\"non_global\":%" PRIu64 ",\"target_vtl1\":%" PRIu64 "},",
	       r->calls_by_code[0], r->calls_by_code[1], r->calls_by_code[2], r->calls_by_code[3],
	       r->non_global_calls, r->vtl1_calls);
	printf("\"sets\":{");
	for (unsigned k = 0; k < GUEST_SHAPE__COUNT; k++)
		printf("%s\"%s\":%" PRIu64, k ? "," : "", guest_shape_names[k], r->shapes[k]);
	printf("},\"recorded\":{");
	for (unsigned k = 0; k < DESIGN_REC__COUNT; k++)
		printf("%s\"%s\":%" PRIu64, k ? "," : "", design_recorded_name((enum design_recorded)k),
		       s->recorded[k]);
	printf("},\"flushes_list\":%" PRIu64 ",\"flushes_entire\":%" PRIu64 ",",
	       s->recorded[DESIGN_REC_LIST], rec_entire(s));
	printf("\"kicks\":%" PRIu64 ",\"kick_calls\":%" PRIu64 ",\"wait_only\":%" PRIu64
	       ",\"kicks_avoided\":{",
	       s->kicks, s->kick_calls, s->waits);
	bool first = true;
	for (unsigned k = TLBF_WAKE_SKIP_NOT_IN_SET; k < TLBF_WAKE__COUNT; k++) {
		printf("%s\"%s\":%" PRIu64, first ? "" : ",", design_reason_name((enum tlbf_wake)k),
		       s->reasons[k]);
		first = false;
	}
	printf("},\"overflows\":%" PRIu64 ",\"degraded\":%" PRIu64 ",", s->overflows,
	       s->recorded[DESIGN_REC_DEGRADED]);
	printf("\"latency_ns\":{\"p50\":%.0f,\"p99\":%.0f,\"p999\":%.0f,\"max\":%.0f},", r->p50_ns,
	       r->p99_ns, r->p999_ns, r->max_ns);
	printf("\"gpa_calls\":%" PRIu64 ",\"entry_flushes\":{\"gpa\":%" PRIu64
	       ",\"linear\":%" PRIu64 ",\"non_global\":%" PRIu64 "},",
	       r->gpa_calls, r->scope_gpa, r->scope_linear, r->scope_non_global);
	printf("\"guest_entries\":%" PRIu64 ",\"entries_cancelled\":%" PRIu64
	       ",\"runs_kicked\":%" PRIu64 ",\"translations_used\":%" PRIu64 ",\"tlb_fills\":%" PRIu64
	       ",",
	       r->entries, r->cancelled, r->kicked_runs, r->uses, r->fills);
	printf("\"vp_flushes\":{\"list_single\":%" PRIu64 ",\"list_multi\":%" PRIu64
	       ",\"list_skipped\":%" PRIu64 ",\"entire\":%" PRIu64 "},",
	       r->list_single, r->list_multi, r->list_skipped, r->vp_entire);
	printf("\"backend\":{\"cancel_signals\":%" PRIu64 ",\"waits\":%" PRIu64 "},", r->mock_kicks,
	       r->mock_waits);
	if (sim_opt.count_shared)
		printf("\"writes_per_op\":{\"shared\":{\"entry\":%.3f,\"idle_entry\":%.3f,"
		       "\"exit\":%.3f,\"call\":%.3f},\"own\":{\"entry\":%.3f,\"idle_entry\":%.3f,"
		       "\"exit\":%.3f,\"call\":%.3f}},",
		       r->w_entry[0], r->w_idle[0], r->w_exit[0], r->w_call[0], r->w_entry[1],
		       r->w_idle[1], r->w_exit[1], r->w_call[1]);
	printf("\"preempt\":%g,\"preempt_us\":%g,\"preemptions\":%" PRIu64 ",", sim_opt.preempt,
	       sim_opt.preempt_us, r->preemptions);
	if (sim_opt.tlb_locks > 0)
		printf("\"tlb_locks\":{\"p\":%g,\"hold_us\":%g,\"holders\":%s,\"holds\":%" PRIu64
		       ",\"calls\":%" PRIu64 ",\"suspensions\":%" PRIu64 ",\"suspension_us\":{"
		       "\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},\"lost\":%" PRIu64
		       ",\"early\":%" PRIu64 "},",
		       sim_opt.tlb_locks, sim_opt.tlb_lock_us, r->tlb_locks ? "true" : "false",
		       r->holds, r->lock_calls, r->suspensions, r->susp_p50_ns / 1e3,
		       r->susp_p99_ns / 1e3, r->susp_max_ns / 1e3, r->lost, r->early);
	printf("\"failures\":%" PRIu64 ",\"stale\":%" PRIu64 "}\n", r->failures, r->stale);
	fflush(stdout);
}

static void stats_line(void *ctx, const char *name, uint64_t value)
{
	const char *design = ctx;
	printf("  %-14s %-36s %12llu\n", design, name, (unsigned long long)value);
}

/* --stats: the library's counters of one design (tlbflush/stats.h): the
 * VP side for every design (their poll answers are carried out by the
 * entry driver's policy), the request side for the tlbflush design. */
void report_stats(const struct sim_result *r)
{
	const struct tlbf_stats *src = &r->lib;
	printf("\ncounters of %s (tlbflush/stats.h; request side: tlbflush only)\n", r->name);
	tlbf_stats_export(&src, 1, stats_line, (void *)r->name);
}
