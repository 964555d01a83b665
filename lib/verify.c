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



#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mtasts.h"

/*
 * The checks of a server's certificate chain, with libcrypto, the
 * library under libtls (LibreSSL's on OpenBSD, OpenSSL's elsewhere):
 * libtls has no DANE, and its verification says what went wrong in a
 * sentence where TLS reporting needs the kind of failure (RFC 8460
 * 4.3).  Only functions that both libraries have are used.
 *
 * Verification errors are collected, not fatal: the callback lets the
 * chain building go on, so one run sees an untrusted issuer and an
 * expired leaf alike, and the most telling one is reported.
 */

struct cert_store {
	X509_STORE	*store;
};

/* The first error of each kind seen while verifying, and its depth. */
struct verrs {
	int		 err[3];
	int		 depth[3];
};

enum { V_UNTRUSTED, V_EXPIRED, V_OTHER };

struct cert_store *
cert_store_new(const uint8_t *pem, size_t len, char *err, size_t errsz)
{
	struct cert_store	*cs;
	BIO			*bio;
	X509			*x;
	size_t			 n = 0;

	if (len > INT_MAX || (cs = calloc(1, sizeof(*cs))) == NULL) {
		(void)snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if ((cs->store = X509_STORE_new()) == NULL ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		(void)snprintf(err, errsz, "out of memory");
		cert_store_free(cs);
		return NULL;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		/* a duplicate is refused by older libraries: no matter */
		(void)X509_STORE_add_cert(cs->store, x);
		X509_free(x);
		n++;
	}
	BIO_free(bio);
	ERR_clear_error();	/* the end of the PEM data */
	if (n == 0) {
		(void)snprintf(err, errsz, "no certificate in the CA file");
		cert_store_free(cs);
		return NULL;
	}
	return cs;
}

void
cert_store_free(struct cert_store *cs)
{
	if (cs == NULL)
		return;
	X509_STORE_free(cs->store);
	free(cs);
}

static size_t
chain_parse(const char *pem, size_t len, X509 **chain)
{
	BIO	*bio;
	size_t	 n = 0;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return 0;
	while (n < CERT_CHAIN_MAX &&
	    (chain[n] = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		n++;
	BIO_free(bio);
	ERR_clear_error();
	return n;
}

static void
chain_free(X509 **chain, size_t n)
{
	while (n > 0)
		X509_free(chain[--n]);
}

static int
verrs_kind(int e)
{
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return V_EXPIRED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
		return V_UNTRUSTED;
	default:
		return V_OTHER;
	}
}

static int
verify_collect(int ok, X509_STORE_CTX *ctx)
{
	struct verrs	*v = X509_STORE_CTX_get_app_data(ctx);
	int		 e, k;

	if (!ok && v != NULL) {
		e = X509_STORE_CTX_get_error(ctx);
		k = verrs_kind(e);
		if (v->err[k] == X509_V_OK) {
			v->err[k] = e;
			v->depth[k] = X509_STORE_CTX_get_error_depth(ctx);
		}
	}
	return 1;
}

/*
 * The leaf's chain to the store's anchors at time now, as a TLS server
 * certificate.  partial: an anchor need not be self-signed (DANE-TA).
 */
static enum tlsrpt_result
chain_verify(X509_STORE *store, X509 **chain, size_t n, int partial,
    int64_t now, char *why, size_t whysz)
{
	static const enum tlsrpt_result kinds[] = {
		TLSRPT_CERT_NOT_TRUSTED, TLSRPT_CERT_EXPIRED,
		TLSRPT_VALIDATION_FAILURE
	};
	X509_STORE_CTX		*ctx = NULL;
	X509_VERIFY_PARAM	*param;
	STACK_OF(X509)		*untrusted;
	struct verrs		 v;
	size_t			 i;
	int			 k, r = 0;

	memset(&v, 0, sizeof(v));
	if ((untrusted = sk_X509_new_null()) == NULL)
		goto done;
	for (i = 1; i < n; i++)
		if (sk_X509_push(untrusted, chain[i]) == 0)
			goto done;
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, store, chain[0], untrusted) != 1)
		goto done;
	X509_STORE_CTX_set_verify_cb(ctx, verify_collect);
	X509_STORE_CTX_set_app_data(ctx, &v);
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, (time_t)now);
	X509_VERIFY_PARAM_set_depth(param, CERT_CHAIN_MAX);
	if (partial)
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	r = X509_verify_cert(ctx);
	if (r != 1 && v.err[V_UNTRUSTED] == X509_V_OK &&
	    v.err[V_EXPIRED] == X509_V_OK && v.err[V_OTHER] == X509_V_OK)
		v.err[V_OTHER] = X509_STORE_CTX_get_error(ctx);
 done:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);	/* the certificates are the chain's */
	ERR_clear_error();
	if (ctx == NULL || r < 0) {
		(void)snprintf(why, whysz, "cannot verify: out of memory");
		return TLSRPT_VALIDATION_FAILURE;
	}
	for (k = V_UNTRUSTED; k <= V_OTHER; k++) {
		if (v.err[k] == X509_V_OK)
			continue;
		(void)snprintf(why, whysz, "%s (depth %d)",
		    X509_verify_cert_error_string(v.err[k]), v.depth[k]);
		return kinds[k];
	}
	(void)snprintf(why, whysz, "chain verified");
	return TLSRPT_OK;
}

