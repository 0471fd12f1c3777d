/*
 * daemon_cluster.c - see daemon_cluster.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/cluster.h"
#include "cluster/queue.h"
#include "cluster/registry.h"
#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "daemon_cluster.h"
#include "relay/relay.h"
#include "signaling/signaling.h"

struct dcluster {
	struct cluster		*c;
	struct signaling	*sig;
	struct relay		*relay;
	struct cluster_queue	*queue;
	struct cluster_registry	*reg;
	const int		*draining;
	struct metrics		*metrics;
	long long		 pps_total;	/* relayed packets, last beat */
	long long		 pps_ms;
	int			 halted;
	char			 channel[CLUSTER_ID_MAX + 8];
};

/* A find in flight: the session by id, never a pointer to it. */
struct find_arg {
	struct dcluster		*dc;
	char			 id[CLUSTER_ID_MAX + 1];
};

static int
dc_up(void *arg)
{
	struct dcluster *dc = arg;

	return !dc->halted && cluster_is_up(dc->c);
}

static void
dc_found(void *arg, int err, const struct cluster_find_reply *r)
{
	struct find_arg *fa = arg;
	struct dcluster *dc = fa->dc;
	enum sig_found_what what = SIG_FOUND_GONE;

	if (!dc->halted) {
		if (err == 0 && r != NULL)
			what = r->what == CLUSTER_FIND_WAITING ?
			    SIG_FOUND_WAITING : r->what ==
			    CLUSTER_FIND_MATCHED ? SIG_FOUND_MATCHED :
			    SIG_FOUND_GONE;
		signaling_cluster_found(dc->sig, fa->id, err != 0 ||
		    r == NULL ? -1 : 0, what, r != NULL ? r->partner : "",
		    r != NULL ? r->partner_node : "", r != NULL ?
		    r->since_ms : 0, r != NULL ? r->partner_since_ms : 0);
	}
	free(fa);
}

static int
dc_find(void *arg, const char *session, const char *last,
    const char *const *interests, size_t ninterests, int retry,
    long long wait_ms)
{
	struct dcluster *dc = arg;
	struct cluster_find f;
	struct find_arg *fa;

	if (dc->halted || (fa = calloc(1, sizeof(*fa))) == NULL)
		return -1;
	fa->dc = dc;
	strlcpy(fa->id, session, sizeof(fa->id));
	memset(&f, 0, sizeof(f));
	f.session = session;
	f.node = cluster_self(dc->c)->name;
	f.last = last;
	f.interests = interests;
	f.ninterests = ninterests;
	f.retry = retry;
	f.wait_ms = wait_ms;
	if (cluster_queue_find(dc->queue, &f, dc_found, fa) != 0) {
		free(fa);
		return -1;
	}
	return 0;
}

static void
dc_cancel(void *arg, const char *session)
{
	struct dcluster *dc = arg;

	if (!dc->halted)
		cluster_queue_cancel(dc->queue, session, NULL, NULL);
}

static void
dc_hold(void *arg, const char *session, int eligible)
{
	struct dcluster *dc = arg;

	if (!dc->halted)
		cluster_queue_hold(dc->queue, session, eligible, NULL, NULL);
}

static int
dc_send(void *arg, const char *node, const char *data, size_t len)
{
	struct dcluster *dc = arg;
	char name[CLUSTER_ID_MAX + 8];

	if (dc->halted)
		return -1;
	if (node == NULL)
		snprintf(name, sizeof(name), "all");
	else
		snprintf(name, sizeof(name), "node:%s", node);
	return cluster_publish(dc->c, name, data, len);
}

static const char *
dc_relay(void *arg, const char *a, const char *b)
{
	struct dcluster *dc = arg;

	return cluster_registry_relay(dc->reg, a, b);
}

static int
dc_node_at(void *arg, const char *node, char *addr, size_t addrlen,
    int *turn_port, int *tls_port, unsigned *epoch)
{
	struct dcluster *dc = arg;
	const struct cluster_node_info *i = cluster_registry_get(dc->reg,
	    node);

	if (i == NULL)
		return -1;
	*epoch = i->epoch;
	if (i->state == CLUSTER_NODE_DEAD || i->address[0] == '\0')
		return -1;
	strlcpy(addr, i->address, addrlen);
	*turn_port = i->turn_port;
	*tls_port = i->tls_port;
	*epoch = i->epoch;
	return 0;
}

static void
dc_message(void *arg, const char *channel, const char *data, size_t len)
{
	struct dcluster *dc = arg;

	(void)channel;
	if (!dc->halted)
		signaling_cluster_input(dc->sig, data, len);
}

