/*
 * cluster_glue.c - signaling's side of a cluster (SPEC "Cluster"): `find`
 * through the cluster-wide queue, pairs whose partners are on different
 * nodes, and the messages between them on the partner node's channel.
 *
 * Pairing.  While Redis is up a waiting session is matched by the
 * cluster's queue (struct sig_cluster's find; atomic in Redis).  The node
 * of the finder hears MATCHED: when the partner is here too it pairs them
 * as ever; otherwise it picks the pair's relay node (the less loaded of
 * the two nodes, never a draining or dead one), sends {"t":"pair"} to the
 * partner's node and `matched` to its client, with the relay node's ICE
 * servers.  The waiter's node does the same on "pair" (the queue's own
 * "matched" note only marks the waiter as taken).  Both nodes put the pair
 * in their pair table, so pair-permissions hold on the relay node, which
 * is always one of the two.  Redis down: every node pairs its own
 * sessions alone; back up, its waiting sessions queue again.
 *
 * Messages.  What a client sends its partner is checked here first
 * (relay-only filtering, chat rules: session.c) and then sent, in order,
 * on the partner node's channel as {"t":"m","to","from","n","c"}: c is the
 * message sealed with AES-256-GCM under a key derived from the shared
 * resume-secret (each node of a cluster has the same), a random 96-bit
 * nonce per message, and to/from/n as associated data; so Redis, which
 * carries it, never sees chat text, SDP or an address.  n grows by one per
 * message of a pair side; an older or repeated n is dropped.
 *
 * Node death.  A partner whose node died ends for its partner after
 * resume-window (partner_left, disconnect); a pair whose relay node died
 * gets `relay` with this node's servers.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth/cred.h"
#include "common/base64.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/log.h"
#include "signaling/sig.h"

#define BUS_NONCE	12
#define BUS_TAG		16
#define BUS_LABEL	"meetopia cluster partner messages v1"
#define RECONNECT_MIN_MS	500	/* `reconnect`'s "after" */
#define RECONNECT_SPREAD_MS	4500
#define DRAIN_MSG_SKEW		30	/* seconds a drain message lives */

int
remote_active(struct signaling *sig)
{
	return sig->cl.up != NULL && !sig->stopping &&
	    sig->cl.up(sig->cl.arg);
}

void
sig_set_cluster(struct signaling *sig, const struct sig_cluster *cl)
{
	unsigned int n = sizeof(sig->bus_key);

	if (cl == NULL) {
		memset(&sig->cl, 0, sizeof(sig->cl));
		return;
	}
	sig->cl = *cl;
	/* The key of partner messages: HMAC(resume-secret, label). */
	HMAC(EVP_sha256(), sig->jwt_key, sizeof(sig->jwt_key),
	    (const unsigned char *)BUS_LABEL, strlen(BUS_LABEL), sig->bus_key,
	    &n);
}

static void	bus_send(struct signaling *, const char *, json_t *);

void
sig_set_node_ops(struct signaling *sig, const struct sig_node_ops *ops)
{
	if (ops == NULL)
		memset(&sig->nodeops, 0, sizeof(sig->nodeops));
	else
		sig->nodeops = *ops;
}

/* Spread over a few seconds, so that the clients do not all come back
 * to the load balancer at once. */
static void
reconnect_one(struct session *s, void *arg)
{
	uint32_t r = 0;

	(void)arg;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = 0;
	session_send(s, json_pack("{s:s, s:I}", "type", "reconnect",
	    "after", (json_int_t)(RECONNECT_MIN_MS + r % RECONNECT_SPREAD_MS)));
}

void
signaling_reconnect_all(struct signaling *sig)
{
	session_each(sig, reconnect_one, NULL);
}

int
signaling_cluster_drain(struct signaling *sig, const char *node, int undo)
{
	if (sig->cl.up == NULL || !sig->cl.up(sig->cl.arg))
		return -1;
	bus_send(sig, node, json_pack("{s:s, s:s, s:s, s:b, s:I}", "t",
	    "drain", "node", node, "from", sig->cl.node, "undo", undo, "ts",
	    (json_int_t)time(NULL)));
	return 0;
}

/* {"t":"drain"} from another node's meetopiactl: signed (checked by the
 * caller), for this node, and fresh. */
