/*
 * store.c - the sqlite store: schema, migrations, the SQL of every query,
 * the connection and the helpers that run statements (see db.h); the
 * queries of each table are in store_bans.c, store_reports.c,
 * store_admins.c and store_modlog.c.
 *
 * Each struct db is one connection, used by one thread at a time, with its
 * statements prepared once on first use and reset after every use.  No SQL
 * text is ever built from data: values are bound.  The schema is migrated
 * forward only, one step per version, inside BEGIN IMMEDIATE so that a
 * daemon and a meetopiactl starting together do not both migrate.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/addr.h"
#include "common/rdwr.h"
#include "common/utf8.h"
#include "db/store_int.h"

/*
 * The migrations: MIGRATIONS[i] takes the schema from version i to i + 1.
 * Never edit a step that has shipped; add one.  Schema 1: the three tables.
 * No AUTOINCREMENT (it would add sqlite_sequence, a table of its own).
 */
static const char *const MIGRATIONS[] = {
	/* 0 -> 1 */
	"CREATE TABLE bans ("
	"  id       INTEGER PRIMARY KEY,"
	"  kind     TEXT NOT NULL CHECK (kind IN ('ip', 'range', 'pseudonym')),"
	"  target   TEXT NOT NULL,"
	"  reason   TEXT NOT NULL DEFAULT '',"
	"  report   INTEGER,"
	"  source   TEXT NOT NULL CHECK (source IN ('cli', 'api', 'auto')),"
	"  created  INTEGER NOT NULL,"
	"  expires  INTEGER NOT NULL CHECK (expires > created));"
	"CREATE INDEX bans_expires ON bans (expires);"
	"CREATE INDEX bans_target ON bans (kind, target);"
	"CREATE TABLE reports ("
	"  id       INTEGER PRIMARY KEY,"
	"  reporter TEXT NOT NULL CHECK (length(reporter) = 32),"
	"  reported TEXT NOT NULL CHECK (length(reported) = 32),"
	"  reason   TEXT NOT NULL CHECK (reason IN"
	"    ('spam', 'abuse', 'nudity', 'underage', 'other')),"
	"  detail   TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 200),"
	"  created  INTEGER NOT NULL,"
	"  resolved INTEGER);"
	"CREATE INDEX reports_reported ON reports (reported, created);"
	"CREATE INDEX reports_created ON reports (created);"
	"CREATE TABLE admins ("
	"  id        INTEGER PRIMARY KEY,"
	"  name      TEXT NOT NULL UNIQUE,"
	"  lookup    TEXT NOT NULL UNIQUE,"
	"  hash      TEXT NOT NULL,"
	"  created   INTEGER NOT NULL,"
	"  last_used INTEGER);",
};
#define NMIGRATIONS	(sizeof(MIGRATIONS) / sizeof(MIGRATIONS[0]))

#define BAN_COLS "id, kind, target, reason, report, source, created, expires"
#define REPORT_COLS "id, reporter, reported, reason, detail, created, resolved"

