/*
 * registry.c - the node table of the cluster (see registry.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/rand.h>

#include "cluster/cluster.h"
#include "cluster/registry.h"
#include "common/log.h"
#include "common/metrics.h"

struct node {
	struct cluster_node_info info;
	char			 boot[33];
	long long		 seen_ms;	/* our clock */
};

struct cluster_registry {
	struct cluster		*c;
	struct metrics		*metrics;
	struct cluster_registry_cbs cbs;
	int			 turn_port;
	int			 tls_port;
	char			 boot[33];	/* this run's */
	struct event		*tick;
	struct node		 nodes[CLUSTER_NODES_MAX];
	size_t			 n;
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
gauges(struct cluster_registry *r)
{
	uint64_t up = 0, dr = 0, dead = 0;
	size_t i;

	for (i = 0; i < r->n; i++)
		switch (r->nodes[i].info.state) {
		case CLUSTER_NODE_UP:
			up++;
			break;
		case CLUSTER_NODE_DRAINING:
			dr++;
			break;
		case CLUSTER_NODE_DEAD:
			dead++;
			break;
		}
	metrics_set(&r->metrics->cluster_nodes_up, up);
	metrics_set(&r->metrics->cluster_nodes_draining, dr);
	metrics_set(&r->metrics->cluster_nodes_dead, dead);
}

static struct node *
find(struct cluster_registry *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->nodes[i].info.name, name) == 0)
			return &r->nodes[i];
	return NULL;
}

/* One heartbeat: {"node","address","turnPort","tlsPort","state",
 * "sessions","allocations"}. */
static void
beat(struct cluster_registry *r)
{
	const struct cluster_identity *self = cluster_self(r->c);
	long long sessions = 0, allocs = 0, pps = 0;
	int draining = 0;
	char addr[ADDR_STRLEN], key[64 + CLUSTER_ID_MAX + 16];
	const char *argv[5];
	size_t argvlen[5];
	json_t *j;
	char *text;

	if (!cluster_is_up(r->c))
		return;
	if (r->cbs.load != NULL)
		r->cbs.load(r->cbs.arg, &sessions, &allocs, &draining);
	if (r->cbs.pps != NULL)
		pps = r->cbs.pps(r->cbs.arg);
	addr[0] = '\0';
	if (self->address.family != 0)
		addr_ntop(&self->address, addr, sizeof(addr));
	j = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:I, s:I, s:I}", "node",
	    self->name, "boot", r->boot, "address", addr, "turnPort",
	    r->turn_port, "tlsPort", r->tls_port, "state", draining ?
	    "draining" : "up", "sessions", (json_int_t)sessions,
	    "allocations", (json_int_t)allocs, "pps", (json_int_t)pps);
	if (j == NULL)
		return;
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text == NULL)
		return;
	cluster_publish(r->c, "nodes", text, strlen(text));
	/* For operators (meetopiactl nodes): expires with the node. */
	snprintf(key, sizeof(key), "%snodes:%s", cluster_prefix(r->c),
	    self->name);
	argv[0] = "SET";
	argv[1] = key;
	argv[2] = text;
	argv[3] = "PX";
	argv[4] = "5000";
	argvlen[0] = 3;
	argvlen[1] = strlen(key);
	argvlen[2] = strlen(text);
	argvlen[3] = 2;
	argvlen[4] = 4;
	cluster_redis_command(cluster_link(r->c), NULL, NULL, 5, argv,
	    argvlen);
	free(text);
}

void
cluster_registry_beat(struct cluster_registry *r)
{
	beat(r);
}

static void
heard(void *arg, const char *channel, const char *data, size_t len)
{
	struct cluster_registry *r = arg;
	struct cluster_node_info in;
	struct node *n;
	json_t *j;
	const char *name, *addr, *state, *boot;
	char bootc[33];
	int restarted = 0;
	json_error_t e;

	(void)channel;
	if ((j = json_loadb(data, len, 0, &e)) == NULL)
		return;
	memset(&in, 0, sizeof(in));
	name = json_string_value(json_object_get(j, "node"));
	addr = json_string_value(json_object_get(j, "address"));
	state = json_string_value(json_object_get(j, "state"));
	boot = json_string_value(json_object_get(j, "boot"));
	if (name == NULL || !cluster_valid_id(name) || addr == NULL ||
	    state == NULL || strlen(addr) >= sizeof(in.address) ||
	    boot == NULL || strlen(boot) >= sizeof(bootc)) {
		json_decref(j);
		return;
	}
	strlcpy(in.name, name, sizeof(in.name));
	strlcpy(in.address, addr, sizeof(in.address));
	in.turn_port = (int)json_integer_value(json_object_get(j,
	    "turnPort"));
	in.tls_port = (int)json_integer_value(json_object_get(j, "tlsPort"));
	in.sessions = json_integer_value(json_object_get(j, "sessions"));
	in.allocations = json_integer_value(json_object_get(j,
	    "allocations"));
	in.pps = json_integer_value(json_object_get(j, "pps"));
	in.state = strcmp(state, "draining") == 0 ? CLUSTER_NODE_DRAINING :
	    CLUSTER_NODE_UP;
	strlcpy(bootc, boot, sizeof(bootc));
	json_decref(j);
	if ((n = find(r, in.name)) == NULL) {
		if (r->n == CLUSTER_NODES_MAX)
			return;
		n = &r->nodes[r->n++];
		log_info("cluster: node %s joined (%s)", in.name,
		    in.address);
	} else if (strcmp(n->boot, bootc) != 0) {
		/* Another run: the one we knew died with its sessions. */
		log_warn("cluster: node %s restarted", in.name);
		in.epoch = n->info.epoch + 1;
		restarted = n->info.state != CLUSTER_NODE_DEAD;
	} else {
		in.epoch = n->info.epoch;
		if (n->info.state == CLUSTER_NODE_DEAD)
			log_info("cluster: node %s is back", in.name);
	}
	n->info = in;
	strlcpy(n->boot, bootc, sizeof(n->boot));
	n->seen_ms = now_ms();
	gauges(r);
	if (restarted && r->cbs.dead != NULL)
		r->cbs.dead(r->cbs.arg, in.name);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster_registry *r = arg;
	const char *self = cluster_self(r->c)->name;
	char dead[CLUSTER_NODES_MAX][CLUSTER_ID_MAX + 1];
	long long now = now_ms();
	size_t i, nd = 0;

	(void)fd;
	(void)what;
	beat(r);
	if (!cluster_is_up(r->c))
		return;
	for (i = 0; i < r->n; i++) {
		struct node *n = &r->nodes[i];

		if (n->info.state == CLUSTER_NODE_DEAD ||
		    strcmp(n->info.name, self) == 0 ||
		    now - n->seen_ms < CLUSTER_DEAD_MS)
			continue;
		n->info.state = CLUSTER_NODE_DEAD;
		n->info.epoch++;
		log_warn("cluster: node %s is dead (silent for %d s)",
		    n->info.name, CLUSTER_DEAD_MS / 1000);
		strlcpy(dead[nd++], n->info.name, sizeof(dead[0]));
	}
	gauges(r);
	/* The user may look the table up from its callback. */
	for (i = 0; i < nd; i++)
		if (r->cbs.dead != NULL)
			r->cbs.dead(r->cbs.arg, dead[i]);
}

