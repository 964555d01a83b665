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


#ifndef REGRESS_H
#define REGRESS_H

/*
 * A minimal test harness.  Each check prints one line, "ok - name" or
 * "not ok - name" followed by what went wrong; regress/run.sh counts
 * them.  regress_exit() returns 1 when any check failed.
 */
void	 regress_check(int, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
void	 regress_diag(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
int	 regress_exit(void);

#endif /* REGRESS_H */
