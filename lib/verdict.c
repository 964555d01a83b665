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

#include "mtasts.h"
#include "pass.h"

/*
 * From what a pass gathered to one verdict.  DANE is looked at first
 * and wins whenever it applies (RFC 8461 2); then MTA-STS.  Each step
 * leaves a note, so a human can see how the verdict was reached.
 */

#define NOTE_MAX	512

void
pass_note(struct pass *p, const char *fmt, ...)
{
	struct verdict	*v = &p->v;
	char		 buf[NOTE_MAX], **n, *s;
	va_list		 ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((s = strdup(buf)) == NULL)
		return;
	if ((n = reallocarray(v->notes, v->nnotes + 1, sizeof(*n))) == NULL) {
		free(s);
		return;
	}
	n[v->nnotes++] = s;
	v->notes = n;
}

static void
verdict_set(struct pass *p, enum verdict_kind kind, const char *fmt, ...)
{
	va_list	 ap;

	p->v.kind = kind;
	va_start(ap, fmt);
	(void)vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	p->v.reason = p->reason;
}

static void
verdict_add_mx(struct pass *p, const char *name)
{
	struct verdict	*v = &p->v;
	char		**n, *s;

	if ((s = strdup(name)) == NULL)
		return;
	if ((n = reallocarray(v->mx, v->nmx + 1, sizeof(*n))) == NULL) {
		free(s);
		return;
	}
	n[v->nmx++] = s;
	v->mx = n;
}

void
verdict_free(struct verdict *v)
{
	size_t	 i;

	for (i = 0; i < v->nmx; i++)
		free(v->mx[i]);
	for (i = 0; i < v->nnotes; i++)
		free(v->notes[i]);
	for (i = 0; i < v->nrpt; i++)
		free(v->rpt[i]);
	free(v->mx);
	free(v->notes);
	free(v->rpt);
	v->mx = v->notes = v->rpt = NULL;
	v->nmx = v->nnotes = v->nrpt = 0;
}

const char *
verdict_name(enum verdict_kind kind)
{
	switch (kind) {
	case VERDICT_DANE:
		return "dane";
	case VERDICT_STS_ENFORCE:
		return "sts-enforce";
	case VERDICT_STS_TESTING:
		return "sts-testing";
	case VERDICT_DEFER:
		return "defer";
	default:
		return "none";
	}
}

static const char *
host_state_name(enum host_state st)
{
	switch (st) {
	case H_NO_DANE:
		return "no DANE";
	case H_DANE_USABLE:
		return "DANE, usable TLSA";
	case H_DANE_UNUSABLE:
		return "DANE, no usable TLSA: TLS required";
	case H_NO_ADDRESS:
		return "no address";
	case H_FAILED:
		return "lookup failed";
	default:
		return "not looked up";
	}
}

static void
note_hosts(struct pass *p)
{
	size_t	 i;

	pass_note(p, "MX %s: %zu host%s, %s", p->domain, p->nhosts,
	    p->nhosts == 1 ? "" : "s", dns_sec_name(p->mx_sec));
	for (i = 0; i < p->nhosts; i++) {
		const struct host *h = &p->hosts[i];

		if (p->mx_sec != DNS_SECURE)
			pass_note(p, "  %u %s%s", h->pref, h->name,
			    h->valid ? "" : " (not a host name)");
		else
			pass_note(p, "  %u %s: %s%s%s", h->pref, h->name,
			    host_state_name(h->state), h->why[0] ? ": " : "",
			    h->why);
	}
}

