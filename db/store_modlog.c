/*
 * store_modlog.c - the store's side of the cluster's moderation log (see db.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db/store_int.h"

/* ------------------------------------------------------------------ */
/*
 * The cluster's moderation log (SPEC "Cluster").  A daemon with `redis`
 * calls db_modlog_enable() once; a store that never had a cluster has
 * none of this and is schema 1 exactly as before.  It adds:
 *
 *   uid          a random global id on every ban and report, the key
 *                that makes applying an entry twice a no-op;
 *   modlog_out   the outbox: one JSON entry per local ban, ban removal,
 *                report and resolution, written by triggers in the very
 *                transaction that made the change, whoever made it (the
 *                daemon, the admin API, the auto-ban rule or meetopiactl);
 *                the daemon sends it to the cluster's stream and deletes
 *                what Redis acknowledged;
 *   modlog_in    the id of the last stream entry applied here;
 *   modlog_gone  the uids of removed bans until they would have expired,
 *                so that a ban entry read again (a node reading from an
 *                older cursor) does not bring back a lifted ban.
 *
 * Rows that came from another node are inserted with their uid, so the
 * insert triggers leave them alone; what the delete and resolve triggers
 * write while applying is taken out again in the same transaction.
 * Removals of bans that already expired are not logged (the purge).
 */
static const char MODLOG_SCHEMA[] =
	"ALTER TABLE bans ADD COLUMN uid TEXT;"
	"ALTER TABLE reports ADD COLUMN uid TEXT;"
	"CREATE UNIQUE INDEX bans_uid ON bans (uid);"
	"CREATE UNIQUE INDEX reports_uid ON reports (uid);"
	"CREATE TABLE modlog_out ("
	"  seq   INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  entry TEXT NOT NULL);"
	"CREATE TABLE modlog_in ("
	"  id    INTEGER PRIMARY KEY CHECK (id = 1),"
	"  last  TEXT NOT NULL);"
	"CREATE TABLE modlog_gone ("
	"  uid     TEXT PRIMARY KEY,"
	"  expires INTEGER NOT NULL);"
	"CREATE TRIGGER modlog_ban_add AFTER INSERT ON bans"
	"  WHEN NEW.uid IS NULL BEGIN"
	"  UPDATE bans SET uid = lower(hex(randomblob(16))) WHERE id = NEW.id;"
	"  INSERT INTO modlog_out (entry) SELECT json_object('op', 'ban',"
	"    'uid', uid, 'kind', kind, 'target', target, 'reason', reason,"
	"    'source', source, 'created', created, 'expires', expires,"
	"    'report', (SELECT r.uid FROM reports r WHERE r.id = NEW.report))"
	"    FROM bans WHERE id = NEW.id;"
	"  END;"
	"CREATE TRIGGER modlog_ban_remove AFTER DELETE ON bans"
	"  WHEN OLD.uid IS NOT NULL AND OLD.expires > unixepoch() BEGIN"
	"  INSERT INTO modlog_out (entry) VALUES (json_object('op', 'unban',"
	"    'uid', OLD.uid, 'expires', OLD.expires));"
	"  INSERT OR IGNORE INTO modlog_gone (uid, expires)"
	"    VALUES (OLD.uid, OLD.expires);"
	"  END;"
	"CREATE TRIGGER modlog_report_add AFTER INSERT ON reports"
	"  WHEN NEW.uid IS NULL BEGIN"
	"  UPDATE reports SET uid = lower(hex(randomblob(16)))"
	"    WHERE id = NEW.id;"
	"  INSERT INTO modlog_out (entry) SELECT json_object('op', 'report',"
	"    'uid', uid, 'reporter', reporter, 'reported', reported,"
	"    'reason', reason, 'detail', detail, 'created', created)"
	"    FROM reports WHERE id = NEW.id;"
	"  END;"
	"CREATE TRIGGER modlog_report_resolve AFTER UPDATE OF resolved"
	"  ON reports WHEN OLD.resolved IS NULL AND NEW.resolved IS NOT NULL"
	"  AND NEW.uid IS NOT NULL BEGIN"
	"  INSERT INTO modlog_out (entry) VALUES (json_object('op', 'resolve',"
	"    'uid', NEW.uid, 'at', NEW.resolved));"
	"  END;"
	/* What this store held before it joined goes to the others too. */
	"UPDATE reports SET uid = lower(hex(randomblob(16)));"
	"INSERT INTO modlog_out (entry) SELECT json_object('op', 'report',"
	"  'uid', uid, 'reporter', reporter, 'reported', reported,"
	"  'reason', reason, 'detail', detail, 'created', created)"
	"  FROM reports ORDER BY id;"
	"UPDATE bans SET uid = lower(hex(randomblob(16)));"
	"INSERT INTO modlog_out (entry) SELECT json_object('op', 'ban',"
	"  'uid', b.uid, 'kind', b.kind, 'target', b.target,"
	"  'reason', b.reason, 'source', b.source, 'created', b.created,"
	"  'expires', b.expires, 'report', r.uid)"
	"  FROM bans b LEFT JOIN reports r ON r.id = b.report"
	"  WHERE b.expires > unixepoch() ORDER BY b.id;";