static void
on_drain(struct signaling *sig, json_t *j)
{
	const char *node = json_string_value(json_object_get(j, "node"));
	long long ts = json_integer_value(json_object_get(j, "ts"));
	long long now = (long long)time(NULL);
	const char *why = NULL;
	int undo = json_is_true(json_object_get(j, "undo"));

	if (node == NULL || sig->cl.node == NULL ||
	    strcmp(node, sig->cl.node) != 0 || ts < now - DRAIN_MSG_SKEW ||
	    ts > now + DRAIN_MSG_SKEW || sig->nodeops.drain == NULL) {
		log_warn("cluster: a drain message not for this node or stale "
		    "ignored");
		return;
	}
	log_info("cluster: %s asked by node %s", undo ? "drain undo" :
	    "drain", json_string_value(json_object_get(j, "from")) != NULL ?
	    json_string_value(json_object_get(j, "from")) : "?");
	if (sig->nodeops.drain(sig->nodeops.arg, NULL, undo, &why) != 0)
		log_warn("cluster: drain: %s", why != NULL ? why : "refused");
}

size_t
signaling_sessions(struct signaling *sig)
{
	return sig->nsessions;
}

/* ------------------------------------------------------------------ */
/* Sealed partner messages. */

static void
bus_aad(char *aad, size_t len, const char *to, const char *from,
    uint64_t n)
{
	snprintf(aad, len, "%s|%s|%llu", to, from, (unsigned long long)n);
}

/* base64url(nonce || ciphertext || tag) of pt; malloc'ed. */
static char *
bus_seal(struct signaling *sig, const char *aad, const char *pt, size_t len)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t *buf;
	char *out = NULL;
	size_t blen = BUS_NONCE + len + BUS_TAG, olen = blen * 4 / 3 + 4;
	int n, ok = 0;

	if ((buf = malloc(blen)) == NULL)
		return NULL;
	if ((ctx = EVP_CIPHER_CTX_new()) != NULL &&
	    RAND_bytes(buf, BUS_NONCE) == 1 &&
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, sig->bus_key,
	    buf) == 1 &&
	    EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)aad,
	    (int)strlen(aad)) == 1 &&
	    EVP_EncryptUpdate(ctx, buf + BUS_NONCE, &n, (const uint8_t *)pt,
	    (int)len) == 1 &&
	    EVP_EncryptFinal_ex(ctx, buf + BUS_NONCE + n, &n) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, BUS_TAG,
	    buf + BUS_NONCE + len) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(ctx);
	if (ok && (out = malloc(olen)) != NULL &&
	    b64_encode(buf, blen, B64_URL, out, olen, NULL) != 0) {
		free(out);
		out = NULL;
	}
	free(buf);
	return out;
}

/* The plaintext of c (NUL-terminated, malloc'ed), NULL when forged. */
static char *
bus_open(struct signaling *sig, const char *aad, const char *c,
    size_t *ptlen)
{
	EVP_CIPHER_CTX *ctx;
	size_t clen = strlen(c), blen = clen * 3 / 4 + 3;
	uint8_t *buf;
	char *pt = NULL;
	size_t dlen;
	int n, len, ok = 0;

	if ((buf = malloc(blen)) == NULL)
		return NULL;
	if (b64_decode(c, clen, B64_URL, buf, blen, &dlen) != 0)
		dlen = 0;
	len = (int)dlen;
	if (len < BUS_NONCE + BUS_TAG ||
	    (pt = malloc((size_t)len - BUS_NONCE - BUS_TAG + 1)) == NULL) {
		free(buf);
		return NULL;
	}
	len -= BUS_NONCE + BUS_TAG;
	if ((ctx = EVP_CIPHER_CTX_new()) != NULL &&
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, sig->bus_key,
	    buf) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)aad,
	    (int)strlen(aad)) == 1 &&
	    EVP_DecryptUpdate(ctx, (uint8_t *)pt, &n, buf + BUS_NONCE,
	    len) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, BUS_TAG,
	    buf + BUS_NONCE + len) == 1 &&
	    EVP_DecryptFinal_ex(ctx, (uint8_t *)pt + n, &n) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(ctx);
	free(buf);
	if (!ok) {
		free(pt);
		return NULL;
	}
	pt[len] = '\0';
	*ptlen = (size_t)len;
	return pt;
}

