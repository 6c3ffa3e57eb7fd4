/* SPDX-License-Identifier: MIT */
/*
 * tlbf-decode - decode one Hyper-V flush hypercall and print it as JSON.
 *
 *   tlbf-decode --control 0xCONTROL --vps V [--vtl N] [HEX]
 *   tlbf-decode --call NAME|CODE [--reps N] [--rep-start N] [--varhdr N]
 *               [--fast] --vps V [--vtl N] [HEX]
 *
 * HEX is the hypercall input as bytes in memory order (whitespace and a
 * leading 0x are ignored; several HEX arguments are concatenated); without
 * it the hex is read from stdin. Prints
 * one JSON object. Exit status: 0 the input decoded, 2 the hypercall would
 * fail (the JSON says with which status and rule), 1 usage error.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlbflush/tlbflush.h"

#define MAX_INPUT (1u << 20)

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: tlbf-decode --control 0xCONTROL --vps V [--vtl N] [HEX]\n"
	        "       tlbf-decode --call NAME|CODE [--reps N] [--rep-start N] [--varhdr N]\n"
	        "                   [--fast] --vps V [--vtl N] [HEX]\n"
	        "\n"
	        "Decode one flush hypercall (0x0002 FlushVirtualAddressSpace, 0x0003 List,\n"
	        "0x0013 SpaceEx, 0x0014 ListEx) and print one JSON object: status, rule,\n"
	        "flags, the VP set, the ranges and the list-or-promote decision.\n"
	        "\n"
	        "  --control V    the 64-bit input control value\n"
	        "  --call C       build the control value instead: space, list, space-ex,\n"
	        "                 list-ex, the TLFS name, or a numeric code\n"
	        "  --reps N       rep count (with --call)\n"
	        "  --rep-start N  rep start index (with --call)\n"
	        "  --varhdr N     variable header size in qwords (with --call; default for\n"
	        "                 Ex calls: popcount of the valid_bank_mask in the input)\n"
	        "  --fast         set the fast bit (with --call)\n"
	        "  --vps V        number of VPs of the partition (1..%u)\n"
	        "  --vtl N        the caller's VTL (default 0)\n"
	        "  HEX...         input bytes in memory order (arguments are concatenated);\n"
	        "                 read from stdin if absent\n"
	        "\n"
	        "Exit status: 0 decoded, 2 the hypercall fails, 1 usage error.\n",
	        (unsigned)TLBF_MAX_VPS);
}

static bool parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*out = (uint64_t)v;
	return true;
}

static const struct {
	const char *short_name;
	const char *tlfs_name;
	uint16_t code;
} calls[] = {
	{"space", "FlushVirtualAddressSpace", TLBF_HVCALL_FLUSH_VA_SPACE},
	{"list", "FlushVirtualAddressList", TLBF_HVCALL_FLUSH_VA_LIST},
	{"space-ex", "FlushVirtualAddressSpaceEx", TLBF_HVCALL_FLUSH_VA_SPACE_EX},
	{"list-ex", "FlushVirtualAddressListEx", TLBF_HVCALL_FLUSH_VA_LIST_EX},
};

static bool parse_call(const char *s, uint16_t *code)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		if (!strcmp(s, calls[i].short_name) || !strcmp(s, calls[i].tlfs_name) ||
		    (!strncmp(s, "HvCall", 6) && !strcmp(s + 6, calls[i].tlfs_name))) {
			*code = calls[i].code;
			return true;
		}
	}
	uint64_t v;
	if (!parse_u64(s, &v) || v > 0xffff)
		return false;
	*code = (uint16_t)v;
	return true;
}

static const char *call_name(uint64_t code)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (calls[i].code == code)
			return calls[i].tlfs_name;
	return NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Append the hex digits of @s to @buf; false on a bad character. */
