/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/vpset.h - a lazy, validated view of a hypercall's processor set.
 *
 * The flush hypercalls name their target VPs in one of three ways:
 *   - HV_GENERIC_SET_SPARSE_4K (Ex calls): a 64-bit valid_bank_mask and one
 *     64-bit bank word per set bit, in ascending bank order; bank b covers
 *     VPs 64*b .. 64*b+63;
 *   - HV_GENERIC_SET_ALL (Ex calls): every VP;
 *   - the legacy 64-bit processor mask of the non-Ex calls: VPs 0..63.
 * struct tlbf_vpset is a view over that set as it sits in the hypercall
 * input: building it reads and validates the two header words once and
 * neither copies nor walks the banks.
 *
 * GUEST MEMORY
 *
 * The bank words stay in guest-writable memory and may change under us.
 * Every bank word is read with tlbf__guest_load_u64(), and every bound (how
 * many banks exist, which bank lives at which index) comes from the header
 * value read once at construction. A bank word that changes between two
 * operations can change which VPs are members, never where we read: the
 * highest index ever dereferenced is popcount(valid_bank_mask) - 1, and the
 * constructor checked that the buffer holds that many words. One operation
 * (membership, count, emptiness, one iterator step, the kick-mask writer)
 * loads each bank word it needs exactly once, so within one operation a
 * bank is self-consistent.
 *
 * PARTITION SIZE
 *
 * A view is always intersected with the partition's VP count: VPs at or
 * above it are never members, whatever the guest wrote. This is what
 * Hyper-V does for VP indexes that name no VP (they are ignored, not an
 * error), and it also bounds every bit index we compute (a count is at most
 * TLBF_MAX_VPS <= 4096, so a bank index is at most 63).
 *
 * CONCURRENCY
 *
 * A view is a plain value owned by one thread; the operations do not
 * modify it (except the iterator, which is its own object). Several
 * threads may use copies of one view at once. The guest may write the bank
 * words at any time; see GUEST MEMORY for what that can and cannot do.
 */
#ifndef TLBFLUSH_VPSET_H
#define TLBFLUSH_VPSET_H

#include "config.h"
#include "bits.h"
#include "hv.h"
#include "status.h"

TLBF_EXTERN_C_BEGIN

/**
 * enum tlbf_vpset_kind - where the members of a view come from
 * @TLBF_VPSET_KIND_SPARSE_4K: valid-bank mask plus bank words in guest memory.
 * @TLBF_VPSET_KIND_ALL: every VP of the partition (HV_GENERIC_SET_ALL, or the
 *	flush flag ALL_PROCESSORS).
 * @TLBF_VPSET_KIND_MASK64: the legacy 64-bit processor mask (VPs 0..63), whose
 *	value was read once and is held in the view.
 */
enum tlbf_vpset_kind {
	TLBF_VPSET_KIND_SPARSE_4K = 0,
	TLBF_VPSET_KIND_ALL,
	TLBF_VPSET_KIND_MASK64
};

/**
 * struct tlbf_vpset - view over one processor set
 * @words: @words[k + 1] is the bank word of the valid bank of index k (k
 *	valid banks below it). SPARSE_4K: the valid_bank_mask word of the
 *	HV_VP_SET in guest memory (so the banks follow it; @words[0] itself
 *	is never read again). ALL and MASK64: a constant table of all-ones
 *	words, so that every kind takes the same branch-free path.
 * @valid: banks that exist and hold at least one VP below @vp_count (the
 *	guest's valid_bank_mask with the banks at or above the partition size
 *	cleared; ALL and MASK64 use it the same way).
 * @filter: ANDed with every bank word: all ones, or for MASK64 the
 *	processor mask as read once.
 * @vp_count: VPs at or above this are never members (at most TLBF_MAX_VPS).
 * @nbanks: popcount of the valid_bank_mask as read (the number of bank
 *	words the set occupies in the input); 0 for ALL built by
 *	tlbf_vpset_init_all() and for MASK64.
 * @kind: enum tlbf_vpset_kind.
 *
 * Treat the fields as private; use the functions below. Trimming @valid
 * does not move any bank's index: a bank's index is the number of valid
 * banks below it, and only banks above the cut are cleared.
 */
