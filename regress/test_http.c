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
 * The response to the policy GET (RFC 8461 3.3): http_parse() against
 * rules R1.3.5 (status 200 only, no redirect), R1.3.6 (text/plain) and
 * R1.3.7 (65536-byte limit however the body is framed, never a prefix
 * of a body cut short) of the digest, and RFC 9112 framing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "regress.h"

struct http_test {
	const char	*name;
	const char	*resp;
	size_t		 len;
	int		 eof;
	int		 want;		/* HTTP_DONE, HTTP_MORE, HTTP_ERROR */
	const char	*body;		/* expected body when HTTP_DONE */
	size_t		 blen;
	const char	*errsub;	/* in the error text, or NULL */
};

#define DONE(n, r, e, b)						\
	{ n, r, sizeof(r) - 1, e, HTTP_DONE, b, sizeof(b) - 1, NULL }
#define MORE(n, r)							\
	{ n, r, sizeof(r) - 1, 0, HTTP_MORE, NULL, 0, NULL }
#define ERR(n, r, e, s)							\
	{ n, r, sizeof(r) - 1, e, HTTP_ERROR, NULL, 0, s }

#define ST	"HTTP/1.1 200 OK\r\n"
#define CT	"Content-Type: text/plain\r\n"
#define CL10	"Content-Length: 10\r\n"
#define TE	"Transfer-Encoding: chunked\r\n"
#define B10	"0123456789"
#define CH10	"5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n"
#define RESP(h)	ST CT CL10 h "\r\n" B10
#define STATUS(s) "HTTP/1.1 " s "\r\n" CT CL10 "\r\n" B10
#define TYPE(t)	ST "Content-Type: " t "\r\n" CL10 "\r\n" B10

