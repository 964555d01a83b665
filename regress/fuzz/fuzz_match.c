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
 * libFuzzer target for MX pattern matching (sts_match.c).  The input
 * is "PATTERN\nHOST"; without a '\n' the whole input is both, which
 * exercises self-matching.  The properties checked are those of RFC
 * 8461 4.1 as decided in M1-M3.  Any broken one calls abort().
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A NUL-terminated copy of exactly the bytes it holds, for ASan. */
static char *
copy(const void *p, size_t len, const char *suffix)
{
	char	*s;
	size_t	 slen = strlen(suffix);

	if ((s = malloc(len + slen + 1)) == NULL)
		abort();
	memcpy(s, p, len);
	memcpy(s + len, suffix, slen + 1);
	return s;
}

static char *
upper(const char *src)
{
	char	*s, *p;

	s = copy(src, strlen(src), "");
	for (p = s; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p -= 'a' - 'A';
	return s;
}

static int
match(const char *pattern, const char *host)
{
	int	 r;

	r = sts_mx_match(pattern, host);
	if (r != 0 && r != 1)
		abort();
	return r;
}

/* The host name syntax that matching uses, one root dot allowed. */
static int
host_valid(const char *h)
{
	size_t	 len = strlen(h);

	if (len > 0 && h[len - 1] == '.')
		len--;
	return dns_hostname_valid(h, len);
}

static int
name_valid(const char *s)
{
	return dns_hostname_valid(s, strlen(s));
}

/* M1: ASCII case never matters, on either side. */
static void
check_case(const char *p, const char *h, int r)
{
	char	*up, *uh;

	up = upper(p);
	uh = upper(h);
	if (match(up, uh) != r || match(up, h) != r || match(p, uh) != r)
		abort();
	free(up);
	free(uh);
}

/* M1: one root dot from DNS is ignored. */
static void
check_root_dot(const char *p, const char *h, int r)
{
	char	*hd;
	size_t	 len = strlen(h);

	if (len > 0 && h[len - 1] == '.')
		return;
	hd = copy(h, len, ".");
	if (match(p, hd) != r)
		abort();
	free(hd);
}

/*
 * M2: "*.D" matches H exactly when H has a first label and what
 * follows it matches D.
 */
static void
check_wildcard(const char *p, const char *h, int r)
{
	const char	*dot;
	size_t		 len = strlen(h);

	if (len > 0 && h[len - 1] == '.')
		len--;
	if ((dot = memchr(h, '.', len)) == NULL) {
		if (r != 0)
			abort();
		return;
	}
	if (match(p + 2, dot + 1) != r)
		abort();
}

/* A valid host matches itself, once its root dot makes it a pattern. */
static void
check_self(const char *h)
{
	char	*bare;
	size_t	 len = strlen(h);

	if (len > 0 && h[len - 1] == '.')
		len--;
	bare = copy(h, len, "");
	if (match(bare, h) != 1 || match(bare, bare) != 1)
		abort();
	free(bare);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*sep;
	char		*p, *h;
	int		 r, pv, hv;

	if ((sep = memchr(data, '\n', size)) != NULL) {
		p = copy(data, sep - data, "");
		h = copy(sep + 1, size - (sep - data) - 1, "");
	} else {
		p = copy(data, size, "");
		h = copy(data, size, "");
	}
	r = match(p, h);
	pv = sts_mx_pattern_valid(p, strlen(p));
	hv = host_valid(h);
	if (r && (!pv || !hv))
		abort();
	check_case(p, h, r);
	check_root_dot(p, h, r);
	if (pv && hv && p[0] == '*')
		check_wildcard(p, h, r);
	if (strchr(p, '*') == NULL && name_valid(p) && name_valid(h) &&
	    match(h, p) != r)
		abort();
	if (hv)
		check_self(h);
	if (pv && p[0] != '*' && match(p, p) != 1)
		abort();
	free(p);
	free(h);
	return 0;
}
