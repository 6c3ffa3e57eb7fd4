/* SPDX-License-Identifier: MIT */
/*
 * Linux 6.1's own guest code as a client of the flush hypercall decoder.
 *
 *   linuxguest [--seed N] [--machines N] [--flushes N]
 *
 * Random machines (1 to 2048 CPUs; VP indexes the identity, a permutation,
 * or sparse in a partition of up to TLBF_MAX_VPS VPs; now and then a CPU
 * without a VP index, no input page, or no Ex recommendation) run random
 * remote flushes through hyperv_flush_tlb_multi() as Linux has it
 * (linux_side.c): cpumasks from one CPU to all, page-aligned ranges of 4
 * KiB, 2 MiB and 1 GiB strides up to Linux's default ceiling of 33, longer
 * ones as with the ceiling raised (and many around the end of the input
 * page), TLB_FLUSH_ALL; an mm for most, none for flushes of everything
 * (and, beyond what 6.1 sends, for a few kernel ranges). Its hypercalls
 * come here: the hypervisor maps the one input page, decodes it with the
 * library (tlbf_side.c), "flushes" the ranges and, at random points of a
 * list, reports partial completion, so that Linux's hv_do_rep_hypercall()
 * continues with a rep start.
 *
 * What Linux meant is computed from what it was given, never from its
 * encoding: the VP set is { hv_vp_index[cpu] : cpu in the cpumask }, the
 * pages are those of [start, end) (all of them for TLB_FLUSH_ALL), the
 * address space is the mm's page-table root (all of them without an mm).
 * Each flush ends as one of:
 *   agreement      every call decodes to exactly that;
 *   flush more     a call covers more (a superset of the VPs, the whole
 *                  address space instead of a long range, every address
 *                  space) and nothing less: correct;
 *   no hypercall   Linux chose not to call (it fell back to IPIs, or the
 *                  cpumask was empty);
 *   past the page  Linux wrote its list one entry past the input page, the
 *                  decoder refused the call (rule over_page) and Linux fell
 *                  back to IPIs (docs/DECODE.md, "Linux 6.1 as a client");
 *   failure        anything else: a VP, page or address space missing, a
 *                  valid call refused, a refusal that is not the above.
 *
 * Exit status: 0 when no flush failed and every kind of call was seen, 1
 * otherwise, 77 when the kernel source was not there at build time.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lg.h"

#define UNIT_PAGES 4096u /* pages of one list entry (16 MiB) */
#define VP_INVAL UINT32_MAX
#define USER_TOP (UINT64_C(1) << 47)
#define KERNEL_BASE UINT64_C(0xffff800000000000)
#define MAX_INTERVALS 8192u
#define MAX_CALLS 1024u /* calls of one flush before its rep loop counts as stuck */

/* ---- deterministic randomness ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned percent)
{
	return below(100) < percent;
}

/* ---- the machine ---- */

static unsigned nr_cpus;
static uint32_t vp_index[LG_NR_CPUS];
static uint32_t vp_count; /* the partition's VPs: every VP index is below */
static uint32_t max_vp;   /* Linux's hv_max_vp_index */
static bool ex_hint;
static uint64_t *page;     /* the per-CPU input page and the page after it */
static bool page_given;    /* this flush's CPU has its input page */
static uint8_t *hv_map;    /* the hypervisor's mapping of the input page */
static uint8_t canary[LG_PAGE];

static unsigned popcount(const uint64_t words[LG_VP_WORDS])
{
	unsigned n = 0;
	for (unsigned w = 0; w < LG_VP_WORDS; w++)
		n += (unsigned)__builtin_popcountll(words[w]);
	return n;
}

static bool bit(const uint64_t *words, unsigned i)
{
	return (words[i / 64] >> (i % 64)) & 1u;
}

static void set_bit(uint64_t *words, unsigned i)
{
	words[i / 64] |= UINT64_C(1) << (i % 64);
}

enum vp_mode { VP_IDENTITY, VP_PERMUTED, VP_SPARSE, VP_MODES };
static const char *const vp_mode_name[VP_MODES] = { "identity", "permuted", "sparse" };

