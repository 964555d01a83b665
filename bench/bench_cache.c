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
 * Stores N entries with a typical two-mx enforce policy, loads them all
 * back, and reports the time per store and load, the bytes per file,
 * and the heap bytes per loaded entry (mallinfo2, glibc).
 */

#include <sys/stat.h>

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
fill(struct cache_entry *e, size_t i)
{
	struct sts_error err;

	memset(e, 0, sizeof(*e));
	snprintf(e->domain, sizeof(e->domain), "d%zu.example.com", i);
	snprintf(e->id, sizeof(e->id), "20261122T%zu", i);
	e->fetched = time(NULL);
	e->expires = e->fetched + 604800;
	e->body = (char *)policy;
	e->len = sizeof(policy) - 1;
	(void)sts_policy_parse(e->body, e->len, &e->pol, &err, NULL, NULL);
}

int
main(int argc, char *argv[])
{
	struct cache		*c;
	struct cache_entry	 e, *all;
	struct mallinfo2	 before, after;
	struct stat		 st;
	char			 dir[] = "/tmp/bench_cache.XXXXXX", err[256];
	char			 path[512];
	size_t			 i, n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	double			 t0, t1, t2;

	if (mkdtemp(dir) == NULL || (c = cache_open(dir, n, err,
	    sizeof(err))) == NULL)
		return 1;
	t0 = now();
	for (i = 0; i < n; i++) {
		fill(&e, i);
		if (cache_store(c, &e) == -1)
			return 1;
		sts_policy_free(&e.pol);
	}
	t1 = now();
	if ((all = calloc(n, sizeof(*all))) == NULL)
		return 1;
	before = mallinfo2();
	for (i = 0; i < n; i++) {
		char d[64];

		snprintf(d, sizeof(d), "d%zu.example.com", i);
		if (cache_load(c, d, &all[i]) == -1)
			return 1;
	}
	after = mallinfo2();
	t2 = now();
	snprintf(path, sizeof(path), "%s/d0.example.com", dir);
	stat(path, &st);
	printf("entries: %zu\n", n);
	printf("store: %.1f us/entry (write, fsync, rename, fsync dir)\n",
	    (t1 - t0) * 1e6 / n);
	printf("load: %.1f us/entry (read, parse)\n", (t2 - t1) * 1e6 / n);
	printf("disk: %lld bytes/entry file\n", (long long)st.st_size);
	printf("memory: %zu bytes/entry in struct cache_entry, "
	    "+%.0f heap bytes/entry\n", sizeof(struct cache_entry),
	    (double)(after.uordblks - before.uordblks) / n);
	for (i = 0; i < n; i++) {
		char d[64];

		cache_entry_free(&all[i]);
		snprintf(d, sizeof(d), "%s/d%zu.example.com", dir, i);
		unlink(d);
	}
	free(all);
	cache_close(c);
	rmdir(dir);
	return 0;
}
