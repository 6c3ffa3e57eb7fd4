/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/oracle.h - the stale-translation oracle: a test kit that catches
 * a VP using a translation a completed flush call covered, and a flush
 * call that completes while a VSM TLB-lock holder it must wait for still
 * holds. For a VMM's own integration tests, on the mock backend.
 *
 * The guest's memory, as the oracle sees it: @npages pages per VTL, GVA
 * page numbers @base_page to @base_page + @npages - 1, each with a version
 * of its page-table entry (and of the VMM's guest-physical mapping of its
 * frame). The guest changes a page by bumping its version
 * (tlbf_oracle_change()) before it asks for the flush; once the flush call
 * has completed, the VPs of its set must use that version or a later one
 * (tlbf_oracle_flushed()). Every guest access goes through the VP's mock
 * TLB (tlbf_oracle_access()): a hit on an older version than required is
 * a stale translation.
 *
 *     initiator                               VP (in the guest)
 *     v = tlbf_oracle_change(&o, vtl, p, false)
 *     ... the flush hypercall for page p ...   if (tlbf_oracle_access(&o, &mock,
 *     if (tlbf_status_... done)                        vp, vtl, p, false))
 *         tlbf_oracle_flushed(&o, &req.vps,        stale!
 *                             vtl, p, v, false)
 *
 * No false alarm: a VP's access (its TLB lookup and its read of what is
 * required) happens within one run of guest code, and a flush call that
 * found the VP in the guest completes only after that run ended (the
 * kick's wait), so the access reads the requirement from before the call.
 *
 * TLB locks: the holder reports its hold (tlbf_oracle_hold(), after
 * tlbf_tlb_lock() and before tlbf_tlb_unlock()); the initiator snapshots
 * the holds among the set before its call (tlbf_oracle_call_begin()) and
 * checks them when the call completes (tlbf_oracle_call_end()): a hold
 * that began before the call and has not ended is an early completion.
 *
 * Storage is the caller's (TLBF_ORACLE_WORDS() words); nothing is
 * allocated.
 *
 * LABELS
 *   O1 version bump (release)        -> pairs with O2
 *   O2 a fill's read of it (acquire) -> pairs with O1
 *   O3 raise a requirement (release CAS) -> pairs with O4
 *   O4 read a requirement (acquire)  -> pairs with O3
 *   O5 a hold begins or ends (release) -> pairs with O6
 *   O6 read a hold (acquire)         -> pairs with O5
 *
 * SYNCHRONIZATION
 *   tlbf_oracle_access(): the VP's own thread. Everything else: any
 *   thread. tlbf_oracle_init(): before the oracle is shared.
 */
#ifndef TLBFLUSH_ORACLE_H
#define TLBFLUSH_ORACLE_H

#include "config.h"
#include "atomic_pvt.h"
#include "bits.h"
#include "mock_backend.h"
#include "status.h"
#include "vpset.h"

TLBF_EXTERN_C_BEGIN

/* One word of the oracle's storage: declare an array of
 * TLBF_ORACLE_WORDS(nvps, npages) of them (static, or your allocation). */
typedef TLBF_ATOMIC(uint64_t) tlbf_oracle_word;

/* Words of storage an oracle of @nvps VPs and @npages pages per VTL needs
 * (a constant expression when the arguments are). */
#define TLBF_ORACLE_WORDS(nvps, npages) \
	(2u * TLBF_VTL_COUNT * (size_t)(npages) + 2u * (size_t)(nvps) * TLBF_VTL_COUNT * (npages) + \
	 (size_t)(nvps) * TLBF_VTL_COUNT)

/**
 * struct tlbf_oracle - the oracle's state
 * @words: caller storage, TLBF_ORACLE_WORDS(@nvps, @npages) words
 * @nvps: VPs
 * @npages: pages per VTL
 * @base_page: GVA page number of page 0
 *
 * Read the fields; only the tlbf_oracle_* calls write them.
 */
struct tlbf_oracle {
	tlbf_oracle_word *words;
	uint32_t nvps;
	uint32_t npages;
	uint64_t base_page;
};

/* The word of a page's version (@gpa: of its guest-physical mapping). */
static inline TLBF_ATOMIC(uint64_t) *tlbf__oracle_version(const struct tlbf_oracle *o,
                                                          unsigned vtl, uint32_t page, bool gpa)
{
	return &o->words[((size_t)(gpa ? TLBF_VTL_COUNT : 0) + vtl) * o->npages + page];
}

/* The word of the lowest version VP @vp may use. */
static inline TLBF_ATOMIC(uint64_t) *tlbf__oracle_required(const struct tlbf_oracle *o,
                                                           uint32_t vp, unsigned vtl,
                                                           uint32_t page, bool gpa)
{
	const size_t table = (size_t)o->nvps * TLBF_VTL_COUNT * o->npages;
	return &o->words[2 * (size_t)TLBF_VTL_COUNT * o->npages + (gpa ? table : 0) +
	                 ((size_t)vp * TLBF_VTL_COUNT + vtl) * o->npages + page];
}

/* The hold sequence of VP @vp's lock of @vtl (odd while held). */
static inline TLBF_ATOMIC(uint64_t) *tlbf__oracle_hold(const struct tlbf_oracle *o, uint32_t vp,
                                                       unsigned vtl)
{
	const size_t tables = 2 * (size_t)o->nvps * TLBF_VTL_COUNT * o->npages;
	return &o->words[2 * (size_t)TLBF_VTL_COUNT * o->npages + tables +
	                 (size_t)vp * TLBF_VTL_COUNT + vtl];
}

/**
 * tlbf_oracle_init - set up an oracle over caller storage
 * @o: the oracle
 * @words: @nwords atomic words
 * @nwords: at least TLBF_ORACLE_WORDS(@nvps, @npages)
 * @nvps: VPs, 1 to TLBF_MAX_VPS
 * @npages: pages per VTL, at least 1
 * @base_page: GVA page number of page 0
 *
 * Every page at version 1, nothing required, no hold.
 * Concurrency: before the oracle is shared.
 * Returns: TLBF_STATUS_OK; refused: TLBF_STATUS_BAD_STORAGE (@o or @words
 * NULL, @nwords too small, @npages 0), _BAD_VP_COUNT.
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_oracle_init(struct tlbf_oracle *o,
                                                                tlbf_oracle_word *words,
                                                                size_t nwords, uint32_t nvps,
                                                                uint32_t npages,
                                                                uint64_t base_page)
{
	if (o == NULL || words == NULL || npages == 0)
		return TLBF_STATUS_BAD_STORAGE;
	if (nvps == 0 || nvps > (uint32_t)TLBF_MAX_VPS)
		return TLBF_STATUS_BAD_VP_COUNT;
	if (nwords < TLBF_ORACLE_WORDS(nvps, npages))
		return TLBF_STATUS_BAD_STORAGE;
	o->words = words;
	o->nvps = nvps;
	o->npages = npages;
	o->base_page = base_page;
	const size_t versions = 2 * (size_t)TLBF_VTL_COUNT * npages;
	for (size_t i = 0; i < TLBF_ORACLE_WORDS(nvps, npages); i++)
		tlbf__init(&words[i], i < versions ? 1 : 0);
	return TLBF_STATUS_OK;
}

/**
 * tlbf_oracle_change - the guest changes page @page of @vtl
 * @o: the oracle
 * @vtl: the VTL
 * @page: the page (below @npages)
 * @gpa: false: its page-table entry; true: the VMM's guest-physical
 *	mapping of its frame
 *
 * Call it before the flush that must make the change visible.
 * Returns: the new version (give it to tlbf_oracle_flushed()); 0 for a
 * page or VTL out of range (nothing changed).
 */
static inline uint64_t tlbf_oracle_change(struct tlbf_oracle *o, unsigned vtl, uint32_t page,
                                          bool gpa)
{
	if (vtl >= TLBF_VTL_COUNT || page >= o->npages)
		return 0;
	/* O1: release, pairs with O2 (a TLB fill in tlbf_oracle_access()):
	 * a VP that reads the new version sees what the guest wrote first. */
	return tlbf__fetch_add(tlbf__oracle_version(o, vtl, page, gpa), 1, TLBF_RELEASE) + 1;
}

/**
 * tlbf_oracle_flushed - a flush call covering @page of @vtl completed
 * @o: the oracle
 * @set: the call's processor set (NULL: every VP)
 * @vtl: its target VTL
 * @page: the page
 * @version: what tlbf_oracle_change() returned before the call
 * @gpa: as for tlbf_oracle_change()
 *
 * From now on every VP of @set (below @nvps) must use @version or later.
 * Concurrency: any thread, after the call completed.
 */
static inline void tlbf_oracle_flushed(struct tlbf_oracle *o, const struct tlbf_vpset *set,
                                       unsigned vtl, uint32_t page, uint64_t version, bool gpa)
{
	if (vtl >= TLBF_VTL_COUNT || page >= o->npages)
		return;
	struct tlbf_vpset_iter it;
	uint32_t vp;
	tlbf__vpset_iter_init_or_all(&it, set, o->nvps);
	while (tlbf_vpset_iter_next(&it, &vp) && vp < o->nvps) {
		TLBF_ATOMIC(uint64_t) *req = tlbf__oracle_required(o, vp, vtl, page, gpa);
		/* Relaxed: a guess the CAS checks. */
		uint64_t cur = tlbf__load(req, TLBF_RELAXED);
		/* O3: release CAS, pairs with O4 in tlbf_oracle_access(). */
		while (cur < version && !tlbf__cas(req, &cur, version, TLBF_RELEASE, TLBF_RELAXED))
			;
	}
}

/**
 * tlbf_oracle_access - VP @vp's guest code uses page @page of @vtl
 * @o: the oracle
 * @m: the mock whose TLB the VP translates through
 * @vp: the VP (its own thread, running guest code)
 * @vtl: the VTL it runs
 * @page: the page
 * @global: whether the page's mapping is global
 *
 * Translates through the VP's guest-physical and linear TLBs (a miss
 * reads the current version and caches it) and compares the versions used
 * with what completed flush calls require.
 * Returns: true if the access used a stale translation; false otherwise,
 * and for a VP, VTL or page out of range.
 */
static inline bool tlbf_oracle_access(struct tlbf_oracle *o, struct tlbf_mock *m, uint32_t vp,
                                      unsigned vtl, uint32_t page, bool global)
{
	if (vp >= o->nvps || vtl >= TLBF_VTL_COUNT || page >= o->npages)
		return false;
	uint64_t gv;
	if (!tlbf_mock_gpa_lookup(m, vp, vtl, page, &gv)) {
		/* O2: acquire, pairs with O1. */
		gv = tlbf__load(tlbf__oracle_version(o, vtl, page, true), TLBF_ACQUIRE);
		tlbf_mock_gpa_fill(m, vp, vtl, page, gv);
	}
	/* O2: acquire, pairs with O1, for the page-table entry a miss reads. */
	uint64_t now = tlbf__load(tlbf__oracle_version(o, vtl, page, false), TLBF_ACQUIRE);
	uint64_t v = tlbf_mock_translate(m, vp, vtl, o->base_page + page, now, global);
	/* O4: acquire, pairs with O3 (tlbf_oracle_flushed()). */
	uint64_t need = tlbf__load(tlbf__oracle_required(o, vp, vtl, page, false), TLBF_ACQUIRE);
	uint64_t gneed = tlbf__load(tlbf__oracle_required(o, vp, vtl, page, true), TLBF_ACQUIRE);
	return v < need || gv < gneed;
}

/**
 * tlbf_oracle_hold - VP @vp's lock of @target_vtl's TLB begins or ends
 * @o: the oracle
 * @vp: the holder
 * @target_vtl: the locked VTL
 * @held: true right after tlbf_tlb_lock(); false right before
 *	tlbf_tlb_unlock() (so the oracle's hold lies within the library's)
 *
 * Concurrency: @vp's own thread.
 */
static inline void tlbf_oracle_hold(struct tlbf_oracle *o, uint32_t vp, unsigned target_vtl,
                                    bool held)
{
	if (vp >= o->nvps || target_vtl >= TLBF_VTL_COUNT)
		return;
	TLBF_ATOMIC(uint64_t) *h = tlbf__oracle_hold(o, vp, target_vtl);
	/* Relaxed: only this thread writes it. */
	uint64_t s = tlbf__load(h, TLBF_RELAXED);
	if ((s & 1) != (uint64_t)held)
		/* O5: release, pairs with O6 (the call checks). */
		tlbf__store(h, s + 1, TLBF_RELEASE);
}

/**
 * tlbf_oracle_call_begin - snapshot the holds a flush call must wait for
 * @o: the oracle
 * @seq: caller storage, @nvps words (one per VP)
 * @set: the call's processor set (NULL: every VP)
 * @target_vtl: the call's target VTL
 *
 * Call it just before the flush call, on the initiator's thread.
 */
static inline void tlbf_oracle_call_begin(const struct tlbf_oracle *o, uint64_t *seq,
                                          const struct tlbf_vpset *set, unsigned target_vtl)
{
	struct tlbf_vpset_iter it;
	uint32_t vp;
	for (uint32_t i = 0; i < o->nvps; i++)
		seq[i] = 0;
	if (target_vtl >= TLBF_VTL_COUNT)
		return;
	tlbf__vpset_iter_init_or_all(&it, set, o->nvps);
	while (tlbf_vpset_iter_next(&it, &vp) && vp < o->nvps)
		/* O6: acquire, pairs with O5 (tlbf_oracle_hold()). */
		seq[vp] = tlbf__load(tlbf__oracle_hold(o, vp, target_vtl), TLBF_ACQUIRE);
}

/**
 * tlbf_oracle_call_end - check a flush call that completed
 * @o: the oracle
 * @seq: what tlbf_oracle_call_begin() recorded
 * @target_vtl: the call's target VTL
 * @initiator: the calling VP (it never waits for itself), or TLBF_NO_VP
 *
 * Call it once the call has completed (for TLBF_STATUS_SUSPEND, once
 * tlbf_tlb_lock_must_wait() said false).
 * Returns: true if a hold that began before the call is still going on:
 * the call completed early.
 */
static inline bool tlbf_oracle_call_end(const struct tlbf_oracle *o, const uint64_t *seq,
                                        unsigned target_vtl, uint32_t initiator)
{
	if (target_vtl >= TLBF_VTL_COUNT)
		return false;
	for (uint32_t vp = 0; vp < o->nvps; vp++) {
		if (vp == initiator || !(seq[vp] & 1))
			continue;
		/* O6: acquire, pairs with O5. */
		if (tlbf__load(tlbf__oracle_hold(o, vp, target_vtl), TLBF_ACQUIRE) == seq[vp])
			return true;
	}
	return false;
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_ORACLE_H */
