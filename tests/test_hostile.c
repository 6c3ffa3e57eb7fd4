/* SPDX-License-Identifier: MIT */
/*
 * Hostile arguments to every public function of the building-block tier:
 * NULL pointers, VP indexes at the VP count and UINT32_MAX, VTLs at
 * TLBF_VTL_COUNT and 255, short storage, plans not begun or already sent,
 * a partition tlbf_partition_init() refused, backends without operations,
 * unknown enum values. Each test checks the documented refusal (or safe
 * answer) and that nothing shared changed: the partition's rings, every VP
 * state line, the TLB-lock state and the mock's state (its VPs and its
 * log) are compared byte for byte before and after.
 *
 * Also the lost flush of 0.2: a wake plan whose masks are shorter than the
 * partition is refused before any VP is moved to EXITING.
 *
 * Built with TLBF_STATS=1, so that the counting of refused calls runs on
 * the hostile arguments too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

/* The counters are compiled in. */
#ifndef TLBF_STATS
#define TLBF_STATS 1
#endif

#include "tlbflush/tlbflush.h"
#include "tlbflush/mock_backend.h"
#include "tlbflush/oracle.h"

#define NVP 8
#define BIG 128
#define LIST_CAP 64
static struct tlbf_vp vps[BIG];
static struct tlbf_tlb_lock_vp lvps[BIG];
static struct tlbf_partition pt;
static struct tlbf_vp vps_nl[NVP];
static struct tlbf_partition pt_nolock;
static struct tlbf_partition refused; /* tlbf_partition_init() refused it */
static struct tlbf_mock_vp mvps[BIG];
static struct tlbf_mock_log_entry mlog[512];
static struct tlbf_mock mock;
static struct tlbf_backend be;
static struct tlbf_entry e[BIG];
static uint64_t list[BIG][LIST_CAP];
static struct tlbf_stats st;

/* Backends missing what calls need. */
static const struct tlbf_backend_ops no_ops_at_all = {NULL, NULL, NULL, NULL, NULL};
static struct tlbf_backend be_null_ops, be_empty;

/* Everything shared, as bytes. */
struct shared {
	struct tlbf_ring rings[TLBF_VTL_COUNT];
	struct tlbf_vp vps[BIG];
	struct tlbf_tlb_lock_vp lvps[BIG];
	struct tlbf_vp vps_nl[NVP];
	struct tlbf_mock_vp mvps[BIG];
	struct tlbf_mock_log_entry mlog[512];
	struct tlbf_mock mock;
	struct tlbf_partition pt, pt_nolock, refused;
};
static struct shared before, after;

static void snap(struct shared *s)
{
	memcpy(s->rings, pt.rings, sizeof(s->rings));
	memcpy(s->vps, vps, sizeof(vps));
	memcpy(s->lvps, lvps, sizeof(lvps));
	memcpy(s->vps_nl, vps_nl, sizeof(vps_nl));
	memcpy(s->mvps, mvps, sizeof(mvps));
	memcpy(s->mlog, mlog, sizeof(mlog));
	memcpy(&s->mock, &mock, sizeof(mock));
	memcpy(&s->pt, &pt, sizeof(pt));
	memcpy(&s->pt_nolock, &pt_nolock, sizeof(pt_nolock));
	memcpy(&s->refused, &refused, sizeof(refused));
}

/* Take the snapshot the next unchanged() compares with. */
static void save(void)
{
	snap(&before);
}

/* Nothing shared changed since save(); says what did if something did. */
static void unchanged_at(int line)
{
	snap(&after);
#define CMP(f)                                                                  \
	if (memcmp(&before.f, &after.f, sizeof(before.f)) != 0)                  \
		fail_msg("line %d: " #f " changed", line);
	CMP(rings);
	CMP(vps);
	CMP(lvps);
	CMP(vps_nl);
	CMP(mvps);
	CMP(mlog);
	CMP(mock);
	CMP(pt);
	CMP(pt_nolock);
	CMP(refused);
#undef CMP
}
#define unchanged() unchanged_at(__LINE__)

static int setup_n(uint32_t n)
{
	memset(&refused, 0x77, sizeof(refused));
	if (tlbf_partition_init(&refused, vps, lvps, TLBF_MAX_VPS + 1) != TLBF_STATUS_BAD_VP_COUNT)
		return -1;
	if (tlbf_partition_init(&pt, vps, lvps, n) != TLBF_STATUS_OK)
		return -1;
	if (tlbf_partition_init(&pt_nolock, vps_nl, NULL, NVP) != TLBF_STATUS_OK)
		return -1;
	tlbf_mock_init(&mock, mvps, n, mlog, 512);
	be = tlbf_mock_backend(&mock);
	be_null_ops.ops = NULL;
	be_null_ops.ctx = &mock;
	be_empty.ops = &no_ops_at_all;
	be_empty.ctx = &mock;
	tlbf_stats_init(&st);
	memset(e, 0, sizeof(e));
	for (uint32_t i = 0; i < n; i++)
		if (tlbf_entry_init(&e[i], &pt, &be, i, list[i], LIST_CAP, NULL) != TLBF_STATUS_OK)
			return -1;
	/* State worth protecting: VP 1 in the guest of VTL 0, VP 2 in VTL
	 * 1's (or 0's), VP 3 cancelled with a flush pending, a range and a
	 * flush-entire recorded, VP 4 holding VTL0's lock, VP 5 waiting for
	 * it asleep. */
	uint64_t r = tlbf_hv_gva_make(0x42, 1);
	(void)tlbf_ring_push(&pt.rings[0], &r, 1, false);
	if (tlbf_entry_prepare(&e[1], 0) != TLBF_STATUS_OK ||
	    tlbf_entry_prepare(&e[2], TLBF_VTL_COUNT - 1) != TLBF_STATUS_OK)
		return -1;
	(void)tlbf_ring_flush_entire(&pt.rings[0]);
	tlbf__store(&mvps[3].cancel, 1, TLBF_RELAXED);
	if (tlbf_entry_prepare(&e[3], 0) != TLBF_STATUS_OK)
		return -1;
	if (tlbf_mock_enter(&mock, 3, 0) || tlbf_entry_done(&e[3], false) != TLBF_STATUS_OK)
		return -1;
	if (tlbf_tlb_lock(&pt, 4, 1, 0) != TLBF_STATUS_OK)
		return -1;
	if (tlbf_tlb_lock_wait_begin(&pt, 5, 0, NULL) != TLBF_STATUS_SUSPEND ||
	    !tlbf_tlb_lock_must_wait(&pt, 5))
		return -1;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_n(NVP);
}

static int setup_big(void **state)
{
	(void)state;
	return setup_n(BIG);
}

static const uint32_t bad_vps[] = {NVP, UINT32_MAX};
static const unsigned bad_vtls[] = {TLBF_VTL_COUNT, 255};
/* Requesting VTLs that cannot take a lock (VTL2, the paravisor, can, even
 * in a build whose partitions have two VTLs). */
static const unsigned bad_requesting[] = {TLBF_TLB_LOCK_MAX_VTL + 1, 255};

/* A decoded Space request on every VP, from VP 0. */
static struct tlbf_flush_request space_request(uint32_t vp_count)
{
	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	assert_int_equal(tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_ENTIRE, 0, vp_count),
	                 TLBF_STATUS_OK);
	req.call = TLBF_HVCALL_FLUSH_VA_SPACE;
	return req;
}

