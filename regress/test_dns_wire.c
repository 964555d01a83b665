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
 * The answer section of a DNS response (RFC 1035 4.1): dns_wire_parse()
 * on packets built here byte by byte, with and without compression
 * pointers (RFC 1035 4.1.4), well-formed and malformed.  Section
 * numbers in the check names are those of RFC 1035 unless named.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "regress.h"

#define PKT_MAX		4096
#define MAXRR		4
#define QNAME		12		/* offset of the question name */
#define QNAME_COM	(QNAME + 8)	/* "com" in "example.com" */
#define TTL		3600

#define L10	"abcdefghij"
#define L57	L10 L10 L10 L10 L10 "klmnopq"
#define L61	L10 L10 L10 L10 L10 L10 "k"
#define L62	L61 "l"
#define L63	L62 "m"
#define N255	L63 "." L63 "." L63 "." L61	/* 255 octets on the wire */
#define N256	L63 "." L63 "." L63 "." L62
#define N251	L63 "." L63 "." L63 "." L57
#define X10	"xxxxxxxxxx"
#define X50	X10 X10 X10 X10 X10
#define X255	X50 X50 X50 X50 X50 "xxxxx"

struct pkt {
	uint8_t		 b[PKT_MAX];
	size_t		 len;
};

static void
put8(struct pkt *p, unsigned int v)
{
	if (p->len >= sizeof(p->b))
		abort();
	p->b[p->len++] = v & 0xff;
}

static void
put16(struct pkt *p, unsigned int v)
{
	put8(p, v >> 8);
	put8(p, v);
}

