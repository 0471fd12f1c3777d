/*
 * listener.c - the one TCP/TLS connection server (see listener.h): the
 * listeners with their EMFILE pause, per client IP accounting, the total
 * cap that evicts the oldest connection that has not spoken, TLS
 * bufferevents, one timer a connection, and deferred free.
 *
 * Invariants.  A connection is on exactly one list: fresh (not spoken
 * yet, oldest first), open, or reap (closing, freed by the reaper event).
 * nconns counts all three: a closing connection holds its descriptor
 * until it is freed.  Its per-IP entry counts it under its kind until
 * then too; an entry with every count at zero is freed.  The user's
 * close() runs once, from conn_free(), which is never reached from one of
 * the connection's own callbacks: conn_close() only moves it to reap.
 */
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
#include <openssl/err.h>

#include "common/clock.h"
#include "common/listener.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "common/unittest.h"

enum conn_state {
	CONN_FRESH = 0,		/* nothing whole said yet */
	CONN_OPEN,
	CONN_CLOSING		/* on the reap list */
};

struct conn_ip {
	RB_ENTRY(conn_ip)	 node;
	struct maddr		 key;		/* addr_client_key() */
	unsigned		 n[CONN_KINDS];
};
RB_HEAD(conn_ip_tree, conn_ip);

struct conn_listener {
	struct evconnlistener	*l;
	struct event		*retry;		/* after EMFILE */
	struct conn_server	*cs;
	int			 tls;		/* CONN_TLS_* */
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct conn_server	*cs;
	struct bufferevent	*bev;
	evutil_socket_t		 fd;		/* bev's socket, TLS filter or not */
	struct event		*timer;
	struct conn_ip		*ip;
	unsigned		 kind;
	struct maddr		 peer;
	struct maddr		 local;
	int			 tls;
	int			 may_tls;	/* conn_start_tls() allowed */
	enum conn_state		 state;
	const struct conn_handler *h;
	void			*arg;
	struct timespec		 born;		/* accepted, monotonic */
	int			 handing;	/* in conn_handoff()'s open() */
};
TAILQ_HEAD(conn_list, conn);

struct conn_server {
	struct event_base	*base;
	struct conn_server_params p;
	struct conn_server_cb	 cb;
	void			*arg;
	SSL_CTX			*tls;
	struct conn_listener	**lis;
	size_t			 nlis;
	struct conn_list	 fresh;		/* oldest first */
	struct conn_list	 open;
	struct conn_list	 reap;
	struct event		*reaper;
	struct conn_ip_tree	 ips;
	size_t			 nconns;
	struct rl_window	 evict_reported;	/* one a second */
	int			 stopping;
};

static int
ip_cmp(struct conn_ip *a, struct conn_ip *b)
{
	if (a->key.family != b->key.family)
		return a->key.family < b->key.family ? -1 : 1;
	return memcmp(a->key.ip, b->key.ip, sizeof(a->key.ip));
}

RB_GENERATE_STATIC(conn_ip_tree, conn_ip, node, ip_cmp)

static struct conn_list *
list_of(struct conn *c)
{
	switch (c->state) {
	case CONN_FRESH:
		return &c->cs->fresh;
	case CONN_OPEN:
		return &c->cs->open;
	default:
		return &c->cs->reap;
	}
}

/* Drops one count of an entry; frees it when nothing counts any more. */
static void
ip_put(struct conn_server *cs, struct conn_ip *ip, unsigned kind)
{
	unsigned k;

	if (ip == NULL)
		return;
	ip->n[kind]--;
	for (k = 0; k < CONN_KINDS; k++)
		if (ip->n[k] > 0)
			return;
	RB_REMOVE(conn_ip_tree, &cs->ips, ip);
	free(ip);
}

/* Frees c, which is on its list; the user's close() first. */
static void
conn_free(struct conn *c)
{
	struct conn_server *cs = c->cs;

	TAILQ_REMOVE(list_of(c), c, entry);
	c->state = CONN_CLOSING;
	if (c->h != NULL && c->h->close != NULL)
		c->h->close(c, c->arg);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->timer != NULL)
		event_free(c->timer);
	ip_put(cs, c->ip, c->kind);
	cs->nconns--;
	free(c);
}

