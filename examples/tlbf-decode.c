/* SPDX-License-Identifier: MIT */
/*
 * tlbf-decode - decode one Hyper-V flush hypercall and print it as JSON.
 *
 *   tlbf-decode --control 0xCONTROL --vps V [--vtl N] [OPTIONS] [HEX...|-]
 *   tlbf-decode --call NAME|CODE [--reps N] [--rep-start N] [--varhdr N]
 *               [--fast] --vps V [--vtl N] [OPTIONS] [HEX...|-]
 *
 * HEX is the hypercall input as bytes in memory order (whitespace and a
 * leading 0x of a token are ignored; several HEX arguments are
 * concatenated), or with --words as 64-bit little-endian words, one value
 * per token. "-", or no HEX argument at all, reads the same from stdin.
 * Prints one JSON object (--pretty: indented). A refused call carries an
 * "evidence" object: what the decoder read and what it needed. Exit
 * status: 0 the input decoded, 2 the hypercall would fail (the JSON says
 * with which status and rule), 1 usage error (a message on stderr naming
 * the argument and what was expected; nothing on stdout).
 */
#define _POSIX_C_SOURCE 200809L /* isatty, fileno */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlbflush/tlbflush.h"

#define MAX_INPUT (1u << 20)
#define MAX_OFFSET 4095u

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: tlbf-decode --control 0xCONTROL --vps V [--vtl N] [OPTIONS] [HEX...|-]\n"
	        "       tlbf-decode --call NAME|CODE [--reps N] [--rep-start N] [--varhdr N]\n"
	        "                   [--fast] --vps V [--vtl N] [OPTIONS] [HEX...|-]\n"
	        "\n"
	        "Decode one flush hypercall (0x0002 FlushVirtualAddressSpace, 0x0003 List,\n"
	        "0x0013 SpaceEx, 0x0014 ListEx) and print one JSON object: status, rule,\n"
	        "flags, the VP set, the ranges and the list-or-promote decision; for a\n"
	        "refused call, the evidence (flags, bytes needed and given, set format,\n"
	        "target VTL).\n"
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
	        "  --words        the input is 64-bit words in hex (each stored little-endian,\n"
	        "                 as the guest's input page holds them), one per token\n"
	        "  --offset N     place the input N bytes into its buffer (0..%u; default 0):\n"
	        "                 N not a multiple of 8 gives HV_STATUS_INVALID_ALIGNMENT\n"
	        "  --pretty       indented JSON\n"
	        "  HEX...         input bytes in memory order (arguments are concatenated)\n"
	        "  -              read the input from stdin (also the default without HEX)\n"
	        "\n"
	        "Examples:\n"
	        "  tlbf-decode --call space --vps 8 --words 0 0x1 0\n"
	        "  tlbf-decode --call list --reps 1 --vps 4 --words 0 0x1 0 0x7f0000002003\n"
	        "\n"
	        "Exit status: 0 decoded, 2 the hypercall fails, 1 usage error.\n",
	        (unsigned)TLBF_MAX_VPS, MAX_OFFSET);
}

/* A usage error: the message, a pointer to --help, exit status 1. */
static int fail(const char *fmt, ...)
{
	va_list ap;
	fputs("tlbf-decode: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(tlbf-decode --help lists the options)\n", stderr);
	return 1;
}

/* At most 40 characters of @s, for quoting in a message. */
static const char *excerpt(const char *s)
{
	static char buf[48];
	size_t n = strlen(s);
	if (n <= 40)
		return s;
	snprintf(buf, sizeof(buf), "%.37s...", s);
	return buf;
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

/*
 * The input as parsed so far. In byte mode a byte may be split across two
 * arguments (an odd digit is carried to the next); the end checks that
 * none is left over.
 */
static struct {
	unsigned char buf[MAX_INPUT];
	size_t len;
	int half;           /* the high nibble of a byte begun, or -1 */
	char half_where[64]; /* where that nibble came from */
	size_t digits;      /* hex digits read in byte mode */
} in = {.half = -1};

static bool put_byte(unsigned char b, const char *where)
{
	if (in.len >= MAX_INPUT) {
		fprintf(stderr, "tlbf-decode: input too long at %s: at most %u bytes\n", where,
		        MAX_INPUT);
		return false;
	}
	in.buf[in.len++] = b;
	return true;
}

/* Whether @p starts a token (start of text or after whitespace). */
static bool token_start(const char *text, const char *p)
{
	return p == text || isspace((unsigned char)p[-1]);
}

/* Byte mode: append the hex digits of @text, read from @where. */
static bool add_hex(const char *text, const char *where)
{
	for (const char *p = text; *p; p++) {
		if (isspace((unsigned char)*p))
			continue;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && in.half < 0 &&
		    token_start(text, p)) {
			p++;
			continue;
		}
		int v = hexval((unsigned char)*p);
		if (v < 0) {
			fprintf(stderr,
			        "tlbf-decode: bad hex in %s: '%s': expected two hex digits per byte "
			        "(%s%c%s at position %zu is not a hex digit)\n",
			        where, excerpt(text), isprint((unsigned char)*p) ? "'" : "",
			        isprint((unsigned char)*p) ? *p : '?',
			        isprint((unsigned char)*p) ? "'" : "", (size_t)(p - text) + 1);
			return false;
		}
		in.digits++;
		if (in.half < 0) {
			in.half = v;
			snprintf(in.half_where, sizeof(in.half_where), "%s", where);
		} else {
			if (!put_byte((unsigned char)(in.half << 4 | v), where))
				return false;
			in.half = -1;
		}
	}
	return true;
}