static void
put32(struct pkt *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

static void
put_bytes(struct pkt *p, const void *v, size_t n)
{
	const uint8_t	*s = v;
	size_t		 i;

	for (i = 0; i < n; i++)
		put8(p, s[i]);
}

/* One label of any bytes. */
static void
put_label(struct pkt *p, const void *l, size_t n)
{
	put8(p, n);
	put_bytes(p, l, n);
}

/*
 * The labels of a dotted name ("" for none), then a compression
 * pointer to ptr, or the root label when ptr is -1.
 */
static void
put_name(struct pkt *p, const char *name, int ptr)
{
	const char	*dot;

	while (*name != '\0') {
		if ((dot = strchr(name, '.')) == NULL)
			dot = name + strlen(name);
		put_label(p, name, dot - name);
		name = *dot == '.' ? dot + 1 : dot;
	}
	if (ptr == -1)
		put8(p, 0);
	else
		put16(p, 0xc000 | ptr);
}

/* A response header: QR RD RA set, the rcode, the section counts. */
static void
put_hdr(struct pkt *p, int rcode, int qd, int an)
{
	p->len = 0;
	put16(p, 0x1234);
	put8(p, 0x81);
	put8(p, 0x80 | rcode);
	put16(p, qd);
	put16(p, an);
	put16(p, 0);
	put16(p, 0);
}

/* Header and the question "example.com", at offset QNAME. */
static void
put_start(struct pkt *p, int rcode, int an, uint16_t qtype)
{
	put_hdr(p, rcode, 1, an);
	put_name(p, "example.com", -1);
	put16(p, qtype);
	put16(p, DNS_C_IN);
}

/* An RR up to its RDLENGTH; returns where RDLENGTH is, for rr_end(). */
static size_t
rr_begin(struct pkt *p, const char *owner, int ptr, uint16_t type,
    uint16_t class, uint32_t ttl)
{
	size_t	 at;

	put_name(p, owner, ptr);
	put16(p, type);
	put16(p, class);
	put32(p, ttl);
	at = p->len;
	put16(p, 0);
	return at;
}

/* Set RDLENGTH to what was written since rr_begin(). */
static void
rr_end(struct pkt *p, size_t at)
{
	size_t	 n = p->len - at - 2;

	p->b[at] = n >> 8;
	p->b[at + 1] = n & 0xff;
}

static void
rr_mx(struct pkt *p, unsigned int pref, const char *name, int ptr)
{
	size_t	 at;

	at = rr_begin(p, "", QNAME, DNS_T_MX, DNS_C_IN, TTL);
	put16(p, pref);
	put_name(p, name, ptr);
	rr_end(p, at);
}

static void
rr_raw(struct pkt *p, uint16_t type, const void *rd, size_t n)
{
	size_t	 at;

	at = rr_begin(p, "", QNAME, type, DNS_C_IN, TTL);
	put_bytes(p, rd, n);
	rr_end(p, at);
}

/*
 * Packet builders.
 */

/* Exchange names compressed against the question and each other. */
static void
b_mx(struct pkt *p)
{
	size_t	 at, x;

	put_start(p, 0, 4, DNS_T_MX);
	at = rr_begin(p, "", QNAME, DNS_T_MX, DNS_C_IN, 300);
	put16(p, 10);
	x = p->len;
	put_name(p, "mx1", QNAME);
	rr_end(p, at);
	at = rr_begin(p, "", QNAME, DNS_T_MX, DNS_C_IN, 300);
	put16(p, 20);
	put_name(p, "mail.other", QNAME_COM);
	rr_end(p, at);
	/* A pointer to a name that ends in a pointer. */
	at = rr_begin(p, "", QNAME, DNS_T_MX, DNS_C_IN, 0xfffffffe);
	put16(p, 5);
	put_name(p, "backup", x);
	rr_end(p, at);
	/* Uncompressed, owner too; case kept. */
	at = rr_begin(p, "example.com", -1, DNS_T_MX, DNS_C_IN, 0);
	put16(p, 0xffff);
	put_name(p, "MX.Example.ORG", -1);
	rr_end(p, at);
}

/* An exchange name that is only a pointer. */
static void
b_mx_ptr_only(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	rr_mx(p, 7, "", QNAME);
}

/* RFC 7505 null MX: preference 0, exchange ".". */
static void
b_null_mx(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	rr_mx(p, 0, "", -1);
}

/* Bytes outside LDH and '_' come out as \DDD. */
static void
b_mx_escape(struct pkt *p)
{
	size_t	 at;

	put_start(p, 0, 1, DNS_T_MX);
	at = rr_begin(p, "", QNAME, DNS_T_MX, DNS_C_IN, TTL);
	put16(p, 1);
	put_label(p, "a.b", 3);
	put_label(p, "sp ce", 5);
	put_label(p, "\xff\0", 2);
	put_label(p, "x\\y\"*", 5);
	put_label(p, "Under_score-9", 13);
	put_name(p, "", QNAME);
	rr_end(p, at);
}

static void
b_mx_255(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	rr_mx(p, 1, N255, -1);
}

static void
b_mx_256(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	rr_mx(p, 1, N256, -1);
}

/* Question of 251 octets; owners of 4 + 251 and 5 + 251 octets. */
static void
b_ptr_255(struct pkt *p)
{
	size_t	 at;

	put_hdr(p, 0, 1, 1);
	put_name(p, N251, -1);
	put16(p, DNS_T_MX);
	put16(p, DNS_C_IN);
	at = rr_begin(p, "abc", QNAME, DNS_T_MX, DNS_C_IN, TTL);
	put16(p, 1);
	put_name(p, "mx", QNAME);
	rr_end(p, at);
}

static void
b_ptr_256(struct pkt *p)
{
	size_t	 at;

	put_hdr(p, 0, 1, 1);
	put_name(p, N251, -1);
	put16(p, DNS_T_MX);
	put16(p, DNS_C_IN);
	at = rr_begin(p, "abcd", QNAME, DNS_T_MX, DNS_C_IN, TTL);
	put16(p, 1);
	put_name(p, "mx", -1);
	rr_end(p, at);
}

/* Character-strings joined without anything between them. */
static void
b_txt(struct pkt *p)
{
	size_t	 at;

	put_start(p, 0, 2, DNS_T_TXT);
	at = rr_begin(p, "", QNAME, DNS_T_TXT, DNS_C_IN, TTL);
	put_label(p, "v=STSv1; ", 9);
	put_label(p, "", 0);
	put_label(p, "id=2024", 7);
	put_label(p, "0101", 4);
	rr_end(p, at);
	at = rr_begin(p, "", QNAME, DNS_T_TXT, DNS_C_IN, TTL);
	put_label(p, "v=spf1 -all", 11);
	rr_end(p, at);
}

static void
b_txt_nul(struct pkt *p)
{
	size_t	 at;

	put_start(p, 0, 1, DNS_T_TXT);
	at = rr_begin(p, "", QNAME, DNS_T_TXT, DNS_C_IN, TTL);
	put_label(p, "a\0b", 3);
	put_label(p, "\0", 1);
	rr_end(p, at);
}

/* 255 octets in one character-string, then one more string. */
static void
b_txt_long(struct pkt *p)
{
	char	 s[255];
	size_t	 at;

	memset(s, 'x', sizeof(s));
	put_start(p, 0, 1, DNS_T_TXT);
	at = rr_begin(p, "", QNAME, DNS_T_TXT, DNS_C_IN, TTL);
	put_label(p, s, sizeof(s));
	put_label(p, "yz", 2);
	rr_end(p, at);
}

static void
b_a(struct pkt *p)
{
	put_start(p, 0, 2, DNS_T_A);
	rr_raw(p, DNS_T_A, "\xc0\x00\x02\x01", 4);
	rr_raw(p, DNS_T_A, "\xc6\x33\x64\xff", 4);
}

static void
b_aaaa(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_AAAA);
	rr_raw(p, DNS_T_AAAA, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01",
	    16);
}

