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



#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "mtasts.h"
#include "check.h"

/*
 * The judgement of filter-mtasts check: one finding per check, ok,
 * warn or fail, each saying what to change; then text or JSON, and
 * the exit status.  A fail is what makes senders that honour MTA-STS
 * or DANE refuse or lose mail; a warn is a weakness or a trap ahead
 * (an expiry, a stale pattern, a short max_age, no reports).
 */

#define DAY		86400
#define MAX_AGE_MIN	DAY		/* senders refresh about daily */
#define MAX_AGE_GOOD	(7 * DAY)	/* RFC 8461 3.2: "weeks" */

static char *
xstrdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* A fix names the domain: DOMAIN stands for it. */
static const char *
subst(char *buf, size_t sz, const char *fix, const char *domain)
{
	const char	*p;
	size_t		 n = 0;

	buf[0] = '\0';
	while ((p = strstr(fix, "DOMAIN")) != NULL && n < sz) {
		n += snprintf(buf + n, sz - n, "%.*s%s", (int)(p - fix), fix,
		    domain);
		fix = p + 6;
	}
	if (n < sz)
		(void)snprintf(buf + n, sz - n, "%s", fix);
	return buf;
}

static void __attribute__((__format__(__printf__, 8, 9)))
add(struct check *ck, enum check_level lv, const char *check,
    const char *host, const char *addr, const char *result, const char *fix,
    const char *fmt, ...)
{
	struct finding	*f;
	char		 msg[2048], fixed[1024];
	va_list		 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fix != NULL)
		fix = subst(fixed, sizeof(fixed), fix, ck->domain);
	if ((f = reallocarray(ck->findings, ck->nfindings + 1,
	    sizeof(*f))) == NULL)
		return;
	ck->findings = f;
	f = &ck->findings[ck->nfindings++];
	f->level = lv;
	f->check = check;
	f->host = xstrdup(host);
	f->address = xstrdup(addr);
	f->result = result;
	f->msg = xstrdup(msg);
	f->fix = xstrdup(fix);
}

static const char *
sec_word(enum dns_sec sec)
{
	return sec == DNS_SECURE ? "DNSSEC-signed" : sec == DNS_BOGUS ?
	    "DNSSEC bogus" : "not DNSSEC-signed";
}

/* A lookup that did not answer: 1 when reported. */
static int
lookup_failed(struct check *ck, const struct lookup *l, const char *check,
    const char *host, const char *name, const char *what)
{
	if (!l->done) {
		add(ck, CK_FAIL, check, host, NULL, NULL, NULL, "%s %s: no "
		    "answer%s", name, what, ck->timed_out ? " in time" : "");
		return 1;
	}
	if (l->st != DNS_FAIL && l->sec != DNS_BOGUS)
		return 0;
	add(ck, CK_FAIL, check, host, NULL, l->sec == DNS_BOGUS ?
	    tlsrpt_result_name(TLSRPT_DNSSEC_INVALID) : NULL,
	    "make the name servers answer, with valid DNSSEC signatures",
	    "%s %s: the lookup failed: %s", name, what,
	    l->why[0] ? l->why : "no answer");
	return 1;
}

static long
days_left(const struct check *ck, int64_t not_after)
{
	return (long)((not_after - ck->now) / DAY);
}

static int
sts_active(const struct check *ck)
{
	return ck->fetch_ok && ck->pol_valid && ck->pol.mode != STS_MODE_NONE;
}

static int
host_dane(const struct check_host *h)
{
	return h->tlsa.done && h->tlsa.st == DNS_ANSWER &&
	    h->tlsa.sec == DNS_SECURE && h->nusable > 0;
}

