/* SPDX-License-Identifier: MIT */
/*
 * bench/designs/tlbflush.c - the library as a design: a partition
 * (tlbf_partition_init(): one lock-free ring per target VTL, broadcast
 * use, one struct tlbf_vp per VP, the TLB-lock state when asked for), the
 * initiator path of tlbflush/flush.h and the VP entry driver of
 * tlbflush/entry.h.
 *
 * The whole flush call is tlbf_flush_handle(), counting on the initiator's
 * slot; its steps, timed one by one by the benchmark harness, are
 * tlbf_flush_record() (record) then tlbf_wake_plan_begin() (the fence),
 * tlbf_flush_plan() (the wake predicate over the request's lazy VP set)
 * and tlbf_wake_send() (one batched kick with wait) (wake). The VP side
 * is tlbf_entry_prepare() and tlbf_entry_done(); the split VP steps the
 * harness times are the driver's internal ones (tlbflush/vp.h).
 *
 * No allocation after create, no lock: the kick masks and outcomes live
 * in the initiator's slot.
 */
#define _POSIX_C_SOURCE 200809L
#include "design.h"

#include <stdlib.h>

#include "tlbflush/flush.h"
#include "tlbflush/partition.h"
#include "tlbflush/ring.h"
#include "tlbflush/stats.h"

struct tlbflush_design {
	struct design base;
	struct tlbf_partition pt;          /* rings, VPs, TLB locks */
	struct tlbf_vp *vps;               /* [nvps], one cache line each */
	struct tlbf_tlb_lock_vp *locks;    /* [nvps], or NULL */
	struct tlbf_flush_outcome *out;    /* [nslots]: each initiator's outcome */
};

static struct tlbflush_design *tf(struct design *d)
{
	return (struct tlbflush_design *)d;
}

static void tlbflush_destroy(struct design *d)
{
	struct tlbflush_design *t = tf(d);
	free(t->vps);
	free(t->locks);
	free(t->out);
	design_base_fini(d);
	free(t);
}

static struct design *tlbflush_create(const struct design_config *cfg)
{
	struct tlbflush_design *t = design_alloc(sizeof(*t));
	if (!t)
		return NULL;
	if (design_base_init(&t->base, &design_tlbflush_ops, cfg) != 0) {
		free(t);
		return NULL;
	}
	t->vps = design_alloc(sizeof(*t->vps) * cfg->nvps);
	t->locks = cfg->tlb_locks ? design_alloc(sizeof(*t->locks) * cfg->nvps) : NULL;
	t->out = design_alloc(sizeof(*t->out) * t->base.nslots);
	if (!t->vps || (cfg->tlb_locks && !t->locks) || !t->out ||
	    tlbf_partition_init(&t->pt, t->vps, t->locks, cfg->nvps) != TLBF_STATUS_OK) {
		tlbflush_destroy(&t->base);
		return NULL;
	}
	return &t->base;
}

static struct design_token tlbflush_record(struct design *d, uint32_t self,
                                           const struct tlbf_flush_request *req)
{
	struct tlbf_push p;
	struct design_token tok;
	if (tlbf_flush_record(&tf(d)->pt, req, &p) != TLBF_STATUS_OK) {
		/* Refused: a request decode would not produce. */
		d->slot[self].st.errors++;
		p.result = TLBF_PUSH_RESULT_EMPTY;
		p.mark.kind = TLBF_MARK_KIND_NONE;
		p.mark.value = 0;
	}
	tok.mark = p.mark;
	tok.how = design_recorded_of(req, p.result);
	d->slot[self].st.recorded[tok.how]++;
	return tok;
}

/* A plan's decisions into the slot's counters. */
static void count_plan(struct design_slot *s, const struct tlbf_wake_plan *plan, bool failed)
{
	s->st.wakes++;
	s->st.kick_calls += plan->nkick != 0;
	s->st.kicks += plan->nkick;
	s->st.waits += plan->nwait;
	for (unsigned i = 0; i < TLBF_WAKE__COUNT; i++)
		s->st.reasons[i] += plan->reasons[i];
	if (failed)
		s->st.errors++;
}

/* The wake steps on their own (the harness times them apart from the
 * record): no TLB locks here (tlbf_flush_plan() would register a VP
 * initiator with holders; the harness runs without them). */