#define DIGEST	"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d" \
		"\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b" \
		"\x1c\x1d\x1e\x1f"

static void
b_tlsa(struct pkt *p)
{
	put_start(p, 0, 2, DNS_T_TLSA);
	rr_raw(p, DNS_T_TLSA, "\x03\x01\x01" DIGEST, 35);
	rr_raw(p, DNS_T_TLSA, "\x02\x00\x00\x30", 4);
}

/* CNAME, RRSIG and A records around the answer: skipped. */
static void
b_cname(struct pkt *p)
{
	size_t	 at, alias;

	put_start(p, 0, 5, DNS_T_MX);
	at = rr_begin(p, "", QNAME, DNS_T_CNAME, DNS_C_IN, TTL);
	alias = p->len;
	put_name(p, "alias.example.net", -1);
	rr_end(p, at);
	at = rr_begin(p, "", QNAME, 46, DNS_C_IN, TTL);
	put_bytes(p, "\x00\x05\x08\x02", 4);
	rr_end(p, at);
	at = rr_begin(p, "", alias, DNS_T_MX, DNS_C_IN, 60);
	put16(p, 10);
	put_name(p, "mx", alias);
	rr_end(p, at);
	/* Not asked for, and its rdata would be wrong for an A. */
	at = rr_begin(p, "", alias, DNS_T_A, DNS_C_IN, TTL);
	put_bytes(p, "\x01\x02\x03\x04\x05", 5);
	rr_end(p, at);
	at = rr_begin(p, "", alias, DNS_T_MX, DNS_C_IN, 60);
	put16(p, 20);
	put_name(p, "mx2", alias);
	rr_end(p, at);
}

/* An MX in class CH is not an answer. */
static void
b_class(struct pkt *p)
{
	size_t	 at;

	put_start(p, 0, 2, DNS_T_MX);
	at = rr_begin(p, "", QNAME, DNS_T_MX, 3, TTL);
	put16(p, 1);
	put_name(p, "chaos", QNAME);
	rr_end(p, at);
	rr_mx(p, 2, "inet", QNAME);
}

static void
b_nxdomain(struct pkt *p)
{
	put_start(p, DNS_R_NXDOMAIN, 0, DNS_T_MX);
}

static void
b_servfail(struct pkt *p)
{
	put_start(p, DNS_R_SERVFAIL, 0, DNS_T_TLSA);
}

static void
b_nodata(struct pkt *p)
{
	put_start(p, 0, 0, DNS_T_TXT);
}

