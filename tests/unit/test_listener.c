/*
 * test_listener.c - the connection server of common/listener.h over real
 * loopback sockets on a port the kernel chooses: the per client IP limit,
 * the eviction of the oldest connection that has not spoken at the total
 * cap (and only of such), and the deferred free: close() runs from the
 * reaper on a later loop turn, never with the connection's own callback
 * on the stack; conn_handoff() from one server to another (the bytes
 * read, the other's per-IP limit, the first deadline from the accept);
 * a listener that is plain and TLS at once (CONN_TLS_SNIFF): plain bytes
 * stay plain, a ClientHello turned to TLS by conn_start_tls() completes
 * its handshake and reads plaintext, and a plain listener's connection
 * may not start TLS.  Clients come from several 127.0.0.x addresses.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "common/listener.h"
#include "common/statedir.h"
#include "tests/tap.h"

#define MAXC	16

struct user {
	struct conn	*cn;
	int		 closed;	/* close() ran */
	int		 close_nested;	/* ... while a callback was running */
};

static struct user users[MAXC];
static int nusers;
static int in_callback;
static int nlimit[CONN_LIMIT_EVICTED + 1];
static struct maddr evicted_peer;

/* Reads: "spoke" marks the connection as having spoken, "close" closes it
 * from inside this callback. */
