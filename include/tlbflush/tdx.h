/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/tdx.h - the Intel TDX encodings a flush needs: TDG.VP.INVGLA
 * operands and TDG.VP.ENTER flags.
 *
 * Pure functions of their arguments; they compile anywhere (the tests
 * check them on every build). tlbflush/tdx_hw.h uses them to implement
 * the backend operations (backend.h) on a TD.
 *
 *   flush_list (one range)     TDG.VP.INVGLA, RCX = vm_index, RDX = the
 *                              range as a GLA entry (the simple-format
 *                              HV_GVA_RANGE value, unchanged)
 *   flush_list (2-512 ranges)  TDG.VP.INVGLA, RCX = vm_index | list bit,
 *                              RDX = list info: the VP's list page GPA,
 *                              first entry 0, the count. The list page is
 *                              the entry driver's list buffer: 4 KiB,
 *                              page-aligned, in TD-private memory
 *   flush_at_entry (scope)     TDG.VP.ENTER flags: vm_index and
 *                              invd_translations, the weakest sufficient:
 *                              NONE 0, NON_GLOBAL -> INVVPID_NON_GLOBAL (3),
 *                              LINEAR -> INVVPID (2), GPA -> INVEPT (1).
 *                              The values are not in the order of strength
 *                              (trap T7): the library merges scopes, which
 *                              are, and maps a scope to its value last.
 *
 * ABI: INVGLA RCX bit 0 list, bits 52-53 vm_index; RDX a GLA entry, or
 * list info (bits 0-8 first_entry, 12-51 list page GPA frame, 52-61
 * num_entries). VP-enter flags bits 0-1 invd_translations, bits 52-53
 * vm_index. vm_index is VTL + 1.
 */
#ifndef TLBFLUSH_TDX_H
#define TLBFLUSH_TDX_H

#include "config.h"
#include "ring.h"

TLBF_EXTERN_C_BEGIN

/* TDCALL leaves used here. */
#define TLBF_TDX_TDG_VP_ENTER 25u
#define TLBF_TDX_TDG_VP_INVGLA 27u

/* INVGLA list page: 4 KiB of 8-byte GLA entries. */
#define TLBF_TDX_LIST_MAX 512u

/* invd_translations values of the VP-enter flags. */
#define TLBF_TDX_INVD_NONE 0u
#define TLBF_TDX_INVD_INVEPT 1u
#define TLBF_TDX_INVD_INVVPID 2u
#define TLBF_TDX_INVD_INVVPID_NON_GLOBAL 3u

#define TLBF_TDX_VM_INDEX_SHIFT 52
#define TLBF_TDX_INVGLA_LIST UINT64_C(1)

/* vm_index field of a VTL, in place (bits 52-53: VTL + 1). */
static inline uint64_t tlbf__tdx_vm_index(unsigned vtl)
{
	return ((uint64_t)(vtl & 1u) + 1) << TLBF_TDX_VM_INDEX_SHIFT;
}

/**
 * tlbf_tdx_invd - the invd_translations value of a flush scope
 * @scope: the scope (enum tlbf_scope)
 *
 * Returns: TLBF_TDX_INVD_NONE, _INVVPID_NON_GLOBAL, _INVVPID or _INVEPT;
 * _INVEPT (the strongest) for a value out of range.
 */
static inline unsigned tlbf_tdx_invd(enum tlbf_scope scope)
{
	switch (scope) {
	case TLBF_SCOPE_NONE: return TLBF_TDX_INVD_NONE;
	case TLBF_SCOPE_NON_GLOBAL: return TLBF_TDX_INVD_INVVPID_NON_GLOBAL;
	case TLBF_SCOPE_LINEAR: return TLBF_TDX_INVD_INVVPID;
	case TLBF_SCOPE_GPA:
	case TLBF_SCOPE__COUNT: break;
	}
	return TLBF_TDX_INVD_INVEPT;
}

/**
 * tlbf_tdx_enter_flags - TDG.VP.ENTER flags of an entry into @vtl
 * @scope: what the entry must flush first
 * @vtl: the VTL entered (0 or 1)
 *
 * Returns: the flags word.
 */
static inline uint64_t tlbf_tdx_enter_flags(enum tlbf_scope scope, unsigned vtl)
{
	return tlbf__tdx_vm_index(vtl) | tlbf_tdx_invd(scope);
}

/**
 * tlbf_tdx_invgla_rcx - INVGLA "VM and flags" operand
 * @vtl: target VTL (0 or 1)
 * @list: RDX is list info rather than one GLA entry
 *
 * Returns: the RCX value.
 */
static inline uint64_t tlbf_tdx_invgla_rcx(unsigned vtl, bool list)
{
	return tlbf__tdx_vm_index(vtl) | (list ? TLBF_TDX_INVGLA_LIST : 0);
}

/**
 * tlbf_tdx_list_info - INVGLA list info operand
 * @list_gpa_pfn: guest-physical frame number of the list page (40 bits)
 * @first: index of the first entry to use (0-511)
 * @count: number of entries (1-512)
 *
 * Fields wider than their bit field are truncated to it.
 * Returns: the RDX value.
 */
static inline uint64_t tlbf_tdx_list_info(uint64_t list_gpa_pfn, unsigned first, unsigned count)
{
	return ((uint64_t)(first & 0x1ff)) | ((list_gpa_pfn & ((UINT64_C(1) << 40) - 1)) << 12) |
	       ((uint64_t)(count & 0x3ff) << 52);
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_TDX_H */
