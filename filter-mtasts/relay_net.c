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

#include <event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The relay's network side, in the network process: for each
 * transaction the front opens, the MX hosts of the domain in the
 * order the verdict gives, each proved as RFC 7672 and RFC 8461 say
 * (smtp_client.c), the first that passes gets MAIL, then the RCPT,
 * DATA and message bytes the front passes on, and every reply goes
 * back to the front as it came.  Nothing is stored: message bytes are
 * written to the server as they come, and acknowledged once sent, so
 * the front never has more than RELAY_WINDOW chunks out.
 *
 * Messages (ids are the front's transactions; strings NUL-separated):
 *	OPEN	domain, kind, helo, sender, MAIL parameters, MX host...
 *	RCPT	recipient		DATA, EOM, CLOSE: empty
 *	CHUNK	message bytes, dot-stuffed as smtpd sent them
 *	REPLY	code, text, "r" if the server's own	ACK	chunks sent
 *	TRIED	host, address, result (enum tlsrpt_result), reason
 *	SESSION	host, address, TLS version, what authenticated it, detail
 * Each step has a time limit; so has the search for a host, in all.
 */

#define RTX_MAX		256	/* transactions at once */
#define OPEN_LIMIT	240	/* s: finding a host, in all */
#define STEP_LIMIT	30	/* s: each step of connecting to one */
#define CMD_LIMIT	120	/* s: MAIL, RCPT, DATA, a chunk */
#define EOM_LIMIT	240	/* s: the reply to the end of the message */
#define QUIT_LIMIT	5	/* s */
#define FAILED_MAX	900	/* the hosts tried, in the 451 */
#define IDLE_MAX	32	/* connections kept for the next transaction */
#define IDLE_KEEP	5	/* s: how long */
#define RSET_LIMIT	10	/* s: a kept connection still answers */

enum rtx_state {
	T_HOST,		/* looking up, connecting, proving */
	T_MAIL,		/* MAIL sent */
	T_IDLE,		/* ready for RCPT or DATA */
	T_WAIT,		/* RCPT or DATA sent */
	T_STREAM,	/* the message */
	T_EOM,		/* its end sent */
	T_QUIT,
	T_DEAD		/* the server is gone: every answer is dead */
};

struct rtx {
	TAILQ_ENTRY(rtx)	 entry;
	struct ipc		*ipc;
	uint32_t		 id;
	enum rtx_state		 st;
	char			 domain[DNS_NAME_MAX + 1];
	enum verdict_kind	 kind;
	char			 helo[DNS_NAME_MAX + 1];
	char			 sender[RELAY_ADDR_MAX];
	char			 params[RELAY_PARAMS_MAX];
	char			**hosts;
	size_t			 nhosts, next;
	const char		*host;
	/* the host being tried */
	struct dns_waiter	*wa, *waaaa, *wtlsa;
	int			 naddr_done, addr_fail, addr_insecure;
	char			 addr_why[STS_ERR_MAX + 32];
	struct sockaddr_storage	 addrs[VERIFY_ADDRS];
	size_t			 naddrs;
	struct dns_rec		 tlsa[VERIFY_TLSA_MAX];
	size_t			 ntlsa;
	enum verify_mode	 mode;
	struct verify		*v;
	struct smtp_conn	*c;
	struct event		 deadline;
	size_t			 unacked;
	int			 flushing, eom, closing;
	char			 failed[FAILED_MAX];
	char			 dead[RELAY_REPLY_MAX];
	/* the session: for the log, and for a kept connection */
	char			 address[64];
	char			 version[16];
	char			 auth[64];
	char			 detail[VERIFY_REASON_MAX];
};

/*
 * A connection that passed and carried a transaction, kept a few
 * seconds for the next transaction of the same domain, so that a
 * queue of mail for one domain costs one connection and handshake.
 * Its host must still be one the new verdict gives.
 */
struct idle {
	TAILQ_ENTRY(idle)	 entry;
	struct smtp_conn	*c;
	struct event		 timer;
	char			 domain[DNS_NAME_MAX + 1];
	enum verdict_kind	 kind;
	char			 helo[DNS_NAME_MAX + 1];
	char			 host[DNS_NAME_MAX + 1];
	char			 address[64];
	char			 version[16];
	char			 auth[64];
	char			 detail[VERIFY_REASON_MAX];
};

int	relay_net_wanted;

static struct {
	struct event_base	*base;
	struct resolver		*r;
	struct verifier		*vr;
	size_t			 ntx;
} rn;
static TAILQ_HEAD(, rtx) txs = TAILQ_HEAD_INITIALIZER(txs);
static TAILQ_HEAD(, idle) idles = TAILQ_HEAD_INITIALIZER(idles);
static size_t nidle;

static void	tx_next_host(struct rtx *);

/* Before the chroot: the CA file is read now. */
int
relay_net_init(struct event_base *base, struct resolver *r, const char *cafile,
    char *err, size_t errsz)
{
	rn.base = base;
	rn.r = r;
	if ((rn.vr = verifier_new(base, cafile, NULL, STEP_LIMIT, err,
	    errsz)) == NULL)
		return -1;
	return 0;
}

/* A reply the relay makes; remote_reply() passes on the server's. */
static void
send_reply(struct rtx *tx, int code, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static void
send_reply(struct rtx *tx, int code, const char *fmt, ...)
{
	char	 buf[8 + SMTP_REPLY_MAX + 2];
	va_list	 ap;
	int	 n;

	n = snprintf(buf, sizeof(buf), "%d", code) + 1;
	va_start(ap, fmt);
	(void)vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	n += strlen(buf + n) + 1;
	buf[n++] = '\0';
	(void)ipc_send(tx->ipc, IPC_RELAY_REPLY, tx->id, buf, n);
}

static void
remote_reply(struct rtx *tx, const struct smtp_reply *rep)
{
	char	 buf[8 + SMTP_REPLY_MAX + 2];
	int	 n;

	n = snprintf(buf, sizeof(buf), "%d", rep->code) + 1;
	(void)snprintf(buf + n, sizeof(buf) - n - 2, "%s", rep->text);
	n += strlen(buf + n) + 1;
	buf[n++] = 'r';
	buf[n++] = '\0';
	(void)ipc_send(tx->ipc, IPC_RELAY_REPLY, tx->id, buf, n);
}

/* NUL-separated strings, as one message. */
static void
send_strings(struct rtx *tx, uint32_t type, const char **s, size_t n)
{
	char	 buf[4096];
	size_t	 len = 0, l, i;

	for (i = 0; i < n; i++) {
		l = strlen(s[i]);
		if (len + l + 1 > sizeof(buf))
			l = sizeof(buf) - len - 1;
		memcpy(buf + len, s[i], l);
		len += l;
		buf[len++] = '\0';
	}
	(void)ipc_send(tx->ipc, type, tx->id, buf, len);
}

static void
host_reset(struct rtx *tx)
{
	size_t	 i;

	dns_cancel(tx->wa);
	dns_cancel(tx->waaaa);
	dns_cancel(tx->wtlsa);
	tx->wa = tx->waaaa = tx->wtlsa = NULL;
	verify_cancel(tx->v);
	tx->v = NULL;
	for (i = 0; i < tx->ntlsa; i++)
		free(tx->tlsa[i].data);
	tx->ntlsa = tx->naddrs = 0;
	tx->naddr_done = tx->addr_fail = tx->addr_insecure = 0;
	tx->addr_why[0] = '\0';
}

static void
tx_free(struct rtx *tx)
{
	size_t	 i;

	host_reset(tx);
	smtp_conn_free(tx->c);
	evtimer_del(&tx->deadline);
	for (i = 0; i < tx->nhosts; i++)
		free(tx->hosts[i]);
	free(tx->hosts);
	TAILQ_REMOVE(&txs, tx, entry);
	rn.ntx--;
	free(tx);
}

static struct rtx *
tx_find(uint32_t id)
{
	struct rtx	*tx;

	TAILQ_FOREACH(tx, &txs, entry)
		if (tx->id == id)
			return tx;
	return NULL;
}

/* One host did not do: the front hears why, and the next is tried. */
static void
host_failed(struct rtx *tx, enum tlsrpt_result r, const char *address,
    const char *why)
{
	const char	*s[4];
	char		 num[16];
	size_t		 len = strlen(tx->failed);

	(void)snprintf(num, sizeof(num), "%d", (int)r);
	s[0] = tx->host;
	s[1] = address;
	s[2] = num;
	s[3] = why;
	send_strings(tx, IPC_RELAY_TRIED, s, 4);
	(void)snprintf(tx->failed + len, sizeof(tx->failed) - len, "%s%s%s%s"
	    "%s: %s", len ? "; " : "", tx->host, address[0] ? " [" : "",
	    address, address[0] ? "]" : "", why);
	host_reset(tx);
	tx_next_host(tx);
}

/* The server is gone in the middle: the front gets this from now on. */
static void
tx_dead(struct rtx *tx, const char *what)
{
	(void)snprintf(tx->dead, sizeof(tx->dead), "4.4.2 %s: %s: %s",
	    tx->host, what, tx->c != NULL ? smtp_conn_error(tx->c) : "gone");
	smtp_conn_free(tx->c);
	tx->c = NULL;
	tx->st = T_DEAD;
	send_reply(tx, 451, "%s", tx->dead);
}

static void
idle_free(struct idle *id)
{
	TAILQ_REMOVE(&idles, id, entry);
	nidle--;
	evtimer_del(&id->timer);
	smtp_conn_free(id->c);
	free(id);
}

static void
on_idle_timeout(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	idle_free(arg);
}

/* After a transaction: the connection is kept, 0, or not, -1. */
static int
idle_keep(struct rtx *tx)
{
	struct timeval	 tv = { IDLE_KEEP, 0 };
	struct idle	*id;

	if (nidle >= IDLE_MAX || smtp_conn_pending(tx->c) > 0 ||
	    (id = calloc(1, sizeof(*id))) == NULL)
		return -1;
	id->c = tx->c;
	tx->c = NULL;
	id->kind = tx->kind;
	memcpy(id->domain, tx->domain, sizeof(id->domain));
	memcpy(id->helo, tx->helo, sizeof(id->helo));
	(void)snprintf(id->host, sizeof(id->host), "%s", tx->host);
	memcpy(id->address, tx->address, sizeof(id->address));
	memcpy(id->version, tx->version, sizeof(id->version));
	memcpy(id->auth, tx->auth, sizeof(id->auth));
	memcpy(id->detail, tx->detail, sizeof(id->detail));
	evtimer_set(&id->timer, on_idle_timeout, id);
	event_base_set(rn.base, &id->timer);
	evtimer_add(&id->timer, &tv);
	TAILQ_INSERT_TAIL(&idles, id, entry);
	nidle++;
	return 0;
}

static void
on_quit(void *arg, struct smtp_conn *c, int ok)
{
	struct rtx	*tx = arg;

	(void)c;
	(void)ok;
	if (tx->closing) {
		tx_free(tx);
		return;
	}
	smtp_conn_free(tx->c);
	tx->c = NULL;
}

static void
on_reply(void *arg, struct smtp_conn *c, const struct smtp_reply *rep)
{
	struct rtx	*tx = arg;

	(void)c;
	if (rep == NULL) {
		tx_dead(tx, tx->st == T_EOM ? "end of data" : "reply");
		return;
	}
	if (tx->st == T_EOM) {
		remote_reply(tx, rep);
		tx->st = T_QUIT;
		if (idle_keep(tx) == 0)
			return;
		if (smtp_conn_command(tx->c, "QUIT") == -1 ||
		    smtp_conn_flush(tx->c, QUIT_LIMIT, on_quit, tx) == -1) {
			smtp_conn_free(tx->c);
			tx->c = NULL;
		}
		return;
	}
	if (tx->st == T_MAIL && rep->code / 100 != 2) {
		/* the sender refused: the transaction ends here */
		remote_reply(tx, rep);
		tx_free(tx);
		return;
	}
	tx->st = tx->st == T_WAIT && rep->code == 354 ? T_STREAM : T_IDLE;
	remote_reply(tx, rep);
}

/* A command and its reply; a server gone makes the transaction dead. */
static void
tx_ask(struct rtx *tx, const char *cmd, enum rtx_state st, int limit)
{
	tx->st = st;
	if (smtp_conn_command(tx->c, cmd) == -1 ||
	    smtp_conn_reply(tx->c, limit, on_reply, tx) == -1)
		tx_dead(tx, "cannot send the command");
}

/* The parameters of MAIL the server knows of; the rest are dropped. */
static void
mail_params(struct rtx *tx, char *out, size_t outsz)
{
	const struct smtp_ehlo *e = smtp_conn_ehlo(tx->c);
	char		 buf[RELAY_PARAMS_MAX], *p, *sp;
	size_t		 len;
	int		 keep;

	out[0] = '\0';
	(void)snprintf(buf, sizeof(buf), "%s", tx->params);
	for (p = buf; p != NULL && *p != '\0'; p = sp) {
		if ((sp = strchr(p, ' ')) != NULL)
			*sp++ = '\0';
		keep = (strncasecmp(p, "BODY=", 5) == 0 &&
		    (e->ext & SMTP_EXT_8BITMIME)) ||
		    (strcasecmp(p, "SMTPUTF8") == 0 &&
		    (e->ext & SMTP_EXT_SMTPUTF8)) ||
		    (strncasecmp(p, "SIZE=", 5) == 0 &&
		    (e->ext & SMTP_EXT_SIZE));
		len = strlen(out);
		if (keep && len + strlen(p) + 2 <= outsz) {
			out[len] = ' ';
			memcpy(out + len + 1, p, strlen(p) + 1);
		}
	}
}

static const char *
auth_name(const struct rtx *tx, const struct verify_result *res)
{
	int	 m = res->cert.dane_match;

	switch (tx->mode) {
	case VERIFY_DANE:
		return m >= 0 && (size_t)m < tx->ntlsa &&
		    tx->tlsa[m].data[0] == 2 ? "DANE-TA" : "DANE-EE";
	case VERIFY_STS:
		return "PKIX+MX name";
	case VERIFY_TLS:
		return "TLS unauthenticated (no usable TLSA record)";
	default:
		return res->tls ? "TLS unauthenticated (opportunistic)" :
		    "plaintext (opportunistic, no STARTTLS)";
	}
}

static void	tx_session(struct rtx *);

static void
on_verified(void *arg, const struct verify_result *res, struct smtp_conn *c)
{
	struct rtx	*tx = arg;
	int		 one = 1;

	tx->v = NULL;
	if (res->result != TLSRPT_OK) {
		host_failed(tx, res->result, res->address, res->reason);
		return;
	}
	evtimer_del(&tx->deadline);
	tx->c = c;
	/*
	 * The end of a message is a small write after large ones: on a
	 * connection kept for the next transaction, Nagle's algorithm
	 * would hold it until the server's delayed ACK, 40 ms.
	 */
	(void)setsockopt(smtp_conn_fd(c), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one));
	(void)snprintf(tx->address, sizeof(tx->address), "%s", res->address);
	(void)snprintf(tx->version, sizeof(tx->version), "%s", res->tls ?
	    res->version : "none");
	(void)snprintf(tx->auth, sizeof(tx->auth), "%s", auth_name(tx, res));
	(void)snprintf(tx->detail, sizeof(tx->detail), "%s", res->reason);
	tx_session(tx);
}

/* The host that passed, to the front; then MAIL. */
static void
tx_session(struct rtx *tx)
{
	const char	*s[5];
	char		 cmd[RELAY_LINE_MAX], params[RELAY_PARAMS_MAX];

	s[0] = tx->host;
	s[1] = tx->address;
	s[2] = tx->version;
	s[3] = tx->auth;
	s[4] = tx->detail;
	send_strings(tx, IPC_RELAY_SESSION, s, 5);
	mail_params(tx, params, sizeof(params));
	(void)snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>%s", tx->sender,
	    params);
	tx_ask(tx, cmd, T_MAIL, CMD_LIMIT);
}

