// SPDX-License-Identifier: MIT
// The C++ half of the interop test: the headers from C++, a ring shared
// with C code (ring_interop_c.c), and a producer std::thread against a
// polling reader.
//
// Built with -DEXPECT_ATOMIC_GNU=0 for C++23 (the headers use
// <stdatomic.h>, whose _Atomic(T) is std::atomic<T> there) and =1 before
// C++23 (the GCC/Clang __atomic builtins on plain integers).
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "tlbflush/tlbflush.h"
#include "tlbflush/mock_backend.h"
#if defined(__x86_64__)
#include "tlbflush/tdx_hw.h"
#endif

#include "interop.h"

static_assert(TLBF_ATOMIC_GNU == EXPECT_ATOMIC_GNU, "unexpected atomics implementation");
#if !TLBF_ATOMIC_GNU
static_assert(std::is_same_v<TLBF_ATOMIC(uint64_t), std::atomic<uint64_t>>,
              "C++23 _Atomic(T) is std::atomic<T>");
#endif

static int failures;
#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, \
			             #cond);                                                 \
			failures++;                                                          \
		}                                                                    \
	} while (0)

int main()
{
	// The C and C++ compilers lay the shared structures out alike.
	CHECK(interop_c_layout(0) == sizeof(struct tlbf_ring));
	CHECK(interop_c_layout(1) == offsetof(struct tlbf_ring, slot));
	CHECK(interop_c_layout(2) == sizeof(struct tlbf_vp));
	CHECK(interop_c_layout(3) == offsetof(struct tlbf_vp, polled));
	CHECK(interop_c_layout(4) == sizeof(struct tlbf_cursor));
	CHECK(interop_c_layout(5) == sizeof(struct tlbf_partition));
	CHECK(interop_c_layout(6) == offsetof(struct tlbf_partition, vps));
	CHECK(interop_c_layout(7) == sizeof(struct tlbf_tlb_lock_vp));

	// Across the language boundary: C++ pushes, C polls, and back.
	CHECK(interop_c_init() == TLBF_STATUS_OK);
	struct tlbf_cursor cxx_cursor, c_cursor;
	tlbf_ring_cursor_init(&interop_ring, &cxx_cursor);
	tlbf_ring_cursor_init(&interop_ring, &c_cursor);
	uint64_t two[2] = {tlbf_hv_gva_make(0x10, 0), tlbf_hv_gva_make(0x20, 3)};
	struct tlbf_push pu = tlbf_ring_push(&interop_ring, two, 2, false);
	CHECK(pu.result == TLBF_PUSH_RESULT_LISTED);
	uint64_t out[TLBF_RING_CAPACITY];
	uint32_t count = 0;
	CHECK(interop_c_poll(&c_cursor, out, TLBF_RING_CAPACITY, &count) == TLBF_POLL_LIST);
	CHECK(count == 2 && out[0] == two[0] && out[1] == two[1]);
	uint64_t one = tlbf_hv_gva_make(0x30, 0);
	CHECK(interop_c_push(&one, 1) == TLBF_PUSH_RESULT_LISTED);
	struct tlbf_poll p = tlbf_ring_poll(&interop_ring, &cxx_cursor, out, TLBF_RING_CAPACITY);
	CHECK(p.flags == TLBF_POLL_LIST && p.count == 3 && out[2] == one);
	CHECK(tlbf_ring_valid(&interop_ring));

	// The VP protocol on the C-defined partition, from C++: the VP runs
	// the entry driver on the mock backend; an initiator's wake plan finds
	// it has polled past the first push.
	static struct tlbf_mock_vp mvps[1];
	static struct tlbf_mock mock;
	tlbf_mock_init(&mock, mvps, 1, nullptr, 0);
	const struct tlbf_backend be = tlbf_mock_backend(&mock);
	static uint64_t list[TLBF_RING_CAPACITY];
	struct tlbf_entry e;
	CHECK(tlbf_entry_init(&e, &interop_pt, &be, 0, list, TLBF_RING_CAPACITY, nullptr) ==
	      TLBF_STATUS_OK);
	CHECK(tlbf_entry_prepare(&e, 0) == TLBF_STATUS_OK);
	struct tlbf_wake_plan pl;
	uint64_t kick[1], wait[1];
	enum tlbf_wake w = TLBF_WAKE__COUNT;
	CHECK(tlbf_wake_plan_begin(&pl, &interop_pt, kick, wait, 1, 0, pu.mark) == TLBF_STATUS_OK);
	CHECK(tlbf_wake_decide(&pl, 0, TLBF_NO_VP, &w) == TLBF_STATUS_OK);
	CHECK(w == TLBF_WAKE_SKIP_POLLED);
	CHECK(tlbf_wake_send(&pl, &be, nullptr) == TLBF_STATUS_OK);
	const bool entered = tlbf_mock_enter(&mock, 0, 0);
	CHECK(entered);
	if (entered)
		tlbf_mock_leave(&mock, 0);
	CHECK(tlbf_entry_done(&e, entered) == TLBF_STATUS_OK);

	// A C++ producer thread against this thread's polls. The producer
	// stays within half a ring of the reader, so the reader must see every
	// range, in order, and never fall back to flushing everything.
	static struct tlbf_ring ring; // all-zero: an empty ring
	const uint64_t pushes = 2000;
	std::atomic<uint64_t> polled{0};
	struct tlbf_cursor c;
	tlbf_ring_cursor_init(&ring, &c);
	std::thread producer([&] {
		for (uint64_t i = 0; i < pushes; i++) {
			while (i - polled.load(std::memory_order_acquire) >= TLBF_RING_CAPACITY / 2)
				std::this_thread::yield();
			uint64_t r = tlbf_hv_gva_make(i + 1, 0);
			tlbf_ring_push(&ring, &r, 1, false);
		}
	});
	uint64_t seen = 0, everything = 0, next = 1;
	while (seen < pushes && everything == 0 && failures == 0) {
		struct tlbf_poll q = tlbf_ring_poll(&ring, &c, out, TLBF_RING_CAPACITY);
		if (q.flags & TLBF_POLL_ENTIRE)
			everything++;
		for (uint32_t k = 0; k < q.count; k++) {
			// A range behind a pending ticket may come again: skip it.
			uint64_t page = tlbf__gva_page(out[k]);
			if (page < next)
				continue;
			CHECK(page == next);
			next = page + 1;
			seen++;
		}
		polled.store(seen, std::memory_order_release);
	}
	polled.store(pushes, std::memory_order_release); // release the producer on failure
	producer.join();
	CHECK(seen == pushes);
	CHECK(everything == 0);
	CHECK(tlbf_ring_valid(&ring));
	CHECK(c.list == pushes);

	std::printf("__cplusplus %ld, %s atomics: %llu ranges polled, %llu flush-everything, %s\n",
	            (long)__cplusplus,
	            TLBF_ATOMIC_GNU ? "__atomic builtin" : "<stdatomic.h>",
	            (unsigned long long)seen, (unsigned long long)everything,
	            failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
