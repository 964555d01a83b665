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


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mtasts.h"

/*
 * The HTTP/1.1 response to the policy GET, under RFC 8461 3.3: status
 * 200 only (no redirect is followed), media type text/plain, and a
 * body of at most STS_POLICY_MAX bytes however it is framed (length,
 * chunked or until close).  A body cut short is an error, never a
 * policy made of its prefix.
 *
 * A hostile server may send its answer a byte at a time, so the parser
 * resumes where it stopped: the search for a line end goes on from
 * where the last one gave up, a line is parsed once it is complete,
 * chunk data is copied once it is all there.  Each byte is looked at a
 * bounded number of times however the response is cut into reads.
 */

enum {
	HP_STATUS,		/* the status line */
	HP_HEADERS,		/* field lines, up to the empty line */
	HP_BODY,		/* Content-Length or until the close */
	HP_CHUNK_SIZE,		/* a chunk size line */
	HP_CHUNK_DATA,		/* hp_length bytes, then CRLF or LF */
	HP_CHUNK_LF,		/* the LF that ends the chunk data */
	HP_TRAILER,		/* trailer lines, up to the empty line */
	HP_SPENT		/* HTTP_DONE or HTTP_ERROR was returned */
};

#define HP_STEP		2	/* chunk_step() moved on, beside HTTP_* */

struct view {
	const char	*s;
	size_t		 len;
};

