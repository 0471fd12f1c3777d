/*
 * registry.h - who is in the cluster (SPEC "Cluster"): every node
 * heartbeats once a second on the channel P"nodes" (its name, node-address,
 * TURN ports, state up or draining, sessions, live allocations) and keeps
 * the key P"nodes:"NAME (the same record, expiring after the dead timeout)
 * for operators; every node listens and keeps the table.  A node silent
 * for CLUSTER_DEAD_MS is dead: the registry tells its user once, and
 * forgets the death when the node is heard again.  While this node's own
 * link is down nothing is declared dead (it is this node that hears
 * nothing); when the link comes back every node gets a fresh timeout.
 *
 * Keeps meetopia_cluster_nodes{state}.  Nothing here holds a client
 * address: node-address is the server's.  Runs on the daemon's loop.
 *
 * Each run of a node has a random boot id in its heartbeats: a node heard
 * with another boot id restarted, and its earlier run is dead (its
 * sessions died with it) even if it was never silent for 5 s.  A node's
 * epoch counts its deaths and restarts as this node saw them.
 */
#ifndef MEETOPIA_CLUSTER_REGISTRY_H
#define MEETOPIA_CLUSTER_REGISTRY_H

#include <stddef.h>

#include <jansson.h>

#include "common/addr.h"
#include "cluster/queue.h"

#define CLUSTER_HEARTBEAT_MS	1000
#define CLUSTER_DEAD_MS		5000
#define CLUSTER_NODES_MAX	256

struct cluster;
struct metrics;
struct cluster_registry;

enum cluster_node_state {
	CLUSTER_NODE_UP = 0,
	CLUSTER_NODE_DRAINING,
	CLUSTER_NODE_DEAD
};

struct cluster_node_info {
	char			 name[CLUSTER_ID_MAX + 1];
	char			 address[ADDR_STRLEN];	/* node-address */
	int			 turn_port;
	int			 tls_port;		/* 0: none */
	enum cluster_node_state	 state;
	long long		 sessions;
	long long		 allocations;
	long long		 pps;		/* relayed packets/s */
	unsigned		 epoch;
};

/* This node's figures for its next heartbeat, and the deaths. */
struct cluster_registry_cbs {
	void	(*load)(void *arg, long long *sessions,
		    long long *allocations, int *draining);
	void	(*dead)(void *arg, const char *node);
	long long (*pps)(void *arg);	/* relayed packets/s; may be NULL */
	void	 *arg;
};

/* turn_port/tls_port: what clients reach this node's TURN at. */
struct cluster_registry *cluster_registry_new(struct cluster *,
		    struct metrics *, int turn_port, int tls_port,
		    const struct cluster_registry_cbs *);
void		 cluster_registry_free(struct cluster_registry *);
/* Heartbeats now (after a change of state, such as a drain). */
void		 cluster_registry_beat(struct cluster_registry *);
/* A node's last record, NULL when unknown; dead ones have state DEAD. */
const struct cluster_node_info *cluster_registry_get(
		    struct cluster_registry *, const char *name);
/*
 * Of nodes a and b, the one to relay a pair: never a dead or draining one,
 * else the one with fewer live allocations (a on a tie).  When neither
 * will do, any live node that is not draining (cluster_registry_any); NULL
 * when there is none.
 */
const char	*cluster_registry_relay(struct cluster_registry *,
		    const char *a, const char *b);
/* Any live node that is not draining, fewest allocations first; NULL. */
const char	*cluster_registry_any(struct cluster_registry *);
/* The same but never self, and with a TURN address; NULL. */
const struct cluster_node_info *cluster_registry_alternate(
		    struct cluster_registry *, const char *self);
/* The table for operators: [{name, address, turnPort, tlsPort, state,
 * sessions, allocations, packetsPerSecond, lastHeartbeatMs (ago)}]. */
json_t		*cluster_registry_json(struct cluster_registry *);

#endif
