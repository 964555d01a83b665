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
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mtasts.h"

/*
 * The _smtp._tls TXT record of RFC 8460 3: of the RRs, those that begin
 * with "v=TLSRPTv1" count, and there must be exactly one (3: "If the
 * number of resulting records is not one, senders MUST assume the
 * recipient domain does not implement TLSRPT").  Its "rua" field is a
 * comma-separated list of URIs; we keep the mailto: and https: ones,
 * the two schemes RFC 8460 defines, up to RPT_RUA_MAX.  Fields are
 * separated by ";" with optional white space around; unknown fields
 * are ignored (3).
 */

#define URI_MAX		512
#define VERSION		"v=TLSRPTv1"

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int
candidate(const char *s, size_t len)
{
	size_t	 vl = strlen(VERSION);

	return len >= vl && memcmp(s, VERSION, vl) == 0 &&
	    (len == vl || s[vl] == ';' || is_wsp(s[vl]));
}

/* One URI of the list; schemes other than ours are skipped. */
static int
add_uri(struct rpt_record *rec, const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > URI_MAX)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] > 0x7e)
			return -1;
	if (!((len > 7 && strncasecmp(s, "mailto:", 7) == 0) ||
	    (len > 8 && strncasecmp(s, "https://", 8) == 0)))
		return 0;
	if (rec->nrua == RPT_RUA_MAX)
		return 0;
	if ((rec->rua[rec->nrua] = strndup(s, len)) == NULL)
		return -1;
	rec->nrua++;
	return 0;
}

static int
parse_rua(struct rpt_record *rec, const char *s, size_t len)
{
	const char	*end = s + len, *comma;
	size_t		 n;

	for (;;) {
		while (s < end && is_wsp(*s))
			s++;
		comma = memchr(s, ',', end - s);
		n = (comma != NULL ? comma : end) - s;
		while (n > 0 && is_wsp(s[n - 1]))
			n--;
		if (add_uri(rec, s, n) == -1)
			return -1;
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

int
rpt_record_parse(const char *s, size_t len, struct rpt_record *rec)
{
	const char	*end = s + len, *semi, *f;
	size_t		 n;
	int		 have_rua = 0;

	memset(rec, 0, sizeof(rec->rua));
	rec->nrua = 0;
	if (!candidate(s, len) || memchr(s, '\0', len) != NULL)
		return -1;
	s += strlen(VERSION);
	while (s < end) {
		while (s < end && is_wsp(*s))
			s++;
		if (s == end)
			break;
		if (*s++ != ';')
			goto bad;
		while (s < end && is_wsp(*s))
			s++;
		semi = memchr(s, ';', end - s);
		f = s;
		n = (semi != NULL ? semi : end) - f;
		s = f + n;
		while (n > 0 && is_wsp(f[n - 1]))
			n--;
		if (n == 0)
			continue;	/* a trailing ";" */
		if (memchr(f, '=', n) == NULL)
			goto bad;
		if (n > 4 && memcmp(f, "rua=", 4) == 0 && !have_rua) {
			have_rua = 1;
			if (parse_rua(rec, f + 4, n - 4) == -1)
				goto bad;
		}
	}
	if (!have_rua || rec->nrua == 0)
		goto bad;
	return 0;
bad:
	rpt_record_free(rec);
	return -1;
}

int
rpt_record_from_dns(const struct dns_msg *m, struct rpt_record *rec)
{
	size_t	 i, n = 0, which = 0;

	memset(rec, 0, sizeof(*rec));
	for (i = 0; i < m->nrr; i++)
		if (m->rr[i].type == DNS_T_TXT &&
		    candidate((const char *)m->rr[i].data, m->rr[i].len)) {
			n++;
			which = i;
		}
	if (n != 1)
		return -1;
	return rpt_record_parse((const char *)m->rr[which].data,
	    m->rr[which].len, rec);
}

void
rpt_record_free(struct rpt_record *rec)
{
	size_t	 i;

	for (i = 0; i < rec->nrua; i++)
		free(rec->rua[i]);
	memset(rec, 0, sizeof(*rec));
}
