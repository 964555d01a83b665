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
 * txtrec.c: the scanner the TXT record parsers share, for what RFC 8461
 * 3.1 and RFC 8460 3 define alike: field delimiters, extension fields,
 * errors at an offset, and the one candidate of an RRset.
 * txt_fields() reads the fields after the version, which the caller
 * has checked and set sc->pos past.  Its callback gets each field's
 * name (offset and length in s) with sc->pos at the value, and returns
 * 0 when it read the value, -1 from txt_fail(), or TXT_EXTENSION when
 * the name is not its record's own.  txt_pick() finds the one RR of n
 * in set for which cand returns 1, else sets err, naming the version.
 */
#define TXT_EXTENSION		1

struct txt_scan {
	const char	*s;
	size_t		 len;
	size_t		 pos;
	size_t		 rr;		/* 1-based RR index, for messages */
	struct sts_error *err;
};

typedef int	(*txt_field_cb)(struct txt_scan *, size_t, size_t, void *);
typedef int	(*txt_cand_cb)(const void *, size_t);

int		 txt_fail(struct txt_scan *, const char *);
void		 txt_skip_wsp(struct txt_scan *);
int		 txt_value_end(const struct txt_scan *);
int		 txt_fields(struct txt_scan *, txt_field_cb, void *);
int		 txt_is_candidate(const char *, size_t, const char *);
int		 txt_pick(const void *, size_t, txt_cand_cb, const char *,
		    size_t *, struct sts_error *);

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
/* A recipient domain, lower case without root dot: 0, an address
 * literal kept as given: 1, neither: -1. */
int		 domain_normalize(const char *, char *, size_t);

/* abnf.c: character classes of the RFC 8461 ABNF, ASCII only. */
int		 abnf_wsp(unsigned char);
int		 abnf_digit(unsigned char);
int		 abnf_alnum(unsigned char);
int		 abnf_ext_name(unsigned char);

