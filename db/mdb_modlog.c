/*
 * mdb_modlog.c - the daemon's side of the cluster's moderation log: the
 * outbox handed to the cluster in bursts, and stream entries applied on the
 * writer thread (see mdb.c and store_modlog.c).
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
void
mdb_export_pending(struct mdb *m)
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
	mdb_export_pending(m);
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
		mdb_export_pending(m);	/* the rest of a long outbox */
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
		mdb_job_free(j);
		return DB_ERR;
	}
	memcpy(j->log_entry, entry, len);
	j->log_entry[len] = '\0';
	j->entrylen = len;
	mdb_job_settings(m, j);
	mdb_enqueue(m, j);
	return DB_OK;
}

