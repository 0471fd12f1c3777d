/*
 * store_reports.c - reports from users and the auto-ban rule (see db.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db/store_int.h"

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

/* The report in the current row of st, into out (a struct db_report). */
static void
report_row(sqlite3_stmt *st, void *out)
{
	struct db_report *r = out;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, r->reporter, sizeof(r->reporter));
	db_col_text(st, 2, r->reported, sizeof(r->reported));
	db_col_text(st, 3, r->reason, sizeof(r->reason));
	db_col_text(st, 4, r->detail, sizeof(r->detail));
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
	if ((st = db_stmt(db, S_REPORT_ADD)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, reporter, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, reported, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, report_reason_name(reason), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, detail != NULL ? detail : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	if ((rc = db_run(db, st, "report add")) == DB_OK)
		*id = sqlite3_last_insert_rowid(db->h);
	return rc;
}

int
report_get(struct db *db, int64_t id, struct db_report *r)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(db, S_REPORT_GET)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, id);
	return db_run_row(db, st, report_row, r, "report get");
}

/* A list's callback and its argument. */
struct report_walk {
	int	(*cb)(const struct db_report *, void *);
	void	*arg;
};

/* One row of a report list, handed to the list's callback. */
static int
report_each(sqlite3_stmt *st, void *arg)
{
	struct report_walk *w = arg;
	struct db_report r;

	report_row(st, &r);
	return w->cb(&r, w->arg);
}

int
report_list(struct db *db, int open_only,
    int (*cb)(const struct db_report *, void *), void *arg)
{
	struct report_walk w = { cb, arg };
	sqlite3_stmt *st;

	if ((st = db_stmt(db, open_only ? S_REPORT_LIST_OPEN :
	    S_REPORT_LIST_ALL)) == NULL)
		return DB_ERR;
	return db_run_rows(db, st, report_each, &w, "report list");
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
	if ((st = db_stmt(db, S_REPORT_RESOLVE)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	return db_run(db, st, "report resolve");
}

/* Distinct reporters (other than the party itself) of one pseudonym since
 * a time. */
static int
report_count_reporters(struct db *db, const char *reported, int64_t since,
    int64_t *n)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(db, S_REPORT_REPORTERS)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, reported, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	return db_run_int(db, st, n, "report count");
}

int
report_count_against(struct db *db, const char *reported, int64_t *n)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(db, S_REPORT_AGAINST)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, reported, -1, SQLITE_STATIC);
	return db_run_int(db, st, n, "report count");
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

