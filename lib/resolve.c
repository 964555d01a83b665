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


#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mtasts.h"
#include "pass.h"

/*
 * One pass over a recipient domain (RFC 8461 5.1, RFC 7672 2.2):
 * the MX and _mta-sts TXT lookups start together; the MX answer leads
 * to A/AAAA and TLSA lookups per host when it is signed, the TXT answer
 * to a policy fetch when the cached policy will not do.  Everything
 * runs on one loop; the verdict is decided when nothing is left in
 * flight, or at the deadline with whatever did not answer counted as
 * failed.  A second query for a domain in flight joins the first.
 */

#define FETCH_RETRY		300	/* RFC 8461 3.3: five minutes per id */
#define NEGATIVE_TTL		600	/* no policy: ask DNS again after */
#define REFRESH_EVERY		86400	/* RFC 8461 3.3: about once a day */
#define MAX_HOSTS		32

static void	pass_check(struct pass *);
static void	start_fetch(struct pass *);

static void
lookup(struct pass *p, struct dns_waiter **w, const char *name,
    uint16_t type, dns_cb cb, void *arg)
{
	*w = dns_lookup(p->r->dns, name, type, cb, arg);
	if (*w != NULL)
		p->pending++;
	else
		pass_note(p, "%s %s: cannot start the lookup", name,
		    dns_type_name(type));
}

static void
host_decide_addr(struct host *h);

/*
 * The TLSA records as TLS reports give them (RFC 8460 4.4): "U S M"
 * and the data in hex, a few per host, those too long left out.
 */
#define TLSA_STR_MAX	8
#define TLSA_DATA_MAX	128

static void
host_tlsa_strings(struct host *h, const struct dns_msg *m)
{
	const struct dns_rec	*rr;
	char			 buf[16 + 2 * TLSA_DATA_MAX + 1];
	size_t			 i, j, n;

	if (h->p->r->on_pass == NULL || (h->tlsa = calloc(TLSA_STR_MAX,
	    sizeof(*h->tlsa))) == NULL)
		return;
	for (i = 0; i < m->nrr && h->ntlsa_str < TLSA_STR_MAX; i++) {
		rr = &m->rr[i];
		if (rr->len < 4 || rr->len - 3 > TLSA_DATA_MAX)
			continue;
		n = (size_t)snprintf(buf, sizeof(buf), "%u %u %u ",
		    rr->data[0], rr->data[1], rr->data[2]);
		for (j = 3; j < rr->len; j++, n += 2)
			(void)snprintf(buf + n, sizeof(buf) - n, "%02X",
			    rr->data[j]);
		if ((h->tlsa[h->ntlsa_str] = strdup(buf)) != NULL)
			h->ntlsa_str++;
	}
}

static void
on_tlsa(void *arg, const struct dns_result *res)
{
	struct host	*h = arg;
	struct pass	*p = h->p;

	h->wtlsa = NULL;
	p->pending--;
	pass_ttl_dns(p, res);
	if (res->status == DNS_FAIL) {
		h->state = H_FAILED;
		h->tlsa_failed = 1;
		(void)snprintf(h->why, sizeof(h->why), "TLSA lookup failed: "
		    "%s", res->why);
	} else if (res->status == DNS_ANSWER && res->sec == DNS_SECURE) {
		h->ntlsa = res->msg.nrr;
		h->nusable = dane_count_usable(&res->msg);
		h->state = h->nusable ? H_DANE_USABLE : H_DANE_UNUSABLE;
		host_tlsa_strings(h, &res->msg);
	} else {
		h->state = H_NO_DANE;
		(void)snprintf(h->why, sizeof(h->why), "TLSA %s, %s",
		    dns_status_name(res->status), dns_sec_name(res->sec));
	}
	pass_check(p);
}

