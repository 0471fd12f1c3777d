/*
 * db.h - the moderation store: bans, reports and admin tokens in sqlite.
 *
 * Three layers, one header:
 *
 *   struct db        one sqlite connection with its prepared statements;
 *                    the queries.  meetopiactl uses it directly; the daemon
 *                    holds two (the loop's reader, the writer thread's).
 *   struct mdb       the daemon's side: an in-memory ban cache for cheap
 *                    lookups from any thread, refreshed when the database
 *                    changes (PRAGMA data_version polled every second), a
 *                    writer thread for reports, purges and admin requests,
 *                    and the purge timer.
 *   struct admin_api the HTTP moderation API as a pure handler: request in,
 *                    status and JSON out.
 *
 * Invariants.  The database holds bans, reports and admin tokens and
 * nothing else (the schema version is PRAGMA user_version).  Client
 * addresses in reports are keyed pseudonyms (auth/pseudonym.h), never clear;
 * the only clear addresses are ban targets an operator typed.  Every ban has
 * an expiry.  sqlite is used through prepared statements only, in WAL mode
 * with a busy timeout.
 *
 * Durability: synchronous=FULL.  In WAL mode, NORMAL already survives a
 * process kill (the WAL is in the OS's page cache the moment COMMIT
 * returns) but may lose the last commits on power loss; FULL syncs the WAL
 * at every commit so an acknowledged report also survives a power cut.  The
 * daemon's writes run on the writer thread, so the fsync never stalls the
 * event loop.
 */
#ifndef MEETOPIA_DB_H
#define MEETOPIA_DB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth/pseudonym.h"
#include "common/addr.h"

struct config;
struct event_base;
struct secevent_log;

/* Result codes. */
#define DB_OK		0
#define DB_ERR		(-1)	/* sqlite failed: db_errmsg() says why */
#define DB_NOTFOUND	(-2)
#define DB_BUSY		(-3)	/* locked longer than the busy timeout */
#define DB_EXISTS	(-4)
#define DB_INVAL	(-5)
#define DB_TOOLONG	(-6)

#define DB_SCHEMA_VERSION	1
#define DB_BUSY_MS		5000

#define DB_TEXT_CP	200		/* reason and detail, code points */
#define DB_TEXT_MAX	(DB_TEXT_CP * 4 + 1)
#define DB_TARGET_MAX	96		/* an IPv6 "lo-hi" range fits */
#define DB_NAME_MAX	64		/* admin names */

enum ban_kind {
	BAN_IP = 1,			/* one address */
	BAN_RANGE,			/* CIDR or A-B */
	BAN_PSEUDONYM			/* a client IP known by its pseudonym */
};

struct db_ban {
	int64_t		 id;
	enum ban_kind	 kind;
	char		 target[DB_TARGET_MAX];
	char		 reason[DB_TEXT_MAX];
	int64_t		 report;	/* the report it came from, or 0 */
	char		 source[8];	/* "cli", "api" or "auto" */
	int64_t		 created;	/* Unix seconds */
	int64_t		 expires;
};

enum report_reason {
	REPORT_SPAM = 0,
	REPORT_ABUSE,
	REPORT_NUDITY,
	REPORT_UNDERAGE,
	REPORT_OTHER
};

struct db_report {
	int64_t		 id;
	char		 reporter[PSEUDONYM_LEN + 1];
	char		 reported[PSEUDONYM_LEN + 1];
	char		 reason[16];
	char		 detail[DB_TEXT_MAX];
	int64_t		 created;
	int		 resolved;
	int64_t		 resolved_at;	/* 0 while open */
};

struct db_admin {
	int64_t		 id;
	char		 name[DB_NAME_MAX + 1];
	int64_t		 created;
	int64_t		 last_used;	/* 0: never */
};

struct db;

#define DB_OPEN_CREATE	0x1	/* create the file if missing (the daemon) */

/*
 * Opens (and with DB_OPEN_CREATE creates, 0600) the database, switches it
 * to WAL, sets the busy timeout and runs the forward migrations up to
 * DB_SCHEMA_VERSION.  A database of a newer schema is refused.  NULL with a
 * one-line err on failure.
 */
struct db	*db_open(const char *path, int flags, int busy_ms, char *err,
		    size_t errlen);
void		 db_close(struct db *);
const char	*db_errmsg(struct db *);
/* 1 when the file could only be opened for reading (permissions, a
 * read-only mount): every write would fail. */
int		 db_readonly(struct db *);
int		 db_schema_version(struct db *, int *);
/* PRAGMA data_version: changes when another connection commits. */
int		 db_data_version(struct db *, int64_t *);

int		 db_begin(struct db *);		/* BEGIN IMMEDIATE */
int		 db_commit(struct db *);
void		 db_rollback(struct db *);
/* Commits when rc is DB_OK, else (or when the commit fails) rolls back:
 * the transaction's result. */
