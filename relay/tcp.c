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
 * On EMFILE a listener pauses for a second.
 *
 * A connection is never freed while one of its callbacks, or the
 * protocol code that called tcp_to_client(), is on the stack: closing
 * marks it and moves it to a list that an event reaps from the loop.
 * Everything runs on the daemon's loop thread.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* libbsd's RB_GENERATE_STATIC marks its functions __unused. */
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif

#include <sys/queue.h>
#include <sys/tree.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "auth/pseudonym.h"
#include "auth/tls.h"
#include "common/config.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/rdwr.h"
#include "common/secevent.h"
#include "db/db.h"
#include "relay/relay_int.h"
#include "relay/turn_int.h"

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

enum tcp_state {
	TCP_ST_NEW = 0,		/* no complete message yet */
	TCP_ST_OPEN,
	TCP_ST_CLOSING
};

struct tcp_ip {
	RB_ENTRY(tcp_ip)	 node;
	struct maddr		 key;		/* addr_client_key() */
	unsigned		 n;
};
RB_HEAD(tcp_ip_tree, tcp_ip);

struct tcp_listener {
	struct evconnlistener	*l;
	struct event		*retry;
	struct tcp_server	*ts;
	int			 tls;
};

struct tcp_conn {
	TAILQ_ENTRY(tcp_conn)	 entry;
	struct tcp_server	*ts;
	struct bufferevent	*bev;
	struct event		*timer;
	struct tcp_ip		*ip;
	struct turn_tuple	 t;		/* t.conn is this */
	enum tcp_state		 state;
	size_t			 skip;		/* padding still to skip */
	uint64_t		 noalloc_since;	/* ms; 0 while allocated */
};
TAILQ_HEAD(tcp_conns, tcp_conn);

struct tcp_server {
	struct relay		*rl;
	struct tcp_listener	*lis;
	size_t			 nlis;
	SSL_CTX			*tls;		/* NULL: tls-port 0 */
	struct tcp_conns	 fresh;		/* TCP_ST_NEW, oldest first */
	struct tcp_conns	 conns;		/* TCP_ST_OPEN */
	struct tcp_conns	 reap;		/* TCP_ST_CLOSING */
	struct event		*reaper;
	struct tcp_ip_tree	 ips;
	size_t			 nconns;
	size_t			 max_conns;
	int			 stopping;
	/* Security events from this file, at most TURN_EVENTS_PER_SEC. */
	long long		 ev_sec;
	int			 ev_n;
};

/* ------------------------------------------------------------------ */
/* Framing (pure: the fuzzer drives these). */

/*
 * Looks at the first n bytes of a stream (n may be short of a header).
 * TCP_FRAME_MORE: more bytes are needed to judge the header;
 * TCP_FRAME_OK: *msglen is the message's length (header included) and
 * *padlen the padding after it; TCP_FRAME_BAD: not a frame we take.
 */
int
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
		return TCP_FRAME_MORE;
	if (b0 >= 0x40 && b0 <= 0x7F) {		/* see TURN_CHAN_MAX */
		(void)rd_u8(&r);
		len = rd_u16(&r);
		if (r.err)
			return TCP_FRAME_MORE;
		if ((size_t)CHAN_HDR + len > TURN_BUF_MAX)
			return TCP_FRAME_BAD;
		*msglen = (size_t)CHAN_HDR + len;
		*padlen = (4 - (len & 3)) & 3;	/* RFC 8656 §12.5 */
		return TCP_FRAME_OK;
	}
	if ((b0 & 0xC0) != 0)		/* RFC 8489 §5: top two bits zero */
		return TCP_FRAME_BAD;
	(void)rd_u8(&r);
	len = rd_u16(&r);
	if (r.err)
		return TCP_FRAME_MORE;
	if ((len & 3) != 0 || (size_t)STUN_HDR + len > TURN_BUF_MAX)
		return TCP_FRAME_BAD;
	cookie = rd_u32(&r);
	if (r.err)
		return TCP_FRAME_MORE;
	if (cookie != STUN_COOKIE)
		return TCP_FRAME_BAD;
	*msglen = (size_t)STUN_HDR + len;
	return TCP_FRAME_OK;
}

/*
 * Hands every complete frame buffered in `in` to fn, whole and
 * contiguous, and consumes it with its padding (*skip carries padding
 * that has not arrived yet).  chan_ok (may be NULL) is asked at each
 * ChannelData header whether ChannelData may come now: a client with no
 * allocation has no channel, so on a stream such bytes are garbage that
 * merely starts like ChannelData ("GET " does).  Returns 0 when what is
 * left is the start of a frame, 1 when fn returned nonzero (stop: the
 * connection is going), -1 on a bad frame (or no memory to make a frame
 * contiguous).
 */