/* RFC 7672 2.2.2: addresses first, TLSA only behind signed ones. */
static void
host_decide_addr(struct host *h)
{
	struct pass	*p = h->p;
	char		 qname[DNS_WIRE_NAME_MAX + 16];

	if (!h->a_done || !h->aaaa_done)
		return;
	if (h->a_st == DNS_FAIL || h->aaaa_st == DNS_FAIL) {
		h->state = H_FAILED;
		return;
	}
	if (h->a_st != DNS_ANSWER && h->aaaa_st != DNS_ANSWER) {
		h->state = H_NO_ADDRESS;
		(void)snprintf(h->why, sizeof(h->why), "no A or AAAA record");
		return;
	}
	if ((h->a_st == DNS_ANSWER && h->a_sec != DNS_SECURE) ||
	    (h->aaaa_st == DNS_ANSWER && h->aaaa_sec != DNS_SECURE)) {
		h->state = H_NO_DANE;
		(void)snprintf(h->why, sizeof(h->why), "addresses insecure, "
		    "no TLSA lookup");
		return;
	}
	(void)snprintf(qname, sizeof(qname), "_25._tcp.%s", h->name);
	lookup(p, &h->wtlsa, qname, DNS_T_TLSA, on_tlsa, h);
	if (h->wtlsa == NULL)
		h->state = H_FAILED;
}

static void
on_addr(struct host *h, const struct dns_result *res, int *done,
    enum dns_status *st, enum dns_sec *sec)
{
	*done = 1;
	*st = res->status;
	*sec = res->sec;
	h->p->pending--;
	pass_ttl_dns(h->p, res);
	if (res->status == DNS_FAIL)
		(void)snprintf(h->why, sizeof(h->why), "address lookup "
		    "failed: %s", res->why);
	host_decide_addr(h);
	pass_check(h->p);
}

static void
on_a(void *arg, const struct dns_result *res)
{
	struct host	*h = arg;

	h->wa = NULL;
	on_addr(h, res, &h->a_done, &h->a_st, &h->a_sec);
}

static void
on_aaaa(void *arg, const struct dns_result *res)
{
	struct host	*h = arg;

	h->waaaa = NULL;
	on_addr(h, res, &h->aaaa_done, &h->aaaa_st, &h->aaaa_sec);
}

/* Sorted by preference as they come: equal ones keep DNS order. */
static int
host_add(struct pass *p, size_t cap, const char *name, uint16_t pref)
{
	struct host	*h;
	char		 norm[DNS_NAME_MAX + 1];
	size_t		 i;
	int		 valid;

	if (p->nhosts == cap) {
		pass_note(p, "MX %s: more than %d hosts; the rest ignored",
		    p->domain, MAX_HOSTS);
		return 0;
	}
	valid = domain_normalize(name, norm, sizeof(norm)) == 0;
	for (i = p->nhosts; i > 0 && p->hosts[i - 1].pref > pref; i--)
		p->hosts[i] = p->hosts[i - 1];
	h = &p->hosts[i];
	memset(h, 0, sizeof(*h));
	h->p = p;
	h->pref = pref;
	h->valid = valid;
	if ((h->name = strdup(valid ? norm : name)) == NULL) {
		memmove(h, h + 1, (p->nhosts - i) * sizeof(*h));
		return 0;
	}
	p->nhosts++;
	return 1;
}

/*
 * The hosts, sized by the answer, before any lookup takes a pointer to
 * one of them.
 */
static void
mx_hosts(struct pass *p, const struct dns_result *res)
{
	size_t	 i, n;

	n = res->status == DNS_NODATA ? 1 : res->msg.nrr;
	if (n > MAX_HOSTS)
		n = MAX_HOSTS;
	if ((p->hosts = calloc(n, sizeof(*p->hosts))) == NULL) {
		pass_note(p, "MX %s: out of memory", p->domain);
		return;
	}
	if (res->status == DNS_NODATA) {
		host_add(p, n, p->domain, 0);
		pass_note(p, "MX %s: none, %s: the domain itself is the "
		    "implicit MX", p->domain, dns_sec_name(res->sec));
		return;
	}
	for (i = 0; i < res->msg.nrr; i++)
		host_add(p, n, res->msg.rr[i].name, res->msg.rr[i].pref);
	if (res->msg.nrr == 1 && strcmp(res->msg.rr[0].name, ".") == 0)
		p->null_mx = 1;
}

