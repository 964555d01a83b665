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


#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "mtasts.h"

/*
 * TLS reporting results on disk (RFC 8460): one directory per UTC day
 * under STATEDIR/.tlsrpt, named YYYY-MM-DD, with the day's file
 * "results", written by one process, the network process, which
 * holds an flock(2) on it (a second writer on the same state
 * directory takes "results.1" and so on, up to RPT_FILES).  The file
 * is a sequence of records, each
 *
 *	u32 magic, u32 length (header included, a multiple of 8),
 *	u32 kind, u32 CRC-32 of the first twelve bytes and the payload,
 *	u64 count[3], payload, zero padding
 *
 * in host byte order, of two kinds:
 *
 *	policy	"domain\0type\0policy-domain\0", then "s" STRING "\0" per
 *		policy string and "m" PATTERN "\0" per mx pattern;
 *		count: sessions that succeeded, that failed, and failure
 *		details dropped for want of room
 *	detail	u64 offset of its policy record, then seven strings, each
 *		NUL-terminated, maybe empty: result type, sending-mta-ip,
 *		receiving-mx-hostname, receiving-mx-helo, receiving-ip,
 *		additional-information, failure-reason-code;
 *		count[0]: failed sessions
 *
 * A record is written once, whole, with one pwrite(2) at the end of
 * the file, carrying its first count; another result for the same
 * policy or detail adds one to a counter in place, an aligned 8-byte
 * pwrite(2) a kill -9 cannot cut.  So a kill -9 loses at most the
 * result being recorded, and no record is ever half there: a record
 * whose CRC does not match (a power failure in the middle of a write:
 * nothing is flushed per result, only the day's file when the day
 * ends) ends the file, the writer cuts it off when it opens the file
 * and readers stop there.
 *
 * Bounds: a record holds at most RPT_REC_MAX bytes, a day's file at
 * most RPT_DAY_MAX, a policy at most RPT_POLICY_DETAILS_MAX distinct
 * details.  Past them, counts of what is recorded go on: a session
 * of a known policy still counts, a detail with no room counts in its
 * policy's third counter (reports show the failure in the summary,
 * without the detail); a result for a policy with no room is dropped
 * and counted, and logged by the caller.  Directories of days older
 * than RPT_KEEP_DAYS are removed by the writer when a day begins, and
 * by the report command.
 *
 * The writer keeps an index of the records in memory (40 bytes each)
 * and reads a record back only to compare it with a result whose hash
 * it shares, so a result costs a pread(2) and a pwrite(2) once its
 * policy is on file.  The directory belongs to the unprivileged user:
 * files are opened without following links or waiting on FIFOs, and
 * only regular files are read, up to the bound.
 */

#define REC_MAGIC	0x54525031U	/* "TRP1" */
#define REC_HDR		40
#define REC_POLICY	1
#define REC_DETAIL	2
#define RPT_FILES	8
#define DETAIL_STRS	7
#define DAY		86400

struct rent {
	uint64_t	 h;		/* 0: an empty slot */
	uint32_t	 off;
	uint64_t	 count[3];
};

/* How many details each policy has, by the offset of its record. */
struct pent {
	uint32_t	 off1;		/* offset + 1; 0: an empty slot */
	uint32_t	 ndetails;
};

struct rptstore {
	int			 dirfd;		/* .tlsrpt */
	int			 fd;		/* the day's file, or -1 */
	int64_t			 day;		/* its start, or -1 */
	uint64_t		 size;
	struct rent		*tab;
	size_t			 ntab, nused;	/* ntab: a power of two */
	struct pent		*pol;
	size_t			 npol, npolused;
	uint64_t		 seed;
	int64_t			 tried;		/* last failed day_open() */
	uint8_t			*rec, *cmp;	/* RPT_REC_MAX each */
	struct rptstore_stats	 st;
};

struct rhdr {
	uint32_t	 magic, len, kind, crc;
	uint64_t	 count[3];
};

static uint32_t
rec_crc(const uint8_t *rec, size_t len)
{
	uLong	 c = crc32(0L, Z_NULL, 0);

	c = crc32(c, rec, 12);
	c = crc32(c, rec + REC_HDR, (uInt)(len - REC_HDR));
	return (uint32_t)c;
}

