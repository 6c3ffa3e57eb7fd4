/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/stats.h - counters a VMM can export: what was requested, how it
 * was recorded, whom it woke, what the VPs flushed.
 *
 * One struct tlbf_stats per writer, in caller storage: one per initiator
 * (or per thread that handles hypercalls) for the request side, one per VP
 * for the VP side. A counter is written only by its owner, with a relaxed
 * load and store (no read-modify-write, no line another thread writes),
 * and may be read at any time by an exporter (relaxed: each value is a
 * count; nothing is ordered by it). tlbf_stats_fold() sums any number of
 * them into one snapshot; tlbf_stats_foreach() names every counter.
 *
 * Compiled in with TLBF_STATS=1 (config.h). With TLBF_STATS=0 (the
 * default) the counting functions are empty and the library's own
 * counting points (the VP side, in tdx_backend.h) are not compiled at all;
 * the structure, tlbf_stats_fold() and tlbf_stats_foreach() stay, so code
 * that exports them builds either way.
 *
 * Request side: tlbf_stats_count_flush() after each tlbf_flush_handle().
 * VP side: point struct tlbf_tdx_vp's @stats at the VP's counters
 * (tdx_backend.h): its entry path counts the poll answers, overflows,
 * INVGLAs, full flushes, entries and cancelled entries.
 *
 * An idle entry/exit cycle (the poll answers nothing, nothing pending)
 * writes one counter: entries (or entries_cancelled), in
 * tlbf_tdx_entry_done(). polls.nothing is not written on that path: the
 * poll counts, only when it answers something, an internal counter of
 * answered polls (stored after the exported ones, never printed), and
 * polls.nothing is derived when it is read (tlbf_stats_get(),
 * tlbf_stats_foreach()) as entries + entries_cancelled - answered polls,
 * at least 0. tlbf_stats_fold() adds the stored counters, so a snapshot
 * derives the same sum. The derived value is exact when each
 * tlbf_tdx_entry_done() pairs with one tlbf_tdx_prepare_entry() (or one
 * tlbf_tdx_apply() of a poll that was not refused), as on every entry
 * path of the library, and no such pair is half done: read while a VP is
 * between its poll and its tlbf_tdx_entry_done(), that VP's answered poll
 * may be counted before its entry (one less, clamped at 0).
 *
 * SYNCHRONIZATION
 *   counting: the struct's owner only. fold, foreach, load: any thread.
 */
#ifndef TLBFLUSH_STATS_H
#define TLBFLUSH_STATS_H

#include "config.h"
#include "atomic_pvt.h"
#include "bits.h"
#include "flush.h"

TLBF_EXTERN_C_BEGIN

/*
 * Every counter: its index (TLBF_STAT_<ID>) and its export name. Names are
 * lower case, dot-separated and stable across releases.
 *   requests.<call>.<kind>  requests accepted by tlbf_flush_handle(), by
 *                           call and enum tlbf_flush_kind; requests.vmm.gpa:
 *                           the VMM's own guest-physical requests
 *   refused                 calls it refused (nothing recorded)
 *   push.<result>           how requests were recorded (enum tlbf_push_result)
 *   promoted.<why>          promoted pushes by reason (enum tlbf_push_why)
 *   wake.<decision>         wake decisions (enum tlbf_wake)
 *   kicks                   cancel signals sent (kicks and late duplicates)
 *   late                    wait-only VPs cancelled after the bounded wait
 *   kick_retries            kicks that failed once and were sent again
 *   kick_failures           requests whose kick failed twice
 *   tlb_lock.suspended      requests whose caller was suspended for VSM
 *                           TLB-lock holders (TLBF_FLUSH_SUSPEND)
 *   polls.<answer>          VP entry polls answering nothing, a list,
 *                           non-global, everything (a list with non-global
 *                           counts in both), and guest-physical (with
 *                           everything); polls.nothing is derived (above)
 *   overflows               polls that flushed everything because the VP
 *                           fell a ring behind
 *   invgla.<form>           INVGLAs issued (single, list) or skipped because
 *                           a full flush was pending anyway
 *   full_flushes.<op>       entries that carried out a pending full flush,
 *                           by operation
 *   entries                 entries that happened
 *   entries_cancelled       entries a kick cancelled
 *   errors                  backend operations that failed (each promoted
 *                           to a full flush)
 */
