/*
 * allocation.c - TURN allocations and what hangs off them: relayed ports,
 * permissions, channels, reservations, quotas and the token buckets of
 * max-bps (RFC 8656 §7-§12).
 *
 * Tables of a context (one event loop): allocations by 5-tuple and
 * relayed addresses by advertised address (red-black trees).  What the
 * loops share (the port table, quota counts, reservations) is in
 * relay/shared.c.  Permissions and channels live in fixed
 * arrays inside the allocation: a few entries each, scanned linearly, and
 * no malloc on the data path.  Expiry is lazy on use and swept once a
 * second by turn_tick().
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth/cred.h"
#include "common/log.h"
#include "relay/turn_int.h"

static int
maddr_cmp(const struct maddr *a, const struct maddr *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((c = memcmp(a->ip, b->ip, 16)) != 0)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return 0;
}

int
turn_alloc_cmp(struct turn_alloc *a, struct turn_alloc *b)
{
	int c;

	if (a->t.proto != b->t.proto)
		return a->t.proto < b->t.proto ? -1 : 1;
	if ((c = maddr_cmp(&a->t.client, &b->t.client)) != 0)
		return c;
	return maddr_cmp(&a->t.server, &b->t.server);
}

int
turn_relayed_cmp(struct turn_relayed *a, struct turn_relayed *b)
{
	return maddr_cmp(&a->adv, &b->adv);
}

int
turn_count_cmp(struct turn_count *a, struct turn_count *b)
{
	int c;

	if (a->user != NULL && b->user != NULL) {
		size_t n = a->userlen < b->userlen ? a->userlen : b->userlen;

		if ((c = memcmp(a->user, b->user, n)) != 0)
			return c;
		if (a->userlen != b->userlen)
			return a->userlen < b->userlen ? -1 : 1;
		return 0;
	}
	return maddr_cmp(&a->ip, &b->ip);
}

RB_GENERATE(turn_alloc_tree, turn_alloc, entry, turn_alloc_cmp)
RB_GENERATE(turn_relayed_tree, turn_relayed, entry, turn_relayed_cmp)
RB_GENERATE(turn_count_tree, turn_count, entry, turn_count_cmp)

void
turn_random(struct turn_ctx *ctx, void *buf, size_t len)
{
	if (ctx->io.rand != NULL)
		ctx->io.rand(ctx->io.arg, buf, len);
	else if (RAND_bytes(buf, (int)len) != 1)
		memset(buf, 0, len);	/* only the port choice suffers */
}

void
turn_event(struct turn_ctx *ctx, enum turn_event ev, const struct maddr *client,
    const char *user, size_t ulen, const char *what)
{
	long long sec = (long long)(ctx->now / 1000);

	if (ev == TURN_EV_PEER_DENIED || ev == TURN_EV_PAIR_DENIED)
		metrics_own_add(&ctx->st.peer_denied, 1);
	else if (ev != TURN_EV_BANNED)
		metrics_own_add(&ctx->st.auth_failures, 1);
	/* The log is bounded: a flood of bad requests costs counters only. */
	if (rl_window_take(&ctx->events, sec, 1, TURN_EVENTS_PER_SEC, NULL) !=
	    0 || ctx->io.event == NULL)
		return;
	ctx->io.event(ctx->io.arg, ev, client, user, ulen, what);
}

struct turn_alloc *
alloc_find(struct turn_ctx *ctx, const struct turn_tuple *t)
{
	struct turn_alloc key;

	key.t = *t;
	return RB_FIND(turn_alloc_tree, &ctx->allocs, &key);
}

struct turn_relayed *
alloc_relayed_by_adv(struct turn_ctx *ctx, const struct maddr *adv)
{
	struct turn_relayed key;

	memset(&key.adv, 0, sizeof(key.adv));
	key.adv.family = adv->family;
	memcpy(key.adv.ip, adv->ip, addr_iplen(adv));
	key.adv.port = adv->port;
	return RB_FIND(turn_relayed_tree, &ctx->relayed, &key);
}

