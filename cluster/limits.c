/*
 * limits.c - client limits across the cluster (see limits.h).
 */
/* libbsd's RB_GENERATE_STATIC marks its functions __unused. */
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "auth/pseudonym.h"
#include "cluster/cluster.h"
#include "cluster/limits.h"
#include "common/log.h"

#define CHANNEL		"conns"
#define LINE_MAX_	(CLUSTER_ID_MAX + PSEUDONYM_LEN + 24)
#define BATCH_LINES	200

/* A client's WebSockets on one node (ours: node is empty). */
struct wsent {
	RB_ENTRY(wsent)	 node_;
	char		 ps[PSEUDONYM_LEN + 1];
	char		 node[CLUSTER_ID_MAX + 1];
	long long	 n;
	time_t		 seen;
};
RB_HEAD(wstree, wsent);

/* The cluster's count of a client's API requests in one window. */
struct apient {
	RB_ENTRY(apient) node_;
	char		 ps[PSEUDONYM_LEN + 1];
	long long	 bucket;
	long long	 window;
	long long	 count;		/* as Redis last answered */
};
RB_HEAD(apitree, apient);

struct climits {
	struct cluster	*c;
	struct wstree	 local;
	struct wstree	 remote;
	struct apitree	 api;
	struct event	*tick;
};

static int
ws_cmp(struct wsent *a, struct wsent *b)
{
	int r = strcmp(a->ps, b->ps);

	return r != 0 ? r : strcmp(a->node, b->node);
}
RB_GENERATE_STATIC(wstree, wsent, node_, ws_cmp)

static int
api_cmp(struct apient *a, struct apient *b)
{
	return strcmp(a->ps, b->ps);
}
RB_GENERATE_STATIC(apitree, apient, node_, api_cmp)

static void
ws_clear(struct wstree *t)
{
	struct wsent *e, *next;

	RB_FOREACH_SAFE(e, wstree, t, next) {
		RB_REMOVE(wstree, t, e);
		free(e);
	}
}

/* PUBLISHes lines "node ps n" of the given entries (one, or all). */
static void
publish(struct climits *l, struct wsent *only)
{
	const char *self = cluster_self(l->c)->name;
	char *buf;
	size_t len = 0, lines = 0;
	size_t cap = only != NULL ? LINE_MAX_ : BATCH_LINES * LINE_MAX_;
	struct wsent *e;
	int n;

	if (!cluster_is_up(l->c) || (buf = malloc(cap)) == NULL)
		return;
	for (e = only != NULL ? only : RB_MIN(wstree, &l->local); e != NULL;
	    e = only != NULL ? NULL : RB_NEXT(wstree, &l->local, e)) {
		n = snprintf(buf + len, cap - len, "%s %s %lld\n", self, e->ps,
		    e->n);
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
		if (++lines == BATCH_LINES) {
			cluster_publish(l->c, CHANNEL, buf, len);
			len = lines = 0;
		}
	}
	if (len > 0)
		cluster_publish(l->c, CHANNEL, buf, len);
	free(buf);
}

void
climits_ws_changed(struct climits *l, const char *ps, int delta)
{
	struct wsent key, *e;

	memset(&key, 0, sizeof(key));
	strlcpy(key.ps, ps, sizeof(key.ps));
	if ((e = RB_FIND(wstree, &l->local, &key)) == NULL) {
		if (delta <= 0 || (e = calloc(1, sizeof(*e))) == NULL)
			return;
		strlcpy(e->ps, ps, sizeof(e->ps));
		RB_INSERT(wstree, &l->local, e);
	}
	e->n += delta;
	if (e->n < 0)
		e->n = 0;
	publish(l, e);
	if (e->n == 0) {
		RB_REMOVE(wstree, &l->local, e);
		free(e);
	}
}

long long
climits_ws_elsewhere(struct climits *l, const char *ps)
{
	struct wsent key, *e;
	time_t now = time(NULL);
	long long n = 0;

	memset(&key, 0, sizeof(key));
	strlcpy(key.ps, ps, sizeof(key.ps));
	for (e = RB_NFIND(wstree, &l->remote, &key); e != NULL &&
	    strcmp(e->ps, ps) == 0; e = RB_NEXT(wstree, &l->remote, e))
		if (now - e->seen <= CLIMITS_FORGET_SECS)
			n += e->n;
	return n;
}

/* One line of another node: "node ps n". */
static void
remote_line(struct climits *l, const char *line, size_t len)
{
	char buf[LINE_MAX_], *node, *ps, *num, *end;
	struct wsent key, *e;
	long long n;

	if (len == 0 || len >= sizeof(buf))
		return;
	memcpy(buf, line, len);
	buf[len] = '\0';
	node = buf;
	if ((ps = strchr(node, ' ')) == NULL)
		return;
	*ps++ = '\0';
	if ((num = strchr(ps, ' ')) == NULL)
		return;
	*num++ = '\0';
	n = strtoll(num, &end, 10);
	if (*end != '\0' || end == num || n < 0 || n > 1000000 ||
	    strlen(node) == 0 || strlen(node) > CLUSTER_ID_MAX ||
	    !pseudonym_valid(ps) ||
	    strcmp(node, cluster_self(l->c)->name) == 0)
		return;
	memset(&key, 0, sizeof(key));
	strlcpy(key.ps, ps, sizeof(key.ps));
	strlcpy(key.node, node, sizeof(key.node));
	if ((e = RB_FIND(wstree, &l->remote, &key)) == NULL) {
		if (n == 0 || (e = calloc(1, sizeof(*e))) == NULL)
			return;
		*e = key;
		RB_INSERT(wstree, &l->remote, e);
	}
	if (n == 0) {
		RB_REMOVE(wstree, &l->remote, e);
		free(e);
		return;
	}
	e->n = n;
	e->seen = time(NULL);
}

