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

int
cmd_match(int argc, char *argv[])
{
	const char	*pattern, *host;
	char		 q[STS_ERR_MAX];
	size_t		 hlen;
	int		 ch;

	while ((ch = getopt(argc, argv, "+")) != -1)
		usage_cmd("match");
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage_cmd("match");
	pattern = argv[0];
	host = argv[1];
	if (!sts_mx_pattern_valid(pattern, strlen(pattern))) {
		sts_quote(q, sizeof(q), pattern, strlen(pattern));
		errx(EXIT_USAGE, "invalid mx pattern: \"%s\"", q);
	}
	hlen = strlen(host);
	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (!dns_hostname_valid(host, hlen)) {
		sts_quote(q, sizeof(q), host, strlen(host));
		errx(EXIT_USAGE, "invalid host name: \"%s\"", q);
	}
	if (sts_mx_match(pattern, host)) {
		printf("match\n");
		return EXIT_YES;
	}
	printf("no match\n");
	return EXIT_NO;
}
