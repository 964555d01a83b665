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


#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

/*
 * RFC 8461 3.2:
 *   sts-policy-record  = sts-policy-field *WSP
 *                        *(sts-policy-term sts-policy-field *WSP)
 *                        [sts-policy-term]
 *   sts-policy-term    = LF / CRLF
 *   sts-policy-field-delim = ":" *WSP
 *   sts-policy-ext-name  = (ALPHA / DIGIT)
 *                          *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   sts-policy-ext-value = sts-policy-vchar
 *                          [*(%x20 / sts-policy-vchar) sts-policy-vchar]
 * Field names and the version and mode values are case-sensitive.
 */

#define EXT_NAME_MAX	32
#define MAX_AGE_DIGITS	10

enum field {
	F_VERSION,
	F_MODE,
	F_MAX_AGE,
	F_MX,
	F_OTHER
};

static const char *const field_names[] = {
	"version", "mode", "max_age", "mx"
};

struct parse {
	struct sts_policy *pol;
	struct sts_error *err;
	sts_warn_cb	 warn;
	void		*arg;
	size_t		 line;
	size_t		 nignored;	/* mx entries dropped */
	size_t		 mxcap;
	int		 seen[F_OTHER];
};

struct span {
	const char	*s;
	size_t		 len;
};

static int
fail(struct parse *p, const char *what, struct span v)
{
	char	 q[STS_ERR_MAX];

	sts_quote(q, 56, v.s, v.len);
	sts_seterr(p->err, p->line, "%s: \"%s\"", what, q);
	return -1;
}

static void
warn(struct parse *p, size_t line, const char *what, struct span v)
{
	struct sts_error e;
	char		 q[STS_ERR_MAX];

	if (p->warn == NULL)
		return;
	sts_quote(q, 56, v.s, v.len);
	sts_seterr(&e, line, "%s: \"%s\"", what, q);
	p->warn(p->arg, &e);
}

static int
span_is(struct span v, const char *lit)
{
	return v.len == strlen(lit) && memcmp(v.s, lit, v.len) == 0;
}

/* Length of the UTF-8 sequence at s (RFC 3629 section 4), 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* sts-policy-ext-value; trailing WSP was already removed. */
static int
check_ext_value(struct parse *p, struct span v)
{
	const unsigned char *s = (const unsigned char *)v.s;
	size_t		 i, n;

	for (i = 0; i < v.len; i += n) {
		n = 1;
		if (s[i] >= 0x21 && s[i] <= 0x7e)
			continue;
		if (s[i] == ' ' && i > 0)
			continue;
		if (s[i] >= 0x80 && (n = utf8_seq(s + i, v.len - i)) != 0)
			continue;
		if (s[i] == '\t')
			return fail(p, "tab inside an extension value", v);
		if (s[i] >= 0x80)
			return fail(p, "extension value is not valid UTF-8",
			    v);
		return fail(p, "control character in extension value", v);
	}
	return 0;
}

static int
parse_version(struct parse *p, struct span v)
{
	if (!span_is(v, "STSv1"))
		return fail(p, "version must be STSv1", v);
	return 0;
}

static int
parse_mode(struct parse *p, struct span v)
{
	enum sts_mode	 mode;

	if (span_is(v, "enforce"))
		mode = STS_MODE_ENFORCE;
	else if (span_is(v, "testing"))
		mode = STS_MODE_TESTING;
	else if (span_is(v, "none"))
		mode = STS_MODE_NONE;
	else
		return fail(p, "mode must be enforce, testing or none "
		    "(lower case)", v);
	if (!p->seen[F_MODE])
		p->pol->mode = mode;
	return 0;
}

