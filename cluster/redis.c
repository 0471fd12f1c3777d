/*
 * redis.c - the node's two connections to Redis (see redis.h).
 *
 * hiredis' async contexts are driven by its libevent adapter on the
 * daemon's base.  hiredis frees a context itself after its connect callback
 * reports a failure and after its disconnect callback; we free it
 * (redisAsyncFree) only from our own timer callbacks, never from inside a
 * hiredis callback, and a context whose conn->ac no longer points at it is
 * one we let go of: its late callbacks are ignored.
 *
 * Liveness is the command connection's PING: hiredis 0.14 drops the reply
 * of a PING sent on a subscribed connection, and a Redis that is stopped or
 * cut off is seen by both connections alike.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "cluster/redis.h"
#include "common/clock.h"
#include "common/log.h"

#define MAX_CHANNELS	64

enum { CONN_CMD, CONN_SUB };

struct conn {
	struct cluster_redis	*r;
	int			 which;
	redisAsyncContext	*ac;
	int			 ready;
	int			 subscribed;	/* confirmations so far */
};

/* A host name resolved on a helper thread; freed by the last of two. */
struct resolve_job {
	atomic_int		 refs;
	int			 fd[2];
	char			 host[REDIS_URL_HOST_MAX + 1];
	char			 ip[INET6_ADDRSTRLEN];
	int			 ok;
	char			 why[128];
};

struct cluster_redis {
	struct event_base	*base;
	struct redis_url	 url;
	struct cluster_redis_cbs cbs;
	struct cluster_redis_timing t;
	struct conn		 conn[2];
	int			 up;
	int			 started;
	int			 backoff_ms;
	char			 ip[INET6_ADDRSTRLEN];	/* host, resolved */
	struct event		*retry_ev;	/* backoff before reconnecting */
	struct event		*connect_ev;	/* connect timeout */
	struct event		*ping_ev;	/* PING interval */
	struct event		*fail_ev;	/* deferred drop */
	struct event		*resolve_ev;
	struct resolve_job	*job;
	char			 fail_why[160];
	int			 ping_out;	/* a PING is unanswered */
	uint64_t		 ping_sent;	/* clock_mono_ms() */
	char			*channels[MAX_CHANNELS];
	size_t			 nchannels;
};

static void link_connect(struct cluster_redis *);
static void link_fail(struct cluster_redis *, const char *);

static struct timeval
ms_tv(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* ------------------------------------------------------------------ */
/* Resolving a host name without blocking the loop. */

static void
job_unref(struct resolve_job *j)
{
	if (atomic_fetch_sub(&j->refs, 1) == 1) {
		close(j->fd[0]);
		close(j->fd[1]);
		free(j);
	}
}

static void *
resolve_thread(void *arg)
{
	struct resolve_job *j = arg;
	struct addrinfo hints, *res = NULL;
	int rc;
	ssize_t w;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(j->host, NULL, &hints, &res)) != 0 ||
	    res == NULL)
		snprintf(j->why, sizeof(j->why), "%s", gai_strerror(rc));
	else if (getnameinfo(res->ai_addr, res->ai_addrlen, j->ip,
	    sizeof(j->ip), NULL, 0, NI_NUMERICHOST) == 0)
		j->ok = 1;
	else
		snprintf(j->why, sizeof(j->why), "no usable address");
	if (res != NULL)
		freeaddrinfo(res);
	do
		w = write(j->fd[1], "x", 1);
	while (w < 0 && errno == EINTR);
	job_unref(j);
	return NULL;
}

static void
resolve_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster_redis *r = arg;
	struct resolve_job *j = r->job;
	char c;

	(void)what;
	if (read(fd, &c, 1) != 1 && errno == EAGAIN)
		return;
	event_free(r->resolve_ev);
	r->resolve_ev = NULL;
	r->job = NULL;
	if (!j->ok) {
		char why[REDIS_URL_HOST_MAX + 160];

		snprintf(why, sizeof(why), "resolving %s: %s", j->host,
		    j->why);
		job_unref(j);
		link_fail(r, why);
		return;
	}
	strlcpy(r->ip, j->ip, sizeof(r->ip));
	job_unref(j);
	link_connect(r);
}

