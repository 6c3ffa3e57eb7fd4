/* SPDX-License-Identifier: MIT */
/*
 * bench/designs/mutex_seqlock.c - OpenVMM's current flush state,
 * re-implemented as a baseline.
 *
 * Per target VTL: a ring of 32 ranges with a count of ranges ever added
 * and an in-progress count, writers serialised by a pthread mutex, readers
 * lock-free in seqlock style: read the count, copy the new slots, then
 * check that the in-progress count moved less than the capacity past the
 * first slot read (otherwise a writer may have overwritten what was copied:
 * flush everything). Two u32 generation counters, flush-entire and
 * flush-entire-non-global, bumped without the mutex.
 *
 * Per VP: one byte of a packed array (the active VTL: 0, 1, or NONE when
 * outside the guest). Entry stores the VTL with seq_cst before polling,
 * exit stores NONE relaxed. Every entry/exit store dirties the line that
 * 63 other VPs' bytes share (trap T8).
 *
 * Wake: one seq_cst fence, then every VP of the set whose byte equals the
 * target VTL goes into a heap-allocated kick mask (OpenVMM builds a fresh
 * bit vector per call), one kick with cancel and wait. No dedupe between
 * initiators and no "already polled" check.
 *
 * Ordering: the VP's seq_cst byte store and its seq_cst load of the list
 * count (or a generation) against the initiator's record and seq_cst fence
 * is the store-buffering pair: the VP's poll sees the record or the
 * initiator sees the byte. (On x86 a seq_cst load is a plain load; in the
 * C11 model an acquire load would not be enough on the VP's side.)
 */
#define _POSIX_C_SOURCE 200809L
#include "design.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "tlbflush/vpset.h"

#define MS_CAP 32u /* ring capacity, a power of two */
#define MS_VTL_NONE 2u

struct ms_ring {
	_Alignas(64) pthread_mutex_t write_lock;
	_Alignas(64) _Atomic uint64_t count;       /* ranges ever added (published) */
	_Atomic uint64_t in_progress;              /* ranges ever started */
	_Atomic uint32_t entire;                   /* u32 generations */
	_Atomic uint32_t non_global;
	_Alignas(64) _Atomic uint64_t slot[MS_CAP];
};

struct ms_local {
	_Alignas(64) uint64_t count[TLBF_VTL_COUNT];
	uint32_t entire[TLBF_VTL_COUNT];
	uint32_t non_global[TLBF_VTL_COUNT];
	uint64_t overflows;
};

struct ms_design {
	struct design base;
	struct ms_ring *ring;            /* [TLBF_VTL_COUNT] */
	_Atomic uint8_t *active_vtl;     /* [nvps], packed */
	struct ms_local *local;          /* [nvps] */
};

static struct ms_design *ms(struct design *d)
{
	return (struct ms_design *)d;
}

static void ms_destroy(struct design *d)
{
	struct ms_design *m = ms(d);
	if (m->ring)
		for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
			pthread_mutex_destroy(&m->ring[v].write_lock);
	free(m->ring);
	free((void *)m->active_vtl);
	free(m->local);
	design_base_fini(d);
	free(m);
}

static struct design *ms_create(const struct design_config *cfg)
{
	struct ms_design *m = design_alloc(sizeof(*m));
	if (!m)
		return NULL;
	if (design_base_init(&m->base, &design_mutex_seqlock_ops, cfg) != 0) {
		free(m);
		return NULL;
	}
	m->ring = design_alloc(sizeof(*m->ring) * TLBF_VTL_COUNT);
	m->active_vtl = design_alloc(sizeof(*m->active_vtl) * cfg->nvps);
	m->local = design_alloc(sizeof(*m->local) * cfg->nvps);
	if (!m->ring || !m->active_vtl || !m->local) {
		free(m->ring);
		m->ring = NULL;
		ms_destroy(&m->base);
		return NULL;
	}
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++) {
		pthread_mutex_init(&m->ring[v].write_lock, NULL);
		atomic_init(&m->ring[v].count, 0);
		atomic_init(&m->ring[v].in_progress, 0);
		atomic_init(&m->ring[v].entire, 0);
		atomic_init(&m->ring[v].non_global, 0);
		for (unsigned i = 0; i < MS_CAP; i++)
			atomic_init(&m->ring[v].slot[i], 0);
	}
	for (uint32_t i = 0; i < cfg->nvps; i++)
		atomic_init(&m->active_vtl[i], (uint8_t)MS_VTL_NONE);
	return &m->base;
}

