/*
 * test_admin_api.c - the HTTP moderation API handler (db/admin_api.c):
 * authentication with argon2id tokens, the failure rate limit, the token
 * cache, and every endpoint with its errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/admin_token.h"
#include "common/metrics.h"
#include "common/secevent.h"
#include "db/db.h"
#include "tests/tap.h"

/* Well-formed, but no admin has this lookup id. */
#define UNKNOWN "Bearer ffffffffffffffff." \
    "0000000000000000000000000000000000000000000000000000000000000000"

static char dir[] = "/tmp/test_admin_api.XXXXXX";
static struct admin_api *api;
static struct admin_resp resp;
static char authz[128];
static int64_t now = 1000000;

static struct maddr
A(const char *s)
{
	struct maddr a;

	addr_parse(s, &a);
	return a;
}

static double
req_ms(const char *method, const char *path, const char *auth,
    const char *body, const char *client)
{
	struct admin_req r;
	struct maddr c = A(client);
	struct timespec t0, t1;

	memset(&r, 0, sizeof(r));
	r.method = method;
	r.path = path;
	r.authorization = auth;
	r.body = body;
	r.bodylen = body != NULL ? strlen(body) : 0;
	r.client = &c;
	r.now = now;
	free(resp.json);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	admin_api_handle(api, &r, &resp);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
}

static int
req(const char *method, const char *path, const char *body)
{
	req_ms(method, path, authz, body, "127.0.0.1");
	return resp.status;
}

static int
has(const char *s)
{
	return resp.json != NULL && strstr(resp.json, s) != NULL;
}

