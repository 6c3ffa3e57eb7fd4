/* SPDX-License-Identifier: MIT */
/* Unit tests of the mshv_vtl ioctl backend (tlbflush/tdx_hw.h) through a
 * recording ioctl: the MSHV_KICKCPUS buffer (its length is a bit count,
 * and at least that many bytes are readable, zero past the mask), the
 * INVGLA operands of flush_list through MSHV_VTL_TDCALL, and the VP-enter
 * flags flush_at_entry writes into the run page. x86-64 Linux only (exit
 * status 77, skipped, elsewhere). The sanitizer builds run it too: every
 * byte the driver may read is read here. */
#if defined(__x86_64__) && defined(__linux__)
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* What the backend passed to its last ioctls. */
static unsigned long rec_req;
static int rec_fd;
static unsigned rec_calls;
static struct {
	uint64_t len;
	uint64_t flags;
	uint8_t bytes[8192];
} rec_kick;
static struct {
	uint64_t rax, rcx, rdx, r8, r9;
} rec_tdcall;
static uint64_t tdcall_status; /* RAX the TDX module returns */
static int ioctl_rc;

static int record_ioctl(int fd, unsigned long req, void *arg);

#define TLBF_MSHV_IOCTL record_ioctl
#include "tlbflush/tdx_hw.h"

static int record_ioctl(int fd, unsigned long req, void *arg)
{
	rec_fd = fd;
	rec_req = req;
	rec_calls++;
	if (req == TLBF_MSHV_KICKCPUS) {
		const struct tlbf_mshv_kick *k = arg;
		rec_kick.len = k->len;
		rec_kick.flags = k->flags;
		assert_true(k->len <= sizeof(rec_kick.bytes));
		/* A driver that reads len bytes: every one must be readable. */
		memcpy(rec_kick.bytes, k->cpu_mask, (size_t)k->len);
	} else if (req == TLBF_MSHV_VTL_TDCALL) {
		struct tlbf_mshv_tdcall *t = arg;
		rec_tdcall.rax = t->rax;
		rec_tdcall.rcx = t->rcx;
		rec_tdcall.rdx = t->rdx;
		rec_tdcall.r8 = t->r8;
		rec_tdcall.r9 = t->r9;
		t->rax = tdcall_status;
	}
	return ioctl_rc;
}

static uint64_t enter_words[4];
static uint64_t *run_pages[4] = {&enter_words[0], &enter_words[1], &enter_words[2],
                                 &enter_words[3]};
static const uint64_t list_pfn[4] = {0x1000, 0x2345, 0xabcde, 0x7};
static struct tlbf_tdx_mshv m = {42, run_pages, list_pfn};

static int setup(void **state)
{
	(void)state;
	memset(&rec_kick, 0xcc, sizeof(rec_kick));
	memset(&rec_tdcall, 0xcc, sizeof(rec_tdcall));
	memset(enter_words, 0, sizeof(enter_words));
	rec_calls = 0;
	tdcall_status = 0;
	ioctl_rc = 0;
	return 0;
}

/* Kick @nbits bits of @mask and check the recorded buffer. */
static void kick_and_check(const uint64_t *mask, uint32_t nbits, unsigned flags)
{
	struct tlbf_backend b = tlbf_tdx_mshv_backend(&m);
	rec_calls = 0;
	assert_int_equal(b.ops->kick(b.ctx, mask, nbits, flags), 0);
	assert_int_equal(rec_calls, 1);
	assert_int_equal(rec_fd, 42);
	assert_true(rec_req == TLBF_MSHV_KICKCPUS);
	assert_true(rec_kick.len == nbits); /* a bit count */
	assert_true(rec_kick.flags == (flags & (TLBF_KICK_WAIT | TLBF_KICK_CANCEL)));
	const uint32_t mask_bytes = (nbits + 7) / 8;
	for (uint32_t i = 0; i < nbits; i++) {
		unsigned got = ((unsigned)rec_kick.bytes[i / 8] >> (i % 8)) & 1u;
		unsigned want = (unsigned)(mask[i / 64] >> (i % 64)) & 1u;
		if (got != want)
			fail_msg("nbits %u: bit %u is %u, want %u", nbits, i, got, want);
	}
	/* Past nbits in the last byte of the mask, and every byte past it up to
	 * len bytes: zero. */
	if (nbits % 8)
		assert_int_equal((unsigned)rec_kick.bytes[mask_bytes - 1] >> (nbits % 8), 0);
	for (uint64_t i = mask_bytes; i < rec_kick.len; i++)
		if (rec_kick.bytes[i] != 0)
			fail_msg("nbits %u: byte %llu past the mask is 0x%02x", nbits,
			         (unsigned long long)i, rec_kick.bytes[i]);
}