static bool parse_hex(const char *s, unsigned char *buf, size_t *len, int *half)
{
	for (; *s; s++) {
		if (isspace((unsigned char)*s))
			continue;
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && *half < 0) {
			s++;
			continue;
		}
		int v = hexval((unsigned char)*s);
		if (v < 0)
			return false;
		if (*half < 0) {
			*half = v;
		} else {
			if (*len >= MAX_INPUT)
				return false;
			buf[(*len)++] = (unsigned char)(*half << 4 | v);
			*half = -1;
		}
	}
	return true;
}

static void print_flags(uint64_t flags)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{TLBF_HV_FLUSH_ALL_PROCESSORS, "ALL_PROCESSORS"},
		{TLBF_HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES, "ALL_VIRTUAL_ADDRESS_SPACES"},
		{TLBF_HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY, "NON_GLOBAL_MAPPINGS_ONLY"},
		{TLBF_HV_FLUSH_USE_EXTENDED_RANGE_FORMAT, "USE_EXTENDED_RANGE_FORMAT"},
		{TLBF_HV_FLUSH_USE_TARGET_VTL, "USE_TARGET_VTL"},
		{TLBF_HV_FLUSH_TARGET_VTL0, "TARGET_VTL0"},
		{TLBF_HV_FLUSH_TARGET_VTL1, "TARGET_VTL1"},
	};
	printf("\"flags\":{\"value\":\"0x%" PRIx64 "\",\"names\":[", flags);
	bool first = true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flags & names[i].bit) {
			printf("%s\"%s\"", first ? "" : ",", names[i].name);
			first = false;
		}
	}
	if (flags & TLBF_HV_FLUSH_RESERVED)
		printf("%s\"RESERVED(0x%" PRIx64 ")\"", first ? "" : ",",
		       flags & TLBF_HV_FLUSH_RESERVED);
	printf("]}");
}

static const char *class_name(enum tlbf_range_class c)
{
	switch (c) {
	case TLBF_RANGE_LIST: return "list";
	case TLBF_RANGE_LARGE_PAGE: return "large_page";
	case TLBF_RANGE_PAST_TOP: return "past_top";
	case TLBF_RANGE_NON_CANONICAL: return "non_canonical";
	}
	return "unknown";
}

static void print_range(uint32_t index, uint64_t r, bool extended)
{
	enum tlbf_range_class c = tlbf_range_classify(r, extended);
	printf("{\"index\":%" PRIu32 ",\"raw\":\"0x%016" PRIx64 "\",\"class\":\"%s\",", index, r,
	       class_name(c));
	if (extended && (r & TLBF_GVA_EXT_LARGE_PAGE)) {
		bool g1 = (r & TLBF_GVA_EXT_PAGE_SIZE_1G) != 0;
		uint64_t gva = r & ~((UINT64_C(1) << 21) - 1);
		printf("\"large_page\":true,\"page_size\":\"%s\",\"gva\":\"0x%" PRIx64
		       "\",\"large_page_count\":%" PRIu64 ",\"reserved_bits\":\"0x%" PRIx64 "\"}",
		       g1 ? "1G" : "2M", gva, (r & TLBF_GVA_EXT_ADDITIONAL_MASK) + 1,
		       r & (UINT64_C(0xff) << 13));
		return;
	}
	uint64_t page = tlbf_gva_page(r);
	uint64_t count = tlbf_gva_additional(r, extended) + 1;
	printf("\"large_page\":false,\"first_page\":\"0x%" PRIx64 "\",\"gva\":\"0x%" PRIx64
	       "\",\"page_count\":%" PRIu64 "}",
	       page, page << TLBF_GVA_PAGE_SHIFT, count);
}

