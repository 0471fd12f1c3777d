/*
 * routes.c - what each path of the signaling module's HTTP server answers
 * (SPEC "HTTP"): /healthz, /metrics (to metrics-allow only), the static
 * web client under web-root, /ws (the WebSocket opening handshake, RFC
 * 6455 §4.2, with SPEC's refusals), /api/ice-servers (with api-key, CORS)
 * and the /admin/v1/ route to the moderation store; force-https redirects
 * the rest of plain HTTP.
 *
 * The API's requests are counted per client IP in windows of
 * rate-limit-window (429 with Retry-After past rate-limit-max); a window's
 * entry lives until the window ends (sig_rate_gc()).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* libbsd's RB_GENERATE_STATIC marks its functions __unused. */
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "auth/ctlmac.h"
#include "common/config.h"
#include "common/listener.h"
#include "common/log.h"
#include "signaling/sig.h"

/* ------------------------------------------------------------------ */
/* The API's rate limit window, per client IP. */

static int
rate_cmp(struct rate_ent *a, struct rate_ent *b)
{
	if (a->key.family != b->key.family)
		return a->key.family < b->key.family ? -1 : 1;
	return memcmp(a->key.ip, b->key.ip, sizeof(a->key.ip));
}

RB_GENERATE_STATIC(rate_tree, rate_ent, node, rate_cmp)

/* Frees the entries whose window has ended. */
void
sig_rate_gc(struct signaling *sig)
{
	struct rate_ent *e, *next;
	int64_t now = (int64_t)(clock_mono_ms() / 1000);

	RB_FOREACH_SAFE(e, rate_tree, &sig->rates, next) {
		if (rl_window_open(&e->win, now, sig->env.cfg->rate_limit_window))
			continue;
		RB_REMOVE(rate_tree, &sig->rates, e);
		free(e);
	}
}

void
sig_rate_free(struct signaling *sig)
{
	struct rate_ent *e, *next;

	RB_FOREACH_SAFE(e, rate_tree, &sig->rates, next) {
		RB_REMOVE(rate_tree, &sig->rates, e);
		free(e);
	}
}

/*
 * Counts one API request of this client IP.  0, or -1 with *retry (the
 * seconds until the window ends) when it is over rate-limit-max (or no
 * memory is left to count it).
 */
static int
ip_rate(struct signaling *sig, const struct maddr *peer, int *retry)
{
	const struct config *cfg = sig->env.cfg;
	int64_t now = (int64_t)(clock_mono_ms() / 1000), wait;
	struct rate_ent key, *e;

	memset(&key, 0, sizeof(key));
	addr_client_key(peer, &key.key);
	if ((e = RB_FIND(rate_tree, &sig->rates, &key)) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			*retry = 1;
			return -1;
		}
		e->key = key.key;
		RB_INSERT(rate_tree, &sig->rates, e);
	}
	if (rl_window_take(&e->win, now, cfg->rate_limit_window,
	    cfg->rate_limit_max, &wait) != 0) {
		*retry = (int)wait;
		if (*retry < 1)
			*retry = 1;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Routes. */

static void
route_metrics(struct hconn *c, const struct http_req *req)
{
	struct signaling *sig = c->sig;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		sig_respond_text(c, 405, "Allow: GET, HEAD\r\n");
		return;
	}
	if (!cfg_metrics_allowed(sig->env.cfg, &c->peer)) {
		sig_secevent(sig, SECEV_VIOLATION, SECEV_LOW, NULL, &c->peer,
		    "metrics_refused", NULL);
		sig_respond_text(c, 403, NULL);
		return;
	}
	if ((fp = open_memstream(&buf, &len)) == NULL) {
		sig_respond_text(c, 500, NULL);
		return;
	}
	metrics_render(sig->env.metrics, fp);
	fclose(fp);
	sig_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len,
	    "Cache-Control: no-store\r\n", strcmp(req->method, "HEAD") == 0);
	free(buf);
}

