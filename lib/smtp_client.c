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
#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tls.h>

#include "mtasts.h"

/*
 * One MX host proved as the verdict requires, on the caller's loop:
 * connect, greeting, EHLO, STARTTLS, handshake, the checks of
 * verify.c, EHLO again (RFC 3207 4.2: what was said before TLS is
 * forgotten).  Each step has the verifier's time limit (smtp_conn.c).
 * Nothing is sent in TLS before the checks have passed.
 */

struct verifier {
	struct event_base	*base;
	struct tls_config	*cfg;
	struct cert_store	*store;
	int			 step;
	char			 ehlo[DNS_NAME_MAX + 8];
};

struct verify {
	struct verifier		*vr;
	char			 host[DNS_NAME_MAX + 1];
	char			 domain[DNS_NAME_MAX + 1];
	struct sockaddr_storage	 addrs[VERIFY_ADDRS];
	size_t			 naddrs;
	enum verify_mode	 mode;
	struct dns_rec		 tlsa[VERIFY_TLSA_MAX];
	size_t			 ntlsa;
	struct smtp_conn	*c;
	char			 ehlo[DNS_NAME_MAX + 8];
	struct verify_result	 res;
	verify_cb		 cb;
	void			*arg;
};

const char *
verify_mode_name(enum verify_mode m)
{
	switch (m) {
	case VERIFY_TLS:
		return "tls";
	case VERIFY_DANE:
		return "dane";
	case VERIFY_STS:
		return "sts";
	default:
		return "opportunistic";
	}
}

/*
 * The CA file is read now, so that a later chroot or pledge needs no
 * file.  libtls is told to verify nothing: cert_check() does it all,
 * right after the handshake.  helo is the name we give in EHLO.
 */
struct verifier *
verifier_new(struct event_base *base, const char *cafile, const char *helo,
    int step, char *err, size_t errsz)
{
	struct verifier	*vr;
	uint8_t		*ca;
	size_t		 calen;

	if (cafile == NULL)
		cafile = tls_default_ca_cert_file();
	if ((vr = calloc(1, sizeof(*vr))) == NULL ||
	    (vr->cfg = tls_config_new()) == NULL) {
		free(vr);
		(void)snprintf(err, errsz, "out of memory");
		return NULL;
	}
	vr->base = base;
	vr->step = step > 0 ? step : 30;
	(void)snprintf(vr->ehlo, sizeof(vr->ehlo), "EHLO %s",
	    helo != NULL && dns_hostname_valid(helo, strlen(helo)) ? helo :
	    "localhost");
	if ((ca = tls_load_file(cafile, &calen, NULL)) == NULL) {
		(void)snprintf(err, errsz, "%s: %s", cafile, strerror(errno));
		verifier_free(vr);
		return NULL;
	}
	vr->store = cert_store_new(ca, calen, err, errsz);
	tls_unload_file(ca, calen);
	if (vr->store == NULL) {
		verifier_free(vr);
		return NULL;
	}
	tls_config_insecure_noverifycert(vr->cfg);
	tls_config_insecure_noverifyname(vr->cfg);
	tls_config_insecure_noverifytime(vr->cfg);
	if (tls_config_set_protocols(vr->cfg, TLS_PROTOCOL_TLSv1_2 |
	    TLS_PROTOCOL_TLSv1_3) == -1) {
		(void)snprintf(err, errsz, "%s", tls_config_error(vr->cfg));
		verifier_free(vr);
		return NULL;
	}
	return vr;
}

void
verifier_free(struct verifier *vr)
{
	if (vr == NULL)
		return;
	if (vr->cfg != NULL)
		tls_config_free(vr->cfg);
	cert_store_free(vr->store);
	free(vr);
}

static void
verify_free(struct verify *v)
{
	size_t	 i;

	smtp_conn_free(v->c);
	for (i = 0; i < v->ntlsa; i++)
		free(v->tlsa[i].data);
	free(v);
}

/* The end: the connection goes to the callback when the host passed. */
static void __attribute__((__format__(__printf__, 3, 4)))
verify_finish(struct verify *v, enum tlsrpt_result r, const char *fmt, ...)
{
	struct smtp_conn	*c = NULL;
	va_list			 ap;

	v->res.result = r;
	va_start(ap, fmt);
	(void)vsnprintf(v->res.reason, sizeof(v->res.reason), fmt, ap);
	va_end(ap);
	if (r == TLSRPT_OK) {
		c = v->c;
		v->c = NULL;
	}
	v->cb(v->arg, &v->res, c);
	verify_free(v);
}

static void	on_ehlo_tls(void *, struct smtp_conn *,
		    const struct smtp_reply *);
static void	on_handshake(void *, struct smtp_conn *, int);

