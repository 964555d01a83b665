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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mtasts.h"

/*
 * Verdicts kept on disk for the one-shot commands, such as Exim's
 * ${run} of "filter-mtasts exim", which would otherwise derive each
 * verdict anew: a verdict still in date (its ttl, as the front uses
 * it) is answered from here, without any DNS.  One small file per
 * domain in the ".verdicts" directory of the state directory:
 *	filter-mtasts-verdict 1
 *	expires TIME
 *	status N
 *	line TEXT
 * Written to a temporary file and renamed, never flushed: one lost is
 * one verdict derived again.  No verdict lives longer than
 * VERDICT_TTL_MAX, so a file older than that is litter, and one store
 * in PRUNE_EVERY removes such files.
 */

#define VSTORE_DIR	".verdicts"
#define VSTORE_MAGIC	"filter-mtasts-verdict 1"
#define VSTORE_MAX	(VSTORE_TEXT_MAX + 128)
#define PRUNE_EVERY	256

static int
vstore_dir(struct cache *c, int create)
{
	int	 fd;

	if (c == NULL)
		return -1;
	fd = openat(cache_dirfd(c), VSTORE_DIR, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create &&
	    mkdirat(cache_dirfd(c), VSTORE_DIR, 0700) == 0)
		fd = openat(cache_dirfd(c), VSTORE_DIR, O_RDONLY |
		    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/*
 * The file's contents: the line and the exit status when the verdict
 * is still in date at now, else -1.  buf is changed.
 */
int
vstore_parse(char *buf, size_t len, int64_t now, char *text, size_t textsz,
    int *status)
{
	char		*p = buf, *nl, *end;
	long long	 v[2];
	const char	*key[] = { "expires ", "status " };
	size_t		 i;

	if (len >= VSTORE_MAX || memchr(buf, '\0', len) != NULL)
		return -1;
	buf[len] = '\0';
	if ((nl = strchr(p, '\n')) == NULL)
		return -1;
	*nl = '\0';
	if (strcmp(p, VSTORE_MAGIC) != 0)
		return -1;
	p = nl + 1;
	for (i = 0; i < 2; i++) {
		if (strncmp(p, key[i], strlen(key[i])) != 0)
			return -1;
		p += strlen(key[i]);
		errno = 0;
		v[i] = strtoll(p, &end, 10);
		if (errno != 0 || end == p || *end != '\n' || v[i] < 0)
			return -1;
		p = end + 1;
	}
	if (strncmp(p, "line ", 5) != 0 || (nl = strchr(p, '\n')) == NULL ||
	    nl[1] != '\0' || (v[1] != 0 && v[1] != 75))
		return -1;
	*nl = '\0';
	p += 5;
	for (end = p; *end != '\0'; end++)
		if ((unsigned char)*end < 0x20 || (unsigned char)*end > 0x7e)
			return -1;
	/* In date, and no later than any verdict can be. */
	if (*p == '\0' || (size_t)(end - p) >= textsz || v[0] <= now ||
	    v[0] > now + VERDICT_TTL_MAX)
		return -1;
	memcpy(text, p, end - p + 1);
	*status = (int)v[1];
	return 0;
}

int
vstore_get(struct cache *c, const char *domain, int64_t now, char *text,
    size_t textsz, int *status)
{
	struct stat	 st;
	char		 buf[VSTORE_MAX + 1];
	ssize_t		 n;
	int		 dfd, fd, r = -1;

	if (!dns_hostname_valid(domain, strlen(domain)) ||
	    (dfd = vstore_dir(c, 0)) == -1)
		return -1;
	fd = openat(dfd, domain, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	close(dfd);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size < VSTORE_MAX &&
	    (n = read(fd, buf, sizeof(buf) - 1)) > 0)
		r = vstore_parse(buf, n, now, text, textsz, status);
	close(fd);
	return r;
}

/* Files older than any verdict can live, and temporary ones too. */
static void
vstore_prune(int dfd, time_t now)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 fd;

	if ((fd = dup(dfd)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' || strncmp(de->d_name, ".tmp.", 5) == 0)
			if (fstatat(dfd, de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
			    st.st_mtime + VERDICT_TTL_MAX < now)
				(void)unlinkat(dfd, de->d_name, 0);
	closedir(d);
}

void
vstore_put(struct cache *c, const char *domain, int64_t expires, int status,
    const char *text)
{
	static unsigned	 seq;
	char		 buf[VSTORE_MAX], tmp[DNS_NAME_MAX + 48];
	int		 dfd, fd, n;

	if (!dns_hostname_valid(domain, strlen(domain)) ||
	    strlen(text) >= VSTORE_TEXT_MAX || (dfd = vstore_dir(c, 1)) == -1)
		return;
	n = snprintf(buf, sizeof(buf), "%s\nexpires %lld\nstatus %d\nline "
	    "%s\n", VSTORE_MAGIC, (long long)expires, status, text);
	(void)snprintf(tmp, sizeof(tmp), ".tmp.%s.%ld.%u", domain,
	    (long)getpid(), seq++);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC, 0600);
	if (fd != -1) {
		if (n > 0 && (size_t)n < sizeof(buf) &&
		    write(fd, buf, n) == n && close(fd) == 0)
			fd = renameat(dfd, tmp, dfd, domain);
		else {
			close(fd);
			fd = -1;
		}
		if (fd == -1)
			(void)unlinkat(dfd, tmp, 0);
	}
	if (arc4random_uniform(PRUNE_EVERY) == 0)
		vstore_prune(dfd, time(NULL));
	close(dfd);
}
