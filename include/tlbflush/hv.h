/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/hv.h - Hyper-V facts the library needs: hypercall codes, status
 * codes, flush flags, processor-set formats and the HV_GVA_RANGE encoding,
 * with the classification of one range for flushing by list.
 *
 * Encodings are those of the Hyper-V Top Level Functional Specification.
 * TLBF_GVA_BITS (config.h) sets the canonical width ranges are checked at.
 */
#ifndef TLBFLUSH_HV_H
#define TLBFLUSH_HV_H

#include "config.h"
#include "bits.h"

TLBF_EXTERN_C_BEGIN

/* Hypercall call codes (input control value bits 0-15). */
#define TLBF_HVCALL_FLUSH_VA_SPACE 0x0002u
#define TLBF_HVCALL_FLUSH_VA_LIST 0x0003u
#define TLBF_HVCALL_FLUSH_VA_SPACE_EX 0x0013u
#define TLBF_HVCALL_FLUSH_VA_LIST_EX 0x0014u

/* Hypercall status codes (the result value's low 16 bits). */
enum tlbf_hv_status {
	TLBF_HV_STATUS_SUCCESS = 0x0000,
	TLBF_HV_STATUS_INVALID_HYPERCALL_CODE = 0x0002,
	TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT = 0x0003,
	TLBF_HV_STATUS_INVALID_ALIGNMENT = 0x0004,
	TLBF_HV_STATUS_INVALID_PARAMETER = 0x0005
};

/**
 * tlbf_hv_status_name - the TLFS name of a status code
 * @status: a status value
 *
 * Returns: a static string such as "HV_STATUS_INVALID_PARAMETER", or
 * "HV_STATUS_UNKNOWN" for a value this library never produces.
 */
static inline const char *tlbf_hv_status_name(enum tlbf_hv_status status)
{
	switch (status) {
	case TLBF_HV_STATUS_SUCCESS:
		return "HV_STATUS_SUCCESS";
	case TLBF_HV_STATUS_INVALID_HYPERCALL_CODE:
		return "HV_STATUS_INVALID_HYPERCALL_CODE";
	case TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT:
		return "HV_STATUS_INVALID_HYPERCALL_INPUT";
	case TLBF_HV_STATUS_INVALID_ALIGNMENT:
		return "HV_STATUS_INVALID_ALIGNMENT";
	case TLBF_HV_STATUS_INVALID_PARAMETER:
		return "HV_STATUS_INVALID_PARAMETER";
	}
	return "HV_STATUS_UNKNOWN";
}

/* Input control value fields. */
#define TLBF_HV_CONTROL_CODE_MASK UINT64_C(0xffff)
#define TLBF_HV_CONTROL_FAST (UINT64_C(1) << 16)
#define TLBF_HV_CONTROL_VARHDR_SHIFT 17
#define TLBF_HV_CONTROL_VARHDR_MASK (UINT64_C(0x3ff) << 17)
#define TLBF_HV_CONTROL_REP_COUNT_SHIFT 32
#define TLBF_HV_CONTROL_REP_COUNT_MASK (UINT64_C(0xfff) << 32)
#define TLBF_HV_CONTROL_REP_START_SHIFT 48
#define TLBF_HV_CONTROL_REP_START_MASK (UINT64_C(0xfff) << 48)
/* Bits 27-31 and 44-47 and 60-63: reserved, must be zero. */
#define TLBF_HV_CONTROL_RESERVED                                     \
	(~(TLBF_HV_CONTROL_CODE_MASK | TLBF_HV_CONTROL_FAST |        \
	   TLBF_HV_CONTROL_VARHDR_MASK | TLBF_HV_CONTROL_REP_COUNT_MASK | \
	   TLBF_HV_CONTROL_REP_START_MASK))

/* Flush flags (the u64 after the address space in every flush call). */
#define TLBF_HV_FLUSH_ALL_PROCESSORS (UINT64_C(1) << 0)
#define TLBF_HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES (UINT64_C(1) << 1)
#define TLBF_HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY (UINT64_C(1) << 2)
#define TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT (UINT64_C(1) << 3)
#define TLBF_HV_FLUSH_USE_TARGET_VTL (UINT64_C(1) << 4)
#define TLBF_HV_FLUSH_TARGET_VTL0 (UINT64_C(1) << 8)
#define TLBF_HV_FLUSH_TARGET_VTL1 (UINT64_C(1) << 9)

/* Every flag bit the TLFS defines; the others are reserved. */
#define TLBF_HV_FLUSH_DEFINED                                                   \
	(TLBF_HV_FLUSH_ALL_PROCESSORS | TLBF_HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES | \
	 TLBF_HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY |                               \
	 TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT | TLBF_HV_FLUSH_USE_TARGET_VTL | \
	 TLBF_HV_FLUSH_TARGET_VTL0 | TLBF_HV_FLUSH_TARGET_VTL1)
