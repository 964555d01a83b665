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

#include <errno.h>
#include <event.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include "mtasts.h"

/*
 * The policy fetch of RFC 8461 3.3 with libtls on the caller's loop.
 * libtls does SNI, PKIX and the DNS-ID check against the policy host
 * (tls_connect_socket() takes the name); we do the non-blocking
 * connect to addresses already looked up, the request, and the time
 * limit.  Nothing here blocks, not even name resolution.
 *
 * The time limit holds against a server that keeps sending: the reads
 * go back to the loop after READ_BURST of them, and every step first
 * looks at the deadline on the monotonic clock, so neither a busy read
 * loop nor the loop's order of callbacks lets a fetch outlive it.
 */

#define FETCH_ADDRS	8
#define READ_CHUNK	8192		/* first room for the response */
#define READ_BURST	32		/* tls_read() calls per callback */
#define POLICY_PATH	"/.well-known/mta-sts.txt"

enum fetch_state {
	F_QUEUED,
	F_CONNECT,
	F_HANDSHAKE,
	F_WRITE,
	F_READ
};

struct fetch {
	TAILQ_ENTRY(fetch)	 entry;
	struct fetcher		*fr;
	enum fetch_state	 state;
	char			 host[DNS_NAME_MAX + 1];
	struct sockaddr_storage	 addrs[FETCH_ADDRS];
	size_t			 naddrs, next;
	int			 fd;
	struct tls		*tls;
	struct event		 io, timer;
	struct timespec		 deadline;	/* CLOCK_MONOTONIC */
	char			*req;		/* the request, whole */
	size_t			 reqlen, reqoff;
	int			 post;		/* only the status matters */
	int			 status;		/* of a post's answer */
	char			*buf;
	size_t			 len, cap;
	struct http_parser	 hp;
	char			 err[STS_ERR_MAX];
	char			 connerr[64];	/* last connect(2) error */
	fetch_cb		 cb;
	void			*arg;
};

struct fetcher {
	struct event_base	*base;
	struct tls_config	*cfg;
	int			 timeout;
	int			 max_active, active;
	TAILQ_HEAD(, fetch)	 queue;
};

static void	fetch_begin(struct fetch *);
static void	fetch_step(int, short, void *);
static void	fetcher_run(struct fetcher *);

struct fetcher *
fetcher_new(struct event_base *base, const char *cafile, int timeout,
    int max_active, char *err, size_t errsz)
{
	struct fetcher	*fr;
	uint8_t		*ca;
	size_t		 calen;

	if (cafile == NULL)
		cafile = tls_default_ca_cert_file();
	if ((fr = calloc(1, sizeof(*fr))) == NULL ||
	    (fr->cfg = tls_config_new()) == NULL) {
		free(fr);
		(void)snprintf(err, errsz, "out of memory");
		return NULL;
	}
	fr->base = base;
	fr->timeout = timeout;
	fr->max_active = max_active > 0 ? max_active : 1;
	TAILQ_INIT(&fr->queue);
	/* In memory now, so a later chroot or pledge needs no file. */
	if ((ca = tls_load_file(cafile, &calen, NULL)) == NULL) {
		(void)snprintf(err, errsz, "%s: %s", cafile, strerror(errno));
		fetcher_free(fr);
		return NULL;
	}
	if (tls_config_set_ca_mem(fr->cfg, ca, calen) == -1 ||
	    tls_config_set_protocols(fr->cfg, TLS_PROTOCOL_TLSv1_2 |
	    TLS_PROTOCOL_TLSv1_3) == -1) {
		(void)snprintf(err, errsz, "%s: %s", cafile,
		    tls_config_error(fr->cfg));
		tls_unload_file(ca, calen);
		fetcher_free(fr);
		return NULL;
	}
	tls_unload_file(ca, calen);
	return fr;
}

void
fetcher_free(struct fetcher *fr)
{
	struct fetch	*f;

	if (fr == NULL)
		return;
	while ((f = TAILQ_FIRST(&fr->queue)) != NULL)
		fetch_cancel(f);
	if (fr->cfg != NULL)
		tls_config_free(fr->cfg);
	free(fr);
}

static void
fetch_wait(struct fetch *f, short what)
{
	struct event_base *base = f->fr->base;

	event_del(&f->io);
	event_set(&f->io, f->fd, what, fetch_step, f);
	event_base_set(base, &f->io);
	event_add(&f->io, NULL);
}

