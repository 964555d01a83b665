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
 * The SMTP side of the verification, without TLS: the reply parser
 * (RFC 5321 4.2) and EHLO keywords, then smtp_conn.c and verify_start()
 * against scripted servers on 127.0.0.1, each a child process: time
 * limits that hold against silent and dribbling servers, bounded
 * replies, STARTTLS not offered, refused, or followed by injected
 * bytes, the opportunistic session handed over and used for MAIL,
 * pipelined RCPTs and DATA.  TLS itself is regress/verify.sh's.
 */

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mtasts.h"
#include "regress.h"

#define GUARD_SECS	20	/* no case may take this long */
#define STEP		1	/* the verifier's time limit per step, s */
#define TICK_MS		20	/* the loop's ticker */

/* ------------------------------------------------------ the parser */

static int
feed(struct smtp_reply *r, const char *text, char *err, size_t errsz)
{
	const char	*l = text, *nl;
	int		 st = SMTP_MORE;

	smtp_reply_init(r);
	while (*l != '\0' && (nl = strchr(l, '\n')) != NULL) {
		st = smtp_reply_line(r, l, nl - l, err, errsz);
		if (st != SMTP_MORE)
			break;
		l = nl + 1;
	}
	return st;
}

static void
test_parser(void)
{
	struct smtp_reply	 r;
	struct smtp_ehlo	 e;
	char			 err[STS_ERR_MAX], big[20000];
	size_t			 i, n;
	int			 st;

	st = feed(&r, "250 ok\r\n", err, sizeof(err));
	regress_check(st == SMTP_DONE && r.code == 250 && r.nlines == 1 &&
	    strcmp(r.text, "ok") == 0, "reply: one line, CRLF");
	st = feed(&r, "220-first\r\n220-\r\n220 last\n", err, sizeof(err));
	regress_check(st == SMTP_DONE && r.code == 220 && r.nlines == 3 &&
	    strcmp(r.text, "first\n\nlast") == 0, "reply: three lines, an "
	    "empty one, a bare LF at the end");
	st = feed(&r, "354\r\n", err, sizeof(err));
	regress_check(st == SMTP_DONE && r.code == 354 && r.text[0] == '\0',
	    "reply: the code alone");
	st = feed(&r, "250-more\r\n", err, sizeof(err));
	regress_check(st == SMTP_MORE && !r.done, "reply: a continuation "
	    "line wants more");
	st = feed(&r, "250 a\tb\x01\xff\r\n", err, sizeof(err));
	regress_check(st == SMTP_DONE && strcmp(r.text, "a?b??") == 0,
	    "reply: text outside printable ASCII is replaced");
	st = feed(&r, "25 short\r\n", err, sizeof(err));
	regress_check(st == SMTP_ERROR, "reply: two digits: error");
	st = feed(&r, "199 x\r\n", err, sizeof(err));
	regress_check(st == SMTP_ERROR, "RFC 5321 4.2 reply code 199: error");
	st = feed(&r, "600 x\r\n", err, sizeof(err));
	regress_check(st == SMTP_ERROR, "RFC 5321 4.2 reply code 600: error");
	st = feed(&r, "260 x\r\n", err, sizeof(err));
	regress_check(st == SMTP_ERROR, "RFC 5321 4.2 second digit 6: error");
	st = feed(&r, "250x\r\n", err, sizeof(err));
	regress_check(st == SMTP_ERROR && strstr(err, "malformed") != NULL,
	    "reply: no separator after the code: error (%s)", err);
	st = feed(&r, "250-a\r\n251 b\r\n", err, sizeof(err));
	regress_check(st == SMTP_ERROR, "reply: lines with different codes: "
	    "error");
	regress_check(smtp_reply_line(&r, "250 x", 5, err, sizeof(err)) ==
	    SMTP_ERROR, "reply: nothing after an error");
	st = feed(&r, "250 ok\r\n", err, sizeof(err));
	regress_check(smtp_reply_line(&r, "250 again", 9, err, sizeof(err)) ==
	    SMTP_ERROR, "reply: no line after the last one");

	memset(big, 'x', sizeof(big));
	memcpy(big, "250 ", 4);
	smtp_reply_init(&r);
	st = smtp_reply_line(&r, big, SMTP_LINE_MAX - 2, err, sizeof(err));
	regress_check(st == SMTP_DONE, "reply: a line of %d bytes with CRLF "
	    "is taken", SMTP_LINE_MAX);
	smtp_reply_init(&r);
	st = smtp_reply_line(&r, big, SMTP_LINE_MAX - 1, err, sizeof(err));
	regress_check(st == SMTP_ERROR, "reply: one byte longer: error");

	for (n = 0, i = 0; i < SMTP_REPLY_LINES - 1; i++)
		n += snprintf(big + n, sizeof(big) - n, "250-line %zu\n", i);
	(void)snprintf(big + n, sizeof(big) - n, "250 last\n");
	st = feed(&r, big, err, sizeof(err));
	regress_check(st == SMTP_DONE && r.nlines == SMTP_REPLY_LINES,
	    "reply: %d lines are taken", SMTP_REPLY_LINES);
	(void)snprintf(big + n, sizeof(big) - n, "250-line\n250 last\n");
	st = feed(&r, big, err, sizeof(err));
	regress_check(st == SMTP_ERROR, "reply: one more line: error");

	for (n = 0, i = 0; i < 20; i++)
		n += snprintf(big + n, sizeof(big) - n, "250-%0900zu\n", i);
	(void)snprintf(big + n, sizeof(big) - n, "250 last\n");
	st = feed(&r, big, err, sizeof(err));
	regress_check(st == SMTP_DONE && r.truncated &&
	    r.len == sizeof(r.text) - 1 && strlen(r.text) == r.len,
	    "reply: the text kept is cut at %d bytes", SMTP_REPLY_MAX);

	feed(&r, "250-mx.example.test hello\r\n250-PIPELINING\r\n"
	    "250-SIZE 10240000\r\n250-starttls\r\n250-8BITMIME\r\n"
	    "250-X-STARTTLS\r\n250 SMTPUTF8\r\n", err, sizeof(err));
	smtp_ehlo_parse(&r, &e);
	regress_check(e.ext == (SMTP_EXT_PIPELINING | SMTP_EXT_SIZE |
	    SMTP_EXT_STARTTLS | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8) &&
	    e.size == 10240000 && strcmp(e.name, "mx.example.test") == 0,
	    "EHLO: keywords in any case, SIZE, the server's name");
	feed(&r, "250-mx\r\n250-SIZE 12x\r\n250 STARTTLSX\r\n", err,
	    sizeof(err));
	smtp_ehlo_parse(&r, &e);
	regress_check(e.ext == SMTP_EXT_SIZE && e.size == 0, "EHLO: SIZE "
	    "with junk says no limit; STARTTLSX is not STARTTLS");
	feed(&r, "250 mx.example.test\r\n", err, sizeof(err));
	smtp_ehlo_parse(&r, &e);
	regress_check(e.ext == 0 && strcmp(e.name, "mx.example.test") == 0,
	    "EHLO: a one-line reply offers nothing");
}

