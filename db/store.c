/*
 * store.c - the sqlite store: schema, migrations and every query (see db.h).
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
#include "db/db.h"

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

enum stmt {
	S_BEGIN = 0,
	S_COMMIT,
	S_ROLLBACK,
	S_DATA_VERSION,
	S_USER_VERSION,
	S_BAN_ADD,
	S_BAN_GET,
	S_BAN_REMOVE,
	S_BAN_LIST_ACTIVE,
	S_BAN_LIST_ALL,
	S_BAN_FIND,
	S_REPORT_ADD,
	S_REPORT_GET,
	S_REPORT_LIST_ALL,
	S_REPORT_LIST_OPEN,
	S_REPORT_RESOLVE,
	S_REPORT_REPORTERS,
	S_REPORT_AGAINST,
	S_ADMIN_ADD,
	S_ADMIN_REMOVE,
	S_ADMIN_LIST,
	S_ADMIN_FIND,
	S_ADMIN_TOUCH,
	S_PURGE_BANS,
	S_PURGE_REPORTS,
	S_COUNT_BANS,
	S_COUNT_REPORTS_OPEN,
	S_COUNT_REPORTS,
	S_COUNT_ADMINS,
	/* the cluster's moderation log (db_modlog_*), prepared on first use */
	S_ML_PENDING,
	S_ML_DONE,
	S_ML_MAXSEQ,
	S_ML_UNECHO,
	S_ML_CURSOR_GET,
	S_ML_CURSOR_SET,
	S_ML_BAN_ADD,
	S_ML_BAN_REMOVE,
	S_ML_REPORT_ADD,
	S_ML_REPORT_RESOLVE,
	S_ML_REPORT_ID,
	S_ML_GONE,
	S_ML_GONE_PURGE,
	S_MAX
};

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

struct db {
	sqlite3		*h;
	sqlite3_stmt	*st[S_MAX];
	char		 path[4096];
	char		 msg[512];
};

static void
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

static int
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
static sqlite3_stmt *
stmt(struct db *db, enum stmt s)
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

static void
done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Runs a statement that returns no rows (or ignores them). */
static int
run(struct db *db, sqlite3_stmt *st, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	rc = db_rc(db, rc, what);
	done(st);
	return rc;
}

/* Runs a statement whose first row's first column is an integer. */
static int
run_int(struct db *db, sqlite3_stmt *st, int64_t *out, const char *what)
{
	int rc;

	*out = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	rc = db_rc(db, rc, what);
	done(st);
	return rc;
}

/* Runs a multi-statement script from the code (migrations, pragmas):
 * every statement is prepared and stepped, none is built from data. */
static int
run_script(struct db *db, const char *sql, const char *what)
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

static void
col_text(sqlite3_stmt *st, int i, char *out, size_t len)
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
	if ((st = stmt(db, S_USER_VERSION)) == NULL)
		return DB_ERR;
	if ((rc = run_int(db, st, &n, "user_version")) == DB_OK)
		*v = (int)n;
	return rc;
}

int
db_begin(struct db *db)
{
	sqlite3_stmt *st;

	if ((st = stmt(db, S_BEGIN)) == NULL)
		return DB_ERR;
	return run(db, st, "begin");
}

int
db_commit(struct db *db)
{
	sqlite3_stmt *st;

	if ((st = stmt(db, S_COMMIT)) == NULL)
		return DB_ERR;
	return run(db, st, "commit");
}

