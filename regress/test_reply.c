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
 * What each MTA is told for a verdict (reply.c), byte for byte: the
 * Postfix socketmap reply, the Exim line, and the SMTP reply text the
 * filter rejects a recipient with, which must fit the 512 octets of
 * an SMTP reply line (RFC 5321 4.5.3.1.5).
 */

#include <stdio.h>
#include <string.h>

#include "extern.h"
#include "mtasts.h"
#include "regress.h"

struct reply_test {
	const char	*name;
	enum verdict_kind kind;
	int		 dane_all;
	const char	*mx[3];
	const char	*reason;
	const char	*postfix;
	const char	*exim;
};

static const struct reply_test tests[] = {
	{ "dane, every MX host with usable TLSA", VERDICT_DANE, 1,
	    { "mx1.a.example", "mx2.a.example" }, "r",
	    "OK dane-only", "DANE" },
	{ "dane, some MX hosts without", VERDICT_DANE, 0,
	    { "mx1.a.example" }, "r", "OK dane", "DANE" },
	{ "sts-enforce, two MX hosts", VERDICT_STS_ENFORCE, 0,
	    { "mx1.a.example", "mx2.a.example" }, "r",
	    "OK secure match=mx1.a.example:mx2.a.example "
	    "servername=hostname", "MTA-STS mx1.a.example:mx2.a.example" },
	{ "sts-testing", VERDICT_STS_TESTING, 0, { NULL }, "r",
	    "NOTFOUND ", "NONE" },
	{ "none", VERDICT_NONE, 0, { NULL }, "r", "NOTFOUND ", "NONE" },
	{ "defer", VERDICT_DEFER, 0, { NULL }, "MX lookup failed",
	    "TEMP MX lookup failed", "DEFER MX lookup failed" },
};

static void
test_kinds(void)
{
	const struct reply_test	*t;
	struct verdict		 v;
	char			*mx[3], buf[REPLY_MAX];
	size_t			 i, j;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		t = &tests[i];
		memset(&v, 0, sizeof(v));
		v.domain = "a.example";
		v.kind = t->kind;
		v.dane_all = t->dane_all;
		v.reason = t->reason;
		for (j = 0; j < 3 && t->mx[j] != NULL; j++)
			mx[j] = (char *)t->mx[j];
		v.mx = mx;
		v.nmx = j;
		reply_postfix(&v, buf, sizeof(buf));
		regress_check(strcmp(buf, t->postfix) == 0, "postfix, %s: "
		    "\"%s\"", t->name, t->postfix);
		if (strcmp(buf, t->postfix) != 0)
			regress_diag("got \"%s\"", buf);
		reply_exim(&v, buf, sizeof(buf));
		regress_check(strcmp(buf, t->exim) == 0, "exim, %s: \"%s\"",
		    t->name, t->exim);
		if (strcmp(buf, t->exim) != 0)
			regress_diag("got \"%s\"", buf);
	}
}

static void
test_smtp(void)
{
	char	 domain[DNS_NAME_MAX + 1], reason[VERDICT_REASON_MAX];
	char	 buf[1024];
	size_t	 i;

	reply_smtp("a.example", "MX lookup failed", buf, sizeof(buf));
	regress_check(strcmp(buf, "a.example: MX lookup failed") == 0,
	    "smtp: \"DOMAIN: REASON\"");

	/* The longest: a 253-octet domain and a 511-octet reason. */
	for (i = 0; i < DNS_NAME_MAX; i++)
		domain[i] = i % 64 == 63 ? '.' : 'd';
	domain[DNS_NAME_MAX] = '\0';
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	reply_smtp(domain, reason, buf, sizeof(buf));
	regress_check(strlen("451 4.7.5 ") + strlen(buf) + 2 <= 512 &&
	    strncmp(buf, domain, DNS_NAME_MAX) == 0,
	    "smtp: the longest domain and reason fit a 512-octet reply line "
	    "(%zu), the domain whole", strlen("451 4.7.5 ") + strlen(buf) +
	    2);
	reply_smtp(domain, reason, buf, 20);
	regress_check(strlen(buf) == 19, "smtp: a smaller buffer bounds it");
}

int
main(void)
{
	test_kinds();
	test_smtp();
	return regress_exit();
}