int		 db_end(struct db *, int rc);

/*
 * Text an operator or a user gives (ban reason, report detail): valid UTF-8
 * of at most maxcp code points; control characters are dropped.  Writes the
 * cleaned text into out (DB_TEXT_MAX).  DB_INVAL for invalid UTF-8,
 * DB_TOOLONG past maxcp.
 */
int		 db_text_clean(const char *in, size_t len, size_t maxcp,
		    char *out, size_t outlen);

/*
 * Parses an operator's ban target: an address (BAN_IP) or a CIDR or A-B
 * range (BAN_RANGE), into its canonical text.  An IPv4-mapped IPv6 address
 * is folded to IPv4.  DB_INVAL when it is neither.
 */
int		 ban_parse_target(const char *, enum ban_kind *, char *canon,
		    size_t);
const char	*ban_kind_name(enum ban_kind);

/* Fills b->id.  kind, target, reason, report, source, created, expires
 * must be set; expires > created. */
int		 ban_add(struct db *, struct db_ban *b);
int		 ban_get(struct db *, int64_t id, struct db_ban *);
int		 ban_remove(struct db *, int64_t id);
/* Active bans (expires > now), or all when all is set, oldest first.  The
 * callback returns 0 to go on. */
int		 ban_list(struct db *, int all, int64_t now,
		    int (*)(const struct db_ban *, void *), void *);
/* The id of an active ban of this kind and target, DB_NOTFOUND if none. */
int		 ban_find_active(struct db *, enum ban_kind, const char *target,
		    int64_t now, int64_t *id);

int		 report_reason_parse(const char *, enum report_reason *);
int		 report_add(struct db *, const char *reporter,
		    const char *reported, enum report_reason,
		    const char *detail, int64_t now, int64_t *id);
int		 report_get(struct db *, int64_t id, struct db_report *);
int		 report_list(struct db *, int open_only,
		    int (*)(const struct db_report *, void *), void *);
int		 report_resolve(struct db *, int64_t id, int64_t now);
/* All reports of one pseudonym. */
int		 report_count_against(struct db *, const char *reported,
		    int64_t *n);

int		 admin_add(struct db *, const char *name, const char *lookup,
		    const char *hash, int64_t now, int64_t *id);
int		 admin_remove(struct db *, const char *name);
int		 admin_list(struct db *, int (*)(const struct db_admin *,
		    void *), void *);
/* The admin whose token has this lookup part: id, name and stored hash. */
int		 admin_find(struct db *, const char *lookup, struct db_admin *,
		    char *hash, size_t hashlen);
int		 admin_touch(struct db *, int64_t id, int64_t now);
int		 admin_name_valid(const char *);

/*
 * The operations of meetopiactl and the admin API.  db_ban_target bans an
 * operator's address or range; db_ban_report bans the reported party of a
 * report by its pseudonym and resolves the report, in one transaction.  The
 * reason is cleaned (db_text_clean); secs must be checked by the caller
 * against ban-max.  DB_INVAL / DB_TOOLONG / DB_NOTFOUND with db_errmsg()
 * saying why.
 */
int		 db_ban_target(struct db *, const char *target, int64_t secs,
		    const char *reason, const char *source, int64_t now,
		    struct db_ban *out);
int		 db_ban_report(struct db *, int64_t report, int64_t secs,
		    const char *reason, const char *source, int64_t now,
		    struct db_ban *out);

/* Deletes expired bans and reports created before now - retention. */
int		 db_purge(struct db *, int64_t now, int64_t retention,
		    int64_t *bans, int64_t *reports);

/* Counts for `meetopiactl stats` and the admin API. */
int		 db_counts(struct db *, int64_t now, int64_t *bans,
		    int64_t *reports_open, int64_t *reports, int64_t *admins);

/* The JSON documents of meetopiactl --json and the admin API. */
json_t		*ban_json(const struct db_ban *, int64_t now);
json_t		*report_json(const struct db_report *);

/*
 * Auto-ban rule, shared by the daemon and the tests: after a report against
 * `reported`, if `reports` (>0) distinct reporters reported it within
 * `window` seconds and no ban of it is active, ban its pseudonym for
 * ban_default seconds.  Sets *ban_id (0 when no ban was made) and *n to
 * the number of distinct reporters.  Call inside the report's transaction.
 */
int		 db_auto_ban(struct db *, const char *reported, int64_t now,
		    int64_t reports, int64_t window, int64_t ban_default,
		    int64_t report_id, int64_t *ban_id, int64_t *n);

