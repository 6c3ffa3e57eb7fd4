/* SPDX-License-Identifier: MIT */
/*
 * kvmdiff.c - the driver of the differential test: builds raw flush
 * hypercalls (valid and hostile, all four codes and a few others, fast and
 * memory-passed, on partitions with identity, permuted and sparse VP-index
 * maps), runs each through KVM 6.1's host code and through tlbflush's
 * decoder, and prints one line per distinct observation with its count.
 * check_kvmdiff.py matches the lines against the known differences.
 *
 *   kvmdiff [--calls N] [--seed S]
 *
 * Output (all on stdout, one record per line, fields key=value):
 *   kvmdiff kvm=VERSION calls=N seed=S
 *   map NAME nvcpus=N vp_bound=B            one per partition of the pool
 *   count call=C calls=N agree=N differ=N   per call code (C below)
 *   edge name=NAME tlbf=T kvm=K             the directed page-edge calls
 *   obs call=C fast=F place=P mis=0|1 rs=0|1 rsv=0|1 tlbf=T tkind=K kvm=K
 *       vps=R tset=S kset=S ranges=G allp=A ng=N map=M n=COUNT
 *       example=callINDEX:CONTROL (or edge0:CONTROL for a directed call)
 * where C is space|list|space_ex|list_ex|other, P where the input the
 * control value claims lies (fast: registers; page: within its page;
 * cross: past the page end; over: larger than a page), mis a misaligned
 * memory input, rs a non-zero rep start, rsv reserved control bits set,
 * T is ok or STATUS:rule,
 * K (kvm) is ok, STATUS or ud, R compares the VP sets when both accept
 * (same, more: tlbflush flushes a strict superset, fewer, other), S says
 * what a side flushes (all, none, some VPs of the partition), G checks
 * tlbflush's ranges against the input (listed: exactly the ranges from rep
 * start to rep count; wrong: anything else), A and N are the flags
 * ALL_PROCESSORS and NON_GLOBAL_MAPPINGS_ONLY as the guest wrote them and M
 * the kind of VP-index map. A field that does not apply is "-".
 *
 * Deterministic: a fixed seed, no clock, no threads.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmdiff.h"

/* TLFS encodings, written here from the specification (the test does not
 * take them from either side). */
#define HC_SPACE 0x0002u
#define HC_LIST 0x0003u
#define HC_SPACE_EX 0x0013u
#define HC_LIST_EX 0x0014u
#define CTL_FAST (UINT64_C(1) << 16)
#define CTL_VARHDR_SHIFT 17
#define CTL_REP_COUNT_SHIFT 32
#define CTL_REP_START_SHIFT 48
/* Control bits 27-31, 44-47 and 60-63. */
#define CTL_RESERVED (UINT64_C(0xf8000000) | (UINT64_C(0xf) << 44) | (UINT64_C(0xf) << 60))
#define F_ALL_PROCESSORS (UINT64_C(1) << 0)
#define F_ALL_SPACES (UINT64_C(1) << 1)
#define F_NON_GLOBAL (UINT64_C(1) << 2)
#define F_EXTENDED (UINT64_C(1) << 3)
#define F_USE_TARGET_VTL (UINT64_C(1) << 4)
#define F_TARGET_VTL0 (UINT64_C(1) << 8)
#define F_TARGET_VTL1 (UINT64_C(1) << 9)
#define SET_SPARSE 0u
#define SET_ALL 1u

/* ---- deterministic random numbers (splitmix64) ---- */
static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}
static uint32_t below(uint32_t n) /* 0 .. n-1 */
{
	return (uint32_t)(rnd() % n);
}
static int pct(unsigned p) /* true with probability p % */
{
	return below(100) < p;
}

/* ---- partitions ---- */
struct map {
	const char *kind; /* identity, permuted, sparse */
	struct kd_partition p;
	uint64_t present[KD_VP_WORDS]; /* VP indexes that some vCPU holds */
};
#define NMAPS 15
static struct map maps[NMAPS];