/* Word mode: each token of @text is one 64-bit value in hex, stored
 * little-endian. */
static bool add_words(const char *text, const char *where)
{
	const char *p = text;
	for (;;) {
		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (!*p)
			return true;
		const char *tok = p;
		while (*p && !isspace((unsigned char)*p) && *p != ',')
			p++;
		size_t n = (size_t)(p - tok);
		const char *d = tok;
		if (n > 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'X'))
			d += 2;
		size_t nd = (size_t)(p - d);
		uint64_t w = 0;
		for (const char *q = d; q < p; q++) {
			int v = hexval((unsigned char)*q);
			if (v < 0) {
				fprintf(stderr,
				        "tlbf-decode: bad word in %s: '%.*s': expected a 64-bit value "
				        "in hex, 1 to 16 digits ('%c' is not a hex digit)\n",
				        where, (int)(n > 40 ? 40 : n), tok, *q);
				return false;
			}
			w = w << 4 | (uint64_t)v;
		}
		if (nd > 16) {
			fprintf(stderr,
			        "tlbf-decode: bad word in %s: '%.*s': expected a 64-bit value in "
			        "hex, 1 to 16 digits (it has %zu)\n",
			        where, (int)(n > 40 ? 40 : n), tok, nd);
			return false;
		}
		for (unsigned i = 0; i < 8; i++)
			if (!put_byte((unsigned char)(w >> (8 * i)), where))
				return false;
	}
}

/* The input from stdin, line by line, so that errors name the line. */
static bool add_stdin(bool words)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	bool ok = true;
	while (ok && (n = getline(&line, &cap, stdin)) >= 0) {
		char where[48];
		lineno++;
		snprintf(where, sizeof(where), "stdin line %u", lineno);
		if (memchr(line, 0, (size_t)n)) {
			fprintf(stderr, "tlbf-decode: a NUL byte in %s: expected hex text\n",
			        where);
			ok = false;
			break;
		}
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = 0;
		ok = words ? add_words(line, where) : add_hex(line, where);
	}
	free(line);
	return ok;
}

/*
 * The JSON text is collected in a buffer, then printed as it is or
 * indented (--pretty).
 */
static struct {
	char *s;
	size_t len, cap;
} js;

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (js.len + (size_t)n + 1 > js.cap) {
		size_t cap = js.cap ? js.cap : 4096;
		while (cap < js.len + (size_t)n + 1)
			cap *= 2;
		char *s = realloc(js.s, cap);
		if (!s) {
			fputs("tlbf-decode: out of memory\n", stderr);
			exit(1);
		}
		js.s = s;
		js.cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(js.s + js.len, js.cap - js.len, fmt, ap);
	va_end(ap);
	js.len += (size_t)n;
}

static void indent(unsigned depth)
{
	putchar('\n');
	for (unsigned i = 0; i < depth; i++)
		fputs("  ", stdout);
}

/* Print the compact JSON of @s indented by two spaces per level; arrays of
 * scalars (VP lists, flag names) stay on one line. */
