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
 * The front's memory of verdicts (filter-mtasts/vcache.c), with this
 * program playing the network process on the other end of a
 * socketpair: it reads the IPC_QUERY frames the cache sends and
 * answers with the IPC_VERDICT frames it chooses.
 *
 * Every wait is the event loop run until a condition holds, bounded;
 * there are no fixed sleeps.  "Nothing was sent" and "that frame was
 * read" are shown with a barrier: a lookup of a new domain, whose
 * query comes after anything sent before it, and whose answer is read
 * after anything written before it.
 *
 * The cache only knows whole seconds (time(3)): "fresh" below is
 * checked within a second of the answer with a freshness of 2 s, and
 * "aged" is waited for on the clock.  A vcache has no free function:
 * the ones made here live until exit, reachable from nets[].
 */

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"
#include "regress.h"

#define HDR_LEN		12
#define QUERY_MAX	1024		/* queries remembered per link */
#define WIRE_MAX	2048
#define WAIT_MAX	5		/* s, for what should happen at once */
#define GONE		"network process not running"
#define KIND_BAD	9		/* no enum verdict_kind */

struct query {
	uint32_t		 id;
	time_t			 when;		/* read by the test */
	char			 domain[DNS_NAME_MAX + 1];
};

/* One cache and the fake network process on its link. */
struct net {
	const char		*name;
	struct vcache		*vc;
	struct bufferevent	*bev;		/* the test's end */
	struct query		 q[QUERY_MAX];
	size_t			 nq;
	int			 bad;		/* frames that were no query */
	int			 nsync;
};

/* What a vcache_cb was given. */
struct rec {
	int			 called;
	time_t			 when;
	int			 kind;
	size_t			 nmx;
	char			 mx[2][DNS_NAME_MAX + 1];
	char			 reason[VERDICT_REASON_MAX];
};

struct qwait {
	const struct net	*n;
	const char		*domain;
	size_t			 count;
};

enum bad {
	BAD_KIND,
	BAD_REASON,
	BAD_TRUNC,
	BAD_SHORT,
	BAD_MX,
	BAD_TRAIL,
	BAD_TYPE,
	BAD_N
};

static const char *const bad_name[BAD_N] = {
	"kind out of range",
	"reason with a newline",
	"truncated in the last MX host",
	"shorter than its header",
	"MX that is not a host name",
	"bytes after the verdict",
	"unknown message type"
};

/* stale_max, tick, lead, inuse */
static const struct vcache_timing t_main = { 60, 3600, 1, 600 };
static const struct vcache_timing t_tick = { 60, 1, 1, 5 };
static const struct vcache_timing t_lru = { 600, 3600, 1, 600 };
static const struct vcache_timing t_eof = { 2, 3600, 1, 600 };
#define NNETS	9

static struct event_base	*base;
static struct net		 nets[NNETS];
static uint32_t			 pack_ttl = 600;	/* of what is sent */

/* The child of test_fatal(), reachable at its exit. */
static struct event_base	*child_base;
static struct vcache		*child_vc;

static void
net_read(struct bufferevent *bev, void *arg)
{
	struct net	*n = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	struct query	*q;
	uint32_t	 hdr[3], len;
	const char	*p;

	while (evbuffer_get_length(in) >= HDR_LEN) {
		evbuffer_copyout(in, hdr, HDR_LEN);
		len = ntohl(hdr[0]);
		if (len > IPC_MAX) {
			n->bad++;
			evbuffer_drain(in, evbuffer_get_length(in));
			return;
		}
		if (evbuffer_get_length(in) < HDR_LEN + len)
			return;
		evbuffer_drain(in, HDR_LEN);
		p = len > 0 ? (const char *)evbuffer_pullup(in, len) : NULL;
		if (ntohl(hdr[1]) != IPC_QUERY || len == 0 ||
		    len > DNS_NAME_MAX + 1 || strlen(p) != len - 1 ||
		    n->nq == QUERY_MAX)
			n->bad++;
		else {
			q = &n->q[n->nq++];
			q->id = ntohl(hdr[2]);
			q->when = time(NULL);
			memcpy(q->domain, p, len);
		}
		evbuffer_drain(in, len);
	}
}

