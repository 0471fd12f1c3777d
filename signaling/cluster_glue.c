/*
 * cluster_glue.c - signaling's side of a cluster (SPEC "Cluster"): the
 * sealed bus between nodes, the MACs of control messages, the dispatch
 * of this node's channel, and drain asked from another node.  Pairing
 * across nodes is in cluster_pair.c, resume on another node in
 * cluster_resume.c, Redis up and down and node death in cluster_dead.c.
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
 * is one of the two unless both drain: then the least loaded live node
 * that does not drain relays it, told so by {"t":"relay"} (and a pair of
 * two sessions of a draining node likewise).  Redis down: every node
 * pairs its own sessions alone; back up, its waiting sessions queue
 * again.
 *
 * Messages.  What a client sends its partner is checked here first
 * (relay-only filtering, chat rules: session_msg.c) and then sent, in
 * order, on the partner node's channel as {"t":"m","to","from","n","c"}:
 * c is the message sealed with AES-256-GCM under a key derived from the
 * shared resume-secret (each node of a cluster has the same), a random
 * 96-bit nonce per message, and to/from/n as associated data; so Redis,
 * which carries it, never sees chat text, SDP or an address.  n grows by
 * one per message of a pair side; an older or repeated n is dropped.
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

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "common/base64.h"
#include "common/log.h"
#include "signaling/sig.h"
#include "signaling/cluster_int.h"

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

void
signaling_set_draining(struct signaling *sig, int on)
{
	sig->draining = on != 0;
	if (on)
		signaling_reconnect_all(sig);
}

int
signaling_cluster_drain(struct signaling *sig, const char *node, int undo)
{
	if (sig->cl.up == NULL || !sig->cl.up(sig->cl.arg))
		return -1;
	remote_bus_send(sig, node, json_pack("{s:s, s:s, s:s, s:b, s:I}", "t",
	    "drain", "node", node, "from", sig->cl.node, "undo", undo, "ts",
	    (json_int_t)time(NULL)));
	return 0;
}

/* {"t":"drain"} from another node's meetopiactl: signed (checked by the
 * caller), for this node, and fresh. */
static void
on_drain(struct signaling *sig, json_t *j)
{
	const char *node = remote_bus_str(j, "node", BUS_NODE);
	const char *from = remote_bus_str(j, "from", BUS_NODE);
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
	    "drain", from != NULL ? from : "?");
	if (sig->nodeops.drain(sig->nodeops.arg, NULL, undo, &why) != 0)
		log_warn("cluster: drain: %s", why != NULL ? why : "refused");
}

size_t
signaling_sessions(struct signaling *sig)
{
	return sig->nsessions;
}

/* ------------------------------------------------------------------ */
/* The fields of bus messages. */

/* The bounds of each enum bus_field, in bytes. */
static const struct {
	size_t	min, max;
} bus_bounds[] = {
	[BUS_ID] =	{ PAIR_ID_LEN, PAIR_ID_LEN },
	[BUS_NODE] =	{ 0, SIG_NODE_MAX },
	[BUS_WORD] =	{ 0, 32 },
	[BUS_ADDR] =	{ 0, ADDR_STRLEN - 1 },
	[BUS_SEALED] =	{ 0, BUS_SEALED_MAX },
	[BUS_MAC] =	{ 0, 63 },
};

/* The string j[key] when it is one of kind's bounds, else NULL. */
const char *
remote_bus_str(json_t *j, const char *key, enum bus_field kind)
{
	json_t *v = json_object_get(j, key);
	const char *s;
	size_t len;

	if ((s = json_string_value(v)) == NULL)
		return NULL;
	len = json_string_length(v);
	/* A NUL inside would make what C reads differ from what came. */
	if (memchr(s, '\0', len) != NULL || len < bus_bounds[kind].min ||
	    len > bus_bounds[kind].max)
		return NULL;
	return s;
}

/* ------------------------------------------------------------------ */
/* Sealed partner messages. */

void
remote_aad(char *aad, size_t len, const char *to, const char *from,
    uint64_t n)
{
	snprintf(aad, len, "%s|%s|%llu", to, from, (unsigned long long)n);
}

/* base64url(nonce || ciphertext || tag) of pt; malloc'ed. */
char *
remote_seal(struct signaling *sig, const char *aad, const char *pt, size_t len)
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

/* remote_seal() of the compact JSON of j (stolen), wiped after. */
char *
remote_seal_json(struct signaling *sig, const char *aad, json_t *j)
{
	char *text, *c;

	if (j == NULL)
		return NULL;
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text == NULL)
		return NULL;
	c = remote_seal(sig, aad, text, strlen(text));
	explicit_bzero(text, strlen(text));
	free(text);
	return c;
}