int
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
		switch (tcp_frame(hdr, n, &msglen, &padlen)) {
		case TCP_FRAME_BAD:
			return -1;
		case TCP_FRAME_MORE:
			return 0;
		}
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
			return 1;
	}
}

/* ------------------------------------------------------------------ */
/* Connections. */

static int
ip_cmp(struct tcp_ip *a, struct tcp_ip *b)
{
	if (a->key.family != b->key.family)
		return a->key.family < b->key.family ? -1 : 1;
	return memcmp(a->key.ip, b->key.ip, sizeof(a->key.ip));
}

RB_GENERATE_STATIC(tcp_ip_tree, tcp_ip, node, ip_cmp)

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *
proto_name(const struct turn_tuple *t)
{
	return t->proto == TURN_TLS ? "tls" : "tcp";
}

/* A security event about a client of ours (rate limited). */
static void
tcp_secevent(struct tcp_server *ts, enum secev_type type,
    enum secev_severity sev, const struct maddr *client, int tls,
    const char *name, const char *why)
{
	struct daemon *d = ts->rl->d;
	char pseudo[PSEUDONYM_LEN + 1];
	long long now = (long long)time(NULL);

	if (now != ts->ev_sec) {
		ts->ev_sec = now;
		ts->ev_n = 0;
	}
	if (ts->ev_n++ >= TURN_EVENTS_PER_SEC)
		return;
	if (d->db != NULL)
		mdb_pseudonym(d->db, client, pseudo);
	secevent_emit(d->seclog, type, sev, NULL, d->db != NULL ? pseudo :
	    NULL, name, json_pack("{s:s, s:s}", "transport", tls ? "tls" :
	    "tcp", "why", why));
}

static void
ip_put(struct tcp_server *ts, struct tcp_ip *ip)
{
	if (ip == NULL || --ip->n > 0)
		return;
	RB_REMOVE(tcp_ip_tree, &ts->ips, ip);
	free(ip);
}

/* Marks c closing; the reaper frees it (and its allocation) from the loop. */
static void
conn_close(struct tcp_conn *c, const char *why)
{
	struct tcp_server *ts = c->ts;
	struct daemon *d = ts->rl->d;
	char pseudo[PSEUDONYM_LEN + 1];

	if (c->state == TCP_ST_CLOSING)
		return;
	/* The log names clients by pseudonym only, never by address. */
	if (log_get_level() >= LOG_LEVEL_DEBUG) {
		if (d->db != NULL)
			mdb_pseudonym(d->db, &c->t.client, pseudo);
		else
			strlcpy(pseudo, "-", sizeof(pseudo));
		log_debug("relay: %s client %s: %s", proto_name(&c->t),
		    pseudo, why);
	}
	TAILQ_REMOVE(c->state == TCP_ST_NEW ? &ts->fresh : &ts->conns, c,
	    entry);
	c->state = TCP_ST_CLOSING;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	evtimer_del(c->timer);
	TAILQ_INSERT_TAIL(&ts->reap, c, entry);
	event_active(ts->reaper, EV_TIMEOUT, 0);
}

/* Frees a connection that is off both lists; its allocation goes first. */
static void
conn_free(struct tcp_conn *c)
{
	struct tcp_server *ts = c->ts;

	turn_tuple_closed(ts->rl->loops[0]->ctx, &c->t);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->timer != NULL)
		event_free(c->timer);
	ip_put(ts, c->ip);
	ts->nconns--;
	free(c);
}

static void
reaper_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_server *ts = arg;
	struct tcp_conn *c;

	while ((c = TAILQ_FIRST(&ts->reap)) != NULL) {
		TAILQ_REMOVE(&ts->reap, c, entry);
		conn_free(c);
	}
}

static void
arm(struct tcp_conn *c, int secs)
{
	struct timeval tv = { secs, 0 };

	evtimer_add(c->timer, &tv);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *c = arg;
	struct tcp_server *ts = c->ts;
	uint64_t now;

	if (c->state == TCP_ST_NEW) {
		/* A silent client, a slow one, or a stalled handshake. */
		tcp_secevent(ts, SECEV_CONNECTION, SECEV_LOW, &c->t.client,
		    c->t.proto == TURN_TLS, "turn_tcp_timeout",
		    "no complete message in time");
		conn_close(c, "no complete message in time");
		return;
	}
	now = mono_ms();
	if (alloc_find(ts->rl->loops[0]->ctx, &c->t) != NULL)
		c->noalloc_since = 0;
	else if (c->noalloc_since == 0)
		c->noalloc_since = now;
	else if (now - c->noalloc_since >= TCP_NOALLOC_SECS * 1000ULL) {
		conn_close(c, "no allocation");
		return;
	}
	arm(c, TCP_CHECK_SECS);
}