static enum vp_mode new_machine(void)
{
	static const unsigned sizes[] = { 1, 2, 3, 63, 64, 65, 127, 128, 129, 511, 512, 1023, 1024,
		                          2047, 2048 };
	static uint32_t pool[4096];
	const uint32_t max_vps = lg_tlbf_max_vps();
	nr_cpus = chance(25) ? sizes[below(sizeof sizes / sizeof sizes[0])]
	                     : 1u + (unsigned)below(LG_NR_CPUS);
	if (nr_cpus > max_vps)
		nr_cpus = max_vps;
	enum vp_mode mode = (enum vp_mode)below(VP_MODES);
	if (mode == VP_SPARSE) {
		vp_count = nr_cpus + (uint32_t)below(max_vps - nr_cpus + 1u);
		for (uint32_t v = 0; v < vp_count; v++)
			pool[v] = v;
		for (unsigned c = 0; c < nr_cpus; c++) { /* a sample without repeats */
			uint32_t j = c + (uint32_t)below(vp_count - c);
			uint32_t t = pool[c];
			pool[c] = pool[j];
			pool[j] = t;
		}
		if (chance(50)) { /* ascending with holes, as Hyper-V numbers them */
			static uint64_t taken[LG_VP_WORDS];
			memset(taken, 0, sizeof taken);
			for (unsigned c = 0; c < nr_cpus; c++)
				set_bit(taken, pool[c]);
			unsigned c = 0;
			for (uint32_t v = 0; v < vp_count; v++)
				if (bit(taken, v))
					pool[c++] = v;
		}
		for (unsigned c = 0; c < nr_cpus; c++)
			vp_index[c] = pool[c];
	} else {
		for (unsigned c = 0; c < nr_cpus; c++)
			vp_index[c] = c;
		if (mode == VP_PERMUTED)
			for (unsigned c = nr_cpus; c-- > 1;) {
				unsigned j = (unsigned)below(c + 1u);
				uint32_t t = vp_index[c];
				vp_index[c] = vp_index[j];
				vp_index[j] = t;
			}
		/* Sometimes the partition has VPs Linux does not run on. */
		vp_count = nr_cpus;
		if (chance(20))
			vp_count += (uint32_t)below(65);
		if (vp_count > max_vps)
			vp_count = max_vps;
	}
	/* Sometimes one CPU has no VP index (Linux's VP_INVAL). */
	if (nr_cpus > 1 && chance(4))
		vp_index[below(nr_cpus)] = VP_INVAL;
	max_vp = 0;
	for (unsigned c = 0; c < nr_cpus; c++)
		if (vp_index[c] != VP_INVAL && vp_index[c] > max_vp)
			max_vp = vp_index[c];
	ex_hint = !chance(5);
	return mode;
}

static void random_cpumask(uint64_t mask[LG_CPU_WORDS])
{
	memset(mask, 0, LG_CPU_WORDS * 8);
	unsigned m = (unsigned)below(100);
	if (m < 12) { /* every CPU: Linux's ALL_PROCESSORS */
		for (unsigned c = 0; c < nr_cpus; c++)
			set_bit(mask, c);
	} else if (m < 26) {
		set_bit(mask, (unsigned)below(nr_cpus));
	} else if (m < 27) {
		/* empty */
	} else if (m < 50) {
		static const unsigned per_64[] = { 1, 8, 32, 56 };
		unsigned p = per_64[below(4)];
		for (unsigned c = 0; c < nr_cpus; c++)
			if (below(64) < p)
				set_bit(mask, c);
	} else if (m < 65) {
		unsigned a = (unsigned)below(nr_cpus), b = (unsigned)below(nr_cpus);
		if (a > b) {
			unsigned t = a;
			a = b;
			b = t;
		}
		for (unsigned c = a; c <= b; c++)
			set_bit(mask, c);
	} else if (m < 80) { /* only CPUs on VPs below 64: the non-Ex calls */
		for (unsigned c = 0; c < nr_cpus; c++)
			if (vp_index[c] < 64 && chance(50))
				set_bit(mask, c);
	} else if (m < 90) {
		for (unsigned c = 0; c < nr_cpus; c++)
			set_bit(mask, c);
		unsigned c = (unsigned)below(nr_cpus);
		mask[c / 64] &= ~(UINT64_C(1) << (c % 64));
	} else {
		for (unsigned n = 1 + (unsigned)below(8); n > 0; n--)
			set_bit(mask, (unsigned)below(nr_cpus));
	}
}

