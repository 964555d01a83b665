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
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The daemon's sockets: Postfix socketmap and the Exim line protocol.
 * Requests on one connection may be pipelined; each is answered in
 * order, from memory when the verdict is known, else when it comes.
 * A slow domain holds back only the connection that asked for it.
 */

#define REQ_TIMEOUT	25	/* seconds; Postfix waits 100 */
#define IDLE_TIMEOUT	60	/* Postfix itself closes after 10 */
#define CLIENTS_MAX	512
#define PENDING_MAX	128
#define SOCKETMAP_MAX	1100	/* "name key": a name and a domain */
#define EXIM_LINE_MAX	300
#define POSTFIX_REPLY_MAX 100000

struct request {
	TAILQ_ENTRY(request)	 entry;
	struct client		*c;
	struct vwaiter		*w;
	struct event		 timer;
	int			 done;
	char			 reply[REPLY_MAX];
};

struct client {
	TAILQ_ENTRY(client)	 entry;
	TAILQ_HEAD(, request)	 reqs;
	struct server		*srv;
	enum proto		 proto;
	struct bufferevent	*bev;
	size_t			 npending;
	int			 eof;
};

struct listener {
	struct event		 ev;
	struct server		*srv;
	enum proto		 proto;
};

struct server {
	struct event_base	*base;
	struct vcache		*vc;
	TAILQ_HEAD(, client)	 clients;
	size_t			 nclients;
};

static void	client_flush(struct client *);

static void
client_free(struct client *c)
{
	struct request	*r;

	while ((r = TAILQ_FIRST(&c->reqs)) != NULL) {
		TAILQ_REMOVE(&c->reqs, r, entry);
		vcache_cancel(r->w);
		evtimer_del(&r->timer);
		free(r);
	}
	TAILQ_REMOVE(&c->srv->clients, c, entry);
	c->srv->nclients--;
	bufferevent_free(c->bev);
	free(c);
}

static void
set_reply(struct request *r, const struct verdict *v)
{
	if (r->c->proto == PROTO_SOCKETMAP)
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
	client_flush(r->c);
}

static void
on_timeout(int fd, short ev, void *arg)
{
	struct request	*r = arg;

	(void)fd;
	(void)ev;
	vcache_cancel(r->w);
	r->w = NULL;
	(void)snprintf(r->reply, sizeof(r->reply), "%s",
	    r->c->proto == PROTO_SOCKETMAP ?
	    "TEMP filter-mtasts: no verdict in time" :
	    "DEFER filter-mtasts: no verdict in time");
	r->done = 1;
	client_flush(r->c);
}

/* Answers go out in request order; the rest wait for the head. */
static void
client_flush(struct client *c)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	struct request	*r;

	while ((r = TAILQ_FIRST(&c->reqs)) != NULL && r->done) {
		if (c->proto == PROTO_SOCKETMAP)
			evbuffer_add_printf(out, "%zu:%s,", strlen(r->reply),
			    r->reply);
		else
			evbuffer_add_printf(out, "%s\n", r->reply);
		TAILQ_REMOVE(&c->reqs, r, entry);
		c->npending--;
		free(r);
	}
	if (c->eof && TAILQ_EMPTY(&c->reqs) && evbuffer_get_length(out) == 0)
		client_free(c);
}

/*
 * One request for a domain.  What is not a domain gets its answer at
 * once: Postfix asks for ".parent" forms and "[address]" next hops,
 * which have no policy (NOTFOUND), Exim only asks for real domains.
 */