/*
 * RFC 7672 2.2: a host of a DANE domain without secure TLSA records is
 * held to the domain's MTA-STS policy, when it has one in enforce
 * mode, else to nothing more than opportunistic TLS.  The policy is
 * the one the resolver keeps in the state directory.
 */
static int
nodane_mode(struct rtx *tx, enum verify_mode *mode)
{
	struct cache_entry	 e;
	size_t			 i;
	int			 r = 0;

	*mode = VERIFY_STS;
	if (tx->kind == VERDICT_STS_ENFORCE)
		return 0;
	*mode = VERIFY_OPPORTUNISTIC;
	if (cache_load(resolver_cache(rn.r), tx->domain, &e) == -1)
		return 0;
	if (e.id[0] != '\0' && e.pol.mode == STS_MODE_ENFORCE &&
	    e.expires > time(NULL)) {
		*mode = VERIFY_STS;
		r = -1;
		for (i = 0; i < e.pol.nmx; i++)
			if (sts_mx_match(e.pol.mx[i], tx->host))
				r = 0;
	}
	cache_entry_free(&e);
	return r;
}

static void
host_verify(struct rtx *tx, enum verify_mode mode)
{
	struct verify_req	 req;

	memset(&req, 0, sizeof(req));
	tx->mode = mode;
	req.host = tx->host;
	/* DANE-TA: the next-hop domain names the server too (3.2.2) */
	req.domain = tx->kind == VERDICT_DANE ? tx->domain : NULL;
	req.addrs = tx->addrs;
	req.naddrs = tx->naddrs;
	req.mode = mode;
	req.tlsa = tx->tlsa;
	req.ntlsa = tx->ntlsa;
	req.helo = tx->helo[0] ? tx->helo : NULL;
	if ((tx->v = verify_start(rn.vr, &req, on_verified, tx)) == NULL)
		host_failed(tx, TLSRPT_TEMPORARY, "", "cannot connect: out "
		    "of memory");
}

