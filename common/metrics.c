/*
 * metrics.c - Prometheus text exposition of struct metrics (see metrics.h).
 *
 * Format: https://prometheus.io/docs/instrumenting/exposition_formats/ —
 * "# HELP", "# TYPE", then samples; histogram buckets are cumulative and
 * end with le="+Inf", followed by _sum and _count.
 */
#include <string.h>

#include "common/metrics.h"

static const char *const sec_types[METRICS_SEC_TYPES] = {
	"connection", "message", "violation", "auth", "error"
};
static const char *const sec_sevs[METRICS_SEC_SEVS] = {
	"low", "medium", "high", "critical"
};

/* Registers the names of errors_total's codes. */
int
metrics_name_errors(struct metrics *m, const char *const *names, size_t n)
{
	if (n > METRICS_ERR_MAX)
		return -1;
	m->err_names = names;
	m->nerr = n;
	return 0;
}

static void
hist_init(struct metrics_hist *h, const double *le, int n)
{
	int i;

	h->nb = n;
	for (i = 0; i < n; i++)
		h->le[i] = le[i];
}

void
metrics_init(struct metrics *m)
{
	static const double connect[] = { 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30 };
	static const double session[] = { 10, 30, 60, 120, 300, 600, 1800,
	    3600 };

	memset(m, 0, sizeof(*m));
	hist_init(&m->connect_seconds, connect,
	    sizeof(connect) / sizeof(connect[0]));
	hist_init(&m->session_seconds, session,
	    sizeof(session) / sizeof(session[0]));
}

void
metrics_set_collect(struct metrics *m, void (*fn)(void *, struct metrics *),
    void *arg)
{
	m->collect = fn;
	m->collect_arg = arg;
}

void
metrics_observe(struct metrics_hist *h, double s)
{
	int i;

	if (!(s >= 0))	/* negative or NaN: a client's bad figure */
		return;
	for (i = 0; i < h->nb; i++) {
		if (s <= h->le[i]) {
			metrics_inc(&h->count[i]);
			break;
		}
	}
	metrics_inc(&h->n);
	metrics_add(&h->sum_us, (uint64_t)(s * 1e6));
}

static void
one(FILE *fp, const char *name, const char *type, const char *help,
    metric_t *v)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name,
	    type, name, (unsigned long long)metrics_get(v));
}