static void map_init(struct map *m, const char *kind, uint32_t n)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->p.nvcpus = n;
	for (uint32_t i = 0; i < n; i++)
		m->p.vp_index[i] = i;
	if (strcmp(kind, "permuted") == 0) {
		for (uint32_t i = n - 1; i > 0; i--) {
			uint32_t j = below(i + 1), t = m->p.vp_index[i];
			m->p.vp_index[i] = m->p.vp_index[j];
			m->p.vp_index[j] = t;
		}
	} else if (strcmp(kind, "sparse") == 0) {
		/* n distinct VP indexes out of 0..1023, in random vCPU order. */
		uint32_t pool[KD_MAX_VPS];
		for (uint32_t i = 0; i < KD_MAX_VPS; i++)
			pool[i] = i;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t j = i + below(KD_MAX_VPS - i), t = pool[i];
			pool[i] = pool[j];
			pool[j] = t;
			m->p.vp_index[i] = pool[i];
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v = m->p.vp_index[i];
		m->present[v / 64] |= UINT64_C(1) << (v % 64);
		if (v + 1 > m->p.vp_bound)
			m->p.vp_bound = v + 1;
	}
}

static void maps_init(void)
{
	static const uint32_t identity[] = {1, 2, 5, 64, 65, 200, 1024};
	static const uint32_t permuted[] = {3, 64, 100, 300};
	static const uint32_t sparse[] = {4, 40, 150, 700};
	unsigned k = 0;
	for (unsigned i = 0; i < sizeof(identity) / sizeof(identity[0]); i++)
		map_init(&maps[k++], "identity", identity[i]);
	for (unsigned i = 0; i < sizeof(permuted) / sizeof(permuted[0]); i++)
		map_init(&maps[k++], "permuted", permuted[i]);
	for (unsigned i = 0; i < sizeof(sparse) / sizeof(sparse[0]); i++)
		map_init(&maps[k++], "sparse", sparse[i]);
	if (k != NMAPS)
		abort();
}

/* ---- one call ---- */
struct gen {
	uint16_t code;
	int fast;
	uint64_t address_space, flags;
	uint64_t mask;                 /* non-Ex */
	uint64_t format, valid;        /* Ex */
	uint64_t banks[64];
	unsigned nbanks;
	unsigned varhdr, reps, start;
	uint64_t reserved;             /* reserved control bits */
	uint64_t ranges[4096];
	uint32_t offset;
	int next_mapped;
};

static int is_ex(uint16_t code)
{
	return code == HC_SPACE_EX || code == HC_LIST_EX;
}
static int is_list(uint16_t code)
{
	return code == HC_LIST || code == HC_LIST_EX;
}
static int is_flush(uint16_t code)
{
	return code == HC_SPACE || code == HC_LIST || code == HC_SPACE_EX || code == HC_LIST_EX;
}

/* A random 64-bit word of one of a few shapes. */
static uint64_t word(void)
{
	switch (below(5)) {
	case 0:
		return 0;
	case 1:
		return UINT64_MAX;
	case 2:
		return UINT64_C(1) << below(64);
	default:
		return rnd();
	}
}

static uint64_t gva_range(int extended)
{
	uint64_t page = rnd() >> 16 >> 12; /* mostly canonical lower half */
	uint64_t r = (page << 12) | below(extended ? 2048 : 4096);
	if (extended && pct(10))
		r |= UINT64_C(1) << 11; /* large page */
	return r;
}