static void
host_nodane(struct rtx *tx)
{
	enum verify_mode	 mode;

	if (nodane_mode(tx, &mode) == -1)
		host_failed(tx, TLSRPT_STS_POLICY_INVALID, "", "no TLSA "
		    "records, and the MTA-STS policy does not allow the host");
	else
		host_verify(tx, mode);
}

static void
on_tlsa(void *arg, const struct dns_result *res)
{
	struct rtx	*tx = arg;
	size_t		 i;

	tx->wtlsa = NULL;
	if (res->status == DNS_FAIL || res->sec == DNS_BOGUS) {
		/* RFC 7672 2.1.2: the host cannot be used */
		host_failed(tx, res->sec == DNS_BOGUS ? TLSRPT_DNSSEC_INVALID :
		    TLSRPT_TEMPORARY, "", res->why[0] ? res->why :
		    "TLSA lookup failed");
		return;
	}
	if (res->status != DNS_ANSWER || res->sec != DNS_SECURE) {
		host_nodane(tx);
		return;
	}
	for (i = 0; i < res->msg.nrr && tx->ntlsa < VERIFY_TLSA_MAX; i++) {
		struct dns_rec *t = &tx->tlsa[tx->ntlsa];

		if ((t->data = malloc(res->msg.rr[i].len + 1)) == NULL)
			break;
		memcpy(t->data, res->msg.rr[i].data, res->msg.rr[i].len);
		t->len = res->msg.rr[i].len;
		t->type = DNS_T_TLSA;
		tx->ntlsa++;
	}
	host_verify(tx, dane_count_usable(&res->msg) > 0 ? VERIFY_DANE :
	    VERIFY_TLS);
}