struct tlbf_vpset {
	const uint64_t *words;
	uint64_t valid;
	uint64_t filter;
	uint32_t vp_count;
	uint8_t nbanks;
	uint8_t kind;
};

/**
 * struct tlbf_vpset_iter - ascending iteration over a view's members
 * @words: as in struct tlbf_vpset.
 * @todo: valid banks not yet loaded.
 * @bits: members of the current bank not yet returned.
 * @filter: as in struct tlbf_vpset.
 * @tail: mask of the VPs below vp_count in the bank @last.
 * @base: first VP of the current bank.
 * @index: position in @words of the next bank word to load (from 1).
 * @last: the bank that holds VP vp_count - 1.
 *
 * Private fields. Each bank word is loaded once, when the iterator first
 * reaches that bank.
 */
struct tlbf_vpset_iter {
	const uint64_t *words;
	uint64_t todo;
	uint64_t bits;
	uint64_t filter;
	uint64_t tail;
	uint32_t base;
	uint32_t index;
	uint32_t last;
};

/**
 * typedef tlbf_vpset_pred_fn - caller predicate of tlbf_vpset_write_mask()
 * @ctx: the caller's context pointer, passed through unchanged
 * @vp: a member of the set, below the view's VP count
 *
 * Returns: true to put @vp in the mask.
 */
typedef bool (*tlbf_vpset_pred_fn)(void *ctx, uint32_t vp);

/*
 * Stand-in bank words of ALL and MASK64: index 1..64 may be read (the
 * popcount of a non-empty 64-bit mask). Internal linkage, read-only.
 */
#define TLBF__ONES4 UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX
#define TLBF__ONES16 TLBF__ONES4, TLBF__ONES4, TLBF__ONES4, TLBF__ONES4
static const uint64_t tlbf__vpset_ones[65] = {
	TLBF__ONES16, TLBF__ONES16, TLBF__ONES16, TLBF__ONES16, UINT64_MAX
};
#undef TLBF__ONES16
#undef TLBF__ONES4

/* Banks that hold at least one VP below @vp_count (vp_count <= 4096). */
static inline uint64_t tlbf__vpset_bank_limit(uint32_t vp_count)
{
	uint32_t n = (vp_count + 63u) >> 6; /* 0 .. 64 */
	return n >= 64u ? UINT64_MAX : (UINT64_C(1) << n) - 1u;
}

static inline uint32_t tlbf__vpset_clamp(uint32_t vp_count)
{
	return vp_count > (uint32_t)TLBF_MAX_VPS ? (uint32_t)TLBF_MAX_VPS : vp_count;
}

/**
 * tlbf_vpset_init_all - view of every VP of the partition
 * @s: the view to initialise (caller storage)
 * @vp_count: the partition's VP count; clamped to TLBF_MAX_VPS
 *
 * Returns: nothing; cannot fail. Reads no guest memory.
 */
static inline void tlbf_vpset_init_all(struct tlbf_vpset *s, uint32_t vp_count)
{
	vp_count = tlbf__vpset_clamp(vp_count);
	s->words = tlbf__vpset_ones;
	s->valid = tlbf__vpset_bank_limit(vp_count);
	s->filter = UINT64_MAX;
	s->vp_count = vp_count;
	s->nbanks = 0;
	s->kind = (uint8_t)TLBF_VPSET_KIND_ALL;
}

/**
 * tlbf_vpset_init_mask - view of a legacy 64-bit processor mask
 * @s: the view to initialise
 * @mask: the processor mask of a non-Ex flush call, already read once
 *	from guest input (bit v: VP v)
 * @vp_count: the partition's VP count; clamped to TLBF_MAX_VPS
 *
 * Returns: nothing; cannot fail. The view holds @mask by value, so later
 * guest writes to the input do not affect it.
 */
