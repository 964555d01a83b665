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
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The spawner: a small process that keeps the privileges the front
 * gives up, only to start network processes when the front asks, so
 * that one which died can be replaced by one as confined (chroot(2),
 * another user) as the first.  It holds nothing but its control link
 * to the front and standard error, reads one byte per request, and
 * says on the link when a network process it started has ended.
 *
 *	front -> spawner	'S'			start one
 *	spawner -> front	'N' pid	+ descriptor	its link
 *				'E' pid status		one ended (wait(2))
 *				'F' errno		none could start
 * The link is a SOCK_SEQPACKET pair: one message per request.
 */

struct spawn_msg {
	char		 type;
	int32_t		 pid;
	int32_t		 arg;
};

static volatile sig_atomic_t	 child_ended;

static void
on_sigchld(int sig)
{
	(void)sig;
	child_ended = 1;
}

static int
send_msg(int ctl, char type, pid_t pid, int arg, int fd)
{
	struct spawn_msg	 m;
	struct msghdr		 mh;
	struct iovec		 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}			 cm;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.pid = pid;
	m.arg = arg;
	iov.iov_base = &m;
	iov.iov_len = sizeof(m);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &fd, sizeof(int));
	}
	return sendmsg(ctl, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(m) ? 0 : -1;
}

/* One network process; its end of the link goes to the front. */
static void
spawn_one(int ctl, const struct resolver_conf *conf, const char *user)
{
	sigset_t	 none;
	pid_t		 pid;
	int		 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		(void)send_msg(ctl, 'F', 0, errno, -1);
		return;
	}
	switch ((pid = fork())) {
	case -1:
		(void)send_msg(ctl, 'F', 0, errno, -1);
		break;
	case 0:
		signal(SIGCHLD, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		netproc_descriptors(sv[1]);
		netproc_run(3, conf, user);
		/* NOTREACHED */
	default:
		(void)send_msg(ctl, 'N', pid, 0, sv[0]);
		break;
	}
	close(sv[0]);
	close(sv[1]);
}

static void
reap(int ctl)
{
	pid_t	 pid;
	int	 status;

	child_ended = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		(void)send_msg(ctl, 'E', pid, status, -1);
}

/*
 * Requests until the front goes (its end of the link closes): then the
 * network process goes too, as the front that used it is gone.
 */
static __dead void
spawner_run(int ctl, const struct resolver_conf *conf, const char *user)
{
	struct sigaction	 sa;
	struct pollfd		 pfd;
	sigset_t		 block, during;
	char			 c;
	ssize_t			 n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &during);
	sigdelset(&during, SIGCHLD);
	pfd.fd = ctl;
	pfd.events = POLLIN;
	for (;;) {
		if (child_ended)
			reap(ctl);
		/* SIGCHLD comes only while waiting here: none is missed. */
		if (ppoll(&pfd, 1, NULL, &during) == -1) {
			if (errno == EINTR)
				continue;
			fatal("spawner: poll");
		}
		if ((n = read(ctl, &c, 1)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (c == 'S')
			spawn_one(ctl, conf, user);
	}
	/* The front is gone; its network process ends on its own (EOF). */
	_exit(0);
}

/*
 * Fork the spawner, with nothing of the caller's but standard error
 * and its control link (descriptor 3).  Returns the front's end.
 */
int
spawner_start(const struct resolver_conf *conf, const char *user,
    pid_t *pid)
{
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	switch ((*pid = fork())) {
	case -1:
		fatal("fork");
	case 0:
		close(sv[0]);
		netproc_descriptors(sv[1]);
		spawner_run(3, conf, user);
	default:
		close(sv[1]);
		return sv[0];
	}
}

/*
 * A message from the spawner: its type, and for 'N' the descriptor
 * that came with it (else -1).  Returns -1 when the spawner is gone.
 */
int
spawner_recv(int ctl, char *type, pid_t *pid, int *arg, int *fd)
{
	struct spawn_msg	 m;
	struct msghdr		 mh;
	struct cmsghdr		*c;
	struct iovec		 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}			 cm;
	ssize_t			 n;

	*fd = -1;
	iov.iov_base = &m;
	iov.iov_len = sizeof(m);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	while ((n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC)) == -1 &&
	    errno == EINTR)
		;
	if (n != (ssize_t)sizeof(m))
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	*type = m.type;
	*pid = m.pid;
	*arg = m.arg;
	return 0;
}

/* Ask for a network process. */
int
spawner_ask(int ctl)
{
	return send(ctl, "S", 1, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/*
 * The first network process, at start, before any event loop: its
 * link, or a fatal error.
 */
int
spawner_first(int ctl, pid_t *netpid)
{
	char	 type;
	int	 arg, fd;

	if (spawner_ask(ctl) == -1)
		fatal("spawner");
	for (;;) {
		if (spawner_recv(ctl, &type, netpid, &arg, &fd) == -1)
			fatalx("the spawner is gone");
		if (type == 'N' && fd != -1)
			return fd;
		if (type == 'F') {
			errno = arg;
			fatal("cannot start the network process");
		}
		if (fd != -1)
			close(fd);
	}
}
