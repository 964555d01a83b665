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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

struct report {
	const char	*name;		/* file name, for messages */
	FILE		*out;		/* where warnings go */
};

/*
 * Read at most one byte more than a policy may hold, so an oversized
 * input is seen as such without reading all of it.
 */
static ssize_t
read_policy(int fd, char *buf, size_t bufsz)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < bufsz) {
		if ((n = read(fd, buf + off, bufsz - off)) == -1)
			return -1;
		if (n == 0)
			break;
		off += n;
	}
	return off;
}

static void
print_where(FILE *fp, const struct report *r, const struct sts_error *e)
{
	if (e->where > 0)
		fprintf(fp, "%s:%zu: ", r->name, e->where);
	else
		fprintf(fp, "%s: ", r->name);
}

static void
policy_warn(void *arg, const struct sts_error *e)
{
	const struct report *r = arg;

	print_where(r->out, r, e);
	fprintf(r->out, "warning: %s\n", e->msg);
}

static void
policy_json(int valid, const struct sts_policy *pol, const char *msg)
{
	size_t	 i;

	if (!valid) {
		printf("{\"valid\":false,\"version\":null,\"mode\":null,"
		    "\"max_age\":null,\"mx\":[],\"error\":");
		json_string(stdout, msg);
		printf("}\n");
		return;
	}
	printf("{\"valid\":true,\"version\":\"STSv1\",\"mode\":\"%s\","
	    "\"max_age\":%llu,\"mx\":[", sts_mode_name(pol->mode),
	    (unsigned long long)pol->max_age);
	for (i = 0; i < pol->nmx; i++) {
		if (i > 0)
			putchar(',');
		json_string(stdout, pol->mx[i]);
	}
	printf("],\"error\":null}\n");
}

static void
policy_text(const struct report *r, const struct sts_policy *pol)
{
	size_t	 i;

	printf("%s: valid\n", r->name);
	printf("version: STSv1\nmode: %s\nmax_age: %llu\n",
	    sts_mode_name(pol->mode), (unsigned long long)pol->max_age);
	for (i = 0; i < pol->nmx; i++)
		printf("mx: %s\n", pol->mx[i]);
}

int
cmd_policy(int argc, char *argv[])
{
	struct sts_policy	 pol;
	struct sts_error	 e;
	struct report		 r = { "<stdin>", stdout };
	char			*buf, msg[STS_ERR_MAX + 32];
	ssize_t			 len;
	int			 ch, fd = STDIN_FILENO, json = 0, valid;

	while ((ch = getopt(argc, argv, "+j")) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			r.out = stderr;
			break;
		default:
			usage_cmd("policy");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage_cmd("policy");
	if (argc == 1 && strcmp(argv[0], "-") != 0) {
		r.name = argv[0];
		if ((fd = open(argv[0], O_RDONLY)) == -1)
			err(EXIT_USAGE, "%s", argv[0]);
	}
	if ((buf = malloc(STS_POLICY_MAX + 1)) == NULL)
		err(EXIT_USAGE, NULL);
	if ((len = read_policy(fd, buf, STS_POLICY_MAX + 1)) == -1)
		err(EXIT_USAGE, "%s", r.name);
	valid = sts_policy_parse(buf, len, &pol, &e, policy_warn, &r) == 0;
	if (!valid && e.where > 0)
		snprintf(msg, sizeof(msg), "line %zu: %s", e.where, e.msg);
	else if (!valid)
		snprintf(msg, sizeof(msg), "%s", e.msg);
	if (json)
		policy_json(valid, &pol, msg);
	else if (valid)
		policy_text(&r, &pol);
	else {
		print_where(stdout, &r, &e);
		printf("%s\n", e.msg);
		printf("%s: invalid\n", r.name);
	}
	sts_policy_free(&pol);
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return valid ? EXIT_YES : EXIT_NO;
}
