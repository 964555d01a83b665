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
#include <sys/time.h>

#include <ctype.h>
#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unbound.h>
#include <unbound-event.h>
#include <unistd.h>

#include "mtasts.h"

/*
 * libunbound in event mode: no thread and no child process, so the
 * lookups run on the caller's libevent loop, and validation happens
 * here rather than trusting some resolver's AD bit (RFC 7672 2.1.1).
 */

struct dns_waiter {
	TAILQ_ENTRY(dns_waiter)	 entry;
	struct dns_query	*q;
	dns_cb			 cb;
	void			*arg;
};

#define DNS_BUCKETS	1024	/* queries in flight are found by hash */

struct dns_query {
	TAILQ_ENTRY(dns_query)	 entry;
	LIST_ENTRY(dns_query)	 bucket;
	TAILQ_HEAD(, dns_waiter) waiters;
	struct dns		*dns;
	char			 name[DNS_NAME_MAX + 2];
	uint16_t		 type;
	struct dns_result	 res;
	struct event		 deliver;
};

struct dns {
	struct event_base	*base;
	struct ub_ctx		*ctx;
	TAILQ_HEAD(, dns_query)	 queries;
	LIST_HEAD(, dns_query)	 buckets[DNS_BUCKETS];
};

/* FNV-1a over the name, case folded, and the type. */
static uint32_t
query_hash(const char *name, uint16_t type)
{
	uint32_t	 h = 2166136261u ^ type;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)tolower((unsigned char)*name)) *
		    16777619u;
	return h % DNS_BUCKETS;
}

/* Where systems keep the root trust anchor, most specific first. */
static const char *const anchors[] = {
	"/var/unbound/db/root.key",	/* OpenBSD */
	"/usr/share/dns/root.key",	/* Debian dns-root-data */
	"/var/lib/unbound/root.key",	/* unbound-anchor */
	"/etc/unbound/root.key",
};

const char *
dns_default_anchor(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(anchors) / sizeof(anchors[0]); i++)
		if (access(anchors[i], R_OK) == 0)
			return anchors[i];
	return NULL;
}

static int
ub_fail(const char *what, int r, char *err, size_t errsz)
{
	(void)snprintf(err, errsz, "%s: %s", what, ub_strerror(r));
	return -1;
}

/*
 * libunbound reads a trust anchor file only at its first lookup, by
 * then maybe chrooted away from it: read the DS or DNSKEY lines now.
 */
static int
load_anchor(struct ub_ctx *ctx, const char *path, char *err, size_t errsz)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 sz = 0;
	ssize_t	 len;
	int	 r, n = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		(void)snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &sz, fp)) != -1) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[strspn(line, " \t")] == '\0' || line[0] == ';' ||
		    line[0] == '#')
			continue;
		if ((r = ub_ctx_add_ta(ctx, line)) != 0) {
			free(line);
			fclose(fp);
			return ub_fail(path, r, err, errsz);
		}
		n++;
	}
	free(line);
	fclose(fp);
	if (n == 0) {
		(void)snprintf(err, errsz, "%s: no trust anchor in it", path);
		return -1;
	}
	return 0;
}

/*
 * libunbound answers some special-use names itself (RFC 6761 and
 * others).  Those that an organization's resolver, or a lab, serves go
 * to the configured resolver, as RFC 6761 6.2 asks for test.; the
 * loopback and private reverse zones, localhost., onion. and invalid.
 * stay local.  Removing a zone freezes the configuration: this is the
 * last step.
 */
static const char *const special_use_resolved[] = {
	"test.",	/* RFC 6761 6.2 */
	"home.arpa.",	/* RFC 8375 */
	"local.",	/* RFC 6762; also a common private suffix */
};

static int
send_special_use(struct ub_ctx *ctx, char *err, size_t errsz)
{
	size_t	 i;
	int	 r;

	for (i = 0; i < sizeof(special_use_resolved) /
	    sizeof(special_use_resolved[0]); i++)
		if ((r = ub_ctx_zone_remove(ctx, special_use_resolved[i])) !=
		    0)
			return ub_fail(special_use_resolved[i], r, err, errsz);
	return 0;
}

