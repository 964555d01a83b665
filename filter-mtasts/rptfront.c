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

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * TLS reporting (RFC 8460) in the front process: delivery outcomes
 * come in from the MTAs and go to the network process, the one writer
 * of the results (rptstore.c), as IPC_RESULT messages:
 *  - Postfix 3.10 and later: the datagrams of its TLSRPT client
 *    library (libtlsrpt, smtp_tlsrpt_socket_name), on the socket
 *    -l tlsrpt=unix:PATH;
 *  - Exim: "tlsrpt ..." lines from its transports' event_action on
 *    the Exim socket (see rpt_exim_event());
 *  - OpenSMTPD: the verifying relay calls rpt_submit().
 * And for Postfix 3.10 and later, the socketmap map name "tlsrpt",
 * whose answers carry the policy attributes its TLSRPT support reads.
 */

#define LOG_EVERY	60	/* s between warnings of one kind */
#define DGRAM_BURST	64	/* datagrams read per wakeup */

/*
 * The API for delivery outcomes: one call per SMTP session (or per
 * attempt that never got to TLS, when the policy required it) to an
 * MX host of a domain whose verdict says it publishes a TLSRPT record
 * (verdict tlsrpt is not VERDICT_RPT_NO), from the front process.  r:
 *	domain		the recipient domain: its rua gets the report
 *	policy		what the verdict applied, see rpt_policy_of():
 *			RPT_P_STS (strings: the policy lines, mx: its
 *			patterns), RPT_P_TLSA (policy_domain: the MX host,
 *			strings: its TLSA records), or RPT_P_NONE
 *	failed		0: TLS negotiated, and verified as the policy
 *			requires; 1: not
 *	details		for a failure, what went wrong (RFC 8460 4.3
 *			result type), with the sending address, the MX
 *			host's name, EHLO name and address, and as
 *			reason a short error text (e.g. an X509_V_ERR
 *			name); strings NULL or "" when not known
 * It returns at once, -1 if the result is not valid or cannot be sent
 * (the network process is down: it is lost, and said in the log).  A
 * session that delivers a report itself (a message with "TLS-Required:
 * No", RFC 8460 5.3) must not be submitted.
 */
int
rpt_submit(struct vcache *vc, const struct rpt_result *r)
{
	static time_t	 logged;
	struct evbuffer	*b;
	int		 rc = -1;

	if ((b = evbuffer_new()) == NULL)
		return -1;
	if (rptwire_pack(r, b) == 0)
		rc = vcache_send(vc, IPC_RESULT, evbuffer_pullup(b, -1),
		    evbuffer_get_length(b));
	evbuffer_free(b);
	if (rc == -1 && time(NULL) - logged >= LOG_EVERY) {
		logged = time(NULL);
		log_warnx("TLS reporting: a result for %s could not be "
		    "recorded", r->domain);
	}
	return rc;
}

/*
 * The policy a verdict applied, for a session to host, as results give
 * it: the strings point into the verdict, mx and strs (each room for
 * VERDICT_RPT_MAX) are filled.  -1 for a verdict that sends nothing.
 */
int
rpt_policy_of(const struct verdict *v, const char *host,
    struct rpt_result *r, const char **strs, const char **mx)
{
	size_t	 i, hl;

	memset(r, 0, sizeof(*r));
	r->domain = v->domain;
	r->strings = strs;
	r->mx = mx;
	switch (v->kind) {
	case VERDICT_DANE:
		r->policy = RPT_P_TLSA;
		r->policy_domain = host;
		hl = host != NULL ? strlen(host) : 0;
		for (i = 0; i < v->nrpt && hl > 0; i++)
			if (strncmp(v->rpt[i], host, hl) == 0 &&
			    v->rpt[i][hl] == ' ')
				strs[r->nstrings++] = v->rpt[i] + hl + 1;
		if (r->nstrings == 0)
			r->policy = RPT_P_NONE;	/* a host without TLSA */
		return 0;
	case VERDICT_STS_ENFORCE:
	case VERDICT_STS_TESTING:
		r->policy = RPT_P_STS;
		r->policy_domain = v->domain;
		for (i = 0; i < v->nrpt && i < RPT_STRS_MAX; i++) {
			strs[r->nstrings++] = v->rpt[i];
			if (strncmp(v->rpt[i], "mx: ", 4) == 0)
				mx[r->nmx++] = v->rpt[i] + 4;
		}
		return 0;
	case VERDICT_NONE:
		r->policy = RPT_P_NONE;
		return 0;
	default:
		return -1;
	}
}

