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
 * The _mta-sts TXT RRset (RFC 8461 3.1): sts_record_select(),
 * sts_record_parse() and sts_record_is_candidate() against rules
 * R1.2.x of the digest and decisions D1-D8.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "regress.h"

/* A string literal and its length, so NUL bytes can be part of it. */
#define S(x)		{ x, sizeof(x) - 1 }

#define MAXRR		4

#define ID32		"abcdefghijABCDEFGHIJ0123456789xy"
#define EXT32		"e234567890123456789012345678901x"

struct record_test {
	const char	*name;
	struct sts_txt	 rrs[MAXRR];
	size_t		 nrr;
	int		 valid;
	const char	*id;		/* when valid */
	size_t		 where;		/* when invalid: RR index, 0 = set */
};

static const struct record_test tests[] = {
	/* R1.2.3 / D1 / D4: case-sensitive version and id. */
	{ "3.1 minimal record v=STSv1;id=1 is valid (R1.2.2)",
	    { S("v=STSv1;id=1") }, 1, 1, "1", 0 },
	{ "3.1 typical record with SP after ';' is valid",
	    { S("v=STSv1; id=20160831085700Z") }, 1, 1, "20160831085700Z", 0 },
	{ "3.1 HTAB after ';' is WSP",
	    { S("v=STSv1;\tid=abc") }, 1, 1, "abc", 0 },
	{ "3.1 V=STSv1 is not a candidate: no record (R1.2.3, D1)",
	    { S("V=STSv1; id=1") }, 1, 0, NULL, 0 },
	{ "3.1 v=stsv1 is not a candidate: no record (R1.2.3, D1)",
	    { S("v=stsv1; id=1") }, 1, 0, NULL, 0 },
	{ "3.1 v=STSV1 is not a candidate: no record (R1.2.3)",
	    { S("v=STSV1; id=1") }, 1, 0, NULL, 0 },
	{ "3.1 v=STSv10; is not a candidate (D1)",
	    { S("v=STSv10; id=1") }, 1, 0, NULL, 0 },
	{ "3.1 v=STSv2; is not a candidate (D1)",
	    { S("v=STSv2; id=1") }, 1, 0, NULL, 0 },
	{ "3.1 ID= is an extension, record lacks id (R1.2.3, D4)",
	    { S("v=STSv1; ID=abc") }, 1, 0, NULL, 1 },
	{ "3.1 Id= is an extension, record lacks id (D4)",
	    { S("v=STSv1; Id=abc") }, 1, 0, NULL, 1 },
	{ "3.1 ID= extension beside a real id= is ignored (D4, D6)",
	    { S("v=STSv1; ID=upper; id=lower") }, 1, 1, "lower", 0 },
	{ "3.1 id value case is preserved (opaque id, R1.2.4)",
	    { S("v=STSv1; id=AbC123xYz") }, 1, 1, "AbC123xYz", 0 },

	/* R1.2.4 / D4: id is 1*32(ALPHA / DIGIT). */
	{ "3.1 id with 0 chars is invalid (R1.2.4, D4)",
	    { S("v=STSv1; id=") }, 1, 0, NULL, 1 },
	{ "3.1 id with 0 chars before ';' is invalid (D4)",
	    { S("v=STSv1; id=;") }, 1, 0, NULL, 1 },
	{ "3.1 id with 1 char is valid (R1.2.4)",
	    { S("v=STSv1; id=Z") }, 1, 1, "Z", 0 },
	{ "3.1 id with 32 chars is valid (R1.2.4)",
	    { S("v=STSv1; id=" ID32) }, 1, 1, ID32, 0 },
	{ "3.1 id with 33 chars is invalid (R1.2.4, D4)",
	    { S("v=STSv1; id=" ID32 "z") }, 1, 0, NULL, 1 },
	{ "3.1 id with 33 chars and trailing ';' is invalid (D4)",
	    { S("v=STSv1; id=" ID32 "z;") }, 1, 0, NULL, 1 },
	{ "3.1 id with '-' is invalid (R1.2.4, D4)",
	    { S("v=STSv1; id=a-b") }, 1, 0, NULL, 1 },
	{ "3.1 id with '+' is invalid (base64, R1.2.4)",
	    { S("v=STSv1; id=a+b") }, 1, 0, NULL, 1 },
	{ "3.1 id with '/' is invalid (base64, R1.2.4)",
	    { S("v=STSv1; id=a/b") }, 1, 0, NULL, 1 },
	{ "3.1 id with '=' padding is invalid (base64, R1.2.4)",
	    { S("v=STSv1; id=YWJj=") }, 1, 0, NULL, 1 },
	{ "3.1 id with '.' is invalid (R1.2.4)",
	    { S("v=STSv1; id=1.5") }, 1, 0, NULL, 1 },
	{ "3.1 id with '_' is invalid (R1.2.4)",
	    { S("v=STSv1; id=a_b") }, 1, 0, NULL, 1 },
	{ "3.1 id with inner space is invalid (R1.2.4)",
	    { S("v=STSv1; id=a b") }, 1, 0, NULL, 1 },
	{ "3.1 id with '-' then a valid id is invalid (D5 needs well-formed)",
	    { S("v=STSv1; id=a-b; id=ok") }, 1, 0, NULL, 1 },

	/* R1.2.2: the record must begin with the version. */
	{ "3.1 id before version: not a candidate (R1.2.2)",
	    { S("id=1; v=STSv1") }, 1, 0, NULL, 0 },
	{ "3.1 id before version beside SPF: no record (R1.2.2)",
	    { S("v=spf1 -all"), S("id=1; v=STSv1;") }, 2, 0, NULL, 0 },
	{ "3.1 leading WSP before v=STSv1: not a candidate (R1.2.2)",
	    { S(" v=STSv1; id=1") }, 1, 0, NULL, 0 },
	{ "3.1 extension before id is valid: order not significant (R1.2.2)",
	    { S("v=STSv1; foo=bar; id=x1") }, 1, 1, "x1", 0 },
	{ "3.1 version alone, no delimiter: not a candidate (D1)",
	    { S("v=STSv1") }, 1, 0, NULL, 0 },
	{ "3.1 version and ';' only: candidate without id, invalid (D3)",
	    { S("v=STSv1;") }, 1, 0, NULL, 1 },
	{ "3.1 version, ';' and WSP only: invalid, needs id (D3)",
	    { S("v=STSv1; ") }, 1, 0, NULL, 1 },
	{ "3.1 record without any id field is invalid (R1.2.2 sts-id required)",
	    { S("v=STSv1; foo=bar") }, 1, 0, NULL, 1 },

	/* R1.2.5 / D2: exactly one candidate. */
	{ "3.1 no TXT RR at all: no record (R1.2.5, D2)",
	    { { NULL, 0 } }, 0, 0, NULL, 0 },
	{ "3.1 only SPF: no record (R1.2.5, D2)",
	    { S("v=spf1 -all") }, 1, 0, NULL, 0 },
	{ "3.1 two valid identical STS RRs: no record (R1.2.5, D2)",
	    { S("v=STSv1; id=1"), S("v=STSv1; id=1") }, 2, 0, NULL, 0 },
	{ "3.1 two valid different STS RRs: no record (R1.2.5, D2)",
	    { S("v=STSv1; id=1"), S("v=STSv1; id=2") }, 2, 0, NULL, 0 },
	{ "3.1 valid + invalid STS RR: no record (R1.2.5, D2)",
	    { S("v=STSv1; id=1"), S("v=STSv1; id=a-b") }, 2, 0, NULL, 0 },
	{ "3.1 invalid + valid STS RR: no record (R1.2.5, D2)",
	    { S("v=STSv1;"), S("v=STSv1; id=1") }, 2, 0, NULL, 0 },
	{ "3.1 valid STS + 'v=STSv1 ;' RR: two candidates (D1, D2)",
	    { S("v=STSv1; id=1"), S("v=STSv1 ;id=2") }, 2, 0, NULL, 0 },
	{ "3.1 STS + SPF: SPF discarded, valid (R1.2.5, D2)",
	    { S("v=spf1 include:_spf.example.com -all"), S("v=STSv1; id=42") },
	    2, 1, "42", 0 },
	{ "3.1 SPF + STS + site verification: valid (R1.2.5)",
	    { S("v=spf1 -all"), S("google-site-verification=abc"),
	    S("v=STSv1; id=7") }, 3, 1, "7", 0 },
	{ "3.1 STS + 'v=STSv1' without ';': the latter discarded (D1)",
	    { S("v=STSv1"), S("v=STSv1; id=9") }, 2, 1, "9", 0 },
	{ "3.1 STS + 'v=STSv10;' RR: the latter discarded (D1)",
	    { S("v=STSv10; id=1"), S("v=STSv1; id=9") }, 2, 1, "9", 0 },
	{ "3.1 STS + 'V=STSv1;' RR: the latter discarded (D1)",
	    { S("v=STSv1; id=9"), S("V=STSv1; id=1") }, 2, 1, "9", 0 },
	{ "3.1 STS + empty TXT RR: empty RR discarded",
	    { S(""), S("v=STSv1; id=9") }, 2, 1, "9", 0 },
	{ "3.1 sole candidate invalid among others: error names its RR",
	    { S("v=spf1 -all"), S("foo"), S("v=STSv1; id=") }, 3, 0, NULL,
	    3 },

	/* R1.2.10 / A8 / D1: WSP before the first ';'. */
	{ "3.1 'v=STSv1 ;id=1' alone is valid (R1.2.10, A8, D1)",
	    { S("v=STSv1 ;id=1") }, 1, 1, "1", 0 },
	{ "3.1 'v=STSv1\\t;\\tid=1' alone is valid (D1)",
	    { S("v=STSv1\t;\tid=1") }, 1, 1, "1", 0 },
	{ "3.1 'v=STSv1 ; id=1' with SPF is a candidate, valid (A8, D1)",
	    { S("v=spf1 -all"), S("v=STSv1 ; id=1") }, 2, 1, "1", 0 },
	{ "3.1 'v=STSv1  ;id=1' (two SP) with SPF is valid (D1)",
	    { S("v=STSv1  ;id=x"), S("v=spf1 -all") }, 2, 1, "x", 0 },

	/* R1.2.12 / A9 / D3: delimiters. */
	{ "3.1 trailing ';' is valid (D3)",
	    { S("v=STSv1; id=1;") }, 1, 1, "1", 0 },
	{ "3.1 trailing '; ' is valid: WSP after ';' (D3)",
	    { S("v=STSv1; id=1; ") }, 1, 1, "1", 0 },
	{ "3.1 trailing ' ;' is valid: WSP before ';' (D3)",
	    { S("v=STSv1; id=1 ;") }, 1, 1, "1", 0 },
	{ "3.1 trailing SP without ';' is invalid (R1.2.12, D3)",
	    { S("v=STSv1; id=1 ") }, 1, 0, NULL, 1 },
	{ "3.1 trailing HTAB without ';' is invalid (R1.2.12, D3)",
	    { S("v=STSv1; id=1\t") }, 1, 0, NULL, 1 },
	{ "3.1 trailing ';;' is invalid (A9, D3)",
	    { S("v=STSv1; id=1;;") }, 1, 0, NULL, 1 },
	{ "3.1 ';;' between fields is invalid (A9, D3)",
	    { S("v=STSv1;; id=1") }, 1, 0, NULL, 1 },
	{ "3.1 '; ;' between fields is invalid (A9, D3)",
	    { S("v=STSv1; ; id=1") }, 1, 0, NULL, 1 },
	{ "3.1 fields separated by SP only are invalid (D3)",
	    { S("v=STSv1; id=1 foo=bar") }, 1, 0, NULL, 1 },
	{ "3.1 ',' as delimiter is invalid (D3)",
	    { S("v=STSv1, id=1") }, 1, 0, NULL, 0 },

	/* R1.2.9 / D6: extensions. */
	{ "3.1 unknown extension ignored (R1.2.9, D6)",
	    { S("v=STSv1; id=1; foo=bar") }, 1, 1, "1", 0 },
	{ "3.1 extension name with '_', '-' and '.' after first char (D6)",
	    { S("v=STSv1; id=1; a_b-c.d=x") }, 1, 1, "1", 0 },
	{ "3.1 extension name starting with a digit (D6)",
	    { S("v=STSv1; id=1; 9x=1") }, 1, 1, "1", 0 },
	{ "3.1 extension name of 32 chars is valid (D6)",
	    { S("v=STSv1; id=1; " EXT32 "=v") }, 1, 1, "1", 0 },
	{ "3.1 extension name of 33 chars is invalid (R1.2.9, D6)",
	    { S("v=STSv1; id=1; " EXT32 "z=v") }, 1, 0, NULL, 1 },
	{ "3.1 extension name starting with '_' is invalid (R1.2.9, D6)",
	    { S("v=STSv1; id=1; _foo=bar") }, 1, 0, NULL, 1 },
	{ "3.1 extension name starting with '-' is invalid (D6)",
	    { S("v=STSv1; id=1; -foo=bar") }, 1, 0, NULL, 1 },
	{ "3.1 extension name with '*' is invalid (D6)",
	    { S("v=STSv1; id=1; f*o=bar") }, 1, 0, NULL, 1 },
	{ "3.1 extension with empty value is invalid (R1.2.9, D6)",
	    { S("v=STSv1; id=1; foo=") }, 1, 0, NULL, 1 },
	{ "3.1 extension with empty value before ';' is invalid (D6)",
	    { S("v=STSv1; foo=; id=1") }, 1, 0, NULL, 1 },
	{ "3.1 extension value with '=' is invalid (R1.2.9, D6)",
	    { S("v=STSv1; id=1; foo=a=b") }, 1, 0, NULL, 1 },
	{ "3.1 extension value with SP is invalid (R1.2.9, D6)",
	    { S("v=STSv1; id=1; foo=a b") }, 1, 0, NULL, 1 },
	{ "3.1 extension without '=' is invalid (D6)",
	    { S("v=STSv1; id=1; foo") }, 1, 0, NULL, 1 },
	{ "3.1 extension value of every allowed punctuation (D6)",
	    { S("v=STSv1; id=1; x=!\"#$%&'()*+,-./:<>?@[\\]^_`{|}~") },
	    1, 1, "1", 0 },
	{ "3.1 extension value may contain ':' (URL-like, D6)",
	    { S("v=STSv1; id=1; rua=https://x.example/p?q") }, 1, 1, "1", 0 },
	{ "3.1 extension named 'v' after the version is an extension (D6)",
	    { S("v=STSv1; v=STSv2; id=1") }, 1, 1, "1", 0 },

	/* R1.2.11 / D5: duplicate id. */
	{ "3.1 duplicate id: first wins (R1.2.11, D5)",
	    { S("v=STSv1; id=first; id=second") }, 1, 1, "first", 0 },
	{ "3.1 duplicate id with an extension between: first wins (D5)",
	    { S("v=STSv1; id=A1; x=y; id=B2;") }, 1, 1, "A1", 0 },
	{ "3.1 duplicate id, second malformed: invalid (D5)",
	    { S("v=STSv1; id=first; id=bad-id") }, 1, 0, NULL, 1 },
	{ "3.1 duplicate id, second too long: invalid (D5)",
	    { S("v=STSv1; id=first; id=" ID32 "z") }, 1, 0, NULL, 1 },

	/* R1.2.1 / D7: US-ASCII only. */
	{ "3.1 NUL byte after the id is invalid (R1.2.1, D7)",
	    { S("v=STSv1; id=1\0") }, 1, 0, NULL, 1 },
	{ "3.1 NUL byte inside the id is invalid (D7)",
	    { S("v=STSv1; id=a\0b") }, 1, 0, NULL, 1 },
	{ "3.1 NUL byte inside an extension value is invalid (D7)",
	    { S("v=STSv1; id=1; x=a\0b") }, 1, 0, NULL, 1 },
	{ "3.1 NUL byte after the version is invalid (D7)",
	    { S("v=STSv1;\0id=1") }, 1, 0, NULL, 1 },
	{ "3.1 UTF-8 in the id is invalid (R1.2.1, D7)",
	    { S("v=STSv1; id=caf\xc3\xa9") }, 1, 0, NULL, 1 },
	{ "3.1 UTF-8 in an extension value is invalid (R1.2.1, D7)",
	    { S("v=STSv1; id=1; x=caf\xc3\xa9") }, 1, 0, NULL, 1 },
	{ "3.1 Latin-1 byte 0xe9 is invalid (R1.2.1, D7)",
	    { S("v=STSv1; id=1; x=\xe9") }, 1, 0, NULL, 1 },
	{ "3.1 byte 0xff after the final ';' is invalid (D7)",
	    { S("v=STSv1; id=1;\xff") }, 1, 0, NULL, 1 },
	{ "3.1 CR LF at the end is invalid (D7)",
	    { S("v=STSv1; id=1\r\n") }, 1, 0, NULL, 1 },
	{ "3.1 control char 0x01 is invalid (D7)",
	    { S("v=STSv1; \x01id=1") }, 1, 0, NULL, 1 },
	{ "3.1 VT is not WSP: invalid (D7)",
	    { S("v=STSv1;\vid=1") }, 1, 0, NULL, 1 },
	{ "3.1 DEL 0x7f in an extension value is invalid (D7)",
	    { S("v=STSv1; id=1; x=a\x7f") }, 1, 0, NULL, 1 },

	/* D8: the caller joins multi-string TXT RRs without spaces. */
	{ "3.1 multi-string RR joined without spaces (R1.2.7, D8)",
	    { S("v=STSv1; id=ab" "cd") }, 1, 1, "abcd", 0 },
};

