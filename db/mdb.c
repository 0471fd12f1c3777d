/*
 * mdb.c - the daemon's side of the moderation store (see db.h).
 *
 * Threads.  The loop thread owns one connection (rdb) for reads: the ban
 * cache is rebuilt from it whenever PRAGMA data_version says another
 * connection committed (meetopiactl, or our own writer).  A writer thread
 * owns a second connection (wdb) and runs every write: reports (with the
 * auto-ban rule in the same transaction), purges and admin API requests,
 * so neither an fsync nor argon2id nor a busy wait on a lock held by
 * meetopiactl ever stalls the loop.  Finished jobs go back to the loop
 * through a pipe; their callbacks run there.
 *
 * The ban cache is an immutable snapshot behind a read-write lock: lookups
 * from any thread (the relay's workers included) take the read lock for a
 * binary search or two; the loop swaps in a new snapshot under the write
 * lock.  Expiry is checked at lookup time, so an expired ban stops matching
 * at once even before the purge deletes it.
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/config.h"
#include "common/log.h"
#include "common/secevent.h"
#include "db/db.h"

#define POLL_SECS	1
#define PURGE_SECS	60
#define EXPORT_BATCH	64	/* outbox rows read at a time */
#define EXPORT_BURST	1024	/* handed out and not yet acknowledged */

struct cache_ip {
	uint8_t		 family;
	uint8_t		 ip[16];
	int64_t		 expires;
};

struct cache_range {
	struct addr_range r;
	int64_t		 expires;
};

struct cache_ps {
	char		 p[PSEUDONYM_LEN + 1];
	int64_t		 expires;
};

struct ban_cache {
	struct cache_ip	*ip;
	size_t		 nip;
	struct cache_range *range;
	size_t		 nrange;
	struct cache_ps	*ps;
	size_t		 nps;
	int64_t		*ids;		/* sorted, for "which bans are new" */
	size_t		 nids;
	size_t		 cap_ip, cap_range, cap_ps, cap_ids;
	int		 oom;
};

enum job_type {
	JOB_REPORT,
	JOB_PURGE,
	JOB_ADMIN,
	JOB_APPLY,		/* a stream entry of the cluster's log */
	JOB_ACKED		/* the cluster stored the outbox up to seq */
};

struct job {
	TAILQ_ENTRY(job) entry;
	enum job_type	 type;
	int64_t		 now;
	int		 cancelled;
	void		*arg;

	/* JOB_REPORT */
	char		 reporter[PSEUDONYM_LEN + 1];
	char		 reported[PSEUDONYM_LEN + 1];
	enum report_reason reason;
	char		 detail[DB_TEXT_MAX];
	int64_t		 ban_default, auto_reports, auto_window;
	mdb_report_cb	 report_cb;
	int64_t		 id;		/* out: the report, or < 0 */
	int64_t		 ban_id;	/* out: an auto-ban, or 0 */
	int64_t		 nreporters;

	/* JOB_PURGE */
	int64_t		 retention;
	int64_t		 purged_bans, purged_reports;
	int		 failed;
	char		 errmsg[256];	/* why it failed, from the writer */

	/* JOB_ADMIN */
	char		*method, *path, *authz, *body;
	size_t		 bodylen;
	struct maddr	 client;
	int64_t		 ban_max, fail_window;
	mdb_admin_cb	 admin_cb;
	struct admin_resp resp;

	/* JOB_APPLY (and id, reported, ban_id, nreporters of JOB_REPORT) */
	char		 stream_id[DB_STREAM_ID_MAX + 1];
	char		*log_entry;
	int		 own;		/* an entry of this node (JOB_PURGE:
					 * the cluster's log is on) */
	size_t		 entrylen;
	int		 what;		/* DB_MODLOG_* */

	/* JOB_ACKED */
	int64_t		 seq;
};
TAILQ_HEAD(jobq, job);

struct mdb {
	struct event_base	*base;
	struct secevent_log	*seclog;
	struct db		*rdb;		/* the loop's */
	struct db		*wdb;		/* the writer thread's */
	struct admin_api	*api;		/* the writer thread's */
	struct pseudonym_key	 key;

	pthread_rwlock_t	 lock;
	struct ban_cache	*cache;
	int64_t			 data_version;

