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


#ifndef EXTERN_H
#define EXTERN_H

#include <stdio.h>

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

/* Exit status shared by every subcommand: a contract, see filter-mtasts(8). */
#define PROGNAME	"filter-mtasts"

#define EXIT_YES	0	/* valid, matches */
#define EXIT_NO		1	/* invalid, does not match */
#define EXIT_USAGE	2	/* bad invocation or unreadable input */

/* main.c */
__dead void	 usage_cmd(const char *);

/* cmd_record.c, cmd_policy.c, cmd_match.c, cmd_query.c */
int		 cmd_record(int, char **);
int		 cmd_policy(int, char **);
int		 cmd_match(int, char **);
int		 cmd_query(int, char **);

/* json.c */
void		 json_string(FILE *, const char *);

#endif /* EXTERN_H */