/* A valid call of @code on @m (before any hostile change). */
static void gen_valid(struct gen *g, uint16_t code, const struct map *m)
{
	memset(g, 0, sizeof(*g));
	g->code = code;
	g->fast = pct(20);
	g->address_space = rnd();
	if (pct(15))
		g->flags |= F_ALL_PROCESSORS;
	if (pct(30))
		g->flags |= F_ALL_SPACES;
	if (!is_list(code) && pct(30))
		g->flags |= F_NON_GLOBAL;
	if (is_list(code) && pct(30))
		g->flags |= F_EXTENDED;
	if (pct(5))
		g->flags |= F_USE_TARGET_VTL | F_TARGET_VTL0;

	uint32_t last_bank = (m->p.vp_bound - 1) / 64;
	if (!is_ex(code)) {
		switch (below(10)) {
		case 0:
			g->mask = 0; /* the WS2012 case */
			break;
		case 1:
			g->mask = UINT64_MAX;
			break;
		default:
			g->mask = word() | (rnd() & rnd());
		}
	} else {
		g->format = pct(90) ? SET_SPARSE : SET_ALL;
		/* Banks: none, some of the partition's, or some past it. */
		unsigned want = pct(10) ? 0 : 1 + below(g->fast ? 3 : 6);
		uint32_t span = last_bank + 1 + (pct(20) ? 3 : 0);
		if (span > 64)
			span = 64;
		for (unsigned i = 0; i < want; i++)
			g->valid |= UINT64_C(1) << below(span);
		if (pct(3))
			g->valid |= UINT64_C(1) << (32 + below(32)); /* far past any VP */
		g->nbanks = (unsigned)__builtin_popcountll(g->valid);
		for (unsigned i = 0; i < g->nbanks; i++)
			g->banks[i] = word();
		g->varhdr = g->nbanks;
	}
	if (is_list(code)) {
		unsigned hdr = (is_ex(code) ? 4u : 3u) + g->varhdr;
		unsigned room = g->fast ? (hdr < KD_FAST_WORDS ? KD_FAST_WORDS - hdr : 1u)
		                        : KD_PAGE_WORDS - hdr;
		if (room == 0)
			room = 1;
		switch (below(10)) {
		case 0:
			g->reps = room; /* exactly full */
			break;
		case 1:
		case 2:
			g->reps = 1 + below(room);
			break;
		default:
			g->reps = 1 + below(room < 16 ? room : 16);
		}
		if (pct(15) && g->reps > 1)
			g->start = 1 + below(g->reps - 1);
		for (unsigned i = 0; i < g->reps; i++)
			g->ranges[i] = gva_range((g->flags & F_EXTENDED) != 0);
	}
	/* Placement of a memory-passed input inside its page. */
	unsigned need = ((is_ex(code) ? 4u : 3u) + g->varhdr + g->reps) * 8u;
	switch (below(10)) {
	case 0:
	case 1:
		g->offset = need <= KD_PAGE_BYTES ? 8u * below((KD_PAGE_BYTES - need) / 8u + 1u) : 0u;
		break;
	case 2:
		g->offset = need <= KD_PAGE_BYTES ? KD_PAGE_BYTES - need : 0u; /* ends at the page end */
		break;
	default:
		g->offset = 0;
	}
	g->next_mapped = pct(50);
}

/* Hostile changes, one per call that gets any. */
enum { H_RESERVED_CTL, H_VARHDR, H_REP_SIMPLE, H_REP_START, H_REP_ZERO, H_FLAGS_RESERVED,
       H_FLAG_NOT_ALLOWED, H_VTL_FORM, H_VTL_HIGHER, H_FORMAT, H_OVER_PAGE, H_MISALIGNED,
       H_CROSS, H_FAST_BIG, H_OTHER_CODE, H_COUNT };

static const uint16_t other_codes[] = {0x0001, 0x0004, 0x0012, 0x0016, 0x0050, 0x0099, 0x7fff};