/* ---- one flush: what Linux meant, and what the hypervisor saw ---- */

struct expect {
	uint64_t vps[LG_VP_WORDS];
	bool has_mm;
	uint64_t address_space;
	bool all_pages; /* TLB_FLUSH_ALL */
	uint64_t first, last; /* pages, when !all_pages */
};

struct seen {
	unsigned calls, refusals;
	const char *refused_rule;
	bool native, stuck;
	bool vps_less, vps_more, as_wrong, as_more, vtl_wrong;
	unsigned less_code, less_vp; /* the first call with a VP missing, and the VP */
	bool space, space_non_global, list, wrong_page;
	unsigned n_iv;
	bool iv_overflow;
	uint64_t iv_first[MAX_INTERVALS], iv_last[MAX_INTERVALS];
};

static struct expect want;
static struct seen seen;

static struct {
	unsigned long machines, flushes, by_mode[VP_MODES];
	unsigned long calls[4], continuations, partial;
	unsigned long agree, more, more_vps, more_pages, more_as;
	unsigned long no_call, no_call_page, no_call_inval, no_call_ex, no_call_empty;
	unsigned long past_page, exact_page;
	unsigned long failures;
} st;

static char failure_text[10][200];

__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
	if (st.failures < 10) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(failure_text[st.failures], sizeof failure_text[0], fmt, ap);
		va_end(ap);
	}
	st.failures++;
}

static int code_slot(uint64_t code)
{
	switch (code) {
	case 0x2: return 0;
	case 0x3: return 1;
	case 0x13: return 2;
	case 0x14: return 3;
	}
	return -1;
}

uint64_t lg_hypercall(uint64_t control, void *input, void *output)
{
	static struct lg_decoded d;
	(void)output;
	seen.calls++;
	int slot = code_slot(control & 0xffff);
	if (slot >= 0)
		st.calls[slot]++;
	const unsigned rep_start = (unsigned)((control >> 48) & 0xfff);
	if (rep_start)
		st.continuations++;
	if (input != (void *)page)
		seen.wrong_page = true;
	if (seen.calls > MAX_CALLS) { /* no progress: end Linux's loop */
		seen.stuck = true;
		return 5; /* HV_STATUS_INVALID_PARAMETER */
	}

	/* The input page as the hypervisor maps it: exactly one page. */
	memcpy(hv_map, input, LG_PAGE);
	lg_tlbf_decode(control, hv_map, LG_PAGE, vp_count, &d);
	if (d.status != 0) {
		seen.refusals++;
		seen.refused_rule = d.rule;
		return d.status;
	}
	if (d.target_vtl != 0)
		seen.vtl_wrong = true;
	for (unsigned w = 0; w < LG_VP_WORDS; w++) {
		uint64_t missing = want.vps[w] & ~d.vps[w];
		if (missing && !seen.vps_less) {
			seen.vps_less = true;
			seen.less_code = (unsigned)(control & 0xffff);
			seen.less_vp = w * 64u + (unsigned)__builtin_ctzll(missing);
		}
		if (d.vps[w] & ~want.vps[w])
			seen.vps_more = true;
	}
	if (want.has_mm) {
		if (d.all_address_spaces)
			seen.as_more = true;
		else if (d.address_space != want.address_space)
			seen.as_wrong = true;
	} else if (!d.all_address_spaces) {
		seen.as_wrong = true;
	}
	if (d.kind != LG_KIND_LIST) {
		seen.space = true;
		if (d.kind == LG_KIND_NON_GLOBAL)
			seen.space_non_global = true;
		return 0;
	}

	/* Flush the ranges from rep start on; sometimes stop part way. */
	seen.list = true;
	uint32_t done = d.range_count;
	if (done > 1 && chance(35)) {
		done = 1 + (uint32_t)below(done - 1);
		st.partial++;
	}
	for (uint32_t i = 0; i < done; i++) {
		if (seen.n_iv == MAX_INTERVALS) {
			seen.iv_overflow = true;
			break;
		}
		seen.iv_first[seen.n_iv] = d.first_page[i];
		seen.iv_last[seen.n_iv] = d.first_page[i] + d.pages[i] - 1u;
		seen.n_iv++;
	}
	return (uint64_t)(rep_start + done) << 32; /* success, reps completed */
}

