/*
 * config.h - the configuration model of SPEC: every key, its type, default
 * and range, and the four sources in order of precedence:
 *
 *	command line (--key=value) > environment (MEETOPIA_KEY) > file > default
 *
 * A later source replaces a key's value as a whole, lists included; within
 * one source a list key may repeat (each occurrence adds an entry) while a
 * scalar key may not.  Every error names where the value came from (file and
 * line, environment variable or option), the key and why it was refused.
 */
#ifndef MEETOPIA_CONFIG_H
#define MEETOPIA_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/log.h"

struct cfg_strs {
	size_t		  n;
	char		**v;
};

struct cfg_addrs {
	size_t		  n;
	struct maddr	 *v;
};

struct cfg_ranges {
	size_t		  n;
	struct addr_range *v;
};

/* external-ip: PUBLIC or PUBLIC/PRIVATE. */
struct cfg_extip {
	int		 set;
	struct maddr	 pub;
	int		 has_priv;
	struct maddr	 priv;
};

enum cfg_source {
	CFG_SRC_DEFAULT = 0,
	CFG_SRC_FILE,
	CFG_SRC_ENV,
	CFG_SRC_CMDLINE
};

/* Where each key's value came from, for --check-config and errors. */
struct cfg_origin {
	enum cfg_source	 src;
	int		 line;		/* for CFG_SRC_FILE */
};

struct config {
	struct cfg_addrs	listen;
	int			turn_port;
	int			tls_port;
	int			http_port;
	int			https_port;
	char		       *cert;		/* NULL: generated in state dir */
	char		       *pkey;
	char		       *server_name;	/* NULL: none (DNS name) */
	char		       *realm;
	struct cfg_strs		auth_secret;	/* empty: generated in state dir */
	long long		credential_ttl;	/* seconds */
	struct maddr		relay_ip;	/* family 0: first listen */
	struct cfg_extip	external_ip;
	int			min_port;
	int			max_port;
	long long		max_allocate_lifetime;
	long long		user_quota;
	long long		ip_quota;
	long long		total_quota;
	long long		max_bps;
	struct cfg_ranges	denied_peer_ip;	/* added to the built-in list */
	struct cfg_ranges	allowed_peer_ip;
	int			relay_only;
	long long		ice_candidate_pool_size;
	long long		signal_rate_limit;
	int			pair_permissions;
	int			force_https;
	long long		resume_window;
	struct cfg_strs		cors_origins;	/* empty: the server's own */
	long long		rate_limit_window;
	long long		rate_limit_max;
	long long		message_rate_limit;
	long long		max_message_length;
	long long		max_connections_per_ip;
	char		       *db;		/* NULL: <state-dir>/meetopia.db */
	long long		ban_default;
	long long		ban_max;
	long long		report_retention;
	long long		auto_ban_reports;
	long long		auto_ban_window;
	long long		relay_threads;
	struct cfg_ranges	metrics_allow;	/* empty: loopback only */
	struct cfg_strs		api_key;
	enum log_level		log_level;
	char		       *security_log;	/* "stderr", "syslog" or a path */
	char		       *user;
	char		       *group;
	char		       *web_root;	/* NULL: installed web client */
	char		       *redis;		/* NULL: no cluster */
	char		       *cluster_prefix;
	char		       *node_name;	/* NULL: the host name */
	struct maddr		node_address;	/* family 0: see SPEC */

	/* Private to config.c: where each key's value came from. */
	struct cfg_origin	origins[64];
};

/* Error text, one line, set by the loading functions on failure. */
#define CFG_ERRLEN	512

struct config	*cfg_new(void);			/* built-in defaults */
void		 cfg_free(struct config *);

/*
 * Loads the sources in order.  path may be NULL (no file).  argv holds only
 * the --key=value options (the caller takes out its own options first);
 * envp is the environment.  Returns 0, or -1 with err filled.
 */
int		 cfg_load(struct config *, const char *path, int must_exist,
		    char *const *envp, int argc, char *const *argv,
		    char *err, size_t errlen);

/* Parses one "key = value" file's text; used by cfg_load and the fuzzer. */
int		 cfg_parse_text(struct config *, const char *name,
		    const char *text, size_t len, char *err, size_t errlen);

/* Sets one key from a source; 0 or -1 with err ("KEY: why"). */
int		 cfg_set(struct config *, enum cfg_source, int line,
		    const char *key, const char *value, char *err,
		    size_t errlen);

/* Cross-key checks (min-port <= max-port, ban-default <= ban-max, ...). */
int		 cfg_validate(const struct config *, char *, size_t);

/*
 * The shared ports (SPEC, Configuration): http-port when it equals
 * turn-port (one TCP listener for HTTP and TURN), https-port when it
 * equals tls-port (one TLS listener for HTTPS/WSS and TURN over TLS);
 * 0 when not shared.
 */
int		 cfg_shared_plain_port(const struct config *);
int		 cfg_shared_tls_port(const struct config *);

/*
 * Writes the effective configuration as a config file, secrets masked
 * when mask is set, one "key = value" line per value with a comment saying
 * where it came from.
 */
void		 cfg_dump(const struct config *, int mask, void *fp);

/*
 * After SIGHUP: calls cb once for each key whose value differs between old
 * and new.  Keys that cannot change live are copied back from old into new
 * (and reported with live = 0).
 */
void		 cfg_reconcile(const struct config *old, struct config *new,
		    void (*cb)(const char *key, int live, void *), void *);

/* The durations of SPEC: "90", "90s", "15m", "24h", "30d". */
int		 cfg_parse_duration(const char *, long long *);
/*
 * The words of a token value (node-name, cluster-prefix, and the cluster's
 * session ids and node names): letters, digits and . _ : { } -.
 * cfg_token_valid: nonzero when s is 1 to max such characters.
 */
int		 cfg_token_char(int c);
int		 cfg_token_valid(const char *s, size_t max);

const struct cfg_origin *cfg_origin_of(const struct config *, const char *);

/* Whether `ip` may read /metrics: metrics-allow, or loopback by default. */
int		 cfg_metrics_allowed(const struct config *, const struct maddr *);

#endif
