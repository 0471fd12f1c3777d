/*
 * store_bans.c - bans: their targets, their rows and the ban operations of
 * meetopiactl and the admin API (see db.h).
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db/store_int.h"

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

/* The ban in the current row of st, into out (a struct db_ban). */
static void
ban_row(sqlite3_stmt *st, void *out)
{
	struct db_ban *b = out;
	char kind[16];

	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, kind, sizeof(kind));
	b->kind = ban_kind_parse(kind);
	db_col_text(st, 2, b->target, sizeof(b->target));
	db_col_text(st, 3, b->reason, sizeof(b->reason));
	b->report = sqlite3_column_int64(st, 4);
	db_col_text(st, 5, b->source, sizeof(b->source));
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
	if ((st = db_stmt(db, S_BAN_ADD)) == NULL)
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
	if ((rc = db_run(db, st, "ban add")) == DB_OK)
		b->id = sqlite3_last_insert_rowid(db->h);
	return rc;
}

int
ban_get(struct db *db, int64_t id, struct db_ban *b)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(db, S_BAN_GET)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, id);
	return db_run_row(db, st, ban_row, b, "ban get");
}

int
ban_remove(struct db *db, int64_t id)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_stmt(db, S_BAN_REMOVE)) == NULL)
		return DB_ERR;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = db_run(db, st, "ban remove")) != DB_OK)
		return rc;
	return sqlite3_changes(db->h) > 0 ? DB_OK : DB_NOTFOUND;
}

/* A list's callback and its argument. */
struct ban_walk {
	int	(*cb)(const struct db_ban *, void *);
	void	*arg;
};

/* One row of a ban list, handed to the list's callback. */
static int
ban_each(sqlite3_stmt *st, void *arg)
{
	struct ban_walk *w = arg;
	struct db_ban b;

	ban_row(st, &b);
	return w->cb(&b, w->arg);
}

int
ban_list(struct db *db, int all, int64_t now,
    int (*cb)(const struct db_ban *, void *), void *arg)
{
	struct ban_walk w = { cb, arg };
	sqlite3_stmt *st;

	if ((st = db_stmt(db, all ? S_BAN_LIST_ALL : S_BAN_LIST_ACTIVE)) ==
	    NULL)
		return DB_ERR;
	if (!all)
		sqlite3_bind_int64(st, 1, now);
	return db_run_rows(db, st, ban_each, &w, "ban list");
}

int
ban_find_active(struct db *db, enum ban_kind kind, const char *target,
    int64_t now, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	if ((st = db_stmt(db, S_BAN_FIND)) == NULL)
		return DB_ERR;
	sqlite3_bind_text(st, 1, ban_kind_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	if ((rc = db_run_int(db, st, id, "ban find")) != DB_OK)
		return rc;
	return *id > 0 ? DB_OK : DB_NOTFOUND;
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

