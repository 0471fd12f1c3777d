/*
 * cluster_pair.c - pairs whose partners are on different nodes (SPEC
 * "Cluster"): `find` through the cluster-wide queue, the choice of the
 * pair's relay node and its ICE servers, and the partner messages that
 * reach this node (see cluster_glue.c for the bus).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "auth/cred.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/log.h"
#include "signaling/sig.h"
#include "signaling/cluster_int.h"

/* ICE servers of the pair's relay node. */

json_t *
remote_ice(struct session *s)
{
	struct signaling *sig = s->sig;
	const struct config *cfg = sig->env.cfg;
	char user[CRED_USER_MAX], pass[CRED_PASS_MAX], id[CRED_ID_MAX];
	char addr[64], host[72], url[128];
	int turn = 0, tls = 0;
	unsigned ep;
	json_t *urls;

	if (cfg->auth_secret.n == 0 || sig->cl.node_at == NULL ||
	    sig->cl.node_at(sig->cl.arg, s->r.relay, addr, sizeof(addr),
	    &turn, &tls, &ep) != 0)
		return sig_ice_servers(sig, s->conn, s->pn.id);
	snprintf(id, sizeof(id), "s-%s", s->pn.id);
	if (cred_make(cfg->auth_secret.v[0], id, (long long)time(NULL) +
	    cfg->credential_ttl, user, sizeof(user), pass, sizeof(pass)) != 0)
		return NULL;
	snprintf(host, sizeof(host), strchr(addr, ':') != NULL ? "[%s]" :
	    "%s", addr);
	if ((urls = json_array()) == NULL)
		return NULL;
	snprintf(url, sizeof(url), "turn:%s:%d?transport=udp", host, turn);
	json_array_append_new(urls, json_string(url));
	snprintf(url, sizeof(url), "turn:%s:%d?transport=tcp", host, turn);
	json_array_append_new(urls, json_string(url));
	if (tls != 0) {
		snprintf(url, sizeof(url), "turns:%s:%d?transport=tcp", host,
		    tls);
		json_array_append_new(urls, json_string(url));
	}
	return sig_ice_list(urls, user, pass, sizeof(pass));
}

/*
 * A relay node that is neither side's node (both drain) learns the pair
 * ({"t":"relay"}), so that pair-permissions hold there; {"t":"unrelay"}
 * when the pair ends.
 */
void
remote_tell_relay(struct signaling *sig, const char *relay, const char *a,
    const char *b)
{
	remote_bus_send(sig, relay, json_pack("{s:s, s:s, s:s}", "t",
	    "relay", "a", a, "b", b));
}

/*
 * The relay node of a pair of two sessions of this node: this one, unless
 * it drains and a live node that does not is there (SPEC "Cluster": a
 * draining node is never chosen as relay node).  Then a->r.relay and
 * b->r.relay name that node, and it is told of the pair.
 */
void
remote_relay_local(struct session *a, struct session *b)
{
	struct signaling *sig = a->sig;
	const char *relay;

	a->r.relay[0] = b->r.relay[0] = '\0';
	if (!sig->draining || !remote_active(sig) || sig->cl.relay == NULL)
		return;
	relay = sig->cl.relay(sig->cl.arg, sig->cl.node, sig->cl.node);
	if (relay == NULL || strcmp(relay, sig->cl.node) == 0 ||
	    strlen(relay) > SIG_NODE_MAX)
		return;
	strlcpy(a->r.relay, relay, sizeof(a->r.relay));
	strlcpy(b->r.relay, relay, sizeof(b->r.relay));
	remote_tell_relay(sig, relay, a->pn.id, b->pn.id);
}

/* A pair of two sessions of this node ends: its relay node, when another
 * one, drops it. */
void
remote_unrelay_local(struct session *a, struct session *b)
{
	struct signaling *sig = a->sig;

	if (a->r.relay[0] != '\0' && sig->cl.node != NULL &&
	    strcmp(a->r.relay, sig->cl.node) != 0)
		remote_bus_send(sig, a->r.relay, json_pack("{s:s, s:s, s:s}",
		    "t", "unrelay", "a", a->pn.id, "b", b->pn.id));
	a->r.relay[0] = b->r.relay[0] = '\0';
}

/* ------------------------------------------------------------------ */
/* The cluster-wide queue. */

int
remote_find(struct session *s)
{
	struct signaling *sig = s->sig;
	const char *ints[MSG_INTERESTS_MAX];
	size_t i;
	int retry;

	if (!remote_active(sig))
		return -1;
	if (s->r.pending)
		return 0;	/* taken: the finder's node tells us */
	for (i = 0; i < s->pn.ninterests; i++)
		ints[i] = s->pn.interests[i];
	/* Once queued, only a retry: a session another node matched
	 * meanwhile must not be queued again. */
	retry = s->r.queued;
	if (sig->cl.find(sig->cl.arg, s->pn.id, s->pn.last[0] != '\0' ?
	    s->pn.last : NULL, ints, s->pn.ninterests, retry,
	    (long long)sig->queue.wait) != 0)
		return -1;
	s->r.queued = 1;
	return 0;
}