static void
reaper_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn_server *cs = arg;
	struct conn *c;

	(void)fd;
	(void)what;
	while ((c = TAILQ_FIRST(&cs->reap)) != NULL)
		conn_free(c);
}

void
conn_close(struct conn *c)
{
	struct conn_server *cs = c->cs;

	if (c->state == CONN_CLOSING)
		return;
	TAILQ_REMOVE(list_of(c), c, entry);
	c->state = CONN_CLOSING;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	evtimer_del(c->timer);
	TAILQ_INSERT_TAIL(&cs->reap, c, entry);
	event_active(cs->reaper, EV_TIMEOUT, 0);
}

int
conn_closing(const struct conn *c)
{
	return c->state == CONN_CLOSING;
}

void
conn_spoke(struct conn *c)
{
	if (c->state != CONN_FRESH)
		return;
	TAILQ_REMOVE(&c->cs->fresh, c, entry);
	c->state = CONN_OPEN;
	TAILQ_INSERT_TAIL(&c->cs->open, c, entry);
}

int
conn_is_fresh(const struct conn *c)
{
	return c->state == CONN_FRESH;
}

void
conn_set_handler(struct conn *c, const struct conn_handler *h, void *arg)
{
	c->h = h;
	c->arg = arg;
}

void *
conn_user(const struct conn *c, const struct conn_handler *h)
{
	return c->h == h ? c->arg : NULL;
}

void
conn_timer(struct conn *c, int secs)
{
	struct timeval tv = { secs, 0 };
	struct timespec now;
	long long ms;

	if (c->state == CONN_CLOSING)
		return;
	if (c->handing) {
		/* A connection handed on keeps its accept time: the new
		 * user's first deadline counts from it, as on a port of
		 * its own (a slow client gains nothing from the demux). */
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (long long)secs * 1000 -
		    ((long long)(now.tv_sec - c->born.tv_sec) * 1000 +
		    (now.tv_nsec - c->born.tv_nsec) / 1000000);
		if (ms < 0)
			ms = 0;
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	}
	evtimer_add(c->timer, &tv);
}

void
conn_timer_stop(struct conn *c)
{
	evtimer_del(c->timer);
}

void
conn_set_kind(struct conn *c, unsigned kind)
{
	if (kind >= CONN_KINDS || kind == c->kind)
		return;
	c->ip->n[kind]++;
	c->ip->n[c->kind]--;
	c->kind = kind;
}

unsigned
conn_ip_count(const struct conn *c, unsigned kind)
{
	return kind < CONN_KINDS ? c->ip->n[kind] : 0;
}

struct bufferevent *
conn_bev(struct conn *c)
{
	return c->bev;
}

const struct maddr *
conn_peer(const struct conn *c)
{
	return &c->peer;
}

const struct maddr *
conn_local(const struct conn *c)
{
	return &c->local;
}

int
conn_is_tls(const struct conn *c)
{
	return c->tls;
}

int
conn_may_start_tls(const struct conn *c)
{
	return c->may_tls;
}

int
conn_tls_error(struct conn *c, char *buf, size_t len)
{
	unsigned long e;

	if (!c->tls || (e = bufferevent_get_openssl_error(c->bev)) == 0)
		return -1;
	ERR_error_string_n(e, buf, len);
	while (bufferevent_get_openssl_error(c->bev) != 0)
		;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The bufferevent's callbacks, handed to the connection's handler. */

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->state != CONN_CLOSING && c->h != NULL && c->h->read != NULL)
		c->h->read(c, c->arg);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->state != CONN_CLOSING && c->h != NULL && c->h->write != NULL)
		c->h->write(c, c->arg);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->state != CONN_CLOSING && c->h != NULL && c->h->event != NULL)
		c->h->event(c, c->arg, what);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->state != CONN_CLOSING && c->h != NULL && c->h->timeout != NULL)
		c->h->timeout(c, c->arg);
}

/* ------------------------------------------------------------------ */
/* Accepting. */

/*
 * At the total cap: frees the oldest connection that has not spoken, for
 * a newcomer that passed its per-IP check (none of the victim's callbacks
 * is on the stack: we are in accept_cb).  0, or -1 when every one has
 * spoken (there is none to evict).
 */
