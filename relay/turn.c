/*
 * turn.c - the TURN server's request handling (see turn.h): the answers,
 * STUN Binding (RFC 8489 §6.3), the long-term credential mechanism with
 * stateless nonces (§9.2), the dispatch of client messages to the
 * methods, and the context's life cycle.  The methods are in
 * relay/turn_allocate.c (Allocate, RFC 8656 §7.2; Refresh, §8) and
 * relay/turn_peer.c (CreatePermission, §10.2; Send, §11.2; ChannelBind,
 * §12.2; ChannelData, §12.6; data from peers, §11.3 and §12.7).
 *
 * Order of checks for a request, as RFC 8489 §6.3.1 and §9.2.4 give it:
 * framing (drop), method (400), credentials (401 / 400 / 438 / 401), too
 * many attributes (400), unknown comprehension-required attributes (420),
 * then the method's own rules.  Every answer after a successful
 * authentication carries the integrity attribute the request used
 * (MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256, keyed alike); answers
 * before it carry none.  FINGERPRINT is added when the request had one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/cred.h"
#include "common/config.h"
#include "common/log.h"
#include "relay/turn_int.h"

/* ------------------------------------------------------------------ */
/* Sending answers. */

static void
send_buf(struct turn_ctx *ctx, const struct turn_tuple *t, const uint8_t *p,
    size_t n)
{
	struct iovec iov;

	iov.iov_base = (void *)p;
	iov.iov_len = n;
	ctx->io.to_client(ctx->io.arg, t, &iov, 1);
}

void
turn_reply_begin(struct turn_ctx *ctx, struct wr *w, const struct stun_msg *m,
    uint16_t cls)
{
	wr_init(w, ctx->obuf, sizeof(ctx->obuf));
	stun_begin(w, stun_type(m->method, cls), m->tid);
}

void
turn_reply_end(struct turn_ctx *ctx, const struct turn_tuple *t, struct wr *w,
    const struct stun_msg *m, const struct turn_auth *au)
{
	stun_put(w, STUN_ATTR_SOFTWARE, ctx->software, strlen(ctx->software));
	if (stun_end(w, au != NULL ? au->mi : STUN_MI_NONE,
	    au != NULL ? au->key : NULL, au != NULL ? LTKEY_LEN : 0,
	    m->fp.type != 0) != 0) {
		log_warn("relay: answer does not fit");
		return;
	}
	send_buf(ctx, t, w->p, w->len);
}

/* An error answer; au is NULL before authentication succeeded. */
void
turn_reply_error(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m, const struct turn_auth *au, int code)
{
	char nonce[NONCE_STRLEN + 1];
	struct wr w;

	if (log_get_level() >= LOG_LEVEL_DEBUG)
		log_debug("relay: method 0x%03x answered %d %s", m->method,
		    code, stun_reason(code));
	turn_reply_begin(ctx, &w, m, STUN_ERROR);
	stun_put_error(&w, code, stun_reason(code));
	if (code == 420)
		stun_put_unknown(&w, m->unknown, m->nunknown);
	if (code == 401 || code == 438) {
		/* RFC 8489 §9.2.4: REALM and a fresh NONCE, no integrity. */
		nonce_make(&ctx->sh->nkey, ctx->wall, &t->client, nonce);
		stun_put(&w, STUN_ATTR_REALM, ctx->realm, ctx->realmlen);
		stun_put(&w, STUN_ATTR_NONCE, nonce, NONCE_STRLEN);
		au = NULL;
	}
	turn_reply_end(ctx, t, &w, m, au);
}

/*
 * A draining node's answer to a new Allocate: 300 Try Alternate with the
 * ALTERNATE-SERVER it was given (RFC 8489 §10, §14.15; RFC 8656 §7.2),
 * covered by MESSAGE-INTEGRITY like any authenticated answer; 508 when
 * no alternate is known.
 */
static void
reply_alternate(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m, const struct turn_auth *au)
{
	struct maddr alt;
	struct wr w;
	int has;

	pthread_mutex_lock(&ctx->sh->mu);
	has = ctx->sh->has_alt;
	alt = ctx->sh->alt;
	pthread_mutex_unlock(&ctx->sh->mu);
	if (!has) {
		turn_reply_error(ctx, t, m, au, 508);
		return;
	}
	turn_reply_begin(ctx, &w, m, STUN_ERROR);
	stun_put_error(&w, 300, stun_reason(300));
	stun_put_addr(&w, STUN_ATTR_ALTERNATE_SERVER, &alt);
	turn_reply_end(ctx, t, &w, m, au);
}

