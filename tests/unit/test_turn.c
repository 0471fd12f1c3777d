/*
 * test_turn.c - the TURN protocol logic of relay/turn.h driven directly:
 * Binding, the long-term credential flow with stateless nonces, Allocate,
 * Refresh, CreatePermission, ChannelBind, Send/Data, ChannelData, every
 * error response, quotas, max-bps, expiry, internal delivery between our
 * own allocations and the pair-permissions hook, and two contexts sharing
 * one state as relay-threads runs them (quotas, ports, reservations,
 * nonces, hand-off between loops, the hook across loops).  Test names
 * carry the IDs of shared/reference/turn-conformance.md.
 *
 * The transport is a recorder: what the protocol sends to clients and
 * peers is kept for inspection, and relayed "sockets" are entries in a
 * table (a port can be made busy).
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/cred.h"
#include "auth/ltkey.h"
#include "common/config.h"
#include "relay/relay_int.h"
#include "relay/stun_codec.h"
#include "relay/turn.h"
#include "tests/tap.h"

#define SECRET		"unit-test-secret-1"
#define SECRET2		"older-test-secret-2"
#define REALM		"unit.test"
#define MAXOUT		32

struct sent {
	struct turn_tuple	 t;
	uint8_t			 b[2048];
	size_t			 len;
};

struct fsock {
	struct maddr		 addr;
	struct turn_relayed	*tr;
	int			 open;
	int			 df;
};

struct env {
	struct config		*cfg;
	struct turn_ctx		*ctx;
	struct metrics		 m;
	struct sent		 out[MAXOUT];
	int			 nout;
	struct sent		 peer[MAXOUT];	/* t.client = peer, t.server =
						   relayed address */
	int			 npeer;
	struct fsock		 socks[128];
	int			 nsocks;
	int			 opens;
	int			 busy_port;
	int			 banned;
	int			 events[8];
	int			 hook_allow;
	int			 hook_calls;
	char			 hook_a[CRED_USER_MAX];
	char			 hook_b[CRED_USER_MAX];
	int			 unpair_in_hook;	/* see hook() */
	char			 deny_asker[CRED_USER_MAX];
	uint64_t		 now;
	long long		 wall;
	struct env		*other;		/* the loop handed to */
	int			 handoffs;
	int			 detached;	/* relay_detach calls */
	int			 detached_fd;	/* the last one's */
	int			 adopted;	/* relay_adopt calls */
	int			 adopted_fd;	/* the last one's */
};

/* Contexts made while this is set have relay_detach and relay_adopt. */
static int fake_detach;

/* ------------------------------------------------------------------ */
/* The recording transport. */

static void
io_to_client(void *arg, const struct turn_tuple *t, const struct iovec *iov,
    int n)
{
	struct env *e = arg;
	struct sent *s;
	int i;

	if (e->nout == MAXOUT)
		return;
	s = &e->out[e->nout++];
	s->t = *t;
	s->len = 0;
	for (i = 0; i < n; i++) {
		if (s->len + iov[i].iov_len > sizeof(s->b))
			return;
		memcpy(s->b + s->len, iov[i].iov_base, iov[i].iov_len);
		s->len += iov[i].iov_len;
	}
}

static void
io_to_peer(void *arg, void *sock, const struct maddr *peer, const uint8_t *p,
    size_t len)
{
	struct env *e = arg;
	struct fsock *fs = sock;
	struct sent *s;

	if (e->npeer == MAXOUT || len > sizeof(s->b))
		return;
	s = &e->peer[e->npeer++];
	memset(&s->t, 0, sizeof(s->t));
	s->t.client = *peer;
	s->t.server = fs->addr;
	memcpy(s->b, p, len);
	s->len = len;
}

static int
io_rsock_open(void *arg, const struct maddr *addr, int df,
    struct turn_relayed *tr, void **sock)
{
	struct env *e = arg;
	struct fsock *fs;
	int i;

	if (addr->port == e->busy_port)
		return -1;
	for (i = 0; i < e->nsocks; i++)
		if (e->socks[i].open && addr_eq(&e->socks[i].addr, addr))
			return -1;
	if (e->nsocks == 128)
		return -1;
	fs = &e->socks[e->nsocks++];
	fs->addr = *addr;
	fs->tr = tr;
	fs->open = 1;
	fs->df = df;
	e->opens++;
	*sock = fs;
	return 0;
}

static void
io_rsock_close(void *arg, void *sock)
{
	struct fsock *fs = sock;

	fs->open = 0;
}

/* A reserved port's socket leaves the loop: a real descriptor stands for
 * it, so that its life (kept, handed over, closed) can be followed. */
static int
io_rsock_detach(void *arg, void *sock)
{
	struct env *e = arg;
	struct fsock *fs = sock;

	fs->open = 0;
	e->detached++;
	e->detached_fd = socket(AF_INET, SOCK_DGRAM, 0);
	return e->detached_fd;
}

static int
io_rsock_adopt(void *arg, int fd, const struct maddr *addr, int df,
    struct turn_relayed *tr, void **sock)
{
	struct env *e = arg;

	e->adopted++;
	e->adopted_fd = fd;
	close(fd);
	return io_rsock_open(arg, addr, df, tr, sock);
}

static int
io_is_banned(void *arg, const struct maddr *client)
{
	struct env *e = arg;

	return e->banned;
}

static void
io_event(void *arg, enum turn_event ev, const struct maddr *client,
    const char *user, size_t ulen, const char *what)
{
	struct env *e = arg;

	if ((unsigned)ev < 8)
		e->events[ev]++;
}

/*
 * The pair hook: hook_allow, except for the asker deny_asker.  With
 * unpair_in_hook, the pair of the asker ends while the hook answers (as
 * when signaling's thread ends it between the answer and its use): the
 * answer given is the old one, then the asker is denied and the pairs
 * change.
 */
static int
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

static void
env_time(struct env *e, uint64_t add_ms)
{
	e->now += add_ms;
	e->wall = 1700000000 + (long long)(e->now / 1000);
	turn_set_time(e->ctx, e->now, e->wall);
}

/* Hand-off to another loop: delivered there at once. */
static void
io_handoff(void *arg, int loop, const struct turn_handoff *h,
    const uint8_t *p, size_t len)
{
	struct env *e = arg;

	e->handoffs++;
	if (e->other != NULL)
		turn_handle_handoff(e->other->ctx, h, p, len);
}

static int env_init_in(struct env *, const char *const *,
    struct turn_shared *, int);

/* A context from "key=value" pairs (NULL-terminated). */
static int
env_init(struct env *e, const char *const *kv)
{
	return env_init_in(e, kv, NULL, 0);
}

/* The same, as loop `loop` of a shared state (NULL: its own). */
static int
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
	memset(&io, 0, sizeof(io));
	io.arg = e;
	io.to_client = io_to_client;
	io.to_peer = io_to_peer;
	io.rsock_open = io_rsock_open;
	io.rsock_close = io_rsock_close;
	io.is_banned = io_is_banned;
	io.event = io_event;
	io.handoff = io_handoff;
	if (fake_detach) {
		io.rsock_detach = io_rsock_detach;
		io.rsock_adopt = io_rsock_adopt;
	}
	e->detached_fd = e->adopted_fd = -1;
	if ((e->ctx = turn_new_in(e->cfg, &io, sh, loop, err,
	    sizeof(err))) == NULL) {
		printf("# %s\n", err);
		return -1;
	}
	e->now = 1000000;
	env_time(e, 0);
	return 0;
}

/* The context's figures, as /metrics would show them. */
static struct metrics *
env_metrics(struct env *e)
{
	metrics_init(&e->m);
	turn_metrics_add(e->ctx, &e->m);
	return &e->m;
}

static void
env_free(struct env *e)
{
	turn_free(e->ctx);
	cfg_free(e->cfg);
}

/* ------------------------------------------------------------------ */
/* A client. */

struct client {
	struct turn_tuple	 t;
	char			 user[600];
	char			 pass[CRED_PASS_MAX];
	char			 nonce[128];
	enum stun_mi		 mi;
	int			 fp;
	int			 noauth;
	uint8_t			 tid[12];
};

static void
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

/* Attributes of a request. */
struct attrs {
	int		 n;
	struct {
		uint16_t	 type;
		int		 xaddr;
		struct maddr	 a;
		uint8_t		 v[600];
		size_t		 len;
	} a[20];
};

static void
A_raw(struct attrs *as, uint16_t type, const void *v, size_t len)
{
	as->a[as->n].type = type;
	as->a[as->n].xaddr = 0;
	memcpy(as->a[as->n].v, v, len);
	as->a[as->n].len = len;
	as->n++;
}

static void
A_u32(struct attrs *as, uint16_t type, uint32_t v)
{
	uint8_t b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff,
	    v & 0xff };

	A_raw(as, type, b, 4);
}

static void
A_peer(struct attrs *as, const char *ip, int port)
{
	as->a[as->n].type = STUN_ATTR_XOR_PEER_ADDRESS;
	as->a[as->n].xaddr = 1;
	addr_parse(ip, &as->a[as->n].a);
	as->a[as->n].a.port = (uint16_t)port;
	as->n++;
}

static void
A_peer_addr(struct attrs *as, const struct maddr *a)
{
	as->a[as->n].type = STUN_ATTR_XOR_PEER_ADDRESS;
	as->a[as->n].xaddr = 1;
	as->a[as->n].a = *a;
	as->n++;
}

static void
A_udp(struct attrs *as)
{
	A_raw(as, STUN_ATTR_REQUESTED_TRANSPORT, "\x11\0\0\0", 4);
}

static struct stun_msg lastm;
static struct sent lasts;