/* RFC 7672 2.2.2: TLSA records only behind signed addresses. */
static void
host_addrs_done(struct rtx *tx)
{
	char	 q[DNS_NAME_MAX + 16];

	if (tx->addr_fail) {
		host_failed(tx, TLSRPT_TEMPORARY, "", tx->addr_why);
		return;
	}
	if (tx->naddrs == 0) {
		host_failed(tx, TLSRPT_TEMPORARY, "", "no address");
		return;
	}
	if (tx->kind != VERDICT_DANE || tx->addr_insecure) {
		host_nodane(tx);
		return;
	}
	(void)snprintf(q, sizeof(q), "_25._tcp.%s", tx->host);
	if ((tx->wtlsa = dns_lookup(resolver_dns(rn.r), q, DNS_T_TLSA,
	    on_tlsa, tx)) == NULL)
		host_failed(tx, TLSRPT_TEMPORARY, "", "cannot look up TLSA");
}

static void
on_addr(struct rtx *tx, const struct dns_result *res, uint16_t type)
{
	size_t	 i, alen = type == DNS_T_A ? 4 : 16;

	if (res->status == DNS_FAIL || res->sec == DNS_BOGUS) {
		tx->addr_fail = 1;
		(void)snprintf(tx->addr_why, sizeof(tx->addr_why), "%s lookup "
		    "failed: %s", dns_type_name(type), res->why);
	} else if (res->status == DNS_ANSWER) {
		if (res->sec != DNS_SECURE)
			tx->addr_insecure = 1;
		for (i = 0; i < res->msg.nrr && tx->naddrs < VERIFY_ADDRS;
		    i++) {
			struct sockaddr_storage *ss = &tx->addrs[tx->naddrs];

			if (res->msg.rr[i].len != alen)
				continue;
			memset(ss, 0, sizeof(*ss));
			if (type == DNS_T_A) {
				struct sockaddr_in *sin = (void *)ss;

				sin->sin_family = AF_INET;
				memcpy(&sin->sin_addr, res->msg.rr[i].data, 4);
			} else {
				struct sockaddr_in6 *s6 = (void *)ss;

				s6->sin6_family = AF_INET6;
				memcpy(&s6->sin6_addr, res->msg.rr[i].data, 16);
			}
			tx->naddrs++;
		}
	}
	if (++tx->naddr_done == 2)
		host_addrs_done(tx);
}

