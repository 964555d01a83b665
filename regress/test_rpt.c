
/*
 * TLS reporting (RFC 8460) without the network: the results store
 * (crash safety, bounds, merging), the libtlsrpt datagram parser, the
 * _smtp._tls record, the report JSON and gzip, the result message
 * between the processes, and the Postfix 3.10+ map answer.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <event2/buffer.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "extern.h"
#include "mtasts.h"
#include "regress.h"

#define T0	1764633600	/* 2025-12-02T00:00:00Z */
#define DAY_S	86400

static char	 dir[] = "/tmp/test_rpt.XXXXXX";
static int	 dirfd_;

static const char *const sts_lines[] = { "version: STSv1", "mode: enforce",
    "mx: mx1.a.example", "max_age: 86400" };
static const char *const sts_mx[] = { "mx1.a.example" };

static struct rpt_result
sts_result(const char *domain, int failed, const struct rpt_detail *d,
    size_t nd)
{
	struct rpt_result	 r;

	memset(&r, 0, sizeof(r));
	r.domain = domain;
	r.policy = RPT_P_STS;
	r.policy_domain = domain;
	r.strings = sts_lines;
	r.nstrings = 4;
	r.mx = sts_mx;
	r.nmx = 1;
	r.failed = failed;
	r.details = d;
	r.ndetails = nd;
	return r;
}

static int
results_fd(const char *day, int flags)
{
	char	 path[256];

	(void)snprintf(path, sizeof(path), "%s/%s/%s/results", dir, RPT_DIR,
	    day);
	return open(path, flags);
}