static void test_tlbf_partition_init(void **state)
{
	(void)state;
	static struct tlbf_vp other[NVP];
	static struct tlbf_tlb_lock_vp other_locks[NVP];
	static struct tlbf_partition p2;
	memset(other, 0x5a, sizeof(other));
	memset(other_locks, 0x5a, sizeof(other_locks));
	static unsigned char pattern_vps[sizeof(other)], pattern_locks[sizeof(other_locks)];
	memcpy(pattern_vps, other, sizeof(other));
	memcpy(pattern_locks, other_locks, sizeof(other_locks));
	struct tlbf_ring rings_pattern[TLBF_VTL_COUNT];
	memset(&p2, 0x5a, sizeof(p2));
	memcpy(rings_pattern, p2.rings, sizeof(rings_pattern));
	save();
	assert_int_equal(tlbf_partition_init(NULL, other, other_locks, NVP), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_partition_init(&p2, NULL, other_locks, NVP), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(p2.vp_count, 0);
	assert_null(p2.vps);
	assert_null(p2.locks);
	assert_int_equal(tlbf_partition_init(&p2, NULL, NULL, NVP), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_partition_init(&p2, other, other_locks, 0), TLBF_STATUS_BAD_VP_COUNT);
	assert_int_equal(tlbf_partition_init(&p2, other, other_locks, (uint32_t)TLBF_MAX_VPS + 1),
	                 TLBF_STATUS_BAD_VP_COUNT);
	assert_int_equal(tlbf_partition_init(&p2, other, other_locks, UINT32_MAX),
	                 TLBF_STATUS_BAD_VP_COUNT);
	assert_int_equal(tlbf_partition_init(&p2, NULL, NULL, 0), TLBF_STATUS_BAD_VP_COUNT);
	assert_int_equal(p2.vp_count, 0);
	/* Nothing else written: the rings, the VP lines, the lock state. */
	assert_memory_equal(p2.rings, rings_pattern, sizeof(rings_pattern));
	assert_memory_equal(other, pattern_vps, sizeof(other));
	assert_memory_equal(other_locks, pattern_locks, sizeof(other_locks));
	unchanged();
	/* The refused partition has no VP: every operation refuses it. */
	assert_int_equal(refused.vp_count, 0);
	assert_null(refused.vps);
}

static void test_tlbf_flush_record(void **state)
{
	(void)state;
	struct tlbf_flush_request req = space_request(NVP);
	struct tlbf_push out, pattern;
	memset(&out, 0x5a, sizeof(out));
	pattern = out;
	save();
	assert_int_equal(tlbf_flush_record(&pt, &req, NULL), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_flush_record(NULL, &req, &out), TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_flush_record(&refused, &req, &out), TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_flush_record(&pt, NULL, &out), TLBF_STATUS_BAD_REQUEST);
	for (size_t i = 0; i < 2; i++) {
		struct tlbf_flush_request bad = req;
		bad.target_vtl = (uint8_t)bad_vtls[i];
		assert_int_equal(tlbf_flush_record(&pt, &bad, &out), TLBF_STATUS_BAD_REQUEST);
	}
	struct tlbf_flush_request bad = req;
	bad.kind = TLBF_FLUSH_KIND_GPA + 1;
	assert_int_equal(tlbf_flush_record(&pt, &bad, &out), TLBF_STATUS_BAD_REQUEST);
	bad.kind = 255;
	assert_int_equal(tlbf_flush_record(&pt, &bad, &out), TLBF_STATUS_BAD_REQUEST);
	bad = req;
	bad.kind = TLBF_FLUSH_KIND_LIST;
	bad.ranges = NULL;
	bad.range_count = 3;
	assert_int_equal(tlbf_flush_record(&pt, &bad, &out), TLBF_STATUS_BAD_REQUEST);
	assert_memory_equal(&out, &pattern, sizeof(out));
	unchanged();
	/* A list of no range is recorded as nothing. */
	bad.range_count = 0;
	assert_int_equal(tlbf_flush_record(&pt, &bad, &out), TLBF_STATUS_OK);
	assert_int_equal(out.result, TLBF_PUSH_RESULT_EMPTY);
	assert_int_equal(out.mark.kind, TLBF_MARK_KIND_NONE);
	unchanged();
}

static void test_tlbf_flush_plan(void **state)
{
	(void)state;
	struct tlbf_flush_request req = space_request(NVP);
	uint64_t kick[1], wait[1];
	struct tlbf_wake_plan pl;
	memset(&pl, 0, sizeof(pl));
	struct tlbf_mark m = {TLBF_MARK_KIND_ENTIRE, tlbf__load(&pt.rings[0].entire, TLBF_RELAXED)};
	save();
	assert_int_equal(tlbf_flush_plan(NULL, &req.vps, 0), TLBF_STATUS_BAD_SEQUENCE);
	/* Never begun (all-zero storage), and a begin that was refused. */
	assert_int_equal(tlbf_flush_plan(&pl, &req.vps, 0), TLBF_STATUS_BAD_SEQUENCE);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, kick, wait, 0, 0, m), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_flush_plan(&pl, &req.vps, 0), TLBF_STATUS_BAD_SEQUENCE);
	unchanged();
	/* Begun: a NULL set is refused with nothing decided. */
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, kick, wait, 1, 0, m), TLBF_STATUS_OK);
	assert_int_equal(tlbf_flush_plan(&pl, NULL, 0), TLBF_STATUS_BAD_REQUEST);
	assert_int_equal(pl.ndecided, 0);
	unchanged();
	/* Initiators out of range are "no VP": done, locks ignored. */
	assert_int_equal(tlbf_flush_plan(&pl, &req.vps, UINT32_MAX), TLBF_STATUS_LOCKS_IGNORED);
	assert_int_equal(pl.ndecided, NVP);
	assert_int_equal(tlbf_wake_send(&pl, &be, NULL), TLBF_STATUS_OK);
	/* Already sent. */
	save();
	assert_int_equal(tlbf_flush_plan(&pl, &req.vps, 0), TLBF_STATUS_BAD_SEQUENCE);
	assert_int_equal(pl.ndecided, NVP);
	unchanged();
}