#define NTESTS	(sizeof(tests) / sizeof(tests[0]))

/* Every message must be printable ASCII (P12 holds for records too). */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static void
check_result(const char *name, int r, const struct sts_record *rec,
    const struct sts_error *err, int valid, const char *id, size_t where)
{
	int	 ok;

	if (valid)
		ok = r == 0 && strcmp(rec->id, id) == 0;
	else
		ok = r == -1 && err->where == where &&
		    err->msg[0] != '\0' && printable(err->msg);
	regress_check(ok, "%s", name);
	if (ok)
		return;
	if (r == 0)
		regress_diag("got valid, id \"%s\"; want %s", rec->id,
		    valid ? id : "invalid");
	else
		regress_diag("got invalid (where %zu): %s; want %s (where "
		    "%zu)", err->where, err->msg, valid ? id : "invalid",
		    where);
}

static void
test_table(void)
{
	struct sts_record	 rec;
	struct sts_error	 err;
	size_t			 i;
	int			 r;

	for (i = 0; i < NTESTS; i++) {
		memset(&err, 0, sizeof(err));
		memset(&rec, 'X', sizeof(rec));
		r = sts_record_select(tests[i].rrs, tests[i].nrr, &rec, &err);
		check_result(tests[i].name, r, &rec, &err, tests[i].valid,
		    tests[i].id, tests[i].where);
	}
}

