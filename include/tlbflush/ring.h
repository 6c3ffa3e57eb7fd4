/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/ring.h - the multi-producer flush ring and the flush generations.
 *
 * One struct tlbf_ring is the shared flush state of one target: a target
 * VTL of the partition (broadcast use: every VP entering that VTL polls it)
 * or one target VP (mailbox use, as KVM does per vCPU). The same code
 * serves both.
 *
 * It holds TLBF_RING_CAPACITY GVA ranges (simple-format HV_GVA_RANGE values)
 * and three generation counters: flush-entire and flush-entire-non-global
 * (guest requests: linear translations) and guest-physical (the VMM changed
 * the target's guest-physical mappings, e.g. VTL protections).
 *
 *   - Producers (initiators) push a batch of n ranges with one reservation,
 *     or bump a generation. They never lock and never wait for a reader or
 *     for another producer: where a slot is still held by a stalled older
 *     producer, the push degrades to flush-entire instead of waiting.
 *   - Readers (a VP about to run guest code) keep a private cursor and poll.
 *     The answer is nothing, a list of ranges, flush non-global, flush
 *     every linear translation, or flush guest-physical translations too
 *     (list and non-global combine). The kinds form a lattice by strength:
 *     list < non-global < all linear < guest-physical. A reader that fell more
 *     than the capacity behind, or raced an overwrite, gets flush-everything.
 *     Readers are wait-free: a claimed but unpublished entry is left for the
 *     next poll while every published entry behind it is still returned.
 *
 * SYNCHRONIZATION TABLE
 *
 *                     | push   | flush_entire | poll        | cursor_init_now
 *   push              | any    | any          | any         | any
 *   flush_entire/ng   | any    | any          | any         | any
 *   poll (one cursor) | any    | any          | exclusive   | exclusive
 *
 * Any number of producers and readers run concurrently; one cursor belongs
 * to one reader thread at a time. tlbf_ring_init*() needs exclusion from
 * everything.
 *
 * COUNTERS (all 64-bit, free-running, compared by difference only)
 *
 *   claim       tickets handed out; ticket k lives in slot k % CAPACITY.
 *   entire      flush-entire generation: bumped by every request (or
 *               degraded push) that needs everything flushed.
 *   non_global  flush-entire-non-global generation.
 *   gpa         guest-physical generation: bumped by the VMM after it
 *               changed the target's guest-physical mappings.
 *   slot.seq    2k+1 while ticket k is being written (busy), 2k+2 once it
 *               is published. For one slot: pub(k-N) < busy(k) < pub(k) <
 *               busy(k+N), compared by difference. Only the producer that
 *               owns ticket k moves a slot to busy(k), with a CAS from an
 *               even (idle) older value; only it then stores pub(k).
 *   Invariant (tlbf_ring_valid): every slot's seq is at most pub(claim-1),
 *   i.e. no slot is ahead of the tickets handed out.
 *
 * LABELS (the table of pairings is in docs/DESIGN.md)
 *
 *   P1 claim tickets (release)        -> pairs with C3
 *   P2 read the slot's seq (relaxed)  -> a guess that P3 checks
 *   P3 own the slot (CAS, relaxed)    -> ordered before P5 by the P4 fence
 *   P4 release fence                  -> pairs with C6
 *   P6 publish seq = pub(k) (release) -> pairs with C4
 *   G1 bump a generation (release)    -> pairs with C1 / C2 / C8
 *   C1 C2 C3 C4 C8 acquire loads, C6 acquire fence, C5 C7 relaxed (see code)
 */
#ifndef TLBFLUSH_RING_H
#define TLBFLUSH_RING_H

#include "config.h"
#include "atomic_pvt.h"
#include "bits.h"
#include "hv.h"

TLBF_EXTERN_C_BEGIN

#define TLBF_RING_MASK ((uint64_t)TLBF_RING_CAPACITY - 1)

/* One slot: a seqlock-style sequence word and the range it guards. */
struct tlbf_ring_slot {
	TLBF_ATOMIC(uint64_t) seq;
	TLBF_ATOMIC(uint64_t) val;
};

/**
 * struct tlbf_ring - shared flush state of one target
 * @claim: tickets handed out (producers' fetch_add)
 * @entire: flush-entire generation
 * @non_global: flush-entire-non-global generation
 * @gpa: guest-physical generation
 * @slot: the ranges
 *
 * The four counters share one cache line: a poll that finds nothing new
 * reads that one line and nothing else. The slots start on the next line.
 * All-zero storage behaves as an empty ring too (every slot reads older
 * than any ticket), though its bytes differ from tlbf_ring_init()'s.
 */
struct tlbf_ring {
	TLBF_ALIGNAS(TLBF_CACHE_LINE) TLBF_ATOMIC(uint64_t) claim;
	TLBF_ATOMIC(uint64_t) entire;
	TLBF_ATOMIC(uint64_t) non_global;
	TLBF_ATOMIC(uint64_t) gpa;
	TLBF_ALIGNAS(TLBF_CACHE_LINE) struct tlbf_ring_slot slot[TLBF_RING_CAPACITY];
};

/**
 * struct tlbf_cursor - a reader's private position in one ring
 * @list: next ticket to read (the first one not yet known to be consumed)
 * @entire: last flush-entire generation acted on
 * @non_global: last non-global generation acted on
 * @gpa: last guest-physical generation acted on
 * @overflows: how many polls answered flush-everything because the reader
 *	fell behind or raced an overwrite (statistics, reader-private)
 *
 * Owned by one reader; never shared, so plain fields.
 */
struct tlbf_cursor {
	uint64_t list;
	uint64_t entire;
	uint64_t non_global;
	uint64_t overflows;
	uint64_t gpa;
};

/**
 * enum tlbf_mark_kind - what a request recorded, for the wake predicate
 * @TLBF_MARK_KIND_NONE: nothing was recorded (an empty push)
 * @TLBF_MARK_KIND_LIST: ranges; the mark's value is the ticket after the last one
 * @TLBF_MARK_KIND_ENTIRE: a flush-entire; value is the generation it made
 * @TLBF_MARK_KIND_NON_GLOBAL: a non-global flush; value is the generation it made
 * @TLBF_MARK_KIND_GPA: a guest-physical flush; value is the generation it made.
 *	VPs publish no cursor for it (struct tlbf_vp keeps to one cache
 *	line), so the wake predicate never skips a VP of the target VTL that
 *	is in the guest as already polled: it is kicked, or waited for.
 */
enum tlbf_mark_kind {
	TLBF_MARK_KIND_NONE = 0,
	TLBF_MARK_KIND_LIST,
	TLBF_MARK_KIND_ENTIRE,
	TLBF_MARK_KIND_NON_GLOBAL,
	TLBF_MARK_KIND_GPA
};

/**
 * struct tlbf_mark - the point a reader must have polled past to be covered
 * @kind: see enum tlbf_mark_kind
 * @value: end ticket or generation
 */
struct tlbf_mark {
	enum tlbf_mark_kind kind;
	uint64_t value;
};

/**
 * enum tlbf_push_result - how a push was recorded
 * @TLBF_PUSH_RESULT_LISTED: every range went into the ring
 * @TLBF_PUSH_RESULT_EMPTY: n was 0; nothing recorded
 * @TLBF_PUSH_RESULT_PROMOTED: the batch was larger than the ring, or a range was not
 *	flushable by list (tlbf_hv_range_classify()): recorded as flush-entire
 * @TLBF_PUSH_RESULT_DEGRADED: a slot was still held by a stalled older producer: the
 *	push gave up on the list and recorded a flush-entire instead
 * @TLBF_PUSH_RESULT_LAPPED: a newer producer already took one of our slots (we were
 *	preempted for a whole lap); every reader that needs our entry sees an
 *	overflow and flushes everything, so nothing more is recorded
 */
enum tlbf_push_result {
	TLBF_PUSH_RESULT_LISTED = 0,
	TLBF_PUSH_RESULT_EMPTY,
	TLBF_PUSH_RESULT_PROMOTED,
	TLBF_PUSH_RESULT_DEGRADED,
	TLBF_PUSH_RESULT_LAPPED
};

/**
 * enum tlbf_push_why - why a push was promoted (TLBF_PUSH_RESULT_PROMOTED)
 * @TLBF_PUSH_WHY_NONE: not promoted
 * @TLBF_PUSH_WHY_TOO_MANY: more ranges than TLBF_RING_CAPACITY
 * @TLBF_PUSH_WHY_LARGE_PAGE: a range is a large page (tlbf_hv_range_classify())
 * @TLBF_PUSH_WHY_PAST_TOP: a range runs past the top of the address space
 * @TLBF_PUSH_WHY_NON_CANONICAL: a range is not canonical
 * @TLBF_PUSH_WHY__COUNT: number of values
 */
enum tlbf_push_why {
	TLBF_PUSH_WHY_NONE = 0,
	TLBF_PUSH_WHY_TOO_MANY,
	TLBF_PUSH_WHY_LARGE_PAGE,
	TLBF_PUSH_WHY_PAST_TOP,
	TLBF_PUSH_WHY_NON_CANONICAL,
	TLBF_PUSH_WHY__COUNT
};

/**
 * struct tlbf_push - outcome of tlbf_ring_push()
 * @result: how it was recorded
 * @why: for TLBF_PUSH_RESULT_PROMOTED, why (else TLBF_PUSH_WHY_NONE)
 * @mark: what the wake predicate compares VP cursors against
 */
struct tlbf_push {
	enum tlbf_push_result result;
	enum tlbf_push_why why;
	struct tlbf_mark mark;
};

/* The promotion reason of a range class that is not TLBF_HV_RANGE_LISTABLE. */
static inline enum tlbf_push_why tlbf__push_why(enum tlbf_hv_range c)
{
	return c == TLBF_HV_RANGE_LARGE_PAGE ? TLBF_PUSH_WHY_LARGE_PAGE
	       : c == TLBF_HV_RANGE_PAST_TOP ? TLBF_PUSH_WHY_PAST_TOP
	                                  : TLBF_PUSH_WHY_NON_CANONICAL;
}

/* Answer bits of a poll. LIST and NON_GLOBAL combine; ENTIRE stands alone,
 * or with GPA: flush guest-physical translations too (always with ENTIRE,
 * so a reader that knows only ENTIRE still flushes every linear one). */
#define TLBF_POLL_NOTHING 0u
#define TLBF_POLL_LIST 1u
#define TLBF_POLL_NON_GLOBAL 2u
#define TLBF_POLL_ENTIRE 4u
#define TLBF_POLL_GPA 16u

/**
 * enum tlbf_scope - how much a flush at a VP's next entry covers, weakest
 *	first (the numeric order is the order of strength: merge by maximum)
 * @TLBF_SCOPE_NONE: nothing
 * @TLBF_SCOPE_NON_GLOBAL: every linear translation of the VTL that is not
 *	global
 * @TLBF_SCOPE_LINEAR: every linear translation of the VTL, global ones
 *	included (a guest's flush-entire, a ring overflow, a list the backend
 *	cannot flush)
 * @TLBF_SCOPE_GPA: every linear and every guest-physical translation of
 *	the VTL (the VMM changed guest-physical mappings)
 * @TLBF_SCOPE__COUNT: number of scopes (not a scope)
 */
enum tlbf_scope {
	TLBF_SCOPE_NONE = 0,
	TLBF_SCOPE_NON_GLOBAL,
	TLBF_SCOPE_LINEAR,
	TLBF_SCOPE_GPA,
	TLBF_SCOPE__COUNT
};

/**
 * struct tlbf_poll - answer of tlbf_ring_poll()
 * @flags: TLBF_POLL_* bits
 * @count: number of ranges written to the output (with TLBF_POLL_LIST)
 */
struct tlbf_poll {
	uint32_t flags;
	uint32_t count;
};

static inline uint64_t tlbf__seq_busy(uint64_t ticket)
{
	return 2 * ticket + 1;
}

static inline uint64_t tlbf__seq_pub(uint64_t ticket)
{
	return 2 * ticket + 2;
}

/**
 * tlbf__ring_init_at - initialise a ring whose counters start at @start
 * @r: caller storage
 * @start: first ticket and first generation value (tests start just below
 *	the 2^64 wrap; production code uses tlbf_ring_init())
 *
 * Concurrency: nobody else may use @r until its publication to them.
 */
static inline void tlbf__ring_init_at(struct tlbf_ring *r, uint64_t start)
{
	tlbf__init(&r->claim, start);
	tlbf__init(&r->entire, start);
	tlbf__init(&r->non_global, start);
	tlbf__init(&r->gpa, start);
	for (uint64_t i = 0; i < TLBF_RING_CAPACITY; i++) {
		/* The slot of ticket start+i looks published one lap earlier:
		 * even and older than busy(start+i). */
		uint64_t prev = start + i - TLBF_RING_CAPACITY;
		tlbf__init(&r->slot[(start + i) & TLBF_RING_MASK].seq, tlbf__seq_pub(prev));
		tlbf__init(&r->slot[(start + i) & TLBF_RING_MASK].val, 0);
	}
}

/**
 * tlbf_ring_init - initialise an empty ring in caller storage
 * @r: caller storage
 *
 * All-zero storage behaves the same (every slot's seq reads as older than
 * any ticket), though it is not byte for byte what this writes (each slot
 * the value of the lap before its first ticket).
 * Concurrency: nobody else may use @r until its publication to them.
 */
static inline void tlbf_ring_init(struct tlbf_ring *r)
{
	tlbf__ring_init_at(r, 0);
}

/**
 * tlbf_ring_cursor_init - start a reader at the ring's present
 * @r: the ring
 * @c: the reader's cursor
 *
 * For a reader that cannot hold stale translations yet (a VP that never
 * ran, or one that just flushed everything): it will see only requests
 * recorded after this call. The acquire loads (C1, C2, C8, C3 as in poll) make
 * every page-table change recorded before the counters we read visible to
 * the reader's later translation fills.
 * Concurrency: exclusive with polls on the same cursor.
 */
static inline void tlbf_ring_cursor_init(const struct tlbf_ring *r, struct tlbf_cursor *c)
{
	/* C1, C2, C8, C3 as in tlbf_ring_poll(): acquire. */
	c->entire = tlbf__load(&r->entire, TLBF_ACQUIRE);
	c->non_global = tlbf__load(&r->non_global, TLBF_ACQUIRE);
	c->gpa = tlbf__load(&r->gpa, TLBF_ACQUIRE);
	c->list = tlbf__load(&r->claim, TLBF_ACQUIRE);
	c->overflows = 0;
}

/*
 * G1: bump a generation. Release: a reader that sees the new value (C1/C2/C8,
 * acquire) also sees the page-table change the initiator made before the
 * request, so the translation it refills after flushing is the new one.
 * Returns the new generation.
 */
static inline uint64_t tlbf__ring_bump(TLBF_ATOMIC(uint64_t) *gen)
{
	TLBF_STEP("G1");
	/* G1: release, pairs with C1, C2, C8 (above). */
	return tlbf__fetch_add(gen, 1, TLBF_RELEASE) + 1;
}

/**
 * tlbf_ring_flush_entire - request a flush of every translation
 * @r: the ring
 *
 * Concurrency: any number of producers and readers.
 * Returns: the mark of the new flush-entire generation.
 */
static inline struct tlbf_mark tlbf_ring_flush_entire(struct tlbf_ring *r)
{
	struct tlbf_mark m;
	m.kind = TLBF_MARK_KIND_ENTIRE;
	m.value = tlbf__ring_bump(&r->entire);
	return m;
}

/**
 * tlbf_ring_flush_non_global - request a flush of non-global translations
 * @r: the ring
 *
 * Concurrency: any number of producers and readers.
 * Returns: the mark of the new non-global generation.
 */
static inline struct tlbf_mark tlbf_ring_flush_non_global(struct tlbf_ring *r)
{
	struct tlbf_mark m;
	m.kind = TLBF_MARK_KIND_NON_GLOBAL;
	m.value = tlbf__ring_bump(&r->non_global);
	return m;
}

/**
 * tlbf_ring_flush_gpa - request a flush of guest-physical translations
 * @r: the ring
 *
 * For the VMM after it changed the target's guest-physical mappings (e.g.
 * VTL protections): readers answer TLBF_POLL_GPA | TLBF_POLL_ENTIRE, which
 * the entry driver carries out as TLBF_SCOPE_GPA. Guest requests never
 * need this.
 * Concurrency: any number of producers and readers.
 * Returns: the mark of the new guest-physical generation.
 */
static inline struct tlbf_mark tlbf_ring_flush_gpa(struct tlbf_ring *r)
{
	struct tlbf_mark m;
	m.kind = TLBF_MARK_KIND_GPA;
	m.value = tlbf__ring_bump(&r->gpa);
	return m;
}

/*
 * Write one owned ticket. Returns LISTED on success, DEGRADED if an older
 * producer still holds the slot, LAPPED if a newer one already took it.
 */
static inline enum tlbf_push_result tlbf__ring_put(struct tlbf_ring *r, uint64_t ticket,
                                                    uint64_t value)
{
	struct tlbf_ring_slot *s = &r->slot[ticket & TLBF_RING_MASK];
	const uint64_t busy = tlbf__seq_busy(ticket);
	unsigned budget = TLBF_RING_PUSH_SPIN;
	/* P2: relaxed; only a guess for the CAS below, which checks it. */
	uint64_t seq = tlbf__load(&s->seq, TLBF_RELAXED);
	for (;;) {
		int64_t age = tlbf__u64_diff(seq, busy);
		if (age > 0)
			return TLBF_PUSH_RESULT_LAPPED;
		if (seq & 1) {
			/* An older producer is inside this slot (age < 0: only we
			 * could have made busy(ticket)). Never wait for it. */
			if (budget == 0)
				return TLBF_PUSH_RESULT_DEGRADED;
			budget--;
			TLBF_CPU_RELAX();
			/* Relaxed: P2 again, a guess the CAS checks. */
			seq = tlbf__load(&s->seq, TLBF_RELAXED);
			continue;
		}
		TLBF_STEP("P3");
		/* P3: own the slot. Relaxed on success: the P4 fence below
		 * orders it before the value store; it publishes nothing itself.
		 * On failure we get the newer seq and decide again. */
		if (tlbf__cas(&s->seq, &seq, busy, TLBF_RELAXED, TLBF_RELAXED))
			break;
	}
	/* P4: pairs with C6 in tlbf_ring_poll(). A reader whose C5 load sees
	 * our value is then guaranteed to see seq >= busy(ticket) at C7, so it
	 * never takes our half-written value for the previous lap's entry. */
	tlbf__fence(TLBF_RELEASE);
	TLBF_STEP("P5");
	/* P5: relaxed; published by P6 and validated by readers (C4/C7). */
	tlbf__store(&s->val, value, TLBF_RELAXED);
	TLBF_STEP("P6");
	/* P6: publish. Release pairs with C4: a reader that sees pub(ticket)
	 * sees the value and the initiator's page-table change. */
	tlbf__store(&s->seq, tlbf__seq_pub(ticket), TLBF_RELEASE);
	return TLBF_PUSH_RESULT_LISTED;
}

/* Read range @i once and classify that value (what is classified is what
 * is published): its GLA entry, or false with @out promoted and why. */
static inline bool tlbf__push_read(const uint64_t *ranges, uint32_t i, bool extended,
                                   struct tlbf_push *out, uint64_t *gla)
{
	uint64_t v = tlbf__guest_load_u64(&ranges[i]);
	enum tlbf_hv_range c = tlbf_hv_range_classify(v, extended);
	if (c != TLBF_HV_RANGE_LISTABLE) {
		out->result = TLBF_PUSH_RESULT_PROMOTED;
		out->why = tlbf__push_why(c);
		return false;
	}
	*gla = v; /* a listable range is its own list entry (hv.h) */
	return true;
}

/**
 * tlbf_ring_push - record a batch of ranges with one reservation
 * @r: the ring
 * @ranges: n HV_GVA_RANGE values; read once each with tlbf__guest_load_u64(),
 *	so they may sit in guest-writable memory (a hypercall input page)
 * @n: number of ranges
 * @extended: the ranges use the extended format (USE_EXTENDED_RANGE_FORMAT)
 *
 * Each range is classified (tlbf_hv_range_classify()) on the one value read;
 * one that cannot be flushed by list promotes the whole request to
 * flush-entire. A batch of up to TLBF_RING_PUSH_STAGE ranges is read and
 * classified before anything is reserved, so a promoted request leaves no
 * ticket behind; a larger one (possible only with TLBF_RING_CAPACITY above
 * that) is classified as it is written. A batch larger than
 * TLBF_RING_CAPACITY is promoted without reserving anything. Never blocks:
 * a slot still held by an older producer degrades the push to
 * flush-entire after at most TLBF_RING_PUSH_SPIN re-reads; only a degraded
 * push leaves claimed tickets unpublished.
 *
 * Concurrency: any number of producers and readers.
 * Returns: how the request was recorded and its mark for the wake step.
 */
static inline struct tlbf_push tlbf_ring_push(struct tlbf_ring *r, const uint64_t *ranges,
                                              uint32_t n, bool extended)
{
	struct tlbf_push out;
	uint64_t stage[TLBF_RING_PUSH_STAGE];
	const bool staged = n <= TLBF_RING_PUSH_STAGE;
	out.result = TLBF_PUSH_RESULT_LISTED;
	out.why = TLBF_PUSH_WHY_NONE;
	if (n == 0) {
		out.result = TLBF_PUSH_RESULT_EMPTY;
		out.mark.kind = TLBF_MARK_KIND_NONE;
		out.mark.value = 0;
		return out;
	}
	if (n > TLBF_RING_CAPACITY) {
		out.result = TLBF_PUSH_RESULT_PROMOTED;
		out.why = TLBF_PUSH_WHY_TOO_MANY;
	}
	for (uint32_t i = 0; staged && i < n; i++)
		if (!tlbf__push_read(ranges, i, extended, &out, &stage[i]))
			break;
	if (out.result == TLBF_PUSH_RESULT_PROMOTED) {
		out.mark = tlbf_ring_flush_entire(r);
		return out;
	}
	TLBF_STEP("P1");
	/* P1: one reservation for the batch. Release pairs with C3: a reader
	 * that reads a claim past our tickets and jumps over them (overflow or
	 * flush-entire) has also seen the page-table change made before this
	 * request, so its flush-everything covers our push. */
	uint64_t first = tlbf__fetch_add(&r->claim, (uint64_t)n, TLBF_RELEASE);
	out.mark.kind = TLBF_MARK_KIND_LIST;
	out.mark.value = first + n;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t gla = staged ? stage[i] : 0;
		if (!staged && !tlbf__push_read(ranges, i, extended, &out, &gla))
			break;
		enum tlbf_push_result res = tlbf__ring_put(r, first + i, gla);
		if (res == TLBF_PUSH_RESULT_DEGRADED) {
			out.result = res;
			break;
		}
		if (res == TLBF_PUSH_RESULT_LAPPED)
			out.result = res; /* covered by readers' overflow; go on */
	}
	if (out.result == TLBF_PUSH_RESULT_PROMOTED || out.result == TLBF_PUSH_RESULT_DEGRADED) {
		/* The tickets we leave unpublished look pending to readers until
		 * they see this bump (or the slot's next lap), which makes them
		 * flush everything and jump past them. */
		out.mark = tlbf_ring_flush_entire(r);
	}
	return out;
}