static void
on_a(void *arg, const struct dns_result *res)
{
	struct rtx	*tx = arg;

	tx->wa = NULL;
	on_addr(tx, res, DNS_T_A);
}

static void
on_aaaa(void *arg, const struct dns_result *res)
{
	struct rtx	*tx = arg;

	tx->waaaa = NULL;
	on_addr(tx, res, DNS_T_AAAA);
}

static void
open_failed(struct rtx *tx, const char *why)
{
	send_reply(tx, 451, "4.7.5 %s: no MX host could be used%s%s", tx->domain,
	    why[0] ? ": " : "", why);
	tx_free(tx);
}

/* The MX hosts in the verdict's order: the first that passes. */
static void
tx_next_host(struct rtx *tx)
{
	struct dns	*dns = resolver_dns(rn.r);

	if (tx->next == tx->nhosts) {
		open_failed(tx, tx->failed);
		return;
	}
	tx->host = tx->hosts[tx->next++];
	tx->wa = dns_lookup(dns, tx->host, DNS_T_A, on_a, tx);
	tx->waaaa = dns_lookup(dns, tx->host, DNS_T_AAAA, on_aaaa, tx);
	if (tx->wa == NULL || tx->waaaa == NULL)
		host_failed(tx, TLSRPT_TEMPORARY, "", "cannot look up its "
		    "addresses");
}

