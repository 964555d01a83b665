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
 * The policy fetch (RFC 8461 3.3) against a hostile host on 127.0.0.1:
 * a response sent a byte per TLS record is still fetched, and the time
 * limit holds while data keeps coming, whatever the order in which the
 * loop runs its callbacks.  The fetch runs on its own libevent loop,
 * bounded by a guard timer far above any expected time.
 */

#include <sys/socket.h>
#include <sys/time.h>

#include <event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mtasts.h"
#include "regress.h"
#include "tlsserv.h"

#define GUARD_SECS	30	/* no test may take this long */
#define LATE_MS		100	/* past the deadline, for the late loop */

enum hold {
	HOLD_NONE,
	HOLD_SENT,	/* the loop waits until all is sent */
	HOLD_LATE	/* and until the deadline has passed */
};

struct run {
	struct event_base	*base;
	struct tlsserv		 srv;
	int			 timeout;
	enum hold		 hold;
	struct event		 ctl_ev, tick_ev, guard_ev;
	double			 t0, elapsed;
	int			 done, ok, guard;
	unsigned		 ticks;
	char			 err[STS_ERR_MAX];
	char			*body;
	size_t			 len;
};

static struct tlsserv_pki	 pki;

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
fetched(void *arg, const struct fetch_result *res)
{
	struct run	*run = arg;

	run->done = 1;
	run->elapsed = now() - run->t0;
	run->ok = res->ok;
	(void)snprintf(run->err, sizeof(run->err), "%s", res->err);
	if (res->ok && (run->body = malloc(res->len + 1)) != NULL) {
		memcpy(run->body, res->body, res->len);
		run->len = res->len;
	}
	event_base_loopbreak(run->base);
}

static void
guard(int fd, short ev, void *arg)
{
	struct run	*run = arg;

	(void)fd;
	(void)ev;
	run->guard = 1;
	event_base_loopbreak(run->base);
}

/* One turn of the loop: each one the fetch lets it have. */
static void
tick(int fd, short ev, void *arg)
{
	struct run	*run = arg;
	struct timeval	 zero = { 0, 0 };

	(void)fd;
	(void)ev;
	run->ticks++;
	evtimer_add(&run->tick_ev, &zero);
}

/* Wait for the server's byte c, up to the guard time. */
static int
await(struct run *run, char c)
{
	struct pollfd	 pfd = { run->srv.ctl, POLLIN, 0 };
	char		 b;

	while (poll(&pfd, 1, GUARD_SECS * 1000) == 1) {
		if (read(run->srv.ctl, &b, 1) != 1)
			return -1;
		if (b == c)
			return 0;
	}
	return -1;
}

/*
 * The server has the request, so the fetch waits for the answer.  The
 * loop is held here while the whole answer goes into the socket, and
 * for HOLD_LATE until the time limit has passed: a loop that was busy
 * elsewhere.  Then the loop runs the read and the clock ticker.
 */
static void
control(int fd, short ev, void *arg)
{
	struct run	*run = arg;
	struct timeval	 zero = { 0, 0 };
	double		 until;
	char		 b;

	(void)ev;
	if (read(fd, &b, 1) != 1 || b != 'R') {
		event_del(&run->ctl_ev);
		return;
	}
	event_del(&run->ctl_ev);
	until = now() + run->timeout + LATE_MS / 1000.0;
	if (write(fd, "g", 1) != 1 || await(run, 'S') == -1) {
		regress_diag("the server did not send its answer");
		return;
	}
	while (run->hold == HOLD_LATE && now() < until)
		(void)poll(NULL, 0, (int)((until - now()) * 1000) + 1);
	evtimer_add(&run->tick_ev, &zero);
}

static int
run_fetch(struct run *run, const struct tlsserv_script *sc, int timeout,
    enum hold hold)
{
	struct fetcher	*fr;
	struct timeval	 tv = { GUARD_SECS, 0 };
	char		 err[STS_ERR_MAX];
	struct tlsserv_script s = *sc;

