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


#include <stdarg.h>
#include <stdio.h>

#include "mtasts.h"

/* Longest piece of input quoted into a message before it is cut. */
#define QUOTE_MAX	48

void
sts_seterr(struct sts_error *err, size_t where, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL)
		return;
	err->where = where;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/*
 * Quote untrusted bytes into printable ASCII: a backslash and a double
 * quote are escaped, anything outside 0x20-0x7e becomes \xNN, and long
 * input is cut with "...".  Returns the length written, always leaving
 * a NUL-terminated string.
 */
size_t
sts_quote(char *dst, size_t dstsz, const char *src, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0;
	unsigned char		 c;
	char			 tmp[5];
	size_t			 n, k;

	if (dstsz == 0)
		return 0;
	for (i = 0; i < len && i < QUOTE_MAX; i++) {
		c = (unsigned char)src[i];
		n = 0;
		if (c == '\\' || c == '"') {
			tmp[n++] = '\\';
			tmp[n++] = c;
		} else if (c >= 0x20 && c <= 0x7e)
			tmp[n++] = c;
		else {
			tmp[n++] = '\\';
			tmp[n++] = 'x';
			tmp[n++] = hex[c >> 4];
			tmp[n++] = hex[c & 0xf];
		}
		if (o + n + 1 > dstsz)
			break;
		for (k = 0; k < n; k++)
			dst[o++] = tmp[k];
	}
	if (i < len && o + 4 <= dstsz) {
		dst[o++] = '.';
		dst[o++] = '.';
		dst[o++] = '.';
	}
	dst[o] = '\0';
	return o;
}