void
remote_cancel(struct session *s)
{
	struct signaling *sig = s->sig;

	if (s->r.queued && remote_active(sig) && sig->cl.cancel != NULL)
		sig->cl.cancel(sig->cl.arg, s->pn.id);
	s->r.queued = 0;
	s->r.pending = 0;
	s->r.since_ms = 0;
}

void
remote_hold(struct session *s, int eligible)
{
	struct signaling *sig = s->sig;

	if (s->r.queued && remote_active(sig) && sig->cl.hold != NULL)
		sig->cl.hold(sig->cl.arg, s->pn.id, eligible);
}

void
remote_gauges(struct signaling *sig)
{
	metrics_set(&sig->env.metrics->sessions_waiting, sig->queue.n);
	metrics_set(&sig->env.metrics->pairs, sig->npairs);
}

/* s is now paired with peer on node, relayed by relay. */
static void
remote_pair(struct session *s, const char *peer, const char *node,
    const char *relay, int offerer)
{
	struct signaling *sig = s->sig;

	pair_dequeue(&sig->queue, &s->pn);
	evtimer_del(s->wait_timer);
	s->r.queued = s->r.pending = 0;
	strlcpy(s->r.peer, peer, sizeof(s->r.peer));
	strlcpy(s->r.node, node, sizeof(s->r.node));
	strlcpy(s->r.relay, relay, sizeof(s->r.relay));
	s->r.txseq = s->r.rxseq = 0;
	s->r.has_peer_addr = 0;
	s->r.relay_moved = 0;
	s->state = S_PAIRED;
	s->paired_at = clock_mono_ms();
	s->stats_done = s->reported = 0;
	s->offerer = offerer;
	sig->npairs++;
	remote_gauges(sig);
	if (pair_table_set(sig->pairs, s->pn.id, peer) != 0)
		log_warn("signaling: pair table: out of memory");
	if (sig->hook != NULL)
		sig->hook(sig->hook_arg, s->pn.id, peer, 1);
	session_send_matched(s);
	/* The partner's node keeps our client's address for reports. */
	if (s->addr.family != 0) {
		char ip[ADDR_STRLEN];

		addr_ntop(&s->addr, ip, sizeof(ip));
		remote_send(s, json_pack("{s:s, s:s}", "type", "_peer",
		    "addr", ip));
	}
}

/* The remote pair of s ends here; the partner's node is told when tell. */
void
remote_end(struct session *s, const char *reason, int tell)
{
	struct signaling *sig = s->sig;

	if (tell)
		remote_send(s, json_pack("{s:s, s:s}", "type", "_end",
		    "reason", reason));
	/* A relay node that is neither side's any more (the session moved)
	 * keeps the pair for pair-permissions until told. */
	if (s->r.relay[0] != '\0' && strcmp(s->r.relay, sig->cl.node) != 0 &&
	    strcmp(s->r.relay, s->r.node) != 0)
		remote_bus_send(sig, s->r.relay, json_pack("{s:s, s:s, s:s}",
		    "t", "unrelay", "a", s->pn.id, "b", s->r.peer));
	metrics_observe(&sig->env.metrics->session_seconds,
	    (double)(clock_mono_ms() - s->paired_at) / 1000.0);
	pair_table_clear(sig->pairs, s->pn.id);
	pair_table_clear(sig->pairs, s->r.peer);
	if (sig->hook != NULL)
		sig->hook(sig->hook_arg, s->pn.id, s->r.peer, 0);
	strlcpy(s->pn.last, s->r.peer, sizeof(s->pn.last));
	s->has_last = s->r.has_peer_addr;
	s->last_addr = s->r.peer_addr;
	s->r.peer[0] = s->r.node[0] = s->r.relay[0] = '\0';
	s->r.relay_moved = 0;
	s->state = S_IDLE;
	if (s->r.timer != NULL)
		evtimer_del(s->r.timer);
	sig->npairs--;
	remote_gauges(sig);
}

int
remote_unpair(struct session *s, const char *reason)
{
	if (s->state != S_PAIRED || s->r.peer[0] == '\0')
		return -1;
	remote_end(s, reason, 1);
	return 0;
}

void
remote_free(struct session *s)
{
	if (s->r.timer != NULL)
		event_free(s->r.timer);
	s->r.timer = NULL;
}