static const char *const SQL[S_MAX] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_DATA_VERSION] = "PRAGMA data_version",
	[S_USER_VERSION] = "PRAGMA user_version",
	[S_BAN_ADD] = "INSERT INTO bans (kind, target, reason, report, source,"
	    " created, expires) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[S_BAN_GET] = "SELECT " BAN_COLS " FROM bans WHERE id = ?",
	[S_BAN_REMOVE] = "DELETE FROM bans WHERE id = ?",
	[S_BAN_LIST_ACTIVE] = "SELECT " BAN_COLS " FROM bans WHERE expires > ?"
	    " ORDER BY id",
	[S_BAN_LIST_ALL] = "SELECT " BAN_COLS " FROM bans ORDER BY id",
	[S_BAN_FIND] = "SELECT id FROM bans WHERE kind = ? AND target = ? AND"
	    " expires > ? ORDER BY expires DESC LIMIT 1",
	[S_REPORT_ADD] = "INSERT INTO reports (reporter, reported, reason,"
	    " detail, created) VALUES (?, ?, ?, ?, ?)",
	[S_REPORT_GET] = "SELECT " REPORT_COLS " FROM reports WHERE id = ?",
	[S_REPORT_LIST_ALL] = "SELECT " REPORT_COLS " FROM reports ORDER BY id",
	[S_REPORT_LIST_OPEN] = "SELECT " REPORT_COLS " FROM reports WHERE"
	    " resolved IS NULL ORDER BY id",
	[S_REPORT_RESOLVE] = "UPDATE reports SET resolved = ? WHERE id = ? AND"
	    " resolved IS NULL",
	[S_REPORT_REPORTERS] = "SELECT count(DISTINCT reporter) FROM reports"
	    " WHERE reported = ?1 AND created >= ?2 AND reporter <> ?1",
	[S_REPORT_AGAINST] = "SELECT count(*) FROM reports WHERE reported = ?",
	[S_ADMIN_ADD] = "INSERT INTO admins (name, lookup, hash, created)"
	    " VALUES (?, ?, ?, ?)",
	[S_ADMIN_REMOVE] = "DELETE FROM admins WHERE name = ?",
	[S_ADMIN_LIST] = "SELECT id, name, created, last_used FROM admins"
	    " ORDER BY name",
	[S_ADMIN_FIND] = "SELECT id, name, created, last_used, hash FROM admins"
	    " WHERE lookup = ?",
	[S_ADMIN_TOUCH] = "UPDATE admins SET last_used = ? WHERE id = ?",
	[S_PURGE_BANS] = "DELETE FROM bans WHERE expires <= ?",
	[S_PURGE_REPORTS] = "DELETE FROM reports WHERE created < ?",
	[S_COUNT_BANS] = "SELECT count(*) FROM bans WHERE expires > ?",
	[S_COUNT_REPORTS_OPEN] = "SELECT count(*) FROM reports WHERE resolved"
	    " IS NULL",
	[S_COUNT_REPORTS] = "SELECT count(*) FROM reports",
	[S_COUNT_ADMINS] = "SELECT count(*) FROM admins",
	[S_ML_PENDING] = "SELECT seq, entry FROM modlog_out WHERE seq > ?"
	    " ORDER BY seq LIMIT ?",
	[S_ML_DONE] = "DELETE FROM modlog_out WHERE seq <= ?",
	[S_ML_MAXSEQ] = "SELECT coalesce(max(seq), 0) FROM modlog_out",
	[S_ML_UNECHO] = "DELETE FROM modlog_out WHERE seq > ?",
	[S_ML_CURSOR_GET] = "SELECT last FROM modlog_in WHERE id = 1",
	[S_ML_CURSOR_SET] = "INSERT INTO modlog_in (id, last) VALUES (1, ?)"
	    " ON CONFLICT (id) DO UPDATE SET last = excluded.last",
	[S_ML_BAN_ADD] = "INSERT OR IGNORE INTO bans (kind, target, reason,"
	    " report, source, created, expires, uid) SELECT ?1, ?2, ?3,"
	    " (SELECT id FROM reports WHERE uid = ?4), ?5, ?6, ?7, ?8"
	    " WHERE NOT EXISTS (SELECT 1 FROM modlog_gone WHERE uid = ?8)",
	[S_ML_GONE] = "INSERT OR IGNORE INTO modlog_gone (uid, expires)"
	    " VALUES (?, ?)",
	[S_ML_GONE_PURGE] = "DELETE FROM modlog_gone WHERE expires <= ?",
	[S_ML_BAN_REMOVE] = "DELETE FROM bans WHERE uid = ?",
	[S_ML_REPORT_ADD] = "INSERT OR IGNORE INTO reports (reporter, reported,"
	    " reason, detail, created, uid) VALUES (?, ?, ?, ?, ?, ?)",
	[S_ML_REPORT_RESOLVE] = "UPDATE reports SET resolved = ? WHERE uid = ?"
	    " AND resolved IS NULL",
	[S_ML_REPORT_ID] = "SELECT id FROM reports WHERE uid = ?",
};

