/*
 * turn_peer.c - the peers of an allocation: the peer policy and the pair
 * hook for our own relayed addresses, CreatePermission (RFC 8656 §10.2),
 * ChannelBind (§12.2), and the data path both ways: Send indications
 * (§11.2) and ChannelData (§12.6) to peers, datagrams from peers
 * (§11.3, §12.7) as Data indications or ChannelData to the client, and
 * data between two of our own allocations, on one loop or handed to
 * another's.  The data path costs no malloc and no lock.
 */
#include <string.h>

#include "auth/cred.h"
#include "common/log.h"
#include "relay/turn_int.h"

/* ------------------------------------------------------------------ */
/* Peers: policy, our own relayed addresses and the pair hook. */

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

/* CreatePermission (RFC 8656 §10.2): all the peers or none. */
void
turn_permission(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m, struct turn_alloc *a, const struct turn_auth *au)
{
	const struct stun_attr *pa;
	struct maddr peers[PERM_PEERS_MAX];
	uint64_t own[PERM_PEERS_MAX];
	struct wr w;
	int n = 0, i, code, fresh = 0;

	for (pa = stun_find(m, STUN_ATTR_XOR_PEER_ADDRESS); pa != NULL;
	    pa = stun_find_next(m, pa)) {
		if (n == PERM_PEERS_MAX) {
			turn_reply_error(ctx, t, m, au, 508);
			return;
		}
		if (stun_get_xaddr(m, pa, &peers[n]) != 0) {
			turn_reply_error(ctx, t, m, au, 400);
			return;
		}
		n++;
	}
	if (n == 0) {
		turn_reply_error(ctx, t, m, au, 400);
		return;
	}
	for (i = 0; i < n; i++) {
		if ((code = peer_check(ctx, a, &peers[i], &own[i])) != 0) {
			turn_reply_error(ctx, t, m, au, code);
			return;
		}
		if (perm_find(ctx, a, &peers[i], own[i] != 0) == NULL)
			fresh++;
	}
	if (live_perms(ctx, a) + fresh > TURN_MAX_PERMS) {
		turn_reply_error(ctx, t, m, au, 508);
		return;
	}
	for (i = 0; i < n; i++)
		perm_install(ctx, a, &peers[i], own[i] != 0, own[i]);
	turn_reply_begin(ctx, &w, m, STUN_SUCCESS);
	turn_reply_end(ctx, t, &w, m, au);
	for (i = 0; i < n; i++)
		if (own[i] != 0) {
			alloc_follow(ctx, a, &peers[i]);
			break;
		}
}

/* ChannelBind (RFC 8656 §12.2). */
void
turn_channel_bind(struct turn_ctx *ctx, const struct turn_tuple *t,
    const struct stun_msg *m, struct turn_alloc *a, const struct turn_auth *au)
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
		turn_reply_error(ctx, t, m, au, 400);
		return;
	}
	rd_init(&rd, cn->val, cn->len);
	num = rd_u16(&rd);
	if (num < TURN_CHAN_MIN || num > TURN_CHAN_MAX) {
		log_debug("relay: ChannelBind: channel 0x%04x out of range",
		    num);
		turn_reply_error(ctx, t, m, au, 400);
		return;
	}
	if ((code = peer_check(ctx, a, &peer, &own)) != 0) {
		turn_reply_error(ctx, t, m, au, code);
		return;
	}
	if (chan_by_num(a, num, ctx->now, 0) !=
	    chan_by_peer(a, &peer, ctx->now, 0)) {
		log_debug("relay: ChannelBind: channel 0x%04x or its peer is "
		    "bound elsewhere", num);
		turn_reply_error(ctx, t, m, au, 400);
		return;
	}
	/* §12.2: the binding installs or refreshes the permission too. */
	if (perm_install(ctx, a, &peer, own != 0, own) != 0 ||
	    chan_bind(ctx, a, num, &peer) != 0) {
		turn_reply_error(ctx, t, m, au, 508);
		return;
	}
	turn_reply_begin(ctx, &w, m, STUN_SUCCESS);
	turn_reply_end(ctx, t, &w, m, au);
	if (own != 0)
		alloc_follow(ctx, a, &peer);
}

/* ------------------------------------------------------------------ */
/* The data path. */

/* Peer data (or data of another of our allocations, src_id) to the
 * client of r's allocation. */
void
turn_deliver(struct turn_ctx *ctx, struct turn_relayed *r,
    const struct maddr *from, const uint8_t *data, size_t len, uint64_t src_id)
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
		return;		/* §11.3: no permission, silently dropped */
	if (bucket_take(ctx, &a->down, len) != 0)
		return;
	wr_init(&w, hdr, sizeof(hdr));
	if ((c = chan_by_peer(a, from, ctx->now, 1)) != NULL) {
		/* §12.7: ChannelData when a channel is bound to the peer,
		 * padded on stream transports (§12.5). */
		wr_u16(&w, c->num);
		wr_u16(&w, (uint16_t)len);
		if (a->t.proto == TURN_UDP)
			pad = 0;
	} else {
		/* §11.3: a Data indication. */
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
	metrics_own_add(&ctx->st.packets_to_client, 1);
	metrics_own_add(&ctx->st.bytes_to_client, len);
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
		if (bucket_take(ctx, &a->up, len) != 0)
			return;
		metrics_own_add(&ctx->st.packets_to_peer, 1);
		metrics_own_add(&ctx->st.bytes_to_peer, len);
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
			metrics_own_add(&ctx->st.released_peer_drops, 1);
		else if (!peer_policy_allowed(&ctx->policy, peer))
			turn_event(ctx, TURN_EV_PEER_DENIED, &a->t.client,
			    a->user, a->userlen, "send to a denied peer");
		return;
	}
	if (bucket_take(ctx, &a->up, len) != 0)
		return;
	metrics_own_add(&ctx->st.packets_to_peer, 1);
	metrics_own_add(&ctx->st.bytes_to_peer, len);
	ctx->io.to_peer(ctx->io.arg, rr->rsock, peer, data, len);
}

/* Send indication (RFC 8656 §11.2): never answered. */
void
turn_send(struct turn_ctx *ctx, const struct turn_tuple *t,
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

/* ChannelData (RFC 8656 §12.4, §12.6): channel number, length, data;
 * over UDP the datagram may carry padding after the data. */
void
turn_channel_data(struct turn_ctx *ctx, const struct turn_tuple *t,
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
