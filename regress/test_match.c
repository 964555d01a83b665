/*
 * Copyright (c) 2026 The filter-mtasts authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * MX pattern matching (RFC 8461 4.1, R1.6.2, M1-M3) and the host name
 * syntax under it (RFC 5321 4.1.2 Domain, RFC 1035 limits, P10).
 */

#include <string.h>

#include "mtasts.h"
#include "regress.h"

#define L10	"abcdefghij"
#define L61	L10 L10 L10 L10 L10 L10 "k"
#define L62	L61 "l"
#define L63	L62 "m"
#define L64	L63 "n"
#define N251	L63 "." L63 "." L63 "." L59
#define L59	L10 L10 L10 L10 L10 "abcdefghi"
#define N253	L63 "." L63 "." L63 "." L61
#define N254	L63 "." L63 "." L63 "." L62
#define UN253	"ABCDEFGHIJ" L10 L10 L10 L10 L10 "KLM" "." L63 "." L63 "." L61

static const struct match_test {
	const char	*name;
	const char	*pattern;
	const char	*host;
	int		 want;
} match_tests[] = {
	/* RFC 8461 4.1, the examples in the text. */
	{ "4.1 *.example.com matches mail.example.com (R1.6.2, M2)",
	    "*.example.com", "mail.example.com", 1 },
	{ "4.1 *.example.com does not match example.com (R1.6.2, M2)",
	    "*.example.com", "example.com", 0 },
	{ "4.1 *.example.com does not match foo.bar.example.com (M2)",
	    "*.example.com", "foo.bar.example.com", 0 },

	/* Exact patterns. */
	{ "4.1 exact pattern matches the same name",
	    "mail.example.com", "mail.example.com", 1 },
	{ "4.1 exact pattern does not match a subdomain",
	    "example.com", "mail.example.com", 0 },
	{ "4.1 exact pattern does not match its parent",
	    "mail.example.com", "example.com", 0 },
	{ "4.1 exact pattern does not match a different name",
	    "mx1.example.com", "mx2.example.com", 0 },
	{ "4.1 single-label exact pattern", "localhost", "localhost", 1 },

	/* M1: case-insensitive on both sides. */
	{ "4.1 host in upper case matches (M1)",
	    "mail.example.com", "MAIL.EXAMPLE.COM", 1 },
	{ "4.1 pattern in upper case matches (M1)",
	    "MAIL.Example.COM", "mail.example.com", 1 },
	{ "4.1 wildcard pattern in upper case matches (M1)",
	    "*.EXAMPLE.COM", "mail.example.com", 1 },
	{ "4.1 wildcard label of host in upper case matches (M1)",
	    "*.example.com", "MAIL.Example.Com", 1 },
	{ "4.1 case folding is ASCII only: 'K' is not 'k'-like U+212A",
	    "k.example.com", "\xe2\x84\xaa.example.com", 0 },

	/* M1: one trailing dot on the host (DNS form) is ignored. */
	{ "4.1 host with one trailing dot matches exact pattern (M1)",
	    "mail.example.com", "mail.example.com.", 1 },
	{ "4.1 host with one trailing dot matches wildcard (M1)",
	    "*.example.com", "mail.example.com.", 1 },
	{ "4.1 host with two trailing dots: no match (M1, M3)",
	    "mail.example.com", "mail.example.com..", 0 },
	{ "4.1 host with trailing dot, wildcard, parent only: no match",
	    "*.example.com", "example.com.", 0 },
	{ "4.1 pattern with trailing dot is invalid: no match (M3, P10)",
	    "mail.example.com.", "mail.example.com.", 0 },
	{ "4.1 wildcard pattern with trailing dot: no match (M3, P10)",
	    "*.example.com.", "mail.example.com", 0 },
	{ "4.1 host '.' alone: no match (M3)", "*.example.com", ".", 0 },

	/* M2: the wildcard is one whole left-most label. */
	{ "4.1 *.com matches example.com (one label)",
	    "*.com", "example.com", 1 },
	{ "4.1 *.com does not match com", "*.com", "com", 0 },
	{ "4.1 *.ample.com does not match mail.example.com (label bound)",
	    "*.ample.com", "mail.example.com", 0 },
	{ "4.1 *.example.com does not match mail.xexample.com",
	    "*.example.com", "mail.xexample.com", 0 },
	{ "4.1 example.com does not match xexample.com (label bound)",
	    "example.com", "xexample.com", 0 },
	{ "4.1 example.com does not match example.com.au",
	    "example.com", "example.com.au", 0 },
	{ "4.1 mail.example.com does not match mail.example.co",
	    "mail.example.com", "mail.example.co", 0 },
	{ "4.1 partial wildcard m*.example.com is invalid: no match (M3)",
	    "m*.example.com", "mail.example.com", 0 },
	{ "4.1 *mail.example.com is invalid: no match (M3)",
	    "*mail.example.com", "xmail.example.com", 0 },
	{ "4.1 mail.*.com is invalid: no match (M3)",
	    "mail.*.com", "mail.example.com", 0 },
	{ "4.1 *.*.example.com is invalid: no match (M3)",
	    "*.*.example.com", "a.b.example.com", 0 },
	{ "4.1 '*' alone is invalid: no match (M3)", "*", "localhost", 0 },
	{ "4.1 '*.' is invalid: no match (M3)", "*.", "example.", 0 },
	{ "4.1 .example.com (old draft suffix) is invalid: no match (A16)",
	    ".example.com", "mail.example.com", 0 },
	{ "4.1 host with '*' is invalid: no match (M3)",
	    "*.example.com", "*.example.com", 0 },
	{ "4.1 host with '*' vs exact pattern: no match (M3)",
	    "mail.example.com", "*.example.com", 0 },

	/* Empty and malformed input. */
	{ "4.1 empty pattern: no match (M3)", "", "mail.example.com", 0 },
	{ "4.1 empty host: no match (M3)", "mail.example.com", "", 0 },
	{ "4.1 both empty: no match (M3)", "", "", 0 },
	{ "4.1 host with leading dot: no match (M3)",
	    "*.example.com", ".example.com", 0 },
	{ "4.1 host with empty label: no match (M3)",
	    "*.example.com", "a..example.com", 0 },
	{ "4.1 host with underscore: no match (M3)",
	    "*.example.com", "mail_1.example.com", 0 },
	{ "4.1 host label ending in '-': no match (M3)",
	    "*.example.com", "mail-.example.com", 0 },
	{ "4.1 host with SP: no match (M3)",
	    "mail.example.com", "mail.example.com ", 0 },
	{ "4.1 IP literal host: no match (M3)",
	    "*.example.com", "[192.0.2.1]", 0 },
	{ "4.1 IP literal pattern: no match (M3)",
	    "[192.0.2.1]", "[192.0.2.1]", 0 },

	/* IDNs are compared as A-labels (R1.4.9). */
	{ "4.1 A-label exact match (R1.4.9)",
	    "mx.xn--bcher-kva.example", "mx.xn--bcher-kva.example", 1 },
	{ "4.1 A-label wildcard match (R1.4.9)",
	    "*.xn--bcher-kva.example", "mx.xn--bcher-kva.example", 1 },
	{ "4.1 A-label matches case-insensitively (M1)",
	    "*.XN--BCHER-KVA.example", "mx.xn--bcher-kva.EXAMPLE", 1 },
	{ "4.1 U-label host vs A-label pattern: no match (R1.4.9)",
	    "*.xn--bcher-kva.example", "mx.b\xc3\xbc" "cher.example", 0 },
	{ "4.1 U-label pattern: no match (R1.4.9)",
	    "mx.b\xc3\xbc" "cher.example", "mx.b\xc3\xbc" "cher.example", 0 },

	/* Long names (RFC 1035 limits). */
	{ "4.1 253-char names match", N253, N253, 1 },
	{ "4.1 253-char names match case-insensitively (M1)", N253, UN253,
	    1 },
	{ "4.1 253-char host with trailing dot matches (M1)",
	    N253, N253 ".", 1 },
	{ "4.1 254-char names: no match (M3)", N254, N254, 0 },
	{ "4.1 wildcard over a 251-char domain matches a 253-char host",
	    "*." N251, "a." N251, 1 },
	{ "4.1 63-char left-most label matches a wildcard",
	    "*.example.com", L63 ".example.com", 1 },
	{ "4.1 64-char left-most label: no match (M3)",
	    "*.example.com", L64 ".example.com", 0 },
	{ "4.1 exact 63-char label", L63 ".example", L63 ".example", 1 },
	{ "4.1 long names differing in the last byte: no match",
	    N253, L63 "." L63 "." L63 "." L10 L10 L10 L10 L10 L10 "z", 0 },
};