/* Starts resolving r's host; link_connect runs again when it is known. */
static int
resolve_start(struct cluster_redis *r)
{
	struct resolve_job *j;
	pthread_t tid;
	pthread_attr_t attr;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	if (pipe(j->fd) != 0) {
		free(j);
		return -1;
	}
	evutil_make_socket_nonblocking(j->fd[0]);
	strlcpy(j->host, r->url.host, sizeof(j->host));
	atomic_init(&j->refs, 2);
	if ((r->resolve_ev = event_new(r->base, j->fd[0], EV_READ | EV_PERSIST,
	    resolve_done_cb, r)) == NULL)
		goto fail;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &attr, resolve_thread, j) != 0) {
		pthread_attr_destroy(&attr);
		event_free(r->resolve_ev);
		r->resolve_ev = NULL;
		goto fail;
	}
	pthread_attr_destroy(&attr);
	r->job = j;
	event_add(r->resolve_ev, NULL);
	return 0;
fail:
	close(j->fd[0]);
	close(j->fd[1]);
	free(j);
	return -1;
}

static void
resolve_cancel(struct cluster_redis *r)
{
	if (r->resolve_ev != NULL) {
		event_free(r->resolve_ev);
		r->resolve_ev = NULL;
	}
	if (r->job != NULL) {
		job_unref(r->job);
		r->job = NULL;
	}
}

/* ------------------------------------------------------------------ */
/* State. */

static void
link_check_up(struct cluster_redis *r)
{
	struct timeval tv;

	if (r->up || !r->conn[CONN_CMD].ready || !r->conn[CONN_SUB].ready)
		return;
	r->up = 1;
	r->backoff_ms = r->t.backoff_min_ms;
	evtimer_del(r->connect_ev);
	tv = ms_tv(r->t.ping_interval_ms);
	evtimer_add(r->ping_ev, &tv);
	log_info("cluster: joined Redis");
	if (r->cbs.up != NULL)
		r->cbs.up(r->cbs.arg);
}

/* Drops both connections (outside hiredis callbacks) and plans a retry. */
static void
link_drop_now(struct cluster_redis *r)
{
	redisAsyncContext *ac;
	struct timeval tv;
	int was_up = r->up, i, jitter;

	r->up = 0;
	r->ping_out = 0;
	evtimer_del(r->ping_ev);
	evtimer_del(r->connect_ev);
	resolve_cancel(r);
	for (i = 0; i < 2; i++) {
		r->conn[i].ready = 0;
		r->conn[i].subscribed = 0;
		if ((ac = r->conn[i].ac) != NULL) {
			r->conn[i].ac = NULL;
			redisAsyncFree(ac);	/* NULL replies to callbacks */
		}
	}
	if (was_up) {
		log_warn("cluster: left Redis: %s", r->fail_why);
		if (r->cbs.down != NULL)
			r->cbs.down(r->cbs.arg, r->fail_why);
	} else
		log_debug("cluster: Redis: %s", r->fail_why);
	if (!r->started)
		return;
	jitter = r->backoff_ms / 4 > 0 ?
	    (int)arc4random_uniform((uint32_t)(r->backoff_ms / 4)) : 0;
	tv = ms_tv(r->backoff_ms + jitter);
	evtimer_add(r->retry_ev, &tv);
	r->backoff_ms = r->backoff_ms * 2 > r->t.backoff_max_ms ?
	    r->t.backoff_max_ms : r->backoff_ms * 2;
}

static void
fail_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	link_drop_now(arg);
}

/* Marks the link failed; the drop itself runs from the loop. */
static void
link_fail(struct cluster_redis *r, const char *why)
{
	struct timeval zero = { 0, 0 };

	if (evtimer_pending(r->fail_ev, NULL))
		return;
	strlcpy(r->fail_why, why, sizeof(r->fail_why));
	evtimer_add(r->fail_ev, &zero);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	link_connect(arg);
}