struct turn_relayed *
alloc_relayed_of(struct turn_alloc *a, int family)
{
	int i;

	for (i = 0; i < a->nrelayed; i++)
		if (a->relayed[i]->bound.family == family)
			return a->relayed[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Relayed ports. */

/* Opens port (claimed in the port table first unless held), or takes the
 * bound descriptor fd of a reservation (not -1: held, the fd taken). */
static struct turn_relayed *
port_try(struct turn_ctx *ctx, int fi, uint16_t port, int df, int held,
    int fd)
{
	struct turn_relayed *r;
	int rc;

	if (!held && tsh_claim(ctx->sh, fi, port) != 0)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		if (fd != -1)
			close(fd);
		tsh_release(ctx->sh, fi, port);
		return NULL;
	}
	r->ctx = ctx;
	r->mfd = -1;
	r->df = (uint8_t)(df != 0);
	r->bound = ctx->relay_ip[fi];
	r->bound.port = port;
	r->adv = ctx->adv_ip[fi];
	r->adv.port = port;
	if (fd != -1 && ctx->io.rsock_adopt != NULL)
		rc = ctx->io.rsock_adopt(ctx->io.arg, fd, &r->bound, df, r,
		    &r->rsock);
	else {
		if (fd != -1)
			close(fd);
		rc = ctx->io.rsock_open(ctx->io.arg, &r->bound, df, r,
		    &r->rsock);
	}
	if (rc != 0) {
		tsh_release(ctx->sh, fi, port);
		free(r);
		return NULL;
	}
	RB_INSERT(turn_relayed_tree, &ctx->relayed, r);
	return r;
}

struct turn_relayed *
alloc_port_open_held(struct turn_ctx *ctx, int fi, uint16_t port, int df,
    int fd)
{
	return port_try(ctx, fi, port, df, 1, fd);
}

struct turn_relayed *
alloc_port_open(struct turn_ctx *ctx, int family, int even, int df,
    uint16_t port)
{
	struct turn_relayed *r;
	uint32_t span, start, i, tries = 0;
	int fi = turn_fam_idx(family);

	if (!ctx->has_family[fi])
		return NULL;
	if (port != 0)
		return port_try(ctx, fi, port, df, 0, -1);
	/* RFC 8656 §7.2: an unpredictable port of the range; a random start
	 * and a walk from there, so a nearly full range still finds one. */
	span = (uint32_t)ctx->sh->span;
	turn_random(ctx, &start, sizeof(start));
	start %= span;
	for (i = 0; i < span && tries < 64; i++) {
		uint16_t p = (uint16_t)(ctx->sh->min_port + (start + i) % span);

		if (even && (p & 1) != 0)
			continue;
		if (even == 2 && (p == 0xFFFF || p + 1 > ctx->sh->max_port))
			continue;
		tries++;
		if ((r = port_try(ctx, fi, p, df, 0, -1)) != NULL)
			return r;
	}
	return NULL;
}

void
alloc_resv_drop(struct turn_ctx *ctx, int fi, uint16_t port, int fd)
{
	if (fd != -1)
		close(fd);
	tsh_release(ctx->sh, fi, port);
}

int
alloc_port_detach(struct turn_ctx *ctx, struct turn_relayed *r)
{
	int fd = -1;

	RB_REMOVE(turn_relayed_tree, &ctx->relayed, r);
	if (r->rsock != NULL) {
		if (ctx->io.rsock_detach != NULL)
			fd = ctx->io.rsock_detach(ctx->io.arg, r->rsock);
		else
			ctx->io.rsock_close(ctx->io.arg, r->rsock);
	}
	tsh_own(ctx, turn_fam_idx(r->bound.family), r->bound.port, NULL);
	free(r);
	return fd;
}

void
alloc_port_close(struct turn_ctx *ctx, struct turn_relayed *r, int hold)
{
	if (r == NULL)
		return;
	RB_REMOVE(turn_relayed_tree, &ctx->relayed, r);
	if (r->rsock != NULL)
		ctx->io.rsock_close(ctx->io.arg, r->rsock);
	if (hold)
		tsh_own(ctx, turn_fam_idx(r->bound.family), r->bound.port,
		    NULL);
	else
		tsh_release(ctx->sh, turn_fam_idx(r->bound.family),
		    r->bound.port);
	free(r);
}

/* ------------------------------------------------------------------ */
/* Allocations. */

struct turn_alloc *
alloc_new(struct turn_ctx *ctx, const struct alloc_spec *s)
{
	struct turn_alloc *a;
	int i;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->user = malloc(s->ulen + 1)) == NULL) {
		free(a);
		return NULL;
	}
	memcpy(a->user, s->user, s->ulen);
	a->user[s->ulen] = '\0';
	a->userlen = s->ulen;
	a->id = atomic_fetch_add(&ctx->sh->next_id, 1);
	a->t = *s->t;
	a->lifetime = (int)s->lifetime;
	a->expires = ctx->now + (uint64_t)s->lifetime * 1000;
	memcpy(a->tid, s->tid, STUN_TID_LEN);
	memcpy(a->key, s->key, LTKEY_LEN);
	a->has_resv = s->has_resv;
	memcpy(a->resv_token, s->resv_token, sizeof(a->resv_token));
	a->ucount = s->ucount;
	a->icount = s->icount;
	rl_bucket_init(&a->up, ctx->max_bps, 1000, ctx->now);
	rl_bucket_init(&a->down, ctx->max_bps, 1000, ctx->now);
	/* The ports point at a->user for the other loops: set above. */
	for (i = 0; i < s->nrelayed; i++) {
		a->relayed[i] = s->relayed[i];
		a->relayed[i]->a = a;
		tsh_own(ctx, turn_fam_idx(a->relayed[i]->bound.family),
		    a->relayed[i]->bound.port, a);
	}
	a->nrelayed = s->nrelayed;
	a->steer_fd = -1;
	RB_INSERT(turn_alloc_tree, &ctx->allocs, a);
	TAILQ_INSERT_TAIL(&ctx->all, a, all);
	ctx->nallocs++;
	metrics_own_add(&ctx->st.allocations, 1);
	metrics_own_add(&ctx->st.allocations_total, 1);
	/* Without a steering socket (none wanted, or no descriptor left)
	 * the client stays on the shared listener: it works, but the
	 * allocation cannot move to its partner's loop. */
	if (a->t.proto == TURN_UDP && ctx->io.steer_open != NULL &&
	    ctx->io.steer_open(ctx->io.arg, &a->t, &a->steer) != 0)
		a->steer = NULL;
	return a;
}

