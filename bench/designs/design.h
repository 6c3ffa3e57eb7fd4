/* SPDX-License-Identifier: MIT */
/*
 * bench/designs/design.h - one interface over the TLB-shootdown designs the
 * simulator and the benchmark harness compare.
 *
 *   tlbflush        this library: lock-free ring per VTL, per-VP state word
 *                   with the wake predicate, one batched kick with wait.
 *   rwlock          OpenVMM's original design: a pthread rwlock around a
 *                   deque of ranges and the counters; every poll copies the
 *                   new ranges into a heap vector and then into the caller's
 *                   buffer; wake kicks every VP of the set but the initiator.
 *   mutex-seqlock   OpenVMM's current design: mutex-serialised writers,
 *                   seqlock readers, u32 generations, a packed active-VTL
 *                   byte per VP; wake kicks every VP of the set whose byte is
 *                   the target VTL.
 *   kvm-fifo        KVM's: a spinlocked 16-entry FIFO per target VP (and
 *                   VTL) with a flush-all entry on overflow; a mode word per
 *                   VP; kick on a successful IN_GUEST -> EXITING cmpxchg and
 *                   wait for every target not outside the guest.
 *
 * Every design kicks through the same struct tlbf_backend (the mock in the
 * simulator) and has its poll answers carried out the same way, by the
 * library's entry driver (tlbflush/entry.h): a list flushed now through
 * the backend's flush_list, everything else merged into the scope the
 * VP's next entry flushes (flush_at_entry), so the comparison is fair.
 *
 * OPERATIONS (each can be timed on its own)
 *
 *   initiator (thread slot self):
 *     design_record()    record a decoded request: push ranges, or bump
 *                        flush-entire / flush-non-global
 *     design_wake()      fence, walk the request's VP set, decide, kick
 *                        with wait; returns once the targets are covered
 *     design_flush()     the whole call (tlbflush: tlbf_flush_handle())
 *   VP vp (its own thread; the slot of vp):
 *     design_vp_start()  first start (before any other VP operation)
 *     design_vp_announce()  about to run guest code of a VTL
 *     design_vp_poll()   collect what to flush into caller storage
 *     design_vp_publish()   the answer has been applied
 *     design_vp_exit()   left guest code
 *     design_prepare_entry()  the whole entry path: announce, poll into the
 *                        VP's list buffer, carry the answer out, publish,
 *                        tell the backend the entry's flush scope
 *                        (tlbflush: tlbf_entry_prepare())
 *     design_entry_done()  the entry happened or was cancelled, and the
 *                        guest stopped: count, clear what the entry
 *                        flushed, exit (tlbflush: tlbf_entry_done())
 *
 * A flush call, as a VMM's hypercall handler runs it, is design_record()
 * then design_wake() with the token record returned, or the design's own
 * whole call (design_flush()).
 * P1 holds once design_wake() has returned: every VP of the set flushes
 * what the request covers before it runs guest code of the target VTL.
 *
 * THREADS AND SLOTS
 *
 * A design has nslots thread slots (at least nvps). VP v's operations use
 * slot v; an initiator passes its slot as self (a VP initiating uses its
 * own index; an initiator that is not a VP uses a slot >= nvps, so no VP is
 * skipped as the initiator). A slot is used by one thread at a time: it
 * holds that thread's statistics and scratch (kick masks), plain memory.
 * design_get_stats() sums the slots; call it when the threads are quiet.
 */
#ifndef TLBF_BENCH_DESIGN_H
#define TLBF_BENCH_DESIGN_H

#include "hooks.h" /* before the library: it may define TLBF_STEP/BREAK */

#include <stdint.h>

#include "tlbflush/entry.h"
#include "tlbflush/flush.h"
#include "tlbflush/hypercall.h"
#include "tlbflush/stats.h"
#include "tlbflush/tdx.h"
#include "tlbflush/wake.h"

TLBF_EXTERN_C_BEGIN

