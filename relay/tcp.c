/*
 * tcp.c - STUN/TURN over TCP (turn-port) and TLS (tls-port): RFC 8656
 * §3.1 and §12.5, RFC 8489 §6.2.2 and §6.2.3.
 *
 * Thin glue around the protocol context of relay/turn.h, as udp.c is:
 * each connection is a libevent bufferevent (bufferevent_openssl for
 * TLS, with the server context of auth/tls.h, rebuilt on SIGHUP), and
 * every complete frame read from it goes to turn_handle_client() whole,
 * with a 5-tuple whose conn is the connection.  The relayed side stays
 * UDP; an allocation made over a connection dies with it
 * (turn_tuple_closed()).
 *
 * Framing on a stream (tcp_frame(), tcp_drain()): a STUN message is its
 * 20-byte header and the length it gives (a multiple of 4, with the magic
 * cookie); ChannelData is its 4-byte header and the length it gives,
 * followed by padding to a multiple of 4 (RFC 8656 §12.5).  A message is
 * handed on as soon as its bytes are in, before its padding; the padding
 * is skipped when it comes.  Anything else (a first byte that starts
 * neither, a STUN length that is not a multiple of 4, a wrong cookie, a
 * message longer than TURN_BUF_MAX, ChannelData from a client without an
 * allocation) cannot be resynchronised on a stream: the connection is
 * closed.
 *
 * Limits:
 *  - TLS handshake and first complete message within TCP_FIRST_SECS of
 *    the connection (a silent or slow client is dropped);
 *  - a connection that has no allocation for TCP_NOALLOC_SECS (never made
 *    one, or it was deleted or expired) is closed;
 *  - at most TCP_CONN_PER_IP connections per client IP (SPEC: the IPv4
 *    address or IPv6 /64), and at most a quarter of RLIMIT_NOFILE in all;
 *    at that cap a new connection takes the place of the oldest one that
 *    has not sent a whole message yet (a flood of half-open connections
 *    cannot lock real clients out for TCP_FIRST_SECS), and is refused only
 *    when every connection has spoken;
 *  - at most TCP_OUT_MAX bytes wait for a client: one that does not read
 *    is dropped, not buffered for;
 *  - reads stop at TCP_READ_HIGH bytes buffered (a whole message fits).
 * The listeners, the per-IP and total limits (with the eviction of the
 * oldest silent connection), TLS, the EMFILE pause and the deferred free
 * are common/listener.h's connection server; this file is its user.  A
 * connection is never freed while one of its callbacks, or the protocol
 * code that called tcp_to_client(), is on the stack: conn_close() takes it
 * out of service and the server frees it from the loop (tcp_conn_free()).
 * Everything runs on the daemon's loop thread.
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <jansson.h>

#include "auth/pseudonym.h"
#include "auth/tls.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/listener.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "common/rdwr.h"
#include "common/secevent.h"
#include "common/unittest.h"
#include "relay/relay_int.h"

#define TCP_FIRST_SECS		10	/* handshake and first message */
#define TCP_NOALLOC_SECS	20	/* without an allocation */
#define TCP_CHECK_SECS		5	/* how often that is looked at */
#define TCP_CONN_PER_IP		128
#define TCP_OUT_MAX		(1024 * 1024)
#define TCP_READ_HIGH		(2 * TURN_BUF_MAX)
#define TCP_CONN_MIN		64	/* the total cap, at least */

#define STUN_HDR		20
#define CHAN_HDR		4
#define STUN_COOKIE		0x2112A442

struct tcp_conn {
	struct tcp_server	*ts;
	struct conn		*cn;		/* common/listener.h */
	struct turn_tuple	 t;		/* t.conn is this */
	size_t			 skip;		/* padding still to skip */
	uint64_t		 noalloc_since;	/* ms; 0 while allocated */
};

struct tcp_server {
	struct relay		*rl;
	struct conn_server	*cs;
	/* Security events from this file, at most TURN_EVENTS_PER_SEC. */
	struct rl_window	 events;	/* seconds */
};

/* ------------------------------------------------------------------ */
/* Framing (pure: the fuzzer drives these). */