void lg_native_flush(void)
{
	seen.native = true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Do the flushed intervals cover [first, last], and anything else? */
static void coverage(bool *covered, bool *extra)
{
	/* Sort by first page (first and last sorted together via pairs). */
	static uint64_t pairs[2 * MAX_INTERVALS];
	unsigned n = seen.n_iv;
	for (unsigned i = 0; i < n; i++) {
		pairs[2 * i] = seen.iv_first[i];
		pairs[2 * i + 1] = seen.iv_last[i];
	}
	qsort(pairs, n, 2 * sizeof(uint64_t), cmp_u64);
	uint64_t next = want.first; /* first page not yet covered */
	bool done = false;
	*extra = false;
	for (unsigned i = 0; i < n; i++) {
		uint64_t f = pairs[2 * i], l = pairs[2 * i + 1];
		if (f < want.first || l > want.last)
			*extra = true;
		if (!done && f <= next && l >= next) {
			if (l >= want.last)
				done = true;
			else
				next = l + 1;
		}
	}
	*covered = done;
}

/* The number of list entries that fill the page exactly, for this mask. */
static uint64_t list_cap(const uint64_t mask[LG_CPU_WORDS], bool all_cpus)
{
	uint32_t top = 0;
	for (unsigned c = 0; c < nr_cpus; c++)
		if (bit(mask, c) && vp_index[c] != VP_INVAL && vp_index[c] > top)
			top = vp_index[c];
	if (all_cpus || top < 64)
		return LG_PAGE / 8u - 3u;
	return LG_PAGE / 8u - 4u - (top / 64u + 1u);
}

/*
 * Would Linux's list end one entry past the page (DECODE.md's note)? Its
 * cutoff compares the whole units of the range with the entries that fit,
 * so a range of cap units and a part of one more needs cap + 1 entries.
 */
static bool past_page_predicted(const uint64_t mask[LG_CPU_WORDS], bool all_cpus, uint64_t start,
                                uint64_t end)
{
	if (end == UINT64_MAX)
		return false;
	const uint64_t unit = (uint64_t)UNIT_PAGES * LG_PAGE;
	return (end - start) / unit == list_cap(mask, all_cpus) && (end - start) % unit != 0;
}

static void one_flush(void)
{
	uint64_t mask[LG_CPU_WORDS];
	random_cpumask(mask);
	bool all_cpus = true, empty = true, inval = false, needs_ex = false;
	memset(&want, 0, sizeof want);
	for (unsigned c = 0; c < nr_cpus; c++) {
		if (!bit(mask, c)) {
			all_cpus = false;
			continue;
		}
		empty = false;
		if (vp_index[c] == VP_INVAL) {
			inval = true;
			continue;
		}
		set_bit(want.vps, vp_index[c]);
		if (vp_index[c] >= 64)
			needs_ex = true;
	}
	if (all_cpus)
		needs_ex = false; /* ALL_PROCESSORS on a non-Ex call */

	/* The mm, and the range. */
	want.has_mm = !chance(10);
	uint64_t pgd = want.has_mm ? ((uint64_t)1 + below(UINT64_C(1) << 34)) << 12 : 0;
	want.address_space = pgd;
	uint64_t start = 0, end = UINT64_MAX;
	unsigned shift = 12;
	const uint64_t unit = (uint64_t)UNIT_PAGES * LG_PAGE;
	unsigned r = (unsigned)below(100);
	if (!want.has_mm && r < 85)
		r = 0; /* without an mm, Linux flushes everything */
	if (r < 15) {
		want.all_pages = true;
	} else {
		uint64_t len;
		if (r < 50) { /* up to Linux's default ceiling of 33 pages */
			len = (1 + below(33)) << 12;
		} else if (r < 60) {
			shift = 21;
			len = (1 + below(33)) << 21;
		} else if (r < 65) {
			shift = 30;
			len = (1 + below(40)) << 30;
		} else if (r < 82) { /* the ceiling raised: up to 600 entries */
			len = (1 + below(600 * (uint64_t)UNIT_PAGES)) << 12;
		} else { /* around the end of the input page */
			uint64_t cap = list_cap(mask, all_cpus);
			unsigned b = (unsigned)below(6);
			len = b == 0   ? cap * unit                            /* fills the page */
			      : b == 1 ? (cap + 1) * unit                      /* the whole space */
			      : b == 2 ? cap * unit + ((1 + below(4)) << 12)   /* a few pages more */
			      : b == 3 ? cap * unit + ((1 + below(4095)) << 12) /* up to a unit more */
			      : b == 4 ? (cap - 1) * unit + ((1 + below(4095)) << 12)
			               : (cap + 1) * unit + (1 << 12);
		}
		uint64_t align = UINT64_C(1) << shift;
		uint64_t base = want.has_mm ? 0 : KERNEL_BASE;
		uint64_t room = (USER_TOP - len) / align;
		start = base + below(room) * align;
		end = start + len;
		want.first = start >> 12;
		want.last = (end - 1) >> 12;
	}
	bool predicted = past_page_predicted(mask, all_cpus, start, end);

	/* Sometimes this CPU's input page was never allocated. */
	page_given = !chance(2);
	lg_linux_boot(nr_cpus, vp_index, max_vp, page_given ? page : NULL, ex_hint);

	memset(&seen, 0, offsetof(struct seen, iv_first));
	memcpy(page + LG_PAGE / 8u, canary, LG_PAGE);
	lg_linux_flush(mask, want.has_mm, pgd, start, end, shift);
	bool past_page = memcmp(page + LG_PAGE / 8u, canary, LG_PAGE) != 0;
	st.flushes++;
	const unsigned long f = st.flushes;

	if (seen.wrong_page)
		fail("flush %lu: the hypercall input is not the per-CPU page", f);
	if (past_page && !predicted)
		fail("flush %lu: Linux wrote past its input page where no overflow was predicted "
		     "(range %llu pages)", f, (unsigned long long)((end - start) >> 12));

	if (seen.calls == 0) {
		/* Linux chose not to call: why, from what it was given. */
		unsigned long *why = !seen.native        ? (empty ? &st.no_call_empty : NULL)
		                     : !page_given          ? &st.no_call_page
		                     : inval                ? &st.no_call_inval
		                     : needs_ex && !ex_hint ? &st.no_call_ex
		                                            : NULL;
		if (why)
			++*why, st.no_call++;
		else
			fail("flush %lu: Linux made no hypercall without a reason (fell back: %d)", f,
			     seen.native);
		return;
	}
	if (seen.stuck) {
		fail("flush %lu: Linux's rep loop made no progress in %u calls", f, MAX_CALLS);
		return;
	}
	if (seen.refusals) {
		if (predicted && past_page && seen.native && seen.calls == 1 &&
		    strcmp(seen.refused_rule, "over_page") == 0)
			st.past_page++;
		else
			fail("flush %lu: the decoder refused a call of Linux (rule %s)", f, seen.refused_rule);
		return;
	}
	bool failed = false, more_vps = seen.vps_more, more_as = seen.as_more, more_pages = false;
	if (predicted) {
		fail("flush %lu: a list predicted to end past the page was accepted", f);
		failed = true;
	}
	if (seen.native) {
		fail("flush %lu: Linux fell back to IPIs after successful calls (%u)", f, seen.calls);
		failed = true;
	}
	if (seen.vps_less) {
		fail("flush %lu: VP %u missing from call %#x (of %u VPs Linux meant)", f, seen.less_vp,
		     seen.less_code, popcount(want.vps));
		failed = true;
	}
	if (seen.as_wrong || seen.vtl_wrong) {
		fail("flush %lu: wrong address space or target VTL", f);
		failed = true;
	}
	if (seen.iv_overflow) {
		fail("flush %lu: more than %u ranges flushed", f, MAX_INTERVALS);
		failed = true;
	}
	bool page_exactly = false;
	if (want.all_pages) {
		/* Everything non-global (what Linux asks), or everything. */
		if (!seen.space || seen.list) {
			fail("flush %lu: a flush of everything did not decode as one", f);
			failed = true;
		}
		more_pages = !seen.space_non_global;
	} else if (seen.space) {
		/* A long range as the whole space: more, unless non-global only. */
		if (seen.space_non_global || seen.list) {
			fail("flush %lu: a range became a non-global flush", f);
			failed = true;
		}
		more_pages = true;
	} else {
		bool covered, extra;
		coverage(&covered, &extra);
		if (!covered) {
			fail("flush %lu: pages of the range were not flushed (%u ranges)", f, seen.n_iv);
			failed = true;
		}
		more_pages = extra;
		page_exactly = (end - start) == list_cap(mask, all_cpus) * unit;
	}
	if (failed)
		return;
	st.exact_page += page_exactly;
	st.more_vps += more_vps;
	st.more_as += more_as;
	st.more_pages += more_pages;
	if (more_vps || more_as || more_pages)
		st.more++;
	else
		st.agree++;
}

static unsigned long arg(int argc, char **argv, const char *name, unsigned long dflt)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return strtoul(argv[i + 1], NULL, 0);
	return dflt;
}