/* sts_record_parse(): one record, no candidate filter. */
static const struct parse_test {
	const char	*name;
	struct sts_txt	 rr;
	int		 valid;
	const char	*id;
} parse_tests[] = {
	{ "parse: valid record", S("v=STSv1; id=abc"), 1, "abc" },
	{ "parse: 'v=STSv1 ;id=1' is valid (D1)",
	    S("v=STSv1 ;id=1"), 1, "1" },
	{ "parse: id before version is invalid (R1.2.2)",
	    S("id=1; v=STSv1"), 0, NULL },
	{ "parse: v=STSv10 is invalid (D1)", S("v=STSv10;id=1"), 0, NULL },
	{ "parse: version alone is invalid (D3)", S("v=STSv1"), 0, NULL },
	{ "parse: empty string is invalid", S(""), 0, NULL },
	{ "parse: truncated version is invalid", S("v=STS"), 0, NULL },
	{ "parse: trailing WSP is invalid (R1.2.12)",
	    S("v=STSv1; id=1 "), 0, NULL },
	{ "parse: NUL byte is invalid (D7)", S("v=STSv1; id=1\0;"), 0, NULL },
	{ "parse: duplicate id, first wins (D5)",
	    S("v=STSv1;id=one;id=two"), 1, "one" },
};

