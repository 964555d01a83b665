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


#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The relay's SMTP server side without I/O (RFC 5321 4.1): the
 * commands smtpd sends, the end of the message in a stream of DATA,
 * and the one line a remote reply becomes before smtpd reads it.
 * Everything here takes bytes from a peer and is fuzzed
 * (regress/fuzz/fuzz_relay.c).
 */

static const struct {
	const char	*verb;
	enum relay_cmd	 cmd;
} verbs[] = {
	{ "HELO", RC_HELO },
	{ "EHLO", RC_EHLO },
	{ "MAIL", RC_MAIL },
	{ "RCPT", RC_RCPT },
	{ "DATA", RC_DATA },
	{ "RSET", RC_RSET },
	{ "NOOP", RC_NOOP },
	{ "QUIT", RC_QUIT }
};

static int
printable(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e;
}

/*
 * A mailbox between angle brackets, as smtpd writes it: no controls,
 * no spaces, no brackets; bytes above 0x7f pass (SMTPUTF8).  A source
 * route is refused.  Returns the length of "<...>", or 0.
 */
static size_t
path_parse(const char *s, size_t len, char *addr, size_t addrsz)
{
	size_t	 i;

	if (len < 2 || s[0] != '<')
		return 0;
	for (i = 1; i < len && s[i] != '>'; i++) {
		unsigned char c = s[i];

		if (c <= 0x20 || c == 0x7f || c == '<')
			return 0;
	}
	if (i == len || i - 1 >= addrsz || (i > 1 && s[1] == '@'))
		return 0;
	memcpy(addr, s + 1, i - 1);
	addr[i - 1] = '\0';
	return i + 1;
}

/* ESMTP parameters: printable, single-spaced, bounded. */
static int
params_parse(const char *s, size_t len, char *out, size_t outsz)
{
	size_t	 i;

	while (len > 0 && *s == ' ') {
		s++;
		len--;
	}
	if (len >= outsz)
		return -1;
	for (i = 0; i < len; i++)
		if (!printable(s[i]))
			return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* "FROM:" or "TO:", a path, parameters. */
static int
mail_rcpt_parse(const char *arg, size_t len, const char *kw,
    struct relay_path *p, char *why, size_t whysz)
{
	size_t	 kwlen = strlen(kw), n;
	char	*at;

	if (len < kwlen || strncasecmp(arg, kw, kwlen) != 0) {
		(void)snprintf(why, whysz, "syntax: %s<address>", kw);
		return -1;
	}
	arg += kwlen;
	len -= kwlen;
	if (len > 0 && *arg == ' ') {
		arg++;
		len--;
	}
	if ((n = path_parse(arg, len, p->addr, sizeof(p->addr))) == 0) {
		(void)snprintf(why, whysz, "malformed address");
		return -1;
	}
	if (n < len && arg[n] != ' ') {
		(void)snprintf(why, whysz, "malformed address");
		return -1;
	}
	if (params_parse(arg + n, len - n, p->params, sizeof(p->params)) ==
	    -1) {
		(void)snprintf(why, whysz, "malformed parameters");
		return -1;
	}
	p->domain[0] = '\0';
	p->literal = 0;
	if ((at = strrchr(p->addr, '@')) != NULL)
		switch (domain_normalize(at + 1, p->domain,
		    sizeof(p->domain))) {
		case 0:
			break;
		case 1:
			p->literal = 1;
			p->domain[0] = '\0';
			break;
		default:
			p->domain[0] = '\0';
			break;
		}
	return 0;
}

/*
 * One command line, without its line ending: the command and, for
 * MAIL and RCPT, the path.  RC_BAD when malformed (why set); a verb
 * the relay does not serve is RC_OTHER.
 */
enum relay_cmd
relay_parse_cmd(const char *line, size_t len, struct relay_path *p,
    char *why, size_t whysz)
{
	enum relay_cmd	 cmd = RC_OTHER;
	size_t		 i;

	memset(p, 0, sizeof(*p));
	why[0] = '\0';
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t') {
			(void)snprintf(why, whysz, "control character in the "
			    "command");
			return RC_BAD;
		}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (len >= 4 && strncasecmp(line, verbs[i].verb, 4) == 0 &&
		    (len == 4 || line[4] == ' ')) {
			cmd = verbs[i].cmd;
			break;
		}
	if (cmd == RC_OTHER)
		return cmd;
	line += 4;
	len -= 4;
	if (len > 0) {
		line++;
		len--;
	}
	switch (cmd) {
	case RC_HELO:
	case RC_EHLO:
		if (params_parse(line, len, p->params, sizeof(p->params)) ==
		    -1 || p->params[0] == '\0') {
			(void)snprintf(why, whysz, "syntax: EHLO name");
			return RC_BAD;
		}
		return cmd;
	case RC_MAIL:
		if (mail_rcpt_parse(line, len, "FROM:", p, why, whysz) == -1)
			return RC_BAD;
		return cmd;
	case RC_RCPT:
		if (mail_rcpt_parse(line, len, "TO:", p, why, whysz) == -1)
			return RC_BAD;
		if (p->addr[0] == '\0') {
			(void)snprintf(why, whysz, "empty recipient");
			return RC_BAD;
		}
		return cmd;
	default:
		return cmd;
	}
}