/* One complete frame from the client. */
static int
conn_msg(void *arg, const uint8_t *p, size_t len)
{
	struct tcp_conn *c = arg;
	struct relay_loop *lp = c->ts->rl->loops[0];

	if (c->state == TCP_ST_NEW) {
		TAILQ_REMOVE(&c->ts->fresh, c, entry);
		TAILQ_INSERT_TAIL(&c->ts->conns, c, entry);
		c->state = TCP_ST_OPEN;
		c->noalloc_since = mono_ms();
		arm(c, TCP_CHECK_SECS);
	}
	lp->cur_proto = c->t.proto;
	turn_handle_client(lp->ctx, &c->t, p, len);
	lp->cur_proto = TURN_UDP;
	return c->state == TCP_ST_CLOSING;
}

/* ChannelData needs a channel, and a channel an allocation. */
static int
conn_chan_ok(void *arg)
{
	struct tcp_conn *c = arg;

	return alloc_find(c->ts->rl->loops[0]->ctx, &c->t) != NULL;
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;

	if (c->state == TCP_ST_CLOSING)
		return;
	relay_clock(c->ts->rl->loops[0]);
	if (tcp_drain(bufferevent_get_input(bev), &c->skip, conn_msg,
	    conn_chan_ok, c) < 0) {
		tcp_secevent(c->ts, SECEV_MESSAGE, SECEV_MEDIUM, &c->t.client,
		    c->t.proto == TURN_TLS, "turn_tcp_bad_frame",
		    "not STUN or ChannelData, or too long");
		conn_close(c, "bad frame");
	}
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_conn *c = arg;
	unsigned long e;
	char buf[128];

	if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) == 0)
		return;
	if (c->t.proto == TURN_TLS && (e = bufferevent_get_openssl_error(bev))
	    != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		while (bufferevent_get_openssl_error(bev) != 0)
			;
		conn_close(c, buf);
	} else
		conn_close(c, what & BEV_EVENT_EOF ? "closed by the client" :
		    "connection error");
}

void
tcp_to_client(void *arg, const struct turn_tuple *t, const struct iovec *iov,
    int iovcnt)
{
	struct tcp_conn *c = t->conn;
	struct evbuffer *out;
	size_t len = 0;
	int i;

	if (c == NULL || c->state == TCP_ST_CLOSING)
		return;
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) + len > TCP_OUT_MAX) {
		/* A client that does not read would hold memory without
		 * bound; on a stream we cannot drop a frame quietly. */
		tcp_secevent(c->ts, SECEV_ERROR, SECEV_LOW, &c->t.client,
		    t->proto == TURN_TLS, "slow_consumer",
		    "output buffer full");
		conn_close(c, "does not read");
		return;
	}
	for (i = 0; i < iovcnt; i++)
		if (iov[i].iov_len > 0 && evbuffer_add(out, iov[i].iov_base,
		    iov[i].iov_len) != 0) {
			conn_close(c, "out of memory");
			return;
		}
}

/* ------------------------------------------------------------------ */
/* Listeners. */

/*
 * At the total cap: frees the oldest connection that has not sent a whole
 * message (none of its callbacks is on the stack: we are in accept_cb).
 * 0 when every connection has spoken.
 */