static void test_tlbf_flush_handle(void **state)
{
	(void)state;
	struct tlbf_flush_request req = space_request(NVP);
	static struct tlbf_flush_outcome o;
	save();
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, 0, &st, NULL), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_flush_handle(NULL, &be, &req, 0, &st, &o), TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_flush_handle(&refused, &be, &req, 0, &st, &o), TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_flush_handle(&pt, &be, NULL, 0, &st, &o), TLBF_STATUS_BAD_REQUEST);
	assert_int_equal(tlbf_flush_handle(NULL, NULL, NULL, 0, &st, &o), TLBF_STATUS_BAD_PARTITION);
	for (size_t i = 0; i < 2; i++) {
		struct tlbf_flush_request bad = req;
		bad.target_vtl = (uint8_t)bad_vtls[i];
		assert_int_equal(tlbf_flush_handle(&pt, &be, &bad, 0, &st, &o), TLBF_STATUS_BAD_REQUEST);
	}
	struct tlbf_flush_request bad = req;
	bad.kind = 77;
	assert_int_equal(tlbf_flush_handle(&pt, &be, &bad, 0, &st, &o), TLBF_STATUS_BAD_REQUEST);
	bad = req;
	bad.vps.vp_count = NVP + 1; /* decoded for a larger partition */
	assert_int_equal(tlbf_flush_handle(&pt, &be, &bad, 0, &st, &o), TLBF_STATUS_BAD_REQUEST);
	assert_int_equal(tlbf_flush_handle(&pt, NULL, &req, 0, &st, &o), TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(tlbf_flush_handle(&pt, &be_null_ops, &req, 0, &st, &o),
	                 TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(tlbf_flush_handle(&pt, &be_empty, &req, 0, &st, &o), TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(o.push.result, TLBF_PUSH_RESULT_EMPTY);
	assert_int_equal(o.plan.ndecided, 0);
	unchanged();
	assert_true(tlbf_stats_get(&st, TLBF_STAT_REFUSED) == (TLBF_STATS ? 11 : 0));
	assert_true(tlbf_stats_get(&st, TLBF_STAT_REQ_SPACE_ENTIRE) == 0);
}

static void test_tlbf_flush_request_vmm(void **state)
{
	(void)state;
	struct tlbf_flush_request req, pattern;
	memset(&req, 0x5a, sizeof(req));
	pattern = req;
	assert_int_equal(tlbf_flush_request_vmm(NULL, TLBF_FLUSH_KIND_GPA, 0, NVP),
	                 TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_LIST, 0, NVP),
	                 TLBF_STATUS_BAD_REQUEST);
	assert_int_equal(tlbf_flush_request_vmm(&req, (enum tlbf_flush_kind)99, 0, NVP),
	                 TLBF_STATUS_BAD_REQUEST);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_GPA, bad_vtls[i], NVP),
		                 TLBF_STATUS_BAD_VTL);
	assert_int_equal(tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_GPA, 0, 0),
	                 TLBF_STATUS_BAD_VP_COUNT);
	assert_int_equal(tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_GPA, 0, TLBF_MAX_VPS + 1),
	                 TLBF_STATUS_BAD_VP_COUNT);
	assert_int_equal(tlbf_flush_request_vmm(&req, TLBF_FLUSH_KIND_GPA, 0, UINT32_MAX),
	                 TLBF_STATUS_BAD_VP_COUNT);
	assert_memory_equal(&req, &pattern, sizeof(req));
}

static void test_tlbf_wake_plan_begin(void **state)
{
	(void)state;
	uint64_t words[4];
	memset(words, 0x5a, sizeof(words));
	struct tlbf_wake_plan pl;
	memset(&pl, 0, sizeof(pl));
	struct tlbf_mark m = {TLBF_MARK_KIND_ENTIRE, tlbf__load(&pt.rings[0].entire, TLBF_RELAXED)};
	save();
	assert_int_equal(tlbf_wake_plan_begin(NULL, &pt, &words[1], &words[2], 1, 0, m),
	                 TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_wake_plan_begin(&pl, NULL, &words[1], &words[2], 1, 0, m),
	                 TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &refused, &words[1], &words[2], 1, 0, m),
	                 TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, NULL, &words[2], 1, 0, m),
	                 TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, &words[1], NULL, 1, 0, m),
	                 TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, &words[1], &words[2], 0, 0, m),
	                 TLBF_STATUS_BAD_STORAGE);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, &words[1], &words[2], 1, bad_vtls[i], m),
		                 TLBF_STATUS_BAD_VTL);
	struct tlbf_mark bad = m;
	bad.kind = (enum tlbf_mark_kind)(TLBF_MARK_KIND_GPA + 1);
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, &words[1], &words[2], 1, 0, bad),
	                 TLBF_STATUS_BAD_REQUEST);
	bad.kind = (enum tlbf_mark_kind)99;
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, &words[1], &words[2], 1, 0, bad),
	                 TLBF_STATUS_BAD_REQUEST);
	/* Left not begun; the masks not touched. */
	assert_int_equal(tlbf_wake_decide(&pl, 1, 0, NULL), TLBF_STATUS_BAD_SEQUENCE);
	for (unsigned i = 0; i < 4; i++)
		assert_true(words[i] == UINT64_C(0x5a5a5a5a5a5a5a5a));
	unchanged();
}

static void test_tlbf_wake_decide(void **state)
{
	(void)state;
	uint64_t kick[1], wait[1];
	struct tlbf_wake_plan pl;
	memset(&pl, 0, sizeof(pl));
	struct tlbf_mark m = tlbf_ring_flush_entire(&pt.rings[0]);
	enum tlbf_wake d = TLBF_WAKE__COUNT;
	save();
	assert_int_equal(tlbf_wake_decide(NULL, 1, 0, &d), TLBF_STATUS_BAD_SEQUENCE);
	assert_int_equal(tlbf_wake_decide(&pl, 1, 0, &d), TLBF_STATUS_BAD_SEQUENCE); /* not begun */
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, kick, wait, 1, 0, m), TLBF_STATUS_OK);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(tlbf_wake_decide(&pl, bad_vps[i], 0, &d), TLBF_STATUS_BAD_VP);
	assert_int_equal(d, TLBF_WAKE__COUNT);
	assert_int_equal(pl.ndecided, 0);
	assert_true(kick[0] == 0 && wait[0] == 0);
	unchanged(); /* VP 1 is still in the guest, not EXITING */
	assert_int_equal(tlbf_wake_decide(&pl, 1, UINT32_MAX, &d), TLBF_STATUS_OK);
	assert_int_equal(d, TLBF_WAKE_KICK);
	assert_int_equal(tlbf_wake_send(&pl, &be, NULL), TLBF_STATUS_OK);
	save();
	d = TLBF_WAKE__COUNT;
	assert_int_equal(tlbf_wake_decide(&pl, 2, 0, &d), TLBF_STATUS_BAD_SEQUENCE); /* sent */
	assert_int_equal(d, TLBF_WAKE__COUNT);
	unchanged();
}