static const struct http_test tests[] = {
	/* R1.3.5: status 200 with a framed body. */
	DONE("3.3 200 text/plain with Content-Length, peer open",
	    RESP(""), 0, B10),
	DONE("3.3 200 text/plain with Content-Length, peer closed",
	    RESP(""), 1, B10),
	DONE("3.3 HTTP/1.0 200 is accepted", "HTTP/1.0 200 OK\r\n" CT CL10
	    "\r\n" B10, 1, B10),
	DONE("3.3 status line without reason phrase is accepted",
	    "HTTP/1.1 200\r\n" CT CL10 "\r\n" B10, 0, B10),
	DONE("3.3 status line with empty reason phrase is accepted",
	    "HTTP/1.1 200 \r\n" CT CL10 "\r\n" B10, 0, B10),
	DONE("3.3 bytes past Content-Length are not part of the body",
	    RESP("") "trailing junk", 1, B10),
	DONE("3.3 Content-Length 0 gives an empty body",
	    ST CT "Content-Length: 0\r\n\r\n", 0, ""),
	DONE("3.3 Content-Length with leading zeros",
	    ST CT "Content-Length: 0010\r\n\r\n" B10, 0, B10),
	DONE("3.3 two identical Content-Length fields are one",
	    RESP(CL10), 0, B10),
	DONE("3.3 body with NUL, CR and LF bytes is returned byte-exact",
	    ST CT "Content-Length: 8\r\n\r\n" "a\0b\r\n\0\0c", 0,
	    "a\0b\r\n\0\0c"),
	DONE("3.3 field names are case-insensitive",
	    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n"
	    "CONTENT-LENGTH: 10\r\n\r\n" B10, 0, B10),
	DONE("3.3 unknown fields are ignored",
	    ST "Server: x\r\n" CT "X-Empty:\r\nCache-Control: no-store\r\n"
	    CL10 "\r\n" B10, 0, B10),

	/* R1.3.5: anything but 200 fails. */
	ERR("3.3 status 201 is a failure", STATUS("201 Created"), 1,
	    "status 201"),
	ERR("3.3 status 204 is a failure", STATUS("204 No Content"), 1,
	    "status 204"),
	ERR("3.3 status 206 is a failure", STATUS("206 Partial Content"), 1,
	    "status 206"),
	ERR("3.3 status 304 is a failure (no HTTP caching)",
	    STATUS("304 Not Modified"), 1, "304"),
	ERR("3.3 status 404 is a failure", STATUS("404 Not Found"), 1,
	    "status 404"),
	ERR("3.3 status 500 is a failure", STATUS("500 Server Error"), 1,
	    "status 500"),
	ERR("3.3 status 100 is a failure (no Expect sent)",
	    "HTTP/1.1 100 Continue\r\n\r\n" RESP(""), 1, "status 100"),
	ERR("3.3 status 299 is a failure", STATUS("299 X"), 1, "status 299"),
	ERR("3.3 redirect 301 is a failure",
	    "HTTP/1.1 301 Moved\r\nLocation: https://x/\r\n" CT CL10 "\r\n"
	    B10, 1, "redirect"),
	ERR("3.3 redirect 302 is a failure",
	    "HTTP/1.1 302 Found\r\nLocation: https://x/\r\n\r\n", 0,
	    "redirect"),
	ERR("3.3 redirect 303 is a failure", STATUS("303 See Other"), 1,
	    "redirect"),
	ERR("3.3 redirect 307 is a failure", STATUS("307 Temporary"), 1,
	    "redirect"),
	ERR("3.3 redirect 308 is a failure", STATUS("308 Permanent"), 1,
	    "redirect"),
	ERR("3.3 status known from the status line alone",
	    "HTTP/1.1 301 Moved\r\n", 0, "redirect"),

	/* RFC 9112 4: the status line. */
	ERR("3.3 garbage status line is a failure", "garbage\r\n\r\n", 1,
	    "status line"),
	ERR("3.3 'ICY 200 OK' is a failure", "ICY 200 OK\r\n" CT CL10 "\r\n"
	    B10, 1, "status line"),
	ERR("3.3 'HTTP/2 200' is a failure", "HTTP/2 200\r\n" CT CL10 "\r\n"
	    B10, 1, "status line"),
	ERR("3.3 'HTTP/1.X 200' is a failure", "HTTP/1.X 200 OK\r\n" CT CL10
	    "\r\n" B10, 1, "status line"),
	ERR("3.3 lower-case 'http/1.1' is a failure", "http/1.1 200 OK\r\n"
	    CT CL10 "\r\n" B10, 1, "status line"),
	ERR("3.3 status '2OO' is a failure", STATUS("2OO OK"), 1,
	    "status line"),
	ERR("3.3 status 2000 is a failure", STATUS("2000 OK"), 1,
	    "status line"),
	ERR("3.3 status '20' is a failure", STATUS("20 OK"), 1,
	    "status line"),
	ERR("3.3 status 099 is a failure", STATUS("099 X"), 1, "status line"),
	ERR("3.3 status 600 is a failure", STATUS("600 X"), 1, "status line"),
	ERR("3.3 two SPs before the status is a failure", STATUS(" 200 OK"),
	    1, "status line"),
	ERR("3.3 '200OK' is a failure", STATUS("200OK"), 1, "status line"),
	ERR("3.3 empty line before the status line is a failure",
	    "\r\n" RESP(""), 1, "status line"),
	ERR("3.3 control bytes in the status line are quoted",
	    "HTTP/1.1 \x01\xff\r\n\r\n", 1, "\\x01\\xff"),

	/* R1.3.6: the media type. */
	DONE("3.3 'text/plain; charset=utf-8' is accepted",
	    TYPE("text/plain; charset=utf-8"), 0, B10),
	DONE("3.3 'text/plain;charset=us-ascii' is accepted",
	    TYPE("text/plain;charset=us-ascii"), 0, B10),
	DONE("3.3 other parameters are ignored",
	    TYPE("text/plain; format=flowed; charset=utf-8"), 0, B10),
	DONE("3.3 'TEXT/PLAIN' is case-insensitive",
	    TYPE("TEXT/PLAIN"), 0, B10),
	DONE("3.3 'Text/Plain; Charset=UTF-8' is accepted",
	    TYPE("Text/Plain; Charset=UTF-8"), 0, B10),
	DONE("3.3 OWS around the media type is not part of it",
	    ST "Content-Type: \t text/plain \t\r\n" CL10 "\r\n" B10, 0, B10),
	DONE("3.3 no OWS after ':' is accepted",
	    ST "Content-Type:text/plain\r\n" CL10 "\r\n" B10, 0, B10),
	ERR("3.3 missing Content-Type is a failure",
	    ST CL10 "\r\n" B10, 1, "Content-Type"),
	ERR("3.3 text/html is a failure", TYPE("text/html"), 1,
	    "not text/plain"),
	ERR("3.3 text/html; charset=utf-8 is a failure",
	    TYPE("text/html; charset=utf-8"), 1, "not text/plain"),
	ERR("3.3 application/octet-stream is a failure",
	    TYPE("application/octet-stream"), 1, "not text/plain"),
	ERR("3.3 'text/plainx' is a failure", TYPE("text/plainx"), 1,
	    "not text/plain"),
	ERR("3.3 'text/plain x' is a failure", TYPE("text/plain x"), 1,
	    "not text/plain"),
	ERR("3.3 'text/' is a failure", TYPE("text/"), 1, "not text/plain"),
	ERR("3.3 empty Content-Type is a failure", TYPE(""), 1,
	    "not text/plain"),
	ERR("3.3 two Content-Type fields are a failure",
	    ST CT CT CL10 "\r\n" B10, 1, "Content-Type"),

	/* R1.3.7: Content-Length. */
	MORE("3.3 body shorter than Content-Length, peer open: more",
	    ST CT CL10 "\r\n" "01234"),
	ERR("3.3 body shorter than Content-Length at eof is a failure",
	    ST CT CL10 "\r\n" "01234", 1, "cut short"),
	ERR("3.3 no body at all at eof is a failure",
	    ST CT CL10 "\r\n", 1, "cut short"),
	MORE("3.3 Content-Length 65536 is within the limit",
	    ST CT "Content-Length: 65536\r\n\r\n" B10),
	ERR("3.3 Content-Length 65537 is a failure, before the body",
	    ST CT "Content-Length: 65537\r\n\r\n" B10, 0, "65536"),
	ERR("3.3 Content-Length of 30 digits is a failure",
	    ST CT "Content-Length: 999999999999999999999999999999\r\n\r\n"
	    B10, 0, "65536"),
	ERR("3.3 Content-Length 2^64 does not wrap",
	    ST CT "Content-Length: 18446744073709551626\r\n\r\n" B10, 1,
	    "65536"),
	ERR("3.3 conflicting Content-Length is a failure",
	    ST CT CL10 "Content-Length: 11\r\n\r\n" B10 "x", 1,
	    "conflicting"),
	ERR("3.3 Content-Length list '10, 11' is a failure",
	    ST CT "Content-Length: 10, 11\r\n\r\n" B10 "x", 1,
	    "Content-Length"),
	ERR("3.3 Content-Length '-1' is a failure",
	    ST CT "Content-Length: -1\r\n\r\n" B10, 1, "Content-Length"),
	ERR("3.3 Content-Length '+10' is a failure",
	    ST CT "Content-Length: +10\r\n\r\n" B10, 1, "Content-Length"),
	ERR("3.3 Content-Length '0x0a' is a failure",
	    ST CT "Content-Length: 0x0a\r\n\r\n" B10, 1, "Content-Length"),
	ERR("3.3 empty Content-Length is a failure",
	    ST CT "Content-Length:\r\n\r\n" B10, 1, "Content-Length"),

	/* R1.3.7: no framing, the body runs to the close. */
	DONE("3.3 no Content-Length: the body is read to eof",
	    ST CT "\r\n" B10, 1, B10),
	MORE("3.3 no Content-Length: more until eof", ST CT "\r\n" B10),
	DONE("3.3 no Content-Length, empty body at eof",
	    ST CT "\r\n", 1, ""),

	/* RFC 9112 7.1: chunked. */
	DONE("3.3 chunked body of several chunks", ST CT TE "\r\n" CH10, 0,
	    B10),
	DONE("3.3 chunked, peer closed after the last chunk",
	    ST CT TE "\r\n" CH10, 1, B10),
	DONE("3.3 chunked with chunk extensions",
	    ST CT TE "\r\n" "5;name=value\r\n01234\r\n5 ; a=\"b;c\"\r\n"
	    "56789\r\n0;last\r\n\r\n", 0, B10),
	DONE("3.3 chunked with trailer fields",
	    ST CT TE "\r\n" "a\r\n" B10 "\r\n0\r\nX-Trailer: 1\r\n"
	    "X-Other: 2\r\n\r\n", 0, B10),
	DONE("3.3 chunk size in upper case hex, with leading zeros",
	    ST CT TE "\r\n" "000A\r\n" B10 "\r\n00\r\n\r\n", 0, B10),
	DONE("3.3 chunks of one byte each",
	    ST CT TE "\r\n" "1\r\na\r\n1\r\n\0\r\n1\r\nb\r\n0\r\n\r\n", 0,
	    "a\0b"),
	DONE("3.3 chunked with bare LF",
	    ST CT TE "\r\n" "5\n01234\n5\n56789\n0\n\n", 0, B10),
	DONE("3.3 empty chunked body", ST CT TE "\r\n" "0\r\n\r\n", 0, ""),
	DONE("3.3 'Transfer-Encoding: Chunked' is case-insensitive",
	    ST CT "Transfer-Encoding: Chunked\r\n\r\n" CH10, 0, B10),
	DONE("3.3 bytes after the last chunk are ignored",
	    ST CT TE "\r\n" CH10 "junk", 1, B10),
	MORE("3.3 chunked without the last chunk, peer open: more",
	    ST CT TE "\r\n" "5\r\n01234\r\n"),
	MORE("3.3 chunked without the final CRLF, peer open: more",
	    ST CT TE "\r\n" "5\r\n01234\r\n0\r\n"),
	MORE("3.3 chunked cut inside a trailer, peer open: more",
	    ST CT TE "\r\n" "5\r\n01234\r\n0\r\nX-T: 1\r\n"),
	ERR("3.3 chunked without the last chunk at eof is a failure",
	    ST CT TE "\r\n" "5\r\n01234\r\n", 1, "cut short"),
	ERR("3.3 chunked cut inside chunk data at eof is a failure",
	    ST CT TE "\r\n" "a\r\n01234", 1, "cut short"),
	ERR("3.3 chunked cut inside a chunk size at eof is a failure",
	    ST CT TE "\r\n" "5\r\n01234\r\n5", 1, "cut short"),
	ERR("3.3 chunked without the final CRLF at eof is a failure",
	    ST CT TE "\r\n" "5\r\n01234\r\n0\r\n", 1, "cut short"),
	ERR("3.3 chunked with no chunk at all at eof is a failure",
	    ST CT TE "\r\n", 1, "cut short"),
	ERR("3.3 malformed chunk size 'x' is a failure",
	    ST CT TE "\r\n" "x\r\n01234\r\n0\r\n\r\n", 1, "chunk size"),
	ERR("3.3 malformed chunk size '0x5' is a failure",
	    ST CT TE "\r\n" "0x5\r\n01234\r\n0\r\n\r\n", 1, "chunk size"),
	ERR("3.3 malformed chunk size '-1' is a failure",
	    ST CT TE "\r\n" "-1\r\n01234\r\n0\r\n\r\n", 1, "chunk size"),
	ERR("3.3 empty chunk size line is a failure",
	    ST CT TE "\r\n" "\r\n01234\r\n0\r\n\r\n", 1, "chunk size"),
	ERR("3.3 chunk size with leading SP is a failure",
	    ST CT TE "\r\n" " 5\r\n01234\r\n0\r\n\r\n", 1, "chunk size"),
	ERR("3.3 chunk longer than its size is a failure",
	    ST CT TE "\r\n" "5\r\n012345\r\n0\r\n\r\n", 1, "chunk end"),
	ERR("3.3 chunk size 10001 (65537) is a failure",
	    ST CT TE "\r\n" "10001\r\n01234", 0, "65536"),
	ERR("3.3 chunk size of 24 hex digits does not wrap",
	    ST CT TE "\r\n" "100000000000000000000005\r\n01234\r\n0\r\n\r\n",
	    1, "65536"),
	ERR("3.3 both chunked and Content-Length is a failure",
	    ST CT TE CL10 "\r\n" CH10, 1, "both"),
	ERR("3.3 both Content-Length and chunked is a failure",
	    ST CT CL10 TE "\r\n" CH10, 1, "both"),
	ERR("3.3 Transfer-Encoding gzip is a failure",
	    ST CT "Transfer-Encoding: gzip\r\n" CL10 "\r\n" B10, 1,
	    "Transfer-Encoding"),
	ERR("3.3 Transfer-Encoding 'gzip, chunked' is a failure",
	    ST CT "Transfer-Encoding: gzip, chunked\r\n\r\n" CH10, 1,
	    "Transfer-Encoding"),
	ERR("3.3 Transfer-Encoding identity is a failure",
	    ST CT "Transfer-Encoding: identity\r\n\r\n" B10, 1,
	    "Transfer-Encoding"),

	/* RFC 9112 2.2, 5: field lines. */
	DONE("3.3 bare LF line endings are accepted",
	    "HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 10\n"
	    "\n" B10, 0, B10),
	DONE("3.3 mixed CRLF and LF line endings are accepted",
	    "HTTP/1.1 200 OK\nContent-Type: text/plain\r\n"
	    "Content-Length: 10\n\r\n" B10, 0, B10),
	ERR("3.3 folded header line is a failure",
	    ST CT "X-Long: a\r\n b\r\n" CL10 "\r\n" B10, 1, "folded"),
	ERR("3.3 header folded with HTAB is a failure",
	    ST "Content-Type: text/plain;\r\n\tcharset=utf-8\r\n" CL10 "\r\n"
	    B10, 1, "folded"),
	ERR("3.3 folded first header line is a failure",
	    ST " " CT CL10 "\r\n" B10, 1, "folded"),
	ERR("3.3 header line without ':' is a failure",
	    ST CT "garbage\r\n" CL10 "\r\n" B10, 1, "header"),
	ERR("3.3 header line with empty name is a failure",
	    ST CT ": x\r\n" CL10 "\r\n" B10, 1, "header"),
	ERR("3.3 whitespace before ':' is a failure (RFC 9112 5.1)",
	    ST CT "Content-Length : 5\r\n\r\n" B10, 1, "header"),
	ERR("3.3 'Transfer-Encoding :' is not ignored (RFC 9112 5.1)",
	    ST CT "Transfer-Encoding : chunked\r\n\r\n" CH10, 1, "header"),
	MORE("3.3 header section not finished, peer open: more", ST CT CL10),
	MORE("3.3 status line not finished, peer open: more", "HTTP/1.1 20"),
	MORE("3.3 nothing received yet: more", ""),
	ERR("3.3 closed inside the header section is a failure",
	    ST CT CL10, 1, "closed"),
	ERR("3.3 closed before any byte is a failure", "", 1, "closed"),
};

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* One result against the expected one; on a mismatch say why, return 0. */
static int
check_result(int got, struct http_response *r, const char *err, int want,
    const char *body, size_t blen, const char *errsub)
{
	int	 ok = 1;

	if (got != want) {
		regress_diag("http_parse returned %d, want %d (err \"%s\")",
		    got, want, err);
		ok = 0;
	} else if (got == HTTP_DONE) {
		if (r->status != 200 || r->body == NULL || r->len != blen ||
		    memcmp(r->body, body, blen) != 0 || r->body[blen] != '\0') {
			regress_diag("status %d, body of %zu bytes, want 200 "
			    "and %zu bytes", r->status, r->len, blen);
			ok = 0;
		}
	} else if (r->body != NULL || r->len != 0) {
		regress_diag("a body is returned with %d", got);
		ok = 0;
	} else if (got == HTTP_ERROR) {
		if (err[0] == '\0' || !printable(err)) {
			regress_diag("error text empty or not printable");
			ok = 0;
		} else if (errsub != NULL && strstr(err, errsub) == NULL) {
			regress_diag("error \"%s\" does not mention \"%s\"",
			    err, errsub);
			ok = 0;
		}
	}
	http_response_free(r);
	if (r->body != NULL || r->len != 0) {
		regress_diag("http_response_free left a body");
		ok = 0;
	}
	return ok;
}