/*
 * The cluster's moderation log, store side (store.c has the design).
 * Nothing here is used, and no table of it exists, without `redis`.
 * db_modlog_enable creates the uid columns, the outbox, the cursor table
 * and the triggers once (a no-op after).  db_modlog_pending calls cb(seq,
 * entry) for at most max outbox entries after seq `after`, oldest first
 * (cb returns non-zero to stop); db_modlog_done deletes those up to
 * `upto`.  db_modlog_cursor gives the last applied stream id ("0-0" when
 * none).  db_modlog_apply, inside the caller's transaction, applies one
 * entry of another node idempotently and records id as the cursor; *what
 * says what changed.  An entry of this node (own) changes nothing but the
 * cursor; when it is a report, DB_MODLOG_OWN_REPORT with reported and
 * report_id naming it says the auto-ban rule should look again, now that
 * every entry before it in the stream is applied.  An invalid entry
 * returns DB_INVAL and changes nothing but the cursor.
 */
#define DB_UID_LEN		32
#define DB_STREAM_ID_MAX	41	/* two 20-digit numbers and '-' */
#define DB_MODLOG_ENTRY_MAX	4096
#define DB_MODLOG_BANNED	0x1
#define DB_MODLOG_UNBANNED	0x2
#define DB_MODLOG_REPORTED	0x4
#define DB_MODLOG_OWN_REPORT	0x8
#define DB_MODLOG_GONE_SECS	(366 * 86400)	/* an unban without expiry */

int		 db_modlog_enable(struct db *);
int		 db_modlog_pending(struct db *, int64_t after, int max,
		    int (*cb)(int64_t, const char *, void *), void *);
int		 db_modlog_done(struct db *, int64_t upto);
/* Forgets the removed bans whose expiry has passed (they cannot come
 * back: an expired ban is not enforced). */
int		 db_modlog_purge(struct db *, int64_t now);
int		 db_modlog_cursor(struct db *, char *, size_t);
int		 db_modlog_apply(struct db *, const char *id, int own,
		    const char *entry, size_t len, int *what, char reported[PSEUDONYM_LEN + 1],
		    int64_t *report_id);

/* ------------------------------------------------------------------ */
/* The daemon's side.  Everything here but mdb_is_banned(), mdb_pseudonym()
 * and mdb_active_bans() is called from the loop thread only.
 *
 * Wiring: meetopiad.c fills the relay's struct relay_env and signaling's
 * struct sig_moderation in with these (neither includes this header):
 *   signaling  /ws upgrade: mdb_is_banned(client) -> 403 (and a security
 *              event); `report`: mdb_report_submit(), `reported` sent from
 *              its callback, mdb_cancel(session) when a session is freed;
 *              /admin/v1/...: mdb_admin_request().
 *   relay      Allocate: mdb_is_banned(client) -> 403 (any thread).
 *   the daemon mdb_set_ban_hook(): signaling closes the banned sessions
 *              (partner_left/banned), the relay frees the banned clients'
 *              allocations.
 */

struct mdb;

/*
 * Opens cfg->db (created if missing), loads the pseudonym key from
 * state_dir, fills the ban cache, starts the writer thread and the timers
 * on base (data_version poll every second, purge every minute); security
 * events go to seclog.
 */
struct mdb	*mdb_open(struct event_base *base, const struct config *cfg,
		    struct secevent_log *seclog, const char *state_dir,
		    char *err, size_t errlen);
/* Takes the live keys (ban-default, ban-max, auto-ban-*, report-retention,
 * rate-limit-window) from a new configuration after SIGHUP. */
void		 mdb_reload(struct mdb *, const struct config *);
/*
 * Stops the timers, lets the writer thread commit every queued job, joins
 * it and closes.  Callbacks of jobs still pending are not called.
 */
void		 mdb_close(struct mdb *);

/*
 * Whether the client at this address is banned: by address, by a range
 * that holds it, or by its pseudonym.  Reads the in-memory cache only; safe
 * from any thread; some microseconds at most.
 */
int		 mdb_is_banned(struct mdb *, const struct maddr *);

/* The pseudonym of a client address, with this daemon's key. */
void		 mdb_pseudonym(struct mdb *, const struct maddr *,
		    char out[PSEUDONYM_LEN + 1]);

/*
 * Called on the loop after a cache refresh that brought new bans (added by
 * meetopiactl, the admin API or the auto-ban rule): the receiver re-checks
 * its active clients with mdb_is_banned() and closes the banned ones.
 */
typedef void	(*mdb_ban_hook)(void *arg);
void		 mdb_set_ban_hook(struct mdb *, mdb_ban_hook, void *arg);

/*
 * Files a report of `reported` by `reporter` (their client addresses; only
 * pseudonyms are stored).  reason is SPEC's word; detail may be NULL.
 * Returns DB_INVAL (unknown reason, invalid UTF-8) or DB_TOOLONG (detail
 * past 200 code points) at once and files nothing; otherwise DB_OK, and
 * later, on the loop, cb(arg, id) once the report is committed (id > 0) or
 * could not be (id < 0).  Acknowledge the client from cb: a committed report
 * survives a crash.  The auto-ban rule runs in the same transaction.
 */
