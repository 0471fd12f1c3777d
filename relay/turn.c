/*
 * turn.c - the TURN server's request handling (see turn.h): STUN Binding
 * (RFC 8489 §6.3), the long-term credential mechanism with stateless
 * nonces (§9.2), Allocate (RFC 8656 §7), Refresh (§8), CreatePermission
 * (§9-10), Send and Data indications (§11), ChannelBind and ChannelData
 * (§12).
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

struct auth {
	const char	*user;
	size_t		 ulen;
	uint8_t		 key[LTKEY_LEN];
	enum stun_mi	 mi;
};

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

static void
reply_begin(struct turn_ctx *ctx, struct wr *w, const struct stun_msg *m,
    uint16_t cls)
{
	wr_init(w, ctx->obuf, sizeof(ctx->obuf));
	stun_begin(w, stun_type(m->method, cls), m->tid);
}

static void
reply_end(struct turn_ctx *ctx, const struct turn_tuple *t, struct wr *w,
    const struct stun_msg *m, const struct auth *au)
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
static void
reply_error(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m, const struct auth *au, int code)
{
	char nonce[NONCE_STRLEN + 1];
	struct wr w;

	if (log_get_level() >= LOG_LEVEL_DEBUG)
		log_debug("relay: method 0x%03x answered %d %s", m->method,
		    code, stun_reason(code));
	reply_begin(ctx, &w, m, STUN_ERROR);
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
	reply_end(ctx, t, &w, m, au);
}

/* ------------------------------------------------------------------ */
/* Authentication (RFC 8489 §9.2.4, TURN REST usernames). */

static int
check_mac(const struct stun_msg *m, enum stun_mi mi, const uint8_t *key)
{
	if (mi == STUN_MI_SHA256)
		return stun_check_mi256(m, key, LTKEY_LEN) == 1;
	return stun_check_mi(m, key, LTKEY_LEN) == 1;
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
    const struct stun_msg *m, const struct turn_alloc *a, struct auth *au)
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
		reply_error(ctx, t, m, NULL, 401);	/* the challenge */
		return -1;
	}
	u = stun_find(m, STUN_ATTR_USERNAME);
	r = stun_find(m, STUN_ATTR_REALM);
	n = stun_find(m, STUN_ATTR_NONCE);
	if (u == NULL || r == NULL || n == NULL || u->len == 0 ||
	    u->len > STUN_USERNAME_MAX || r->len > STUN_REALM_MAX ||
	    n->len > STUN_NONCE_MAX) {
		reply_error(ctx, t, m, NULL, 400);
		return -1;
	}
	rc = nonce_check(&ctx->sh->nkey, (const char *)n->val, n->len, ctx->wall,
	    NONCE_TTL, &t->client);
	if (rc != NONCE_OK) {
		reply_error(ctx, t, m, NULL, 438);
		return -1;
	}
	au->user = (const char *)u->val;
	au->ulen = u->len;

	if (a != NULL && a->userlen == u->len &&
	    memcmp(a->user, u->val, u->len) == 0) {
		if (!check_mac(m, au->mi, a->key))
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
		reply_error(ctx, t, m, NULL, 401);
		return -1;
	}
	if (expiry < ctx->wall) {
		turn_event(ctx, TURN_EV_AUTH_EXPIRED, &t->client, au->user,
		    au->ulen, "expired credential");
		reply_error(ctx, t, m, NULL, 401);
		return -1;
	}
	/* Rotation: every auth-secret verifies (the first one signs). */
	for (i = 0; i < ctx->nsecrets; i++) {
		if (ltkey_from_secret(ctx->secrets[i], au->user, au->ulen,
		    ctx->realm, ctx->realmlen, key) != 0)
			continue;
		if (check_mac(m, au->mi, key)) {
			memcpy(au->key, key, LTKEY_LEN);
			OPENSSL_cleanse(key, sizeof(key));
			return 0;
		}
	}
	OPENSSL_cleanse(key, sizeof(key));
failed:
	turn_event(ctx, TURN_EV_AUTH_FAILED, &t->client, au->user, au->ulen,
	    "integrity check failed");
	reply_error(ctx, t, m, NULL, 401);
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
		reply_error(ctx, t, m, NULL, 400);
		return;
	}
	if (m->nunknown > 0) {
		reply_error(ctx, t, m, NULL, 420);
		return;
	}
	reply_begin(ctx, &w, m, STUN_SUCCESS);
	stun_put_xaddr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &t->client, m->tid);
	reply_end(ctx, t, &w, m, NULL);
}

/* ------------------------------------------------------------------ */
/* Allocate (RFC 8656 §7.2). */

