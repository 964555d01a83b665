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
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The socket the table processes of smtpd ask, one line per request,
 * answered from memory at once (tableproto.c):
 *	check DOMAIN		found | not-found | error MSG
 *	relayhost DOMAIN	found smtp+tls://MX:25 | not-found | error MSG
 * A domain never seen is an error: smtpd then tempfails the RCPT,
 * and the resolution it starts is ready for the client's retry, so
 * mail for a protected domain never leaves unprotected by default.
 *
 * smtpd waits for every answer with its lookup process stopped, so
 * nothing another client does may hold the table up: connections are
 * few and short-lived, answers queued per connection are capped, and
 * running out of descriptors pauses accept(2) instead of spinning.
 */

#define LINE_MAX_REQ	512	/* a request line */
#define IN_MAX		4096	/* read no further ahead */
#define OUT_MAX		16384	/* answers queued before reading stops */
#define CONN_MAX	64
#define ACCEPT_BATCH	16	/* per wakeup, below CONN_MAX: conn_accept() */
#define IDLE_SECS	10
#define PAUSE_MSECS	100
#define WAIT_MSECS	700	/* for a verdict derived again; the table
				   waits 1000 in all */

/* Whose processes may connect: the lookup user of smtpd, by group. */
static const char *const smtpd_users[] = { "_smtpd", "opensmtpd" };

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct tablesrv		*ts;
	struct bufferevent	*bev;
	int			 eof;
	char			*held;	/* a request waiting for a verdict */
	struct vwaiter		*w;
	struct event		 wait;
};

struct tablesrv {
	struct vcache		*vc;
	struct event		 ev;
	struct event		 resume;
	TAILQ_HEAD(, conn)	 conns;	/* least recently active first */
	size_t			 nconns;
	int			 fd;
};

static void
conn_free(struct conn *c)
{
	vcache_cancel(c->w);
	evtimer_del(&c->wait);
	free(c->held);
	TAILQ_REMOVE(&c->ts->conns, c, entry);
	c->ts->nconns--;
	bufferevent_free(c->bev);
	free(c);
}

static int	conn_serve(struct conn *);

static int
conn_answer(struct conn *c, const char *line)
{
	char	 ans[TABLE_LINE_MAX];

	tablesrv_answer(c->ts->vc, line, ans, sizeof(ans));
	if (evbuffer_add(bufferevent_get_output(c->bev), ans,
	    strlen(ans)) == -1) {
		conn_free(c);
		return -1;
	}
	TAILQ_REMOVE(&c->ts->conns, c, entry);
	TAILQ_INSERT_TAIL(&c->ts->conns, c, entry);
	return 0;
}

/* The verdict came, or WAIT_MSECS passed: the held request is answered. */
static void
conn_resume(struct conn *c)
{
	char	*line = c->held;

	c->held = NULL;
	c->w = NULL;
	evtimer_del(&c->wait);
	if (conn_answer(c, line) == 0)
		(void)conn_serve(c);
	free(line);
}

static void
conn_verdict(void *arg, const struct verdict *v)
{
	(void)v;
	conn_resume(arg);
}

static void
conn_wait_over(int fd, short ev, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)ev;
	vcache_cancel(c->w);
	conn_resume(c);
}

/*
 * A domain whose verdict has just expired is derived again, mostly
 * from libunbound's cache: for the relayhost smtpd asks when it
 * delivers, or retries hours later, that is better waited for, a
 * moment, than failed.  Returns 1 when line is held for it.
 */
static int
conn_hold(struct conn *c, char *line)
{
	struct timeval		 tv = { 0, WAIT_MSECS * 1000 };
	const struct verdict	*v;
	char			 norm[DNS_NAME_MAX + 1];

	if (tablesrv_domain(line, norm, sizeof(norm)) == -1 ||
	    !vcache_expired(c->ts->vc, norm) ||
	    vcache_lookup(c->ts->vc, norm, conn_verdict, c, &v, &c->w) !=
	    VC_WAIT)
		return 0;
	c->held = line;
	evtimer_assign(&c->wait, event_get_base(&c->ts->ev), conn_wait_over,
	    c);
	evtimer_add(&c->wait, &tv);
	return 1;
}

/*
 * Answer the complete lines read, until the queue of answers is full:
 * reading then stops until the client has taken them.  Returns -1 when
 * the connection is gone.
 */
static int
conn_serve(struct conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	char		*line;
	size_t		 len;

	while (c->held == NULL && evbuffer_get_length(out) < OUT_MAX &&
	    (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (conn_hold(c, line))
			break;
		if (conn_answer(c, line) == -1) {
			free(line);
			return -1;
		}
		free(line);
	}
	if (c->held != NULL || evbuffer_get_length(out) >= OUT_MAX) {
		bufferevent_disable(c->bev, EV_READ);
		return 0;
	}
	if (evbuffer_get_length(in) > LINE_MAX_REQ ||
	    (c->eof && evbuffer_get_length(out) == 0)) {
		conn_free(c);
		return -1;
	}
	if (!c->eof)
		bufferevent_enable(c->bev, EV_READ);
	return 0;
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)conn_serve(arg);
}

/* The answers are out: read on, or close after the client's EOF. */
static void
conn_drained(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)conn_serve(arg);
}