/* The answer's code: 0 success, an error code, -1 none, -2 unparsable. */
static int
answer(struct env *e, struct client *c)
{
	const struct stun_attr *ec;
	int code, i;

	for (i = 0; i < e->nout; i++) {
		if (!addr_eq(&e->out[i].t.client, &c->t.client))
			continue;
		lasts = e->out[i];
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

static size_t
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
static int
req(struct env *e, struct client *c, uint16_t method, const struct attrs *as)
{
	uint8_t buf[2048];
	const struct stun_attr *n;
	size_t len;
	int code, tries;

	for (tries = 0; tries < 2; tries++) {
		e->nout = 0;
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
static int
relayed(struct maddr *a, int nth)
{
	const struct stun_attr *at = stun_find(&lastm,
	    STUN_ATTR_XOR_RELAYED_ADDRESS);

	while (at != NULL && nth-- > 0)
		at = stun_find_next(&lastm, at);
	return at != NULL && stun_get_xaddr(&lastm, at, a) == 0 ? 0 : -1;
}

static uint32_t
lifetime(void)
{
	const struct stun_attr *at = stun_find(&lastm, STUN_ATTR_LIFETIME);
	uint32_t v = 0xFFFFFFFF;

	if (at != NULL)
		stun_get_u32(at, &v);
	return v;
}

static int
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
static int
dealloc(struct env *e, struct client *c)
{
	struct attrs as = { 0 };

	A_u32(&as, STUN_ATTR_LIFETIME, 0);
	return req(e, c, STUN_REFRESH, &as);
}

static int
permit(struct env *e, struct client *c, const struct maddr *peer)
{
	struct attrs as = { 0 };

	A_peer_addr(&as, peer);
	return req(e, c, STUN_CREATE_PERMISSION, &as);
}

static int
chanbind(struct env *e, struct client *c, uint16_t num, const struct maddr *p)
{
	struct attrs as = { 0 };

	A_u32(&as, STUN_ATTR_CHANNEL_NUMBER, (uint32_t)num << 16);
	A_peer_addr(&as, p);
	return req(e, c, STUN_CHANNEL_BIND, &as);
}

/* A Send indication. */
static void
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

static void
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

static struct fsock *
sock_of(struct env *e, const struct maddr *relay)
{
	int i;

	for (i = e->nsocks - 1; i >= 0; i--)
		if (e->socks[i].open && e->socks[i].addr.port == relay->port &&
		    e->socks[i].addr.family == relay->family)
			return &e->socks[i];
	return NULL;
}

/* Peer data arriving at a relayed address. */
static void
from_peer(struct env *e, const struct maddr *relay, const char *ip, int port,
    const char *data)
{
	struct fsock *fs = sock_of(e, relay);
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
static int
got_data(struct env *e, struct client *c, struct maddr *peer, char *data,
    size_t cap, uint16_t *chan)
{
	struct stun_msg m;
	const struct stun_attr *d, *p;
	struct rd r;
	const uint8_t *v;
	int i;

	for (i = e->nout - 1; i >= 0; i--) {
		struct sent *s = &e->out[i];

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

static int
err_has(uint16_t type)
{
	return stun_find(&lastm, type) != NULL;
}

static int
has_mi(void)
{
	return lastm.mi.type != 0 || lastm.mi256.type != 0;
}

static int
mi_ok(struct client *c)
{
	uint8_t key[LTKEY_LEN];

	ltkey_make(c->user, strlen(c->user), REALM, strlen(REALM), c->pass,
	    strlen(c->pass), key);
	if (lastm.mi256.type != 0)
		return stun_check_mi256(&lastm, key, LTKEY_LEN) == 1;
	return stun_check_mi(&lastm, key, LTKEY_LEN) == 1;
}

#define EXP	(1700000000LL + 100000)

/* ------------------------------------------------------------------ */

static void
test_binding(void)
{
	struct env e;
	struct client c;
	struct maddr a;
	struct attrs as = { 0 };
	uint8_t buf[512];
	size_t len;

	ok(env_init(&e, NULL) == 0, "context");
	client_init(&c, "192.0.2.9", 40001, SECRET, "x", EXP);
	c.noauth = 1;
	is_int(req(&e, &c, STUN_BINDING, NULL), 0, "S5: Binding without "
	    "credentials succeeds");
	ok(stun_find(&lastm, STUN_ATTR_XOR_MAPPED_ADDRESS) != NULL &&
	    stun_get_xaddr(&lastm, stun_find(&lastm,
	    STUN_ATTR_XOR_MAPPED_ADDRESS), &a) == 0 &&
	    addr_eq(&a, &c.t.client), "S5: XOR-MAPPED-ADDRESS is the client");
	ok(stun_find(&lastm, STUN_ATTR_MAPPED_ADDRESS) == NULL,
	    "S5: no MAPPED-ADDRESS");
	ok(stun_find(&lastm, STUN_ATTR_SOFTWARE) != NULL, "SOFTWARE");
	ok(lastm.fp.type == 0, "F2: no FINGERPRINT when the request had none");
	c.fp = 1;
	is_int(req(&e, &c, STUN_BINDING, NULL), 0, "Binding with FINGERPRINT");
	ok(lastm.fp.type != 0, "F2: FINGERPRINT answered with FINGERPRINT");

	client_init(&c, "2001:db8::7", 40002, SECRET, "x", EXP);
	c.noauth = 1;
	is_int(req(&e, &c, STUN_BINDING, NULL), 0, "S5: IPv6 Binding");
	ok(stun_get_xaddr(&lastm, stun_find(&lastm,
	    STUN_ATTR_XOR_MAPPED_ADDRESS), &a) == 0 &&
	    addr_eq(&a, &c.t.client), "S5: IPv6 XOR-MAPPED-ADDRESS");

	A_raw(&as, 0x7ffe, "abcd", 4);
	A_raw(&as, 0xfffe, "abcd", 4);
	is_int(req(&e, &c, STUN_BINDING, &as), 420, "S3: unknown "
	    "comprehension-required attribute: 420");
	ok(stun_find(&lastm, STUN_ATTR_UNKNOWN_ATTRIBUTES) != NULL &&
	    stun_find(&lastm, STUN_ATTR_UNKNOWN_ATTRIBUTES)->len == 2 &&
	    stun_find(&lastm, STUN_ATTR_UNKNOWN_ATTRIBUTES)->val[0] == 0x7f,
	    "S3: UNKNOWN-ATTRIBUTES lists it (not the optional one)");
	as.n = 0;
	A_raw(&as, 0xfffe, "abcd", 4);
	is_int(req(&e, &c, STUN_BINDING, &as), 0, "S3: unknown optional "
	    "attribute ignored");
	is_int(req(&e, &c, 0x0055, NULL), 400, "S4: unknown method: 400");

	e.nout = 0;
	len = build(&c, STUN_BINDING, STUN_INDICATION, NULL, buf, sizeof(buf),
	    1);
	turn_handle_client(e.ctx, &c.t, buf, len);
	len = build(&c, STUN_BINDING, STUN_SUCCESS, NULL, buf, sizeof(buf), 1);
	turn_handle_client(e.ctx, &c.t, buf, len);
	is_int(e.nout, 0, "S2: indications and responses are not answered");
	len = build(&c, STUN_BINDING, STUN_REQUEST, NULL, buf, sizeof(buf), 1);
	buf[5] ^= 1;
	turn_handle_client(e.ctx, &c.t, buf, len);
	turn_handle_client(e.ctx, &c.t, buf, 10);
	turn_handle_client(e.ctx, &c.t, (const uint8_t *)"\x80\0\0\0", 4);
	turn_handle_client(e.ctx, &c.t, buf, 0);
	is_int(e.nout, 0, "S1: malformed messages are dropped");
	env_free(&e);
}

static void
test_auth(void)
{
	static const char *const two[] = { "auth-secret", SECRET,
	    "auth-secret", SECRET2, NULL };
	struct env e;
	struct client c, c2;
	struct attrs as = { 0 };
	char old[128];
	int i;

	ok(env_init(&e, two) == 0, "context with two secrets");
	client_init(&c, "192.0.2.1", 1000, SECRET, "alice", EXP);
	c.noauth = 1;
	A_udp(&as);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 401, "A2: no integrity: 401");
	ok(err_has(STUN_ATTR_REALM) && err_has(STUN_ATTR_NONCE) && !has_mi(),
	    "A2: 401 carries REALM and NONCE, no MI");
	ok(stun_find(&lastm, STUN_ATTR_REALM)->len == strlen(REALM) &&
	    memcmp(stun_find(&lastm, STUN_ATTR_REALM)->val, REALM,
	    strlen(REALM)) == 0, "A2: our realm");
	for (i = 0; i < 50; i++)
		req(&e, &c, STUN_ALLOCATE, &as);
	ok(turn_alloc_count(e.ctx) == 0 && e.opens == 0, "unauthenticated "
	    "requests create nothing");
	is_int(metrics_get(&env_metrics(&e)->turn_auth_failures_total),
	    0, "the challenge "
	    "is not a failure");

	/* A3: MI without USERNAME. */
	{
		uint8_t buf[512], key[16] = { 0 };
		struct wr w;

		e.nout = 0;
		c.tid[0]++;
		wr_init(&w, buf, sizeof(buf));
		stun_begin(&w, stun_type(STUN_ALLOCATE, STUN_REQUEST), c.tid);
		stun_put(&w, STUN_ATTR_REQUESTED_TRANSPORT, "\x11\0\0\0", 4);
		stun_end(&w, STUN_MI_SHA1, key, 16, 0);
		turn_handle_client(e.ctx, &c.t, buf, w.len);
		is_int(answer(&e, &c), 400, "A3: MI without USERNAME, REALM, "
		    "NONCE: 400");
		ok(!has_mi(), "A3: the 400 carries no MI");
	}

	c.noauth = 0;
	is_int(allocate(&e, &c, NULL), 0, "A6: the 401 dance, then success");
	ok(has_mi() && lastm.mi.type != 0 && mi_ok(&c), "A6: success "
	    "carries MESSAGE-INTEGRITY with the long-term key");
	is_int(turn_alloc_count(e.ctx), 1, "one allocation");

	/* A4: a stale nonce gives 438 and a fresh one. */
	strlcpy(old, c.nonce, sizeof(old));
	env_time(&e, 601 * 1000);
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 600);
	{
		int save = 0;

		e.nout = 0;
		/* One try, without the retry of req(). */
		{
			uint8_t buf[1024];
			size_t len = build(&c, STUN_REFRESH, STUN_REQUEST, &as,
			    buf, sizeof(buf), 1);

			turn_handle_client(e.ctx, &c.t, buf, len);
			save = answer(&e, &c);
		}
		is_int(save, 438, "A4: stale nonce: 438");
		ok(err_has(STUN_ATTR_NONCE) && err_has(STUN_ATTR_REALM) &&
		    !has_mi(), "A4: 438 with NONCE and REALM, no MI");
	}
	c.nonce[0] = '\0';
	is_int(req(&e, &c, STUN_REFRESH, &as), 0, "A4: retry with the fresh "
	    "nonce succeeds");
	strlcpy(c.nonce, "0123456789abcdef0123456789abcdef", sizeof(c.nonce));
	{
		uint8_t buf[1024];
		size_t len = build(&c, STUN_REFRESH, STUN_REQUEST, &as, buf,
		    sizeof(buf), 1);

		e.nout = 0;
		turn_handle_client(e.ctx, &c.t, buf, len);
		is_int(answer(&e, &c), 438, "A4: a forged nonce: 438");
	}
	/* A nonce from another address is worthless. */
	client_init(&c2, "192.0.2.2", 1000, SECRET, "bob", EXP);
	c.nonce[0] = '\0';
	req(&e, &c, STUN_REFRESH, &as);
	strlcpy(c2.nonce, c.nonce, sizeof(c2.nonce));
	{
		uint8_t buf[1024];
		size_t len;

		len = build(&c2, STUN_ALLOCATE, STUN_REQUEST, NULL, buf,
		    sizeof(buf), 1);
		e.nout = 0;
		turn_handle_client(e.ctx, &c2.t, buf, len);
		is_int(answer(&e, &c2), 438, "A4: another client's nonce: 438");
	}

	/* A5 / R2: wrong password, expired, other secret, malformed. */
	client_init(&c2, "192.0.2.3", 1000, SECRET, "bob", EXP);
	strlcpy(c2.pass, "not-the-password", sizeof(c2.pass));
	as.n = 0;
	A_udp(&as);
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 401, "A5: wrong password: "
	    "401");
	ok(err_has(STUN_ATTR_REALM) && err_has(STUN_ATTR_NONCE) && !has_mi(),
	    "A5: 401 with REALM and NONCE");
	is_int(metrics_get(&env_metrics(&e)->turn_auth_failures_total),
	    1, "A5: counted");
	is_int(e.events[TURN_EV_AUTH_FAILED], 1, "A5: security event");

	client_init(&c2, "192.0.2.3", 1001, SECRET, "bob", e.wall - 1);
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 401, "R2: expired username: "
	    "401");
	is_int(e.events[TURN_EV_AUTH_EXPIRED], 1, "R2: security event");
	client_init(&c2, "192.0.2.3", 1002, "some-other-secret-3", "bob", EXP);
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 401, "R3: a credential of "
	    "another secret: 401");
	client_init(&c2, "192.0.2.3", 1003, SECRET, "bob", EXP);
	strlcpy(c2.user, "bob", sizeof(c2.user));
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 401, "R1: username not "
	    "EXPIRY[:ID]: 401");
	is_int(e.events[TURN_EV_AUTH_MALFORMED], 1, "R1: security event");
	is_int(metrics_get(&env_metrics(&e)->turn_auth_failures_total),
	    4, "every failure "
	    "counted");
	/* A9: a USERNAME over 513 bytes: 400. */
	client_init(&c2, "192.0.2.3", 1004, SECRET, "bob", EXP);
	memset(c2.user, '1', 514);
	c2.user[514] = '\0';
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 400, "A9: USERNAME of 514 "
	    "bytes: 400");

	/* R3: rotation, both secrets verify. */
	client_init(&c2, "192.0.2.4", 1000, SECRET2, "carol", EXP);
	is_int(allocate(&e, &c2, NULL), 0, "R3: the second secret verifies");
	ok(mi_ok(&c2), "R3: answered with its key");
	client_init(&c2, "192.0.2.4", 1001, SECRET, "carol", EXP);
	is_int(allocate(&e, &c2, NULL), 0, "R3: the first secret verifies");

	/* A6 in kind: MI-SHA256. */
	client_init(&c2, "192.0.2.5", 1000, SECRET, "dave", EXP);
	c2.mi = STUN_MI_SHA256;
	is_int(allocate(&e, &c2, NULL), 0, "F4: MESSAGE-INTEGRITY-SHA256 "
	    "request");
	ok(lastm.mi256.type != 0 && lastm.mi.type == 0 && mi_ok(&c2),
	    "A6: answered in kind with MESSAGE-INTEGRITY-SHA256");
	c2.fp = 1;
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 700);
	is_int(req(&e, &c2, STUN_REFRESH, &as), 0, "MI-SHA256 and FINGERPRINT");
	ok(lastm.fp.type != 0 && mi_ok(&c2), "answered with both");

	/* A10: another valid username on an allocation's 5-tuple: 441. */
	client_init(&c2, "192.0.2.1", 1000, SECRET, "mallory", EXP);
	as.n = 0;
	A_peer(&as, "198.51.100.1", 9);
	is_int(req(&e, &c2, STUN_CREATE_PERMISSION, &as), 441, "A10: other "
	    "credentials on the 5-tuple: 441");
	ok(mi_ok(&c2), "A10: the 441 is integrity-protected");

	/* R4: an expired credential keeps refreshing its allocation (the
	 * expiry is checked when an allocation is made). */
	client_init(&c2, "192.0.2.6", 1000, SECRET, "erin", e.wall + 10);
	is_int(allocate(&e, &c2, NULL), 0, "R4: allocate before expiry");
	env_time(&e, 20 * 1000);
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 600);
	c2.nonce[0] = '\0';
	is_int(req(&e, &c2, STUN_REFRESH, &as), 0, "R4: refresh after the "
	    "username expired");
	c2.t.client.port++;
	is_int(allocate(&e, &c2, NULL), 401, "R2: no new allocation with it");
	(void)old;
	env_free(&e);
}

