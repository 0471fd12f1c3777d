/*
 * cluster_resume.c - resume on another node (SPEC "Cluster"): take,
 * taken, adopt and moved.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/clock.h"
#include "common/log.h"
#include "signaling/sig.h"
#include "signaling/cluster_int.h"

static int	arm(struct session *, int);
static int	adopt_here(struct session *);

/* Resume on another node: the node that holds the session hands it over
 * ({"t":"take"} -> {"t":"taken"} with the session's state, sealed), and
 * the partner's node is told where it went ({"t":"moved"}).  The pair's
 * relay node does not change: the partner notices nothing. */

/*
 * The node that held the session does not answer (it died): every node
 * hears {"t":"adopt"}, and the one whose session is paired with it, on
 * that node, hands the pair over; messages held on the dead node are
 * lost.  Nobody answers within 2 s: remote_bad_token.  When the partner
 * is on this node, the node of the resume, nothing goes on the bus: the
 * pair becomes this node's own (adopt_here; a cluster of two nodes).
 */
void
remote_adopt(struct session *f)
{
	if (adopt_here(f) == 0)
		return;
	f->r.adopting = 1;
	if (arm(f, 2) != 0) {
		f->r.taking[0] = '\0';
		remote_bad_token(f);
		return;
	}
	remote_bus_send(f->sig, NULL, json_pack("{s:s, s:s, s:s, s:s, s:s}",
	    "t", "adopt", "sid", f->r.taking, "nd", f->r.taking_from, "node",
	    f->sig->cl.node, "fresh", f->pn.id));
}

struct adopt_req {
	const char	*sid;
	const char	*nd;
	struct session	*found;
};

static void
adopt_one(struct session *p, void *arg)
{
	struct adopt_req *q = arg;

	if (q->found == NULL && p->state == S_PAIRED && p->partner == NULL &&
	    strcmp(p->r.peer, q->sid) == 0 && strcmp(p->r.node, q->nd) == 0)
		q->found = p;
}

/* The relay node's servers to s, now this node's (a local pair's). */
static void
relay_here(struct session *s)
{
	json_t *ice = sig_ice_servers(s->sig, s->conn, s->pn.id);

	session_send(s, json_pack("{s:s, s:o}", "type", "relay",
	    "iceServers", ice != NULL ? ice : json_array()));
}

/*
 * The partner of the session f resumes is here (a cluster of two, say,
 * whose other node died): nobody else can answer the adopt, so the pair
 * becomes one of this node's, as on one node.  The partner notices
 * nothing but a `relay` when the pair's relay node was another one (the
 * dead node, most likely): the pair's media now goes through this node,
 * which holds the pair already.  0 when done, -1 when not here.
 */
static int
adopt_here(struct session *f)
{
	struct signaling *sig = f->sig;
	char sid[PAIR_ID_LEN + 1], addr[64];
	struct adopt_req q;
	struct session *p;
	int moved, told, a, b;
	unsigned ep;
	char *tok;

	memset(&q, 0, sizeof(q));
	q.sid = f->r.taking;
	q.nd = f->r.taking_from;
	session_each(sig, adopt_one, &q);
	if ((p = q.found) == NULL || session_find(sig, q.sid) != NULL)
		return -1;
	strlcpy(sid, f->r.taking, sizeof(sid));
	f->r.taking[0] = '\0';
	f->r.adopting = 0;
	if (f->r.timer != NULL)
		evtimer_del(f->r.timer);
	if (p->r.timer != NULL)
		evtimer_del(p->r.timer);
	moved = strcmp(p->r.relay, sig->cl.node) != 0;
	/* f's client still knows the servers of the pair's relay node
	 * before a `relay` that only p got (its node died meanwhile). */
	told = p->r.relay_moved;
	/* A live relay node that is neither side's drops the pair. */
	if (moved && p->r.relay[0] != '\0' && sig->cl.node_at(sig->cl.arg,
	    p->r.relay, addr, sizeof(addr), &a, &b, &ep) == 0)
		remote_bus_send(sig, p->r.relay, json_pack("{s:s, s:s, s:s}",
		    "t", "unrelay", "a", p->pn.id, "b", sid));
	/* The fresh session of this socket is discarded, as on one node. */
	if (sig->end_hook != NULL)
		sig->end_hook(sig->end_hook_arg, f->pn.id);
	session_rename(f, sid);
	f->offerer = !p->offerer;
	f->reported = 0;
	f->nreports = 0;
	f->state = S_PAIRED;
	f->paired_at = p->paired_at;
	p->r.peer[0] = p->r.node[0] = p->r.relay[0] = '\0';
	p->r.txseq = p->r.rxseq = 0;
	p->r.has_peer_addr = 0;
	p->r.relay_moved = 0;
	p->partner = f;
	f->partner = p;
	/* The pair table and the relay's hook have the pair already (this
	 * node was a side of it), and it is still one pair here. */
	if ((tok = session_token(f)) != NULL) {
		session_send(f, json_pack("{s:s, s:s, s:b, s:s}", "type",
		    "resumed", "session", f->pn.id, "partner", 1,
		    "resumeToken", tok));
		free(tok);
	}
	if (moved || told)
		relay_here(f);
	if (moved)
		relay_here(p);
	log_info("cluster: session resumed here with its partner, whose "
	    "node %s did not answer", q.nd);
	remote_gauges(sig);
	return 0;
}