int main(int argc, char **argv)
{
	uint64_t control = 0, vps = 0, vtl = 0, reps = 0, rep_start = 0, varhdr = 0;
	bool have_control = false, have_call = false, have_vps = false, have_varhdr = false;
	bool fast = false;
	uint16_t code = 0;
	/* The hex as parsed so far; HEX arguments are parsed as they come. */
	static unsigned char buf[MAX_INPUT];
	size_t len = 0;
	int half = -1;
	bool have_hex = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = true;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--control")) {
			ok = parse_u64(v, &control), have_control = true, i++;
		} else if (!strcmp(a, "--call")) {
			ok = v && parse_call(v, &code), have_call = true, i++;
		} else if (!strcmp(a, "--reps")) {
			ok = parse_u64(v, &reps) && reps <= 0xfff, i++;
		} else if (!strcmp(a, "--rep-start")) {
			ok = parse_u64(v, &rep_start) && rep_start <= 0xfff, i++;
		} else if (!strcmp(a, "--varhdr")) {
			ok = parse_u64(v, &varhdr) && varhdr <= 0x3ff, have_varhdr = true, i++;
		} else if (!strcmp(a, "--fast")) {
			fast = true;
		} else if (!strcmp(a, "--vps")) {
			ok = parse_u64(v, &vps) && vps >= 1 && vps <= TLBF_MAX_VPS, have_vps = true, i++;
		} else if (!strcmp(a, "--vtl")) {
			ok = parse_u64(v, &vtl) && vtl <= 15, i++;
		} else if (a[0] == '-' && a[1] == '-') {
			fprintf(stderr, "tlbf-decode: unknown option %s\n", a);
			usage(stderr);
			return 1;
		} else {
			have_hex = true;
			if (!parse_hex(a, buf, &len, &half)) {
				fprintf(stderr, "tlbf-decode: bad hex or more than %u bytes\n",
				        MAX_INPUT);
				return 1;
			}
		}
		if (!ok) {
			fprintf(stderr, "tlbf-decode: bad or missing value for %s\n", a);
			usage(stderr);
			return 1;
		}
	}
	if (have_control == have_call || !have_vps) {
		fprintf(stderr, "tlbf-decode: need --vps and exactly one of --control, --call\n");
		usage(stderr);
		return 1;
	}
	if (have_control && (reps || rep_start || have_varhdr || fast)) {
		fprintf(stderr, "tlbf-decode: --reps/--rep-start/--varhdr/--fast go with --call\n");
		return 1;
	}

	bool ok = true;
	if (!have_hex) {
		char chunk[4096];
		size_t n;
		while (ok && (n = fread(chunk, 1, sizeof(chunk) - 1, stdin)) > 0) {
			chunk[n] = 0;
			if (memchr(chunk, 0, n)) {
				ok = false;
				break;
			}
			ok = parse_hex(chunk, buf, &len, &half);
		}
	}
	if (!ok || half >= 0) {
		fprintf(stderr, "tlbf-decode: input is not an even number of hex digits "
		                "(at most %u bytes)\n", MAX_INPUT);
		return 1;
	}
	/* malloc'ed: aligned for u64 reads, and exactly as long as the input,
	 * so a sanitizer build flags any overread. */
	unsigned char *input = malloc(len ? len : 1);
	if (!input)
		return 1;
	memcpy(input, buf, len);

	if (have_call) {
		if (!have_varhdr && (code == TLBF_HVCALL_FLUSH_VA_SPACE_EX ||
		                     code == TLBF_HVCALL_FLUSH_VA_LIST_EX) && len >= 32) {
			uint64_t mask;
			memcpy(&mask, input + 24, 8);
			varhdr = tlbf_popcount64(mask);
		}
		control = tlbf_hv_control_make(code, fast, (unsigned)varhdr, (unsigned)reps,
		                               (unsigned)rep_start);
	}

	struct tlbf_flush_request req;
	memset(&req, 0, sizeof(req));
	enum tlbf_hypercall_rule rule;
	enum tlbf_hv_status st = tlbf_hypercall_decode(control, input, len, (uint32_t)vps,
	                                               (unsigned)vtl, &req, &rule);
	uint64_t cc = control & TLBF_HV_CONTROL_CODE_MASK;
	const char *cn = call_name(cc);
	printf("{\"status\":\"%s\",\"status_code\":%d,\"rule\":\"%s\",", tlbf_hv_status_name(st),
	       (int)st, tlbf_hypercall_rule_name(rule));
	printf("\"control\":{\"value\":\"0x%016" PRIx64 "\",\"call_code\":%" PRIu64
	       ",\"call\":%s%s%s,\"fast\":%s,\"varhdr_qwords\":%" PRIu64
	       ",\"rep_count\":%" PRIu64 ",\"rep_start\":%" PRIu64 "},",
	       control, cc, cn ? "\"" : "", cn ? cn : "null", cn ? "\"" : "",
	       (control & TLBF_HV_CONTROL_FAST) ? "true" : "false",
	       (control & TLBF_HV_CONTROL_VARHDR_MASK) >> TLBF_HV_CONTROL_VARHDR_SHIFT,
	       (control & TLBF_HV_CONTROL_REP_COUNT_MASK) >> TLBF_HV_CONTROL_REP_COUNT_SHIFT,
	       (control & TLBF_HV_CONTROL_REP_START_MASK) >> TLBF_HV_CONTROL_REP_START_SHIFT);
	printf("\"input_bytes\":%zu,\"vp_count\":%" PRIu64 ",\"caller_vtl\":%" PRIu64, len, vps,
	       vtl);
	if (st != TLBF_HV_STATUS_SUCCESS) {
		printf("}\n");
		free(input);
		return 2;
	}

	static const char *const kinds[] = {"entire", "non_global", "list"};
	static const char *const set_kinds[] = {"sparse_4k", "all", "mask64"};
	printf(",\"kind\":\"%s\",\"target_vtl\":%u,\"address_space\":\"0x%" PRIx64 "\",",
	       kinds[req.kind], (unsigned)req.target_vtl, req.address_space);
	print_flags(req.flags);
	printf(",\"vp_set\":{\"kind\":\"%s\",\"count\":%" PRIu32 ",\"vps\":[",
	       set_kinds[tlbf_vpset_kind(&req.vps)], tlbf_vpset_count(&req.vps));
	struct tlbf_vpset_iter it;
	uint32_t vp;
	bool first = true;
	tlbf_vpset_iter_init(&it, &req.vps);
	while (tlbf_vpset_iter_next(&it, &vp)) {
		printf("%s%" PRIu32, first ? "" : ",", vp);
		first = false;
	}
	printf("]},\"extended_ranges\":%s,\"ranges\":[", req.extended ? "true" : "false");
	for (uint32_t i = 0; i < req.range_count; i++) {
		if (i)
			printf(",");
		print_range(i, tlbf_guest_load_u64(&req.ranges[i]), req.extended);
	}
	printf("],\"policy\":");
	if (req.kind == TLBF_FLUSH_LIST) {
		/* The push's own rule, on the values it reads: more ranges
		 * than the ring holds, or the first range it would not list. */
		static struct tlbf_ring ring;
		tlbf_ring_init(&ring);
		bool promote = tlbf_ring_push(&ring, req.ranges, req.range_count, req.extended).result ==
		               TLBF_PUSH_PROMOTED;
		const char *reason = "by_list";
		uint32_t offending = req.range_count;
		if (req.range_count > TLBF_RING_CAPACITY) {
			reason = "too_many";
			offending = TLBF_RING_CAPACITY;
		} else {
			for (uint32_t i = 0; i < req.range_count && offending == req.range_count; i++) {
				enum tlbf_range_class c =
				        tlbf_range_classify(tlbf_guest_load_u64(&req.ranges[i]), req.extended);
				if (c != TLBF_RANGE_LIST) {
					reason = class_name(c);
					offending = i;
				}
			}
		}
		printf("{\"decision\":\"%s\",\"reason\":\"%s\",\"first_offending\":",
		       promote ? "promote" : "list", reason);
		if (promote)
			printf("%" PRIu32 "}", offending);
		else
			printf("null}");
	} else {
		printf("{\"decision\":\"%s\",\"reason\":\"space_call\",\"first_offending\":null}",
		       req.kind == TLBF_FLUSH_NON_GLOBAL ? "non_global" : "entire");
	}
	printf("}\n");
	free(input);
	return 0;
}
