/* SPDX-License-Identifier: MIT */
/*
 * examples/sim/report.c - what shootdown-sim prints: the table (a row per
 * design as it finishes) and its footer, or one JSON object per design;
 * and the reports of stale translations on stderr.
 */
#define _GNU_SOURCE
#include "sim.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define MAX_REPORTS 3u /* stale translations printed in full */

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
	}
	return "?";
}

static void print_event(const struct sim_event *e)
{
	fprintf(stderr, "    %12.3f us  %-20s", (double)e->t_ns / 1e3, ev_name(e->kind));
	switch (e->kind) {
	case EV_PREPARE:
		fprintf(stderr, " vtl %" PRIu64 ":%s%s%s invd pending %" PRIu64, e->a,
		        e->b & PREP_ENTIRE ? " flush-everything answer," : "",
		        e->b & PREP_INVGLA ? " INVGLA of polled ranges," : "",
		        e->b & PREP_SKIPPED ? " ranges left to the full flush," : "",
		        e->b & PREP_INVD_MASK);
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
	default:
		break;
	}
	fputc('\n', stderr);
}

void report_stale(const struct sim_vp *c, const char *design, unsigned vtl, unsigned page,
                  uint64_t version, uint64_t need, uint64_t now)
{
	unsigned n = atomic_fetch_add(&stale_reports, 1);
	if (n >= MAX_REPORTS)
		return;
	flockfile(stderr);
	fprintf(stderr,
	        "STALE TRANSLATION #%u [%s]: VP %u VTL %u GVA 0x%" PRIx64 " used at version %" PRIu64
	        ", a completed flush required >= %" PRIu64 " (page table now %" PRIu64 ")\n",
	        n + 1, design, c->id, vtl, guest_gva(page), version, need, now);
	fprintf(stderr, "  the translation was cached at %.3f us; recent events of VP %u:\n",
	        (double)c->fill_t[vtl][page] / 1e3, c->id);
	uint32_t start = c->ev_next > SIM_EVENTS ? c->ev_next - SIM_EVENTS : 0;
	for (uint32_t i = start; i < c->ev_next; i++)
		print_event(&c->ev[i % SIM_EVENTS]);
	funlockfile(stderr);
}

/* ---- output ---- */

static uint64_t rec_entire(const struct design_stats *s)
{
	return s->recorded[DESIGN_REC_ENTIRE] + s->recorded[DESIGN_REC_NON_GLOBAL] +
	       s->recorded[DESIGN_REC_PROMOTED] + s->recorded[DESIGN_REC_DEGRADED];
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

#define ROW_FMT "%-14s %8s %7s %7s %6s %7s %6s | %7s %6s %6s %6s %6s | %6s %7s %8s %6s\n"

/* @s centered in @width columns (at most 39). */
static void center(char *buf, int width, const char *s)
{
	int len = (int)strlen(s), left = (width - len) / 2;
	snprintf(buf, 40, "%*s%s%*s", left, "", s, width - len - left, "");
}

void report_header(void)
{
	printf("shootdown-sim: %u VPs (%u initiating), %.1f s per design, seed %" PRIu64
	       "%s%s%s, mock backend, kick cost %.1f us\n\n",
	       sim_opt.nvps, sim_opt.ninit, sim_opt.seconds, sim_opt.seed, sim_opt.chaos ? ", chaos" : "",
	       sim_opt.brk ? ", break " : "", sim_opt.brk ? design_break_name(sim_opt.brk) : "",
	       sim_opt.kick_cost_us);
	char g[4][40];
	center(g[0], 22, "recorded as");
	center(g[1], 14, "kicks");
	center(g[2], 35, "kicks avoided, by reason");
	center(g[3], 16, "flush-call lat.");
	printf("%-14s %8s %s %s | %s | %6s %s %6s\n", "", "flush", g[0], g[1], g[2], "ring", g[3],
	       "stale");
	printf(ROW_FMT, "design", "calls/s", "list", "entire", "degr", "sent", "wait", "outside",
	       "o-vtl", "polled", "reent", "self", "ovfl", "p50 us", "p99 us", "uses");
	printf("%.*s\n", 132, "----------------------------------------------------------------------"
	                      "----------------------------------------------------------------------");
}

static void fmt_us(char *buf, size_t len, double ns)
{
	if (ns >= 1e7)
		snprintf(buf, len, "%.0f", ns / 1e3);
	else
		snprintf(buf, len, "%.1f", ns / 1e3);
}

void report_row(const struct sim_result *r)
{
	char c[16][16];
	const struct design_stats *s = &r->ds;
	fmt_count(c[0], 16, (double)r->calls / r->seconds);
	fmt_count(c[1], 16, (double)s->recorded[DESIGN_REC_LIST]);
	fmt_count(c[2], 16, (double)rec_entire(s));
	fmt_count(c[3], 16, (double)s->recorded[DESIGN_REC_DEGRADED]);
	fmt_count(c[4], 16, (double)s->kicks);
	fmt_count(c[5], 16, (double)s->waits);
	fmt_count(c[6], 16,
	          (double)(s->reasons[TLBF_WAKE_SKIP_OUTSIDE] + s->reasons[TLBF_WAKE_SKIP_NOT_STARTED]));
	fmt_count(c[7], 16, (double)s->reasons[TLBF_WAKE_SKIP_OTHER_VTL]);
	fmt_count(c[8], 16, (double)s->reasons[TLBF_WAKE_SKIP_POLLED]);
	fmt_count(c[9], 16, (double)s->reasons[TLBF_WAKE_SKIP_REENTERED]);
	fmt_count(c[10], 16, (double)s->reasons[TLBF_WAKE_SKIP_INITIATOR]);
	fmt_count(c[11], 16, (double)s->overflows);
	fmt_us(c[12], 16, r->p50_ns);
	fmt_us(c[13], 16, r->p99_ns);
	snprintf(c[14], 16, "%" PRIu64, r->stale);
	printf(ROW_FMT, r->name, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10],
	       c[11], c[12], c[13], c[14]);
	fflush(stdout);
}