void
remote_on_adopt(struct signaling *sig, json_t *j)
{
	struct adopt_req q;
	const char *node = remote_bus_str(j, "node", BUS_NODE);
	const char *fresh = remote_bus_str(j, "fresh", BUS_ID);
	char aad[2 * PAIR_ID_LEN + 16], ip[ADDR_STRLEN], *c;
	struct session *p;
	json_t *st;

	memset(&q, 0, sizeof(q));
	q.sid = remote_bus_str(j, "sid", BUS_ID);
	q.nd = remote_bus_str(j, "nd", BUS_NODE);
	if (q.sid == NULL || q.nd == NULL || node == NULL || fresh == NULL)
		return;
	if (strcmp(node, sig->cl.node) == 0)
		return;
	session_each(sig, adopt_one, &q);
	if ((p = q.found) == NULL)
		return;
	ip[0] = '\0';
	if (p->addr.family != 0)
		addr_ntop(&p->addr, ip, sizeof(ip));
	/* Its next message must pass p's check, and p's next its own. */
	st = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:s, "
	    "s:s, s:[], s:[]}", "state", "paired", "peer", p->pn.id, "node",
	    sig->cl.node, "relay", p->r.relay, "peerAddr", ip, "tx",
	    (json_int_t)p->r.rxseq, "rx", (json_int_t)p->r.txseq, "offerer",
	    !p->offerer, "last", "", "lastAddr", "", "interests", "held");
	snprintf(aad, sizeof(aad), "take|%s|%s", fresh, q.sid);
	if ((c = remote_seal_json(sig, aad, st)) == NULL)
		return;
	strlcpy(p->r.node, node, sizeof(p->r.node));
	if (p->r.timer != NULL)
		evtimer_del(p->r.timer);
	remote_bus_send(sig, node, json_pack("{s:s, s:s, s:s, s:s}", "t",
	    "taken", "to", fresh, "sid", q.sid, "c", c));
	free(c);
}

static int
arm(struct session *s, int secs)
{
	struct timeval tv = { secs, 0 };

	if (s->r.timer == NULL && (s->r.timer = evtimer_new(s->sig->base,
	    remote_dead_cb, s)) == NULL)
		return -1;
	return evtimer_add(s->r.timer, &tv);
}

int
remote_resume(struct hconn *c, const char *sid, uint64_t n,
    const char *node)
{
	struct signaling *sig = c->sig;
	struct session *f = c->sess;
	char addr[64];
	int a, b;
	unsigned ep;

	if (f == NULL || node == NULL || !remote_active(sig) ||
	    strcmp(node, sig->cl.node) == 0 || f->r.taking[0] != '\0' ||
	    strlen(node) > SIG_NODE_MAX)
		return -1;
	strlcpy(f->r.taking, sid, sizeof(f->r.taking));
	strlcpy(f->r.taking_from, node, sizeof(f->r.taking_from));
	f->r.adopting = 0;
	if (sig->cl.node_at(sig->cl.arg, node, addr, sizeof(addr), &a,
	    &b, &ep) != 0) {
		/* Its node is dead: maybe its partner's node has the pair. */
		remote_adopt(f);
		return 0;
	}
	if (arm(f, 3) != 0) {
		f->r.taking[0] = '\0';
		return -1;
	}
	remote_bus_send(sig, node, json_pack("{s:s, s:s, s:I, s:s, s:s}", "t",
	    "take", "sid", sid, "n", (json_int_t)n, "node", sig->cl.node,
	    "fresh", f->pn.id));
	return 0;
}

