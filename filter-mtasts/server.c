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
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The daemon's sockets: Postfix socketmap and the Exim line protocol
 * (proto.c reads their requests).  Requests on one connection may be
 * pipelined; each is answered in order, from memory when the verdict
 * is known, else when it comes.  A slow domain holds back only the
 * connection that asked for it.
 *
 * Any local user may connect, so every client is bounded in memory
 * and in time, and none can keep the MTA's own connections out:
 *  - requests are read into a fixed buffer, and one must be complete
 *    READ_TIMEOUT seconds after its first byte;
 *  - answers are written at once; what the socket does not take waits
 *    in a fixed buffer, nothing more is read from a client while that
 *    buffer has no room for another answer, and a client that leaves
 *    answers unread for WRITE_TIMEOUT seconds is closed;
 *  - each socket has its own share of connections; when it has them
 *    all, a new one takes the place of the one that has gone longest
 *    without a complete request among those owed no answer, else of
 *    the one owed an answer for longest.
 * A verdict from memory costs one read(2) and one write(2), and no
 * allocation: requests come from a pool.
 */

#define REQ_TIMEOUT	25	/* s for a verdict; Postfix waits 100 */
#define READ_TIMEOUT	10	/* seconds from a request's first byte */
#define WRITE_TIMEOUT	10	/* seconds answers may wait to be read */
#define IDLE_TIMEOUT	60	/* Postfix itself closes after 10 */
#define CLIENTS_MAX	512	/* per socket */
#define FD_RESERVE	32	/* descriptors not for clients */
#define PENDING_MAX	128
#define IN_MAX		4096	/* more than PROTO_REQ_MAX */
#define OUT_MAX		16384	/* 7 longest answers, 1000 short ones */
#define SPARE_MAX	256	/* requests kept for reuse */
#define FULL_LOG_EVERY	60	/* s between "socket full" warnings */
#define ACCEPT_REST	1	/* s without accept(2) when out of fds */

enum tmo {
	TMO_NONE,		/* answers owed: each request has its timer */
	TMO_READ,		/* a request begun: READ_TIMEOUT */
	TMO_WRITE,		/* answers unread: WRITE_TIMEOUT */
	TMO_IDLE,		/* nothing: IDLE_TIMEOUT */
	TMO_REQ,		/* the timer of a request */
	TMO_N
};

struct request {
	TAILQ_ENTRY(request)	 entry;
	struct client		*c;
	struct vwaiter		*w;
	struct event		 timer;
	int			 done;
	int			 tlsrpt;	/* the socketmap "tlsrpt" */
	char			 reply[REPLY_MAX];
};
TAILQ_HEAD(requests, request);

struct client {
	/* in the listener's list, the least recently active first */
	TAILQ_ENTRY(client)	 entry;
	struct requests		 reqs;	/* answers owed */
	struct listener		*l;
	int			 fd;
	struct event		 rev, wev, tmo;
	enum tmo		 tmo_kind;
	uint64_t		 owed;	/* since (srv->seq), or 0 */
	size_t			 npending;
	int			 reading, writing, eof, full, restart;
	size_t			 inlen, outlen;
	char			 in[IN_MAX];
	char			 out[OUT_MAX];
};

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	TAILQ_HEAD(, client)	 clients;
	struct event		 ev, rest;
	struct server		*srv;
	enum proto		 proto;
	int			 results;	/* Exim events taken */
	size_t			 nclients, max;
	time_t			 full_logged;
};

struct server {
	struct event_base	*base;
	struct vcache		*vc;
	TAILQ_HEAD(, listener)	 listeners;
	size_t			 nlisteners;
	struct requests		 spare;
	size_t			 nspare;
	uint64_t		 seq;
	const struct timeval	*tv[TMO_N];
};

static void	client_run(struct client *);
static void	on_req_timeout(int, short, void *);

static struct request *
req_get(struct server *srv)
{
	struct request	*r;

	if ((r = TAILQ_FIRST(&srv->spare)) != NULL) {
		TAILQ_REMOVE(&srv->spare, r, entry);
		srv->nspare--;
	} else {
		if ((r = malloc(sizeof(*r))) == NULL)
			return NULL;
		evtimer_assign(&r->timer, srv->base, on_req_timeout, r);
	}
	r->c = NULL;
	r->w = NULL;
	r->done = 0;
	r->tlsrpt = 0;
	return r;
}

static void
req_put(struct server *srv, struct request *r)
{
	vcache_cancel(r->w);
	r->w = NULL;
	evtimer_del(&r->timer);
	if (srv->nspare >= SPARE_MAX) {
		free(r);
		return;
	}
	TAILQ_INSERT_HEAD(&srv->spare, r, entry);
	srv->nspare++;
}

