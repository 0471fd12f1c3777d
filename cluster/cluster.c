/*
 * cluster.c - the node's membership: one Redis link, its channels' handlers
 * and its up/down watchers (see cluster.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cluster/cluster.h"
#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/secevent.h"

#define CHANNEL_MAX	(64 + CLUSTER_ID_MAX + 32)

struct handler {
	char		 channel[CHANNEL_MAX];	/* with the prefix */
	cluster_msg_cb	*cb;
	void		*arg;
};

struct watcher {
	cluster_state_cb *cb;
	void		 *arg;
};

struct cluster {
	struct cluster_env	 env;
	struct cluster_identity	 self;
	char			 prefix[65];
	struct cluster_redis	*link;
	int			 up;
	struct handler		 handlers[CLUSTER_MAX_HANDLERS];
	size_t			 nhandlers;
	struct watcher		 watchers[CLUSTER_MAX_WATCHERS];
	size_t			 nwatchers;
};

static void
link_up(void *arg)
{
	struct cluster *c = arg;
	size_t i;

	c->up = 1;
	metrics_set(&c->env.metrics->cluster_up, 1);
	log_info("cluster: joined as %s (prefix %s)", c->self.name, c->prefix);
	for (i = 0; i < c->nwatchers; i++)
		c->watchers[i].cb(c->watchers[i].arg, 1, NULL);
}

static void
link_down(void *arg, const char *why)
{
	struct cluster *c = arg;
	size_t i;

	c->up = 0;
	metrics_set(&c->env.metrics->cluster_up, 0);
	log_warn("cluster: Redis unreachable (%s): serving this node's "
	    "clients alone until it is back", why != NULL ? why : "?");
	secevent_emit(c->env.seclog, SECEV_ERROR, SECEV_HIGH, NULL, NULL,
	    "cluster_down", json_pack("{s:s}", "node", c->self.name));
	for (i = 0; i < c->nwatchers; i++)
		c->watchers[i].cb(c->watchers[i].arg, 0, why);
}

static void
link_message(void *arg, const char *channel, const char *data, size_t len)
{
	struct cluster *c = arg;
	size_t i, plen = strlen(c->prefix);

	metrics_inc(&c->env.metrics->cluster_messages_in_total);
	for (i = 0; i < c->nhandlers; i++)
		if (strcmp(c->handlers[i].channel, channel) == 0) {
			c->handlers[i].cb(c->handlers[i].arg, channel + plen,
			    data, len);
			return;
		}
}

struct cluster *
cluster_new(const struct cluster_env *env, char *err, size_t errlen)
{
	struct cluster *c;
	struct redis_url url;
	struct cluster_redis_cbs cbs;
	char why[128];

	if (env->cfg->redis == NULL) {
		snprintf(err, errlen, "cluster: no redis URL");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "cluster: out of memory");
		return NULL;
	}
	c->env = *env;
	c->env.cfg = NULL;	/* not kept: a reload frees it */
	snprintf(c->prefix, sizeof(c->prefix), "%s",
	    env->cfg->cluster_prefix != NULL ? env->cfg->cluster_prefix :
	    "meetopia:");
	if (cluster_identity(env->cfg, &c->self, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "cluster: %s", why);
		free(c);
		return NULL;
	}
	if (redis_url_parse(env->cfg->redis, &url, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "cluster: redis: %s", why);
		free(c);
		return NULL;
	}
	memset(&cbs, 0, sizeof(cbs));
	cbs.up = link_up;
	cbs.down = link_down;
	cbs.message = link_message;
	cbs.arg = c;
	c->link = cluster_redis_new(env->base, &url, &cbs, env->timing);
	redis_url_clear(&url);
	if (c->link == NULL) {
		snprintf(err, errlen, "cluster: cannot create the Redis link");
		free(c);
		return NULL;
	}
	metrics_set(&c->env.metrics->cluster_up, 0);
	return c;
}

int
cluster_start(struct cluster *c)
{
	return cluster_redis_start(c->link);
}

void
cluster_halt(struct cluster *c)
{
	if (c == NULL || c->link == NULL)
		return;
	c->nwatchers = 0;	/* a halt is not an outage to report */
	cluster_redis_free(c->link);
	c->link = NULL;
	c->up = 0;
	metrics_set(&c->env.metrics->cluster_up, 0);
}

void
cluster_free(struct cluster *c)
{
	if (c == NULL)
		return;
	cluster_halt(c);
	free(c);
}

int
cluster_is_up(const struct cluster *c)
{
	return c != NULL && c->up;
}

struct cluster_redis *
cluster_link(struct cluster *c)
{
	return c->link;
}

const char *
cluster_prefix(const struct cluster *c)
{
	return c->prefix;
}

const struct cluster_identity *
cluster_self(const struct cluster *c)
{
	return &c->self;
}

struct event_base *
cluster_event_base(const struct cluster *c)
{
	return c->env.base;
}

int
cluster_on_message(struct cluster *c, const char *name, cluster_msg_cb *cb,
    void *arg)
{
	struct handler *h;
	int n;

	if (c->nhandlers == CLUSTER_MAX_HANDLERS || c->link == NULL)
		return -1;
	h = &c->handlers[c->nhandlers];
	n = snprintf(h->channel, sizeof(h->channel), "%s%s", c->prefix, name);
	if (n < 0 || (size_t)n >= sizeof(h->channel))
		return -1;
	if (cluster_redis_subscribe(c->link, h->channel) != 0)
		return -1;
	h->cb = cb;
	h->arg = arg;
	c->nhandlers++;
	return 0;
}

int
cluster_on_state(struct cluster *c, cluster_state_cb *cb, void *arg)
{
	if (c->nwatchers == CLUSTER_MAX_WATCHERS)
		return -1;
	c->watchers[c->nwatchers].cb = cb;
	c->watchers[c->nwatchers].arg = arg;
	c->nwatchers++;
	return 0;
}

void
cluster_forget(struct cluster *c, void *arg)
{
	size_t i, j;

	for (i = j = 0; i < c->nhandlers; i++)
		if (c->handlers[i].arg != arg)
			c->handlers[j++] = c->handlers[i];
	c->nhandlers = j;
	for (i = j = 0; i < c->nwatchers; i++)
		if (c->watchers[i].arg != arg)
			c->watchers[j++] = c->watchers[i];
	c->nwatchers = j;
}

int
cluster_publish(struct cluster *c, const char *name, const char *data,
    size_t len)
{
	char channel[CHANNEL_MAX];
	const char *argv[3];
	size_t argvlen[3];
	int n;

	if (c->link == NULL || !c->up)
		return -1;
	n = snprintf(channel, sizeof(channel), "%s%s", c->prefix, name);
	if (n < 0 || (size_t)n >= sizeof(channel))
		return -1;
	argv[0] = "PUBLISH";
	argvlen[0] = 7;
	argv[1] = channel;
	argvlen[1] = (size_t)n;
	argv[2] = data;
	argvlen[2] = len;
	if (cluster_redis_command(c->link, NULL, NULL, 3, argv, argvlen) != 0)
		return -1;
	metrics_inc(&c->env.metrics->cluster_messages_out_total);
	return 0;
}