/*
 * Looks at the first n bytes of a stream (n may be short of a header):
 * 0 with *msglen the message's length (header included) and *padlen the
 * padding after it, or with *msglen 0 when more bytes are needed to judge
 * the header; -1 when it is not a frame we take.
 */
UNITTEST int
tcp_frame(const uint8_t *p, size_t n, size_t *msglen, size_t *padlen)
{
	struct rd r;
	uint8_t b0;
	uint16_t len;
	uint32_t cookie;

	*msglen = 0;
	*padlen = 0;
	rd_init(&r, p, n);
	b0 = rd_u8(&r);
	if (r.err)
		return 0;		/* more */
	if (b0 >= 0x40 && b0 <= 0x7F) {		/* see TURN_CHAN_MAX */
		(void)rd_u8(&r);
		len = rd_u16(&r);
		if (r.err)
			return 0;		/* more */
		if ((size_t)CHAN_HDR + len > TURN_BUF_MAX)
			return -1;
		*msglen = (size_t)CHAN_HDR + len;
		*padlen = (4 - (len & 3)) & 3;	/* RFC 8656 §12.5 */
		return 0;
	}
	if ((b0 & 0xC0) != 0)		/* RFC 8489 §5: top two bits zero */
		return -1;
	(void)rd_u8(&r);
	len = rd_u16(&r);
	if (r.err)
		return 0;		/* more */
	if ((len & 3) != 0 || (size_t)STUN_HDR + len > TURN_BUF_MAX)
		return -1;
	cookie = rd_u32(&r);
	if (r.err)
		return 0;		/* more */
	if (cookie != STUN_COOKIE)
		return -1;
	*msglen = (size_t)STUN_HDR + len;
	return 0;
}

/*
 * Hands every complete frame buffered in `in` to fn, whole and
 * contiguous, and consumes it with its padding (*skip carries padding
 * that has not arrived yet).  chan_ok (may be NULL) is asked at each
 * ChannelData header whether ChannelData may come now: a client with no
 * allocation has no channel, so on a stream such bytes are garbage that
 * merely starts like ChannelData ("GET " does).  Returns 0 when what is
 * left is the start of a frame or when fn returned nonzero (stop: the
 * connection is going), -1 on a bad frame (or no memory to make a frame
 * contiguous).
 */
UNITTEST int
tcp_drain(struct evbuffer *in, size_t *skip,
    int (*fn)(void *, const uint8_t *, size_t), int (*chan_ok)(void *),
    void *arg)
{
	uint8_t hdr[8];
	const uint8_t *p;
	size_t avail, n, msglen, padlen;
	int rc;

	for (;;) {
		avail = evbuffer_get_length(in);
		if (*skip > 0) {
			n = *skip < avail ? *skip : avail;
			if (evbuffer_drain(in, n) != 0)
				return -1;
			*skip -= n;
			avail -= n;
		}
		if (avail == 0)
			return 0;
		n = avail < sizeof(hdr) ? avail : sizeof(hdr);
		if (evbuffer_copyout(in, hdr, n) != (ev_ssize_t)n)
			return -1;
		if (tcp_frame(hdr, n, &msglen, &padlen) != 0)
			return -1;
		if (msglen == 0)
			return 0;		/* the header is not whole */
		if ((hdr[0] & 0xC0) == 0x40 && chan_ok != NULL && !chan_ok(arg))
			return -1;
		if (avail < msglen)
			return 0;
		if ((p = evbuffer_pullup(in, (ev_ssize_t)msglen)) == NULL)
			return -1;
		rc = fn(arg, p, msglen);
		n = msglen + padlen <= avail ? msglen + padlen : avail;
		if (evbuffer_drain(in, n) != 0)
			return -1;
		*skip = msglen + padlen - n;
		if (rc != 0)
			return 0;
	}
}

/* ------------------------------------------------------------------ */
/* Connections. */

/* A security event about a client of ours (rate limited). */
static void
tcp_secevent(struct tcp_server *ts, enum secev_type type,
    enum secev_severity sev, const struct maddr *client, int tls,
    const char *name, const char *why)
{
	const struct relay_env *env = &ts->rl->env;
	char pseudo[PSEUDONYM_LEN + 1];

	if (rl_window_take(&ts->events, (int64_t)(clock_mono_ms() / 1000), 1,
	    TURN_EVENTS_PER_SEC, NULL) != 0)
		return;
	if (env->pseudonym != NULL)
		env->pseudonym(env->arg, client, pseudo);
	secevent_emit(env->seclog, type, sev, NULL, env->pseudonym != NULL ?
	    pseudo : NULL, name, json_pack("{s:s, s:s}", "transport",
	    tls ? "tls" : "tcp", "why", why));
}