static void
hist(FILE *fp, const char *name, const char *help, struct metrics_hist *h)
{
	uint64_t cum = 0, n;
	int i;

	fprintf(fp, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (i = 0; i < h->nb; i++) {
		cum += metrics_get(&h->count[i]);
		fprintf(fp, "%s_bucket{le=\"%g\"} %llu\n", name, h->le[i],
		    (unsigned long long)cum);
	}
	n = metrics_get(&h->n);
	fprintf(fp, "%s_bucket{le=\"+Inf\"} %llu\n", name,
	    (unsigned long long)n);
	fprintf(fp, "%s_sum %.6f\n", name, metrics_get(&h->sum_us) / 1e6);
	fprintf(fp, "%s_count %llu\n", name, (unsigned long long)n);
}

/* One family with one label, a sample per value. */
static void
labelled(FILE *fp, const char *name, const char *type, const char *help,
    const char *label, const char *const *values, const metric_t *const *m,
    size_t n)
{
	size_t i;

	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	for (i = 0; i < n; i++)
		fprintf(fp, "%s{%s=\"%s\"} %llu\n", name, label, values[i],
		    (unsigned long long)metrics_get(m[i]));
}

/* The relay's families. */
static void
render_turn(struct metrics *m, FILE *fp)
{
	one(fp, "meetopia_turn_allocations", "gauge",
	    "TURN allocations now.", &m->turn_allocations);
	one(fp, "meetopia_turn_allocations_total", "counter",
	    "TURN allocations made.", &m->turn_allocations_total);
	one(fp, "meetopia_turn_auth_failures_total", "counter",
	    "TURN requests refused for their credentials.",
	    &m->turn_auth_failures_total);
	fprintf(fp, "# HELP meetopia_turn_relayed_bytes_total Bytes relayed.\n"
	    "# TYPE meetopia_turn_relayed_bytes_total counter\n"
	    "meetopia_turn_relayed_bytes_total{direction=\"to_peer\"} %llu\n"
	    "meetopia_turn_relayed_bytes_total{direction=\"to_client\"} %llu\n",
	    (unsigned long long)metrics_get(&m->turn_relayed_bytes_to_peer),
	    (unsigned long long)metrics_get(&m->turn_relayed_bytes_to_client));
	fprintf(fp, "# HELP meetopia_turn_relayed_packets_total Packets "
	    "relayed.\n"
	    "# TYPE meetopia_turn_relayed_packets_total counter\n"
	    "meetopia_turn_relayed_packets_total{direction=\"to_peer\"} %llu\n"
	    "meetopia_turn_relayed_packets_total{direction=\"to_client\"} "
	    "%llu\n",
	    (unsigned long long)metrics_get(&m->turn_relayed_packets_to_peer),
	    (unsigned long long)metrics_get(
	    &m->turn_relayed_packets_to_client));
	one(fp, "meetopia_turn_peer_denied_total", "counter",
	    "Peers refused by the relay policy.", &m->turn_peer_denied_total);
	one(fp, "meetopia_turn_handoffs_total", "counter",
	    "Packets handed from one relay thread to another (two "
	    "allocations that talk live on different threads).",
	    &m->turn_handoffs_total);
	one(fp, "meetopia_turn_handoff_dropped_total", "counter",
	    "Packets between two allocations on different relay threads "
	    "dropped: the receiving thread's queue was full.",
	    &m->turn_handoff_drops_total);
	one(fp, "meetopia_turn_released_peer_dropped_total", "counter",
	    "Packets to a relayed address of ours that is no longer live "
	    "(a partner's last packets after a hang-up), dropped.",
	    &m->turn_released_peer_drops_total);
	one(fp, "meetopia_turn_send_dropped_total", "counter",
	    "UDP datagrams to clients and peers dropped by the kernel (a "
	    "full socket buffer, an unreachable address).",
	    &m->turn_send_drops_total);
}

/* Signaling's families, and the security events of every module. */
static void
render_signaling(struct metrics *m, FILE *fp)
{
	int i, j;

	one(fp, "meetopia_ws_connections", "gauge",
	    "WebSocket connections now.", &m->ws_connections);
	one(fp, "meetopia_sessions_waiting", "gauge",
	    "Sessions waiting for a partner.", &m->sessions_waiting);
	one(fp, "meetopia_pairs", "gauge", "Pairs now.", &m->pairs);
	one(fp, "meetopia_pairs_total", "counter", "Pairs made.",
	    &m->pairs_total);
	hist(fp, "meetopia_connect_seconds",
	    "Time from matched to connected media, as clients report it.",
	    &m->connect_seconds);
	one(fp, "meetopia_connect_success_total", "counter",
	    "Calls that connected, as clients report it.",
	    &m->connect_success_total);
	one(fp, "meetopia_connect_failure_total", "counter",
	    "Calls that failed to connect, as clients report it.",
	    &m->connect_failure_total);
	hist(fp, "meetopia_session_seconds", "Length of a pair's session.",
	    &m->session_seconds);
	fprintf(fp, "# HELP meetopia_errors_total Signaling errors sent, by "
	    "code.\n# TYPE meetopia_errors_total counter\n");
	for (i = 0; i < (int)m->nerr; i++)
		fprintf(fp, "meetopia_errors_total{code=\"%s\"} %llu\n",
		    m->err_names[i],
		    (unsigned long long)metrics_get(&m->errors_total[i]));
	fprintf(fp, "# HELP meetopia_security_events_total Security events, "
	    "by type and severity.\n"
	    "# TYPE meetopia_security_events_total counter\n");
	for (i = 0; i < METRICS_SEC_TYPES; i++)
		for (j = 0; j < METRICS_SEC_SEVS; j++)
			fprintf(fp, "meetopia_security_events_total{type=\"%s\","
			    "severity=\"%s\"} %llu\n", sec_types[i],
			    sec_sevs[j], (unsigned long long)metrics_get(
			    &m->security_events_total[i][j]));
}

/* The cluster's families. */
static void
render_cluster(struct metrics *m, FILE *fp)
{
	one(fp, "meetopia_cluster_up", "gauge",
	    "1 while this node is joined to its cluster's Redis.",
	    &m->cluster_up);
	labelled(fp, "meetopia_cluster_nodes", "gauge",
	    "The cluster's nodes as this node sees them, by state.", "state",
	    (const char *[]){ "up", "draining", "dead" },
	    (const metric_t *[]){ &m->cluster_nodes_up,
	    &m->cluster_nodes_draining, &m->cluster_nodes_dead }, 3);
	labelled(fp, "meetopia_cluster_messages_total", "counter",
	    "Messages on the cluster's bus, by direction.", "direction",
	    (const char *[]){ "in", "out" },
	    (const metric_t *[]){ &m->cluster_messages_in_total,
	    &m->cluster_messages_out_total }, 2);
	labelled(fp, "meetopia_cluster_pairs_total", "counter",
	    "Pairs made by this node, by where the partner was.", "placement",
	    (const char *[]){ "local", "remote" },
	    (const metric_t *[]){ &m->cluster_pairs_local_total,
	    &m->cluster_pairs_remote_total }, 2);
}

void
metrics_render(struct metrics *m, FILE *fp)
{
	if (m->collect != NULL)
		m->collect(m->collect_arg, m);
	render_turn(m, fp);
	render_signaling(m, fp);
	render_cluster(m, fp);
}