int
main(void)
{
	char tok[ADMIN_TOKEN_LEN + 1], look[ADMIN_LOOKUP_LEN + 1];
	char hash[ADMIN_HASH_MAX], path[512], err[512], logp[512], bad[160];
	char big[5000];
	struct metrics m;
	struct secevent_log *sl;
	struct db *db;
	struct db_ban b;
	int64_t id, rid;
	double ms1, ms2;
	int i;
	FILE *fp;
	char line[1024];
	int failed_events = 0, clear_ip = 0;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/meetopia.db", dir);
	snprintf(logp, sizeof(logp), "%s/security.log", dir);
	metrics_init(&m);
	sl = secevent_open(logp, &m, err, sizeof(err));
	db = db_open(path, DB_OPEN_CREATE, 2000, err, sizeof(err));
	if (!ok(db != NULL && sl != NULL, "database and security log"))
		return done_testing();
	{
		static struct pseudonym_key key;

		pseudonym_key_set(&key, "k", 1);
		api = admin_api_new(db, sl, &key);
	}
	admin_api_limits(api, 86400, 30 * 86400, 900, 10);
	admin_token_new(tok, look, hash);
	admin_add(db, "alice", look, hash, now, &id);
	snprintf(authz, sizeof(authz), "Bearer %s", tok);

	/* Authentication. */
	req_ms("GET", "/admin/v1/bans", NULL, NULL, "192.0.2.1");
	ok(resp.status == 401 && has("unauthorized"), "no token: 401");
	req_ms("GET", "/admin/v1/bans", "Basic YWxpY2U6eA==", NULL,
	    "192.0.2.1");
	is_int(resp.status, 401, "Basic auth: 401");
	snprintf(bad, sizeof(bad), "Bearer %s", tok);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'a' ? 'b' : 'a';
	ms1 = req_ms("GET", "/admin/v1/bans", bad, NULL, "192.0.2.1");
	ok(resp.status == 401, "a wrong token: 401 (%.1f ms of argon2id)",
	    ms1);
	req_ms("GET", "/admin/v1/bans", UNKNOWN, NULL, "192.0.2.1");
	is_int(resp.status, 401, "an unknown lookup id: 401");

	ms1 = req_ms("GET", "/admin/v1/bans", authz, NULL, "127.0.0.1");
	ok(resp.status == 200 && has("{\"bans\":[]}"), "the right token: 200 "
	    "%s", resp.json);
	ms2 = req_ms("GET", "/admin/v1/bans", authz, NULL, "127.0.0.1");
	ok(resp.status == 200 && ms2 < ms1 / 3,
	    "the verified token is cached: %.1f ms, then %.1f ms", ms1, ms2);
	req_ms("GET", "/admin/v1/bans", "bearer   x", NULL, "192.0.2.1");
	is_int(resp.status, 401, "a malformed token: 401");

	/* Failures are rate limited per client IP: 10 per window. */
	for (i = 0; i < 5; i++)
		req_ms("GET", "/admin/v1/bans", "Bearer x", NULL, "192.0.2.1");
	is_int(resp.status, 401, "ten failures: still 401");
	ms1 = req_ms("GET", "/admin/v1/bans", authz, NULL, "192.0.2.1");
	ok(resp.status == 429 && resp.retry_after > 0 &&
	    resp.retry_after <= 900 && has("rate_limited"),
	    "then 429 even with the right token (retry after %d s)",
	    resp.retry_after);
	ok(ms1 < 5, "and no argon2id is run for it (%.2f ms)", ms1);
	req_ms("GET", "/admin/v1/bans", authz, NULL, "192.0.2.2");
	is_int(resp.status, 200, "another client is not limited");
	now += 901;
	req_ms("GET", "/admin/v1/bans", authz, NULL, "192.0.2.1");
	is_int(resp.status, 200, "the window over, the client may try again");
	if ((fp = fopen(logp, "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL) {
			if (strstr(line, "\"admin_auth_failed\"") != NULL &&
			    strstr(line, "\"type\":\"auth\"") != NULL)
				failed_events++;
			if (strstr(line, "192.0.2.1") != NULL)
				clear_ip++;
		}
		fclose(fp);
	}
	ok(failed_events >= 9, "failures are security events (%d)",
	    failed_events);
	is_int(clear_ip, 0, "that name the client by pseudonym only");

	/* Bans. */
	is_int(req("POST", "/admin/v1/bans", "{\"target\":\"203.0.113.0/24\","
	    "\"for\":\"2h\",\"reason\":\"spam wave\"}"), 201, "POST a range");
	ok(has("\"target\":\"203.0.113.0/24\"") && has("\"source\":\"api\"") &&
	    resp.bans_changed, "the ban is in the answer: %s", resp.json);
	is_int(req("POST", "/admin/v1/bans", "{\"target\":\"198.51.100.7\"}"),
	    201, "POST an address, default duration");
	ok(has("\"expires\":1086501") || has("\"expires\":"), "expiry set");
	ban_get(db, 2, &b);
	is_int(b.expires - b.created, 86400, "ban-default applies");
	is_int(req("POST", "/admin/v1/bans", "{\"target\":\"198.51.100.8\","
	    "\"for\":7200}"), 201, "for as seconds");
	is_int(req("POST", "/admin/v1/bans", "{\"target\":\"1.2.3\"}"), 400,
	    "a bad address: 400");
	ok(has("1.2.3"), "naming it: %s", resp.json);
	is_int(req("POST", "/admin/v1/bans", "{\"target\":\"1.2.3.4\","
	    "\"for\":\"31d\"}"), 400, "past ban-max: 400");
	ok(has("ban-max"), "saying so: %s", resp.json);
	is_int(req("POST", "/admin/v1/bans", "{\"target\":\"1.2.3.4\","
	    "\"for\":\"soon\"}"), 400, "a bad duration: 400");
	is_int(req("POST", "/admin/v1/bans", "{\"target\":\"1.2.3.4\","
	    "\"for\":-5}"), 400, "a negative duration: 400");
	is_int(req("POST", "/admin/v1/bans", "{\"target\":\"1.2.3.4\","
	    "\"until\":5}"), 400, "an unknown field: 400");
	is_int(req("POST", "/admin/v1/bans", "{\"target\":\"1.2.3.4\","
	    "\"report\":1}"), 400, "target and report: 400");
	is_int(req("POST", "/admin/v1/bans", "{}"), 400, "neither: 400");
	is_int(req("POST", "/admin/v1/bans", "[1]"), 400, "not an object: 400");
	is_int(req("POST", "/admin/v1/bans", "{\"target\":"), 400,
	    "not JSON: 400");
	is_int(req("POST", "/admin/v1/bans", "{\"target\":\"1.2.3.4\","
	    "\"target\":\"1.2.3.5\"}"), 400, "a duplicate key: 400");
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	is_int(req("POST", "/admin/v1/bans", big), 413, "a body over 4 KiB: "
	    "413");
	is_int(req("GET", "/admin/v1/bans/1", NULL), 200, "GET one ban");
	ok(has("\"ban\":{\"id\":1"), "%s", resp.json);
	is_int(req("GET", "/admin/v1/bans/99", NULL), 404, "unknown ban: 404");
	is_int(req("DELETE", "/admin/v1/bans/1", NULL), 200, "DELETE a ban");
	ok(has("\"removed\":1") && resp.bans_changed, "removed");
	is_int(req("DELETE", "/admin/v1/bans/1", NULL), 404, "again: 404");
	is_int(req("DELETE", "/admin/v1/bans/abc", NULL), 404,
	    "a bad id: 404");
	is_int(req("DELETE", "/admin/v1/bans/0", NULL), 404, "id 0: 404");
	is_int(req("PUT", "/admin/v1/bans", NULL), 405, "PUT: 405");
	is_int(req("GET", "/admin/v1/bans?all=1", NULL), 200, "list --all");

	/* Reports. */
	report_add(db, "00000000000000000000000000000001",
	    "00000000000000000000000000000002", REPORT_ABUSE, "rude", now,
	    &rid);
	report_add(db, "00000000000000000000000000000003",
	    "00000000000000000000000000000002", REPORT_SPAM, "", now, &id);
	is_int(req("GET", "/admin/v1/reports", NULL), 200, "list reports");
	ok(has("\"detail\":\"rude\"") && has("\"status\":\"open\""),
	    "with their fields");
	is_int(req("GET", "/admin/v1/reports/1", NULL), 200, "one report");
	is_int(req("GET", "/admin/v1/reports/7", NULL), 404, "unknown: 404");
	is_int(req("POST", "/admin/v1/reports/1/resolve", NULL), 200,
	    "resolve");
	ok(has("\"status\":\"resolved\""), "resolved: %s", resp.json);
	is_int(req("POST", "/admin/v1/reports/9/resolve", NULL), 404,
	    "resolve an unknown report: 404");
	is_int(req("GET", "/admin/v1/reports/1/resolve", NULL), 405,
	    "GET resolve: 405");
	is_int(req("GET", "/admin/v1/reports?open=1", NULL), 200, "open only");
	ok(!has("\"id\":1,") && has("\"id\":2,"), "only the open one");
	is_int(req("POST", "/admin/v1/bans", "{\"report\":2,\"for\":\"1d\"}"),
	    201, "ban by report");
	ok(has("\"kind\":\"pseudonym\"") &&
	    has("\"target\":\"00000000000000000000000000000002\"") &&
	    has("\"report\":2"), "bans the reported party: %s", resp.json);
	is_int(req("GET", "/admin/v1/reports/2", NULL), 200, "report 2");
	ok(has("\"status\":\"resolved\""), "resolved by the ban");
	is_int(req("POST", "/admin/v1/bans", "{\"report\":77}"), 404,
	    "ban by an unknown report: 404");

	/* Paths. */
	is_int(req("GET", "/admin/v1/", NULL), 404, "no endpoint: 404");
	is_int(req("GET", "/admin/v1/admins", NULL), 404, "admins: 404");
	is_int(req("GET", "/admin/v1/bans/1/x/y", NULL), 404, "too deep: 404");
	is_int(req("GET", "/admin/v2/bans", NULL), 404, "another version: 404");

	/* At most ADMIN_VERIFY_PER_SEC argon2id runs a second, whoever asks;
	 * a cached token is not held up by that. */
	now += 1000;
	req("GET", "/admin/v1/bans", NULL);	/* cache the right token */
	now += 1;
	for (i = 0; i < ADMIN_VERIFY_PER_SEC; i++) {
		snprintf(line, sizeof(line), "10.9.0.%d", i + 1);
		req_ms("GET", "/admin/v1/bans", UNKNOWN, NULL, line);
	}
	is_int(resp.status, 401, "%d unknown tokens in a second: 401 each",
	    ADMIN_VERIFY_PER_SEC);
	ms1 = req_ms("GET", "/admin/v1/bans", UNKNOWN, NULL, "10.9.1.1");
	ok(resp.status == 503 && resp.retry_after == 1 && ms1 < 5,
	    "the next one in that second: 503 without hashing (%.2f ms)", ms1);
	is_int(req("GET", "/admin/v1/bans", NULL), 200,
	    "a cached token still gets in");
	now += 1;
	req_ms("GET", "/admin/v1/bans", UNKNOWN, NULL, "10.9.1.1");
	is_int(resp.status, 401, "the next second: checked again (401)");

	/* Removing the admin ends its cached token. */
	admin_remove(db, "alice");
	is_int(req("GET", "/admin/v1/bans", NULL), 401,
	    "a removed admin's token: 401 at once");

	free(resp.json);
	admin_api_free(api);
	db_close(db);
	secevent_close(sl);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		printf("# cannot remove %s\n", dir);
	return done_testing();
}
