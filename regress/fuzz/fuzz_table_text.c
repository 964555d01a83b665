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
 * libFuzzer target for the smtpd 7.6+ side of "filter-mtasts table"
 * (tableproto.c table_text_line()): the smtpd-tables(7) text protocol.
 * The first input byte says how many of the next bytes are a script
 * of the filter's answers (tablestub.c stub_ask()); the rest is lines
 * from smtpd.  What goes back to smtpd must be one line of the
 * protocol, whatever the filter answered; anything else calls abort().
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "mtasts.h"
#include "tablestub.h"

#define REGISTER	"register|domain\nregister|relayhost\nregister|ready\n"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
printable(const char *s, size_t len)
{
	for (; len > 0; s++, len--)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* OP-result|ID|REST: REST is found, not-found, found|VALUE, error|MSG. */
static void
check_result(const char *out)
{
	const char	*id, *rest;
	size_t		 len = strlen(out);

	if (len == 0 || out[len - 1] != '\n' ||
	    memchr(out, '\n', len - 1) != NULL)
		abort();
	if (strncmp(out, "update-result|", 14) == 0 ||
	    strncmp(out, "fetch-result|", 13) == 0)
		return;
	if (strncmp(out, "check-result|", 13) == 0)
		id = out + 13;
	else if (strncmp(out, "lookup-result|", 14) == 0)
		id = out + 14;
	else
		abort();
	if ((rest = strchr(id, '|')) == NULL)
		abort();
	rest++;
	len = strlen(rest) - 1;
	if (!printable(rest, len))
		abort();
	if (strncmp(rest, "not-found\n", 10) == 0 ||
	    (strncmp(rest, "error|", 6) == 0 && len > 6))
		return;
	if (id == out + 13 && strcmp(rest, "found\n") == 0)
		return;
	if (id == out + 14 && strncmp(rest, "found|", 6) == 0 && len > 6)
		return;
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stub_script	 sc;
	struct table_text	 t;
	const uint8_t		*p, *nl;
	char			*line, *out;
	size_t			 len, n;
	int			 was_ready, r;

	if (size == 0)
		return 0;
	n = data[0] % 16;
	if (n > size - 1)
		n = size - 1;
	memset(&sc, 0, sizeof(sc));
	sc.p = data + 1;
	sc.len = n;
	memset(&t, 0, sizeof(t));
	if ((out = malloc(TABLE_TEXT_OUT)) == NULL)
		abort();
	for (p = data + 1 + n; p < data + size; p += len + 1) {
		nl = memchr(p, '\n', data + size - p);
		len = (nl != NULL ? nl : data + size) - p;
		/* Exact size, so ASan sees any read past the end. */
		if ((line = malloc(len + 1)) == NULL)
			abort();
		memcpy(line, p, len);
		line[len] = '\0';
		was_ready = t.ready;
		r = table_text_line(&t, line, stub_ask, &sc, out,
		    TABLE_TEXT_OUT);
		if (r != 0 && r != -1)
			abort();
		if (r == 0 && !was_ready) {
			if (t.ready ? strcmp(out, REGISTER) != 0 :
			    out[0] != '\0')
				abort();
		} else if (r == 0 && out[0] != '\0')
			check_result(out);
		free(line);
		if (r == -1)
			break;		/* table.c exits */
	}
	free(out);
	return 0;
}
