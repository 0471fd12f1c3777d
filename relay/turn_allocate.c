/*
 * turn_allocate.c - the requests that make and keep an allocation:
 * Allocate (RFC 8656 §7.2) and Refresh (§8).  An Allocate is parsed,
 * admitted (ban, quotas, the reservation of its token), its relayed
 * addresses opened (a port of the range each), and the allocation made
 * by alloc_new() (relay/allocation.c); what a step took is given back in
 * one place when a later one fails.  Called by the dispatch of
 * relay/turn.c after the request authenticated.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "relay/turn_int.h"

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
    const struct turn_auth *au, int err_family, int err_code)
{
	struct wr w;
	int i;

	turn_reply_begin(ctx, &w, m, STUN_SUCCESS);
	for (i = 0; i < a->nrelayed; i++)
		stun_put_xaddr(&w, STUN_ATTR_XOR_RELAYED_ADDRESS,
		    &a->relayed[i]->adv, m->tid);
	stun_put_u32(&w, STUN_ATTR_LIFETIME, (uint32_t)a->lifetime);
	stun_put_xaddr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &t->client, m->tid);
	if (a->has_resv)
		stun_put(&w, STUN_ATTR_RESERVATION_TOKEN, a->resv_token, 8);
	if (err_code != 0) {
		/* §18.12: family, reserved, class, number, reason. */
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
	turn_reply_end(ctx, t, &w, m, au);
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
    const struct turn_auth *au, struct alloc_req *rq, struct alloc_grant *g,
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
void
turn_allocate(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m, struct turn_alloc *old,
    const struct turn_auth *au)
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
			turn_reply_error(ctx, t, m, au, 437);
		return;
	}
	if (allocate_parse(ctx, m, &rq, &code) != 0 ||
	    allocate_admit(ctx, t, au, &rq, &g, &code) != 0) {
		turn_reply_error(ctx, t, m, au, code);
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
		turn_reply_error(ctx, t, m, au, code);
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

void
turn_refresh(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m, struct turn_alloc *a, const struct turn_auth *au)
{
	const struct stun_attr *raf = stun_find(m,
	    STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
	long long life;
	struct wr w;
	int zero, family;

	if (raf != NULL) {
		if (raf->len != 4) {
			turn_reply_error(ctx, t, m, au, 400);
			return;
		}
		/* §8: a family the allocation does not have. */
		if (stun_get_family(raf, &family) != 0 ||
		    alloc_relayed_of(a, family) == NULL) {
			turn_reply_error(ctx, t, m, au, 443);
			return;
		}
	}
	if ((life = lifetime_of(ctx, m, &zero)) < 0) {
		turn_reply_error(ctx, t, m, au, 400);
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
	turn_reply_begin(ctx, &w, m, STUN_SUCCESS);
	stun_put_u32(&w, STUN_ATTR_LIFETIME, (uint32_t)life);
	turn_reply_end(ctx, t, &w, m, au);
}