static void
test_allocate(void)
{
	static const char *const dual[] = { "listen", "127.0.0.1",
	    "listen", "::1", NULL };
	struct env e;
	struct client c, c2;
	struct attrs as = { 0 };
	struct maddr r, r2, m;
	uint8_t token[8];
	uint8_t tid[12];
	char ip[64];

	ok(env_init(&e, NULL) == 0, "context (IPv4 only)");
	client_init(&c, "192.0.2.1", 2000, SECRET, "a", EXP);
	is_int(allocate(&e, &c, &r), 0, "T12: Allocate succeeds");
	ok(r.family == AF_INET && r.port >= 50000 && r.port <= 50099 &&
	    strcmp(addr_ntop(&r, ip, sizeof(ip)), "127.0.0.1") == 0,
	    "T12/T13: relayed address on the relay IP, port in the range");
	is_int(lifetime(), 600, "T12: default lifetime 600");
	ok(stun_get_xaddr(&lastm, stun_find(&lastm,
	    STUN_ATTR_XOR_MAPPED_ADDRESS), &m) == 0 && addr_eq(&m, &c.t.client),
	    "T12: XOR-MAPPED-ADDRESS");
	is_int(metrics_get(&env_metrics(&e)->turn_allocations),
	    1, "gauge 1");
	is_int(metrics_get(&env_metrics(&e)->turn_allocations_total),
	    1, "total 1");

	/* T2: the same transaction again: the same answer; another: 437. */
	memcpy(tid, c.tid, 12);
	{
		uint8_t buf[1024];
		size_t len;

		A_udp(&as);
		len = build(&c, STUN_ALLOCATE, STUN_REQUEST, &as, buf,
		    sizeof(buf), 0);
		e.nout = 0;
		turn_handle_client(e.ctx, &c.t, buf, len);
		ok(answer(&e, &c) == 0 && relayed(&r2, 0) == 0 &&
		    addr_eq(&r, &r2), "T2: a retransmitted Allocate gets the "
		    "same success");
	}
	is_int(allocate(&e, &c, NULL), 437, "T2: a new Allocate on the "
	    "5-tuple: 437");
	ok(mi_ok(&c), "A6: the 437 is integrity-protected");
	is_int(turn_alloc_count(e.ctx), 1, "still one allocation");

	client_init(&c, "192.0.2.1", 2001, SECRET, "a", EXP);
	as.n = 0;
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T3: no "
	    "REQUESTED-TRANSPORT: 400");
	A_raw(&as, STUN_ATTR_REQUESTED_TRANSPORT, "\x06\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 442, "T3: TCP over UDP: 442");
	as.n = 0;
	A_raw(&as, STUN_ATTR_REQUESTED_TRANSPORT, "\x11\0\0", 3);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T3: malformed "
	    "REQUESTED-TRANSPORT: 400");

	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, "12345678", 8);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x00", 1);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T5: RESERVATION-TOKEN "
	    "with EVEN-PORT: 400");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, "12345678", 8);
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x01\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T5: RESERVATION-TOKEN "
	    "with REQUESTED-ADDRESS-FAMILY: 400");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, "12345678", 8);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 508, "T5: unknown "
	    "RESERVATION-TOKEN: 508");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x01\0\0\0", 4);
	A_raw(&as, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T6: both address "
	    "family attributes: 400");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 440, "T7: IPv6 without an "
	    "IPv6 relay: 440");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x03\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 440, "T7: unknown family: 440");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x80", 1);
	A_raw(&as, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T8: EVEN-PORT R=1 with "
	    "ADDITIONAL-ADDRESS-FAMILY: 400");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, "\x01\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T9: "
	    "ADDITIONAL-ADDRESS-FAMILY IPv4: 400");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, 0x0030, "x", 1);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 420, "S3: unknown attribute "
	    "in Allocate: 420");
	ok(mi_ok(&c) && err_has(STUN_ATTR_UNKNOWN_ATTRIBUTES), "S3/A6: 420 "
	    "with UNKNOWN-ATTRIBUTES, integrity-protected");
	is_int(turn_alloc_count(e.ctx), 1, "refused Allocates create nothing");

	/* T9 with one family: IPv4 and ADDRESS-ERROR-CODE 440 for IPv6. */
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T9: dual request with "
	    "IPv4 only succeeds");
	ok(relayed(&r2, 0) == 0 && r2.family == AF_INET &&
	    relayed(&r2, 1) != 0, "T9: one relayed address");
	ok(err_has(STUN_ATTR_ADDRESS_ERROR_CODE) &&
	    stun_find(&lastm, STUN_ATTR_ADDRESS_ERROR_CODE)->val[0] == 2 &&
	    stun_find(&lastm, STUN_ATTR_ADDRESS_ERROR_CODE)->val[2] == 4 &&
	    stun_find(&lastm, STUN_ATTR_ADDRESS_ERROR_CODE)->val[3] == 40,
	    "T9: ADDRESS-ERROR-CODE 440 for IPv6");

	/* T12: lifetimes. */
	client_init(&c, "192.0.2.1", 2002, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_u32(&as, STUN_ATTR_LIFETIME, 100);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T12: LIFETIME 100");
	is_int(lifetime(), 600, "T12: raised to the default");
	client_init(&c, "192.0.2.1", 2003, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_u32(&as, STUN_ATTR_LIFETIME, 1000000);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T12: LIFETIME 1000000");
	is_int(lifetime(), 3600, "T12: capped by max-allocate-lifetime");
	client_init(&c, "192.0.2.1", 2004, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_u32(&as, STUN_ATTR_LIFETIME, 1200);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T12: LIFETIME 1200");
	is_int(lifetime(), 1200, "T12: granted");

	/* T13: EVEN-PORT, and R=1 with its token. */
	client_init(&c, "192.0.2.1", 2005, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x00", 1);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T13: EVEN-PORT");
	ok(relayed(&r2, 0) == 0 && (r2.port & 1) == 0, "T13: an even port");
	client_init(&c, "192.0.2.1", 2006, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x80", 1);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T13: EVEN-PORT R=1");
	ok(relayed(&r2, 0) == 0 && (r2.port & 1) == 0 &&
	    err_has(STUN_ATTR_RESERVATION_TOKEN) &&
	    stun_find(&lastm, STUN_ATTR_RESERVATION_TOKEN)->len == 8,
	    "T13: even port and an 8-byte RESERVATION-TOKEN");
	memcpy(token, stun_find(&lastm, STUN_ATTR_RESERVATION_TOKEN)->val, 8);
	client_init(&c2, "192.0.2.2", 2006, SECRET, "b", EXP);
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, token, 8);
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 0, "T13: Allocate with the "
	    "token");
	ok(relayed(&r, 0) == 0 && r.port == r2.port + 1, "T13: gets the port "
	    "above");
	client_init(&c2, "192.0.2.2", 2007, SECRET, "b", EXP);
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 508, "T5: a used token: 508");

	/* T4: DONT-FRAGMENT is supported and reaches the socket. */
	client_init(&c, "192.0.2.1", 2008, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_DONT_FRAGMENT, "", 0);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T4: DONT-FRAGMENT "
	    "accepted");
	ok(relayed(&r, 0) == 0 && sock_of(&e, &r) != NULL &&
	    sock_of(&e, &r)->df, "T4: the relayed socket sets DF");

	/* 403 for a banned client. */
	e.banned = 1;
	client_init(&c, "192.0.2.1", 2009, SECRET, "a", EXP);
	is_int(allocate(&e, &c, NULL), 403, "a banned client: 403");
	is_int(e.events[TURN_EV_BANNED], 1, "a banned client: security event");
	e.banned = 0;
	env_free(&e);

	/* Both families: IPv4 by default even over IPv6 (T7), dual (T9). */
	ok(env_init(&e, dual) == 0, "context with IPv4 and IPv6");
	client_init(&c, "::1", 3000, SECRET, "a", EXP);
	is_int(allocate(&e, &c, &r), 0, "T7: a client over IPv6, no family "
	    "asked");
	is_int(r.family, AF_INET, "T7: gets an IPv4 relay (RFC default)");
	client_init(&c, "::1", 3001, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T7: IPv6 requested");
	ok(relayed(&r, 0) == 0 && r.family == AF_INET6 &&
	    strcmp(addr_ntop(&r, ip, sizeof(ip)), "::1") == 0,
	    "T7: IPv6 relay on the IPv6 listen address");
	client_init(&c, "127.0.0.1", 3002, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T9: dual allocation");
	ok(relayed(&r, 0) == 0 && relayed(&r2, 1) == 0 &&
	    r.family == AF_INET && r2.family == AF_INET6 &&
	    !err_has(STUN_ATTR_ADDRESS_ERROR_CODE), "T9: two relayed "
	    "addresses, IPv4 and IPv6");
	/* T22: Refresh asking for a family the allocation lacks. */
	client_init(&c, "::1", 3000, SECRET, "a", EXP);
	as.n = 0;
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_REFRESH, &as), 443, "T22: Refresh with "
	    "another family: 443");
	as.n = 0;
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x01\0\0\0", 4);
	is_int(req(&e, &c, STUN_REFRESH, &as), 0, "T22: with its family: "
	    "success");
	env_free(&e);
}