static void test_tlbf_wake_send(void **state)
{
	(void)state;
	uint64_t kick[1], wait[1];
	struct tlbf_wake_plan pl;
	memset(&pl, 0, sizeof(pl));
	struct tlbf_mark m = tlbf_ring_flush_entire(&pt.rings[0]);
	int rc = 12345;
	save();
	assert_int_equal(tlbf_wake_send(NULL, &be, &rc), TLBF_STATUS_BAD_SEQUENCE);
	assert_int_equal(tlbf_wake_send(&pl, &be, &rc), TLBF_STATUS_BAD_SEQUENCE); /* not begun */
	unchanged();
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, kick, wait, 1, 0, m), TLBF_STATUS_OK);
	assert_int_equal(tlbf_wake_decide(&pl, 1, 0, NULL), TLBF_STATUS_OK); /* VP 1: KICK */
	save();
	assert_int_equal(tlbf_wake_send(&pl, NULL, &rc), TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(tlbf_wake_send(&pl, &be_null_ops, &rc), TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(tlbf_wake_send(&pl, &be_empty, &rc), TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(rc, 12345);
	unchanged(); /* no cancel sent */
	/* Still begun: a backend with a kick sends it. */
	assert_int_equal(tlbf_wake_send(&pl, &be, &rc), TLBF_STATUS_OK);
	assert_int_equal(rc, 0);
	assert_true(tlbf__load(&mvps[1].cancel, TLBF_RELAXED) == 1);
	save();
	rc = 12345;
	assert_int_equal(tlbf_wake_send(&pl, &be, &rc), TLBF_STATUS_BAD_SEQUENCE); /* sent */
	assert_int_equal(rc, 12345);
	unchanged();
}

static void test_tlbf_entry_init(void **state)
{
	(void)state;
	struct tlbf_entry x, pattern;
	memset(&x, 0x5a, sizeof(x));
	pattern = x;
	uint64_t buf[4];
	save();
	assert_int_equal(tlbf_entry_init(NULL, &pt, &be, 6, buf, 4, NULL), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_entry_init(&x, &pt, &be, 6, NULL, 4, NULL), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_entry_init(&x, NULL, &be, 6, buf, 4, NULL), TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_entry_init(&x, &refused, &be, 6, buf, 4, NULL),
	                 TLBF_STATUS_BAD_PARTITION);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(tlbf_entry_init(&x, &pt, &be, bad_vps[i], buf, 4, NULL),
		                 TLBF_STATUS_BAD_VP);
	assert_int_equal(tlbf_entry_init(&x, &pt, NULL, 6, buf, 4, NULL), TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(tlbf_entry_init(&x, &pt, &be_null_ops, 6, buf, 4, NULL),
	                 TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(tlbf_entry_init(&x, &pt, &be_empty, 6, buf, 4, NULL),
	                 TLBF_STATUS_BAD_BACKEND);
	assert_memory_equal(&x, &pattern, sizeof(x));
	unchanged();
	/* No list buffer at all is allowed: every list becomes LINEAR. */
	assert_int_equal(tlbf_entry_init(&x, &pt, &be, 6, NULL, 0, NULL), TLBF_STATUS_OK);
}

static void test_tlbf_entry_prepare(void **state)
{
	(void)state;
	struct tlbf_entry zero, copy;
	memset(&zero, 0, sizeof(zero));
	save();
	assert_int_equal(tlbf_entry_prepare(NULL, 0), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_entry_prepare(&zero, 0), TLBF_STATUS_BAD_STORAGE); /* not set up */
	copy = e[6];
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(tlbf_entry_prepare(&e[6], bad_vtls[i]), TLBF_STATUS_BAD_VTL);
	assert_memory_equal(&copy, &e[6], sizeof(copy));
	unchanged(); /* nothing announced, nothing polled */
}

static void test_tlbf_entry_done(void **state)
{
	(void)state;
	save();
	assert_int_equal(tlbf_entry_done(NULL, true), TLBF_STATUS_BAD_STORAGE);
	struct tlbf_entry copy = e[6];
	assert_int_equal(tlbf_entry_done(&e[6], true), TLBF_STATUS_BAD_SEQUENCE); /* not prepared */
	assert_int_equal(tlbf_entry_done(&e[6], false), TLBF_STATUS_BAD_SEQUENCE);
	assert_int_equal(tlbf_entry_done(&e[3], true), TLBF_STATUS_BAD_SEQUENCE); /* done already */
	assert_memory_equal(&copy, &e[6], sizeof(copy));
	unchanged();
	/* A prepared one is done once. */
	assert_int_equal(tlbf_entry_done(&e[1], false), TLBF_STATUS_OK);
	save();
	assert_int_equal(tlbf_entry_done(&e[1], false), TLBF_STATUS_BAD_SEQUENCE);
	unchanged();
}

static void test_tlbf_tlb_lock(void **state)
{
	(void)state;
	save();
	assert_int_equal(tlbf_tlb_lock(NULL, 0, 1, 0), TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_tlb_lock(&refused, 0, 1, 0), TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_tlb_lock(&pt_nolock, 0, 1, 0), TLBF_STATUS_NO_LOCKS);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(tlbf_tlb_lock(&pt, bad_vps[i], 1, 0), TLBF_STATUS_BAD_VP);
		assert_int_equal(tlbf_tlb_lock(&pt, 0, 2, bad_vtls[i]), TLBF_STATUS_BAD_VTL);
		assert_int_equal(tlbf_tlb_lock(&pt, 0, bad_requesting[i], 0), TLBF_STATUS_BAD_VTL);
	}
	assert_int_equal(tlbf_tlb_lock(&pt, 0, 0, 0), TLBF_STATUS_BAD_VTL); /* not below */
	assert_int_equal(tlbf_tlb_lock(&pt, 0, 1, 1), TLBF_STATUS_BAD_VTL);
	assert_int_equal(tlbf_tlb_lock(&pt, 0, 3, 0), TLBF_STATUS_BAD_VTL); /* above VTL2 */
	assert_int_equal(tlbf_tlb_lock(&pt, 0, 1, TLBF_TLB_UNLOCK_ALL), TLBF_STATUS_BAD_VTL);
	unchanged();
}

static void test_tlbf_tlb_unlock(void **state)
{
	(void)state;
	save();
	assert_int_equal(tlbf_tlb_unlock(NULL, &be, 4, 1, 0), TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_tlb_unlock(&refused, &be, 4, 1, 0), TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_tlb_unlock(&pt_nolock, &be, 4, 1, 0), TLBF_STATUS_NO_LOCKS);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(tlbf_tlb_unlock(&pt, &be, bad_vps[i], 1, 0), TLBF_STATUS_BAD_VP);
		/* 255 is TLBF_TLB_UNLOCK_ALL: the largest target that is not one
		 * is 254. */
		assert_int_equal(tlbf_tlb_unlock(&pt, &be, 4, 1, i ? 254u : TLBF_VTL_COUNT),
		                 TLBF_STATUS_BAD_VTL);
		assert_int_equal(tlbf_tlb_unlock(&pt, &be, 4, bad_requesting[i], 0), TLBF_STATUS_BAD_VTL);
		assert_int_equal(tlbf_tlb_unlock(&pt, &be, 4, bad_requesting[i], TLBF_TLB_UNLOCK_ALL),
		                 TLBF_STATUS_BAD_VTL);
	}
	assert_int_equal(tlbf_tlb_unlock(&pt, &be, 4, 0, TLBF_TLB_UNLOCK_ALL), TLBF_STATUS_BAD_VTL);
	assert_int_equal(tlbf_tlb_unlock(&pt, &be, 4, 3, TLBF_TLB_UNLOCK_ALL), TLBF_STATUS_BAD_VTL);
	assert_int_equal(tlbf_tlb_unlock(&pt, &be, 4, 1, 1), TLBF_STATUS_BAD_VTL);
	/* VP 4's release would wake VP 5: a backend that cannot wake. */
	assert_int_equal(tlbf_tlb_unlock(&pt, NULL, 4, 1, 0), TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(tlbf_tlb_unlock(&pt, &be_null_ops, 4, 1, 0), TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(tlbf_tlb_unlock(&pt, &be_empty, 4, 1, 0), TLBF_STATUS_BAD_BACKEND);
	assert_int_equal(tlbf_tlb_unlock(&pt, &be_empty, 4, 1, TLBF_TLB_UNLOCK_ALL),
	                 TLBF_STATUS_BAD_BACKEND);
	unchanged(); /* still held, VP 5 still waits, nobody woken */
	assert_int_equal(tlbf_tlb_unlock(&pt, &be, 4, 1, 0), TLBF_STATUS_OK);
	assert_true(tlbf_mock_take_wake(&mock, 5));
}

static void test_tlbf_tlb_lock_wait_begin(void **state)
{
	(void)state;
	save();
	assert_int_equal(tlbf_tlb_lock_wait_begin(NULL, 0, 0, NULL), TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&refused, 0, 0, NULL), TLBF_STATUS_BAD_PARTITION);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt_nolock, 0, 0, NULL), TLBF_STATUS_NO_LOCKS);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, bad_vps[i], 0, NULL), TLBF_STATUS_BAD_VP);
		assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 0, bad_vtls[i], NULL), TLBF_STATUS_BAD_VTL);
	}
	unchanged();
	/* A set naming VPs past the partition: they are ignored. */
	struct tlbf_vpset s;
	tlbf_vpset_init_mask(&s, UINT64_MAX, 64);
	assert_int_equal(tlbf_tlb_lock_wait_begin(&pt, 0, 0, &s), TLBF_STATUS_SUSPEND);
	assert_true(tlbf_tlb_lock_waiting(&pt, 0, 0) == 1);
}