void
db_rollback(struct db *db)
{
	sqlite3_stmt *st;
	char keep[sizeof(db->msg)];

	if (sqlite3_get_autocommit(db->h))
		return;		/* nothing open (COMMIT may have ended it) */
	strlcpy(keep, db->msg, sizeof(keep));	/* report the first error */
	if ((st = stmt(db, S_ROLLBACK)) != NULL)
		run(db, st, "rollback");
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
		if ((rc = run_script(db, MIGRATIONS[i], "migration")) != DB_OK)
			goto fail_tx;
		/* PRAGMA takes no parameters; the number is ours. */
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
		if (run_script(db, sql, "migration") != DB_OK)
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
	if (run_script(db, "PRAGMA schema_version", "open") != DB_OK) {
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
	if (run_script(db, "PRAGMA synchronous = FULL;"
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

	if ((st = stmt(db, S_DATA_VERSION)) == NULL)
		return DB_ERR;
	return run_int(db, st, v, "data_version");
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
/* Bans. */

static const char *const KIND_NAMES[] = { NULL, "ip", "range", "pseudonym" };

const char *
ban_kind_name(enum ban_kind k)
{
	return k >= BAN_IP && k <= BAN_PSEUDONYM ? KIND_NAMES[k] : "?";
}

static enum ban_kind
ban_kind_parse(const char *s)
{
	int k;

	for (k = BAN_IP; k <= BAN_PSEUDONYM; k++)
		if (strcmp(s, KIND_NAMES[k]) == 0)
			return (enum ban_kind)k;
	return 0;
}

/* The prefix length of a range that is one CIDR block, or -1. */
static int
range_prefix(const struct addr_range *r)
{
	size_t len = r->family == AF_INET ? 4 : 16, i;
	int bits = 0, b, in_host = 0;

	for (i = 0; i < len; i++) {
		for (b = 7; b >= 0; b--) {
			int lo = (r->lo[i] >> b) & 1, hi = (r->hi[i] >> b) & 1;

			if (!in_host && lo == hi) {
				bits++;
				continue;
			}
			in_host = 1;
			if (lo != 0 || hi != 1)
				return -1;
		}
	}
	return bits;
}

int
ban_parse_target(const char *s, enum ban_kind *kind, char *canon,
    size_t len)
{
	struct maddr a, plain;
	struct addr_range r;
	char lo[INET6_ADDRSTRLEN];
	int bits;

	*kind = 0;
	if (len > 0)
		canon[0] = '\0';
	if (strlen(s) >= DB_TARGET_MAX)
		return DB_INVAL;
	if (addr_parse(s, &a) == 0) {
		pseudonym_unmap(&a, &plain);
		addr_ntop(&plain, canon, len);
		*kind = BAN_IP;
		return DB_OK;
	}
	if ((strchr(s, '/') == NULL && strchr(s, '-') == NULL) ||
	    addr_range_parse(s, &r) != 0)
		return DB_INVAL;
	if (memcmp(r.lo, r.hi, sizeof(r.lo)) == 0) {
		/* "1.2.3.4/32": one address */
		memset(&a, 0, sizeof(a));
		a.family = r.family;
		memcpy(a.ip, r.lo, sizeof(a.ip));
		pseudonym_unmap(&a, &plain);
		addr_ntop(&plain, canon, len);
		*kind = BAN_IP;
		return DB_OK;
	}
	if ((bits = range_prefix(&r)) >= 0) {
		inet_ntop(r.family == AF_INET ? AF_INET : AF_INET6, r.lo, lo,
		    sizeof(lo));
		snprintf(canon, len, "%s/%d", lo, bits);
	} else
		addr_range_ntop(&r, canon, len);
	*kind = BAN_RANGE;
	return DB_OK;
}

static void
ban_row(sqlite3_stmt *st, struct db_ban *b)
{
	char kind[16];

	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, kind, sizeof(kind));
	b->kind = ban_kind_parse(kind);
	col_text(st, 2, b->target, sizeof(b->target));
	col_text(st, 3, b->reason, sizeof(b->reason));
	b->report = sqlite3_column_int64(st, 4);
	col_text(st, 5, b->source, sizeof(b->source));
	b->created = sqlite3_column_int64(st, 6);
	b->expires = sqlite3_column_int64(st, 7);
}

int
ban_add(struct db *db, struct db_ban *b)
{
	sqlite3_stmt *st;
	int rc;

	if (b->kind < BAN_IP || b->kind > BAN_PSEUDONYM ||
	    b->expires <= b->created) {
		snprintf(db->msg, sizeof(db->msg), "invalid ban");
		return DB_INVAL;
	}
	if ((st = stmt(db, S_BAN_ADD)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, ban_kind_name(b->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b->reason, -1, SQLITE_STATIC);
	if (b->report > 0)
		sqlite3_bind_int64(st, 4, b->report);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_text(st, 5, b->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, b->created);
	sqlite3_bind_int64(st, 7, b->expires);
	if ((rc = run(db, st, "ban add")) == DB_OK)
		b->id = sqlite3_last_insert_rowid(db->h);
	return rc;
}

int
ban_get(struct db *db, int64_t id, struct db_ban *b)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt(db, S_BAN_GET)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ban_row(st, b);
		done(st);
		return DB_OK;
	}
	rc = db_rc(db, rc, "ban get");
	done(st);
	return rc == DB_OK ? DB_NOTFOUND : rc;
}

int
ban_remove(struct db *db, int64_t id)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt(db, S_BAN_REMOVE)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = run(db, st, "ban remove")) != DB_OK)
		return rc;
	return sqlite3_changes(db->h) > 0 ? DB_OK : DB_NOTFOUND;
}