static void
net_new(struct net *n, const char *name, size_t max,
    const struct vcache_timing *t)
{
	int	 sv[2];

	n->name = name;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		fatal("socketpair");
	if ((n->vc = vcache_new(base, sv[0], max, t)) == NULL)
		fatalx("vcache_new");
	if (evutil_make_socket_nonblocking(sv[1]) == -1 ||
	    (n->bev = bufferevent_socket_new(base, sv[1],
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(n->bev, net_read, NULL, NULL, n);
	bufferevent_enable(n->bev, EV_READ | EV_WRITE);
}

static size_t
nqueries(const struct net *n, const char *domain)
{
	size_t	 i, c = 0;

	for (i = 0; i < n->nq; i++)
		if (strcmp(n->q[i].domain, domain) == 0)
			c++;
	return c;
}

static const struct query *
last_query(const struct net *n, const char *domain)
{
	size_t	 i;

	for (i = n->nq; i > 0; i--)
		if (strcmp(n->q[i - 1].domain, domain) == 0)
			return &n->q[i - 1];
	return NULL;
}

static void
send_frame(struct net *n, uint32_t type, const char *domain, const void *p,
    size_t len)
{
	const struct query	*q = domain == NULL ? NULL :
				    last_query(n, domain);
	uint32_t		 hdr[3];

	hdr[0] = htonl((uint32_t)len);
	hdr[1] = htonl(type);
	hdr[2] = htonl(q == NULL ? 0 : q->id);
	if (bufferevent_write(n->bev, hdr, sizeof(hdr)) == -1 ||
	    (len > 0 && bufferevent_write(n->bev, p, len) == -1))
		fatalx("bufferevent_write");
}

/* A verdict as the network process packs it; mx0, mx1 may be NULL. */
static size_t
pack(uint8_t *buf, const char *domain, int kind, const char *reason,
    const char *mx0, const char *mx1)
{
	struct verdict	 v;
	struct evbuffer	*eb;
	char		 mx[2][DNS_NAME_MAX + 1], *mxp[2];
	size_t		 len;

	memset(&v, 0, sizeof(v));
	v.domain = domain;
	v.kind = kind;
	v.ttl = pack_ttl;
	v.reason = reason;
	mxp[0] = mx[0];
	mxp[1] = mx[1];
	v.mx = mxp;
	if (mx0 != NULL) {
		(void)snprintf(mx[v.nmx++], sizeof(mx[0]), "%s", mx0);
		if (mx1 != NULL)
			(void)snprintf(mx[v.nmx++], sizeof(mx[0]), "%s", mx1);
	}
	if ((eb = evbuffer_new()) == NULL || vwire_pack(&v, eb) == -1 ||
	    (len = evbuffer_get_length(eb)) > WIRE_MAX - 16)
		fatalx("vwire_pack");
	evbuffer_remove(eb, buf, len);
	evbuffer_free(eb);
	return len;
}

static void
send_verdict(struct net *n, const char *domain, int kind, const char *reason,
    const char *mx0, const char *mx1)
{
	uint8_t	 buf[WIRE_MAX];
	size_t	 len;

	len = pack(buf, domain, kind, reason, mx0, mx1);
	send_frame(n, IPC_VERDICT, domain, buf, len);
}

/* A frame the front must not believe, for domain. */
static void
send_bad(struct net *n, enum bad how, const char *domain)
{
	uint8_t		 buf[WIRE_MAX];
	uint32_t	 type = IPC_VERDICT;
	size_t		 len = 0;

	switch (how) {
	case BAD_KIND:
		len = pack(buf, domain, KIND_BAD, "bad kind", NULL, NULL);
		break;
	case BAD_REASON:
		len = pack(buf, domain, VERDICT_NONE, "two\nlines", NULL,
		    NULL);
		break;
	case BAD_TRUNC:
		len = pack(buf, domain, VERDICT_STS_ENFORCE, "truncated",
		    "mx1.trunc.example", "mx2.trunc.example") - 3;
		break;
	case BAD_SHORT:
		len = 8;
		(void)pack(buf, domain, VERDICT_NONE, "short", NULL, NULL);
		break;
	case BAD_MX:
		len = pack(buf, domain, VERDICT_STS_ENFORCE, "bad mx",
		    "not a host", NULL);
		break;
	case BAD_TRAIL:
		len = pack(buf, domain, VERDICT_NONE, "trailing", NULL, NULL);
		memcpy(buf + len, "x", 2);
		len += 2;
		break;
	case BAD_TYPE:
		type = 99;
		len = pack(buf, domain, VERDICT_NONE, "wrong type", NULL, NULL);
		break;
	case BAD_N:
		abort();
	}
	send_frame(n, type, domain, buf, len);
}

static void
on_verdict(void *arg, const struct verdict *v)
{
	struct rec	*r = arg;
	size_t		 i;

	r->called++;
	r->when = time(NULL);
	r->kind = v->kind;
	r->nmx = v->nmx;
	for (i = 0; i < v->nmx && i < 2; i++)
		(void)snprintf(r->mx[i], sizeof(r->mx[i]), "%s", v->mx[i]);
	(void)snprintf(r->reason, sizeof(r->reason), "%s", v->reason);
}

static int
mx_is(size_t nmx, char *const *mx, const char *mx0, const char *mx1)
{
	size_t	 want = mx0 == NULL ? 0 : mx1 == NULL ? 1 : 2;

	return nmx == want && (want < 1 || strcmp(mx[0], mx0) == 0) &&
	    (want < 2 || strcmp(mx[1], mx1) == 0);
}

static int
verdict_is(const struct verdict *v, int kind, const char *mx0,
    const char *mx1)
{
	return v != NULL && (int)v->kind == kind &&
	    mx_is(v->nmx, v->mx, mx0, mx1);
}

static int
rec_is(const struct rec *r, int kind, const char *mx0, const char *mx1)
{
	char	*mx[2];

	mx[0] = (char *)r->mx[0];
	mx[1] = (char *)r->mx[1];
	return r->called == 1 && r->kind == kind &&
	    mx_is(r->nmx, mx, mx0, mx1);
}

static void
nop(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
}

/* The loop until cond holds or secs pass; whether it held. */
static int
run(int (*cond)(const void *), const void *arg, int secs)
{
	struct timeval	 poll = { 0, 20000 };
	struct timespec	 start, now;
	struct event	*ev;
	int		 ok;

	if ((ev = event_new(base, -1, EV_PERSIST, nop, NULL)) == NULL)
		fatalx("event_new");
	event_add(ev, &poll);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if ((ok = cond(arg)) != 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000 >= secs * 1000)
			break;
		event_base_loop(base, EVLOOP_ONCE);
	}
	event_free(ev);
	return ok;
}

static int
cond_queries(const void *arg)
{
	const struct qwait	*w = arg;

	return nqueries(w->n, w->domain) >= w->count;
}

static int
cond_called(const void *arg)
{
	const struct rec	*r = arg;

	return r->called > 0;
}

static int
cond_time(const void *arg)
{
	const time_t	*t = arg;

	return time(NULL) >= *t;
}

/* Until count queries for domain arrived. */
static int
wait_queries(const struct net *n, const char *domain, size_t count, int secs)
{
	struct qwait	 w;

	w.n = n;
	w.domain = domain;
	w.count = count;
	return run(cond_queries, &w, secs);
}

static int
wait_called(const struct rec *r)
{
	return run(cond_called, r, WAIT_MAX);
}

/* The clock, at least at t. */
static void
wait_until(time_t t)
{
	if (!run(cond_time, &t, (int)(t - time(NULL)) + 2))
		fatalx("the clock did not reach %lld", (long long)t);
}

/*
 * Everything the cache sent so far has arrived, everything written to
 * it so far has been read: a lookup of a new domain, its query, its
 * answer.
 */
static int
barrier(struct net *n)
{
	const struct verdict	*v;
	struct vwaiter		*w = NULL;
	struct rec		 r;
	char			 dom[64];

	memset(&r, 0, sizeof(r));
	(void)snprintf(dom, sizeof(dom), "sync%d.%s.example", ++n->nsync,
	    n->name);
	if (vcache_lookup(n->vc, dom, on_verdict, &r, &v, &w) != VC_WAIT ||
	    !wait_queries(n, dom, 1, WAIT_MAX)) {
		vcache_cancel(w);
		regress_diag("barrier %s: no query", dom);
		return 0;
	}
	send_verdict(n, dom, VERDICT_NONE, "sync", NULL, NULL);
	if (!wait_called(&r)) {
		vcache_cancel(w);
		regress_diag("barrier %s: no answer", dom);
		return 0;
	}
	return 1;
}

/*
 * The link gone before IPC_READY: the network process never started,
 * and the front must not run without it.  In a child: fatalx() exits.
 */
static void
test_fatal(void)
{
	const struct vcache_timing	 t = { 3, 3600, 1, 600 };
	pid_t				 pid;
	int				 sv[2], status, fd;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		regress_check(0, "fork");
		return;
	}
	if (pid == 0) {
		alarm(WAIT_MAX);
		/* Its "fatal:" line is expected; keep the log clean. */
		if ((fd = open("/dev/null", O_WRONLY)) != -1) {
			(void)dup2(fd, STDERR_FILENO);
			(void)close(fd);
		}
		if ((child_base = event_base_new()) == NULL ||
		    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
		    (child_vc = vcache_new(child_base, sv[0], 10, &t)) == NULL)
			_exit(3);
		(void)close(sv[1]);
		(void)event_base_dispatch(child_base);
		_exit(4);
	}
	if (waitpid(pid, &status, 0) == -1)
		status = -1;
	regress_check(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 1,
	    "the link gone before IPC_READY is fatal (exit status 1)");
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 1)
		regress_diag("wait status %d", status);
}