static void print_pretty(const char *s)
{
	unsigned depth = 0;
	bool in_str = false;
	int flat = 0; /* depth of a flat array, 0 if none */
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (in_str) {
			putchar(c);
			if (c == '\\' && p[1])
				putchar(*++p);
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			putchar(c);
			break;
		case '{':
		case '[':
			putchar(c);
			if (p[1] == '}' || p[1] == ']') {
				putchar(*++p);
				break;
			}
			depth++;
			if (c == '[' && !flat && p[1] != '{' && p[1] != '[') {
				flat = (int)depth;
				break;
			}
			if (!flat)
				indent(depth);
			break;
		case '}':
		case ']':
			if (flat == (int)depth) {
				flat = 0;
			} else if (!flat) {
				indent(depth - 1);
			}
			depth--;
			putchar(c);
			break;
		case ',':
			putchar(c);
			if (flat)
				putchar(' ');
			else
				indent(depth);
			break;
		case ':':
			fputs(": ", stdout);
			break;
		default:
			putchar(c);
		}
	}
	putchar('\n');
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
	out("\"flags\":{\"value\":\"0x%" PRIx64 "\",\"names\":[", flags);
	bool first = true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (flags & names[i].bit) {
			out("%s\"%s\"", first ? "" : ",", names[i].name);
			first = false;
		}
	}
	if (flags & TLBF_HV_FLUSH_RESERVED)
		out("%s\"RESERVED(0x%" PRIx64 ")\"", first ? "" : ",",
		       flags & TLBF_HV_FLUSH_RESERVED);
	out("]}");
}

static const char *class_name(enum tlbf_hv_range c)
{
	switch (c) {
	case TLBF_HV_RANGE_LISTABLE: return "list";
	case TLBF_HV_RANGE_LARGE_PAGE: return "large_page";
	case TLBF_HV_RANGE_PAST_TOP: return "past_top";
	case TLBF_HV_RANGE_NON_CANONICAL: return "non_canonical";
	}
	return "unknown";
}

static void print_range(uint32_t index, uint64_t r, bool extended)
{
	enum tlbf_hv_range c = tlbf_hv_range_classify(r, extended);
	out("{\"index\":%" PRIu32 ",\"raw\":\"0x%016" PRIx64 "\",\"class\":\"%s\",", index, r,
	       class_name(c));
	if (extended && (r & TLBF_GVA_EXT_LARGE_PAGE)) {
		bool g1 = (r & TLBF_GVA_EXT_PAGE_SIZE_1G) != 0;
		uint64_t gva = r & ~((UINT64_C(1) << 21) - 1);
		out("\"large_page\":true,\"page_size\":\"%s\",\"gva\":\"0x%" PRIx64
		       "\",\"large_page_count\":%" PRIu64 ",\"reserved_bits\":\"0x%" PRIx64 "\"}",
		       g1 ? "1G" : "2M", gva, (r & TLBF_GVA_EXT_ADDITIONAL_MASK) + 1,
		       r & (UINT64_C(0xff) << 13));
		return;
	}
	uint64_t page = tlbf__gva_page(r);
	uint64_t count = tlbf__gva_additional(r, extended) + 1;
	out("\"large_page\":false,\"first_page\":\"0x%" PRIx64 "\",\"gva\":\"0x%" PRIx64
	       "\",\"page_count\":%" PRIu64 "}",
	       page, page << TLBF_GVA_PAGE_SHIFT, count);
}

