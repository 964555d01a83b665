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
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include "mtasts.h"

/*
 * An SMTP client connection on the caller's loop, in the manner of
 * fetch.c: non-blocking sockets, a time limit per operation held both
 * by a timer and by a look at the monotonic clock on every step, and
 * reads handed back to the loop after READ_BURST of them, so that a
 * server that keeps sending cannot hold the loop or outlive the limit.
 * libtls reads and writes through conn_tls_read() and
 * conn_tls_write(), which never block and never raise SIGPIPE.
 */

/* Input: a line, and what follows; output: queued, not yet sent. */
#define CONN_IN_MAX	(4 * SMTP_LINE_MAX)
#define CONN_OUT_MAX	(1024 * 1024)
#define READ_BURST	32

enum conn_op {
	OP_NONE,
	OP_CONNECT,
	OP_HANDSHAKE,
	OP_FLUSH,
	OP_REPLY,
	OP_DEAD
};

struct smtp_conn {
	struct event_base	*base;
	enum conn_op		 op;
	int			 fd;
	struct tls		*tls;
	struct event		 io, timer;
	struct timespec		 deadline;	/* CLOCK_MONOTONIC */
	int			 timeout;
	char			 host[DNS_NAME_MAX + 1];
	char			 address[64];
	struct sockaddr_storage	 addrs[VERIFY_ADDRS];
	size_t			 naddrs, next;
	char			 in[CONN_IN_MAX];
	size_t			 inlen, inoff, scan;
	char			*out;
	size_t			 outlen, outoff, outcap;
	struct smtp_reply	 reply;
	struct smtp_reply	 ehlo_reply;
	struct smtp_ehlo	 ehlo;
	smtp_reply_cb		 reply_cb;
	smtp_done_cb		 done_cb;
	void			*arg;
	char			 err[STS_ERR_MAX];
};

static void	conn_step(int, short, void *);

static void
conn_wait(struct smtp_conn *c, short what)
{
	event_del(&c->io);
	event_set(&c->io, c->fd, what, conn_step, c);
	event_base_set(c->base, &c->io);
	event_add(&c->io, NULL);
}

/* Run again from the loop, whose other events go first. */
static void
conn_yield(struct smtp_conn *c)
{
	struct timeval	 now = { 0, 0 };

	event_del(&c->io);
	evtimer_set(&c->io, conn_step, c);
	event_base_set(c->base, &c->io);
	evtimer_add(&c->io, &now);
}

static void
conn_idle(struct smtp_conn *c, enum conn_op op)
{
	c->op = op;
	event_del(&c->io);
	evtimer_del(&c->timer);
}

/* The end of an operation; the callback may free the connection. */
static void
conn_done(struct smtp_conn *c, int ok)
{
	smtp_done_cb	 cb = c->done_cb;
	smtp_reply_cb	 rcb = c->reply_cb;
	enum conn_op	 op = c->op;

	conn_idle(c, ok ? OP_NONE : OP_DEAD);
	c->done_cb = NULL;
	c->reply_cb = NULL;
	if (op == OP_REPLY)
		rcb(c->arg, c, ok ? &c->reply : NULL);
	else
		cb(c->arg, c, ok);
}

/* The arguments may be c->err itself. */
static void __attribute__((__format__(__printf__, 2, 3)))
conn_fail(struct smtp_conn *c, const char *fmt, ...)
{
	char	 why[sizeof(c->err)];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	memcpy(c->err, why, sizeof(c->err));
	conn_done(c, 0);
}

static void	conn_connect_next(struct smtp_conn *);

static void
conn_expire(struct smtp_conn *c)
{
	switch (c->op) {
	case OP_CONNECT:
		/* each address has the whole time limit */
		(void)snprintf(c->err, sizeof(c->err), "%s: no connection "
		    "within %d s", c->address, c->timeout);
		if (c->next < c->naddrs)
			conn_connect_next(c);
		else
			conn_fail(c, "cannot connect: %s", c->err);
		break;
	case OP_HANDSHAKE:
		conn_fail(c, "TLS handshake not done within %d s", c->timeout);
		break;
	case OP_FLUSH:
		conn_fail(c, "could not send within %d s", c->timeout);
		break;
	default:
		conn_fail(c, "no complete reply within %d s", c->timeout);
		break;
	}
}

static void
conn_timeout(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	conn_expire(arg);
}