static void
test_miss(struct net *n)
{
	static struct rec	 r1, r2, r3;
	const struct verdict	*v = NULL;
	struct vwaiter		*w1 = NULL, *w2 = NULL, *w3 = NULL;
	const char		*d = "miss.example";
	const char		*mx1 = "mx1.miss.example";
	const char		*mx2 = "mx2.miss.example";
	time_t			 sent;
	int			 rc;

	rc = vcache_lookup(n->vc, d, on_verdict, &r1, &v, &w1);
	regress_check(rc == VC_WAIT && w1 != NULL,
	    "a miss is VC_WAIT with a waiter");
	regress_check(wait_queries(n, d, 1, WAIT_MAX) &&
	    strcmp(last_query(n, d)->domain, d) == 0,
	    "a miss sends an IPC_QUERY for the domain");
	rc = vcache_lookup(n->vc, d, on_verdict, &r2, &v, &w2);
	regress_check(rc == VC_WAIT && w2 != NULL && w2 != w1,
	    "a second lookup while in flight is VC_WAIT with its own waiter");
	regress_check(barrier(n) && nqueries(n, d) == 1,
	    "a second lookup while in flight sends no second query");
	regress_check(r1.called == 0 && r2.called == 0,
	    "no callback before the answer");

	sent = time(NULL);
	send_verdict(n, d, VERDICT_STS_ENFORCE, "policy says enforce",
	    mx1, mx2);
	regress_check(wait_called(&r1) && wait_called(&r2) &&
	    rec_is(&r1, VERDICT_STS_ENFORCE, mx1, mx2) &&
	    strcmp(r1.reason, "policy says enforce") == 0,
	    "the first waiter gets the verdict once, kind and MX hosts");
	regress_check(rec_is(&r2, VERDICT_STS_ENFORCE, mx1, mx2),
	    "the second waiter gets the verdict once, kind and MX hosts");

	v = NULL;
	rc = vcache_lookup(n->vc, d, on_verdict, &r3, &v, &w3);
	regress_check(rc == VC_HIT &&
	    verdict_is(v, VERDICT_STS_ENFORCE, mx1, mx2) &&
	    strcmp(v->domain, d) == 0 &&
	    strcmp(v->reason, "policy says enforce") == 0,
	    "after the answer, a lookup is VC_HIT with the same verdict");
	regress_check(barrier(n) && nqueries(n, d) == 1 && r3.called == 0 &&
	    time(NULL) - sent <= 1,
	    "a fresh hit sends no query and calls no callback");
}

static void
test_peek(struct net *n)
{
	const struct verdict	*v;
	const char		*d = "peek.example", *s = "stray.example";

	regress_check(vcache_peek(n->vc, d) == NULL,
	    "vcache_peek of an unknown domain is NULL");
	regress_check(wait_queries(n, d, 1, WAIT_MAX),
	    "vcache_peek of an unknown domain sends a query for it");
	regress_check(vcache_peek(n->vc, d) == NULL && barrier(n) &&
	    nqueries(n, d) == 1,
	    "vcache_peek while in flight is NULL and sends no second query");
	send_verdict(n, d, VERDICT_NONE, "no policy", NULL, NULL);
	regress_check(barrier(n) &&
	    verdict_is(v = vcache_peek(n->vc, d), VERDICT_NONE, NULL, NULL) &&
	    strcmp(v->reason, "no policy") == 0,
	    "after the answer, vcache_peek has the verdict");
	regress_check(barrier(n) && nqueries(n, d) == 1,
	    "vcache_peek of a fresh verdict sends no query");

	/* Nobody asked: nothing to remember it for. */
	send_verdict(n, s, VERDICT_STS_ENFORCE, "unasked", "mx.stray.example",
	    NULL);
	regress_check(barrier(n) && vcache_peek(n->vc, s) == NULL,
	    "a verdict for a domain never asked for is not kept");
}

static void
test_next_mx(struct net *n)
{
	static struct rec	 r, rp;
	const struct verdict	*v;
	struct vwaiter		*w;
	const char		*d = "rotate.example", *p = "plain.example";
	const char		*mx1 = "mx1.rotate.example";
	const char		*mx2 = "mx2.rotate.example";
	const char		*a, *b, *c;
	int			 ok;

	if (vcache_lookup(n->vc, d, on_verdict, &r, &v, &w) == VC_WAIT &&
	    wait_queries(n, d, 1, WAIT_MAX))
		send_verdict(n, d, VERDICT_STS_ENFORCE, "enforce", mx1, mx2);
	ok = wait_called(&r);
	a = vcache_next_mx(n->vc, d);
	ok = ok && a != NULL && strcmp(a, mx1) == 0;
	b = vcache_next_mx(n->vc, d);
	ok = ok && b != NULL && strcmp(b, mx2) == 0;
	c = vcache_next_mx(n->vc, d);
	ok = ok && c != NULL && strcmp(c, mx1) == 0;
	regress_check(ok, "vcache_next_mx rotates over the allowed MX hosts "
	    "(mx1, mx2, mx1)");

	/* The refreshed verdict: the policy is gone. */
	send_verdict(n, d, VERDICT_NONE, "no policy any more", NULL, NULL);
	regress_check(barrier(n) &&
	    verdict_is(vcache_peek(n->vc, d), VERDICT_NONE, NULL, NULL),
	    "a newer verdict replaces the enforce one");
	a = vcache_next_mx(n->vc, d);
	b = vcache_next_mx(n->vc, d);
	regress_check(a != NULL && b != NULL && strcmp(a, b) != 0 &&
	    (strcmp(a, mx1) == 0 || strcmp(a, mx2) == 0) &&
	    (strcmp(b, mx1) == 0 || strcmp(b, mx2) == 0),
	    "after enforce became none, vcache_next_mx rotates over the "
	    "last enforce list");
	send_verdict(n, d, VERDICT_STS_TESTING, "testing now", NULL, NULL);
	a = barrier(n) ? vcache_next_mx(n->vc, d) : NULL;
	b = vcache_next_mx(n->vc, d);
	regress_check(a != NULL && b != NULL && strcmp(a, b) != 0 &&
	    (strcmp(a, mx1) == 0 || strcmp(a, mx2) == 0) &&
	    (strcmp(b, mx1) == 0 || strcmp(b, mx2) == 0),
	    "after none then testing, still the last enforce list");
	send_verdict(n, d, VERDICT_DEFER, "temporary failure", NULL, NULL);
	regress_check(barrier(n) && vcache_next_mx(n->vc, d) == NULL,
	    "for a defer, vcache_next_mx is NULL");

	if (vcache_lookup(n->vc, p, on_verdict, &rp, &v, &w) == VC_WAIT &&
	    wait_queries(n, p, 1, WAIT_MAX))
		send_verdict(n, p, VERDICT_NONE, "no policy", NULL, NULL);
	regress_check(wait_called(&rp) && vcache_next_mx(n->vc, p) == NULL,
	    "a domain never enforced has no MX from vcache_next_mx");
	regress_check(vcache_next_mx(n->vc, "unknown-mx.example") == NULL &&
	    wait_queries(n, "unknown-mx.example", 1, WAIT_MAX),
	    "vcache_next_mx of an unknown domain is NULL and asks for it");
}