static uint64_t
hash(uint64_t seed, uint32_t kind, const uint8_t *p, size_t len)
{
	uint64_t	 h = 14695981039346656037ULL ^ seed ^ kind;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h == 0 ? 1 : h;
}

/*
 * One record at the head of buf (len bytes): its length, or 0 when it
 * is not a whole, valid record.  Valid means the frame and the CRC
 * hold, and the payload has the shape of its kind.
 */
int
rptday_record_parse(const uint8_t *buf, size_t len, size_t *reclen)
{
	struct rhdr	 h;
	const uint8_t	*p, *end, *nul;
	size_t		 n, i;

	if (len < REC_HDR)
		return -1;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != REC_MAGIC || h.len < REC_HDR || h.len > RPT_REC_MAX ||
	    h.len % 8 != 0 || h.len > len ||
	    (h.kind != REC_POLICY && h.kind != REC_DETAIL) ||
	    rec_crc(buf, h.len) != h.crc)
		return -1;
	p = buf + REC_HDR;
	end = buf + h.len;
	if (h.kind == REC_DETAIL) {
		if (end - p < 8)
			return -1;
		p += 8;
		n = DETAIL_STRS;
	} else
		n = 3 + 2 * RPT_STRS_MAX + 1;	/* ends at an empty one */
	for (i = 0; i < n; i++) {
		if (p >= end || (nul = memchr(p, '\0', end - p)) == NULL)
			return -1;
		if (h.kind == REC_POLICY && i >= 3 && nul == p)
			break;
		p = nul + 1;
	}
	if (h.kind == REC_POLICY && i == n)
		return -1;
	for (; p < end; p++)
		if (*p != '\0')
			return -1;
	*reclen = h.len;
	return (int)h.kind;
}

/* ------------------------------------------------------------ payloads */

static int
put(uint8_t *rec, size_t *off, const char *prefix, const char *s)
{
	size_t	 pl = strlen(prefix), sl = s != NULL ? strlen(s) : 0;

	if (*off + pl + sl + 1 > RPT_REC_MAX)
		return -1;
	memcpy(rec + *off, prefix, pl);
	if (sl > 0)
		memcpy(rec + *off + pl, s, sl);
	rec[*off + pl + sl] = '\0';
	*off += pl + sl + 1;
	return 0;
}

/* The record in rec, its counters zero; its length, or 0 if too big. */
static size_t
frame(uint8_t *rec, size_t off, uint32_t kind)
{
	struct rhdr	 h;

	while (off % 8 != 0) {
		if (off == RPT_REC_MAX)
			return 0;
		rec[off++] = '\0';
	}
	memset(&h, 0, sizeof(h));
	h.magic = REC_MAGIC;
	h.len = (uint32_t)off;
	h.kind = kind;
	memcpy(rec, &h, sizeof(h));
	h.crc = rec_crc(rec, off);
	memcpy(rec, &h, sizeof(h));
	return off;
}

static size_t
policy_record(uint8_t *rec, const struct rpt_result *r)
{
	size_t	 off = REC_HDR, i;

	if (put(rec, &off, "", r->domain) == -1 ||
	    put(rec, &off, "", rpt_policy_name(r->policy)) == -1 ||
	    put(rec, &off, "", r->policy_domain) == -1)
		return 0;
	for (i = 0; i < r->nstrings; i++)
		if (put(rec, &off, "s", r->strings[i]) == -1)
			return 0;
	for (i = 0; i < r->nmx; i++)
		if (put(rec, &off, "m", r->mx[i]) == -1)
			return 0;
	if (off + 1 > RPT_REC_MAX)
		return 0;
	rec[off++] = '\0';		/* the empty string that ends it */
	return frame(rec, off, REC_POLICY);
}

static size_t
detail_record(uint8_t *rec, uint64_t poff, const struct rpt_detail *d)
{
	size_t	 off = REC_HDR;

	memcpy(rec + off, &poff, sizeof(poff));
	off += sizeof(poff);
	if (put(rec, &off, "", rpt_result_name(d->type)) == -1 ||
	    put(rec, &off, "", d->sending_ip) == -1 ||
	    put(rec, &off, "", d->mx_host) == -1 ||
	    put(rec, &off, "", d->mx_helo) == -1 ||
	    put(rec, &off, "", d->receiving_ip) == -1 ||
	    put(rec, &off, "", d->additional) == -1 ||
	    put(rec, &off, "", d->reason) == -1)
		return 0;
	return frame(rec, off, REC_DETAIL);
}