void report_footer(const struct sim_result *res, unsigned n)
{
	printf("\n%-14s %10s %10s %9s %10s %10s %10s\n", "design", "entries", "cancelled",
	       "kicked", "invgla", "vp-entire", "uses");
	for (unsigned i = 0; i < n; i++) {
		const struct sim_result *r = &res[i];
		char e[16], cn[16], k[16], inv[16], ve[16], u[16];
		fmt_count(e, 16, (double)r->entries);
		fmt_count(cn, 16, (double)r->cancelled);
		fmt_count(k, 16, (double)r->kicked_runs);
		fmt_count(inv, 16, (double)(r->invgla_single + r->invgla_list));
		fmt_count(ve, 16, (double)r->vp_entire);
		fmt_count(u, 16, (double)r->uses);
		printf("%-14s %10s %10s %9s %10s %10s %10s\n", r->name, e, cn, k, inv, ve, u);
	}
	printf("\ncalls/s: flush hypercalls completed per second (decode, record, wake, kick with"
	       " wait).\n"
	       "recorded as: list of ranges, or entire (Space calls, lists promoted or degraded);"
	       " degr: lists that\n"
	       "  fell back to flush-entire under contention (slot held by a stalled writer; full"
	       " FIFO).\n"
	       "kicks: sent = cancel signals, wait = VPs only waited for (another initiator kicks"
	       " them).\n"
	       "avoided: VP outside the guest (or not started), in the other VTL, already polled"
	       " past the request,\n"
	       "  re-entered after the fence, or the initiator itself. ring ovfl: polls that lost"
	       " entries and\n"
	       "  flushed everything (kvm-fifo: pushes that found a full FIFO).\n"
	       "entries/cancelled: guest entries, and entries a kick cancelled; kicked: guest runs"
	       " cut short;\n"
	       "invgla/vp-entire: flushes the VPs carried out by INVGLA and by flushing"
	       " everything.\n");
	uint64_t stale = 0;
	for (unsigned i = 0; i < n; i++)
		stale += res[i].stale;
	printf("stale translations: %" PRIu64 "%s\n", stale,
	       stale ? " (see the reports on stderr)" : "");
}

void report_json(const struct sim_result *r)
{
	const struct design_stats *s = &r->ds;
	printf("{\"design\":\"%s\",\"seed\":%" PRIu64 ",\"vps\":%u,\"initiators\":%u,"
	       "\"seconds\":%.3f,\"chaos\":%s,\"break\":\"%s\",",
	       r->name, sim_opt.seed, sim_opt.nvps, sim_opt.ninit, r->seconds, sim_opt.chaos ? "true" : "false",
	       design_break_name(sim_opt.brk));
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
	printf("\"latency_ns\":{\"p50\":%.0f,\"p99\":%.0f,\"max\":%.0f},", r->p50_ns, r->p99_ns,
	       r->max_ns);
	printf("\"guest_entries\":%" PRIu64 ",\"entries_cancelled\":%" PRIu64
	       ",\"runs_kicked\":%" PRIu64 ",\"translations_used\":%" PRIu64 ",\"tlb_fills\":%" PRIu64
	       ",",
	       r->entries, r->cancelled, r->kicked_runs, r->uses, r->fills);
	printf("\"vp_flushes\":{\"invgla_single\":%" PRIu64 ",\"invgla_list\":%" PRIu64
	       ",\"invgla_skipped\":%" PRIu64 ",\"entire\":%" PRIu64 "},",
	       r->invgla_single, r->invgla_list, r->invgla_skipped, r->vp_entire);
	printf("\"backend\":{\"cancel_signals\":%" PRIu64 ",\"waits\":%" PRIu64 "},", r->mock_kicks,
	       r->mock_waits);
	printf("\"failures\":%" PRIu64 ",\"stale\":%" PRIu64 "}\n", r->failures, r->stale);
	fflush(stdout);
}

