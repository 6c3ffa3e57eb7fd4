/* SPDX-License-Identifier: MIT */
/*
 * Every call the Linux guest test makes into tlbflush, in one place: the
 * decode of one flush hypercall, turned into the plain struct lg_decoded
 * (the VP set walked in full, the ranges read once each as pages).
 */
#include "tlbflush/hypercall.h"

#include "lg.h"

uint32_t lg_tlbf_max_vps(void)
{
	return (uint32_t)TLBF_MAX_VPS;
}

void lg_tlbf_decode(uint64_t control, const void *input, size_t len, uint32_t vp_count,
                    struct lg_decoded *out)
{
	struct tlbf_flush_request req;
	enum tlbf_hypercall_rule rule = TLBF_HYPERCALL_RULE__COUNT;
	enum tlbf_hv_status st = tlbf_hypercall_decode(control, input, len, vp_count, 0, &req, &rule);
	out->status = (unsigned)st;
	out->rule = tlbf_hypercall_rule_name(rule);
	out->vp_members = 0;
	out->range_count = 0;
	for (unsigned w = 0; w < LG_VP_WORDS; w++)
		out->vps[w] = 0;
	if (st != TLBF_HV_STATUS_SUCCESS)
		return;

	out->kind = req.kind == TLBF_FLUSH_KIND_LIST         ? LG_KIND_LIST
	            : req.kind == TLBF_FLUSH_KIND_NON_GLOBAL ? LG_KIND_NON_GLOBAL
	                                                : LG_KIND_ENTIRE;
	out->all_address_spaces = (req.flags & TLBF_HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES) != 0;
	out->address_space = req.address_space;
	out->target_vtl = req.target_vtl;

	struct tlbf_vpset_iter it;
	uint32_t vp;
	tlbf_vpset_iter_init(&it, &req.vps);
	while (tlbf_vpset_iter_next(&it, &vp)) {
		if (vp / 64u < LG_VP_WORDS)
			out->vps[vp / 64u] |= UINT64_C(1) << (vp % 64u);
		out->vp_members++;
	}

	for (uint32_t i = 0; i < req.range_count && i < LG_MAX_RANGES; i++) {
		uint64_t r = tlbf__guest_load_u64(&req.ranges[i]);
		out->first_page[i] = tlbf__gva_page(r);
		out->pages[i] = (uint32_t)tlbf__gva_additional(r, req.extended) + 1u;
	}
	out->range_count = req.range_count < LG_MAX_RANGES ? req.range_count : LG_MAX_RANGES;
}
