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



#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"
#include "check.h"

/*
 * filter-mtasts check DOMAIN: a diagnosis of a domain's MTA-STS, DANE
 * and TLS reporting, for the person who runs it (RFC 8461 8, 10; RFC
 * 7672; RFC 8460 3).  Everything runs at once on one loop: the MX,
 * _mta-sts and _smtp._tls lookups, the policy fetch (fetch.c), and for
 * each MX host its addresses, its TLSA records where DNSSEC allows
 * them, and a connection to every address proved as a sender would
 * (smtp_client.c).  Then check_report.c judges.  Nothing is written:
 * a state directory is only read, to compare the cached policy.
 */

static void	check_done(struct check *);

static void
lookup_set(struct lookup *l, const struct dns_result *res)
{
	l->done = 1;
	l->st = res->status;
	l->sec = res->sec;
	(void)snprintf(l->why, sizeof(l->why), "%s", res->why);
}

static int
ask(struct check *ck, struct dns_waiter **w, const char *name, uint16_t type,
    dns_cb cb, void *arg)
{
	if ((*w = dns_lookup(ck->dns, name, type, cb, arg)) == NULL)
		return -1;
	ck->pending++;
	return 0;
}

static void
addr_text(const struct sockaddr_storage *ss, char *buf, size_t sz)
{
	const void	*a;

	if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	else
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	if (inet_ntop(ss->ss_family, a, buf, sz) == NULL)
		(void)snprintf(buf, sz, "?");
}

/* The addresses of an answer, with a port, up to max in all. */
static void
addrs_add(const struct dns_result *res, uint16_t type, in_port_t port,
    struct sockaddr_storage *ss, size_t *n, size_t max)
{
	size_t	 i;

	if (res->status != DNS_ANSWER)
		return;
	for (i = 0; i < res->msg.nrr && *n < max; i++) {
		memset(&ss[*n], 0, sizeof(ss[*n]));
		if (type == DNS_T_A && res->msg.rr[i].len == 4) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss[*n];

			sin->sin_family = AF_INET;
			sin->sin_port = htons(port);
			memcpy(&sin->sin_addr, res->msg.rr[i].data, 4);
		} else if (type == DNS_T_AAAA && res->msg.rr[i].len == 16) {
			struct sockaddr_in6 *s6 =
			    (struct sockaddr_in6 *)&ss[*n];

			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(port);
			memcpy(&s6->sin6_addr, res->msg.rr[i].data, 16);
		} else
			continue;
		(*n)++;
	}
}

static void
check_pending(struct check *ck)
{
	if (--ck->pending == 0)
		check_done(ck);
}

/* ------------------------------------------------------- MX hosts */

static void
on_verified(void *arg, const struct verify_result *res, struct smtp_conn *c)
{
	struct check_addr	*a = arg;

	a->v = NULL;
	a->done = 1;
	a->res = *res;
	smtp_conn_free(c);	/* a sender would go on with MAIL FROM */
	check_pending(a->h->ck);
}

/*
 * Each address on its own, as a sender would try it.  What is asked
 * follows the TLSA records; the report judges every facet anyway.
 * The next-hop domain is a DANE-TA reference identifier only behind a
 * secure MX RRset (RFC 7672 3.2.2).
 */
static void
host_verify(struct check_host *h)
{
	struct check		*ck = h->ck;
	struct verify_req	 req;
	enum verify_mode	 mode = VERIFY_STS;
	size_t			 i;

	if (h->tlsa.done && h->tlsa.st == DNS_ANSWER &&
	    h->tlsa.sec == DNS_SECURE)
		mode = h->nusable > 0 ? VERIFY_DANE : VERIFY_TLS;
	for (i = 0; i < h->naddrs; i++) {
		struct check_addr *a = &h->addrs[i];

		memset(&req, 0, sizeof(req));
		req.host = h->name;
		req.domain = ck->mx.sec == DNS_SECURE ? ck->domain : NULL;
		req.addrs = &a->ss;
		req.naddrs = 1;
		req.mode = mode;
		req.tlsa = h->rrs;
		req.ntlsa = h->nrrs;
		a->mode = mode;
		if ((a->v = verify_start(ck->verifier, &req, on_verified,
		    a)) == NULL) {
			a->done = 1;
			a->res.result = TLSRPT_TEMPORARY;
			(void)snprintf(a->res.reason, sizeof(a->res.reason),
			    "cannot start the connection");
			continue;
		}
		ck->pending++;
	}
}

