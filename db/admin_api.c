/*
 * admin_api.c - the HTTP moderation API as a pure handler (see db.h).
 *
 *   GET    /admin/v1/bans[?all=1]        {"bans": [BAN...]}
 *   POST   /admin/v1/bans                {"target": ADDR|CIDR, "for": DUR,
 *                                         "reason": TEXT} or
 *                                        {"report": ID, "for": DUR}
 *                                        -> 201 {"ban": BAN}
 *   GET    /admin/v1/bans/ID             {"ban": BAN}
 *   DELETE /admin/v1/bans/ID             {"removed": ID}
 *   GET    /admin/v1/reports[?open=1]    {"reports": [REPORT...]}
 *   GET    /admin/v1/reports/ID          {"report": REPORT}
 *   POST   /admin/v1/reports/ID/resolve  {"report": REPORT}
 *
 * Errors are {"error": CODE, "message": TEXT} with 400, 401, 404, 405, 413,
 * 429, 500 or 503.  Every request needs "Authorization: Bearer TOKEN" (see
 * auth/admin_token.h).
 *
 * Cost control.  argon2id is slow on purpose, so: a client IP that failed
 * fail_max times within fail_window gets 429 without any hashing until the
 * window ends; a token that verified is remembered (its SHA-256, the admin
 * row and the stored hash) for ADMIN_TOKEN_CACHE_SECS, so an admin's script
 * pays the argon2id cost once per five minutes, and removing the admin or
 * replacing its token ends the cache entry at the next request.  An unknown
 * lookup id still costs one verification against a dummy hash, so timing
 * does not tell which lookup ids exist.  At most ADMIN_VERIFY_PER_SEC
 * verifications run in any second (503 beyond that), so a flood of bad
 * tokens from many addresses cannot monopolise the writer thread that also
 * commits reports; cached tokens are not affected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "auth/admin_token.h"
#include "common/config.h"
#include "common/ratelimit.h"
#include "common/secevent.h"
#include "db/db.h"

#define FAIL_SLOTS	512
#define TOKEN_SLOTS	32
#define PATH_MAX_LEN	256

struct fail_slot {
	struct maddr	 key;		/* client IP; family 0 = free */
	int64_t		 start;		/* window start */
	int64_t		 count;
};

struct token_slot {
	uint8_t		 digest[SHA256_DIGEST_LENGTH];
	int64_t		 admin;		/* 0 = free */
	char		 hash[ADMIN_HASH_MAX];
	int64_t		 until;
};

struct admin_api {
	struct db		*db;
	struct secevent_log	*seclog;
	const struct pseudonym_key *key;
	int64_t			 ban_default;
	int64_t			 ban_max;
	int64_t			 fail_window;
	int64_t			 fail_max;
	struct fail_slot	 fails[FAIL_SLOTS];
	struct token_slot	 tokens[TOKEN_SLOTS];
	char			 dummy[ADMIN_HASH_MAX];
	struct rl_window	 verify;	/* argon2id budget, a second */
};

struct admin_api *
admin_api_new(struct db *db, struct secevent_log *seclog,
    const struct pseudonym_key *key)
{
	struct admin_api *api;

	if ((api = calloc(1, sizeof(*api))) == NULL)
		return NULL;
	api->db = db;
	api->seclog = seclog;
	api->key = key;
	api->ban_default = 86400;
	api->ban_max = 30 * 86400;
	api->fail_window = 900;
	api->fail_max = ADMIN_FAIL_MAX;
	/* A hash no token matches, for unknown lookup ids. */
	if (admin_token_hash("meetopia-no-such-admin", api->dummy) != 0) {
		free(api);
		return NULL;
	}
	return api;
}

void
admin_api_free(struct admin_api *api)
{
	if (api == NULL)
		return;
	explicit_bzero(api->tokens, sizeof(api->tokens));
	free(api);
}

void
admin_api_limits(struct admin_api *api, int64_t ban_default, int64_t ban_max,
    int64_t fail_window, int64_t fail_max)
{
	api->ban_default = ban_default;
	api->ban_max = ban_max;
	api->fail_window = fail_window > 0 ? fail_window : 900;
	api->fail_max = fail_max > 0 ? fail_max : ADMIN_FAIL_MAX;
}

/* ------------------------------------------------------------------ */

