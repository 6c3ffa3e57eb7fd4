/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/stats.h - counters a VMM can export: what was requested, how it
 * was recorded, whom it woke, what the VPs flushed.
 *
 * One struct tlbf_stats per writer, in caller storage (all-zero storage
 * is a zeroed set): one per initiator (or per thread that handles
 * hypercalls) for the request side, one per VP for the VP side. A counter
 * is written only by its owner, with a relaxed load and store (no
 * read-modify-write, no line another thread writes), and may be read at
 * any time by an exporter (relaxed: each value is a count; nothing is
 * ordered by it). tlbf_stats_export() sums any number of them and names
 * every counter; tlbf_stats_fold() and tlbf_stats_get() are its parts.
 *
 * Compiled in with TLBF_STATS=1 (config.h). With TLBF_STATS=0 (the
 * default) the library's counting points (the VP side in entry.h, the
 * request side in flush.h) are not compiled at all; the structure and the
 * export stay, so code that exports them builds either way (all zero).
 *
 * Request side: give the initiator's counters to tlbf_flush_handle().
 * VP side: give the VP's counters to tlbf_entry_init() (entry.h): its
 * entry path counts the poll answers, overflows, list flushes, flushes at
 * entry, entries and cancelled entries.
 *
 * An idle entry/exit cycle (the poll answers nothing, nothing pending)
 * writes one counter: entries (or entries_cancelled), in
 * tlbf_entry_done(). polls.nothing is not written on that path: the poll
 * counts, only when it answers something, an internal counter of answered
 * polls (stored after the exported ones, never printed), and
 * polls.nothing is derived when it is read (tlbf_stats_get(),
 * tlbf_stats_export()) as entries + entries_cancelled - answered polls,
 * at least 0. tlbf_stats_fold() adds the stored counters, so a snapshot
 * derives the same sum. The derived value is exact when each
 * tlbf_entry_done() pairs with one tlbf_entry_prepare(), as the entry
 * driver requires, and no such pair is half done: read while a VP is
 * between its poll and its tlbf_entry_done(), that VP's answered poll may
 * be counted before its entry (one less, clamped at 0).
 *
 * SYNCHRONIZATION
 *   counting: the struct's owner only. export, fold, get: any thread.
 */
#ifndef TLBFLUSH_STATS_H
#define TLBFLUSH_STATS_H

#include "config.h"
#include "atomic_pvt.h"
#include "bits.h"

TLBF_EXTERN_C_BEGIN

/*
 * Every counter: its index (TLBF_STAT_<ID>) and its export name. Names are
 * lower case, dot-separated and stable across releases.
 *   requests.<call>.<kind>  requests accepted by tlbf_flush_handle(), by
 *                           call (space, list, space_ex, list_ex) and kind
 *                           (entire, non_global, list); requests.vmm.gpa:
 *                           the VMM's own guest-physical requests (a VMM's
 *                           own entire or non-global request has no call
 *                           and is not counted here)
 *   refused                 calls it refused (nothing recorded)
 *   push.<result>           how requests were recorded (enum tlbf_push_result):
 *                           listed, empty, promoted, degraded, lapped
 *   promoted.<why>          promoted pushes by reason (enum tlbf_push_why):
 *                           too_many, large_page, past_top, non_canonical
 *   wake.<decision>         wake decisions (enum tlbf_wake, by
 *                           tlbf_wake_name(): kick, wait-only, skip-*)
 *   kicks                   cancel signals sent (kicks and late duplicates)
 *   late                    wait-only VPs cancelled after the bounded wait
 *   kick_retries            kicks that failed once and were sent again
 *   kick_failures           requests whose kick failed twice
 *   tlb_lock.suspended      requests whose caller was suspended for VSM
 *                           TLB-lock holders (TLBF_STATUS_SUSPEND)
 *   tlb_lock.ignored        requests of no VP in a partition with TLB
 *                           locks (TLBF_STATUS_LOCKS_IGNORED)
 *   polls.<answer>          VP entry polls answering nothing, a list,
 *                           non-global, everything (a list with non-global
 *                           counts in both), and guest-physical (with
 *                           everything); polls.nothing is derived (above)
 *   overflows               polls that flushed everything because the VP
 *                           fell a ring behind
 *   flush_list.<form>       list flushes issued on the VP (single: one
 *                           range, multi: several), skipped because a
 *                           flush of every linear translation was pending
 *                           anyway, or unsupported (the backend cannot
 *                           flush a list: flushed at entry instead)
 *   entry_flushes.<scope>   entries that carried out a pending flush, by
 *                           scope (non_global, linear, gpa)
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
	X(KICKS, "kicks") \
	X(LATE, "late") \
	X(KICK_RETRIES, "kick_retries") \
	X(KICK_FAILURES, "kick_failures") \
	X(SUSPENDED, "tlb_lock.suspended") \
	X(LOCKS_IGNORED, "tlb_lock.ignored") \
	X(POLL_NOTHING, "polls.nothing") \
	X(POLL_LIST, "polls.list") \
	X(POLL_NON_GLOBAL, "polls.non_global") \
	X(POLL_EVERYTHING, "polls.everything") \
	X(POLL_GPA, "polls.gpa") \
	X(OVERFLOWS, "overflows") \
	X(FLUSH_LIST_SINGLE, "flush_list.single") \
	X(FLUSH_LIST_MULTI, "flush_list.multi") \
	X(FLUSH_LIST_SKIPPED, "flush_list.skipped") \
	X(FLUSH_LIST_UNSUPPORTED, "flush_list.unsupported") \
	X(ENTRY_FLUSH_NON_GLOBAL, "entry_flushes.non_global") \
	X(ENTRY_FLUSH_LINEAR, "entry_flushes.linear") \
	X(ENTRY_FLUSH_GPA, "entry_flushes.gpa") \
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
 * tlbf_stats_name - the export name of a counter
 * @i: the counter
 *
 * Returns: a static string such as "wake.skip-outside", or "?" out of range.
 */
static inline const char *tlbf_stats_name(enum tlbf_stat i)
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
 * tlbf_stats_export - sum counters and name each, for an exporter
 * @srcs: @n pointers to counters (each VP's and each initiator's; NULL
 *	entries are skipped), being written by their owners or not
 * @n: number of pointers at @srcs
 * @fn: called once per exported counter, in index order, with @ctx, its
 *	name (such as "wake.skip-outside") and the sum of its values
 *	(polls.nothing derived from the sums)
 * @ctx: passed to @fn
 *
 * Sums into a snapshot on the stack (about 500 bytes) with
 * tlbf_stats_fold(), then reports it: each sum is exact as of some moment
 * during the call.
 * Concurrency: any thread, while the owners count.
 */
static inline void tlbf_stats_export(const struct tlbf_stats *const *srcs, uint32_t n,
                                     void (*fn)(void *, const char *, uint64_t), void *ctx)
{
	struct tlbf_stats sum;
	tlbf_stats_init(&sum);
	for (uint32_t i = 0; srcs != NULL && i < n; i++)
		if (srcs[i] != NULL)
			tlbf_stats_fold(&sum, srcs[i]);
	for (unsigned i = 0; fn != NULL && i < TLBF_STAT__COUNT; i++)
		fn(ctx, tlbf_stats_name((enum tlbf_stat)i), tlbf_stats_get(&sum, (enum tlbf_stat)i));
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_STATS_H */