static void
on_tlsa(void *arg, const struct dns_result *res)
{
	struct check_host	*h = arg;
	size_t			 i;

	h->wtlsa = NULL;
	lookup_set(&h->tlsa, res);
	if (res->status == DNS_ANSWER && res->sec == DNS_SECURE &&
	    (h->rrs = calloc(res->msg.nrr, sizeof(*h->rrs))) != NULL) {
		for (i = 0; i < res->msg.nrr; i++) {
			if ((h->rrs[i].data = malloc(res->msg.rr[i].len + 1)) ==
			    NULL)
				break;
			memcpy(h->rrs[i].data, res->msg.rr[i].data,
			    res->msg.rr[i].len);
			h->rrs[i].len = res->msg.rr[i].len;
			h->rrs[i].type = DNS_T_TLSA;
			h->nrrs++;
		}
		h->nusable = dane_count_usable(&res->msg);
	}
	host_verify(h);
	check_pending(h->ck);
}

/* RFC 7672 2.2.2: TLSA only behind a secure MX and secure addresses. */
static void
host_addrs_done(struct check_host *h)
{
	struct check	*ck = h->ck;
	char		 q[DNS_WIRE_NAME_MAX + 16];

	if (!h->a.done || !h->aaaa.done)
		return;
	if (ck->mx.sec == DNS_SECURE && h->naddrs > 0 &&
	    (h->a.st != DNS_ANSWER || h->a.sec == DNS_SECURE) &&
	    (h->aaaa.st != DNS_ANSWER || h->aaaa.sec == DNS_SECURE) &&
	    h->a.st != DNS_FAIL && h->aaaa.st != DNS_FAIL) {
		(void)snprintf(q, sizeof(q), "_25._tcp.%s", h->name);
		if (ask(ck, &h->wtlsa, q, DNS_T_TLSA, on_tlsa, h) == 0) {
			h->tlsa_asked = 1;
			return;
		}
	}
	host_verify(h);
}

static void
on_host_addr(struct check_host *h, const struct dns_result *res,
    uint16_t type, struct lookup *l)
{
	struct sockaddr_storage	 ss[CHECK_ADDRS];
	size_t			 i, n = 0;

	lookup_set(l, res);
	addrs_add(res, type, 25, ss, &n, CHECK_ADDRS - h->naddrs);
	for (i = 0; i < n; i++) {
		h->addrs[h->naddrs].h = h;
		h->addrs[h->naddrs].ss = ss[i];
		addr_text(&ss[i], h->addrs[h->naddrs].text,
		    sizeof(h->addrs[h->naddrs].text));
		h->naddrs++;
	}
	host_addrs_done(h);
	check_pending(h->ck);
}

static void
on_host_a(void *arg, const struct dns_result *res)
{
	struct check_host	*h = arg;

	h->wa = NULL;
	on_host_addr(h, res, DNS_T_A, &h->a);
}

static void
on_host_aaaa(void *arg, const struct dns_result *res)
{
	struct check_host	*h = arg;

	h->waaaa = NULL;
	on_host_addr(h, res, DNS_T_AAAA, &h->aaaa);
}

static void
host_add(struct check *ck, const char *name, uint16_t pref)
{
	struct check_host	*h;
	size_t			 i;

	if (ck->nhosts == CHECK_HOSTS)
		return;
	/* by preference; equal ones keep DNS order */
	for (i = ck->nhosts; i > 0 && ck->hosts[i - 1].pref > pref; i--)
		ck->hosts[i] = ck->hosts[i - 1];
	h = &ck->hosts[i];
	memset(h, 0, sizeof(*h));
	h->pref = pref;
	h->valid = domain_normalize(name, h->name, sizeof(h->name)) == 0;
	if (!h->valid)
		(void)snprintf(h->name, sizeof(h->name), "%s", name);
	ck->nhosts++;
}

