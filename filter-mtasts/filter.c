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


#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <netdb.h>
#include <event.h>
#include <opensmtpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * OpenSMTPD filter mode.  smtpd runs rcpt-to filters before it matches
 * rules and asks tables, so the RCPT is held here until the verdict
 * for its domain is in memory: the proc table then answers at once.
 * A defer verdict, or none in time, is a 451 4.7.5 for that RCPT; the
 * client retries and the mail is never lost.  smtp-out reports log
 * the TLS outcome of each delivery.
 */

#ifndef TABLESOCK
#define TABLESOCK	"/var/run/filter-mtasts/table.sock"
#endif

#define HOLD_DEFAULT	25	/* seconds; smtpd gives a session 300 */
#define SKIP_MAX	64

struct session {
	struct osmtpd_ctx	*ctx;
	struct vwaiter		*w;
	struct event		 hold;
	char			 domain[DNS_NAME_MAX + 1];
	char			 dest[NI_MAXHOST + NI_MAXSERV + 1]; /* smtp-out */
	int			 tls;
};

static struct {
	struct resolver_conf	 conf;
	const char		*user, *sock, *group;
	char			 skip[SKIP_MAX][DNS_NAME_MAX + 1];
	size_t			 nskip;
	int			 hold;
	int			 netfd, sockfd, ctl;
	pid_t			 netpid;
	struct vcache		*vc;
	struct tablesrv		*ts;
	const char		*relay;		/* -R */
	int			 relayfd;
} f;

static void
reject(struct session *s, const char *reason)
{
	char	 text[SMTP_REPLY_TEXT_MAX + 1];

	reply_smtp(s->domain, reason, text, sizeof(text));
	osmtpd_filter_reject_enh(s->ctx, 451, 4, 7, 5, "%s", text);
}

static void
answer(struct session *s, const struct verdict *v)
{
	if (v->kind == VERDICT_DEFER) {
		log_info("rcpt %s: defer: %s", s->domain, v->reason);
		reject(s, v->reason);
		return;
	}
	log_info("rcpt %s: %s: %s", s->domain, verdict_name(v->kind),
	    v->reason);
	osmtpd_filter_proceed(s->ctx);
}

static void
on_verdict(void *arg, const struct verdict *v)
{
	struct session	*s = arg;

	s->w = NULL;
	evtimer_del(&s->hold);
	answer(s, v);
}

static void
on_hold_expired(int fd, short ev, void *arg)
{
	struct session	*s = arg;

	(void)fd;
	(void)ev;
	vcache_cancel(s->w);
	s->w = NULL;
	log_info("rcpt %s: no verdict within %d s: 451", s->domain, f.hold);
	reject(s, "MTA-STS/DANE lookup not finished; try again later");
}

static int
skipped(const char *domain)
{
	size_t	 i;

	for (i = 0; i < f.nskip; i++)
		if (strcmp(f.skip[i], domain) == 0)
			return 1;
	return 0;
}

/*
 * No domain (a bare local part), an address literal or a local
 * domain named with -x: nothing to look up.
 */
static void
filter_rcpt(struct osmtpd_ctx *ctx, const char *rcpt)
{
	struct session		*s = ctx->local_session;
	const struct verdict	*v;
	const char		*at;
	struct timeval		 tv = { f.hold, 0 };

	if ((at = strrchr(rcpt, '@')) == NULL ||
	    domain_normalize(at + 1, s->domain, sizeof(s->domain)) != 0 ||
	    skipped(s->domain)) {
		osmtpd_filter_proceed(ctx);
		return;
	}
	switch (vcache_lookup(f.vc, s->domain, on_verdict, s, &v, &s->w)) {
	case VC_HIT:
		answer(s, v);
		break;
	case VC_WAIT:
		evtimer_add(&s->hold, &tv);
		break;
	default:
		osmtpd_filter_reject_enh(ctx, 451, 4, 3, 0, "%s: "
		    "filter-mtasts out of memory", s->domain);
		break;
	}
}

static void *
session_new(struct osmtpd_ctx *ctx)
{
	struct session	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	s->ctx = ctx;
	evtimer_set(&s->hold, on_hold_expired, s);
	return s;
}

static void
session_free(struct osmtpd_ctx *ctx, void *arg)
{
	struct session	*s = arg;

	(void)ctx;
	vcache_cancel(s->w);
	evtimer_del(&s->hold);
	free(s);
}

/*
 * smtp-out reports, when the filter is attached to a relay action:
 * the TLS outcome per destination address, for the logs (smtpd says
 * nothing of the MX name or the recipient domain in these reports).
 */
static void
out_connect(struct osmtpd_ctx *ctx, const char *rdns, enum osmtpd_status st,
    struct sockaddr_storage *src, struct sockaddr_storage *dst)
{
	struct session	*s = ctx->local_session;
	char		 host[NI_MAXHOST], port[NI_MAXSERV];