#define NPARSE	(sizeof(parse_tests) / sizeof(parse_tests[0]))

static void
test_parse(void)
{
	struct sts_record	 rec;
	struct sts_error	 err;
	size_t			 i;
	int			 r;

	for (i = 0; i < NPARSE; i++) {
		memset(&err, 0, sizeof(err));
		memset(&rec, 'X', sizeof(rec));
		r = sts_record_parse(parse_tests[i].rr.data,
		    parse_tests[i].rr.len, &rec, &err);
		check_result(parse_tests[i].name, r, &rec, &err,
		    parse_tests[i].valid, parse_tests[i].id, 1);
	}
}

/* sts_record_is_candidate(): the R1.2.5 discard filter (D1). */
static const struct candidate_test {
	struct sts_txt	 rr;
	int		 want;
} candidate_tests[] = {
	{ S("v=STSv1;"), 1 },
	{ S("v=STSv1;id=1"), 1 },
	{ S("v=STSv1 ;"), 1 },
	{ S("v=STSv1\t;"), 1 },
	{ S("v=STSv1 \t ;id=1"), 1 },
	{ S("v=STSv1;;"), 1 },
	{ S("v=STSv1;\xff"), 1 },
	{ S("v=STSv1"), 0 },
	{ S("v=STSv1 "), 0 },
	{ S("v=STSv1 id=1"), 0 },
	{ S("v=STSv10;"), 0 },
	{ S("v=STSv1\0;"), 0 },
	{ S("V=STSv1;"), 0 },
	{ S("v=stsv1;"), 0 },
	{ S(" v=STSv1;"), 0 },
	{ S("v=STS"), 0 },
	{ S(""), 0 },
	{ S("id=1; v=STSv1;"), 0 },
	{ S("v=spf1 -all"), 0 },
};