static void kick_buffer(void **state)
{
	(void)state;
	static const uint32_t sizes[] = {1, 7, 8, 63, 64, 65, 100, 4096};
	static uint64_t mask[TLBF_MASK_WORDS(4096) + 1];
	srand(12345);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		const uint32_t nbits = sizes[s];
		if (nbits > TLBF_MAX_VPS)
			continue;
		const uint32_t words = TLBF_MASK_WORDS(nbits);
		/* All ones, including the bits past nbits in the last word (the
		 * backend must not pass them on). */
		for (uint32_t w = 0; w < words; w++)
			mask[w] = UINT64_MAX;
		kick_and_check(mask, nbits, TLBF_KICK_CANCEL | TLBF_KICK_WAIT);
		/* Only the last VP. */
		memset(mask, 0, sizeof(mask));
		mask[(nbits - 1) / 64] = UINT64_C(1) << ((nbits - 1) % 64);
		kick_and_check(mask, nbits, TLBF_KICK_CANCEL);
		/* Random bits, random garbage past nbits. */
		for (int round = 0; round < 20; round++) {
			for (uint32_t w = 0; w < words; w++)
				mask[w] = ((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^ (uint64_t)rand();
			kick_and_check(mask, nbits, (unsigned)round & 3u);
		}
	}
	/* The wake is a kick with neither flag. */
	mask[0] = 5;
	struct tlbf_backend b = tlbf_tdx_mshv_backend(&m);
	assert_int_equal(b.ops->wake(b.ctx, mask, 3), 0);
	assert_true(rec_kick.len == 3 && rec_kick.flags == 0 && rec_kick.bytes[0] == 5);
	/* Flags other than wait and cancel are not passed on. */
	kick_and_check(mask, 3, 0xf0u | TLBF_KICK_WAIT);
	/* A failing ioctl fails the kick. */
	ioctl_rc = -1;
	assert_int_equal(b.ops->kick(b.ctx, mask, 3, TLBF_KICK_CANCEL), -1);
	/* More bits than the backend's buffer: refused without an ioctl. */
	rec_calls = 0;
	static uint64_t big[TLBF_MASK_WORDS(TLBF_MAX_VPS < 64 ? 64 : TLBF_MAX_VPS) + 1];
	assert_int_equal(b.ops->kick(b.ctx, big, (TLBF_MAX_VPS < 64 ? 64 : TLBF_MAX_VPS) + 1,
	                             TLBF_KICK_CANCEL),
	                 -1);
	assert_int_equal(rec_calls, 0);
}

static void flush_list_operands(void **state)
{
	(void)state;
	struct tlbf_backend b = tlbf_tdx_mshv_backend(&m);
	uint64_t list[3] = {tlbf_hv_gva_make(0x10, 3), tlbf_hv_gva_make(0x99, 0),
	                    tlbf_hv_gva_make(0x5, 1)};
	for (unsigned vtl = 0; vtl < TLBF_VTL_COUNT; vtl++) {
		/* One range: RDX is the range itself. */
		assert_int_equal(b.ops->flush_list(b.ctx, 2, vtl, list, 1), 0);
		assert_true(rec_req == TLBF_MSHV_VTL_TDCALL);
		assert_true(rec_tdcall.rax == TLBF_TDX_TDG_VP_INVGLA);
		assert_true(rec_tdcall.rcx == tlbf_tdx_invgla_rcx(vtl, false));
		assert_true(rec_tdcall.rdx == list[0]);
		assert_true(rec_tdcall.r8 == 0 && rec_tdcall.r9 == 0);
		/* Several: list info of the VP's own list page, first entry 0. */
		for (uint32_t n = 2; n <= 3; n++) {
			assert_int_equal(b.ops->flush_list(b.ctx, 2, vtl, list, n), 0);
			assert_true(rec_tdcall.rcx == tlbf_tdx_invgla_rcx(vtl, true));
			assert_true(rec_tdcall.rdx == tlbf_tdx_list_info(list_pfn[2], 0, n));
			assert_true(((rec_tdcall.rdx >> 12) & ((UINT64_C(1) << 40) - 1)) == 0xabcde);
			assert_true(((rec_tdcall.rdx >> 52) & 0x3ff) == n);
		}
		assert_int_equal(b.ops->flush_list(b.ctx, 1, vtl, list, 2), 0);
		assert_true(rec_tdcall.rdx == tlbf_tdx_list_info(0x2345, 0, 2));
	}
	/* The TDX module's status, and the ioctl's, fail the flush. */
	tdcall_status = 0xc0000100;
	assert_int_equal(b.ops->flush_list(b.ctx, 0, 0, list, 1), -1);
	tdcall_status = 0;
	ioctl_rc = -1;
	assert_int_equal(b.ops->flush_list(b.ctx, 0, 0, list, 2), -1);
}

static void flush_at_entry_writes_the_run_page(void **state)
{
	(void)state;
	struct tlbf_backend b = tlbf_tdx_mshv_backend(&m);
	for (unsigned vtl = 0; vtl < TLBF_VTL_COUNT; vtl++)
		for (unsigned s = 0; s < TLBF_SCOPE__COUNT; s++) {
			enter_words[3] = UINT64_MAX;
			b.ops->flush_at_entry(b.ctx, 3, vtl, (enum tlbf_scope)s);
			assert_true(enter_words[3] == tlbf_tdx_enter_flags((enum tlbf_scope)s, vtl));
		}
	/* Only that VP's page. */
	assert_true(enter_words[0] == 0 && enter_words[1] == 0 && enter_words[2] == 0);
	assert_int_equal(rec_calls, 0); /* no ioctl */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(kick_buffer, setup),
		cmocka_unit_test_setup(flush_list_operands, setup),
		cmocka_unit_test_setup(flush_at_entry_writes_the_run_page, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
int main(void);
int main(void)
{
	return 77; /* skipped: the mshv backend is x86-64 Linux only */
}
#endif