/* Authority and additional sections are not read. */
static void
b_authority(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_A);
	p->b[9] = 1;
	p->b[11] = 1;
	rr_raw(p, DNS_T_A, "\x7f\0\0\x01", 4);
	put_bytes(p, "\xff\xff\xff", 3);
}

/* Malformed. */
static void
b_short_hdr(struct pkt *p)
{
	put_start(p, 0, 0, DNS_T_MX);
	p->len = 11;
}

static void
b_empty(struct pkt *p)
{
	p->len = 0;
}

static void
b_no_question(struct pkt *p)
{
	put_hdr(p, 0, 1, 0);
}

static void
b_short_question(struct pkt *p)
{
	put_start(p, 0, 0, DNS_T_MX);
	p->len -= 1;
}

static void
b_missing_answer(struct pkt *p)
{
	put_start(p, 0, 2, DNS_T_MX);
	rr_mx(p, 10, "mx", QNAME);
}

static void
b_short_answer_hdr(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	put16(p, 0xc000 | QNAME);
	put16(p, DNS_T_MX);
	put16(p, DNS_C_IN);
	put16(p, 0);
}

static void
b_rdlen_past_end(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_A);
	rr_raw(p, DNS_T_A, "\xc0\x00\x02\x01", 4);
	p->len -= 2;
}

static void
b_rdlen_past_end_other(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	rr_raw(p, DNS_T_TXT, "\x03" "abc", 4);
	p->b[p->len - 5] = 9;	/* RDLENGTH 9 */
}

/* The exchange name runs past RDLENGTH into the next bytes. */
static void
b_mx_name_past_rdata(struct pkt *p)
{
	size_t	 at;

	put_start(p, 0, 1, DNS_T_MX);
	at = rr_begin(p, "", QNAME, DNS_T_MX, DNS_C_IN, TTL);
	put16(p, 10);
	put_name(p, "mail", -1);
	p->len -= 3;
	rr_end(p, at);
	put_bytes(p, "il\0", 3);
}

static void
b_mx_short(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	rr_raw(p, DNS_T_MX, "\0\x0a", 2);
}

static void
b_mx_trailing(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	rr_raw(p, DNS_T_MX, "\0\x0a\x02mx\0\0", 7);
}

static void
b_txt_overrun(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_TXT);
	rr_raw(p, DNS_T_TXT, "\x03" "abc" "\x05" "de", 7);
}

static void
b_a_5(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_A);
	rr_raw(p, DNS_T_A, "\xc0\x00\x02\x01\x00", 5);
}

static void
b_a_3(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_A);
	rr_raw(p, DNS_T_A, "\xc0\x00\x02", 3);
}

static void
b_aaaa_4(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_AAAA);
	rr_raw(p, DNS_T_AAAA, "\xc0\x00\x02\x01", 4);
}

static void
b_tlsa_2(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_TLSA);
	rr_raw(p, DNS_T_TLSA, "\x03\x01", 2);
}

/* The owner is a pointer to a good name later in the packet. */
static void
b_ptr_forward(struct pkt *p)
{
	size_t	 at, own;

	put_start(p, 0, 1, DNS_T_MX);
	own = p->len;
	at = rr_begin(p, "", own + 14, DNS_T_MX, DNS_C_IN, TTL);
	put16(p, 10);
	put_name(p, "fwd", -1);		/* at own + 14 */
	rr_end(p, at);
}

static void
b_ptr_self(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	rr_begin(p, "", p->len, DNS_T_MX, DNS_C_IN, TTL);
}

/* A label, then a pointer back to it: backwards, yet a loop. */
static void
b_ptr_loop(struct pkt *p)
{
	size_t	 own;

	put_start(p, 0, 1, DNS_T_MX);
	own = p->len;
	rr_begin(p, "ab", own, DNS_T_MX, DNS_C_IN, TTL);
}

