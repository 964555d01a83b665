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
 * cert_check() against every rule of RFC 7672 3 and RFC 8461 4.2 it
 * implements: certificates are made here with libcrypto, in memory, at
 * fixed times, so that dates, names and chains are exactly as each
 * case needs and nothing depends on the clock or openssl(1).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mtasts.h"
#include "regress.h"

#define NOW	1800000000LL	/* 2027-01-15 */
#define DAY	86400LL
#define PEM_MAX	16384

struct cert {
	EVP_PKEY	*key;
	X509		*x;
};

struct chain {
	char		 pem[PEM_MAX];
	size_t		 len;
};

static EVP_PKEY *
newkey(void)
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*k = NULL;

	if ((ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx,
	    NID_X9_62_prime256v1) != 1 || EVP_PKEY_keygen(ctx, &k) != 1) {
		fprintf(stderr, "key generation failed\n");
		exit(1);
	}
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static void
ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL ||
	    X509_add_ext(x, e, -1) != 1) {
		fprintf(stderr, "extension %d failed\n", nid);
		exit(1);
	}
	X509_EXTENSION_free(e);
}

/*
 * A certificate: CN cn, DNS names san (NULL: none), valid from..to
 * (days from NOW), signed by issuer (NULL: self-signed).  eku:
 * extendedKeyUsage, NULL for a CA.
 */