/* The flush-everything answer: the cursor jumps to what C1-C3 and C8 read. */
static inline struct tlbf_poll tlbf__poll_everything(struct tlbf_cursor *c, uint64_t e,
                                                    uint64_t g, uint64_t x, uint64_t h)
{
	struct tlbf_poll p;
	p.flags = TLBF_POLL_ENTIRE;
	p.count = 0;
	if (x != c->gpa)
		p.flags |= TLBF_POLL_GPA;
	c->entire = e;
	c->non_global = g;
	c->gpa = x;
	c->list = h;
	return p;
}

/**
 * tlbf_ring_poll - collect what a reader must flush before running guest code
 * @r: the ring
 * @c: the reader's private cursor (advanced)
 * @out: caller storage for ranges (the VP's list buffer)
 * @cap: entries available at @out; fewer than TLBF_RING_CAPACITY can force
 *	a flush-everything answer when more ranges are new
 *
 * Wait-free: at most TLBF_RING_CAPACITY slots are read, no read-modify-write
 * and no store to shared memory. When nothing is new this is four loads
 * from one cache line. A ticket claimed but not yet published is left for
 * the next poll (the cursor stops there) while every published range behind
 * it is still returned now; re-returning them later is harmless. With
 * TLBF_POLL_GPA the answer also covers guest-physical translations.
 *
 * Concurrency: any number of producers; one reader per cursor.
 * Returns: the answer; with TLBF_POLL_ENTIRE the output is not used.
 */
