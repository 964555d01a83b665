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
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The socket the table processes of smtpd ask, one line per request,
 * answered from memory at once:
 *	check DOMAIN		found | not-found | error MSG
 *	relayhost DOMAIN	found smtp+tls://MX:25 | not-found | error MSG
 * A domain never seen is an error: smtpd then tempfails the RCPT,
 * and the resolution it starts is ready for the client's retry, so
 * mail for a protected domain never leaves unprotected by default.
 */

#define LINE_MAX_REQ	512

struct tablesrv {
	struct vcache	*vc;
	struct event	 ev;
	int		 fd;
};

/* A defer fails closed too: smtpd tempfails what the filter missed. */
static void
answer_check(struct vcache *vc, const char *domain, struct evbuffer *out)
{
	const struct verdict *v;

	if ((v = vcache_peek(vc, domain)) == NULL)
		evbuffer_add_printf(out, "error no verdict yet for this "
		    "domain\n");
	else if (v->kind == VERDICT_STS_ENFORCE || v->kind == VERDICT_DANE)
		evbuffer_add_printf(out, "found\n");
	else if (v->kind == VERDICT_DEFER)
		evbuffer_add_printf(out, "error %s\n", v->reason);
	else
		evbuffer_add_printf(out, "not-found\n");
}

static void
answer(struct vcache *vc, char *line, struct evbuffer *out)
{
	char		 norm[DNS_NAME_MAX + 1];
	const char	*mx, *arg;
	int		 kind;

	if ((arg = strchr(line, ' ')) == NULL ||
	    (kind = domain_normalize(arg + 1, norm, sizeof(norm))) == -1 ||
	    (strncmp(line, "check ", 6) != 0 &&
	    strncmp(line, "relayhost ", 10) != 0)) {
		evbuffer_add_printf(out, "error malformed request\n");
		return;
	}
	/* Address literals have no policy, as in the filter. */
	if (kind == 1)
		evbuffer_add_printf(out, "not-found\n");
	else if (strncmp(line, "check ", 6) == 0)
		answer_check(vc, norm, out);
	else if (strncmp(line, "relayhost ", 10) == 0) {
		if ((mx = vcache_next_mx(vc, norm)) != NULL)
			evbuffer_add_printf(out, "found smtp+tls://%s:25\n",
			    mx);
		else
			evbuffer_add_printf(out, "not-found\n");
	}
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct tablesrv	*ts = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		answer(ts->vc, line, bufferevent_get_output(bev));
		free(line);
	}
	if (evbuffer_get_length(in) > LINE_MAX_REQ)
		bufferevent_free(bev);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);
}

static void
conn_accept(int fd, short ev, void *arg)
{
	struct tablesrv		*ts = arg;
	struct bufferevent	*bev;
	int			 c;

	(void)ev;
	if ((c = accept(fd, NULL, NULL)) == -1)
		return;
	evutil_make_socket_nonblocking(c);
	bev = bufferevent_socket_new(event_get_base(&ts->ev), c,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(c);
		return;
	}
	bufferevent_setcb(bev, conn_read, NULL, conn_event, ts);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* Made before privileges go; any local user may ask: DNS is public. */
int
tablesrv_listen(const char *path)
{
	int	 fd;

	fd = listen_unix(path);
	if (listen(fd, 64) == -1)
		fatal("listen %s", path);
	return fd;
}

struct tablesrv *
tablesrv_start(struct event_base *base, int fd, struct vcache *vc)
{
	struct tablesrv	*ts;

	if ((ts = calloc(1, sizeof(*ts))) == NULL)
		return NULL;
	ts->vc = vc;
	ts->fd = fd;
	evutil_make_socket_nonblocking(fd);
	event_assign(&ts->ev, base, fd, EV_READ | EV_PERSIST, conn_accept,
	    ts);
	event_add(&ts->ev, NULL);
	return ts;
}
