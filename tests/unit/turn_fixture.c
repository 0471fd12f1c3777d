/*
 * turn_fixture.c - the relay tests' context and client (see
 * turn_fixture.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/cred.h"
#include "auth/ltkey.h"
#include "common/config.h"
#include "relay/stun_codec.h"
#include "relay/turn.h"
#include "tests/unit/turn_fixture.h"

int fake_detach;
struct stun_msg lastm;
struct fake_sent lasts;

int
hook(void *arg, const char *a, const char *b)
{
	struct env *e = arg;
	int allow = e->hook_allow && strcmp(a, e->deny_asker) != 0;

	e->hook_calls++;
	strlcpy(e->hook_a, a, sizeof(e->hook_a));
	strlcpy(e->hook_b, b, sizeof(e->hook_b));
	if (e->unpair_in_hook) {
		e->unpair_in_hook = 0;
		strlcpy(e->deny_asker, a, sizeof(e->deny_asker));
		turn_pairs_changed(e->ctx);
	}
	return allow;
}

void
env_time(struct env *e, uint64_t add_ms)
{
	e->now += add_ms;
	e->wall = 1700000000 + (long long)(e->now / 1000);
	turn_set_time(e->ctx, e->now, e->wall);
}

int
env_init(struct env *e, const char *const *kv)
{
	return env_init_in(e, kv, NULL, 0);
}

int
env_init_in(struct env *e, const char *const *kv, struct turn_shared *sh,
    int loop)
{
	struct turn_io io;
	char err[CFG_ERRLEN];
	int line = 1;

	memset(e, 0, sizeof(*e));
	metrics_init(&e->m);
	e->cfg = cfg_new();
	cfg_set(e->cfg, CFG_SRC_FILE, line++, "auth-secret", SECRET, err,
	    sizeof(err));
	cfg_set(e->cfg, CFG_SRC_FILE, line++, "realm", REALM, err,
	    sizeof(err));
	cfg_set(e->cfg, CFG_SRC_FILE, line++, "min-port", "50000", err,
	    sizeof(err));
	cfg_set(e->cfg, CFG_SRC_FILE, line++, "max-port", "50099", err,
	    sizeof(err));
	for (; kv != NULL && kv[0] != NULL; kv += 2)
		if (cfg_set(e->cfg, CFG_SRC_CMDLINE, line++, kv[0], kv[1], err,
		    sizeof(err)) != 0) {
			printf("# %s\n", err);
			return -1;
		}
	fake_io_init(&e->io, &io, fake_detach);
	if ((e->ctx = turn_new_in(e->cfg, &io, sh, loop, err,
	    sizeof(err))) == NULL) {
		printf("# %s\n", err);
		return -1;
	}
	e->io.ctx = e->ctx;
	e->now = 1000000;
	env_time(e, 0);
	return 0;
}

/* The context's figures, as /metrics would show them. */
struct metrics *
env_metrics(struct env *e)
{
	metrics_init(&e->m);
	turn_metrics_add(e->ctx, &e->m);
	return &e->m;
}

void
env_free(struct env *e)
{
	turn_free(e->ctx);
	cfg_free(e->cfg);
}

void
client_init(struct client *c, const char *ip, int port, const char *secret,
    const char *id, long long expiry)
{
	memset(c, 0, sizeof(*c));
	addr_parse(ip, &c->t.client);
	c->t.client.port = (uint16_t)port;
	addr_parse(strchr(ip, ':') ? "::1" : "127.0.0.1", &c->t.server);
	c->t.server.port = 3478;
	c->t.proto = TURN_UDP;
	c->mi = STUN_MI_SHA1;
	cred_make(secret, id, expiry, c->user, sizeof(c->user), c->pass,
	    sizeof(c->pass));
}

void
A_raw(struct attrs *as, uint16_t type, const void *v, size_t len)
{
	as->a[as->n].type = type;
	as->a[as->n].xaddr = 0;
	memcpy(as->a[as->n].v, v, len);
	as->a[as->n].len = len;
	as->n++;
}

void
A_u32(struct attrs *as, uint16_t type, uint32_t v)
{
	uint8_t b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff,
	    v & 0xff };

	A_raw(as, type, b, 4);
}

void
A_peer(struct attrs *as, const char *ip, int port)
{
	as->a[as->n].type = STUN_ATTR_XOR_PEER_ADDRESS;
	as->a[as->n].xaddr = 1;
	addr_parse(ip, &as->a[as->n].a);
	as->a[as->n].a.port = (uint16_t)port;
	as->n++;
}

void
A_peer_addr(struct attrs *as, const struct maddr *a)
{
	as->a[as->n].type = STUN_ATTR_XOR_PEER_ADDRESS;
	as->a[as->n].xaddr = 1;
	as->a[as->n].a = *a;
	as->n++;
}

