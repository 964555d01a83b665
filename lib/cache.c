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


#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
 * temporary file, flushed and renamed over the old one, and the
 * directory is flushed: a crash or kill -9 at any moment leaves the
 * old entry or the new one, and several processes may share the
 * directory.  A file that does not parse is treated as absent.
 */

#define CACHE_MAGIC	"filter-mtasts-cache 1"
#define CACHE_FILE_MAX	(STS_POLICY_MAX + 1024)
#define TMP_PREFIX	".tmp."
#define TMP_STALE	3600	/* seconds before a temp file is litter */
#define ID_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

struct cache {
	int		 dirfd;
	size_t		 max;
	size_t		 count;
};

static int
is_entry_name(const char *name)
{
	return name[0] != '.' && dns_hostname_valid(name, strlen(name));
}

/* Count entries and remove temp files a crash left behind. */
static void
cache_scan(struct cache *c)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 fd;

	c->count = 0;
	if ((fd = dup(c->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (is_entry_name(de->d_name) &&
		    fstatat(c->dirfd, de->d_name, &st, 0) == 0 &&
		    S_ISREG(st.st_mode))
			c->count++;
		else if (strncmp(de->d_name, TMP_PREFIX,
		    strlen(TMP_PREFIX)) == 0 &&
		    fstatat(c->dirfd, de->d_name, &st, 0) == 0 &&
		    st.st_mtime + TMP_STALE < time(NULL))
			(void)unlinkat(c->dirfd, de->d_name, 0);
	}
	closedir(d);
}

struct cache *
cache_open(const char *dir, size_t max, char *err, size_t errsz)
{
	struct cache	*c;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		(void)snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		(void)snprintf(err, errsz, "out of memory");
		return NULL;
	}
	c->max = max;
	if ((c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    faccessat(c->dirfd, ".", W_OK | X_OK, 0) == -1) {
		(void)snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		if (c->dirfd != -1)
			close(c->dirfd);
		free(c);
		return NULL;
	}
	cache_scan(c);
	return c;
}

void
cache_close(struct cache *c)
{
	if (c == NULL)
		return;
	close(c->dirfd);
	free(c);
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
	if (blen == 0)
		return e->id[0] == '\0' ? 0 : -1;
	if ((e->body = malloc(blen + 1)) == NULL)
		return -1;
	memcpy(e->body, p, blen);
	e->body[blen] = '\0';
	e->len = blen;
	/* Stored only after it parsed: failing now means damage. */
	return sts_policy_parse(e->body, e->len, &e->pol, &err, NULL, NULL);
}

int
cache_load(struct cache *c, const char *domain, struct cache_entry *e)
{
	char	*buf;
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd, r = -1;

	memset(e, 0, sizeof(*e));
	if (c == NULL || !is_entry_name(domain))
		return -1;
	if ((fd = openat(c->dirfd, domain, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((buf = malloc(CACHE_FILE_MAX + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (len < CACHE_FILE_MAX &&
	    (n = read(fd, buf + len, CACHE_FILE_MAX - len)) > 0)
		len += n;
	if (len < CACHE_FILE_MAX)
		r = entry_parse(buf, len, domain, e);
	free(buf);
	close(fd);
	if (r == -1) {
		cache_entry_free(e);
		memset(e, 0, sizeof(*e));
	}
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

/*
 * The oldest entry goes when the directory is full.  The entries are
 * counted again on the way, as other processes may share the
 * directory.  Returns 0 when one was removed.
 */
static int
cache_evict(struct cache *c)
{
	struct dirent	*de;
	struct stat	 st;
	char		 oldest[NAME_MAX + 1] = "";
	time_t		 when = 0;
	DIR		*d;
	size_t		 n = 0;
	int		 fd;

	if ((fd = dup(c->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (!is_entry_name(de->d_name) ||
		    fstatat(c->dirfd, de->d_name, &st, 0) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		n++;
		if (oldest[0] == '\0' || st.st_mtime < when) {
			when = st.st_mtime;
			(void)snprintf(oldest, sizeof(oldest), "%s",
			    de->d_name);
		}
	}
	closedir(d);
	c->count = n;
	if (n < c->max || unlinkat(c->dirfd, oldest, 0) == -1)
		return -1;
	c->count--;
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
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return -1;
	if (write_all(fd, hdr, n) == -1 || write_all(fd, e->body, e->len) == -1)
		return -1;
	return fsync(fd);
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
	    strspn(e->failed_id, ID_CHARS) != strlen(e->failed_id))
		return 0;
	if (e->len == 0)
		return n == 0;
	if (n == 0 || sts_policy_parse(e->body, e->len, &pol, &err, NULL,
	    NULL) == -1)
		return 0;
	sts_policy_free(&pol);
	return 1;
}

int
cache_store(struct cache *c, const struct cache_entry *e)
{
	static unsigned	 seq;
	struct stat	 st;
	char		 tmp[DNS_NAME_MAX + 48];
	int		 fd, fresh;

	if (c == NULL || !entry_valid(e))
		return -1;
	fresh = fstatat(c->dirfd, e->domain, &st, 0) == -1;
	/* Down to one below the bound, which may have been lowered. */
	while (fresh && c->max > 0 && c->count >= c->max &&
	    cache_evict(c) == 0)
		;
	(void)snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s.%ld.%u", e->domain,
	    (long)getpid(), seq++);
	fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return -1;
	if (entry_write(fd, e) == -1) {
		close(fd);
		(void)unlinkat(c->dirfd, tmp, 0);
		return -1;
	}
	close(fd);
	if (renameat(c->dirfd, tmp, c->dirfd, e->domain) == -1) {
		(void)unlinkat(c->dirfd, tmp, 0);
		return -1;
	}
	if (fresh)
		c->count++;
	return fsync(c->dirfd);
}
