/*
 * hconn.c - the HTTP/1.1 and HTTPS connection loop of the signaling
 * module, a user of common/listener.h's connection server: it reads
 * requests through http_parse_request() (a pure parser over struct rd),
 * hands each complete one to routes.c, answers them in order (keep-alive,
 * no pipelining beyond answering in order), and either upgrades to a
 * WebSocket (ws.c, session.c) or closes.
 *
 * Limits: a request (and the TLS handshake) must be complete within
 * HTTP_REQUEST_SECS of the connection or of the previous response (slow
 * headers: 408); an idle keep-alive socket is closed after the same time;
 * at most HTTP_CONN_PER_IP plain HTTP sockets per client IP (a WebSocket
 * is counted apart, SIG_KIND_WS, against max-connections-per-ip in
 * routes.c).  At the total cap (half of RLIMIT_NOFILE) a new connection
 * takes the place of the oldest one that has not sent a whole request
 * yet, so that a flood of half-open sockets cannot lock real clients out;
 * with none such it gets a 503.  On EMFILE the listener pauses for a
 * second.  A WebSocket is pinged every WS_PING_SECS and closed when
 * silent for WS_DEAD_SECS; one that does not read is closed past
 * WS_OUT_MAX bytes queued.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "auth/tls.h"
#include "common/config.h"
#include "common/listener.h"
#include "common/log.h"
#include "signaling/sig.h"

#define READ_HIGH_WATER	65536

static void	ws_input(struct hconn *);

/* ------------------------------------------------------------------ */
/* Closing. */

/* Takes the connection out of service now; it is freed on a later turn. */
void
sig_conn_reap(struct hconn *c)
{
	struct signaling *sig = c->sig;

	if (conn_closing(c->cn))
		return;
	if (c->sess != NULL)
		session_detach(c);
	if (c->state == HC_DEFER && sig->env.mod.cancel != NULL)
		sig->env.mod.cancel(sig->env.mod.arg, c);
	c->state = HC_CLOSING;
	conn_close(c->cn);
}

/* Closes once the output is flushed (at most SIG_CLOSE_SECS). */
void
sig_conn_close(struct hconn *c)
{
	if (conn_closing(c->cn) || c->state == HC_CLOSING)
		return;
	if (c->sess != NULL)
		session_detach(c);
	if (c->state == HC_DEFER && c->sig->env.mod.cancel != NULL)
		c->sig->env.mod.cancel(c->sig->env.mod.arg, c);
	c->state = HC_CLOSING;
	bufferevent_disable(conn_bev(c->cn), EV_READ);
	if (evbuffer_get_length(sig_conn_output(c)) == 0) {
		sig_conn_reap(c);
		return;
	}
	conn_timer(c->cn, SIG_CLOSE_SECS);
}

/* The connection server frees the socket: what hangs off it goes first. */
static void
hconn_free_cb(struct conn *cn, void *arg)
{
	struct hconn *c = arg;
	struct signaling *sig = c->sig;

	(void)cn;
	if (c->sess != NULL)
		session_detach(c);
	if (c->state == HC_DEFER && sig->env.mod.cancel != NULL)
		sig->env.mod.cancel(sig->env.mod.arg, c);
	if (c->ws != NULL) {
		metrics_dec(&sig->env.metrics->ws_connections);
		if (sig->limits.ws_changed != NULL)
			sig->limits.ws_changed(sig->limits.arg, &c->peer, -1);
	}
	ws_free(c->ws);
	free(c);
}

static void
hconn_write_cb(struct conn *cn, void *arg)
{
	struct hconn *c = arg;

	(void)cn;
	if (c->state == HC_CLOSING)
		sig_conn_reap(c);
}

static void
hconn_event_cb(struct conn *cn, void *arg, short what)
{
	(void)cn;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		sig_conn_reap(arg);
}

void
sig_conn_timer(struct hconn *c, int secs)
{
	conn_timer(c->cn, secs);
}

struct evbuffer *
sig_conn_output(struct hconn *c)
{
	return bufferevent_get_output(conn_bev(c->cn));
}

/* ------------------------------------------------------------------ */
/* Responses. */