static json_t *
held_list(struct session *s)
{
	json_t *l = json_array();
	uint32_t n;
	char *buf;

	if (l == NULL || s->pending == NULL)
		return l;
	while (evbuffer_remove(s->pending, &n, sizeof(n)) == sizeof(n)) {
		if ((buf = malloc((size_t)n + 1)) == NULL ||
		    evbuffer_remove(s->pending, buf, n) != (int)n) {
			free(buf);
			break;
		}
		json_array_append_new(l, json_stringn(buf, n));
		free(buf);
	}
	return l;
}

/* The state of s a take hands over, without its pair. */
static json_t *
take_state(struct session *s)
{
	char ip[ADDR_STRLEN];
	json_t *ints;
	size_t i;

	ip[0] = '\0';
	if (s->has_last)
		addr_ntop(&s->last_addr, ip, sizeof(ip));
	if ((ints = json_array()) == NULL)
		return NULL;
	for (i = 0; i < s->pn.ninterests; i++)
		json_array_append_new(ints, json_string(s->pn.interests[i]));
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:b, s:b, s:i}", "state",
	    s->state == S_PAIRED ? "paired" : s->state == S_WAITING ?
	    "waiting" : "idle", "last", s->pn.last, "lastAddr", ip,
	    "interests", ints, "held", held_list(s), "offerer", s->offerer,
	    "reported", s->reported, "nreports", s->nreports);
}

/* Adds the pair of s, moving to node, to st. */
static void
take_pair(struct session *s, const char *node, json_t *st)
{
	struct signaling *sig = s->sig;
	char pip[ADDR_STRLEN];
	struct session *p;

	pip[0] = '\0';
	if ((p = s->partner) != NULL) {
		/* Its partner stays here, now with a partner on node; the
		 * pair's relay node stays (another one when this one drains). */
		const char *relay = s->r.relay[0] != '\0' ? s->r.relay :
		    sig->cl.node;

		addr_ntop(&p->addr, pip, sizeof(pip));
		json_object_set_new(st, "peer", json_string(p->pn.id));
		json_object_set_new(st, "node", json_string(sig->cl.node));
		json_object_set_new(st, "relay", json_string(relay));
		json_object_set_new(st, "peerAddr", json_string(pip));
		p->partner = NULL;
		s->partner = NULL;
		strlcpy(p->r.peer, s->pn.id, sizeof(p->r.peer));
		strlcpy(p->r.node, node, sizeof(p->r.node));
		strlcpy(p->r.relay, relay, sizeof(p->r.relay));
		p->r.txseq = p->r.rxseq = 0;
		p->r.peer_addr = s->addr;
		p->r.has_peer_addr = 1;
	} else if (s->state == S_PAIRED && s->r.peer[0] != '\0') {
		if (s->r.has_peer_addr)
			addr_ntop(&s->r.peer_addr, pip, sizeof(pip));
		json_object_set_new(st, "peer", json_string(s->r.peer));
		json_object_set_new(st, "node", json_string(s->r.node));
		json_object_set_new(st, "relay", json_string(s->r.relay));
		json_object_set_new(st, "peerAddr", json_string(pip));
		json_object_set_new(st, "tx", json_integer(
		    (json_int_t)s->r.txseq));
		json_object_set_new(st, "rx", json_integer(
		    (json_int_t)s->r.rxseq));
		sig->npairs--;
	}
}

