/*
 * daemon_cluster.c - see daemon_cluster.h; and the daemon's other cluster
 * glue (daemon.h): the moderation log between the store and the cluster,
 * the limits across it, meetopiactl's drain and nodes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/cluster.h"
#include "cluster/limits.h"
#include "cluster/modlog.h"
#include "cluster/node.h"
#include "cluster/queue.h"
#include "cluster/registry.h"
#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "daemon.h"
#include "daemon_cluster.h"
#include "db/db.h"
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

static int
dc_node_up(void *arg, const char *node)
{
	struct dcluster *dc = arg;
	const struct cluster_node_info *i = cluster_registry_get(dc->reg,
	    node);

	return i != NULL && i->state == CLUSTER_NODE_UP;
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
	sc.node_up = dc_node_up;
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

/* ------------------------------------------------------------------ */
/* The daemon's cluster glue (daemon.h). */

/*
 * The moderation log between the store and the cluster (cluster/modlog.h,
 * db.h's mdb_modlog_*): the store's outbox goes to the stream, the
 * stream's entries of other nodes come back to the store.
 */
static int
daemon_modlog_export(void *arg, int64_t seq, const char *entry, size_t len)
{
	struct daemon *d = arg;

	return d->modlog != NULL ? modlog_append(d->modlog, seq, entry, len) :
	    -1;
}

static int
daemon_modlog_apply(void *arg, const char *id, int own, const char *entry,
    size_t len)
{
	struct daemon *d = arg;

	return mdb_modlog_apply(d->db, id, own, entry, len) == DB_OK ? 0 : -1;
}

static int
daemon_modlog_cursor(void *arg, char *out, size_t len)
{
	struct daemon *d = arg;

	return mdb_modlog_cursor(d->db, out, len);
}

static void
daemon_modlog_acked(void *arg, int64_t seq)
{
	struct daemon *d = arg;

	mdb_modlog_acked(d->db, seq);
}

static void
daemon_modlog_up(void *arg)
{
	struct daemon *d = arg;

	mdb_modlog_flush(d->db);
}

static void
daemon_modlog_down(void *arg)
{
	struct daemon *d = arg;

	mdb_modlog_rewind(d->db);
}

int
daemon_modlog_start(struct daemon *d, char *err, size_t errlen)
{
	struct modlog_hooks h;

	memset(&h, 0, sizeof(h));
	h.apply = daemon_modlog_apply;
	h.cursor = daemon_modlog_cursor;
	h.acked = daemon_modlog_acked;
	h.up = daemon_modlog_up;
	h.down = daemon_modlog_down;
	h.arg = d;
	if ((d->modlog = modlog_new(d->cluster, &h)) == NULL) {
		snprintf(err, errlen, "cluster: moderation log: out of memory");
		return -1;
	}
	return mdb_modlog_enable(d->db, daemon_modlog_export, d, err, errlen);
}

/*
 * max-connections-per-ip and the API rate limit across the cluster
 * (cluster/limits.h), for signaling: clients by pseudonym only.
 */
static long long
daemon_ws_elsewhere(void *arg, const struct maddr *client)
{
	struct daemon *d = arg;
	char p[PSEUDONYM_LEN + 1];

	mdb_pseudonym(d->db, client, p);
	return climits_ws_elsewhere(d->climits, p);
}

static void
daemon_ws_changed(void *arg, const struct maddr *client, int delta)
{
	struct daemon *d = arg;
	char p[PSEUDONYM_LEN + 1];

	mdb_pseudonym(d->db, client, p);
	climits_ws_changed(d->climits, p, delta);
}

static int
daemon_api_hit(void *arg, const struct maddr *client, long long max,
    long long window, int *retry)
{
	struct daemon *d = arg;
	char p[PSEUDONYM_LEN + 1];

	mdb_pseudonym(d->db, client, p);
	return climits_api_hit(d->climits, p, max, window, retry);
}

int
daemon_limits_start(struct daemon *d)
{
	struct sig_limits lim;

	if ((d->climits = climits_new(d->cluster)) == NULL) {
		log_fatalx("cluster: limits: out of memory");
		return -1;
	}
	memset(&lim, 0, sizeof(lim));
	lim.ws_elsewhere = daemon_ws_elsewhere;
	lim.ws_changed = daemon_ws_changed;
	lim.api_hit = daemon_api_hit;
	lim.arg = d;
	sig_set_limits(d->sig, &lim);
	return 0;
}

