/* SPDX-License-Identifier: MIT */
/* A program outside the tlbflush tree: push ranges into a ring, poll them
 * back, decode one flush hypercall. Exit status 0 when all went as
 * expected (tests/consumers/check_consumers.sh builds it three ways). */
#include <stdio.h>

#include <tlbflush/tlbflush.h>

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

	printf("consumer: pushed %u ranges, polled %u, decoded %s: %s\n", 3u, poll.count,
	       tlbf_hv_status_name(st), ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