static void
client_close(struct client *c)
{
	struct listener	*l = c->l;
	struct request	*r;

	while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
		TAILQ_REMOVE(&c->reqs, r, entry);
		req_put(l->srv, r);
	}
	event_del(&c->rev);
	event_del(&c->wev);
	event_del(&c->tmo);
	close(c->fd);
	TAILQ_REMOVE(&l->clients, c, entry);
	l->nclients--;
	free(c);
}

static int
out_room(const struct client *c)
{
	return sizeof(c->out) - c->outlen >= ANSWER_MAX;
}

/* The answer framed: a netstring for Postfix, a line for Exim. */
static void
out_answer(struct client *c, const char *reply)
{
	c->outlen += reply_frame(c->l->proto, reply, c->out + c->outlen,
	    sizeof(c->out) - c->outlen);
}

static void
set_reply(struct request *r, const struct verdict *v)
{
	if (r->tlsrpt)
		reply_postfix_tlsrpt(v, r->reply, sizeof(r->reply));
	else if (r->c->l->proto == PROTO_SOCKETMAP)
		reply_postfix(v, r->reply, sizeof(r->reply));
	else
		reply_exim(v, r->reply, sizeof(r->reply));
	r->done = 1;
}

static void
on_verdict(void *arg, const struct verdict *v)
{
	struct request	*r = arg;

	r->w = NULL;
	evtimer_del(&r->timer);
	set_reply(r, v);
	client_run(r->c);
}

static void
on_req_timeout(int fd, short ev, void *arg)
{
	struct request	*r = arg;

	(void)fd;
	(void)ev;
	vcache_cancel(r->w);
	r->w = NULL;
	(void)snprintf(r->reply, sizeof(r->reply), "%s",
	    r->c->l->proto == PROTO_SOCKETMAP ?
	    "TEMP filter-mtasts: no verdict in time" :
	    "DEFER filter-mtasts: no verdict in time");
	r->done = 1;
	client_run(r->c);
}

/* Answers go out in request order; the rest wait for the head. */
static void
answers_out(struct client *c)
{
	struct request	*r;

	while ((r = TAILQ_FIRST(&c->reqs)) != NULL && r->done &&
	    out_room(c)) {
		out_answer(c, r->reply);
		TAILQ_REMOVE(&c->reqs, r, entry);
		c->npending--;
		req_put(c->l->srv, r);
	}
}

/* A request answered or to be: at once when nothing is ahead of it. */
static void
req_queue(struct client *c, struct request *r)
{
	if (r->done && TAILQ_EMPTY(&c->reqs)) {
		out_answer(c, r->reply);
		req_put(c->l->srv, r);
		return;
	}
	TAILQ_INSERT_TAIL(&c->reqs, r, entry);
	c->npending++;
}

/*
 * One request for a domain.  What is not a domain gets its answer at
 * once: Postfix asks for ".parent" forms and "[address]" next hops,
 * which have no policy (NOTFOUND), Exim only asks for real domains.
 */
static int
client_request(struct client *c, const char *key, size_t keylen, int tlsrpt)
{
	struct server		*srv = c->l->srv;
	struct request		*r;
	const struct verdict	*v;
	const char		*ans;
	char			 norm[DNS_NAME_MAX + 1];
	size_t			 len;
	int			 kind;

	if (c->npending >= PENDING_MAX || (r = req_get(srv)) == NULL)
		return -1;
	r->c = c;
	r->tlsrpt = tlsrpt;
	/* TLS reporting: an Exim event, answered at once (rptfront.c) */
	if (c->l->proto == PROTO_EXIM && rpt_exim_event(srv->vc, key, keylen,
	    c->l->results, r->reply, sizeof(r->reply))) {
		r->done = 1;
		req_queue(c, r);
		return 0;
	}
	if ((kind = proto_key(key, keylen, norm, sizeof(norm))) != 0) {
		/* An address literal has no policy; anything else is junk. */
		(void)snprintf(r->reply, sizeof(r->reply), "%s",
		    c->l->proto == PROTO_SOCKETMAP ? "NOTFOUND " : kind == 1 ?
		    "NONE" : "DEFER not a domain name");
		r->done = 1;
		req_queue(c, r);
		return 0;
	}
	switch (vcache_lookup(srv->vc, norm, on_verdict, r, &v, &r->w)) {
	case VC_HIT:
		/* Nothing ahead of it: the answer rendered once, copied. */
		if (!tlsrpt && TAILQ_EMPTY(&c->reqs) && out_room(c) &&
		    (ans = vcache_answer(srv->vc, v, c->l->proto, &len)) !=
		    NULL) {
			memcpy(c->out + c->outlen, ans, len);
			c->outlen += len;
			req_put(srv, r);
			return 0;
		}
		set_reply(r, v);
		break;
	case VC_WAIT:
		evtimer_add(&r->timer, srv->tv[TMO_REQ]);
		break;
	default:
		req_put(srv, r);
		return -1;
	}
	req_queue(c, r);
	return 0;
}