void
alloc_free(struct turn_ctx *ctx, struct turn_alloc *a)
{
	int i;

	if (a == NULL)
		return;
	RB_REMOVE(turn_alloc_tree, &ctx->allocs, a);
	TAILQ_REMOVE(&ctx->all, a, all);
	ctx->nallocs--;
	metrics_own_sub(&ctx->st.allocations, 1);
	if (a->steer != NULL)
		ctx->io.steer_close(ctx->io.arg, a->steer);
	/* The ports first: they point at a->user for the other loops. */
	for (i = 0; i < a->nrelayed; i++)
		alloc_port_close(ctx, a->relayed[i], 0);
	tsh_quota_put(ctx->sh, a->ucount, a->icount);
	OPENSSL_cleanse(a->key, sizeof(a->key));
	free(a->user);
	free(a);
}

/* ------------------------------------------------------------------ */
/* Moving an allocation to another loop (relay-threads). */

/* Whether a can move: its client steered to it by a socket of its own,
 * and the transport able to take its sockets off a loop and on another. */
static int
alloc_movable(struct turn_ctx *ctx, struct turn_alloc *a)
{
	return a->steer != NULL && a->t.proto == TURN_UDP &&
	    ctx->io.steer_detach != NULL && ctx->io.steer_adopt != NULL &&
	    ctx->io.rsock_detach != NULL && ctx->io.rsock_adopt != NULL;
}

/* Takes a out of ctx for a move: out of the tables, its sockets off the
 * loop (their descriptors kept in it). */
static void
alloc_detach(struct turn_ctx *ctx, struct turn_alloc *a)
{
	struct turn_relayed *r;
	int i;

	RB_REMOVE(turn_alloc_tree, &ctx->allocs, a);
	TAILQ_REMOVE(&ctx->all, a, all);
	ctx->nallocs--;
	metrics_own_sub(&ctx->st.allocations, 1);
	/* The port table keeps naming this loop until io.move hands the
	 * allocation over (turn_move_claim()); this thread reads nothing
	 * for it meanwhile. */
	for (i = 0; i < a->nrelayed; i++) {
		r = a->relayed[i];
		RB_REMOVE(turn_relayed_tree, &ctx->relayed, r);
		r->mfd = r->rsock != NULL ? ctx->io.rsock_detach(ctx->io.arg,
		    r->rsock) : -1;
		r->rsock = NULL;
		r->ctx = NULL;
	}
	a->steer_fd = ctx->io.steer_detach(ctx->io.arg, a->steer);
	a->steer = NULL;
	a->move_to = 0;
}

