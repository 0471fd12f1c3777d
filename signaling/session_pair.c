/*
 * session_pair.c - pairing of /ws sessions: the wait in this node's queue
 * (or the cluster's, through cluster_glue.c), the pair that is formed
 * ("matched", the one that waited longer offers) and its end
 * ("partner_left").  The lifecycle of a session is in session.c.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "common/log.h"
#include "signaling/sig.h"
#include "signaling/session_int.h"

#define SESS_OF(pn) \
	((struct session *)(void *)((char *)(pn) - offsetof(struct session, pn)))

/* ------------------------------------------------------------------ */
/* Pairs. */

static void
pair_hook(struct signaling *sig, struct session *a, struct session *b,
    int paired)
{
	if (sig->hook != NULL)
		sig->hook(sig->hook_arg, a->pn.id, b->pn.id, paired);
}

void
session_send_matched(struct session *s)
{
	json_t *ice = s->r.relay[0] != '\0' ? remote_ice(s) :
	    sig_ice_servers(s->sig, s->conn, s->pn.id);

	session_send(s, json_pack("{s:s, s:s, s:o}", "type", "matched", "role",
	    s->offerer ? "offerer" : "answerer", "iceServers",
	    ice != NULL ? ice : json_array()));
}

void
session_pair_here(struct session *a, struct session *b)
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
	session_gauges(sig);
	if (pair_table_set(sig->pairs, a->pn.id, b->pn.id) != 0)
		log_warn("signaling: pair table: out of memory");
	pair_hook(sig, a, b, 1);
	remote_relay_local(a, b);
	session_send_matched(a);
	session_send_matched(b);
}

/* Ends s's pair; the partner hears why. */
void
session_unpair(struct session *s, const char *reason)
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
	session_gauges(sig);
	pair_table_clear(sig->pairs, s->pn.id);
	pair_table_clear(sig->pairs, p->pn.id);
	pair_hook(sig, s, p, 0);
	remote_unrelay_local(s, p);
	session_send(p, json_pack("{s:s, s:s}", "type", "partner_left", "reason",
	    reason));
}

void
session_try_match(struct session *s)
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
		session_pair_here(SESS_OF(pn), s);
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

void
session_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	session_try_match(arg);
}

void
session_enqueue(struct session *s)
{
	struct signaling *sig = s->sig;

	s->state = S_WAITING;
	pair_enqueue(&sig->queue, &s->pn, clock_mono_ms());
	session_gauges(sig);
	session_send_type(s, "waiting");
	session_try_match(s);
}

void
session_dequeue(struct session *s)
{
	pair_dequeue(&s->sig->queue, &s->pn);
	evtimer_del(s->wait_timer);
	remote_cancel(s);
	if (s->state == S_WAITING)
		s->state = S_IDLE;
	session_gauges(s->sig);
}
