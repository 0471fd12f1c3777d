/*
 * meetopiad.c - main(): options, configuration, state dir, the event loop
 * and the wiring of the modules (relay, signaling, db).
 *
 * Start-up order: parse options and configuration (exit 2 on any error,
 * before anything is created); prepare the state dir (generated secrets,
 * self-signed certificate); open the modules; run the loop.  SIGTERM and
 * SIGINT stop gracefully; SIGHUP re-reads the configuration and reports
 * which keys changed (keys that cannot change live are kept).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "auth/tls.h"
#include "cluster/cluster.h"
#include "cluster/limits.h"
#include "cluster/modlog.h"
#include "daemon.h"
#include "daemon_cluster.h"
#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/portshare.h"
#include "common/privdrop.h"
#include "common/secevent.h"
#include "common/statedir.h"
#include "db/db.h"
#include "relay/relay.h"
#include "signaling/signaling.h"

extern char **environ;

#define DEFAULT_CONFIG	SYSCONFDIR "/meetopia/meetopia.conf"
#define DEFAULT_STATE	"var"
#define DRAIN_SECS	30	/* the longest graceful stop */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: meetopiad [-c FILE] [--state-dir=DIR] [--check-config] "
	    "[--KEY=VALUE ...]\n"
	    "\n"
	    "Meetopia server: TURN/STUN relay, WebSocket signaling and the "
	    "web client.\n"
	    "\n"
	    "  -c FILE, --config=FILE  configuration file (default %s)\n"
	    "  --state-dir=DIR         database, generated secret and "
	    "certificate (default ./%s/)\n"
	    "  --check-config          validate, print the effective "
	    "configuration, exit\n"
	    "  --allow-root            run as root when no user is set\n"
	    "  --KEY=VALUE             set any configuration key (see "
	    "meetopia.conf(5))\n"
	    "  -h, --help              this help\n"
	    "  --version               print the version\n"
	    "\n"
	    "Every key can also be set as MEETOPIA_KEY in the environment.\n"
	    "Precedence: command line > environment > file > built-in "
	    "default.\n", DEFAULT_CONFIG, DEFAULT_STATE);
}

/* Takes out meetopiad's own options; the rest must be --key=value. */
static int
parse_options(int argc, char **argv, struct daemon_options *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->config_path = DEFAULT_CONFIG;
	o->state_dir = getenv("MEETOPIA_STATE_DIR");
	if (o->state_dir == NULL || *o->state_dir == '\0')
		o->state_dir = DEFAULT_STATE;
	if ((o->argv = calloc(argc + 1, sizeof(char *))) == NULL)
		return -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "--version") == 0) {
			printf("meetopiad %s\n", PACKAGE_VERSION);
			exit(0);
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				log_fatalx("%s: needs a file name", a);
				return -1;
			}
			o->config_path = argv[++i];
			o->config_given = 1;
		} else if (strncmp(a, "--config=", 9) == 0) {
			o->config_path = a + 9;
			o->config_given = 1;
		} else if (strcmp(a, "--state-dir") == 0) {
			if (i + 1 >= argc) {
				log_fatalx("%s: needs a folder name", a);
				return -1;
			}
			o->state_dir = argv[++i];
		} else if (strncmp(a, "--state-dir=", 12) == 0) {
			o->state_dir = a + 12;
		} else if (strcmp(a, "--check-config") == 0) {
			o->check_config = 1;
		} else if (strcmp(a, "--allow-root") == 0) {
			o->allow_root = 1;
		} else if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
			o->argv[o->argc++] = argv[i];
		} else {
			log_fatalx("%s: unknown argument (try --help)", a);
			return -1;
		}
	}
	if (*o->state_dir == '\0') {
		log_fatalx("--state-dir: empty folder name");
		return -1;
	}
	return 0;
}