int
ban_list(struct db *db, int all, int64_t now,
    int (*cb)(const struct db_ban *, void *), void *arg)
{
	sqlite3_stmt *st;
	struct db_ban b;
	int rc;

	if ((st = stmt(db, all ? S_BAN_LIST_ALL : S_BAN_LIST_ACTIVE)) == NULL)
		return DB_ERR;
	if (!all)
		sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ban_row(st, &b);
		if (cb(&b, arg) != 0) {
			done(st);
			return DB_OK;
		}
	}
	rc = db_rc(db, rc, "ban list");
	done(st);
	return rc;
}

int
ban_find_active(struct db *db, enum ban_kind kind, const char *target,
    int64_t now, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	if ((st = stmt(db, S_BAN_FIND)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, ban_kind_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	if ((rc = run_int(db, st, id, "ban find")) != DB_OK)
		return rc;
	return *id > 0 ? DB_OK : DB_NOTFOUND;
}

/* ------------------------------------------------------------------ */
/* Reports. */

static const char *const REASONS[] = {
	"spam", "abuse", "nudity", "underage", "other"
};

int
report_reason_parse(const char *s, enum report_reason *r)
{
	size_t i;

	for (i = 0; i < sizeof(REASONS) / sizeof(REASONS[0]); i++) {
		if (strcmp(s, REASONS[i]) == 0) {
			*r = (enum report_reason)i;
			return DB_OK;
		}
	}
	return DB_INVAL;
}

const char *
report_reason_name(enum report_reason r)
{
	return (unsigned)r < sizeof(REASONS) / sizeof(REASONS[0]) ?
	    REASONS[r] : "other";
}

static void
report_row(sqlite3_stmt *st, struct db_report *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, r->reporter, sizeof(r->reporter));
	col_text(st, 2, r->reported, sizeof(r->reported));
	col_text(st, 3, r->reason, sizeof(r->reason));
	col_text(st, 4, r->detail, sizeof(r->detail));
	r->created = sqlite3_column_int64(st, 5);
	r->resolved = sqlite3_column_type(st, 6) != SQLITE_NULL;
	r->resolved_at = r->resolved ? sqlite3_column_int64(st, 6) : 0;
}

int
report_add(struct db *db, const char *reporter, const char *reported,
    enum report_reason reason, const char *detail, int64_t now, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	if (!pseudonym_valid(reporter) || !pseudonym_valid(reported)) {
		snprintf(db->msg, sizeof(db->msg), "report: not a pseudonym");
		return DB_INVAL;
	}
	if ((st = stmt(db, S_REPORT_ADD)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, reporter, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, reported, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, report_reason_name(reason), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, detail != NULL ? detail : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	if ((rc = run(db, st, "report add")) == DB_OK)
		*id = sqlite3_last_insert_rowid(db->h);
	return rc;
}

int
report_get(struct db *db, int64_t id, struct db_report *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt(db, S_REPORT_GET)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		report_row(st, r);
		done(st);
		return DB_OK;
	}
	rc = db_rc(db, rc, "report get");
	done(st);
	return rc == DB_OK ? DB_NOTFOUND : rc;
}

int
report_list(struct db *db, int open_only,
    int (*cb)(const struct db_report *, void *), void *arg)
{
	sqlite3_stmt *st;
	struct db_report r;
	int rc;

	if ((st = stmt(db, open_only ? S_REPORT_LIST_OPEN :
	    S_REPORT_LIST_ALL)) == NULL)
		return DB_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		report_row(st, &r);
		if (cb(&r, arg) != 0) {
			done(st);
			return DB_OK;
		}
	}
	rc = db_rc(db, rc, "report list");
	done(st);
	return rc;
}

int
report_resolve(struct db *db, int64_t id, int64_t now)
{
	sqlite3_stmt *st;
	struct db_report r;
	int rc;

	if ((rc = report_get(db, id, &r)) != DB_OK)
		return rc;
	if (r.resolved)
		return DB_OK;		/* resolving twice is not an error */
	if ((st = stmt(db, S_REPORT_RESOLVE)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	return run(db, st, "report resolve");
}

int
report_count_reporters(struct db *db, const char *reported, int64_t since,
    int64_t *n)
{
	sqlite3_stmt *st;

	if ((st = stmt(db, S_REPORT_REPORTERS)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, reported, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	return run_int(db, st, n, "report count");
}

int
report_count_against(struct db *db, const char *reported, int64_t *n)
{
	sqlite3_stmt *st;

	if ((st = stmt(db, S_REPORT_AGAINST)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, reported, -1, SQLITE_STATIC);
	return run_int(db, st, n, "report count");
}

int
db_auto_ban(struct db *db, const char *reported, int64_t now, int64_t reports,
    int64_t window, int64_t ban_default, int64_t report_id, int64_t *ban_id,
    int64_t *n)
{
	struct db_ban b;
	int64_t id;
	int rc;

	*ban_id = 0;
	*n = 0;
	if (reports <= 0)
		return DB_OK;
	if ((rc = report_count_reporters(db, reported, now - window, n)) !=
	    DB_OK)
		return rc;
	if (*n < reports)
		return DB_OK;
	rc = ban_find_active(db, BAN_PSEUDONYM, reported, now, &id);
	if (rc == DB_OK)
		return DB_OK;		/* banned already */
	if (rc != DB_NOTFOUND)
		return rc;
	memset(&b, 0, sizeof(b));
	b.kind = BAN_PSEUDONYM;
	strlcpy(b.target, reported, sizeof(b.target));
	snprintf(b.reason, sizeof(b.reason), "auto-ban: %lld reporters "
	    "within %llds", (long long)*n, (long long)window);
	b.report = report_id;
	strlcpy(b.source, "auto", sizeof(b.source));
	b.created = now;
	b.expires = now + ban_default;
	if ((rc = ban_add(db, &b)) != DB_OK)
		return rc;
	*ban_id = b.id;
	return DB_OK;
}

/* ------------------------------------------------------------------ */
/* Admins. */

int
admin_name_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > DB_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-' || c == '@'))
			return 0;
	}
	return 1;
}

int
admin_add(struct db *db, const char *name, const char *lookup,
    const char *hash, int64_t now, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	if ((st = stmt(db, S_ADMIN_ADD)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, lookup, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	if ((rc = run(db, st, "admin add")) == DB_OK)
		*id = sqlite3_last_insert_rowid(db->h);
	return rc;
}

int
admin_remove(struct db *db, const char *name)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt(db, S_ADMIN_REMOVE)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = run(db, st, "admin remove")) != DB_OK)
		return rc;
	return sqlite3_changes(db->h) > 0 ? DB_OK : DB_NOTFOUND;
}

static void
admin_row(sqlite3_stmt *st, struct db_admin *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, a->name, sizeof(a->name));
	a->created = sqlite3_column_int64(st, 2);
	a->last_used = sqlite3_column_int64(st, 3);
}

int
admin_list(struct db *db, int (*cb)(const struct db_admin *, void *),
    void *arg)
{
	sqlite3_stmt *st;
	struct db_admin a;
	int rc;

	if ((st = stmt(db, S_ADMIN_LIST)) == NULL)
		return DB_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		admin_row(st, &a);
		if (cb(&a, arg) != 0) {
			done(st);
			return DB_OK;
		}
	}
	rc = db_rc(db, rc, "admin list");
	done(st);
	return rc;
}

int
admin_find(struct db *db, const char *lookup, struct db_admin *a, char *hash,
    size_t hashlen)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt(db, S_ADMIN_FIND)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, lookup, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		admin_row(st, a);
		col_text(st, 4, hash, hashlen);
		done(st);
		return DB_OK;
	}
	rc = db_rc(db, rc, "admin find");
	done(st);
	return rc == DB_OK ? DB_NOTFOUND : rc;
}