static void
on_mx(void *arg, const struct dns_result *res)
{
	struct pass	*p = arg;
	size_t		 i;

	p->wmx = NULL;
	p->pending--;
	pass_ttl_dns(p, res);
	p->mx_done = 1;
	p->mx_st = res->status;
	p->mx_sec = res->sec;
	(void)snprintf(p->mx_why, sizeof(p->mx_why), "%s", res->why);
	if (res->status == DNS_ANSWER || res->status == DNS_NODATA)
		mx_hosts(p, res);
	if (p->mx_sec == DNS_SECURE && !p->null_mx)
		for (i = 0; i < p->nhosts; i++) {
			struct host *h = &p->hosts[i];

			if (!h->valid) {
				h->state = H_FAILED;
				continue;
			}
			lookup(p, &h->wa, h->name, DNS_T_A, on_a, h);
			lookup(p, &h->waaaa, h->name, DNS_T_AAAA, on_aaaa, h);
			if (h->wa == NULL || h->waaaa == NULL)
				h->state = H_FAILED;
		}
	pass_check(p);
}

static void
remember_failure(struct pass *p)
{
	struct cache_entry	*e = &p->cached;
	char			 why[CACHE_ERR_MAX];

	(void)snprintf(e->domain, sizeof(e->domain), "%s", p->domain);
	(void)snprintf(e->failed_id, sizeof(e->failed_id), "%s", p->rec.id);
	e->failed_at = p->now;
	if (p->r->cache != NULL &&
	    cache_store(p->r->cache, e, why, sizeof(why)) == -1)
		pass_note(p, "cache: cannot record the failed fetch: %s", why);
}

static void
fetch_failed(struct pass *p, const char *why)
{
	p->fetch = FETCH_FAILED;
	if (p->fetch_rt < 0)
		p->fetch_rt = RPT_R_STS_POLICY_FETCH_ERROR;
	(void)snprintf(p->fetch_why, sizeof(p->fetch_why), "%s", why);
	remember_failure(p);
}

static void
policy_warning(void *arg, const struct sts_error *e)
{
	struct pass	*p = arg;

	pass_note(p, "policy line %zu: warning: %s", e->where, e->msg);
}

static void
on_fetch(void *arg, const struct fetch_result *res)
{
	struct pass		*p = arg;
	struct cache_entry	*e = &p->fresh;
	struct sts_error	 err;
	char			 why[WHY_MAX];

	p->fh = NULL;
	p->pending--;
	if (!res->ok) {
		if (res->stage == FETCH_STAGE_TLS &&
		    fetch_tls_is_pkix(res->err))
			p->fetch_rt = RPT_R_STS_WEBPKI_INVALID;
		fetch_failed(p, res->err);
		pass_check(p);
		return;
	}
	memset(e, 0, sizeof(*e));
	if (sts_policy_parse(res->body, res->len, &e->pol, &err,
	    policy_warning, p) == -1) {
		if (err.where > 0)
			(void)snprintf(why, sizeof(why), "invalid policy: "
			    "line %zu: %s", err.where, err.msg);
		else
			(void)snprintf(why, sizeof(why), "invalid policy: %s",
			    err.msg);
		p->fetch_rt = RPT_R_STS_POLICY_INVALID;
		fetch_failed(p, why);
		pass_check(p);
		return;
	}
	(void)snprintf(e->domain, sizeof(e->domain), "%s", p->domain);
	(void)snprintf(e->id, sizeof(e->id), "%s", p->rec.id);
	e->fetched = p->now;
	e->expires = p->now + (int64_t)e->pol.max_age;
	if ((e->body = malloc(res->len + 1)) != NULL) {
		memcpy(e->body, res->body, res->len);
		e->body[res->len] = '\0';
		e->len = res->len;
	}
	p->have_fresh = 1;
	p->fetch = FETCH_OK;
	(void)snprintf(why, sizeof(why), "out of memory");
	if (p->r->cache != NULL && (e->body == NULL ||
	    cache_store(p->r->cache, e, why, sizeof(why)) == -1))
		pass_note(p, "cache: cannot store the new policy: %s", why);
	pass_check(p);
}