size_t
turn_move_out(struct turn_ctx *ctx, const char *session, int dst)
{
	struct turn_alloc *a, *na;
	char sess[CRED_ID_MAX];
	size_t n = 0;

	if (ctx->io.move == NULL || dst == ctx->loop)
		return 0;
	TAILQ_FOREACH_SAFE(a, &ctx->all, all, na) {
		if (!alloc_movable(ctx, a) || cred_session_of(a->user,
		    a->userlen, sess, sizeof(sess)) != 0 ||
		    strcmp(sess, session) != 0)
			continue;
		alloc_detach(ctx, a);
		if (ctx->io.move(ctx->io.arg, dst, a) != 0) {
			/* Not taken (no memory): this one stays, and so do
			 * the rest (taken in at the tail, it would come round
			 * again). */
			(void)turn_move_in(ctx, a);
			break;
		}
		n++;
	}
	return n;
}

void
turn_move_claim(struct turn_shared *sh, struct turn_alloc *a, int loop)
{
	struct turn_relayed *r;
	int i;

	for (i = 0; i < a->nrelayed; i++) {
		r = a->relayed[i];
		tsh_own_at(sh, turn_fam_idx(r->bound.family), r->bound.port,
		    a, loop);
	}
}

void
alloc_follow(struct turn_ctx *ctx, struct turn_alloc *a,
    const struct maddr *peer)
{
	uint64_t v = tsh_owner(ctx, peer);

	if (!PORT_IS_OWNED(v) || PORT_LOOP(v) == ctx->loop ||
	    PORT_LOOP(v) == 0 || PORT_ID(v) > a->id || ctx->io.move == NULL ||
	    !alloc_movable(ctx, a))
		return;
	if (a->move_to == 0)
		ctx->nfollow++;
	a->move_to = PORT_LOOP(v);
}

void
turn_follow_peers(struct turn_ctx *ctx)
{
	struct turn_alloc *a, *na;
	int dst;

	if (ctx->nfollow == 0)
		return;
	ctx->nfollow = 0;
	TAILQ_FOREACH_SAFE(a, &ctx->all, all, na) {
		if (a->move_to == 0)
			continue;
		dst = a->move_to;
		alloc_detach(ctx, a);
		if (ctx->io.move(ctx->io.arg, dst, a) != 0) {
			/* Not taken (no memory, or not a loop it can go
			 * to): it stays, and so do the rest. */
			(void)turn_move_in(ctx, a);
			break;
		}
	}
}

int
turn_move_in(struct turn_ctx *ctx, struct turn_alloc *a)
{
	struct turn_relayed *r;
	char buf[ADDR_STRLEN];
	int i, ok = 1;

	for (i = 0; i < a->nrelayed; i++) {
		r = a->relayed[i];
		r->ctx = ctx;
		if (r->mfd == -1 || ctx->io.rsock_adopt == NULL ||
		    ctx->io.rsock_adopt(ctx->io.arg, r->mfd, &r->bound, r->df,
		    r, &r->rsock) != 0) {
			r->rsock = NULL;
			ok = 0;
		}
		r->mfd = -1;
		RB_INSERT(turn_relayed_tree, &ctx->relayed, r);
		tsh_own(ctx, turn_fam_idx(r->bound.family), r->bound.port, a);
	}
	if (a->steer_fd == -1 || ctx->io.steer_adopt == NULL ||
	    ctx->io.steer_adopt(ctx->io.arg, a->steer_fd, &a->t,
	    &a->steer) != 0) {
		a->steer = NULL;
		ok = 0;
	}
	a->steer_fd = -1;
	RB_INSERT(turn_alloc_tree, &ctx->allocs, a);
	TAILQ_INSERT_TAIL(&ctx->all, a, all);
	ctx->nallocs++;
	metrics_own_add(&ctx->st.allocations, 1);
	if (ok && ctx->io.is_banned != NULL &&
	    ctx->io.is_banned(ctx->io.arg, &a->t.client)) {
		turn_event(ctx, TURN_EV_BANNED, &a->t.client, a->user,
		    a->userlen, "allocation of a banned client freed");
		alloc_free(ctx, a);
		return -1;
	}
	if (!ok) {
		/* Its client's datagrams would reach no loop that has it. */
		log_warn("relay: allocation %llu could not move to loop %d "
		    "(no memory); freed", (unsigned long long)a->id,
		    ctx->loop);
		alloc_free(ctx, a);
		return -1;
	}
	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		/* The second line has the form of the one of alloc_new()'s
		 * caller: where the allocation is now. */
		log_debug("relay: allocation %llu moved to loop %d to join "
		    "its peer", (unsigned long long)a->id, ctx->loop);
		log_debug("relay: allocation %llu on loop %d at %s, %ds",
		    (unsigned long long)a->id, ctx->loop,
		    addr_ntop_port(&a->relayed[0]->adv, buf, sizeof(buf)),
		    a->lifetime);
	}
	return 0;
}

