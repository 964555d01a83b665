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
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The verifying relay, smtpd's side: an SMTP server on a loopback
 * address that smtpd relays the mail of policy domains to (action
 * "relay host smtp+notls://127.0.0.1:PORT").  It runs in the front,
 * which holds the verdicts and no network access: each transaction is
 * carried out by the network process (relay_net.c), which finds and
 * proves the MX host and talks to it; every reply smtpd reads is the
 * server's own, made one printable line here (relay_reply_format()),
 * or the relay's 4xx.
 *
 * One recipient domain per transaction: the first RCPT of a policy
 * domain fixes it, RCPTs for other domains get 452 4.5.3 and smtpd
 * sends them again later, in a transaction of their own.  The message
 * is streamed: at most RELAY_WINDOW chunks of RELAY_CHUNK bytes are on
 * their way to the network process, and smtpd's input is read no
 * further than IN_MAX bytes ahead.
 */

#define SESS_MAX	128		/* smtpd connections at once */
#define IN_MAX		(64 * 1024)	/* input read ahead */
#define IDLE_LIMIT	300		/* s: smtpd's own session timeout */
#define OPEN_GUARD	270		/* s: relay_net.c has 240 */
#define STEP_GUARD	270		/* s: relay_net.c has 120 and 240 */
#define RCPTS_LOG	512
#define GREETING	"filter-mtasts"

enum sess_state {
	ST_CMD,		/* reading a command */
	ST_VERDICT,	/* RCPT: waiting for the domain's verdict */
	ST_OPEN,	/* RCPT: the network process finds a host */
	ST_RCPT,	/* RCPT: the server's answer */
	ST_DATA_CMD,	/* DATA: the server's answer */
	ST_DATA,	/* the message, streamed */
	ST_EOM,		/* its end: the server's answer */
	ST_DRAIN,	/* the rest of a message that cannot go */
	ST_QUIT
};

struct relay {
	struct event_base	*base;
	struct vcache		*vc;
	int			 fd;
	int			 hold;
	struct event		 ev;
	TAILQ_HEAD(, rsess)	 sessions;	/* least recently read first */
	size_t			 nsess;
	time_t			 full_logged;
	uint32_t		 nextid;
};

struct rsess {
	TAILQ_ENTRY(rsess)	 entry;
	struct relay		*rl;
	struct bufferevent	*bev;
	enum sess_state		 st;
	struct event		 timer;
	struct vwaiter		*w;
	char			 peer[64];
	char			 helo[DNS_NAME_MAX + 1];
	/* the transaction */
	int			 has_mail;
	char			 sender[RELAY_ADDR_MAX];
	char			 params[RELAY_PARAMS_MAX];
	char			 rcpt[RELAY_ADDR_MAX];	/* being asked */
	char			 domain[DNS_NAME_MAX + 1];
	const char		*kind;
	uint32_t		 id;
	int			 open;		/* the network process has it */
	int			 failed;
	char			 fail[RELAY_REPLY_MAX];
	size_t			 nrcpt;
	char			 rcpts[RCPTS_LOG];
	size_t			 window;
	int			 bol;
	size_t			 bytes;
	char			 mx[DNS_NAME_MAX + 1];
	char			 mxaddr[64];
	char			 tls[16];
	char			 auth[64];
	char			 drain[RELAY_REPLY_MAX];
};

static void	sess_process(struct rsess *);
static void	sess_free(struct rsess *);

/*
 * TLS reporting (RFC 8460): each MX host the relay tried for a policy
 * domain is one session of its report, under the policy the domain's
 * verdict applied: failed with the result type of the attempt, or
 * successful (TLSRPT_OK) for the host that passed.  An attempt that
 * failed for another reason than TLS (TLSRPT_TEMPORARY: refused, timed
 * out, a 4xx greeting) is no session of a report.
 */
