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

#include <err.h>
#include <errno.h>
#include <string.h>
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
	conf->max_fetches = 8;
	conf->cache_max = 10000;
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
 * The default state directory may be out of reach of a user running
 * a check by hand: then go on without a cache, and say so unless
 * quiet (Exim's ${run} takes stderr as part of the answer).  A
 * directory named with -s must work.
 */
struct resolver *
resolver_setup(struct event_base *base, struct resolver_conf *conf,
    int statedir_given, int quiet)
{
	struct resolver	*r;
	char		 err[STS_ERR_MAX * 2];

	if (!statedir_given && (mkdir(conf->statedir, 0700) == -1 &&
	    errno != EEXIST ? -1 : access(conf->statedir, W_OK | X_OK)) == -1) {
		if (!quiet)
			warnx("%s: %s; going on without a policy cache",
			    conf->statedir, strerror(errno));
		conf->statedir = NULL;
	}
	if ((r = resolver_new(base, conf, err, sizeof(err))) == NULL)
		errx(EXIT_USAGE, "%s", err);
	return r;
}