static void
test_cancel(struct net *n)
{
	static struct rec	 r1, r2, r3, r4;
	const struct verdict	*v;
	struct vwaiter		*w1 = NULL, *w2 = NULL, *w3 = NULL, *w4 = NULL;
	const char		*d = "cancel.example", *e = "cancel2.example";
	int			 ok;

	ok = vcache_lookup(n->vc, d, on_verdict, &r1, &v, &w1) == VC_WAIT &&
	    vcache_lookup(n->vc, d, on_verdict, &r2, &v, &w2) == VC_WAIT &&
	    vcache_lookup(n->vc, d, on_verdict, &r3, &v, &w3) == VC_WAIT;
	vcache_cancel(w1);
	vcache_cancel(w3);
	vcache_cancel(NULL);
	if (wait_queries(n, d, 1, WAIT_MAX))
		send_verdict(n, d, VERDICT_DANE, "dane", "mx.cancel.example",
		    NULL);
	ok = ok && wait_called(&r2) && barrier(n);
	regress_check(ok && rec_is(&r2, VERDICT_DANE, "mx.cancel.example",
	    NULL), "the waiter left gets the verdict");
	regress_check(ok && r1.called == 0 && r3.called == 0,
	    "cancelled waiters' callbacks are never called");

	ok = vcache_lookup(n->vc, e, on_verdict, &r4, &v, &w4) == VC_WAIT;
	vcache_cancel(w4);
	if (wait_queries(n, e, 1, WAIT_MAX))
		send_verdict(n, e, VERDICT_NONE, "none", NULL, NULL);
	v = NULL;
	regress_check(ok && barrier(n) && r4.called == 0 &&
	    vcache_lookup(n->vc, e, on_verdict, &r4, &v, &w4) == VC_HIT &&
	    verdict_is(v, VERDICT_NONE, NULL, NULL),
	    "with every waiter cancelled, the answer is still kept");
}

static void
test_malformed(struct net *n)
{
	static struct rec	 rk, rd, rk2;
	const struct verdict	*v;
	struct vwaiter		*w;
	const char		*d = "malformed.example", *k = "known.example";
	const char		*mx = "mx.known.example";
	enum bad		 how;
	int			 ok;

	if (vcache_lookup(n->vc, k, on_verdict, &rk, &v, &w) == VC_WAIT &&
	    wait_queries(n, k, 1, WAIT_MAX))
		send_verdict(n, k, VERDICT_STS_ENFORCE, "known", mx, NULL);
	ok = wait_called(&rk) &&
	    vcache_lookup(n->vc, d, on_verdict, &rd, &v, &w) == VC_WAIT &&
	    wait_queries(n, d, 1, WAIT_MAX);
	if (!ok)
		regress_diag("malformed: setup failed");
	regress_diag("warnings about malformed messages are expected");

	for (how = 0; how < BAD_N; how++) {
		send_bad(n, how, d);
		send_bad(n, how, k);
		v = NULL;
		regress_check(ok && barrier(n) && rd.called == 0 &&
		    vcache_lookup(n->vc, k, on_verdict, &rk2, &v, &w) ==
		    VC_HIT && verdict_is(v, VERDICT_STS_ENFORCE, mx, NULL) &&
		    strcmp(v->reason, "known") == 0,
		    "a frame with %s is ignored: the waiter waits, the entry "
		    "is unchanged", bad_name[how]);
	}
	send_verdict(n, d, VERDICT_STS_TESTING, "testing", NULL, NULL);
	regress_check(ok && wait_called(&rd) && rec_is(&rd, VERDICT_STS_TESTING,
	    NULL, NULL) && rk2.called == 0,
	    "after malformed frames, the right verdict reaches the waiter");
}

/*
 * A verdict is used for its ttl, no longer: then the next lookup
 * waits for it to be derived again.  A hit within the lead time of
 * its expiry starts that refresh early.
 */
