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


#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The table protocols without their I/O: one line or one frame in, the
 * reply out, so that regress/fuzz drives them from a buffer.
 *	tablesrv_answer		the filter's socket (tablesrv.c)
 *	table_text_line		smtpd 7.6+, smtpd-tables(7) (table.c)
 *	table_imsg		smtpd 6.8, imsg frames (table.c)
 * In the last two the socket is the caller's ask callback.
 */

/* --- the filter's socket, answered from memory --- */

/*
 * A defer is an error, not "not found": through a listener without
 * the filter, smtpd then tempfails the RCPT instead of sending the
 * mail by the ordinary, unchecked action.
 */
static void
answer_check(struct vcache *vc, const char *domain, char *out, size_t outsz)
{
	const struct verdict	*v;

	if ((v = vcache_peek(vc, domain)) == NULL)
		(void)snprintf(out, outsz, "error no verdict yet for this "
		    "domain\n");
	else if (v->kind == VERDICT_STS_ENFORCE || v->kind == VERDICT_DANE)
		(void)snprintf(out, outsz, "found\n");
	else if (v->kind == VERDICT_DEFER)
		(void)snprintf(out, outsz, "error %s\n", v->reason);
	else
		(void)snprintf(out, outsz, "not-found\n");
}

/* The domain of a request line, normalised; -1 if none, or a literal. */
int
tablesrv_domain(const char *line, char *norm, size_t normsz)
{
	const char	*arg;

	if ((strncmp(line, "check ", 6) != 0 &&
	    strncmp(line, "relayhost ", 10) != 0) ||
	    (arg = strchr(line, ' ')) == NULL ||
	    domain_normalize(arg + 1, norm, normsz) != 0)
		return -1;
	return 0;
}

void
tablesrv_answer(struct vcache *vc, const char *line, char *out, size_t outsz)
{
	char		 norm[DNS_NAME_MAX + 1];
	const char	*mx, *arg;
	int		 kind, check;

	check = strncmp(line, "check ", 6) == 0;
	if ((!check && strncmp(line, "relayhost ", 10) != 0) ||
	    (arg = strchr(line, ' ')) == NULL ||
	    (kind = domain_normalize(arg + 1, norm, sizeof(norm))) == -1) {
		(void)snprintf(out, outsz, "error malformed request\n");
		return;
	}
	/* Address literals have no policy, as in the filter. */
	if (kind == 1)
		(void)snprintf(out, outsz, "not-found\n");
	else if (check)
		answer_check(vc, norm, out, outsz);
	else if ((mx = vcache_next_mx(vc, norm)) != NULL)
		(void)snprintf(out, outsz, "found smtp+tls://%s:25\n", mx);
	else
		(void)snprintf(out, outsz, "not-found\n");
}

/* --- what table.c makes of the answers --- */

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/*
 * The question for the filter, one line: a key smtpd should never
 * send (too long, control bytes) is an error without asking.
 */
static const char *
ask_key(table_ask_cb ask, void *arg, const char *what, const char *key,
    char *reply, size_t replysz)
{
	const char	*r;

	if (strlen(key) > DNS_NAME_MAX + 2 || !printable(key))
		return "error malformed key";
	if ((r = ask(arg, what, key, reply, replysz)) == NULL ||
	    strlen(r) >= TABLE_LINE_MAX || !printable(r))
		return "error bad answer from filter-mtasts";
	return r;
}

/* Each answer as one of found, found VALUE (lookups), not-found, error. */
enum answer {
	A_FOUND,
	A_NOTFOUND,
	A_ERROR
};

static enum answer
classify(const char *r, int lookup, const char **value)
{
	*value = NULL;
	if (strcmp(r, "not-found") == 0)
		return A_NOTFOUND;
	if (!lookup && strcmp(r, "found") == 0)
		return A_FOUND;
	if (lookup && strncmp(r, "found ", 6) == 0 && r[6] != '\0') {
		*value = r + 6;
		return A_FOUND;
	}
	*value = strncmp(r, "error ", 6) == 0 && r[6] != '\0' ? r + 6 :
	    "bad answer from filter-mtasts";
	return A_ERROR;
}

