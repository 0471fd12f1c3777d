/*
 * mdb_cache.c - the daemon's ban cache: an immutable snapshot of the
 * active bans, sorted for binary search, swapped in under a write lock
 * whenever the store changed (see mdb.c).
 */
#include <sys/queue.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "common/log.h"
#include "common/secevent.h"
#include "db/mdb_int.h"

/* ------------------------------------------------------------------ */
/* The ban cache. */

void
mdb_cache_free(struct ban_cache *c)
{
	if (c == NULL)
		return;
	free(c->ip);
	free(c->range);
	free(c->ps);
	free(c->ids);
	free(c);
}

#define GROW(arr, n, cap) do {						\
	if ((n) == (cap)) {						\
		size_t nc_ = (cap) ? (cap) * 2 : 16;			\
		void *np_ = reallocarray((arr), nc_, sizeof(*(arr)));	\
		if (np_ == NULL) {					\
			c->oom = 1;					\
			return 1;					\
		}							\
		(arr) = np_;						\
		(cap) = nc_;						\
	}								\
} while (0)

static int
cache_add_cb(const struct db_ban *b, void *arg)
{
	struct ban_cache *c = arg;
	struct maddr a;

	GROW(c->ids, c->nids, c->cap_ids);
	c->ids[c->nids++] = b->id;
	switch (b->kind) {
	case BAN_IP:
		if (addr_parse(b->target, &a) != 0)
			break;
		GROW(c->ip, c->nip, c->cap_ip);
		memset(&c->ip[c->nip], 0, sizeof(c->ip[0]));
		c->ip[c->nip].family = a.family;
		memcpy(c->ip[c->nip].ip, a.ip, sizeof(a.ip));
		c->ip[c->nip++].expires = b->expires;
		break;
	case BAN_RANGE:
		GROW(c->range, c->nrange, c->cap_range);
		if (addr_range_parse(b->target, &c->range[c->nrange].r) != 0)
			break;
		c->range[c->nrange++].expires = b->expires;
		break;
	case BAN_PSEUDONYM:
		if (!pseudonym_valid(b->target))
			break;
		GROW(c->ps, c->nps, c->cap_ps);
		strlcpy(c->ps[c->nps].p, b->target, sizeof(c->ps[0].p));
		c->ps[c->nps++].expires = b->expires;
		break;
	}
	return 0;
}

static int
ip_cmp(const void *a, const void *b)
{
	const struct cache_ip *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->ip, y->ip, sizeof(x->ip));
}

static int
ps_cmp(const void *a, const void *b)
{
	const struct cache_ps *x = a, *y = b;

	return strcmp(x->p, y->p);
}

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Several bans of one target: keep the one that lasts longest. */
static size_t
merge_ip(struct cache_ip *v, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (o > 0 && ip_cmp(&v[o - 1], &v[i]) == 0) {
			if (v[i].expires > v[o - 1].expires)
				v[o - 1].expires = v[i].expires;
		} else
			v[o++] = v[i];
	}
	return o;
}

static size_t
merge_ps(struct cache_ps *v, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (o > 0 && ps_cmp(&v[o - 1], &v[i]) == 0) {
			if (v[i].expires > v[o - 1].expires)
				v[o - 1].expires = v[i].expires;
		} else
			v[o++] = v[i];
	}
	return o;
}

static struct ban_cache *
cache_load(struct db *db, int64_t now)
{
	struct ban_cache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (ban_list(db, 0, now, cache_add_cb, c) != DB_OK || c->oom) {
		mdb_cache_free(c);
		return NULL;
	}
	if (c->nip > 1) {
		qsort(c->ip, c->nip, sizeof(c->ip[0]), ip_cmp);
		c->nip = merge_ip(c->ip, c->nip);
	}
	if (c->nps > 1) {
		qsort(c->ps, c->nps, sizeof(c->ps[0]), ps_cmp);
		c->nps = merge_ps(c->ps, c->nps);
	}
	if (c->nids > 1)
		qsort(c->ids, c->nids, sizeof(c->ids[0]), id_cmp);
	return c;
}

/* How many ids of new are not in old (both sorted). */
static size_t
cache_new_ids(const struct ban_cache *old, const struct ban_cache *new)
{
	size_t i = 0, j = 0, n = 0;

	while (j < new->nids) {
		if (old == NULL || i >= old->nids || new->ids[j] < old->ids[i]) {
			n++;
			j++;
		} else if (new->ids[j] == old->ids[i]) {
			i++;
			j++;
		} else
			i++;
	}
	return n;
}

/*
 * Rebuilds the cache from the database; calls the ban hook when new bans
 * appeared.  On a read error the old cache stays and the next poll retries.
 */
void
mdb_cache_refresh(struct mdb *m, int initial)
{
	struct ban_cache *c, *old;
	int64_t dv;
	size_t fresh;

	if (db_data_version(m->rdb, &dv) != DB_OK ||
	    (c = cache_load(m->rdb, mdb_now())) == NULL) {
		log_warn("db: cannot read bans: %s; keeping the cached ones",
		    db_errmsg(m->rdb));
		return;
	}
	pthread_rwlock_wrlock(&m->lock);
	old = m->cache;
	m->cache = c;
	pthread_rwlock_unlock(&m->lock);
	m->data_version = dv;
	fresh = initial ? 0 : cache_new_ids(old, c);
	if (initial || fresh > 0 || old == NULL || old->nids != c->nids)
		log_info("ban cache: %zu active bans (%zu new)", c->nids,
		    fresh);
	mdb_cache_free(old);
	if (fresh > 0 && m->ban_hook != NULL)
		m->ban_hook(m->ban_hook_arg);
}

int
mdb_is_banned(struct mdb *m, const struct maddr *a)
{
	struct cache_ip key;
	struct cache_ip *hit;
	struct cache_ps pk, *phit;
	struct ban_cache *c;
	struct maddr plain;
	int64_t now = mdb_now();
	int banned = 0;
	size_t i;

	if (m == NULL)
		return 0;
	pseudonym_unmap(a, &plain);
	memset(&key, 0, sizeof(key));
	key.family = plain.family;
	memcpy(key.ip, plain.ip, addr_iplen(&plain));
	pthread_rwlock_rdlock(&m->lock);
	c = m->cache;
	if (c != NULL && c->nip > 0 && (hit = bsearch(&key, c->ip, c->nip,
	    sizeof(c->ip[0]), ip_cmp)) != NULL && hit->expires > now)
		banned = 1;
	for (i = 0; c != NULL && !banned && i < c->nrange; i++)
		if (c->range[i].expires > now &&
		    addr_in_range(&plain, &c->range[i].r))
			banned = 1;
	if (c != NULL && !banned && c->nps > 0) {
		pseudonym_of(&m->key, &plain, pk.p);
		if ((phit = bsearch(&pk, c->ps, c->nps, sizeof(c->ps[0]),
		    ps_cmp)) != NULL && phit->expires > now)
			banned = 1;
	}
	pthread_rwlock_unlock(&m->lock);
	return banned;
}

size_t
mdb_active_bans(struct mdb *m)
{
	size_t n;

	pthread_rwlock_rdlock(&m->lock);
	n = m->cache != NULL ? m->cache->nids : 0;
	pthread_rwlock_unlock(&m->lock);
	return n;
}

void
mdb_pseudonym(struct mdb *m, const struct maddr *a,
    char out[PSEUDONYM_LEN + 1])
{
	pseudonym_of(&m->key, a, out);
}

void
mdb_set_ban_hook(struct mdb *m, mdb_ban_hook cb, void *arg)
{
	m->ban_hook = cb;
	m->ban_hook_arg = arg;
}

