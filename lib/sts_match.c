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
#include <arpa/inet.h>

#include <string.h>
#include <strings.h>

#include "mtasts.h"

static unsigned char
ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/*
 * RFC 5321 4.1.2 Domain, with the RFC 1035 length limits:
 * sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str].
 * No trailing dot, no underscore, no hyphen at either end of a label.
 */
int
dns_hostname_valid(const char *s, size_t len)
{
	size_t	 i, label = 0;

	if (len == 0 || len > DNS_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (c == '-') {
			if (label == 0)
				return 0;
		} else if (!abnf_alnum(c))
			return 0;
		if (++label > DNS_LABEL_MAX)
			return 0;
	}
	return label != 0 && s[len - 1] != '-';
}

/* RFC 8461 3.2 sts-policy-mx-value: ["*."] Domain. */
int
sts_mx_pattern_valid(const char *s, size_t len)
{
	if (len >= 2 && s[0] == '*' && s[1] == '.')
		return dns_hostname_valid(s + 2, len - 2);
	return dns_hostname_valid(s, len);
}

static int
name_equal(const char *a, const char *b, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return 0;
	return 1;
}

/*
 * RFC 8461 4.1: case-insensitive, and "*." stands for exactly one
 * whole left-most label.  The MX host comes from DNS, where a trailing
 * dot marks the root: one is ignored.
 */
int
sts_mx_match(const char *pattern, const char *host)
{
	size_t	 plen, hlen;
	const char *dot;

	plen = strlen(pattern);
	hlen = strlen(host);
	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (!sts_mx_pattern_valid(pattern, plen) ||
	    !dns_hostname_valid(host, hlen))
		return 0;
	if (pattern[0] != '*')
		return plen == hlen && name_equal(pattern, host, hlen);
	if ((dot = memchr(host, '.', hlen)) == NULL)
		return 0;
	dot++;
	plen -= 2;
	return (size_t)(host + hlen - dot) == plen &&
	    name_equal(pattern + 2, dot, plen);
}

/* RFC 5321 4.1.3: [IPv4] or [IPv6:address]. */
static int
address_literal(const char *in, size_t len, char *out, size_t outsz)
{
	char		 a[64];
	uint8_t		 buf[16];
	const char	*s = in + 1;
	int		 af = AF_INET;

	if (len - 2 >= sizeof(a) || len >= outsz)
		return -1;
	if (strncasecmp(s, "IPv6:", 5) == 0) {
		af = AF_INET6;
		s += 5;
	}
	memcpy(a, s, in + len - 1 - s);
	a[in + len - 1 - s] = '\0';
	if (inet_pton(af, a, buf) != 1)
		return -1;
	memcpy(out, in, len + 1);
	return 1;
}

int
domain_normalize(const char *in, char *out, size_t outsz)
{
	size_t	 len = strlen(in), i;

	if (len >= 2 && in[0] == '[' && in[len - 1] == ']')
		return address_literal(in, len, out, outsz);
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len >= outsz || !dns_hostname_valid(in, len))
		return -1;
	for (i = 0; i < len; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? in[i] + 32 : in[i];
	out[len] = '\0';
	return 0;
}
