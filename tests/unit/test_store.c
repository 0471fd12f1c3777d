/*
 * test_store.c - the sqlite store (db/store.c): schema and migrations, the
 * queries, text cleaning, ban targets, the auto-ban rule, purge, locking
 * and concurrent writers.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/db.h"
#include "tests/tap.h"

static char dir[] = "/tmp/test_store.XXXXXX";
static char in_reason_buf[300];
static char path[512];

#define P1 "00000000000000000000000000000001"
#define P2 "00000000000000000000000000000002"
#define P3 "00000000000000000000000000000003"
#define P4 "00000000000000000000000000000004"
#define BAD "0000000000000000000000000000000x"

static int64_t
count(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static void
raw_exec(const char *sql)
{
	sqlite3 *h;

	if (sqlite3_open(path, &h) == SQLITE_OK)
		sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
}

static int
count_cb(const struct db_ban *b, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int
rcount_cb(const struct db_report *r, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int
acount_cb(const struct db_admin *a, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void
test_open(void)
{
	char err[512], p2[600];
	struct db *db;
	struct stat sb;
	FILE *fp;
	int v;

	db = db_open(path, 0, 1000, err, sizeof(err));
	ok(db == NULL && strstr(err, "no such database") != NULL,
	    "a missing database is an error without DB_OPEN_CREATE: %s", err);
	ok(stat(path, &sb) != 0, "and nothing was created");

	db = db_open(path, DB_OPEN_CREATE, 1000, err, sizeof(err));
	ok(db != NULL, "created");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "the database file is 0600");
	ok(db_schema_version(db, &v) == DB_OK && v == DB_SCHEMA_VERSION,
	    "schema version %d", v);
	db_close(db);
	is_int(count("SELECT count(*) FROM sqlite_master WHERE type = 'table'"),
	    3, "three tables, nothing else");
	is_int(count("SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	    "AND name IN ('bans', 'reports', 'admins')"), 3,
	    "bans, reports, admins");
	is_int(count("PRAGMA user_version"), 1, "PRAGMA user_version = 1");
	ok(count("SELECT count(*) FROM pragma_journal_mode WHERE "
	    "journal_mode = 'wal'") == 1, "WAL mode is persistent");

	/* Reopening does not migrate again (it would fail: tables exist). */
	db = db_open(path, 0, 1000, err, sizeof(err));
	ok(db != NULL, "reopened: %s", db == NULL ? err : "ok");
	db_close(db);

	/* A newer schema is refused. */
	raw_exec("PRAGMA user_version = 7");
	db = db_open(path, 0, 1000, err, sizeof(err));
	ok(db == NULL && strstr(err, "newer") != NULL,
	    "a newer schema is refused: %s", err);
	raw_exec("PRAGMA user_version = 1");

	/* Not a database. */
	snprintf(p2, sizeof(p2), "%s/text.db", dir);
	if ((fp = fopen(p2, "w")) != NULL) {
		fputs("this is not an sqlite database, just some text that is "
		    "long enough to fill a header\n", fp);
		fclose(fp);
	}
	db = db_open(p2, 0, 1000, err, sizeof(err));
	ok(db == NULL && strstr(err, "text.db") != NULL,
	    "a text file is refused: %s", err);
	unlink(p2);
	db = db_open(dir, 0, 1000, err, sizeof(err));
	ok(db == NULL && strstr(err, "not a regular file") != NULL,
	    "a folder is refused: %s", err);
}

static void
test_migrate_from_zero(void)
{
	char p2[600], err[512];
	struct db *db;
	sqlite3 *h;
	int v = -1;

	/* A database that exists but is empty (version 0) is migrated. */
	snprintf(p2, sizeof(p2), "%s/empty.db", dir);
	if (sqlite3_open(p2, &h) == SQLITE_OK)
		sqlite3_exec(h, "PRAGMA user_version = 0; VACUUM", NULL, NULL,
		    NULL);
	sqlite3_close(h);
	db = db_open(p2, 0, 1000, err, sizeof(err));
	ok(db != NULL && db_schema_version(db, &v) == DB_OK && v == 1,
	    "an empty database is migrated to version 1");
	db_close(db);
	unlink(p2);
}

