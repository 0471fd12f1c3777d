/*
 * metrics.h - the daemon's figures, with SPEC's Prometheus names.
 *
 * One struct metrics per daemon; any thread may bump a counter (relaxed
 * atomics: exact totals, no ordering).  metrics_render() writes the
 * Prometheus text exposition format.  Gauges are set by their owner module.
 *
 * Figures bumped for every packet are not kept here: a module keeps them
 * per thread (metric_t written by its one thread with metrics_own_add(),
 * a relaxed load and store, no read-modify-write) and sums them into
 * this struct from its collect callback, which metrics_render() calls
 * first (the relay's TURN figures: relay/relay.c).
 */
#ifndef MEETOPIA_METRICS_H
#define MEETOPIA_METRICS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

typedef _Atomic uint64_t metric_t;

/*
 * meetopia_errors_total{code}: errors_total[i] counts code names[i], the
 * table that the module sending the errors registers with
 * metrics_name_errors() (signaling: SPEC's error codes).
 */
#define METRICS_ERR_MAX		16

#define METRICS_SEC_TYPES	5	/* connection message violation auth error */
#define METRICS_SEC_SEVS	4	/* low medium high critical */

#define METRICS_HIST_MAX	12

struct metrics_hist {
	int		 nb;			/* buckets */
	double		 le[METRICS_HIST_MAX];	/* upper bounds, seconds */
	metric_t	 count[METRICS_HIST_MAX];/* per bucket (not cumulative) */
	metric_t	 n;			/* observations */
	metric_t	 sum_us;		/* sum, microseconds */
};

struct metrics {
	/* TURN */
	metric_t	 turn_allocations;		/* gauge */
	metric_t	 turn_allocations_total;
	metric_t	 turn_auth_failures_total;
	metric_t	 turn_relayed_bytes_to_peer;
	metric_t	 turn_relayed_bytes_to_client;
	metric_t	 turn_relayed_packets_to_peer;
	metric_t	 turn_relayed_packets_to_client;
	metric_t	 turn_peer_denied_total;
	metric_t	 turn_handoff_drops_total;	/* relay-threads */
	metric_t	 turn_handoffs_total;		/* relay-threads */
	metric_t	 turn_released_peer_drops_total;
	metric_t	 turn_send_drops_total;		/* UDP sends dropped */
	/* signaling */
	metric_t	 ws_connections;		/* gauge */
	metric_t	 sessions_waiting;		/* gauge */
	metric_t	 pairs;				/* gauge */
	metric_t	 pairs_total;
	metric_t	 connect_success_total;
	metric_t	 connect_failure_total;
	struct metrics_hist connect_seconds;
	struct metrics_hist session_seconds;
	metric_t	 errors_total[METRICS_ERR_MAX];	/* by code index */
	metric_t	 security_events_total[METRICS_SEC_TYPES][METRICS_SEC_SEVS];
	/* cluster */
	metric_t	 cluster_up;			/* gauge */
	metric_t	 cluster_nodes_up;		/* gauges */
	metric_t	 cluster_nodes_draining;
	metric_t	 cluster_nodes_dead;
	metric_t	 cluster_messages_in_total;
	metric_t	 cluster_messages_out_total;
	metric_t	 cluster_pairs_local_total;
	metric_t	 cluster_pairs_remote_total;

	const char *const *err_names;	/* the codes of errors_total */
	size_t		 nerr;

	/* Sums figures kept elsewhere into this struct; called by
	 * metrics_render() first, on its thread (may be NULL). */
	void		(*collect)(void *arg, struct metrics *);
	void		*collect_arg;
};

void	metrics_init(struct metrics *);
/* Sets the collect callback (NULL: none); on the thread that renders. */
void	metrics_set_collect(struct metrics *,
	    void (*)(void *, struct metrics *), void *);
void	metrics_observe(struct metrics_hist *, double seconds);
void	metrics_render(struct metrics *, FILE *);
/*
 * Names the codes counted in errors_total: names[i] for index i (the table
 * is kept, not copied).  0, or -1 when n is over METRICS_ERR_MAX.
 */
int	metrics_name_errors(struct metrics *, const char *const *names,
	    size_t n);

static inline void
metrics_add(metric_t *m, uint64_t v)
{
	atomic_fetch_add_explicit(m, v, memory_order_relaxed);
}

static inline void
metrics_inc(metric_t *m)
{
	atomic_fetch_add_explicit(m, 1, memory_order_relaxed);
}

static inline void
metrics_dec(metric_t *m)
{
	atomic_fetch_sub_explicit(m, 1, memory_order_relaxed);
}

/*
 * A counter with one writer: its own thread adds with a relaxed load and
 * store (no locked read-modify-write), other threads read it with
 * metrics_get().
 */
static inline void
metrics_own_add(metric_t *m, uint64_t v)
{
	atomic_store_explicit(m, atomic_load_explicit(m, memory_order_relaxed) +
	    v, memory_order_relaxed);
}

static inline void
metrics_own_sub(metric_t *m, uint64_t v)
{
	atomic_store_explicit(m, atomic_load_explicit(m, memory_order_relaxed) -
	    v, memory_order_relaxed);
}

static inline void
metrics_set(metric_t *m, uint64_t v)
{
	atomic_store_explicit(m, v, memory_order_relaxed);
}

static inline uint64_t
metrics_get(const metric_t *m)
{
	return atomic_load_explicit(m, memory_order_relaxed);
}

#endif
