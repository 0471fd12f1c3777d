/*
 * signaling.h - the signaling module's public interface: the HTTP/HTTPS
 * server (web client, /healthz, /metrics, /api/ice-servers, the /admin/v1/
 * route), WebSocket /ws with the pairing queue, SDP/ICE relay with IP
 * masking and chat (SPEC "Signaling" and "HTTP").
 *
 * Lifecycle, from meetopiad.c:
 *   signaling_new()     binds the listeners (before privileges are dropped)
 *   signaling_start()   starts accepting
 *   signaling_reload()  takes the live keys of a new configuration
 *   signaling_stop()    stops accepting, closes every socket
 *   signaling_free()
 *
 * The pair table is readable from any thread (the relay's peer-policy hook
 * asks it from its workers); everything else runs on the daemon's loop.
 */
#ifndef MEETOPIA_SIGNALING_H
#define MEETOPIA_SIGNALING_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth/pseudonym.h"
#include "common/addr.h"

struct config;
struct conn_server;
struct event_base;
struct metrics;
struct secevent_log;
struct signaling;

/*
 * The moderation store as signaling sees it, filled in by the program;
 * each function is called with arg, on the daemon's loop.  All NULL: there
 * is no store (nobody is banned, clients are named "unknown", reports and
 * the admin API are refused).
 *
 * is_banned       nonzero when the client at this address is banned (/ws
 *                 upgrade: 403; signaling_bans_changed(): its sessions end)
 * pseudonym       the client's pseudonym, its only name in logs and events
 * report_submit   files a report of `reported` by `reporter` (reason is
 *                 SPEC's word, detail may be NULL); returns 0 and later calls
 *                 done(done_arg, id), once the report is committed (id > 0)
 *                 or could not be (id < 0), or refuses it at once and files
 *                 nothing: SIG_REPORT_INVAL (unknown reason, invalid
 *                 UTF-8), SIG_REPORT_TOOLONG (detail past 200 code points),
 *                 another negative when it cannot be queued
 * admin_request   hands an /admin/v1/ request over; returns 0 and later
 *                 calls done(done_arg, status, json, retry_after) (json valid
 *                 during the call only), negative when it cannot
 * cancel          the completions pending with this done_arg are not to be
 *                 called (the connection or session is going away)
 */
#define SIG_REPORT_INVAL	(-2)
#define SIG_REPORT_TOOLONG	(-3)

typedef void	(*sig_report_done)(void *done_arg, int64_t id);
typedef void	(*sig_admin_done)(void *done_arg, int status,
		    const char *json, int retry_after);

struct sig_moderation {
	int	(*is_banned)(void *arg, const struct maddr *client);
	void	(*pseudonym)(void *arg, const struct maddr *client,
		    char out[PSEUDONYM_LEN + 1]);
	int	(*report_submit)(void *arg, const struct maddr *reporter,
		    const struct maddr *reported, const char *reason,
		    const char *detail, sig_report_done done, void *done_arg);
	int	(*admin_request)(void *arg, const char *method,
		    const char *path, const char *authorization,
		    const char *body, size_t bodylen,
		    const struct maddr *client, sig_admin_done done,
		    void *done_arg);
	void	(*cancel)(void *arg, void *done_arg);
	void	*arg;
};

/*
 * What signaling is given by the program: the daemon's loop, the
 * configuration (signaling_reload() gives the next one), the metrics it
 * keeps its figures in, the security log, the state dir (its resume-token
 * key lives there) and the moderation store.  Copied by signaling_new().
 */
struct sig_env {
	struct event_base	*base;
	const struct config	*cfg;
	struct metrics		*metrics;
	struct secevent_log	*seclog;
	const char		*state_dir;
	struct sig_moderation	 mod;
};

/* Binds every listener; NULL with a one-line err on failure. */
struct signaling *signaling_new(const struct sig_env *, char *err,
		    size_t errlen);
int		 signaling_start(struct signaling *);
/* Live keys after SIGHUP (limits, origins, api keys, TLS certificate). */
void		 signaling_reload(struct signaling *, const struct config *);
void		 signaling_stop(struct signaling *);
void		 signaling_free(struct signaling *);

/*
 * The connection server of HTTP and HTTPS (common/listener.h): a
 * demultiplexer on a port shared with TURN hands connections to it.
 */
struct conn_server *signaling_conn_server(struct signaling *);

/*
 * Whether sessions a and b (the SESSION of "EXPIRY:s-SESSION") are each
 * other's current partners.  Safe from any thread; a few hundred ns.
 */
int		 sig_are_partners(struct signaling *, const char *a,
		    const char *b);

/*
 * The relay's pair-permissions hook, in the shape of relay/relay.h's
 * relay_peer_hook (arg is the struct signaling): may an allocation made
 * with username user_a permit the relayed address of one made with user_b?
 * A username that names no session ("EXPIRY" or "EXPIRY:ID") is not
 * restricted; one that names a session ("EXPIRY:s-SESSION") may reach
 * only allocations whose username names that session's current partner.
 * Nonzero allows.  Safe from any thread.
 */
int		 sig_peer_hook(void *arg, const char *user_a,
		    const char *user_b);

/*
 * Limits that count across a cluster (the program fills them in from
 * cluster/limits.h; without a cluster none is set and every count is this
 * node's).  ws_elsewhere: the client's WebSockets on the other nodes,
 * added to this node's against max-connections-per-ip; ws_changed: one of
 * its WebSockets opened (+1) or closed (-1) here; api_hit: one HTTP API
 * request that this node's window allows, -1 with *retry (seconds) when
 * the cluster already counted rate-limit-max of them.  All on the loop,
 * none waits.
 */