static void
test_text(void)
{
	char out[DB_TEXT_MAX], in[1024];
	size_t i;

	ok(db_text_clean("hello", 5, 200, out, sizeof(out)) == DB_OK &&
	    strcmp(out, "hello") == 0, "plain text kept");
	ok(db_text_clean("a\tb\nc\x1b[31md\x7f", 13, 200, out, sizeof(out)) ==
	    DB_OK && strcmp(out, "abc[31md") == 0,
	    "control characters dropped: %s", out);
	ok(db_text_clean("caf\xc3\xa9 \xe2\x80\xae!", 10, 200, out,
	    sizeof(out)) == DB_OK && strcmp(out, "caf\xc3\xa9 !") == 0,
	    "UTF-8 kept, bidi override dropped");
	is_int(db_text_clean("\xc0\x80", 2, 200, out, sizeof(out)), DB_INVAL,
	    "overlong NUL refused");
	is_int(db_text_clean("\xed\xa0\x80", 3, 200, out, sizeof(out)),
	    DB_INVAL, "surrogate refused");
	is_int(db_text_clean("ab\xe2\x82", 4, 200, out, sizeof(out)), DB_INVAL,
	    "truncated sequence refused");
	is_int(db_text_clean("\xf5\x80\x80\x80", 4, 200, out, sizeof(out)),
	    DB_INVAL, "past U+10FFFF refused");
	memset(in, 'x', 201);	/* the 201st is read below */
	is_int(db_text_clean(in, 200, 200, out, sizeof(out)), DB_OK,
	    "200 characters accepted");
	is_int(db_text_clean(in, 201, 200, out, sizeof(out)), DB_TOOLONG,
	    "201 characters refused");
	for (i = 0; i < 200; i++)
		memcpy(in + 4 * i, "\xf0\x9f\x98\x80", 4);
	ok(db_text_clean(in, 800, 200, out, sizeof(out)) == DB_OK &&
	    strlen(out) == 800, "200 four-byte characters accepted");
}

static void
test_targets(void)
{
	static const struct {
		const char	*in;
		int		 kind;
		const char	*canon;
	} cases[] = {
		{ "203.0.113.7", BAN_IP, "203.0.113.7" },
		{ "::ffff:203.0.113.7", BAN_IP, "203.0.113.7" },
		{ "2001:db8::1", BAN_IP, "2001:db8::1" },
		{ "2001:DB8:0::1", BAN_IP, "2001:db8::1" },
		{ "203.0.113.7/32", BAN_IP, "203.0.113.7" },
		{ "203.0.113.0/24", BAN_RANGE, "203.0.113.0/24" },
		{ "10.0.0.0-10.0.0.255", BAN_RANGE, "10.0.0.0/24" },
		{ "10.0.0.1-10.0.0.9", BAN_RANGE, "10.0.0.1-10.0.0.9" },
		{ "2001:db8::/32", BAN_RANGE, "2001:db8::/32" },
		{ "0.0.0.0/0", BAN_RANGE, "0.0.0.0/0" },
		{ "203.0.113.7/24", 0, NULL },
		{ "203.0.113.0/33", 0, NULL },
		{ "10.0.0.9-10.0.0.1", 0, NULL },
		{ "1.2.3", 0, NULL },
		{ "example.com", 0, NULL },
		{ "", 0, NULL },
		{ "1.2.3.4 ", 0, NULL },
		{ "1.2.3.4-::1", 0, NULL },
	};
	char canon[DB_TARGET_MAX];
	enum ban_kind kind;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = ban_parse_target(cases[i].in, &kind, canon, sizeof(canon));
		if (cases[i].kind == 0)
			ok(rc == DB_INVAL, "target '%s' refused", cases[i].in);
		else
			ok(rc == DB_OK && (int)kind == cases[i].kind &&
			    strcmp(canon, cases[i].canon) == 0,
			    "target '%s' is %s %s (%s)", cases[i].in,
			    ban_kind_name(cases[i].kind), cases[i].canon,
			    canon);
	}
}

