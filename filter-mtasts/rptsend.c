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


#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"
#include "rptsend.h"

/*
 * Delivery of a TLS report (RFC 8460 5) to one rua:
 *  - mailto: an RFC 8460 5.3 message, multipart/report with the gzip
 *    report attached, handed to the local MTA's sendmail(8), so it is
 *    signed (DKIM, 5.3) and queued like other mail.  It carries
 *    "TLS-Required: No" (RFC 8689; RFC 8460 5.3.1: a report goes out
 *    despite TLS failures) and "Auto-Submitted: auto-generated";
 *  - https: a POST of application/tlsrpt+gzip with libtls (fetch.c):
 *    PKIX and the host name checked, no redirect followed, the fetch
 *    time limit, any 2xx is delivery.
 * Every wait is bounded: DNS and HTTPS by the loop's timer, sendmail by
 * SENDMAIL_TIMEOUT, after which it is killed.
 */

#define SENDMAIL_TIMEOUT	60	/* s */
#define LOOKUP_TIMEOUT		30	/* s */

/* The loop until *done, or the deadline; 0 if done in time. */
static int
run_until(struct event_base *base, int *done, int seconds)
{
	time_t	 end = time(NULL) + seconds;

	while (!*done) {
		if (time(NULL) >= end)
			return -1;
		if (event_base_loop(base, EVLOOP_ONCE) == -1)
			return -1;
	}
	return 0;
}

struct wait_dns {
	int		 done, pending;
	struct dns_waiter *wa, *waaaa;
	enum dns_status	 status;
	enum dns_sec	 sec;
	struct rpt_record rec;
	int		 have_rec;
	struct sockaddr_storage *addrs;
	size_t		*naddrs, max;
	uint16_t	 port;
	char		 why[STS_ERR_MAX];
};

static void
on_record(void *arg, const struct dns_result *res)
{
	struct wait_dns	*w = arg;

	w->done = 1;
	w->status = res->status;
	w->sec = res->sec;
	(void)snprintf(w->why, sizeof(w->why), "%s", res->why);
	if (res->status == DNS_ANSWER)
		w->have_rec = rpt_record_from_dns(&res->msg, &w->rec) == 0;
}

/*
 * The rua of domain's TLSRPT record: RPT_OK, RPT_NONE when it has none
 * (or not exactly one valid one, RFC 8460 3), RPT_TRY_LATER when the
 * DNS did not answer.
 */
int
rpt_lookup_record(struct rpt_sender *s, const char *domain,
    struct rpt_record *rec, char *why, size_t whysz)
{
	struct wait_dns		 w;
	struct dns_waiter	*dw;
	char			 name[DNS_NAME_MAX + 16];

	memset(&w, 0, sizeof(w));
	(void)snprintf(name, sizeof(name), "_smtp._tls.%s", domain);
	if ((dw = dns_lookup(s->dns, name, DNS_T_TXT, on_record, &w)) ==
	    NULL) {
		(void)snprintf(why, whysz, "%s: cannot start the lookup", name);
		return RPT_TRY_LATER;
	}
	if (run_until(s->base, &w.done, LOOKUP_TIMEOUT) == -1) {
		dns_cancel(dw);
		(void)snprintf(why, whysz, "%s TXT: no answer", name);
		return RPT_TRY_LATER;
	}
	if (w.status == DNS_FAIL) {
		(void)snprintf(why, whysz, "%s TXT: %s", name, w.why);
		return RPT_TRY_LATER;
	}
	if (!w.have_rec) {
		(void)snprintf(why, whysz, "%s: no TLSRPT record with a "
		    "mailto: or https: rua", name);
		return RPT_NONE;
	}
	*rec = w.rec;
	return RPT_OK;
}

/* ------------------------------------------------------------- https */

static void	on_addr(struct wait_dns *, const struct dns_result *);

static void
on_a(void *arg, const struct dns_result *res)
{
	struct wait_dns	*w = arg;

	w->wa = NULL;
	on_addr(w, res);
}

