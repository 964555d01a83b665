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
 * libFuzzer target for the _smtp._tls TXT RRset parser
 * (tlsrpt_record.c) and the ruas reports go to (rptrecord.c).  One
 * input is a whole RRset, split by fuzz_rrset() (fuzzcheck.c), and is
 * also given as the answer of a DNS query.  Any broken invariant calls
 * abort() for libFuzzer to catch.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mtasts.h"
#include "fuzzcheck.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Every warning names the RR parsed, as errors do. */
struct warnings {
	size_t	 rr;
	size_t	 count;
};

static void
warn_cb(void *arg, const struct sts_error *w)
{
	struct warnings	*ws = arg;

	if (w == NULL || w->where != ws->rr)
		abort();
	fuzz_check_msg(w, ws->rr);
	ws->count++;
}

/*
 * The URIs kept are NUL-terminated and printable; a whole one has a
 * scheme and fits, one too long is quoted and cut ("...").
 */
static void
check_uris(const struct tlsrpt_record *rec, size_t nwarn)
{
	const char	*u;
	size_t		 i, n, len;

	if (rec->nuri == 0 || rec->nusable > rec->nuri ||
	    rec->nuri - rec->nusable != nwarn)
		abort();
	n = rec->nuri < TLSRPT_URI_MAX ? rec->nuri : TLSRPT_URI_MAX;
	for (i = 0; i < n; i++) {
		u = rec->uri[i];
		if (memchr(u, '\0', TLSRPT_URI_LEN) == NULL || *u == '\0')
			abort();
		len = strlen(u);
		if (rec->whole[i] ? strchr(u, ':') == NULL :
		    len < 3 || strcmp(u + len - 3, "...") != 0)
			abort();
		fuzz_check_ascii(u, len);
	}
}

/*
 * Extension values hold no '=' and URIs no WSP or ';', so in a valid
 * record the first "rua=" after ';' or WSP starts the rua field: its
 * first URI must be the first one kept, as it stands when it fits.
 */
static void
check_first_uri(const char *s, size_t len, const struct tlsrpt_record *rec)
{
	char	 q[TLSRPT_URI_LEN];
	size_t	 i, v, n;

	for (i = 1; i + 4 <= len; i++) {
		if ((s[i - 1] != ';' && s[i - 1] != ' ' && s[i - 1] != '\t') ||
		    memcmp(s + i, "rua=", 4) != 0)
			continue;
		for (v = i + 4; v < len; v++)
			if (s[v] == ',' || s[v] == ';' || s[v] == ' ' ||
			    s[v] == '\t')
				break;
		n = v - (i + 4);
		if (rec->whole[0] != (n < TLSRPT_URI_LEN))
			abort();
		if (rec->whole[0]) {
			if (strlen(rec->uri[0]) != n ||
			    memcmp(rec->uri[0], s + i + 4, n) != 0)
				abort();
		} else {
			sts_quote(q, sizeof(q), s + i + 4, n);
			if (strcmp(q, rec->uri[0]) != 0)
				abort();
		}
		return;
	}
	abort();
}

/* Only up to the NUL: the bytes after it are not the parser's. */
static void
check_same(const struct tlsrpt_record *a, const struct tlsrpt_record *b)
{
	size_t	 i;

	if (a->nuri != b->nuri || a->nusable != b->nusable)
		abort();
	for (i = 0; i < a->nuri && i < TLSRPT_URI_MAX; i++)
		if (a->whole[i] != b->whole[i] ||
		    strcmp(a->uri[i], b->uri[i]) != 0)
			abort();
}

/* The ruas to report to are some of the URIs kept whole, and usable. */
static void
check_rua(const struct tlsrpt_record *tr, const struct rpt_record *rec)
{
	size_t	 i, j, n;

	if (rec->nrua == 0 || rec->nrua > RPT_RUA_MAX)
		abort();
	n = tr->nuri < TLSRPT_URI_MAX ? tr->nuri : TLSRPT_URI_MAX;
	for (i = 0; i < rec->nrua; i++) {
		if (strncasecmp(rec->rua[i], "mailto:", 7) != 0 &&
		    strncasecmp(rec->rua[i], "https://", 8) != 0)
			abort();
		for (j = 0; j < n; j++)
			if (tr->whole[j] &&
			    strcmp(rec->rua[i], tr->uri[j]) == 0)
				break;
		if (j == n)
			abort();
	}
}

