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


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "fuzzcheck.h"

/* Poison the error so that a failure which fills nothing shows. */
void
fuzz_err_init(struct sts_error *err)
{
	err->where = (size_t)-1;
	memset(err->msg, 0x01, sizeof(err->msg));
}

/* Error and warning text goes to logs and JSON as is. */
void
fuzz_check_msg(const struct sts_error *err, size_t maxwhere)
{
	size_t		 i;
	unsigned char	 c;

	if (err->where > maxwhere)
		abort();
	for (i = 0; i < sizeof(err->msg) && err->msg[i] != '\0'; i++) {
		c = err->msg[i];
		if (c < 0x20 || c > 0x7e)
			abort();
	}
	if (i == 0 || i == sizeof(err->msg))
		abort();
}

/*
 * Each RR goes to a buffer of its own, of its exact size, so that
 * ASan sees a read past its end instead of into the next RR.  The
 * last of FUZZ_RR_MAX RRs takes the rest of the input.
 */
static size_t
split(const uint8_t *data, size_t size, struct sts_txt *rrs)
{
	const uint8_t	*p, *end = data + size, *sep;
	char		*copy;
	size_t		 n = 0, len;

	for (p = data; n < FUZZ_RR_MAX; p = sep + 1) {
		sep = n + 1 < FUZZ_RR_MAX ? memchr(p, '\n', end - p) : NULL;
		len = (sep != NULL ? sep : end) - p;
		if ((copy = malloc(len)) == NULL && len > 0)
			abort();
		if (len > 0)
			memcpy(copy, p, len);
		rrs[n].data = copy;
		rrs[n++].len = len;
		if (sep == NULL)
			break;
	}
	return n;
}

void
fuzz_rrset(const uint8_t *data, size_t size,
    void (*one)(const struct sts_txt *),
    void (*set)(const struct sts_txt *, size_t))
{
	struct sts_txt	 rrs[FUZZ_RR_MAX];
	size_t		 i, n;

	n = split(data, size, rrs);
	for (i = 0; i < n; i++)
		one(&rrs[i]);
	set(rrs, n);
	for (i = 0; i < n; i++)
		free((void *)rrs[i].data);
}

/* A valid record is US-ASCII without control characters but HTAB. */
void
fuzz_check_ascii(const char *s, size_t len)
{
	size_t		 i;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = s[i];
		if ((c < 0x20 || c > 0x7e) && c != '\t')
			abort();
	}
}