#define NMATCH	(sizeof(match_tests) / sizeof(match_tests[0]))

static const struct valid_test {
	const char	*name;
	const char	*s;
	int		 pattern;	/* sts_mx_pattern_valid() */
	int		 host;		/* dns_hostname_valid() */
} valid_tests[] = {
	{ "simple name", "mail.example.com", 1, 1 },
	{ "single label", "localhost", 1, 1 },
	{ "single char labels", "a.b.c", 1, 1 },
	{ "digits first", "1mail.example.com", 1, 1 },
	{ "inner hyphens", "a-b--c.example", 1, 1 },
	{ "A-label", "xn--bcher-kva.example", 1, 1 },
	{ "wildcard", "*.example.com", 1, 0 },
	{ "wildcard over one label", "*.com", 1, 0 },
	{ "trailing dot", "mail.example.com.", 0, 0 },
	{ "leading dot", ".example.com", 0, 0 },
	{ "empty label", "mail..example.com", 0, 0 },
	{ "dot alone", ".", 0, 0 },
	{ "empty string", "", 0, 0 },
	{ "leading hyphen", "-mail.example.com", 0, 0 },
	{ "trailing hyphen in a label", "mail-.example.com", 0, 0 },
	{ "trailing hyphen at the end", "mail.example-", 0, 0 },
	{ "underscore", "_mta-sts.example.com", 0, 0 },
	{ "SP", "mail example.com", 0, 0 },
	{ "UTF-8 U-label", "b\xc3\xbc" "cher.example", 0, 0 },
	{ "IP literal", "[192.0.2.1]", 0, 0 },
	{ "'*' alone", "*", 0, 0 },
	{ "'*.' alone", "*.", 0, 0 },
	{ "double wildcard", "*.*.example.com", 0, 0 },
	{ "inner wildcard", "a.*.example.com", 0, 0 },
	{ "partial wildcard", "*a.example.com", 0, 0 },
	{ "wildcard at the end", "example.*", 0, 0 },
	{ "wildcard with trailing dot", "*.example.com.", 0, 0 },
	{ "label of 63 chars", L63 ".example", 1, 1 },
	{ "label of 64 chars", L64 ".example", 0, 0 },
	{ "last label of 64 chars", "example." L64, 0, 0 },
	{ "name of 253 chars", N253, 1, 1 },
	{ "name of 254 chars", N254, 0, 0 },
	{ "wildcard over a label of 63 chars", "*." L63, 1, 0 },
	{ "wildcard over a label of 64 chars", "*." L64, 0, 0 },
};