/* The queue holds s (a waiter since since_ms) for now. */
static void
found_waiting(struct session *s, long long since_ms)
{
	struct signaling *sig = s->sig;
	struct timeval tv;

	if (s->r.since_ms == 0)
		s->r.since_ms = since_ms;
	/* With interests: ask again once the wait is over. */
	if (s->state == S_WAITING && s->pn.ninterests > 0 &&
	    !evtimer_pending(s->wait_timer, NULL)) {
		tv.tv_sec = (time_t)(sig->queue.wait / 1000);
		tv.tv_usec = (suseconds_t)(sig->queue.wait % 1000) * 1000 +
		    50000;
		evtimer_add(s->wait_timer, &tv);
	}
}

/* MATCHED with a partner p on this node too: a pair as on one node. */
static void
found_here(struct signaling *sig, struct session *s, struct session *p,
    int offers)
{
	if (s != NULL)
		s->r.queued = 0;
	if (p != NULL)
		p->r.queued = p->r.pending = 0;
	if (s != NULL && p != NULL && s->state == S_WAITING &&
	    p->state == S_WAITING && p != s) {
		metrics_inc(&sig->env.metrics->cluster_pairs_local_total);
		p->r.since_ms = 0;
		if (offers)
			session_pair_here(s, p);
		else
			session_pair_here(p, s);
		return;
	}
	/* One of them left meanwhile: the other queues again. */
	if (s != NULL && s->state == S_WAITING)
		remote_find(s);
	if (p != NULL && p->state == S_WAITING)
		remote_find(p);
}

void
signaling_cluster_found(struct signaling *sig, const char *id, int err,
    enum sig_found_what what, const char *partner, const char *pnode,
    long long since_ms, long long partner_since_ms)
{
	struct session *s = session_find(sig, id);
	const char *relay;
	int offers;

	if (sig->stopping)
		return;
	if (err != 0) {
		/* Redis failed it: this node pairs it alone. */
		if (s != NULL) {
			s->r.queued = 0;
			session_match_here(s);
		}
		return;
	}
	if (what == SIG_FOUND_GONE) {
		if (s != NULL)
			s->r.queued = 0;
		return;
	}
	if (what == SIG_FOUND_WAITING) {
		if (s != NULL)
			found_waiting(s, since_ms);
		return;
	}
	/* MATCHED: both are off the queue; the one that waited longer
	 * offers (the partner, unless the finder was queued first). */
	offers = s != NULL && s->r.since_ms > 0 && partner_since_ms > 0 &&
	    s->r.since_ms < partner_since_ms;
	if (s != NULL)
		s->r.since_ms = 0;
	if (strcmp(pnode, sig->cl.node) == 0) {
		found_here(sig, s, session_find(sig, partner), offers);
		return;
	}
	if (s == NULL || s->state != S_WAITING) {
		remote_bus_send(sig, pnode, json_pack("{s:s, s:s}", "t",
		    "requeue", "to", partner));
		return;
	}
	if ((relay = sig->cl.relay(sig->cl.arg, sig->cl.node, pnode)) == NULL)
		relay = sig->cl.node;
	/* Both nodes drain: a third node relays the pair. */
	if (strcmp(relay, sig->cl.node) != 0 && strcmp(relay, pnode) != 0)
		remote_tell_relay(sig, relay, id, partner);
	metrics_inc(&sig->env.metrics->pairs_total);
	metrics_inc(&sig->env.metrics->cluster_pairs_remote_total);
	/* The partner's node hears of it first: it keeps the order. */
	remote_bus_send(sig, pnode, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}",
	    "t", "pair", "to", partner, "from", id, "node", sig->cl.node,
	    "relay", relay, "offer", !offers));
	remote_pair(s, partner, pnode, relay, offers);
}

/* ------------------------------------------------------------------ */
/* This node's channel. */

void
remote_on_pair(struct signaling *sig, json_t *j)
{
	const char *to = remote_bus_str(j, "to", BUS_ID);
	const char *from = remote_bus_str(j, "from", BUS_ID);
	const char *node = remote_bus_str(j, "node", BUS_NODE);
	const char *relay = remote_bus_str(j, "relay", BUS_NODE);
	struct session *s;

	if (to == NULL || from == NULL || node == NULL || relay == NULL)
		return;
	s = session_find(sig, to);
	/* Only the session the queue says node took (its "matched" note
	 * comes first): one that left and queued again meanwhile is not
	 * paired twice. */
	if (s == NULL || s->state != S_WAITING || s->ending ||
	    !s->r.pending || strcmp(s->r.node, node) != 0) {
		/* It left meanwhile: the finder's client hears so. */
		remote_bus_sealed(sig, node, from, to, 1, json_pack(
		    "{s:s, s:s}", "type", "_end", "reason", "disconnect"));
		return;
	}
	remote_pair(s, from, node, relay,
	    !json_is_false(json_object_get(j, "offer")));
}

