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

/*
 * libFuzzer target for the framing of messages between the processes
 * (ipc.c): the input is what one process could write on the link.
 * Every frame found must lie within the input, say its own size and
 * come back byte for byte when encoded again; a frame refused must be
 * one that declares more than IPC_MAX; "more needed" only for a
 * frame cut short.  A broken invariant calls abort().
 */

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"

#define HDR	12

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint32_t
declared(const uint8_t *p)
{
	uint32_t	 v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		 hdr[HDR];
	uint32_t	 type, id, v[3];
	size_t		 off = 0, plen;
	ssize_t		 n;

	for (;;) {
		n = ipc_frame(data + off, size - off, &type, &id, &plen);
		if (n == 0) {
			if (size - off >= HDR &&
			    size - off - HDR >= declared(data + off))
				abort();
			return 0;
		}
		if (n == -1) {
			if (size - off < HDR ||
			    declared(data + off) <= IPC_MAX)
				abort();
			return 0;
		}
		if ((size_t)n > size - off || plen > IPC_MAX ||
		    (size_t)n != HDR + plen)
			abort();
		v[0] = htonl((uint32_t)plen);
		v[1] = htonl(type);
		v[2] = htonl(id);
		memcpy(hdr, v, HDR);
		if (memcmp(hdr, data + off, HDR) != 0)
			abort();
		off += n;
	}
}
