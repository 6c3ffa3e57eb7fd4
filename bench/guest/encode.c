/* SPDX-License-Identifier: MIT */
/*
 * bench/guest/encode.c - flush hypercall input pages (see encode.h).
 */
#include "encode.h"

#include <string.h>

const char *const guest_shape_names[GUEST_SHAPE__COUNT] = {"sparse", "dense", "all-flag",
                                                           "set-all", "mask64"};

uint32_t guest_set_sparse(uint64_t *w, uint64_t valid, const uint64_t *banks)
{
	uint32_t n = 2;
	w[0] = TLBF_HV_GENERIC_SET_SPARSE_4K;
	w[1] = valid;
	for (uint64_t m = valid; m; m &= m - 1)
		w[n++] = banks[tlbf__ctz64(m)];
	return n;
}

uint16_t guest_call_code(bool list, bool ex)
{
	return (uint16_t)(list ? (ex ? TLBF_HVCALL_FLUSH_VA_LIST_EX : TLBF_HVCALL_FLUSH_VA_LIST)
	                       : (ex ? TLBF_HVCALL_FLUSH_VA_SPACE_EX : TLBF_HVCALL_FLUSH_VA_SPACE));
}

uint64_t guest_encode(uint64_t *in, uint16_t code, uint64_t address_space, uint64_t flags,
                      const uint64_t *set, uint32_t set_words, const uint64_t *reps,
                      uint32_t nreps)
{
	bool ex = code == TLBF_HVCALL_FLUSH_VA_LIST_EX || code == TLBF_HVCALL_FLUSH_VA_SPACE_EX;
	in[0] = address_space;
	in[1] = flags;
	memmove(&in[2], set, sizeof(uint64_t) * set_words);
	if (reps)
		memmove(&in[2 + set_words], reps, sizeof(uint64_t) * nreps);
	/* The Ex calls' variable header: the set's bank words. */
	unsigned varhdr = ex && set_words > 2 ? set_words - 2 : 0;
	return tlbf_hv_control_make(code, false, varhdr, nreps, 0);
}

/* ---- random calls ---- */