static void
reply(struct admin_resp *resp, int status, json_t *doc)
{
	resp->status = status;
	free(resp->json);
	resp->json = NULL;
	if (doc != NULL) {
		resp->json = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
	}
	if (resp->json == NULL) {
		resp->status = 500;
		resp->json = strdup("{\"error\":\"internal\"}");
	}
}

static void
error(struct admin_resp *resp, int status, const char *code, const char *msg)
{
	reply(resp, status, json_pack("{ss ss}", "error", code, "message",
	    msg));
}

static void
db_error(struct admin_api *api, struct admin_resp *resp, int rc)
{
	switch (rc) {
	case DB_NOTFOUND:
		error(resp, 404, "not_found", db_errmsg(api->db));
		break;
	case DB_INVAL:
	case DB_TOOLONG:
		error(resp, 400, "bad_request", db_errmsg(api->db));
		break;
	case DB_BUSY:
		resp->retry_after = 1;
		error(resp, 503, "busy", "database is locked, try again");
		break;
	default:
		error(resp, 500, "internal", "database error");
		break;
	}
}

static struct fail_slot *
fail_find(struct admin_api *api, const struct maddr *ck, int create,
    int64_t now)
{
	struct fail_slot *f, *oldest = NULL;
	size_t i;

	for (i = 0; i < FAIL_SLOTS; i++) {
		f = &api->fails[i];
		if (f->key.family != 0 && addr_eq_ip(&f->key, ck))
			return f;
		if (oldest == NULL || f->key.family == 0 ||
		    (oldest->key.family != 0 && f->start < oldest->start))
			oldest = f;
	}
	if (!create)
		return NULL;
	/* Evict the oldest window (or reuse a free slot). */
	memset(oldest, 0, sizeof(*oldest));
	oldest->key = *ck;
	oldest->start = now;
	return oldest;
}

static int
fail_blocked(struct admin_api *api, const struct maddr *ck, int64_t now)
{
	struct fail_slot *f = fail_find(api, ck, 0, now);

	if (f == NULL)
		return 0;
	if (now >= f->start + api->fail_window) {
		memset(f, 0, sizeof(*f));
		return 0;
	}
	if (f->count < api->fail_max)
		return 0;
	return (int)(f->start + api->fail_window - now);
}

static void
fail_note(struct admin_api *api, const struct maddr *client,
    const struct maddr *ck, int64_t now, const char *why)
{
	struct fail_slot *f = fail_find(api, ck, 1, now);
	char ps[PSEUDONYM_LEN + 1];

	if (now >= f->start + api->fail_window) {
		f->start = now;
		f->count = 0;
	}
	f->count++;
	if (api->seclog == NULL)
		return;
	pseudonym_of(api->key, client, ps);
	secevent_emit(api->seclog, SECEV_AUTH, f->count >= api->fail_max ?
	    SECEV_HIGH : SECEV_MEDIUM, NULL, ps, f->count >= api->fail_max ?
	    "admin_auth_rate_limited" : "admin_auth_failed",
	    json_pack("{ss sI}", "why", why, "failures", (json_int_t)f->count));
}

/*
 * The admin presenting this Authorization header, or 0.  *why says what was
 * wrong, for the security event.
 */
/* Takes one argon2id verification from this second's budget: 0, or -1. */
static int
verify_budget(struct admin_api *api, int64_t now)
{
	return rl_window_take(&api->verify, now, 1, ADMIN_VERIFY_PER_SEC,
	    NULL);
}

