/*
 * bench_turn.c - meetopia-bench's allocations, transports and threads.
 *
 * Each allocation is one client 5-tuple: a connected UDP socket (read with
 * recvmmsg, written with sendmmsg) or a TCP/TLS connection (bufferevent).
 * Its setup is a sequence of transactions, one at a time:
 *
 *   Allocate (401 -> REALM, NONCE; again with MESSAGE-INTEGRITY)
 *   -> CreatePermission (the partner's relayed address, or the peer)
 *   -> ChannelBind (channel 0x4000, the same address)      RFC 8656 §7-§12
 *
 * then media flows as ChannelData.  In pair mode (a WebRTC call) the two
 * allocations of a pair live on one thread and permit each other's relayed
 * address; in peer mode each allocation talks to a UDP echo peer, ours (one
 * socket per thread) or an external one.  Runs longer than a few minutes
 * refresh the allocation, permission and channel (RFC 8656 §8, §9, §12).
 *
 * Threads: one event base each, owning whole pairs, so no lock is taken on
 * the packet path; the main thread steers them with commands (event_active)
 * and reads their counters with relaxed atomic loads.
 *
 * UDP requests are retransmitted (RFC 8489 §6.2.1: RTO 500 ms, doubling,
 * 7 transmissions at most); over TCP/TLS a request times out after 39.5 s.
 * 438 Stale Nonce takes the new NONCE and retries.
 */
#include "config.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* recvmmsg, sendmmsg */
#endif

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "auth/cred.h"
#include "tools/bench.h"

#define ATTR_CHANNEL_NUMBER	0x000C
#define ATTR_LIFETIME		0x000D
#define ATTR_XOR_PEER_ADDRESS	0x0012
#define ATTR_REQUESTED_TRANSPORT 0x0019

#define RTO_MS			500
#define MAX_TRANSMITS		7
#define STREAM_TIMEOUT_MS	39500
#define MAINT_INTERVAL_S	120	/* refresh allocation, permission, channel */
#define TCP_OUT_MAX		(1024 * 1024)	/* client backlog per stream */
#define MAX_STALL_NS		(100 * 1000000ULL)

enum astate {
	AS_IDLE,	/* not started */
	AS_CONNECT,	/* TCP/TLS connecting */
	AS_ALLOC,	/* Allocate in flight */
	AS_WAIT,	/* allocated, partner not yet */
	AS_PERM,	/* CreatePermission in flight */
	AS_BIND,	/* ChannelBind in flight */
	AS_READY,
	AS_M_REFRESH,	/* maintenance: Refresh in flight */
	AS_M_PERM,
	AS_M_BIND,
	AS_DEALLOC,	/* Refresh LIFETIME 0 in flight */
	AS_REOPEN,	/* 437 to Allocate: again from a new port */
	AS_FAILED,
	AS_CLOSED
};

struct bench_alloc {
	struct bench_thread	*t;
	unsigned		 idx;
	struct bench_alloc	*partner;
	enum astate		 state;
	int			 setup_counted;
	int			 bound;		/* the channel carries media */
	int			 fd;
	struct event		*ev;		/* UDP read */
	struct bufferevent	*bev;		/* TCP/TLS */
	char			 user[CRED_USER_MAX];
	char			 pass[CRED_USER_MAX];
	uint8_t			*realm, *nonce;
	size_t			 realm_len, nonce_len;
	uint8_t			 key[16];
	int			 have_key;
	int			 auth_sent;
	int			 stale;
	int			 reopened;
	int			 allocated;
	struct bench_req	 req;
	size_t			 req_len;
	uint16_t		 req_method;
	int			 transmits;
	struct event		*rtx;
	uint64_t		 t_first;
	struct maddr		 relayed;
	struct maddr		 peer;
	int			 have_peer;
	struct bench_stream	*tx, *rx;
	uint64_t		 last_maint;
};

struct bench_thread {
	struct bench_run	*run;
	unsigned		 id;
	pthread_t		 tid;
	int			 started;
	struct event_base	*base;
	struct event		*cmd_ev;
	int			 cmdbits;	/* atomic */
	struct bench_alloc	**a;
	unsigned		 na;
	unsigned		 next;		/* next allocation to start */
	unsigned		 busy;		/* allocations in setup */
	struct bench_stream	**s;
	unsigned		 ns;
	int			 sending;
	int			 tearing_down;
	int			 starting;
	unsigned		 ticks;
	unsigned		 dealloc_left;
	int			 peer_fd;
	struct event		*peer_ev;
	struct maddr		 peer_addr;
	struct event		*tick;
	struct event		*stop_timer;
	struct bench_counters	 c;
	struct bench_hist	 lat, alloc_lat;

	uint8_t			 rbuf[BENCH_BATCH][BENCH_BUFSZ];
	struct mmsghdr		 rmsg[BENCH_BATCH];
	struct iovec		 riov[BENCH_BATCH];
	struct sockaddr_storage	 rname[BENCH_BATCH];
	uint8_t			 sbuf[BENCH_BATCH][BENCH_BUFSZ];
	struct mmsghdr		 smsg[BENCH_BATCH];
	struct iovec		 siov[BENCH_BATCH];
};

#define CSET(t, f, v)	__atomic_store_n(&(t)->c.f, (v), __ATOMIC_RELAXED)
#define CADD(t, f, n)	CSET(t, f, (t)->c.f + (n))
#define CGET(t, f)	__atomic_load_n(&(t)->c.f, __ATOMIC_RELAXED)

static void	alloc_next_step(struct bench_alloc *);
static void	alloc_fail(struct bench_alloc *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	thread_start_more(struct bench_thread *);
static void	stream_refill(struct bench_thread *, struct bench_stream *,
		    uint64_t);

int
bench_addr_is_loopback(const struct maddr *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };

	if (a->family == AF_INET)
		return a->ip[0] == 127;
	if (a->family == AF_INET6)
		return memcmp(a->ip, v6lo, 16) == 0;
	return 0;
}