static void
test_quota(void)
{
	static const char *const q[] = { "user-quota", "2", "ip-quota", "3",
	    NULL };
	static const char *const tq[] = { "total-quota", "1", NULL };
	static const char *const narrow[] = { "min-port", "50000",
	    "max-port", "50000", NULL };
	struct env e;
	struct client c;
	struct maddr r;

	ok(env_init(&e, q) == 0, "context with quotas");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	is_int(allocate(&e, &c, NULL), 0, "user-quota: 1st");
	c.t.client.port = 2;
	is_int(allocate(&e, &c, NULL), 0, "user-quota: 2nd");
	c.t.client.port = 3;
	is_int(allocate(&e, &c, NULL), 486, "T10: user-quota: 3rd gets 486");
	ok(mi_ok(&c), "T10: the 486 is integrity-protected");
	client_init(&c, "192.0.2.1", 4, SECRET, "b", EXP);
	is_int(allocate(&e, &c, NULL), 0, "ip-quota: 3rd from the address");
	c.t.client.port = 5;
	is_int(allocate(&e, &c, NULL), 486, "ip-quota: 4th gets 486");
	client_init(&c, "192.0.2.2", 5, SECRET, "b", EXP);
	is_int(allocate(&e, &c, NULL), 0, "another address is not counted");
	/* Deleting one frees its place. */
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	is_int(dealloc(&e, &c), 0, "T21: delete one");
	c.t.client.port = 6;
	is_int(allocate(&e, &c, NULL), 0, "its place is free again");
	env_free(&e);

	ok(env_init(&e, tq) == 0, "context with total-quota 1");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	is_int(allocate(&e, &c, NULL), 0, "total-quota: 1st");
	client_init(&c, "192.0.2.9", 1, SECRET, "z", EXP);
	is_int(allocate(&e, &c, NULL), 508, "total-quota: 2nd gets 508");
	env_free(&e);

	ok(env_init(&e, narrow) == 0, "context with one relay port");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	e.busy_port = 50000;
	is_int(allocate(&e, &c, NULL), 508, "T8: no free port: 508");
	e.busy_port = 0;
	is_int(allocate(&e, &c, &r), 0, "the port is free again");
	is_int(r.port, 50000, "and used");
	client_init(&c, "192.0.2.1", 2, SECRET, "a", EXP);
	is_int(allocate(&e, &c, NULL), 508, "the range is full: 508");
	env_free(&e);
}

static void
test_refresh_expiry(void)
{
	struct env e;
	struct client c;
	struct attrs as = { 0 };
	struct maddr r;

	ok(env_init(&e, NULL) == 0, "context");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	A_u32(&as, STUN_ATTR_LIFETIME, 600);
	is_int(req(&e, &c, STUN_REFRESH, &as), 437, "T20: Refresh without an "
	    "allocation: 437");
	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 437,
	    "CreatePermission without an allocation: 437");
	is_int(allocate(&e, &c, &r), 0, "allocate");
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 1800);
	is_int(req(&e, &c, STUN_REFRESH, &as), 0, "Refresh 1800");
	is_int(lifetime(), 1800, "T21: LIFETIME 1800");
	ok(mi_ok(&c), "integrity");
	env_time(&e, 1799 * 1000);
	turn_tick(e.ctx);
	is_int(turn_alloc_count(e.ctx), 1, "alive before its lifetime ends");
	env_time(&e, 2 * 1000);
	turn_tick(e.ctx);
	is_int(turn_alloc_count(e.ctx), 0, "T23: expired on the tick");
	ok(sock_of(&e, &r) == NULL, "T23: its port is closed");
	is_int(metrics_get(&env_metrics(&e)->turn_allocations),
	    0, "gauge back to 0");

	c.nonce[0] = '\0';
	is_int(allocate(&e, &c, &r), 0, "allocate again");
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 0);
	is_int(req(&e, &c, STUN_REFRESH, &as), 0, "T21: LIFETIME 0");
	is_int(lifetime(), 0, "T21: answered with LIFETIME 0");
	ok(mi_ok(&c), "T21: integrity-protected");
	is_int(turn_alloc_count(e.ctx), 0, "T21: deleted at once");
	ok(sock_of(&e, &r) == NULL, "T21: port closed");
	is_int(req(&e, &c, STUN_REFRESH, &as), 437, "T20: again: 437");
	env_free(&e);
}

