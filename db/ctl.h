/*
 * ctl.h - meetopiactl's command line, parsed into a struct without doing
 * anything (so the parser can be fuzzed on its own: tests/fuzz/fuzz_ctl.c).
 *
 *   meetopiactl [-c CONF] [--db FILE] [--state-dir DIR] [--json] COMMAND
 *
 * Options may come before or after the command words; "--opt VALUE" and
 * "--opt=VALUE" are the same.  An option that the command does not take is
 * a usage error.
 */
#ifndef MEETOPIA_CTL_H
#define MEETOPIA_CTL_H

#include <stddef.h>
#include <stdint.h>

enum ctl_cmd {
	CTL_NONE = 0,
	CTL_HELP,
	CTL_VERSION,
	CTL_BAN_ADD,
	CTL_BAN_LIST,
	CTL_BAN_REMOVE,
	CTL_REPORT_LIST,
	CTL_REPORT_SHOW,
	CTL_REPORT_RESOLVE,
	CTL_ADMIN_ADD,
	CTL_ADMIN_LIST,
	CTL_ADMIN_REMOVE,
	CTL_CREDENTIAL,
	CTL_PURGE,
	CTL_STATS,
	CTL_NODES,
	CTL_DRAIN
};

#define CTL_ERRLEN	256

struct ctl_opts {
	/* global */
	const char	*config;	/* NULL: the default file */
	const char	*db;		/* --db */
	const char	*state_dir;	/* --state-dir */
	int		 json;
	enum ctl_cmd	 cmd;

	/* command arguments */
	const char	*target;	/* ban add ADDRESS|CIDR */
	int64_t		 report;	/* ban add --report ID */
	int64_t		 id;		/* ban remove, report show/resolve */
	const char	*name;		/* admin add/remove */
	const char	*reason;	/* ban add --reason */
	int64_t		 for_secs;	/* ban add --for; 0: ban-default */
	const char	*for_text;	/* as given, for errors */
	int		 all;		/* ban list --all */
	int		 open_only;	/* report list --open */
	const char	*cred_id;	/* credential --id */
	int64_t		 ttl;		/* credential --ttl; 0: default */
	const char	*node;		/* drain --node */
	int		 undo;		/* drain --undo */
};

/* 0, or -1 with a one-line err (without the program name). */
int	ctl_parse(int argc, char *const *argv, struct ctl_opts *, char *err,
	    size_t errlen);

/* Durations as SPEC writes them: "45s", "90m", "23h59m", "7d". */
void	ctl_fmt_duration(int64_t secs, char *buf, size_t len);

#endif
