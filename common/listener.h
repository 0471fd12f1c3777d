/*
 * listener.h - the one TCP/TLS connection server: listening sockets,
 * accepted connections (libevent bufferevents, bufferevent_openssl for
 * TLS) with their timer, and the limits every stream listener of the
 * daemon needs.  relay/tcp.c (TURN over TCP and TLS) and signaling's HTTP
 * side are its users.
 *
 * What the server does, so that its users do not:
 *  - per client IP accounting (addr_client_key(): the IPv4 address or the
 *    IPv6 /64), with a limit on accepted connections of kind 0;
 *  - a total cap: at it, a newcomer that passed its per-IP check takes
 *    the place of the oldest connection that has not spoken yet (the user
 *    calls conn_spoke() once the connection has said something whole), so
 *    that a flood of half-open sockets cannot lock real clients out; with
 *    none such the newcomer is refused;
 *  - on EMFILE (and ENFILE, ENOBUFS, ENOMEM) a listener pauses for a
 *    second instead of spinning;
 *  - TLS: listeners flagged tls wrap their connections in OpenSSL with the
 *    server's SSL_CTX (given by the user, swapped on reload: open
 *    connections keep the context they started with); a port that is
 *    both plain and TLS has one listener whose connections start plain
 *    and that its user turns to TLS (conn_start_tls()) when their first
 *    bytes are a ClientHello;
 *  - deferred free: conn_close() takes a connection out of service at
 *    once and frees it from an event on a later loop turn, so that a
 *    connection is never freed while one of its callbacks is on the stack.
 *
 * Callbacks.  The server calls the user's open() for each accepted
 * connection; open() hangs the user's state on it with conn_set_handler().
 * From then on the connection's handler gets its read, write, event and
 * timeout callbacks, and close() exactly once, when the connection is
 * freed (from the reaper, or at once for an evicted fresh connection or
 * in conn_server_close_all()): close() frees the user's state.  The handler
 * may be swapped at any time (conn_set_handler() again): a demultiplexer
 * on a shared port can read a connection's first bytes and hand it, with
 * them still in its input, to another user.
 *
 * Everything runs on the thread of the server's event base.
 */
#ifndef MEETOPIA_COMMON_LISTENER_H
#define MEETOPIA_COMMON_LISTENER_H

#include <stddef.h>

#include <event2/util.h>
#include <openssl/ssl.h>

#include "common/addr.h"

struct bufferevent;
struct event_base;
struct conn;
struct conn_server;

#define CONN_KINDS	2	/* per-IP counters: kind 0 is limited */

/* A listener's connections: plain, TLS, or plain until the user says TLS. */
#define CONN_TLS_OFF	0
#define CONN_TLS_ON	1
#define CONN_TLS_SNIFF	2

/* What a limit callback reports. */
enum conn_limit {
	CONN_LIMIT_PER_IP = 1,	/* refused: per_ip connections of kind 0 */
	CONN_LIMIT_TOTAL,	/* refused: at the cap, nobody to evict */
	CONN_LIMIT_EVICTED	/* at the cap, a fresh connection dropped */
};

/* One connection's user: swapped with conn_set_handler(). */
struct conn_handler {
	void	(*read)(struct conn *, void *arg);
	void	(*write)(struct conn *, void *arg);	/* output drained; may
							 * be NULL */
	/* BEV_EVENT_EOF, _ERROR (bufferevent flags) */
	void	(*event)(struct conn *, void *arg, short what);
	void	(*timeout)(struct conn *, void *arg);	/* conn_timer() */
	/* The connection is being freed: free what hangs off it.  Never
	 * called with another callback of the connection on the stack. */
	void	(*close)(struct conn *, void *arg);
};

/* The server's user. */
struct conn_server_cb {
	/*
	 * A new connection (fresh, timer unarmed): set a handler and return
	 * 0, or -1 (having freed anything of the user's) to drop it.
	 */
	int	(*open)(void *arg, struct conn *);
	/*
	 * A limit was hit.  For a refusal fd is the newcomer's socket, still
	 * open (closed when this returns), peer its address; for an eviction
	 * fd is -1 and peer and tls the victim's.  Evictions are reported at
	 * most once a second: one event says that a flood is on.  May be
	 * NULL.
	 */
	void	(*limit)(void *arg, enum conn_limit, const struct maddr *peer,
		    int tls, evutil_socket_t fd);
};

struct conn_server_params {
	const char	*name;		/* for the log: "relay", "http" */
	unsigned	 per_ip;	/* kind-0 connections per client IP */
	size_t		 max_conns;	/* in total, every kind */
	size_t		 read_high;	/* read high-water mark, bytes */
};

