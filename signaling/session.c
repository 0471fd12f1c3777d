/*
 * session.c - WebSocket sessions of SPEC's /ws protocol: their lifecycle
 * (welcome, drop and end), sending and holding, resume tokens and the
 * lookups cluster_glue.c uses.  Pairing is in session_pair.c, the client's
 * messages (resume among them) in session_msg.c.
 *
 * A session outlives its socket by resume-window: while it is dropped it
 * keeps its queue place (not matched) or its partner (who hears nothing),
 * and what is sent to it is held (at most SIG_PENDING_MAX bytes) until it
 * resumes.  Dropped sessions are bounded per client IP and in total (see
 * SIG_DROPPED_PER_CONN): over a bound, the oldest ends for good.  A session
 * that ends for good tells the end hook, so the relay frees the
 * allocations of its credentials.  The resume token is a JWT naming the
 * session and the serial of the last token issued; each resume issues a
 * new serial, so a token works once.  Chat text is only ever in memory on its way to the partner: it
 * is never logged, stored or put into a security event.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* libbsd's RB_GENERATE_STATIC marks its functions __unused. */
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/rand.h>

#include "common/base64.h"
#include "common/config.h"
#include "common/log.h"
#include "signaling/jwt.h"
#include "signaling/sig.h"
#include "signaling/session_int.h"

static int
sess_cmp(struct session *a, struct session *b)
{
	return strcmp(a->pn.id, b->pn.id);
}

RB_GENERATE_STATIC(sess_tree, session, node, sess_cmp)

static int
dropip_cmp(struct dropip *a, struct dropip *b)
{
	if (a->key.family != b->key.family)
		return a->key.family < b->key.family ? -1 : 1;
	return memcmp(a->key.ip, b->key.ip, sizeof(a->key.ip));
}

RB_GENERATE_STATIC(drop_tree, dropip, node, dropip_cmp)

void
session_gauges(struct signaling *sig)
{
	metrics_set(&sig->env.metrics->sessions_waiting, sig->queue.n);
	metrics_set(&sig->env.metrics->pairs, sig->npairs);}

/* ------------------------------------------------------------------ */
/* Sending. */

static void
hold(struct session *s, const char *text, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (s->pending == NULL && (s->pending = evbuffer_new()) == NULL)
		return;
	if (evbuffer_get_length(s->pending) + len + 4 > SIG_PENDING_MAX)
		return;		/* dropped: the client resyncs on resume */
	evbuffer_add(s->pending, &n, sizeof(n));
	evbuffer_add(s->pending, text, len);
}

/* Sends (or holds while dropped) a message; steals the reference. */
static void
send_json(struct session *s, json_t *msg)
{
	char *text;

	if (msg == NULL)
		return;
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text == NULL)
		return;
	if (s->conn != NULL)
		sig_conn_send(s->conn, text, strlen(text));
	else
		hold(s, text, strlen(text));
	free(text);
}

static void
send_conn(struct hconn *c, json_t *msg)
{
	char *text;

	if (msg == NULL)
		return;
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text != NULL)
		sig_conn_send(c, text, strlen(text));
	free(text);
}

void
session_flush_held(struct session *s)
{
	uint32_t n;
	char *buf;

	if (s->pending == NULL)
		return;
	while (s->conn != NULL && evbuffer_remove(s->pending, &n,
	    sizeof(n)) == sizeof(n)) {
		if ((buf = malloc(n > 0 ? n : 1)) == NULL ||
		    evbuffer_remove(s->pending, buf, n) != (int)n) {
			free(buf);
			break;
		}
		sig_conn_send(s->conn, buf, n);
		free(buf);
	}
	evbuffer_free(s->pending);
	s->pending = NULL;
}

void
session_error(struct hconn *c, enum sig_err code, const char *message,
    int retry_after)
{
	json_t *m;

	metrics_inc(&c->sig->env.metrics->errors_total[code]);
	m = json_pack("{s:s, s:s, s:s}", "type", "error", "code",
	    sig_err_name(code), "message", message);
	if (m != NULL && code == SIG_ERR_RATE_LIMITED)
		json_object_set_new(m, "retryAfter", json_integer(retry_after));
	send_conn(c, m);
}