/**
 * enum design_recorded - how a request was recorded
 * @DESIGN_REC_LIST: as a list of ranges
 * @DESIGN_REC_ENTIRE: as flush-entire (a Space call)
 * @DESIGN_REC_NON_GLOBAL: as flush-non-global (a Space call)
 * @DESIGN_REC_PROMOTED: a List call promoted to flush-entire (too many
 *	ranges, a large page, an invalid range)
 * @DESIGN_REC_DEGRADED: a List call that hit contention (a slot still
 *	held by a stalled producer, a full FIFO) and was recorded as
 *	flush-entire
 * @DESIGN_REC_EMPTY: nothing to record (no range, no target)
 * @DESIGN_REC_GPA: the VMM's guest-physical request (TLBF_FLUSH_KIND_GPA)
 */
enum design_recorded {
	DESIGN_REC_LIST = 0,
	DESIGN_REC_ENTIRE,
	DESIGN_REC_NON_GLOBAL,
	DESIGN_REC_PROMOTED,
	DESIGN_REC_DEGRADED,
	DESIGN_REC_EMPTY,
	DESIGN_REC_GPA,
	DESIGN_REC__COUNT
};

/**
 * struct design_token - what design_record() hands to design_wake()
 * @how: enum design_recorded
 * @mark: the library's mark (tlbflush); unused by the other designs
 */
struct design_token {
	enum design_recorded how;
	struct tlbf_mark mark;
};

/**
 * struct design_stats - counters of one design (sums over the slots)
 * @recorded: requests by enum design_recorded
 * @wakes: design_wake() calls
 * @kick_calls: backend kick calls
 * @kicks: cancel signals sent (VPs kicked)
 * @waits: VPs only waited for (another initiator was kicking them)
 * @reasons: wake decisions by enum tlbf_wake: the kicks avoided, by reason
 * @overflows: reader polls answered flush-everything because entries were
 *	lost (ring lapped, FIFO full: the producer's side for kvm-fifo)
 * @errors: backend kick failures, and refused calls
 */
struct design_stats {
	uint64_t recorded[DESIGN_REC__COUNT];
	uint64_t wakes;
	uint64_t kick_calls;
	uint64_t kicks;
	uint64_t waits;
	uint64_t reasons[TLBF_WAKE__COUNT];
	uint64_t overflows;
	uint64_t errors;
	struct tlbf_stats lib; /* the library's request-side counters (tlbflush design only) */
};

/**
 * struct design_config - what a design is created for
 * @nvps: VPs of the partition (1 .. TLBF_MAX_VPS)
 * @nslots: thread slots (>= nvps; 0 means nvps)
 * @backend: how to kick VPs and apply flushes (copied)
 * @tlb_locks: the partition has VSM TLB-lock state (tlbflush only; the
 *	baselines do not implement TLB locks and ignore it)
 */
struct design_config {
	uint32_t nvps;
	uint32_t nslots;
	struct tlbf_backend backend;
	bool tlb_locks;
};

/* Ranges one poll may return: a TDX INVGLA list page (4 KiB). */
#define DESIGN_LIST_CAP TLBF_TDX_LIST_MAX

struct design;

/**
 * struct design_ops - one design's implementation
 * @name: command-line name
 * @summary: one line
 * @create: allocate and initialise (NULL on failure)
 * @destroy: free
 * @record, @wake, @vp_start, @vp_announce, @vp_poll, @vp_publish,
 * @vp_exit: see the wrappers below
 * @prepare_entry: the whole entry path, or NULL for the generic one
 *	(announce, poll, the entry driver's apply, publish, flush_at_entry)
 * @entry_done: the end of an entry, or NULL for the generic one (count,
 *	clear the pending scope if entered, exit)
 * @flush: the whole flush call, or NULL for record then wake
 * @partition: the library's partition (tlbflush), or NULL
 * @get_stats: design-specific counters not kept in the slots (may be NULL)
 */