static int64_t
authenticate(struct admin_api *api, const char *authz, int64_t now,
    const char **why)
{
	char lookup[ADMIN_LOOKUP_LEN + 1], hash[ADMIN_HASH_MAX];
	uint8_t digest[SHA256_DIGEST_LENGTH];
	struct token_slot *t, *slot = NULL;
	struct db_admin a;
	const char *tok;
	size_t len, i;
	int rc, v;

	*why = "missing";
	if (authz == NULL)
		return 0;
	*why = "malformed";
	if (strncasecmp(authz, "Bearer ", 7) != 0)
		return 0;
	for (tok = authz + 7; *tok == ' '; tok++)
		;
	len = strnlen(tok, ADMIN_TOKEN_LEN + 2);
	while (len > 0 && tok[len - 1] == ' ')
		len--;
	/* The format is public: refusing a malformed token fast leaks
	 * nothing. */
	if (admin_token_lookup(tok, len, lookup) != 0)
		return 0;
	rc = admin_find(api->db, lookup, &a, hash, sizeof(hash));
	if (rc == DB_NOTFOUND) {
		*why = "unknown";
		if (verify_budget(api, now) != 0)
			return -2;
		admin_token_verify(api->dummy, tok, len);
		return 0;
	}
	if (rc != DB_OK) {
		*why = "database";
		return -1;
	}
	SHA256((const uint8_t *)tok, len, digest);
	for (i = 0; i < TOKEN_SLOTS; i++) {
		t = &api->tokens[i];
		if (t->admin == a.id && t->until > now &&
		    strcmp(t->hash, hash) == 0 &&
		    CRYPTO_memcmp(t->digest, digest, sizeof(digest)) == 0)
			return a.id;
		if (slot == NULL || t->until < slot->until)
			slot = t;
	}
	if (verify_budget(api, now) != 0) {
		explicit_bzero(digest, sizeof(digest));
		return -2;
	}
	v = admin_token_verify(hash, tok, len);
	if (v != 1) {
		explicit_bzero(digest, sizeof(digest));
		*why = v == 0 ? "wrong" : "bad stored hash";
		return 0;
	}
	memcpy(slot->digest, digest, sizeof(digest));
	slot->admin = a.id;
	strlcpy(slot->hash, hash, sizeof(slot->hash));
	slot->until = now + ADMIN_TOKEN_CACHE_SECS;
	explicit_bzero(digest, sizeof(digest));
	if (a.last_used < now - 60)
		admin_touch(api->db, a.id, now);
	return a.id;
}

/* ------------------------------------------------------------------ */

struct list_ctx {
	json_t		*arr;
	int64_t		 now;
};

static int
ban_cb(const struct db_ban *b, void *arg)
{
	struct list_ctx *c = arg;

	return json_array_append_new(c->arr, ban_json(b, c->now));
}

static int
report_cb(const struct db_report *r, void *arg)
{
	struct list_ctx *c = arg;

	return json_array_append_new(c->arr, report_json(r));
}

/* "1", "true", "yes" */
static int
query_flag(const char *query, const char *name)
{
	char buf[PATH_MAX_LEN + 1], *p, *save, *eq;

	if (query == NULL)
		return 0;
	strlcpy(buf, query, sizeof(buf));
	for (p = strtok_r(buf, "&", &save); p != NULL;
	    p = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(p, '=')) != NULL)
			*eq++ = '\0';
		if (strcmp(p, name) == 0)
			return eq == NULL || strcmp(eq, "1") == 0 ||
			    strcmp(eq, "true") == 0 || strcmp(eq, "yes") == 0;
	}
	return 0;
}

static int64_t
parse_id(const char *s)
{
	const char *errstr;
	long long v;

	v = strtonum(s, 1, INT64_MAX, &errstr);
	return errstr != NULL ? 0 : v;
}

/* "for": a duration string or a number of seconds; 0 if absent. */
static int
body_duration(json_t *v, int64_t *secs)
{
	long long d;

	*secs = 0;
	if (v == NULL)
		return 0;
	if (json_is_integer(v)) {
		*secs = json_integer_value(v);
		return *secs > 0 ? 0 : -1;
	}
	if (json_is_string(v) && cfg_parse_duration(json_string_value(v),
	    &d) == 0 && d > 0) {
		*secs = d;
		return 0;
	}
	return -1;
}

static void
bans_post(struct admin_api *api, const struct admin_req *req,
    struct admin_resp *resp)
{
	json_t *body, *target, *report, *dur, *reason;
	json_error_t jerr;
	struct db_ban b;
	const char *key;
	json_t *val;
	int64_t secs;
	char msg[160];
	int rc;