static void
test_ttl(struct net *n)
{
	static struct rec	 rs, rs2, rd, rd2, rx;
	const struct verdict	*v;
	struct vwaiter		*w;
	const char		*s = "ttl.example", *d = "defer.example";
	const char		*mx1 = "mx1.ttl.example";
	const char		*mx2 = "mx2.ttl.example";
	time_t			 sent;
	int			 rc, ok;

	pack_ttl = 4;
	if (vcache_lookup(n->vc, s, on_verdict, &rs, &v, &w) == VC_WAIT &&
	    wait_queries(n, s, 1, WAIT_MAX))
		send_verdict(n, s, VERDICT_STS_ENFORCE, "enforce", mx1, NULL);
	sent = time(NULL);
	ok = wait_called(&rs);
	pack_ttl = 2;
	ok = ok && vcache_lookup(n->vc, d, on_verdict, &rd, &v, &w) ==
	    VC_WAIT && wait_queries(n, d, 1, WAIT_MAX);
	send_verdict(n, d, VERDICT_DEFER, "try later", NULL, NULL);
	ok = ok && wait_called(&rd) && rec_is(&rd, VERDICT_DEFER, NULL, NULL);
	v = NULL;
	rc = vcache_lookup(n->vc, s, on_verdict, &rx, &v, &w);
	regress_check(ok && rc == VC_HIT && time(NULL) - sent < 2 &&
	    verdict_is(v, VERDICT_STS_ENFORCE, mx1, NULL),
	    "a verdict within its ttl is a hit");
	regress_check(barrier(n) && nqueries(n, s) == 1 &&
	    nqueries(n, d) == 1, "a hit well before expiry sends no query");

	/* Within the lead time (1 s) of its expiry: still a hit, asked. */
	wait_until(sent + 3);
	v = NULL;
	rc = vcache_lookup(n->vc, s, on_verdict, &rx, &v, &w);
	regress_check(rc == VC_HIT && verdict_is(v, VERDICT_STS_ENFORCE, mx1,
	    NULL) && wait_queries(n, s, 2, WAIT_MAX),
	    "a hit within the lead time of expiry starts a refresh");
	regress_check(vcache_peek(n->vc, s) != NULL && barrier(n) &&
	    nqueries(n, s) == 2,
	    "more hits while it runs start no second refresh");
	pack_ttl = 2;
	send_verdict(n, s, VERDICT_STS_ENFORCE, "enforce", mx2, NULL);
	sent = time(NULL);
	v = NULL;
	regress_check(barrier(n) &&
	    vcache_lookup(n->vc, s, on_verdict, &rx, &v, &w) == VC_HIT &&
	    verdict_is(v, VERDICT_STS_ENFORCE, mx2, NULL),
	    "the refresh's answer replaces the verdict");
	regress_check(rx.called == 0, "hits call no callback");

	/* Expired: no answer from memory, the lookup waits. */
	wait_until(sent + 2);
	w = NULL;
	rc = vcache_lookup(n->vc, s, on_verdict, &rs2, &v, &w);
	regress_check(rc == VC_WAIT && w != NULL &&
	    vcache_peek(n->vc, s) == NULL,
	    "past its ttl a verdict is no answer: the lookup waits, "
	    "vcache_peek is NULL");
	regress_check(wait_queries(n, s, 3, WAIT_MAX) && barrier(n) &&
	    nqueries(n, s) == 3, "the expired verdict is asked again, once");
	send_verdict(n, s, VERDICT_STS_ENFORCE, "enforce", mx1, mx2);
	regress_check(wait_called(&rs2) && rec_is(&rs2, VERDICT_STS_ENFORCE,
	    mx1, mx2), "the waiter gets the new verdict");

	w = NULL;
	rc = vcache_lookup(n->vc, d, on_verdict, &rd2, &v, &w);
	regress_check(rc == VC_WAIT && w != NULL && wait_queries(n, d, 2,
	    WAIT_MAX), "a defer past its ttl is asked again, the lookup "
	    "waits");
	send_verdict(n, d, VERDICT_STS_ENFORCE, "enforce now",
	    "mx.defer.example", NULL);
	regress_check(wait_called(&rd2) && rec_is(&rd2, VERDICT_STS_ENFORCE,
	    "mx.defer.example", NULL),
	    "the waiter on an expired defer gets the new verdict");
	pack_ttl = 600;
}

/*
 * Verdicts in use, used again once in (out of probation) and within
 * the last inuse seconds, are refreshed before they expire, without a
 * lookup; others are left to expire.
 */
static void
test_tick(struct net *n)
{
	static struct rec	 r, ri;
	const struct verdict	*v;
	struct vwaiter		*w;
	const struct query	*q;
	const char		*d = "tick.example", *i = "idle.tick.example";
	time_t			 sent = 0, isent = 0, used;
	size_t			 n1;

	pack_ttl = 3;
	if (vcache_lookup(n->vc, d, on_verdict, &r, &v, &w) == VC_WAIT &&
	    wait_queries(n, d, 1, WAIT_MAX)) {
		sent = time(NULL);
		send_verdict(n, d, VERDICT_STS_ENFORCE, "enforce",
		    "mx.tick.example", NULL);
	}
	if (vcache_lookup(n->vc, i, on_verdict, &ri, &v, &w) == VC_WAIT &&
	    wait_queries(n, i, 1, WAIT_MAX)) {
		isent = time(NULL);
		send_verdict(n, i, VERDICT_NONE, "none", NULL, NULL);
	}
	/* Used once more after its answer: in use. */
	regress_check(wait_called(&r) && wait_called(&ri) &&
	    vcache_peek(n->vc, d) != NULL, "setup: two verdicts, one used "
	    "again");
	used = time(NULL);
	regress_check(wait_queries(n, d, 2, 3 + 2),
	    "the tick refreshes a verdict in use, with no lookup");
	q = last_query(n, d);
	regress_check(nqueries(n, d) == 2 && q->when < sent + 3,
	    "the refresh comes within the lead time, before it expires");
	if (nqueries(n, d) == 2)
		regress_diag("refresh %lld s after the answer",
		    (long long)(q->when - sent));
	send_verdict(n, d, VERDICT_STS_ENFORCE, "enforce", "mx.tick.example",
	    NULL);
	wait_until(isent + 3 + 2);
	regress_check(barrier(n) && nqueries(n, i) == 1,
	    "a verdict used once, on probation, is not refreshed");

	/* Answer whatever comes, until it is no longer in use. */
	pack_ttl = 2;
	while (time(NULL) <= used + t_tick.inuse + 2) {
		n1 = nqueries(n, d);
		if (wait_queries(n, d, n1 + 1, 1))
			send_verdict(n, d, VERDICT_STS_ENFORCE, "enforce",
			    "mx.tick.example", NULL);
	}
	n1 = nqueries(n, d);
	wait_until(time(NULL) + 3);
	regress_check(barrier(n) && nqueries(n, d) == n1 && n1 >= 3,
	    "not used for the last inuse seconds, it is no longer refreshed "
	    "(%zu refreshes)", n1 - 1);
	pack_ttl = 600;
}

/* The domains lookup no. i of a test uses. */
static void
dname(char *buf, size_t sz, const char *what, int i)
{
	(void)snprintf(buf, sz, "%s%d.example", what, i);
}

/* Looked up, asked, answered: whether all three happened. */
static int
resolve(struct net *n, const char *d, struct rec *r)
{
	const struct verdict	*v;
	struct vwaiter		*w;

	memset(r, 0, sizeof(*r));
	if (vcache_lookup(n->vc, d, on_verdict, r, &v, &w) != VC_WAIT ||
	    !wait_queries(n, d, nqueries(n, d) + 1, WAIT_MAX))
		return 0;
	send_verdict(n, d, VERDICT_NONE, "none", NULL, NULL);
	return wait_called(r);
}