static void hostile(struct gen *g, unsigned h)
{
	unsigned hdr = (is_ex(g->code) ? 4u : 3u) + g->varhdr;
	switch (h) {
	case H_RESERVED_CTL: {
		static const unsigned bits[] = {27, 28, 29, 30, 31, 44, 45, 46, 47, 60, 61, 62, 63};
		g->reserved |= UINT64_C(1) << bits[below(sizeof(bits) / sizeof(bits[0]))];
		break;
	}
	case H_VARHDR:
		if (!is_ex(g->code))
			g->varhdr = 1 + below(4);
		else if (pct(50))
			g->varhdr = g->varhdr + 1;
		else if (g->varhdr > 0)
			g->varhdr = g->varhdr - 1;
		else
			g->varhdr = below(1024);
		break;
	case H_REP_SIMPLE:
		if (!is_list(g->code)) {
			if (pct(50))
				g->reps = 1 + below(8);
			else
				g->start = 1 + below(8);
		}
		break;
	case H_REP_START:
		if (is_list(g->code))
			g->start = g->reps + below(8);
		break;
	case H_REP_ZERO:
		if (is_list(g->code)) {
			g->reps = 0;
			g->start = 0;
		}
		break;
	case H_FLAGS_RESERVED: {
		unsigned bit;
		do
			bit = below(64);
		while (bit <= 4 || bit == 8 || bit == 9);
		g->flags |= UINT64_C(1) << bit;
		break;
	}
	case H_FLAG_NOT_ALLOWED:
		g->flags |= is_list(g->code) ? F_NON_GLOBAL : F_EXTENDED;
		break;
	case H_VTL_FORM:
		g->flags &= ~(F_USE_TARGET_VTL | F_TARGET_VTL0 | F_TARGET_VTL1);
		switch (below(3)) {
		case 0:
			g->flags |= pct(50) ? F_TARGET_VTL0 : F_TARGET_VTL1;
			break;
		case 1:
			g->flags |= F_USE_TARGET_VTL;
			break;
		default:
			g->flags |= F_USE_TARGET_VTL | F_TARGET_VTL0 | F_TARGET_VTL1;
		}
		break;
	case H_VTL_HIGHER:
		g->flags &= ~(F_TARGET_VTL0 | F_TARGET_VTL1);
		g->flags |= F_USE_TARGET_VTL | F_TARGET_VTL1;
		break;
	case H_FORMAT:
		if (is_ex(g->code))
			g->format = pct(50) ? 2u + below(6) : rnd();
		break;
	case H_OVER_PAGE:
		if (is_list(g->code)) {
			unsigned min = KD_PAGE_WORDS - hdr + 1;
			g->reps = min + below(4096 - min);
			if (g->start >= g->reps)
				g->start = 0;
			for (unsigned i = 0; i < g->reps; i++)
				g->ranges[i] = gva_range((g->flags & F_EXTENDED) != 0);
		}
		break;
	case H_MISALIGNED:
		g->offset = (g->offset & ~7u) + 1 + below(7);
		if (g->offset >= KD_PAGE_BYTES)
			g->offset = KD_PAGE_BYTES - 8 + 1 + below(7);
		break;
	case H_CROSS: {
		unsigned need = (hdr + g->reps) * 8u;
		if (need > KD_PAGE_BYTES)
			need = KD_PAGE_BYTES;
		/* The last 8 .. need bytes spill into the next page. */
		g->offset = KD_PAGE_BYTES - need + 8u * (1 + below(need / 8u));
		if (g->offset >= KD_PAGE_BYTES)
			g->offset = KD_PAGE_BYTES - 8u;
		g->fast = 0;
		break;
	}
	case H_FAST_BIG:
		g->fast = 1;
		if (is_list(g->code)) {
			g->reps = KD_FAST_WORDS - (hdr < KD_FAST_WORDS ? hdr : KD_FAST_WORDS) + 1 + below(20);
			if (g->start >= g->reps)
				g->start = 0;
			for (unsigned i = 0; i < g->reps; i++)
				g->ranges[i] = gva_range((g->flags & F_EXTENDED) != 0);
		} else if (is_ex(g->code)) {
			while (g->nbanks < 11) {
				unsigned b = below(64);
				if (!(g->valid >> b & 1)) {
					g->valid |= UINT64_C(1) << b;
					g->nbanks++;
				}
			}
			for (unsigned i = 0; i < g->nbanks; i++)
				g->banks[i] = word();
			g->varhdr = g->nbanks;
		}
		break;
	case H_OTHER_CODE:
		g->code = other_codes[below(sizeof(other_codes) / sizeof(other_codes[0]))];
		break;
	}
}

/* Lay the call out as guest memory and registers. */
static void emit(const struct gen *g, struct kd_call *c)
{
	uint64_t words[4 + 1024 + 4096];
	unsigned n = 0;

	words[n++] = g->address_space;
	words[n++] = g->flags;
	if (!is_ex(g->code)) {
		words[n++] = g->mask;
	} else {
		words[n++] = g->format;
		words[n++] = g->valid;
		for (unsigned i = 0; i < g->nbanks; i++)
			words[n++] = g->banks[i];
	}
	for (unsigned i = 0; i < g->reps && i < 4096; i++)
		words[n++] = g->ranges[i];

	c->control = (uint64_t)g->code | (g->fast ? CTL_FAST : 0) |
	             ((uint64_t)(g->varhdr & 0x3ff) << CTL_VARHDR_SHIFT) |
	             ((uint64_t)(g->reps & 0xfff) << CTL_REP_COUNT_SHIFT) |
	             ((uint64_t)(g->start & 0xfff) << CTL_REP_START_SHIFT) | g->reserved;
	/* Memory: random bytes, then the words at the offset (cut at the end
	 * of the two pages). Registers: the first 14 words. */
	for (unsigned i = 0; i < 2 * KD_PAGE_WORDS; i++)
		(&c->mem[0][0])[i] = rnd();
	size_t room = 2u * KD_PAGE_BYTES - g->offset, bytes = (size_t)n * 8u;
	memcpy((unsigned char *)c->mem + g->offset, words, bytes < room ? bytes : room);
	for (unsigned i = 0; i < KD_FAST_WORDS; i++)
		c->fast[i] = i < n ? words[i] : rnd();
	c->offset = g->offset;
	c->next_mapped = g->next_mapped != 0;
}