static int
herr(char *err, size_t errsz, const char *fmt, const char *arg)
{
	char	 q[STS_ERR_MAX];

	if (arg != NULL) {
		sts_quote(q, 40, arg, strcspn(arg, "\r\n"));
		(void)snprintf(err, errsz, fmt, q);
	} else
		(void)snprintf(err, errsz, "%s", fmt);
	return HTTP_ERROR;
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static struct view
trim(const char *s, size_t len)
{
	struct view	 v = { s, len };

	while (v.len > 0 && is_ows(v.s[0])) {
		v.s++;
		v.len--;
	}
	while (v.len > 0 && is_ows(v.s[v.len - 1]))
		v.len--;
	return v;
}

static int
view_is(struct view v, const char *lit)
{
	return v.len == strlen(lit) && strncasecmp(v.s, lit, v.len) == 0;
}

/*
 * The next line from hp_pos within the first lim bytes, without CRLF
 * or LF; NULL when it is not complete yet.  The search for its LF goes
 * on from where the last call left it.
 */
static const char *
next_line(struct http_parser *p, const char *s, size_t lim,
    size_t *linelen)
{
	const char	*l = s + p->hp_pos, *nl;

	if (p->hp_scan < p->hp_pos)
		p->hp_scan = p->hp_pos;
	if (p->hp_scan >= lim)
		return NULL;
	if ((nl = memchr(s + p->hp_scan, '\n', lim - p->hp_scan)) == NULL) {
		p->hp_examined += lim - p->hp_scan;
		p->hp_scan = lim;
		return NULL;
	}
	p->hp_examined += nl - (s + p->hp_scan) + 1;
	*linelen = nl - l;
	p->hp_pos = p->hp_scan = nl - s + 1;
	if (*linelen > 0 && l[*linelen - 1] == '\r')
		(*linelen)--;
	/* The line parsers read it once more. */
	p->hp_examined += *linelen;
	return l;
}

static int
parse_status(const char *l, size_t len, char *err, size_t errsz)
{
	int	 status;

	if (len < 12 || strncmp(l, "HTTP/1.", 7) != 0 || l[7] < '0' ||
	    l[7] > '9' || l[8] != ' ' || l[9] < '1' || l[9] > '5' ||
	    l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' ||
	    (len > 12 && l[12] != ' '))
		return herr(err, errsz, "malformed HTTP status line: \"%s\"",
		    l);
	status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (status >= 300 && status < 400 && status != 304) {
		(void)snprintf(err, errsz, "HTTP status %d: redirects are "
		    "not followed (RFC 8461 3.3)", status);
		return HTTP_ERROR;
	}
	if (status != 200) {
		(void)snprintf(err, errsz, "HTTP status %d, not 200", status);
		return HTTP_ERROR;
	}
	return status;
}

static int
parse_length(struct http_parser *p, struct view v, char *err, size_t errsz)
{
	size_t	 n = 0, i;

	if (v.len == 0)
		return herr(err, errsz, "empty Content-Length", NULL);
	for (i = 0; i < v.len; i++) {
		if (v.s[i] < '0' || v.s[i] > '9')
			return herr(err, errsz, "malformed Content-Length",
			    NULL);
		if (n > STS_POLICY_MAX)
			break;
		n = n * 10 + (v.s[i] - '0');
	}
	if (i < v.len || n > STS_POLICY_MAX) {
		(void)snprintf(err, errsz, "Content-Length above the %d-byte "
		    "policy limit", STS_POLICY_MAX);
		return HTTP_ERROR;
	}
	if (p->hp_have_length && p->hp_length != n)
		return herr(err, errsz, "conflicting Content-Length", NULL);
	p->hp_have_length = 1;
	p->hp_length = n;
	return 0;
}

/* RFC 8461 3.3: text/plain; every parameter is ignored. */
static int
parse_type(struct http_parser *p, struct view v, char *err, size_t errsz)
{
	const char	*semi = memchr(v.s, ';', v.len);
	struct view	 mt = trim(v.s, semi ? (size_t)(semi - v.s) : v.len);

	if (p->hp_have_type)
		return herr(err, errsz, "more than one Content-Type", NULL);
	p->hp_have_type = 1;
	if (!view_is(mt, "text/plain"))
		return herr(err, errsz, "Content-Type \"%s\", not text/plain",
		    mt.s);
	return 0;
}

static int
parse_header(struct http_parser *p, const char *l, size_t len, char *err,
    size_t errsz)
{
	const char	*colon;
	struct view	 name, v;

	if (len > 0 && is_ows(l[0]))
		return herr(err, errsz, "folded header line", NULL);
	if ((colon = memchr(l, ':', len)) == NULL || colon == l)
		return herr(err, errsz, "malformed header line: \"%s\"", l);
	/* RFC 9112 5.1: no whitespace between field name and colon. */
	if (is_ows(colon[-1]))
		return herr(err, errsz, "whitespace before ':' in header "
		    "line: \"%s\"", l);
	name.s = l;
	name.len = colon - l;
	v = trim(colon + 1, len - name.len - 1);
	if (view_is(name, "Content-Length"))
		return parse_length(p, v, err, errsz);
	if (view_is(name, "Content-Type"))
		return parse_type(p, v, err, errsz);
	if (view_is(name, "Transfer-Encoding")) {
		if (!view_is(v, "chunked"))
			return herr(err, errsz, "unsupported "
			    "Transfer-Encoding", NULL);
		p->hp_chunked = 1;
	}
	return 0;
}

/* Decoded chunk data; the room doubles so that 1-byte chunks stay cheap. */
static int
body_add(struct http_parser *p, const char *s, size_t len, char *err,
    size_t errsz)
{
	size_t	 cap;
	char	*b;

	if (p->hp_blen + len + 1 > p->hp_bcap) {
		if ((cap = 2 * p->hp_bcap) < p->hp_blen + len + 1)
			cap = p->hp_blen + len + 1;
		if ((b = realloc(p->hp_body, cap)) == NULL)
			return herr(err, errsz, "out of memory", NULL);
		p->hp_body = b;
		p->hp_bcap = cap;
	}
	memcpy(p->hp_body + p->hp_blen, s, len);
	p->hp_blen += len;
	p->hp_body[p->hp_blen] = '\0';
	p->hp_examined += len;
	return 0;
}

/* The body, set even when it is empty, goes to the caller. */
static int
body_done(struct http_parser *p, struct http_response *r, char *err,
    size_t errsz)
{
	if (body_add(p, "", 0, err, errsz) == HTTP_ERROR)
		return HTTP_ERROR;
	r->status = 200;
	r->body = p->hp_body;
	r->len = p->hp_blen;
	p->hp_body = NULL;
	p->hp_blen = p->hp_bcap = 0;
	return HTTP_DONE;
}

static size_t
hex_size(const char *l, size_t len, int *ok)
{
	size_t	 n = 0, i;
	int	 d;

	*ok = 0;
	for (i = 0; i < len && l[i] != ';' && !is_ows(l[i]); i++) {
		if (l[i] >= '0' && l[i] <= '9')
			d = l[i] - '0';
		else if (l[i] >= 'a' && l[i] <= 'f')
			d = l[i] - 'a' + 10;
		else if (l[i] >= 'A' && l[i] <= 'F')
			d = l[i] - 'A' + 10;
		else
			return 0;
		if (n > STS_POLICY_MAX) {
			*ok = 1;
			return n;	/* caller rejects */
		}
		n = n * 16 + d;
	}
	*ok = i > 0;
	return n;
}

/* One step of RFC 9112 7.1, with the policy limit on the decoded size. */
static int
chunk_step(struct http_parser *p, const char *s, size_t len,
    struct http_response *r, char *err, size_t errsz)
{
	const char	*l;
	size_t		 ll, n;
	int		 ok;

	switch (p->hp_state) {
	case HP_CHUNK_SIZE:
		if ((l = next_line(p, s, len, &ll)) == NULL)
			return HTTP_MORE;
		n = hex_size(l, ll, &ok);
		if (!ok)
			return herr(err, errsz, "malformed chunk size", NULL);
		if (n > STS_POLICY_MAX - p->hp_blen) {
			(void)snprintf(err, errsz, "chunked body larger than "
			    "%d bytes", STS_POLICY_MAX);
			return HTTP_ERROR;
		}
		p->hp_length = n;
		p->hp_state = n == 0 ? HP_TRAILER : HP_CHUNK_DATA;
		return HP_STEP;
	case HP_CHUNK_DATA:
		/* The data and the byte after it. */
		if (len - p->hp_pos < p->hp_length + 1)
			return HTTP_MORE;
		if (body_add(p, s + p->hp_pos, p->hp_length, err, errsz) ==
		    HTTP_ERROR)
			return HTTP_ERROR;
		p->hp_pos += p->hp_length;
		if (s[p->hp_pos] == '\r')
			p->hp_pos++;
		p->hp_state = HP_CHUNK_LF;
		return HP_STEP;
	case HP_CHUNK_LF:
		if (p->hp_pos >= len)
			return HTTP_MORE;
		p->hp_examined++;
		if (s[p->hp_pos++] != '\n')
			return herr(err, errsz, "malformed chunk end", NULL);
		p->hp_state = HP_CHUNK_SIZE;
		return HP_STEP;
	default:	/* HP_TRAILER: its fields are ignored */
		if ((l = next_line(p, s, len, &ll)) == NULL)
			return HTTP_MORE;
		if (ll != 0)
			return HP_STEP;
		return body_done(p, r, err, errsz);
	}
}

static int
parse_chunked(struct http_parser *p, const char *s, size_t len, int eof,
    struct http_response *r, char *err, size_t errsz)
{
	int	 st;

	while ((st = chunk_step(p, s, len, r, err, errsz)) == HP_STEP)
		continue;
	if (st == HTTP_MORE && eof)
		return herr(err, errsz, "chunked body cut short", NULL);
	return st;
}

static int
parse_body(struct http_parser *p, const char *s, size_t len, int eof,
    struct http_response *r, char *err, size_t errsz)
{
	size_t	 avail = len - p->hp_pos;

	if (p->hp_chunked)
		return parse_chunked(p, s, len, eof, r, err, errsz);
	if (p->hp_have_length) {
		if (avail < p->hp_length) {
			if (!eof)
				return HTTP_MORE;
			(void)snprintf(err, errsz, "body cut short: %zu of %zu "
			    "bytes", avail, p->hp_length);
			return HTTP_ERROR;
		}
		avail = p->hp_length;
	} else if (avail > STS_POLICY_MAX) {
		(void)snprintf(err, errsz, "body larger than %d bytes",
		    STS_POLICY_MAX);
		return HTTP_ERROR;
	} else if (!eof)
		return HTTP_MORE;
	if (body_add(p, s + p->hp_pos, avail, err, errsz) == HTTP_ERROR)
		return HTTP_ERROR;
	return body_done(p, r, err, errsz);
}

/* The header section lies within the first HTTP_HEADER_MAX bytes. */
static int
parse_headers(struct http_parser *p, const char *s, size_t len, int eof,
    char *err, size_t errsz)
{
	const char	*l;
	size_t		 ll;

	while ((l = next_line(p, s, len > HTTP_HEADER_MAX ? HTTP_HEADER_MAX :
	    len, &ll)) != NULL) {
		if (p->hp_state == HP_STATUS) {
			if (parse_status(l, ll, err, errsz) == HTTP_ERROR)
				return HTTP_ERROR;
			p->hp_state = HP_HEADERS;
			continue;
		}
		if (ll == 0) {
			if (p->hp_chunked && p->hp_have_length)
				return herr(err, errsz, "both Content-Length "
				    "and chunked", NULL);
			if (!p->hp_have_type)
				return herr(err, errsz, "no Content-Type "
				    "(text/plain required)", NULL);
			p->hp_state = p->hp_chunked ? HP_CHUNK_SIZE : HP_BODY;
			return HTTP_DONE;
		}
		if (parse_header(p, l, ll, err, errsz) == HTTP_ERROR)
			return HTTP_ERROR;
	}
	if (len >= HTTP_HEADER_MAX)
		return herr(err, errsz, "response headers too large", NULL);
	if (eof)
		return herr(err, errsz, "connection closed in the response "
		    "headers", NULL);
	return HTTP_MORE;
}

void
http_parser_init(struct http_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->hp_state = HP_STATUS;
}

void
http_parser_free(struct http_parser *p)
{
	free(p->hp_body);
	p->hp_body = NULL;
	p->hp_blen = p->hp_bcap = 0;
}

int
http_parser_feed(struct http_parser *p, const char *s, size_t len, int eof,
    struct http_response *r, char *err, size_t errsz)
{
	int	 st = HTTP_DONE;

	http_response_free(r);
	if (p->hp_state == HP_SPENT)
		return herr(err, errsz, "HTTP parser called after its end",
		    NULL);
	if (len < p->hp_seen) {
		p->hp_state = HP_SPENT;
		return herr(err, errsz, "HTTP input shrank", NULL);
	}
	p->hp_seen = len;
	if (p->hp_state == HP_STATUS || p->hp_state == HP_HEADERS)
		st = parse_headers(p, s, len, eof, err, errsz);
	if (st == HTTP_DONE)
		st = parse_body(p, s, len, eof, r, err, errsz);
	if (st != HTTP_MORE) {
		p->hp_state = HP_SPENT;
		http_parser_free(p);
	}
	return st;
}

int
http_parse(const char *s, size_t len, int eof, struct http_response *r,
    char *err, size_t errsz)
{
	struct http_parser	 p;
	int			 st;

	http_parser_init(&p);
	st = http_parser_feed(&p, s, len, eof, r, err, errsz);
	http_parser_free(&p);
	return st;
}

void
http_response_free(struct http_response *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}
