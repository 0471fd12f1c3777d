/*
 * session.c - WebSocket sessions of SPEC's /ws protocol: welcome and
 * resume, the pairing queue, forwarding of offer/answer/candidate (masked
 * by sdp.c), chat (chat.c), reports, stats and bans.
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
#include "signaling/sdp.h"
#include "signaling/sig.h"

#define SESS_OF(pn) \
	((struct session *)(void *)((char *)(pn) - offsetof(struct session, pn)))

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

static void
gauges(struct signaling *sig)
{
	metrics_set(&sig->env.metrics->sessions_waiting, sig->queue.n);
	metrics_set(&sig->env.metrics->pairs, sig->npairs);
}

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

static void
flush_held(struct session *s)
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

static void
send_error(struct hconn *c, enum sig_err code, const char *message,
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

static void
send_type(struct session *s, const char *type)
{
	send_json(s, json_pack("{s:s}", "type", type));
}

/* ------------------------------------------------------------------ */
/* Tokens. */

static char *
new_token(struct session *s)
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
/* Pairs. */

static void
pair_hook(struct signaling *sig, struct session *a, struct session *b,
    int paired)
{
	if (sig->hook != NULL)
		sig->hook(sig->hook_arg, a->pn.id, b->pn.id, paired);
}

static void
send_matched(struct session *s)
{
	json_t *ice = s->r.relay[0] != '\0' ? remote_ice(s) :
	    sig_ice_servers(s->sig, s->conn, s->pn.id);

	send_json(s, json_pack("{s:s, s:s, s:o}", "type", "matched", "role",
	    s->offerer ? "offerer" : "answerer", "iceServers",
	    ice != NULL ? ice : json_array()));
}

static void
make_pair(struct session *a, struct session *b)
{
	struct signaling *sig = a->sig;
	uint64_t now = clock_mono_ms();

	pair_dequeue(&sig->queue, &a->pn);
	pair_dequeue(&sig->queue, &b->pn);
	evtimer_del(a->wait_timer);
	evtimer_del(b->wait_timer);
	a->partner = b;
	b->partner = a;
	a->state = b->state = S_PAIRED;
	a->paired_at = b->paired_at = now;
	a->stats_done = b->stats_done = 0;
	a->reported = b->reported = 0;
	/* The one that waited longer offers. */
	a->offerer = 1;
	b->offerer = 0;
	sig->npairs++;
	metrics_inc(&sig->env.metrics->pairs_total);
	gauges(sig);
	if (pair_table_set(sig->pairs, a->pn.id, b->pn.id) != 0)
		log_warn("signaling: pair table: out of memory");
	pair_hook(sig, a, b, 1);
	send_matched(a);
	send_matched(b);
}

/* Ends s's pair; the partner hears why. */
static void
unpair(struct session *s, const char *reason)
{
	struct signaling *sig = s->sig;
	struct session *p = s->partner;

	if (p == NULL) {
		remote_unpair(s, reason);	/* a partner on another node */
		return;
	}
	metrics_observe(&sig->env.metrics->session_seconds,
	    (double)(clock_mono_ms() - s->paired_at) / 1000.0);
	s->partner = p->partner = NULL;
	s->state = p->state = S_IDLE;
	strlcpy(s->pn.last, p->pn.id, sizeof(s->pn.last));
	strlcpy(p->pn.last, s->pn.id, sizeof(p->pn.last));
	s->has_last = p->has_last = 1;
	s->last_addr = p->addr;
	p->last_addr = s->addr;
	sig->npairs--;
	gauges(sig);
	pair_table_clear(sig->pairs, s->pn.id);
	pair_table_clear(sig->pairs, p->pn.id);
	pair_hook(sig, s, p, 0);
	send_json(p, json_pack("{s:s, s:s}", "type", "partner_left", "reason",
	    reason));
}

static void
try_match(struct session *s)
{
	if (s->state != S_WAITING || s->conn == NULL)
		return;
	if (remote_find(s) == 0)
		return;		/* the cluster-wide queue answers */
	session_match_here(s);
}