static struct cert
mkcert(const char *cn, const char *san, long from, long to,
    const struct cert *issuer, const char *eku)
{
	static long	 serial = 1;
	struct cert	 c;
	X509_NAME	*name;
	X509		*signer;

	c.key = newkey();
	c.x = X509_new();
	X509_set_version(c.x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c.x), serial++);
	ASN1_TIME_set(X509_getm_notBefore(c.x), (time_t)(NOW + from * DAY));
	ASN1_TIME_set(X509_getm_notAfter(c.x), (time_t)(NOW + to * DAY));
	X509_set_pubkey(c.x, c.key);
	name = X509_get_subject_name(c.x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	signer = issuer != NULL ? issuer->x : c.x;
	X509_set_issuer_name(c.x, X509_get_subject_name(signer));
	ext(c.x, signer, NID_subject_key_identifier, "hash");
	if (eku == NULL) {
		ext(c.x, signer, NID_basic_constraints, "critical,CA:TRUE");
		ext(c.x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		ext(c.x, signer, NID_basic_constraints, "critical,CA:FALSE");
		ext(c.x, signer, NID_ext_key_usage, eku);
	}
	if (issuer != NULL)
		ext(c.x, signer, NID_authority_key_identifier, "keyid:always");
	if (san != NULL)
		ext(c.x, signer, NID_subject_alt_name, san);
	if (X509_sign(c.x, issuer != NULL ? issuer->key : c.key,
	    EVP_sha256()) == 0) {
		fprintf(stderr, "signing %s failed\n", cn);
		exit(1);
	}
	return c;
}

#define LEAF(cn, san, from, to, iss)	\
	mkcert(cn, san, from, to, iss, "serverAuth")
#define CA(cn, from, to, iss)	mkcert(cn, NULL, from, to, iss, NULL)

static void
certfree(struct cert *c)
{
	X509_free(c->x);
	EVP_PKEY_free(c->key);
}

static size_t
pem_of(X509 *x, char *buf, size_t sz)
{
	BIO	*b = BIO_new(BIO_s_mem());
	char	*p;
	long	 n;

	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &p);
	if (n < 0 || (size_t)n >= sz) {
		fprintf(stderr, "PEM too large\n");
		exit(1);
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	BIO_free(b);
	return n;
}

/* The chain the server sends: the certificates given, NULL-ended. */
static struct chain *
chain_of(struct chain *ch, const struct cert *first, ...)
{
	va_list			 ap;
	const struct cert	*c;

	ch->len = 0;
	va_start(ap, first);
	for (c = first; c != NULL; c = va_arg(ap, const struct cert *))
		ch->len += pem_of(c->x, ch->pem + ch->len,
		    sizeof(ch->pem) - ch->len);
	va_end(ap);
	return ch;
}

static struct cert_store *
store_of(const struct cert *ca)
{
	char			 pem[PEM_MAX], err[STS_ERR_MAX];
	size_t			 n = pem_of(ca->x, pem, sizeof(pem));
	struct cert_store	*cs;

	if ((cs = cert_store_new((const uint8_t *)pem, n, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "CA store: %s\n", err);
		exit(1);
	}
	return cs;
}

/* A TLSA record for x: usage, selector, matching type. */
struct tlsa {
	uint8_t		 rd[3 + 2048];
	struct dns_rec	 rec;
};

static const struct dns_rec *
tlsa_of(struct tlsa *t, int u, int s, int m, X509 *x)
{
	unsigned char	*der = NULL;
	unsigned int	 mdlen;
	int		 n;

	n = s == 0 ? i2d_X509(x, &der) :
	    i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	t->rd[0] = u;
	t->rd[1] = s;
	t->rd[2] = m;
	if (m == 0) {
		memcpy(t->rd + 3, der, n);
		t->rec.len = 3 + n;
	} else {
		EVP_Digest(der, n, t->rd + 3, &mdlen, m == 1 ? EVP_sha256() :
		    EVP_sha512(), NULL);
		t->rec.len = 3 + mdlen;
	}
	OPENSSL_free(der);
	memset(&t->rec, 0, offsetof(struct dns_rec, data));
	t->rec.type = DNS_T_TLSA;
	t->rec.data = t->rd;
	return &t->rec;
}

/* Association data that matches nothing, of the right length. */
static const struct dns_rec *
tlsa_junk(struct tlsa *t, int u, int s, int m)
{
	t->rd[0] = u;
	t->rd[1] = s;
	t->rd[2] = m;
	memset(t->rd + 3, 0x5a, m == 2 ? 64 : 32);
	memset(&t->rec, 0, sizeof(t->rec));
	t->rec.type = DNS_T_TLSA;
	t->rec.data = t->rd;
	t->rec.len = 3 + (m == 2 ? 64 : 32);
	return &t->rec;
}

static struct dns_rec	 rrset[8];
static size_t		 nrr;

static void
rr_add(const struct dns_rec *r)
{
	rrset[nrr++] = *r;
}

static struct cert_check	 cc;
static struct cert_store	*store;

static int
check(const struct chain *ch, const char *host, const char *domain)
{
	int	 r;

	r = cert_check(store, ch->pem, ch->len, host, domain, rrset, nrr,
	    NOW, &cc);
	if (r == -1)
		regress_diag("cert_check: no chain");
	return r;
}

#define DANE(want, name)	do {					\
	int ok_ = cc.nusable > 0 && cc.dane == (want);			\
	regress_check(ok_, "%s", name);					\
	if (!ok_)							\
		regress_diag("dane %s (usable %zu): %s",		\
		    tlsrpt_result_name(cc.dane), cc.nusable, cc.dane_why); \
} while (0)

#define PKIX(want, name)	do {					\
	int ok_ = cc.pkix == (want);					\
	regress_check(ok_, "%s", name);					\
	if (!ok_)							\
		regress_diag("pkix %s: %s", tlsrpt_result_name(cc.pkix), \
		    cc.pkix_why);					\
} while (0)

static struct cert	 ca, other_ca, dane_ca, inter;
static struct chain	 ch;
static struct tlsa	 t1, t2;

