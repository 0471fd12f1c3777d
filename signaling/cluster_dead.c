/*
 * cluster_dead.c - Redis up and down, and nodes dying (SPEC "Cluster"):
 * waiting sessions queue again or pair here, a pair whose relay node died
 * moves to a live one, a partner whose node died ends after
 * resume-window.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "common/config.h"
#include "signaling/sig.h"
#include "signaling/cluster_int.h"

/* Redis up and down, nodes dying. */

static void
state_one(struct session *s, void *arg)
{
	int up = *(int *)arg;

	if (s->state != S_WAITING)
		return;
	s->r.pending = 0;
	s->r.queued = 0;	/* Redis may have lost its queue */
	s->r.since_ms = 0;
	/* A dropped one queues again when it resumes. */
	if (!up || (s->conn != NULL && remote_find(s) != 0))
		session_match_here(s);
}

void
signaling_cluster_state(struct signaling *sig, int up)
{
	if (sig->cl.up == NULL || sig->stopping)
		return;
	session_each(sig, state_one, &up);
}

void
remote_bad_token(struct session *s)
{
	metrics_inc(&s->sig->env.metrics->errors_total[SIG_ERR_BAD_TOKEN]);
	sig_secevent(s->sig, SECEV_AUTH, SECEV_MEDIUM, s->pn.id, &s->addr,
	    "bad_token", NULL);
	session_send(s, json_pack("{s:s, s:s, s:s}", "type", "error", "code",
	    "bad_token", "message", "resume token invalid, expired or used"));
}

void
remote_dead_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	struct signaling *sig = s->sig;
	char addr[64];
	int a, b;
	unsigned ep;

	(void)fd;
	(void)what;
	if (s->r.taking[0] != '\0') {
		/* The node that held the session never answered. */
		if (!s->r.adopting) {
			remote_adopt(s);
			return;
		}
		s->r.taking[0] = '\0';
		remote_bad_token(s);
		return;
	}
	if (s->state != S_PAIRED || s->r.peer[0] == '\0')
		return;
	/* Its partner came back elsewhere (it moved), or its node came
	 * back from a cut, same run: keep it. */
	if (strcmp(s->r.node, s->r.dead_node) != 0)
		return;
	ep = s->r.dead_epoch + 1;
	if (sig->cl.node_at(sig->cl.arg, s->r.node, addr, sizeof(addr), &a,
	    &b, &ep) == 0 && ep == s->r.dead_epoch)
		return;
	session_send(s, json_pack("{s:s, s:s}", "type", "partner_left",
	    "reason", "disconnect"));
	remote_end(s, "disconnect", 0);
}

/*
 * s is of a pair of this node relayed by another one (this one drains):
 * when node was that one, another live node that does not drain relays
 * it, else this one, and s hears `relay`.  Each side on its own, with the
 * same pick for both.
 */
static void
dead_local(struct session *s, const char *node)
{
	struct signaling *sig = s->sig;
	const char *pick;
	json_t *ice;

	if (strcmp(s->r.relay, node) != 0)
		return;
	pick = sig->cl.relay(sig->cl.arg, sig->cl.node, sig->cl.node);
	s->r.relay[0] = '\0';
	if (pick != NULL && strcmp(pick, sig->cl.node) != 0 &&
	    strcmp(pick, node) != 0) {
		strlcpy(s->r.relay, pick, sizeof(s->r.relay));
		remote_tell_relay(sig, pick, s->pn.id, s->partner->pn.id);
	}
	ice = s->r.relay[0] != '\0' ? remote_ice(s) :
	    sig_ice_servers(sig, s->conn, s->pn.id);
	session_send(s, json_pack("{s:s, s:o}", "type", "relay",
	    "iceServers", ice != NULL ? ice : json_array()));
}

static void
dead_one(struct session *s, void *arg)
{
	struct signaling *sig = s->sig;
	const char *node = arg;
	struct timeval tv;
	json_t *ice;

	if (s->state == S_WAITING && s->r.pending &&
	    strcmp(s->r.node, node) == 0) {
		/* Its finder died before telling: queue again. */
		s->r.pending = 0;
		s->r.node[0] = '\0';
		if (remote_find(s) != 0)
			session_match_here(s);
		return;
	}
	if (s->state == S_PAIRED && s->partner != NULL) {
		dead_local(s, node);
		return;
	}
	if (s->state != S_PAIRED || s->r.peer[0] == '\0')
		return;
	if (strcmp(s->r.relay, node) == 0) {
		/* The media's node is gone: the pair's nodes agree on one
		 * of them without a word, each from what the heartbeats
		 * say: a live one, one that does not drain before one that
		 * does, then the first by name. */
		const char *other = s->r.node, *pick = sig->cl.node;
		char addr[64];
		int a, b, me_up = !sig->draining, other_up;
		unsigned ep;

		if (strcmp(other, node) != 0 &&
		    sig->cl.node_at(sig->cl.arg, other, addr, sizeof(addr),
		    &a, &b, &ep) == 0) {
			other_up = sig->cl.node_up == NULL ||
			    sig->cl.node_up(sig->cl.arg, other);
			if ((other_up && !me_up) || (other_up == me_up &&
			    strcmp(other, pick) < 0))
				pick = other;
		}
		strlcpy(s->r.relay, pick, sizeof(s->r.relay));
		s->r.relay_moved = 1;
		ice = remote_ice(s);
		session_send(s, json_pack("{s:s, s:o}", "type", "relay",
		    "iceServers", ice != NULL ? ice : json_array()));
	}
	if (strcmp(s->r.node, node) != 0)
		return;
	/* A node alive now restarted: its sessions died with the old run,
	 * whatever the epoch says later.  One that went silent may come
	 * back, the same run with the same epoch. */
	{
		char addr[64];
		int a, b;
		unsigned ep = 0;

		strlcpy(s->r.dead_node, node, sizeof(s->r.dead_node));
		if (sig->cl.node_at(sig->cl.arg, node, addr, sizeof(addr), &a,
		    &b, &ep) == 0)
			s->r.dead_epoch = ep - 1;
		else
			s->r.dead_epoch = ep;
	}
	/* Its partner may resume elsewhere within resume-window. */
	tv.tv_sec = (time_t)(sig->env.cfg->resume_window > 0 ?
	    sig->env.cfg->resume_window : 0);
	tv.tv_usec = 0;
	if (s->r.timer == NULL && (s->r.timer = evtimer_new(sig->base,
	    remote_dead_cb, s)) == NULL)
		return;
	evtimer_add(s->r.timer, &tv);
}

void
signaling_node_dead(struct signaling *sig, const char *node)
{
	if (sig->cl.up == NULL || sig->stopping)
		return;
	session_each(sig, dead_one, (void *)(uintptr_t)node);
}