void
bench_note_error(struct bench_run *run, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&run->errlock);
	if (run->first_error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(run->first_error, sizeof(run->first_error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&run->errlock);
}

const char *
bench_transport_name(enum bench_transport t)
{
	return t == BENCH_TCP ? "tcp" : t == BENCH_TLS ? "tls" : "udp";
}

/* ------------------------------------------------------------------ */
/* Sending control messages. */

/* An allocation leaves AS_DEALLOC: the last one ends the thread's loop. */
static void
dealloc_done(struct bench_alloc *a, enum astate next)
{
	struct bench_thread *t = a->t;

	if (a->state != AS_DEALLOC)
		return;
	a->state = next;
	a->req_len = 0;
	evtimer_del(a->rtx);
	if (t->dealloc_left > 0 && --t->dealloc_left == 0 && t->tearing_down)
		event_base_loopexit(t->base, NULL);
}

static void
alloc_transmit(struct bench_alloc *a)
{
	struct timeval tv;
	unsigned ms;

	if (a->bev != NULL) {
		if (bufferevent_write(a->bev, a->req.buf, a->req_len) != 0) {
			alloc_fail(a, "write: out of memory");
			return;
		}
		ms = STREAM_TIMEOUT_MS;
	} else {
		if (send(a->fd, a->req.buf, a->req_len, MSG_DONTWAIT) < 0 &&
		    errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS &&
		    errno != ECONNREFUSED) {
			alloc_fail(a, "send: %s", strerror(errno));
			return;
		}
		ms = RTO_MS << a->transmits;
		if (a->transmits == MAX_TRANSMITS - 1)
			ms = RTO_MS * 16;	/* RFC 8489 §6.2.1: Rm x RTO */
	}
	a->transmits++;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(a->rtx, &tv);
}

static int	alloc_open(struct bench_alloc *);
static void	alloc_close_transport(struct bench_alloc *);

static void
alloc_rtx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bench_alloc *a = arg;

	if (a->state == AS_REOPEN) {
		/* Not inside the socket's own callback here. */
		alloc_close_transport(a);
		if (a->ev != NULL) {
			event_free(a->ev);
			a->ev = NULL;
		}
		a->have_key = a->auth_sent = 0;
		a->state = AS_IDLE;
		alloc_open(a);
		return;
	}
	if (a->req_len == 0)
		return;
	if (a->bev != NULL || a->transmits >= MAX_TRANSMITS) {
		if (a->state == AS_DEALLOC) {
			dealloc_done(a, AS_CLOSED);
			return;
		}
		alloc_fail(a, "%s: no response from the server",
		    a->req_method == BENCH_TURN_ALLOCATE ? "allocate" :
		    a->req_method == BENCH_TURN_CREATE_PERMISSION ?
		    "create-permission" : a->req_method ==
		    BENCH_TURN_CHANNEL_BIND ? "channel-bind" : "refresh");
		return;
	}
	alloc_transmit(a);
}

/* Builds and sends a request for method; the previous one is done. */
static void
alloc_request(struct bench_alloc *a, uint16_t method)
{
	struct bench_req *q = &a->req;
	const struct bench_opts *o = &a->t->run->o;

	evtimer_del(a->rtx);
	bench_req_begin(q, method);
	switch (method) {
	case BENCH_TURN_ALLOCATE:
		bench_req_u32(q, ATTR_REQUESTED_TRANSPORT, 17U << 24);
		if (o->lifetime != 0)
			bench_req_u32(q, ATTR_LIFETIME, o->lifetime);
		break;
	case BENCH_TURN_REFRESH:
		bench_req_u32(q, ATTR_LIFETIME, a->state == AS_DEALLOC ? 0 :
		    o->lifetime != 0 ? o->lifetime : 600);
		break;
	case BENCH_TURN_CREATE_PERMISSION:
		bench_req_xor_addr(q, ATTR_XOR_PEER_ADDRESS, &a->peer);
		break;
	case BENCH_TURN_CHANNEL_BIND:
		bench_req_u32(q, ATTR_CHANNEL_NUMBER,
		    (uint32_t)BENCH_CHANNEL << 16);
		bench_req_xor_addr(q, ATTR_XOR_PEER_ADDRESS, &a->peer);
		break;
	}
	if (a->have_key) {
		bench_req_auth(q, a->user, a->realm, a->realm_len, a->nonce,
		    a->nonce_len, a->key);
		a->auth_sent = 1;
	}
	bench_req_fingerprint(q);
	if ((a->req_len = bench_req_len(q)) == 0) {
		alloc_fail(a, "request: does not fit");
		return;
	}
	a->req_method = method;
	a->transmits = 0;
	alloc_transmit(a);
}

/* ------------------------------------------------------------------ */
/* Setup state machine. */

static void
setup_done(struct bench_alloc *a)
{
	struct bench_thread *t = a->t;

	if (a->setup_counted)
		return;
	a->setup_counted = 1;
	CADD(t, setup_done, 1);
	if (t->busy > 0)
		t->busy--;
	thread_start_more(t);
}

static void
alloc_close_transport(struct bench_alloc *a)
{
	/* Not freed here: we may be inside its callback. */
	if (a->ev != NULL)
		event_del(a->ev);
	if (a->bev != NULL) {
		bufferevent_free(a->bev);	/* closes the socket */
		a->bev = NULL;
		a->fd = -1;
	}
	if (a->fd != -1) {
		close(a->fd);
		a->fd = -1;
	}
}

static void
alloc_fail(struct bench_alloc *a, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	int was_allocated = a->allocated;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (a->state == AS_FAILED || a->state == AS_CLOSED)
		return;
	if (a->state == AS_DEALLOC) {
		/* Leaving anyway: not a failure of the run. */
		dealloc_done(a, AS_CLOSED);
		alloc_close_transport(a);
		return;
	}
	if (a->t->run->o.verbose)
		fprintf(stderr, "meetopia-bench: allocation %u: %s\n", a->idx,
		    why);
	bench_note_error(a->t->run, "%s", why);
	evtimer_del(a->rtx);
	a->req_len = 0;
	a->bound = 0;
	if (!was_allocated)
		CADD(a->t, alloc_fail, 1);
	a->state = AS_FAILED;
	alloc_close_transport(a);
	setup_done(a);
	/* A partner left waiting for us will never be paired. */
	if (a->partner != NULL && a->partner->state == AS_WAIT)
		setup_done(a->partner);
}

