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


#include <arpa/inet.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "mtasts.h"

/*
 * A verdict on the wire between the processes:
 *	u32 kind, u32 nmx, u32 dane_all, u32 ttl, u32 tlsrpt, u32 nrpt,
 *	then NUL-terminated domain, reason, mx..., rpt...
 * The front process trusts nothing in it: every length is checked,
 * every name must be a host name, the TLS reporting strings printable
 * text, and the bytes must add up exactly.  Unpacked, a verdict is
 * one allocation: the MX and TLS reporting pointers, then the strings
 * they and the domain and reason point to.
 */

#define VWIRE_HDR	24
#define VWIRE_MX_MAX	64

int
vwire_pack(const struct verdict *v, struct evbuffer *out)
{
	uint32_t	 n[6];
	const char	*reason = v->reason != NULL ? v->reason : "";
	size_t		 i, nmx = v->nmx < VWIRE_MX_MAX ? v->nmx : VWIRE_MX_MAX;
	size_t		 nrpt = v->nrpt < VERDICT_RPT_MAX ? v->nrpt :
			    VERDICT_RPT_MAX;

	n[0] = htonl((uint32_t)v->kind);
	n[1] = htonl((uint32_t)nmx);
	n[2] = htonl(v->dane_all ? 1 : 0);
	n[3] = htonl(v->ttl);
	n[4] = htonl((uint32_t)v->tlsrpt);
	n[5] = htonl((uint32_t)nrpt);
	if (v->domain == NULL || evbuffer_add(out, n, sizeof(n)) == -1 ||
	    evbuffer_add(out, v->domain, strlen(v->domain) + 1) == -1 ||
	    evbuffer_add(out, reason, strlen(reason) + 1) == -1)
		return -1;
	for (i = 0; i < nmx; i++)
		if (evbuffer_add(out, v->mx[i], strlen(v->mx[i]) + 1) == -1)
			return -1;
	for (i = 0; i < nrpt; i++)
		if (evbuffer_add(out, v->rpt[i], strlen(v->rpt[i]) + 1) == -1)
			return -1;
	return 0;
}

/*
 * The NUL-terminated string at *p, at most max bytes before its NUL,
 * and *p moved past it; NULL when the message ends first.  Every
 * message between the processes carries its strings so.
 */
const char *
wire_string(const uint8_t **p, const uint8_t *end, size_t max)
{
	const uint8_t	*s = *p, *nul;

	if (s >= end || (nul = memchr(s, '\0', end - s)) == NULL ||
	    (size_t)(nul - s) > max)
		return NULL;
	*p = nul + 1;
	return (const char *)s;
}

void
vwire_clear(struct verdict *v)
{
	free(v->mem);
	memset(v, 0, sizeof(*v));
}

/*
 * One allocation for nmx + nrpt pointers and the strings: domain,
 * reason, then the MX names and the TLS reporting strings, copied from
 * src (len bytes, NUL-separated).
 */
static int
vwire_fill(struct verdict *v, size_t nmx, size_t nrpt, const char *src,
    size_t len)
{
	char	*s;
	size_t	 i;

	if ((v->mem = malloc((nmx + nrpt) * sizeof(char *) + len)) == NULL)
		return -1;
	v->mx = nmx > 0 ? v->mem : NULL;
	v->rpt = nrpt > 0 ? (char **)v->mem + nmx : NULL;
	s = (char *)v->mem + (nmx + nrpt) * sizeof(char *);
	memcpy(s, src, len);
	v->domain = s;
	s += strlen(s) + 1;
	v->reason = s;
	for (i = 0; i < nmx; i++) {
		s += strlen(s) + 1;
		v->mx[i] = s;
	}
	for (i = 0; i < nrpt; i++) {
		s += strlen(s) + 1;
		v->rpt[i] = s;
	}
	v->nmx = nmx;
	v->nrpt = nrpt;
	return 0;
}

/* A defer made in the front or at the link, not by the resolver. */
void
vwire_defer(struct verdict *v, const char *domain, const char *reason)
{
	char	 buf[DNS_NAME_MAX + 1 + VERDICT_REASON_MAX];
	int	 n;

	vwire_clear(v);
	v->kind = VERDICT_DEFER;
	v->ttl = VERDICT_TTL_DEFER;
	n = snprintf(buf, sizeof(buf), "%.*s%c%.*s", DNS_NAME_MAX, domain,
	    '\0', VERDICT_REASON_MAX - 1, reason);
	if (n < 0 || vwire_fill(v, 0, 0, buf, (size_t)n + 1) == -1) {
		/* Out of memory: still a defer, with static strings. */
		v->domain = "";
		v->reason = "out of memory";
	}
}

int
vwire_unpack(const uint8_t *buf, size_t len, struct verdict *v)
{
	const uint8_t	*p = buf + VWIRE_HDR, *end = buf + len, *strs;
	const char	*s;
	char		 norm[DNS_NAME_MAX + 1];
	uint32_t	 n[6];
	size_t		 i;

	memset(v, 0, sizeof(*v));
	if (len < VWIRE_HDR)
		return -1;
	memcpy(n, buf, sizeof(n));
	v->kind = ntohl(n[0]);
	v->dane_all = ntohl(n[2]) == 1;
	v->ttl = ntohl(n[3]);
	v->tlsrpt = (int)ntohl(n[4]);
	if (ntohl(n[0]) > VERDICT_DEFER || ntohl(n[1]) > VWIRE_MX_MAX ||
	    ntohl(n[2]) > 1 || (ntohl(n[2]) == 1 && v->kind != VERDICT_DANE) ||
	    v->ttl > VERDICT_TTL_MAX || ntohl(n[4]) > VERDICT_RPT_UNKNOWN ||
	    ntohl(n[5]) > VERDICT_RPT_MAX)
		return -1;
	/* The domain as the front names it: normalised, or refused. */
	if ((s = wire_string(&p, end, DNS_NAME_MAX)) == NULL ||
	    domain_normalize(s, norm, sizeof(norm)) == -1 ||
	    strcmp(s, norm) != 0)
		return -1;
	strs = (const uint8_t *)s;
	if ((s = wire_string(&p, end, VERDICT_REASON_MAX - 1)) == NULL)
		return -1;
	/* The reason reaches smtpd, MTAs and logs as one line of text. */
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return -1;
	for (i = 0; i < ntohl(n[1]); i++)
		if ((s = wire_string(&p, end, DNS_NAME_MAX)) == NULL ||
		    !dns_hostname_valid(s, strlen(s)))
			return -1;
	/* TLS reports and the Postfix map quote them: printable, not empty */
	for (i = 0; i < ntohl(n[5]); i++)
		if ((s = wire_string(&p, end, VERDICT_RPT_STR_MAX)) == NULL ||
		    s[0] == '\0' || !rpt_text_valid(s))
			return -1;
	if (p != end)
		return -1;
	return vwire_fill(v, ntohl(n[1]), ntohl(n[5]), (const char *)strs,
	    end - strs);
}
