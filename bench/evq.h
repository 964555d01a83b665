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
 * evq: the readiness loop of smload and nullsm, header only.  epoll(7)
 * on Linux, where the daemon's libevent uses it too (the client and
 * the null server must not be what limits a measurement); poll(2)
 * elsewhere.  Level-triggered; each descriptor carries a pointer.
 */

#ifndef EVQ_H
#define EVQ_H

#include <errno.h>
#include <stdlib.h>

#define EVQ_IN		1
#define EVQ_OUT		2
#define EVQ_ERR		4

struct evq_ev {
	void	*ptr;
	int	 what;
};

#ifdef __linux__

#include <sys/epoll.h>
#include <unistd.h>

struct evq {
	int			 fd;
	struct epoll_event	 evs[256];
};

static inline int
evq_init(struct evq *q)
{
	return (q->fd = epoll_create1(EPOLL_CLOEXEC)) == -1 ? -1 : 0;
}

static inline int
evq_ctl(struct evq *q, int op, int fd, void *ptr, int want)
{
	struct epoll_event	 ev;

	ev.events = (want & EVQ_IN ? EPOLLIN : 0) |
	    (want & EVQ_OUT ? EPOLLOUT : 0);
	ev.data.ptr = ptr;
	return epoll_ctl(q->fd, op, fd, &ev);
}

static inline int
evq_add(struct evq *q, int fd, void *ptr, int want)
{
	return evq_ctl(q, EPOLL_CTL_ADD, fd, ptr, want);
}

static inline int
evq_mod(struct evq *q, int fd, void *ptr, int want)
{
	return evq_ctl(q, EPOLL_CTL_MOD, fd, ptr, want);
}

/* Before close(2): the poll(2) version must forget the slot. */
static inline void
evq_del(struct evq *q, int fd)
{
	(void)epoll_ctl(q->fd, EPOLL_CTL_DEL, fd, NULL);
}

static inline int
evq_wait(struct evq *q, struct evq_ev *out, int max, int timeout_ms)
{
	int	 n, i;

	if (max > (int)(sizeof(q->evs) / sizeof(q->evs[0])))
		max = sizeof(q->evs) / sizeof(q->evs[0]);
	if ((n = epoll_wait(q->fd, q->evs, max, timeout_ms)) == -1)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++) {
		out[i].ptr = q->evs[i].data.ptr;
		out[i].what = (q->evs[i].events & EPOLLIN ? EVQ_IN : 0) |
		    (q->evs[i].events & EPOLLOUT ? EVQ_OUT : 0) |
		    (q->evs[i].events & (EPOLLERR | EPOLLHUP) ? EVQ_ERR : 0);
	}
	return n;
}

#else /* poll(2) */

#include <poll.h>

struct evq {
	struct pollfd	*pfd;
	void		**ptr;
	int		*slot;		/* by descriptor; -1: none */
	int		 n, cap, nslot, next;
};

static inline int
evq_init(struct evq *q)
{
	q->pfd = NULL;
	q->ptr = NULL;
	q->slot = NULL;
	q->n = q->cap = q->nslot = q->next = 0;
	return 0;
}

static inline int
evq_grow(struct evq *q, int fd)
{
	void	*p;
	int	 i, cap;

	if (fd >= q->nslot) {
		cap = fd * 2 + 16;
		if ((p = reallocarray(q->slot, cap, sizeof(int))) == NULL)
			return -1;
		q->slot = p;
		for (i = q->nslot; i < cap; i++)
			q->slot[i] = -1;
		q->nslot = cap;
	}
	if (q->n == q->cap) {
		cap = q->cap * 2 + 16;
		if ((p = reallocarray(q->pfd, cap, sizeof(*q->pfd))) == NULL)
			return -1;
		q->pfd = p;
		if ((p = reallocarray(q->ptr, cap, sizeof(void *))) == NULL)
			return -1;
		q->ptr = p;
		q->cap = cap;
	}
	return 0;
}

static inline int
evq_add(struct evq *q, int fd, void *ptr, int want)
{
	if (evq_grow(q, fd) == -1)
		return -1;
	q->slot[fd] = q->n;
	q->pfd[q->n].fd = fd;
	q->pfd[q->n].events = (want & EVQ_IN ? POLLIN : 0) |
	    (want & EVQ_OUT ? POLLOUT : 0);
	q->ptr[q->n] = ptr;
	q->n++;
	return 0;
}

static inline int
evq_mod(struct evq *q, int fd, void *ptr, int want)
{
	int	 s;

	if (fd >= q->nslot || (s = q->slot[fd]) == -1)
		return -1;
	q->pfd[s].events = (want & EVQ_IN ? POLLIN : 0) |
	    (want & EVQ_OUT ? POLLOUT : 0);
	q->ptr[s] = ptr;
	return 0;
}

static inline void
evq_del(struct evq *q, int fd)
{
	int	 s, last;

	if (fd >= q->nslot || (s = q->slot[fd]) == -1)
		return;
	last = --q->n;
	q->pfd[s] = q->pfd[last];
	q->ptr[s] = q->ptr[last];
	q->slot[q->pfd[s].fd] = s;
	q->slot[fd] = -1;
}

/* Reports from a rotating start, so no descriptor starves. */
static inline int
evq_wait(struct evq *q, struct evq_ev *out, int max, int timeout_ms)
{
	int	 n, i, k, got = 0;
	short	 re;

	if ((n = poll(q->pfd, q->n, timeout_ms)) == -1)
		return errno == EINTR ? 0 : -1;
	for (k = 0; k < q->n && got < n && got < max; k++) {
		i = (q->next + k) % q->n;
		if ((re = q->pfd[i].revents) == 0)
			continue;
		out[got].ptr = q->ptr[i];
		out[got].what = (re & POLLIN ? EVQ_IN : 0) |
		    (re & POLLOUT ? EVQ_OUT : 0) |
		    (re & (POLLERR | POLLHUP | POLLNVAL) ? EVQ_ERR : 0);
		got++;
	}
	if (q->n > 0)
		q->next = (q->next + 1) % q->n;
	return got;
}

#endif

#endif