static void
report_mx(struct check *ck)
{
	char	 list[1024];
	size_t	 i, n = 0;

	if (lookup_failed(ck, &ck->mx, "dns-mx", NULL, ck->domain, "MX"))
		return;
	if (ck->mx.st == DNS_NXDOMAIN) {
		add(ck, CK_FAIL, "dns-mx", NULL, NULL, NULL, "check the "
		    "domain's spelling and delegation", "%s does not exist "
		    "(NXDOMAIN)", ck->domain);
		return;
	}
	if (ck->null_mx) {
		add(ck, CK_OK, "dns-mx", NULL, NULL, NULL, NULL, "null MX "
		    "(RFC 7505): %s accepts no mail", ck->domain);
		return;
	}
	if (ck->implicit_mx) {
		add(ck, CK_OK, "dns-mx", NULL, NULL, NULL, NULL, "no MX "
		    "records, %s: the domain itself is the MX host",
		    sec_word(ck->mx.sec));
		return;
	}
	list[0] = '\0';
	for (i = 0; i < ck->nhosts; i++)
		n += snprintf(list + n, n < sizeof(list) ? sizeof(list) - n :
		    0, "%s%s (%u)", i ? ", " : "", ck->hosts[i].name,
		    ck->hosts[i].pref);
	add(ck, CK_OK, "dns-mx", NULL, NULL, NULL, NULL, "%zu MX host%s, "
	    "%s: %s", ck->nmx, ck->nmx == 1 ? "" : "s", sec_word(ck->mx.sec),
	    list);
	if (ck->nmx > CHECK_HOSTS)
		add(ck, CK_WARN, "dns-mx", NULL, NULL, NULL, NULL, "only the "
		    "first %d MX hosts are checked", CHECK_HOSTS);
	for (i = 0; i < ck->nhosts; i++)
		if (!ck->hosts[i].valid)
			add(ck, CK_FAIL, "dns-mx", ck->hosts[i].name, NULL,
			    NULL, "MX records name hosts, not addresses",
			    "MX \"%s\" is not a host name", ck->hosts[i].name);
}

/* The _mta-sts record; 1 when the domain publishes none at all. */
static int
report_record(struct check *ck)
{
	char	 name[DNS_NAME_MAX + 16];

	(void)snprintf(name, sizeof(name), "_mta-sts.%s", ck->domain);
	if (lookup_failed(ck, &ck->txt, "sts-record", NULL, name, "TXT"))
		return 0;
	if (ck->txt.st != DNS_ANSWER || ck->ncand == 0)
		return 1;
	if (ck->ncand > 1) {
		add(ck, CK_FAIL, "sts-record", NULL, NULL, NULL, "keep one "
		    "record, with the id of the policy served", "%s: %zu TXT "
		    "records begin with \"v=STSv1;\": senders ignore them all "
		    "and see no policy (RFC 8461 3.1)", name, ck->ncand);
		return 0;
	}
	if (!ck->txt_valid) {
		add(ck, CK_FAIL, "sts-record", NULL, NULL, NULL, "write it as "
		    "\"v=STSv1; id=ID\", ID 1 to 32 letters and digits",
		    "%s: invalid: %s", name, ck->txt_err);
		return 0;
	}
	add(ck, CK_OK, "sts-record", NULL, NULL, NULL, NULL, "%s: v=STSv1; "
	    "id=%s (%s)", name, ck->rec.id, sec_word(ck->txt.sec));
	return 0;
}

static const char *
fetch_fix(const struct check *ck)
{
	if (ck->fetch_tls_failed)
		return "serve a certificate for mta-sts.DOMAIN from a CA that "
		    "senders trust, in date, with its intermediates";
	if (strstr(ck->fetch_err, "redirect") != NULL)
		return "serve the policy itself: senders follow no redirect";
	if (strstr(ck->fetch_err, "HTTP status") != NULL)
		return "serve /.well-known/mta-sts.txt with status 200";
	if (strstr(ck->fetch_err, "Content-Type") != NULL ||
	    strstr(ck->fetch_err, "text/plain") != NULL)
		return "serve the policy as text/plain";
	if (strstr(ck->fetch_err, "larger") != NULL ||
	    strstr(ck->fetch_err, "above") != NULL)
		return "keep the policy under 64 KiB";
	return "make https://mta-sts.DOMAIN/.well-known/mta-sts.txt answer";
}

