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
 * The relay's SMTP server side without I/O (relay_smtp.c): the
 * commands smtpd sends, the end of a DATA stream however reads cut it,
 * and what a remote server's reply becomes before smtpd reads it.
 */

#include <stdio.h>
#include <string.h>

#include "mtasts.h"
#include "extern.h"
#include "regress.h"

static void
cmd(const char *line, enum relay_cmd want, const char *addr,
    const char *domain, const char *params)
{
	struct relay_path	 p;
	char			 why[128];
	enum relay_cmd		 c;

	c = relay_parse_cmd(line, strlen(line), &p, why, sizeof(why));
	regress_check(c == want && (addr == NULL || strcmp(p.addr, addr) ==
	    0) && (domain == NULL || strcmp(p.domain, domain) == 0) &&
	    (params == NULL || strcmp(p.params, params) == 0),
	    "command: %s", line);
	if (c != want)
		regress_diag("got %d, want %d (%s)", c, want, why);
	else if (addr != NULL && (strcmp(p.addr, addr) != 0 ||
	    (domain != NULL && strcmp(p.domain, domain) != 0)))
		regress_diag("addr '%s' domain '%s' params '%s'", p.addr,
		    p.domain, p.params);
}

static void
commands(void)
{
	cmd("MAIL FROM:<a@b.example> BODY=8BITMIME", RC_MAIL, "a@b.example",
	    "b.example", "BODY=8BITMIME");
	cmd("MAIL FROM:<>", RC_MAIL, "", "", "");
	cmd("mail from: <a@b.example>", RC_MAIL, "a@b.example", NULL, "");
	cmd("RCPT TO:<x@Example.ORG.>", RC_RCPT, "x@Example.ORG.",
	    "example.org", "");
	cmd("RCPT TO:<x@[192.0.2.1]>", RC_RCPT, "x@[192.0.2.1]", "", NULL);
	cmd("RCPT TO:<postmaster>", RC_RCPT, "postmaster", "", NULL);
	cmd("RCPT TO:<>", RC_BAD, NULL, NULL, NULL);
	cmd("RCPT TO:<a b@c.example>", RC_BAD, NULL, NULL, NULL);
	cmd("RCPT TO:<@relay.example:a@c.example>", RC_BAD, NULL, NULL, NULL);
	cmd("RCPT TO:<a@c.example>x", RC_BAD, NULL, NULL, NULL);
	cmd("RCPT TO:<a@c.example", RC_BAD, NULL, NULL, NULL);
	cmd("RCPT TO:<a@c.example> NOTIFY=\x01", RC_BAD, NULL, NULL, NULL);
	cmd("RCPT TO:<a@c.example>\r250 ok", RC_BAD, NULL, NULL, NULL);
	cmd("EHLO mail.example.org", RC_EHLO, NULL, NULL, "mail.example.org");
	cmd("EHLO", RC_BAD, NULL, NULL, NULL);
	cmd("DATA", RC_DATA, NULL, NULL, NULL);
	cmd("DATAX", RC_OTHER, NULL, NULL, NULL);
	cmd("VRFY root", RC_OTHER, NULL, NULL, NULL);
	cmd("STARTTLS", RC_OTHER, NULL, NULL, NULL);
	cmd("quit", RC_QUIT, NULL, NULL, NULL);
}

/* The stream cut into reads of n bytes; what is kept waits for more. */
static void
scan(const char *what, const char *s, size_t n, size_t want_msg,
    int want_end)
{
	size_t	 len = strlen(s), off = 0, avail = 0, payload, marker;
	size_t	 msg = 0;
	int	 bol = 1, end = 0;

	while (!end && off + avail < len) {
		avail += n;
		if (off + avail > len)
			avail = len - off;
		end = relay_data_scan(s + off, avail, &bol, &payload, &marker);
		msg += payload;
		off += payload + marker;
		avail -= payload + marker;
	}
	regress_check(msg == want_msg && end == want_end, "data: %s, reads "
	    "of %zu", what, n);
	if (msg != want_msg || end != want_end)
		regress_diag("message %zu bytes, end %d", msg, end);
}

static void
data(void)
{
	static const char *m = "Subject: x\r\n\r\n..leading dot\r\n.\r\n";
	size_t	 n;

	for (n = 1; n <= 40; n += 3) {
		scan("CRLF", m, n, strlen(m) - 3, 1);
		scan("bare LF end", "a\n.\n", n, 2, 1);
		scan("dot inside a line", "a.\r\n.x\r\n", n, 8, 0);
		scan("\".\\r\" then data", "a\r\n.\rb\r\n.\r\n", n, 8, 1);
	}
	scan("nothing but the end", ".\r\n", 3, 0, 1);
	scan("a dot left for later", "a\r\n.", 4, 3, 0);
}

static void
reply(int code, const char *text, const char *prefix, const char *want)
{
	char	 out[RELAY_REPLY_MAX];

	relay_reply_format(code, text, prefix, 1u << 2 | 1u << 4 | 1u << 5,
	    out, sizeof(out));
	regress_check(strcmp(out, want) == 0, "reply: %s", want);
	if (strcmp(out, want) != 0)
		regress_diag("got '%s'", out);
}

static void
replies(void)
{
	char	 big[2000], out[RELAY_REPLY_MAX];

	reply(250, "2.1.5 ok", "mx.example", "250 2.1.5 mx.example: ok");
	reply(250, "ok", "", "250 2.0.0 ok");
	reply(550, "5.1.1 no\nsuch user\x01", "", "550 5.1.1 no such user");
	reply(450, "5.1.1 wrong class", "", "450 4.0.0 5.1.1 wrong class");
	reply(452, "4.5.3", "mx", "452 4.5.3 mx");
	reply(354, "go ahead", "mx", "451 4.0.0 mx: unexpected reply 354");
	reply(199, "x", "", "451 4.0.0 unexpected reply 199");
	reply(250, "ok\r\n250 2.0.0 injected", "",
	    "250 2.0.0 ok 250 2.0.0 injected");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	relay_reply_format(250, big, "mx", 1u << 2, out, sizeof(out));
	regress_check(strlen(out) < RELAY_REPLY_MAX && strchr(out, '\n') ==
	    NULL, "reply: a long text is cut to one line");
}

int
main(void)
{
	commands();
	data();
	replies();
	return regress_exit();
}
