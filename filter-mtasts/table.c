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
 * tempfail in smtpd) rather than keep smtpd waiting.
 * smtpd 7.6 and later speak the text protocol of smtpd-tables(7);
 * 6.8 speaks imsg frames on fd 0 (table_proc.c, API version 2).
 */

#ifndef TABLESOCK
#define TABLESOCK	"/var/run/filter-mtasts/table.sock"
#endif

#define ASK_TIMEOUT	1000	/* ms */
#define TABLE_REPLY_MAX	600

static const char	*sockpath;
static int		 sfd = -1;

static int
sock_connect(void)
{
	struct sockaddr_un	 sun;

	if (sfd != -1)
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sockpath) >= sizeof(sun.sun_path) ||
	    (sfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memcpy(sun.sun_path, sockpath, strlen(sockpath));
	if (connect(sfd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(sfd);
		sfd = -1;
		return -1;
	}
	return 0;
}

static int
sock_ask_once(const char *req, char *reply, size_t replysz, int timeout)
{
	struct pollfd	 pfd;
	size_t		 off = 0;
	ssize_t		 n;

	if (timeout <= 0 || sock_connect() == -1 ||
	    write(sfd, req, strlen(req)) != (ssize_t)strlen(req))
		return -1;
	pfd.fd = sfd;
	pfd.events = POLLIN;
	while (off < replysz - 1) {
		if (poll(&pfd, 1, timeout) != 1 ||
		    (n = read(sfd, reply + off, replysz - 1 - off)) <= 0)
			return -1;
		off += n;
		reply[off] = '\0';
		if (reply[off - 1] == '\n') {
			reply[off - 1] = '\0';
			return 0;
		}
	}
	return -1;
}

static int
ms_since(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * One retry on a fresh connection, as the filter may have restarted,
 * both within ASK_TIMEOUT in all.
 */
static const char *
ask(const char *what, const char *key, char *reply, size_t replysz)
{
	struct timespec	 t0;
	char		 req[TABLE_REPLY_MAX];

	if (strchr(key, '\n') != NULL || strlen(key) > DNS_NAME_MAX)
		return "error malformed key";
	(void)snprintf(req, sizeof(req), "%s %s\n", what, key);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (sock_ask_once(req, reply, replysz, ASK_TIMEOUT) == 0)
		return reply;
	if (sfd != -1)
		close(sfd);
	sfd = -1;
	if (sock_ask_once(req, reply, replysz,
	    ASK_TIMEOUT - ms_since(&t0)) == 0)
		return reply;
	return "error filter-mtasts not reachable";
}

/* --- smtpd 7.6+: smtpd-tables(7) text protocol --- */

static void
text_reply(const char *kind, const char *id, const char *r)
{
	if (strcmp(r, "found") == 0 || strcmp(r, "not-found") == 0)
		printf("%s-result|%s|%s\n", kind, id, r);
	else if (strncmp(r, "found ", 6) == 0)
		printf("%s-result|%s|found|%s\n", kind, id, r + 6);
	else
		printf("%s-result|%s|error|%s\n", kind, id,
		    strncmp(r, "error ", 6) == 0 ? r + 6 : "bad answer");
	fflush(stdout);
}

/* table|0.1|TS|NAME|OP|SERVICE|ID|KEY, or update/fetch variants. */
static void
text_request(char *line)
{
	char		*f[8], *p = line, reply[TABLE_REPLY_MAX];
	const char	*r;
	size_t		 n;

	for (n = 0; n < 8 && p != NULL; n++)
		f[n] = strsep(&p, n == 7 ? "" : "|");
	if (n < 5 || strcmp(f[0], "table") != 0)
		fatalx("table: unexpected line from smtpd");
	if (strcmp(f[4], "update") == 0 && n >= 6) {
		printf("update-result|%s|ok\n", f[5]);
		fflush(stdout);
		return;
	}
	if (strcmp(f[4], "fetch") == 0 && n >= 7) {
		printf("fetch-result|%s|error|not supported\n", f[6]);
		fflush(stdout);
		return;
	}
	if (n != 8 || (strcmp(f[4], "check") != 0 &&
	    strcmp(f[4], "lookup") != 0))
		fatalx("table: unexpected request from smtpd");
	if (strcmp(f[5], "domain") == 0)
		r = ask("check", f[7], reply, sizeof(reply));
	else if (strcmp(f[5], "relayhost") == 0)
		r = ask("relayhost", f[7], reply, sizeof(reply));
	else
		r = "error service not offered";
	text_reply(f[4], f[6], r);
}

static int
text_run(void)
{
	char	*line = NULL;
	size_t	 sz = 0;
	ssize_t	 len;
	int	 ready = 0;

	while ((len = getline(&line, &sz, stdin)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (!ready) {
			if (strcmp(line, "config|ready") == 0) {
				printf("register|domain\nregister|relayhost\n"
				    "register|ready\n");
				fflush(stdout);
				ready = 1;
			}
			continue;
		}
		text_request(line);
	}
	free(line);
	return 0;
}

/* --- smtpd 6.8: imsg frames on fd 0 --- */

#define IMSG_HDR	16
#define PROC_OK		0
#define PROC_OPEN	2
#define PROC_CLOSE	3
#define PROC_UPDATE	4
#define PROC_CHECK	5
#define PROC_LOOKUP	6
#define PROC_FETCH	7
#define PROC_API	2
#define K_DOMAIN	0x002
#define K_RELAYHOST	0x200
#define IMSG_MAX	16384

struct imsg_hdr {
	uint32_t	 type;
	uint16_t	 len;
	uint16_t	 flags;
	uint32_t	 peerid;
	uint32_t	 pid;
};

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

static void
imsg_reply(int r, const char *value)
{
	struct imsg_hdr	 h;
	char		 buf[IMSG_HDR + sizeof(int) + TABLE_REPLY_MAX];
	size_t		 len = sizeof(int);

	memcpy(buf + IMSG_HDR, &r, sizeof(int));
	if (value != NULL) {
		memcpy(buf + IMSG_HDR + len, value, strlen(value) + 1);
		len += strlen(value) + 1;
	}
	memset(&h, 0, sizeof(h));
	h.type = PROC_OK;
	h.len = IMSG_HDR + len;
	h.pid = getpid();
	memcpy(buf, &h, IMSG_HDR);
	if (write(0, buf, h.len) != h.len)
		fatal("table: write to smtpd");
}

static void
imsg_ok_empty(void)
{
	struct imsg_hdr	 h;

	memset(&h, 0, sizeof(h));
	h.type = PROC_OK;
	h.len = IMSG_HDR;
	h.pid = getpid();
	if (write(0, &h, IMSG_HDR) != IMSG_HDR)
		fatal("table: write to smtpd");
}

/* CHECK and LOOKUP: int service; size_t nparams; key NUL. */
static void
imsg_query(uint32_t type, const char *p, size_t len)
{
	char		 reply[TABLE_REPLY_MAX];
	const char	*r;
	int		 service;
	size_t		 off = sizeof(int) + sizeof(size_t);

	if (len <= off || p[len - 1] != '\0')
		fatalx("table: malformed request from smtpd");
	memcpy(&service, p, sizeof(int));
	if (service == K_DOMAIN && type == PROC_CHECK)
		r = ask("check", p + off, reply, sizeof(reply));
	else if (service == K_RELAYHOST && type == PROC_LOOKUP)
		r = ask("relayhost", p + off, reply, sizeof(reply));
	else
		r = "error service not offered";
	if (strcmp(r, "found") == 0)
		imsg_reply(1, NULL);
	else if (strncmp(r, "found ", 6) == 0)
		imsg_reply(1, r + 6);
	else if (strcmp(r, "not-found") == 0)
		imsg_reply(0, NULL);
	else {
		log_warnx("table: %s: %s", p + off, r);
		imsg_reply(-1, NULL);
	}
}

static int
imsg_run(void)
{
	struct imsg_hdr	 h;
	char		*p;

	if ((p = malloc(IMSG_MAX)) == NULL)
		fatal("malloc");
	while (read_full(0, &h, IMSG_HDR) == 0) {
		if (h.len < IMSG_HDR || h.len - IMSG_HDR > IMSG_MAX ||
		    read_full(0, p, h.len - IMSG_HDR) == -1)
			fatalx("table: malformed frame from smtpd");
		switch (h.type) {
		case PROC_OPEN:
			if ((size_t)h.len < IMSG_HDR + sizeof(uint32_t) ||
			    *(uint32_t *)p != PROC_API)
				fatalx("table: smtpd table API is not %d",
				    PROC_API);
			imsg_ok_empty();
			break;
		case PROC_CLOSE:
			free(p);
			return 0;
		case PROC_UPDATE:
			imsg_reply(1, NULL);
			break;
		case PROC_CHECK:
		case PROC_LOOKUP:
			imsg_query(h.type, p, h.len - IMSG_HDR);
			break;
		case PROC_FETCH:
			imsg_reply(0, NULL);
			break;
		default:
			fatalx("table: unknown request %u from smtpd", h.type);
		}
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
	/* A peek, so nothing is taken from under stdio or the imsg reader. */
	if (recv(STDIN_FILENO, &c, 1, MSG_PEEK) != 1)
		return 0;
	return c == 'c' ? text_run() : imsg_run();
}