struct design_ops {
	const char *name;
	const char *summary;
	struct design *(*create)(const struct design_config *cfg);
	void (*destroy)(struct design *d);
	struct design_token (*record)(struct design *d, uint32_t self,
	                              const struct tlbf_flush_request *req);
	int (*wake)(struct design *d, uint32_t self, const struct tlbf_flush_request *req,
	            struct design_token tok);
	void (*vp_start)(struct design *d, uint32_t vp);
	void (*vp_announce)(struct design *d, uint32_t vp, unsigned vtl);
	struct tlbf_poll (*vp_poll)(struct design *d, uint32_t vp, unsigned vtl, uint64_t *out,
	                            uint32_t cap);
	void (*vp_publish)(struct design *d, uint32_t vp, unsigned vtl);
	void (*vp_exit)(struct design *d, uint32_t vp);
	enum tlbf_status (*prepare_entry)(struct design *d, uint32_t vp, unsigned vtl);
	enum tlbf_status (*entry_done)(struct design *d, uint32_t vp, bool entered);
	enum tlbf_status (*flush)(struct design *d, uint32_t self,
	                          const struct tlbf_flush_request *req);
	struct tlbf_partition *(*partition)(struct design *d);
	void (*get_stats)(const struct design *d, struct design_stats *st);
};

/**
 * struct design_slot - one thread's statistics and scratch, on its own lines
 * @st: the thread's counters
 * @kick: kick-mask scratch (mask_words words)
 * @wait: wait-mask scratch (mask_words words)
 */
struct design_slot {
	TLBF_ALIGNAS(64) struct design_stats st;
	uint64_t *kick;
	uint64_t *wait;
};

/**
 * struct design_vp - one VP's entry path state, on its own lines (the VP's
 *	thread only)
 * @e: the entry driver: set up by tlbf_entry_init() for the tlbflush
 *	design; for the baselines only its list, pending scopes and counters
 *	are used (the generic entry path)
 * @stats: the VP's counters given to design_vp_start(), or NULL
 * @list: the list buffer polls write ranges into
 */
struct design_vp {
	TLBF_ALIGNAS(64) struct tlbf_entry e;
	struct tlbf_stats *stats;
	uint64_t list[DESIGN_LIST_CAP];
};

/**
 * struct design - what every design starts with
 * @ops: its implementation
 * @nvps: VPs of the partition
 * @nslots: thread slots
 * @mask_words: 64-bit words of a mask over nvps VPs
 * @be: the backend
 * @slot: nslots slots
 * @vp: nvps VPs' entry path state
 */
struct design {
	const struct design_ops *ops;
	uint32_t nvps;
	uint32_t nslots;
	uint32_t mask_words;
	struct tlbf_backend be;
	struct design_slot *slot;
	struct design_vp *vp;
};

/* The designs (one .c file each). */
extern const struct design_ops design_tlbflush_ops;
extern const struct design_ops design_rwlock_ops;
extern const struct design_ops design_mutex_seqlock_ops;
extern const struct design_ops design_kvm_fifo_ops;

/* The designs, NULL-terminated, in the order the simulator runs them. */
extern const struct design_ops *const design_list[];

/* Find a design by name; NULL if unknown. */
const struct design_ops *design_find(const char *name);

/* Create a design (NULL on failure) / destroy it. */
struct design *design_create(const struct design_ops *ops, const struct design_config *cfg);
void design_destroy(struct design *d);

/* Sum of the slots' counters plus the design's own. */
void design_get_stats(const struct design *d, struct design_stats *st);

/* Short name of a wake decision for tables and JSON ("outside", ...). */
const char *design_reason_name(enum tlbf_wake w);
/* Short name of an enum design_recorded ("list", ...). */
const char *design_recorded_name(enum design_recorded r);

static inline struct design_token design_record(struct design *d, uint32_t self,
                                                const struct tlbf_flush_request *req)
{
	return d->ops->record(d, self, req);
}

static inline int design_wake(struct design *d, uint32_t self,
                              const struct tlbf_flush_request *req, struct design_token tok)
{
	return d->ops->wake(d, self, req, tok);
}

