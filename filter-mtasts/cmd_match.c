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
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * A malformed pattern or host is a question with an answer: RFC 8461
 * 4.1 lets such a pattern match nothing, so it is "no match" (exit 1)
 * with the reason on stderr.  Only a wrong command line is exit 2.
 */
static int
well_formed(const char *what, const char *s, int valid)
{
	char	 q[STS_ERR_MAX];

	if (valid)
		return 1;
	sts_quote(q, sizeof(q), s, strlen(s));
	warnx("%s: \"%s\"", what, q);
	return 0;
}

int
cmd_match(int argc, char *argv[])
{
	const char	*pattern, *host;
	size_t		 hlen;
	int		 ch, ok;

	while ((ch = getopt(argc, argv, "+")) != -1)
		usage_cmd("match");
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage_cmd("match");
	pattern = argv[0];
	host = argv[1];
	hlen = strlen(host);
	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	ok = well_formed("invalid mx pattern, matches no host", pattern,
	    sts_mx_pattern_valid(pattern, strlen(pattern)));
	ok &= well_formed("invalid host name, matches no pattern", host,
	    dns_hostname_valid(host, hlen));
	if (ok && sts_mx_match(pattern, host)) {
		printf("match\n");
		return EXIT_YES;
	}
	printf("no match\n");
	return EXIT_NO;
}