/* RFC 7672 2.2: a signed MX set, then TLSA per host behind signed addresses. */
static int
decide_dane(struct pass *p)
{
	size_t	 i, ndane = 0, nusable = 0, nfailed = 0;

	if (p->mx_sec != DNS_SECURE) {
		pass_note(p, "DANE: MX answer not signed: no DANE "
		    "(RFC 7672 2.2.1)");
		return 0;
	}
	for (i = 0; i < p->nhosts; i++) {
		const struct host *h = &p->hosts[i];

		ndane += h->state == H_DANE_USABLE ||
		    h->state == H_DANE_UNUSABLE;
		nusable += h->state == H_DANE_USABLE;
		nfailed += h->tlsa_failed;
	}
	if (ndane == 0 && nfailed == 0) {
		pass_note(p, "DANE: no MX host has secure TLSA records");
		return 0;
	}
	for (i = 0; i < p->nhosts; i++) {
		const struct host *h = &p->hosts[i];

		if (h->state == H_DANE_USABLE || h->state == H_DANE_UNUSABLE ||
		    h->state == H_NO_DANE)
			verdict_add_mx(p, h->name);
	}
	if (p->v.nmx == 0) {
		verdict_set(p, VERDICT_DEFER, "DANE: no MX host of %s can be "
		    "used: TLSA or address lookups failed (RFC 7672 2.1.2)",
		    p->domain);
		return 1;
	}
	p->v.dane_all = nusable == p->v.nmx;
	verdict_set(p, VERDICT_DANE, "DANE: signed MX; %zu of %zu MX hosts "
	    "publish TLSA records, %zu usable%s", ndane, p->nhosts, nusable,
	    p->v.nmx < p->nhosts ? "; hosts whose lookups failed or that "
	    "have no address are left out" : "");
	if (p->txt_valid)
		pass_note(p, "MTA-STS policy id %s also published: DANE takes "
		    "precedence (RFC 8461 2)", p->rec.id);
	return 1;
}

static void
note_txt(struct pass *p)
{
	if (!p->txt_asked)
		return;
	if (p->txt_st == DNS_ANSWER && p->txt_valid)
		pass_note(p, "TXT _mta-sts.%s: %s, id %s", p->domain,
		    dns_sec_name(p->txt_sec), p->rec.id);
	else if (p->txt_st == DNS_ANSWER)
		pass_note(p, "TXT _mta-sts.%s: %s, no valid STS record: %s",
		    p->domain, dns_sec_name(p->txt_sec), p->txt_why);
	else
		pass_note(p, "TXT _mta-sts.%s: %s%s%s", p->domain,
		    dns_status_name(p->txt_st), p->txt_why[0] ? ": " : "",
		    p->txt_why);
}

/* No policy to apply: why, and whether that defers or lets mail go. */
static void
decide_no_policy(struct pass *p)
{
	if (!p->txt_asked)
		verdict_set(p, VERDICT_NONE, "no MTA-STS policy (negative "
		    "cache)");
	else if (p->txt_st == DNS_FAIL)
		verdict_set(p, VERDICT_DEFER, "_mta-sts.%s TXT lookup failed "
		    "(%s) and no policy is cached", p->domain, p->txt_why);
	else if (p->txt_st != DNS_ANSWER)
		verdict_set(p, VERDICT_NONE, "no _mta-sts TXT record: no "
		    "MTA-STS policy");
	else if (!p->txt_valid)
		verdict_set(p, VERDICT_NONE, "no MTA-STS policy: %s (RFC 8461 "
		    "3.1)", p->txt_why);
	else
		verdict_set(p, VERDICT_NONE, "policy fetch failed: %s; no "
		    "cached policy, so MTA-STS does not apply (RFC 8461 3.3)",
		    p->fetch_why);
}

/* The MX hosts the policy allows, in MX order, into the verdict. */
static void
add_policy_mx(struct pass *p, const struct sts_policy *pol)
{
	size_t	 i, j;

	for (i = 0; i < p->nhosts; i++) {
		const struct host *h = &p->hosts[i];

		for (j = 0; j < pol->nmx; j++)
			if (h->valid && sts_mx_match(pol->mx[j], h->name))
				break;
		if (j < pol->nmx)
			verdict_add_mx(p, h->name);
		else
			pass_note(p, "%s: not allowed: matches no mx pattern "
			    "of the policy", h->name);
	}
}