static void
on_mx(void *arg, const struct dns_result *res)
{
	struct check	*ck = arg;
	size_t		 i;

	ck->wmx = NULL;
	lookup_set(&ck->mx, res);
	if (res->status == DNS_ANSWER) {
		ck->nmx = res->msg.nrr;
		ck->null_mx = res->msg.nrr == 1 &&
		    strcmp(res->msg.rr[0].name, ".") == 0;
		for (i = 0; i < res->msg.nrr && !ck->null_mx; i++)
			host_add(ck, res->msg.rr[i].name, res->msg.rr[i].pref);
	} else if (res->status == DNS_NODATA) {
		ck->implicit_mx = 1;
		host_add(ck, ck->domain, 0);
	}
	/* the hosts moved while sorted: their callbacks start now */
	for (i = 0; i < ck->nhosts; i++) {
		struct check_host *h = &ck->hosts[i];

		h->ck = ck;
		if (!h->valid)
			continue;
		if (ask(ck, &h->wa, h->name, DNS_T_A, on_host_a, h) == -1) {
			h->a.st = DNS_FAIL;
			h->a.done = 1;
		}
		if (ask(ck, &h->waaaa, h->name, DNS_T_AAAA, on_host_aaaa,
		    h) == -1) {
			h->aaaa.st = DNS_FAIL;
			h->aaaa.done = 1;
		}
		host_addrs_done(h);
	}
	check_pending(ck);
}

/* ----------------------------------------------------- the policy */

static void
policy_note(void *arg, const struct sts_error *e)
{
	struct check	*ck = arg;

	if (ck->npol_notes == CHECK_NOTES)
		return;
	ck->pol_notes[ck->npol_notes].line = e->where;
	memcpy(ck->pol_notes[ck->npol_notes].msg, e->msg, sizeof(e->msg));
	ck->npol_notes++;
}

static void
on_fetch(void *arg, const struct fetch_result *res)
{
	struct check	*ck = arg;

	ck->fh = NULL;
	ck->fetch_done = 1;
	ck->fetch_ok = res->ok;
	ck->fetch_tls_failed = res->tls_failed;
	ck->fetch_not_after = res->cert_not_after;
	(void)snprintf(ck->fetch_err, sizeof(ck->fetch_err), "%s", res->err);
	(void)snprintf(ck->fetch_version, sizeof(ck->fetch_version), "%s",
	    res->tls_version);
	if (res->ok && (ck->body = malloc(res->len + 1)) != NULL) {
		memcpy(ck->body, res->body, res->len);
		ck->body[res->len] = '\0';
		ck->len = res->len;
		ck->pol_valid = sts_policy_parse(ck->body, ck->len, &ck->pol,
		    &ck->pol_err, policy_note, ck) == 0;
	}
	check_pending(ck);
}

static void
policy_addrs_done(struct check *ck)
{
	char	 host[DNS_NAME_MAX + 16];

	if (!ck->pa.done || !ck->paaaa.done || ck->npaddrs == 0)
		return;
	(void)snprintf(host, sizeof(host), "mta-sts.%s", ck->domain);
	if ((ck->fh = fetch_start(ck->fetcher, host, ck->paddrs, ck->npaddrs,
	    on_fetch, ck)) != NULL)
		ck->pending++;
	else {
		ck->fetch_done = 1;
		(void)snprintf(ck->fetch_err, sizeof(ck->fetch_err), "cannot "
		    "start the fetch");
	}
}

static void
on_pa(void *arg, const struct dns_result *res)
{
	struct check	*ck = arg;

	ck->wpa = NULL;
	lookup_set(&ck->pa, res);
	addrs_add(res, DNS_T_A, 443, ck->paddrs, &ck->npaddrs, CHECK_PADDRS);
	policy_addrs_done(ck);
	check_pending(ck);
}

static void
on_paaaa(void *arg, const struct dns_result *res)
{
	struct check	*ck = arg;

	ck->wpaaaa = NULL;
	lookup_set(&ck->paaaa, res);
	addrs_add(res, DNS_T_AAAA, 443, ck->paddrs, &ck->npaddrs,
	    CHECK_PADDRS);
	policy_addrs_done(ck);
	check_pending(ck);
}