/* ------------------------------------------------------------ Postfix */

struct dgram_srv {
	struct event		*ev;
	struct vcache		*vc;
	struct rpt_dgram	*dg;
	char			*buf;
	time_t			 logged;
	unsigned long		 bad, unsaid;
};

static void
dgram_bad(struct dgram_srv *ds, const char *why)
{
	time_t	 now = time(NULL);

	ds->bad++;
	if (now - ds->logged < LOG_EVERY) {
		ds->unsaid++;
		return;
	}
	log_warnx("TLS reporting: datagram refused: %s%s", why, ds->unsaid ?
	    " (and more since the last such message)" : "");
	ds->logged = now;
	ds->unsaid = 0;
}

/* A burst at most, then back to the loop: the MTA's sockets go first. */
static void
on_dgram(int fd, short ev, void *arg)
{
	struct dgram_srv	*ds = arg;
	char			 err[128];
	ssize_t			 n;
	size_t			 i;
	int			 k;

	(void)ev;
	for (k = 0; k < DGRAM_BURST; k++) {
		n = recv(fd, ds->buf, RPT_DGRAM_MAX + 1, MSG_DONTWAIT |
		    MSG_TRUNC);
		if (n == -1)
			return;
		if (n > RPT_DGRAM_MAX) {
			dgram_bad(ds, "larger than 64 kB");
			continue;
		}
		if (rpt_dgram_parse(ds->buf, (size_t)n, ds->dg, err,
		    sizeof(err)) == -1) {
			dgram_bad(ds, err);
			continue;
		}
		for (i = 0; i < ds->dg->nres; i++)
			(void)rpt_submit(ds->vc, &ds->dg->res[i]);
	}
}

int
rpt_dgram_serve(struct event_base *base, int fd, struct vcache *vc)
{
	struct dgram_srv	*ds;

	if ((ds = calloc(1, sizeof(*ds))) == NULL ||
	    (ds->dg = malloc(sizeof(*ds->dg))) == NULL ||
	    (ds->buf = malloc(RPT_DGRAM_MAX + 1)) == NULL)
		return -1;
	ds->vc = vc;
	evutil_make_socket_nonblocking(fd);
	if ((ds->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_dgram,
	    ds)) == NULL)
		return -1;
	return event_add(ds->ev, NULL);
}

/* Whether a socketmap request (buf at its "LEN:") names the map "tlsrpt". */
int
rpt_map_requested(const char *buf, size_t len, const char *key)
{
	const char	*colon;
	size_t		 nl = strlen(RPT_MAP_NAME);

	if ((colon = memchr(buf, ':', len)) == NULL || key < colon + 1 ||
	    (size_t)(key - colon - 2) != nl)
		return 0;
	return memcmp(colon + 1, RPT_MAP_NAME, nl) == 0;
}

/*
 * The Postfix 3.10+ answer for the map "tlsrpt" (TLSRPT_README): for
 * MTA-STS enforce, the usual answer and the policy attributes its
 * TLSRPT support reports the sessions under,
 *	policy_type=sts policy_domain=D mx_host_pattern=P...
 *	{ policy_string = LINE }...
 * Postfix records DANE itself; for every other verdict (and when the
 * attributes would not fit a reply) the answer of the map "postfix".
 * policy_failure is never sent: filter-mtasts asks no MTA to fail a
 * policy; the failures it finds itself it records itself (a TEMP
 * answer keeps the mail queued meanwhile).  Postfix 3.7 refuses these
 * attributes ("invalid attribute name"): the map is for 3.10 and later.
 */
