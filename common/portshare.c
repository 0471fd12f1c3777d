/*
 * portshare.c - the demultiplexer of a shared port (see portshare.h): a
 * connection server of its own whose connections wait, each with one
 * deadline, until the ALPN the TLS handshake agreed on or the first bytes
 * (common/demux.c, pure) name the protocol, and are then handed whole to
 * the HTTP or TURN server with conn_handoff().
 *
 * Invariants.  Nothing is read from a connection here: the bytes are
 * peeked (evbuffer_copyout), so the new user reads them as if it had
 * accepted the socket.  A connection holds no state of ours (the handler's
 * arg is the share), so a handoff or a close leaves nothing behind.
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>

#include "common/demux.h"
#include "common/listener.h"
#include "common/log.h"
#include "common/portshare.h"
#include "common/secevent.h"

struct port_share {
	struct share_env	 env;
	struct conn_server	*cs;
	long long		 ev_sec;	/* events: this second ... */
	int			 ev_n;		/* ... and how many */
};

/* A security event about a client (at most SHARE_EVENTS_PER_SEC). */
static void
share_secevent(struct port_share *ps, enum secev_type type,
    enum secev_severity sev, const struct maddr *client, int tls,
    const char *name, const char *why)
{
	char pseudo[SHARE_PSEUDONYM_MAX];
	long long now = (long long)time(NULL);

	if (ps->env.seclog == NULL)
		return;
	if (now != ps->ev_sec) {
		ps->ev_sec = now;
		ps->ev_n = 0;
	}
	if (ps->ev_n++ >= SHARE_EVENTS_PER_SEC)
		return;
	pseudo[0] = '\0';
	if (ps->env.pseudonym != NULL)
		ps->env.pseudonym(ps->env.arg, client, pseudo);
	secevent_emit(ps->env.seclog, type, sev, NULL, pseudo[0] != '\0' ?
	    pseudo : NULL, name, json_pack("{s:s, s:s}", "transport", tls ?
	    "tls" : "tcp", "why", why));
}

/* The protocol the handshake agreed on (DEMUX_MORE: none, or plain). */
static enum demux_proto
share_alpn(struct conn *cn)
{
	const unsigned char *p = NULL;
	unsigned len = 0;
	enum demux_proto proto = DEMUX_MORE;
	SSL *ssl;

	if (!conn_is_tls(cn) ||
	    (ssl = bufferevent_openssl_get_ssl(conn_bev(cn))) == NULL)
		return DEMUX_MORE;
	SSL_get0_alpn_selected(ssl, &p, &len);
	if (p != NULL && len > 0)
		demux_alpn(p, len, &proto);
	return proto;
}

/*
 * Hands cn on once its ALPN or first bytes tell; closes it on neither.  A
 * ClientHello on a port that is plain and TLS at once starts TLS; plain
 * HTTP is taken only where http-port is shared (env.plain_http).
 */
static void
share_decide(struct port_share *ps, struct conn *cn, int handshaken)
{
	struct evbuffer *in = bufferevent_get_input(conn_bev(cn));
	uint8_t buf[DEMUX_PEEK_MAX];
	ev_ssize_t n;
	enum demux_proto proto = DEMUX_MORE;

	if (handshaken)
		proto = share_alpn(cn);
	if (proto == DEMUX_MORE) {
		if ((n = evbuffer_copyout(in, buf, sizeof(buf))) < 0) {
			conn_close(cn);
			return;
		}
		demux_first(buf, (size_t)n, &proto);
	}
	if (proto == DEMUX_TLS && conn_may_start_tls(cn)) {
		/* turn-port = tls-port: the handshake, then ALPN or the
		 * first bytes again (share_event_cb, share_read_cb) */
		if (conn_start_tls(cn) != 0)
			conn_close(cn);
		return;
	}
	if (proto == DEMUX_HTTP && !conn_is_tls(cn) && !ps->env.plain_http) {
		share_secevent(ps, SECEV_MESSAGE, SECEV_MEDIUM, conn_peer(cn),
		    0, "share_bad_first_bytes", "plain HTTP on a port that is "
		    "not http-port");
		conn_close(cn);
		return;
	}
	switch (proto) {
	case DEMUX_MORE:
		return;
	case DEMUX_HTTP:
		conn_handoff(cn, ps->env.http);
		return;
	case DEMUX_TURN:
		conn_handoff(cn, ps->env.turn);
		return;
	default:
		share_secevent(ps, SECEV_MESSAGE, SECEV_MEDIUM, conn_peer(cn),
		    conn_is_tls(cn), "share_bad_first_bytes",
		    "neither HTTP nor STUN/TURN");
		conn_close(cn);
		return;
	}
}