/* Run one response; on a mismatch say why and return 0. */
static int
check_one(const char *resp, size_t len, int eof, int want, const char *body,
    size_t blen, const char *errsub)
{
	struct http_response	 r = { 0, NULL, 0 };
	char			 err[STS_ERR_MAX] = "";
	int			 got;

	got = http_parse(resp, len, eof, &r, err, sizeof(err));
	return check_result(got, &r, err, want, body, blen, errsub);
}

/*
 * The same response through one parser that is fed a byte more each
 * time, as the reads of fetch.c may bring it; each call gets an
 * exact-size copy, so that a read past the end shows under ASan.  The
 * first answer other than HTTP_MORE, or the answer once all bytes
 * (and the close, if any) are in, is the one-shot answer.
 */
static int
check_fed(const char *resp, size_t len, int eof, int want, const char *body,
    size_t blen, const char *errsub)
{
	struct http_parser	 p;
	struct http_response	 r = { 0, NULL, 0 };
	char			 err[STS_ERR_MAX] = "";
	char			*buf;
	size_t			 n;
	int			 got = HTTP_MORE;

	http_parser_init(&p);
	for (n = 0; n <= len && got == HTTP_MORE; n++) {
		if ((buf = malloc(n + 1)) == NULL)
			abort();
		memcpy(buf, resp, n);
		got = http_parser_feed(&p, buf, n, 0, &r, err, sizeof(err));
		if (got == HTTP_MORE && n == len && eof)
			got = http_parser_feed(&p, buf, n, 1, &r, err,
			    sizeof(err));
		free(buf);
	}
	http_parser_free(&p);
	return check_result(got, &r, err, want, body, blen, errsub);
}