static struct design_token ms_record(struct design *d, uint32_t self,
                                     const struct tlbf_flush_request *req)
{
	struct ms_ring *r = &ms(d)->ring[req->target_vtl];
	struct design_token tok;
	tok.mark.kind = TLBF_MARK_KIND_NONE;
	tok.mark.value = 0;
	uint64_t ranges[MS_CAP];
	uint32_t n = req->range_count;
	tok.how = design_read_request(req, ranges, MS_CAP);
	switch (tok.how) {
	case DESIGN_REC_LIST: {
		DESIGN_STEP("ms:lock");
		pthread_mutex_lock(&r->write_lock);
		/* lock, in_progress, n slots, count, unlock */
		DESIGN_COUNT(DESIGN_COUNT_SHARED, 4 + (uint64_t)n);
		uint64_t c = atomic_load_explicit(&r->count, memory_order_relaxed);
		/* Announce the overwrite before doing it: a reader that copies
		 * one of our values sees this count (fence pairing below). */
		atomic_store_explicit(&r->in_progress, c + n, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
		DESIGN_STEP("ms:write");
		for (uint32_t i = 0; i < n; i++)
			atomic_store_explicit(&r->slot[(c + i) & (MS_CAP - 1)], ranges[i],
			                      memory_order_relaxed);
		DESIGN_STEP("ms:publish");
		atomic_store_explicit(&r->count, c + n, memory_order_release);
		pthread_mutex_unlock(&r->write_lock);
		break;
	}
	case DESIGN_REC_NON_GLOBAL:
		DESIGN_STEP("ms:gen");
		DESIGN_COUNT(DESIGN_COUNT_SHARED, 1);
		atomic_fetch_add_explicit(&r->non_global, 1, memory_order_release);
		break;
	case DESIGN_REC_EMPTY:
		break;
	default:
		DESIGN_STEP("ms:gen");
		DESIGN_COUNT(DESIGN_COUNT_SHARED, 1);
		atomic_fetch_add_explicit(&r->entire, 1, memory_order_release);
		break;
	}
	d->slot[self].st.recorded[tok.how]++;
	return tok;
}

static int ms_wake(struct design *d, uint32_t self, const struct tlbf_flush_request *req,
                   struct design_token tok)
{
	struct ms_design *m = ms(d);
	struct design_slot *s = &d->slot[self];
	(void)tok;
	s->st.wakes++;
	DESIGN_STEP("ms:fence");
	atomic_thread_fence(memory_order_seq_cst);
	uint64_t *mask = calloc(d->mask_words, sizeof(uint64_t));
	if (!mask) {
		s->st.errors++;
		return -1;
	}
	uint32_t n = 0;
	struct tlbf_vpset_iter it;
	uint32_t v;
	tlbf_vpset_iter_init(&it, &req->vps);
	while (tlbf_vpset_iter_next(&it, &v)) {
		if (v >= d->nvps)
			break;
		unsigned a = atomic_load_explicit(&m->active_vtl[v], memory_order_relaxed);
		if (a == req->target_vtl) {
			mask[v / 64] |= UINT64_C(1) << (v % 64);
			n++;
		} else {
			s->st.reasons[a == MS_VTL_NONE ? TLBF_WAKE_SKIP_OUTSIDE
			                               : TLBF_WAKE_SKIP_OTHER_VTL]++;
		}
	}
	return design_kick_heap_mask(d, s, mask, n);
}

static void ms_vp_start(struct design *d, uint32_t vp)
{
	struct ms_design *m = ms(d);
	struct ms_local *l = &m->local[vp];
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++) {
		struct ms_ring *r = &m->ring[v];
		l->entire[v] = atomic_load_explicit(&r->entire, memory_order_acquire);
		l->non_global[v] = atomic_load_explicit(&r->non_global, memory_order_acquire);
		l->count[v] = atomic_load_explicit(&r->count, memory_order_acquire);
	}
}

