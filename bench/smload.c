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
 * smload: load client for the Postfix socketmap protocol (netstrings,
 * socketmap_table(5)) and the Exim line protocol of "filter-mtasts
 * daemon" (and of bench/nullsm, the same client's ceiling).
 *
 *	smload [-q] [-P socketmap|exim] [-c conns] [-p depth]
 *	    [-n requests] [-t seconds] [-T timeout_ms] [-s slice]
 *	    [-N mapname] [-g suffix [-o offset]]
 *	    [-w prefix | -W prefix] [-i interval_ms] address [domain ...]
 *
 * address is unix:PATH, HOST:PORT or [HOST]:PORT (numeric).  Keys are
 * the domains given, cycled (hits once the server knows them), or with
 * -g the distinct names d<offset>.<suffix>, d<offset+1>.<suffix>, ...
 * (a flood of new domains).  Each of conns connections keeps up to
 * depth requests in flight; the run stops after -n requests or -t
 * seconds, then waits for the answers still due.
 *
 * Each request ends in one class: ok, notfound, temp, other (an answer
 * of another kind), timeout (no answer within -T; the connection is
 * then closed, since later answers could no longer be matched) or lost
 * (in flight on a connection that closed).  Prints lines of key=value
 * fields: with -s N a "slice" line every N requests (the rate of that
 * slice), then a "result" line (latency of answered requests from a
 * log-linear histogram, 1/64 resolution).  Exit 0 after a run, 2 on a
 * usage or connect error.
 *
 * With -w PREFIX (-W PREFIX) it asks for the first key alone, again
 * every -i ms, until an answer begins (does not begin) with PREFIX or
 * -t seconds passed, and prints how long that took; exit 0 if reached.
 */

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evq.h"

#define KEY_MAX		256
#define REQ_MAX		(KEY_MAX + 96)	/* netstring of "name key" */
#define RBUF_SIZE	131072
#define REPLY_MAX	100000		/* Postfix's socketmap bound */
#define SAMPLE_MAX	100
#define HBUCKETS	(64 * 27)	/* microseconds up to 2^32 */
#define NS		1000000000ULL

enum klass { K_OK, K_NOTFOUND, K_TEMP, K_OTHER, K_TIMEOUT, K_LOST, K_N };
static const char *const kname[K_N] = {
	"ok", "notfound", "temp", "other", "timeout", "lost"
};

enum proto { P_SOCKETMAP, P_EXIM };
enum cstate { C_CLOSED, C_CONNECTING, C_UP };

struct stats {
	uint64_t	 h[HBUCKETS];
	uint64_t	 n, answered, max, cls[K_N];
	uint64_t	 t0;
};

struct conn {
	int		 fd, state, want;
	uint64_t	*sent;		/* ring of send times */
	unsigned	 head, count;
	char		*wbuf, *rbuf;
	size_t		 wlen, woff, rlen;
	uint64_t	 retry_at;
};

static struct {
	enum proto	 proto;
	unsigned	 nconn, depth;
	uint64_t	 total, dur, timeout, slice, offset, interval;
	const char	*mapname, *suffix, *addr, *until;
	int		 until_not, quiet;
	char		**keys;
	size_t		 nkeys;
	struct sockaddr_storage ss;
	socklen_t	 sslen;
} cfg;

static struct stats	 all, slice;
static uint64_t		 issued, t_start, t_end, t_last, nslice, closed;
static char		 sample[K_N][SAMPLE_MAX + 1];
static struct evq	 q;

static void
usage(void)
{
	fprintf(stderr, "usage: smload [-q] [-P socketmap|exim] [-c conns] "
	    "[-p depth] [-n requests]\n"
	    "\t[-t seconds] [-T timeout_ms] [-s slice] [-N mapname]\n"
	    "\t[-g suffix [-o offset]] [-w prefix | -W prefix] "
	    "[-i interval_ms]\n\taddress [domain ...]\n");
	exit(2);
}

