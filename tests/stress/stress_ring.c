/* SPDX-License-Identifier: MIT */
/*
 * Threaded validator of the flush ring.
 *
 * Producers push batches of unique tagged ranges (tag = producer and a
 * per-producer sequence number, in the page number) and sometimes request
 * a flush-entire or non-global flush. After each request returns, the
 * producer appends a record of it (its tickets or its generation) to its
 * own history. Readers poll in a loop and, after every poll, check every
 * request that had completed before that poll began:
 *   - a list push: every one of its ranges was returned by this poll or an
 *     earlier one, or it was covered by a flush-everything answer. Such an
 *     answer covers every push that had claimed its tickets before the poll
 *     read the claim counter (tickets below the cursor it jumped to), not
 *     only completed ones;
 *   - a flush-entire (or a push that was promoted or degraded to one): the
 *     reader has answered flush-everything for that generation or a later
 *     one; a non-global flush: the same for the non-global generation.
 * Returned values must decode to a tag that was actually pushed.
 *
 * Options: --seconds S, --chaos (yield at labelled steps), --wrap (counters
 * start 100 below 2^64), --seed X.
 */
#include "stress_common.h"

#include <pthread.h>

#include "tlbflush/ring.h"

#define PRODUCERS 3
#define READERS 2
#define MAX_PUSHES (1u << 19)
#define MAX_SEQ (3u * MAX_PUSHES)
#define TAG_SHIFT 32

enum rec_kind { REC_LIST, REC_ENTIRE, REC_NON_GLOBAL };

struct push_rec {
	uint64_t value; /* end ticket, or generation */
	uint32_t seq;   /* first range's sequence number */
	uint8_t n;
	uint8_t kind;
};

struct producer {
	struct push_rec *hist;
	_Atomic uint64_t done;    /* records published (release) */
	_Atomic uint64_t issued;  /* ranges handed to push so far */
	uint64_t results[5];
	uint64_t entire_reqs, ng_reqs;
	unsigned id;
};

struct reader {
	uint8_t *seen[PRODUCERS]; /* bitmap per producer */
	uint64_t checked[PRODUCERS];
	uint64_t polls, answers_entire, answers_list, ranges, rereturned, overflows;
	unsigned id;
};

static struct tlbf_ring ring;
static struct producer prod[PRODUCERS];
static struct reader rdr[READERS];
static atomic_bool stop;
static struct stress_opts opts;

static uint64_t tag_range(unsigned p, uint64_t seq)
{
	return tlbf_hv_gva_make(((uint64_t)p << TAG_SHIFT) | seq, 0);
}

static void *producer_main(void *arg)
{
	struct producer *pr = arg;
	stress_seed_thread(opts.seed, pr->id);
	uint64_t seq = 0, npush = 0;
	while (!atomic_load_explicit(&stop, memory_order_relaxed) && npush < MAX_PUSHES &&
	       seq + 3 < MAX_SEQ) {
		struct push_rec rec;
		uint64_t dice = stress_rand() % 64;
		if (dice == 0) {
			struct tlbf_mark m = tlbf_ring_flush_entire(&ring);
			rec.kind = REC_ENTIRE;
			rec.value = m.value;
			rec.n = 0;
			rec.seq = 0;
			pr->entire_reqs++;
		} else if (dice == 1) {
			struct tlbf_mark m = tlbf_ring_flush_non_global(&ring);
			rec.kind = REC_NON_GLOBAL;
			rec.value = m.value;
			rec.n = 0;
			rec.seq = 0;
			pr->ng_reqs++;
		} else {
			uint64_t b[3];
			unsigned n = 1 + (unsigned)(stress_rand() % 3);
			for (unsigned i = 0; i < n; i++)
				b[i] = tag_range(pr->id, seq + i);
			/* One push in 8 ends in a range that is not canonical:
			 * the whole request must become a flush-entire. */
			if (opts.promote && (dice & 7) == 2)
				b[n - 1] = tlbf_hv_gva_make(UINT64_C(1) << 40, 0);
			atomic_store_explicit(&pr->issued, seq + n, memory_order_release);
			struct tlbf_push r = tlbf_ring_push(&ring, b, n, false);
			pr->results[r.result]++;
			rec.kind = r.mark.kind == TLBF_MARK_KIND_LIST ? REC_LIST : REC_ENTIRE;
			rec.value = r.mark.value;
			rec.n = (uint8_t)n;
			rec.seq = (uint32_t)seq;
			seq += n;
		}
		pr->hist[npush++] = rec;
		/* Publish the record only after the request returned. */
		atomic_store_explicit(&pr->done, npush, memory_order_release);
		if (stress_chaos && (stress_rand() & 15) == 0)
			sched_yield();
	}
	return NULL;
}