/* The exchange points back into its own owner's loop. */
static void
b_ptr_loop_rdata(struct pkt *p)
{
	size_t	 at, x;

	put_start(p, 0, 1, DNS_T_MX);
	at = rr_begin(p, "", QNAME, DNS_T_MX, DNS_C_IN, TTL);
	put16(p, 10);
	x = p->len;
	put_name(p, "a.b", x);
	rr_end(p, at);
}

static void
b_ptr_cut(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	put8(p, 0xc0);
}

static void
b_label_40(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	put8(p, 0x41);
	put_bytes(p, "a\0\0\x0f\0\x01\0\0\0\0\0\x03\0\0\0", 15);
}

static void
b_label_80(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	put8(p, 0x81);
	put_bytes(p, "a\0\0\x0f\0\x01\0\0\0\0\0\x03\0\0\0", 15);
}

static void
b_label_past_end(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	put8(p, 10);
	put_bytes(p, "abc", 3);
}

static void
b_no_root(struct pkt *p)
{
	put_start(p, 0, 1, DNS_T_MX);
	put_label(p, "abc", 3);
}

/* A good MX, then a bad one: nothing is returned. */
static void
b_good_then_bad(struct pkt *p)
{
	put_start(p, 0, 2, DNS_T_MX);
	rr_mx(p, 10, "mx", QNAME);
	rr_raw(p, DNS_T_MX, "\0\x0a\x05mx", 5);
}

struct want_rr {
	uint32_t	 ttl;
	uint16_t	 pref;
	const char	*name;		/* MX */
	const char	*data;		/* others */
	size_t		 len;
};

struct wire_test {
	const char	*name;
	void		(*build)(struct pkt *);
	uint16_t	 qtype;
	int		 ok;
	int		 rcode;
	size_t		 nrr;
	struct want_rr	 rr[MAXRR];
};

#define WMX(t, p, n)	{ t, p, n, NULL, 0 }
#define WD(d)		{ TTL, 0, NULL, d, sizeof(d) - 1 }
#define NONE		{ 0, 0, NULL, NULL, 0 }
#define GOOD(n, f, q, rc, c, ...)	{ n, f, q, 1, rc, c, { __VA_ARGS__ } }
#define BAD(n, f, q)	{ n, f, q, 0, 0, 0, { NONE } }