static void
die(const char *what)
{
	fprintf(stderr, "smload: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void
diex(const char *what)
{
	fprintf(stderr, "smload: %s\n", what);
	exit(2);
}

static uint64_t
mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static uint64_t
num(const char *s, uint64_t min, uint64_t max)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		usage();
	return v;
}

/* ---------------------------------------------------------- statistics */

static int
bucket(uint64_t us)
{
	int	 msb = 0;

	if (us < 64)
		return (int)us;
	while ((us >> msb) > 1)
		msb++;
	if (msb > 31)
		return HBUCKETS - 1;
	return 64 * (msb - 5) + (int)((us >> (msb - 6)) - 64);
}

static uint64_t
bucket_value(int i)
{
	if (i < 64)
		return i;
	return (uint64_t)(i % 64 + 64) << (i / 64 - 1);
}

static uint64_t
percentile(const struct stats *s, double p)
{
	uint64_t	 want, sum = 0;
	int		 i;

	if (s->answered == 0)
		return 0;
	want = (uint64_t)(p * s->answered + 0.999999);
	if (want == 0)
		want = 1;
	for (i = 0; i < HBUCKETS; i++)
		if ((sum += s->h[i]) >= want)
			return bucket_value(i);
	return s->max;
}

static void
stats_add(struct stats *s, enum klass k, uint64_t us)
{
	s->n++;
	s->cls[k]++;
	if (k >= K_TIMEOUT)
		return;
	s->answered++;
	s->h[bucket(us)]++;
	if (us > s->max)
		s->max = us;
}

static void
stats_print(const char *tag, const struct stats *s, uint64_t from,
    uint64_t t1)
{
	double	 secs = (t1 - s->t0) / (double)NS;
	int	 k;

	printf("%s from=%llu n=%llu secs=%.3f rate=%.0f p50_us=%llu "
	    "p99_us=%llu max_us=%llu", tag, (unsigned long long)from,
	    (unsigned long long)s->n, secs, secs > 0 ? s->n / secs : 0.0,
	    (unsigned long long)percentile(s, .50),
	    (unsigned long long)percentile(s, .99),
	    (unsigned long long)s->max);
	for (k = 0; k < K_N; k++)
		printf(" %s=%llu", kname[k], (unsigned long long)s->cls[k]);
}

static void
complete(enum klass k, uint64_t sent, uint64_t now)
{
	uint64_t	 us = (now - sent) / 1000;

	stats_add(&all, k, us);
	stats_add(&slice, k, us);
	t_last = now;
	if (cfg.slice != 0 && slice.n == cfg.slice) {
		stats_print("slice", &slice, nslice * cfg.slice, now);
		printf("\n");
		fflush(stdout);
		nslice++;
		memset(&slice, 0, sizeof(slice));
		slice.t0 = now;
	}
}

/* ------------------------------------------------------------ protocol */

static enum klass
classify(const char *r, size_t len)
{
	static const struct {
		enum proto	 p;
		const char	*word;
		enum klass	 k;
	} words[] = {
		{ P_SOCKETMAP, "OK", K_OK },
		{ P_SOCKETMAP, "NOTFOUND", K_NOTFOUND },
		{ P_SOCKETMAP, "TEMP", K_TEMP },
		{ P_EXIM, "MTA-STS", K_OK },
		{ P_EXIM, "DANE", K_OK },
		{ P_EXIM, "NONE", K_NOTFOUND },
		{ P_EXIM, "DEFER", K_TEMP },
	};
	size_t	 i, wl;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		wl = strlen(words[i].word);
		if (words[i].p == cfg.proto && len >= wl &&
		    memcmp(r, words[i].word, wl) == 0 &&
		    (len == wl || r[wl] == ' '))
			return words[i].k;
	}
	return K_OTHER;
}

