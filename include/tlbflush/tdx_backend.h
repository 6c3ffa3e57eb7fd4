/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/tdx_backend.h - mapping flush decisions onto Intel TDX.
 *
 * A VP about to run guest code of an L2 VM (VTL 0 or 1) polls its ring and
 * turns the answer into TDX operations:
 *   - one range:        TDG.VP.INVGLA with a single GLA entry;
 *   - several ranges:   TDG.VP.INVGLA with list info; the poll wrote the
 *                       GLA entries straight into the VP's 4 KiB list page
 *                       (up to 512 entries), no second copy;
 *   - flush everything: invd_translations in the TDG.VP.ENTER flags, the
 *                       weakest sufficient one: INVVPID for a guest's
 *                       flush-entire and for a ring overflow (both concern
 *                       the guest's linear and combined translations only),
 *                       INVVPID_NON_GLOBAL for a non-global request, INVEPT
 *                       only for a guest-physical request (the VMM changed
 *                       guest-physical mappings); merged
 *                       with what is already pending by strength
 *                       (INVEPT > INVVPID > INVVPID_NON_GLOBAL > none; the
 *                       numeric values 1, 2, 3, 0 are not in that order).
 *                       The pending value is cleared only when the entry is
 *                       reported as having happened, and kept when it was
 *                       cancelled (trap T6).
 * The operations go through struct tlbf_backend (backend.h); tdx_hw.h and
 * mock_backend.h implement it. This header is the encodings and the VP's
 * bookkeeping: it runs anywhere (the tests and the simulator use it with
 * the mock), only tdx_hw.h needs an x86-64 TD.
 *
 * Encodings (TDX module ABI): INVGLA RCX bit 0 list, bits 52-53 vm_index;
 * RDX a GLA entry, or list info (bits 0-8 first_entry, 12-51 list page GPA
 * frame, 52-61 num_entries). VP-enter flags bits 0-1 invd_translations,
 * bits 52-53 vm_index. vm_index is VTL + 1.
 */
#ifndef TLBFLUSH_TDX_BACKEND_H
#define TLBFLUSH_TDX_BACKEND_H

#include "config.h"
#include "backend.h"
#include "bits.h"
#include "ring.h"
#include "stats.h"
#include "trace.h"
#include "vp.h"

TLBF_EXTERN_C_BEGIN

/* TDCALL leaves used here. */
#define TLBF_TDG_VP_ENTER 25u
#define TLBF_TDG_VP_INVGLA 27u

/* INVGLA list page: 4 KiB of 8-byte GLA entries. */
#define TLBF_TDX_LIST_MAX 512u

/* invd_translations values of the VP-enter flags. */
#define TLBF_INVD_NONE 0u
#define TLBF_INVD_INVEPT 1u
#define TLBF_INVD_INVVPID 2u
#define TLBF_INVD_INVVPID_NON_GLOBAL 3u

#define TLBF_TDX_VM_INDEX_SHIFT 52
#define TLBF_TDX_INVGLA_LIST UINT64_C(1)

/**
 * tlbf_invd_rank - strength of an invd_translations value
 * @invd: TLBF_INVD_* value (0-3)
 *
 * Returns: 3 for INVEPT, 2 for INVVPID, 1 for INVVPID_NON_GLOBAL, 0 for none.
 */
static inline unsigned tlbf_invd_rank(unsigned invd)
{
	/* Index = value: none 0, INVEPT 3, INVVPID 2, NON_GLOBAL 1. */
	return (0x1230u >> (4 * (invd & 3))) & 0xf;
}

/**
 * tlbf_invd_merge - combine a pending invd_translations with a new request
 * @pending: what is already pending
 * @req: what is requested now
 *
 * By strength, never by numeric value (trap T7).
 * Returns: the stronger of the two.
 */
static inline unsigned tlbf_invd_merge(unsigned pending, unsigned req)
{
	return tlbf_invd_rank(req) > tlbf_invd_rank(pending) ? (req & 3) : (pending & 3);
}

/**
 * tlbf_tdx_vm_index - vm_index field of a VTL
 * @vtl: 0 or 1
 *
 * Returns: the field value shifted into bits 52-53 (VTL + 1).
 */
static inline uint64_t tlbf_tdx_vm_index(unsigned vtl)
{
	return ((uint64_t)vtl + 1) << TLBF_TDX_VM_INDEX_SHIFT;
}

/**
 * tlbf_tdx_enter_flags - VP-enter flags for an entry into @vtl
 * @invd: pending invd_translations
 * @vtl: the VTL entered
 *
 * Returns: the flags word for TDG.VP.ENTER.
 */
static inline uint64_t tlbf_tdx_enter_flags(unsigned invd, unsigned vtl)
{
	return tlbf_tdx_vm_index(vtl) | (invd & 3);
}

/**
 * tlbf_tdx_invgla_rcx - INVGLA "VM and flags" operand
 * @vtl: target VTL
 * @list: RDX is list info rather than one GLA entry
 *
 * Returns: the RCX value.
 */
static inline uint64_t tlbf_tdx_invgla_rcx(unsigned vtl, bool list)
{
	return tlbf_tdx_vm_index(vtl) | (list ? TLBF_TDX_INVGLA_LIST : 0);
}

/**
 * tlbf_tdx_list_info - INVGLA list info operand
 * @list_gpa_pfn: guest-physical frame number of the list page (40 bits)
 * @first: index of the first entry to use (0-511)
 * @count: number of entries (1-512)
 *
 * Returns: the RDX value.
 */
static inline uint64_t tlbf_tdx_list_info(uint64_t list_gpa_pfn, unsigned first, unsigned count)
{
	return ((uint64_t)(first & 0x1ff)) | ((list_gpa_pfn & ((UINT64_C(1) << 40) - 1)) << 12) |
	       ((uint64_t)(count & 0x3ff) << 52);
}

/**
 * struct tlbf_tdx_vp - TDX state private to one VP's thread
 * @list_page: the VP's INVGLA list page (TLBF_TDX_LIST_MAX entries); polls
 *	write GLA entries straight into it
 * @list_gpa_pfn: its guest-physical frame number
 * @pending: per VTL, the invd_translations not yet carried out by an entry
 * @vp_index: the VP
 * @invgla_single: statistics: single-entry INVGLAs issued
 * @invgla_list: statistics: list INVGLAs issued
 * @invgla_skipped: statistics: lists not issued because a full flush was
 *	pending anyway
 * @entire: statistics: flush-everything answers (guest-physical included)
 * @errors: statistics: backend operations that failed (each promoted to a
 *	flush of every linear translation)
 * @gpa: statistics: guest-physical answers (INVEPT)
 * @stats: the VP's counters (tlbflush/stats.h), or NULL; counted only with
 *	TLBF_STATS=1. Set it after tlbf_tdx_vp_init().
 */
struct tlbf_tdx_vp {
	uint64_t *list_page;
	uint64_t list_gpa_pfn;
	uint8_t pending[TLBF_VTL_COUNT];
	uint32_t vp_index;
	uint64_t invgla_single;
	uint64_t invgla_list;
	uint64_t invgla_skipped;
	uint64_t entire;
	uint64_t errors;
	uint64_t gpa;
	struct tlbf_stats *stats;
};

/* Count @n on the VP's own counters @st (tv->stats, loaded once per
 * function), when compiled in and given. */
#if TLBF_STATS
#define TLBF__TDX_COUNT(st, id, n) \
	do { \
		if ((st) && (n)) \
			tlbf__stat_add((st), (id), (n)); \
	} while (0)
#else
#define TLBF__TDX_COUNT(st, id, n) ((void)0)
#endif

/**
 * tlbf_tdx_vp_init - set up a VP's TDX state
 * @tv: caller storage
 * @vp_index: the VP
 * @list_page: its list page mapping (4 KiB, TLBF_TDX_LIST_MAX entries)
 * @list_gpa_pfn: the list page's guest-physical frame number
 *
 * No flush pending, statistics at zero.
 * Concurrency: the VP's own thread, before its first entry.
 */
static inline void tlbf_tdx_vp_init(struct tlbf_tdx_vp *tv, uint32_t vp_index, uint64_t *list_page,
                                    uint64_t list_gpa_pfn)
{
	tv->list_page = list_page;
	tv->list_gpa_pfn = list_gpa_pfn;
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		tv->pending[v] = TLBF_INVD_NONE;
	tv->vp_index = vp_index;
	tv->invgla_single = 0;
	tv->invgla_list = 0;
	tv->invgla_skipped = 0;
	tv->entire = 0;
	tv->errors = 0;
	tv->gpa = 0;
	tv->stats = NULL;
}

/**
 * tlbf_tdx_apply - carry out one poll answer for @vtl
 * @be: the backend
 * @tv: the VP's TDX state; the poll's ranges are in tv->list_page
 * @vtl: the VTL polled
 * @p: the poll's answer
 *
 * Flush-everything and non-global answers are merged into the pending
 * VP-enter value (they happen at the next entry) as the weakest sufficient
 * operation: a guest-physical answer as INVEPT, any other flush-everything
 * (a guest's request, an overflow) as INVVPID, non-global as
 * INVVPID_NON_GLOBAL; ranges are invalidated now with INVGLA, unless a
 * full flush is pending anyway. A failed INVGLA is never ignored: it
 * becomes a pending INVVPID (every linear translation). A VTL the
 * build does not have, or a refused poll, changes nothing.
 * Concurrency: the VP's own thread (INVGLA acts on the calling VP).
 */
static inline void tlbf_tdx_apply(const struct tlbf_backend *be, struct tlbf_tdx_vp *tv,
                                  unsigned vtl, struct tlbf_poll p)
{
	if (vtl >= TLBF_VTL_COUNT || (p.flags & TLBF_POLL_REFUSED))
		return;
#if TLBF_STATS
	struct tlbf_stats *const st = tv->stats;
	if (p.flags != TLBF_POLL_NOTHING && st) {
		/* The rare case. A poll answering nothing (the common case)
		 * counts nothing here: polls.nothing is derived from the
		 * entries and the answered polls (stats.h). */
		tlbf__stat_add(st, TLBF__STAT_POLLS_ANSWERED, 1);
		TLBF__TDX_COUNT(st, TLBF_STAT_POLL_LIST, (p.flags & TLBF_POLL_LIST) != 0);
		TLBF__TDX_COUNT(st, TLBF_STAT_POLL_NON_GLOBAL, (p.flags & TLBF_POLL_NON_GLOBAL) != 0);
		TLBF__TDX_COUNT(st, TLBF_STAT_POLL_EVERYTHING, (p.flags & TLBF_POLL_ENTIRE) != 0);
		TLBF__TDX_COUNT(st, TLBF_STAT_POLL_GPA, (p.flags & TLBF_POLL_GPA) != 0);
	}
#endif
	if (p.flags & TLBF_POLL_ENTIRE) {
		unsigned invd = TLBF_INVD_INVVPID;
		tv->entire++;
		if (p.flags & TLBF_POLL_GPA) {
			tv->gpa++;
			invd = TLBF_INVD_INVEPT;
			TLBF_IF_BROKEN(GPA_AS_INVVPID, invd = TLBF_INVD_INVVPID);
		}
		tv->pending[vtl] = (uint8_t)tlbf_invd_merge(tv->pending[vtl], invd);
		return;
	}
	if (p.flags & TLBF_POLL_NON_GLOBAL)
		tv->pending[vtl] = (uint8_t)tlbf_invd_merge(tv->pending[vtl], TLBF_INVD_INVVPID_NON_GLOBAL);
	if (!(p.flags & TLBF_POLL_LIST) || p.count == 0)
		return;
	if (tlbf_invd_rank(tv->pending[vtl]) >= tlbf_invd_rank(TLBF_INVD_INVVPID)) {
		/* Everything, global mappings included, goes at entry. */
		tv->invgla_skipped++;
		TLBF__TDX_COUNT(st, TLBF_STAT_INVGLA_SKIPPED, 1);
		return;
	}
	int rc;
	if (p.count == 1) {
		tv->invgla_single++;
		TLBF__TDX_COUNT(st, TLBF_STAT_INVGLA_SINGLE, 1);
		rc = be->ops->invgla_single(be->ctx, tv->vp_index, tlbf_tdx_invgla_rcx(vtl, false),
		                            tv->list_page[0]);
	} else {
		tv->invgla_list++;
		TLBF__TDX_COUNT(st, TLBF_STAT_INVGLA_LIST, 1);
		rc = be->ops->invgla_list(be->ctx, tv->vp_index, tlbf_tdx_invgla_rcx(vtl, true),
		                          tlbf_tdx_list_info(tv->list_gpa_pfn, 0, p.count), tv->list_page);
	}
	if (rc != 0) {
		tv->errors++;
		TLBF__TDX_COUNT(st, TLBF_STAT_ERRORS, 1);
		tv->pending[vtl] = (uint8_t)tlbf_invd_merge(tv->pending[vtl], TLBF_INVD_INVVPID);
	}
}

/**
 * tlbf_tdx_prepare_entry - the whole VP side before TDG.VP.ENTER
 * @be: the backend
 * @tv: the VP's TDX state
 * @vp: the VP's shared state
 * @l: the VP's private protocol state
 * @ring: the ring of @vtl
 * @vtl: the VTL about to run
 *
 * Announce (V1, V2), poll into the list page, apply, publish the cursor
 * (V3) and hand the VP-enter flags to the backend. The caller then enters
 * and reports the outcome with tlbf_tdx_entry_done().
 * Concurrency: the VP's own thread.
 * Returns: true; false, having done nothing, if @vtl is not below
 * TLBF_VTL_COUNT (the VP must not enter).
 */
static inline bool tlbf_tdx_prepare_entry(const struct tlbf_backend *be, struct tlbf_tdx_vp *tv,
                                          struct tlbf_vp *vp, struct tlbf_vp_local *l,
                                          const struct tlbf_ring *ring, unsigned vtl)
{
	if (vtl >= TLBF_VTL_COUNT)
		return false;
#if TLBF_STATS
	const uint64_t overflows = l->cursor[vtl].overflows;
#endif
	struct tlbf_poll p = tlbf_vp_prepare_entry(vp, l, ring, vtl, tv->list_page, TLBF_TDX_LIST_MAX);
	tlbf_tdx_apply(be, tv, vtl, p);
	if (p.flags & TLBF_POLL_ENTIRE)
		TLBF__TDX_COUNT(tv->stats, TLBF_STAT_OVERFLOWS, l->cursor[vtl].overflows - overflows);
	TLBF_PROBE5(entry_poll, tv->vp_index, vtl, p.flags, p.count, tv->pending[vtl]);
	tlbf_vp_publish(vp, l, vtl);
	be->ops->set_enter_flags(be->ctx, tv->vp_index, tlbf_tdx_enter_flags(tv->pending[vtl], vtl));
	TLBF_IF_BROKEN(EARLY_CLEAR, tv->pending[vtl] = TLBF_INVD_NONE);
	return true;
}

/**
 * tlbf_tdx_entry_done - report whether the entry actually happened
 * @tv: the VP's TDX state
 * @vtl: the VTL of the entry
 * @entered: true if the kernel/TDX module reports the L2 VM was entered
 *	(so the flags were carried out); false if it was cancelled first
 *
 * Only an entry that happened clears the pending flush (trap T6). A VTL
 * the build does not have changes nothing.
 * Concurrency: the VP's own thread.
 */
static inline void tlbf_tdx_entry_done(struct tlbf_tdx_vp *tv, unsigned vtl, bool entered)
{
	if (vtl >= TLBF_VTL_COUNT)
		return;
#if TLBF_STATS
	/* The idle cycle's one counter update (polls.nothing is derived
	 * from it). pending is read once, before the counters are written. */
	struct tlbf_stats *const st = tv->stats;
	const unsigned pending = tv->pending[vtl];
	TLBF__TDX_COUNT(st, entered ? TLBF_STAT_ENTRIES : TLBF_STAT_ENTRIES_CANCELLED, 1);
	if (entered && pending != TLBF_INVD_NONE)
		TLBF__TDX_COUNT(st, TLBF_STAT_FULL_INVEPT + pending - 1u, 1);
#endif
	if (entered)
		tv->pending[vtl] = TLBF_INVD_NONE;
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_TDX_BACKEND_H */