static void
add_paddrs(struct pass *p, const struct dns_result *res, uint16_t type)
{
	size_t	 i;

	if (res->status != DNS_ANSWER)
		return;
	for (i = 0; i < res->msg.nrr && p->npaddrs < 8; i++) {
		struct sockaddr_storage *ss = &p->paddrs[p->npaddrs];

		memset(ss, 0, sizeof(*ss));
		if (type == DNS_T_A) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ss;

			sin->sin_family = AF_INET;
			sin->sin_port = htons(443);
			memcpy(&sin->sin_addr, res->msg.rr[i].data, 4);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(443);
			memcpy(&sin6->sin6_addr, res->msg.rr[i].data, 16);
		}
		p->npaddrs++;
	}
}

static void
on_policy_addr(struct pass *p, const struct dns_result *res, uint16_t type)
{
	char	 why[STS_ERR_MAX + DNS_NAME_MAX];

	p->pending--;
	add_paddrs(p, res, type);
	if (--p->pa_pending > 0) {
		pass_check(p);
		return;
	}
	if (p->npaddrs == 0) {
		(void)snprintf(why, sizeof(why), "mta-sts.%s: no address",
		    p->domain);
		fetch_failed(p, why);
	} else {
		(void)snprintf(why, sizeof(why), "mta-sts.%s", p->domain);
		p->fh = fetch_start(p->r->fetcher, why, p->paddrs, p->npaddrs,
		    on_fetch, p);
		if (p->fh != NULL)
			p->pending++;
		else
			fetch_failed(p, "cannot start the fetch");
	}
	pass_check(p);
}

static void
on_pa(void *arg, const struct dns_result *res)
{
	struct pass	*p = arg;

	p->wpa = NULL;
	on_policy_addr(p, res, DNS_T_A);
}

static void
on_paaaa(void *arg, const struct dns_result *res)
{
	struct pass	*p = arg;

	p->wpaaaa = NULL;
	on_policy_addr(p, res, DNS_T_AAAA);
}

static void
start_fetch(struct pass *p)
{
	char	 host[DNS_NAME_MAX + 16];

	(void)snprintf(host, sizeof(host), "mta-sts.%s", p->domain);
	p->fetch = FETCH_RUNNING;
	p->pa_pending = 2;
	lookup(p, &p->wpa, host, DNS_T_A, on_pa, p);
	lookup(p, &p->wpaaaa, host, DNS_T_AAAA, on_paaaa, p);
	if (p->wpa == NULL || p->wpaaaa == NULL) {
		dns_cancel(p->wpa);
		dns_cancel(p->wpaaaa);
		p->pending -= (p->wpa != NULL) + (p->wpaaaa != NULL);
		p->wpa = p->wpaaaa = NULL;
		fetch_failed(p, "cannot look up the policy host");
	}
}

/*
 * RFC 8461 3.3 and 10.2: refresh a cached policy well before it
 * expires, about once a day (at half its max_age when that is
 * shorter), less some jitter so that processes and domains spread.
 */
static int
refresh_due(const struct cache_entry *e, int64_t now)
{
	int64_t	 every = (e->expires - e->fetched) / 2;

	if (every > REFRESH_EVERY)
		every = REFRESH_EVERY;
	if (every > 1)
		every -= arc4random_uniform((uint32_t)(every / 4));
	return now - e->fetched >= every;
}

/* RFC 8461 3.3: a failed fetch is not tried again for five minutes. */
static int
rate_limited(struct pass *p, const char *id)
{
	if (strcmp(p->cached.failed_id, id) != 0 ||
	    p->now - p->cached.failed_at >= FETCH_RETRY)
		return 0;
	p->fetch = FETCH_RATE_LIMITED;
	(void)snprintf(p->fetch_why, sizeof(p->fetch_why), "a fetch for id "
	    "%s failed %lld s ago; not tried again before %d s", id,
	    (long long)(p->now - p->cached.failed_at), FETCH_RETRY);
	return 1;
}

/*
 * RFC 8461 3.1, 3.3, 5.1: fetch when the TXT id differs from the
 * cached one or nothing valid is cached, and refresh a cached policy
 * when due, even when the TXT record is gone (10.2): that is how a
 * domain's "mode: none" reaches senders that cached its policy.
 */