	struct event		*ev_poll;
	struct event		*ev_purge;
	struct event		*ev_done;
	int			 wake[2];	/* writer -> loop */

	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct jobq		 todo;
	struct jobq		 finished;
	struct job		*current;	/* on the writer thread */
	struct job		*delivering;	/* its callback is running */
	int			 stop;
	int			 purge_pending;

	/* Live configuration, loop thread only; jobs carry copies. */
	int64_t			 ban_default, ban_max, retention;
	int64_t			 auto_reports, auto_window, fail_window;

	mdb_ban_hook		 ban_hook;
	void			*ban_hook_arg;

	/* The cluster's log (loop thread only); no hook without a cluster. */
	mdb_export_hook		 export_hook;
	void			*export_arg;
	int64_t			 export_next;	/* last seq handed out */
	int64_t			 export_acked;	/* last seq acknowledged */
	int64_t			 acked_tick;	/* export_acked a purge ago */
	int			 export_stop;
	size_t			 export_n;
	size_t			 export_inflight; /* handed out, not acked */
};

static void export_pending(struct mdb *);

static int64_t
now_secs(void)
{
	return (int64_t)time(NULL);
}

/* ------------------------------------------------------------------ */
/* The ban cache. */

static void
cache_free(struct ban_cache *c)
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
		cache_free(c);
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
static void
cache_refresh(struct mdb *m, int initial)
{
	struct ban_cache *c, *old;
	int64_t dv;
	size_t fresh;

	if (db_data_version(m->rdb, &dv) != DB_OK ||
	    (c = cache_load(m->rdb, now_secs())) == NULL) {
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
	cache_free(old);
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
	int64_t now = now_secs();
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

/* ------------------------------------------------------------------ */
/* The writer thread. */

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->method);
	free(j->path);
	if (j->authz != NULL) {
		explicit_bzero(j->authz, strlen(j->authz));
		free(j->authz);
	}
	free(j->body);
	free(j->log_entry);
	free(j->resp.json);
	explicit_bzero(j, sizeof(*j));
	free(j);
}

static void
run_report(struct mdb *m, struct job *j)
{
	struct db *db = m->wdb;

	j->id = -1;
	if (db_begin(db) != DB_OK)
		goto fail;
	if (report_add(db, j->reporter, j->reported, j->reason, j->detail,
	    j->now, &j->id) != DB_OK)
		goto fail_tx;
	if (db_auto_ban(db, j->reported, j->now, j->auto_reports,
	    j->auto_window, j->ban_default, j->id, &j->ban_id,
	    &j->nreporters) != DB_OK)
		goto fail_tx;
	if (db_commit(db) != DB_OK)
		goto fail_tx;
	return;
fail_tx:
	db_rollback(db);
fail:
	strlcpy(j->errmsg, db_errmsg(db), sizeof(j->errmsg));
	j->id = -1;
	j->ban_id = 0;
	j->failed = 1;
}

/* One entry of the cluster's log, with the auto-ban rule for a report:
 * the reports of every node count. */
static void
run_apply(struct mdb *m, struct job *j)
{
	struct db *db = m->wdb;
	int rc;

	j->id = 0;
	if (db_begin(db) != DB_OK)
		goto fail;
	rc = db_modlog_apply(db, j->stream_id, j->own, j->log_entry,
	    j->entrylen, &j->what, j->reported, &j->id);
	if (rc == DB_INVAL)
		strlcpy(j->errmsg, db_errmsg(db), sizeof(j->errmsg));
	else if (rc != DB_OK)
		goto fail_tx;
	if ((j->what & DB_MODLOG_OWN_REPORT) && db_auto_ban(db, j->reported,
	    j->now, j->auto_reports, j->auto_window, j->ban_default, j->id,
	    &j->ban_id, &j->nreporters) != DB_OK)
		goto fail_tx;
	if (db_commit(db) != DB_OK)
		goto fail_tx;
	return;
fail_tx:
	db_rollback(db);
fail:
	strlcpy(j->errmsg, db_errmsg(db), sizeof(j->errmsg));
	j->what = 0;
	j->ban_id = 0;
	j->failed = 1;
}

