/*
 * sig.h - the signaling module's private state, shared by server.c (the
 * module's lifecycle), hconn.c (the HTTP connection loop and the
 * WebSocket upgrade), routes.c (what each path answers), ice.c (TURN
 * credentials for clients) and session.c, session_pair.c, session_msg.c
 * (WebSocket sessions, pairing, relay of signaling messages).  Not for other modules: their interface is
 * signaling.h.
 *
 * Ownership.  The connection server of common/listener.h (sig->cs) owns
 * the sockets; each hangs a struct hconn, freed with it.  struct
 * signaling owns the sessions (by id).  A connection in WebSocket state
 * points at its session and the session back at it; a session whose socket
 * dropped has conn == NULL and waits up to resume-window for `resume`.
 * Connections are never freed from inside their own callbacks:
 * conn_close() takes them out of service and the server frees them on a
 * later loop turn.
 */
#ifndef MEETOPIA_SIG_SIG_H
#define MEETOPIA_SIG_SIG_H

#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>

#include <jansson.h>
#include <openssl/ssl.h>

#include "auth/pseudonym.h"
#include "common/addr.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/ratelimit.h"
#include "common/secevent.h"
#include "signaling/chat.h"
#include "signaling/http.h"
#include "signaling/msg.h"
#include "signaling/pairing.h"
#include "signaling/signaling.h"
#include "signaling/ws.h"

struct conn;
struct conn_server;
struct event;
struct event_base;
struct evbuffer;

#define HTTP_REQUEST_SECS	10	/* a whole request (and TLS) within */
#define HTTP_CONN_PER_IP	32	/* plain HTTP sockets per client IP */
#define SIG_KIND_HTTP		0	/* per-IP counts of the conn server */
#define SIG_KIND_WS		1
#define WS_PING_SECS		30	/* ping an idle WebSocket this often */
#define WS_DEAD_SECS		75	/* silent this long: the socket is dead */
#define WS_OUT_MAX		(1024 * 1024)	/* queued output, then close */
#define WS_STRIKES_MAX		3	/* bad messages per window, then 1008 */
#define WS_STRIKE_SECS		60
#define SIG_PENDING_MAX		65536	/* held for a dropped session */
#define SIG_CLOSE_SECS		5	/* to flush before closing anyway */
#define SIG_REPORTS_MAX		10	/* reports one session may file */
/* Dropped sessions held for resume per client IP: this many times
 * max-connections-per-ip (a few reconnects each); in total, as many as
 * connections (sig->max_conns).  Over either, the oldest ends. */
#define SIG_DROPPED_PER_CONN	4

/* SPEC's error codes, sent as {"type":"error","code":...}; counted in
 * meetopia_errors_total{code} (server.c registers the names). */
enum sig_err {
	SIG_ERR_BAD_REQUEST = 0,
	SIG_ERR_TOO_LONG,
	SIG_ERR_RATE_LIMITED,
	SIG_ERR_NO_PARTNER,
	SIG_ERR_BANNED,
	SIG_ERR_BAD_TOKEN,
	SIG_ERR_INTERNAL,
	SIG_ERR_COUNT
};

enum hconn_state {
	HC_HTTP = 0,		/* reading a request */
	HC_DEFER,		/* waiting for the admin API's reply */
	HC_WS,			/* WebSocket */
	HC_CLOSING		/* flushing, then freed */
};

/* The API's rate limit window of one client IP (addr_client_key()). */
struct rate_ent {
	RB_ENTRY(rate_ent)	 node;
	struct maddr		 key;
	struct rl_window	 win;		/* seconds */
};

struct hconn {
	struct signaling	*sig;
	struct conn		*cn;		/* common/listener.h */
	struct maddr		 peer;
	int			 tls;
	enum hconn_state	 state;
	int			 keep_alive;	/* for the current request */
	int			 continued;	/* 100 Continue sent for it */

	struct ws		*ws;
	struct session		*sess;
	uint64_t		 last_rx;	/* ms */
	int			 nmsgs;		/* messages on this socket */
	struct rl_window	 strikes;	/* ms */
};

#define SIG_NODE_MAX		64	/* node names (cluster/queue.h) */

