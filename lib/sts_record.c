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
 * RFC 8461 3.1:
 *   sts-text-record = sts-version 1*(sts-field-delim sts-field)
 *                     [sts-field-delim]
 *   sts-field-delim = *WSP ";" *WSP
 *   sts-version     = %s"v=STSv1"
 *   sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *   sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 */

#define STS_VERSION	"v=STSv1"
#define EXT_NAME_MAX	32

struct scan {
	const char	*s;
	size_t		 len;
	size_t		 pos;
	size_t		 rr;		/* 1-based RR index, for messages */
	struct sts_error *err;
};

static int
is_ext_value_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';' && c != '=';
}

static void
skip_wsp(struct scan *sc)
{
	while (sc->pos < sc->len && abnf_wsp(sc->s[sc->pos]))
		sc->pos++;
}

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

/*
 * Read one field.  A field named exactly "id" must be an sts-id: a
 * malformed id fails the record rather than passing as an extension.
 * Of several ids the first one counts (RFC 8461 3.2, last paragraph).
 */
static int
scan_field(struct scan *sc, struct sts_record *rec, int *have_id)
{
	size_t	 name, namelen, val, vallen;

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
	if (namelen == 2 && memcmp(sc->s + name, "id", 2) == 0) {
		while (sc->pos < sc->len && abnf_alnum(sc->s[sc->pos]))
			sc->pos++;
		vallen = sc->pos - val;
		if (vallen == 0 || vallen > STS_ID_MAX ||
		    (sc->pos < sc->len && sc->s[sc->pos] != ';' &&
		    !abnf_wsp(sc->s[sc->pos]))) {
			sc->pos = val;
			return fail_at(sc,
			    "id must be 1 to 32 letters or digits");
		}
		if (!*have_id) {
			memcpy(rec->id, sc->s + val, vallen);
			rec->id[vallen] = '\0';
			*have_id = 1;
		}
		return 0;
	}
	while (sc->pos < sc->len && is_ext_value_char(sc->s[sc->pos]))
		sc->pos++;
	if (sc->pos == val)
		return fail_at(sc, "empty or invalid extension value");
	if (sc->pos < sc->len && sc->s[sc->pos] != ';' &&
	    !abnf_wsp(sc->s[sc->pos]))
		return fail_at(sc, "invalid character in extension value");
	return 0;
}

/* A record is an STS record when it begins with sts-version and a delimiter. */
int
sts_record_is_candidate(const char *s, size_t len)
{
	size_t	 i = sizeof(STS_VERSION) - 1;

	if (len < i || memcmp(s, STS_VERSION, i) != 0)
		return 0;
	while (i < len && abnf_wsp(s[i]))
		i++;
	return i < len && s[i] == ';';
}

static int
record_parse(const char *s, size_t len, size_t rr, struct sts_record *rec,
    struct sts_error *err)
{
	struct scan	 sc = { s, len, 0, rr, err };
	int		 have_id = 0;

	memset(rec, 0, sizeof(*rec));
	if (len < sizeof(STS_VERSION) - 1 ||
	    memcmp(s, STS_VERSION, sizeof(STS_VERSION) - 1) != 0)
		return fail_at(&sc, "record does not begin with \"v=STSv1\"");
	sc.pos = sizeof(STS_VERSION) - 1;
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
			break;		/* the optional final delimiter */
		if (scan_field(&sc, rec, &have_id) == -1)
			return -1;
	}
	if (!have_id) {
		sts_seterr(err, rr, "no id field (\"id=\" is required and "
		    "case-sensitive)");
		return -1;
	}
	return 0;
}

int
sts_record_parse(const char *s, size_t len, struct sts_record *rec,
    struct sts_error *err)
{
	return record_parse(s, len, 1, rec, err);
}

/*
 * RFC 8461 3.1: discard the RRs that are not STS records; exactly one
 * must remain, and it must be valid.  Anything else means "no policy".
 */
int
sts_record_select(const struct sts_txt *rrs, size_t n, struct sts_record *rec,
    struct sts_error *err)
{
	size_t	 i, found = 0, which = 0;

	memset(rec, 0, sizeof(*rec));
	for (i = 0; i < n; i++) {
		if (!sts_record_is_candidate(rrs[i].data, rrs[i].len))
			continue;
		if (found++ == 0)
			which = i;
		else {
			sts_seterr(err, 0, "more than one TXT record "
			    "begins with \"v=STSv1;\" (records %zu and %zu)",
			    which + 1, i + 1);
			return -1;
		}
	}
	if (found == 0) {
		sts_seterr(err, 0, "no TXT record begins with \"v=STSv1;\"");
		return -1;
	}
	return record_parse(rrs[which].data, rrs[which].len, which + 1, rec,
	    err);
}

/*
 * The TXT RRset of a DNS answer: every RR counts, since a second STS
 * record anywhere in it means no policy.  -2 when out of memory.
 */
int
sts_record_from_dns(const struct dns_msg *msg, struct sts_record *rec,
    struct sts_error *err)
{
	struct sts_txt	*rrs;
	size_t		 i;
	int		 r;

	if ((rrs = calloc(msg->nrr ? msg->nrr : 1, sizeof(*rrs))) == NULL) {
		sts_seterr(err, 0, "out of memory");
		return -2;
	}
	for (i = 0; i < msg->nrr; i++) {
		rrs[i].data = (const char *)msg->rr[i].data;
		rrs[i].len = msg->rr[i].len;
	}
	r = sts_record_select(rrs, msg->nrr, rec, err);
	free(rrs);
	return r;
}