void
A_udp(struct attrs *as)
{
	A_raw(as, STUN_ATTR_REQUESTED_TRANSPORT, "\x11\0\0\0", 4);
}

/* The answer's code: 0 success, an error code, -1 none, -2 unparsable. */
int
answer(struct env *e, struct client *c)
{
	const struct stun_attr *ec;
	int code, i;

	for (i = 0; i < e->io.nout; i++) {
		if (!addr_eq(&e->io.out[i].t.client, &c->t.client))
			continue;
		lasts = e->io.out[i];
		if (stun_parse(&lastm, lasts.b, lasts.len) != STUN_OK)
			return -2;
		if (memcmp(lastm.tid, c->tid, 12) != 0)
			continue;
		if (lastm.cls == STUN_SUCCESS)
			return 0;
		if ((ec = stun_find(&lastm, STUN_ATTR_ERROR_CODE)) == NULL ||
		    stun_get_error(ec, &code) != 0)
			return -2;
		return code;
	}
	return -1;
}

size_t
build(struct client *c, uint16_t method, uint16_t cls, const struct attrs *as,
    uint8_t *buf, size_t cap, int newtid)
{
	struct wr w;
	uint8_t key[LTKEY_LEN];
	int i;

	if (newtid) {
		for (i = 0; i < 12; i++)
			c->tid[i] = (uint8_t)rand();
	}
	wr_init(&w, buf, cap);
	stun_begin(&w, stun_type(method, cls), c->tid);
	for (i = 0; as != NULL && i < as->n; i++) {
		if (as->a[i].xaddr)
			stun_put_xaddr(&w, as->a[i].type, &as->a[i].a, c->tid);
		else
			stun_put(&w, as->a[i].type, as->a[i].v,
			    as->a[i].len);
	}
	if (!c->noauth && c->nonce[0] != '\0' && cls == STUN_REQUEST) {
		stun_put(&w, STUN_ATTR_USERNAME, c->user, strlen(c->user));
		stun_put(&w, STUN_ATTR_REALM, REALM, strlen(REALM));
		stun_put(&w, STUN_ATTR_NONCE, c->nonce, strlen(c->nonce));
		ltkey_make(c->user, strlen(c->user), REALM, strlen(REALM),
		    c->pass, strlen(c->pass), key);
		stun_end(&w, c->mi, key, LTKEY_LEN, c->fp);
	} else
		stun_end(&w, STUN_MI_NONE, NULL, 0, c->fp);
	return w.err ? 0 : w.len;
}

/*
 * Sends a request; answers 401/438 by taking the nonce and retrying once,
 * as a client does.  Returns the final answer's code.
 */
int
req(struct env *e, struct client *c, uint16_t method, const struct attrs *as)
{
	uint8_t buf[2048];
	const struct stun_attr *n;
	size_t len;
	int code, tries;

	for (tries = 0; tries < 2; tries++) {
		e->io.nout = 0;
		len = build(c, method, STUN_REQUEST, as, buf, sizeof(buf), 1);
		turn_handle_client(e->ctx, &c->t, buf, len);
		code = answer(e, c);
		if ((code != 401 && code != 438) || c->noauth || tries == 1 ||
		    (n = stun_find(&lastm, STUN_ATTR_NONCE)) == NULL ||
		    (code == 401 && c->nonce[0] != '\0'))
			return code;
		memcpy(c->nonce, n->val, n->len);
		c->nonce[n->len] = '\0';
	}
	return code;
}

/* The relayed address of the last Allocate success (n-th, 0-based). */
int
relayed(struct maddr *a, int nth)
{
	const struct stun_attr *at = stun_find(&lastm,
	    STUN_ATTR_XOR_RELAYED_ADDRESS);

	while (at != NULL && nth-- > 0)
		at = stun_find_next(&lastm, at);
	return at != NULL && stun_get_xaddr(&lastm, at, a) == 0 ? 0 : -1;
}

uint32_t
lifetime(void)
{
	const struct stun_attr *at = stun_find(&lastm, STUN_ATTR_LIFETIME);
	uint32_t v = 0xFFFFFFFF;

	if (at != NULL)
		stun_get_u32(at, &v);
	return v;
}

int
allocate(struct env *e, struct client *c, struct maddr *relay)
{
	struct attrs as = { 0 };
	int code;

	A_udp(&as);
	code = req(e, c, STUN_ALLOCATE, &as);
	if (code == 0 && relay != NULL)
		relayed(relay, 0);
	return code;
}