static void
state_cb(void *arg, int up, const char *why)
{
	struct cluster_registry *r = arg;
	long long now = now_ms();
	size_t i;

	(void)why;
	if (!up)
		return;
	/* We heard nothing while cut off: everyone gets a fresh timeout. */
	for (i = 0; i < r->n; i++)
		r->nodes[i].seen_ms = now;
	beat(r);
}

struct cluster_registry *
cluster_registry_new(struct cluster *c, struct metrics *metrics,
    int turn_port, int tls_port, const struct cluster_registry_cbs *cbs)
{
	struct cluster_registry *r;
	struct timeval tv = { CLUSTER_HEARTBEAT_MS / 1000,
	    (CLUSTER_HEARTBEAT_MS % 1000) * 1000 };

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->c = c;
	r->metrics = metrics;
	r->turn_port = turn_port;
	r->tls_port = tls_port;
	{
		uint8_t raw[16];
		size_t i;

		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			free(r);
			return NULL;
		}
		for (i = 0; i < sizeof(raw); i++)
			snprintf(r->boot + 2 * i, 3, "%02x", raw[i]);
	}
	if (cbs != NULL)
		r->cbs = *cbs;
	if ((r->tick = event_new(cluster_event_base(c), -1, EV_PERSIST,
	    tick_cb, r)) == NULL || event_add(r->tick, &tv) != 0 ||
	    cluster_on_message(c, "nodes", heard, r) != 0 ||
	    cluster_on_state(c, state_cb, r) != 0) {
		cluster_registry_free(r);
		return NULL;
	}
	gauges(r);
	return r;
}

void
cluster_registry_free(struct cluster_registry *r)
{
	if (r == NULL)
		return;
	cluster_forget(r->c, r);
	if (r->tick != NULL)
		event_free(r->tick);
	free(r);
}

const struct cluster_node_info *
cluster_registry_get(struct cluster_registry *r, const char *name)
{
	struct node *n = find(r, name);

	return n != NULL ? &n->info : NULL;
}

static int
usable(const struct cluster_node_info *i)
{
	return i != NULL && i->state == CLUSTER_NODE_UP;
}

const char *
cluster_registry_relay(struct cluster_registry *r, const char *a,
    const char *b)
{
	const struct cluster_node_info *ia = cluster_registry_get(r, a);
	const struct cluster_node_info *ib = cluster_registry_get(r, b);

	if (!usable(ia))
		return usable(ib) ? ib->name : cluster_registry_any(r);
	if (!usable(ib))
		return ia->name;
	return ib->allocations < ia->allocations ? ib->name : ia->name;
}

const char *
cluster_registry_any(struct cluster_registry *r)
{
	const struct cluster_node_info *best = NULL;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (usable(&r->nodes[i].info) && (best == NULL ||
		    r->nodes[i].info.allocations < best->allocations))
			best = &r->nodes[i].info;
	return best != NULL ? best->name : NULL;
}

const struct cluster_node_info *
cluster_registry_alternate(struct cluster_registry *r, const char *self)
{
	const struct cluster_node_info *best = NULL;
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct cluster_node_info *in = &r->nodes[i].info;

		if (usable(in) && strcmp(in->name, self) != 0 &&
		    in->address[0] != '\0' && in->turn_port > 0 &&
		    (best == NULL || in->allocations < best->allocations))
			best = in;
	}
	return best;
}

json_t *
cluster_registry_json(struct cluster_registry *r)
{
	static const char *const states[] = { "up", "draining", "dead" };
	long long now = now_ms();
	json_t *a;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < r->n; i++) {
		const struct node *n = &r->nodes[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:i, "
		    "s:s, s:I, s:I, s:I, s:I}", "name", n->info.name,
		    "address", n->info.address, "turnPort", n->info.turn_port,
		    "tlsPort", n->info.tls_port, "state",
		    states[n->info.state], "sessions",
		    (json_int_t)n->info.sessions, "allocations",
		    (json_int_t)n->info.allocations, "packetsPerSecond",
		    (json_int_t)n->info.pps, "lastHeartbeatMs",
		    (json_int_t)(now - n->seen_ms)));
	}
	return a;
}