typedef void	(*mdb_report_cb)(void *arg, int64_t id);
int		 mdb_report_submit(struct mdb *, const struct maddr *reporter,
		    const struct maddr *reported, const char *reason,
		    const char *detail, mdb_report_cb cb, void *arg);

/*
 * The admin API on the writer thread: the request is copied, handled by
 * admin_api_handle() (argon2id and sqlite off the loop), and cb(arg,
 * status, json, retry_after) is called on the loop; json is only valid
 * during the call.  The HTTP server sends json as application/json with
 * that status, `WWW-Authenticate: Bearer` on 401 and `Retry-After` on 429.
 */
typedef void	(*mdb_admin_cb)(void *arg, int status, const char *json,
		    int retry_after);
int		 mdb_admin_request(struct mdb *, const char *method,
		    const char *path, const char *authorization,
		    const char *body, size_t bodylen, const struct maddr *client,
		    mdb_admin_cb cb, void *arg);

/* Forgets the callbacks of every pending job with this arg (the caller is
 * going away); the jobs themselves still complete. */
void		 mdb_cancel(struct mdb *, void *arg);

/*
 * Replication across the nodes of a cluster (the program wires it to
 * cluster/modlog.h; never called without `redis`).
 *
 * mdb_modlog_enable creates the log's tables (db_modlog_enable) and sets
 * the export hook: from then on every outbox entry is handed to
 * export(arg, seq, entry, len) once, in order, on the loop, with clear
 * addresses replaced by their pseudonyms (an `ip` ban, a one-address
 * range) so nothing clear leaves the node; the hook returns 0 when it
 * took the entry (-1: the link is down, try again at the next flush).
 * mdb_modlog_acked(seq): the cluster stored everything up to seq; the
 * outbox forgets it one or two purges (minutes) later.
 * mdb_modlog_rewind: the link dropped; at the next mdb_modlog_flush (link
 * up) everything still in the outbox goes again, the recently
 * acknowledged entries included (a Redis without persistence may have
 * lost them before any node read them).
 * mdb_modlog_apply queues one stream entry for the writer thread (own:
 * an entry of this node, only the cursor moves); a ban it brings runs the
 * ban hook.  The auto-ban rule counts the reports of every node (they are
 * all in every database); it runs where the report was taken, when it is
 * taken and again when it comes back from the stream (by then every report
 * before it in the stream is applied), and on no other node, so that two
 * nodes do not both ban for one crossing of the limit.
 */
typedef int	(*mdb_export_hook)(void *arg, int64_t seq, const char *entry,
		    size_t len);
int		 mdb_modlog_enable(struct mdb *, mdb_export_hook, void *arg,
		    char *err, size_t errlen);
void		 mdb_modlog_flush(struct mdb *);
void		 mdb_modlog_rewind(struct mdb *);
void		 mdb_modlog_acked(struct mdb *, int64_t seq);
int		 mdb_modlog_cursor(struct mdb *, char *, size_t);
int		 mdb_modlog_apply(struct mdb *, const char *id, int own,
		    const char *entry, size_t len);

/* Figures for tests and logs. */
size_t		 mdb_active_bans(struct mdb *);

/* ------------------------------------------------------------------ */
/* The HTTP moderation API, /admin/v1/bans and /admin/v1/reports. */

struct admin_api;

struct admin_req {
	const char		*method;	/* GET POST DELETE */
	const char		*path;		/* with the query string */
	const char		*authorization;	/* header value or NULL */
	const char		*body;
	size_t			 bodylen;
	const struct maddr	*client;
	int64_t			 now;
};

struct admin_resp {
	int		 status;
	char		*json;		/* malloc'ed, the caller frees */
	int		 retry_after;	/* seconds, with 429 */
	int		 bans_changed;
};

/* fail_window/fail_max: failed authentications allowed per client IP. */
struct admin_api *admin_api_new(struct db *, struct secevent_log *,
		    const struct pseudonym_key *);
void		 admin_api_free(struct admin_api *);
void		 admin_api_limits(struct admin_api *, int64_t ban_default,
		    int64_t ban_max, int64_t fail_window, int64_t fail_max);
void		 admin_api_handle(struct admin_api *, const struct admin_req *,
		    struct admin_resp *);

#define ADMIN_API_PREFIX	"/admin/v1/"
#define ADMIN_BODY_MAX		4096
#define ADMIN_FAIL_MAX		10	/* failures per window per client */
#define ADMIN_TOKEN_CACHE_SECS	300
#define ADMIN_VERIFY_PER_SEC	10	/* argon2id runs per second, at most */

#endif