static void
test_bans(struct db *db)
{
	struct db_ban b, g;
	int n;
	int64_t id;

	memset(&b, 0, sizeof(b));
	ok(db_ban_target(db, "203.0.113.7", 3600, "spam wave", "cli", 1000,
	    &b) == DB_OK && b.id > 0, "ban added, id %lld", (long long)b.id);
	ok(ban_get(db, b.id, &g) == DB_OK && g.kind == BAN_IP &&
	    strcmp(g.target, "203.0.113.7") == 0 &&
	    strcmp(g.reason, "spam wave") == 0 && g.created == 1000 &&
	    g.expires == 4600 && strcmp(g.source, "cli") == 0 && g.report == 0,
	    "ban read back");
	ok(db_ban_target(db, "203.0.113.0/24", 10, "", "api", 1000, &b) ==
	    DB_OK, "range ban added");
	ok(db_ban_target(db, "nonsense", 10, "", "cli", 1000, &b) == DB_INVAL &&
	    strstr(db_errmsg(db), "nonsense") != NULL,
	    "a bad target is refused: %s", db_errmsg(db));
	memset(in_reason_buf, 'r', sizeof(in_reason_buf) - 1);
	ok(db_ban_target(db, "198.51.100.1", 10, in_reason_buf, "cli", 1000,
	    &b) == DB_TOOLONG, "a reason past 200 characters is refused");
	n = 0;
	ban_list(db, 0, 1005, count_cb, &n);
	is_int(n, 2, "two active bans at t=1005");
	n = 0;
	ban_list(db, 0, 1020, count_cb, &n);
	is_int(n, 1, "one active ban at t=1020 (the range expired)");
	n = 0;
	ban_list(db, 1, 1020, count_cb, &n);
	is_int(n, 2, "--all lists the expired one too");
	ok(ban_find_active(db, BAN_IP, "203.0.113.7", 1020, &id) == DB_OK &&
	    id == g.id, "active ban found by target");
	ok(ban_find_active(db, BAN_IP, "203.0.113.8", 1020, &id) ==
	    DB_NOTFOUND, "no ban of another target");

	memset(&b, 0, sizeof(b));
	b.kind = BAN_IP;
	strlcpy(b.target, "192.0.2.1", sizeof(b.target));
	strlcpy(b.source, "cli", sizeof(b.source));
	b.created = b.expires = 1000;
	ok(ban_add(db, &b) == DB_INVAL, "a ban without an expiry after its "
	    "creation is refused");
	raw_exec("INSERT INTO bans (kind, target, source, created, expires) "
	    "VALUES ('ip', '192.0.2.1', 'cli', 5, 5)");
	is_int(count("SELECT count(*) FROM bans WHERE target = '192.0.2.1'"),
	    0, "the schema refuses it too (CHECK expires > created)");

	ok(ban_remove(db, g.id) == DB_OK, "ban removed");
	ok(ban_remove(db, g.id) == DB_NOTFOUND, "removing again: not found");
	ok(ban_get(db, 9999, &g) == DB_NOTFOUND, "unknown ban id: not found");
}