void
relay_outcome(struct vcache *vc, const struct relay_outcome *o)
{
	const char		*strs[VERDICT_RPT_MAX], *mx[VERDICT_RPT_MAX];
	const struct verdict	*v;
	struct rpt_result	 r;
	struct rpt_detail	 d;
	int			 t;

	if (o->result == TLSRPT_TEMPORARY ||
	    (v = vcache_peek(vc, o->domain)) == NULL ||
	    v->tlsrpt == VERDICT_RPT_NO ||
	    rpt_policy_of(v, o->mx, &r, strs, mx) == -1)
		return;
	if (o->result != TLSRPT_OK) {
		t = rpt_result_from_name(tlsrpt_result_name(o->result));
		memset(&d, 0, sizeof(d));
		d.type = t == -1 ? RPT_R_VALIDATION_FAILURE :
		    (enum rpt_result_type)t;
		d.mx_host = o->mx;
		d.receiving_ip = o->address;
		d.reason = o->reason;
		r.failed = 1;
		r.details = &d;
		r.ndetails = 1;
	}
	(void)rpt_submit(vc, &r);
}

static void
outcome(struct rsess *s, enum tlsrpt_result r, const char *mx,
    const char *addr, const char *reason)
{
	struct relay_outcome	 o;

	memset(&o, 0, sizeof(o));
	o.domain = s->domain;
	o.kind = s->kind;
	o.result = r;
	o.mx = mx;
	o.address = addr;
	o.sender = s->sender;
	o.rcpts = s->rcpt;
	o.reason = reason;
	relay_outcome(s->rl->vc, &o);
}

static void __attribute__((__format__(__printf__, 2, 3)))
sess_reply(struct rsess *s, const char *fmt, ...)
{
	struct evbuffer	*out = bufferevent_get_output(s->bev);
	va_list		 ap;

	va_start(ap, fmt);
	(void)evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	(void)evbuffer_add(out, "\r\n", 2);
}

/* A reply already made one line (relay_reply_format()). */
static void
sess_line(struct rsess *s, const char *line)
{
	sess_reply(s, "%s", line);
}

/* Waiting for the network process or a verdict: smtpd waits too. */
static void
sess_wait(struct rsess *s, enum sess_state st, int guard)
{
	struct timeval	 tv = { guard, 0 };

	s->st = st;
	bufferevent_set_timeouts(s->bev, NULL, NULL);
	evtimer_add(&s->timer, &tv);
}

static void
sess_ready(struct rsess *s, enum sess_state st)
{
	struct timeval	 tv = { IDLE_LIMIT, 0 };

	s->st = st;
	evtimer_del(&s->timer);
	bufferevent_set_timeouts(s->bev, &tv, &tv);
}

static void
tx_send(struct rsess *s, uint32_t type, const void *p, size_t len)
{
	struct ipc	*ipc = vcache_link(s->rl->vc);

	if (ipc != NULL)
		(void)ipc_send(ipc, type, s->id, p, len);
}

/* The end of a transaction, whatever became of it. */
static void
tx_reset(struct rsess *s)
{
	if (s->open)
		tx_send(s, IPC_RELAY_CLOSE, NULL, 0);
	vcache_cancel(s->w);
	s->w = NULL;
	s->open = s->has_mail = s->failed = 0;
	s->domain[0] = s->sender[0] = s->rcpts[0] = s->mx[0] = '\0';
	s->mxaddr[0] = s->tls[0] = s->auth[0] = '\0';
	s->kind = NULL;
	s->nrcpt = s->window = s->bytes = 0;
}

/* The transaction can go no further: RCPTs of its domain get this. */
static void
tx_fail(struct rsess *s, const char *reply)
{
	if (s->open)
		tx_send(s, IPC_RELAY_CLOSE, NULL, 0);
	s->open = 0;
	s->failed = 1;
	(void)snprintf(s->fail, sizeof(s->fail), "%s", reply);
}

static void
ehlo_reply(struct rsess *s, int ehlo)
{
	if (!ehlo) {
		sess_reply(s, "250 %s", GREETING);
		return;
	}
	sess_reply(s, "250-%s hello %s", GREETING, s->helo);
	sess_reply(s, "250-8BITMIME");
	sess_reply(s, "250-ENHANCEDSTATUSCODES");
	sess_reply(s, "250 PIPELINING");
}