static const struct wire_test tests[] = {
	GOOD("4.1.4 MX with compressed exchange names, pref and name right",
	    b_mx, DNS_T_MX, 0, 4,
	    WMX(300, 10, "mx1.example.com"),
	    WMX(300, 20, "mail.other.com"),
	    WMX(0xfffffffe, 5, "backup.mx1.example.com"),
	    WMX(0, 0xffff, "MX.Example.ORG")),
	GOOD("4.1.4 MX exchange that is only a pointer", b_mx_ptr_only,
	    DNS_T_MX, 0, 1, WMX(TTL, 7, "example.com")),
	GOOD("RFC 7505 null MX: pref 0, exchange \".\"", b_null_mx,
	    DNS_T_MX, 0, 1, WMX(TTL, 0, ".")),
	GOOD("5.1 bytes outside LDH in a name are escaped as \\DDD",
	    b_mx_escape, DNS_T_MX, 0, 1,
	    WMX(TTL, 1, "a\\046b.sp\\032ce.\\255\\000.x\\092y\\034\\042."
	    "Under_score-9.example.com")),
	GOOD("3.1 name of exactly 255 octets is accepted", b_mx_255,
	    DNS_T_MX, 0, 1, WMX(TTL, 1, N255)),
	GOOD("3.1 name of 255 octets through a pointer is accepted",
	    b_ptr_255, DNS_T_MX, 0, 1, WMX(TTL, 1, "mx." N251)),
	GOOD("3.3.14 TXT character-strings joined without spaces", b_txt,
	    DNS_T_TXT, 0, 2, WD("v=STSv1; id=20240101"), WD("v=spf1 -all")),
	GOOD("3.3.14 TXT with NUL bytes keeps its length", b_txt_nul,
	    DNS_T_TXT, 0, 1, WD("a\0b\0")),
	GOOD("3.3.14 TXT character-string of 255 octets", b_txt_long,
	    DNS_T_TXT, 0, 1, WD(X255 "yz")),
	GOOD("3.4.1 A records, rdata as is", b_a, DNS_T_A, 0, 2,
	    WD("\xc0\x00\x02\x01"), WD("\xc6\x33\x64\xff")),
	GOOD("RFC 3596 AAAA record, rdata as is", b_aaaa, DNS_T_AAAA, 0, 1,
	    WD("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01")),
	GOOD("RFC 6698 TLSA records, rdata as is", b_tlsa, DNS_T_TLSA, 0, 2,
	    WD("\x03\x01\x01" DIGEST), WD("\x02\x00\x00\x30")),
	GOOD("4.1 CNAME, RRSIG and A before and between MX are skipped",
	    b_cname, DNS_T_MX, 0, 2,
	    WMX(60, 10, "mx.alias.example.net"),
	    WMX(60, 20, "mx2.alias.example.net")),
	GOOD("4.1 an MX of class CH is skipped", b_class, DNS_T_MX, 0, 1,
	    WMX(TTL, 2, "inet.example.com")),
	GOOD("4.1.1 rcode NXDOMAIN is reported", b_nxdomain, DNS_T_MX,
	    DNS_R_NXDOMAIN, 0, NONE),
	GOOD("4.1.1 rcode SERVFAIL is reported", b_servfail, DNS_T_TLSA,
	    DNS_R_SERVFAIL, 0, NONE),
	GOOD("4.1.1 NOERROR without answers", b_nodata, DNS_T_TXT, 0, 0,
	    NONE),
	GOOD("4.1 authority and additional sections are not read",
	    b_authority, DNS_T_A, 0, 1, WD("\x7f\0\0\x01")),

	BAD("4.1.1 header of 11 bytes is malformed", b_short_hdr, DNS_T_MX),
	BAD("4.1.1 empty packet is malformed", b_empty, DNS_T_MX),
	BAD("4.1.2 QDCOUNT 1 without a question is malformed",
	    b_no_question, DNS_T_MX),
	BAD("4.1.2 question cut short is malformed", b_short_question,
	    DNS_T_MX),
	BAD("4.1.3 ANCOUNT above the answers present is malformed",
	    b_missing_answer, DNS_T_MX),
	BAD("4.1.3 answer header cut short is malformed",
	    b_short_answer_hdr, DNS_T_MX),
	BAD("4.1.3 RDLENGTH past the end is malformed", b_rdlen_past_end,
	    DNS_T_A),
	BAD("4.1.3 RDLENGTH past the end in a skipped RR is malformed",
	    b_rdlen_past_end_other, DNS_T_MX),
	BAD("3.3.9 MX exchange running past its rdata is malformed",
	    b_mx_name_past_rdata, DNS_T_MX),
	BAD("3.3.9 MX rdata of 2 bytes is malformed", b_mx_short, DNS_T_MX),
	BAD("3.3.9 MX rdata with bytes after the name is malformed",
	    b_mx_trailing, DNS_T_MX),
	BAD("3.3.14 TXT character-string past its rdata is malformed",
	    b_txt_overrun, DNS_T_TXT),
	BAD("3.4.1 A with rdlength 5 is malformed", b_a_5, DNS_T_A),
	BAD("3.4.1 A with rdlength 3 is malformed", b_a_3, DNS_T_A),
	BAD("RFC 3596 AAAA with rdlength 4 is malformed", b_aaaa_4,
	    DNS_T_AAAA),
	BAD("RFC 6698 TLSA of 2 bytes is malformed", b_tlsa_2, DNS_T_TLSA),
	BAD("4.1.4 forward compression pointer is malformed",
	    b_ptr_forward, DNS_T_MX),
	BAD("4.1.4 compression pointer to itself is malformed", b_ptr_self,
	    DNS_T_MX),
	BAD("4.1.4 compression loop through a label is malformed",
	    b_ptr_loop, DNS_T_MX),
	BAD("4.1.4 compression loop in MX rdata is malformed",
	    b_ptr_loop_rdata, DNS_T_MX),
	BAD("4.1.4 compression pointer cut short is malformed", b_ptr_cut,
	    DNS_T_MX),
	BAD("4.1.4 label type 0x40 is malformed", b_label_40, DNS_T_MX),
	BAD("4.1.4 label type 0x80 is malformed", b_label_80, DNS_T_MX),
	BAD("3.1 label running past the end is malformed", b_label_past_end,
	    DNS_T_MX),
	BAD("3.1 name without the root label is malformed", b_no_root,
	    DNS_T_MX),
	BAD("3.1 name of 256 octets is malformed", b_mx_256, DNS_T_MX),
	BAD("3.1 name of 256 octets through a pointer is malformed",
	    b_ptr_256, DNS_T_MX),
	BAD("4.1 a bad RR after a good one: nothing is returned",
	    b_good_then_bad, DNS_T_MX),
};

