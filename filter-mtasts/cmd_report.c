
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "mtasts.h"
#include "rptsend.h"

/*
 * filter-mtasts report: the TLS reports (RFC 8460) of the results the
 * network process records (rptstore.c).
 *	show	what is recorded, per day and domain, and where each
 *		report stands
 *	json	the report of a domain, as it would be sent
 *	send	the reports that are due, to every rua of each domain's
 *		TLSRPT record; run it from cron(8) or a timer, every
 *		few minutes
 * A day's reports are due once the day is over (UTC), each after a
 * random delay of up to -w seconds (RFC 8460 4.1 asks for one so that
 * receivers are not hit by every sender at midnight); a report a rua
 * did not take is tried again after 5 minutes, then twice as long
 * each time up to 4 hours, until 24 hours after its first attempt
 * (RFC 8460 5.4: "SHOULD retry for up to 24 hours"), then dropped,
 * and said.  Where each report stands is kept beside its results, in
 * DAY/out/DOMAIN, replaced by rename(2).
 */

#define DAY		86400
#define SPREAD_DEFAULT	14400		/* s: RFC 8460 4.1's example */
#define RETRY_FIRST	300
#define RETRY_MAX	14400
#define RETRY_WINDOW	86400
#define POST_TIMEOUT	30
#define STATE_MAGIC	"filter-mtasts tlsrpt 1"
#define STATE_MAX	8192
#define SENDMAIL_DEFAULT "/usr/sbin/sendmail"

struct out_state {
	char		 status[16];	/* pending sent dropped norecord
					   nofailure */
	int64_t		 due;		/* not before */
	int64_t		 first;		/* first attempt, 0: none */
	int		 attempts;
	char		*done[RPT_RUA_MAX];
	size_t		 ndone;
};

struct report_opts {
	const char	*statedir, *user, *day, *org, *contact, *from;
	const char	*sendmail;
	char		 submitter[DNS_NAME_MAX + 1];
	int64_t		 spread;
	int		 failures_only, now;
	struct resolver_conf rc;
};

static void
state_free(struct out_state *st)
{
	size_t	 i;

	for (i = 0; i < st->ndone; i++)
		free(st->done[i]);
	memset(st, 0, sizeof(*st));
}

static int
final(const struct out_state *st)
{
	return strcmp(st->status, "pending") != 0;
}