static void
run_job(struct mdb *m, struct job *j)
{
	struct admin_req req;

	switch (j->type) {
	case JOB_REPORT:
		run_report(m, j);
		break;
	case JOB_PURGE:
		j->failed = db_purge(m->wdb, j->now, j->retention,
		    &j->purged_bans, &j->purged_reports) != DB_OK ||
		    (j->own && db_modlog_purge(m->wdb, j->now) != DB_OK);
		if (j->failed)
			strlcpy(j->errmsg, db_errmsg(m->wdb),
			    sizeof(j->errmsg));
		break;
	case JOB_ADMIN:
		admin_api_limits(m->api, j->ban_default, j->ban_max,
		    j->fail_window, ADMIN_FAIL_MAX);
		memset(&req, 0, sizeof(req));
		req.method = j->method;
		req.path = j->path;
		req.authorization = j->authz;
		req.body = j->body;
		req.bodylen = j->bodylen;
		req.client = &j->client;
		req.now = j->now;
		admin_api_handle(m->api, &req, &j->resp);
		break;
	case JOB_APPLY:
		run_apply(m, j);
		break;
	case JOB_ACKED:
		j->failed = db_modlog_done(m->wdb, j->seq) != DB_OK;
		if (j->failed)
			strlcpy(j->errmsg, db_errmsg(m->wdb),
			    sizeof(j->errmsg));
		break;
	}
}

static void *
writer_main(void *arg)
{
	struct mdb *m = arg;
	struct job *j;
	char one = 1;

	pthread_mutex_lock(&m->mtx);
	for (;;) {
		while (TAILQ_EMPTY(&m->todo) && !m->stop)
			pthread_cond_wait(&m->cond, &m->mtx);
		/* On stop, every queued job still runs: reports commit. */
		if ((j = TAILQ_FIRST(&m->todo)) == NULL)
			break;
		TAILQ_REMOVE(&m->todo, j, entry);
		m->current = j;
		pthread_mutex_unlock(&m->mtx);

		run_job(m, j);

		pthread_mutex_lock(&m->mtx);
		m->current = NULL;
		TAILQ_INSERT_TAIL(&m->finished, j, entry);
		/* Nonblocking: a full pipe already holds a wake-up. */
		if (write(m->wake[1], &one, 1) < 0 && errno != EAGAIN)
			log_warn("db: wake-up pipe: %s", strerror(errno));
	}
	pthread_mutex_unlock(&m->mtx);
	return NULL;
}

static void
enqueue(struct mdb *m, struct job *j)
{
	pthread_mutex_lock(&m->mtx);
	TAILQ_INSERT_TAIL(&m->todo, j, entry);
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->mtx);
}