void
turn_move_drop(struct turn_ctx *ctx, struct turn_alloc *a)
{
	struct turn_relayed *r;
	int i;

	/* Taken in without its sockets registered, then freed as any. */
	for (i = 0; i < a->nrelayed; i++) {
		r = a->relayed[i];
		if (r->mfd != -1)
			close(r->mfd);
		r->mfd = -1;
		r->rsock = NULL;
		r->ctx = ctx;
		RB_INSERT(turn_relayed_tree, &ctx->relayed, r);
	}
	if (a->steer_fd != -1)
		close(a->steer_fd);
	a->steer_fd = -1;
	a->steer = NULL;
	RB_INSERT(turn_alloc_tree, &ctx->allocs, a);
	TAILQ_INSERT_TAIL(&ctx->all, a, all);
	ctx->nallocs++;
	metrics_own_add(&ctx->st.allocations, 1);
	alloc_free(ctx, a);
}

uint64_t
turn_alloc_gauge(const struct turn_ctx *ctx)
{
	return metrics_get(&ctx->st.allocations);
}

/* ------------------------------------------------------------------ */
/* Permissions (RFC 8656 §9). */

struct turn_perm *
perm_find(struct turn_ctx *ctx, struct turn_alloc *a, const struct maddr *peer,
    int internal)
{
	int i;

	for (i = 0; i < a->nperms; i++) {
		struct turn_perm *p = &a->perms[i];

		if (p->expires <= ctx->now || p->internal != internal)
			continue;
		if (internal ? addr_eq(&p->peer, peer) :
		    addr_eq_ip(&p->peer, peer))
			return p;
	}
	return NULL;
}

int
perm_install(struct turn_ctx *ctx, struct turn_alloc *a,
    const struct maddr *peer, int internal, uint64_t peer_id)
{
	struct turn_perm *p;
	int i;

	if ((p = perm_find(ctx, a, peer, internal)) == NULL) {
		for (i = 0; i < a->nperms; i++)
			if (a->perms[i].expires <= ctx->now)
				break;
		if (i == a->nperms) {
			if (a->nperms == TURN_MAX_PERMS)
				return -1;
			a->nperms++;
		}
		p = &a->perms[i];
		memset(p, 0, sizeof(*p));
		p->peer.family = peer->family;
		memcpy(p->peer.ip, peer->ip, addr_iplen(peer));
		if (internal)
			p->peer.port = peer->port;
		p->internal = (uint8_t)internal;
	}
	p->expires = ctx->now + TURN_PERM_LIFETIME * 1000ULL;
	if (internal) {
		/*
		 * The pair hook allowed this peer before we got here, and a
		 * pair that ended since then has already moved pair_gen on:
		 * a generation read now would cache that old answer as
		 * current.  So the answer is not cached at all: the first
		 * packet asks again, reading the generation first (see
		 * perm_internal_ok()).
		 */
		p->peer_id = peer_id;
		p->gen = atomic_load_explicit(&ctx->sh->pair_gen,
		    memory_order_acquire) - 1;
		p->ok = 0;
	}
	return 0;
}

/*
 * Whether an internal permission still holds between a and the allocation
 * peer_id that owns peer (one of our relayed addresses, on any loop): asks
 * the pair hook again when the pairs changed or the address changed hands.
 * On the data path this is two loads and two compares.  The generation is
 * read (acquire) before the hook is asked: a pair that ends while the hook
 * answers moves it on after our read, so the next packet asks again.
 */