static void
test_permissions(void)
{
	static const char *const allow[] = { "allowed-peer-ip", "127.0.0.2",
	    NULL };
	struct env e;
	struct client c;
	struct attrs as = { 0 };
	struct maddr r, p, got;
	char data[256];
	uint16_t ch;
	int i;

	ok(env_init(&e, allow) == 0, "context with 127.0.0.2 allowed");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	is_int(allocate(&e, &c, &r), 0, "allocate");

	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 400, "T31: no "
	    "XOR-PEER-ADDRESS: 400");
	A_peer(&as, "2001:db8::1", 5);
	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 443, "T31: IPv6 peer "
	    "on an IPv4 allocation: 443");
	as.n = 0;
	A_peer(&as, "10.1.2.3", 5);
	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 403, "T31: a denied "
	    "peer: 403");
	ok(mi_ok(&c), "the 403 is integrity-protected");
	is_int(metrics_get(&env_metrics(&e)->turn_peer_denied_total),
	    1, "peer denied "
	    "counted");
	is_int(e.events[TURN_EV_PEER_DENIED], 1, "peer denied: security "
	    "event");
	as.n = 0;
	A_peer(&as, "127.0.0.2", 7000);
	A_peer(&as, "192.168.1.1", 7000);
	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 403, "T31: one "
	    "denied among several: 403");
	e.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "nope");
	is_int(e.nout, 0, "T31: all or nothing: the allowed one was not "
	    "installed");
	as.n = 0;
	A_raw(&as, STUN_ATTR_XOR_PEER_ADDRESS, "\x00\x01\x00", 3);
	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 400, "a malformed "
	    "XOR-PEER-ADDRESS: 400");

	/* T32, T40: nothing moves without a permission. */
	addr_parse("127.0.0.2", &p);
	p.port = 7000;
	e.npeer = 0;
	e.nout = 0;
	send_ind(&e, &c, &p, "hello");
	is_int(e.npeer, 0, "T40: Send without a permission is dropped");
	is_int(e.nout, 0, "T40: and never answered");
	e.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "hi");
	is_int(e.nout, 0, "T32: peer data without a permission is dropped");

	is_int(permit(&e, &c, &p), 0, "CreatePermission 127.0.0.2:7000");
	ok(mi_ok(&c), "integrity");
	e.npeer = 0;
	e.nout = 0;
	send_ind(&e, &c, &p, "hello");
	ok(e.npeer == 1 && e.peer[0].len == 5 &&
	    memcmp(e.peer[0].b, "hello", 5) == 0 &&
	    addr_eq(&e.peer[0].t.client, &p) &&
	    e.peer[0].t.server.port == r.port, "T41: Send relayed as one "
	    "datagram from the relayed address");
	is_int(e.nout, 0, "T40: Send is not answered");
	e.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "world");
	ok(got_data(&e, &c, &got, data, sizeof(data), &ch) == 1 &&
	    addr_eq(&got, &p) && strcmp(data, "world") == 0, "T42: peer data "
	    "as a Data indication with XOR-PEER-ADDRESS and DATA");
	e.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7001, "other port");
	ok(got_data(&e, &c, &got, data, sizeof(data), &ch) == 1 &&
	    got.port == 7001, "T30: the permission is for the IP, any port");
	is_int(metrics_get(&env_metrics(&e)->turn_relayed_packets_to_peer),
	    1, "packets "
	    "to peer counted");
	is_int(metrics_get(&env_metrics(&e)->turn_relayed_bytes_to_client),
	    15, "bytes "
	    "to client counted");

	/* Send: missing DATA, unknown attribute: dropped. */
	{
		struct attrs s = { 0 };
		uint8_t buf[512];
		size_t len;

		A_peer_addr(&s, &p);
		c.noauth = 1;
		len = build(&c, STUN_SEND, STUN_INDICATION, &s, buf,
		    sizeof(buf), 1);
		e.npeer = 0;
		turn_handle_client(e.ctx, &c.t, buf, len);
		is_int(e.npeer, 0, "T40: Send without DATA dropped");
		A_raw(&s, STUN_ATTR_DATA, "x", 1);
		A_raw(&s, 0x0031, "x", 1);
		len = build(&c, STUN_SEND, STUN_INDICATION, &s, buf,
		    sizeof(buf), 1);
		turn_handle_client(e.ctx, &c.t, buf, len);
		is_int(e.npeer, 0, "Send with an unknown required attribute "
		    "dropped");
		c.noauth = 0;
	}
	/* Send to a denied peer: dropped, counted. */
	{
		struct maddr d;

		addr_parse("192.168.0.1", &d);
		d.port = 1;
		e.npeer = 0;
		send_ind(&e, &c, &d, "x");
		is_int(e.npeer, 0, "Send to a denied peer dropped");
		is_int(metrics_get(&env_metrics(&e)->turn_peer_denied_total),
	    3,
		    "and counted");
	}

	/* Permission lifetime 300 s, refreshed by CreatePermission. */
	env_time(&e, 299 * 1000);
	e.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "x");
	is_int(e.nout, 1, "T30: the permission holds for 300 s");
	env_time(&e, 2 * 1000);
	turn_tick(e.ctx);
	e.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "x");
	is_int(e.nout, 0, "T30: and expires after");
	c.nonce[0] = '\0';
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 600);
	req(&e, &c, STUN_REFRESH, &as);

	/* T33: a cap on permissions: all or nothing. */
	as.n = 0;
	for (i = 0; i < TURN_MAX_PERMS + 1; i++)
		A_peer(&as, "127.0.0.2", 1);
	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 508, "T33: more "
	    "peers than the cap in one request: 508");
	{
		char ip[32];

		for (i = 0; i < TURN_MAX_PERMS; i++) {
			snprintf(ip, sizeof(ip), "198.51.100.%d", i + 1);
			as.n = 0;
			A_peer(&as, ip, 1);
			if (req(&e, &c, STUN_CREATE_PERMISSION, &as) != 0)
				break;
		}
		is_int(i, TURN_MAX_PERMS, "T33: %d permissions",
		    TURN_MAX_PERMS);
		as.n = 0;
		A_peer(&as, "198.51.100.200", 1);
		is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 508,
		    "T33: one more: 508");
		as.n = 0;
		A_peer(&as, "198.51.100.1", 1);
		is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 0,
		    "T33: refreshing an existing one still works");
	}
	env_free(&e);
}

static void
test_channels(void)
{
	static const char *const allow[] = { "allowed-peer-ip", "127.0.0.2",
	    NULL };
	struct env e;
	struct client c;
	struct attrs as = { 0 };
	struct maddr r, p, p2, p6, got;
	char data[256];
	uint16_t ch;

	ok(env_init(&e, allow) == 0, "context");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	is_int(allocate(&e, &c, &r), 0, "allocate");
	addr_parse("127.0.0.2", &p);
	p.port = 7000;
	p2 = p;
	p2.port = 7002;
	addr_parse("2001:db8::1", &p6);
	p6.port = 1;

	is_int(chanbind(&e, &c, 0x3FFF, &p), 400, "T50: channel 0x3FFF: 400");
	is_int(chanbind(&e, &c, 0x8000, &p), 400, "T50: channel 0x8000: 400");
	is_int(chanbind(&e, &c, 0xFFFF, &p), 400, "T50: channel 0xFFFF: 400");
	A_u32(&as, STUN_ATTR_CHANNEL_NUMBER, 0x40000000);
	is_int(req(&e, &c, STUN_CHANNEL_BIND, &as), 400, "T50: no "
	    "XOR-PEER-ADDRESS: 400");
	as.n = 0;
	A_peer_addr(&as, &p);
	is_int(req(&e, &c, STUN_CHANNEL_BIND, &as), 400, "T50: no "
	    "CHANNEL-NUMBER: 400");
	is_int(chanbind(&e, &c, 0x4000, &p6), 443, "T51: family mismatch: "
	    "443");
	{
		struct maddr d;

		addr_parse("172.16.0.1", &d);
		d.port = 1;
		is_int(chanbind(&e, &c, 0x4000, &d), 403, "T51: forbidden "
		    "peer: 403");
	}
	is_int(chanbind(&e, &c, 0x4000, &p), 0, "ChannelBind 0x4000");
	ok(mi_ok(&c), "integrity");
	is_int(chanbind(&e, &c, 0x4000, &p), 0, "T51: rebinding the same pair "
	    "refreshes");
	is_int(chanbind(&e, &c, 0x4000, &p2), 400, "T51: the channel to "
	    "another peer: 400");
	is_int(chanbind(&e, &c, 0x4001, &p), 400, "T51: the peer to another "
	    "channel: 400");
	is_int(chanbind(&e, &c, 0x7FFF, &p2), 0, "channel 0x7FFF (RFC 5766's "
	    "range, which coturn 4.6 clients use) to another peer");
	e.npeer = 0;
	chan_data(&e, &c, 0x7FFF, "high", 0, 0);
	ok(e.npeer == 1 && addr_eq(&e.peer[0].t.client, &p2), "ChannelData "
	    "on 0x7FFF");

	/* T52-T54: data on the channel. */
	e.npeer = 0;
	chan_data(&e, &c, 0x4000, "chan!", 0, 0);
	ok(e.npeer == 1 && e.peer[0].len == 5 && addr_eq(&e.peer[0].t.client,
	    &p), "T53: ChannelData relayed to its peer");
	e.npeer = 0;
	chan_data(&e, &c, 0x4000, "pad", 0, 1);
	ok(e.npeer == 1 && e.peer[0].len == 3, "T53: UDP padding after the "
	    "data is accepted");
	e.npeer = 0;
	chan_data(&e, &c, 0x4002, "x", 0, 0);
	chan_data(&e, &c, 0x4000, "short", 4, 0);
	is_int(e.npeer, 0, "T53: unbound channel and length past the end "
	    "dropped");
	e.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "back");
	ok(got_data(&e, &c, &got, data, sizeof(data), &ch) == 2 &&
	    ch == 0x4000 && strcmp(data, "back") == 0, "T54: peer data on a "
	    "channel as ChannelData");
	ok(e.out[0].len == 8, "T54: ChannelData over UDP is not padded");
	e.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7005, "nochan");
	ok(got_data(&e, &c, &got, data, sizeof(data), &ch) == 1,
	    "T52: the binding installed a permission for the IP (Data "
	    "indication from another port)");

	/* Expiry: 600 s, then 300 s before rebinding elsewhere. */
	env_time(&e, 601 * 1000);
	c.nonce[0] = '\0';
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 3600);
	req(&e, &c, STUN_REFRESH, &as);
	A_peer_addr(&as, &p);
	as.n = 0;
	A_peer_addr(&as, &p);
	req(&e, &c, STUN_CREATE_PERMISSION, &as);
	e.npeer = 0;
	chan_data(&e, &c, 0x4000, "late", 0, 0);
	is_int(e.npeer, 0, "T52: the channel expired after 600 s");
	e.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "late");
	ok(got_data(&e, &c, &got, data, sizeof(data), &ch) == 1, "T52: peer "
	    "data comes as Data indications again");
	is_int(chanbind(&e, &c, 0x4000, &p2), 400, "T52: the number cannot go "
	    "to another peer for 5 minutes");
	env_time(&e, 300 * 1000);
	turn_tick(e.ctx);
	c.nonce[0] = '\0';
	is_int(chanbind(&e, &c, 0x4000, &p2), 0, "T52: after the cool-down "
	    "the number goes to another peer");
	is_int(chanbind(&e, &c, 0x4001, &p), 0, "T52: and the peer takes "
	    "another number");
	env_free(&e);
}