static void
open_send(struct rsess *s, const struct verdict *v)
{
	struct evbuffer	*b;
	size_t		 i;

	if ((b = evbuffer_new()) == NULL) {
		sess_reply(s, "451 4.3.0 %s: out of memory", s->domain);
		return;
	}
	(void)evbuffer_add(b, s->domain, strlen(s->domain) + 1);
	(void)evbuffer_add(b, s->kind, strlen(s->kind) + 1);
	(void)evbuffer_add(b, s->helo, strlen(s->helo) + 1);
	(void)evbuffer_add(b, s->sender, strlen(s->sender) + 1);
	(void)evbuffer_add(b, s->params, strlen(s->params) + 1);
	for (i = 0; i < v->nmx; i++)
		(void)evbuffer_add(b, v->mx[i], strlen(v->mx[i]) + 1);
	s->id = ++s->rl->nextid;
	s->open = 1;
	tx_send(s, IPC_RELAY_OPEN, evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	evbuffer_free(b);
	sess_wait(s, ST_OPEN, OPEN_GUARD);
}

/* The first RCPT of a domain: its verdict says whether and how. */
static void
rcpt_verdict(struct rsess *s, const struct verdict *v, const char *domain)
{
	char	 why[SMTP_REPLY_TEXT_MAX + 1], text[SMTP_REPLY_TEXT_MAX + 1];

	sess_ready(s, ST_CMD);
	if ((v->kind != VERDICT_DANE && v->kind != VERDICT_STS_ENFORCE) ||
	    v->nmx == 0) {
		(void)snprintf(why, sizeof(why), "verdict %s: %s; the relay "
		    "takes only domains with a dane or sts-enforce verdict",
		    verdict_name(v->kind), v->reason);
		reply_smtp(domain, why, text, sizeof(text));
		log_info("relay %s: <%s> refused: verdict %s", domain,
		    s->rcpt, verdict_name(v->kind));
		sess_reply(s, "451 4.7.5 %s", text);
		return;
	}
	if (vcache_link(s->rl->vc) == NULL) {
		sess_reply(s, "451 4.3.0 %s: the filter-mtasts network "
		    "process is not running", domain);
		return;
	}
	(void)snprintf(s->domain, sizeof(s->domain), "%s", domain);
	s->kind = verdict_name(v->kind);
	open_send(s, v);
}

static void
on_verdict(void *arg, const struct verdict *v)
{
	struct rsess	*s = arg;
	char		 domain[DNS_NAME_MAX + 1];

	s->w = NULL;
	(void)snprintf(domain, sizeof(domain), "%s", v->domain);
	rcpt_verdict(s, v, domain);
	sess_process(s);
}

static void
rcpt_new_domain(struct rsess *s, const char *domain)
{
	const struct verdict	*v;

	switch (vcache_lookup(s->rl->vc, domain, on_verdict, s, &v, &s->w)) {
	case VC_HIT:
		rcpt_verdict(s, v, domain);
		break;
	case VC_WAIT:
		sess_wait(s, ST_VERDICT, s->rl->hold);
		break;
	default:
		sess_reply(s, "451 4.3.0 %s: filter-mtasts out of memory",
		    domain);
		break;
	}
}

static void
rcpt_cmd(struct rsess *s, const struct relay_path *p)
{
	if (!s->has_mail) {
		sess_reply(s, "503 5.5.1 MAIL first");
		return;
	}
	(void)snprintf(s->rcpt, sizeof(s->rcpt), "%s", p->addr);
	if (p->domain[0] == '\0') {
		sess_reply(s, "451 4.7.5 <%s>: %s: the relay takes only "
		    "domains with a dane or sts-enforce verdict", p->addr,
		    p->literal ? "an address literal" : "no domain");
		return;
	}
	if (s->domain[0] != '\0' && strcmp(s->domain, p->domain) != 0) {
		/* RFC 5321 4.5.3.1.10: smtpd sends it again, on its own */
		sess_reply(s, "452 4.5.3 <%s>: one recipient domain per "
		    "transaction (this one is %s): try again", p->addr,
		    s->domain);
		return;
	}
	if (s->domain[0] == '\0') {
		rcpt_new_domain(s, p->domain);
		return;
	}
	if (s->failed) {
		sess_line(s, s->fail);
		return;
	}
	tx_send(s, IPC_RELAY_RCPT, p->addr, strlen(p->addr) + 1);
	sess_wait(s, ST_RCPT, STEP_GUARD);
}

static void
data_cmd(struct rsess *s)
{
	if (!s->has_mail || s->nrcpt == 0) {
		sess_reply(s, "554 5.5.1 no valid recipients");
		return;
	}
	if (!s->open) {
		sess_line(s, s->failed ? s->fail :
		    "451 4.3.0 the transaction is gone");
		return;
	}
	tx_send(s, IPC_RELAY_DATA, NULL, 0);
	sess_wait(s, ST_DATA_CMD, STEP_GUARD);
}

static void
command(struct rsess *s, const char *line, size_t len)
{
	struct relay_path	 p;
	char			 why[128];

	switch (relay_parse_cmd(line, len, &p, why, sizeof(why))) {
	case RC_BAD:
		sess_reply(s, "501 5.5.4 %s", why);
		break;
	case RC_OTHER:
		sess_reply(s, "502 5.5.1 command not implemented");
		break;
	case RC_HELO:
	case RC_EHLO:
		tx_reset(s);
		p.params[strcspn(p.params, " ")] = '\0';
		(void)snprintf(s->helo, sizeof(s->helo), "%.*s",
		    (int)sizeof(s->helo) - 1, p.params);
		ehlo_reply(s, line[0] == 'E' || line[0] == 'e');
		break;
	case RC_MAIL:
		if (s->helo[0] == '\0' || s->has_mail) {
			sess_reply(s, "503 5.5.1 %s", s->has_mail ?
			    "MAIL already given" : "EHLO first");
			break;
		}
		(void)snprintf(s->sender, sizeof(s->sender), "%s", p.addr);
		(void)snprintf(s->params, sizeof(s->params), "%s", p.params);
		s->has_mail = 1;
		sess_reply(s, "250 2.1.0 ok");
		break;
	case RC_RCPT:
		rcpt_cmd(s, &p);
		break;
	case RC_DATA:
		data_cmd(s);
		break;
	case RC_RSET:
		tx_reset(s);
		sess_reply(s, "250 2.0.0 ok");
		break;
	case RC_NOOP:
		sess_reply(s, "250 2.0.0 ok");
		break;
	case RC_QUIT:
		tx_reset(s);
		sess_reply(s, "221 2.0.0 bye");
		s->st = ST_QUIT;
		break;
	}
}

/* One command line from the input; 0: not complete yet, -1: closed. */
static int
next_command(struct rsess *s)
{
	struct evbuffer		*in = bufferevent_get_input(s->bev);
	struct evbuffer_ptr	 eol;
	char			 line[RELAY_LINE_MAX];
	size_t			 eolen;

	eol = evbuffer_search_eol(in, NULL, &eolen, EVBUFFER_EOL_CRLF);
	if (eol.pos == -1) {
		if (evbuffer_get_length(in) < RELAY_LINE_MAX)
			return 0;
		sess_reply(s, "500 5.5.2 line too long");
		s->st = ST_QUIT;
		return -1;
	}
	if ((size_t)eol.pos >= sizeof(line)) {
		evbuffer_drain(in, eol.pos + eolen);
		sess_reply(s, "500 5.5.2 line too long");
		return 1;
	}
	evbuffer_remove(in, line, eol.pos);
	evbuffer_drain(in, eolen);
	command(s, line, eol.pos);
	return 1;
}

static void
data_end(struct rsess *s)
{
	if (s->st == ST_DRAIN) {
		sess_line(s, s->drain);
		log_info("relay %s: not delivered from=<%s> to=%s: %s",
		    s->domain, s->sender, s->rcpts, s->drain);
		tx_reset(s);
		sess_ready(s, ST_CMD);
		return;
	}
	tx_send(s, IPC_RELAY_EOM, NULL, 0);
	sess_wait(s, ST_EOM, STEP_GUARD);
}

/*
 * The message as it comes, a chunk at a time while the window allows
 * (or thrown away while draining); 0 when waiting for more.
 */
static int
data_pump(struct rsess *s)
{
	struct evbuffer	*in = bufferevent_get_input(s->bev);
	const char	*p;
	size_t		 len, payload, marker;
	int		 end;

	if (s->st == ST_DATA && s->window >= RELAY_WINDOW)
		return 0;
	if ((len = evbuffer_get_length(in)) > RELAY_CHUNK)
		len = RELAY_CHUNK;
	if (len == 0 || (p = (const char *)evbuffer_pullup(in, len)) == NULL)
		return 0;
	end = relay_data_scan(p, len, &s->bol, &payload, &marker);
	if (payload == 0 && !end)
		return 0;
	if (payload > 0 && s->st == ST_DATA) {
		tx_send(s, IPC_RELAY_CHUNK, p, payload);
		s->window++;
	}
	s->bytes += payload;
	evbuffer_drain(in, payload + marker);
	if (end)
		data_end(s);
	return 1;
}

static void
sess_process(struct rsess *s)
{
	for (;;) {
		switch (s->st) {
		case ST_CMD:
			if (next_command(s) <= 0)
				return;
			break;
		case ST_DATA:
		case ST_DRAIN:
			if (!data_pump(s))
				return;
			break;
		default:
			return;
		}
	}
}

/* ------------------------------------------- the network process */

static struct rsess *
sess_find(struct relay *rl, uint32_t id)
{
	struct rsess	*s;

	TAILQ_FOREACH(s, &rl->sessions, entry)
		if (s->open && s->id == id)
			return s;
	return NULL;
}

static void
rcpts_add(struct rsess *s)
{
	size_t	 len = strlen(s->rcpts), n = strlen(s->rcpt);
	char	*p = s->rcpts + len;

	if (len + n + 4 < sizeof(s->rcpts)) {
		if (len > 0)
			*p++ = ',';
		*p++ = '<';
		memcpy(p, s->rcpt, n);
		p[n] = '>';
		p[n + 1] = '\0';
	} else if (len + 5 < sizeof(s->rcpts) &&
	    (len < 3 || strcmp(s->rcpts + len - 3, "...") != 0))
		memcpy(p, ",...", 5);
}

static void
eom_reply(struct rsess *s, int code, const char *line)
{
	if (code / 100 == 2)
		log_info("relay %s: delivered from=<%s> to=%s size=%zu via %s "
		    "[%s] %s %s: %s", s->domain, s->sender, s->rcpts, s->bytes,
		    s->mx, s->mxaddr, s->tls, s->auth, line);
	else
		log_info("relay %s: not delivered from=<%s> to=%s via %s [%s]: "
		    "%s", s->domain, s->sender, s->rcpts, s->mx, s->mxaddr,
		    line);
	sess_line(s, line);
	tx_reset(s);
	sess_ready(s, ST_CMD);
}

/* A reply for the step the session waits on. */
static void
on_reply(struct rsess *s, int code, const char *text, int remote)
{
	char	 line[RELAY_REPLY_MAX];
	unsigned cls = 1u << 2 | 1u << 4 | 1u << 5;

	if (s->st == ST_DATA_CMD)
		cls |= 1u << 3;
	relay_reply_format(code, text, remote ? s->mx : "", cls, line,
	    sizeof(line));
	code = atoi(line);
	switch (s->st) {
	case ST_OPEN:
		if (code / 100 == 2) {
			tx_send(s, IPC_RELAY_RCPT, s->rcpt,
			    strlen(s->rcpt) + 1);
			sess_wait(s, ST_RCPT, STEP_GUARD);
			return;
		}
		log_info("relay %s: <%s> not taken: %s", s->domain, s->rcpt,
		    line);
		tx_fail(s, line);
		break;
	case ST_RCPT:
		if (code / 100 == 2) {
			s->nrcpt++;
			rcpts_add(s);
		}
		break;
	case ST_DATA_CMD:
		if (code == 354) {
			sess_reply(s, "354 end data with <CR><LF>.<CR><LF>");
			s->bol = 1;
			s->window = 0;
			sess_ready(s, ST_DATA);
			sess_process(s);
			return;
		}
		if (code / 100 == 2 || code / 100 == 3) {
			(void)snprintf(line, sizeof(line), "451 4.4.0 %s: "
			    "unexpected reply %d to DATA", s->mx, code);
			tx_fail(s, line);
		}
		break;
	case ST_DATA:
		/* the server went away meanwhile: the rest is drained */
		(void)snprintf(s->drain, sizeof(s->drain), "%s", line);
		tx_fail(s, line);
		s->st = ST_DRAIN;
		sess_process(s);
		return;
	case ST_EOM:
		eom_reply(s, code, line);
		sess_process(s);
		return;
	default:
		return;
	}
	sess_line(s, line);
	sess_ready(s, ST_CMD);
	sess_process(s);
}

static const char *
next_str(const uint8_t **p, const uint8_t *end, size_t max)
{
	const char	*s;
	size_t		 i;

	if ((s = wire_string(p, end, max)) == NULL)
		return NULL;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return NULL;
	return s;
}

/* A host tried, or the one that passed: the admin reads why. */
static void
on_host(struct rsess *s, uint32_t type, const uint8_t *p, size_t len)
{
	const uint8_t	*end = p + len;
	const char	*f[5];
	size_t		 i, n = type == IPC_RELAY_TRIED ? 4 : 5;
	long		 r;

	for (i = 0; i < n; i++)
		if ((f[i] = next_str(&p, end, 1024)) == NULL)
			return;
	if (type == IPC_RELAY_TRIED) {
		r = strtol(f[2], NULL, 10);
		if (r < TLSRPT_OK || r > TLSRPT_TEMPORARY)
			return;
		log_info("relay %s: %s [%s] not used: %s: %s", s->domain,
		    f[0], f[1], tlsrpt_result_name(r), f[3]);
		outcome(s, r, f[0], f[1], f[3]);
		return;
	}
	(void)snprintf(s->mx, sizeof(s->mx), "%s", f[0]);
	(void)snprintf(s->mxaddr, sizeof(s->mxaddr), "%s", f[1]);
	(void)snprintf(s->tls, sizeof(s->tls), "%s", f[2]);
	(void)snprintf(s->auth, sizeof(s->auth), "%s", f[3]);
	log_info("relay %s: %s [%s] %s %s: %s", s->domain, s->mx, s->mxaddr,
	    s->tls, s->auth, f[4]);
	outcome(s, TLSRPT_OK, s->mx, s->mxaddr, f[4]);
}

static void
relay_msg(void *arg, uint32_t type, uint32_t id, const uint8_t *p, size_t len)
{
	struct relay	*rl = arg;
	struct rsess	*s;
	const uint8_t	*end = p + len;
	const char	*code, *text, *origin;
	long		 n;

	if ((s = sess_find(rl, id)) == NULL)
		return;
	switch (type) {
	case IPC_RELAY_REPLY:
		if ((code = next_str(&p, end, 3)) == NULL ||
		    (text = next_str(&p, end, SMTP_REPLY_MAX)) == NULL ||
		    (origin = next_str(&p, end, 1)) == NULL || p != end) {
			log_warnx("relay: malformed reply from the network "
			    "process");
			return;
		}
		on_reply(s, atoi(code), text, origin[0] == 'r');
		break;
	case IPC_RELAY_ACK:
		n = strtol((const char *)p, NULL, 10);
		if (len == 0 || p[len - 1] != '\0' || n < 0 ||
		    (size_t)n > s->window)
			n = s->window;
		s->window -= n;
		sess_process(s);
		break;
	case IPC_RELAY_TRIED:
	case IPC_RELAY_SESSION:
		on_host(s, type, p, len);
		break;
	default:
		break;
	}
}

/* No answer will come for what a session waits on: a 451 now. */
static void
sess_abort(struct rsess *s, const char *why)
{
	char	 line[RELAY_REPLY_MAX];

	(void)snprintf(line, sizeof(line), "451 4.3.0 %s%s%s", s->domain,
	    s->domain[0] ? ": " : "", why);
	switch (s->st) {
	case ST_OPEN:
	case ST_RCPT:
	case ST_DATA_CMD:
		tx_fail(s, line);
		s->open = 0;
		sess_line(s, line);
		sess_ready(s, ST_CMD);
		break;
	case ST_EOM:
		eom_reply(s, 451, line);
		break;
	case ST_DATA:
		tx_fail(s, line);
		(void)snprintf(s->drain, sizeof(s->drain), "%s", line);
		s->st = ST_DRAIN;
		break;
	default:
		if (s->domain[0] != '\0')
			tx_fail(s, line);
		return;
	}
	sess_process(s);
}

/* The network process died: what it held is lost, smtpd retries. */
static void
relay_down(void *arg)
{
	struct relay	*rl = arg;
	struct rsess	*s, *next;

	for (s = TAILQ_FIRST(&rl->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->open) {
			s->open = 0;	/* nothing to close on a new link */
			sess_abort(s, "the filter-mtasts network process "
			    "is gone");
		}
	}
}

/* ------------------------------------------------------ sessions */

static void
on_timer(int fd, short ev, void *arg)
{
	struct rsess	*s = arg;

	(void)fd;
	(void)ev;
	if (s->st == ST_VERDICT) {
		vcache_cancel(s->w);
		s->w = NULL;
		sess_reply(s, "451 4.7.5 %s: MTA-STS/DANE lookup not "
		    "finished; try again later", s->rcpt);
		sess_ready(s, ST_CMD);
		sess_process(s);
		return;
	}
	sess_abort(s, "no answer from the filter-mtasts network process in "
	    "time");
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct rsess	*s = arg;

	(void)bev;
	TAILQ_REMOVE(&s->rl->sessions, s, entry);
	TAILQ_INSERT_TAIL(&s->rl->sessions, s, entry);
	sess_process(s);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct rsess	*s = arg;

	if (s->st == ST_QUIT &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		sess_free(s);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct rsess	*s = arg;

	(void)bev;
	if (s->has_mail && s->st != ST_CMD)
		log_info("relay %s: smtpd went away in the middle of a "
		    "transaction (%s): nothing was delivered", s->domain[0] ?
		    s->domain : "-", what & BEV_EVENT_TIMEOUT ? "timeout" :
		    "closed");
	sess_free(s);
}

static void
sess_free(struct rsess *s)
{
	tx_reset(s);
	evtimer_del(&s->timer);
	bufferevent_free(s->bev);
	TAILQ_REMOVE(&s->rl->sessions, s, entry);
	s->rl->nsess--;
	free(s);
}

/* smtpd runs on this host: anyone else is turned away. */
static int
peer_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin = (const void *)ss;
	const struct sockaddr_in6	*s6 = (const void *)ss;
	const uint8_t			*a;

	if (ss->ss_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family != AF_INET6)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return 1;
	a = s6->sin6_addr.s6_addr;
	return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && a[12] == 127;
}

static void
addr_text(const struct sockaddr_storage *ss, char *buf, size_t sz)
{
	if (getnameinfo((const struct sockaddr *)ss, ss->ss_family ==
	    AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in), buf, sz, NULL, 0, NI_NUMERICHOST) != 0)
		(void)snprintf(buf, sz, "?");
}