	memset(run, 0, sizeof(*run));
	run->timeout = timeout;
	run->hold = hold;
	s.hold = hold != HOLD_NONE;
	if ((run->base = event_base_new()) == NULL)
		abort();
	if ((fr = fetcher_new(run->base, pki.cert, timeout, 1, err,
	    sizeof(err))) == NULL) {
		regress_diag("fetcher_new: %s", err);
		event_base_free(run->base);
		return -1;
	}
	if (tlsserv_start(&run->srv, &pki, &s) == -1) {
		regress_diag("cannot start the TLS server");
		fetcher_free(fr);
		event_base_free(run->base);
		return -1;
	}
	evtimer_set(&run->guard_ev, guard, run);
	event_base_set(run->base, &run->guard_ev);
	evtimer_add(&run->guard_ev, &tv);
	evtimer_set(&run->tick_ev, tick, run);
	event_base_set(run->base, &run->tick_ev);
	event_set(&run->ctl_ev, run->srv.ctl, EV_READ | EV_PERSIST, control,
	    run);
	event_base_set(run->base, &run->ctl_ev);
	if (hold != HOLD_NONE)
		event_add(&run->ctl_ev, NULL);
	run->t0 = now();
	if (fetch_start(fr, TLSSERV_HOST, &run->srv.addr, 1, fetched,
	    run) == NULL)
		abort();
	event_base_dispatch(run->base);
	if (run->guard)
		regress_diag("no answer within %d s", GUARD_SECS);
	fetcher_free(fr);		/* cancels a fetch left running */
	event_del(&run->guard_ev);
	event_del(&run->tick_ev);
	event_del(&run->ctl_ev);
	event_base_free(run->base);
	tlsserv_stop(&run->srv);
	return run->done ? 0 : -1;
}

static void
run_free(struct run *run)
{
	free(run->body);
	run->body = NULL;
}

/* A policy of about 4 KiB: many mx lines. */
static size_t
policy(char *b, size_t sz)
{
	size_t	 len;
	int	 i;

	len = snprintf(b, sz, "version: STSv1\r\nmode: enforce\r\n"
	    "max_age: 604800\r\n");
	for (i = 0; len + 64 < sz; i++)
		len += snprintf(b + len, sz - len, "mx: mx%d.example.net\r\n",
		    i);
	return len;
}

static int
body_is(const struct run *run, const char *body, size_t len)
{
	if (!run->ok) {
		regress_diag("fetch failed: %s", run->err);
		return 0;
	}
	if (run->body == NULL || run->len != len ||
	    memcmp(run->body, body, len) != 0) {
		regress_diag("body of %zu bytes, want %zu", run->len, len);
		return 0;
	}
	return 1;
}

static int
timed_out(const struct run *run, int timeout)
{
	char	 want[64];

	(void)snprintf(want, sizeof(want), "no complete answer within %d s",
	    timeout);
	if (run->ok || strstr(run->err, want) == NULL) {
		regress_diag("ok %d, error \"%s\", want \"%s\"", run->ok,
		    run->err, want);
		return 0;
	}
	return 1;
}

/* (a) A policy a byte per TLS record, framed by length or chunked. */
static void
test_bytewise(void)
{
	struct tlsserv_script	 sc;
	struct run		 run;
	char			 body[4096], resp[2 * 4096 + 512], *p;
	size_t			 blen, off, n;
	int			 ok;

	blen = policy(body, sizeof(body));
	memset(&sc, 0, sizeof(sc));
	sc.resp = resp;
	sc.unit = 1;
	sc.len = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", blen);
	memcpy(resp + sc.len, body, blen);
	sc.len += blen;
	ok = run_fetch(&run, &sc, GUARD_SECS, HOLD_NONE) == 0 &&
	    body_is(&run, body, blen);
	regress_check(ok, "fetch: a policy sent a byte per TLS record, with "
	    "Content-Length, is fetched whole");
	run_free(&run);

	p = resp + sprintf(resp, "HTTP/1.1 200 OK\r\nContent-Type: text/plain"
	    "\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (off = 0; off < blen; off += n) {
		n = blen - off < 7 ? blen - off : 7;
		p += sprintf(p, "%zx\r\n", n);
		memcpy(p, body + off, n);
		p += n;
		p += sprintf(p, "\r\n");
	}
	p += sprintf(p, "0\r\n\r\n");
	sc.len = p - resp;
	ok = run_fetch(&run, &sc, GUARD_SECS, HOLD_NONE) == 0 &&
	    body_is(&run, body, blen);
	regress_check(ok, "fetch: a policy sent a byte per TLS record, "
	    "chunked, is fetched whole");
	run_free(&run);
}

