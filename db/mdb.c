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
#include "db/mdb_int.h"

/* The time in seconds, as the store keeps it. */
int64_t
mdb_now(void)
{
	return (int64_t)time(NULL);
}

/* ------------------------------------------------------------------ */
/* The writer thread. */

/* The time and the live settings a job carries (each type reads its own). */
void
mdb_job_settings(struct mdb *m, struct job *j)
{
	j->now = mdb_now();
	j->set = m->set;
}

void
mdb_job_free(struct job *j)
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

/* The auto-ban rule for the report j->id, with the job's settings. */
static int
job_auto_ban(struct db *db, struct job *j)
{
	return db_auto_ban(db, j->reported, j->now, j->set.auto_reports,
	    j->set.auto_window, j->set.ban_default, j->id, &j->ban_id,
	    &j->nreporters);
}

/* A job whose transaction failed: why, and no ban of its making. */
static void
job_failed(struct db *db, struct job *j)
{
	strlcpy(j->errmsg, db_errmsg(db), sizeof(j->errmsg));
	j->ban_id = 0;
	j->failed = 1;
}

static void
run_report(struct mdb *m, struct job *j)
{
	struct db *db = m->wdb;
	int rc;

	j->id = -1;
	if ((rc = db_begin(db)) == DB_OK) {
		rc = report_add(db, j->reporter, j->reported, j->reason,
		    j->detail, j->now, &j->id);
		if (rc == DB_OK)
			rc = job_auto_ban(db, j);
		rc = db_end(db, rc);
	}
	if (rc != DB_OK) {
		job_failed(db, j);
		j->id = -1;
	}
}

/* One entry of the cluster's log, with the auto-ban rule for a report:
 * the reports of every node count. */
static void
run_apply(struct mdb *m, struct job *j)
{
	struct db *db = m->wdb;
	int rc;

	j->id = 0;
	if ((rc = db_begin(db)) == DB_OK) {
		rc = db_modlog_apply(db, j->stream_id, j->own, j->log_entry,
		    j->entrylen, &j->what, j->reported, &j->id);
		if (rc == DB_INVAL) {
			/* Skipped, and the cursor moves past it. */
			strlcpy(j->errmsg, db_errmsg(db), sizeof(j->errmsg));
			rc = DB_OK;
		}
		if (rc == DB_OK && (j->what & DB_MODLOG_OWN_REPORT))
			rc = job_auto_ban(db, j);
		rc = db_end(db, rc);
	}
	if (rc != DB_OK) {
		job_failed(db, j);
		j->what = 0;
	}
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
		j->failed = db_purge(m->wdb, j->now, j->set.retention,
		    &j->purged_bans, &j->purged_reports) != DB_OK ||
		    (j->own && db_modlog_purge(m->wdb, j->now) != DB_OK);
		if (j->failed)
			strlcpy(j->errmsg, db_errmsg(m->wdb),
			    sizeof(j->errmsg));
		break;
	case JOB_ADMIN:
		admin_api_limits(m->api, j->set.ban_default, j->set.ban_max,
		    j->set.fail_window, ADMIN_FAIL_MAX);
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

void
mdb_enqueue(struct mdb *m, struct job *j)
{
	pthread_mutex_lock(&m->mtx);
	TAILQ_INSERT_TAIL(&m->todo, j, entry);
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->mtx);
}

/* The log line and security event of an auto-ban the job made. */
static void
tell_auto_ban(struct mdb *m, const struct job *j, const char *where)
{
	log_info("auto-ban: client %s banned for %llds after %lld reporters%s "
	    "(ban %lld)", j->reported, (long long)j->set.ban_default,
	    (long long)j->nreporters, where, (long long)j->ban_id);
	secevent_emit(m->seclog, SECEV_VIOLATION, SECEV_HIGH, NULL,
	    j->reported, "auto_ban", json_pack("{sI sI sI sI}",
	    "ban", (json_int_t)j->ban_id,
	    "reporters", (json_int_t)j->nreporters,
	    "window", (json_int_t)j->set.auto_window,
	    "expires", (json_int_t)(j->now + j->set.ban_default)));
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
			tell_auto_ban(m, j, "");
			mdb_cache_refresh(m, 0);
		}
		if (!j->cancelled && j->report_cb != NULL)
			j->report_cb(j->arg, j->id);
		mdb_export_pending(m);
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
			mdb_cache_refresh(m, 0);
		if (!j->cancelled && j->admin_cb != NULL)
			j->admin_cb(j->arg, j->resp.status, j->resp.json,
			    j->resp.retry_after);
		mdb_export_pending(m);
		break;
	case JOB_APPLY:
		if (j->failed)
			log_err("cluster log: entry %s not applied: %s (read "
			    "again at the next rejoin)", j->stream_id,
			    j->errmsg);
		else if (j->errmsg[0] != '\0')
			log_warn("cluster log: entry %s skipped: %s",
			    j->stream_id, j->errmsg);
		if (j->ban_id > 0)
			tell_auto_ban(m, j, " across the cluster");
		if ((j->what & (DB_MODLOG_BANNED | DB_MODLOG_UNBANNED)) ||
		    j->ban_id > 0)
			mdb_cache_refresh(m, 0);
		if (j->ban_id > 0)
			mdb_export_pending(m);
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
		mdb_job_free(j);
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
		mdb_job_free(j);
		return DB_INVAL;
	}
	if (detail != NULL && (rc = db_text_clean(detail, strlen(detail),
	    DB_TEXT_CP, j->detail, sizeof(j->detail))) != DB_OK) {
		mdb_job_free(j);
		return rc;
	}
	pseudonym_of(&m->key, reporter, j->reporter);
	pseudonym_of(&m->key, reported, j->reported);
	mdb_job_settings(m, j);
	j->report_cb = cb;
	j->arg = arg;
	mdb_enqueue(m, j);
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
		mdb_job_free(j);
		return DB_ERR;
	}
	if (body != NULL && bodylen > 0)
		memcpy(j->body, body, bodylen);
	else
		bodylen = 0;
	j->body[bodylen] = '\0';
	j->bodylen = bodylen;
	j->client = *client;
	mdb_job_settings(m, j);
	j->admin_cb = cb;
	j->arg = arg;
	mdb_enqueue(m, j);
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
		mdb_enqueue(m, j);
	}
	m->acked_tick = m->export_acked;
	if (m->purge_pending || (j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->type = JOB_PURGE;
	mdb_job_settings(m, j);
	j->own = m->export_hook != NULL;	/* the cluster's tables too */
	m->purge_pending = 1;
	mdb_enqueue(m, j);
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
		mdb_cache_refresh(m, 0);
		mdb_export_pending(m);	/* meetopiactl's changes too */
	}
}

