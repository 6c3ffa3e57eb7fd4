/* SPDX-License-Identifier: MIT */
/*
 * examples/kvm/demo_kvm.c - TLB shootdown on real vCPUs: the four designs
 * of bench/designs (tlbflush and the baselines rwlock, mutex-seqlock and
 * kvm-fifo) on /dev/kvm through tlbflush/kvm_backend.h, with a
 * stale-translation check done by the MMU itself.
 *
 * A small 64-bit guest (guest.S, layout.h): vCPUs 0 .. W-1 are writers,
 * the others readers, all at ring 3. A writer changes the PTEs of the test
 * pages it owns (in every vCPU's own copy of the page-table page: vCPUs
 * that shared it would share KVM's shadow page, and a flush of one would
 * refresh all) and issues HvCallFlushVirtualAddressList/Space and their Ex
 * forms, from memory or fast (RDX, R8, XMM0-XMM5), through an I/O-port
 * exit. The VMM handles each call as the guide says:
 * tlbf_hypercall_decode(), the design's flush call (design_flush(): for
 * tlbflush, tlbf_flush_handle()), tlbf_hypercall_result() into RAX. Each
 * vCPU thread's run loop is the design's entry path around the backend's
 * entry (design_prepare_entry, tlbf_kvm_run, design_entry_done); every
 * design kicks through the same struct tlbf_backend, the KVM one.
 *
 * The check: when a call returned, the VMM writes its number into
 * done[k][vp] for the writer's pages k and every VP of its set; a reader
 * loads done[k][vp] first and then page k through its test mapping, which
 * holds the number of the call that mapped it. A value below done is a
 * read, through a translation the call flushed, of a page the call had
 * unmapped, by a VP of its set, after the call returned: a stale
 * translation. Reported at once with an exit (PORT_STALE) and counted.
 *
 * --tlb-locks P (tlbflush only): at each of its periodic exits a reader
 * takes, with probability P, VTL1's lock of its VTL0 TLB outside KVM_RUN
 * (tlbf_tlb_lock), holds it up to --hold-us, and releases it
 * (tlbf_tlb_unlock, which wakes the VPs it releases). A writer's call that
 * finds a holder in its set answers TLBF_STATUS_SUSPEND; the writer's
 * thread halts in tlbf_kvm_halt() while tlbf_tlb_lock_must_wait() says so.
 * Checked: no wake-up is lost (a halt that outlives LOST_BOUND_MS is
 * reported lost), and no call completes while a VP of its set still holds
 * the lock it held when the call began (tlbflush/oracle.h).
 *
 *   demo_kvm [--design NAME|all] [--seconds S] [--readers N] [--writers W]
 *            [--pages K] [--tick MASK] [--chaos] [--no-measure]
 *            [--tlb-locks P] [--hold-us U] [--break STEP]
 *            [--expect stale|lost|early] [--expect-stale]
 *
 * Exit status: 0; 3 if a stale read was seen; 1 on a lost wake-up, an
 * early completion or any other error; 77 if no VM can be created here.
 * With --expect CHECK (a broken build): 0 if that check fired, 3 if not, 1
 * on any other error; the run ends at the first catch. --break STEP
 * disables a protocol step (TLBF_BREAK(STEP)) in the library, the backend
 * and this VMM: NO_KICK, NO_WAIT, EARLY_CLEAR, the TLB-lock steps (only the
 * tlbflush design has them), KVM_NO_MMU_RESET, KVM_NO_SIGNAL, KVM_NO_WAKE
 * (the backend's), VMM_NO_HALT (a suspended writer resumed at once).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

/* --chaos: at every labelled step of this file's library code (the
 * backend's R1-R8, the TLB-lock steps), now and then sleep 20-100 us: a VP
 * or an initiator descheduled there. The designs' own steps get the
 * designs' chaos (hooks.h, design_hook_chaos). */
static bool demo_chaos;
static _Thread_local uint64_t chaos_rng;
static void chaos_step(const char *label)
{
	(void)label;
	if (!demo_chaos)
		return;
	if (chaos_rng == 0)
		chaos_rng = (uint64_t)(uintptr_t)&chaos_rng | 1;
	chaos_rng ^= chaos_rng << 13;
	chaos_rng ^= chaos_rng >> 7;
	chaos_rng ^= chaos_rng << 17;
	if ((chaos_rng & 7) == 0) {
		struct timespec ts = {0, 20000 + (long)((chaos_rng >> 8) % 80000)};
		nanosleep(&ts, NULL);
	}
}
#define TLBF_STEP(label) chaos_step(label)

/* --break STEP: the same step disabled here and in the designs' library. */
static const char *demo_break;
static inline bool demo_break_is(const char *name)
{
	return demo_break != NULL && strcmp(name, demo_break) == 0;
}
#define TLBF_BREAK(name) demo_break_is(#name)

#include "../verdict.h"
#include "design.h" /* bench/designs (instrumented build: hooks.h's globals) */
#include "tlbflush/tlbflush.h"
#include "tlbflush/kvm_backend.h"
#include "tlbflush/oracle.h"

#include "layout.h"

extern const unsigned char guest_code[], guest_code_end[];
extern const uint64_t guest_entry[3];
enum { ENTRY_READER, ENTRY_WRITER, ENTRY_TICKER };

#define MAX_VCPUS GUEST_MAX_VCPUS
#define KICK_SIGNAL SIGUSR1
#define MAX_SAMPLES (1u << 20)
#define NIV 4             /* equal parts of a run, for the noise */
#define LOST_BOUND_MS 1000 /* a halt longer than this lost its wake-up */

struct opts {
	const struct design_ops *only; /* NULL: every design */
	double seconds;
	uint32_t readers;
	uint32_t writers;
	uint32_t pages;
	bool measure;
	const char *expect; /* the check a break must fire: stale, lost or early */
	uint64_t tick; /* a reader exits every tick + 1 loops (a power of two - 1) */
	double tlb_locks;
	double hold_us;
};

/* One VM: memory, vCPUs. */
struct vm {
	int kvm, fd;
	uint8_t *mem;
	uint32_t nv;
	int vcpu[MAX_VCPUS];
	struct kvm_run *run[MAX_VCPUS];
	size_t run_size;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "demo_kvm: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* 77 with one line when this host cannot run a VM. */
static void skip(const char *what)
{
	printf("demo_kvm: skipped: %s: %s\n", what, strerror(errno));
	exit(77);
}

static void wr64(struct vm *vm, uint64_t gpa, uint64_t v)
{
	memcpy(vm->mem + gpa, &v, 8);
}

static uint64_t rd64(const struct vm *vm, uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, vm->mem + gpa, 8);
	return v;
}

/* A 64-bit code or data segment of privilege @dpl. */
static struct kvm_segment seg(uint16_t sel, bool code, uint8_t dpl)
{
	struct kvm_segment s;
	memset(&s, 0, sizeof(s));
	s.base = 0;
	s.limit = 0xffffffff;
	s.selector = sel;
	s.type = code ? 11 : 3;
	s.present = 1;
	s.dpl = dpl;
	s.db = code ? 0 : 1;
	s.s = 1;
	s.l = code ? 1 : 0;
	s.g = 1;
	return s;
}

