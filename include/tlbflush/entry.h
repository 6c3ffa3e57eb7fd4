/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/entry.h - the VP entry driver: what a VP's run loop calls
 * around every entry into guest code, on any backend.
 *
 *     tlbf_entry_init(&e, &pt, &be, vp, list, cap, stats)   once
 *     loop:
 *         tlbf_entry_prepare(&e, vtl)    announce (V1, V2), poll the VTL's
 *                                        ring into the list buffer, flush
 *                                        a list now or fold it into the
 *                                        flush at entry, publish (V3),
 *                                        tell the backend the entry's scope
 *         ... enter (the backend's run call); guest code runs until an
 *             exit, or the entry is cancelled by a kick ...
 *         tlbf_entry_done(&e, entered)   count, clear the pending flush if
 *                                        the entry happened, then the VP
 *                                        is outside the guest (V4)
 *
 * What a poll asks for becomes, by the backend's capabilities
 * (backend.h):
 *   - a list of ranges: flush_list on the VP now, straight from the list
 *     buffer the poll wrote (no second copy); for a backend without
 *     flush_list, or when flush_list fails, a flush of every linear
 *     translation at the next entry instead;
 *   - flush non-global, flush everything, flush guest-physical too: merged
 *     into the VP's pending scope (enum tlbf_scope, ordered by strength, so
 *     merging is a maximum), carried out by the next entry.
 * The pending scope is cleared only when tlbf_entry_done() reports that
 * the entry happened; a cancelled entry keeps it (trap T6).
 *
 * The driver depends on the partition, the backend and the counters only:
 * nothing of the initiator side.
 *
 * SYNCHRONIZATION
 *   Every call runs on the VP's own thread, for its own struct
 *   tlbf_entry, concurrently with any number of initiators.
 */
#ifndef TLBFLUSH_ENTRY_H
#define TLBFLUSH_ENTRY_H

#include "config.h"
#include "atomic_pvt.h"
#include "backend.h"
#include "partition.h"
#include "ring.h"
#include "stats.h"
#include "status.h"
#include "trace.h"
#include "vp.h"

TLBF_EXTERN_C_BEGIN

/**
 * struct tlbf_entry - one VP's entry driver (private to the VP's thread)
 * @pt: the partition
 * @be: the backend
 * @stats: the VP's counters, or NULL
 * @list: the list buffer polls write ranges into (a backend may need it
 *	in a particular place: tlbflush/tdx.h); NULL if @list_cap is 0
 * @list_cap: ranges @list holds
 * @vp_index: the VP
 * @local: the VP's cursors and entry epoch
 * @pending: per VTL, the scope (enum tlbf_scope) its next entry flushes
 * @prepared: 1 + the VTL of a prepared entry not yet done; 0 if none
 *
 * Read the fields; only the tlbf_entry_* calls write them.
 */
struct tlbf_entry {
	struct tlbf_partition *pt;
	const struct tlbf_backend *be;
	struct tlbf_stats *stats;
	uint64_t *list;
	uint32_t list_cap;
	uint32_t vp_index;
	struct tlbf_vp_local local;
	uint8_t pending[TLBF_VTL_COUNT];
	uint8_t prepared;
};

/* Count @n on the VP's counters @st, when compiled in and given. */
#if TLBF_STATS
#define TLBF__ENTRY_COUNT(st, id, n) \
	do { \
		if ((st) && (n)) \
			tlbf__stat_add((st), (id), (n)); \
	} while (0)
#else
#define TLBF__ENTRY_COUNT(st, id, n) ((void)0)
#endif

/* Merge @scope into the pending scope of @vtl: the stronger stays. */
static inline void tlbf__entry_merge(struct tlbf_entry *e, unsigned vtl, enum tlbf_scope scope)
{
	if ((unsigned)scope > e->pending[vtl])
		e->pending[vtl] = (uint8_t)scope;
}