static void
on_aaaa(void *arg, const struct dns_result *res)
{
	struct wait_dns	*w = arg;

	w->waaaa = NULL;
	on_addr(w, res);
}

static void
on_addr(struct wait_dns *w, const struct dns_result *res)
{
	struct sockaddr_storage	*ss;
	size_t			 i;

	w->done = --w->pending == 0;
	if (res->status != DNS_ANSWER)
		return;
	for (i = 0; i < res->msg.nrr && *w->naddrs < w->max; i++) {
		ss = &w->addrs[(*w->naddrs)++];
		memset(ss, 0, sizeof(*ss));
		if (res->msg.rr[i].type == DNS_T_A && res->msg.rr[i].len == 4) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ss;

			sin->sin_family = AF_INET;
			sin->sin_port = htons(w->port);
			memcpy(&sin->sin_addr, res->msg.rr[i].data, 4);
		} else if (res->msg.rr[i].type == DNS_T_AAAA &&
		    res->msg.rr[i].len == 16) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(w->port);
			memcpy(&sin6->sin6_addr, res->msg.rr[i].data, 16);
		} else
			(*w->naddrs)--;
	}
}

/* "https://HOST[:PORT][/PATH]" into its parts; -1 if it is not that. */
int
rpt_https_split(const char *uri, char *host, size_t hostsz, uint16_t *port,
    const char **path)
{
	const char	*h = uri + 8, *end, *colon;
	char		 norm[DNS_NAME_MAX + 1];
	long		 p = 443;
	char		*e;

	if (strncasecmp(uri, "https://", 8) != 0)
		return -1;
	end = h + strcspn(h, "/?#");
	*path = *end == '/' ? end : "/";
	if (*end == '?' || *end == '#')
		return -1;
	if ((colon = memchr(h, ':', end - h)) != NULL) {
		p = strtol(colon + 1, &e, 10);
		if (e != end || p < 1 || p > 65535)
			return -1;
	} else
		colon = end;
	if ((size_t)(colon - h) >= hostsz || colon == h)
		return -1;
	memcpy(host, h, colon - h);
	host[colon - h] = '\0';
	if (domain_normalize(host, norm, sizeof(norm)) != 0)
		return -1;
	(void)snprintf(host, hostsz, "%s", norm);
	*port = (uint16_t)p;
	return 0;
}

struct wait_post {
	int		 done, ok, status;
	char		 err[STS_ERR_MAX];
};

static void
on_post(void *arg, const struct fetch_result *res)
{
	struct wait_post	*w = arg;

	w->done = 1;
	w->ok = res->ok;
	w->status = res->status;
	(void)snprintf(w->err, sizeof(w->err), "%s", res->err);
}

static int
post(struct rpt_sender *s, const char *uri, const struct rpt_buf *gz,
    char *why, size_t whysz)
{
	struct sockaddr_storage	 addrs[8];
	struct wait_dns		 w;
	struct wait_post	 wp;
	struct fetch		*f;
	const char		*path;
	char			 host[DNS_NAME_MAX + 1];
	size_t			 naddrs = 0;

	memset(&w, 0, sizeof(w));
	if (rpt_https_split(uri, host, sizeof(host), &w.port, &path) == -1) {
		(void)snprintf(why, whysz, "not a usable https URI");
		return RPT_NONE;
	}
	w.pending = 2;
	w.addrs = addrs;
	w.naddrs = &naddrs;
	w.max = 8;
	w.wa = dns_lookup(s->dns, host, DNS_T_A, on_a, &w);
	w.waaaa = dns_lookup(s->dns, host, DNS_T_AAAA, on_aaaa, &w);
	if (w.wa == NULL || w.waaaa == NULL) {
		dns_cancel(w.wa);
		dns_cancel(w.waaaa);
		(void)snprintf(why, whysz, "%s: cannot look it up", host);
		return RPT_TRY_LATER;
	}
	if (run_until(s->base, &w.done, LOOKUP_TIMEOUT) == -1) {
		dns_cancel(w.wa);
		dns_cancel(w.waaaa);
		(void)snprintf(why, whysz, "%s: no address in time", host);
		return RPT_TRY_LATER;
	}
	if (naddrs == 0) {
		(void)snprintf(why, whysz, "%s: no address", host);
		return RPT_TRY_LATER;
	}
	memset(&wp, 0, sizeof(wp));
	if ((f = fetch_post(s->fetcher, host, path, "application/tlsrpt+gzip",
	    gz->p, gz->len, addrs, naddrs, on_post, &wp)) == NULL) {
		(void)snprintf(why, whysz, "%s: cannot post", host);
		return RPT_TRY_LATER;
	}
	if (run_until(s->base, &wp.done, s->timeout + 5) == -1) {
		fetch_cancel(f);
		(void)snprintf(why, whysz, "%s: no answer in time", host);
		return RPT_TRY_LATER;
	}
	if (!wp.ok) {
		(void)snprintf(why, whysz, "%s: %s", host, wp.err);
		return RPT_TRY_LATER;
	}
	(void)snprintf(why, whysz, "%s: HTTP %d", host, wp.status);
	return RPT_OK;
}

