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
 * Usable TLSA records for SMTP: dane_tlsa_usable() and
 * dane_count_usable() against rules R2.7.1-R2.7.3 and R2.7.5 of the
 * digest (RFC 6698 4.1, RFC 7672 3.1.3, RFC 7671 9).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "regress.h"

#define DATA_MAX	2048
#define FILL		0xab

/* What the association data holds. */
enum blob {
	B_FILL,		/* FILL bytes, as a digest */
	B_DER,		/* a DER SEQUENCE, its length right */
	B_NOTSEQ,	/* a DER OCTET STRING, its length right */
	B_DER_SHORT,	/* a SEQUENCE claiming one byte more than present */
	B_DER_LONG	/* a SEQUENCE followed by one more byte */
};

struct tlsa_test {
	const char	*name;
	uint8_t		 usage;
	uint8_t		 selector;
	uint8_t		 mtype;
	size_t		 dlen;		/* association data bytes */
	enum blob	 blob;
	int		 usable;
};

#define U(n, u, s, m, l, b)	{ n, u, s, m, l, B_##b, 1 }
#define X(n, u, s, m, l, b)	{ n, u, s, m, l, B_##b, 0 }

static const struct tlsa_test tests[] = {
	/* R2.7.2, R2.7.3: DANE-TA(2), DANE-EE(3); Cert, SPKI; 0, 1, 2. */
	U("RFC 7672 3.1.3 3 1 1 with a 32-byte digest is usable",
	    3, 1, 1, 32, FILL),
	U("RFC 7672 3.1.3 3 0 1 with a 32-byte digest is usable",
	    3, 0, 1, 32, FILL),
	U("RFC 7672 3.1.3 2 1 1 with a 32-byte digest is usable",
	    2, 1, 1, 32, FILL),
	U("RFC 7672 3.1.3 2 0 1 with a 32-byte digest is usable",
	    2, 0, 1, 32, FILL),
	U("RFC 7672 3.1.3 3 1 2 with a 64-byte digest is usable",
	    3, 1, 2, 64, FILL),
	U("RFC 7672 3.1.3 3 0 2 with a 64-byte digest is usable",
	    3, 0, 2, 64, FILL),
	U("RFC 7672 3.1.3 2 1 2 with a 64-byte digest is usable",
	    2, 1, 2, 64, FILL),
	U("RFC 7672 3.1.3 2 0 2 with a 64-byte digest is usable",
	    2, 0, 2, 64, FILL),
	U("RFC 6698 4.1 3 1 0 with a DER SPKI (short length) is usable",
	    3, 1, 0, 91, DER),
	U("RFC 6698 4.1 3 0 0 with a DER certificate (2-byte length) is usable",
	    3, 0, 0, 1200, DER),
	U("RFC 6698 4.1 2 0 0 with a DER certificate (1-byte length) is usable",
	    2, 0, 0, 200, DER),
	U("RFC 6698 4.1 2 1 0 with a DER SPKI is usable", 2, 1, 0, 294, DER),
	U("RFC 6698 4.1 3 1 0 with an empty SEQUENCE (30 00) is usable",
	    3, 1, 0, 2, DER),

	/* R2.7.2: PKIX-TA(0), PKIX-EE(1) and unknown usages. */
	X("RFC 7672 3.1.3 usage 0 (PKIX-TA) is unusable", 0, 0, 1, 32, FILL),
	X("RFC 7672 3.1.3 usage 1 (PKIX-EE) is unusable", 1, 1, 1, 32, FILL),
	X("RFC 7672 3.1.3 0 0 0 with a DER certificate is unusable",
	    0, 0, 0, 200, DER),
	X("RFC 7672 3.1.3 1 0 2 with a 64-byte digest is unusable",
	    1, 0, 2, 64, FILL),
	X("RFC 6698 4.1 usage 4 is unusable", 4, 1, 1, 32, FILL),
	X("RFC 6698 4.1 usage 255 (PrivCert) is unusable", 255, 1, 1, 32, FILL),

	/* R2.7.3: selectors and matching types. */
	X("RFC 6698 4.1 selector 2 is unusable", 3, 2, 1, 32, FILL),
	X("RFC 6698 4.1 selector 255 is unusable", 3, 255, 1, 32, FILL),
	X("RFC 6698 4.1 selector 2 with full data is unusable",
	    3, 2, 0, 91, DER),
	X("RFC 6698 4.1 matching type 3 is unusable", 3, 1, 3, 32, FILL),
	X("RFC 6698 4.1 matching type 3 with 64 bytes is unusable",
	    3, 1, 3, 64, FILL),
	X("RFC 6698 4.1 matching type 255 is unusable", 2, 0, 255, 64, FILL),

	/* R2.7.3, RFC 7671 9: digest lengths. */
	X("RFC 7671 9 3 1 1 with a 31-byte digest is unusable",
	    3, 1, 1, 31, FILL),
	X("RFC 7671 9 3 1 1 with a 33-byte digest is unusable",
	    3, 1, 1, 33, FILL),
	X("RFC 7671 9 3 1 1 with a 64-byte digest is unusable",
	    3, 1, 1, 64, FILL),
	X("RFC 7671 9 3 1 1 with a 1-byte digest is unusable",
	    3, 1, 1, 1, FILL),
	X("RFC 7671 9 2 0 2 with a 63-byte digest is unusable",
	    2, 0, 2, 63, FILL),
	X("RFC 7671 9 2 0 2 with a 65-byte digest is unusable",
	    2, 0, 2, 65, FILL),
	X("RFC 7671 9 3 1 2 with a 32-byte digest is unusable",
	    3, 1, 2, 32, FILL),

	/* R2.7.3: full data that is no certificate or SPKI. */
	X("RFC 6698 4.1 3 1 0 with data not a SEQUENCE is unusable",
	    3, 1, 0, 91, NOTSEQ),
	X("RFC 6698 4.1 3 1 0 with 32 bytes of digest is unusable",
	    3, 1, 0, 32, FILL),
	X("RFC 6698 4.1 3 0 0 with a SEQUENCE cut short is unusable",
	    3, 0, 0, 1200, DER_SHORT),
	X("RFC 6698 4.1 3 1 0 with a SEQUENCE cut short is unusable",
	    3, 1, 0, 91, DER_SHORT),
	X("RFC 6698 4.1 3 0 0 with bytes after the SEQUENCE is unusable",
	    3, 0, 0, 1200, DER_LONG),
	X("RFC 6698 4.1 3 1 0 with the single byte 30 is unusable",
	    3, 1, 0, 1, DER),
};

