/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/mock_backend.h - a software machine for tests and simulation:
 * a TLB per VP, an entry that can be cancelled, a kick that waits.
 *
 * A real implementation of struct tlbf_backend (backend.h), not a stub:
 *   - every VP has a software TLB per VTL: a small direct-mapped table of
 *     cached translations (page -> page-table version it was read at, and
 *     whether it is global). flush_list invalidates the entries the ranges
 *     cover; an entry with a flush scope drops all entries (TLBF_SCOPE_GPA,
 *     _LINEAR) or the non-global ones (_NON_GLOBAL);
 *   - beside it, a table of guest-physical translations per VTL (guest
 *     page -> version of the VMM's guest-physical mapping it was read at).
 *     Only TLBF_SCOPE_GPA drops them: the other flushes act on linear
 *     translations, and a refill goes through a cached guest-physical one;
 *   - tlbf_mock_enter() plays the machine's entry: it is cancelled when the
 *     VP has a pending cancel signal, otherwise it carries out the scope
 *     flush_at_entry gave and reports that the entry happened;
 *     tlbf_mock_leave() is the exit;
 *   - with @list_flush false (set before tlbf_mock_backend()), the backend
 *     has no flush_list: a machine that cannot flush a list of ranges;
 *   - kick sets the cancel signal of each VP in the mask (M1) and, with
 *     TLBF_KICK_WAIT, waits until each of them is out of the guest (M2);
 *     like the kernel's IPI, it knows nothing of the protocol's state
 *     words: it watches the mock's own run word (entry count and a
 *     running bit) and returns once the VP is not running or has entered
 *     again since the kick;
 *   - wake sets the wake flag of each VP in the mask (M5): the VMM's wake
 *     of a VP halted outside the guest (a VP suspended for VSM TLB locks,
 *     woken by tlbf_tlb_unlock()); tlbf_mock_halt() halts a VP until its
 *     flag is set and consumes it (M6), tlbf_mock_take_wake() polls it.
 *     The flag is sticky: a wake sent before the halt begins ends it;
 *   - every operation is appended, in order, to an operation log in caller
 *     storage (when one is given).
 *
 * The TLB of a VP is touched only by that VP's thread (flush_list and the
 * entry run on the VP itself), so it is plain memory. The cancel and run words and
 * the log are shared and atomic, and so is the wake flag.
 *
 * Entry against kick is a store-buffering pair: the VP stores its run word
 * then reads its cancel word; the kicker stores the cancel word then reads
 * the run word. Both sides are seq_cst (M1, M3 and M2, M4), so either the
 * entry sees the cancel or the kicker sees the VP running and waits.
 *
 * Wake against halt is message passing: the waker's release store of the
 * wake flag (M5) pairs with the halted VP's acquire exchange that consumes
 * it (M6), so what the waker did before the wake (a TLB-lock holder's
 * release of its waiters' counts, H6) is visible to the VP when the halt
 * returns and it checks again (tlbf_tlb_lock_must_wait()).
 */
#ifndef TLBFLUSH_MOCK_BACKEND_H
#define TLBFLUSH_MOCK_BACKEND_H

#include "config.h"
#include "atomic_pvt.h"
#include "bits.h"
#include "backend.h"
#include "hv.h"
#include "ring.h"

TLBF_EXTERN_C_BEGIN

/* Operation log codes. */
enum tlbf_mock_op {
	TLBF_MOCK_OP_FLUSH_LIST = 1,
	TLBF_MOCK_OP_FLUSH_AT_ENTRY,
	TLBF_MOCK_OP_ENTER,
	TLBF_MOCK_OP_ENTER_CANCELLED,
	TLBF_MOCK_OP_KICK,
	TLBF_MOCK_OP_WAIT,
	TLBF_MOCK_OP_WAKE
};

/**
 * struct tlbf_mock_log_entry - one logged operation
 * @op: enum tlbf_mock_op
 * @vp: the VP it acted on (for a kick: the VP kicked)
 * @a: first operand: the VTL (flush_list, flush_at_entry, enter), the
 *	kick flags
 * @b: second operand: the range count (flush_list), the scope
 *	(flush_at_entry, enter)
 */
struct tlbf_mock_log_entry {
	TLBF_ATOMIC(uint64_t) op;
	TLBF_ATOMIC(uint64_t) vp;
	TLBF_ATOMIC(uint64_t) a;
	TLBF_ATOMIC(uint64_t) b;
};

/**
 * struct tlbf_mock_tlb_entry - one cached translation
 * @page: GVA page number
 * @version: page-table version the translation was read at
 * @valid: whether the entry holds a translation
 * @global: whether it is a global mapping (survives non-global flushes)
 */
struct tlbf_mock_tlb_entry {
	uint64_t page;
	uint64_t version;
	bool valid;
	bool global;
};

/**
 * struct tlbf_mock_vp - one VP of the mock
 * @cancel: pending cancel signal (shared: set by kickers)
 * @run: entry count << 1 | running (shared: watched by kickers)
 * @wake: pending wake-up (shared: set by the wake operation, consumed by
 *	tlbf_mock_halt() and tlbf_mock_take_wake() on the VP's thread)
 * @kicked_run: the latest run word a kick with wait found the VP in
 *	(shared: kickers only), the run the wait waits out
 * @enter_scope: per VTL, the scope of the next entry (VP thread only)
 * @tlb: the software TLB per VTL (VP thread only)
 * @gpa_tlb: the guest-physical translations per VTL (VP thread only; an
 *	entry's @global is unused)
 * @entries, @cancelled, @flushes_entire, @flushes_non_global,
 * @invalidated: statistics (VP thread only)
 * @flushes_gpa: statistics: entries that carried out TLBF_SCOPE_GPA (also
 *	counted in @flushes_entire)
 */
struct tlbf_mock_vp {
	TLBF_ALIGNAS(TLBF_CACHE_LINE) TLBF_ATOMIC(uint64_t) cancel;
	TLBF_ATOMIC(uint64_t) run;
	TLBF_ATOMIC(uint64_t) wake;
	TLBF_ATOMIC(uint64_t) kicked_run;
	uint8_t enter_scope[TLBF_VTL_COUNT];
	uint64_t entries;
	uint64_t cancelled;
	uint64_t flushes_entire;
	uint64_t flushes_non_global;
	uint64_t invalidated;
	uint64_t flushes_gpa;
	struct tlbf_mock_tlb_entry tlb[TLBF_VTL_COUNT][TLBF_MOCK_TLB_ENTRIES];
	struct tlbf_mock_tlb_entry gpa_tlb[TLBF_VTL_COUNT][TLBF_MOCK_TLB_ENTRIES];
};

/**
 * struct tlbf_mock - the mock backend's state
 * @mvps: one struct tlbf_mock_vp per VP
 * @nvps: number of VPs
 * @log: operation log storage, or NULL
 * @log_cap: entries at @log
 * @log_len: entries reserved so far (may exceed @log_cap: the rest is lost)
 * @relax: called while waiting for a VP (e.g. sched_yield), or NULL
 * @relax_arg: its argument
 * @on_kick: called for each cancel signal sent, after it is visible (a
 *	simulator charges the cost of an IPI here), or NULL
 * @on_kick_arg: its first argument
 * @fail_kicks: kicks still to refuse: while it is non-zero a kick sends
 *	nothing, decrements it and returns -5 (-EIO), like a kick ioctl that
 *	failed; a test hook, 0 after tlbf_mock_init()
 * @kicks: statistics: cancel signals sent
 * @waits: statistics: VPs waited for
 * @wakes: statistics: wake-ups sent (per VP)
 * @list_flush: the backend has flush_list (true after tlbf_mock_init();
 *	set false before tlbf_mock_backend() for a machine that cannot)
 */
struct tlbf_mock {
	struct tlbf_mock_vp *mvps;
	uint32_t nvps;
	struct tlbf_mock_log_entry *log;
	uint64_t log_cap;
	TLBF_ATOMIC(uint64_t) log_len;
	void (*relax)(void *arg);
	void *relax_arg;
	void (*on_kick)(void *arg, uint32_t vp);
	void *on_kick_arg;
	TLBF_ATOMIC(uint64_t) fail_kicks;
	TLBF_ATOMIC(uint64_t) kicks;
	TLBF_ATOMIC(uint64_t) waits;
	TLBF_ATOMIC(uint64_t) wakes;
	bool list_flush;
};

/* Append one operation to the log. Relaxed: the reserve gives the order
 * among operations; readers of the log run after the threads joined. */
static inline void tlbf__mock_log(struct tlbf_mock *m, enum tlbf_mock_op op, uint32_t vp,
                                  uint64_t a, uint64_t b)
{
	if (!m->log)
		return;
	/* Relaxed, here and below: the reserve gives the order. */
	uint64_t i = tlbf__fetch_add(&m->log_len, 1, TLBF_RELAXED);
	if (i >= m->log_cap)
		return;
	/* Relaxed: readers of the log run after the threads joined. */
	tlbf__store(&m->log[i].op, (uint64_t)op, TLBF_RELAXED);
	tlbf__store(&m->log[i].vp, vp, TLBF_RELAXED);
	tlbf__store(&m->log[i].a, a, TLBF_RELAXED);
	tlbf__store(&m->log[i].b, b, TLBF_RELAXED);
}

/* A VP and VTL the mock has. */
static inline bool tlbf__mock_ok(const struct tlbf_mock *m, uint32_t vp, unsigned vtl)
{
	return vp < m->nvps && vtl < TLBF_VTL_COUNT;
}

/**
 * tlbf_mock_tlb_lookup - translate @page through VP @vp's TLB for @vtl
 * @m: the mock
 * @vp: the VP (its own thread)
 * @vtl: the VTL
 * @page: GVA page number
 * @version: set to the cached version on a hit
 *
 * Returns: true on a hit; false on a miss or a VP or VTL the mock does not
 * have.
 */
static inline bool tlbf_mock_tlb_lookup(struct tlbf_mock *m, uint32_t vp, unsigned vtl,
                                        uint64_t page, uint64_t *version)
{
	if (!tlbf__mock_ok(m, vp, vtl))
		return false;
	struct tlbf_mock_tlb_entry *e =
	    &m->mvps[vp].tlb[vtl][page & (TLBF_MOCK_TLB_ENTRIES - 1)];
	if (!e->valid || e->page != page)
		return false;
	*version = e->version;
	return true;
}

/**
 * tlbf_mock_tlb_fill - cache a translation read from the page table
 * @m: the mock
 * @vp: the VP (its own thread)
 * @vtl: the VTL
 * @page: GVA page number
 * @version: the page-table version read
 * @global: whether the mapping is global
 *
 * A VP or VTL the mock does not have caches nothing.
 */
static inline void tlbf_mock_tlb_fill(struct tlbf_mock *m, uint32_t vp, unsigned vtl,
                                      uint64_t page, uint64_t version, bool global)
{
	if (!tlbf__mock_ok(m, vp, vtl))
		return;
	struct tlbf_mock_tlb_entry *e =
	    &m->mvps[vp].tlb[vtl][page & (TLBF_MOCK_TLB_ENTRIES - 1)];
	e->page = page;
	e->version = version;
	e->valid = true;
	e->global = global;
}

/**
 * tlbf_mock_gpa_lookup - find VP @vp's cached guest-physical translation
 * @m: the mock
 * @vp: the VP (its own thread)
 * @vtl: the VTL
 * @gpage: guest-physical page number
 * @version: set to the cached version of the VMM's mapping on a hit
 *
 * Returns: true on a hit; false on a miss or a VP or VTL the mock does not
 * have.
 */
static inline bool tlbf_mock_gpa_lookup(struct tlbf_mock *m, uint32_t vp, unsigned vtl,
                                        uint64_t gpage, uint64_t *version)
{
	if (!tlbf__mock_ok(m, vp, vtl))
		return false;
	struct tlbf_mock_tlb_entry *e =
	    &m->mvps[vp].gpa_tlb[vtl][gpage & (TLBF_MOCK_TLB_ENTRIES - 1)];
	if (!e->valid || e->page != gpage)
		return false;
	*version = e->version;
	return true;
}

/**
 * tlbf_mock_gpa_fill - cache a guest-physical translation
 * @m: the mock
 * @vp: the VP (its own thread)
 * @vtl: the VTL
 * @gpage: guest-physical page number
 * @version: the version of the VMM's mapping read
 *
 * Only an entry with TLBF_SCOPE_GPA drops it again. A VP or VTL the mock does not have caches
 * nothing.
 */
static inline void tlbf_mock_gpa_fill(struct tlbf_mock *m, uint32_t vp, unsigned vtl,
                                      uint64_t gpage, uint64_t version)
{
	if (!tlbf__mock_ok(m, vp, vtl))
		return;
	struct tlbf_mock_tlb_entry *e =
	    &m->mvps[vp].gpa_tlb[vtl][gpage & (TLBF_MOCK_TLB_ENTRIES - 1)];
	e->page = gpage;
	e->version = version;
	e->valid = true;
	e->global = false;
}

/* Invalidate the entries one GLA entry covers. */
static inline void tlbf__mock_invalidate_gla(struct tlbf_mock_vp *mv, unsigned vtl, uint64_t gla)
{
	uint64_t first = tlbf__gva_page(gla);
	uint64_t n = tlbf__gva_additional(gla, false) + 1;
	for (unsigned i = 0; i < TLBF_MOCK_TLB_ENTRIES; i++) {
		struct tlbf_mock_tlb_entry *e = &mv->tlb[vtl][i];
		if (e->valid && e->page - first < n) {
			e->valid = false;
			mv->invalidated++;
		}
	}
}

static inline int tlbf__mock_flush_list(void *ctx, uint32_t vp, unsigned vtl,
                                        const uint64_t *ranges, uint32_t count)
{
	struct tlbf_mock *m = (struct tlbf_mock *)ctx;
	if (!tlbf__mock_ok(m, vp, vtl) || ranges == NULL || count == 0)
		return -1;
	tlbf__mock_log(m, TLBF_MOCK_OP_FLUSH_LIST, vp, vtl, count);
	for (uint32_t i = 0; i < count; i++)
		tlbf__mock_invalidate_gla(&m->mvps[vp], vtl, ranges[i]);
	return 0;
}

static inline void tlbf__mock_flush_at_entry(void *ctx, uint32_t vp, unsigned vtl,
                                             enum tlbf_scope scope)
{
	struct tlbf_mock *m = (struct tlbf_mock *)ctx;
	if (!tlbf__mock_ok(m, vp, vtl))
		return;
	tlbf__mock_log(m, TLBF_MOCK_OP_FLUSH_AT_ENTRY, vp, vtl, (uint64_t)scope);
	/* A scope out of range is the strongest: flushing more is safe. */
	m->mvps[vp].enter_scope[vtl] =
	    (uint8_t)((unsigned)scope < TLBF_SCOPE__COUNT ? scope : TLBF_SCOPE_GPA);
}

static inline void tlbf__mock_relax(void *ctx)
{
	struct tlbf_mock *m = (struct tlbf_mock *)ctx;
	if (m->relax)
		m->relax(m->relax_arg);
	else
		TLBF_CPU_RELAX();
}

static inline int tlbf__mock_kick(void *ctx, const uint64_t *mask, uint32_t nbits, unsigned flags)
{
	struct tlbf_mock *m = (struct tlbf_mock *)ctx;
	uint32_t words = (nbits + 63) / 64;
	if (nbits > m->nvps)
		return -1;
	/* Relaxed: a test hook counted down by kickers; it orders nothing. */
	uint64_t fail = tlbf__load(&m->fail_kicks, TLBF_RELAXED);
	while (fail != 0 && !tlbf__cas(&m->fail_kicks, &fail, fail - 1, TLBF_RELAXED, TLBF_RELAXED))
		;
	if (fail != 0)
		return -5;
	for (uint32_t w = 0; w < words; w++) {
		for (uint64_t bits = mask[w]; bits; bits &= bits - 1) {
			uint32_t vp = w * 64 + tlbf__ctz64(bits);
			struct tlbf_mock_vp *mv = &m->mvps[vp];
			if (flags & TLBF_KICK_CANCEL) {
				tlbf__mock_log(m, TLBF_MOCK_OP_KICK, vp, flags, 0);
				TLBF_STEP("M1");
				/* M1: seq_cst, pairs with M3 in tlbf_mock_enter()
				 * (store-buffering pair, see the top of this file). */
				tlbf__store(&mv->cancel, 1, TLBF_SEQ_CST);
				/* Relaxed: a statistic. */
				tlbf__fetch_add(&m->kicks, 1, TLBF_RELAXED);
				if (m->on_kick)
					m->on_kick(m->on_kick_arg, vp);
			}
			if (!(flags & TLBF_KICK_WAIT))
				continue;
			TLBF_STEP("M2");
			/* M2: seq_cst load (pairs with M3: a VP whose entry missed
			 * our cancel is seen running), right after the cancel:
			 * the run it reads is the run the kick interrupts, which
			 * the wait below waits out (a later run of the VP, one
			 * that began after the kick, has seen the cancel). */
			uint64_t r0 = tlbf__load(&mv->run, TLBF_SEQ_CST);
			if (!(r0 & 1))
				continue;
			/* Relaxed, the guess and the CAS: the interrupted run,
			 * kept for the wait as the largest any kicker saw; it is
			 * a run word compared, never a publication. */
			uint64_t k = tlbf__load(&mv->kicked_run, TLBF_RELAXED);
			while (k < r0 && !tlbf__cas(&mv->kicked_run, &k, r0, TLBF_RELAXED, TLBF_RELAXED))
				;
		}
	}
	if (!(flags & TLBF_KICK_WAIT))
		return 0;
	for (uint32_t w = 0; w < words; w++) {
		for (uint64_t bits = mask[w]; bits; bits &= bits - 1) {
			uint32_t vp = w * 64 + tlbf__ctz64(bits);
			struct tlbf_mock_vp *mv = &m->mvps[vp];
			tlbf__mock_log(m, TLBF_MOCK_OP_WAIT, vp, flags, 0);
			/* Relaxed: a statistic. */
			tlbf__fetch_add(&m->waits, 1, TLBF_RELAXED);
			/* Relaxed: a run word to compare with. It is at least the
			 * one this kick saw (runs only grow): if larger, the run we
			 * interrupted is over and this waits for a later kicked
			 * run at most, which is safe. */
			const uint64_t r0 = tlbf__load(&mv->kicked_run, TLBF_RELAXED);
			if (!(r0 & 1))
				continue;
			/* M2 (its acquire loads): pair with M4: what the VP did
			 * in the guest happens before our return. */
			while (tlbf__load(&mv->run, TLBF_ACQUIRE) == r0)
				tlbf__mock_relax(m);
		}
	}
	return 0;
}

static inline int tlbf__mock_wake(void *ctx, const uint64_t *mask, uint32_t nbits)
{
	struct tlbf_mock *m = (struct tlbf_mock *)ctx;
	if (nbits > m->nvps)
		return -1;
	for (uint32_t w = 0; w < (nbits + 63) / 64; w++) {
		for (uint64_t bits = mask[w]; bits; bits &= bits - 1) {
			uint32_t vp = w * 64 + tlbf__ctz64(bits);
			if (vp >= nbits)
				break;
			tlbf__mock_log(m, TLBF_MOCK_OP_WAKE, vp, 0, 0);
			TLBF_STEP("M5");
			/* M5: release, pairs with M6 in tlbf_mock_halt() and
			 * tlbf_mock_take_wake(): what the waker did before (H6)
			 * happens before the woken VP checks again. */
			tlbf__store(&m->mvps[vp].wake, 1, TLBF_RELEASE);
			/* Relaxed: a statistic. */
			tlbf__fetch_add(&m->wakes, 1, TLBF_RELAXED);
		}
	}
	return 0;
}

/**
 * tlbf_mock_init - set up the mock over caller storage
 * @m: the mock
 * @mvps: nvps mock VPs (caller storage; cleared here)
 * @nvps: number of VPs
 * @log: log storage or NULL
 * @log_cap: entries at @log
 *
 * Every VP not running, no cancel or wake pending, TLBs empty, statistics
 * at zero.
 * Set @m->relax afterwards to make waiting initiators yield.
 * Concurrency: before any thread uses the mock.
 */
static inline void tlbf_mock_init(struct tlbf_mock *m, struct tlbf_mock_vp *mvps, uint32_t nvps,
                                  struct tlbf_mock_log_entry *log, uint64_t log_cap)
{
	m->mvps = mvps;
	m->nvps = nvps;
	m->log = log;
	m->log_cap = log ? log_cap : 0;
	tlbf__init(&m->log_len, 0);
	m->relax = NULL;
	m->relax_arg = NULL;
	m->on_kick = NULL;
	m->on_kick_arg = NULL;
	tlbf__init(&m->fail_kicks, 0);
	tlbf__init(&m->kicks, 0);
	tlbf__init(&m->waits, 0);
	tlbf__init(&m->wakes, 0);
	m->list_flush = true;
	for (uint32_t i = 0; i < nvps; i++) {
		struct tlbf_mock_vp *mv = &mvps[i];
		tlbf__init(&mv->cancel, 0);
		tlbf__init(&mv->run, 0);
		tlbf__init(&mv->wake, 0);
		tlbf__init(&mv->kicked_run, 0);
		for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
			mv->enter_scope[v] = TLBF_SCOPE_NONE;
		mv->entries = mv->cancelled = mv->flushes_entire = 0;
		mv->flushes_non_global = mv->invalidated = 0;
		mv->flushes_gpa = 0;
		for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
			for (unsigned e = 0; e < TLBF_MOCK_TLB_ENTRIES; e++) {
				mv->tlb[v][e].valid = false;
				mv->gpa_tlb[v][e].valid = false;
			}
	}
}

/**
 * tlbf_mock_backend - the struct tlbf_backend of a mock
 * @m: the mock (tlbf_mock_init())
 *
 * Returns: a backend whose operations act on @m: flush_list (unless
 * @m->list_flush is false), flush_at_entry, kick, wake, and relax (@m's
 * relax hook).
 */
static inline struct tlbf_backend tlbf_mock_backend(struct tlbf_mock *m)
{
	static const struct tlbf_backend_ops ops = {
		tlbf__mock_flush_list, tlbf__mock_flush_at_entry, tlbf__mock_kick, tlbf__mock_wake,
		tlbf__mock_relax,
	};
	static const struct tlbf_backend_ops ops_no_list = {
		NULL, tlbf__mock_flush_at_entry, tlbf__mock_kick, tlbf__mock_wake, tlbf__mock_relax,
	};
	struct tlbf_backend be = {m->list_flush ? &ops : &ops_no_list, m};
	return be;
}

/**
 * tlbf_mock_take_cancel - consume VP @vp's pending cancel signal
 * @m: the mock
 * @vp: the VP (its own thread)
 *
 * What a VP running guest code checks to know it was kicked (the real
 * system's IPI). Relaxed load first so the common case writes nothing.
 * Returns: true if a cancel signal was pending (now consumed); false also
 * for a VP the mock does not have.
 */
static inline bool tlbf_mock_take_cancel(struct tlbf_mock *m, uint32_t vp)
{
	if (vp >= m->nvps)
		return false;
	TLBF_ATOMIC(uint64_t) *c = &m->mvps[vp].cancel;
	/* Relaxed: a poll in the guest loop; the kicker waits for the VP to
	 * leave (M4), which orders everything that matters. */
	if (tlbf__load(c, TLBF_RELAXED) == 0)
		return false;
	return tlbf__xchg(c, 0, TLBF_RELAXED) != 0;
}

/**
 * tlbf_mock_take_wake - consume VP @vp's pending wake-up, without halting
 * @m: the mock
 * @vp: the VP (its own thread)
 *
 * A wake-up is the backend's wake (sent by tlbf_tlb_unlock()). For a VMM
 * that halts with its own timeout or event loop: poll this between its
 * waits. Relaxed load first so that the common case writes nothing.
 * Returns: true if a wake-up was pending (now consumed); false also for a
 * VP the mock does not have.
 */
static inline bool tlbf_mock_take_wake(struct tlbf_mock *m, uint32_t vp)
{
	if (vp >= m->nvps)
		return false;
	TLBF_ATOMIC(uint64_t) *w = &m->mvps[vp].wake;
	/* Relaxed: only a hint; the exchange below is what orders. */
	if (tlbf__load(w, TLBF_RELAXED) == 0)
		return false;
	TLBF_STEP("M6");
	/* M6: acquire, pairs with M5 in the wake: the waker's work before the
	 * wake (a TLB-lock holder's H6) happens before what the VP does next. */
	return tlbf__xchg(w, 0, TLBF_ACQUIRE) != 0;
}

/**
 * tlbf_mock_halt - halt VP @vp outside the guest until it is woken
 * @m: the mock
 * @vp: the VP (its own thread)
 *
 * The halt of a VP suspended for VSM TLB locks: the run loop calls it
 * while tlbf_tlb_lock_must_wait() says true. Returns once a wake-up (the
 * backend's wake) is pending, consuming it (M6); a wake-up sent before
 * the call, even before the VP decided to halt, ends it at once (the flag
 * is sticky), so a wake between must_wait and the halt is not lost. Spins
 * on the mock's relax hook (@m->relax, else TLBF_CPU_RELAX()). A spurious
 * return is possible (a wake left from an earlier wait): the caller checks
 * again. Returns at once for a VP the mock does not have.
 */
static inline void tlbf_mock_halt(struct tlbf_mock *m, uint32_t vp)
{
	if (vp >= m->nvps)
		return;
	while (!tlbf_mock_take_wake(m, vp))
		tlbf__mock_relax(m);
}

/**
 * tlbf_mock_leave - the VP left guest code (VM exit) on the mock
 * @m: the mock
 * @vp: the VP (its own thread)
 *
 * M4: release store of "not running", pairs with the kicker's acquire
 * loads (M2): every guest access before it happens before the kick
 * returns. A VP the mock does not have is ignored.
 */
static inline void tlbf_mock_leave(struct tlbf_mock *m, uint32_t vp)
{
	if (vp >= m->nvps)
		return;
	struct tlbf_mock_vp *mv = &m->mvps[vp];
	uint64_t run = tlbf__load(&mv->run, TLBF_RELAXED); /* only we write it */
	TLBF_STEP("M4");
	/* M4: release, pairs with M2 (see above). */
	tlbf__store(&mv->run, run & ~UINT64_C(1), TLBF_RELEASE);
}

/**
 * tlbf_mock_enter - the machine's entry into guest code, on the mock
 * @m: the mock
 * @vp: the VP (its own thread)
 * @vtl: the VTL entered
 *
 * Cancelled if a cancel signal is pending (consumed; nothing flushed; the
 * VP is not running afterwards). Otherwise carries out the scope the last
 * flush_at_entry gave for @vtl on the VP's TLB and reports the entry as
 * happened; the VP then runs guest code until tlbf_mock_leave(). A VP or
 * VTL the mock does not have is refused like an invalid operand: the
 * entry does not happen (and a pending flush stays pending).
 * Returns: true if the entry happened, false if it was cancelled or
 * refused.
 */
static inline bool tlbf_mock_enter(struct tlbf_mock *m, uint32_t vp, unsigned vtl)
{
	if (!tlbf__mock_ok(m, vp, vtl))
		return false;
	struct tlbf_mock_vp *mv = &m->mvps[vp];
	uint64_t run = tlbf__load(&mv->run, TLBF_RELAXED); /* only we write it */
	TLBF_STEP("M3");
	/* M3: seq_cst store of "running", then the seq_cst load of the cancel
	 * word: pairs with M1/M2 (store-buffering pair). */
	tlbf__store(&mv->run, (run | 1) + 2, TLBF_SEQ_CST);
	if (tlbf__load(&mv->cancel, TLBF_SEQ_CST) != 0 && tlbf_mock_take_cancel(m, vp)) {
		mv->cancelled++;
		tlbf__mock_log(m, TLBF_MOCK_OP_ENTER_CANCELLED, vp, vtl, mv->enter_scope[vtl]);
		tlbf_mock_leave(m, vp);
		return false;
	}
	const unsigned scope = mv->enter_scope[vtl];
	if (scope >= TLBF_SCOPE_LINEAR) {
		mv->flushes_entire++;
		for (unsigned e = 0; e < TLBF_MOCK_TLB_ENTRIES; e++)
			mv->tlb[vtl][e].valid = false;
		if (scope >= TLBF_SCOPE_GPA) {
			mv->flushes_gpa++;
			for (unsigned e = 0; e < TLBF_MOCK_TLB_ENTRIES; e++)
				mv->gpa_tlb[vtl][e].valid = false;
		}
	} else if (scope == TLBF_SCOPE_NON_GLOBAL) {
		mv->flushes_non_global++;
		for (unsigned e = 0; e < TLBF_MOCK_TLB_ENTRIES; e++)
			if (!mv->tlb[vtl][e].global)
				mv->tlb[vtl][e].valid = false;
	}
	mv->entries++;
	tlbf__mock_log(m, TLBF_MOCK_OP_ENTER, vp, vtl, scope);
	return true;
}

/**
 * tlbf_mock_translate - a guest access to @page through VP @vp's TLB
 * @m: the mock
 * @vp: the VP (its own thread, in the guest)
 * @vtl: the VTL it runs
 * @page: GVA page number
 * @version: the version of the page-table entry as it is now (what a
 *	page walk would read)
 * @global: whether the mapping is global
 *
 * A hit uses the cached translation, which may be older than @version
 * (stale, if a flush that covered it was skipped); a miss walks the page
 * table: it caches @version and uses it.
 * Returns: the version the access used; @version for a VP or VTL the mock
 * does not have (no TLB: every access walks).
 */
static inline uint64_t tlbf_mock_translate(struct tlbf_mock *m, uint32_t vp, unsigned vtl,
                                           uint64_t page, uint64_t version, bool global)
{
	uint64_t cached;
	if (tlbf_mock_tlb_lookup(m, vp, vtl, page, &cached))
		return cached;
	tlbf_mock_tlb_fill(m, vp, vtl, page, version, global);
	return version;
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_MOCK_BACKEND_H */
