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
 * libFuzzer target for the HTTP response parser (http_parse.c).  The
 * input is the raw response as read from the TLS connection.  It is
 * parsed whole, without and with end of file, and as fetch.c sees it:
 * a prefix first, the rest arriving before the close.  It is also fed
 * to one incremental parser cut at random places, which must answer on
 * every cut as a fresh parse of the same prefix does.  Each buffer is
 * an exact-size copy so that ASan sees a read past its end.  Any
 * broken invariant calls abort() for libFuzzer to catch.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mtasts.h"

#define NSPLIT		8

/* How the body is delimited, as the headers say. */
enum framing {
	FRAME_CLOSE,
	FRAME_LENGTH,
	FRAME_CHUNKED
};

struct shape {
	size_t		 bodyoff;	/* after the empty line */
	enum framing	 framing;
	size_t		 length;	/* Content-Length, FRAME_LENGTH */
};

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Error text goes to logs and JSON as is. */
static void
check_err(const char *err, size_t errsz)
{
	size_t		 i;
	unsigned char	 c;

	for (i = 0; i < errsz && err[i] != '\0'; i++) {
		c = err[i];
		if (c < 0x20 || c > 0x7e)
			abort();
	}
	if (i == 0 || i == errsz)
		abort();
}

/* The next line without CRLF or LF, as RFC 9112 2.2 lets LF end one. */
static const char *
line(const char *s, size_t len, size_t *pos, size_t *ll)
{
	const char	*l = s + *pos, *nl;

	if (*pos >= len || (nl = memchr(l, '\n', len - *pos)) == NULL)
		return NULL;
	*ll = nl - l;
	*pos += *ll + 1;
	if (*ll > 0 && l[*ll - 1] == '\r')
		(*ll)--;
	return l;
}

static int
name_is(const char *l, size_t ll, const char *name)
{
	size_t	 n = strlen(name);

	return ll > n && l[n] == ':' && strncasecmp(l, name, n) == 0;
}

static size_t
decimal(const char *s, size_t len)
{
	size_t	 i, n = 0;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (n > STS_POLICY_MAX)
			abort();	/* the parser let a huge length by */
		n = n * 10 + (s[i] - '0');
	}
	return n;
}

/*
 * The header section of a response the parser accepted, read again
 * here without its help: it ends at the first empty line (the status
 * line never is one) within HTTP_HEADER_MAX bytes.
 */
static void
shape(const char *s, size_t len, struct shape *sh)
{
	const char	*l;
	size_t		 pos = 0, ll;

	memset(sh, 0, sizeof(*sh));
	if (len > HTTP_HEADER_MAX)
		len = HTTP_HEADER_MAX;
	while ((l = line(s, len, &pos, &ll)) != NULL) {
		if (ll == 0) {
			sh->bodyoff = pos;
			return;
		}
		if (name_is(l, ll, "Transfer-Encoding"))
			sh->framing = FRAME_CHUNKED;
		else if (name_is(l, ll, "Content-Length") &&
		    sh->framing != FRAME_CHUNKED) {
			sh->framing = FRAME_LENGTH;
			sh->length = decimal(l + 15, ll - 15);
		}
	}
	abort();	/* DONE without the end of the headers */
}

/* The chunked body is the chunk data, in order, with framing between. */
static int
subsequence(const char *b, size_t blen, const char *s, size_t len)
{
	size_t	 i, j = 0;

	for (i = 0; i < len && j < blen; i++)
		if (s[i] == b[j])
			j++;
	return j == blen;
}

static void
check_done(const struct http_response *r, const char *s, size_t len,
    int eof)
{
	struct shape	 sh;

	if (r->status != 200 || r->body == NULL || r->len > STS_POLICY_MAX ||
	    r->body[r->len] != '\0')
		abort();
	shape(s, len, &sh);
	if (sh.bodyoff > len)
		abort();
	switch (sh.framing) {
	case FRAME_CLOSE:
		/* Until the close, so only then, and all of it. */
		if (!eof || r->len != len - sh.bodyoff ||
		    memcmp(r->body, s + sh.bodyoff, r->len) != 0)
			abort();
		break;
	case FRAME_LENGTH:
		if (r->len != sh.length || len - sh.bodyoff < r->len ||
		    memcmp(r->body, s + sh.bodyoff, r->len) != 0)
			abort();
		break;
	case FRAME_CHUNKED:
		/* At least "0", an empty line and an LF per chunk. */
		if (len - sh.bodyoff < r->len + 3 ||
		    !subsequence(r->body, r->len, s + sh.bodyoff,
		    len - sh.bodyoff))
			abort();
		break;
	}
}