static void ms_vp_announce(struct design *d, uint32_t vp, unsigned vtl)
{
	DESIGN_STEP("ms:announce");
	DESIGN_COUNT(DESIGN_COUNT_SHARED, 1); /* a byte of a line of 64 VPs */
	atomic_store_explicit(&ms(d)->active_vtl[vp], (uint8_t)vtl, memory_order_seq_cst);
}

static struct tlbf_poll ms_vp_poll(struct design *d, uint32_t vp, unsigned vtl, uint64_t *out,
                                   uint32_t cap)
{
	struct ms_design *m = ms(d);
	struct ms_ring *r = &m->ring[vtl];
	struct ms_local *l = &m->local[vp];
	struct tlbf_poll p = {TLBF_POLL_NOTHING, 0};
	DESIGN_STEP("ms:poll");
	/* seq_cst: the VP's half of the store-buffering pair (see top). */
	uint32_t e = atomic_load_explicit(&r->entire, memory_order_seq_cst);
	uint32_t g = atomic_load_explicit(&r->non_global, memory_order_seq_cst);
	uint64_t c = atomic_load_explicit(&r->count, memory_order_seq_cst);
	if (e != l->entire[vtl]) {
		p.flags = TLBF_POLL_ENTIRE;
		goto everything;
	}
	if (g != l->non_global[vtl]) {
		p.flags |= TLBF_POLL_NON_GLOBAL;
		l->non_global[vtl] = g;
	}
	uint64_t start = l->count[vtl];
	uint64_t n = c - start;
	if (n == 0)
		return p;
	if (n > MS_CAP || n > cap) {
		l->overflows++;
		p.flags = TLBF_POLL_ENTIRE;
		goto everything;
	}
	for (uint64_t i = 0; i < n; i++) {
		DESIGN_STEP("ms:copy");
		out[i] = atomic_load_explicit(&r->slot[(start + i) & (MS_CAP - 1)], memory_order_relaxed);
	}
	/* Pairs with the writer's release fence: if we copied a value of a
	 * later lap, we see its in-progress count. */
	atomic_thread_fence(memory_order_acquire);
	uint64_t ip = atomic_load_explicit(&r->in_progress, memory_order_relaxed);
	if (ip - start > MS_CAP) {
		l->overflows++;
		p.flags = TLBF_POLL_ENTIRE;
		goto everything;
	}
	l->count[vtl] = c;
	p.flags |= TLBF_POLL_LIST;
	p.count = (uint32_t)n;
	return p;
everything:
	/* As OpenVMM does: every flush of everything is INVEPT, so a
	 * guest-physical request needs nothing of its own (it bumps entire). */
	p.flags |= TLBF_POLL_GPA;
	l->entire[vtl] = e;
	l->non_global[vtl] = g;
	l->count[vtl] = c;
	p.count = 0;
	return p;
}

static void ms_vp_exit(struct design *d, uint32_t vp)
{
	DESIGN_STEP("ms:exit");
	DESIGN_COUNT(DESIGN_COUNT_SHARED, 1);
	atomic_store_explicit(&ms(d)->active_vtl[vp], (uint8_t)MS_VTL_NONE, memory_order_relaxed);
}

static void ms_get_stats(const struct design *d, struct design_stats *st)
{
	const struct ms_design *m = (const struct ms_design *)d;
	for (uint32_t i = 0; i < d->nvps; i++)
		st->overflows += m->local[i].overflows;
}

const struct design_ops design_mutex_seqlock_ops = {
	.name = "mutex-seqlock",
	.summary = "OpenVMM's current: mutex writers, seqlock readers, packed active-VTL bytes",
	.create = ms_create,
	.destroy = ms_destroy,
	.record = ms_record,
	.wake = ms_wake,
	.vp_start = ms_vp_start,
	.vp_announce = ms_vp_announce,
	.vp_poll = ms_vp_poll,
	.vp_publish = design_vp_publish_nothing,
	.vp_exit = ms_vp_exit,
	.prepare_entry = NULL,
	.get_stats = ms_get_stats,
};