static off_t
results_size(const char *day)
{
	struct stat	 st;
	char		 path[256];

	(void)snprintf(path, sizeof(path), "%s/%s/%s/results", dir, RPT_DIR,
	    day);
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static struct rptday *
load(const char *day)
{
	char	 err[256];
	int	 fd;
	struct rptday *d;

	fd = openat(dirfd_, RPT_DIR, O_RDONLY | O_DIRECTORY);
	d = rptday_load(fd, day, err, sizeof(err));
	close(fd);
	if (d == NULL)
		regress_diag("rptday_load: %s", err);
	return d;
}

static void
test_days(void)
{
	char	 buf[16];
	int64_t	 t;

	rpt_day_name(T0 + 3600, buf, sizeof(buf));
	regress_check(strcmp(buf, "2025-12-02") == 0, "day of a time: %s",
	    buf);
	regress_check(rpt_day_parse("2025-12-02", &t) == 0 && t == T0,
	    "day name back to its start");
	regress_check(rpt_day_parse("2025-02-30", &t) == -1 &&
	    rpt_day_parse("2025-12-2", &t) == -1 &&
	    rpt_day_parse("../../etc", &t) == -1, "not a day: refused");
}

static void
test_store(void)
{
	struct rpt_detail	 d[2];
	struct rpt_result	 r;
	struct rptstore		*s;
	struct rptday		*day;
	struct rptstore_stats	 st;
	char			 err[256];
	int			 i, ok;

	memset(d, 0, sizeof(d));
	d[0].type = RPT_R_CERT_EXPIRED;
	d[0].sending_ip = "192.0.2.1";
	d[0].mx_host = "mx1.a.example";
	d[0].receiving_ip = "192.0.2.25";
	d[1] = d[0];
	d[1].type = RPT_R_STARTTLS_NOT_SUPPORTED;

	s = rptstore_open(dirfd_, T0 + 10, err, sizeof(err));
	regress_check(s != NULL, "store opens: %s", s ? "" : err);
	if (s == NULL)
		return;
	ok = 1;
	for (i = 0; i < 5; i++) {
		r = sts_result("a.example", 0, NULL, 0);
		ok &= rptstore_add(s, T0 + 20, &r) == RPT_ADD_OK;
	}
	for (i = 0; i < 3; i++) {
		r = sts_result("a.example", 1, &d[i % 2], 1);
		ok &= rptstore_add(s, T0 + 20, &r) == RPT_ADD_OK;
	}
	r = sts_result("b.example", 1, d, 2);
	ok &= rptstore_add(s, T0 + 30, &r) == RPT_ADD_OK;
	regress_check(ok, "results recorded");
	rptstore_stats(s, &st);
	regress_check(st.records == 6, "one record per policy and per "
	    "detail of it: %llu", (unsigned long long)st.records);

	/* a second opening of the same day indexes what is on file */
	rptstore_close(s);
	s = rptstore_open(dirfd_, T0 + 40, err, sizeof(err));
	r = sts_result("a.example", 0, NULL, 0);
	regress_check(s != NULL && rptstore_add(s, T0 + 40, &r) ==
	    RPT_ADD_OK, "opened again, a result more");
	rptstore_stats(s, &st);
	regress_check(st.records == 6, "no record twice after a reopen: %llu",
	    (unsigned long long)st.records);
	rptstore_close(s);

	day = load("2025-12-02");
	regress_check(day != NULL && day->npol == 2, "two policies read "
	    "back");
	if (day == NULL || day->npol != 2)
		return;
	regress_check(strcmp(day->pol[0].domain, "a.example") == 0 &&
	    day->pol[0].ok == 6 && day->pol[0].failed == 3 &&
	    day->pol[0].ndetails == 2 && day->pol[0].nstrings == 4 &&
	    day->pol[0].nmx == 1, "a.example: 6 successful, 3 failed, 2 "
	    "details (%llu, %llu, %zu)", (unsigned long long)day->pol[0].ok,
	    (unsigned long long)day->pol[0].failed, day->pol[0].ndetails);
	regress_check(day->pol[0].details[0].count +
	    day->pol[0].details[1].count == 3, "detail counts add up");
	regress_check(day->pol[1].failed == 1 && day->pol[1].ndetails == 2,
	    "b.example: one failed session, two details");
	regress_check(day->torn == 0, "no torn bytes");
	rptday_free(day);
}

/* A record cut short (a write that did not finish) ends the file. */
static void
test_torn(void)
{
	struct rpt_result	 r;
	struct rptstore		*s;
	struct rptday		*day;
	char			 err[256], junk[100];
	off_t			 before;
	int			 fd;

	before = results_size("2025-12-02");
	memset(junk, 0, sizeof(junk));
	memcpy(junk, "\x31\x50\x52\x54\xc8\x00\x00\x00", 8);	/* 200 bytes */
	fd = results_fd("2025-12-02", O_WRONLY | O_APPEND);
	regress_check(fd != -1 && write(fd, junk, sizeof(junk)) ==
	    sizeof(junk), "half a record appended");
	if (fd != -1)
		close(fd);
	day = load("2025-12-02");
	regress_check(day != NULL && day->npol == 2 && day->torn == 100,
	    "a reader stops at it, the rest intact (torn %llu)",
	    day ? (unsigned long long)day->torn : 0);
	rptday_free(day);

	s = rptstore_open(dirfd_, T0 + 50, err, sizeof(err));
	regress_check(s != NULL && results_size("2025-12-02") == before,
	    "the writer cuts it off when it opens the file");
	r = sts_result("a.example", 0, NULL, 0);
	regress_check(s != NULL && rptstore_add(s, T0 + 50, &r) ==
	    RPT_ADD_OK, "and records after it");
	rptstore_close(s);
	day = load("2025-12-02");
	regress_check(day != NULL && day->pol[0].ok == 7 && day->torn == 0,
	    "whole again: 7 successful");
	rptday_free(day);

	/* a record whose bytes changed is not read, nor what follows */
	fd = results_fd("2025-12-02", O_RDWR);
	regress_check(fd != -1 && pwrite(fd, "X", 1, 45) == 1,
	    "a byte of the first record changed");
	if (fd != -1)
		close(fd);
	day = load("2025-12-02");
	regress_check(day != NULL && day->npol == 0 && day->torn > 0,
	    "a damaged first record ends the file for readers");
	rptday_free(day);
}

static void
test_bounds(void)
{
	struct rpt_detail	 d;
	struct rpt_result	 r;
	struct rptstore		*s;
	struct rptday		*day;
	char			 err[256], ip[32];
	const char		*bad[] = { "mode:\tenforce" };
	int			 i, partly = 0;

	s = rptstore_open(dirfd_, T0 + DAY_S, err, sizeof(err));
	if (s == NULL)
		return;
	memset(&d, 0, sizeof(d));
	d.type = RPT_R_VALIDATION_FAILURE;
	for (i = 0; i < RPT_POLICY_DETAILS_MAX + 20; i++) {
		(void)snprintf(ip, sizeof(ip), "192.0.2.%d", i);
		d.sending_ip = ip;
		r = sts_result("c.example", 1, &d, 1);
		partly += rptstore_add(s, T0 + DAY_S, &r) == RPT_ADD_PARTLY;
	}
	regress_check(partly == 20, "past %d details a policy keeps "
	    "counting without them (%d partly)", RPT_POLICY_DETAILS_MAX,
	    partly);
	r = sts_result("c.example", 0, NULL, 0);
	r.strings = bad;
	r.nstrings = 1;
	regress_check(rptstore_add(s, T0 + DAY_S, &r) == RPT_ADD_DROPPED,
	    "a control character: refused");
	r = sts_result("Not A Domain", 0, NULL, 0);
	regress_check(rptstore_add(s, T0 + DAY_S, &r) == RPT_ADD_DROPPED,
	    "a domain not normalized: refused");
	rptstore_close(s);
	day = load("2025-12-03");
	regress_check(day != NULL && day->npol == 1 &&
	    day->pol[0].failed == RPT_POLICY_DETAILS_MAX + 20 &&
	    day->pol[0].ndetails == RPT_POLICY_DETAILS_MAX &&
	    day->pol[0].details_dropped == 20, "c.example: %d failed, %d "
	    "details, 20 without room", RPT_POLICY_DETAILS_MAX + 20,
	    RPT_POLICY_DETAILS_MAX);
	rptday_free(day);
}

/* A day's file that cannot be made: results dropped, tried again later. */
static void
test_unwritable(void)
{
	struct rpt_result	 r;
	struct rptstore		*s;
	char			 err[256], path[300];
	int			 i, r1, r2, r3;
	int64_t			 t = T0 + 4 * DAY_S;

	s = rptstore_open(dirfd_, T0 + 3 * DAY_S, err, sizeof(err));
	if (s == NULL)
		return;
	(void)snprintf(path, sizeof(path), "%s/%s/2025-12-06", dir, RPT_DIR);
	(void)mkdir(path, 0700);
	for (i = 0; i < 8; i++) {	/* every name taken by a directory */
		(void)snprintf(path, sizeof(path), "%s/%s/2025-12-06/results%s%.0d",
		    dir, RPT_DIR, i ? "." : "", i);
		(void)mkdir(path, 0700);
	}
	r = sts_result("e.example", 0, NULL, 0);
	r1 = rptstore_add(s, t, &r);
	for (i = 0; i < 8; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s/2025-12-06/results%s%.0d",
		    dir, RPT_DIR, i ? "." : "", i);
		(void)rmdir(path);
	}
	r2 = rptstore_add(s, t + 10, &r);
	r3 = rptstore_add(s, t + 61, &r);
	regress_check(r1 == RPT_ADD_DROPPED && r2 == RPT_ADD_DROPPED &&
	    r3 == RPT_ADD_OK, "a day's file that cannot be made: dropped, "
	    "tried again a minute later (%d %d %d)", r1, r2, r3);
	rptstore_close(s);
}

