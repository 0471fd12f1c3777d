/*
 * daemon.h - the daemon context: the one struct that owns all state.
 *
 * There is no global mutable state outside struct daemon.  Each module keeps
 * its own state behind an opaque pointer here; meetopiad.c (the program, at
 * the top level) creates the modules in order and wires them together
 * through small hooks (for example the relay's peer-policy hook, which
 * signaling's pair table answers).
 */
#ifndef MEETOPIA_DAEMON_H
#define MEETOPIA_DAEMON_H

#include <stdint.h>

#include "common/metrics.h"

struct event_base;
struct event;
struct config;
struct relay;
struct signaling;
struct mdb;
struct secevent_log;

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

	struct metrics		 metrics;	/* every module's figures */
	struct secevent_log	*seclog;	/* security events */

	struct relay		*relay;		/* relay/ */
	struct signaling	*sig;		/* signaling/ */
	struct mdb		*db;		/* db/ */
};

#endif
