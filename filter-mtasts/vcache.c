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


#include <sys/queue.h>

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The front's memory of verdicts, the only thing MTA-facing answers
 * come from.  A verdict is used for as long as the DNS answers it
 * rests on are valid (its ttl); after that the next use waits for it
 * to be derived again.  Verdicts in use are refreshed shortly before
 * they expire, so the MTA is answered from memory.
 *
 * Bounded in three ways, so no client can make it grow or push out
 * what is in use:
 *  - entries: new ones go to a probation list of a quarter of the
 *    bound; only a second use, once the verdict is in, moves one to the
 *    main list.  A flood of domains used once churns probation only.
 *  - questions in flight to the network process: at most INFLIGHT_MAX;
 *    the rest wait in line, in three classes: those a client waits
 *    for, then refreshes of verdicts in use, then the guesses the table
 *    makes for a domain it was asked about with no verdict.  The lines
 *    of the last two are bounded, and guesses take at most a quarter of
 *    the questions out, so no flood of them delays the others.
 *  - each list is evicted from its least recently used end.
 */

#define INFLIGHT_MAX	256
#define DOWN_WAIT	5	/* s: a restart this close is waited for */
/*
 * Entries tried from the cold end: past those a question pins (the
 * guesses out and in line, 64 + 256) and then some.
 */
#define EVICT_SCAN	512
#define NETPROC_GONE	"filter-mtasts network process not running"

/* The defaults; regress uses shorter ones. */
const struct vcache_timing vcache_timing_default = {
	86400,		/* stale_max: without the network process, the
			   oldest verdict still served */
	5,		/* tick: seconds between refresh rounds */
	10,		/* lead: refresh a verdict in use this long
			   before it expires */
	600		/* inuse: used this recently, it is kept fresh */
};

enum seg {
	SEG_PROBATION,
	SEG_MAIN
};

/* The classes of questions, most pressing first. */
enum ask {
	ASK_URGENT,		/* a client waits */
	ASK_REFRESH,		/* a verdict in use is about to expire */
	ASK_GUESS,		/* the table found no verdict */
	ASK_N
};

static const struct {
	size_t	 queued, inflight;
} ask_max[ASK_N] = {
	{ SIZE_MAX, INFLIGHT_MAX },	/* bounded by the waiters */
	{ 4096, INFLIGHT_MAX },
	{ 256, INFLIGHT_MAX / 4 }
};

#define Q_NONE	ASK_N		/* not in line */

struct vwaiter {
	TAILQ_ENTRY(vwaiter)	 entry;
	struct ventry		*e;
	vcache_cb		 cb;
	void			*arg;
};

struct ventry {
	LIST_ENTRY(ventry)	 bucket;
	TAILQ_ENTRY(ventry)	 lru;		/* in its segment */
	TAILQ_ENTRY(ventry)	 line;		/* waiting to be asked */
	TAILQ_HEAD(, vwaiter)	 waiters;
	struct verdict		 v;
	struct verdict		*last;		/* last enforce or dane */
	char			*ans;		/* the daemon's answers */
	time_t			 expires;
	time_t			 updated;
	time_t			 used;
	unsigned		 rr;		/* relay host rotation */
	uint8_t			 seg, queued, asked;
	uint8_t			 have, inflight, waking;
	char			 domain[];
};

TAILQ_HEAD(ventries, ventry);

struct vcache {
	struct event_base	*base;
	struct ipc		*ipc;
	int			 ready, ever_ready;
	int			 down;		/* no network process */
	time_t			 restart_at;	/* 0: none to come */
	void			(*ready_cb)(void *);
	void			*ready_arg;
	long			(*down_cb)(void *);
	void			*down_arg;
	ipc_msg_cb		 other_msg;	/* the relay's messages */
	void			(*other_down)(void *);
	void			*other_arg;
	LIST_HEAD(, ventry)	*buckets;
	size_t			 nbuckets;
	struct ventries		 seg[2];
	size_t			 nseg[2];
	struct ventries		 line[ASK_N];
	size_t			 nline[ASK_N], nout[ASK_N];
	size_t			 n, max, prob_max, ninflight;
	uint32_t		 nextid;
	struct event		*tick;
	struct vcache_timing	 t;
};

