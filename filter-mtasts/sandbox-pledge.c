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
#include <unistd.h>

#include "extern.h"

/*
 * OpenBSD: after privdrop(), the network process needs sockets and the
 * cache directory it was chrooted into, and flock(2) for the TLS
 * reporting results it writes (rptstore.c); the front only its
 * descriptors and UNIX sockets.
 */

void
sandbox_network(void)
{
	if (pledge("stdio rpath wpath cpath flock inet", NULL) == -1)
		fatal("pledge");
}

/* The verifying relay (-R) accepts smtpd's connections over TCP. */
void
sandbox_front(int relay)
{
	if (pledge(relay ? "stdio unix inet" : "stdio unix", NULL) == -1)
		fatal("pledge");
}