static void
decide_enforce(struct pass *p, const struct cache_entry *e, const char *src)
{
	const struct sts_policy *pol = &e->pol;
	size_t		 j, off;
	char		 pats[256] = "";
	int		 n;

	add_policy_mx(p, pol);
	p->rpt_pol = e;
	if (p->v.nmx > 0) {
		verdict_set(p, VERDICT_STS_ENFORCE, "MTA-STS policy id %s "
		    "(enforce, %s) allows %zu of %zu MX hosts", e->id, src,
		    p->v.nmx, p->nhosts);
		return;
	}
	for (j = 0, off = 0; j < pol->nmx && off < sizeof(pats); j++) {
		if ((n = snprintf(pats + off, sizeof(pats) - off, "%s%s",
		    j ? ", " : "", pol->mx[j])) < 0)
			break;
		off += n;
	}
	verdict_set(p, VERDICT_DEFER, "MTA-STS policy id %s (enforce, %s): "
	    "no MX host matches mx %s (RFC 8461 4.1)", e->id, src, pats);
	p->rpt_nomatch = 1;
}

static void
decide_sts(struct pass *p)
{
	const struct cache_entry *e;
	const char	*src;

	note_txt(p);
	if (p->have_fresh) {
		e = &p->fresh;
		src = "fetched now";
	} else if (p->have_cached) {
		e = &p->cached;
		src = p->fetch == FETCH_FAILED ? "cached policy applied as "
		    "the fetch failed" : "cached policy";
	} else {
		decide_no_policy(p);
		return;
	}
	if (p->fetch == FETCH_FAILED || p->fetch == FETCH_RATE_LIMITED)
		pass_note(p, "policy fetch: %s", p->fetch_why);
	pass_note(p, "policy id %s, %s: mode %s, max_age %llu, %zu mx "
	    "pattern%s", e->id, src, sts_mode_name(e->pol.mode),
	    (unsigned long long)e->pol.max_age, e->pol.nmx,
	    e->pol.nmx == 1 ? "" : "s");
	switch (e->pol.mode) {
	case STS_MODE_ENFORCE:
		decide_enforce(p, e, src);
		break;
	case STS_MODE_TESTING:
		/* What testing mode checks, and reports failures against. */
		add_policy_mx(p, &e->pol);
		p->rpt_pol = e;
		verdict_set(p, VERDICT_STS_TESTING, "MTA-STS policy id %s "
		    "(testing, %s): deliver, report failures", e->id, src);
		break;
	default:
		verdict_set(p, VERDICT_NONE, "MTA-STS policy id %s is mode "
		    "none (%s)", e->id, src);
		break;
	}
}

static void	verdict_rpt(struct pass *);

static void
decide(struct pass *p)
{
	if (p->literal) {
		verdict_set(p, VERDICT_NONE, "address literal: MTA-STS and "
		    "DANE do not apply (RFC 8461 3.4, RFC 7672 2.2)");
		return;
	}
	if (!p->mx_done || p->mx_st == DNS_FAIL) {
		verdict_set(p, VERDICT_DEFER, "MX lookup for %s failed: %s "
		    "(RFC 7672 2.1.2)", p->domain, p->mx_why);
		return;
	}
	if (p->mx_st == DNS_NXDOMAIN) {
		verdict_set(p, VERDICT_NONE, "%s does not exist (NXDOMAIN)",
		    p->domain);
		return;
	}
	if (p->null_mx) {
		verdict_set(p, VERDICT_NONE, "null MX: %s accepts no mail "
		    "(RFC 7505)", p->domain);
		return;
	}
	note_hosts(p);
	if (!decide_dane(p))
		decide_sts(p);
}

/* ------------------------------------------------------ TLS reporting */