/* The initiator of a call made from slot @self: the VP of that index, or
 * no VP (a slot at or above nvps: the VMM's own thread). */
static inline uint32_t design_initiator(const struct design *d, uint32_t self)
{
	return self < d->nvps ? self : TLBF_NO_VP;
}

/*
 * The initiator's whole flush call: the design's own, or record then wake.
 * Returns: TLBF_STATUS_OK, or as tlbf_flush_handle(): _SUSPEND (the
 * initiator waits for TLB-lock holders: tlbf_tlb_lock_must_wait() on
 * design_partition()), _LOCKS_IGNORED, _KICK_FAILED or a refusal.
 */
enum tlbf_status design_flush(struct design *d, uint32_t self,
                              const struct tlbf_flush_request *req);

/* The library's partition of the tlbflush design (its TLB locks); NULL for
 * the baselines. */
static inline struct tlbf_partition *design_partition(struct design *d)
{
	return d->ops->partition ? d->ops->partition(d) : NULL;
}

/* VP @vp's first start, on its thread; @stats: its counters (the entry
 * path counts into them when TLBF_STATS=1), or NULL. */
void design_vp_start(struct design *d, uint32_t vp, struct tlbf_stats *stats);

static inline void design_vp_announce(struct design *d, uint32_t vp, unsigned vtl)
{
	d->ops->vp_announce(d, vp, vtl);
}

static inline struct tlbf_poll design_vp_poll(struct design *d, uint32_t vp, unsigned vtl,
                                              uint64_t *out, uint32_t cap)
{
	return d->ops->vp_poll(d, vp, vtl, out, cap);
}

static inline void design_vp_publish(struct design *d, uint32_t vp, unsigned vtl)
{
	d->ops->vp_publish(d, vp, vtl);
}

static inline void design_vp_exit(struct design *d, uint32_t vp)
{
	d->ops->vp_exit(d, vp);
}

/* The VP's entry path up to the backend's entry (see OPERATIONS). */
enum tlbf_status design_prepare_entry(struct design *d, uint32_t vp, unsigned vtl);
/* After the backend's entry: @entered, and the guest stopped (see OPERATIONS). */
enum tlbf_status design_entry_done(struct design *d, uint32_t vp, bool entered);

/* How a recorded push and request kind count in enum design_recorded. */
enum design_recorded design_recorded_of(const struct tlbf_flush_request *req,
                                        enum tlbf_push_result result);

/*
 * For the implementations: set up / tear down the common part (slots and
 * their scratch, the VPs' entry path state). design_base_init returns 0 or
 * -1 (no memory).
 */
int design_base_init(struct design *d, const struct design_ops *ops,
                     const struct design_config *cfg);
void design_base_fini(struct design *d);

/* vp_publish of a design that publishes nothing after a poll. */
void design_vp_publish_nothing(struct design *d, uint32_t vp, unsigned vtl);

/* Allocate @size bytes aligned to a cache line, zeroed; NULL on failure. */
void *design_alloc(size_t size);

/*
 * How a baseline records a decoded request: a Space call is flush-entire or
 * non-global; a List call reads each range once into @ranges (at most @cap
 * of them, else promoted) and is promoted if one cannot be flushed by list.
 */
enum design_recorded design_read_request(const struct tlbf_flush_request *req, uint64_t *ranges,
                                         uint32_t cap);

/*
 * The baselines' kick: if @n VPs are set in the heap-allocated @mask, one
 * backend kick with cancel and wait for all of them; count it in slot @s;
 * free @mask. Returns the backend's result (0 when nothing was kicked).
 */
int design_kick_heap_mask(struct design *d, struct design_slot *s, uint64_t *mask, uint32_t n);

/* Count one wake decision in a slot's statistics. */
static inline void design_count_reason(struct design_slot *s, enum tlbf_wake w)
{
	s->st.reasons[w]++;
}

TLBF_EXTERN_C_END

#endif /* TLBF_BENCH_DESIGN_H */