void
sig_respond(struct hconn *c, int status, const char *ctype, const void *body,
    size_t len, const char *extra, int head_only)
{
	struct evbuffer *out = sig_conn_output(c);

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

void
sig_respond_text(struct hconn *c, int status, const char *extra)
{
	char body[128];
	int n;

	n = snprintf(body, sizeof(body), "%d %s\n", status,
	    http_reason(status));
	sig_respond(c, status, "text/plain; charset=utf-8", body, (size_t)n, extra,
	    0);
}

void
sig_respond_json(struct hconn *c, int status, json_t *doc, const char *extra)
{
	char *s;

	if (doc == NULL || (s = json_dumps(doc, JSON_COMPACT)) == NULL) {
		if (doc != NULL)
			json_decref(doc);
		sig_respond_text(c, 500, NULL);
		return;
	}
	sig_respond(c, status, "application/json", s, strlen(s), extra, 0);
	free(s);
	json_decref(doc);
}

void
sig_respond_json_error(struct hconn *c, int status, const char *code,
    const char *message, const char *extra)
{
	sig_respond_json(c, status, json_pack("{s:s, s:s}", "error", code,
	    "message", message), extra);
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

	return evbuffer_add(sig_conn_output(c), p, len);
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
	struct evbuffer *in = bufferevent_get_input(conn_bev(c->cn));
	uint8_t buf[16384];
	size_t n;

	while (c->state == HC_WS && (n = evbuffer_get_length(in)) > 0) {
		if (n > sizeof(buf))
			n = sizeof(buf);
		if (evbuffer_remove(in, buf, n) != (int)n) {
			sig_conn_reap(c);
			return;
		}
		c->last_rx = clock_mono_ms();
		if (ws_feed(c->ws, buf, n) != 0) {
			if (c->state == HC_WS)
				ws_failed(c);
			return;
		}
	}
}

/* After a 101: the connection speaks WebSocket from the next byte on. */
int
sig_upgrade(struct hconn *c)
{
	static const struct ws_cb cb = { ws_text_cb, ws_error_cb, ws_out_cb };

	if ((c->ws = ws_new(&cb, c)) == NULL)
		return -1;
	c->state = HC_WS;
	conn_set_kind(c->cn, SIG_KIND_WS);
	metrics_inc(&c->sig->env.metrics->ws_connections);
	if (c->sig->limits.ws_changed != NULL)
		c->sig->limits.ws_changed(c->sig->limits.arg, &c->peer, 1);
	c->last_rx = clock_mono_ms();
	sig_conn_timer(c, WS_PING_SECS);
	return 0;
}

/* Reads and answers every complete request buffered, in order. */
void
sig_http_input(struct hconn *c)
{
	struct evbuffer *in;
	struct http_req *req = NULL;
	const size_t cap = HTTP_TARGET_MAX + 64 + HTTP_HEADERS_MAX + 16;
	size_t len, n, consumed, blen;
	uint8_t *p;
	char *body = NULL;
	struct rd r;
	int rc, status;

	while (c->state == HC_HTTP) {
		in = bufferevent_get_input(conn_bev(c->cn));
		if ((len = evbuffer_get_length(in)) == 0)
			break;
		if (req == NULL && (req = malloc(sizeof(*req))) == NULL) {
			sig_conn_reap(c);
			break;
		}
		n = len < cap ? len : cap;
		if ((p = evbuffer_pullup(in, (ssize_t)n)) == NULL) {
			sig_conn_reap(c);
			break;
		}
		rd_init(&r, p, n);
		rc = http_parse_request(&r, req, &consumed, &status);
		if (rc == 0 && consumed == 0) {		/* more to come */
			if (n >= cap) {
				c->keep_alive = 0;
				sig_respond_text(c, 431, NULL);
			}
			break;
		}
		conn_spoke(c->cn);	/* no longer evicted at the cap */
		if (rc != 0) {
			c->keep_alive = 0;
			sig_respond_text(c, status, NULL);
			break;
		}
		if (req->content_length > HTTP_BODY_MAX) {
			c->keep_alive = 0;
			sig_respond_text(c, 413, NULL);
			break;
		}
		blen = req->content_length > 0 ? (size_t)req->content_length : 0;
		if (len < consumed + blen) {
			/* the body is still coming; RFC 9110 §10.1.1 */
			const char *expect = http_field(req, "expect");

			if (expect != NULL && !c->continued &&
			    strcasecmp(expect, "100-continue") == 0) {
				c->continued = 1;
				evbuffer_add_printf(sig_conn_output(c),
				    "HTTP/1.1 100 Continue\r\n\r\n");
			}
			break;
		}
		c->continued = 0;
		evbuffer_drain(in, consumed);
		if ((body = malloc(blen + 1)) == NULL ||
		    evbuffer_remove(in, body, blen) != (int)blen) {
			sig_conn_reap(c);
			break;
		}
		body[blen] = '\0';
		c->keep_alive = req->keep_alive;
		sig_route(c, req, body, blen);
		free(body);
		body = NULL;
		if (c->state == HC_WS) {
			/* the 101 went out: WebSocket from the next byte on */
			ws_input(c);
			break;
		}
		if (c->state == HC_HTTP)
			sig_conn_timer(c, HTTP_REQUEST_SECS);
	}
	free(req);
}

static void
hconn_read_cb(struct conn *cn, void *arg)
{
	struct hconn *c = arg;
	struct evbuffer *in = bufferevent_get_input(conn_bev(cn));

	if (c->state == HC_HTTP)
		sig_http_input(c);
	else if (c->state == HC_WS)
		ws_input(c);
	else
		evbuffer_drain(in, evbuffer_get_length(in));
}

static void
hconn_timeout_cb(struct conn *cn, void *arg)
{
	struct hconn *c = arg;
	uint64_t now = clock_mono_ms();

	switch (c->state) {
	case HC_HTTP:
		if (evbuffer_get_length(bufferevent_get_input(conn_bev(cn))) >
		    0) {
			c->keep_alive = 0;
			sig_respond_text(c, 408, NULL);	/* slow headers */
		} else
			sig_conn_reap(c);		/* idle */
		break;
	case HC_WS:
		if (now - c->last_rx > WS_DEAD_SECS * 1000) {
			ws_close(c->ws, WS_CLOSE_GOING_AWAY, "timeout");
			sig_conn_close(c);
			break;
		}
		ws_send_ping(c->ws);
		sig_conn_timer(c, WS_PING_SECS);
		break;
	case HC_DEFER:
		break;
	case HC_CLOSING:
		sig_conn_reap(c);
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
	if (evbuffer_get_length(sig_conn_output(c)) > WS_OUT_MAX) {
		/* A reader this slow would hold memory without bound. */
		sig_secevent(c->sig, SECEV_ERROR, SECEV_LOW, c->sess != NULL ?
		    c->sess->pn.id : NULL, &c->peer, "slow_consumer", NULL);
		sig_conn_reap(c);
		return -1;
	}
	return 0;
}


/* ------------------------------------------------------------------ */
/* The connection server's callbacks. */

static const struct conn_handler hconn_handler = {
	.read = hconn_read_cb,
	.write = hconn_write_cb,
	.event = hconn_event_cb,
	.timeout = hconn_timeout_cb,
	.close = hconn_free_cb,
};

/* A new socket: a request is due within HTTP_REQUEST_SECS. */
static int
hconn_open_cb(void *arg, struct conn *cn)
{
	struct hconn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->sig = arg;
	c->cn = cn;
	c->peer = *conn_peer(cn);
	c->tls = conn_is_tls(cn);
	c->keep_alive = 1;
	conn_set_handler(cn, &hconn_handler, c);
	conn_timer(cn, HTTP_REQUEST_SECS);
	return 0;
}

static const char resp_503[] = "HTTP/1.1 503 Service Unavailable\r\n"
    SEC_HEADERS "Content-Length: 0\r\nConnection: close\r\n\r\n";

/* A refused plain HTTP socket gets a 503; an eviction is an event. */
static void
hconn_limit_cb(void *arg, enum conn_limit why, const struct maddr *peer,
    int tls, evutil_socket_t fd)
{
	if (why == CONN_LIMIT_EVICTED) {
		sig_secevent(arg, SECEV_CONNECTION, SECEV_MEDIUM, NULL, peer,
		    "http_conn_limit", json_pack("{s:s}", "why", "connections "
		    "in total: the oldest without a request dropped for a new "
		    "one"));
		return;
	}
	if (!tls && send(fd, resp_503, sizeof(resp_503) - 1,
	    MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("http: 503 not sent: %s", strerror(errno));
}

/*
 * The connection server and its listeners (HTTP, and HTTPS with
 * https-port); at most half of the descriptors: a quarter is TURN over TCP
 * and TLS, the rest the UDP relays, the database and the logs.
 */
int
sig_http_listen(struct signaling *sig, const struct config *cfg, char *err,
    size_t errlen)
{
	static const struct conn_server_cb cb = { hconn_open_cb,
	    hconn_limit_cb };
	static const char *const names[2] = { "http-port", "https-port" };
	struct conn_server_params p = {
		.name = "http",
		.per_ip = HTTP_CONN_PER_IP,
		.read_high = READ_HIGH_WATER,
	};
	struct rlimit rl;
	SSL_CTX *ctx;

	sig->max_conns = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		sig->max_conns = rl.rlim_cur > 256 ? rl.rlim_cur / 2 : 64;
	p.max_conns = sig->max_conns;
	if ((sig->cs = conn_server_new(sig->base, &p, &cb, sig)) == NULL) {
		snprintf(err, errlen, "signaling: out of memory");
		return -1;
	}
	if (cfg->https_port != 0) {
		if ((ctx = tls_server_ctx(cfg->cert, cfg->pkey, err, errlen)) ==
		    NULL)
			return -1;
		conn_server_set_tls(sig->cs, ctx);
	}
	/* A port shared with TURN is the program's demultiplexer's
	 * (common/portshare.h): it hands HTTP connections to sig->cs. */
	return conn_server_listen_all(sig->cs, cfg->listen.v, cfg->listen.n,
	    cfg_shared_plain_port(cfg) != 0 ? 0 : cfg->http_port,
	    cfg_shared_tls_port(cfg) != 0 ? 0 : cfg->https_port, names, err,
	    errlen);
}

struct conn_server *
signaling_conn_server(struct signaling *sig)
{
	return sig != NULL ? sig->cs : NULL;
}

static void
stop_one(struct conn *cn, void *arg)
{
	struct hconn *c = conn_user(cn, &hconn_handler);

	(void)arg;
	if (c == NULL)
		return;
	if (c->state == HC_WS)
		ws_close(c->ws, WS_CLOSE_GOING_AWAY, "server stopping");
	sig_conn_close(c);
}

/* Closes the listening sockets (connections are refused, not left in the
 * backlog, and a new daemon can bind the ports) and every socket. */
void
sig_http_stop(struct signaling *sig)
{
	if (sig->cs == NULL)
		return;
	conn_server_stop(sig->cs);
	conn_server_each(sig->cs, stop_one, NULL);
}
