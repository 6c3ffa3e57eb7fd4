/* SPDX-License-Identifier: MIT */
/*
 * tests/fixture.h - the partition and the mock machine the unit tests
 * start from, in one place.
 *
 * Define NVP (the VP count) before including it. The storage is static,
 * one fixture per test program:
 *   vps[NVP]    the VPs' state lines      lvps[NVP]   their TLB-lock states
 *   pt          the partition             mvps[NVP]   the mock's VPs
 *   mock        the mock machine          mlog[]      its operation log
 *   be          the mock's backend
 * fixture_setup(with_locks, with_log) sets them up again: the partition
 * over vps (and lvps when @with_locks), the mock over mvps (logging into
 * mlog when @with_log), and its backend. It returns 0, or -1 if a set-up
 * call refused, for a cmocka setup function to return.
 *
 * Also: fixture_space_request() decodes a flush of everything on every VP;
 * fixture_failing_list_backend() is the mock's backend with a flush_list
 * that always fails. Include it after <cmocka.h>.
 */
#ifndef TLBF_TESTS_FIXTURE_H
#define TLBF_TESTS_FIXTURE_H

#include <stdbool.h>
#include <string.h>

#include "tlbflush/tlbflush.h"
#include "tlbflush/mock_backend.h"

#ifndef NVP
#error "define NVP (the fixture's VP count) before including fixture.h"
#endif

#define FIXTURE_LOG 512

static struct tlbf_vp vps[NVP];
static struct tlbf_tlb_lock_vp lvps[NVP];
static struct tlbf_partition pt;
static struct tlbf_mock_vp mvps[NVP];
static struct tlbf_mock_log_entry mlog[FIXTURE_LOG];
static struct tlbf_mock mock;
static struct tlbf_backend be;

static inline int fixture_setup(bool with_locks, bool with_log)
{
	if (tlbf_partition_init(&pt, vps, with_locks ? lvps : NULL, NVP) != TLBF_STATUS_OK)
		return -1;
	tlbf_mock_init(&mock, mvps, NVP, with_log ? mlog : NULL, with_log ? FIXTURE_LOG : 0);
	be = tlbf_mock_backend(&mock);
	return 0;
}

/* Decode HvCallFlushVirtualAddressSpace on every VP (a flush of every
 * translation, from VTL 0) into @req. */
static inline void fixture_space_request(struct tlbf_flush_request *req)
{
	uint64_t input[3] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0};
	uint64_t control = tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0);
	memset(req, 0, sizeof(*req));
	assert_int_equal(tlbf_hypercall_decode(control, input, sizeof(input), NVP, 0, req, NULL),
	                 TLBF_HV_STATUS_SUCCESS);
}

/* A list flush that always fails (-EIO): the entry driver must then flush
 * every linear translation at entry. */
static inline int fixture_failing_flush_list(void *ctx, uint32_t vp, unsigned vtl,
                                             const uint64_t *ranges, uint32_t count)
{
	(void)ctx;
	(void)vp;
	(void)vtl;
	(void)ranges;
	(void)count;
	return -5;
}

/* The mock's backend with that failing list flush. */
static inline struct tlbf_backend fixture_failing_list_backend(void)
{
	static const struct tlbf_backend_ops ops = {
		fixture_failing_flush_list, tlbf__mock_flush_at_entry, tlbf__mock_kick,
		tlbf__mock_wake, tlbf__mock_relax,
	};
	struct tlbf_backend b = {&ops, &mock};
	return b;
}

#endif /* TLBF_TESTS_FIXTURE_H */