/*
 * One call on an exact-size copy of the first len bytes.  The
 * response r may hold the body of an earlier call, as in fetch.c,
 * which the parser frees; it is left for the caller to free.
 */
static int
parse(const uint8_t *data, size_t len, int eof, struct http_response *r)
{
	char	 err[STS_ERR_MAX];
	char	*s;
	int	 st;

	if ((s = malloc(len == 0 ? 1 : len)) == NULL)
		abort();
	if (len > 0)
		memcpy(s, data, len);
	memset(err, 0x01, sizeof(err));	/* so that an unset error shows */
	st = http_parse(s, len, eof, r, err, sizeof(err));
	switch (st) {
	case HTTP_DONE:
		check_done(r, s, len, eof);
		break;
	case HTTP_MORE:
		if (eof || r->body != NULL || r->len != 0)
			abort();
		break;
	case HTTP_ERROR:
		check_err(err, sizeof(err));
		if (r->body != NULL || r->len != 0)
			abort();
		break;
	default:
		abort();
	}
	free(s);
	return st;
}

static int
same_body(const struct http_response *a, const struct http_response *b)
{
	return a->len == b->len && memcmp(a->body, b->body, a->len) == 0;
}

/* xorshift64*, seeded from the input so that a crash replays. */
static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ULL;
}

/*
 * The same bytes fed to one parser in pieces of random size, each
 * call on an exact-size copy of the prefix (the buffer may move
 * between calls), the close coming with the last piece or after it.
 * Each answer is the one a fresh parse of that prefix gives, with the
 * same body or the same error text; after HTTP_DONE or HTTP_ERROR the
 * parser is spent.
 */
static void
incremental(const uint8_t *data, size_t size)
{
	struct http_parser	 p;
	struct http_response	 ri, r1;
	char			 erri[STS_ERR_MAX], err1[STS_ERR_MAX];
	uint64_t		 x = 0x9e3779b97f4a7c15ULL;
	size_t			 i, n = 0, max;
	char			*s;
	int			 sti = HTTP_MORE, st1, eof = 0, last = 0;

	for (i = 0; i < size; i++)
		x = (x ^ data[i]) * 0x100000001b3ULL;
	if (x == 0)
		x = 1;
	/* Small inputs byte by byte or so, big ones in about 16 pieces. */
	max = 1 + size / 16;
	memset(&ri, 0, sizeof(ri));
	memset(&r1, 0, sizeof(r1));
	http_parser_init(&p);
	while (sti == HTTP_MORE && !last) {
		if (n == size) {
			eof = 1;
			last = 1;
		} else {
			n += 1 + rnd(&x) % max;
			if (n > size)
				n = size;
			if (n == size && rnd(&x) % 2)
				eof = last = 1;
		}
		if ((s = malloc(n == 0 ? 1 : n)) == NULL)
			abort();
		if (n > 0)
			memcpy(s, data, n);
		memset(erri, 0x01, sizeof(erri));
		memset(err1, 0x02, sizeof(err1));
		sti = http_parser_feed(&p, s, n, eof, &ri, erri, sizeof(erri));
		st1 = http_parse(s, n, eof, &r1, err1, sizeof(err1));
		if (sti != st1)
			abort();
		if (sti == HTTP_DONE && (ri.status != 200 ||
		    ri.body[ri.len] != '\0' || !same_body(&ri, &r1)))
			abort();
		if (sti == HTTP_ERROR && (strcmp(erri, err1) != 0 ||
		    ri.body != NULL))
			abort();
		if (sti == HTTP_MORE && (ri.body != NULL || ri.len != 0))
			abort();
		if (sti != HTTP_MORE) {
			/* Spent: it says so, and gives no body. */
			if (http_parser_feed(&p, s, n, 1, &ri, erri,
			    sizeof(erri)) != HTTP_ERROR || ri.body != NULL)
				abort();
			check_err(erri, sizeof(erri));
		}
		free(s);
		http_response_free(&r1);
	}
	if (sti == HTTP_MORE)
		abort();	/* the close always settles it */
	/* Each byte is looked at a bounded number of times. */
	if (p.hp_examined > 4 * size + 64)
		abort();
	http_parser_free(&p);
	http_response_free(&ri);
}

/*
 * A response of a head, n bytes of 'a' and a tail.  The length of the
 * body goes to *blen when it is parsed.
 */