/* The GDT in guest memory (what the descriptors in the sregs say). */
static void write_gdt(struct vm *vm)
{
	const uint64_t gdt[] = {
		0,
		UINT64_C(0x00af9b000000ffff), /* 0x08 ring-0 code, L */
		UINT64_C(0x00cf93000000ffff), /* 0x10 ring-0 data */
		UINT64_C(0x00cff3000000ffff), /* 0x18 ring-3 data */
		UINT64_C(0x00affb000000ffff), /* 0x20 ring-3 code, L */
		/* 0x28 64-bit TSS at GUEST_TSS, limit 0x67 */
		UINT64_C(0x0000890000000067) | ((uint64_t)GUEST_TSS << 16),
		0,
	};
	memcpy(vm->mem + GUEST_GDT, gdt, sizeof(gdt));
}

/* Every vCPU's page tables: 1:1 2 MiB page at 0, and the test pages
 * through its own page-table page, at pool page 0 (content 0). */
static void write_page_tables(struct vm *vm, uint32_t npages)
{
	for (uint32_t v = 0; v < vm->nv; v++) {
		const uint64_t b = GUEST_PT_BASE + (uint64_t)v * 0x4000;
		memset(vm->mem + b, 0, 0x4000);
		wr64(vm, b, (b + 0x1000) | 7);          /* PML4[0] -> PDPT */
		wr64(vm, b + 0x1000, (b + 0x2000) | 7); /* PDPT[0] -> PD */
		wr64(vm, b + 0x2000, 0x87);             /* PD[0]: 2 MiB at 0 */
		wr64(vm, b + 0x2008, (b + 0x3000) | 7); /* PD[1] -> PT (test pages) */
		for (uint32_t k = 0; k < npages; k++)
			wr64(vm, b + 0x3000 + 8 * k,
			     (GUEST_POOL + ((uint64_t)k << GUEST_POOL_SHIFT) * 0x1000) | 7);
	}
}

/* The VP set a slot's call names (bit per VP): every other group of slots
 * names all VPs, the others a varying subset that holds a reader at least
 * (and now and then writers). */
static uint64_t slot_set(uint32_t s, uint32_t nv, uint32_t nw, bool *all)
{
	const uint64_t every = (nv >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << nv) - 1);
	const uint64_t readers = every & ~((UINT64_C(1) << nw) - 1);
	*all = ((s / 4) & 1) == 0;
	if (*all)
		return every;
	uint64_t m = (UINT64_C(0x9e3779b97f4a7c15) * (s + 1)) >> 40;
	m &= every;
	if ((m & readers) == 0)
		m |= readers;
	return m;
}

/* The call slots and their input: List, Space, ListEx, SpaceEx in turn,
 * all VPs or a sparse set; in every other group of 8 slots the call is
 * fast (its input in RDX, R8 and XMM0-XMM5: at most 14 words). */
static void write_calls(struct vm *vm, uint32_t npages, uint32_t nwriters, uint32_t nslots)
{
	static const uint16_t codes[4] = {TLBF_HVCALL_FLUSH_VA_LIST, TLBF_HVCALL_FLUSH_VA_SPACE,
	                                  TLBF_HVCALL_FLUSH_VA_LIST_EX,
	                                  TLBF_HVCALL_FLUSH_VA_SPACE_EX};
	for (uint32_t s = 0; s < nslots; s++) {
		const uint16_t code = codes[s % 4];
		const bool ex = code == TLBF_HVCALL_FLUSH_VA_LIST_EX ||
		                code == TLBF_HVCALL_FLUSH_VA_SPACE_EX;
		const bool list = code == TLBF_HVCALL_FLUSH_VA_LIST ||
		                  code == TLBF_HVCALL_FLUSH_VA_LIST_EX;
		bool all;
		const uint64_t set = slot_set(s, vm->nv, nwriters, &all);
		const uint64_t in = GUEST_INPUT + (uint64_t)s * 0x1000;
		const uint64_t flags = TLBF_HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES |
		                       (all ? TLBF_HV_FLUSH_ALL_PROCESSORS : 0);
		uint64_t w[32];
		uint32_t n = 0;
		unsigned varhdr = 0, reps = 0;
		w[n++] = 0; /* address space */
		w[n++] = flags;
		if (!ex) {
			w[n++] = all ? 0 : set;
		} else if (all) {
			w[n++] = TLBF_HV_GENERIC_SET_ALL;
			w[n++] = 0;
		} else {
			w[n++] = TLBF_HV_GENERIC_SET_SPARSE_4K;
			w[n++] = 1; /* bank 0 */
			w[n++] = set;
			varhdr = 1;
		}
		const uint64_t page0 = GUEST_TEST_VA >> 12;
		if (code == TLBF_HVCALL_FLUSH_VA_LIST) {
			for (uint32_t k = 0; k < npages; k++)
				w[n++] = tlbf_hv_gva_make(page0 + k, 0);
			reps = npages;
		} else if (list) {
			w[n++] = tlbf_hv_gva_make(page0, npages - 1);
			reps = 1;
		}
		memset(vm->mem + in, 0, 0x1000);
		memcpy(vm->mem + in, w, 8 * n);
		const bool fast = (s / 8) % 2 == 1 && n <= 14;
		const uint64_t x = GUEST_XMM + (uint64_t)s * 128;
		memset(vm->mem + x, 0, 128);
		if (fast && n > 2)
			memcpy(vm->mem + x, &w[2], 8 * (n - 2));
		const uint64_t c = GUEST_CALLS + (uint64_t)s * 32;
		wr64(vm, c + GUEST_CALL_RCX, tlbf_hv_control_make(code, fast, varhdr, reps, 0));
		wr64(vm, c + GUEST_CALL_RDX, fast ? w[0] : in);
		wr64(vm, c + GUEST_CALL_R8, fast ? w[1] : GUEST_OUTPUT);
		wr64(vm, c + GUEST_CALL_SET, set);
	}
}

static void vm_create(struct vm *vm, uint32_t nv)
{
	memset(vm, 0, sizeof(*vm));
	vm->nv = nv;
	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		skip("open /dev/kvm");
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		skip("KVM_CREATE_VM");
	vm->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	               -1, 0);
	if (vm->mem == MAP_FAILED)
		die("mmap guest memory");
	struct kvm_userspace_memory_region r = {0, 0, 0, GUEST_MEM_SIZE, (uint64_t)(uintptr_t)vm->mem};
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) != 0)
		skip("KVM_SET_USER_MEMORY_REGION");
	int sz = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0)
		skip("KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = (size_t)sz;
	/* struct kvm_cpuid2 ends in a flexible array: allocate it with room
	 * for 256 entries (a struct around it is a GNU extension). */
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(struct kvm_cpuid_entry2));
	if (cpuid == NULL)
		die("calloc cpuid");
	cpuid->nent = 256;
	bool have_cpuid = ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, cpuid) == 0;
	for (uint32_t v = 0; v < nv; v++) {
		vm->vcpu[v] = ioctl(vm->fd, KVM_CREATE_VCPU, v);
		if (vm->vcpu[v] < 0)
			skip("KVM_CREATE_VCPU");
		vm->run[v] = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		                  vm->vcpu[v], 0);
		if (vm->run[v] == MAP_FAILED)
			die("mmap kvm_run");
		if (have_cpuid && ioctl(vm->vcpu[v], KVM_SET_CPUID2, cpuid) != 0)
			die("KVM_SET_CPUID2");
	}
	free(cpuid);
	write_gdt(vm);
	memcpy(vm->mem + GUEST_CODE, guest_code, (size_t)(guest_code_end - guest_code));
}