static void
test_internal(void)
{
	struct env e;
	struct client a, b, x;
	struct maddr ra, rb, rx, got;
	char data[256];
	uint16_t ch;
	int denied;

	ok(env_init(&e, NULL) == 0, "context (loopback peers denied)");
	client_init(&a, "192.0.2.1", 1, SECRET, "s-alice", EXP);
	client_init(&b, "192.0.2.2", 1, SECRET, "s-bob", EXP);
	client_init(&x, "192.0.2.3", 1, SECRET, "s-eve", EXP);
	ok(allocate(&e, &a, &ra) == 0 && allocate(&e, &b, &rb) == 0 &&
	    allocate(&e, &x, &rx) == 0, "three allocations on 127.0.0.1");

	/* No hook: our own relayed addresses are exempt from the policy. */
	is_int(permit(&e, &a, &rb), 0, "a permits b's relayed address "
	    "(exempt from the deny list)");
	{
		struct maddr lo = rb;

		lo.port = 1;
		is_int(permit(&e, &a, &lo), 403, "but not 127.0.0.1 at "
		    "another port");
	}
	e.nout = 0;
	e.npeer = 0;
	send_ind(&e, &a, &rb, "to bob");
	is_int(e.nout, 0, "b has no permission for a: dropped");
	is_int(permit(&e, &b, &ra), 0, "b permits a");
	send_ind(&e, &a, &rb, "to bob");
	ok(got_data(&e, &b, &got, data, sizeof(data), &ch) == 1 &&
	    addr_eq(&got, &ra) && strcmp(data, "to bob") == 0, "delivered "
	    "inside the process, from a's relayed address");
	is_int(e.npeer, 0, "no datagram through the kernel");
	e.nout = 0;
	send_ind(&e, &x, &rb, "spoof");
	is_int(e.nout, 0, "x has no permission: nothing");
	is_int(permit(&e, &x, &rb), 0, "x permits b");
	e.nout = 0;
	send_ind(&e, &x, &rb, "spoof");
	is_int(e.nout, 0, "b's permission for a is not one for x (same IP)");

	/* Channels between our own allocations. */
	is_int(chanbind(&e, &b, 0x4444, &ra), 0, "b binds a channel to a");
	e.nout = 0;
	send_ind(&e, &a, &rb, "via channel");
	ok(got_data(&e, &b, &got, data, sizeof(data), &ch) == 2 &&
	    ch == 0x4444 && strcmp(data, "via channel") == 0, "b receives "
	    "ChannelData");
	is_int(chanbind(&e, &a, 0x4555, &rb), 0, "a binds a channel to b");
	e.nout = 0;
	chan_data(&e, &a, 0x4555, "cd both ways", 0, 0);
	ok(got_data(&e, &b, &got, data, sizeof(data), &ch) == 2 &&
	    strcmp(data, "cd both ways") == 0, "ChannelData to ChannelData");

	/* The pair hook. */
	turn_set_peer_hook(e.ctx, hook, &e);
	e.hook_allow = 1;
	e.nout = 0;
	send_ind(&e, &a, &rb, "after hook set");
	ok(e.nout == 1 && e.hook_calls >= 1, "the hook is asked again once "
	    "it is set");
	ok(strcmp(e.hook_a, b.user) == 0 || strcmp(e.hook_a, a.user) == 0,
	    "with the usernames");
	e.hook_calls = 0;
	e.nout = 0;
	send_ind(&e, &a, &rb, "cached");
	is_int(e.hook_calls, 0, "not asked per packet");
	is_int(e.nout, 1, "delivered");

	e.hook_allow = 0;
	denied = e.events[TURN_EV_PAIR_DENIED];
	is_int(permit(&e, &x, &ra), 403, "pair-permissions: a stranger's "
	    "relayed address: 403");
	ok(strcmp(e.hook_a, x.user) == 0 && strcmp(e.hook_b, a.user) == 0,
	    "the hook got (asker, owner)");
	is_int(e.events[TURN_EV_PAIR_DENIED], denied + 1, "security event");
	e.nout = 0;
	send_ind(&e, &a, &rb, "still paired");
	is_int(e.nout, 1, "existing permissions hold until the pairs change");
	turn_pairs_changed(e.ctx);
	e.nout = 0;
	send_ind(&e, &a, &rb, "after the pair ended");
	chan_data(&e, &a, 0x4555, "after the pair ended", 0, 0);
	is_int(e.nout, 0, "after turn_pairs_changed a former partner gets "
	    "nothing");
	e.hook_allow = 1;
	turn_pairs_changed(e.ctx);
	e.nout = 0;
	send_ind(&e, &a, &rb, "paired again");
	is_int(e.nout, 1, "paired again: delivered");

	/* The address changes hands: the permission does not follow. */
	is_int(dealloc(&e, &b), 0, "b deallocates");
	e.nout = 0;
	e.npeer = 0;
	denied = e.events[TURN_EV_PEER_DENIED];
	send_ind(&e, &a, &rb, "gone");
	ok(e.nout == 0 && e.npeer == 0, "to the freed address: nothing, not "
	    "even through the kernel");
	is_int(e.events[TURN_EV_PEER_DENIED], denied, "a partner's last "
	    "packets after a hang-up raise no security event");
	is_int((int)metrics_get(
	    &env_metrics(&e)->turn_released_peer_drops_total), 1,
	    "they are counted (meetopia_turn_released_peer_dropped_total)");
	env_free(&e);
}

/* Sessions' allocations: the partner's relayed addresses only, freed when
 * the session ends; banned clients' allocations freed on a new ban. */
static void
test_sessions_and_bans(void)
{
	static const char *const kv[] = { "allowed-peer-ip", "198.51.100.0/24",
	    NULL };
	const char *ended[] = { "nobody", "alice" };
	struct env e;
	struct client a, b, c;
	struct maddr ra, rb, rc, out;

	ok(env_init(&e, kv) == 0, "context (198.51.100.0/24 allowed)");
	client_init(&a, "192.0.2.1", 1, SECRET, "s-alice", EXP);
	client_init(&b, "192.0.2.2", 1, SECRET, "s-bob", EXP);
	client_init(&c, "192.0.2.3", 1, SECRET, "app", EXP);
	ok(allocate(&e, &a, &ra) == 0 && allocate(&e, &b, &rb) == 0 &&
	    allocate(&e, &c, &rc) == 0, "two sessions' allocations and one "
	    "of a credential without a session");
	addr_parse("198.51.100.7", &out);
	is_int(permit(&e, &a, &out), 403, "a session's allocation may not "
	    "permit an allowed external address");
	is_int(e.events[TURN_EV_PAIR_DENIED], 1, "a pair-denied event");
	is_int(permit(&e, &c, &out), 0, "a credential without a session may");
	is_int(permit(&e, &a, &rb), 0, "our own relayed address: the pair "
	    "hook decides (none here)");

	is_int((int)turn_free_sessions(e.ctx, ended, 2), 1, "the ended "
	    "session's allocation is freed");
	is_int((int)turn_alloc_count(e.ctx), 2, "the others stay");
	is_int(dealloc(&e, &a), 437, "a Refresh of it: 437");
	is_int((int)turn_free_banned(e.ctx), 0, "no ban: nothing freed");
	e.banned = 1;
	is_int((int)turn_free_banned(e.ctx), 2, "every client banned: both "
	    "allocations freed");
	is_int(e.events[TURN_EV_BANNED], 2, "with an event each");
	e.banned = 0;
	is_int(dealloc(&e, &c), 437, "a Refresh of a banned client's: 437");
	env_free(&e);
}

/*
 * A pair that ends while the hook answers a CreatePermission or a
 * ChannelBind: the answer was "partners", and the generation moved on
 * after it.  The permission must not keep that answer as current: the
 * next packet asks again and is dropped.
 */
static void
test_pair_race(void)
{
	struct env e;
	struct client a, b;
	struct maddr ra, rb;
	int calls;

	ok(env_init(&e, NULL) == 0, "context");
	client_init(&a, "192.0.2.1", 1, SECRET, "s-alice", EXP);
	client_init(&b, "192.0.2.2", 1, SECRET, "s-bob", EXP);
	ok(allocate(&e, &a, &ra) == 0 && allocate(&e, &b, &rb) == 0,
	    "two allocations");
	turn_set_peer_hook(e.ctx, hook, &e);
	e.hook_allow = 1;
	is_int(permit(&e, &b, &ra), 0, "b permits its partner a");
	e.nout = 0;
	send_ind(&e, &a, &rb, "no permission yet");
	is_int(e.nout, 0, "a has no permission for b yet: dropped");

	e.unpair_in_hook = 1;
	is_int(permit(&e, &a, &rb), 0, "a's CreatePermission for b is "
	    "allowed by the hook, and the pair ends as it answers");
	calls = e.hook_calls;
	e.nout = 0;
	send_ind(&e, &a, &rb, "after the pair ended");
	is_int(e.nout, 0, "the next packet is checked again and dropped "
	    "(the answer from before the change is not cached)");
	ok(e.hook_calls > calls, "the hook was asked again");
	e.nout = 0;
	send_ind(&e, &a, &rb, "still ended");
	is_int(e.nout, 0, "and stays dropped");

	/* Paired again, then the same race through ChannelBind. */
	e.deny_asker[0] = '\0';
	turn_pairs_changed(e.ctx);
	e.nout = 0;
	send_ind(&e, &a, &rb, "paired again");
	is_int(e.nout, 1, "paired again: delivered");
	e.unpair_in_hook = 1;
	is_int(chanbind(&e, &a, 0x4100, &rb), 0, "a's ChannelBind to b is "
	    "allowed, and the pair ends as the hook answers");
	e.nout = 0;
	chan_data(&e, &a, 0x4100, "after the pair ended", 0, 0);
	is_int(e.nout, 0, "ChannelData after it: checked again, dropped");
	env_free(&e);
}

static int
fd_open(int fd)
{
	return fd >= 0 && (fcntl(fd, F_GETFD) != -1 || errno != EBADF);
}

/* EVEN-PORT R=1 token of the last answer into tok; 0 or -1. */
static int
resv_token(uint8_t tok[8])
{
	const struct stun_attr *at = stun_find(&lastm,
	    STUN_ATTR_RESERVATION_TOKEN);

	if (at == NULL || at->len != 8)
		return -1;
	memcpy(tok, at->val, 8);
	return 0;
}

/*
 * A reservation holds its port with a bound socket: detached from the
 * loop that made it, kept by the shared state, handed to the Allocate
 * that brings the token (registered on its loop), closed on expiry.
 */
