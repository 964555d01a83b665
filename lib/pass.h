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


#ifndef PASS_H
#define PASS_H

/*
 * The state of one pass over a recipient domain, shared by resolve.c,
 * which gathers it, and verdict.c, which decides from it.
 */

#include <sys/queue.h>
#include <sys/socket.h>

#include <event.h>

#define WHY_MAX		512	/* composed from STS_ERR_MAX pieces */
#define HOST_WHY_MAX	(STS_ERR_MAX + 40)	/* a prefix and one */

enum host_state {
	H_PENDING,
	H_NO_DANE,		/* insecure, or TLSA proven absent */
	H_DANE_USABLE,		/* secure TLSA, usable records */
	H_DANE_UNUSABLE,	/* secure TLSA, none usable: TLS required */
	H_NO_ADDRESS,		/* no A or AAAA */
	H_FAILED		/* a lookup failed: do not use */
};

struct host {
	struct pass		*p;
	char			*name;		/* normalised if valid */
	uint16_t		 pref;
	int			 valid;		/* a usable host name */
	enum host_state		 state;
	int			 tlsa_failed;
	struct dns_waiter	*wa, *waaaa, *wtlsa;
	int			 a_done, aaaa_done;
	enum dns_status		 a_st, aaaa_st;
	enum dns_sec		 a_sec, aaaa_sec;
	size_t			 nusable, ntlsa;
	char			 why[HOST_WHY_MAX];
	char			**tlsa;		/* "U S M HEX", for TLSRPT */
	size_t			 ntlsa_str;
};

enum fetch_outcome {
	FETCH_NOT_TRIED,
	FETCH_RUNNING,
	FETCH_OK,
	FETCH_FAILED,
	FETCH_RATE_LIMITED
};

struct pass_waiter {
	TAILQ_ENTRY(pass_waiter) entry;
	struct pass		*p;
	verdict_cb		 cb;
	void			*arg;
};

struct pass {
	TAILQ_ENTRY(pass)	 entry;
	TAILQ_HEAD(, pass_waiter) waiters;
	struct resolver		*r;
	char			 domain[DNS_NAME_MAX + 1];
	int			 literal;	/* an address literal */
	int			 pending;	/* lookups and fetches */
	int			 finished;
	struct event		 deadline, kick;
	int64_t			 now;
	uint32_t		 ttl;		/* of what the verdict rests on */
	int			 have_ttl;

	/* MX */
	struct dns_waiter	*wmx;
	int			 mx_done;
	enum dns_status		 mx_st;
	enum dns_sec		 mx_sec;
	char			 mx_why[WHY_MAX];
	int			 null_mx;
	struct host		*hosts;
	size_t			 nhosts;

	/* MTA-STS */
	struct dns_waiter	*wtxt;
	int			 txt_asked, txt_done;
	enum dns_status		 txt_st;
	enum dns_sec		 txt_sec;
	uint32_t		 txt_ttl;
	char			 txt_why[WHY_MAX];
	int			 txt_valid;
	struct sts_record	 rec;
	struct cache_entry	 cached;
	int			 have_cached;	/* a valid, unexpired policy */
	struct cache_entry	 fresh;
	int			 have_fresh;
	enum fetch_outcome	 fetch;
	char			 fetch_why[WHY_MAX];
	int			 fetch_rt;	/* its RFC 8460 result type */
	struct dns_waiter	*wpa, *wpaaaa;
	int			 pa_pending;
	struct sockaddr_storage	 paddrs[8];
	size_t			 npaddrs;
	struct fetch		*fh;

	struct verdict		 v;
	char			 reason[VERDICT_REASON_MAX];

	/* TLS reporting (RFC 8460) */
	struct dns_waiter	*wrpt;		/* _smtp._tls TXT, not waited for */
	int			 rpt;		/* VERDICT_RPT_* */
	const struct cache_entry *rpt_pol;	/* the policy applied */
	int			 rpt_nomatch;	/* enforce, no MX allowed */
};

struct resolver {
	struct event_base	*base;
	struct resolver_conf	 conf;
	struct dns		*dns;
	struct fetcher		*fetcher;
	struct cache		*cache;
	TAILQ_HEAD(, pass)	 passes;
	size_t			 npasses;
	pass_rpt_cb		 on_pass;	/* NULL: no TLS reporting */
	void			*on_pass_arg;
};

/* verdict.c */
void	 pass_decide(struct pass *);
void	 pass_ttl(struct pass *, uint32_t);
void	 pass_ttl_dns(struct pass *, const struct dns_result *);
void	 pass_note(struct pass *, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
void	 verdict_free(struct verdict *);
void	 pass_report(struct pass *);

#endif /* PASS_H */
