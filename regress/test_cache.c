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
 * The policy cache on disk (RFC 8461 3.3, 5.1; rules R1.5.x of the
 * digest): cache_open(), cache_store() and cache_load() in a scratch
 * directory under /tmp, removed at the end.  Entries are keyed by the
 * policy domain (R1.5.1, R1.5.9), survive a kill -9 at any point as
 * the old or the new version, and a damaged file is treated as absent.
 */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mtasts.h"
#include "regress.h"

#define PATH_LEN	1024
#define CRASH_ROUNDS	50

#define POL_A	"version: STSv1\nmode: enforce\nmx: mail.example.com\n"	\
		"mx: *.backup.example.net\nmax_age: 86400\n"
#define MX10	"mx: a.example\r\nmx: b.example\r\nmx: c.example\r\n"	\
		"mx: d.example\r\nmx: e.example\r\nmx: f.example\r\n"	\
		"mx: g.example\r\nmx: h.example\r\nmx: i.example\r\n"	\
		"mx: j.example\r\n"
#define POL_B	"version: STSv1\r\nmode: testing\r\nmax_age: 604800\r\n" \
		MX10 MX10 MX10 "x-note: caf\xc3\xa9"

static char	 root[] = "/tmp/test_cache.XXXXXX";

static void
path(char *buf, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, PATH_LEN, "%s/%s", dir, name) >= PATH_LEN)
		abort();
}

/* A directory under root, for one group of checks. */
static void
subdir(char *buf, const char *name)
{
	path(buf, root, name);
}

static int
exists(const char *dir, const char *name)
{
	char		 p[PATH_LEN];
	struct stat	 st;

	path(p, dir, name);
	return lstat(p, &st) == 0;
}

static int
write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char	 p[PATH_LEN];
	FILE	*f;
	int	 r;

	path(p, dir, name);
	if ((f = fopen(p, "w")) == NULL)
		return -1;
	r = fwrite(data, 1, len, f) == len ? 0 : -1;
	if (fclose(f) == EOF)
		r = -1;
	return r;
}

static int
set_mtime(const char *dir, const char *name, time_t t)
{
	struct timespec	 ts[2];
	char		 p[PATH_LEN];

	path(p, dir, name);
	ts[0].tv_sec = ts[1].tv_sec = t;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	return utimensat(AT_FDCWD, p, ts, 0);
}

/* Entry files (names not starting with '.') and temporary files. */
static void
list_dir(const char *dir, size_t *entries, size_t *tmps)
{
	struct dirent	*de;
	DIR		*d;

	*entries = *tmps = 0;
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			(*entries)++;
		else if (strncmp(de->d_name, ".tmp.", 5) == 0)
			(*tmps)++;
	}
	closedir(d);
}

static void
rm_tree(const char *dir)
{
	struct dirent	*de;
	struct stat	 st;
	char		 p[PATH_LEN];
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		path(p, dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			(void)unlink(p);
	}
	closedir(d);
	(void)rmdir(dir);
}

static struct cache *
open_or_die(const char *dir, size_t max)
{
	struct cache	*c;
	char		 err[STS_ERR_MAX];

	if ((c = cache_open(dir, max, err, sizeof(err))) == NULL) {
		fprintf(stderr, "cache_open %s: %s\n", dir, err);
		abort();
	}
	return c;
}

static void
set_entry(struct cache_entry *e, const char *domain, const char *id,
    int64_t fetched, const char *body, size_t len)
{
	memset(e, 0, sizeof(*e));
	(void)snprintf(e->domain, sizeof(e->domain), "%s", domain);
	(void)snprintf(e->id, sizeof(e->id), "%s", id);
	e->fetched = fetched;
	e->expires = fetched + 86400;
	e->body = (char *)body;
	e->len = len;
}

static int
entry_is_empty(const struct cache_entry *e)
{
	struct cache_entry	 zero;

	memset(&zero, 0, sizeof(zero));
	return memcmp(e, &zero, sizeof(zero)) == 0;
}

static int
body_is(const struct cache_entry *e, const char *body, size_t len)
{
	if (len == 0)
		return e->len == 0;
	return e->body != NULL && e->len == len &&
	    memcmp(e->body, body, len) == 0 && e->body[len] == '\0';
}

static void
test_open(void)
{
	struct cache	*c;
	struct stat	 st;
	char		 dir[PATH_LEN], err[STS_ERR_MAX];
	int		 ok;

	subdir(dir, "state");
	c = cache_open(dir, 0, err, sizeof(err));
	ok = c != NULL && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 077) == 0;
	regress_check(ok, "cache_open creates the directory, mode 0700");
	cache_close(c);

	c = cache_open(dir, 0, err, sizeof(err));
	regress_check(c != NULL, "cache_open of an existing directory");
	cache_close(c);

	subdir(dir, "no/such/dir");
	err[0] = '\0';
	c = cache_open(dir, 0, err, sizeof(err));
	regress_check(c == NULL && err[0] != '\0',
	    "cache_open under a missing parent fails with a reason");
	cache_close(c);

	if (write_file(root, "plain", "x", 1) == -1)
		abort();
	subdir(dir, "plain");
	err[0] = '\0';
	c = cache_open(dir, 0, err, sizeof(err));
	regress_check(c == NULL && err[0] != '\0',
	    "cache_open of a regular file fails with a reason");
	cache_close(c);
}

