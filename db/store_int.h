/*
 * store_int.h - what the store's files share and nobody else needs: the
 * connection, the names of its prepared statements and the helpers that
 * run them (see store.c, where the SQL of every statement is).
 *
 * store.c has the schema, the connection and the purge; store_bans.c,
 * store_reports.c, store_admins.c and store_modlog.c one table each.
 */
#ifndef MEETOPIA_STORE_INT_H
#define MEETOPIA_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "db/db.h"

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

struct db {
	sqlite3		*h;
	sqlite3_stmt	*st[S_MAX];
	char		 path[4096];
	char		 msg[512];
};

void		 db_seterr(struct db *, const char *what);
/* DB_OK, or the DB_ error of an sqlite result code (with db->msg set). */
int		 db_rc(struct db *, int rc, const char *what);
sqlite3_stmt	*db_stmt(struct db *, enum stmt);
void		 db_done(sqlite3_stmt *);
int		 db_run(struct db *, sqlite3_stmt *, const char *what);
int		 db_run_int(struct db *, sqlite3_stmt *, int64_t *out,
		    const char *what);
/* Runs a statement that returns one row, read by row into out:
 * DB_NOTFOUND when there is none. */
/* Runs a statement, each row handed to each (non-zero stops the walk). */
int		 db_run_rows(struct db *, sqlite3_stmt *,
		    int (*each)(sqlite3_stmt *, void *), void *arg,
		    const char *what);
int		 db_run_row(struct db *, sqlite3_stmt *,
		    void (*row)(sqlite3_stmt *, void *), void *out,
		    const char *what);
int		 db_run_script(struct db *, const char *sql, const char *what);
void		 db_col_text(sqlite3_stmt *, int i, char *out, size_t len);

/* store_reports.c */
const char	*report_reason_name(enum report_reason);

#endif