/* --------------------------------------------------------------- index */

static int
tab_grow(struct rptstore *s, size_t want)
{
	struct rent	*nt, *e;
	size_t		 n = s->ntab ? s->ntab : 1024, i, j;

	while (n / 2 < want)
		n *= 2;
	if (n == s->ntab)
		return 0;
	if ((nt = calloc(n, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < s->ntab; i++) {
		e = &s->tab[i];
		if (e->h == 0)
			continue;
		for (j = e->h & (n - 1); nt[j].h != 0; j = (j + 1) & (n - 1))
			;
		nt[j] = *e;
	}
	free(s->tab);
	s->tab = nt;
	s->ntab = n;
	return 0;
}

static struct rent *
tab_add(struct rptstore *s, uint64_t h, uint32_t off, const uint64_t *count)
{
	struct rent	*e;
	size_t		 j;

	for (j = h & (s->ntab - 1); s->tab[j].h != 0; j = (j + 1) &
	    (s->ntab - 1))
		;
	e = &s->tab[j];
	e->h = h;
	e->off = off;
	memcpy(e->count, count, sizeof(e->count));
	s->nused++;
	return e;
}

static uint32_t
off_hash(uint32_t off)
{
	return (off >> 3) * 2654435761U;
}

static int
pol_grow(struct rptstore *s, size_t want)
{
	struct pent	*nt;
	size_t		 n = s->npol ? s->npol : 256, i, j;

	while (n / 2 < want)
		n *= 2;
	if (n == s->npol)
		return 0;
	if ((nt = calloc(n, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < s->npol; i++) {
		if (s->pol[i].off1 == 0)
			continue;
		for (j = off_hash(s->pol[i].off1 - 1) & (n - 1);
		    nt[j].off1 != 0; j = (j + 1) & (n - 1))
			;
		nt[j] = s->pol[i];
	}
	free(s->pol);
	s->pol = nt;
	s->npol = n;
	return 0;
}

/* The detail count of the policy at off, made when add is set. */
static struct pent *
pol_get(struct rptstore *s, uint32_t off, int add)
{
	size_t	 j;

	for (j = off_hash(off) & (s->npol - 1); s->pol[j].off1 != 0;
	    j = (j + 1) & (s->npol - 1))
		if (s->pol[j].off1 == off + 1)
			return &s->pol[j];
	if (!add)
		return NULL;
	s->pol[j].off1 = off + 1;
	s->pol[j].ndetails = 0;
	s->npolused++;
	return &s->pol[j];
}

/* The entry of a record equal to rec (len bytes), read back to compare. */
static struct rent *
tab_find(struct rptstore *s, uint64_t h, const uint8_t *rec, size_t len)
{
	struct rent	*e;
	size_t		 j;

	for (j = h & (s->ntab - 1); s->tab[j].h != 0; j = (j + 1) &
	    (s->ntab - 1)) {
		e = &s->tab[j];
		if (e->h != h || pread(s->fd, s->cmp, len, e->off) !=
		    (ssize_t)len)
			continue;
		/* the counters differ; the rest must not */
		if (memcmp(s->cmp, rec, 16) == 0 && memcmp(s->cmp + REC_HDR,
		    rec + REC_HDR, len - REC_HDR) == 0)
			return e;
	}
	return NULL;
}

/* ----------------------------------------------------------- the file */

static void
day_close(struct rptstore *s)
{
	if (s->fd != -1) {
		(void)fsync(s->fd);	/* the day is over: to the disk */
		close(s->fd);
	}
	s->fd = -1;
	s->day = -1;
	s->size = 0;
	s->nused = 0;
	s->npolused = 0;
	if (s->tab != NULL)
		memset(s->tab, 0, s->ntab * sizeof(*s->tab));
	if (s->pol != NULL)
		memset(s->pol, 0, s->npol * sizeof(*s->pol));
}

/* A regular file of ours, without following a link or waiting. */
static int
open_file(int dirfd, const char *name, int flags)
{
	struct stat	 st;
	int		 fd;

	if ((fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

static int
open_dir(int dirfd, const char *name, int create)
{
	if (create && mkdirat(dirfd, name, 0700) == -1 && errno != EEXIST)
		return -1;
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

/* Index what is on file; a record that is not whole ends it. */
static int
day_scan(struct rptstore *s)
{
	struct rhdr	 h;
	struct pent	*pe;
	uint64_t	 poff;
	size_t		 len;
	uint64_t	 off = 0;
	ssize_t		 n;
	int		 kind;

	for (;;) {
		if (off + REC_HDR > RPT_DAY_MAX ||
		    (n = pread(s->fd, s->rec, REC_HDR, off)) != REC_HDR)
			break;
		memcpy(&h, s->rec, sizeof(h));
		if (h.len < REC_HDR || h.len > RPT_REC_MAX ||
		    off + h.len > RPT_DAY_MAX ||
		    pread(s->fd, s->rec, h.len, off) != (ssize_t)h.len ||
		    (kind = rptday_record_parse(s->rec, h.len, &len)) == -1)
			break;
		if (tab_grow(s, s->nused + 1) == -1 ||
		    pol_grow(s, s->npolused + 1) == -1)
			return -1;
		(void)tab_add(s, hash(s->seed, h.kind, s->rec + REC_HDR,
		    len - REC_HDR), (uint32_t)off, h.count);
		if (kind == REC_POLICY)
			(void)pol_get(s, (uint32_t)off, 1);
		else {
			memcpy(&poff, s->rec + REC_HDR, sizeof(poff));
			if (poff < off && (pe = pol_get(s, (uint32_t)poff,
			    0)) != NULL)
				pe->ndetails++;
		}
		off += len;
	}
	if (ftruncate(s->fd, (off_t)off) == -1)
		return -1;
	s->size = off;
	return 0;
}

static int
day_open(struct rptstore *s, int64_t now)
{
	char	 name[32];
	int	 ddir, fd = -1, i;

	day_close(s);
	s->day = now - now % DAY;
	rpt_day_name(s->day, s->st.day, sizeof(s->st.day));
	rptstore_expire(s->dirfd, now);
	if ((ddir = open_dir(s->dirfd, s->st.day, 1)) == -1)
		return -1;
	for (i = 0; i < RPT_FILES && fd == -1; i++) {
		if (i == 0)
			(void)snprintf(name, sizeof(name), "results");
		else
			(void)snprintf(name, sizeof(name), "results.%d", i);
		if ((fd = open_file(ddir, name, O_RDWR | O_CREAT)) == -1)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			close(fd);
			fd = -1;
		}
	}
	close(ddir);
	if (fd == -1)
		return -1;
	s->fd = fd;
	if (day_scan(s) == -1) {
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

/*
 * The store under dirfd (the state directory): .tlsrpt is made if
 * missing; today's file is opened now, so a store that cannot write
 * says so at once.
 */
struct rptstore *
rptstore_open(int dirfd, int64_t now, char *err, size_t errsz)
{
	struct rptstore	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->rec = malloc(RPT_REC_MAX)) == NULL ||
	    (s->cmp = malloc(RPT_REC_MAX)) == NULL) {
		(void)snprintf(err, errsz, "out of memory");
		rptstore_close(s);
		return NULL;
	}
	s->fd = -1;
	s->day = -1;
	s->seed = ((uint64_t)arc4random() << 32) | arc4random();
	if ((s->dirfd = open_dir(dirfd, RPT_DIR, 1)) == -1) {
		(void)snprintf(err, errsz, "%s: %s", RPT_DIR, strerror(errno));
		rptstore_close(s);
		return NULL;
	}
	if (day_open(s, now) == -1) {
		(void)snprintf(err, errsz, "%s/%s: cannot open a results "
		    "file: %s", RPT_DIR, s->st.day, strerror(errno));
		rptstore_close(s);
		return NULL;
	}
	return s;
}

void
rptstore_close(struct rptstore *s)
{
	if (s == NULL)
		return;
	day_close(s);
	if (s->dirfd > 0)
		close(s->dirfd);
	free(s->tab);
	free(s->pol);
	free(s->rec);
	free(s->cmp);
	free(s);
}

void
rptstore_stats(const struct rptstore *s, struct rptstore_stats *st)
{
	*st = s->st;
	st->bytes = s->size;
	st->records = s->nused;
}

/* One counter more, in memory and in place on file. */
static int
bump(struct rptstore *s, struct rent *e, int i)
{
	e->count[i]++;
	if (pwrite(s->fd, &e->count[i], sizeof(e->count[i]),
	    (off_t)e->off + 16 + 8 * i) != (ssize_t)sizeof(e->count[i])) {
		e->count[i]--;
		return -1;
	}
	return 0;
}

/* The record in s->rec, len bytes, at the end of the file: one write. */
static struct rent *
append(struct rptstore *s, uint32_t kind, size_t len, uint64_t h,
    const uint64_t *count)
{
	uint32_t	 off = (uint32_t)s->size;

	if (s->size + len > RPT_DAY_MAX)
		return NULL;
	memcpy(s->rec + 16, count, 3 * sizeof(*count));
	if (pwrite(s->fd, s->rec, len, (off_t)s->size) != (ssize_t)len) {
		/*
		 * Nothing of it may stay; if something does, the next
		 * record overwrites it, or the next open cuts it off.
		 */
		if (ftruncate(s->fd, (off_t)s->size) == -1)
			s->st.dropped++;
		return NULL;
	}
	s->size += len;
	if (kind == REC_POLICY)
		(void)pol_get(s, off, 1);
	return tab_add(s, h, off, count);
}

static int
add_detail(struct rptstore *s, struct rent *pol, const struct rpt_detail *d)
{
	static const uint64_t	 one[3] = { 1, 0, 0 };
	struct pent		*pe;
	struct rent		*e;
	size_t			 len;
	uint64_t		 h;

	if ((len = detail_record(s->rec, pol->off, d)) == 0)
		return -1;
	h = hash(s->seed, REC_DETAIL, s->rec + REC_HDR, len - REC_HDR);
	if ((e = tab_find(s, h, s->rec, len)) != NULL)
		return bump(s, e, 0);
	if ((pe = pol_get(s, pol->off, 0)) == NULL ||
	    pe->ndetails >= RPT_POLICY_DETAILS_MAX ||
	    append(s, REC_DETAIL, len, h, one) == NULL)
		return -1;
	pe->ndetails++;
	return 0;
}

/*
 * Record one result (RPT_ADD_OK), maybe without some of its details
 * (RPT_ADD_PARTLY: counted as dropped in its policy), or not at all
 * (RPT_ADD_DROPPED: not valid, or no room).  now says the day.
 */
int
rptstore_add(struct rptstore *s, int64_t now, const struct rpt_result *r)
{
	uint64_t	 first[3] = { 0, 0, 0 }, h;
	struct rent	*pol;
	size_t		 len, i;
	int		 rc = RPT_ADD_OK;

	if (!rpt_result_valid(r))
		goto drop;
	/* a new day, or a file that could not be opened, once a minute */
	if ((s->day == -1 || now - s->day >= DAY || now < s->day ||
	    (s->fd == -1 && now - s->tried >= 60)) && day_open(s, now) == -1) {
		s->tried = now;
		goto drop;
	}
	if (s->fd == -1)
		goto drop;
	if (tab_grow(s, s->nused + 1 + r->ndetails) == -1 ||
	    pol_grow(s, s->npolused + 1) == -1 ||
	    (len = policy_record(s->rec, r)) == 0)
		goto drop;
	h = hash(s->seed, REC_POLICY, s->rec + REC_HDR, len - REC_HDR);
	if ((pol = tab_find(s, h, s->rec, len)) != NULL) {
		if (bump(s, pol, r->failed ? 1 : 0) == -1)
			goto drop;
	} else {
		first[r->failed ? 1 : 0] = 1;
		if ((pol = append(s, REC_POLICY, len, h, first)) == NULL)
			goto drop;
	}
	for (i = 0; i < r->ndetails; i++)
		if (add_detail(s, pol, &r->details[i]) == -1) {
			(void)bump(s, pol, 2);
			s->st.details_dropped++;
			rc = RPT_ADD_PARTLY;
		}
	return rc;
drop:
	s->st.dropped++;
	return RPT_ADD_DROPPED;
}

/* ------------------------------------------------------------ expiry */

static void
remove_dir(int dirfd, const char *name, int depth)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		(void)unlinkat(dirfd, name, 0);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) == -1 && depth > 0)
			remove_dir(fd, de->d_name, depth - 1);
	}
	closedir(d);
	(void)unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* Days older than RPT_KEEP_DAYS go, with what the sender kept of them. */
void
rptstore_expire(int dirfd, int64_t now)
{
	struct dirent	*de;
	DIR		*d;
	int64_t		 start, oldest = now - now % DAY -
			    (int64_t)(RPT_KEEP_DAYS - 1) * DAY;
	int		 fd;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (rpt_day_parse(de->d_name, &start) == 0 && start < oldest)
			remove_dir(dirfd, de->d_name, 1);
	closedir(d);
}

/* ------------------------------------------------------------ reading */

/*
 * A day read back: every results file of it, merged, policies sorted
 * by report domain.  Policies and details that are equal in two files
 * (two writers on one state directory) are added up.
 */

struct key {
	uint64_t	 h;
	size_t		 idx;		/* +1; 0: an empty slot */
	size_t		 pidx;		/* of a detail: its policy */
};

struct loader {
	struct rptday	*d;
	size_t		 cap;
	struct key	*keys;
	size_t		 nkeys, nused;
	uint64_t	 seed;
};

/* The strings of a policy record, or -1. */
static int
load_policy(struct rpt_pagg *p, const uint8_t *pl, size_t len)
{
	const char	*s = (const char *)pl, *end = s + len;
	char		**l;
	int		 i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < 3; i++) {
		if (i == 0 && (p->domain = strdup(s)) == NULL)
			return -1;
		if (i == 1) {
			for (p->type = 0; p->type < RPT_P_N &&
			    strcmp(rpt_policy_name(p->type), s) != 0;
			    p->type++)
				;
			if (p->type == RPT_P_N)
				return -1;
		}
		if (i == 2 && (p->policy_domain = strdup(s)) == NULL)
			return -1;
		s += strlen(s) + 1;
	}
	for (; s < end && *s != '\0'; s += strlen(s) + 1) {
		if (*s != 's' && *s != 'm')
			return -1;
		if (*s == 's' && p->nstrings >= RPT_STRS_MAX)
			return -1;
		if (*s == 'm' && p->nmx >= RPT_STRS_MAX)
			return -1;
		l = *s == 's' ? p->strings : p->mx;
		if (l == NULL && (l = calloc(RPT_STRS_MAX, sizeof(*l))) == NULL)
			return -1;
		if (*s == 's')
			p->strings = l;
		else
			p->mx = l;
		if ((l[*s == 's' ? p->nstrings++ : p->nmx++] = strdup(s + 1)) ==
		    NULL)
			return -1;
	}
	return 0;
}

static void
pagg_free(struct rpt_pagg *p)
{
	size_t	 i, j;

	free(p->domain);
	free(p->policy_domain);
	for (i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	for (i = 0; i < p->nmx; i++)
		free(p->mx[i]);
	free(p->strings);
	free(p->mx);
	for (i = 0; i < p->ndetails; i++)
		for (j = 0; j < DETAIL_STRS; j++)
			free(p->details[i].strs[j]);
	free(p->details);
}

static int
keys_grow(struct loader *ld)
{
	struct key	*nk;
	size_t		 n = ld->nkeys ? ld->nkeys * 2 : 1024, i, j;

	if (ld->nused + 1 <= ld->nkeys / 2)
		return 0;
	if ((nk = calloc(n, sizeof(*nk))) == NULL)
		return -1;
	for (i = 0; i < ld->nkeys; i++) {
		if (ld->keys[i].idx == 0)
			continue;
		for (j = ld->keys[i].h & (n - 1); nk[j].idx != 0;
		    j = (j + 1) & (n - 1))
			;
		nk[j] = ld->keys[i];
	}
	free(ld->keys);
	ld->keys = nk;
	ld->nkeys = n;
	return 0;
}

static int
same_policy(const struct rpt_pagg *a, const struct rpt_pagg *b)
{
	size_t	 i;

	if (strcmp(a->domain, b->domain) != 0 || a->type != b->type ||
	    strcmp(a->policy_domain, b->policy_domain) != 0 ||
	    a->nstrings != b->nstrings || a->nmx != b->nmx)
		return 0;
	for (i = 0; i < a->nstrings; i++)
		if (strcmp(a->strings[i], b->strings[i]) != 0)
			return 0;
	for (i = 0; i < a->nmx; i++)
		if (strcmp(a->mx[i], b->mx[i]) != 0)
			return 0;
	return 1;
}

/* The index of a policy equal to p, taking p over if it is new. */
static ssize_t
merge_policy(struct loader *ld, struct rpt_pagg *p, uint64_t h,
    const uint64_t *count)
{
	struct rptday	*d = ld->d;
	struct rpt_pagg	*np;
	size_t		 j, idx;

	for (j = h & (ld->nkeys - 1); ld->keys[j].idx != 0;
	    j = (j + 1) & (ld->nkeys - 1))
		if (ld->keys[j].h == h && ld->keys[j].pidx == (size_t)-1 &&
		    same_policy(&d->pol[ld->keys[j].idx - 1], p)) {
			idx = ld->keys[j].idx - 1;
			pagg_free(p);
			goto count;
		}
	if (d->npol == ld->cap) {
		ld->cap = ld->cap ? ld->cap * 2 : 256;
		if ((np = reallocarray(d->pol, ld->cap, sizeof(*np))) == NULL)
			return -1;
		d->pol = np;
	}
	idx = d->npol++;
	d->pol[idx] = *p;
	ld->keys[j].h = h;
	ld->keys[j].idx = idx + 1;
	ld->keys[j].pidx = (size_t)-1;
	ld->nused++;
count:
	d->pol[idx].ok += count[0];
	d->pol[idx].failed += count[1];
	d->pol[idx].details_dropped += count[2];
	return (ssize_t)idx;
}

static int
merge_detail(struct loader *ld, size_t pidx, const uint8_t *pl, size_t len,
    uint64_t h, uint64_t count)
{
	struct rpt_pagg	*p = &ld->d->pol[pidx];
	struct rpt_dagg	*nd, *dd;
	const char	*s = (const char *)pl;
	size_t		 j, i;

	h ^= pidx * 0x9e3779b97f4a7c15ULL;
	for (j = h & (ld->nkeys - 1); ld->keys[j].idx != 0;
	    j = (j + 1) & (ld->nkeys - 1)) {
		if (ld->keys[j].h != h || ld->keys[j].pidx != pidx)
			continue;
		dd = &p->details[ld->keys[j].idx - 1];
		for (i = 0, s = (const char *)pl; i < DETAIL_STRS;
		    i++, s += strlen(s) + 1)
			if (strcmp(dd->strs[i], s) != 0)
				break;
		if (i == DETAIL_STRS) {
			dd->count += count;
			return 0;
		}
	}
	if ((nd = reallocarray(p->details, p->ndetails + 1,
	    sizeof(*nd))) == NULL)
		return -1;
	p->details = nd;
	dd = &p->details[p->ndetails];
	memset(dd, 0, sizeof(*dd));
	for (i = 0, s = (const char *)pl; i < DETAIL_STRS;
	    i++, s += strlen(s) + 1)
		if ((dd->strs[i] = strdup(s)) == NULL)
			return -1;
	if (rpt_result_from_name(dd->strs[0]) == -1) {
		for (i = 0; i < DETAIL_STRS; i++)
			free(dd->strs[i]);
		return 0;	/* a result type we do not know: skipped */
	}
	dd->count = count;
	p->ndetails++;
	ld->keys[j].h = h;
	ld->keys[j].idx = p->ndetails;
	ld->keys[j].pidx = pidx;
	ld->nused++;
	(void)len;
	return 0;
}

/* The records of one file, buf of len bytes; offsets map to policies. */
static int
load_file(struct loader *ld, const uint8_t *buf, size_t len)
{
	struct rpt_pagg	 p;
	struct rhdr	 h;
	uint64_t	 poff;
	size_t		 off = 0, reclen, i, n = 0;
	ssize_t		 idx;
	struct {
		uint64_t	 off;
		size_t		 idx;
	}		*map = NULL, *nm;
	int		 kind, r = -1;

	while (off < len && (kind = rptday_record_parse(buf + off,
	    len - off, &reclen)) != -1) {
		memcpy(&h, buf + off, sizeof(h));
		if (keys_grow(ld) == -1)
			goto out;
		if (kind == REC_POLICY) {
			if (load_policy(&p, buf + off + REC_HDR,
			    reclen - REC_HDR) == -1) {
				pagg_free(&p);
				goto out;
			}
			if ((idx = merge_policy(ld, &p, hash(ld->seed,
			    REC_POLICY, buf + off + REC_HDR, reclen - REC_HDR),
			    h.count)) == -1)
				goto out;
			if ((nm = reallocarray(map, n + 1, sizeof(*map))) ==
			    NULL)
				goto out;
			map = nm;
			map[n].off = off;
			map[n++].idx = (size_t)idx;
		} else {
			memcpy(&poff, buf + off + REC_HDR, sizeof(poff));
			/* policies come first, in file order */
			for (i = n; i > 0 && map[i - 1].off > poff; i--)
				;
			if (i > 0 && map[i - 1].off == poff &&
			    merge_detail(ld, map[i - 1].idx, buf + off +
			    REC_HDR + 8, reclen - REC_HDR - 8, hash(ld->seed,
			    REC_DETAIL, buf + off + REC_HDR + 8,
			    reclen - REC_HDR - 8), h.count[0]) == -1)
				goto out;
		}
		off += reclen;
	}
	ld->d->torn += len - off;
	r = 0;
out:
	free(map);
	return r;
}

/* A whole file, up to RPT_DAY_MAX bytes; NULL if it is not a file. */
static uint8_t *
read_file(int dirfd, const char *name, size_t *len)
{
	struct stat	 st;
	uint8_t		*buf;
	size_t		 cap;
	ssize_t		 n;
	int		 fd;

	*len = 0;
	if ((fd = open_file(dirfd, name, O_RDONLY)) == -1)
		return NULL;
	/* it may grow while read: what is there now, within the bound */
	cap = fstat(fd, &st) == 0 && st.st_size < RPT_DAY_MAX ?
	    (size_t)st.st_size : RPT_DAY_MAX;
	if ((buf = malloc(cap + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (*len < cap && (n = read(fd, buf + *len, cap - *len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			free(buf);
			close(fd);
			return NULL;
		}
		*len += n;
	}
	close(fd);
	return buf;
}

static int
pagg_cmp(const void *a, const void *b)
{
	const struct rpt_pagg	*x = a, *y = b;

	return strcmp(x->domain, y->domain);
}

/*
 * The day "YYYY-MM-DD" under dirfd (the .tlsrpt directory); an empty
 * day when it has no results.
 */
struct rptday *
rptday_load(int dirfd, const char *day, char *err, size_t errsz)
{
	struct loader	 ld;
	uint8_t		*buf;
	char		 name[32];
	size_t		 len;
	int64_t		 start;
	int		 ddir, i;

	memset(&ld, 0, sizeof(ld));
	if (rpt_day_parse(day, &start) == -1) {
		(void)snprintf(err, errsz, "%s: not a day (YYYY-MM-DD)", day);
		return NULL;
	}
	if ((ld.d = calloc(1, sizeof(*ld.d))) == NULL) {
		(void)snprintf(err, errsz, "out of memory");
		return NULL;
	}
	(void)snprintf(ld.d->day, sizeof(ld.d->day), "%s", day);
	if ((ddir = open_dir(dirfd, day, 0)) == -1)
		return ld.d;
	for (i = 0; i < RPT_FILES; i++) {
		if (i == 0)
			(void)snprintf(name, sizeof(name), "results");
		else
			(void)snprintf(name, sizeof(name), "results.%d", i);
		if ((buf = read_file(ddir, name, &len)) == NULL)
			continue;
		if (load_file(&ld, buf, len) == -1) {
			free(buf);
			close(ddir);
			free(ld.keys);
			rptday_free(ld.d);
			(void)snprintf(err, errsz, "%s: out of memory", day);
			return NULL;
		}
		free(buf);
	}
	close(ddir);
	free(ld.keys);
	if (ld.d->npol > 1)
		qsort(ld.d->pol, ld.d->npol, sizeof(*ld.d->pol), pagg_cmp);
	return ld.d;
}

void
rptday_free(struct rptday *d)
{
	size_t	 i;

	if (d == NULL)
		return;
	for (i = 0; i < d->npol; i++)
		pagg_free(&d->pol[i]);
	free(d->pol);
	free(d);
}

/* The first policy of domain (they are sorted), or d->npol if none. */
size_t
rptday_first(const struct rptday *d, const char *domain)
{
	size_t	 lo = 0, hi = d->npol, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(d->pol[mid].domain, domain) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->npol && strcmp(d->pol[lo].domain, domain) == 0 ?
	    lo : d->npol;
}
