/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/hypercall.h - validated decoding of the four Hyper-V flush
 * hypercalls, and the list-or-promote policy over their ranges.
 *
 *   HvCallFlushVirtualAddressSpace    0x0002   simple
 *   HvCallFlushVirtualAddressList     0x0003   rep (GVA ranges)
 *   HvCallFlushVirtualAddressSpaceEx  0x0013   simple, HV_VP_SET
 *   HvCallFlushVirtualAddressListEx   0x0014   rep (GVA ranges), HV_VP_SET
 *
 * tlbf_hypercall_decode() turns (input control value, input bytes, the
 * partition's VP count, the caller's VTL) into either a struct
 * tlbf_flush_request or the status the hypercall returns. Nothing is
 * copied: the request holds a lazy view of the VP set (tlbflush/vpset.h)
 * and a pointer to the ranges inside the input.
 *
 * INPUT LAYOUT (all u64)
 *
 *   non-Ex: address_space, flags, processor_mask, ranges[rep_count]
 *   Ex:     address_space, flags, format, valid_bank_mask,
 *           banks[variable header size], ranges[rep_count]
 *
 * The variable header of an Ex call is the bank words; its size (control
 * bits 17-26, in 8-byte units) must be popcount(valid_bank_mask).
 *
 * RULES, checked in this order; the first that fails gives the status
 * (2 INVALID_HYPERCALL_CODE, 3 INVALID_HYPERCALL_INPUT, 4 INVALID_ALIGNMENT,
 * 5 INVALID_PARAMETER). docs/DECODE.md has the same table with the
 * reasoning and the differences between KVM and OpenVMM.
 *
 *   rule (enum tlbf_hypercall_rule)  what fails                         status
 *   UNKNOWN_CALL         call code is none of the four                   2
 *   CONTROL_RESERVED     control bits 27-31, 44-47 or 60-63 set          3
 *   REP_ON_SIMPLE_CALL   rep count or rep start set on a Space call      3
 *   REP_START            rep call with rep start >= rep count
 *                        (so also rep count 0)                           3
 *   VARHDR_NOT_EX        variable header size on a non-Ex call           3
 *   OVER_PAGE            header + variable header + rep count ranges
 *                        larger than one 4 KiB page                      3
 *   MISALIGNED           input pointer not 8-byte aligned                4
 *   INPUT_SHORT          input shorter than header + variable header
 *                        + rep count ranges                              3
 *   FLAGS_RESERVED       a flag bit the TLFS does not define             5
 *   FLAG_NOT_ALLOWED     EXTENDED_RANGE_FORMAT on a Space call, or
 *                        NON_GLOBAL_MAPPINGS_ONLY on a List call         5
 *   TARGET_VTL_FORM      TARGET_VTL0/1 without USE_TARGET_VTL, or
 *                        USE_TARGET_VTL with neither or both of them     5
 *   VTL_UNSUPPORTED      caller or target VTL >= TLBF_VTL_COUNT          5
 *   TARGET_VTL_HIGHER    target VTL above the caller's VTL               5
 *   SET_FORMAT           Ex: HV_VP_SET format neither SPARSE_4K nor ALL  5
 *   VARHDR_MISMATCH      Ex: variable header size !=
 *                        popcount(valid_bank_mask)                       3
 *
 * Decisions (why, and what KVM and OpenVMM do, in docs/DECODE.md):
 *   - the fast bit changes nothing: the VMM hands us the input as bytes,
 *     for a fast call the register values laid out in order (RDX, R8, then
 *     XMM0-XMM5, at most 112 bytes); the length rule catches a claim that
 *     does not fit;
 *   - HV_GENERIC_SET_ALL in an Ex call means every VP;
 *   - a VP set that names VPs at or above the partition's VP count is not
 *     an error: those VPs are ignored;
 *   - an empty set is not an error either (what deployed guests send and
 *     KVM accepts): a non-Ex call with processor_mask 0 and no
 *     ALL_PROCESSORS flushes every VP, an Ex call whose sparse set has no
 *     bank (or names no VP of the partition) is a successful call with no
 *     target, which tlbf_flush_handle() completes without recording;
 *   - a non-zero rep start is honoured: the ranges begin at rep start.
 *
 * GUEST MEMORY
 *
 * Every header word (address space, flags, processor mask or format and
 * valid_bank_mask) is read exactly once with tlbf__guest_load_u64(). Bank
 * words are read later, by the VP-set view, and ranges are read by
 * whoever consumes the request (the flush ring), each
 * through tlbf__guest_load_u64(). Every bound was fixed by the control
 * value and the header words read once, so a guest that rewrites its input
 * during or after decoding can change which VPs or pages are flushed,
 * never make us read outside [input, input + len).
 *
 * CONCURRENCY
 *
 * Decoding is a pure function of its arguments and the guest words it
 * reads; any number of threads may decode at once.
 */