/* RFC 6125 DNS-ID, the CN only without one, "*." a whole label. */
static int
name_ok(X509 *x, const char *name)
{
	return name != NULL && *name != '\0' && X509_check_host(x, name,
	    strlen(name), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
}

static void
names_add(char *buf, size_t sz, const char *prefix, const unsigned char *s,
    int len)
{
	char	 q[64];
	size_t	 used = strlen(buf);

	if (len < 0 || (used > 0 && buf[used - 1] == '.'))
		return;
	sts_quote(q, sizeof(q), (const char *)s, (size_t)len);
	if (used + strlen(q) + strlen(prefix) + 3 < sz)
		(void)snprintf(buf + used, sz - used, "%s%s%s",
		    used ? ", " : "", prefix, q);
	else if (used + 5 < sz)
		(void)snprintf(buf + used, sz - used, " ...");
}

/* For messages: the DNS names of the leaf, else its CN. */
static void
cert_names(X509 *x, char *buf, size_t sz)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*g;
	X509_NAME		*subj;
	X509_NAME_ENTRY		*ent;
	ASN1_STRING		*s;
	int			 i;

	buf[0] = '\0';
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_DNS)
			continue;
		s = g->d.dNSName;
		names_add(buf, sz, "", ASN1_STRING_get0_data(s),
		    ASN1_STRING_length(s));
	}
	GENERAL_NAMES_free(gens);
	if (buf[0] != '\0' || (subj = X509_get_subject_name(x)) == NULL ||
	    (i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1)) < 0 ||
	    (ent = X509_NAME_get_entry(subj, i)) == NULL)
		return;
	s = X509_NAME_ENTRY_get_data(ent);
	names_add(buf, sz, "CN=", ASN1_STRING_get0_data(s),
	    ASN1_STRING_length(s));
}

static int64_t
asn1_time(const ASN1_TIME *t)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* The DER the selector names: the whole certificate, or its SPKI. */
static int
tlsa_der(X509 *x, int selector, unsigned char **der)
{
	*der = NULL;
	if (selector == TLSA_CERT)
		return i2d_X509(x, der);
	return i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), der);
}

