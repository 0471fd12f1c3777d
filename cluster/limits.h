/*
 * limits.h - per-client limits that count across the cluster (SPEC
 * "Cluster"): max-connections-per-ip and the HTTP API rate limit.
 * Clients are named by their pseudonyms (the program computes them with
 * the cluster's shared pseudonym-secret): nothing here sees an address.
 *
 * The event loop never waits for Redis: every check reads a figure kept
 * here, refreshed by messages and replies as they come.
 *
 * WebSockets: each node is the authority on its own sockets.  A change of
 * a client's count on this node is PUBLISHed at once ("node pseudonym n"
 * on prefix + "conns"), and every 5 s a node republishes the counts it
 * holds; every node keeps the others' latest figures and forgets a
 * node's figure that was not repeated for 12 s (a node that died or lost
 * Redis).  A check adds the other nodes' figures to the local count.
 *
 * API requests: one Redis counter per client and window (INCR, with the
 * window as its expiry); the reply is the cluster's count, kept here for
 * the next check of that client.  A request is refused when the cluster's
 * count known here has reached the limit.
 *
 * While the link is down the figures of other nodes are dropped: every
 * node counts alone, as without a cluster.
 */
#ifndef MEETOPIA_CLUSTER_LIMITS_H
#define MEETOPIA_CLUSTER_LIMITS_H

struct cluster;
struct climits;

#define CLIMITS_REPEAT_SECS	5
#define CLIMITS_FORGET_SECS	12

/* NULL on out of memory. */
struct climits	*climits_new(struct cluster *);
/* After cluster_halt(), before cluster_free(). */
void		 climits_free(struct climits *);

/* A WebSocket of this client opened (+1) or closed (-1) on this node. */
void		 climits_ws_changed(struct climits *, const char *pseudonym,
		    int delta);
/* The client's WebSockets on the other nodes, as last heard. */
long long	 climits_ws_elsewhere(struct climits *, const char *pseudonym);

/*
 * One API request of this client in a window of `window` seconds: 0
 * (counted in Redis) or -1 with *retry when the cluster's count known here
 * has reached max already.
 */
int		 climits_api_hit(struct climits *, const char *pseudonym,
		    long long max, long long window, int *retry);

#endif