	if (req->bodylen > ADMIN_BODY_MAX) {
		error(resp, 413, "too_long", "body larger than 4096 bytes");
		return;
	}
	body = json_loadb(req->body != NULL ? req->body : "", req->bodylen,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (body == NULL || !json_is_object(body)) {
		json_decref(body);
		error(resp, 400, "bad_request", "body: not a JSON object");
		return;
	}
	json_object_foreach(body, key, val) {
		if (strcmp(key, "target") != 0 && strcmp(key, "report") != 0 &&
		    strcmp(key, "for") != 0 && strcmp(key, "reason") != 0) {
			snprintf(msg, sizeof(msg), "%.60s: unknown field", key);
			error(resp, 400, "bad_request", msg);
			json_decref(body);
			return;
		}
	}
	target = json_object_get(body, "target");
	report = json_object_get(body, "report");
	dur = json_object_get(body, "for");
	reason = json_object_get(body, "reason");
	if ((target == NULL) == (report == NULL) ||
	    (target != NULL && !json_is_string(target)) ||
	    (report != NULL && (!json_is_integer(report) ||
	    json_integer_value(report) <= 0)) ||
	    (reason != NULL && !json_is_string(reason))) {
		error(resp, 400, "bad_request", "give \"target\" (an address "
		    "or range) or \"report\" (a report id), and optionally "
		    "\"for\" and \"reason\"");
		json_decref(body);
		return;
	}
	if (body_duration(dur, &secs) != 0) {
		error(resp, 400, "bad_request", "for: not a duration");
		json_decref(body);
		return;
	}
	if (secs == 0)
		secs = api->ban_default;
	if (secs > api->ban_max) {
		snprintf(msg, sizeof(msg), "for: %llds is longer than ban-max "
		    "(%llds)", (long long)secs, (long long)api->ban_max);
		error(resp, 400, "bad_request", msg);
		json_decref(body);
		return;
	}
	if (target != NULL)
		rc = db_ban_target(api->db, json_string_value(target), secs,
		    reason != NULL ? json_string_value(reason) : "", "api",
		    req->now, &b);
	else
		rc = db_ban_report(api->db, json_integer_value(report), secs,
		    reason != NULL ? json_string_value(reason) : NULL, "api",
		    req->now, &b);
	json_decref(body);
	if (rc != DB_OK) {
		db_error(api, resp, rc);
		return;
	}
	resp->bans_changed = 1;
	reply(resp, 201, json_pack("{so}", "ban", ban_json(&b, req->now)));
}

/* A store error on an id: 404 when there is no such id. */
static void
id_error(struct admin_api *api, struct admin_resp *resp, int rc)
{
	if (rc == DB_NOTFOUND)
		error(resp, 404, "not_found", "no such id");
	else
		db_error(api, resp, rc);
}

static void
bad_method(struct admin_resp *resp)
{
	error(resp, 405, "bad_method", "method not allowed here");
}

/*
 * Splits "bans/12" or "reports/12/resolve" into at most three segments:
 * 0 with *n set, or -1 when the path has an empty, long or fourth one.
 */
static int
split_path(const char *rest, char seg[3][PATH_MAX_LEN], int *n)
{
	const char *p, *slash = NULL;

	*n = 0;
	for (p = rest; *p != '\0' && *n < 3; p = slash + 1) {
		size_t len;

		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || len >= PATH_MAX_LEN)
			return -1;
		memcpy(seg[*n], p, len);
		seg[(*n)++][len] = '\0';
		if (slash == NULL)
			break;
	}
	if (*n == 0 || (*p != '\0' && slash != NULL))
		return -1;
	return 0;
}

/* A GET of a list: its empty array in c; -1 with resp set when not. */
static int
list_start(const struct admin_req *req, struct admin_resp *resp,
    struct list_ctx *c)
{
	if (strcmp(req->method, "GET") != 0) {
		bad_method(resp);
		return -1;
	}
	c->now = req->now;
	if ((c->arr = json_array()) == NULL) {
		error(resp, 500, "internal", "out of memory");
		return -1;
	}
	return 0;
}

/* The list's reply: c's array under key, or the store's error rc. */
static void
list_reply(struct admin_api *api, struct admin_resp *resp, const char *key,
    struct list_ctx *c, int rc)
{
	if (rc != DB_OK) {
		json_decref(c->arr);
		db_error(api, resp, rc);
		return;
	}
	reply(resp, 200, json_pack("{so}", key, c->arr));
}

/* /api/v1/bans: GET lists, POST bans. */
static void
route_bans(struct admin_api *api, const struct admin_req *req,
    const char *query, struct admin_resp *resp)
{
	struct list_ctx c;
	int rc;

	if (strcmp(req->method, "POST") == 0) {
		bans_post(api, req, resp);
		return;
	}
	if (list_start(req, resp, &c) != 0)
		return;
	rc = ban_list(api->db, query_flag(query, "all"), req->now, ban_cb, &c);
	list_reply(api, resp, "bans", &c, rc);
}

/* /api/v1/bans/ID: GET shows, DELETE lifts. */
static void
route_ban(struct admin_api *api, const struct admin_req *req, int64_t id,
    struct admin_resp *resp)
{
	struct db_ban b;
	int rc;