/* The plaintext of c (NUL-terminated, malloc'ed), NULL when forged. */
char *
remote_open(struct signaling *sig, const char *aad, const char *c,
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
	const char *got = remote_bus_str(j, "mac", BUS_MAC);
	char want[64], copy[64];

	if (got == NULL)
		return 0;
	strlcpy(copy, got, sizeof(copy));
	if (bus_mac(sig, j, want, sizeof(want)) != 0 ||
	    strlen(want) != strlen(copy))
		return 0;
	return CRYPTO_memcmp(want, copy, strlen(want)) == 0;
}

void
remote_bus_send(struct signaling *sig, const char *node, json_t *j)
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
void
remote_bus_sealed(struct signaling *sig, const char *node, const char *to,
    const char *from, uint64_t n, json_t *msg)
{
	char aad[2 * PAIR_ID_LEN + 32], *c;

	remote_aad(aad, sizeof(aad), to, from, n);
	if ((c = remote_seal_json(sig, aad, msg)) == NULL)
		return;
	remote_bus_send(sig, node, json_pack("{s:s, s:s, s:s, s:I, s:s}", "t",
	    "m", "to", to, "from", from, "n", (json_int_t)n, "c", c));
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
	remote_bus_sealed(s->sig, s->r.node, s->r.peer, s->pn.id, ++s->r.txseq,
	    msg);
}

/* {"t":"requeue"}: the finder's node could not pair a waiter of ours it
 * took (the finder left meanwhile): it queues again. */
static void
on_requeue(struct signaling *sig, json_t *j)
{
	const char *to = remote_bus_str(j, "to", BUS_ID);
	struct session *s;

	if (to == NULL || (s = session_find(sig, to)) == NULL ||
	    s->state != S_WAITING)
		return;
	s->r.pending = s->r.queued = 0;
	if (remote_find(s) != 0)
		session_match_here(s);
}

/*
 * What this node's channel carries, by "t".  Every control message needs
 * the MAC (bus_mac_ok); a partner message ("m") is sealed instead.  A "t"
 * not listed needs the MAC too and is then ignored.  The queue's own
 * "matched" note has no "t" (and no MAC: it only marks a waiter taken).
 */
static const struct bus_type {
	const char	*t;
	int		 mac;
	void		(*fn)(struct signaling *, json_t *);
} bus_types[] = {
	{ "m",		0,	remote_on_message },
	{ "pair",	1,	remote_on_pair },
	{ "take",	1,	remote_on_take },
	{ "adopt",	1,	remote_on_adopt },
	{ "taken",	1,	remote_on_taken },
	{ "moved",	1,	remote_on_moved },
	{ "unrelay",	1,	remote_on_unrelay },
	{ "relay",	1,	remote_on_relay },
	{ "drain",	1,	on_drain },
	{ "requeue",	1,	on_requeue },
};

/* The entry of bus_types for t, NULL when there is none. */
static const struct bus_type *
bus_type_find(const char *t)
{
	size_t i;

	for (i = 0; i < sizeof(bus_types) / sizeof(bus_types[0]); i++)
		if (strcmp(bus_types[i].t, t) == 0)
			return &bus_types[i];
	return NULL;
}

/* One message on this node's channel: checked, then handled by type. */
void
signaling_cluster_input(struct signaling *sig, const char *data,
    size_t len)
{
	const struct bus_type *bt;
	json_t *j;
	json_error_t e;
	const char *t;

	if (sig->cl.up == NULL || sig->stopping ||
	    (j = json_loadb(data, len, 0, &e)) == NULL)
		return;
	if ((t = json_string_value(json_object_get(j, "t"))) == NULL) {
		if ((t = json_string_value(json_object_get(j, "type"))) !=
		    NULL && strcmp(t, "matched") == 0)
			remote_on_matched(sig, j);
		json_decref(j);
		return;
	}
	bt = bus_type_find(t);
	if ((bt == NULL || bt->mac) && !bus_mac_ok(sig, j)) {
		log_warn("cluster: a control message failed authentication");
		/* Only a type we know goes to the log: t is whatever the
		 * forger wrote, of any length. */
		sig_secevent(sig, SECEV_VIOLATION, SECEV_HIGH, NULL, NULL,
		    "cluster_forged_message", json_pack("{s:s}", "type",
		    bt != NULL ? bt->t : "unknown"));
	} else if (bt != NULL)
		bt->fn(sig, j);
	json_decref(j);
}