/* Loads the configuration from all sources; prints the error itself. */
static struct config *
load_config(const struct daemon_options *o)
{
	struct config *cfg;
	char err[CFG_ERRLEN];

	if ((cfg = cfg_new()) == NULL) {
		log_fatalx("configuration: out of memory");
		return NULL;
	}
	if (cfg_load(cfg, o->config_path, o->config_given, environ, o->argc,
	    o->argv, err, sizeof(err)) != 0) {
		log_fatalx("%s", err);
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

/*
 * Fills in what the state dir provides when the configuration leaves it
 * unset: the auth secret, the certificate and key, the database path.
 */
static int
apply_state(struct daemon *d, struct config *cfg)
{
	char err[CFG_ERRLEN], cert[4096], key[4096], path[4096];
	char *secret;
	int rc;

	if (cfg->auth_secret.n == 0) {
		if (statedir_secret(d->state_dir, "auth-secret", 32, &secret,
		    err, sizeof(err)) != 0) {
			log_fatalx("state dir: %s", err);
			return -1;
		}
		rc = cfg_set(cfg, CFG_SRC_DEFAULT, 0, "auth-secret", secret,
		    err, sizeof(err));
		explicit_bzero(secret, strlen(secret));
		free(secret);
		if (rc != 0) {
			log_fatalx("state dir: auth-secret: %s", err);
			return -1;
		}
	}
	if (cfg->cert == NULL && (cfg->tls_port != 0 || cfg->https_port != 0)) {
		if (statedir_selfsigned(d->state_dir, cert, sizeof(cert), key,
		    sizeof(key), err, sizeof(err)) != 0) {
			log_fatalx("state dir: %s", err);
			return -1;
		}
		if (cfg_set(cfg, CFG_SRC_DEFAULT, 0, "cert", cert, err,
		    sizeof(err)) != 0 || cfg_set(cfg, CFG_SRC_DEFAULT, 0,
		    "pkey", key, err, sizeof(err)) != 0) {
			log_fatalx("state dir: %s", err);
			return -1;
		}
	}
	if (cfg->db == NULL) {
		snprintf(path, sizeof(path), "%s/meetopia.db", d->state_dir);
		if (cfg_set(cfg, CFG_SRC_DEFAULT, 0, "db", path, err,
		    sizeof(err)) != 0) {
			log_fatalx("db: %s", err);
			return -1;
		}
	}
	if (cfg->web_root == NULL) {
		/* The installed client; from a build tree, the source's. */
		const char *web = access(PKGDATADIR "/web/index.html", R_OK)
		    == 0 ? PKGDATADIR "/web" : SRCDIR_WEB;

		if (cfg_set(cfg, CFG_SRC_DEFAULT, 0, "web-root", web, err,
		    sizeof(err)) != 0) {
			log_fatalx("web-root: %s", err);
			return -1;
		}
	}
	return 0;
}

static void
reload_report_cb(const char *key, int live, void *arg)
{
	if (live)
		log_info("config: %s changed", key);
	else
		log_warn("config: %s cannot change without a restart; "
		    "keeping the running value", key);
}

/* The shared ports' security events name clients by pseudonym. */
static void
share_pseudonym(void *arg, const struct maddr *client,
    char out[SHARE_PSEUDONYM_MAX])
{
	char p[PSEUDONYM_LEN + 1];

	mdb_pseudonym(arg, client, p);
	strlcpy(out, p, SHARE_PSEUDONYM_MAX);
}

/*
 * The shared ports (SPEC, Configuration): one TCP listener for HTTP and
 * TURN when http-port equals turn-port, one TLS listener for HTTPS/WSS
 * and TURN over TLS when https-port equals tls-port.  Their
 * demultiplexer hands each connection to signaling's or the relay's
 * connection server.  0, or -1 (logged).
 */
static int
share_open(struct daemon *d)
{
	const struct config *cfg = d->cfg;
	int plain = cfg_shared_plain_port(cfg), tls = cfg_shared_tls_port(cfg);
	struct share_env env;
	char err[CFG_ERRLEN];
	SSL_CTX *ctx;

	if (plain == 0 && tls == 0)
		return 0;
	memset(&env, 0, sizeof(env));
	env.plain_http = plain != 0;
	/* turn-port = tls-port = https-port: one listener for all of them. */
	if (tls != 0 && cfg->turn_port == tls)
		plain = tls;
	env.base = d->base;
	env.http = signaling_conn_server(d->sig);
	env.turn = relay_conn_server(d->relay);
	env.seclog = d->seclog;
	if (d->db != NULL) {
		env.pseudonym = share_pseudonym;
		env.arg = d->db;
	}
	if ((d->share = share_new(&env)) == NULL) {
		log_fatalx("shared ports: out of memory");
		return -1;
	}
	if (tls != 0) {
		if ((ctx = tls_server_ctx(cfg->cert, cfg->pkey, err,
		    sizeof(err))) == NULL) {
			log_fatalx("%s", err);
			return -1;
		}
		share_set_tls(d->share, ctx);
	}
	if (share_listen(d->share, cfg->listen.v, cfg->listen.n, plain, tls,
	    err, sizeof(err)) != 0) {
		log_fatalx("%s", err);
		return -1;
	}
	return 0;
}

/* SIGHUP: new TLS connections on a shared port get the new certificate. */
static void
share_reload(struct daemon *d, const struct config *cfg)
{
	char err[CFG_ERRLEN];
	SSL_CTX *ctx;

	if (d->share == NULL || !share_has_tls(d->share))
		return;
	if ((ctx = tls_server_ctx(cfg->cert, cfg->pkey, err, sizeof(err))) ==
	    NULL) {
		log_err("SIGHUP: the shared TLS port keeps its certificate: %s",
		    err);
		return;
	}
	share_set_tls(d->share, ctx);
}

static void
daemon_reload(struct daemon *d)
{
	struct config *cfg, *old = d->cfg;

	log_info("SIGHUP: re-reading the configuration");
	if ((cfg = load_config(&d->opts)) == NULL) {
		log_err("SIGHUP: configuration refused, keeping the running "
		    "one");
		return;
	}
	if (apply_state(d, cfg) != 0) {
		cfg_free(cfg);
		return;
	}
	cfg_reconcile(old, cfg, reload_report_cb, d);
	log_set_level(cfg->log_level);
	{
		char err[CFG_ERRLEN];

		if (secevent_reopen(d->seclog, cfg->security_log, err,
		    sizeof(err)) != 0)
			log_err("SIGHUP: %s; security events keep their old "
			    "destination", err);
	}
	d->cfg = cfg;
	/* Modules re-read what they keep from the new configuration here,
	 * before the old one is freed (MODULE RELOAD). */
	if (d->db != NULL)
		mdb_reload(d->db, cfg);
	relay_reload(d->relay, cfg);
	if (d->sig != NULL)
		signaling_reload(d->sig, cfg);
	share_reload(d, cfg);
	cfg_free(old);
	log_info("SIGHUP: configuration reloaded");
}

/*
 * The drain of a graceful stop: once a second, exit when the last
 * allocation is gone or DRAIN_SECS have passed.  Clients whose
 * allocations are cut then fail over as from any lost relay.
 */
static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval one = { 1, 0 };
	size_t n = relay_allocations(d->relay);

	if (n == 0 || d->drain_secs++ >= DRAIN_SECS) {
		if (n > 0)
			log_info("drain: %zu allocation%s cut after %d s", n,
			    n == 1 ? "" : "s", DRAIN_SECS);
		else
			log_info("drain: no allocation left");
		event_base_loopexit(d->base, NULL);
		return;
	}
	evtimer_add(d->ev_drain, &one);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval soon = { 0, 200000 };

	switch (sig) {
	case SIGHUP:
		daemon_reload(d);
		break;
	case SIGTERM:
	case SIGINT:
		if (d->stopping) {
			log_warn("second stop signal: exiting now");
			event_base_loopbreak(d->base);
			break;
		}
		log_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		/* Drained as by meetopiactl drain (the WebSockets hear
		 * reconnect before they are closed), for good. */
		daemon_drain(d, 1);
		d->stopping = 1;
		/* Modules stop accepting and drain (MODULE STOP):
		 * WebSockets are told (1001) and closed, the relay takes
		 * no new allocations and serves the ones there are. */
		share_stop(d->share);
		signaling_stop(d->sig);
		relay_stop(d->relay);
		daemon_drain_alternate(d);
		if (d->ev_drain == NULL && (d->ev_drain = evtimer_new(d->base,
		    drain_cb, d)) == NULL) {
			event_base_loopexit(d->base, NULL);
			break;
		}
		if (relay_allocations(d->relay) > 0)
			log_info("drain: %zu allocation%s, for up to %d s "
			    "(a second signal stops at once)",
			    relay_allocations(d->relay),
			    relay_allocations(d->relay) == 1 ? "" : "s",
			    DRAIN_SECS);
		/* A first look soon: the WebSockets' close frames go out
		 * meanwhile even when nothing else is left. */
		evtimer_add(d->ev_drain, &soon);
		break;
	}
}

static int
daemon_signals(struct daemon *d)
{
	signal(SIGPIPE, SIG_IGN);
	/* A file size limit (or a full quota) fails the write with EFBIG,
	 * which the database and the logs report, instead of killing us. */
	signal(SIGXFSZ, SIG_IGN);
	d->ev_sigterm = evsignal_new(d->base, SIGTERM, signal_cb, d);
	d->ev_sigint = evsignal_new(d->base, SIGINT, signal_cb, d);
	d->ev_sighup = evsignal_new(d->base, SIGHUP, signal_cb, d);
	if (d->ev_sigterm == NULL || d->ev_sigint == NULL ||
	    d->ev_sighup == NULL || evsignal_add(d->ev_sigterm, NULL) != 0 ||
	    evsignal_add(d->ev_sigint, NULL) != 0 ||
	    evsignal_add(d->ev_sighup, NULL) != 0)
		return -1;
	return 0;
}

static void
daemon_free(struct daemon *d)
{
	/*
	 * The relay's worker threads stop first: they call into signaling
	 * (the pair hook reads its pair table), the moderation store (bans,
	 * pseudonyms), the security log and the metrics, so nothing of those
	 * may go while a worker still runs.  The main loop has stopped: from
	 * here on this is the only thread of the relay.
	 */
	relay_halt(d->relay);
	/* Commands in flight to Redis are answered (NULL) while the modules
	 * that wait for them are still here. */
	dcluster_halt(d->dc);
	cluster_halt(d->cluster);
	dcluster_free(d->dc);
	/* Modules are freed here, in reverse order of creation (MODULE FREE). */
	share_free(d->share);
	signaling_free(d->sig);
	relay_free(d->relay);
	mdb_close(d->db);
	climits_free(d->climits);
	modlog_free(d->modlog);
	cluster_free(d->cluster);
	if (d->ev_sigterm != NULL)
		event_free(d->ev_sigterm);
	if (d->ev_sigint != NULL)
		event_free(d->ev_sigint);
	if (d->ev_sighup != NULL)
		event_free(d->ev_sighup);
	if (d->ev_drain != NULL)
		event_free(d->ev_drain);
	if (d->ev_alt != NULL)
		event_free(d->ev_alt);
	if (d->base != NULL)
		event_base_free(d->base);
	secevent_close(d->seclog);
	cfg_free(d->cfg);
}

/* The moderation store's answers, for the relay and signaling: is this
 * client banned, and its pseudonym (any thread). */
static int
daemon_is_banned(void *arg, const struct maddr *client)
{
	return mdb_is_banned(arg, client);
}

static void
daemon_pseudonym(void *arg, const struct maddr *client,
    char out[PSEUDONYM_LEN + 1])
{
	mdb_pseudonym(arg, client, out);
}

/* The moderation store's side of signaling's reports, admin requests and
 * their cancellation (signaling.h's struct sig_moderation). */
static int
daemon_report_submit(void *arg, const struct maddr *reporter,
    const struct maddr *reported, const char *reason, const char *detail,
    sig_report_done done, void *done_arg)
{
	int rc;

	rc = mdb_report_submit(arg, reporter, reported, reason, detail, done,
	    done_arg);
	if (rc == DB_OK)
		return 0;
	return rc == DB_INVAL ? SIG_REPORT_INVAL : rc == DB_TOOLONG ?
	    SIG_REPORT_TOOLONG : -1;
}

static int
daemon_admin_request(void *arg, const char *method, const char *path,
    const char *authorization, const char *body, size_t bodylen,
    const struct maddr *client, sig_admin_done done, void *done_arg)
{
	return mdb_admin_request(arg, method, path, authorization, body,
	    bodylen, client, done, done_arg) == DB_OK ? 0 : -1;
}

static void
daemon_cancel(void *arg, void *done_arg)
{
	mdb_cancel(arg, done_arg);
}

/* signaling's pair hook: a pair formed or ended, so the relay re-asks;
 * a new pair's allocations go to one relay thread. */
static void
daemon_pairs_changed(void *arg, const char *a, const char *b, int paired)
{
	relay_pairs_changed(arg);
	if (paired)
		relay_pair_formed(arg, a, b);
}

/* signaling's end hook: a session is gone for good, and so are the
 * allocations made with its credentials. */
static void
daemon_session_ended(void *arg, const char *session)
{
	relay_session_ended(arg, session);
}

/* The moderation store's ban hook: a new ban ends what the banned party
 * holds, its WebSockets and its allocations. */
static void
daemon_bans_changed(void *arg)
{
	struct daemon *d = arg;

	signaling_bans_changed(d->sig);
	relay_bans_changed(d->relay);
}

/* The state dir, metrics, security log, event loop and signals. */
static int
daemon_core(struct daemon *d)
{
	char err[CFG_ERRLEN];

	if (statedir_init(d->state_dir, err, sizeof(err)) != 0) {
		log_fatalx("state dir: %s", err);
		return -1;
	}
	if (apply_state(d, d->cfg) != 0)
		return -1;
	metrics_init(&d->metrics);
	if ((d->seclog = secevent_open(d->cfg->security_log, &d->metrics, err,
	    sizeof(err))) == NULL) {
		log_fatalx("%s", err);
		return -1;
	}
	if ((d->base = event_base_new()) == NULL) {
		log_fatalx("event loop: cannot create");
		return -1;
	}
	if (daemon_signals(d) != 0) {
		log_fatalx("signals: cannot install handlers");
		return -1;
	}
	return 0;
}

/* The cluster (with redis set) and the moderation store. */
static int
daemon_open_stores(struct daemon *d)
{
	char err[CFG_ERRLEN];

	if (d->cfg->redis != NULL) {
		struct cluster_env cenv;

		memset(&cenv, 0, sizeof(cenv));
		cenv.base = d->base;
		cenv.cfg = d->cfg;
		cenv.metrics = &d->metrics;
		cenv.seclog = d->seclog;
		if ((d->cluster = cluster_new(&cenv, err, sizeof(err))) ==
		    NULL) {
			log_fatalx("%s", err);
			return -1;
		}
	}
	if ((d->db = mdb_open(d->base, d->cfg, d->seclog, d->state_dir, err,
	    sizeof(err))) == NULL) {
		log_fatalx("%s", err);
		return -1;
	}
	if (d->cluster != NULL && daemon_modlog_start(d, err,
	    sizeof(err)) != 0) {
		log_fatalx("%s", err);
		return -1;
	}
	return 0;
}

/* The relay, with what it asks of the store. */
static int
daemon_open_relay(struct daemon *d)
{
	struct relay_env renv;
	char err[CFG_ERRLEN];

	memset(&renv, 0, sizeof(renv));
	renv.base = d->base;
	renv.cfg = d->cfg;
	renv.metrics = &d->metrics;
	renv.seclog = d->seclog;
	renv.is_banned = d->db != NULL ? daemon_is_banned : NULL;
	renv.pseudonym = d->db != NULL ? daemon_pseudonym : NULL;
	renv.arg = d->db;
	if ((d->relay = relay_new(&renv, err, sizeof(err))) == NULL) {
		log_fatalx("%s", err);
		return -1;
	}
	return 0;
}

/* Signaling, with its moderation interface, and the hooks between it and
 * the relay. */
static int
daemon_open_signaling(struct daemon *d)
{
	struct sig_env senv;
	char err[CFG_ERRLEN];

	memset(&senv, 0, sizeof(senv));
	senv.base = d->base;
	senv.cfg = d->cfg;
	senv.metrics = &d->metrics;
	senv.seclog = d->seclog;
	senv.state_dir = d->state_dir;
	if (d->db != NULL) {
		senv.mod.is_banned = daemon_is_banned;
		senv.mod.pseudonym = daemon_pseudonym;
		senv.mod.report_submit = daemon_report_submit;
		senv.mod.admin_request = daemon_admin_request;
		senv.mod.cancel = daemon_cancel;
		senv.mod.arg = d->db;
	}
	if ((d->sig = signaling_new(&senv, err, sizeof(err))) == NULL) {
		log_fatalx("%s", err);
		return -1;
	}
	/*
	 * pair-permissions: the relay asks signaling's pair table whether two
	 * of our allocations may talk, and forgets its answers when a pair
	 * forms or ends.
	 */
	relay_set_peer_hook(d->relay, sig_peer_hook, d->sig);
	sig_set_pair_hook(d->sig, daemon_pairs_changed, d->relay);
	/* What a session or a banned client held on the relay ends with it. */
	sig_set_end_hook(d->sig, daemon_session_ended, d->relay);
	if (d->db != NULL)
		mdb_set_ban_hook(d->db, daemon_bans_changed, d);
	/* With a cluster: the node registry, the cluster-wide queue and
	 * partners on other nodes (daemon_cluster.h). */
	if (d->cluster != NULL && (d->dc = dcluster_new(d->cluster, d->sig,
	    d->relay, &d->metrics, d->cfg, &d->draining)) == NULL) {
		log_fatalx("cluster: cannot set up the node registry");
		return -1;
	}
	daemon_node_ops(d);
	if (d->cluster != NULL && d->db != NULL && daemon_limits_start(d) != 0)
		return -1;
	return share_open(d);
}

/* Drops root (the ports are bound) and starts every module. */
static int
daemon_start(struct daemon *d)
{
	char err[CFG_ERRLEN];

	if (priv_drop(d->cfg->user, d->cfg->group, d->state_dir, err,
	    sizeof(err)) != 0) {
		log_fatalx("%s", err);
		return -1;
	}
	if (relay_start(d->relay) != 0) {
		log_fatalx("relay: cannot start the listeners");
		return -1;
	}
	if (signaling_start(d->sig) != 0) {
		log_fatalx("signaling: cannot start the listeners");
		return -1;
	}
	if (d->share != NULL) {
		if (share_start(d->share) != 0) {
			log_fatalx("shared ports: cannot start the listeners");
			return -1;
		}
		if (cfg_shared_tls_port(d->cfg) != 0 &&
		    d->cfg->turn_port == cfg_shared_tls_port(d->cfg))
			log_info("TURN over UDP, TCP and TLS, HTTPS%s share "
			    "port %d", cfg_shared_plain_port(d->cfg) != 0 ?
			    " and HTTP" : "", d->cfg->turn_port);
		else if (cfg_shared_plain_port(d->cfg) != 0)
			log_info("HTTP and STUN/TURN share TCP port %d",
			    cfg_shared_plain_port(d->cfg));
		if (cfg_shared_tls_port(d->cfg) != 0 &&
		    d->cfg->turn_port != cfg_shared_tls_port(d->cfg))
			log_info("HTTPS and TURN over TLS share port %d",
			    cfg_shared_tls_port(d->cfg));
	}
	if (d->cluster != NULL && cluster_start(d->cluster) != 0) {
		log_fatalx("cluster: cannot start the Redis link");
		return -1;
	}
	return 0;
}

/* --check-config: prints the configuration as it is understood. */
static void
daemon_check_config(const struct daemon *d)
{
	printf("# meetopiad %s: configuration is valid\n", PACKAGE_VERSION);
	printf("# state dir: %s\n", d->state_dir);
	cfg_dump(d->cfg, 1, stdout);
}

int
main(int argc, char **argv)
{
	struct daemon d;
	char err[CFG_ERRLEN];
	int rc = 1;

	log_init("meetopiad", LOG_LEVEL_INFO);
	memset(&d, 0, sizeof(d));
	if (parse_options(argc, argv, &d.opts) != 0) {
		free(d.opts.argv);
		return 2;
	}
	d.state_dir = d.opts.state_dir;
	if ((d.cfg = load_config(&d.opts)) == NULL) {
		free(d.opts.argv);
		return 2;
	}
	log_set_level(d.cfg->log_level);
	if (d.opts.check_config) {
		daemon_check_config(&d);
		cfg_free(d.cfg);
		free(d.opts.argv);
		return 0;
	}
	if (priv_check(d.cfg->user, d.opts.allow_root, err, sizeof(err)) != 0) {
		log_fatalx("%s", err);
		cfg_free(d.cfg);
		free(d.opts.argv);
		return 2;
	}
	/* Modules are created and started here, in order (MODULE START). */
	if (daemon_core(&d) != 0 || daemon_open_stores(&d) != 0 ||
	    daemon_open_relay(&d) != 0 || daemon_open_signaling(&d) != 0 ||
	    daemon_start(&d) != 0)
		goto out;
	log_info("meetopiad %s ready", PACKAGE_VERSION);
	if (event_base_dispatch(d.base) < 0) {
		log_err("event loop failed");
		goto out;
	}
	log_info("stopped");
	rc = 0;
out:
	daemon_free(&d);
	free(d.opts.argv);
	return rc;
}
