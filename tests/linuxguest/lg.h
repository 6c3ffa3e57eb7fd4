/* SPDX-License-Identifier: MIT */
/*
 * The three parts of the Linux guest test and what they tell each other,
 * in plain C types only:
 *
 *   linux_side.c  Linux 6.1's guest code (cut from the kernel source at
 *                 build time) over the shims of linux_shim.h;
 *   tlbf_side.c   every call into tlbflush: decodes one hypercall;
 *   linuxguest.c  the machine (CPUs, VP indexes, the input page), the
 *                 hypervisor between the two, the expectations, the counts.
 */
#ifndef LG_H
#define LG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Linux CPUs of the largest machine, and the words of a CPU or VP bitmap. */
#define LG_NR_CPUS 2048u
#define LG_CPU_WORDS (LG_NR_CPUS / 64u)
#define LG_VP_WORDS 64u /* 4096 VPs: the reach of an HV_VP_SET */
#define LG_PAGE 4096u
#define LG_MAX_RANGES (LG_PAGE / 8u)

/* ---- linux_side.c ---- */

/* NULL when the kernel source was there at build time, else why not. */
const char *lg_linux_missing(void);

/*
 * Boot Linux's view of the machine: @nr_cpus possible (and present) CPUs,
 * @vp_index[cpu] their VP indexes (UINT32_MAX: unknown, Linux's VP_INVAL),
 * @max_vp_index the largest; @input_page the per-CPU hypercall input page
 * (NULL: not allocated); @ex_recommended the CPUID hint for the Ex calls.
 * The arrays are used, not copied.
 */
void lg_linux_boot(unsigned nr_cpus, const uint32_t *vp_index, uint32_t max_vp_index,
                   void *input_page, bool ex_recommended);

/*
 * One remote flush as flush_tlb_multi() hands it to Hyper-V's code:
 * hyperv_flush_tlb_multi(@cpus, info) with info->mm NULL when !@has_mm,
 * else an mm whose page table root is at physical address @pgd_phys.
 * @end UINT64_MAX is TLB_FLUSH_ALL.
 */
void lg_linux_flush(const uint64_t cpus[LG_CPU_WORDS], bool has_mm, uint64_t pgd_phys,
                    uint64_t start, uint64_t end, unsigned stride_shift);

/* Called by Linux's code: the hypercall instruction, and the IPI fallback. */
uint64_t lg_hypercall(uint64_t control, void *input, void *output);
void lg_native_flush(void);

/* ---- tlbf_side.c ---- */

enum lg_kind { LG_KIND_ENTIRE, LG_KIND_NON_GLOBAL, LG_KIND_LIST };

/* What the library's decoder says one hypercall asks for. */
struct lg_decoded {
	unsigned status;      /* Hyper-V status; 0 success */
	const char *rule;     /* the rule that decided */
	enum lg_kind kind;
	bool all_address_spaces;
	uint64_t address_space;
	unsigned target_vtl;
	uint64_t vps[LG_VP_WORDS]; /* the VP set, walked in full */
	uint32_t vp_members;
	uint32_t range_count; /* ranges from rep start on */
	uint64_t first_page[LG_MAX_RANGES];
	uint32_t pages[LG_MAX_RANGES];
};

/* The largest VP count the library serves (its TLBF_MAX_VPS). */
uint32_t lg_tlbf_max_vps(void);

/* Decode one hypercall from VTL 0 of a partition of @vp_count VPs. */
void lg_tlbf_decode(uint64_t control, const void *input, size_t len, uint32_t vp_count,
                    struct lg_decoded *out);

#endif /* LG_H */