/* ------------------------------------------------------------------ */
/* Authentication (RFC 8489 §9.2.4, TURN REST usernames). */

/* Whether m's MAC of kind mi matches with key. */
static int
mac_matches(const struct stun_msg *m, enum stun_mi mi, const uint8_t *key)
{
	if (mi == STUN_MI_SHA256)
		return stun_check_mi256(m, key, LTKEY_LEN) == 0;
	return stun_check_mi(m, key, LTKEY_LEN) == 0;
}

/*
 * 0 when the request authenticated (au filled); -1 when it was answered.
 * The key of an allocation's own username is cached in the allocation, so
 * refreshes and permissions cost one HMAC.  Expiry of the username is
 * checked only when no allocation of that username exists on the 5-tuple:
 * a credential is needed to create an allocation, not to keep it (the
 * 5-tuple and the MAC still bind every later request to it).
 */
static int
authenticate(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m, const struct turn_alloc *a, struct turn_auth *au)
{
	const struct stun_attr *u, *r, *n;
	long long expiry;
	const char *id;
	size_t i, idlen;
	uint8_t key[LTKEY_LEN];
	int rc;

	memset(au, 0, sizeof(*au));
	au->mi = m->mi256.type != 0 ? STUN_MI_SHA256 :
	    m->mi.type != 0 ? STUN_MI_SHA1 : STUN_MI_NONE;
	if (au->mi == STUN_MI_NONE) {
		turn_reply_error(ctx, t, m, NULL, 401);	/* the challenge */
		return -1;
	}
	u = stun_find(m, STUN_ATTR_USERNAME);
	r = stun_find(m, STUN_ATTR_REALM);
	n = stun_find(m, STUN_ATTR_NONCE);
	if (u == NULL || r == NULL || n == NULL || u->len == 0 ||
	    u->len > STUN_USERNAME_MAX || r->len > STUN_REALM_MAX ||
	    n->len > STUN_NONCE_MAX) {
		turn_reply_error(ctx, t, m, NULL, 400);
		return -1;
	}
	rc = nonce_check(&ctx->sh->nkey, (const char *)n->val, n->len, ctx->wall,
	    NONCE_TTL, &t->client);
	if (rc != NONCE_OK) {
		turn_reply_error(ctx, t, m, NULL, 438);
		return -1;
	}
	au->user = (const char *)u->val;
	au->ulen = u->len;

	if (a != NULL && a->userlen == u->len &&
	    memcmp(a->user, u->val, u->len) == 0) {
		if (!mac_matches(m, au->mi, a->key))
			goto failed;
		memcpy(au->key, a->key, LTKEY_LEN);
		return 0;
	}
	for (i = 0; i < u->len; i++)
		if (u->val[i] < 0x20 || u->val[i] == 0x7f)
			break;
	if (i < u->len || cred_parse_user(au->user, au->ulen, &expiry, &id,
	    &idlen) != 0) {
		turn_event(ctx, TURN_EV_AUTH_MALFORMED, &t->client, NULL, 0,
		    "username is not EXPIRY[:ID]");
		turn_reply_error(ctx, t, m, NULL, 401);
		return -1;
	}
	if (expiry < ctx->wall) {
		turn_event(ctx, TURN_EV_AUTH_EXPIRED, &t->client, au->user,
		    au->ulen, "expired credential");
		turn_reply_error(ctx, t, m, NULL, 401);
		return -1;
	}
	/* Rotation: every auth-secret verifies (the first one signs). */
	for (i = 0; i < ctx->nsecrets; i++) {
		if (ltkey_from_secret(ctx->secrets[i], au->user, au->ulen,
		    ctx->realm, ctx->realmlen, key) != 0)
			continue;
		if (mac_matches(m, au->mi, key)) {
			memcpy(au->key, key, LTKEY_LEN);
			OPENSSL_cleanse(key, sizeof(key));
			return 0;
		}
	}
	OPENSSL_cleanse(key, sizeof(key));
failed:
	turn_event(ctx, TURN_EV_AUTH_FAILED, &t->client, au->user, au->ulen,
	    "integrity check failed");
	turn_reply_error(ctx, t, m, NULL, 401);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Binding (RFC 8489 §6.3.1): no credentials, XOR-MAPPED-ADDRESS. */

static void
do_binding(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m)
{
	struct wr w;

	if (m->too_many) {
		turn_reply_error(ctx, t, m, NULL, 400);
		return;
	}
	if (m->nunknown > 0) {
		turn_reply_error(ctx, t, m, NULL, 420);
		return;
	}
	turn_reply_begin(ctx, &w, m, STUN_SUCCESS);
	stun_put_xaddr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &t->client, m->tid);
	turn_reply_end(ctx, t, &w, m, NULL);
}