static int
tlsa_match(X509 *x, const uint8_t *rd, size_t len)
{
	unsigned char	*der, md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	const EVP_MD	*alg;
	int		 n, r = 0;

	if ((n = tlsa_der(x, rd[1], &der)) <= 0) {
		ERR_clear_error();
		return 0;
	}
	if (rd[2] == TLSA_FULL)
		r = (size_t)n == len - 3 && memcmp(der, rd + 3, n) == 0;
	else {
		alg = rd[2] == TLSA_SHA256 ? EVP_sha256() : EVP_sha512();
		r = EVP_Digest(der, n, md, &mdlen, alg, NULL) == 1 &&
		    mdlen == len - 3 && memcmp(md, rd + 3, mdlen) == 0;
	}
	OPENSSL_free(der);
	return r;
}

/*
 * RFC 7672 3.1.3, RFC 6698 4.1: usable records only; RFC 7671 9:
 * for each usage and selector, the full records and those of the
 * strongest digest there, so that SHA2-512 cannot be undercut by a
 * SHA2-256 record of the same kind.
 */
static size_t
tlsa_usable(const struct dns_rec *t, size_t n, int *use)
{
	int	 best[2][2] = { { 0, 0 }, { 0, 0 } };
	int	*b;
	size_t	 i, nuse = 0;

	for (i = 0; i < n; i++) {
		if (!(use[i] = dane_tlsa_usable(t[i].data, t[i].len)))
			continue;
		b = &best[t[i].data[0] - TLSA_DANE_TA][t[i].data[1]];
		if (t[i].data[2] > *b)
			*b = t[i].data[2];
	}
	for (i = 0; i < n; i++) {
		if (!use[i])
			continue;
		b = &best[t[i].data[0] - TLSA_DANE_TA][t[i].data[1]];
		if (t[i].data[2] != TLSA_FULL && t[i].data[2] != *b)
			use[i] = 0;
		nuse += use[i];
	}
	return nuse;
}

/*
 * DANE-TA(2): ta is the one trust anchor; the chain must lead to it,
 * in date, and the leaf be valid for a reference identifier (RFC 7672
 * 3.2.2: the TLSA base domain, the MX host; the next-hop domain too
 * when the caller gives it, as for a secure MX RRset).
 */