/* --- smtpd 7.6+: smtpd-tables(7) text protocol --- */

static int
text_reply(const char *op, const char *id, const char *r, char *out,
    size_t outsz)
{
	const char	*value;
	int		 lookup = strcmp(op, "lookup") == 0, n = -1;

	switch (classify(r, lookup, &value)) {
	case A_FOUND:
		if (lookup)
			n = snprintf(out, outsz, "lookup-result|%s|found|%s\n",
			    id, value);
		else
			n = snprintf(out, outsz, "check-result|%s|found\n", id);
		break;
	case A_NOTFOUND:
		n = snprintf(out, outsz, "%s-result|%s|not-found\n", op, id);
		break;
	case A_ERROR:
		n = snprintf(out, outsz, "%s-result|%s|error|%s\n", op, id,
		    value);
		break;
	}
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/*
 * One line from smtpd, without its newline.  Before "config|ready"
 * only the configuration; then requests,
 *	table|0.1|TS|NAME|OP|SERVICE|ID|KEY, or update/fetch variants.
 * The reply, possibly empty, goes to out, of TABLE_TEXT_OUT bytes;
 * -1 for a line smtpd would never send.
 */
int
table_text_line(struct table_text *t, char *line, table_ask_cb ask,
    void *arg, char *out, size_t outsz)
{
	char		*f[8], *p = line, reply[TABLE_LINE_MAX];
	const char	*r;
	size_t		 n;

	out[0] = '\0';
	if (outsz < TABLE_TEXT_OUT || strlen(line) >= TABLE_TEXT_MAX)
		return -1;
	if (!t->ready) {
		if (strcmp(line, "config|ready") == 0) {
			(void)snprintf(out, outsz, "register|domain\n"
			    "register|relayhost\nregister|ready\n");
			t->ready = 1;
		}
		return 0;
	}
	for (n = 0; n < 8 && p != NULL; n++)
		f[n] = strsep(&p, n == 7 ? "" : "|");
	if (n < 5 || strcmp(f[0], "table") != 0)
		return -1;
	if (strcmp(f[4], "update") == 0 && n >= 6) {
		(void)snprintf(out, outsz, "update-result|%s|ok\n", f[5]);
		return 0;
	}
	if (strcmp(f[4], "fetch") == 0 && n >= 7) {
		(void)snprintf(out, outsz, "fetch-result|%s|error|not "
		    "supported\n", f[6]);
		return 0;
	}
	if (n != 8 || (strcmp(f[4], "check") != 0 &&
	    strcmp(f[4], "lookup") != 0))
		return -1;
	if (strcmp(f[4], "check") == 0 && strcmp(f[5], "domain") == 0)
		r = ask_key(ask, arg, "check", f[7], reply, sizeof(reply));
	else if (strcmp(f[4], "lookup") == 0 && strcmp(f[5], "relayhost") == 0)
		r = ask_key(ask, arg, "relayhost", f[7], reply, sizeof(reply));
	else
		r = "error service not offered";
	return text_reply(f[4], f[6], r, out, outsz);
}

/* --- smtpd 6.8: imsg frames (table_proc.c, API version 2) --- */

#define PROC_OK		0
#define PROC_OPEN	2
#define PROC_CLOSE	3
#define PROC_UPDATE	4
#define PROC_CHECK	5
#define PROC_LOOKUP	6
#define PROC_FETCH	7
#define PROC_API	2
#define K_DOMAIN	0x002
#define K_RELAYHOST	0x200

/* {u32 type; u16 len; u16 flags; u32 peerid; u32 pid}, host order. */
struct imsg_hdr {
	uint32_t	 type;
	uint16_t	 len;
	uint16_t	 flags;
	uint32_t	 peerid;
	uint32_t	 pid;
};

/* The length of the payload that follows a header, or -1. */
int
table_imsg_len(const uint8_t *hdr)
{
	struct imsg_hdr	 h;

	memcpy(&h, hdr, TABLE_IMSG_HDR);
	if (h.len < TABLE_IMSG_HDR || h.len - TABLE_IMSG_HDR > TABLE_IMSG_MAX)
		return -1;
	return h.len - TABLE_IMSG_HDR;
}

/* OK, with an int result and a NUL-terminated value when r is 1. */
static void
imsg_reply(struct table_imsg_out *o, int withr, int r, const char *value)
{
	struct imsg_hdr	 h;
	size_t		 len = TABLE_IMSG_HDR;

	if (withr) {
		memcpy(o->buf + len, &r, sizeof(r));
		len += sizeof(r);
	}
	if (value != NULL) {
		memcpy(o->buf + len, value, strlen(value) + 1);
		len += strlen(value) + 1;
	}
	memset(&h, 0, sizeof(h));
	h.type = PROC_OK;
	h.len = len;
	h.pid = getpid();
	memcpy(o->buf, &h, TABLE_IMSG_HDR);
	o->len = len;
}

/*
 * CHECK and LOOKUP: {int service; size_t nparams; key NUL}.  An error
 * is all smtpd 6.8 gets, so it is logged here, the key quoted.
 */
static int
imsg_query(uint32_t type, const uint8_t *p, size_t len, table_ask_cb ask,
    void *arg, struct table_imsg_out *o)
{
	char		 reply[TABLE_LINE_MAX], qkey[256];
	const char	*r, *key, *value;
	int		 service;
	size_t		 off = sizeof(int) + sizeof(size_t);

	if (len <= off || p[len - 1] != '\0') {
		(void)snprintf(o->note, sizeof(o->note), "table: malformed "
		    "request from smtpd");
		return -1;
	}
	memcpy(&service, p, sizeof(int));
	key = (const char *)p + off;
	if (service == K_DOMAIN && type == PROC_CHECK)
		r = ask_key(ask, arg, "check", key, reply, sizeof(reply));
	else if (service == K_RELAYHOST && type == PROC_LOOKUP)
		r = ask_key(ask, arg, "relayhost", key, reply, sizeof(reply));
	else
		r = "error service not offered";
	switch (classify(r, type == PROC_LOOKUP, &value)) {
	case A_FOUND:
		imsg_reply(o, 1, 1, type == PROC_LOOKUP ? value : NULL);
		break;
	case A_NOTFOUND:
		imsg_reply(o, 1, 0, NULL);
		break;
	case A_ERROR:
		sts_quote(qkey, sizeof(qkey), key, strlen(key));
		(void)snprintf(o->note, sizeof(o->note), "table: \"%s\": %s",
		    qkey, value);
		imsg_reply(o, 1, -1, NULL);
		break;
	}
	return 0;
}

/*
 * One frame from smtpd: type and payload.  The reply frame, if any,
 * goes to o->buf (o->len bytes), a line to log to o->note.  Returns 0,
 * 1 when smtpd closes the table, -1 for a frame smtpd would never send
 * (o->note says why).
 */
int
table_imsg(uint32_t type, const uint8_t *p, size_t len, table_ask_cb ask,
    void *arg, struct table_imsg_out *o)
{
	uint32_t	 version;

	o->len = 0;
	o->note[0] = '\0';
	switch (type) {
	case PROC_OPEN:
		if (len < sizeof(version)) {
			(void)snprintf(o->note, sizeof(o->note), "table: "
			    "malformed open from smtpd");
			return -1;
		}
		memcpy(&version, p, sizeof(version));
		if (version != PROC_API) {
			(void)snprintf(o->note, sizeof(o->note), "table: smtpd "
			    "table API is not %d", PROC_API);
			return -1;
		}
		imsg_reply(o, 0, 0, NULL);
		return 0;
	case PROC_CLOSE:
		return 1;
	case PROC_UPDATE:
		imsg_reply(o, 1, 1, NULL);
		return 0;
	case PROC_CHECK:
	case PROC_LOOKUP:
		return imsg_query(type, p, len, ask, arg, o);
	case PROC_FETCH:
		imsg_reply(o, 1, 0, NULL);
		return 0;
	default:
		(void)snprintf(o->note, sizeof(o->note), "table: unknown "
		    "request %u from smtpd", type);
		return -1;
	}
}