static void
route_static(struct hconn *c, const struct http_req *req, const char *path)
{
	struct signaling *sig = c->sig;
	char full[PATH_MAX], real[PATH_MAX], hdr[256];
	const char *rel = path;
	struct stat st;
	size_t rootlen;
	int fd, head = strcmp(req->method, "HEAD") == 0;

	if (strcmp(req->method, "GET") != 0 && !head) {
		sig_respond_text(c, 405, "Allow: GET, HEAD\r\n");
		return;
	}
	if (sig->web_root == NULL) {
		sig_respond_text(c, 404, NULL);
		return;
	}
	rootlen = strlen(sig->web_root);
	if ((size_t)snprintf(full, sizeof(full), "%s%s%s", sig->web_root, rel,
	    rel[strlen(rel) - 1] == '/' ? "index.html" : "") >= sizeof(full) ||
	    realpath(full, real) == NULL) {
		sig_respond_text(c, 404, NULL);
		return;
	}
	/* No escape from the web root, by ".." or by a symbolic link. */
	if (strncmp(real, sig->web_root, rootlen) != 0 ||
	    (real[rootlen] != '/' && real[rootlen] != '\0')) {
		sig_respond_text(c, 404, NULL);
		return;
	}
	if (stat(real, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (strlcat(real, "/index.html", sizeof(real)) >= sizeof(real)) {
			sig_respond_text(c, 404, NULL);
			return;
		}
	}
	if ((fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		sig_respond_text(c, 404, NULL);
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		sig_respond_text(c, 404, NULL);
		return;
	}
	snprintf(hdr, sizeof(hdr), "Cache-Control: no-cache\r\n");
	sig_respond(c, 200, http_mime_type(real), NULL, (size_t)st.st_size, hdr,
	    1);
	if (head || st.st_size == 0) {
		close(fd);
		return;
	}
	if (evbuffer_add_file(sig_conn_output(c), fd, 0,
	    st.st_size) != 0) {
		close(fd);	/* evbuffer_add_file closes it only on success */
		sig_conn_reap(c);
	}
}

/* Origin check of the APIs: a request without Origin is not a browser's. */
static int
origin_ok(struct hconn *c, const struct http_req *req)
{
	const struct config *cfg = c->sig->env.cfg;
	const char *origin = http_field(req, "origin");

	if (origin == NULL)
		return 1;
	return http_origin_allowed(origin, cfg->cors_origins.v,
	    cfg->cors_origins.n, c->tls, http_field(req, "host"));
}

static void
origin_refused(struct hconn *c, const struct http_req *req, const char *what)
{
	json_t *det = json_pack("{s:s}", "path", what);

	(void)req;
	sig_secevent(c->sig, SECEV_VIOLATION, SECEV_MEDIUM, NULL, &c->peer,
	    "origin_refused", det);
}

static int
api_rate(struct hconn *c)
{
	char extra[64];
	int retry;

	if (ip_rate(c->sig, &c->peer, &retry) == 0 &&
	    (c->sig->limits.api_hit == NULL || c->sig->limits.api_hit(
	    c->sig->limits.arg, &c->peer, c->sig->env.cfg->rate_limit_max,
	    c->sig->env.cfg->rate_limit_window, &retry) == 0))
		return 0;
	snprintf(extra, sizeof(extra), "Retry-After: %d\r\n", retry);
	sig_secevent(c->sig, SECEV_VIOLATION, SECEV_LOW, NULL, &c->peer,
	    "rate_limited", json_pack("{s:s}", "limit", "api"));
	sig_respond_json_error(c, 429, "rate_limited", "too many requests", extra);
	return -1;
}

/* An API request's gate: the client IP's rate window, then its Origin.
 * 0 to go on; otherwise it has been answered. */
static int
api_gate(struct hconn *c, const struct http_req *req, const char *what)
{
	if (api_rate(c) != 0)
		return -1;
	if (!origin_ok(c, req)) {
		origin_refused(c, req, what);
		sig_respond_json_error(c, 403, "forbidden", "origin not allowed",
		    NULL);
		return -1;
	}
	return 0;
}

static int
api_key_ok(const struct config *cfg, const char *authz)
{
	size_t i, n;
	int ok = 0;

	if (cfg->api_key.n == 0)
		return 0;	/* the route is off: see route_ice_servers() */
	if (authz == NULL || strncasecmp(authz, "Bearer ", 7) != 0)
		return 0;
	authz += 7;
	n = strlen(authz);
	for (i = 0; i < cfg->api_key.n; i++)
		if (strlen(cfg->api_key.v[i]) == n &&
		    CRYPTO_memcmp(cfg->api_key.v[i], authz, n) == 0)
			ok = 1;
	return ok;
}

static void
route_ice_servers(struct hconn *c, const struct http_req *req)
{
	const struct config *cfg = c->sig->env.cfg;
	const char *origin = http_field(req, "origin");
	char extra[512];
	json_t *servers;

	/* Off unless an api-key is set: credentials for anyone would make the
	 * relay an open proxy to the Internet (SPEC "api-key"). */
	if (cfg->api_key.n == 0) {
		sig_respond_json_error(c, 404, "not_found", "no such API", NULL);
		return;
	}
	extra[0] = '\0';
	if (origin != NULL && origin_ok(c, req))
		snprintf(extra, sizeof(extra), "Access-Control-Allow-Origin: "
		    "%s\r\nVary: Origin\r\n", origin);
	if (strcmp(req->method, "OPTIONS") == 0) {	/* CORS preflight */
		if (!origin_ok(c, req)) {
			origin_refused(c, req, "/api/ice-servers");
			sig_respond_text(c, 403, NULL);
			return;
		}
		strlcat(extra, "Access-Control-Allow-Methods: GET\r\n"
		    "Access-Control-Allow-Headers: Authorization\r\n"
		    "Access-Control-Max-Age: 600\r\n", sizeof(extra));
		sig_respond(c, 204, NULL, NULL, 0, extra, 0);
		return;
	}
	if (strcmp(req->method, "GET") != 0) {
		sig_respond_text(c, 405, "Allow: GET, OPTIONS\r\n");
		return;
	}
	if (api_gate(c, req, "/api/ice-servers") != 0)
		return;
	if (!api_key_ok(cfg, http_field(req, "authorization"))) {
		sig_secevent(c->sig, SECEV_AUTH, SECEV_MEDIUM, NULL, &c->peer,
		    "bad_api_key", NULL);
		strlcat(extra, "WWW-Authenticate: Bearer\r\n", sizeof(extra));
		sig_respond_json_error(c, 401, "unauthorized",
		    "Authorization: Bearer API-KEY needed", extra);
		return;
	}
	if ((servers = sig_ice_servers(c->sig, c, NULL)) == NULL) {
		sig_respond_json_error(c, 500, "internal", "no credentials", NULL);
		return;
	}
	strlcat(extra, "Cache-Control: no-store\r\n", sizeof(extra));
	sig_respond_json(c, 200, json_pack("{s:o, s:s, s:I}", "iceServers",
	    servers, "iceTransportPolicy", cfg->relay_only ? "relay" : "all",
	    "ttl", (json_int_t)cfg->credential_ttl), extra);
}

static void
admin_cb(void *arg, int status, const char *json, int retry_after)
{
	struct hconn *c = arg;
	char extra[128];

	extra[0] = '\0';
	if (status == 401)
		strlcat(extra, "WWW-Authenticate: Bearer\r\n", sizeof(extra));
	if ((status == 429 || status == 503) && retry_after > 0)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
		    "Retry-After: %d\r\n", retry_after);
	strlcat(extra, "Cache-Control: no-store\r\n", sizeof(extra));
	c->state = HC_HTTP;
	sig_respond(c, status, "application/json", json,
	    json != NULL ? strlen(json) : 0, extra, 0);
	if (c->state == HC_HTTP) {
		sig_conn_timer(c, HTTP_REQUEST_SECS);
		bufferevent_enable(conn_bev(c->cn), EV_READ);
		sig_http_input(c);
	}
}

/* GET /admin/v1/nodes: meetopiactl nodes, to whom may read /metrics. */
static void
route_nodes(struct hconn *c, const struct http_req *req)
{
	struct signaling *sig = c->sig;
	json_t *a;

	if (strcmp(req->method, "GET") != 0) {
		sig_respond_text(c, 405, "Allow: GET\r\n");
		return;
	}
	if (!cfg_metrics_allowed(sig->env.cfg, &c->peer)) {
		sig_secevent(sig, SECEV_VIOLATION, SECEV_LOW, NULL, &c->peer,
		    "metrics_refused", NULL);
		sig_respond_json_error(c, 403, "forbidden", "not from a "
		    "metrics-allow address", NULL);
		return;
	}
	if (sig->nodeops.nodes == NULL ||
	    (a = sig->nodeops.nodes(sig->nodeops.arg)) == NULL) {
		sig_respond_json_error(c, 503, "unavailable", "no node table",
		    NULL);
		return;
	}
	sig_respond_json(c, 200, json_pack("{s:o}", "nodes", a),
	    "Cache-Control: no-store\r\n");
}

/*
 * POST /admin/v1/drain {"node"?, "undo"?, "ts"}: meetopiactl drain,
 * signed with auth-secret (X-Meetopia-Control, auth/ctlmac.h); a stale
 * or forged request changes nothing.
 */
static void
route_drain(struct hconn *c, const struct http_req *req, const char *body,
    size_t len)
{
	struct signaling *sig = c->sig;
	const struct config *cfg = sig->env.cfg;
	const char *mac = http_field(req, "x-meetopia-control");
	const char *node = NULL, *why = NULL;
	json_t *j = NULL, *jn, *ju;
	json_error_t e;
	long long ts;
	size_t i;
	int ok = 0, undo = 0, st;

	if (strcmp(req->method, "POST") != 0) {
		sig_respond_text(c, 405, "Allow: POST\r\n");
		return;
	}
	for (i = 0; mac != NULL && i < cfg->auth_secret.n && !ok; i++)
		ok = ctlmac_ok(cfg->auth_secret.v[i], body != NULL ? body : "",
		    len, mac);
	if (!ok) {
		sig_secevent(sig, SECEV_AUTH, SECEV_HIGH, NULL, &c->peer,
		    "control_refused", NULL);
		sig_respond_json_error(c, 403, "forbidden", "the request is "
		    "not signed with this cluster's auth-secret", NULL);
		return;
	}
	if (body == NULL || (j = json_loadb(body, len, 0, &e)) == NULL ||
	    !json_is_object(j) ||
	    !json_is_integer(json_object_get(j, "ts")) ||
	    ((jn = json_object_get(j, "node")) != NULL &&
	    !json_is_null(jn) && !json_is_string(jn)) ||
	    ((ju = json_object_get(j, "undo")) != NULL &&
	    !json_is_boolean(ju))) {
		json_decref(j);
		sig_respond_json_error(c, 400, "bad_request", "expected "
		    "{\"ts\": SECONDS, \"node\": NAME, \"undo\": BOOL}", NULL);
		return;
	}
	ts = json_integer_value(json_object_get(j, "ts"));
	if (ts < (long long)time(NULL) - CTLMAC_SKEW ||
	    ts > (long long)time(NULL) + CTLMAC_SKEW) {
		json_decref(j);
		sig_respond_json_error(c, 403, "stale", "the request's ts is "
		    "not within a minute of this node's clock", NULL);
		return;
	}
	node = json_string_value(json_object_get(j, "node"));
	undo = json_is_true(json_object_get(j, "undo"));
	if (sig->nodeops.drain == NULL) {
		json_decref(j);
		sig_respond_json_error(c, 503, "unavailable", "no drain here",
		    NULL);
		return;
	}
	st = sig->nodeops.drain(sig->nodeops.arg, node, undo, &why);
	if (st != 0) {
		sig_respond_json_error(c, st, st == 404 ? "not_found" :
		    st == 409 ? "conflict" : "unavailable",
		    why != NULL ? why : "refused", NULL);
		json_decref(j);
		return;
	}
	sig_respond_json(c, 200, json_pack("{s:s, s:s}", "node", node != NULL ?
	    node : (sig->cl.node != NULL ? sig->cl.node : ""), "state",
	    undo ? "up" : "draining"), "Cache-Control: no-store\r\n");
	json_decref(j);
}

static void
route_admin(struct hconn *c, const struct http_req *req, const char *body,
    size_t len)
{
	struct signaling *sig = c->sig;

	if (api_gate(c, req, "/admin/v1/") != 0)
		return;
	if (sig->env.mod.admin_request == NULL ||
	    sig->env.mod.admin_request(sig->env.mod.arg, req->method,
	    req->target, http_field(req, "authorization"), body, len,
	    &c->peer, admin_cb, c) != 0) {
		sig_respond_json_error(c, 503, "unavailable",
		    "the moderation store is not available", NULL);
		return;
	}
	c->state = HC_DEFER;
	bufferevent_disable(conn_bev(c->cn), EV_READ);
	conn_timer_stop(c->cn);
}

/* RFC 6455 §4.2: the opening handshake; SPEC's refusals first. */
static void
route_ws(struct hconn *c, const struct http_req *req)
{
	struct signaling *sig = c->sig;
	const struct config *cfg = sig->env.cfg;
	const char *up = http_field(req, "upgrade"), *key, *ver, *origin;
	char accept[WS_ACCEPT_LEN + 1];
	struct evbuffer *out;

	if (strcmp(req->method, "GET") != 0) {
		sig_respond_text(c, 405, "Allow: GET\r\n");
		return;
	}
	if (!req->upgrade || up == NULL || !http_has_token(up, "websocket")) {
		sig_respond_text(c, 426, "Upgrade: websocket\r\n");
		return;
	}
	ver = http_field(req, "sec-websocket-version");
	if (ver == NULL || strcmp(ver, "13") != 0) {
		sig_respond_text(c, 426, "Sec-WebSocket-Version: 13\r\n");
		return;
	}
	key = http_field(req, "sec-websocket-key");
	if (key == NULL || http_field_count(req, "sec-websocket-key") != 1 ||
	    ws_accept_key(key, accept, sizeof(accept)) != 0 ||
	    req->content_length > 0) {
		c->keep_alive = 0;
		sig_respond_text(c, 400, NULL);
		return;
	}
	origin = http_field(req, "origin");
	if (origin != NULL && !origin_ok(c, req)) {
		origin_refused(c, req, "/ws");
		c->keep_alive = 0;
		sig_respond_text(c, 403, NULL);
		return;
	}
	if (sig->env.mod.is_banned != NULL &&
	    sig->env.mod.is_banned(sig->env.mod.arg, &c->peer)) {
		sig_secevent(sig, SECEV_CONNECTION, SECEV_HIGH, NULL, &c->peer,
		    "banned_client", NULL);
		c->keep_alive = 0;
		sig_respond_text(c, 403, NULL);
		return;
	}
	if ((long long)conn_ip_count(c->cn, SIG_KIND_WS) +
	    (sig->limits.ws_elsewhere != NULL ? sig->limits.ws_elsewhere(
	    sig->limits.arg, &c->peer) : 0) >= cfg->max_connections_per_ip) {
		sig_secevent(sig, SECEV_VIOLATION, SECEV_LOW, NULL, &c->peer,
		    "too_many_connections", json_pack("{s:I}", "limit",
		    (json_int_t)cfg->max_connections_per_ip));
		c->keep_alive = 0;
		sig_respond_text(c, 429, NULL);
		return;
	}
	out = sig_conn_output(c);
	evbuffer_add_printf(out, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n" SEC_HEADERS "%s\r\n", accept,
	    c->tls ? HSTS_HEADER : "");
	if (sig_upgrade(c) != 0 || session_new(sig, c) == NULL) {
		if (c->ws != NULL)
			ws_close(c->ws, WS_CLOSE_INTERNAL, "out of memory");
		sig_conn_close(c);
	}
}

/*
 * force-https on plain HTTP: /ws is refused, everything else but
 * /healthz, /metrics and meetopiactl's routes is redirected to the HTTPS
 * origin.  Whether it answered.
 */
static int
route_force_https(struct hconn *c, const struct http_req *req,
    const char *path)
{
	const struct config *cfg = c->sig->env.cfg;
	char extra[HTTP_TARGET_MAX + 600];
	const char *host;
	char h[256], *p;

	/* meetopiactl's routes stay on plain HTTP like /metrics: nodes is
	 * metrics-allow's, a drain is signed and dated. */
	if (!cfg->force_https || c->tls || strcmp(path, "/healthz") == 0 ||
	    strcmp(path, "/metrics") == 0 ||
	    strcmp(path, "/admin/v1/nodes") == 0 ||
	    strcmp(path, "/admin/v1/drain") == 0)
		return 0;
	if (strcmp(path, "/ws") == 0) {
		c->keep_alive = 0;
		sig_respond_text(c, 403, NULL);
		return 1;
	}
	/* The HTTPS origin is server-name's when set: the name of the
	 * certificate, whatever Host the client sent. */
	host = cfg->server_name != NULL ? cfg->server_name :
	    http_field(req, "host");
	if (host == NULL || strlcpy(h, host, sizeof(h)) >= sizeof(h)) {
		sig_respond_text(c, 400, NULL);
		return 1;
	}
	/* drop the port, keep an IPv6 literal's brackets */
	if ((p = strrchr(h, ':')) != NULL && strchr(p, ']') == NULL &&
	    (h[0] != '[' || p > strchr(h, ']')))
		*p = '\0';
	if (cfg->https_port == 443 || cfg->https_port == 0)
		snprintf(extra, sizeof(extra), "Location: https://%s%s\r\n",
		    h, req->target);
	else
		snprintf(extra, sizeof(extra), "Location: https://%s:%d%s\r\n",
		    h, cfg->https_port, req->target);
	sig_respond_text(c, 308, extra);
	return 1;
}

static void
route_healthz(struct hconn *c, const struct http_req *req)
{
	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0)
		sig_respond_text(c, 405, "Allow: GET, HEAD\r\n");
	else if (c->sig->draining)	/* new clients to the other nodes */
		sig_respond(c, 503, "text/plain; charset=utf-8", "draining\n",
		    9, "Cache-Control: no-store\r\n",
		    strcmp(req->method, "HEAD") == 0);
	else
		sig_respond(c, 200, "text/plain; charset=utf-8", "ok\n", 3,
		    "Cache-Control: no-store\r\n",
		    strcmp(req->method, "HEAD") == 0);
}