static void
read_cb(struct conn *cn, void *arg)
{
	struct user *u = arg;
	struct evbuffer *in = bufferevent_get_input(conn_bev(cn));
	char buf[64];
	size_t n;

	in_callback = 1;
	n = evbuffer_remove(in, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	if (strstr(buf, "spoke") != NULL)
		conn_spoke(cn);
	if (strstr(buf, "close") != NULL) {
		conn_close(cn);
		ok(!u->closed && conn_closing(cn), "conn_close() from the read "
		    "callback: not freed yet, closing");
	}
	in_callback = 0;
}

static void
event_cb(struct conn *cn, void *arg, short what)
{
	(void)arg;
	(void)what;
	conn_close(cn);
}

static void
close_cb(struct conn *cn, void *arg)
{
	struct user *u = arg;

	(void)cn;
	u->closed = 1;
	u->close_nested = in_callback;
}

static const struct conn_handler handler = {
	.read = read_cb,
	.event = event_cb,
	.close = close_cb,
};

static int
open_cb(void *arg, struct conn *cn)
{
	struct user *u;

	(void)arg;
	if (nusers >= MAXC)
		return -1;
	u = &users[nusers++];
	u->cn = cn;
	conn_set_handler(cn, &handler, u);
	return 0;
}

static void
limit_cb(void *arg, enum conn_limit why, const struct maddr *peer, int tls,
    evutil_socket_t fd)
{
	(void)arg;
	(void)tls;
	(void)fd;
	nlimit[why]++;
	if (why == CONN_LIMIT_EVICTED)
		evicted_peer = *peer;
}

/* Runs the loop for ms milliseconds. */
static void
pump(struct event_base *base, int ms)
{
	struct timeval tv = { 0, ms * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* A client from src to the server's port; -1 when it cannot connect. */
static int
client(struct event_base *base, const char *src, int port)
{
	struct sockaddr_in a;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	inet_pton(AF_INET, src, &a.sin_addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		goto fail;
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		goto fail;
	pump(base, 50);
	return fd;
fail:
	close(fd);
	return -1;
}

/* Whether the server closed the client's connection. */
static int
closed(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static void
say(struct event_base *base, int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) < 0)
		perror("send");
	pump(base, 50);
}

/* ------------------------------------------------------------------ */
/* conn_handoff(): a front server (a demultiplexer) hands a connection,
 * with the bytes it read, to a back server that counts it as its own. */

static struct conn_server *back;
static char back_got[64];
static int back_opened, back_timeouts, back_refused;

/* The front peeks; "hand" hands the connection on with its bytes. */
static void
front_read_cb(struct conn *cn, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(conn_bev(cn));
	char buf[8];
	ev_ssize_t n;

	(void)arg;
	n = evbuffer_copyout(in, buf, 4);
	if (n == 4 && memcmp(buf, "hand", 4) == 0)
		conn_handoff(cn, back);
}

static void
nop_close_cb(struct conn *cn, void *arg)
{
	(void)cn;
	(void)arg;
}

static const struct conn_handler front_handler = {
	.read = front_read_cb,
	.event = event_cb,
	.close = nop_close_cb,
};

static int
front_open_cb(void *arg, struct conn *cn)
{
	(void)arg;
	conn_set_handler(cn, &front_handler, NULL);
	return 0;
}

static void
back_read_cb(struct conn *cn, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(conn_bev(cn));
	size_t n = strlen(back_got);

	(void)arg;
	n += (size_t)evbuffer_remove(in, back_got + n,
	    sizeof(back_got) - 1 - n);
	back_got[n] = '\0';
}

static void
back_timeout_cb(struct conn *cn, void *arg)
{
	(void)arg;
	back_timeouts++;
	conn_close(cn);
}

static const struct conn_handler back_handler = {
	.read = back_read_cb,
	.event = event_cb,
	.timeout = back_timeout_cb,
	.close = nop_close_cb,
};

/* Like a protocol's first deadline: 1 s, from the accept after a handoff. */
static int
back_open_cb(void *arg, struct conn *cn)
{
	(void)arg;
	back_opened++;
	conn_set_handler(cn, &back_handler, NULL);
	conn_timer(cn, 1);
	return 0;
}

static void
back_limit_cb(void *arg, enum conn_limit why, const struct maddr *peer,
    int tls, evutil_socket_t fd)
{
	(void)arg;
	(void)peer;
	(void)tls;
	(void)fd;
	if (why == CONN_LIMIT_PER_IP)
		back_refused++;
}

static void
handoff(void)
{
	static const struct conn_server_cb fcb = { front_open_cb, NULL };
	static const struct conn_server_cb bcb = { back_open_cb,
	    back_limit_cb };
	struct conn_server_params fp = {
		.name = "front", .per_ip = 8, .max_conns = 8, .read_high = 4096,
	}, bp = {
		.name = "back", .per_ip = 1, .max_conns = 8, .read_high = 4096,
	};
	struct event_base *base = event_base_new();
	struct conn_server *front;
	struct maddr a, bound;
	int f1, f2, f3;

	front = conn_server_new(base, &fp, &fcb, NULL);
	back = conn_server_new(base, &bp, &bcb, NULL);
	addr_parse("127.0.0.1", &a);
	a.port = 0;
	conn_server_listen(front, &a, 0);
	conn_server_bound(front, 0, &bound);
	conn_server_start(front);

	f1 = client(base, "127.0.0.6", bound.port);
	say(base, f1, "hand-me-on");
	is_int(back_opened, 1, "handoff: the back server's open() ran");
	is_str(back_got, "hand-me-on", "handoff: the bytes the front read "
	    "reach the back's read()");
	ok(conn_server_count(front) == 0 && conn_server_count(back) == 1,
	    "handoff: counted by the back server only");
	say(base, f1, "+more");
	is_str(back_got, "hand-me-on+more", "handoff: later bytes too");

	/* The back server's per-IP limit (1) holds for handed connections. */
	f2 = client(base, "127.0.0.6", bound.port);
	say(base, f2, "hand");
	is_int(back_refused, 1, "handoff: the back's per-IP limit refuses "
	    "a second one");
	pump(base, 50);
	ok(closed(f2) && !closed(f1), "handoff: the refused socket is closed");
	is_int(conn_server_count(front), 0, "handoff: and freed by the front");

	/* The back's first deadline counts from the accept: 1 s after it,
	 * not 1 s after a handoff 700 ms later. */
	f3 = client(base, "127.0.0.7", bound.port);
	pump(base, 650);
	back_timeouts = 0;
	say(base, f3, "hand");
	pump(base, 450);
	ok(back_timeouts >= 1 && closed(f3), "handoff: the first deadline "
	    "counts from the accept");

	conn_server_free(front);
	conn_server_free(back);
	close(f1);
	close(f2);
	close(f3);
	event_base_free(base);
}

/* ------------------------------------------------------------------ */
/* CONN_TLS_SNIFF: one port, plain or TLS by the first bytes. */

static char sniff_got[64];
static int sniff_connected, sniff_tls, sniff_start_rc = 99;

static void
sniff_read_cb(struct conn *cn, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(conn_bev(cn));
	uint8_t b0;
	size_t n;

	(void)arg;
	if (conn_may_start_tls(cn) && evbuffer_copyout(in, &b0, 1) == 1 &&
	    b0 == 0x16) {
		sniff_start_rc = conn_start_tls(cn);
		return;
	}
	sniff_tls = conn_is_tls(cn);
	n = strlen(sniff_got);
	n += (size_t)evbuffer_remove(in, sniff_got + n,
	    sizeof(sniff_got) - 1 - n);
	sniff_got[n] = '\0';
}

static void
sniff_event_cb(struct conn *cn, void *arg, short what)
{
	(void)arg;
	if (what & BEV_EVENT_CONNECTED) {
		sniff_connected++;
		return;
	}
	conn_close(cn);
}

static const struct conn_handler sniff_handler = {
	.read = sniff_read_cb,
	.event = sniff_event_cb,
	.close = nop_close_cb,
};

static struct conn *sniff_last;

static int
sniff_open_cb(void *arg, struct conn *cn)
{
	(void)arg;
	sniff_last = cn;
	conn_set_handler(cn, &sniff_handler, NULL);
	return 0;
}

/* A TLS client's handshake on fd, pumping the server between tries. */
static SSL *
tls_client(struct event_base *base, SSL_CTX *cctx, int fd)
{
	SSL *ssl;
	int i, rc;

	if (cctx == NULL || (ssl = SSL_new(cctx)) == NULL)
		return NULL;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	SSL_set_fd(ssl, fd);
	for (i = 0; i < 100; i++) {
		if ((rc = SSL_connect(ssl)) == 1)
			return ssl;
		rc = SSL_get_error(ssl, rc);
		if (rc != SSL_ERROR_WANT_READ && rc != SSL_ERROR_WANT_WRITE)
			break;
		pump(base, 20);
	}
	SSL_free(ssl);
	return NULL;
}

static void
sniff(void)
{
	static const struct conn_server_cb cb = { sniff_open_cb, NULL };
	struct conn_server_params p = {
		.name = "sniff", .per_ip = 8, .max_conns = 8,
		.read_high = 4096,
	};
	struct event_base *base = event_base_new();
	struct conn_server *cs, *plain;
	struct maddr a, bound, pbound;
	char dir[] = "/tmp/test_listener.XXXXXX", cert[256], key[256];
	char err[256] = "";
	SSL_CTX *ctx, *cctx;
	SSL *ssl;
	int f1, f2, f3;

	if (mkdtemp(dir) == NULL || statedir_selfsigned(dir, cert,
	    sizeof(cert), key, sizeof(key), err, sizeof(err)) != 0) {
		ok(0, "sniff: a self-signed pair (%s)", err);
		return;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	ok(ctx != NULL && SSL_CTX_use_certificate_chain_file(ctx, cert) == 1 &&
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1,
	    "sniff: a server context");
	cs = conn_server_new(base, &p, &cb, NULL);
	conn_server_set_tls(cs, ctx);
	addr_parse("127.0.0.1", &a);
	a.port = 0;
	is_int(conn_server_listen(cs, &a, CONN_TLS_SNIFF), 0, "sniff: one "
	    "listener, plain and TLS");
	conn_server_bound(cs, 0, &bound);
	conn_server_start(cs);

	/* Plain bytes stay plain. */
	f1 = client(base, "127.0.0.8", bound.port);
	ok(sniff_last != NULL && conn_may_start_tls(sniff_last) &&
	    !conn_is_tls(sniff_last), "sniff: accepted plain, may start TLS");
	say(base, f1, "plain!");
	ok(strcmp(sniff_got, "plain!") == 0 && !sniff_tls, "sniff: plain "
	    "bytes read as they are");

	/* A ClientHello: TLS from the bytes already read. */
	sniff_got[0] = '\0';
	f2 = client(base, "127.0.0.8", bound.port);
	cctx = SSL_CTX_new(TLS_client_method());
	ssl = tls_client(base, cctx, f2);
	ok(ssl != NULL, "sniff: the handshake completes after "
	    "conn_start_tls()");
	is_int(sniff_start_rc, 0, "sniff: conn_start_tls() took it");
	pump(base, 50);		/* the client's Finished */
	is_int(sniff_connected, 1, "sniff: the handler got "
	    "BEV_EVENT_CONNECTED");
	ok(conn_is_tls(sniff_last) && !conn_may_start_tls(sniff_last),
	    "sniff: the connection is TLS now, and only once");
	if (ssl != NULL) {
		SSL_write(ssl, "secret", 6);
		pump(base, 50);
	}
	ok(strcmp(sniff_got, "secret") == 0 && sniff_tls, "sniff: plaintext "
	    "read from TLS");

	/* A plain listener's connection may not start TLS. */
	plain = conn_server_new(base, &p, &cb, NULL);
	conn_server_listen(plain, &a, CONN_TLS_OFF);
	conn_server_bound(plain, 0, &pbound);
	conn_server_start(plain);
	f3 = client(base, "127.0.0.8", pbound.port);
	ok(!conn_may_start_tls(sniff_last) && conn_start_tls(sniff_last) < 0,
	    "sniff: a plain listener's connection cannot start TLS");

	if (ssl != NULL)
		SSL_free(ssl);
	SSL_CTX_free(cctx);
	conn_server_free(cs);
	conn_server_free(plain);
	close(f1);
	close(f2);
	close(f3);
	unlink(cert);
	unlink(key);
	rmdir(dir);
	event_base_free(base);
}

int
main(void)
{
	static const struct conn_server_cb cb = { open_cb, limit_cb };
	struct conn_server_params p = {
		.name = "test", .per_ip = 2, .max_conns = 3, .read_high = 4096,
	};
	struct event_base *base = event_base_new();
	struct conn_server *cs;
	struct maddr a, bound;
	char ip[ADDR_STRLEN];
	int fa, fb, fc, fd, fe, fx, port, nd = 0;
	socklen_t ndlen = sizeof(nd);

	cs = conn_server_new(base, &p, &cb, NULL);
	ok(cs != NULL, "a server");
	addr_parse("127.0.0.1", &a);
	a.port = 0;
	is_int(conn_server_listen(cs, &a, 0), 0, "listens on 127.0.0.1");
	ok(conn_server_bound(cs, 0, &bound) == 0 && bound.port != 0,
	    "on a port the kernel chose");
	port = bound.port;
	is_int(conn_server_start(cs), 0, "accepting");

	/* The per client IP limit: 2 from 127.0.0.2, the third refused. */
	fa = client(base, "127.0.0.2", port);
	fb = client(base, "127.0.0.2", port);
	fx = client(base, "127.0.0.2", port);
	is_int(nusers, 2, "two connections of one client IP opened");
	/* No Nagle wait behind a delayed ACK on any accepted socket. */
	ok(getsockopt(bufferevent_getfd(conn_bev(users[0].cn)), IPPROTO_TCP,
	    TCP_NODELAY, &nd, &ndlen) == 0 && nd != 0,
	    "an accepted socket has TCP_NODELAY");
	is_int(nlimit[CONN_LIMIT_PER_IP], 1, "the third: per-IP limit");
	ok(closed(fx), "the third is closed by the server");
	ok(!closed(fa) && !closed(fb), "the first two are open");
	is_int(conn_ip_count(users[0].cn, 0), 2, "the client IP counts two");
	close(fx);

	/* At the cap (3), a newcomer takes the place of the oldest connection
	 * that has not spoken: a spoke, so b goes. */
	say(base, fa, "spoke");
	ok(!conn_is_fresh(users[0].cn), "a has spoken");
	fc = client(base, "127.0.0.3", port);
	is_int(conn_server_count(cs), 3, "three connections: the cap");
	fd = client(base, "127.0.0.4", port);
	is_int(nusers, 4, "a fourth client IP is let in at the cap");
	is_int(nlimit[CONN_LIMIT_EVICTED], 1, "by evicting one");
	ok(users[1].closed && !users[0].closed && !users[2].closed,
	    "the oldest that had not spoken (b), not a that spoke");
	is_str(addr_ntop(&evicted_peer, ip, sizeof(ip)), "127.0.0.2",
	    "the eviction names the victim's address");
	ok(closed(fb) && !closed(fa), "b's socket is closed, a's is not");
	is_int(conn_server_count(cs), 3, "still three");

	/* Every connection has spoken: the newcomer is refused. */
	say(base, fc, "spoke");
	say(base, fd, "spoke");
	fe = client(base, "127.0.0.5", port);
	is_int(nlimit[CONN_LIMIT_TOTAL], 1, "all spoke: the newcomer refused");
	ok(closed(fe), "its socket is closed");
	ok(!closed(fa) && !closed(fc) && !closed(fd), "nobody who spoke was "
	    "evicted");
	is_int(nusers, 4, "no new connection");

	/* Deferred free: closed from its read callback, freed later. */
	say(base, fa, "close");
	ok(users[0].closed, "a is freed on a later loop turn");
	ok(!users[0].close_nested, "close() ran with no callback on the "
	    "stack");
	ok(closed(fa), "a's socket is closed");
	is_int(conn_server_count(cs), 2, "two left");

	/* A freed slot is taken again, by the per-IP count too. */
	fx = client(base, "127.0.0.2", port);
	is_int(nusers, 5, "127.0.0.2 connects again");
	is_int(conn_ip_count(users[4].cn, 0), 1, "its client IP counts one");

	conn_server_stop(cs);
	ok(!closed(fc), "stop keeps the connections");
	conn_server_free(cs);
	ok(users[2].closed && users[3].closed && users[4].closed,
	    "free closes every connection");
	close(fa);
	close(fb);
	close(fc);
	close(fd);
	close(fe);
	close(fx);
	event_base_free(base);
	handoff();
	sniff();
	return done_testing();
}