static void
dc_state(void *arg, int up, const char *why)
{
	struct dcluster *dc = arg;

	(void)why;
	if (dc->halted)
		return;
	if (up)
		cluster_queue_load(dc->queue);
	signaling_cluster_state(dc->sig, up);
}

static void
dc_load(void *arg, long long *sessions, long long *allocs, int *draining)
{
	struct dcluster *dc = arg;

	*sessions = (long long)signaling_sessions(dc->sig);
	*allocs = (long long)relay_allocations(dc->relay);
	*draining = *dc->draining;
}

static long long
dc_pps(void *arg)
{
	struct dcluster *dc = arg;
	struct metrics *m = dc->metrics;
	struct timespec ts;
	long long total, now, pps = 0;

	if (m->collect != NULL)
		m->collect(m->collect_arg, m);
	total = (long long)(metrics_get(&m->turn_relayed_packets_to_peer) +
	    metrics_get(&m->turn_relayed_packets_to_client));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (dc->pps_ms != 0 && now > dc->pps_ms && total >= dc->pps_total)
		pps = (total - dc->pps_total) * 1000 / (now - dc->pps_ms);
	dc->pps_total = total;
	dc->pps_ms = now;
	return pps;
}

static void
dc_dead(void *arg, const char *node)
{
	struct dcluster *dc = arg;

	if (dc->halted)
		return;
	/* Every node purges: whichever is first empties it. */
	cluster_queue_purge_node(dc->queue, node, NULL, NULL);
	signaling_node_dead(dc->sig, node);
}

struct dcluster *
dcluster_new(struct cluster *c, struct signaling *sig, struct relay *relay,
    struct metrics *metrics, const struct config *cfg, const int *draining)
{
	struct dcluster *dc;
	struct cluster_registry_cbs rcbs;
	struct sig_cluster sc;

	if ((dc = calloc(1, sizeof(*dc))) == NULL)
		return NULL;
	dc->c = c;
	dc->sig = sig;
	dc->relay = relay;
	dc->draining = draining;
	dc->metrics = metrics;
	memset(&rcbs, 0, sizeof(rcbs));
	rcbs.load = dc_load;
	rcbs.pps = dc_pps;
	rcbs.dead = dc_dead;
	rcbs.arg = dc;
	snprintf(dc->channel, sizeof(dc->channel), "node:%s",
	    cluster_self(c)->name);
	if ((dc->queue = cluster_queue_new(cluster_link(c),
	    cluster_prefix(c))) == NULL ||
	    (dc->reg = cluster_registry_new(c, metrics, cfg->turn_port,
	    cfg->tls_port, &rcbs)) == NULL ||
	    cluster_on_message(c, dc->channel, dc_message, dc) != 0 ||
	    cluster_on_message(c, "all", dc_message, dc) != 0 ||
	    cluster_on_state(c, dc_state, dc) != 0) {
		dcluster_free(dc);
		return NULL;
	}
	memset(&sc, 0, sizeof(sc));
	sc.node = cluster_self(c)->name;
	sc.up = dc_up;
	sc.find = dc_find;
	sc.cancel = dc_cancel;
	sc.hold = dc_hold;
	sc.send = dc_send;
	sc.relay = dc_relay;
	sc.node_at = dc_node_at;
	sc.arg = dc;
	sig_set_cluster(sig, &sc);
	return dc;
}

json_t *
dcluster_nodes(struct dcluster *dc)
{
	return cluster_registry_json(dc->reg);
}

int
dcluster_known(struct dcluster *dc, const char *node)
{
	const struct cluster_node_info *i = cluster_registry_get(dc->reg,
	    node);

	return i != NULL && i->state != CLUSTER_NODE_DEAD;
}

const char *
dcluster_self(struct dcluster *dc)
{
	return cluster_self(dc->c)->name;
}

int
dcluster_alternate(struct dcluster *dc, struct maddr *a)
{
	const struct cluster_node_info *i = cluster_registry_alternate(dc->reg,
	    cluster_self(dc->c)->name);

	if (i == NULL || addr_parse(i->address, a) != 0)
		return -1;
	a->port = (uint16_t)i->turn_port;
	return 0;
}

void
dcluster_beat(struct dcluster *dc)
{
	if (dc != NULL)
		cluster_registry_beat(dc->reg);
}

void
dcluster_halt(struct dcluster *dc)
{
	if (dc == NULL)
		return;
	dc->halted = 1;
	sig_set_cluster(dc->sig, NULL);
}

void
dcluster_free(struct dcluster *dc)
{
	if (dc == NULL)
		return;
	dc->halted = 1;
	cluster_forget(dc->c, dc);
	cluster_registry_free(dc->reg);
	cluster_queue_free(dc->queue);
	free(dc);
}
