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


#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "mtasts.h"
#include "fuzzproto.h"

/*
 * A key as server.c reads it (proto_key()): a domain comes out as the
 * key, lower case, without a final dot, and fits a DNS name; an
 * address literal as the key itself; anything else is refused.  The
 * output buffer is exact, so that ASan sees any write past it.
 */
void
fuzz_check_key(const char *key, size_t keylen)
{
	char	*norm;
	size_t	 i, n;
	int	 kind;

	if ((norm = malloc(DNS_NAME_MAX + 1)) == NULL)
		abort();
	memset(norm, 0x01, DNS_NAME_MAX + 1);
	kind = proto_key(key, keylen, norm, DNS_NAME_MAX + 1);
	switch (kind) {
	case 0:
		n = strlen(norm);
		if (n == 0 || n > DNS_NAME_MAX || (n != keylen &&
		    (n + 1 != keylen || key[n] != '.')))
			abort();
		for (i = 0; i < n; i++) {
			if (norm[i] != ((key[i] >= 'A' && key[i] <= 'Z') ?
			    key[i] + 32 : key[i]))
				abort();
			if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-.",
			    norm[i]) == NULL)
				abort();
			if (norm[i] == '.' && (i == 0 || norm[i - 1] == '.'))
				abort();
		}
		break;
	case 1:
		if (keylen < 2 || key[0] != '[' || key[keylen - 1] != ']' ||
		    strlen(norm) != keylen || memcmp(norm, key, keylen) != 0)
			abort();
		break;
	case -1:
		break;
	default:
		abort();
	}
	free(norm);
}
