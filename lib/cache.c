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


#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mtasts.h"

/*
 * Policies on disk, one file per policy domain under the state
 * directory, named after the domain (a checked host name, so never
 * "." or "..", and without "/").  A new version is written to a
 * temporary file and renamed over the old one: several processes may
 * share the directory, and a reader sees the old entry or the new
 * one.  An entry that holds a policy is flushed before the rename and
 * the directory after it, so a crash or kill -9 at any moment leaves
 * the old policy or the new one; an entry without a policy is not
 * flushed, as losing it costs one TXT lookup.  A file that does not
 * parse is treated as absent.
 *
 * The directory belongs to an unprivileged user, so whatever is in it
 * may have been planted: nothing in it is opened in a way that follows
 * a symbolic link or waits (a FIFO), temporary files are created
 * exclusively, and only a regular file of bounded size is read.
 *
 * Opened with a bound, the cache keeps an index in memory, built by
 * one read of the directory at cache_open(): the names of the entries,
 * in two lists ordered by write time, those without a policy and those
 * with one (or not known, as found at the open).  A store of a new
 * domain into a full cache removes the oldest entry without a policy,
 * else the oldest of the others, with no directory read.  Entries
 * written by other processes meanwhile are counted at the next open.
 * Opened with no bound, the cache reads no directory and evicts
 * nothing: for the one-shot commands.
 */

#define CACHE_MAGIC	"filter-mtasts-cache 1"
#define CACHE_FILE_MAX	(STS_POLICY_MAX + 1024)
#define TMP_PREFIX	".tmp."
#define TMP_STALE	3600	/* seconds before a temp file is litter */
#define TMP_TRIES	16	/* temp names taken by someone else */
#define ID_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define BUCKETS_MIN	16
#define BUCKETS_MAX	(1U << 20)

struct cnode {
	TAILQ_ENTRY(cnode)	 age;		/* oldest first */
	struct cnode		*next;		/* hash chain */
	int			 policy;	/* on c->full */
	char			 name[];
};
TAILQ_HEAD(cnodes, cnode);

struct cache {
	int			 dirfd;
	size_t			 max;		/* 0: no index */
	struct cnode		**bucket;
	size_t			 nbucket;	/* a power of two */
	uint32_t		 seed;
	struct cnodes		 bare;		/* without a policy */
	struct cnodes		 full;		/* with one, or not known */
	struct cache_stats	 stats;
};

static int
is_entry_name(const char *name)
{
	return name[0] != '.' && dns_hostname_valid(name, strlen(name));
}

static void __attribute__((__format__(__printf__, 3, 4)))
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* FNV-1a, seeded: the names come from recipients. */
static struct cnode **
index_slot(struct cache *c, const char *name)
{
	uint32_t	 h = 2166136261U ^ c->seed;

	for (; *name != '\0'; name++) {
		h ^= (unsigned char)*name;
		h *= 16777619U;
	}
	return &c->bucket[h & (c->nbucket - 1)];
}