static int
evict_fresh(struct tcp_server *ts)
{
	struct tcp_conn *c;

	if ((c = TAILQ_FIRST(&ts->fresh)) == NULL)
		return 0;
	TAILQ_REMOVE(&ts->fresh, c, entry);
	c->state = TCP_ST_CLOSING;
	tcp_secevent(ts, SECEV_CONNECTION, SECEV_LOW, &c->t.client,
	    c->t.proto == TURN_TLS, "turn_tcp_conn_limit", "the oldest "
	    "connection without a message dropped for a new one");
	conn_free(c);
	return 1;
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct tcp_listener *tl = arg;
	struct tcp_server *ts = tl->ts;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct tcp_ip key, *ip;
	struct tcp_conn *c;
	struct maddr peer;
	SSL *ssl;
	int on = 1;

	addr_from_sockaddr(&peer, sa);
	if (ts->stopping || peer.family == 0) {
		evutil_closesocket(fd);
		return;
	}
	memset(&key, 0, sizeof(key));
	addr_client_key(&peer, &key.key);
	if ((ip = RB_FIND(tcp_ip_tree, &ts->ips, &key)) != NULL &&
	    ip->n >= TCP_CONN_PER_IP) {
		evutil_closesocket(fd);
		tcp_secevent(ts, SECEV_CONNECTION, SECEV_LOW, &peer, tl->tls,
		    "turn_tcp_conn_limit", "connections per client IP");
		return;
	}
	/* Only a newcomer within its per-IP limit may evict. */
	if (ts->nconns >= ts->max_conns) {
		if (!evict_fresh(ts)) {
			evutil_closesocket(fd);
			tcp_secevent(ts, SECEV_CONNECTION, SECEV_LOW, &peer,
			    tl->tls, "turn_tcp_conn_limit",
			    "connections in total");
			return;
		}
		/* The victim may have been its address's last. */
		ip = RB_FIND(tcp_ip_tree, &ts->ips, &key);
	}
	if (ip == NULL) {
		if ((ip = calloc(1, sizeof(*ip))) == NULL) {
			evutil_closesocket(fd);
			return;
		}
		ip->key = key.key;
		RB_INSERT(tcp_ip_tree, &ts->ips, ip);
	}
	ip->n++;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		ip_put(ts, ip);
		return;
	}
	c->ts = ts;
	c->ip = ip;
	ts->nconns++;
	c->t.client = peer;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		addr_from_sockaddr(&c->t.server, (struct sockaddr *)&ss);
	c->t.proto = tl->tls ? TURN_TLS : TURN_TCP;
	c->t.conn = c;
	/* Small frames of real-time media: no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (tl->tls) {
		if ((ssl = SSL_new(ts->tls)) == NULL) {
			evutil_closesocket(fd);
			goto fail;
		}
		c->bev = bufferevent_openssl_socket_new(ts->rl->d->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev == NULL) {
			SSL_free(ssl);
			evutil_closesocket(fd);
			goto fail;
		}
		bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else if ((c->bev = bufferevent_socket_new(ts->rl->d->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evutil_closesocket(fd);
		goto fail;
	}
	if ((c->timer = evtimer_new(ts->rl->d->base, timer_cb, c)) == NULL)
		goto fail;
	TAILQ_INSERT_TAIL(&ts->fresh, c, entry);
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, TCP_READ_HIGH);
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0) {
		TAILQ_REMOVE(&ts->fresh, c, entry);
		goto fail;
	}
	arm(c, TCP_FIRST_SECS);
	return;
fail:
	/* Not on a list yet; nothing was allocated for its tuple. */
	conn_free(c);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_listener *tl = arg;

	if (!tl->ts->stopping)
		evconnlistener_enable(tl->l);
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct tcp_listener *tl = arg;
	struct timeval tv = { 1, 0 };
	int e = EVUTIL_SOCKET_ERROR();

	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		log_warn("relay: accept: %s; pausing for a second",
		    strerror(e));
		evconnlistener_disable(tl->l);
		evtimer_add(tl->retry, &tv);
		return;
	}
	log_warn("relay: accept: %s", strerror(e));
}