/* The lifetime of §7.2 / §8: the default when absent, at least the
 * default, at most max-allocate-lifetime.  -1 when malformed. */
static long long
lifetime_of(struct turn_ctx *ctx, const struct stun_msg *m, int *zero)
{
	const struct stun_attr *lt = stun_find(m, STUN_ATTR_LIFETIME);
	uint32_t v;
	long long l;

	*zero = 0;
	if (lt == NULL)
		l = TURN_DEFAULT_LIFETIME;
	else if (stun_get_u32(lt, &v) != 0)
		return -1;
	else if (v == 0) {
		*zero = 1;
		return 0;
	} else
		l = v < TURN_DEFAULT_LIFETIME ? TURN_DEFAULT_LIFETIME : v;
	if (l > ctx->max_lifetime)
		l = ctx->max_lifetime;
	return l;
}

static void
allocate_success(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m, const struct turn_alloc *a,
    const struct auth *au, int err_family, int err_code)
{
	struct wr w;
	int i;

	reply_begin(ctx, &w, m, STUN_SUCCESS);
	for (i = 0; i < a->nrelayed; i++)
		stun_put_xaddr(&w, STUN_ATTR_XOR_RELAYED_ADDRESS,
		    &a->relayed[i]->adv, m->tid);
	stun_put_u32(&w, STUN_ATTR_LIFETIME, (uint32_t)a->lifetime);
	stun_put_xaddr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &t->client, m->tid);
	if (a->has_resv)
		stun_put(&w, STUN_ATTR_RESERVATION_TOKEN, a->resv_token, 8);
	if (err_code != 0) {
		/* §18.13: family, reserved, class, number, reason. */
		const char *why = stun_reason(err_code);
		uint8_t b[4 + 64];
		size_t rl = strlen(why);

		b[0] = err_family == AF_INET6 ? STUN_FAMILY_IPV6 :
		    STUN_FAMILY_IPV4;
		b[1] = 0;
		b[2] = (uint8_t)(err_code / 100);
		b[3] = (uint8_t)(err_code % 100);
		memcpy(b + 4, why, rl);
		stun_put(&w, STUN_ATTR_ADDRESS_ERROR_CODE, b, 4 + rl);
	}
	reply_end(ctx, t, &w, m, au);
}

/* An Allocate's request, parsed (RFC 8656 §7.2). */
struct alloc_req {
	int			 family;	/* REQUESTED-ADDRESS-FAMILY */
	int			 dual;		/* ADDITIONAL-ADDRESS-FAMILY */
	int			 even;		/* 0; 1 even port; 2 and R bit */
	int			 df;		/* DONT-FRAGMENT */
	long long		 life;		/* seconds */
	const struct stun_attr	*tok;		/* RESERVATION-TOKEN */
};

/* What an admitted Allocate holds until its allocation takes it over:
 * its quota counts and the reserved port it brought the token of. */
struct alloc_grant {
	struct turn_count	*uc;
	struct turn_count	*ic;
	int			 resv_fi;	/* -1: no reservation held */
	uint16_t		 resv_port;
	int			 resv_fd;
};

/* Parses an Allocate's attributes: 0, or -1 with *code the error. */
static int
allocate_parse(struct turn_ctx *ctx, const struct stun_msg *m,
    struct alloc_req *rq, int *code)
{
	const struct stun_attr *rt, *ev, *raf, *aaf, *tok;
	struct rd rd;
	int zero, af;

