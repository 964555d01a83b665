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

#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"

/*
 * The front keeps a network process running: when one dies (a crash,
 * kill -9, the OOM killer), the spawner starts another after a delay
 * that doubles with each one that dies young, from BACKOFF_MIN up to
 * BACKOFF_MAX, and the memory of verdicts is linked to it.  Meanwhile
 * the verdicts in memory are still used, questions wait if the new
 * process comes soon, and are answered defer otherwise (vcache.c).
 */

#define BACKOFF_MIN	500		/* ms */
#define BACKOFF_MAX	60000		/* ms */
#define YOUNG		60		/* s: dying younger doubles the delay */

struct supervisor {
	struct event_base	*base;
	struct vcache		*vc;
	int			 ctl;
	struct event		 ev, timer;
	pid_t			 netpid;
	time_t			 started;
	long			 backoff;	/* ms, for the next death */
	int			 asked;		/* a spawn request is out */
};

static void
sup_ask(int fd, short ev, void *arg)
{
	struct supervisor	*sv = arg;

	(void)fd;
	(void)ev;
	if (spawner_ask(sv->ctl) == -1) {
		log_warnx("cannot ask the spawner for a network process");
		return;
	}
	sv->asked = 1;
}

/* The vcache's link is gone: when the next process comes, in s. */
static long
sup_down(void *arg)
{
	struct supervisor	*sv = arg;
	struct timeval		 tv;
	long			 delay;

	if (sv->ctl == -1)
		return 0;
	if (time(NULL) - sv->started >= YOUNG)
		sv->backoff = BACKOFF_MIN;
	delay = sv->backoff;
	if ((sv->backoff *= 2) > BACKOFF_MAX)
		sv->backoff = BACKOFF_MAX;
	log_warnx("the network process is gone: another in %ld.%03ld s",
	    delay / 1000, delay % 1000);
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(&sv->timer, &tv);
	return (delay + 999) / 1000;
}

static void
sup_new(struct supervisor *sv, pid_t pid, int fd)
{
	sv->asked = 0;
	if (vcache_relink(sv->vc, fd) == -1) {
		close(fd);
		log_warnx("cannot link to network process %ld", (long)pid);
		return;
	}
	sv->netpid = pid;
	sv->started = time(NULL);
	log_info("network process %ld started", (long)pid);
}

static void
sup_msg(int fd, short ev, void *arg)
{
	struct supervisor	*sv = arg;
	char			 type;
	pid_t			 pid;
	int			 a, nfd;

	(void)fd;
	(void)ev;
	if (spawner_recv(sv->ctl, &type, &pid, &a, &nfd) == -1) {
		log_warnx("the spawner is gone: a network process that dies "
		    "is not replaced");
		event_del(&sv->ev);
		close(sv->ctl);
		sv->ctl = -1;
		return;
	}
	switch (type) {
	case 'N':
		if (nfd != -1)
			sup_new(sv, pid, nfd);
		break;
	case 'E':
		log_exit("network process", pid, a);
		break;
	case 'F':
		log_warnx("the spawner cannot start a network process: %s",
		    strerror(a));
		sv->asked = 0;
		(void)sup_down(sv);
		break;
	default:
		if (nfd != -1)
			close(nfd);
		break;
	}
}

/*
 * From now on, on the loop: ctl is the link to the spawner, netpid the
 * network process it started first, whose link vc has.
 */
struct supervisor *
supervise(struct event_base *base, int ctl, pid_t netpid, struct vcache *vc)
{
	struct supervisor	*sv;

	if ((sv = calloc(1, sizeof(*sv))) == NULL)
		return NULL;
	sv->base = base;
	sv->vc = vc;
	sv->ctl = ctl;
	sv->netpid = netpid;
	sv->started = time(NULL);
	sv->backoff = BACKOFF_MIN;
	evtimer_assign(&sv->timer, base, sup_ask, sv);
	event_assign(&sv->ev, base, ctl, EV_READ | EV_PERSIST, sup_msg, sv);
	event_add(&sv->ev, NULL);
	vcache_on_down(vc, sup_down, sv);
	return sv;
}