static uint64_t below(uint64_t (*rnd)(void), uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void truth_add(struct guest_call *k, uint32_t v)
{
	k->truth[v / 64] |= UINT64_C(1) << (v % 64);
}

static void truth_all(struct guest_call *k, uint32_t nvps)
{
	for (uint32_t v = 0; v < nvps; v++)
		truth_add(k, v);
}

/* The legacy calls' mask: VPs 0..63, bits past the partition ignored. */
static uint64_t mask64(struct guest_call *k, uint32_t nvps, uint64_t (*rnd)(void))
{
	uint64_t mask = rnd() & rnd();
	if (k->shape == GUEST_SHAPE_ALL_FLAG)
		return mask; /* ignored */
	uint32_t lim = nvps < 64 ? nvps : 64;
	uint64_t valid = lim == 64 ? UINT64_MAX : (UINT64_C(1) << lim) - 1;
	if (!(mask & valid))
		mask |= UINT64_C(1) << below(rnd, lim);
	k->truth[0] = mask & valid;
	return mask;
}

/* A sparse set of random density; returns the valid-bank mask. */
static uint64_t sparse_banks(struct guest_call *k, uint32_t nvps, uint64_t *banks,
                             uint64_t (*rnd)(void))
{
	const uint32_t nbanks = (nvps + 63) / 64;
	uint64_t valid = 0;
	unsigned density = 1 + (unsigned)below(rnd, 3);
	for (uint32_t b = 0; b < nbanks; b++) {
		uint64_t bits = rnd();
		for (unsigned i = 1; i < density; i++)
			bits &= rnd();
		if (b == nbanks - 1 && nvps % 64)
			bits &= (UINT64_C(1) << (nvps % 64)) - 1;
		if (bits || below(rnd, 8) == 0) {
			valid |= UINT64_C(1) << b;
			banks[b] = bits;
			k->truth[b] = bits;
		}
	}
	bool any = false;
	for (uint32_t b = 0; b < nbanks; b++)
		any |= k->truth[b] != 0;
	if (!any) {
		uint32_t v = (uint32_t)below(rnd, nvps);
		valid |= UINT64_C(1) << (v / 64);
		banks[v / 64] = UINT64_C(1) << (v % 64);
		truth_add(k, v);
	}
	if (nbanks < 64 && below(rnd, 4) == 0) {
		uint32_t b = nbanks + (uint32_t)below(rnd, 64 - nbanks);
		valid |= UINT64_C(1) << b;
		banks[b] = rnd();
	}
	return valid;
}

/* Write the processor set of @k at @w; returns its words. */
static uint32_t random_set(struct guest_call *k, uint64_t *w, uint32_t nvps, uint64_t (*rnd)(void))
{
	if (!k->ex) {
		w[0] = mask64(k, nvps, rnd);
		return 1;
	}
	if (k->shape == GUEST_SHAPE_SET_ALL || k->shape == GUEST_SHAPE_ALL_FLAG) {
		w[0] = k->shape == GUEST_SHAPE_SET_ALL ? TLBF_HV_GENERIC_SET_ALL
		                                       : TLBF_HV_GENERIC_SET_SPARSE_4K;
		w[1] = 0;
		return 2;
	}
	uint64_t banks[64], valid = 0;
	if (k->shape == GUEST_SHAPE_DENSE) {
		for (uint32_t b = 0; b < (nvps + 63) / 64; b++) {
			valid |= UINT64_C(1) << b;
			banks[b] = UINT64_MAX; /* bits past the partition are ignored */
		}
	} else {
		valid = sparse_banks(k, nvps, banks, rnd);
	}
	return guest_set_sparse(w, valid, banks);
}

/* Write the ranges of @k at @w (room for @room words); returns how many. */
static uint32_t random_ranges(struct guest_call *k, uint64_t *w, uint32_t room,
                              uint64_t (*rnd)(void))
{
	uint64_t r = below(rnd, 100);
	uint32_t n = r < 90 ? 1 + (uint32_t)below(rnd, 4) : r < 97 ? 5 + (uint32_t)below(rnd, 8)
	                                                          : 33 + (uint32_t)below(rnd, 8);
	if (n > room)
		n = room;
	bool large = (k->flags & TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT) && below(rnd, 10) == 0;
	for (uint32_t i = 0; i < n; i++) {
		unsigned p = (unsigned)below(rnd, GUEST_NPAGES);
		unsigned add = (unsigned)below(rnd, 4);
		if (p + add >= GUEST_NPAGES)
			add = GUEST_NPAGES - 1 - p;
		w[i] = tlbf_hv_gva_make(GUEST_GVA_BASE_PAGE + p, add);
		for (unsigned j = 0; j <= add; j++)
			k->pages |= UINT64_C(1) << (p + j);
	}
	if (large) {
		/* One 2 MiB large page over the whole region: INVGLA cannot
		 * flush it, so every design must promote the request. */
		w[below(rnd, n)] = ((GUEST_GVA_BASE_PAGE >> 9) << 21) | TLBF_GVA_EXT_LARGE_PAGE;
		k->pages = UINT64_MAX;
	}
	return n;
}

void guest_call_random(struct guest_call *k, uint64_t *in, uint32_t nvps, uint64_t (*rnd)(void))
{
	memset(k, 0, sizeof(*k));
	k->list = below(rnd, 4) != 0;
	uint64_t s = below(rnd, 100);
	k->shape = s < 35 ? GUEST_SHAPE_SPARSE : s < 60 ? GUEST_SHAPE_MASK64
	         : s < 75 ? GUEST_SHAPE_DENSE : s < 90 ? GUEST_SHAPE_ALL_FLAG : GUEST_SHAPE_SET_ALL;
	k->ex = k->shape == GUEST_SHAPE_MASK64      ? false
	      : k->shape == GUEST_SHAPE_ALL_FLAG ? below(rnd, 2) != 0
	                                         : true;
	k->code = guest_call_code(k->list, k->ex);
	/* Target VTL: the caller's, or (from VTL 1) VTL 0 named explicitly. */
	k->target_vtl = GUEST_VTLS > 1 && below(rnd, 4) == 0 ? 1 : 0;
	k->caller_vtl = k->target_vtl;
	if (GUEST_VTLS > 1 && below(rnd, 3) == 0) {
		k->caller_vtl = 1;
		k->flags |= TLBF_HV_FLUSH_USE_TARGET_VTL |
		            (k->target_vtl ? TLBF_HV_FLUSH_TARGET_VTL1 : TLBF_HV_FLUSH_TARGET_VTL0);
	}
	if (k->shape == GUEST_SHAPE_ALL_FLAG)
		k->flags |= TLBF_HV_FLUSH_ALL_PROCESSORS;
	if (below(rnd, 8) == 0)
		k->flags |= TLBF_HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES;
	k->non_global = !k->list && below(rnd, 3) == 0;
	if (k->non_global)
		k->flags |= TLBF_HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY;
	if (k->list && below(rnd, 5) == 0)
		k->flags |= TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT;

	/* The input page: address space, flags, the set, the ranges; the
	 * set and the ranges are written in place. */
	uint64_t address_space = (rnd() & UINT64_C(0xffffff)) << 12; /* a CR3-like value */
	uint32_t set_words = random_set(k, &in[2], nvps, rnd);
	if (k->shape == GUEST_SHAPE_DENSE || k->shape == GUEST_SHAPE_SET_ALL ||
	    k->shape == GUEST_SHAPE_ALL_FLAG)
		truth_all(k, nvps);
	uint32_t nreps = 0;
	uint64_t *reps = NULL;
	if (k->list) {
		reps = &in[2 + set_words];
		nreps = random_ranges(k, reps, (uint32_t)GUEST_INPUT_WORDS - 2 - set_words, rnd);
	} else {
		/* The guest changed some pages and flushes the address space;
		 * a non-global flush covers only non-global pages. */
		for (unsigned p = k->non_global ? GUEST_NGLOBAL : 0; p < GUEST_NPAGES; p++)
			if (below(rnd, 4) == 0)
				k->pages |= UINT64_C(1) << p;
	}
	k->control = guest_encode(in, k->code, address_space, k->flags, &in[2], set_words, reps,
	                          nreps);
}

void guest_truth_set(struct tlbf_vpset *s, uint64_t *words, const uint64_t *truth,
                     uint32_t nvps)
{
	uint64_t valid = 0;
	for (uint32_t b = 0; b < (nvps + 63) / 64; b++)
		if (truth[b])
			valid |= UINT64_C(1) << b;
	uint32_t n = guest_set_sparse(words, valid, truth);
	if (tlbf_vpset_parse(s, words, n, nvps) != TLBF_HV_STATUS_SUCCESS)
		tlbf_vpset_init_all(s, nvps); /* cannot happen: a well-formed set */
}
