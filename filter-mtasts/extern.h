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


#ifndef EXTERN_H
#define EXTERN_H

#include <stdio.h>

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

/* Exit status shared by every subcommand: a contract, see filter-mtasts(8). */
#define PROGNAME	"filter-mtasts"

#define EXIT_YES	0	/* valid, matches */
#define EXIT_NO		1	/* invalid, does not match */
#define EXIT_USAGE	2	/* bad invocation or unreadable input */

#include <stdint.h>
#include <sys/types.h>

struct event_base;
struct evbuffer;
struct resolver;
struct resolver_conf;
struct verdict;
struct vcache;
struct vwaiter;
struct ipc;
struct tablesrv;
struct relay;

/* The daemon's protocols. */
enum proto {
	PROTO_SOCKETMAP,
	PROTO_EXIM
};

#define PRIVSEP_USER	"_mtasts"

/* main.c */
__dead void	 usage_cmd(const char *);
__dead void	 usage_status(const char *, int);

/* cmd_record.c, cmd_policy.c, cmd_match.c, cmd_query.c */
int		 cmd_record(int, char **);
int		 cmd_policy(int, char **);
int		 cmd_match(int, char **);
int		 cmd_query(int, char **);
int		 cmd_filter(int, char **);
int		 cmd_table(int, char **);
int		 cmd_daemon(int, char **);
int		 cmd_exim(int, char **);
int		 cmd_check(int, char **);

/* options.c */
void		 resolver_defaults(struct resolver_conf *);
int		 resolver_option(int, char *, struct resolver_conf *);
struct resolver	*resolver_setup(struct event_base *, struct resolver_conf *,
		    int, int);

/* log.c */
void		 log_info(const char *, ...)
		    __attribute__((__format__(__printf__, 1, 2)));
void		 log_warnx(const char *, ...)
		    __attribute__((__format__(__printf__, 1, 2)));
__dead void	 fatal(const char *, ...)
		    __attribute__((__format__(__printf__, 1, 2)));
__dead void	 fatalx(const char *, ...)
		    __attribute__((__format__(__printf__, 1, 2)));

/* ipc.c: framed messages between the processes */
#define IPC_MAX		65536
#define IPC_QUERY	1	/* front -> network: domain */
#define IPC_VERDICT	2	/* network -> front: verdict */
#define IPC_READY	3	/* network -> front: set up, privileges gone */
#define IPC_RESULT	4	/* front -> network: a TLS reporting result */
/* The relay (relay.c, relay_net.c), id: the transaction; see relay_net.c */
#define IPC_RELAY_MIN	16
#define IPC_RELAY_OPEN	16	/* front -> network: domain, mode, MAIL, MX */
#define IPC_RELAY_RCPT	17	/* front -> network: RCPT command */
#define IPC_RELAY_DATA	18	/* front -> network: DATA command */
#define IPC_RELAY_CHUNK	19	/* front -> network: message bytes */
#define IPC_RELAY_EOM	20	/* front -> network: end of message */
#define IPC_RELAY_CLOSE	21	/* front -> network: transaction over */
#define IPC_RELAY_REPLY	22	/* network -> front: code, text */
#define IPC_RELAY_ACK	23	/* network -> front: chunks sent */
#define IPC_RELAY_TRIED	24	/* network -> front: a host that failed */
#define IPC_RELAY_SESSION 25	/* network -> front: the host that passed */
#define IPC_RELAY_MAX	25
typedef void	(*ipc_msg_cb)(void *, uint32_t, uint32_t, const uint8_t *,
		    size_t);
typedef void	(*ipc_eof_cb)(void *);
struct ipc	*ipc_new(struct event_base *, int, ipc_msg_cb, ipc_eof_cb,
		    void *);
int		 ipc_send(struct ipc *, uint32_t, uint32_t, const void *,
		    size_t);
void		 ipc_free(struct ipc *);
size_t		 ipc_queued(struct ipc *);
ssize_t		 ipc_frame(const uint8_t *, size_t, uint32_t *, uint32_t *,
		    size_t *);

/* vwire.c */
int		 vwire_pack(const struct verdict *, struct evbuffer *);
int		 vwire_unpack(const uint8_t *, size_t, struct verdict *);
const char	*wire_string(const uint8_t **, const uint8_t *, size_t);
void		 vwire_clear(struct verdict *);
void		 vwire_defer(struct verdict *, const char *, const char *);