static inline void tlbf_vpset_init_mask(struct tlbf_vpset *s, uint64_t mask,
                                        uint32_t vp_count)
{
	vp_count = tlbf__vpset_clamp(vp_count);
	s->words = tlbf__vpset_ones;
	s->valid = tlbf__vpset_bank_limit(vp_count) & UINT64_C(1);
	s->filter = mask;
	s->vp_count = vp_count;
	s->nbanks = 0;
	s->kind = (uint8_t)TLBF_VPSET_KIND_MASK64;
}

/**
 * tlbf_vpset_parse - validate an HV_VP_SET in guest memory and view it
 * @s: the view to initialise; written only on success
 * @set: the HV_VP_SET (format, valid_bank_mask, bank words), 8-byte
 *	aligned, in memory the guest may be writing concurrently
 * @words: number of 64-bit words readable at @set (the bound of every read)
 * @vp_count: the partition's VP count; clamped to TLBF_MAX_VPS
 *
 * Reads format and valid_bank_mask once each, through
 * tlbf__guest_load_u64(), and no bank word. Rules, in order:
 *   @words < 2                                   INVALID_HYPERCALL_INPUT
 *   format not SPARSE_4K (0) or ALL (1)          INVALID_PARAMETER
 *   @words < 2 + popcount(valid_bank_mask)       INVALID_HYPERCALL_INPUT
 * The last rule applies to ALL as well: the set occupies its bank words in
 * the input whatever the format, and a caller that places data after the
 * set relies on that size. An ALL set ignores the mask and the banks.
 * An empty set (mask 0) is valid here, and so it is for the flush decoder:
 * an Ex call with no bank succeeds and flushes no VP (docs/DECODE.md).
 *
 * Returns: TLBF_HV_STATUS_SUCCESS, or the status the hypercall fails with.
 */
static inline enum tlbf_hv_status tlbf_vpset_parse(struct tlbf_vpset *s,
                                                   const uint64_t *set, size_t words,
                                                   uint32_t vp_count)
{
	if (words < 2)
		return TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT;
	uint64_t format = tlbf__guest_load_u64(&set[0]);
	uint64_t mask = tlbf__guest_load_u64(&set[1]);
	if (format != TLBF_HV_GENERIC_SET_SPARSE_4K && format != TLBF_HV_GENERIC_SET_ALL)
		return TLBF_HV_STATUS_INVALID_PARAMETER;
	unsigned nbanks = tlbf__popcount64(mask);
	if (words - 2 < (size_t)nbanks)
		return TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT;
	vp_count = tlbf__vpset_clamp(vp_count);
	if (format == TLBF_HV_GENERIC_SET_ALL) {
		tlbf_vpset_init_all(s, vp_count);
	} else {
		s->words = set + 1;
		s->valid = mask & tlbf__vpset_bank_limit(vp_count);
		s->filter = UINT64_MAX;
		s->vp_count = vp_count;
		s->kind = (uint8_t)TLBF_VPSET_KIND_SPARSE_4K;
	}
	s->nbanks = (uint8_t)nbanks;
	return TLBF_HV_STATUS_SUCCESS;
}

/**
 * tlbf__vpset_may_contain - whether the view can have any member at all
 * @s: the view
 *
 * O(1), reads no guest memory: false when no bank of the set holds a VP
 * below the view's VP count (a sparse set with no banks, or only banks
 * past the partition). A true answer can still yield no member (banks
 * whose words are zero); walk the set to know.
 * Returns: false if the set is certainly empty.
 */
static inline bool tlbf__vpset_may_contain(const struct tlbf_vpset *s)
{
	return s->valid != 0;
}

/**
 * tlbf__vpset_limit - intersect a view with the first @vp_count VPs
 * @s: the view
 * @vp_count: new bound; a bound above the current one changes nothing
 *
 * Members at or above @vp_count are dropped (ignored, as Hyper-V ignores
 * VP indexes that name no VP). Reads no guest memory.
 *
 * Returns: nothing.
 */
static inline void tlbf__vpset_limit(struct tlbf_vpset *s, uint32_t vp_count)
{
	if (vp_count >= s->vp_count)
		return;
	s->vp_count = vp_count;
	s->valid &= tlbf__vpset_bank_limit(vp_count);
}