static int tlbflush_wake(struct design *d, uint32_t self, const struct tlbf_flush_request *req,
                         struct design_token tok)
{
	struct tlbflush_design *t = tf(d);
	struct design_slot *s = &d->slot[self];
	struct tlbf_wake_plan plan;
	int rc = 0;
	enum tlbf_status st = tlbf_wake_plan_begin(&plan, &t->pt, s->kick, s->wait, d->mask_words,
	                                           req->target_vtl, tok.mark);
	if (st != TLBF_STATUS_OK) {
		s->st.errors++;
		return -1;
	}
	enum tlbf_status planned = tlbf_flush_plan(&plan, &req->vps, design_initiator(d, self));
	st = tlbf_wake_send(&plan, &d->be, &rc);
	if (st == TLBF_STATUS_OK && !tlbf__status_done(planned))
		st = planned;
	count_plan(s, &plan, st != TLBF_STATUS_OK);
	return st == TLBF_STATUS_OK ? 0 : (rc ? rc : -1);
}

/* The whole call, as a VMM's handler makes it: tlbf_flush_handle(),
 * counting on the slot's library counters. */
static enum tlbf_status tlbflush_flush(struct design *d, uint32_t self,
                                       const struct tlbf_flush_request *req)
{
	struct tlbflush_design *t = tf(d);
	struct design_slot *s = &d->slot[self];
	struct tlbf_flush_outcome *out = &t->out[self];
	enum tlbf_status st =
	    tlbf_flush_handle(&t->pt, &d->be, req, design_initiator(d, self), &s->st.lib, out);
	s->st.recorded[design_recorded_of(req, out->push.result)]++;
	count_plan(s, &out->plan, !tlbf__status_done(st));
	return st;
}

static struct tlbf_partition *tlbflush_partition(struct design *d)
{
	return &tf(d)->pt;
}

static void tlbflush_vp_start(struct design *d, uint32_t vp)
{
	struct tlbflush_design *t = tf(d);
	struct design_vp *v = &d->vp[vp];
	if (tlbf_entry_init(&v->e, &t->pt, &d->be, vp, v->list, DESIGN_LIST_CAP, v->stats) !=
	    TLBF_STATUS_OK) {
		/* Cannot happen for a VP of the partition and the mock. */
		d->slot[vp].st.errors++;
	}
}

/* The split VP steps (timed one by one by the harness): the entry
 * driver's internal steps on its own state. */
static void tlbflush_vp_announce(struct design *d, uint32_t vp, unsigned vtl)
{
	tlbf__vp_announce(&tf(d)->pt.vps[vp], &d->vp[vp].e.local, vtl);
}

static struct tlbf_poll tlbflush_vp_poll(struct design *d, uint32_t vp, unsigned vtl,
                                         uint64_t *out, uint32_t cap)
{
	return tlbf_ring_poll(&tf(d)->pt.rings[vtl], &d->vp[vp].e.local.cursor[vtl], out, cap);
}

static void tlbflush_vp_publish(struct design *d, uint32_t vp, unsigned vtl)
{
	tlbf__vp_publish(&tf(d)->pt.vps[vp], &d->vp[vp].e.local, vtl);
}

static void tlbflush_vp_exit(struct design *d, uint32_t vp)
{
	tlbf__vp_exit(&tf(d)->pt.vps[vp], &d->vp[vp].e.local);
}

/* The library's own entry path: the entry driver. */
static enum tlbf_status tlbflush_prepare_entry(struct design *d, uint32_t vp, unsigned vtl)
{
	return tlbf_entry_prepare(&d->vp[vp].e, vtl);
}

static enum tlbf_status tlbflush_entry_done(struct design *d, uint32_t vp, bool entered)
{
	return tlbf_entry_done(&d->vp[vp].e, entered);
}

static void tlbflush_get_stats(const struct design *d, struct design_stats *st)
{
	for (uint32_t i = 0; i < d->nvps; i++)
		for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
			st->overflows += d->vp[i].e.local.cursor[v].overflows;
}

const struct design_ops design_tlbflush_ops = {
	.name = "tlbflush",
	.summary = "lock-free ring per VTL, per-VP state word, wake predicate, one batched kick",
	.create = tlbflush_create,
	.destroy = tlbflush_destroy,
	.record = tlbflush_record,
	.wake = tlbflush_wake,
	.vp_start = tlbflush_vp_start,
	.vp_announce = tlbflush_vp_announce,
	.vp_poll = tlbflush_vp_poll,
	.vp_publish = tlbflush_vp_publish,
	.vp_exit = tlbflush_vp_exit,
	.prepare_entry = tlbflush_prepare_entry,
	.entry_done = tlbflush_entry_done,
	.flush = tlbflush_flush,
	.partition = tlbflush_partition,
	.get_stats = tlbflush_get_stats,
};