static inline struct tlbf_poll tlbf_ring_poll(const struct tlbf_ring *r, struct tlbf_cursor *c,
                                              uint64_t *out, uint32_t cap)
{
	struct tlbf_poll p;
	p.flags = TLBF_POLL_NOTHING;
	p.count = 0;
	TLBF_STEP("C1");
	/* C1, C2: acquire, pair with G1: seeing a new generation means seeing
	 * the page-table change made before it. */
	uint64_t e = tlbf__load(&r->entire, TLBF_ACQUIRE);
	uint64_t g = tlbf__load(&r->non_global, TLBF_ACQUIRE);
	TLBF_STEP("C8");
	/* C8: acquire, pairs with G1 of tlbf_ring_flush_gpa() likewise. Read
	 * before C3: the guest-physical flush it asks for covers every
	 * ticket below h. */
	uint64_t x = tlbf__load(&r->gpa, TLBF_ACQUIRE);
	TLBF_STEP("C3");
	/* C3: acquire, pairs with P1 (see there). Read after C1, so a
	 * flush-everything for generation e covers every ticket below h. */
	uint64_t h = tlbf__load(&r->claim, TLBF_ACQUIRE);

	if (TLBF_LIKELY(e == c->entire && g == c->non_global && x == c->gpa && h == c->list))
		return p;
	if (e != c->entire || x != c->gpa)
		return tlbf__poll_everything(c, e, g, x, h);
	if (g != c->non_global) {
		p.flags |= TLBF_POLL_NON_GLOBAL;
		c->non_global = g;
	}
	uint64_t todo = h - c->list;
	if (todo == 0)
		return p;
	if (todo > TLBF_RING_CAPACITY || todo > cap) {
		c->overflows++;
		return tlbf__poll_everything(c, e, g, x, h);
	}
	uint64_t stop = h; /* first pending ticket, or h */
	for (uint64_t k = c->list; k != h; k++) {
		const struct tlbf_ring_slot *s = &r->slot[k & TLBF_RING_MASK];
		const uint64_t pub = tlbf__seq_pub(k);
		TLBF_STEP("C4");
		/* C4: acquire, pairs with P6: pub(k) means the value is there. */
		uint64_t s1 = tlbf__load(&s->seq, TLBF_ACQUIRE);
		if (s1 == pub) {
			/* C5: relaxed; validated by C7 after the C6 fence. */
			uint64_t v = tlbf__load(&s->val, TLBF_RELAXED);
			TLBF_STEP("C6");
			/* C6: pairs with P4. If C5 read a newer lap's value, C7
			 * sees that writer's busy seq and we do not use it. */
			tlbf__fence(TLBF_ACQUIRE);
			/* C7: relaxed; ordered after C5 by the C6 fence. */
			uint64_t s2 = tlbf__load(&s->seq, TLBF_RELAXED);
			if (s2 == pub) {
				out[p.count++] = v;
				continue;
			}
			s1 = s2;
		}
		if (tlbf__u64_diff(s1, pub) > 0) {
			/* A newer lap took the slot: our entry is gone. */
			c->overflows++;
			return tlbf__poll_everything(c, e, g, x, h);
		}
		/* Pending: claimed, not yet published (or abandoned by a
		 * degraded push, which also bumps entire). Stay here for the
		 * next poll but keep returning what is published behind it. */
		if (stop == h)
			stop = k;
		if (TLBF_BREAK(PENDING_SKIP))
			break;
	}
	c->list = stop;
	if (p.count)
		p.flags |= TLBF_POLL_LIST;
	return p;
}