#define TLBF__STATS(X) \
	X(REQ_SPACE_ENTIRE, "requests.space.entire") \
	X(REQ_SPACE_NON_GLOBAL, "requests.space.non_global") \
	X(REQ_SPACE_LIST, "requests.space.list") \
	X(REQ_LIST_ENTIRE, "requests.list.entire") \
	X(REQ_LIST_NON_GLOBAL, "requests.list.non_global") \
	X(REQ_LIST_LIST, "requests.list.list") \
	X(REQ_SPACE_EX_ENTIRE, "requests.space_ex.entire") \
	X(REQ_SPACE_EX_NON_GLOBAL, "requests.space_ex.non_global") \
	X(REQ_SPACE_EX_LIST, "requests.space_ex.list") \
	X(REQ_LIST_EX_ENTIRE, "requests.list_ex.entire") \
	X(REQ_LIST_EX_NON_GLOBAL, "requests.list_ex.non_global") \
	X(REQ_LIST_EX_LIST, "requests.list_ex.list") \
	X(REQ_GPA, "requests.vmm.gpa") \
	X(REFUSED, "refused") \
	X(PUSH_LISTED, "push.listed") \
	X(PUSH_EMPTY, "push.empty") \
	X(PUSH_PROMOTED, "push.promoted") \
	X(PUSH_DEGRADED, "push.degraded") \
	X(PUSH_LAPPED, "push.lapped") \
	X(PROMOTED_TOO_MANY, "promoted.too_many") \
	X(PROMOTED_LARGE_PAGE, "promoted.large_page") \
	X(PROMOTED_PAST_TOP, "promoted.past_top") \
	X(PROMOTED_NON_CANONICAL, "promoted.non_canonical") \
	X(WAKE_KICK, "wake.kick") \
	X(WAKE_WAIT_ONLY, "wake.wait-only") \
	X(WAKE_SKIP_NOT_IN_SET, "wake.skip-not-in-set") \
	X(WAKE_SKIP_INITIATOR, "wake.skip-initiator") \
	X(WAKE_SKIP_NOT_STARTED, "wake.skip-not-started") \
	X(WAKE_SKIP_OUTSIDE, "wake.skip-outside") \
	X(WAKE_SKIP_OTHER_VTL, "wake.skip-other-vtl") \
	X(WAKE_SKIP_POLLED, "wake.skip-polled") \
	X(WAKE_SKIP_REENTERED, "wake.skip-reentered") \
	X(WAKE_REFUSED, "wake.refused") \
	X(KICKS, "kicks") \
	X(LATE, "late") \
	X(KICK_RETRIES, "kick_retries") \
	X(KICK_FAILURES, "kick_failures") \
	X(SUSPENDED, "tlb_lock.suspended") \
	X(POLL_NOTHING, "polls.nothing") \
	X(POLL_LIST, "polls.list") \
	X(POLL_NON_GLOBAL, "polls.non_global") \
	X(POLL_EVERYTHING, "polls.everything") \
	X(POLL_GPA, "polls.gpa") \
	X(OVERFLOWS, "overflows") \
	X(INVGLA_SINGLE, "invgla.single") \
	X(INVGLA_LIST, "invgla.list") \
	X(INVGLA_SKIPPED, "invgla.skipped") \
	X(FULL_INVEPT, "full_flushes.invept") \
	X(FULL_INVVPID, "full_flushes.invvpid") \
	X(FULL_INVVPID_NON_GLOBAL, "full_flushes.invvpid_non_global") \
	X(ENTRIES, "entries") \
	X(ENTRIES_CANCELLED, "entries_cancelled") \
	X(ERRORS, "errors")

/**
 * enum tlbf_stat - index of a counter in struct tlbf_stats
 * @TLBF_STAT__COUNT: number of counters
 *
 * One TLBF_STAT_<ID> per line of TLBF__STATS (TLBF_STAT_KICKS, ...).
 */
enum tlbf_stat {
#define TLBF__STAT_ENUM(id, name) TLBF_STAT_##id,
	TLBF__STATS(TLBF__STAT_ENUM)
#undef TLBF__STAT_ENUM
	TLBF_STAT__COUNT
};

/* Internal counters, stored after the exported ones: folded, never
 * exported. TLBF__STAT_POLLS_ANSWERED: VP entry polls that answered
 * something (not refused); polls.nothing is derived from it. Its
 * TLBF_STAT_POLL_NOTHING slot is never written (it stays 0). */