#ifndef TLBFLUSH_HYPERCALL_H
#define TLBFLUSH_HYPERCALL_H

#include "config.h"
#include "bits.h"
#include "hv.h"
#include "vpset.h"

TLBF_EXTERN_C_BEGIN

/**
 * enum tlbf_hypercall_rule - which validation rule decided the outcome
 * @TLBF_HYPERCALL_RULE_OK: every rule passed; the status is SUCCESS.
 * @TLBF_HYPERCALL_RULE_UNKNOWN_CALL: not one of the four flush call codes.
 * @TLBF_HYPERCALL_RULE_CONTROL_RESERVED: reserved control bits set.
 * @TLBF_HYPERCALL_RULE_REP_ON_SIMPLE_CALL: rep count or rep start on a Space call.
 * @TLBF_HYPERCALL_RULE_REP_START: rep start >= rep count on a List call.
 * @TLBF_HYPERCALL_RULE_VARHDR_NOT_EX: variable header on a non-Ex call.
 * @TLBF_HYPERCALL_RULE_OVER_PAGE: the input the control value claims exceeds 4 KiB.
 * @TLBF_HYPERCALL_RULE_MISALIGNED: input not 8-byte aligned.
 * @TLBF_HYPERCALL_RULE_INPUT_SHORT: fewer input bytes than claimed.
 * @TLBF_HYPERCALL_RULE_FLAGS_RESERVED: a reserved flag bit.
 * @TLBF_HYPERCALL_RULE_FLAG_NOT_ALLOWED: a defined flag this call does not take.
 * @TLBF_HYPERCALL_RULE_TARGET_VTL_FORM: malformed target-VTL flags.
 * @TLBF_HYPERCALL_RULE_VTL_UNSUPPORTED: a VTL outside 0 .. TLBF_VTL_COUNT - 1.
 * @TLBF_HYPERCALL_RULE_TARGET_VTL_HIGHER: target VTL above the caller's.
 * @TLBF_HYPERCALL_RULE_SET_FORMAT: unknown HV_VP_SET format.
 * @TLBF_HYPERCALL_RULE_VARHDR_MISMATCH: variable header size differs from
 *	popcount(valid_bank_mask).
 * @TLBF_HYPERCALL_RULE_VP_COUNT: the VMM passed a VP count of 0 or above
 *	TLBF_MAX_VPS: the build cannot serve this partition (never the
 *	guest's fault; tlbf_partition_init() refuses such a partition first).
 * @TLBF_HYPERCALL_RULE__COUNT: number of rules (not a rule).
 */
enum tlbf_hypercall_rule {
	TLBF_HYPERCALL_RULE_OK = 0,
	TLBF_HYPERCALL_RULE_UNKNOWN_CALL,
	TLBF_HYPERCALL_RULE_CONTROL_RESERVED,
	TLBF_HYPERCALL_RULE_REP_ON_SIMPLE_CALL,
	TLBF_HYPERCALL_RULE_REP_START,
	TLBF_HYPERCALL_RULE_VARHDR_NOT_EX,
	TLBF_HYPERCALL_RULE_OVER_PAGE,
	TLBF_HYPERCALL_RULE_MISALIGNED,
	TLBF_HYPERCALL_RULE_INPUT_SHORT,
	TLBF_HYPERCALL_RULE_FLAGS_RESERVED,
	TLBF_HYPERCALL_RULE_FLAG_NOT_ALLOWED,
	TLBF_HYPERCALL_RULE_TARGET_VTL_FORM,
	TLBF_HYPERCALL_RULE_VTL_UNSUPPORTED,
	TLBF_HYPERCALL_RULE_TARGET_VTL_HIGHER,
	TLBF_HYPERCALL_RULE_SET_FORMAT,
	TLBF_HYPERCALL_RULE_VARHDR_MISMATCH,
	TLBF_HYPERCALL_RULE_VP_COUNT,
	TLBF_HYPERCALL_RULE__COUNT
};