/* s is gone from here without ending: its pair and allocations live. */
static void
take_release(struct session *s)
{
	struct signaling *sig = s->sig;
	struct hconn *oc;

	s->r.moved = 1;
	s->state = S_IDLE;
	if ((oc = s->conn) != NULL) {
		oc->sess = NULL;
		s->conn = NULL;
		ws_close(oc->ws, WS_CLOSE_POLICY, "resumed on another node");
		sig_conn_close(oc);
	}
	session_free(s);
	remote_gauges(sig);
}

void
remote_on_take(struct signaling *sig, json_t *j)
{
	const char *sid = remote_bus_str(j, "sid", BUS_ID);
	const char *node = remote_bus_str(j, "node", BUS_NODE);
	const char *fresh = remote_bus_str(j, "fresh", BUS_ID);
	json_t *jn = json_object_get(j, "n"), *st;
	struct session *s;
	char aad[2 * PAIR_ID_LEN + 16], *c;

	if (sid == NULL || node == NULL || fresh == NULL ||
	    !json_is_integer(jn))
		return;
	s = session_find(sig, sid);
	if (s == NULL || s->ending || s->r.moved ||
	    (uint64_t)json_integer_value(jn) != s->serial) {
		remote_bus_send(sig, node, json_pack("{s:s, s:s, s:s, s:s}",
		    "t", "taken", "to", fresh, "sid", sid, "why", s == NULL ?
		    "unknown" : "used"));
		return;
	}
	if ((st = take_state(s)) == NULL)
		return;
	take_pair(s, node, st);
	snprintf(aad, sizeof(aad), "take|%s|%s", fresh, sid);
	if ((c = remote_seal_json(sig, aad, st)) == NULL)
		return;
	take_release(s);
	remote_bus_send(sig, node, json_pack("{s:s, s:s, s:s, s:s}", "t",
	    "taken", "to", fresh, "sid", sid, "c", c));
	free(c);
}

/* The state in a "taken" c for to, NULL when forged or bad. */
static json_t *
taken_open(struct signaling *sig, const char *to, const char *sid,
    const char *c)
{
	char aad[2 * PAIR_ID_LEN + 16], *pt;
	json_t *st;
	json_error_t e;
	size_t len;

	snprintf(aad, sizeof(aad), "take|%s|%s", to, sid);
	if ((pt = remote_open(sig, aad, c, &len)) == NULL)
		return NULL;
	st = json_loadb(pt, len, 0, &e);
	explicit_bzero(pt, len);
	free(pt);
	if (st != NULL && remote_bus_str(st, "state", BUS_WORD) == NULL) {
		json_decref(st);
		st = NULL;
	}
	return st;
}

/* What f keeps of st but its pair. */
static void
taken_restore(struct session *f, json_t *st)
{
	const char *v, *ints[MSG_INTERESTS_MAX];
	size_t i, ni = 0;
	json_t *x;

	json_array_foreach(json_object_get(st, "interests"), i, x)
		if (ni < MSG_INTERESTS_MAX && json_is_string(x))
			ints[ni++] = json_string_value(x);
	pair_set_interests(&f->pn, ints, ni);
	if ((v = remote_bus_str(st, "last", BUS_ID)) != NULL)
		strlcpy(f->pn.last, v, sizeof(f->pn.last));
	if ((v = remote_bus_str(st, "lastAddr", BUS_ADDR)) != NULL &&
	    addr_parse(v, &f->last_addr) == 0)
		f->has_last = 1;
	f->offerer = json_is_true(json_object_get(st, "offerer"));
	f->reported = json_is_true(json_object_get(st, "reported"));
	f->nreports = (int)json_integer_value(json_object_get(st,
	    "nreports"));
}

