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
 * libFuzzer target for the table server's line handler (tableproto.c
 * tablesrv_answer()), which answers whatever a client of the table
 * socket sends.  The input is split into lines at LF, as tablesrv.c
 * reads them; verdicts come from tablestub.c.  Every answer must be
 * one printable line of the protocol; anything else calls abort().
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "mtasts.h"
#include "tablestub.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
check_answer(const char *line, const char *out)
{
	int	 check = starts(line, "check "), relay = starts(line,
		    "relayhost ");

	if (!stub_one_line(out, TABLE_LINE_MAX))
		abort();
	if (!check && !relay) {
		if (strcmp(out, "error malformed request\n") != 0)
			abort();
		return;
	}
	if (strcmp(out, "not-found\n") == 0 || starts(out, "error "))
		return;
	if (check && strcmp(out, "found\n") == 0)
		return;
	if (relay && starts(out, "found smtp+tls://") &&
	    strcmp(out + strlen(out) - 4, ":25\n") == 0)
		return;
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*p = data, *nl;
	char		*line, out[TABLE_LINE_MAX];
	size_t		 len;

	while (p < data + size) {
		nl = memchr(p, '\n', data + size - p);
		len = (nl != NULL ? nl : data + size) - p;
		/* Exact size, so ASan sees any read past the end. */
		if ((line = malloc(len + 1)) == NULL)
			abort();
		memcpy(line, p, len);
		line[len] = '\0';
		memset(out, 0xa5, sizeof(out));
		tablesrv_answer(stub_vc, line, out, sizeof(out));
		check_answer(line, out);
		free(line);
		p += len + 1;
	}
	return 0;
}