static int
check_rr(const struct dns_rec *rr, const struct want_rr *w, uint16_t qtype,
    size_t i)
{
	if (rr->type != qtype || rr->ttl != w->ttl) {
		regress_diag("rr %zu: type %u ttl %u, want %u %u", i,
		    rr->type, rr->ttl, qtype, w->ttl);
		return 0;
	}
	if (w->name != NULL) {
		if (rr->pref != w->pref || rr->name == NULL ||
		    strcmp(rr->name, w->name) != 0) {
			regress_diag("rr %zu: %u \"%s\", want %u \"%s\"", i,
			    rr->pref, rr->name ? rr->name : "(null)", w->pref,
			    w->name);
			return 0;
		}
		return 1;
	}
	if (rr->data == NULL || rr->len != w->len ||
	    memcmp(rr->data, w->data, w->len) != 0) {
		regress_diag("rr %zu: %zu bytes, want %zu", i, rr->len,
		    w->len);
		return 0;
	}
	return 1;
}

static int
run_one(const struct wire_test *t)
{
	struct pkt	*p;
	struct dns_msg	 msg;
	uint8_t		*copy;
	char		 err[STS_ERR_MAX] = "";
	size_t		 i;
	int		 r, ok = 1;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		abort();
	t->build(p);
	/* Exactly len bytes, so a read past the end shows under ASan. */
	if ((copy = malloc(p->len ? p->len : 1)) == NULL)
		abort();
	memcpy(copy, p->b, p->len);
	r = dns_wire_parse(copy, p->len, t->qtype, &msg, err, sizeof(err));
	if (!t->ok) {
		if (r != -1) {
			regress_diag("parsed, %zu records", msg.nrr);
			ok = 0;
		} else if (msg.nrr != 0 || msg.rr != NULL) {
			regress_diag("records left after the failure");
			ok = 0;
		} else if (strncmp(err, "malformed DNS response", 22) != 0) {
			regress_diag("error \"%s\"", err);
			ok = 0;
		}
	} else if (r != 0) {
		regress_diag("failed: %s", err);
		ok = 0;
	} else if (msg.rcode != t->rcode || msg.nrr != t->nrr) {
		regress_diag("rcode %d, %zu records, want %d, %zu", msg.rcode,
		    msg.nrr, t->rcode, t->nrr);
		ok = 0;
	} else
		for (i = 0; i < msg.nrr && ok; i++)
			ok = check_rr(&msg.rr[i], &t->rr[i], t->qtype, i);
	dns_msg_free(&msg);
	if (msg.rr != NULL || msg.nrr != 0) {
		regress_diag("dns_msg_free left records");
		ok = 0;
	}
	free(copy);
	free(p);
	return ok;
}

/* Every proper prefix of a good packet is malformed, never a subset. */
static void
run_prefixes(void)
{
	struct pkt	*p;
	struct dns_msg	 msg;
	uint8_t		*copy;
	char		 err[STS_ERR_MAX];
	size_t		 n;
	int		 ok = 1;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		abort();
	b_mx(p);
	for (n = 0; n < p->len && ok; n++) {
		if ((copy = malloc(n ? n : 1)) == NULL)
			abort();
		memcpy(copy, p->b, n);
		if (dns_wire_parse(copy, n, DNS_T_MX, &msg, err,
		    sizeof(err)) != -1 || msg.nrr != 0) {
			regress_diag("prefix of %zu of %zu bytes parsed", n,
			    p->len);
			ok = 0;
		}
		dns_msg_free(&msg);
		free(copy);
	}
	regress_check(ok, "4.1 every truncation of an MX response is "
	    "malformed");
	free(p);
}