/**
 * tlbf_ring_pending - whether a poll would find anything new
 * @r: the ring
 * @c: the reader's cursor (not changed)
 *
 * The same loads as the nothing-new path of tlbf_ring_poll().
 * Concurrency: any number of producers; the cursor's reader.
 * Returns: true if a poll may return something.
 */
static inline bool tlbf_ring_pending(const struct tlbf_ring *r, const struct tlbf_cursor *c)
{
	/* Acquire for the same reasons as C1-C3 and C8. */
	return tlbf__load(&r->entire, TLBF_ACQUIRE) != c->entire ||
	       tlbf__load(&r->non_global, TLBF_ACQUIRE) != c->non_global ||
	       tlbf__load(&r->gpa, TLBF_ACQUIRE) != c->gpa ||
	       tlbf__load(&r->claim, TLBF_ACQUIRE) != c->list;
}

/**
 * tlbf_ring_valid - check the ring's invariants
 * @r: the ring
 *
 * Every slot's seq must be at most pub(claim - 1), nothing ahead of the
 * tickets handed out, and must name a ticket that lives in that slot.
 * A diagnostic for a quiescent ring: the caller must have synchronised
 * with every producer that pushed (joined it, or acquired what it released
 * after its push). With producers running it may report a violation that
 * is not one: a slot's ownership CAS is relaxed, so under the C11 model a
 * slot can be seen busy before the claim that covers it.
 *
 * Returns: true if the invariants hold.
 */
static inline bool tlbf_ring_valid(const struct tlbf_ring *r)
{
	for (uint64_t i = 0; i < TLBF_RING_CAPACITY; i++) {
		/* Relaxed: a diagnostic snapshot; claim is read after it. */
		uint64_t seq = tlbf__load(&r->slot[i].seq, TLBF_RELAXED);
		/* C3 as in tlbf_ring_poll(): acquire. */
		uint64_t h = tlbf__load(&r->claim, TLBF_ACQUIRE);
		if (tlbf__u64_diff(seq, tlbf__seq_pub(h - 1)) > 0)
			return false;
		/* The ticket a seq names lives in this slot (0 is also the
		 * never-used value of all-zero static storage). */
		uint64_t ticket = (seq - 1) >> 1; /* busy(k) and pub(k) -> k */
		if (seq != 0 && (ticket & TLBF_RING_MASK) != i)
			return false;
	}
	return true;
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_RING_H */
