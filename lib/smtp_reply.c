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

#include "mtasts.h"

/*
 * SMTP replies (RFC 5321 4.2):
 *   Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *                Reply-code [ SP textstring ] CRLF
 *   Reply-code = %x32-35 %x30-35 %x30-39
 * A bare LF ends a line too, as every client accepts.  Nothing here
 * trusts the peer: lines, their number and the text kept are bounded,
 * and the text is made printable before anyone logs it.
 */

const char *
tlsrpt_result_name(enum tlsrpt_result r)
{
	switch (r) {
	case TLSRPT_OK:
		return "ok";
	case TLSRPT_STARTTLS_NOT_SUPPORTED:
		return "starttls-not-supported";
	case TLSRPT_CERT_HOST_MISMATCH:
		return "certificate-host-mismatch";
	case TLSRPT_CERT_EXPIRED:
		return "certificate-expired";
	case TLSRPT_TLSA_INVALID:
		return "tlsa-invalid";
	case TLSRPT_DNSSEC_INVALID:
		return "dnssec-invalid";
	case TLSRPT_DANE_REQUIRED:
		return "dane-required";
	case TLSRPT_CERT_NOT_TRUSTED:
		return "certificate-not-trusted";
	case TLSRPT_STS_POLICY_INVALID:
		return "sts-policy-invalid";
	case TLSRPT_STS_WEBPKI_INVALID:
		return "sts-webpki-invalid";
	case TLSRPT_VALIDATION_FAILURE:
		return "validation-failure";
	case TLSRPT_STS_POLICY_FETCH_ERROR:
		return "sts-policy-fetch-error";
	default:
		return "temporary";
	}
}

void
smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->done = 0;
	r->truncated = 0;
	r->len = 0;
	r->text[0] = '\0';
}

static int
reply_code(const char *l, size_t len)
{
	if (len < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' ||
	    l[1] > '5' || l[2] < '0' || l[2] > '9')
		return -1;
	return (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
}

static int
reply_error(const char *l, size_t len, const char *what, char *err,
    size_t errsz)
{
	char	 q[STS_ERR_MAX];

	sts_quote(q, sizeof(q), l, len);
	(void)snprintf(err, errsz, "%s: \"%s\"", what, q);
	return SMTP_ERROR;
}

/* The text of one line, printable, after a LF when not the first. */
static void
reply_append(struct smtp_reply *r, const char *s, size_t len)
{
	size_t	 i;

	if (r->nlines > 1 && r->len + 1 < sizeof(r->text))
		r->text[r->len++] = '\n';
	for (i = 0; i < len; i++) {
		if (r->len + 1 >= sizeof(r->text)) {
			r->truncated = 1;
			break;
		}
		r->text[r->len++] = s[i] >= 0x20 && s[i] <= 0x7e ? s[i] : '?';
	}
	r->text[r->len] = '\0';
}

static int
reply_line(struct smtp_reply *r, const char *l, size_t len, char *err,
    size_t errsz)
{
	int	 code;

	if (r->done)
		return reply_error(l, len, "line after the end of the reply",
		    err, errsz);
	if (len > 0 && l[len - 1] == '\r')
		len--;
	if (len + 2 > SMTP_LINE_MAX) {
		(void)snprintf(err, errsz, "reply line longer than %d bytes",
		    SMTP_LINE_MAX);
		return SMTP_ERROR;
	}
	if ((code = reply_code(l, len)) == -1 ||
	    (len > 3 && l[3] != ' ' && l[3] != '-'))
		return reply_error(l, len, "malformed reply line", err, errsz);
	if (r->nlines > 0 && code != r->code)
		return reply_error(l, len, "reply line with another code",
		    err, errsz);
	if (r->nlines == SMTP_REPLY_LINES) {
		(void)snprintf(err, errsz, "reply of more than %d lines",
		    SMTP_REPLY_LINES);
		return SMTP_ERROR;
	}
	r->code = code;
	r->nlines++;
	reply_append(r, len > 4 ? l + 4 : "", len > 4 ? len - 4 : 0);
	return len > 3 && l[3] == '-' ? SMTP_MORE : SMTP_DONE;
}

/*
 * One line, without its LF (a CR before it is dropped here).  Returns
 * SMTP_MORE while the reply goes on, SMTP_DONE at its last line, or
 * SMTP_ERROR with err set; after DONE or ERROR the reply takes no
 * more lines (done is set).
 */
int
smtp_reply_line(struct smtp_reply *r, const char *l, size_t len, char *err,
    size_t errsz)
{
	int	 st;

	if ((st = reply_line(r, l, len, err, errsz)) != SMTP_MORE)
		r->done = 1;
	return st;
}

static const struct {
	const char	*kw;
	unsigned	 flag;
} exts[] = {
	{ "STARTTLS",		SMTP_EXT_STARTTLS },
	{ "PIPELINING",		SMTP_EXT_PIPELINING },
	{ "8BITMIME",		SMTP_EXT_8BITMIME },
	{ "SMTPUTF8",		SMTP_EXT_SMTPUTF8 },
	{ "SIZE",		SMTP_EXT_SIZE },
	{ "DSN",		SMTP_EXT_DSN },
	{ "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCED },
	{ "CHUNKING",		SMTP_EXT_CHUNKING },
	{ "REQUIRETLS",		SMTP_EXT_REQUIRETLS },
};

/* SIZE's parameter: digits, capped; none or junk says no limit. */
static uint64_t
ehlo_size(const char *p, size_t len)
{
	uint64_t	 n = 0;
	size_t		 i;

	for (i = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++)
		n = n > (UINT64_MAX - 9) / 10 ? UINT64_MAX :
		    n * 10 + (p[i] - '0');
	return i == len ? n : 0;
}

static void
ehlo_line(struct smtp_ehlo *e, const char *l, size_t len)
{
	size_t	 i, kw;

	for (kw = 0; kw < len && l[kw] != ' '; kw++)
		;
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		if (strlen(exts[i].kw) != kw ||
		    strncasecmp(l, exts[i].kw, kw) != 0)
			continue;
		e->ext |= exts[i].flag;
		if (exts[i].flag == SMTP_EXT_SIZE && kw < len)
			e->size = ehlo_size(l + kw + 1, len - kw - 1);
	}
}

/* The first line names the server; each other one is a keyword. */
void
smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ehlo *e)
{
	const char	*l = r->text, *end = r->text + r->len, *nl;
	size_t		 n;

	memset(e, 0, sizeof(*e));
	for (n = 0; l + n < end && l[n] != ' ' && l[n] != '\n' &&
	    n < sizeof(e->name) - 1; n++)
		e->name[n] = l[n];
	while ((nl = memchr(l, '\n', end - l)) != NULL) {
		l = nl + 1;
		nl = memchr(l, '\n', end - l);
		ehlo_line(e, l, (nl != NULL ? nl : end) - l);
	}
}