static size_t
key_at(uint64_t i, char *buf)
{
	int	 n;

	if (cfg.suffix != NULL)
		n = snprintf(buf, KEY_MAX, "d%llu.%s",
		    (unsigned long long)(cfg.offset + i), cfg.suffix);
	else
		n = snprintf(buf, KEY_MAX, "%s", cfg.keys[i % cfg.nkeys]);
	return n < 0 || n >= KEY_MAX ? KEY_MAX - 1 : (size_t)n;
}

/* Appends the request for key i; returns its length. */
static size_t
request(uint64_t i, char *out)
{
	char	 key[KEY_MAX];
	size_t	 kl = key_at(i, key);
	int	 n;

	if (cfg.proto == P_EXIM)
		n = snprintf(out, REQ_MAX, "%s\n", key);
	else
		n = snprintf(out, REQ_MAX, "%zu:%s %s,",
		    strlen(cfg.mapname) + 1 + kl, cfg.mapname, key);
	return n < 0 || n >= REQ_MAX ? 0 : (size_t)n;
}

/*
 * The next complete answer in buf: 1 with it (and the bytes used),
 * 0 if more is needed, -1 if the stream is broken.
 */
static int
reply_parse(const char *buf, size_t len, const char **r, size_t *rl,
    size_t *used)
{
	const char	*nl;
	size_t		 i, n = 0;

	if (cfg.proto == P_EXIM) {
		if ((nl = memchr(buf, '\n', len)) == NULL)
			return len >= RBUF_SIZE ? -1 : 0;
		*r = buf;
		*rl = nl - buf;
		if (*rl > 0 && buf[*rl - 1] == '\r')
			(*rl)--;
		*used = nl - buf + 1;
		return 1;
	}
	for (i = 0; i < len && buf[i] != ':'; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
		if ((n = n * 10 + (buf[i] - '0')) > REPLY_MAX)
			return -1;
	}
	if (i == len)
		return 0;
	if (i == 0)
		return -1;
	if (len - i - 1 < n + 1)
		return 0;
	if (buf[i + 1 + n] != ',')
		return -1;
	*r = buf + i + 1;
	*rl = n;
	*used = i + n + 2;
	return 1;
}

/* --------------------------------------------------------- connections */

static int
open_socket(int nonblock)
{
	int	 fd, on = 1;

	if ((fd = socket(cfg.ss.ss_family, SOCK_STREAM, 0)) == -1)
		die("socket");
	if (nonblock && fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		die("fcntl");
	if (cfg.ss.ss_family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on));
	return fd;
}

static void
conn_want(struct conn *c, int want)
{
	if (want == c->want)
		return;
	if (evq_mod(&q, c->fd, c, want) == -1)
		die("evq_mod");
	c->want = want;
}

static void
conn_open(struct conn *c, uint64_t now)
{
	c->fd = open_socket(1);
	c->head = c->count = 0;
	c->wlen = c->woff = c->rlen = 0;
	if (connect(c->fd, (struct sockaddr *)&cfg.ss, cfg.sslen) == 0)
		c->state = C_UP;
	else if (errno == EINPROGRESS)
		c->state = C_CONNECTING;
	else if (errno == EAGAIN) {
		/* a full unix socket backlog: try again shortly */
		close(c->fd);
		c->state = C_CLOSED;
		c->retry_at = now + NS / 1000;
		return;
	} else
		die(cfg.addr);
	c->want = c->state == C_UP ? EVQ_IN : EVQ_OUT;
	if (evq_add(&q, c->fd, c, c->want) == -1)
		die("evq_add");
}

/* Whatever was in flight on c is lost; c connects again when due. */
static void
conn_close(struct conn *c, enum klass first, uint64_t now)
{
	enum klass	 k = first;

	while (c->count > 0) {
		complete(k, c->sent[c->head], now);
		c->head = (c->head + 1) % cfg.depth;
		c->count--;
		k = K_LOST;
	}
	evq_del(&q, c->fd);
	close(c->fd);
	c->fd = -1;
	c->state = C_CLOSED;
	c->retry_at = now;
	closed++;
}

static int
may_issue(uint64_t now)
{
	if (cfg.total != 0 && issued >= cfg.total)
		return 0;
	if (cfg.dur != 0 && now >= t_end)
		return 0;
	return 1;
}