int
db_modlog_enable(struct db *db)
{
	sqlite3_stmt *st;
	int64_t n;
	int rc;

	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if (sqlite3_prepare_v2(db->h, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name = 'modlog_out'", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_seterr(db, "modlog");
		rc = DB_ERR;
		goto fail;
	}
	rc = db_run_int(db, st, &n, "modlog");
	sqlite3_finalize(st);
	if (rc != DB_OK)
		goto fail;
	if (n == 0)
		rc = db_run_script(db, MODLOG_SCHEMA, "modlog schema");
fail:
	return db_end(db, rc);
}

int
db_modlog_pending(struct db *db, int64_t after, int max,
    int (*cb)(int64_t, const char *, void *), void *arg)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if ((st = db_stmt(db, S_ML_PENDING)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *e = sqlite3_column_text(st, 1);

		n++;
		if (cb(sqlite3_column_int64(st, 0), e != NULL ?
		    (const char *)e : "", arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	rc = db_rc(db, rc, "modlog pending");
	db_done(st);
	return rc;
}

int
db_modlog_purge(struct db *db, int64_t now)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(db, S_ML_GONE_PURGE)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, now);
	return db_run(db, st, "modlog purge");
}

int
db_modlog_done(struct db *db, int64_t upto)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(db, S_ML_DONE)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, upto);
	return db_run(db, st, "modlog done");
}

int
db_modlog_cursor(struct db *db, char *out, size_t len)
{
	sqlite3_stmt *st;
	int rc;

	strlcpy(out, "0-0", len);
	if ((st = db_stmt(db, S_ML_CURSOR_GET)) == NULL)
		return DB_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		db_col_text(st, 0, out, len);
		rc = SQLITE_DONE;
	}
	rc = db_rc(db, rc, "modlog cursor");
	db_done(st);
	return rc;
}

/* A stream id: digits, '-', digits. */
static int
stream_id_valid(const char *s)
{
	size_t i, dash = 0, n = strlen(s);

	if (n == 0 || n > DB_STREAM_ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '-') {
			if (dash++ > 0 || i == 0 || i == n - 1)
				return 0;
		} else if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	return dash == 1;
}

