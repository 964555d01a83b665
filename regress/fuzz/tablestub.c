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
 * The verdict memory the table server answers from (vcache.c), as a
 * stand-in for the table fuzz targets: each domain gets a verdict,
 * reason and MX host picked by a hash of its name, the longest ones
 * included, so that every answer tablesrv_answer() can give is made.
 * It checks it is only asked about normalised host names.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "mtasts.h"
#include "tablestub.h"

struct vcache {
	struct verdict	 v;
	char		 reason[VERDICT_REASON_MAX];
	char		 mx[DNS_NAME_MAX + 1];
};

static struct vcache	 stub;
struct vcache		*stub_vc = &stub;

static uint32_t
hash(const char *s)
{
	uint32_t	 h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* What vcache.c is given: domain_normalize()'s output, never literals. */
static void
check_domain(const char *d)
{
	size_t	 i, len = strlen(d);

	if (len == 0 || len > DNS_NAME_MAX || d[len - 1] == '.' ||
	    !dns_hostname_valid(d, len))
		abort();
	for (i = 0; i < len; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			abort();
}

/* The longest reason and host name the front would accept. */
static void
fill(char *s, size_t len, char c)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		s[i] = (i % 64 == 63) ? '.' : c;
	s[len] = '\0';
}

const struct verdict *
vcache_peek(struct vcache *vc, const char *domain)
{
	uint32_t	 h;

	check_domain(domain);
	h = hash(domain);
	memset(&vc->v, 0, sizeof(vc->v));
	vc->v.domain = domain;
	vc->reason[0] = '\0';
	vc->v.reason = vc->reason;
	switch (h % 6) {
	case 0:
		return NULL;
	case 1:
		vc->v.kind = VERDICT_STS_ENFORCE;
		break;
	case 2:
		vc->v.kind = VERDICT_DANE;
		break;
	case 3:
		vc->v.kind = VERDICT_DEFER;
		if (h & 0x100)
			fill(vc->reason, sizeof(vc->reason) - 1, 'r');
		else
			strlcpy_stub(vc->reason, "policy fetch failed",
			    sizeof(vc->reason));
		break;
	case 4:
		vc->v.kind = VERDICT_STS_TESTING;
		break;
	default:
		vc->v.kind = VERDICT_NONE;
		break;
	}
	return &vc->v;
}

const char *
vcache_next_mx(struct vcache *vc, const char *domain)
{
	uint32_t	 h;

	check_domain(domain);
	h = hash(domain);
	if (h % 3 == 0)
		return NULL;
	if (h % 3 == 1)
		fill(vc->mx, DNS_NAME_MAX, 'm');
	else
		strlcpy_stub(vc->mx, "mx1.example", sizeof(vc->mx));
	return vc->mx;
}

void
strlcpy_stub(char *dst, const char *src, size_t size)
{
	size_t	 len = strlen(src);

	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* One printable line: printable ASCII, then a single newline. */
int
stub_one_line(const char *s, size_t size)
{
	size_t	 len;

	if (memchr(s, '\0', size) == NULL)
		return 0;
	len = strlen(s);
	if (len == 0 || s[len - 1] != '\n')
		return 0;
	for (; len > 1; s++, len--)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Each a different shape of answer the filter's socket could give. */
static const char	*answers[] = {
	"found",
	"not-found",
	"error no verdict yet for this domain",
	"found smtp+tls://mx1.example:25",
	"found ",
	"error ",
	"error",
	"",
	"found\x01",
	"not-found\x7f",
	"error line\x1b" "break",
	"bogus",
	NULL,
	"LONG",
	"REFLECT",
	"found REFLECT"
};

/*
 * The table's question to the filter: what and key must make one
 * request line; the answer is picked by the next script byte.
 */
const char *
stub_ask(void *arg, const char *what, const char *key, char *reply,
    size_t replysz)
{
	struct stub_script	*sc = arg;
	const char		*a;
	uint8_t			 b = 0;

	if ((strcmp(what, "check") != 0 && strcmp(what, "relayhost") != 0) ||
	    strlen(key) > DNS_NAME_MAX + 2 || replysz != TABLE_LINE_MAX)
		abort();
	for (a = key; *a != '\0'; a++)
		if ((unsigned char)*a < 0x20 || (unsigned char)*a > 0x7e)
			abort();
	if (sc->len > 0) {
		b = sc->p[sc->off++ % sc->len];
		sc->asked++;
	}
	a = answers[b % (sizeof(answers) / sizeof(answers[0]))];
	if (a == NULL)
		return NULL;
	if (strcmp(a, "LONG") == 0) {
		fill(reply, replysz - 1, 'x');
		return reply;
	}
	if (strcmp(a, "REFLECT") == 0) {
		strlcpy_stub(reply, key, replysz);
		return reply;
	}
	if (strcmp(a, "found REFLECT") == 0) {
		(void)snprintf(reply, replysz, "found %s", key);
		return reply;
	}
	return a;
}
