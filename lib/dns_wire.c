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


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

/*
 * Just enough of the DNS wire format (RFC 1035 4.1) to read the answer
 * section of the responses libunbound hands over in event mode.  Only
 * records of the queried type are kept; CNAMEs that lead to them were
 * already followed, and validated, by libunbound.
 */

#define HDR_LEN		12
#define NAME_HOPS	64	/* compression pointers followed at most */

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Append one label, escaping what is not LDH or '_' as \DDD. */
static int
put_label(char *out, size_t outsz, size_t *o, const uint8_t *l, size_t n)
{
	size_t	 i;
	int	 w;

	if (*o > 0) {
		if (*o + 1 >= outsz)
			return -1;
		out[(*o)++] = '.';
	}
	for (i = 0; i < n; i++) {
		uint8_t c = l[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (*o + 1 >= outsz)
				return -1;
			out[(*o)++] = c;
			continue;
		}
		w = snprintf(out + *o, outsz - *o, "\\%03u", c);
		if (w < 0 || (size_t)w >= outsz - *o)
			return -1;
		*o += w;
	}
	out[*o] = '\0';
	return 0;
}

/*
 * Read a possibly compressed name at *off into presentation form
 * without the final dot ("." for the root).  *off moves past the name
 * as stored in place.  Pointers must point backwards, so no loop.
 */
static int
read_name(const uint8_t *pkt, size_t len, size_t *off, char *out,
    size_t outsz)
{
	size_t	 p = *off, o = 0, wire = 0, end = 0;
	int	 hops = 0;

	out[0] = '\0';
	for (;;) {
		uint8_t c;

		if (p >= len)
			return -1;
		c = pkt[p];
		if ((c & 0xc0) == 0xc0) {
			size_t to;

			if (p + 1 >= len || ++hops > NAME_HOPS)
				return -1;
			to = (size_t)(c & 0x3f) << 8 | pkt[p + 1];
			if (end == 0)
				end = p + 2;
			if (to >= p)
				return -1;
			p = to;
			continue;
		}
		if (c & 0xc0)
			return -1;
		if ((wire += c + 1) > 255)
			return -1;
		if (c == 0)
			break;
		if (p + 1 + c > len ||
		    put_label(out, outsz, &o, pkt + p + 1, c) == -1)
			return -1;
		p += 1 + c;
	}
	*off = end ? end : p + 1;
	if (o == 0)
		(void)snprintf(out, outsz, ".");
	return 0;
}

/* TXT: character-strings joined without spaces (RFC 8461 3.1). */
static int
read_txt(const uint8_t *rd, size_t rdlen, struct dns_rec *rr)
{
	size_t	 i = 0, o = 0;

	if ((rr->data = malloc(rdlen + 1)) == NULL)
		return -1;
	while (i < rdlen) {
		size_t n = rd[i++];

		if (i + n > rdlen)
			return -1;
		memcpy(rr->data + o, rd + i, n);
		o += n;
		i += n;
	}
	rr->data[o] = '\0';
	rr->len = o;
	return 0;
}

static int
read_raw(const uint8_t *rd, size_t rdlen, struct dns_rec *rr)
{
	if ((rr->data = malloc(rdlen + 1)) == NULL)
		return -1;
	memcpy(rr->data, rd, rdlen);
	rr->data[rdlen] = '\0';
	rr->len = rdlen;
	return 0;
}

static int
read_rdata(const uint8_t *pkt, size_t off, size_t rdlen, struct dns_rec *rr)
{
	char	 name[DNS_WIRE_NAME_MAX];
	size_t	 p = off + 2;

	switch (rr->type) {
	case DNS_T_MX:
		if (rdlen < 3)
			return -1;
		rr->pref = get16(pkt + off);
		if (read_name(pkt, off + rdlen, &p, name, sizeof(name)) == -1 ||
		    p != off + rdlen || (rr->name = strdup(name)) == NULL)
			return -1;
		return 0;
	case DNS_T_TXT:
		return read_txt(pkt + off, rdlen, rr);
	case DNS_T_A:
		return rdlen == 4 ? read_raw(pkt + off, rdlen, rr) : -1;
	case DNS_T_AAAA:
		return rdlen == 16 ? read_raw(pkt + off, rdlen, rr) : -1;
	case DNS_T_TLSA:
		return rdlen >= 3 ? read_raw(pkt + off, rdlen, rr) : -1;
	default:
		return read_raw(pkt + off, rdlen, rr);
	}
}