/* ---- observation ---- */
#define EDGE_INDEX (~0ul) /* the example index of a directed call */
struct obs {
	char key[320];
	unsigned long n;
	unsigned long example;
	uint64_t example_control;
};
#define MAX_OBS 4096
static struct obs obs[MAX_OBS];
static unsigned nobs;

static void record(const char *key, unsigned long index, uint64_t control)
{
	for (unsigned i = 0; i < nobs; i++) {
		if (strcmp(obs[i].key, key) == 0) {
			obs[i].n++;
			return;
		}
	}
	if (nobs == MAX_OBS) {
		fprintf(stderr, "kvmdiff: more than %u kinds of observation\n", MAX_OBS);
		exit(2);
	}
	snprintf(obs[nobs].key, sizeof(obs[nobs].key), "%s", key);
	obs[nobs].n = 1;
	obs[nobs].example = index;
	obs[nobs].example_control = control;
	nobs++;
}

static const char *call_name(uint16_t code)
{
	switch (code) {
	case HC_SPACE: return "space";
	case HC_LIST: return "list";
	case HC_SPACE_EX: return "space_ex";
	case HC_LIST_EX: return "list_ex";
	}
	return "other";
}

struct counts {
	unsigned long calls, agree, differ;
};
static struct counts per_call[5];
static int counting; /* the directed calls are not counted */
static unsigned call_slot(uint16_t code)
{
	switch (code) {
	case HC_SPACE: return 0;
	case HC_LIST: return 1;
	case HC_SPACE_EX: return 2;
	case HC_LIST_EX: return 3;
	}
	return 4;
}

static const char *set_desc(const uint64_t *set, const uint64_t *present)
{
	int none = 1, all = 1;
	for (unsigned w = 0; w < KD_VP_WORDS; w++) {
		if (set[w] & present[w])
			none = 0;
		if ((set[w] & present[w]) != present[w])
			all = 0;
	}
	return none ? "none" : all ? "all" : "some";
}

/* Run one call through both sides; returns the tlbflush and KVM outcome
 * strings in @t and @k (for the directed calls). */
