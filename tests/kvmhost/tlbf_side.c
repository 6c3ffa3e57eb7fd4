/* SPDX-License-Identifier: MIT */
/*
 * tlbf_side.c - the tlbflush side of the differential test: the only file
 * of tests/kvmhost/ that calls the library.
 */
#include <string.h>

#include "tlbflush/tlbflush.h"

#include "kvmdiff.h"

void kd_tlbf_decode(uint64_t control, const void *input, size_t len, uint32_t vp_count,
                    struct kd_tlbf_result *r)
{
	struct tlbf_flush_request req;
	enum tlbf_hypercall_rule rule = TLBF_HYPERCALL_RULE__COUNT;

	memset(r, 0, sizeof(*r));
	enum tlbf_hv_status st = tlbf_hypercall_decode(control, input, len, vp_count, 0, &req, &rule);
	r->status = (uint16_t)st;
	r->rule = tlbf_hypercall_rule_name(rule);
	if (st != TLBF_HV_STATUS_SUCCESS)
		return;
	switch ((enum tlbf_flush_kind)req.kind) {
	case TLBF_FLUSH_KIND_ENTIRE:
		r->kind = KD_ENTIRE;
		break;
	case TLBF_FLUSH_KIND_NON_GLOBAL:
		r->kind = KD_NON_GLOBAL;
		break;
	case TLBF_FLUSH_KIND_LIST:
		r->kind = KD_LIST;
		break;
	case TLBF_FLUSH_KIND_GPA:
		r->kind = KD_NONE;
		break;
	}
	struct tlbf_vpset_iter it;
	uint32_t vp;
	tlbf_vpset_iter_init(&it, &req.vps);
	while (tlbf_vpset_iter_next(&it, &vp))
		if (vp < 64u * KD_TLBF_WORDS)
			r->vps[vp / 64u] |= UINT64_C(1) << (vp % 64u);
	r->ranges = req.ranges;
	r->range_count = req.range_count;
}