void
session_send_type(struct session *s, const char *type)
{
	send_json(s, json_pack("{s:s}", "type", type));
}
/* ------------------------------------------------------------------ */
/* Tokens. */

char *
session_token(struct session *s)
{
	struct signaling *sig = s->sig;
	json_t *claims;
	char *tok = NULL;

	s->serial = ++sig->serial;
	claims = json_pack("{s:s, s:I, s:I}", "sid", s->pn.id, "n",
	    (json_int_t)s->serial, "iat", (json_int_t)time(NULL));
	if (claims == NULL)
		return NULL;
	/* In a cluster: the node that holds the session. */
	if (sig->cl.node != NULL)
		json_object_set_new(claims, "nd", json_string(sig->cl.node));
	if (jwt_sign(sig->jwt_key, sizeof(sig->jwt_key), claims, &tok) != 0)
		tok = NULL;
	json_decref(claims);
	return tok;
}
/* ------------------------------------------------------------------ */
/* Lifecycle. */

/* ------------------------------------------------------------------ */
/* Dropped sessions: bounded per client IP and in total. */

/* Takes s off the lists of dropped sessions. */
void
session_undrop(struct session *s)
{
	struct signaling *sig = s->sig;
	struct dropip *e = s->dip;

	if (e == NULL)
		return;
	TAILQ_REMOVE(&sig->dropped, s, dentry);
	sig->ndropped--;
	TAILQ_REMOVE(&e->list, s, dipentry);
	if (--e->n == 0) {
		RB_REMOVE(drop_tree, &sig->dropips, e);
		free(e);
	}
	s->dip = NULL;
}

/* Ends a dropped session for good, from its timer on the next loop turn
 * (a caller up the stack may hold it); it cannot be resumed meanwhile. */
static void
drop_end(struct session *s, const char *limit)
{
	struct timeval now = { 0, 0 };

	session_undrop(s);
	s->ending = 1;
	sig_secevent(s->sig, SECEV_CONNECTION, SECEV_LOW, s->pn.id, &s->addr,
	    "dropped_session_ended", json_pack("{s:s}", "limit", limit));
	evtimer_add(s->drop_timer, &now);
}

/*
 * Puts a session whose socket dropped on the lists; when its client IP,
 * or everyone, holds more dropped sessions than the bounds, the oldest
 * ones end: each may hold SIG_PENDING_MAX of its partner's messages.
 */
static void
drop_track(struct session *s)
{
	struct signaling *sig = s->sig;
	struct dropip key, *e;
	struct session *o;
	size_t per_ip = (size_t)sig->env.cfg->max_connections_per_ip *
	    SIG_DROPPED_PER_CONN;

	memset(&key, 0, sizeof(key));
	addr_client_key(&s->addr, &key.key);
	if ((e = RB_FIND(drop_tree, &sig->dropips, &key)) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			drop_end(s, "memory");
			return;
		}
		e->key = key.key;
		TAILQ_INIT(&e->list);
		RB_INSERT(drop_tree, &sig->dropips, e);
	}
	TAILQ_INSERT_TAIL(&sig->dropped, s, dentry);
	sig->ndropped++;
	TAILQ_INSERT_TAIL(&e->list, s, dipentry);
	e->n++;
	s->dip = e;
	/* s stays: it is the newest, and e with it. */
	while (e->n > per_ip && (o = TAILQ_FIRST(&e->list)) != s)
		drop_end(o, "per_ip");
	while (sig->ndropped > sig->max_conns &&
	    (o = TAILQ_FIRST(&sig->dropped)) != s)
		drop_end(o, "total");
}

static void
drop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	/* The resume window passed (or a bound above ended it): the
	 * session ends for good. */
	session_undrop(s);
	session_unpair(s, "disconnect");
	session_free(s);
}

