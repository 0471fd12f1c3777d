/*
 * redis.h - this node's link to the cluster's Redis: two non-blocking
 * hiredis connections on the daemon's event base (libevent adapter), one
 * for commands and one for pub/sub (a subscribed connection can send
 * nothing else).
 *
 * Invariants:
 * - nothing here blocks the loop: host names are resolved on a helper
 *   thread, connects are non-blocking and bounded by a timeout, a PING
 *   every second whose answer does not come within the dead timeout drops
 *   the connection (a Redis that stopped answering is a Redis that is down);
 * - the link is "up" when both connections are connected, authenticated
 *   (AUTH from the URL), on the URL's database (SELECT) and subscribed to
 *   every channel asked for; `up` and `down` callbacks fire on each
 *   transition, never twice in a row;
 * - when either connection goes, both are dropped and reconnected with an
 *   exponential backoff (min to max, with jitter) until Redis is back,
 *   subscriptions included: the program never restarts for Redis;
 * - commands are refused (-1) while down; a command in flight when the link
 *   drops gets its callback with a NULL reply, exactly once.
 */
#ifndef MEETOPIA_CLUSTER_REDIS_H
#define MEETOPIA_CLUSTER_REDIS_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "common/redis_url.h"

struct event_base;
struct cluster_redis;

/* Hooks the program fills in; all run on the loop thread. */
struct cluster_redis_cbs {
	void	(*up)(void *arg);
	void	(*down)(void *arg, const char *why);
	/* a message on a subscribed channel */
	void	(*message)(void *arg, const char *channel, const char *data,
		    size_t len);
	void	 *arg;
};

/* The answer to one command: reply is NULL when the link dropped first. */
typedef void cluster_redis_reply_cb(void *arg, const redisReply *reply);

struct cluster_redis_timing {
	int	connect_timeout_ms;	/* 2000 */
	int	ping_interval_ms;	/* 1000 */
	int	dead_after_ms;		/* 3000: no answer to a PING */
	int	backoff_min_ms;		/* 100 */
	int	backoff_max_ms;		/* 5000 */
};

/* A link that will connect to url (copied) once started. */
struct cluster_redis *cluster_redis_new(struct event_base *,
		    const struct redis_url *, const struct cluster_redis_cbs *,
		    const struct cluster_redis_timing *);	/* NULL: defaults */
/* Starts connecting (returns at once). */
int		 cluster_redis_start(struct cluster_redis *);
/* Drops both connections; in-flight callbacks get NULL first. */
void		 cluster_redis_free(struct cluster_redis *);
int		 cluster_redis_is_up(const struct cluster_redis *);
/* Subscribes now if up, and again after every reconnect. */
int		 cluster_redis_subscribe(struct cluster_redis *,
		    const char *channel);
/*
 * Sends one command (binary-safe argv) on the command connection; -1 when
 * down or out of memory (cb is then not called).  cb may be NULL.
 */
int		 cluster_redis_command(struct cluster_redis *,
		    cluster_redis_reply_cb *cb, void *arg, int argc,
		    const char *const *argv, const size_t *argvlen);
/* Drops the link now as if Redis went away (tests, the program's HUP). */
void		 cluster_redis_reset(struct cluster_redis *, const char *why);

#endif