/* EOF still gets the answers to what came before it. */
static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;

	(void)bev;
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR)) {
		c->eof = 1;
		bufferevent_disable(c->bev, EV_READ);
		(void)conn_serve(c);
		return;
	}
	/* An error, or idle (or not reading answers) for IDLE_SECS. */
	conn_free(c);
}

static void
accept_resume(int fd, short ev, void *arg)
{
	struct tablesrv	*ts = arg;

	(void)fd;
	(void)ev;
	event_add(&ts->ev, NULL);
}

/* Out of descriptors with none of ours to give back: wait a moment. */
static void
accept_pause(struct tablesrv *ts)
{
	struct timeval	 tv = { 0, PAUSE_MSECS * 1000 };

	event_del(&ts->ev);
	evtimer_add(&ts->resume, &tv);
}

static int
conn_new(struct tablesrv *ts, int fd)
{
	struct timeval	 idle = { IDLE_SECS, 0 };
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->bev = bufferevent_socket_new(event_get_base(&ts->ev), fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(c);
		close(fd);
		return -1;
	}
	c->ts = ts;
	evtimer_assign(&c->wait, event_get_base(&ts->ev), conn_wait_over, c);
	TAILQ_INSERT_TAIL(&ts->conns, c, entry);
	ts->nconns++;
	bufferevent_setcb(c->bev, conn_read, conn_drained, conn_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, IN_MAX);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return 0;
}

/*
 * When full, the least recently active connection makes room: smtpd's
 * table connects anew when it finds its connection closed, and a new
 * connection is the most recent, so it is read before ACCEPT_BATCH
 * (< CONN_MAX) others could push it out.  Out of descriptors, the
 * least recently active gives its descriptor back likewise; libevent
 * closes it on the next turn of the loop, when the listener, still
 * readable, is back.  With none to give back, accepting pauses.
 */
static void
conn_accept(int fd, short ev, void *arg)
{
	struct tablesrv	*ts = arg;
	int		 c, i;

	(void)ev;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		if ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC)) == -1) {
			if (errno != EMFILE && errno != ENFILE)
				return;
			if (TAILQ_EMPTY(&ts->conns))
				accept_pause(ts);
			else
				conn_free(TAILQ_FIRST(&ts->conns));
			return;
		}
		if (ts->nconns >= CONN_MAX)
			conn_free(TAILQ_FIRST(&ts->conns));
		(void)conn_new(ts, c);
	}
}

/* -g (a name or a number), else the group of the smtpd lookup user. */
static gid_t
sock_group(const char *name)
{
	struct passwd	*pw;
	size_t		 i;

	if (name != NULL)
		return group_id(name);
	for (i = 0; i < sizeof(smtpd_users) / sizeof(smtpd_users[0]); i++)
		if ((pw = getpwnam(smtpd_users[i])) != NULL)
			return pw->pw_gid;
	return (gid_t)-1;
}

/*
 * Whoever may write the directory may put another socket in its place:
 * only root, or the user the filter runs as, may.
 */
static void
sock_dir_check(const char *path, int missing_ok)
{
	char		 dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char		*slash;
	struct stat	 st;

	(void)snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		(void)snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) == -1) {
		if (missing_ok && errno == ENOENT)
			return;
		fatal("%s", dir);
	}
	if (!S_ISDIR(st.st_mode) || (st.st_uid != 0 &&
	    st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)))
		fatalx("%s: the directory of the table socket must be owned "
		    "by root or uid %ld, and writable by its owner only", dir,
		    (long)geteuid());
}

/*
 * Not started as root: the filter's own socket, in the group of -g or
 * of the lookup user when the user is in it, else its own group.
 */
static void
sock_owner_user(const char *path, const char *group, gid_t gid)
{
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) == 0)
		return;
	if (group != NULL)
		fatal("chown %s to group %s", path, group);
	if (chown(path, (uid_t)-1, getegid()) == -1)
		fatal("chown %s", path);
	log_info("%s: mode 0660, group %ld: not in the group of the smtpd "
	    "lookup user", path, (long)getegid());
}

/*
 * Made before privileges go, for the lookup process of smtpd only:
 * mode 0660, owned by root and the group of -g, by default that of the
 * first of the users _smtpd and opensmtpd that exists.
 */
int
tablesrv_listen(const char *path, const char *group)
{
	gid_t	 gid = sock_group(group);
	int	 fd;

	if (geteuid() == 0 && gid == (gid_t)-1)
		fatalx("%s: no user _smtpd or opensmtpd: name the group of "
		    "the smtpd lookup user with -g", path);
	sock_dir_check(path, 1);
	fd = listen_unix(path, SOCK_STREAM, (gid_t)-1);
	sock_dir_check(path, 0);
	/* Not listening yet: nobody connects before the mode is set. */
	if (chmod(path, 0660) == -1)
		fatal("chmod %s", path);
	if (geteuid() == 0) {
		if (chown(path, 0, gid) == -1)
			fatal("chown %s", path);
	} else
		sock_owner_user(path, group, gid);
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
	TAILQ_INIT(&ts->conns);
	evutil_make_socket_nonblocking(fd);
	event_assign(&ts->ev, base, fd, EV_READ | EV_PERSIST, conn_accept,
	    ts);
	evtimer_assign(&ts->resume, base, accept_resume, ts);
	event_add(&ts->ev, NULL);
	return ts;
}