/**
 * enum tlbf_flush_kind - what a decoded request asks for
 * @TLBF_FLUSH_KIND_ENTIRE: a Space call: every translation of the address
 *	space(s), global ones included.
 * @TLBF_FLUSH_KIND_NON_GLOBAL: a Space call with NON_GLOBAL_MAPPINGS_ONLY.
 * @TLBF_FLUSH_KIND_LIST: a List call: the ranges (which the ring's push may
 *	still promote to a flush of everything).
 * @TLBF_FLUSH_KIND_GPA: never decoded from a hypercall: a request the VMM makes
 *	itself after changing the target's guest-physical mappings (e.g. VTL
 *	protections); flushes guest-physical translations too (TLBF_SCOPE_GPA).
 */
enum tlbf_flush_kind {
	TLBF_FLUSH_KIND_ENTIRE = 0,
	TLBF_FLUSH_KIND_NON_GLOBAL,
	TLBF_FLUSH_KIND_LIST,
	TLBF_FLUSH_KIND_GPA
};

/**
 * struct tlbf_flush_request - one validated flush hypercall
 * @call: the call code (one of TLBF_HVCALL_FLUSH_*).
 * @kind: enum tlbf_flush_kind.
 * @target_vtl: the VTL whose translations are flushed.
 * @extended: the ranges use the extended HV_GVA_RANGE format.
 * @fast: the control value had the fast bit (informational).
 * @address_space: as read (ignored when flags has ALL_VIRTUAL_ADDRESS_SPACES).
 * @flags: the flush flags as read (only defined, allowed bits).
 * @vps: the target VPs, intersected with the partition's VP count; ALL
 *	when flags has ALL_PROCESSORS or the set's format is ALL.
 * @ranges: List calls: the range at rep start, inside the input (guest
 *	memory: read each with tlbf__guest_load_u64()); NULL for Space calls.
 * @range_count: rep count - rep start for List calls, else 0.
 */
struct tlbf_flush_request {
	uint16_t call;
	uint8_t kind;
	uint8_t target_vtl;
	bool extended;
	bool fast;
	uint64_t address_space;
	uint64_t flags;
	struct tlbf_vpset vps;
	const uint64_t *ranges;
	uint32_t range_count;
};

/**
 * tlbf_hypercall_rule_status - the status a rule makes the hypercall return
 * @rule: a rule
 *
 * Returns: the Hyper-V status of @rule (SUCCESS for TLBF_HYPERCALL_RULE_OK).
 */
static inline enum tlbf_hv_status tlbf_hypercall_rule_status(enum tlbf_hypercall_rule rule)
{
	switch (rule) {
	case TLBF_HYPERCALL_RULE_OK:
	case TLBF_HYPERCALL_RULE__COUNT:
		return TLBF_HV_STATUS_SUCCESS;
	case TLBF_HYPERCALL_RULE_UNKNOWN_CALL:
		return TLBF_HV_STATUS_INVALID_HYPERCALL_CODE;
	case TLBF_HYPERCALL_RULE_CONTROL_RESERVED:
	case TLBF_HYPERCALL_RULE_REP_ON_SIMPLE_CALL:
	case TLBF_HYPERCALL_RULE_REP_START:
	case TLBF_HYPERCALL_RULE_VARHDR_NOT_EX:
	case TLBF_HYPERCALL_RULE_OVER_PAGE:
	case TLBF_HYPERCALL_RULE_INPUT_SHORT:
	case TLBF_HYPERCALL_RULE_VARHDR_MISMATCH:
		return TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT;
	case TLBF_HYPERCALL_RULE_MISALIGNED:
		return TLBF_HV_STATUS_INVALID_ALIGNMENT;
	case TLBF_HYPERCALL_RULE_FLAGS_RESERVED:
	case TLBF_HYPERCALL_RULE_FLAG_NOT_ALLOWED:
	case TLBF_HYPERCALL_RULE_TARGET_VTL_FORM:
	case TLBF_HYPERCALL_RULE_VTL_UNSUPPORTED:
	case TLBF_HYPERCALL_RULE_TARGET_VTL_HIGHER:
	case TLBF_HYPERCALL_RULE_SET_FORMAT:
	case TLBF_HYPERCALL_RULE_VP_COUNT:
		return TLBF_HV_STATUS_INVALID_PARAMETER;
	}
	return TLBF_HV_STATUS_INVALID_PARAMETER;
}

/**
 * tlbf_hypercall_rule_name - short name of a rule, for logs and tools
 * @rule: a rule
 *
 * Returns: a static lower-case string such as "rep_start".
 */