static void
run_table(void)
{
	const struct http_test	*t;
	size_t			 i;
	int			 ok = 1;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		t = &tests[i];
		regress_check(check_one(t->resp, t->len, t->eof, t->want,
		    t->body, t->blen, t->errsub), "%s", t->name);
	}
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		t = &tests[i];
		if (!check_fed(t->resp, t->len, t->eof, t->want, t->body,
		    t->blen, t->errsub)) {
			regress_diag("fed byte by byte: %s", t->name);
			ok = 0;
		}
	}
	regress_check(ok, "3.3 every response above fed a byte at a time "
	    "gives the one-shot answer");
}

/* Large bodies: the limit under each framing. */
enum framing { F_LENGTH, F_CHUNKED, F_EOF };

struct big_test {
	const char	*name;
	enum framing	 framing;
	size_t		 size;		/* body bytes sent */
	size_t		 chunk;		/* chunk size for F_CHUNKED */
	int		 eof;
	int		 want;
};

static const struct big_test big_tests[] = {
	{ "3.3 Content-Length body of exactly 65536 bytes is accepted",
	    F_LENGTH, 65536, 0, 0, HTTP_DONE },
	{ "3.3 Content-Length body of 65537 bytes is a failure",
	    F_LENGTH, 65537, 0, 1, HTTP_ERROR },
	{ "3.3 body to eof of exactly 65536 bytes is accepted",
	    F_EOF, 65536, 0, 1, HTTP_DONE },
	{ "3.3 body to eof of 65536 bytes, peer open: more",
	    F_EOF, 65536, 0, 0, HTTP_MORE },
	{ "3.3 body to eof of 65537 bytes is a failure",
	    F_EOF, 65537, 0, 1, HTTP_ERROR },
	{ "3.3 body to eof of 65537 bytes fails before the close",
	    F_EOF, 65537, 0, 0, HTTP_ERROR },
	{ "3.3 chunked total of 65536 bytes in 4096-byte chunks is accepted",
	    F_CHUNKED, 65536, 4096, 0, HTTP_DONE },
	{ "3.3 chunked total of 65536 bytes in one chunk is accepted",
	    F_CHUNKED, 65536, 65536, 0, HTTP_DONE },
	{ "3.3 chunked total of 65536 bytes in 1000-byte chunks is accepted",
	    F_CHUNKED, 65536, 1000, 1, HTTP_DONE },
	{ "3.3 chunked total of 65537 bytes in 4096-byte chunks is a failure",
	    F_CHUNKED, 65537, 4096, 1, HTTP_ERROR },
	{ "3.3 chunked total of 65537 bytes in one chunk is a failure",
	    F_CHUNKED, 65537, 65537, 1, HTTP_ERROR },
	{ "3.3 chunked total of 65537 bytes fails before the last chunk",
	    F_CHUNKED, 65537, 1000, 0, HTTP_ERROR },
};

