/*
 * test_mdb.c - the daemon's side of the store (db/mdb.c): the ban cache
 * and its refresh from other writers, reports committed before their
 * callback (and surviving SIGKILL right after it), the auto-ban rule with
 * its security event, the admin API on the writer thread, purge at start,
 * concurrent writers, and a scan of the database files for clear addresses.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth/admin_token.h"
#include "common/config.h"
#include "common/metrics.h"
#include "common/secevent.h"
#include "db/db.h"
#include "tests/tap.h"

static char dir[] = "/tmp/test_mdb.XXXXXX";
static char path[512], seclog[512];

/* What meetopiad holds and gives the store. */
struct test_daemon {
	struct event_base	*base;
	struct config		*cfg;
	const char		*state_dir;
	struct metrics		 metrics;
	struct secevent_log	*seclog;
	struct mdb		*db;
};

struct test_daemon d;

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Runs the loop until pred(arg) holds or timeout_ms passes; the time it
 * took in ms, or -1. */
static double
run_until(int (*pred)(void *), void *arg, double timeout_ms)
{
	double t0 = now_ms();

	for (;;) {
		event_base_loop(d.base, EVLOOP_NONBLOCK);
		if (pred(arg))
			return now_ms() - t0;
		if (now_ms() - t0 > timeout_ms)
			return -1;
		usleep(5000);
	}
}

static struct maddr
A(const char *s)
{
	struct maddr a;

	memset(&a, 0, sizeof(a));
	if (addr_parse(s, &a) != 0)
		printf("# bad address %s\n", s);
	return a;
}

struct banned_arg {
	const char	*ip;
	int		 want;
};

static int
banned_pred(void *arg)
{
	struct banned_arg *b = arg;
	struct maddr a = A(b->ip);

	return mdb_is_banned(d.db, &a) == b->want;
}

static int hook_calls;
static void *cancel_in_hook;	/* the hook frees this "session" */

static void
ban_hook(void *arg)
{
	hook_calls++;
	if (cancel_in_hook != NULL) {
		mdb_cancel(d.db, cancel_in_hook);
		cancel_in_hook = NULL;
	}
}

static int
hook_pred(void *arg)
{
	return hook_calls >= *(int *)arg;
}

struct rep {
	int		 done;
	int64_t		 id;
};

static void
report_cb(void *arg, int64_t id)
{
	struct rep *r = arg;

	r->done++;
	r->id = id;
}

static int
rep_pred(void *arg)
{
	return ((struct rep *)arg)->done > 0;
}

static struct db *
other(void)
{
	char err[512];
	struct db *db = db_open(path, 0, DB_BUSY_MS, err, sizeof(err));

	if (db == NULL)
		printf("# %s\n", err);
	return db;
}

static char *
slurp(const char *p, size_t *len)
{
	FILE *fp;
	char *buf = NULL;
	long n;

	*len = 0;
	if ((fp = fopen(p, "rb")) == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) !=
	    NULL && fread(buf, 1, (size_t)n, fp) == (size_t)n)
		*len = (size_t)n;
	fclose(fp);
	return buf;
}

static int
has(const char *buf, size_t len, const void *needle, size_t n)
{
	size_t i;

	if (buf == NULL || n == 0 || n > len)
		return 0;
	for (i = 0; i + n <= len; i++)
		if (memcmp(buf + i, needle, n) == 0)
			return 1;
	return 0;
}

