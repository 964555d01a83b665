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
 * bench_rpt: the cost of TLS reporting (RFC 8460).
 *	bench_rpt [results [domains]]	(default 1000000 10000)
 * 1. record: results into the day's file as the network process
 *    does (lib/rptstore.c), spread over domains policies: the time per
 *    result once its policy is on file (a successful session: one
 *    pread(2) and one pwrite(2)), for a failure with a known detail,
 *    and for the first result of a domain (a record appended).
 * 2. open: the network process opening a day's file that holds those
 *    domains (its index rebuilt).
 * 0. parse: a datagram of Postfix's TLSRPT library (lib/rptdgram.c),
 *    what the front does for each before it passes the result on.
 * 3. report: a day of domains domains read back and each one's report
 *    made (JSON, gzip), as "filter-mtasts report send" does before it
 *    sends them: total and per domain, and the sizes.
 * The directory is made under $TMPDIR, by default /tmp; on a tmpfs the
 * figures leave the disk out.
 */

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mtasts.h"

static const char *const lines[] = { "version: STSv1", "mode: enforce",
    "mx: mx1.example.com", "mx: *.mx.example.net", "max_age: 604800" };
static const char *const pats[] = { "mx1.example.com", "*.mx.example.net" };

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char	 names[100000][40];
static struct rpt_dgram	 dg;

static const char dgram[] = "{\"dpv\": \"1\",\"d\": \"example.com\","
    "\"pr\": \"v=TLSRPTv1; rua=mailto:tlsrpt@example.com\",\"policies\":"
    "[{\"policy-type\":2,\"policy-domain\": \"example.com\","
    "\"policy-string\":[\"version: STSv1\",\"mode: enforce\","
    "\"mx: mx1.example.com\",\"max_age: 604800\"],\"mx-host\":"
    "[\"mx1.example.com\"],\"failure-details\":[{\"c\":204,\"s\": "
    "\"192.0.2.1\",\"n\": \"mx1.example.com\",\"r\": \"198.51.100.25\","
    "\"f\": \"X509_V_ERR_CERT_HAS_EXPIRED\"}],\"t\":1,\"f\":1}]}";

static void
result(struct rpt_result *r, struct rpt_detail *d, size_t i, int failed)
{
	memset(r, 0, sizeof(*r));
	memset(d, 0, sizeof(*d));
	r->domain = names[i];
	r->policy = RPT_P_STS;
	r->policy_domain = names[i];
	r->strings = lines;
	r->nstrings = 5;
	r->mx = pats;
	r->nmx = 2;
	r->failed = failed;
	if (failed) {
		d->type = RPT_R_CERT_EXPIRED;
		d->sending_ip = "192.0.2.1";
		d->mx_host = "mx1.example.com";
		d->receiving_ip = "198.51.100.25";
		d->reason = "X509_V_ERR_CERT_HAS_EXPIRED";
		r->details = d;
		r->ndetails = 1;
	}
}

