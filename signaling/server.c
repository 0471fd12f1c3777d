/*
 * server.c - the HTTP/1.1 and HTTPS server of the signaling module:
 * listeners, connections, routes (static web client, /healthz, /metrics,
 * /ws, /api/ice-servers, /admin/v1/), per-IP limits and timeouts.
 *
 * A connection reads requests through http_parse_request() (a pure parser
 * over struct rd), answers them in order (keep-alive, no pipelining
 * beyond answering in order), and either upgrades to a WebSocket (ws.c,
 * session.c) or closes.  Every response carries SPEC's security headers
 * (and HSTS over HTTPS).
 *
 * Limits: a request (and the TLS handshake) must be complete within
 * HTTP_REQUEST_SECS of the connection or of the previous response (slow
 * headers: 408); an idle keep-alive socket is closed after the same time;
 * at most HTTP_CONN_PER_IP plain HTTP sockets and max-connections-per-ip
 * WebSockets per client IP; the API's requests are counted per client IP
 * in windows of rate-limit-window (429 with Retry-After past
 * rate-limit-max).  At the total cap (half of RLIMIT_NOFILE) a
 * new connection takes the place of the oldest one that has not sent a
 * whole request yet, so that a flood of half-open sockets cannot lock real
 * clients out; with none such it gets a 503.  On EMFILE the listener
 * pauses for a second.
 */
#include "config.h"

#include <sys/resource.h>
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
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth/cred.h"
#include "auth/tls.h"
#include "common/config.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/statedir.h"
#include "db/db.h"
#include "signaling/sig.h"

#define SEC_HEADERS							\
	"X-Frame-Options: DENY\r\n"					\
	"X-Content-Type-Options: nosniff\r\n"				\
	"Referrer-Policy: no-referrer\r\n"				\
	"Content-Security-Policy: default-src 'self'; "			\
	"script-src 'self'; style-src 'self'; img-src 'self' data:; "	\
	"media-src 'self' blob:; connect-src 'self' ws: wss:; "		\
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'\r\n" \
	"Permissions-Policy: camera=(self), microphone=(self)\r\n"
#define HSTS_HEADER	"Strict-Transport-Security: max-age=31536000\r\n"

#define READ_HIGH_WATER	65536

static void	conn_reap(struct hconn *);
static int	upgrade(struct hconn *);
static void	ws_input(struct hconn *);
static void	http_input(struct hconn *);

double
sig_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* Per client IP: sockets and the API's rate limit window. */

static int
ip_cmp(struct ipent *a, struct ipent *b)
{
	if (a->key.family != b->key.family)
		return a->key.family < b->key.family ? -1 : 1;
	return memcmp(a->key.ip, b->key.ip, sizeof(a->key.ip));
}

RB_GENERATE_STATIC(ip_tree, ipent, node, ip_cmp)

static struct ipent *
ip_get(struct signaling *sig, const struct maddr *peer)
{
	struct ipent key, *e;

	memset(&key, 0, sizeof(key));
	addr_client_key(peer, &key.key);
	if ((e = RB_FIND(ip_tree, &sig->ips, &key)) != NULL)
		return e;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->key = key.key;
	RB_INSERT(ip_tree, &sig->ips, e);
	return e;
}

static void
ip_put(struct signaling *sig, struct ipent *e)
{
	long long now = (long long)sig_now();

	if (e == NULL || e->http > 0 || e->ws > 0)
		return;
	if (e->win_count > 0 && now < e->win_start +
	    sig->d->cfg->rate_limit_window)
		return;
	RB_REMOVE(ip_tree, &sig->ips, e);
	free(e);
}

static void
gc_cb(evutil_socket_t fd, short what, void *arg)
{
	struct signaling *sig = arg;
	struct ipent *e, *next;

	(void)fd;
	(void)what;
	RB_FOREACH_SAFE(e, ip_tree, &sig->ips, next)
		ip_put(sig, e);
}

/*
 * Counts one API request of this client IP.  0, or -1 with *retry (the
 * seconds until the window ends) when it is over rate-limit-max.
 */
