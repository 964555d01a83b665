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
 * The delimiters and extensions are txtrec.c's; the id is read here.
 */

#define STS_VERSION	"v=STSv1"

struct sts_parse {
	struct sts_record *rec;
	int		 have_id;
};

/*
 * A field named exactly "id" must be an sts-id: a malformed id fails
 * the record rather than passing as an extension.  Of several ids the
 * first one counts (RFC 8461 3.2, last paragraph).
 */
static int
sts_field(struct txt_scan *sc, size_t name, size_t namelen, void *arg)
{
	struct sts_parse *p = arg;
	size_t		 val, vallen;

	if (namelen != 2 || memcmp(sc->s + name, "id", 2) != 0)
		return TXT_EXTENSION;
	val = sc->pos;
	while (sc->pos < sc->len && abnf_alnum(sc->s[sc->pos]))
		sc->pos++;
	vallen = sc->pos - val;
	if (vallen == 0 || vallen > STS_ID_MAX || !txt_value_end(sc)) {
		sc->pos = val;
		return txt_fail(sc, "id must be 1 to 32 letters or digits");
	}
	if (!p->have_id) {
		memcpy(p->rec->id, sc->s + val, vallen);
		p->rec->id[vallen] = '\0';
		p->have_id = 1;
	}
	return 0;
}

/* A record is an STS record when it begins with sts-version and a delimiter. */
int
sts_record_is_candidate(const char *s, size_t len)
{
	return txt_is_candidate(s, len, STS_VERSION);
}

/*
 * Only the version is checked first: a record that lacks the delimiter
 * after it hears where the delimiter is missing.
 */
static int
record_parse(const char *s, size_t len, size_t rr, struct sts_record *rec,
    struct sts_error *err)
{
	struct txt_scan	 sc = { s, len, 0, rr, err };
	struct sts_parse p = { rec, 0 };

	memset(rec, 0, sizeof(*rec));
	if (len < sizeof(STS_VERSION) - 1 ||
	    memcmp(s, STS_VERSION, sizeof(STS_VERSION) - 1) != 0)
		return txt_fail(&sc, "record does not begin with \"v=STSv1\"");
	sc.pos = sizeof(STS_VERSION) - 1;
	if (txt_fields(&sc, sts_field, &p) == -1)
		return -1;
	if (!p.have_id) {
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

static int
candidate(const void *set, size_t i)
{
	const struct sts_txt *rrs = set;

	return sts_record_is_candidate(rrs[i].data, rrs[i].len);
}

/*
 * RFC 8461 3.1: discard the RRs that are not STS records; exactly one
 * must remain, and it must be valid.  Anything else means "no policy".
 */
int
sts_record_select(const struct sts_txt *rrs, size_t n, struct sts_record *rec,
    struct sts_error *err)
{
	size_t	 which;

	memset(rec, 0, sizeof(*rec));
	if (txt_pick(rrs, n, candidate, STS_VERSION, &which, err) == -1)
		return -1;
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