/* On the loop: what the writer finished. */
static void
finish_job(struct mdb *m, struct job *j)
{
	switch (j->type) {
	case JOB_REPORT:
		if (j->failed) {
			log_err("db: a report could not be saved: %s",
			    j->errmsg);
			secevent_emit(m->seclog, SECEV_ERROR, SECEV_CRITICAL,
			    NULL, j->reporter, "report_not_saved",
			    json_pack("{ss}", "why", j->errmsg));
		}
		if (j->ban_id > 0) {
			log_info("auto-ban: client %s banned for %llds after "
			    "%lld reporters (ban %lld)", j->reported,
			    (long long)j->ban_default,
			    (long long)j->nreporters, (long long)j->ban_id);
			secevent_emit(m->seclog, SECEV_VIOLATION, SECEV_HIGH,
			    NULL, j->reported, "auto_ban", json_pack(
			    "{sI sI sI sI}", "ban", (json_int_t)j->ban_id,
			    "reporters", (json_int_t)j->nreporters,
			    "window", (json_int_t)j->auto_window,
			    "expires", (json_int_t)(j->now + j->ban_default)));
			cache_refresh(m, 0);
		}
		if (!j->cancelled && j->report_cb != NULL)
			j->report_cb(j->arg, j->id);
		export_pending(m);
		break;
	case JOB_PURGE:
		m->purge_pending = 0;
		if (j->failed)
			log_warn("db: purge failed: %s", j->errmsg);
		else if (j->purged_bans > 0 || j->purged_reports > 0)
			log_info("db: purged %lld expired bans and %lld old "
			    "reports", (long long)j->purged_bans,
			    (long long)j->purged_reports);
		break;
	case JOB_ADMIN:
		if (j->resp.bans_changed)
			cache_refresh(m, 0);
		if (!j->cancelled && j->admin_cb != NULL)
			j->admin_cb(j->arg, j->resp.status, j->resp.json,
			    j->resp.retry_after);
		export_pending(m);
		break;
	case JOB_APPLY:
		if (j->failed)
			log_err("cluster log: entry %s not applied: %s (read "
			    "again at the next rejoin)", j->stream_id,
			    j->errmsg);
		else if (j->errmsg[0] != '\0')
			log_warn("cluster log: entry %s skipped: %s",
			    j->stream_id, j->errmsg);
		if (j->ban_id > 0) {
			log_info("auto-ban: client %s banned for %llds after "
			    "%lld reporters across the cluster (ban %lld)",
			    j->reported, (long long)j->ban_default,
			    (long long)j->nreporters, (long long)j->ban_id);
			secevent_emit(m->seclog, SECEV_VIOLATION, SECEV_HIGH,
			    NULL, j->reported, "auto_ban", json_pack(
			    "{sI sI sI sI}", "ban", (json_int_t)j->ban_id,
			    "reporters", (json_int_t)j->nreporters,
			    "window", (json_int_t)j->auto_window,
			    "expires", (json_int_t)(j->now + j->ban_default)));
		}
		if ((j->what & (DB_MODLOG_BANNED | DB_MODLOG_UNBANNED)) ||
		    j->ban_id > 0)
			cache_refresh(m, 0);
		if (j->ban_id > 0)
			export_pending(m);
		break;
	case JOB_ACKED:
		if (j->failed)
			log_warn("cluster log: outbox: %s", j->errmsg);
		break;
	}
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mdb *m = arg;
	struct job *j;
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	/*
	 * One job at a time: a callback (or the ban hook) may free a session
	 * and mdb_cancel() its other jobs, which must still be findable.
	 */
	for (;;) {
		pthread_mutex_lock(&m->mtx);
		if ((j = TAILQ_FIRST(&m->finished)) != NULL)
			TAILQ_REMOVE(&m->finished, j, entry);
		m->delivering = j;
		pthread_mutex_unlock(&m->mtx);
		if (j == NULL)
			break;
		finish_job(m, j);
		pthread_mutex_lock(&m->mtx);
		m->delivering = NULL;
		pthread_mutex_unlock(&m->mtx);
		job_free(j);
	}
}

void
mdb_cancel(struct mdb *m, void *arg)
{
	struct job *j;

	pthread_mutex_lock(&m->mtx);
	TAILQ_FOREACH(j, &m->todo, entry)
		if (j->arg == arg)
			j->cancelled = 1;
	TAILQ_FOREACH(j, &m->finished, entry)
		if (j->arg == arg)
			j->cancelled = 1;
	if (m->current != NULL && m->current->arg == arg)
		m->current->cancelled = 1;
	if (m->delivering != NULL && m->delivering->arg == arg)
		m->delivering->cancelled = 1;
	pthread_mutex_unlock(&m->mtx);
}

/* ------------------------------------------------------------------ */
/* Submissions from the loop. */

int
mdb_report_submit(struct mdb *m, const struct maddr *reporter,
    const struct maddr *reported, const char *reason, const char *detail,
    mdb_report_cb cb, void *arg)
{
	struct job *j;
	int rc;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return DB_ERR;
	j->type = JOB_REPORT;
	if (reason == NULL || report_reason_parse(reason, &j->reason) !=
	    DB_OK) {
		job_free(j);
		return DB_INVAL;
	}
	if (detail != NULL && (rc = db_text_clean(detail, strlen(detail),
	    DB_TEXT_CP, j->detail, sizeof(j->detail))) != DB_OK) {
		job_free(j);
		return rc;
	}
	pseudonym_of(&m->key, reporter, j->reporter);
	pseudonym_of(&m->key, reported, j->reported);
	j->now = now_secs();
	j->ban_default = m->ban_default;
	j->auto_reports = m->auto_reports;
	j->auto_window = m->auto_window;
	j->report_cb = cb;
	j->arg = arg;
	enqueue(m, j);
	return DB_OK;
}