static void
decide_fetch(struct pass *p)
{
	if (!p->txt_valid) {
		if (!p->have_cached || !refresh_due(&p->cached, p->now))
			return;
		memcpy(p->rec.id, p->cached.id, sizeof(p->rec.id));
		pass_note(p, "no usable TXT record; refreshing the cached "
		    "policy id %s", p->cached.id);
	} else if (p->have_cached && strcmp(p->cached.id, p->rec.id) == 0) {
		if (!refresh_due(&p->cached, p->now))
			return;
		pass_note(p, "cached policy id %s is due for a refresh",
		    p->cached.id);
	}
	if (!rate_limited(p, p->rec.id))
		start_fetch(p);
}

static void
remember_no_policy(struct pass *p)
{
	struct cache_entry	*e = &p->cached;
	char			 why[CACHE_ERR_MAX];

	if (p->r->cache == NULL || p->have_cached || p->txt_st == DNS_FAIL)
		return;
	(void)snprintf(e->domain, sizeof(e->domain), "%s", p->domain);
	/* As long as the DNS says there is none, up to NEGATIVE_TTL. */
	e->negative_until = p->now + (p->txt_ttl < VERDICT_TTL_MIN ?
	    VERDICT_TTL_MIN : p->txt_ttl > NEGATIVE_TTL ? NEGATIVE_TTL :
	    p->txt_ttl);
	if (cache_store(p->r->cache, e, why, sizeof(why)) == -1)
		pass_note(p, "cache: cannot record that there is no policy: "
		    "%s", why);
}

static void
on_txt(void *arg, const struct dns_result *res)
{
	struct pass	*p = arg;
	struct sts_error err;
	int		 r;

	p->wtxt = NULL;
	p->pending--;
	pass_ttl_dns(p, res);
	p->txt_ttl = res->status != DNS_FAIL && res->msg.have_ttl ?
	    res->msg.ttl : NEGATIVE_TTL;
	p->txt_done = 1;
	p->txt_st = res->status;
	p->txt_sec = res->sec;
	(void)snprintf(p->txt_why, sizeof(p->txt_why), "%s", res->why);
	if (res->status == DNS_ANSWER) {
		r = sts_record_from_dns(&res->msg, &p->rec, &err);
		p->txt_valid = r == 0;
		if (r == -2)
			p->txt_st = DNS_FAIL;
		if (r != 0)
			(void)snprintf(p->txt_why, sizeof(p->txt_why), "%s",
			    err.msg);
	}
	if (!p->txt_valid)
		remember_no_policy(p);
	decide_fetch(p);
	pass_check(p);
}

/*
 * Whether the domain publishes a TLSRPT record (RFC 8460 3): asked
 * beside the others, but the verdict never waits for it; not known by
 * then, results are recorded all the same, and the report command
 * looks again.
 */
static void
on_rpt(void *arg, const struct dns_result *res)
{
	struct pass		*p = arg;
	struct rpt_record	 rec;

	p->wrpt = NULL;
	if (res->status == DNS_FAIL)
		return;
	p->rpt = res->status == DNS_ANSWER &&
	    rpt_record_from_dns(&res->msg, &rec) == 0 ? VERDICT_RPT_YES :
	    VERDICT_RPT_NO;
	if (p->rpt == VERDICT_RPT_YES)
		rpt_record_free(&rec);
}

static void
pass_cancel_all(struct pass *p)
{
	size_t	 i;

	dns_cancel(p->wrpt);
	p->wrpt = NULL;
	dns_cancel(p->wmx);
	dns_cancel(p->wtxt);
	dns_cancel(p->wpa);
	dns_cancel(p->wpaaaa);
	p->wmx = p->wtxt = p->wpa = p->wpaaaa = NULL;
	fetch_cancel(p->fh);
	p->fh = NULL;
	for (i = 0; i < p->nhosts; i++) {
		struct host *h = &p->hosts[i];

		dns_cancel(h->wa);
		dns_cancel(h->waaaa);
		dns_cancel(h->wtlsa);
		h->wa = h->waaaa = h->wtlsa = NULL;
	}
	p->pending = 0;
}

