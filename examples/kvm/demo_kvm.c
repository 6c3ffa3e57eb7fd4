/* SPDX-License-Identifier: MIT */
/*
 * examples/kvm/demo_kvm.c - TLB shootdown on real vCPUs: the library's
 * design and a reader-writer-lock baseline, on /dev/kvm, with a stale-
 * translation check done by the MMU itself.
 *
 * A small 64-bit guest (guest.S, layout.h): vCPU 0 is the writer (ring 0),
 * vCPUs 1.. are readers (ring 3). The writer changes the PTEs of the test
 * pages (in every vCPU's own copy of the page-table page: vCPUs that shared
 * it would share KVM's shadow page, and a flush of one would refresh all)
 * and issues HvCallFlushVirtualAddressList/Space and their Ex forms, with
 * the TLFS register convention, through an I/O-port exit. The VMM handles
 * each call as the guide says: tlbf_hypercall_decode(), tlbf_flush_handle()
 * (or the baseline's record and kick), tlbf_hypercall_result() into RAX.
 * Each vCPU thread's run loop is the entry driver (tlbf_entry_prepare,
 * tlbf_kvm_run, tlbf_entry_done) on tlbflush/kvm_backend.h.
 *
 * The check: when a call returned, the writer writes its number into
 * done[k][vp] for every VP of its set; a reader loads done[k][vp] first and
 * then page k through its test mapping, which holds the number of the call
 * that mapped it. A value below done is a read, through a translation the
 * call flushed, of a page the call had unmapped, by a VP of its set, after
 * the call returned: a stale translation. Reported at once with an exit
 * (PORT_STALE) and counted here.
 *
 *   demo_kvm [--design tlbflush|rwlock|all] [--seconds S] [--readers N]
 *            [--pages K] [--tick MASK] [--chaos] [--no-measure] [--expect-stale]
 *
 * Exit status: 0; 3 if a stale read was seen (with --expect-stale: 0 if one
 * was seen, 3 if none); 77 if no VM can be created here; 1 on any other
 * error. Build with -DKVM_BREAK="NAME" to disable a protocol step
 * (TLBF_BREAK(NAME): NO_KICK, NO_WAIT, EARLY_CLEAR, KVM_NO_MMU_RESET,
 * KVM_NO_SIGNAL).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

/* --chaos: at every labelled step of the protocol (TLBF_STEP), now and
 * then sleep 20-100 us: a VP or an initiator descheduled there. Widens the
 * windows a broken step leaves open (as the stress tests' --chaos does). */
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

#ifdef KVM_BREAK
static inline bool kvm_break_is(const char *name)
{
	return strcmp(name, KVM_BREAK) == 0;
}
#define TLBF_BREAK(name) kvm_break_is(#name)
#endif

#include "tlbflush/tlbflush.h"
#include "tlbflush/kvm_backend.h"

#include "layout.h"

extern const unsigned char guest_code[], guest_code_end[];
extern const uint64_t guest_entry[3];
enum { ENTRY_READER, ENTRY_WRITER, ENTRY_TICKER };

#define MAX_VCPUS GUEST_MAX_VCPUS
#define KICK_SIGNAL SIGUSR1
#define MAX_SAMPLES (1u << 21)

enum design_id { DESIGN_TLBFLUSH, DESIGN_RWLOCK };
static const char *const design_names[] = {"tlbflush", "rwlock"};

struct opts {
	int designs; /* bit per enum design_id */
	double seconds;
	uint32_t readers;
	uint32_t pages;
	bool measure;
	bool expect_stale;
	uint64_t tick; /* a reader exits every tick + 1 loops (a power of two - 1) */
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
 * names all VPs, the others a varying subset of the readers (the writer
 * sometimes too). */
static uint64_t slot_set(uint32_t s, uint32_t nv, bool *all)
{
	const uint64_t every = (nv >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << nv) - 1);
	*all = ((s / 4) & 1) == 0;
	if (*all)
		return every;
	uint64_t m = (UINT64_C(0x9e3779b97f4a7c15) * (s + 1)) >> 40;
	m &= every;
	if ((m & ~UINT64_C(1)) == 0)
		m |= every & ~UINT64_C(1);
	return m;
}