/*
 * The MAC of a control message: HMAC-SHA256 under the bus key of its
 * compact, key-sorted JSON without "mac".  Partner messages ("m") are
 * sealed instead; the queue's own "matched" note carries none (it only
 * marks a waiter as taken).
 */
static int
bus_mac(struct signaling *sig, json_t *j, char *out, size_t outlen)
{
	uint8_t mac[32];
	unsigned int n = sizeof(mac);
	char *text;

	json_object_del(j, "mac");
	if ((text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return -1;
	HMAC(EVP_sha256(), sig->bus_key, sizeof(sig->bus_key),
	    (const unsigned char *)text, strlen(text), mac, &n);
	free(text);
	return b64_encode(mac, sizeof(mac), B64_URL, out, outlen, NULL);
}

/* Whether j's "mac" is right (it is removed). */
static int
bus_mac_ok(struct signaling *sig, json_t *j)
{
	const char *got = json_string_value(json_object_get(j, "mac"));
	char want[64], copy[64];

	if (got == NULL || strlen(got) >= sizeof(copy))
		return 0;
	strlcpy(copy, got, sizeof(copy));
	if (bus_mac(sig, j, want, sizeof(want)) != 0 ||
	    strlen(want) != strlen(copy))
		return 0;
	return CRYPTO_memcmp(want, copy, strlen(want)) == 0;
}

static void
bus_send(struct signaling *sig, const char *node, json_t *j)
{
	char *text, mac[64];
	const char *t;

	if (j == NULL)
		return;
	if (sig->cl.send == NULL) {	/* the cluster is gone (shutdown) */
		json_decref(j);
		return;
	}
	if ((t = json_string_value(json_object_get(j, "t"))) != NULL &&
	    strcmp(t, "m") != 0) {
		if (bus_mac(sig, j, mac, sizeof(mac)) != 0) {
			json_decref(j);
			return;
		}
		json_object_set_new(j, "mac", json_string(mac));
	}
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text == NULL)
		return;
	if (sig->cl.send(sig->cl.arg, node, text, strlen(text)) != 0)
		log_debug("cluster: message to %s not sent (Redis down)",
		    node != NULL ? node : "all");
	free(text);
}

/* Seals msg (stolen) from `from` to `to` on node. */
static void
bus_sealed(struct signaling *sig, const char *node, const char *to,
    const char *from, uint64_t n, json_t *msg)
{
	char aad[2 * PAIR_ID_LEN + 32], *text, *c;

	if (msg == NULL)
		return;
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text == NULL)
		return;
	bus_aad(aad, sizeof(aad), to, from, n);
	c = bus_seal(sig, aad, text, strlen(text));
	explicit_bzero(text, strlen(text));
	free(text);
	if (c == NULL)
		return;
	bus_send(sig, node, json_pack("{s:s, s:s, s:s, s:I, s:s}", "t", "m",
	    "to", to, "from", from, "n", (json_int_t)n, "c", c));
	free(c);
}

void
remote_send(struct session *s, json_t *msg)
{
	if (s->partner != NULL) {
		session_send(s->partner, msg);
		return;
	}
	if (msg == NULL)
		return;
	if (s->state != S_PAIRED || s->r.peer[0] == '\0') {
		json_decref(msg);
		return;
	}
	bus_sealed(s->sig, s->r.node, s->r.peer, s->pn.id, ++s->r.txseq,
	    msg);
}

/* ------------------------------------------------------------------ */
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

static void
pair_gauges(struct signaling *sig)
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
	s->state = S_PAIRED;
	s->paired_at = clock_mono_ms();
	s->stats_done = s->reported = 0;
	s->offerer = offerer;
	sig->npairs++;
	pair_gauges(sig);
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
static void
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
		bus_send(sig, s->r.relay, json_pack("{s:s, s:s, s:s}", "t",
		    "unrelay", "a", s->pn.id, "b", s->r.peer));
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
	s->state = S_IDLE;
	if (s->r.timer != NULL)
		evtimer_del(s->r.timer);
	sig->npairs--;
	pair_gauges(sig);
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