	memset(rq, 0, sizeof(*rq));
	rq->family = AF_INET;
	rt = stun_find(m, STUN_ATTR_REQUESTED_TRANSPORT);
	tok = stun_find(m, STUN_ATTR_RESERVATION_TOKEN);
	ev = stun_find(m, STUN_ATTR_EVEN_PORT);
	raf = stun_find(m, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
	aaf = stun_find(m, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY);
	rq->df = stun_find(m, STUN_ATTR_DONT_FRAGMENT) != NULL;
	rq->tok = tok;
	*code = 400;
	if (rt == NULL || rt->len != 4)
		return -1;
	rd_init(&rd, rt->val, rt->len);
	if (rd_u8(&rd) != 17) {
		*code = 442;		/* UDP relays only */
		return -1;
	}
	if ((tok != NULL && (ev != NULL || raf != NULL || aaf != NULL ||
	    tok->len != 8)) || (raf != NULL && aaf != NULL) ||
	    (raf != NULL && raf->len != 4) || (aaf != NULL && aaf->len != 4) ||
	    (ev != NULL && ev->len != 1))
		return -1;		/* §7.2 */
	if (raf != NULL && stun_get_family(raf, &rq->family) != 0) {
		*code = 440;
		return -1;
	}
	/* §7.2: ADDITIONAL-ADDRESS-FAMILY asks for IPv6 only. */
	if (aaf != NULL && (stun_get_family(aaf, &af) != 0 || af != AF_INET6))
		return -1;
	rq->dual = aaf != NULL;
	if (ev != NULL) {
		rd_init(&rd, ev->val, ev->len);
		rq->even = (rd_u8(&rd) & 0x80) ? 2 : 1;
		if (rq->even == 2 && rq->dual)
			return -1;
	}
	if ((rq->life = lifetime_of(ctx, m, &zero)) < 0)
		return -1;
	if (zero)
		rq->life = TURN_DEFAULT_LIFETIME < ctx->max_lifetime ?
		    TURN_DEFAULT_LIFETIME : ctx->max_lifetime;
	return 0;
}

/* Gives back what a grant still holds. */
static void
grant_release(struct turn_ctx *ctx, struct alloc_grant *g)
{
	if (g->resv_fi >= 0)
		alloc_resv_drop(ctx, g->resv_fi, g->resv_port, g->resv_fd);
	g->resv_fi = -1;
	if (g->uc != NULL)
		tsh_quota_put(ctx->sh, g->uc, g->ic);
	g->uc = g->ic = NULL;
}

/*
 * Admits an Allocate: not from a banned client, within the quotas, the
 * reservation of its token taken, its family served.  0 with g holding
 * the counts (for every loop at once) and the reservation; -1 with *code
 * the error, nothing held.
 */
static int
allocate_admit(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct auth *au, struct alloc_req *rq, struct alloc_grant *g,
    int *code)
{
	int fi, fd;
	uint16_t port;

	memset(g, 0, sizeof(*g));
	g->resv_fi = g->resv_fd = -1;
	if (ctx->io.is_banned != NULL &&
	    ctx->io.is_banned(ctx->io.arg, &t->client)) {
		turn_event(ctx, TURN_EV_BANNED, &t->client, au->user, au->ulen,
		    "allocate from a banned client");
		*code = 403;
		return -1;
	}
	if ((*code = tsh_quota_take(ctx, au->user, au->ulen, &t->client,
	    &g->uc, &g->ic)) != 0)
		return -1;
	if (rq->tok != NULL) {
		*code = 508;		/* §7.2: no such reservation */
		if (tsh_resv_take(ctx, rq->tok->val, &fi, &port, &fd) != 0)
			goto fail;
		g->resv_fi = fi;
		g->resv_port = port;
		g->resv_fd = fd;
		rq->family = fi == 1 ? AF_INET6 : AF_INET;
	}
	*code = 440;
	if ((!rq->dual && !ctx->has_family[turn_fam_idx(rq->family)]) ||
	    (rq->dual && !ctx->has_family[0] && !ctx->has_family[1]))
		goto fail;
	return 0;
fail:
	grant_release(ctx, g);
	return -1;
}

/* Even port with R=1: the even port and the one above it, the upper one
 * held for a later Allocate with the token (s->resv_token). */
static struct turn_relayed *
open_even_pair(struct turn_ctx *ctx, int family, int df, struct alloc_spec *s)
{
	struct turn_relayed *ra, *up;
	int i, fi = turn_fam_idx(family);

	for (i = 0; i < 8; i++) {
		if ((ra = alloc_port_open(ctx, family, 2, df, 0)) == NULL)
			return NULL;
		if ((up = alloc_port_open(ctx, family, 0, df,
		    (uint16_t)(ra->bound.port + 1))) != NULL) {
			/* Bound: the port is held in the port table (for
			 * every loop) and its rsock kept bound, on no loop,
			 * for the Allocate that brings the token, on
			 * whichever loop that is. */
			int fd = alloc_port_detach(ctx, up);

			if (tsh_resv_add(ctx, fi, (uint16_t)(ra->bound.port + 1),
			    fd, s->resv_token) != 0) {
				tsh_release(ctx->sh, fi,
				    (uint16_t)(ra->bound.port + 1));
				alloc_port_close(ctx, ra, 0);
				return NULL;
			}
			s->has_resv = 1;
			return ra;
		}
		alloc_port_close(ctx, ra, 0);
	}
	return NULL;
}

/*
 * Opens the relayed addresses of an admitted Allocate into s: the port
 * of its reservation, one of its family (an even one, or an even pair
 * with R), or one of each family (§7.2: when one of them cannot be had,
 * *err_family and *err_code say why).  The grant's reservation is used up
 * either way.  0, or -1 with *code the error.
 */
static int
allocate_open(struct turn_ctx *ctx, const struct alloc_req *rq,
    struct alloc_grant *g, struct alloc_spec *s, int *err_family,
    int *err_code, int *code)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	struct turn_relayed *ra = NULL;
	int i, fail = 508;

