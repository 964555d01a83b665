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

#include <string.h>

#include "mtasts.h"

/*
 * What the _mta-sts record (RFC 8461 3.1) and the _smtp._tls record
 * (RFC 8460 3) have in common, word for word but for the prefixes:
 *   record      = version 1*(field-delim field) [field-delim]
 *   field-delim = *WSP ";" *WSP
 *   ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 * and the RRset rule: the RRs that do not begin with the version and
 * a delimiter are discarded, exactly one must remain.  Each record
 * type reads its own fields in a callback.
 */

#define EXT_NAME_MAX	32

static int
ext_value_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';' && c != '=';
}

void
txt_skip_wsp(struct txt_scan *sc)
{
	while (sc->pos < sc->len && abnf_wsp(sc->s[sc->pos]))
		sc->pos++;
}

/* Say what was expected where, quoting a little of what was found. */
int
txt_fail(struct txt_scan *sc, const char *what)
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

/* A value ends at the end of the record, a delimiter or WSP. */
int
txt_value_end(const struct txt_scan *sc)
{
	return sc->pos >= sc->len || sc->s[sc->pos] == ';' ||
	    abnf_wsp(sc->s[sc->pos]);
}

static int
ext_value(struct txt_scan *sc)
{
	size_t	 val = sc->pos;

	while (sc->pos < sc->len && ext_value_char(sc->s[sc->pos]))
		sc->pos++;
	if (sc->pos == val)
		return txt_fail(sc, "empty or invalid extension value");
	if (!txt_value_end(sc))
		return txt_fail(sc, "invalid character in extension value");
	return 0;
}

/*
 * One field: its name and '=' here, then the value by the callback,
 * or as an extension when the name is none of the record's own.
 */
static int
field(struct txt_scan *sc, txt_field_cb cb, void *arg)
{
	size_t	 name, namelen;
	int	 r;

	name = sc->pos;
	if (sc->pos >= sc->len || !abnf_alnum(sc->s[sc->pos]))
		return txt_fail(sc, "expected a field name");
	while (sc->pos < sc->len && abnf_ext_name(sc->s[sc->pos]))
		sc->pos++;
	namelen = sc->pos - name;
	if (namelen > EXT_NAME_MAX) {
		sc->pos = name;
		return txt_fail(sc, "field name longer than 32 characters");
	}
	if (sc->pos >= sc->len || sc->s[sc->pos] != '=')
		return txt_fail(sc, "expected '=' after the field name");
	sc->pos++;
	if ((r = cb(sc, name, namelen, arg)) == TXT_EXTENSION)
		return ext_value(sc);
	return r;
}

/*
 * The fields after the version, which the caller has checked and
 * which ends at sc->pos.  A delimiter may end the record, WSP alone
 * may not.
 */
int
txt_fields(struct txt_scan *sc, txt_field_cb cb, void *arg)
{
	size_t	 start;

	for (;;) {
		start = sc->pos;
		txt_skip_wsp(sc);
		if (sc->pos >= sc->len) {
			if (sc->pos > start)
				return txt_fail(sc, "whitespace without ';'");
			return 0;
		}
		if (sc->s[sc->pos] != ';')
			return txt_fail(sc, "expected ';'");
		sc->pos++;
		txt_skip_wsp(sc);
		if (sc->pos >= sc->len)
			return 0;	/* the optional final delimiter */
		if (field(sc, cb, arg) == -1)
			return -1;
	}
}

/* A candidate begins with the version and a delimiter. */
int
txt_is_candidate(const char *s, size_t len, const char *version)
{
	size_t	 i = strlen(version);

	if (len < i || memcmp(s, version, i) != 0)
		return 0;
	while (i < len && abnf_wsp(s[i]))
		i++;
	return i < len && s[i] == ';';
}

/*
 * The one candidate of n RRs, whatever holds them: a second one
 * anywhere means none counts, so every RR is looked at.
 */
int
txt_pick(const void *set, size_t n, txt_cand_cb cand, const char *version,
    size_t *which, struct sts_error *err)
{
	size_t	 i, found = 0;

	*which = 0;
	for (i = 0; i < n; i++) {
		if (!cand(set, i))
			continue;
		if (found++ > 0) {
			sts_seterr(err, 0, "more than one TXT record begins "
			    "with \"%s;\" (records %zu and %zu)", version,
			    *which + 1, i + 1);
			return -1;
		}
		*which = i;
	}
	if (found == 0) {
		sts_seterr(err, 0, "no TXT record begins with \"%s;\"",
		    version);
		return -1;
	}
	return 0;
}