/* A session's cluster side (cluster_*.c): its partner when that one
 * is on another node, and its place in the cluster-wide queue. */
struct sess_remote {
	char			 peer[PAIR_ID_LEN + 1];	/* "": none */
	char			 node[SIG_NODE_MAX + 1];	/* peer's node */
	char			 relay[SIG_NODE_MAX + 1];	/* "": local */
	int			 pending;	/* matched, pair not yet told */
	int			 queued;	/* in the cluster-wide queue */
	long long		 since_ms;	/* joined it (Redis' clock) */
	uint64_t		 txseq;		/* to the partner's node */
	uint64_t		 rxseq;		/* last heard from it */
	struct maddr		 peer_addr;	/* for reports; never sent clear */
	int			 has_peer_addr;
	struct event		*timer;		/* peer's node died; a take */
	char			 dead_node[SIG_NODE_MAX + 1];	/* which */
	unsigned		 dead_epoch;	/* its epoch then */
	char			 taking[PAIR_ID_LEN + 1];	/* resuming it */
	char			 taking_from[SIG_NODE_MAX + 1];	/* its node */
	int			 adopting;	/* asked its partner's node */
	int			 moved;		/* resumed on another node */
	int			 relay_moved;	/* got `relay` since matched */
};

struct session {
	RB_ENTRY(session)	 node;
	struct pair_node	 pn;		/* pn.id is the session id */
	struct signaling	*sig;
	struct hconn		*conn;		/* NULL while dropped */
	struct maddr		 addr;		/* client of the last socket */
	char			 pseudo[PSEUDONYM_LEN + 1];
	struct session		*partner;
	int			 has_last;	/* a former partner to report */
	struct maddr		 last_addr;
	enum { S_IDLE = 0, S_WAITING, S_PAIRED } state;
	int			 offerer;
	uint64_t		 paired_at;	/* ms */
	int			 stats_done;	/* connect figures of this pair */
	int			 reported;	/* this partner was reported */
	int			 nreports;	/* reports filed by the session */
	uint64_t		 serial;	/* of the valid resume token */
	struct event		*drop_timer;	/* resume window */
	struct event		*wait_timer;	/* interests: fall back */
	struct chat_bucket	 chat;
	struct chat_bucket	 signal;
	struct rl_window	 limited;	/* rate_limited sent, ms */
	struct evbuffer		*pending;	/* messages held while dropped */
	struct dropip		*dip;		/* set while on the dropped lists */
	TAILQ_ENTRY(session)	 dentry;	/* sig->dropped, oldest first */
	TAILQ_ENTRY(session)	 dipentry;	/* dip->list, oldest first */
	int			 ending;	/* ended, freed on the next turn */
	struct sess_remote	 r;		/* cluster_*.c */
};

TAILQ_HEAD(sess_list, session);

/* The dropped sessions of one client IP (addr_client_key()). */
struct dropip {
	RB_ENTRY(dropip)	 node;
	struct maddr		 key;
	size_t			 n;
	struct sess_list	 list;
};

RB_HEAD(rate_tree, rate_ent);
RB_HEAD(sess_tree, session);
RB_HEAD(drop_tree, dropip);

struct signaling {
	struct sig_env		 env;		/* the program's (signaling.h) */
	struct event_base	*base;
	struct conn_server	*cs;		/* HTTP and HTTPS sockets */
	char			*web_root;	/* realpath of web-root */
	size_t			 max_conns;
	struct rate_tree	 rates;		/* routes.c */
	struct event		*gc;

	struct sess_tree	 sessions;
	size_t			 nsessions;
	struct sess_list	 dropped;	/* waiting for resume */
	size_t			 ndropped;
	struct drop_tree	 dropips;	/* the same, by client IP */
	struct pair_queue	 queue;
	struct pair_table	*pairs;
	size_t			 npairs;
	sig_pair_hook		 hook;
	void			*hook_arg;
	sig_end_hook		 end_hook;
	void			*end_hook_arg;
	struct sig_limits	 limits;	/* a cluster's, or none */
	uint8_t			 jwt_key[32];
	uint64_t		 serial;
	int			 stopping;
	struct sig_cluster	 cl;		/* cl.up == NULL: none */
	struct sig_node_ops	 nodeops;	/* nodes, drain */
	int			 draining;	/* /healthz: 503 */
	uint8_t			 bus_key[32];	/* partner messages */
};

