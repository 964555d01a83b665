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

#ifndef TLSSERV_H
#define TLSSERV_H

/*
 * A policy host for the fetch test and bench: a libtls server in a
 * child process, one connection on 127.0.0.1, its self-signed
 * certificate made by openssl(1) at run time.  The child says on the
 * control socket what it has done: 'R' once it has read the request,
 * 'S' once it has sent the whole response.
 */

#include <sys/socket.h>
#include <sys/types.h>

#define TLSSERV_HOST	"mta-sts.fetch.test"

struct tlsserv_pki {
	char		 dir[64];
	char		 cert[96];	/* also the CA file of the client */
	char		 key[96];
};

struct tlsserv_script {
	const char	*resp;		/* the response, sent after 'R' */
	size_t		 len;
	size_t		 unit;		/* bytes per tls_write(): per record */
	int		 hold;		/* after 'R', wait for a byte */
	int		 dribble_ms;	/* then 'a' at this pace, for ever */
};

struct tlsserv {
	pid_t			 pid;
	int			 ctl;		/* control socket */
	struct sockaddr_storage	 addr;		/* where it listens */
};

int	 tlsserv_pki(struct tlsserv_pki *);
void	 tlsserv_pki_remove(const struct tlsserv_pki *);
int	 tlsserv_start(struct tlsserv *, const struct tlsserv_pki *,
	    const struct tlsserv_script *);
void	 tlsserv_stop(struct tlsserv *);

#endif /* TLSSERV_H */
