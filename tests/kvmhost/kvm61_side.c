/* SPDX-License-Identifier: MIT */
/*
 * kvm61_side.c - KVM's side of the differential test: the host code of the
 * Hyper-V flush hypercalls of Linux 6.1 (kvm_hv_hypercall() down to
 * sparse_set_to_vcpu_mask()), copied verbatim at build time from Debian's
 * linux-source-6.1 by extract_kvm61.py into kvm61_hyperv.h, and run here in
 * user space on the smallest stand-ins for the kernel it calls.
 *
 * The stand-ins model what the flush path depends on, nothing else:
 *   - a VM of nvcpus vCPUs, vCPU i with the VP index the driver chose (the
 *     VP-index MSR), and KVM's count of vCPUs whose VP index is not their
 *     vCPU index (num_mismatched_vp_indexes, which picks the fast path of
 *     sparse_set_to_vcpu_mask());
 *   - guest memory: the input's page and, if the call says so, the page
 *     after it; kvm_read_guest() fails on anything else, as it does on an
 *     unmapped GPA;
 *   - the registers of a 64-bit hypercall at CPL 0 (RCX, RDX, R8, XMM0-5),
 *     and RAX for the result;
 *   - kvm_make_all_cpus_request() / kvm_make_vcpus_request_mask(): record
 *     which vCPUs would be flushed (the request loop of kvm_main.c visits
 *     the set bits of existing vCPUs only, and so does the stand-in);
 *   - Hyper-V CPUID enforcement off (KVM's default).
 * Anything the four flush calls never reach (other hypercalls) aborts.
 *
 * Compiled as GNU C with the kernel's own idioms; not part of tlbflush.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/hyperv-tlfs.h>

#include "kvm61_version.h"
#include "kvmdiff.h"

/* ---- compiler and bit operations ---- */
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define fallthrough __attribute__((__fallthrough__))
#define BUILD_BUG_ON(cond) ((void)sizeof(char[1 - 2 * !!(cond)]))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define BITS_PER_LONG 64
#define BITS_TO_LONGS(n) DIV_ROUND_UP(n, BITS_PER_LONG)
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]
#define min_t(type, a, b) ((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#define hweight64(w) ((unsigned int)__builtin_popcountll(w))
#define U32_MAX UINT32_MAX
#define CONFIG_X86_64 1
#define UD_VECTOR 6
#define KVM_REQ_TLB_FLUSH_GUEST 1
#define KVM_EXIT_HYPERV 22
#define KVM_EXIT_HYPERV_HCALL 2

static inline unsigned long kd_find_next_bit(const unsigned long *addr, unsigned long size,
                                             unsigned long bit)
{
	for (; bit < size; bit++)
		if (addr[bit / BITS_PER_LONG] & (1UL << (bit % BITS_PER_LONG)))
			return bit;
	return size;
}
#define for_each_set_bit(bit, addr, size)                                   \
	for ((bit) = kd_find_next_bit((addr), (size), 0); (bit) < (size); \
	     (bit) = kd_find_next_bit((addr), (size), (bit) + 1))

