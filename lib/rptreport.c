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


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "mtasts.h"

/*
 * A day's results for one domain as the report of RFC 8460 4.4: the
 * policies applied, each with its summary and failure details, in
 * I-JSON (RFC 7493): UTF-8, here plain US-ASCII as every string of a
 * result is (rpt.c), integers well within 2^53.  Optional members are
 * left out when there is nothing to say.
 */

void
rpt_buf_add(struct rpt_buf *b, const void *p, size_t len)
{
	char	*np;
	size_t	 cap;

	if (b->err)
		return;
	if (len > RPT_REPORT_MAX - b->len) {
		b->err = 1;
		return;
	}
	if (b->len + len + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 4096; cap < b->len + len + 1;
		    cap *= 2)
			;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->err = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void
rpt_buf_str(struct rpt_buf *b, const char *s)
{
	rpt_buf_add(b, s, strlen(s));
}

/* A JSON string; anything but printable ASCII is escaped. */
void
rpt_buf_json(struct rpt_buf *b, const char *s)
{
	char		 esc[8];
	const char	*run;

	rpt_buf_add(b, "\"", 1);
	for (run = s; *s != '\0'; s++) {
		if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20 &&
		    (unsigned char)*s < 0x7f)
			continue;
		rpt_buf_add(b, run, s - run);
		(void)snprintf(esc, sizeof(esc), *s == '"' || *s == '\\' ?
		    "\\%c" : "\\u%04x", (unsigned char)*s);
		rpt_buf_str(b, esc);
		run = s + 1;
	}
	rpt_buf_add(b, run, s - run);
	rpt_buf_add(b, "\"", 1);
}

void
rpt_buf_free(struct rpt_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void
member(struct rpt_buf *b, const char *name, const char *value, int comma)
{
	if (value == NULL || value[0] == '\0')
		return;
	if (comma)
		rpt_buf_str(b, ",");
	rpt_buf_json(b, name);
	rpt_buf_str(b, ":");
	rpt_buf_json(b, value);
}

static void
number(struct rpt_buf *b, const char *name, uint64_t n)
{
	char	 num[32];

	rpt_buf_json(b, name);
	(void)snprintf(num, sizeof(num), ":%llu", (unsigned long long)n);
	rpt_buf_str(b, num);
}

static void
array(struct rpt_buf *b, const char *name, char *const *l, size_t n)
{
	size_t	 i;

	if (n == 0)
		return;
	rpt_buf_str(b, ",");
	rpt_buf_json(b, name);
	rpt_buf_str(b, ":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			rpt_buf_str(b, ",");
		rpt_buf_json(b, l[i]);
	}
	rpt_buf_str(b, "]");
}

static void
datetime(struct rpt_buf *b, const char *name, int64_t t)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	char		 s[32];

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(s, sizeof(s), "1970-01-01T00:00:00Z");
	member(b, name, s, 0);
}

static void
detail(struct rpt_buf *b, const struct rpt_dagg *d)
{
	static const char *const names[] = {
		"result-type", "sending-mta-ip", "receiving-mx-hostname",
		"receiving-mx-helo", "receiving-ip", "additional-information",
		"failure-reason-code"
	};
	size_t	 i;

	rpt_buf_str(b, "{");
	member(b, names[0], d->strs[0], 0);
	for (i = 1; i < 5; i++)
		member(b, names[i], d->strs[i], 1);
	rpt_buf_str(b, ",");
	number(b, "failed-session-count", d->count);
	for (i = 5; i < 7; i++)
		member(b, names[i], d->strs[i], 1);
	rpt_buf_str(b, "}");
}

static void
policy(struct rpt_buf *b, const struct rpt_pagg *p)
{
	size_t	 i;

	rpt_buf_str(b, "{\"policy\":{");
	member(b, "policy-type", rpt_policy_name(p->type), 0);
	array(b, "policy-string", p->strings, p->nstrings);
	member(b, "policy-domain", p->policy_domain[0] != '\0' ?
	    p->policy_domain : p->domain, 1);
	array(b, "mx-host", p->mx, p->nmx);
	rpt_buf_str(b, "},\"summary\":{");
	number(b, "total-successful-session-count", p->ok);
	rpt_buf_str(b, ",");
	number(b, "total-failure-session-count", p->failed);
	rpt_buf_str(b, "},\"failure-details\":[");
	for (i = 0; i < p->ndetails; i++) {
		if (i > 0)
			rpt_buf_str(b, ",");
		detail(b, &p->details[i]);
	}
	rpt_buf_str(b, "]}");
}

/*
 * The report of domain for the day d, appended to out; *failures is
 * set to its failed sessions.  -1 when the day has nothing for the
 * domain, or the report would pass RPT_REPORT_MAX.
 */
int
rpt_report_json(const struct rptday *d, const char *domain,
    const struct rpt_meta *m, struct rpt_buf *out, uint64_t *failures)
{
	size_t	 i, first;

	*failures = 0;
	if ((first = rptday_first(d, domain)) == d->npol)
		return -1;
	rpt_buf_str(out, "{");
	member(out, "organization-name", m->organization, 0);
	rpt_buf_str(out, ",\"date-range\":{");
	datetime(out, "start-datetime", m->start);
	rpt_buf_str(out, ",");
	datetime(out, "end-datetime", m->end);
	rpt_buf_str(out, "}");
	member(out, "contact-info", m->contact, 1);
	member(out, "report-id", m->report_id, 1);
	rpt_buf_str(out, ",\"policies\":[");
	for (i = first; i < d->npol && strcmp(d->pol[i].domain, domain) == 0;
	    i++) {
		if (i > first)
			rpt_buf_str(out, ",");
		policy(out, &d->pol[i]);
		*failures += d->pol[i].failed;
	}
	rpt_buf_str(out, "]}");
	return out->err ? -1 : 0;
}

/* gzip (RFC 1952) of len bytes at p, into out. */
int
rpt_gzip(const void *p, size_t len, struct rpt_buf *out)
{
	z_stream	 z;
	uLong		 bound;
	int		 r;

	memset(&z, 0, sizeof(z));
	if (len > RPT_REPORT_MAX ||
	    deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong)len);
	rpt_buf_add(out, "", 0);
	if (out->err || bound > RPT_REPORT_MAX) {
		deflateEnd(&z);
		return -1;
	}
	if (out->cap - out->len < bound + 1) {
		char	*np;

		if ((np = realloc(out->p, out->len + bound + 1)) == NULL) {
			deflateEnd(&z);
			return -1;
		}
		out->p = np;
		out->cap = out->len + bound + 1;
	}
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->p + out->len;
	z.avail_out = (uInt)bound;
	r = deflate(&z, Z_FINISH);
	out->len += bound - z.avail_out;
	deflateEnd(&z);
	return r == Z_STREAM_END ? 0 : -1;
}