static void
verify_ask(struct verify *v, const char *cmd, smtp_reply_cb cb)
{
	if (smtp_conn_command(v->c, cmd) == -1 ||
	    smtp_conn_reply(v->c, v->vr->step, cb, v) == -1)
		verify_finish(v, TLSRPT_TEMPORARY, "cannot send %s", cmd);
}

static void
on_starttls(void *arg, struct smtp_conn *c, const struct smtp_reply *rep)
{
	struct verify	*v = arg;

	if (rep == NULL) {
		verify_finish(v, TLSRPT_STARTTLS_NOT_SUPPORTED, "STARTTLS: %s",
		    smtp_conn_error(c));
		return;
	}
	if (rep->code != 220) {
		verify_finish(v, TLSRPT_STARTTLS_NOT_SUPPORTED, "STARTTLS "
		    "refused: %d %s", rep->code, rep->text);
		return;
	}
	if (smtp_conn_starttls(c, v->vr->cfg, v->vr->step, on_handshake,
	    v) == -1)
		verify_finish(v, TLSRPT_VALIDATION_FAILURE, "STARTTLS: %s",
		    smtp_conn_error(c));
}

static void
on_ehlo(void *arg, struct smtp_conn *c, const struct smtp_reply *rep)
{
	struct verify	*v = arg;

	if (rep == NULL) {
		verify_finish(v, TLSRPT_TEMPORARY, "EHLO: %s",
		    smtp_conn_error(c));
		return;
	}
	if (rep->code / 100 != 2) {
		/* no EHLO, no STARTTLS; a 4xx is for later */
		verify_finish(v, rep->code / 100 == 5 ?
		    TLSRPT_STARTTLS_NOT_SUPPORTED : TLSRPT_TEMPORARY,
		    "EHLO refused: %d %s", rep->code, rep->text);
		return;
	}
	smtp_conn_set_ehlo(c, rep);
	v->res.starttls = (smtp_conn_ehlo(c)->ext & SMTP_EXT_STARTTLS) != 0;
	if (v->res.starttls)
		verify_ask(v, "STARTTLS", on_starttls);
	else if (v->mode == VERIFY_OPPORTUNISTIC)
		verify_finish(v, TLSRPT_OK, "STARTTLS not offered: in the "
		    "clear");
	else
		verify_finish(v, TLSRPT_STARTTLS_NOT_SUPPORTED, "STARTTLS not "
		    "offered in the reply to EHLO");
}

static void
on_greeting(void *arg, struct smtp_conn *c, const struct smtp_reply *rep)
{
	struct verify	*v = arg;

	if (rep == NULL)
		verify_finish(v, TLSRPT_TEMPORARY, "greeting: %s",
		    smtp_conn_error(c));
	else if (rep->code != 220)
		verify_finish(v, TLSRPT_TEMPORARY, "greeting: %d %s",
		    rep->code, rep->text);
	else
		verify_ask(v, v->ehlo, on_ehlo);
}

static void
on_connected(void *arg, struct smtp_conn *c, int ok)
{
	struct verify	*v = arg;

	(void)snprintf(v->res.address, sizeof(v->res.address), "%s",
	    smtp_conn_address(c));
	if (!ok)
		verify_finish(v, TLSRPT_TEMPORARY, "%s", smtp_conn_error(c));
	else if (smtp_conn_reply(c, v->vr->step, on_greeting, v) == -1)
		verify_finish(v, TLSRPT_TEMPORARY, "cannot read the greeting");
}

/* What the mode asks of the checks; 0: passed, reason set. */
static enum tlsrpt_result
verify_judge(struct verify *v, char *why, size_t whysz)
{
	const struct cert_check	*cc = &v->res.cert;

	switch (v->mode) {
	case VERIFY_STS:
		if (cc->pkix != TLSRPT_OK) {
			(void)snprintf(why, whysz, "certificate: %s",
			    cc->pkix_why);
			return cc->pkix;
		}
		if (!cc->name_ok) {
			(void)snprintf(why, whysz, "the certificate is not "
			    "valid for %s (it names %s)", v->host,
			    cc->names[0] ? cc->names : "nothing");
			return TLSRPT_CERT_HOST_MISMATCH;
		}
		(void)snprintf(why, whysz, "certificate trusted and valid for "
		    "%s", v->host);
		return TLSRPT_OK;
	case VERIFY_DANE:
		if (cc->nusable > 0) {
			(void)snprintf(why, whysz, "%s", cc->dane_why);
			return cc->dane;
		}
		(void)snprintf(why, whysz, "no usable TLSA record: TLS "
		    "without authentication");
		return TLSRPT_OK;
	default:
		(void)snprintf(why, whysz, "TLS without authentication");
		return TLSRPT_OK;
	}
}

