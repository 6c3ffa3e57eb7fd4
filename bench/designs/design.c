/* SPDX-License-Identifier: MIT */
/*
 * bench/designs/design.c - the parts every design shares: the list of
 * designs, the thread slots, the generic entry path and the statistics.
 */
#define _POSIX_C_SOURCE 200809L
#include "design.h"
#include "hooks.h"

#include <stdlib.h>
#include <string.h>

const struct design_ops *const design_list[] = {
	&design_tlbflush_ops,
	&design_rwlock_ops,
	&design_mutex_seqlock_ops,
	&design_kvm_fifo_ops,
	NULL,
};

const struct design_ops *design_find(const char *name)
{
	for (unsigned i = 0; design_list[i]; i++)
		if (strcmp(design_list[i]->name, name) == 0)
			return design_list[i];
	return NULL;
}

void *design_alloc(size_t size)
{
	size_t rounded = (size + 63) & ~(size_t)63;
	void *p = aligned_alloc(64, rounded ? rounded : 64);
	if (p)
		memset(p, 0, rounded ? rounded : 64);
	return p;
}

int design_base_init(struct design *d, const struct design_ops *ops,
                     const struct design_config *cfg)
{
	d->ops = ops;
	d->nvps = cfg->nvps;
	d->nslots = cfg->nslots > cfg->nvps ? cfg->nslots : cfg->nvps;
	d->mask_words = (cfg->nvps + 63) / 64;
	d->be = cfg->backend;
	d->slot = design_alloc(sizeof(*d->slot) * d->nslots);
	d->vp = design_alloc(sizeof(*d->vp) * d->nvps);
	if (!d->slot || !d->vp) {
		design_base_fini(d);
		return -1;
	}
	for (uint32_t i = 0; i < d->nslots; i++) {
		d->slot[i].kick = design_alloc(sizeof(uint64_t) * d->mask_words);
		d->slot[i].wait = design_alloc(sizeof(uint64_t) * d->mask_words);
		if (!d->slot[i].kick || !d->slot[i].wait) {
			design_base_fini(d);
			return -1;
		}
	}
	return 0;
}

void design_base_fini(struct design *d)
{
	free(d->vp);
	d->vp = NULL;
	if (!d->slot)
		return;
	for (uint32_t i = 0; i < d->nslots; i++) {
		free(d->slot[i].kick);
		free(d->slot[i].wait);
	}
	free(d->slot);
	d->slot = NULL;
}

struct design *design_create(const struct design_ops *ops, const struct design_config *cfg)
{
	if (cfg->nvps == 0 || cfg->nvps > TLBF_MAX_VPS)
		return NULL;
	return ops->create(cfg);
}

void design_destroy(struct design *d)
{
	if (d)
		d->ops->destroy(d);
}

void design_get_stats(const struct design *d, struct design_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i < d->nslots; i++) {
		const struct design_stats *s = &d->slot[i].st;
		for (unsigned k = 0; k < DESIGN_REC__COUNT; k++)
			st->recorded[k] += s->recorded[k];
		for (unsigned k = 0; k < TLBF_WAKE__COUNT; k++)
			st->reasons[k] += s->reasons[k];
		st->wakes += s->wakes;
		st->kick_calls += s->kick_calls;
		st->kicks += s->kicks;
		st->waits += s->waits;
		st->overflows += s->overflows;
		st->errors += s->errors;
		tlbf_stats_fold(&st->lib, &s->lib);
	}
	if (d->ops->get_stats)
		d->ops->get_stats(d, st);
}

void design_vp_start(struct design *d, uint32_t vp, struct tlbf_stats *stats)
{
	struct design_vp *v = &d->vp[vp];
	/* The generic entry path's state: the entry driver's fields it uses
	 * (the tlbflush design sets the driver up with tlbf_entry_init()). */
	memset(&v->e, 0, sizeof(v->e));
	v->e.be = &d->be;
	v->e.stats = stats;
	v->e.list = v->list;
	v->e.list_cap = DESIGN_LIST_CAP;
	v->e.vp_index = vp;
	v->stats = stats;
	d->ops->vp_start(d, vp);
}

/*
 * The baselines' entry path: their own announce, poll and publish, with
 * the poll's answer carried out by the library's entry driver
 * (tlbf__entry_apply(), internal: the one policy every design is measured
 * with, counted on the VP's counters like the driver counts them).
 */
enum tlbf_status design_prepare_entry(struct design *d, uint32_t vp, unsigned vtl)
{
	if (d->ops->prepare_entry)
		return d->ops->prepare_entry(d, vp, vtl);
	if (vtl >= TLBF_VTL_COUNT)
		return TLBF_STATUS_BAD_VTL;
	struct tlbf_entry *e = &d->vp[vp].e;
	d->ops->vp_announce(d, vp, vtl);
	struct tlbf_poll p = d->ops->vp_poll(d, vp, vtl, e->list, e->list_cap);
	tlbf__entry_apply(e, vtl, p);
	d->ops->vp_publish(d, vp, vtl);
	d->be.ops->flush_at_entry(d->be.ctx, vp, vtl, (enum tlbf_scope)e->pending[vtl]);
	e->prepared = (uint8_t)(vtl + 1);
	return TLBF_STATUS_OK;
}

/* The baselines' end of an entry: what tlbf_entry_done() counts and
 * clears, then the design's exit. */
