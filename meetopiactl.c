/*
 * meetopiactl.c - the admin CLI: bans, reports, admin tokens, TURN
 * credentials, live stats.  A thin front over db/'s store, the same code the
 * daemon runs; it works while the daemon runs (WAL, busy timeout), and the
 * daemon picks up its changes within two seconds (PRAGMA data_version).
 *
 * Exit codes: 0 done, 1 runtime failure (unknown id, database missing or
 * locked, daemon unreachable), 2 bad usage (unknown command or option, bad
 * address, bad duration or one past ban-max, bad configuration).  Errors are
 * one line on stderr: "meetopiactl: <what>: <why>".
 *
 * Output: tables for people, or one JSON document with --json.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "auth/cred.h"
#include "auth/admin_token.h"
#include "common/config.h"
#include "common/log.h"
#include "common/rdwr.h"
#include "common/statedir.h"
#include "db/ctl.h"
#include "db/db.h"
#include "meetopiactl.h"

extern char **environ;

#define DEFAULT_CONFIG	SYSCONFDIR "/meetopia/meetopia.conf"
#define DEFAULT_STATE	"var"


static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: meetopiactl [-c CONF] [--db FILE] [--state-dir DIR] "
	    "[--json] COMMAND\n"
	    "\n"
	    "Moderation and administration of a Meetopia server.\n"
	    "\n"
	    "  ban add ADDRESS|CIDR [--for DURATION] [--reason TEXT]\n"
	    "                              ban an address or range\n"
	    "  ban add --report ID [--for DURATION] [--reason TEXT]\n"
	    "                              ban the reported party of a "
	    "report\n"
	    "  ban list [--all]            active bans (--all: with expired "
	    "ones)\n"
	    "  ban remove ID               lift a ban\n"
	    "  report list [--open]        reports (--open: unresolved only)\n"
	    "  report show ID              one report\n"
	    "  report resolve ID           mark a report resolved\n"
	    "  admin add NAME              create an admin API token (printed "
	    "once)\n"
	    "  admin list                  admin API tokens\n"
	    "  admin remove NAME           revoke an admin API token\n"
	    "  credential [--id ID] [--ttl SECONDS]\n"
	    "                              print a TURN username and "
	    "password\n"
	    "  purge                       delete expired bans and old "
	    "reports now\n"
	    "  stats                       live figures from the running "
	    "daemon\n"
	    "  nodes                       the cluster's nodes and their "
	    "state\n"
	    "  drain [--node NAME] [--undo]\n"
	    "                              stop a node taking new work "
	    "(--undo: take it back)\n"
	    "\n"
	    "  -c FILE, --config=FILE      configuration (default %s)\n"
	    "  --db FILE                   database (default: the db key, or "
	    "STATE-DIR/meetopia.db)\n"
	    "  --state-dir DIR             the daemon's state dir (default "
	    "./%s/)\n"
	    "  --json                      one JSON document on stdout\n"
	    "  -h, --help                  this help\n"
	    "  --version                   print the version\n"
	    "\n"
	    "Durations: 90 or 90s, 15m, 24h, 7d.  See meetopiactl(8).\n",
	    DEFAULT_CONFIG, DEFAULT_STATE);
}

/* The one-line error for a store failure; returns the exit code. */
static int
db_fail(struct ctl *c, int rc, const char *what)
{
	if (rc == DB_BUSY)
		log_fatalx("%s: %s", c->dbpath, db_errmsg(c->db));
	else if (rc == DB_NOTFOUND)
		log_fatalx("%s: not found", what);
	else if (rc == DB_INVAL || rc == DB_TOOLONG) {
		log_fatalx("%s", db_errmsg(c->db));
		return EXIT_USAGE;
	} else
		log_fatalx("%s: %s", c->dbpath, db_errmsg(c->db));
	return EXIT_RUNTIME;
}

/* ------------------------------------------------------------------ */
/* Bans. */

static void
ban_row_text(struct ctl *c, struct table *t, const struct db_ban *b)
{
	char id[24], exp[32], left[32], reason[256], target[DB_TARGET_MAX];

	snprintf(id, sizeof(id), "%lld", (long long)b->id);
	fmt_time(b->expires, exp, sizeof(exp));
	if (b->expires > c->now)
		ctl_fmt_duration(b->expires - c->now, left, sizeof(left));
	else
		strlcpy(left, "expired", sizeof(left));
	fmt_text(b->reason, 48, reason, sizeof(reason));
	fmt_text(b->target, DB_TARGET_MAX, target, sizeof(target));
	table_row(t, id, ban_kind_name(b->kind), target, exp, left, b->source,
	    reason[0] != '\0' ? reason : "-");
}