/* ------------------------------------------------------------------ */
/* Peers: policy, our own relayed addresses and the pair hook. */

static int
is_unspecified(const struct maddr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->ip, zero, addr_iplen(a)) == 0;
}

/*
 * Whether a datagram from `from` at one of our listeners left one of our
 * own live relayed sockets (SPEC "Relay policy": dropped, whatever it
 * is).  Relayed sockets are bound to relay_ip, or, when that is a
 * wildcard, to any address of this host.  The exact port must be live: a
 * client of this host may have an ephemeral port inside the relay range.
 */
static int
turn_from_own_rsock(struct turn_ctx *ctx, const struct maddr *from)
{
	int fi = turn_fam_idx(from->family);
	struct maddr adv;

	if (!ctx->has_family[fi] || (!addr_eq_ip(from, &ctx->relay_ip[fi]) &&
	    !(is_unspecified(&ctx->relay_ip[fi]) &&
	    peer_policy_is_host(&ctx->policy, from))))
		return 0;
	adv = ctx->adv_ip[fi];
	adv.port = from->port;
	return PORT_IS_OWNED(tsh_owner(ctx, &adv));
}

/* ------------------------------------------------------------------ */
/* Dispatch. */

static void
do_request(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m)
{
	struct turn_alloc *a;
	struct turn_auth au;

	switch (m->method) {
	case STUN_BINDING:
		do_binding(ctx, t, m);
		return;
	case STUN_ALLOCATE:
	case STUN_REFRESH:
	case STUN_CREATE_PERMISSION:
	case STUN_CHANNEL_BIND:
		break;
	default:
		turn_reply_error(ctx, t, m, NULL, 400);	/* unknown method */
		return;
	}
	a = alloc_find(ctx, t);
	if (authenticate(ctx, t, m, a, &au) != 0)
		return;
	if (m->too_many) {
		turn_reply_error(ctx, t, m, &au, 400);
		return;
	}
	if (m->nunknown > 0) {
		turn_reply_error(ctx, t, m, &au, 420);
		return;
	}
	if (m->method == STUN_ALLOCATE) {
		if (a == NULL && atomic_load_explicit(&ctx->sh->draining,
		    memory_order_relaxed)) {
			/* Draining: the allocations there are may finish,
			 * new ones go elsewhere. */
			reply_alternate(ctx, t, m, &au);
			return;
		}
		turn_allocate(ctx, t, m, a, &au);
		return;
	}
	if (a == NULL) {
		turn_reply_error(ctx, t, m, &au, 437);
		return;
	}
	if (a->userlen != au.ulen || memcmp(a->user, au.user, au.ulen) != 0) {
		turn_reply_error(ctx, t, m, &au, 441);	/* RFC 8656 §5 */
		return;
	}
	switch (m->method) {
	case STUN_REFRESH:
		turn_refresh(ctx, t, m, a, &au);
		break;
	case STUN_CREATE_PERMISSION:
		turn_permission(ctx, t, m, a, &au);
		break;
	case STUN_CHANNEL_BIND:
		turn_channel_bind(ctx, t, m, a, &au);
		break;
	}
}