static void
test_round_trip(void)
{
	struct cache		*c;
	struct cache_entry	 e, got;
	char			 dir[PATH_LEN];
	int			 r;

	subdir(dir, "rt");
	c = open_or_die(dir, 0);

	/* R1.5.1: policy, id and fetch time, with the failure memory. */
	set_entry(&e, "example.com", "20240101T000000Z", 1700000000,
	    POL_A, sizeof(POL_A) - 1);
	(void)snprintf(e.failed_id, sizeof(e.failed_id), "next2");
	e.failed_at = 1700000300;
	e.negative_until = 0;
	r = cache_store(c, &e, NULL, 0);
	regress_check(r == 0, "3.3 cache_store of a policy");
	memset(&got, 0x5a, sizeof(got));
	r = cache_load(c, "example.com", &got);
	regress_check(r == 0 && strcmp(got.domain, "example.com") == 0 &&
	    strcmp(got.id, "20240101T000000Z") == 0 &&
	    got.fetched == 1700000000 && got.expires == 1700086400 &&
	    strcmp(got.failed_id, "next2") == 0 &&
	    got.failed_at == 1700000300 && got.negative_until == 0,
	    "5.1 round trip keeps domain, id, fetch and expiry times, "
	    "the failed id and time (R1.5.1, R1.3.8)");
	regress_check(r == 0 && body_is(&got, POL_A, sizeof(POL_A) - 1),
	    "3.3 round trip keeps the body byte-exact");
	regress_check(r == 0 && got.pol.mode == STS_MODE_ENFORCE &&
	    got.pol.max_age == 86400 && got.pol.nmx == 2 &&
	    strcmp(got.pol.mx[0], "mail.example.com") == 0 &&
	    strcmp(got.pol.mx[1], "*.backup.example.net") == 0,
	    "3.2 round trip gives the parsed policy: mode, max_age, mx");
	cache_entry_free(&got);

	/* CRLF body, 32-character id, times up to INT64_MAX. */
	set_entry(&e, "mx-1.Example.ORG", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
	    INT64_MAX - 86400, POL_B, sizeof(POL_B) - 1);
	e.negative_until = INT64_MAX;
	r = cache_store(c, &e, NULL, 0);
	memset(&got, 0x5a, sizeof(got));
	if (cache_load(c, "mx-1.Example.ORG", &got) == -1)
		r = -1;
	regress_check(r == 0 &&
	    strcmp(got.id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345") == 0 &&
	    got.fetched == INT64_MAX - 86400 && got.expires == INT64_MAX &&
	    got.failed_id[0] == '\0' && got.failed_at == 0 &&
	    got.negative_until == INT64_MAX &&
	    body_is(&got, POL_B, sizeof(POL_B) - 1) &&
	    got.pol.mode == STS_MODE_TESTING && got.pol.max_age == 604800 &&
	    got.pol.nmx == 30 && strcmp(got.pol.mx[29], "j.example") == 0,
	    "3.2 round trip of a CRLF policy, a 32-char id, INT64_MAX times");
	cache_entry_free(&got);

	/* R1.5.8: no policy, remembered until negative_until. */
	set_entry(&e, "none.example", "", 0, NULL, 0);
	e.negative_until = 1700003600;
	r = cache_store(c, &e, NULL, 0);
	memset(&got, 0x5a, sizeof(got));
	if (cache_load(c, "none.example", &got) == -1)
		r = -1;
	regress_check(r == 0 && strcmp(got.domain, "none.example") == 0 &&
	    got.id[0] == '\0' && got.body == NULL && got.len == 0 &&
	    got.pol.nmx == 0 && got.pol.mx == NULL && got.fetched == 0 &&
	    got.negative_until == 1700003600,
	    "5.1 negative-only entry (no id, empty body) round trip (R1.5.8)");
	cache_entry_free(&got);

	/* R1.3.8: a failed fetch remembered without a policy. */
	set_entry(&e, "failed.example", "", 0, NULL, 0);
	(void)snprintf(e.failed_id, sizeof(e.failed_id), "v2");
	e.failed_at = 1700000600;
	r = cache_store(c, &e, NULL, 0);
	memset(&got, 0x5a, sizeof(got));
	if (cache_load(c, "failed.example", &got) == -1)
		r = -1;
	regress_check(r == 0 && got.id[0] == '\0' && got.body == NULL &&
	    strcmp(got.failed_id, "v2") == 0 && got.failed_at == 1700000600,
	    "3.3 failed-fetch-only entry round trip (R1.3.8)");
	cache_entry_free(&got);

	/* R1.5.9: strictly per policy domain. */
	memset(&got, 0x5a, sizeof(got));
	r = cache_load(c, "missing.example", &got);
	regress_check(r == -1 && entry_is_empty(&got),
	    "5.1 cache_load of a domain never stored fails, entry empty");
	cache_entry_free(&got);
	memset(&got, 0x5a, sizeof(got));
	r = cache_load(c, "sub.example.com", &got);
	regress_check(r == -1 && entry_is_empty(&got),
	    "5.1 a subdomain does not share its parent's entry (R1.5.9)");
	cache_entry_free(&got);

	cache_entry_free(&got);
	regress_check(got.body == NULL && got.pol.mx == NULL,
	    "cache_entry_free twice is harmless");
	cache_close(c);
	cache_close(NULL);
}

/* Damaged files: each one is treated as absent. */
#define MAGIC	"filter-mtasts-cache 1\n"
#define DOM	"domain c.example\n"
#define HEAD	MAGIC DOM "id abc123\nfetched 10\nexpires 20\nfailed - 0\n" \
		"negative 0\n"

struct corrupt_test {
	const char	*name;
	const char	*head;		/* up to the body line, may hold NUL */
	size_t		 hlen;
	int		 bodyline;	/* add "body N\n" */
	const char	*body;
	int		 delta;		/* added to N, the body length */
	size_t		 cut;		/* bytes cut off the end */
	int		 valid;
};

#define C(n, h, l, b, d, c, v)	{ n, h, sizeof(h) - 1, l, b, d, c, v }

static const struct corrupt_test corrupt[] = {
	C("a well-formed file written by hand loads (format check)",
	    HEAD, 1, POL_A, 0, 0, 1),
	C("a file with a bad magic is absent",
	    "filter-mtasts-cache 2\n" DOM "id abc123\nfetched 10\n"
	    "expires 20\nfailed - 0\nnegative 0\n", 1, POL_A, 0, 0, 0),
	C("a file with a magic in capitals is absent",
	    "FILTER-MTASTS-CACHE 1\n" DOM "id abc123\nfetched 10\n"
	    "expires 20\nfailed - 0\nnegative 0\n", 1, POL_A, 0, 0, 0),
	C("an empty file is absent", "", 0, "", 0, 0, 0),
	C("a file of the magic alone is absent", MAGIC, 0, "", 0, 0, 0),
	C("a file cut inside the header is absent", MAGIC DOM "id abc", 0,
	    "", 0, 0, 0),
	C("a file cut before the body line is absent", HEAD, 0, "", 0, 0,
	    0),
	C("a file with a truncated body is absent", HEAD, 1, POL_A, 0, 10,
	    0),
	C("a file with a body one byte short is absent", HEAD, 1, POL_A, 1,
	    0, 0),
	C("a file with a body one byte long is absent", HEAD, 1, POL_A, -1,
	    0, 0),
	C("a file with a body that is not a valid policy is absent",
	    HEAD, 1, "version: STSv1\nmode: enforce\nmx: a.example\n", 0, 0,
	    0),
	C("a file with no id and an invalid policy body is absent",
	    MAGIC DOM "id -\nfetched 10\nexpires 20\nfailed - 0\n"
	    "negative 0\n", 1, "version: STSv1\nmode: bogus\n", 0, 0, 0),
	C("a file with no id and a valid policy body is absent",
	    MAGIC DOM "id -\nfetched 10\nexpires 20\nfailed - 0\n"
	    "negative 0\n", 1, POL_A, 0, 0, 0),
	C("a file with an id holding '-' is absent",
	    MAGIC DOM "id abc-123\nfetched 10\nexpires 20\nfailed - 0\n"
	    "negative 0\n", 1, POL_A, 0, 0, 0),
	C("a file with an id of 33 characters is absent",
	    MAGIC DOM "id abcdefghijabcdefghijabcdefghijabc\nfetched 10\n"
	    "expires 20\nfailed - 0\nnegative 0\n", 1, POL_A, 0, 0, 0),
	C("a file with a failed id holding '_' is absent",
	    MAGIC DOM "id abc123\nfetched 10\nexpires 20\nfailed a_b 5\n"
	    "negative 0\n", 1, POL_A, 0, 0, 0),
	C("a file with an id but an empty body is absent", HEAD, 1, "", 0, 0,
	    0),
	C("a file naming another domain is absent",
	    MAGIC "domain other.example\nid abc123\nfetched 10\n"
	    "expires 20\nfailed - 0\nnegative 0\n", 1, POL_A, 0, 0, 0),
	C("a file with a negative fetch time is absent",
	    MAGIC DOM "id abc123\nfetched -10\nexpires 20\nfailed - 0\n"
	    "negative 0\n", 1, POL_A, 0, 0, 0),
	C("a file with a fetch time '10x' is absent",
	    MAGIC DOM "id abc123\nfetched 10x\nexpires 20\nfailed - 0\n"
	    "negative 0\n", 1, POL_A, 0, 0, 0),
	C("a file with a fetch time past INT64_MAX is absent",
	    MAGIC DOM "id abc123\nfetched 9223372036854775808\nexpires 20\n"
	    "failed - 0\nnegative 0\n", 1, POL_A, 0, 0, 0),
	C("a file with an empty expiry is absent",
	    MAGIC DOM "id abc123\nfetched 10\nexpires \nfailed - 0\n"
	    "negative 0\n", 1, POL_A, 0, 0, 0),
	C("a file without the failed line is absent",
	    MAGIC DOM "id abc123\nfetched 10\nexpires 20\nnegative 0\n", 1,
	    POL_A, 0, 0, 0),
	C("a file with a failed line without a time is absent",
	    MAGIC DOM "id abc123\nfetched 10\nexpires 20\nfailed abc\n"
	    "negative 0\n", 1, POL_A, 0, 0, 0),
	C("a file with its fields out of order is absent",
	    MAGIC DOM "id abc123\nexpires 20\nfetched 10\nfailed - 0\n"
	    "negative 0\n", 1, POL_A, 0, 0, 0),
	C("a file with a NUL in the header is absent",
	    MAGIC DOM "id abc123\nfetched 1\0\nexpires 20\nfailed - 0\n"
	    "negative 0\n", 1, POL_A, 0, 0, 0),
};

static void
test_corrupt(void)
{
	const struct corrupt_test	*t;
	struct cache			*c;
	struct cache_entry		 got;
	char				 dir[PATH_LEN], *buf;
	size_t				 i, bl, len;
	int				 r, ok;

	subdir(dir, "corrupt");
	c = open_or_die(dir, 0);
	for (i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		t = &corrupt[i];
		bl = strlen(t->body);
		if ((buf = malloc(t->hlen + bl + 32)) == NULL)
			abort();
		memcpy(buf, t->head, t->hlen);
		len = t->hlen;
		if (t->bodyline)
			len += sprintf(buf + len, "body %ld\n",
			    (long)bl + t->delta);
		memcpy(buf + len, t->body, bl);
		len += bl - t->cut;
		if (write_file(dir, "c.example", buf, len) == -1)
			abort();
		free(buf);
		memset(&got, 0x5a, sizeof(got));
		r = cache_load(c, "c.example", &got);
		if (t->valid)
			ok = r == 0 && body_is(&got, t->body, bl) &&
			    strcmp(got.id, "abc123") == 0;
		else
			ok = r == -1 && entry_is_empty(&got);
		if (!ok)
			regress_diag("cache_load returned %d", r);
		regress_check(ok, "5.1 %s", t->name);
		cache_entry_free(&got);
	}

	/* Larger than any entry can be, its body length right. */
	bl = STS_POLICY_MAX + 2048;
	if ((buf = malloc(sizeof(HEAD) + 32 + bl)) == NULL)
		abort();
	len = sprintf(buf, HEAD "body %zu\n", bl);
	memset(buf + len, 'x', bl);
	len += bl;
	if (write_file(dir, "c.example", buf, len) == -1)
		abort();
	free(buf);
	memset(&got, 0x5a, sizeof(got));
	r = cache_load(c, "c.example", &got);
	regress_check(r == -1 && entry_is_empty(&got),
	    "5.1 a file larger than 65536 + 1024 bytes is absent");
	cache_entry_free(&got);
	cache_close(c);
}

/* Names that are not host names never reach the file system. */
static void
test_names(void)
{
	static const char *const bad[] = {
		"../x", ".hidden", "a/b", "", ".", "..", "/x", "x/..",
		"-x.example", "a..b", "x.example.", "a b", ".tmp.x.1",
	};
	struct cache		*c;
	struct cache_entry	 e, got;
	char			 dir[PATH_LEN], body[512];
	size_t			 i, n, entries, tmps;
	int			 r;

	subdir(dir, "names");
	c = open_or_die(dir, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_entry(&e, bad[i], "abc", 10, POL_A, sizeof(POL_A) - 1);
		r = cache_store(c, &e, NULL, 0);
		list_dir(dir, &entries, &tmps);
		regress_check(r == -1 && entries == 0 && tmps == 0 &&
		    !exists(root, "x"), "5.1 cache_store refuses domain "
		    "\"%s\", writes nothing", bad[i]);
	}

	/* Files that would load, were the name not refused first. */
	n = snprintf(body, sizeof(body), MAGIC "domain ../x\nid abc\n"
	    "fetched 10\nexpires 20\nfailed - 0\nnegative 0\nbody %zu\n"
	    POL_A, sizeof(POL_A) - 1);
	if (write_file(root, "x", body, n) == -1)
		abort();
	n = snprintf(body, sizeof(body), MAGIC "domain .hidden\nid abc\n"
	    "fetched 10\nexpires 20\nfailed - 0\nnegative 0\nbody %zu\n"
	    POL_A, sizeof(POL_A) - 1);
	if (write_file(dir, ".hidden", body, n) == -1)
		abort();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&got, 0x5a, sizeof(got));
		r = cache_load(c, bad[i], &got);
		regress_check(r == -1 && entry_is_empty(&got),
		    "5.1 cache_load refuses domain \"%s\"", bad[i]);
		cache_entry_free(&got);
	}
	cache_close(c);
}