/* ------------------------------------------------------------------ */

void
mdb_reload(struct mdb *m, const struct config *cfg)
{
	m->set.ban_default = cfg->ban_default;
	m->set.ban_max = cfg->ban_max;
	m->set.retention = cfg->report_retention;
	m->set.auto_reports = cfg->auto_ban_reports;
	m->set.auto_window = cfg->auto_ban_window;
	m->set.fail_window = cfg->rate_limit_window;
}

/* The pseudonym key, both connections, the admin API and the first cache. */
static int
mdb_open_stores(struct mdb *m, const struct config *cfg, const char *state_dir,
    char *err, size_t errlen)
{
	if (pseudonym_key_load(&m->key, state_dir, err, errlen) != 0)
		return -1;
	if ((m->rdb = db_open(cfg->db, DB_OPEN_CREATE, DB_BUSY_MS, err,
	    errlen)) == NULL ||
	    (m->wdb = db_open(cfg->db, 0, DB_BUSY_MS, err, errlen)) == NULL)
		return -1;
	/* Reports are acknowledged only once stored: refuse to serve with
	 * a store that cannot take them, rather than fail each one. */
	if (db_readonly(m->wdb)) {
		snprintf(err, errlen, "%s: read-only: meetopiad writes reports "
		    "and bans there; give its user write access to the file "
		    "and its directory", cfg->db);
		return -1;
	}
	if ((m->api = admin_api_new(m->wdb, m->seclog, &m->key)) == NULL) {
		snprintf(err, errlen, "db: admin API: out of memory");
		return -1;
	}
	mdb_cache_refresh(m, 1);
	if (m->cache == NULL) {
		snprintf(err, errlen, "%s: cannot read bans: %s", cfg->db,
		    db_errmsg(m->rdb));
		return -1;
	}
	return 0;
}

/* The writer's wake-up pipe and the loop's events and timers. */
static int
mdb_open_events(struct mdb *m, char *err, size_t errlen)
{
	struct timeval tv;
	int i, fl;

	if (pipe(m->wake) != 0) {
		snprintf(err, errlen, "db: pipe: %s", strerror(errno));
		return -1;
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
		return -1;
	}
	tv.tv_sec = POLL_SECS;
	tv.tv_usec = 0;
	event_add(m->ev_poll, &tv);
	tv.tv_sec = PURGE_SECS;
	event_add(m->ev_purge, &tv);
	return 0;
}

struct mdb *
mdb_open(struct event_base *base, const struct config *cfg,
    struct secevent_log *seclog, const char *state_dir, char *err,
    size_t errlen)
{
	struct mdb *m;

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
	if (mdb_open_stores(m, cfg, state_dir, err, errlen) != 0 ||
	    mdb_open_events(m, err, errlen) != 0)
		goto fail;
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
		mdb_job_free(j);
	}
	while ((j = TAILQ_FIRST(&m->todo)) != NULL) {
		TAILQ_REMOVE(&m->todo, j, entry);
		mdb_job_free(j);
	}
	if (m->wake[0] >= 0)
		close(m->wake[0]);
	if (m->wake[1] >= 0)
		close(m->wake[1]);
	admin_api_free(m->api);
	db_close(m->wdb);
	db_close(m->rdb);
	mdb_cache_free(m->cache);
	pthread_rwlock_destroy(&m->lock);
	pthread_mutex_destroy(&m->mtx);
	pthread_cond_destroy(&m->cond);
	pseudonym_key_wipe(&m->key);
	free(m);
}