static void
alloc_ready(struct bench_alloc *a)
{
	int first = !a->bound;

	a->state = AS_READY;
	a->bound = 1;
	a->req_len = 0;
	evtimer_del(a->rtx);
	if (first && !a->setup_counted) {
		CADD(a->t, ready, 1);
		setup_done(a);
	}
}

/* After Allocate: find the address to permit and go on. */
static void
alloc_next_step(struct bench_alloc *a)
{
	struct bench_thread *t = a->t;
	struct bench_alloc *p = a->partner;

	if (t->run->o.mode == BENCH_PEER) {
		a->peer = t->run->o.builtin_peer ? t->peer_addr : t->run->o.peer;
		a->have_peer = 1;
		a->state = AS_PERM;
		alloc_request(a, BENCH_TURN_CREATE_PERMISSION);
		return;
	}
	if (p == NULL || p->state < AS_WAIT || p->state >= AS_FAILED) {
		a->state = AS_WAIT;
		if (p != NULL && p->state >= AS_FAILED)
			setup_done(a);
		return;
	}
	if (p->state != AS_WAIT)
		return;
	/* Both allocated: each permits the other's relayed address. */
	a->peer = p->relayed;
	p->peer = a->relayed;
	a->have_peer = p->have_peer = 1;
	a->state = p->state = AS_PERM;
	alloc_request(a, BENCH_TURN_CREATE_PERMISSION);
	alloc_request(p, BENCH_TURN_CREATE_PERMISSION);
}

static void
alloc_start(struct bench_alloc *a)
{
	a->t_first = bench_now();
	if (CGET(a->t, first_alloc_ns) == 0)
		CSET(a->t, first_alloc_ns, a->t_first);
	a->state = AS_ALLOC;
	alloc_request(a, BENCH_TURN_ALLOCATE);
}