static void
test_resv_socket(void)
{
	struct env e1, e2;
	struct turn_shared *sh;
	struct client c;
	struct attrs as;
	struct maddr r, r2;
	char err[CFG_ERRLEN];
	uint8_t tok[8];
	int fd;

	fake_detach = 1;
	ok(env_init(&e1, NULL) == 0, "a context for the configuration");
	sh = turn_shared_new(e1.cfg, err, sizeof(err));
	env_free(&e1);
	ok(sh != NULL && env_init_in(&e1, NULL, sh, 1) == 0 &&
	    env_init_in(&e2, NULL, sh, 2) == 0, "two loops on one state");

	client_init(&c, "192.0.2.7", 1, SECRET, "even", EXP);
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x80", 1);
	is_int(req(&e1, &c, STUN_ALLOCATE, &as), 0, "EVEN-PORT R=1 on loop 1");
	ok(relayed(&r, 0) == 0 && resv_token(tok) == 0, "a port and a token");
	fd = e1.detached_fd;
	ok(e1.detached == 1 && fd_open(fd), "the port above: its socket is "
	    "taken off the loop and kept open (the port stays bound)");

	client_init(&c, "192.0.2.8", 1, SECRET, "odd", EXP);
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, tok, 8);
	is_int(req(&e2, &c, STUN_ALLOCATE, &as), 0, "the token on loop 2");
	ok(relayed(&r2, 0) == 0 && r2.port == r.port + 1, "gives the port "
	    "above");
	ok(e2.adopted == 1 && e2.adopted_fd == fd, "with the kept socket, "
	    "registered on loop 2");

	/* A reservation nobody takes: its socket is closed on expiry. */
	client_init(&c, "192.0.2.9", 1, SECRET, "even2", EXP);
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x80", 1);
	is_int(req(&e1, &c, STUN_ALLOCATE, &as), 0, "another reservation");
	resv_token(tok);
	fd = e1.detached_fd;
	ok(fd_open(fd), "its socket is kept");
	env_time(&e1, (TURN_RESV_LIFETIME - 1) * 1000ULL);
	turn_tick(e1.ctx);
	ok(fd_open(fd), "still kept a second before it expires");
	env_time(&e1, 2000);
	turn_tick(e1.ctx);
	ok(!fd_open(fd), "closed when the reservation expires");
	client_init(&c, "192.0.2.10", 1, SECRET, "late", EXP);
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, tok, 8);
	env_time(&e2, (TURN_RESV_LIFETIME + 1) * 1000ULL);
	is_int(req(&e2, &c, STUN_ALLOCATE, &as), 508, "its token: 508");

	/* One left when the relay stops: closed with the shared state. */
	client_init(&c, "192.0.2.11", 1, SECRET, "even3", EXP);
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x80", 1);
	is_int(req(&e1, &c, STUN_ALLOCATE, &as), 0, "a third reservation");
	fd = e1.detached_fd;
	env_free(&e2);
	env_free(&e1);
	ok(fd_open(fd), "kept while the state lives");
	turn_shared_free(sh);
	ok(!fd_open(fd), "closed with the shared state");
	fake_detach = 0;
}

/* Queues a datagram on lp as udp.c does while a batch is handled. */
static void
queue_dgram(struct relay_loop *lp, int fd, const struct maddr *to,
    const void *p, size_t len)
{
	struct relay_out *o = &lp->out[lp->nout++];

	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->tolen = addr_to_sockaddr(to, &o->to);
	o->iov[0].iov_base = (void *)p;
	o->iov[0].iov_len = len;
	o->iovcnt = 1;
}

/*
 * udp_flush(): one sendmmsg() per run of datagrams for a socket.  A
 * datagram that fails alone (a port 0 destination: EINVAL; larger than
 * UDP allows: EMSGSIZE) is dropped and counted; the rest of the run is
 * still sent.
 */