void
reply_postfix_tlsrpt(const struct verdict *v, char *buf, size_t bufsz)
{
	const char	*strs[VERDICT_RPT_MAX], *mx[VERDICT_RPT_MAX];
	struct rpt_result r;
	size_t		 off, i;
	int		 n;

	reply_postfix(v, buf, bufsz);
	if (v->kind != VERDICT_STS_ENFORCE || v->nrpt == 0 ||
	    strncmp(buf, "OK ", 3) != 0 ||
	    rpt_policy_of(v, NULL, &r, strs, mx) == -1)
		return;
	off = strlen(buf);
	n = snprintf(buf + off, bufsz - off, " policy_type=sts "
	    "policy_domain=%s", v->domain);
	for (i = 0; n >= 0 && (size_t)n < bufsz - off && i < r.nmx; i++) {
		off += n;
		n = snprintf(buf + off, bufsz - off, " mx_host_pattern=%s",
		    r.mx[i]);
	}
	for (i = 0; n >= 0 && (size_t)n < bufsz - off && i < r.nstrings;
	    i++) {
		off += n;
		n = snprintf(buf + off, bufsz - off, " { policy_string = %s }",
		    r.strings[i]);
	}
	if (n < 0 || (size_t)n >= bufsz - off)
		reply_postfix(v, buf, bufsz);	/* too long: without */
}

/* --------------------------------------------------------------- Exim */

#define EXIM_FIELDS	9	/* before the free text */

/* The result type an Exim error text stands for, for a failed policy. */
static enum rpt_result_type
exim_tls_type(const char *text)
{
	if (strstr(text, "did not offer TLS") != NULL)
		return RPT_R_STARTTLS_NOT_SUPPORTED;
	if (strstr(text, "expired") != NULL)
		return RPT_R_CERT_EXPIRED;
	return RPT_R_VALIDATION_FAILURE;
}

