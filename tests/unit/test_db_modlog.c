/*
 * test_db_modlog.c - the store's side of the cluster's moderation log
 * (db_modlog_* in db/store.c): the tables appear only when enabled, every
 * writer's change lands in the outbox in its own transaction, entries
 * applied on another store are applied once, leave no echo in its outbox
 * and move its cursor, and bad entries change nothing but the cursor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/db.h"
#include "tests/tap.h"

#define P1 "00000000000000000000000000000001"
#define P2 "00000000000000000000000000000002"
#define P3 "00000000000000000000000000000003"

static char dir[] = "/tmp/test_db_modlog.XXXXXX";

struct outbox {
	int64_t	 seq[32];
	char	*entry[32];
	int	 n;
};

static int
collect_cb(int64_t seq, const char *entry, void *arg)
{
	struct outbox *o = arg;

	if (o->n == 32)
		return 1;
	o->seq[o->n] = seq;
	o->entry[o->n++] = strdup(entry);
	return 0;
}

static void
outbox_free(struct outbox *o)
{
	int i;

	for (i = 0; i < o->n; i++)
		free(o->entry[i]);
	o->n = 0;
}

static int64_t
count(struct db *db, const char *what)
{
	int64_t bans = 0, open = 0, reports = 0, admins = 0;

	db_counts(db, (int64_t)time(NULL), &bans, &open, &reports, &admins);
	if (strcmp(what, "bans") == 0)
		return bans;
	if (strcmp(what, "open") == 0)
		return open;
	return reports;
}

static int
raw_count(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* Applies one entry on db in its own transaction. */
static int
apply(struct db *db, const char *id, int own, const char *e, int *what,
    char *reported, int64_t *rid)
{
	int rc;

	if (db_begin(db) != DB_OK)
		return DB_ERR;
	rc = db_modlog_apply(db, id, own, e, e != NULL ? strlen(e) : 0, what,
	    reported, rid);
	if ((rc == DB_OK || rc == DB_INVAL) && db_commit(db) != DB_OK)
		rc = DB_ERR;
	if (rc != DB_OK && rc != DB_INVAL)
		db_rollback(db);
	return rc;
}

