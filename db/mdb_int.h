/*
 * mdb_int.h - what the daemon's side of the store shares among its files
 * and nobody else needs: the ban cache's snapshot, the writer thread's
 * jobs and struct mdb (see mdb.c for the threads and who owns what).
 */
#ifndef MEETOPIA_MDB_INT_H
#define MEETOPIA_MDB_INT_H

#include <sys/queue.h>

#include <pthread.h>
#include <stdint.h>

#include "db/db.h"

#define POLL_SECS	1
#define PURGE_SECS	60
#define EXPORT_BATCH	64	/* outbox rows read at a time */
#define EXPORT_BURST	1024	/* handed out and not yet acknowledged */

struct cache_ip {
	uint8_t		 family;
	uint8_t		 ip[16];
	int64_t		 expires;
};

struct cache_range {
	struct addr_range r;
	int64_t		 expires;
};

struct cache_ps {
	char		 p[PSEUDONYM_LEN + 1];
	int64_t		 expires;
};

struct ban_cache {
	struct cache_ip	*ip;
	size_t		 nip;
	struct cache_range *range;
	size_t		 nrange;
	struct cache_ps	*ps;
	size_t		 nps;
	int64_t		*ids;		/* sorted, for "which bans are new" */
	size_t		 nids;
	size_t		 cap_ip, cap_range, cap_ps, cap_ids;
	int		 oom;
};

enum job_type {
	JOB_REPORT,
	JOB_PURGE,
	JOB_ADMIN,
	JOB_APPLY,		/* a stream entry of the cluster's log */
	JOB_ACKED		/* the cluster stored the outbox up to seq */
};

/* The live settings the writer's jobs need, copied into each job. */
struct mdb_settings {
	int64_t		 ban_default, ban_max, retention;
	int64_t		 auto_reports, auto_window, fail_window;
};

struct job {
	TAILQ_ENTRY(job) entry;
	enum job_type	 type;
	int64_t		 now;
	int		 cancelled;
	void		*arg;
	struct mdb_settings set;	/* as they were when submitted */

	/* JOB_REPORT */
	char		 reporter[PSEUDONYM_LEN + 1];
	char		 reported[PSEUDONYM_LEN + 1];
	enum report_reason reason;
	char		 detail[DB_TEXT_MAX];
	mdb_report_cb	 report_cb;
	int64_t		 id;		/* out: the report, or < 0 */
	int64_t		 ban_id;	/* out: an auto-ban, or 0 */
	int64_t		 nreporters;

	/* JOB_PURGE */
	int64_t		 purged_bans, purged_reports;
	int		 failed;
	char		 errmsg[256];	/* why it failed, from the writer */

	/* JOB_ADMIN */
	char		*method, *path, *authz, *body;
	size_t		 bodylen;
	struct maddr	 client;
	mdb_admin_cb	 admin_cb;
	struct admin_resp resp;

	/* JOB_APPLY (and id, reported, ban_id, nreporters of JOB_REPORT) */
	char		 stream_id[DB_STREAM_ID_MAX + 1];
	char		*log_entry;
	int		 own;		/* an entry of this node (JOB_PURGE:
					 * the cluster's log is on) */
	size_t		 entrylen;
	int		 what;		/* DB_MODLOG_* */

	/* JOB_ACKED */
	int64_t		 seq;
};
TAILQ_HEAD(jobq, job);

struct mdb {
	struct event_base	*base;
	struct secevent_log	*seclog;
	struct db		*rdb;		/* the loop's */
	struct db		*wdb;		/* the writer thread's */
	struct admin_api	*api;		/* the writer thread's */
	struct pseudonym_key	 key;

	pthread_rwlock_t	 lock;
	struct ban_cache	*cache;
	int64_t			 data_version;

	struct event		*ev_poll;
	struct event		*ev_purge;
	struct event		*ev_done;
	int			 wake[2];	/* writer -> loop */

	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct jobq		 todo;
	struct jobq		 finished;
	struct job		*current;	/* on the writer thread */
	struct job		*delivering;	/* its callback is running */
	int			 stop;
	int			 purge_pending;

	/* Live configuration, loop thread only; jobs carry copies. */
	struct mdb_settings	 set;

	mdb_ban_hook		 ban_hook;
	void			*ban_hook_arg;

	/* The cluster's log (loop thread only); no hook without a cluster. */
	mdb_export_hook		 export_hook;
	void			*export_arg;
	int64_t			 export_next;	/* last seq handed out */
	int64_t			 export_acked;	/* last seq acknowledged */
	int64_t			 acked_tick;	/* export_acked a purge ago */
	int			 export_stop;
	size_t			 export_n;
	size_t			 export_inflight; /* handed out, not acked */
};

/* mdb.c */
int64_t	 mdb_now(void);
void	 mdb_enqueue(struct mdb *, struct job *);
void	 mdb_job_free(struct job *);
void	 mdb_job_settings(struct mdb *, struct job *);

/* mdb_cache.c */
void	 mdb_cache_free(struct ban_cache *);
void	 mdb_cache_refresh(struct mdb *, int force);

/* mdb_modlog.c */
void	 mdb_export_pending(struct mdb *);

#endif