static void
conn_fill(struct conn *c, uint64_t now)
{
	size_t	 n;

	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	while (c->count < cfg.depth && may_issue(now)) {
		if ((n = request(issued, c->wbuf + c->wlen)) == 0)
			diex("request too long");
		issued++;
		c->wlen += n;
		c->sent[(c->head + c->count) % cfg.depth] = now;
		c->count++;
	}
}

static void
conn_write(struct conn *c, uint64_t now)
{
	ssize_t	 n;

	while (c->woff < c->wlen) {
		n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				conn_close(c, K_LOST, now);
			return;
		}
		c->woff += n;
	}
}

static void
conn_read(struct conn *c, uint64_t now)
{
	const char	*r;
	size_t		 rl, used, off = 0;
	ssize_t		 n;
	enum klass	 k;
	int		 p;

	n = read(c->fd, c->rbuf + c->rlen, RBUF_SIZE - c->rlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c, K_LOST, now);
		return;
	}
	c->rlen += n;
	while ((p = reply_parse(c->rbuf + off, c->rlen - off, &r, &rl,
	    &used)) == 1) {
		if (c->count == 0) {
			p = -1;		/* an answer nobody asked for */
			break;
		}
		k = classify(r, rl);
		if (sample[k][0] == '\0')
			(void)snprintf(sample[k], sizeof(sample[k]), "%.*s",
			    (int)(rl > SAMPLE_MAX ? SAMPLE_MAX : rl), r);
		complete(k, c->sent[c->head], now);
		c->head = (c->head + 1) % cfg.depth;
		c->count--;
		off += used;
	}
	if (p == -1) {
		conn_close(c, K_LOST, now);
		return;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
}

static void
conn_connected(struct conn *c, uint64_t now)
{
	socklen_t	 len = sizeof(int);
	int		 err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		die("getsockopt");
	if (err != 0) {
		errno = err;
		die(cfg.addr);
	}
	c->state = C_UP;
	conn_want(c, EVQ_IN);
	(void)now;
}

static void
conn_event(struct conn *c, int what, uint64_t now)
{
	if (c->state == C_CONNECTING) {
		if (what & (EVQ_OUT | EVQ_ERR))
			conn_connected(c, now);
		return;
	}
	if (what & (EVQ_IN | EVQ_ERR))
		conn_read(c, now);
	if (c->state == C_UP && (what & EVQ_OUT))
		conn_write(c, now);
}

/* ------------------------------------------------------------- the run */

static void
run(void)
{
	struct conn	*conns, *c;
	struct evq_ev	 ev[256];
	uint64_t	 now, next, dl;
	unsigned	 i, active;
	int		 n, k, ms;

	if ((conns = calloc(cfg.nconn, sizeof(*conns))) == NULL)
		die("calloc");
	for (i = 0; i < cfg.nconn; i++) {
		c = &conns[i];
		c->fd = -1;
		if ((c->sent = calloc(cfg.depth, sizeof(uint64_t))) == NULL ||
		    (c->wbuf = malloc(cfg.depth * REQ_MAX)) == NULL ||
		    (c->rbuf = malloc(RBUF_SIZE)) == NULL)
			die("malloc");
	}
	t_start = t_last = all.t0 = slice.t0 = now = mono();
	t_end = t_start + cfg.dur;
	for (;;) {
		active = 0;
		next = UINT64_MAX;
		for (i = 0; i < cfg.nconn; i++) {
			c = &conns[i];
			if (c->state == C_CLOSED && may_issue(now)) {
				if (now < c->retry_at) {
					if (c->retry_at < next)
						next = c->retry_at;
					active++;
					continue;
				}
				conn_open(c, now);
			}
			if (c->state == C_UP) {
				conn_fill(c, now);
				conn_write(c, now);
			}
			if (c->state == C_CLOSED)
				continue;
			if (c->state == C_UP)
				conn_want(c, EVQ_IN |
				    (c->woff < c->wlen ? EVQ_OUT : 0));
			if (c->count > 0 || c->state == C_CONNECTING)
				active++;
			if (c->count > 0 && (dl = c->sent[c->head] +
			    cfg.timeout) < next)
				next = dl;
		}
		if (active == 0 && !may_issue(now))
			break;
		if (cfg.dur != 0 && may_issue(now) && t_end < next)
			next = t_end;
		ms = next == UINT64_MAX ? 1000 : next <= now ? 0 :
		    (int)((next - now + 999999) / 1000000);
		if ((n = evq_wait(&q, ev, 256, ms)) == -1)
			die("evq_wait");
		now = mono();
		for (k = 0; k < n; k++)
			conn_event(ev[k].ptr, ev[k].what, now);
		for (i = 0; i < cfg.nconn; i++) {
			c = &conns[i];
			if (c->state != C_CLOSED && c->count > 0 &&
			    now - c->sent[c->head] >= cfg.timeout)
				conn_close(c, K_TIMEOUT, now);
		}
	}
}

