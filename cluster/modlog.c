/*
 * modlog.c - the cluster's moderation log on a Redis stream (see
 * modlog.h).
 *
 * Commands go on the shared command connection and are all non-blocking:
 * XADD (then PUBLISH) to append, XRANGE with an exclusive start to read.
 * One read at a time; a notification that comes during a read asks for
 * another one after it.  Entries are handed to the program in stream
 * order and the cursor moves in memory as they are handed over; the
 * durable cursor is the database's, read back at every link-up.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/modlog.h"
#include "common/log.h"

#define CHANNEL		"modlog"
#define KEY_MAX		(64 + 8)

struct modlog {
	struct cluster		*c;
	struct modlog_hooks	 h;
	char			 key[KEY_MAX];
	char			 cursor[MODLOG_ID_MAX + 1];
	int			 reading;
	int			 again;
	int			 up;
	int			 refused;	/* an XADD failed: no ack till up */
};

struct append {
	struct modlog	*l;
	int64_t		 seq;
};

static void read_more(struct modlog *);

static const redisReply *
field(const redisReply *fields, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < fields->elements; i += 2)
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(fields->element[i]->str, name) == 0 &&
		    fields->element[i + 1]->type == REDIS_REPLY_STRING)
			return fields->element[i + 1];
	return NULL;
}

static void
read_cb(void *arg, const redisReply *r)
{
	struct modlog *l = arg;
	const redisReply *e, *id, *fields, *node, *data;
	const char *self = cluster_self(l->c)->name;
	size_t i;
	int own;

	l->reading = 0;
	if (r == NULL)
		return;		/* the link dropped: read again at the up */
	if (r->type != REDIS_REPLY_ARRAY) {
		log_warn("cluster log: XRANGE: %.*s", r->type ==
		    REDIS_REPLY_ERROR ? (int)r->len : 1, r->type ==
		    REDIS_REPLY_ERROR ? r->str : "?");
		return;
	}
	for (i = 0; i < r->elements; i++) {
		e = r->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    (id = e->element[0])->type != REDIS_REPLY_STRING ||
		    id->len > MODLOG_ID_MAX ||
		    (fields = e->element[1])->type != REDIS_REPLY_ARRAY)
			continue;
		node = field(fields, "node");
		data = field(fields, "e");
		own = node != NULL && strcmp(node->str, self) == 0;
		if (data == NULL) {
			log_warn("cluster log: entry %s without data, skipped",
			    id->str);
		} else if (l->h.apply(l->h.arg, id->str, own, data->str,
		    data->len) != 0) {
			/* Not queued: stop here, read again from it later. */
			log_warn("cluster log: entry %s not queued; read again "
			    "at the next notification", id->str);
			return;
		}
		strlcpy(l->cursor, id->str, sizeof(l->cursor));
	}
	if (r->elements >= MODLOG_BATCH || l->again) {
		l->again = 0;
		read_more(l);
	}
}

/* XRANGE key (cursor + COUNT n: the entries after the cursor. */
static void
read_more(struct modlog *l)
{
	char start[MODLOG_ID_MAX + 2], count[16];
	const char *argv[6];
	size_t argvlen[6], i;

	if (l->reading) {
		l->again = 1;
		return;
	}
	if (!cluster_is_up(l->c))
		return;
	snprintf(start, sizeof(start), "(%s", l->cursor);
	snprintf(count, sizeof(count), "%d", MODLOG_BATCH);
	argv[0] = "XRANGE";
	argv[1] = l->key;
	argv[2] = start;
	argv[3] = "+";
	argv[4] = "COUNT";
	argv[5] = count;
	for (i = 0; i < 6; i++)
		argvlen[i] = strlen(argv[i]);
	if (cluster_redis_command(cluster_link(l->c), read_cb, l, 6, argv,
	    argvlen) == 0)
		l->reading = 1;
}

static void
notify_cb(void *arg, const char *channel, const char *data, size_t len)
{
	(void)channel;
	(void)data;
	(void)len;
	read_more(arg);
}

static void
state_cb(void *arg, int up, const char *why)
{
	struct modlog *l = arg;

	(void)why;
	l->up = up;
	l->refused = 0;
	if (!up) {
		l->reading = 0;
		l->again = 0;
		l->h.down(l->h.arg);
		return;
	}
	/* Catch up from what the database applied, then send ours. */
	if (l->h.cursor(l->h.arg, l->cursor, sizeof(l->cursor)) != 0)
		strlcpy(l->cursor, "0-0", sizeof(l->cursor));
	log_info("cluster log: reading from %s", l->cursor);
	read_more(l);
	l->h.up(l->h.arg);
}

static void
append_cb(void *arg, const redisReply *r)
{
	struct append *a = arg;
	struct modlog *l = a->l;

	if (r != NULL && r->type == REDIS_REPLY_STRING && !l->refused) {
		cluster_publish(l->c, CHANNEL, r->str, r->len);
		l->h.acked(l->h.arg, a->seq);
	} else if (r != NULL && r->type != REDIS_REPLY_STRING &&
	    !l->refused) {
		/*
		 * Acks are cumulative: one for a later entry would let the
		 * outbox forget this one.  Start over from it: the link is
		 * dropped, and at the next up everything not acknowledged
		 * goes again.
		 */
		log_warn("cluster log: XADD refused: %.*s",
		    r->type == REDIS_REPLY_ERROR ? (int)r->len : 1,
		    r->type == REDIS_REPLY_ERROR ? r->str : "?");
		l->refused = 1;
		cluster_redis_reset(cluster_link(l->c), "XADD refused");
	}
	free(a);
}

int
modlog_append(struct modlog *l, int64_t seq, const char *entry, size_t len)
{
	const char *argv[10];
	size_t argvlen[10];
	struct append *a;
	int i;

	if (!l->up || !cluster_is_up(l->c))
		return -1;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return -1;
	a->l = l;
	a->seq = seq;
	/* XADD key MAXLEN ~ N * node NAME e ENTRY */
	argv[0] = "XADD";
	argv[1] = l->key;
	argv[2] = "MAXLEN";
	argv[3] = "~";
	argv[4] = MODLOG_MAXLEN;
	argv[5] = "*";
	argv[6] = "node";
	argv[7] = cluster_self(l->c)->name;
	argv[8] = "e";
	for (i = 0; i < 9; i++)
		argvlen[i] = strlen(argv[i]);
	argv[9] = entry;
	argvlen[9] = len;
	if (cluster_redis_command(cluster_link(l->c), append_cb, a, 10, argv,
	    argvlen) != 0) {
		free(a);
		return -1;
	}
	return 0;
}

struct modlog *
modlog_new(struct cluster *c, const struct modlog_hooks *h)
{
	struct modlog *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->c = c;
	l->h = *h;
	snprintf(l->key, sizeof(l->key), "%s%s", cluster_prefix(c), CHANNEL);
	strlcpy(l->cursor, "0-0", sizeof(l->cursor));
	if (cluster_on_message(c, CHANNEL, notify_cb, l) != 0 ||
	    cluster_on_state(c, state_cb, l) != 0) {
		cluster_forget(c, l);
		free(l);
		return NULL;
	}
	return l;
}

void
modlog_free(struct modlog *l)
{
	if (l == NULL)
		return;
	cluster_forget(l->c, l);
	free(l);
}
