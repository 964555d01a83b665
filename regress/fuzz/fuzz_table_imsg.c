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
 * libFuzzer target for the smtpd 6.8 side of "filter-mtasts table"
 * (tableproto.c table_imsg_len() and table_imsg()): imsg frames of
 * table API version 2.  The first input byte says how many of the
 * next bytes are a script of the filter's answers (tablestub.c
 * stub_ask()); the rest is a stream of frames, read as table.c reads
 * them.  Each reply must be a frame smtpd can read, and what is
 * logged one printable line; anything else calls abort().
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "mtasts.h"
#include "tablestub.h"

#define PROC_OK		0
#define PROC_OPEN	2
#define PROC_CLOSE	3
#define PROC_UPDATE	4
#define PROC_CHECK	5
#define PROC_LOOKUP	6
#define PROC_FETCH	7
#define RESULT		(TABLE_IMSG_HDR + sizeof(int))

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
printable_line(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static int
result(const struct table_imsg_out *o)
{
	int	 r;

	if (o->len < RESULT)
		abort();
	memcpy(&r, o->buf + TABLE_IMSG_HDR, sizeof(r));
	return r;
}

/* A query's reply: r, and a value only with a lookup that found. */
static void
check_query(uint32_t type, const struct table_imsg_out *o)
{
	const char	*value = (const char *)o->buf + RESULT;
	int		 r = result(o);

	if (r == 1 && type == PROC_LOOKUP) {
		if (o->len <= RESULT + 1 || o->buf[o->len - 1] != '\0' ||
		    strlen(value) != o->len - RESULT - 1 ||
		    !printable_line(value, o->len - RESULT))
			abort();
	} else if (o->len != RESULT || r < -1 || r > 1)
		abort();
	/* An error is logged, and only an error. */
	if (r == -1 ? !printable_line(o->note, sizeof(o->note)) :
	    o->note[0] != '\0')
		abort();
}

static void
check_reply(uint32_t type, int r, const struct table_imsg_out *o)
{
	uint32_t	 htype;
	uint16_t	 hlen;

	if (r == -1) {
		if (o->len != 0 || !printable_line(o->note, sizeof(o->note)))
			abort();
		return;
	}
	if (r == 1) {
		if (type != PROC_CLOSE || o->len != 0)
			abort();
		return;
	}
	if (r != 0 || o->len < TABLE_IMSG_HDR || o->len > sizeof(o->buf))
		abort();
	memcpy(&htype, o->buf, sizeof(htype));
	memcpy(&hlen, o->buf + 4, sizeof(hlen));
	if (htype != PROC_OK || hlen != o->len)
		abort();
	switch (type) {
	case PROC_OPEN:
		if (o->len != TABLE_IMSG_HDR)
			abort();
		break;
	case PROC_UPDATE:
	case PROC_FETCH:
		if (o->len != RESULT || result(o) != (type == PROC_UPDATE))
			abort();
		break;
	case PROC_CHECK:
	case PROC_LOOKUP:
		check_query(type, o);
		return;
	default:
		abort();
	}
	if (o->note[0] != '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stub_script	 sc;
	struct table_imsg_out	 o;
	const uint8_t		*p, *end = data + size;
	uint8_t			*payload;
	uint32_t		 type;
	size_t			 n;
	int			 len, r;

	if (size == 0)
		return 0;
	n = data[0] % 16;
	if (n > size - 1)
		n = size - 1;
	memset(&sc, 0, sizeof(sc));
	sc.p = data + 1;
	sc.len = n;
	for (p = data + 1 + n; end - p >= TABLE_IMSG_HDR; p += len) {
		if ((len = table_imsg_len(p)) < 0 || len > TABLE_IMSG_MAX)
			break;
		memcpy(&type, p, sizeof(type));
		p += TABLE_IMSG_HDR;
		if (end - p < len)
			break;
		/* Exact size, so ASan sees any read past the end. */
		if ((payload = malloc(len ? len : 1)) == NULL)
			abort();
		memcpy(payload, p, len);
		memset(&o, 0xa5, sizeof(o));
		r = table_imsg(type, payload, len, stub_ask, &sc, &o);
		free(payload);
		check_reply(type, r, &o);
		if (r != 0)
			break;
	}
	return 0;
}
