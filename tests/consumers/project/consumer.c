/* SPDX-License-Identifier: MIT */
/* A program outside the tlbflush tree: push ranges into a ring, poll them
 * back, decode one flush hypercall and handle it on a partition over the
 * mock backend, with a VP on the entry driver. Exit status 0 when all went
 * as expected (tests/consumers/check_consumers.sh builds it three ways). */
#include <stdio.h>

#include <tlbflush/tlbflush.h>
#include <tlbflush/mock_backend.h>

static struct tlbf_vp vps[8];
static struct tlbf_partition pt;
static struct tlbf_mock_vp mvps[8];
static struct tlbf_mock mock;
static struct tlbf_flush_outcome outcome;

static struct tlbf_ring ring; /* all-zero: an empty ring */

int main(void)
{
	struct tlbf_cursor cursor;
	tlbf_ring_cursor_init(&ring, &cursor);
	uint64_t ranges[3] = {tlbf_hv_gva_make(0x100, 0), tlbf_hv_gva_make(0x200, 15),
	                      tlbf_hv_gva_make(0x300, 1)};
	struct tlbf_push push = tlbf_ring_push(&ring, ranges, 3, false);
	uint64_t out[TLBF_RING_CAPACITY];
	struct tlbf_poll poll = tlbf_ring_poll(&ring, &cursor, out, TLBF_RING_CAPACITY);
	int ok = push.result == TLBF_PUSH_RESULT_LISTED && poll.flags == TLBF_POLL_LIST &&
	         poll.count == 3 && out[0] == ranges[0] && out[1] == ranges[1] &&
	         out[2] == ranges[2] && tlbf_ring_valid(&ring);

	uint64_t input[3] = {0, TLBF_HV_FLUSH_ALL_PROCESSORS, 0};
	struct tlbf_flush_request req;
	enum tlbf_hv_status st = tlbf_hypercall_decode(
	    tlbf_hv_control_make(TLBF_HVCALL_FLUSH_VA_SPACE, false, 0, 0, 0), input,
	    sizeof(input), 8, 0, &req, NULL);
	ok = ok && st == TLBF_HV_STATUS_SUCCESS && tlbf_vpset_count(&req.vps) == 8;

	/* The request handled: VP 1 is in the guest (entry driver) and must
	 * be kicked; its next entry flushes everything. */
	struct tlbf_entry entry;
	uint64_t list[TLBF_RING_CAPACITY];
	tlbf_mock_init(&mock, mvps, 8, NULL, 0);
	struct tlbf_backend be = tlbf_mock_backend(&mock);
	ok = ok && tlbf_partition_init(&pt, vps, NULL, 8) == TLBF_STATUS_OK &&
	     tlbf_entry_init(&entry, &pt, &be, 1, list, TLBF_RING_CAPACITY, NULL) == TLBF_STATUS_OK &&
	     tlbf_entry_prepare(&entry, 0) == TLBF_STATUS_OK;
	enum tlbf_status hs = tlbf_flush_handle(&pt, &be, &req, TLBF_NO_VP, NULL, &outcome);
	ok = ok && hs == TLBF_STATUS_OK && outcome.plan.nkick == 1 && outcome.kick[0] == 2u;
	bool entered = tlbf_mock_enter(&mock, 1, 0); /* cancelled by the kick */
	ok = ok && !entered && tlbf_entry_done(&entry, entered) == TLBF_STATUS_OK &&
	     tlbf_entry_prepare(&entry, 0) == TLBF_STATUS_OK && tlbf_mock_enter(&mock, 1, 0) &&
	     mvps[1].flushes_entire == 1;
	tlbf_mock_leave(&mock, 1);
	ok = ok && tlbf_entry_done(&entry, true) == TLBF_STATUS_OK;

	printf("consumer: pushed %u ranges, polled %u, decoded %s, handled %s: %s\n", 3u,
	       poll.count, tlbf_hv_status_name(st), tlbf_status_name(hs), ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