static void
on_deadline(int fd, short ev, void *arg)
{
	struct rtx	*tx = arg;
	char		 why[FAILED_MAX + 64];

	(void)fd;
	(void)ev;
	(void)snprintf(why, sizeof(why), "%s%sno host passed within %d s",
	    tx->failed, tx->failed[0] ? "; " : "", OPEN_LIMIT);
	open_failed(tx, why);
}

/* An address the front checked; checked again, as commands carry it. */
static int
addr_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == '<' || *s == '>' ||
		    *s == 0x7f)
			return 0;
	return 1;
}

static int
open_parse(struct rtx *tx, const uint8_t *p, size_t len)
{
	const uint8_t	*end = p + len;
	const char	*s[5], *h;
	char		**hosts;
	size_t		 i;

	for (i = 0; i < 5; i++)
		if ((s[i] = wire_string(&p, end, RELAY_ADDR_MAX - 1)) == NULL)
			return -1;
	if (domain_normalize(s[0], tx->domain, sizeof(tx->domain)) != 0 ||
	    (strcmp(s[1], "dane") != 0 && strcmp(s[1], "sts-enforce") != 0) ||
	    strlen(s[2]) > DNS_NAME_MAX || !addr_ok(s[3]) ||
	    strlen(s[4]) >= sizeof(tx->params) || strpbrk(s[4], "\r\n"))
		return -1;
	tx->kind = strcmp(s[1], "dane") == 0 ? VERDICT_DANE :
	    VERDICT_STS_ENFORCE;
	(void)snprintf(tx->helo, sizeof(tx->helo), "%s", s[2]);
	(void)snprintf(tx->sender, sizeof(tx->sender), "%s", s[3]);
	(void)snprintf(tx->params, sizeof(tx->params), "%s", s[4]);
	while (p < end && tx->nhosts < 64) {
		if ((h = wire_string(&p, end, DNS_NAME_MAX)) == NULL ||
		    !dns_hostname_valid(h, strlen(h)))
			return -1;
		if ((hosts = reallocarray(tx->hosts, tx->nhosts + 1,
		    sizeof(*hosts))) == NULL)
			return -1;
		tx->hosts = hosts;
		if ((tx->hosts[tx->nhosts] = strdup(h)) == NULL)
			return -1;
		tx->nhosts++;
	}
	return 0;
}