void
signaling_cluster_found(struct signaling *sig, const char *id, int err,
    enum sig_found_what what, const char *partner, const char *pnode,
    long long since_ms, long long partner_since_ms)
{
	struct session *s = session_find(sig, id), *p;
	const char *relay;
	struct timeval tv;
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
		if (s != NULL && s->r.since_ms == 0)
			s->r.since_ms = since_ms;
		/* With interests: ask again once the wait is over. */
		if (s != NULL && s->state == S_WAITING &&
		    s->pn.ninterests > 0 &&
		    !evtimer_pending(s->wait_timer, NULL)) {
			tv.tv_sec = (time_t)(sig->queue.wait / 1000);
			tv.tv_usec = (suseconds_t)(sig->queue.wait % 1000) *
			    1000 + 50000;
			evtimer_add(s->wait_timer, &tv);
		}
		return;
	}
	/* MATCHED: both are off the queue; the one that waited longer
	 * offers (the partner, unless the finder was queued first). */
	offers = s != NULL && s->r.since_ms > 0 && partner_since_ms > 0 &&
	    s->r.since_ms < partner_since_ms;
	if (s != NULL)
		s->r.since_ms = 0;
	if (strcmp(pnode, sig->cl.node) == 0) {
		p = session_find(sig, partner);
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
		return;
	}
	if (s == NULL || s->state != S_WAITING) {
		bus_send(sig, pnode, json_pack("{s:s, s:s}", "t", "requeue",
		    "to", partner));
		return;
	}
	if ((relay = sig->cl.relay(sig->cl.arg, sig->cl.node, pnode)) == NULL)
		relay = sig->cl.node;
	metrics_inc(&sig->env.metrics->pairs_total);
	metrics_inc(&sig->env.metrics->cluster_pairs_remote_total);
	/* The partner's node hears of it first: it keeps the order. */
	bus_send(sig, pnode, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "t",
	    "pair", "to", partner, "from", id, "node", sig->cl.node, "relay",
	    relay, "offer", !offers));
	remote_pair(s, partner, pnode, relay, offers);
}

/* ------------------------------------------------------------------ */
/* This node's channel. */

static void
on_pair(struct signaling *sig, json_t *j)
{
	const char *to = json_string_value(json_object_get(j, "to"));
	const char *from = json_string_value(json_object_get(j, "from"));
	const char *node = json_string_value(json_object_get(j, "node"));
	const char *relay = json_string_value(json_object_get(j, "relay"));
	struct session *s;

	if (to == NULL || from == NULL || node == NULL || relay == NULL ||
	    strlen(from) != PAIR_ID_LEN || strlen(node) > SIG_NODE_MAX ||
	    strlen(relay) > SIG_NODE_MAX)
		return;
	s = session_find(sig, to);
	/* Only the session the queue says node took (its "matched" note
	 * comes first): one that left and queued again meanwhile is not
	 * paired twice. */
	if (s == NULL || s->state != S_WAITING || s->ending ||
	    !s->r.pending || strcmp(s->r.node, node) != 0) {
		/* It left meanwhile: the finder's client hears so. */
		bus_sealed(sig, node, from, to, 1, json_pack("{s:s, s:s}",
		    "type", "_end", "reason", "disconnect"));
		return;
	}
	remote_pair(s, from, node, relay,
	    !json_is_false(json_object_get(j, "offer")));
}

static void
on_matched(struct signaling *sig, json_t *j)
{
	const char *w = json_string_value(json_object_get(j, "session"));
	const char *f = json_string_value(json_object_get(j, "partner"));
	const char *n = json_string_value(json_object_get(j, "partnerNode"));
	struct session *s;

	if (w == NULL || f == NULL || n == NULL ||
	    strcmp(n, sig->cl.node) == 0 || strlen(n) > SIG_NODE_MAX)
		return;		/* a pair of ours: find's answer has it */
	if ((s = session_find(sig, w)) == NULL || s->state != S_WAITING)
		return;
	/* Taken by n: wait for its "pair" (or its death). */
	s->r.queued = 0;
	s->r.pending = 1;
	strlcpy(s->r.node, n, sizeof(s->r.node));
	evtimer_del(s->wait_timer);
}