static int
client_request(struct client *c, const char *key, size_t keylen)
{
	struct request		*r;
	const struct verdict	*v;
	struct timeval		 tv = { REQ_TIMEOUT, 0 };
	char			 dom[DNS_NAME_MAX + 2], norm[DNS_NAME_MAX + 1];
	int			 kind;

	if (c->npending >= PENDING_MAX || (r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->c = c;
	evtimer_assign(&r->timer, c->srv->base, on_timeout, r);
	TAILQ_INSERT_TAIL(&c->reqs, r, entry);
	c->npending++;
	kind = -1;
	if (keylen < sizeof(dom) && memchr(key, '\0', keylen) == NULL) {
		memcpy(dom, key, keylen);
		dom[keylen] = '\0';
		kind = domain_normalize(dom, norm, sizeof(norm));
	}
	if (kind != 0) {
		/* An address literal has no policy; anything else is junk. */
		(void)snprintf(r->reply, sizeof(r->reply), "%s",
		    c->proto == PROTO_SOCKETMAP ? "NOTFOUND " : kind == 1 ?
		    "NONE" : "DEFER not a domain name");
		r->done = 1;
		return 0;
	}
	switch (vcache_lookup(c->srv->vc, norm, on_verdict, r, &v, &r->w)) {
	case VC_HIT:
		set_reply(r, v);
		break;
	case VC_WAIT:
		evtimer_add(&r->timer, &tv);
		break;
	default:
		return -1;
	}
	return 0;
}

/* "name key": the map name is not used, the key is the next hop. */
static int
socketmap_read(struct client *c, struct evbuffer *in)
{
	const char	*p, *sp;
	size_t		 len, used, plen;
	int		 r;

	while ((len = evbuffer_get_length(in)) > 0) {
		if (len > SOCKETMAP_MAX + 16)
			len = SOCKETMAP_MAX + 16;
		p = (const char *)evbuffer_pullup(in, len);
		r = netstring_parse(p, len, SOCKETMAP_MAX, &used, &p, &plen);
		if (r == 0)
			return 0;
		if (r == -1 || (sp = memchr(p, ' ', plen)) == NULL ||
		    sp == p || client_request(c, sp + 1, plen -
		    (sp + 1 - p)) == -1)
			return -1;
		evbuffer_drain(in, used);
		/* Answers known at once go out now: they do not wait. */
		client_flush(c);
	}
	return 0;
}

static int
exim_read(struct client *c, struct evbuffer *in)
{
	char	*line;
	size_t	 len;
	int	 r;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) != NULL) {
		r = len > EXIM_LINE_MAX ? -1 : client_request(c, line, len);
		free(line);
		if (r == -1)
			return -1;
		if (!c->eof)
			client_flush(c);
	}
	return evbuffer_get_length(in) > EXIM_LINE_MAX ? -1 : 0;
}

/* A last request may come without its newline. */
static int
exim_eof(struct client *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	size_t		 len;

	if (exim_read(c, in) == -1)
		return -1;
	if ((len = evbuffer_get_length(in)) == 0)
		return 0;
	if (client_request(c, (const char *)evbuffer_pullup(in, len),
	    len) == -1)
		return -1;
	evbuffer_drain(in, len);
	return 0;
}

static void
client_read(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	int		 r;

	r = c->proto == PROTO_SOCKETMAP ? socketmap_read(c, in) :
	    exim_read(c, in);
	if (r == -1) {
		/* Nothing sane can be said in-frame: close. */
		client_free(c);
		return;
	}
	client_flush(c);
}

static void
client_written(struct bufferevent *bev, void *arg)
{
	(void)bev;
	client_flush(arg);
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client	*c = arg;

	if (what & BEV_EVENT_TIMEOUT) {
		if (c->npending == 0) {
			client_free(c);
			return;
		}
		bufferevent_enable(bev, EV_READ);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		client_free(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		/* Exim half-closes after its request: answer, then close. */
		if (c->proto == PROTO_EXIM && exim_eof(c) == -1) {
			client_free(c);
			return;
		}
		c->eof = 1;
		client_flush(c);
	}
}

static void
on_accept(int fd, short ev, void *arg)
{
	struct listener	*l = arg;
	struct server	*srv = l->srv;
	struct client	*c;
	struct timeval	 idle = { IDLE_TIMEOUT, 0 };
	int		 s;

	(void)ev;
	if ((s = accept(fd, NULL, NULL)) == -1)
		return;
	if (srv->nclients >= CLIENTS_MAX || (c = calloc(1, sizeof(*c))) ==
	    NULL) {
		close(s);
		return;
	}
	evutil_make_socket_nonblocking(s);
	if ((c->bev = bufferevent_socket_new(srv->base, s,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(s);
		free(c);
		return;
	}
	c->srv = srv;
	c->proto = l->proto;
	TAILQ_INIT(&c->reqs);
	TAILQ_INSERT_TAIL(&srv->clients, c, entry);
	srv->nclients++;
	bufferevent_setcb(c->bev, client_read, client_written, client_event,
	    c);
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

struct server *
server_new(struct event_base *base, struct vcache *vc)
{
	struct server	*srv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return NULL;
	srv->base = base;
	srv->vc = vc;
	TAILQ_INIT(&srv->clients);
	return srv;
}

int
server_add(struct server *srv, int fd, enum proto proto)
{
	struct listener	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -1;
	l->srv = srv;
	l->proto = proto;
	evutil_make_socket_nonblocking(fd);
	event_assign(&l->ev, srv->base, fd, EV_READ | EV_PERSIST, on_accept,
	    l);
	return event_add(&l->ev, NULL);
}
