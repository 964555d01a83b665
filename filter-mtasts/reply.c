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

#include "extern.h"
#include "mtasts.h"

/*
 * What each MTA is told for a verdict.
 *
 * Postfix smtp_tls_policy_maps (socketmap_table(5), postconf(5)):
 *	dane		"dane-only" when every allowed MX host has usable
 *			TLSA records, else "dane" (Postfix then decides per
 *			host: verify, encrypt or may, RFC 7672 2.2)
 *	sts-enforce	"secure match=MX1:MX2 servername=hostname": the
 *			exact allowed names, so Postfix's own wildcard
 *			rules (".domain", any depth) never widen RFC 8461's
 *			one-label "*."
 *	none, testing	NOTFOUND: the MTA's default TLS policy applies
 *	defer		TEMP: the mail stays queued
 *
 * Exim, one line for ${readsocket} or ${run}:
 *	DANE | MTA-STS MX1:MX2 | NONE | DEFER reason
 */

/* "a:b:c" from the allowed MX list; returns -1 if it does not fit. */
static int
mx_list(const struct verdict *v, char *buf, size_t bufsz)
{
	size_t	 i, off = 0;
	int	 n;

	buf[0] = '\0';
	for (i = 0; i < v->nmx; i++) {
		n = snprintf(buf + off, bufsz - off, "%s%s", i ? ":" : "",
		    v->mx[i]);
		if (n < 0 || (size_t)n >= bufsz - off)
			return -1;
		off += n;
	}
	return 0;
}

/* The Postfix socketmap reply, without netstring framing. */
void
reply_postfix(const struct verdict *v, char *buf, size_t bufsz)
{
	char	 mx[REPLY_MX_MAX];

	switch (v->kind) {
	case VERDICT_DANE:
		(void)snprintf(buf, bufsz, "OK %s", v->dane_all ?
		    "dane-only" : "dane");
		break;
	case VERDICT_STS_ENFORCE:
		if (mx_list(v, mx, sizeof(mx)) == -1)
			(void)snprintf(buf, bufsz, "TEMP MX list too long");
		else
			(void)snprintf(buf, bufsz, "OK secure match=%s "
			    "servername=hostname", mx);
		break;
	case VERDICT_DEFER:
		(void)snprintf(buf, bufsz, "TEMP %s", v->reason);
		break;
	default:
		(void)snprintf(buf, bufsz, "NOTFOUND ");
		break;
	}
}

/* The Exim reply line, without newline. */
void
reply_exim(const struct verdict *v, char *buf, size_t bufsz)
{
	char	 mx[REPLY_MX_MAX];

	switch (v->kind) {
	case VERDICT_DANE:
		(void)snprintf(buf, bufsz, "DANE");
		break;
	case VERDICT_STS_ENFORCE:
		if (mx_list(v, mx, sizeof(mx)) == -1)
			(void)snprintf(buf, bufsz, "DEFER MX list too long");
		else
			(void)snprintf(buf, bufsz, "MTA-STS %s", mx);
		break;
	case VERDICT_DEFER:
		(void)snprintf(buf, bufsz, "DEFER %s", v->reason);
		break;
	default:
		(void)snprintf(buf, bufsz, "NONE");
		break;
	}
}

/*
 * The text of an SMTP reply after "451 4.7.5 ": "DOMAIN: REASON",
 * cut so the whole reply line stays within the 512 octets RFC 5321
 * 4.5.3.1.5 allows, CRLF included.
 */
void
reply_smtp(const char *domain, const char *reason, char *buf, size_t bufsz)
{
	size_t	 max = SMTP_REPLY_TEXT_MAX + 1;

	(void)snprintf(buf, bufsz < max ? bufsz : max, "%s: %s", domain,
	    reason);
}

/*
 * A reply as it goes on the wire: a netstring for the socketmap, a
 * line for Exim.  Returns its length, 0 if it does not fit.
 */
size_t
reply_frame(enum proto proto, const char *reply, char *out, size_t outsz)
{
	size_t	 len = strlen(reply);
	int	 n = 0;

	if (proto == PROTO_SOCKETMAP &&
	    ((n = snprintf(out, outsz, "%zu:", len)) < 0 ||
	    (size_t)n >= outsz))
		return 0;
	if ((size_t)n + len + 1 > outsz)
		return 0;
	memcpy(out + n, reply, len);
	out[n + len] = proto == PROTO_SOCKETMAP ? ',' : '\n';
	return n + len + 1;
}
