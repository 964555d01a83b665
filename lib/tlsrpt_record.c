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
#include <strings.h>

#include "mtasts.h"

/*
 * RFC 8460 3:
 *   tlsrpt-record    = tlsrpt-version 1*(field-delim tlsrpt-field)
 *                      [field-delim]
 *   field-delim      = *WSP ";" *WSP
 *   tlsrpt-field     = tlsrpt-rua / tlsrpt-extension
 *   tlsrpt-version   = %s"v=TLSRPTv1"
 *   tlsrpt-rua       = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
 *   tlsrpt-uri       = URI      ; "," ";" "!" percent-encoded
 *   tlsrpt-extension = tlsrpt-ext-name "=" tlsrpt-ext-value
 *   tlsrpt-ext-name  = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   tlsrpt-ext-value = 1*(%x21-3A / %x3C / %x3E-7E)
 * rua is required.  Reports go by mailto: or https: (RFC 8460 3);
 * other schemes are not an error, only of no use.
 */

#define TLSRPT_VERSION	"v=TLSRPTv1"
#define EXT_NAME_MAX	32

struct scan {
	const char	*s;
	size_t		 len;
	size_t		 pos;
	size_t		 rr;
	struct sts_error *err;
	sts_warn_cb	 warn;
	void		*arg;
};

static int
fail_at(struct scan *sc, const char *what)
{
	char	 q[STS_ERR_MAX];

	if (sc->pos >= sc->len) {
		sts_seterr(sc->err, sc->rr, "%s at end of record", what);
		return -1;
	}
	sts_quote(q, 24, sc->s + sc->pos, sc->len - sc->pos);
	sts_seterr(sc->err, sc->rr, "%s at offset %zu: \"%s\"", what,
	    sc->pos, q);
	return -1;
}

static void
skip_wsp(struct scan *sc)
{
	while (sc->pos < sc->len && abnf_wsp(sc->s[sc->pos]))
		sc->pos++;
}

/* A URI character that needs no quoting here (RFC 3986 2, less ,;!). */
static int
uri_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != ',' && c != ';' && c != '!' &&
	    c != '"' && c != '<' && c != '>' && c != '\\' && c != '^' &&
	    c != '`' && c != '{' && c != '|' && c != '}';
}

static void
uri_keep(struct scan *sc, struct tlsrpt_record *rec, const char *u,
    size_t len)
{
	struct sts_error w;
	char		 q[TLSRPT_URI_LEN];
	const char	*at;
	int		 usable;

	sts_quote(q, sizeof(q), u, len);
	at = memchr(u, '@', len);
	usable = (len > 7 && strncasecmp(u, "mailto:", 7) == 0 &&
	    at != NULL && at > u + 7 && at < u + len - 1) ||
	    (len > 8 && strncasecmp(u, "https://", 8) == 0);
	if (usable)
		rec->nusable++;
	else if (sc->warn != NULL) {
		sts_seterr(&w, sc->rr, "rua \"%s\" is neither a mailto: "
		    "address nor an https: URL: no report can go there", q);
		sc->warn(sc->arg, &w);
	}
	if (rec->nuri < TLSRPT_URI_MAX)
		memcpy(rec->uri[rec->nuri], q, sizeof(q));
	rec->nuri++;
}

static int
scan_rua(struct scan *sc, struct tlsrpt_record *rec)
{
	size_t	 u;

	for (;;) {
		u = sc->pos;
		while (sc->pos < sc->len && uri_char(sc->s[sc->pos]))
			sc->pos++;
		if (sc->pos == u || memchr(sc->s + u, ':', sc->pos - u) ==
		    NULL)
			return fail_at(sc, "expected a URI (scheme:...)");
		uri_keep(sc, rec, sc->s + u, sc->pos - u);
		u = sc->pos;
		skip_wsp(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ',') {
			sc->pos = u;
			break;
		}
		sc->pos++;
		skip_wsp(sc);
	}
	if (sc->pos < sc->len && sc->s[sc->pos] != ';' &&
	    !abnf_wsp(sc->s[sc->pos]))
		return fail_at(sc, "invalid character in a URI (\",\", \";\" "
		    "and \"!\" must be percent-encoded)");
	return 0;
}