static void
share_read_cb(struct conn *cn, void *arg)
{
	/* Data arrives on a TLS connection after its handshake only. */
	share_decide(arg, cn, 1);
}

static void
share_event_cb(struct conn *cn, void *arg, short what)
{
	/* The handshake is done: the ALPN may tell before any byte. */
	if (what & BEV_EVENT_CONNECTED) {
		share_decide(arg, cn, 1);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_close(cn);
}

static void
share_timeout_cb(struct conn *cn, void *arg)
{
	/* Silent, slow, or a stalled handshake: as HTTP and TURN do. */
	share_secevent(arg, SECEV_CONNECTION, SECEV_LOW, conn_peer(cn),
	    conn_is_tls(cn), "share_timeout", "no protocol named in time");
	conn_close(cn);
}

static void
share_close_cb(struct conn *cn, void *arg)
{
	(void)cn;
	(void)arg;
}

static const struct conn_handler share_handler = {
	.read = share_read_cb,
	.event = share_event_cb,
	.timeout = share_timeout_cb,
	.close = share_close_cb,
};

static int
share_open_cb(void *arg, struct conn *cn)
{
	conn_set_handler(cn, &share_handler, arg);
	conn_timer(cn, SHARE_FIRST_SECS);
	return 0;
}

static void
share_limit_cb(void *arg, enum conn_limit why, const struct maddr *peer,
    int tls, evutil_socket_t fd)
{
	static const char *const whys[] = {
		[CONN_LIMIT_PER_IP] = "undecided connections per client IP",
		[CONN_LIMIT_TOTAL] = "undecided connections in total",
		[CONN_LIMIT_EVICTED] = "the oldest undecided connection "
		    "dropped for a new one",
	};

	(void)fd;
	share_secevent(arg, SECEV_CONNECTION, why == CONN_LIMIT_EVICTED ?
	    SECEV_MEDIUM : SECEV_LOW, peer, tls, "share_conn_limit", whys[why]);
}

/* OpenSSL's ALPN callback: the client's first id of ours, else none. */
static int
share_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	if (demux_alpn_select(in, inlen, out, outlen) != 0)
		return SSL_TLSEXT_ERR_NOACK;	/* the first bytes tell */
	return SSL_TLSEXT_ERR_OK;
}

struct port_share *
share_new(const struct share_env *env)
{
	static const struct conn_server_cb cb = { share_open_cb,
	    share_limit_cb };
	struct conn_server_params p = {
		.name = "share",
		.per_ip = SHARE_CONN_PER_IP,
		.max_conns = 256,
		.read_high = 65536,	/* no more than HTTP or TURN take */
	};
	struct port_share *ps;
	struct rlimit rl;

	/* Undecided connections: an eighth of the descriptors. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		p.max_conns = rl.rlim_cur / 8 > 64 ? rl.rlim_cur / 8 : 64;
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return NULL;
	ps->env = *env;
	if ((ps->cs = conn_server_new(env->base, &p, &cb, ps)) == NULL) {
		free(ps);
		return NULL;
	}
	return ps;
}

int
share_listen(struct port_share *ps, const struct maddr *v, size_t n,
    int port, int tls_port, char *err, size_t errlen)
{
	static const char *const names[2] = { "http-port = turn-port",
	    "https-port = tls-port" };
	static const char *const all[2] = { "turn-port = tls-port",
	    "turn-port = tls-port = https-port" };

	return conn_server_listen_all(ps->cs, v, n, port, tls_port,
	    port == tls_port ? all : names, err, errlen);
}

void
share_set_tls(struct port_share *ps, SSL_CTX *ctx)
{
	if (ctx != NULL)
		SSL_CTX_set_alpn_select_cb(ctx, share_alpn_cb, NULL);
	conn_server_set_tls(ps->cs, ctx);
}

int
share_has_tls(const struct port_share *ps)
{
	return conn_server_tls(ps->cs) != NULL;
}

int
share_start(struct port_share *ps)
{
	return conn_server_start(ps->cs);
}

void
share_stop(struct port_share *ps)
{
	if (ps == NULL)
		return;
	conn_server_stop(ps->cs);
	conn_server_close_all(ps->cs);
}

void
share_free(struct port_share *ps)
{
	if (ps == NULL)
		return;
	conn_server_free(ps->cs);
	free(ps);
}
