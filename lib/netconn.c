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
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include "mtasts.h"

/*
 * What the policy fetch (fetch.c) and the SMTP client (smtp_conn.c)
 * share of their connections: a time limit on the monotonic clock,
 * looked at as the work goes on so that a peer sending without pause
 * cannot outrun the timer, and connects that never block.
 */

/* secs from now; when the clock fails, the caller's timer alone holds. */
void
deadline_set(struct timespec *d, int secs)
{
	if (clock_gettime(CLOCK_MONOTONIC, d) == 0)
		d->tv_sec += secs;
	else
		d->tv_sec = INT_MAX;
}

int
deadline_passed(const struct timespec *d)
{
	struct timespec	 now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return 0;
	return now.tv_sec > d->tv_sec ||
	    (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}

/*
 * A non-blocking TCP connect to ss: the socket, its outcome to come as
 * EV_WRITE (see tcp_connect_error()), or -1 and errno.
 */
int
tcp_connect(const struct sockaddr_storage *ss)
{
	socklen_t	 sl;
	int		 fd, e;

	sl = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if ((fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)ss, sl) == 0 ||
	    errno == EINPROGRESS)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* Once writable: 0 when connected, else why not (an errno). */
int
tcp_connect_error(int fd)
{
	int		 soerr = 0;
	socklen_t	 len = sizeof(soerr);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		return errno;
	return soerr;
}