int
main(int argc, char *argv[])
{
	struct rpt_detail	 d;
	struct rpt_result	 r;
	struct rptstore		*s;
	struct rptstore_stats	 st;
	struct rptday		*day;
	struct rpt_meta		 m;
	struct rpt_buf		 json, gz;
	char			 dir[PATH_MAX], err[256], dname[16];
	char			 cmd[PATH_MAX + 16];
	const char		*tmp = getenv("TMPDIR");
	size_t			 n = 1000000, nd = 10000, i, jbytes = 0;
	size_t			 gbytes = 0;
	uint64_t		 failures;
	double			 t0, t1;
	int64_t			 when = 1764633600 + 3600;
	int			 dfd, rdir;

	if (argc > 1)
		n = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		nd = strtoul(argv[2], NULL, 10);
	if (nd == 0 || nd > 100000 || n < nd) {
		fprintf(stderr, "usage: bench_rpt [results [domains <= "
		    "100000]]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/bench_rpt.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL || (dfd = open(dir, O_RDONLY |
	    O_DIRECTORY)) == -1) {
		perror(dir);
		return 1;
	}
	for (i = 0; i < nd; i++)
		snprintf(names[i], sizeof(names[i]), "d%zu.example.com", i);
	if ((s = rptstore_open(dfd, when, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}

	/* 0. the front's parse of a datagram */
	t0 = now();
	for (i = 0; i < n; i++)
		if (rpt_dgram_parse(dgram, sizeof(dgram) - 1, &dg, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "datagram: %s\n", err);
			return 1;
		}
	t1 = now();
	printf("parse, a datagram of %zu bytes (one failure): %.2f us\n",
	    sizeof(dgram) - 1, (t1 - t0) / n * 1e6);

	/* 1. first result of each domain: a record appended */
	t0 = now();
	for (i = 0; i < nd; i++) {
		result(&r, &d, i, 0);
		(void)rptstore_add(s, when, &r);
	}
	t1 = now();
	printf("record, first result of a domain (record appended): "
	    "%.2f us\n", (t1 - t0) / nd * 1e6);
	/* a failure detail for each: appended too */
	for (i = 0; i < nd; i++) {
		result(&r, &d, i, 1);
		(void)rptstore_add(s, when, &r);
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		result(&r, &d, i % nd, 0);
		(void)rptstore_add(s, when, &r);
	}
	t1 = now();
	printf("record, successful session of a known policy: %.2f us "
	    "(%zu results over %zu domains)\n", (t1 - t0) / n * 1e6, n, nd);
	t0 = now();
	for (i = 0; i < n / 10; i++) {
		result(&r, &d, i % nd, 1);
		(void)rptstore_add(s, when, &r);
	}
	t1 = now();
	printf("record, failed session with a known detail: %.2f us\n",
	    (t1 - t0) / (n / 10) * 1e6);
	rptstore_stats(s, &st);
	printf("day file: %llu bytes, %llu records, %llu dropped\n",
	    (unsigned long long)st.bytes, (unsigned long long)st.records,
	    (unsigned long long)st.dropped);
	rptstore_close(s);

	/* 2. the network process opening the day's file */
	t0 = now();
	s = rptstore_open(dfd, when, err, sizeof(err));
	t1 = now();
	printf("open of the day's file (index rebuilt): %.1f ms\n",
	    (t1 - t0) * 1e3);
	rptstore_close(s);

	/* 3. a day's reports */
	rpt_day_name(when, dname, sizeof(dname));
	rdir = openat(dfd, RPT_DIR, O_RDONLY | O_DIRECTORY);
	memset(&m, 0, sizeof(m));
	m.organization = "bench";
	m.contact = "tlsrpt@bench.example";
	m.report_id = "id";
	m.start = when - 3600;
	m.end = m.start + 86399;
	t0 = now();
	if ((day = rptday_load(rdir, dname, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t1 = now();
	printf("read back: %zu policies in %.1f ms\n", day->npol,
	    (t1 - t0) * 1e3);
	for (i = 0; i < day->npol; i++) {
		memset(&json, 0, sizeof(json));
		memset(&gz, 0, sizeof(gz));
		if (rpt_report_json(day, day->pol[i].domain, &m, &json,
		    &failures) == 0 && rpt_gzip(json.p, json.len, &gz) == 0) {
			jbytes += json.len;
			gbytes += gz.len;
		}
		rpt_buf_free(&json);
		rpt_buf_free(&gz);
	}
	t1 = now();
	printf("a day's reports for %zu domains (read, JSON, gzip): "
	    "%.1f ms in all, %.1f us per domain; %.0f bytes JSON, %.0f gzip "
	    "each\n", day->npol, (t1 - t0) * 1e3, (t1 - t0) / day->npol *
	    1e6, (double)jbytes / day->npol, (double)gbytes / day->npol);
	rptday_free(day);
	close(rdir);
	close(dfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