int
main(void)
{
	char pa[600], pb[600], err[512], cur[64], rep[PSEUDONYM_LEN + 1];
	struct db *a, *b;
	struct db_ban ban, expired;
	struct outbox o = { .n = 0 };
	int64_t rid, id, x, now = (int64_t)time(NULL);
	int v, what, i, rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(pa, sizeof(pa), "%s/a.db", dir);
	snprintf(pb, sizeof(pb), "%s/b.db", dir);
	a = db_open(pa, DB_OPEN_CREATE, 1000, err, sizeof(err));
	b = db_open(pb, DB_OPEN_CREATE, 1000, err, sizeof(err));
	ok(a != NULL && b != NULL, "two stores");
	if (a == NULL || b == NULL)
		return done_testing();

	/* A store that had a report and a ban before it joined. */
	ok(report_add(a, P1, P2, REPORT_SPAM, "before", now, &id) == DB_OK,
	    "a report before the cluster");
	is_int(raw_count(pa, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'modlog_out'"), 0, "no log tables without a cluster");
	ok(db_modlog_enable(a) == DB_OK && db_modlog_enable(a) == DB_OK &&
	    db_modlog_enable(b) == DB_OK, "enabled (twice is a no-op)");
	ok(db_schema_version(a, &v) == DB_OK && v == DB_SCHEMA_VERSION,
	    "the schema version is unchanged (%d)", v);
	ok(db_modlog_cursor(b, cur, sizeof(cur)) == DB_OK &&
	    strcmp(cur, "0-0") == 0, "a new cursor is 0-0");

	/* Every kind of change lands in the outbox. */
	ok(db_ban_target(a, "192.0.2.7", 3600, "spam", "cli",
	    (int64_t)time(NULL), &ban) == DB_OK, "ban an address");
	ok(report_add(a, P3, P2, REPORT_ABUSE, "rude", now, &rid) == DB_OK,
	    "a report");
	ok(report_resolve(a, rid, now) == DB_OK, "resolve it");
	ok(ban_remove(a, ban.id) == DB_OK, "remove the ban");
	memset(&expired, 0, sizeof(expired));
	expired.kind = BAN_PSEUDONYM;
	strlcpy(expired.target, P1, sizeof(expired.target));
	strlcpy(expired.source, "cli", sizeof(expired.source));
	expired.created = 1;
	expired.expires = 2;
	ok(ban_add(a, &expired) == DB_OK && db_purge(a, (int64_t)time(NULL),
	    1000000000, &x, &x) == DB_OK, "an expired ban, purged");
	ok(db_modlog_pending(a, 0, 32, collect_cb, &o) == DB_OK,
	    "read the outbox");
	is_int(o.n, 6, "six entries: the old report, ban, report, resolve, "
	    "unban, the expired ban (its purge is not logged)");
	ok(o.n == 6 && strstr(o.entry[0], "\"before\"") != NULL &&
	    strstr(o.entry[1], "\"op\":\"ban\"") != NULL &&
	    strstr(o.entry[2], "\"op\":\"report\"") != NULL &&
	    strstr(o.entry[3], "\"op\":\"resolve\"") != NULL &&
	    strstr(o.entry[4], "\"op\":\"unban\"") != NULL,
	    "in the order they were made");

	/* Another store applies them. */
	for (i = 0; i < o.n; i++) {
		char sid[32];

		snprintf(sid, sizeof(sid), "1000-%d", i);
		rc = apply(b, sid, 0, o.entry[i], &what, rep, &x);
		ok(rc == DB_OK, "B applies entry %d", i);
		if (i == 1)
			is_int(count(b, "bans"), 1, "B has the ban");
	}
	is_int(count(b, "reports"), 2, "B has both reports");
	is_int(count(b, "open"), 1, "and the resolution");
	is_int(count(b, "bans"), 0, "and the removal");
	ok(db_modlog_cursor(b, cur, sizeof(cur)) == DB_OK &&
	    strcmp(cur, "1000-5") == 0, "B's cursor is the last id (%s)", cur);
	is_int(raw_count(pb, "SELECT count(*) FROM modlog_out"), 0,
	    "applying left nothing in B's outbox to send back");

	/* Twice changes nothing. */
	for (i = 0, what = 0; i < o.n; i++) {
		int w;

		apply(b, "1001-0", 0, o.entry[i], &w, rep, &x);
		if (w != 0)
			printf("# entry %d: %d %s\n", i, w, o.entry[i]);
		what |= w;
	}
	ok(what == 0 && count(b, "reports") == 2 && count(b, "bans") == 0,
	    "applying the same entries again changes nothing (a lifted ban "
	    "does not come back)");
	is_int(raw_count(pb, "SELECT count(*) FROM modlog_gone"), 1,
	    "B remembers the lifted ban");
	ok(db_modlog_purge(b, now + 7200) == DB_OK &&
	    raw_count(pb, "SELECT count(*) FROM modlog_gone") == 0,
	    "and forgets it once it would have expired");

	/* A ban B makes goes out with its own uid; A applies it. */
	outbox_free(&o);
	ok(db_ban_target(b, "198.51.100.0/24", 3600, "", "api",
	    (int64_t)time(NULL), &ban) == DB_OK, "a ban made on B");
	ok(db_modlog_pending(b, 0, 32, collect_cb, &o) == DB_OK && o.n == 1,
	    "one entry in B's outbox");
	ok(o.n == 1 && apply(a, "1002-0", 0, o.entry[0], &what, rep, &x) ==
	    DB_OK && (what & DB_MODLOG_BANNED), "A applies it");
	ok(ban_find_active(a, BAN_RANGE, "198.51.100.0/24", (int64_t)time(NULL),
	    &x) == DB_OK, "A enforces it");
	ok(db_modlog_done(b, o.seq[0]) == DB_OK &&
	    raw_count(pb, "SELECT count(*) FROM modlog_out") == 0,
	    "acknowledged, it leaves B's outbox");
	outbox_free(&o);

	/* Our own report back from the stream. */
	ok(db_modlog_pending(a, 0, 32, collect_cb, &o) == DB_OK && o.n >= 3,
	    "A's outbox");
	rc = apply(a, "1003-0", 1, o.entry[2], &what, rep, &x);
	ok(rc == DB_OK && what == DB_MODLOG_OWN_REPORT && x == rid && strcmp(rep, P2) == 0,
	    "A's own report back: the rule may look again (report %lld of "
	    "%lld, %d, rc %d: %s)", (long long)x, (long long)rid, what, rc,
	    db_errmsg(a));
	ok(apply(a, "1003-1", 1, o.entry[1], &what, rep, &x) == DB_OK &&
	    what == 0, "A's own ban back: nothing to do");
	outbox_free(&o);

	/* Bad entries: refused with a reason, only the cursor moves. */
	{
		static const char *const bad[] = {
			"", "null", "[1]", "{\"op\":\"ban\"}",
			"{\"op\":\"nuke\",\"uid\":\"00000000000000000000000000000000\"}",
			"{\"op\":\"ban\",\"uid\":\"0000000000000000000000000000000g\","
			"\"kind\":\"ip\",\"target\":\"192.0.2.1\",\"reason\":\"\","
			"\"source\":\"cli\",\"created\":1,\"expires\":99999999999}",
			"{\"op\":\"ban\",\"uid\":\"00000000000000000000000000000000\","
			"\"kind\":\"ip\",\"target\":\"192.0.2.1\",\"reason\":\"\","
			"\"source\":\"cli\",\"created\":5,\"expires\":5}",
			"{\"op\":\"ban\",\"uid\":\"00000000000000000000000000000000\","
			"\"kind\":\"ip\",\"target\":\"192.0.2.1/8\",\"reason\":\"\","
			"\"source\":\"cli\",\"created\":1,\"expires\":99999999999}",
			"{\"op\":\"report\",\"uid\":\"00000000000000000000000000000000\","
			"\"reporter\":\"" P1 "\",\"reported\":\"" P2 "\","
			"\"reason\":\"spam\",\"detail\":\"\\u0000\\ud800\","
			"\"created\":1}",
			"{\"op\":\"ban\",\"op\":\"ban\"}",
		};
		int64_t bans = count(b, "bans"), reports = count(b, "reports");
		size_t k;

		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			char sid[32];

			snprintf(sid, sizeof(sid), "2000-%zu", k);
			rc = apply(b, sid, 0, bad[k], &what, rep, &x);
			ok(rc == DB_INVAL && what == 0, "bad entry %zu refused: "
			    "%s", k, db_errmsg(b));
		}
		ok(count(b, "bans") == bans && count(b, "reports") == reports,
		    "the bad entries changed nothing");
		ok(db_modlog_cursor(b, cur, sizeof(cur)) == DB_OK &&
		    strcmp(cur, "2000-9") == 0, "but the cursor moved past "
		    "them (%s)", cur);
		ok(apply(b, "not-an-id", 0, "{}", &what, rep, &x) == DB_INVAL &&
		    db_modlog_cursor(b, cur, sizeof(cur)) == DB_OK &&
		    strcmp(cur, "2000-9") == 0, "a bad stream id moves nothing");
	}

	db_close(a);
	db_close(b);
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# cannot remove %s\n", dir);
	}
	return done_testing();
}