enum tlbf_status design_entry_done(struct design *d, uint32_t vp, bool entered)
{
	if (d->ops->entry_done)
		return d->ops->entry_done(d, vp, entered);
	struct tlbf_entry *e = &d->vp[vp].e;
	if (e->prepared == 0 || e->prepared > TLBF_VTL_COUNT)
		return TLBF_STATUS_BAD_SEQUENCE;
	const unsigned vtl = e->prepared - 1u;
	e->prepared = 0;
#if TLBF_STATS
	const unsigned pending = e->pending[vtl];
	TLBF__ENTRY_COUNT(e->stats, entered ? TLBF_STAT_ENTRIES : TLBF_STAT_ENTRIES_CANCELLED, 1);
	if (entered && pending != TLBF_SCOPE_NONE)
		TLBF__ENTRY_COUNT(e->stats, TLBF_STAT_ENTRY_FLUSH_NON_GLOBAL + pending - 1u, 1);
#endif
	if (entered)
		e->pending[vtl] = TLBF_SCOPE_NONE;
	d->ops->vp_exit(d, vp);
	return TLBF_STATUS_OK;
}

enum tlbf_status design_flush(struct design *d, uint32_t self,
                              const struct tlbf_flush_request *req)
{
	if (d->ops->flush)
		return d->ops->flush(d, self, req);
	return design_wake(d, self, req, design_record(d, self, req)) == 0
	           ? TLBF_STATUS_OK
	           : TLBF_STATUS_KICK_FAILED;
}

enum design_recorded design_recorded_of(const struct tlbf_flush_request *req,
                                        enum tlbf_push_result result)
{
	switch (result) {
	case TLBF_PUSH_RESULT_EMPTY: return DESIGN_REC_EMPTY;
	case TLBF_PUSH_RESULT_PROMOTED: return DESIGN_REC_PROMOTED;
	case TLBF_PUSH_RESULT_DEGRADED: return DESIGN_REC_DEGRADED;
	default:
		/* LISTED or LAPPED (covered by the readers' overflow). */
		return req->kind == TLBF_FLUSH_KIND_LIST         ? DESIGN_REC_LIST
		       : req->kind == TLBF_FLUSH_KIND_NON_GLOBAL ? DESIGN_REC_NON_GLOBAL
		       : req->kind == TLBF_FLUSH_KIND_GPA        ? DESIGN_REC_GPA
		                                                 : DESIGN_REC_ENTIRE;
	}
}

const char *design_reason_name(enum tlbf_wake w)
{
	switch (w) {
	case TLBF_WAKE_KICK: return "kick";
	case TLBF_WAKE_WAIT_ONLY: return "wait_only";
	case TLBF_WAKE_SKIP_NOT_IN_SET: return "not_in_set";
	case TLBF_WAKE_SKIP_INITIATOR: return "initiator";
	case TLBF_WAKE_SKIP_NOT_STARTED: return "not_started";
	case TLBF_WAKE_SKIP_OUTSIDE: return "outside";
	case TLBF_WAKE_SKIP_OTHER_VTL: return "other_vtl";
	case TLBF_WAKE_SKIP_POLLED: return "polled";
	case TLBF_WAKE_SKIP_REENTERED: return "reentered";
	case TLBF_WAKE__COUNT: break;
	}
	return "?";
}

const char *design_recorded_name(enum design_recorded r)
{
	switch (r) {
	case DESIGN_REC_LIST: return "list";
	case DESIGN_REC_ENTIRE: return "entire";
	case DESIGN_REC_NON_GLOBAL: return "non_global";
	case DESIGN_REC_PROMOTED: return "promoted";
	case DESIGN_REC_DEGRADED: return "degraded";
	case DESIGN_REC_EMPTY: return "empty";
	case DESIGN_REC_GPA: return "gpa";
	case DESIGN_REC__COUNT: break;
	}
	return "?";
}

enum design_recorded design_read_request(const struct tlbf_flush_request *req, uint64_t *ranges,
                                         uint32_t cap)
{
	if (req->kind == TLBF_FLUSH_KIND_GPA)
		return DESIGN_REC_GPA;
	if (req->kind != TLBF_FLUSH_KIND_LIST)
		return req->kind == TLBF_FLUSH_KIND_NON_GLOBAL ? DESIGN_REC_NON_GLOBAL : DESIGN_REC_ENTIRE;
	if (req->range_count == 0)
		return DESIGN_REC_EMPTY;
	if (req->range_count > cap)
		return DESIGN_REC_PROMOTED;
	for (uint32_t i = 0; i < req->range_count; i++) {
		uint64_t v = tlbf__guest_load_u64(&req->ranges[i]);
		if (tlbf_hv_range_classify(v, req->extended) != TLBF_HV_RANGE_LISTABLE)
			return DESIGN_REC_PROMOTED;
		/* A listable range reads the same in both formats. */
		ranges[i] = v;
	}
	return DESIGN_REC_LIST;
}

int design_kick_heap_mask(struct design *d, struct design_slot *s, uint64_t *mask, uint32_t n)
{
	int rc = 0;
	if (n) {
		DESIGN_STEP("kick");
		rc = d->be.ops->kick(d->be.ctx, mask, d->nvps, TLBF_KICK_CANCEL | TLBF_KICK_WAIT);
		s->st.kick_calls++;
		s->st.kicks += n;
		s->st.reasons[TLBF_WAKE_KICK] += n;
	}
	free(mask);
	if (rc != 0)
		s->st.errors++;
	return rc;
}

void design_vp_publish_nothing(struct design *d, uint32_t vp, unsigned vtl)
{
	(void)d;
	(void)vp;
	(void)vtl;
}