/* ------------------------------------------------- scripted servers */

struct step {
	/* Send, Dribble, Read a line, Wait, Close, End (wait for EOF) */
	char		 op;
	const char	*data;
	int		 ms;
};

struct server {
	pid_t			 pid;
	struct sockaddr_storage	 addr;
};

static void
msleep(int ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
readline(int fd)
{
	char	 c;
	ssize_t	 n;

	while ((n = read(fd, &c, 1)) == 1)
		if (c == '\n')
			return 0;
	return -1;
}

static void
play(int fd, const struct step *s)
{
	char	 buf[256];
	size_t	 i;

	for (; s->op != 'E'; s++) {
		switch (s->op) {
		case 'S':
			if (write(fd, s->data, strlen(s->data)) == -1)
				_exit(1);
			break;
		case 'D':
			for (i = 0; s->data[i] != '\0'; i++) {
				if (write(fd, s->data + i, 1) == -1)
					_exit(0);
				msleep(s->ms);
			}
			break;
		case 'R':
			if (readline(fd) == -1)
				_exit(0);
			break;
		case 'W':
			msleep(s->ms);
			break;
		case 'C':
			_exit(0);
		}
	}
	/* until the client goes */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

static int
listener_backlog(struct sockaddr_storage *ss, int backlog)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	socklen_t		 sl = sizeof(*sin);
	int			 fd;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)sin, sl) == -1 ||
	    getsockname(fd, (struct sockaddr *)sin, &sl) == -1 ||
	    listen(fd, backlog) == -1) {
		perror("listener");
		exit(1);
	}
	return fd;
}

