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


#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

#ifndef STATEDIR
#define STATEDIR	"/var/lib/filter-mtasts"
#endif

/* The resolver settings every mode shares, and their defaults. */

void
resolver_defaults(struct resolver_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->statedir = STATEDIR;
	conf->fetch_timeout = 10;
	conf->pass_timeout = 15;
	conf->max_fetches = 32;
	conf->cache_max = 100000;
}

/* -a anchor, -c cafile, -r resolver, -s statedir; 0 if not ours. */
int
resolver_option(int ch, char *arg, struct resolver_conf *conf)
{
	switch (ch) {
	case 'a':
		conf->anchor = arg;
		return 1;
	case 'c':
		conf->cafile = arg;
		return 1;
	case 'r':
		conf->forwarder = arg;
		return 1;
	case 's':
		conf->statedir = arg;
		return 1;
	default:
		return 0;
	}
}

/*
 * Say what the one-shot commands go on without.  Exim's ${run} takes
 * the standard error as part of the answer, so exim (quiet) tells the
 * mail log instead.
 */
static void __attribute__((__format__(__printf__, 2, 3)))
notice(int quiet, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	if (quiet) {
		openlog(PROGNAME, LOG_PID, LOG_MAIL);
		vsyslog(LOG_WARNING, fmt, ap);
		closelog();
	} else
		vwarnx(fmt, ap);
	va_end(ap);
}

/* For good: groups, real, effective and saved IDs. */
static int
become(const char *user, char *why, size_t whysz)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL) {
		(void)snprintf(why, whysz, "user %s does not exist", user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		(void)snprintf(why, whysz, "cannot become %s: %s", user,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Root must not work in a directory another user can write, such as
 * the daemon's, which belongs to PRIVSEP_USER: a link or a FIFO
 * planted there would act with root's rights.  Opening it touches
 * nothing inside; then, unless it is root's own and closed to others,
 * root becomes PRIVSEP_USER for good and opens it again.  The trust
 * anchor, CA file and resolv.conf have been read by then.
 */
static struct cache *
cache_setup(const char *dir, int given, int quiet)
{
	struct cache	*c;
	char		 err[STS_ERR_MAX * 2], why[STS_ERR_MAX];
	int		 dropped = 0;

	c = cache_open(dir, 0, err, sizeof(err));
	if (c != NULL && geteuid() == 0 && !cache_private(c)) {
		cache_close(c);
		if (become(PRIVSEP_USER, why, sizeof(why)) == -1) {
			notice(quiet, "%s: not root's own and %s; going on "
			    "without a policy cache", dir, why);
			return NULL;
		}
		dropped = 1;
		c = cache_open(dir, 0, err, sizeof(err));
	}
	if (c == NULL && given)
		errx(EXIT_USAGE, "%s%s", err, dropped ?
		    " (as " PRIVSEP_USER ")" : "");
	if (c == NULL)
		notice(quiet, "%s%s; going on without a policy cache", err,
		    dropped ? " (as " PRIVSEP_USER ")" : "");
	return c;
}

/*
 * The default state directory may be out of reach of a user running
 * a check by hand: then go on without a cache, and say so.  A
 * directory named with -s must work.  The cache is opened last, and
 * without a bound: a one-shot command reads no directory.
 */
struct resolver *
resolver_setup(struct event_base *base, struct resolver_conf *conf,
    int statedir_given, int quiet)
{
	struct resolver	*r;
	const char	*dir = conf->statedir;
	char		 err[STS_ERR_MAX * 2];

	conf->statedir = NULL;
	conf->cache_max = 0;
	if ((r = resolver_new(base, conf, err, sizeof(err))) == NULL)
		errx(EXIT_USAGE, "%s", err);
	if (dir != NULL)
		resolver_set_cache(r, cache_setup(dir, statedir_given, quiet));
	conf->statedir = dir;
	return r;
}

/* -g: a group by name or number, or a fatal error. */
gid_t
group_id(const char *name)
{
	struct group	*gr;
	char		*end;
	unsigned long	 n;

	if ((gr = getgrnam(name)) != NULL)
		return gr->gr_gid;
	errno = 0;
	n = strtoul(name, &end, 10);
	if (name[0] < '0' || name[0] > '9' || *end != '\0' || errno != 0 ||
	    n >= INT32_MAX)
		fatalx("-g %s: no such group", name);
	return (gid_t)n;
}