/* Answers one complete request. */
void
sig_route(struct hconn *c, const struct http_req *req, const char *body,
    size_t len)
{
	char path[HTTP_TARGET_MAX + 1], query[HTTP_TARGET_MAX + 1];

	if (http_target_split(req->target, path, sizeof(path), query,
	    sizeof(query)) != 0) {
		c->keep_alive = 0;
		sig_respond_text(c, 400, NULL);
		return;
	}
	if (route_force_https(c, req, path))
		return;
	if (strcmp(path, "/healthz") == 0)
		route_healthz(c, req);
	else if (strcmp(path, "/metrics") == 0)
		route_metrics(c, req);
	else if (strcmp(path, "/ws") == 0)
		route_ws(c, req);
	else if (strcmp(path, "/api/ice-servers") == 0)
		route_ice_servers(c, req);
	else if (strcmp(path, "/admin/v1/nodes") == 0)
		route_nodes(c, req);
	else if (strcmp(path, "/admin/v1/drain") == 0)
		route_drain(c, req, body, len);
	else if (strncmp(path, "/admin/v1/", 10) == 0 ||
	    strcmp(path, "/admin/v1") == 0)
		route_admin(c, req, body, len);
	else if (strncmp(path, "/api/", 5) == 0)
		sig_respond_json_error(c, 404, "not_found", "no such API",
		    NULL);
	else
		route_static(c, req, path);
}