/**
 * tlbf_entry_init - set up a VP's entry driver, before its first entry
 * @e: the driver (caller storage, the VP's thread)
 * @pt: the partition
 * @be: the backend (its flush_at_entry is required)
 * @vp_index: the VP
 * @list: storage for the ranges one poll may return, where the backend's
 *	flush_list wants them (tlbflush/tdx.h: the VP's 4 KiB list page, 512
 *	ranges, in TD-private memory); NULL with @list_cap 0, and then every
 *	new list is flushed as everything
 * @list_cap: ranges at @list; fewer than TLBF_RING_CAPACITY make a poll
 *	with more new ranges flush everything
 * @stats: the VP's counters (tlbflush/stats.h), or NULL
 *
 * A VP that never ran starts at the rings' present: it holds no
 * translation. A VP that already ran (a driver set up again, e.g. after a
 * VMM restarted the VP's thread) may have missed requests meanwhile: its
 * next entry into each VTL flushes everything, guest-physical
 * translations included.
 * Concurrency: the VP's own thread, while it is outside the guest.
 * Returns: TLBF_STATUS_OK; refused, nothing changed:
 * TLBF_STATUS_BAD_STORAGE (@e NULL, or @list NULL with @list_cap not 0),
 * _BAD_PARTITION, _BAD_VP, _BAD_BACKEND (no backend, or no
 * flush_at_entry).
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_entry_init(struct tlbf_entry *e,
                                                               struct tlbf_partition *pt,
                                                               const struct tlbf_backend *be,
                                                               uint32_t vp_index, uint64_t *list,
                                                               uint32_t list_cap,
                                                               struct tlbf_stats *stats)
{
	if (e == NULL || (list == NULL && list_cap != 0))
		return TLBF_STATUS_BAD_STORAGE;
	if (!tlbf__partition_ok(pt))
		return TLBF_STATUS_BAD_PARTITION;
	if (vp_index >= pt->vp_count)
		return TLBF_STATUS_BAD_VP;
	if (be == NULL || be->ops == NULL || be->ops->flush_at_entry == NULL)
		return TLBF_STATUS_BAD_BACKEND;
	e->pt = pt;
	e->be = be;
	e->stats = stats;
	e->list = list;
	e->list_cap = list_cap;
	e->vp_index = vp_index;
	e->prepared = 0;
	struct tlbf_vp *vp = &pt->vps[vp_index];
	/* Relaxed: only this VP's thread writes its state word, except a
	 * kicker's CAS of IN_GUEST, and the VP is outside the guest. */
	const uint64_t s = tlbf__load(&vp->state, TLBF_RELAXED);
	tlbf__vp_start(vp, &e->local, pt->rings);
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		e->pending[v] = s == 0 ? (uint8_t)TLBF_SCOPE_NONE : (uint8_t)TLBF_SCOPE_GPA;
	if (s != 0) {
		/* Started before: keep the epoch growing, so that an initiator
		 * that saw an older word never mistakes a new run for it. */
		e->local.epoch = s >> TLBF_VP_EPOCH_SHIFT;
		/* V4 (the VP is outside the guest): release, pairs with I2
		 * and K2, as at an exit. */
		tlbf__store(&vp->state, tlbf__vp_word(TLBF_VP_OUTSIDE, 0, e->local.epoch),
		            TLBF_RELEASE);
	}
	return TLBF_STATUS_OK;
}

/* Carry out one poll answer for @vtl: a list now (or folded into the
 * pending scope), everything else into the pending scope. */
static inline void tlbf__entry_apply(struct tlbf_entry *e, unsigned vtl, struct tlbf_poll p)
{
#if TLBF_STATS
	struct tlbf_stats *const st = e->stats;
	if (p.flags != TLBF_POLL_NOTHING && st) {
		/* The rare case. A poll answering nothing (the common case)
		 * counts nothing here: polls.nothing is derived from the
		 * entries and the answered polls (stats.h). */
		tlbf__stat_add(st, TLBF__STAT_POLLS_ANSWERED, 1);
		TLBF__ENTRY_COUNT(st, TLBF_STAT_POLL_LIST, (p.flags & TLBF_POLL_LIST) != 0);
		TLBF__ENTRY_COUNT(st, TLBF_STAT_POLL_NON_GLOBAL, (p.flags & TLBF_POLL_NON_GLOBAL) != 0);
		TLBF__ENTRY_COUNT(st, TLBF_STAT_POLL_EVERYTHING, (p.flags & TLBF_POLL_ENTIRE) != 0);
		TLBF__ENTRY_COUNT(st, TLBF_STAT_POLL_GPA, (p.flags & TLBF_POLL_GPA) != 0);
	}
#endif
	if (p.flags & TLBF_POLL_ENTIRE) {
		enum tlbf_scope scope = TLBF_SCOPE_LINEAR;
		if (p.flags & TLBF_POLL_GPA) {
			scope = TLBF_SCOPE_GPA;
			TLBF_IF_BROKEN(GPA_AS_LINEAR, scope = TLBF_SCOPE_LINEAR);
		}
		tlbf__entry_merge(e, vtl, scope);
		return;
	}
	if (p.flags & TLBF_POLL_NON_GLOBAL)
		tlbf__entry_merge(e, vtl, TLBF_SCOPE_NON_GLOBAL);
	if (!(p.flags & TLBF_POLL_LIST) || p.count == 0)
		return;
	if (e->pending[vtl] >= (uint8_t)TLBF_SCOPE_LINEAR) {
		/* Everything, global mappings included, goes at entry. */
		TLBF__ENTRY_COUNT(e->stats, TLBF_STAT_FLUSH_LIST_SKIPPED, 1);
		return;
	}
	if (e->be->ops->flush_list == NULL) {
		TLBF__ENTRY_COUNT(e->stats, TLBF_STAT_FLUSH_LIST_UNSUPPORTED, 1);
		tlbf__entry_merge(e, vtl, TLBF_SCOPE_LINEAR);
		return;
	}
	TLBF__ENTRY_COUNT(e->stats, p.count == 1 ? TLBF_STAT_FLUSH_LIST_SINGLE
	                                         : TLBF_STAT_FLUSH_LIST_MULTI, 1);
	if (e->be->ops->flush_list(e->be->ctx, e->vp_index, vtl, e->list, p.count) != 0) {
		/* Never ignored: every linear translation goes at entry. */
		TLBF__ENTRY_COUNT(e->stats, TLBF_STAT_ERRORS, 1);
		tlbf__entry_merge(e, vtl, TLBF_SCOPE_LINEAR);
	}
}

