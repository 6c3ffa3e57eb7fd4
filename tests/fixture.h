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
 */
#ifndef TLBF_TESTS_FIXTURE_H
#define TLBF_TESTS_FIXTURE_H

#include <stdbool.h>

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

#endif /* TLBF_TESTS_FIXTURE_H */
