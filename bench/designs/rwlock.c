/* SPDX-License-Identifier: MIT */
/*
 * bench/designs/rwlock.c - OpenVMM's original flush state, re-implemented
 * as a baseline.
 *
 * Per target VTL: a pthread rwlock around a deque of the most recent
 * ranges (at most 32), the count of ranges ever added and the two
 * flush-entire generations. Initiators take the write lock to record.
 * Every poll takes the read lock, even when nothing is new; when ranges
 * are new it copies them into a heap-allocated vector under the lock and
 * then, after unlocking, into the caller's buffer (the double copy). There
 * is no per-VP state: wake materialises the VP set into a heap-allocated
 * bitmap per call and kicks every VP of the set but the initiator, with
 * wait (too many wake-ups: VPs outside the guest, in another VTL or
 * already flushed are kicked too, and each kick cancels their next entry).
 *
 * Correct without VP state because the kick is the backend's cancel
 * signal: a VP whose poll missed the request either has its next entry
 * cancelled (and polls again) or is seen running and waited for.
 */
#define _POSIX_C_SOURCE 200809L
#include "design.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tlbflush/vpset.h"

#define RW_DEQUE 32u /* a power of two */

/* The shared flush state of one VTL; everything under @lock. */
struct rw_state {
	_Alignas(64) pthread_rwlock_t lock;
	uint64_t deque[RW_DEQUE]; /* ring buffer of the last RW_DEQUE ranges */
	uint32_t head;            /* index of the oldest */
	uint32_t len;             /* ranges held */
	uint64_t total;           /* ranges ever added */
	uint64_t entire;          /* flush-entire generation */
	uint64_t non_global;      /* flush-non-global generation */
	uint64_t gpa;             /* guest-physical generation */
};

/* A VP's last seen counters per VTL (VP thread only). */
struct rw_local {
	_Alignas(64) uint64_t total[TLBF_VTL_COUNT];
	uint64_t entire[TLBF_VTL_COUNT];
	uint64_t non_global[TLBF_VTL_COUNT];
	uint64_t gpa[TLBF_VTL_COUNT];
	uint64_t overflows;
};

struct rw_design {
	struct design base;
	struct rw_state *st;    /* [TLBF_VTL_COUNT] */
	struct rw_local *local; /* [nvps] */
};

static struct rw_design *rw(struct design *d)
{
	return (struct rw_design *)d;
}

static void rw_destroy(struct design *d)
{
	struct rw_design *r = rw(d);
	if (r->st)
		for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
			pthread_rwlock_destroy(&r->st[v].lock);
	free(r->st);
	free(r->local);
	design_base_fini(d);
	free(r);
}

static struct design *rw_create(const struct design_config *cfg)
{
	struct rw_design *r = design_alloc(sizeof(*r));
	if (!r)
		return NULL;
	if (design_base_init(&r->base, &design_rwlock_ops, cfg) != 0) {
		free(r);
		return NULL;
	}
	r->local = design_alloc(sizeof(*r->local) * cfg->nvps);
	r->st = design_alloc(sizeof(*r->st) * TLBF_VTL_COUNT);
	if (!r->st || !r->local) {
		free(r->st);
		r->st = NULL;
		rw_destroy(&r->base);
		return NULL;
	}
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++)
		pthread_rwlock_init(&r->st[v].lock, NULL);
	return &r->base;
}

/* The shared fields are plain memory under the lock; RW_READ and
 * RW_WRITE name each access for dsim's coherence ledger (nothing
 * elsewhere, see DESIGN_PLAIN_READ in hooks.h). */
#define RW_READ(x) DESIGN_PLAIN_READ(&(x), sizeof(x))
#define RW_WRITE(x) DESIGN_PLAIN_WRITE(&(x), sizeof(x))