/* The call slots and their input pages: List, Space, ListEx, SpaceEx in
 * turn; Space calls that name every VP alternate between memory and fast
 * (register) input. */
static void write_calls(struct vm *vm, uint32_t npages, uint32_t nslots)
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
		const uint64_t set = slot_set(s, vm->nv, &all);
		const uint64_t in = GUEST_INPUT + (uint64_t)s * 0x1000;
		const uint64_t flags = TLBF_HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES |
		                       (all ? TLBF_HV_FLUSH_ALL_PROCESSORS : 0);
		uint32_t w = 0;
		unsigned varhdr = 0, reps = 0;
		memset(vm->mem + in, 0, 0x1000);
		wr64(vm, in + 8 * w++, 0); /* address space */
		wr64(vm, in + 8 * w++, flags);
		if (!ex) {
			wr64(vm, in + 8 * w++, all ? 0 : set);
		} else if (all) {
			wr64(vm, in + 8 * w++, TLBF_HV_GENERIC_SET_ALL);
			wr64(vm, in + 8 * w++, 0);
		} else {
			wr64(vm, in + 8 * w++, TLBF_HV_GENERIC_SET_SPARSE_4K);
			wr64(vm, in + 8 * w++, 1); /* bank 0 */
			wr64(vm, in + 8 * w++, set);
			varhdr = 1;
		}
		const uint64_t page0 = GUEST_TEST_VA >> 12;
		if (code == TLBF_HVCALL_FLUSH_VA_LIST) {
			for (uint32_t k = 0; k < npages; k++)
				wr64(vm, in + 8 * w++, tlbf_hv_gva_make(page0 + k, 0));
			reps = npages;
		} else if (list) {
			wr64(vm, in + 8 * w++, tlbf_hv_gva_make(page0, npages - 1));
			reps = 1;
		}
		const bool fast = code == TLBF_HVCALL_FLUSH_VA_SPACE && all && (s / 8) % 2 == 1;
		const uint64_t c = GUEST_CALLS + (uint64_t)s * 32;
		wr64(vm, c + GUEST_CALL_RCX, tlbf_hv_control_make(code, fast, varhdr, reps, 0));
		wr64(vm, c + GUEST_CALL_RDX, fast ? 0 : in);
		wr64(vm, c + GUEST_CALL_R8, fast ? flags : GUEST_OUTPUT);
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
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[256];
	} cpuid;
	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.c.nent = 256;
	bool have_cpuid = ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) == 0;
	for (uint32_t v = 0; v < nv; v++) {
		vm->vcpu[v] = ioctl(vm->fd, KVM_CREATE_VCPU, v);
		if (vm->vcpu[v] < 0)
			skip("KVM_CREATE_VCPU");
		vm->run[v] = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		                  vm->vcpu[v], 0);
		if (vm->run[v] == MAP_FAILED)
			die("mmap kvm_run");
		if (have_cpuid && ioctl(vm->vcpu[v], KVM_SET_CPUID2, &cpuid) != 0)
			die("KVM_SET_CPUID2");
	}
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
	sr.cr4 = (1u << 5) | TLBF_KVM_CR4_PGE;     /* PAE, PGE */
	sr.cr0 = 0x80000001u | (1u << 16) | (1u << 5); /* PG, PE, WP, NE */
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

/* The baseline: a reader-writer lock around the partition's flush state
 * (one VTL: the ranges ever added, and a flush-entire generation). Every
 * VP takes the read lock at each entry; an initiator records under the
 * write lock and kicks every VP of the set but itself, with wait. */
struct rw_state {
	pthread_rwlock_t lock;
	uint64_t ranges;
	uint64_t entire;
};