/* A DER header for n content bytes; returns its size. */
static size_t
der_header(uint8_t *d, uint8_t tag, size_t n)
{
	d[0] = tag;
	if (n < 0x80) {
		d[1] = n;
		return 2;
	}
	if (n < 0x100) {
		d[1] = 0x81;
		d[2] = n;
		return 3;
	}
	d[1] = 0x82;
	d[2] = n >> 8;
	d[3] = n & 0xff;
	return 4;
}

/* The rdata of a test; returns its length. */
static size_t
make_rdata(uint8_t *rd, const struct tlsa_test *t)
{
	uint8_t	*d = rd + 3;
	size_t	 h, n = 0;

	rd[0] = t->usage;
	rd[1] = t->selector;
	rd[2] = t->mtype;
	memset(d, FILL, t->dlen);
	if (t->blob == B_FILL)
		return 3 + t->dlen;
	if (t->dlen == 1) {
		d[0] = 0x30;
		return 4;
	}
	/* The header size that, with its content, fills dlen. */
	for (h = 2; h <= 4; h++) {
		n = t->dlen - h;
		if (der_header(d, 0x30, n) == h)
			break;
	}
	if (h > 4)
		abort();
	switch (t->blob) {
	case B_DER:
		break;
	case B_NOTSEQ:
		d[0] = 0x04;
		break;
	case B_DER_SHORT:
		if (der_header(d, 0x30, n + 1) != h)
			abort();
		break;
	case B_DER_LONG:
		if (der_header(d, 0x30, n - 1) != h)
			abort();
		break;
	default:
		abort();
	}
	return 3 + t->dlen;
}

static void
run_usable(void)
{
	const struct tlsa_test	*t;
	uint8_t			*rd;
	size_t			 i, len;
	int			 got;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		t = &tests[i];
		if ((rd = malloc(3 + DATA_MAX)) == NULL)
			abort();
		len = make_rdata(rd, t);
		got = dane_tlsa_usable(rd, len);
		if (got != t->usable)
			regress_diag("%u %u %u with %zu bytes: %d",
			    t->usage, t->selector, t->mtype, t->dlen, got);
		regress_check(got == t->usable, "%s", t->name);
		free(rd);
	}
}