#define NCAND	(sizeof(candidate_tests) / sizeof(candidate_tests[0]))

static void
test_candidate(void)
{
	char	 q[STS_ERR_MAX];
	size_t	 i;
	int	 got;

	for (i = 0; i < NCAND; i++) {
		sts_quote(q, sizeof(q), candidate_tests[i].rr.data,
		    candidate_tests[i].rr.len);
		got = sts_record_is_candidate(candidate_tests[i].rr.data,
		    candidate_tests[i].rr.len);
		regress_check(got == candidate_tests[i].want,
		    "is_candidate \"%s\" is %d (R1.2.5, D1)", q,
		    candidate_tests[i].want);
		if (got != candidate_tests[i].want)
			regress_diag("got %d", got);
	}
}

static char *
xmalloc(size_t sz)
{
	char	*p;

	if ((p = malloc(sz)) == NULL) {
		perror("malloc");
		exit(1);
	}
	return p;
}

/* Records far beyond a DNS message: the parser must not care. */
static void
test_long(void)
{
	struct sts_record	 rec;
	struct sts_error	 err;
	struct sts_txt		 rr;
	const char		*head = "v=STSv1; id=big1";
	size_t			 len, sz = 100 * 1024;
	char			*buf;
	int			 r;

	buf = xmalloc(sz);
	rr.data = buf;

	/* Thousands of short extensions, then a final ';'. */
	len = strlen(head);
	memcpy(buf, head, len);
	while (len + 5 < sz) {
		memcpy(buf + len, "; e=v", 5);
		len += 5;
	}
	buf[len++] = ';';
	rr.len = len;
	r = sts_record_select(&rr, 1, &rec, &err);
	regress_check(r == 0 && strcmp(rec.id, "big1") == 0 &&
	    len > sz - 6, "3.1 100 KiB record of 20000 extensions is valid");
	if (r != 0)
		regress_diag("%s", err.msg);

	/* Exactly sz bytes: version, one id and one huge extension. */
	len = strlen(head);
	memcpy(buf, head, len);
	memcpy(buf + len, "; big=", 6);
	len += 6;
	memset(buf + len, 'v', sz - len);
	rr.len = sz;
	r = sts_record_select(&rr, 1, &rec, &err);
	regress_check(r == 0 && strcmp(rec.id, "big1") == 0,
	    "3.1 100 KiB record with a 100 KiB extension value is valid");
	if (r != 0)
		regress_diag("%s", err.msg);

	/* The same with one bad byte at the very end. */
	buf[sz - 1] = '=';
	r = sts_record_select(&rr, 1, &rec, &err);
	regress_check(r == -1 && err.where == 1 && printable(err.msg),
	    "3.1 100 KiB record with '=' as last byte is invalid (D6)");
	if (r == 0)
		regress_diag("got valid");

	buf[sz - 1] = '\0';
	r = sts_record_select(&rr, 1, &rec, &err);
	regress_check(r == -1 && err.where == 1 && printable(err.msg),
	    "3.1 100 KiB record with NUL as last byte is invalid (D7)");
	if (r == 0)
		regress_diag("got valid");

	buf[sz - 1] = ' ';
	r = sts_record_select(&rr, 1, &rec, &err);
	regress_check(r == -1 && err.where == 1,
	    "3.1 100 KiB record with trailing SP is invalid (R1.2.12)");
	if (r == 0)
		regress_diag("got valid");

	/* An id of 100 KiB. */
	memcpy(buf, "v=STSv1; id=", 12);
	memset(buf + 12, 'a', sz - 12);
	rr.len = sz;
	r = sts_record_select(&rr, 1, &rec, &err);
	regress_check(r == -1 && err.where == 1 && printable(err.msg),
	    "3.1 100 KiB id is invalid, message printable (R1.2.4, P12)");
	if (r == 0)
		regress_diag("got valid");
	free(buf);
}