/* The time limit of an operation, from now. */
static void
conn_arm(struct smtp_conn *c, int timeout)
{
	struct timeval	 tv;

	c->timeout = timeout > 0 ? timeout : 1;
	tv.tv_sec = c->timeout;
	tv.tv_usec = 0;
	deadline_set(&c->deadline, c->timeout);
	evtimer_del(&c->timer);
	evtimer_add(&c->timer, &tv);
}

/* An operation starts from the loop, its time limit running. */
static int
conn_begin(struct smtp_conn *c, enum conn_op op, int timeout)
{
	if (c->op != OP_NONE)
		return -1;
	c->op = op;
	conn_arm(c, timeout);
	conn_yield(c);
	return 0;
}

/* libtls's I/O: the socket is non-blocking, the peer may be gone. */
static ssize_t
conn_tls_read(struct tls *ctx, void *buf, size_t len, void *arg)
{
	struct smtp_conn *c = arg;
	ssize_t		 r;

	(void)ctx;
	while ((r = recv(c->fd, buf, len, 0)) == -1 && errno == EINTR)
		;
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return TLS_WANT_POLLIN;
	return r;
}

static ssize_t
conn_tls_write(struct tls *ctx, const void *buf, size_t len, void *arg)
{
	struct smtp_conn *c = arg;
	ssize_t		 r;

	(void)ctx;
	while ((r = send(c->fd, buf, len, MSG_NOSIGNAL)) == -1 &&
	    errno == EINTR)
		;
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return TLS_WANT_POLLOUT;
	return r;
}

/* Map a libtls result to waiting, or to failure; 0: go on. */
static int
conn_again(struct smtp_conn *c, ssize_t r)
{
	if (r == TLS_WANT_POLLIN)
		conn_wait(c, EV_READ);
	else if (r == TLS_WANT_POLLOUT)
		conn_wait(c, EV_WRITE);
	else if (r == -1)
		conn_fail(c, "TLS: %s", tls_error(c->tls) ? tls_error(c->tls) :
		    "failed");
	else
		return 0;
	return 1;
}

static void
conn_address(struct smtp_conn *c, const struct sockaddr_storage *ss)
{
	const void	*a;

	if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	else
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	if (inet_ntop(ss->ss_family, a, c->address, sizeof(c->address)) ==
	    NULL)
		(void)snprintf(c->address, sizeof(c->address), "?");
}

/* Next address, each with the whole time limit; EV_WRITE says how. */
static void
conn_connect_next(struct smtp_conn *c)
{
	const struct sockaddr_storage *ss;

	while (c->next < c->naddrs) {
		ss = &c->addrs[c->next++];
		conn_address(c, ss);
		if (c->fd != -1)
			close(c->fd);
		if ((c->fd = tcp_connect(ss)) != -1) {
			if (c->next > 1)
				conn_arm(c, c->timeout);
			conn_wait(c, EV_WRITE);
			return;
		}
		(void)snprintf(c->err, sizeof(c->err), "%s: %s", c->address,
		    strerror(errno));
	}
	conn_fail(c, "cannot connect: %s", c->err[0] ? c->err : "no address");
}

static void
conn_connected(struct smtp_conn *c)
{
	int	 soerr;

	if ((soerr = tcp_connect_error(c->fd)) != 0) {
		(void)snprintf(c->err, sizeof(c->err), "%s: %s", c->address,
		    strerror(soerr));
		conn_connect_next(c);
		return;
	}
	c->err[0] = '\0';
	conn_done(c, 1);
}

