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

#define PRIVSEP_USER	"_mtasts"

/* main.c */
__dead void	 usage_cmd(const char *);

/* cmd_record.c, cmd_policy.c, cmd_match.c, cmd_query.c */
int		 cmd_record(int, char **);
int		 cmd_policy(int, char **);
int		 cmd_match(int, char **);
int		 cmd_query(int, char **);
int		 cmd_filter(int, char **);
int		 cmd_table(int, char **);
int		 cmd_daemon(int, char **);
int		 cmd_exim(int, char **);

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
typedef void	(*ipc_msg_cb)(void *, uint32_t, uint32_t, const uint8_t *,
		    size_t);
typedef void	(*ipc_eof_cb)(void *);
struct ipc	*ipc_new(struct event_base *, int, ipc_msg_cb, ipc_eof_cb,
		    void *);
int		 ipc_send(struct ipc *, uint32_t, uint32_t, const void *,
		    size_t);
void		 ipc_free(struct ipc *);

/* vwire.c */
int		 vwire_pack(const struct verdict *, struct evbuffer *);
int		 vwire_unpack(const uint8_t *, size_t, struct verdict *);
void		 vwire_clear(struct verdict *);
void		 vwire_defer(struct verdict *, const char *, const char *);

/* netproc.c */
int		 netproc_start(const struct resolver_conf *, const char *,
		    pid_t *);
void		 privdrop(const char *, const char *);

/* sandbox-*.c, chosen by the build */
void		 sandbox_network(void);
void		 sandbox_front(void);

/* vcache.c: the front's memory of verdicts */
#define VC_ERROR	-1
#define VC_HIT		0
#define VC_WAIT		1
typedef void	(*vcache_cb)(void *, const struct verdict *);
struct vcache_timing {
	long		 fresh, fresh_defer, stale_max, tick, warm; /* s */
};
extern const struct vcache_timing vcache_timing_default;
struct vcache	*vcache_new(struct event_base *, int, size_t,
		    const struct vcache_timing *);
int		 vcache_lookup(struct vcache *, const char *, vcache_cb, void *,
		    const struct verdict **, struct vwaiter **);
const struct verdict *vcache_peek(struct vcache *, const char *);
const char	*vcache_next_mx(struct vcache *, const char *);
void		 vcache_cancel(struct vwaiter *);

/* reply.c: what Postfix and Exim are told */
#define REPLY_MAX	2048
#define REPLY_MX_MAX	1900
void		 reply_postfix(const struct verdict *, char *, size_t);
void		 reply_exim(const struct verdict *, char *, size_t);

/* netstring.c */
int		 netstring_parse(const char *, size_t, size_t, size_t *,
		    const char **, size_t *);

/* proto.c: the requests of the daemon's sockets, without I/O */
enum proto {
	PROTO_SOCKETMAP,
	PROTO_EXIM
};
#define SOCKETMAP_MAX	1100	/* "name key": a name and a domain */
#define EXIM_LINE_MAX	300
#define PROTO_REQ_MAX	(SOCKETMAP_MAX + 6)	/* "1100:...," */
#define PROTO_BAD	-1
#define PROTO_MORE	0
#define PROTO_REQ	1
int		 proto_next(enum proto, const char *, size_t, int,
		    const char **, size_t *, size_t *);
int		 proto_key(const char *, size_t, char *, size_t);

/* server.c: the daemon's sockets */
struct server;
struct server	*server_new(struct event_base *, struct vcache *);
int		 server_add(struct server *, int, enum proto);

/* daemon.c */
int		 listen_unix(const char *);

/* tablesrv.c */
int		 tablesrv_listen(const char *);
struct tablesrv	*tablesrv_start(struct event_base *, int, struct vcache *);

/* json.c */
void		 json_string(FILE *, const char *);

#endif /* EXTERN_H */
