/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/tlbflush.h - umbrella header: everything a VMM needs.
 *
 * tlbflush is a header-only C11 library of TLB-shootdown primitives for
 * virtual machine monitors and paravisors. Including this header gives the
 * whole portable part (it compiles freestanding); the backends that talk to
 * a real TDX module or to a mock are included separately (see
 * tlbflush/tdx_backend.h and tlbflush/mock_backend.h).
 */
#ifndef TLBFLUSH_TLBFLUSH_H
#define TLBFLUSH_TLBFLUSH_H

#include "config.h"
#include "atomic_pvt.h"
#include "hv.h"
#include "vpset.h"
#include "hypercall.h"
#include "ring.h"
#include "wake.h"
#include "tdx_backend.h"
#include "flush.h"

#endif /* TLBFLUSH_TLBFLUSH_H */
