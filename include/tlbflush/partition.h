/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/partition.h - the shared state of one partition: a flush ring
 * per VTL, a state line per VP, and (with VSM) the VPs' TLB-lock state.
 *
 * Both sides of the protocol work on it: the initiators' side
 * (tlbflush/flush.h, tlbflush/wake.h) records requests in its rings and
 * reads its VPs' state lines; each VP's side (tlbflush/entry.h) polls the
 * rings and writes its own state line; VSM TLB locks
 * (tlbflush/tlb_lock.h) are held and waited for on its lock state.
 *
 * The partition owns its rings (one struct, nothing to wire up). The
 * per-VP arrays are caller storage, because their size is the VP count:
 *
 *     static struct tlbf_vp vps[N];              one cache line per VP
 *     static struct tlbf_tlb_lock_vp locks[N];   only with VSM TLB locks
 *     static struct tlbf_partition pt;
 *     if (tlbf_partition_init(&pt, vps, locks, N) != TLBF_STATUS_OK) ...
 *
 * SYNCHRONIZATION
 *   tlbf_partition_init(): before the partition is shared. Everything
 *   else: see the header of each operation.
 */
#ifndef TLBFLUSH_PARTITION_H
#define TLBFLUSH_PARTITION_H

#include "config.h"
#include "atomic_pvt.h"
#include "ring.h"
#include "status.h"
#include "vp.h"

TLBF_EXTERN_C_BEGIN

/**
 * struct tlbf_tlb_lock_wait - one VP waiting for the holders of one VTL's
 *	TLB lock (tlbflush/tlb_lock.h)
 * @count: VPs in @blocking
 * @sleeping: 1 while the VP has decided to halt (S1)
 * @blocking: the VPs it waits for
 */
struct tlbf_tlb_lock_wait {
	TLBF_ALIGNAS(TLBF_CACHE_LINE) TLBF_ATOMIC(uint64_t) count;
	TLBF_ATOMIC(uint64_t) sleeping;
	TLBF_ATOMIC(uint64_t) blocking[TLBF_MASK_WORDS(TLBF_MAX_VPS)];
};

/**
 * struct tlbf_tlb_lock_by - the VPs waiting for one VP's lock of one VTL
 * @blocked: one bit per waiting VP
 */
struct tlbf_tlb_lock_by {
	TLBF_ALIGNAS(TLBF_CACHE_LINE) TLBF_ATOMIC(uint64_t) blocked[TLBF_MASK_WORDS(TLBF_MAX_VPS)];
};

/**
 * struct tlbf_tlb_lock_vp - one VP's TLB-lock state (caller storage, one
 *	per VP; all-zero storage is the initial state)
 * @held: per target VTL, bit r set while VTL r holds its lock (H1, H3)
 * @wait: per target VTL, this VP as a waiter
 * @by: per target VTL, the VPs waiting for this one
 */
struct tlbf_tlb_lock_vp {
	TLBF_ALIGNAS(TLBF_CACHE_LINE) TLBF_ATOMIC(uint64_t) held[TLBF_VTL_COUNT];
	struct tlbf_tlb_lock_wait wait[TLBF_VTL_COUNT];
	struct tlbf_tlb_lock_by by[TLBF_VTL_COUNT];
};

/**
 * struct tlbf_partition - the shared state of one partition
 * @rings: the flush ring of each VTL (owned)
 * @vps: the state line of each VP (caller storage, @vp_count entries)
 * @locks: the TLB-lock state of each VP (caller storage), or NULL: no VTL
 *	takes TLB locks
 * @vp_count: number of VPs; 0 in a partition that tlbf_partition_init()
 *	refused (every operation on it is refused)
 *
 * Read the fields, never write them: tlbf_partition_init() sets them.
 */
struct tlbf_partition {
	struct tlbf_ring rings[TLBF_VTL_COUNT];
	struct tlbf_vp *vps;
	struct tlbf_tlb_lock_vp *locks;
	uint32_t vp_count;
};

/* A partition tlbf_partition_init() accepted. */
static inline bool tlbf__partition_ok(const struct tlbf_partition *pt)
{
	return pt != NULL && pt->vps != NULL && pt->vp_count != 0 &&
	       pt->vp_count <= (uint32_t)TLBF_MAX_VPS;
}

/**
 * tlbf_partition_init - set up a partition over caller storage
 * @pt: the partition (caller storage)
 * @vps: @vp_count VP state lines
 * @locks: @vp_count TLB-lock states, or NULL if no VTL takes VSM TLB locks
 * @vp_count: number of VPs, 1 to TLBF_MAX_VPS
 *
 * Empties the rings, puts every VP in the never-started state (it holds
 * no translation, so no flush waits for it before its first entry) and
 * releases every TLB lock. Never truncates: a partition larger than
 * TLBF_MAX_VPS is refused (rebuild with a larger TLBF_MAX_VPS), since the
 * VPs past the limit could never be woken. A refused partition has no VP
 * (@vp_count 0), so every operation on it is refused too.
 * Concurrency: before the partition is shared.
 * Returns: TLBF_STATUS_OK; TLBF_STATUS_BAD_VP_COUNT or
 * TLBF_STATUS_BAD_STORAGE (@pt or @vps NULL), with nothing else written.
 */
TLBF_MUST_CHECK static inline enum tlbf_status tlbf_partition_init(struct tlbf_partition *pt,
                                                                   struct tlbf_vp *vps,
                                                                   struct tlbf_tlb_lock_vp *locks,
                                                                   uint32_t vp_count)
{
	if (pt == NULL)
		return TLBF_STATUS_BAD_STORAGE;
	pt->vp_count = 0;
	pt->vps = NULL;
	pt->locks = NULL;
	if (vp_count == 0 || vp_count > (uint32_t)TLBF_MAX_VPS)
		return TLBF_STATUS_BAD_VP_COUNT;
	if (vps == NULL)
		return TLBF_STATUS_BAD_STORAGE;
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		tlbf_ring_init(&pt->rings[v]);
	for (uint32_t i = 0; i < vp_count; i++)
		tlbf__vp_init(&vps[i]);
	for (uint32_t i = 0; locks != NULL && i < vp_count; i++) {
		struct tlbf_tlb_lock_vp *l = &locks[i];
		for (unsigned t = 0; t < TLBF_VTL_COUNT; t++) {
			tlbf__init(&l->held[t], 0);
			tlbf__init(&l->wait[t].count, 0);
			tlbf__init(&l->wait[t].sleeping, 0);
			for (unsigned w = 0; w < TLBF_MASK_WORDS(TLBF_MAX_VPS); w++) {
				tlbf__init(&l->wait[t].blocking[w], 0);
				tlbf__init(&l->by[t].blocked[w], 0);
			}
		}
	}
	pt->vps = vps;
	pt->locks = locks;
	pt->vp_count = vp_count;
	return TLBF_STATUS_OK;
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_PARTITION_H */
