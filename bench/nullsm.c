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
 * nullsm: a null socketmap (or Exim line) server.  Every request gets
 * one fixed answer at once, so smload against it measures what the
 * machine and the client can do: the ceiling a real server is compared
 * with.  Single-threaded, one readiness loop, no allocation per
 * request.
 *
 *	nullsm [-P socketmap|exim] [-r reply] address
 *
 * address is unix:PATH, HOST:PORT or [HOST]:PORT (numeric).  The
 * default answer is "NOTFOUND " (socketmap) or "NONE" (exim).  Says
 * "nullsm: listening on ADDRESS" on stderr once it accepts; runs until
 * killed.
 */

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evq.h"

#define RBUF_SIZE	65536
#define REQ_MAX		4096	/* bytes a request may take */
#define REPLY_MAX	1024

enum proto { P_SOCKETMAP, P_EXIM };

struct conn {
	int	 fd, want;
	size_t	 rlen, olen;
	char	*obuf;		/* answers the socket did not take */
	char	 rbuf[RBUF_SIZE];
};

static enum proto	 proto = P_SOCKETMAP;
static char		 answer[REPLY_MAX + 16];
static size_t		 answer_len;
static struct evq	 q;
static int		 lfd;

static void
usage(void)
{
	fprintf(stderr, "usage: nullsm [-P socketmap|exim] [-r reply] "
	    "address\n");
	exit(2);
}

static void
die(const char *what)
{
	fprintf(stderr, "nullsm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
listen_on(const char *a)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&ss;
	struct addrinfo		 hints, *res;
	socklen_t		 sslen;
	char			 host[256];
	const char		*port;
	int			 fd, on = 1;

	memset(&ss, 0, sizeof(ss));
	if (strncmp(a, "unix:", 5) == 0) {
		if (strlen(a + 5) >= sizeof(sun->sun_path))
			usage();
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, a + 5, strlen(a + 5));
		sslen = sizeof(*sun);
		(void)unlink(a + 5);
	} else {
		if (a[0] == '[') {
			if ((port = strstr(a, "]:")) == NULL)
				usage();
			(void)snprintf(host, sizeof(host), "%.*s",
			    (int)(port - a - 1), a + 1);
			port += 2;
		} else {
			if ((port = strrchr(a, ':')) == NULL)
				usage();
			(void)snprintf(host, sizeof(host), "%.*s",
			    (int)(port - a), a);
			port++;
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, port, &hints, &res) != 0)
			usage();
		memcpy(&ss, res->ai_addr, res->ai_addrlen);
		sslen = res->ai_addrlen;
		freeaddrinfo(res);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1)
		die("socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1)
		die(a);
	if (listen(fd, 1024) == -1)
		die("listen");
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		die("fcntl");
	return fd;
}

static void
conn_free(struct conn *c)
{
	evq_del(&q, c->fd);
	close(c->fd);
	free(c->obuf);
	free(c);
}

static void
conn_want(struct conn *c, int want)
{
	if (want != c->want && evq_mod(&q, c->fd, c, want) == 0)
		c->want = want;
}

/*
 * How many complete requests buf begins with, and the bytes they take;
 * -1 if the stream is not the protocol.
 */
static long
requests(const char *buf, size_t len, size_t *used)
{
	const char	*p = buf, *end = buf + len, *nl;
	size_t		 n;
	long		 count = 0;

	while (p < end) {
		if (proto == P_EXIM) {
			if ((nl = memchr(p, '\n', end - p)) == NULL)
				break;
			p = nl + 1;
		} else {
			for (n = 0; p < end && *p >= '0' && *p <= '9'; p++)
				if ((n = n * 10 + (*p - '0')) > REQ_MAX)
					return -1;
			if (p == end)
				break;
			if (*p != ':')
				return -1;
			if ((size_t)(end - p) < n + 2)
				break;
			if (p[n + 1] != ',')
				return -1;
			p += n + 2;
		}
		count++;
		buf = p;
	}
	*used = buf - (end - len);
	return count;
}

static int
conn_send(struct conn *c, const char *out, size_t len)
{
	ssize_t	 n = 0;
	char	*p;

	if (c->olen == 0 && (n = write(c->fd, out, len)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		n = 0;
	}
	if ((size_t)n == len)
		return 0;
	if ((p = realloc(c->obuf, c->olen + len - n)) == NULL)
		return -1;
	c->obuf = p;
	memcpy(c->obuf + c->olen, out + n, len - n);
	c->olen += len - n;
	return 0;
}

static void
conn_read(struct conn *c)
{
	static char	 out[RBUF_SIZE];
	size_t		 used, off, len;
	ssize_t		 n;
	long		 count;

	n = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(c);
		return;
	}
	c->rlen += n;
	if ((count = requests(c->rbuf, c->rlen, &used)) == -1 ||
	    (count == 0 && c->rlen == sizeof(c->rbuf))) {
		conn_free(c);
		return;
	}
	while (count > 0) {
		for (len = 0; count > 0 && len + answer_len <= sizeof(out);
		    count--, len += answer_len)
			memcpy(out + len, answer, answer_len);
		if (conn_send(c, out, len) == -1) {
			conn_free(c);
			return;
		}
	}
	off = c->rlen - used;
	memmove(c->rbuf, c->rbuf + used, off);
	c->rlen = off;
	/* a client that does not read its answers is not read from */
	conn_want(c, c->olen > 0 ? EVQ_OUT : EVQ_IN);
}

static void
conn_write(struct conn *c)
{
	ssize_t	 n;

	if ((n = write(c->fd, c->obuf, c->olen)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			conn_free(c);
		return;
	}
	memmove(c->obuf, c->obuf + n, c->olen - n);
	c->olen -= n;
	if (c->olen == 0)
		conn_want(c, EVQ_IN);
}

static void
on_accept(void)
{
	struct conn	*c;
	int		 fd;

	while ((fd = accept(lfd, NULL, NULL)) != -1) {
		if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1 ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->want = EVQ_IN;
		if (evq_add(&q, fd, c, EVQ_IN) == -1) {
			close(fd);
			free(c);
		}
	}
}

int
main(int argc, char *argv[])
{
	struct evq_ev	 ev[256];
	struct conn	*c;
	const char	*reply = NULL;
	int		 ch, n, i;

	while ((ch = getopt(argc, argv, "P:r:")) != -1) {
		switch (ch) {
		case 'P':
			if (strcmp(optarg, "socketmap") == 0)
				proto = P_SOCKETMAP;
			else if (strcmp(optarg, "exim") == 0)
				proto = P_EXIM;
			else
				usage();
			break;
		case 'r':
			reply = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if (reply == NULL)
		reply = proto == P_EXIM ? "NONE" : "NOTFOUND ";
	if (strlen(reply) > REPLY_MAX)
		usage();
	answer_len = proto == P_EXIM ?
	    (size_t)snprintf(answer, sizeof(answer), "%s\n", reply) :
	    (size_t)snprintf(answer, sizeof(answer), "%zu:%s,", strlen(reply),
	    reply);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(argv[optind]);
	if (evq_init(&q) == -1 || evq_add(&q, lfd, NULL, EVQ_IN) == -1)
		die("evq");
	fprintf(stderr, "nullsm: listening on %s\n", argv[optind]);
	for (;;) {
		if ((n = evq_wait(&q, ev, 256, -1)) == -1)
			die("evq_wait");
		for (i = 0; i < n; i++) {
			if ((c = ev[i].ptr) == NULL)
				on_accept();
			else if (ev[i].what & EVQ_OUT)
				conn_write(c);
			else
				conn_read(c);
		}
	}
}