static void
test_cache(void)
{
	struct banned_arg ba;
	struct db *o = other();
	struct db_ban b, pb;
	struct maddr a;
	char ps[PSEUDONYM_LEN + 1];
	double ms;
	int want;

	a = A("203.0.113.7");
	ok(!mdb_is_banned(d.db, &a), "not banned at first");

	/* A ban from another connection (what meetopiactl does). */
	ok(db_ban_target(o, "203.0.113.7", 3600, "t", "cli", time(NULL), &b) ==
	    DB_OK, "ban added by another connection");
	ba.ip = "203.0.113.7";
	ba.want = 1;
	ms = run_until(banned_pred, &ba, 3000);
	ok(ms >= 0 && ms < 2000, "the daemon's cache has it within 2 s "
	    "(%.0f ms)", ms);
	want = 1;
	ok(run_until(hook_pred, &want, 1000) >= 0 && hook_calls == 1,
	    "the ban hook was called once");
	a = A("::ffff:203.0.113.7");
	ok(mdb_is_banned(d.db, &a), "the IPv4-mapped form is banned too");
	a = A("203.0.113.8");
	ok(!mdb_is_banned(d.db, &a), "the next address is not");

	ok(ban_remove(o, b.id) == DB_OK, "ban lifted by another connection");
	ba.want = 0;
	ms = run_until(banned_pred, &ba, 3000);
	ok(ms >= 0 && ms < 2000, "admitted again within 2 s (%.0f ms)", ms);
	is_int(hook_calls, 1, "lifting a ban does not call the hook");

	/* Ranges. */
	db_ban_target(o, "10.1.0.0/16", 3600, "", "cli", time(NULL), &b);
	db_ban_target(o, "2001:db8:aa::/48", 3600, "", "cli", time(NULL), &b);
	ba.ip = "10.1.200.3";
	ba.want = 1;
	ok(run_until(banned_pred, &ba, 3000) >= 0, "an address in a banned "
	    "IPv4 range is banned");
	a = A("10.2.0.1");
	ok(!mdb_is_banned(d.db, &a), "one outside is not");
	a = A("2001:db8:aa:1::5");
	ok(mdb_is_banned(d.db, &a), "an address in a banned IPv6 range is "
	    "banned");
	a = A("2001:db8:ab::5");
	ok(!mdb_is_banned(d.db, &a), "one outside is not");
	want = 2;
	ok(run_until(hook_pred, &want, 1000) >= 0, "the hook was called for "
	    "the new bans");

	/* A pseudonym ban (from a report) covers the client IP: the IPv6
	 * /64. */
	a = A("2001:db8:77:1::1");
	mdb_pseudonym(d.db, &a, ps);
	memset(&pb, 0, sizeof(pb));
	pb.kind = BAN_PSEUDONYM;
	strlcpy(pb.target, ps, sizeof(pb.target));
	strlcpy(pb.source, "cli", sizeof(pb.source));
	pb.created = time(NULL);
	pb.expires = pb.created + 3600;
	ok(ban_add(o, &pb) == DB_OK, "pseudonym ban added");
	ba.ip = "2001:db8:77:1:ffff::9";
	ba.want = 1;
	ok(run_until(banned_pred, &ba, 3000) >= 0, "another address of the "
	    "same /64 is banned by pseudonym");
	a = A("2001:db8:77:2::1");
	ok(!mdb_is_banned(d.db, &a), "another /64 is not");

	/* Expiry is checked at lookup: no refresh needed. */
	db_ban_target(o, "192.0.2.99", 3, "", "cli", time(NULL), &b);
	ba.ip = "192.0.2.99";
	ba.want = 1;
	ok(run_until(banned_pred, &ba, 3000) >= 0, "short ban active");
	ba.want = 0;
	ms = run_until(banned_pred, &ba, 5000);
	ok(ms >= 0, "and over when it expires (%.0f ms later)", ms);
	db_close(o);
}