static void test_tlbf_tlb_lock_must_wait(void **state)
{
	(void)state;
	save();
	assert_false(tlbf_tlb_lock_must_wait(NULL, 5));
	assert_false(tlbf_tlb_lock_must_wait(&refused, 5));
	assert_false(tlbf_tlb_lock_must_wait(&pt_nolock, 5));
	for (size_t i = 0; i < 2; i++)
		assert_false(tlbf_tlb_lock_must_wait(&pt, bad_vps[i]));
	unchanged();
}

static void test_tlbf_tlb_lock_held(void **state)
{
	(void)state;
	save();
	assert_true(tlbf_tlb_lock_held(&pt, 4, 0) == 2);
	assert_true(tlbf_tlb_lock_held(NULL, 4, 0) == 0);
	assert_true(tlbf_tlb_lock_held(&refused, 4, 0) == 0);
	assert_true(tlbf_tlb_lock_held(&pt_nolock, 4, 0) == 0);
	for (size_t i = 0; i < 2; i++) {
		assert_true(tlbf_tlb_lock_held(&pt, bad_vps[i], 0) == 0);
		assert_true(tlbf_tlb_lock_held(&pt, 4, bad_vtls[i]) == 0);
	}
	unchanged();
}

static void test_tlbf_tlb_lock_waiting(void **state)
{
	(void)state;
	save();
	assert_true(tlbf_tlb_lock_waiting(&pt, 5, 0) == 1);
	assert_true(tlbf_tlb_lock_waiting(NULL, 5, 0) == 0);
	assert_true(tlbf_tlb_lock_waiting(&refused, 5, 0) == 0);
	assert_true(tlbf_tlb_lock_waiting(&pt_nolock, 5, 0) == 0);
	for (size_t i = 0; i < 2; i++) {
		assert_true(tlbf_tlb_lock_waiting(&pt, bad_vps[i], 0) == 0);
		assert_true(tlbf_tlb_lock_waiting(&pt, 5, bad_vtls[i]) == 0);
	}
	unchanged();
}

static void test_tlbf_ring_push(void **state)
{
	(void)state;
	save();
	/* n = 0: nothing recorded (the ranges are not read). */
	struct tlbf_push p = tlbf_ring_push(&pt.rings[0], NULL, 0, false);
	assert_int_equal(p.result, TLBF_PUSH_RESULT_EMPTY);
	assert_int_equal(p.mark.kind, TLBF_MARK_KIND_NONE);
	unchanged();
	/* n above the capacity: a flush-entire, no ticket claimed, no slot
	 * written, no range read past... the first capacity + 1. */
	static uint64_t many[TLBF_RING_CAPACITY + 1];
	for (unsigned i = 0; i <= TLBF_RING_CAPACITY; i++)
		many[i] = tlbf_hv_gva_make(i, 0);
	p = tlbf_ring_push(&pt.rings[0], many, TLBF_RING_CAPACITY + 1, false);
	assert_int_equal(p.result, TLBF_PUSH_RESULT_PROMOTED);
	assert_int_equal(p.why, TLBF_PUSH_WHY_TOO_MANY);
	assert_int_equal(p.mark.kind, TLBF_MARK_KIND_ENTIRE);
	tlbf__store(&before.rings[0].entire, tlbf__load(&before.rings[0].entire, TLBF_RELAXED) + 1,
	            TLBF_RELAXED);
	tlbf__store(&before.pt.rings[0].entire,
	            tlbf__load(&before.pt.rings[0].entire, TLBF_RELAXED) + 1, TLBF_RELAXED);
	assert_true(p.mark.value == tlbf__load(&before.rings[0].entire, TLBF_RELAXED));
	unchanged(); /* only the flush-entire generation moved */
	assert_true(tlbf_ring_valid(&pt.rings[0]));
}

static void test_tlbf_ring_poll(void **state)
{
	(void)state;
	struct tlbf_cursor c, c2;
	tlbf_ring_cursor_init(&pt.rings[0], &c);
	uint64_t r = tlbf_hv_gva_make(7, 0);
	(void)tlbf_ring_push(&pt.rings[0], &r, 1, false);
	save();
	/* cap 0 with a list pending: flush everything, nothing written out. */
	struct tlbf_poll p = tlbf_ring_poll(&pt.rings[0], &c, NULL, 0);
	assert_int_equal(p.flags, TLBF_POLL_ENTIRE);
	assert_int_equal(p.count, 0);
	assert_true(c.overflows == 1);
	assert_false(tlbf_ring_pending(&pt.rings[0], &c));
	/* cap 0 with nothing new: nothing. */
	c2 = c;
	p = tlbf_ring_poll(&pt.rings[0], &c, NULL, 0);
	assert_int_equal(p.flags, TLBF_POLL_NOTHING);
	assert_memory_equal(&c, &c2, sizeof(c));
	unchanged(); /* a poll stores nothing shared */
}