static void
dane_ee(void)
{
	struct cert	 self, expired, named;

	self = LEAF("mx.ee.test", "DNS:mx.ee.test", -10, 80, NULL);
	expired = LEAF("mx.ee.test", "DNS:mx.ee.test", -30, -1, NULL);
	named = LEAF("other.test", "DNS:other.test", -10, 80, &ca);
	chain_of(&ch, &self, NULL);

	nrr = 0;
	rr_add(tlsa_of(&t1, 3, 1, 1, self.x));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_OK, "RFC 7672 3.1.1 DANE-EE 3 1 1: SPKI SHA2-256 "
	    "matches a self-signed leaf");
	regress_check(cc.dane_match == 0, "DANE-EE: the matching record is "
	    "named");
	PKIX(TLSRPT_CERT_NOT_TRUSTED, "PKIX of the same self-signed leaf: "
	    "certificate-not-trusted");

	nrr = 0;
	rr_add(tlsa_of(&t1, 3, 0, 1, self.x));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_OK, "RFC 7672 3.1.1 DANE-EE 3 0 1: certificate SHA2-256");
	nrr = 0;
	rr_add(tlsa_of(&t1, 3, 1, 2, self.x));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_OK, "RFC 6698 2.1.3 DANE-EE 3 1 2: SPKI SHA2-512");
	nrr = 0;
	rr_add(tlsa_of(&t1, 3, 0, 2, self.x));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_OK, "RFC 6698 2.1.3 DANE-EE 3 0 2: certificate SHA2-512");
	nrr = 0;
	rr_add(tlsa_of(&t1, 3, 1, 0, self.x));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_OK, "RFC 6698 2.1.3 DANE-EE 3 1 0: the whole SPKI DER");
	nrr = 0;
	rr_add(tlsa_of(&t1, 3, 0, 0, self.x));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_OK, "RFC 6698 2.1.3 DANE-EE 3 0 0: the whole certificate");

	nrr = 0;
	rr_add(tlsa_junk(&t1, 3, 1, 1));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_TLSA_INVALID, "RFC 7672 3.2 DANE-EE record for another "
	    "key: tlsa-invalid");
	regress_check(cc.dane_match == -1, "no match: no record named");

	/* RFC 7672 3.1.1: neither dates nor names with DANE-EE. */
	chain_of(&ch, &expired, NULL);
	nrr = 0;
	rr_add(tlsa_of(&t1, 3, 1, 1, expired.x));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_OK, "RFC 7672 3.1.1 DANE-EE: an expired leaf passes");
	PKIX(TLSRPT_CERT_NOT_TRUSTED, "PKIX of the expired self-signed leaf "
	    "fails");
	chain_of(&ch, &named, &ca, NULL);
	nrr = 0;
	rr_add(tlsa_of(&t1, 3, 1, 1, named.x));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_OK, "RFC 7672 3.2.1 DANE-EE: a leaf for another name "
	    "passes (no name checks)");
	regress_check(!cc.name_ok && cc.pkix == TLSRPT_OK, "the same leaf: "
	    "PKIX trusted, but not valid for the MX host name");

	/* RFC 7671 9: the strongest digest of a usage and selector rules. */
	chain_of(&ch, &self, NULL);
	nrr = 0;
	rr_add(tlsa_of(&t1, 3, 1, 1, self.x));
	rr_add(tlsa_junk(&t2, 3, 1, 2));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_TLSA_INVALID, "RFC 7671 9 digest agility: 3 1 1 matches "
	    "but 3 1 2 is present and does not: tlsa-invalid");
	regress_check(cc.nusable == 1, "RFC 7671 9: the weaker 3 1 1 is not "
	    "used (%zu usable)", cc.nusable);
	nrr = 0;
	rr_add(tlsa_junk(&t1, 3, 1, 1));
	rr_add(tlsa_of(&t2, 3, 1, 2, self.x));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_OK, "RFC 7671 9: 3 1 2 matches, a stale 3 1 1 is "
	    "ignored");
	nrr = 0;
	rr_add(tlsa_junk(&t1, 3, 1, 2));
	rr_add(tlsa_of(&t2, 3, 0, 1, self.x));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_OK, "RFC 7671 9: agility is per selector: 3 0 1 still "
	    "counts beside 3 1 2");
	nrr = 0;
	rr_add(tlsa_junk(&t1, 3, 1, 2));
	rr_add(tlsa_of(&t2, 3, 1, 0, self.x));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_OK, "RFC 7671 9: a full (0) record counts beside the "
	    "strongest digest");

	/* RFC 7672 3.1.3: PKIX-TA(0), PKIX-EE(1) are unusable. */
	nrr = 0;
	rr_add(tlsa_of(&t1, 0, 0, 1, ca.x));
	rr_add(tlsa_of(&t2, 1, 1, 1, self.x));
	check(&ch, "mx.ee.test", NULL);
	regress_check(cc.ntlsa == 2 && cc.nusable == 0, "RFC 7672 3.1.3 "
	    "usages 0 and 1 only: nothing usable (TLS without "
	    "authentication)");
	nrr = 0;
	rr_add(tlsa_of(&t1, 1, 1, 1, self.x));
	rr_add(tlsa_of(&t2, 3, 1, 1, self.x));
	check(&ch, "mx.ee.test", NULL);
	DANE(TLSRPT_OK, "RFC 7672 2.2 usable records among unusable ones "
	    "authenticate");

	certfree(&self);
	certfree(&expired);
	certfree(&named);
}