struct sig_limits {
	long long (*ws_elsewhere)(void *arg, const struct maddr *client);
	void	(*ws_changed)(void *arg, const struct maddr *client,
		    int delta);
	int	(*api_hit)(void *arg, const struct maddr *client,
		    long long max, long long window, int *retry);
	void	 *arg;
};
void		 sig_set_limits(struct signaling *, const struct sig_limits *);

/*
 * Called on the loop each time a pair forms (paired = 1) or ends (0), with
 * both session ids, so the relay can drop permissions between former
 * partners.  One hook; NULL removes it.
 */
typedef void	(*sig_pair_hook)(void *arg, const char *a, const char *b,
		    int paired);
void		 sig_set_pair_hook(struct signaling *, sig_pair_hook, void *);

/*
 * Called on the loop when a session ends for good (its resume window
 * passed, a resume discarded it, it was banned, or the bound on dropped
 * sessions ended it), with its id, so the relay can free the allocations
 * made with its credentials.  Not called while signaling is being freed.
 * One hook; NULL removes it.
 */
typedef void	(*sig_end_hook)(void *arg, const char *session);
void		 sig_set_end_hook(struct signaling *, sig_end_hook, void *);

/*
 * New bans arrived (the moderation store's ban hook, wired by the daemon):
 * the banned clients' sessions end, their sockets are closed and their
 * partners get partner_left with reason banned.
 */
void		 signaling_bans_changed(struct signaling *);

/*
 * The cluster as signaling sees it (SPEC "Cluster"), filled in by the
 * program from cluster/ and given with sig_set_cluster(); each function is
 * called with arg, on the loop.  No cluster, or up() returning 0 (Redis
 * unreachable): signaling pairs its own sessions alone, as a cluster of
 * one.
 *
 * node     this node's name (kept by the program as long as signaling)
 * up       nonzero while the cluster's Redis is reachable
 * find     asks the cluster-wide queue to match session (last: the partner
 *          it just left, or NULL; retry: the interest wait is over); 0 and
 *          later signaling_cluster_found(), or -1 (then nothing is called)
 * cancel   takes session off the cluster-wide queue (no answer)
 * hold     keeps a queued session's place but makes it unmatchable
 *          (eligible 0: its socket dropped) or matchable again (1)
 * send     publishes data on node's channel, in order (node NULL: the
 *          channel every node hears); -1 when down
 * relay    the pair's relay node of nodes a and b (the less loaded, never
 *          a draining or dead one; when both are, the least loaded live
 *          node that is not draining), or NULL
 * node_at  the TURN address (text) and ports clients reach a live node
 *          at, and its epoch (counts its deaths and restarts); -1 when
 *          the node is unknown or dead
 * node_up  nonzero when node is live and not draining
 */
enum sig_found_what {
	SIG_FOUND_WAITING = 1,
	SIG_FOUND_MATCHED,
	SIG_FOUND_GONE
};

struct sig_cluster {
	const char	*node;
	int	(*up)(void *arg);
	int	(*find)(void *arg, const char *session, const char *last,
		    const char *const *interests, size_t ninterests,
		    int retry, long long wait_ms);
	void	(*cancel)(void *arg, const char *session);
	void	(*hold)(void *arg, const char *session, int eligible);
	int	(*send)(void *arg, const char *node, const char *data,
		    size_t len);
	const char *(*relay)(void *arg, const char *a, const char *b);
	int	(*node_at)(void *arg, const char *node, char *addr,
		    size_t addrlen, int *turn_port, int *tls_port,
		    unsigned *epoch);
	int	(*node_up)(void *arg, const char *node);
	void	*arg;
};

void		 sig_set_cluster(struct signaling *, const struct sig_cluster *);

/*
 * The program's side of meetopiactl's `nodes` and `drain` (SPEC
 * "meetopiactl"), served at GET /admin/v1/nodes (metrics-allow, as
 * /metrics) and POST /admin/v1/drain (a MAC made with auth-secret, see
 * auth/ctlmac.h).  nodes: the table (a JSON array, NULL: 500).  drain:
 * node NULL is this one; 0, or an HTTP status with why.
 */
struct sig_node_ops {
	json_t	*(*nodes)(void *arg);
	int	 (*drain)(void *arg, const char *node, int undo,
		    const char **why);
	void	 *arg;
};
void		 sig_set_node_ops(struct signaling *,
		    const struct sig_node_ops *);
/* Every WebSocket is told {"type":"reconnect","after":MS} (SPEC). */
void		 signaling_reconnect_all(struct signaling *);
/*
 * This node drains (on = 1) or takes new work again (0): /healthz answers
 * 503 "draining" meanwhile, so a load balancer sends new clients to the
 * other nodes, and every WebSocket is told to reconnect when it starts.
 */
void		 signaling_set_draining(struct signaling *, int on);
/* An authenticated {"t":"drain"} to node's channel: 0, or -1. */
int		 signaling_cluster_drain(struct signaling *, const char *node,
		    int undo);
/*
 * The answer to find (err -1: Redis failed it; the session pairs alone);
 * since_ms: when a WAITING session joined the queue, partner_since_ms:
 * when the MATCHED partner did (Redis' clock, 0 unknown), so that the
 * one that waited longer offers.
 */
void		 signaling_cluster_found(struct signaling *,
		    const char *session, int err, enum sig_found_what,
		    const char *partner, const char *partner_node,
		    long long since_ms, long long partner_since_ms);
/* A message on this node's channel. */
void		 signaling_cluster_input(struct signaling *, const char *data,
		    size_t len);
/* Redis came back (up = 1) or went away. */
void		 signaling_cluster_state(struct signaling *, int up);
/* A node was declared dead by the registry. */
void		 signaling_node_dead(struct signaling *, const char *node);
/* Sessions this node holds, for its heartbeat. */
size_t		 signaling_sessions(struct signaling *);

#endif