	if (strcmp(req->method, "GET") == 0) {
		if ((rc = ban_get(api->db, id, &b)) != DB_OK) {
			id_error(api, resp, rc);
			return;
		}
		reply(resp, 200, json_pack("{so}", "ban",
		    ban_json(&b, req->now)));
	} else if (strcmp(req->method, "DELETE") == 0) {
		if ((rc = ban_remove(api->db, id)) != DB_OK) {
			id_error(api, resp, rc);
			return;
		}
		resp->bans_changed = 1;
		reply(resp, 200, json_pack("{sI}", "removed", (json_int_t)id));
	} else
		bad_method(resp);
}

/* /api/v1/reports: GET lists. */
static void
route_reports(struct admin_api *api, const struct admin_req *req,
    const char *query, struct admin_resp *resp)
{
	struct list_ctx c;
	int rc;

	if (list_start(req, resp, &c) != 0)
		return;
	rc = report_list(api->db, query_flag(query, "open"), report_cb, &c);
	list_reply(api, resp, "reports", &c, rc);
}

/* /api/v1/reports/ID (GET) and /api/v1/reports/ID/resolve (POST). */
static void
route_report(struct admin_api *api, const struct admin_req *req, int64_t id,
    int resolve, struct admin_resp *resp)
{
	struct db_report r;
	int rc;

	if (strcmp(req->method, resolve ? "POST" : "GET") != 0) {
		bad_method(resp);
		return;
	}
	if ((resolve && (rc = report_resolve(api->db, id, req->now)) !=
	    DB_OK) || (rc = report_get(api->db, id, &r)) != DB_OK) {
		id_error(api, resp, rc);
		return;
	}
	reply(resp, 200, json_pack("{so}", "report", report_json(&r)));
}

static void
route(struct admin_api *api, const struct admin_req *req, const char *rest,
    const char *query, struct admin_resp *resp)
{
	char seg[3][PATH_MAX_LEN];
	int n;
	int64_t id = 0;

	if (split_path(rest, seg, &n) != 0 ||
	    (n >= 2 && (id = parse_id(seg[1])) == 0))
		goto not_found;
	if (strcmp(seg[0], "bans") == 0 && n == 1)
		route_bans(api, req, query, resp);
	else if (strcmp(seg[0], "bans") == 0 && n == 2)
		route_ban(api, req, id, resp);
	else if (strcmp(seg[0], "reports") == 0 && n == 1)
		route_reports(api, req, query, resp);
	else if (strcmp(seg[0], "reports") == 0 && n == 2)
		route_report(api, req, id, 0, resp);
	else if (strcmp(seg[0], "reports") == 0 && n == 3 &&
	    strcmp(seg[2], "resolve") == 0)
		route_report(api, req, id, 1, resp);
	else
		goto not_found;
	return;
not_found:
	error(resp, 404, "not_found", "no such endpoint");
}

void
admin_api_handle(struct admin_api *api, const struct admin_req *req,
    struct admin_resp *resp)
{
	char path[PATH_MAX_LEN + 1], *query;
	const char *why;
	struct maddr plain, ck;
	int64_t admin;
	int wait;

	memset(resp, 0, sizeof(*resp));
	if (req->path == NULL || req->method == NULL ||
	    strnlen(req->path, sizeof(path)) >= sizeof(path) ||
	    strncmp(req->path, ADMIN_API_PREFIX, strlen(ADMIN_API_PREFIX))
	    != 0) {
		error(resp, 404, "not_found", "no such endpoint");
		return;
	}
	strlcpy(path, req->path + strlen(ADMIN_API_PREFIX), sizeof(path));
	if ((query = strchr(path, '?')) != NULL)
		*query++ = '\0';

	pseudonym_unmap(req->client, &plain);
	addr_client_key(&plain, &ck);
	if ((wait = fail_blocked(api, &ck, req->now)) > 0) {
		resp->retry_after = wait;
		error(resp, 429, "rate_limited", "too many failed "
		    "authentications; try again later");
		return;
	}
	if ((admin = authenticate(api, req->authorization, req->now, &why))
	    <= 0) {
		if (admin == -2) {
			resp->retry_after = 1;
			error(resp, 503, "busy", "too many token checks right "
			    "now; try again in a second");
			return;
		}
		if (admin < 0) {
			error(resp, 500, "internal", "database error");
			return;
		}
		fail_note(api, req->client, &ck, req->now, why);
		error(resp, 401, "unauthorized", "a valid admin token is "
		    "required (Authorization: Bearer TOKEN)");
		return;
	}
	route(api, req, path, query, resp);
}
