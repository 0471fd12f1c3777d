/*
 * daemon.h - the daemon's own state, shared by meetopiad.c (options,
 * configuration, signals, lifecycle and the wiring of the modules) and
 * daemon_cluster.c (the glue of the cluster: moderation log, limits,
 * drain and nodes).
 */
#ifndef MEETOPIA_DAEMON_H
#define MEETOPIA_DAEMON_H

#include <stddef.h>

#include <event2/event.h>

#include "common/metrics.h"

struct climits;
struct cluster;
struct config;
struct dcluster;
struct mdb;
struct modlog;
struct port_share;
struct relay;
struct secevent_log;
struct signaling;

/*
 * The daemon: the one struct that owns all state.  There is no global
 * mutable state outside it.  Each module keeps its own state behind an
 * opaque pointer here; main() creates the modules in order and wires them
 * together through the small interfaces each declares (relay.h's struct
 * relay_env and peer hook, signaling.h's struct sig_env with the
 * moderation store, its pair and end hooks, db.h's ban hook).
 */
/* meetopiad's command line, kept for SIGHUP's re-read of the sources. */
struct daemon_options {
	const char	 *config_path;
	int		  config_given;	/* -c: a missing file is an error */
	const char	 *state_dir;
	int		  check_config;
	int		  allow_root;
	int		  argc;		/* the --key=value options */
	char		**argv;
};

struct daemon {
	struct event_base	*base;		/* main thread's loop */
	struct config		*cfg;		/* effective configuration */
	struct daemon_options	 opts;		/* the command line */
	const char		*state_dir;	/* opts.state_dir */

	struct event		*ev_sigterm;
	struct event		*ev_sigint;
	struct event		*ev_sighup;
	struct event		*ev_drain;	/* the stop's drain timer */
	int			 stopping;
	int			 drain_secs;	/* seconds drained so far */
	int			 draining;	/* meetopiactl drain or a stop */
	struct event		*ev_alt;	/* a drain's alternate, each 1 s */

	struct metrics		 metrics;	/* every module's figures */
	struct secevent_log	*seclog;	/* security events */

	struct relay		*relay;		/* relay/ */
	struct signaling	*sig;		/* signaling/ */
	struct mdb		*db;		/* db/ */
	struct cluster		*cluster;	/* cluster/, NULL without redis */
	struct port_share	*share;		/* shared ports, or NULL */
	struct modlog		*modlog;	/* the cluster's moderation log */
	struct climits		*climits;	/* limits across the cluster */
	struct dcluster		*dc;		/* its glue to signaling */
};


/* daemon_cluster.c */
/* The moderation log between the store and the cluster (d->modlog). */
int	 daemon_modlog_start(struct daemon *, char *err, size_t errlen);
/* max-connections-per-ip and the API rate limit across the cluster
 * (d->climits), for signaling; logs why not. */
int	 daemon_limits_start(struct daemon *);
/* meetopiactl nodes and drain, for signaling. */
void	 daemon_node_ops(struct daemon *);
/* Drains this node (on) or takes the drain back. */
void	 daemon_drain(struct daemon *, int on);
/* A drain's ALTERNATE-SERVER again (the live nodes changed). */
void	 daemon_drain_alternate(struct daemon *);

#endif