static void vm_destroy(struct vm *vm)
{
	for (uint32_t v = 0; v < vm->nv; v++) {
		munmap(vm->run[v], vm->run_size);
		close(vm->vcpu[v]);
	}
	munmap(vm->mem, GUEST_MEM_SIZE);
	close(vm->fd);
	close(vm->kvm);
}

/* vCPU @v starts at @entry in long mode, at ring 3 or 0, with RDI, RSI. */
static void vcpu_start(struct vm *vm, uint32_t v, unsigned entry, bool ring3, uint64_t rdi,
                       uint64_t rsi)
{
	struct kvm_sregs sr;
	if (ioctl(vm->vcpu[v], KVM_GET_SREGS, &sr) != 0)
		die("KVM_GET_SREGS");
	sr.cs = ring3 ? seg(0x23, true, 3) : seg(0x08, true, 0);
	sr.ss = sr.ds = sr.es = sr.fs = sr.gs = ring3 ? seg(0x1b, false, 3) : seg(0x10, false, 0);
	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.base = GUEST_TSS;
	sr.tr.limit = 0x67;
	sr.tr.selector = 0x28;
	sr.tr.type = 11;
	sr.tr.present = 1;
	sr.gdt.base = GUEST_GDT;
	sr.gdt.limit = 7 * 8 - 1;
	sr.cr3 = GUEST_PT_BASE + (uint64_t)v * 0x4000;
	sr.cr4 = (1u << 5) | TLBF_KVM_CR4_PGE | (1u << 9) | (1u << 10); /* PAE, PGE, OSFXSR, OSXMMEXCPT */
	sr.cr0 = 0x80000001u | (1u << 16) | (1u << 5) | (1u << 1); /* PG, PE, WP, NE, MP */
	sr.efer = (1u << 8) | (1u << 10);               /* LME, LMA */
	if (ioctl(vm->vcpu[v], KVM_SET_SREGS, &sr) != 0)
		die("KVM_SET_SREGS");
	struct kvm_regs rg;
	memset(&rg, 0, sizeof(rg));
	rg.rip = GUEST_CODE + guest_entry[entry];
	rg.rflags = 0x2 | (ring3 ? 0x3000 : 0); /* IOPL 3 for the readers' out */
	rg.rdi = rdi;
	rg.rsi = rsi;
	if (ioctl(vm->vcpu[v], KVM_SET_REGS, &rg) != 0)
		die("KVM_SET_REGS");
}

/* ---- one run of a design ---- */

struct writer {
	uint32_t *lat_ns;          /* per call: exit to handled */
	uint8_t *lat_iv;           /* the part of the run it ended in */
	uint64_t nlat;
	uint64_t seq[MAX_VCPUS];   /* the oracle's snapshot of the holds */
	uint64_t susp_max_ns;      /* the longest suspension */
};

struct run {
	const struct opts *o;
	const struct design_ops *ops;
	struct design *d;
	struct tlbf_partition *pt; /* the tlbflush design's, with --tlb-locks */
	struct vm vm;
	struct tlbf_kvm kvm;
	struct tlbf_kvm_vcpu kvcpus[MAX_VCPUS];
	struct tlbf_backend be;
	struct tlbf_oracle oracle;
	tlbf_oracle_word owords[TLBF_ORACLE_WORDS(MAX_VCPUS, 1)];
	struct writer w[GUEST_MAX_WRITERS];
	_Atomic uint64_t halted_since[MAX_VCPUS]; /* ns, 0: not halted */
	atomic_bool stop;
	atomic_bool failed;
	atomic_uint_fast32_t finished;
	atomic_uint_fast64_t stale;    /* stale reads seen */
	atomic_uint_fast64_t calls;    /* flush calls completed */
	atomic_uint_fast64_t suspensions, holds, lost, early;
	atomic_uint_fast64_t fast, fast_sparse_ex; /* fast calls; of them Ex with a sparse set */
	uint64_t t0, span;             /* the run's start and planned length, ns */
	pthread_t threads[MAX_VCPUS];
};

struct vcpu_arg {
	struct run *r;
	uint32_t vp;
};