/*
 * The message in a DATA stream, smtpd's lines as they are (CRLF,
 * dot-stuffed): *payload bytes of buf are message, and when the line
 * "." follows them, 1 is returned and *marker is its length.  A "."
 * or ".\r" at the start of a line at the end of buf is left for the
 * next call, with more bytes after it.  bol: at the start of a line,
 * carried from call to call.
 */
int
relay_data_scan(const char *buf, size_t len, int *bol, size_t *payload,
    size_t *marker)
{
	size_t	 i;

	*marker = 0;
	for (i = 0; i < len; i++) {
		if (*bol && buf[i] == '.') {
			if (i + 1 >= len)
				break;
			if (buf[i + 1] == '\n') {
				*marker = 2;
				break;
			}
			if (buf[i + 1] == '\r') {
				if (i + 2 >= len)
					break;
				if (buf[i + 2] == '\n') {
					*marker = 3;
					break;
				}
			}
		}
		*bol = buf[i] == '\n';
	}
	*payload = i;
	return *marker > 0;
}

static int
enhanced_len(const char *s, int class)
{
	size_t	 i, n;
	int	 part;

	if (s[0] != '0' + class || s[1] != '.')
		return 0;
	for (i = 2, part = 0; part < 2; part++) {
		for (n = 0; s[i] >= '0' && s[i] <= '9' && n < 3; i++, n++)
			;
		if (n == 0 || (part == 0 && s[i] != '.'))
			return 0;
		if (part == 0)
			i++;
	}
	return s[i] == ' ' || s[i] == '\0' ? (int)i : 0;
}

/*
 * What smtpd reads of a remote server's reply: one line, "CODE
 * X.Y.Z TEXT", from code and text as the network process passed them
 * on.  The code must be one of the classes in allowed (a bit per
 * first digit), else it becomes 451 4.4.0: a server that answers out
 * of turn is no answer.  The text loses its line breaks and anything
 * not printable, and is cut to fit; an enhanced code of another class
 * than the reply's is replaced.  prefix, when not empty, comes first
 * (the MX host the reply is from).
 */
void
relay_reply_format(int code, const char *text, const char *prefix,
    unsigned allowed, char *out, size_t outsz)
{
	char	 clean[RELAY_REPLY_MAX];
	size_t	 i, j;
	int	 class = code / 100, n;

	if (code < 200 || code > 599 || code % 100 / 10 > 5 ||
	    !(allowed & (1u << class))) {
		(void)snprintf(clean, sizeof(clean), "unexpected reply %d", code);
		text = clean;
		code = 451;
		class = 4;
	} else {
		for (i = j = 0; text[i] != '\0' && j + 1 < sizeof(clean); i++)
			if (printable(text[i]))
				clean[j++] = text[i];
			else if (j > 0 && clean[j - 1] != ' ')
				clean[j++] = ' ';
		while (j > 0 && clean[j - 1] == ' ')
			j--;
		clean[j] = '\0';
		text = clean;
	}
	if ((n = enhanced_len(text, class)) > 0) {
		(void)snprintf(out, outsz, "%d %.*s %s%s%s", code, n, text,
		    prefix, prefix[0] && text[n] ? ": " : "",
		    text[n] ? text + n + 1 : "");
	} else
		(void)snprintf(out, outsz, "%d %d.0.0 %s%s%s", code, class,
		    prefix, prefix[0] && text[0] ? ": " : "", text);
	/* snprintf() may have cut; what is left is still one line */
	for (i = 0; out[i] != '\0'; i++)
		if (!printable(out[i]))
			out[i] = '?';
}