static void
test_report(void)
{
	struct rpt_meta		 m;
	struct rpt_buf		 b, gz;
	struct rptday		*day;
	uint64_t		 failures;
	char			 out[32768];
	uLongf			 outlen = sizeof(out) - 1;
	z_stream		 z;
	int			 ok;

	day = load("2025-12-03");
	if (day == NULL)
		return;
	memset(&b, 0, sizeof(b));
	memset(&gz, 0, sizeof(gz));
	m.organization = "Example \"Org\"";
	m.contact = "tlsrpt@sender.example";
	m.report_id = "2025-12-03.c.example@sender.example";
	m.start = T0 + DAY_S;
	m.end = T0 + 2 * DAY_S - 1;
	regress_check(rpt_report_json(day, "c.example", &m, &b, &failures) ==
	    0 && failures == RPT_POLICY_DETAILS_MAX + 20, "report made");
	regress_check(b.p != NULL && strncmp(b.p, "{\"organization-name\":"
	    "\"Example \\\"Org\\\"\",\"date-range\":{\"start-datetime\":"
	    "\"2025-12-03T00:00:00Z\",\"end-datetime\":"
	    "\"2025-12-03T23:59:59Z\"},\"contact-info\":"
	    "\"tlsrpt@sender.example\",\"report-id\":", 176) == 0,
	    "its head as RFC 8460 4.4 has it");
	regress_check(b.p != NULL && strstr(b.p, "\"policy\":{\"policy-type\":"
	    "\"sts\",\"policy-string\":[\"version: STSv1\",\"mode: enforce\","
	    "\"mx: mx1.a.example\",\"max_age: 86400\"],\"policy-domain\":"
	    "\"c.example\",\"mx-host\":[\"mx1.a.example\"]},\"summary\":{"
	    "\"total-successful-session-count\":0,"
	    "\"total-failure-session-count\":120}") != NULL,
	    "the policy and its summary");
	regress_check(b.p != NULL && strstr(b.p, "{\"result-type\":"
	    "\"validation-failure\",\"sending-mta-ip\":\"192.0.2.7\","
	    "\"failed-session-count\":1}") != NULL, "a failure detail, "
	    "optional members left out");
	regress_check(rpt_report_json(day, "none.example", &m, &b,
	    &failures) == -1, "no report for a domain without results");
	ok = b.p != NULL && rpt_gzip(b.p, b.len, &gz) == 0;
	regress_check(ok && gz.len > 18 && (uint8_t)gz.p[0] == 0x1f &&
	    (uint8_t)gz.p[1] == 0x8b, "gzip: %zu bytes from %zu", gz.len,
	    b.len);
	/* and back */
	memset(&z, 0, sizeof(z));
	if (gz.p != NULL && inflateInit2(&z, 15 + 16) == Z_OK) {
		z.next_in = (Bytef *)gz.p;
		z.avail_in = gz.len;
		z.next_out = (Bytef *)out;
		z.avail_out = outlen;
		(void)inflate(&z, Z_FINISH);
		outlen = z.total_out;
		inflateEnd(&z);
	}
	regress_check(outlen == (b.len < sizeof(out) ? b.len : outlen) &&
	    memcmp(out, b.p, outlen < b.len ? outlen : b.len) == 0,
	    "gunzipped: the same report");
	rpt_buf_free(&b);
	rpt_buf_free(&gz);
	rptday_free(day);
}