static void
on_txt(void *arg, const struct dns_result *res)
{
	struct check	*ck = arg;
	struct sts_error err;
	size_t		 i;

	ck->wtxt = NULL;
	lookup_set(&ck->txt, res);
	if (res->status == DNS_ANSWER) {
		ck->ntxt = res->msg.nrr;
		for (i = 0; i < res->msg.nrr; i++)
			ck->ncand += sts_record_is_candidate(
			    (const char *)res->msg.rr[i].data,
			    res->msg.rr[i].len);
		ck->txt_valid = sts_record_from_dns(&res->msg, &ck->rec,
		    &err) == 0;
		if (!ck->txt_valid)
			(void)snprintf(ck->txt_err, sizeof(ck->txt_err), "%s",
			    err.msg);
	}
	check_pending(ck);
}

static void
rpt_note(void *arg, const struct sts_error *e)
{
	struct check	*ck = arg;

	if (ck->nrpt_notes == CHECK_NOTES)
		return;
	ck->rpt_notes[ck->nrpt_notes].line = e->where;
	memcpy(ck->rpt_notes[ck->nrpt_notes].msg, e->msg, sizeof(e->msg));
	ck->nrpt_notes++;
}

static void
on_rpt(void *arg, const struct dns_result *res)
{
	struct check	*ck = arg;
	struct sts_error err;

	ck->wrpt = NULL;
	lookup_set(&ck->rpt, res);
	if (res->status == DNS_ANSWER) {
		ck->rpt_valid = tlsrpt_record_from_dns(&res->msg,
		    &ck->rpt_rec, &err, rpt_note, ck) == 0;
		if (!ck->rpt_valid)
			(void)snprintf(ck->rpt_err, sizeof(ck->rpt_err), "%s",
			    err.msg);
	}
	check_pending(ck);
}

/* ------------------------------------------------------- the run */

static void
cancel_all(struct check *ck)
{
	size_t	 i, j;

	dns_cancel(ck->wmx);
	dns_cancel(ck->wtxt);
	dns_cancel(ck->wrpt);
	dns_cancel(ck->wpa);
	dns_cancel(ck->wpaaaa);
	ck->wmx = ck->wtxt = ck->wrpt = ck->wpa = ck->wpaaaa = NULL;
	fetch_cancel(ck->fh);
	ck->fh = NULL;
	for (i = 0; i < ck->nhosts; i++) {
		struct check_host *h = &ck->hosts[i];

		dns_cancel(h->wa);
		dns_cancel(h->waaaa);
		dns_cancel(h->wtlsa);
		h->wa = h->waaaa = h->wtlsa = NULL;
		for (j = 0; j < h->naddrs; j++) {
			verify_cancel(h->addrs[j].v);
			h->addrs[j].v = NULL;
		}
	}
}

static void
check_done(struct check *ck)
{
	evtimer_del(&ck->deadline);
	event_base_loopexit(ck->base, NULL);
}

/* What has not answered by now has failed; the report says so. */
static void
on_deadline(int fd, short ev, void *arg)
{
	struct check	*ck = arg;

	(void)fd;
	(void)ev;
	ck->timed_out = 1;
	cancel_all(ck);
	check_done(ck);
}

static void
check_start(struct check *ck)
{
	struct timeval	 tv = { CHECK_LIMIT, 0 };
	char		 name[DNS_NAME_MAX + 16];

	evtimer_set(&ck->deadline, on_deadline, ck);
	event_base_set(ck->base, &ck->deadline);
	evtimer_add(&ck->deadline, &tv);
	ck->pending = 1;	/* until everything is asked */
	(void)ask(ck, &ck->wmx, ck->domain, DNS_T_MX, on_mx, ck);
	(void)snprintf(name, sizeof(name), "_mta-sts.%s", ck->domain);
	(void)ask(ck, &ck->wtxt, name, DNS_T_TXT, on_txt, ck);
	(void)snprintf(name, sizeof(name), "_smtp._tls.%s", ck->domain);
	(void)ask(ck, &ck->wrpt, name, DNS_T_TXT, on_rpt, ck);
	(void)snprintf(name, sizeof(name), "mta-sts.%s", ck->domain);
	(void)ask(ck, &ck->wpa, name, DNS_T_A, on_pa, ck);
	(void)ask(ck, &ck->wpaaaa, name, DNS_T_AAAA, on_paaaa, ck);
	check_pending(ck);
}

