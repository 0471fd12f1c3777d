/*
 * daemon_cluster.h - the program's glue between cluster/ and signaling/
 * (which know nothing of each other): the node registry, the cluster-wide
 * queue and this node's channel, given to signaling as its struct
 * sig_cluster.
 */
#ifndef MEETOPIA_DAEMON_CLUSTER_H
#define MEETOPIA_DAEMON_CLUSTER_H

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
/* Before cluster_halt(): answers still in flight are dropped. */
void		 dcluster_halt(struct dcluster *);
void		 dcluster_free(struct dcluster *);

#endif
