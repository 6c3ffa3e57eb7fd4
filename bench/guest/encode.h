/* SPDX-License-Identifier: MIT */
/*
 * bench/guest/encode.h - flush hypercalls as a guest issues them: the
 * input page bytes and the input control value, ready for
 * tlbf_hypercall_decode().
 *
 * guest_encode() lays out any flush call from its parts (processor set,
 * ranges); guest_set_sparse() writes an HV_VP_SET in sparse-4K form.
 * guest_call_random() picks a random call over the guest's region (below)
 * in every shape a VMM must handle:
 *
 *   sparse    HvCall*Ex, sparse-4K set with a random density; empty
 *             banks left out (sometimes one kept), now and then a bank
 *             past the partition (ignored)
 *   dense     HvCall*Ex, every bank of the partition full
 *   all-flag  HV_FLUSH_ALL_PROCESSORS (Ex or not): the set is ignored
 *   set-all   HvCall*Ex with the HV_GENERIC_SET_ALL format
 *   mask64    the legacy calls' 64-bit processor mask
 *
 * List or Space; sometimes non-global, sometimes another target VTL
 * named from VTL 1, sometimes the extended range format with a 2 MiB
 * large page that no design may flush with INVGLA.
 */
#ifndef TLBF_GUEST_ENCODE_H
#define TLBF_GUEST_ENCODE_H

#include <stdbool.h>
#include <stdint.h>

#include "tlbflush/tlbflush.h"

/*
 * The guest's address space, per VTL: GUEST_NPAGES pages from
 * GUEST_GVA_BASE_PAGE, the first GUEST_NGLOBAL of them global mappings.
 * GUEST_NPAGES = 64 so a set of pages is one u64 and the pages fill the
 * mock's direct-mapped TLB without aliasing. Its versions and the
 * stale-translation oracle are the library's test kit (tlbflush/oracle.h).
 */
#define GUEST_NPAGES 64u
#define GUEST_NGLOBAL 8u
#define GUEST_GVA_BASE_PAGE UINT64_C(0x7f0000000) /* 2 MiB aligned, canonical */
#define GUEST_VTLS TLBF_VTL_COUNT

/* The GVA of page @page of the region. */
static inline uint64_t guest_gva(unsigned page)
{
	return (GUEST_GVA_BASE_PAGE + page) << 12;
}

enum guest_shape {
	GUEST_SHAPE_SPARSE,
	GUEST_SHAPE_DENSE,
	GUEST_SHAPE_ALL_FLAG,
	GUEST_SHAPE_SET_ALL,
	GUEST_SHAPE_MASK64,
	GUEST_SHAPE__COUNT
};

/* Names as the simulator's JSON prints them ("sparse", ...). */
extern const char *const guest_shape_names[GUEST_SHAPE__COUNT];

/* Words of an input page. */
#define GUEST_INPUT_WORDS (TLBF_HV_INPUT_PAGE_BYTES / 8)

/**
 * guest_set_sparse - write an HV_VP_SET in sparse-4K form
 * @w: where (2 + popcount(@valid) words)
 * @valid: the valid-bank mask
 * @banks: bank words by bank number (banks[b] for every b of @valid)
 *
 * Returns: the words written.
 */
uint32_t guest_set_sparse(uint64_t *w, uint64_t valid, const uint64_t *banks);

/**
 * guest_encode - lay out a flush call's input page
 * @in: the input page (GUEST_INPUT_WORDS words)
 * @code: HvCallFlushVirtualAddress{Space,List}[Ex]
 * @address_space: the first input word
 * @flags: HV_FLUSH_* flags
 * @set: the processor set: one mask word (legacy calls), or an HV_VP_SET
 *	(Ex calls); may point into @in at the set's own place
 * @set_words: its words
 * @reps: the GVA ranges (List calls), or NULL
 * @nreps: their number
 *
 * Returns: the input control value (rep count @nreps, variable header of
 * the Ex calls' bank words).
 */
uint64_t guest_encode(uint64_t *in, uint16_t code, uint64_t address_space, uint64_t flags,
                      const uint64_t *set, uint32_t set_words, const uint64_t *reps,
                      uint32_t nreps);

/* The call code of a List or Space call, Ex or not. */
uint16_t guest_call_code(bool list, bool ex);

/**
 * struct guest_call - a random flush call and what the guest meant by it
 * @code, @ex, @list, @shape: the call
 * @caller_vtl: the VTL it is issued from
 * @target_vtl: the VTL whose translations it flushes
 * @flags: HV_FLUSH_* flags
 * @non_global: HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY (Space calls)
 * @truth: the VPs meant (bit v: VP v)
 * @pages: the pages of the region covered (bit p: page p)
 * @control: the input control value
 */
struct guest_call {
	uint16_t code;
	bool ex, list, non_global;
	enum guest_shape shape;
	unsigned caller_vtl, target_vtl;
	uint64_t flags;
	uint64_t truth[TLBF_MAX_VPS / 64];
	uint64_t pages;
	uint64_t control;
};

/**
 * guest_call_random - pick a random flush call and write its input page
 * @k: the call
 * @in: the input page (GUEST_INPUT_WORDS words)
 * @nvps: VPs of the partition
 * @rnd: the random source
 */
void guest_call_random(struct guest_call *k, uint64_t *in, uint32_t nvps, uint64_t (*rnd)(void));

/* Words guest_truth_set() needs. */
#define GUEST_TRUTH_WORDS (2u + TLBF_MAX_VPS / 64u)

/**
 * guest_truth_set - the VPs a call meant, as a processor set
 * @s: the set (a view of @words: keep them while it is used)
 * @words: GUEST_TRUTH_WORDS words
 * @truth: bit v: VP v (struct guest_call's @truth)
 * @nvps: VPs of the partition
 *
 * For tlbf_oracle_flushed(): the oracle's requirement follows what the
 * guest meant, not what the decoder made of it.
 */
void guest_truth_set(struct tlbf_vpset *s, uint64_t *words, const uint64_t *truth,
                     uint32_t nvps);

#endif /* TLBF_GUEST_ENCODE_H */