static int
evict_fresh(struct conn_server *cs)
{
	struct conn *c;

	if ((c = TAILQ_FIRST(&cs->fresh)) == NULL)
		return -1;
	/* One event a second says a flood is on, not each socket. */
	if (cs->cb.limit != NULL && rl_window_take(&cs->evict_reported,
	    (int64_t)clock_mono_ms(), 1000, 1, NULL) == 0) {
		cs->cb.limit(cs->arg, CONN_LIMIT_EVICTED, &c->peer, c->tls, -1);
	}
	conn_free(c);
	return 0;
}

/* The client IP's entry, counted for a newcomer of kind 0; NULL: refused. */
static struct conn_ip *
admit(struct conn_server *cs, const struct maddr *peer, int tls,
    evutil_socket_t fd)
{
	struct conn_ip key, *ip;
	enum conn_limit why = CONN_LIMIT_PER_IP;

	memset(&key, 0, sizeof(key));
	addr_client_key(peer, &key.key);
	if ((ip = RB_FIND(conn_ip_tree, &cs->ips, &key)) != NULL &&
	    ip->n[0] >= cs->p.per_ip)
		goto refused;
	/* Only a newcomer within its per-IP limit may evict. */
	if (cs->nconns >= cs->p.max_conns) {
		why = CONN_LIMIT_TOTAL;
		if (evict_fresh(cs) != 0)
			goto refused;
		/* The victim may have been its address's last. */
		ip = RB_FIND(conn_ip_tree, &cs->ips, &key);
	}
	if (ip == NULL) {
		if ((ip = calloc(1, sizeof(*ip))) == NULL)
			return NULL;
		ip->key = key.key;
		RB_INSERT(conn_ip_tree, &cs->ips, ip);
	}
	ip->n[0]++;
	return ip;
refused:
	if (cs->cb.limit != NULL)
		cs->cb.limit(cs->arg, why, peer, tls, fd);
	return NULL;
}

