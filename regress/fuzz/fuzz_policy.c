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
 * libFuzzer target for the policy body parser (sts_policy.c).  The
 * input is the body exactly as served.  A valid policy is written out
 * again in canonical form and must parse to the same result.  Any
 * broken invariant calls abort() for libFuzzer to catch.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "fuzzcheck.h"

struct warnctx {
	size_t	 nlines;
	size_t	 count;
};

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* A warning always concerns one line, never the whole body. */
static void
warn_cb(void *arg, const struct sts_error *w)
{
	struct warnctx	*ctx = arg;

	if (w == NULL || w->where == 0)
		abort();
	fuzz_check_msg(w, ctx->nlines);
	ctx->count++;
}

static size_t
count_lines(const char *s, size_t len)
{
	size_t	 i, n = 1;

	for (i = 0; i < len; i++)
		if (s[i] == '\n')
			n++;
	return n;
}

/*
 * What P2/P3 promise of an accepted body: every line begins with a
 * field name (so no empty line, no indent, no comment, no BOM) and
 * every CR ends a line.
 */
static void
check_shape(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > STS_POLICY_MAX || !is_alnum(s[0]))
		abort();
	for (i = 0; i < len; i++) {
		if (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'))
			abort();
		if (s[i] == '\n' && i + 1 < len && !is_alnum(s[i + 1]))
			abort();
	}
}

/* RFC 1123 2.1: a last label of digits only is an address (P11). */
static int
numeric_tld(const char *s)
{
	const char	*p;

	p = strrchr(s, '.');
	p = p == NULL ? s : p + 1;
	return strspn(p, "0123456789") == strlen(p);
}

static void
check_valid(const struct sts_policy *pol)
{
	size_t	 i;

	if (pol->mode != STS_MODE_NONE && pol->mode != STS_MODE_TESTING &&
	    pol->mode != STS_MODE_ENFORCE)
		abort();
	if (pol->max_age > STS_MAX_AGE_CAP)
		abort();
	if (pol->nmx == 0 && pol->mode != STS_MODE_NONE)
		abort();
	if (pol->nmx > 0 && pol->mx == NULL)
		abort();
	for (i = 0; i < pol->nmx; i++) {
		if (pol->mx[i] == NULL ||
		    !sts_mx_pattern_valid(pol->mx[i], strlen(pol->mx[i])) ||
		    numeric_tld(pol->mx[i]))
			abort();
	}
}

static void
check_empty(const struct sts_policy *pol)
{
	if (pol->nmx != 0 || pol->mx != NULL || pol->max_age != 0 ||
	    pol->mode != STS_MODE_NONE)
		abort();
}

/*
 * The canonical form: the four fields, no space after ':', one LF
 * per line.  It is never longer than the body it came from, as long
 * as the last LF is left out when it would pass the size limit (the
 * body may have lacked it).
 */
static char *
serialise(const struct sts_policy *pol, size_t *lenp)
{
	char	*buf, *p;
	size_t	 i, len, n;
	int	 hl;

	hl = snprintf(NULL, 0, "version:STSv1\nmode:%s\nmax_age:%llu\n",
	    sts_mode_name(pol->mode), (unsigned long long)pol->max_age);
	if (hl < 0)
		abort();
	len = hl;
	for (i = 0; i < pol->nmx; i++)
		len += 3 + strlen(pol->mx[i]) + 1;
	if ((buf = malloc(len + 1)) == NULL)
		abort();
	(void)snprintf(buf, len + 1, "version:STSv1\nmode:%s\nmax_age:%llu\n",
	    sts_mode_name(pol->mode), (unsigned long long)pol->max_age);
	p = buf + hl;
	for (i = 0; i < pol->nmx; i++) {
		n = strlen(pol->mx[i]);
		memcpy(p, "mx:", 3);
		memcpy(p + 3, pol->mx[i], n);
		p[3 + n] = '\n';
		p += 3 + n + 1;
	}
	if (len > STS_POLICY_MAX)
		len--;
	*lenp = len;
	return buf;
}

/* Canonical form in, same policy out, and nothing to warn about. */
static void
check_roundtrip(const struct sts_policy *pol)
{
	struct sts_policy	 again;
	struct sts_error	 err;
	struct warnctx		 ctx;
	char			*buf;
	size_t			 i, len;

	buf = serialise(pol, &len);
	ctx.nlines = count_lines(buf, len);
	ctx.count = 0;
	fuzz_err_init(&err);
	if (sts_policy_parse(buf, len, &again, &err, warn_cb, &ctx) != 0)
		abort();
	if (ctx.count != 0 || again.mode != pol->mode ||
	    again.max_age != pol->max_age || again.nmx != pol->nmx)
		abort();
	for (i = 0; i < pol->nmx; i++)
		if (strcmp(again.mx[i], pol->mx[i]) != 0)
			abort();
	sts_policy_free(&again);
	free(buf);
}

/*
 * libFuzzer rarely makes inputs near 64 KB, so the size limit is
 * checked once here: exactly STS_POLICY_MAX bytes pass, one more fail.
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char	 head[] =
	    "version: STSv1\nmode: none\nmax_age: 86400\nx: ";
	struct sts_policy	 pol;
	struct sts_error	 err;
	char			*buf;

	(void)argc;
	(void)argv;
	if ((buf = malloc(STS_POLICY_MAX + 1)) == NULL)
		abort();
	memset(buf, 'a', STS_POLICY_MAX + 1);
	memcpy(buf, head, sizeof(head) - 1);
	if (sts_policy_parse(buf, STS_POLICY_MAX, &pol, &err, NULL,
	    NULL) != 0)
		abort();
	sts_policy_free(&pol);
	fuzz_err_init(&err);
	if (sts_policy_parse(buf, STS_POLICY_MAX + 1, &pol, &err, NULL,
	    NULL) != -1 || err.where != 0)
		abort();
	fuzz_check_msg(&err, 0);
	check_empty(&pol);
	sts_policy_free(&pol);
	free(buf);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*s = (const char *)data;
	struct sts_policy	 pol;
	struct sts_error	 err;
	struct warnctx		 ctx;
	int			 r;

	ctx.nlines = count_lines(s, size);
	ctx.count = 0;
	fuzz_err_init(&err);
	r = sts_policy_parse(s, size, &pol, &err, warn_cb, &ctx);
	if (r == 0) {
		check_shape(s, size);
		check_valid(&pol);
		check_roundtrip(&pol);
	} else if (r == -1) {
		fuzz_check_msg(&err, ctx.nlines);
		check_empty(&pol);
	} else
		abort();
	sts_policy_free(&pol);
	return 0;
}