static int
sized(const char *head, size_t n, const char *tail, int eof, size_t *blen)
{
	struct http_response	 r;
	uint8_t			*buf;
	size_t			 hl = strlen(head), tl = strlen(tail);
	int			 st;

	if ((buf = malloc(hl + n + tl)) == NULL)
		abort();
	memcpy(buf, head, hl);
	memset(buf + hl, 'a', n);
	memcpy(buf + hl + n, tail, tl);
	memset(&r, 0, sizeof(r));
	st = parse(buf, hl + n + tl, eof, &r);
	*blen = r.len;
	http_response_free(&r);
	free(buf);
	return st;
}

/*
 * libFuzzer rarely makes inputs near the limits, so they are checked
 * once here: a body of exactly STS_POLICY_MAX bytes passes however it
 * is framed and one more fails, and a header section passes when it
 * ends on the last of HTTP_HEADER_MAX bytes.
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char	 ok[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\n";
	char			 head[256];
	size_t			 n, len, hl;
	int			 want;

	(void)argc;
	(void)argv;
	for (n = STS_POLICY_MAX; n <= STS_POLICY_MAX + 1; n++) {
		want = n == STS_POLICY_MAX ? HTTP_DONE : HTTP_ERROR;
		(void)snprintf(head, sizeof(head),
		    "%sContent-Length: %zu\r\n\r\n", ok, n);
		if (sized(head, n, "", 0, &len) != want || len != (want ==
		    HTTP_DONE ? n : 0))
			abort();
		(void)snprintf(head, sizeof(head), "%s\r\n", ok);
		if (sized(head, n, "", 1, &len) != want || len != (want ==
		    HTTP_DONE ? n : 0))
			abort();
		(void)snprintf(head, sizeof(head),
		    "%sTransfer-Encoding: chunked\r\n\r\n%zx\r\n", ok, n);
		if (sized(head, n, "\r\n0\r\n\r\n", 0, &len) != want ||
		    len != (want == HTTP_DONE ? n : 0))
			abort();
	}

	/* A header line up to the limit, without and with its end. */
	(void)snprintf(head, sizeof(head), "%sX: ", ok);
	hl = strlen(head);
	if (sized(head, HTTP_HEADER_MAX - hl - 1, "", 0, &len) !=
	    HTTP_MORE ||
	    sized(head, HTTP_HEADER_MAX - hl, "", 0, &len) != HTTP_ERROR ||
	    sized(head, HTTP_HEADER_MAX - hl - 4, "\r\n\r\nbody", 1,
	    &len) != HTTP_DONE || len != 4 ||
	    sized(head, HTTP_HEADER_MAX - hl - 3, "\r\n\r\nbody", 1,
	    &len) != HTTP_ERROR)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response	 first, whole, part;
	struct shape		 sh;
	size_t			 cut[NSPLIT];
	size_t			 i, end;
	int			 st, st0;

	memset(&first, 0, sizeof(first));
	memset(&whole, 0, sizeof(whole));
	memset(&part, 0, sizeof(part));

	/* Whole, the peer still there, then the peer gone. */
	st0 = parse(data, size, 0, &first);
	st = parse(data, size, 1, &whole);
	if (st0 == HTTP_DONE &&
	    (st != HTTP_DONE || !same_body(&first, &whole)))
		abort();
	http_response_free(&first);

	/*
	 * Prefixes that end at the header section's end or just around
	 * it, at the end of a Content-Length body, and at fixed
	 * fractions.  More bytes never undo a DONE nor change the body.
	 */
	memset(&sh, 0, sizeof(sh));
	if (st == HTTP_DONE)
		shape((const char *)data, size, &sh);
	end = sh.bodyoff + sh.length;
	cut[0] = sh.bodyoff;
	cut[1] = sh.bodyoff + 1;
	cut[2] = sh.bodyoff > 0 ? sh.bodyoff - 1 : 0;
	cut[3] = end;
	cut[4] = end > 0 ? end - 1 : 0;
	cut[5] = size / 2;
	cut[6] = size > 0 ? size - 1 : 0;
	cut[7] = size > 0 ? data[0] % size : 0;
	for (i = 0; i < NSPLIT; i++) {
		if (cut[i] > size)
			continue;
		if (parse(data, cut[i], 0, &part) == HTTP_DONE) {
			if (st != HTTP_DONE || !same_body(&part, &whole))
				abort();
			/* Content-Length: done once the body is in. */
			if (sh.framing == FRAME_LENGTH && cut[i] < end)
				abort();
		} else if (sh.framing == FRAME_LENGTH && cut[i] >= end)
			abort();
	}
	http_response_free(&part);
	http_response_free(&whole);
	incremental(data, size);
	return 0;
}