/**
 * tlbf_entry_prepare - everything the VP does before it enters @vtl
 * @e: the VP's driver (tlbf_entry_init())
 * @vtl: the VTL about to run
 *
 * Announces the entry (V1, V2), polls the ring of @vtl into the list
 * buffer, flushes a list now or folds it into the pending scope, publishes
 * how far it polled (V3), and tells the backend the scope this entry must
 * flush (flush_at_entry). The caller then enters, and after the guest
 * exits (or the entry was cancelled) calls tlbf_entry_done().
 * Concurrency: the VP's own thread.
 * Returns: TLBF_STATUS_OK (enter); refused, nothing announced or polled
 * (do not enter): TLBF_STATUS_BAD_STORAGE (@e NULL or not set up),
 * _BAD_VTL (@vtl not below TLBF_VTL_COUNT).
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_entry_prepare(struct tlbf_entry *e,
                                                                  unsigned vtl)
{
	if (e == NULL || e->pt == NULL || e->be == NULL)
		return TLBF_STATUS_BAD_STORAGE;
	if (vtl >= TLBF_VTL_COUNT)
		return TLBF_STATUS_BAD_VTL;
	struct tlbf_vp *vp = &e->pt->vps[e->vp_index];
#if TLBF_STATS
	const uint64_t overflows = e->local.cursor[vtl].overflows;
#endif
	struct tlbf_poll p = tlbf__vp_prepare_entry(vp, &e->local, &e->pt->rings[vtl], vtl, e->list,
	                                            e->list_cap);
	tlbf__entry_apply(e, vtl, p);
	if (p.flags & TLBF_POLL_ENTIRE)
		TLBF__ENTRY_COUNT(e->stats, TLBF_STAT_OVERFLOWS,
		                  e->local.cursor[vtl].overflows - overflows);
	TLBF_PROBE5(entry_poll, e->vp_index, vtl, p.flags, p.count, e->pending[vtl]);
	tlbf__vp_publish(vp, &e->local, vtl);
	e->be->ops->flush_at_entry(e->be->ctx, e->vp_index, vtl, (enum tlbf_scope)e->pending[vtl]);
	TLBF_IF_BROKEN(EARLY_CLEAR, e->pending[vtl] = TLBF_SCOPE_NONE);
	e->prepared = (uint8_t)(vtl + 1);
	return TLBF_STATUS_OK;
}

/**
 * tlbf_entry_done - the entry is over: it happened (and the guest ran until
 *	an exit) or it was cancelled
 * @e: the VP's driver
 * @entered: true if the backend reports that the VP entered the guest (so
 *	the flush it was told was carried out); false if the entry was
 *	cancelled first
 *
 * Only an entry that happened clears the pending flush (trap T6). Then the
 * VP is outside the guest (V4): call it after the guest has stopped
 * running, before the VP handles its exit (a flush hypercall of its own,
 * for instance).
 * Concurrency: the VP's own thread.
 * Returns: TLBF_STATUS_OK; refused, nothing changed:
 * TLBF_STATUS_BAD_STORAGE (@e NULL), _BAD_SEQUENCE (no entry prepared).
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_entry_done(struct tlbf_entry *e, bool entered)
{
	if (e == NULL)
		return TLBF_STATUS_BAD_STORAGE;
	if (e->prepared == 0 || e->prepared > TLBF_VTL_COUNT)
		return TLBF_STATUS_BAD_SEQUENCE;
	const unsigned vtl = e->prepared - 1u;
	e->prepared = 0;
#if TLBF_STATS
	/* The idle cycle's one counter update (polls.nothing is derived
	 * from it). pending is read once, before the counters are written. */
	struct tlbf_stats *const st = e->stats;
	const unsigned pending = e->pending[vtl];
	TLBF__ENTRY_COUNT(st, entered ? TLBF_STAT_ENTRIES : TLBF_STAT_ENTRIES_CANCELLED, 1);
	if (entered && pending != TLBF_SCOPE_NONE)
		TLBF__ENTRY_COUNT(st, TLBF_STAT_ENTRY_FLUSH_NON_GLOBAL + pending - 1u, 1);
#endif
	if (entered)
		e->pending[vtl] = TLBF_SCOPE_NONE;
	tlbf__vp_exit(&e->pt->vps[e->vp_index], &e->local);
	return TLBF_STATUS_OK;
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_ENTRY_H */