/**
 * tlbf_vpset_kind - how the set was given
 * @s: the view
 *
 * Returns: the enum tlbf_vpset_kind of @s.
 */
static inline enum tlbf_vpset_kind tlbf__vpset_kind(const struct tlbf_vpset *s)
{
	return (enum tlbf_vpset_kind)s->kind;
}

/**
 * tlbf__vpset_vp_count - the bound the view was intersected with
 * @s: the view
 *
 * Returns: every member is below this value.
 */
static inline uint32_t tlbf__vpset_vp_count(const struct tlbf_vpset *s)
{
	return s->vp_count;
}

/**
 * tlbf_vpset_contains - whether VP @vp is a member
 * @s: the view
 * @vp: VP index (any value; indexes at or above the VP count are never
 *	members)
 *
 * O(1): the valid mask is shifted so that @vp's bank lands in bit 63; that
 * bit says whether the bank is present and the popcount of the shifted
 * word is the bank's position in @words (its index plus one). Then one
 * guest load of that bank word. The position is at most the number of
 * banks the constructor checked, whatever the guest writes.
 *
 * Returns: true when @vp is in the set as its bank word reads now.
 */
static inline bool tlbf_vpset_contains(const struct tlbf_vpset *s, uint32_t vp)
{
	if (vp >= s->vp_count)
		return false;
	/* vp < vp_count <= 4096: bits 6-11 of ~vp are 63 minus the bank. */
	uint64_t up = s->valid << ((~vp >> 6) & 63u);
	if (!(up >> 63))
		return false;
	uint64_t w = tlbf__guest_load_u64(&s->words[tlbf__popcount64(up)]) & s->filter;
	return (w >> (vp & 63u)) & 1u;
}

/**
 * tlbf_vpset_iter_init - start an ascending walk over the members
 * @it: the iterator (caller storage)
 * @s: the view; the iterator copies what it needs, @s may go away
 *
 * Returns: nothing. Reads no guest memory; tlbf_vpset_iter_next() loads
 * each bank word once, when it reaches that bank.
 */
static inline void tlbf_vpset_iter_init(struct tlbf_vpset_iter *it,
                                        const struct tlbf_vpset *s)
{
	it->words = s->words;
	it->todo = s->valid;
	it->bits = 0;
	it->filter = s->filter;
	it->base = 0;
	it->index = 1;
	if (s->vp_count == 0) {
		it->todo = 0;
		it->last = 0;
		it->tail = 0;
		return;
	}
	it->last = (s->vp_count - 1u) >> 6;
	unsigned in_last = ((s->vp_count - 1u) & 63u) + 1u; /* 1 .. 64 */
	it->tail = in_last == 64u ? UINT64_MAX : (UINT64_C(1) << in_last) - 1u;
}

/* Start @it over @s, or over every VP below @vp_count when @s is NULL
 * (the iterator keeps no pointer to the view: a local ALL view will do). */
static inline void tlbf__vpset_iter_init_or_all(struct tlbf_vpset_iter *it,
                                                const struct tlbf_vpset *s, uint32_t vp_count)
{
	struct tlbf_vpset all;
	if (s == NULL) {
		tlbf_vpset_init_all(&all, vp_count);
		s = &all;
	}
	tlbf_vpset_iter_init(it, s);
}

/**
 * tlbf_vpset_iter_next - the next member in ascending order
 * @it: the iterator
 * @vp: where to store the member
 *
 * Valid banks are visited in ascending order, so the index of the next
 * bank word is simply the number of banks already visited.
 *
 * Returns: true and *@vp set, or false once every member was returned.
 */
static inline bool tlbf_vpset_iter_next(struct tlbf_vpset_iter *it, uint32_t *vp)
{
	while (it->bits == 0) {
		if (it->todo == 0)
			return false;
		unsigned bank = tlbf__ctz64(it->todo);
		it->todo &= it->todo - 1u;
		uint64_t w = tlbf__guest_load_u64(&it->words[it->index++]) & it->filter;
		if (bank == it->last)
			w &= it->tail;
		it->base = (uint32_t)bank << 6;
		it->bits = w;
	}
	*vp = it->base + tlbf__ctz64(it->bits);
	it->bits &= it->bits - 1u;
	return true;
}