static void
conns_msg_cb(void *arg, const char *channel, const char *data, size_t len)
{
	struct climits *l = arg;
	const char *nl;

	(void)channel;
	while (len > 0) {
		if ((nl = memchr(data, '\n', len)) == NULL)
			nl = data + len;
		remote_line(l, data, (size_t)(nl - data));
		if ((size_t)(nl - data) >= len)
			break;
		len -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
}

static void
state_cb(void *arg, int up, const char *why)
{
	struct climits *l = arg;

	(void)why;
	if (!up)
		ws_clear(&l->remote);	/* alone: count alone */
	else
		publish(l, NULL);
}

/* Every CLIMITS_REPEAT_SECS: say our counts again, forget stale ones. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct climits *l = arg;
	struct wsent *e, *next;
	struct apient *a, *anext;
	time_t now = time(NULL);

	(void)fd;
	(void)what;
	publish(l, NULL);
	RB_FOREACH_SAFE(e, wstree, &l->remote, next)
		if (now - e->seen > CLIMITS_FORGET_SECS) {
			RB_REMOVE(wstree, &l->remote, e);
			free(e);
		}
	RB_FOREACH_SAFE(a, apitree, &l->api, anext)
		if ((long long)now / a->window != a->bucket) {
			RB_REMOVE(apitree, &l->api, a);
			free(a);
		}
}

/* ------------------------------------------------------------------ */
/* API requests. */

struct hit {
	struct climits	*l;
	char		 ps[PSEUDONYM_LEN + 1];
	long long	 bucket;
	long long	 window;
};

static void
incr_cb(void *arg, const redisReply *r)
{
	struct hit *h = arg;
	struct apient key, *e;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER) {
		memset(&key, 0, sizeof(key));
		strlcpy(key.ps, h->ps, sizeof(key.ps));
		if ((e = RB_FIND(apitree, &h->l->api, &key)) == NULL &&
		    (e = calloc(1, sizeof(*e))) != NULL) {
			strlcpy(e->ps, h->ps, sizeof(e->ps));
			RB_INSERT(apitree, &h->l->api, e);
		}
		if (e != NULL && (e->bucket != h->bucket || r->integer >
		    e->count)) {
			e->bucket = h->bucket;
			e->window = h->window;
			e->count = r->integer;
		}
	}
	free(h);
}

int
climits_api_hit(struct climits *l, const char *ps, long long max,
    long long window, int *retry)
{
	struct apient key, *e;
	long long now = (long long)time(NULL), bucket;
	char k[128], ttl[24];
	const char *argv[3];
	size_t argvlen[3];
	struct hit *h;

	if (window <= 0)
		return 0;
	bucket = now / window;
	memset(&key, 0, sizeof(key));
	strlcpy(key.ps, ps, sizeof(key.ps));
	if ((e = RB_FIND(apitree, &l->api, &key)) != NULL &&
	    e->bucket == bucket && e->count >= max && cluster_is_up(l->c)) {
		*retry = (int)((bucket + 1) * window - now);
		if (*retry < 1)
			*retry = 1;
		return -1;
	}
	if (!cluster_is_up(l->c) || (h = calloc(1, sizeof(*h))) == NULL)
		return 0;
	h->l = l;
	strlcpy(h->ps, ps, sizeof(h->ps));
	h->bucket = bucket;
	h->window = window;
	snprintf(k, sizeof(k), "%sapi:%s:%lld", cluster_prefix(l->c), ps,
	    bucket);
	argv[0] = "INCR";
	argv[1] = k;
	argvlen[0] = 4;
	argvlen[1] = strlen(k);
	if (cluster_redis_command(cluster_link(l->c), incr_cb, h, 2, argv,
	    argvlen) != 0) {
		free(h);
		return 0;
	}
	/* The key lasts its window (and a little): no sweeper needed. */
	snprintf(ttl, sizeof(ttl), "%lld", window + 5);
	argv[0] = "EXPIRE";
	argv[2] = ttl;
	argvlen[0] = 6;
	argvlen[2] = strlen(ttl);
	cluster_redis_command(cluster_link(l->c), NULL, NULL, 3, argv,
	    argvlen);
	return 0;
}

/* ------------------------------------------------------------------ */

struct climits *
climits_new(struct cluster *c)
{
	struct climits *l;
	struct timeval tv = { CLIMITS_REPEAT_SECS, 0 };

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->c = c;
	RB_INIT(&l->local);
	RB_INIT(&l->remote);
	RB_INIT(&l->api);
	if ((l->tick = event_new(cluster_event_base(c), -1, EV_PERSIST,
	    tick_cb, l)) == NULL ||
	    cluster_on_message(c, CHANNEL, conns_msg_cb, l) != 0 ||
	    cluster_on_state(c, state_cb, l) != 0) {
		climits_free(l);
		return NULL;
	}
	event_add(l->tick, &tv);
	return l;
}

void
climits_free(struct climits *l)
{
	struct apient *a, *next;

	if (l == NULL)
		return;
	cluster_forget(l->c, l);
	if (l->tick != NULL)
		event_free(l->tick);
	ws_clear(&l->local);
	ws_clear(&l->remote);
	RB_FOREACH_SAFE(a, apitree, &l->api, next) {
		RB_REMOVE(apitree, &l->api, a);
		free(a);
	}
	free(l);
}
