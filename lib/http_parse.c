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
 * policy made of its prefix.  The whole buffer is parsed again on
 * each call: it is small, and it keeps the parser free of state.
 */

struct hdrs {
	int		 chunked;
	int		 have_length;
	size_t		 length;
	int		 have_type;
};

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

/* The next line, without CRLF or LF; NULL when there is none yet. */
static const char *
next_line(const char *s, size_t len, size_t *pos, size_t *linelen)
{
	const char	*l = s + *pos, *nl;

	if (*pos >= len || (nl = memchr(l, '\n', len - *pos)) == NULL)
		return NULL;
	*linelen = nl - l;
	*pos += *linelen + 1;
	if (*linelen > 0 && l[*linelen - 1] == '\r')
		(*linelen)--;
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
parse_length(struct hdrs *h, struct view v, char *err, size_t errsz)
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
	if (h->have_length && h->length != n)
		return herr(err, errsz, "conflicting Content-Length", NULL);
	h->have_length = 1;
	h->length = n;
	return 0;
}

/* RFC 8461 3.3: text/plain; every parameter is ignored. */
static int
parse_type(struct hdrs *h, struct view v, char *err, size_t errsz)
{
	const char	*semi = memchr(v.s, ';', v.len);
	struct view	 mt = trim(v.s, semi ? (size_t)(semi - v.s) : v.len);

	if (h->have_type)
		return herr(err, errsz, "more than one Content-Type", NULL);
	h->have_type = 1;
	if (!view_is(mt, "text/plain"))
		return herr(err, errsz, "Content-Type \"%s\", not text/plain",
		    mt.s);
	return 0;
}

static int
parse_header(struct hdrs *h, const char *l, size_t len, char *err,
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
		return parse_length(h, v, err, errsz);
	if (view_is(name, "Content-Type"))
		return parse_type(h, v, err, errsz);
	if (view_is(name, "Transfer-Encoding")) {
		if (!view_is(v, "chunked"))
			return herr(err, errsz, "unsupported "
			    "Transfer-Encoding", NULL);
		h->chunked = 1;
	}
	return 0;
}

static int
body_copy(struct http_response *r, const char *s, size_t len, char *err,
    size_t errsz)
{
	char	*b;

	if ((b = realloc(r->body, r->len + len + 1)) == NULL)
		return herr(err, errsz, "out of memory", NULL);
	memcpy(b + r->len, s, len);
	r->len += len;
	b[r->len] = '\0';
	r->body = b;
	return 0;
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

/* RFC 9112 7.1, with the policy limit on the decoded size. */
static int
parse_chunked(struct http_response *r, const char *s, size_t len, int eof,
    char *err, size_t errsz)
{
	const char	*l;
	size_t		 pos = 0, ll, n;
	int		 ok;

	for (;;) {
		if ((l = next_line(s, len, &pos, &ll)) == NULL)
			break;
		n = hex_size(l, ll, &ok);
		if (!ok)
			return herr(err, errsz, "malformed chunk size", NULL);
		if (n > STS_POLICY_MAX - r->len) {
			(void)snprintf(err, errsz, "chunked body larger than "
			    "%d bytes", STS_POLICY_MAX);
			return HTTP_ERROR;
		}
		if (n == 0) {
			while ((l = next_line(s, len, &pos, &ll)) != NULL) {
				if (ll != 0)
					continue;
				/* Set the body even when it is empty. */
				return body_copy(r, s, 0, err, errsz) == 0 ?
				    HTTP_DONE : HTTP_ERROR;
			}
			break;
		}
		if (len - pos < n + 1)
			break;
		if (body_copy(r, s + pos, n, err, errsz) == HTTP_ERROR)
			return HTTP_ERROR;
		pos += n;
		if (s[pos] == '\r')
			pos++;
		if (pos >= len)
			break;
		if (s[pos++] != '\n')
			return herr(err, errsz, "malformed chunk end", NULL);
	}
	if (eof)
		return herr(err, errsz, "chunked body cut short", NULL);
	return HTTP_MORE;
}

static int
parse_body(struct http_response *r, const struct hdrs *h, const char *s,
    size_t len, int eof, char *err, size_t errsz)
{
	if (h->chunked)
		return parse_chunked(r, s, len, eof, err, errsz);
	if (h->have_length) {
		if (len < h->length) {
			if (!eof)
				return HTTP_MORE;
			(void)snprintf(err, errsz, "body cut short: %zu of %zu "
			    "bytes", len, h->length);
			return HTTP_ERROR;
		}
		len = h->length;
	} else if (len > STS_POLICY_MAX) {
		(void)snprintf(err, errsz, "body larger than %d bytes",
		    STS_POLICY_MAX);
		return HTTP_ERROR;
	} else if (!eof)
		return HTTP_MORE;
	if (body_copy(r, s, len, err, errsz) == HTTP_ERROR)
		return HTTP_ERROR;
	return HTTP_DONE;
}

static int
parse_headers(struct hdrs *h, const char *s, size_t len, size_t *bodyoff,
    char *err, size_t errsz)
{
	const char	*l;
	size_t		 pos = 0, ll;
	int		 r;

	if ((l = next_line(s, len, &pos, &ll)) == NULL)
		return HTTP_MORE;
	if ((r = parse_status(l, ll, err, errsz)) == HTTP_ERROR)
		return HTTP_ERROR;
	while ((l = next_line(s, len, &pos, &ll)) != NULL) {
		if (ll == 0) {
			*bodyoff = pos;
			if (h->chunked && h->have_length)
				return herr(err, errsz, "both Content-Length "
				    "and chunked", NULL);
			if (!h->have_type)
				return herr(err, errsz, "no Content-Type "
				    "(text/plain required)", NULL);
			return HTTP_DONE;
		}
		if (parse_header(h, l, ll, err, errsz) == HTTP_ERROR)
			return HTTP_ERROR;
	}
	return HTTP_MORE;
}

int
http_parse(const char *s, size_t len, int eof, struct http_response *r,
    char *err, size_t errsz)
{
	struct hdrs	 h;
	size_t		 off = 0;
	int		 st;

	http_response_free(r);
	memset(&h, 0, sizeof(h));
	st = parse_headers(&h, s, len > HTTP_HEADER_MAX ? HTTP_HEADER_MAX :
	    len, &off, err, errsz);
	if (st == HTTP_MORE) {
		if (len >= HTTP_HEADER_MAX)
			return herr(err, errsz, "response headers too large",
			    NULL);
		if (eof)
			return herr(err, errsz, "connection closed in the "
			    "response headers", NULL);
		return HTTP_MORE;
	}
	if (st == HTTP_ERROR)
		return HTTP_ERROR;
	r->status = 200;
	st = parse_body(r, &h, s + off, len - off, eof, err, errsz);
	if (st != HTTP_DONE)
		http_response_free(r);
	return st;
}

void
http_response_free(struct http_response *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}