int main(int argc, char **argv)
{
	const char *missing = lg_linux_missing();
	if (missing) {
		printf("SKIP: %s\n", missing);
		return 77;
	}
	const unsigned long seed = arg(argc, argv, "--seed", 0x6c696e7578);
	const unsigned long machines = arg(argc, argv, "--machines", 2000);
	const unsigned long flushes = arg(argc, argv, "--flushes", 30);
	rng = seed;
	page = aligned_alloc(LG_PAGE, 2 * LG_PAGE);
	hv_map = aligned_alloc(LG_PAGE, LG_PAGE);
	if (!page || !hv_map) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	memset(page, 0, 2 * LG_PAGE);
	for (unsigned i = 0; i < LG_PAGE; i++)
		canary[i] = (uint8_t)(0xa5 ^ i);

	for (unsigned long m = 0; m < machines; m++) {
		st.by_mode[new_machine()]++;
		st.machines++;
		for (unsigned long i = 0; i < flushes; i++)
			one_flush();
	}

	printf("linuxguest: seed %#lx, %lu machines (VP indexes: %s %lu, %s %lu, %s %lu), "
	       "%lu flushes\n",
	       seed, st.machines, vp_mode_name[0], st.by_mode[0], vp_mode_name[1], st.by_mode[1],
	       vp_mode_name[2], st.by_mode[2], st.flushes);
	printf("hypercalls: 0x0002 %lu, 0x0003 %lu, 0x0013 %lu, 0x0014 %lu; continuation calls "
	       "(rep start > 0) %lu after %lu partial completions\n",
	       st.calls[0], st.calls[1], st.calls[2], st.calls[3], st.continuations, st.partial);
	printf("agreements %lu; flush more than asked %lu (more VPs %lu, more pages %lu, more "
	       "address spaces %lu); lists filling the page exactly %lu\n",
	       st.agree, st.more, st.more_vps, st.more_pages, st.more_as, st.exact_page);
	printf("no hypercall %lu (no input page %lu, CPU without VP index %lu, Ex call not "
	       "recommended %lu, empty cpumask %lu)\n",
	       st.no_call, st.no_call_page, st.no_call_inval, st.no_call_ex, st.no_call_empty);
	printf("list one entry past the input page %lu (decoder refused it: over_page; Linux fell "
	       "back to IPIs)\n",
	       st.past_page);
	printf("failures %lu\n", st.failures);
	for (unsigned long i = 0; i < st.failures && i < 10; i++)
		printf("  %s\n", failure_text[i]);

	bool exercised = st.calls[0] && st.calls[1] && st.calls[2] && st.calls[3] &&
	                 st.continuations && st.past_page && st.more && st.no_call;
	if (!exercised && machines >= 2000 && flushes >= 30) {
		printf("FAIL: the run did not exercise every kind of call\n");
		return 1;
	}
	free(page);
	free(hv_map);
	return st.failures ? 1 : 0;
}
