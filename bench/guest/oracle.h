/* SPDX-License-Identifier: MIT */
/*
 * bench/guest/oracle.h - the guest's memory as the simulator models it: a
 * versioned page table per VTL, translations cached in each VP's software
 * TLB (the mock backend's), and the stale-translation oracle.
 *
 * The guest's address space, per VTL: GUEST_NPAGES pages from
 * GUEST_GVA_BASE_PAGE, the first GUEST_NGLOBAL of them global mappings.
 * GUEST_NPAGES = 64 so a set of pages is one u64 and the pages fill the
 * mock's direct-mapped TLB without aliasing.
 *
 * Every page has a version; the guest changes a page by bumping it. The
 * oracle keeps, per VP, VTL and page, the lowest version that VP may still
 * use: once a flush call that covered the page for that VP has returned,
 * the version the initiator wrote before the call. A use of an older
 * cached version is a stale translation.
 */
#ifndef TLBF_GUEST_ORACLE_H
#define TLBF_GUEST_ORACLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tlbflush/mock_backend.h"
#include "tlbflush/tlbflush.h"

#define GUEST_NPAGES 64u
#define GUEST_NGLOBAL 8u
#define GUEST_GVA_BASE_PAGE UINT64_C(0x7f0000000) /* 2 MiB aligned, canonical */
#define GUEST_VTLS TLBF_VTL_COUNT

/* The GVA of page @page of the region. */
static inline uint64_t guest_gva(unsigned page)
{
	return (GUEST_GVA_BASE_PAGE + page) << 12;
}

/**
 * struct guest_mem - page tables and oracle of one run
 * @pt: the page tables' versions, per VTL and page
 * @gpt: the versions of the VMM's guest-physical mapping of each page's
 *	frame, per VTL and page (changed by the VMM, e.g. a VTL protection)
 * @required: [nvps][GUEST_VTLS][GUEST_NPAGES], the oracle
 * @required_gpa: likewise, for the guest-physical versions
 * @nvps: VPs
 */
struct guest_mem {
	_Atomic uint64_t pt[GUEST_VTLS][GUEST_NPAGES];
	_Atomic uint64_t gpt[GUEST_VTLS][GUEST_NPAGES];
	_Atomic uint64_t *required;
	_Atomic uint64_t *required_gpa;
	uint32_t nvps;
};

/* Allocate and set every page to version 1; 0, or -1 out of memory. */
int guest_mem_init(struct guest_mem *g, uint32_t nvps);
void guest_mem_fini(struct guest_mem *g);

/* The page table's current version of @page of @vtl. */
uint64_t guest_mem_version(struct guest_mem *g, unsigned vtl, unsigned page);

/* The guest changes the pages of @pages (bit p: page p) in @vtl before it
 * flushes them: each version is bumped, the new one stored in @newver. */
void guest_mem_change(struct guest_mem *g, unsigned vtl, uint64_t pages,
                      uint64_t newver[GUEST_NPAGES]);

/* A flush call covering @pages of @vtl for the VPs of @vps (bitmap, bit v:
 * VP v) returned: from now on those VPs must use @newver or later. */
void guest_mem_require(struct guest_mem *g, const uint64_t *vps, unsigned vtl, uint64_t pages,
                       const uint64_t newver[GUEST_NPAGES]);

/* The VMM changes its guest-physical mapping of the pages of @pages in
 * @vtl before it requests a guest-physical flush; new versions in @newver. */
void guest_mem_change_gpa(struct guest_mem *g, unsigned vtl, uint64_t pages,
                          uint64_t newver[GUEST_NPAGES]);

/* That guest-physical flush returned: the VPs of @vps must use @newver or
 * later of the guest-physical mapping. */
void guest_mem_require_gpa(struct guest_mem *g, const uint64_t *vps, unsigned vtl,
                           uint64_t pages, const uint64_t newver[GUEST_NPAGES]);

/**
 * struct guest_use - one translation a VP used
 * @version: the version used
 * @need: the oracle's lowest allowed version
 * @gpa_version: the guest-physical mapping's version used
 * @gpa_need: the oracle's lowest allowed guest-physical version
 * @filled: true if the TLB missed and the page table was read
 */
struct guest_use {
	uint64_t version;
	uint64_t need;
	uint64_t gpa_version;
	uint64_t gpa_need;
	bool filled;
};

/* VP @vp (its own thread) uses @page of @vtl: translate through its TLB in
 * @m, filling it from the page table on a miss, and read the oracle. */
struct guest_use guest_mem_use(struct guest_mem *g, struct tlbf_mock *m, uint32_t vp,
                               unsigned vtl, unsigned page);

static inline bool guest_use_stale(struct guest_use u)
{
	return u.version < u.need || u.gpa_version < u.gpa_need;
}

#endif /* TLBF_GUEST_ORACLE_H */
