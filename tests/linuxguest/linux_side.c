/* SPDX-License-Identifier: MIT */
/*
 * Linux 6.1's guest side of the flush hypercalls, as the kernel has it:
 * linux_cut.h is cut at build time by extract.py from Debian's
 * linux-source-6.1 (hyperv_flush_tlb_multi(), hyperv_flush_tlb_others_ex(),
 * fill_gva_list(), cpumask_to_vpset(), hv_do_rep_hypercall() and the TLFS
 * definitions they use), and compiled here over linux_shim.h. This file
 * only provides the kernel's globals and the two ways out of Linux's code:
 * the hypercall and the IPI fallback.
 */
#include "linux_shim.h"
#include "linux_cut.h"

#ifdef LG_LINUX_MISSING

const char *lg_linux_missing(void)
{
	return LG_LINUX_MISSING;
}

void lg_linux_boot(unsigned nr_cpus, const uint32_t *vp_index, uint32_t max_vp_index,
                   void *input_page, bool ex_recommended)
{
	(void)nr_cpus, (void)vp_index, (void)max_vp_index, (void)input_page, (void)ex_recommended;
}

void lg_linux_flush(const uint64_t cpus[LG_CPU_WORDS], bool has_mm, uint64_t pgd_phys,
                    uint64_t start, uint64_t end, unsigned stride_shift)
{
	(void)cpus, (void)has_mm, (void)pgd_phys, (void)start, (void)end, (void)stride_shift;
}

#else

unsigned int nr_cpu_ids;
static struct cpumask lg_present;
const struct cpumask *cpu_present_mask = &lg_present;
static void *lg_input_slot;
void *__percpu *hyperv_pcpu_input_arg = &lg_input_slot;
struct ms_hyperv_info ms_hyperv;
static char lg_hypercall_page;
void *hv_hypercall_pg = &lg_hypercall_page;
u32 *hv_vp_index;
u32 hv_max_vp_index;

u64 hv_do_hypercall(u64 control, void *input, void *output)
{
	return lg_hypercall(control, input, output);
}

void native_flush_tlb_multi(const struct cpumask *cpus, const struct flush_tlb_info *info)
{
	(void)cpus, (void)info;
	lg_native_flush();
}

const char *lg_linux_missing(void)
{
	return NULL;
}

void lg_linux_boot(unsigned nr_cpus, const uint32_t *vp_index, uint32_t max_vp_index,
                   void *input_page, bool ex_recommended)
{
	nr_cpu_ids = nr_cpus;
	for (unsigned w = 0; w < LG_CPU_WORDS; w++)
		lg_present.bits[w] = 0;
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++)
		__set_bit(cpu, lg_present.bits);
	hv_vp_index = (u32 *)vp_index;
	hv_max_vp_index = max_vp_index;
	lg_input_slot = input_page;
	ms_hyperv.hints = ex_recommended ? HV_X64_EX_PROCESSOR_MASKS_RECOMMENDED : 0;
}

void lg_linux_flush(const uint64_t cpus[LG_CPU_WORDS], bool has_mm, uint64_t pgd_phys,
                    uint64_t start, uint64_t end, unsigned stride_shift)
{
	struct cpumask mask;
	for (unsigned w = 0; w < LG_CPU_WORDS; w++)
		mask.bits[w] = cpus[w];
	struct mm_struct mm = { .pgd = (pgd_t *)(uintptr_t)(pgd_phys + LG_PAGE_OFFSET) };
	struct flush_tlb_info info = {
		.mm = has_mm ? &mm : NULL,
		.start = start,
		.end = end,
		.stride_shift = (u8)stride_shift,
	};
	hyperv_flush_tlb_multi(&mask, &info);
}

#endif
