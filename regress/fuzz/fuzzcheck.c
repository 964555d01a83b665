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