static void
handle_response(struct bench_alloc *a, const struct bench_stun_msg *m,
    const uint8_t *buf, size_t len)
{
	struct bench_thread *t = a->t;
	char ip[ADDR_STRLEN];

	if (a->req_len == 0 || m->method != a->req_method ||
	    memcmp(m->txid, a->req.txid, 12) != 0)
		return;		/* a late answer to an earlier transmission */
	if (m->cls == BENCH_CLASS_ERROR) {
		if (m->error_code == 401 && !a->auth_sent &&
		    m->realm != NULL && m->nonce != NULL) {
			uint8_t *r = malloc(m->realm_len);
			uint8_t *n = malloc(m->nonce_len);

			if (r == NULL || n == NULL) {
				free(r);
				free(n);
				alloc_fail(a, "out of memory");
				return;
			}
			memcpy(r, m->realm, m->realm_len);
			memcpy(n, m->nonce, m->nonce_len);
			free(a->realm);
			free(a->nonce);
			a->realm = r;
			a->realm_len = m->realm_len;
			a->nonce = n;
			a->nonce_len = m->nonce_len;
			bench_stun_key(a->user, a->realm, a->realm_len,
			    a->pass, a->key);
			a->have_key = 1;
			alloc_request(a, a->req_method);
			return;
		}
		if (m->error_code == 438 && m->nonce != NULL && a->stale < 5) {
			uint8_t *n = malloc(m->nonce_len);

			if (n == NULL) {
				alloc_fail(a, "out of memory");
				return;
			}
			memcpy(n, m->nonce, m->nonce_len);
			free(a->nonce);
			a->nonce = n;
			a->nonce_len = m->nonce_len;
			a->stale++;
			alloc_request(a, a->req_method);
			return;
		}
		if (m->error_code == 437 && a->state == AS_ALLOC &&
		    a->reopened < 3) {
			/*
			 * The server still holds an allocation for this
			 * 5-tuple (an earlier client on the same port): a
			 * new port, as a real client would.
			 */
			struct timeval tv = { 0, 1000 };

			a->reopened++;
			a->req_len = 0;
			a->state = AS_REOPEN;
			evtimer_add(a->rtx, &tv);
			return;
		}
		if (a->state == AS_DEALLOC) {
			/* 437: already gone.  Either way we are done. */
			dealloc_done(a, AS_CLOSED);
			return;
		}
		alloc_fail(a, "%s: %d %s",
		    a->req_method == BENCH_TURN_ALLOCATE ? "allocate" :
		    a->req_method == BENCH_TURN_CREATE_PERMISSION ?
		    "create-permission" : a->req_method ==
		    BENCH_TURN_CHANNEL_BIND ? "channel-bind" : "refresh",
		    m->error_code, m->reason);
		return;
	}
	if (m->cls != BENCH_CLASS_SUCCESS)
		return;
	/* RFC 8489 §9.2.4: a success to a signed request is signed. */
	if (!a->have_key ||
	    bench_stun_check_mi(buf, len, m, a->key) != 0) {
		CADD(t, junk, 1);
		return;
	}
	a->stale = 0;
	evtimer_del(a->rtx);
	a->req_len = 0;
	switch (a->state) {
	case AS_ALLOC:
		if (!m->have_relayed) {
			alloc_fail(a, "allocate: no XOR-RELAYED-ADDRESS");
			return;
		}
		if (!bench_addr_is_loopback(&m->relayed)) {
			alloc_fail(a, "allocate: relayed address %s is not "
			    "loopback: refusing to send load there",
			    addr_ntop(&m->relayed, ip, sizeof(ip)));
			return;
		}
		a->relayed = m->relayed;
		a->allocated = 1;
		a->last_maint = bench_now();
		CADD(t, alloc_ok, 1);
		CSET(t, last_alloc_ns, a->last_maint);
		bench_hist_add(&t->alloc_lat,
		    (a->last_maint - a->t_first) / 1000);
		a->state = AS_WAIT;
		alloc_next_step(a);
		break;
	case AS_PERM:
		a->state = AS_BIND;
		alloc_request(a, BENCH_TURN_CHANNEL_BIND);
		break;
	case AS_BIND:
	case AS_M_BIND:
		alloc_ready(a);
		break;
	case AS_M_REFRESH:
		a->state = AS_M_PERM;
		alloc_request(a, BENCH_TURN_CREATE_PERMISSION);
		break;
	case AS_M_PERM:
		a->state = AS_M_BIND;
		alloc_request(a, BENCH_TURN_CHANNEL_BIND);
		break;
	case AS_DEALLOC:
		dealloc_done(a, AS_CLOSED);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Input: one datagram, or one frame of a stream. */

static void
media_in(struct bench_alloc *a, uint8_t *pkt, size_t len, uint64_t now)
{
	struct bench_thread *t = a->t;
	struct bench_stream *s = a->rx;
	uint64_t bad0, dup0;

	if (s == NULL) {
		CADD(t, junk, 1);
		return;
	}
	bad0 = s->bad;
	dup0 = s->dup;
	if (bench_stream_receive(s, pkt, len, now, &t->lat) == 0) {
		CADD(t, recv, 1);
		CADD(t, bytes, len);
	} else if (s->bad != bad0)
		CADD(t, bad, 1);
	else if (s->dup == dup0)
		CADD(t, junk, 1);
}

static void
alloc_input(struct bench_alloc *a, uint8_t *buf, size_t len, uint64_t now)
{
	struct bench_thread *t = a->t;
	struct bench_stun_msg m;
	struct rd r, body;
	uint8_t b0;
	uint16_t ch, clen;

	rd_init(&r, buf, len);
	b0 = rd_u8(&r);
	if (r.err) {
		CADD(t, junk, 1);
		return;
	}
	if (b0 >= 0x40 && b0 <= 0x7f) {
		/* ChannelData, RFC 8656 §12.4; UDP may carry padding. */
		rd_init(&r, buf, len);
		ch = rd_u16(&r);
		clen = rd_u16(&r);
		if (rd_sub(&r, &body, clen) != 0 || r.left > 3 ||
		    ch != BENCH_CHANNEL || !a->have_peer) {
			CADD(t, junk, 1);
			return;
		}
		media_in(a, buf + 4, clen, now);
		return;
	}
	if ((b0 & 0xc0) != 0 || bench_stun_parse(buf, len, &m) != 0) {
		CADD(t, junk, 1);
		return;
	}
	if (m.method == BENCH_TURN_DATA && m.cls == BENCH_CLASS_INDICATION) {
		/* Data before the channel is bound (RFC 8656 §11.6). */
		uint8_t *copy;

		if (m.data == NULL || !m.have_peer || !a->have_peer ||
		    !addr_eq(&m.peer, &a->peer) || m.data_len > BENCH_BUFSZ) {
			CADD(t, junk, 1);
			return;
		}
		if ((copy = malloc(m.data_len + 1)) == NULL)
			return;
		memcpy(copy, m.data, m.data_len);
		media_in(a, copy, m.data_len, now);
		free(copy);
		return;
	}
	if (m.cls == BENCH_CLASS_SUCCESS || m.cls == BENCH_CLASS_ERROR)
		handle_response(a, &m, buf, len);
	else
		CADD(t, junk, 1);
}

static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bench_alloc *a = arg;
	struct bench_thread *t = a->t;
	uint64_t now;
	int i, n, rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		for (i = 0; i < BENCH_BATCH; i++) {
			t->riov[i].iov_base = t->rbuf[i];
			t->riov[i].iov_len = BENCH_BUFSZ;
			memset(&t->rmsg[i].msg_hdr, 0, sizeof(struct msghdr));
			t->rmsg[i].msg_hdr.msg_iov = &t->riov[i];
			t->rmsg[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, t->rmsg, BENCH_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0 && errno == ECONNREFUSED && a->state == AS_ALLOC &&
		    !a->have_key) {
			/* ICMP port unreachable: nothing listens there. */
			alloc_fail(a, "allocate: connection refused");
			return;
		}
		if (n <= 0)
			break;
		now = bench_now();
		for (i = 0; i < n && a->state != AS_FAILED &&
		    a->state != AS_REOPEN; i++) {
			if (t->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
				CADD(t, junk, 1);
				continue;
			}
			alloc_input(a, t->rbuf[i], t->rmsg[i].msg_len, now);
		}
		if (a->state == AS_FAILED || a->state == AS_REOPEN)
			return;
		if (a->rx != NULL && t->sending &&
		    t->run->o.profile.kind == BENCH_MAX)
			stream_refill(t, a->rx, now);
		if (n < BENCH_BATCH)
			break;
	}
}

static void
tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct bench_alloc *a = arg;
	struct bench_thread *t = a->t;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[4];
	struct rd r;
	uint8_t b0;
	uint16_t l16;
	size_t total, used;

	while (evbuffer_get_length(in) >= 4 && a->state != AS_FAILED &&
	    a->state != AS_REOPEN) {
		evbuffer_copyout(in, hdr, sizeof(hdr));
		rd_init(&r, hdr, sizeof(hdr));
		b0 = rd_u8(&r);
		(void)rd_u8(&r);
		l16 = rd_u16(&r);
		if ((b0 & 0xc0) == 0) {
			total = used = 20 + (size_t)l16;
		} else if (b0 >= 0x40 && b0 <= 0x7f) {
			/* RFC 8656 §12.5: padded to 4 bytes over TCP. */
			used = 4 + (size_t)l16;
			total = (used + 3) & ~(size_t)3;
		} else {
			alloc_fail(a, "server sent a frame that is neither "
			    "STUN nor ChannelData");
			return;
		}
		if (total > BENCH_BUFSZ) {
			alloc_fail(a, "server sent an oversized frame");
			return;
		}
		if (evbuffer_get_length(in) < total)
			break;
		if (evbuffer_remove(in, t->rbuf[0], total) != (int)total) {
			alloc_fail(a, "read: short");
			return;
		}
		alloc_input(a, t->rbuf[0], used, bench_now());
	}
	if (a->state != AS_FAILED && a->state != AS_REOPEN && a->rx != NULL &&
	    t->sending &&
	    t->run->o.profile.kind == BENCH_MAX)
		stream_refill(t, a->rx, bench_now());
}