/* What a list command's callback fills: the JSON array or the table. */
struct list_ctx {
	struct ctl	*c;
	struct table	*t;
	json_t		*arr;
	size_t		 n;
};

/* The end of a list command: the store's error, the JSON array under key,
 * the line that says there is none, or the table. */
static int
list_done(struct ctl *c, struct list_ctx *x, int rc, const char *what,
    const char *key, const char *none)
{
	if (rc != DB_OK) {
		json_decref(x->arr);
		table_free(x->t);
		return db_fail(c, rc, what);
	}
	if (c->o.json)
		return print_json(json_pack("{so}", key, x->arr));
	if (x->n == 0) {
		table_free(x->t);
		printf("%s\n", none);
		return 0;
	}
	table_print(x->t);
	return 0;
}

/* The start of a list command: the JSON array, or the table's header row
 * (head: t->ncol names).  0, or the exit code. */
static int
list_begin(struct ctl *c, struct list_ctx *x, const char *const *head)
{
	if (c->o.json)
		return (x->arr = json_array()) == NULL ? EXIT_RUNTIME : 0;
	table_rowv(x->t, head);
	return 0;
}

/* The store's answer about the one object named what (a kind): 0 when
 * it is there, else the error line and the exit code. */
static int
db_found(struct ctl *c, int rc, const char *what, const char *kind)
{
	if (rc == DB_NOTFOUND) {
		log_fatalx("%s: no such %s", what, kind);
		return EXIT_RUNTIME;
	}
	if (rc != DB_OK)
		return db_fail(c, rc, what);
	return 0;
}

static int
ban_list_cb(const struct db_ban *b, void *arg)
{
	struct list_ctx *x = arg;

	x->n++;
	if (x->arr != NULL)
		return json_array_append_new(x->arr, ban_json(b, x->c->now));
	ban_row_text(x->c, x->t, b);
	return 0;
}

static int
cmd_ban_list(struct ctl *c)
{
	static const char *const head[] = { "ID", "KIND", "TARGET",
	    "EXPIRES (UTC)", "LEFT", "BY", "REASON" };
	struct table t = { .ncol = 7 };
	struct list_ctx x = { .c = c, .t = &t };
	int rc;

	if ((rc = list_begin(c, &x, head)) != 0)
		return rc;
	rc = ban_list(c->db, c->o.all, c->now, ban_list_cb, &x);
	return list_done(c, &x, rc, "ban list", "bans",
	    c->o.all ? "no bans" : "no active bans");
}

static int
cmd_ban_add(struct ctl *c)
{
	struct db_ban b;
	char dur[32], exp[32], max[32];
	int64_t secs = c->o.for_secs != 0 ? c->o.for_secs : c->cfg->ban_default;
	int rc;

	if (secs > c->cfg->ban_max) {
		ctl_fmt_duration(c->cfg->ban_max, max, sizeof(max));
		log_fatalx("--for %s: longer than ban-max (%s)",
		    c->o.for_text, max);
		return EXIT_USAGE;
	}
	if (c->o.report != 0)
		rc = db_ban_report(c->db, c->o.report, secs, c->o.reason,
		    "cli", c->now, &b);
	else
		rc = db_ban_target(c->db, c->o.target, secs,
		    c->o.reason != NULL ? c->o.reason : "", "cli", c->now, &b);
	if (rc == DB_NOTFOUND) {
		log_fatalx("report %lld: no such report",
		    (long long)c->o.report);
		return EXIT_RUNTIME;
	}
	if (rc != DB_OK)
		return db_fail(c, rc, "ban add");
	if (c->o.json)
		return print_json(json_pack("{so}", "ban", ban_json(&b,
		    c->now)));
	ctl_fmt_duration(secs, dur, sizeof(dur));
	fmt_time(b.expires, exp, sizeof(exp));
	if (b.kind == BAN_PSEUDONYM)
		printf("ban %lld: the reported party of report %lld (client "
		    "%s) for %s, until %s UTC; report %lld resolved\n",
		    (long long)b.id, (long long)b.report, b.target, dur, exp,
		    (long long)b.report);
	else
		printf("ban %lld: %s for %s, until %s UTC\n", (long long)b.id,
		    b.target, dur, exp);
	return 0;
}