static uint32_t
hash(const char *s)
{
	uint32_t	 h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct ventry *
find(struct vcache *vc, const char *domain)
{
	struct ventry	*e;

	LIST_FOREACH(e, &vc->buckets[hash(domain) & (vc->nbuckets - 1)],
	    bucket)
		if (strcmp(e->domain, domain) == 0)
			return e;
	return NULL;
}

static void
unqueue(struct vcache *vc, struct ventry *e)
{
	if (e->queued == Q_NONE)
		return;
	TAILQ_REMOVE(&vc->line[e->queued], e, line);
	vc->nline[e->queued]--;
	e->queued = Q_NONE;
}

static void
entry_free(struct vcache *vc, struct ventry *e)
{
	LIST_REMOVE(e, bucket);
	TAILQ_REMOVE(&vc->seg[e->seg], e, lru);
	vc->nseg[e->seg]--;
	free(e->ans);
	vwire_clear(&e->v);
	if (e->last != NULL) {
		vwire_clear(e->last);
		free(e->last);
	}
	free(e);
	vc->n--;
}

/* The coldest entry of a segment nobody waits for; 0 if one went. */
static int
evict_from(struct vcache *vc, enum seg seg)
{
	struct ventry	*e;
	int		 n = 0;

	TAILQ_FOREACH_REVERSE(e, &vc->seg[seg], ventries, lru) {
		if (!e->inflight && e->queued == Q_NONE && !e->waking &&
		    TAILQ_EMPTY(&e->waiters)) {
			entry_free(vc, e);
			return 0;
		}
		if (++n == EVICT_SCAN)
			break;
	}
	return -1;
}

/*
 * Room for one more: probation never outgrows its share, and when
 * the whole is full probation goes first.  Entries with a question
 * out or a waiter stay, so the bound may be passed by as many; but a
 * probation swollen by those never costs a verdict in use its place.
 */
static void
make_room(struct vcache *vc)
{
	if (vc->nseg[SEG_PROBATION] >= vc->prob_max)
		(void)evict_from(vc, SEG_PROBATION);
	if (vc->n >= vc->max && evict_from(vc, SEG_PROBATION) == -1 &&
	    vc->nseg[SEG_PROBATION] < vc->prob_max)
		(void)evict_from(vc, SEG_MAIN);
}

static struct ventry *
create(struct vcache *vc, const char *domain)
{
	struct ventry	*e;
	size_t		 len = strlen(domain) + 1;

	make_room(vc);
	if ((e = calloc(1, sizeof(*e) + len)) == NULL)
		return NULL;
	memcpy(e->domain, domain, len);
	e->queued = Q_NONE;
	TAILQ_INIT(&e->waiters);
	LIST_INSERT_HEAD(&vc->buckets[hash(domain) & (vc->nbuckets - 1)], e,
	    bucket);
	e->seg = SEG_PROBATION;
	TAILQ_INSERT_HEAD(&vc->seg[SEG_PROBATION], e, lru);
	vc->nseg[SEG_PROBATION]++;
	vc->n++;
	return e;
}

/*
 * A use: to the head of its segment, and a use of a verdict already
 * in moves the entry out of probation: it is in use.
 */
static void
touch(struct vcache *vc, struct ventry *e, time_t now)
{
	TAILQ_REMOVE(&vc->seg[e->seg], e, lru);
	vc->nseg[e->seg]--;
	if (e->have)
		e->seg = SEG_MAIN;
	TAILQ_INSERT_HEAD(&vc->seg[e->seg], e, lru);
	vc->nseg[e->seg]++;
	e->used = now;
}

static int
fresh(const struct ventry *e, time_t now)
{
	return e->have && now < e->expires;
}

static void
send_query(struct vcache *vc, struct ventry *e, enum ask class)
{
	if (ipc_send(vc->ipc, IPC_QUERY, ++vc->nextid, e->domain,
	    strlen(e->domain) + 1) == 0) {
		e->inflight = 1;
		e->asked = class;
		vc->ninflight++;
		vc->nout[class]++;
	}
}

static int
can_send(const struct vcache *vc, enum ask class)
{
	return !vc->down && vc->ninflight < INFLIGHT_MAX &&
	    vc->nout[class] < ask_max[class].inflight;
}

/* The most pressing question that may go, while any may. */
static void
send_queued(struct vcache *vc)
{
	struct ventry	*e;
	int		 class;

	for (class = 0; class < ASK_N; class++)
		while (can_send(vc, class) &&
		    (e = TAILQ_FIRST(&vc->line[class])) != NULL) {
			unqueue(vc, e);
			send_query(vc, e, class);
		}
}

static void
ask(struct vcache *vc, struct ventry *e, enum ask class)
{
	if (e->inflight || vc->down)
		return;
	if (e->queued <= class)
		return;			/* in line already, as pressing */
	unqueue(vc, e);
	if (can_send(vc, class) && TAILQ_EMPTY(&vc->line[class])) {
		send_query(vc, e, class);
		return;
	}
	if (vc->nline[class] >= ask_max[class].queued)
		return;			/* asked again at its next use */
	TAILQ_INSERT_TAIL(&vc->line[class], e, line);
	e->queued = class;
	vc->nline[class]++;
}

/* Made here, not by the network process, which is not there. */
static void
entry_defer(struct ventry *e)
{
	free(e->ans);
	e->ans = NULL;
	vwire_defer(&e->v, e->domain, NETPROC_GONE);
}

/* A callback may look up other domains: e is not evicted meanwhile. */
static void
wake(struct ventry *e)
{
	struct vwaiter	*w;

	e->waking = 1;
	while ((w = TAILQ_FIRST(&e->waiters)) != NULL) {
		TAILQ_REMOVE(&e->waiters, w, entry);
		w->cb(w->arg, &e->v);
		free(w);
	}
	e->waking = 0;
}

/*
 * Mail queued under the enforcing action still needs a host when a
 * policy goes away: the last allowed ones are kept, for
 * vcache_next_mx().
 */
static void
keep_last(struct ventry *e)
{
	if (e->have && (e->v.kind == VERDICT_STS_ENFORCE ||
	    e->v.kind == VERDICT_DANE)) {
		if (e->last == NULL &&
		    (e->last = calloc(1, sizeof(*e->last))) == NULL) {
			vwire_clear(&e->v);
			return;
		}
		vwire_clear(e->last);
		*e->last = e->v;
		memset(&e->v, 0, sizeof(e->v));
	} else
		vwire_clear(&e->v);
}

static void
vc_msg(void *arg, uint32_t type, uint32_t id, const uint8_t *p, size_t len)
{
	struct vcache	*vc = arg;
	struct ventry	*e;
	struct verdict	 v;
	time_t		 now = time(NULL);

	if (type >= IPC_RELAY_MIN && type <= IPC_RELAY_MAX &&
	    vc->other_msg != NULL) {
		vc->other_msg(vc->other_arg, type, id, p, len);
		return;
	}
	if (type == IPC_READY) {
		vc->ready = 1;
		if (!vc->ever_ready && vc->ready_cb != NULL)
			vc->ready_cb(vc->ready_arg);
		vc->ever_ready = 1;
		return;
	}
	if (type != IPC_VERDICT || vwire_unpack(p, len, &v) == -1) {
		log_warnx("malformed message from the network process");
		return;
	}
	if ((e = find(vc, v.domain)) == NULL) {
		vwire_clear(&v);
		return;
	}
	if (e->inflight) {
		e->inflight = 0;
		vc->ninflight--;
		vc->nout[e->asked]--;
	}
	keep_last(e);
	free(e->ans);
	e->ans = NULL;
	e->v = v;
	e->have = 1;
	e->updated = now;
	e->expires = now + (v.ttl > 0 ? v.ttl : 1);
	wake(e);
	send_queued(vc);
}

/* A restart close enough that a client had better wait for it. */
static int
restart_soon(const struct vcache *vc, time_t now)
{
	return vc->restart_at != 0 && vc->restart_at - now < DOWN_WAIT;
}

/* A verdict it gave is served a while; else defer, or wait if soon. */
static int
stale_ok(const struct vcache *vc, const struct ventry *e, time_t now)
{
	return e->have && now - e->updated < vc->t.stale_max;
}

/*
 * The network process is gone.  With a supervisor, a new one comes
 * after the delay it gives: those waiting go on waiting if that is
 * soon, and are asked again on the new link.  Without one, or not
 * soon, nothing new can be learnt: defer.  The entries with waiters
 * are gathered first, as callbacks may look up domains and so reorder
 * the lists.
 */
static void
vc_eof(void *arg)
{
	struct vcache	*vc = arg;
	struct ventries	 waiting;
	struct ventry	*e;
	time_t		 now = time(NULL);
	int		 s;

	if (!vc->ever_ready)
		fatalx("the network process did not start (see above)");
	if (vc->other_down != NULL)
		vc->other_down(vc->other_arg);
	vc->down = 1;
	vc->ready = 0;
	vc->restart_at = vc->down_cb != NULL ? now + vc->down_cb(vc->down_arg) :
	    0;
	if (vc->restart_at == 0)
		log_warnx("the network process is gone: new domains are "
		    "deferred");
	vc->ninflight = 0;
	memset(vc->nout, 0, sizeof(vc->nout));
	TAILQ_INIT(&waiting);
	for (s = 0; s < 2; s++)
		TAILQ_FOREACH(e, &vc->seg[s], lru) {
			e->inflight = 0;
			unqueue(vc, e);
			if (!TAILQ_EMPTY(&e->waiters) &&
			    (stale_ok(vc, e, now) || !restart_soon(vc, now))) {
				TAILQ_INSERT_TAIL(&waiting, e, line);
				e->waking = 1;
			}
		}
	while ((e = TAILQ_FIRST(&waiting)) != NULL) {
		TAILQ_REMOVE(&waiting, e, line);
		if (!stale_ok(vc, e, now))
			entry_defer(e);
		wake(e);
	}
}

/*
 * A new network process: those waiting are asked on its link at once;
 * it reads them once it is set up.
 */
int
vcache_relink(struct vcache *vc, int netfd)
{
	struct ventry	*e;
	int		 s;

	ipc_free(vc->ipc);
	if ((vc->ipc = ipc_new(vc->base, netfd, vc_msg, vc_eof, vc)) == NULL)
		return -1;
	vc->down = 0;
	vc->restart_at = 0;
	for (s = 0; s < 2; s++)
		TAILQ_FOREACH(e, &vc->seg[s], lru)
			if (!TAILQ_EMPTY(&e->waiters))
				ask(vc, e, ASK_URGENT);
	return 0;
}

/* cb says in how many seconds a new network process comes, 0: never. */
void
vcache_on_down(struct vcache *vc, long (*cb)(void *), void *arg)
{
	vc->down_cb = cb;
	vc->down_arg = arg;
}

/*
 * Within the lead time of its expiry; but a verdict derived within
 * that time already rests on records about to expire, and the caches
 * would give them again: that one is refreshed only once it expired.
 */
static int
refresh_due(const struct vcache *vc, const struct ventry *e, time_t now)
{
	if (e->expires - e->updated <= vc->t.lead)
		return now >= e->expires;
	return e->expires - now <= vc->t.lead;
}

/*
 * Keep the verdicts in use fresh: each round asks again for those of
 * the main list used within the last t.inuse seconds that expire
 * within the lead time.  The main list is in order of use, so the
 * round stops at the first one used earlier.  Domains used once, such
 * as a flood of new ones, stay on probation and are not refreshed.
 */
static void
vc_tick(int fd, short ev, void *arg)
{
	struct vcache	*vc = arg;
	struct ventry	*e;
	time_t		 now = time(NULL);

	(void)fd;
	(void)ev;
	TAILQ_FOREACH(e, &vc->seg[SEG_MAIN], lru) {
		if (now - e->used > vc->t.inuse)
			break;
		if (e->have && refresh_due(vc, e, now))
			ask(vc, e, ASK_REFRESH);
	}
}

struct vcache *
vcache_new(struct event_base *base, int netfd, size_t max,
    const struct vcache_timing *t)
{
	struct timeval	 tv = { t->tick, 0 };
	struct vcache	*vc;
	size_t		 i;

	if ((vc = calloc(1, sizeof(*vc))) == NULL)
		return NULL;
	vc->t = *t;
	vc->base = base;
	vc->max = max > 0 ? max : 1;
	vc->prob_max = vc->max / 4 > 0 ? vc->max / 4 : 1;
	for (vc->nbuckets = 64; vc->nbuckets < vc->max; vc->nbuckets <<= 1)
		;
	if ((vc->buckets = calloc(vc->nbuckets, sizeof(*vc->buckets))) ==
	    NULL) {
		free(vc);
		return NULL;
	}
	for (i = 0; i < vc->nbuckets; i++)
		LIST_INIT(&vc->buckets[i]);
	TAILQ_INIT(&vc->seg[SEG_PROBATION]);
	TAILQ_INIT(&vc->seg[SEG_MAIN]);
	for (i = 0; i < ASK_N; i++)
		TAILQ_INIT(&vc->line[i]);
	if ((vc->ipc = ipc_new(base, netfd, vc_msg, vc_eof, vc)) == NULL ||
	    (vc->tick = event_new(base, -1, EV_PERSIST, vc_tick, vc)) == NULL) {
		ipc_free(vc->ipc);
		free(vc->buckets);
		free(vc);
		return NULL;
	}
	event_add(vc->tick, &tv);
	return vc;
}

/* cb runs once the network process says it is set up. */
void
vcache_on_ready(struct vcache *vc, void (*cb)(void *), void *arg)
{
	vc->ready_cb = cb;
	vc->ready_arg = arg;
}

/*
 * Without the network process: a verdict it gave, a while; a wait if a
 * new one comes soon (VC_WAIT); else a defer.
 */
static int
down_answer(struct vcache *vc, struct ventry *e, time_t now,
    const struct verdict **vp)
{
	if (stale_ok(vc, e, now)) {
		*vp = &e->v;
		return VC_HIT;
	}
	if (restart_soon(vc, now))
		return VC_WAIT;
	entry_defer(e);
	*vp = &e->v;
	return VC_HIT;
}

/*
 * A verdict now (VC_HIT, *vp set) or later through cb (VC_WAIT, *wp
 * set, cancel with vcache_cancel()).  A hit that expires within the
 * lead time starts a refresh.
 */
int
vcache_lookup(struct vcache *vc, const char *domain, vcache_cb cb, void *arg,
    const struct verdict **vp, struct vwaiter **wp)
{
	struct ventry	*e;
	struct vwaiter	*w;
	time_t		 now = time(NULL);

	if ((e = find(vc, domain)) == NULL &&
	    (e = create(vc, domain)) == NULL)
		return VC_ERROR;
	touch(vc, e, now);
	if (vc->down && !fresh(e, now) &&
	    down_answer(vc, e, now, vp) == VC_HIT)
		return VC_HIT;
	if (fresh(e, now)) {
		if (refresh_due(vc, e, now))
			ask(vc, e, ASK_REFRESH);
		*vp = &e->v;
		return VC_HIT;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return VC_ERROR;
	w->e = e;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&e->waiters, w, entry);
	ask(vc, e, ASK_URGENT);
	*wp = w;
	return VC_WAIT;
}

/*
 * Memory only, for synchronous table lookups: NULL when there is no
 * verdict in date, and one is asked for, known by the next retry.
 */
const struct verdict *
vcache_peek(struct vcache *vc, const char *domain)
{
	struct ventry	*e;
	time_t		 now = time(NULL);

	if ((e = find(vc, domain)) == NULL &&
	    (e = create(vc, domain)) == NULL)
		return NULL;
	touch(vc, e, now);
	if (vc->down)
		return fresh(e, now) || stale_ok(vc, e, now) ? &e->v : NULL;
	if (!fresh(e, now)) {
		ask(vc, e, e->seg == SEG_MAIN ? ASK_REFRESH : ASK_GUESS);
		return NULL;
	}
	if (refresh_due(vc, e, now))
		ask(vc, e, ASK_REFRESH);
	return &e->v;
}

/* A verdict known, but past its time: it is worth waiting for anew. */
int
vcache_expired(struct vcache *vc, const char *domain)
{
	struct ventry	*e;

	return !vc->down && (e = find(vc, domain)) != NULL && e->have &&
	    !fresh(e, time(NULL));
}

/*
 * The daemon's answers for v, framed: rendered once per verdict
 * (reply.c) and kept with it, so that a hit is a copy of bytes.
 * v must be one this cache gave: the verdict of an entry.
 */
const char *
vcache_answer(struct vcache *vc, const struct verdict *v, enum proto proto,
    size_t *len)
{
	struct ventry	*e;
	char		 reply[REPLY_MAX], a[2][ANSWER_MAX];
	uint16_t	 n[2];

	(void)vc;
	e = (struct ventry *)(void *)((char *)(uintptr_t)v -
	    offsetof(struct ventry, v));
	if (e->ans == NULL) {
		reply_postfix(v, reply, sizeof(reply));
		n[0] = reply_frame(PROTO_SOCKETMAP, reply, a[0], sizeof(a[0]));
		reply_exim(v, reply, sizeof(reply));
		n[1] = reply_frame(PROTO_EXIM, reply, a[1], sizeof(a[1]));
		if (n[0] == 0 || n[1] == 0 ||
		    (e->ans = malloc(sizeof(n) + n[0] + n[1])) == NULL)
			return NULL;
		memcpy(e->ans, n, sizeof(n));
		memcpy(e->ans + sizeof(n), a[0], n[0]);
		memcpy(e->ans + sizeof(n) + n[0], a[1], n[1]);
	}
	memcpy(n, e->ans, sizeof(n));
	*len = n[proto == PROTO_EXIM];
	return e->ans + sizeof(n) + (proto == PROTO_EXIM ? n[0] : 0);
}

/*
 * A message of another kind to the network process (TLS reporting
 * results): -1 when it is not running, or has SEND_QUEUE_MAX bytes
 * still to take, so no flood of them grows the front or holds the
 * questions back for long.
 */
#define SEND_QUEUE_MAX	(1024 * 1024)

int
vcache_send(struct vcache *vc, uint32_t type, const void *p, size_t len)
{
	if (vc->ipc == NULL || vc->down ||
	    ipc_queued(vc->ipc) + len > SEND_QUEUE_MAX)
		return -1;
	return ipc_send(vc->ipc, type, 0, p, len);
}

/*
 * The allowed MX hosts in turn, one per call: failover across retries.
 * A defer has none; after none or testing, the last enforced ones.
 */
const char *
vcache_next_mx(struct vcache *vc, const char *domain)
{
	const struct verdict	*v;
	struct ventry		*e;

	if (vcache_peek(vc, domain) == NULL || (e = find(vc, domain)) == NULL)
		return NULL;
	v = &e->v;
	if (v->kind == VERDICT_DEFER)
		return NULL;
	if (v->kind != VERDICT_DANE && v->kind != VERDICT_STS_ENFORCE)
		v = e->last;
	if (v == NULL || v->nmx == 0)
		return NULL;
	return v->mx[e->rr++ % v->nmx];
}

void
vcache_cancel(struct vwaiter *w)
{
	if (w == NULL)
		return;
	TAILQ_REMOVE(&w->e->waiters, w, entry);
	free(w);
}

/*
 * The relay shares the link: messages of its types go to msg, and down
 * hears when the network process is gone, before anyone else.
 */
void
vcache_on_other(struct vcache *vc, ipc_msg_cb msg, void (*down)(void *),
    void *arg)
{
	vc->other_msg = msg;
	vc->other_down = down;
	vc->other_arg = arg;
}

/* The link to the network process, NULL while there is none. */
struct ipc *
vcache_link(struct vcache *vc)
{
	return vc->down ? NULL : vc->ipc;
}