#define TLBF__STAT_POLLS_ANSWERED ((unsigned)TLBF_STAT__COUNT)
#define TLBF__STAT_STORED ((unsigned)TLBF_STAT__COUNT + 1u)

/**
 * struct tlbf_stats - every counter of the library, in caller storage
 * @c: the stored counters: by enum tlbf_stat, then the internal ones; read
 *	them with tlbf_stats_get() (polls.nothing is derived)
 */
struct tlbf_stats {
	TLBF_ATOMIC(uint64_t) c[TLBF__STAT_STORED];
};

/**
 * tlbf_stat_name - the export name of a counter
 * @i: the counter
 *
 * Returns: a static string such as "wake.skip-outside", or "?" out of range.
 */
static inline const char *tlbf_stat_name(enum tlbf_stat i)
{
	static const char *const names[TLBF_STAT__COUNT] = {
#define TLBF__STAT_NAME(id, name) name,
		TLBF__STATS(TLBF__STAT_NAME)
#undef TLBF__STAT_NAME
	};
	return (unsigned)i < TLBF_STAT__COUNT ? names[i] : "?";
}

/* Owner-only increment: a relaxed load and store, no read-modify-write. */
static inline void tlbf__stat_add(struct tlbf_stats *s, unsigned i, uint64_t n)
{
	/* Relaxed: a count read by exporters; only the owner writes it. */
	tlbf__store(&s->c[i], tlbf__load(&s->c[i], TLBF_RELAXED) + n, TLBF_RELAXED);
}

/**
 * tlbf_stats_init - zero every counter
 * @s: caller storage
 *
 * All-zero storage is the same state. Concurrency: before it is shared.
 */
static inline void tlbf_stats_init(struct tlbf_stats *s)
{
	for (unsigned i = 0; i < TLBF__STAT_STORED; i++)
		tlbf__init(&s->c[i], 0);
}

/* One stored counter (internal ones included), as it is. */
static inline uint64_t tlbf__stat_stored(const struct tlbf_stats *s, unsigned i)
{
	/* Relaxed: a snapshot of a count; nothing is ordered by it. */
	return tlbf__load(&s->c[i], TLBF_RELAXED);
}

/**
 * tlbf_stats_get - read one counter
 * @s: the counters
 * @i: which one
 *
 * polls.nothing is derived: entries + entries_cancelled - the polls that
 * answered something, at least 0 (exact as the header comment says).
 * Concurrency: any thread, while the owner counts.
 * Returns: its value (0 for an index out of range).
 */
static inline uint64_t tlbf_stats_get(const struct tlbf_stats *s, enum tlbf_stat i)
{
	if ((unsigned)i >= TLBF_STAT__COUNT)
		return 0;
	if (i == TLBF_STAT_POLL_NOTHING) {
		uint64_t answered = tlbf__stat_stored(s, TLBF__STAT_POLLS_ANSWERED);
		uint64_t polls = tlbf__stat_stored(s, TLBF_STAT_ENTRIES) +
		                 tlbf__stat_stored(s, TLBF_STAT_ENTRIES_CANCELLED);
		return polls > answered ? polls - answered : 0;
	}
	return tlbf__stat_stored(s, (unsigned)i);
}

/* Index 0-3 of a flush call code (Space, List, SpaceEx, ListEx), else 4. */
static inline unsigned tlbf__stats_call(uint64_t code)
{
	return code == TLBF_HVCALL_FLUSH_VA_SPACE      ? 0u
	       : code == TLBF_HVCALL_FLUSH_VA_LIST     ? 1u
	       : code == TLBF_HVCALL_FLUSH_VA_SPACE_EX ? 2u
	       : code == TLBF_HVCALL_FLUSH_VA_LIST_EX  ? 3u
	                                               : 4u;
}

/**
 * tlbf_stats_count_flush - count one call of tlbf_flush_handle()
 * @s: the initiator's counters (NULL: nothing)
 * @req: the request it was given
 * @st: what it returned
 * @out: its outcome
 *
 * Concurrency: the owner of @s. Empty with TLBF_STATS=0.
 */