static void
test_overwrite(void)
{
	struct cache		*c;
	struct cache_entry	 e, got;
	char			 dir[PATH_LEN];
	size_t			 entries, tmps;
	int			 r;

	subdir(dir, "overwrite");
	c = open_or_die(dir, 0);
	set_entry(&e, "ow.example", "first", 100, POL_A, sizeof(POL_A) - 1);
	r = cache_store(c, &e, NULL, 0);
	set_entry(&e, "ow.example", "second", 200, POL_B, sizeof(POL_B) - 1);
	if (cache_store(c, &e, NULL, 0) == -1)
		r = -1;
	memset(&got, 0x5a, sizeof(got));
	if (cache_load(c, "ow.example", &got) == -1)
		r = -1;
	regress_check(r == 0 && strcmp(got.id, "second") == 0 &&
	    got.fetched == 200 && body_is(&got, POL_B, sizeof(POL_B) - 1),
	    "5.1 a second store replaces the entry");
	cache_entry_free(&got);

	/* A shorter entry over a longer one: no tail of the old one. */
	set_entry(&e, "ow.example", "third", 300, POL_A, sizeof(POL_A) - 1);
	r = cache_store(c, &e, NULL, 0);
	memset(&got, 0x5a, sizeof(got));
	if (cache_load(c, "ow.example", &got) == -1)
		r = -1;
	regress_check(r == 0 && strcmp(got.id, "third") == 0 &&
	    body_is(&got, POL_A, sizeof(POL_A) - 1),
	    "5.1 a shorter entry replaces a longer one whole");
	cache_entry_free(&got);

	list_dir(dir, &entries, &tmps);
	regress_check(entries == 1 && tmps == 0,
	    "5.1 after the stores one entry file and no .tmp. file remain");
	cache_close(c);
}

