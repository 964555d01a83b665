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
 * libFuzzer target for the _mta-sts TXT RRset parser (sts_record.c).
 * One input is a whole RRset: the RRs are separated by '\n', a byte no
 * valid record holds, so NULs and every other byte still reach the
 * parser.  Any broken invariant calls abort() for libFuzzer to catch.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "fuzzcheck.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static void
check_id(const struct sts_record *rec)
{
	size_t	 i, len;

	len = strnlen(rec->id, sizeof(rec->id));
	if (len == 0 || len > STS_ID_MAX)
		abort();
	for (i = 0; i < len; i++)
		if (!is_alnum(rec->id[i]))
			abort();
}

/*
 * Extension values hold neither '=' nor a delimiter, so in a valid
 * record the first "id=" that follows ';' or WSP starts the first id
 * field, whose value must be the one reported (first wins).
 */
static void
check_first_id(const char *s, size_t len, const struct sts_record *rec)
{
	size_t	 i, v, idlen;

	idlen = strlen(rec->id);
	for (i = 1; i + 3 <= len; i++) {
		if ((s[i - 1] != ';' && !is_wsp(s[i - 1])) ||
		    memcmp(s + i, "id=", 3) != 0)
			continue;
		v = i + 3;
		if (len - v < idlen || memcmp(s + v, rec->id, idlen) != 0)
			abort();
		if (v + idlen < len && s[v + idlen] != ';' &&
		    !is_wsp(s[v + idlen]))
			abort();
		return;
	}
	abort();
}

static void
check_parse(const struct sts_txt *rr)
{
	struct sts_record	 rec;
	struct sts_error	 err;
	int			 r;

	fuzz_err_init(&err);
	r = sts_record_parse(rr->data, rr->len, &rec, &err);
	if (r == -1) {
		fuzz_check_msg(&err, 1);
		if (err.where != 1)
			abort();
		return;
	}
	if (r != 0 || sts_record_is_candidate(rr->data, rr->len) != 1)
		abort();
	check_id(&rec);
	fuzz_check_ascii(rr->data, rr->len);
	check_first_id(rr->data, rr->len, &rec);
}

/*
 * With exactly one candidate, selecting from the set must give what
 * parsing that RR alone gives; with any other count it must fail.
 */
static void
check_select(const struct sts_txt *rrs, size_t n)
{
	struct sts_record	 rec, one;
	struct sts_error	 err, err1;
	size_t			 i, ncand = 0, which = 0;
	int			 r, r1;

	for (i = 0; i < n; i++) {
		r = sts_record_is_candidate(rrs[i].data, rrs[i].len);
		if (r != 0 && r != 1)
			abort();
		if (r) {
			ncand++;
			which = i;
		}
	}
	fuzz_err_init(&err);
	r = sts_record_select(rrs, n, &rec, &err);
	if (r == -1)
		fuzz_check_msg(&err, n);
	else if (r != 0 || ncand != 1)
		abort();
	else
		check_id(&rec);
	if (ncand != 1) {
		if (r != -1 || err.where != 0)
			abort();
		return;
	}
	fuzz_err_init(&err1);
	r1 = sts_record_parse(rrs[which].data, rrs[which].len, &one, &err1);
	if (r != r1)
		abort();
	if (r == 0 && strcmp(rec.id, one.id) != 0)
		abort();
	if (r == -1 && err.where != which + 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_rrset(data, size, check_parse, check_select);
	return 0;
}
