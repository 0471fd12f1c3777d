/*
 * shared.c - what the relay's contexts share when relay-threads runs one
 * context per event loop (struct turn_shared in relay/turn_int.h): the
 * table of relayed ports, the quota counts, EVEN-PORT reservations, the
 * nonce key, allocation ids, the pair generation and the drain flag.
 *
 * An allocation lives on one loop and only that loop touches it; what
 * another loop may need to know about it is here.  The port table is an
 * array of atomics indexed by port, so the data path finds the owner of
 * one of our relayed addresses (its allocation id and loop) without a
 * lock; everything else is under one mutex, taken on Allocate, on free,
 * on reservations and when a permission between two of our allocations
 * is (re)checked against the pair hook, never per packet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/config.h"
#include "relay/turn_int.h"

struct turn_shared *
turn_shared_new(const struct config *cfg, char *err, size_t errlen)
{
	struct turn_shared *sh;
	int fi;

	if (cfg->min_port <= 0 || cfg->max_port < cfg->min_port ||
	    cfg->max_port > 65535) {
		snprintf(err, errlen, "relay: bad port range %d-%d",
		    cfg->min_port, cfg->max_port);
		return NULL;
	}
	if ((sh = calloc(1, sizeof(*sh))) == NULL)
		goto oom;
	pthread_mutex_init(&sh->mu, NULL);
	RB_INIT(&sh->users);
	RB_INIT(&sh->ips);
	LIST_INIT(&sh->resvs);
	sh->min_port = (uint16_t)cfg->min_port;
	sh->max_port = (uint16_t)cfg->max_port;
	sh->span = (size_t)sh->max_port - sh->min_port + 1;
	for (fi = 0; fi < 2; fi++)
		if ((sh->ports[fi] = calloc(sh->span,
		    sizeof(*sh->ports[fi]))) == NULL ||
		    (sh->owners[fi] = calloc(sh->span,
		    sizeof(*sh->owners[fi]))) == NULL)
			goto oom;
	if (nonce_key_init(&sh->nkey) != 0) {
		turn_shared_free(sh);
		snprintf(err, errlen, "relay: no random bytes for nonces");
		return NULL;
	}
	atomic_init(&sh->next_id, 1);
	atomic_init(&sh->pair_gen, 0);
	atomic_init(&sh->draining, 0);
	atomic_init(&sh->nallocs, 0);
	return sh;
oom:
	turn_shared_free(sh);
	snprintf(err, errlen, "relay: out of memory");
	return NULL;
}

void
turn_shared_free(struct turn_shared *sh)
{
	struct turn_resv *v;
	int fi;

	if (sh == NULL)
		return;
	/* The contexts are gone and gave their counts back; reservations
	 * may outlive them. */
	while ((v = LIST_FIRST(&sh->resvs)) != NULL) {
		LIST_REMOVE(v, entry);
		if (v->fd != -1)
			close(v->fd);
		free(v);
	}
	for (fi = 0; fi < 2; fi++) {
		free(sh->ports[fi]);
		free(sh->owners[fi]);
	}
	pthread_mutex_destroy(&sh->mu);
	nonce_key_wipe(&sh->nkey);
	free(sh);
}

/* ------------------------------------------------------------------ */
/* The port table. */

static size_t
slot_index(const struct turn_shared *sh, uint16_t port)
{
	return (size_t)port - sh->min_port;
}

/* The slot of an address when it is one of our relayed addresses (the
 * advertised IP of its family and a port of the range), else NULL. */
static _Atomic uint64_t *
slot_of(struct turn_ctx *ctx, const struct maddr *adv)
{
	struct turn_shared *sh = ctx->sh;
	int fi = turn_fam_idx(adv->family);

	if (!ctx->has_family[fi] || adv->port < sh->min_port ||
	    adv->port > sh->max_port ||
	    memcmp(adv->ip, ctx->adv_ip[fi].ip, addr_iplen(adv)) != 0)
		return NULL;
	return &sh->ports[fi][slot_index(sh, adv->port)];
}

/* Sets a slot and its owner's username; with mu held. */
static void
slot_set(struct turn_shared *sh, int fi, uint16_t port, const char *user,
    uint64_t v)
{
	size_t i = slot_index(sh, port);

	sh->owners[fi][i] = user;
	atomic_store(&sh->ports[fi][i], v);
}