static void
report_fetch(struct check *ck, int no_record)
{
	char	 url[DNS_NAME_MAX + 64], host[DNS_NAME_MAX + 16];
	long	 days;

	(void)snprintf(host, sizeof(host), "mta-sts.%s", ck->domain);
	(void)snprintf(url, sizeof(url), "https://%s/.well-known/"
	    "mta-sts.txt", host);
	if (ck->npaddrs == 0) {
		if (!no_record && !lookup_failed(ck, &ck->pa,
		    "sts-policy-fetch", NULL, host, "A"))
			add(ck, CK_FAIL, "sts-policy-fetch", NULL, NULL,
			    tlsrpt_result_name(TLSRPT_STS_POLICY_FETCH_ERROR),
			    "publish an A or AAAA record for the policy host",
			    "%s has no address", host);
		return;
	}
	if (!ck->fetch_ok) {
		if (no_record)
			return;		/* no policy, and none served */
		add(ck, CK_FAIL, "sts-policy-fetch", NULL, NULL,
		    tlsrpt_result_name(ck->fetch_tls_failed ?
		    TLSRPT_STS_WEBPKI_INVALID : TLSRPT_STS_POLICY_FETCH_ERROR),
		    fetch_fix(ck), "%s: %s", url, ck->fetch_done ?
		    ck->fetch_err : "no answer in time");
		return;
	}
	add(ck, CK_OK, "sts-policy-fetch", NULL, NULL, NULL, NULL, "%s: 200 "
	    "text/plain, %zu bytes, %s", url, ck->len, ck->fetch_version);
	if (no_record && ck->ncand == 0)
		add(ck, CK_WARN, "sts-record", NULL, NULL, NULL, "publish "
		    "_mta-sts.DOMAIN TXT \"v=STSv1; id=ID\"", "a policy is "
		    "served, but _mta-sts.%s has no \"v=STSv1;\" TXT record: "
		    "senders never fetch it", ck->domain);
	if (ck->fetch_not_after <= 0)
		return;
	days = days_left(ck, ck->fetch_not_after);
	if (days < ck->warn_days)
		add(ck, CK_WARN, "sts-policy-cert", host, NULL, NULL, "renew "
		    "it before it expires", "the policy host's certificate "
		    "expires in %ld day%s", days, days == 1 ? "" : "s");
	else
		add(ck, CK_OK, "sts-policy-cert", host, NULL, NULL, NULL,
		    "the policy host's certificate expires in %ld days", days);
}

static void
report_policy(struct check *ck)
{
	size_t	 i;

	if (!ck->fetch_ok)
		return;
	if (!ck->pol_valid) {
		add(ck, CK_FAIL, "sts-policy", NULL, NULL,
		    tlsrpt_result_name(TLSRPT_STS_POLICY_INVALID), "follow "
		    "the syntax of RFC 8461 3.2, one \"key: value\" a line",
		    "%s%zu: %s", ck->pol_err.where ? "line " : "",
		    ck->pol_err.where, ck->pol_err.msg);
		return;
	}
	for (i = 0; i < ck->npol_notes; i++)
		add(ck, CK_WARN, "sts-policy", NULL, NULL, NULL, "follow the "
		    "syntax of RFC 8461 3.2", "line %zu: %s",
		    ck->pol_notes[i].line, ck->pol_notes[i].msg);
	add(ck, CK_OK, "sts-policy", NULL, NULL, NULL, NULL, "mode %s, "
	    "max_age %llu s, %zu mx pattern%s", sts_mode_name(ck->pol.mode),
	    (unsigned long long)ck->pol.max_age, ck->pol.nmx,
	    ck->pol.nmx == 1 ? "" : "s");
	if (ck->pol.mode == STS_MODE_TESTING)
		add(ck, CK_WARN, "sts-mode", NULL, NULL, NULL, "once TLS "
		    "reports show no failure, set \"mode: enforce\" and "
		    "publish a new id", "mode testing: senders report "
		    "failures but deliver all the same");
	else if (ck->pol.mode == STS_MODE_NONE)
		add(ck, CK_WARN, "sts-mode", NULL, NULL, NULL, "set \"mode: "
		    "enforce\" and publish a new id, or remove the record once "
		    "the policy's max_age has passed", "mode none: the "
		    "policy protects nothing");
	if (ck->pol.max_age < MAX_AGE_MIN)
		add(ck, CK_FAIL, "sts-max-age", NULL, NULL, NULL, "use at "
		    "least 604800 (a week)", "max_age %llu s is shorter than "
		    "the day between senders' refreshes: the policy lapses "
		    "and protects nothing against an attacker who waits",
		    (unsigned long long)ck->pol.max_age);
	else if (ck->pol.max_age < MAX_AGE_GOOD)
		add(ck, CK_WARN, "sts-max-age", NULL, NULL, NULL, "use at "
		    "least 604800 (a week)", "max_age %llu s: RFC 8461 3.2 "
		    "expects weeks or more",
		    (unsigned long long)ck->pol.max_age);
	else
		add(ck, CK_OK, "sts-max-age", NULL, NULL, NULL, NULL,
		    "max_age %llu s (%llu days)",
		    (unsigned long long)ck->pol.max_age,
		    (unsigned long long)ck->pol.max_age / DAY);
}