static void
dane_ta(void)
{
	struct cert	 leaf, apex, wrong, old, foreign, deep, selfleaf;

	leaf = LEAF("mx.ta.test", "DNS:mx.ta.test", -10, 80, &dane_ca);
	apex = LEAF("ta.test", "DNS:ta.test", -10, 80, &dane_ca);
	wrong = LEAF("mx.other.test", "DNS:mx.other.test", -10, 80, &dane_ca);
	old = LEAF("mx.ta.test", "DNS:mx.ta.test", -30, -1, &dane_ca);
	foreign = LEAF("mx.ta.test", "DNS:mx.ta.test", -10, 80, &other_ca);
	deep = LEAF("mx.ta.test", "DNS:mx.ta.test", -10, 80, &inter);
	selfleaf = LEAF("mx.ta.test", "DNS:mx.ta.test", -10, 80, NULL);

	nrr = 0;
	rr_add(tlsa_of(&t1, 2, 1, 1, dane_ca.x));
	check(chain_of(&ch, &leaf, &dane_ca, NULL), "mx.ta.test", "ta.test");
	DANE(TLSRPT_OK, "RFC 7672 3.1.2 DANE-TA 2 1 1: the chain sent leads "
	    "to the CA the record names");
	PKIX(TLSRPT_CERT_NOT_TRUSTED, "the private CA is not in the CA store: "
	    "PKIX untrusted");
	nrr = 0;
	rr_add(tlsa_of(&t1, 2, 0, 1, dane_ca.x));
	check(&ch, "mx.ta.test", NULL);
	DANE(TLSRPT_OK, "DANE-TA 2 0 1: the CA certificate's digest");

	nrr = 0;
	rr_add(tlsa_of(&t1, 2, 1, 1, dane_ca.x));
	check(chain_of(&ch, &apex, &dane_ca, NULL), "mx.ta.test", "ta.test");
	DANE(TLSRPT_OK, "RFC 7672 3.2.2 DANE-TA: a leaf for the next-hop "
	    "domain passes when the domain is given");
	check(&ch, "mx.ta.test", NULL);
	DANE(TLSRPT_CERT_HOST_MISMATCH, "RFC 7672 3.2.2 the same leaf with "
	    "the MX host alone (insecure MX): certificate-host-mismatch");
	check(chain_of(&ch, &wrong, &dane_ca, NULL), "mx.ta.test", "ta.test");
	DANE(TLSRPT_CERT_HOST_MISMATCH, "RFC 7672 3.2.3 DANE-TA: a leaf for "
	    "another name: certificate-host-mismatch");
	check(chain_of(&ch, &old, &dane_ca, NULL), "mx.ta.test", "ta.test");
	DANE(TLSRPT_CERT_EXPIRED, "RFC 7672 3.1.2 DANE-TA checks dates: an "
	    "expired leaf: certificate-expired");

	check(chain_of(&ch, &leaf, NULL), "mx.ta.test", "ta.test");
	DANE(TLSRPT_TLSA_INVALID, "RFC 7671 5.2.2 DANE-TA 2 1 1 whose CA is "
	    "not sent: tlsa-invalid");
	nrr = 0;
	rr_add(tlsa_of(&t1, 2, 0, 0, dane_ca.x));
	check(&ch, "mx.ta.test", "ta.test");
	DANE(TLSRPT_OK, "RFC 7672 3.1.2 DANE-TA 2 0 0: the anchor from DNS "
	    "when the server does not send it");

	nrr = 0;
	rr_add(tlsa_of(&t1, 2, 1, 1, dane_ca.x));
	check(chain_of(&ch, &foreign, &dane_ca, NULL), "mx.ta.test", NULL);
	DANE(TLSRPT_CERT_NOT_TRUSTED, "DANE-TA: the named CA is sent, but the "
	    "leaf is another CA's: certificate-not-trusted");

	nrr = 0;
	rr_add(tlsa_of(&t1, 2, 1, 1, inter.x));
	check(chain_of(&ch, &deep, &inter, &dane_ca, NULL), "mx.ta.test",
	    NULL);
	DANE(TLSRPT_OK, "RFC 7671 5.2 DANE-TA naming an intermediate: a "
	    "partial chain is enough");

	nrr = 0;
	rr_add(tlsa_of(&t1, 2, 1, 1, selfleaf.x));
	check(chain_of(&ch, &selfleaf, NULL), "mx.ta.test", NULL);
	DANE(TLSRPT_TLSA_INVALID, "DANE-TA matching only the leaf: not an "
	    "anchor (tlsa-invalid)");

	nrr = 0;
	rr_add(tlsa_junk(&t1, 3, 1, 1));
	rr_add(tlsa_of(&t2, 2, 1, 1, dane_ca.x));
	check(chain_of(&ch, &leaf, &dane_ca, NULL), "mx.ta.test", NULL);
	DANE(TLSRPT_OK, "RFC 7672 3.1 DANE-EE and DANE-TA records: either "
	    "may authenticate");

	certfree(&leaf);
	certfree(&apex);
	certfree(&wrong);
	certfree(&old);
	certfree(&foreign);
	certfree(&deep);
	certfree(&selfleaf);
}