static enum tlsrpt_result
ta_verify(X509 *ta, X509 **chain, size_t n, const char *host,
    const char *domain, int64_t now, char *why, size_t whysz)
{
	X509_STORE		*store;
	enum tlsrpt_result	 r;

	if ((store = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(store, ta) != 1) {
		X509_STORE_free(store);
		(void)snprintf(why, whysz, "cannot verify: out of memory");
		return TLSRPT_VALIDATION_FAILURE;
	}
	r = chain_verify(store, chain, n, 1, now, why, whysz);
	X509_STORE_free(store);
	if (r != TLSRPT_OK)
		return r;
	if (name_ok(chain[0], host) || name_ok(chain[0], domain))
		return TLSRPT_OK;
	(void)snprintf(why, whysz, "the certificate is valid for neither "
	    "%s%s%s", host, domain != NULL ? " nor " : "",
	    domain != NULL ? domain : "");
	return TLSRPT_CERT_HOST_MISMATCH;
}

/* A DANE-TA record's anchor: in the chain (not the leaf), or "2 0 0". */
static enum tlsrpt_result
dane_ta(const uint8_t *rd, size_t len, X509 **chain, size_t n,
    const char *host, const char *domain, int64_t now, char *why,
    size_t whysz, int *matched)
{
	const unsigned char	*p;
	X509			*ta;
	enum tlsrpt_result	 r = TLSRPT_TLSA_INVALID;
	size_t			 d;

	for (d = 1; d < n; d++) {
		if (!tlsa_match(chain[d], rd, len))
			continue;
		*matched = 1;
		if ((r = ta_verify(chain[d], chain, n, host, domain, now, why,
		    whysz)) == TLSRPT_OK)
			return r;
	}
	if (*matched || rd[1] != TLSA_CERT || rd[2] != TLSA_FULL)
		return r;
	p = rd + 3;
	if ((ta = d2i_X509(NULL, &p, len - 3)) == NULL) {
		ERR_clear_error();
		return r;
	}
	*matched = 1;
	r = ta_verify(ta, chain, n, host, domain, now, why, whysz);
	X509_free(ta);
	return r;
}

static void
dane_check(struct cert_check *cc, X509 **chain, size_t n, const char *host,
    const char *domain, const struct dns_rec *t, size_t nt, int64_t now)
{
	int			 use[VERIFY_TLSA_MAX], matched = 0, m;
	char			 why[STS_ERR_MAX];
	enum tlsrpt_result	 r;
	size_t			 i;

	if (nt > VERIFY_TLSA_MAX)
		nt = VERIFY_TLSA_MAX;
	cc->ntlsa = nt;
	if ((cc->nusable = tlsa_usable(t, nt, use)) == 0)
		return;
	cc->dane = TLSRPT_TLSA_INVALID;
	(void)snprintf(cc->dane_why, sizeof(cc->dane_why), "no usable TLSA "
	    "record matches the certificate chain");
	for (i = 0; i < nt; i++) {
		if (!use[i] || t[i].data[0] != TLSA_DANE_EE ||
		    !tlsa_match(chain[0], t[i].data, t[i].len))
			continue;
		cc->dane = TLSRPT_OK;
		cc->dane_match = i;
		(void)snprintf(cc->dane_why, sizeof(cc->dane_why), "DANE-EE "
		    "record %zu matches the certificate", i + 1);
		return;
	}
	for (i = 0; i < nt; i++) {
		if (!use[i] || t[i].data[0] != TLSA_DANE_TA)
			continue;
		m = 0;
		r = dane_ta(t[i].data, t[i].len, chain, n, host, domain, now,
		    why, sizeof(why), &m);
		if (r == TLSRPT_OK) {
			cc->dane = TLSRPT_OK;
			cc->dane_match = i;
			(void)snprintf(cc->dane_why, sizeof(cc->dane_why),
			    "DANE-TA record %zu: the chain leads to its trust "
			    "anchor and the name matches", i + 1);
			return;
		}
		/* the first anchor found tells why it did not do */
		if (m && !matched) {
			matched = 1;
			cc->dane = r;
			(void)snprintf(cc->dane_why, sizeof(cc->dane_why),
			    "DANE-TA record %zu: %s", i + 1, why);
		}
	}
}

int
cert_check(const struct cert_store *cs, const char *pem, size_t len,
    const char *host, const char *domain, const struct dns_rec *tlsa,
    size_t ntlsa, int64_t now, struct cert_check *cc)
{
	X509	*chain[CERT_CHAIN_MAX];
	size_t	 n;

	memset(cc, 0, sizeof(*cc));
	cc->dane_match = -1;
	cc->pkix = cc->dane = TLSRPT_VALIDATION_FAILURE;
	if ((n = chain_parse(pem, len, chain)) == 0) {
		(void)snprintf(cc->pkix_why, sizeof(cc->pkix_why), "no "
		    "certificate from the server");
		return -1;
	}
	cc->nchain = n;
	cc->not_before = asn1_time(X509_get0_notBefore(chain[0]));
	cc->not_after = asn1_time(X509_get0_notAfter(chain[0]));
	cert_names(chain[0], cc->names, sizeof(cc->names));
	if (cs != NULL)
		cc->pkix = chain_verify(cs->store, chain, n, 0, now,
		    cc->pkix_why, sizeof(cc->pkix_why));
	else {
		cc->pkix = TLSRPT_CERT_NOT_TRUSTED;
		(void)snprintf(cc->pkix_why, sizeof(cc->pkix_why), "no CA "
		    "store");
	}
	cc->name_ok = name_ok(chain[0], host);
	if (ntlsa > 0)
		dane_check(cc, chain, n, host, domain, tlsa, ntlsa, now);
	chain_free(chain, n);
	return 0;
}
