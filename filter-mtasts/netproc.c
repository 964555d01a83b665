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
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The network process: the only one that talks DNS and HTTPS.  It
 * loads what it needs from the file system (trust anchor, CA bundle,
 * resolv.conf, the cache directory), then, when started as root,
 * chroots into the state directory and becomes an unprivileged user,
 * so a peer that compromised it can write nowhere but the cache and
 * reach the MTA only through verdict messages the front checks.
 */

struct netproc {
	struct resolver	*r;
	struct ipc	*ipc;
	struct rptstore	*rpt;		/* NULL: no TLS reporting */
};

struct netreq {
	struct ipc	*ipc;
	uint32_t	 id;
};

/*
 * The front asks at most a few hundred at once (vcache.c); past this
 * the network process answers defer at once rather than grow.
 */
#define PASSES_MAX	1024

static void
send_verdict(struct ipc *ipc, uint32_t id, const struct verdict *cv)
{
	struct verdict	 v = *cv;
	struct evbuffer	*b;
	char		 reason[VERDICT_REASON_MAX];
	size_t		 i;

	/* One printable line: the front refuses anything else. */
	(void)snprintf(reason, sizeof(reason), "%s", cv->reason ?
	    cv->reason : "");
	for (i = 0; reason[i] != '\0'; i++)
		if ((unsigned char)reason[i] < 0x20 ||
		    (unsigned char)reason[i] > 0x7e)
			reason[i] = '?';
	v.reason = reason;
	if ((b = evbuffer_new()) == NULL)
		return;
	if (vwire_pack(&v, b) == 0)
		(void)ipc_send(ipc, IPC_VERDICT, id, evbuffer_pullup(b, -1),
		    evbuffer_get_length(b));
	evbuffer_free(b);
}

/*
 * A policy the cache could not keep (full disk, a directory where the
 * entry belongs) is lost at the next restart: say so in the log, at
 * most once a minute, with how many were not said.
 */
static void
log_cache_trouble(const struct verdict *v)
{
	static time_t	 last;
	static unsigned	 unsaid;
	time_t		 now;
	size_t		 i;

	for (i = 0; i < v->nnotes; i++) {
		if (strncmp(v->notes[i], "cache: ", 7) != 0)
			continue;
		now = time(NULL);
		if (now - last < 60) {
			unsaid++;
			continue;
		}
		log_warnx("%s: %s%s", v->domain, v->notes[i], unsaid ?
		    " (and more since the last such message)" : "");
		last = now;
		unsaid = 0;
	}
}

static void
net_verdict(void *arg, const struct verdict *v)
{
	struct netreq	*req = arg;

	log_cache_trouble(v);
	send_verdict(req->ipc, req->id, v);
	free(req);
}

/*
 * TLS reporting: the one writer of the results (rptstore.c).  What has
 * no room is said in the log, at most once a minute.
 */
static void
rpt_record(struct netproc *np, const struct rpt_result *r, size_t n)
{
	static time_t		 last;
	static unsigned long	 unsaid;
	time_t			 now = time(NULL);
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (rptstore_add(np->rpt, now, &r[i]) == RPT_ADD_OK)
			continue;
		if (now - last < 60) {
			unsaid++;
			continue;
		}
		log_warnx("TLS reporting: a result for %s was not recorded "
		    "whole (no room, or not valid)%s", r[i].domain, unsaid ?
		    " (and more since the last such message)" : "");
		last = now;
		unsaid = 0;
	}
}

/* The failures a pass found before any connection (verdict.c). */
static void
net_pass_rpt(void *arg, const struct rpt_result *r, size_t n)
{
	rpt_record(arg, r, n);
}

static void
net_result(struct netproc *np, const uint8_t *p, size_t len)
{
	struct rpt_wire	 rw;

	if (np->rpt != NULL && rptwire_unpack(p, len, &rw) == 0)
		rpt_record(np, &rw.r, 1);
}

