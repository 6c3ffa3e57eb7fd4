/* SPDX-License-Identifier: MIT */
/*
 * tlbflush/status.h - the one way the library refuses.
 *
 * Every function of tlbflush that can refuse its arguments, or whose work
 * can end in more than one way, returns an enum tlbf_status. A function
 * that returns bool answers a question (a predicate); it never refuses.
 *
 *   TLBF_STATUS_OK            done
 *   TLBF_STATUS_SUSPEND       done, and the calling VP must stay suspended
 *                             (VSM TLB locks): see tlbflush/flush.h
 *   TLBF_STATUS_LOCKS_IGNORED done, but nobody could be suspended for the
 *                             partition's TLB locks (the initiator is not
 *                             a VP): see tlbflush/flush.h
 *   TLBF_STATUS_KICK_FAILED   recorded, but the backend's kick failed: the
 *                             request is not known to be complete
 *   TLBF_STATUS_BAD_*         refused: nothing changed, no shared state was
 *                             written (the name says which argument)
 *
 * Every fallible function is marked TLBF_MUST_CHECK (config.h).
 */
#ifndef TLBFLUSH_STATUS_H
#define TLBFLUSH_STATUS_H

#include "config.h"

TLBF_EXTERN_C_BEGIN

/**
 * enum tlbf_status - what a fallible function of the library did
 * @TLBF_STATUS_OK: done.
 * @TLBF_STATUS_SUSPEND: a flush call recorded, woken and waited for, but a
 *	VP of its set held the TLB lock of its target VTL: the calling VP
 *	stays suspended while tlbf_tlb_lock_must_wait() says so.
 * @TLBF_STATUS_LOCKS_IGNORED: a flush call recorded, woken and waited for
 *	in a partition with TLB locks, by an initiator that is not a VP
 *	(TLBF_NO_VP): nobody can be suspended, so holders were not waited for.
 * @TLBF_STATUS_KICK_FAILED: a flush call recorded, but the backend's kick
 *	failed twice: the request is not known to be complete.
 * @TLBF_STATUS_BAD_VP_COUNT: a VP count of 0 or above TLBF_MAX_VPS.
 * @TLBF_STATUS_BAD_STORAGE: caller storage missing (NULL) or too short.
 * @TLBF_STATUS_BAD_PARTITION: a partition tlbf_partition_init() did not
 *	accept.
 * @TLBF_STATUS_BAD_REQUEST: a request tlbf_hypercall_decode() would not
 *	produce (an unknown kind, a target VTL the build does not have).
 * @TLBF_STATUS_BAD_VP: a VP index the partition does not have.
 * @TLBF_STATUS_BAD_VTL: a VTL the call cannot take.
 * @TLBF_STATUS_BAD_SEQUENCE: a call out of its sequence: a decision on a wake
 *	plan that was not begun (or was sent), an entry done that was not
 *	prepared.
 * @TLBF_STATUS_NO_LOCKS: a TLB-lock call on a partition without TLB locks.
 * @TLBF_STATUS_BAD_BACKEND: a backend without the operation the call needs.
 * @TLBF_STATUS_OS_ERROR: a system call of a user-space backend failed
 *	(errno says why).
 * @TLBF_STATUS__COUNT: number of statuses (not a status).
 */
enum tlbf_status {
	TLBF_STATUS_OK = 0,
	TLBF_STATUS_SUSPEND,
	TLBF_STATUS_LOCKS_IGNORED,
	TLBF_STATUS_KICK_FAILED,
	TLBF_STATUS_BAD_VP_COUNT,
	TLBF_STATUS_BAD_STORAGE,
	TLBF_STATUS_BAD_PARTITION,
	TLBF_STATUS_BAD_REQUEST,
	TLBF_STATUS_BAD_VP,
	TLBF_STATUS_BAD_VTL,
	TLBF_STATUS_BAD_SEQUENCE,
	TLBF_STATUS_NO_LOCKS,
	TLBF_STATUS_BAD_BACKEND,
	TLBF_STATUS_OS_ERROR,
	TLBF_STATUS__COUNT
};

/**
 * tlbf_status_name - a short name for a status, for logs
 * @st: the status
 *
 * Returns: a static string such as "ok" or "bad-vp"; "?" for a value out
 * of range.
 */
static inline const char *tlbf_status_name(enum tlbf_status st)
{
	switch (st) {
	case TLBF_STATUS_OK: return "ok";
	case TLBF_STATUS_SUSPEND: return "suspend";
	case TLBF_STATUS_LOCKS_IGNORED: return "locks-ignored";
	case TLBF_STATUS_KICK_FAILED: return "kick-failed";
	case TLBF_STATUS_BAD_VP_COUNT: return "bad-vp-count";
	case TLBF_STATUS_BAD_STORAGE: return "bad-storage";
	case TLBF_STATUS_BAD_PARTITION: return "bad-partition";
	case TLBF_STATUS_BAD_REQUEST: return "bad-request";
	case TLBF_STATUS_BAD_VP: return "bad-vp";
	case TLBF_STATUS_BAD_VTL: return "bad-vtl";
	case TLBF_STATUS_BAD_SEQUENCE: return "bad-sequence";
	case TLBF_STATUS_NO_LOCKS: return "no-locks";
	case TLBF_STATUS_BAD_BACKEND: return "bad-backend";
	case TLBF_STATUS_OS_ERROR: return "os-error";
	case TLBF_STATUS__COUNT: break;
	}
	return "?";
}

/* Whether a status says a flush call was recorded, woken and waited for. */
static inline bool tlbf__status_done(enum tlbf_status st)
{
	return st == TLBF_STATUS_OK || st == TLBF_STATUS_SUSPEND || st == TLBF_STATUS_LOCKS_IGNORED;
}

TLBF_EXTERN_C_END

#endif /* TLBFLUSH_STATUS_H */
