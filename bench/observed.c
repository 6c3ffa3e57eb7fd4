/* SPDX-License-Identifier: MIT */
/*
 * bench/observed.c - what the counters and probes cost: the VP's entry
 * path and the request side, built twice from this file, once with
 * TLBF_STATS=1 and TLBF_USDT=1 (where <sys/sdt.h> is) and once without
 * (OBSERVED_ON 1 / 0). The two builds differ only in those options.
 *
 *   observed_entry_*  one VP's whole entry path on an idle ring: the entry
 *                     driver's tlbf_entry_prepare() (announce, poll:
 *                     nothing new, apply, publish, flush_at_entry) and
 *                     tlbf_entry_done() (the entry counted, exit): the VP
 *                     side's counting and its probe
 *   observed_push1_*  a flush call of one range, as a hypercall handler
 *                     makes it: tlbf_flush_handle() (record, with its two
 *                     probes; fence; the wake decision for 8 VPs, all
 *                     outside the guest; the wake probe; the counting on
 *                     the initiator's counters)
 */
#if OBSERVED_ON
#define TLBF_STATS 1
#if OBSERVED_USDT
#define TLBF_USDT 1
#endif
#define OBSERVED(name) name##_on
#else
#define OBSERVED(name) name##_off
#endif

#include <stdint.h>
#include <string.h>

#include "tlbflush/tlbflush.h"
#include "tlbflush/tdx.h"

#include "observed.h"

static int no_flush_list(void *ctx, uint32_t vp, unsigned vtl, const uint64_t *ranges,
                         uint32_t count)
{
	(void)ctx, (void)vp, (void)vtl, (void)ranges, (void)count;
	return 0;
}

static void no_flush_at_entry(void *ctx, uint32_t vp, unsigned vtl, enum tlbf_scope scope)
{
	(void)ctx, (void)vp, (void)vtl, (void)scope;
}

static int no_kick(void *ctx, const uint64_t *mask, uint32_t nbits, unsigned flags)
{
	(void)ctx, (void)mask, (void)nbits, (void)flags;
	return 0;
}

static const struct tlbf_backend_ops no_ops = {no_flush_list, no_flush_at_entry, no_kick, NULL,
                                               NULL};

/* VPs 0 to OBS_VPS - 1: the flush call's set, outside the guest; VP
 * OBS_VPS: the one whose entry path is timed. */
#define OBS_VPS 8

static struct {
	struct tlbf_vp vps[OBS_VPS + 1];
	struct tlbf_vp_local others_local[OBS_VPS];
	struct tlbf_entry e;
	struct tlbf_stats vp_stats, init_stats;
	struct tlbf_partition pt;
	struct tlbf_backend be;
	_Alignas(4096) uint64_t list_page[TLBF_TDX_LIST_MAX];
	uint64_t range;
	struct tlbf_flush_request req;
	struct tlbf_flush_outcome out;
	const char *error;
} o;

static void setup(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	o.be.ops = &no_ops;
	o.be.ctx = NULL;
	tlbf_stats_init(&o.vp_stats);
	tlbf_stats_init(&o.init_stats);
	if (tlbf_partition_init(&o.pt, o.vps, NULL, OBS_VPS + 1) != TLBF_STATUS_OK ||
	    tlbf_entry_init(&o.e, &o.pt, &o.be, OBS_VPS, o.list_page, TLBF_TDX_LIST_MAX,
	                    &o.vp_stats) != TLBF_STATUS_OK)
		o.error = "setup refused";
	for (unsigned i = 0; i < OBS_VPS; i++)
		tlbf__vp_start(&o.vps[i], &o.others_local[i], o.pt.rings); /* outside */
	o.range = tlbf_hv_gva_make(0x100, 0);
	memset(&o.req, 0, sizeof(o.req));
	o.req.call = TLBF_HVCALL_FLUSH_VA_LIST;
	o.req.kind = TLBF_FLUSH_KIND_LIST;
	o.req.ranges = &o.range;
	o.req.range_count = 1;
	tlbf_vpset_init_all(&o.req.vps, OBS_VPS);
	memset(&o.out, 0, sizeof(o.out));
}

uint64_t OBSERVED(observed_entry)(uint32_t n)
{
	setup();
	if (o.error)
		return 0; /* nothing to time */
	uint64_t acc = 0;
	for (uint32_t i = 0; i < n; i++) {
		acc += tlbf_entry_prepare(&o.e, 0);
		acc += tlbf_entry_done(&o.e, true);
	}
	/* acc stays 0 (every call OK); the counters count with TLBF_STATS=1. */
	return acc + tlbf_stats_get(&o.vp_stats, TLBF_STAT_ENTRIES);
}

uint64_t OBSERVED(observed_push1)(uint32_t n)
{
	setup();
	if (o.error)
		return 0; /* nothing to time */
	uint64_t acc = 0;
	for (uint32_t i = 0; i < n; i++) {
		enum tlbf_status st =
		    tlbf_flush_handle(&o.pt, &o.be, &o.req, TLBF_NO_VP, &o.init_stats, &o.out);
		acc += o.out.push.mark.value + (uint64_t)st;
	}
	return acc + tlbf_stats_get(&o.init_stats, TLBF_STAT_PUSH_LISTED);
}