struct dg_test {
	const char	*name;
	const char	*dg;
	int		 ok;
	size_t		 nres;
};

static const struct dg_test dgs[] = {
	{ "libtlsrpt: success, sts",
	    "{\"dpv\": \"1\",\"d\": \"Company-Y.example.\",\"pr\": \"v=TLSRPTv1;"
	    "rua=mailto:r@company-y.example\",\"policies\":[{\"policy-type\":2,"
	    "\"policy-domain\": \"company-y.example\",\"policy-string\":["
	    "\"version: STSv1\",\"mode: testing\"],\"mx-host\":["
	    "\"*.mail.company-y.example\"],\"t\":0,\"f\":0}]}", 1, 1 },
	{ "libtlsrpt: tlsa failure and a second policy",
	    "{\"dpv\": \"1\",\"d\": \"a.example\",\"pr\": \"x\",\"policies\":[{"
	    "\"policy-type\":1,\"policy-domain\": \"mx.a.example\","
	    "\"policy-string\":[\"3 1 1 AB\"],\"failure-details\":[{\"c\":204,"
	    "\"s\": \"1.2.3.4\",\"n\": \"mx.a.example\",\"h\": \"h\",\"r\": "
	    "\"5.6.7.8\",\"a\": \"info\",\"f\": \"999 \\u00e9\\n\xc3\xa9\"}],"
	    "\"t\":1,\"f\":1},{\"policy-type\":9,\"t\":0,\"f\":0}]}", 1, 2 },
	{ "unknown scalar member skipped",
	    "{\"dpv\":\"1\",\"d\":\"a.example\",\"new\":true,\"policies\":[{"
	    "\"policy-type\":9,\"x\":12,\"t\":0,\"f\":0}]}", 1, 1 },
	{ "unknown member with an object", "{\"dpv\":\"1\",\"d\":\"a.example\","
	    "\"x\":{},\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}", 0,
	    0 },
	{ "dpv 2", "{\"dpv\":\"2\",\"d\":\"a.example\",\"policies\":[{"
	    "\"policy-type\":9,\"t\":0,\"f\":0}]}", 0, 0 },
	{ "no final result", "{\"dpv\":\"1\",\"d\":\"a.example\",\"policies\":"
	    "[{\"policy-type\":9,\"t\":0}]}", 0, 0 },
	{ "member twice", "{\"dpv\":\"1\",\"d\":\"a.example\",\"d\":\"b.example\","
	    "\"policies\":[{\"policy-type\":9,\"t\":0,\"f\":0}]}", 0, 0 },
	{ "unknown failure code", "{\"dpv\":\"1\",\"d\":\"a.example\",\"policies\""
	    ":[{\"policy-type\":2,\"failure-details\":[{\"c\":299}],\"t\":1,"
	    "\"f\":1}]}", 0, 0 },
	{ "leading zero", "{\"dpv\":\"1\",\"d\":\"a.example\",\"policies\":[{"
	    "\"policy-type\":09,\"t\":0,\"f\":0}]}", 0, 0 },
	{ "trailing bytes", "{\"dpv\":\"1\",\"d\":\"a.example\",\"policies\":[{"
	    "\"policy-type\":9,\"t\":0,\"f\":0}]}x", 0, 0 },
	{ "not a domain", "{\"dpv\":\"1\",\"d\":\"[1.2.3.4]\",\"policies\":[{"
	    "\"policy-type\":9,\"t\":0,\"f\":0}]}", 0, 0 },
	{ "control character", "{\"dpv\":\"1\",\"d\":\"a.example\",\"policies\""
	    ":[{\"policy-type\":9,\"policy-string\":[\"a\tb\"],\"t\":0,"
	    "\"f\":0}]}", 0, 0 },
	{ "nine policies", "{\"dpv\":\"1\",\"d\":\"a.example\",\"policies\":["
	    "{\"policy-type\":9,\"f\":0},{\"policy-type\":9,\"f\":0},"
	    "{\"policy-type\":9,\"f\":0},{\"policy-type\":9,\"f\":0},"
	    "{\"policy-type\":9,\"f\":0},{\"policy-type\":9,\"f\":0},"
	    "{\"policy-type\":9,\"f\":0},{\"policy-type\":9,\"f\":0},"
	    "{\"policy-type\":9,\"f\":0}]}", 0, 0 },
};