static void
fill(char *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		b[i] = (char)(i * 7 + i / 251);
}

static void
run_big(void)
{
	const struct big_test	*t;
	char			*body, *resp, *p;
	size_t			 i, off, n, cap;
	int			 ok;

	for (i = 0; i < sizeof(big_tests) / sizeof(big_tests[0]); i++) {
		t = &big_tests[i];
		if ((body = malloc(t->size)) == NULL)
			abort();
		fill(body, t->size);
		cap = 2 * t->size + 256;
		if ((resp = malloc(cap)) == NULL)
			abort();
		p = resp;
		p += sprintf(p, "%s", ST CT);
		if (t->framing == F_LENGTH)
			p += sprintf(p, "Content-Length: %zu\r\n", t->size);
		else if (t->framing == F_CHUNKED)
			p += sprintf(p, "Transfer-Encoding: chunked\r\n");
		p += sprintf(p, "\r\n");
		if (t->framing == F_CHUNKED) {
			for (off = 0; off < t->size; off += n) {
				n = t->size - off < t->chunk ?
				    t->size - off : t->chunk;
				p += sprintf(p, "%zx\r\n", n);
				memcpy(p, body + off, n);
				p += n;
				p += sprintf(p, "\r\n");
			}
			if (t->eof || t->want == HTTP_DONE)
				p += sprintf(p, "0\r\n\r\n");
		} else {
			memcpy(p, body, t->size);
			p += t->size;
		}
		ok = check_one(resp, p - resp, t->eof, t->want, body, t->size,
		    t->want == HTTP_ERROR ? "65536" : NULL);
		regress_check(ok, "%s", t->name);
		free(resp);
		free(body);
	}
}

