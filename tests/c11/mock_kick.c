/* SPDX-License-Identifier: MIT */
/*
 * GenMC client of the mock backend's kick with wait against the VP's
 * entry: the mock's own store-buffering pair (M1-M4).
 *
 *   VP 0                                kicker
 *   tlbf_mock_enter   M3 run := running, the backend's kick of VP 0 with
 *                        read cancel         cancel and wait (K1):
 *   if it entered: guest reads page       M1 cancel := 1
 *   tlbf_mock_leave   M4 run := stopped   M2 read run; wait while running
 *                                        page := 1 (non-atomic: reused)
 *
 * The page is plain memory: GenMC reports a data race unless every guest
 * access happens before the kicker's write, i.e. unless the kick returns
 * only after the VP left the guest (M2 acquire on M4) and an entry after
 * the kick sees the cancel (the pair M1/M3, M2/M3).
 */
#include "c11_common.h"

#include "tlbflush/mock_backend.h"

static struct tlbf_mock mock;
static struct tlbf_mock_vp mvps[1];
static volatile uint64_t page; /* plain (volatile: not hoisted): reused by the kicker */
static result_t guest_saw;

static void *vp_thread(void *arg)
{
	(void)arg;
	if (tlbf_mock_enter(&mock, 0, 0)) {
		ST(guest_saw, page);
		tlbf_mock_leave(&mock, 0);
	}
	return NULL;
}

static void *kicker(void *arg)
{
	(void)arg;
	struct tlbf_backend be = tlbf_mock_backend(&mock);
	const uint64_t mask[1] = {1};
	int rc = be.ops->kick(be.ctx, mask, 1, TLBF_KICK_CANCEL | TLBF_KICK_WAIT);
	assert(rc == 0);
	page = 1;
	return NULL;
}

int main(void)
{
	tlbf_mock_init(&mock, mvps, 1, NULL, 0);
	pthread_t a = c11_spawn(vp_thread, 0);
	pthread_t b = c11_spawn(kicker, 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}