/* At the deadline, whatever has not answered has failed. */
static void
pass_expire(struct pass *p)
{
	size_t	 i;

	if (p->pending > 0)
		pass_ttl(p, VERDICT_TTL_DEFER);

	if (p->wmx != NULL) {
		p->mx_done = 1;
		p->mx_st = DNS_FAIL;
		(void)snprintf(p->mx_why, sizeof(p->mx_why), "timed out");
	}
	if (p->wtxt != NULL) {
		p->txt_done = 1;
		p->txt_st = DNS_FAIL;
		(void)snprintf(p->txt_why, sizeof(p->txt_why), "timed out");
	}
	if (p->fetch == FETCH_RUNNING)
		fetch_failed(p, "timed out");
	for (i = 0; i < p->nhosts; i++) {
		struct host *h = &p->hosts[i];

		if (h->wa != NULL || h->waaaa != NULL || h->wtlsa != NULL) {
			h->state = H_FAILED;
			h->tlsa_failed = h->wtlsa != NULL;
			(void)snprintf(h->why, sizeof(h->why), "timed out");
		}
	}
}

static void
pass_free(struct pass *p)
{
	struct pass_waiter	*w;
	size_t			 i;

	while ((w = TAILQ_FIRST(&p->waiters)) != NULL) {
		TAILQ_REMOVE(&p->waiters, w, entry);
		free(w);
	}
	pass_cancel_all(p);
	evtimer_del(&p->deadline);
	evtimer_del(&p->kick);
	cache_entry_free(&p->cached);
	cache_entry_free(&p->fresh);
	verdict_free(&p->v);
	for (i = 0; i < p->nhosts; i++) {
		free(p->hosts[i].name);
		while (p->hosts[i].ntlsa_str > 0)
			free(p->hosts[i].tlsa[--p->hosts[i].ntlsa_str]);
		free(p->hosts[i].tlsa);
	}
	free(p->hosts);
	free(p);
}

/* Each waiter is taken off before its callback, which may cancel others. */
static void
pass_finish(struct pass *p)
{
	struct pass_waiter	*w;

	if (p->finished)
		return;
	p->finished = 1;
	pass_expire(p);
	pass_cancel_all(p);
	pass_decide(p);
	if (p->r->on_pass != NULL)
		pass_report(p);
	TAILQ_REMOVE(&p->r->passes, p, entry);
	p->r->npasses--;
	while ((w = TAILQ_FIRST(&p->waiters)) != NULL) {
		TAILQ_REMOVE(&p->waiters, w, entry);
		w->cb(w->arg, &p->v);
		free(w);
	}
	pass_free(p);
}

static void
pass_check(struct pass *p)
{
	if (p->pending == 0 && !p->finished)
		pass_finish(p);
}

static void
on_deadline(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	pass_finish(arg);
}

static void
pass_begin(int fd, short ev, void *arg)
{
	struct pass	*p = arg;
	char		 txt[DNS_NAME_MAX + 16];

	(void)fd;
	(void)ev;
	if (p->literal) {
		pass_finish(p);
		return;
	}
	if (p->r->on_pass != NULL) {
		(void)snprintf(txt, sizeof(txt), "_smtp._tls.%s", p->domain);
		p->wrpt = dns_lookup(p->r->dns, txt, DNS_T_TXT, on_rpt, p);
	}
	if (cache_load(p->r->cache, p->domain, &p->cached) == 0)
		p->have_cached = p->cached.id[0] != '\0' &&
		    p->cached.expires > p->now;
	if (p->have_cached)
		pass_ttl(p, p->cached.expires - p->now);
	lookup(p, &p->wmx, p->domain, DNS_T_MX, on_mx, p);
	if (!p->have_cached && p->cached.negative_until > p->now) {
		pass_ttl(p, p->cached.negative_until - p->now);
		pass_note(p, "no policy for another %lld s (negative cache)",
		    (long long)(p->cached.negative_until - p->now));
	} else {
		(void)snprintf(txt, sizeof(txt), "_mta-sts.%s", p->domain);
		p->txt_asked = 1;
		lookup(p, &p->wtxt, txt, DNS_T_TXT, on_txt, p);
	}
	pass_check(p);
}