void
turn_handle_client(struct turn_ctx *ctx, const struct turn_tuple *t,
    const uint8_t *p, size_t len)
{
	struct stun_msg m;
	struct rd r;
	uint8_t b0;

	/* One of our relayed sockets talking to our own listener. */
	if (t->proto == TURN_UDP && turn_from_own_rsock(ctx, &t->client))
		return;
	rd_init(&r, p, len);
	b0 = rd_u8(&r);
	if (r.err)
		return;
	if (b0 >= 0x40 && b0 <= 0x7F) {		/* see TURN_CHAN_MAX */
		turn_channel_data(ctx, t, p, len);
		return;
	}
	if (b0 > 3 || stun_parse(&m, p, len) != STUN_OK)
		return;				/* RFC 8489 §6.3: dropped */
	switch (m.cls) {
	case STUN_REQUEST:
		do_request(ctx, t, &m);
		break;
	case STUN_INDICATION:
		if (m.method == STUN_SEND)
			turn_send(ctx, t, &m);
		break;
	default:
		break;				/* responses: not ours */
	}
}

void
turn_handle_peer(struct turn_ctx *ctx, struct turn_relayed *r,
    const struct maddr *peer, const uint8_t *data, size_t len)
{
	turn_deliver(ctx, r, peer, data, len, 0);
}

void
turn_handle_handoff(struct turn_ctx *ctx, const struct turn_handoff *h,
    const uint8_t *data, size_t len)
{
	struct turn_relayed *r;
	uint64_t v;

	if (h->src_id == 0)
		return;
	if ((r = alloc_relayed_by_adv(ctx, &h->dst)) == NULL) {
		v = tsh_owner(ctx, &h->dst);
		if (!PORT_IS_OWNED(v) || PORT_ID(v) != h->dst_id)
			return;
		if (PORT_LOOP(v) != ctx->loop) {
			/* Its allocation moved on after the sender looked:
			 * passed on to its loop. */
			if (ctx->io.handoff != NULL)
				ctx->io.handoff(ctx->io.arg, PORT_LOOP(v), h,
				    data, len);
			return;
		}
		/* On its way here (turn_move_out()): taken in now. */
		if (ctx->io.arrivals == NULL)
			return;
		ctx->io.arrivals(ctx->io.arg);
		if ((r = alloc_relayed_by_adv(ctx, &h->dst)) == NULL)
			return;
	}
	if (r->a != NULL && r->a->id == h->dst_id)
		turn_deliver(ctx, r, &h->from, data, len, h->src_id);
}

void
turn_tuple_closed(struct turn_ctx *ctx, const struct turn_tuple *t)
{
	struct turn_alloc *a;

	if ((a = alloc_find(ctx, t)) != NULL)
		alloc_free(ctx, a);
}

int
turn_tuple_allocated(struct turn_ctx *ctx, const struct turn_tuple *t)
{
	return alloc_find(ctx, t) != NULL;
}

size_t
turn_free_sessions(struct turn_ctx *ctx, const char *const *ids, size_t n)
{
	struct turn_alloc *a, *na;
	char sess[CRED_ID_MAX];
	size_t i, freed = 0;

	TAILQ_FOREACH_SAFE(a, &ctx->all, all, na) {
		if (cred_session_of(a->user, a->userlen, sess,
		    sizeof(sess)) != 0)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(sess, ids[i]) == 0)
				break;
		if (i == n)
			continue;
		log_debug("relay: allocation %llu freed: its session ended",
		    (unsigned long long)a->id);
		alloc_free(ctx, a);
		freed++;
	}
	return freed;
}

size_t
turn_free_banned(struct turn_ctx *ctx)
{
	struct turn_alloc *a, *na;
	size_t freed = 0;

	if (ctx->io.is_banned == NULL)
		return 0;
	TAILQ_FOREACH_SAFE(a, &ctx->all, all, na) {
		if (!ctx->io.is_banned(ctx->io.arg, &a->t.client))
			continue;
		turn_event(ctx, TURN_EV_BANNED, &a->t.client, a->user,
		    a->userlen, "allocation of a banned client freed");
		alloc_free(ctx, a);
		freed++;
	}
	return freed;
}

void
turn_tick(struct turn_ctx *ctx)
{
	alloc_expire(ctx);
}

/* ------------------------------------------------------------------ */
/* Context. */

static void
free_secrets(struct turn_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nsecrets; i++) {
		OPENSSL_cleanse(ctx->secrets[i], strlen(ctx->secrets[i]));
		free(ctx->secrets[i]);
	}
	free(ctx->secrets);
	ctx->secrets = NULL;
	ctx->nsecrets = 0;
}