/* Run again from the loop, whose other events go first. */
static void
fetch_yield(struct fetch *f)
{
	struct timeval	 now = { 0, 0 };

	event_del(&f->io);
	evtimer_set(&f->io, fetch_step, f);
	event_base_set(f->fr->base, &f->io);
	evtimer_add(&f->io, &now);
}

static void
fetch_teardown(struct fetch *f)
{
	struct fetcher	*fr = f->fr;

	if (f->state == F_QUEUED)
		TAILQ_REMOVE(&fr->queue, f, entry);
	else
		fr->active--;
	event_del(&f->io);
	evtimer_del(&f->timer);
	if (f->tls != NULL) {
		(void)tls_close(f->tls);	/* no waiting for the peer */
		tls_free(f->tls);
	}
	if (f->fd != -1)
		close(f->fd);
	http_parser_free(&f->hp);
	free(f->buf);
	free(f->req);
	free(f);
	fetcher_run(fr);
}

static void
fetch_finish(struct fetch *f, int ok, const char *body, size_t len)
{
	struct fetch_result	 res;

	memset(&res, 0, sizeof(res));
	res.ok = ok;
	res.body = (char *)body;
	res.len = len;
	res.status = f->status;
	res.stage = f->state <= F_CONNECT ? FETCH_STAGE_CONNECT :
	    f->state == F_HANDSHAKE ? FETCH_STAGE_TLS : FETCH_STAGE_HTTP;
	(void)snprintf(res.err, sizeof(res.err), "%s", f->err);
	/* For a diagnosis: the certificate, once the handshake is done. */
	res.tls_failed = f->state == F_HANDSHAKE;
	if (f->state > F_HANDSHAKE) {
		res.cert_not_after = tls_peer_cert_notafter(f->tls);
		(void)snprintf(res.tls_version, sizeof(res.tls_version), "%s",
		    tls_conn_version(f->tls) ? tls_conn_version(f->tls) : "");
	}
	f->cb(f->arg, &res);
	fetch_teardown(f);
}

static void
fetch_fail(struct fetch *f, const char *fmt, const char *detail)
{
	(void)snprintf(f->err, sizeof(f->err), fmt, detail);
	fetch_finish(f, 0, NULL, 0);
}

static void
fetch_expire(struct fetch *f)
{
	char	 secs[16];

	(void)snprintf(secs, sizeof(secs), "%d", f->fr->timeout);
	fetch_fail(f, "no complete answer within %s s", secs);
}

static void
fetch_timeout(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	fetch_expire(arg);
}

/* Next address; non-blocking, so the answer comes as EV_WRITE. */
static void
fetch_connect(struct fetch *f)
{
	while (f->next < f->naddrs) {
		if (f->fd != -1)
			close(f->fd);
		if ((f->fd = tcp_connect(&f->addrs[f->next++])) != -1) {
			f->state = F_CONNECT;
			fetch_wait(f, EV_WRITE);
			return;
		}
		(void)snprintf(f->connerr, sizeof(f->connerr), "%s",
		    strerror(errno));
	}
	fetch_fail(f, "cannot connect: %s", f->connerr[0] ?
	    f->connerr : "no address");
}

static void
fetch_connected(struct fetch *f)
{
	int	 soerr;

	if ((soerr = tcp_connect_error(f->fd)) != 0) {
		(void)snprintf(f->connerr, sizeof(f->connerr), "%s",
		    strerror(soerr));
		fetch_connect(f);
		return;
	}
	if ((f->tls = tls_client()) == NULL) {
		fetch_fail(f, "%s", "out of memory");
		return;
	}
	if (tls_configure(f->tls, f->fr->cfg) == -1 ||
	    tls_connect_socket(f->tls, f->fd, f->host) == -1) {
		fetch_fail(f, "%s", tls_error(f->tls));
		return;
	}
	f->state = F_HANDSHAKE;
	fetch_step(f->fd, 0, f);
}

/* Map a libtls result to waiting, or to failure. */
static int
tls_again(struct fetch *f, ssize_t r)
{
	if (r == TLS_WANT_POLLIN)
		fetch_wait(f, EV_READ);
	else if (r == TLS_WANT_POLLOUT)
		fetch_wait(f, EV_WRITE);
	else if (r == -1)
		fetch_fail(f, "TLS: %s", tls_error(f->tls));
	else
		return 0;
	return 1;
}