static struct pass *
pass_new(struct resolver *r, const char *domain, int literal)
{
	struct pass	*p;
	struct timeval	 tv = { r->conf.pass_timeout, 0 }, now = { 0, 0 };

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->r = r;
	p->literal = literal;
	p->rpt = VERDICT_RPT_UNKNOWN;
	p->fetch_rt = -1;
	p->now = time(NULL);
	(void)snprintf(p->domain, sizeof(p->domain), "%s", domain);
	TAILQ_INIT(&p->waiters);
	TAILQ_INSERT_TAIL(&r->passes, p, entry);
	r->npasses++;
	evtimer_set(&p->deadline, on_deadline, p);
	event_base_set(r->base, &p->deadline);
	evtimer_add(&p->deadline, &tv);
	/* Started from the loop, so no verdict comes before we return. */
	evtimer_set(&p->kick, pass_begin, p);
	event_base_set(r->base, &p->kick);
	evtimer_add(&p->kick, &now);
	return p;
}

struct pass_waiter *
resolver_query(struct resolver *r, const char *domain, verdict_cb cb,
    void *arg)
{
	struct pass_waiter	*w;
	struct pass		*p;
	char			 norm[DNS_NAME_MAX + 1];
	int			 literal;

	if ((literal = domain_normalize(domain, norm, sizeof(norm))) == -1)
		return NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	TAILQ_FOREACH(p, &r->passes, entry)
		if (strcmp(p->domain, norm) == 0 && !p->finished)
			break;
	if (p == NULL && (p = pass_new(r, norm, literal)) == NULL) {
		free(w);
		return NULL;
	}
	w->p = p;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&p->waiters, w, entry);
	return w;
}

struct cache *
resolver_cache(const struct resolver *r)
{
	return r->cache;
}

/* The lookups a pass makes, for others on the loop (the relay). */
struct dns *
resolver_dns(const struct resolver *r)
{
	return r->dns;
}

/* Passes running now, each for a different domain. */
size_t
resolver_passes(const struct resolver *r)
{
	return r->npasses;
}

/* TLS reporting: each pass says what it found before any connection. */
void
resolver_on_pass(struct resolver *r, pass_rpt_cb cb, void *arg)
{
	r->on_pass = cb;
	r->on_pass_arg = arg;
}

/* The pass goes on for the others, or to fill the cache. */
void
resolver_cancel(struct pass_waiter *w)
{
	if (w == NULL)
		return;
	TAILQ_REMOVE(&w->p->waiters, w, entry);
	free(w);
}

struct resolver *
resolver_new(struct event_base *base, const struct resolver_conf *conf,
    char *err, size_t errsz)
{
	struct resolver	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		(void)snprintf(err, errsz, "out of memory");
		return NULL;
	}
	r->base = base;
	r->conf = *conf;
	TAILQ_INIT(&r->passes);
	if ((r->dns = dns_new(base, conf->forwarder, conf->anchor, err,
	    errsz)) == NULL ||
	    (r->fetcher = fetcher_new(base, conf->cafile, conf->fetch_timeout,
	    conf->max_fetches, err, errsz)) == NULL ||
	    (conf->statedir != NULL && (r->cache = cache_open(conf->statedir,
	    conf->cache_max, err, errsz)) == NULL)) {
		resolver_free(r);
		return NULL;
	}
	return r;
}

/* A cache opened apart, after a change of user; the resolver owns it. */
void
resolver_set_cache(struct resolver *r, struct cache *c)
{
	cache_close(r->cache);
	r->cache = c;
}

void
resolver_free(struct resolver *r)
{
	struct pass	*p;

	if (r == NULL)
		return;
	while ((p = TAILQ_FIRST(&r->passes)) != NULL) {
		TAILQ_REMOVE(&r->passes, p, entry);
		pass_free(p);
	}
	fetcher_free(r->fetcher);
	dns_free(r->dns);
	cache_close(r->cache);
	free(r);
}