static struct cnode *
index_find(struct cache *c, const char *name)
{
	struct cnode	*n;

	for (n = *index_slot(c, name); n != NULL; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

static struct cnode *
node_new(const char *name)
{
	struct cnode	*n;
	size_t		 len = strlen(name) + 1;

	if ((n = malloc(sizeof(*n) + len)) == NULL)
		return NULL;
	memcpy(n->name, name, len);
	n->next = NULL;
	n->policy = 1;
	return n;
}

/* The newest of its list. */
static void
index_insert(struct cache *c, struct cnode *n, int policy)
{
	struct cnode	**slot = index_slot(c, n->name);

	n->next = *slot;
	*slot = n;
	n->policy = policy;
	TAILQ_INSERT_TAIL(policy ? &c->full : &c->bare, n, age);
	c->stats.entries++;
}

static void
index_touch(struct cache *c, struct cnode *n, int policy)
{
	TAILQ_REMOVE(n->policy ? &c->full : &c->bare, n, age);
	n->policy = policy;
	TAILQ_INSERT_TAIL(policy ? &c->full : &c->bare, n, age);
}

static void
index_remove(struct cache *c, struct cnode *n)
{
	struct cnode	**pp;

	for (pp = index_slot(c, n->name); *pp != n; pp = &(*pp)->next)
		;
	*pp = n->next;
	TAILQ_REMOVE(n->policy ? &c->full : &c->bare, n, age);
	c->stats.entries--;
	free(n);
}

/*
 * The oldest entry without a policy goes first: losing it costs a TXT
 * lookup, losing a policy costs its protection until the next fetch.
 * Whatever stands at that name now, unlinkat(2) does not follow it.
 */
static int
cache_evict(struct cache *c)
{
	struct cnode	*n;

	if ((n = TAILQ_FIRST(&c->bare)) == NULL &&
	    (n = TAILQ_FIRST(&c->full)) == NULL)
		return -1;
	(void)unlinkat(c->dirfd, n->name, 0);
	index_remove(c, n);
	c->stats.evictions++;
	return 0;
}

struct found {
	struct timespec	 mtime;
	struct cnode	*n;
};

static int
found_cmp(const void *a, const void *b)
{
	const struct timespec	*x = &((const struct found *)a)->mtime;
	const struct timespec	*y = &((const struct found *)b)->mtime;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? -1 : 1;
	if (x->tv_nsec != y->tv_nsec)
		return x->tv_nsec < y->tv_nsec ? -1 : 1;
	return 0;
}

/* Remember an entry found by the scan; temp files of a crash go. */
static int
scan_one(struct cache *c, const char *name, struct found **f, size_t *n,
    size_t *cap)
{
	struct found	*nf;
	struct stat	 st;

	if (fstatat(c->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	if (strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
		if (st.st_mtime + TMP_STALE < time(NULL))
			(void)unlinkat(c->dirfd, name, 0);
		return 0;
	}
	if (!is_entry_name(name) || !S_ISREG(st.st_mode))
		return 0;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		if ((nf = reallocarray(*f, *cap, sizeof(**f))) == NULL)
			return -1;
		*f = nf;
	}
	if (((*f)[*n].n = node_new(name)) == NULL)
		return -1;
	(*f)[(*n)++].mtime = st.st_mtim;
	return 0;
}

/*
 * The one read of the directory: the entries, oldest first, the
 * oldest beyond the bound removed.
 */
static int
index_build(struct cache *c)
{
	struct dirent	*de;
	struct found	*f = NULL;
	DIR		*d;
	size_t		 i, n = 0, cap = 0;
	int		 fd, r = 0;

	for (c->nbucket = BUCKETS_MIN; c->nbucket < c->max / 2 &&
	    c->nbucket < BUCKETS_MAX; c->nbucket *= 2)
		;
	if ((c->bucket = calloc(c->nbucket, sizeof(*c->bucket))) == NULL)
		return -1;
	c->seed = arc4random();
	if ((fd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	c->stats.scans++;
	while (r == 0 && (de = readdir(d)) != NULL)
		r = scan_one(c, de->d_name, &f, &n, &cap);
	closedir(d);
	if (n > 0)
		qsort(f, n, sizeof(*f), found_cmp);
	for (i = 0; i < n; i++) {
		if (r == 0 && n - i > c->max) {
			(void)unlinkat(c->dirfd, f[i].n->name, 0);
			c->stats.evictions++;
		} else if (r == 0) {
			index_insert(c, f[i].n, 1);
			continue;
		}
		free(f[i].n);
	}
	free(f);
	return r;
}

static void
index_free(struct cache *c)
{
	struct cnode	*n;

	while ((n = TAILQ_FIRST(&c->bare)) != NULL) {
		TAILQ_REMOVE(&c->bare, n, age);
		free(n);
	}
	while ((n = TAILQ_FIRST(&c->full)) != NULL) {
		TAILQ_REMOVE(&c->full, n, age);
		free(n);
	}
	free(c->bucket);
}

struct cache *
cache_open(const char *dir, size_t max, char *err, size_t errsz)
{
	struct cache	*c;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		seterr(err, errsz, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		seterr(err, errsz, "out of memory");
		return NULL;
	}
	c->max = max;
	c->stats.max = max;
	TAILQ_INIT(&c->bare);
	TAILQ_INIT(&c->full);
	if ((c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    faccessat(c->dirfd, ".", W_OK | X_OK, 0) == -1 ||
	    (max > 0 && index_build(c) == -1)) {
		seterr(err, errsz, "%s: %s", dir, strerror(errno));
		cache_close(c);
		return NULL;
	}
	return c;
}

void
cache_close(struct cache *c)
{
	if (c == NULL)
		return;
	index_free(c);
	if (c->dirfd != -1)
		close(c->dirfd);
	free(c);
}

/* Whether no one but the user we run as may write the directory. */
int
cache_dirfd(const struct cache *c)
{
	return c->dirfd;
}

int
cache_private(const struct cache *c)
{
	struct stat	 st;

	return c != NULL && fstat(c->dirfd, &st) == 0 &&
	    st.st_uid == geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

void
cache_stats(const struct cache *c, struct cache_stats *st)
{
	if (c == NULL)
		memset(st, 0, sizeof(*st));
	else
		*st = c->stats;
}

void
cache_entry_free(struct cache_entry *e)
{
	free(e->body);
	sts_policy_free(&e->pol);
	e->body = NULL;
	e->len = 0;
}

/* "key value" with the key checked; returns the value or NULL. */
static char *
field(char **p, const char *key)
{
	char	*l = *p, *nl;
	size_t	 kl = strlen(key);

	if ((nl = strchr(l, '\n')) == NULL)
		return NULL;
	*nl = '\0';
	*p = nl + 1;
	if (strncmp(l, key, kl) != 0 || l[kl] != ' ')
		return NULL;
	return l + kl + 1;
}

static int
num(const char *s, int64_t *v)
{
	char		*end;
	long long	 n;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0)
		return -1;
	*v = n;
	return 0;
}

static int
id_field(const char *s, char *dst)
{
	size_t	 n;

	if (s == NULL)
		return -1;
	if (strcmp(s, "-") == 0) {
		dst[0] = '\0';
		return 0;
	}
	if ((n = strlen(s)) == 0 || n > STS_ID_MAX || strspn(s, ID_CHARS) != n)
		return -1;
	memcpy(dst, s, n + 1);
	return 0;
}

static int
entry_parse(char *buf, size_t len, const char *domain, struct cache_entry *e)
{
	struct sts_error err;
	char		*p = buf, *v, *sp;
	int64_t		 blen;

	buf[len] = '\0';
	if ((v = strchr(p, '\n')) == NULL)
		return -1;
	*v = '\0';
	if (strcmp(p, CACHE_MAGIC) != 0)
		return -1;
	p = v + 1;
	if ((v = field(&p, "domain")) == NULL || strcmp(v, domain) != 0 ||
	    id_field(field(&p, "id"), e->id) == -1 ||
	    num(field(&p, "fetched"), &e->fetched) == -1 ||
	    num(field(&p, "expires"), &e->expires) == -1 ||
	    (v = field(&p, "failed")) == NULL ||
	    (sp = strchr(v, ' ')) == NULL)
		return -1;
	*sp = '\0';
	if (id_field(v, e->failed_id) == -1 ||
	    num(sp + 1, &e->failed_at) == -1 ||
	    num(field(&p, "negative"), &e->negative_until) == -1 ||
	    num(field(&p, "body"), &blen) == -1 ||
	    (size_t)blen != len - (size_t)(p - buf))
		return -1;
	(void)snprintf(e->domain, sizeof(e->domain), "%s", domain);
	/*
	 * A policy comes with its id and an id with its policy, as
	 * cache_store() writes them: anything else is damage, and taken
	 * as absent so the next store replaces it.
	 */
	if ((blen == 0) != (e->id[0] == '\0'))
		return -1;
	if (blen == 0)
		return 0;
	if ((e->body = malloc(blen + 1)) == NULL)
		return -1;
	memcpy(e->body, p, blen);
	e->body[blen] = '\0';
	e->len = blen;
	/* Stored only after it parsed: failing now means damage. */
	return sts_policy_parse(e->body, e->len, &e->pol, &err, NULL, NULL);
}

int
cache_entry_parse(char *buf, size_t len, const char *domain,
    struct cache_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (!is_entry_name(domain) || len > CACHE_FILE_MAX ||
	    entry_parse(buf, len, domain, e) == -1) {
		cache_entry_free(e);
		memset(e, 0, sizeof(*e));
		return -1;
	}
	return 0;
}

/*
 * A regular file only, opened without following a link or waiting on
 * a FIFO, and read up to the largest size an entry can have.
 */
static ssize_t
read_entry(struct cache *c, const char *domain, char *buf)
{
	struct stat	 st;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	if ((fd = openat(c->dirfd, domain, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CACHE_FILE_MAX) {
		close(fd);
		return -1;
	}
	while (len <= CACHE_FILE_MAX) {
		if ((n = read(fd, buf + len, CACHE_FILE_MAX + 1 - len)) == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	return len <= CACHE_FILE_MAX ? (ssize_t)len : -1;
}

int
cache_load(struct cache *c, const char *domain, struct cache_entry *e)
{
	char	*buf;
	ssize_t	 len;
	int	 r = -1;

	memset(e, 0, sizeof(*e));
	if (c == NULL || !is_entry_name(domain))
		return -1;
	if ((buf = malloc(CACHE_FILE_MAX + 2)) == NULL)
		return -1;
	if ((len = read_entry(c, domain, buf)) != -1)
		r = cache_entry_parse(buf, len, domain, e);
	free(buf);
	return r;
}

static int
write_all(int fd, const char *s, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += n;
		len -= n;
	}
	return 0;
}

static int
entry_write(int fd, const struct cache_entry *e)
{
	char	 hdr[512];
	int	 n;

	n = snprintf(hdr, sizeof(hdr), "%s\ndomain %s\nid %s\nfetched %lld\n"
	    "expires %lld\nfailed %s %lld\nnegative %lld\nbody %zu\n",
	    CACHE_MAGIC, e->domain, e->id[0] ? e->id : "-",
	    (long long)e->fetched, (long long)e->expires,
	    e->failed_id[0] ? e->failed_id : "-", (long long)e->failed_at,
	    (long long)e->negative_until, e->len);
	if (n < 0 || (size_t)n >= sizeof(hdr)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (write_all(fd, hdr, n) == -1 || write_all(fd, e->body, e->len) == -1)
		return -1;
	return 0;
}

/* What cache_load() would refuse must not be stored and lost. */
static int
entry_valid(const struct cache_entry *e)
{
	struct sts_policy	 pol;
	struct sts_error	 err;
	size_t			 n = strlen(e->id);

	if (!is_entry_name(e->domain) || n > STS_ID_MAX ||
	    strspn(e->id, ID_CHARS) != n ||
	    strspn(e->failed_id, ID_CHARS) != strlen(e->failed_id) ||
	    e->fetched < 0 || e->expires < 0 || e->failed_at < 0 ||
	    e->negative_until < 0)
		return 0;
	if (e->len == 0)
		return n == 0;
	if (n == 0 || e->body == NULL || e->len > STS_POLICY_MAX ||
	    sts_policy_parse(e->body, e->len, &pol, &err, NULL, NULL) == -1)
		return 0;
	sts_policy_free(&pol);
	return 1;
}

/*
 * A temporary file of our own: O_EXCL, so a name planted beforehand,
 * link or not, is never opened, only skipped.
 */
static int
tmp_create(struct cache *c, const char *domain, char *tmp, size_t tmpsz)
{
	static unsigned	 seq;
	int		 fd, i;

	for (i = 0; i < TMP_TRIES; i++) {
		(void)snprintf(tmp, tmpsz, TMP_PREFIX "%s.%ld.%u", domain,
		    (long)getpid(), seq++);
		fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

static int
cache_fsync(struct cache *c, int fd)
{
	c->stats.fsyncs++;
	return fsync(fd);
}

/* Write, rename, and flush when the entry holds a policy. */
static int
entry_put(struct cache *c, const struct cache_entry *e, int policy,
    char *err, size_t errsz)
{
	char	 tmp[DNS_NAME_MAX + 48];
	int	 fd, saved;

	if ((fd = tmp_create(c, e->domain, tmp, sizeof(tmp))) == -1) {
		seterr(err, errsz, "%s: cannot create a temporary file: %s",
		    e->domain, strerror(errno));
		return -1;
	}
	if (entry_write(fd, e) == -1 || (policy && cache_fsync(c, fd) == -1)) {
		saved = errno;
		close(fd);
		errno = saved;
		fd = -1;
	}
	if (fd == -1 || close(fd) == -1) {
		saved = errno;
		(void)unlinkat(c->dirfd, tmp, 0);
		seterr(err, errsz, "%s: cannot write: %s", e->domain,
		    strerror(saved));
		return -1;
	}
	if (renameat(c->dirfd, tmp, c->dirfd, e->domain) == -1) {
		saved = errno;
		(void)unlinkat(c->dirfd, tmp, 0);
		seterr(err, errsz, "%s: cannot rename the new entry into "
		    "place: %s", e->domain, strerror(saved));
		return -1;
	}
	return 0;
}

int
cache_store(struct cache *c, const struct cache_entry *e, char *err,
    size_t errsz)
{
	struct cnode	*n = NULL;
	int		 policy = e->id[0] != '\0', r;

	if (c == NULL) {
		seterr(err, errsz, "no cache");
		return -1;
	}
	if (!entry_valid(e)) {
		seterr(err, errsz, "not a valid entry");
		return -1;
	}
	/* Room first, down to one below the bound, which may have shrunk. */
	if (c->max > 0 && (n = index_find(c, e->domain)) == NULL)
		while (c->stats.entries >= c->max && cache_evict(c) == 0)
			;
	if (entry_put(c, e, policy, err, errsz) == -1)
		return -1;
	r = 0;
	if (policy && cache_fsync(c, c->dirfd) == -1) {
		seterr(err, errsz, "%s: cannot flush the directory: %s",
		    e->domain, strerror(errno));
		r = -1;
	}
	if (c->max > 0) {
		if (n != NULL)
			index_touch(c, n, policy);
		else if ((n = node_new(e->domain)) != NULL)
			index_insert(c, n, policy);
	}
	return r;
}