	if (g->resv_fi >= 0) {
		ra = alloc_port_open_held(ctx, g->resv_fi, g->resv_port, rq->df,
		    g->resv_fd);
		g->resv_fi = -1;	/* its port and descriptor are taken */
	} else if (!rq->dual)
		ra = rq->even == 2 ? open_even_pair(ctx, rq->family, rq->df, s) :
		    alloc_port_open(ctx, rq->family, rq->even, rq->df, 0);
	else {
		for (i = 0; i < 2; i++) {
			if (!ctx->has_family[i]) {
				*err_family = fams[i];
				*err_code = fail = 440;
				continue;
			}
			ra = alloc_port_open(ctx, fams[i], rq->even, rq->df, 0);
			if (ra == NULL) {
				*err_family = fams[i];
				*err_code = 508;
				continue;
			}
			s->relayed[s->nrelayed++] = ra;
		}
		ra = NULL;
	}
	if (ra != NULL)
		s->relayed[s->nrelayed++] = ra;
	if (s->nrelayed == 0) {
		log_warn("relay: no relayed port free in %u-%u",
		    ctx->sh->min_port, ctx->sh->max_port);
		*code = fail;
		return -1;
	}
	return 0;
}

/* Closes the relayed addresses opened for an allocation not made, with
 * the port its even pair reserved. */
static void
spec_release(struct turn_ctx *ctx, struct alloc_spec *s)
{
	int fi, fd, i;
	uint16_t port;

	for (i = 0; i < s->nrelayed; i++)
		alloc_port_close(ctx, s->relayed[i], 0);
	s->nrelayed = 0;
	if (s->has_resv && tsh_resv_take(ctx, s->resv_token, &fi, &port,
	    &fd) == 0)
		alloc_resv_drop(ctx, fi, port, fd);
	s->has_resv = 0;
}

/* An Allocate (§7.2): parse, admit, open the relayed addresses, make the
 * allocation, answer.  Whatever was taken on the way is given back in one
 * place when a later step fails. */
static void
do_allocate(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m, struct turn_alloc *old, const struct auth *au)
{
	struct alloc_req rq;
	struct alloc_grant g;
	struct alloc_spec s;
	struct turn_alloc *a = NULL;
	int code, err_family = 0, err_code = 0;

	if (old != NULL) {
		/* §7.2: a retransmission gets the success again, anything
		 * else on this 5-tuple is a mismatch. */
		if (memcmp(old->tid, m->tid, STUN_TID_LEN) == 0 &&
		    old->userlen == au->ulen &&
		    memcmp(old->user, au->user, au->ulen) == 0)
			allocate_success(ctx, t, m, old, au, 0, 0);
		else
			reply_error(ctx, t, m, au, 437);
		return;
	}
	if (allocate_parse(ctx, m, &rq, &code) != 0 ||
	    allocate_admit(ctx, t, au, &rq, &g, &code) != 0) {
		reply_error(ctx, t, m, au, code);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.t = t;
	s.tid = m->tid;
	s.user = au->user;
	s.ulen = au->ulen;
	s.key = au->key;
	s.lifetime = rq.life;
	s.ucount = g.uc;
	s.icount = g.ic;
	if (allocate_open(ctx, &rq, &g, &s, &err_family, &err_code,
	    &code) == 0 && (a = alloc_new(ctx, &s)) == NULL)
		code = 508;
	if (a == NULL) {
		spec_release(ctx, &s);
		grant_release(ctx, &g);
		reply_error(ctx, t, m, au, code);
		return;
	}
	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		char buf[ADDR_STRLEN];

		log_debug("relay: allocation %llu on loop %d at %s, %ds",
		    (unsigned long long)a->id, ctx->loop,
		    addr_ntop_port(&a->relayed[0]->adv, buf, sizeof(buf)),
		    a->lifetime);
	}
	allocate_success(ctx, t, m, a, au, err_family, err_code);
}

/* ------------------------------------------------------------------ */
/* Refresh (RFC 8656 §8). */