static void
tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct bench_alloc *a = arg;
	unsigned long e;

	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;

		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
		    &one, sizeof(one));
		if (a->state == AS_CONNECT)
			alloc_start(a);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		if (a->state == AS_DEALLOC || a->state == AS_CLOSED) {
			dealloc_done(a, AS_CLOSED);
			alloc_close_transport(a);
			return;
		}
		if (a->t->run->o.transport == BENCH_TLS &&
		    (e = bufferevent_get_openssl_error(bev)) != 0 &&
		    !ERR_SYSTEM_ERROR(e) && ERR_GET_LIB(e) != 0) {
			char buf[160];

			ERR_error_string_n(e, buf, sizeof(buf));
			alloc_fail(a, "tls: %s", buf);
		} else if (what & BEV_EVENT_EOF)
			alloc_fail(a, "connection closed by the server");
		else
			alloc_fail(a, "connect: %s",
			    evutil_socket_error_to_string(
			    EVUTIL_SOCKET_ERROR()));
	}
}

/* ------------------------------------------------------------------ */
/* Opening allocations. */

static int
alloc_open(struct bench_alloc *a)
{
	struct bench_thread *t = a->t;
	const struct bench_opts *o = &t->run->o;
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(&o->server, &ss);
	int fd, buf = 256 * 1024;

	if (o->transport == BENCH_UDP) {
		fd = socket(o->server.family, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1) {
			alloc_fail(a, "socket: %s", strerror(errno));
			return -1;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
		a->fd = fd;
		if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
			alloc_fail(a, "connect: %s", strerror(errno));
			return -1;
		}
		a->ev = event_new(t->base, fd, EV_READ | EV_PERSIST,
		    udp_read_cb, a);
		if (a->ev == NULL || event_add(a->ev, NULL) != 0) {
			alloc_fail(a, "event: out of memory");
			return -1;
		}
		alloc_start(a);
		return 0;
	}
	if (o->transport == BENCH_TLS) {
		SSL *ssl = SSL_new(t->run->ssl_ctx);

		if (ssl == NULL) {
			alloc_fail(a, "tls: SSL_new failed");
			return -1;
		}
		if (o->ca != NULL) {
			char ip[ADDR_STRLEN];

			/* The certificate must name the address we dialled. */
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
			    addr_ntop(&o->server, ip, sizeof(ip)));
		}
		a->bev = bufferevent_openssl_socket_new(t->base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
		if (a->bev == NULL)
			SSL_free(ssl);
	} else
		a->bev = bufferevent_socket_new(t->base, -1,
		    BEV_OPT_CLOSE_ON_FREE);
	if (a->bev == NULL) {
		alloc_fail(a, "bufferevent: out of memory");
		return -1;
	}
	bufferevent_setcb(a->bev, tcp_read_cb, NULL, tcp_event_cb, a);
	bufferevent_setwatermark(a->bev, EV_READ, 0, 256 * 1024);
	bufferevent_enable(a->bev, EV_READ | EV_WRITE);
	a->state = AS_CONNECT;
	if (bufferevent_socket_connect(a->bev, (struct sockaddr *)&ss,
	    (int)sl) != 0) {
		alloc_fail(a, "connect: %s", strerror(errno));
		return -1;
	}
	a->fd = bufferevent_getfd(a->bev);
	return 0;
}

static void
thread_start_more(struct bench_thread *t)
{
	const struct bench_opts *o = &t->run->o;

	/* A failure inside alloc_open() calls back here: the loop goes on. */
	if (t->starting)
		return;
	t->starting = 1;
	while (t->next < t->na && t->busy < o->concurrency &&
	    !t->tearing_down) {
		struct bench_alloc *a = t->a[t->next++];

		t->busy++;
		alloc_open(a);
	}
	t->starting = 0;
}

/* ------------------------------------------------------------------ */
/* Media. */

/*
 * Sends n packets of the stream as ChannelData through its source
 * allocation: one sendmmsg over UDP.  Returns how many left.
 */
static unsigned
stream_send(struct bench_thread *t, struct bench_stream *s, unsigned n,
    unsigned payload, int marker_last, uint64_t now)
{
	struct bench_alloc *a = s->src;
	int tcp = a->bev != NULL;
	unsigned i, built = 0;
	int k;

	if (n > BENCH_BATCH)
		n = BENCH_BATCH;
	if (tcp && evbuffer_get_length(bufferevent_get_output(a->bev)) >
	    TCP_OUT_MAX) {
		s->send_fail += n;
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct wr w;
		size_t len, tot;

		len = bench_stream_packet(s, t->sbuf[i] + 4, BENCH_BUFSZ - 8,
		    payload, marker_last && i == n - 1, now);
		if (len == 0)
			break;
		wr_init(&w, t->sbuf[i], BENCH_BUFSZ);
		wr_u16(&w, BENCH_CHANNEL);
		wr_u16(&w, (uint16_t)len);
		tot = 4 + len;
		if (tcp) {
			size_t padded = (tot + 3) & ~(size_t)3;

			memset(t->sbuf[i] + tot, 0, padded - tot);
			tot = padded;
		}
		t->siov[i].iov_base = t->sbuf[i];
		t->siov[i].iov_len = tot;
		memset(&t->smsg[i].msg_hdr, 0, sizeof(struct msghdr));
		t->smsg[i].msg_hdr.msg_iov = &t->siov[i];
		t->smsg[i].msg_hdr.msg_iovlen = 1;
		built++;
	}
	if (built == 0)
		return 0;
	if (tcp) {
		for (i = 0; i < built; i++)
			if (bufferevent_write(a->bev, t->siov[i].iov_base,
			    t->siov[i].iov_len) != 0)
				break;
		k = (int)i;
	} else {
		k = sendmmsg(a->fd, t->smsg, built, MSG_DONTWAIT);
		if (k < 0)
			k = 0;
	}
	s->sent += (unsigned)k;
	s->send_fail += built - (unsigned)k;
	CADD(t, sent, (unsigned)k);
	return (unsigned)k;
}

