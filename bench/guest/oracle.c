/* SPDX-License-Identifier: MIT */
/*
 * bench/guest/oracle.c - versioned page tables and the stale-translation
 * oracle (see oracle.h).
 */
#include "oracle.h"

#include <stdlib.h>

static _Atomic uint64_t *required_in(_Atomic uint64_t *req, uint32_t vp, unsigned vtl,
                                     unsigned page)
{
	return &req[((size_t)vp * GUEST_VTLS + vtl) * GUEST_NPAGES + page];
}

static _Atomic uint64_t *required_of(struct guest_mem *g, uint32_t vp, unsigned vtl,
                                     unsigned page)
{
	return required_in(g->required, vp, vtl, page);
}

int guest_mem_init(struct guest_mem *g, uint32_t nvps)
{
	size_t n = (size_t)nvps * GUEST_VTLS * GUEST_NPAGES;
	g->nvps = nvps;
	g->required = malloc(sizeof(*g->required) * n);
	g->required_gpa = malloc(sizeof(*g->required_gpa) * n);
	if (!g->required || !g->required_gpa) {
		guest_mem_fini(g);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		atomic_init(&g->required[i], 0);
		atomic_init(&g->required_gpa[i], 0);
	}
	for (unsigned v = 0; v < GUEST_VTLS; v++)
		for (unsigned p = 0; p < GUEST_NPAGES; p++) {
			atomic_init(&g->pt[v][p], 1);
			atomic_init(&g->gpt[v][p], 1);
		}
	return 0;
}

void guest_mem_fini(struct guest_mem *g)
{
	free((void *)g->required);
	free((void *)g->required_gpa);
	g->required = NULL;
	g->required_gpa = NULL;
}

uint64_t guest_mem_version(struct guest_mem *g, unsigned vtl, unsigned page)
{
	return atomic_load_explicit(&g->pt[vtl][page], memory_order_relaxed);
}

static void change_in(_Atomic uint64_t *table, uint64_t pages, uint64_t newver[GUEST_NPAGES])
{
	for (uint64_t m = pages; m; m &= m - 1) {
		unsigned p = tlbf__ctz64(m);
		/* Release: pairs with the acquire of a TLB fill. */
		newver[p] = atomic_fetch_add_explicit(&table[p], 1, memory_order_release) + 1;
	}
}

void guest_mem_change(struct guest_mem *g, unsigned vtl, uint64_t pages,
                      uint64_t newver[GUEST_NPAGES])
{
	change_in(g->pt[vtl], pages, newver);
}

void guest_mem_change_gpa(struct guest_mem *g, unsigned vtl, uint64_t pages,
                          uint64_t newver[GUEST_NPAGES])
{
	change_in(g->gpt[vtl], pages, newver);
}

static void atomic_max(_Atomic uint64_t *p, uint64_t v)
{
	uint64_t cur = atomic_load_explicit(p, memory_order_relaxed);
	while (cur < v && !atomic_compare_exchange_weak_explicit(p, &cur, v, memory_order_release,
	                                                        memory_order_relaxed))
		;
}

static void require_in(struct guest_mem *g, _Atomic uint64_t *req, const uint64_t *vps,
                       unsigned vtl, uint64_t pages, const uint64_t newver[GUEST_NPAGES])
{
	for (uint32_t b = 0; b < (g->nvps + 63) / 64; b++)
		for (uint64_t m = vps[b]; m; m &= m - 1) {
			uint32_t v = b * 64 + tlbf__ctz64(m);
			if (v >= g->nvps)
				break;
			for (uint64_t pm = pages; pm; pm &= pm - 1) {
				unsigned p = tlbf__ctz64(pm);
				atomic_max(required_in(req, v, vtl, p), newver[p]);
			}
		}
}

void guest_mem_require(struct guest_mem *g, const uint64_t *vps, unsigned vtl, uint64_t pages,
                       const uint64_t newver[GUEST_NPAGES])
{
	require_in(g, g->required, vps, vtl, pages, newver);
}

void guest_mem_require_gpa(struct guest_mem *g, const uint64_t *vps, unsigned vtl,
                           uint64_t pages, const uint64_t newver[GUEST_NPAGES])
{
	require_in(g, g->required_gpa, vps, vtl, pages, newver);
}

struct guest_use guest_mem_use(struct guest_mem *g, struct tlbf_mock *m, uint32_t vp,
                               unsigned vtl, unsigned page)
{
	struct guest_use u = {0, 0, 0, 0, false};
	uint64_t gpage = GUEST_GVA_BASE_PAGE + page;
	/* The frame's guest-physical translation: cached apart from the
	 * linear one and dropped only by INVEPT (the mock's second table). */
	if (!tlbf_mock_gpa_lookup(m, vp, vtl, page, &u.gpa_version)) {
		u.gpa_version = atomic_load_explicit(&g->gpt[vtl][page], memory_order_acquire);
		tlbf_mock_gpa_fill(m, vp, vtl, page, u.gpa_version);
		u.filled = true;
	}
	if (!tlbf_mock_tlb_lookup(m, vp, vtl, gpage, &u.version)) {
		/* Acquire: pairs with the initiator's release bump. */
		u.version = atomic_load_explicit(&g->pt[vtl][page], memory_order_acquire);
		tlbf_mock_tlb_fill(m, vp, vtl, gpage, u.version, page < GUEST_NGLOBAL);
		u.filled = true;
	}
	u.need = atomic_load_explicit(required_of(g, vp, vtl, page), memory_order_acquire);
	u.gpa_need =
	    atomic_load_explicit(required_in(g->required_gpa, vp, vtl, page), memory_order_acquire);
	return u;
}
