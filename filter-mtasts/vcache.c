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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"
#include "mtasts.h"

/*
 * The front's memory of verdicts, the only thing MTA-facing answers
 * come from.  A miss asks the network process and waits; a stale
 * entry is still served while a refresh runs, so a synchronous table
 * lookup never waits on the network.  Bounded, least recently used
 * out first.
 */

#define VC_BUCKETS	4096
#define NETPROC_GONE	"filter-mtasts network process not running"

/* The defaults; regress uses shorter ones. */
const struct vcache_timing vcache_timing_default = {
	600,		/* fresh: a verdict is used as is */
	60,		/* fresh_defer: a defer is asked again sooner */
	86400,		/* stale_max: older than this is no answer */
	60,		/* tick: seconds between refresh rounds */
	86400		/* warm: used this recently, kept fresh */
};

struct vwaiter {
	TAILQ_ENTRY(vwaiter)	 entry;
	struct ventry		*e;
	vcache_cb		 cb;
	void			*arg;
};

struct ventry {
	LIST_ENTRY(ventry)	 bucket;
	TAILQ_ENTRY(ventry)	 lru;
	TAILQ_HEAD(, vwaiter)	 waiters;
	char			 domain[DNS_NAME_MAX + 1];
	struct verdict		 v;
	struct verdict		 last;		/* last enforce or dane */
	int			 have, inflight;
	time_t			 updated;
	time_t			 used;
	unsigned		 rr;		/* relay host rotation */
};

struct vcache {
	struct ipc		*ipc;
	int			 ready, dead;
	LIST_HEAD(, ventry)	 buckets[VC_BUCKETS];
	TAILQ_HEAD(ventries, ventry) lru;
	size_t			 n, max;
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

	LIST_FOREACH(e, &vc->buckets[hash(domain) % VC_BUCKETS], bucket)
		if (strcmp(e->domain, domain) == 0)
			return e;
	return NULL;
}

static void
evict_one(struct vcache *vc)
{
	struct ventry	*e;

	TAILQ_FOREACH_REVERSE(e, &vc->lru, ventries, lru)
		if (!e->inflight && TAILQ_EMPTY(&e->waiters))
			break;
	if (e == NULL)
		return;
	LIST_REMOVE(e, bucket);
	TAILQ_REMOVE(&vc->lru, e, lru);
	vwire_clear(&e->v);
	vwire_clear(&e->last);
	free(e);
	vc->n--;
}

static struct ventry *
create(struct vcache *vc, const char *domain)
{
	struct ventry	*e;

	if (vc->n >= vc->max)
		evict_one(vc);
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	(void)snprintf(e->domain, sizeof(e->domain), "%s", domain);
	e->used = time(NULL);	/* the LRU head is the most recently used */
	TAILQ_INIT(&e->waiters);
	LIST_INSERT_HEAD(&vc->buckets[hash(domain) % VC_BUCKETS], e, bucket);
	TAILQ_INSERT_HEAD(&vc->lru, e, lru);
	vc->n++;
	return e;
}

static void
touch(struct vcache *vc, struct ventry *e)
{
	e->used = time(NULL);
	TAILQ_REMOVE(&vc->lru, e, lru);
	TAILQ_INSERT_HEAD(&vc->lru, e, lru);
}

static int
fresh(const struct vcache *vc, const struct ventry *e, time_t now)
{
	time_t	 ttl = e->v.kind == VERDICT_DEFER ? vc->t.fresh_defer :
		    vc->t.fresh;

	return e->have && now - e->updated < ttl;
}

static void
ask(struct vcache *vc, struct ventry *e)
{
	if (e->inflight || vc->dead)
		return;
	if (ipc_send(vc->ipc, IPC_QUERY, ++vc->nextid, e->domain,
	    strlen(e->domain) + 1) == 0)
		e->inflight = 1;
}

static void
wake(struct ventry *e)
{
	struct vwaiter	*w;

	while ((w = TAILQ_FIRST(&e->waiters)) != NULL) {
		TAILQ_REMOVE(&e->waiters, w, entry);
		w->cb(w->arg, &e->v);
		free(w);
	}
}