static void
test_dgram(void)
{
	static struct rpt_dgram	 dg;
	char			 err[128];
	size_t			 i;
	int			 r;

	for (i = 0; i < sizeof(dgs) / sizeof(dgs[0]); i++) {
		r = rpt_dgram_parse(dgs[i].dg, strlen(dgs[i].dg), &dg, err,
		    sizeof(err));
		regress_check((r == 0) == dgs[i].ok && dg.nres == dgs[i].nres,
		    "datagram: %s%s%s", dgs[i].name, r ? ": " : "",
		    r ? err : "");
	}
	r = rpt_dgram_parse(dgs[0].dg, strlen(dgs[0].dg), &dg, err,
	    sizeof(err));
	regress_check(r == 0 && strcmp(dg.res[0].domain,
	    "company-y.example") == 0 && dg.res[0].policy == RPT_P_STS &&
	    dg.res[0].nstrings == 2 && dg.res[0].nmx == 1 &&
	    dg.res[0].failed == 0, "datagram: fields, domain normalized");
	r = rpt_dgram_parse(dgs[1].dg, strlen(dgs[1].dg), &dg, err,
	    sizeof(err));
	regress_check(r == 0 && dg.res[0].ndetails == 1 &&
	    dg.res[0].details[0].type == RPT_R_CERT_EXPIRED &&
	    strcmp(dg.res[0].details[0].reason, "999 ????") == 0 &&
	    dg.res[1].policy == RPT_P_NONE, "datagram: codes, escapes and "
	    "non-ASCII made plain text (%s)", r == 0 ?
	    dg.res[0].details[0].reason : err);
}