static void run_one(const struct map *m, struct kd_call *c, unsigned long index, char *t,
                    size_t tlen, char *k, size_t klen)
{
	static struct kd_kvm_result kr;
	static struct kd_tlbf_result tr;
	const uint16_t code = (uint16_t)(c->control & 0xffff);
	const int fast = (c->control & CTL_FAST) != 0;
	const unsigned varhdr = (unsigned)(c->control >> CTL_VARHDR_SHIFT) & 0x3ffu;
	const unsigned reps = (unsigned)(c->control >> CTL_REP_COUNT_SHIFT) & 0xfffu;
	const unsigned start = (unsigned)(c->control >> CTL_REP_START_SHIFT) & 0xfffu;
	const unsigned char *input = fast ? (const unsigned char *)c->fast
	                                  : (const unsigned char *)c->mem + c->offset;
	const size_t len = fast ? KD_FAST_WORDS * 8u : KD_PAGE_BYTES - c->offset;

	kd_tlbf_decode(c->control, input, len, m->p.vp_bound, &tr);
	kd_kvm61_hypercall(&m->p, c, &kr);

	/* Flags as the guest wrote them (word 1 of the input). */
	uint64_t flags;
	memcpy(&flags, input + 8, sizeof(flags));

	/* tlbflush's set, as VP indexes some vCPU holds. */
	uint64_t tset[KD_VP_WORDS], kset[KD_VP_WORDS];
	for (unsigned w = 0; w < KD_VP_WORDS; w++)
		tset[w] = tr.vps[w] & m->present[w];
	/* KVM's set: the VP indexes of the vCPUs it flushed. */
	memset(kset, 0, sizeof(kset));
	for (uint32_t i = 0; i < m->p.nvcpus; i++)
		if (kr.vcpus[i / 64] >> (i % 64) & 1) {
			uint32_t v = m->p.vp_index[i];
			kset[v / 64] |= UINT64_C(1) << (v % 64);
		}
	/* Anything tlbflush names beyond KD_MAX_VPS would be outside the
	 * partition: vp_bound <= 1024. */
	for (unsigned w = KD_VP_WORDS; w < KD_TLBF_WORDS; w++)
		if (tr.vps[w]) {
			fprintf(stderr, "kvmdiff: call %lu: VP >= %u in tlbflush's set\n", index,
			        KD_MAX_VPS);
			exit(2);
		}

	const int tok = tr.status == 0;
	const unsigned kstatus = (unsigned)(kr.result & 0xffff);
	const int kok = !kr.ud && kstatus == 0;

	const char *vps = "-";
	if (tok && kok) {
		int more = 0, fewer = 0;
		for (unsigned w = 0; w < KD_VP_WORDS; w++) {
			if (tset[w] & ~kset[w])
				more = 1;
			if (kset[w] & ~tset[w])
				fewer = 1;
		}
		vps = more && fewer ? "other" : more ? "more" : fewer ? "fewer" : "same";
	}
	const char *ranges = "-";
	if (tok) {
		if (is_list(code)) {
			unsigned hdr = (is_ex(code) ? 4u : 3u) + varhdr;
			const void *want = input + 8u * (hdr + start);
			ranges = tr.ranges == want && tr.range_count == reps - start ? "listed" : "wrong";
		} else if (tr.ranges != NULL || tr.range_count != 0) {
			ranges = "wrong";
		}
	}
	static const char *const kinds[] = {"-", "entire", "non_global", "list"};

	char tbuf[64], kbuf[32], key[320];
	if (tok)
		snprintf(tbuf, sizeof(tbuf), "ok");
	else
		snprintf(tbuf, sizeof(tbuf), "%u:%s", (unsigned)tr.status, tr.rule);
	if (kr.ud)
		snprintf(kbuf, sizeof(kbuf), "ud");
	else if (kok)
		snprintf(kbuf, sizeof(kbuf), "ok");
	else
		snprintf(kbuf, sizeof(kbuf), "%u", kstatus);
	/* Where the input lies: in registers, within its page, across the
	 * page end, or larger than a page (memory-passed claims only). */
	const char *place = "-";
	if (is_flush(code)) {
		size_t claim = 8u * ((is_ex(code) ? 4u : 3u) + varhdr + reps);
		place = fast ? "fast" : claim > KD_PAGE_BYTES ? "over" : claim > len ? "cross" : "page";
	}
	snprintf(key, sizeof(key),
	         "call=%s fast=%d place=%s mis=%d rs=%d rsv=%d tlbf=%s tkind=%s kvm=%s vps=%s "
	         "tset=%s kset=%s ranges=%s allp=%s ng=%s map=%s",
	         call_name(code), fast, place, !fast && (c->offset & 7u) != 0, start != 0,
	         (c->control & CTL_RESERVED) != 0, tbuf, tok ? kinds[tr.kind] : "-", kbuf, vps,
	         tok ? set_desc(tset, m->present) : "-", kok ? set_desc(kset, m->present) : "-",
	         ranges, is_flush(code) ? (flags & F_ALL_PROCESSORS ? "1" : "0") : "-",
	         is_flush(code) ? (flags & F_NON_GLOBAL ? "1" : "0") : "-", m->kind);
	record(key, index, c->control);
	if (t)
		snprintf(t, tlen, "%s", tbuf);
	if (k)
		snprintf(k, klen, "%s", kbuf);

	/* Agreement: the same status and, when both accept, the same VPs and
	 * the same effect (KVM 6.1 always flushes everything). */
	int agree = tok == kok && (tok ? strcmp(vps, "same") == 0 && tr.kind == KD_ENTIRE
	                               : tr.status == kstatus && !kr.ud);
	struct counts *pc = &per_call[call_slot(code)];
	if (!counting)
		return;
	pc->calls++;
	if (agree)
		pc->agree++;
	else
		pc->differ++;
}