void
db_seterr(struct db *db, const char *what)
{
	int code = sqlite3_extended_errcode(db->h);

	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		snprintf(db->msg, sizeof(db->msg), "database is locked "
		    "(another writer held it too long)");
	else
		snprintf(db->msg, sizeof(db->msg), "%s: %s", what,
		    sqlite3_errmsg(db->h));
}

const char *
db_errmsg(struct db *db)
{
	return db->msg;
}

int
db_rc(struct db *db, int rc, const char *what)
{
	if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
		return DB_OK;
	db_seterr(db, what);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return DB_BUSY;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return DB_EXISTS;
	return DB_ERR;
}

/* The prepared statement for s, reset and with its bindings cleared. */
sqlite3_stmt *
db_stmt(struct db *db, enum stmt s)
{
	if (db->st[s] == NULL) {
		if (sqlite3_prepare_v3(db->h, SQL[s], -1,
		    SQLITE_PREPARE_PERSISTENT, &db->st[s], NULL) != SQLITE_OK) {
			db_seterr(db, "prepare");
			return NULL;
		}
	}
	return db->st[s];
}

void
db_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Runs a statement that returns no rows (or ignores them). */
int
db_run(struct db *db, sqlite3_stmt *st, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	rc = db_rc(db, rc, what);
	db_done(st);
	return rc;
}

/* Runs a statement whose first row's first column is an integer. */
int
db_run_int(struct db *db, sqlite3_stmt *st, int64_t *out, const char *what)
{
	int rc;

	*out = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	rc = db_rc(db, rc, what);
	db_done(st);
	return rc;
}

/* Runs a statement, each row handed to each; non-zero from it stops. */
int
db_run_rows(struct db *db, sqlite3_stmt *st,
    int (*each)(sqlite3_stmt *, void *), void *arg, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (each(st, arg) != 0) {
			db_done(st);
			return DB_OK;
		}
	}
	rc = db_rc(db, rc, what);
	db_done(st);
	return rc;
}

/* Runs a statement that returns one row, read by row into out. */
int
db_run_row(struct db *db, sqlite3_stmt *st,
    void (*row)(sqlite3_stmt *, void *), void *out, const char *what)
{
	int rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row(st, out);
		db_done(st);
		return DB_OK;
	}
	rc = db_rc(db, rc, what);
	db_done(st);
	return rc == DB_OK ? DB_NOTFOUND : rc;
}

/* Runs a multi-statement script from the code (migrations, pragmas):
 * every statement is prepared and stepped, none is built from data. */
int
db_run_script(struct db *db, const char *sql, const char *what)
{
	sqlite3_stmt *st;
	const char *tail = sql;
	int rc;

	while (*tail != '\0') {
		if (sqlite3_prepare_v2(db->h, tail, -1, &st, &tail) !=
		    SQLITE_OK) {
			db_seterr(db, what);
			return DB_ERR;
		}
		if (st == NULL)		/* whitespace or a comment */
			break;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		sqlite3_finalize(st);
		if ((rc = db_rc(db, rc, what)) != DB_OK)
			return rc;
	}
	return DB_OK;
}

void
db_col_text(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	strlcpy(out, s != NULL ? (const char *)s : "", len);
}

int
db_schema_version(struct db *db, int *v)
{
	sqlite3_stmt *st;
	int64_t n;
	int rc;

	*v = 0;
	if ((st = db_stmt(db, S_USER_VERSION)) == NULL)
		return DB_ERR;
	if ((rc = db_run_int(db, st, &n, "user_version")) == DB_OK)
		*v = (int)n;
	return rc;
}