static int
hit(struct net *n, const char *d)
{
	const struct verdict	*v = NULL;
	struct vwaiter		*w = NULL;
	struct rec		 r;

	memset(&r, 0, sizeof(r));
	if (vcache_lookup(n->vc, d, on_verdict, &r, &v, &w) == VC_HIT)
		return 1;
	vcache_cancel(w);
	return 0;
}

/*
 * max 8, probation 2: domains used again once their verdict is in
 * survive any number of domains used once.
 */
static void
test_probation(struct net *n)
{
	static struct rec	 r;
	char			 d[32];
	int			 i, ok = 1;

	for (i = 0; i < 5; i++) {
		dname(d, sizeof(d), "used", i);
		ok = ok && resolve(n, d, &r) && hit(n, d);
	}
	regress_check(ok, "max 8: five domains resolved and used again");
	for (i = 0; i < 100 && ok; i++) {
		dname(d, sizeof(d), "once", i);
		ok = resolve(n, d, &r);
	}
	regress_check(ok, "max 8: a hundred domains resolved, used once");
	for (i = 0; i < 5; i++) {
		dname(d, sizeof(d), "used", i);
		ok = ok && hit(n, d);
	}
	regress_check(ok, "max 8: the five in use survived the hundred");
	regress_check(vcache_peek(n->vc, "once99.example") != NULL &&
	    vcache_peek(n->vc, "once98.example") != NULL,
	    "max 8: probation holds the two most recent of the hundred");
}

/* max 4: in the main list, the least recently used goes first. */
static void
test_main_lru(struct net *n)
{
	static struct rec	 r;
	char			 d[32];
	int			 i, ok = 1;

	for (i = 0; i < 4; i++) {
		dname(d, sizeof(d), "lru", i);
		ok = ok && resolve(n, d, &r) && hit(n, d);
	}
	ok = ok && hit(n, "lru0.example") && resolve(n, "lru4.example", &r) &&
	    hit(n, "lru4.example");
	regress_check(ok && hit(n, "lru0.example") && hit(n, "lru2.example") &&
	    hit(n, "lru3.example") && hit(n, "lru4.example") &&
	    !hit(n, "lru1.example"), "max 4: the least recently used of the "
	    "main list went, the most recently used stayed");
}

/* max 4: waiters pin their entries, past the bound if need be. */
static void
test_pinned(struct net *n)
{
	static struct rec	 r, again[3];
	const struct verdict	*v;
	struct vwaiter		*w;
	char			 d[32];
	int			 i, ok = 1;

	for (i = 0; i < 3; i++) {
		dname(d, sizeof(d), "pinned", i);
		ok = ok && vcache_lookup(n->vc, d, on_verdict, &again[i], &v,
		    &w) == VC_WAIT;
	}
	for (i = 0; i < 30 && ok; i++) {
		dname(d, sizeof(d), "flood", i);
		ok = resolve(n, d, &r);
	}
	for (i = 0; i < 3; i++) {
		dname(d, sizeof(d), "pinned", i);
		if (wait_queries(n, d, 1, WAIT_MAX))
			send_verdict(n, d, VERDICT_DANE, "dane",
			    "mx.pinned.example", NULL);
	}
	for (i = 0; i < 3; i++)
		ok = ok && wait_called(&again[i]) && rec_is(&again[i],
		    VERDICT_DANE, "mx.pinned.example", NULL);
	regress_check(ok, "entries with waiters are never evicted, every "
	    "waiter gets its verdict");
}

/*
 * max 8: lookups nobody answers pin their entries on probation, past
 * its share; the verdicts in use keep their places all the same.
 */
static void
test_swollen(struct net *n)
{
	static struct rec	 r, w[40];
	const struct verdict	*v;
	struct vwaiter		*wp;
	char			 d[32];
	int			 i, ok = 1;

	for (i = 0; i < 3; i++) {
		dname(d, sizeof(d), "inuse", i);
		ok = ok && resolve(n, d, &r) && hit(n, d);
	}
	for (i = 0; i < 40; i++) {
		dname(d, sizeof(d), "pinned", i);
		ok = ok && vcache_lookup(n->vc, d, on_verdict, &w[i], &v, &wp) ==
		    VC_WAIT;
	}
	for (i = 0; i < 3; i++) {
		dname(d, sizeof(d), "inuse", i);
		ok = ok && hit(n, d);
	}
	regress_check(ok, "max 8: 40 lookups left waiting: the 3 verdicts in "
	    "use are still hits");
}

/*
 * At most 256 questions out at once; the rest wait in line, those a
 * lookup waits for before refreshes.
 */
static void
test_inflight(struct net *n)
{
	static struct rec	 r[300], rp, ru;
	const struct verdict	*v;
	struct vwaiter		*w;
	char			 d[32];
	size_t			 before = n->nq;
	int			 i, ok = 1;

	for (i = 0; i < 300; i++) {
		dname(d, sizeof(d), "flight", i);
		ok = ok && vcache_lookup(n->vc, d, on_verdict, &r[i], &v, &w) ==
		    VC_WAIT;
	}
	dname(d, sizeof(d), "flight", 255);
	ok = ok && wait_queries(n, d, 1, WAIT_MAX);
	(void)vcache_peek(n->vc, "peeked.flight.example");
	dname(d, sizeof(d), "flight", 299);
	(void)vcache_lookup(n->vc, d, on_verdict, &rp, &v, &w);
	regress_check(ok && n->nq - before == 256,
	    "300 new domains: 256 questions out, the rest wait (%zu)",
	    n->nq - before);
	for (i = 0; i < 44; i++) {
		dname(d, sizeof(d), "flight", i);
		send_verdict(n, d, VERDICT_NONE, "none", NULL, NULL);
	}
	dname(d, sizeof(d), "flight", 299);
	ok = wait_queries(n, d, 1, WAIT_MAX) &&
	    nqueries(n, "peeked.flight.example") == 0;
	regress_check(ok && n->nq - before == 300,
	    "each answer lets one more go, lookups that wait first");
	for (i = 44; i < 300; i++) {
		dname(d, sizeof(d), "flight", i);
		send_verdict(n, d, VERDICT_NONE, "none", NULL, NULL);
	}
	regress_check(wait_queries(n, "peeked.flight.example", 1, WAIT_MAX),
	    "then the guess the table asked for");
	send_verdict(n, "peeked.flight.example", VERDICT_NONE, "none", NULL,
	    NULL);
	for (i = 0, ok = 1; i < 300; i++)
		ok = ok && wait_called(&r[i]);
	regress_check(ok && barrier(n), "every waiter got its verdict");

	/* A flood of table questions about unknown domains. */
	before = n->nq;
	for (i = 0; i < 300; i++) {
		dname(d, sizeof(d), "guess", i);
		(void)vcache_peek(n->vc, d);
	}
	regress_check(wait_queries(n, "guess63.example", 1, WAIT_MAX) &&
	    barrier(n) && n->nq - before == 64 + 1,
	    "300 table guesses: 64 questions out, the rest wait (%zu)",
	    n->nq - before - 1);
	regress_check(vcache_lookup(n->vc, "urgent.flight.example", on_verdict,
	    &ru, &v, &w) == VC_WAIT && wait_queries(n, "urgent.flight.example",
	    1, WAIT_MAX), "... and a lookup a client waits for goes at once");
}