/* A drain's ALTERNATE-SERVER: a live node that is not draining. */
void
daemon_drain_alternate(struct daemon *d)
{
	struct maddr alt;

	if (!d->draining)
		return;
	relay_drain(d->relay, 1, d->dc != NULL &&
	    dcluster_alternate(d->dc, &alt) == 0 ? &alt : NULL);
}

static void
alt_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	daemon_drain_alternate(arg);
}

/*
 * Drains this node (SPEC "Cluster") or takes the drain back: not chosen as
 * relay node (the heartbeat says draining), new Allocates answered 300
 * naming a live node, WebSockets told to reconnect; what there is goes on.
 */
void
daemon_drain(struct daemon *d, int on)
{
	struct timeval one = { 1, 0 };

	if (d->draining == on)
		return;
	d->draining = on;
	log_info("drain: %s", on ? "this node takes no new work" :
	    "undone, this node takes new work again");
	if (on) {
		daemon_drain_alternate(d);
		if (d->ev_alt == NULL)
			d->ev_alt = event_new(d->base, -1, EV_PERSIST, alt_cb,
			    d);
		if (d->ev_alt != NULL)
			evtimer_add(d->ev_alt, &one);
		signaling_set_draining(d->sig, 1);
	} else {
		signaling_set_draining(d->sig, 0);
		if (d->ev_alt != NULL)
			evtimer_del(d->ev_alt);
		relay_drain(d->relay, 0, NULL);
	}
	dcluster_beat(d->dc);
}

/* meetopiactl nodes: the registry's table, or this node alone. */
static json_t *
nodes_op(void *arg)
{
	struct daemon *d = arg;
	struct cluster_identity id;
	char why[128], addr[ADDR_STRLEN];

	if (d->dc != NULL)
		return dcluster_nodes(d->dc);
	if (cluster_identity(d->cfg, &id, why, sizeof(why)) != 0)
		strlcpy(id.name, "", sizeof(id.name));
	addr[0] = '\0';
	if (id.address.family != 0)
		addr_ntop(&id.address, addr, sizeof(addr));
	return json_pack("[{s:s, s:s, s:i, s:i, s:s, s:I, s:I, s:n, s:I}]",
	    "name", id.name, "address", addr, "turnPort", d->cfg->turn_port,
	    "tlsPort", d->cfg->tls_port, "state", d->draining ? "draining" :
	    "up", "sessions", (json_int_t)signaling_sessions(d->sig),
	    "allocations", (json_int_t)relay_allocations(d->relay),
	    "packetsPerSecond", "lastHeartbeatMs", (json_int_t)0);
}

/* meetopiactl drain [--node NAME] [--undo]. */
static int
drain_op(void *arg, const char *node, int undo, const char **why)
{
	struct daemon *d = arg;
	struct cluster_identity id;
	char err[128];

	if (d->dc == NULL && node != NULL && cluster_identity(d->cfg, &id,
	    err, sizeof(err)) == 0 && strcmp(node, id.name) == 0)
		node = NULL;		/* this node, by its name */
	if (node == NULL || (d->dc != NULL && strcmp(node,
	    dcluster_self(d->dc)) == 0)) {
		if (undo && d->stopping) {
			*why = "this node is stopping (SIGTERM): a drain "
			    "after a stop cannot be undone";
			return 409;
		}
		daemon_drain(d, !undo);
		return 0;
	}
	if (d->dc == NULL) {
		*why = "no cluster: this node is the only one (drop --node)";
		return 404;
	}
	if (!cluster_valid_id(node) || !dcluster_known(d->dc, node)) {
		*why = "no live node of that name in the cluster";
		return 404;
	}
	if (signaling_cluster_drain(d->sig, node, undo) != 0) {
		*why = "the cluster's Redis is not reachable";
		return 503;
	}
	return 0;
}

void
daemon_node_ops(struct daemon *d)
{
	struct sig_node_ops ops = { nodes_op, drain_op, d };

	sig_set_node_ops(d->sig, &ops);
}