#define NVALID	(sizeof(valid_tests) / sizeof(valid_tests[0]))

static void
test_match(void)
{
	size_t	 i;
	int	 got;

	for (i = 0; i < NMATCH; i++) {
		got = sts_mx_match(match_tests[i].pattern,
		    match_tests[i].host);
		regress_check(got == match_tests[i].want, "%s",
		    match_tests[i].name);
		if (got != match_tests[i].want)
			regress_diag("pattern \"%s\" host \"%s\": got %d",
			    match_tests[i].pattern, match_tests[i].host, got);
	}
}

static void
test_valid(void)
{
	const struct valid_test *t;
	size_t			 i, len;
	int			 p, h;

	for (i = 0; i < NVALID; i++) {
		t = &valid_tests[i];
		len = strlen(t->s);
		p = sts_mx_pattern_valid(t->s, len);
		h = dns_hostname_valid(t->s, len);
		regress_check(p == t->pattern,
		    "3.2 sts_mx_pattern_valid: %s is %s (P10)", t->name,
		    t->pattern ? "valid" : "invalid");
		regress_check(h == t->host,
		    "5321 dns_hostname_valid: %s is %s", t->name,
		    t->host ? "valid" : "invalid");
	}
}

/* The (pointer, length) API: bytes past len are never looked at. */
static void
test_lengths(void)
{
	regress_check(dns_hostname_valid("mail.example.com.", 16) == 1,
	    "dns_hostname_valid honours len: trailing dot outside len");
	regress_check(dns_hostname_valid("mail.example.com\0x", 18) == 0,
	    "dns_hostname_valid: NUL inside len is invalid");
	regress_check(dns_hostname_valid("a_b", 1) == 1,
	    "dns_hostname_valid honours len: '_' outside len");
	regress_check(sts_mx_pattern_valid("*.example.com_", 13) == 1,
	    "sts_mx_pattern_valid honours len: '_' outside len");
	regress_check(sts_mx_pattern_valid("*.example.com", 1) == 0,
	    "sts_mx_pattern_valid: '*' cut by len is invalid");
	regress_check(sts_mx_pattern_valid("*.example.com", 2) == 0,
	    "sts_mx_pattern_valid: '*.' cut by len is invalid");
	regress_check(sts_mx_pattern_valid("mail.example.com\0", 17) == 0,
	    "sts_mx_pattern_valid: NUL inside len is invalid");
}

int
main(void)
{
	test_match();
	test_valid();
	test_lengths();
	return regress_exit();
}