static int
stream_can_send(const struct bench_stream *s)
{
	return s->src->bound && s->dst->bound && s->src->state != AS_FAILED &&
	    s->dst->state != AS_FAILED;
}

static void
stream_refill(struct bench_thread *t, struct bench_stream *s, uint64_t now)
{
	const struct bench_opts *o = &t->run->o;
	int64_t inflight;
	unsigned want, k;

	if (!t->sending || !stream_can_send(s))
		return;
	inflight = (int64_t)(s->sent - s->recv - s->bad - s->dup -
	    s->written_off);
	if (inflight < 0) {
		/* Written off, then arrived after all. */
		s->written_off -= (uint64_t)-inflight < s->written_off ?
		    (uint64_t)-inflight : s->written_off;
		inflight = 0;
	}
	if (inflight > (int64_t)o->window / 2)
		return;
	s->last_progress = now;
	want = o->window - (unsigned)inflight;
	while (want > 0) {
		k = stream_send(t, s, want, o->payload, 0, now);
		if (k == 0)
			break;
		want -= k;
	}
}

static void
frame_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bench_stream *s = arg;
	struct bench_thread *t = s->src->t;
	const struct bench_opts *o = &t->run->o;
	uint64_t now = bench_now(), interval = 1000000000ULL / o->profile.fps;
	uint64_t bytes = (uint64_t)o->profile.bitrate / o->profile.fps / 8;
	unsigned npkt, payload, left, k;
	struct timeval tv;

	if (!t->sending)
		return;
	npkt = (unsigned)((bytes + o->payload - 1) / o->payload);
	if (npkt == 0)
		npkt = 1;
	payload = (unsigned)((bytes + npkt - 1) / npkt);
	if (payload < BENCH_PAYLOAD_MIN)
		payload = BENCH_PAYLOAD_MIN;
	if (stream_can_send(s)) {
		for (left = npkt; left > 0; left -= k) {
			k = left > BENCH_BATCH ? BENCH_BATCH : left;
			if (stream_send(t, s, k, payload, left == k, now) == 0) {
				s->send_fail += left - k;
				break;
			}
		}
		s->frames++;
	}
	s->rtp_ts += 90000 / o->profile.fps;
	s->next_due += interval;
	while (s->next_due + interval <= now) {
		/* The client fell behind: it, not the relay, is the limit. */
		s->next_due += interval;
		s->late_frames++;
	}
	tv.tv_sec = 0;
	tv.tv_usec = s->next_due > now ? (long)((s->next_due - now) / 1000) :
	    0;
	evtimer_add(s->timer, &tv);
}

static void
media_start(struct bench_thread *t)
{
	const struct bench_opts *o = &t->run->o;
	uint64_t now = bench_now();
	unsigned i;

	t->sending = 1;
	for (i = 0; i < t->ns; i++) {
		struct bench_stream *s = t->s[i];

		s->last_progress = now;
		if (o->profile.kind == BENCH_MAX)
			stream_refill(t, s, now);
		else if (o->profile.kind == BENCH_RATE) {
			uint64_t interval = 1000000000ULL / o->profile.fps;
			struct timeval tv;
			uint64_t off;

			/* Spread the streams over one frame interval. */
			off = interval * (uint64_t)(s->id % 997) / 997;
			s->next_due = t->run->start_ns + off;
			tv.tv_sec = 0;
			tv.tv_usec = s->next_due > now ?
			    (long)((s->next_due - now) / 1000) : 0;
			evtimer_add(s->timer, &tv);
		}
	}
}

/* Every 10 ms: unstick max-mode streams; start maintenance when due. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bench_thread *t = arg;
	const struct bench_opts *o = &t->run->o;
	uint64_t now = bench_now();
	unsigned i;

	if (t->sending && o->profile.kind == BENCH_MAX) {
		for (i = 0; i < t->ns; i++) {
			struct bench_stream *s = t->s[i];
			int64_t inflight = (int64_t)(s->sent - s->recv -
			    s->bad - s->dup - s->written_off);

			if (inflight > 0 &&
			    now - s->last_progress > MAX_STALL_NS) {
				s->written_off += (uint64_t)inflight;
				s->last_progress = now;
			}
			stream_refill(t, s, now);
		}
	}
	/* Maintenance is looked at once a second. */
	if (t->tearing_down || ++t->ticks % 100 != 0)
		return;
	for (i = 0; i < t->na; i++) {
		struct bench_alloc *a = t->a[i];

		if (a->state == AS_READY && now - a->last_maint >
		    (uint64_t)MAINT_INTERVAL_S * 1000000000ULL) {
			a->last_maint = now;
			a->state = AS_M_REFRESH;
			alloc_request(a, BENCH_TURN_REFRESH);
		}
	}
}

/* ------------------------------------------------------------------ */
/* The built-in UDP echo peer (one socket per thread). */

static void
peer_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bench_thread *t = arg;
	int i, n, rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		for (i = 0; i < BENCH_BATCH; i++) {
			t->riov[i].iov_base = t->rbuf[i];
			t->riov[i].iov_len = BENCH_BUFSZ;
			memset(&t->rmsg[i].msg_hdr, 0, sizeof(struct msghdr));
			t->rmsg[i].msg_hdr.msg_iov = &t->riov[i];
			t->rmsg[i].msg_hdr.msg_iovlen = 1;
			t->rmsg[i].msg_hdr.msg_name = &t->rname[i];
			t->rmsg[i].msg_hdr.msg_namelen = sizeof(t->rname[i]);
		}
		n = recvmmsg(fd, t->rmsg, BENCH_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		CADD(t, peer_recv, (unsigned)n);
		/* Echo each datagram to where it came from: the relay. */
		for (i = 0; i < n; i++)
			t->riov[i].iov_len = t->rmsg[i].msg_len;
		(void)sendmmsg(fd, t->rmsg, (unsigned)n, MSG_DONTWAIT);
		if (n < BENCH_BATCH)
			break;
	}
}