uint64_t
tsh_owner(struct turn_ctx *ctx, const struct maddr *adv)
{
	_Atomic uint64_t *slot = slot_of(ctx, adv);

	return slot != NULL ? atomic_load_explicit(slot, memory_order_acquire) :
	    PORT_FREE;
}

int
tsh_relayed_addr(struct turn_ctx *ctx, const struct maddr *adv)
{
	return slot_of(ctx, adv) != NULL;
}

int
tsh_claim(struct turn_shared *sh, int fi, uint16_t port)
{
	uint64_t want = PORT_FREE;

	if (port < sh->min_port || port > sh->max_port)
		return -1;
	return atomic_compare_exchange_strong(
	    &sh->ports[fi][slot_index(sh, port)], &want, PORT_HELD) ? 0 : -1;
}

void
tsh_release(struct turn_shared *sh, int fi, uint16_t port)
{
	pthread_mutex_lock(&sh->mu);
	slot_set(sh, fi, port, NULL, PORT_FREE);
	pthread_mutex_unlock(&sh->mu);
}

void
tsh_own(struct turn_ctx *ctx, int fi, uint16_t port, struct turn_alloc *a)
{
	struct turn_shared *sh = ctx->sh;

	/* The username stays the allocation's: it is freed after the port
	 * is released, and read only under the lock. */
	pthread_mutex_lock(&sh->mu);
	if (a != NULL)
		slot_set(sh, fi, port, a->user, PORT_OWNER(a->id, ctx->loop));
	else
		slot_set(sh, fi, port, NULL, PORT_HELD);
	pthread_mutex_unlock(&sh->mu);
}

void
tsh_own_at(struct turn_shared *sh, int fi, uint16_t port,
    struct turn_alloc *a, int loop)
{
	pthread_mutex_lock(&sh->mu);
	slot_set(sh, fi, port, a->user, PORT_OWNER(a->id, loop));
	pthread_mutex_unlock(&sh->mu);
}