static int
listener(struct sockaddr_storage *ss)
{
	return listener_backlog(ss, 1);
}

/*
 * An address that never answers: a listen queue filled and never
 * accepted from, so that further SYNs go unanswered.  Returns the
 * listening socket; the fillers go in fill[].
 */
static int
blackhole(struct sockaddr_storage *ss, int *fill, size_t nfill)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	int			 lfd;
	size_t			 i;

	lfd = listener_backlog(ss, 0);
	for (i = 0; i < nfill; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		(void)connect(fill[i], (struct sockaddr *)sin, sizeof(*sin));
	}
	poll(NULL, 0, 200);	/* the handshakes the queue takes */
	return lfd;
}

static void
server_start(struct server *srv, const struct step *script)
{
	int	 lfd, fd;

	lfd = listener(&srv->addr);
	if ((srv->pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (srv->pid == 0) {
		alarm(GUARD_SECS);
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			_exit(1);
		close(lfd);
		play(fd, script);
	}
	close(lfd);
}

static void
server_stop(struct server *srv)
{
	kill(srv->pid, SIGKILL);
	(void)waitpid(srv->pid, NULL, 0);
}

/* An address where nothing listens: bound, then closed. */
static void
refused(struct sockaddr_storage *ss)
{
	close(listener(ss));
}

/* ------------------------------------------------- verify_start() */

struct run {
	struct event_base	*base;
	struct verifier		*vr;
	struct event		 guard, tick;
	unsigned		 ticks;
	struct timespec		 t0;
	double			 elapsed;
	int			 done;
	struct verify_result	 res;
	struct smtp_conn	*c;
	struct smtp_reply	 rep;
	int			 have_rep;
	size_t			 pending;
};

static double
since(const struct timespec *t0)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
on_guard(int fd, short ev, void *arg)
{
	struct run	*run = arg;

	(void)fd;
	(void)ev;
	regress_diag("guard timer: the loop still ran after %d s",
	    GUARD_SECS);
	event_base_loopbreak(run->base);
}

/* A timer the loop must keep running while a verification waits. */
static void
on_tick(int fd, short ev, void *arg)
{
	struct run	*run = arg;
	struct timeval	 tv = { 0, TICK_MS * 1000 };

	(void)fd;
	(void)ev;
	run->ticks++;
	evtimer_add(&run->tick, &tv);
}

/* The loop ran the ticker all along: nothing blocked it. */
static int
loop_free(const struct run *run)
{
	unsigned	 want = run->elapsed * 1000 / TICK_MS / 2;

	if (run->ticks >= want)
		return 1;
	regress_diag("%u ticks of %d ms in %.2f s", run->ticks, TICK_MS,
	    run->elapsed);
	return 0;
}

static void
verified(void *arg, const struct verify_result *res, struct smtp_conn *c)
{
	struct run	*run = arg;

	run->done = 1;
	run->elapsed = since(&run->t0);
	run->res = *res;
	run->c = c;
	event_base_loopbreak(run->base);
}

static void
run_verify(struct run *run, const struct sockaddr_storage *addrs,
    size_t n, enum verify_mode mode)
{
	struct verify_req	 req;
	struct timeval		 tv = { GUARD_SECS, 0 };
	struct timeval		 tick = { 0, TICK_MS * 1000 };

	memset(&req, 0, sizeof(req));
	req.host = "mx.smtp.test";
	req.addrs = addrs;
	req.naddrs = n;
	req.mode = mode;
	run->done = 0;
	run->c = NULL;
	clock_gettime(CLOCK_MONOTONIC, &run->t0);
	if (verify_start(run->vr, &req, verified, run) == NULL) {
		regress_diag("verify_start failed");
		return;
	}
	evtimer_set(&run->guard, on_guard, run);
	event_base_set(run->base, &run->guard);
	evtimer_add(&run->guard, &tv);
	run->ticks = 0;
	evtimer_set(&run->tick, on_tick, run);
	event_base_set(run->base, &run->tick);
	evtimer_add(&run->tick, &tick);
	event_base_dispatch(run->base);
	evtimer_del(&run->guard);
	evtimer_del(&run->tick);
}

static int
result_is(const struct run *run, enum tlsrpt_result want, const char *words)
{
	int	 ok = run->done && run->res.result == want &&
	    (words == NULL || strstr(run->res.reason, words) != NULL);

	if (!ok)
		regress_diag("got %s: %s (%.1f s)", run->done ?
		    tlsrpt_result_name(run->res.result) : "nothing",
		    run->res.reason, run->elapsed);
	return ok;
}

static const struct step greet_no_tls[] = {
	{ 'S', "220-mx.smtp.test ESMTP\r\n220 second line\r\n", 0 },
	{ 'R', NULL, 0 },
	{ 'S', "250-mx.smtp.test hello\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
	    0 },
	{ 'E', NULL, 0 }
};

static const struct step greet_refuse[] = {
	{ 'S', "220 mx.smtp.test ESMTP\r\n", 0 },
	{ 'R', NULL, 0 },
	{ 'S', "250-mx.smtp.test\r\n250 STARTTLS\r\n", 0 },
	{ 'R', NULL, 0 },
	{ 'S', "454 4.7.0 TLS not available\r\n", 0 },
	{ 'E', NULL, 0 }
};

static const struct step greet_inject[] = {
	{ 'S', "220 mx.smtp.test ESMTP\r\n", 0 },
	{ 'R', NULL, 0 },
	{ 'S', "250-mx.smtp.test\r\n250 STARTTLS\r\n", 0 },
	{ 'R', NULL, 0 },
	{ 'S', "220 go ahead\r\n250 injected\r\n", 0 },
	{ 'E', NULL, 0 }
};

static const struct step silent[] = {
	{ 'W', NULL, 5000 },
	{ 'E', NULL, 0 }
};

/* 40 bytes, one each 100 ms: 4 s for a greeting, the limit is 1 s. */
static const struct step dribble[] = {
	{ 'D', "220 mx.smtp.test a slow, slow greeting\r\n", 100 },
	{ 'E', NULL, 0 }
};

static const struct step greet_554[] = {
	{ 'S', "554 5.3.2 no service for you\r\n", 0 },
	{ 'E', NULL, 0 }
};

static const struct step ehlo_500[] = {
	{ 'S', "220 mx.smtp.test ESMTP\r\n", 0 },
	{ 'R', NULL, 0 },
	{ 'S', "500 5.5.1 what is EHLO\r\n", 0 },
	{ 'E', NULL, 0 }
};

static const struct step cut[] = {
	{ 'S', "220-mx.smtp.test ESMTP\r\n220-and then", 0 },
	{ 'C', NULL, 0 }
};

static char	 long_line[3000], many_lines[20000];

static const struct step overlong[] = {
	{ 'S', long_line, 0 },
	{ 'E', NULL, 0 }
};

static const struct step too_many[] = {
	{ 'S', many_lines, 0 },
	{ 'E', NULL, 0 }
};

/* The session after verification: MAIL, two pipelined RCPTs, DATA. */
static const struct step session[] = {
	{ 'S', "220 mx.smtp.test ESMTP\r\n", 0 },
	{ 'R', NULL, 0 },
	{ 'S', "250-mx.smtp.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", 0 },
	{ 'R', NULL, 0 },
	{ 'S', "250 2.1.0 sender ok\r\n", 0 },
	{ 'R', NULL, 0 },
	{ 'R', NULL, 0 },
	{ 'S', "250 2.1.5 one\r\n550 5.1.1 two\r\n", 0 },
	{ 'R', NULL, 0 },
	{ 'S', "354 go\r\n", 0 },
	{ 'R', NULL, 0 },
	{ 'R', NULL, 0 },
	{ 'S', "250 2.0.0 queued\r\n", 0 },
	{ 'E', NULL, 0 }
};

static void
got_reply(void *arg, struct smtp_conn *c, const struct smtp_reply *rep)
{
	struct run	*run = arg;

	run->have_rep = rep != NULL;
	if (rep != NULL)
		run->rep = *rep;
	run->pending = smtp_conn_pending(c);
	event_base_loopbreak(run->base);
}

static int
ask(struct run *run, const char *cmd)
{
	struct timeval	 tv = { GUARD_SECS, 0 };

	if ((cmd != NULL && smtp_conn_command(run->c, cmd) == -1) ||
	    smtp_conn_reply(run->c, STEP, got_reply, run) == -1)
		return -1;
	run->have_rep = 0;
	evtimer_add(&run->guard, &tv);
	event_base_dispatch(run->base);
	evtimer_del(&run->guard);
	return run->have_rep ? run->rep.code : -1;
}

static void
test_session(struct run *run)
{
	struct server	 srv;
	int		 a, b;

	server_start(&srv, session);
	run_verify(run, &srv.addr, 1, VERIFY_OPPORTUNISTIC);
	regress_check(result_is(run, TLSRPT_OK, "in the clear") &&
	    run->c != NULL && smtp_conn_tls(run->c) == NULL,
	    "opportunistic, STARTTLS not offered: the plain session is "
	    "handed over");
	if (run->c == NULL) {
		server_stop(&srv);
		return;
	}
	regress_check((smtp_conn_ehlo(run->c)->ext & SMTP_EXT_PIPELINING) &&
	    smtp_conn_ehlo(run->c)->size == 1000, "the handed session knows "
	    "the server's EHLO keywords");
	regress_check(smtp_conn_command(run->c, "MAIL FROM:<a@b>\r\nRSET") ==
	    -1, "a command with CR LF inside is refused");
	regress_check(ask(run, "MAIL FROM:<a@b.test>") == 250, "session: "
	    "MAIL FROM answered 250");
	smtp_conn_command(run->c, "RCPT TO:<one@smtp.test>");
	smtp_conn_command(run->c, "RCPT TO:<two@smtp.test>");
	a = ask(run, NULL);
	regress_check(a == 250 && run->pending > 0, "session: pipelined "
	    "RCPTs, the first reply read, the second one kept (%zu bytes)",
	    run->pending);
	b = ask(run, NULL);
	regress_check(b == 550 && run->pending == 0, "session: the second "
	    "reply comes from what was kept");
	regress_check(ask(run, "DATA") == 354, "session: DATA answered 354");
	smtp_conn_write(run->c, "Subject: x\r\n\r\n..dot\r\n", 21);
	regress_check(ask(run, ".") == 250 && strstr(run->rep.text, "queued"),
	    "session: the message sent, 250");
	smtp_conn_free(run->c);
	server_stop(&srv);
}

static void
test_verify(struct run *run)
{
	struct server		 srv;
	struct sockaddr_storage	 two[2];
	size_t			 i, n;
	int			 fill[3], lfd;

	server_start(&srv, greet_no_tls);
	run_verify(run, &srv.addr, 1, VERIFY_STS);
	regress_check(result_is(run, TLSRPT_STARTTLS_NOT_SUPPORTED,
	    "not offered") && run->c == NULL && !run->res.starttls,
	    "RFC 8461 4.2 STARTTLS not offered to an STS host: "
	    "starttls-not-supported, no session");
	server_stop(&srv);

	server_start(&srv, greet_no_tls);
	run_verify(run, &srv.addr, 1, VERIFY_DANE);
	regress_check(result_is(run, TLSRPT_STARTTLS_NOT_SUPPORTED, NULL),
	    "RFC 7672 2.2 STARTTLS not offered to a DANE host: "
	    "starttls-not-supported");
	server_stop(&srv);

	server_start(&srv, greet_no_tls);
	run_verify(run, &srv.addr, 1, VERIFY_TLS);
	regress_check(result_is(run, TLSRPT_STARTTLS_NOT_SUPPORTED, NULL),
	    "RFC 7672 2.2 unusable TLSA only (TLS required), STARTTLS not "
	    "offered: starttls-not-supported");
	server_stop(&srv);

	server_start(&srv, greet_refuse);
	run_verify(run, &srv.addr, 1, VERIFY_STS);
	regress_check(result_is(run, TLSRPT_STARTTLS_NOT_SUPPORTED, "454") &&
	    run->res.starttls, "STARTTLS offered, then refused with 454: "
	    "starttls-not-supported");
	server_stop(&srv);

	server_start(&srv, greet_inject);
	run_verify(run, &srv.addr, 1, VERIFY_DANE);
	regress_check(result_is(run, TLSRPT_VALIDATION_FAILURE,
	    "in the clear"), "bytes after the reply to STARTTLS (reply "
	    "injection): the connection fails before TLS");
	server_stop(&srv);

	server_start(&srv, silent);
	run_verify(run, &srv.addr, 1, VERIFY_STS);
	regress_check(result_is(run, TLSRPT_TEMPORARY, "within 1 s") &&
	    run->elapsed >= STEP - 0.1 && run->elapsed < STEP + 1.5,
	    "a silent server: the greeting's time limit (%.2f s)",
	    run->elapsed);
	regress_check(loop_free(run), "a silent server: the loop ran other "
	    "events all the while (%u ticks)", run->ticks);
	server_stop(&srv);

	server_start(&srv, dribble);
	run_verify(run, &srv.addr, 1, VERIFY_STS);
	regress_check(result_is(run, TLSRPT_TEMPORARY, "within 1 s") &&
	    run->elapsed < STEP + 1.5, "a greeting a byte per 100 ms: the "
	    "limit holds while bytes come (%.2f s)", run->elapsed);
	regress_check(loop_free(run), "a dribbling server: the loop ran other "
	    "events all the while (%u ticks)", run->ticks);
	server_stop(&srv);

	server_start(&srv, greet_554);
	run_verify(run, &srv.addr, 1, VERIFY_STS);
	regress_check(result_is(run, TLSRPT_TEMPORARY, "554"), "a 554 "
	    "greeting: temporary, no TLS result");
	server_stop(&srv);

	server_start(&srv, ehlo_500);
	run_verify(run, &srv.addr, 1, VERIFY_STS);
	regress_check(result_is(run, TLSRPT_STARTTLS_NOT_SUPPORTED, "EHLO"),
	    "EHLO refused with 500: no STARTTLS either");
	server_stop(&srv);

	server_start(&srv, cut);
	run_verify(run, &srv.addr, 1, VERIFY_STS);
	regress_check(result_is(run, TLSRPT_TEMPORARY, "closed"), "the "
	    "server closes within a reply: temporary");
	server_stop(&srv);

	memset(long_line, 'x', sizeof(long_line) - 1);
	memcpy(long_line, "220 ", 4);
	server_start(&srv, overlong);
	run_verify(run, &srv.addr, 1, VERIFY_STS);
	regress_check(result_is(run, TLSRPT_TEMPORARY, "longer than"),
	    "a greeting line of %zu bytes, no LF: refused at %d",
	    sizeof(long_line) - 1, SMTP_LINE_MAX);
	server_stop(&srv);

	for (n = 0, i = 0; i < SMTP_REPLY_LINES + 5; i++)
		n += snprintf(many_lines + n, sizeof(many_lines) - n,
		    "220-line %zu\r\n", i);
	server_start(&srv, too_many);
	run_verify(run, &srv.addr, 1, VERIFY_STS);
	regress_check(result_is(run, TLSRPT_TEMPORARY, "more than"),
	    "a greeting of more than %d lines: refused", SMTP_REPLY_LINES);
	server_stop(&srv);

	refused(&two[0]);
	run_verify(run, &two[0], 1, VERIFY_STS);
	regress_check(result_is(run, TLSRPT_TEMPORARY, "cannot connect"),
	    "connection refused: temporary");

	server_start(&srv, greet_refuse);
	two[1] = srv.addr;
	run_verify(run, two, 2, VERIFY_STS);
	regress_check(result_is(run, TLSRPT_STARTTLS_NOT_SUPPORTED, "454") &&
	    strcmp(run->res.address, "127.0.0.1") == 0, "the first address "
	    "refuses, the second one answers");
	server_stop(&srv);

	lfd = blackhole(&two[0], fill, 3);
	run_verify(run, &two[0], 1, VERIFY_STS);
	regress_check(result_is(run, TLSRPT_TEMPORARY, "no connection "
	    "within 1 s") && run->elapsed < STEP + 1.5, "an address that "
	    "never answers the SYN: the connect's time limit (%.2f s)",
	    run->elapsed);
	regress_check(loop_free(run), "a connect in progress: the loop ran "
	    "other events all the while (%u ticks)", run->ticks);
	server_start(&srv, greet_refuse);
	two[1] = srv.addr;
	run_verify(run, two, 2, VERIFY_STS);
	regress_check(result_is(run, TLSRPT_STARTTLS_NOT_SUPPORTED, "454") &&
	    run->elapsed >= STEP - 0.1 && run->elapsed < 2 * STEP + 1.5,
	    "the first address never answers: after its limit the second "
	    "one is tried (%.2f s)", run->elapsed);
	server_stop(&srv);
	for (i = 0; i < 3; i++)
		close(fill[i]);
	close(lfd);
}

int
main(void)
{
	struct run	 run;
	char		 err[STS_ERR_MAX], ca[] = "/tmp/test_smtp.XXXXXX";
	int		 fd;

	signal(SIGPIPE, SIG_IGN);
	test_parser();

	/* Any certificate makes a CA file; none is used without TLS. */
	memset(&run, 0, sizeof(run));
	if ((fd = mkstemp(ca)) == -1)
		return 1;
	(void)close(fd);
	if ((run.base = event_base_new()) == NULL)
		return 1;
	run.vr = verifier_new(run.base, ca, "client.smtp.test", STEP, err,
	    sizeof(err));
	regress_check(run.vr == NULL && strstr(err, "no certificate"),
	    "verifier_new: a CA file without certificates is refused");
	if (run.vr == NULL)
		run.vr = verifier_new(run.base, NULL, "client.smtp.test", STEP,
		    err, sizeof(err));
	(void)unlink(ca);
	if (run.vr == NULL) {
		regress_check(0, "verifier_new with the system CA file: %s",
		    err);
		return regress_exit();
	}
	test_verify(&run);
	test_session(&run);
	verifier_free(run.vr);
	event_base_free(run.base);
	return regress_exit();
}