static int
dns_configure(struct ub_ctx *ctx, const char *fwd, const char *anchor,
    char *err, size_t errsz)
{
	int	 r;

	if (anchor == NULL && (anchor = dns_default_anchor()) == NULL) {
		(void)snprintf(err, errsz, "no DNSSEC trust anchor found; "
		    "name one with -a");
		return -1;
	}
	if (load_anchor(ctx, anchor, err, errsz) == -1)
		return -1;
	if (fwd != NULL)
		r = ub_ctx_set_fwd(ctx, fwd);
	else
		r = ub_ctx_resolvconf(ctx, NULL);
	if (r != 0)
		return ub_fail(fwd ? fwd : "/etc/resolv.conf", r, err, errsz);
	return send_special_use(ctx, err, errsz);
}

struct dns *
dns_new(struct event_base *base, const char *fwd, const char *anchor,
    char *err, size_t errsz)
{
	struct dns	*dns;
	size_t		 i;

	if ((dns = calloc(1, sizeof(*dns))) == NULL) {
		(void)snprintf(err, errsz, "out of memory");
		return NULL;
	}
	dns->base = base;
	TAILQ_INIT(&dns->queries);
	for (i = 0; i < DNS_BUCKETS; i++)
		LIST_INIT(&dns->buckets[i]);
	if ((dns->ctx = ub_ctx_create_event(base)) == NULL) {
		(void)snprintf(err, errsz, "cannot create a resolver context");
		free(dns);
		return NULL;
	}
	if (dns_configure(dns->ctx, fwd, anchor, err, errsz) == -1) {
		dns_free(dns);
		return NULL;
	}
	return dns;
}

static void
query_free(struct dns_query *q)
{
	struct dns_waiter	*w;

	while ((w = TAILQ_FIRST(&q->waiters)) != NULL) {
		TAILQ_REMOVE(&q->waiters, w, entry);
		free(w);
	}
	if (event_initialized(&q->deliver))
		evtimer_del(&q->deliver);
	dns_msg_free(&q->res.msg);
	free(q);
}

void
dns_free(struct dns *dns)
{
	struct dns_query	*q;

	if (dns == NULL)
		return;
	/* First the context, so no callback can reach a freed query. */
	if (dns->ctx != NULL)
		ub_ctx_delete(dns->ctx);
	while ((q = TAILQ_FIRST(&dns->queries)) != NULL) {
		TAILQ_REMOVE(&dns->queries, q, entry);
		LIST_REMOVE(q, bucket);
		query_free(q);
	}
	free(dns);
}

/* Each waiter is taken off before its callback, which may cancel others. */
static void
query_deliver(int fd, short ev, void *arg)
{
	struct dns_query	*q = arg;
	struct dns_waiter	*w;

	(void)fd;
	(void)ev;
	TAILQ_REMOVE(&q->dns->queries, q, entry);
	LIST_REMOVE(q, bucket);
	while ((w = TAILQ_FIRST(&q->waiters)) != NULL) {
		TAILQ_REMOVE(&q->waiters, w, entry);
		w->cb(w->arg, &q->res);
		free(w);
	}
	query_free(q);
}

static void
query_done(struct dns_query *q)
{
	struct timeval	 now = { 0, 0 };

	evtimer_set(&q->deliver, query_deliver, q);
	event_base_set(q->dns->base, &q->deliver);
	evtimer_add(&q->deliver, &now);
}

static void
classify(struct dns_result *res, const uint8_t *pkt, size_t len,
    uint16_t type)
{
	if (dns_wire_parse(pkt, len, type, &res->msg, res->why,
	    sizeof(res->why)) == -1) {
		res->status = DNS_FAIL;
		return;
	}
	if (res->msg.rcode == DNS_R_NXDOMAIN)
		res->status = DNS_NXDOMAIN;
	else if (res->msg.rcode != DNS_R_NOERROR) {
		res->status = DNS_FAIL;
		(void)snprintf(res->why, sizeof(res->why), "DNS error %d",
		    res->msg.rcode);
	} else if (res->msg.nrr > 0)
		res->status = DNS_ANSWER;
	else
		res->status = DNS_NODATA;
}