/* Records too short to hold any data, and hand-made full data. */
static void
run_raw(void)
{
	static const struct {
		const char	*name;
		const char	*rd;
		size_t		 len;
		int		 usable;
	} t[] = {
		{ "RFC 6698 2.1 empty rdata is unusable", "", 0, 0 },
		{ "RFC 6698 2.1 rdata of 1 byte is unusable", "\x03", 1, 0 },
		{ "RFC 6698 2.1 rdata of 2 bytes is unusable", "\x03\x01", 2,
		    0 },
		{ "RFC 6698 2.1 3 1 1 without data is unusable",
		    "\x03\x01\x01", 3, 0 },
		{ "RFC 6698 2.1 3 1 0 without data is unusable",
		    "\x03\x01\x00", 3, 0 },
		{ "RFC 6698 4.1 3 1 0 SEQUENCE { INTEGER 0 } is usable",
		    "\x03\x01\x00\x30\x03\x02\x01\x00", 8, 1 },
		{ "RFC 6698 4.1 3 1 0 with a BER indefinite length is unusable",
		    "\x03\x01\x00\x30\x80\x02\x01\x00\x00\x00", 10, 0 },
		{ "RFC 6698 4.1 3 1 0 with a length of 4 octets is unusable",
		    "\x03\x01\x00\x30\x84\x00\x00\x00\x01\x00", 10, 0 },
		{ "RFC 6698 4.1 3 1 0 with a length header cut short is "
		    "unusable", "\x03\x01\x00\x30\x82\x01", 6, 0 },
	};
	uint8_t	*rd;
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* Exactly len bytes, so a read past them shows. */
		if ((rd = malloc(t[i].len ? t[i].len : 1)) == NULL)
			abort();
		memcpy(rd, t[i].rd, t[i].len);
		regress_check(dane_tlsa_usable(rd, t[i].len) == t[i].usable,
		    "%s", t[i].name);
		free(rd);
	}
}

/* R2.7.5: a mixed RRset is as good as its usable subset. */
static size_t
count_of(const size_t *idx, size_t n)
{
	struct dns_rec	 rr[16];
	struct dns_msg	 msg;
	uint8_t		*rd[16];
	size_t		 i, got;

	memset(rr, 0, sizeof(rr));
	for (i = 0; i < n; i++) {
		if ((rd[i] = malloc(3 + DATA_MAX)) == NULL)
			abort();
		rr[i].type = DNS_T_TLSA;
		rr[i].ttl = 300;
		rr[i].data = rd[i];
		rr[i].len = make_rdata(rd[i], &tests[idx[i]]);
	}
	msg.rcode = DNS_R_NOERROR;
	msg.rr = n > 0 ? rr : NULL;
	msg.nrr = n;
	got = dane_count_usable(&msg);
	for (i = 0; i < n; i++)
		free(rd[i]);
	return got;
}

/* Index in tests[] of the first test with this name prefix. */
static size_t
find(const char *prefix)
{
	size_t	 i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strncmp(tests[i].name, prefix, strlen(prefix)) == 0)
			return i;
	abort();
}

static void
run_count(void)
{
	size_t	 mixed[8], unusable[4], usable[3], n;

	mixed[0] = find("RFC 7672 3.1.3 usage 0");
	mixed[1] = find("RFC 7672 3.1.3 3 1 1 with a 32");
	mixed[2] = find("RFC 6698 4.1 selector 2 is");
	mixed[3] = find("RFC 7672 3.1.3 2 0 2 with a 64");
	mixed[4] = find("RFC 7671 9 3 1 1 with a 31");
	mixed[5] = find("RFC 6698 4.1 3 0 0 with a DER certificate (2");
	mixed[6] = find("RFC 6698 4.1 matching type 3 is");
	mixed[7] = find("RFC 6698 4.1 3 1 0 with a SEQUENCE cut");
	n = count_of(mixed, 8);
	if (n != 3)
		regress_diag("%zu usable", n);
	regress_check(n == 3, "RFC 7671 9 mixed RRset: 3 usable of 8, the "
	    "unusable ones are discarded (R2.7.5)");

	unusable[0] = find("RFC 7672 3.1.3 usage 1");
	unusable[1] = find("RFC 7671 9 2 0 2 with a 65");
	unusable[2] = find("RFC 6698 4.1 3 1 0 with data not");
	unusable[3] = find("RFC 6698 4.1 usage 255");
	n = count_of(unusable, 4);
	regress_check(n == 0, "RFC 7672 2.2 RRset of unusable records only: "
	    "none usable");

	usable[0] = find("RFC 7672 3.1.3 3 1 2 with a 64");
	usable[1] = find("RFC 7672 3.1.3 3 1 2 with a 64");
	usable[2] = find("RFC 6698 4.1 2 1 0 with a DER");
	n = count_of(usable, 3);
	regress_check(n == 3, "RFC 7672 3.1.3 duplicate usable records each "
	    "count");

	n = count_of(NULL, 0);
	regress_check(n == 0, "RFC 7672 2.2 empty RRset: none usable");
}

int
main(void)
{
	run_usable();
	run_raw();
	run_count();
	return regress_exit();
}
