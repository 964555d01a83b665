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
#include <netinet/in.h>

#include <errno.h>
#include <event2/event.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * Daemon mode, for Postfix and Exim: the same privilege separation
 * as the OpenSMTPD filter, with the front serving sockets given as
 *	-l socketmap=unix:/path	-l socketmap=127.0.0.1:8461
 *	-l exim=unix:/path	-l exim=[::1]:8462
 *	-l tlsrpt=unix:/path	(datagrams of Postfix's TLSRPT library)
 * It stays in the foreground and logs to stderr: rc.d(8), systemd or
 * daemontools keep it running and keep its log.
 */

#define LISTEN_MAX	8

/* The socket's directory is made when missing (root: before the drop). */
static void
sock_dir(const char *path)
{
	char	 dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *slash;

	(void)snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", dir);
}

/*
 * A UNIX socket of type (SOCK_STREAM, or SOCK_DGRAM for the datagrams
 * of Postfix's TLSRPT client), made before privileges go.  Mode 0666,
 * as any local process may ask: what they send is checked and bounded;
 * with a group, 0660 from the start (no datagram gets in before the
 * mode is set) and that group's.
 */
int
listen_unix(const char *path, int type, gid_t gid)
{
	struct sockaddr_un	 sun;
	int			 fd;
	mode_t			 old;

	sock_dir(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fatalx("%s: socket path too long", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, type, 0)) == -1)
		fatal("socket");
	if (unlink(path) == -1 && errno != ENOENT)
		fatal("unlink %s", path);
	old = umask(gid == (gid_t)-1 ? 0111 : 0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", path);
	umask(old);
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) == -1)
		fatal("chown %s", path);
	return fd;
}

/*
 * [HOST:]PORT or [[HOST]:]PORT, numbers only: no DNS in the front.  A
 * port is 1 to 65535 in decimal; getaddrinfo(3) alone would take 70000
 * as port 4464.  HOST is defhost when spec has none (NULL: required).
 */
struct addrinfo *
listen_addrinfo(const char *spec, const char *defhost)
{
	struct addrinfo	 hints, *res;
	char		 host[256];
	const char	*port, *h = spec, *end;
	long		 n;
	int		 e;

	if ((port = strrchr(spec, ':')) == NULL) {
		if (defhost == NULL)
			fatalx("%s: expected address:port", spec);
		(void)snprintf(host, sizeof(host), "%s", defhost);
		port = spec;
	} else {
		end = port++;
		if (h[0] == '[' && end > h && end[-1] == ']')
			h++, end--;
		if ((size_t)(end - h) >= sizeof(host))
			fatalx("%s: address too long", spec);
		(void)snprintf(host, sizeof(host), "%.*s", (int)(end - h), h);
	}
	n = port[strspn(port, "0123456789")] == '\0' && *port != '\0' &&
	    strlen(port) <= 5 ? strtol(port, NULL, 10) : 0;
	if (n < 1 || n > 65535)
		fatalx("%s: the port must be a number from 1 to 65535", spec);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		fatalx("%s: %s", spec, gai_strerror(e));
	return res;
}

static int
listen_inet(const char *spec)
{
	struct addrinfo	*res;
	int		 fd, on = 1;

	res = listen_addrinfo(spec, NULL);
	if ((fd = socket(res->ai_family, SOCK_STREAM, 0)) == -1)
		fatal("socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1)
		fatal("bind %s", spec);
	freeaddrinfo(res);
	return fd;
}

/*
 * -l SPEC: a socket to serve.  TLS results (the datagrams of Postfix,
 * Exim's events) are taken only on UNIX sockets of the group of -g:
 * any local user can reach the others, and must not write what the
 * reports say.
 */
struct listen_sock {
	int		 fd;
	enum proto	 proto;
	int		 dgram;		/* Postfix's TLSRPT datagrams */
	int		 results;	/* TLS results taken */
};

static void
listen_spec(const char *spec, gid_t gid, struct listen_sock *ls)
{
	const char	*addr;

	memset(ls, 0, sizeof(*ls));
	if (strncmp(spec, "tlsrpt=", 7) == 0) {
		if (strncmp(spec + 7, "unix:", 5) != 0)
			fatalx("-l %s: expected tlsrpt=unix:PATH", spec);
		if (gid == (gid_t)-1)
			fatalx("-l %s: name with -g the group of the MTA's "
			    "processes, who alone may send TLS results", spec);
		ls->fd = listen_unix(spec + 12, SOCK_DGRAM, gid);
		ls->dgram = ls->results = 1;
		return;
	}
	if (strncmp(spec, "socketmap=", 10) == 0) {
		ls->proto = PROTO_SOCKETMAP;
		addr = spec + 10;
	} else if (strncmp(spec, "exim=", 5) == 0) {
		ls->proto = PROTO_EXIM;
		addr = spec + 5;
	} else
		fatalx("-l %s: expected socketmap=ADDRESS, exim=ADDRESS or "
		    "tlsrpt=unix:PATH", spec);
	if (strncmp(addr, "unix:", 5) == 0) {
		ls->fd = listen_unix(addr + 5, SOCK_STREAM, gid);
		ls->results = gid != (gid_t)-1;
	} else
		ls->fd = listen_inet(addr);
	if (listen(ls->fd, 128) == -1)
		fatal("listen %s", spec);
}

/* Said once the network process is up, so a supervisor can wait for it. */
static void
daemon_ready(void *arg)
{
	(void)arg;
	log_info("ready");
}

int
cmd_daemon(int argc, char *argv[])
{
	struct resolver_conf	 conf;
	struct event_base	*base;
	struct vcache		*vc;
	struct server		*srv;
	const char		*user = PRIVSEP_USER;
	struct listen_sock	 ls[LISTEN_MAX];
	const char		*spec[LISTEN_MAX];
	int			 n = 0, i, ch, netfd, ctl;
	gid_t			 gid = (gid_t)-1;
	pid_t			 pid, netpid;

	resolver_defaults(&conf);
	while ((ch = getopt(argc, argv, "+a:c:g:l:r:s:u:")) != -1) {
		if (resolver_option(ch, optarg, &conf))
			continue;
		switch (ch) {
		case 'g':
			gid = group_id(optarg);
			break;
		case 'l':
			if (n == LISTEN_MAX)
				fatalx("-l: at most %d sockets", LISTEN_MAX);
			spec[n++] = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		default:
			usage_cmd("daemon");
		}
	}
	if (optind != argc || n == 0)
		usage_cmd("daemon");
	for (i = 0; i < n; i++)
		listen_spec(spec[i], gid, &ls[i]);
	signal(SIGPIPE, SIG_IGN);
	ctl = spawner_start(&conf, user, &pid);
	netfd = spawner_first(ctl, &netpid);
	privdrop(user, NULL);
	sandbox_front(0);
	if ((base = event_base_new()) == NULL ||
	    (vc = vcache_new(base, netfd, 50000, &vcache_timing_default)) == NULL ||
	    (srv = server_new(base, vc)) == NULL ||
	    supervise(base, ctl, netpid, vc) == NULL)
		fatalx("cannot set up the event loop");
	for (i = 0; i < n; i++)
		if (ls[i].dgram ? rpt_dgram_serve(base, ls[i].fd, vc) == -1 :
		    server_add(srv, ls[i].fd, ls[i].proto, ls[i].results) == -1)
			fatalx("cannot serve %s", spec[i]);
	vcache_on_ready(vc, daemon_ready, NULL);
	netproc_watch(base);
	event_base_dispatch(base);
	return 0;
}