static int
ip_rate(struct signaling *sig, struct ipent *e, int *retry)
{
	const struct config *cfg = sig->d->cfg;
	long long now = (long long)sig_now();

	if (e->win_count == 0 || now >= e->win_start + cfg->rate_limit_window) {
		e->win_start = now;
		e->win_count = 0;
	}
	if (e->win_count >= cfg->rate_limit_max) {
		*retry = (int)(e->win_start + cfg->rate_limit_window - now);
		if (*retry < 1)
			*retry = 1;
		return -1;
	}
	e->win_count++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Security events and pseudonyms. */

void
sig_pseudonym(struct signaling *sig, const struct maddr *a,
    char out[PSEUDONYM_LEN + 1])
{
	if (sig->d->db != NULL)
		mdb_pseudonym(sig->d->db, a, out);
	else
		strlcpy(out, "unknown", PSEUDONYM_LEN + 1);
}

/* The connection has sent a whole request: no longer evictable. */
static void
unfresh(struct hconn *c)
{
	if (c->fresh) {
		TAILQ_REMOVE(&c->sig->fresh, c, fentry);
		c->fresh = 0;
	}
}

void
sig_secevent(struct signaling *sig, enum secev_type type,
    enum secev_severity sev, const char *session, const struct maddr *a,
    const char *event, json_t *details)
{
	char p[PSEUDONYM_LEN + 1];

	if (sig->d->seclog == NULL) {
		if (details != NULL)
			json_decref(details);
		return;
	}
	if (a != NULL)
		sig_pseudonym(sig, a, p);
	secevent_emit(sig->d->seclog, type, sev, session, a != NULL ? p : NULL,
	    event, details);
}

/* ------------------------------------------------------------------ */
/* Connections. */

static void
conn_free(struct hconn *c)
{
	struct signaling *sig = c->sig;

	if (c->sess != NULL)
		session_detach(c);
	if (c->state == HC_DEFER && sig->d->db != NULL)
		mdb_cancel(sig->d->db, c);
	if (c->ip != NULL) {
		if (c->ws != NULL)
			c->ip->ws--;
		else
			c->ip->http--;
		ip_put(sig, c->ip);
	}
	if (c->ws != NULL)
		metrics_dec(&sig->d->metrics.ws_connections);
	ws_free(c->ws);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	free(c);
}

static void
reaper_cb(evutil_socket_t fd, short what, void *arg)
{
	struct signaling *sig = arg;
	struct hconn *c;

	(void)fd;
	(void)what;
	while ((c = TAILQ_FIRST(&sig->reap)) != NULL) {
		TAILQ_REMOVE(&sig->reap, c, entry);
		conn_free(c);
	}
}

/* Takes the connection out of service now; it is freed on the next turn. */
static void
conn_reap(struct hconn *c)
{
	struct signaling *sig = c->sig;

	if (c->reaped)
		return;
	c->reaped = 1;
	if (c->sess != NULL)
		session_detach(c);
	if (c->state == HC_DEFER && sig->d->db != NULL)
		mdb_cancel(sig->d->db, c);
	c->state = HC_CLOSING;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	unfresh(c);
	TAILQ_REMOVE(&sig->conns, c, entry);
	sig->nconns--;
	TAILQ_INSERT_TAIL(&sig->reap, c, entry);
	event_active(sig->reaper, EV_TIMEOUT, 0);
}

/* Closes once the output is flushed (at most SIG_CLOSE_SECS). */
void
sig_conn_close(struct hconn *c)
{
	struct timeval tv = { SIG_CLOSE_SECS, 0 };

	if (c->reaped || c->state == HC_CLOSING)
		return;
	if (c->sess != NULL)
		session_detach(c);
	if (c->state == HC_DEFER && c->sig->d->db != NULL)
		mdb_cancel(c->sig->d->db, c);
	c->state = HC_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		conn_reap(c);
		return;
	}
	evtimer_add(c->timer, &tv);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct hconn *c = arg;

	(void)bev;
	if (c->state == HC_CLOSING)
		conn_reap(c);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct hconn *c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_reap(c);
}

static void
arm_timer(struct hconn *c, int secs)
{
	struct timeval tv = { secs, 0 };

	evtimer_add(c->timer, &tv);
}

/* ------------------------------------------------------------------ */
/* Responses. */

static void
respond(struct hconn *c, int status, const char *ctype, const void *body,
    size_t len, const char *extra, int head_only)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n" SEC_HEADERS "%s"
	    "Content-Length: %zu\r\n%s%s%s%s%s\r\n", status,
	    http_reason(status), c->tls ? HSTS_HEADER : "", len,
	    ctype != NULL ? "Content-Type: " : "", ctype != NULL ? ctype : "",
	    ctype != NULL ? "\r\n" : "", extra != NULL ? extra : "",
	    c->keep_alive ? "" : "Connection: close\r\n");
	if (!head_only && len > 0)
		evbuffer_add(out, body, len);
	if (!c->keep_alive)
		sig_conn_close(c);
}

static void
respond_text(struct hconn *c, int status, const char *extra)
{
	char body[128];
	int n;

	n = snprintf(body, sizeof(body), "%d %s\n", status,
	    http_reason(status));
	respond(c, status, "text/plain; charset=utf-8", body, (size_t)n, extra,
	    0);
}

static void
respond_json(struct hconn *c, int status, json_t *doc, const char *extra)
{
	char *s;

	if (doc == NULL || (s = json_dumps(doc, JSON_COMPACT)) == NULL) {
		if (doc != NULL)
			json_decref(doc);
		respond_text(c, 500, NULL);
		return;
	}
	respond(c, status, "application/json", s, strlen(s), extra, 0);
	free(s);
	json_decref(doc);
}

