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
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "tlsserv.h"

#define CHILD_LIFE	60	/* seconds: a child left behind goes */
#define REQUEST_MAX	8192

/* openssl(1) with its output gone; 0 when it exits 0. */
static int
openssl(char *const argv[])
{
	pid_t	 pid;
	int	 status, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			(void)dup2(fd, STDOUT_FILENO);
			(void)dup2(fd, STDERR_FILENO);
		}
		execvp("openssl", argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int
tlsserv_pki(struct tlsserv_pki *pki)
{
	char	*argv[] = { "openssl", "req", "-x509", "-newkey", "ec",
	    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
	    pki->key, "-out", pki->cert, "-days", "2", "-subj",
	    "/CN=" TLSSERV_HOST, "-addext",
	    "subjectAltName=DNS:" TLSSERV_HOST, NULL };
	const char *tmp = getenv("TMPDIR");

	(void)snprintf(pki->dir, sizeof(pki->dir), "%s/tlsserv.XXXXXXXX",
	    tmp != NULL && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(pki->dir) == NULL)
		return -1;
	(void)snprintf(pki->cert, sizeof(pki->cert), "%s/cert.pem", pki->dir);
	(void)snprintf(pki->key, sizeof(pki->key), "%s/key.pem", pki->dir);
	if (openssl(argv) == -1) {
		tlsserv_pki_remove(pki);
		return -1;
	}
	return 0;
}

void
tlsserv_pki_remove(const struct tlsserv_pki *pki)
{
	(void)unlink(pki->cert);
	(void)unlink(pki->key);
	(void)rmdir(pki->dir);
}

/* The request: up to the empty line that ends its header section. */
static int
read_request(struct tls *c)
{
	char	 buf[REQUEST_MAX];
	size_t	 len = 0;
	ssize_t	 n;

	while (len < sizeof(buf) - 1) {
		n = tls_read(c, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return 0;
	}
	return -1;
}

static int
send_all(struct tls *c, const char *s, size_t len, size_t unit)
{
	size_t	 off, n;
	ssize_t	 w;

	for (off = 0; off < len; off += w) {
		n = len - off < unit ? len - off : unit;
		if ((w = tls_write(c, s + off, n)) <= 0)
			return -1;
	}
	return 0;
}

static void
dribble(struct tls *c, int ms)
{
	for (;;) {
		if (tls_write(c, "a", 1) != 1)
			return;
		(void)poll(NULL, 0, ms);	/* the pace, not a wait */
	}
}

static void __attribute__((__noreturn__))
child(int lfd, int ctl, const struct tlsserv_pki *pki,
    const struct tlsserv_script *sc)
{
	struct tls_config	*cfg;
	struct tls		*srv, *c;
	char			 b;
	int			 fd, one = 1;

	(void)signal(SIGPIPE, SIG_IGN);
	(void)alarm(CHILD_LIFE);
	if ((cfg = tls_config_new()) == NULL ||
	    tls_config_set_keypair_file(cfg, pki->cert, pki->key) == -1 ||
	    (srv = tls_server()) == NULL || tls_configure(srv, cfg) == -1)
		_exit(2);
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (tls_accept_socket(srv, &c, fd) == -1 || tls_handshake(c) == -1 ||
	    read_request(c) == -1)
		_exit(1);
	if (write(ctl, "R", 1) != 1 || (sc->hold && read(ctl, &b, 1) != 1))
		_exit(1);
	if (send_all(c, sc->resp, sc->len, sc->unit > 0 ? sc->unit :
	    sc->len) == -1)
		_exit(1);
	if (sc->dribble_ms > 0)
		dribble(c, sc->dribble_ms);
	else if (write(ctl, "S", 1) != 1)
		_exit(1);
	(void)tls_close(c);
	_exit(0);
}

int
tlsserv_start(struct tlsserv *s, const struct tlsserv_pki *pki,
    const struct tlsserv_script *sc)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&s->addr;
	socklen_t		 sl = sizeof(*sin);
	int			 lfd, sv[2], big = 1 << 20;

	memset(s, 0, sizeof(*s));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* Room for a whole response sent a byte per record, unread. */
	(void)setsockopt(lfd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (bind(lfd, (struct sockaddr *)sin, sl) == -1 ||
	    getsockname(lfd, (struct sockaddr *)sin, &sl) == -1 ||
	    listen(lfd, 1) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		close(lfd);
		return -1;
	}
	fflush(NULL);
	if ((s->pid = fork()) == -1) {
		close(lfd);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (s->pid == 0) {
		close(sv[0]);
		child(lfd, sv[1], pki, sc);
	}
	close(lfd);
	close(sv[1]);
	s->ctl = sv[0];
	return 0;
}

void
tlsserv_stop(struct tlsserv *s)
{
	if (s->pid > 0) {
		(void)kill(s->pid, SIGKILL);
		(void)waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	if (s->ctl > 0)
		close(s->ctl);
	s->ctl = -1;
}