/*
 * The complete requests read: 0 when the rest is not one yet, 1 when
 * reading stopped for lack of room for the answer, -1 when the client
 * broke the protocol.
 */
static int
client_parse(struct client *c)
{
	const char	*key;
	size_t		 off = 0, keylen, used;
	int		 r, stop = 0, n = 0;

	for (;;) {
		if (!out_room(c)) {
			stop = 1;
			break;
		}
		r = proto_next(c->l->proto, c->in + off, c->inlen - off, c->eof,
		    &key, &keylen, &used);
		if (r == PROTO_BAD)
			return -1;
		if (r == PROTO_MORE)
			break;
		if (client_request(c, key, keylen, c->l->proto ==
		    PROTO_SOCKETMAP && rpt_map_requested(c->in + off, used,
		    key)) == -1)
			return -1;
		off += used;
		n++;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
	if (n > 0) {
		/* the least recently active are the first to go */
		TAILQ_REMOVE(&c->l->clients, c, entry);
		TAILQ_INSERT_TAIL(&c->l->clients, c, entry);
		/* what is left began with this read */
		c->restart = 1;
	}
	/* PROTO_MORE is at most PROTO_REQ_MAX - 1 bytes: never */
	if (!stop && c->inlen >= sizeof(c->in))
		return -1;
	return stop;
}

/* What the socket takes now; a write event for the rest. */
static int
client_write(struct client *c)
{
	ssize_t	 n;

	if (c->outlen == 0 || c->writing)
		return 0;
	if ((n = write(c->fd, c->out, c->outlen)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		n = 0;
	}
	memmove(c->out, c->out + n, c->outlen - n);
	c->outlen -= n;
	if (c->outlen > 0) {
		event_add(&c->wev, NULL);
		c->writing = 1;
	}
	return 0;
}

static void
client_want_read(struct client *c)
{
	int	 want = !c->eof && !c->full;

	if (want == c->reading)
		return;
	if (want)
		event_add(&c->rev, NULL);
	else
		event_del(&c->rev);
	c->reading = want;
}

/* The one timer of a client follows what it is waiting for. */
static void
client_arm(struct client *c)
{
	struct server	*srv = c->l->srv;
	enum tmo	 kind;
	int		 restart = c->restart;

	c->restart = 0;
	if (c->outlen > 0)
		kind = TMO_WRITE;
	else if (c->inlen > 0 && !c->eof)
		kind = TMO_READ;
	else if (!TAILQ_EMPTY(&c->reqs) || c->eof)
		kind = TMO_NONE;
	else
		kind = TMO_IDLE;
	/* an idle client was just active; the others keep their start */
	if (kind == c->tmo_kind && kind != TMO_IDLE &&
	    !(kind == TMO_READ && restart))
		return;
	c->tmo_kind = kind;
	if (kind == TMO_NONE)
		event_del(&c->tmo);
	else
		event_add(&c->tmo, srv->tv[kind]);
}

/* Since when answers are owed to the client, for listener_victim(). */
static void
client_owed(struct client *c)
{
	if (TAILQ_EMPTY(&c->reqs) && c->outlen == 0)
		c->owed = 0;
	else if (c->owed == 0)
		c->owed = ++c->l->srv->seq;
}

/*
 * After each event: answers out, requests in while there is room for
 * their answers, then the timer.  Closes the client when it is done
 * or broke something.
 */
static void
client_run(struct client *c)
{
	int	 r;

	do {
		answers_out(c);
		if ((r = client_parse(c)) == -1 || client_write(c) == -1) {
			client_close(c);
			return;
		}
	} while (r == 1 && !c->writing && out_room(c));
	c->full = r == 1;
	if (c->eof && !c->full && TAILQ_EMPTY(&c->reqs) && c->outlen == 0) {
		client_close(c);
		return;
	}
	client_want_read(c);
	client_arm(c);
	client_owed(c);
}

static void
on_read(int fd, short ev, void *arg)
{
	struct client	*c = arg;
	ssize_t		 n;

	(void)ev;
	/* client_parse() leaves less than a request, reads stop when full */
	if (c->inlen >= sizeof(c->in)) {
		client_close(c);
		return;
	}
	if ((n = read(fd, c->in + c->inlen, sizeof(c->in) - c->inlen)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		client_close(c);
		return;
	}
	if (n == 0)
		c->eof = 1;	/* Exim half-closes: answer, then close */
	c->inlen += n;
	client_run(c);
}

static void
on_write(int fd, short ev, void *arg)
{
	struct client	*c = arg;

	(void)fd;
	(void)ev;
	c->writing = 0;
	client_run(c);
}

static void
on_client_timeout(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	client_close(arg);
}

/*
 * Who makes room for a new connection: the one that has gone longest
 * without a complete request among those owed no answer, else the one
 * owed an answer for longest.
 */
static struct client *
listener_victim(struct listener *l)
{
	struct client	*c, *oldest = NULL;

	TAILQ_FOREACH(c, &l->clients, entry) {
		if (c->owed == 0)
			return c;
		if (oldest == NULL || c->owed < oldest->owed)
			oldest = c;
	}
	return oldest;
}

static void
listener_full(struct listener *l)
{
	time_t	 now = time(NULL);

	if (now - l->full_logged >= FULL_LOG_EVERY) {
		l->full_logged = now;
		log_warnx("%s socket full (%zu connections): closing the "
		    "longest idle", l->proto == PROTO_SOCKETMAP ? "socketmap" :
		    "exim", l->nclients);
	}
	client_close(listener_victim(l));
}

static int
client_new(struct listener *l, int s)
{
	struct server	*srv = l->srv;
	struct client	*c;

	/* not calloc: the buffers stay untouched until used */
	if ((c = malloc(sizeof(*c))) == NULL)
		return -1;
	memset(c, 0, offsetof(struct client, in));
	c->l = l;
	c->fd = s;
	TAILQ_INIT(&c->reqs);
	event_assign(&c->rev, srv->base, s, EV_READ | EV_PERSIST, on_read, c);
	event_assign(&c->wev, srv->base, s, EV_WRITE, on_write, c);
	evtimer_assign(&c->tmo, srv->base, on_client_timeout, c);
	if (event_add(&c->rev, NULL) == -1) {
		free(c);
		return -1;
	}
	c->reading = 1;
	TAILQ_INSERT_TAIL(&l->clients, c, entry);
	l->nclients++;
	client_arm(c);
	return 0;
}

static void
on_rested(int fd, short ev, void *arg)
{
	struct listener	*l = arg;

	(void)fd;
	(void)ev;
	event_add(&l->ev, NULL);
}

static void
on_accept(int fd, short ev, void *arg)
{
	struct listener	*l = arg;
	struct timeval	 rest = { ACCEPT_REST, 0 };
	int		 s;

	(void)ev;
	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		/* the connection stays queued: do not spin on it */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			event_del(&l->ev);
			evtimer_add(&l->rest, &rest);
		}
		return;
	}
	if (l->nclients >= l->max)
		listener_full(l);
	if (client_new(l, s) == -1)
		close(s);
}

/*
 * Each socket's share of connections: CLIENTS_MAX, or less when the
 * limit on open files would not let every socket have them.
 */
static void
server_share(struct server *srv)
{
	struct listener	*l;
	struct rlimit	 rl;
	rlim_t		 fds;
	size_t		 share;

	fds = (rlim_t)CLIENTS_MAX * srv->nlisteners + FD_RESERVE;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < fds)
		fds = rl.rlim_cur;
	share = fds > FD_RESERVE ? (fds - FD_RESERVE) / srv->nlisteners : 1;
	if (share < 1)
		share = 1;
	if (share > CLIENTS_MAX)
		share = CLIENTS_MAX;
	TAILQ_FOREACH(l, &srv->listeners, entry)
		l->max = share;
}

