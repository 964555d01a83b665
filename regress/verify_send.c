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
 * verify_send: for regress/verify.sh, one MX host proved with
 * verify_start() as the mode asks, then, when it passed, a message
 * sent through the very session it handed over, in the manner of the
 * relay to come: MAIL FROM, RCPT TO, DATA, QUIT.
 *
 * usage: verify_send [-c cafile] [-d domain] [-m mode] [-t "U S M HEX"]...
 *            [-r rcpt] host address
 * Prints "result NAME", "reason TEXT", "tls VERSION|none" and, when a
 * message went, "sent CODE" (the reply to the final dot).  Exit 0 when
 * the host passed and the message was taken, 1 otherwise.
 */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtasts.h"

#define STEP		5
#define TLSA_MAX	8

struct send {
	struct event_base	*base;
	struct smtp_conn	*c;
	const char		*rcpt;
	int			 state;
	int			 ok;
};

static const char *const script[] = {
	"MAIL FROM:<verify@client.test>", NULL /* RCPT */, "DATA",
	"Subject: verify_send\r\nX-Test-Id: verify_send\r\n\r\nthrough the "
	"verified session\r\n.", "QUIT"
};
static const int expect[] = { 250, 250, 354, 250, 221 };

static void	on_reply(void *, struct smtp_conn *,
		    const struct smtp_reply *);

static void
next(struct send *s)
{
	char	 rcpt[512];
	const char *cmd = script[s->state];

	if (s->state == 1) {
		(void)snprintf(rcpt, sizeof(rcpt), "RCPT TO:<%s>", s->rcpt);
		cmd = rcpt;
	}
	if ((s->state == 3 && (smtp_conn_write(s->c, cmd, strlen(cmd)) == -1 ||
	    smtp_conn_write(s->c, "\r\n", 2) == -1)) ||
	    (s->state != 3 && smtp_conn_command(s->c, cmd) == -1) ||
	    smtp_conn_reply(s->c, STEP, on_reply, s) == -1) {
		printf("sent -\nerror cannot send\n");
		event_base_loopbreak(s->base);
	}
}

static void
on_reply(void *arg, struct smtp_conn *c, const struct smtp_reply *rep)
{
	struct send	*s = arg;

	if (rep == NULL || rep->code != expect[s->state]) {
		printf("sent -\nerror %s: %s\n", script[s->state] ?
		    script[s->state] : "RCPT", rep == NULL ?
		    smtp_conn_error(c) : rep->text);
		event_base_loopbreak(s->base);
		return;
	}
	if (s->state == 3) {
		printf("sent %d\n", rep->code);
		s->ok = 1;
	}
	if (++s->state == sizeof(expect) / sizeof(expect[0])) {
		event_base_loopbreak(s->base);
		return;
	}
	next(s);
}

static void
on_verified(void *arg, const struct verify_result *res, struct smtp_conn *c)
{
	struct send	*s = arg;

	printf("result %s\nreason %s\ntls %s\n", tlsrpt_result_name(
	    res->result), res->reason, res->tls ? res->version : "none");
	if (c == NULL) {
		event_base_loopbreak(s->base);
		return;
	}
	s->c = c;
	next(s);
}

static int
hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "U S M HEX" as TLSA rdata. */
static int
tlsa_arg(const char *s, struct dns_rec *r)
{
	unsigned int	 u, sel, m;
	int		 n = 0, hi, lo;
	size_t		 len;

	if (sscanf(s, "%u %u %u %n", &u, &sel, &m, &n) != 3 || n == 0 ||
	    u > 255 || sel > 255 || m > 255)
		return -1;
	s += n;
	len = strlen(s);
	if (len % 2 != 0 || (r->data = malloc(3 + len / 2)) == NULL)
		return -1;
	r->data[0] = u;
	r->data[1] = sel;
	r->data[2] = m;
	for (r->len = 3; *s != '\0'; s += 2) {
		if ((hi = hex(s[0])) == -1 || (lo = hex(s[1])) == -1)
			return -1;
		r->data[r->len++] = hi << 4 | lo;
	}
	r->type = DNS_T_TLSA;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: verify_send [-c cafile] [-d domain] "
	    "[-m mode] [-t \"U S M HEX\"]... [-r rcpt] host address\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct dns_rec		 tlsa[TLSA_MAX];
	struct verify_req	 req;
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct verifier		*vr;
	struct send		 s;
	const char		*cafile = NULL;
	char			 err[STS_ERR_MAX];
	int			 ch;

	memset(&req, 0, sizeof(req));
	memset(&s, 0, sizeof(s));
	memset(tlsa, 0, sizeof(tlsa));
	s.rcpt = "someone@verify.test";
	req.mode = VERIFY_STS;
	while ((ch = getopt(argc, argv, "c:d:m:r:t:")) != -1) {
		switch (ch) {
		case 'c':
			cafile = optarg;
			break;
		case 'd':
			req.domain = optarg;
			break;
		case 'm':
			for (req.mode = VERIFY_OPPORTUNISTIC;
			    req.mode <= VERIFY_STS; req.mode++)
				if (strcmp(verify_mode_name(req.mode),
				    optarg) == 0)
					break;
			if (req.mode > VERIFY_STS)
				usage();
			break;
		case 'r':
			s.rcpt = optarg;
			break;
		case 't':
			if (req.ntlsa == TLSA_MAX ||
			    tlsa_arg(optarg, &tlsa[req.ntlsa]) == -1)
				usage();
			req.ntlsa++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &sin->sin_addr) != 1)
		usage();
	req.host = argv[0];
	req.addrs = &ss;
	req.naddrs = 1;
	req.tlsa = tlsa;
	signal(SIGPIPE, SIG_IGN);
	if ((s.base = event_base_new()) == NULL ||
	    (vr = verifier_new(s.base, cafile, "client.verify.test", STEP, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "verify_send: %s\n", err);
		return 2;
	}
	if (verify_start(vr, &req, on_verified, &s) == NULL) {
		fprintf(stderr, "verify_send: cannot start\n");
		return 2;
	}
	event_base_dispatch(s.base);
	smtp_conn_free(s.c);
	verifier_free(vr);
	event_base_free(s.base);
	while (req.ntlsa > 0)
		free(tlsa[--req.ntlsa].data);
	return s.ok ? 0 : 1;
}