static void
rpt_add(struct verdict *v, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
rpt_add(struct verdict *v, const char *fmt, ...)
{
	char	 buf[VERDICT_RPT_STR_MAX + 1];
	va_list	 ap;
	int	 n;

	if (v->nrpt == VERDICT_RPT_MAX || (v->rpt == NULL &&
	    (v->rpt = calloc(VERDICT_RPT_MAX, sizeof(*v->rpt))) == NULL))
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	if ((v->rpt[v->nrpt] = strdup(buf)) != NULL)
		v->nrpt++;
}

/*
 * What TLS reports say of the policy the verdict applies (RFC 8460
 * 4.4): for MTA-STS its lines, as parsed (extensions are left out),
 * for DANE the TLSA records of each MX host, "HOST U S M HEX".
 */
static void
verdict_rpt(struct pass *p)
{
	const struct sts_policy	*pol;
	struct verdict		*v = &p->v;
	size_t			 i, j;

	v->tlsrpt = p->rpt;
	if (v->kind == VERDICT_DANE) {
		for (i = 0; i < p->nhosts; i++)
			for (j = 0; j < p->hosts[i].ntlsa_str; j++)
				rpt_add(v, "%s %s", p->hosts[i].name,
				    p->hosts[i].tlsa[j]);
		return;
	}
	if (p->rpt_pol == NULL)
		return;
	pol = &p->rpt_pol->pol;
	rpt_add(v, "version: STSv1");
	rpt_add(v, "mode: %s", sts_mode_name(pol->mode));
	for (i = 0; i < pol->nmx; i++)
		rpt_add(v, "mx: %s", pol->mx[i]);
	rpt_add(v, "max_age: %llu", (unsigned long long)pol->max_age);
}

#define PASS_RPT_MAX	40		/* results of one pass */

struct pass_rpt {
	struct rpt_result	 res[PASS_RPT_MAX];
	struct rpt_detail	 det[PASS_RPT_MAX + RPT_DETAILS_MAX];
	const char		*sts[VERDICT_RPT_MAX];
	const char		*mx[RPT_STRS_MAX];
	char			 why[PASS_RPT_MAX][HOST_WHY_MAX];
	size_t			 nres, ndet, nsts, nmx;
};

/* Printable text only reaches a report. */
static const char *
rpt_text(struct pass_rpt *pr, const char *s)
{
	char	*d = pr->why[pr->nres];
	size_t	 i;

	for (i = 0; s[i] != '\0' && i < HOST_WHY_MAX - 1; i++)
		d[i] = (unsigned char)s[i] >= 0x20 &&
		    (unsigned char)s[i] < 0x7f ? s[i] : '?';
	d[i] = '\0';
	return d;
}

static struct rpt_result *
rpt_new(struct pass_rpt *pr, struct pass *p, enum rpt_policy_type type,
    const char *pdomain, enum rpt_result_type rt, const char *mx,
    const char *why)
{
	struct rpt_result	*r;
	struct rpt_detail	*d;

	if (pr->nres == PASS_RPT_MAX || pr->ndet == PASS_RPT_MAX +
	    RPT_DETAILS_MAX)
		return NULL;
	r = &pr->res[pr->nres];
	d = &pr->det[pr->ndet++];
	memset(r, 0, sizeof(*r));
	memset(d, 0, sizeof(*d));
	d->type = rt;
	d->mx_host = mx;
	d->reason = rpt_text(pr, why);
	r->domain = p->domain;
	r->policy = type;
	r->policy_domain = pdomain;
	r->failed = 1;
	r->details = d;
	r->ndetails = 1;
	if (type == RPT_P_STS) {
		r->strings = pr->sts;
		r->nstrings = pr->nsts;
		r->mx = pr->mx;
		r->nmx = pr->nmx;
	}
	pr->nres++;
	return r;
}

static void
rpt_dane(struct pass_rpt *pr, struct pass *p)
{
	struct rpt_result	*r;
	const struct host	*h;
	size_t			 i;

	if (p->mx_sec != DNS_SECURE)
		return;
	for (i = 0; i < p->nhosts; i++) {
		h = &p->hosts[i];
		if (h->tlsa_failed)
			(void)rpt_new(pr, p, RPT_P_TLSA, h->name,
			    RPT_R_DNSSEC_INVALID, h->name, h->why);
		else if (h->state == H_DANE_UNUSABLE &&
		    (r = rpt_new(pr, p, RPT_P_TLSA, h->name,
		    RPT_R_TLSA_INVALID, h->name, "no usable TLSA record "
		    "(RFC 7672 3.1)")) != NULL) {
			r->strings = (const char *const *)h->tlsa;
			r->nstrings = h->ntlsa_str;
		}
	}
}

/*
 * Once per pass, the failures found before any connection, for the
 * report of the domain (RFC 8460 4.3): a policy fetch that failed
 * (sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid)
 * while the TXT record announced a policy or one is cached; TLSA
 * lookups that failed (dnssec-invalid) or records none of which is
 * usable (tlsa-invalid), per MX host; an enforce policy no MX host
 * matches (validation-failure, per MX host).  Each counts one failed
 * session: a pass is one derivation of a verdict, made again when it
 * expires, so a domain failing all day counts about once per verdict
 * lifetime, however many messages wait for it.
 */
void
pass_report(struct pass *p)
{
	struct pass_rpt		*pr;
	struct rpt_result	*r;
	const struct sts_policy	*pol = NULL;
	size_t			 i;

	if (p->literal || p->rpt == VERDICT_RPT_NO || !p->mx_done ||
	    (pr = calloc(1, sizeof(*pr))) == NULL)
		return;
	if (p->rpt_pol != NULL)
		pol = &p->rpt_pol->pol;
	else if (p->have_cached)
		pol = &p->cached.pol;
	if (p->v.kind != VERDICT_DANE)
		for (i = 0; i < p->v.nrpt && pr->nsts < VERDICT_RPT_MAX; i++)
			pr->sts[pr->nsts++] = p->v.rpt[i];
	for (i = 0; pol != NULL && i < pol->nmx && pr->nmx < RPT_STRS_MAX;
	    i++)
		pr->mx[pr->nmx++] = pol->mx[i];
	if (p->fetch == FETCH_FAILED && p->fetch_rt >= 0 &&
	    (p->txt_valid || p->have_cached))
		(void)rpt_new(pr, p, RPT_P_STS, p->domain, p->fetch_rt, NULL,
		    p->fetch_why);
	rpt_dane(pr, p);
	if (p->rpt_nomatch && (r = rpt_new(pr, p, RPT_P_STS, p->domain,
	    RPT_R_VALIDATION_FAILURE, NULL, "no MX host matches the "
	    "MTA-STS policy (RFC 8461 4.1)")) != NULL) {
		/* one detail per MX host the policy leaves out */
		r->ndetails = 0;
		pr->ndet--;
		for (i = 0; i < p->nhosts && r->ndetails < RPT_DETAILS_MAX;
		    i++) {
			pr->det[pr->ndet] = r->details[0];
			if (r->ndetails == 0)
				r->details = &pr->det[pr->ndet];
			pr->det[pr->ndet].type = RPT_R_VALIDATION_FAILURE;
			pr->det[pr->ndet].mx_host = p->hosts[i].name;
			pr->det[pr->ndet].reason = "mx host not allowed by "
			    "the MTA-STS policy";
			pr->ndet++;
			r->ndetails++;
		}
	}
	if (pr->nres > 0)
		p->r->on_pass(p->r->on_pass_arg, pr->res, pr->nres);
	free(pr);
}

/* The verdict lasts no longer than anything it rests on. */
void
pass_ttl(struct pass *p, uint32_t ttl)
{
	if (!p->have_ttl || ttl < p->ttl)
		p->ttl = ttl;
	p->have_ttl = 1;
}

/*
 * An answer holds for its TTL (RFC 2308 for negative ones); a failed
 * lookup, or a negative answer without SOA, is asked again soon.
 */
void
pass_ttl_dns(struct pass *p, const struct dns_result *res)
{
	if (res->status != DNS_FAIL && res->msg.have_ttl)
		pass_ttl(p, res->msg.ttl);
	else
		pass_ttl(p, VERDICT_TTL_DEFER);
}

void
pass_decide(struct pass *p)
{
	uint32_t	 ttl = p->have_ttl ? p->ttl : VERDICT_TTL_MAX;

	p->v.domain = p->domain;
	p->v.reason = p->reason;
	decide(p);
	verdict_rpt(p);
	if (p->v.kind == VERDICT_DEFER && ttl > VERDICT_TTL_DEFER)
		ttl = VERDICT_TTL_DEFER;
	if (ttl < VERDICT_TTL_MIN)
		ttl = VERDICT_TTL_MIN;
	if (ttl > VERDICT_TTL_MAX)
		ttl = VERDICT_TTL_MAX;
	p->v.ttl = ttl;
}