static int
cond_recs(const void *arg)
{
	struct rec *const	*r = arg;

	for (; *r != NULL; r++)
		if ((*r)->called == 0)
			return 0;
	return 1;
}

static int
is_gone(const struct rec *r)
{
	return r->called == 1 && r->kind == VERDICT_DEFER &&
	    strstr(r->reason, GONE) != NULL;
}

static void
test_eof(struct net *n)
{
	static struct rec	 rz, rz2, rk, rx1, rx2, ry, rh;
	struct rec		*all[] = { &rz2, &rx1, &rx2, &ry, NULL };
	const struct verdict	*v;
	struct vwaiter		*w;
	const char		*z = "ancient.example", *k = "kept.example";
	const char		*x = "x.example", *y = "y.example";
	const char		*u = "unknown.example";
	time_t			 sent;
	int			 ok, rc;

	send_frame(n, IPC_READY, NULL, NULL, 0);

	/* An expired verdict is no answer, even a none. */
	pack_ttl = 1;
	if (vcache_lookup(n->vc, z, on_verdict, &rz, &v, &w) == VC_WAIT &&
	    wait_queries(n, z, 1, WAIT_MAX))
		send_verdict(n, z, VERDICT_NONE, "none", NULL, NULL);
	pack_ttl = 600;
	ok = wait_called(&rz);
	wait_until(rz.when + t_eof.stale_max);
	regress_check(ok && vcache_lookup(n->vc, z, on_verdict, &rz2, &v,
	    &w) == VC_WAIT && wait_queries(n, z, 2, WAIT_MAX),
	    "an expired verdict is no answer: the lookup waits");

	if (vcache_lookup(n->vc, k, on_verdict, &rk, &v, &w) == VC_WAIT &&
	    wait_queries(n, k, 1, WAIT_MAX))
		send_verdict(n, k, VERDICT_STS_ENFORCE, "enforce",
		    "mx.kept.example", NULL);
	sent = time(NULL);
	ok = wait_called(&rk) &&
	    vcache_lookup(n->vc, x, on_verdict, &rx1, &v, &w) == VC_WAIT &&
	    vcache_lookup(n->vc, x, on_verdict, &rx2, &v, &w) == VC_WAIT &&
	    vcache_lookup(n->vc, y, on_verdict, &ry, &v, &w) == VC_WAIT &&
	    wait_queries(n, x, 1, WAIT_MAX) && wait_queries(n, y, 1, WAIT_MAX);
	if (!ok)
		regress_diag("eof: setup failed");

	/* The network process goes away. */
	bufferevent_free(n->bev);
	n->bev = NULL;
	ok = run(cond_recs, all, WAIT_MAX) && ok;
	regress_check(ok && is_gone(&rx1) && is_gone(&rx2) && is_gone(&ry),
	    "the network process gone: waiting lookups get a defer saying "
	    "it is not running");
	if (rx1.called)
		regress_diag("reason: %s", rx1.reason);
	regress_check(is_gone(&rz2), "the network process gone: a lookup "
	    "waiting on a verdict older than stale_max gets that defer too");
	if (rz2.called && !is_gone(&rz2))
		regress_diag("kind %d, reason: %s", rz2.kind, rz2.reason);

	v = NULL;
	rc = vcache_lookup(n->vc, u, on_verdict, &rh, &v, &w);
	regress_check(rc == VC_HIT && v != NULL && v->kind == VERDICT_DEFER &&
	    strstr(v->reason, GONE) != NULL && strcmp(v->domain, u) == 0,
	    "the network process gone: a new domain is an immediate "
	    "VC_HIT defer");
	v = NULL;
	rc = vcache_lookup(n->vc, x, on_verdict, &rh, &v, &w);
	regress_check(rc == VC_HIT && v != NULL && v->kind == VERDICT_DEFER &&
	    strstr(v->reason, GONE) != NULL,
	    "the network process gone: a domain that was waiting is a "
	    "VC_HIT defer");
	v = NULL;
	rc = vcache_lookup(n->vc, k, on_verdict, &rh, &v, &w);
	regress_check(rc == VC_HIT && time(NULL) - sent < t_eof.stale_max &&
	    verdict_is(v, VERDICT_STS_ENFORCE, "mx.kept.example", NULL),
	    "the network process gone: a verdict it gave is still served");
	regress_check(vcache_peek(n->vc, "peek.eof.example") == NULL &&
	    vcache_next_mx(n->vc, u) == NULL && rh.called == 0,
	    "the network process gone: vcache_peek and vcache_next_mx of "
	    "unknown domains are NULL");
}

/* The framed answer for proto, as the daemon writes it, rendered now. */
static int
answer_is(struct net *n, const struct verdict *v, enum proto proto)
{
	char		 reply[REPLY_MAX], want[ANSWER_MAX];
	const char	*got;
	size_t		 len, wlen;

	if (proto == PROTO_SOCKETMAP)
		reply_postfix(v, reply, sizeof(reply));
	else
		reply_exim(v, reply, sizeof(reply));
	wlen = reply_frame(proto, reply, want, sizeof(want));
	return (got = vcache_answer(n->vc, v, proto, &len)) != NULL &&
	    len == wlen && memcmp(got, want, len) == 0;
}