/* rptwire.c: TLS reporting results, front -> network process */
struct rpt_result;
struct rpt_wire;
int		 rptwire_pack(const struct rpt_result *, struct evbuffer *);
int		 rptwire_unpack(const uint8_t *, size_t, struct rpt_wire *);

/*
 * rptfront.c: TLS reporting in the front process.  rpt_submit() is how
 * a delivery outcome reaches the results: see its comment.
 */
#define RPT_MAP_NAME	"tlsrpt"	/* socketmap: answers with the
					   attributes of Postfix 3.10+ */
struct vcache;
int		 rpt_submit(struct vcache *, const struct rpt_result *);
int		 rpt_policy_of(const struct verdict *, const char *,
		    struct rpt_result *, const char **, const char **);
int		 rpt_dgram_serve(struct event_base *, int, struct vcache *);
int		 rpt_exim_event(struct vcache *, const char *, size_t, int,
		    char *, size_t);
int		 rpt_map_requested(const char *, size_t, const char *);
void		 reply_postfix_tlsrpt(const struct verdict *, char *, size_t);

/* cmd_report.c */
int		 cmd_report(int, char **);

/* netproc.c */
__dead void	 netproc_run(int, const struct resolver_conf *, const char *);
void		 netproc_descriptors(int);
void		 privdrop(const char *, const char *);
gid_t		 group_id(const char *);
void		 netproc_watch(struct event_base *);
void		 log_exit(const char *, pid_t, int);

/* spawner.c: the process that starts network processes */
int		 spawner_start(const struct resolver_conf *, const char *,
		    pid_t *);
int		 spawner_first(int, pid_t *);
int		 spawner_ask(int);
int		 spawner_recv(int, char *, pid_t *, int *, int *);

/* supervise.c: the front keeps a network process running */
struct supervisor;
struct supervisor *supervise(struct event_base *, int, pid_t,
		    struct vcache *);

/* sandbox-*.c, chosen by the build */
void		 sandbox_network(void);
void		 sandbox_front(int);

/* relay.c, relay_smtp.c, relay_net.c: the verifying relay */
#define RELAY_LINE_MAX	1000	/* a command line, CRLF included */
#define RELAY_ADDR_MAX	512
#define RELAY_PARAMS_MAX 256
#define RELAY_REPLY_MAX	512	/* a reply line smtpd reads, NUL included */
#define RELAY_CHUNK	16384	/* message bytes per IPC_RELAY_CHUNK */
#define RELAY_WINDOW	4	/* chunks sent and not yet acknowledged */
enum relay_cmd {
	RC_BAD,
	RC_OTHER,
	RC_HELO,
	RC_EHLO,
	RC_MAIL,
	RC_RCPT,
	RC_DATA,
	RC_RSET,
	RC_NOOP,
	RC_QUIT
};
struct relay_path {
	char		 addr[RELAY_ADDR_MAX];	/* without brackets */
	char		 domain[254];	/* DNS_NAME_MAX + 1: normalised, or "" */
	int		 literal;		/* an address literal */
	char		 params[RELAY_PARAMS_MAX];	/* ESMTP, or helo name */
};
enum relay_cmd	 relay_parse_cmd(const char *, size_t, struct relay_path *,
		    char *, size_t);
int		 relay_data_scan(const char *, size_t, int *, size_t *,
		    size_t *);
void		 relay_reply_format(int, const char *, const char *, unsigned,
		    char *, size_t);
struct relay_outcome {
	const char	*domain;	/* the policy domain */
	const char	*kind;		/* its verdict: dane, sts-enforce */
	int		 result;	/* enum tlsrpt_result */
	const char	*mx, *address;	/* the MX host tried, its address */
	const char	*sender, *rcpts;	/* the envelope */
	const char	*reason;
};
void		 relay_outcome(struct vcache *, const struct relay_outcome *);
int		 relay_listen(const char *);
struct relay	*relay_start(struct event_base *, int, struct vcache *, int);
extern int	 relay_net_wanted;
int		 relay_net_init(struct event_base *, struct resolver *,
		    const char *, char *, size_t);
void		 relay_net_msg(struct ipc *, uint32_t, uint32_t,
		    const uint8_t *, size_t);

/* vcache.c: the front's memory of verdicts */
#define VC_ERROR	-1
#define VC_HIT		0
#define VC_WAIT		1
typedef void	(*vcache_cb)(void *, const struct verdict *);
struct vcache_timing {
	long		 stale_max, tick, lead, inuse;	/* s */
};
extern const struct vcache_timing vcache_timing_default;
struct vcache	*vcache_new(struct event_base *, int, size_t,
		    const struct vcache_timing *);