int
admin_touch(struct db *db, int64_t id, int64_t now)
{
	sqlite3_stmt *st;

	if ((st = stmt(db, S_ADMIN_TOUCH)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	return run(db, st, "admin touch");
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
	if ((st = stmt(db, S_PURGE_BANS)) == NULL) {
		rc = DB_ERR;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, now);
	if ((rc = run(db, st, "purge bans")) != DB_OK)
		goto fail;
	*bans = sqlite3_changes(db->h);
	if ((st = stmt(db, S_PURGE_REPORTS)) == NULL) {
		rc = DB_ERR;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, now - retention);
	if ((rc = run(db, st, "purge reports")) != DB_OK)
		goto fail;
	*reports = sqlite3_changes(db->h);
	if ((rc = db_commit(db)) != DB_OK)
		goto fail;
	return DB_OK;
fail:
	db_rollback(db);
	*bans = *reports = 0;
	return rc;
}

int
db_counts(struct db *db, int64_t now, int64_t *bans, int64_t *reports_open,
    int64_t *reports, int64_t *admins)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt(db, S_COUNT_BANS)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, now);
	if ((rc = run_int(db, st, bans, "count")) != DB_OK)
		return rc;
	if ((st = stmt(db, S_COUNT_REPORTS_OPEN)) == NULL)
		return DB_ERR;
	if ((rc = run_int(db, st, reports_open, "count")) != DB_OK)
		return rc;
	if ((st = stmt(db, S_COUNT_REPORTS)) == NULL)
		return DB_ERR;
	if ((rc = run_int(db, st, reports, "count")) != DB_OK)
		return rc;
	if ((st = stmt(db, S_COUNT_ADMINS)) == NULL)
		return DB_ERR;
	return run_int(db, st, admins, "count");
}

