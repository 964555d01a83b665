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


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

#define NO_RECORD	"no TXT record given: no policy"

static void
record_json(int valid, const struct sts_record *rec, const char *msg)
{
	printf("{\"valid\":%s,\"id\":", valid ? "true" : "false");
	json_string(stdout, valid ? rec->id : NULL);
	printf(",\"error\":");
	json_string(stdout, valid ? NULL : msg);
	printf("}\n");
}

static void
record_text(int valid, const struct sts_txt *rrs, size_t n,
    const struct sts_record *rec, const char *msg)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!sts_record_is_candidate(rrs[i].data, rrs[i].len))
			printf("record %zu: ignored, does not begin with "
			    "\"v=STSv1;\"\n", i + 1);
	if (valid) {
		printf("valid: id=%s\n", rec->id);
		return;
	}
	printf("invalid: %s\n", msg);
}

int
cmd_record(int argc, char *argv[])
{
	struct sts_txt		*rrs;
	struct sts_record	 rec;
	struct sts_error	 err;
	char			 msg[STS_ERR_MAX + 32];
	int			 ch, json = 0, valid, i;

	while ((ch = getopt(argc, argv, "+j")) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		default:
			usage_cmd("record");
		}
	}
	argc -= optind;
	argv += optind;
	/*
	 * No TXT record at all (NODATA, NXDOMAIN) is the commonest
	 * answer, and a well-formed one: no policy.
	 */
	if (argc == 0) {
		if (json)
			record_json(0, NULL, NO_RECORD);
		else
			printf("invalid: %s\n", NO_RECORD);
		return EXIT_NO;
	}
	if ((rrs = calloc(argc, sizeof(*rrs))) == NULL) {
		perror(PROGNAME);
		return EXIT_USAGE;
	}
	for (i = 0; i < argc; i++) {
		rrs[i].data = argv[i];
		rrs[i].len = strlen(argv[i]);
	}
	valid = sts_record_select(rrs, argc, &rec, &err) == 0;
	if (!valid && err.where > 0)
		snprintf(msg, sizeof(msg), "record %zu: %s", err.where,
		    err.msg);
	else if (!valid)
		snprintf(msg, sizeof(msg), "%s", err.msg);
	if (json)
		record_json(valid, &rec, msg);
	else
		record_text(valid, rrs, argc, &rec, msg);
	free(rrs);
	return valid ? EXIT_YES : EXIT_NO;
}