/* 1*10DIGIT, read as 64 bits because 10 digits overflow 32. */
static int
parse_max_age(struct parse *p, struct span v)
{
	uint64_t	 n = 0;
	size_t		 i;

	if (v.len == 0 || v.len > MAX_AGE_DIGITS)
		return fail(p, "max_age must be 1 to 10 digits", v);
	for (i = 0; i < v.len; i++) {
		if (!abnf_digit(v.s[i]))
			return fail(p, "max_age must be 1 to 10 digits", v);
		n = n * 10 + (uint64_t)(v.s[i] - '0');
	}
	if (p->seen[F_MAX_AGE])
		return 0;
	if (n > STS_MAX_AGE_CAP) {
		warn(p, p->line, "max_age above 31557600 capped to 31557600",
		    v);
		n = STS_MAX_AGE_CAP;
	}
	p->pol->max_age = n;
	return 0;
}

static int
mx_explain(struct parse *p, struct span v)
{
	size_t	 i;

	if (v.len > 0 && v.s[v.len - 1] == '.')
		return fail(p, "mx must not end with a dot", v);
	if (v.len > 0 && v.s[0] == '.')
		return fail(p, "mx must not begin with a dot "
		    "(write \"*.domain\" for one label)", v);
	for (i = 0; i < v.len; i++)
		if ((unsigned char)v.s[i] >= 0x80)
			return fail(p, "mx must be written with A-labels "
			    "(punycode)", v);
	return fail(p, "mx is not [\"*.\"] followed by a host name", v);
}

/*
 * A name whose last label is all digits is never a host name
 * (RFC 1123 2.1): such an entry is an address, not a pattern to
 * match or hand to a TLS stack, so it is dropped.
 */
static int
numeric_tld(struct span v)
{
	size_t	 i = v.len;

	while (i > 0 && v.s[i - 1] != '.')
		if (!abnf_digit(v.s[--i]))
			return 0;
	return 1;
}

static int
parse_mx(struct parse *p, struct span v)
{
	struct sts_policy *pol = p->pol;
	char		**mx, *pat;

	if (!sts_mx_pattern_valid(v.s, v.len))
		return mx_explain(p, v);
	if (numeric_tld(v)) {
		warn(p, p->line, "mx that is an address, not a host name, "
		    "ignored", v);
		p->nignored++;
		return 0;
	}
	if ((pat = malloc(v.len + 1)) == NULL) {
		sts_seterr(p->err, p->line, "out of memory");
		return -1;
	}
	memcpy(pat, v.s, v.len);
	pat[v.len] = '\0';
	if (pol->nmx == p->mxcap) {
		mx = reallocarray(pol->mx, p->mxcap ? p->mxcap * 2 : 8,
		    sizeof(*mx));
		if (mx == NULL) {
			free(pat);
			sts_seterr(p->err, p->line, "out of memory");
			return -1;
		}
		pol->mx = mx;
		p->mxcap = p->mxcap ? p->mxcap * 2 : 8;
	}
	pol->mx[pol->nmx++] = pat;
	return 0;
}

static enum field
field_lookup(struct span name)
{
	size_t	 f;

	for (f = 0; f < F_OTHER; f++)
		if (span_is(name, field_names[f]))
			return f;
	return F_OTHER;
}

static int
parse_field(struct parse *p, enum field f, struct span name, struct span v)
{
	int	 r;

	switch (f) {
	case F_VERSION:
		r = parse_version(p, v);
		break;
	case F_MODE:
		r = parse_mode(p, v);
		break;
	case F_MAX_AGE:
		r = parse_max_age(p, v);
		break;
	case F_MX:
		return parse_mx(p, v);
	default:
		if ((r = check_ext_value(p, v)) == 0)
			warn(p, p->line, "unknown field ignored", name);
		return r;
	}
	if (r == 0 && p->seen[f])
		warn(p, p->line, "duplicate field ignored, the first one "
		    "counts", name);
	p->seen[f] = 1;
	return r;
}

