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


#include "mtasts.h"

/*
 * RFC 7672 3.1.3: for SMTP only DANE-TA(2) and DANE-EE(3) are usable;
 * PKIX-TA(0) and PKIX-EE(1) are treated as unusable, as everyone does.
 * RFC 6698 4.1 and RFC 7671 9: unknown selectors or matching types,
 * and digests of the wrong length, make a record unusable.
 */

#define DER_SEQUENCE	0x30

/*
 * A certificate or SPKI is one DER SEQUENCE: its header must say how
 * long it is, and that must be exactly the data (X.690 8.1.3).
 */
static int
der_sequence(const uint8_t *d, size_t len)
{
	size_t	 hl, n = 0, i;

	if (len < 2 || d[0] != DER_SEQUENCE)
		return 0;
	if (d[1] < 0x80)
		return 2 + (size_t)d[1] == len;
	/* Long form: 1 or 2 length octets, rdata being under 64k. */
	hl = 2 + (d[1] & 0x7f);
	if (d[1] == 0x80 || hl > 2 + sizeof(uint16_t) || hl > len)
		return 0;
	for (i = 2; i < hl; i++)
		n = n << 8 | d[i];
	return hl + n == len;
}

int
dane_tlsa_usable(const uint8_t *rd, size_t len)
{
	size_t	 dlen;

	if (len < 4)
		return 0;
	if (rd[0] != TLSA_DANE_TA && rd[0] != TLSA_DANE_EE)
		return 0;
	if (rd[1] != TLSA_CERT && rd[1] != TLSA_SPKI)
		return 0;
	dlen = len - 3;
	switch (rd[2]) {
	case TLSA_FULL:
		return der_sequence(rd + 3, dlen);
	case TLSA_SHA256:
		return dlen == 32;
	case TLSA_SHA512:
		return dlen == 64;
	default:
		return 0;
	}
}

size_t
dane_count_usable(const struct dns_msg *msg)
{
	size_t	 i, n = 0;

	for (i = 0; i < msg->nrr; i++)
		if (dane_tlsa_usable(msg->rr[i].data, msg->rr[i].len))
			n++;
	return n;
}