int
mdb_admin_request(struct mdb *m, const char *method, const char *path,
    const char *authorization, const char *body, size_t bodylen,
    const struct maddr *client, mdb_admin_cb cb, void *arg)
{
	struct job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return DB_ERR;
	j->type = JOB_ADMIN;
	if (bodylen > ADMIN_BODY_MAX)
		bodylen = ADMIN_BODY_MAX + 1;	/* refused as 413 */
	if ((j->method = strdup(method != NULL ? method : "")) == NULL ||
	    (j->path = strdup(path != NULL ? path : "")) == NULL ||
	    (authorization != NULL &&
	    (j->authz = strdup(authorization)) == NULL) ||
	    (j->body = malloc(bodylen + 1)) == NULL) {
		job_free(j);
		return DB_ERR;
	}
	if (body != NULL && bodylen > 0)
		memcpy(j->body, body, bodylen);
	else
		bodylen = 0;
	j->body[bodylen] = '\0';
	j->bodylen = bodylen;
	j->client = *client;
	j->now = now_secs();
	j->ban_default = m->ban_default;
	j->ban_max = m->ban_max;
	j->fail_window = m->fail_window;
	j->admin_cb = cb;
	j->arg = arg;
	enqueue(m, j);
	return DB_OK;
}

static void
purge_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mdb *m = arg;
	struct job *j;

	/* The outbox forgets what Redis acknowledged a purge ago (60 to
	 * 120 s): kept that long to be sent again after a rejoin. */
	if (m->export_hook != NULL && m->acked_tick > 0 &&
	    (j = calloc(1, sizeof(*j))) != NULL) {
		j->type = JOB_ACKED;
		j->seq = m->acked_tick;
		enqueue(m, j);
	}
	m->acked_tick = m->export_acked;
	if (m->purge_pending || (j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->type = JOB_PURGE;
	j->now = now_secs();
	j->retention = m->retention;
	j->own = m->export_hook != NULL;	/* the cluster's tables too */
	m->purge_pending = 1;
	enqueue(m, j);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mdb *m = arg;
	int64_t dv;

	if (db_data_version(m->rdb, &dv) != DB_OK) {
		log_warn("db: data_version: %s", db_errmsg(m->rdb));
		return;
	}
	if (dv != m->data_version) {
		cache_refresh(m, 0);
		export_pending(m);	/* meetopiactl's changes too */
	}
}

/* ------------------------------------------------------------------ */
/* The cluster's log. */

/* A ban target as it may leave this node: a client address becomes its
 * pseudonym (the key is the cluster's shared pseudonym-secret). */
static void
export_unclear(struct mdb *m, json_t *e)
{
	const char *kind, *target;
	char p[PSEUDONYM_LEN + 1];
	struct addr_range r;
	struct maddr a;

	kind = json_string_value(json_object_get(e, "kind"));
	target = json_string_value(json_object_get(e, "target"));
	if (kind == NULL || target == NULL)
		return;
	memset(&a, 0, sizeof(a));
	if (strcmp(kind, "ip") == 0) {
		if (addr_parse(target, &a) != 0)
			return;
	} else if (strcmp(kind, "range") == 0) {
		if (addr_range_parse(target, &r) != 0 ||
		    memcmp(r.lo, r.hi, sizeof(r.lo)) != 0)
			return;		/* a network, not a client */
		a.family = r.family;
		memcpy(a.ip, r.lo, sizeof(a.ip));
	} else
		return;
	pseudonym_of(&m->key, &a, p);
	json_object_set_new(e, "kind", json_string("pseudonym"));
	json_object_set_new(e, "target", json_string(p));
}

static int
export_row_cb(int64_t seq, const char *entry, void *arg)
{
	struct mdb *m = arg;
	json_t *e;
	char *out = NULL;
	int rc = 0;

	m->export_n++;
	if ((e = json_loads(entry, 0, NULL)) == NULL ||
	    (out = json_dumps(e, JSON_COMPACT)) == NULL) {
		json_decref(e);
		log_warn("cluster log: outbox entry %lld unreadable, skipped",
		    (long long)seq);
		m->export_next = seq;
		return 0;
	}
	if (json_is_string(json_object_get(e, "op")) && strcmp(
	    json_string_value(json_object_get(e, "op")), "ban") == 0) {
		export_unclear(m, e);
		free(out);
		out = json_dumps(e, JSON_COMPACT);
	}
	if (out == NULL || m->export_hook(m->export_arg, seq, out,
	    strlen(out)) != 0) {
		m->export_stop = 1;
		rc = 1;
	} else {
		m->export_next = seq;
		m->export_inflight++;
	}
	free(out);
	json_decref(e);
	return rc;
}

/*
 * Hands the outbox entries not handed out yet to the export hook, at most
 * EXPORT_BURST at a time: a long outbox (Redis was down for a while) goes
 * out as the acknowledgements come back, without holding the loop.
 */
static void
export_pending(struct mdb *m)
{
	int batches = 0;

	if (m->export_hook == NULL || m->export_inflight >= EXPORT_BURST)
		return;
	m->export_stop = 0;
	do {
		m->export_n = 0;
		if (db_modlog_pending(m->rdb, m->export_next, EXPORT_BATCH,
		    export_row_cb, m) != DB_OK) {
			log_warn("cluster log: outbox: %s", db_errmsg(m->rdb));
			return;
		}
	} while (m->export_n == EXPORT_BATCH && !m->export_stop &&
	    ++batches < EXPORT_BURST / EXPORT_BATCH);
}

int
mdb_modlog_enable(struct mdb *m, mdb_export_hook hook, void *arg,
    char *err, size_t errlen)
{
	if (db_modlog_enable(m->rdb) != DB_OK) {
		snprintf(err, errlen, "db: cluster log tables: %s",
		    db_errmsg(m->rdb));
		return -1;
	}
	m->export_hook = hook;
	m->export_arg = arg;
	m->export_next = m->export_acked = 0;
	return 0;
}

void
mdb_modlog_flush(struct mdb *m)
{
	export_pending(m);
}

/*
 * Everything still in the outbox goes again, what Redis acknowledged in
 * the last minute or two included: a Redis without persistence that died
 * and came back lost what no node had read yet.  Applying twice is a
 * no-op.
 */
void
mdb_modlog_rewind(struct mdb *m)
{
	m->export_next = 0;
	m->export_inflight = 0;
}

void
mdb_modlog_acked(struct mdb *m, int64_t seq)
{
	if (m->export_inflight > 0)
		m->export_inflight--;
	if (seq > m->export_acked)
		m->export_acked = seq;
	if (m->export_inflight == 0)
		export_pending(m);	/* the rest of a long outbox */
}

int
mdb_modlog_cursor(struct mdb *m, char *out, size_t len)
{
	if (db_modlog_cursor(m->rdb, out, len) != DB_OK) {
		log_warn("cluster log: cursor: %s", db_errmsg(m->rdb));
		return -1;
	}
	return 0;
}

int
mdb_modlog_apply(struct mdb *m, const char *id, int own, const char *entry,
    size_t len)
{
	struct job *j;

	if (strlen(id) > DB_STREAM_ID_MAX || entry == NULL)
		return DB_INVAL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return DB_ERR;
	j->type = JOB_APPLY;
	strlcpy(j->stream_id, id, sizeof(j->stream_id));
	j->own = own;
	if ((j->log_entry = malloc(len + 1)) == NULL) {
		job_free(j);
		return DB_ERR;
	}
	memcpy(j->log_entry, entry, len);
	j->log_entry[len] = '\0';
	j->entrylen = len;
	j->now = now_secs();
	j->ban_default = m->ban_default;
	j->auto_reports = m->auto_reports;
	j->auto_window = m->auto_window;
	enqueue(m, j);
	return DB_OK;
}

/* ------------------------------------------------------------------ */

void
mdb_reload(struct mdb *m, const struct config *cfg)
{
	m->ban_default = cfg->ban_default;
	m->ban_max = cfg->ban_max;
	m->retention = cfg->report_retention;
	m->auto_reports = cfg->auto_ban_reports;
	m->auto_window = cfg->auto_ban_window;
	m->fail_window = cfg->rate_limit_window;
}

struct mdb *
mdb_open(struct event_base *base, const struct config *cfg,
    struct secevent_log *seclog, const char *state_dir, char *err,
    size_t errlen)
{
	struct timeval tv;
	struct mdb *m;
	int i, fl;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "db: out of memory");
		return NULL;
	}
	m->base = base;
	m->seclog = seclog;
	m->wake[0] = m->wake[1] = -1;
	TAILQ_INIT(&m->todo);
	TAILQ_INIT(&m->finished);
	pthread_rwlock_init(&m->lock, NULL);
	pthread_mutex_init(&m->mtx, NULL);
	pthread_cond_init(&m->cond, NULL);
	mdb_reload(m, cfg);
	if (pseudonym_key_load(&m->key, state_dir, err, errlen) != 0)
		goto fail;
	if ((m->rdb = db_open(cfg->db, DB_OPEN_CREATE, DB_BUSY_MS, err,
	    errlen)) == NULL ||
	    (m->wdb = db_open(cfg->db, 0, DB_BUSY_MS, err, errlen)) == NULL)
		goto fail;
	/* Reports are acknowledged only once stored: refuse to serve with
	 * a store that cannot take them, rather than fail each one. */
	if (db_readonly(m->wdb)) {
		snprintf(err, errlen, "%s: read-only: meetopiad writes reports "
		    "and bans there; give its user write access to the file "
		    "and its directory", cfg->db);
		goto fail;
	}
	if ((m->api = admin_api_new(m->wdb, m->seclog, &m->key)) == NULL) {
		snprintf(err, errlen, "db: admin API: out of memory");
		goto fail;
	}
	cache_refresh(m, 1);
	if (m->cache == NULL) {
		snprintf(err, errlen, "%s: cannot read bans: %s", cfg->db,
		    db_errmsg(m->rdb));
		goto fail;
	}
	if (pipe(m->wake) != 0) {
		snprintf(err, errlen, "db: pipe: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		fl = fcntl(m->wake[i], F_GETFL);
		fcntl(m->wake[i], F_SETFL, fl | O_NONBLOCK);
		fcntl(m->wake[i], F_SETFD, FD_CLOEXEC);
	}
	m->ev_done = event_new(m->base, m->wake[0], EV_READ | EV_PERSIST,
	    done_cb, m);
	m->ev_poll = event_new(m->base, -1, EV_PERSIST, poll_cb, m);
	m->ev_purge = event_new(m->base, -1, EV_PERSIST, purge_cb, m);
	if (m->ev_done == NULL || m->ev_poll == NULL || m->ev_purge == NULL ||
	    event_add(m->ev_done, NULL) != 0) {
		snprintf(err, errlen, "db: cannot create events");
		goto fail;
	}
	tv.tv_sec = POLL_SECS;
	tv.tv_usec = 0;
	event_add(m->ev_poll, &tv);
	tv.tv_sec = PURGE_SECS;
	event_add(m->ev_purge, &tv);
	if (pthread_create(&m->thread, NULL, writer_main, m) != 0) {
		snprintf(err, errlen, "db: cannot start the writer thread");
		goto fail;
	}
	m->started = 1;
	purge_cb(-1, 0, m);		/* once at start */
	log_info("db: %s open (schema %d)", cfg->db, DB_SCHEMA_VERSION);
	return m;
fail:
	mdb_close(m);
	return NULL;
}