/* The connection's bufferevent over fd (closed on failure). */
static struct bufferevent *
bev_new(struct conn_server *cs, evutil_socket_t fd, int tls)
{
	struct bufferevent *bev;
	SSL *ssl;

	if (!tls) {
		if ((bev = bufferevent_socket_new(cs->base, fd,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL)
			evutil_closesocket(fd);
		return bev;
	}
	if (cs->tls == NULL || (ssl = SSL_new(cs->tls)) == NULL) {
		evutil_closesocket(fd);
		return NULL;
	}
	if ((bev = bufferevent_openssl_socket_new(cs->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct conn_listener *cl = arg;
	struct conn_server *cs = cl->cs;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct conn_ip *ip;
	struct maddr peer;
	struct conn *c;
	int on = 1;

	(void)l;
	(void)salen;
	addr_from_sockaddr(&peer, sa);
	if (cs->stopping || peer.family == 0 ||
	    (ip = admit(cs, &peer, cl->tls == CONN_TLS_ON, fd)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		ip_put(cs, ip, 0);
		return;
	}
	c->cs = cs;
	c->ip = ip;
	c->peer = peer;
	c->tls = cl->tls == CONN_TLS_ON;
	c->may_tls = cl->tls == CONN_TLS_SNIFF;
	c->fd = fd;
	clock_gettime(CLOCK_MONOTONIC, &c->born);
	cs->nconns++;
	TAILQ_INSERT_TAIL(&cs->fresh, c, entry);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		addr_from_sockaddr(&c->local, (struct sockaddr *)&ss);
	/* Every user sends small messages that must not wait (TURN's
	 * frames of real-time media, signaling's WebSocket frames): no
	 * Nagle delay behind a delayed ACK. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0)
		log_debug("%s: TCP_NODELAY: %s", cs->p.name, strerror(errno));
	if ((c->bev = bev_new(cs, fd, c->tls)) == NULL ||
	    (c->timer = evtimer_new(cs->base, timer_cb, c)) == NULL ||
	    cs->cb.open(cs->arg, c) != 0) {
		c->h = NULL;		/* open() failed: nothing to close */
		conn_free(c);
		return;
	}
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, cs->p.read_high);
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0)
		conn_free(c);
}

int
conn_handoff(struct conn *c, struct conn_server *to)
{
	struct conn_server *from = c->cs;
	struct conn_ip *ip;
	evutil_socket_t fd = c->fd;
	int rc;

	if (c->state == CONN_CLOSING || to == from)
		return -1;
	/* The new server's limits, as if it had accepted the socket (a
	 * victim it evicts is one of its own, never c). */
	if (to->stopping || (ip = admit(to, &c->peer, c->tls, fd)) == NULL) {
		conn_close(c);
		return -1;
	}
	TAILQ_REMOVE(list_of(c), c, entry);
	ip_put(from, c->ip, c->kind);
	from->nconns--;
	c->cs = to;
	c->ip = ip;
	c->kind = 0;
	c->state = CONN_FRESH;
	to->nconns++;
	TAILQ_INSERT_TAIL(&to->fresh, c, entry);
	c->h = NULL;
	c->arg = NULL;
	evtimer_del(c->timer);
	bufferevent_setwatermark(c->bev, EV_READ, 0, to->p.read_high);
	c->handing = 1;
	rc = to->cb.open(to->arg, c);
	c->handing = 0;
	if (rc != 0) {
		c->h = NULL;		/* open() failed: nothing to close */
		conn_close(c);
		return -1;
	}
	/* What the demultiplexer read is the new user's first input. */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		read_cb(c->bev, c);
	return 0;
}

int
conn_start_tls(struct conn *c)
{
	struct conn_server *cs = c->cs;
	struct bufferevent *bev;
	SSL *ssl;

	if (c->state == CONN_CLOSING || !c->may_tls || cs->tls == NULL ||
	    (ssl = SSL_new(cs->tls)) == NULL)
		return -1;
	/*
	 * A filter over the plain bufferevent: the bytes it has read (the
	 * ClientHello) are the first the handshake reads, and freeing the
	 * filter frees the plain one and closes the socket.
	 */
	if ((bev = bufferevent_openssl_filter_new(cs->base, c->bev, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		SSL_free(ssl);
		return -1;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	c->bev = bev;
	c->tls = 1;
	c->may_tls = 0;
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, cs->p.read_high);
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0)
		return -1;
	return 0;
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn_listener *cl = arg;

	(void)fd;
	(void)what;
	if (!cl->cs->stopping && cl->l != NULL)
		evconnlistener_enable(cl->l);
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct conn_listener *cl = arg;
	struct timeval tv = { 1, 0 };
	int e = EVUTIL_SOCKET_ERROR();

	(void)l;
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		log_warn("%s: accept: %s; pausing for a second",
		    cl->cs->p.name, strerror(e));
		evconnlistener_disable(cl->l);
		evtimer_add(cl->retry, &tv);
		return;
	}
	log_warn("%s: accept: %s", cl->cs->p.name, strerror(e));
}

/* ------------------------------------------------------------------ */
/* The server. */

struct conn_server *
conn_server_new(struct event_base *base, const struct conn_server_params *p,
    const struct conn_server_cb *cb, void *arg)
{
	struct conn_server *cs;

	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return NULL;
	cs->base = base;
	cs->p = *p;
	cs->cb = *cb;
	cs->arg = arg;
	TAILQ_INIT(&cs->fresh);
	TAILQ_INIT(&cs->open);
	TAILQ_INIT(&cs->reap);
	RB_INIT(&cs->ips);
	if ((cs->reaper = event_new(base, -1, 0, reaper_cb, cs)) == NULL) {
		free(cs);
		return NULL;
	}
	return cs;
}

UNITTEST int
conn_server_listen(struct conn_server *cs, const struct maddr *a, int tls)
{
	struct conn_listener *cl, **lis;
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	    LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED;
	int e;

	if ((lis = reallocarray(cs->lis, cs->nlis + 1, sizeof(*lis))) ==
	    NULL)
		return -ENOMEM;
	cs->lis = lis;
	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return -ENOMEM;
	cl->cs = cs;
	cl->tls = tls;
	lis[cs->nlis++] = cl;
	if ((cl->retry = evtimer_new(cs->base, retry_cb, cl)) == NULL)
		return -ENOMEM;
	len = addr_to_sockaddr(a, &ss);
	if (a->family == AF_INET6)
		flags |= LEV_OPT_BIND_IPV6ONLY;
	cl->l = evconnlistener_new_bind(cs->base, accept_cb, cl, flags, 511,
	    (struct sockaddr *)&ss, (int)len);
	if (cl->l == NULL) {
		e = errno;
		return e > 0 ? -e : -EINVAL;
	}
	evconnlistener_set_error_cb(cl->l, accept_error_cb);
	return 0;
}

/* Listens on a at port; -1 with err on failure. */
static int
listen_port(struct conn_server *cs, const struct maddr *a, int port, int tls,
    const char *name, char *err, size_t errlen)
{
	struct maddr m = *a;
	char buf[ADDR_STRLEN];
	int rc;

	m.port = (uint16_t)port;
	if ((rc = conn_server_listen(cs, &m, tls)) == 0)
		return 0;
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", cs->p.name);
	else
		snprintf(err, errlen, "%s: cannot listen on %s: %s", name,
		    addr_ntop_port(&m, buf, sizeof(buf)), strerror(-rc));
	return -1;
}

int
conn_server_listen_all(struct conn_server *cs, const struct maddr *v,
    size_t n, int port, int tls_port, const char *const names[2], char *err,
    size_t errlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (port != 0 && port == tls_port) {
			/* one listener; the first byte tells TLS */
			if (listen_port(cs, &v[i], port, CONN_TLS_SNIFF,
			    names[1], err, errlen) != 0)
				return -1;
			continue;
		}
		if (port != 0 && listen_port(cs, &v[i], port, CONN_TLS_OFF,
		    names[0], err, errlen) != 0)
			return -1;
		if (tls_port != 0 && listen_port(cs, &v[i], tls_port,
		    CONN_TLS_ON, names[1], err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
conn_server_bound(const struct conn_server *cs, size_t i, struct maddr *out)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (i >= cs->nlis || cs->lis[i]->l == NULL ||
	    getsockname(evconnlistener_get_fd(cs->lis[i]->l),
	    (struct sockaddr *)&ss, &len) != 0)
		return -1;
	addr_from_sockaddr(out, (struct sockaddr *)&ss);
	return 0;
}

void
conn_server_set_tls(struct conn_server *cs, SSL_CTX *ctx)
{
	if (cs->tls != NULL)
		SSL_CTX_free(cs->tls);
	cs->tls = ctx;
}

SSL_CTX *
conn_server_tls(const struct conn_server *cs)
{
	return cs->tls;
}

int
conn_server_start(struct conn_server *cs)
{
	size_t i;

	for (i = 0; i < cs->nlis; i++)
		if (cs->lis[i]->l != NULL &&
		    evconnlistener_enable(cs->lis[i]->l) != 0)
			return -1;
	return 0;
}

void
conn_server_stop(struct conn_server *cs)
{
	size_t i;

	if (cs == NULL)
		return;
	cs->stopping = 1;
	/* Close the listening sockets: new connections are refused rather
	 * than left in the backlog, and a new daemon can bind the ports. */
	for (i = 0; i < cs->nlis; i++) {
		if (cs->lis[i]->l != NULL)
			evconnlistener_free(cs->lis[i]->l);
		cs->lis[i]->l = NULL;
		if (cs->lis[i]->retry != NULL)
			evtimer_del(cs->lis[i]->retry);
	}
}

void
conn_server_each(struct conn_server *cs, void (*fn)(struct conn *, void *),
    void *arg)
{
	struct conn *c, *next;

	TAILQ_FOREACH_SAFE(c, &cs->fresh, entry, next)
		fn(c, arg);
	TAILQ_FOREACH_SAFE(c, &cs->open, entry, next)
		fn(c, arg);
}

void
conn_server_close_all(struct conn_server *cs)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&cs->fresh)) != NULL)
		conn_free(c);
	while ((c = TAILQ_FIRST(&cs->open)) != NULL)
		conn_free(c);
	while ((c = TAILQ_FIRST(&cs->reap)) != NULL)
		conn_free(c);
}

void
conn_server_free(struct conn_server *cs)
{
	size_t i;

	if (cs == NULL)
		return;
	cs->stopping = 1;
	conn_server_close_all(cs);
	for (i = 0; i < cs->nlis; i++) {
		if (cs->lis[i]->l != NULL)
			evconnlistener_free(cs->lis[i]->l);
		if (cs->lis[i]->retry != NULL)
			event_free(cs->lis[i]->retry);
		free(cs->lis[i]);
	}
	free(cs->lis);
	if (cs->reaper != NULL)
		event_free(cs->reaper);
	if (cs->tls != NULL)
		SSL_CTX_free(cs->tls);
	free(cs);
}

size_t
conn_server_count(const struct conn_server *cs)
{
	return cs->nconns;
}
