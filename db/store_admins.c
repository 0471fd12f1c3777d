/*
 * store_admins.c - admin tokens: names, lookups and last use (see db.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db/store_int.h"

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
	if ((st = db_stmt(db, S_ADMIN_ADD)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, lookup, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	if ((rc = db_run(db, st, "admin add")) == DB_OK)
		*id = sqlite3_last_insert_rowid(db->h);
	return rc;
}

int
admin_remove(struct db *db, const char *name)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, S_ADMIN_REMOVE)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = db_run(db, st, "admin remove")) != DB_OK)
		return rc;
	return sqlite3_changes(db->h) > 0 ? DB_OK : DB_NOTFOUND;
}

static void
admin_row(sqlite3_stmt *st, struct db_admin *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, a->name, sizeof(a->name));
	a->created = sqlite3_column_int64(st, 2);
	a->last_used = sqlite3_column_int64(st, 3);
}

/* A list's callback and its argument. */
struct admin_walk {
	int	(*cb)(const struct db_admin *, void *);
	void	*arg;
};

/* One row of the admin list, handed to the list's callback. */
static int
admin_each(sqlite3_stmt *st, void *arg)
{
	struct admin_walk *w = arg;
	struct db_admin a;

	admin_row(st, &a);
	return w->cb(&a, w->arg);
}

int
admin_list(struct db *db, int (*cb)(const struct db_admin *, void *),
    void *arg)
{
	struct admin_walk w = { cb, arg };
	sqlite3_stmt *st;

	if ((st = db_stmt(db, S_ADMIN_LIST)) == NULL)
		return DB_ERR;
	return db_run_rows(db, st, admin_each, &w, "admin list");
}

int
admin_find(struct db *db, const char *lookup, struct db_admin *a, char *hash,
    size_t hashlen)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, S_ADMIN_FIND)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, lookup, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		admin_row(st, a);
		db_col_text(st, 4, hash, hashlen);
		db_done(st);
		return DB_OK;
	}
	rc = db_rc(db, rc, "admin find");
	db_done(st);
	return rc == DB_OK ? DB_NOTFOUND : rc;
}

int
admin_touch(struct db *db, int64_t id, int64_t now)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(db, S_ADMIN_TOUCH)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	return db_run(db, st, "admin touch");
}

