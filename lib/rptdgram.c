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


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

/*
 * The datagrams of libtlsrpt, the TLSRPT client library Postfix 3.10
 * and later send delivery outcomes through (smtp_tlsrpt_socket_name),
 * datagram protocol version 1: one JSON object per delivery attempt,
 *
 *	{"dpv":"1","d":DOMAIN,"pr":RECORD,"policies":[POLICY,...]}
 *	POLICY: {"policy-type":1|2|9,"policy-domain":NAME,
 *	    "policy-string":[S,...],"mx-host":[P,...],
 *	    "failure-details":[DETAIL,...],"t":N,"f":0|1}
 *	DETAIL: {"c":CODE,"s":SENDING-IP,"n":MX,"h":HELO,"r":RECEIVING-IP,
 *	    "a":ADDITIONAL,"f":REASON}
 *
 * (policy types 1 tlsa, 2 sts, 9 no-policy-found; CODE 201-205 and
 * 301-306, the RFC 8460 result types in order; "f" of a policy is its
 * final result, 1 failure).  The parser takes exactly that: every
 * member of the right type, none twice, the required ones there,
 * strings and lists within RPT_STR_MAX and RPT_STRS_MAX, at most
 * RPT_DGRAM_POLICIES policies of at most RPT_DETAILS_MAX details.  An
 * unknown member is skipped if its value is a string, a number, true,
 * false or null (a later library version may add some); anything else
 * refuses the datagram.  Strings are decoded into the result's own
 * buffer; what is not printable US-ASCII, raw or escaped, becomes "?",
 * so what is stored and later reported is plain text.
 */

#define NUM_MAX		9	/* digits */

struct cur {
	const char	*p, *end;
	char		*out;		/* decoded strings go here */
	struct rpt_dgram *dg;
	size_t		 nstr, ndet;
	char		*err;
	size_t		 errsz;
};

static int
fail(struct cur *c, const char *what)
{
	(void)snprintf(c->err, c->errsz, "%s at byte %zu", what,
	    (size_t)(c->p - c->dg->buf));
	return -1;
}

static void
ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
expect(struct cur *c, char ch)
{
	ws(c);
	if (c->p == c->end || *c->p != ch)
		return fail(c, ch == ':' ? "expected ':'" : ch == '{' ?
		    "expected '{'" : ch == '[' ? "expected '['" :
		    "unexpected input");
	c->p++;
	return 0;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A string, decoded in place of what it was; never longer. */
static int
string_max(struct cur *c, const char **s, size_t max)
{
	char	*start = c->out, ch;
	int	 i, v, cp;

	ws(c);
	if (c->p == c->end || *c->p != '"')
		return fail(c, "expected a string");
	c->p++;
	for (;;) {
		if (c->p == c->end)
			return fail(c, "unterminated string");
		ch = *c->p++;
		if (ch == '"')
			break;
		if ((unsigned char)ch < 0x20)
			return fail(c, "control character in a string");
		if (ch == '\\') {
			if (c->p == c->end)
				return fail(c, "unterminated string");
			switch ((ch = *c->p++)) {
			case '"': case '\\': case '/':
				break;
			case 'b': case 'f': case 'n': case 'r': case 't':
				ch = '?';
				break;
			case 'u':
				for (i = 0, cp = 0; i < 4; i++) {
					if (c->p == c->end ||
					    (v = hexval(*c->p++)) == -1)
						return fail(c, "bad \\u escape");
					cp = cp * 16 + v;
				}
				ch = cp >= 0x20 && cp < 0x7f ? (char)cp : '?';
				break;
			default:
				return fail(c, "bad escape");
			}
		} else if ((unsigned char)ch >= 0x7f)
			ch = '?';
		if ((size_t)(c->out - start) == max)
			return fail(c, "string too long");
		*c->out++ = ch;
	}
	*c->out++ = '\0';
	*s = start;
	return 0;
}

static int
string(struct cur *c, const char **s)
{
	return string_max(c, s, RPT_STR_MAX);
}

static int
number(struct cur *c, long *n)
{
	int	 digits = 0;

	ws(c);
	*n = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (++digits > NUM_MAX)
			return fail(c, "number too large");
		*n = *n * 10 + (*c->p++ - '0');
	}
	if (digits == 0)
		return fail(c, "expected a number");
	if (digits > 1 && c->p[-digits] == '0')
		return fail(c, "leading zero");
	if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'))
		return fail(c, "expected an integer");
	return 0;
}

