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
 * libFuzzer target for the SMTP reply parser (smtp_reply.c), the
 * code that reads whatever an MX host sends.  The input is a stream
 * of lines, as a server would send them; each reply, done or failed,
 * is followed by the next, as pipelined replies are.  Checked: a done
 * reply has a valid code and at most SMTP_REPLY_LINES lines, its text
 * is printable and bounded and holds one LF fewer than it has lines
 * (unless cut); errors say why in printable text; the EHLO keywords
 * read from any reply are sane.  Any broken one calls abort().
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define EXT_ALL	(SMTP_EXT_STARTTLS | SMTP_EXT_PIPELINING | \
		SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 | SMTP_EXT_SIZE | \
		SMTP_EXT_DSN | SMTP_EXT_ENHANCED | SMTP_EXT_CHUNKING | \
		SMTP_EXT_REQUIRETLS)

static void
check_text(const char *s, size_t len, size_t max, int lf_ok)
{
	size_t	 i;

	if (len >= max || strlen(s) != len)
		abort();
	for (i = 0; i < len; i++)
		if ((s[i] < 0x20 || s[i] > 0x7e) && !(lf_ok && s[i] == '\n'))
			abort();
}

static void
check_done(const struct smtp_reply *r)
{
	struct smtp_ehlo	 e;
	size_t			 i, lf = 0;

	if (r->code < 200 || r->code > 559 || r->code / 10 % 10 > 5 ||
	    r->nlines == 0 || r->nlines > SMTP_REPLY_LINES || !r->done)
		abort();
	check_text(r->text, r->len, sizeof(r->text), 1);
	for (i = 0; i < r->len; i++)
		lf += r->text[i] == '\n';
	if (!r->truncated && lf != r->nlines - 1)
		abort();
	if (r->truncated && r->len != sizeof(r->text) - 1 &&
	    r->len != sizeof(r->text) - 2)
		abort();
	smtp_ehlo_parse(r, &e);
	if ((e.ext & ~EXT_ALL) != 0 || (e.size != 0 &&
	    !(e.ext & SMTP_EXT_SIZE)))
		abort();
	check_text(e.name, strlen(e.name), sizeof(e.name), 0);
	if (strchr(e.name, ' ') != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtp_reply r;
	const char	*p = (const char *)data, *end = p + size, *nl;
	char		 err[STS_ERR_MAX];
	int		 st;

	smtp_reply_init(&r);
	while (p < end && (nl = memchr(p, '\n', end - p)) != NULL) {
		err[0] = '\0';
		st = smtp_reply_line(&r, p, nl - p, err, sizeof(err));
		p = nl + 1;
		switch (st) {
		case SMTP_MORE:
			if (r.done || r.nlines == 0 ||
			    r.nlines > SMTP_REPLY_LINES)
				abort();
			continue;
		case SMTP_DONE:
			check_done(&r);
			break;
		case SMTP_ERROR:
			if (err[0] == '\0' || !r.done)
				abort();
			check_text(err, strlen(err), sizeof(err), 0);
			if (smtp_reply_line(&r, "250 x", 5, err, sizeof(err)) !=
			    SMTP_ERROR)
				abort();
			break;
		default:
			abort();
		}
		smtp_reply_init(&r);
	}
	return 0;
}