static void
test_stale_tmp(void)
{
	struct cache	*c;
	char		 dir[PATH_LEN];
	time_t		 now = time(NULL);

	subdir(dir, "stale");
	c = open_or_die(dir, 0);
	cache_close(c);
	if (write_file(dir, ".tmp.x.123", "junk", 4) == -1 ||
	    write_file(dir, ".tmp.y.456", "junk", 4) == -1 ||
	    write_file(dir, ".tmp.z.789", "junk", 4) == -1 ||
	    write_file(dir, ".keep", "junk", 4) == -1 ||
	    write_file(dir, "old.example", "junk", 4) == -1 ||
	    set_mtime(dir, ".tmp.x.123", now - 7200) == -1 ||
	    set_mtime(dir, ".tmp.y.456", now - 60) == -1 ||
	    set_mtime(dir, ".tmp.z.789", now - 3000) == -1 ||
	    set_mtime(dir, ".keep", now - 7200) == -1 ||
	    set_mtime(dir, "old.example", now - 7200) == -1)
		abort();
	/* One-shot commands read no directory: the litter stays. */
	c = open_or_die(dir, 0);
	regress_check(exists(dir, ".tmp.x.123"),
	    "cache_open without a bound reads no directory, removes nothing");
	cache_close(c);
	c = open_or_die(dir, 100);
	regress_check(!exists(dir, ".tmp.x.123"),
	    "5.1 cache_open removes a temporary file older than an hour");
	regress_check(exists(dir, ".tmp.y.456") && exists(dir, ".tmp.z.789"),
	    "5.1 cache_open keeps temporary files younger than an hour");
	regress_check(exists(dir, ".keep") && exists(dir, "old.example"),
	    "5.1 cache_open removes only temporary files");
	cache_close(c);
}