static void
test_reports(void)
{
	struct maddr r1 = A("198.51.100.23"), r2 = A("198.51.100.24"),
	    r3 = A("2001:db8:1:2::77"), bad = A("192.0.2.66");
	struct db *o;
	struct db_report rr;
	struct rep rep;
	char p_bad[PSEUDONYM_LEN + 1], p_r1[PSEUDONYM_LEN + 1], big[300];
	int64_t n;
	double ms;

	is_int(mdb_report_submit(d.db, &r1, &bad, "insult", NULL, report_cb,
	    &rep), DB_INVAL, "an unknown reason is refused at once");
	memset(big, 'x', 201);
	big[201] = '\0';
	is_int(mdb_report_submit(d.db, &r1, &bad, "spam", big, report_cb,
	    &rep), DB_TOOLONG, "a detail past 200 characters is refused");
	is_int(mdb_report_submit(d.db, &r1, &bad, "spam", "\xc0\x80",
	    report_cb, &rep), DB_INVAL, "invalid UTF-8 is refused");

	memset(&rep, 0, sizeof(rep));
	ok(mdb_report_submit(d.db, &r1, &bad, "abuse", "said bad things",
	    report_cb, &rep) == DB_OK, "report submitted");
	ok(rep.done == 0, "the callback does not run before the loop does");
	ms = run_until(rep_pred, &rep, 5000);
	ok(ms >= 0 && rep.id > 0, "callback with id %lld after %.1f ms",
	    (long long)rep.id, ms);
	o = other();
	mdb_pseudonym(d.db, &bad, p_bad);
	mdb_pseudonym(d.db, &r1, p_r1);
	ok(report_get(o, rep.id, &rr) == DB_OK && strcmp(rr.reported, p_bad)
	    == 0 && strcmp(rr.reporter, p_r1) == 0 &&
	    strcmp(rr.detail, "said bad things") == 0 &&
	    strcmp(rr.reason, "abuse") == 0,
	    "committed, with pseudonyms for both parties");

	/* Cancelled callbacks: the report is still filed. */
	memset(&rep, 0, sizeof(rep));
	mdb_report_submit(d.db, &r2, &bad, "spam", NULL, report_cb, &rep);
	mdb_cancel(d.db, &rep);
	{
		struct rep probe = { 0 };

		mdb_report_submit(d.db, &r2, &r1, "other", NULL, report_cb,
		    &probe);
		run_until(rep_pred, &probe, 5000);
	}
	ok(rep.done == 0, "a cancelled callback is not called");
	if (report_count_against(o, p_bad, &n) != DB_OK)
		n = -1;
	ok(n == 2, "but the report was filed (%lld against the party)",
	    (long long)n);

	/* Third distinct reporter: auto-ban (auto-ban-reports = 3). */
	hook_calls = 0;
	memset(&rep, 0, sizeof(rep));
	ok(!mdb_is_banned(d.db, &bad), "not banned after two reporters");
	mdb_report_submit(d.db, &r3, &bad, "nudity", NULL, report_cb, &rep);
	ok(run_until(rep_pred, &rep, 5000) >= 0 && rep.id > 0,
	    "third report acknowledged");
	ok(mdb_is_banned(d.db, &bad), "auto-banned by the time the third "
	    "report is acknowledged");
	ok(hook_calls == 1, "the ban hook was called");
	{
		size_t len;
		char *log = slurp(seclog, &len);

		ok(has(log, len, "\"event\":\"auto_ban\"", 18) &&
		    has(log, len, p_bad, PSEUDONYM_LEN) &&
		    has(log, len, "\"severity\":\"high\"", 17),
		    "a security event names the pseudonym, severity high");
		ok(!has(log, len, "192.0.2.66", 10) &&
		    !has(log, len, "198.51.100", 10),
		    "and no clear address");
		free(log);
	}

	/* The ban hook closes the very session whose report caused the
	 * auto-ban: its callback must not run afterwards. */
	{
		struct maddr v = A("192.0.2.67"), q;
		struct rep reps[3];
		int i;

		memset(reps, 0, sizeof(reps));
		for (i = 0; i < 3; i++) {
			q = A("203.0.113.200");
			q.ip[3] = (uint8_t)(200 + i);
			if (i == 2)
				cancel_in_hook = &reps[2];
			mdb_report_submit(d.db, &q, &v, "spam", NULL, report_cb,
			    &reps[i]);
			if (i < 2)
				run_until(rep_pred, &reps[i], 5000);
		}
		run_until(banned_pred, &(struct banned_arg){ "192.0.2.67", 1 },
		    5000);
		usleep(100 * 1000);
		event_base_loop(d.base, EVLOOP_NONBLOCK);
		ok(mdb_is_banned(d.db, &v) && reps[2].done == 0 &&
		    cancel_in_hook == NULL, "a callback cancelled from the ban "
		    "hook during its own delivery is not called");
	}
	db_close(o);
}