struct run {
	const struct opts *o;
	enum design_id design;
	struct vm vm;
	struct tlbf_partition pt;
	struct tlbf_vp vps[MAX_VCPUS];
	struct tlbf_kvm kvm;
	struct tlbf_kvm_vcpu kvcpus[MAX_VCPUS];
	struct tlbf_backend be;
	struct rw_state rw;
	atomic_bool stop;
	atomic_bool failed;
	atomic_uint_fast32_t finished;
	atomic_uint_fast64_t stale;         /* stale reads seen */
	atomic_uint_fast64_t stale_first_gen; /* the call of the first one */
	atomic_uint_fast64_t ticks;
	uint64_t calls, hc_errors;
	uint32_t *lat_ns;  /* per call: exit to handled (the writer's thread) */
	uint64_t nlat;
	pthread_t threads[MAX_VCPUS];
};

struct vcpu_arg {
	struct run *r;
	uint32_t vp;
};

/* The writer's flush hypercall, handled as a VMM following the guide. */
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
	struct tlbf_flush_request req;
	enum tlbf_hv_status st = tlbf_hypercall_decode(control, in, len, r->pt.vp_count, 0, &req, NULL);
	if (st == TLBF_HV_STATUS_SUCCESS && r->design == DESIGN_TLBFLUSH) {
		struct tlbf_flush_outcome out;
		enum tlbf_status fs;
		/* KICK_FAILED: recorded but not known complete: call again. */
		int tries = 0;
		do
			fs = tlbf_flush_handle(&r->pt, &r->be, &req, vp, NULL, &out);
		while (fs == TLBF_STATUS_KICK_FAILED && ++tries < 3);
		if (fs != TLBF_STATUS_OK) {
			fprintf(stderr, "demo_kvm: tlbf_flush_handle: %s\n", tlbf_status_name(fs));
			atomic_store(&r->failed, true);
		}
	} else if (st == TLBF_HV_STATUS_SUCCESS) {
		struct rw_state *s = &r->rw;
		pthread_rwlock_wrlock(&s->lock);
		if (req.kind == TLBF_FLUSH_KIND_LIST)
			s->ranges += req.range_count;
		else
			s->entire++;
		pthread_rwlock_unlock(&s->lock);
		uint64_t mask = 0;
		struct tlbf_vpset_iter it;
		uint32_t v;
		tlbf_vpset_iter_init(&it, &req.vps);
		while (tlbf_vpset_iter_next(&it, &v))
			if (v < r->pt.vp_count && v != vp)
				mask |= UINT64_C(1) << v;
		if (!TLBF_BREAK(NO_KICK) && mask &&
		    r->be.ops->kick(r->be.ctx, &mask, r->pt.vp_count,
		                    TLBF_KICK_CANCEL | (TLBF_BREAK(NO_WAIT) ? 0 : TLBF_KICK_WAIT)) != 0) {
			fprintf(stderr, "demo_kvm: kick failed\n");
			atomic_store(&r->failed, true);
		}
	}
	if (st == TLBF_HV_STATUS_SUCCESS && !atomic_load(&r->failed)) {
		/* The call is complete: from here on no VP of its set may read
		 * a page it unmapped. Record it at once (the writer records it
		 * again when it resumes, later). */
		const uint64_t g = rd64(&r->vm, GUEST_P_GEN);
		const uint64_t set = rd64(&r->vm, GUEST_CALLS + (g & (GUEST_MAX_SLOTS - 1)) * 32 +
		                                      GUEST_CALL_SET);
		for (uint32_t v = 0; v < r->pt.vp_count; v++)
			for (uint32_t k = 0; set >> v & 1 && k < r->o->pages; k++)
				__atomic_store_n((uint64_t *)(void *)(r->vm.mem + GUEST_DONE + k * 128 + v * 8),
				                 g, __ATOMIC_RELEASE);
	}
	rg.rax = tlbf_hypercall_result(control, st);
	if (r->nlat < MAX_SAMPLES)
		r->lat_ns[r->nlat++] = (uint32_t)(now_ns() - t0);
	r->calls++;
	if (ioctl(fd, KVM_SET_REGS, &rg) != 0)
		die("KVM_SET_REGS");
}