int
db_begin(struct db *db)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(db, S_BEGIN)) == NULL)
		return DB_ERR;
	return db_run(db, st, "begin");
}

/* Ends the transaction: commits when rc is DB_OK, else (or when the
 * commit fails) rolls back.  The transaction's result. */
int
db_end(struct db *db, int rc)
{
	if (rc == DB_OK && (rc = db_commit(db)) == DB_OK)
		return DB_OK;
	db_rollback(db);
	return rc;
}

int
db_commit(struct db *db)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(db, S_COMMIT)) == NULL)
		return DB_ERR;
	return db_run(db, st, "commit");
}

void
db_rollback(struct db *db)
{
	sqlite3_stmt *st;
	char keep[sizeof(db->msg)];

	if (sqlite3_get_autocommit(db->h))
		return;		/* nothing open (COMMIT may have ended it) */
	strlcpy(keep, db->msg, sizeof(keep));	/* report the first error */
	if ((st = db_stmt(db, S_ROLLBACK)) != NULL)
		db_run(db, st, "rollback");
	strlcpy(db->msg, keep, sizeof(db->msg));
}

static int
migrate(struct db *db, char *err, size_t errlen)
{
	char sql[64];
	int v, rc;
	size_t i;

	if (db_schema_version(db, &v) != DB_OK)
		goto fail;
	if (v > (int)NMIGRATIONS) {
		snprintf(err, errlen, "%s: schema version %d is newer than "
		    "this program's (%zu): upgrade it", db->path, v,
		    NMIGRATIONS);
		return -1;
	}
	if (v == (int)NMIGRATIONS)
		return 0;
	if (db_begin(db) != DB_OK)
		goto fail;
	/* Read again under the write lock: someone may have migrated. */
	if (db_schema_version(db, &v) != DB_OK)
		goto fail_tx;
	for (i = (size_t)v; i < NMIGRATIONS; i++) {
		if ((rc = db_run_script(db, MIGRATIONS[i], "migration")) !=
		    DB_OK)
			goto fail_tx;
		/* PRAGMA takes no parameters; the number is ours. */
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
		if (db_run_script(db, sql, "migration") != DB_OK)
			goto fail_tx;
	}
	if (db_commit(db) != DB_OK)
		goto fail_tx;
	return 0;
fail_tx:
	db_rollback(db);
fail:
	snprintf(err, errlen, "%s: cannot migrate the schema: %s", db->path,
	    db->msg);
	return -1;
}

struct db *
db_open(const char *path, int flags, int busy_ms, char *err, size_t errlen)
{
	struct db *db;
	struct stat sb;
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;
	int fd, oflags;

	if (stat(path, &sb) != 0) {
		if (errno != ENOENT || !(flags & DB_OPEN_CREATE)) {
			snprintf(err, errlen, "%s: %s", path, errno == ENOENT ?
			    "no such database (meetopiad creates it at its "
			    "first start; or give --db)" : strerror(errno));
			return NULL;
		}
		/* Created here so that it is 0600 whatever the umask;
		 * sqlite gives the -wal and -shm files the same mode. */
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600)) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: cannot create: %s", path,
			    strerror(errno));
			return NULL;
		}
		if (fd >= 0)
			close(fd);
	} else if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return NULL;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	strlcpy(db->path, path, sizeof(db->path));
	oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_NOFOLLOW;
	if (sqlite3_open_v2(path, &db->h, oflags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db->h != NULL ?
		    sqlite3_errmsg(db->h) : "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, busy_ms);
	/* Is it a database at all?  (A text file fails here, not later.) */
	if (db_run_script(db, "PRAGMA schema_version", "open") != DB_OK) {
		snprintf(err, errlen, "%s: %s", path, db->msg);
		goto fail;
	}
	if (sqlite3_prepare_v2(db->h, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW ||
	    (mode = sqlite3_column_text(st, 0)) == NULL ||
	    strcmp((const char *)mode, "wal") != 0) {
		db_seterr(db, "journal_mode");
		snprintf(err, errlen, "%s: cannot switch to WAL: %s", path,
		    db->msg);
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	/*
	 * FULL: every commit syncs the WAL (see db.h).  secure_delete:
	 * purged reports are overwritten, not left in free pages.
	 */
	if (db_run_script(db, "PRAGMA synchronous = FULL;"
	    "PRAGMA secure_delete = ON;", "pragma") != DB_OK) {
		snprintf(err, errlen, "%s: %s", path, db->msg);
		goto fail;
	}
	if (migrate(db, err, errlen) != 0)
		goto fail;
	return db;
fail:
	db_close(db);
	return NULL;
}

int
db_readonly(struct db *db)
{
	return sqlite3_db_readonly(db->h, "main") == 1;
}

void
db_close(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < S_MAX; i++)
		sqlite3_finalize(db->st[i]);
	sqlite3_close(db->h);
	free(db);
}

int
db_data_version(struct db *db, int64_t *v)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(db, S_DATA_VERSION)) == NULL)
		return DB_ERR;
	return db_run_int(db, st, v, "data_version");
}