/* Exactly these entry files, out of d1..d9.example. */
static int
holds(const char *dir, const char *want)
{
	char	 name[32];
	size_t	 entries, tmps;
	int	 i, ok = 1;

	for (i = 1; i <= 9; i++) {
		(void)snprintf(name, sizeof(name), "d%d.example", i);
		if (exists(dir, name) != (strchr(want, '0' + i) != NULL)) {
			regress_diag("%s %s", name, exists(dir, name) ?
			    "present" : "missing");
			ok = 0;
		}
	}
	list_dir(dir, &entries, &tmps);
	return ok && entries == strlen(want) && tmps == 0;
}

static int
store_d(struct cache *c, const char *dir, int i, time_t mtime)
{
	struct cache_entry	 e;
	char			 name[32];

	(void)snprintf(name, sizeof(name), "d%d.example", i);
	set_entry(&e, name, "v1", 10, POL_A, sizeof(POL_A) - 1);
	if (cache_store(c, &e, NULL, 0) == -1)
		return -1;
	return mtime == 0 ? 0 : set_mtime(dir, name, mtime);
}

static void
test_bounded(void)
{
	struct cache	*c;
	char		 dir[PATH_LEN];
	time_t		 base = 1000000000;
	int		 i, r = 0;

	subdir(dir, "bounded");
	c = open_or_die(dir, 3);
	for (i = 1; i <= 5 && r == 0; i++)
		r = store_d(c, dir, i, base + i);
	regress_check(r == 0 && holds(dir, "345"),
	    "5.1 bound of 3: after 5 domains the 3 newest remain");

	/* Replacing an entry evicts nothing; it becomes the newest. */
	r = store_d(c, dir, 3, 0);
	regress_check(r == 0 && holds(dir, "345"),
	    "5.1 bound of 3: storing an existing domain evicts nothing");
	r = store_d(c, dir, 6, base + 6);
	regress_check(r == 0 && holds(dir, "356"),
	    "5.1 bound of 3: the oldest by mtime goes, not the first stored");
	cache_close(c);

	/* Opened again with the same bound: the count comes from disk. */
	c = open_or_die(dir, 3);
	r = store_d(c, dir, 7, base + 7);
	regress_check(r == 0 && holds(dir, "367"),
	    "5.1 bound of 3 after reopening: still 3 entries");
	cache_close(c);

	/* A smaller bound than what is on disk: back under it. */
	c = open_or_die(dir, 2);
	r = store_d(c, dir, 8, base + 8);
	regress_check(r == 0 && holds(dir, "38"),
	    "5.1 bound lowered to 2: one store brings it down to 2");
	cache_close(c);
}

/*
 * A writer killed with SIGKILL at arbitrary points, while a reader
 * reads along: every load gives one whole version.
 */
static struct cache_entry	 crash_a, crash_b;

static int
crash_entry_ok(const struct cache_entry *e)
{
	if (strcmp(e->id, "a1") == 0)
		return e->fetched == 111 && e->expires == 111 + 86400 &&
		    body_is(e, POL_A, sizeof(POL_A) - 1) &&
		    e->pol.mode == STS_MODE_ENFORCE && e->pol.nmx == 2;
	if (strcmp(e->id, "b2") == 0)
		return e->fetched == 222 && e->expires == 222 + 86400 &&
		    body_is(e, POL_B, sizeof(POL_B) - 1) &&
		    e->pol.mode == STS_MODE_TESTING && e->pol.nmx == 30;
	return 0;
}

/* Store A, B, A, ... for ever; say so after the first n + 1. */
static void
crash_child(const char *dir, int fd, int n)
{
	struct cache	*c;
	char		 err[STS_ERR_MAX];
	int		 i;

	if ((c = cache_open(dir, 0, err, sizeof(err))) == NULL)
		_exit(1);
	for (i = 0;; i++) {
		if (cache_store(c, i % 2 ? &crash_b : &crash_a, NULL, 0) == -1)
			_exit(1);
		if (i == n && write(fd, "x", 1) != 1)
			_exit(1);
	}
}