static void on_stale(struct run *r, uint32_t vp)
{
	struct kvm_regs rg;
	if (ioctl(r->vm.vcpu[vp], KVM_GET_REGS, &rg) != 0)
		die("KVM_GET_REGS");
	uint_fast64_t zero = 0;
	if (atomic_fetch_add(&r->stale, 1) == 0) {
		atomic_compare_exchange_strong(&r->stale_first_gen, &zero, rg.rax);
		fprintf(stderr, "demo_kvm: %s: stale read on VP %u: page %llu holds call %llu, "
		        "call %llu had returned\n", design_names[r->design], vp,
		        (unsigned long long)rg.rcx, (unsigned long long)rg.rbx,
		        (unsigned long long)rg.rax);
	}
}

/* The baseline's entry: read the flush state under the read lock. */
static void rw_prepare(struct run *r, uint32_t vp, uint64_t seen[2], uint8_t *pending)
{
	struct rw_state *s = &r->rw;
	pthread_rwlock_rdlock(&s->lock);
	if (s->ranges != seen[0] || s->entire != seen[1])
		*pending = TLBF_SCOPE_LINEAR;
	seen[0] = s->ranges;
	seen[1] = s->entire;
	pthread_rwlock_unlock(&s->lock);
	r->be.ops->flush_at_entry(r->be.ctx, vp, 0, (enum tlbf_scope)*pending);
	TLBF_IF_BROKEN(EARLY_CLEAR, *pending = TLBF_SCOPE_NONE);
}