static inline const char *tlbf_hypercall_rule_name(enum tlbf_hypercall_rule rule)
{
	switch (rule) {
	case TLBF_HYPERCALL_RULE_OK: return "ok";
	case TLBF_HYPERCALL_RULE_UNKNOWN_CALL: return "unknown_call";
	case TLBF_HYPERCALL_RULE_CONTROL_RESERVED: return "control_reserved";
	case TLBF_HYPERCALL_RULE_REP_ON_SIMPLE_CALL: return "rep_on_simple_call";
	case TLBF_HYPERCALL_RULE_REP_START: return "rep_start";
	case TLBF_HYPERCALL_RULE_VARHDR_NOT_EX: return "varhdr_not_ex";
	case TLBF_HYPERCALL_RULE_OVER_PAGE: return "over_page";
	case TLBF_HYPERCALL_RULE_MISALIGNED: return "misaligned";
	case TLBF_HYPERCALL_RULE_INPUT_SHORT: return "input_short";
	case TLBF_HYPERCALL_RULE_FLAGS_RESERVED: return "flags_reserved";
	case TLBF_HYPERCALL_RULE_FLAG_NOT_ALLOWED: return "flag_not_allowed";
	case TLBF_HYPERCALL_RULE_TARGET_VTL_FORM: return "target_vtl_form";
	case TLBF_HYPERCALL_RULE_VTL_UNSUPPORTED: return "vtl_unsupported";
	case TLBF_HYPERCALL_RULE_TARGET_VTL_HIGHER: return "target_vtl_higher";
	case TLBF_HYPERCALL_RULE_SET_FORMAT: return "set_format";
	case TLBF_HYPERCALL_RULE_VARHDR_MISMATCH: return "varhdr_mismatch";
	case TLBF_HYPERCALL_RULE_VP_COUNT: return "vp_count";
	case TLBF_HYPERCALL_RULE__COUNT: break;
	}
	return "unknown";
}

/**
 * tlbf_hypercall_is_flush - whether a call code is one of the four
 * @code: call code (control bits 0-15)
 *
 * Returns: true for 0x0002, 0x0003, 0x0013 and 0x0014.
 */
static inline bool tlbf_hypercall_is_flush(uint64_t code)
{
	return code == TLBF_HVCALL_FLUSH_VA_SPACE || code == TLBF_HVCALL_FLUSH_VA_LIST ||
	       code == TLBF_HVCALL_FLUSH_VA_SPACE_EX || code == TLBF_HVCALL_FLUSH_VA_LIST_EX;
}

/* Fixed header size in u64 words: 3 (non-Ex) or 4 (Ex, up to the banks). */
#define TLBF__HC_FIXED_WORDS(ex) ((ex) ? 4u : 3u)

static inline enum tlbf_hypercall_rule tlbf__hc_fail(enum tlbf_hypercall_rule *out,
                                                     enum tlbf_hypercall_rule rule)
{
	if (out)
		*out = rule;
	return rule;
}

/**
 * tlbf_hypercall_decode - validate a flush hypercall and describe it
 * @control: the 64-bit hypercall input control value as the guest passed it
 * @input: the input bytes (guest-writable memory the VMM mapped, or for a
 *	fast call the register values the VMM laid out); may be NULL when
 *	@len is 0
 * @len: bytes readable at @input (for memory-passed input: from the input
 *	GPA to the end of its page)
 * @vp_count: number of VPs in the partition (1 .. TLBF_MAX_VPS; any other
 *	value is refused with rule VP_COUNT, never truncated)
 * @caller_vtl: the VTL the hypercall came from (below TLBF_VTL_COUNT)
 * @req: the request; written only on success
 * @rule: if not NULL, receives the rule that decided (TLBF_HYPERCALL_RULE_OK on
 *	success)
 *
 * Applies the rules of the table at the top of this header, in order. Reads
 * each header word once through tlbf__guest_load_u64(); reads no bank word
 * and no range.
 *
 * Returns: TLBF_HV_STATUS_SUCCESS with *@req filled in, or the status the
 * hypercall must return.
 */