/* The pair of f in st, if any, is f's here; whether there is one. */
static int
taken_pair(struct session *f, json_t *st)
{
	struct signaling *sig = f->sig;
	const char *state = remote_bus_str(st, "state", BUS_WORD);
	const char *peer = remote_bus_str(st, "peer", BUS_ID);
	const char *node = remote_bus_str(st, "node", BUS_NODE);
	const char *relay = remote_bus_str(st, "relay", BUS_NODE);
	const char *v;

	if (state == NULL || strcmp(state, "paired") != 0 || peer == NULL ||
	    node == NULL || relay == NULL)
		return 0;
	strlcpy(f->r.peer, peer, sizeof(f->r.peer));
	strlcpy(f->r.node, node, sizeof(f->r.node));
	strlcpy(f->r.relay, relay, sizeof(f->r.relay));
	f->r.txseq = (uint64_t)json_integer_value(json_object_get(st, "tx"));
	f->r.rxseq = (uint64_t)json_integer_value(json_object_get(st, "rx"));
	if ((v = remote_bus_str(st, "peerAddr", BUS_ADDR)) != NULL &&
	    addr_parse(v, &f->r.peer_addr) == 0)
		f->r.has_peer_addr = 1;
	f->state = S_PAIRED;
	f->paired_at = clock_mono_ms();
	sig->npairs++;
	if (pair_table_set(sig->pairs, f->pn.id, f->r.peer) != 0)
		log_warn("signaling: pair table: out of memory");
	if (sig->hook != NULL)
		sig->hook(sig->hook_arg, f->pn.id, f->r.peer, 1);
	return 1;
}

void
remote_on_taken(struct signaling *sig, json_t *j)
{
	const char *to = remote_bus_str(j, "to", BUS_ID);
	const char *sid = remote_bus_str(j, "sid", BUS_ID);
	const char *c = remote_bus_str(j, "c", BUS_SEALED);
	const char *why = remote_bus_str(j, "why", BUS_WORD);
	struct session *f;
	json_t *st, *x;
	char *tok;
	size_t i;
	int paired;

	if (to == NULL || sid == NULL || (f = session_find(sig, to)) == NULL ||
	    strcmp(f->r.taking, sid) != 0)
		return;
	evtimer_del(f->r.timer);
	/* Not known there: that node restarted since (a used token is
	 * refused, not adopted).  Maybe its partner's node has the pair. */
	if (c == NULL && !f->r.adopting && why != NULL &&
	    strcmp(why, "unknown") == 0) {
		remote_adopt(f);
		return;
	}
	f->r.taking[0] = '\0';
	/* Even if this socket dropped meanwhile the session is taken: the
	 * old node let it go, and its resume window now runs here. */
	if (c == NULL || session_find(sig, sid) != NULL ||
	    (st = taken_open(sig, to, sid, c)) == NULL) {
		remote_bad_token(f);
		return;
	}
	/* The fresh session of this socket is discarded, as on one node. */
	if (sig->end_hook != NULL)
		sig->end_hook(sig->end_hook_arg, f->pn.id);
	session_rename(f, sid);
	taken_restore(f, st);
	paired = taken_pair(f, st);
	if ((tok = session_token(f)) != NULL) {
		session_send(f, json_pack("{s:s, s:s, s:b, s:s}", "type",
		    "resumed", "session", f->pn.id, "partner", paired,
		    "resumeToken", tok));
		free(tok);
	}
	json_array_foreach(json_object_get(st, "held"), i, x)
		if (json_is_string(x))
			session_hold(f, json_string_value(x),
			    json_string_length(x));
	if (paired)
		remote_bus_send(sig, f->r.node, json_pack(
		    "{s:s, s:s, s:s, s:s}", "t", "moved", "to", f->r.peer,
		    "from", f->pn.id, "node", sig->cl.node));
	else if (strcmp(remote_bus_str(st, "state", BUS_WORD), "waiting") ==
	    0) {
		f->state = S_WAITING;
		pair_enqueue(&sig->queue, &f->pn, clock_mono_ms());
		if (remote_find(f) != 0)
			session_match_here(f);
	}
	json_decref(st);
	remote_gauges(sig);
}

void
remote_on_moved(struct signaling *sig, json_t *j)
{
	const char *to = remote_bus_str(j, "to", BUS_ID);
	const char *from = remote_bus_str(j, "from", BUS_ID);
	const char *node = remote_bus_str(j, "node", BUS_NODE);
	struct session *s;

	if (to == NULL || from == NULL || node == NULL)
		return;
	if ((s = session_find(sig, to)) == NULL ||
	    strcmp(s->r.peer, from) != 0)
		return;
	strlcpy(s->r.node, node, sizeof(s->r.node));
	if (s->r.timer != NULL)
		evtimer_del(s->r.timer);
}