/*
 * The header section: at most HTTP_HEADER_MAX bytes, status line and
 * final empty line included.
 */
static void
run_header_limit(void)
{
	static const char	 pre[] = ST CT "Content-Length: 2\r\nX-Pad: ";
	static const struct {
		const char	*name;
		size_t		 hdrlen;	/* header section size */
		int		 end;		/* send the empty line */
		int		 want;
	} t[] = {
		{ "3.3 header section of exactly 16384 bytes is accepted",
		    HTTP_HEADER_MAX, 1, HTTP_DONE },
		{ "3.3 header section of 16385 bytes is a failure",
		    HTTP_HEADER_MAX + 1, 1, HTTP_ERROR },
		{ "3.3 header section > 16384 without end is a failure",
		    HTTP_HEADER_MAX + 100, 0, HTTP_ERROR },
		{ "3.3 header section of 16383 bytes, unfinished: more",
		    HTTP_HEADER_MAX - 1, 0, HTTP_MORE },
	};
	char	*resp;
	size_t	 i, pad, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* pre, pad, CRLF, then CRLF and "ok" when it ends. */
		pad = t[i].hdrlen - (sizeof(pre) - 1) - 4;
		if ((resp = malloc(t[i].hdrlen + 2)) == NULL)
			abort();
		memcpy(resp, pre, sizeof(pre) - 1);
		len = sizeof(pre) - 1;
		memset(resp + len, 'a', pad);
		len += pad;
		if (t[i].end) {
			memcpy(resp + len, "\r\n\r\nok", 6);
			len += 6;
		} else {
			memcpy(resp + len, "\r\naa", 4);
			len += 4;
		}
		regress_check(check_one(resp, len, 0, t[i].want, "ok", 2,
		    t[i].want == HTTP_ERROR ? "too large" : NULL),
		    "%s", t[i].name);
		free(resp);
	}
}

/*
 * Byte by byte, as the reads may split it anywhere: HTTP_MORE on every
 * proper prefix while the peer is open, HTTP_ERROR on every proper
 * prefix at eof when the body is framed (never a prefix as a policy),
 * and the exact body once it is complete.
 */