/* Pairs s from this node's queue (no cluster, or Redis down). */
void
session_match_here(struct session *s)
{
	struct signaling *sig = s->sig;
	struct pair_node *pn;
	uint64_t now = clock_mono_ms(), left;
	struct timeval tv;

	if (s->state != S_WAITING || s->conn == NULL)
		return;
	if ((pn = pair_match(&sig->queue, &s->pn, now)) != NULL) {
		make_pair(SESS_OF(pn), s);
		return;
	}
	/* With interests: try anyone once the wait is over. */
	if (s->pn.ninterests > 0 && !evtimer_pending(s->wait_timer, NULL)) {
		if (s->pn.since + sig->queue.wait < now)
			return;
		/* 10 ms past the end, so that the wait is over then */
		left = s->pn.since + sig->queue.wait - now + 10;
		tv.tv_sec = (time_t)(left / 1000);
		tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
		evtimer_add(s->wait_timer, &tv);
	}
}

static void
wait_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	try_match(arg);
}

static void
enqueue(struct session *s)
{
	struct signaling *sig = s->sig;

	s->state = S_WAITING;
	pair_enqueue(&sig->queue, &s->pn, clock_mono_ms());
	gauges(sig);
	send_type(s, "waiting");
	try_match(s);
}

static void
dequeue(struct session *s)
{
	pair_dequeue(&s->sig->queue, &s->pn);
	evtimer_del(s->wait_timer);
	remote_cancel(s);
	if (s->state == S_WAITING)
		s->state = S_IDLE;
	gauges(s->sig);
}

/* ------------------------------------------------------------------ */
/* Lifecycle. */

/* ------------------------------------------------------------------ */
/* Dropped sessions: bounded per client IP and in total. */

/* Takes s off the lists of dropped sessions. */
static void
undrop(struct session *s)
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

	undrop(s);
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
	undrop(s);
	unpair(s, "disconnect");
	session_free(s);
}