static void
on_rset(void *arg, struct smtp_conn *c, const struct smtp_reply *rep)
{
	struct rtx	*tx = arg;

	(void)c;
	if (rep == NULL || rep->code / 100 != 2) {
		/* gone meanwhile: a host is found anew */
		smtp_conn_free(tx->c);
		tx->c = NULL;
		tx_next_host(tx);
		return;
	}
	evtimer_del(&tx->deadline);
	tx_session(tx);
}

/*
 * A kept connection to a host of this verdict, for the same domain,
 * mode and helo: RSET says it still works.  -1: none.
 */
static int
idle_take(struct rtx *tx)
{
	struct idle	*id;
	size_t		 i;

	TAILQ_FOREACH(id, &idles, entry) {
		if (id->kind != tx->kind || strcmp(id->domain, tx->domain) != 0 ||
		    strcmp(id->helo, tx->helo) != 0)
			continue;
		for (i = 0; i < tx->nhosts; i++)
			if (strcmp(tx->hosts[i], id->host) == 0)
				break;
		if (i == tx->nhosts)
			continue;
		tx->host = tx->hosts[i];
		memcpy(tx->address, id->address, sizeof(tx->address));
		memcpy(tx->version, id->version, sizeof(tx->version));
		memcpy(tx->auth, id->auth, sizeof(tx->auth));
		(void)snprintf(tx->detail, sizeof(tx->detail), "connection "
		    "kept from the last transaction");
		tx->c = id->c;
		id->c = NULL;
		idle_free(id);
		if (smtp_conn_command(tx->c, "RSET") == -1 ||
		    smtp_conn_reply(tx->c, RSET_LIMIT, on_rset, tx) == -1) {
			smtp_conn_free(tx->c);
			tx->c = NULL;
			return -1;
		}
		return 0;
	}
	return -1;
}

static void
tx_open(struct ipc *ipc, uint32_t id, const uint8_t *p, size_t len)
{
	struct timeval	 tv = { OPEN_LIMIT, 0 };
	struct rtx	*tx;

	if ((tx = calloc(1, sizeof(*tx))) == NULL)
		return;
	tx->ipc = ipc;
	tx->id = id;
	if (rn.vr == NULL) {
		send_reply(tx, 451, "4.3.0 the relay is not set up in the "
		    "network process");
		free(tx);
		return;
	}
	TAILQ_INSERT_TAIL(&txs, tx, entry);
	rn.ntx++;
	evtimer_set(&tx->deadline, on_deadline, tx);
	event_base_set(rn.base, &tx->deadline);
	if (rn.ntx > RTX_MAX) {
		send_reply(tx, 451, "4.3.2 too many relayed transactions at "
		    "once");
		tx_free(tx);
		return;
	}
	if (open_parse(tx, p, len) == -1) {
		send_reply(tx, 451, "4.3.0 malformed relay request");
		tx_free(tx);
		return;
	}
	evtimer_add(&tx->deadline, &tv);
	if (idle_take(tx) == -1)
		tx_next_host(tx);
}