static void
net_msg(void *arg, uint32_t type, uint32_t id, const uint8_t *p, size_t len)
{
	struct netproc	*np = arg;
	struct netreq	*req;
	struct verdict	 v;

	if (type >= IPC_RELAY_MIN && type <= IPC_RELAY_MAX) {
		relay_net_msg(np->ipc, type, id, p, len);
		return;
	}
	if (type == IPC_RESULT) {
		net_result(np, p, len);
		return;
	}
	if (type != IPC_QUERY)
		return;
	memset(&v, 0, sizeof(v));
	if (resolver_passes(np->r) >= PASSES_MAX) {
		vwire_defer(&v, (const char *)p, "too many lookups at once");
		send_verdict(np->ipc, id, &v);
		vwire_clear(&v);
		return;
	}
	if ((req = calloc(1, sizeof(*req))) == NULL)
		return;
	req->ipc = np->ipc;
	req->id = id;
	if (resolver_query(np->r, (const char *)p, net_verdict, req) == NULL) {
		vwire_defer(&v, (const char *)p, "cannot resolve");
		send_verdict(np->ipc, id, &v);
		vwire_clear(&v);
		free(req);
	}
}

static void
net_eof(void *arg)
{
	(void)arg;
	_exit(0);	/* the front is gone: so is our purpose */
}

static struct passwd *
privsep_user(const char *user)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s (create it, or name another with -u)",
		    user);
	return pw;
}

/*
 * The network process writes the cache as the unprivileged user, so
 * the state directory is made and given to that user first.
 */
static void
statedir_prepare(const char *user, const char *dir)
{
	struct passwd	*pw;

	if (geteuid() != 0 || dir == NULL)
		return;
	pw = privsep_user(user);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		fatal("mkdir %s", dir);
	if (chown(dir, pw->pw_uid, pw->pw_gid) == -1)
		fatal("chown %s", dir);
}

/* chroot(2) and the user change need root; without it, say so. */
void
privdrop(const char *user, const char *dir)
{
	struct passwd	*pw;

	if (geteuid() != 0) {
		log_info("not started as root: %s runs as uid %ld, "
		    "not chrooted", dir ? "network process" : "process",
		    (long)getuid());
		return;
	}
	pw = privsep_user(user);
	if (dir != NULL && (chroot(dir) == -1 || chdir("/") == -1))
		fatal("chroot %s", dir);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges to %s", user);
}

__dead void
netproc_run(int fd, const struct resolver_conf *conf, const char *user)
{
	struct event_base	*base;
	struct netproc		 np;
	char			 err[STS_ERR_MAX * 2];

	statedir_prepare(user, conf->statedir);
	if ((base = event_base_new()) == NULL)
		fatalx("cannot create an event loop");
	if ((np.r = resolver_new(base, conf, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (relay_net_wanted && relay_net_init(base, np.r, conf->cafile, err,
	    sizeof(err)) == -1)
		fatalx("relay: %s", err);
	privdrop(user, conf->statedir);
	np.rpt = NULL;
	if (resolver_cache(np.r) != NULL &&
	    (np.rpt = rptstore_open(cache_dirfd(resolver_cache(np.r)),
	    time(NULL), err, sizeof(err))) == NULL)
		log_warnx("TLS reporting: %s; no results are recorded", err);
	if (np.rpt != NULL)
		resolver_on_pass(np.r, net_pass_rpt, &np);
	sandbox_network();
	if ((np.ipc = ipc_new(base, fd, net_msg, net_eof, &np)) == NULL ||
	    ipc_send(np.ipc, IPC_READY, 0, NULL, 0) == -1)
		fatalx("cannot set up the link to the front process");
	event_base_dispatch(base);
	_exit(0);
}

/*
 * The network process holds nothing of the front's: standard input
 * and output (the smtpd filter stream, in filter mode) become
 * /dev/null, the link becomes descriptor 3 and everything above is
 * closed, listeners included.  Standard error stays, for the log.
 */
void
netproc_descriptors(int link)
{
	int	 fd, high;

	if ((high = fcntl(link, F_DUPFD, 10)) == -1 ||
	    (fd = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(high, 3) == -1)
		fatal("network process: descriptors");
	closefrom(4);
}

static void
netproc_reap(int sig, short ev, void *arg)
{
	pid_t	 pid;
	int	 status;

	(void)sig;
	(void)ev;
	(void)arg;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		log_exit("spawner", pid, status);
}

/* How a process ended, unless it ended well. */
void
log_exit(const char *what, pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		log_warnx("%s %ld killed by signal %d", what, (long)pid,
		    WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warnx("%s %ld exited with status %d", what, (long)pid,
		    WEXITSTATUS(status));
}

/* The front reaps the spawner if it dies, and says how. */
void
netproc_watch(struct event_base *base)
{
	static struct event	 ev;

	event_set(&ev, SIGCHLD, EV_SIGNAL | EV_PERSIST, netproc_reap, NULL);
	event_base_set(base, &ev);
	event_add(&ev, NULL);
}
