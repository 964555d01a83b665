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


#include <sys/types.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"

/*
 * Framed messages between the front process and the network process:
 * a 12-byte header {length, type, id} in network order, then at most
 * IPC_MAX bytes.  Anything else is a broken peer: the link is closed,
 * never guessed at.
 */

#define IPC_HDR		12

struct ipc {
	struct bufferevent	*bev;
	ipc_msg_cb		 msg;
	ipc_eof_cb		 eof;
	void			*arg;
};

/*
 * One frame at the head of buf: its size in all, 0 when more bytes are
 * needed, -1 when it can never be valid.  The payload is what follows
 * the header, *plen bytes.
 */
ssize_t
ipc_frame(const uint8_t *buf, size_t len, uint32_t *type, uint32_t *id,
    size_t *plen)
{
	uint32_t	 hdr[3];

	if (len < IPC_HDR)
		return 0;
	memcpy(hdr, buf, IPC_HDR);
	if (ntohl(hdr[0]) > IPC_MAX)
		return -1;
	if (len - IPC_HDR < ntohl(hdr[0]))
		return 0;
	*plen = ntohl(hdr[0]);
	*type = ntohl(hdr[1]);
	*id = ntohl(hdr[2]);
	return IPC_HDR + *plen;
}

/* Each payload is handed over NUL-terminated, a copy of its own. */
static void
ipc_read(struct bufferevent *bev, void *arg)
{
	struct ipc	*ipc = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	const uint8_t	*p;
	uint8_t		*payload;
	uint32_t	 type, id, hlen;
	size_t		 avail, len;
	ssize_t		 n;

	while ((avail = evbuffer_get_length(in)) >= IPC_HDR) {
		/* The header says how much of the input to look at. */
		if ((p = evbuffer_pullup(in, IPC_HDR)) == NULL)
			break;
		memcpy(&hlen, p, sizeof(hlen));
		len = ntohl(hlen);
		if (len <= IPC_MAX && avail - IPC_HDR < len)
			return;
		if (len > IPC_MAX ||
		    (p = evbuffer_pullup(in, IPC_HDR + len)) == NULL ||
		    (n = ipc_frame(p, IPC_HDR + len, &type, &id, &len)) <= 0) {
			ipc->eof(ipc->arg);
			return;
		}
		if ((payload = malloc(len + 1)) == NULL) {
			ipc->eof(ipc->arg);
			return;
		}
		memcpy(payload, p + IPC_HDR, len);
		payload[len] = '\0';
		evbuffer_drain(in, n);
		ipc->msg(ipc->arg, type, id, payload, len);
		free(payload);
	}
}

static void
ipc_event(struct bufferevent *bev, short what, void *arg)
{
	struct ipc	*ipc = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		ipc->eof(ipc->arg);
}

struct ipc *
ipc_new(struct event_base *base, int fd, ipc_msg_cb msg, ipc_eof_cb eof,
    void *arg)
{
	struct ipc	*ipc;

	if ((ipc = calloc(1, sizeof(*ipc))) == NULL)
		return NULL;
	ipc->msg = msg;
	ipc->eof = eof;
	ipc->arg = arg;
	evutil_make_socket_nonblocking(fd);
	ipc->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (ipc->bev == NULL) {
		free(ipc);
		return NULL;
	}
	bufferevent_setcb(ipc->bev, ipc_read, NULL, ipc_event, ipc);
	bufferevent_enable(ipc->bev, EV_READ | EV_WRITE);
	return ipc;
}

int
ipc_send(struct ipc *ipc, uint32_t type, uint32_t id, const void *payload,
    size_t len)
{
	uint32_t	 hdr[3];

	if (len > IPC_MAX)
		return -1;
	hdr[0] = htonl((uint32_t)len);
	hdr[1] = htonl(type);
	hdr[2] = htonl(id);
	if (bufferevent_write(ipc->bev, hdr, IPC_HDR) == -1 ||
	    (len > 0 && bufferevent_write(ipc->bev, payload, len) == -1))
		return -1;
	return 0;
}

/* Bytes sent but not written yet: what a sender may bound itself by. */
size_t
ipc_queued(struct ipc *ipc)
{
	return evbuffer_get_length(bufferevent_get_output(ipc->bev));
}

void
ipc_free(struct ipc *ipc)
{
	if (ipc == NULL)
		return;
	bufferevent_free(ipc->bev);
	free(ipc);
}
