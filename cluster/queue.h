/*
 * queue.h - the cluster-wide pairing queue, kept in Redis and changed only
 * by one Lua script (cluster/queue.c), so that a match is atomic: however
 * many nodes call find at once, a waiting session is taken by one of them.
 *
 * The rules are signaling/pairing.c's, on one queue shared by all nodes:
 * walking the queue oldest first, a session is never matched with itself
 * nor with the partner it just left (whichever side left); the first
 * waiter that shares an interest wins; failing that, the oldest waiter
 * such that both sides are open to anyone (no interests, or waited at
 * least wait_ms).  Held sessions (a dropped socket waiting for `resume`)
 * keep their place but are not matched.  The clock is Redis' (TIME), so
 * nodes' clocks do not matter.
 *
 * Keys, under the cluster prefix P: P"queue" (sorted set of session ids by
 * arrival), P"queue:seq" (arrival counter), P"w:"ID (hash: node, since,
 * last, elig, n, i1..iN: the session's interests).  A match removes both
 * sessions and publishes {"type":"matched","session":W,"partner":F,
 * "partnerNode":N} on P"node:"NODE-OF-W, in the same script: the waiter's
 * node hears of it even if the finder's node dies right after.  Nothing
 * here holds chat text, SDP or a client address.
 *
 * Callbacks get err 0 and the reply, or err -1 (Redis down, a reply that is
 * not what the script returns) and NULL.  The arg given with a request must
 * stay valid until its callback ran (the program passes something it can
 * look up, such as a session id it owns, not a pointer that may be freed).
 */
#ifndef MEETOPIA_CLUSTER_QUEUE_H
#define MEETOPIA_CLUSTER_QUEUE_H

#include <stddef.h>

#include "cluster/redis.h"

#define CLUSTER_ID_MAX		64	/* session ids, node names */
#define CLUSTER_INTERESTS_MAX	16
#define CLUSTER_INTEREST_LEN	64	/* bytes */

struct cluster_queue;

enum cluster_find_what {
	CLUSTER_FIND_WAITING = 1,	/* queued (or kept its place) */
	CLUSTER_FIND_MATCHED,		/* partner taken off the queue */
	CLUSTER_FIND_GONE		/* retry: no longer queued */
};

struct cluster_find {
	const char		*session;
	const char		*node;		/* this node's name */
	const char		*last;		/* partner just left, or NULL */
	const char *const	*interests;	/* normalised by the caller */
	size_t			 ninterests;
	/*
	 * A retry (the interest wait is over) of a session that should be
	 * queued: if it is not any more (another node matched it, or it
	 * was cancelled) the answer is GONE and it is not queued again.
	 */
	int			 retry;
	long long		 wait_ms;	/* PAIR_INTEREST_WAIT */
};

struct cluster_find_reply {
	enum cluster_find_what	 what;
	/* MATCHED: the partner (it waited longer: it offers) */
	char			 partner[CLUSTER_ID_MAX + 1];
	char			 partner_node[CLUSTER_ID_MAX + 1];
	long long		 partner_since_ms;
	/* WAITING: when it joined the queue, and now, in Redis' clock */
	long long		 since_ms;
	long long		 now_ms;
};

typedef void cluster_find_cb(void *arg, int err,
		    const struct cluster_find_reply *);
/* n: cancel/hold 1 if the session was queued; purge: sessions removed */
typedef void cluster_queue_done_cb(void *arg, int err, long long n);

struct cluster_queue *cluster_queue_new(struct cluster_redis *,
		    const char *prefix);
void		 cluster_queue_free(struct cluster_queue *);
/* SCRIPT LOAD; call it from the link's up hook (EVAL is the fallback). */
int		 cluster_queue_load(struct cluster_queue *);

/* -1 at once (cb not called) for a bad argument or when Redis is down. */
int		 cluster_queue_find(struct cluster_queue *,
		    const struct cluster_find *, cluster_find_cb *, void *);
int		 cluster_queue_cancel(struct cluster_queue *, const char *session,
		    cluster_queue_done_cb *, void *);
int		 cluster_queue_hold(struct cluster_queue *, const char *session,
		    int eligible, cluster_queue_done_cb *, void *);
/* Removes a dead node's waiters (the node registry calls it). */
int		 cluster_queue_purge_node(struct cluster_queue *,
		    const char *node, cluster_queue_done_cb *, void *);

/* Whether s is a valid session id / node name for the queue. */
int		 cluster_valid_id(const char *s);

#endif