/* ------------------------------------------------------------------ */
/* JSON. */

json_t *
ban_json(const struct db_ban *b, int64_t now)
{
	return json_pack("{sI ss ss ss so ss sI sI sb}",
	    "id", (json_int_t)b->id,
	    "kind", ban_kind_name(b->kind),
	    "target", b->target,
	    "reason", b->reason,
	    "report", b->report > 0 ? json_integer(b->report) : json_null(),
	    "source", b->source,
	    "created", (json_int_t)b->created,
	    "expires", (json_int_t)b->expires,
	    "active", b->expires > now);
}

json_t *
report_json(const struct db_report *r)
{
	return json_pack("{sI ss ss ss ss sI ss so}",
	    "id", (json_int_t)r->id,
	    "reporter", r->reporter,
	    "reported", r->reported,
	    "reason", r->reason,
	    "detail", r->detail,
	    "created", (json_int_t)r->created,
	    "status", r->resolved ? "resolved" : "open",
	    "resolved", r->resolved ? json_integer(r->resolved_at) :
	    json_null());
}

/* ------------------------------------------------------------------ */
/* The ban operations of meetopiactl and the admin API. */

static int
clean_reason(struct db *db, const char *reason, char *out, size_t outlen)
{
	int rc;

	rc = db_text_clean(reason != NULL ? reason : "", reason != NULL ?
	    strlen(reason) : 0, DB_TEXT_CP, out, outlen);
	if (rc == DB_TOOLONG)
		snprintf(db->msg, sizeof(db->msg), "reason: longer than %d "
		    "characters", DB_TEXT_CP);
	else if (rc != DB_OK)
		snprintf(db->msg, sizeof(db->msg), "reason: not valid UTF-8");
	return rc;
}

int
db_ban_target(struct db *db, const char *target, int64_t secs,
    const char *reason, const char *source, int64_t now, struct db_ban *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (ban_parse_target(target, &out->kind, out->target,
	    sizeof(out->target)) != DB_OK) {
		snprintf(db->msg, sizeof(db->msg), "%.100s: not an IP address, "
		    "CIDR range or A-B range", target);
		return DB_INVAL;
	}
	if ((rc = clean_reason(db, reason, out->reason, sizeof(out->reason)))
	    != DB_OK)
		return rc;
	strlcpy(out->source, source, sizeof(out->source));
	out->created = now;
	out->expires = now + secs;
	return ban_add(db, out);
}