static const struct {
	const char	*name;
	const char	*resp;
	size_t		 len;
	int		 framed;	/* complete before eof */
	const char	*body;
	size_t		 blen;
} feeds[] = {
#define FEED(n, r, f, b)	{ n, r, sizeof(r) - 1, f, b, sizeof(b) - 1 }
	FEED("3.3 byte by byte, Content-Length, NULs in the body",
	    ST CT "Content-Length: 12\r\n\r\n" "ab\0\0cd\r\nef\0g", 1,
	    "ab\0\0cd\r\nef\0g"),
	FEED("3.3 byte by byte, chunked with extension, trailer and NUL",
	    ST CT TE "\r\n" "3;x=y\r\na\0b\r\n10\r\n0123456789abcde\0\r\n"
	    "0\r\nX-T: 1\r\n\r\n", 1, "a\0b0123456789abcde\0"),
	FEED("3.3 byte by byte, bare LF and Content-Length",
	    "HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 3\n"
	    "\nx\0y", 1, "x\0y"),
	FEED("3.3 byte by byte, body to eof with NULs",
	    ST CT "\r\n" "\0version: STSv1\0", 0, "\0version: STSv1\0"),
#undef FEED
};

static int
feed_one(const char *resp, size_t len, int framed, const char *body,
    size_t blen)
{
	struct http_response	 r = { 0, NULL, 0 };
	char			 err[STS_ERR_MAX];
	char			*buf;
	size_t			 n;
	int			 got, ok = 1;

	/* Exactly n bytes, so a read past them shows under ASan. */
	for (n = 0; n < len && ok; n++) {
		if ((buf = malloc(n + 1)) == NULL)
			abort();
		memcpy(buf, resp, n);
		if ((got = http_parse(buf, n, 0, &r, err, sizeof(err))) !=
		    HTTP_MORE) {
			regress_diag("%zu of %zu bytes, open: %d, want more",
			    n, len, got);
			ok = 0;
		}
		got = http_parse(buf, n, 1, &r, err, sizeof(err));
		if (framed && got != HTTP_ERROR) {
			regress_diag("%zu of %zu bytes, eof: %d, want error",
			    n, len, got);
			ok = 0;
		}
		free(buf);
	}
	if (!ok) {
		http_response_free(&r);
		return 0;
	}
	if ((buf = malloc(len)) == NULL)
		abort();
	memcpy(buf, resp, len);
	got = http_parse(buf, len, 0, &r, err, sizeof(err));
	if (got != (framed ? HTTP_DONE : HTTP_MORE)) {
		regress_diag("complete, open: %d", got);
		ok = 0;
	}
	if (!framed)
		got = http_parse(buf, len, 1, &r, err, sizeof(err));
	if (got != HTTP_DONE || r.len != blen ||
	    memcmp(r.body, body, blen) != 0 || r.body[blen] != '\0') {
		regress_diag("complete: %d, body of %zu bytes, want %zu",
		    got, r.len, blen);
		ok = 0;
	}
	free(buf);
	http_response_free(&r);
	return ok;
}

static void
run_feeds(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(feeds) / sizeof(feeds[0]); i++)
		regress_check(feed_one(feeds[i].resp, feeds[i].len,
		    feeds[i].framed, feeds[i].body, feeds[i].blen), "%s",
		    feeds[i].name);
}

/* One response struct reused across calls: the old body goes. */
static void
run_reuse(void)
{
	static const char	 a[] = RESP("");
	static const char	 b[] = ST CT "Content-Length: 3\r\n\r\nxyz";
	struct http_response	 r = { 0, NULL, 0 };
	char			 err[STS_ERR_MAX];
	int			 ok;

	ok = http_parse(a, sizeof(a) - 1, 1, &r, err, sizeof(err)) ==
	    HTTP_DONE && r.len == 10;
	ok = ok && http_parse(b, sizeof(b) - 1, 1, &r, err, sizeof(err)) ==
	    HTTP_DONE && r.len == 3 && memcmp(r.body, "xyz", 4) == 0;
	ok = ok && http_parse(b, 5, 1, &r, err, sizeof(err)) == HTTP_ERROR &&
	    r.body == NULL && r.len == 0;
	regress_check(ok, "3.3 a response reused across calls holds only "
	    "the last result");
	http_response_free(&r);
}

/*
 * A hostile server may send its answer a byte at a time.  Fed so, the
 * parser must look at each byte a bounded number of times: the
 * response of n bytes costs at most 4n bytes examined, where parsing
 * from the start on every read would cost in the order of n * n / 2.
 */
#define LINEAR_N	65536
#define LINEAR_FACTOR	4

enum lin_kind { LIN_LENGTH, LIN_EOF, LIN_CHUNKED, LIN_HEADERS };

static const struct {
	const char	*name;
	enum lin_kind	 kind;
	size_t		 chunk;		/* chunk size for LIN_CHUNKED */
} linear[] = {
	{ "3.3 64 KiB response with Content-Length, a byte per read: "
	    "linear", LIN_LENGTH, 0 },
	{ "3.3 64 KiB response to the close, a byte per read: linear",
	    LIN_EOF, 0 },
	{ "3.3 64 KiB chunked response, 16-byte chunks, a byte per read: "
	    "linear", LIN_CHUNKED, 16 },
	{ "3.3 64 KiB chunked response, 1-byte chunks, a byte per read: "
	    "linear", LIN_CHUNKED, 1 },
	{ "3.3 16 KiB header section of short lines, a byte per read: "
	    "linear", LIN_HEADERS, 0 },
};

