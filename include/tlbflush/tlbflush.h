/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/tlbflush.h - umbrella header: the whole portable core.
 *
 * tlbflush is a header-only C11 library of TLB-shootdown primitives for
 * virtual machine monitors and paravisors. This header gives everything
 * that does not depend on a machine (it compiles freestanding):
 *
 *   shared core   config, status, hv (Hyper-V facts), vpset (the lazy
 *                 processor set), hypercall (the decoder), ring (the flush
 *                 ring), vp (per-VP state), backend (the interface by
 *                 capability), partition, tlb_lock (VSM TLB locks), stats
 *                 (counters), trace (probes)
 *   VP side       entry (the VP entry driver)
 *   initiator     wake (decisions and the kick plan), flush (the handler)
 *
 * The backends are included separately: tlbflush/mock_backend.h (a
 * software TLB for tests and simulation, with tlbflush/oracle.h, its
 * stale-translation checker) and tlbflush/tdx_hw.h (Intel TDX; its
 * encodings in tlbflush/tdx.h). docs/DESIGN.md has the map of the
 * headers.
 */
#ifndef TLBFLUSH_TLBFLUSH_H
#define TLBFLUSH_TLBFLUSH_H

#include "config.h"
#include "status.h"
#include "bits.h"
#include "hv.h"
#include "vpset.h"
#include "hypercall.h"
#include "ring.h"
#include "vp.h"
#include "backend.h"
#include "partition.h"
#include "tlb_lock.h"
#include "stats.h"
#include "trace.h"
#include "entry.h"
#include "wake.h"
#include "flush.h"

#endif /* TLBFLUSH_TLBFLUSH_H */