/* ---- the directed calls at the page edge ---- */
static struct kd_call call;

static void edge(const char *name, const struct gen *g)
{
	char t[64], k[32];
	emit(g, &call);
	run_one(&maps[3], &call, EDGE_INDEX, t, sizeof(t), k, sizeof(k));
	printf("edge name=%s offset=%u next_mapped=%d tlbf=%s kvm=%s\n", name, g->offset,
	       g->next_mapped, t, k);
}

static void edges(void)
{
	struct gen g;
	memset(&g, 0, sizeof(g));
	g.code = HC_SPACE;
	g.mask = 0xf;
	/* 24 bytes ending exactly at the page end, then one word past it. */
	g.offset = KD_PAGE_BYTES - 24;
	g.next_mapped = 1;
	edge("space_ends_at_page_end", &g);
	g.offset = KD_PAGE_BYTES - 16;
	edge("space_crosses_next_mapped", &g);
	g.next_mapped = 0;
	edge("space_crosses_next_unmapped", &g);
	/* Misaligned and crossing: the alignment rule comes first. */
	g.offset = KD_PAGE_BYTES - 12;
	g.next_mapped = 1;
	edge("space_misaligned_crosses", &g);
	/* ListEx: header and banks in the page, the last range past it. */
	memset(&g, 0, sizeof(g));
	g.code = HC_LIST_EX;
	g.valid = 0x1;
	g.nbanks = 1;
	g.varhdr = 1;
	g.banks[0] = 0x3;
	g.reps = 4;
	for (unsigned i = 0; i < g.reps; i++)
		g.ranges[i] = (UINT64_C(0x1000) + i) << 12;
	g.offset = KD_PAGE_BYTES - 8u * (5 + 4);
	g.next_mapped = 1;
	edge("list_ex_ends_at_page_end", &g);
	g.offset += 8;
	edge("list_ex_ranges_cross", &g);
	/* A claim larger than any page. */
	g.reps = KD_PAGE_WORDS - 5 + 1;
	g.offset = 0;
	edge("list_ex_over_page", &g);
}

int main(int argc, char **argv)
{
	unsigned long calls = 20000;
	uint64_t seed = UINT64_C(0x7f1b5eed);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
			calls = strtoul(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: kvmdiff [--calls N] [--seed S]\n");
			return 2;
		}
	}
	rng_state = seed;
	maps_init();
	printf("kvmdiff kvm=%s calls=%lu seed=%#" PRIx64 "\n", kd_kvm61_version(), calls, seed);
	for (unsigned i = 0; i < NMAPS; i++)
		printf("map %s nvcpus=%u vp_bound=%u\n", maps[i].kind, maps[i].p.nvcpus,
		       maps[i].p.vp_bound);
	edges();
	counting = 1;

	static const uint16_t codes[] = {HC_SPACE, HC_LIST, HC_SPACE_EX, HC_LIST_EX};
	static struct gen g;
	for (unsigned long i = 0; i < calls; i++) {
		const struct map *m = &maps[below(NMAPS)];
		gen_valid(&g, codes[i % 4], m);
		/* Half the calls stay valid; the others get one hostile change,
		 * one in five of those a second one. */
		if (pct(50)) {
			hostile(&g, below(H_COUNT));
			if (pct(20))
				hostile(&g, below(H_COUNT));
		}
		emit(&g, &call);
		run_one(m, &call, i, NULL, 0, NULL, 0);
	}

	static const char *const slots[] = {"space", "list", "space_ex", "list_ex", "other"};
	for (unsigned s = 0; s < 5; s++)
		printf("count call=%s calls=%lu agree=%lu differ=%lu\n", slots[s], per_call[s].calls,
		       per_call[s].agree, per_call[s].differ);
	for (unsigned i = 0; i < nobs; i++)
		printf("obs %s n=%lu example=%s%lu:%#" PRIx64 "\n", obs[i].key, obs[i].n,
		       obs[i].example == EDGE_INDEX ? "edge" : "call",
		       obs[i].example == EDGE_INDEX ? 0ul : obs[i].example, obs[i].example_control);
	return 0;
}