/* Takes c out of service; the server frees it (and its allocation) later. */
static void
tcp_conn_close(struct tcp_conn *c, const char *why)
{
	const struct relay_env *env = &c->ts->rl->env;
	char pseudo[PSEUDONYM_LEN + 1];

	if (conn_closing(c->cn))
		return;
	/* The log names clients by pseudonym only, never by address. */
	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		if (env->pseudonym != NULL)
			env->pseudonym(env->arg, &c->t.client, pseudo);
		else
			strlcpy(pseudo, "-", sizeof(pseudo));
		log_debug("relay: %s client %s: %s", c->t.proto == TURN_TLS ?
		    "tls" : "tcp", pseudo, why);
	}
	conn_close(c->cn);
}

/* The connection is being freed: its allocation goes first. */
static void
tcp_conn_free(struct conn *cn, void *arg)
{
	struct tcp_conn *c = arg;

	turn_tuple_closed(c->ts->rl->loops[0]->ctx, &c->t);
	free(c);
}

static void
tcp_timeout_cb(struct conn *cn, void *arg)
{
	struct tcp_conn *c = arg;
	struct tcp_server *ts = c->ts;
	uint64_t now;

	if (conn_is_fresh(cn)) {
		/* A silent client, a slow one, or a stalled handshake. */
		tcp_secevent(ts, SECEV_CONNECTION, SECEV_LOW, &c->t.client,
		    c->t.proto == TURN_TLS, "turn_tcp_timeout",
		    "no complete message in time");
		tcp_conn_close(c, "no complete message in time");
		return;
	}
	now = clock_mono_ms();
	if (turn_tuple_allocated(ts->rl->loops[0]->ctx, &c->t))
		c->noalloc_since = 0;
	else if (c->noalloc_since == 0)
		c->noalloc_since = now;
	else if (now - c->noalloc_since >= TCP_NOALLOC_SECS * 1000ULL) {
		tcp_conn_close(c, "no allocation");
		return;
	}
	conn_timer(cn, TCP_CHECK_SECS);
}

/* One complete frame from the client. */
static int
conn_msg(void *arg, const uint8_t *p, size_t len)
{
	struct tcp_conn *c = arg;
	struct relay_loop *lp = c->ts->rl->loops[0];

	if (conn_is_fresh(c->cn)) {
		conn_spoke(c->cn);
		c->noalloc_since = clock_mono_ms();
		conn_timer(c->cn, TCP_CHECK_SECS);
	}
	lp->cur_proto = c->t.proto;
	turn_handle_client(lp->ctx, &c->t, p, len);
	lp->cur_proto = TURN_UDP;
	return conn_closing(c->cn);
}

/* ChannelData needs a channel, and a channel an allocation. */
static int
conn_chan_ok(void *arg)
{
	struct tcp_conn *c = arg;

	return turn_tuple_allocated(c->ts->rl->loops[0]->ctx, &c->t);
}

static void
tcp_read_cb(struct conn *cn, void *arg)
{
	struct tcp_conn *c = arg;

	relay_clock(c->ts->rl->loops[0]);
	if (tcp_drain(bufferevent_get_input(conn_bev(cn)), &c->skip, conn_msg,
	    conn_chan_ok, c) < 0) {
		tcp_secevent(c->ts, SECEV_MESSAGE, SECEV_MEDIUM, &c->t.client,
		    c->t.proto == TURN_TLS, "turn_tcp_bad_frame",
		    "not STUN or ChannelData, or too long");
		tcp_conn_close(c, "bad frame");
	}
}

static void
tcp_event_cb(struct conn *cn, void *arg, short what)
{
	struct tcp_conn *c = arg;
	char buf[128];

	if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) == 0)
		return;
	if (conn_tls_error(cn, buf, sizeof(buf)) == 0)
		tcp_conn_close(c, buf);
	else
		tcp_conn_close(c, what & BEV_EVENT_EOF ?
		    "closed by the client" : "connection error");
}