/* Refresh with LIFETIME 0: the allocation is deleted. */
int
dealloc(struct env *e, struct client *c)
{
	struct attrs as = { 0 };

	A_u32(&as, STUN_ATTR_LIFETIME, 0);
	return req(e, c, STUN_REFRESH, &as);
}

int
permit(struct env *e, struct client *c, const struct maddr *peer)
{
	struct attrs as = { 0 };

	A_peer_addr(&as, peer);
	return req(e, c, STUN_CREATE_PERMISSION, &as);
}

int
chanbind(struct env *e, struct client *c, uint16_t num, const struct maddr *p)
{
	struct attrs as = { 0 };

	A_u32(&as, STUN_ATTR_CHANNEL_NUMBER, (uint32_t)num << 16);
	A_peer_addr(&as, p);
	return req(e, c, STUN_CHANNEL_BIND, &as);
}

/* A Send indication. */
void
send_ind(struct env *e, struct client *c, const struct maddr *peer,
    const char *data)
{
	struct attrs as = { 0 };
	uint8_t buf[2048];
	size_t len;
	int save = c->noauth;

	A_peer_addr(&as, peer);
	A_raw(&as, STUN_ATTR_DATA, data, strlen(data));
	c->noauth = 1;
	len = build(c, STUN_SEND, STUN_INDICATION, &as, buf, sizeof(buf), 1);
	c->noauth = save;
	turn_handle_client(e->ctx, &c->t, buf, len);
}

void
chan_data(struct env *e, struct client *c, uint16_t num, const char *data,
    int extra_len, int pad)
{
	uint8_t buf[600];
	size_t n = strlen(data);
	struct wr w;

	wr_init(&w, buf, sizeof(buf));
	wr_u16(&w, num);
	wr_u16(&w, (uint16_t)(n + extra_len));
	wr_bytes(&w, data, n);
	wr_zero(&w, pad);
	turn_handle_client(e->ctx, &c->t, buf, w.len);
}

struct fake_sock *
sock_of(struct env *e, const struct maddr *relay)
{
	return fake_io_sock(&e->io, relay);
}

/* Peer data arriving at a relayed address. */
void
from_peer(struct env *e, const struct maddr *relay, const char *ip, int port,
    const char *data)
{
	struct fake_sock *fs = sock_of(e, relay);
	struct maddr p;

	if (fs == NULL)
		return;
	addr_parse(ip, &p);
	p.port = (uint16_t)port;
	turn_handle_peer(e->ctx, fs->tr, &p, (const uint8_t *)data,
	    strlen(data));
}

/*
 * What the client got last as relayed data: 1 and the peer and data of a
 * Data indication, 2 and the channel of ChannelData, 0 for nothing.
 */
int
got_data(struct env *e, struct client *c, struct maddr *peer, char *data,
    size_t cap, uint16_t *chan)
{
	struct stun_msg m;
	const struct stun_attr *d, *p;
	struct rd r;
	const uint8_t *v;
	int i;

	for (i = e->io.nout - 1; i >= 0; i--) {
		struct fake_sent *s = &e->io.out[i];

		if (!addr_eq(&s->t.client, &c->t.client))
			continue;
		if (s->len >= 4 && s->b[0] >= 0x40 && s->b[0] <= 0x7f) {
			uint16_t n;

			rd_init(&r, s->b, s->len);
			*chan = rd_u16(&r);
			n = rd_u16(&r);
			if (rd_bytes(&r, &v, n) != 0 || n >= cap)
				return -1;
			memcpy(data, v, n);
			data[n] = '\0';
			return 2;
		}
		if (stun_parse(&m, s->b, s->len) != STUN_OK ||
		    m.method != STUN_DATA || m.cls != STUN_INDICATION ||
		    (d = stun_find(&m, STUN_ATTR_DATA)) == NULL ||
		    (p = stun_find(&m, STUN_ATTR_XOR_PEER_ADDRESS)) == NULL ||
		    d->len >= cap || stun_get_xaddr(&m, p, peer) != 0)
			return -1;
		memcpy(data, d->val, d->len);
		data[d->len] = '\0';
		return 1;
	}
	return 0;
}

int
err_has(uint16_t type)
{
	return stun_find(&lastm, type) != NULL;
}

int
has_mi(void)
{
	return lastm.mi.type != 0 || lastm.mi256.type != 0;
}

int
mi_ok(struct client *c)
{
	uint8_t key[LTKEY_LEN];

	ltkey_make(c->user, strlen(c->user), REALM, strlen(REALM), c->pass,
	    strlen(c->pass), key);
	if (lastm.mi256.type != 0)
		return stun_check_mi256(&lastm, key, LTKEY_LEN) == 0;
	return stun_check_mi(&lastm, key, LTKEY_LEN) == 0;
}