void
mdb_close(struct mdb *m)
{
	struct job *j;

	if (m == NULL)
		return;
	if (m->ev_poll != NULL)
		event_free(m->ev_poll);
	if (m->ev_purge != NULL)
		event_free(m->ev_purge);
	if (m->ev_done != NULL)
		event_free(m->ev_done);
	if (m->started) {
		pthread_mutex_lock(&m->mtx);
		m->stop = 1;
		pthread_cond_signal(&m->cond);
		pthread_mutex_unlock(&m->mtx);
		pthread_join(m->thread, NULL);
	}
	while ((j = TAILQ_FIRST(&m->finished)) != NULL) {
		TAILQ_REMOVE(&m->finished, j, entry);
		job_free(j);
	}
	while ((j = TAILQ_FIRST(&m->todo)) != NULL) {
		TAILQ_REMOVE(&m->todo, j, entry);
		job_free(j);
	}
	if (m->wake[0] >= 0)
		close(m->wake[0]);
	if (m->wake[1] >= 0)
		close(m->wake[1]);
	admin_api_free(m->api);
	db_close(m->wdb);
	db_close(m->rdb);
	cache_free(m->cache);
	pthread_rwlock_destroy(&m->lock);
	pthread_mutex_destroy(&m->mtx);
	pthread_cond_destroy(&m->cond);
	pseudonym_key_wipe(&m->key);
	free(m);
}