static void
ub_answer(void *arg, int rcode, void *pkt, int len, int sec, char *why_bogus,
    int ratelimited)
{
	struct dns_query	*q = arg;
	struct dns_result	*res = &q->res;

	(void)ratelimited;
	res->sec = sec == 2 ? DNS_SECURE : sec == 1 ? DNS_BOGUS : DNS_INSECURE;
	if (rcode != 0 || pkt == NULL) {
		res->status = DNS_FAIL;
		(void)snprintf(res->why, sizeof(res->why), "%s",
		    rcode == DNS_R_SERVFAIL ? "SERVFAIL" : "lookup failed");
	} else
		classify(res, pkt, len, q->type);
	if (res->sec == DNS_BOGUS) {
		res->status = DNS_FAIL;
		(void)snprintf(res->why, sizeof(res->why), "DNSSEC bogus: %s",
		    why_bogus ? why_bogus : "validation failed");
	}
	query_done(q);
}

static struct dns_query *
query_find(struct dns *dns, const char *name, uint16_t type)
{
	struct dns_query	*q;

	LIST_FOREACH(q, &dns->buckets[query_hash(name, type)], bucket)
		if (q->type == type && strcasecmp(q->name, name) == 0)
			return q;
	return NULL;
}

static struct dns_query *
query_new(struct dns *dns, const char *name, uint16_t type)
{
	struct dns_query	*q;
	int			 r;

	if (strlen(name) > DNS_NAME_MAX || (q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->dns = dns;
	q->type = type;
	(void)snprintf(q->name, sizeof(q->name), "%s", name);
	TAILQ_INIT(&q->waiters);
	TAILQ_INSERT_TAIL(&dns->queries, q, entry);
	LIST_INSERT_HEAD(&dns->buckets[query_hash(q->name, type)], q, bucket);
	/* The answer may come before ub_resolve_event() returns. */
	r = ub_resolve_event(dns->ctx, q->name, type, DNS_C_IN, q, ub_answer,
	    NULL);
	if (r != 0) {
		q->res.status = DNS_FAIL;
		(void)snprintf(q->res.why, sizeof(q->res.why), "%s",
		    ub_strerror(r));
		query_done(q);
	}
	return q;
}

struct dns_waiter *
dns_lookup(struct dns *dns, const char *name, uint16_t type, dns_cb cb,
    void *arg)
{
	struct dns_query	*q;
	struct dns_waiter	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((q = query_find(dns, name, type)) == NULL &&
	    (q = query_new(dns, name, type)) == NULL) {
		free(w);
		return NULL;
	}
	w->q = q;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&q->waiters, w, entry);
	return w;
}

void
dns_cancel(struct dns_waiter *w)
{
	if (w == NULL)
		return;
	TAILQ_REMOVE(&w->q->waiters, w, entry);
	free(w);
}

const char *
dns_sec_name(enum dns_sec sec)
{
	switch (sec) {
	case DNS_SECURE:
		return "secure";
	case DNS_BOGUS:
		return "bogus";
	default:
		return "insecure";
	}
}

const char *
dns_status_name(enum dns_status st)
{
	switch (st) {
	case DNS_ANSWER:
		return "answer";
	case DNS_NODATA:
		return "no data";
	case DNS_NXDOMAIN:
		return "NXDOMAIN";
	default:
		return "failed";
	}
}

const char *
dns_type_name(uint16_t type)
{
	switch (type) {
	case DNS_T_A:
		return "A";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_MX:
		return "MX";
	case DNS_T_TXT:
		return "TXT";
	case DNS_T_TLSA:
		return "TLSA";
	default:
		return "?";
	}
}