static void
respond_json_error(struct hconn *c, int status, const char *code,
    const char *message, const char *extra)
{
	respond_json(c, status, json_pack("{s:s, s:s}", "error", code,
	    "message", message), extra);
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
		respond_text(c, 405, "Allow: GET, HEAD\r\n");
		return;
	}
	if (!cfg_metrics_allowed(sig->d->cfg, &c->peer)) {
		sig_secevent(sig, SECEV_VIOLATION, SECEV_LOW, NULL, &c->peer,
		    "metrics_refused", NULL);
		respond_text(c, 403, NULL);
		return;
	}
	if ((fp = open_memstream(&buf, &len)) == NULL) {
		respond_text(c, 500, NULL);
		return;
	}
	metrics_render(&sig->d->metrics, fp);
	fclose(fp);
	respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len,
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
		respond_text(c, 405, "Allow: GET, HEAD\r\n");
		return;
	}
	if (sig->web_root == NULL) {
		respond_text(c, 404, NULL);
		return;
	}
	rootlen = strlen(sig->web_root);
	if ((size_t)snprintf(full, sizeof(full), "%s%s%s", sig->web_root, rel,
	    rel[strlen(rel) - 1] == '/' ? "index.html" : "") >= sizeof(full) ||
	    realpath(full, real) == NULL) {
		respond_text(c, 404, NULL);
		return;
	}
	/* No escape from the web root, by ".." or by a symbolic link. */
	if (strncmp(real, sig->web_root, rootlen) != 0 ||
	    (real[rootlen] != '/' && real[rootlen] != '\0')) {
		respond_text(c, 404, NULL);
		return;
	}
	if (stat(real, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (strlcat(real, "/index.html", sizeof(real)) >= sizeof(real)) {
			respond_text(c, 404, NULL);
			return;
		}
	}
	if ((fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		respond_text(c, 404, NULL);
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		respond_text(c, 404, NULL);
		return;
	}
	snprintf(hdr, sizeof(hdr), "Cache-Control: no-cache\r\n");
	respond(c, 200, http_mime_type(real), NULL, (size_t)st.st_size, hdr,
	    1);
	if (head || st.st_size == 0) {
		close(fd);
		return;
	}
	if (evbuffer_add_file(bufferevent_get_output(c->bev), fd, 0,
	    st.st_size) != 0) {
		close(fd);	/* evbuffer_add_file closes it only on success */
		conn_reap(c);
	}
}

/* Origin check of the APIs: a request without Origin is not a browser's. */
static int
origin_ok(struct hconn *c, const struct http_req *req)
{
	const struct config *cfg = c->sig->d->cfg;
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

	if (ip_rate(c->sig, c->ip, &retry) == 0)
		return 0;
	snprintf(extra, sizeof(extra), "Retry-After: %d\r\n", retry);
	sig_secevent(c->sig, SECEV_VIOLATION, SECEV_LOW, NULL, &c->peer,
	    "rate_limited", json_pack("{s:s}", "limit", "api"));
	respond_json_error(c, 429, "rate_limited", "too many requests", extra);
	return -1;
}

/* "turn:HOST:PORT?transport=udp" for every address clients reach us at. */
json_t *
sig_ice_servers(struct signaling *sig, struct hconn *c, const char *session)
{
	const struct config *cfg = sig->d->cfg;
	char user[CRED_USER_MAX], pass[CRED_PASS_MAX], id[CRED_ID_MAX];
	char host[ADDR_STRLEN + 2], ip[ADDR_STRLEN], url[ADDR_STRLEN + 64];
	struct maddr hosts[16];
	size_t nh = 0, i, j;
	long long expiry;
	json_t *urls, *srv, *list;
	static const uint8_t zero[16];

	if (cfg->auth_secret.n == 0)
		return NULL;
	if (cfg->external_ip.set)
		hosts[nh++] = cfg->external_ip.pub;
	else {
		for (i = 0; i < cfg->listen.n && nh < 16; i++) {
			struct maddr a = cfg->listen.v[i];

			/* A wildcard: the address this client reached. */
			if (memcmp(a.ip, zero, addr_iplen(&a)) == 0) {
				if (c == NULL || c->local.family == 0)
					continue;
				a = c->local;
			}
			for (j = 0; j < nh; j++)
				if (addr_eq_ip(&hosts[j], &a))
					break;
			if (j == nh)
				hosts[nh++] = a;
		}
	}
	expiry = (long long)time(NULL) + cfg->credential_ttl;
	if (session != NULL)
		snprintf(id, sizeof(id), "s-%s", session);
	if (cred_make(cfg->auth_secret.v[0], session != NULL ? id : NULL,
	    expiry, user, sizeof(user), pass, sizeof(pass)) != 0)
		return NULL;
	if ((urls = json_array()) == NULL)
		return NULL;
	for (i = 0; i < nh; i++) {
		addr_ntop(&hosts[i], ip, sizeof(ip));
		snprintf(host, sizeof(host), hosts[i].family == AF_INET6 ?
		    "[%s]" : "%s", ip);
		snprintf(url, sizeof(url), "turn:%s:%d?transport=udp", host,
		    cfg->turn_port);
		json_array_append_new(urls, json_string(url));
		snprintf(url, sizeof(url), "turn:%s:%d?transport=tcp", host,
		    cfg->turn_port);
		json_array_append_new(urls, json_string(url));
		if (cfg->tls_port != 0) {
			snprintf(url, sizeof(url), "turns:%s:%d?transport=tcp",
			    host, cfg->tls_port);
			json_array_append_new(urls, json_string(url));
		}
	}
	srv = json_pack("{s:o, s:s, s:s}", "urls", urls, "username", user,
	    "credential", pass);
	explicit_bzero(pass, sizeof(pass));
	if (srv == NULL || (list = json_array()) == NULL) {
		if (srv != NULL)
			json_decref(srv);
		return NULL;
	}
	json_array_append_new(list, srv);
	return list;
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
	const struct config *cfg = c->sig->d->cfg;
	const char *origin = http_field(req, "origin");
	char extra[512];
	json_t *servers;

	/* Off unless an api-key is set: credentials for anyone would make the
	 * relay an open proxy to the Internet (SPEC "api-key"). */
	if (cfg->api_key.n == 0) {
		respond_json_error(c, 404, "not_found", "no such API", NULL);
		return;
	}
	extra[0] = '\0';
	if (origin != NULL && origin_ok(c, req))
		snprintf(extra, sizeof(extra), "Access-Control-Allow-Origin: "
		    "%s\r\nVary: Origin\r\n", origin);
	if (strcmp(req->method, "OPTIONS") == 0) {	/* CORS preflight */
		if (!origin_ok(c, req)) {
			origin_refused(c, req, "/api/ice-servers");
			respond_text(c, 403, NULL);
			return;
		}
		strlcat(extra, "Access-Control-Allow-Methods: GET\r\n"
		    "Access-Control-Allow-Headers: Authorization\r\n"
		    "Access-Control-Max-Age: 600\r\n", sizeof(extra));
		respond(c, 204, NULL, NULL, 0, extra, 0);
		return;
	}
	if (strcmp(req->method, "GET") != 0) {
		respond_text(c, 405, "Allow: GET, OPTIONS\r\n");
		return;
	}
	if (api_rate(c) != 0)
		return;
	if (!origin_ok(c, req)) {
		origin_refused(c, req, "/api/ice-servers");
		respond_json_error(c, 403, "forbidden", "origin not allowed",
		    NULL);
		return;
	}
	if (!api_key_ok(cfg, http_field(req, "authorization"))) {
		sig_secevent(c->sig, SECEV_AUTH, SECEV_MEDIUM, NULL, &c->peer,
		    "bad_api_key", NULL);
		strlcat(extra, "WWW-Authenticate: Bearer\r\n", sizeof(extra));
		respond_json_error(c, 401, "unauthorized",
		    "Authorization: Bearer API-KEY needed", extra);
		return;
	}
	if ((servers = sig_ice_servers(c->sig, c, NULL)) == NULL) {
		respond_json_error(c, 500, "internal", "no credentials", NULL);
		return;
	}
	strlcat(extra, "Cache-Control: no-store\r\n", sizeof(extra));
	respond_json(c, 200, json_pack("{s:o, s:s, s:I}", "iceServers",
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
	respond(c, status, "application/json", json,
	    json != NULL ? strlen(json) : 0, extra, 0);
	if (c->state == HC_HTTP) {
		arm_timer(c, HTTP_REQUEST_SECS);
		bufferevent_enable(c->bev, EV_READ);
		http_input(c);
	}
}

static void
route_admin(struct hconn *c, const struct http_req *req, const char *body,
    size_t len)
{
	struct signaling *sig = c->sig;

	if (api_rate(c) != 0)
		return;
	if (!origin_ok(c, req)) {
		origin_refused(c, req, "/admin/v1/");
		respond_json_error(c, 403, "forbidden", "origin not allowed",
		    NULL);
		return;
	}
	if (sig->d->db == NULL || mdb_admin_request(sig->d->db, req->method,
	    req->target, http_field(req, "authorization"), body, len,
	    &c->peer, admin_cb, c) != DB_OK) {
		respond_json_error(c, 503, "unavailable",
		    "the moderation store is not available", NULL);
		return;
	}
	c->state = HC_DEFER;
	bufferevent_disable(c->bev, EV_READ);
	evtimer_del(c->timer);
}

/* RFC 6455 §4.2: the opening handshake; SPEC's refusals first. */
static void
route_ws(struct hconn *c, const struct http_req *req)
{
	struct signaling *sig = c->sig;
	const struct config *cfg = sig->d->cfg;
	const char *up = http_field(req, "upgrade"), *key, *ver, *origin;
	char accept[WS_ACCEPT_LEN + 1];
	struct evbuffer *out;

	if (strcmp(req->method, "GET") != 0) {
		respond_text(c, 405, "Allow: GET\r\n");
		return;
	}
	if (!req->upgrade || up == NULL || !http_has_token(up, "websocket")) {
		respond_text(c, 426, "Upgrade: websocket\r\n");
		return;
	}
	ver = http_field(req, "sec-websocket-version");
	if (ver == NULL || strcmp(ver, "13") != 0) {
		respond_text(c, 426, "Sec-WebSocket-Version: 13\r\n");
		return;
	}
	key = http_field(req, "sec-websocket-key");
	if (key == NULL || http_field_count(req, "sec-websocket-key") != 1 ||
	    ws_accept_key(key, accept, sizeof(accept)) != 0 ||
	    req->content_length > 0) {
		c->keep_alive = 0;
		respond_text(c, 400, NULL);
		return;
	}
	origin = http_field(req, "origin");
	if (origin != NULL && !origin_ok(c, req)) {
		origin_refused(c, req, "/ws");
		c->keep_alive = 0;
		respond_text(c, 403, NULL);
		return;
	}
	if (sig->d->db != NULL && mdb_is_banned(sig->d->db, &c->peer)) {
		sig_secevent(sig, SECEV_CONNECTION, SECEV_HIGH, NULL, &c->peer,
		    "banned_client", NULL);
		c->keep_alive = 0;
		respond_text(c, 403, NULL);
		return;
	}
	if (c->ip->ws >= cfg->max_connections_per_ip) {
		sig_secevent(sig, SECEV_VIOLATION, SECEV_LOW, NULL, &c->peer,
		    "too_many_connections", json_pack("{s:I}", "limit",
		    (json_int_t)cfg->max_connections_per_ip));
		c->keep_alive = 0;
		respond_text(c, 429, NULL);
		return;
	}
	out = bufferevent_get_output(c->bev);
	evbuffer_add_printf(out, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n" SEC_HEADERS "%s\r\n", accept,
	    c->tls ? HSTS_HEADER : "");
	if (upgrade(c) != 0 || session_new(sig, c) == NULL) {
		if (c->ws != NULL)
			ws_close(c->ws, WS_CLOSE_INTERNAL, "out of memory");
		sig_conn_close(c);
	}
}

static void
route(struct hconn *c, const struct http_req *req, const char *body,
    size_t len)
{
	const struct config *cfg = c->sig->d->cfg;
	char path[HTTP_TARGET_MAX + 1], query[HTTP_TARGET_MAX + 1];
	char extra[HTTP_TARGET_MAX + 600];
	const char *host;
	char h[256], *p;

	if (http_target_split(req->target, path, sizeof(path), query,
	    sizeof(query)) != 0) {
		c->keep_alive = 0;
		respond_text(c, 400, NULL);
		return;
	}
	if (cfg->force_https && !c->tls && strcmp(path, "/healthz") != 0 &&
	    strcmp(path, "/metrics") != 0) {
		if (strcmp(path, "/ws") == 0) {
			c->keep_alive = 0;
			respond_text(c, 403, NULL);
			return;
		}
		host = http_field(req, "host");
		if (host == NULL || strlcpy(h, host, sizeof(h)) >= sizeof(h)) {
			respond_text(c, 400, NULL);
			return;
		}
		/* drop the port, keep an IPv6 literal's brackets */
		if ((p = strrchr(h, ':')) != NULL && strchr(p, ']') == NULL &&
		    (h[0] != '[' || p > strchr(h, ']')))
			*p = '\0';
		if (cfg->https_port == 443 || cfg->https_port == 0)
			snprintf(extra, sizeof(extra), "Location: https://%s%s"
			    "\r\n", h, req->target);
		else
			snprintf(extra, sizeof(extra), "Location: https://%s:%d"
			    "%s\r\n", h, cfg->https_port, req->target);
		respond_text(c, 308, extra);
		return;
	}
	if (strcmp(path, "/healthz") == 0) {
		if (strcmp(req->method, "GET") != 0 &&
		    strcmp(req->method, "HEAD") != 0)
			respond_text(c, 405, "Allow: GET, HEAD\r\n");
		else
			respond(c, 200, "text/plain; charset=utf-8", "ok\n", 3,
			    "Cache-Control: no-store\r\n",
			    strcmp(req->method, "HEAD") == 0);
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		route_metrics(c, req);
		return;
	}
	if (strcmp(path, "/ws") == 0) {
		route_ws(c, req);
		return;
	}
	if (strcmp(path, "/api/ice-servers") == 0) {
		route_ice_servers(c, req);
		return;
	}
	if (strncmp(path, ADMIN_API_PREFIX, strlen(ADMIN_API_PREFIX)) == 0 ||
	    strcmp(path, "/admin/v1") == 0) {
		route_admin(c, req, body, len);
		return;
	}
	if (strncmp(path, "/api/", 5) == 0) {
		respond_json_error(c, 404, "not_found", "no such API", NULL);
		return;
	}
	route_static(c, req, path);
}

/* ------------------------------------------------------------------ */
/* Input. */

static void
ws_text_cb(void *arg, const uint8_t *p, size_t len)
{
	session_message(arg, p, len);
}

static void
ws_error_cb(void *arg, enum ws_err e)
{
	session_frame_error(arg, e);
}

static int
ws_out_cb(void *arg, const uint8_t *p, size_t len)
{
	struct hconn *c = arg;

	return evbuffer_add(bufferevent_get_output(c->bev), p, len);
}

static void
ws_failed(struct hconn *c)
{
	struct signaling *sig = c->sig;
	const char *sess = c->sess != NULL ? c->sess->pn.id : NULL;

	switch (ws_fail_reason(c->ws)) {
	case WS_FAIL_UNMASKED:
		sig_secevent(sig, SECEV_VIOLATION, SECEV_MEDIUM, sess, &c->peer,
		    "unmasked_frame", NULL);
		break;
	case WS_FAIL_HUGE:
		sig_secevent(sig, SECEV_VIOLATION, SECEV_MEDIUM, sess, &c->peer,
		    "oversize_frame", json_pack("{s:I}", "limit",
		    (json_int_t)WS_DISCARD_MAX));
		break;
	case WS_FAIL_PROTOCOL:
		sig_secevent(sig, SECEV_VIOLATION, SECEV_LOW, sess, &c->peer,
		    "websocket_protocol_error", NULL);
		break;
	default:
		break;
	}
	sig_conn_close(c);
}

static void
ws_input(struct hconn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	uint8_t buf[16384];
	size_t n;

	while (c->state == HC_WS && (n = evbuffer_get_length(in)) > 0) {
		if (n > sizeof(buf))
			n = sizeof(buf);
		if (evbuffer_remove(in, buf, n) != (int)n) {
			conn_reap(c);
			return;
		}
		c->last_rx = sig_now();
		if (ws_feed(c->ws, buf, n) != 0) {
			if (c->state == HC_WS)
				ws_failed(c);
			return;
		}
	}
}

/* After a 101: the connection speaks WebSocket from the next byte on. */
static int
upgrade(struct hconn *c)
{
	static const struct ws_cb cb = { ws_text_cb, ws_error_cb, ws_out_cb };

	if ((c->ws = ws_new(&cb, c)) == NULL)
		return -1;
	c->state = HC_WS;
	c->ip->http--;
	c->ip->ws++;
	metrics_inc(&c->sig->d->metrics.ws_connections);
	c->last_rx = sig_now();
	arm_timer(c, WS_PING_SECS);
	return 0;
}

static void
http_input(struct hconn *c)
{
	struct evbuffer *in;
	struct http_req *req = NULL;
	const size_t cap = HTTP_TARGET_MAX + 64 + HTTP_HEADERS_MAX + 16;
	size_t len, n, consumed, blen;
	uint8_t *p;
	char *body = NULL;
	struct rd r;
	int rc;

	while (c->state == HC_HTTP) {
		in = bufferevent_get_input(c->bev);
		if ((len = evbuffer_get_length(in)) == 0)
			break;
		if (req == NULL && (req = malloc(sizeof(*req))) == NULL) {
			conn_reap(c);
			break;
		}
		n = len < cap ? len : cap;
		if ((p = evbuffer_pullup(in, (ssize_t)n)) == NULL) {
			conn_reap(c);
			break;
		}
		rd_init(&r, p, n);
		rc = http_parse_request(&r, req, &consumed);
		if (rc != HTTP_PARSE_MORE)
			unfresh(c);
		if (rc == HTTP_PARSE_MORE) {
			if (n >= cap) {
				c->keep_alive = 0;
				respond_text(c, 431, NULL);
			}
			break;
		}
		if (rc != HTTP_PARSE_DONE) {
			c->keep_alive = 0;
			respond_text(c, rc, NULL);
			break;
		}
		if (req->content_length > HTTP_BODY_MAX) {
			c->keep_alive = 0;
			respond_text(c, 413, NULL);
			break;
		}
		blen = req->content_length > 0 ? (size_t)req->content_length : 0;
		if (len < consumed + blen) {
			/* the body is still coming; RFC 9110 §10.1.1 */
			const char *expect = http_field(req, "expect");

			if (expect != NULL && !c->continued &&
			    strcasecmp(expect, "100-continue") == 0) {
				c->continued = 1;
				evbuffer_add_printf(bufferevent_get_output(
				    c->bev), "HTTP/1.1 100 Continue\r\n\r\n");
			}
			break;
		}
		c->continued = 0;
		evbuffer_drain(in, consumed);
		if ((body = malloc(blen + 1)) == NULL ||
		    evbuffer_remove(in, body, blen) != (int)blen) {
			conn_reap(c);
			break;
		}
		body[blen] = '\0';
		c->keep_alive = req->keep_alive;
		route(c, req, body, blen);
		free(body);
		body = NULL;
		if (c->state == HC_WS) {
			/* the 101 went out: WebSocket from the next byte on */
			ws_input(c);
			break;
		}
		if (c->state == HC_HTTP)
			arm_timer(c, HTTP_REQUEST_SECS);
	}
	free(req);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct hconn *c = arg;

	(void)bev;
	if (c->state == HC_HTTP)
		http_input(c);
	else if (c->state == HC_WS)
		ws_input(c);
	else
		evbuffer_drain(bufferevent_get_input(c->bev),
		    evbuffer_get_length(bufferevent_get_input(c->bev)));
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hconn *c = arg;
	double now = sig_now();

	(void)fd;
	(void)what;
	switch (c->state) {
	case HC_HTTP:
		if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
			c->keep_alive = 0;
			respond_text(c, 408, NULL);	/* slow headers */
		} else
			conn_reap(c);			/* idle */
		break;
	case HC_WS:
		if (now - c->last_rx > WS_DEAD_SECS) {
			ws_close(c->ws, WS_CLOSE_GOING_AWAY, "timeout");
			sig_conn_close(c);
			break;
		}
		ws_send_ping(c->ws);
		arm_timer(c, WS_PING_SECS);
		break;
	case HC_DEFER:
		break;
	case HC_CLOSING:
		conn_reap(c);
		break;
	}
}

int
sig_conn_send(struct hconn *c, const char *s, size_t len)
{
	if (c->state != HC_WS || c->ws == NULL)
		return -1;
	if (ws_send_text(c->ws, s, len) != 0)
		return -1;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > WS_OUT_MAX) {
		/* A reader this slow would hold memory without bound. */
		sig_secevent(c->sig, SECEV_ERROR, SECEV_LOW, c->sess != NULL ?
		    c->sess->pn.id : NULL, &c->peer, "slow_consumer", NULL);
		conn_reap(c);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Listeners. */

static const char resp_503[] = "HTTP/1.1 503 Service Unavailable\r\n"
    SEC_HEADERS "Content-Length: 0\r\nConnection: close\r\n\r\n";

/*
 * At the total cap: reaps the oldest connection that has not sent a whole
 * request, for a newcomer that passed its per-IP check.  0 when every
 * connection has spoken.
 */
static int
evict_fresh(struct signaling *sig)
{
	struct hconn *c;

	if ((c = TAILQ_FIRST(&sig->fresh)) == NULL)
		return 0;
	/* One event a second says a flood is on, not each socket. */
	if (time(NULL) != sig->evict_logged) {
		sig->evict_logged = time(NULL);
		sig_secevent(sig, SECEV_CONNECTION, SECEV_MEDIUM, NULL, &c->peer,
		    "http_conn_limit", json_pack("{s:s}", "why", "connections "
		    "in total: the oldest without a request dropped for a new "
		    "one"));
	}
	conn_reap(c);
	return 1;
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct sig_listener *sl = arg;
	struct signaling *sig = sl->sig;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct hconn *c;
	struct ipent *ip;
	struct maddr peer;
	SSL *ssl;

	(void)l;
	(void)salen;
	addr_from_sockaddr(&peer, sa);
	if (sig->stopping || (ip = ip_get(sig, &peer)) == NULL ||
	    ip->http >= HTTP_CONN_PER_IP ||
	    (sig->nconns >= sig->max_conns && !evict_fresh(sig))) {
		if (!sl->tls && !sig->stopping &&
		    send(fd, resp_503, sizeof(resp_503) - 1,
		    MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			log_debug("http: 503 not sent: %s", strerror(errno));
		evutil_closesocket(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		ip_put(sig, ip);
		return;
	}
	c->sig = sig;
	c->peer = peer;
	c->tls = sl->tls;
	c->keep_alive = 1;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		addr_from_sockaddr(&c->local, (struct sockaddr *)&ss);
	if (sl->tls) {
		if ((ssl = SSL_new(sig->tls)) == NULL) {
			evutil_closesocket(fd);
			free(c);
			ip_put(sig, ip);
			return;
		}
		c->bev = bufferevent_openssl_socket_new(sig->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else
		c->bev = bufferevent_socket_new(sig->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL ||
	    (c->timer = evtimer_new(sig->base, timer_cb, c)) == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		free(c);
		ip_put(sig, ip);
		return;
	}
	c->ip = ip;
	ip->http++;
	TAILQ_INSERT_TAIL(&sig->conns, c, entry);
	TAILQ_INSERT_TAIL(&sig->fresh, c, fentry);
	c->fresh = 1;
	sig->nconns++;
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, READ_HIGH_WATER);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	arm_timer(c, HTTP_REQUEST_SECS);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sig_listener *sl = arg;

	(void)fd;
	(void)what;
	if (!sl->sig->stopping)
		evconnlistener_enable(sl->l);
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct sig_listener *sl = arg;
	struct timeval tv = { 1, 0 };
	int e = EVUTIL_SOCKET_ERROR();

	(void)l;
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		log_warn("http: accept: %s; pausing for a second",
		    strerror(e));
		evconnlistener_disable(sl->l);
		evtimer_add(sl->retry, &tv);
		return;
	}
	log_warn("http: accept: %s", strerror(e));
}

static int
listen_one(struct signaling *sig, struct sig_listener *sl,
    const struct maddr *a, int port, int tls, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct maddr m = *a;
	char ip[ADDR_STRLEN];
	socklen_t len;
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	    LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED;

	m.port = (uint16_t)port;
	len = addr_to_sockaddr(&m, &ss);
	if (m.family == AF_INET6)
		flags |= LEV_OPT_BIND_IPV6ONLY;
	sl->sig = sig;
	sl->tls = tls;
	sl->l = evconnlistener_new_bind(sig->base, accept_cb, sl, flags, 511,
	    (struct sockaddr *)&ss, (int)len);
	if (sl->l == NULL) {
		snprintf(err, errlen, "%s %s: %s", tls ? "https-port" :
		    "http-port", addr_ntop_port(&m, ip, sizeof(ip)),
		    strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(sl->l, accept_error_cb);
	if ((sl->retry = evtimer_new(sig->base, retry_cb, sl)) == NULL) {
		snprintf(err, errlen, "http: out of memory");
		return -1;
	}
	return 0;
}

static void
set_web_root(struct signaling *sig, const struct config *cfg)
{
	char real[PATH_MAX];

	free(sig->web_root);
	sig->web_root = NULL;
	if (cfg->web_root == NULL)
		return;
	if (realpath(cfg->web_root, real) == NULL) {
		log_warn("web-root %s: %s; static files answer 404",
		    cfg->web_root, strerror(errno));
		return;
	}
	sig->web_root = strdup(real);
}

struct signaling *
signaling_new(struct daemon *d, char *err, size_t errlen)
{
	const struct config *cfg = d->cfg;
	struct signaling *sig;
	struct rlimit rl;
	char *secret = NULL;
	size_t i, n, slen;
	struct timeval tv = { 60, 0 };

	if ((sig = calloc(1, sizeof(*sig))) == NULL) {
		snprintf(err, errlen, "signaling: out of memory");
		return NULL;
	}
	sig->d = d;
	sig->base = d->base;
	TAILQ_INIT(&sig->conns);
	TAILQ_INIT(&sig->fresh);
	TAILQ_INIT(&sig->reap);
	RB_INIT(&sig->ips);
	RB_INIT(&sig->sessions);
	TAILQ_INIT(&sig->dropped);
	RB_INIT(&sig->dropips);
	pair_queue_init(&sig->queue, PAIR_INTEREST_WAIT);
	/* Half of the descriptors: a quarter is TURN over TCP and TLS, the
	 * rest the UDP relays, the database and the logs. */
	sig->max_conns = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		sig->max_conns = rl.rlim_cur > 256 ? rl.rlim_cur / 2 : 64;
	if ((sig->pairs = pair_table_new()) == NULL ||
	    (sig->reaper = event_new(d->base, -1, 0, reaper_cb, sig)) ==
	    NULL || (sig->gc = event_new(d->base, -1, EV_PERSIST, gc_cb,
	    sig)) == NULL) {
		snprintf(err, errlen, "signaling: out of memory");
		goto fail;
	}
	evtimer_add(sig->gc, &tv);
	/* The resume token key: 32 random bytes kept in the state dir. */
	if (statedir_secret(d->state_dir, "resume-secret", 32, &secret, err,
	    errlen) != 0)
		goto fail;
	slen = strlen(secret);
	for (i = 0; i < sizeof(sig->jwt_key) && 2 * i + 1 < slen; i++) {
		unsigned v;
		char hex[3] = { secret[2 * i], secret[2 * i + 1], 0 };

		v = (unsigned)strtoul(hex, NULL, 16);
		sig->jwt_key[i] = (uint8_t)v;
	}
	explicit_bzero(secret, slen);
	free(secret);
	if (i < sizeof(sig->jwt_key)) {
		snprintf(err, errlen, "state dir: resume-secret is too short");
		goto fail;
	}
	set_web_root(sig, cfg);
	if (cfg->https_port != 0 && (sig->tls = tls_server_ctx(cfg->cert,
	    cfg->pkey, err, errlen)) == NULL)
		goto fail;
	n = cfg->listen.n * (cfg->https_port != 0 ? 2 : 1);
	if ((sig->lis = calloc(n > 0 ? n : 1, sizeof(*sig->lis))) == NULL) {
		snprintf(err, errlen, "signaling: out of memory");
		goto fail;
	}
	for (i = 0; i < cfg->listen.n; i++) {
		if (listen_one(sig, &sig->lis[sig->nlis++], &cfg->listen.v[i],
		    cfg->http_port, 0, err, errlen) != 0)
			goto fail;
		if (cfg->https_port != 0 && listen_one(sig,
		    &sig->lis[sig->nlis++], &cfg->listen.v[i],
		    cfg->https_port, 1, err, errlen) != 0)
			goto fail;
	}
	return sig;
fail:
	signaling_free(sig);
	return NULL;
}

int
signaling_start(struct signaling *sig)
{
	size_t i;

	for (i = 0; i < sig->nlis; i++)
		if (evconnlistener_enable(sig->lis[i].l) != 0)
			return -1;
	log_info("signaling: HTTP on port %d%s", sig->d->cfg->http_port,
	    sig->tls != NULL ? ", HTTPS too" : "");
	return 0;
}

void
signaling_reload(struct signaling *sig, const struct config *cfg)
{
	char err[512];
	SSL_CTX *ctx;

	if (sig == NULL)
		return;
	set_web_root(sig, cfg);
	if (sig->tls != NULL) {
		if ((ctx = tls_server_ctx(cfg->cert, cfg->pkey, err,
		    sizeof(err))) == NULL)
			log_err("SIGHUP: HTTPS keeps its certificate: %s", err);
		else {
			SSL_CTX_free(sig->tls);
			sig->tls = ctx;
		}
	}
	session_reload(sig);
}

void
signaling_stop(struct signaling *sig)
{
	struct hconn *c, *next;
	size_t i;

	if (sig == NULL)
		return;
	sig->stopping = 1;
	/* Close the listening sockets: connections are refused, not left
	 * in the backlog, and a new daemon can bind the ports. */
	for (i = 0; i < sig->nlis; i++) {
		if (sig->lis[i].l != NULL)
			evconnlistener_free(sig->lis[i].l);
		sig->lis[i].l = NULL;
		if (sig->lis[i].retry != NULL)
			evtimer_del(sig->lis[i].retry);
	}
	TAILQ_FOREACH_SAFE(c, &sig->conns, entry, next) {
		if (c->state == HC_WS)
			ws_close(c->ws, WS_CLOSE_GOING_AWAY, "server stopping");
		sig_conn_close(c);
	}
}

void
signaling_free(struct signaling *sig)
{
	struct hconn *c;
	struct ipent *e, *next;
	size_t i;

	if (sig == NULL)
		return;
	sig->stopping = 1;
	while ((c = TAILQ_FIRST(&sig->conns)) != NULL) {
		TAILQ_REMOVE(&sig->conns, c, entry);
		conn_free(c);
	}
	while ((c = TAILQ_FIRST(&sig->reap)) != NULL) {
		TAILQ_REMOVE(&sig->reap, c, entry);
		conn_free(c);
	}
	session_free_all(sig);
	RB_FOREACH_SAFE(e, ip_tree, &sig->ips, next) {
		RB_REMOVE(ip_tree, &sig->ips, e);
		free(e);
	}
	for (i = 0; i < sig->nlis; i++) {
		if (sig->lis[i].l != NULL)
			evconnlistener_free(sig->lis[i].l);
		if (sig->lis[i].retry != NULL)
			event_free(sig->lis[i].retry);
	}
	free(sig->lis);
	if (sig->reaper != NULL)
		event_free(sig->reaper);
	if (sig->gc != NULL)
		event_free(sig->gc);
	if (sig->tls != NULL)
		SSL_CTX_free(sig->tls);
	pair_table_free(sig->pairs);
	free(sig->web_root);
	explicit_bzero(sig->jwt_key, sizeof(sig->jwt_key));
	free(sig);
}

int
sig_are_partners(struct signaling *sig, const char *a, const char *b)
{
	return sig != NULL && pair_table_are(sig->pairs, a, b);
}

int
sig_peer_hook(void *arg, const char *user_a, const char *user_b)
{
	struct signaling *sig = arg;
	char a[CRED_ID_MAX], b[CRED_ID_MAX];

	if (cred_session_of(user_a, strlen(user_a), a, sizeof(a)) != 0)
		return 1;	/* not a session's credential: not restricted */
	if (cred_session_of(user_b, strlen(user_b), b, sizeof(b)) != 0)
		return 0;
	return sig_are_partners(sig, a, b);
}

void
sig_set_pair_hook(struct signaling *sig, sig_pair_hook fn, void *arg)
{
	sig->hook = fn;
	sig->hook_arg = arg;
}

void
sig_set_end_hook(struct signaling *sig, sig_end_hook fn, void *arg)
{
	sig->end_hook = fn;
	sig->end_hook_arg = arg;
}

void
signaling_bans_changed(struct signaling *sig)
{
	if (sig != NULL && !sig->stopping)
		session_ban_check(sig);
}

size_t
sig_sessions(struct signaling *sig)
{
	return sig->nsessions;
}