/* RFC 8461 4.1: every MX host matched, every pattern of some use. */
static void
report_match(struct check *ck)
{
	char	 fix[DNS_WIRE_NAME_MAX + 64];
	size_t	 i, j;
	int	 any;

	if (!ck->fetch_ok || !ck->pol_valid || ck->pol.mode == STS_MODE_NONE ||
	    ck->nhosts == 0)
		return;
	for (i = 0; i < ck->nhosts; i++) {
		for (j = 0; j < ck->pol.nmx; j++)
			if (sts_mx_match(ck->pol.mx[j], ck->hosts[i].name))
				break;
		if (j < ck->pol.nmx) {
			add(ck, CK_OK, "sts-mx", ck->hosts[i].name, NULL, NULL,
			    NULL, "%s matches \"mx: %s\"", ck->hosts[i].name,
			    ck->pol.mx[j]);
			continue;
		}
		(void)snprintf(fix, sizeof(fix), "add \"mx: %s\" to the "
		    "policy and publish a new id", ck->hosts[i].name);
		add(ck, ck->pol.mode == STS_MODE_ENFORCE ? CK_FAIL : CK_WARN,
		    "sts-mx", ck->hosts[i].name, NULL,
		    tlsrpt_result_name(TLSRPT_VALIDATION_FAILURE), fix,
		    "%s matches no mx pattern of the policy: senders that "
		    "enforce it do not deliver there", ck->hosts[i].name);
	}
	for (j = 0; j < ck->pol.nmx; j++) {
		for (i = 0, any = 0; i < ck->nhosts && !any; i++)
			any = sts_mx_match(ck->pol.mx[j], ck->hosts[i].name);
		if (!any)
			add(ck, CK_WARN, "sts-mx-stale", NULL, NULL, NULL,
			    "remove it from the policy and publish a new id",
			    "pattern \"%s\" matches no MX host", ck->pol.mx[j]);
	}
}

static const char *
cert_fix(enum tlsrpt_result r)
{
	switch (r) {
	case TLSRPT_CERT_EXPIRED:
		return "renew the certificate";
	case TLSRPT_CERT_NOT_TRUSTED:
		return "use a certificate from a CA that senders trust, and "
		    "send its intermediates";
	case TLSRPT_CERT_HOST_MISMATCH:
		return "put the MX host name in the certificate's "
		    "subjectAltName";
	default:
		return "serve a valid certificate for TLS servers";
	}
}

static void
report_cert(struct check *ck, struct check_host *h, struct check_addr *a)
{
	const struct cert_check	*cc = &a->res.cert;
	long			 days = days_left(ck, cc->not_after);
	enum check_level	 bad;

	if (!a->res.have_cert)
		return;
	/* PKIX matters to MTA-STS senders; without a policy, it is advice */
	bad = sts_active(ck) ? CK_FAIL : CK_WARN;
	if (!sts_active(ck) && host_dane(h))
		return;		/* DANE decides: report_dane() */
	if (cc->pkix != TLSRPT_OK)
		add(ck, bad, "certificate", h->name, a->text,
		    tlsrpt_result_name(cc->pkix), cert_fix(cc->pkix),
		    "%s: %s; the certificate names %s", sts_active(ck) ?
		    "PKIX, as MTA-STS requires" : "PKIX", cc->pkix_why,
		    cc->names[0] ? cc->names : "nothing");
	else if (!cc->name_ok)
		add(ck, bad, "certificate", h->name, a->text,
		    tlsrpt_result_name(TLSRPT_CERT_HOST_MISMATCH),
		    cert_fix(TLSRPT_CERT_HOST_MISMATCH), "not valid for %s: "
		    "it names %s", h->name, cc->names[0] ? cc->names :
		    "nothing");
	else if (days < ck->warn_days)
		add(ck, CK_WARN, "certificate", h->name, a->text, NULL,
		    "renew it before it expires", "trusted, valid for %s, but "
		    "expires in %ld day%s", h->name, days,
		    days == 1 ? "" : "s");
	else
		add(ck, CK_OK, "certificate", h->name, a->text, NULL, NULL,
		    "trusted, valid for %s, expires in %ld days", h->name,
		    days);
}