static const char *
dash(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

/*
 * What one event says, for the policy in r: 1 with r->failed and the
 * detail set, 0 when it says nothing (another event of the same
 * session will, or the session was not about TLS).
 */
static int
exim_outcome(const char **f, const char *text, struct rpt_result *r,
    enum verdict_kind kind, struct rpt_detail *d)
{
	int	 tls = strcmp(f[5], "tls") == 0;
	int	 verified = strcmp(f[6], "1") == 0 || strcmp(f[7], "dane") == 0;
	int	 enforced = kind == VERDICT_DANE || kind == VERDICT_STS_ENFORCE;
	long	 err = strtol(f[8], NULL, 10);
	int	 t;

	if (strcmp(f[0], "tcp:close") == 0) {
		if (tls && (verified || r->policy == RPT_P_NONE))
			return r->failed = 0, 1;
		if (enforced)
			return 0;	/* its msg:host:defer or dane:fail */
		d->type = tls ? RPT_R_VALIDATION_FAILURE :
		    RPT_R_STARTTLS_NOT_SUPPORTED;
		d->reason = tls ? "certificate not verified" :
		    "no TLS session";
		return r->failed = 1, 1;
	}
	if (strcmp(f[0], "msg:host:defer") == 0) {
		/* Exim's ERRNO_TLSFAILURE, ERRNO_TLSREQUIRED; DANE: dane:fail */
		if (r->policy != RPT_P_STS || kind != VERDICT_STS_ENFORCE ||
		    (err != -37 && err != -38))
			return 0;
		d->type = exim_tls_type(text);
		d->reason = text;
		return r->failed = 1, 1;
	}
	if (strcmp(f[0], "dane:fail") == 0) {
		t = rpt_result_from_name(text);
		d->type = t == -1 ? RPT_R_VALIDATION_FAILURE :
		    (enum rpt_result_type)t;
		d->reason = text;
		return r->failed = 1, 1;
	}
	return 0;
}

/*
 * A line from Exim's event_action (filter-mtasts-exim(7), TLS REPORTING):
 *	tlsrpt EVENT DOMAIN HOST ADDRESS SENDING-ADDRESS TLS VERIFIED DANE
 *	    ERRNO [TEXT]
 * TLS is "tls" or "-", VERIFIED "1" or "0", DANE "dane" or "-", empty
 * values "-".  The events tcp:close (every session: its outcome when
 * the policy did not stop it), msg:host:defer (a session the policy
 * stopped: Exim's TLS errors -37 and -38) and dane:fail (DANE, its
 * text a result type) become results under the policy of the
 * domain's verdict, which the front has, for it routed the message.
 * 0 if line is not an event; else 1 and the one-line reply (Exim
 * ignores it).  Only a socket that taken is 1 for, one the daemon made
 * for the group of -g alone, records it: anyone may reach the others,
 * and must not write what the reports say.
 */
int
rpt_exim_event(struct vcache *vc, const char *line, size_t len, int taken,
    char *reply, size_t replysz)
{
	static time_t	 logged;
	const char		*f[EXIM_FIELDS], *strs[VERDICT_RPT_MAX];
	const char		*mx[VERDICT_RPT_MAX], *text = "";
	const struct verdict	*v;
	struct rpt_result	 r;
	struct rpt_detail	 d;
	char			 buf[EXIM_EVENT_MAX + 1], *p, *sp;
	char			 dom[DNS_NAME_MAX + 1], host[DNS_NAME_MAX + 1];
	size_t			 i;

	if (len < 7 || memcmp(line, "tlsrpt ", 7) != 0)
		return 0;
	if (!taken) {
		(void)snprintf(reply, replysz, "ERR TLS results are taken on "
		    "an exim=unix: socket of a daemon with -g only");
		if (time(NULL) - logged >= LOG_EVERY) {
			logged = time(NULL);
			log_warnx("TLS reporting: an Exim event on a socket "
			    "anyone may use, not recorded: use -l exim=unix:"
			    "PATH and -g GROUP (logged once a minute)");
		}
		return 1;
	}
	(void)snprintf(reply, replysz, "ERR malformed event");
	if (len > EXIM_EVENT_MAX || memchr(line, '\0', len) != NULL)
		return 1;
	memcpy(buf, line + 7, len - 7);
	buf[len - 7] = '\0';
	for (i = 0, p = buf; i < EXIM_FIELDS; i++) {
		if ((sp = strchr(p, ' ')) == NULL && i < EXIM_FIELDS - 1)
			return 1;
		if (sp != NULL)
			*sp = '\0';
		f[i] = p;
		p = sp != NULL ? sp + 1 : p + strlen(p);
	}
	text = p;
	if (domain_normalize(f[1], dom, sizeof(dom)) != 0 ||
	    (strcmp(f[2], "-") != 0 &&
	    domain_normalize(f[2], host, sizeof(host)) != 0) ||
	    !rpt_text_valid(text) || !rpt_text_valid(f[3]) ||
	    !rpt_text_valid(f[4]))
		return 1;
	(void)snprintf(reply, replysz, "OK");
	if ((v = vcache_peek(vc, dom)) == NULL || v->tlsrpt == VERDICT_RPT_NO ||
	    rpt_policy_of(v, strcmp(f[2], "-") != 0 ? host : NULL, &r, strs,
	    mx) == -1)
		return 1;
	if (strcmp(f[0], "dane:fail") == 0 && r.policy != RPT_P_TLSA &&
	    strcmp(f[2], "-") != 0) {
		r.policy = RPT_P_TLSA;	/* Exim's own DANE, no verdict's */
		r.policy_domain = host;
		r.nstrings = r.nmx = 0;
	}
	memset(&d, 0, sizeof(d));
	if (!exim_outcome(f, text, &r, v->kind, &d))
		return 1;
	d.sending_ip = dash(f[4]);
	d.mx_host = strcmp(f[2], "-") != 0 ? host : NULL;
	d.receiving_ip = dash(f[3]);
	if (r.failed) {
		r.details = &d;
		r.ndetails = 1;
	}
	if (rpt_submit(vc, &r) == -1)
		(void)snprintf(reply, replysz, "ERR not recorded");
	return 1;
}
