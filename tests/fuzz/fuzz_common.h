/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz targets share: the libFuzzer entry point's prototype, the
 * attribute that keeps coverage tracing out of the checking loops, and the
 * check that aborts (libFuzzer reports the input).
 */
#ifndef TLBF_FUZZ_COMMON_H
#define TLBF_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The checking loops are the harness, not the code under test: keep the
 * comparison tracing of -fsanitize=fuzzer out of them, or it dominates the
 * run time (the library calls they make are inlined but still checked by
 * ASan and UBSan).
 */
#if defined(__clang__) && __clang_major__ >= 13
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

#define CHECK(x)                   \
	do {                       \
		if (!(x))          \
			abort();   \
	} while (0)

#endif