static void
on_flushed(void *arg, struct smtp_conn *c, int ok)
{
	struct rtx	*tx = arg;
	char		 n[16];

	(void)c;
	tx->flushing = 0;
	if (!ok) {
		tx_dead(tx, "sending the message");
		return;
	}
	(void)snprintf(n, sizeof(n), "%zu", tx->unacked);
	tx->unacked = 0;
	(void)ipc_send(tx->ipc, IPC_RELAY_ACK, tx->id, n, strlen(n) + 1);
	if (tx->eom) {
		tx->st = T_EOM;
		if (smtp_conn_write(tx->c, ".\r\n", 3) == -1 ||
		    smtp_conn_reply(tx->c, EOM_LIMIT, on_reply, tx) == -1)
			tx_dead(tx, "end of data");
	}
}

static void
tx_chunk(struct rtx *tx, const uint8_t *p, size_t len)
{
	if (tx->st != T_STREAM || tx->eom)
		return;		/* dead: the front was told, and drains */
	if (smtp_conn_write(tx->c, p, len) == -1) {
		tx_dead(tx, "sending the message");
		return;
	}
	tx->unacked++;
	if (!tx->flushing) {
		tx->flushing = 1;
		if (smtp_conn_flush(tx->c, CMD_LIMIT, on_flushed, tx) == -1)
			tx_dead(tx, "sending the message");
	}
}

static void
tx_eom(struct rtx *tx)
{
	if (tx->st != T_STREAM || tx->eom) {
		send_reply(tx, 451, "%s", tx->dead[0] ? tx->dead :
		    "4.3.0 end of data out of turn");
		return;
	}
	tx->eom = 1;
	if (!tx->flushing) {
		tx->flushing = 1;
		on_flushed(tx, tx->c, 1);
	}
}

/* What the front asks of a transaction it opened. */
static void
tx_step(struct rtx *tx, uint32_t type, const uint8_t *p, size_t len)
{
	char	 cmd[RELAY_LINE_MAX];

	switch (type) {
	case IPC_RELAY_RCPT:
		if (tx->st != T_IDLE)
			break;
		if (len == 0 || len >= RELAY_ADDR_MAX || p[len - 1] != '\0' ||
		    strlen((const char *)p) + 1 != len ||
		    !addr_ok((const char *)p))
			break;
		(void)snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>", p);
		tx_ask(tx, cmd, T_WAIT, CMD_LIMIT);
		return;
	case IPC_RELAY_DATA:
		if (tx->st != T_IDLE)
			break;
		tx_ask(tx, "DATA", T_WAIT, CMD_LIMIT);
		return;
	case IPC_RELAY_CHUNK:
		tx_chunk(tx, p, len);
		return;
	case IPC_RELAY_EOM:
		tx_eom(tx);
		return;
	case IPC_RELAY_CLOSE:
		/* a QUIT on its way is let go, within its time limit */
		if (tx->st == T_QUIT && tx->c != NULL)
			tx->closing = 1;
		else
			tx_free(tx);
		return;
	default:
		return;
	}
	send_reply(tx, 451, "%s", tx->dead[0] ? tx->dead :
	    "4.3.0 relay command out of turn");
}

void
relay_net_msg(struct ipc *ipc, uint32_t type, uint32_t id, const uint8_t *p,
    size_t len)
{
	struct rtx	*tx;
	struct rtx	 gone;

	if (type == IPC_RELAY_OPEN) {
		if (tx_find(id) == NULL)
			tx_open(ipc, id, p, len);
		return;
	}
	if ((tx = tx_find(id)) != NULL) {
		tx_step(tx, type, p, len);
		return;
	}
	if (type == IPC_RELAY_RCPT || type == IPC_RELAY_DATA ||
	    type == IPC_RELAY_EOM) {
		memset(&gone, 0, sizeof(gone));
		gone.ipc = ipc;
		gone.id = id;
		send_reply(&gone, 451, "4.3.0 no such relayed transaction");
	}
}