/* A report acknowledged by its callback survives SIGKILL right after. */
static void
test_kill9(void)
{
	int fds[2], status;
	pid_t pid;
	int64_t id = 0;
	struct db *o;
	struct db_report rr;

	if (pipe(fds) != 0)
		return;
	if ((pid = fork()) == 0) {
		struct test_daemon cd;
		char err[512];
		struct maddr a = A("198.51.100.50"), b = A("198.51.100.51");
		struct rep rep = { 0 };

		close(fds[0]);
		memset(&cd, 0, sizeof(cd));
		cd.base = event_base_new();
		cd.cfg = d.cfg;
		cd.state_dir = dir;
		if (cd.base == NULL || (cd.db = mdb_open(cd.base, cd.cfg,
		    cd.seclog, cd.state_dir, err, sizeof(err))) == NULL)
			_exit(2);
		mdb_report_submit(cd.db, &a, &b, "underage", "kill -9 test",
		    report_cb, &rep);
		while (rep.done == 0)
			event_base_loop(cd.base, EVLOOP_ONCE);
		/* The acknowledgement goes out, then the process dies. */
		if (write(fds[1], &rep.id, sizeof(rep.id)) != sizeof(rep.id))
			_exit(3);
		raise(SIGKILL);
		_exit(4);
	}
	close(fds[1]);
	if (read(fds[0], &id, sizeof(id)) != sizeof(id))
		id = -1;
	ok(id > 0, "child acknowledged report %lld", (long long)id);
	close(fds[0]);
	ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGKILL, "and was killed with SIGKILL");
	o = other();
	ok(o != NULL && report_get(o, id, &rr) == DB_OK &&
	    strcmp(rr.detail, "kill -9 test") == 0,
	    "the acknowledged report is in the database");
	db_close(o);
}

struct adm {
	int		 done;
	int		 status;
	char		 json[2048];
	int		 retry;
};

static void
admin_cb(void *arg, int status, const char *json, int retry)
{
	struct adm *a = arg;

	a->done++;
	a->status = status;
	strlcpy(a->json, json != NULL ? json : "", sizeof(a->json));
	a->retry = retry;
}

static int
adm_pred(void *arg)
{
	return ((struct adm *)arg)->done > 0;
}

static void
test_admin(void)
{
	char tok[ADMIN_TOKEN_LEN + 1], look[ADMIN_LOOKUP_LEN + 1];
	char hash[ADMIN_HASH_MAX], authz[128];
	struct maddr client = A("127.0.0.1"), tgt = A("192.0.2.77");
	const char *body = "{\"target\":\"192.0.2.77\",\"for\":\"1h\"}";
	struct db *o = other();
	struct adm a;
	int64_t id;

	admin_token_new(tok, look, hash);
	admin_add(o, "carol", look, hash, time(NULL), &id);
	snprintf(authz, sizeof(authz), "Bearer %s", tok);

	memset(&a, 0, sizeof(a));
	ok(mdb_admin_request(d.db, "GET", "/admin/v1/bans", authz, NULL, 0,
	    &client, admin_cb, &a) == DB_OK, "admin request queued");
	ok(run_until(adm_pred, &a, 5000) >= 0 && a.status == 200 &&
	    strstr(a.json, "\"bans\":[") != NULL, "GET bans: 200 with a list");

	memset(&a, 0, sizeof(a));
	mdb_admin_request(d.db, "POST", "/admin/v1/bans", authz, body,
	    strlen(body), &client, admin_cb, &a);
	ok(run_until(adm_pred, &a, 5000) >= 0 && a.status == 201,
	    "POST bans: 201 %s", a.json);
	ok(mdb_is_banned(d.db, &tgt), "banned by the time the API answers");

	memset(&a, 0, sizeof(a));
	mdb_admin_request(d.db, "GET", "/admin/v1/bans", "Bearer nope", NULL,
	    0, &client, admin_cb, &a);
	ok(run_until(adm_pred, &a, 5000) >= 0 && a.status == 401,
	    "a bad token: 401");
	db_close(o);
}