int
tsh_owner_user(struct turn_ctx *ctx, const struct maddr *adv, uint64_t id,
    char *buf, size_t len)
{
	struct turn_shared *sh = ctx->sh;
	_Atomic uint64_t *slot;
	const char *u;
	int rc = -1;

	if ((slot = slot_of(ctx, adv)) == NULL)
		return -1;
	pthread_mutex_lock(&sh->mu);
	u = sh->owners[turn_fam_idx(adv->family)][slot_index(sh, adv->port)];
	if (u != NULL && PORT_ID(atomic_load(slot)) == id &&
	    strlen(u) < len) {
		memcpy(buf, u, strlen(u) + 1);
		rc = 0;
	}
	pthread_mutex_unlock(&sh->mu);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Quotas. */

/* The count of a user (user set) or client IP; made at 0 when new. */
static struct turn_count *
count_get(struct turn_count_tree *tree, const char *user, size_t ulen,
    const struct maddr *ip)
{
	struct turn_count key, *c;

	memset(&key, 0, sizeof(key));
	if (user != NULL) {
		key.user = (char *)user;
		key.userlen = ulen;
	} else
		addr_client_key(ip, &key.ip);
	if ((c = RB_FIND(turn_count_tree, tree, &key)) != NULL)
		return c;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (user != NULL) {
		if ((c->user = malloc(ulen + 1)) == NULL) {
			free(c);
			return NULL;
		}
		memcpy(c->user, user, ulen);
		c->user[ulen] = '\0';
		c->userlen = ulen;
	} else
		c->ip = key.ip;
	RB_INSERT(turn_count_tree, tree, c);
	return c;
}

/* Frees a count that counts nothing. */
static void
count_drop_unused(struct turn_count_tree *tree, struct turn_count *c)
{
	if (c == NULL || c->n > 0)
		return;
	RB_REMOVE(turn_count_tree, tree, c);
	free(c->user);
	free(c);
}

int
tsh_quota_take(struct turn_ctx *ctx, const char *user, size_t ulen,
    const struct maddr *client, struct turn_count **ucp,
    struct turn_count **icp)
{
	struct turn_shared *sh = ctx->sh;
	struct turn_count *uc, *ic = NULL;
	int rc = 0;

	pthread_mutex_lock(&sh->mu);
	if ((uc = count_get(&sh->users, user, ulen, NULL)) == NULL ||
	    (ic = count_get(&sh->ips, NULL, 0, client)) == NULL)
		rc = 508;
	else if ((ctx->user_quota > 0 && uc->n >= ctx->user_quota) ||
	    (ctx->ip_quota > 0 && ic->n >= ctx->ip_quota))
		rc = 486;
	else if (ctx->total_quota > 0 && atomic_load(&sh->nallocs) >=
	    ctx->total_quota)
		rc = 508;
	if (rc == 0) {
		uc->n++;
		ic->n++;
		atomic_fetch_add(&sh->nallocs, 1);
	} else {
		/* Counts made for this request only go again. */
		count_drop_unused(&sh->users, uc);
		count_drop_unused(&sh->ips, ic);
		uc = ic = NULL;
	}
	pthread_mutex_unlock(&sh->mu);
	*ucp = uc;
	*icp = ic;
	return rc;
}

void
tsh_quota_put(struct turn_shared *sh, struct turn_count *uc,
    struct turn_count *ic)
{
	pthread_mutex_lock(&sh->mu);
	uc->n--;
	ic->n--;
	count_drop_unused(&sh->users, uc);
	count_drop_unused(&sh->ips, ic);
	atomic_fetch_sub(&sh->nallocs, 1);
	pthread_mutex_unlock(&sh->mu);
}

/* ------------------------------------------------------------------ */
/*
 * Reservations (EVEN-PORT with R=1: the port above is kept 30 s).  The
 * reserved port's socket stays bound here, registered on no event loop,
 * so no other process can take the port meanwhile; the Allocate that
 * brings the token registers it on its own loop.
 */

int
tsh_resv_add(struct turn_ctx *ctx, int fi, uint16_t port, int fd,
    uint8_t *token)
{
	struct turn_shared *sh = ctx->sh;
	struct turn_resv *v;
	int rc = -1;

	if ((v = calloc(1, sizeof(*v))) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	turn_random(ctx, v->token, sizeof(v->token));
	v->fi = fi;
	v->port = port;
	v->fd = fd;
	v->expires = ctx->now + TURN_RESV_LIFETIME * 1000ULL;
	pthread_mutex_lock(&sh->mu);
	if (sh->nresv < TURN_MAX_RESV) {
		LIST_INSERT_HEAD(&sh->resvs, v, entry);
		sh->nresv++;
		memcpy(token, v->token, sizeof(v->token));
		rc = 0;
	}
	pthread_mutex_unlock(&sh->mu);
	if (rc != 0) {
		if (fd != -1)
			close(fd);
		free(v);
	}
	return rc;
}

int
tsh_resv_take(struct turn_ctx *ctx, const uint8_t *token, int *fi,
    uint16_t *port, int *fd)
{
	struct turn_shared *sh = ctx->sh;
	struct turn_resv *v;

	pthread_mutex_lock(&sh->mu);
	LIST_FOREACH(v, &sh->resvs, entry)
		if (CRYPTO_memcmp(v->token, token, sizeof(v->token)) == 0 &&
		    v->expires > ctx->now)
			break;
	if (v != NULL) {
		LIST_REMOVE(v, entry);
		sh->nresv--;
	}
	pthread_mutex_unlock(&sh->mu);
	if (v == NULL)
		return -1;
	*fi = v->fi;
	*port = v->port;	/* still held: the taker opens it */
	*fd = v->fd;		/* still bound: the taker registers it */
	free(v);
	return 0;
}

void
tsh_resv_expire(struct turn_shared *sh, uint64_t now)
{
	struct turn_resv *v, *nv;

	pthread_mutex_lock(&sh->mu);
	LIST_FOREACH_SAFE(v, &sh->resvs, entry, nv) {
		if (v->expires > now)
			continue;
		LIST_REMOVE(v, entry);
		sh->nresv--;
		if (v->fd != -1)
			close(v->fd);
		slot_set(sh, v->fi, v->port, NULL, PORT_FREE);
		free(v);
	}
	pthread_mutex_unlock(&sh->mu);
}
