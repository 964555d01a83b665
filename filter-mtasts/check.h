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



#ifndef CHECK_H
#define CHECK_H

/*
 * filter-mtasts check: what cmd_check.c gathers about a domain, all
 * of it on one loop, and what check_report.c makes of it.
 */

#include <sys/socket.h>

#include <event.h>

#define CHECK_HOSTS	16	/* MX hosts looked at */
#define CHECK_ADDRS	4	/* addresses of each, each tried */
#define CHECK_PADDRS	8	/* of the policy host */
#define CHECK_STEP	10	/* s, each step of an SMTP dialogue */
#define CHECK_FETCH	10	/* s, the policy fetch */
#define CHECK_LIMIT	60	/* s, the whole check */
#define CHECK_NOTES	32	/* parser warnings kept */
#define CHECK_WARN_DAYS	14

/* Exit status: a monitoring plugin's (0 OK, 1 WARNING, 2 CRITICAL,
   3 UNKNOWN), not the usual EXIT_USAGE: see filter-mtasts(8). */
#define CHECK_EXIT_OK		0
#define CHECK_EXIT_WARN		1
#define CHECK_EXIT_FAIL		2
#define CHECK_EXIT_UNKNOWN	3

enum check_level {
	CK_OK,
	CK_WARN,
	CK_FAIL
};

/* What a DNS answer said, kept after the callback. */
struct lookup {
	int		 done;
	enum dns_status	 st;
	enum dns_sec	 sec;
	char		 why[STS_ERR_MAX];
};

struct check_host;

struct check_addr {
	struct check_host	*h;
	struct sockaddr_storage	 ss;
	char			 text[64];
	struct verify		*v;
	enum verify_mode	 mode;
	int			 done;
	struct verify_result	 res;
};

struct check_host {
	struct check		*ck;
	char			 name[DNS_WIRE_NAME_MAX];
	uint16_t		 pref;
	int			 valid;		/* a host name */
	struct dns_waiter	*wa, *waaaa, *wtlsa;
	struct lookup		 a, aaaa, tlsa;
	int			 tlsa_asked;
	struct dns_rec		*rrs;	/* TLSA, when secure */
	size_t			 nrrs, nusable;
	struct check_addr	 addrs[CHECK_ADDRS];
	size_t			 naddrs;
};

struct check_note {
	size_t		 line;
	char		 msg[STS_ERR_MAX];
};

struct finding {
	enum check_level	 level;
	const char		*check;
	char			*host;
	char			*address;
	const char		*result;	/* RFC 8460, or NULL */
	char			*msg;
	char			*fix;
};

struct check {
	struct event_base	*base;
	struct dns		*dns;
	struct fetcher		*fetcher;
	struct verifier		*verifier;
	struct cache		*cache;
	const char		*statedir;
	char			 domain[DNS_NAME_MAX + 1];
	int			 json;
	int			 warn_days;
	int64_t			 now;
	int			 pending;
	int			 timed_out;
	struct event		 deadline;

	/* MX */
	struct dns_waiter	*wmx;
	struct lookup		 mx;
	int			 null_mx, implicit_mx;
	size_t			 nmx;		/* in the RRset */
	struct check_host	 hosts[CHECK_HOSTS];
	size_t			 nhosts;

	/* _mta-sts TXT */
	struct dns_waiter	*wtxt;
	struct lookup		 txt;
	size_t			 ntxt, ncand;
	int			 txt_valid;
	struct sts_record	 rec;
	char			 txt_err[STS_ERR_MAX];

	/* the policy */
	struct dns_waiter	*wpa, *wpaaaa;
	struct lookup		 pa, paaaa;
	struct sockaddr_storage	 paddrs[CHECK_PADDRS];
	size_t			 npaddrs;
	struct fetch		*fh;
	int			 fetch_done, fetch_ok, fetch_tls_failed;
	char			 fetch_err[STS_ERR_MAX];
	int64_t			 fetch_not_after;
	char			 fetch_version[16];
	char			*body;
	size_t			 len;
	int			 pol_valid;
	struct sts_policy	 pol;
	struct sts_error	 pol_err;
	struct check_note	 pol_notes[CHECK_NOTES];
	size_t			 npol_notes;

	/* _smtp._tls TXT */
	struct dns_waiter	*wrpt;
	struct lookup		 rpt;
	int			 rpt_valid;
	struct tlsrpt_record	 rpt_rec;
	char			 rpt_err[STS_ERR_MAX];
	struct check_note	 rpt_notes[CHECK_NOTES];
	size_t			 nrpt_notes;

	/* what is found */
	struct finding		*findings;
	size_t			 nfindings;
};

/* check_report.c */
int	 check_report(struct check *);

#endif /* CHECK_H */