static void
refuse_msg(int fd, const char *line)
{
	(void)send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void
refuse(int fd, const char *line)
{
	refuse_msg(fd, line);
	close(fd);
}

/*
 * Every connection is taken: with SESS_MAX of them open, the one read
 * from least recently that is between transactions is closed to make
 * room.  Any local user can connect to a loopback port, and would
 * otherwise hold smtpd off with SESS_MAX idle connections; smtpd
 * connects again for a session closed before its transaction.
 */
static int
make_room(struct relay *rl)
{
	struct rsess	*s;
	time_t		 now = time(NULL);

	TAILQ_FOREACH(s, &rl->sessions, entry)
		if (s->st == ST_CMD && !s->has_mail && !s->open)
			break;
	if (now - rl->full_logged >= 60) {
		rl->full_logged = now;
		log_warnx("relay: %d connections: %s", SESS_MAX, s != NULL ?
		    "the idlest one between transactions closed to make "
		    "room (logged once a minute)" : "every one in a "
		    "transaction, a new one refused (logged once a minute)");
	}
	if (s == NULL)
		return -1;
	refuse_msg(bufferevent_getfd(s->bev), "421 4.3.2 filter-mtasts "
	    "relay: too many connections, closing the idlest\r\n");
	sess_free(s);
	return 0;
}

static void
on_accept(int lfd, short ev, void *arg)
{
	struct relay		*rl = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	struct rsess		*s;
	char			 peer[64];
	int			 fd;

	(void)ev;
	if ((fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warnx("relay: accept: %s", strerror(errno));
		return;
	}
	addr_text(&ss, peer, sizeof(peer));
	if (!peer_loopback(&ss)) {
		log_warnx("relay: connection from %s refused: not a loopback "
		    "address", peer);
		refuse(fd, "554 5.7.1 filter-mtasts relay: loopback clients "
		    "only\r\n");
		return;
	}
	if ((rl->nsess >= SESS_MAX && make_room(rl) == -1) ||
	    (s = calloc(1, sizeof(*s))) == NULL) {
		refuse(fd, "421 4.3.2 filter-mtasts relay: too many "
		    "connections\r\n");
		return;
	}
	if ((s->bev = bufferevent_socket_new(rl->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(s);
		close(fd);
		return;
	}
	s->rl = rl;
	(void)snprintf(s->peer, sizeof(s->peer), "%s", peer);
	evtimer_set(&s->timer, on_timer, s);
	event_base_set(rl->base, &s->timer);
	TAILQ_INSERT_TAIL(&rl->sessions, s, entry);
	rl->nsess++;
	bufferevent_setcb(s->bev, on_read, on_write, on_event, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, IN_MAX);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	sess_ready(s, ST_CMD);
	sess_reply(s, "220 %s ESMTP relay for MTA-STS and DANE", GREETING);
}

/*
 * -R [ADDRESS:]PORT: a loopback address (127.0.0.1 by default, [::1]
 * for IPv6) and a port, bound now, before privileges go.
 */
int
relay_listen(const char *spec)
{
	struct addrinfo	*ai;
	int		 fd, on = 1;

	ai = listen_addrinfo(spec, "127.0.0.1");
	if (!peer_loopback((struct sockaddr_storage *)(void *)ai->ai_addr))
		fatalx("-R %s: the relay listens on a loopback address only",
		    spec);
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		fatal("-R %s: socket", spec);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/*
	 * Replies are small writes, pipelined ones after others; the
	 * connections accepted inherit it (Linux), and the
	 * sandboxed front makes no setsockopt(2) of its own.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 64) == -1)
		fatal("-R %s", spec);
	freeaddrinfo(ai);
	return fd;
}

struct relay *
relay_start(struct event_base *base, int fd, struct vcache *vc, int hold)
{
	struct relay	*rl;

	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	rl->base = base;
	rl->vc = vc;
	rl->fd = fd;
	rl->hold = hold;
	TAILQ_INIT(&rl->sessions);
	vcache_on_other(vc, relay_msg, relay_down, rl);
	event_set(&rl->ev, fd, EV_READ | EV_PERSIST, on_accept, rl);
	event_base_set(base, &rl->ev);
	event_add(&rl->ev, NULL);
	return rl;
}
