/*
 * daemon_cluster.h - the program's glue between cluster/ and signaling/
 * (which know nothing of each other): the node registry, the cluster-wide
 * queue and this node's channel, given to signaling as its struct
 * sig_cluster.
 */
#ifndef MEETOPIA_DAEMON_CLUSTER_H
#define MEETOPIA_DAEMON_CLUSTER_H

#include <jansson.h>

#include "common/addr.h"

struct cluster;
struct config;
struct metrics;
struct relay;
struct signaling;
struct dcluster;

/* *draining: nonzero once this node stops (its heartbeat says so). */
struct dcluster	*dcluster_new(struct cluster *, struct signaling *,
		    struct relay *, struct metrics *, const struct config *,
		    const int *draining);
/* meetopiactl nodes: the registry's table (cluster_registry_json()). */
json_t		*dcluster_nodes(struct dcluster *);
/* Whether node is in the table and not dead. */
int		 dcluster_known(struct dcluster *, const char *node);
const char	*dcluster_self(struct dcluster *);
/* A live, undrained other node's TURN address (node-address, turn-port)
 * for a drain's ALTERNATE-SERVER: 0, or -1 when none is known. */
int		 dcluster_alternate(struct dcluster *, struct maddr *);
/* Heartbeats now (after a change of state). */
void		 dcluster_beat(struct dcluster *);
/* Before cluster_halt(): answers still in flight are dropped. */
void		 dcluster_halt(struct dcluster *);
void		 dcluster_free(struct dcluster *);

#endif