static void
check_free(struct check *ck)
{
	size_t	 i, j;

	cancel_all(ck);
	for (i = 0; i < ck->nhosts; i++) {
		for (j = 0; j < ck->hosts[i].nrrs; j++)
			free(ck->hosts[i].rrs[j].data);
		free(ck->hosts[i].rrs);
	}
	for (i = 0; i < ck->nfindings; i++) {
		free(ck->findings[i].host);
		free(ck->findings[i].address);
		free(ck->findings[i].msg);
		free(ck->findings[i].fix);
	}
	free(ck->findings);
	free(ck->body);
	sts_policy_free(&ck->pol);
	cache_close(ck->cache);
	verifier_free(ck->verifier);
	fetcher_free(ck->fetcher);
	dns_free(ck->dns);
	if (ck->base != NULL)
		event_base_free(ck->base);
}

#define DAYS_MAX	3650

static int
days_arg(const char *s)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < 0 ||
	    n > DAYS_MAX)
		return -1;
	return (int)n;
}

static __dead void
check_usage(void)
{
	usage_status("check", CHECK_EXIT_UNKNOWN);
}

/* Our name in EHLO: the system's, when it is a host name. */
static void
helo_name(char *buf, size_t sz)
{
	if (gethostname(buf, sz) == -1 || !dns_hostname_valid(buf,
	    strlen(buf)))
		(void)snprintf(buf, sz, "localhost");
}

int
cmd_check(int argc, char *argv[])
{
	struct resolver_conf	 conf;
	struct check		*ck;
	char			 ebuf[STS_ERR_MAX * 2], helo[256];
	int			 ch, rc, sgiven = 0;

	resolver_defaults(&conf);
	if ((ck = calloc(1, sizeof(*ck))) == NULL)
		err(CHECK_EXIT_UNKNOWN, NULL);
	ck->warn_days = CHECK_WARN_DAYS;
	while ((ch = getopt(argc, argv, "+a:c:jr:s:w:")) != -1) {
		if (resolver_option(ch, optarg, &conf)) {
			sgiven |= ch == 's';
			continue;
		}
		switch (ch) {
		case 'j':
			ck->json = 1;
			break;
		case 'w':
			if ((ck->warn_days = days_arg(optarg)) == -1)
				errx(CHECK_EXIT_UNKNOWN, "-w %s: not a number "
				    "of days from 0 to %d", optarg, DAYS_MAX);
			break;
		default:
			check_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		check_usage();
	if (domain_normalize(argv[0], ck->domain, sizeof(ck->domain)) != 0) {
		sts_quote(ebuf, sizeof(ebuf), argv[0], strlen(argv[0]));
		errx(CHECK_EXIT_UNKNOWN, "not a domain name: \"%s\"", ebuf);
	}
	/* a peer that goes away while we write costs no signal */
	(void)signal(SIGPIPE, SIG_IGN);
	ck->now = time(NULL);
	helo_name(helo, sizeof(helo));
	if ((ck->base = event_base_new()) == NULL)
		errx(CHECK_EXIT_UNKNOWN, "cannot create an event loop");
	if ((ck->dns = dns_new(ck->base, conf.forwarder, conf.anchor, ebuf,
	    sizeof(ebuf))) == NULL ||
	    (ck->fetcher = fetcher_new(ck->base, conf.cafile, CHECK_FETCH, 1,
	    ebuf, sizeof(ebuf))) == NULL ||
	    (ck->verifier = verifier_new(ck->base, conf.cafile, helo,
	    CHECK_STEP, ebuf, sizeof(ebuf))) == NULL)
		errx(CHECK_EXIT_UNKNOWN, "%s", ebuf);
	if (sgiven && (ck->cache = cache_open(conf.statedir, 0, ebuf,
	    sizeof(ebuf))) == NULL)
		errx(CHECK_EXIT_UNKNOWN, "%s", ebuf);
	ck->statedir = sgiven ? conf.statedir : NULL;
	check_start(ck);
	event_base_dispatch(ck->base);
	rc = check_report(ck);
	check_free(ck);
	free(ck);
	return rc;
}