static void
pkix(void)
{
	struct cert	 good, wild, cnonly, cnsan, old, young, client,
			 untrusted;

	good = LEAF("mx.sts.test", "DNS:mx.sts.test,DNS:mx2.sts.test", -10,
	    80, &ca);
	wild = LEAF("wild", "DNS:*.sts.test", -10, 80, &ca);
	cnonly = LEAF("mx.sts.test", NULL, -10, 80, &ca);
	cnsan = LEAF("mx.sts.test", "DNS:other.sts.test", -10, 80, &ca);
	old = LEAF("mx.sts.test", "DNS:mx.sts.test", -30, -1, &ca);
	young = LEAF("mx.sts.test", "DNS:mx.sts.test", 1, 80, &ca);
	client = mkcert("mx.sts.test", "DNS:mx.sts.test", -10, 80, &ca,
	    "clientAuth");
	untrusted = LEAF("mx.sts.test", "DNS:mx.sts.test", -10, 80,
	    &other_ca);

	nrr = 0;
	check(chain_of(&ch, &good, NULL), "mx.sts.test", NULL);
	PKIX(TLSRPT_OK, "RFC 8461 4.2 a leaf under a trusted CA, the CA not "
	    "sent: trusted");
	regress_check(cc.name_ok, "RFC 8461 4.2 the MX host name is a DNS-ID "
	    "of the leaf");
	regress_check(cc.not_after == NOW + 80 * DAY &&
	    cc.not_before == NOW - 10 * DAY, "the leaf's dates are read");
	regress_check(strcmp(cc.names, "mx.sts.test, mx2.sts.test") == 0,
	    "the leaf's names are listed: %s", cc.names);
	regress_check(cc.ntlsa == 0 && cc.nusable == 0, "no TLSA given: no "
	    "DANE facet");
	check(&ch, "mx2.sts.test", NULL);
	regress_check(cc.name_ok, "the second DNS-ID matches too");
	check(&ch, "mx3.sts.test", NULL);
	regress_check(!cc.name_ok, "RFC 8461 4.2 a name the leaf does not "
	    "carry: no match");

	check(chain_of(&ch, &wild, NULL), "a.sts.test", NULL);
	regress_check(cc.name_ok, "RFC 6125 6.4.3 *.sts.test matches "
	    "a.sts.test");
	check(&ch, "a.b.sts.test", NULL);
	regress_check(!cc.name_ok, "RFC 6125 6.4.3 *.sts.test does not "
	    "match a.b.sts.test");
	check(&ch, "sts.test", NULL);
	regress_check(!cc.name_ok, "*.sts.test does not match sts.test");

	check(chain_of(&ch, &cnonly, NULL), "mx.sts.test", NULL);
	regress_check(cc.name_ok, "RFC 6125 6.4.4 no DNS-ID: the CN counts");
	regress_check(strcmp(cc.names, "CN=mx.sts.test") == 0, "no DNS-ID: "
	    "the CN is listed: %s", cc.names);
	check(chain_of(&ch, &cnsan, NULL), "mx.sts.test", NULL);
	regress_check(!cc.name_ok, "RFC 6125 6.4.4 with a DNS-ID the CN is "
	    "ignored");

	check(chain_of(&ch, &old, NULL), "mx.sts.test", NULL);
	PKIX(TLSRPT_CERT_EXPIRED, "RFC 8461 4.2 expired leaf: "
	    "certificate-expired");
	check(chain_of(&ch, &young, NULL), "mx.sts.test", NULL);
	PKIX(TLSRPT_VALIDATION_FAILURE, "a leaf not yet valid: "
	    "validation-failure");
	check(chain_of(&ch, &untrusted, &other_ca, NULL), "mx.sts.test",
	    NULL);
	PKIX(TLSRPT_CERT_NOT_TRUSTED, "RFC 8461 4.2 a chain to a CA not in "
	    "the store: certificate-not-trusted");
	check(chain_of(&ch, &client, NULL), "mx.sts.test", NULL);
	PKIX(TLSRPT_VALIDATION_FAILURE, "a leaf only for TLS clients: "
	    "validation-failure");

	regress_check(cert_check(store, "junk", 4, "mx.sts.test", NULL, NULL,
	    0, NOW, &cc) == -1, "no certificate in the PEM: -1");

	certfree(&good);
	certfree(&wild);
	certfree(&cnonly);
	certfree(&cnsan);
	certfree(&old);
	certfree(&young);
	certfree(&client);
	certfree(&untrusted);
}

int
main(void)
{
	ca = CA("test CA", -100, 3650, NULL);
	other_ca = CA("other CA", -100, 3650, NULL);
	dane_ca = CA("private DANE CA", -100, 3650, NULL);
	inter = CA("DANE intermediate", -100, 3650, &dane_ca);
	store = store_of(&ca);

	dane_ee();
	dane_ta();
	pkix();

	cert_store_free(store);
	certfree(&ca);
	certfree(&other_ca);
	certfree(&dane_ca);
	certfree(&inter);
	return regress_exit();
}