/* DAY/out/DOMAIN, or a fresh state when there is none that parses. */
static void
state_load(int ddir, const char *domain, struct out_state *st)
{
	char		 buf[STATE_MAX + 1], path[DNS_NAME_MAX + 8];
	char		*line, *next, *v;
	ssize_t		 n;
	long long	 x;
	int		 fd;

	memset(st, 0, sizeof(*st));
	(void)snprintf(st->status, sizeof(st->status), "pending");
	(void)snprintf(path, sizeof(path), "out/%s", domain);
	if ((fd = openat(ddir, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, STATE_MAX + 1);
	close(fd);
	if (n <= 0 || n > STATE_MAX)
		return;
	buf[n] = '\0';
	if (strncmp(buf, STATE_MAGIC "\n", strlen(STATE_MAGIC) + 1) != 0)
		return;
	for (line = buf + strlen(STATE_MAGIC) + 1; *line != '\0';
	    line = next) {
		if ((next = strchr(line, '\n')) == NULL)
			break;
		*next++ = '\0';
		if ((v = strchr(line, ' ')) == NULL)
			continue;
		*v++ = '\0';
		x = strtoll(v, NULL, 10);
		if (strcmp(line, "status") == 0)
			(void)snprintf(st->status, sizeof(st->status), "%s", v);
		else if (strcmp(line, "due") == 0)
			st->due = x;
		else if (strcmp(line, "first") == 0)
			st->first = x;
		else if (strcmp(line, "attempts") == 0)
			st->attempts = (int)x;
		else if (strcmp(line, "done") == 0 &&
		    st->ndone < RPT_RUA_MAX &&
		    (st->done[st->ndone] = strdup(v)) != NULL)
			st->ndone++;
	}
}

/* Written aside, then renamed over the old one. */
static int
state_save(int ddir, const char *domain, const struct out_state *st)
{
	char	 tmp[DNS_NAME_MAX + 32], path[DNS_NAME_MAX + 8];
	FILE	*fp;
	size_t	 i;
	int	 fd;

	if (mkdirat(ddir, "out", 0700) == -1 && errno != EEXIST)
		return -1;
	(void)snprintf(path, sizeof(path), "out/%s", domain);
	(void)snprintf(tmp, sizeof(tmp), "out/.tmp.%s.%ld", domain,
	    (long)getpid());
	if ((fd = openat(ddir, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	fprintf(fp, "%s\nstatus %s\ndue %lld\nfirst %lld\nattempts %d\n",
	    STATE_MAGIC, st->status, (long long)st->due,
	    (long long)st->first, st->attempts);
	for (i = 0; i < st->ndone; i++)
		fprintf(fp, "done %s\n", st->done[i]);
	if (fflush(fp) == EOF || ferror(fp) || fclose(fp) == EOF ||
	    renameat(ddir, tmp, ddir, path) == -1) {
		(void)unlinkat(ddir, tmp, 0);
		return -1;
	}
	return 0;
}

static int
done_with(const struct out_state *st, const char *uri)
{
	size_t	 i;

	for (i = 0; i < st->ndone; i++)
		if (strcmp(st->done[i], uri) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ options */

static void
opts_defaults(struct report_opts *o)
{
	static char	 host[DNS_NAME_MAX + 1], contact[DNS_NAME_MAX + 16];

	memset(o, 0, sizeof(*o));
	resolver_defaults(&o->rc);
	o->statedir = o->rc.statedir;
	o->user = PRIVSEP_USER;
	o->spread = SPREAD_DEFAULT;
	o->sendmail = SENDMAIL_DEFAULT;
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		(void)snprintf(host, sizeof(host), "localhost");
	(void)snprintf(contact, sizeof(contact), "postmaster@%s", host);
	o->org = host;
	o->contact = contact;
}

/* The submitter is the domain of the contact address (RFC 8460 5.3). */
static void
opts_check(struct report_opts *o)
{
	const char	*at;

	if (o->from == NULL)
		o->from = o->contact;
	if ((at = strrchr(o->contact, '@')) == NULL ||
	    domain_normalize(at + 1, o->submitter, sizeof(o->submitter)) != 0)
		errx(EXIT_USAGE, "-C %s: expected an address, "
		    "name@domain", o->contact);
	if (!rpt_text_valid(o->org) || !rpt_text_valid(o->contact) ||
	    !rpt_text_valid(o->from) || strchr(o->from, ' ') != NULL ||
	    o->from[0] == '-')
		errx(EXIT_USAGE, "-o, -C and -F must be printable text, "
		    "-F an address");
}

static void
opts_parse(int argc, char *argv[], struct report_opts *o, const char *allow,
    const char *cmd)
{
	const char	*e;
	int64_t		 start;
	long long	 n;
	int		 ch;

	while ((ch = getopt(argc, argv, allow)) != -1) {
		if (ch == 's') {
			o->statedir = optarg;
			continue;
		}
		if (resolver_option(ch, optarg, &o->rc))
			continue;
		switch (ch) {
		case 'C':
			o->contact = optarg;
			break;
		case 'd':
			if (rpt_day_parse(optarg, &start) == -1)
				errx(EXIT_USAGE, "-d %s: expected YYYY-MM-DD",
				    optarg);
			o->day = optarg;
			break;
		case 'F':
			o->from = optarg;
			break;
		case 'f':
			o->failures_only = 1;
			break;
		case 'm':
			o->sendmail = optarg;
			break;
		case 'n':
			o->now = 1;
			break;
		case 'o':
			o->org = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'w':
			n = strtoll(optarg, (char **)&e, 10);
			if (*e != '\0' || n < 0 || n > DAY)
				errx(EXIT_USAGE, "-w %s: expected seconds, "
				    "0 to %d", optarg, DAY);
			o->spread = n;
			break;
		default:
			usage_cmd(cmd);
		}
	}
}

/*
 * The results directory, as the user the network process writes it
 * as: root changes to that user first, for the directory is that
 * user's to write.
 */
static int
open_results(const struct report_opts *o)
{
	int	 dfd, fd;

	if (geteuid() == 0)
		privdrop(o->user, NULL);
	if ((dfd = open(o->statedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		err(EXIT_USAGE, "%s", o->statedir);
	if ((fd = openat(dfd, RPT_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			errx(EXIT_NO, "%s/%s: no results recorded",
			    o->statedir, RPT_DIR);
		err(EXIT_USAGE, "%s/%s", o->statedir, RPT_DIR);
	}
	close(dfd);
	return fd;
}

static int
day_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The days on file, sorted; *n of them. */
static char **
list_days(int rdir, size_t *n)
{
	struct dirent	*de;
	DIR		*d;
	char		**days = NULL, **nd;
	int64_t		 start;
	int		 fd;

	*n = 0;
	if ((fd = openat(rdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || (d = fdopendir(fd)) == NULL)
		err(EXIT_USAGE, "%s", RPT_DIR);
	while ((de = readdir(d)) != NULL) {
		if (rpt_day_parse(de->d_name, &start) == -1)
			continue;
		if ((nd = reallocarray(days, *n + 1, sizeof(*nd))) == NULL ||
		    (nd[*n] = strdup(de->d_name)) == NULL)
			err(EXIT_USAGE, "out of memory");
		days = nd;
		(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(days, *n, sizeof(*days), day_cmp);
	return days;
}

static struct rptday *
load_day(int rdir, const char *day)
{
	struct rptday	*d;
	char		 errbuf[256];

	if ((d = rptday_load(rdir, day, errbuf, sizeof(errbuf))) == NULL)
		errx(EXIT_USAGE, "%s", errbuf);
	return d;
}

/* The policies of one domain: [i, *end). */
static size_t
domain_end(const struct rptday *d, size_t i)
{
	size_t	 j;

	for (j = i; j < d->npol && strcmp(d->pol[j].domain,
	    d->pol[i].domain) == 0; j++)
		;
	return j;
}

/* --------------------------------------------------------------- show */

static void
show_day(int rdir, const char *day)
{
	struct rptday		*d = load_day(rdir, day);
	struct out_state	 st;
	uint64_t		 ok, failed, ndet, dropped;
	size_t			 i, j, k;
	int			 ddir;
	char			 due[32];
	time_t			 t;

	ddir = openat(rdir, day, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	for (i = 0; i < d->npol; i = j) {
		j = domain_end(d, i);
		ok = failed = ndet = dropped = 0;
		for (k = i; k < j; k++) {
			ok += d->pol[k].ok;
			failed += d->pol[k].failed;
			ndet += d->pol[k].ndetails;
			dropped += d->pol[k].details_dropped;
		}
		state_load(ddir, d->pol[i].domain, &st);
		due[0] = '\0';
		if (!final(&st) && st.due > 0) {
			t = (time_t)st.due;
			(void)strftime(due, sizeof(due), " %Y-%m-%dT%H:%M:%SZ",
			    gmtime(&t));
		}
		printf("%s %s policies %zu successful %llu failed %llu "
		    "details %llu", day, d->pol[i].domain, j - i,
		    (unsigned long long)ok, (unsigned long long)failed,
		    (unsigned long long)ndet);
		if (dropped > 0)
			printf(" (details without room %llu)",
			    (unsigned long long)dropped);
		printf(" report %s%s", st.status, due);
		if (st.attempts > 0)
			printf(" attempts %d", st.attempts);
		printf("\n");
		state_free(&st);
	}
	if (d->torn > 0)
		printf("%s: %llu bytes at the end of a results file are not "
		    "whole records (a write cut short)\n", day,
		    (unsigned long long)d->torn);
	if (ddir != -1)
		close(ddir);
	rptday_free(d);
}

static int
report_show(int argc, char *argv[])
{
	struct report_opts	 o;
	char			**days;
	size_t			 n, i;
	int			 rdir;

	opts_defaults(&o);
	opts_parse(argc, argv, &o, "d:s:u:", "report");
	if (optind != argc)
		usage_cmd("report");
	rdir = open_results(&o);
	if (o.day != NULL)
		show_day(rdir, o.day);
	else {
		days = list_days(rdir, &n);
		for (i = 0; i < n; i++) {
			show_day(rdir, days[i]);
			free(days[i]);
		}
		free(days);
	}
	close(rdir);
	return EXIT_YES;
}

/* --------------------------------------------------------------- json */

static void
meta_of(const struct report_opts *o, const char *day, const char *domain,
    char *id, size_t idsz, struct rpt_meta *m)
{
	int64_t	 start = 0;

	(void)rpt_day_parse(day, &start);
	(void)snprintf(id, idsz, "%s.%s@%s", day, domain, o->submitter);
	m->organization = o->org;
	m->contact = o->contact;
	m->report_id = id;
	m->start = start;
	m->end = start + DAY - 1;
}

static int
report_json(int argc, char *argv[])
{
	struct report_opts	 o;
	struct rptday		*d;
	struct rpt_meta		 m;
	struct rpt_buf		 b;
	char			 today[16], id[2 * DNS_NAME_MAX + 32];
	char			 norm[DNS_NAME_MAX + 1];
	uint64_t		 failures;
	size_t			 i, j;
	int			 rdir, k, rc = EXIT_YES;

	opts_defaults(&o);
	opts_parse(argc, argv, &o, "C:d:o:s:u:", "report");
	opts_check(&o);
	rpt_day_name(time(NULL), today, sizeof(today));
	rdir = open_results(&o);
	d = load_day(rdir, o.day != NULL ? o.day : today);
	for (i = 0; i < d->npol; i = j) {
		j = domain_end(d, i);
		for (k = optind; k < argc; k++)
			if (domain_normalize(argv[k], norm, sizeof(norm)) ==
			    0 && strcmp(norm, d->pol[i].domain) == 0)
				break;
		if (optind < argc && k == argc)
			continue;
		memset(&b, 0, sizeof(b));
		meta_of(&o, d->day, d->pol[i].domain, id, sizeof(id), &m);
		if (rpt_report_json(d, d->pol[i].domain, &m, &b,
		    &failures) == 0)
			printf("%s\n", b.p);
		else {
			warnx("%s: the report is too large", d->pol[i].domain);
			rc = EXIT_NO;
		}
		rpt_buf_free(&b);
	}
	rptday_free(d);
	close(rdir);
	return rc;
}

/* --------------------------------------------------------------- send */

static int64_t
backoff(int attempts)
{
	int64_t	 t = RETRY_FIRST;

	while (--attempts > 0 && t < RETRY_MAX)
		t *= 2;
	return t < RETRY_MAX ? t : RETRY_MAX;
}

/*
 * Every rua not done yet: RPT_OK when each usable one took it,
 * RPT_NONE when none is usable.
 */
static int
deliver_all(struct rpt_sender *s, const struct rpt_record *rec,
    struct out_state *st, const struct rpt_buf *gz, const char *tag)
{
	char	 why[STS_ERR_MAX + 64];
	size_t	 i, usable = 0;
	int	 r, rc = RPT_OK;

	for (i = 0; i < rec->nrua; i++) {
		if (done_with(st, rec->rua[i])) {
			usable++;
			continue;
		}
		r = rpt_deliver(s, rec->rua[i], gz, why, sizeof(why));
		usable += r != RPT_NONE;
		printf("%s: %s: %s%s\n", tag, rec->rua[i], r == RPT_OK ?
		    "delivered, " : r == RPT_NONE ? "not usable: " :
		    "not delivered: ", why);
		if (r == RPT_OK && st->ndone < RPT_RUA_MAX &&
		    (st->done[st->ndone] = strdup(rec->rua[i])) != NULL)
			st->ndone++;
		else if (r == RPT_TRY_LATER)
			rc = RPT_TRY_LATER;
	}
	return usable == 0 ? RPT_NONE : rc;
}

/* One domain's report of day d, when due. */
static void
send_one(struct rpt_sender *s, const struct report_opts *o, int ddir,
    const struct rptday *d, const char *domain, int64_t now)
{
	struct out_state	 st;
	struct rpt_record	 rec;
	struct rpt_meta		 m;
	struct rpt_buf		 json, gz;
	char			 id[2 * DNS_NAME_MAX + 32], tag[300];
	char			 why[STS_ERR_MAX + 64];
	uint64_t		 failures;
	int64_t			 start = 0;
	int			 r;

	(void)rpt_day_parse(d->day, &start);
	(void)snprintf(tag, sizeof(tag), "%s %s", d->day, domain);
	state_load(ddir, domain, &st);
	if (final(&st)) {
		state_free(&st);
		return;
	}
	if (st.due == 0) {
		/* first seen: its random time after the day's end */
		st.due = start + DAY + (o->spread > 0 ?
		    arc4random_uniform((uint32_t)o->spread) : 0);
		(void)state_save(ddir, domain, &st);
	}
	if (!o->now && now < st.due) {
		state_free(&st);
		return;
	}
	memset(&json, 0, sizeof(json));
	memset(&gz, 0, sizeof(gz));
	memset(&rec, 0, sizeof(rec));
	meta_of(o, d->day, domain, id, sizeof(id), &m);
	s->mail.domain = domain;
	s->mail.report_id = id;
	s->mail.day = d->day;
	s->mail.start = m.start;
	s->mail.end = m.end;
	if (rpt_report_json(d, domain, &m, &json, &failures) == -1 ||
	    rpt_gzip(json.p, json.len, &gz) == -1) {
		printf("%s: dropped: the report is too large\n", tag);
		(void)snprintf(st.status, sizeof(st.status), "dropped");
		goto save;
	}
	if (o->failures_only && failures == 0) {
		printf("%s: no failures: not sent (-f)\n", tag);
		(void)snprintf(st.status, sizeof(st.status), "nofailure");
		goto save;
	}
	if (st.first == 0)
		st.first = now;
	st.attempts++;
	r = rpt_lookup_record(s, domain, &rec, why, sizeof(why));
	if (r == RPT_NONE) {
		printf("%s: not sent: %s\n", tag, why);
		(void)snprintf(st.status, sizeof(st.status), "norecord");
		goto save;
	}
	if (r == RPT_OK && (r = deliver_all(s, &rec, &st, &gz, tag)) ==
	    RPT_OK) {
		printf("%s: report sent (%zu bytes gzip, %zu JSON)\n", tag,
		    gz.len, json.len);
		(void)snprintf(st.status, sizeof(st.status), "sent");
		goto save;
	}
	if (r == RPT_NONE) {
		printf("%s: not sent: no usable rua\n", tag);
		(void)snprintf(st.status, sizeof(st.status), "norecord");
		goto save;
	}
	if (now - st.first >= RETRY_WINDOW) {
		warnx("%s: report dropped: not delivered in %d hours (%d "
		    "attempts)", tag, RETRY_WINDOW / 3600, st.attempts);
		(void)snprintf(st.status, sizeof(st.status), "dropped");
	} else {
		st.due = now + backoff(st.attempts);
		printf("%s: attempt %d failed%s%s; next after %lld s\n", tag,
		    st.attempts, rec.nrua == 0 ? ": " : "", rec.nrua == 0 ?
		    why : "", (long long)(st.due - now));
	}
save:
	if (state_save(ddir, domain, &st) == -1)
		warn("%s: cannot keep where the report stands", tag);
	rpt_record_free(&rec);
	rpt_buf_free(&json);
	rpt_buf_free(&gz);
	state_free(&st);
}

static void
send_day(struct rpt_sender *s, const struct report_opts *o, int rdir,
    const char *day, int64_t now)
{
	struct rptday	*d = load_day(rdir, day);
	size_t		 i;
	int		 ddir;

	if ((ddir = openat(rdir, day, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		rptday_free(d);
		return;
	}
	for (i = 0; i < d->npol; i = domain_end(d, i))
		send_one(s, o, ddir, d, d->pol[i].domain, now);
	close(ddir);
	rptday_free(d);
}

static int
report_send(int argc, char *argv[])
{
	struct report_opts	 o;
	struct rpt_sender	 s;
	char			 errbuf[STS_ERR_MAX * 2], **days;
	int64_t			 now = time(NULL), start;
	size_t			 n, i;
	int			 rdir;

	opts_defaults(&o);
	opts_parse(argc, argv, &o, "a:C:c:d:F:fm:no:r:s:u:w:", "report");
	if (optind != argc)
		usage_cmd("report");
	opts_check(&o);
	rdir = open_results(&o);
	/* one sender at a time: a run that takes long is not run twice */
	if (flock(rdir, LOCK_EX | LOCK_NB) == -1) {
		warnx("another report send is running");
		close(rdir);
		return EXIT_NO;
	}
	memset(&s, 0, sizeof(s));
	s.sendmail = o.sendmail;
	s.timeout = POST_TIMEOUT;
	s.mail.from = o.from;
	s.mail.submitter = o.submitter;
	if ((s.base = event_base_new()) == NULL ||
	    (s.dns = dns_new(s.base, o.rc.forwarder, o.rc.anchor, errbuf,
	    sizeof(errbuf))) == NULL ||
	    (s.fetcher = fetcher_new(s.base, o.rc.cafile, POST_TIMEOUT, 1,
	    errbuf, sizeof(errbuf))) == NULL)
		errx(EXIT_USAGE, "%s", s.base == NULL ? "event loop" : errbuf);
	rptstore_expire(rdir, now);
	if (o.day != NULL)
		send_day(&s, &o, rdir, o.day, now);
	else {
		days = list_days(rdir, &n);
		for (i = 0; i < n; i++) {
			/* a day is reported once it is over */
			if (rpt_day_parse(days[i], &start) == 0 &&
			    start + DAY <= now)
				send_day(&s, &o, rdir, days[i], now);
			free(days[i]);
		}
		free(days);
	}
	fetcher_free(s.fetcher);
	dns_free(s.dns);
	event_base_free(s.base);
	close(rdir);
	return EXIT_YES;
}

int
cmd_report(int argc, char *argv[])
{
	if (argc < 2)
		usage_cmd("report");
	if (strcmp(argv[1], "show") == 0)
		return report_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "json") == 0)
		return report_json(argc - 1, argv + 1);
	if (strcmp(argv[1], "send") == 0)
		return report_send(argc - 1, argv + 1);
	usage_cmd("report");
	return EXIT_USAGE;
}