static void
do_refresh(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m, struct turn_alloc *a, const struct auth *au)
{
	const struct stun_attr *raf = stun_find(m,
	    STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
	long long life;
	struct wr w;
	int zero, family;

	if (raf != NULL) {
		if (raf->len != 4) {
			reply_error(ctx, t, m, au, 400);
			return;
		}
		/* §8: a family the allocation does not have. */
		if (stun_get_family(raf, &family) != 0 ||
		    alloc_relayed_of(a, family) == NULL) {
			reply_error(ctx, t, m, au, 443);
			return;
		}
	}
	if ((life = lifetime_of(ctx, m, &zero)) < 0) {
		reply_error(ctx, t, m, au, 400);
		return;
	}
	if (zero) {
		/* §8: a Refresh with LIFETIME 0 deletes the allocation. */
		log_debug("relay: allocation %llu deleted by its client",
		    (unsigned long long)a->id);
		alloc_free(ctx, a);
	} else {
		a->lifetime = (int)life;
		a->expires = ctx->now + (uint64_t)life * 1000;
	}
	reply_begin(ctx, &w, m, STUN_SUCCESS);
	stun_put_u32(&w, STUN_ATTR_LIFETIME, (uint32_t)life);
	reply_end(ctx, t, &w, m, au);
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
int
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

/* The allocation id that owns peer when it is one of our relayed
 * addresses (on any loop), else 0. */
static uint64_t
own_id(struct turn_ctx *ctx, const struct maddr *peer)
{
	uint64_t v = tsh_owner(ctx, peer);

	return PORT_IS_OWNED(v) ? PORT_ID(v) : 0;
}

/*
 * pair-permissions: an allocation made with a session's credential
 * ("EXPIRY:s-SESSION") may reach our own relayed addresses only (which
 * the pair hook then checks): any other address, allowed-peer-ip ones
 * included, is refused (SPEC "pair-permissions").  Nonzero when refused,
 * the event raised.
 */
static int
session_peer_denied(struct turn_ctx *ctx, struct turn_alloc *a,
    const struct maddr *peer)
{
	char sess[CRED_ID_MAX];

	if (!ctx->pair_permissions || own_id(ctx, peer) != 0 ||
	    cred_session_of(a->user, a->userlen, sess, sizeof(sess)) != 0)
		return 0;
	turn_event(ctx, TURN_EV_PAIR_DENIED, &a->t.client, a->user, a->userlen,
	    "a session's allocation may reach its partner only");
	return 1;
}

/*
 * Whether a may be given a permission for peer.  0 and *own set to the
 * allocation id that owns peer (0 when it is not ours) when allowed;
 * otherwise the error code (403 or 443), the event raised.
 */
static int
peer_check(struct turn_ctx *ctx, struct turn_alloc *a, const struct maddr *peer,
    uint64_t *own)
{
	char user[STUN_USERNAME_MAX + 1];
	uint64_t id;

	*own = 0;
	if (alloc_relayed_of(a, peer->family) == NULL)
		return 443;
	if (session_peer_denied(ctx, a, peer))
		return 403;
	if ((id = own_id(ctx, peer)) != 0) {
		/* Our own relayed address: exempt from the deny list, but
		 * subject to pair-permissions. */
		if (ctx->pair_permissions && ctx->peer_hook != NULL &&
		    (tsh_owner_user(ctx, peer, id, user, sizeof(user)) != 0 ||
		    !ctx->peer_hook(ctx->peer_hook_arg, a->user, user))) {
			turn_event(ctx, TURN_EV_PAIR_DENIED, &a->t.client,
			    a->user, a->userlen, "peer is not the partner");
			return 403;
		}
		*own = id;
		return 0;
	}
	if (!peer_policy_allowed(&ctx->policy, peer)) {
		turn_event(ctx, TURN_EV_PEER_DENIED, &a->t.client, a->user,
		    a->userlen, "peer address denied by policy");
		return 403;
	}
	return 0;
}

static int
live_perms(struct turn_ctx *ctx, struct turn_alloc *a)
{
	int i, n = 0;

	for (i = 0; i < a->nperms; i++)
		if (a->perms[i].expires > ctx->now)
			n++;
	return n;
}

#define PERM_PEERS_MAX	TURN_MAX_PERMS

/* CreatePermission (RFC 8656 §10): all the peers or none. */
static void
do_permission(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m, struct turn_alloc *a, const struct auth *au)
{
	const struct stun_attr *pa;
	struct maddr peers[PERM_PEERS_MAX];
	uint64_t own[PERM_PEERS_MAX];
	struct wr w;
	int n = 0, i, code, fresh = 0;

	for (pa = stun_find(m, STUN_ATTR_XOR_PEER_ADDRESS); pa != NULL;
	    pa = stun_find_next(m, pa)) {
		if (n == PERM_PEERS_MAX) {
			reply_error(ctx, t, m, au, 508);
			return;
		}
		if (stun_get_xaddr(m, pa, &peers[n]) != 0) {
			reply_error(ctx, t, m, au, 400);
			return;
		}
		n++;
	}
	if (n == 0) {
		reply_error(ctx, t, m, au, 400);
		return;
	}
	for (i = 0; i < n; i++) {
		if ((code = peer_check(ctx, a, &peers[i], &own[i])) != 0) {
			reply_error(ctx, t, m, au, code);
			return;
		}
		if (perm_find(ctx, a, &peers[i], own[i] != 0) == NULL)
			fresh++;
	}
	if (live_perms(ctx, a) + fresh > TURN_MAX_PERMS) {
		reply_error(ctx, t, m, au, 508);
		return;
	}
	for (i = 0; i < n; i++)
		perm_install(ctx, a, &peers[i], own[i] != 0, own[i]);
	reply_begin(ctx, &w, m, STUN_SUCCESS);
	reply_end(ctx, t, &w, m, au);
}

/* ChannelBind (RFC 8656 §11.2). */
static void
do_channel_bind(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m, struct turn_alloc *a, const struct auth *au)
{
	const struct stun_attr *cn = stun_find(m, STUN_ATTR_CHANNEL_NUMBER);
	const struct stun_attr *pa = stun_find(m, STUN_ATTR_XOR_PEER_ADDRESS);
	uint64_t own;
	struct maddr peer;
	struct rd rd;
	struct wr w;
	uint16_t num;
	int code;

	if (cn == NULL || pa == NULL || cn->len != 4 ||
	    stun_get_xaddr(m, pa, &peer) != 0) {
		log_debug("relay: ChannelBind: CHANNEL-NUMBER or "
		    "XOR-PEER-ADDRESS missing or malformed");
		reply_error(ctx, t, m, au, 400);
		return;
	}
	rd_init(&rd, cn->val, cn->len);
	num = rd_u16(&rd);
	if (num < TURN_CHAN_MIN || num > TURN_CHAN_MAX) {
		log_debug("relay: ChannelBind: channel 0x%04x out of range",
		    num);
		reply_error(ctx, t, m, au, 400);
		return;
	}
	if ((code = peer_check(ctx, a, &peer, &own)) != 0) {
		reply_error(ctx, t, m, au, code);
		return;
	}
	if (chan_by_num(a, num, ctx->now, 0) !=
	    chan_by_peer(a, &peer, ctx->now, 0)) {
		log_debug("relay: ChannelBind: channel 0x%04x or its peer is "
		    "bound elsewhere", num);
		reply_error(ctx, t, m, au, 400);
		return;
	}
	/* §11.2: the binding installs or refreshes the permission too. */
	if (perm_install(ctx, a, &peer, own != 0, own) != 0 ||
	    chan_bind(ctx, a, num, &peer) != 0) {
		reply_error(ctx, t, m, au, 508);
		return;
	}
	reply_begin(ctx, &w, m, STUN_SUCCESS);
	reply_end(ctx, t, &w, m, au);
}

/* ------------------------------------------------------------------ */
/* The data path. */

/* Peer data (or data of another of our allocations, src_id) to the
 * client of r's allocation. */
static void
deliver(struct turn_ctx *ctx, struct turn_relayed *r, const struct maddr *from,
    const uint8_t *data, size_t len, uint64_t src_id)
{
	static const uint8_t zeros[4] = { 0, 0, 0, 0 };
	struct turn_alloc *a = r->a;
	struct turn_perm *p;
	struct turn_chan *c;
	struct iovec iov[3];
	uint8_t hdr[STUN_HDR_LEN + 24 + 4];
	size_t pad = (4 - (len & 3)) & 3;
	struct wr w;
	int n;

	if (a == NULL || len > 0xFFFF - 64)
		return;
	if (src_id != 0) {
		if ((p = perm_find(ctx, a, from, 1)) == NULL ||
		    !perm_internal_ok(ctx, a, p, from, src_id))
			return;
	} else if (perm_find(ctx, a, from, 0) == NULL)
		return;		/* §9: no permission, silently dropped */
	if (!bucket_take(ctx, &a->down, len))
		return;
	wr_init(&w, hdr, sizeof(hdr));
	if ((c = chan_by_peer(a, from, ctx->now, 1)) != NULL) {
		/* §12.6: ChannelData; padded on stream transports. */
		wr_u16(&w, c->num);
		wr_u16(&w, (uint16_t)len);
		if (a->t.proto == TURN_UDP)
			pad = 0;
	} else {
		/* §11.4: a Data indication. */
		size_t alen = (from->family == AF_INET ? 12 : 24) + 4;

		ctx->ind_seq++;
		ctx->ind_tid[8] = ctx->ind_seq >> 24;
		ctx->ind_tid[9] = (ctx->ind_seq >> 16) & 0xff;
		ctx->ind_tid[10] = (ctx->ind_seq >> 8) & 0xff;
		ctx->ind_tid[11] = ctx->ind_seq & 0xff;
		stun_begin(&w, stun_type(STUN_DATA, STUN_INDICATION),
		    ctx->ind_tid);
		/* stun_put_xaddr sets the header length; it is set again
		 * below to count the DATA that follows in the iovec. */
		stun_put_xaddr(&w, STUN_ATTR_XOR_PEER_ADDRESS, from,
		    ctx->ind_tid);
		wr_u16(&w, STUN_ATTR_DATA);
		wr_u16(&w, (uint16_t)len);
		wr_patch_u16(&w, 2, (uint16_t)(alen + len + pad));
	}
	if (w.err)
		return;
	iov[0].iov_base = hdr;
	iov[0].iov_len = w.len;
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = len;
	n = 2;
	if (pad > 0) {
		iov[2].iov_base = (void *)zeros;
		iov[2].iov_len = pad;
		n = 3;
	}
	metrics_inc(&ctx->m->turn_relayed_packets_to_client);
	metrics_add(&ctx->m->turn_relayed_bytes_to_client, len);
	ctx->io.to_client(ctx->io.arg, &a->t, iov, n);
}

/*
 * Client data to a peer: through the kernel, or inside the process when
 * the peer is one of our own relayed addresses: delivered at once when
 * its allocation is on this loop, handed to its loop otherwise.
 */
static void
forward(struct turn_ctx *ctx, struct turn_alloc *a, const struct maddr *peer,
    const uint8_t *data, size_t len)
{
	struct turn_relayed *rr;
	struct turn_perm *p;
	struct turn_handoff h;
	uint64_t v;

	if ((rr = alloc_relayed_of(a, peer->family)) == NULL)
		return;
	if (PORT_IS_OWNED(v = tsh_owner(ctx, peer))) {
		if ((p = perm_find(ctx, a, peer, 1)) == NULL ||
		    !perm_internal_ok(ctx, a, p, peer, PORT_ID(v)))
			return;
		if (!bucket_take(ctx, &a->up, len))
			return;
		metrics_inc(&ctx->m->turn_relayed_packets_to_peer);
		metrics_add(&ctx->m->turn_relayed_bytes_to_peer, len);
		h.dst = *peer;
		h.dst_id = PORT_ID(v);
		h.from = rr->adv;
		h.src_id = a->id;
		if (PORT_LOOP(v) == ctx->loop)
			turn_handle_handoff(ctx, &h, data, len);
		else if (ctx->io.handoff != NULL)
			ctx->io.handoff(ctx->io.arg, PORT_LOOP(v), &h, data,
			    len);
		return;
	}
	/* This host: only its live relayed addresses (above).  A permission
	 * covers every port of an IP, so it is checked for each datagram. */
	if (peer_policy_is_host(&ctx->policy, peer) ||
	    perm_find(ctx, a, peer, 0) == NULL) {
		/* A relayed address of ours no longer live: a partner's last
		 * packets after a hang-up, not an attack (counted only). */
		if (tsh_relayed_addr(ctx, peer))
			metrics_inc(&ctx->m->turn_released_peer_drops_total);
		else if (!peer_policy_allowed(&ctx->policy, peer))
			turn_event(ctx, TURN_EV_PEER_DENIED, &a->t.client,
			    a->user, a->userlen, "send to a denied peer");
		return;
	}
	if (!bucket_take(ctx, &a->up, len))
		return;
	metrics_inc(&ctx->m->turn_relayed_packets_to_peer);
	metrics_add(&ctx->m->turn_relayed_bytes_to_peer, len);
	ctx->io.to_peer(ctx->io.arg, rr->rsock, peer, data, len);
}

/* Send indication (RFC 8656 §11.2): never answered. */
static void
do_send(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m)
{
	const struct stun_attr *pa, *da;
	struct turn_alloc *a;
	struct maddr peer;

	if ((a = alloc_find(ctx, t)) == NULL || m->nunknown > 0 ||
	    (pa = stun_find(m, STUN_ATTR_XOR_PEER_ADDRESS)) == NULL ||
	    (da = stun_find(m, STUN_ATTR_DATA)) == NULL ||
	    stun_get_xaddr(m, pa, &peer) != 0)
		return;
	forward(ctx, a, &peer, da->val, da->len);
}

/* ChannelData (RFC 8656 §12.4): channel number, length, data; over UDP
 * the datagram may carry padding after the data. */
static void
do_channel_data(struct turn_ctx *ctx, const struct turn_tuple *t,
    const uint8_t *p, size_t len)
{
	struct turn_alloc *a;
	struct turn_chan *c;
	const uint8_t *data;
	uint16_t num, dlen;
	struct rd r;

	rd_init(&r, p, len);
	num = rd_u16(&r);
	dlen = rd_u16(&r);
	if (rd_bytes(&r, &data, dlen) != 0)
		return;
	if (t->proto != TURN_UDP && r.left > 3)
		return;
	if ((a = alloc_find(ctx, t)) == NULL ||
	    (c = chan_by_num(a, num, ctx->now, 1)) == NULL)
		return;
	forward(ctx, a, &c->peer, data, dlen);
}

/* ------------------------------------------------------------------ */
/* Dispatch. */

static void
do_request(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m)
{
	struct turn_alloc *a;
	struct auth au;

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
		reply_error(ctx, t, m, NULL, 400);	/* unknown method */
		return;
	}
	a = alloc_find(ctx, t);
	if (authenticate(ctx, t, m, a, &au) != 0)
		return;
	if (m->too_many) {
		reply_error(ctx, t, m, &au, 400);
		return;
	}
	if (m->nunknown > 0) {
		reply_error(ctx, t, m, &au, 420);
		return;
	}
	if (m->method == STUN_ALLOCATE) {
		if (a == NULL && atomic_load_explicit(&ctx->sh->draining,
		    memory_order_relaxed)) {
			/* Stopping: the allocations there are may finish,
			 * new ones go elsewhere. */
			reply_error(ctx, t, m, &au, 508);
			return;
		}
		do_allocate(ctx, t, m, a, &au);
		return;
	}
	if (a == NULL) {
		reply_error(ctx, t, m, &au, 437);
		return;
	}
	if (a->userlen != au.ulen || memcmp(a->user, au.user, au.ulen) != 0) {
		reply_error(ctx, t, m, &au, 441);	/* RFC 8656 §7.2 */
		return;
	}
	switch (m->method) {
	case STUN_REFRESH:
		do_refresh(ctx, t, m, a, &au);
		break;
	case STUN_CREATE_PERMISSION:
		do_permission(ctx, t, m, a, &au);
		break;
	case STUN_CHANNEL_BIND:
		do_channel_bind(ctx, t, m, a, &au);
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
		do_channel_data(ctx, t, p, len);
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
			do_send(ctx, t, &m);
		break;
	default:
		break;				/* responses: not ours */
	}
}

void
turn_handle_peer(struct turn_ctx *ctx, struct turn_relayed *r,
    const struct maddr *peer, const uint8_t *data, size_t len)
{
	deliver(ctx, r, peer, data, len, 0);
}

void
turn_handle_handoff(struct turn_ctx *ctx, const struct turn_handoff *h,
    const uint8_t *data, size_t len)
{
	struct turn_relayed *r;

	if ((r = alloc_relayed_by_adv(ctx, &h->dst)) != NULL && r->a != NULL &&
	    r->a->id == h->dst_id && h->src_id != 0)
		deliver(ctx, r, &h->from, data, len, h->src_id);
}

void
turn_tuple_closed(struct turn_ctx *ctx, const struct turn_tuple *t)
{
	struct turn_alloc *a;

	if ((a = alloc_find(ctx, t)) != NULL)
		alloc_free(ctx, a);
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

struct turn_ctx *
turn_new(const struct config *cfg, const struct turn_io *io,
    struct metrics *metrics, char *err, size_t errlen)
{
	return turn_new_in(cfg, io, metrics, NULL, 0, err, errlen);
}

struct turn_ctx *
turn_new_in(const struct config *cfg, const struct turn_io *io,
    struct metrics *metrics, struct turn_shared *sh, int loop, char *err,
    size_t errlen)
{
	struct turn_ctx *ctx;
	int fams[2] = { AF_INET, AF_INET6 };
	size_t i;
	int fi;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		snprintf(err, errlen, "relay: out of memory");
		return NULL;
	}
	ctx->io = *io;
	if (metrics != NULL)
		ctx->m = metrics;
	else {
		metrics_init(&ctx->own_metrics);
		ctx->m = &ctx->own_metrics;
	}
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

	/* Relay addresses per family: relay-ip when of that family (or the
	 * private half of external-ip), else the first listen address. */
	for (fi = 0; fi < 2; fi++) {
		const struct cfg_extip *x = &cfg->external_ip;

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
			turn_free(ctx);
			return NULL;
		}
	}
	if (!ctx->has_family[0] && !ctx->has_family[1]) {
		snprintf(err, errlen, "relay: no relay address");
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
turn_set_peer_hook(struct turn_ctx *ctx, turn_peer_hook fn, void *arg)
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

size_t
turn_shared_alloc_count(const struct turn_ctx *ctx)
{
	return (size_t)atomic_load(&ctx->sh->nallocs);
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
		return 0;
	if (bound != NULL)
		*bound = ctx->relay_ip[fi];
	if (adv != NULL)
		*adv = ctx->adv_ip[fi];
	return 1;
}