static int
crash_round(const char *dir, struct cache *c, int round)
{
	struct cache_entry	 got;
	pid_t			 pid;
	char			 ch;
	int			 fds[2], st, j, ok = 1;

	if (pipe(fds) == -1)
		abort();
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		close(fds[0]);
		crash_child(dir, fds[1], round % 10);
		_exit(1);
	}
	close(fds[1]);
	if (read(fds[0], &ch, 1) != 1) {
		regress_diag("writer failed");
		ok = 0;
	}
	/*
	 * Read along while the writer runs, more or less long, so the kill
	 * lands at different points of a store.
	 */
	for (j = 0; j < (round * 37) % 101 && ok; j++) {
		if (cache_load(c, "crash.example", &got) == -1 ||
		    !crash_entry_ok(&got)) {
			regress_diag("load beside the writer: id \"%s\"",
			    got.id);
			ok = 0;
		}
		cache_entry_free(&got);
	}
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	close(fds[0]);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
		regress_diag("the writer stopped before the kill");
		ok = 0;
	}
	if (cache_load(c, "crash.example", &got) == -1 ||
	    !crash_entry_ok(&got)) {
		regress_diag("load after kill -9 at round %d: id \"%s\"",
		    round, got.id);
		ok = 0;
	}
	cache_entry_free(&got);
	return ok;
}

static void
test_crash(void)
{
	struct cache		*c;
	struct cache_entry	 got;
	char			 dir[PATH_LEN];
	size_t			 entries, tmps;
	int			 i, ok = 1, a = 0, b = 0;

	subdir(dir, "crash");
	c = open_or_die(dir, 0);
	set_entry(&crash_a, "crash.example", "a1", 111, POL_A,
	    sizeof(POL_A) - 1);
	set_entry(&crash_b, "crash.example", "b2", 222, POL_B,
	    sizeof(POL_B) - 1);
	if (cache_store(c, &crash_a, NULL, 0) == -1)
		abort();
	for (i = 0; i < CRASH_ROUNDS && ok; i++) {
		if (!(ok = crash_round(dir, c, i)))
			break;
		if (cache_load(c, "crash.example", &got) == 0) {
			if (strcmp(got.id, "a1") == 0)
				a++;
			else
				b++;
		}
		cache_entry_free(&got);
	}
	regress_check(ok, "5.1 kill -9 of a writer in %d rounds: every load "
	    "gives one whole version", CRASH_ROUNDS);
	regress_diag("after the kills: %d times a1, %d times b2", a, b);
	list_dir(dir, &entries, &tmps);
	regress_check(entries == 1,
	    "5.1 kill -9 leaves one entry file, only temporary litter");
	cache_close(c);
}