static void
on_handshake(void *arg, struct smtp_conn *c, int ok)
{
	struct verify		*v = arg;
	struct tls		*tls = smtp_conn_tls(c);
	const uint8_t		*pem;
	size_t			 len = 0;
	char			 why[VERIFY_REASON_MAX - 32];
	enum tlsrpt_result	 r;

	if (!ok) {
		verify_finish(v, TLSRPT_VALIDATION_FAILURE, "TLS handshake: "
		    "%s", smtp_conn_error(c));
		return;
	}
	v->res.tls = 1;
	(void)snprintf(v->res.version, sizeof(v->res.version), "%s",
	    tls_conn_version(tls) ? tls_conn_version(tls) : "?");
	(void)snprintf(v->res.cipher, sizeof(v->res.cipher), "%s",
	    tls_conn_cipher(tls) ? tls_conn_cipher(tls) : "?");
	pem = tls_peer_cert_chain_pem(tls, &len);
	v->res.have_cert = pem != NULL && cert_check(v->vr->store,
	    (const char *)pem, len, v->host, v->domain[0] ? v->domain : NULL,
	    v->tlsa, v->ntlsa, time(NULL), &v->res.cert) == 0;
	if (!v->res.have_cert && v->mode >= VERIFY_DANE) {
		verify_finish(v, TLSRPT_VALIDATION_FAILURE, "no certificate "
		    "from the server");
		return;
	}
	if ((r = verify_judge(v, why, sizeof(why))) != TLSRPT_OK) {
		verify_finish(v, r, "%s", why);
		return;
	}
	(void)snprintf(v->res.reason, sizeof(v->res.reason), "%s, %s",
	    v->res.version, why);
	verify_ask(v, v->ehlo, on_ehlo_tls);
}

static void
on_ehlo_tls(void *arg, struct smtp_conn *c, const struct smtp_reply *rep)
{
	struct verify	*v = arg;
	char		 why[VERIFY_REASON_MAX];

	if (rep == NULL || rep->code / 100 != 2) {
		verify_finish(v, TLSRPT_TEMPORARY, "EHLO in TLS: %s",
		    rep == NULL ? smtp_conn_error(c) : rep->text);
		return;
	}
	smtp_conn_set_ehlo(c, rep);
	(void)snprintf(why, sizeof(why), "%s", v->res.reason);
	verify_finish(v, TLSRPT_OK, "%s", why);
}

static int
verify_copy_tlsa(struct verify *v, const struct dns_rec *t, size_t n)
{
	size_t	 i;

	for (i = 0; i < n && i < VERIFY_TLSA_MAX; i++) {
		v->tlsa[i].len = t[i].len;
		if ((v->tlsa[i].data = malloc(t[i].len ? t[i].len : 1)) ==
		    NULL)
			return -1;
		v->ntlsa++;
		memcpy(v->tlsa[i].data, t[i].data, t[i].len);
	}
	return 0;
}

/*
 * The callback always runs later from the loop; the handle is gone
 * once it has run.  A port of 0 in an address means 25.
 */
struct verify *
verify_start(struct verifier *vr, const struct verify_req *req, verify_cb cb,
    void *arg)
{
	struct verify	*v;
	size_t		 i;

	if (req->naddrs == 0 || (v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v->vr = vr;
	v->cb = cb;
	v->arg = arg;
	v->mode = req->mode;
	if (req->helo != NULL && dns_hostname_valid(req->helo,
	    strlen(req->helo)))
		(void)snprintf(v->ehlo, sizeof(v->ehlo), "EHLO %s", req->helo);
	else
		memcpy(v->ehlo, vr->ehlo, sizeof(v->ehlo));
	(void)snprintf(v->host, sizeof(v->host), "%s", req->host);
	if (req->domain != NULL)
		(void)snprintf(v->domain, sizeof(v->domain), "%s",
		    req->domain);
	v->naddrs = req->naddrs < VERIFY_ADDRS ? req->naddrs : VERIFY_ADDRS;
	memcpy(v->addrs, req->addrs, v->naddrs * sizeof(*v->addrs));
	for (i = 0; i < v->naddrs; i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&v->addrs[i];
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&v->addrs[i];

		if (v->addrs[i].ss_family == AF_INET6 && sin6->sin6_port == 0)
			sin6->sin6_port = htons(25);
		else if (v->addrs[i].ss_family == AF_INET && sin->sin_port == 0)
			sin->sin_port = htons(25);
	}
	if (verify_copy_tlsa(v, req->tlsa, req->ntlsa) == -1 ||
	    (v->c = smtp_conn_connect(vr->base, v->host, v->addrs, v->naddrs,
	    vr->step, on_connected, v)) == NULL) {
		verify_free(v);
		return NULL;
	}
	return v;
}

void
verify_cancel(struct verify *v)
{
	if (v != NULL)
		verify_free(v);
}
