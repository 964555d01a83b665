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
 * bench_http: the CPU a policy fetch costs when the host sends its
 * answer a byte per TLS record.  A 64 KiB policy is fetched from a
 * libtls server in a child process on 127.0.0.1 (regress/tlsserv.c),
 * framed by Content-Length and chunked in 16-byte chunks, then the
 * largest body that 1-byte chunks can frame within HTTP_RAW_MAX.  The
 * time is this process's (getrusage), so the server's is not in it.
 */

#include <sys/resource.h>
#include <sys/time.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mtasts.h"
#include "tlsserv.h"

#define BODY		STS_POLICY_MAX
#define BODY_1		40960		/* 6 raw bytes per body byte */
#define TIMEOUT		600

struct result {
	int		 done, ok;
	size_t		 len;
	char		 err[STS_ERR_MAX];
};

static double
cpu(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double
wall(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
fetched(void *arg, const struct fetch_result *res)
{
	struct result	*r = arg;

	r->done = 1;
	r->ok = res->ok;
	r->len = res->len;
	(void)snprintf(r->err, sizeof(r->err), "%s", res->err);
}

static void
bench(const char *name, const struct tlsserv_pki *pki, const char *resp,
    size_t len)
{
	struct tlsserv_script	 sc;
	struct tlsserv		 srv;
	struct event_base	*base;
	struct fetcher		*fr;
	struct result		 r;
	char			 err[STS_ERR_MAX];
	double			 c0, w0;

	memset(&sc, 0, sizeof(sc));
	memset(&r, 0, sizeof(r));
	sc.resp = resp;
	sc.len = len;
	sc.unit = 1;
	if ((base = event_base_new()) == NULL ||
	    (fr = fetcher_new(base, pki->cert, TIMEOUT, 1, err,
	    sizeof(err))) == NULL || tlsserv_start(&srv, pki, &sc) == -1) {
		fprintf(stderr, "bench_http: cannot set up\n");
		exit(1);
	}
	c0 = cpu();
	w0 = wall();
	if (fetch_start(fr, TLSSERV_HOST, &srv.addr, 1, fetched, &r) == NULL)
		exit(1);
	event_base_dispatch(base);
	printf("%-44s %zu bytes, %zu records: %.3f s CPU, %.3f s wall, "
	    "%s\n", name, len, len, cpu() - c0, wall() - w0,
	    r.ok ? "ok" : r.err);
	fetcher_free(fr);
	event_base_free(base);
	tlsserv_stop(&srv);
}

int
main(void)
{
	struct tlsserv_pki	 pki;
	char			*resp, *p;
	size_t			 off;

	if (tlsserv_pki(&pki) == -1) {
		fprintf(stderr, "bench_http: openssl(1) cannot make a "
		    "certificate\n");
		return 1;
	}
	if ((resp = malloc(HTTP_RAW_MAX)) == NULL)
		return 1;
	p = resp + sprintf(resp, "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/plain\r\nContent-Length: %d\r\n\r\n", BODY);
	memset(p, 'x', BODY);
	p += BODY;
	bench("64 KiB policy, Content-Length, 1 B/record:", &pki, resp,
	    p - resp);

	p = resp + sprintf(resp, "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (off = 0; off < BODY; off += 16)
		p += sprintf(p, "10\r\nxxxxxxxxxxxxxxxx\r\n");
	p += sprintf(p, "0\r\n\r\n");
	bench("64 KiB policy, 16-byte chunks, 1 B/record:", &pki, resp,
	    p - resp);

	p = resp + sprintf(resp, "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (off = 0; off < BODY_1; off++)
		p += sprintf(p, "1\r\nx\r\n");
	p += sprintf(p, "0\r\n\r\n");
	bench("40 KiB policy, 1-byte chunks, 1 B/record:", &pki, resp,
	    p - resp);
	free(resp);
	tlsserv_pki_remove(&pki);
	return 0;
}