/* 1000 non-STS RRs around one STS RR (R1.2.5). */
static void
test_many(void)
{
	struct sts_txt		*rrs;
	struct sts_record	 rec;
	struct sts_error	 err;
	const size_t		 n = 1001;
	size_t			 i;
	int			 r;

	if ((rrs = calloc(n + 1, sizeof(*rrs))) == NULL) {
		perror("calloc");
		exit(1);
	}
	for (i = 0; i < n + 1; i++) {
		rrs[i].data = "v=spf1 ip4:192.0.2.0/24 -all";
		rrs[i].len = strlen(rrs[i].data);
	}
	rrs[n - 1].data = "v=STSv1; id=last";
	rrs[n - 1].len = strlen(rrs[n - 1].data);
	r = sts_record_select(rrs, n, &rec, &err);
	regress_check(r == 0 && strcmp(rec.id, "last") == 0,
	    "3.1 1000 non-STS RRs + 1 STS RR last: valid (R1.2.5)");
	if (r != 0)
		regress_diag("%s", err.msg);

	rrs[n - 1].data = "v=STSv1; id=";
	rrs[n - 1].len = strlen(rrs[n - 1].data);
	r = sts_record_select(rrs, n, &rec, &err);
	regress_check(r == -1 && err.where == n,
	    "3.1 1000 non-STS RRs + 1 bad STS RR: error names RR 1001");
	if (r == 0 || err.where != n)
		regress_diag("got r %d where %zu: %s", r, err.where, err.msg);

	rrs[n - 1].data = "v=STSv1; id=last";
	rrs[n - 1].len = strlen(rrs[n - 1].data);
	rrs[0].data = "v=STSv1; id=first";
	rrs[0].len = strlen(rrs[0].data);
	r = sts_record_select(rrs, n, &rec, &err);
	regress_check(r == -1 && err.where == 0,
	    "3.1 1001 RRs, STS RRs first and last: no record (R1.2.5, D2)");

	rrs[0].data = "v=spf1 -all";
	rrs[0].len = strlen(rrs[0].data);
	rrs[n - 1] = rrs[0];
	r = sts_record_select(rrs, n, &rec, &err);
	regress_check(r == -1 && err.where == 0,
	    "3.1 1001 non-STS RRs: no record (R1.2.5, D2)");

	rrs[500].data = "v=STSv1; id=middle";
	rrs[500].len = strlen(rrs[500].data);
	r = sts_record_select(rrs, n + 1, &rec, &err);
	regress_check(r == 0 && strcmp(rec.id, "middle") == 0,
	    "3.1 1002 RRs, sole STS RR in the middle: valid (R1.2.5)");
	free(rrs);
}

