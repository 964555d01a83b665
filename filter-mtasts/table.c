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
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The proc table smtpd forks for "table NAME mtasts:/path/to/socket".
 * smtpd waits for every answer with the whole of lka stopped, so this
 * only relays each question to the filter's socket, which answers
 * from memory, and gives up after ASK_TIMEOUT with an error (a
 * tempfail in smtpd) rather than keep smtpd waiting: connecting,
 * writing and reading all count, and none of them blocks.
 * smtpd 7.6 and later speak the text protocol of smtpd-tables(7);
 * 6.8 speaks imsg frames on fd 0 (table_proc.c, API version 2).  Both
 * are read here and parsed in tableproto.c.
 */

#ifndef TABLESOCK
#define TABLESOCK	"/var/run/filter-mtasts/table.sock"
#endif

#define ASK_TIMEOUT	1000	/* ms, for all one question takes */
#define CONNECT_PAUSE	10	/* ms between tries to connect */

static const char	*sockpath;
static int		 sfd = -1;
static char		 unreachable[128];

static int
ms_left(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ASK_TIMEOUT - (int)((t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000);
}

static void
sock_close(void)
{
	if (sfd != -1)
		close(sfd);
	sfd = -1;
}

/* Readable while idle: closed by the filter, or a late answer: unusable. */
static int
sock_idle(void)
{
	struct pollfd	 pfd;

	pfd.fd = sfd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) == 0;
}

/*
 * A full backlog (Linux: EAGAIN; OpenBSD: ECONNREFUSED) or a socket not
 * made yet, as when smtpd starts the table and the filter together,
 * is tried again until the time is up.
 */