static inline void tlbf_stats_count_flush(struct tlbf_stats *s,
                                          const struct tlbf_flush_request *req,
                                          enum tlbf_flush_status st,
                                          const struct tlbf_flush_outcome *out)
{
#if TLBF_STATS
	if (!s)
		return;
	if (st != TLBF_FLUSH_DONE && st != TLBF_FLUSH_KICK_FAILED && st != TLBF_FLUSH_SUSPEND) {
		tlbf__stat_add(s, TLBF_STAT_REFUSED, 1);
		return;
	}
	unsigned call = tlbf__stats_call(req->call);
	if (req->kind == TLBF_FLUSH_GPA)
		tlbf__stat_add(s, TLBF_STAT_REQ_GPA, 1);
	else if (call < 4 && req->kind < 3)
		tlbf__stat_add(s, TLBF_STAT_REQ_SPACE_ENTIRE + 3 * call + req->kind, 1);
	if ((unsigned)out->push.result <= TLBF_PUSH_LAPPED)
		tlbf__stat_add(s, TLBF_STAT_PUSH_LISTED + (unsigned)out->push.result, 1);
	if (out->push.result == TLBF_PUSH_PROMOTED && out->push.why != TLBF_PUSH_WHY_NONE &&
	    (unsigned)out->push.why < TLBF_PUSH_WHY__COUNT)
		tlbf__stat_add(s, TLBF_STAT_PROMOTED_TOO_MANY + (unsigned)out->push.why - 1, 1);
	/* Only the decisions that happened (usually one or two reasons).
	 * A plan built where TLBF_STATS was 0 has decisions but no
	 * reasons_seen: then every reason is looked at. */
	uint32_t seen = out->plan.reasons_seen & ((UINT32_C(1) << TLBF_WAKE__COUNT) - 1u);
	if (seen == 0 && out->plan.ndecided != 0)
		seen = (UINT32_C(1) << TLBF_WAKE__COUNT) - 1u; /* adds 0 to some */
	for (; seen; seen &= seen - 1u) {
		unsigned i = tlbf_ctz64(seen);
		tlbf__stat_add(s, TLBF_STAT_WAKE_KICK + i, out->plan.reasons[i]);
	}
	/* One test for the common case: nobody kicked, nothing failed. */
	if ((out->plan.nkick | out->plan.nlate | out->plan.kick_retries) == 0 &&
	    st == TLBF_FLUSH_DONE)
		return;
	if (out->plan.nkick + out->plan.nlate)
		tlbf__stat_add(s, TLBF_STAT_KICKS, (uint64_t)out->plan.nkick + out->plan.nlate);
	if (out->plan.nlate)
		tlbf__stat_add(s, TLBF_STAT_LATE, out->plan.nlate);
	if (out->plan.kick_retries)
		tlbf__stat_add(s, TLBF_STAT_KICK_RETRIES, out->plan.kick_retries);
	if (st == TLBF_FLUSH_KICK_FAILED)
		tlbf__stat_add(s, TLBF_STAT_KICK_FAILURES, 1);
	if (out->suspend)
		tlbf__stat_add(s, TLBF_STAT_SUSPENDED, 1);
#else
	(void)s;
	(void)req;
	(void)st;
	(void)out;
#endif
}

/**
 * tlbf_stats_fold - add every counter of @src into @dst
 * @dst: the snapshot (owned by the caller)
 * @src: counters being written by their owner, or a snapshot
 *
 * Adds the stored counters, internal ones included (a derived counter of
 * @dst is then derived from the sums). Each counter of @src is read once
 * (relaxed): each sum is exact as of some moment during the fold.
 * Concurrency: the owner of @dst; @src may be counting.
 */
static inline void tlbf_stats_fold(struct tlbf_stats *dst, const struct tlbf_stats *src)
{
	for (unsigned i = 0; i < TLBF__STAT_STORED; i++)
		tlbf__stat_add(dst, i, tlbf__stat_stored(src, i));
}

/**
 * tlbf_stats_foreach - every counter with its name, for an exporter
 * @s: the counters (a snapshot from tlbf_stats_fold(), or live ones)
 * @fn: called once per exported counter, in index order, with @ctx, its
 *	name and its value (tlbf_stats_get(): polls.nothing derived)
 * @ctx: passed to @fn
 *
 * Concurrency: any thread.
 */
static inline void tlbf_stats_foreach(const struct tlbf_stats *s,
                                      void (*fn)(void *, const char *, uint64_t),
                                      void *ctx)
{
	for (unsigned i = 0; i < TLBF_STAT__COUNT; i++)
		fn(ctx, tlbf_stat_name((enum tlbf_stat)i), tlbf_stats_get(s, (enum tlbf_stat)i));
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_STATS_H */