static int
uid_valid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != DB_UID_LEN)
		return 0;
	for (i = 0; i < DB_UID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The text member key of e (NULL: absent or not a string). */
static const char *
entry_str(json_t *e, const char *key)
{
	return json_string_value(json_object_get(e, key));
}

/* The text member key of e, cleaned as the store keeps text ("" if absent). */
static int
entry_text(json_t *e, const char *key, char *out, size_t outlen)
{
	const char *s = entry_str(e, key);

	return db_text_clean(s != NULL ? s : "", s != NULL ? strlen(s) : 0,
	    DB_TEXT_CP, out, outlen);
}

/* "unban": the ban goes, and its uid is remembered as gone. */
static int
apply_unban(struct db *db, json_t *e, const char *uid, int *what)
{
	sqlite3_stmt *st;
	json_t *v;
	int rc;

	if ((st = db_stmt(db, S_ML_BAN_REMOVE)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	if ((rc = db_run(db, st, "modlog unban")) != DB_OK)
		return rc;
	if (sqlite3_changes(db->h) > 0)
		*what |= DB_MODLOG_UNBANNED;
	/* Remembered till the ban would have expired, so that the
	 * ban read again (a replay) does not come back. */
	v = json_object_get(e, "expires");
	if ((st = db_stmt(db, S_ML_GONE)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, json_is_integer(v) ?
	    json_integer_value(v) : (int64_t)time(NULL) +
	    DB_MODLOG_GONE_SECS);
	return db_run(db, st, "modlog unban");
}

/* "resolve": the report of uid is resolved at "at". */
static int
apply_resolve(struct db *db, json_t *e, const char *uid)
{
	sqlite3_stmt *st;
	json_t *v;

	if (!json_is_integer(v = json_object_get(e, "at")))
		return DB_INVAL;
	if ((st = db_stmt(db, S_ML_REPORT_RESOLVE)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, json_integer_value(v));
	sqlite3_bind_text(st, 2, uid, -1, SQLITE_STATIC);
	return db_run(db, st, "modlog resolve");
}

/* A ban entry's kind and target, checked and in canonical form. */
static int
ban_entry_target(json_t *e, enum ban_kind *kind, char *canon, size_t len)
{
	const char *s, *target;

	if ((s = entry_str(e, "kind")) == NULL ||
	    (target = entry_str(e, "target")) == NULL)
		return DB_INVAL;
	if (strcmp(s, "pseudonym") == 0) {
		if (!pseudonym_valid(target))
			return DB_INVAL;
		*kind = BAN_PSEUDONYM;
		strlcpy(canon, target, len);
		return DB_OK;
	}
	if (strcmp(s, "ip") != 0 && strcmp(s, "range") != 0)
		return DB_INVAL;
	return ban_parse_target(target, kind, canon, len) == DB_OK ? DB_OK :
	    DB_INVAL;
}

/* "ban": a ban from another node, with its uid. */
static int
apply_ban(struct db *db, json_t *e, const char *uid, json_int_t created,
    int *what)
{
	char text[DB_TEXT_MAX], canon[DB_TARGET_MAX];
	const char *source, *report;
	enum ban_kind kind;
	json_int_t expires;
	sqlite3_stmt *st;
	json_t *v;
	int rc;

	if (!json_is_integer(v = json_object_get(e, "expires")) ||
	    (expires = json_integer_value(v)) <= created)
		return DB_INVAL;
	if (ban_entry_target(e, &kind, canon, sizeof(canon)) != DB_OK ||
	    entry_text(e, "reason", text, sizeof(text)) != DB_OK)
		return DB_INVAL;
	source = entry_str(e, "source");
	if (source == NULL || (strcmp(source, "cli") != 0 &&
	    strcmp(source, "api") != 0 && strcmp(source, "auto") != 0))
		return DB_INVAL;
	if ((st = db_stmt(db, S_ML_BAN_ADD)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, ban_kind_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	if (uid_valid(report = entry_str(e, "report")))
		sqlite3_bind_text(st, 4, report, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_text(st, 5, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, created);
	sqlite3_bind_int64(st, 7, expires);
	sqlite3_bind_text(st, 8, uid, -1, SQLITE_STATIC);
	if ((rc = db_run(db, st, "modlog ban")) == DB_OK &&
	    sqlite3_changes(db->h) > 0)
		*what |= DB_MODLOG_BANNED;
	return rc;
}

/* "report": a report filed on another node, with its uid. */
static int
apply_report(struct db *db, json_t *e, const char *uid, json_int_t created,
    int *what, char *reported, int64_t *report_id)
{
	char text[DB_TEXT_MAX];
	const char *rep = entry_str(e, "reporter");
	const char *red = entry_str(e, "reported");
	const char *s;
	enum report_reason rr;
	sqlite3_stmt *st;
	int rc;

	if (rep == NULL || red == NULL || !pseudonym_valid(rep) ||
	    !pseudonym_valid(red))
		return DB_INVAL;
	if ((s = entry_str(e, "reason")) == NULL ||
	    report_reason_parse(s, &rr) != DB_OK ||
	    entry_text(e, "detail", text, sizeof(text)) != DB_OK)
		return DB_INVAL;
	if ((st = db_stmt(db, S_ML_REPORT_ADD)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, rep, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, red, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, report_reason_name(rr), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, created);
	sqlite3_bind_text(st, 6, uid, -1, SQLITE_STATIC);
	if ((rc = db_run(db, st, "modlog report")) == DB_OK &&
	    sqlite3_changes(db->h) > 0) {
		*what |= DB_MODLOG_REPORTED;
		*report_id = sqlite3_last_insert_rowid(db->h);
		strlcpy(reported, red, PSEUDONYM_LEN + 1);
	}
	return rc;
}

/* The entry's fields, checked as untrusted input. */
static int
apply_entry(struct db *db, json_t *e, int *what, char *reported,
    int64_t *report_id)
{
	const char *op, *uid;
	json_int_t created;
	json_t *v;
	int rc = DB_INVAL;

	op = entry_str(e, "op");
	uid = entry_str(e, "uid");
	if (op == NULL || !uid_valid(uid)) {
		snprintf(db->msg, sizeof(db->msg), "modlog: no op or uid");
		return DB_INVAL;
	}
	if (strcmp(op, "unban") == 0)
		return apply_unban(db, e, uid, what);
	if (strcmp(op, "resolve") == 0)
		rc = apply_resolve(db, e, uid);
	else if (json_is_integer(v = json_object_get(e, "created"))) {
		created = json_integer_value(v);
		if (strcmp(op, "ban") == 0)
			rc = apply_ban(db, e, uid, created, what);
		else if (strcmp(op, "report") == 0)
			rc = apply_report(db, e, uid, created, what, reported,
			    report_id);
	}
	if (rc == DB_INVAL)
		snprintf(db->msg, sizeof(db->msg), "modlog: a %s entry with "
		    "missing or invalid fields", op);
	return rc;
}

/* Our own report back from the stream: who it reported, and its row. */
static int
own_report(struct db *db, json_t *e, int *what, char *reported,
    int64_t *report_id)
{
	const char *op, *uid, *red;
	sqlite3_stmt *st;

	op = json_string_value(json_object_get(e, "op"));
	uid = json_string_value(json_object_get(e, "uid"));
	red = json_string_value(json_object_get(e, "reported"));
	if (op == NULL || strcmp(op, "report") != 0 || !uid_valid(uid) ||
	    red == NULL || !pseudonym_valid(red))
		return DB_OK;
	if ((st = db_stmt(db, S_ML_REPORT_ID)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	if (db_run_int(db, st, report_id, "modlog report") != DB_OK)
		return DB_ERR;
	if (*report_id > 0) {
		*what |= DB_MODLOG_OWN_REPORT;
		strlcpy(reported, red, PSEUDONYM_LEN + 1);
	}
	return DB_OK;
}

int
db_modlog_apply(struct db *db, const char *id, int own, const char *entry,
    size_t len, int *what, char reported[PSEUDONYM_LEN + 1],
    int64_t *report_id)
{
	sqlite3_stmt *st;
	json_t *e = NULL;
	int64_t maxseq;
	int rc;

	*what = 0;
	*report_id = 0;
	reported[0] = '\0';
	if (!stream_id_valid(id)) {
		snprintf(db->msg, sizeof(db->msg), "modlog: bad stream id");
		return DB_INVAL;
	}
	if ((st = db_stmt(db, S_ML_MAXSEQ)) == NULL ||
	    (rc = db_run_int(db, st, &maxseq, "modlog")) != DB_OK)
		return DB_ERR;
	rc = DB_OK;
	if (entry != NULL) {
		if (len > DB_MODLOG_ENTRY_MAX ||
		    (e = json_loadb(entry, len, JSON_REJECT_DUPLICATES,
		    NULL)) == NULL || !json_is_object(e)) {
			snprintf(db->msg, sizeof(db->msg), "modlog: an entry "
			    "that is not a JSON object");
			rc = DB_INVAL;
		} else if (own)
			rc = own_report(db, e, what, reported, report_id);
		else
			rc = apply_entry(db, e, what, reported,
			    report_id);
		json_decref(e);
		if (rc == DB_ERR || rc == DB_BUSY)
			return rc;
	}
	/* What the triggers logged while applying is not ours to send. */
	if ((st = db_stmt(db, S_ML_UNECHO)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, maxseq);
	if (db_run(db, st, "modlog") != DB_OK)
		return DB_ERR;
	if ((st = db_stmt(db, S_ML_CURSOR_SET)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (db_run(db, st, "modlog cursor") != DB_OK)
		return DB_ERR;
	return rc;
}