static int
sock_connect(const struct timespec *t0)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	socklen_t		 sl;
	int			 left, e;

	if (sfd != -1 && sock_idle())
		return 0;
	sock_close();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sockpath) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, sockpath, strlen(sockpath));
	while ((left = ms_left(t0)) > 0) {
		if ((sfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1)
			return -1;
		if (connect(sfd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return 0;
		e = errno;
		if (e == EINPROGRESS) {
			pfd.fd = sfd;
			pfd.events = POLLOUT;
			sl = sizeof(e);
			if (poll(&pfd, 1, left) == 1 && getsockopt(sfd,
			    SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e == 0)
				return 0;
		}
		sock_close();
		(void)snprintf(unreachable, sizeof(unreachable), "error "
		    "filter-mtasts not reachable: %s", strerror(e));
		if (e != EAGAIN && e != EWOULDBLOCK && e != EINTR &&
		    e != ECONNREFUSED && e != ENOENT)
			return -1;
		(void)poll(NULL, 0, left < CONNECT_PAUSE ? left :
		    CONNECT_PAUSE);
	}
	return -1;
}

static int
sock_wait(short events, const struct timespec *t0)
{
	struct pollfd	 pfd;
	int		 left;

	pfd.fd = sfd;
	pfd.events = events;
	while ((left = ms_left(t0)) > 0) {
		switch (poll(&pfd, 1, left)) {
		case 1:
			return 0;
		case -1:
			if (errno == EINTR)
				continue;
			return -1;
		default:
			return -1;
		}
	}
	return -1;
}

static int
sock_write(const char *req, const struct timespec *t0)
{
	size_t	 len = strlen(req), off = 0;
	ssize_t	 n;

	while (off < len) {
		if ((n = send(sfd, req + off, len - off, MSG_NOSIGNAL)) > 0) {
			off += n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) ||
		    sock_wait(POLLOUT, t0) == -1)
			return -1;
	}
	return 0;
}

/* One line back; anything after it means we are out of step. */
static int
sock_read(char *reply, size_t replysz, const struct timespec *t0)
{
	size_t	 off = 0;
	ssize_t	 n;
	char	*nl;

	while (off < replysz - 1) {
		if (sock_wait(POLLIN, t0) == -1)
			return -1;
		if ((n = read(sfd, reply + off, replysz - 1 - off)) == -1 &&
		    (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n <= 0)
			return -1;
		nl = memchr(reply + off, '\n', n);
		off += n;
		if (nl != NULL) {
			*nl = '\0';
			if (nl + 1 != reply + off)
				sock_close();
			return 0;
		}
	}
	return -1;
}

/*
 * One retry on a fresh connection, as the filter may have closed an
 * idle one or restarted, both within ASK_TIMEOUT in all.  A connection
 * that failed is never used again: a late answer would be taken for
 * the next question's.
 */
static const char *
ask(void *arg, const char *what, const char *key, char *reply,
    size_t replysz)
{
	struct timespec	 t0;
	char		 req[TABLE_LINE_MAX];
	int		 try;

	(void)arg;
	(void)snprintf(req, sizeof(req), "%s %s\n", what, key);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	(void)snprintf(unreachable, sizeof(unreachable), "error "
	    "filter-mtasts not reachable");
	for (try = 0; try < 2; try++) {
		if (sock_connect(&t0) == 0 && sock_write(req, &t0) == 0 &&
		    sock_read(reply, replysz, &t0) == 0)
			return reply;
		sock_close();
	}
	return unreachable;
}

/* --- smtpd 7.6+: smtpd-tables(7) text protocol --- */

static int
text_run(void)
{
	struct table_text	 t;
	char			 line[TABLE_TEXT_MAX + 1], out[TABLE_TEXT_OUT];
	size_t			 len;

	memset(&t, 0, sizeof(t));
	while (fgets(line, sizeof(line), stdin) != NULL) {
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		else if (!feof(stdin))
			fatalx("table: line from smtpd too long");
		if (table_text_line(&t, line, ask, NULL, out,
		    sizeof(out)) == -1)
			fatalx("table: unexpected line from smtpd");
		if (out[0] != '\0' && (fputs(out, stdout) == EOF ||
		    fflush(stdout) == EOF))
			fatal("table: write to smtpd");
	}
	return 0;
}

/* --- smtpd 6.8: imsg frames on fd 0 --- */

static int
read_full(int fd, void *buf, size_t len)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < len) {
		if ((n = read(fd, (char *)buf + off, len - off)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += n;
	}
	return 0;
}

static int
write_full(int fd, const void *buf, size_t len)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < len) {
		if ((n = write(fd, (const char *)buf + off, len - off)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += n;
	}
	return 0;
}

static int
imsg_run(void)
{
	struct table_imsg_out	 o;
	uint8_t			 hdr[TABLE_IMSG_HDR], *p;
	uint32_t		 type;
	int			 len, r;

	if ((p = malloc(TABLE_IMSG_MAX)) == NULL)
		fatal("malloc");
	while (read_full(0, hdr, sizeof(hdr)) == 0) {
		if ((len = table_imsg_len(hdr)) == -1 ||
		    read_full(0, p, len) == -1)
			fatalx("table: malformed frame from smtpd");
		memcpy(&type, hdr, sizeof(type));
		if ((r = table_imsg(type, p, len, ask, NULL, &o)) == -1)
			fatalx("%s", o.note);
		if (o.note[0] != '\0')
			log_warnx("%s", o.note);
		if (r == 1)
			break;
		if (o.len > 0 && write_full(0, o.buf, o.len) == -1)
			fatal("table: write to smtpd");
	}
	free(p);
	return 0;
}

/*
 * smtpd runs "table-mtasts" with the table name as argv[0] and the
 * path from smtpd.conf as argv[1]; through the shell wrapper only the
 * path is left.  So an argument that begins with '/' is the socket,
 * anything else the name.  The first byte smtpd sends tells the
 * protocol: "config|..." is text, anything else imsg.
 */
int
cmd_table(int argc, char *argv[])
{
	char	 c;
	int	 i;

	sockpath = TABLESOCK;
	if (argc > 3)
		usage_cmd("table");
	for (i = 1; i < argc; i++)
		if (argv[i][0] == '/')
			sockpath = argv[i];
	/* smtpd going away ends the table by a write error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	/* A peek, so nothing is taken from under stdio or the imsg reader. */
	if (recv(STDIN_FILENO, &c, 1, MSG_PEEK) != 1)
		return 0;
	return c == 'c' ? text_run() : imsg_run();
}