static void
connect_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	link_fail(arg, "connect timed out");
}

/* ------------------------------------------------------------------ */
/* hiredis callbacks. */

static void
ping_reply_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct cluster_redis *r = priv;
	redisReply *rep = reply;

	if (rep == NULL || r->conn[CONN_CMD].ac != ac)
		return;
	r->ping_out = 0;
	if (rep->type == REDIS_REPLY_ERROR) {
		char why[160];

		snprintf(why, sizeof(why), "PING: %.*s", (int)rep->len,
		    rep->str);
		link_fail(r, why);
		return;
	}
	if (!r->conn[CONN_CMD].ready) {
		r->conn[CONN_CMD].ready = 1;
		link_check_up(r);
	}
}

static void
ping_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cluster_redis *r = arg;
	struct timeval tv;
	uint64_t now;

	(void)fd;
	(void)what;
	if (!r->up || r->conn[CONN_CMD].ac == NULL)
		return;
	now = clock_mono_ms();
	if (r->ping_out) {
		if (now - r->ping_sent >= (uint64_t)r->t.dead_after_ms) {
			link_fail(r, "no answer to PING");
			return;
		}
	} else if (redisAsyncCommand(r->conn[CONN_CMD].ac, ping_reply_cb, r,
	    "PING") == REDIS_OK) {
		r->ping_out = 1;
		r->ping_sent = now;
	}
	tv = ms_tv(r->t.ping_interval_ms);
	evtimer_add(r->ping_ev, &tv);
}

static void
sub_msg_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct cluster_redis *r = priv;
	struct conn *c = &r->conn[CONN_SUB];
	redisReply *rep = reply, *t, *ch, *data;

	if (rep == NULL || c->ac != ac)
		return;
	if (rep->type == REDIS_REPLY_ERROR) {
		char why[160];

		snprintf(why, sizeof(why), "SUBSCRIBE: %.*s", (int)rep->len,
		    rep->str);
		link_fail(r, why);
		return;
	}
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 3)
		return;
	t = rep->element[0];
	ch = rep->element[1];
	data = rep->element[2];
	if (t->type != REDIS_REPLY_STRING || ch->type != REDIS_REPLY_STRING)
		return;
	if (strcmp(t->str, "subscribe") == 0) {
		if (++c->subscribed >= (int)r->nchannels && !c->ready) {
			c->ready = 1;
			link_check_up(r);
		}
		return;
	}
	if (strcmp(t->str, "message") == 0 &&
	    data->type == REDIS_REPLY_STRING && r->cbs.message != NULL)
		r->cbs.message(r->cbs.arg, ch->str, data->str, data->len);
}

static int
sub_send(struct cluster_redis *r, const char *channel)
{
	const char *argv[2] = { "SUBSCRIBE", channel };

	return redisAsyncCommandArgv(r->conn[CONN_SUB].ac, sub_msg_cb, r, 2,
	    argv, NULL) == REDIS_OK ? 0 : -1;
}

/* The connection is authenticated: select, subscribe, then ready. */
static void
conn_after_auth(struct conn *c)
{
	struct cluster_redis *r = c->r;
	char db[16];
	size_t i;

	if (c->which == CONN_CMD) {
		if (r->url.db != 0) {
			snprintf(db, sizeof(db), "%d", r->url.db);
			redisAsyncCommand(c->ac, NULL, NULL, "SELECT %s", db);
		}
		/* the PING answer says AUTH and SELECT went through */
		redisAsyncCommand(c->ac, ping_reply_cb, r, "PING");
		return;
	}
	for (i = 0; i < r->nchannels; i++)
		if (sub_send(r, r->channels[i]) != 0) {
			link_fail(r, "SUBSCRIBE: out of memory");
			return;
		}
	if (r->nchannels == 0) {
		c->ready = 1;
		link_check_up(r);
	}
}