/* An SOA in the authority section: its TTL and MINIMUM. */
static void
rr_soa(struct pkt *p, uint32_t ttl, uint32_t minimum)
{
	size_t	 at;

	at = rr_begin(p, "", QNAME, DNS_T_SOA, DNS_C_IN, ttl);
	put_name(p, "ns.example.com", -1);
	put_name(p, "hostmaster.example.com", -1);
	put32(p, 1);
	put32(p, 3600);
	put32(p, 600);
	put32(p, 86400);
	put32(p, minimum);
	rr_end(p, at);
}

static int
parse_ttl(struct pkt *p, uint16_t qtype, uint32_t *ttl)
{
	struct dns_msg	 msg;
	char		 err[STS_ERR_MAX];
	int		 have;

	if (dns_wire_parse(p->b, p->len, qtype, &msg, err, sizeof(err)) == -1)
		return -1;
	have = msg.have_ttl;
	*ttl = msg.ttl;
	dns_msg_free(&msg);
	return have;
}

/* How long an answer holds: what a verdict's lifetime rests on. */
static void
test_ttl(void)
{
	static struct pkt	 p;
	uint32_t		 ttl = 0;
	size_t			 at;
	int			 have;

	put_start(&p, 0, 3, DNS_T_MX);
	at = rr_begin(&p, "", QNAME, DNS_T_CNAME, DNS_C_IN, 90);
	put_name(&p, "mail.example.com", -1);
	rr_end(&p, at);
	at = rr_begin(&p, "mail.example.com", -1, DNS_T_MX, DNS_C_IN, 300);
	put16(&p, 10);
	put_name(&p, "mx1.example.com", -1);
	rr_end(&p, at);
	at = rr_begin(&p, "mail.example.com", -1, DNS_T_MX, DNS_C_IN, 120);
	put16(&p, 20);
	put_name(&p, "mx2.example.com", -1);
	rr_end(&p, at);
	have = parse_ttl(&p, DNS_T_MX, &ttl);
	regress_check(have == 1 && ttl == 90,
	    "ttl: the least of the answer's records and its CNAMEs (%u)",
	    ttl);

	put_start(&p, DNS_R_NXDOMAIN, 0, DNS_T_MX);
	rr_soa(&p, 3600, 30);
	p.b[9] = 1;
	have = parse_ttl(&p, DNS_T_MX, &ttl);
	regress_check(have == 1 && ttl == 30,
	    "ttl: NXDOMAIN: the SOA's MINIMUM when less than its TTL (%u)",
	    ttl);

	put_start(&p, 0, 0, DNS_T_TXT);
	rr_soa(&p, 20, 600);
	p.b[9] = 1;
	have = parse_ttl(&p, DNS_T_TXT, &ttl);
	regress_check(have == 1 && ttl == 20,
	    "ttl: NODATA: the SOA's TTL when less than its MINIMUM (%u)", ttl);

	put_start(&p, DNS_R_NXDOMAIN, 0, DNS_T_MX);
	regress_check(parse_ttl(&p, DNS_T_MX, &ttl) == 0,
	    "ttl: a negative answer without SOA has none");

	put_start(&p, 0, 0, DNS_T_TXT);
	rr_soa(&p, 20, 600);
	p.b[9] = 1;
	p.len -= 3;
	regress_check(parse_ttl(&p, DNS_T_TXT, &ttl) == 0,
	    "ttl: a truncated SOA leaves no TTL, and the answer stands");
}

int
main(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		regress_check(run_one(&tests[i]), "%s", tests[i].name);
	run_prefixes();
	test_ttl();
	return regress_exit();
}