static void check_reader(struct reader *rd, const struct tlbf_cursor *c, uint64_t h_max,
                         const uint64_t *snap)
{
	for (unsigned p = 0; p < PRODUCERS; p++) {
		while (rd->checked[p] < snap[p]) {
			const struct push_rec *rec = &prod[p].hist[rd->checked[p]];
			if (rec->kind == REC_ENTIRE) {
				if (!tlbf__u64_reached(c->entire, rec->value))
					stress_fail("reader %u: flush-entire gen %llu of producer %u missed (cursor %llu)",
					            rd->id, (unsigned long long)rec->value, p,
					            (unsigned long long)c->entire);
			} else if (rec->kind == REC_NON_GLOBAL) {
				if (!tlbf__u64_reached(c->non_global, rec->value))
					stress_fail("reader %u: non-global gen %llu of producer %u missed", rd->id,
					            (unsigned long long)rec->value, p);
			} else if (!tlbf__u64_reached(h_max, rec->value)) {
				for (unsigned i = 0; i < rec->n; i++) {
					uint64_t s = rec->seq + i;
					if (!(rd->seen[p][s / 8] & (1u << (s % 8))))
						stress_fail("reader %u: range %u:%llu (tickets to %llu) lost; cursor %llu h_max %llu",
						            rd->id, p, (unsigned long long)s,
						            (unsigned long long)rec->value,
						            (unsigned long long)c->list,
						            (unsigned long long)h_max);
				}
			}
			rd->checked[p]++;
		}
	}
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	stress_seed_thread(opts.seed, 100 + rd->id);
	struct tlbf_cursor c;
	tlbf_ring_cursor_init(&ring, &c);
	uint64_t h_max = c.list; /* tickets below it are covered */
	uint64_t out[TLBF_RING_CAPACITY];
	uint64_t snap[PRODUCERS];
	for (;;) {
		bool last = atomic_load_explicit(&stop, memory_order_acquire);
		for (unsigned p = 0; p < PRODUCERS; p++)
			snap[p] = atomic_load_explicit(&prod[p].done, memory_order_acquire);
		struct tlbf_poll r = tlbf_ring_poll(&ring, &c, out, TLBF_RING_CAPACITY);
		rd->polls++;
		if (r.flags & TLBF_POLL_ENTIRE) {
			rd->answers_entire++;
			if (tlbf__u64_diff(c.list, h_max) > 0)
				h_max = c.list;
		}
		if (r.flags & TLBF_POLL_LIST) {
			rd->answers_list++;
			rd->ranges += r.count;
			for (uint32_t i = 0; i < r.count; i++) {
				uint64_t tag = tlbf__gva_page(out[i]);
				unsigned p = (unsigned)(tag >> TAG_SHIFT);
				uint64_t s = tag & ((UINT64_C(1) << TAG_SHIFT) - 1);
				if (p >= PRODUCERS || tlbf__gva_additional(out[i], false) != 0 ||
				    s >= atomic_load_explicit(&prod[p].issued, memory_order_acquire)) {
					stress_fail("reader %u: value %#llx was never pushed", rd->id,
					            (unsigned long long)out[i]);
					continue;
				}
				if (rd->seen[p][s / 8] & (1u << (s % 8)))
					rd->rereturned++; /* returned by an earlier poll too */
				rd->seen[p][s / 8] |= (uint8_t)(1u << (s % 8));
			}
		}
		check_reader(rd, &c, h_max, snap);
		if (last)
			break;
		if ((stress_rand() & 255) == 0) {
			/* Fall behind now and then, to exercise overflow. */
			struct timespec ts = {0, 50000};
			nanosleep(&ts, NULL);
		}
	}
	rd->overflows = c.overflows;
	return NULL;
}