static void
auth_reply_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct conn *c = priv;
	redisReply *rep = reply;
	char why[200];

	if (rep == NULL || c->ac != ac)
		return;
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(why, sizeof(why), "AUTH: %.*s", (int)rep->len,
		    rep->str);
		link_fail(c->r, why);
		return;
	}
	conn_after_auth(c);
}

static void
connect_cb(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)(uintptr_t)cac;
	struct conn *c = ac->data;
	struct cluster_redis *r;
	const char *argv[3];
	size_t argvlen[3];
	int argc = 0;
	char why[200];

	if (c == NULL || c->ac != ac)
		return;
	r = c->r;
	if (status != REDIS_OK) {
		c->ac = NULL;		/* hiredis frees it */
		snprintf(why, sizeof(why), "connect: %s", ac->errstr);
		link_fail(r, why);
		return;
	}
	if (!r->url.has_password) {
		conn_after_auth(c);
		return;
	}
	argv[argc] = "AUTH";
	argvlen[argc++] = 4;
	if (r->url.user[0] != '\0') {
		argv[argc] = r->url.user;
		argvlen[argc] = strlen(r->url.user);
		argc++;
	}
	argv[argc] = r->url.password;
	argvlen[argc] = strlen(r->url.password);
	argc++;
	if (redisAsyncCommandArgv(ac, auth_reply_cb, c, argc, argv,
	    argvlen) != REDIS_OK)
		link_fail(r, "AUTH: out of memory");
}

static void
disconnect_cb(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)(uintptr_t)cac;
	struct conn *c = ac->data;
	char why[200];

	if (c == NULL || c->ac != ac)
		return;
	c->ac = NULL;			/* hiredis frees it */
	snprintf(why, sizeof(why), "connection lost%s%s",
	    status != REDIS_OK ? ": " : "",
	    status != REDIS_OK ? ac->errstr : "");
	link_fail(c->r, why);
}

/* ------------------------------------------------------------------ */

/* Opens both connections (after resolving the host if need be). */
static void
link_connect(struct cluster_redis *r)
{
	struct in6_addr a6;
	struct timeval tv;
	redisAsyncContext *ac;
	char why[200];
	int i;

	if (r->url.kind != REDIS_URL_UNIX && r->ip[0] == '\0') {
		if (inet_pton(AF_INET, r->url.host, &a6) == 1 ||
		    inet_pton(AF_INET6, r->url.host, &a6) == 1)
			strlcpy(r->ip, r->url.host, sizeof(r->ip));
		else {
			if (resolve_start(r) != 0)
				link_fail(r, "resolver: out of resources");
			else {
				tv = ms_tv(r->t.connect_timeout_ms);
				evtimer_add(r->connect_ev, &tv);
			}
			return;
		}
	}
	for (i = 0; i < 2; i++) {
		if (r->url.kind == REDIS_URL_UNIX)
			ac = redisAsyncConnectUnix(r->url.path);
		else
			ac = redisAsyncConnect(r->ip, r->url.port);
		if (ac == NULL || ac->err) {
			snprintf(why, sizeof(why), "connect: %s",
			    ac != NULL ? ac->errstr : "out of memory");
			if (ac != NULL)
				redisAsyncFree(ac);
			link_fail(r, why);
			return;
		}
		ac->data = &r->conn[i];
		r->conn[i].ac = ac;
		if (redisLibeventAttach(ac, r->base) != REDIS_OK) {
			r->conn[i].ac = NULL;
			redisAsyncFree(ac);
			link_fail(r, "connect: cannot attach to the loop");
			return;
		}
		redisAsyncSetConnectCallback(ac, connect_cb);
		redisAsyncSetDisconnectCallback(ac, disconnect_cb);
	}
	tv = ms_tv(r->t.connect_timeout_ms);
	evtimer_add(r->connect_ev, &tv);
	/* a host name is resolved again on the next attempt */
	if (r->url.kind != REDIS_URL_UNIX &&
	    strcmp(r->ip, r->url.host) != 0)
		r->ip[0] = '\0';
}