static void
vc_msg(void *arg, uint32_t type, uint32_t id, const uint8_t *p, size_t len)
{
	struct vcache	*vc = arg;
	struct ventry	*e;
	struct verdict	 v;

	(void)id;
	if (type == IPC_READY) {
		vc->ready = 1;
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
	/*
	 * Mail queued under the enforcing action still needs a host when
	 * a policy goes away: the last allowed ones, over verified TLS.
	 */
	if (e->v.kind == VERDICT_STS_ENFORCE || e->v.kind == VERDICT_DANE) {
		vwire_clear(&e->last);
		e->last = e->v;
	} else
		vwire_clear(&e->v);
	e->v = v;
	e->have = 1;
	e->inflight = 0;
	e->updated = time(NULL);
	wake(e);
}

/* Without the network process nothing new can be learnt: defer. */
static void
vc_eof(void *arg)
{
	struct vcache	*vc = arg;
	struct ventry	*e;
	time_t		 now = time(NULL);

	if (!vc->ready)
		fatalx("the network process did not start (see above)");
	log_warnx("the network process is gone: new domains are deferred");
	vc->dead = 1;
	TAILQ_FOREACH(e, &vc->lru, lru) {
		e->inflight = 0;
		if (TAILQ_EMPTY(&e->waiters))
			continue;
		if (!e->have || now - e->updated >= vc->t.stale_max)
			vwire_defer(&e->v, e->domain, NETPROC_GONE);
		wake(e);
	}
}

/*
 * Keep the verdicts of domains in use warm, so the MTA is answered
 * from fresh memory rather than waiting: each round asks again for
 * those used in the last day whose verdict has aged.  The network
 * process refreshes their cached policies as they come due (about
 * daily, RFC 8461 3.3).
 */
static void
vc_tick(int fd, short ev, void *arg)
{
	struct vcache	*vc = arg;
	struct ventry	*e;
	time_t		 now = time(NULL);

	(void)fd;
	(void)ev;
	TAILQ_FOREACH(e, &vc->lru, lru) {
		if (now - e->used > vc->t.warm)
			break;		/* the rest were used even earlier */
		if (e->have && !fresh(vc, e, now))
			ask(vc, e);
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
	for (i = 0; i < VC_BUCKETS; i++)
		LIST_INIT(&vc->buckets[i]);
	TAILQ_INIT(&vc->lru);
	vc->max = max;
	if ((vc->ipc = ipc_new(base, netfd, vc_msg, vc_eof, vc)) == NULL ||
	    (vc->tick = event_new(base, -1, EV_PERSIST, vc_tick, vc)) == NULL) {
		ipc_free(vc->ipc);
		free(vc);
		return NULL;
	}
	event_add(vc->tick, &tv);
	return vc;
}

/*
 * A verdict now (VC_HIT, *vp set) or later through cb (VC_WAIT, *wp
 * set, cancel with vcache_cancel()).  A stale verdict is a hit too,
 * and starts a refresh.
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
	touch(vc, e);
	if (e->have && now - e->updated < vc->t.stale_max &&
	    (vc->dead || fresh(vc, e, now) || e->v.kind != VERDICT_DEFER)) {
		if (!fresh(vc, e, now))
			ask(vc, e);
		*vp = &e->v;
		return VC_HIT;
	}
	if (vc->dead && (!e->have || now - e->updated >= vc->t.stale_max)) {
		vwire_defer(&e->v, domain, NETPROC_GONE);
		*vp = &e->v;
		return VC_HIT;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return VC_ERROR;
	w->e = e;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&e->waiters, w, entry);
	ask(vc, e);
	*wp = w;
	return VC_WAIT;
}

/* Memory only, for synchronous table lookups; NULL when unknown. */
const struct verdict *
vcache_peek(struct vcache *vc, const char *domain)
{
	struct ventry	*e;
	time_t		 now = time(NULL);

	if ((e = find(vc, domain)) == NULL) {
		if ((e = create(vc, domain)) != NULL)
			ask(vc, e);	/* known by the next retry */
		return NULL;
	}
	touch(vc, e);
	if (!fresh(vc, e, now))
		ask(vc, e);
	if (!e->have || now - e->updated >= vc->t.stale_max)
		return NULL;
	return &e->v;
}

/*
 * The allowed MX hosts in turn, one per call: failover across retries.
 * A defer has none; after none or testing, the last allowed ones.
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
	if (v->nmx == 0)
		v = &e->last;
	if (v->nmx == 0)
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