int
db_ban_report(struct db *db, int64_t report, int64_t secs,
    const char *reason, const char *source, int64_t now, struct db_ban *out)
{
	struct db_report r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	if ((rc = report_get(db, report, &r)) != DB_OK) {
		if (rc == DB_NOTFOUND)
			snprintf(db->msg, sizeof(db->msg), "report %lld: no "
			    "such report", (long long)report);
		goto fail;
	}
	out->kind = BAN_PSEUDONYM;
	strlcpy(out->target, r.reported, sizeof(out->target));
	if (reason != NULL && *reason != '\0') {
		if ((rc = clean_reason(db, reason, out->reason,
		    sizeof(out->reason))) != DB_OK)
			goto fail;
	} else
		snprintf(out->reason, sizeof(out->reason), "report %lld: %s",
		    (long long)r.id, r.reason);
	out->report = r.id;
	strlcpy(out->source, source, sizeof(out->source));
	out->created = now;
	out->expires = now + secs;
	if ((rc = ban_add(db, out)) != DB_OK ||
	    (rc = report_resolve(db, r.id, now)) != DB_OK ||
	    (rc = db_commit(db)) != DB_OK)
		goto fail;
	return DB_OK;
fail:
	db_rollback(db);
	return rc;
}

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
	rc = run_int(db, st, &n, "modlog");
	sqlite3_finalize(st);
	if (rc != DB_OK)
		goto fail;
	if (n == 0 && (rc = run_script(db, MODLOG_SCHEMA, "modlog schema")) !=
	    DB_OK)
		goto fail;
	if ((rc = db_commit(db)) != DB_OK)
		goto fail;
	return DB_OK;
fail:
	db_rollback(db);
	return rc;
}

int
db_modlog_pending(struct db *db, int64_t after, int max,
    int (*cb)(int64_t, const char *, void *), void *arg)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if ((st = stmt(db, S_ML_PENDING)) == NULL)
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
	done(st);
	return rc;
}

