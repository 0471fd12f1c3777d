/*
 * portshare.h - one port for two servers (SPEC, Configuration): when
 * https-port equals tls-port one TLS listener serves HTTPS/WSS and TURN
 * over TLS; when http-port equals turn-port one TCP listener serves HTTP
 * and TURN over TCP; when turn-port, tls-port and https-port are one
 * port (and http-port too, optionally) one TCP listener serves them all,
 * telling a TLS ClientHello from plain STUN/TURN (or HTTP) by the first
 * bytes, then ALPN or the first bytes inside TLS as above.  The program
 * binds the shared ports here instead of
 * in the relay and signaling, and gives the two connection servers that
 * take the connections over (common/listener.h).
 *
 * An accepted connection waits here (TLS handshake included) until its
 * ALPN or its first bytes tell (common/demux.h); then conn_handoff() gives
 * it, with the bytes read and its TLS state, to the HTTP or the TURN
 * server, which count it against their per-IP limits and caps as if they
 * had accepted it.  While it waits it is counted here: SHARE_CONN_PER_IP
 * per client IP, a cap that evicts the oldest undecided connection, the
 * EMFILE pause of the listener, and SHARE_FIRST_SECS from the accept to
 * decide (the same 10 s that HTTP and TURN give a first request, and that
 * keep running after the handoff); a client that sends neither protocol
 * is closed.
 */
#ifndef MEETOPIA_COMMON_PORTSHARE_H
#define MEETOPIA_COMMON_PORTSHARE_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "common/addr.h"

struct event_base;
struct conn_server;
struct port_share;

#define SHARE_FIRST_SECS	10
#define SHARE_CONN_PER_IP	32
#define SHARE_EVENTS_PER_SEC	10
#define SHARE_PSEUDONYM_MAX	64

struct secevent_log;

/*
 * What the program gives: the loop, the servers that take connections
 * over (they outlive the share), and for security events (a refusal at a
 * limit, a client that speaks neither protocol or nothing in time) the
 * log and a hook naming a client by pseudonym (NULL: unnamed).
 */
struct share_env {
	struct event_base	*base;
	struct conn_server	*http;
	struct conn_server	*turn;
	struct secevent_log	*seclog;
	void	(*pseudonym)(void *arg, const struct maddr *client,
		    char out[SHARE_PSEUDONYM_MAX]);
	void	*arg;
	/* Plain HTTP is served (http-port is shared); else only TURN is,
	 * on a plain connection. */
	int	 plain_http;
};

struct port_share *share_new(const struct share_env *);
/*
 * Binds the shared listeners (disabled until share_start()): plain on
 * port, TLS on tls_port, at each of the n addresses; a port of 0 is not
 * shared; port = tls_port is one listener for both (the first bytes tell
 * a ClientHello).  0, or -1 with a one-line err.
 */
int		 share_listen(struct port_share *, const struct maddr *,
		    size_t n, int port, int tls_port, char *err,
		    size_t errlen);
/* Takes ownership of ctx for new TLS connections; adds the ALPN choice. */
void		 share_set_tls(struct port_share *, SSL_CTX *);
int		 share_has_tls(const struct port_share *);
int		 share_start(struct port_share *);
/* Closes the listeners and the connections still undecided. */
void		 share_stop(struct port_share *);
void		 share_free(struct port_share *);

#endif