static void
test_sendmmsg_errors(void)
{
	struct relay_loop lp;
	struct maddr lo, bad;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	static uint8_t big[70000];
	char buf[64];
	int rx, tx, got = 0, order = 1;
	ssize_t n;

	memset(&lp, 0, sizeof(lp));
	lp.out = calloc(RELAY_SENDQ, sizeof(*lp.out));
	addr_parse("127.0.0.1", &lo);
	rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	addr_to_sockaddr(&lo, &ss);
	ok(lp.out != NULL && rx >= 0 && tx >= 0 &&
	    bind(rx, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) == 0 &&
	    getsockname(rx, (struct sockaddr *)&ss, &sl) == 0,
	    "a receiving socket on 127.0.0.1");
	addr_from_sockaddr(&lo, (struct sockaddr *)&ss);
	bad = lo;
	bad.port = 0;
	queue_dgram(&lp, tx, &lo, "first", 5);
	queue_dgram(&lp, tx, &bad, "to port 0", 9);
	queue_dgram(&lp, tx, &lo, big, sizeof(big));
	queue_dgram(&lp, tx, &lo, "second", 6);
	queue_dgram(&lp, tx, &lo, "third", 5);
	udp_flush(&lp);
	is_int(lp.nout, 0, "the queue is flushed");
	while ((n = recv(rx, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		got++;
		if ((got == 1 && strcmp(buf, "first") != 0) ||
		    (got == 2 && strcmp(buf, "second") != 0) ||
		    (got == 3 && strcmp(buf, "third") != 0))
			order = 0;
	}
	is_int(got, 3, "a datagram that fails (EINVAL, EMSGSIZE) is skipped: "
	    "the three good ones of the run are sent");
	ok(order, "in order");
	is_int((int)lp.send_drops, 2, "the two failed ones are counted");
	close(rx);
	close(tx);
	free(lp.out);
}

static void
test_external_ip(void)
{
	static const char *const ext[] = { "external-ip", "203.0.113.5",
	    NULL };
	struct env e;
	struct client a, b;
	struct maddr ra, rb, got;
	char ip[64], data[128];
	uint16_t ch;

	ok(env_init(&e, ext) == 0, "context with external-ip");
	client_init(&a, "192.0.2.1", 1, SECRET, "a", EXP);
	client_init(&b, "192.0.2.2", 1, SECRET, "b", EXP);
	ok(allocate(&e, &a, &ra) == 0 && allocate(&e, &b, &rb) == 0,
	    "two allocations");
	is_str(addr_ntop(&ra, ip, sizeof(ip)), "203.0.113.5",
	    "XOR-RELAYED-ADDRESS advertises external-ip");
	ok(sock_of(&e, &ra) != NULL && strcmp(addr_ntop(&sock_of(&e,
	    &ra)->addr, ip, sizeof(ip)), "127.0.0.1") == 0, "the socket is "
	    "bound on the listen address");
	ok(permit(&e, &a, &rb) == 0 && permit(&e, &b, &ra) == 0, "mutual "
	    "permissions by advertised address");
	e.nout = 0;
	send_ind(&e, &a, &rb, "nat");
	ok(got_data(&e, &b, &got, data, sizeof(data), &ch) == 1 &&
	    addr_eq(&got, &ra), "delivered inside, from the advertised "
	    "address");
	env_free(&e);
}

/*
 * SPEC "Relay policy" (issue 15): this host is a peer only through our own
 * live relayed addresses, on every port and whatever allowed-peer-ip says;
 * a permission, which covers a whole IP, is re-checked per datagram; and
 * what one of our relayed sockets sends to our listener is dropped.
 */
static void
test_self(void)
{
	static const char *const allow[] = { "allowed-peer-ip", "127.0.0.0/8",
	    NULL };
	char err[CFG_ERRLEN];
	struct env e;
	struct client a, b, c, fromrelay, local;
	struct maddr ra, rb, rc, p, got;
	char data[256];
	uint16_t ch;

	ok(env_init(&e, allow) == 0, "context with 127.0.0.0/8 allowed");
	client_init(&a, "192.0.2.1", 1, SECRET, "a", EXP);
	client_init(&b, "192.0.2.2", 1, SECRET, "b", EXP);
	ok(allocate(&e, &a, &ra) == 0 && allocate(&e, &b, &rb) == 0,
	    "two allocations");
	addr_parse("127.0.0.1", &p);
	p.port = 3478;
	is_int(permit(&e, &a, &p), 403, "CreatePermission to our own TURN "
	    "port: 403 (allowed-peer-ip covers it)");
	is_int(chanbind(&e, &a, 0x4000, &p), 403, "ChannelBind to it: 403");
	p.port = 53;
	is_int(permit(&e, &a, &p), 403, "to another port of this host: 403");
	p.port = rb.port + 1;
	is_int(permit(&e, &a, &p), 403, "to a port of the relay range that "
	    "is no live relayed address: 403");
	is_int(e.events[TURN_EV_PEER_DENIED], 4, "each a security event");
	ok(permit(&e, &a, &rb) == 0 && permit(&e, &b, &ra) == 0 &&
	    chanbind(&e, &a, 0x4001, &rb) == 0, "our own relayed addresses "
	    "on 127.0.0.1 still are peers");

	/* The permission for b's relayed address covers no other port. */
	e.npeer = 0;
	e.nout = 0;
	p.port = 3478;
	send_ind(&e, &a, &p, "Binding");
	p.port = 53;
	send_ind(&e, &a, &p, "dns");
	p.port = rb.port + 1;
	send_ind(&e, &a, &p, "next");
	ok(e.npeer == 0 && e.nout == 0, "Send to other ports of this host: "
	    "nothing, through the kernel or inside");
	send_ind(&e, &a, &rb, "to b");
	ok(got_data(&e, &b, &got, data, sizeof(data), &ch) == 1 &&
	    strcmp(data, "to b") == 0, "Send to b's relayed address: "
	    "delivered");
	e.nout = 0;
	chan_data(&e, &a, 0x4001, "cd to b", 0, 0);
	ok(got_data(&e, &b, &got, data, sizeof(data), &ch) == 1 &&
	    strcmp(data, "cd to b") == 0, "ChannelData to b: delivered");

	/* What one of our relayed sockets sends to our listener. */
	client_init(&fromrelay, "127.0.0.1", ra.port, SECRET, "n", EXP);
	fromrelay.noauth = 1;
	is_int(req(&e, &fromrelay, STUN_BINDING, NULL), -1, "a Binding "
	    "from our own relayed address: no answer");
	fromrelay.noauth = 0;
	is_int(allocate(&e, &fromrelay, &rc), -1, "a nested Allocate from "
	    "it: no answer");
	is_int(turn_alloc_count(e.ctx), 2, "and no allocation");
	client_init(&local, "127.0.0.1", rb.port + 1, SECRET, "n", EXP);
	local.noauth = 1;
	is_int(req(&e, &local, STUN_BINDING, NULL), 0, "a client of this "
	    "host on a port of the range that is not live: answered");
	local.t.proto = TURN_TCP;
	local.t.client.port = ra.port;
	is_int(req(&e, &local, STUN_BINDING, NULL), 0, "over TCP (a port of "
	    "another protocol): answered");
	is_int(dealloc(&e, &a), 0, "a deallocates");
	fromrelay.noauth = 1;
	is_int(req(&e, &fromrelay, STUN_BINDING, NULL), 0, "its former port "
	    "is an ordinary client again");
	env_free(&e);

	/* A permission that predates the address becoming this host's
	 * (a reload): re-checked for each datagram. */
	ok(env_init(&e, allow) == 0, "context");
	client_init(&c, "192.0.2.3", 1, SECRET, "c", EXP);
	addr_parse("127.0.0.2", &p);
	p.port = 7000;
	ok(allocate(&e, &c, &rc) == 0 && permit(&e, &c, &p) == 0 &&
	    chanbind(&e, &c, 0x4002, &p) == 0, "a permission and a channel "
	    "for 127.0.0.2:7000");
	e.npeer = 0;
	send_ind(&e, &c, &p, "before");
	is_int(e.npeer, 1, "delivered");
	ok(cfg_set(e.cfg, CFG_SRC_FILE, 99, "relay-ip", "127.0.0.2", err,
	    sizeof(err)) == 0 && turn_reload(e.ctx, e.cfg) == 0,
	    "reload: 127.0.0.2 becomes relay-ip");
	e.npeer = 0;
	send_ind(&e, &c, &p, "after");
	chan_data(&e, &c, 0x4002, "after", 0, 0);
	is_int(e.npeer, 0, "Send and ChannelData to it are dropped");
	env_free(&e);
}

static void
test_bps(void)
{
	static const char *const bps[] = { "max-bps", "1000",
	    "allowed-peer-ip", "127.0.0.2", NULL };
	struct env e;
	struct client c;
	struct maddr r, p;
	char big[601];

	memset(big, 'x', 600);
	big[600] = '\0';
	ok(env_init(&e, bps) == 0, "context with max-bps 1000");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	addr_parse("127.0.0.2", &p);
	p.port = 9;
	ok(allocate(&e, &c, &r) == 0 && permit(&e, &c, &p) == 0, "allocate, "
	    "permit");
	e.npeer = 0;
	send_ind(&e, &c, &p, big);
	send_ind(&e, &c, &p, big);
	is_int(e.npeer, 1, "max-bps: the second 600 bytes in the same second "
	    "are dropped");
	env_time(&e, 1000);
	send_ind(&e, &c, &p, big);
	is_int(e.npeer, 2, "max-bps: a second later they pass");
	e.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 9, big);
	from_peer(&e, &r, "127.0.0.2", 9, big);
	is_int(e.nout, 1, "max-bps: the other direction has its own bucket");
	env_free(&e);
}

/* relay-threads: two loops' contexts with one shared state. */
static void
test_loops(void)
{
	static const char *const q[] = { "user-quota", "1", "ip-quota", "0",
	    NULL };
	struct env e1, e2;
	struct turn_shared *sh;
	struct client a, b, x, c;
	struct maddr ra, rb, rx, r, got;
	char err[CFG_ERRLEN], data[256];
	uint16_t ch;
	struct attrs as;
	int i, dup;

	ok(env_init(&e1, q) == 0, "loop 1: a context of its own for the "
	    "configuration");
	sh = turn_shared_new(e1.cfg, err, sizeof(err));
	ok(sh != NULL, "a shared state");
	env_free(&e1);
	ok(env_init_in(&e1, q, sh, 1) == 0 && env_init_in(&e2, q, sh, 2) == 0,
	    "two contexts on it, loops 1 and 2");
	e1.other = &e2;
	e2.other = &e1;
	turn_set_peer_hook(e1.ctx, hook, &e1);
	turn_set_peer_hook(e2.ctx, hook, &e2);
	e1.hook_allow = e2.hook_allow = 1;

	/* Quotas count over both loops. */
	client_init(&a, "192.0.2.1", 1, SECRET, "s-alice", EXP);
	client_init(&b, "192.0.2.2", 1, SECRET, "s-bob", EXP);
	client_init(&x, "192.0.2.3", 1, SECRET, "s-eve", EXP);
	is_int(allocate(&e1, &a, &ra), 0, "a allocates on loop 1");
	client_init(&c, "192.0.2.1", 2, SECRET, "s-alice", EXP);
	is_int(allocate(&e2, &c, NULL), 486, "the same user on loop 2: "
	    "user-quota 1 counts both loops (486)");
	is_int(allocate(&e2, &b, &rb), 0, "b allocates on loop 2");
	is_int(allocate(&e2, &x, &rx), 0, "x allocates on loop 2");
	is_int((int)turn_shared_alloc_count(e1.ctx), 3, "3 allocations over "
	    "both loops");
	ok(ra.port != rb.port && ra.port != rx.port && rb.port != rx.port,
	    "distinct relayed ports from one port table");

	/* Nonces: one key for every loop. */
	client_init(&c, "192.0.2.1", 3, SECRET, "s-carol", EXP);
	memcpy(c.nonce, a.nonce, sizeof(c.nonce));
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	e2.nout = 0;
	{
		uint8_t buf[1024];
		size_t len = build(&c, STUN_ALLOCATE, STUN_REQUEST, &as, buf,
		    sizeof(buf), 1);

		turn_handle_client(e2.ctx, &c.t, buf, len);
	}
	is_int(answer(&e2, &c), 0, "a nonce of loop 1 is taken on loop 2 "
	    "(another port of the same host): no 438");

	/* Media between loops: handed over, never through the kernel. */
	is_int(permit(&e1, &a, &rb), 0, "a (loop 1) permits b's relayed "
	    "address (loop 2)");
	is_int(permit(&e2, &b, &ra), 0, "b permits a's");
	e1.npeer = e2.npeer = e1.handoffs = 0;
	e2.nout = 0;
	send_ind(&e1, &a, &rb, "across loops");
	is_int(e1.handoffs, 1, "loop 1 hands the packet to loop 2");
	ok(got_data(&e2, &b, &got, data, sizeof(data), &ch) == 1 &&
	    addr_eq(&got, &ra) && strcmp(data, "across loops") == 0,
	    "loop 2 delivers it to b, from a's relayed address");
	is_int(e1.npeer + e2.npeer, 0, "no datagram through the kernel");
	is_int(chanbind(&e1, &a, 0x4001, &rb), 0, "a binds a channel to b");
	is_int(chanbind(&e2, &b, 0x4002, &ra), 0, "b binds one to a");
	e1.nout = 0;
	chan_data(&e2, &b, 0x4002, "cd back", 0, 0);
	ok(got_data(&e1, &a, &got, data, sizeof(data), &ch) == 2 &&
	    ch == 0x4001 && strcmp(data, "cd back") == 0, "ChannelData from "
	    "loop 2 arrives as ChannelData on loop 1");

	/* The pair hook across loops: the owner's username is known. */
	e2.hook_allow = 0;
	e2.hook_calls = 0;
	is_int(permit(&e2, &x, &ra), 403, "x (loop 2) may not permit a's "
	    "address (loop 1) when the hook says no");
	ok(e2.hook_calls == 1 && strcmp(e2.hook_a, x.user) == 0 &&
	    strcmp(e2.hook_b, a.user) == 0, "the hook got (x, a), the "
	    "owner's username from the other loop");
	e1.hook_allow = 0;
	turn_pairs_changed(e2.ctx);
	e2.nout = 0;
	send_ind(&e1, &a, &rb, "after the pairs changed");
	is_int(e2.nout, 0, "pairs changed on one loop: a permission on the "
	    "other asks again and stops");
	e1.hook_allow = e2.hook_allow = 1;
	turn_pairs_changed(e1.ctx);
	e2.nout = 0;
	send_ind(&e1, &a, &rb, "again");
	is_int(e2.nout, 1, "allowed again: delivered");

	/* The address goes: nothing is handed over. */
	is_int(dealloc(&e2, &b), 0, "b deallocates on loop 2");
	e1.handoffs = 0;
	e1.npeer = 0;
	send_ind(&e1, &a, &rb, "gone");
	ok(e1.handoffs == 0 && e1.npeer == 0, "to its freed address: no "
	    "hand-off, nothing through the kernel");
	client_init(&c, "192.0.2.2", 9, SECRET, "s-bob", EXP);
	is_int(allocate(&e1, &c, NULL), 0, "b's count was given back: b "
	    "allocates again, on loop 1");

	/* EVEN-PORT reservations are taken on either loop. */
	client_init(&c, "192.0.2.7", 1, SECRET, "s-even", EXP);
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x80", 1);
	is_int(req(&e1, &c, STUN_ALLOCATE, &as), 0, "EVEN-PORT R=1 on loop 1");
	relayed(&r, 0);
	{
		const struct stun_attr *tok = stun_find(&lastm,
		    STUN_ATTR_RESERVATION_TOKEN);
		uint8_t token[8];
		struct maddr r2;

		ok(tok != NULL && tok->len == 8 && (r.port & 1) == 0,
		    "an even port and a token");
		if (tok != NULL && tok->len == 8) {
			memcpy(token, tok->val, 8);
			client_init(&c, "192.0.2.8", 1, SECRET, "s-odd", EXP);
			memset(&as, 0, sizeof(as));
			A_udp(&as);
			A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, token, 8);
			is_int(req(&e2, &c, STUN_ALLOCATE, &as), 0,
			    "the token on loop 2");
			relayed(&r2, 0);
			is_int(r2.port, r.port + 1, "gives the port above");
			client_init(&c, "192.0.2.9", 1, SECRET, "s-odd2", EXP);
			is_int(req(&e1, &c, STUN_ALLOCATE, &as), 508,
			    "and only once (508 on loop 1)");
		}
	}

	/* Many allocations on both loops: never one port twice. */
	dup = 0;
	{
		uint16_t ports[40];
		int n = 0, j;
		char id[16];

		for (i = 0; i < 40; i++) {
			snprintf(id, sizeof(id), "s-many%d", i);
			client_init(&c, "192.0.2.60", 100 + i, SECRET, id,
			    EXP);
			if (allocate(i % 2 ? &e1 : &e2, &c, &r) == 0)
				ports[n++] = r.port;
		}
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				dup += ports[i] == ports[j];
		is_int(n, 40, "40 allocations alternating between loops");
	}
	is_int(dup, 0, "no relayed port given twice");

	/* Drain is shared. */
	turn_drain(e1.ctx);
	client_init(&c, "192.0.2.99", 1, SECRET, "s-late", EXP);
	is_int(allocate(&e2, &c, NULL), 508, "drain on one loop: Allocate on "
	    "the other gets 508");

	env_free(&e2);
	is_int((int)turn_shared_alloc_count(e1.ctx),
	    (int)turn_alloc_count(e1.ctx), "loop 2 gone: its counts were "
	    "given back");
	env_free(&e1);
	turn_shared_free(sh);
}

int
main(void)
{
	srand(42);
	test_binding();
	test_auth();
	test_allocate();
	test_quota();
	test_refresh_expiry();
	test_permissions();
	test_channels();
	test_internal();
	test_sessions_and_bans();
	test_pair_race();
	test_external_ip();
	test_self();
	test_bps();
	test_loops();
	test_resv_socket();
	test_sendmmsg_errors();
	return done_testing();
}