int
turn_reload(struct turn_ctx *ctx, const struct config *cfg)
{
	struct peer_policy pol;
	char **sec, *realm;
	size_t i;

	if (cfg->auth_secret.n == 0 || peer_policy_init(&pol, cfg) != 0)
		return -1;
	if ((sec = calloc(cfg->auth_secret.n, sizeof(*sec))) == NULL ||
	    (realm = strdup(cfg->realm)) == NULL) {
		free(sec);
		peer_policy_free(&pol);
		return -1;
	}
	for (i = 0; i < cfg->auth_secret.n; i++) {
		if ((sec[i] = strdup(cfg->auth_secret.v[i])) == NULL) {
			while (i-- > 0)
				free(sec[i]);
			free(sec);
			free(realm);
			peer_policy_free(&pol);
			return -1;
		}
	}
	free_secrets(ctx);
	ctx->secrets = sec;
	ctx->nsecrets = cfg->auth_secret.n;
	free(ctx->realm);
	ctx->realm = realm;
	ctx->realmlen = strlen(realm);
	peer_policy_free(&ctx->policy);
	ctx->policy = pol;
	ctx->max_lifetime = cfg->max_allocate_lifetime;
	ctx->user_quota = cfg->user_quota;
	ctx->ip_quota = cfg->ip_quota;
	ctx->total_quota = cfg->total_quota;
	ctx->max_bps = cfg->max_bps;
	ctx->pair_permissions = cfg->pair_permissions;
	/* pair-permissions may have changed */
	atomic_fetch_add(&ctx->sh->pair_gen, 1);
	return 0;
}

/*
 * The relay addresses per family: relay-ip when of that family (or the
 * private half of external-ip), else the first listen address of that
 * family; advertised as external-ip's public half when set.  0, or -1
 * with err (a wildcard would be advertised, or no family has one).
 */
static int
relay_ips(struct turn_ctx *ctx, const struct config *cfg, char *err,
    size_t errlen)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	const struct cfg_extip *x = &cfg->external_ip;
	size_t i;
	int fi;

	for (fi = 0; fi < 2; fi++) {
		if (cfg->relay_ip.family == fams[fi]) {
			ctx->relay_ip[fi] = cfg->relay_ip;
			ctx->has_family[fi] = 1;
		} else if (x->set && x->has_priv && x->priv.family == fams[fi]) {
			ctx->relay_ip[fi] = x->priv;
			ctx->has_family[fi] = 1;
		} else {
			for (i = 0; i < cfg->listen.n; i++)
				if (cfg->listen.v[i].family == fams[fi])
					break;
			if (i < cfg->listen.n) {
				ctx->relay_ip[fi] = cfg->listen.v[i];
				ctx->has_family[fi] = 1;
			}
		}
		ctx->relay_ip[fi].port = 0;
		ctx->adv_ip[fi] = ctx->relay_ip[fi];
		if (x->set && x->pub.family == fams[fi]) {
			ctx->adv_ip[fi] = x->pub;
			ctx->adv_ip[fi].port = 0;
		}
		if (ctx->has_family[fi] && is_unspecified(&ctx->adv_ip[fi])) {
			snprintf(err, errlen, "relay: the relay address of "
			    "%s is a wildcard; set relay-ip or external-ip",
			    fams[fi] == AF_INET ? "IPv4" : "IPv6");
			return -1;
		}
	}
	if (!ctx->has_family[0] && !ctx->has_family[1]) {
		snprintf(err, errlen, "relay: no relay address");
		return -1;
	}
	return 0;
}

struct turn_ctx *
turn_new(const struct config *cfg, const struct turn_io *io, char *err,
    size_t errlen)
{
	return turn_new_in(cfg, io, NULL, 0, err, errlen);
}