static void
report(void)
{
	struct rusage	 ru;
	double		 cpu = 0;
	int		 k;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	if (cfg.slice != 0 && slice.n > 0) {
		stats_print("slice", &slice, nslice * cfg.slice, t_last);
		printf("\n");
	}
	stats_print("result", &all, 0, t_last);
	printf(" conns=%u depth=%u closed=%llu client_cpu_s=%.2f\n",
	    cfg.nconn, cfg.depth, (unsigned long long)closed, cpu);
	if (!cfg.quiet)
		for (k = 0; k < K_N; k++)
			if (sample[k][0] != '\0')
				printf("sample %s: %s\n", kname[k], sample[k]);
}

/* ----------------------------------------------------------- wait mode */

/* One question on fd, the answer in buf; -1 on error or timeout. */
static int
ask(int fd, char *buf, size_t bufsz, uint64_t deadline)
{
	struct pollfd	 pfd;
	char		 req[REQ_MAX];
	const char	*r;
	size_t		 len = 0, rl, used, n;
	ssize_t		 got;
	uint64_t	 now;

	n = request(0, req);
	if (write(fd, req, n) != (ssize_t)n)
		return -1;
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (reply_parse(buf, len, &r, &rl, &used) == 1)
			break;
		if ((now = mono()) >= deadline || len == bufsz)
			return -1;
		if (poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1) <= 0)
			continue;
		if ((got = read(fd, buf + len, bufsz - len)) <= 0)
			return -1;
		len += got;
	}
	memmove(buf, r, rl);
	buf[rl] = '\0';
	return 0;
}

static int
wait_until(void)
{
	static char	 buf[RBUF_SIZE + 1];
	char		 last[SAMPLE_MAX + 1] = "(none)";
	struct timespec	 pause;
	uint64_t	 start = mono(), deadline = start + cfg.dur, dl;
	unsigned	 tries = 0;
	int		 fd = -1, hit;

	do {
		if (fd == -1) {
			fd = open_socket(0);
			if (connect(fd, (struct sockaddr *)&cfg.ss,
			    cfg.sslen) == -1)
				die(cfg.addr);
		}
		tries++;
		dl = mono() + cfg.timeout;
		if (ask(fd, buf, RBUF_SIZE, dl < deadline ? dl : deadline) ==
		    -1) {
			(void)snprintf(last, sizeof(last), "(no answer)");
			close(fd);
			fd = -1;
		} else {
			(void)snprintf(last, sizeof(last), "%.*s", SAMPLE_MAX, buf);
			hit = strncmp(buf, cfg.until, strlen(cfg.until)) == 0;
			if (hit != cfg.until_not) {
				printf("wait reached=1 secs=%.3f tries=%u "
				    "answer=%s\n",
				    (mono() - start) / (double)NS, tries, last);
				return 0;
			}
		}
		pause.tv_sec = cfg.interval / 1000;
		pause.tv_nsec = (cfg.interval % 1000) * 1000000;
		(void)nanosleep(&pause, NULL);
	} while (mono() < deadline);
	printf("wait reached=0 secs=%.3f tries=%u answer=%s\n",
	    (mono() - start) / (double)NS, tries, last);
	return 1;
}