static void
test_concurrent(void)
{
	enum { KIDS = 3, EACH = 30, REPORTS = 60 };
	struct maddr r = A("198.51.100.90"), t = A("198.51.100.91");
	struct rep reps[REPORTS];
	pid_t pids[KIDS];
	int i, k, status, allok = 1, acked = 0;
	struct db *o;
	int64_t before, after, b, ro, a;

	o = other();
	db_counts(o, time(NULL), &b, &ro, &before, &a);
	memset(reps, 0, sizeof(reps));
	for (k = 0; k < KIDS; k++) {
		if ((pids[k] = fork()) == 0) {
			char err[512], tg[64];
			struct db *c = db_open(path, 0, DB_BUSY_MS, err,
			    sizeof(err));
			struct db_ban bb;

			if (c == NULL)
				_exit(2);
			for (i = 0; i < EACH; i++) {
				snprintf(tg, sizeof(tg), "172.16.%d.%d", k, i);
				if (db_ban_target(c, tg, 600, "", "cli",
				    time(NULL), &bb) != DB_OK)
					_exit(3);
			}
			db_close(c);
			_exit(0);
		}
	}
	for (i = 0; i < REPORTS; i++) {
		r.ip[3] = (uint8_t)(100 + i % 2);
		mdb_report_submit(d.db, &r, &t, "spam", NULL, report_cb,
		    &reps[i]);
		event_base_loop(d.base, EVLOOP_NONBLOCK);
	}
	for (k = 0; k < KIDS; k++)
		if (waitpid(pids[k], &status, 0) != pids[k] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			allok = 0;
	ok(allok, "%d writer processes added %d bans each while the daemon "
	    "filed reports", KIDS, EACH);
	run_until(rep_pred, &reps[REPORTS - 1], 10000);
	for (i = 0; i < REPORTS; i++)
		acked += reps[i].done == 1 && reps[i].id > 0;
	is_int(acked, REPORTS, "every report was acknowledged with an id");
	db_counts(o, time(NULL), &b, &ro, &after, &a);
	is_int(after - before, REPORTS, "and every report is in the database");
	ok(run_until(banned_pred, &(struct banned_arg){ "172.16.2.29", 1 },
	    3000) >= 0, "the daemon sees the other writers' bans");
	db_close(o);
}

/* Figures: report commit latency (synchronous=FULL, on the writer
 * thread) and lookup cost with a realistic number of bans. */
static void
test_figures(void)
{
	enum { N = 40, IPS = 2000, RANGES = 50, PS = 200, LOOKUPS = 20000 };
	struct maddr r = A("198.51.100.120"), t = A("198.51.100.121"), a;
	struct rep rep;
	double lat[N], t0, sum = 0, worst = 0, per;
	struct db *o = other();
	struct db_ban b;
	char tg[64];
	int i, hits = 0;

	for (i = 0; i < N; i++) {
		memset(&rep, 0, sizeof(rep));
		t0 = now_ms();
		mdb_report_submit(d.db, &r, &t, "other", NULL, report_cb, &rep);
		while (rep.done == 0)
			event_base_loop(d.base, EVLOOP_ONCE);
		lat[i] = now_ms() - t0;
		sum += lat[i];
		if (lat[i] > worst)
			worst = lat[i];
	}
	printf("# report submit -> committed -> callback: mean %.2f ms, "
	    "worst %.2f ms (%d reports)\n", sum / N, worst, N);
	ok(worst < 1000, "no report took a second to commit");

	db_begin(o);
	for (i = 0; i < IPS; i++) {
		snprintf(tg, sizeof(tg), "100.64.%d.%d", i / 250, i % 250 + 1);
		db_ban_target(o, tg, 3600, "", "cli", time(NULL), &b);
	}
	for (i = 0; i < RANGES; i++) {
		snprintf(tg, sizeof(tg), "100.%d.0.0/16", 65 + i);
		db_ban_target(o, tg, 3600, "", "cli", time(NULL), &b);
	}
	for (i = 0; i < PS; i++) {
		memset(&b, 0, sizeof(b));
		b.kind = BAN_PSEUDONYM;
		snprintf(b.target, sizeof(b.target), "%032x", i);
		strlcpy(b.source, "cli", sizeof(b.source));
		b.created = time(NULL);
		b.expires = b.created + 3600;
		ban_add(o, &b);
	}
	db_commit(o);
	db_close(o);
	t0 = now_ms();
	ok(run_until(banned_pred, &(struct banned_arg){ "100.64.7.250", 1 },
	    3000) >= 0, "%d bans loaded", IPS + RANGES + PS);
	printf("# cache refresh with %zu bans seen after %.0f ms\n",
	    mdb_active_bans(d.db), now_ms() - t0);
	a = A("100.200.0.1");
	t0 = now_ms();
	for (i = 0; i < LOOKUPS; i++) {
		a.ip[3] = (uint8_t)i;
		hits += mdb_is_banned(d.db, &a);
	}
	per = (now_ms() - t0) * 1000.0 / LOOKUPS;
	printf("# mdb_is_banned, a miss through %d addresses, %d ranges and "
	    "%d pseudonyms: %.2f us\n", IPS, RANGES, PS, per);
	/* A guard against gross regressions only (a query per lookup, a
	 * scan of every ban): the figure itself is printed above. */
	ok(hits == 0 && per < 2000, "a lookup stays cheap (%.2f us)", per);
}

static void
test_scan(void)
{
	static const char *const files[] = { "", "-wal", "-shm" };
	static const uint8_t v4[] = { 198, 51, 100, 23 };
	static const uint8_t v6[] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2 };
	char p[600];
	size_t i, len;
	char *buf;
	int clean = 1, any = 0;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, files[i]);
		if ((buf = slurp(p, &len)) == NULL)
			continue;
		any++;
		if (has(buf, len, "198.51.100.23", 13) ||
		    has(buf, len, "198.51.100.24", 13) ||
		    has(buf, len, "2001:db8:1:2", 12) ||
		    has(buf, len, v4, 4) || has(buf, len, v6, 8) ||
		    has(buf, len, "192.0.2.66", 10)) {
			printf("# %s holds a reporter's address\n", p);
			clean = 0;
		}
		free(buf);
	}
	ok(any >= 1 && clean, "no clear address of a reporter or reported "
	    "client in the database files (%d scanned)", any);
}