/* (b) The header section never ends; a byte comes every 2 ms. */
static void
test_dribble(void)
{
	static const char	 head[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\nX-Dribble: ";
	struct tlsserv_script	 sc;
	struct run		 run;
	const int		 timeout = 1;
	const double		 margin = 1.5;
	const double		 early = 0.1;	/* libevent's coarse clock */
	int			 ok;

	memset(&sc, 0, sizeof(sc));
	sc.resp = head;
	sc.len = sizeof(head) - 1;
	sc.unit = 1;
	sc.dribble_ms = 2;
	ok = run_fetch(&run, &sc, timeout, HOLD_NONE) == 0 &&
	    timed_out(&run, timeout);
	if (ok && (run.elapsed < timeout - early ||
	    run.elapsed > timeout + margin)) {
		regress_diag("failed after %.2f s, limit %d s", run.elapsed,
		    timeout);
		ok = 0;
	}
	regress_check(ok, "fetch: a server sending a header byte every 2 ms "
	    "is cut off at the time limit");
	run_free(&run);
}

/*
 * A chunked answer in 1-byte chunks, one TLS record each, as fast as
 * the socket takes them, past HTTP_RAW_MAX: parsing it again on each
 * read took minutes of CPU, during which the timer could not run.  It
 * must end, one way or the other, within the time limit.
 */
static void
test_flood(void)
{
	static const char	 head[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
	static const char	 chunk[] = "1\r\na\r\n";
	struct tlsserv_script	 sc;
	struct run		 run;
	char			*resp;
	const int		 timeout = 2;
	const double		 margin = 1.5;
	size_t			 len;
	int			 ok;

	if ((resp = malloc(HTTP_RAW_MAX + 4096)) == NULL)
		abort();
	memcpy(resp, head, sizeof(head) - 1);
	for (len = sizeof(head) - 1; len < HTTP_RAW_MAX + 4096 - 6; len += 6)
		memcpy(resp + len, chunk, 6);
	memset(&sc, 0, sizeof(sc));
	sc.resp = resp;
	sc.len = len;
	sc.unit = 6;
	ok = run_fetch(&run, &sc, timeout, HOLD_NONE) == 0;
	if (ok && (run.ok || run.elapsed > timeout + margin)) {
		regress_diag("ok %d (%s) after %.2f s, limit %d s", run.ok,
		    run.err, run.elapsed, timeout);
		ok = 0;
	}
	regress_diag("flood: %s after %.2f s", run.err, run.elapsed);
	regress_check(ok, "fetch: a chunked answer a 1-byte chunk per TLS "
	    "record ends within the time limit");
	run_free(&run);
	free(resp);
}

/*
 * The whole answer is in the socket, but the loop comes to it after
 * the deadline: the fetch has timed out, though the loop may run the
 * read before the timer.
 */
static void
test_late(void)
{
	static const char	 resp[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 14\r\n\r\n"
	    "version: STSv1";
	struct tlsserv_script	 sc;
	struct run		 run;
	const int		 timeout = 1;
	int			 ok;

	memset(&sc, 0, sizeof(sc));
	sc.resp = resp;
	sc.len = sizeof(resp) - 1;
	ok = run_fetch(&run, &sc, timeout, HOLD_LATE) == 0 &&
	    timed_out(&run, timeout);
	regress_check(ok, "fetch: an answer that is read after the time "
	    "limit is a timeout, whichever callback runs first");
	run_free(&run);
}

/*
 * The whole answer, a byte per TLS record, is in the socket before the
 * fetch reads it: the read goes back to the loop now and then rather
 * than loop on while the data lasts.
 */
static void
test_turns(void)
{
	struct tlsserv_script	 sc;
	struct run		 run;
	char			 body[2048], resp[2048 + 256];
	size_t			 blen;
	int			 ok;

	blen = policy(body, sizeof(body));
	memset(&sc, 0, sizeof(sc));
	sc.resp = resp;
	sc.unit = 1;
	sc.len = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", blen);
	memcpy(resp + sc.len, body, blen);
	sc.len += blen;
	ok = run_fetch(&run, &sc, GUARD_SECS, HOLD_SENT) == 0 &&
	    body_is(&run, body, blen);
	if (ok && run.ticks < 10) {
		regress_diag("%u turns of the loop for %zu records",
		    run.ticks, sc.len);
		ok = 0;
	}
	regress_diag("turns: %u", run.ticks);
	regress_check(ok, "fetch: a response already in the socket is read "
	    "with turns for the loop in between");
	run_free(&run);
}

int
main(void)
{
	if (tlsserv_pki(&pki) == -1) {
		printf("skip - fetch: openssl(1) cannot make a certificate\n");
		return 0;
	}
	test_bytewise();
	test_dribble();
	test_flood();
	test_late();
	test_turns();
	tlsserv_pki_remove(&pki);
	return regress_exit();
}