/* The answers rendered once per verdict, and anew for a new one. */
static void
test_answer(struct net *n)
{
	static struct rec	 r;
	const struct verdict	*v;
	struct vwaiter		*w;
	const char		*d = "answer.example", *a1, *a2;
	size_t			 l1, l2;
	int			 ok;

	ok = vcache_lookup(n->vc, d, on_verdict, &r, &v, &w) == VC_WAIT &&
	    wait_queries(n, d, 1, WAIT_MAX);
	send_verdict(n, d, VERDICT_STS_ENFORCE, "enforce", "mx1.answer.example",
	    "mx2.answer.example");
	ok = ok && wait_called(&r) &&
	    vcache_lookup(n->vc, d, on_verdict, &r, &v, &w) == VC_HIT;
	regress_check(ok && answer_is(n, v, PROTO_SOCKETMAP) &&
	    answer_is(n, v, PROTO_EXIM), "the rendered answers are those "
	    "reply.c makes, framed, for both protocols");
	a1 = vcache_answer(n->vc, v, PROTO_SOCKETMAP, &l1);
	a2 = vcache_answer(n->vc, v, PROTO_SOCKETMAP, &l2);
	regress_check(a1 != NULL && a1 == a2 && l1 == l2,
	    "... rendered once: a second hit gets the same bytes");
	pack_ttl = 1;
	send_verdict(n, d, VERDICT_DEFER, "went away", NULL, NULL);
	pack_ttl = 600;
	v = NULL;
	regress_check(barrier(n) && vcache_lookup(n->vc, d, on_verdict, &r,
	    &v, &w) == VC_HIT && v->kind == VERDICT_DEFER &&
	    answer_is(n, v, PROTO_SOCKETMAP) && answer_is(n, v, PROTO_EXIM),
	    "a new verdict gets its own answers, not the old ones");
}

static long	down_delay;

static long
on_down(void *arg)
{
	(void)arg;
	return down_delay;
}

/* A new link for n's cache, as the supervisor gives one. */
static int
relink(struct net *n)
{
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    vcache_relink(n->vc, sv[0]) == -1 ||
	    evutil_make_socket_nonblocking(sv[1]) == -1 ||
	    (n->bev = bufferevent_socket_new(base, sv[1],
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return -1;
	bufferevent_setcb(n->bev, net_read, NULL, NULL, n);
	bufferevent_enable(n->bev, EV_READ | EV_WRITE);
	return 0;
}

static int
cond_gone(const void *arg)
{
	const struct rec	*r = arg;

	return r->called && r->kind == VERDICT_DEFER &&
	    strstr(r->reason, GONE) != NULL;
}

/*
 * With a supervisor: the network process gone, those waiting go on
 * waiting when a new one comes soon, and are asked on its link; a new
 * one far off, they get a defer at once.
 */
static void
test_relink(struct net *n)
{
	static struct rec	 rw, rn, rf, rk;
	const struct verdict	*v;
	struct vwaiter		*w;
	const char		*d = "wait.relink.example";
	const char		*k = "kept.relink.example";
	size_t			 before;
	int			 ok;

	vcache_on_down(n->vc, on_down, NULL);
	send_frame(n, IPC_READY, NULL, NULL, 0);
	if (vcache_lookup(n->vc, k, on_verdict, &rk, &v, &w) == VC_WAIT &&
	    wait_queries(n, k, 1, WAIT_MAX))
		send_verdict(n, k, VERDICT_STS_ENFORCE, "enforce",
		    "mx.relink.example", NULL);
	ok = wait_called(&rk) &&
	    vcache_lookup(n->vc, d, on_verdict, &rw, &v, &w) == VC_WAIT &&
	    wait_queries(n, d, 1, WAIT_MAX);
	down_delay = 1;
	bufferevent_free(n->bev);
	n->bev = NULL;
	regress_check(ok && !run(cond_called, &rw, 1) &&
	    vcache_lookup(n->vc, "new.relink.example", on_verdict, &rn, &v,
	    &w) == VC_WAIT,
	    "network process gone, a new one due in 1 s: those waiting and "
	    "new lookups wait");
	v = NULL;
	regress_check(vcache_lookup(n->vc, k, on_verdict, &rk, &v, &w) ==
	    VC_HIT && verdict_is(v, VERDICT_STS_ENFORCE, "mx.relink.example",
	    NULL), "... a verdict in memory is still served");
	before = n->nq;
	regress_check(relink(n) == 0 && wait_queries(n, d, 2, WAIT_MAX) &&
	    wait_queries(n, "new.relink.example", 1, WAIT_MAX),
	    "a new link: what was waited for is asked on it at once");
	send_frame(n, IPC_READY, NULL, NULL, 0);
	send_verdict(n, d, VERDICT_NONE, "none", NULL, NULL);
	send_verdict(n, "new.relink.example", VERDICT_NONE, "none", NULL,
	    NULL);
	regress_check(wait_called(&rw) && rec_is(&rw, VERDICT_NONE, NULL,
	    NULL) && wait_called(&rn) && n->nq - before == 2,
	    "... and the waiters get the verdicts it gives");

	/* Gone again, the next one far off: defer at once. */
	down_delay = 30;
	ok = vcache_lookup(n->vc, "far.relink.example", on_verdict, &rf, &v,
	    &w) == VC_WAIT && wait_queries(n, "far.relink.example", 1,
	    WAIT_MAX);
	bufferevent_free(n->bev);
	n->bev = NULL;
	regress_check(ok && run(cond_gone, &rf, WAIT_MAX),
	    "gone, the next one 30 s off: a waiter gets a defer at once");
}

int
main(void)
{
	int	 i;

	(void)signal(SIGPIPE, SIG_IGN);
	test_fatal();

	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	net_new(&nets[0], "main", 1000, &t_main);
	net_new(&nets[1], "tick", 1000, &t_tick);
	net_new(&nets[2], "lru", 8, &t_lru);
	net_new(&nets[3], "eof", 1000, &t_eof);
	net_new(&nets[4], "flight", 1000, &t_lru);
	net_new(&nets[5], "mainlru", 4, &t_lru);
	net_new(&nets[6], "pinned", 4, &t_lru);
	net_new(&nets[7], "relink", 1000, &t_lru);
	net_new(&nets[8], "swollen", 8, &t_lru);

	test_miss(&nets[0]);
	test_answer(&nets[0]);
	test_peek(&nets[0]);
	test_next_mx(&nets[0]);
	test_cancel(&nets[0]);
	test_malformed(&nets[0]);
	test_ttl(&nets[0]);
	test_tick(&nets[1]);
	test_probation(&nets[2]);
	test_main_lru(&nets[5]);
	test_pinned(&nets[6]);
	test_swollen(&nets[8]);
	test_inflight(&nets[4]);
	test_eof(&nets[3]);
	test_relink(&nets[7]);
	for (i = 0; i < NNETS; i++)
		regress_check(nets[i].bad == 0, "%s: every frame the front "
		    "sent was a well-formed IPC_QUERY", nets[i].name);

	for (i = 0; i < NNETS; i++)
		if (nets[i].bev != NULL)
			bufferevent_free(nets[i].bev);
	return regress_exit();
}