#define TLBF_HV_FLUSH_RESERVED (~TLBF_HV_FLUSH_DEFINED)

/* A memory-passed hypercall input lies within one 4 KiB page. */
#define TLBF_HV_INPUT_PAGE_BYTES 4096u

/**
 * tlbf_hv_control_make - build a hypercall input control value
 * @code: call code (bits 0-15)
 * @fast: the fast (register-passed) bit
 * @varhdr_qwords: variable header size in 8-byte units (10 bits)
 * @rep_count: rep count (12 bits)
 * @rep_start: rep start index (12 bits)
 *
 * Fields wider than their bit field are truncated to it. For tests, tools
 * and guests; the decoder takes the value as the guest wrote it.
 *
 * Returns: the control value.
 */
static inline uint64_t tlbf_hv_control_make(uint16_t code, bool fast, unsigned varhdr_qwords,
                                            unsigned rep_count, unsigned rep_start)
{
	return (uint64_t)code | (fast ? TLBF_HV_CONTROL_FAST : 0) |
	       (((uint64_t)varhdr_qwords << TLBF_HV_CONTROL_VARHDR_SHIFT) &
	        TLBF_HV_CONTROL_VARHDR_MASK) |
	       (((uint64_t)rep_count << TLBF_HV_CONTROL_REP_COUNT_SHIFT) &
	        TLBF_HV_CONTROL_REP_COUNT_MASK) |
	       (((uint64_t)rep_start << TLBF_HV_CONTROL_REP_START_SHIFT) &
	        TLBF_HV_CONTROL_REP_START_MASK);
}

/* HV_VP_SET formats. */
#define TLBF_HV_GENERIC_SET_SPARSE_4K UINT64_C(0)
#define TLBF_HV_GENERIC_SET_ALL UINT64_C(1)

/* HV_GVA_RANGE, simple format: additional pages 0-11, page number 12-63. */
#define TLBF_GVA_SIMPLE_ADDITIONAL_MASK UINT64_C(0xfff)
/* Extended format: additional pages 0-10, large page 11, page size 12. */
#define TLBF_GVA_EXT_ADDITIONAL_MASK UINT64_C(0x7ff)
#define TLBF_GVA_EXT_LARGE_PAGE (UINT64_C(1) << 11)
#define TLBF_GVA_EXT_PAGE_SIZE_1G (UINT64_C(1) << 12)
#define TLBF_GVA_PAGE_SHIFT 12
/* Highest 4 KiB page number of the 64-bit address space. */
#define TLBF_GVA_MAX_PAGE (UINT64_MAX >> TLBF_GVA_PAGE_SHIFT)

/**
 * enum tlbf_hv_range - what one HV_GVA_RANGE can be flushed with
 * @TLBF_HV_RANGE_LISTABLE: flushable by list: a range of 4 KiB pages, whose
 *	list entry is the range itself (a small-page extended range has bit
 *	11 clear, so its 11-bit count reads the same as a simple one).
 * @TLBF_HV_RANGE_LARGE_PAGE: an extended range with large_page set. The
 *	ring's list holds 4 KiB-page ranges only, so the request is promoted
 *	to flush-entire.
 * @TLBF_HV_RANGE_PAST_TOP: page number plus additional pages runs past the top
 *	of the 64-bit address space: promoted to flush-entire.
 * @TLBF_HV_RANGE_NON_CANONICAL: some page of the range is not canonical at
 *	TLBF_GVA_BITS: promoted to flush-entire (a guest cannot have a
 *	translation for it, but we do not guess what it meant).
 */
enum tlbf_hv_range {
	TLBF_HV_RANGE_LISTABLE = 0,
	TLBF_HV_RANGE_LARGE_PAGE,
	TLBF_HV_RANGE_PAST_TOP,
	TLBF_HV_RANGE_NON_CANONICAL
};

/**
 * tlbf__gva_page - first 4 KiB page number of a small-page range
 * @range: HV_GVA_RANGE in either format (large_page clear)
 *
 * Returns: bits 12-63.
 */
static inline uint64_t tlbf__gva_page(uint64_t range)
{
	return range >> TLBF_GVA_PAGE_SHIFT;
}

/**
 * tlbf__gva_additional - pages beyond the first of a small-page range
 * @range: HV_GVA_RANGE
 * @extended: whether @range uses the extended format (11-bit count)
 *
 * Returns: the additional page count.
 */
