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


#include <string.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The requests of the daemon's sockets, framed and read without any
 * I/O, so that what a local client sends can be fuzzed as it is
 * parsed (regress/fuzz/fuzz_netstring.c, fuzz_exim.c).
 */

/* A netstring holding "name key": the name is not used. */
static int
socketmap_next(const char *buf, size_t len, const char **key,
    size_t *keylen, size_t *used)
{
	const char	*p, *sp;
	size_t		 plen;
	int		 r;

	if ((r = netstring_parse(buf, len, SOCKETMAP_MAX, used, &p,
	    &plen)) != 1)
		return r == 0 ? PROTO_MORE : PROTO_BAD;
	if ((sp = memchr(p, ' ', plen)) == NULL || sp == p)
		return PROTO_BAD;
	*key = sp + 1;
	*keylen = plen - (size_t)(sp + 1 - p);
	return PROTO_REQ;
}

/*
 * How long a line may be: a domain's, or an event for TLS reporting
 * (rptfront.c), which names a domain, a host and what happened.
 */
size_t
proto_exim_max(const char *buf, size_t len)
{
	return len >= 7 && memcmp(buf, "tlsrpt ", 7) == 0 ? EXIM_EVENT_MAX :
	    EXIM_LINE_MAX;
}

/* A line ending in LF or CRLF; at the end, what is left without one. */
static int
exim_next(const char *buf, size_t len, int eof, const char **key,
    size_t *keylen, size_t *used)
{
	const char	*lf;
	size_t		 n, max = proto_exim_max(buf, len);

	if ((lf = memchr(buf, '\n', len)) == NULL) {
		if (len > max)
			return PROTO_BAD;
		if (!eof || len == 0)
			return PROTO_MORE;
		*key = buf;
		*keylen = *used = len;
		return PROTO_REQ;
	}
	n = (size_t)(lf - buf);
	*used = n + 1;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n > max)
		return PROTO_BAD;
	*key = buf;
	*keylen = n;
	return PROTO_REQ;
}

/*
 * The next request in the len bytes at buf, eof when no more will
 * come: PROTO_REQ with its key (not NUL-terminated) and the bytes it
 * used, PROTO_MORE when more bytes are needed (at eof: what is left is
 * no request), PROTO_BAD when the input breaks the protocol.  A
 * request is never longer than PROTO_REQ_MAX bytes.
 */
int
proto_next(enum proto proto, const char *buf, size_t len, int eof,
    const char **key, size_t *keylen, size_t *used)
{
	if (proto == PROTO_SOCKETMAP)
		return socketmap_next(buf, len, key, keylen, used);
	return exim_next(buf, len, eof, key, keylen, used);
}

/*
 * What a key asks: 0 for a domain, normalized into norm (at least
 * DNS_NAME_MAX + 1 bytes), 1 for an address literal, -1 for anything
 * else.
 */
int
proto_key(const char *key, size_t keylen, char *norm, size_t normsz)
{
	char	 dom[DNS_NAME_MAX + 2];

	if (keylen >= sizeof(dom) || memchr(key, '\0', keylen) != NULL)
		return -1;
	memcpy(dom, key, keylen);
	dom[keylen] = '\0';
	return domain_normalize(dom, norm, normsz);
}
