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
 * libFuzzer target for the verdict files of the state directory
 * (lib/vstore.c) that "filter-mtasts exim" answers from: whatever the
 * file holds, an accepted verdict is one printable line, an Exim exit
 * status, and in date at the time given but no later than any verdict
 * can be.  A broken invariant calls abort().
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

#define NOW	1800000000

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf, text[VSTORE_TEXT_MAX];
	size_t	 i;
	int	 status = -1;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if (vstore_parse(buf, size, NOW, text, sizeof(text), &status) == 0) {
		if (status != 0 && status != 75)
			abort();
		if (text[0] == '\0' || strnlen(text, sizeof(text)) ==
		    sizeof(text))
			abort();
		for (i = 0; text[i] != '\0'; i++)
			if ((unsigned char)text[i] < 0x20 ||
			    (unsigned char)text[i] > 0x7e)
				abort();
	}
	free(buf);
	return 0;
}