static inline uint64_t tlbf__gva_additional(uint64_t range, bool extended)
{
	return range & (extended ? TLBF_GVA_EXT_ADDITIONAL_MASK
	                         : TLBF_GVA_SIMPLE_ADDITIONAL_MASK);
}

/**
 * tlbf_hv_gva_make - build a simple-format HV_GVA_RANGE (a list entry)
 * @page: first 4 KiB page number (at most TLBF_GVA_MAX_PAGE)
 * @additional: pages beyond the first (at most 4095)
 *
 * Returns: the encoded range.
 */
static inline uint64_t tlbf_hv_gva_make(uint64_t page, uint64_t additional)
{
	return (page << TLBF_GVA_PAGE_SHIFT) |
	       (additional & TLBF_GVA_SIMPLE_ADDITIONAL_MASK);
}

/* Is 4 KiB page number @page canonical at TLBF_GVA_BITS? */
static inline bool tlbf__gva_page_canonical(uint64_t page)
{
	/* Pages below 2^(bits-13) are the lower half; the upper half is the
	 * same count of pages below the top. */
	const uint64_t half = UINT64_C(1) << (TLBF_GVA_BITS - 1 - TLBF_GVA_PAGE_SHIFT);
	return page < half || page > TLBF_GVA_MAX_PAGE - half;
}

/**
 * tlbf_hv_range_classify - decide whether one range can be flushed by list
 * @range: the HV_GVA_RANGE as read (once) from guest input
 * @extended: the request has USE_EXTENDED_RANGE_FORMAT
 *
 * Rules, in order: an extended range with large_page set is LARGE_PAGE; a
 * range whose last page (page + additional) is beyond TLBF_GVA_MAX_PAGE is
 * PAST_TOP; a range whose first or last page is not canonical (so some
 * page of it is not, since the canonical halves are contiguous) is
 * NON_CANONICAL; everything else is LISTABLE. Any class but LISTABLE promotes the
 * whole request to flush-entire.
 *
 * Returns: the class; never fails.
 */
static inline enum tlbf_hv_range tlbf_hv_range_classify(uint64_t range, bool extended)
{
	if (extended && (range & TLBF_GVA_EXT_LARGE_PAGE))
		return TLBF_HV_RANGE_LARGE_PAGE;
	uint64_t first = tlbf__gva_page(range);
	uint64_t add = tlbf__gva_additional(range, extended);
	if (add > TLBF_GVA_MAX_PAGE - first)
		return TLBF_HV_RANGE_PAST_TOP;
	uint64_t last = first + add;
	if (!tlbf__gva_page_canonical(first) || !tlbf__gva_page_canonical(last))
		return TLBF_HV_RANGE_NON_CANONICAL;
	/* Both ends canonical but in different halves: the hole is inside. */
	const uint64_t half = UINT64_C(1) << (TLBF_GVA_BITS - 1 - TLBF_GVA_PAGE_SHIFT);
	if ((first < half) != (last < half))
		return TLBF_HV_RANGE_NON_CANONICAL;
	return TLBF_HV_RANGE_LISTABLE;
}

/* Hyper-V CPUID leaf 0x40000004 (implementation recommendations), EAX. */
#define TLBF_CPUID_HV_RECOMMENDATIONS 0x40000004u
#define TLBF_HV_REC_LOCAL_FLUSH_ENTIRE (1u << 1)
#define TLBF_HV_REC_REMOTE_FLUSH (1u << 2)
#define TLBF_HV_REC_EX_PROCESSOR_MASKS (1u << 11)
#define TLBF_HV_REC_FLUSH_BITS \
	(TLBF_HV_REC_LOCAL_FLUSH_ENTIRE | TLBF_HV_REC_REMOTE_FLUSH | TLBF_HV_REC_EX_PROCESSOR_MASKS)

/**
 * tlbf_hv_cpuid_flush_recommendations - adjust leaf 0x40000004 EAX for flushes
 * @eax: the value otherwise reported
 * @vsm_active: whether guest VSM (VTL 1) is active
 *
 * The flush hypercalls (local flush-entire, remote flush, and the Ex
 * sparse-set forms) are recommended while guest VSM is active, where the
 * paravisor must see every flush to keep VTL 1's view coherent, and the
 * bits are cleared again when VSM is revoked so the guest falls back to
 * its own IPIs.
 * Returns: @eax with the three flush bits set or cleared.
 */
static inline uint32_t tlbf_hv_cpuid_flush_recommendations(uint32_t eax, bool vsm_active)
{
	return vsm_active ? (eax | TLBF_HV_REC_FLUSH_BITS) : (eax & ~(uint32_t)TLBF_HV_REC_FLUSH_BITS);
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_HV_H */
