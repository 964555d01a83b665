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
 * libFuzzer target for the cache file parser (cache.c).  The input is
 * a cache file as found on disk; the domain it is read for is the one
 * its "domain" line names when that is a host name, else c.example.
 * An entry that parses must be whole and consistent, and must survive
 * the round trip: cache_store() takes it, and cache_load() gives the
 * same entry back.  Any broken invariant calls abort().
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtasts.h"

#define ID_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char		 dir[] = "/tmp/fuzz_cache.XXXXXX";
static struct cache	*cache;

static void
cleanup(void)
{
	cache_close(cache);
	(void)rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 err[CACHE_ERR_MAX];

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL ||
	    (cache = cache_open(dir, 0, err, sizeof(err))) == NULL)
		abort();
	atexit(cleanup);
	return 0;
}

/* The name after "\ndomain ", when it is one the cache takes. */
static void
pick_domain(const uint8_t *data, size_t size, char *dom, size_t domsz)
{
	const uint8_t	*p, *end = data + size;
	size_t		 n;

	(void)snprintf(dom, domsz, "c.example");
	p = memmem(data, size, "\ndomain ", 8);
	if (p == NULL)
		return;
	p += 8;
	for (n = 0; p + n < end && p[n] != '\n' && n < domsz - 1; n++)
		;
	if (n == 0 || n >= domsz - 1 || memchr(p, '\0', n) != NULL ||
	    p[0] == '.' || !dns_hostname_valid((const char *)p, n))
		return;
	memcpy(dom, p, n);
	dom[n] = '\0';
}

static int
is_zero(const void *p, size_t len)
{
	const unsigned char	*c = p;

	while (len-- > 0)
		if (*c++ != 0)
			return 0;
	return 1;
}

static void
check_entry(const struct cache_entry *e, const char *dom)
{
	if (strcmp(e->domain, dom) != 0 ||
	    strspn(e->id, ID_CHARS) != strlen(e->id) ||
	    strspn(e->failed_id, ID_CHARS) != strlen(e->failed_id) ||
	    e->fetched < 0 || e->expires < 0 || e->failed_at < 0 ||
	    e->negative_until < 0)
		abort();
	/* A policy with its id, an id with its policy. */
	if ((e->id[0] == '\0') != (e->len == 0))
		abort();
	if (e->len == 0 && (e->body != NULL || e->pol.mx != NULL ||
	    e->pol.nmx != 0))
		abort();
	if (e->len > 0 && (e->body == NULL || e->body[e->len] != '\0' ||
	    e->len > STS_POLICY_MAX))
		abort();
}

static void
check_same(const struct cache_entry *a, const struct cache_entry *b)
{
	size_t	 i;

	if (strcmp(a->domain, b->domain) != 0 || strcmp(a->id, b->id) != 0 ||
	    strcmp(a->failed_id, b->failed_id) != 0 ||
	    a->fetched != b->fetched || a->expires != b->expires ||
	    a->failed_at != b->failed_at ||
	    a->negative_until != b->negative_until || a->len != b->len ||
	    (a->len > 0 && memcmp(a->body, b->body, a->len) != 0) ||
	    a->pol.mode != b->pol.mode || a->pol.max_age != b->pol.max_age ||
	    a->pol.nmx != b->pol.nmx)
		abort();
	for (i = 0; i < a->pol.nmx; i++)
		if (strcmp(a->pol.mx[i], b->pol.mx[i]) != 0)
			abort();
}

/* Stored, loaded back: the same entry.  The file goes afterwards. */
static void
round_trip(const struct cache_entry *e, const char *dom)
{
	struct cache_entry	 again;
	char			 err[CACHE_ERR_MAX], path[sizeof(dir) + 300];

	if (cache_store(cache, e, err, sizeof(err)) == -1) {
		fprintf(stderr, "store of a loaded entry failed: %s\n", err);
		abort();
	}
	if (cache_load(cache, dom, &again) == -1)
		abort();
	check_same(e, &again);
	cache_entry_free(&again);
	(void)snprintf(path, sizeof(path), "%s/%s", dir, dom);
	if (unlink(path) == -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cache_entry	 e;
	char			 dom[DNS_NAME_MAX + 1], *buf;

	pick_domain(data, size, dom, sizeof(dom));
	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	memset(&e, 0x5a, sizeof(e));
	if (cache_entry_parse(buf, size, dom, &e) == -1) {
		if (!is_zero(&e, sizeof(e)))
			abort();
	} else {
		check_entry(&e, dom);
		round_trip(&e, dom);
	}
	cache_entry_free(&e);
	free(buf);
	return 0;
}