static void
report_dane_addr(struct check *ck, struct check_host *h,
    struct check_addr *a)
{
	const struct cert_check	*cc = &a->res.cert;
	const uint8_t		*rd;
	long			 days = days_left(ck, cc->not_after);

	if (!a->res.have_cert)
		return;
	if (cc->dane != TLSRPT_OK) {
		add(ck, CK_FAIL, "dane", h->name, a->text,
		    tlsrpt_result_name(cc->dane),
		    cc->dane == TLSRPT_TLSA_INVALID ? "publish TLSA records "
		    "for the key the host presents (both old and new ones "
		    "while it changes)" : cert_fix(cc->dane),
		    "%s; senders that do DANE do not deliver there",
		    cc->dane_why);
		return;
	}
	rd = h->rrs[cc->dane_match].data;
	if (rd[0] == 2 && days < ck->warn_days)
		add(ck, CK_WARN, "dane", h->name, a->text, NULL, "renew it "
		    "before it expires", "TLSA %u %u %u matches, but the "
		    "certificate (checked in date under DANE-TA) expires in "
		    "%ld day%s", rd[0], rd[1], rd[2], days,
		    days == 1 ? "" : "s");
	else
		add(ck, CK_OK, "dane", h->name, a->text, NULL, NULL, "%s "
		    "(TLSA %u %u %u)", cc->dane_why, rd[0], rd[1], rd[2]);
}

static void
report_dane_host(struct check *ck, struct check_host *h)
{
	char	 name[DNS_WIRE_NAME_MAX + 16];

	(void)snprintf(name, sizeof(name), "_25._tcp.%s", h->name);
	if (ck->mx.sec != DNS_SECURE)
		return;		/* said once, for the domain */
	if (!h->tlsa_asked) {
		if (h->naddrs > 0)
			add(ck, CK_OK, "dane", h->name, NULL, NULL, NULL, "the "
			    "addresses of %s are not DNSSEC-signed: no DANE "
			    "(RFC 7672 2.2.2)", h->name);
		return;
	}
	if (lookup_failed(ck, &h->tlsa, "dane", h->name, name, "TLSA"))
		return;
	if (h->tlsa.st != DNS_ANSWER)
		add(ck, CK_OK, "dane", h->name, NULL, NULL, NULL, "no TLSA "
		    "records at %s (%s): DANE is not in use", name,
		    sec_word(h->tlsa.sec));
	else if (h->tlsa.sec != DNS_SECURE)
		add(ck, CK_WARN, "dane", h->name, NULL, NULL, "sign the zone "
		    "of the TLSA records", "%s: TLSA records not "
		    "DNSSEC-signed: senders ignore them", name);
	else if (h->nusable == 0)
		add(ck, CK_WARN, "dane", h->name, NULL,
		    tlsrpt_result_name(TLSRPT_TLSA_INVALID),
		    "publish \"3 1 1\" (or \"2 1 1\") records",
		    "%s: %zu TLSA record%s, none "
		    "usable for SMTP (RFC 7672 3.1.3): senders require TLS "
		    "but authenticate nothing", name, h->nrrs,
		    h->nrrs == 1 ? "" : "s");
}

static void
report_host(struct check *ck, struct check_host *h)
{
	struct check_addr	*a;
	size_t			 i;
	int			 need;

	if (!h->valid)
		return;
	if (h->naddrs == 0) {
		if (!lookup_failed(ck, &h->a, "connect", h->name, h->name,
		    "A") && !lookup_failed(ck, &h->aaaa, "connect", h->name,
		    h->name, "AAAA"))
			add(ck, CK_FAIL, "connect", h->name, NULL, NULL,
			    "publish its A or AAAA records", "%s has no "
			    "address", h->name);
		return;
	}
	report_dane_host(ck, h);
	need = sts_active(ck) || (h->tlsa.done && h->tlsa.st == DNS_ANSWER &&
	    h->tlsa.sec == DNS_SECURE);
	for (i = 0; i < h->naddrs; i++) {
		a = &h->addrs[i];
		if (!a->done) {
			add(ck, CK_FAIL, "connect", h->name, a->text, NULL,
			    NULL, "no result in time");
			continue;
		}
		if (!a->res.tls && a->res.result == TLSRPT_TEMPORARY) {
			add(ck, CK_FAIL, "connect", h->name, a->text, NULL,
			    "make the host accept SMTP on port 25", "%s",
			    a->res.reason);
			continue;
		}
		if (!a->res.tls) {
			add(ck, need ? CK_FAIL : CK_WARN, "starttls", h->name,
			    a->text, tlsrpt_result_name(a->res.result),
			    "offer STARTTLS (RFC 3207) with a certificate",
			    "%s", a->res.reason);
			continue;
		}
		add(ck, CK_OK, "starttls", h->name, a->text, NULL, NULL,
		    "STARTTLS, %s, %s", a->res.version, a->res.cipher);
		report_cert(ck, h, a);
		if (host_dane(h))
			report_dane_addr(ck, h, a);
	}
}

