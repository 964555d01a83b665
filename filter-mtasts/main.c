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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"

static const struct cmd {
	const char	*name;
	int		(*run)(int, char **);
	const char	*args;
	const char	*promises;	/* pledge(2), OpenBSD; NULL: the
					   mode pledges after privdrop() */
} cmds[] = {
	{ "check",	cmd_check,
	    "[-j] [-a anchor] [-c cafile] [-r resolver] [-s statedir] "
	    "[-w days] domain",			"stdio rpath wpath cpath inet" },
	{ "daemon",	cmd_daemon,
	    "[-a anchor] [-c cafile] [-g group] [-r resolver] [-s statedir] "
	    "[-u user] -l proto=address ...",
	    NULL },
	{ "exim",	cmd_exim,
	    "[-a anchor] [-c cafile] [-r resolver] [-s statedir] domain",
	    "stdio rpath wpath cpath inet" },
	{ "filter",	cmd_filter,
	    "[-a anchor] [-c cafile] [-g group] [-r resolver] "
	    "[-R [address:]port] [-s statedir] [-S socket] [-t seconds] "
	    "[-u user] [-x domain]",
	    NULL },
	{ "match",	cmd_match,	"pattern host",		"stdio" },
	{ "policy",	cmd_policy,	"[-j] [file]",		"stdio rpath" },
	{ "query",	cmd_query,
	    "[-j] [-a anchor] [-c cafile] [-r resolver] [-s statedir] "
	    "domain ...",				"stdio rpath wpath cpath inet" },
	{ "record",	cmd_record,	"[-j] [string ...]",	"stdio" },
	{ "report",	cmd_report,
	    "show | json | send [-fn] [-a anchor] [-C contact] "
	    "[-c cafile] [-d day] [-F from] [-m sendmail] [-o organization] "
	    "[-r resolver] [-s statedir] [-u user] [-w seconds] [domain ...]",
	    "stdio rpath wpath cpath flock inet dns proc exec getpw id" },
	{ "table",	cmd_table,	"[name] [socket]",	"stdio unix" },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

static __dead void
usage(void)
{
	size_t	 i;

	for (i = 0; i < NCMDS; i++)
		fprintf(stderr, "%s %s %s %s\n", i == 0 ? "usage:" : "      ",
		    PROGNAME, cmds[i].name, cmds[i].args);
	exit(EXIT_USAGE);
}

void
usage_cmd(const char *name)
{
	usage_status(name, EXIT_USAGE);
}

/* check exits 3 on a usage error, as monitoring plugins do. */
void
usage_status(const char *name, int status)
{
	size_t	 i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			fprintf(stderr, "usage: %s %s %s\n", PROGNAME,
			    name, cmds[i].args);
	exit(status);
}

int
main(int argc, char *argv[])
{
	size_t	 i;

	if (argc < 2)
		usage();
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
#ifdef __OpenBSD__
		if (cmds[i].promises != NULL &&
		    pledge(cmds[i].promises, NULL) == -1)
			err(EXIT_USAGE, "pledge");
#endif
		return cmds[i].run(argc - 1, argv + 1);
	}
	warnx("unknown command: %s", argv[1]);
	usage();
}
