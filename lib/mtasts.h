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

#ifndef MTASTS_H
#define MTASTS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The shared core of filter-mtasts: strict parsers for the MTA-STS
 * (RFC 8461) TXT record and policy body, and MX pattern matching.
 * None of these functions does I/O or keeps state; all input is
 * taken as (pointer, length) because DNS and HTTP data may hold NULs.
 */

#define STS_ID_MAX		32		/* RFC 8461 3.1 sts-id */
#define STS_MAX_AGE_CAP		31557600	/* RFC 8461 3.2 */
#define STS_POLICY_MAX		65536		/* body limit, RFC 8461 3.3 */
#define STS_ERR_MAX		160		/* error text, NUL included */
#define DNS_NAME_MAX		253		/* RFC 1035 2.3.4, no root dot */
#define DNS_LABEL_MAX		63

/*
 * An error or warning: a human-readable message and, for the policy
 * parser, the 1-based line it refers to (0 when it concerns the whole
 * input), or for the record parser the 1-based RR index.
 * Messages are printable US-ASCII: input bytes are quoted with
 * vis(3)-style escapes, so they can go to a log or a JSON string as is.
 */
struct sts_error {
	size_t		 where;
	char		 msg[STS_ERR_MAX];
};

/* One TXT RR as published: its character-strings already joined. */
struct sts_txt {
	const char	*data;
	size_t		 len;
};

struct sts_record {
	char		 id[STS_ID_MAX + 1];
};

enum sts_mode {
	STS_MODE_NONE,
	STS_MODE_TESTING,
	STS_MODE_ENFORCE
};

struct sts_policy {
	enum sts_mode	 mode;
	uint64_t	 max_age;	/* seconds, capped at STS_MAX_AGE_CAP */
	char		**mx;		/* patterns, in policy order */
	size_t		 nmx;
};

/* Called once per warning; the parse goes on. */
typedef void	(*sts_warn_cb)(void *, const struct sts_error *);

/*
 * sts_record.c: the _mta-sts TXT RRset (RFC 8461 3.1).
 * sts_record_parse() checks one record against the ABNF.
 * sts_record_select() applies the discard-then-exactly-one rule to an
 * RRset.  Both return 0 on success and fill rec, or -1 and fill err.
 */
int		 sts_record_parse(const char *, size_t, struct sts_record *,
		    struct sts_error *);
int		 sts_record_is_candidate(const char *, size_t);
int		 sts_record_select(const struct sts_txt *, size_t,
		    struct sts_record *, struct sts_error *);

/*
 * sts_policy.c: the policy body (RFC 8461 3.2), exactly as served.
 * Returns 0 and fills pol (release with sts_policy_free()), or -1 and
 * fills err, leaving pol empty.  warn may be NULL.
 */
int		 sts_policy_parse(const char *, size_t, struct sts_policy *,
		    struct sts_error *, sts_warn_cb, void *);
void		 sts_policy_free(struct sts_policy *);
const char	*sts_mode_name(enum sts_mode);

/*
 * sts_match.c: MX pattern matching (RFC 8461 4.1) and the host name
 * syntax it rests on.  sts_mx_match() returns 1 when the MX host name
 * matches the pattern, 0 when not or when either is malformed.
 */
int		 sts_mx_match(const char *, const char *);
int		 sts_mx_pattern_valid(const char *, size_t);
int		 dns_hostname_valid(const char *, size_t);

/* sts_error.c: formatting of error text. */
void		 sts_seterr(struct sts_error *, size_t, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
size_t		 sts_quote(char *, size_t, const char *, size_t);

#endif /* MTASTS_H */