static void
welcome(struct session *s)
{
	struct signaling *sig = s->sig;
	const struct config *cfg = sig->env.cfg;
	json_t *ice = sig_ice_servers(sig, s->conn, s->pn.id);
	char *tok = new_token(s);

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
	    (s->wait_timer = evtimer_new(sig->base, wait_cb, s)) == NULL)
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
		unpair(s, "disconnect");
	remote_cancel(s);
	remote_free(s);
	undrop(s);
	pair_dequeue(&sig->queue, &s->pn);
	gauges(sig);
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
		unpair(s, "banned");
		if ((c = s->conn) != NULL) {
			send_error(c, SIG_ERR_BANNED, "this address is banned",
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
/* Messages. */

static void
strike(struct hconn *c, const char *why)
{
	struct signaling *sig = c->sig;
	uint64_t now = clock_mono_ms();

	send_error(c, SIG_ERR_BAD_REQUEST, why, 0);
	if (rl_window_take(&c->strikes, (int64_t)now, WS_STRIKE_SECS * 1000,
	    WS_STRIKES_MAX - 1, NULL) == 0) {
		sig_secevent(sig, SECEV_VIOLATION, SECEV_LOW, c->sess != NULL ?
		    c->sess->pn.id : NULL, &c->peer, "bad_message",
		    json_pack("{s:s}", "why", why));
		return;
	}
	sig_secevent(sig, SECEV_VIOLATION, SECEV_HIGH, c->sess != NULL ?
	    c->sess->pn.id : NULL, &c->peer, "repeated_bad_messages",
	    json_pack("{s:i}", "count", WS_STRIKES_MAX));
	ws_close(c->ws, WS_CLOSE_POLICY, "repeated bad messages");
	sig_conn_close(c);
}

void
session_frame_error(struct hconn *c, enum ws_err e)
{
	if (e == WS_ERR_TOO_BIG) {
		sig_secevent(c->sig, SECEV_VIOLATION, SECEV_LOW,
		    c->sess != NULL ? c->sess->pn.id : NULL, &c->peer,
		    "oversize_frame", json_pack("{s:I}", "limit",
		    (json_int_t)WS_MSG_MAX));
		strike(c, "message larger than 64 KiB");
	} else
		strike(c, "binary frames are not used");
}

static void
rate_limited(struct hconn *c, struct session *s, int retry, const char *what)
{
	uint64_t now = clock_mono_ms();

	/* One error a second at most: a flood gets no flood back. */
	if (rl_window_take(&s->limited, (int64_t)now, 1000, 1, NULL) != 0)
		return;
	sig_secevent(c->sig, SECEV_VIOLATION, SECEV_LOW, s->pn.id, &s->addr,
	    "rate_limited", json_pack("{s:s}", "limit", what));
	send_error(c, SIG_ERR_RATE_LIMITED, "too many messages", retry);
}

static void
do_resume(struct hconn *c, const char *token)
{
	struct signaling *sig = c->sig;
	struct session *fresh = c->sess, *old, key;
	struct hconn *oc;
	json_t *claims = NULL;
	const char *sid;
	json_int_t n;
	char *tok;

	if (jwt_verify(sig->jwt_key, sizeof(sig->jwt_key), token,
	    strlen(token), &claims) != 0 ||
	    (sid = json_string_value(json_object_get(claims, "sid"))) ==
	    NULL || strlen(sid) != PAIR_ID_LEN ||
	    !json_is_integer(json_object_get(claims, "n")))
		goto bad;
	n = json_integer_value(json_object_get(claims, "n"));
	strlcpy(key.pn.id, sid, sizeof(key.pn.id));
	old = RB_FIND(sess_tree, &sig->sessions, &key);
	/* Held by another node of the cluster: it hands the session over. */
	if (old == NULL && remote_resume(c, sid, (uint64_t)n,
	    json_string_value(json_object_get(claims, "nd"))) == 0) {
		json_decref(claims);
		return;
	}
	/* Gone (the window passed) or a token already used: refused. */
	if (old == NULL || old == fresh || old->ending ||
	    (uint64_t)n != old->serial)
		goto bad;
	json_decref(claims);

	/* This socket's fresh session is discarded. */
	session_free(fresh);
	/* A socket the session still has (a half-open one) loses it. */
	if ((oc = old->conn) != NULL) {
		oc->sess = NULL;
		old->conn = NULL;
		ws_close(oc->ws, WS_CLOSE_POLICY, "resumed on another socket");
		sig_conn_close(oc);
	}
	evtimer_del(old->drop_timer);
	undrop(old);
	old->conn = c;
	c->sess = old;
	old->addr = c->peer;
	sig_pseudonym(sig, &old->addr, old->pseudo);
	old->pn.eligible = 1;
	remote_hold(old, 1);
	if ((tok = new_token(old)) == NULL) {
		send_error(c, SIG_ERR_INTERNAL, "no token", 0);
		return;
	}
	send_json(old, json_pack("{s:s, s:s, s:b, s:s}", "type", "resumed",
	    "session", old->pn.id, "partner", old->state == S_PAIRED,
	    "resumeToken", tok));
	free(tok);
	flush_held(old);
	if (old->state == S_WAITING)
		try_match(old);
	return;
bad:
	if (claims != NULL)
		json_decref(claims);
	sig_secevent(sig, SECEV_AUTH, SECEV_MEDIUM, fresh->pn.id, &c->peer,
	    "bad_token", NULL);
	send_error(c, SIG_ERR_BAD_TOKEN, "resume token invalid, expired or "
	    "used", 0);
}

static void
forward_sdp(struct session *s, struct hconn *c, const struct msg *m)
{
	const struct config *cfg = s->sig->env.cfg;
	char *out;
	size_t len;

	if (sdp_filter(m->sdp, m->sdp_len, cfg->relay_only, &out, &len) !=
	    0) {
		send_error(c, SIG_ERR_INTERNAL, "out of memory", 0);
		return;
	}
	remote_send(s, json_pack("{s:s, s:s%}", "type",
	    m->type == MSG_OFFER ? "offer" : "answer", "sdp", out, len));
	free(out);
}

static void
forward_candidate(struct session *s, struct hconn *c, const struct msg *m)
{
	const struct config *cfg = s->sig->env.cfg;
	json_t *out;
	char *cand;

	if (sdp_filter_candidate(m->candidate, m->candidate_len,
	    cfg->relay_only, &cand) != 0) {
		send_error(c, SIG_ERR_INTERNAL, "out of memory", 0);
		return;
	}
	if (cand == NULL)
		return;		/* not relay: the partner never sees it */
	out = json_pack("{s:s, s:s}", "type", "candidate", "candidate", cand);
	free(cand);
	if (out == NULL)
		return;
	json_object_set_new(out, "sdpMid", m->sdp_mid != NULL ?
	    json_deep_copy(m->sdp_mid) : json_null());
	json_object_set_new(out, "sdpMLineIndex", m->sdp_mline != NULL ?
	    json_deep_copy(m->sdp_mline) : json_null());
	remote_send(s, out);
}

static void
do_chat(struct session *s, struct hconn *c, const struct msg *m)
{
	const struct config *cfg = s->sig->env.cfg;
	char *text;
	int rc;

	if (!session_paired(s)) {
		send_error(c, SIG_ERR_NO_PARTNER, "no partner", 0);
		return;
	}
	rc = chat_sanitize((const uint8_t *)m->text, m->text_len,
	    (size_t)cfg->max_message_length, &text);
	switch (rc) {
	case CHAT_OK:
		remote_send(s, json_pack("{s:s, s:s}", "type", "chat",
		    "text", text));
		free(text);
		return;
	case CHAT_TOOLONG:
		send_error(c, SIG_ERR_TOO_LONG, "message longer than "
		    "max-message-length", 0);
		return;
	case CHAT_NOMEM:
		send_error(c, SIG_ERR_INTERNAL, "out of memory", 0);
		return;
	default:
		send_error(c, SIG_ERR_BAD_REQUEST, rc == CHAT_EMPTY ?
		    "empty message" : "invalid UTF-8", 0);
		return;
	}
}

static void
report_cb(void *arg, int64_t id)
{
	struct session *s = arg;

	if (id < 0) {
		metrics_inc(&s->sig->env.metrics->errors_total[
		    SIG_ERR_INTERNAL]);
		send_json(s, json_pack("{s:s, s:s, s:s}", "type", "error",
		    "code", sig_err_name(SIG_ERR_INTERNAL), "message", "the report could not be "
		    "stored"));
		return;
	}
	send_json(s, json_pack("{s:s, s:I}", "type", "reported", "id",
	    (json_int_t)id));
}

static void
do_report(struct session *s, struct hconn *c, const struct msg *m)
{
	struct signaling *sig = s->sig;
	const struct maddr *target;
	int rc;

	if (s->partner != NULL)
		target = &s->partner->addr;
	else if (session_paired(s) && s->r.has_peer_addr)
		target = &s->r.peer_addr;
	else if (s->has_last)
		target = &s->last_addr;
	else {
		send_error(c, SIG_ERR_NO_PARTNER, "no partner to report", 0);
		return;
	}
	/* Each report costs a durable write: one per partner, a few per
	 * session. */
	if (s->reported || s->nreports >= SIG_REPORTS_MAX) {
		send_error(c, SIG_ERR_BAD_REQUEST, s->reported ? "this partner "
		    "was reported already" : "too many reports", 0);
		return;
	}
	if (sig->env.mod.report_submit == NULL) {
		send_error(c, SIG_ERR_INTERNAL, "no moderation store", 0);
		return;
	}
	rc = sig->env.mod.report_submit(sig->env.mod.arg, &s->addr, target,
	    m->reason, m->detail, report_cb, s);
	if (rc == SIG_REPORT_TOOLONG)
		send_error(c, SIG_ERR_TOO_LONG, "detail longer than 200 "
		    "characters", 0);
	else if (rc == SIG_REPORT_INVAL)
		send_error(c, SIG_ERR_BAD_REQUEST, "invalid report", 0);
	else if (rc != 0)
		send_error(c, SIG_ERR_INTERNAL, "the report could not be "
		    "queued", 0);
	else {
		s->reported = 1;
		s->nreports++;
	}
}

static void
do_stats(struct session *s, const struct msg *m)
{
	struct metrics *mx = s->sig->env.metrics;

	/* Counted once per pair and session: a client cannot inflate it. */
	if (s->state != S_PAIRED || s->stats_done)
		return;
	if (strcmp(m->state, "connected") == 0) {
		metrics_inc(&mx->connect_success_total);
		if (m->connect_ms >= 0)
			metrics_observe(&mx->connect_seconds,
			    m->connect_ms / 1000.0);
		s->stats_done = 1;
	} else if (strcmp(m->state, "failed") == 0) {
		metrics_inc(&mx->connect_failure_total);
		s->stats_done = 1;
	}
}

void
session_message(struct hconn *c, const uint8_t *p, size_t len)
{
	struct session *s = c->sess;
	struct msg m;
	const char *why;
	int retry;

	if (s == NULL || c->state != HC_WS)
		return;
	if (msg_decode(p, len, &m, &why) != 0) {
		strike(c, why);
		return;
	}
	c->nmsgs++;
	/* Another node is handing this socket's session over: until then
	 * it is not the fresh one, nor yet the old one. */
	if (s->r.taking[0] != '\0' && m.type != MSG_PING) {
		send_error(c, SIG_ERR_BAD_REQUEST, "resume in progress", 0);
		msg_clear(&m);
		return;
	}
	if (chat_bucket_take(m.type == MSG_CHAT ? &s->chat : &s->signal,
	    clock_mono_ms(), &retry) != 0) {
		rate_limited(c, s, retry, m.type == MSG_CHAT ? "chat" :
		    "signal");
		msg_clear(&m);
		return;
	}
	switch (m.type) {
	case MSG_RESUME:
		if (c->nmsgs != 1 || s->state != S_IDLE)
			send_error(c, SIG_ERR_BAD_REQUEST, "resume must be the "
			    "first message on a socket", 0);
		else
			do_resume(c, m.token);
		break;
	case MSG_FIND:
		if (s->state == S_PAIRED) {
			send_error(c, SIG_ERR_BAD_REQUEST, "already matched: "
			    "send next", 0);
			break;
		}
		if (pair_set_interests(&s->pn, m.interests, m.ninterests) !=
		    0) {
			send_error(c, SIG_ERR_INTERNAL, "out of memory", 0);
			break;
		}
		if (s->state == S_WAITING) {
			send_type(s, "waiting");
			try_match(s);
		} else
			enqueue(s);
		break;
	case MSG_NEXT:
		if (s->state == S_PAIRED)
			unpair(s, "next");
		if (s->state == S_WAITING)
			send_type(s, "waiting");
		else
			enqueue(s);
		break;
	case MSG_LEAVE:
		if (s->state == S_PAIRED)
			unpair(s, "leave");
		dequeue(s);
		break;
	case MSG_OFFER:
	case MSG_ANSWER:
		if (!session_paired(s))
			send_error(c, SIG_ERR_NO_PARTNER, "no partner", 0);
		else
			forward_sdp(s, c, &m);
		break;
	case MSG_CANDIDATE:
		if (!session_paired(s))
			send_error(c, SIG_ERR_NO_PARTNER, "no partner", 0);
		else
			forward_candidate(s, c, &m);
		break;
	case MSG_CHAT:
		do_chat(s, c, &m);
		break;
	case MSG_TYPING:
		if (session_paired(s))
			remote_send(s, json_pack("{s:s}", "type", "typing"));
		break;
	case MSG_REPORT:
		do_report(s, c, &m);
		break;
	case MSG_STATS:
		do_stats(s, &m);
		break;
	case MSG_PING:
		send_type(s, "pong");
		break;
	case MSG_NONE:
		break;
	}
	msg_clear(&m);
}

/* ------------------------------------------------------------------ */
/* For cluster_glue.c. */

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

void
session_send_matched(struct session *s)
{
	send_matched(s);
}

void
session_pair_here(struct session *waiter, struct session *finder)
{
	make_pair(waiter, finder);
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

char *
session_token(struct session *s)
{
	return new_token(s);
}

void
session_hold(struct session *s, const char *text, size_t len)
{
	if (s->conn != NULL)
		sig_conn_send(s->conn, text, len);
	else
		hold(s, text, len);
}
