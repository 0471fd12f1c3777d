/*
 * session_msg.c - the messages a /ws client sends (SPEC): each is decoded
 * (msg.c), rate limited and handed to its handler: resume, find, next,
 * leave, offer/answer/candidate (masked by sdp.c), chat (chat.c), typing,
 * report, stats, ping.  Bad messages earn strikes; too many close the
 * socket.  Chat text is never logged, stored or put into a security event.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/config.h"
#include "common/log.h"
#include "signaling/jwt.h"
#include "signaling/sdp.h"
#include "signaling/sig.h"
#include "signaling/session_int.h"

/* ------------------------------------------------------------------ */
/* Messages. */

static void
strike(struct hconn *c, const char *why)
{
	struct signaling *sig = c->sig;
	uint64_t now = clock_mono_ms();

	session_error(c, SIG_ERR_BAD_REQUEST, why, 0);
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
	session_error(c, SIG_ERR_RATE_LIMITED, "too many messages", retry);
}

static void
do_resume(struct hconn *c, const char *token)
{
	struct signaling *sig = c->sig;
	struct session *fresh = c->sess, *old;
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
	old = session_find(sig, sid);
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
	session_undrop(old);
	old->conn = c;
	c->sess = old;
	old->addr = c->peer;
	sig_pseudonym(sig, &old->addr, old->pseudo);
	old->pn.eligible = 1;
	remote_hold(old, 1);
	if ((tok = session_token(old)) == NULL) {
		session_error(c, SIG_ERR_INTERNAL, "no token", 0);
		return;
	}
	session_send(old, json_pack("{s:s, s:s, s:b, s:s}", "type", "resumed",
	    "session", old->pn.id, "partner", old->state == S_PAIRED,
	    "resumeToken", tok));
	free(tok);
	session_flush_held(old);
	if (old->state == S_WAITING)
		session_try_match(old);
	return;
bad:
	if (claims != NULL)
		json_decref(claims);
	sig_secevent(sig, SECEV_AUTH, SECEV_MEDIUM, fresh->pn.id, &c->peer,
	    "bad_token", NULL);
	session_error(c, SIG_ERR_BAD_TOKEN, "resume token invalid, expired or "
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
		session_error(c, SIG_ERR_INTERNAL, "out of memory", 0);
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
		session_error(c, SIG_ERR_INTERNAL, "out of memory", 0);
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
		session_error(c, SIG_ERR_NO_PARTNER, "no partner", 0);
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
		session_error(c, SIG_ERR_TOO_LONG, "message longer than "
		    "max-message-length", 0);
		return;
	case CHAT_NOMEM:
		session_error(c, SIG_ERR_INTERNAL, "out of memory", 0);
		return;
	default:
		session_error(c, SIG_ERR_BAD_REQUEST, rc == CHAT_EMPTY ?
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
		session_send(s, json_pack("{s:s, s:s, s:s}", "type", "error",
		    "code", sig_err_name(SIG_ERR_INTERNAL), "message", "the report could not be "
		    "stored"));
		return;
	}
	session_send(s, json_pack("{s:s, s:I}", "type", "reported", "id",
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
		session_error(c, SIG_ERR_NO_PARTNER, "no partner to report", 0);
		return;
	}
	/* Each report costs a durable write: one per partner, a few per
	 * session. */
	if (s->reported || s->nreports >= SIG_REPORTS_MAX) {
		session_error(c, SIG_ERR_BAD_REQUEST, s->reported ? "this partner "
		    "was reported already" : "too many reports", 0);
		return;
	}
	if (sig->env.mod.report_submit == NULL) {
		session_error(c, SIG_ERR_INTERNAL, "no moderation store", 0);
		return;
	}
	rc = sig->env.mod.report_submit(sig->env.mod.arg, &s->addr, target,
	    m->reason, m->detail, report_cb, s);
	if (rc == SIG_REPORT_TOOLONG)
		session_error(c, SIG_ERR_TOO_LONG, "detail longer than 200 "
		    "characters", 0);
	else if (rc == SIG_REPORT_INVAL)
		session_error(c, SIG_ERR_BAD_REQUEST, "invalid report", 0);
	else if (rc != 0)
		session_error(c, SIG_ERR_INTERNAL, "the report could not be "
		    "queued", 0);
	else {
		s->reported = 1;
		s->nreports++;
	}
}

static void
do_stats(struct session *s, struct hconn *c, const struct msg *m)
{
	struct metrics *mx = s->sig->env.metrics;

	(void)c;
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

/* ------------------------------------------------------------------ */
/* Dispatch: one handler a message type. */

typedef void (*msg_handler)(struct session *, struct hconn *,
    const struct msg *);

static void
on_resume(struct session *s, struct hconn *c, const struct msg *m)
{
	if (c->nmsgs != 1 || s->state != S_IDLE)
		session_error(c, SIG_ERR_BAD_REQUEST, "resume must be the "
		    "first message on a socket", 0);
	else
		do_resume(c, m->token);
}

static void
on_find(struct session *s, struct hconn *c, const struct msg *m)
{
	if (s->state == S_PAIRED) {
		session_error(c, SIG_ERR_BAD_REQUEST, "already matched: "
		    "send next", 0);
		return;
	}
	if (pair_set_interests(&s->pn, m->interests, m->ninterests) != 0) {
		session_error(c, SIG_ERR_INTERNAL, "out of memory", 0);
		return;
	}
	if (s->state == S_WAITING) {
		session_send_type(s, "waiting");
		session_try_match(s);
	} else
		session_enqueue(s);
}

static void
on_next(struct session *s, struct hconn *c, const struct msg *m)
{
	(void)c;
	(void)m;
	if (s->state == S_PAIRED)
		session_unpair(s, "next");
	if (s->state == S_WAITING)
		session_send_type(s, "waiting");
	else
		session_enqueue(s);
}

static void
on_leave(struct session *s, struct hconn *c, const struct msg *m)
{
	(void)c;
	(void)m;
	if (s->state == S_PAIRED)
		session_unpair(s, "leave");
	session_dequeue(s);
}

static void
on_sdp(struct session *s, struct hconn *c, const struct msg *m)
{
	if (!session_paired(s))
		session_error(c, SIG_ERR_NO_PARTNER, "no partner", 0);
	else
		forward_sdp(s, c, m);
}

static void
on_candidate(struct session *s, struct hconn *c, const struct msg *m)
{
	if (!session_paired(s))
		session_error(c, SIG_ERR_NO_PARTNER, "no partner", 0);
	else
		forward_candidate(s, c, m);
}

static void
on_typing(struct session *s, struct hconn *c, const struct msg *m)
{
	(void)c;
	(void)m;
	if (session_paired(s))
		remote_send(s, json_pack("{s:s}", "type", "typing"));
}

static void
on_ping(struct session *s, struct hconn *c, const struct msg *m)
{
	(void)c;
	(void)m;
	session_send_type(s, "pong");
}

static const msg_handler handlers[] = {
	[MSG_NONE] = NULL,
	[MSG_FIND] = on_find,
	[MSG_RESUME] = on_resume,
	[MSG_OFFER] = on_sdp,
	[MSG_ANSWER] = on_sdp,
	[MSG_CANDIDATE] = on_candidate,
	[MSG_CHAT] = do_chat,
	[MSG_TYPING] = on_typing,
	[MSG_NEXT] = on_next,
	[MSG_LEAVE] = on_leave,
	[MSG_REPORT] = do_report,
	[MSG_STATS] = do_stats,
	[MSG_PING] = on_ping,
};

/*
 * Whether the message may go on: not while another node hands this
 * socket's session over (until then it is not the fresh one, nor yet the
 * old one), nor over the chat or signal rate.
 */
static int
admit(struct session *s, struct hconn *c, const struct msg *m)
{
	int retry;

	if (s->r.taking[0] != '\0' && m->type != MSG_PING) {
		session_error(c, SIG_ERR_BAD_REQUEST, "resume in progress", 0);
		return 0;
	}
	if (chat_bucket_take(m->type == MSG_CHAT ? &s->chat : &s->signal,
	    clock_mono_ms(), &retry) != 0) {
		rate_limited(c, s, retry, m->type == MSG_CHAT ? "chat" :
		    "signal");
		return 0;
	}
	return 1;
}

void
session_message(struct hconn *c, const uint8_t *p, size_t len)
{
	struct session *s = c->sess;
	struct msg m;
	const char *why;

	if (s == NULL || c->state != HC_WS)
		return;
	if (msg_decode(p, len, &m, &why) != 0) {
		strike(c, why);
		return;
	}
	c->nmsgs++;
	if (admit(s, c, &m) && (size_t)m.type < sizeof(handlers) /
	    sizeof(handlers[0]) && handlers[m.type] != NULL)
		handlers[m.type](s, c, &m);
	msg_clear(&m);
}
