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


#include <arpa/inet.h>
#include <event2/buffer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "mtasts.h"

/*
 * A TLS reporting result on the wire, front to network process
 * (IPC_RESULT):
 *	u32 policy, u32 failed, u32 nstrings, u32 nmx, u32 ndetails,
 *	then NUL-terminated: domain, policy domain, the policy strings,
 *	the mx patterns, and per detail its result type's name and six
 *	strings (sending ip, mx host, helo, receiving ip, additional
 *	information, reason), "" for none.
 * The network process checks it as it checks anything (rpt.c) before
 * it is stored; it unpacks into rw, pointing into the message.
 */

#define RWIRE_HDR	20

static int
add(struct evbuffer *b, const char *s)
{
	if (s == NULL)
		s = "";
	return evbuffer_add(b, s, strlen(s) + 1);
}

int
rptwire_pack(const struct rpt_result *r, struct evbuffer *b)
{
	const struct rpt_detail	*d;
	uint32_t		 n[5];
	size_t			 i;

	if (!rpt_result_valid(r))
		return -1;
	n[0] = htonl((uint32_t)r->policy);
	n[1] = htonl((uint32_t)r->failed);
	n[2] = htonl((uint32_t)r->nstrings);
	n[3] = htonl((uint32_t)r->nmx);
	n[4] = htonl((uint32_t)r->ndetails);
	if (evbuffer_add(b, n, sizeof(n)) == -1 || add(b, r->domain) == -1 ||
	    add(b, r->policy_domain) == -1)
		return -1;
	for (i = 0; i < r->nstrings; i++)
		if (add(b, r->strings[i]) == -1)
			return -1;
	for (i = 0; i < r->nmx; i++)
		if (add(b, r->mx[i]) == -1)
			return -1;
	for (i = 0; i < r->ndetails; i++) {
		d = &r->details[i];
		if (add(b, rpt_result_name(d->type)) == -1 ||
		    add(b, d->sending_ip) == -1 || add(b, d->mx_host) == -1 ||
		    add(b, d->mx_helo) == -1 || add(b, d->receiving_ip) == -1 ||
		    add(b, d->additional) == -1 || add(b, d->reason) == -1)
			return -1;
	}
	return evbuffer_get_length(b) > IPC_MAX ? -1 : 0;
}

int
rptwire_unpack(const uint8_t *buf, size_t len, struct rpt_wire *rw)
{
	const uint8_t	*p = buf + RWIRE_HDR, *end = buf + len;
	const char	*s[7];
	struct rpt_result *r = &rw->r;
	uint32_t	 n[5];
	size_t		 i, j;
	int		 t;

	memset(rw, 0, sizeof(*rw));
	if (len < RWIRE_HDR)
		return -1;
	memcpy(n, buf, sizeof(n));
	for (i = 0; i < 5; i++)
		n[i] = ntohl(n[i]);
	if (n[0] >= RPT_P_N || n[1] > 1 || n[2] > RPT_STRS_MAX ||
	    n[3] > RPT_STRS_MAX || n[4] > RPT_DETAILS_MAX)
		return -1;
	r->policy = n[0];
	r->failed = (int)n[1];
	if ((r->domain = wire_string(&p, end, IPC_MAX)) == NULL ||
	    (r->policy_domain = wire_string(&p, end, IPC_MAX)) == NULL)
		return -1;
	for (i = 0; i < n[2] + n[3]; i++)
		if ((rw->str[i] = wire_string(&p, end, IPC_MAX)) == NULL)
			return -1;
	r->strings = rw->str;
	r->nstrings = n[2];
	r->mx = rw->str + n[2];
	r->nmx = n[3];
	for (i = 0; i < n[4]; i++) {
		for (j = 0; j < 7; j++)
			if ((s[j] = wire_string(&p, end, IPC_MAX)) == NULL)
				return -1;
		if ((t = rpt_result_from_name(s[0])) == -1)
			return -1;
		rw->det[i].type = t;
		rw->det[i].sending_ip = s[1];
		rw->det[i].mx_host = s[2];
		rw->det[i].mx_helo = s[3];
		rw->det[i].receiving_ip = s[4];
		rw->det[i].additional = s[5];
		rw->det[i].reason = s[6];
	}
	r->details = rw->det;
	r->ndetails = n[4];
	if (p != end || !rpt_result_valid(r))
		return -1;
	return 0;
}