struct cluster_redis *
cluster_redis_new(struct event_base *base, const struct redis_url *url,
    const struct cluster_redis_cbs *cbs,
    const struct cluster_redis_timing *t)
{
	struct cluster_redis *r;
	int i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->base = base;
	r->url = *url;
	if (cbs != NULL)
		r->cbs = *cbs;
	r->t.connect_timeout_ms = 2000;
	r->t.ping_interval_ms = 1000;
	r->t.dead_after_ms = 3000;
	r->t.backoff_min_ms = 100;
	r->t.backoff_max_ms = 5000;
	if (t != NULL)
		r->t = *t;
	r->backoff_ms = r->t.backoff_min_ms;
	for (i = 0; i < 2; i++) {
		r->conn[i].r = r;
		r->conn[i].which = i;
	}
	if ((r->retry_ev = evtimer_new(base, retry_cb, r)) == NULL ||
	    (r->connect_ev = evtimer_new(base, connect_timeout_cb, r)) ==
	    NULL || (r->ping_ev = evtimer_new(base, ping_cb, r)) == NULL ||
	    (r->fail_ev = evtimer_new(base, fail_cb, r)) == NULL) {
		cluster_redis_free(r);
		return NULL;
	}
	return r;
}

int
cluster_redis_start(struct cluster_redis *r)
{
	if (r->started)
		return 0;
	r->started = 1;
	link_connect(r);
	return 0;
}

void
cluster_redis_free(struct cluster_redis *r)
{
	size_t i;

	if (r == NULL)
		return;
	r->started = 0;
	r->cbs.down = NULL;
	r->cbs.up = NULL;
	if (r->fail_ev != NULL) {
		strlcpy(r->fail_why, "shutting down", sizeof(r->fail_why));
		link_drop_now(r);
	}
	if (r->retry_ev != NULL)
		event_free(r->retry_ev);
	if (r->connect_ev != NULL)
		event_free(r->connect_ev);
	if (r->ping_ev != NULL)
		event_free(r->ping_ev);
	if (r->fail_ev != NULL)
		event_free(r->fail_ev);
	for (i = 0; i < r->nchannels; i++)
		free(r->channels[i]);
	redis_url_clear(&r->url);
	free(r);
}

int
cluster_redis_is_up(const struct cluster_redis *r)
{
	return r != NULL && r->up;
}

int
cluster_redis_subscribe(struct cluster_redis *r, const char *channel)
{
	size_t i;

	for (i = 0; i < r->nchannels; i++)
		if (strcmp(r->channels[i], channel) == 0)
			return 0;
	if (r->nchannels == MAX_CHANNELS)
		return -1;
	if ((r->channels[r->nchannels] = strdup(channel)) == NULL)
		return -1;
	r->nchannels++;
	if (r->conn[CONN_SUB].ready && r->conn[CONN_SUB].ac != NULL &&
	    sub_send(r, channel) != 0)
		link_fail(r, "SUBSCRIBE: out of memory");
	return 0;
}

struct req {
	cluster_redis_reply_cb	*cb;
	void			*arg;
};

static void
cmd_reply_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct req *q = priv;

	(void)ac;
	if (q->cb != NULL)
		q->cb(q->arg, reply);
	free(q);
}

int
cluster_redis_command(struct cluster_redis *r, cluster_redis_reply_cb *cb,
    void *arg, int argc, const char *const *argv, const size_t *argvlen)
{
	struct req *q;

	if (!r->up || r->conn[CONN_CMD].ac == NULL)
		return -1;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -1;
	q->cb = cb;
	q->arg = arg;
	if (redisAsyncCommandArgv(r->conn[CONN_CMD].ac, cmd_reply_cb, q, argc,
	    (const char **)(uintptr_t)argv, argvlen) != REDIS_OK) {
		free(q);
		return -1;
	}
	return 0;
}

void
cluster_redis_reset(struct cluster_redis *r, const char *why)
{
	link_fail(r, why);
}