/* Room for the next read: doubled, up to HTTP_RAW_MAX in all. */
static int
fetch_room(struct fetch *f)
{
	size_t	 cap;
	char	*nb;

	if (f->len < f->cap)
		return 0;
	cap = f->cap == 0 ? READ_CHUNK : 2 * f->cap;
	if (cap > HTTP_RAW_MAX)
		cap = HTTP_RAW_MAX;
	if ((nb = realloc(f->buf, cap)) == NULL)
		return -1;
	f->buf = nb;
	f->cap = cap;
	return 0;
}

/*
 * The answer to a post: its status line is all that counts (RFC 8460
 * 5.2: "typically a 200 or 201"), any 2xx is taken.  1 when the fetch
 * is over.
 */
static int
post_status(struct fetch *f, int eof)
{
	const char	*lf;
	int		 st;

	if ((lf = memchr(f->buf, '\n', f->len)) == NULL) {
		if (!eof && f->len < HTTP_HEADER_MAX)
			return 0;
		fetch_fail(f, "%s", "no HTTP status line");
		return 1;
	}
	if (lf - f->buf < 12 || memcmp(f->buf, "HTTP/1.", 7) != 0 ||
	    f->buf[8] != ' ' || sscanf(f->buf + 9, "%3d", &st) != 1 ||
	    st < 100 || st > 599) {
		fetch_fail(f, "%s", "not an HTTP status line");
		return 1;
	}
	f->status = st;
	if (st >= 200 && st <= 299) {
		fetch_finish(f, 1, NULL, 0);
		return 1;
	}
	(void)snprintf(f->err, sizeof(f->err), "HTTP status %d", st);
	fetch_finish(f, 0, NULL, 0);
	return 1;
}

/*
 * At most READ_BURST reads, each handed to the parser, which goes on
 * where it stopped; then back to the loop, so that the timer and the
 * other fetches have their turn however fast the server sends.
 */
static void
fetch_read(struct fetch *f)
{
	struct http_response	 resp = { 0, NULL, 0 };
	char			 why[STS_ERR_MAX];
	ssize_t			 r;
	int			 i, st, eof;

	for (i = 0; i < READ_BURST; i++) {
		if (f->len == HTTP_RAW_MAX) {
			fetch_fail(f, "%s", "response too large");
			return;
		}
		if (fetch_room(f) == -1) {
			fetch_fail(f, "%s", "out of memory");
			return;
		}
		r = tls_read(f->tls, f->buf + f->len, f->cap - f->len);
		if (tls_again(f, r))
			return;
		eof = r == 0;
		f->len += r;
		if (f->post) {
			if (post_status(f, eof))
				return;
			continue;
		}
		st = http_parser_feed(&f->hp, f->buf, f->len, eof, &resp,
		    f->err, sizeof(f->err));
		if (st == HTTP_DONE) {
			fetch_finish(f, 1, resp.body, resp.len);
			http_response_free(&resp);
			return;
		}
		if (st == HTTP_ERROR || eof) {
			(void)snprintf(why, sizeof(why), "%s", f->err);
			fetch_fail(f, "%s", why);
			return;
		}
	}
	fetch_yield(f);
}

static void
fetch_step(int fd, short ev, void *arg)
{
	struct fetch	*f = arg;
	ssize_t		 r;

	(void)fd;
	(void)ev;
	if (deadline_passed(&f->deadline)) {
		fetch_expire(f);
		return;
	}
	switch (f->state) {
	case F_CONNECT:
		fetch_connected(f);
		return;
	case F_HANDSHAKE:
		if (tls_again(f, tls_handshake(f->tls)))
			return;
		f->state = F_WRITE;
		/* FALLTHROUGH */
	case F_WRITE:
		while (f->reqoff < f->reqlen) {
			r = tls_write(f->tls, f->req + f->reqoff,
			    f->reqlen - f->reqoff);
			if (tls_again(f, r))
				return;
			f->reqoff += r;
		}
		f->state = F_READ;
		/* FALLTHROUGH */
	case F_READ:
		fetch_read(f);
		return;
	default:
		return;
	}
}

static void
fetch_begin(struct fetch *f)
{
	struct timeval	 tv = { f->fr->timeout, 0 };

	deadline_set(&f->deadline, f->fr->timeout);
	f->state = F_CONNECT;
	evtimer_del(&f->timer);
	evtimer_set(&f->timer, fetch_timeout, f);
	event_base_set(f->fr->base, &f->timer);
	evtimer_add(&f->timer, &tv);
	fetch_connect(f);
}