/* -------------------------------------------------------------- set-up */

static void
parse_address(const char *a)
{
	struct sockaddr_un	*sun = (struct sockaddr_un *)&cfg.ss;
	struct addrinfo		 hints, *res;
	char			 host[256];
	const char		*port;

	memset(&cfg.ss, 0, sizeof(cfg.ss));
	if (strncmp(a, "unix:", 5) == 0) {
		if (strlen(a + 5) >= sizeof(sun->sun_path))
			diex("socket path too long");
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, a + 5, strlen(a + 5));
		cfg.sslen = sizeof(*sun);
		return;
	}
	if (a[0] == '[') {
		if ((port = strstr(a, "]:")) == NULL)
			usage();
		(void)snprintf(host, sizeof(host), "%.*s", (int)(port - a - 1),
		    a + 1);
		port += 2;
	} else {
		if ((port = strrchr(a, ':')) == NULL)
			usage();
		(void)snprintf(host, sizeof(host), "%.*s", (int)(port - a), a);
		port++;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		diex("address: expected unix:PATH or HOST:PORT (numeric)");
	memcpy(&cfg.ss, res->ai_addr, res->ai_addrlen);
	cfg.sslen = res->ai_addrlen;
	freeaddrinfo(res);
}

int
main(int argc, char *argv[])
{
	int	 ch;

	cfg.proto = P_SOCKETMAP;
	cfg.nconn = 1;
	cfg.depth = 1;
	cfg.timeout = 30 * NS;
	cfg.interval = 100;
	cfg.mapname = "mtasts";
	while ((ch = getopt(argc, argv, "c:g:i:N:n:o:P:p:qs:T:t:W:w:")) != -1) {
		switch (ch) {
		case 'c':
			cfg.nconn = num(optarg, 1, 10000);
			break;
		case 'g':
			cfg.suffix = optarg;
			break;
		case 'i':
			cfg.interval = num(optarg, 0, 60000);
			break;
		case 'N':
			cfg.mapname = optarg;
			break;
		case 'n':
			cfg.total = num(optarg, 1, UINT64_MAX / 2);
			break;
		case 'o':
			cfg.offset = num(optarg, 0, UINT64_MAX / 2);
			break;
		case 'P':
			if (strcmp(optarg, "socketmap") == 0)
				cfg.proto = P_SOCKETMAP;
			else if (strcmp(optarg, "exim") == 0)
				cfg.proto = P_EXIM;
			else
				usage();
			break;
		case 'p':
			cfg.depth = num(optarg, 1, 4096);
			break;
		case 'q':
			cfg.quiet = 1;
			break;
		case 's':
			cfg.slice = num(optarg, 1, UINT64_MAX / 2);
			break;
		case 'T':
			cfg.timeout = num(optarg, 1, 3600000) * 1000000;
			break;
		case 't':
			cfg.dur = num(optarg, 1, 86400) * NS;
			break;
		case 'W':
			cfg.until_not = 1;
			/* FALLTHROUGH */
		case 'w':
			cfg.until = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || (argc > 1) == (cfg.suffix != NULL) ||
	    strlen(cfg.mapname) > 64)
		usage();
	cfg.addr = argv[0];
	cfg.keys = argv + 1;
	cfg.nkeys = argc - 1;
	parse_address(cfg.addr);
	signal(SIGPIPE, SIG_IGN);
	if (cfg.until != NULL) {
		if (cfg.dur == 0)
			cfg.dur = 60 * NS;
		return wait_until();
	}
	if (cfg.total == 0 && cfg.dur == 0)
		cfg.total = 10000;
	if (evq_init(&q) == -1)
		die("evq_init");
	run();
	report();
	return 0;
}