/* ------------------------------------------------------------ mailto */

static void
b64(struct rpt_buf *out, const uint8_t *p, size_t len)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char			 q[4];
	size_t			 i, col = 0;
	uint32_t		 v;

	for (i = 0; i < len; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = a[v >> 18 & 63];
		q[1] = a[v >> 12 & 63];
		q[2] = i + 1 < len ? a[v >> 6 & 63] : '=';
		q[3] = i + 2 < len ? a[v & 63] : '=';
		rpt_buf_add(out, q, 4);
		if ((col += 4) == 76) {
			rpt_buf_str(out, "\n");
			col = 0;
		}
	}
	if (col > 0)
		rpt_buf_str(out, "\n");
}

static void
header(struct rpt_buf *m, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
header(struct rpt_buf *m, const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	rpt_buf_str(m, line);
	rpt_buf_str(m, "\n");
}

/* The RFC 8460 5.3 message, its report attached gzipped. */
void
rpt_mail_build(struct rpt_buf *m, const struct rpt_mail *rm,
    const char *rcpt, const struct rpt_buf *gz)
{
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		 date[64], boundary[64];

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
	    &tm) == 0)
		(void)snprintf(date, sizeof(date), "Thu, 01 Jan 1970 "
		    "00:00:00 +0000");
	(void)snprintf(boundary, sizeof(boundary), "tlsrpt-%08x%08x",
	    arc4random(), arc4random());
	header(m, "From: %s", rm->from);
	header(m, "To: %s", rcpt);
	header(m, "Date: %s", date);
	header(m, "Subject: Report Domain: %s Submitter: %s", rm->domain,
	    rm->submitter);
	header(m, " Report-ID: <%s>", rm->report_id);
	header(m, "Message-ID: <%08x%08x.%s>", arc4random(), arc4random(),
	    rm->report_id);
	header(m, "TLS-Report-Domain: %s", rm->domain);
	header(m, "TLS-Report-Submitter: %s", rm->submitter);
	header(m, "TLS-Required: No");
	header(m, "Auto-Submitted: auto-generated");
	header(m, "MIME-Version: 1.0");
	header(m, "Content-Type: multipart/report; report-type=\"tlsrpt\";");
	header(m, "\tboundary=\"%s\"", boundary);
	header(m, "%s", "");
	header(m, "This is a multipart message in MIME format.");
	header(m, "%s", "");
	header(m, "--%s", boundary);
	header(m, "Content-Type: text/plain; charset=\"us-ascii\"");
	header(m, "Content-Transfer-Encoding: 7bit");
	header(m, "%s", "");
	header(m, "This is an aggregate TLS report (RFC 8460) from %s",
	    rm->submitter);
	header(m, "for %s, %s UTC.", rm->domain, rm->day);
	header(m, "%s", "");
	header(m, "--%s", boundary);
	header(m, "Content-Type: application/tlsrpt+gzip");
	header(m, "Content-Transfer-Encoding: base64");
	header(m, "Content-Disposition: attachment;");
	header(m, "\tfilename=\"%s!%s!%lld!%lld.json.gz\"", rm->submitter,
	    rm->domain, (long long)rm->start, (long long)rm->end);
	header(m, "%s", "");
	b64(m, (const uint8_t *)gz->p, gz->len);
	header(m, "%s", "");
	header(m, "--%s--", boundary);
}