/* Without a policy, DANE alone may protect the domain. */
static void
report_protection(struct check *ck, int no_record)
{
	size_t	 i, ndane = 0;

	if (!no_record || ck->null_mx || ck->nhosts == 0)
		return;
	for (i = 0; i < ck->nhosts; i++)
		ndane += host_dane(&ck->hosts[i]);
	if (ndane == ck->nhosts)
		add(ck, CK_OK, "sts-record", NULL, NULL, NULL, NULL, "no "
		    "MTA-STS policy; every MX host has usable TLSA records "
		    "(DANE)");
	else
		add(ck, CK_WARN, "sts-record", NULL, NULL, NULL, "publish an "
		    "MTA-STS policy (RFC 8461), or TLSA records for every MX "
		    "host (RFC 7672)", "no MTA-STS policy, and %zu of %zu MX "
		    "hosts have usable TLSA records: mail can be downgraded "
		    "to plain text", ndane, ck->nhosts);
	if (ck->mx.sec != DNS_SECURE && ck->mx.done &&
	    ck->mx.st == DNS_ANSWER)
		add(ck, CK_OK, "dane", NULL, NULL, NULL, NULL, "the MX RRset "
		    "is not DNSSEC-signed: DANE does not apply");
}

static void
report_tlsrpt(struct check *ck)
{
	char	 name[DNS_NAME_MAX + 16];
	char	 list[TLSRPT_URI_MAX * (TLSRPT_URI_LEN + 2)];
	size_t	 i, n = 0;

	(void)snprintf(name, sizeof(name), "_smtp._tls.%s", ck->domain);
	if (lookup_failed(ck, &ck->rpt, "tlsrpt", NULL, name, "TXT"))
		return;
	if (ck->rpt.st != DNS_ANSWER || (!ck->rpt_valid &&
	    strstr(ck->rpt_err, "no TXT record") != NULL)) {
		add(ck, CK_WARN, "tlsrpt", NULL, NULL, NULL, "publish "
		    "_smtp._tls.DOMAIN TXT \"v=TLSRPTv1; "
		    "rua=mailto:ADDRESS\"", "%s: no TLS-RPT record: failed "
		    "deliveries go unreported (RFC 8460)", name);
		return;
	}
	if (!ck->rpt_valid) {
		add(ck, CK_FAIL, "tlsrpt", NULL, NULL, NULL, "write it as "
		    "\"v=TLSRPTv1; rua=mailto:ADDRESS\"", "%s: invalid, "
		    "senders ignore it: %s", name, ck->rpt_err);
		return;
	}
	for (i = 0; i < ck->nrpt_notes; i++)
		add(ck, CK_WARN, "tlsrpt", NULL, NULL, NULL, "use mailto: or "
		    "https: URIs of less than 512 bytes", "%s",
		    ck->rpt_notes[i].msg);
	list[0] = '\0';
	for (i = 0; i < ck->rpt_rec.nuri && i < TLSRPT_URI_MAX &&
	    n < sizeof(list); i++)
		n += snprintf(list + n, sizeof(list) - n, "%s%s",
		    i ? ", " : "", ck->rpt_rec.uri[i]);
	if (ck->rpt_rec.nusable == 0)
		add(ck, CK_FAIL, "tlsrpt", NULL, NULL, NULL, "give a mailto: "
		    "or https: URI in rua", "%s: rua=%s: no report can be "
		    "sent there", name, list);
	else
		add(ck, CK_OK, "tlsrpt", NULL, NULL, NULL, NULL, "%s: rua=%s",
		    name, list);
}