/* Whole contents of a file outside the cache, or "" when unreadable. */
static void
slurp(const char *p, char *buf, size_t bufsz)
{
	FILE	*f;
	size_t	 n = 0;

	buf[0] = '\0';
	if ((f = fopen(p, "r")) == NULL)
		return;
	n = fread(buf, 1, bufsz - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static int
plant_link(const char *target, const char *dir, const char *name)
{
	char	 p[PATH_LEN];

	path(p, dir, name);
	return symlink(target, p);
}

static int
is_regular(const char *dir, const char *name)
{
	char		 p[PATH_LEN];
	struct stat	 st;

	path(p, dir, name);
	return lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

#define VICTIM	"precious\n"

/*
 * Run before any other store: the temporary names of this process are
 * then known, pid and a sequence number from 0.  The directory belongs
 * to an unprivileged user who may plant links there for root to follow.
 */
static void
test_planted_tmp(void)
{
	struct cache		*c;
	struct cache_entry	 e, got;
	char			 dir[PATH_LEN], victim[PATH_LEN], name[128];
	char			 buf[256], err[CACHE_ERR_MAX];
	int			 i, r, ok = 1;

	subdir(dir, "plant-tmp");
	subdir(victim, "victim");
	c = open_or_die(dir, 0);
	if (write_file(root, "victim", VICTIM, sizeof(VICTIM) - 1) == -1)
		abort();
	for (i = 0; i < 3; i++) {
		(void)snprintf(name, sizeof(name), ".tmp.t.example.%ld.%d",
		    (long)getpid(), i);
		if (plant_link(victim, dir, name) == -1)
			abort();
	}
	set_entry(&e, "t.example", "v1", 10, POL_A, sizeof(POL_A) - 1);
	r = cache_store(c, &e, err, sizeof(err));
	slurp(victim, buf, sizeof(buf));
	regress_check(strcmp(buf, VICTIM) == 0,
	    "a link planted at the temporary name is not followed: "
	    "the file it points at is untouched");
	if (r == 0 && cache_load(c, "t.example", &got) == 0)
		ok = strcmp(got.id, "v1") == 0;
	else
		ok = 0;
	cache_entry_free(&got);
	regress_check(ok, "the store goes on under another temporary name");

	/* Every name it may try is taken: it fails, and says why. */
	for (i = 0; i < 64; i++) {
		(void)snprintf(name, sizeof(name), ".tmp.t.example.%ld.%d",
		    (long)getpid(), 4 + i);
		if (plant_link(victim, dir, name) == -1)
			abort();
	}
	set_entry(&e, "t.example", "v2", 20, POL_A, sizeof(POL_A) - 1);
	err[0] = '\0';
	r = cache_store(c, &e, err, sizeof(err));
	slurp(victim, buf, sizeof(buf));
	ok = r == -1 && strstr(err, strerror(EEXIST)) != NULL &&
	    strcmp(buf, VICTIM) == 0;
	if (!ok)
		regress_diag("store returned %d: \"%s\"", r, err);
	if (cache_load(c, "t.example", &got) == -1 || strcmp(got.id, "v1") != 0)
		ok = 0;
	cache_entry_free(&got);
	regress_check(ok, "with every temporary name taken, the store fails "
	    "with the reason and the old entry stays");
	cache_close(c);
}

static void
test_planted_entry(void)
{
	struct cache		*c;
	struct cache_entry	 e, got;
	char			 dir[PATH_LEN], victim[PATH_LEN], buf[512];
	char			 want[512];
	int			 n, r;

	subdir(dir, "plant-link");
	subdir(victim, "victim-entry");
	c = open_or_die(dir, 0);
	/* A file that would load, for the link to lead to. */
	n = snprintf(want, sizeof(want), MAGIC "domain l.example\nid abc\n"
	    "fetched 10\nexpires 20\nfailed - 0\nnegative 0\nbody %zu\n"
	    POL_A, sizeof(POL_A) - 1);
	if (write_file(root, "victim-entry", want, n) == -1 ||
	    plant_link(victim, dir, "l.example") == -1)
		abort();
	memset(&got, 0x5a, sizeof(got));
	r = cache_load(c, "l.example", &got);
	regress_check(r == -1 && entry_is_empty(&got),
	    "a link planted as an entry is not followed: absent");
	cache_entry_free(&got);
	set_entry(&e, "l.example", "v2", 10, POL_A, sizeof(POL_A) - 1);
	r = cache_store(c, &e, NULL, 0);
	slurp(victim, buf, sizeof(buf));
	regress_check(r == 0 && strcmp(buf, want) == 0 &&
	    is_regular(dir, "l.example"),
	    "a store replaces a link planted as an entry, not its target");
	cache_close(c);
}

/* A FIFO would block open(2) for good: the load runs in a child. */
static void
test_planted_fifo(void)
{
	struct cache		*c;
	struct cache_entry	 e, got;
	char			 dir[PATH_LEN], p[PATH_LEN];
	pid_t			 pid;
	int			 st, r;

	subdir(dir, "plant-fifo");
	c = open_or_die(dir, 0);
	path(p, dir, "f.example");
	if (mkfifo(p, 0600) == -1)
		abort();
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		alarm(10);
		r = cache_load(c, "f.example", &got);
		_exit(r == -1 && entry_is_empty(&got) ? 0 : 1);
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (WIFSIGNALED(st))
		regress_diag("the load was killed by signal %d",
		    WTERMSIG(st));
	regress_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "a FIFO planted as an entry loads at once, as absent");
	set_entry(&e, "f.example", "v1", 10, POL_A, sizeof(POL_A) - 1);
	r = cache_store(c, &e, NULL, 0);
	regress_check(r == 0 && is_regular(dir, "f.example"),
	    "a store replaces a FIFO planted as an entry");
	cache_close(c);
}

static void
test_planted_dir(void)
{
	struct cache		*c;
	struct cache_entry	 e, got;
	char			 dir[PATH_LEN], p[PATH_LEN], err[CACHE_ERR_MAX];
	size_t			 entries, tmps;
	int			 r;

	subdir(dir, "plant-dir");
	c = open_or_die(dir, 0);
	path(p, dir, "d.example");
	if (mkdir(p, 0700) == -1)
		abort();
	memset(&got, 0x5a, sizeof(got));
	r = cache_load(c, "d.example", &got);
	regress_check(r == -1 && entry_is_empty(&got),
	    "a directory where an entry should be loads as absent");
	cache_entry_free(&got);
	set_entry(&e, "d.example", "", 0, NULL, 0);
	e.negative_until = 1000;
	err[0] = '\0';
	r = cache_store(c, &e, err, sizeof(err));
	list_dir(dir, &entries, &tmps);
	if (r != -1 || strstr(err, strerror(EISDIR)) == NULL)
		regress_diag("store returned %d: \"%s\"", r, err);
	regress_check(r == -1 && strstr(err, "d.example") != NULL &&
	    strstr(err, strerror(EISDIR)) != NULL && tmps == 0,
	    "a store onto a directory fails, says why, leaves no litter");
	cache_close(c);
}

/*
 * "id -" with a body: the resolver loads it, finds no policy, and
 * stores what it loaded with negative_until set, which must work.
 */
static void
test_id_dash_body(void)
{
	struct cache		*c;
	struct cache_entry	 got;
	char			 dir[PATH_LEN], buf[512], err[CACHE_ERR_MAX];
	int			 n, r;

	subdir(dir, "dash");
	c = open_or_die(dir, 0);
	n = snprintf(buf, sizeof(buf), MAGIC "domain n.example\nid -\n"
	    "fetched 10\nexpires 20\nfailed - 0\nnegative 0\nbody %zu\n"
	    POL_A, sizeof(POL_A) - 1);
	if (write_file(dir, "n.example", buf, n) == -1)
		abort();
	(void)cache_load(c, "n.example", &got);
	(void)snprintf(got.domain, sizeof(got.domain), "n.example");
	got.negative_until = 12345;
	err[0] = '\0';
	r = cache_store(c, &got, err, sizeof(err));
	if (r == -1)
		regress_diag("store: %s", err);
	cache_entry_free(&got);
	if (cache_load(c, "n.example", &got) == -1 || got.id[0] != '\0' ||
	    got.len != 0 || got.negative_until != 12345)
		r = -1;
	cache_entry_free(&got);
	regress_check(r == 0, "an entry of 'id -' with a body is replaced "
	    "by the next store of what was loaded");
	cache_close(c);
}

static int
store_named(struct cache *c, const char *name, int policy)
{
	struct cache_entry	 e;

	if (policy)
		set_entry(&e, name, "v1", 10, POL_A, sizeof(POL_A) - 1);
	else {
		set_entry(&e, name, "", 0, NULL, 0);
		e.negative_until = 1000;
	}
	return cache_store(c, &e, NULL, 0);
}

/* Exactly the entry files named in want, separated by spaces. */
static int
holds_names(const char *dir, const char *want)
{
	char	 name[DNS_NAME_MAX + 1];
	size_t	 entries, tmps, w = 0, len;
	int	 ok = 1;

	while (*want != '\0') {
		len = strcspn(want, " ");
		(void)snprintf(name, sizeof(name), "%.*s", (int)len, want);
		if (!exists(dir, name)) {
			regress_diag("%s missing", name);
			ok = 0;
		}
		w++;
		want += len + (want[len] == ' ');
	}
	list_dir(dir, &entries, &tmps);
	if (entries != w)
		regress_diag("%zu entries, want %zu", entries, w);
	return ok && entries == w;
}

static void
test_index(void)
{
	struct cache		*c;
	struct cache_stats	 st;
	char			 dir[PATH_LEN];
	int			 r = 0;

	subdir(dir, "index");
	c = open_or_die(dir, 4);
	cache_stats(c, &st);
	regress_check(st.scans == 1 && st.entries == 0 && st.max == 4,
	    "cache_open with a bound reads the directory once");
	r |= store_named(c, "n1.example", 0);
	r |= store_named(c, "p1.example", 1);
	r |= store_named(c, "p2.example", 1);
	r |= store_named(c, "n2.example", 0);
	r |= store_named(c, "p3.example", 1);
	regress_check(r == 0 && holds_names(dir,
	    "p1.example p2.example n2.example p3.example"),
	    "bound of 4: a fifth domain evicts the oldest entry");
	r = store_named(c, "p4.example", 1);
	regress_check(r == 0 && holds_names(dir,
	    "p1.example p2.example p3.example p4.example"),
	    "an entry without a policy is evicted before older policies");
	r = store_named(c, "p1.example", 1);
	r |= store_named(c, "p5.example", 1);
	regress_check(r == 0 && holds_names(dir,
	    "p1.example p3.example p4.example p5.example"),
	    "a policy stored again is the newest: the next oldest goes");

	/* Planted behind the index's back, very old: not seen, kept. */
	if (write_file(dir, "zz.example", "junk", 4) == -1 ||
	    set_mtime(dir, "zz.example", 1) == -1)
		abort();
	r = store_named(c, "p6.example", 1);
	cache_stats(c, &st);
	regress_check(r == 0 && st.scans == 1 && st.entries == 4 &&
	    holds_names(dir, "p1.example p4.example p5.example p6.example "
	    "zz.example"),
	    "stores into a full cache read no directory: %lu reads",
	    st.scans);
	cache_close(c);

	c = open_or_die(dir, 4);
	cache_stats(c, &st);
	regress_check(st.entries == 4 && st.evictions == 1 &&
	    !exists(dir, "zz.example"),
	    "cache_open over the bound removes the oldest files by mtime");
	cache_close(c);
}

static void
test_fsync(void)
{
	struct cache		*c;
	struct cache_stats	 a, b;
	struct cache_entry	 e;
	char			 dir[PATH_LEN];
	int			 r;

	subdir(dir, "fsync");
	c = open_or_die(dir, 0);
	cache_stats(c, &a);
	set_entry(&e, "neg.example", "", 0, NULL, 0);
	e.negative_until = 1000;
	r = cache_store(c, &e, NULL, 0);
	set_entry(&e, "fail.example", "", 0, NULL, 0);
	(void)snprintf(e.failed_id, sizeof(e.failed_id), "v2");
	e.failed_at = 1000;
	r |= cache_store(c, &e, NULL, 0);
	cache_stats(c, &b);
	regress_check(r == 0 && b.fsyncs == a.fsyncs,
	    "entries without a policy are not flushed: %lu fsyncs",
	    b.fsyncs - a.fsyncs);
	set_entry(&e, "pol.example", "v1", 10, POL_A, sizeof(POL_A) - 1);
	r = cache_store(c, &e, NULL, 0);
	cache_stats(c, &a);
	regress_check(r == 0 && a.fsyncs == b.fsyncs + 2,
	    "a policy is flushed, the file and the directory: %lu fsyncs",
	    a.fsyncs - b.fsyncs);
	cache_close(c);
}

static void
test_private(void)
{
	struct cache	*c;
	char		 dir[PATH_LEN];

	subdir(dir, "private");
	c = open_or_die(dir, 0);
	regress_check(cache_private(c) == 1,
	    "a directory of mode 0700 of ours is private");
	if (chmod(dir, 0770) == -1)
		abort();
	regress_check(cache_private(c) == 0,
	    "a directory the group may write is not private");
	cache_close(c);
}

int
main(void)
{
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_planted_tmp();	/* first: its temporary names are known */
	test_planted_entry();
	test_planted_fifo();
	test_planted_dir();
	test_id_dash_body();
	test_index();
	test_fsync();
	test_private();
	test_open();
	test_round_trip();
	test_corrupt();
	test_names();
	test_overwrite();
	test_stale_tmp();
	test_bounded();
	test_crash();
	rm_tree(root);
	regress_check(access(root, F_OK) == -1,
	    "the scratch directory is removed");
	return regress_exit();
}
