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


#include <err.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * For Exim's ${run}: one domain, one line, no newline, and an exit
 * status an Exim configuration can test in $runrc:
 *	0	DANE, MTA-STS MX1:MX2 or NONE
 *	75	DEFER reason (EX_TEMPFAIL: the mail must wait)
 *	2	bad invocation
 * Each run is a new process with its own lookups; the daemon's
 * exim= socket for ${readsocket} answers from memory instead.
 */

#define EXIT_DEFER	75

struct exim_run {
	struct event_base	*base;
	struct resolver		*r;
	int			 status;
};

static void
on_verdict(void *arg, const struct verdict *v)
{
	struct exim_run	*x = arg;
	char		 line[REPLY_MAX];

	reply_exim(v, line, sizeof(line));
	fputs(line, stdout);
	fflush(stdout);
	x->status = v->kind == VERDICT_DEFER ? EXIT_DEFER : EXIT_YES;
	vstore_put(resolver_cache(x->r), v->domain, time(NULL) + v->ttl,
	    x->status, line);
	event_base_loopexit(x->base, NULL);
}

/*
 * A verdict still in date in the state directory is the answer, with
 * no DNS and no resolver set up at all.  Not for root in a directory
 * others may write: that one takes the long way, which changes user.
 */
static int
saved_answer(const char *dir, const char *domain)
{
	struct cache	*c;
	char		 err[STS_ERR_MAX], line[VSTORE_TEXT_MAX];
	int		 status, r = -1;

	if (dir == NULL || (c = cache_open(dir, 0, err, sizeof(err))) == NULL)
		return -1;
	if ((geteuid() != 0 || cache_private(c)) &&
	    vstore_get(c, domain, time(NULL), line, sizeof(line),
	    &status) == 0) {
		fputs(line, stdout);
		r = status;
	}
	cache_close(c);
	return r;
}

int
cmd_exim(int argc, char *argv[])
{
	struct resolver_conf	 conf;
	struct exim_run		 x = { NULL, NULL, EXIT_DEFER };
	char			 norm[DNS_NAME_MAX + 1];
	int			 ch, sgiven = 0, saved;

	resolver_defaults(&conf);
	while ((ch = getopt(argc, argv, "+a:c:r:s:")) != -1) {
		if (!resolver_option(ch, optarg, &conf))
			usage_cmd("exim");
		sgiven |= ch == 's';
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage_cmd("exim");
	if (domain_normalize(argv[0], norm, sizeof(norm)) == -1) {
		fputs("DEFER not a domain name", stdout);
		return EXIT_DEFER;
	}
	if ((saved = saved_answer(conf.statedir, norm)) != -1)
		return saved;
	if ((x.base = event_base_new()) == NULL)
		errx(EXIT_USAGE, "cannot create an event loop");
	x.r = resolver_setup(x.base, &conf, sgiven, 1);
	if (resolver_query(x.r, norm, on_verdict, &x) == NULL)
		errx(EXIT_USAGE, "%s: cannot start the query", norm);
	event_base_dispatch(x.base);
	resolver_free(x.r);
	event_base_free(x.base);
	return x.status;
}