/* A rua is used as published or not at all, never its first bytes. */
static void
test_record_long(void)
{
	struct rpt_record	 rec;
	char			 uri[TLSRPT_URI_LEN + 1], s[2 * sizeof(uri)];
	size_t			 n;

	n = TLSRPT_URI_LEN - 1;
	memcpy(uri, "https://r.example/", 18);
	memset(uri + 18, 'a', n - 18);
	uri[n] = '\0';
	(void)snprintf(s, sizeof(s), "v=TLSRPTv1; rua=%s", uri);
	regress_check(rpt_record_parse(s, strlen(s), &rec) == 0 &&
	    rec.nrua == 1 && strcmp(rec.rua[0], uri) == 0,
	    "record: a rua of %zu bytes is kept whole", n);
	rpt_record_free(&rec);
	uri[n] = 'a';
	uri[n + 1] = '\0';
	(void)snprintf(s, sizeof(s), "v=TLSRPTv1; rua=%s", uri);
	regress_check(rpt_record_parse(s, strlen(s), &rec) == -1,
	    "record: a rua of %zu bytes is not used, not cut", n + 1);
	(void)snprintf(s, sizeof(s), "v=TLSRPTv1; rua=%s,mailto:r@x.example",
	    uri);
	regress_check(rpt_record_parse(s, strlen(s), &rec) == 0 &&
	    rec.nrua == 1 && strcmp(rec.rua[0], "mailto:r@x.example") == 0,
	    "record: beside a rua too long, the other is used");
	rpt_record_free(&rec);
}

static void
test_record(void)
{
	struct rpt_record	 rec;
	const char		*s;

	s = "v=TLSRPTv1; rua=mailto:a@b.example , https://r.example/x,"
	    "ftp://x.example;ext=1;";
	regress_check(rpt_record_parse(s, strlen(s), &rec) == 0 &&
	    rec.nrua == 2 && strcmp(rec.rua[1], "https://r.example/x") == 0,
	    "record: two ruas kept, other schemes left out");
	rpt_record_free(&rec);
	s = "v=TLSRPTv1x; rua=mailto:a@b.example";
	regress_check(rpt_record_parse(s, strlen(s), &rec) == -1,
	    "record: v=TLSRPTv1x is not one");
	s = "v=TLSRPTv1; ext=2";
	regress_check(rpt_record_parse(s, strlen(s), &rec) == -1,
	    "record: no rua");
	s = "v=TLSRPTv1;rua=ftp://x";
	regress_check(rpt_record_parse(s, strlen(s), &rec) == -1,
	    "record: no usable rua");
	test_record_long();
}