/* Start what waits in line, oldest first, up to the bound. */
static void
fetcher_run(struct fetcher *fr)
{
	struct fetch	*f;

	while (fr->active < fr->max_active &&
	    (f = TAILQ_FIRST(&fr->queue)) != NULL) {
		TAILQ_REMOVE(&fr->queue, f, entry);
		fr->active++;
		fetch_begin(f);
	}
}

static void
fetch_kick(int fd, short ev, void *arg)
{
	struct fetch	*f = arg;

	(void)fd;
	(void)ev;
	fetcher_run(f->fr);
}

/* The request headers in req (len bytes), the body after: one buffer. */
static char *
realloc_body(char *req, size_t len, const void *body, size_t blen)
{
	char	*nr;

	if ((nr = realloc(req, len + blen + 1)) == NULL) {
		free(req);
		return NULL;
	}
	memcpy(nr + len, body, blen);
	nr[len + blen] = '\0';
	return nr;
}

/* A fetch in line, its request req (taken over), or NULL. */
static struct fetch *
fetch_queue(struct fetcher *fr, const char *host, char *req, size_t reqlen,
    const struct sockaddr_storage *addrs, size_t naddrs, fetch_cb cb,
    void *arg)
{
	struct fetch	*f;
	struct timeval	 now = { 0, 0 };

	if (req == NULL || (f = calloc(1, sizeof(*f))) == NULL) {
		free(req);
		return NULL;
	}
	f->fr = fr;
	f->fd = -1;
	f->cb = cb;
	f->arg = arg;
	f->state = F_QUEUED;
	f->req = req;
	f->reqlen = reqlen;
	http_parser_init(&f->hp);
	(void)snprintf(f->host, sizeof(f->host), "%s", host);
	f->naddrs = naddrs < FETCH_ADDRS ? naddrs : FETCH_ADDRS;
	memcpy(f->addrs, addrs, f->naddrs * sizeof(*addrs));
	event_set(&f->io, -1, 0, fetch_kick, f);
	event_base_set(fr->base, &f->io);
	evtimer_set(&f->timer, fetch_kick, f);
	event_base_set(fr->base, &f->timer);
	TAILQ_INSERT_TAIL(&fr->queue, f, entry);
	evtimer_add(&f->timer, &now);
	return f;
}

/*
 * The callback always runs later from the loop; the handle is gone
 * once it has run.  No HTTP caching: a plain GET, no validators.
 */
struct fetch *
fetch_start(struct fetcher *fr, const char *host,
    const struct sockaddr_storage *addrs, size_t naddrs, fetch_cb cb,
    void *arg)
{
	char	*req;
	int	 n;

	if ((n = asprintf(&req, "GET " POLICY_PATH " HTTP/1.1\r\n"
	    "Host: %.*s\r\nUser-Agent: filter-mtasts\r\nAccept: text/plain\r\n"
	    "Connection: close\r\n\r\n", DNS_NAME_MAX, host)) == -1)
		return NULL;
	return fetch_queue(fr, host, req, (size_t)n, addrs, naddrs, cb, arg);
}

/* The path and content type must be one line each: callers check. */
struct fetch *
fetch_post(struct fetcher *fr, const char *host, const char *path,
    const char *ctype, const void *body, size_t len,
    const struct sockaddr_storage *addrs, size_t naddrs, fetch_cb cb,
    void *arg)
{
	struct fetch	*f;
	char		*req;
	int		 n;

	if (len > RPT_REPORT_MAX || strpbrk(path, "\r\n ") != NULL ||
	    strpbrk(ctype, "\r\n") != NULL)
		return NULL;
	if ((n = asprintf(&req, "POST %s HTTP/1.1\r\nHost: %.*s\r\n"
	    "User-Agent: filter-mtasts\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", path,
	    DNS_NAME_MAX, host, ctype, len)) == -1)
		return NULL;
	if ((req = realloc_body(req, (size_t)n, body, len)) == NULL)
		return NULL;
	if ((f = fetch_queue(fr, host, req, (size_t)n + len, addrs, naddrs,
	    cb, arg)) != NULL)
		f->post = 1;
	return f;
}

/*
 * Whether a failed handshake's error is about the certificate: the
 * PKIX path or the name (RFC 8460 4.3.2, sts-webpki-invalid), rather
 * than the connection or the protocol.
 */
int
fetch_tls_is_pkix(const char *err)
{
	return strstr(err, "certificate") != NULL ||
	    strstr(err, "verif") != NULL || strstr(err, "name `") != NULL;
}

void
fetch_cancel(struct fetch *f)
{
	if (f != NULL)
		fetch_teardown(f);
}