int
db_modlog_purge(struct db *db, int64_t now)
{
	sqlite3_stmt *st;

	if ((st = stmt(db, S_ML_GONE_PURGE)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, now);
	return run(db, st, "modlog purge");
}

int
db_modlog_done(struct db *db, int64_t upto)
{
	sqlite3_stmt *st;

	if ((st = stmt(db, S_ML_DONE)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, upto);
	return run(db, st, "modlog done");
}

int
db_modlog_cursor(struct db *db, char *out, size_t len)
{
	sqlite3_stmt *st;
	int rc;

	strlcpy(out, "0-0", len);
	if ((st = stmt(db, S_ML_CURSOR_GET)) == NULL)
		return DB_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_text(st, 0, out, len);
		rc = SQLITE_DONE;
	}
	rc = db_rc(db, rc, "modlog cursor");
	done(st);
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

/* The entry's fields, checked as untrusted input. */
static int
apply_entry(struct db *db, json_t *e, int *what, char *reported,
    int64_t *report_id)
{
	char text[DB_TEXT_MAX], canon[DB_TARGET_MAX];
	const char *op, *uid, *s;
	enum report_reason rr;
	enum ban_kind kind;
	json_int_t created, expires;
	sqlite3_stmt *st;
	json_t *v;
	int rc;

	op = json_string_value(json_object_get(e, "op"));
	uid = json_string_value(json_object_get(e, "uid"));
	if (op == NULL || !uid_valid(uid)) {
		snprintf(db->msg, sizeof(db->msg), "modlog: no op or uid");
		return DB_INVAL;
	}
	if (strcmp(op, "unban") == 0) {
		if ((st = stmt(db, S_ML_BAN_REMOVE)) == NULL)
			return DB_ERR;
		sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
		if ((rc = run(db, st, "modlog unban")) != DB_OK)
			return rc;
		if (sqlite3_changes(db->h) > 0)
			*what |= DB_MODLOG_UNBANNED;
		/* Remembered till the ban would have expired, so that the
		 * ban read again (a replay) does not come back. */
		v = json_object_get(e, "expires");
		if ((st = stmt(db, S_ML_GONE)) == NULL)
			return DB_ERR;
		sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, json_is_integer(v) ?
		    json_integer_value(v) : (int64_t)time(NULL) +
		    DB_MODLOG_GONE_SECS);
		return run(db, st, "modlog unban");
	}
	if (strcmp(op, "resolve") == 0) {
		if (!json_is_integer(v = json_object_get(e, "at")))
			goto inval;
		if ((st = stmt(db, S_ML_REPORT_RESOLVE)) == NULL)
			return DB_ERR;
		sqlite3_bind_int64(st, 1, json_integer_value(v));
		sqlite3_bind_text(st, 2, uid, -1, SQLITE_STATIC);
		return run(db, st, "modlog resolve");
	}
	if (!json_is_integer(v = json_object_get(e, "created")))
		goto inval;
	created = json_integer_value(v);
	if (strcmp(op, "ban") == 0) {
		if (!json_is_integer(v = json_object_get(e, "expires")) ||
		    (expires = json_integer_value(v)) <= created)
			goto inval;
		if ((s = json_string_value(json_object_get(e, "kind"))) ==
		    NULL)
			goto inval;
		if (strcmp(s, "pseudonym") == 0) {
			s = json_string_value(json_object_get(e, "target"));
			if (s == NULL || !pseudonym_valid(s))
				goto inval;
			kind = BAN_PSEUDONYM;
			strlcpy(canon, s, sizeof(canon));
		} else if (strcmp(s, "ip") == 0 || strcmp(s, "range") == 0) {
			s = json_string_value(json_object_get(e, "target"));
			if (s == NULL || ban_parse_target(s, &kind, canon,
			    sizeof(canon)) != DB_OK)
				goto inval;
		} else
			goto inval;
		s = json_string_value(json_object_get(e, "reason"));
		if (db_text_clean(s != NULL ? s : "", s != NULL ? strlen(s) :
		    0, DB_TEXT_CP, text, sizeof(text)) != DB_OK)
			goto inval;
		s = json_string_value(json_object_get(e, "source"));
		if (s == NULL || (strcmp(s, "cli") != 0 && strcmp(s, "api") !=
		    0 && strcmp(s, "auto") != 0))
			goto inval;
		if ((st = stmt(db, S_ML_BAN_ADD)) == NULL)
			return DB_ERR;
		sqlite3_bind_text(st, 1, ban_kind_name(kind), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 2, canon, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
		if (uid_valid(json_string_value(json_object_get(e, "report"))))
			sqlite3_bind_text(st, 4, json_string_value(
			    json_object_get(e, "report")), -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 4);
		sqlite3_bind_text(st, 5, s, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, created);
		sqlite3_bind_int64(st, 7, expires);
		sqlite3_bind_text(st, 8, uid, -1, SQLITE_STATIC);
		if ((rc = run(db, st, "modlog ban")) == DB_OK &&
		    sqlite3_changes(db->h) > 0)
			*what |= DB_MODLOG_BANNED;
		return rc;
	}
	if (strcmp(op, "report") == 0) {
		const char *rep = json_string_value(json_object_get(e,
		    "reporter"));
		const char *red = json_string_value(json_object_get(e,
		    "reported"));

		if (rep == NULL || red == NULL || !pseudonym_valid(rep) ||
		    !pseudonym_valid(red))
			goto inval;
		s = json_string_value(json_object_get(e, "reason"));
		if (s == NULL || report_reason_parse(s, &rr) != DB_OK)
			goto inval;
		s = json_string_value(json_object_get(e, "detail"));
		if (db_text_clean(s != NULL ? s : "", s != NULL ? strlen(s) :
		    0, DB_TEXT_CP, text, sizeof(text)) != DB_OK)
			goto inval;
		if ((st = stmt(db, S_ML_REPORT_ADD)) == NULL)
			return DB_ERR;
		sqlite3_bind_text(st, 1, rep, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, red, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, report_reason_name(rr), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, created);
		sqlite3_bind_text(st, 6, uid, -1, SQLITE_STATIC);
		if ((rc = run(db, st, "modlog report")) == DB_OK &&
		    sqlite3_changes(db->h) > 0) {
			*what |= DB_MODLOG_REPORTED;
			*report_id = sqlite3_last_insert_rowid(db->h);
			strlcpy(reported, red, PSEUDONYM_LEN + 1);
		}
		return rc;
	}
inval:
	snprintf(db->msg, sizeof(db->msg), "modlog: a %s entry with missing "
	    "or invalid fields", op);
	return DB_INVAL;
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
	if ((st = stmt(db, S_ML_REPORT_ID)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	if (run_int(db, st, report_id, "modlog report") != DB_OK)
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
	if ((st = stmt(db, S_ML_MAXSEQ)) == NULL ||
	    (rc = run_int(db, st, &maxseq, "modlog")) != DB_OK)
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
	if ((st = stmt(db, S_ML_UNECHO)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, maxseq);
	if (run(db, st, "modlog") != DB_OK)
		return DB_ERR;
	if ((st = stmt(db, S_ML_CURSOR_SET)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (run(db, st, "modlog cursor") != DB_OK)
		return DB_ERR;
	return rc;
}