static int
cmd_ban_remove(struct ctl *c)
{
	char what[48];
	int rc;

	snprintf(what, sizeof(what), "ban %lld", (long long)c->o.id);
	if ((rc = db_found(c, ban_remove(c->db, c->o.id), what, "ban")) != 0)
		return rc;
	if (c->o.json)
		return print_json(json_pack("{sI}", "removed",
		    (json_int_t)c->o.id));
	printf("%s removed\n", what);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reports. */

static int
report_list_cb(const struct db_report *r, void *arg)
{
	struct list_ctx *x = arg;
	char id[24], when[32], detail[256], against[24];
	int64_t n = 0;

	x->n++;
	if (x->arr != NULL)
		return json_array_append_new(x->arr, report_json(r));
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	fmt_time(r->created, when, sizeof(when));
	fmt_text(r->detail, 40, detail, sizeof(detail));
	/* A second statement while the list's is open: fine in sqlite. */
	report_count_against(x->c->db, r->reported, &n);
	snprintf(against, sizeof(against), "%lld", (long long)n);
	table_row(x->t, id, when, r->resolved ? "resolved" : "open",
	    r->reason, r->reported, against, detail[0] != '\0' ? detail : "-");
	return 0;
}

static int
cmd_report_list(struct ctl *c)
{
	static const char *const head[] = { "ID", "CREATED (UTC)", "STATUS",
	    "REASON", "REPORTED CLIENT", "REPORTS", "DETAIL" };
	struct table t = { .ncol = 7 };
	struct list_ctx x = { .c = c, .t = &t };
	int rc;

	if ((rc = list_begin(c, &x, head)) != 0)
		return rc;
	rc = report_list(c->db, c->o.open_only, report_list_cb, &x);
	return list_done(c, &x, rc, "report list", "reports",
	    c->o.open_only ? "no open reports" : "no reports");
}

static int
cmd_report_show(struct ctl *c)
{
	struct db_report r;
	struct db_ban b;
	char when[32], res[32], detail[DB_TEXT_MAX * 2], exp[32];
	int64_t against = 0, banid = 0;
	int rc, banned;

	if ((rc = report_get(c->db, c->o.id, &r)) == DB_NOTFOUND) {
		log_fatalx("report %lld: no such report", (long long)c->o.id);
		return EXIT_RUNTIME;
	}
	if (rc != DB_OK ||
	    (rc = report_count_against(c->db, r.reported, &against)) != DB_OK)
		return db_fail(c, rc, "report show");
	rc = ban_find_active(c->db, BAN_PSEUDONYM, r.reported, c->now, &banid);
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return db_fail(c, rc, "report show");
	banned = rc == DB_OK && ban_get(c->db, banid, &b) == DB_OK;
	if (c->o.json) {
		json_t *doc = json_pack("{so sI so}", "report", report_json(&r),
		    "reports_against", (json_int_t)against, "ban",
		    banned ? ban_json(&b, c->now) : json_null());

		return print_json(doc);
	}
	fmt_time(r.created, when, sizeof(when));
	fmt_text(r.detail, DB_TEXT_CP, detail, sizeof(detail));
	printf("report %lld\n", (long long)r.id);
	printf("  created:   %s UTC\n", when);
	if (r.resolved) {
		fmt_time(r.resolved_at, res, sizeof(res));
		printf("  status:    resolved %s UTC\n", res);
	} else
		printf("  status:    open\n");
	printf("  reason:    %s\n", r.reason);
	printf("  detail:    %s\n", detail[0] != '\0' ? detail : "-");
	printf("  reported:  client %s (%lld report%s against it)\n",
	    r.reported, (long long)against, against == 1 ? "" : "s");
	printf("  reporter:  client %s\n", r.reporter);
	if (banned) {
		fmt_time(b.expires, exp, sizeof(exp));
		printf("  ban:       %lld, until %s UTC\n", (long long)b.id, exp);
	} else
		printf("  ban:       none (meetopiactl ban add --report %lld)\n",
		    (long long)r.id);
	return 0;
}

static int
cmd_report_resolve(struct ctl *c)
{
	struct db_report r;
	char what[48];
	int rc;

	snprintf(what, sizeof(what), "report %lld", (long long)c->o.id);
	if ((rc = db_found(c, report_resolve(c->db, c->o.id, c->now), what,
	    "report")) != 0)
		return rc;
	if ((rc = report_get(c->db, c->o.id, &r)) != DB_OK)
		return db_fail(c, rc, what);
	if (c->o.json)
		return print_json(json_pack("{so}", "report", report_json(&r)));
	printf("%s resolved\n", what);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Admins. */

static json_t *
admin_json(const struct db_admin *a)
{
	return json_pack("{sI ss sI so}", "id", (json_int_t)a->id, "name",
	    a->name, "created", (json_int_t)a->created, "last_used",
	    a->last_used > 0 ? json_integer(a->last_used) : json_null());
}

static int
cmd_admin_add(struct ctl *c)
{
	char token[ADMIN_TOKEN_LEN + 1], lookup[ADMIN_LOOKUP_LEN + 1];
	char hash[ADMIN_HASH_MAX];
	struct db_admin a;
	int64_t id;
	int rc;

	if (admin_token_new(token, lookup, hash) != 0) {
		log_fatalx("admin add: cannot make a token (argon2id or the "
		    "CSPRNG failed)");
		return EXIT_RUNTIME;
	}
	rc = admin_add(c->db, c->o.name, lookup, hash, c->now, &id);
	if (rc == DB_EXISTS) {
		explicit_bzero(token, sizeof(token));
		log_fatalx("admin %s: exists already (admin remove %s first)",
		    c->o.name, c->o.name);
		return EXIT_RUNTIME;
	}
	if (rc != DB_OK) {
		explicit_bzero(token, sizeof(token));
		return db_fail(c, rc, "admin add");
	}
	memset(&a, 0, sizeof(a));
	a.id = id;
	strlcpy(a.name, c->o.name, sizeof(a.name));
	a.created = c->now;
	if (c->o.json)
		rc = print_json(json_pack("{so ss}", "admin", admin_json(&a),
		    "token", token));
	else {
		printf("admin %s added; the token is shown only now:\n%s\n",
		    a.name, token);
		rc = 0;
	}
	explicit_bzero(token, sizeof(token));
	return rc;
}

static int
admin_list_cb(const struct db_admin *a, void *arg)
{
	struct list_ctx *x = arg;
	char created[32], used[32];

	x->n++;
	if (x->arr != NULL)
		return json_array_append_new(x->arr, admin_json(a));
	fmt_time(a->created, created, sizeof(created));
	fmt_time(a->last_used, used, sizeof(used));
	table_row(x->t, a->name, created, a->last_used > 0 ? used : "never");
	return 0;
}

static int
cmd_admin_list(struct ctl *c)
{
	static const char *const head[] = { "NAME", "CREATED (UTC)",
	    "LAST USED (UTC)" };
	struct table t = { .ncol = 3 };
	struct list_ctx x = { .c = c, .t = &t };
	int rc;

	if ((rc = list_begin(c, &x, head)) != 0)
		return rc;
	rc = admin_list(c->db, admin_list_cb, &x);
	return list_done(c, &x, rc, "admin list", "admins", "no admins");
}

static int
cmd_admin_remove(struct ctl *c)
{
	char what[96];
	int rc;

	snprintf(what, sizeof(what), "admin %s", c->o.name);
	if ((rc = db_found(c, admin_remove(c->db, c->o.name), what,
	    "admin")) != 0)
		return rc;
	if (c->o.json)
		return print_json(json_pack("{ss}", "removed", c->o.name));
	printf("%s removed; the token no longer works\n", what);
	return 0;
}

/* ------------------------------------------------------------------ */

static int
cmd_purge(struct ctl *c)
{
	int64_t bans, reports;
	char ret[32];
	int rc;

	if ((rc = db_purge(c->db, c->now, c->cfg->report_retention, &bans,
	    &reports)) != DB_OK)
		return db_fail(c, rc, "purge");
	if (c->o.json)
		return print_json(json_pack("{s{sI sI}}", "purged", "bans",
		    (json_int_t)bans, "reports", (json_int_t)reports));
	ctl_fmt_duration(c->cfg->report_retention, ret, sizeof(ret));
	printf("purged %lld expired ban%s and %lld report%s older than %s\n",
	    (long long)bans, bans == 1 ? "" : "s", (long long)reports,
	    reports == 1 ? "" : "s", ret);
	return 0;
}

static int	become_db_owner(const char *);

/* ------------------------------------------------------------------ */
/* credential: a TURN REST credential signed with the first auth-secret. */

/* The signing secret: the first auth-secret, else the state dir's. */
char *
cred_secret(struct ctl *c)
{
	char path[4200], err[CFG_ERRLEN], *secret = NULL;

	if (c->cfg->auth_secret.n > 0)
		return strdup(c->cfg->auth_secret.v[0]);
	snprintf(path, sizeof(path), "%s/auth-secret", c->state_dir);
	if (access(path, F_OK) != 0) {
		log_fatalx("credential: no auth-secret in the configuration "
		    "and none in %s (start meetopiad once, or give "
		    "--state-dir)", c->state_dir);
		return NULL;
	}
	if (become_db_owner(path) != 0)
		return NULL;
	if (statedir_secret(c->state_dir, "auth-secret", 32, &secret, err,
	    sizeof(err)) != 0) {
		log_fatalx("credential: %s", err);
		return NULL;
	}
	return secret;
}

static int
cmd_credential(struct ctl *c)
{
	char user[CRED_USER_MAX], pass[CRED_PASS_MAX], exp[32], ttls[32];
	char *secret;
	int64_t ttl = c->o.ttl != 0 ? c->o.ttl : c->cfg->credential_ttl;
	int64_t expiry = c->now + ttl;
	int rc;

	if ((secret = cred_secret(c)) == NULL)
		return EXIT_RUNTIME;
	rc = cred_make(secret, c->o.cred_id, expiry, user, sizeof(user), pass,
	    sizeof(pass));
	explicit_bzero(secret, strlen(secret));
	free(secret);
	if (rc != 0) {
		log_fatalx("credential: --id %s: not a usable id (no ':', "
		    "spaces or control characters; at most %d bytes)",
		    c->o.cred_id != NULL ? c->o.cred_id : "", CRED_ID_MAX);
		return EXIT_USAGE;
	}
	if (c->o.json)
		rc = print_json(json_pack("{ss ss sI sI}", "username", user,
		    "password", pass, "ttl", (json_int_t)ttl, "expires",
		    (json_int_t)expiry));
	else {
		fmt_time(expiry, exp, sizeof(exp));
		ctl_fmt_duration(ttl, ttls, sizeof(ttls));
		printf("username: %s\npassword: %s\nexpires:  %s UTC (in "
		    "%s)\n", user, pass, exp, ttls);
		rc = 0;
	}
	explicit_bzero(pass, sizeof(pass));
	return rc;
}

/* ------------------------------------------------------------------ */

/*
 * Run as root against a database owned by the daemon's user: become that
 * user first, so that the -wal and -shm files sqlite may create stay
 * readable by the daemon.
 */
static int
become_db_owner(const char *path)
{
	struct stat sb;

	if (geteuid() != 0 || stat(path, &sb) != 0 || sb.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(sb.st_gid) != 0 ||
	    setuid(sb.st_uid) != 0) {
		log_fatalx("%s: cannot switch to its owner (uid %u): %s",
		    path, (unsigned)sb.st_uid, strerror(errno));
		return -1;
	}
	return 0;
}

static int
load_config(struct ctl *c)
{
	char err[CFG_ERRLEN], dbarg[4200];
	char *args[1];
	int nargs = 0;

	if ((c->cfg = cfg_new()) == NULL) {
		log_fatalx("configuration: out of memory");
		return -1;
	}
	if (c->o.db != NULL) {
		snprintf(dbarg, sizeof(dbarg), "--db=%s", c->o.db);
		args[nargs++] = dbarg;
	}
	if (cfg_load(c->cfg, c->o.config != NULL ? c->o.config :
	    DEFAULT_CONFIG, c->o.config != NULL, environ, nargs, args, err,
	    sizeof(err)) != 0) {
		log_fatalx("%s", err);
		return -1;
	}
	c->state_dir = c->o.state_dir;
	if (c->state_dir == NULL)
		c->state_dir = getenv("MEETOPIA_STATE_DIR");
	if (c->state_dir == NULL || *c->state_dir == '\0')
		c->state_dir = DEFAULT_STATE;
	if (c->cfg->db != NULL)
		strlcpy(c->dbpath, c->cfg->db, sizeof(c->dbpath));
	else
		snprintf(c->dbpath, sizeof(c->dbpath), "%s/meetopia.db",
		    c->state_dir);
	return 0;
}

/* What can be checked before the database is opened: exit code or 0. */
static int
precheck(struct ctl *c)
{
	char canon[DB_TARGET_MAX], clean[DB_TEXT_MAX], max[32];
	enum ban_kind kind;
	int rc;

	if (c->o.cmd != CTL_BAN_ADD)
		return 0;
	if (c->o.for_secs > c->cfg->ban_max) {
		ctl_fmt_duration(c->cfg->ban_max, max, sizeof(max));
		log_fatalx("--for %s: longer than ban-max (%s)",
		    c->o.for_text, max);
		return EXIT_USAGE;
	}
	if (c->o.target != NULL && ban_parse_target(c->o.target, &kind, canon,
	    sizeof(canon)) != DB_OK) {
		log_fatalx("%.100s: not an IP address, CIDR range or A-B "
		    "range", c->o.target);
		return EXIT_USAGE;
	}
	if (c->o.reason != NULL && (rc = db_text_clean(c->o.reason,
	    strlen(c->o.reason), DB_TEXT_CP, clean, sizeof(clean))) !=
	    DB_OK) {
		log_fatalx("--reason: %s", rc == DB_TOOLONG ? "longer than "
		    "200 characters" : "not valid UTF-8");
		return EXIT_USAGE;
	}
	return 0;
}

/* Opens the database as its owner and runs a command on it: exit code. */
static int
run_db_command(struct ctl *c)
{
	char oerr[512];

	if (become_db_owner(c->dbpath) != 0)
		return EXIT_RUNTIME;
	if ((c->db = db_open(c->dbpath, 0, DB_BUSY_MS, oerr, sizeof(oerr))) ==
	    NULL) {
		log_fatalx("%s", oerr);
		return EXIT_RUNTIME;
	}
	switch (c->o.cmd) {
	case CTL_BAN_ADD:
		return cmd_ban_add(c);
	case CTL_BAN_LIST:
		return cmd_ban_list(c);
	case CTL_BAN_REMOVE:
		return cmd_ban_remove(c);
	case CTL_REPORT_LIST:
		return cmd_report_list(c);
	case CTL_REPORT_SHOW:
		return cmd_report_show(c);
	case CTL_REPORT_RESOLVE:
		return cmd_report_resolve(c);
	case CTL_ADMIN_ADD:
		return cmd_admin_add(c);
	case CTL_ADMIN_LIST:
		return cmd_admin_list(c);
	case CTL_ADMIN_REMOVE:
		return cmd_admin_remove(c);
	case CTL_PURGE:
		return cmd_purge(c);
	default:
		log_fatalx("internal error: command %d", c->o.cmd);
		return EXIT_RUNTIME;
	}
}

int
main(int argc, char **argv)
{
	struct ctl c;
	char err[CTL_ERRLEN];
	int rc;

	memset(&c, 0, sizeof(c));
	log_init("meetopiactl", LOG_LEVEL_WARN);
	/* A full disk or a file size limit is an error message, not a
	 * signal that kills us in the middle of a transaction. */
	signal(SIGXFSZ, SIG_IGN);
	if (ctl_parse(argc, argv, &c.o, err, sizeof(err)) != 0) {
		log_fatalx("%s", err);
		return EXIT_USAGE;
	}
	if (c.o.cmd == CTL_HELP) {
		usage(stdout);
		return 0;
	}
	if (c.o.cmd == CTL_VERSION) {
		printf("meetopiactl %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (load_config(&c) != 0) {
		cfg_free(c.cfg);
		return EXIT_USAGE;
	}
	log_set_level(LOG_LEVEL_WARN);
	c.now = (int64_t)time(NULL);
	if ((rc = precheck(&c)) != 0)
		goto out;

	switch (c.o.cmd) {
	case CTL_STATS:
		rc = cmd_stats(&c);
		goto out;
	case CTL_CREDENTIAL:
		rc = cmd_credential(&c);
		goto out;
	case CTL_NODES:
		rc = cmd_nodes(&c);
		goto out;
	case CTL_DRAIN:
		rc = cmd_drain(&c);
		goto out;
	default:
		break;
	}

	rc = run_db_command(&c);
out:
	db_close(c.db);
	cfg_free(c.cfg);
	if (fflush(stdout) != 0 && rc == 0) {
		log_fatalx("stdout: %s", strerror(errno));
		rc = EXIT_RUNTIME;
	}
	return rc;
}