static void
check_parse(const struct sts_txt *rr)
{
	struct tlsrpt_record	 rec, quiet;
	struct rpt_record	 rpt;
	struct sts_error	 err;
	struct warnings		 ws = { 1, 0 };
	int			 r, rq;

	fuzz_err_init(&err);
	r = tlsrpt_record_parse(rr->data, rr->len, &rec, &err, warn_cb, &ws);
	rq = tlsrpt_record_parse(rr->data, rr->len, &quiet, NULL, NULL, NULL);
	if (r != rq)
		abort();
	if (r == -1) {
		fuzz_check_msg(&err, 1);
		if (err.where != 1 || rpt_record_parse(rr->data, rr->len,
		    &rpt) != -1)
			abort();
		return;
	}
	if (r != 0 || tlsrpt_record_is_candidate(rr->data, rr->len) != 1)
		abort();
	check_same(&rec, &quiet);
	fuzz_check_ascii(rr->data, rr->len);
	check_uris(&rec, ws.count);
	check_first_uri(rr->data, rr->len, &rec);
	if (rpt_record_parse(rr->data, rr->len, &rpt) == 0) {
		check_rua(&rec, &rpt);
		rpt_record_free(&rpt);
	}
}

/* The RRs as the answer to a TXT query. */
static void
to_msg(const struct sts_txt *rrs, size_t n, struct dns_msg *msg,
    struct dns_rec *rec)
{
	size_t	 i;

	memset(msg, 0, sizeof(*msg));
	memset(rec, 0, n * sizeof(*rec));
	for (i = 0; i < n; i++) {
		rec[i].type = DNS_T_TXT;
		rec[i].data = (uint8_t *)rrs[i].data;
		rec[i].len = rrs[i].len;
	}
	msg->rr = rec;
	msg->nrr = n;
}

/*
 * With exactly one candidate the answer gives what parsing that RR
 * alone gives, the RR named by its place; with any other count it
 * fails as a whole.
 */
static void
check_from_dns(const struct sts_txt *rrs, size_t n)
{
	struct dns_rec		 rec[FUZZ_RR_MAX];
	struct dns_msg		 msg;
	struct tlsrpt_record	 set, one;
	struct rpt_record	 rpt;
	struct sts_error	 err, err1;
	struct warnings		 ws = { 0, 0 };
	size_t			 i, ncand = 0;
	int			 r, r1;

	for (i = 0; i < n; i++)
		if (tlsrpt_record_is_candidate(rrs[i].data, rrs[i].len)) {
			ncand++;
			ws.rr = i + 1;
		}
	to_msg(rrs, n, &msg, rec);
	fuzz_err_init(&err);
	r = tlsrpt_record_from_dns(&msg, &set, &err, warn_cb, &ws);
	if (ncand != 1) {
		fuzz_check_msg(&err, 0);
		if (r != -1 || rpt_record_from_dns(&msg, &rpt) != -1)
			abort();
		return;
	}
	fuzz_err_init(&err1);
	r1 = tlsrpt_record_parse(rrs[ws.rr - 1].data, rrs[ws.rr - 1].len,
	    &one, &err1, NULL, NULL);
	if (r != r1)
		abort();
	if (r == -1) {
		fuzz_check_msg(&err, n);
		if (err.where != ws.rr || strcmp(err.msg, err1.msg) != 0 ||
		    rpt_record_from_dns(&msg, &rpt) != -1)
			abort();
		return;
	}
	check_same(&set, &one);
	if (rpt_record_from_dns(&msg, &rpt) == 0) {
		check_rua(&set, &rpt);
		rpt_record_free(&rpt);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_rrset(data, size, check_parse, check_from_dns);
	return 0;
}