static int
add_rr(struct dns_msg *msg, size_t *cap, struct dns_rec *rr)
{
	struct dns_rec	*n;

	if (msg->nrr == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		if ((n = reallocarray(msg->rr, *cap, sizeof(*n))) == NULL)
			return -1;
		msg->rr = n;
	}
	msg->rr[msg->nrr++] = *rr;
	return 0;
}

static int
fail(struct dns_msg *msg, char *err, size_t errsz, const char *why)
{
	dns_msg_free(msg);
	(void)snprintf(err, errsz, "malformed DNS response: %s", why);
	return -1;
}

static void
ttl_min(struct dns_msg *msg, uint32_t ttl)
{
	if (!msg->have_ttl || ttl < msg->ttl)
		msg->ttl = ttl;
	msg->have_ttl = 1;
}

/*
 * A negative answer lasts as long as the SOA of its authority section
 * says (RFC 2308 5): the lesser of that record's TTL and its MINIMUM.
 */
static int
read_authority(const uint8_t *pkt, size_t len, size_t off, size_t ns,
    struct dns_msg *msg)
{
	char		 name[DNS_WIRE_NAME_MAX];
	size_t		 i, rdlen, p;
	uint32_t	 ttl, minimum;

	for (i = 0; i < ns; i++) {
		if (read_name(pkt, len, &off, name, sizeof(name)) == -1 ||
		    off + 10 > len)
			return -1;
		ttl = get32(pkt + off + 4);
		rdlen = get16(pkt + off + 8);
		p = off + 10;
		if (p + rdlen > len)
			return -1;
		if (get16(pkt + off) == DNS_T_SOA &&
		    get16(pkt + off + 2) == DNS_C_IN) {
			if (read_name(pkt, p + rdlen, &p, name,
			    sizeof(name)) == -1 ||
			    read_name(pkt, p + rdlen, &p, name,
			    sizeof(name)) == -1 || p + 20 != off + 10 + rdlen)
				return -1;
			minimum = get32(pkt + p + 16);
			ttl_min(msg, ttl < minimum ? ttl : minimum);
		}
		off += 10 + rdlen;
	}
	return 0;
}

int
dns_wire_parse(const uint8_t *pkt, size_t len, uint16_t qtype,
    struct dns_msg *msg, char *err, size_t errsz)
{
	char		 name[DNS_WIRE_NAME_MAX];
	struct dns_rec	 rr;
	size_t		 off = HDR_LEN, cap = 0, i, qd, an, ns, rdlen;

	memset(msg, 0, sizeof(*msg));
	if (len < HDR_LEN)
		return fail(msg, err, errsz, "short header");
	msg->rcode = pkt[3] & 0x0f;
	qd = get16(pkt + 4);
	an = get16(pkt + 6);
	ns = get16(pkt + 8);
	for (i = 0; i < qd; i++) {
		if (read_name(pkt, len, &off, name, sizeof(name)) == -1 ||
		    off + 4 > len)
			return fail(msg, err, errsz, "question");
		off += 4;
	}
	for (i = 0; i < an; i++) {
		memset(&rr, 0, sizeof(rr));
		if (read_name(pkt, len, &off, name, sizeof(name)) == -1 ||
		    off + 10 > len)
			return fail(msg, err, errsz, "answer header");
		rr.type = get16(pkt + off);
		rr.ttl = get32(pkt + off + 4);
		rdlen = get16(pkt + off + 8);
		off += 10;
		if (off + rdlen > len)
			return fail(msg, err, errsz, "answer length");
		/* The CNAMEs on the way count for how long it lasts. */
		if (get16(pkt + off - 8) == DNS_C_IN &&
		    (rr.type == qtype || rr.type == DNS_T_CNAME))
			ttl_min(msg, rr.ttl);
		if (rr.type == qtype && get16(pkt + off - 8) == DNS_C_IN) {
			if (read_rdata(pkt, off, rdlen, &rr) == -1 ||
			    add_rr(msg, &cap, &rr) == -1) {
				free(rr.name);
				free(rr.data);
				return fail(msg, err, errsz, "answer data");
			}
		}
		off += rdlen;
	}
	/* Past the answer, what does not parse only leaves no TTL. */
	if (msg->nrr == 0)
		(void)read_authority(pkt, len, off, ns, msg);
	return 0;
}

void
dns_msg_free(struct dns_msg *msg)
{
	size_t	 i;

	for (i = 0; i < msg->nrr; i++) {
		free(msg->rr[i].name);
		free(msg->rr[i].data);
	}
	free(msg->rr);
	memset(msg, 0, sizeof(*msg));
}