static void *vcpu_thread(void *p)
{
	struct vcpu_arg *a = p;
	struct run *r = a->r;
	const uint32_t vp = a->vp;
	struct tlbf_entry e;
	uint64_t rw_seen[2] = {0, 0};
	uint8_t rw_pending = TLBF_SCOPE_NONE;
	if (tlbf_kvm_vcpu_bind(&r->kvm, vp) != TLBF_STATUS_OK ||
	    tlbf_entry_init(&e, &r->pt, &r->be, vp, NULL, 0, NULL) != TLBF_STATUS_OK) {
		atomic_store(&r->failed, true);
		goto out;
	}
	while (!atomic_load(&r->stop)) {
		if (r->design == DESIGN_TLBFLUSH) {
			if (tlbf_entry_prepare(&e, 0) != TLBF_STATUS_OK) {
				atomic_store(&r->failed, true);
				break;
			}
		} else {
			rw_prepare(r, vp, rw_seen, &rw_pending);
		}
		const enum tlbf_kvm_result res = tlbf_kvm_run(&r->kvm, vp, 0);
		if (r->design == DESIGN_TLBFLUSH) {
			if (tlbf_entry_done(&e, tlbf_kvm_entered(res)) != TLBF_STATUS_OK) {
				atomic_store(&r->failed, true);
				break;
			}
		} else if (tlbf_kvm_entered(res))
			rw_pending = TLBF_SCOPE_NONE;
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
			case PORT_TICK: atomic_fetch_add(&r->ticks, 1); continue;
			case PORT_STOP: goto out;
			case PORT_HC_ERROR: r->hc_errors++; atomic_store(&r->failed, true); continue;
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

struct result {
	uint64_t calls, kicks, cancelled, interrupted, resets, stale, reads;
	double seconds, p50_us, p99_us;
	bool failed;
};

static void run_design(const struct opts *o, enum design_id d, struct result *res)
{
	struct run *r = calloc(1, sizeof(*r));
	if (!r)
		die("calloc");
	r->o = o;
	r->design = d;
	r->lat_ns = malloc(sizeof(uint32_t) * MAX_SAMPLES);
	if (!r->lat_ns)
		die("malloc");
	const uint32_t nv = o->readers + 1;
	vm_create(&r->vm, nv);
	write_page_tables(&r->vm, o->pages);
	write_calls(&r->vm, o->pages, GUEST_MAX_SLOTS);
	for (uint32_t k = 0; k < o->pages << GUEST_POOL_SHIFT; k++)
		memset(r->vm.mem + GUEST_POOL + (uint64_t)k * 0x1000, 0, 0x1000);
	wr64(&r->vm, GUEST_P_NPAGES, o->pages);
	wr64(&r->vm, GUEST_P_NVCPUS, nv);
	wr64(&r->vm, GUEST_P_SLOTMASK, GUEST_MAX_SLOTS - 1);
	wr64(&r->vm, GUEST_P_POOLMASK, (1u << GUEST_POOL_SHIFT) - 1);
	wr64(&r->vm, GUEST_P_TICKMASK, o->tick);
	vcpu_start(&r->vm, 0, ENTRY_WRITER, true, 0, 0);
	for (uint32_t v = 1; v < nv; v++)
		vcpu_start(&r->vm, v, ENTRY_READER, true, v, o->pages);
	if (tlbf_partition_init(&r->pt, r->vps, NULL, nv) != TLBF_STATUS_OK)
		die("tlbf_partition_init");
	tlbf_kvm_init(&r->kvm, r->kvcpus, nv, KICK_SIGNAL);
	r->kvm.relax = yield_relax;
	for (uint32_t v = 0; v < nv; v++)
		if (tlbf_kvm_vcpu_set(&r->kvm, v, r->vm.vcpu[v], r->vm.run[v]) != TLBF_STATUS_OK)
			die("tlbf_kvm_vcpu_set");
	r->be = tlbf_kvm_backend(&r->kvm);
	pthread_rwlock_init(&r->rw.lock, NULL);
	struct vcpu_arg args[MAX_VCPUS];
	const uint64_t t0 = now_ns();
	for (uint32_t v = 0; v < nv; v++) {
		args[v].r = r;
		args[v].vp = v;
		if (pthread_create(&r->threads[v], NULL, vcpu_thread, &args[v]) != 0)
			die("pthread_create");
	}
	const uint64_t until = t0 + (uint64_t)(o->seconds * 1e9);
	while (now_ns() < until && !atomic_load(&r->failed)) {
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
	/* Stop: the writer at its next call, then every vCPU out of KVM_RUN. */
	wr64(&r->vm, GUEST_P_STOP, 1);
	const uint64_t calls_at_stop = rd64(&r->vm, GUEST_P_GEN);
	const double secs = (double)(now_ns() - t0) / 1e9;
	atomic_store(&r->stop, true);
	while (atomic_load(&r->finished) < nv) {
		for (uint32_t v = 0; v < nv; v++) {
			__atomic_store_n(&r->vm.run[v]->immediate_exit, 1, __ATOMIC_SEQ_CST);
			pthread_kill(r->threads[v], KICK_SIGNAL);
		}
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	for (uint32_t v = 0; v < nv; v++)
		pthread_join(r->threads[v], NULL);
	(void)calls_at_stop;
	memset(res, 0, sizeof(*res));
	res->calls = r->calls;
	res->seconds = secs;
	res->kicks = atomic_load(&r->kvm.kicks);
	for (uint32_t v = 0; v < nv; v++) {
		res->cancelled += r->kvcpus[v].cancelled;
		res->interrupted += r->kvcpus[v].interrupted;
		res->resets += r->kvcpus[v].mmu_resets;
		if (v > 0)
			res->reads += rd64(&r->vm, GUEST_COUNTERS + (uint64_t)v * 64) * o->pages;
	}
	res->stale = atomic_load(&r->stale);
	res->failed = atomic_load(&r->failed);
	if (r->nlat) {
		qsort(r->lat_ns, r->nlat, sizeof(uint32_t), cmp_u32);
		res->p50_us = r->lat_ns[r->nlat / 2] / 1e3;
		res->p99_us = r->lat_ns[(r->nlat * 99) / 100] / 1e3;
	}
	pthread_rwlock_destroy(&r->rw.lock);
	vm_destroy(&r->vm);
	free(r->lat_ns);
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
	tlbf_kvm_init(&k, kc, 1, KICK_SIGNAL);
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

static void usage(void)
{
	fprintf(stderr, "usage: demo_kvm [--design tlbflush|rwlock|all] [--seconds S] "
	                "[--readers N] [--pages K] [--tick MASK] [--chaos] [--no-measure] [--expect-stale]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	struct opts o = {3, 3.0, 2, 4, true, false, 0x3ffff};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--design") && v) {
			o.designs = !strcmp(v, "tlbflush") ? 1 : !strcmp(v, "rwlock") ? 2
			            : !strcmp(v, "all") ? 3 : 0;
			if (!o.designs)
				usage();
			i++;
		} else if (!strcmp(a, "--seconds") && v) {
			o.seconds = atof(v);
			i++;
		} else if (!strcmp(a, "--readers") && v) {
			o.readers = (uint32_t)atoi(v);
			i++;
		} else if (!strcmp(a, "--pages") && v) {
			o.pages = (uint32_t)atoi(v);
			i++;
		} else if (!strcmp(a, "--tick") && v) {
			o.tick = strtoull(v, NULL, 0);
			i++;
		} else if (!strcmp(a, "--chaos")) {
			demo_chaos = true;
		} else if (!strcmp(a, "--no-measure")) {
			o.measure = false;
		} else if (!strcmp(a, "--expect-stale")) {
			o.expect_stale = true;
		} else {
			usage();
		}
	}
	if (o.readers < 1 || o.readers + 1 > MAX_VCPUS || o.pages < 1 || o.pages > GUEST_MAX_PAGES ||
	    o.seconds <= 0)
		usage();
	if (tlbf_kvm_install_signal(KICK_SIGNAL) != TLBF_STATUS_OK)
		die("sigaction");
	/* A VM can be created, or this host skips (77) with one line. */
	{
		struct vm probe;
		vm_create(&probe, 1);
		vm_destroy(&probe);
	}
#ifdef KVM_BREAK
	printf("demo_kvm: built with the protocol step %s disabled\n", KVM_BREAK);
#endif
	double exit_us = 0, kick_us = 0;
	if (o.measure) {
		measure(&exit_us, &kick_us);
		printf("host: one exit and re-entry (ring-3 out) %.1f us median; one kick "
		       "(signal, wait until KVM_RUN returned) %.1f us median\n", exit_us, kick_us);
	}
	printf("%u readers + 1 writer vCPU, %u test pages, %.1f s per design, %ld host CPUs\n",
	       o.readers, o.pages, o.seconds, sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-9s %10s %11s %13s %13s %9s %9s %12s %7s\n", "design", "calls/s", "kicks/call",
	       "cancel/call", "resets/call", "p50 us", "p99 us", "reads", "stale");
	uint64_t stale = 0;
	bool failed = false;
	for (int d = 0; d < 2; d++) {
		if (!(o.designs & (1 << d)))
			continue;
		struct result res;
		run_design(&o, (enum design_id)d, &res);
		const double c = res.calls ? (double)res.calls : 1;
		printf("%-9s %10.0f %11.2f %13.2f %13.2f %9.1f %9.1f %12llu %7llu%s\n",
		       design_names[d], (double)res.calls / res.seconds, (double)res.kicks / c,
		       (double)res.cancelled / c, (double)res.resets / c, res.p50_us, res.p99_us,
		       (unsigned long long)res.reads, (unsigned long long)res.stale,
		       res.failed ? "  FAILED" : "");
		stale += res.stale;
		failed |= res.failed || res.calls == 0;
	}
	if (failed)
		return 1;
	if (o.expect_stale) {
		printf("%s\n", stale ? "stale translation caught" : "no stale translation seen (expected one)");
		return stale ? 0 : 3;
	}
	printf("%s\n", stale ? "STALE translations seen" : "no stale translation");
	return stale ? 3 : 0;
}
