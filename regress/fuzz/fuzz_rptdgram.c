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
 * libFuzzer target for the datagrams of Postfix's TLSRPT client
 * library (rptdgram.c), what any local process may send to the
 * daemon's -l tlsrpt= socket.  What is accepted must be valid results
 * (rpt.c), all of it inside the datagram's own buffer, and a fixed
 * point: written out again as a datagram, it parses to the same.
 * Any broken invariant calls abort() for libFuzzer to catch.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct rpt_dgram	 dg, again;
static char		 out[4 * RPT_DGRAM_MAX];
static size_t		 outlen;

static void
put(const char *s)
{
	size_t	 n = strlen(s);

	if (outlen + n >= sizeof(out))
		abort();
	memcpy(out + outlen, s, n);
	outlen += n;
}

static void
put_str(const char *s)
{
	char	 esc[8];

	put("\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			(void)snprintf(esc, sizeof(esc), "\\%c", *s);
		else
			(void)snprintf(esc, sizeof(esc), "%c", *s);
		put(esc);
	}
	put("\"");
}

static void
put_num(const char *name, long n)
{
	char	 buf[64];

	(void)snprintf(buf, sizeof(buf), "\"%s\":%ld", name, n);
	put(buf);
}

static void
put_list(const char *name, const char *const *l, size_t n)
{
	size_t	 i;

	put(",\"");
	put(name);
	put("\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			put(",");
		put_str(l[i]);
	}
	put("]");
}

static const long codes[RPT_R_N] = { 201, 202, 203, 204, 205, 301, 302,
    303, 304, 305, 306 };

static void
put_opt(const char *key, const char *v)
{
	if (v == NULL)
		return;
	put(",\"");
	put(key);
	put("\":");
	put_str(v);
}

static void
write_dgram(const struct rpt_dgram *d)
{
	const struct rpt_result	*r;
	const struct rpt_detail	*x;
	size_t			 i, j;

	outlen = 0;
	put("{\"dpv\":\"1\",\"d\":");
	put_str(d->res[0].domain);
	put(",\"policies\":[");
	for (i = 0; i < d->nres; i++) {
		r = &d->res[i];
		put(i ? ",{" : "{");
		put_num("policy-type", r->policy == RPT_P_TLSA ? 1 :
		    r->policy == RPT_P_STS ? 2 : 9);
		put_opt("policy-domain", r->policy_domain);
		put_list("policy-string", r->strings, r->nstrings);
		put_list("mx-host", r->mx, r->nmx);
		put(",\"failure-details\":[");
		for (j = 0; j < r->ndetails; j++) {
			x = &r->details[j];
			put(j ? ",{" : "{");
			put_num("c", codes[x->type]);
			put_opt("s", x->sending_ip);
			put_opt("n", x->mx_host);
			put_opt("h", x->mx_helo);
			put_opt("r", x->receiving_ip);
			put_opt("a", x->additional);
			put_opt("f", x->reason);
			put("}");
		}
		put("],");
		put_num("f", r->failed);
		put("}");
	}
	put("]}");
}

static void
in_buf(const struct rpt_dgram *d, const char *s)
{
	if (s == NULL)
		return;
	if (s < d->buf || s >= d->buf + sizeof(d->buf) ||
	    strnlen(s, d->buf + sizeof(d->buf) - s) == (size_t)(d->buf +
	    sizeof(d->buf) - s))
		abort();
}

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
check_same(const struct rpt_result *a, const struct rpt_result *b)
{
	size_t	 i;

	if (!same_str(a->domain, b->domain) || a->policy != b->policy ||
	    !same_str(a->policy_domain, b->policy_domain) ||
	    a->nstrings != b->nstrings || a->nmx != b->nmx ||
	    a->failed != b->failed || a->ndetails != b->ndetails)
		abort();
	for (i = 0; i < a->nstrings; i++)
		if (strcmp(a->strings[i], b->strings[i]) != 0)
			abort();
	for (i = 0; i < a->nmx; i++)
		if (strcmp(a->mx[i], b->mx[i]) != 0)
			abort();
	for (i = 0; i < a->ndetails; i++)
		if (a->details[i].type != b->details[i].type ||
		    !same_str(a->details[i].sending_ip,
		    b->details[i].sending_ip) ||
		    !same_str(a->details[i].mx_host, b->details[i].mx_host) ||
		    !same_str(a->details[i].mx_helo, b->details[i].mx_helo) ||
		    !same_str(a->details[i].receiving_ip,
		    b->details[i].receiving_ip) ||
		    !same_str(a->details[i].additional,
		    b->details[i].additional) ||
		    !same_str(a->details[i].reason, b->details[i].reason))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 err[128];
	size_t	 i, j;

	if (rpt_dgram_parse((const char *)data, size, &dg, err,
	    sizeof(err)) == -1) {
		if (dg.nres != 0 || err[0] == '\0')
			abort();
		return 0;
	}
	if (dg.nres == 0 || dg.nres > RPT_DGRAM_POLICIES)
		abort();
	for (i = 0; i < dg.nres; i++) {
		if (!rpt_result_valid(&dg.res[i]) ||
		    dg.res[i].domain != dg.res[0].domain)
			abort();
		in_buf(&dg, dg.res[i].domain);
		in_buf(&dg, dg.res[i].policy_domain);
		for (j = 0; j < dg.res[i].nstrings; j++)
			in_buf(&dg, dg.res[i].strings[j]);
		for (j = 0; j < dg.res[i].nmx; j++)
			in_buf(&dg, dg.res[i].mx[j]);
	}
	write_dgram(&dg);
	if (rpt_dgram_parse(out, outlen, &again, err, sizeof(err)) == -1)
		abort();
	if (again.nres != dg.nres)
		abort();
	for (i = 0; i < dg.nres; i++)
		check_same(&dg.res[i], &again.res[i]);
	return 0;
}
