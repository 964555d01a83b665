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
 * other schemes are not an error, only of no use.  The delimiters and
 * extensions are txtrec.c's; rua is read here.
 */

#define TLSRPT_VERSION	"v=TLSRPTv1"

struct tlsrpt_parse {
	struct tlsrpt_record *rec;
	int		 have_rua;
	sts_warn_cb	 warn;
	void		*arg;
};

/* A URI character that needs no quoting here (RFC 3986 2, less ,;!). */
static int
uri_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != ',' && c != ';' && c != '!' &&
	    c != '"' && c != '<' && c != '>' && c != '\\' && c != '^' &&
	    c != '`' && c != '{' && c != '|' && c != '}';
}

static int
uri_usable(const char *u, size_t len)
{
	const char	*at;

	at = memchr(u, '@', len);
	return (len > 7 && strncasecmp(u, "mailto:", 7) == 0 &&
	    at != NULL && at > u + 7 && at < u + len - 1) ||
	    (len > 8 && strncasecmp(u, "https://", 8) == 0);
}

/*
 * A URI is kept whole or not at all: a report sent to the first bytes
 * of a long one would go to somebody else.
 */
static void
uri_keep(struct txt_scan *sc, struct tlsrpt_parse *p, const char *u,
    size_t len)
{
	struct tlsrpt_record *rec = p->rec;
	struct sts_error w;
	char		 q[TLSRPT_URI_LEN];
	size_t		 i = rec->nuri++;

	sts_quote(q, sizeof(q), u, len);
	if (len >= TLSRPT_URI_LEN) {
		if (p->warn != NULL) {
			sts_seterr(&w, sc->rr, "rua \"%s\" is longer than %d "
			    "bytes: no report goes there", q,
			    TLSRPT_URI_LEN - 1);
			p->warn(p->arg, &w);
		}
	} else if (uri_usable(u, len))
		rec->nusable++;
	else if (p->warn != NULL) {
		sts_seterr(&w, sc->rr, "rua \"%s\" is neither a mailto: "
		    "address nor an https: URL: no report can go there", q);
		p->warn(p->arg, &w);
	}
	if (i >= TLSRPT_URI_MAX)
		return;
	rec->whole[i] = len < TLSRPT_URI_LEN;
	if (rec->whole[i]) {
		/* uri_char() left nothing that quoting would change. */
		memcpy(rec->uri[i], u, len);
		rec->uri[i][len] = '\0';
	} else
		memcpy(rec->uri[i], q, strlen(q) + 1);
}

static int
scan_rua(struct txt_scan *sc, struct tlsrpt_parse *p)
{
	size_t	 u;

	for (;;) {
		u = sc->pos;
		while (sc->pos < sc->len && uri_char(sc->s[sc->pos]))
			sc->pos++;
		if (sc->pos == u || memchr(sc->s + u, ':', sc->pos - u) ==
		    NULL)
			return txt_fail(sc, "expected a URI (scheme:...)");
		uri_keep(sc, p, sc->s + u, sc->pos - u);
		u = sc->pos;
		txt_skip_wsp(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ',') {
			sc->pos = u;
			break;
		}
		sc->pos++;
		txt_skip_wsp(sc);
	}
	if (!txt_value_end(sc))
		return txt_fail(sc, "invalid character in a URI (\",\", \";\" "
		    "and \"!\" must be percent-encoded)");
	return 0;
}

/* rua is the one field of its own; a second one fails the record. */
static int
tlsrpt_field(struct txt_scan *sc, size_t name, size_t namelen, void *arg)
{
	struct tlsrpt_parse *p = arg;

	if (namelen != 3 || memcmp(sc->s + name, "rua", 3) != 0)
		return TXT_EXTENSION;
	if (p->have_rua) {
		sc->pos = name;
		return txt_fail(sc, "a second rua field");
	}
	p->have_rua = 1;
	return scan_rua(sc, p);
}

int
tlsrpt_record_is_candidate(const char *s, size_t len)
{
	return txt_is_candidate(s, len, TLSRPT_VERSION);
}

static int
record_parse(const char *s, size_t len, size_t rr, struct tlsrpt_record *rec,
    struct sts_error *err, sts_warn_cb warn, void *arg)
{
	struct txt_scan		 sc = { s, len, 0, rr, err };
	struct tlsrpt_parse	 p = { rec, 0, warn, arg };

	memset(rec, 0, sizeof(*rec));
	if (!tlsrpt_record_is_candidate(s, len))
		return txt_fail(&sc, "record does not begin with "
		    "\"v=TLSRPTv1;\"");
	sc.pos = sizeof(TLSRPT_VERSION) - 1;
	if (txt_fields(&sc, tlsrpt_field, &p) == -1)
		return -1;
	if (!p.have_rua) {
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

static int
candidate(const void *set, size_t i)
{
	const struct dns_msg *msg = set;

	return tlsrpt_record_is_candidate((const char *)msg->rr[i].data,
	    msg->rr[i].len);
}

/* RFC 8460 3: exactly one candidate, else no TLS reporting at all. */
int
tlsrpt_record_from_dns(const struct dns_msg *msg, struct tlsrpt_record *rec,
    struct sts_error *err, sts_warn_cb warn, void *arg)
{
	size_t	 which;

	memset(rec, 0, sizeof(*rec));
	if (txt_pick(msg, msg->nrr, candidate, TLSRPT_VERSION, &which,
	    err) == -1)
		return -1;
	return record_parse((const char *)msg->rr[which].data,
	    msg->rr[which].len, which + 1, rec, err, warn, arg);
}
