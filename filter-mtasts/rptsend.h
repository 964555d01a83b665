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


#ifndef RPTSEND_H
#define RPTSEND_H

/* Sending TLS reports (rptsend.c), for the report command. */

#define RPT_OK		0
#define RPT_TRY_LATER	1
#define RPT_NONE	2	/* nothing to try again */

/* What a report message says of itself. */
struct rpt_mail {
	const char	*from;		/* the envelope and From: */
	const char	*submitter;	/* TLS-Report-Submitter */
	const char	*domain;	/* TLS-Report-Domain */
	const char	*report_id;
	const char	*day;
	int64_t		 start, end;
};

struct rpt_sender {
	struct event_base	*base;
	struct dns		*dns;
	struct fetcher		*fetcher;
	const char		*sendmail;
	int			 timeout;	/* of a post, s */
	struct rpt_mail		 mail;
};

int	 rpt_lookup_record(struct rpt_sender *, const char *,
	    struct rpt_record *, char *, size_t);
int	 rpt_deliver(struct rpt_sender *, const char *,
	    const struct rpt_buf *, char *, size_t);
int	 rpt_https_split(const char *, char *, size_t, uint16_t *,
	    const char **);
void	 rpt_mail_build(struct rpt_buf *, const struct rpt_mail *,
	    const char *, const struct rpt_buf *);

#endif /* RPTSEND_H */
