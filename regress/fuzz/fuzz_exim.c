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
 * libFuzzer target for the Exim line requests of the daemon (proto.c):
 * the input is what a client sends before it half-closes, read as a
 * stream of requests as server.c does, and then its tail at the end of
 * input.  Properties that must hold are checked with abort().  The
 * socketmap requests have fuzz_netstring.c.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "fuzzproto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A line: the key is all of it but its LF or CRLF, and not too long. */
static void
check_line(const char *buf, size_t len, const char *key, size_t keylen,
    size_t used)
{
	const char	*k;
	size_t		 kl, u;

	if (used == 0 || used > len || buf[used - 1] != '\n' || key != buf ||
	    keylen > proto_exim_max(buf, len) ||
	    memchr(key, '\n', keylen) != NULL)
		abort();
	if (keylen != used - 1 && (keylen != used - 2 || buf[keylen] != '\r'))
		abort();
	if (keylen == used - 1 && keylen > 0 && buf[keylen - 1] == '\r')
		abort();
	/* the same line at the end of input, and nothing without its LF */
	if (proto_next(PROTO_EXIM, buf, len, 1, &k, &kl, &u) != PROTO_REQ ||
	    k != key || kl != keylen || u != used)
		abort();
	if (proto_next(PROTO_EXIM, buf, used - 1, 0, &k, &kl, &u) !=
	    (used - 1 > proto_exim_max(buf, used - 1) ? PROTO_BAD :
	    PROTO_MORE))
		abort();
}

/* What is left without a LF: more to come, or too long. */
static void
check_rest(const char *buf, size_t len, int r)
{
	const char	*key, *lf;
	size_t		 keylen, used;

	if (r == PROTO_MORE && (len > proto_exim_max(buf, len) ||
	    memchr(buf, '\n', len) != NULL))
		abort();
	if (r == PROTO_BAD) {
		if ((lf = memchr(buf, '\n', len)) == NULL) {
			if (len <= proto_exim_max(buf, len))
				abort();
		} else if ((size_t)(lf - buf) - (lf > buf && lf[-1] == '\r') <=
		    proto_exim_max(buf, len))
			abort();
	}
	if (r != PROTO_MORE)
		return;
	/* at the end of input, the rest is the last request */
	r = proto_next(PROTO_EXIM, buf, len, 1, &key, &keylen, &used);
	if (len == 0 ? r != PROTO_MORE : (r != PROTO_REQ || key != buf ||
	    keylen != len || used != len))
		abort();
	if (r == PROTO_REQ)
		fuzz_check_key(key, keylen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*buf, *key;
	char		*copy;
	size_t		 off = 0, keylen, used;
	int		 r;

	/* An exact-size copy, so ASan sees any read past the end. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	buf = copy;
	for (;;) {
		r = proto_next(PROTO_EXIM, buf + off, size - off, 0, &key,
		    &keylen, &used);
		if (r != PROTO_REQ) {
			check_rest(buf + off, size - off, r);
			break;
		}
		check_line(buf + off, size - off, key, keylen, used);
		fuzz_check_key(key, keylen);
		off += used;
	}
	free(copy);
	return 0;
}
