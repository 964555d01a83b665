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
 * libFuzzer target for the verdict message (vwire.c) that the network
 * process sends to the front.  The input is an IPC_VERDICT payload as
 * a compromised network process could write it.  A verdict the front
 * accepts must be one it can act on, and must come back the same when
 * packed and unpacked again.  Any broken invariant calls abort() for
 * libFuzzer to catch.
 */

#include <event2/buffer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "mtasts.h"

#define VWIRE_MX_MAX	64	/* as in vwire.c */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The domain is a host name or an RFC 5321 address literal. */
static void
check_domain(const char *d)
{
	size_t	 len;

	if ((len = strnlen(d, DNS_NAME_MAX + 1)) > DNS_NAME_MAX)
		abort();
	if (len == 0)
		abort();
	if (d[0] == '[') {
		if (d[len - 1] != ']')
			abort();
		return;
	}
	if (!dns_hostname_valid(d, len))
		abort();
}

/*
 * The reason goes verbatim into line-based output: the 451 reply on
 * the smtpd filter protocol (filter.c), the "error" answer of the
 * table socket (tablesrv.c), the Exim reply (reply.c) and the log,
 * so it must be one printable line.
 */
static void
check_reason(const char *r)
{
	if (strnlen(r, VERDICT_REASON_MAX) == VERDICT_REASON_MAX)
		abort();
	for (; *r != '\0'; r++)
		if ((unsigned char)*r < 0x20 || (unsigned char)*r > 0x7e)
			abort();
}

static void
check_verdict(const struct verdict *v)
{
	size_t	 i;

	if ((unsigned int)v->kind > VERDICT_DEFER || v->nmx > VWIRE_MX_MAX ||
	    (v->dane_all != 0 && v->dane_all != 1))
		abort();
	check_domain(v->domain);
	check_reason(v->reason);
	if (v->ttl > VERDICT_TTL_MAX)
		abort();
	if (v->nmx > 0 && v->mx == NULL)
		abort();
	for (i = 0; i < v->nmx; i++)
		if (v->mx[i] == NULL ||
		    !dns_hostname_valid(v->mx[i], strlen(v->mx[i])))
			abort();
	if (v->notes != NULL || v->nnotes != 0)
		abort();
	/* TLS reporting: printable, not empty, bounded */
	if (v->tlsrpt < VERDICT_RPT_NO || v->tlsrpt > VERDICT_RPT_UNKNOWN ||
	    v->nrpt > VERDICT_RPT_MAX || (v->nrpt > 0 && v->rpt == NULL))
		abort();
	for (i = 0; i < v->nrpt; i++)
		if (v->rpt[i] == NULL || v->rpt[i][0] == '\0' ||
		    strlen(v->rpt[i]) > VERDICT_RPT_STR_MAX ||
		    !rpt_text_valid(v->rpt[i]))
			abort();
}

static void
check_cleared(const struct verdict *v)
{
	if (v->mx != NULL || v->nmx != 0 || v->notes != NULL ||
	    v->nnotes != 0 || v->mem != NULL)
		abort();
}

static void
check_same(const struct verdict *a, const struct verdict *b)
{
	size_t	 i;

	if (a->kind != b->kind || a->nmx != b->nmx ||
	    a->dane_all != b->dane_all || a->ttl != b->ttl ||
	    strcmp(a->domain, b->domain) != 0 ||
	    strcmp(a->reason, b->reason) != 0)
		abort();
	for (i = 0; i < a->nmx; i++)
		if (strcmp(a->mx[i], b->mx[i]) != 0)
			abort();
	if (a->tlsrpt != b->tlsrpt || a->nrpt != b->nrpt)
		abort();
	for (i = 0; i < a->nrpt; i++)
		if (strcmp(a->rpt[i], b->rpt[i]) != 0)
			abort();
}

/* Pack into a fresh buffer; *lenp bytes at the returned copy. */
static uint8_t *
pack(const struct verdict *v, size_t *lenp)
{
	struct evbuffer	*b;
	uint8_t		*p;
	size_t		 len;

	if ((b = evbuffer_new()) == NULL || vwire_pack(v, b) == -1)
		abort();
	len = evbuffer_get_length(b);
	if ((p = malloc(len)) == NULL ||
	    evbuffer_remove(b, p, len) != (int)len)
		abort();
	evbuffer_free(b);
	*lenp = len;
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verdict	 v, again, third;
	uint8_t		*p, *q;
	size_t		 plen, qlen;

	memset(&v, 0x5a, sizeof(v));	/* unpack must set all of it */
	if (vwire_unpack(data, size, &v) == -1) {
		check_cleared(&v);
		vwire_clear(&v);
		return 0;
	}
	check_verdict(&v);

	/* What was accepted goes back out and in unchanged. */
	p = pack(&v, &plen);
	if (plen != size)
		abort();	/* only the exact form is accepted */
	memset(&again, 0x5a, sizeof(again));
	if (vwire_unpack(p, plen, &again) == -1)
		abort();
	check_verdict(&again);
	check_same(&v, &again);

	/* And the packed form is a fixed point. */
	q = pack(&again, &qlen);
	if (qlen != plen || memcmp(p, q, plen) != 0)
		abort();
	memset(&third, 0x5a, sizeof(third));
	if (vwire_unpack(q, qlen, &third) == -1)
		abort();
	check_same(&v, &third);

	free(p);
	free(q);
	vwire_clear(&third);
	vwire_clear(&again);
	vwire_clear(&v);
	return 0;
}
