/* SPDX-License-Identifier: MIT */
/*
 * bench/designs/tlbflush.c - the library as a design: one lock-free ring
 * per target VTL (broadcast use), one struct tlbf_vp per VP, and the
 * initiator path of tlbflush/flush.h: record (tlbf_flush_record()), then
 * fence and the wake predicate over the request's lazy VP set
 * (tlbf_flush_plan()), then one batched kick with wait
 * (tlbf_wake_send()). The VP side is tlbf_tdx_prepare_entry().
 *
 * No allocation after create, no lock: the kick masks live in the
 * initiator's slot.
 */
#define _POSIX_C_SOURCE 200809L
#include "design.h"

#include <stdlib.h>

#include "tlbflush/flush.h"
#include "tlbflush/ring.h"
#include "tlbflush/stats.h"

struct tlbflush_design {
	struct design base;
	struct tlbf_partition pt;     /* what flush.h needs */
	struct tlbf_ring *ring;       /* [TLBF_VTL_COUNT] */
	struct tlbf_vp *vp;           /* [nvps], one cache line each */
	struct tlbflush_local *local; /* [nvps] */
};

/* What only VP v's thread touches, on its own lines. */
struct tlbflush_local {
	_Alignas(64) struct tlbf_vp_local l;
};

static struct tlbflush_design *tf(struct design *d)
{
	return (struct tlbflush_design *)d;
}

static void tlbflush_destroy(struct design *d)
{
	struct tlbflush_design *t = tf(d);
	free(t->ring);
	free(t->vp);
	free(t->local);
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
	t->ring = design_alloc(sizeof(*t->ring) * TLBF_VTL_COUNT);
	t->vp = design_alloc(sizeof(*t->vp) * cfg->nvps);
	t->local = design_alloc(sizeof(*t->local) * cfg->nvps);
	if (!t->ring || !t->vp || !t->local) {
		tlbflush_destroy(&t->base);
		return NULL;
	}
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		tlbf_ring_init(&t->ring[v]);
	for (uint32_t i = 0; i < cfg->nvps; i++)
		tlbf__vp_init(&t->vp[i]);
	struct tlbf_ring *rings[TLBF_VTL_COUNT];
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		rings[v] = &t->ring[v];
	if (tlbf_partition_init(&t->pt, rings, t->vp, cfg->nvps) != TLBF_STATUS_OK)
		return NULL;
	return &t->base;
}

static struct design_token tlbflush_record(struct design *d, uint32_t self,
                                           const struct tlbf_flush_request *req)
{
	struct tlbf_push p = tlbf_flush_record(&tf(d)->pt, req);
	struct design_token tok;
	tok.mark = p.mark;
	switch (p.result) {
	case TLBF_PUSH_RESULT_EMPTY: tok.how = DESIGN_REC_EMPTY; break;
	case TLBF_PUSH_RESULT_PROMOTED: tok.how = DESIGN_REC_PROMOTED; break;
	case TLBF_PUSH_RESULT_DEGRADED: tok.how = DESIGN_REC_DEGRADED; break;
	default:
		/* LISTED or LAPPED (covered by the readers' overflow). */
		tok.how = req->kind == TLBF_FLUSH_KIND_LIST         ? DESIGN_REC_LIST
		          : req->kind == TLBF_FLUSH_KIND_NON_GLOBAL ? DESIGN_REC_NON_GLOBAL
		          : req->kind == TLBF_FLUSH_KIND_GPA        ? DESIGN_REC_GPA
		                                               : DESIGN_REC_ENTIRE;
		break;
	}
	d->slot[self].st.recorded[tok.how]++;
	return tok;
}

static int tlbflush_wake(struct design *d, uint32_t self, const struct tlbf_flush_request *req,
                         struct design_token tok)
{
	struct tlbflush_design *t = tf(d);
	struct design_slot *s = &d->slot[self];
	struct tlbf_wake_plan plan;
	tlbf_kick_plan_init(&plan, s->kick, s->wait, d->mask_words);
	tlbf_flush_plan(&t->pt, &req->vps, self, req->target_vtl, tok.mark, &plan);
	int rc = tlbf_wake_send(&d->be, &plan, t->vp, d->nvps);
	/* The library's own counters, as a VMM would keep them. */
	struct tlbf_flush_outcome oc;
	oc.push.result = tok.how == DESIGN_REC_PROMOTED  ? TLBF_PUSH_RESULT_PROMOTED
	                 : tok.how == DESIGN_REC_DEGRADED ? TLBF_PUSH_RESULT_DEGRADED
	                 : tok.how == DESIGN_REC_EMPTY    ? TLBF_PUSH_RESULT_EMPTY
	                                                  : TLBF_PUSH_RESULT_LISTED;
	oc.push.why = TLBF_PUSH_WHY_NONE;
	oc.push.mark = tok.mark;
	oc.kick_rc = rc;
	oc.plan = plan;
	oc.suspend = false; /* the simulator waits for TLB-lock holders itself */
	tlbf_flush_count(&s->st.lib, req, rc ? TLBF_STATUS_KICK_FAILED : TLBF_STATUS_OK, &oc);
	s->st.wakes++;
	s->st.kick_calls += plan.nkick != 0;
	s->st.kicks += plan.nkick;
	s->st.waits += plan.nwait;
	for (unsigned i = 0; i < TLBF_WAKE__COUNT; i++)
		s->st.reasons[i] += plan.reasons[i];
	if (rc != 0)
		s->st.errors++;
	return rc;
}

static void tlbflush_vp_start(struct design *d, uint32_t vp)
{
	struct tlbflush_design *t = tf(d);
	struct tlbf_ring *rings[TLBF_VTL_COUNT];
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		rings[v] = &t->ring[v];
	tlbf__vp_start(&t->vp[vp], &t->local[vp].l, rings);
}

static void tlbflush_vp_announce(struct design *d, uint32_t vp, unsigned vtl)
{
	struct tlbflush_design *t = tf(d);
	tlbf__vp_announce(&t->vp[vp], &t->local[vp].l, vtl);
}

static struct tlbf_poll tlbflush_vp_poll(struct design *d, uint32_t vp, unsigned vtl,
                                         uint64_t *out, uint32_t cap)
{
	struct tlbflush_design *t = tf(d);
	return tlbf_ring_poll(&t->ring[vtl], &t->local[vp].l.cursor[vtl], out, cap);
}

static void tlbflush_vp_publish(struct design *d, uint32_t vp, unsigned vtl)
{
	struct tlbflush_design *t = tf(d);
	tlbf__vp_publish(&t->vp[vp], &t->local[vp].l, vtl);
}

static void tlbflush_vp_exit(struct design *d, uint32_t vp)
{
	struct tlbflush_design *t = tf(d);
	tlbf__vp_exit(&t->vp[vp], &t->local[vp].l);
}

/* The library's own entry path: announce and poll in one step (so the
 * LATE_ANNOUNCE break applies), apply, publish, VP-enter flags. */
static void tlbflush_prepare_entry(struct design *d, uint32_t vp, unsigned vtl,
                                   struct tlbf_tdx_vp *tv)
{
	struct tlbflush_design *t = tf(d);
	tlbf_tdx_prepare_entry(&d->be, tv, &t->vp[vp], &t->local[vp].l, &t->ring[vtl], vtl);
}

static void tlbflush_get_stats(const struct design *d, struct design_stats *st)
{
	const struct tlbflush_design *t = (const struct tlbflush_design *)d;
	for (uint32_t i = 0; i < d->nvps; i++)
		for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
			st->overflows += t->local[i].l.cursor[v].overflows;
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
	.get_stats = tlbflush_get_stats,
};
