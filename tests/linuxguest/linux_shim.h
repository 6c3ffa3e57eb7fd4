/* SPDX-License-Identifier: MIT */
/*
 * The least of a kernel that Linux 6.1's Hyper-V flush code needs to run in
 * a user process: types, the cpumask operations it uses, the per-CPU input
 * page, hv_vp_index[], and stand-ins for what a test has no use for
 * (interrupts, tracing, the NMI watchdog). Written for this test, after
 * the kernel's interfaces, not copied from it. 64-bit only.
 */
#ifndef LG_LINUX_SHIM_H
#define LG_LINUX_SHIM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lg.h"

_Static_assert(sizeof(unsigned long) == 8, "a 64-bit kernel");

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define U32_MAX UINT32_MAX
#define __packed __attribute__((packed))
#define __percpu
#define unlikely(x) __builtin_expect(!!(x), 0)
#define BIT(n) (1UL << (n))
#define GENMASK_ULL(h, l) ((~0ULL >> (63 - (h))) & (~0ULL << (l)))

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define TLB_FLUSH_ALL (-1UL)
/* No memory encryption: the C-bit clear is the identity. */
#define __sme_clr(x) (x)

/* Cpumasks of up to LG_NR_CPUS CPUs; nr_cpu_ids of them exist. */
struct cpumask {
	unsigned long bits[LG_CPU_WORDS];
};
extern unsigned int nr_cpu_ids;
#define nr_cpumask_bits nr_cpu_ids
extern const struct cpumask *cpu_present_mask;

static inline bool lg_cpu_set(const struct cpumask *m, unsigned cpu)
{
	return (m->bits[cpu / 64] >> (cpu % 64)) & 1u;
}

/* The last CPU of @m, or nr_cpumask_bits when it has none. */
static inline unsigned int cpumask_last(const struct cpumask *m)
{
	for (unsigned cpu = nr_cpumask_bits; cpu-- > 0;)
		if (lg_cpu_set(m, cpu))
			return cpu;
	return nr_cpumask_bits;
}

/* The first CPU of @m after @n (n = -1: from the start), or nr_cpu_ids. */
static inline unsigned int cpumask_next(int n, const struct cpumask *m)
{
	for (unsigned cpu = (unsigned)(n + 1); cpu < nr_cpu_ids; cpu++)
		if (lg_cpu_set(m, cpu))
			return cpu;
	return nr_cpu_ids;
}

#define for_each_cpu(cpu, mask) \
	for ((cpu) = -1; (cpu) = (int)cpumask_next((cpu), (mask)), (cpu) < (int)nr_cpu_ids;)

static inline bool cpumask_equal(const struct cpumask *a, const struct cpumask *b)
{
	for (unsigned cpu = 0; cpu < nr_cpumask_bits; cpu++)
		if (lg_cpu_set(a, cpu) != lg_cpu_set(b, cpu))
			return false;
	return true;
}

static inline void __set_bit(long nr, volatile unsigned long *addr)
{
	addr[nr / 64] |= 1UL << (nr % 64);
}

/* The CPU the flush runs on, and its interrupts (nothing to mask here). */
#define smp_processor_id() 0
#define local_irq_save(flags) ((flags) = 0)
#define local_irq_restore(flags) ((void)(flags))
#define touch_nmi_watchdog() ((void)0)
#define trace_hyperv_mmu_flush_tlb_multi(cpus, info) ((void)(cpus), (void)(info))

/* The mm a flush is for: only its page-table root's address is read. */
typedef struct {
	unsigned long pgd;
} pgd_t;
struct mm_struct {
	pgd_t *pgd;
};

/* Fields as in Linux 6.1 (Debian); the flush code reads mm, start, end. */
struct flush_tlb_info {
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;
	u64 new_tlb_gen;
	unsigned int initiating_cpu;
	u8 stride_shift;
	u8 freed_tables;
	u8 trim_cpumask;
};

/* The direct map of x86-64 (4-level paging); pgd pointers are made from it. */
#define LG_PAGE_OFFSET 0xffff888000000000UL
static inline u64 virt_to_phys(volatile void *address)
{
	return (u64)(uintptr_t)address - LG_PAGE_OFFSET;
}

/* The per-CPU input page: one CPU runs, so one slot. */
extern void *__percpu *hyperv_pcpu_input_arg;
#define this_cpu_ptr(ptr) (ptr)

struct ms_hyperv_info {
	u32 hints;
};
extern struct ms_hyperv_info ms_hyperv;
extern void *hv_hypercall_pg;
extern u32 *hv_vp_index;
extern u32 hv_max_vp_index;

u64 hv_do_hypercall(u64 control, void *input, void *output);
void native_flush_tlb_multi(const struct cpumask *cpus, const struct flush_tlb_info *info);

#endif /* LG_LINUX_SHIM_H */