struct conn_server *conn_server_new(struct event_base *,
		    const struct conn_server_params *,
		    const struct conn_server_cb *, void *arg);
#ifdef MEETOPIA_UNITTEST
/*
 * Binds a listener (disabled until conn_server_start()) on a, port
 * included, tls one of CONN_TLS_*.  0, or a negative errno.  listener.c's
 * own (UNITTEST).
 */
int		 conn_server_listen(struct conn_server *, const struct maddr *,
		    int tls);
#endif
/*
 * Listens on port (plain; unless 0) and, unless tls_port is 0, on tls_port (TLS) at
 * each of the n addresses; when the two are one port, one listener whose
 * connections may start TLS (CONN_TLS_SNIFF, named names[1]).  0, or -1
 * with a one-line err naming the port by its configuration key (names[0]
 * plain, names[1] TLS).
 */
int		 conn_server_listen_all(struct conn_server *,
		    const struct maddr *, size_t n, int port, int tls_port,
		    const char *const names[2], char *err, size_t errlen);
/* The address the i-th listener is bound to (its port chosen by the kernel
 * when 0 was asked).  0, or -1. */
int		 conn_server_bound(const struct conn_server *, size_t i,
		    struct maddr *);
/* Takes ownership of ctx (may be NULL) for new TLS connections. */
void		 conn_server_set_tls(struct conn_server *, SSL_CTX *);
SSL_CTX		*conn_server_tls(const struct conn_server *);
int		 conn_server_start(struct conn_server *);
/* Closes the listening sockets; open connections are served on. */
void		 conn_server_stop(struct conn_server *);
/* Calls fn for every connection not closing (fn may close it). */
void		 conn_server_each(struct conn_server *,
		    void (*fn)(struct conn *, void *arg), void *arg);
/* Frees every connection now (not from one of their callbacks). */
void		 conn_server_close_all(struct conn_server *);
/* conn_server_close_all(), then the listeners and the server; NULL ok. */
void		 conn_server_free(struct conn_server *);
size_t		 conn_server_count(const struct conn_server *);

void		 conn_set_handler(struct conn *, const struct conn_handler *,
		    void *arg);
/*
 * Hands c, accepted by another server (a demultiplexer on a shared port),
 * to server `to`, TLS state and the bytes already read included: `to`
 * counts it (kind 0) against its per-IP limit and cap as if it had
 * accepted it, evicting as at accept (its limit() reports a refusal, with
 * the socket's fd), then its open() sets the handler; a first deadline
 * armed there counts from the accept.  The old handler is dropped without
 * its close(): its user frees its own state.  Bytes already buffered go
 * to the new handler's read() before this returns.  0, or -1: refused,
 * and c is closing.
 */
int		 conn_handoff(struct conn *, struct conn_server *to);
/* The handler's arg when h is its handler, else NULL. */
void		*conn_user(const struct conn *, const struct conn_handler *h);
/* It has said something whole: no longer evicted at the cap. */
void		 conn_spoke(struct conn *);
int		 conn_is_fresh(const struct conn *);
/* Takes it out of service now; freed (close()) on a later loop turn. */
void		 conn_close(struct conn *);
int		 conn_closing(const struct conn *);
/* Arms the timer (timeout() after secs; re-arming replaces), stops it. */
void		 conn_timer(struct conn *, int secs);
void		 conn_timer_stop(struct conn *);
/* Moves it to another per-IP counter (kind < CONN_KINDS). */
void		 conn_set_kind(struct conn *, unsigned kind);
/* Connections of that kind from its client IP, itself included. */
unsigned	 conn_ip_count(const struct conn *, unsigned kind);
struct bufferevent *conn_bev(struct conn *);
const struct maddr *conn_peer(const struct conn *);
const struct maddr *conn_local(const struct conn *);	/* family 0: none */
int		 conn_is_tls(const struct conn *);
/* Accepted plain by a listener that is also TLS, not started yet. */
int		 conn_may_start_tls(const struct conn *);
/*
 * Turns such a connection to TLS with the server's SSL_CTX: the bytes read
 * so far (the ClientHello) start the handshake; the handler gets
 * BEV_EVENT_CONNECTED when it is done, then plaintext.  The timer runs on.
 * 0, or -1 (the caller closes it).
 */
int		 conn_start_tls(struct conn *);
/*
 * The first OpenSSL error of a TLS connection, as text (the rest are
 * drained); 0 when there was one, -1 when not.
 */
int		 conn_tls_error(struct conn *, char *buf, size_t len);

#endif