void
remote_on_matched(struct signaling *sig, json_t *j)
{
	const char *w = remote_bus_str(j, "session", BUS_ID);
	const char *f = remote_bus_str(j, "partner", BUS_ID);
	const char *n = remote_bus_str(j, "partnerNode", BUS_NODE);
	struct session *s;

	if (w == NULL || f == NULL || n == NULL)
		return;
	if (strcmp(n, sig->cl.node) == 0)
		return;		/* a pair of ours: find's answer has it */
	if ((s = session_find(sig, w)) == NULL || s->state != S_WAITING)
		return;
	/* Taken by n: wait for its "pair" (or its death). */
	s->r.queued = 0;
	s->r.pending = 1;
	strlcpy(s->r.node, n, sizeof(s->r.node));
	evtimer_del(s->wait_timer);
}

void
remote_on_message(struct signaling *sig, json_t *j)
{
	const char *to = remote_bus_str(j, "to", BUS_ID);
	const char *from = remote_bus_str(j, "from", BUS_ID);
	const char *c = remote_bus_str(j, "c", BUS_SEALED);
	json_t *jn = json_object_get(j, "n"), *msg;
	const char *type;
	struct session *s;
	char aad[2 * PAIR_ID_LEN + 32], *pt;
	size_t len;
	uint64_t n;
	json_error_t e;

	if (to == NULL || from == NULL || c == NULL || !json_is_integer(jn) ||
	    json_integer_value(jn) <= 0)
		return;
	n = (uint64_t)json_integer_value(jn);
	if ((s = session_find(sig, to)) == NULL ||
	    strcmp(s->r.peer, from) != 0)
		return;
	remote_aad(aad, sizeof(aad), to, from, n);
	if ((pt = remote_open(sig, aad, c, &len)) == NULL) {
		log_warn("cluster: a partner message failed authentication");
		sig_secevent(sig, SECEV_VIOLATION, SECEV_HIGH, to, NULL,
		    "cluster_forged_message", json_pack("{s:s}", "type", "m"));
		return;
	}
	msg = json_loadb(pt, len, 0, &e);
	explicit_bzero(pt, len);
	free(pt);
	/* In order: an older or repeated message is dropped. */
	if (msg == NULL || n <= s->r.rxseq) {
		if (msg != NULL)
			json_decref(msg);
		return;
	}
	s->r.rxseq = n;
	if ((type = remote_bus_str(msg, "type", BUS_WORD)) == NULL) {
		json_decref(msg);
		return;
	}
	if (strcmp(type, "_peer") == 0) {
		const char *ip = remote_bus_str(msg, "addr", BUS_ADDR);

		if (ip != NULL && addr_parse(ip, &s->r.peer_addr) == 0)
			s->r.has_peer_addr = 1;
		json_decref(msg);
		return;
	}
	if (strcmp(type, "_end") == 0) {
		const char *why = remote_bus_str(msg, "reason", BUS_WORD);

		if (s->state == S_PAIRED) {
			session_send(s, json_pack("{s:s, s:s}", "type",
			    "partner_left", "reason", why != NULL ? why :
			    "disconnect"));
			remote_end(s, "disconnect", 0);
		}
		json_decref(msg);
		return;
	}
	if (s->state != S_PAIRED) {
		json_decref(msg);
		return;
	}
	/* Checked and filtered on the sender's node already. */
	session_send(s, msg);
}

/* {"t":"relay"}: this node relays a pair of other nodes' sessions. */
void
remote_on_relay(struct signaling *sig, json_t *j)
{
	const char *a = remote_bus_str(j, "a", BUS_ID);
	const char *b = remote_bus_str(j, "b", BUS_ID);

	if (a == NULL || b == NULL || strcmp(a, b) == 0)
		return;
	/* Not over a pair of a session of this node. */
	if (session_find(sig, a) != NULL || session_find(sig, b) != NULL)
		return;
	if (pair_table_set(sig->pairs, a, b) != 0) {
		log_warn("signaling: pair table: out of memory");
		return;
	}
	if (sig->hook != NULL)
		sig->hook(sig->hook_arg, a, b, 1);
}

void
remote_on_unrelay(struct signaling *sig, json_t *j)
{
	const char *a = remote_bus_str(j, "a", BUS_ID);
	const char *b = remote_bus_str(j, "b", BUS_ID);
	struct session *sa, *sb;

	if (a == NULL || b == NULL)
		return;
	/* Not if a side of it is here and still paired with the other. */
	sa = session_find(sig, a);
	sb = session_find(sig, b);
	if ((sa != NULL && session_paired(sa)) ||
	    (sb != NULL && session_paired(sb)))
		return;
	if (!pair_table_are(sig->pairs, a, b))
		return;
	pair_table_clear(sig->pairs, a);
	pair_table_clear(sig->pairs, b);
	if (sig->hook != NULL)
		sig->hook(sig->hook_arg, a, b, 0);
}
