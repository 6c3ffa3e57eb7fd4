/* SPDX-License-Identifier: MIT */
/*
 * bench/observed.c - what the counters and probes cost: the VP's entry
 * path and the request side, built twice from this file, once with
 * TLBF_STATS=1 and TLBF_USDT=1 (where <sys/sdt.h> is) and once without
 * (OBSERVED_ON 1 / 0). The two builds differ only in those options.
 *
 *   observed_entry_*  one VP's whole entry path on an idle ring: announce,
 *                     poll (nothing new), apply, publish, VP-enter flags
 *                     (tlbf_tdx_prepare_entry()), the entry reported as
 *                     done, exit: the VP side's counting and its probe
 *   observed_push1_*  a flush call of one range, as a hypercall handler
 *                     makes it: tlbf_flush_handle() (record, with its two
 *                     probes; fence; the wake decision for 8 VPs, all
 *                     outside the guest; the wake probe) and
 *                     tlbf_flush_count()
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
#include "tlbflush/tdx_backend.h"

#include "observed.h"

static int no_invgla_single(void *ctx, uint32_t vp, uint64_t rcx, uint64_t gla)
{
	(void)ctx, (void)vp, (void)rcx, (void)gla;
	return 0;
}

static int no_invgla_list(void *ctx, uint32_t vp, uint64_t rcx, uint64_t info, const uint64_t *page)
{
	(void)ctx, (void)vp, (void)rcx, (void)info, (void)page;
	return 0;
}

static void no_enter_flags(void *ctx, uint32_t vp, uint64_t flags)
{
	(void)ctx, (void)vp, (void)flags;
}

static int no_kick(void *ctx, const uint64_t *mask, uint32_t nbits, unsigned flags)
{
	(void)ctx, (void)mask, (void)nbits, (void)flags;
	return 0;
}

static const struct tlbf_backend_ops no_ops = {no_invgla_single, no_invgla_list, no_enter_flags,
                                               no_kick, NULL};

#define OBS_VPS 8

static struct {
	struct tlbf_ring ring;
	struct tlbf_vp vp;
	struct tlbf_vp others[OBS_VPS];
	struct tlbf_vp_local others_local[OBS_VPS];
	struct tlbf_vp_local local;
	struct tlbf_tdx_vp tv;
	struct tlbf_stats vp_stats, init_stats;
	struct tlbf_partition pt;
	_Alignas(4096) uint64_t list_page[TLBF_TDX_LIST_MAX];
	uint64_t range;
	struct tlbf_flush_request req;
	struct tlbf_flush_outcome out;
} o;

static void setup(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	struct tlbf_ring *rings[TLBF_VTL_COUNT];
	tlbf_ring_init(&o.ring);
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		rings[v] = &o.ring;
	tlbf__vp_init(&o.vp);
	tlbf__vp_start(&o.vp, &o.local, rings);
	tlbf_tdx_vp_init(&o.tv, 0, o.list_page, 1);
	tlbf_stats_init(&o.vp_stats);
	tlbf_stats_init(&o.init_stats);
	o.tv.stats = &o.vp_stats;
	for (unsigned i = 0; i < OBS_VPS; i++) {
		tlbf__vp_init(&o.others[i]);
		tlbf__vp_start(&o.others[i], &o.others_local[i], rings); /* outside */
	}
	tlbf_partition_init(&o.pt, rings, o.others, OBS_VPS);
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
	const struct tlbf_backend be = tlbf_backend_make(&no_ops, NULL);
	for (uint32_t i = 0; i < n; i++) {
		tlbf_tdx_prepare_entry(&be, &o.tv, &o.vp, &o.local, &o.ring, 0);
		tlbf_tdx_entry_done(&o.tv, 0, true);
		tlbf__vp_exit(&o.vp, &o.local);
	}
	return tlbf_stats_get(&o.vp_stats, TLBF_STAT_ENTRIES);
}

uint64_t OBSERVED(observed_push1)(uint32_t n)
{
	setup();
	const struct tlbf_backend be = tlbf_backend_make(&no_ops, NULL);
	uint64_t kick[1], wait[1], acc = 0;
	for (uint32_t i = 0; i < n; i++) {
		enum tlbf_status st =
		        tlbf_flush_handle(&o.pt, &be, &o.req, OBS_VPS, kick, wait, 1, &o.out);
		tlbf_flush_count(&o.init_stats, &o.req, st, &o.out);
		acc += o.out.push.mark.value;
	}
	/* Keep the VP polled up, so that the ring never looks overflowing. */
	tlbf_ring_cursor_init(&o.ring, &o.local.cursor[0]);
	return acc + tlbf_stats_get(&o.init_stats, TLBF_STAT_PUSH_LISTED);
}