struct turn_ctx *
turn_new_in(const struct config *cfg, const struct turn_io *io,
    struct turn_shared *sh, int loop, char *err, size_t errlen)
{
	struct turn_ctx *ctx;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		snprintf(err, errlen, "relay: out of memory");
		return NULL;
	}
	ctx->io = *io;
	RB_INIT(&ctx->allocs);
	RB_INIT(&ctx->relayed);
	TAILQ_INIT(&ctx->all);
	snprintf(ctx->software, sizeof(ctx->software), "meetopia/%s",
	    PACKAGE_VERSION);
	if (sh == NULL) {
		if ((sh = turn_shared_new(cfg, err, errlen)) == NULL) {
			free(ctx);
			return NULL;
		}
		ctx->own_sh = 1;
	}
	ctx->sh = sh;
	ctx->loop = loop;
	if (loop < 0 || loop >= (1 << PORT_LOOP_BITS)) {
		snprintf(err, errlen, "relay: loop %d out of range", loop);
		turn_free(ctx);
		return NULL;
	}
	turn_random(ctx, ctx->ind_tid, sizeof(ctx->ind_tid));
	if (turn_reload(ctx, cfg) != 0) {
		snprintf(err, errlen, "relay: no auth-secret, or out of "
		    "memory");
		turn_free(ctx);
		return NULL;
	}
	if (relay_ips(ctx, cfg, err, errlen) != 0) {
		turn_free(ctx);
		return NULL;
	}
	return ctx;
}

void
turn_free(struct turn_ctx *ctx)
{
	struct turn_alloc *a;

	if (ctx == NULL)
		return;
	while ((a = TAILQ_FIRST(&ctx->all)) != NULL)
		alloc_free(ctx, a);
	free_secrets(ctx);
	free(ctx->realm);
	peer_policy_free(&ctx->policy);
	if (ctx->own_sh)
		turn_shared_free(ctx->sh);
	free(ctx);
}

void
turn_set_time(struct turn_ctx *ctx, uint64_t mono_ms, long long wall)
{
	ctx->now = mono_ms;
	ctx->wall = wall;
}

void
turn_set_peer_hook(struct turn_ctx *ctx, relay_peer_hook fn, void *arg)
{
	ctx->peer_hook = fn;
	ctx->peer_hook_arg = arg;
	atomic_fetch_add(&ctx->sh->pair_gen, 1);
}

void
turn_pairs_changed(struct turn_ctx *ctx)
{
	atomic_fetch_add(&ctx->sh->pair_gen, 1);
}

void
turn_drain(struct turn_ctx *ctx)
{
	atomic_store(&ctx->sh->draining, 1);
}

void
turn_set_drain(struct turn_ctx *ctx, int on, const struct maddr *alt)
{
	pthread_mutex_lock(&ctx->sh->mu);
	ctx->sh->has_alt = alt != NULL;
	if (alt != NULL)
		ctx->sh->alt = *alt;
	pthread_mutex_unlock(&ctx->sh->mu);
	atomic_store(&ctx->sh->draining, on ? 1 : 0);
}

size_t
turn_shared_alloc_count(const struct turn_ctx *ctx)
{
	return (size_t)atomic_load(&ctx->sh->nallocs);
}

/* Adds a figure of one loop to a total. */
static void
sum(metric_t *total, const metric_t *v)
{
	metrics_add(total, metrics_get(v));
}

void
turn_metrics_add(const struct turn_ctx *ctx, struct metrics *m)
{
	const struct turn_stats *st = &ctx->st;

	sum(&m->turn_allocations, &st->allocations);
	sum(&m->turn_allocations_total, &st->allocations_total);
	sum(&m->turn_auth_failures_total, &st->auth_failures);
	sum(&m->turn_peer_denied_total, &st->peer_denied);
	sum(&m->turn_relayed_packets_to_peer, &st->packets_to_peer);
	sum(&m->turn_relayed_bytes_to_peer, &st->bytes_to_peer);
	sum(&m->turn_relayed_packets_to_client, &st->packets_to_client);
	sum(&m->turn_relayed_bytes_to_client, &st->bytes_to_client);
	sum(&m->turn_released_peer_drops_total, &st->released_peer_drops);
}

size_t
turn_alloc_count(const struct turn_ctx *ctx)
{
	return ctx->nallocs;
}

int
turn_relayed_ip(const struct turn_ctx *ctx, int family, struct maddr *bound,
    struct maddr *adv)
{
	int fi = turn_fam_idx(family);

	if (!ctx->has_family[fi])
		return -1;
	if (bound != NULL)
		*bound = ctx->relay_ip[fi];
	if (adv != NULL)
		*adv = ctx->adv_ip[fi];
	return 0;
}