/* One line, without its terminator. */
static int
parse_line(struct parse *p, struct span l)
{
	struct span	 name = { l.s, 0 }, v;
	size_t		 i;

	if (l.len == 0)
		return fail(p, "empty line", l);
	if (!abnf_alnum(l.s[0])) {
		if (l.s[0] == '#')
			return fail(p, "comments are not allowed", l);
		if (abnf_wsp(l.s[0]))
			return fail(p, "line begins with whitespace", l);
		return fail(p, "line does not begin with a field name", l);
	}
	for (i = 0; i < l.len && l.s[i] != ':'; i++)
		if (!abnf_ext_name(l.s[i])) {
			if (abnf_wsp(l.s[i]))
				return fail(p, "whitespace before ':'", l);
			return fail(p, "invalid character in field name", l);
		}
	if (i == l.len)
		return fail(p, "missing ':' after the field name", l);
	name.len = i;
	if (name.len > EXT_NAME_MAX)
		return fail(p, "field name longer than 32 characters", name);
	for (i++; i < l.len && abnf_wsp(l.s[i]); i++)
		;
	v.s = l.s + i;
	v.len = l.len - i;
	while (v.len > 0 && abnf_wsp(v.s[v.len - 1]))
		v.len--;
	if (v.len == 0)
		return fail(p, "empty value", name);
	return parse_field(p, field_lookup(name), name, v);
}

static int
parse_lines(struct parse *p, const char *s, size_t len)
{
	const char	*nl;
	struct span	 l;
	size_t		 pos = 0;

	for (p->line = 1; pos < len; p->line++) {
		l.s = s + pos;
		if ((nl = memchr(l.s, '\n', len - pos)) == NULL) {
			l.len = len - pos;
			pos = len;
		} else {
			l.len = nl - l.s;
			pos += l.len + 1;
			if (l.len > 0 && l.s[l.len - 1] == '\r')
				l.len--;
		}
		if (memchr(l.s, '\r', l.len) != NULL)
			return fail(p, "CR that does not end a line", l);
		if (parse_line(p, l) == -1)
			return -1;
	}
	return 0;
}

static int
check_required(struct parse *p)
{
	static const char *const what[] = {
		"no version field", "no mode field", "no max_age field"
	};
	size_t	 f;

	for (f = F_VERSION; f <= F_MAX_AGE; f++)
		if (!p->seen[f]) {
			sts_seterr(p->err, 0, "%s", what[f]);
			return -1;
		}
	if (p->pol->nmx == 0 && p->pol->mode != STS_MODE_NONE) {
		if (p->nignored > 0)
			sts_seterr(p->err, 0, "no usable mx field: every mx "
			    "is an address");
		else
			sts_seterr(p->err, 0, "no mx field (required unless "
			    "mode is none)");
		return -1;
	}
	return 0;
}

int
sts_policy_parse(const char *s, size_t len, struct sts_policy *pol,
    struct sts_error *err, sts_warn_cb warncb, void *arg)
{
	struct parse	 p;

	memset(pol, 0, sizeof(*pol));
	memset(&p, 0, sizeof(p));
	p.pol = pol;
	p.err = err;
	p.warn = warncb;
	p.arg = arg;
	if (len > STS_POLICY_MAX) {
		sts_seterr(err, 0, "policy is larger than %d bytes",
		    STS_POLICY_MAX);
		return -1;
	}
	if (len == 0) {
		sts_seterr(err, 0, "empty policy");
		return -1;
	}
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		sts_seterr(err, 1, "UTF-8 byte order mark before the first "
		    "field");
		return -1;
	}
	if (parse_lines(&p, s, len) == -1 || check_required(&p) == -1) {
		sts_policy_free(pol);
		return -1;
	}
	return 0;
}

void
sts_policy_free(struct sts_policy *pol)
{
	size_t	 i;

	for (i = 0; i < pol->nmx; i++)
		free(pol->mx[i]);
	free(pol->mx);
	memset(pol, 0, sizeof(*pol));
}

const char *
sts_mode_name(enum sts_mode mode)
{
	switch (mode) {
	case STS_MODE_ENFORCE:
		return "enforce";
	case STS_MODE_TESTING:
		return "testing";
	default:
		return "none";
	}
}