static int
listen_one(struct tcp_server *ts, const struct maddr *a, int port, int tls,
    char *err, size_t errlen)
{
	struct tcp_listener *tl = &ts->lis[ts->nlis];
	struct sockaddr_storage ss;
	struct maddr m = *a;
	char buf[ADDR_STRLEN];
	socklen_t len;
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	    LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED;

	m.port = (uint16_t)port;
	len = addr_to_sockaddr(&m, &ss);
	if (m.family == AF_INET6)
		flags |= LEV_OPT_BIND_IPV6ONLY;
	tl->ts = ts;
	tl->tls = tls;
	if ((tl->retry = evtimer_new(ts->rl->d->base, retry_cb, tl)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ts->nlis++;
	tl->l = evconnlistener_new_bind(ts->rl->d->base, accept_cb, tl, flags,
	    511, (struct sockaddr *)&ss, (int)len);
	if (tl->l == NULL) {
		snprintf(err, errlen, "%s: cannot listen on %s: %s",
		    tls ? "tls-port" : "turn-port",
		    addr_ntop_port(&m, buf, sizeof(buf)), strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(tl->l, accept_error_cb);
	return 0;
}

int
tcp_listen(struct relay *rl, const struct config *cfg, char *err,
    size_t errlen)
{
	struct tcp_server *ts;
	struct rlimit lim;
	size_t i, n;

	if ((ts = calloc(1, sizeof(*ts))) == NULL) {
		snprintf(err, errlen, "relay: out of memory");
		return -1;
	}
	rl->tcp = ts;
	ts->rl = rl;
	TAILQ_INIT(&ts->fresh);
	TAILQ_INIT(&ts->conns);
	TAILQ_INIT(&ts->reap);
	RB_INIT(&ts->ips);
	ts->max_conns = 1024;
	/* Each TCP allocation costs two descriptors; leave room for the
	 * UDP allocations and for signaling. */
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur !=
	    RLIM_INFINITY)
		ts->max_conns = lim.rlim_cur / 4 > TCP_CONN_MIN ?
		    lim.rlim_cur / 4 : TCP_CONN_MIN;
	if ((ts->reaper = event_new(rl->d->base, -1, 0, reaper_cb, ts)) ==
	    NULL) {
		snprintf(err, errlen, "relay: out of memory");
		return -1;
	}
	if (cfg->tls_port != 0 && (ts->tls = tls_server_ctx(cfg->cert,
	    cfg->pkey, err, errlen)) == NULL)
		return -1;
	n = cfg->listen.n * (cfg->tls_port != 0 ? 2 : 1);
	if ((ts->lis = calloc(n > 0 ? n : 1, sizeof(*ts->lis))) == NULL) {
		snprintf(err, errlen, "relay: out of memory");
		return -1;
	}
	for (i = 0; i < cfg->listen.n; i++) {
		if (listen_one(ts, &cfg->listen.v[i], cfg->turn_port, 0, err,
		    errlen) != 0)
			return -1;
		if (cfg->tls_port != 0 && listen_one(ts, &cfg->listen.v[i],
		    cfg->tls_port, 1, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
tcp_start(struct relay *rl)
{
	struct tcp_server *ts = rl->tcp;
	size_t i;

	if (ts == NULL)
		return 0;
	for (i = 0; i < ts->nlis; i++)
		if (evconnlistener_enable(ts->lis[i].l) != 0)
			return -1;
	if (ts->tls != NULL)
		log_info("relay: STUN/TURN on TCP port %d, TLS on port %d",
		    rl->d->cfg->turn_port, rl->d->cfg->tls_port);
	else
		log_info("relay: STUN/TURN on TCP port %d, no TLS",
		    rl->d->cfg->turn_port);
	return 0;
}

void
tcp_stop(struct relay *rl)
{
	struct tcp_server *ts = rl->tcp;
	size_t i;

	if (ts == NULL)
		return;
	ts->stopping = 1;
	/* Close the listening sockets: new connections are refused rather
	 * than left in the backlog; open ones are served on. */
	for (i = 0; i < ts->nlis; i++) {
		if (ts->lis[i].l != NULL)
			evconnlistener_free(ts->lis[i].l);
		ts->lis[i].l = NULL;
		if (ts->lis[i].retry != NULL)
			evtimer_del(ts->lis[i].retry);
	}
}

void
tcp_reload(struct relay *rl, const struct config *cfg)
{
	struct tcp_server *ts = rl->tcp;
	char err[512];
	SSL_CTX *ctx;

	/* New connections get the new certificate; open ones keep theirs
	 * (SSL_CTX is reference counted). */
	if (ts == NULL || ts->tls == NULL)
		return;
	if ((ctx = tls_server_ctx(cfg->cert, cfg->pkey, err, sizeof(err))) ==
	    NULL) {
		log_err("SIGHUP: TURN over TLS keeps its certificate: %s", err);
		return;
	}
	SSL_CTX_free(ts->tls);
	ts->tls = ctx;
	log_info("relay: TLS certificate reloaded");
}

/* Closes every connection (their allocations first) and the listeners. */
void
tcp_close(struct relay *rl)
{
	struct tcp_server *ts = rl->tcp;
	struct tcp_conn *c;
	size_t i;

	if (ts == NULL)
		return;
	while ((c = TAILQ_FIRST(&ts->fresh)) != NULL) {
		TAILQ_REMOVE(&ts->fresh, c, entry);
		conn_free(c);
	}
	while ((c = TAILQ_FIRST(&ts->conns)) != NULL) {
		TAILQ_REMOVE(&ts->conns, c, entry);
		conn_free(c);
	}
	while ((c = TAILQ_FIRST(&ts->reap)) != NULL) {
		TAILQ_REMOVE(&ts->reap, c, entry);
		conn_free(c);
	}
	for (i = 0; i < ts->nlis; i++) {
		if (ts->lis[i].l != NULL)
			evconnlistener_free(ts->lis[i].l);
		if (ts->lis[i].retry != NULL)
			event_free(ts->lis[i].retry);
	}
	free(ts->lis);
	if (ts->reaper != NULL)
		event_free(ts->reaper);
	if (ts->tls != NULL)
		SSL_CTX_free(ts->tls);
	free(ts);
	rl->tcp = NULL;
}
