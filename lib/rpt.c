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

#include "mtasts.h"

/*
 * The names TLS reports use (RFC 8460 4.3, 4.4) and the checks every
 * result passes before it is stored: whatever made it (a datagram
 * from a local process, an Exim event line, a pass), what reaches the
 * disk and later a report is a host name where one is due and
 * printable US-ASCII everywhere else, each string and each list
 * bounded.
 */

static const char *const policy_names[RPT_P_N] = {
	"no-policy-found", "sts", "tlsa"
};

static const struct {
	const char	*name;
	long		 code;		/* libtlsrpt's */
} results[RPT_R_N] = {
	{ "starttls-not-supported",	201 },
	{ "certificate-host-mismatch",	202 },
	{ "certificate-not-trusted",	203 },
	{ "certificate-expired",	204 },
	{ "validation-failure",		205 },
	{ "sts-policy-fetch-error",	301 },
	{ "sts-policy-invalid",		302 },
	{ "sts-webpki-invalid",		303 },
	{ "tlsa-invalid",		304 },
	{ "dnssec-invalid",		305 },
	{ "dane-required",		306 },
};

const char *
rpt_policy_name(enum rpt_policy_type t)
{
	return (unsigned)t < RPT_P_N ? policy_names[t] : "?";
}

const char *
rpt_result_name(enum rpt_result_type t)
{
	return (unsigned)t < RPT_R_N ? results[t].name : "?";
}

int
rpt_result_from_name(const char *name)
{
	int	 i;

	for (i = 0; i < RPT_R_N; i++)
		if (strcmp(results[i].name, name) == 0)
			return i;
	return -1;
}

int
rpt_result_from_code(long code)
{
	int	 i;

	for (i = 0; i < RPT_R_N; i++)
		if (results[i].code == code)
			return i;
	return -1;
}

/* Printable US-ASCII, at most RPT_STR_MAX bytes; NULL is "none". */
int
rpt_text_valid(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return 1;
	for (i = 0; s[i] != '\0'; i++)
		if (i == RPT_STR_MAX || (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* A host name as the resolver writes them: lower case, no root dot. */
static int
name_valid(const char *s)
{
	char	 norm[DNS_NAME_MAX + 1];

	return s != NULL && domain_normalize(s, norm, sizeof(norm)) == 0 &&
	    strcmp(s, norm) == 0;
}

static int
list_valid(const char *const *l, size_t n)
{
	size_t	 i;

	if (n > RPT_STRS_MAX || (n > 0 && l == NULL))
		return 0;
	for (i = 0; i < n; i++)
		if (l[i] == NULL || l[i][0] == '\0' || !rpt_text_valid(l[i]))
			return 0;
	return 1;
}

int
rpt_result_valid(const struct rpt_result *r)
{
	const struct rpt_detail	*d;
	size_t			 i;

	if (!name_valid(r->domain) || (unsigned)r->policy >= RPT_P_N ||
	    (r->policy_domain != NULL && r->policy_domain[0] != '\0' &&
	    !name_valid(r->policy_domain)) ||
	    !list_valid(r->strings, r->nstrings) ||
	    !list_valid(r->mx, r->nmx) || (r->failed != 0 && r->failed != 1) ||
	    r->ndetails > RPT_DETAILS_MAX || (r->ndetails > 0 &&
	    r->details == NULL))
		return 0;
	for (i = 0; i < r->ndetails; i++) {
		d = &r->details[i];
		if ((unsigned)d->type >= RPT_R_N ||
		    !rpt_text_valid(d->sending_ip) ||
		    !rpt_text_valid(d->mx_host) || !rpt_text_valid(d->mx_helo) ||
		    !rpt_text_valid(d->receiving_ip) ||
		    !rpt_text_valid(d->additional) ||
		    !rpt_text_valid(d->reason))
			return 0;
	}
	return 1;
}

/* The UTC day of a time, as the directory of its results is named. */
void
rpt_day_name(int64_t t, char *buf, size_t bufsz)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL) {
		(void)snprintf(buf, bufsz, "1970-01-01");
		return;
	}
	(void)strftime(buf, bufsz, "%Y-%m-%d", &tm);
}

/* "YYYY-MM-DD" to the time its UTC day starts; -1 if it is not one. */
int
rpt_day_parse(const char *s, int64_t *start)
{
	char		 again[16];
	int		 y, m, d;
	int64_t		 days;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    strspn(s, "0123456789-") != 10 ||
	    sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || y < 1970 ||
	    m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	/* Days from the civil date (proleptic Gregorian), then checked. */
	if (m <= 2)
		y--;
	days = (int64_t)365 * y + y / 4 - y / 100 + y / 400 +
	    (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1 - 719468;
	*start = days * 86400;
	rpt_day_name(*start, again, sizeof(again));
	return strcmp(again, s) == 0 ? 0 : -1;
}