static int
scan_field(struct scan *sc, struct tlsrpt_record *rec, int *have_rua)
{
	size_t	 name, namelen, val;

	name = sc->pos;
	if (sc->pos >= sc->len || !abnf_alnum(sc->s[sc->pos]))
		return fail_at(sc, "expected a field name");
	while (sc->pos < sc->len && abnf_ext_name(sc->s[sc->pos]))
		sc->pos++;
	namelen = sc->pos - name;
	if (namelen > EXT_NAME_MAX) {
		sc->pos = name;
		return fail_at(sc, "field name longer than 32 characters");
	}
	if (sc->pos >= sc->len || sc->s[sc->pos] != '=')
		return fail_at(sc, "expected '=' after the field name");
	val = ++sc->pos;
	if (namelen == 3 && memcmp(sc->s + name, "rua", 3) == 0) {
		if (*have_rua) {
			sc->pos = name;
			return fail_at(sc, "a second rua field");
		}
		*have_rua = 1;
		return scan_rua(sc, rec);
	}
	while (sc->pos < sc->len && sc->s[sc->pos] >= 0x21 &&
	    sc->s[sc->pos] <= 0x7e && sc->s[sc->pos] != ';' &&
	    sc->s[sc->pos] != '=')
		sc->pos++;
	if (sc->pos == val)
		return fail_at(sc, "empty or invalid extension value");
	if (sc->pos < sc->len && sc->s[sc->pos] != ';' &&
	    !abnf_wsp(sc->s[sc->pos]))
		return fail_at(sc, "invalid character in extension value");
	return 0;
}

int
tlsrpt_record_is_candidate(const char *s, size_t len)
{
	size_t	 i = sizeof(TLSRPT_VERSION) - 1;

	if (len < i || memcmp(s, TLSRPT_VERSION, i) != 0)
		return 0;
	while (i < len && abnf_wsp(s[i]))
		i++;
	return i < len && s[i] == ';';
}

static int
record_parse(const char *s, size_t len, size_t rr, struct tlsrpt_record *rec,
    struct sts_error *err, sts_warn_cb warn, void *arg)
{
	struct scan	 sc = { s, len, 0, rr, err, warn, arg };
	int		 have_rua = 0;

	memset(rec, 0, sizeof(*rec));
	if (!tlsrpt_record_is_candidate(s, len))
		return fail_at(&sc, "record does not begin with "
		    "\"v=TLSRPTv1;\"");
	sc.pos = sizeof(TLSRPT_VERSION) - 1;
	for (;;) {
		size_t	 start = sc.pos;

		skip_wsp(&sc);
		if (sc.pos >= sc.len) {
			if (sc.pos > start)
				return fail_at(&sc, "whitespace without ';'");
			break;
		}
		if (sc.s[sc.pos] != ';')
			return fail_at(&sc, "expected ';'");
		sc.pos++;
		skip_wsp(&sc);
		if (sc.pos >= sc.len)
			break;
		if (scan_field(&sc, rec, &have_rua) == -1)
			return -1;
	}
	if (!have_rua) {
		sts_seterr(err, rr, "no rua field: reports have nowhere to go");
		return -1;
	}
	return 0;
}

int
tlsrpt_record_parse(const char *s, size_t len, struct tlsrpt_record *rec,
    struct sts_error *err, sts_warn_cb warn, void *arg)
{
	return record_parse(s, len, 1, rec, err, warn, arg);
}

/* RFC 8460 3: exactly one candidate, else no TLS reporting at all. */
int
tlsrpt_record_from_dns(const struct dns_msg *msg, struct tlsrpt_record *rec,
    struct sts_error *err, sts_warn_cb warn, void *arg)
{
	size_t	 i, found = 0, which = 0;

	memset(rec, 0, sizeof(*rec));
	for (i = 0; i < msg->nrr; i++) {
		if (!tlsrpt_record_is_candidate((const char *)msg->rr[i].data,
		    msg->rr[i].len))
			continue;
		if (found++ == 0)
			which = i;
		else {
			sts_seterr(err, 0, "more than one TXT record begins "
			    "with \"v=TLSRPTv1;\" (records %zu and %zu)",
			    which + 1, i + 1);
			return -1;
		}
	}
	if (found == 0) {
		sts_seterr(err, 0, "no TXT record begins with "
		    "\"v=TLSRPTv1;\"");
		return -1;
	}
	return record_parse((const char *)msg->rr[which].data,
	    msg->rr[which].len, which + 1, rec, err, warn, arg);
}
