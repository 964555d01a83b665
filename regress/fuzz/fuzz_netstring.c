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
 * libFuzzer target for the socketmap requests of the daemon: the
 * netstring reader (netstring.c) and the requests framed in them
 * (proto.c), which read what any local client sends.  The input is
 * consumed as a stream of requests, as server.c does; properties that
 * must hold are checked with abort().  The Exim line protocol has
 * fuzz_exim.c.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "fuzzproto.h"

#define MAX	SOCKETMAP_MAX

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The payload is exactly what the length prefix announced. */
static void
check_one(const char *buf, size_t len, size_t used, const char *p,
    size_t plen)
{
	char	 prefix[16];
	size_t	 n;

	if (used > len || plen > MAX || p < buf || p + plen >= buf + used ||
	    buf[used - 1] != ',' || p[-1] != ':')
		abort();
	n = (size_t)(p - 1 - buf);
	if (n == 0 || n >= sizeof(prefix))
		abort();
	memcpy(prefix, buf, n);
	prefix[n] = '\0';
	if (strtoul(prefix, NULL, 10) != plen || (n > 1 && prefix[0] == '0'))
		abort();
}

/*
 * The request in the same bytes: "name key" with a name, else the
 * connection is closed; the same with or without the end of input.
 */
static void
check_request(const char *buf, size_t len, int nr, size_t used,
    const char *p, size_t plen)
{
	const char	*key, *sp;
	size_t		 keylen, used2;
	int		 eof, r;

	for (eof = 0; eof <= 1; eof++) {
		r = proto_next(PROTO_SOCKETMAP, buf, len, eof, &key, &keylen,
		    &used2);
		if (nr == -1 || nr == 0) {
			if (r != (nr == -1 ? PROTO_BAD : PROTO_MORE))
				abort();
			continue;
		}
		sp = memchr(p, ' ', plen);
		if (sp == NULL || sp == p) {
			if (r != PROTO_BAD)
				abort();
			continue;
		}
		if (r != PROTO_REQ || used2 != used || key != sp + 1 ||
		    key + keylen != p + plen || used > PROTO_REQ_MAX)
			abort();
	}
	if (r == PROTO_REQ)
		fuzz_check_key(key, keylen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*buf, *p = NULL;
	char		*copy;
	size_t		 off = 0, used = 0, plen = 0, cut;
	int		 r;

	/* An exact-size copy, so ASan sees any read past the end. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	buf = copy;
	while (off < size) {
		r = netstring_parse(buf + off, size - off, MAX, &used, &p,
		    &plen);
		/* a netstring without "name " is a broken request, and
		 * the next ones are still read as netstrings here */
		check_request(buf + off, size - off, r, used, p, plen);
		if (r == -1)
			break;
		if (r == 0) {
			/* More bytes were needed: no prefix completes early. */
			for (cut = 1; cut < size - off && cut < 32; cut++)
				if (netstring_parse(buf + off, cut, MAX, &used,
				    &p, &plen) == 1)
					abort();
			break;
		}
		check_one(buf + off, size - off, used, p, plen);
		/* A complete netstring is also complete with less after it. */
		if (netstring_parse(buf + off, used, MAX, &used, &p,
		    &plen) != 1)
			abort();
		off += used;
	}
	free(copy);
	return 0;
}