int		 vcache_lookup(struct vcache *, const char *, vcache_cb, void *,
		    const struct verdict **, struct vwaiter **);
const struct verdict *vcache_peek(struct vcache *, const char *);
const char	*vcache_next_mx(struct vcache *, const char *);
void		 vcache_cancel(struct vwaiter *);
void		 vcache_on_ready(struct vcache *, void (*)(void *), void *);
int		 vcache_expired(struct vcache *, const char *);
int		 vcache_relink(struct vcache *, int);
void		 vcache_on_down(struct vcache *, long (*)(void *), void *);
const char	*vcache_answer(struct vcache *, const struct verdict *,
		    enum proto, size_t *);
int		 vcache_send(struct vcache *, uint32_t, const void *, size_t);
void		 vcache_on_other(struct vcache *, ipc_msg_cb, void (*)(void *),
		    void *);
struct ipc	*vcache_link(struct vcache *);

/* reply.c: what Postfix and Exim are told */
#define REPLY_MAX	2048
#define ANSWER_MAX	(REPLY_MAX + 8)	/* framed: "LEN:" reply "," */
size_t		 reply_frame(enum proto, const char *, char *, size_t);
#define REPLY_MX_MAX	1900
void		 reply_postfix(const struct verdict *, char *, size_t);
void		 reply_exim(const struct verdict *, char *, size_t);
/* 512 octets, less "451 4.7.5 " and CRLF */
#define SMTP_REPLY_TEXT_MAX	(512 - 10 - 2)
void		 reply_smtp(const char *, const char *, char *, size_t);

/* netstring.c */
int		 netstring_parse(const char *, size_t, size_t, size_t *,
		    const char **, size_t *);

/* proto.c: the requests of the daemon's sockets, without I/O */
#define SOCKETMAP_MAX	1100	/* "name key": a name and a domain */
#define EXIM_LINE_MAX	300
#define EXIM_EVENT_MAX	1000	/* "tlsrpt ..." lines; < PROTO_REQ_MAX */
#define PROTO_REQ_MAX	(SOCKETMAP_MAX + 6)	/* "1100:...," */
#define PROTO_BAD	-1
#define PROTO_MORE	0
#define PROTO_REQ	1
int		 proto_next(enum proto, const char *, size_t, int,
		    const char **, size_t *, size_t *);
int		 proto_key(const char *, size_t, char *, size_t);
size_t		 proto_exim_max(const char *, size_t);

/* server.c: the daemon's sockets */
struct server;
struct server	*server_new(struct event_base *, struct vcache *);
int		 server_add(struct server *, int, enum proto, int);

/* daemon.c */
int		 listen_unix(const char *, int, gid_t);
struct addrinfo	*listen_addrinfo(const char *, const char *);

/* tablesrv.c */
int		 tablesrv_listen(const char *, const char *);
struct tablesrv	*tablesrv_start(struct event_base *, int, struct vcache *);

/* tableproto.c: the table protocols without their I/O */
#define TABLE_LINE_MAX	600	/* an answer on the filter's socket */
#define TABLE_TEXT_MAX	4096	/* a line from smtpd 7.6+ */
#define TABLE_TEXT_OUT	(TABLE_TEXT_MAX + TABLE_LINE_MAX + 64)
#define TABLE_IMSG_HDR	16
#define TABLE_IMSG_MAX	16384
typedef const char *(*table_ask_cb)(void *, const char *, const char *,
		    char *, size_t);
struct table_text {
	int		 ready;
};
struct table_imsg_out {
	uint8_t		 buf[TABLE_IMSG_HDR + sizeof(int) + TABLE_LINE_MAX];
	size_t		 len;
	char		 note[1024];
};
void		 tablesrv_answer(struct vcache *, const char *, char *, size_t);
int		 tablesrv_domain(const char *, char *, size_t);
int		 table_text_line(struct table_text *, char *, table_ask_cb,
		    void *, char *, size_t);
int		 table_imsg_len(const uint8_t *);
int		 table_imsg(uint32_t, const uint8_t *, size_t, table_ask_cb,
		    void *, struct table_imsg_out *);

/* json.c */
void		 json_string(FILE *, const char *);

#endif /* EXTERN_H */
