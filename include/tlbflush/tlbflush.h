/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/tlbflush.h - umbrella header: the whole portable core.
 *
 * tlbflush is a header-only C11 library of TLB-shootdown primitives for
 * virtual machine monitors and paravisors. This header gives everything
 * that does not depend on a machine (it compiles freestanding): options,
 * Hyper-V facts, the hypercall decoder and processor-set view, the flush
 * ring, the VP entry/exit path, the initiator's wake and kick plan, the
 * flush handler, and its counters and probes (compiled in by options). The TDX mapping and the backends are included
 * separately: tlbflush/tdx_backend.h (encodings and the VP's TDX
 * bookkeeping), tlbflush/tdx_hw.h (the real TDX module) and
 * tlbflush/mock_backend.h (a software TLB for tests and simulation).
 * docs/DESIGN.md has the map of the headers.
 */
#ifndef TLBFLUSH_TLBFLUSH_H
#define TLBFLUSH_TLBFLUSH_H

#include "config.h"
#include "bits.h"
#include "hv.h"
#include "vpset.h"
#include "hypercall.h"
#include "ring.h"
#include "vp.h"
#include "backend.h"
#include "wake.h"
#include "tlb_lock.h"
#include "flush.h"
#include "stats.h"
#include "trace.h"

#endif /* TLBFLUSH_TLBFLUSH_H */
