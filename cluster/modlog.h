/*
 * modlog.h - the cluster's moderation log: every ban, ban removal, report
 * and resolution taken on any node, as a Redis stream (prefix + "modlog")
 * that every node applies to its own database (SPEC "Cluster").
 *
 * The database keeps what is durable on each side: the outbox of local
 * changes not yet stored by Redis and the id of the last stream entry
 * applied.  This module only moves entries: it XADDs what the program
 * hands it (modlog_append), acknowledges each one once Redis stored it,
 * and PUBLISHes a notification so that every node reads the new entries
 * at once with XRANGE from its cursor; it reads from the cursor again at
 * every link-up, so a node that was down or cut off catches up.  No
 * polling: a read runs on a notification or a link-up only.
 *
 * Entries are JSON objects the database wrote (pseudonyms and random ids,
 * never a clear client address; the program removes clear addresses
 * before it appends); each carries the name of the node that wrote it.
 */
#ifndef MEETOPIA_CLUSTER_MODLOG_H
#define MEETOPIA_CLUSTER_MODLOG_H

#include <stddef.h>
#include <stdint.h>

struct cluster;
struct modlog;

#define MODLOG_ID_MAX	41		/* a stream id, "ms-seq" */
#define MODLOG_BATCH	100		/* entries per XRANGE */
#define MODLOG_MAXLEN	"1000000"	/* XADD MAXLEN ~: a bound, not a TTL */

/* The program's side; all on the loop. */
struct modlog_hooks {
	/* An entry of the stream, in order; own: written by this node.
	 * Returns 0 once it is queued for the database. */
	int	(*apply)(void *arg, const char *id, int own, const char *entry,
		    size_t len);
	/* The last id applied, from the database ("0-0": none). */
	int	(*cursor)(void *arg, char *out, size_t len);
	/* Redis stored the appended entry seq (and every one before). */
	void	(*acked)(void *arg, int64_t seq);
	/* The link is up: append what is waiting.  Down: forget what was
	 * in flight, it is appended again at the next up. */
	void	(*up)(void *arg);
	void	(*down)(void *arg);
	void	 *arg;
};

/* Registers on c's channel and state watchers; NULL on out of memory. */
struct modlog	*modlog_new(struct cluster *c, const struct modlog_hooks *);
/* After cluster_halt() (every command answered), before cluster_free(). */
void		 modlog_free(struct modlog *);
/* XADDs one entry of the outbox; -1 when the link is down. */
int		 modlog_append(struct modlog *, int64_t seq, const char *entry,
		    size_t len);

#endif
