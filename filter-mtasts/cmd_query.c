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
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

struct query {
	struct event_base	*base;
	int			 json;
	int			 left;
};

static void
print_json(const struct verdict *v)
{
	size_t	 i;

	printf("{\"domain\":");
	json_string(stdout, v->domain);
	printf(",\"verdict\":\"%s\",\"mx\":[", verdict_name(v->kind));
	for (i = 0; i < v->nmx; i++) {
		if (i > 0)
			putchar(',');
		json_string(stdout, v->mx[i]);
	}
	printf("],\"reason\":");
	json_string(stdout, v->reason);
	printf("}\n");
}

static void
print_text(const struct verdict *v)
{
	size_t	 i;

	printf("%s: %s\n", v->domain, verdict_name(v->kind));
	printf("  reason: %s\n", v->reason);
	for (i = 0; i < v->nmx; i++)
		printf("  allowed MX: %s\n", v->mx[i]);
	for (i = 0; i < v->nnotes; i++)
		printf("  %s\n", v->notes[i]);
}

static void
on_verdict(void *arg, const struct verdict *v)
{
	struct query	*q = arg;

	if (q->json)
		print_json(v);
	else
		print_text(v);
	fflush(stdout);
	if (--q->left == 0)
		event_base_loopexit(q->base, NULL);
}

int
cmd_query(int argc, char *argv[])
{
	struct resolver_conf	 conf;
	struct resolver		*r;
	struct query		 q;
	char			 norm[DNS_NAME_MAX + 1], qd[STS_ERR_MAX];
	int			 ch, i, sgiven = 0;

	resolver_defaults(&conf);
	memset(&q, 0, sizeof(q));
	while ((ch = getopt(argc, argv, "+a:c:jr:s:")) != -1) {
		if (resolver_option(ch, optarg, &conf)) {
			sgiven |= ch == 's';
			continue;
		}
		if (ch != 'j')
			usage_cmd("query");
		q.json = 1;
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage_cmd("query");
	for (i = 0; i < argc; i++)
		if (domain_normalize(argv[i], norm, sizeof(norm)) == -1) {
			sts_quote(qd, sizeof(qd), argv[i], strlen(argv[i]));
			errx(EXIT_USAGE, "invalid domain: \"%s\"", qd);
		}
	if ((q.base = event_base_new()) == NULL)
		errx(EXIT_USAGE, "cannot create an event loop");
	r = resolver_setup(q.base, &conf, sgiven, 0);
	q.left = argc;
	for (i = 0; i < argc; i++)
		if (resolver_query(r, argv[i], on_verdict, &q) == NULL)
			errx(EXIT_USAGE, "%s: cannot start the query", argv[i]);
	event_base_dispatch(q.base);
	resolver_free(r);
	event_base_free(q.base);
	return q.left == 0 ? EXIT_YES : EXIT_NO;
}
