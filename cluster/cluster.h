/*
 * cluster.h - this node's membership of a cluster (SPEC "Cluster"): the
 * one object the program creates when `redis` is set, and the one place
 * the other cluster parts (the pairing queue, the node registry, the
 * message bus, the moderation log) get their Redis link, key prefix and
 * node identity from.
 *
 * It owns one link (cluster/redis.h: a command and a pub/sub connection),
 * dispatches the messages of the channels its users subscribe to, tells
 * its users when the link goes up and down, and keeps
 * meetopia_cluster_up.  Going down is logged and is a security event
 * (type error, severity high: the node serves its own clients alone
 * until the link is back, which it finds by itself).
 *
 * Everything runs on the daemon's loop.  Without `redis` there is no
 * struct cluster: a module given NULL is a cluster of one.
 */
#ifndef MEETOPIA_CLUSTER_CLUSTER_H
#define MEETOPIA_CLUSTER_CLUSTER_H

#include <stddef.h>

#include "cluster/node.h"
#include "cluster/redis.h"

struct config;
struct event_base;
struct metrics;
struct secevent_log;
struct cluster;

struct cluster_env {
	struct event_base	*base;
	const struct config	*cfg;		/* redis, cluster-prefix, node-* */
	struct metrics		*metrics;
	struct secevent_log	*seclog;
	/* link timing; NULL: cluster/redis.h's defaults */
	const struct cluster_redis_timing *timing;
};

/* A message on a channel: the channel's name without the prefix. */
typedef void	cluster_msg_cb(void *arg, const char *channel,
		    const char *data, size_t len);
/* The link went up (up = 1) or down (0, with why). */
typedef void	cluster_state_cb(void *arg, int up, const char *why);

#define CLUSTER_MAX_WATCHERS	8
#define CLUSTER_MAX_HANDLERS	16

/* NULL with a one-line err (a bad `redis` URL or node name). */
struct cluster	*cluster_new(const struct cluster_env *, char *err,
		    size_t errlen);
/* Starts connecting; returns at once (the node serves alone till up). */
int		 cluster_start(struct cluster *);
/*
 * Drops the link: every command in flight gets its callback (NULL reply)
 * now, while the modules that passed their args are still alive.  Call
 * before freeing those modules; cluster_free() after them.
 */
void		 cluster_halt(struct cluster *);
void		 cluster_free(struct cluster *);

int		 cluster_is_up(const struct cluster *);
struct cluster_redis *cluster_link(struct cluster *);
/* "meetopia:" or the configured cluster-prefix */
const char	*cluster_prefix(const struct cluster *);
const struct cluster_identity *cluster_self(const struct cluster *);
/* The daemon's loop, for the timers of the cluster's parts. */
struct event_base *cluster_event_base(const struct cluster *);

/*
 * Calls cb for every message on channel prefix+name (a name ending in
 * '*' is not supported: one channel, one handler).  Subscribes now if up
 * and after every reconnect.  -1 when the table is full.
 */
int		 cluster_on_message(struct cluster *, const char *name,
		    cluster_msg_cb *cb, void *arg);
/* Calls cb at every up/down transition.  -1 when the table is full. */
int		 cluster_on_state(struct cluster *, cluster_state_cb *cb,
		    void *arg);
/* Removes every handler and watcher registered with arg. */
void		 cluster_forget(struct cluster *, void *arg);

/* PUBLISH prefix+name data; -1 when down (nothing sent). */
int		 cluster_publish(struct cluster *, const char *name,
		    const char *data, size_t len);

#endif
