/* SPDX-License-Identifier: MIT */
/*
 * kvmdiff.h - the two sides of the differential test of the flush
 * hypercall decoder against KVM's host code (tests/kvmhost/).
 *
 * The driver (kvmdiff.c) builds raw hypercalls and hands the same bytes to
 * both sides through this header only: it includes neither tlbflush nor
 * any kernel header. kvm61_side.c runs KVM's code, extracted at build time
 * from Debian's linux-source-6.1; tlbf_side.c is the one file that calls
 * tlbflush.
 */
#ifndef KVMDIFF_H
#define KVMDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KD_PAGE_BYTES 4096u
#define KD_PAGE_WORDS (KD_PAGE_BYTES / 8u)
/* Fast-call input: RDX, R8, then XMM0-XMM5 as low, high halves. */
#define KD_FAST_WORDS 14u
/* VP indexes KVM can hold (KVM_MAX_VCPUS of 6.1; checked in kvm61_side.c). */
#define KD_MAX_VPS 1024u
#define KD_VP_WORDS (KD_MAX_VPS / 64u)
/* tlbflush's reach: a VP set names VPs 0..4095. */
#define KD_TLBF_WORDS 64u

/* A partition: vCPU i (0 .. nvcpus-1) has VP index vp_index[i]. */
struct kd_partition {
	uint32_t nvcpus;
	uint32_t vp_index[KD_MAX_VPS];
	uint32_t vp_bound; /* 1 + the largest VP index: tlbflush's vp_count */
};

/* One raw call as the guest made it. */
struct kd_call {
	/* Guest memory: the page holding the input and the page after it. */
	_Alignas(4096) uint64_t mem[2][KD_PAGE_WORDS];
	uint64_t control;
	uint64_t fast[KD_FAST_WORDS];
	uint32_t offset;  /* byte offset of a memory-passed input in mem[0] */
	bool next_mapped; /* whether mem[1] is guest memory at all */
};

/* What KVM did: the result value and the vCPUs it asked to flush. */
struct kd_kvm_result {
	uint64_t result; /* RAX: status in 0-15, reps completed in 32-43 */
	bool ud;         /* #UD queued instead of a result */
	uint64_t vcpus[KD_VP_WORDS];
};

enum kd_kind { KD_NONE = 0, KD_ENTIRE, KD_NON_GLOBAL, KD_LIST };

/* What tlbflush decoded. */
struct kd_tlbf_result {
	uint16_t status;
	const char *rule; /* the decoder's rule name */
	enum kd_kind kind;
	uint64_t vps[KD_TLBF_WORDS]; /* the VP set, ascending walk */
	const void *ranges;          /* first range (inside the input) or NULL */
	uint32_t range_count;
};

/* kvm61_side.c */
void kd_kvm61_hypercall(const struct kd_partition *p, struct kd_call *c,
                        struct kd_kvm_result *r);
const char *kd_kvm61_version(void);

/* tlbf_side.c */
void kd_tlbf_decode(uint64_t control, const void *input, size_t len, uint32_t vp_count,
                    struct kd_tlbf_result *r);

#endif /* KVMDIFF_H */