static void
welcome(struct session *s)
{
	struct signaling *sig = s->sig;
	const struct config *cfg = sig->env.cfg;
	json_t *ice = sig_ice_servers(sig, s->conn, s->pn.id);
	char *tok = session_token(s);

	if (tok == NULL) {
		if (ice != NULL)
			json_decref(ice);
		return;
	}
	send_json(s, json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:I, "
	    "s:{s:I, s:I, s:I, s:I, s:I}}",
	    "type", "welcome",
	    "session", s->pn.id,
	    "resumeToken", tok,
	    "iceServers", ice != NULL ? ice : json_array(),
	    "iceTransportPolicy", cfg->relay_only ? "relay" : "all",
	    "bundlePolicy", "max-bundle",
	    "iceCandidatePoolSize", (json_int_t)cfg->ice_candidate_pool_size,
	    "limits",
	    "maxMessageLength", (json_int_t)cfg->max_message_length,
	    "messageRateLimit", (json_int_t)cfg->message_rate_limit,
	    "signalRateLimit", (json_int_t)cfg->signal_rate_limit,
	    "maxFrameBytes", (json_int_t)WS_MSG_MAX,
	    "resumeWindow", (json_int_t)cfg->resume_window));
	free(tok);
}

struct session *
session_new(struct signaling *sig, struct hconn *c)
{
	const struct config *cfg = sig->env.cfg;
	struct session *s;
	uint8_t raw[16];
	uint64_t now = clock_mono_ms();
	size_t idlen;
	int tries;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->sig = sig;
	if ((s->drop_timer = evtimer_new(sig->base, drop_cb, s)) == NULL ||
	    (s->wait_timer = evtimer_new(sig->base, session_wait_cb, s)) == NULL)
		goto fail;
	for (tries = 0; tries < 4; tries++) {
		if (RAND_bytes(raw, sizeof(raw)) != 1 ||
		    b64_encode(raw, sizeof(raw), B64_URL, s->pn.id,
		    sizeof(s->pn.id), &idlen) != 0 || idlen != PAIR_ID_LEN)
			goto fail;
		if (RB_INSERT(sess_tree, &sig->sessions, s) == NULL)
			break;
	}
	if (tries == 4)
		goto fail;
	sig->nsessions++;
	s->pn.eligible = 1;
	s->conn = c;
	c->sess = s;
	s->addr = c->peer;
	sig_pseudonym(sig, &s->addr, s->pseudo);
	chat_bucket_init(&s->chat, cfg->message_rate_limit, now);
	chat_bucket_init(&s->signal, cfg->signal_rate_limit, now);
	welcome(s);
	return s;
fail:
	if (s->drop_timer != NULL)
		event_free(s->drop_timer);
	if (s->wait_timer != NULL)
		event_free(s->wait_timer);
	free(s);
	return NULL;
}

void
session_free(struct session *s)
{
	struct signaling *sig;

	if (s == NULL)
		return;
	sig = s->sig;
	if (session_paired(s))
		session_unpair(s, "disconnect");
	remote_cancel(s);
	remote_free(s);
	session_undrop(s);
	pair_dequeue(&sig->queue, &s->pn);
	session_gauges(sig);
	/* Moved to another node, it lives on: the pair and its
	 * allocations stay. */
	if (!s->r.moved)
		pair_table_clear(sig->pairs, s->pn.id);
	if (sig->env.mod.cancel != NULL)
		sig->env.mod.cancel(sig->env.mod.arg, s);
	/* Gone for good: the relay frees what its credentials hold. */
	if (sig->end_hook != NULL && !s->r.moved)
		sig->end_hook(sig->end_hook_arg, s->pn.id);
	if (s->conn != NULL)
		s->conn->sess = NULL;
	RB_REMOVE(sess_tree, &sig->sessions, s);
	sig->nsessions--;
	event_free(s->drop_timer);
	event_free(s->wait_timer);
	if (s->pending != NULL)
		evbuffer_free(s->pending);
	pair_clear_interests(&s->pn);
	free(s);
}