static inline enum tlbf_hv_status tlbf_hypercall_decode(uint64_t control, const void *input,
                                                        size_t len, uint32_t vp_count,
                                                        unsigned caller_vtl,
                                                        struct tlbf_flush_request *req,
                                                        enum tlbf_hypercall_rule *rule)
{
	enum tlbf_hypercall_rule r;
	const uint64_t code = control & TLBF_HV_CONTROL_CODE_MASK;
	if (vp_count == 0 || vp_count > (uint32_t)TLBF_MAX_VPS)
		return tlbf_hypercall_rule_status(tlbf__hc_fail(rule, TLBF_HYPERCALL_RULE_VP_COUNT));
	if (!tlbf_hypercall_is_flush(code))
		return tlbf_hypercall_rule_status(tlbf__hc_fail(rule, TLBF_HYPERCALL_RULE_UNKNOWN_CALL));
	const bool ex = code == TLBF_HVCALL_FLUSH_VA_SPACE_EX ||
	                code == TLBF_HVCALL_FLUSH_VA_LIST_EX;
	const bool list = code == TLBF_HVCALL_FLUSH_VA_LIST ||
	                  code == TLBF_HVCALL_FLUSH_VA_LIST_EX;
	const uint32_t varhdr = (uint32_t)((control & TLBF_HV_CONTROL_VARHDR_MASK) >>
	                                   TLBF_HV_CONTROL_VARHDR_SHIFT);
	const uint32_t rep_count = (uint32_t)((control & TLBF_HV_CONTROL_REP_COUNT_MASK) >>
	                                      TLBF_HV_CONTROL_REP_COUNT_SHIFT);
	const uint32_t rep_start = (uint32_t)((control & TLBF_HV_CONTROL_REP_START_MASK) >>
	                                      TLBF_HV_CONTROL_REP_START_SHIFT);

	if (control & TLBF_HV_CONTROL_RESERVED)
		r = TLBF_HYPERCALL_RULE_CONTROL_RESERVED;
	else if (!list && (rep_count != 0 || rep_start != 0))
		r = TLBF_HYPERCALL_RULE_REP_ON_SIMPLE_CALL;
	else if (list && rep_start >= rep_count)
		r = TLBF_HYPERCALL_RULE_REP_START;
	else if (!ex && varhdr != 0)
		r = TLBF_HYPERCALL_RULE_VARHDR_NOT_EX;
	else
		r = TLBF_HYPERCALL_RULE_OK;
	if (r != TLBF_HYPERCALL_RULE_OK)
		return tlbf_hypercall_rule_status(tlbf__hc_fail(rule, r));

	/* Every size below is at most (4 + 1023 + 4095) * 8: no overflow. */
	const uint32_t hdr_words = TLBF__HC_FIXED_WORDS(ex) + varhdr;
	const size_t need = ((size_t)hdr_words + rep_count) * 8u;
	if (need > TLBF_HV_INPUT_PAGE_BYTES)
		return tlbf_hypercall_rule_status(tlbf__hc_fail(rule, TLBF_HYPERCALL_RULE_OVER_PAGE));
	if (((uintptr_t)input & 7u) != 0)
		return tlbf_hypercall_rule_status(tlbf__hc_fail(rule, TLBF_HYPERCALL_RULE_MISALIGNED));
	if (input == NULL || len < need)
		return tlbf_hypercall_rule_status(tlbf__hc_fail(rule, TLBF_HYPERCALL_RULE_INPUT_SHORT));

	/* From here on every read is below @need <= @len bytes. */
	const uint64_t *in = (const uint64_t *)input;
	const uint64_t address_space = tlbf__guest_load_u64(&in[0]);
	const uint64_t flags = tlbf__guest_load_u64(&in[1]);

	uint64_t not_allowed = list ? TLBF_HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY
	                            : TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT;
	const uint64_t vtl_bits = flags & (TLBF_HV_FLUSH_TARGET_VTL0 | TLBF_HV_FLUSH_TARGET_VTL1);
	unsigned target_vtl = caller_vtl;
	if (flags & TLBF_HV_FLUSH_USE_TARGET_VTL)
		target_vtl = vtl_bits == TLBF_HV_FLUSH_TARGET_VTL1 ? 1u : 0u;

	if (flags & TLBF_HV_FLUSH_RESERVED)
		r = TLBF_HYPERCALL_RULE_FLAGS_RESERVED;
	else if (flags & not_allowed)
		r = TLBF_HYPERCALL_RULE_FLAG_NOT_ALLOWED;
	else if ((flags & TLBF_HV_FLUSH_USE_TARGET_VTL)
	                 ? (vtl_bits != TLBF_HV_FLUSH_TARGET_VTL0 &&
	                    vtl_bits != TLBF_HV_FLUSH_TARGET_VTL1)
	                 : vtl_bits != 0)
		r = TLBF_HYPERCALL_RULE_TARGET_VTL_FORM;
	else if (caller_vtl >= (unsigned)TLBF_VTL_COUNT || target_vtl >= (unsigned)TLBF_VTL_COUNT)
		r = TLBF_HYPERCALL_RULE_VTL_UNSUPPORTED;
	else if (target_vtl > caller_vtl)
		r = TLBF_HYPERCALL_RULE_TARGET_VTL_HIGHER;
	if (r != TLBF_HYPERCALL_RULE_OK)
		return tlbf_hypercall_rule_status(tlbf__hc_fail(rule, r));