/* A response of about LINEAR_N bytes; the body goes to body, blen. */
static size_t
linear_resp(enum lin_kind kind, size_t chunk, char *resp, char *body,
    size_t *blen)
{
	char	*p = resp;
	size_t	 i;

	*blen = 0;
	p += sprintf(p, "%s", ST CT);
	switch (kind) {
	case LIN_LENGTH:
		*blen = LINEAR_N - 64;
		p += sprintf(p, "Content-Length: %zu\r\n\r\n", *blen);
		break;
	case LIN_EOF:
		*blen = LINEAR_N - 64;
		p += sprintf(p, "\r\n");
		break;
	case LIN_CHUNKED:
		p += sprintf(p, "%s\r\n", TE);
		while ((size_t)(p - resp) + chunk + 16 < LINEAR_N) {
			fill(body + *blen, chunk);
			p += sprintf(p, "%zx\r\n", chunk);
			memcpy(p, body + *blen, chunk);
			p += chunk;
			*blen += chunk;
			p += sprintf(p, "\r\n");
		}
		p += sprintf(p, "0\r\n\r\n");
		return p - resp;
	case LIN_HEADERS:
		/* "X-N: v" lines up to the end of the header section. */
		for (i = 0; (size_t)(p - resp) + 32 < HTTP_HEADER_MAX; i++)
			p += sprintf(p, "X-%zu: v\r\n", i);
		*blen = 2;
		p += sprintf(p, "Content-Length: 2\r\n\r\n");
		break;
	}
	fill(body, *blen);
	memcpy(p, body, *blen);
	return p - resp + *blen;
}

static int
linear_one(enum lin_kind kind, size_t chunk)
{
	struct http_parser	 p;
	struct http_response	 r = { 0, NULL, 0 };
	char			 err[STS_ERR_MAX] = "";
	char			*resp, *body;
	size_t			 n, len, blen;
	int			 got = HTTP_MORE, ok = 1;

	if ((resp = malloc(2 * LINEAR_N)) == NULL ||
	    (body = malloc(LINEAR_N)) == NULL)
		abort();
	len = linear_resp(kind, chunk, resp, body, &blen);
	http_parser_init(&p);
	for (n = 0; n <= len && got == HTTP_MORE; n++) {
		got = http_parser_feed(&p, resp, n, 0, &r, err, sizeof(err));
		if (got != HTTP_MORE && n < len) {
			regress_diag("%d after %zu of %zu bytes", got, n, len);
			ok = 0;
		}
	}
	if (got == HTTP_MORE && kind == LIN_EOF)
		got = http_parser_feed(&p, resp, len, 1, &r, err, sizeof(err));
	if (got != HTTP_DONE || r.len != blen || memcmp(r.body, body, blen)) {
		regress_diag("%d (%s), body of %zu bytes, want %zu", got, err,
		    r.len, blen);
		ok = 0;
	}
	if (p.hp_examined > LINEAR_FACTOR * len) {
		regress_diag("%zu bytes examined for a %zu-byte response, "
		    "more than %d per byte", p.hp_examined, len,
		    LINEAR_FACTOR);
		ok = 0;
	}
	http_parser_free(&p);
	http_response_free(&r);
	free(body);
	free(resp);
	return ok;
}

static void
run_linear(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(linear) / sizeof(linear[0]); i++)
		regress_check(linear_one(linear[i].kind, linear[i].chunk),
		    "%s", linear[i].name);
}

/* After HTTP_DONE or HTTP_ERROR the parser says so, and gives nothing. */
static void
run_spent(void)
{
	static const char	 a[] = RESP("");
	struct http_parser	 p;
	struct http_response	 r = { 0, NULL, 0 };
	char			 err[STS_ERR_MAX];
	int			 ok;

	http_parser_init(&p);
	ok = http_parser_feed(&p, a, sizeof(a) - 1, 0, &r, err,
	    sizeof(err)) == HTTP_DONE && r.len == 10;
	ok = ok && http_parser_feed(&p, a, sizeof(a) - 1, 1, &r, err,
	    sizeof(err)) == HTTP_ERROR && r.body == NULL;
	http_parser_free(&p);
	http_parser_init(&p);
	ok = ok && http_parser_feed(&p, a, 20, 0, &r, err, sizeof(err)) ==
	    HTTP_MORE;
	ok = ok && http_parser_feed(&p, a, 19, 0, &r, err, sizeof(err)) ==
	    HTTP_ERROR && strstr(err, "shrank") != NULL;
	http_parser_free(&p);
	regress_check(ok, "3.3 a parser is spent after its answer, and "
	    "refuses input that shrank");
}

int
main(void)
{
	run_table();
	run_big();
	run_header_limit();
	run_feeds();
	run_reuse();
	run_linear();
	run_spent();
	return regress_exit();
}