static const struct conn_handler tcp_handler = {
	.read = tcp_read_cb,
	.event = tcp_event_cb,
	.timeout = tcp_timeout_cb,
	.close = tcp_conn_free,
};

/*
 * Over TLS, each frame its own record: the frame goes in as a chain of
 * its own (a reference chain is never appended to), and the TLS
 * bufferevent writes a chain with one SSL_write.  Frames queued while the
 * socket was busy would otherwise share a record, and a client that takes
 * a record for a message (coturn's uclient) loses all but the first; a
 * record per frame is also what lets a receiver act on a frame as soon
 * as it arrives.
 */
static void
tls_frame_free(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)(uintptr_t)data);
}

static void
tls_frame(struct tcp_conn *c, struct evbuffer *out, const struct iovec *iov,
    int iovcnt, size_t len)
{
	uint8_t *p;
	size_t at;
	int i;

	if ((p = malloc(len)) == NULL) {
		tcp_conn_close(c, "out of memory");
		return;
	}
	for (i = 0, at = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > 0)
			memcpy(p + at, iov[i].iov_base, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	if (evbuffer_add_reference(out, p, len, tls_frame_free, NULL) != 0) {
		free(p);
		tcp_conn_close(c, "out of memory");
	}
}

void
tcp_to_client(void *arg, const struct turn_tuple *t, const struct iovec *iov,
    int iovcnt)
{
	struct tcp_conn *c = t->conn;
	struct evbuffer *out;
	struct evbuffer_iovec v;
	size_t len = 0, at;
	int i;

	if (c == NULL || conn_closing(c->cn))
		return;
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	out = bufferevent_get_output(conn_bev(c->cn));
	if (evbuffer_get_length(out) + len > TCP_OUT_MAX) {
		/* A client that does not read would hold memory without
		 * bound; on a stream we cannot drop a frame quietly. */
		tcp_secevent(c->ts, SECEV_ERROR, SECEV_LOW, &c->t.client,
		    t->proto == TURN_TLS, "slow_consumer",
		    "output buffer full");
		tcp_conn_close(c, "does not read");
		return;
	}
	/*
	 * The frame in one piece: a TLS connection started on a port that
	 * is also plain (turn-port = tls-port) writes each addition as a
	 * TLS record at once, and some clients (coturn's uclient) take a
	 * record for a message.
	 */
	if (len == 0)
		return;
	if (t->proto == TURN_TLS) {
		tls_frame(c, out, iov, iovcnt, len);
		return;
	}
	if (evbuffer_reserve_space(out, (ev_ssize_t)len, &v, 1) != 1 ||
	    v.iov_len < len) {
		tcp_conn_close(c, "out of memory");
		return;
	}
	for (i = 0, at = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > 0)
			memcpy((uint8_t *)v.iov_base + at, iov[i].iov_base,
			    iov[i].iov_len);
		at += iov[i].iov_len;
	}
	v.iov_len = len;
	if (evbuffer_commit_space(out, &v, 1) != 0)
		tcp_conn_close(c, "out of memory");
}

/* ------------------------------------------------------------------ */
/* The connection server's callbacks. */

/* A new connection: a 5-tuple whose conn is it, and the first deadline. */
static int
tcp_open_cb(void *arg, struct conn *cn)
{
	struct tcp_server *ts = arg;
	struct tcp_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->ts = ts;
	c->cn = cn;
	c->t.client = *conn_peer(cn);
	c->t.server = *conn_local(cn);
	c->t.proto = conn_is_tls(cn) ? TURN_TLS : TURN_TCP;
	c->t.conn = c;
	conn_set_handler(cn, &tcp_handler, c);
	conn_timer(cn, TCP_FIRST_SECS);
	return 0;
}

static void
tcp_limit_cb(void *arg, enum conn_limit why, const struct maddr *peer,
    int tls, evutil_socket_t fd)
{
	static const char *const whys[] = {
		[CONN_LIMIT_PER_IP] = "connections per client IP",
		[CONN_LIMIT_TOTAL] = "connections in total",
		[CONN_LIMIT_EVICTED] = "the oldest connection without a "
		    "message dropped for a new one",
	};

	(void)fd;
	tcp_secevent(arg, SECEV_CONNECTION, SECEV_LOW, peer, tls,
	    "turn_tcp_conn_limit", whys[why]);
}