/* Under the write lock: append one range, dropping the oldest if full. */
static void rw_push_locked(struct rw_state *s, uint64_t gla)
{
	RW_READ(s->len);
	RW_READ(s->head);
	if (s->len == RW_DEQUE) {
		RW_WRITE(s->head);
		s->head = (s->head + 1) & (RW_DEQUE - 1);
		s->len--;
	}
	RW_WRITE(s->deque[(s->head + s->len) & (RW_DEQUE - 1)]);
	s->deque[(s->head + s->len) & (RW_DEQUE - 1)] = gla;
	RW_WRITE(s->len);
	s->len++;
	RW_WRITE(s->total);
	s->total++;
}

static struct design_token rw_record(struct design *d, uint32_t self,
                                     const struct tlbf_flush_request *req)
{
	struct rw_state *s = &rw(d)->st[req->target_vtl];
	struct design_token tok;
	tok.mark.kind = TLBF_MARK_KIND_NONE;
	tok.mark.value = 0;
	uint64_t ranges[RW_DEQUE];
	uint32_t n = req->range_count;
	tok.how = design_read_request(req, ranges, RW_DEQUE);
	DESIGN_STEP("rw:lock");
	pthread_rwlock_wrlock(&s->lock);
	/* lock, the record (n ranges, or a generation), unlock */
	DESIGN_COUNT(DESIGN_COUNT_SHARED, 2 + (tok.how == DESIGN_REC_LIST ? (uint64_t)n : 1));
	switch (tok.how) {
	case DESIGN_REC_LIST:
		for (uint32_t i = 0; i < n; i++)
			rw_push_locked(s, ranges[i]);
		break;
	case DESIGN_REC_NON_GLOBAL:
		RW_WRITE(s->non_global);
		s->non_global++;
		break;
	case DESIGN_REC_EMPTY: break;
	case DESIGN_REC_GPA:
		RW_WRITE(s->gpa);
		s->gpa++;
		break;
	default:
		RW_WRITE(s->entire);
		s->entire++;
		break;
	}
	DESIGN_STEP("rw:unlock");
	pthread_rwlock_unlock(&s->lock);
	d->slot[self].st.recorded[tok.how]++;
	return tok;
}

static int rw_wake(struct design *d, uint32_t self, const struct tlbf_flush_request *req,
                   struct design_token tok)
{
	struct design_slot *s = &d->slot[self];
	(void)tok;
	s->st.wakes++;
	/* The VP set, materialised into a fresh heap bitmap every call. */
	size_t words = tlbf_vpset_mask_words(&req->vps);
	uint64_t *mask = calloc(words ? words : 1, sizeof(uint64_t));
	if (!mask) {
		s->st.errors++;
		return -1;
	}
	uint32_t n = 0;
	if (tlbf_vpset_write_mask(&req->vps, NULL, NULL, mask, words, &n) != TLBF_STATUS_OK)
		n = 0; /* never: the mask holds every VP of the partition */
	if (self < d->nvps && (mask[self / 64] >> (self % 64)) & 1) {
		mask[self / 64] &= ~(UINT64_C(1) << (self % 64));
		s->st.reasons[TLBF_WAKE_SKIP_INITIATOR]++;
		n--;
	}
	return design_kick_heap_mask(d, s, mask, n);
}

static void rw_vp_start(struct design *d, uint32_t vp)
{
	struct rw_design *r = rw(d);
	struct rw_local *l = &r->local[vp];
	for (unsigned v = 0; v < TLBF_VTL_COUNT; v++) {
		struct rw_state *s = &r->st[v];
		pthread_rwlock_rdlock(&s->lock);
		RW_READ(s->total);
		RW_READ(s->entire);
		RW_READ(s->non_global);
		RW_READ(s->gpa);
		l->total[v] = s->total;
		l->entire[v] = s->entire;
		l->non_global[v] = s->non_global;
		l->gpa[v] = s->gpa;
		pthread_rwlock_unlock(&s->lock);
	}
}

