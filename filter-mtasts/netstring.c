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


#include <stddef.h>

#include "extern.h"

/*
 * Netstrings (D. J. Bernstein; socketmap_table(5)): "LEN:BYTES,"
 * with LEN in decimal, no sign, no leading zero except "0".
 * Returns 1 with the payload when one is complete, 0 when more bytes
 * are needed, -1 when the input can never become a valid netstring
 * of at most max bytes.
 */
int
netstring_parse(const char *buf, size_t len, size_t max, size_t *used,
    const char **payload, size_t *plen)
{
	size_t	 i, n = 0;

	for (i = 0; i < len && buf[i] != ':'; i++) {
		if (buf[i] < '0' || buf[i] > '9' || (i == 1 && buf[0] == '0'))
			return -1;
		n = n * 10 + (buf[i] - '0');
		if (n > max || i > 9)
			return -1;
	}
	if (i == len)
		return 0;
	if (i == 0)
		return -1;
	if (len - i - 1 < n + 1)
		return 0;
	if (buf[i + 1 + n] != ',')
		return -1;
	*payload = buf + i + 1;
	*plen = n;
	*used = i + 1 + n + 1;
	return 1;
}