/* The classic mistake: a new policy under the old id. */
static void
report_cache(struct check *ck)
{
	struct cache_entry	 e;

	if (ck->cache == NULL)
		return;
	if (cache_load(ck->cache, ck->domain, &e) != 0 || e.id[0] == '\0') {
		add(ck, CK_OK, "cache", NULL, NULL, NULL, NULL, "no policy of "
		    "%s cached in %s", ck->domain, ck->statedir);
		cache_entry_free(&e);
		return;
	}
	if (!ck->txt_valid)
		add(ck, CK_OK, "cache", NULL, NULL, NULL, NULL, "cached "
		    "policy id %s; no live id to compare", e.id);
	else if (strcmp(e.id, ck->rec.id) != 0)
		add(ck, CK_OK, "cache", NULL, NULL, NULL, NULL, "cached "
		    "policy id %s, live id %s: senders fetch the new policy",
		    e.id, ck->rec.id);
	else if (!ck->fetch_ok)
		add(ck, CK_OK, "cache", NULL, NULL, NULL, NULL, "cached "
		    "policy id %s is the live id", e.id);
	else if (e.len == ck->len && memcmp(e.body, ck->body, e.len) == 0)
		add(ck, CK_OK, "cache", NULL, NULL, NULL, NULL, "the cached "
		    "policy, id %s, is the one served", e.id);
	else
		add(ck, CK_FAIL, "cache", NULL, NULL, NULL, "publish a new id "
		    "in _mta-sts.DOMAIN whenever the policy changes", "the "
		    "policy served differs from the one cached under the same "
		    "id %s: senders that cached it keep it until its max_age "
		    "(%llu s) runs out", e.id,
		    (unsigned long long)e.pol.max_age);
	cache_entry_free(&e);
}

/* ------------------------------------------------------- output */

static const char *
level_name(enum check_level lv)
{
	return lv == CK_OK ? "ok" : lv == CK_WARN ? "warn" : "fail";
}

static void
json_kv(const char *key, const char *val, int comma)
{
	printf("%s\"%s\":", comma ? "," : "", key);
	json_string(stdout, val);
}

static void
json_findings(const struct check *ck)
{
	const struct finding	*f;
	size_t			 i;

	printf(",\"checks\":[");
	for (i = 0; i < ck->nfindings; i++) {
		f = &ck->findings[i];
		printf("%s{", i ? "," : "");
		json_kv("check", f->check, 0);
		json_kv("status", level_name(f->level), 1);
		json_kv("host", f->host, 1);
		json_kv("address", f->address, 1);
		json_kv("result", f->result, 1);
		json_kv("message", f->msg, 1);
		json_kv("fix", f->fix, 1);
		printf("}");
	}
	printf("]");
}

static void
json_cert(const struct check *ck, const struct cert_check *cc)
{
	printf(",\"certificate\":{\"not_before\":%lld,\"not_after\":%lld,"
	    "\"days_left\":%ld", (long long)cc->not_before,
	    (long long)cc->not_after, days_left(ck, cc->not_after));
	json_kv("names", cc->names, 1);
	json_kv("pkix", tlsrpt_result_name(cc->pkix), 1);
	json_kv("pkix_reason", cc->pkix_why, 1);
	printf(",\"name_match\":%s", cc->name_ok ? "true" : "false");
	json_kv("dane", cc->nusable ? tlsrpt_result_name(cc->dane) : NULL, 1);
	json_kv("dane_reason", cc->nusable ? cc->dane_why : NULL, 1);
	printf("}");
}

static void
json_addr(const struct check *ck, const struct check_addr *a)
{
	printf("{");
	json_kv("address", a->text, 0);
	json_kv("mode", verify_mode_name(a->mode), 1);
	json_kv("result", a->done ? tlsrpt_result_name(a->res.result) :
	    NULL, 1);
	json_kv("reason", a->done ? a->res.reason : "no result in time", 1);
	printf(",\"starttls\":%s", a->res.starttls ? "true" : "false");
	json_kv("tls_version", a->res.tls ? a->res.version : NULL, 1);
	json_kv("cipher", a->res.tls ? a->res.cipher : NULL, 1);
	if (a->res.have_cert)
		json_cert(ck, &a->res.cert);
	else
		printf(",\"certificate\":null");
	printf("}");
}