static void
test_wire(void)
{
	struct rpt_detail	 d;
	struct rpt_result	 r;
	struct rpt_wire		 rw;
	struct evbuffer		*b = evbuffer_new();
	uint8_t			*p;
	size_t			 len;

	memset(&d, 0, sizeof(d));
	d.type = RPT_R_DNSSEC_INVALID;
	d.mx_host = "mx.a.example";
	d.reason = "bogus";
	r = sts_result("a.example", 1, &d, 1);
	regress_check(rptwire_pack(&r, b) == 0, "result packed");
	len = evbuffer_get_length(b);
	p = evbuffer_pullup(b, -1);
	regress_check(rptwire_unpack(p, len, &rw) == 0 &&
	    strcmp(rw.r.domain, "a.example") == 0 && rw.r.nstrings == 4 &&
	    rw.r.nmx == 1 && rw.r.ndetails == 1 &&
	    rw.det[0].type == RPT_R_DNSSEC_INVALID &&
	    strcmp(rw.det[0].reason, "bogus") == 0, "and unpacked the same");
	regress_check(rptwire_unpack(p, len - 1, &rw) == -1,
	    "a byte short: refused");
	evbuffer_free(b);
}

static void
test_postfix(void)
{
	struct verdict	 v;
	char		 buf[REPLY_MAX];
	char		*mx[] = { "mx1.a.example" };
	char		*rpt[] = { "version: STSv1", "mode: enforce",
			    "mx: mx1.a.example", "mx: *.b.example",
			    "max_age: 86400" };
	const char	*req = "18:tlsrpt a.example,";

	memset(&v, 0, sizeof(v));
	v.domain = "a.example";
	v.kind = VERDICT_STS_ENFORCE;
	v.mx = mx;
	v.nmx = 1;
	v.rpt = rpt;
	v.nrpt = 5;
	v.reason = "r";
	reply_postfix_tlsrpt(&v, buf, sizeof(buf));
	regress_check(strcmp(buf, "OK secure match=mx1.a.example "
	    "servername=hostname policy_type=sts policy_domain=a.example "
	    "mx_host_pattern=mx1.a.example mx_host_pattern=*.b.example "
	    "{ policy_string = version: STSv1 } { policy_string = mode: "
	    "enforce } { policy_string = mx: mx1.a.example } "
	    "{ policy_string = mx: *.b.example } { policy_string = "
	    "max_age: 86400 }") == 0, "postfix tlsrpt map: %s", buf);
	reply_postfix(&v, buf, sizeof(buf));
	regress_check(strcmp(buf, "OK secure match=mx1.a.example "
	    "servername=hostname") == 0, "the postfix map is unchanged");
	v.kind = VERDICT_DANE;
	v.dane_all = 1;
	reply_postfix_tlsrpt(&v, buf, sizeof(buf));
	regress_check(strcmp(buf, "OK dane-only") == 0,
	    "dane: no attributes (Postfix reports DANE itself)");
	v.kind = VERDICT_STS_TESTING;
	reply_postfix_tlsrpt(&v, buf, sizeof(buf));
	regress_check(strcmp(buf, "NOTFOUND ") == 0, "testing: NOTFOUND");
	regress_check(rpt_map_requested(req, strlen(req), req + 10) == 1,
	    "map name tlsrpt seen");
	req = "19:postfix a.example,";
	regress_check(rpt_map_requested(req, strlen(req), req + 11) == 0,
	    "map name postfix is not it");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL || (dirfd_ = open(dir, O_RDONLY |
	    O_DIRECTORY)) == -1) {
		perror(dir);
		return 1;
	}
	test_days();
	test_store();
	test_torn();
	test_bounds();
	test_unwritable();
	test_report();
	test_dgram();
	test_record();
	test_wire();
	test_postfix();
	close(dirfd_);
	{
		char	 cmd[64];

		(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			regress_diag("%s failed", cmd);
	}
	return regress_exit();
}