/* ------------------------------------------------------------------ */
/* Text. */

int
db_text_clean(const char *in, size_t len, size_t maxcp, char *out,
    size_t outlen)
{
	const uint8_t *p;
	size_t o = 0, cp = 0, n;
	uint32_t c;
	struct rd r;

	if (outlen == 0)
		return DB_INVAL;
	out[0] = '\0';
	rd_init(&r, in, len);
	while (r.left > 0) {
		p = r.p;
		if (utf8_next(&r, &c) != 0)
			return DB_INVAL;
		n = (size_t)(r.p - p);
		if (++cp > maxcp)
			return DB_TOOLONG;
		/* Drop C0, DEL, C1 and the bidirectional overrides: text
		 * that could rewrite an admin's terminal or table. */
		if (!(c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
		    (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069))) {
			if (o + n >= outlen)
				return DB_TOOLONG;
			memcpy(out + o, p, n);
			o += n;
		}
	}
	out[o] = '\0';
	return DB_OK;
}

/* ------------------------------------------------------------------ */
/* Purge and counts. */

int
db_purge(struct db *db, int64_t now, int64_t retention, int64_t *bans,
    int64_t *reports)
{
	sqlite3_stmt *st;
	int rc;

	*bans = *reports = 0;
	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((st = db_stmt(db, S_PURGE_BANS)) == NULL) {
		rc = DB_ERR;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, now);
	if ((rc = db_run(db, st, "purge bans")) != DB_OK)
		goto fail;
	*bans = sqlite3_changes(db->h);
	if ((st = db_stmt(db, S_PURGE_REPORTS)) == NULL) {
		rc = DB_ERR;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, now - retention);
	if ((rc = db_run(db, st, "purge reports")) != DB_OK)
		goto fail;
	*reports = sqlite3_changes(db->h);
fail:
	if ((rc = db_end(db, rc)) != DB_OK)
		*bans = *reports = 0;
	return rc;
}

int
db_counts(struct db *db, int64_t now, int64_t *bans, int64_t *reports_open,
    int64_t *reports, int64_t *admins)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, S_COUNT_BANS)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, now);
	if ((rc = db_run_int(db, st, bans, "count")) != DB_OK)
		return rc;
	if ((st = db_stmt(db, S_COUNT_REPORTS_OPEN)) == NULL)
		return DB_ERR;
	if ((rc = db_run_int(db, st, reports_open, "count")) != DB_OK)
		return rc;
	if ((st = db_stmt(db, S_COUNT_REPORTS)) == NULL)
		return DB_ERR;
	if ((rc = db_run_int(db, st, reports, "count")) != DB_OK)
		return rc;
	if ((st = db_stmt(db, S_COUNT_ADMINS)) == NULL)
		return DB_ERR;
	return db_run_int(db, st, admins, "count");
}