static void test_tlbf_vpset_parse(void **state)
{
	(void)state;
	struct tlbf_vpset s, pattern;
	memset(&s, 0x5a, sizeof(s));
	pattern = s;
	const uint64_t set[4] = {TLBF_HV_GENERIC_SET_SPARSE_4K, 0x3, 1, 2};
	/* Short: no header, or fewer bank words than the mask names. */
	assert_int_equal(tlbf_vpset_parse(&s, set, 0, NVP), TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(tlbf_vpset_parse(&s, NULL, 0, NVP), TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(tlbf_vpset_parse(&s, set, 1, NVP), TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(tlbf_vpset_parse(&s, set, 3, NVP), TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	const uint64_t all_short[2] = {TLBF_HV_GENERIC_SET_ALL, 0x1};
	assert_int_equal(tlbf_vpset_parse(&s, all_short, 2, NVP),
	                 TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	/* Bad format. */
	const uint64_t fmt[3] = {2, 0x1, 1};
	assert_int_equal(tlbf_vpset_parse(&s, fmt, 3, NVP), TLBF_HV_STATUS_INVALID_PARAMETER);
	const uint64_t fmt2[3] = {UINT64_MAX, 0, 0};
	assert_int_equal(tlbf_vpset_parse(&s, fmt2, 3, NVP), TLBF_HV_STATUS_INVALID_PARAMETER);
	assert_memory_equal(&s, &pattern, sizeof(s));
	/* A VP count of 0 or past the build's limit is clamped, not trusted. */
	assert_int_equal(tlbf_vpset_parse(&s, set, 4, UINT32_MAX), TLBF_HV_STATUS_SUCCESS);
	assert_false(tlbf_vpset_contains(&s, TLBF_MAX_VPS));
	assert_false(tlbf_vpset_contains(&s, UINT32_MAX));
}

static void test_tlbf_vpset_write_mask(void **state)
{
	(void)state;
	struct tlbf_vpset s;
	tlbf_vpset_init_all(&s, 130);
	uint64_t mask[4];
	memset(mask, 0x5a, sizeof(mask));
	uint32_t sel = 77;
	assert_int_equal(tlbf_vpset_write_mask(&s, NULL, NULL, mask, 2, &sel), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_vpset_write_mask(&s, NULL, NULL, mask, 0, &sel), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_vpset_write_mask(&s, NULL, NULL, NULL, 64, &sel), TLBF_STATUS_BAD_STORAGE);
	for (unsigned i = 0; i < 4; i++)
		assert_true(mask[i] == UINT64_C(0x5a5a5a5a5a5a5a5a));
	assert_int_equal(sel, 77);
	assert_int_equal(tlbf_vpset_write_mask(&s, NULL, NULL, mask, 3, &sel), TLBF_STATUS_OK);
	assert_int_equal(sel, 130);
	assert_true(mask[2] == 3 && mask[3] == UINT64_C(0x5a5a5a5a5a5a5a5a));
}

static void test_tlbf_hypercall_decode(void **state)
{
	(void)state;
	struct tlbf_flush_request req, pattern;
	memset(&req, 0x5a, sizeof(req));
	pattern = req;
	enum tlbf_hypercall_rule rule;
	const uint64_t space = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0);
	const uint64_t listc = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST, false, 0, 2, 0);
	/* NULL input: length 0, or a length it claims. */
	assert_int_equal(tlbf_hypercall_decode(space, NULL, 0, NVP, 0, &req, &rule),
	                 TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(rule, TLBF_HYPERCALL_RULE_INPUT_SHORT);
	assert_int_equal(tlbf_hypercall_decode(listc, NULL, 0, NVP, 0, &req, &rule),
	                 TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	/* VP count 0, past the build's limit, UINT32_MAX. */
	const uint64_t in[3] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0};
	const uint32_t counts[3] = {0, TLBF_MAX_VPS + 1, UINT32_MAX};
	for (unsigned i = 0; i < 3; i++) {
		rule = TLBF_HYPERCALL_RULE_OK;
		assert_int_not_equal(tlbf_hypercall_decode(space, in, sizeof(in), counts[i], 0, &req, &rule),
		                     TLBF_HV_STATUS_SUCCESS);
		assert_int_equal(rule, TLBF_HYPERCALL_RULE_VP_COUNT);
	}
	/* Caller VTL out of range. */
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(tlbf_hypercall_decode(space, in, sizeof(in), NVP, bad_vtls[i], &req, &rule),
		                 TLBF_HV_STATUS_INVALID_PARAMETER);
		assert_int_equal(rule, TLBF_HYPERCALL_RULE_VTL_UNSUPPORTED);
	}
	/* A NULL rule pointer is allowed. */
	assert_int_equal(tlbf_hypercall_decode(space, NULL, 0, NVP, 0, &req, NULL),
	                 TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_memory_equal(&req, &pattern, sizeof(req));
}

static void test_tlbf_hypercall_result(void **state)
{
	(void)state;
	const enum tlbf_hv_status sts[3] = {TLBF_HV_STATUS_SUCCESS, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT,
	                                    TLBF_HV_STATUS_INVALID_PARAMETER};
	const unsigned counts[5] = {0, 1, 2, 100, 4095};
	const unsigned starts[6] = {0, 1, 2, 101, 4094, 4095};
	for (unsigned s = 0; s < 3; s++)
		for (unsigned c = 0; c < 5; c++)
			for (unsigned k = 0; k < 6; k++) {
				uint64_t control =
				    tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST, false, 0, counts[c], starts[k]);
				uint64_t res = tlbf_hypercall_result(control, sts[s]);
				uint64_t done = (res >> 32) & 0xfff;
				assert_true((res & 0xffff) == sts[s]);
				assert_true(done <= counts[c]); /* never more than asked for */
				assert_true(done == (sts[s] == TLBF_HV_STATUS_SUCCESS
				                         ? counts[c]
				                         : (starts[k] < counts[c] ? starts[k] : counts[c])));
				assert_true((res & UINT64_C(0xffff0000)) == 0 && res >> 44 == 0);
			}
	/* Rep start past rep count: refused by decode, reported as the count. */
	uint64_t control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_LIST, false, 0, 3, 9);
	enum tlbf_hv_status st2 = tlbf_hypercall_decode(control, NULL, 0, NVP, 0, NULL, NULL);
	assert_int_equal(st2, TLBF_HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_true((tlbf_hypercall_result(control, st2) >> 32) == 3);
}

static void test_tlbf_stats_get(void **state)
{
	(void)state;
	tlbf__stat_add(&st, TLBF_STAT_ENTRIES, 3);
	struct tlbf_stats copy = st;
	assert_true(tlbf_stats_get(&st, TLBF_STAT__COUNT) == 0);
	assert_true(tlbf_stats_get(&st, (enum tlbf_stat)(TLBF_STAT__COUNT + 1)) == 0); /* internal */
	assert_true(tlbf_stats_get(&st, (enum tlbf_stat)-1) == 0);
	assert_true(tlbf_stats_get(&st, (enum tlbf_stat)INT32_MAX) == 0);
	assert_memory_equal(&copy, &st, sizeof(st));
}

static void test_tlbf_stats_name(void **state)
{
	(void)state;
	assert_string_equal(tlbf_stats_name(TLBF_STAT__COUNT), "?");
	assert_string_equal(tlbf_stats_name((enum tlbf_stat)-1), "?");
	assert_string_equal(tlbf_stats_name((enum tlbf_stat)INT32_MAX), "?");
}

static unsigned export_calls;
static void count_export(void *ctx, const char *name, uint64_t v)
{
	(void)ctx;
	(void)v;
	assert_non_null(name);
	export_calls++;
}

static void test_tlbf_stats_export(void **state)
{
	(void)state;
	export_calls = 0;
	tlbf_stats_export(NULL, 5, count_export, NULL); /* NULL srcs: zeros */
	assert_int_equal(export_calls, TLBF_STAT__COUNT);
	const struct tlbf_stats *const srcs[2] = {NULL, NULL};
	tlbf_stats_export(srcs, 2, count_export, NULL);
	assert_int_equal(export_calls, 2 * TLBF_STAT__COUNT);
	const struct tlbf_stats *const one[1] = {&st};
	struct tlbf_stats copy = st;
	tlbf_stats_export(one, 1, NULL, NULL); /* NULL fn: nothing called */
	assert_int_equal(export_calls, 2 * TLBF_STAT__COUNT);
	assert_memory_equal(&copy, &st, sizeof(st));
}

static void test_tlbf_status_name(void **state)
{
	(void)state;
	for (int s = 0; s < TLBF_STATUS__COUNT; s++)
		assert_string_not_equal(tlbf_status_name((enum tlbf_status)s), "?");
	assert_string_equal(tlbf_status_name(TLBF_STATUS__COUNT), "?");
	assert_string_equal(tlbf_status_name((enum tlbf_status)-1), "?");
	assert_string_equal(tlbf_status_name((enum tlbf_status)1000), "?");
}

static void test_tlbf_wake_name(void **state)
{
	(void)state;
	for (int w = 0; w < TLBF_WAKE__COUNT; w++)
		assert_string_not_equal(tlbf_wake_name((enum tlbf_wake)w), "?");
	assert_string_equal(tlbf_wake_name(TLBF_WAKE__COUNT), "?");
	assert_string_equal(tlbf_wake_name((enum tlbf_wake)-1), "?");
	assert_string_equal(tlbf_wake_name((enum tlbf_wake)1000), "?");
}

static void test_tlbf_hv_status_name(void **state)
{
	(void)state;
	assert_string_equal(tlbf_hv_status_name((enum tlbf_hv_status)6), "HV_STATUS_UNKNOWN");
	assert_string_equal(tlbf_hv_status_name((enum tlbf_hv_status)1), "HV_STATUS_UNKNOWN");
	assert_string_equal(tlbf_hv_status_name((enum tlbf_hv_status)0xffff), "HV_STATUS_UNKNOWN");
	assert_string_equal(tlbf_hv_status_name((enum tlbf_hv_status)-1), "HV_STATUS_UNKNOWN");
}

static void test_tlbf_hypercall_rule_name(void **state)
{
	(void)state;
	for (int r = 0; r < TLBF_HYPERCALL_RULE__COUNT; r++) {
		const char *n = tlbf_hypercall_rule_name((enum tlbf_hypercall_rule)r);
		assert_non_null(n);
		assert_string_not_equal(n, "?");
	}
	/* Out of range: a string that names no rule. */
	const enum tlbf_hypercall_rule bad[3] = {TLBF_HYPERCALL_RULE__COUNT,
	                                         (enum tlbf_hypercall_rule)-1,
	                                         (enum tlbf_hypercall_rule)1000};
	for (unsigned i = 0; i < 3; i++) {
		const char *n = tlbf_hypercall_rule_name(bad[i]);
		assert_non_null(n);
		assert_string_equal(n, "unknown");
		for (int r = 0; r < TLBF_HYPERCALL_RULE__COUNT; r++)
			assert_string_not_equal(n, tlbf_hypercall_rule_name((enum tlbf_hypercall_rule)r));
	}
}

static void test_tlbf_oracle_init(void **state)
{
	(void)state;
	static TLBF_ATOMIC(uint64_t) words[1024];
	memset(words, 0x5a, sizeof(words));
	static unsigned char pattern[sizeof(words)];
	memcpy(pattern, words, sizeof(words));
	struct tlbf_oracle o, opat;
	memset(&o, 0x5a, sizeof(o));
	opat = o;
	size_t need = TLBF_ORACLE_WORDS(NVP, 4);
	assert_true(need <= 1024);
	assert_int_equal(tlbf_oracle_init(&o, words, need - 1, NVP, 4, 0), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_oracle_init(&o, words, 0, NVP, 4, 0), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_oracle_init(&o, NULL, need, NVP, 4, 0), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_oracle_init(NULL, words, need, NVP, 4, 0), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_oracle_init(&o, words, need, NVP, 0, 0), TLBF_STATUS_BAD_STORAGE);
	assert_int_equal(tlbf_oracle_init(&o, words, 1024, 0, 4, 0), TLBF_STATUS_BAD_VP_COUNT);
	assert_int_equal(tlbf_oracle_init(&o, words, 1024, TLBF_MAX_VPS + 1, 4, 0),
	                 TLBF_STATUS_BAD_VP_COUNT);
	/* A count whose storage size would overflow is refused too. */
	assert_int_equal(tlbf_oracle_init(&o, words, 1024, NVP, UINT32_MAX, 0),
	                 TLBF_STATUS_BAD_STORAGE);
	assert_memory_equal(words, pattern, sizeof(words));
	assert_memory_equal(&o, &opat, sizeof(o));
}

static void test_tlbf_mock(void **state)
{
	(void)state;
	uint64_t v = 0x5a5a, r = tlbf_hv_gva_make(1, 0), mask[2] = {UINT64_MAX, UINT64_MAX};
	/* A global entry to be sure lookups would find something. */
	tlbf_mock_tlb_fill(&mock, 0, 0, 9, 1, false);
	tlbf_mock_gpa_fill(&mock, 0, 0, 9, 1);
	save();
	for (size_t i = 0; i < 2; i++) {
		const uint32_t vp = bad_vps[i];
		const unsigned vtl = bad_vtls[i];
		assert_false(tlbf_mock_tlb_lookup(&mock, vp, 0, 9, &v));
		assert_false(tlbf_mock_tlb_lookup(&mock, 0, vtl, 9, &v));
		assert_false(tlbf_mock_gpa_lookup(&mock, vp, 0, 9, &v));
		assert_false(tlbf_mock_gpa_lookup(&mock, 0, vtl, 9, &v));
		assert_true(v == 0x5a5a);
		tlbf_mock_tlb_fill(&mock, vp, 0, 9, 2, false);
		tlbf_mock_tlb_fill(&mock, 0, vtl, 9, 2, false);
		tlbf_mock_gpa_fill(&mock, vp, 0, 9, 2);
		tlbf_mock_gpa_fill(&mock, 0, vtl, 9, 2);
		assert_false(tlbf_mock_take_cancel(&mock, vp));
		assert_false(tlbf_mock_take_wake(&mock, vp));
		tlbf_mock_halt(&mock, vp); /* returns at once */
		tlbf_mock_leave(&mock, vp);
		assert_false(tlbf_mock_enter(&mock, vp, 0));
		assert_false(tlbf_mock_enter(&mock, 0, vtl));
		assert_true(tlbf_mock_translate(&mock, vp, 0, 9, 7, false) == 7);
		assert_true(tlbf_mock_translate(&mock, 0, vtl, 9, 7, false) == 7);
		assert_int_equal(be.ops->flush_list(be.ctx, vp, 0, &r, 1), -1);
		assert_int_equal(be.ops->flush_list(be.ctx, 0, vtl, &r, 1), -1);
		be.ops->flush_at_entry(be.ctx, vp, 0, TLBF_SCOPE_GPA);
		be.ops->flush_at_entry(be.ctx, 0, vtl, TLBF_SCOPE_GPA);
	}
	/* Masks wider than the mock. */
	assert_int_equal(be.ops->kick(be.ctx, mask, NVP + 1, TLBF_KICK_CANCEL | TLBF_KICK_WAIT), -1);
	assert_int_equal(be.ops->wake(be.ctx, mask, NVP + 1), -1);
	assert_int_equal(be.ops->kick(be.ctx, mask, UINT32_MAX, TLBF_KICK_CANCEL), -1);
	assert_int_equal(be.ops->wake(be.ctx, mask, UINT32_MAX), -1);
	unchanged();
	assert_true(tlbf_mock_tlb_lookup(&mock, 0, 0, 9, &v) && v == 1);
}

/*
 * THE LOST FLUSH. In 0.2, tlbf_flush_plan() with a plan of one word on a
 * partition of 128 VPs moved VP 100 (in the guest) to EXITING, then
 * failed to record it in the one-word mask: it was never kicked, and the
 * call completed. Now the plan is refused when it is begun, before any
 * decision, and every call on the refused plan is refused.
 */
static void lost_flush_short_plan_refused(void **state)
{
	(void)state;
	assert_int_equal(tlbf_entry_prepare(&e[100], 0), TLBF_STATUS_OK);
	assert_true(tlbf_mock_enter(&mock, 100, 0));
	uint64_t s100 = tlbf__load(&vps[100].state, TLBF_RELAXED);
	assert_int_equal(tlbf__vp_state_mode(s100), TLBF_VP_IN_GUEST);
	struct tlbf_flush_request req = space_request(BIG);
	struct tlbf_push push;
	memset(&push, 0, sizeof(push));
	assert_int_equal(tlbf_flush_record(&pt, &req, &push), TLBF_STATUS_OK);
	uint64_t kick[1], wait[1];
	struct tlbf_wake_plan pl;
	memset(&pl, 0, sizeof(pl));
	save();
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, kick, wait, 1, 0, push.mark),
	                 TLBF_STATUS_BAD_STORAGE);
	unchanged();
	enum tlbf_wake d = TLBF_WAKE__COUNT;
	assert_int_equal(tlbf_wake_decide(&pl, 100, TLBF_NO_VP, &d), TLBF_STATUS_BAD_SEQUENCE);
	assert_int_equal(d, TLBF_WAKE__COUNT);
	assert_int_equal(tlbf_flush_plan(&pl, &req.vps, TLBF_NO_VP), TLBF_STATUS_BAD_SEQUENCE);
	assert_int_equal(tlbf_wake_send(&pl, &be, NULL), TLBF_STATUS_BAD_SEQUENCE);
	unchanged();
	/* VP 100 is still in the guest, not EXITING, and nobody was kicked. */
	assert_true(tlbf__load(&vps[100].state, TLBF_RELAXED) == s100);
	assert_int_equal(tlbf__vp_state_mode(tlbf__load(&vps[100].state, TLBF_RELAXED)),
	                 TLBF_VP_IN_GUEST);
	assert_false(tlbf__vp_kicked(&vps[100]));
	assert_true(tlbf__load(&mock.kicks, TLBF_RELAXED) == 0);
	tlbf_mock_leave(&mock, 100);
	assert_int_equal(tlbf_entry_done(&e[100], true), TLBF_STATUS_OK);
}

/* A proper plan for 128 VPs kicks VP 100. */
static void lost_flush_proper_plan_kicks(void **state)
{
	(void)state;
	assert_int_equal(tlbf_entry_prepare(&e[100], 0), TLBF_STATUS_OK);
	struct tlbf_flush_request req = space_request(BIG);
	struct tlbf_push push;
	memset(&push, 0, sizeof(push));
	assert_int_equal(tlbf_flush_record(&pt, &req, &push), TLBF_STATUS_OK);
	uint64_t kick[TLBF_MASK_WORDS(BIG)], wait[TLBF_MASK_WORDS(BIG)];
	struct tlbf_wake_plan pl;
	memset(&pl, 0, sizeof(pl));
	assert_int_equal(tlbf_wake_plan_begin(&pl, &pt, kick, wait, TLBF_MASK_WORDS(BIG), 0, push.mark),
	                 TLBF_STATUS_OK);
	assert_int_equal(tlbf_flush_plan(&pl, &req.vps, TLBF_NO_VP), TLBF_STATUS_LOCKS_IGNORED);
	assert_true(kick[100 / 64] & (UINT64_C(1) << (100 % 64)));
	assert_true(tlbf__vp_kicked(&vps[100]));
	int rc = -1;
	assert_int_equal(tlbf_wake_send(&pl, &be, &rc), TLBF_STATUS_OK);
	assert_int_equal(rc, 0);
	assert_true(tlbf__load(&mvps[100].cancel, TLBF_RELAXED) == 1);
	/* Its entry is cancelled, and its next one carries out the flush. */
	assert_false(tlbf_mock_enter(&mock, 100, 0));
	assert_int_equal(tlbf_entry_done(&e[100], false), TLBF_STATUS_OK);
	assert_int_equal(tlbf_entry_prepare(&e[100], 0), TLBF_STATUS_OK);
	assert_int_equal(e[100].pending[0], TLBF_SCOPE_LINEAR);
	assert_true(tlbf_mock_enter(&mock, 100, 0));
	tlbf_mock_leave(&mock, 100);
	assert_int_equal(tlbf_entry_done(&e[100], true), TLBF_STATUS_OK);
	/* The handler (its masks are always long enough) does the same. */
	assert_int_equal(tlbf_entry_prepare(&e[100], 0), TLBF_STATUS_OK);
	static struct tlbf_flush_outcome o;
	assert_int_equal(tlbf_flush_handle(&pt, &be, &req, TLBF_NO_VP, NULL, &o),
	                 TLBF_STATUS_LOCKS_IGNORED);
	assert_true(o.kick[100 / 64] & (UINT64_C(1) << (100 % 64)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_tlbf_partition_init, setup),
		cmocka_unit_test_setup(test_tlbf_flush_record, setup),
		cmocka_unit_test_setup(test_tlbf_flush_plan, setup),
		cmocka_unit_test_setup(test_tlbf_flush_handle, setup),
		cmocka_unit_test_setup(test_tlbf_flush_request_vmm, setup),
		cmocka_unit_test_setup(test_tlbf_wake_plan_begin, setup),
		cmocka_unit_test_setup(test_tlbf_wake_decide, setup),
		cmocka_unit_test_setup(test_tlbf_wake_send, setup),
		cmocka_unit_test_setup(test_tlbf_entry_init, setup),
		cmocka_unit_test_setup(test_tlbf_entry_prepare, setup),
		cmocka_unit_test_setup(test_tlbf_entry_done, setup),
		cmocka_unit_test_setup(test_tlbf_tlb_lock, setup),
		cmocka_unit_test_setup(test_tlbf_tlb_unlock, setup),
		cmocka_unit_test_setup(test_tlbf_tlb_lock_wait_begin, setup),
		cmocka_unit_test_setup(test_tlbf_tlb_lock_must_wait, setup),
		cmocka_unit_test_setup(test_tlbf_tlb_lock_held, setup),
		cmocka_unit_test_setup(test_tlbf_tlb_lock_waiting, setup),
		cmocka_unit_test_setup(test_tlbf_ring_push, setup),
		cmocka_unit_test_setup(test_tlbf_ring_poll, setup),
		cmocka_unit_test_setup(test_tlbf_vpset_parse, setup),
		cmocka_unit_test_setup(test_tlbf_vpset_write_mask, setup),
		cmocka_unit_test_setup(test_tlbf_hypercall_decode, setup),
		cmocka_unit_test_setup(test_tlbf_hypercall_result, setup),
		cmocka_unit_test_setup(test_tlbf_stats_get, setup),
		cmocka_unit_test_setup(test_tlbf_stats_name, setup),
		cmocka_unit_test_setup(test_tlbf_stats_export, setup),
		cmocka_unit_test_setup(test_tlbf_status_name, setup),
		cmocka_unit_test_setup(test_tlbf_wake_name, setup),
		cmocka_unit_test_setup(test_tlbf_hv_status_name, setup),
		cmocka_unit_test_setup(test_tlbf_hypercall_rule_name, setup),
		cmocka_unit_test_setup(test_tlbf_oracle_init, setup),
		cmocka_unit_test_setup(test_tlbf_mock, setup),
		cmocka_unit_test_setup(lost_flush_short_plan_refused, setup_big),
		cmocka_unit_test_setup(lost_flush_proper_plan_kicks, setup_big),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