void
session_free_all(struct signaling *sig)
{
	struct session *s, *next;

	sig->hook = NULL;	/* the relay may be gone already */
	sig->end_hook = NULL;
	RB_FOREACH_SAFE(s, sess_tree, &sig->sessions, next) {
		if (s->partner != NULL) {
			s->partner->partner = NULL;
			s->partner = NULL;
		}
		session_free(s);
	}
}

/* The socket of a session is gone: keep it for resume-window. */
void
session_detach(struct hconn *c)
{
	struct session *s = c->sess;
	struct signaling *sig;
	struct timeval tv;

	if (s == NULL)
		return;
	sig = s->sig;
	c->sess = NULL;
	s->conn = NULL;
	if (sig->stopping)
		return;
	/* Even without a resume window the session ends from its timer, on
	 * the next loop turn: callers up the stack may still hold it. */
	s->pn.eligible = 0;
	remote_hold(s, 0);
	evtimer_del(s->wait_timer);
	tv.tv_sec = (time_t)(sig->env.cfg->resume_window > 0 ?
	    sig->env.cfg->resume_window : 0);
	tv.tv_usec = 0;
	evtimer_add(s->drop_timer, &tv);
	drop_track(s);
}

void
session_reload(struct signaling *sig)
{
	const struct config *cfg = sig->env.cfg;
	struct session *s;
	uint64_t now = clock_mono_ms();

	RB_FOREACH(s, sess_tree, &sig->sessions) {
		chat_bucket_rate(&s->chat, cfg->message_rate_limit, now);
		chat_bucket_rate(&s->signal, cfg->signal_rate_limit, now);
	}
}

/* After a ban refresh: close the sessions of banned clients. */
void
session_ban_check(struct signaling *sig)
{
	struct session *s, *next;
	struct hconn *c;

	if (sig->env.mod.is_banned == NULL)
		return;
	RB_FOREACH_SAFE(s, sess_tree, &sig->sessions, next) {
		if (!sig->env.mod.is_banned(sig->env.mod.arg, &s->addr))
			continue;
		sig_secevent(sig, SECEV_CONNECTION, SECEV_HIGH, s->pn.id,
		    &s->addr, "banned_session_closed", NULL);
		session_unpair(s, "banned");
		if ((c = s->conn) != NULL) {
			session_error(c, SIG_ERR_BANNED, "this address is banned",
			    0);
			ws_close(c->ws, WS_CLOSE_POLICY, "banned");
			c->sess = NULL;
			s->conn = NULL;
			sig_conn_close(c);
		}
		session_free(s);
	}
}
/* ------------------------------------------------------------------ */
/* For cluster_*.c. */

struct session *
session_find(struct signaling *sig, const char *id)
{
	struct session key;

	if (strlen(id) != PAIR_ID_LEN)
		return NULL;
	memcpy(key.pn.id, id, PAIR_ID_LEN + 1);
	return RB_FIND(sess_tree, &sig->sessions, &key);
}

void
session_send(struct session *s, json_t *msg)
{
	send_json(s, msg);
}



int
session_paired(const struct session *s)
{
	return s->partner != NULL || (s->state == S_PAIRED &&
	    s->r.peer[0] != '\0');
}

void
session_each(struct signaling *sig, void (*fn)(struct session *, void *),
    void *arg)
{
	struct session *s, *next;

	RB_FOREACH_SAFE(s, sess_tree, &sig->sessions, next)
		fn(s, arg);
}

void
session_rename(struct session *s, const char *id)
{
	RB_REMOVE(sess_tree, &s->sig->sessions, s);
	strlcpy(s->pn.id, id, sizeof(s->pn.id));
	RB_INSERT(sess_tree, &s->sig->sessions, s);
}


void
session_hold(struct session *s, const char *text, size_t len)
{
	if (s->conn != NULL)
		sig_conn_send(s->conn, text, len);
	else
		hold(s, text, len);
}

