/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/trace.h - USDT probes: static tracepoints a VMM's operator can
 * attach to with bpftrace, perf or SystemTap, at no cost when unused.
 *
 * With TLBF_USDT=1 (config.h) each probe is one `nop` and an ELF note
 * under provider "tlbflush", from <sys/sdt.h> (Debian's systemtap-sdt-dev,
 * a header only). No semaphores are used, so a header-only library needs
 * no definition anywhere, and the arguments are computed only where a
 * probe sits (a few register moves). With TLBF_USDT=0 (the default, and
 * always in a kernel build) the probes are not compiled at all.
 *
 * The probes and their arguments (all integers):
 *
 *   flush_request  at a decoded request that tlbf_flush_handle() accepted:
 *                  call code (0 for a VMM's own request), kind (0
 *                  entire, 1 non-global, 2 list, 3 guest-physical),
 *                  target VTL, flags, address space, range count, set kind
 *                  (0 sparse, 1 all, 2 mask64), valid bank mask, processor
 *                  mask (mask64 only, else 0) - KVM's two flush tracepoints'
 *                  fields, plus the target VTL, the kind and the ranges
 *   push           at the record's result: result (enum tlbf_push_result),
 *                  promotion reason (enum tlbf_push_why), mark kind, mark
 *                  value, target VTL
 *   entry_poll     at each VP's entry poll, after it was applied: VP, VTL,
 *                  poll flags, range count, invd_translations pending for
 *                  the entry
 *   wake           at the end of a request: kicks, wait-only VPs, VPs
 *                  skipped, late (duplicate) cancels, kick retries, the
 *                  backend's result
 *   kick           at each backend kick call: VPs in the mask, mask bits,
 *                  kick flags
 *
 * List them: bpftrace -l 'usdt:/path/to/vmm:tlbflush:*'.
 */
#ifndef TLBFLUSH_TRACE_H
#define TLBFLUSH_TRACE_H

#include "config.h"

#if TLBF_USDT
#include <sys/sdt.h>
/* <sys/sdt.h> passes an empty variadic argument list inside its macros,
 * which clang's -Wpedantic reports at every expansion: silenced around
 * each probe only (the pragmas precede the expansion of the probe). */
#if defined(__clang__)
#define TLBF__SDT_OFF \
	_Pragma("clang diagnostic push") \
	_Pragma("clang diagnostic ignored \"-Wgnu-zero-variadic-macro-arguments\"")
#define TLBF__SDT_ON _Pragma("clang diagnostic pop")
#else
#define TLBF__SDT_OFF
#define TLBF__SDT_ON
#endif
#define TLBF_PROBE3(name, a, b, c) \
	do { \
		TLBF__SDT_OFF DTRACE_PROBE3(tlbflush, name, a, b, c); \
		TLBF__SDT_ON \
	} while (0)
#define TLBF_PROBE4(name, a, b, c, d) \
	do { \
		TLBF__SDT_OFF DTRACE_PROBE4(tlbflush, name, a, b, c, d); \
		TLBF__SDT_ON \
	} while (0)
#define TLBF_PROBE5(name, a, b, c, d, e) \
	do { \
		TLBF__SDT_OFF DTRACE_PROBE5(tlbflush, name, a, b, c, d, e); \
		TLBF__SDT_ON \
	} while (0)
#define TLBF_PROBE6(name, a, b, c, d, e, f) \
	do { \
		TLBF__SDT_OFF DTRACE_PROBE6(tlbflush, name, a, b, c, d, e, f); \
		TLBF__SDT_ON \
	} while (0)
#define TLBF_PROBE9(name, a, b, c, d, e, f, g, h, i) \
	do { \
		TLBF__SDT_OFF DTRACE_PROBE9(tlbflush, name, a, b, c, d, e, f, g, h, i); \
		TLBF__SDT_ON \
	} while (0)
#else
/* Off: each argument goes into an unevaluated sizeof (no unused-variable
 * warning, no code: the arguments have no side effects). */
#define TLBF__PROBE_ARG(x) (void)sizeof(x)
#define TLBF_PROBE3(name, a, b, c) (TLBF__PROBE_ARG(a), TLBF__PROBE_ARG(b), TLBF__PROBE_ARG(c))
#define TLBF_PROBE4(name, a, b, c, d) (TLBF_PROBE3(name, a, b, c), TLBF__PROBE_ARG(d))
#define TLBF_PROBE5(name, a, b, c, d, e) (TLBF_PROBE4(name, a, b, c, d), TLBF__PROBE_ARG(e))
#define TLBF_PROBE6(name, a, b, c, d, e, f) (TLBF_PROBE5(name, a, b, c, d, e), TLBF__PROBE_ARG(f))
#define TLBF_PROBE9(name, a, b, c, d, e, f, g, h, i) \
	(TLBF_PROBE6(name, a, b, c, d, e, f), TLBF__PROBE_ARG(g), TLBF__PROBE_ARG(h), \
	 TLBF__PROBE_ARG(i))
#endif

#endif /* TLBFLUSH_TRACE_H */