	struct tlbf_vpset vps;
	bool all = (flags & TLBF_HV_FLUSH_ALL_PROCESSORS) != 0;
	if (!ex) {
		const uint64_t mask = tlbf__guest_load_u64(&in[2]);
		tlbf_vpset_init_mask(&vps, mask, vp_count);
		/* A zero mask without ALL_PROCESSORS: deployed guests (Windows
		 * Server 2012) send it and expect a flush; like KVM, flush
		 * every VP (flushing more is always safe). */
		if (mask == 0)
			all = true;
	} else {
		/* The set is the 2 header words plus exactly @varhdr banks. */
		enum tlbf_hv_status st = tlbf_vpset_parse(&vps, &in[2], 2u + (size_t)varhdr,
		                                          vp_count);
		if (st == TLBF_HV_STATUS_INVALID_PARAMETER)
			r = TLBF_HYPERCALL_RULE_SET_FORMAT;
		else if (st != TLBF_HV_STATUS_SUCCESS || vps.nbanks != varhdr)
			r = TLBF_HYPERCALL_RULE_VARHDR_MISMATCH;
		if (r != TLBF_HYPERCALL_RULE_OK)
			return tlbf_hypercall_rule_status(tlbf__hc_fail(rule, r));
		/* A sparse set with no banks names no VP: a successful call
		 * that flushes nothing (KVM's answer); see tlbf_flush_handle(). */
	}
	if (all)
		tlbf_vpset_init_all(&vps, vp_count);

	req->call = (uint16_t)code;
	req->kind = (uint8_t)(list ? TLBF_FLUSH_KIND_LIST
	                           : (flags & TLBF_HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY)
	                                     ? TLBF_FLUSH_KIND_NON_GLOBAL
	                                     : TLBF_FLUSH_KIND_ENTIRE);
	req->target_vtl = (uint8_t)target_vtl;
	req->extended = (flags & TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT) != 0;
	req->fast = (control & TLBF_HV_CONTROL_FAST) != 0;
	req->address_space = address_space;
	req->flags = flags;
	req->vps = vps;
	req->ranges = list ? in + hdr_words + rep_start : NULL;
	req->range_count = list ? rep_count - rep_start : 0u;
	tlbf__hc_fail(rule, TLBF_HYPERCALL_RULE_OK);
	return TLBF_HV_STATUS_SUCCESS;
}

/**
 * tlbf_hypercall_result - the hypercall result value a flush call returns
 * @control: the input control value as the guest passed it
 * @status: the call's status: tlbf_hypercall_decode()'s, or
 *	TLBF_HV_STATUS_SUCCESS once the flush completed
 *
 * The result value holds the status in bits 0-15 and, for a rep call, the
 * reps completed in bits 32-43. A call that succeeded completed every rep:
 * its rep count. A refused call completed none past where it started, so
 * it reports its rep start, clamped to its rep count (a control value can
 * claim a rep start beyond its rep count, and the guest must never be told
 * that more reps completed than it asked for); a simple call has no reps
 * and reports 0. The guest resumes a partly completed call from the reps
 * completed.
 * Returns: the value to put in RAX.
 */
static inline uint64_t tlbf_hypercall_result(uint64_t control, enum tlbf_hv_status status)
{
	const uint64_t count = (control & TLBF_HV_CONTROL_REP_COUNT_MASK) >>
	                       TLBF_HV_CONTROL_REP_COUNT_SHIFT;
	const uint64_t start = (control & TLBF_HV_CONTROL_REP_START_MASK) >>
	                       TLBF_HV_CONTROL_REP_START_SHIFT;
	const uint64_t done = status == TLBF_HV_STATUS_SUCCESS ? count : (start < count ? start : count);
	/* Widened first, then masked: g++ narrows a mask of the converted
	 * enum back to the enum's type and warns (-Wconversion). */
	const uint64_t code = (uint64_t)status;
	return (code & 0xffffu) | (done << 32);
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_HYPERCALL_H */