static void
json_hosts(const struct check *ck)
{
	const struct check_host	*h;
	size_t			 i, j;

	printf(",\"hosts\":[");
	for (i = 0; i < ck->nhosts; i++) {
		h = &ck->hosts[i];
		printf("%s{", i ? "," : "");
		json_kv("name", h->name, 0);
		printf(",\"preference\":%u", h->pref);
		if (h->tlsa_asked && h->tlsa.done) {
			printf(",\"tlsa\":{");
			json_kv("status", dns_status_name(h->tlsa.st), 0);
			json_kv("dnssec", dns_sec_name(h->tlsa.sec), 1);
			printf(",\"records\":%zu,\"usable\":%zu}", h->nrrs,
			    h->nusable);
		} else
			printf(",\"tlsa\":null");
		printf(",\"addresses\":[");
		for (j = 0; j < h->naddrs; j++) {
			printf("%s", j ? "," : "");
			json_addr(ck, &h->addrs[j]);
		}
		printf("]}");
	}
	printf("]");
}

static void
json_policy(const struct check *ck)
{
	size_t	 i;

	printf(",\"record_id\":");
	json_string(stdout, ck->txt_valid ? ck->rec.id : NULL);
	if (!ck->fetch_ok || !ck->pol_valid) {
		printf(",\"policy\":null");
		return;
	}
	printf(",\"policy\":{\"mode\":\"%s\",\"max_age\":%llu,\"mx\":[",
	    sts_mode_name(ck->pol.mode), (unsigned long long)ck->pol.max_age);
	for (i = 0; i < ck->pol.nmx; i++) {
		printf("%s", i ? "," : "");
		json_string(stdout, ck->pol.mx[i]);
	}
	printf("]}");
}

static void
json_tlsrpt(const struct check *ck)
{
	size_t	 i;

	if (!ck->rpt_valid) {
		printf(",\"tlsrpt\":null");
		return;
	}
	printf(",\"tlsrpt\":{\"rua\":[");
	for (i = 0; i < ck->rpt_rec.nuri && i < TLSRPT_URI_MAX; i++) {
		printf("%s", i ? "," : "");
		json_string(stdout, ck->rpt_rec.uri[i]);
	}
	printf("]}");
}

static void
print_text(const struct check *ck, enum check_level worst,
    const size_t *count)
{
	const struct finding	*f;
	size_t			 i;

	printf("%s: %s (%zu ok, %zu warn, %zu fail)\n", ck->domain,
	    level_name(worst), count[CK_OK], count[CK_WARN], count[CK_FAIL]);
	for (i = 0; i < ck->nfindings; i++) {
		f = &ck->findings[i];
		printf("%-4s %s:", level_name(f->level), f->check);
		if (f->address != NULL)
			printf(" %s [%s]:", f->host, f->address);
		else if (f->host != NULL && strstr(f->msg, f->host) == NULL)
			printf(" %s:", f->host);
		printf(" %s", f->msg);
		if (f->result != NULL && f->level != CK_OK)
			printf(" (%s)", f->result);
		if (f->fix != NULL)
			printf(" -- %s", f->fix);
		printf("\n");
	}
}

int
check_report(struct check *ck)
{
	enum check_level	 worst = CK_OK;
	size_t			 i, count[3] = { 0, 0, 0 };
	int			 no_record;

	report_mx(ck);
	no_record = report_record(ck);
	report_fetch(ck, no_record);
	report_policy(ck);
	report_match(ck);
	report_protection(ck, no_record);
	for (i = 0; i < ck->nhosts; i++)
		report_host(ck, &ck->hosts[i]);
	report_tlsrpt(ck);
	report_cache(ck);
	if (ck->timed_out)
		add(ck, CK_FAIL, "time", NULL, NULL, NULL, NULL, "the check "
		    "did not finish within %d s", CHECK_LIMIT);

	for (i = 0; i < ck->nfindings; i++) {
		count[ck->findings[i].level]++;
		if (ck->findings[i].level > worst)
			worst = ck->findings[i].level;
	}
	if (ck->json) {
		printf("{");
		json_kv("domain", ck->domain, 0);
		json_kv("status", level_name(worst), 1);
		printf(",\"counts\":{\"ok\":%zu,\"warn\":%zu,\"fail\":%zu}",
		    count[CK_OK], count[CK_WARN], count[CK_FAIL]);
		json_findings(ck);
		json_policy(ck);
		json_tlsrpt(ck);
		json_hosts(ck);
		printf("}\n");
	} else
		print_text(ck, worst, count);
	if (fflush(stdout) == EOF)
		return CHECK_EXIT_UNKNOWN;
	return worst == CK_OK ? CHECK_EXIT_OK : worst == CK_WARN ?
	    CHECK_EXIT_WARN : CHECK_EXIT_FAIL;
}