int
perm_internal_ok(struct turn_ctx *ctx, struct turn_alloc *a,
    struct turn_perm *p, const struct maddr *peer, uint64_t peer_id)
{
	uint32_t gen = atomic_load_explicit(&ctx->sh->pair_gen,
	    memory_order_acquire);
	char user[STUN_USERNAME_MAX + 1];

	if (p->gen != gen || p->peer_id != peer_id) {
		p->gen = gen;
		p->peer_id = peer_id;
		if (!ctx->pair_permissions || ctx->peer_hook == NULL)
			p->ok = 1;
		else
			p->ok = tsh_owner_user(ctx, peer, peer_id, user,
			    sizeof(user)) == 0 &&
			    ctx->peer_hook(ctx->peer_hook_arg, a->user, user);
	}
	return p->ok;
}

/* ------------------------------------------------------------------ */
/* Channels (RFC 8656 §12). */

struct turn_chan *
chan_by_num(struct turn_alloc *a, uint16_t num, uint64_t now, int live)
{
	uint64_t cool = TURN_CHAN_COOLDOWN * 1000ULL;
	int i;

	for (i = 0; i < a->nchans; i++) {
		struct turn_chan *c = &a->chans[i];

		if (c->num == num && (live ? c->expires > now :
		    c->expires + cool > now))
			return c;
	}
	return NULL;
}

struct turn_chan *
chan_by_peer(struct turn_alloc *a, const struct maddr *peer, uint64_t now,
    int live)
{
	uint64_t cool = TURN_CHAN_COOLDOWN * 1000ULL;
	int i;

	for (i = 0; i < a->nchans; i++) {
		struct turn_chan *c = &a->chans[i];

		if (addr_eq(&c->peer, peer) && (live ? c->expires > now :
		    c->expires + cool > now))
			return c;
	}
	return NULL;
}

/*
 * Binds or refreshes num to peer.  0; -1 when num or peer is bound (or
 * cooling down) to another counterpart (400); -2 when the table is full.
 */
int
chan_bind(struct turn_ctx *ctx, struct turn_alloc *a, uint16_t num,
    const struct maddr *peer)
{
	struct turn_chan *c = chan_by_num(a, num, ctx->now, 0);
	struct turn_chan *byp = chan_by_peer(a, peer, ctx->now, 0);
	uint64_t cool = TURN_CHAN_COOLDOWN * 1000ULL;
	int i;

	if (c != byp)
		return -1;	/* §12.2: both must name the same binding */
	if (c == NULL) {
		for (i = 0; i < a->nchans; i++)
			if (a->chans[i].expires + cool <= ctx->now)
				break;
		if (i == a->nchans) {
			if (a->nchans == TURN_MAX_CHANS)
				return -2;
			a->nchans++;
		}
		c = &a->chans[i];
		c->num = num;
		c->peer = *peer;
	}
	c->expires = ctx->now + TURN_CHAN_LIFETIME * 1000ULL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* max-bps: a token bucket per direction, one second of burst. */

int
bucket_take(struct turn_ctx *ctx, struct rl_bucket *b, size_t n)
{
	if (ctx->max_bps <= 0)
		return 0;
	return rl_bucket_take(b, ctx->max_bps, 1000, (int64_t)n, ctx->now,
	    NULL);
}

/* ------------------------------------------------------------------ */
/* Expiry. */

void
alloc_expire(struct turn_ctx *ctx)
{
	struct turn_alloc *a, *na;
	uint64_t cool = TURN_CHAN_COOLDOWN * 1000ULL;

	TAILQ_FOREACH_SAFE(a, &ctx->all, all, na) {
		if (a->expires <= ctx->now) {
			log_debug("relay: allocation %llu expired",
			    (unsigned long long)a->id);
			alloc_free(ctx, a);
			continue;
		}
		/* Shrink the tables from the end; holes are reused. */
		while (a->nperms > 0 &&
		    a->perms[a->nperms - 1].expires <= ctx->now)
			a->nperms--;
		while (a->nchans > 0 &&
		    a->chans[a->nchans - 1].expires + cool <= ctx->now)
			a->nchans--;
	}
	tsh_resv_expire(ctx->sh, ctx->now);
}