static void
test_reports(struct db *db)
{
	struct db_report r;
	struct db_ban b;
	int64_t id, id2, n;
	int cnt;

	ok(report_add(db, P1, P2, REPORT_ABUSE, "rude", 2000, &id) == DB_OK &&
	    id > 0, "report added");
	ok(report_add(db, P3, P2, REPORT_SPAM, NULL, 2001, &id2) == DB_OK,
	    "second report");
	ok(report_add(db, "192.0.2.1", P2, REPORT_SPAM, "", 2001, &n) ==
	    DB_INVAL, "a clear address is refused as a reporter");
	ok(report_add(db, P1, BAD, REPORT_SPAM, "", 2001, &n) == DB_INVAL,
	    "a malformed pseudonym is refused");
	ok(report_get(db, id, &r) == DB_OK && strcmp(r.reporter, P1) == 0 &&
	    strcmp(r.reported, P2) == 0 && strcmp(r.reason, "abuse") == 0 &&
	    strcmp(r.detail, "rude") == 0 && r.created == 2000 && !r.resolved,
	    "report read back");
	ok(report_count_against(db, P2, &n) == DB_OK && n == 2,
	    "two reports against the party");
	cnt = 0;
	report_list(db, 1, rcount_cb, &cnt);
	is_int(cnt, 2, "two open reports");
	ok(report_resolve(db, id, 2100) == DB_OK, "resolved");
	ok(report_resolve(db, id, 2200) == DB_OK && report_get(db, id, &r) ==
	    DB_OK && r.resolved && r.resolved_at == 2100,
	    "resolving twice keeps the first time");
	ok(report_resolve(db, 9999, 2100) == DB_NOTFOUND, "unknown report");
	cnt = 0;
	report_list(db, 1, rcount_cb, &cnt);
	is_int(cnt, 1, "one open report left");
	cnt = 0;
	report_list(db, 0, rcount_cb, &cnt);
	is_int(cnt, 2, "two reports in all");

	/* Ban by report: the reported party's pseudonym; the report is
	 * resolved in the same transaction. */
	ok(db_ban_report(db, id2, 600, NULL, "cli", 2300, &b) == DB_OK &&
	    b.kind == BAN_PSEUDONYM && strcmp(b.target, P2) == 0 &&
	    b.report == id2 && b.expires == 2900, "ban by report: %s %s",
	    ban_kind_name(b.kind), b.target);
	ok(strcmp(b.reason, "report 2: spam") == 0 ||
	    strstr(b.reason, "spam") != NULL, "default reason names the "
	    "report: %s", b.reason);
	ok(report_get(db, id2, &r) == DB_OK && r.resolved,
	    "the report is resolved");
	ok(db_ban_report(db, 9999, 600, NULL, "cli", 2300, &b) == DB_NOTFOUND,
	    "ban by unknown report: not found");
	ok(count("SELECT count(*) FROM bans WHERE report = 9999") == 0,
	    "and nothing was added");
}

static void
test_auto_ban(struct db *db)
{
	int64_t id, ban, n;

	/* P4 reported by P1 and P2 (and P4 itself, which does not count). */
	report_add(db, P1, P4, REPORT_ABUSE, "", 10000, &id);
	report_add(db, P1, P4, REPORT_ABUSE, "", 10001, &id);
	report_add(db, P4, P4, REPORT_ABUSE, "", 10002, &id);
	ok(db_auto_ban(db, P4, 10002, 3, 3600, 86400, id, &ban, &n) == DB_OK &&
	    ban == 0 && n == 1, "one distinct reporter: no ban (n=%lld)",
	    (long long)n);
	report_add(db, P2, P4, REPORT_ABUSE, "", 10003, &id);
	ok(db_auto_ban(db, P4, 10003, 3, 3600, 86400, id, &ban, &n) == DB_OK &&
	    ban == 0 && n == 2, "two: no ban");
	ok(db_auto_ban(db, P4, 10003 + 3600 + 5, 2, 3600, 86400, id, &ban,
	    &n) == DB_OK && ban == 0 && n == 0,
	    "reports outside the window do not count");
	report_add(db, P3, P4, REPORT_ABUSE, "", 10004, &id);
	ok(db_auto_ban(db, P4, 10004, 0, 3600, 86400, id, &ban, &n) == DB_OK &&
	    ban == 0, "auto-ban-reports = 0: off");
	ok(db_auto_ban(db, P4, 10004, 3, 3600, 86400, id, &ban, &n) == DB_OK &&
	    ban > 0 && n == 3, "three distinct reporters: banned (ban %lld)",
	    (long long)ban);
	ok(count("SELECT count(*) FROM bans WHERE kind = 'pseudonym' AND "
	    "target = '" P4 "' AND source = 'auto' AND expires = 10004 + 86400")
	    == 1, "a pseudonym ban for ban-default, source auto");
	ok(db_auto_ban(db, P4, 10005, 3, 3600, 86400, id, &ban, &n) == DB_OK &&
	    ban == 0, "no second ban while the first is active");
}