	(void)rdns;
	(void)st;
	(void)src;
	if (getnameinfo((struct sockaddr *)dst, dst->ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), host,
	    sizeof(host), port, sizeof(port), NI_NUMERICHOST |
	    NI_NUMERICSERV) == 0)
		(void)snprintf(s->dest, sizeof(s->dest), "%s:%s", host, port);
}

static void
out_tls(struct osmtpd_ctx *ctx, const char *ciphers)
{
	struct session	*s = ctx->local_session;

	s->tls = 1;
	log_info("smtp-out %016llx to %s: TLS %s",
	    (unsigned long long)ctx->reqid, s->dest[0] ? s->dest : "?",
	    ciphers);
}

static void
out_disconnect(struct osmtpd_ctx *ctx)
{
	struct session	*s = ctx->local_session;

	if (!s->tls)
		log_info("smtp-out %016llx to %s: closed without TLS",
		    (unsigned long long)ctx->reqid, s->dest[0] ? s->dest :
		    "?");
}

/*
 * libopensmtpd makes its event base inside osmtpd_run(); everything
 * that needs the base is set up when smtpd says the config is done.
 */
static void
filter_conf(const char *key, const char *value)
{
	struct event		 e;
	struct event_base	*base;

	(void)value;
	if (key != NULL)
		return;
	event_set(&e, -1, 0, NULL, NULL);
	base = event_get_base(&e);
	if ((f.vc = vcache_new(base, f.netfd, 50000, &vcache_timing_default)) == NULL)
		fatalx("cannot set up the verdict cache");
	if ((f.ts = tablesrv_start(base, f.sockfd, f.vc)) == NULL)
		fatalx("cannot serve %s", f.sock);
	if (supervise(base, f.ctl, f.netpid, f.vc) == NULL)
		fatalx("cannot supervise the network process");
	if (f.relay != NULL && relay_start(base, f.relayfd, f.vc,
	    f.hold) == NULL)
		fatalx("cannot start the relay on %s", f.relay);
	netproc_watch(base);
}

static void
filter_options(int argc, char *argv[])
{
	int	 ch;

	resolver_defaults(&f.conf);
	f.user = PRIVSEP_USER;
	f.sock = TABLESOCK;
	f.hold = HOLD_DEFAULT;
	while ((ch = getopt(argc, argv, "+a:c:g:r:R:s:S:t:u:x:")) != -1) {
		if (resolver_option(ch, optarg, &f.conf))
			continue;
		switch (ch) {
		case 'g':
			f.group = optarg;
			break;
		case 'R':
			f.relay = optarg;
			break;
		case 'S':
			f.sock = optarg;
			break;
		case 't':
			if ((f.hold = atoi(optarg)) <= 0 || f.hold > 240)
				fatalx("-t %s: 1 to 240 seconds", optarg);
			break;
		case 'u':
			f.user = optarg;
			break;
		case 'x':
			/* Compared with normalised recipient domains. */
			if (f.nskip == SKIP_MAX)
				fatalx("-x: at most %d domains", SKIP_MAX);
			if (domain_normalize(optarg, f.skip[f.nskip],
			    sizeof(f.skip[0])) != 0)
				fatalx("-x %s: not a domain name", optarg);
			f.nskip++;
			break;
		default:
			usage_cmd("filter");
		}
	}
	if (optind != argc)
		usage_cmd("filter");
}

/*
 * libopensmtpd leaves its loop at the end of smtpd's stream, and also,
 * silently, on a line longer than its buffer: only the first is an
 * end of the stream.  It closes its descriptors on the way out, so
 * the stream is looked at through a copy.
 */
static int
stream_ended(int fd)
{
	char	 c;

	return read(fd, &c, 1) == 0;
}

int
cmd_filter(int argc, char *argv[])
{
	pid_t	 pid;
	int	 in;

	filter_options(argc, argv);
	/* A client that closes before its answer must not end the filter. */
	signal(SIGPIPE, SIG_IGN);
	f.sockfd = tablesrv_listen(f.sock, f.group);
	/* the network process does the relay's connections, and proves them */
	if (f.relay != NULL) {
		f.relayfd = relay_listen(f.relay);
		relay_net_wanted = 1;
	}
	f.ctl = spawner_start(&f.conf, f.user, &pid);
	f.netfd = spawner_first(f.ctl, &f.netpid);
	privdrop(f.user, NULL);
	sandbox_front(f.relay != NULL);
	osmtpd_register_conf(filter_conf);
	osmtpd_register_filter_rcptto(filter_rcpt);
	osmtpd_register_report_connect(0, out_connect);
	osmtpd_register_report_tls(0, out_tls);
	osmtpd_register_report_disconnect(0, out_disconnect);
	osmtpd_local_session(session_new, session_free);
	if ((in = dup(STDIN_FILENO)) == -1)
		fatal("dup");
	osmtpd_run();
	if (!stream_ended(in))
		fatalx("smtpd sent a line longer than libopensmtpd reads "
		    "(about 64 kilobytes); the filter cannot go on");
	return 0;
}