/* sts_error.c: formatting of error text. */
void		 sts_seterr(struct sts_error *, size_t, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
size_t		 sts_quote(char *, size_t, const char *, size_t);

/*
 * dns_wire.c: the answer section of a DNS response (RFC 1035 4.1).
 */
#define DNS_T_A			1
#define DNS_T_CNAME		5
#define DNS_T_SOA		6
#define DNS_T_MX		15
#define DNS_T_TXT		16
#define DNS_T_AAAA		28
#define DNS_T_TLSA		52
#define DNS_C_IN		1
#define DNS_R_NOERROR		0
#define DNS_R_SERVFAIL		2
#define DNS_R_NXDOMAIN		3
#define DNS_WIRE_NAME_MAX	1100	/* 255 octets, each maybe \DDD */

struct dns_rec {
	uint16_t	 type;
	uint32_t	 ttl;
	uint16_t	 pref;		/* MX preference */
	char		*name;		/* MX exchange, presentation form */
	uint8_t		*data;		/* TXT joined; A, AAAA, TLSA rdata */
	size_t		 len;
};

struct dns_msg {
	int		 rcode;
	struct dns_rec	*rr;		/* records of the queried type */
	size_t		 nrr;
	uint32_t	 ttl;		/* how long the answer holds, s */
	int		 have_ttl;	/* 0: no TTL in the answer */
};

int		 dns_wire_parse(const uint8_t *, size_t, uint16_t,
		    struct dns_msg *, char *, size_t);
void		 dns_msg_free(struct dns_msg *);
/* sts_record.c: sts_record_select() over the TXT RRs of an answer. */
int		 sts_record_from_dns(const struct dns_msg *, struct sts_record *,
		    struct sts_error *);

/*
 * dns.c: asynchronous lookups with libunbound on a libevent loop,
 * validating DNSSEC in-process.  Identical lookups in flight are
 * shared.  The callback always runs from the event loop, never from
 * inside dns_lookup().
 */
enum dns_status {
	DNS_ANSWER,		/* records of the type exist */
	DNS_NODATA,		/* the name exists, the type does not */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_FAIL		/* SERVFAIL, timeout, malformed: no answer */
};

enum dns_sec {
	DNS_INSECURE,
	DNS_SECURE,
	DNS_BOGUS
};

struct dns_result {
	enum dns_status	 status;
	enum dns_sec	 sec;
	struct dns_msg	 msg;
	char		 why[STS_ERR_MAX];	/* for DNS_FAIL and bogus */
};

struct event_base;
struct dns;
struct dns_waiter;
typedef void	(*dns_cb)(void *, const struct dns_result *);

struct dns	*dns_new(struct event_base *, const char *, const char *,
		    char *, size_t);
void		 dns_free(struct dns *);
struct dns_waiter *dns_lookup(struct dns *, const char *, uint16_t, dns_cb,
		    void *);
void		 dns_cancel(struct dns_waiter *);
const char	*dns_sec_name(enum dns_sec);
const char	*dns_status_name(enum dns_status);
const char	*dns_type_name(uint16_t);
const char	*dns_default_anchor(void);

/*
 * dane.c: which TLSA records are usable for SMTP (RFC 7672 3.1,
 * RFC 6698 4.1, RFC 7671 9).
 */
#define TLSA_DANE_TA	2	/* certificate usages */
#define TLSA_DANE_EE	3
#define TLSA_CERT	0	/* selectors */
#define TLSA_SPKI	1
#define TLSA_FULL	0	/* matching types */
#define TLSA_SHA256	1
#define TLSA_SHA512	2
int		 dane_tlsa_usable(const uint8_t *, size_t);
size_t		 dane_count_usable(const struct dns_msg *);

/*
 * http_parse.c: the response to the policy GET (RFC 8461 3.3).
 * http_parser_feed() is given all the bytes received so far, the same
 * buffer longer on each call (it may move), and goes on where it
 * stopped, so a response costs time linear in its size however it is
 * cut into reads.  It returns HTTP_MORE until HTTP_DONE (body set, 200
 * text/plain, at most STS_POLICY_MAX bytes) or HTTP_ERROR (err set);
 * the parser is spent then.  eof says the peer closed.  http_parse()
 * is one feed of a fresh parser.
 */
#define HTTP_MORE		0
#define HTTP_DONE		1
#define HTTP_ERROR		-1
#define HTTP_HEADER_MAX		16384
#define HTTP_RAW_MAX		(4 * STS_POLICY_MAX)

struct http_response {
	int		 status;
	char		*body;		/* NUL-terminated, owned */
	size_t		 len;
};

struct http_parser {
	int		 hp_state;
	size_t		 hp_seen;	/* input length at the last call */
	size_t		 hp_pos;	/* the first byte not consumed */
	size_t		 hp_scan;	/* the search for LF goes on here */
	int		 hp_chunked;
	int		 hp_have_length;
	int		 hp_have_type;
	size_t		 hp_length;	/* Content-Length, or chunk size */
	char		*hp_body;	/* chunk data decoded so far */
	size_t		 hp_blen, hp_bcap;
	size_t		 hp_examined;	/* input bytes looked at, for regress */
};

void		 http_parser_init(struct http_parser *);
int		 http_parser_feed(struct http_parser *, const char *, size_t,
		    int, struct http_response *, char *, size_t);
void		 http_parser_free(struct http_parser *);
int		 http_parse(const char *, size_t, int, struct http_response *,
		    char *, size_t);
void		 http_response_free(struct http_response *);

/*
 * fetch.c: HTTPS GET of the policy with libtls, non-blocking on the
 * loop: SNI and PKIX to the policy host, TLS >= 1.2, a time limit and
 * a bound on fetches running at once (more wait in line).
 */
struct fetcher;
struct fetch;
struct sockaddr_storage;
struct timespec;

/*
 * netconn.c: what fetch.c and smtp_conn.c share of a connection: a
 * time limit on the monotonic clock, and connects that never block.
 */
void		 deadline_set(struct timespec *, int);
int		 deadline_passed(const struct timespec *);
int		 tcp_connect(const struct sockaddr_storage *);
int		 tcp_connect_error(int);

/* Where a fetch failed, for TLS reporting (RFC 8460 4.3.2). */
enum fetch_stage {
	FETCH_STAGE_CONNECT,	/* before TLS: no address, refused */
	FETCH_STAGE_TLS,	/* the handshake: PKIX, name, protocol */
	FETCH_STAGE_HTTP	/* the response */
};

struct fetch_result {
	int		 ok;
	char		*body;		/* valid while the callback runs */
	size_t		 len;
	int		 status;	/* HTTP status; of a post: any */
	enum fetch_stage stage;		/* of a failure */
	char		 err[STS_ERR_MAX];
	int		 tls_failed;	/* in the handshake or its checks */
	int64_t		 cert_not_after;	/* the host's leaf, 0: unknown */
	char		 tls_version[16];
};

typedef void	(*fetch_cb)(void *, const struct fetch_result *);

struct fetcher	*fetcher_new(struct event_base *, const char *, int, int,
		    char *, size_t);
void		 fetcher_free(struct fetcher *);
struct fetch	*fetch_start(struct fetcher *, const char *,
		    const struct sockaddr_storage *, size_t, fetch_cb, void *);
/*
 * A POST under the same rules (PKIX and name, no redirect, the time
 * limit), for TLS reports: host, path, content type and body, copied.
 * ok is set for a 2xx status; the result carries the status.
 */
struct fetch	*fetch_post(struct fetcher *, const char *, const char *,
		    const char *, const void *, size_t,
		    const struct sockaddr_storage *, size_t, fetch_cb, void *);
int		 fetch_tls_is_pkix(const char *);
void		 fetch_cancel(struct fetch *);

/*
 * cache.c: policies on disk, one file per policy domain, replaced by
 * rename(2) so a crash leaves the old or the new entry.  Opened with a
 * bound (max > 0), the cache reads the directory once and keeps the
 * names in memory to evict the oldest in constant time; with max 0 it
 * reads no directory and evicts nothing (one-shot commands).
 * cache_store() says why it failed in its buffer; cache_entry_parse()
 * takes a file's bytes, len + 1 of them writable, and exists for the
 * fuzzer.
 */
struct cache_entry {
	char		 domain[DNS_NAME_MAX + 1];
	char		 id[STS_ID_MAX + 1];	/* empty: no policy */
	int64_t		 fetched;
	int64_t		 expires;		/* fetched + max_age */
	char		 failed_id[STS_ID_MAX + 1];
	int64_t		 failed_at;		/* last failed fetch */
	int64_t		 negative_until;	/* no policy until then */
	char		*body;
	size_t		 len;
	struct sts_policy pol;
};

struct cache_stats {
	size_t		 max;		/* the bound, 0: none */
	size_t		 entries;	/* in the index */
	unsigned long	 scans;		/* reads of the whole directory */
	unsigned long	 evictions;
	unsigned long	 fsyncs;
};

#define CACHE_ERR_MAX	(DNS_NAME_MAX + 160)

struct cache;

struct cache	*cache_open(const char *, size_t, char *, size_t);
void		 cache_close(struct cache *);
int		 cache_load(struct cache *, const char *, struct cache_entry *);
int		 cache_store(struct cache *, const struct cache_entry *, char *,
		    size_t);
void		 cache_stats(const struct cache *, struct cache_stats *);
int		 cache_private(const struct cache *);
int		 cache_dirfd(const struct cache *);

/*
 * vstore.c: verdicts on disk for the one-shot commands, answered
 * without DNS while in date.
 */
#define VSTORE_TEXT_MAX		2048
int		 vstore_get(struct cache *, const char *, int64_t, char *,
		    size_t, int *);
void		 vstore_put(struct cache *, const char *, int64_t, int,
		    const char *);
int		 vstore_parse(char *, size_t, int64_t, char *, size_t, int *);
int		 cache_entry_parse(char *, size_t, const char *,
		    struct cache_entry *);
void		 cache_entry_free(struct cache_entry *);

/*
 * tlsrpt_record.c: the _smtp._tls TXT RRset (RFC 8460 3).  Of the RRs
 * that begin with "v=TLSRPTv1" and a delimiter exactly one must
 * remain, and it must be valid.  0 and rec filled, or -1 and err set.
 * warn, which may be NULL, hears of each rua URI whose scheme no
 * reporter uses or that is too long to keep.  A URI is kept as it
 * stands when whole, else quoted (sts_quote()) and cut, to be shown.
 */
#define TLSRPT_URI_MAX		8	/* rua URIs kept */
#define TLSRPT_URI_LEN		512

struct tlsrpt_record {
	size_t		 nuri;		/* all of them, kept or not */
	size_t		 nusable;	/* whole, mailto: and https: */
	char		 uri[TLSRPT_URI_MAX][TLSRPT_URI_LEN];
	int		 whole[TLSRPT_URI_MAX];	/* else cut: not usable */
};

int		 tlsrpt_record_is_candidate(const char *, size_t);
int		 tlsrpt_record_parse(const char *, size_t, struct tlsrpt_record *,
		    struct sts_error *, sts_warn_cb, void *);
int		 tlsrpt_record_from_dns(const struct dns_msg *,
		    struct tlsrpt_record *, struct sts_error *, sts_warn_cb,
		    void *);

/*
 * The outcome of a connection to an MX host, as TLS reporting names it
 * (RFC 8460 4.3, the IANA "STARTTLS Validation Result Types").
 * TLSRPT_OK is a successful session; TLSRPT_TEMPORARY is not in the
 * registry: no session was had (connection refused, a 4xx greeting, a
 * time limit before STARTTLS), a transient error RFC 8460 4.3.4 leaves
 * out of reports.
 */
enum tlsrpt_result {
	TLSRPT_OK,
	TLSRPT_STARTTLS_NOT_SUPPORTED,
	TLSRPT_CERT_HOST_MISMATCH,
	TLSRPT_CERT_EXPIRED,
	TLSRPT_TLSA_INVALID,
	TLSRPT_DNSSEC_INVALID,
	TLSRPT_DANE_REQUIRED,
	TLSRPT_CERT_NOT_TRUSTED,
	TLSRPT_STS_POLICY_INVALID,
	TLSRPT_STS_WEBPKI_INVALID,
	TLSRPT_VALIDATION_FAILURE,
	TLSRPT_STS_POLICY_FETCH_ERROR,
	TLSRPT_TEMPORARY
};

const char	*tlsrpt_result_name(enum tlsrpt_result);

/*
 * smtp_reply.c: SMTP replies (RFC 5321 4.2), given a line at a time,
 * and the EHLO keywords (RFC 5321 4.1.1.1).  No I/O.  A reply is
 * bounded: SMTP_REPLY_LINES lines of at most SMTP_LINE_MAX bytes (RFC
 * 5321 4.5.3.1.5 says 512; we take what servers really send).  The
 * text of its lines, after the code and separator, is kept joined by
 * LF, bytes outside printable ASCII replaced by '?', cut at
 * SMTP_REPLY_MAX (truncated is set then).
 */
#define SMTP_LINE_MAX		1000	/* bytes, CRLF included */
#define SMTP_REPLY_LINES	100
#define SMTP_REPLY_MAX		8192
#define SMTP_MORE		0
#define SMTP_DONE		1
#define SMTP_ERROR		-1

struct smtp_reply {
	int		 code;		/* 200 to 559, once a line is read */
	size_t		 nlines;
	int		 done;
	int		 truncated;
	size_t		 len;
	char		 text[SMTP_REPLY_MAX];
};

#define SMTP_EXT_STARTTLS	0x0001
#define SMTP_EXT_PIPELINING	0x0002
#define SMTP_EXT_8BITMIME	0x0004
#define SMTP_EXT_SMTPUTF8	0x0008
#define SMTP_EXT_SIZE		0x0010
#define SMTP_EXT_DSN		0x0020
#define SMTP_EXT_ENHANCED	0x0040	/* ENHANCEDSTATUSCODES */
#define SMTP_EXT_CHUNKING	0x0080
#define SMTP_EXT_REQUIRETLS	0x0100

struct smtp_ehlo {
	unsigned	 ext;		/* SMTP_EXT_* */
	uint64_t	 size;		/* SIZE, 0 when none given */
	char		 name[DNS_NAME_MAX + 1];	/* the server's */
};

void		 smtp_reply_init(struct smtp_reply *);
int		 smtp_reply_line(struct smtp_reply *, const char *, size_t,
		    char *, size_t);
void		 smtp_ehlo_parse(const struct smtp_reply *, struct smtp_ehlo *);

/*
 * verify.c: what a server's certificate chain proves (RFC 7672 3,
 * RFC 8461 4.2, RFC 6125), with libcrypto, from the chain in PEM as
 * the server sent it, leaf first.  Every facet is worked out whatever
 * the connection needs, so that a diagnosis can show them all:
 *   pkix     the chain to the CA store, dates checked (TLSRPT_OK, or
 *            CERT_NOT_TRUSTED, CERT_EXPIRED, VALIDATION_FAILURE);
 *   name_ok  the leaf is valid for the MX host name (DNS-ID, the CN
 *            only without one; a wildcard for the whole first label);
 *   dane     with TLSA records: DANE-EE(3) matches the leaf, names and
 *            dates ignored; DANE-TA(2) matches a certificate of the
 *            chain (or "2 0 0" carries it), which is then the only
 *            trust anchor, partial chains allowed, dates checked, and
 *            the leaf must be valid for the host or the domain (RFC
 *            7672 3.2.2).  Usages 0 and 1, and digests weaker than the
 *            strongest of their usage and selector (RFC 7671 9), are
 *            left out; nusable 0 means TLS without authentication.
 * cert_check() returns -1 when the chain holds no certificate.
 */
#define CERT_CHAIN_MAX		16
#define CERT_NAMES_MAX		256
#define CERT_WHY_MAX		256

struct cert_store;

struct cert_check {
	size_t		 nchain;
	int64_t		 not_before, not_after;	/* of the leaf */
	char		 names[CERT_NAMES_MAX];	/* its DNS names, quoted */
	enum tlsrpt_result pkix;
	char		 pkix_why[CERT_WHY_MAX];
	int		 name_ok;
	size_t		 ntlsa, nusable;	/* TLSA records given, usable */
	enum tlsrpt_result dane;	/* when nusable > 0 */
	int		 dane_match;	/* the TLSA record that did, or -1 */
	char		 dane_why[CERT_WHY_MAX];
};

struct cert_store *cert_store_new(const uint8_t *, size_t, char *, size_t);
void		 cert_store_free(struct cert_store *);
int		 cert_check(const struct cert_store *, const char *, size_t,
		    const char *, const char *, const struct dns_rec *, size_t,
		    int64_t, struct cert_check *);

/*
 * smtp_conn.c: an SMTP client connection on the caller's libevent
 * loop, plain or, after STARTTLS, in TLS with libtls.  Every operation
 * has a time limit, reads and writes never block, and the callback
 * always runs later from the loop, never from inside the call.  A
 * connection does one operation at a time.
 *   smtp_conn_command()  queues a command and its CRLF (no CR or LF
 *                        in it); smtp_conn_write() queues raw bytes
 *                        (a message, already dot-stuffed);
 *   smtp_conn_reply()    sends what is queued, then reads one reply
 *                        (replies to pipelined commands: once each);
 *   smtp_conn_flush()    sends what is queued.
 * A failure leaves the connection unusable; smtp_conn_error() says
 * why.  Bytes read past a reply stay for the next one.  Writes use
 * MSG_NOSIGNAL: a peer that went away costs no SIGPIPE.
 */
struct smtp_conn;
struct tls;
struct tls_config;

typedef void	(*smtp_reply_cb)(void *, struct smtp_conn *,
		    const struct smtp_reply *);
typedef void	(*smtp_done_cb)(void *, struct smtp_conn *, int);

struct smtp_conn *smtp_conn_connect(struct event_base *, const char *,
		    const struct sockaddr_storage *, size_t, int, smtp_done_cb,
		    void *);
int		 smtp_conn_command(struct smtp_conn *, const char *);
int		 smtp_conn_write(struct smtp_conn *, const void *, size_t);
int		 smtp_conn_reply(struct smtp_conn *, int, smtp_reply_cb,
		    void *);
int		 smtp_conn_flush(struct smtp_conn *, int, smtp_done_cb, void *);
int		 smtp_conn_starttls(struct smtp_conn *, struct tls_config *,
		    int, smtp_done_cb, void *);
void		 smtp_conn_free(struct smtp_conn *);
const char	*smtp_conn_error(const struct smtp_conn *);
const char	*smtp_conn_host(const struct smtp_conn *);
const char	*smtp_conn_address(const struct smtp_conn *);
int		 smtp_conn_fd(const struct smtp_conn *);
struct tls	*smtp_conn_tls(const struct smtp_conn *);
size_t		 smtp_conn_pending(const struct smtp_conn *);
const struct smtp_ehlo *smtp_conn_ehlo(const struct smtp_conn *);
const struct smtp_reply *smtp_conn_ehlo_reply(const struct smtp_conn *);
void		 smtp_conn_set_ehlo(struct smtp_conn *, const struct smtp_reply *);

/*
 * smtp_client.c: connect to an MX host and prove it as the verdict
 * requires (RFC 7672 2.2, 3; RFC 8461 4.2): greeting, EHLO, STARTTLS,
 * the TLS handshake with SNI the MX host name, the chain checked by
 * cert_check(), EHLO again.  The callback gets the result and, when
 * the host passed, the connection: in TLS (or, opportunistic, plain
 * when STARTTLS was not offered), EHLO answered, ready for MAIL FROM;
 * the callback owns it then and frees it with smtp_conn_free().
 *   VERIFY_OPPORTUNISTIC  STARTTLS when offered, nothing checked;
 *   VERIFY_TLS            secure TLSA, none usable: TLS required,
 *                         no authentication (RFC 7672 2.2);
 *   VERIFY_DANE           the usable TLSA records authenticate;
 *   VERIFY_STS            PKIX to the CA store and the MX host name.
 * libtls does the handshake without verifying (it has no DANE), then
 * every check is cert_check()'s, before any command is sent in TLS.
 * TLS 1.2 or later.  The CA file is read into memory by verifier_new(),
 * so that a later chroot needs no file.  step is each step's time
 * limit, in seconds.
 */
enum verify_mode {
	VERIFY_OPPORTUNISTIC,
	VERIFY_TLS,
	VERIFY_DANE,
	VERIFY_STS
};

#define VERIFY_ADDRS		8
#define VERIFY_TLSA_MAX		32
#define VERIFY_REASON_MAX	1024

struct verify_req {
	const char	*host;		/* MX host name: SNI, TLSA base */
	const char	*domain;	/* a DANE-TA name too, or NULL */
	const struct sockaddr_storage *addrs;	/* port set, tried in turn */
	size_t		 naddrs;
	enum verify_mode mode;
	const struct dns_rec *tlsa;	/* checked whatever the mode */
	size_t		 ntlsa;
	const char	*helo;		/* EHLO name, NULL: the verifier's */
};

struct verify_result {
	enum tlsrpt_result result;	/* for the mode asked */
	char		 reason[VERIFY_REASON_MAX];
	char		 address[64];	/* the one connected to */
	int		 starttls;	/* offered */
	int		 tls;		/* a handshake was made */
	char		 version[16];	/* TLS version */
	char		 cipher[64];
	int		 have_cert;
	struct cert_check cert;
};

struct verifier;
struct verify;
typedef void	(*verify_cb)(void *, const struct verify_result *,
		    struct smtp_conn *);

struct verifier	*verifier_new(struct event_base *, const char *, const char *,
		    int, char *, size_t);
void		 verifier_free(struct verifier *);
struct verify	*verify_start(struct verifier *, const struct verify_req *,
		    verify_cb, void *);
void		 verify_cancel(struct verify *);
const char	*verify_mode_name(enum verify_mode);

/*
 * resolve.c: the one pass for a recipient domain, and its verdict.
 */
enum verdict_kind {
	VERDICT_DANE,
	VERDICT_STS_ENFORCE,
	VERDICT_STS_TESTING,
	VERDICT_NONE,
	VERDICT_DEFER
};

#define VERDICT_REASON_MAX	512
#define VERDICT_TTL_MIN		5	/* s, floor of a verdict's life */
#define VERDICT_TTL_DEFER	60	/* s, a defer is asked again after */
#define VERDICT_TTL_MAX		600	/* s, ceiling of any verdict's life */

/*
 * A verdict.  Made by a pass, its strings point into the pass and are
 * valid while the callback runs; the front's copies (vwire.c) are one
 * allocation each, mem.  ttl is how long it may be reused, in seconds,
 * from the DNS answers it rests on.
 */
struct verdict {
	const char	*domain;
	enum verdict_kind kind;
	char		**mx;		/* allowed MX hosts, MX order */
	size_t		 nmx;
	int		 dane_all;	/* each of them has usable TLSA */
	uint32_t	 ttl;		/* seconds */
	const char	*reason;
	char		**notes;	/* how it was reached, for humans */
	size_t		 nnotes;
	void		*mem;		/* the front's copy */
	int		 tlsrpt;	/* VERDICT_RPT_*: _smtp._tls record */
	char		**rpt;		/* the policy as TLS reports name it */
	size_t		 nrpt;
};

/*
 * What a verdict tells TLS reporting (RFC 8460): whether the domain
 * publishes a TLSRPT record, and its policy: for sts verdicts the
 * policy lines ("version: STSv1", "mode: ...", "mx: ...",
 * "max_age: ..."), for dane verdicts one "HOST U S M HEX" per TLSA
 * record of each MX host.
 */
#define VERDICT_RPT_NO		0	/* no record: nothing is reported */
#define VERDICT_RPT_YES		1
#define VERDICT_RPT_UNKNOWN	2	/* the lookup did not answer in time */
#define VERDICT_RPT_MAX		64	/* strings */
#define VERDICT_RPT_STR_MAX	600	/* bytes of one, NUL excluded */

struct resolver_conf {
	const char	*forwarder;	/* NULL: /etc/resolv.conf */
	const char	*anchor;	/* trust anchor file */
	const char	*cafile;	/* CA bundle for the policy fetch */
	const char	*statedir;	/* NULL: no cache on disk */
	int		 fetch_timeout;	/* seconds */
	int		 pass_timeout;	/* seconds */
	int		 max_fetches;	/* at once */
	size_t		 cache_max;	/* entries */
};

struct resolver;
struct pass_waiter;
struct rpt_result;
typedef void	(*verdict_cb)(void *, const struct verdict *);
/* Once per pass: the failures it found before any connection. */
typedef void	(*pass_rpt_cb)(void *, const struct rpt_result *, size_t);

struct resolver	*resolver_new(struct event_base *, const struct resolver_conf *,
		    char *, size_t);
void		 resolver_free(struct resolver *);
void		 resolver_set_cache(struct resolver *, struct cache *);
struct cache	*resolver_cache(const struct resolver *);
struct dns	*resolver_dns(const struct resolver *);
struct pass_waiter *resolver_query(struct resolver *, const char *, verdict_cb,
		    void *);
void		 resolver_cancel(struct pass_waiter *);
size_t		 resolver_passes(const struct resolver *);
void		 resolver_on_pass(struct resolver *, pass_rpt_cb, void *);
const char	*verdict_name(enum verdict_kind);

/*
 * TLS reporting (RFC 8460).  A result is what one SMTP session, or one
 * pass that found a policy failure before any session, tells the
 * report of a domain: the policy applied, whether the session failed,
 * and the failures seen, each a detail of RFC 8460 4.4.
 */
enum rpt_policy_type {
	RPT_P_NONE,		/* "no-policy-found" */
	RPT_P_STS,
	RPT_P_TLSA,
	RPT_P_N
};

/* RFC 8460 4.3 result types; libtlsrpt's codes in comments. */
enum rpt_result_type {
	RPT_R_STARTTLS_NOT_SUPPORTED,	/* 201 */
	RPT_R_CERT_HOST_MISMATCH,	/* 202 */
	RPT_R_CERT_NOT_TRUSTED,		/* 203 */
	RPT_R_CERT_EXPIRED,		/* 204 */
	RPT_R_VALIDATION_FAILURE,	/* 205 */
	RPT_R_STS_POLICY_FETCH_ERROR,	/* 301 */
	RPT_R_STS_POLICY_INVALID,	/* 302 */
	RPT_R_STS_WEBPKI_INVALID,	/* 303 */
	RPT_R_TLSA_INVALID,		/* 304 */
	RPT_R_DNSSEC_INVALID,		/* 305 */
	RPT_R_DANE_REQUIRED,		/* 306 */
	RPT_R_N
};

#define RPT_STR_MAX	1024	/* bytes of one string, NUL excluded */
#define RPT_STRS_MAX	64	/* policy strings, or mx patterns */
#define RPT_DETAILS_MAX	16	/* failure details of one result */

struct rpt_detail {
	enum rpt_result_type	 type;
	const char		*sending_ip;	/* each NULL or "" when */
	const char		*mx_host;	/* not known */
	const char		*mx_helo;
	const char		*receiving_ip;
	const char		*additional;	/* a URI */
	const char		*reason;	/* failure-reason-code */
};

struct rpt_result {
	const char		*domain;	/* whose rua gets the report */
	enum rpt_policy_type	 policy;
	const char		*policy_domain;
	const char *const	*strings;	/* policy-string */
	size_t			 nstrings;
	const char *const	*mx;		/* mx-host patterns */
	size_t			 nmx;
	int			 failed;	/* the session's outcome */
	const struct rpt_detail	*details;
	size_t			 ndetails;
};

/* rpt.c: names and checks. */
const char	*rpt_policy_name(enum rpt_policy_type);
const char	*rpt_result_name(enum rpt_result_type);
int		 rpt_result_from_name(const char *);
int		 rpt_result_from_code(long);
int		 rpt_result_valid(const struct rpt_result *);
int		 rpt_text_valid(const char *);
void		 rpt_day_name(int64_t, char *, size_t);
int		 rpt_day_parse(const char *, int64_t *);

/*
 * rptstore.c: results on disk, per UTC day, written by one process
 * (the network process), read by the report command.  See the
 * comment at the top of rptstore.c for the format and its bounds.
 */
#define RPT_DIR		".tlsrpt"
#define RPT_DAY_MAX	(32 * 1024 * 1024)	/* bytes of a day's file */
#define RPT_REC_MAX	32768			/* bytes of a record */
#define RPT_POLICY_DETAILS_MAX	100	/* distinct details per policy */
#define RPT_KEEP_DAYS	8		/* days kept, today included */
#define RPT_ADD_OK	0
#define RPT_ADD_PARTLY	1		/* a detail had no room */
#define RPT_ADD_DROPPED	-1		/* no room, or not valid */

struct rptstore;
struct rptstore_stats {
	char		 day[16];
	uint64_t	 bytes;		/* of today's file */
	uint64_t	 records;
	uint64_t	 dropped;	/* results with no room, since open */
	uint64_t	 details_dropped;
};

struct rptstore	*rptstore_open(int, int64_t, char *, size_t);
int		 rptstore_add(struct rptstore *, int64_t,
		    const struct rpt_result *);
void		 rptstore_stats(const struct rptstore *,
		    struct rptstore_stats *);
void		 rptstore_close(struct rptstore *);
void		 rptstore_expire(int, int64_t);

/* A day read back, every file of it merged: what reports are made of. */
struct rpt_dagg {
	char		*strs[7];	/* type, sending ip, mx host, helo,
					   receiving ip, additional, reason */
	uint64_t	 count;
};

struct rpt_pagg {
	char		*domain;
	enum rpt_policy_type type;
	char		*policy_domain;
	char		**strings;
	size_t		 nstrings;
	char		**mx;
	size_t		 nmx;
	uint64_t	 ok, failed, details_dropped;
	struct rpt_dagg	*details;
	size_t		 ndetails;
};

struct rptday {
	char		 day[16];
	struct rpt_pagg	*pol;		/* sorted by domain */
	size_t		 npol;
	uint64_t	 torn;		/* bytes skipped at the ends of files */
};

struct rptday	*rptday_load(int, const char *, char *, size_t);
void		 rptday_free(struct rptday *);
size_t		 rptday_first(const struct rptday *, const char *);
int		 rptday_record_parse(const uint8_t *, size_t, size_t *);

/* rptreport.c: a report as RFC 8460 4.4 JSON, and gzip of it. */
struct rpt_meta {
	const char	*organization;
	const char	*contact;
	const char	*report_id;
	int64_t		 start, end;	/* the day: [start, end] seconds */
};

struct rpt_buf {
	char		*p;
	size_t		 len, cap;
	int		 err;		/* out of memory or too big */
};

#define RPT_REPORT_MAX	(10 * 1024 * 1024)	/* JSON or gzip, bytes */

void		 rpt_buf_add(struct rpt_buf *, const void *, size_t);
void		 rpt_buf_str(struct rpt_buf *, const char *);
void		 rpt_buf_json(struct rpt_buf *, const char *);
void		 rpt_buf_free(struct rpt_buf *);
int		 rpt_report_json(const struct rptday *, const char *,
		    const struct rpt_meta *, struct rpt_buf *, uint64_t *);
int		 rpt_gzip(const void *, size_t, struct rpt_buf *);

/* rptrecord.c: the _smtp._tls TXT record (RFC 8460 3). */
#define RPT_RUA_MAX	8
struct rpt_record {
	char		*rua[RPT_RUA_MAX];	/* mailto: and https: only */
	size_t		 nrua;
};
int		 rpt_record_parse(const char *, size_t, struct rpt_record *);
int		 rpt_record_from_dns(const struct dns_msg *,
		    struct rpt_record *);
void		 rpt_record_free(struct rpt_record *);

/*
 * rptdgram.c: a datagram of the TLSRPT client library Postfix 3.10
 * and later use (libtlsrpt, datagram protocol version 1), parsed
 * strictly: every result it holds, pointing into dg.
 */
#define RPT_DGRAM_MAX		65536
#define RPT_DGRAM_POLICIES	8
struct rpt_dgram {
	struct rpt_result	 res[RPT_DGRAM_POLICIES];
	size_t			 nres;
	const char		*str[RPT_DGRAM_POLICIES * 2 * RPT_STRS_MAX];
	struct rpt_detail	 det[RPT_DGRAM_POLICIES * RPT_DETAILS_MAX];
	char			 buf[RPT_DGRAM_MAX + 1];
};
int		 rpt_dgram_parse(const char *, size_t, struct rpt_dgram *,
		    char *, size_t);

/* A result unpacked from the front's message (filter-mtasts/rptwire.c). */
struct rpt_wire {
	struct rpt_result	 r;
	const char		*str[2 * RPT_STRS_MAX];
	struct rpt_detail	 det[RPT_DETAILS_MAX];
};

#endif /* MTASTS_H */