static void rw_vp_announce(struct design *d, uint32_t vp, unsigned vtl)
{
	/* No per-VP state: initiators kick the whole set. */
	(void)d;
	(void)vp;
	(void)vtl;
}

static struct tlbf_poll rw_vp_poll(struct design *d, uint32_t vp, unsigned vtl, uint64_t *out,
                                   uint32_t cap)
{
	struct rw_design *r = rw(d);
	struct rw_state *s = &r->st[vtl];
	struct rw_local *l = &r->local[vp];
	struct tlbf_poll p = {TLBF_POLL_NOTHING, 0};
	uint64_t *vec = NULL;
	uint64_t n = 0;
	DESIGN_STEP("rw:rdlock");
	pthread_rwlock_rdlock(&s->lock);
	DESIGN_COUNT(DESIGN_COUNT_SHARED, 2); /* the reader count, in and out */
	RW_READ(s->gpa);
	RW_READ(s->entire);
	RW_READ(s->non_global);
	RW_READ(s->total);
	if (s->gpa != l->gpa[vtl]) {
		p.flags = TLBF_POLL_ENTIRE | TLBF_POLL_GPA;
	} else if (s->entire != l->entire[vtl]) {
		p.flags = TLBF_POLL_ENTIRE;
	} else {
		if (s->non_global != l->non_global[vtl])
			p.flags |= TLBF_POLL_NON_GLOBAL;
		n = s->total - l->total[vtl];
		if (n)
			RW_READ(s->len);
		if (n > s->len) {
			/* Entries dropped from the deque before we saw them. */
			l->overflows++;
			p.flags = TLBF_POLL_ENTIRE;
		} else if (n) {
			/* First copy: out of the deque into a heap vector. */
			vec = malloc(n * sizeof(uint64_t));
			if (!vec) {
				p.flags = TLBF_POLL_ENTIRE;
			} else {
				uint32_t first = s->len - (uint32_t)n;
				RW_READ(s->head);
				for (uint32_t i = 0; i < n; i++) {
					RW_READ(s->deque[(s->head + first + i) & (RW_DEQUE - 1)]);
					vec[i] = s->deque[(s->head + first + i) & (RW_DEQUE - 1)];
				}
			}
		}
	}
	l->total[vtl] = s->total;
	l->entire[vtl] = s->entire;
	l->non_global[vtl] = s->non_global;
	l->gpa[vtl] = s->gpa;
	DESIGN_STEP("rw:rdunlock");
	pthread_rwlock_unlock(&s->lock);
	if (p.flags & TLBF_POLL_ENTIRE) {
		free(vec);
		return p;
	}
	if (vec) {
		if (n > cap) {
			p.flags = TLBF_POLL_ENTIRE;
		} else {
			/* Second copy: into the caller's buffer. */
			memcpy(out, vec, n * sizeof(uint64_t));
			p.flags |= TLBF_POLL_LIST;
			p.count = (uint32_t)n;
		}
		free(vec);
	}
	return p;
}

static void rw_vp_exit(struct design *d, uint32_t vp)
{
	(void)d;
	(void)vp;
}

static void rw_get_stats(const struct design *d, struct design_stats *st)
{
	const struct rw_design *r = (const struct rw_design *)d;
	for (uint32_t i = 0; i < d->nvps; i++)
		st->overflows += r->local[i].overflows;
}

const struct design_ops design_rwlock_ops = {
	.name = "rwlock",
	.summary = "OpenVMM's original: rwlock around a deque, double copy, kick the whole set",
	.create = rw_create,
	.destroy = rw_destroy,
	.record = rw_record,
	.wake = rw_wake,
	.vp_start = rw_vp_start,
	.vp_announce = rw_vp_announce,
	.vp_poll = rw_vp_poll,
	.vp_publish = design_vp_publish_nothing,
	.vp_exit = rw_vp_exit,
	.prepare_entry = NULL,
	.get_stats = rw_get_stats,
};