static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return (addr[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG)) & 1UL;
}
static inline void __set_bit(unsigned long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}
static inline void bitmap_zero(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

typedef struct {
	int counter;
} atomic_t;
static inline int atomic_read(const atomic_t *v)
{
	return v->counter;
}

/* An XMM register as KVM holds it, and its two 64-bit halves. */
typedef u32 sse128_t __attribute__((vector_size(16)));
static inline u64 sse128_lo(sse128_t x)
{
	u64 h[2];
	memcpy(h, &x, sizeof(h));
	return h[0];
}
static inline u64 sse128_hi(sse128_t x)
{
	u64 h[2];
	memcpy(h, &x, sizeof(h));
	return h[1];
}

/* Tracepoints: nothing. */
#define trace_kvm_hv_hypercall(...) do { } while (0)
#define trace_kvm_hv_hypercall_done(...) do { } while (0)
#define trace_kvm_hv_flush_tlb(...) do { } while (0)
#define trace_kvm_hv_flush_tlb_ex(...) do { } while (0)

/* ---- the VM ---- */
struct kvm;
struct kvm_vcpu;

struct kvm_vcpu_hv_synic {
	bool active;
};

struct kvm_vcpu_hv {
	struct kvm_vcpu *vcpu;
	u32 vp_index;
	bool enforce_cpuid;
	struct {
		u32 features_eax, features_ebx, features_edx;
		u32 enlightenments_eax, enlightenments_ebx;
		u32 syndbg_cap_eax;
	} cpuid_cache;
	struct kvm_vcpu_hv_synic synic;
};

struct kvm_hv_syndbg {
	u64 options;
};

struct kvm_hv {
	atomic_t num_mismatched_vp_indexes;
	struct kvm_hv_syndbg hv_syndbg;
};

struct kvm_run {
	u32 exit_reason;
	struct {
		u32 type;
		union {
			struct {
				u64 input;
				u64 result;
				u64 params[2];
			} hcall;
		} u;
	} hyperv;
};

struct kvm_vcpu {
	struct kvm *kvm;
	int vcpu_idx;
	struct {
		struct kvm_vcpu_hv *hyperv;
		int (*complete_userspace_io)(struct kvm_vcpu *vcpu);
	} arch;
	struct {
		u64 hypercalls;
	} stat;
	struct kvm_run *run;
	/* the stand-in's own state */
	u64 rax, rcx, rdx, r8;
	sse128_t xmm[HV_HYPERCALL_MAX_XMM_REGISTERS];
	bool ud;
};

struct kvm {
	struct {
		struct kvm_hv hyperv;
	} arch;
	u32 nvcpus;
	struct kvm_vcpu *vcpus;
	/* guest memory: two pages from gpa_base */
	const u64 (*mem)[KD_PAGE_WORDS];
	gpa_t gpa_base;
	bool next_mapped;
	/* the vCPUs asked to flush */
	u64 flushed[KD_VP_WORDS];
};

#define kvm_for_each_vcpu(idx, vcpup, kvm) \
	for ((idx) = 0; (idx) < (kvm)->nvcpus && ((vcpup) = &(kvm)->vcpus[idx], 1); (idx)++)

static inline struct kvm_hv *to_kvm_hv(struct kvm *kvm)
{
	return &kvm->arch.hyperv;
}
static inline struct kvm_vcpu_hv *to_hv_vcpu(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.hyperv;
}
static inline struct kvm_vcpu_hv_synic *to_hv_synic(struct kvm_vcpu *vcpu)
{
	return &vcpu->arch.hyperv->synic;
}
static inline struct kvm_hv_syndbg *to_hv_syndbg(struct kvm_vcpu *vcpu)
{
	return &vcpu->kvm->arch.hyperv.hv_syndbg;
}
static inline u32 kvm_hv_get_vpindex(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_hv *hv_vcpu = to_hv_vcpu(vcpu);

	return hv_vcpu ? hv_vcpu->vp_index : (u32)vcpu->vcpu_idx;
}

/* ---- the calling vCPU's state ---- */
static int kd_get_cpl(struct kvm_vcpu *vcpu)
{
	(void)vcpu;
	return 0;
}
#define static_call(fn) kd_static_call_##fn
#define kd_static_call_kvm_x86_get_cpl kd_get_cpl
static inline bool is_protmode(struct kvm_vcpu *vcpu)
{
	(void)vcpu;
	return true;
}
static inline bool is_64_bit_hypercall(struct kvm_vcpu *vcpu)
{
	(void)vcpu;
	return true;
}
static inline u64 kvm_rax_read(struct kvm_vcpu *vcpu) { return vcpu->rax; }
static inline u64 kvm_rcx_read(struct kvm_vcpu *vcpu) { return vcpu->rcx; }
static inline u64 kvm_rdx_read(struct kvm_vcpu *vcpu) { return vcpu->rdx; }
static inline u64 kvm_r8_read(struct kvm_vcpu *vcpu) { return vcpu->r8; }
/* 32-bit callers only (never: is_64_bit_hypercall() is true). */
static inline u64 kvm_rbx_read(struct kvm_vcpu *vcpu) { (void)vcpu; abort(); }
static inline u64 kvm_rdi_read(struct kvm_vcpu *vcpu) { (void)vcpu; abort(); }
static inline u64 kvm_rsi_read(struct kvm_vcpu *vcpu) { (void)vcpu; abort(); }
static inline void kvm_rax_write(struct kvm_vcpu *vcpu, u64 v) { vcpu->rax = v; }
static inline void kvm_rdx_write(struct kvm_vcpu *vcpu, u64 v) { vcpu->rdx = v; }

static void kvm_queue_exception(struct kvm_vcpu *vcpu, unsigned int nr)
{
	if (nr == UD_VECTOR)
		vcpu->ud = true;
}
static int kvm_skip_emulated_instruction(struct kvm_vcpu *vcpu)
{
	(void)vcpu;
	return 1;
}

/* XMM registers of the vCPU being run (the kernel reads the live ones). */
static struct kvm_vcpu *kd_current;
static inline void kvm_fpu_get(void) { }
static inline void kvm_fpu_put(void) { }
static inline void _kvm_read_sse_reg(int reg, sse128_t *data)
{
	*data = kd_current->xmm[reg];
}

/* ---- guest memory and requests ---- */
static int kvm_read_guest(struct kvm *kvm, gpa_t gpa, void *data, unsigned long len)
{
	const u64 limit = kvm->gpa_base + (kvm->next_mapped ? 2u : 1u) * KD_PAGE_BYTES;

	if (gpa < kvm->gpa_base || gpa > limit || len > limit - gpa)
		return -EFAULT;
	memcpy(data, (const unsigned char *)kvm->mem + (gpa - kvm->gpa_base), len);
	return 0;
}

static bool kvm_make_all_cpus_request(struct kvm *kvm, unsigned int req)
{
	(void)req;
	for (u32 i = 0; i < kvm->nvcpus; i++)
		kvm->flushed[i / 64] |= UINT64_C(1) << (i % 64);
	return true;
}

static bool kvm_make_vcpus_request_mask(struct kvm *kvm, unsigned int req,
                                        unsigned long *vcpu_bitmap)
{
	unsigned long i;

	(void)req;
	for_each_set_bit(i, vcpu_bitmap, KD_MAX_VPS) {
		if (i >= kvm->nvcpus)
			continue; /* kvm_get_vcpu() is NULL */
		kvm->flushed[i / 64] |= UINT64_C(1) << (i % 64);
	}
	return true;
}

/* ---- never reached by the flush calls ---- */
struct kvm_hv_hcall;
static void kd_unreachable(const char *what)
{
	fprintf(stderr, "kvm61_side: %s reached (not a flush call)\n", what);
	abort();
}
static u16 kvm_hvcall_signal_event(struct kvm_vcpu *vcpu, struct kvm_hv_hcall *hc)
{
	(void)vcpu;
	(void)hc;
	kd_unreachable("kvm_hvcall_signal_event");
	return 0;
}
static u64 kvm_hv_send_ipi(struct kvm_vcpu *vcpu, struct kvm_hv_hcall *hc)
{
	(void)vcpu;
	(void)hc;
	kd_unreachable("kvm_hv_send_ipi");
	return 0;
}
static void kvm_vcpu_on_spin(struct kvm_vcpu *vcpu, bool yield_to_kernel_mode)
{
	(void)vcpu;
	(void)yield_to_kernel_mode;
	kd_unreachable("kvm_vcpu_on_spin");
}
static bool kvm_hv_is_syndbg_enabled(struct kvm_vcpu *vcpu)
{
	(void)vcpu;
	return false;
}

#include "kvm61_hyperv.h"

_Static_assert(KVM_MAX_VCPUS == KD_MAX_VPS, "KVM_MAX_VCPUS of the extracted code");

/* ---- the entry point the driver calls ---- */
#define KD_GPA_BASE UINT64_C(0x100000)
#define KD_OUT_GPA UINT64_C(0x200000)

static struct kvm_vcpu kd_vcpus[KD_MAX_VPS];
static struct kvm_vcpu_hv kd_hv[KD_MAX_VPS];
static struct kvm_run kd_run;

void kd_kvm61_hypercall(const struct kd_partition *p, struct kd_call *c, struct kd_kvm_result *r)
{
	static struct kvm kvm;
	int mismatched = 0;

	memset(&kvm, 0, sizeof(kvm));
	kvm.nvcpus = p->nvcpus;
	kvm.vcpus = kd_vcpus;
	kvm.mem = (const u64 (*)[KD_PAGE_WORDS])c->mem;
	kvm.gpa_base = KD_GPA_BASE;
	kvm.next_mapped = c->next_mapped;
	for (u32 i = 0; i < p->nvcpus; i++) {
		memset(&kd_vcpus[i], 0, sizeof(kd_vcpus[i]));
		memset(&kd_hv[i], 0, sizeof(kd_hv[i]));
		kd_vcpus[i].kvm = &kvm;
		kd_vcpus[i].vcpu_idx = (int)i;
		kd_vcpus[i].arch.hyperv = &kd_hv[i];
		kd_vcpus[i].run = &kd_run;
		kd_hv[i].vcpu = &kd_vcpus[i];
		kd_hv[i].vp_index = p->vp_index[i];
		if (p->vp_index[i] != i)
			mismatched++;
	}
	kvm.arch.hyperv.num_mismatched_vp_indexes.counter = mismatched;

	struct kvm_vcpu *vcpu = &kd_vcpus[0];
	const bool fast = (c->control & HV_HYPERCALL_FAST_BIT) != 0;
	vcpu->rcx = c->control;
	vcpu->rdx = fast ? c->fast[0] : KD_GPA_BASE + c->offset;
	vcpu->r8 = fast ? c->fast[1] : KD_OUT_GPA;
	for (int x = 0; x < HV_HYPERCALL_MAX_XMM_REGISTERS; x++)
		memcpy(&vcpu->xmm[x], &c->fast[2 + 2 * x], sizeof(vcpu->xmm[x]));
	vcpu->rax = ~UINT64_C(0);
	kd_current = vcpu;

	kvm_hv_hypercall(vcpu);

	memset(r, 0, sizeof(*r));
	r->result = vcpu->rax;
	r->ud = vcpu->ud;
	memcpy(r->vcpus, kvm.flushed, sizeof(r->vcpus));
}

const char *kd_kvm61_version(void)
{
	return KVM61_SOURCE_VERSION;
}