int main(int argc, char **argv)
{
	stress_parse(argc, argv, &opts);
	if (opts.wrap)
		tlbf__ring_init_at(&ring, UINT64_MAX - 99);
	else
		tlbf_ring_init(&ring);
	pthread_t pt[PRODUCERS], rt[READERS];
	for (unsigned p = 0; p < PRODUCERS; p++) {
		prod[p].id = p;
		prod[p].hist = calloc(MAX_PUSHES, sizeof(struct push_rec));
		if (!prod[p].hist)
			return 1;
	}
	for (unsigned r = 0; r < READERS; r++) {
		rdr[r].id = r;
		for (unsigned p = 0; p < PRODUCERS; p++)
			if (!(rdr[r].seen[p] = calloc(MAX_SEQ / 8 + 1, 1)))
				return 1;
	}
	for (unsigned r = 0; r < READERS; r++)
		pthread_create(&rt[r], NULL, reader_main, &rdr[r]);
	for (unsigned p = 0; p < PRODUCERS; p++)
		pthread_create(&pt[p], NULL, producer_main, &prod[p]);
	double end = stress_now() + opts.seconds;
	while (stress_now() < end) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	for (unsigned p = 0; p < PRODUCERS; p++) {
		atomic_store(&stop, true);
		pthread_join(pt[p], NULL);
	}
	for (unsigned r = 0; r < READERS; r++)
		pthread_join(rt[r], NULL);

	uint64_t res[5] = {0}, ent = 0, ng = 0, polls = 0, oflow = 0, aent = 0, ranges = 0, checked = 0;
	uint64_t rereturned = 0;
	for (unsigned p = 0; p < PRODUCERS; p++) {
		for (unsigned i = 0; i < 5; i++)
			res[i] += prod[p].results[i];
		ent += prod[p].entire_reqs;
		ng += prod[p].ng_reqs;
	}
	for (unsigned r = 0; r < READERS; r++) {
		polls += rdr[r].polls;
		oflow += rdr[r].overflows;
		aent += rdr[r].answers_entire;
		ranges += rdr[r].ranges;
		rereturned += rdr[r].rereturned;
		for (unsigned p = 0; p < PRODUCERS; p++)
			checked += rdr[r].checked[p];
	}
	uint64_t pushes = res[0] + res[2] + res[3] + res[4];
	printf("stress_ring: capacity %d, %s%s%.1f s, seed %llu\n", TLBF_RING_CAPACITY,
	       opts.chaos ? "chaos, " : "", opts.wrap ? "wrap, " : "", opts.seconds,
	       (unsigned long long)opts.seed);
	printf("  pushes %llu (listed %llu, degraded %llu, lapped %llu, promoted %llu), "
	       "flush-entire %llu, non-global %llu\n",
	       (unsigned long long)pushes, (unsigned long long)res[0], (unsigned long long)res[3],
	       (unsigned long long)res[4], (unsigned long long)res[2], (unsigned long long)ent,
	       (unsigned long long)ng);
	printf("  polls %llu, flush-everything answers %llu (overflows %llu), ranges returned %llu "
	       "(%llu again), requests checked %llu\n",
	       (unsigned long long)polls, (unsigned long long)aent, (unsigned long long)oflow,
	       (unsigned long long)ranges, (unsigned long long)rereturned, (unsigned long long)checked);
	if (!tlbf_ring_valid(&ring))
		stress_fail("ring invariants broken at the end");
	if (checked == 0 || pushes == 0)
		stress_fail("nothing was checked");
	int f = atomic_load(&stress_failures);
	printf("%s: %d failures\n", f ? "FAILED" : "ok", f);
	return f ? 1 : 0;
}
