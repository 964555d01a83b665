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
 * libFuzzer target for the relay's SMTP server side (relay_smtp.c),
 * the code that reads what smtpd sends the relay and what a remote
 * server's reply becomes.  The input is cut in three by its first
 * bytes: command lines, a DATA stream (scanned in pieces of sizes the
 * input chooses, as reads would cut it) and a reply text with a code.
 * Checked: a parsed path holds no control, space or bracket, its
 * domain is normalised; the DATA scan never passes its input, finds
 * the end exactly where a one-pass search finds it, and the message
 * bytes before it are the input's; a reply is one printable line
 * within RELAY_REPLY_MAX, with a code and an enhanced code of one
 * class.  Any broken one calls abort().
 */

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "mtasts.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_cmds(const char *p, size_t len)
{
	struct relay_path	 rp;
	char			 why[128], norm[DNS_NAME_MAX + 1];
	const char		*lf;
	size_t			 n, i;
	enum relay_cmd		 c;

	while (len > 0) {
		lf = memchr(p, '\n', len);
		n = lf != NULL ? (size_t)(lf - p) : len;
		c = relay_parse_cmd(p, n, &rp, why, sizeof(why));
		if (c == RC_BAD && why[0] == '\0')
			abort();
		if (c == RC_MAIL || c == RC_RCPT) {
			for (i = 0; rp.addr[i] != '\0'; i++)
				if ((unsigned char)rp.addr[i] <= 0x20 ||
				    rp.addr[i] == '<' || rp.addr[i] == '>' ||
				    rp.addr[i] == 0x7f)
					abort();
			if (rp.domain[0] != '\0' && (domain_normalize(rp.domain,
			    norm, sizeof(norm)) != 0 || strcmp(norm,
			    rp.domain) != 0))
				abort();
			for (i = 0; rp.params[i] != '\0'; i++)
				if (rp.params[i] < 0x20 || rp.params[i] > 0x7e)
					abort();
		}
		if (c == RC_RCPT && rp.addr[0] == '\0')
			abort();
		n += lf != NULL;
		p += n;
		len -= n;
	}
}

/* The end marker as one pass over the whole stream finds it. */
static size_t
marker_at(const char *p, size_t len, size_t *mlen)
{
	size_t	 i;
	int	 bol = 1;

	for (i = 0; i < len; i++) {
		if (bol && p[i] == '.') {
			if (i + 1 < len && p[i + 1] == '\n') {
				*mlen = 2;
				return i;
			}
			if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n') {
				*mlen = 3;
				return i;
			}
		}
		bol = p[i] == '\n';
	}
	*mlen = 0;
	return len;
}

static void
check_data(const char *p, size_t len, const uint8_t *cuts, size_t ncuts)
{
	size_t	 off = 0, avail = 0, payload, marker, want, wmlen, k = 0;
	int	 bol = 1, end = 0;

	want = marker_at(p, len, &wmlen);
	/* reads bring a few bytes more each time; what is kept waits */
	while (!end && off < len) {
		avail += ncuts > 0 ? 1 + cuts[k++ % ncuts] % 64 : len;
		if (off + avail > len)
			avail = len - off;
		end = relay_data_scan(p + off, avail, &bol, &payload, &marker);
		if (payload > avail || (end && payload + marker > avail) ||
		    (!end && marker != 0))
			abort();
		off += payload + marker;
		avail -= payload + marker;
		if (end) {
			if (off - marker != want || marker != wmlen)
				abort();
		} else if (off + avail == len && payload == 0 && avail > 2)
			abort();	/* stuck with enough to decide */
		if (off + avail == len && !end && payload == 0)
			break;
	}
	if (!end && wmlen != 0)
		abort();
}

static void
check_reply(const uint8_t *p, size_t len)
{
	char		 text[600], out[RELAY_REPLY_MAX];
	size_t		 n, i;
	int		 code;
	unsigned	 allowed;

	if (len < 3)
		return;
	code = p[0] * 3;	/* 0 to 765: in and out of range */
	allowed = p[1];
	n = len - 2 < sizeof(text) - 1 ? len - 2 : sizeof(text) - 1;
	memcpy(text, p + 2, n);
	text[n] = '\0';
	relay_reply_format(code, text, (p[1] & 1) ? "mx.example" : "",
	    allowed, out, sizeof(out));
	if (strlen(out) >= sizeof(out) || strlen(out) < 10)
		abort();
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			abort();
	if (!isdigit((unsigned char)out[0]) || out[0] < '2' || out[0] > '5' ||
	    !isdigit((unsigned char)out[1]) || !isdigit((unsigned char)out[2]) ||
	    out[3] != ' ' || out[4] != out[0] || out[5] != '.')
		abort();
	code = atoi(out);
	if (!(allowed & (1u << (code / 100))) && code != 451)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	 a, b;

	if (size < 2)
		return 0;
	a = data[0] % (size - 1);
	b = data[1] % (size - 1 - a + 1);
	data += 2;
	size -= 2;
	if (a > size)
		a = size;
	if (b > size - a)
		b = size - a;
	check_cmds((const char *)data, a);
	check_data((const char *)data + a, b, data, a);
	check_reply(data + a + b, size - a - b);
	return 0;
}