/* Everything queued goes out; 0 while waiting (or failed). */
static int
conn_send(struct smtp_conn *c)
{
	ssize_t	 r;

	while (c->outoff < c->outlen) {
		if (c->tls != NULL) {
			r = tls_write(c->tls, c->out + c->outoff,
			    c->outlen - c->outoff);
			if (conn_again(c, r))
				return 0;
		} else if ((r = send(c->fd, c->out + c->outoff,
		    c->outlen - c->outoff, MSG_NOSIGNAL)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				conn_wait(c, EV_WRITE);
			else
				conn_fail(c, "write: %s", strerror(errno));
			return 0;
		}
		c->outoff += r;
	}
	c->outoff = c->outlen = 0;
	return 1;
}

/*
 * The complete lines read so far go to the reply; each line is looked
 * at once.  SMTP_MORE when a line is still incomplete.
 */
static int
conn_parse(struct smtp_conn *c)
{
	char	*lf;
	int	 st;

	while ((lf = memchr(c->in + c->scan, '\n', c->inlen - c->scan)) !=
	    NULL) {
		st = smtp_reply_line(&c->reply, c->in + c->inoff,
		    lf - (c->in + c->inoff), c->err, sizeof(c->err));
		c->inoff = c->scan = lf - c->in + 1;
		if (st == SMTP_ERROR) {
			conn_done(c, 0);
			return SMTP_ERROR;
		}
		if (st == SMTP_DONE)
			return SMTP_DONE;
	}
	c->scan = c->inlen;
	if (c->inlen - c->inoff >= SMTP_LINE_MAX) {
		conn_fail(c, "reply line longer than %d bytes", SMTP_LINE_MAX);
		return SMTP_ERROR;
	}
	return SMTP_MORE;
}

static void
conn_read(struct smtp_conn *c)
{
	ssize_t	 r;
	int	 i;

	for (i = 0; i < READ_BURST; i++) {
		switch (conn_parse(c)) {
		case SMTP_DONE:
			conn_done(c, 1);
			return;
		case SMTP_ERROR:
			return;
		}
		if (c->inoff > 0) {
			memmove(c->in, c->in + c->inoff, c->inlen - c->inoff);
			c->inlen -= c->inoff;
			c->scan -= c->inoff;
			c->inoff = 0;
		}
		if (c->tls != NULL) {
			r = tls_read(c->tls, c->in + c->inlen,
			    sizeof(c->in) - c->inlen);
			if (conn_again(c, r))
				return;
		} else if ((r = recv(c->fd, c->in + c->inlen,
		    sizeof(c->in) - c->inlen, 0)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				conn_wait(c, EV_READ);
			else
				conn_fail(c, "read: %s", strerror(errno));
			return;
		}
		if (r == 0) {
			conn_fail(c, "connection closed by the server%s",
			    c->reply.nlines > 0 ? " within a reply" : "");
			return;
		}
		c->inlen += r;
	}
	conn_yield(c);
}

static void
conn_step(int fd, short ev, void *arg)
{
	struct smtp_conn *c = arg;

	(void)fd;
	(void)ev;
	if (deadline_passed(&c->deadline)) {
		conn_expire(c);
		return;
	}
	switch (c->op) {
	case OP_CONNECT:
		if (c->fd == -1)
			conn_connect_next(c);
		else
			conn_connected(c);
		return;
	case OP_HANDSHAKE:
		if (conn_again(c, tls_handshake(c->tls)))
			return;
		conn_done(c, 1);
		return;
	case OP_FLUSH:
		if (conn_send(c))
			conn_done(c, 1);
		return;
	case OP_REPLY:
		if (conn_send(c))
			conn_read(c);
		return;
	default:
		return;
	}
}

/*
 * Connect to the first of the addresses that answers, each given the
 * time limit; host names the server in messages, and in SNI later.
 */
struct smtp_conn *
smtp_conn_connect(struct event_base *base, const char *host,
    const struct sockaddr_storage *addrs, size_t naddrs, int timeout,
    smtp_done_cb cb, void *arg)
{
	struct smtp_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->base = base;
	c->fd = -1;
	(void)snprintf(c->host, sizeof(c->host), "%s", host);
	c->naddrs = naddrs < VERIFY_ADDRS ? naddrs : VERIFY_ADDRS;
	memcpy(c->addrs, addrs, c->naddrs * sizeof(*addrs));
	smtp_reply_init(&c->reply);
	smtp_reply_init(&c->ehlo_reply);
	event_set(&c->io, -1, 0, conn_step, c);
	event_base_set(base, &c->io);
	evtimer_set(&c->timer, conn_timeout, c);
	event_base_set(base, &c->timer);
	c->done_cb = cb;
	c->arg = arg;
	conn_begin(c, OP_CONNECT, timeout);
	return c;
}

static int
conn_queue(struct smtp_conn *c, const void *data, size_t len)
{
	size_t	 cap;
	char	*nb;

	if (c->op == OP_DEAD || len > CONN_OUT_MAX - c->outlen)
		return -1;
	if (c->outlen + len > c->outcap) {
		for (cap = c->outcap ? c->outcap : 1024; cap < c->outlen + len;)
			cap *= 2;
		if ((nb = realloc(c->out, cap)) == NULL)
			return -1;
		c->out = nb;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
	return 0;
}

int
smtp_conn_command(struct smtp_conn *c, const char *cmd)
{
	size_t	 len = strlen(cmd);

	if (strpbrk(cmd, "\r\n") != NULL || len + 2 > SMTP_LINE_MAX ||
	    len + 2 > CONN_OUT_MAX - c->outlen)
		return -1;
	if (conn_queue(c, cmd, len) == -1)
		return -1;
	return conn_queue(c, "\r\n", 2);
}

int
smtp_conn_write(struct smtp_conn *c, const void *data, size_t len)
{
	return conn_queue(c, data, len);
}

int
smtp_conn_reply(struct smtp_conn *c, int timeout, smtp_reply_cb cb, void *arg)
{
	if (c->op != OP_NONE)
		return -1;
	smtp_reply_init(&c->reply);
	c->reply_cb = cb;
	c->arg = arg;
	return conn_begin(c, OP_REPLY, timeout);
}

int
smtp_conn_flush(struct smtp_conn *c, int timeout, smtp_done_cb cb, void *arg)
{
	if (c->op != OP_NONE)
		return -1;
	c->done_cb = cb;
	c->arg = arg;
	return conn_begin(c, OP_FLUSH, timeout);
}

/*
 * TLS on the connection, SNI the host name, with the caller's
 * configuration (which says what libtls itself verifies).  Bytes that
 * came after the reply to STARTTLS were sent in the clear before the
 * handshake: taking them would let anyone on the path inject replies
 * into the session (the STARTTLS command injection of CVE-2011-0411,
 * server side), so they fail the connection.
 */
int
smtp_conn_starttls(struct smtp_conn *c, struct tls_config *cfg, int timeout,
    smtp_done_cb cb, void *arg)
{
	if (c->op != OP_NONE || c->tls != NULL)
		return -1;
	if (c->inlen > c->inoff) {
		(void)snprintf(c->err, sizeof(c->err), "%zu bytes sent in the "
		    "clear after the reply to STARTTLS", c->inlen - c->inoff);
		c->op = OP_DEAD;
		return -1;
	}
	if ((c->tls = tls_client()) == NULL ||
	    tls_configure(c->tls, cfg) == -1 ||
	    tls_connect_cbs(c->tls, conn_tls_read, conn_tls_write, c,
	    c->host) == -1) {
		(void)snprintf(c->err, sizeof(c->err), "TLS: %s",
		    c->tls != NULL && tls_error(c->tls) ? tls_error(c->tls) :
		    "out of memory");
		c->op = OP_DEAD;
		return -1;
	}
	c->done_cb = cb;
	c->arg = arg;
	return conn_begin(c, OP_HANDSHAKE, timeout);
}

void
smtp_conn_free(struct smtp_conn *c)
{
	if (c == NULL)
		return;
	event_del(&c->io);
	evtimer_del(&c->timer);
	if (c->tls != NULL) {
		(void)tls_close(c->tls);	/* no waiting for the peer */
		tls_free(c->tls);
	}
	if (c->fd != -1)
		close(c->fd);
	free(c->out);
	free(c);
}

const char *
smtp_conn_error(const struct smtp_conn *c)
{
	return c->err;
}

const char *
smtp_conn_host(const struct smtp_conn *c)
{
	return c->host;
}

const char *
smtp_conn_address(const struct smtp_conn *c)
{
	return c->address;
}

int
smtp_conn_fd(const struct smtp_conn *c)
{
	return c->fd;
}

struct tls *
smtp_conn_tls(const struct smtp_conn *c)
{
	return c->tls;
}

/* Bytes read and not yet part of a reply. */
size_t
smtp_conn_pending(const struct smtp_conn *c)
{
	return c->inlen - c->inoff;
}

const struct smtp_ehlo *
smtp_conn_ehlo(const struct smtp_conn *c)
{
	return &c->ehlo;
}

const struct smtp_reply *
smtp_conn_ehlo_reply(const struct smtp_conn *c)
{
	return &c->ehlo_reply;
}

/* The server's EHLO reply, and what it offers; the last one counts. */
void
smtp_conn_set_ehlo(struct smtp_conn *c, const struct smtp_reply *r)
{
	if (r != &c->ehlo_reply)
		memcpy(&c->ehlo_reply, r, sizeof(*r));
	smtp_ehlo_parse(&c->ehlo_reply, &c->ehlo);
}