/* server.c */
const char	*sig_err_name(enum sig_err);
void		 sig_pseudonym(struct signaling *, const struct maddr *,
		    char out[PSEUDONYM_LEN + 1]);
void		 sig_secevent(struct signaling *, enum secev_type,
		    enum secev_severity, const char *session,
		    const struct maddr *, const char *event, json_t *details);

/* hconn.c */
int		 sig_http_listen(struct signaling *, const struct config *,
		    char *err, size_t errlen);
void		 sig_http_stop(struct signaling *);
void		 sig_conn_close(struct hconn *);
void		 sig_conn_reap(struct hconn *);
int		 sig_conn_send(struct hconn *, const char *, size_t);
void		 sig_conn_timer(struct hconn *, int secs);
struct evbuffer	*sig_conn_output(struct hconn *);
int		 sig_upgrade(struct hconn *);
void		 sig_http_input(struct hconn *);
void		 sig_respond(struct hconn *, int status, const char *ctype,
		    const void *body, size_t len, const char *extra,
		    int head_only);
void		 sig_respond_text(struct hconn *, int status,
		    const char *extra);
void		 sig_respond_json(struct hconn *, int status, json_t *doc,
		    const char *extra);
void		 sig_respond_json_error(struct hconn *, int status,
		    const char *code, const char *message, const char *extra);
/* Every response carries these (and HSTS over HTTPS). */
#define SEC_HEADERS							\
	"X-Frame-Options: DENY\r\n"					\
	"X-Content-Type-Options: nosniff\r\n"				\
	"Referrer-Policy: no-referrer\r\n"				\
	"Content-Security-Policy: default-src 'self'; "			\
	"script-src 'self'; style-src 'self'; img-src 'self' data:; "	\
	"media-src 'self' blob:; connect-src 'self' ws: wss:; "		\
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'\r\n" \
	"Permissions-Policy: camera=(self), microphone=(self)\r\n"
#define HSTS_HEADER	"Strict-Transport-Security: max-age=31536000\r\n"

/* routes.c */
void		 sig_route(struct hconn *, const struct http_req *,
		    const char *body, size_t len);
void		 sig_rate_gc(struct signaling *);
void		 sig_rate_free(struct signaling *);

/* ice.c */
json_t		*sig_ice_servers(struct signaling *, struct hconn *,
		    const char *session);
json_t		*sig_ice_list(json_t *urls, const char *user, char *pass,
		    size_t passlen);

/* session.c */
struct session	*session_new(struct signaling *, struct hconn *);
void		 session_message(struct hconn *, const uint8_t *, size_t);
void		 session_frame_error(struct hconn *, enum ws_err);
void		 session_detach(struct hconn *);
void		 session_free(struct session *);
void		 session_free_all(struct signaling *);
void		 session_ban_check(struct signaling *);
void		 session_reload(struct signaling *);
struct session	*session_find(struct signaling *, const char *id);
void		 session_send(struct session *, json_t *);
void		 session_send_matched(struct session *);
void		 session_pair_here(struct session *waiter, struct session *);
void		 session_match_here(struct session *);
void		 session_rename(struct session *, const char *id);
char		*session_token(struct session *);
void		 session_hold(struct session *, const char *, size_t);
/* A partner here or on another node. */
int		 session_paired(const struct session *);
/* fn may end the session it is given, no other. */
void		 session_each(struct signaling *,
		    void (*)(struct session *, void *), void *);

/* cluster_*.c: the session's cluster side (see sig_set_cluster()) */
int		 remote_active(struct signaling *);
int		 remote_find(struct session *);
void		 remote_cancel(struct session *);
void		 remote_hold(struct session *, int eligible);
int		 remote_unpair(struct session *, const char *reason);
void		 remote_send(struct session *, json_t *);
json_t		*remote_ice(struct session *);
void		 remote_relay_local(struct session *, struct session *);
void		 remote_unrelay_local(struct session *, struct session *);
void		 remote_free(struct session *);
int		 remote_resume(struct hconn *, const char *sid, uint64_t n,
		    const char *node);

#endif
