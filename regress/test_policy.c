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
 * The policy body (RFC 8461 3.2): sts_policy_parse() against rules
 * R1.4.x of the digest and decisions P1-P12.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "regress.h"

#define MAXMX		4

struct policy_test {
	const char	*name;
	const char	*body;
	size_t		 len;
	int		 valid;
	size_t		 line;		/* error line when invalid, 0 = body */
	int		 nwarn;		/* warnings delivered */
	enum sts_mode	 mode;
	uint64_t	 max_age;
	const char	*mx[MAXMX];	/* expected patterns, in order */
};

/* A valid policy and what it must yield, or an invalid one. */
#define OK(n, b, w, m, a, ...)						\
	{ n, b, sizeof(b) - 1, 1, 0, w, STS_MODE_##m, a, { __VA_ARGS__ } }
#define BAD(n, b, l, w)							\
	{ n, b, sizeof(b) - 1, 0, l, w, STS_MODE_NONE, 0, { NULL } }

#define V	"version: STSv1\n"
#define ME	"mode: enforce\n"
#define MT	"mode: testing\n"
#define MN	"mode: none\n"
#define MA	"max_age: 86400\n"
#define MX	"mx: mail.example.com\n"
#define HDR	V ME MA				/* three lines */
#define MXN	"mail.example.com"

#define L10	"abcdefghij"
#define L61	L10 L10 L10 L10 L10 L10 "k"
#define L63	L61 "lm"
#define L64	L63 "n"
#define N253	L63 "." L63 "." L63 "." L61
#define N254	L63 "." L63 "." L63 "." L61 "x"
#define E32	"e234567890123456789012345678901x"

static const struct policy_test tests[] = {
	/* R1.4.1, R1.4.2, P2: line terminators. */
	OK("3.2 LF terminated lines (R1.4.1, P2)",
	    HDR MX, 0, ENFORCE, 86400, MXN),
	OK("3.2 CRLF terminated lines (R1.4.1, P2)",
	    "version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n"
	    "mx: mail.example.com\r\n", 0, ENFORCE, 86400, MXN),
	OK("3.2 mixed LF and CRLF (R1.4.1, P2)",
	    "version: STSv1\r\nmode: enforce\nmax_age: 86400\r\n"
	    "mx: mail.example.com\n", 0, ENFORCE, 86400, MXN),
	OK("3.2 no final LF (R1.4.2, P2)",
	    HDR "mx: mail.example.com", 0, ENFORCE, 86400, MXN),
	OK("3.2 CRLF lines, no final terminator (R1.4.2, P2)",
	    "version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n"
	    "mx: mail.example.com", 0, ENFORCE, 86400, MXN),
	BAD("3.2 bare CR as line terminator is invalid (R1.4.1, P2)",
	    "version: STSv1\rmode: enforce\rmax_age: 86400\r"
	    "mx: mail.example.com\r", 1, 0),
	BAD("3.2 bare CR inside a value is invalid (P2)",
	    HDR "mx: mail\r.example.com\n", 4, 0),
	BAD("3.2 CR as the last byte of the body is invalid (P2)",
	    HDR "mx: mail.example.com\r", 4, 0),
	BAD("3.2 CR CR LF is invalid (P2)",
	    HDR "mx: mail.example.com\r\r\n", 4, 0),
	BAD("3.2 LF CR: CR starts the next line, invalid (P2)",
	    "version: STSv1\n\rmode: enforce\n" MA MX, 2, 0),

	/* R1.4.10, A5, P3: strict ABNF, no lenient forms. */
	BAD("3.2 empty line between fields is invalid (A5, P3)",
	    V "\n" ME MA MX, 2, 0),
	BAD("3.2 empty first line is invalid (A5, P3)",
	    "\n" HDR MX, 1, 0),
	BAD("3.2 trailing blank line (body ends in LF LF) is invalid (P3)",
	    HDR MX "\n", 5, 0),
	BAD("3.2 trailing blank CRLF line is invalid (P3)",
	    "version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n"
	    "mx: mail.example.com\r\n\r\n", 5, 0),
	BAD("3.2 line of WSP only is invalid (P3)",
	    HDR " \n" MX, 4, 0),
	BAD("3.2 line beginning with SP is invalid (A5, P3)",
	    HDR " mx: mail.example.com\n", 4, 0),
	BAD("3.2 line beginning with HTAB is invalid (A5, P3)",
	    HDR "\tmx: mail.example.com\n", 4, 0),
	BAD("3.2 '#' comment as first line is invalid (A5, P3)",
	    "# MTA-STS policy\n" HDR MX, 1, 0),
	BAD("3.2 '#' comment as last line is invalid (A5, P3)",
	    HDR MX "# end\n", 5, 0),
	BAD("3.2 UTF-8 BOM is invalid (R1.4.10, P3)",
	    "\xef\xbb\xbf" HDR MX, 1, 0),
	BAD("3.2 UTF-8 BOM at the start of line 4 is invalid (P3)",
	    HDR "\xef\xbb\xbf" MX, 4, 0),
	BAD("3.2 body of one LF is invalid (P3)", "\n", 1, 0),
	BAD("3.2 empty body is invalid (P1)", "", 0, 0),

	/* R1.4.4, P6: required fields, free order. */
	OK("3.2 field order is free: mx first, version last (R1.4.4)",
	    MX "max_age: 600\n" MT V, 0, TESTING, 600, MXN),
	OK("3.2 mx lines interleaved with other fields, kept in order",
	    "mx: a.example\n" V "mx: b.example\n" ME MA "mx: c.example",
	    0, ENFORCE, 86400, "a.example", "b.example", "c.example"),
	BAD("3.2 missing version is invalid (R1.4.4, P6)",
	    ME MA MX, 0, 0),
	BAD("3.2 missing mode is invalid (R1.4.4, P6)",
	    V MA MX, 0, 0),
	BAD("3.2 missing max_age is invalid (R1.4.4, P6)",
	    V ME MX, 0, 0),
	BAD("3.2 mode enforce without mx is invalid (R1.4.4, P6)",
	    HDR, 0, 0),
	BAD("3.2 mode testing without mx is invalid (R1.4.4, P6)",
	    V MT MA, 0, 0),
	OK("3.2 mode none without mx is valid (A4, P6)",
	    V MN MA, 0, NONE, 86400, NULL),
	OK("3.2 mode none with mx keeps the mx (P6)",
	    V MN MA MX, 0, NONE, 86400, MXN),
	OK("3.2 mode testing (P6)",
	    V MT MA MX, 0, TESTING, 86400, MXN),
	OK("3.2 mode enforce with two mx (P6)",
	    HDR MX "mx: *.example.net\n", 0, ENFORCE, 86400, MXN,
	    "*.example.net"),

	/* R1.4.3, P4: case-sensitive names and values. */
	BAD("3.2 'Version:' is an extension, version missing (R1.4.3, P4)",
	    "Version: STSv1\n" ME MA MX, 0, 1),
	BAD("3.2 'version: stsv1' is invalid (R1.4.3, P4)",
	    "version: stsv1\n" ME MA MX, 1, 0),
	BAD("3.2 'version: STSv2' is invalid (P6)",
	    "version: STSv2\n" ME MA MX, 1, 0),
	BAD("3.2 'version: STSv1.0' is invalid (P6)",
	    "version: STSv1.0\n" ME MA MX, 1, 0),
	BAD("3.2 'Mode: enforce' is an extension, mode missing (R1.4.3, P4)",
	    V "Mode: enforce\n" MA MX, 0, 1),
	BAD("3.2 'mode: Enforce' is invalid (R1.4.3, P4)",
	    V "mode: Enforce\n" MA MX, 2, 0),
	BAD("3.2 'mode: TESTING' is invalid (R1.4.3, P4)",
	    V "mode: TESTING\n" MA MX, 2, 0),
	BAD("3.2 'mode: report' is invalid (P6)",
	    V "mode: report\n" MA MX, 2, 0),
	BAD("3.2 'MAX_AGE:' is an extension, max_age missing (P4)",
	    V ME "MAX_AGE: 86400\n" MX, 0, 1),
	BAD("3.2 'max-age:' is an extension, max_age missing (P4)",
	    V ME "max-age: 86400\n" MX, 0, 1),
	BAD("3.2 'MX:' is an extension, no mx under enforce (R1.4.11)",
	    HDR "MX: mail.example.com\n", 0, 1),
	BAD("3.2 typo 'nmx:' is an extension, no mx (R1.4.11)",
	    HDR "nmx: mx0.example.com\n", 0, 1),
	OK("3.2 'MX:' extension beside a real mx is ignored (P4, P8)",
	    HDR "MX: other.example\n" MX, 1, ENFORCE, 86400, MXN),
	OK("3.2 mx value returned as written, case kept (P10)",
	    HDR "mx: MAIL.Example.COM\n", 0, ENFORCE, 86400,
	    "MAIL.Example.COM"),

	/* R1.4.2, P5: WSP around ':'. */
	BAD("3.2 SP before ':' is invalid (R1.4.2, P5)",
	    V "mode : enforce\n" MA MX, 2, 0),
	BAD("3.2 HTAB before ':' is invalid (P5)",
	    V "mode\t: enforce\n" MA MX, 2, 0),
	BAD("3.2 no ':' at all is invalid (P5)",
	    V "mode enforce\n" MA MX, 2, 0),
	BAD("3.2 '=' instead of ':' is invalid (P5)",
	    V "mode=enforce\n" MA MX, 2, 0),
	OK("3.2 no WSP after ':' is valid (P5)",
	    "version:STSv1\nmode:enforce\nmax_age:86400\nmx:mail.example.com",
	    0, ENFORCE, 86400, MXN),
	OK("3.2 several SP and HTAB after ':' are valid (P5)",
	    "version: \t STSv1\nmode:\t\tenforce\nmax_age:  86400\n"
	    "mx:\t mail.example.com\n", 0, ENFORCE, 86400, MXN),
	OK("3.2 WSP at end of line is valid and not part of values (P5)",
	    "version: STSv1 \nmode: enforce\t\nmax_age: 86400  \n"
	    "mx: mail.example.com \t\n", 0, ENFORCE, 86400, MXN),
	OK("3.2 WSP at end of CRLF lines is valid (P5)",
	    "version: STSv1 \r\nmode: enforce\t\r\nmax_age: 86400 \r\n"
	    "mx: mail.example.com \r\n", 0, ENFORCE, 86400, MXN),
	OK("3.2 WSP at end of the last line, no terminator (P5)",
	    HDR "mx: mail.example.com  ", 0, ENFORCE, 86400, MXN),
	BAD("3.2 empty mode value is invalid", V "mode:\n" MA MX, 2, 0),
	BAD("3.2 WSP-only mode value is invalid",
	    V "mode: \t \n" MA MX, 2, 0),
	BAD("3.2 mode value with inner SP is invalid",
	    V "mode: en force\n" MA MX, 2, 0),
	BAD("3.2 empty line name (':' first) is invalid",
	    V ": enforce\n" MA MX, 2, 0),

	/* R1.4.5, A1, P7: duplicates, first wins. */
	OK("3.2 duplicate mode testing then enforce: testing (A1, P7)",
	    V MT ME MA MX, 1, TESTING, 86400, MXN),
	OK("3.2 duplicate mode enforce then testing: enforce (A1, P7)",
	    V ME MT MA MX, 1, ENFORCE, 86400, MXN),
	OK("3.2 duplicate mode none then enforce, no mx: none (A1, P7)",
	    V MN ME MA, 1, NONE, 86400, NULL),
	BAD("3.2 duplicate mode enforce then none, no mx: invalid (P6, P7)",
	    V ME MN MA, 0, 1),
	OK("3.2 mode given three times: first counts, two warnings (P7)",
	    V MT ME MN MA MX, 2, TESTING, 86400, MXN),
	OK("3.2 duplicate max_age: first wins (R1.4.5, P7)",
	    V ME "max_age: 86400\nmax_age: 604800\n" MX, 1, ENFORCE,
	    86400, MXN),
	OK("3.2 duplicate max_age reversed: first wins (P7)",
	    V ME "max_age: 604800\nmax_age: 86400\n" MX, 1, ENFORCE,
	    604800, MXN),
	OK("3.2 duplicate version: first wins, warning (P7)",
	    V V ME MA MX, 1, ENFORCE, 86400, MXN),
	BAD("3.2 duplicate mode with invalid value is invalid (P4, P7)",
	    V ME "mode: Enforce\n" MA MX, 3, 0),
	BAD("3.2 duplicate mode with empty value is invalid (P7)",
	    V ME "mode:\n" MA MX, 3, 0),
	BAD("3.2 duplicate max_age with invalid value is invalid (P7)",
	    V ME MA "max_age: -1\n" MX, 4, 0),
	BAD("3.2 duplicate version with invalid value is invalid (P7)",
	    V ME MA "version: STSv2\n" MX, 4, 0),
	BAD("3.2 invalid first mode, valid second: invalid (P4)",
	    V "mode: Testing\n" ME MA MX, 2, 0),
	OK("3.2 mx may repeat: same mx twice, both kept, no warning (P7)",
	    HDR MX MX, 0, ENFORCE, 86400, MXN, MXN),

	/* R1.4.6, P8: extensions. */
	OK("3.2 unknown field ignored with a warning (R1.4.6, P8)",
	    HDR "foo: bar\n" MX, 1, ENFORCE, 86400, MXN),
	OK("3.2 unknown field value with ':' (URL) is valid (R1.4.6, P8)",
	    HDR "report: https://example.com:8443/x?a=b:c\n" MX, 1,
	    ENFORCE, 86400, MXN),
	OK("3.2 unknown field value with UTF-8 is valid (R1.4.6, P8)",
	    HDR "comment: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n" MX,
	    1, ENFORCE, 86400, MXN),
	OK("3.2 unknown field value with inner SPs is valid (P8)",
	    HDR "comment: a b  c   d\n" MX, 1, ENFORCE, 86400, MXN),
	OK("3.2 unknown field value with '#' and ';' is valid (P8)",
	    HDR "x: #1; y=2\n" MX, 1, ENFORCE, 86400, MXN),
	OK("3.2 UTF-8 edges U+0080 U+D7FF U+E000 U+10FFFF valid (P8)",
	    HDR "x: \xc2\x80 \xed\x9f\xbf \xee\x80\x80 \xf4\x8f\xbf\xbf\n"
	    MX, 1, ENFORCE, 86400, MXN),
	OK("3.2 extension name of 32 chars is valid (P8)",
	    HDR E32 ": v\n" MX, 1, ENFORCE, 86400, MXN),
	BAD("3.2 extension name of 33 chars is invalid (P8)",
	    HDR E32 "z: v\n" MX, 4, 0),
	OK("3.2 extension name with '_', '-' and '.' is valid (P8)",
	    HDR "a_b-c.d: v\n" MX, 1, ENFORCE, 86400, MXN),
	BAD("3.2 extension name starting with '_' is invalid (P8)",
	    HDR "_x: v\n" MX, 4, 0),
	BAD("3.2 extension name starting with '-' is invalid (P8)",
	    HDR "-x: v\n" MX, 4, 0),
	BAD("3.2 extension name with '/' is invalid (P8)",
	    HDR "a/b: v\n" MX, 4, 0),
	BAD("3.2 extension name with UTF-8 is invalid (P8)",
	    HDR "m\xc3\xb6" "de: v\n" MX, 4, 0),
	BAD("3.2 extension with empty value is invalid (P8)",
	    HDR "foo:\n" MX, 4, 0),
	BAD("3.2 extension with HTAB inside the value is invalid (P8)",
	    HDR "foo: a\tb\n" MX, 4, 0),
	BAD("3.2 extension with control char 0x01 is invalid (P8)",
	    HDR "foo: a\x01" "b\n" MX, 4, 0),
	BAD("3.2 extension with ESC is invalid (P8)",
	    HDR "foo: \x1b[0m\n" MX, 4, 0),
	BAD("3.2 extension with DEL 0x7f is invalid (P8)",
	    HDR "foo: a\x7f\n" MX, 4, 0),
	BAD("3.2 extension with NUL is invalid (P8)",
	    HDR "foo: a\0b\n" MX, 4, 0),
	BAD("3.2 overlong UTF-8 C0 80 is invalid (P8)",
	    HDR "foo: \xc0\x80\n" MX, 4, 0),
	BAD("3.2 overlong UTF-8 E0 80 80 is invalid (P8)",
	    HDR "foo: \xe0\x80\x80\n" MX, 4, 0),
	BAD("3.2 overlong UTF-8 F0 80 80 80 is invalid (P8)",
	    HDR "foo: \xf0\x80\x80\x80\n" MX, 4, 0),
	BAD("3.2 UTF-8 surrogate ED A0 80 is invalid (P8)",
	    HDR "foo: \xed\xa0\x80\n" MX, 4, 0),
	BAD("3.2 UTF-8 above U+10FFFF (F4 90 80 80) is invalid (P8)",
	    HDR "foo: \xf4\x90\x80\x80\n" MX, 4, 0),
	BAD("3.2 UTF-8 lead byte F5 is invalid (P8)",
	    HDR "foo: \xf5\x80\x80\x80\n" MX, 4, 0),
	BAD("3.2 byte FF is invalid (P8)",
	    HDR "foo: a\xff\n" MX, 4, 0),
	BAD("3.2 lone continuation byte 80 is invalid (P8)",
	    HDR "foo: a\x80" "b\n" MX, 4, 0),
	BAD("3.2 truncated UTF-8 C3 at end of line is invalid (P8)",
	    HDR "foo: a\xc3\n" MX, 4, 0),
	BAD("3.2 truncated UTF-8 E2 82 at end of body is invalid (P8)",
	    HDR MX "foo: a\xe2\x82", 5, 0),
	BAD("3.2 truncated UTF-8 C3 followed by ASCII is invalid (P8)",
	    HDR "foo: \xc3" "A\n" MX, 4, 0),
	BAD("3.2 Latin-1 e9 is invalid (P8)",
	    HDR "foo: caf\xe9\n" MX, 4, 0),
	BAD("3.2 UTF-8 in the mode value is invalid (P4)",
	    V "mode: enforc\xc3\xa9\n" MA MX, 2, 0),

	/* R1.4.7, R1.4.8, A2, A3, P9: max_age. */
	OK("3.2 max_age 0 is valid (R1.4.8, A3, P9)",
	    V ME "max_age: 0\n" MX, 0, ENFORCE, 0, MXN),
	OK("3.2 max_age 1 is valid (P9)",
	    V ME "max_age: 1\n" MX, 0, ENFORCE, 1, MXN),
	OK("3.2 max_age 31557600 is valid, no warning (R1.4.7, P9)",
	    V ME "max_age: 31557600\n" MX, 0, ENFORCE, 31557600, MXN),
	OK("3.2 max_age 31557601 capped to 31557600 (A2, P9)",
	    V ME "max_age: 31557601\n" MX, 1, ENFORCE, 31557600, MXN),
	OK("3.2 max_age 9999999999 (10 digits) capped (A2, P9)",
	    V ME "max_age: 9999999999\n" MX, 1, ENFORCE, 31557600, MXN),
	OK("3.2 max_age 4294967296 (2^32) capped, no wrap (R1.4.7, P9)",
	    V ME "max_age: 4294967296\n" MX, 1, ENFORCE, 31557600, MXN),
	OK("3.2 max_age 4294967295 capped (P9)",
	    V ME "max_age: 4294967295\n" MX, 1, ENFORCE, 31557600, MXN),
	OK("3.2 max_age with leading zeros, 10 digits (R1.4.7, P9)",
	    V ME "max_age: 0000086400\n" MX, 0, ENFORCE, 86400, MXN),
	OK("3.2 max_age 00 is 0 (P9)",
	    V ME "max_age: 00\n" MX, 0, ENFORCE, 0, MXN),
	BAD("3.2 max_age 99999999999 (11 digits) is invalid (P9)",
	    V ME "max_age: 99999999999\n" MX, 3, 0),
	BAD("3.2 max_age 00000086400 (11 digits, zeros) is invalid (P9)",
	    V ME "max_age: 00000086400\n" MX, 3, 0),
	BAD("3.2 max_age +5 is invalid (R1.4.7, P9)",
	    V ME "max_age: +5\n" MX, 3, 0),
	BAD("3.2 max_age -1 is invalid (R1.4.7, P9)",
	    V ME "max_age: -1\n" MX, 3, 0),
	BAD("3.2 max_age 1.5 is invalid (R1.4.7, P9)",
	    V ME "max_age: 1.5\n" MX, 3, 0),
	BAD("3.2 max_age 1e5 is invalid (R1.4.7, P9)",
	    V ME "max_age: 1e5\n" MX, 3, 0),
	BAD("3.2 max_age 0x10 is invalid (P9)",
	    V ME "max_age: 0x10\n" MX, 3, 0),
	BAD("3.2 max_age 86400s is invalid (P9)",
	    V ME "max_age: 86400s\n" MX, 3, 0),
	BAD("3.2 max_age '86 400' is invalid (P9)",
	    V ME "max_age: 86 400\n" MX, 3, 0),
	BAD("3.2 max_age empty is invalid (P9)",
	    V ME "max_age:\n" MX, 3, 0),
	BAD("3.2 max_age with UTF-8 digit is invalid (P9)",
	    V ME "max_age: \xef\xbc\x91\n" MX, 3, 0),

	/* R1.4.9, A15, A16, P10, P11: mx. */
	OK("3.2 mx wildcard *.example.com is valid (P10)",
	    HDR "mx: *.example.com\n", 0, ENFORCE, 86400, "*.example.com"),
	OK("3.2 mx single label is a Domain (P10)",
	    HDR "mx: localhost\n", 0, ENFORCE, 86400, "localhost"),
	OK("3.2 mx with digits and inner hyphens is valid (P10)",
	    HDR "mx: mx-1.123.example.com\n", 0, ENFORCE, 86400,
	    "mx-1.123.example.com"),
	OK("3.2 mx punycode A-label xn-- is valid (R1.4.9, P10)",
	    HDR "mx: mx.xn--bcher-kva.example\n", 0, ENFORCE, 86400,
	    "mx.xn--bcher-kva.example"),
	BAD("3.2 mx U-label in UTF-8 is invalid (R1.4.9, P10)",
	    HDR "mx: mx.b\xc3\xbc" "cher.example\n", 4, 0),
	BAD("3.2 mx *.*.example.com is invalid (R1.4.9, P10)",
	    HDR "mx: *.*.example.com\n", 4, 0),
	BAD("3.2 mx a.*.example.com is invalid (P10)",
	    HDR "mx: a.*.example.com\n", 4, 0),
	BAD("3.2 mx *x.example.com is invalid (P10)",
	    HDR "mx: *x.example.com\n", 4, 0),
	BAD("3.2 mx '*' alone is invalid (P10)",
	    HDR "mx: *\n", 4, 0),
	BAD("3.2 mx '*.' is invalid (P10)",
	    HDR "mx: *.\n", 4, 0),
	BAD("3.2 mx example.* is invalid (P10)",
	    HDR "mx: example.*\n", 4, 0),
	BAD("3.2 mx with trailing dot is invalid (A16, P10)",
	    HDR "mx: mail.example.com.\n", 4, 0),
	BAD("3.2 mx wildcard with trailing dot is invalid (A16, P10)",
	    HDR "mx: *.example.com.\n", 4, 0),
	BAD("3.2 mx with leading dot is invalid (A16, P10)",
	    HDR "mx: .example.com\n", 4, 0),
	BAD("3.2 mx with empty label is invalid (P10)",
	    HDR "mx: mail..example.com\n", 4, 0),
	BAD("3.2 mx with underscore is invalid (R1.4.9, P10)",
	    HDR "mx: mail_1.example.com\n", 4, 0),
	BAD("3.2 mx label starting with '-' is invalid (R1.4.9, P10)",
	    HDR "mx: -mail.example.com\n", 4, 0),
	BAD("3.2 mx label ending with '-' is invalid (R1.4.9, P10)",
	    HDR "mx: mail-.example.com\n", 4, 0),
	BAD("3.2 mx IP literal [192.0.2.1] is invalid (R1.4.9, P10)",
	    HDR "mx: [192.0.2.1]\n", 4, 0),
	BAD("3.2 mx IPv6 literal is invalid (P10)",
	    HDR "mx: [IPv6:2001:db8::1]\n", 4, 0),
	BAD("3.2 mx with port is invalid (P10)",
	    HDR "mx: mail.example.com:25\n", 4, 0),
	BAD("3.2 mx list on one line is invalid (P10)",
	    HDR "mx: a.example, b.example\n", 4, 0),
	BAD("3.2 mx with inner SP is invalid (P10)",
	    HDR "mx: mail example.com\n", 4, 0),
	BAD("3.2 mx empty value is invalid (P10)",
	    HDR "mx:\n", 4, 0),
	OK("3.2 mx label of 63 chars is valid (P10)",
	    HDR "mx: " L63 ".example\n", 0, ENFORCE, 86400, L63 ".example"),
	BAD("3.2 mx label of 64 chars is invalid (P10)",
	    HDR "mx: " L64 ".example\n", 4, 0),
	OK("3.2 mx name of 253 chars is valid (P10)",
	    HDR "mx: " N253 "\n", 0, ENFORCE, 86400, N253),
	BAD("3.2 mx name of 254 chars is invalid (P10)",
	    HDR "mx: " N254 "\n", 4, 0),
	BAD("3.2 mx dotted quad, sole mx, enforce: invalid (A15, P11)",
	    HDR "mx: 192.0.2.1\n", 0, 1),
	BAD("3.2 mx dotted quad, sole mx, testing: invalid (A15, P11)",
	    V MT MA "mx: 192.0.2.1\n", 0, 1),
	OK("3.2 mx dotted quad ignored beside a host name (A15, P11)",
	    HDR "mx: 192.0.2.1\n" MX, 1, ENFORCE, 86400, MXN),
	OK("3.2 mx dotted quad with mode none: valid, no mx (P11)",
	    V MN MA "mx: 192.0.2.1\n", 1, NONE, 86400, NULL),
	OK("3.2 mx with all-digit last label ignored (RFC 1123, P11)",
	    HDR "mx: mx.example.123\n" MX, 1, ENFORCE, 86400, MXN),
	OK("3.2 mx with digits in the last label, not all, kept (P11)",
	    HDR "mx: mx.example.c0m\n", 0, ENFORCE, 86400, "mx.example.c0m"),
	OK("3.2 mx with all-digit first label kept (P11)",
	    HDR "mx: 123.example.com\n", 0, ENFORCE, 86400,
	    "123.example.com"),

	/* D7-like bytes and P12 line numbers. */
	BAD("3.2 NUL inside the mode value is invalid, line 2",
	    V "mode: enf\0orce\n" MA MX, 2, 0),
	BAD("3.2 NUL at start of a line is invalid, line 3",
	    V ME "\0" MA MX, 3, 0),
	BAD("3.2 NUL inside an mx is invalid, line 4",
	    HDR "mx: mail\0.example.com\n", 4, 0),
	BAD("3.2 NUL after the final LF is invalid, line 5",
	    HDR MX "\0", 5, 0),
	BAD("3.2 error after CRLF lines has the right line number (P12)",
	    "version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n"
	    "mx: mail.example.com\r\nx: y\r\nmx: bad_.example\r\n", 6, 1),
	BAD("3.2 empty CRLF line is invalid, line 2 (P3, P12)",
	    V "\r\n" ME MA MX, 2, 0),
};

#define NTESTS	(sizeof(tests) / sizeof(tests[0]))

struct warnings {
	size_t		 n;
	size_t		 lines[16];
	int		 bad;		/* a non-printable message */
	char		 last[STS_ERR_MAX];
};

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static void
count_warn(void *arg, const struct sts_error *e)
{
	struct warnings	*w = arg;

	if (w->n < sizeof(w->lines) / sizeof(w->lines[0]))
		w->lines[w->n] = e->where;
	w->n++;
	if (!printable(e->msg) || e->msg[0] == '\0')
		w->bad = 1;
	(void)snprintf(w->last, sizeof(w->last), "%s", e->msg);
}

static int
policy_empty(const struct sts_policy *pol)
{
	return pol->mx == NULL && pol->nmx == 0 && pol->max_age == 0 &&
	    pol->mode == STS_MODE_NONE;
}

static size_t
count_mx(const struct policy_test *t)
{
	size_t	 n;

	for (n = 0; n < MAXMX && t->mx[n] != NULL; n++)
		;
	return n;
}

static int
mx_equal(const struct policy_test *t, const struct sts_policy *pol)
{
	size_t	 i;

	if (pol->nmx != count_mx(t))
		return 0;
	for (i = 0; i < pol->nmx; i++)
		if (strcmp(pol->mx[i], t->mx[i]) != 0)
			return 0;
	return 1;
}

static void
test_table(void)
{
	const struct policy_test *t;
	struct sts_policy	 pol;
	struct sts_error	 err;
	struct warnings		 w;
	size_t			 i, j;
	int			 r, ok;

	for (i = 0; i < NTESTS; i++) {
		t = &tests[i];
		memset(&w, 0, sizeof(w));
		memset(&err, 0, sizeof(err));
		memset(&pol, 0xa5, sizeof(pol));
		r = sts_policy_parse(t->body, t->len, &pol, &err, count_warn,
		    &w);
		if (t->valid)
			ok = r == 0 && pol.mode == t->mode &&
			    pol.max_age == t->max_age && mx_equal(t, &pol);
		else
			ok = r == -1 && err.where == t->line &&
			    err.msg[0] != '\0' && printable(err.msg) &&
			    policy_empty(&pol);
		ok = ok && w.n == (size_t)t->nwarn && !w.bad;
		regress_check(ok, "%s", t->name);
		if (!ok) {
			if (r == 0) {
				regress_diag("got valid: mode %s max_age "
				    "%llu nmx %zu", sts_mode_name(pol.mode),
				    (unsigned long long)pol.max_age, pol.nmx);
				for (j = 0; j < pol.nmx; j++)
					regress_diag("mx[%zu] \"%s\"", j,
					    pol.mx[j]);
			} else
				regress_diag("got invalid, line %zu: %s",
				    err.where, err.msg);
			if (t->valid)
				regress_diag("want valid: mode %s max_age "
				    "%llu nmx %zu", sts_mode_name(t->mode),
				    (unsigned long long)t->max_age,
				    count_mx(t));
			else
				regress_diag("want invalid, line %zu",
				    t->line);
			regress_diag("warnings: got %zu, want %d%s", w.n,
			    t->nwarn, w.bad ? ", one not printable" : "");
		}
		if (r == 0)
			sts_policy_free(&pol);
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

/* P1: 65536 bytes are fine, one more is not; lines of any length. */
static void
test_size(void)
{
	static const char	 head[] = HDR MX "pad: ";
	struct sts_policy	 pol;
	struct sts_error	 err;
	struct warnings		 w;
	size_t			 hlen = sizeof(head) - 1;
	char			*buf;
	int			 r, ok;

	buf = xmalloc(STS_POLICY_MAX + 2);
	memcpy(buf, head, hlen);
	memset(buf + hlen, 'x', STS_POLICY_MAX - hlen);

	memset(&w, 0, sizeof(w));
	r = sts_policy_parse(buf, STS_POLICY_MAX, &pol, &err, count_warn, &w);
	regress_check(r == 0 && pol.nmx == 1 && w.n == 1,
	    "3.3 policy of exactly 65536 bytes is valid (P1)");
	if (r != 0)
		regress_diag("line %zu: %s", err.where, err.msg);
	sts_policy_free(&pol);

	buf[STS_POLICY_MAX] = '\n';
	memset(&w, 0, sizeof(w));
	r = sts_policy_parse(buf, STS_POLICY_MAX + 1, &pol, &err, count_warn,
	    &w);
	ok = r == -1 && err.where == 0 &&
	    strcmp(err.msg, "policy is larger than 65536 bytes") == 0 &&
	    policy_empty(&pol) && w.n == 0;
	regress_check(ok,
	    "3.3 policy of 65537 bytes is invalid, exact message (P1)");
	if (r == 0)
		sts_policy_free(&pol);
	else if (!ok)
		regress_diag("line %zu: %s", err.where, err.msg);

	buf[STS_POLICY_MAX + 1] = '\n';
	r = sts_policy_parse(buf, STS_POLICY_MAX + 2, &pol, &err, NULL, NULL);
	regress_check(r == -1 && err.where == 0 && policy_empty(&pol),
	    "3.3 policy of 65538 bytes is invalid (P1)");
	if (r == 0)
		sts_policy_free(&pol);

	/* A 65000-byte extension line, then an mx after it. */
	memcpy(buf, "pad: ", 5);
	memset(buf + 5, 'y', 65000);
	memcpy(buf + 65005, "\n" HDR MX, sizeof("\n" HDR MX) - 1);
	memset(&w, 0, sizeof(w));
	r = sts_policy_parse(buf, 65005 + sizeof("\n" HDR MX) - 1, &pol,
	    &err, count_warn, &w);
	regress_check(r == 0 && pol.nmx == 1 &&
	    strcmp(pol.mx[0], MXN) == 0 && w.n == 1 && w.lines[0] == 1 &&
	    printable(w.last) && strlen(w.last) < STS_ERR_MAX,
	    "3.2 a 65000-byte first line is parsed (P1, P8)");
	if (r != 0)
		regress_diag("line %zu: %s", err.where, err.msg);
	sts_policy_free(&pol);

	/* The same long line with a HTAB near its end. */
	buf[65000] = '\t';
	r = sts_policy_parse(buf, 65005 + sizeof("\n" HDR MX) - 1, &pol,
	    &err, NULL, NULL);
	regress_check(r == -1 && err.where == 1 && printable(err.msg) &&
	    policy_empty(&pol),
	    "3.2 a 65000-byte line with HTAB inside is invalid, line 1 (P8)");
	if (r == 0)
		sts_policy_free(&pol);

	/* An mx of 65000 bytes. */
	memcpy(buf, HDR "mx: ", sizeof(HDR "mx: ") - 1);
	memset(buf + sizeof(HDR "mx: ") - 1, 'a', 65000);
	r = sts_policy_parse(buf, sizeof(HDR "mx: ") - 1 + 65000, &pol, &err,
	    NULL, NULL);
	regress_check(r == -1 && err.where == 4 && printable(err.msg) &&
	    policy_empty(&pol),
	    "3.2 an mx of 65000 bytes is invalid, line 4 (P10)");
	if (r == 0)
		sts_policy_free(&pol);
	free(buf);
}

/*
 * The name of pattern i: 1 or 2 letters, cycling (letters only: an
 * all-digit name would be dropped as an address, P11).
 */
static void
mx_name(size_t i, char *name)
{
	static const char	 c[] = "abcdefghijklmnopqrstuvwxyz";
	const size_t		 nc = sizeof(c) - 1;

	i %= nc + nc * nc;
	if (i < nc) {
		name[0] = c[i];
		name[1] = '\0';
	} else {
		i -= nc;
		name[0] = c[i / nc];
		name[1] = c[i % nc];
		name[2] = '\0';
	}
}

/* 10000 mx lines, all returned in order (P7: mx may repeat). */
static void
test_many_mx(void)
{
	static const char	 head[] = "version:STSv1\nmode:testing\n"
				    "max_age:1\n";
	struct sts_policy	 pol;
	struct sts_error	 err;
	struct warnings		 w;
	const size_t		 n = 10000;
	size_t			 i, len;
	char			*buf, name[3];
	int			 r, inorder;

	buf = xmalloc(STS_POLICY_MAX);
	memcpy(buf, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	for (i = 0; i < n; i++) {
		mx_name(i, name);
		len += snprintf(buf + len, STS_POLICY_MAX - len, "mx:%s\n",
		    name);
		if (len >= STS_POLICY_MAX)
			break;
	}
	memset(&w, 0, sizeof(w));
	r = sts_policy_parse(buf, len, &pol, &err, count_warn, &w);
	inorder = r == 0 && pol.nmx == n;
	for (i = 0; inorder && i < n; i++) {
		mx_name(i, name);
		if (strcmp(pol.mx[i], name) != 0)
			inorder = 0;
	}
	regress_check(inorder && len < STS_POLICY_MAX &&
	    pol.mode == STS_MODE_TESTING && w.n == 0,
	    "3.2 10000 mx lines are all returned, in order (P7)");
	if (r != 0)
		regress_diag("line %zu: %s", err.where, err.msg);
	else if (!inorder)
		regress_diag("nmx %zu, first difference at %zu", pol.nmx, i);
	sts_policy_free(&pol);

	/* An error on the last line frees all 9999 patterns. */
	buf[len - 2] = '_';
	r = sts_policy_parse(buf, len, &pol, &err, NULL, NULL);
	regress_check(r == -1 && err.where == n + 3 && policy_empty(&pol),
	    "3.2 invalid 10000th mx: line %zu, policy left empty (P12)",
	    n + 3);
	if (r == 0)
		sts_policy_free(&pol);
	else if (err.where != n + 3)
		regress_diag("line %zu: %s", err.where, err.msg);
	free(buf);
}

/* Warnings arrive through the callback, with the line they concern. */
static void
test_warnings(void)
{
	static const char	 body[] =
	    "version: STSv1\n"			/* 1 */
	    "mode: testing\n"			/* 2 */
	    "max_age: 99999999\n"		/* 3: capped */
	    "foo: bar\n"			/* 4: unknown */
	    "mode: enforce\n"			/* 5: duplicate */
	    "mx: 192.0.2.1\n"			/* 6: address */
	    "mx: mail.example.com\n"		/* 7 */
	    "max_age: 1\n";			/* 8: duplicate */
	static const size_t	 want[] = { 3, 4, 5, 6, 8 };
	struct sts_policy	 pol;
	struct sts_error	 err;
	struct warnings		 w;
	size_t			 i;
	int			 r, lines_ok;

	memset(&w, 0, sizeof(w));
	r = sts_policy_parse(body, sizeof(body) - 1, &pol, &err, count_warn,
	    &w);
	lines_ok = w.n == sizeof(want) / sizeof(want[0]);
	for (i = 0; lines_ok && i < w.n; i++)
		if (w.lines[i] != want[i])
			lines_ok = 0;
	regress_check(r == 0 && pol.mode == STS_MODE_TESTING &&
	    pol.max_age == STS_MAX_AGE_CAP && pol.nmx == 1 && lines_ok &&
	    !w.bad, "3.2 cap, unknown, duplicate and address warnings carry "
	    "lines 3 4 5 6 8 (P7, P8, P9, P11, P12)");
	if (!lines_ok)
		for (i = 0; i < w.n && i < 16; i++)
			regress_diag("warning %zu at line %zu", i, w.lines[i]);
	if (r == 0)
		sts_policy_free(&pol);

	r = sts_policy_parse(body, sizeof(body) - 1, &pol, &err, NULL, NULL);
	regress_check(r == 0 && pol.mode == STS_MODE_TESTING &&
	    pol.max_age == STS_MAX_AGE_CAP && pol.nmx == 1,
	    "3.2 NULL warning callback: same result");
	if (r == 0)
		sts_policy_free(&pol);

	memset(&w, 0, sizeof(w));
	r = sts_policy_parse(HDR "note: caf\xc3\xa9\n" MX,
	    sizeof(HDR "note: caf\xc3\xa9\n" MX) - 1, &pol, &err, count_warn,
	    &w);
	regress_check(r == 0 && w.n == 1 && w.lines[0] == 4 && !w.bad &&
	    strstr(w.last, "note") != NULL,
	    "3.2 unknown-field warning names the field, printable (P8, P12)");
	if (w.n != 1 || strstr(w.last, "note") == NULL)
		regress_diag("%zu warnings, last: %s", w.n, w.last);
	if (r == 0)
		sts_policy_free(&pol);

	/* Warnings before an error are delivered; the error still wins. */
	memset(&w, 0, sizeof(w));
	r = sts_policy_parse(HDR "foo: bar\nmode: x\n" MX,
	    sizeof(HDR "foo: bar\nmode: x\n" MX) - 1, &pol, &err, count_warn,
	    &w);
	regress_check(r == -1 && err.where == 5 && w.n == 1 &&
	    w.lines[0] == 4 && policy_empty(&pol),
	    "3.2 warning on line 4, then error on line 5 (P12)");
	if (r == 0)
		sts_policy_free(&pol);
}

/* Error text quotes input bytes as printable ASCII (P12). */
static void
test_messages(void)
{
	static const char	 body[] = V "mode: \x01\x80\xff\"\\x\n" MA MX;
	struct sts_policy	 pol;
	struct sts_error	 err;
	int			 r, ok;

	r = sts_policy_parse(body, sizeof(body) - 1, &pol, &err, NULL, NULL);
	ok = r == -1 && err.where == 2 && printable(err.msg) &&
	    strstr(err.msg, "\\x01\\x80\\xff\\\"\\\\x") != NULL;
	regress_check(ok,
	    "3.2 error quotes bytes as \\xNN, escapes '\"' and '\\' (P12)");
	if (r == 0)
		sts_policy_free(&pol);
	else if (!ok)
		regress_diag("error: %s", err.msg);
}

/* sts_policy_free() and the policy left by a failed parse. */
static void
test_free(void)
{
	struct sts_policy	 pol;
	struct sts_error	 err;
	int			 r;

	r = sts_policy_parse(HDR MX MX MX, sizeof(HDR MX MX MX) - 1, &pol,
	    &err, NULL, NULL);
	regress_check(r == 0 && pol.nmx == 3 && pol.mx != NULL,
	    "3.2 three mx parsed");
	sts_policy_free(&pol);
	regress_check(policy_empty(&pol),
	    "sts_policy_free leaves the struct empty");
	sts_policy_free(&pol);
	regress_check(policy_empty(&pol),
	    "sts_policy_free on an empty struct is harmless");

	memset(&pol, 0xa5, sizeof(pol));
	r = sts_policy_parse(MX MX MX V ME, sizeof(MX MX MX V ME) - 1, &pol,
	    &err, NULL, NULL);
	regress_check(r == -1 && err.where == 0 && policy_empty(&pol),
	    "failed parse after three mx leaves the policy empty (no leak)");

	memset(&pol, 0xa5, sizeof(pol));
	r = sts_policy_parse(MX MX "mx: a..b\n", sizeof(MX MX "mx: a..b\n") - 1,
	    &pol, &err, NULL, NULL);
	regress_check(r == -1 && err.where == 3 && policy_empty(&pol),
	    "failed parse on line 3 after two mx leaves the policy empty");

	regress_check(strcmp(sts_mode_name(STS_MODE_ENFORCE), "enforce") == 0 &&
	    strcmp(sts_mode_name(STS_MODE_TESTING), "testing") == 0 &&
	    strcmp(sts_mode_name(STS_MODE_NONE), "none") == 0,
	    "sts_mode_name gives the RFC 8461 5 mode names");
}

int
main(void)
{
	test_table();
	test_size();
	test_many_mx();
	test_warnings();
	test_messages();
	test_free();
	return regress_exit();
}