/* Everything to fd, within the deadline. */
static int
write_all(int fd, const char *p, size_t len, time_t end)
{
	struct pollfd	 pfd;
	ssize_t		 n;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	while (len > 0) {
		if (time(NULL) >= end || poll(&pfd, 1, 1000) == -1)
			return -1;
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int
sendmail(struct rpt_sender *s, const char *rcpt, const struct rpt_buf *msg,
    char *why, size_t whysz)
{
	pid_t	 pid;
	int	 fds[2], status = 0, devnull;
	time_t	 end = time(NULL) + SENDMAIL_TIMEOUT;

	if (pipe(fds) == -1) {
		(void)snprintf(why, whysz, "pipe: %s", strerror(errno));
		return RPT_TRY_LATER;
	}
	switch ((pid = fork())) {
	case -1:
		(void)snprintf(why, whysz, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return RPT_TRY_LATER;
	case 0:
		if ((devnull = open("/dev/null", O_WRONLY)) != -1)
			(void)dup2(devnull, STDOUT_FILENO);
		if (dup2(fds[0], STDIN_FILENO) == -1)
			_exit(127);
		closefrom(STDERR_FILENO + 1);
		execl(s->sendmail, s->sendmail, "-i", "-f", s->mail.from, "--",
		    rcpt, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	(void)fcntl(fds[1], F_SETFL, O_NONBLOCK);
	if (write_all(fds[1], msg->p, msg->len, end) == -1)
		(void)snprintf(why, whysz, "%s: cannot write the message",
		    s->sendmail);
	close(fds[1]);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (time(NULL) >= end) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			(void)snprintf(why, whysz, "%s: killed after %d s",
			    s->sendmail, SENDMAIL_TIMEOUT);
			return RPT_TRY_LATER;
		}
		(void)poll(NULL, 0, 50);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		(void)snprintf(why, whysz, "%s exited %d", s->sendmail,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return RPT_TRY_LATER;
	}
	(void)snprintf(why, whysz, "handed to %s", s->sendmail);
	return RPT_OK;
}

/* "mailto:addr[,addr][?headers]": the first address, without hfields. */
static int
mailto_addr(const char *uri, char *addr, size_t addrsz)
{
	size_t	 n = strcspn(uri + 7, "?,");

	if (n == 0 || n >= addrsz || memchr(uri + 7, '@', n) == NULL ||
	    memchr(uri + 7, '%', n) != NULL || uri[7] == '-')
		return -1;
	memcpy(addr, uri + 7, n);
	addr[n] = '\0';
	return 0;
}

/* One rua: RPT_OK when it took the report, else why. */
int
rpt_deliver(struct rpt_sender *s, const char *uri, const struct rpt_buf *gz,
    char *why, size_t whysz)
{
	struct rpt_buf	 msg;
	char		 rcpt[512];
	int		 r;

	if (strncasecmp(uri, "https://", 8) == 0)
		return post(s, uri, gz, why, whysz);
	if (strncasecmp(uri, "mailto:", 7) != 0 ||
	    mailto_addr(uri, rcpt, sizeof(rcpt)) == -1) {
		(void)snprintf(why, whysz, "not a usable rua");
		return RPT_NONE;
	}
	memset(&msg, 0, sizeof(msg));
	rpt_mail_build(&msg, &s->mail, rcpt, gz);
	if (msg.err) {
		rpt_buf_free(&msg);
		(void)snprintf(why, whysz, "the message is too large");
		return RPT_NONE;
	}
	r = sendmail(s, rcpt, &msg, why, whysz);
	rpt_buf_free(&msg);
	return r;
}