static int
peer_open(struct bench_thread *t)
{
	struct sockaddr_storage ss;
	struct maddr lo;
	socklen_t sl;
	int buf = 4 * 1024 * 1024;

	/* Not 127.0.0.1: a server listening there counts it as its own
	 * host, never a peer (meetopiad's relay policy). */
	addr_parse("127.0.0.2", &lo);
	lo.port = 0;
	sl = addr_to_sockaddr(&lo, &ss);
	t->peer_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (t->peer_fd == -1)
		return -1;
	setsockopt(t->peer_fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(t->peer_fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(t->peer_fd, (struct sockaddr *)&ss, sl) != 0)
		return -1;
	sl = sizeof(ss);
	if (getsockname(t->peer_fd, (struct sockaddr *)&ss, &sl) != 0)
		return -1;
	addr_from_sockaddr(&t->peer_addr, (struct sockaddr *)&ss);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Threads. */

static void
thread_teardown(struct bench_thread *t)
{
	struct timeval tv = { 2, 0 };
	unsigned i;

	t->tearing_down = 1;
	t->sending = 0;
	for (i = 0; i < t->na; i++) {
		struct bench_alloc *a = t->a[i];

		if (a->state >= AS_WAIT && a->state < AS_DEALLOC &&
		    a->have_key && (a->fd != -1 || a->bev != NULL)) {
			a->state = AS_DEALLOC;
			a->bound = 0;
			t->dealloc_left++;
			alloc_request(a, BENCH_TURN_REFRESH);
		} else if (a->state < AS_FAILED) {
			evtimer_del(a->rtx);
			a->req_len = 0;
			a->state = AS_CLOSED;
		}
	}
	/* Deallocation is a courtesy: two seconds at most. */
	if (t->dealloc_left == 0)
		event_base_loopexit(t->base, NULL);
	else
		event_base_loopexit(t->base, &tv);
}

static void
cmd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bench_thread *t = arg;
	int bits = __atomic_exchange_n(&t->cmdbits, 0, __ATOMIC_ACQ_REL);
	unsigned i;

	if (bits & (1 << BENCH_CMD_START))
		media_start(t);
	if (bits & (1 << BENCH_CMD_STOP)) {
		t->sending = 0;
		for (i = 0; i < t->ns; i++)
			if (t->s[i]->timer != NULL)
				evtimer_del(t->s[i]->timer);
	}
	if (bits & (1 << BENCH_CMD_TEARDOWN))
		thread_teardown(t);
}

static void *
thread_main(void *arg)
{
	struct bench_thread *t = arg;

	thread_start_more(t);
	event_base_dispatch(t->base);
	return NULL;
}

void
bench_threads_command(struct bench_run *run, enum bench_cmd cmd)
{
	unsigned i;

	for (i = 0; i < run->nthreads; i++) {
		__atomic_fetch_or(&run->threads[i]->cmdbits, 1 << cmd,
		    __ATOMIC_ACQ_REL);
		event_active(run->threads[i]->cmd_ev, EV_READ, 0);
	}
}

static int
thread_new(struct bench_run *run, unsigned id)
{
	struct bench_thread *t;
	struct timeval tick = { 0, 10000 };

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	run->threads[id] = t;
	t->run = run;
	t->id = id;
	t->peer_fd = -1;
	if (bench_hist_init(&t->lat) != 0 ||
	    bench_hist_init(&t->alloc_lat) != 0)
		return -1;
	if ((t->base = event_base_new()) == NULL)
		return -1;
	t->cmd_ev = event_new(t->base, -1, EV_PERSIST, cmd_cb, t);
	t->tick = event_new(t->base, -1, EV_PERSIST, tick_cb, t);
	if (t->cmd_ev == NULL || t->tick == NULL ||
	    event_add(t->cmd_ev, NULL) != 0 || event_add(t->tick, &tick) != 0)
		return -1;
	if (run->o.mode == BENCH_PEER && run->o.builtin_peer) {
		if (peer_open(t) != 0)
			return -1;
		t->peer_ev = event_new(t->base, t->peer_fd,
		    EV_READ | EV_PERSIST, peer_read_cb, t);
		if (t->peer_ev == NULL || event_add(t->peer_ev, NULL) != 0)
			return -1;
	}
	return 0;
}

/* Sets up threads, allocations and streams (keys made here, not in threads). */
int
bench_run_setup(struct bench_run *run)
{
	struct bench_opts *o = &run->o;
	unsigned i, n = o->allocations, per = 0;
	long long expiry = (long long)time(NULL) + o->ttl;
	int media = o->profile.kind != BENCH_NONE;

	pthread_mutex_init(&run->errlock, NULL);
	if (evthread_use_pthreads() != 0) {
		bench_note_error(run, "libevent: no thread support");
		return -1;
	}
	if (o->transport == BENCH_TLS) {
		SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

		if (ctx == NULL)
			return -1;
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
		if (o->ca != NULL) {
			if (SSL_CTX_load_verify_locations(ctx, o->ca, NULL) !=
			    1) {
				bench_note_error(run, "%s: cannot load the CA "
				    "file", o->ca);
				SSL_CTX_free(ctx);
				return -1;
			}
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		} else
			SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		run->ssl_ctx = ctx;
	}
	run->threads = calloc(o->threads, sizeof(*run->threads));
	run->allocs = calloc(n, sizeof(*run->allocs));
	if (run->threads == NULL || run->allocs == NULL)
		return -1;
	run->nthreads = o->threads;
	for (i = 0; i < run->nthreads; i++)
		if (thread_new(run, i) != 0) {
			bench_note_error(run, "thread setup: %s",
			    strerror(errno));
			return -1;
		}
	/* Whole pairs per thread, round robin. */
	for (i = 0; i < run->nthreads; i++) {
		struct bench_thread *t = run->threads[i];

		per = n / run->nthreads + 2;
		if ((t->a = calloc(per, sizeof(*t->a))) == NULL ||
		    (t->s = calloc(per, sizeof(*t->s))) == NULL)
			return -1;
	}
	if (media) {
		run->nstreams = n;	/* one per allocation, either mode */
		if ((run->streams = calloc(n, sizeof(*run->streams))) == NULL)
			return -1;
	}
	for (i = 0; i < n; i++) {
		struct bench_alloc *a = &run->allocs[i];
		unsigned unit = o->mode == BENCH_PAIR ? i / 2 : i;
		struct bench_thread *t = run->threads[unit % run->nthreads];
		char id[CRED_ID_MAX];

		a->t = t;
		a->idx = i;
		a->fd = -1;
		a->state = AS_IDLE;
		if ((a->rtx = evtimer_new(t->base, alloc_rtx_cb, a)) == NULL)
			return -1;
		if (o->secret != NULL) {
			if (o->id != NULL)
				snprintf(id, sizeof(id), "%s", o->id);
			else
				snprintf(id, sizeof(id), "bench%u", i);
			if (cred_make(o->secret, id, expiry, a->user,
			    sizeof(a->user), a->pass, sizeof(a->pass)) != 0) {
				bench_note_error(run, "credential: cannot make "
				    "one for id %s", id);
				return -1;
			}
		} else {
			strlcpy(a->user, o->user, sizeof(a->user));
			strlcpy(a->pass, o->password, sizeof(a->pass));
		}
		t->a[t->na++] = a;
		if (o->mode == BENCH_PAIR && (i & 1) == 1) {
			a->partner = &run->allocs[i - 1];
			run->allocs[i - 1].partner = a;
		}
	}
	if (!media)
		return 0;
	for (i = 0; i < n; i++) {
		struct bench_stream *s = &run->streams[i];
		struct bench_alloc *a = &run->allocs[i];

		if (bench_stream_init(s, i) != 0) {
			bench_note_error(run, "srtp: cannot create a session");
			return -1;
		}
		s->src = a;
		s->dst = o->mode == BENCH_PAIR ? a->partner : a;
		a->tx = s;
		s->dst->rx = s;
		if (o->profile.kind == BENCH_RATE &&
		    (s->timer = evtimer_new(a->t->base, frame_cb, s)) == NULL)
			return -1;
		a->t->s[a->t->ns++] = s;
	}
	return 0;
}

int
bench_threads_start(struct bench_run *run)
{
	unsigned i;

	for (i = 0; i < run->nthreads; i++) {
		if (pthread_create(&run->threads[i]->tid, NULL, thread_main,
		    run->threads[i]) != 0) {
			bench_note_error(run, "thread: %s", strerror(errno));
			return -1;
		}
		run->threads[i]->started = 1;
	}
	return 0;
}

void
bench_threads_join(struct bench_run *run)
{
	unsigned i;

	for (i = 0; i < run->nthreads; i++)
		if (run->threads[i]->started) {
			pthread_join(run->threads[i]->tid, NULL);
			run->threads[i]->started = 0;
		}
}

void
bench_counters_sum(struct bench_run *run, struct bench_counters *c)
{
	unsigned i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < run->nthreads; i++) {
		struct bench_thread *t = run->threads[i];
		uint64_t f, l;

		c->alloc_ok += CGET(t, alloc_ok);
		c->alloc_fail += CGET(t, alloc_fail);
		c->ready += CGET(t, ready);
		c->setup_done += CGET(t, setup_done);
		c->sent += CGET(t, sent);
		c->recv += CGET(t, recv);
		c->bytes += CGET(t, bytes);
		c->bad += CGET(t, bad);
		c->peer_recv += CGET(t, peer_recv);
		c->junk += CGET(t, junk);
		f = CGET(t, first_alloc_ns);
		l = CGET(t, last_alloc_ns);
		if (f != 0 && (c->first_alloc_ns == 0 || f < c->first_alloc_ns))
			c->first_alloc_ns = f;
		if (l > c->last_alloc_ns)
			c->last_alloc_ns = l;
	}
}