static uint64_t demo_rng(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* TLBF_STATUS_SUSPEND: halt while the library says the call must wait. */
static void writer_suspend(struct run *r, uint32_t vp)
{
	const uint64_t t0 = now_ns();
	atomic_store(&r->halted_since[vp], t0);
	while (tlbf_tlb_lock_must_wait(r->pt, vp) && !atomic_load(&r->stop)) {
		if (tlbf_kvm_halt(&r->kvm, vp) != TLBF_STATUS_OK) {
			fprintf(stderr, "demo_kvm: tlbf_kvm_halt: %s\n", strerror(errno));
			atomic_store(&r->failed, true);
			break;
		}
	}
	atomic_store(&r->halted_since[vp], 0);
	const uint64_t len = now_ns() - t0;
	if (len > r->w[vp].susp_max_ns)
		r->w[vp].susp_max_ns = len;
}

/* A writer's flush hypercall, handled as a VMM following the guide. */
static void handle_hypercall(struct run *r, uint32_t vp)
{
	int fd = r->vm.vcpu[vp];
	struct kvm_regs rg;
	if (ioctl(fd, KVM_GET_REGS, &rg) != 0)
		die("KVM_GET_REGS");
	const uint64_t t0 = now_ns();
	const uint64_t control = rg.rcx;
	uint64_t fast_in[14];
	const void *in = NULL;
	size_t len = 0;
	if (control & TLBF_HV_CONTROL_FAST) {
		/* Fast: the input is RDX, R8, then XMM0-XMM5, in order. */
		struct kvm_fpu fpu;
		if (ioctl(fd, KVM_GET_FPU, &fpu) != 0)
			die("KVM_GET_FPU");
		fast_in[0] = rg.rdx;
		fast_in[1] = rg.r8;
		memcpy(&fast_in[2], fpu.xmm, 6 * 16);
		in = fast_in;
		len = sizeof(fast_in);
	} else if (rg.rdx < GUEST_MEM_SIZE) {
		in = r->vm.mem + rg.rdx;
		len = 0x1000 - (rg.rdx & 0xfff);
	}
	struct writer *w = &r->w[vp];
	struct tlbf_flush_request req;
	enum tlbf_hv_status st = tlbf_hypercall_decode(control, in, len, r->vm.nv, 0, &req, NULL);
	enum tlbf_status fs = TLBF_STATUS_OK;
	uint64_t t1 = 0;
	if (st == TLBF_HV_STATUS_SUCCESS) {
		/* The decoded set is the slot's (memory or registers alike). */
		const uint64_t g = rd64(&r->vm, GUEST_WGEN + (uint64_t)vp * 64);
		const uint64_t want = rd64(&r->vm, GUEST_CALLS + (g & (GUEST_MAX_SLOTS - 1)) * 32 +
		                                       GUEST_CALL_SET);
		uint64_t got = 0;
		struct tlbf_vpset_iter it;
		uint32_t v;
		tlbf_vpset_iter_init(&it, &req.vps);
		while (tlbf_vpset_iter_next(&it, &v))
			got |= v < 64 ? UINT64_C(1) << v : 0;
		if (got != want) {
			fprintf(stderr, "demo_kvm: call %#llx decoded the set %#llx, not %#llx\n",
			        (unsigned long long)control, (unsigned long long)got,
			        (unsigned long long)want);
			atomic_store(&r->failed, true);
		}
	}
	if (st == TLBF_HV_STATUS_SUCCESS && (control & TLBF_HV_CONTROL_FAST)) {
		atomic_fetch_add(&r->fast, 1);
		if (control & TLBF_HV_CONTROL_VARHDR_MASK) /* the Ex calls' bank words */
			atomic_fetch_add(&r->fast_sparse_ex, 1);
	}
	if (st == TLBF_HV_STATUS_SUCCESS) {
		if (r->pt)
			tlbf_oracle_call_begin(&r->oracle, w->seq, &req.vps, req.target_vtl);
		/* KICK_FAILED: recorded but not known complete: call again. */
		int tries = 0;
		do
			fs = design_flush(r->d, vp, &req);
		while (fs == TLBF_STATUS_KICK_FAILED && ++tries < 3);
		t1 = now_ns();
		if (fs == TLBF_STATUS_SUSPEND && r->pt) {
			atomic_fetch_add(&r->suspensions, 1);
			/* VMM_NO_HALT: this VMM's own broken step (the early check). */
			if (!TLBF_BREAK(VMM_NO_HALT))
				writer_suspend(r, vp);
		} else if (fs != TLBF_STATUS_OK) {
			fprintf(stderr, "demo_kvm: %s: flush call: %s\n", r->ops->name,
			        tlbf_status_name(fs));
			atomic_store(&r->failed, true);
		}
		if (r->pt && !atomic_load(&r->stop) &&
		    tlbf_oracle_call_end(&r->oracle, w->seq, req.target_vtl, vp)) {
			if (atomic_fetch_add(&r->early, 1) == 0)
				fprintf(stderr, "demo_kvm: call of VP %u completed while a VP of its "
				        "set still held its TLB lock\n", vp);
		}
	}
	if (st == TLBF_HV_STATUS_SUCCESS && !atomic_load(&r->failed)) {
		/* The call is complete: from here on no VP of its set may read
		 * a page it unmapped. Record it at once (the writer records it
		 * again when it resumes, later). */
		const uint64_t g = rd64(&r->vm, GUEST_WGEN + (uint64_t)vp * 64);
		const uint64_t set = rd64(&r->vm, GUEST_CALLS + (g & (GUEST_MAX_SLOTS - 1)) * 32 +
		                                      GUEST_CALL_SET);
		for (uint32_t v = 0; v < r->vm.nv; v++)
			for (uint32_t k = vp; set >> v & 1 && k < r->o->pages; k += r->o->writers)
				__atomic_store_n((uint64_t *)(void *)(r->vm.mem + GUEST_DONE + k * 128 + v * 8),
				                 g, __ATOMIC_RELEASE);
	}
	rg.rax = tlbf_hypercall_result(control, st);
	/* The latency: up to the flush call's answer (a suspension not
	 * included, as in the simulator). */
	const uint64_t t2 = t1 ? t1 : now_ns();
	if (w->nlat < MAX_SAMPLES) {
		uint64_t iv = (t2 - r->t0) * NIV / r->span;
		w->lat_ns[w->nlat] = (uint32_t)(t2 - t0);
		w->lat_iv[w->nlat++] = (uint8_t)(iv < NIV ? iv : NIV - 1);
	}
	atomic_fetch_add(&r->calls, 1);
	if (ioctl(fd, KVM_SET_REGS, &rg) != 0)
		die("KVM_SET_REGS");
}

static void on_stale(struct run *r, uint32_t vp)
{
	struct kvm_regs rg;
	if (ioctl(r->vm.vcpu[vp], KVM_GET_REGS, &rg) != 0)
		die("KVM_GET_REGS");
	if (atomic_fetch_add(&r->stale, 1) == 0)
		fprintf(stderr, "demo_kvm: %s: stale read on VP %u: page %llu holds call %llu, "
		        "call %llu had returned\n", r->ops->name, vp,
		        (unsigned long long)rg.rcx, (unsigned long long)rg.rbx,
		        (unsigned long long)rg.rax);
}

/* --tlb-locks: VTL1 of a reader locks its VTL0 TLB outside KVM_RUN for up
 * to --hold-us, then releases it (which wakes the VPs it releases). */
static void reader_hold(struct run *r, uint32_t vp, uint64_t *rng)
{
	const uint64_t hold_ns = 1 + demo_rng(rng) % (uint64_t)(r->o->hold_us * 1e3 + 1);
	if (tlbf_tlb_lock(r->pt, vp, 1, 0) != TLBF_STATUS_OK) {
		atomic_store(&r->failed, true);
		return;
	}
	/* The oracle's hold lies within the library's. */
	tlbf_oracle_hold(&r->oracle, vp, 0, true);
	const uint64_t until = now_ns() + hold_ns;
	while (now_ns() < until) {
		/* A kick's signal ends a sleep early: sleep again. */
		struct timespec ts = {0, (long)(until - now_ns() < 1000000 ? until - now_ns() : 1000000)};
		nanosleep(&ts, NULL);
	}
	tlbf_oracle_hold(&r->oracle, vp, 0, false);
	if (tlbf_tlb_unlock(r->pt, &r->be, vp, 1, (demo_rng(rng) & 1) ? 0u : TLBF_TLB_UNLOCK_ALL) !=
	    TLBF_STATUS_OK)
		atomic_store(&r->failed, true);
	atomic_fetch_add(&r->holds, 1);
}

static void *vcpu_thread(void *p)
{
	struct vcpu_arg *a = p;
	struct run *r = a->r;
	const uint32_t vp = a->vp;
	uint64_t rng = UINT64_C(0x9e3779b97f4a7c15) * (vp + 1) | 1;
	if (tlbf_kvm_vcpu_bind(&r->kvm, vp) != TLBF_STATUS_OK) {
		atomic_store(&r->failed, true);
		goto out;
	}
	design_vp_start(r->d, vp, NULL);
	while (!atomic_load(&r->stop)) {
		if (design_prepare_entry(r->d, vp, 0) != TLBF_STATUS_OK) {
			atomic_store(&r->failed, true);
			break;
		}
		const enum tlbf_kvm_result res = tlbf_kvm_run(&r->kvm, vp, 0);
		if (design_entry_done(r->d, vp, tlbf_kvm_entered(res)) != TLBF_STATUS_OK) {
			atomic_store(&r->failed, true);
			break;
		}
		if (res == TLBF_KVM_RUN_FLUSH_FAILED || res == TLBF_KVM_RUN_FAILED) {
			fprintf(stderr, "demo_kvm: VP %u: %s: %s\n", vp,
			        res == TLBF_KVM_RUN_FAILED ? "KVM_RUN" : "MMU reset", strerror(errno));
			atomic_store(&r->failed, true);
			break;
		}
		if (res != TLBF_KVM_RUN_EXIT)
			continue;
		struct kvm_run *run = r->vm.run[vp];
		if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT) {
			switch (run->io.port) {
			case PORT_HYPERCALL: handle_hypercall(r, vp); continue;
			case PORT_STALE: on_stale(r, vp); continue;
			case PORT_TICK:
				if (r->pt && (double)(demo_rng(&rng) >> 11) * 0x1p-53 < r->o->tlb_locks)
					reader_hold(r, vp, &rng);
				continue;
			case PORT_STOP: goto out;
			case PORT_HC_ERROR: atomic_store(&r->failed, true); continue;
			default: break;
			}
		}
		if (run->exit_reason == KVM_EXIT_INTR)
			continue;
		fprintf(stderr, "demo_kvm: VP %u: unexpected exit %u\n", vp, run->exit_reason);
		atomic_store(&r->failed, true);
		break;
	}
out:
	atomic_fetch_add(&r->finished, 1);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void yield_relax(void *arg)
{
	(void)arg;
	sched_yield();
}

/* Figures of a run, whole (index NIV) and per part (0 .. NIV-1). */
struct figs {
	double rate, kicks, cancelled, p50, p99, max; /* calls/s; per call; us */
};

struct result {
	const char *name;
	struct figs f[NIV + 1];
	uint64_t calls, kicks, waits, cancelled, resets, stale, reads;
	uint64_t suspensions, holds, lost, early, susp_max_ns, fast, fast_sparse_ex;
	bool failed;
};

/* The backend's counters now: kicks sent, entries cancelled. */
static void snap(struct run *r, uint64_t *calls, uint64_t *kicks, uint64_t *cancelled)
{
	*calls = atomic_load(&r->calls);
	/* Relaxed: a statistic. */
	*kicks = tlbf__load(&r->kvm.kicks, TLBF_RELAXED);
	*cancelled = 0;
	for (uint32_t v = 0; v < r->vm.nv; v++)
		/* Written by the VP's thread only; read while it runs. */
		*cancelled += __atomic_load_n(&r->kvcpus[v].cancelled, __ATOMIC_RELAXED);
}

/* Latency percentiles of the samples of part @iv (NIV: all). */
static void latency(struct run *r, int iv, struct figs *f, uint32_t *tmp)
{
	size_t n = 0;
	for (uint32_t w = 0; w < r->o->writers; w++)
		for (uint64_t i = 0; i < r->w[w].nlat; i++)
			if (iv == NIV || r->w[w].lat_iv[i] == iv)
				tmp[n++] = r->w[w].lat_ns[i];
	f->p50 = f->p99 = f->max = 0;
	if (!n)
		return;
	qsort(tmp, n, sizeof(uint32_t), cmp_u32);
	f->p50 = tmp[n / 2] / 1e3;
	f->p99 = tmp[(n * 99) / 100] / 1e3;
	f->max = tmp[n - 1] / 1e3;
}

static void run_design(const struct opts *o, const struct design_ops *ops, struct result *res)
{
	struct run *r = calloc(1, sizeof(*r));
	if (!r)
		die("calloc");
	r->o = o;
	r->ops = ops;
	const uint32_t nv = o->readers + o->writers;
	for (uint32_t w = 0; w < o->writers; w++) {
		r->w[w].lat_ns = malloc(sizeof(uint32_t) * MAX_SAMPLES);
		r->w[w].lat_iv = malloc(MAX_SAMPLES);
		if (!r->w[w].lat_ns || !r->w[w].lat_iv)
			die("malloc");
	}
	vm_create(&r->vm, nv);
	write_page_tables(&r->vm, o->pages);
	write_calls(&r->vm, o->pages, o->writers, GUEST_MAX_SLOTS);
	for (uint32_t k = 0; k < o->pages << GUEST_POOL_SHIFT; k++)
		memset(r->vm.mem + GUEST_POOL + (uint64_t)k * 0x1000, 0, 0x1000);
	wr64(&r->vm, GUEST_P_NPAGES, o->pages);
	wr64(&r->vm, GUEST_P_NVCPUS, nv);
	wr64(&r->vm, GUEST_P_SLOTMASK, GUEST_MAX_SLOTS - 1);
	wr64(&r->vm, GUEST_P_POOLMASK, (1u << GUEST_POOL_SHIFT) - 1);
	wr64(&r->vm, GUEST_P_TICKMASK, o->tick);
	for (uint32_t v = 0; v < nv; v++) {
		if (v < o->writers)
			vcpu_start(&r->vm, v, ENTRY_WRITER, true, v, o->writers);
		else
			vcpu_start(&r->vm, v, ENTRY_READER, true, v, o->pages);
	}
	if (tlbf_kvm_init(&r->kvm, r->kvcpus, nv, KICK_SIGNAL) != TLBF_STATUS_OK)
		die("tlbf_kvm_init");
	r->kvm.relax = yield_relax;
	for (uint32_t v = 0; v < nv; v++)
		if (tlbf_kvm_vcpu_set(&r->kvm, v, r->vm.vcpu[v], r->vm.run[v]) != TLBF_STATUS_OK)
			die("tlbf_kvm_vcpu_set");
	r->be = tlbf_kvm_backend(&r->kvm);
	const bool locks = o->tlb_locks > 0 && ops == &design_tlbflush_ops;
	struct design_config cfg = {nv, nv, r->be, locks};
	r->d = design_create(ops, &cfg);
	if (!r->d)
		die("design_create");
	if (locks) {
		r->pt = design_partition(r->d);
		if (!r->pt || tlbf_oracle_init(&r->oracle, r->owords, TLBF_ORACLE_WORDS(MAX_VCPUS, 1),
		                               nv, 1, GUEST_TEST_VA >> 12) != TLBF_STATUS_OK)
			die("TLB locks");
	}
	struct vcpu_arg args[MAX_VCPUS];
	r->t0 = now_ns();
	r->span = (uint64_t)(o->seconds * 1e9);
	for (uint32_t v = 0; v < nv; v++) {
		args[v].r = r;
		args[v].vp = v;
		if (pthread_create(&r->threads[v], NULL, vcpu_thread, &args[v]) != 0)
			die("pthread_create");
	}
	uint64_t c0[NIV + 1], k0[NIV + 1], x0[NIV + 1], tb[NIV + 1];
	snap(r, &c0[0], &k0[0], &x0[0]);
	tb[0] = r->t0;
	int part = 0;
	/* Until the time is up, or a check a break must fire fired. */
	while (part < NIV && !atomic_load(&r->failed) && !atomic_load(&r->lost) &&
	       !(o->expect && (atomic_load(&r->stale) || atomic_load(&r->early)))) {
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
		const uint64_t t = now_ns();
		if (t >= r->t0 + r->span * (uint64_t)(part + 1) / NIV) {
			part++;
			snap(r, &c0[part], &k0[part], &x0[part]);
			tb[part] = t;
		}
		/* A halt that outlived the bound lost its wake-up. */
		for (uint32_t v = 0; v < o->writers; v++) {
			const uint64_t h = atomic_load(&r->halted_since[v]);
			if (h && t > h && t - h > (uint64_t)LOST_BOUND_MS * 1000000u) {
				fprintf(stderr, "demo_kvm: VP %u halted for more than %d ms: a lost "
				        "wake-up (must wait: %d)\n", v, LOST_BOUND_MS,
				        tlbf_tlb_lock_must_wait(r->pt, v));
				atomic_fetch_add(&r->lost, 1);
			}
		}
	}
	const int parts = part;
	/* Stop: the writers at their next call, then every vCPU out of
	 * KVM_RUN, a halted one woken (by hand: with KVM_NO_WAKE the
	 * backend's wake does nothing). */
	wr64(&r->vm, GUEST_P_STOP, 1);
	atomic_store(&r->stop, true);
	while (atomic_load(&r->finished) < nv) {
		for (uint32_t v = 0; v < nv; v++) {
			__atomic_store_n(&r->vm.run[v]->immediate_exit, 1, __ATOMIC_SEQ_CST);
			/* Release, as R5: the halt's R6 consumes it. */
			tlbf__store(&r->kvcpus[v].wake, 1, TLBF_RELEASE);
			pthread_kill(r->threads[v], KICK_SIGNAL);
		}
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	for (uint32_t v = 0; v < nv; v++)
		pthread_join(r->threads[v], NULL);
	const uint64_t t_end = now_ns();
	uint64_t c_end, k_end, x_end;
	snap(r, &c_end, &k_end, &x_end);
	memset(res, 0, sizeof(*res));
	res->name = ops->name;
	res->calls = c_end;
	res->kicks = k_end;
	res->cancelled = x_end;
	res->waits = atomic_load(&r->kvm.waits);
	for (uint32_t v = 0; v < nv; v++) {
		res->resets += r->kvcpus[v].mmu_resets;
		if (v >= o->writers)
			res->reads += rd64(&r->vm, GUEST_COUNTERS + (uint64_t)v * 64) * o->pages;
	}
	uint64_t ntot = 0;
	for (uint32_t w = 0; w < o->writers; w++) {
		ntot += r->w[w].nlat;
		if (r->w[w].susp_max_ns > res->susp_max_ns)
			res->susp_max_ns = r->w[w].susp_max_ns;
	}
	uint32_t *tmp = malloc(sizeof(uint32_t) * (ntot + 1));
	if (!tmp)
		die("malloc");
	/* The whole run, then each part (-1 rate: the part was not measured). */
	struct figs *f = &res->f[NIV];
	const double calls = c_end ? (double)c_end : 1;
	f->rate = (double)c_end / ((double)(t_end - r->t0) / 1e9);
	f->kicks = (double)k_end / calls;
	f->cancelled = (double)x_end / calls;
	latency(r, NIV, f, tmp);
	for (int i = 0; i < NIV; i++) {
		struct figs *g = &res->f[i];
		if (i >= parts) {
			g->rate = -1;
			continue;
		}
		const double n = c0[i + 1] > c0[i] ? (double)(c0[i + 1] - c0[i]) : 1;
		g->rate = (double)(c0[i + 1] - c0[i]) / ((double)(tb[i + 1] - tb[i]) / 1e9);
		g->kicks = (double)(k0[i + 1] - k0[i]) / n;
		g->cancelled = (double)(x0[i + 1] - x0[i]) / n;
		latency(r, i, g, tmp);
	}
	free(tmp);
	res->stale = atomic_load(&r->stale);
	res->suspensions = atomic_load(&r->suspensions);
	res->holds = atomic_load(&r->holds);
	res->fast = atomic_load(&r->fast);
	res->fast_sparse_ex = atomic_load(&r->fast_sparse_ex);
	res->lost = atomic_load(&r->lost);
	res->early = atomic_load(&r->early);
	res->failed = atomic_load(&r->failed);
	design_destroy(r->d);
	vm_destroy(&r->vm);
	for (uint32_t w = 0; w < o->writers; w++) {
		free(r->w[w].lat_ns);
		free(r->w[w].lat_iv);
	}
	free(r);
}

/* ---- the host's costs: one exit, one kick ---- */

static double median_u32(uint32_t *v, size_t n)
{
	qsort(v, n, sizeof(uint32_t), cmp_u32);
	return n ? v[n / 2] / 1e3 : 0;
}

struct spin_arg {
	struct vm *vm;
	struct tlbf_kvm *k;
	atomic_bool stop;
};

/* A reader vCPU that runs until stopped, for the kick measurement. */
static void *spin_thread(void *p)
{
	struct spin_arg *a = p;
	if (tlbf_kvm_vcpu_bind(a->k, 0) != TLBF_STATUS_OK)
		return NULL;
	while (!atomic_load(&a->stop)) {
		enum tlbf_kvm_result res = tlbf_kvm_run(a->k, 0, 0);
		if (res == TLBF_KVM_RUN_FAILED || res == TLBF_KVM_RUN_FLUSH_FAILED)
			break;
	}
	return NULL;
}

static void measure(double *exit_us, double *kick_us)
{
	enum { N = 400 };
	static uint32_t t[N];
	struct vm vm;
	/* Exit and re-entry: the ticker's out at ring 3. */
	vm_create(&vm, 1);
	write_page_tables(&vm, 1);
	vcpu_start(&vm, 0, ENTRY_TICKER, true, 0, 0);
	for (int i = 0; i < N + 20; i++) {
		uint64_t t0 = now_ns();
		if (ioctl(vm.vcpu[0], KVM_RUN, 0) != TLBF_STATUS_OK || vm.run[0]->exit_reason != KVM_EXIT_IO)
			die("KVM_RUN (ticker)");
		if (i >= 20)
			t[i - 20] = (uint32_t)(now_ns() - t0);
	}
	*exit_us = median_u32(t, N);
	vm_destroy(&vm);

	/* A kick of a vCPU in KVM_RUN: cancel and wait until it returned. */
	vm_create(&vm, 1);
	write_page_tables(&vm, 1);
	wr64(&vm, GUEST_P_NPAGES, 1);
	wr64(&vm, GUEST_P_TICKMASK, ~UINT64_C(0));
	vcpu_start(&vm, 0, ENTRY_READER, true, 0, 1);
	struct tlbf_kvm k;
	struct tlbf_kvm_vcpu kc[1];
	if (tlbf_kvm_init(&k, kc, 1, KICK_SIGNAL) != TLBF_STATUS_OK)
		die("tlbf_kvm_init");
	if (tlbf_kvm_vcpu_set(&k, 0, vm.vcpu[0], vm.run[0]) != TLBF_STATUS_OK)
		die("tlbf_kvm_vcpu_set");
	struct tlbf_backend be = tlbf_kvm_backend(&k);
	struct spin_arg a = {&vm, &k, false};
	pthread_t th;
	if (pthread_create(&th, NULL, spin_thread, &a) != 0)
		die("pthread_create");
	size_t n = 0;
	for (int i = 0; i < 20 * N && n < N; i++) {
		struct timespec ts = {0, 300000};
		nanosleep(&ts, NULL);
		/* Relaxed: only to pick a moment the vCPU is in KVM_RUN. */
		if (!(tlbf__load(&kc[0].run, TLBF_RELAXED) & 1))
			continue;
		uint64_t mask = 1;
		uint64_t t0 = now_ns();
		if (be.ops->kick(be.ctx, &mask, 1, TLBF_KICK_CANCEL | TLBF_KICK_WAIT) != 0)
			die("kick");
		t[n++] = (uint32_t)(now_ns() - t0);
	}
	*kick_us = median_u32(t, n);
	atomic_store(&a.stop, true);
	while (pthread_tryjoin_np(th, NULL) != 0) {
		uint64_t mask = 1;
		(void)be.ops->kick(be.ctx, &mask, 1, TLBF_KICK_CANCEL);
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	vm_destroy(&vm);
}

/* ---- the table, its legend and the verdict (as make demo prints them) ---- */


static double fig(const struct figs *f, enum figure g)
{
	switch (g) {
	case FIG_KICKS: return f->kicks;
	case FIG_CANCELLED: return f->cancelled;
	case FIG_P99: return f->p99;
	case FIG_MAX: return f->max;
	default: return f->rate;
	}
}

/* A figure's noise: its spread (max - min) between the parts of the run;
 * negative when fewer than two were measured. */
static double spread(const struct result *r, enum figure g)
{
	double lo = INFINITY, hi = -INFINITY;
	int n = 0;
	for (int i = 0; i < NIV; i++) {
		if (r->f[i].rate < 0)
			continue;
		const double x = fig(&r->f[i], g);
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
		n++;
	}
	return n < 2 ? -1 : hi - lo;
}

static void fmt_figure(char *buf, size_t len, enum figure g, double v)
{
	if (g == FIG_RATE)
		snprintf(buf, len, v >= 1e4 ? "%.1fk" : "%.0f", v >= 1e4 ? v / 1e3 : v);
	else if (g == FIG_P99 || g == FIG_MAX)
		snprintf(buf, len, "%.1f us", v);
	else
		snprintf(buf, len, "%.2f", v);
}

static const char *label(const char *name)
{
	static char buf[8][48];
	static unsigned next;
	char *b = buf[next++ % 8];
	snprintf(b, 48, "%s (%s)", name, strcmp(name, "tlbflush") == 0 ? "this library" : "baseline");
	return b;
}

#define ROW_FMT "%-24s %8s %5s %6s %7s %8s %8s %8s %7s %7s %6s\n"

static void print_header(const struct opts *o)
{
	printf("%u writer + %u reader vCPUs, %u test pages, %.1f s per design%s, %ld host CPUs\n",
	       o->writers, o->readers, o->pages, o->seconds, demo_chaos ? ", chaos" : "",
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("tlbflush is this library; rwlock, mutex-seqlock and kvm-fifo are baselines\n"
	       "re-implemented from OpenVMM (original and current) and KVM (bench/designs), driven\n"
	       "by the same guest and flush calls and kicking through the same KVM backend.\n\n");
	printf(ROW_FMT, "design", "calls/s", "noise", "kicks", "cancel", "p50", "p99", "max",
	       "resets", "reads", "stale");
	printf(ROW_FMT, "", "", "", "/call", "/call", "us", "us", "us", "/call", "M", "");
	printf("%.*s\n", 100, "--------------------------------------------------"
	                      "--------------------------------------------------");
	fflush(stdout);
}

static void print_row(const struct result *r)
{
	char c[10][24];
	const struct figs *f = &r->f[NIV];
	const double sp = spread(r, FIG_RATE);
	fmt_figure(c[0], 24, FIG_RATE, f->rate);
	if (sp >= 0 && f->rate > 0)
		snprintf(c[1], 24, "%.0f%%", 100.0 * sp / f->rate);
	else
		snprintf(c[1], 24, "-");
	snprintf(c[2], 24, "%.2f", f->kicks);
	snprintf(c[3], 24, "%.2f", f->cancelled);
	snprintf(c[4], 24, "%.1f", f->p50);
	snprintf(c[5], 24, "%.1f", f->p99);
	snprintf(c[6], 24, "%.1f", f->max);
	snprintf(c[7], 24, "%.2f", r->calls ? (double)r->resets / (double)r->calls : 0);
	snprintf(c[8], 24, "%.1f", (double)r->reads / 1e6);
	snprintf(c[9], 24, "%llu", (unsigned long long)r->stale);
	printf(ROW_FMT, label(r->name), c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]);
	if (r->failed)
		printf("  %s FAILED (see stderr)\n", r->name);
	fflush(stdout);
}

static void print_legend(double exit_us, double kick_us)
{
	printf("\n"
	       "  calls/s      flush hypercalls completed per second (exit, decode, the design's\n"
	       "               record and wake, kick with wait, re-entry): the writers' throughput\n"
	       "  noise        run-to-run noise of calls/s: its spread (max - min) between the\n"
	       "               %d equal parts of the run, in %% of calls/s\n"
	       "  kicks/call   cancel signals sent per flush call (each: the cancel word,\n"
	       "               immediate_exit and a signal to the vCPU thread)\n"
	       "  cancel/call  guest entries a kick cancelled before KVM_RUN, per flush call\n"
	       "  p50/p99/max  flush-call latency in the VMM: from the exit's registers read to\n"
	       "               the design's answer\n"
	       "  resets/call  vCPU MMU resets (the flush at entry: KVM_SET_SREGS, CR4.PGE\n"
	       "               toggled) per flush call\n"
	       "  reads        test-page reads by the readers' guest code (millions)\n"
	       "  stale        reads through a translation a returned flush call had removed\n"
	       "               (must be 0)\n",
	       NIV);
	if (exit_us > 0)
		printf("  on this host: one exit and re-entry (ring-3 out) %.1f us median, one kick\n"
		       "  (cancel, signal, wait until KVM_RUN returned) %.1f us median\n",
		       exit_us, kick_us);
}

static void verdict_figure(const struct result *a, const struct result *b, enum figure g)
{
	const double x = fig(&a->f[NIV], g), y = fig(&b->f[NIV], g);
	const double sa = spread(a, g), sb = spread(b, g);
	char fx[24], fy[24], fn[24];
	fmt_figure(fx, sizeof(fx), g, x);
	fmt_figure(fy, sizeof(fy), g, y);
	fmt_figure(fn, sizeof(fn), g, sa > sb ? sa : sb);
	verdict_line(g, x, y, sa, sb, fx, fy, fn);
}

static void print_verdict(const struct result *res, unsigned n)
{
	const struct result *lib = NULL;
	for (unsigned i = 0; i < n; i++)
		if (strcmp(res[i].name, "tlbflush") == 0)
			lib = &res[i];
	if (!lib || n < 2)
		return;
	verdict_intro(NIV);
	for (unsigned i = 0; i < n; i++) {
		if (&res[i] == lib)
			continue;
		const struct design_ops *ops = design_find(res[i].name);
		printf("  %s (%s)\n", res[i].name, ops ? ops->summary : "baseline");
		printf("    %-15s %9s    %s\n", "", "tlbflush", res[i].name);
		for (unsigned g = 0; g < FIG__COUNT; g++)
			verdict_figure(lib, &res[i], (enum figure)g);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: demo_kvm [--design NAME|all] [--seconds S] [--readers N] "
	                "[--writers W] [--pages K] [--tick MASK] [--chaos] [--no-measure] "
	                "[--tlb-locks P] [--hold-us U] [--break STEP] [--expect-stale]\n"
	                "designs:");
	for (unsigned i = 0; design_list[i]; i++)
		fprintf(stderr, " %s", design_list[i]->name);
	fprintf(stderr, "\n");
	exit(1);
}

/* "NO_WAIT" -> the designs' break mode "no-wait" (DESIGN_BREAK_NONE if
 * the designs do not know it: a step of the backend only). */
static enum design_break design_break_of(const char *step)
{
	char name[64];
	size_t i = 0;
	for (; step[i] && i + 1 < sizeof(name); i++)
		name[i] = step[i] == '_' ? '-' : (char)tolower((unsigned char)step[i]);
	name[i] = 0;
	const enum design_break b = design_break_parse(name);
	return b == DESIGN_BREAK__COUNT ? DESIGN_BREAK_NONE : b;
}

int main(int argc, char **argv)
{
	struct opts o = {NULL, 3.0, 2, 1, 4, true, NULL, 0x3ffff, 0, 200};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--design") && v) {
			o.only = strcmp(v, "all") ? design_find(v) : NULL;
			if (strcmp(v, "all") && !o.only)
				usage();
			i++;
		} else if (!strcmp(a, "--seconds") && v) {
			o.seconds = atof(v);
			i++;
		} else if (!strcmp(a, "--readers") && v) {
			o.readers = (uint32_t)atoi(v);
			i++;
		} else if (!strcmp(a, "--writers") && v) {
			o.writers = (uint32_t)atoi(v);
			i++;
		} else if (!strcmp(a, "--pages") && v) {
			o.pages = (uint32_t)atoi(v);
			i++;
		} else if (!strcmp(a, "--tick") && v) {
			o.tick = strtoull(v, NULL, 0);
			i++;
		} else if (!strcmp(a, "--tlb-locks") && v) {
			o.tlb_locks = atof(v);
			i++;
		} else if (!strcmp(a, "--hold-us") && v) {
			o.hold_us = atof(v);
			i++;
		} else if (!strcmp(a, "--break") && v) {
			demo_break = v;
			i++;
		} else if (!strcmp(a, "--chaos")) {
			demo_chaos = true;
		} else if (!strcmp(a, "--no-measure")) {
			o.measure = false;
		} else if (!strcmp(a, "--expect-stale")) {
			o.expect = "stale";
		} else if (!strcmp(a, "--expect") && v && (!strcmp(v, "stale") || !strcmp(v, "lost") ||
		                                           !strcmp(v, "early"))) {
			o.expect = v;
			i++;
		} else {
			usage();
		}
	}
	if (o.readers < 1 || o.writers < 1 || o.writers > GUEST_MAX_WRITERS ||
	    o.readers + o.writers > MAX_VCPUS || o.pages < o.writers || o.pages > GUEST_MAX_PAGES ||
	    o.seconds <= 0 || o.tlb_locks < 0 || o.hold_us < 0)
		usage();
	/* The designs' hooks (their library is the instrumented build). */
	design_hook_chaos = demo_chaos;
	design_hook_active = demo_chaos;
	design_hook_break = demo_break ? design_break_of(demo_break) : DESIGN_BREAK_NONE;
	if (tlbf_kvm_install_signal(KICK_SIGNAL) != TLBF_STATUS_OK)
		die("sigaction");
	/* A VM can be created, or this host skips (77) with one line. */
	{
		struct vm probe;
		vm_create(&probe, 1);
		vm_destroy(&probe);
	}
	if (demo_break)
		printf("demo_kvm: built with the protocol step %s disabled\n", demo_break);
	double exit_us = 0, kick_us = 0;
	if (o.measure) {
		measure(&exit_us, &kick_us);
		printf("host: one exit and re-entry (ring-3 out) %.1f us median; one kick "
		       "(signal, wait until KVM_RUN returned) %.1f us median\n", exit_us, kick_us);
	}
	print_header(&o);
	struct result res[8];
	unsigned n = 0;
	uint64_t stale = 0, susp = 0, holds = 0, lost = 0, early = 0, susp_max = 0;
	uint64_t calls = 0, fast = 0, fast_ex = 0;
	bool failed = false;
	for (unsigned d = 0; design_list[d] && n < 8; d++) {
		if (o.only && design_list[d] != o.only)
			continue;
		run_design(&o, design_list[d], &res[n]);
		print_row(&res[n]);
		stale += res[n].stale;
		susp += res[n].suspensions;
		holds += res[n].holds;
		lost += res[n].lost;
		early += res[n].early;
		if (res[n].susp_max_ns > susp_max)
			susp_max = res[n].susp_max_ns;
		failed |= res[n].failed || (res[n].calls == 0 && !res[n].lost);
		fast += res[n].fast;
		fast_ex += res[n].fast_sparse_ex;
		calls += res[n].calls;
		n++;
	}
	printf("\nflush calls: %llu, fast (input in RDX, R8, XMM0-XMM5) %llu, of them Ex with a "
	       "sparse set %llu\n", (unsigned long long)calls, (unsigned long long)fast,
	       (unsigned long long)fast_ex);
	/* Every 64 calls of a writer include two fast Ex calls with a sparse
	 * set: none in that many means the fast path was not exercised. */
	if (calls >= 4 * GUEST_MAX_SLOTS * o.writers && fast_ex == 0 && !lost) {
		printf("no fast Ex call with a sparse set completed\n");
		failed = true;
	}
	print_legend(exit_us, kick_us);
	print_verdict(res, n);
	if (o.tlb_locks > 0)
		printf("\nVSM TLB locks (tlbflush only): %llu holds, %llu calls suspended (longest "
		       "%.1f ms), lost wake-ups %llu, early completions %llu\n",
		       (unsigned long long)holds, (unsigned long long)susp, (double)susp_max / 1e6,
		       (unsigned long long)lost, (unsigned long long)early);
	if (failed)
		return 1;
	if (o.tlb_locks > 0 && o.only == &design_tlbflush_ops && susp == 0 && !lost) {
		printf("no call was suspended: the TLB-lock check did not run\n");
		return 1;
	}
	if (o.expect) {
		const uint64_t seen = !strcmp(o.expect, "stale") ? stale
		                      : !strcmp(o.expect, "lost") ? lost : early;
		printf("%s check: %llu %s\n", o.expect, (unsigned long long)seen,
		       seen ? "caught" : "none seen, expected one");
		return seen ? 0 : 3;
	}
	printf("\nstale translations: %llu\n", (unsigned long long)stale);
	if (lost || early)
		return 1;
	return stale ? 3 : 0;
}