/* sts_record_from_dns(): every RR of a large answer is seen. */
static void
test_from_dns(void)
{
	struct dns_msg		 msg;
	struct dns_rec		 rr[100];
	struct sts_record	 rec;
	struct sts_error	 err;
	char			 txt[100][32];
	size_t			 i;

	memset(&msg, 0, sizeof(msg));
	msg.rr = rr;
	msg.nrr = 100;
	for (i = 0; i < 100; i++) {
		(void)snprintf(txt[i], sizeof(txt[i]), "site-verification=%zu",
		    i);
		memset(&rr[i], 0, sizeof(rr[i]));
		rr[i].type = DNS_T_TXT;
		rr[i].data = (uint8_t *)txt[i];
		rr[i].len = strlen(txt[i]);
	}
	(void)snprintf(txt[80], sizeof(txt[80]), "v=STSv1; id=late80");
	rr[80].len = strlen(txt[80]);
	regress_check(sts_record_from_dns(&msg, &rec, &err) == 0 &&
	    strcmp(rec.id, "late80") == 0,
	    "3.1 answer of 100 TXT RRs: the STS record at RR 81 is found");
	(void)snprintf(txt[90], sizeof(txt[90]), "v=STSv1; id=second");
	rr[90].len = strlen(txt[90]);
	regress_check(sts_record_from_dns(&msg, &rec, &err) == -1,
	    "3.1 answer of 100 TXT RRs: a second STS record at RR 91 "
	    "means no policy");
	msg.nrr = 0;
	regress_check(sts_record_from_dns(&msg, &rec, &err) == -1,
	    "3.1 empty TXT answer: no policy");
}

int
main(void)
{
	test_from_dns();
	test_table();
	test_parse();
	test_candidate();
	test_long();
	test_many();
	return regress_exit();
}