/* The value of a member we do not know: a scalar only. */
static int
skip(struct cur *c)
{
	static const char *const words[] = { "true", "false", "null" };
	const char	*s;
	long		 n;
	size_t		 i, l;
	char		*mark = c->out;

	ws(c);
	if (c->p < c->end && *c->p == '"') {
		if (string_max(c, &s, RPT_DGRAM_MAX) == -1)
			return -1;
		c->out = mark;
		return 0;
	}
	if (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		return number(c, &n);
	for (i = 0; i < 3; i++) {
		l = strlen(words[i]);
		if ((size_t)(c->end - c->p) >= l &&
		    memcmp(c->p, words[i], l) == 0) {
			c->p += l;
			return 0;
		}
	}
	return fail(c, "unknown member with a value that is not a scalar");
}

/*
 * The members of an object, one call of fn per member with its name;
 * fn parses the value.  Empty objects are allowed.
 */
static int
object(struct cur *c, int (*fn)(struct cur *, const char *, void *),
    void *arg)
{
	const char	*name;

	if (expect(c, '{') == -1)
		return -1;
	ws(c);
	if (c->p < c->end && *c->p == '}') {
		c->p++;
		return 0;
	}
	for (;;) {
		if (string(c, &name) == -1 || expect(c, ':') == -1 ||
		    fn(c, name, arg) == -1)
			return -1;
		ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		return expect(c, '}');
	}
}

/* A list of strings, each printable and not empty, into dg->str. */
static int
strings(struct cur *c, const char *const **l, size_t *n)
{
	const char	*s;

	if (expect(c, '[') == -1)
		return -1;
	*l = &c->dg->str[c->nstr];
	*n = 0;
	ws(c);
	if (c->p < c->end && *c->p == ']') {
		c->p++;
		return 0;
	}
	for (;;) {
		if (string(c, &s) == -1)
			return -1;
		if (*s == '\0')
			return fail(c, "empty string in a list");
		if (*n == RPT_STRS_MAX ||
		    c->nstr == sizeof(c->dg->str) / sizeof(c->dg->str[0]))
			return fail(c, "list too long");
		c->dg->str[c->nstr++] = s;
		(*n)++;
		ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		return expect(c, ']');
	}
}

struct seen {
	unsigned	 bits;
};

static int
once(struct cur *c, struct seen *sn, int bit)
{
	if (sn->bits & (1U << bit))
		return fail(c, "member given twice");
	sn->bits |= 1U << bit;
	return 0;
}

struct detail_ctx {
	struct rpt_detail	*d;
	struct seen		 sn;
};

static int
detail_member(struct cur *c, const char *name, void *arg)
{
	static const char	 keys[] = "csnhraf";
	struct detail_ctx	*x = arg;
	const char		*k, **dst = NULL;
	long			 code;
	int			 t;

	if (name[0] == '\0' || name[1] != '\0' ||
	    (k = strchr(keys, name[0])) == NULL)
		return skip(c);
	if (once(c, &x->sn, (int)(k - keys)) == -1)
		return -1;
	switch (name[0]) {
	case 'c':
		if (number(c, &code) == -1)
			return -1;
		if ((t = rpt_result_from_code(code)) == -1)
			return fail(c, "unknown failure code");
		x->d->type = t;
		return 0;
	case 's': dst = &x->d->sending_ip; break;
	case 'n': dst = &x->d->mx_host; break;
	case 'h': dst = &x->d->mx_helo; break;
	case 'r': dst = &x->d->receiving_ip; break;
	case 'a': dst = &x->d->additional; break;
	case 'f': dst = &x->d->reason; break;
	}
	return string(c, dst);
}

static int
details(struct cur *c, struct rpt_result *r)
{
	struct detail_ctx	 x;

	if (expect(c, '[') == -1)
		return -1;
	r->details = &c->dg->det[c->ndet];
	r->ndetails = 0;
	ws(c);
	if (c->p < c->end && *c->p == ']') {
		c->p++;
		return 0;
	}
	for (;;) {
		if (r->ndetails == RPT_DETAILS_MAX ||
		    c->ndet == sizeof(c->dg->det) / sizeof(c->dg->det[0]))
			return fail(c, "too many failure details");
		memset(&x, 0, sizeof(x));
		x.d = &c->dg->det[c->ndet];
		memset(x.d, 0, sizeof(*x.d));
		if (object(c, detail_member, &x) == -1)
			return -1;
		if (!(x.sn.bits & 1))
			return fail(c, "failure detail without \"c\"");
		c->ndet++;
		r->ndetails++;
		ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		return expect(c, ']');
	}
}

struct policy_ctx {
	struct rpt_result	*r;
	struct seen		 sn;
};

/* A domain name, normalized in place; -1 if it is not one. */
static int
domain(struct cur *c, const char **s)
{
	char	 norm[DNS_NAME_MAX + 1];

	if (string(c, s) == -1)
		return -1;
	if (domain_normalize(*s, norm, sizeof(norm)) != 0)
		return fail(c, "not a domain name");
	memcpy((char *)(uintptr_t)*s, norm, strlen(norm) + 1);
	return 0;
}

static int
policy_member(struct cur *c, const char *name, void *arg)
{
	static const char *const keys[] = { "policy-type", "policy-domain",
	    "policy-string", "mx-host", "failure-details", "t", "f" };
	struct policy_ctx	*x = arg;
	long			 n;
	int			 i;

	for (i = 0; i < 7 && strcmp(keys[i], name) != 0; i++)
		;
	if (i == 7)
		return skip(c);
	if (once(c, &x->sn, i) == -1)
		return -1;
	switch (i) {
	case 0:
		if (number(c, &n) == -1)
			return -1;
		if (n != 1 && n != 2 && n != 9)
			return fail(c, "unknown policy type");
		x->r->policy = n == 1 ? RPT_P_TLSA : n == 2 ? RPT_P_STS :
		    RPT_P_NONE;
		return 0;
	case 1:
		return domain(c, &x->r->policy_domain);
	case 2:
		return strings(c, &x->r->strings, &x->r->nstrings);
	case 3:
		return strings(c, &x->r->mx, &x->r->nmx);
	case 4:
		return details(c, x->r);
	case 5:
		return number(c, &n);	/* the count of details: redundant */
	default:
		if (number(c, &n) == -1)
			return -1;
		if (n != 0 && n != 1)
			return fail(c, "final result neither 0 nor 1");
		x->r->failed = (int)n;
		return 0;
	}
}

static int
policies(struct cur *c)
{
	struct policy_ctx	 x;
	struct rpt_dgram	*dg = c->dg;

	if (expect(c, '[') == -1)
		return -1;
	for (;;) {
		if (dg->nres == RPT_DGRAM_POLICIES)
			return fail(c, "too many policies");
		memset(&x, 0, sizeof(x));
		x.r = &dg->res[dg->nres];
		memset(x.r, 0, sizeof(*x.r));
		if (object(c, policy_member, &x) == -1)
			return -1;
		if ((x.sn.bits & 1) == 0 || (x.sn.bits & (1U << 6)) == 0)
			return fail(c, "policy without \"policy-type\" or "
			    "\"f\"");
		dg->nres++;
		ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		return expect(c, ']');
	}
}

struct top_ctx {
	const char	*d;
	struct seen	 sn;
};

static int
top_member(struct cur *c, const char *name, void *arg)
{
	static const char *const keys[] = { "dpv", "d", "pr", "policies" };
	struct top_ctx	*x = arg;
	const char	*s;
	int		 i;

	for (i = 0; i < 4 && strcmp(keys[i], name) != 0; i++)
		;
	if (i == 4)
		return skip(c);
	if (once(c, &x->sn, i) == -1)
		return -1;
	switch (i) {
	case 0:
		if (string(c, &s) == -1)
			return -1;
		return strcmp(s, "1") == 0 ? 0 :
		    fail(c, "datagram protocol version is not 1");
	case 1:
		return domain(c, &x->d);
	case 2:
		return string_max(c, &s, RPT_DGRAM_MAX);	/* not used */
	default:
		return policies(c);
	}
}

/*
 * Parse len bytes at p into dg: 0 and dg->nres results, or -1 and why
 * in err.
 */
int
rpt_dgram_parse(const char *p, size_t len, struct rpt_dgram *dg, char *err,
    size_t errsz)
{
	struct cur	 c;
	struct top_ctx	 x;
	size_t		 i;

	dg->nres = 0;
	if (len > RPT_DGRAM_MAX) {
		(void)snprintf(err, errsz, "datagram too large");
		return -1;
	}
	/* parsed in dg->buf: strings are decoded over what they were */
	memcpy(dg->buf, p, len);
	memset(&c, 0, sizeof(c));
	memset(&x, 0, sizeof(x));
	c.p = dg->buf;
	c.end = dg->buf + len;
	c.out = dg->buf;
	c.dg = dg;
	c.err = err;
	c.errsz = errsz;
	if (object(&c, top_member, &x) == -1)
		goto bad;
	ws(&c);
	if (c.p != c.end) {
		fail(&c, "trailing bytes");
		goto bad;
	}
	if ((x.sn.bits & 0xb) != 0xb) {
		(void)snprintf(err, errsz, "\"dpv\", \"d\" or \"policies\" "
		    "missing");
		goto bad;
	}
	for (i = 0; i < dg->nres; i++) {
		dg->res[i].domain = x.d;
		if (!rpt_result_valid(&dg->res[i])) {
			(void)snprintf(err, errsz, "policy %zu: not a valid "
			    "result", i + 1);
			goto bad;
		}
	}
	return 0;
bad:
	dg->nres = 0;
	return -1;
}