static void
on_message(struct signaling *sig, json_t *j)
{
	const char *to = json_string_value(json_object_get(j, "to"));
	const char *from = json_string_value(json_object_get(j, "from"));
	const char *c = json_string_value(json_object_get(j, "c"));
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
	bus_aad(aad, sizeof(aad), to, from, n);
	if ((pt = bus_open(sig, aad, c, &len)) == NULL) {
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
	if ((type = json_string_value(json_object_get(msg, "type"))) == NULL) {
		json_decref(msg);
		return;
	}
	if (strcmp(type, "_peer") == 0) {
		const char *ip = json_string_value(json_object_get(msg,
		    "addr"));

		if (ip != NULL && addr_parse(ip, &s->r.peer_addr) == 0)
			s->r.has_peer_addr = 1;
		json_decref(msg);
		return;
	}
	if (strcmp(type, "_end") == 0) {
		const char *why = json_string_value(json_object_get(msg,
		    "reason"));

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

/* ------------------------------------------------------------------ */
/* Resume on another node: the node that holds the session hands it over
 * ({"t":"take"} -> {"t":"taken"} with the session's state, sealed), and
 * the partner's node is told where it went ({"t":"moved"}).  The pair's
 * relay node does not change: the partner notices nothing. */

static void dead_cb(evutil_socket_t, short, void *);
static void bad_token(struct session *);
static int arm(struct session *, int);

/*
 * The node that held the session does not answer (it died): every node
 * hears {"t":"adopt"}, and the one whose session is paired with it, on
 * that node, hands the pair over; messages held on the dead node are
 * lost.  Nobody answers within 2 s: bad_token.
 */
static void
adopt(struct session *f)
{
	f->r.adopting = 1;
	if (arm(f, 2) != 0) {
		f->r.taking[0] = '\0';
		bad_token(f);
		return;
	}
	bus_send(f->sig, NULL, json_pack("{s:s, s:s, s:s, s:s, s:s}", "t",
	    "adopt", "sid", f->r.taking, "nd", f->r.taking_from, "node",
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

static void
on_adopt(struct signaling *sig, json_t *j)
{
	struct adopt_req q;
	const char *node = json_string_value(json_object_get(j, "node"));
	const char *fresh = json_string_value(json_object_get(j, "fresh"));
	char aad[2 * PAIR_ID_LEN + 16], ip[ADDR_STRLEN], *text, *c;
	struct session *p;
	json_t *st;

	memset(&q, 0, sizeof(q));
	q.sid = json_string_value(json_object_get(j, "sid"));
	q.nd = json_string_value(json_object_get(j, "nd"));
	if (q.sid == NULL || q.nd == NULL || node == NULL || fresh == NULL ||
	    strlen(node) > SIG_NODE_MAX || strlen(fresh) != PAIR_ID_LEN ||
	    strcmp(node, sig->cl.node) == 0)
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
	if (st == NULL)
		return;
	text = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	if (text == NULL)
		return;
	snprintf(aad, sizeof(aad), "take|%s|%s", fresh, q.sid);
	c = bus_seal(sig, aad, text, strlen(text));
	explicit_bzero(text, strlen(text));
	free(text);
	if (c == NULL)
		return;
	strlcpy(p->r.node, node, sizeof(p->r.node));
	if (p->r.timer != NULL)
		evtimer_del(p->r.timer);
	bus_send(sig, node, json_pack("{s:s, s:s, s:s, s:s}", "t", "taken",
	    "to", fresh, "sid", q.sid, "c", c));
	free(c);
}

static int
arm(struct session *s, int secs)
{
	struct timeval tv = { secs, 0 };

	if (s->r.timer == NULL && (s->r.timer = evtimer_new(s->sig->base,
	    dead_cb, s)) == NULL)
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
		adopt(f);
		return 0;
	}
	if (arm(f, 3) != 0) {
		f->r.taking[0] = '\0';
		return -1;
	}
	bus_send(sig, node, json_pack("{s:s, s:s, s:I, s:s, s:s}", "t",
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

static void
on_take(struct signaling *sig, json_t *j)
{
	const char *sid = json_string_value(json_object_get(j, "sid"));
	const char *node = json_string_value(json_object_get(j, "node"));
	const char *fresh = json_string_value(json_object_get(j, "fresh"));
	json_t *jn = json_object_get(j, "n"), *st, *ints;
	struct session *s, *p;
	struct hconn *oc;
	char aad[2 * PAIR_ID_LEN + 16], ip[ADDR_STRLEN], pip[ADDR_STRLEN];
	char *text, *c = NULL;
	size_t i;

	if (sid == NULL || node == NULL || fresh == NULL ||
	    !json_is_integer(jn) || strlen(node) > SIG_NODE_MAX ||
	    strlen(fresh) != PAIR_ID_LEN)
		return;
	s = session_find(sig, sid);
	if (s == NULL || s->ending || s->r.moved ||
	    (uint64_t)json_integer_value(jn) != s->serial) {
		bus_send(sig, node, json_pack("{s:s, s:s, s:s, s:s}", "t",
		    "taken", "to", fresh, "sid", sid, "why", s == NULL ?
		    "unknown" : "used"));
		return;
	}
	ip[0] = pip[0] = '\0';
	if (s->has_last)
		addr_ntop(&s->last_addr, ip, sizeof(ip));
	if ((ints = json_array()) == NULL)
		return;
	for (i = 0; i < s->pn.ninterests; i++)
		json_array_append_new(ints, json_string(s->pn.interests[i]));
	st = json_pack("{s:s, s:s, s:s, s:o, s:o, s:b, s:b, s:i}", "state",
	    s->state == S_PAIRED ? "paired" : s->state == S_WAITING ?
	    "waiting" : "idle", "last", s->pn.last, "lastAddr", ip,
	    "interests", ints, "held", held_list(s), "offerer", s->offerer,
	    "reported", s->reported, "nreports", s->nreports);
	if (st == NULL)
		return;
	if ((p = s->partner) != NULL) {
		/* Its partner stays here, now with a partner on node. */
		addr_ntop(&p->addr, pip, sizeof(pip));
		json_object_set_new(st, "peer", json_string(p->pn.id));
		json_object_set_new(st, "node", json_string(sig->cl.node));
		json_object_set_new(st, "relay", json_string(sig->cl.node));
		json_object_set_new(st, "peerAddr", json_string(pip));
		p->partner = NULL;
		s->partner = NULL;
		strlcpy(p->r.peer, sid, sizeof(p->r.peer));
		strlcpy(p->r.node, node, sizeof(p->r.node));
		strlcpy(p->r.relay, sig->cl.node, sizeof(p->r.relay));
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
	text = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	if (text != NULL) {
		snprintf(aad, sizeof(aad), "take|%s|%s", fresh, sid);
		c = bus_seal(sig, aad, text, strlen(text));
		explicit_bzero(text, strlen(text));
		free(text);
	}
	if (c == NULL)
		return;
	/* Gone from here without ending: its pair and allocations live. */
	s->r.moved = 1;
	s->state = S_IDLE;
	if ((oc = s->conn) != NULL) {
		oc->sess = NULL;
		s->conn = NULL;
		ws_close(oc->ws, WS_CLOSE_POLICY, "resumed on another node");
		sig_conn_close(oc);
	}
	session_free(s);
	pair_gauges(sig);
	bus_send(sig, node, json_pack("{s:s, s:s, s:s, s:s}", "t", "taken",
	    "to", fresh, "sid", sid, "c", c));
	free(c);
}

static void
on_taken(struct signaling *sig, json_t *j)
{
	const char *to = json_string_value(json_object_get(j, "to"));
	const char *sid = json_string_value(json_object_get(j, "sid"));
	const char *c = json_string_value(json_object_get(j, "c"));
	const char *state, *v, *ints[MSG_INTERESTS_MAX];
	struct session *f;
	json_t *st = NULL, *x;
	json_error_t e;
	char aad[2 * PAIR_ID_LEN + 16], *pt = NULL, *tok;
	size_t len, i, ni = 0;
	int paired;

	if (to == NULL || sid == NULL || (f = session_find(sig, to)) == NULL ||
	    strcmp(f->r.taking, sid) != 0)
		return;
	evtimer_del(f->r.timer);
	/* Not known there: that node restarted since (a used token is
	 * refused, not adopted).  Maybe its partner's node has the pair. */
	if (c == NULL && !f->r.adopting && (v = json_string_value(
	    json_object_get(j, "why"))) != NULL && strcmp(v, "unknown") == 0) {
		adopt(f);
		return;
	}
	f->r.taking[0] = '\0';
	snprintf(aad, sizeof(aad), "take|%s|%s", to, sid);
	/* Even if this socket dropped meanwhile the session is taken: the
	 * old node let it go, and its resume window now runs here. */
	if (c == NULL || session_find(sig, sid) != NULL ||
	    (pt = bus_open(sig, aad, c, &len)) == NULL ||
	    (st = json_loadb(pt, len, 0, &e)) == NULL ||
	    (state = json_string_value(json_object_get(st, "state"))) ==
	    NULL) {
		if (pt != NULL) {
			explicit_bzero(pt, len);
			free(pt);
		}
		if (st != NULL)
			json_decref(st);
		bad_token(f);
		return;
	}
	explicit_bzero(pt, len);
	free(pt);
	/* The fresh session of this socket is discarded, as on one node. */
	if (sig->end_hook != NULL)
		sig->end_hook(sig->end_hook_arg, f->pn.id);
	session_rename(f, sid);
	json_array_foreach(json_object_get(st, "interests"), i, x)
		if (ni < MSG_INTERESTS_MAX && json_is_string(x))
			ints[ni++] = json_string_value(x);
	pair_set_interests(&f->pn, ints, ni);
	if ((v = json_string_value(json_object_get(st, "last"))) != NULL &&
	    strlen(v) == PAIR_ID_LEN)
		strlcpy(f->pn.last, v, sizeof(f->pn.last));
	if ((v = json_string_value(json_object_get(st, "lastAddr"))) !=
	    NULL && addr_parse(v, &f->last_addr) == 0)
		f->has_last = 1;
	f->offerer = json_is_true(json_object_get(st, "offerer"));
	f->reported = json_is_true(json_object_get(st, "reported"));
	f->nreports = (int)json_integer_value(json_object_get(st,
	    "nreports"));
	paired = strcmp(state, "paired") == 0 &&
	    json_string_value(json_object_get(st, "peer")) != NULL &&
	    json_string_value(json_object_get(st, "node")) != NULL &&
	    json_string_value(json_object_get(st, "relay")) != NULL;
	if (paired) {
		strlcpy(f->r.peer, json_string_value(json_object_get(st,
		    "peer")), sizeof(f->r.peer));
		strlcpy(f->r.node, json_string_value(json_object_get(st,
		    "node")), sizeof(f->r.node));
		strlcpy(f->r.relay, json_string_value(json_object_get(st,
		    "relay")), sizeof(f->r.relay));
		f->r.txseq = (uint64_t)json_integer_value(json_object_get(st,
		    "tx"));
		f->r.rxseq = (uint64_t)json_integer_value(json_object_get(st,
		    "rx"));
		if ((v = json_string_value(json_object_get(st,
		    "peerAddr"))) != NULL && addr_parse(v,
		    &f->r.peer_addr) == 0)
			f->r.has_peer_addr = 1;
		f->state = S_PAIRED;
		f->paired_at = clock_mono_ms();
		sig->npairs++;
		if (pair_table_set(sig->pairs, f->pn.id, f->r.peer) != 0)
			log_warn("signaling: pair table: out of memory");
		if (sig->hook != NULL)
			sig->hook(sig->hook_arg, f->pn.id, f->r.peer, 1);
	}
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
		bus_send(sig, f->r.node, json_pack("{s:s, s:s, s:s, s:s}",
		    "t", "moved", "to", f->r.peer, "from", f->pn.id, "node",
		    sig->cl.node));
	else if (strcmp(state, "waiting") == 0) {
		f->state = S_WAITING;
		pair_enqueue(&sig->queue, &f->pn, clock_mono_ms());
		if (remote_find(f) != 0)
			session_match_here(f);
	}
	json_decref(st);
	pair_gauges(sig);
}

static void
on_unrelay(struct signaling *sig, json_t *j)
{
	const char *a = json_string_value(json_object_get(j, "a"));
	const char *b = json_string_value(json_object_get(j, "b"));
	struct session *sa, *sb;

	if (a == NULL || b == NULL || strlen(a) != PAIR_ID_LEN ||
	    strlen(b) != PAIR_ID_LEN)
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

static void
on_moved(struct signaling *sig, json_t *j)
{
	const char *to = json_string_value(json_object_get(j, "to"));
	const char *from = json_string_value(json_object_get(j, "from"));
	const char *node = json_string_value(json_object_get(j, "node"));
	struct session *s;

	if (to == NULL || from == NULL || node == NULL ||
	    strlen(node) > SIG_NODE_MAX || (s = session_find(sig, to)) ==
	    NULL || strcmp(s->r.peer, from) != 0)
		return;
	strlcpy(s->r.node, node, sizeof(s->r.node));
	if (s->r.timer != NULL)
		evtimer_del(s->r.timer);
}


void
signaling_cluster_input(struct signaling *sig, const char *data,
    size_t len)
{
	json_t *j;
	json_error_t e;
	const char *t;

	if (sig->cl.up == NULL || sig->stopping ||
	    (j = json_loadb(data, len, 0, &e)) == NULL)
		return;
	if ((t = json_string_value(json_object_get(j, "t"))) != NULL &&
	    strcmp(t, "m") != 0 && !bus_mac_ok(sig, j)) {
		log_warn("cluster: a control message failed authentication");
		sig_secevent(sig, SECEV_VIOLATION, SECEV_HIGH, NULL, NULL,
		    "cluster_forged_message", json_pack("{s:s}", "type", t));
		json_decref(j);
		return;
	}
	if ((t = json_string_value(json_object_get(j, "t"))) != NULL) {
		if (strcmp(t, "m") == 0)
			on_message(sig, j);
		else if (strcmp(t, "pair") == 0)
			on_pair(sig, j);
		else if (strcmp(t, "take") == 0)
			on_take(sig, j);
		else if (strcmp(t, "adopt") == 0)
			on_adopt(sig, j);
		else if (strcmp(t, "taken") == 0)
			on_taken(sig, j);
		else if (strcmp(t, "moved") == 0)
			on_moved(sig, j);
		else if (strcmp(t, "unrelay") == 0)
			on_unrelay(sig, j);
		else if (strcmp(t, "drain") == 0)
			on_drain(sig, j);
		else if (strcmp(t, "requeue") == 0) {
			const char *to = json_string_value(json_object_get(j,
			    "to"));
			struct session *s = to != NULL ?
			    session_find(sig, to) : NULL;

			if (s != NULL && s->state == S_WAITING) {
				s->r.pending = s->r.queued = 0;
				if (remote_find(s) != 0)
					session_match_here(s);
			}
		}
	} else if ((t = json_string_value(json_object_get(j, "type"))) !=
	    NULL && strcmp(t, "matched") == 0)
		on_matched(sig, j);
	json_decref(j);
}

/* ------------------------------------------------------------------ */
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

static void
bad_token(struct session *s)
{
	metrics_inc(&s->sig->env.metrics->errors_total[SIG_ERR_BAD_TOKEN]);
	sig_secevent(s->sig, SECEV_AUTH, SECEV_MEDIUM, s->pn.id, &s->addr,
	    "bad_token", NULL);
	session_send(s, json_pack("{s:s, s:s, s:s}", "type", "error", "code",
	    "bad_token", "message", "resume token invalid, expired or used"));
}

static void
dead_cb(evutil_socket_t fd, short what, void *arg)
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
			adopt(s);
			return;
		}
		s->r.taking[0] = '\0';
		bad_token(s);
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
	if (s->state != S_PAIRED || s->r.peer[0] == '\0')
		return;
	if (strcmp(s->r.relay, node) == 0) {
		/* The media's node is gone: the pair's nodes agree on one
		 * of them, the live one first, then by name. */
		const char *other = s->r.node, *pick = sig->cl.node;
		char addr[64];
		int a, b;
		unsigned ep;

		if (strcmp(other, node) != 0 && strcmp(other, pick) < 0 &&
		    sig->cl.node_at(sig->cl.arg, other, addr, sizeof(addr),
		    &a, &b, &ep) == 0)
			pick = other;
		strlcpy(s->r.relay, pick, sizeof(s->r.relay));
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
	    dead_cb, s)) == NULL)
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
