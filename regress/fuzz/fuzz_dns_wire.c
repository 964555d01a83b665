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
 * libFuzzer target for the DNS answer parser (dns_wire.c).  The first
 * input byte picks the queried type, the rest is the response as
 * libunbound hands it over, ending where the input ends so that ASan
 * sees a read past it.  Any broken invariant calls abort() for
 * libFuzzer to catch.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

#define HDR_LEN		12

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint16_t qtypes[] = {
	DNS_T_MX, DNS_T_TXT, DNS_T_A, DNS_T_AAAA, DNS_T_TLSA
};

/* Error text and host names go to logs and JSON as is. */
static void
check_text(const char *s, size_t max)
{
	size_t		 i;
	unsigned char	 c;

	for (i = 0; i < max && s[i] != '\0'; i++) {
		c = s[i];
		if (c < 0x20 || c > 0x7e)
			abort();
	}
	if (i == 0 || i == max)
		abort();
}

/* Whether the n bytes at b occur in the packet. */
static int
in_packet(const uint8_t *b, size_t n, const uint8_t *pkt, size_t len)
{
	size_t	 i;

	for (i = HDR_LEN; i + n <= len; i++)
		if (memcmp(pkt + i, b, n) == 0)
			return 1;
	return 0;
}

static void
check_rr(const struct dns_rec *rr, uint16_t qtype, const uint8_t *pkt,
    size_t len)
{
	if (rr->type != qtype)
		abort();
	if (qtype == DNS_T_MX) {
		if (rr->name == NULL || rr->data != NULL)
			abort();
		check_text(rr->name, DNS_WIRE_NAME_MAX);
		return;
	}
	if (rr->name != NULL || rr->data == NULL || rr->data[rr->len] != 0 ||
	    rr->len > len)
		abort();
	switch (qtype) {
	case DNS_T_A:
		if (rr->len != 4)
			abort();
		break;
	case DNS_T_AAAA:
		if (rr->len != 16)
			abort();
		break;
	case DNS_T_TLSA:
		if (rr->len < 3)
			abort();
		break;
	}
	/* Raw rdata is copied as is, TXT at least holds its pieces. */
	if (qtype != DNS_T_TXT && !in_packet(rr->data, rr->len, pkt, len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_msg	 msg;
	char		 err[STS_ERR_MAX];
	const uint8_t	*pkt = data + 1;
	size_t		 len, i, an;
	uint16_t	 qtype;
	int		 r;

	if (size < 1)
		return 0;
	qtype = qtypes[data[0] % (sizeof(qtypes) / sizeof(qtypes[0]))];
	len = size - 1;
	memset(&msg, 0x5a, sizeof(msg));	/* must be set on any return */
	memset(err, 0x01, sizeof(err));
	r = dns_wire_parse(pkt, len, qtype, &msg, err, sizeof(err));
	if (r == 0) {
		/* Each answer RR takes 11 bytes at least. */
		an = (size_t)pkt[6] << 8 | pkt[7];
		if (msg.rcode != (pkt[3] & 0x0f) || msg.nrr > an ||
		    msg.nrr > (len - HDR_LEN) / 11 ||
		    (msg.nrr > 0) != (msg.rr != NULL))
			abort();
		for (i = 0; i < msg.nrr; i++)
			check_rr(&msg.rr[i], qtype, pkt, len);
	} else if (r == -1) {
		if (msg.nrr != 0 || msg.rr != NULL || msg.rcode != 0)
			abort();
		check_text(err, sizeof(err));
	} else
		abort();
	dns_msg_free(&msg);
	if (msg.nrr != 0 || msg.rr != NULL)
		abort();
	return 0;
}