/* Member bits of valid bank @bank at position @index, one load. */
static inline uint64_t tlbf__vpset_members(const struct tlbf_vpset *s, unsigned bank,
                                           unsigned index)
{
	uint64_t w = tlbf__guest_load_u64(&s->words[index]) & s->filter;
	if (((uint32_t)bank << 6) + 64u > s->vp_count) {
		unsigned n = s->vp_count - ((uint32_t)bank << 6); /* 1 .. 63 */
		w &= (UINT64_C(1) << n) - 1u;
	}
	return w;
}

/**
 * tlbf_vpset_count - number of members
 * @s: the view
 *
 * Loads each valid bank word once (a snapshot per bank, not of the whole
 * set: banks the guest changes meanwhile may be counted old or new).
 *
 * Returns: 0 to vp_count.
 */
static inline uint32_t tlbf_vpset_count(const struct tlbf_vpset *s)
{
	uint32_t n = 0;
	unsigned index = 1;
	for (uint64_t todo = s->valid; todo; todo &= todo - 1u)
		n += tlbf__popcount64(tlbf__vpset_members(s, tlbf__ctz64(todo), index++));
	return n;
}

/**
 * tlbf_vpset_empty - whether the set has no member
 * @s: the view
 *
 * Stops at the first non-empty bank.
 *
 * Returns: true when no VP below the VP count is a member.
 */
static inline bool tlbf_vpset_empty(const struct tlbf_vpset *s)
{
	unsigned index = 1;
	for (uint64_t todo = s->valid; todo; todo &= todo - 1u)
		if (tlbf__vpset_members(s, tlbf__ctz64(todo), index++))
			return false;
	return true;
}

/**
 * tlbf_vpset_mask_words - size of a kick mask for this view
 * @s: the view
 *
 * Returns: the number of 64-bit words tlbf_vpset_write_mask() needs.
 */
static inline size_t tlbf_vpset_mask_words(const struct tlbf_vpset *s)
{
	return (size_t)TLBF_MASK_WORDS(s->vp_count);
}

/**
 * tlbf_vpset_write_mask - write the members that pass @pred as a bitmap
 * @s: the view
 * @pred: called once per member in ascending order with (@ctx, vp); NULL
 *	selects every member
 * @ctx: passed to @pred
 * @mask: caller storage, bit v of word v/64 is VP v (the kick mask)
 * @words: number of words at @mask
 * @selected: if not NULL, receives the number of bits set
 *
 * Clears all @words words, then sets the bit of every selected member.
 * Each bank word is loaded once. No allocation. A short mask is never
 * silently truncated: dropping a member would lose a flush.
 *
 * Returns: TLBF_STATUS_OK; TLBF_STATUS_BAD_STORAGE (nothing written) when
 * @mask is NULL or @words < tlbf_vpset_mask_words(@s).
 */
TLBF_MUST_CHECK static inline enum tlbf_status
tlbf_vpset_write_mask(const struct tlbf_vpset *s, tlbf_vpset_pred_fn pred, void *ctx,
                      uint64_t *mask, size_t words, uint32_t *selected)
{
	if (mask == NULL || words < tlbf_vpset_mask_words(s))
		return TLBF_STATUS_BAD_STORAGE;
	for (size_t i = 0; i < words; i++)
		mask[i] = 0;
	uint32_t n = 0;
	unsigned index = 1;
	for (uint64_t todo = s->valid; todo; todo &= todo - 1u) {
		unsigned bank = tlbf__ctz64(todo);
		uint64_t bits = tlbf__vpset_members(s, bank, index++);
		uint64_t out = bits;
		if (pred) {
			out = 0;
			for (; bits; bits &= bits - 1u) {
				unsigned bit = tlbf__ctz64(bits);
				if (pred(ctx, ((uint32_t)bank << 6) + bit))
					out |= UINT64_C(1) << bit;
			}
		}
		mask[bank] = out;
		n += tlbf__popcount64(out);
	}
	if (selected)
		*selected = n;
	return TLBF_STATUS_OK;
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_VPSET_H */