/* ------------------------------------------------------------------ */
/* Lifecycle. */

int
tcp_listen(struct relay *rl, const struct config *cfg, char *err,
    size_t errlen)
{
	static const struct conn_server_cb cb = { tcp_open_cb, tcp_limit_cb };
	static const char *const names[2] = { "turn-port", "tls-port" };
	struct conn_server_params p = {
		.name = "relay",
		.per_ip = TCP_CONN_PER_IP,
		.max_conns = 1024,
		.read_high = TCP_READ_HIGH,
	};
	struct tcp_server *ts;
	struct rlimit lim;
	SSL_CTX *ctx;

	/* Each TCP allocation costs two descriptors; leave room for the
	 * UDP allocations and for signaling. */
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur !=
	    RLIM_INFINITY)
		p.max_conns = lim.rlim_cur / 4 > TCP_CONN_MIN ?
		    lim.rlim_cur / 4 : TCP_CONN_MIN;
	if ((ts = calloc(1, sizeof(*ts))) == NULL) {
		snprintf(err, errlen, "relay: out of memory");
		return -1;
	}
	rl->tcp = ts;
	ts->rl = rl;
	if ((ts->cs = conn_server_new(rl->env.base, &p, &cb, ts)) == NULL) {
		snprintf(err, errlen, "relay: out of memory");
		return -1;
	}
	if (cfg->tls_port != 0) {
		if ((ctx = tls_server_ctx(cfg->cert, cfg->pkey, err, errlen)) ==
		    NULL)
			return -1;
		conn_server_set_tls(ts->cs, ctx);
	}
	/* A port shared with HTTP(S), or turn-port = tls-port, is the
	 * program's demultiplexer's (common/portshare.h): it hands TURN
	 * connections to ts->cs. */
	return conn_server_listen_all(ts->cs, cfg->listen.v, cfg->listen.n,
	    cfg_shared_plain_port(cfg) != 0 ||
	    cfg->turn_port == cfg_shared_tls_port(cfg) ? 0 : cfg->turn_port,
	    cfg_shared_tls_port(cfg) != 0 ? 0 : cfg->tls_port, names, err,
	    errlen);
}

struct conn_server *
relay_conn_server(struct relay *rl)
{
	return rl != NULL && rl->tcp != NULL ? rl->tcp->cs : NULL;
}

int
tcp_start(struct relay *rl)
{
	struct tcp_server *ts = rl->tcp;

	if (ts == NULL)
		return 0;
	if (conn_server_start(ts->cs) != 0)
		return -1;
	if (conn_server_tls(ts->cs) != NULL)
		log_info("relay: STUN/TURN on TCP port %d, TLS on port %d",
		    rl->env.cfg->turn_port, rl->env.cfg->tls_port);
	else
		log_info("relay: STUN/TURN on TCP port %d, no TLS",
		    rl->env.cfg->turn_port);
	return 0;
}

/* No new connections; open ones are served on. */
void
tcp_stop(struct relay *rl)
{
	if (rl->tcp != NULL)
		conn_server_stop(rl->tcp->cs);
}

void
tcp_reload(struct relay *rl, const struct config *cfg)
{
	struct tcp_server *ts = rl->tcp;
	char err[512];
	SSL_CTX *ctx;

	/* New connections get the new certificate; open ones keep theirs
	 * (SSL_CTX is reference counted). */
	if (ts == NULL || conn_server_tls(ts->cs) == NULL)
		return;
	if ((ctx = tls_server_ctx(cfg->cert, cfg->pkey, err, sizeof(err))) ==
	    NULL) {
		log_err("SIGHUP: TURN over TLS keeps its certificate: %s", err);
		return;
	}
	conn_server_set_tls(ts->cs, ctx);
	log_info("relay: TLS certificate reloaded");
}

/* Closes every connection (their allocations first) and the listeners. */
void
tcp_close(struct relay *rl)
{
	struct tcp_server *ts = rl->tcp;

	if (ts == NULL)
		return;
	conn_server_free(ts->cs);
	free(ts);
	rl->tcp = NULL;
}