static void
test_admins(struct db *db)
{
	struct db_admin a;
	char hash[64];
	int64_t id;
	int n = 0;

	ok(admin_name_valid("alice") && admin_name_valid("ops.bot-1@x") &&
	    !admin_name_valid("") && !admin_name_valid("a b") &&
	    !admin_name_valid("a;drop") && !admin_name_valid(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	    "admin names");
	ok(admin_add(db, "alice", "0123456789abcdef", "$h1", 50, &id) ==
	    DB_OK && id > 0, "admin added");
	ok(admin_add(db, "alice", "1123456789abcdef", "$h2", 50, &id) ==
	    DB_EXISTS, "a second alice: exists");
	ok(admin_add(db, "bob", "1123456789abcdef", "$h2", 50, &id) == DB_OK,
	    "bob added");
	ok(admin_find(db, "1123456789abcdef", &a, hash, sizeof(hash)) ==
	    DB_OK && strcmp(a.name, "bob") == 0 && strcmp(hash, "$h2") == 0,
	    "found by lookup");
	ok(admin_find(db, "ffffffffffffffff", &a, hash, sizeof(hash)) ==
	    DB_NOTFOUND, "unknown lookup");
	ok(admin_touch(db, a.id, 77) == DB_OK && admin_find(db,
	    "1123456789abcdef", &a, hash, sizeof(hash)) == DB_OK &&
	    a.last_used == 77, "last use recorded");
	admin_list(db, acount_cb, &n);
	is_int(n, 2, "two admins");
	ok(admin_remove(db, "alice") == DB_OK, "alice removed");
	ok(admin_remove(db, "alice") == DB_NOTFOUND, "again: not found");
}

static void
test_purge(struct db *db)
{
	int64_t bans, reports, b0, ro, r, a;
	struct db_ban b;

	raw_exec("DELETE FROM bans; DELETE FROM reports");
	db_ban_target(db, "192.0.2.10", 100, "", "cli", 1000, &b);
	db_ban_target(db, "192.0.2.11", 10000, "", "cli", 1000, &b);
	report_add(db, P1, P2, REPORT_OTHER, "", 500, &r);
	report_add(db, P1, P2, REPORT_OTHER, "", 5000, &r);
	ok(db_purge(db, 2000, 1000, &bans, &reports) == DB_OK && bans == 1 &&
	    reports == 1, "purge: one expired ban, one old report");
	ok(db_counts(db, 2000, &b0, &ro, &r, &a) == DB_OK && b0 == 1 &&
	    r == 1, "one ban and one report left");
	ok(db_purge(db, 2000, 1000, &bans, &reports) == DB_OK && bans == 0 &&
	    reports == 0, "purging again finds nothing");
}

static void
test_busy(void)
{
	char err[512];
	struct db *db;
	struct db_ban b;
	sqlite3 *h;

	db = db_open(path, 0, 200, err, sizeof(err));
	if (sqlite3_open(path, &h) != SQLITE_OK)
		return;
	sqlite3_busy_timeout(h, 1000);
	ok(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK,
	    "another connection holds the write lock");
	ok(db_ban_target(db, "192.0.2.20", 100, "", "cli", 1000, &b) ==
	    DB_BUSY && strstr(db_errmsg(db), "locked") != NULL,
	    "a write waits busy_timeout, then fails: %s", db_errmsg(db));
	{
		int n = 0;

		ok(ban_list(db, 1, 0, count_cb, &n) == DB_OK,
		    "reads go on while a writer holds the lock (WAL)");
	}
	sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	ok(db_ban_target(db, "192.0.2.20", 100, "", "cli", 1000, &b) == DB_OK,
	    "once released, the write goes through");
	sqlite3_close(h);
	db_close(db);
}

/* Several processes write at once (meetopiactl instances and a daemon):
 * busy_timeout serialises them, nothing is lost. */
static void
test_concurrent(void)
{
	enum { KIDS = 4, EACH = 40 };
	char err[512];
	pid_t pids[KIDS];
	int i, k, status, okk = 1;

	raw_exec("DELETE FROM bans; DELETE FROM reports");
	for (k = 0; k < KIDS; k++) {
		if ((pids[k] = fork()) == 0) {
			struct db *db = db_open(path, 0, DB_BUSY_MS, err,
			    sizeof(err));
			struct db_ban b;
			char t[64];
			int64_t id;

			if (db == NULL)
				_exit(2);
			for (i = 0; i < EACH; i++) {
				snprintf(t, sizeof(t), "10.%d.0.%d", k, i);
				if (db_ban_target(db, t, 100, "", "cli", 1000,
				    &b) != DB_OK)
					_exit(3);
				if (report_add(db, P1, P2, REPORT_SPAM, "x",
				    1000, &id) != DB_OK)
					_exit(4);
			}
			db_close(db);
			_exit(0);
		}
	}
	for (k = 0; k < KIDS; k++) {
		if (waitpid(pids[k], &status, 0) != pids[k] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			okk = 0;
	}
	ok(okk, "%d processes wrote %d bans and %d reports each", KIDS, EACH,
	    EACH);
	is_int(count("SELECT count(*) FROM bans"), KIDS * EACH,
	    "every ban is there");
	is_int(count("SELECT count(*) FROM reports"), KIDS * EACH,
	    "every report is there");
}

static void
test_json(struct db *db)
{
	struct db_ban b;
	struct db_report r;
	json_t *j;
	char *s;

	memset(&b, 0, sizeof(b));
	b.id = 3;
	b.kind = BAN_RANGE;
	strlcpy(b.target, "10.0.0.0/8", sizeof(b.target));
	strlcpy(b.source, "cli", sizeof(b.source));
	b.created = 10;
	b.expires = 20;
	j = ban_json(&b, 15);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(s, "{\"active\":true,\"created\":10,\"expires\":20,\"id\":3,"
	    "\"kind\":\"range\",\"reason\":\"\",\"report\":null,\"source\":"
	    "\"cli\",\"target\":\"10.0.0.0/8\"}", "ban JSON");
	free(s);
	json_decref(j);
	memset(&r, 0, sizeof(r));
	r.id = 4;
	strlcpy(r.reporter, P1, sizeof(r.reporter));
	strlcpy(r.reported, P2, sizeof(r.reported));
	strlcpy(r.reason, "spam", sizeof(r.reason));
	r.created = 5;
	r.resolved = 1;
	r.resolved_at = 6;
	j = report_json(&r);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(s, "{\"created\":5,\"detail\":\"\",\"id\":4,\"reason\":\"spam\","
	    "\"reported\":\"" P2 "\",\"reporter\":\"" P1 "\",\"resolved\":6,"
	    "\"status\":\"resolved\"}", "report JSON");
	free(s);
	json_decref(j);
	(void)db;
}

int
main(void)
{
	char err[512];
	struct db *db;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/meetopia.db", dir);
	test_open();
	test_migrate_from_zero();
	test_text();
	test_targets();
	db = db_open(path, 0, 2000, err, sizeof(err));
	if (!ok(db != NULL, "open for the query tests"))
		return done_testing();
	test_bans(db);
	test_reports(db);
	test_auto_ban(db);
	test_admins(db);
	test_purge(db);
	test_json(db);
	db_close(db);
	test_busy();
	test_concurrent();
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return done_testing();
}