void
bench_hists(struct bench_run *run, struct bench_hist *lat,
    struct bench_hist *alloc)
{
	unsigned i;

	for (i = 0; i < run->nthreads; i++) {
		bench_hist_merge(lat, &run->threads[i]->lat);
		bench_hist_merge(alloc, &run->threads[i]->alloc_lat);
	}
}

void
bench_run_free(struct bench_run *run)
{
	unsigned i;

	/* Newest first: with Debian's libsrtp2 (on NSS) srtp_dealloc grows
	 * with the contexts created after the one freed; in creation order
	 * 2000 streams took 11 s to free and 10 000 minutes, newest first
	 * 3 s. */
	for (i = run->nstreams; i-- > 0;) {
		if (run->streams[i].timer != NULL)
			event_free(run->streams[i].timer);
		bench_stream_free(&run->streams[i]);
	}
	free(run->streams);
	if (run->allocs != NULL)
		for (i = 0; i < run->o.allocations; i++) {
			struct bench_alloc *a = &run->allocs[i];

			if (a->t == NULL)
				continue;
			alloc_close_transport(a);
			if (a->ev != NULL)
				event_free(a->ev);
			if (a->rtx != NULL)
				event_free(a->rtx);
			free(a->realm);
			free(a->nonce);
			explicit_bzero(a->pass, sizeof(a->pass));
			explicit_bzero(a->key, sizeof(a->key));
		}
	free(run->allocs);
	for (i = 0; i < run->nthreads; i++) {
		struct bench_thread *t = run->threads[i];

		if (t == NULL)
			continue;
		if (t->peer_ev != NULL)
			event_free(t->peer_ev);
		if (t->peer_fd != -1)
			close(t->peer_fd);
		if (t->cmd_ev != NULL)
			event_free(t->cmd_ev);
		if (t->tick != NULL)
			event_free(t->tick);
		if (t->base != NULL)
			event_base_free(t->base);
		bench_hist_free(&t->lat);
		bench_hist_free(&t->alloc_lat);
		free(t->a);
		free(t->s);
		free(t);
	}
	free(run->threads);
	if (run->ssl_ctx != NULL)
		SSL_CTX_free(run->ssl_ctx);
	pthread_mutex_destroy(&run->errlock);
}
