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
 * The ruas reports are sent to, from the _smtp._tls TXT record (RFC
 * 8460 3) as tlsrpt_record.c reads it: the mailto: and https: ones,
 * the two schemes RFC 8460 defines, up to RPT_RUA_MAX.  A record
 * without one is no record to us.
 */

static int
usable(const char *uri)
{
	return (strncasecmp(uri, "mailto:", 7) == 0 && uri[7] != '\0') ||
	    (strncasecmp(uri, "https://", 8) == 0 && uri[8] != '\0');
}

static int
from_parsed(const struct tlsrpt_record *tr, struct rpt_record *rec)
{
	size_t	 i;

	for (i = 0; i < tr->nuri && i < TLSRPT_URI_MAX; i++) {
		if (!tr->whole[i] || !usable(tr->uri[i]) ||
		    rec->nrua == RPT_RUA_MAX)
			continue;
		if ((rec->rua[rec->nrua] = strdup(tr->uri[i])) == NULL)
			break;
		rec->nrua++;
	}
	if (rec->nrua == 0) {
		rpt_record_free(rec);
		return -1;
	}
	return 0;
}

int
rpt_record_parse(const char *s, size_t len, struct rpt_record *rec)
{
	struct tlsrpt_record	 tr;
	struct sts_error	 err;

	memset(rec, 0, sizeof(*rec));
	if (tlsrpt_record_parse(s, len, &tr, &err, NULL, NULL) == -1)
		return -1;
	return from_parsed(&tr, rec);
}

int
rpt_record_from_dns(const struct dns_msg *m, struct rpt_record *rec)
{
	struct tlsrpt_record	 tr;
	struct sts_error	 err;

	memset(rec, 0, sizeof(*rec));
	if (tlsrpt_record_from_dns(m, &tr, &err, NULL, NULL) == -1)
		return -1;
	return from_parsed(&tr, rec);
}

void
rpt_record_free(struct rpt_record *rec)
{
	size_t	 i;

	for (i = 0; i < rec->nrua; i++)
		free(rec->rua[i]);
	memset(rec, 0, sizeof(*rec));
}