static void
test_purge_at_start(void)
{
	struct db *o = other();
	struct db_ban b;
	int64_t id, bans, ro, reports, a;
	char err[512];

	db_ban_target(o, "192.0.2.200", 10, "", "cli", 1000, &b);
	report_add(o, "00000000000000000000000000000001",
	    "00000000000000000000000000000002", REPORT_SPAM, "",
	    time(NULL) - 31 * 86400, &id);
	db_close(o);
	mdb_close(d.db);
	d.db = mdb_open(d.base, d.cfg, d.seclog, d.state_dir, err,
	    sizeof(err));
	ok(d.db != NULL, "reopened");
	usleep(300 * 1000);
	event_base_loop(d.base, EVLOOP_NONBLOCK);
	o = other();
	ok(ban_get(o, b.id, &b) == DB_NOTFOUND, "an expired ban is purged at "
	    "start");
	ok(report_get(o, id, &(struct db_report){ 0 }) == DB_NOTFOUND,
	    "a report older than report-retention is purged at start");
	db_counts(o, time(NULL), &bans, &ro, &reports, &a);
	ok(reports > 0, "recent reports stay (%lld)", (long long)reports);
	db_close(o);
}

int
main(void)
{
	char err[512], cmd[600];
	int want = 0;

	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/meetopia.db", dir);
	snprintf(seclog, sizeof(seclog), "%s/security.log", dir);
	memset(&d, 0, sizeof(d));
	log_init("test_mdb", LOG_LEVEL_WARN);
	d.base = event_base_new();
	d.cfg = cfg_new();
	d.state_dir = dir;
	metrics_init(&d.metrics);
	if (d.base == NULL || d.cfg == NULL || cfg_set(d.cfg, CFG_SRC_DEFAULT,
	    0, "db", path, err, sizeof(err)) != 0)
		return 1;
	d.seclog = secevent_open(seclog, &d.metrics, err, sizeof(err));
	d.db = mdb_open(d.base, d.cfg, d.seclog, d.state_dir, err,
	    sizeof(err));
	if (!ok(d.db != NULL, "mdb_open: %s", d.db == NULL ? err : "ok"))
		return done_testing();
	is_int(mdb_active_bans(d.db), 0, "an empty cache");
	mdb_set_ban_hook(d.db, ban_hook, NULL);
	(void)want;

	test_cache();
	test_reports();
	test_kill9();
	test_admin();
	test_concurrent();
	test_purge_at_start();
	test_figures();
	test_scan();		/* while open: db, -wal and -shm */
	mdb_close(d.db);
	d.db = NULL;
	test_scan();

	secevent_close(d.seclog);
	cfg_free(d.cfg);
	event_base_free(d.base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