static uint64_t load_le64(const unsigned char *p)
{
	uint64_t w = 0;
	for (unsigned i = 0; i < 8; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

/*
 * What the decoder saw of a refused call, read from the raw input: the
 * placement, the bytes the control value asks for against those given,
 * the flags, the processor set's format and the target VTL. Each field is
 * null when the input is too short to hold it (or the call is unknown).
 */
static void print_evidence(uint64_t control, const unsigned char *input, size_t len,
                           size_t offset, uint64_t caller_vtl)
{
	const uint64_t code = control & TLBF_HV_CONTROL_CODE_MASK;
	const bool known = tlbf_hypercall_is_flush(code);
	const bool ex = code == TLBF_HVCALL_FLUSH_VA_SPACE_EX ||
	                code == TLBF_HVCALL_FLUSH_VA_LIST_EX;
	const uint64_t varhdr = (control & TLBF_HV_CONTROL_VARHDR_MASK) >>
	                        TLBF_HV_CONTROL_VARHDR_SHIFT;
	const uint64_t reps = (control & TLBF_HV_CONTROL_REP_COUNT_MASK) >>
	                      TLBF_HV_CONTROL_REP_COUNT_SHIFT;
	/* Fixed header: address space, flags, then the processor mask
	 * (non-Ex) or the set's format and valid_bank_mask (Ex). */
	const uint64_t header = (ex ? 4u : 3u) + varhdr;

	out(",\"evidence\":{\"input_offset\":%zu,\"input_aligned\":%s,\"bytes_given\":%zu,",
	    offset, offset % 8 == 0 ? "true" : "false", len);
	if (known)
		out("\"bytes_needed\":%" PRIu64 ",\"header_bytes\":%" PRIu64
		    ",\"range_bytes\":%" PRIu64 ",\"page_bytes\":%u,",
		    (header + reps) * 8, header * 8, reps * 8, TLBF_HV_INPUT_PAGE_BYTES);
	else
		out("\"bytes_needed\":null,\"header_bytes\":null,\"range_bytes\":null,"
		    "\"page_bytes\":%u,", TLBF_HV_INPUT_PAGE_BYTES);

	bool have_flags = len >= 16;
	uint64_t flags = have_flags ? load_le64(input + 8) : 0;
	if (have_flags)
		print_flags(flags);
	else
		out("\"flags\":null");

	/* The processor set as the call describes it. */
	if (!known || len < 24) {
		out(",\"set_format\":null,\"set_format_value\":null");
	} else if (!ex) {
		out(",\"set_format\":\"processor_mask\",\"set_format_value\":null,"
		    "\"processor_mask\":\"0x%" PRIx64 "\"", load_le64(input + 16));
	} else {
		uint64_t format = load_le64(input + 16);
		const char *name = format == 0 ? "sparse_4k" : format == 1 ? "all" : "unknown";
		out(",\"set_format\":\"%s\",\"set_format_value\":%" PRIu64, name, format);
		if (len >= 32) {
			uint64_t mask = load_le64(input + 24);
			out(",\"valid_bank_mask\":\"0x%" PRIx64 "\",\"banks_in_mask\":%u,"
			    "\"varhdr_qwords\":%" PRIu64, mask, (unsigned)tlbf__popcount64(mask),
			    varhdr);
		}
	}

	/* The target VTL: the flags name it, or it is the caller's. */
	const uint64_t vtl_bits = flags & (TLBF_HV_FLUSH_TARGET_VTL0 | TLBF_HV_FLUSH_TARGET_VTL1);
	if (!have_flags)
		out(",\"target_vtl\":null,\"target_vtl_from\":null");
	else if (flags & TLBF_HV_FLUSH_USE_TARGET_VTL)
		if (vtl_bits == TLBF_HV_FLUSH_TARGET_VTL0 || vtl_bits == TLBF_HV_FLUSH_TARGET_VTL1)
			out(",\"target_vtl\":%u,\"target_vtl_from\":\"flags\"",
			    vtl_bits == TLBF_HV_FLUSH_TARGET_VTL1 ? 1u : 0u);
		else
			out(",\"target_vtl\":null,\"target_vtl_from\":\"flags: USE_TARGET_VTL with "
			    "%s of TARGET_VTL0/1\"", vtl_bits ? "both" : "neither");
	else if (vtl_bits)
		out(",\"target_vtl\":null,\"target_vtl_from\":\"flags: TARGET_VTL0/1 without "
		    "USE_TARGET_VTL\"");
	else
		out(",\"target_vtl\":%" PRIu64 ",\"target_vtl_from\":\"caller\"", caller_vtl);
	out(",\"vtl_count\":%u}", (unsigned)TLBF_VTL_COUNT);
}

int main(int argc, char **argv)
{
	uint64_t control = 0, vps = 0, vtl = 0, reps = 0, rep_start = 0, varhdr = 0, offset = 0;
	bool have_control = false, have_call = false, have_vps = false, have_varhdr = false;
	bool fast = false, words = false, pretty = false;
	uint16_t code = 0;
	/* Input arguments (hex, or "-" for stdin), parsed once every option
	 * is known (--words may come after them). */
	int input_args = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		const int at = i; /* the option's position; its value is at + 1 */
		bool ok = true;
		const char *expected = NULL;
		char vps_range[64];
		snprintf(vps_range, sizeof(vps_range), "the partition's VP count, from 1 to %u",
		         (unsigned)TLBF_MAX_VPS);
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--control")) {
			ok = parse_u64(v, &control), have_control = true, i++;
			expected = "a 64-bit control value, e.g. 0x2 or 0x100000003";
		} else if (!strcmp(a, "--call")) {
			ok = v && parse_call(v, &code), have_call = true, i++;
			expected = "space, list, space-ex, list-ex, a TLFS name or a call code "
			           "up to 0xffff";
		} else if (!strcmp(a, "--reps")) {
			ok = parse_u64(v, &reps) && reps <= 0xfff, i++;
			expected = "a rep count from 0 to 4095";
		} else if (!strcmp(a, "--rep-start")) {
			ok = parse_u64(v, &rep_start) && rep_start <= 0xfff, i++;
			expected = "a rep start index from 0 to 4095";
		} else if (!strcmp(a, "--varhdr")) {
			ok = parse_u64(v, &varhdr) && varhdr <= 0x3ff, have_varhdr = true, i++;
			expected = "a variable header size from 0 to 1023 qwords";
		} else if (!strcmp(a, "--fast")) {
			fast = true;
		} else if (!strcmp(a, "--words")) {
			words = true;
		} else if (!strcmp(a, "--pretty")) {
			pretty = true;
		} else if (!strcmp(a, "--offset")) {
			ok = parse_u64(v, &offset) && offset <= MAX_OFFSET, i++;
			expected = "a byte offset from 0 to 4095";
		} else if (!strcmp(a, "--vps")) {
			ok = parse_u64(v, &vps) && vps >= 1 && vps <= TLBF_MAX_VPS, have_vps = true, i++;
			expected = vps_range;
		} else if (!strcmp(a, "--vtl")) {
			ok = parse_u64(v, &vtl) && vtl <= 15, i++;
			expected = "the caller's VTL, from 0 to 15";
		} else if (a[0] == '-' && a[1] != 0) {
			return fail("unknown option '%s' (argument %d)", excerpt(a), i);
		} else {
			input_args++;
		}
		if (!ok && !v)
			return fail("%s (argument %d) needs a value: expected %s", a, at, expected);
		if (!ok)
			return fail("bad value for %s (argument %d): '%s': expected %s", a, at + 1,
			            excerpt(v), expected);
	}
	if (!have_vps)
		return fail("missing --vps V: the number of VPs of the partition");
	if (!have_control && !have_call)
		return fail("missing the call: give --control 0xCONTROL or --call NAME");
	if (have_control && have_call)
		return fail("both --control and --call given: use one (--call builds the control "
		            "value)");
	if (have_control && (reps || rep_start || have_varhdr || fast))
		return fail("--reps/--rep-start/--varhdr/--fast go with --call; with --control "
		            "the control value holds them");

	/* The input, in argument order; "-" (or no input argument) is stdin. */
	bool read_stdin = input_args == 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--control") || !strcmp(a, "--call") || !strcmp(a, "--reps") ||
		    !strcmp(a, "--rep-start") || !strcmp(a, "--varhdr") || !strcmp(a, "--vps") ||
		    !strcmp(a, "--vtl") || !strcmp(a, "--offset")) {
			i++;
			continue;
		}
		if (a[0] == '-' && a[1] != 0)
			continue;
		bool ok;
		if (!strcmp(a, "-")) {
			ok = add_stdin(words);
		} else {
			char where[32];
			snprintf(where, sizeof(where), "argument %d", i);
			ok = words ? add_words(a, where) : add_hex(a, where);
		}
		if (!ok)
			return 1;
	}
	if (read_stdin) {
		if (isatty(fileno(stdin)))
			fprintf(stderr, "tlbf-decode: reading input from standard input (%s; end "
			                "with Ctrl-D)\n", words ? "64-bit words in hex" : "hex bytes");
		if (!add_stdin(words))
			return 1;
	}
	if (in.half >= 0) {
		fprintf(stderr,
		        "tlbf-decode: odd number of hex digits (%zu in all; the last begun in %s): "
		        "expected two hex digits per byte\n",
		        in.digits, in.half_where);
		return 1;
	}
	size_t len = in.len;
	/* malloc'ed: 16-byte aligned before the offset, and ending exactly at
	 * the input, so a sanitizer build flags any overread. */
	unsigned char *block = malloc((size_t)offset + (len ? len : 1));
	if (!block)
		return 1;
	memset(block, 0, (size_t)offset);
	unsigned char *input = block + offset;
	memcpy(input, in.buf, len);

	if (have_call) {
		if (!have_varhdr && (code == TLBF_HVCALL_FLUSH_VA_SPACE_EX ||
		                     code == TLBF_HVCALL_FLUSH_VA_LIST_EX) && len >= 32)
			varhdr = tlbf__popcount64(load_le64(input + 24));
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
	/* result: what the VMM puts in RAX for this call (the status and, for
	 * a rep call, the reps completed: all on success, none past the rep
	 * start on a refusal). */
	out("{\"status\":\"%s\",\"status_code\":%d,\"result\":\"0x%016" PRIx64 "\","
	    "\"rule\":\"%s\",",
	    tlbf_hv_status_name(st), (int)st, tlbf_hypercall_result(control, st),
	    tlbf_hypercall_rule_name(rule));
	out("\"control\":{\"value\":\"0x%016" PRIx64 "\",\"call_code\":%" PRIu64
	    ",\"call\":%s%s%s,\"fast\":%s,\"varhdr_qwords\":%" PRIu64 ",\"rep_count\":%" PRIu64
	    ",\"rep_start\":%" PRIu64 "},",
	    control, cc, cn ? "\"" : "", cn ? cn : "null", cn ? "\"" : "",
	    (control & TLBF_HV_CONTROL_FAST) ? "true" : "false",
	    (control & TLBF_HV_CONTROL_VARHDR_MASK) >> TLBF_HV_CONTROL_VARHDR_SHIFT,
	    (control & TLBF_HV_CONTROL_REP_COUNT_MASK) >> TLBF_HV_CONTROL_REP_COUNT_SHIFT,
	    (control & TLBF_HV_CONTROL_REP_START_MASK) >> TLBF_HV_CONTROL_REP_START_SHIFT);
	out("\"input_bytes\":%zu,\"vp_count\":%" PRIu64 ",\"caller_vtl\":%" PRIu64, len, vps, vtl);
	if (st != TLBF_HV_STATUS_SUCCESS) {
		print_evidence(control, input, len, (size_t)offset, vtl);
		out("}");
	} else {
		static const char *const kinds[] = {"entire", "non_global", "list"};
		static const char *const set_kinds[] = {"sparse_4k", "all", "mask64"};
		out(",\"kind\":\"%s\",\"target_vtl\":%u,\"address_space\":\"0x%" PRIx64 "\",",
		    kinds[req.kind], (unsigned)req.target_vtl, req.address_space);
		print_flags(req.flags);
		out(",\"vp_set\":{\"kind\":\"%s\",\"count\":%" PRIu32 ",\"vps\":[",
		    set_kinds[tlbf__vpset_kind(&req.vps)], tlbf_vpset_count(&req.vps));
		struct tlbf_vpset_iter it;
		uint32_t vp;
		bool first = true;
		tlbf_vpset_iter_init(&it, &req.vps);
		while (tlbf_vpset_iter_next(&it, &vp)) {
			out("%s%" PRIu32, first ? "" : ",", vp);
			first = false;
		}
		out("]},\"extended_ranges\":%s,\"ranges\":[", req.extended ? "true" : "false");
		for (uint32_t i = 0; i < req.range_count; i++) {
			if (i)
				out(",");
			print_range(i, tlbf__guest_load_u64(&req.ranges[i]), req.extended);
		}
		out("],\"policy\":");
		if (req.kind == TLBF_FLUSH_KIND_LIST) {
			/* The push's own rule, on the values it reads: more ranges
			 * than the ring holds, or the first range it would not list. */
			static struct tlbf_ring ring;
			tlbf_ring_init(&ring);
			bool promote = tlbf_ring_push(&ring, req.ranges, req.range_count, req.extended)
			                       .result == TLBF_PUSH_RESULT_PROMOTED;
			const char *reason = "by_list";
			uint32_t offending = req.range_count;
			if (req.range_count > TLBF_RING_CAPACITY) {
				reason = "too_many";
				offending = TLBF_RING_CAPACITY;
			}
			for (uint32_t i = 0; i < req.range_count && offending == req.range_count; i++) {
				enum tlbf_hv_range c =
				        tlbf_hv_range_classify(tlbf__guest_load_u64(&req.ranges[i]), req.extended);
				if (c != TLBF_HV_RANGE_LISTABLE) {
					reason = class_name(c);
					offending = i;
				}
			}
			out("{\"decision\":\"%s\",\"reason\":\"%s\",\"first_offending\":",
			    promote ? "promote" : "list", reason);
			if (promote)
				out("%" PRIu32 "}", offending);
			else
				out("null}");
		} else {
			out("{\"decision\":\"%s\",\"reason\":\"space_call\",\"first_offending\":null}",
			    req.kind == TLBF_FLUSH_KIND_NON_GLOBAL ? "non_global" : "entire");
		}
		out("}");
	}
	if (pretty)
		print_pretty(js.s);
	else
		printf("%s\n", js.s);
	free(block);
	free(js.s);
	return st == TLBF_HV_STATUS_SUCCESS ? 0 : 2;
}
