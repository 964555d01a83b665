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
 * bench_cache: disk and memory cost of cached policies.
 *	bench_cache [stores [bound]]	(default 100000 10000)
 * 1. scale: stores distinct domains into a cache bounded at bound, as
 *    the network process does, and prints the time per store for each
 *    tenth of the run: flat when eviction costs the same at any size.
 * 2. the cost of one store of a policy (two fsyncs) and of an entry
 *    without a policy (none), into a cache opened without a bound.
 * 3. the time per load, bytes per file and heap bytes per loaded entry.
 * 4. the open of a bounded cache over stores entries: time of its one
 *    directory read, and heap bytes per indexed name (mallinfo2, glibc).
 * The directories are made under $TMPDIR, by default /tmp; on a tmpfs
 * the figures leave the disk out.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mtasts.h"

static const char policy[] = "version: STSv1\r\nmode: enforce\r\n"
    "mx: mx1.example.com\r\nmx: *.mx.example.net\r\nmax_age: 604800\r\n";

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
fill(struct cache_entry *e, const char *prefix, size_t i, int pol)
{
	struct sts_error err;

	memset(e, 0, sizeof(*e));
	snprintf(e->domain, sizeof(e->domain), "%s%zu.example.com", prefix,
	    i);
	if (!pol) {
		e->negative_until = time(NULL) + 600;
		return;
	}
	snprintf(e->id, sizeof(e->id), "20261122T%zu", i);
	e->fetched = time(NULL);
	e->expires = e->fetched + 604800;
	e->body = (char *)policy;
	e->len = sizeof(policy) - 1;
	(void)sts_policy_parse(e->body, e->len, &e->pol, &err, NULL, NULL);
}

static int
store(struct cache *c, const char *prefix, size_t i, int pol)
{
	struct cache_entry	 e;
	char			 err[CACHE_ERR_MAX];
	int			 r;

	fill(&e, prefix, i, pol);
	if ((r = cache_store(c, &e, err, sizeof(err))) == -1)
		fprintf(stderr, "store: %s\n", err);
	sts_policy_free(&e.pol);
	return r;
}

static void
rm_dir(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	char		 p[1024];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (de->d_name[0] != '.' || strncmp(de->d_name, ".tmp.", 5) == 0)
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Under $TMPDIR, /tmp by default: a tmpfs leaves the disk out. */
static void
scratch(char *dir)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(dir, PATH_MAX, "%s/bench_cache.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		exit(1);
	}
}

static struct cache *
open_dir(char *dir, size_t max)
{
	struct cache	*c;
	char		 err[CACHE_ERR_MAX];

	if ((c = cache_open(dir, max, err, sizeof(err))) == NULL) {
		fprintf(stderr, "cache_open: %s\n", err);
		exit(1);
	}
	return c;
}

/* Stores of new domains into a full cache cost what the first did. */
static void
bench_scale(size_t n, size_t bound)
{
	struct cache		*c;
	struct cache_stats	 st;
	char			 dir[PATH_MAX];
	size_t			 i, step = n / 10 ? n / 10 : 1;
	double			 t0;

	scratch(dir);
	c = open_dir(dir, bound);
	printf("scale: %zu stores of new domains without a policy, "
	    "bound %zu\n", n, bound);
	t0 = now();
	for (i = 0; i < n; i++) {
		if (store(c, "s", i, 0) == -1)
			exit(1);
		if ((i + 1) % step == 0) {
			printf("  stores %7zu-%7zu: %6.1f us/store\n",
			    i + 2 - step, i + 1, (now() - t0) * 1e6 / step);
			t0 = now();
		}
	}
	cache_stats(c, &st);
	printf("  entries %zu, evictions %lu, directory reads %lu\n",
	    st.entries, st.evictions, st.scans);
	cache_close(c);
	rm_dir(dir);
}

static void
bench_kinds(size_t n)
{
	struct cache	*c;
	char		 dir[PATH_MAX];
	size_t		 i;
	double		 t0, tp, tn;

	scratch(dir);
	c = open_dir(dir, 0);
	/* Without a policy first: the flushes must not weigh on them. */
	sync();
	t0 = now();
	for (i = 0; i < n; i++)
		if (store(c, "n", i, 0) == -1)
			exit(1);
	tn = now() - t0;
	t0 = now();
	for (i = 0; i < n; i++)
		if (store(c, "p", i, 1) == -1)
			exit(1);
	tp = now() - t0;
	printf("store of a policy: %.1f us (write, fsync, rename, "
	    "fsync dir)\n", tp * 1e6 / n);
	printf("store without a policy: %.1f us (write, rename)\n",
	    tn * 1e6 / n);
	cache_close(c);
	rm_dir(dir);
}

static void
bench_load(size_t n)
{
	struct cache		*c;
	struct cache_entry	*all;
	struct mallinfo2	 before, after;
	struct stat		 st;
	char			 dir[PATH_MAX], d[64];
	char			 path[PATH_MAX + 64];
	size_t			 i;
	double			 t0;

	scratch(dir);
	c = open_dir(dir, 0);
	for (i = 0; i < n; i++)
		if (store(c, "d", i, 1) == -1)
			exit(1);
	if ((all = calloc(n, sizeof(*all))) == NULL)
		exit(1);
	before = mallinfo2();
	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(d, sizeof(d), "d%zu.example.com", i);
		if (cache_load(c, d, &all[i]) == -1)
			exit(1);
	}
	t0 = now() - t0;
	after = mallinfo2();
	snprintf(path, sizeof(path), "%s/d0.example.com", dir);
	stat(path, &st);
	printf("load: %.1f us/entry (read, parse)\n", t0 * 1e6 / n);
	printf("disk: %lld bytes/policy file, %lld bytes allocated\n",
	    (long long)st.st_size, (long long)st.st_blocks * 512);
	printf("memory: %zu bytes/entry in struct cache_entry, "
	    "+%.0f heap bytes/loaded entry\n", sizeof(struct cache_entry),
	    (double)(after.uordblks - before.uordblks) / n);
	for (i = 0; i < n; i++)
		cache_entry_free(&all[i]);
	free(all);
	cache_close(c);
	rm_dir(dir);
}

static void
bench_index(size_t n)
{
	struct cache		*c;
	struct cache_stats	 st;
	struct mallinfo2	 before, after;
	char			 dir[PATH_MAX];
	size_t			 i;
	double			 t0;

	scratch(dir);
	c = open_dir(dir, 0);
	for (i = 0; i < n; i++)
		if (store(c, "i", i, 0) == -1)
			exit(1);
	cache_close(c);
	before = mallinfo2();
	t0 = now();
	c = open_dir(dir, n);
	t0 = now() - t0;
	after = mallinfo2();
	cache_stats(c, &st);
	printf("open over %zu entries, bound %zu: %.0f ms, %zu indexed, "
	    "%.1f heap bytes/indexed name (names like i12345.example.com)\n",
	    n, n, t0 * 1e3, st.entries,
	    ((double)after.uordblks + after.hblkhd - before.uordblks -
	    before.hblkhd) / st.entries);
	cache_close(c);
	rm_dir(dir);
}

int
main(int argc, char *argv[])
{
	size_t	 n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	size_t	 bound = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;

	if (n == 0 || bound == 0)
		return 1;
	bench_scale(n, bound);
	bench_kinds(n < 1000 ? n : 1000);
	bench_load(bound);
	bench_index(n);
	return 0;
}