struct server *
server_new(struct event_base *base, struct vcache *vc)
{
	struct server	*srv;
	struct timeval	 tv[TMO_N] = {
		[TMO_READ] = { READ_TIMEOUT, 0 },
		[TMO_WRITE] = { WRITE_TIMEOUT, 0 },
		[TMO_IDLE] = { IDLE_TIMEOUT, 0 },
		[TMO_REQ] = { REQ_TIMEOUT, 0 },
	};
	int		 i;

	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return NULL;
	srv->base = base;
	srv->vc = vc;
	TAILQ_INIT(&srv->listeners);
	TAILQ_INIT(&srv->spare);
	/* the timers of a kind all have one duration: a queue, no heap */
	for (i = TMO_NONE + 1; i < TMO_N; i++)
		if ((srv->tv[i] = event_base_init_common_timeout(base,
		    &tv[i])) == NULL) {
			free(srv);
			return NULL;
		}
	return srv;
}

int
server_add(struct server *srv, int fd, enum proto proto, int results)
{
	struct listener	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -1;
	l->srv = srv;
	l->proto = proto;
	l->results = results;
	TAILQ_INIT(&l->clients);
	evutil_make_socket_nonblocking(fd);
	event_assign(&l->ev, srv->base, fd, EV_READ | EV_PERSIST, on_accept,
	    l);
	evtimer_assign(&l->rest, srv->base, on_rested, l);
	TAILQ_INSERT_TAIL(&srv->listeners, l, entry);
	srv->nlisteners++;
	server_share(srv);
	return event_add(&l->ev, NULL);
}
