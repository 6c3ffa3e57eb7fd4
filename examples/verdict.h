/* SPDX-License-Identifier: MIT */
/*
 * examples/verdict.h - the verdict lines the demos print: tlbflush against
 * one baseline on one figure, a difference only when it exceeds the noise.
 * Shared by shootdown-sim (examples/sim) and demo_kvm (examples/kvm).
 */
#ifndef TLBF_EXAMPLES_VERDICT_H
#define TLBF_EXAMPLES_VERDICT_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>

/* The figures a verdict compares, in the order the demos print them. */
enum figure { FIG_KICKS, FIG_CANCELLED, FIG_P99, FIG_MAX, FIG_RATE, FIG__COUNT };

/* Print the explanation before the verdicts: the noise is the spread of a
 * figure between the @parts equal parts of a run. */
static inline void verdict_intro(unsigned parts)
{
	printf("\nverdict: tlbflush against each baseline on the figures where the designs\n"
	       "differ. The noise of a figure is its spread (max - min) between the %u equal\n"
	       "parts of a design's run (each part 1/%u of the run, so this overstates the\n"
	       "noise of the whole-run figure); a gap counts as a difference only when it\n"
	       "exceeds the larger noise of the two designs.\n",
	       parts, parts);
}

/* One line: figure @g of tlbflush (@x, noise @sa) against a baseline's
 * (@y, @sb), with the three already formatted (@fx, @fy, the larger noise
 * @fn). A negative noise means it was not measured. */
static inline void verdict_line(enum figure g, double x, double y, double sa, double sb,
                                const char *fx, const char *fy, const char *fn)
{
	static const char *const names[FIG__COUNT] = {"kicks/call", "cancelled/call", "p99",
	                                              "max", "calls/s"};
	/* Which way is better: fewer kicks, lower latency, more calls. */
	static const char *const better[FIG__COUNT] = {"fewer", "fewer", "lower", "lower", "more"};
	static const char *const worse[FIG__COUNT] = {"more", "more", "higher", "higher", "fewer"};
	const double noise = sa > sb ? sa : sb;
	printf("    %-15s %9s vs %9s  ", names[g], fx, fy);
	if (sa < 0 || sb < 0) {
		printf("noise not measured (the run ended early)\n");
		return;
	}
	if (fabs(x - y) <= noise) {
		printf("same within noise (%s)\n", fn);
		return;
	}
	const bool lib_better = g == FIG_RATE ? x > y : x < y;
	const double hi = x > y ? x : y, lo = x > y ? y : x;
	if (lo > 0)
		printf("%.1fx %s", hi / lo, lib_better ? better[g] : worse[g]);
	else
		printf("%s", lib_better ? better[g] : worse[g]);
	printf(" with tlbflush (noise %s)\n", fn);
}

#endif /* TLBF_EXAMPLES_VERDICT_H */
