/*
 * server.c - the signaling module's lifecycle (signaling.h): its state,
 * the hooks the daemon wires (struct sig_env, the pair and end hooks),
 * security events and pseudonyms.  The HTTP
 * connection loop is hconn.c, what each path answers routes.c, TURN
 * credentials for clients ice.c, WebSocket sessions session.c.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "auth/cred.h"
#include "auth/tls.h"
#include "common/config.h"
#include "common/listener.h"
#include "common/log.h"
#include "common/statedir.h"
#include "signaling/sig.h"

/* enum sig_err's names, SPEC's words. */
static const char *const sig_err_names[SIG_ERR_COUNT] = {
	"bad_request", "too_long", "rate_limited", "no_partner", "banned",
	"bad_token", "internal"
};

/* The SPEC code of an error. */
const char *
sig_err_name(enum sig_err e)
{
	return (unsigned)e < SIG_ERR_COUNT ? sig_err_names[e] : "internal";
}

/* ------------------------------------------------------------------ */
/* Security events and pseudonyms. */

void
sig_pseudonym(struct signaling *sig, const struct maddr *a,
    char out[PSEUDONYM_LEN + 1])
{
	if (sig->env.mod.pseudonym != NULL)
		sig->env.mod.pseudonym(sig->env.mod.arg, a, out);
	else
		strlcpy(out, "unknown", PSEUDONYM_LEN + 1);
}

void
sig_secevent(struct signaling *sig, enum secev_type type,
    enum secev_severity sev, const char *session, const struct maddr *a,
    const char *event, json_t *details)
{
	char p[PSEUDONYM_LEN + 1];

	if (sig->env.seclog == NULL) {
		if (details != NULL)
			json_decref(details);
		return;
	}
	if (a != NULL)
		sig_pseudonym(sig, a, p);
	secevent_emit(sig->env.seclog, type, sev, session, a != NULL ? p : NULL,
	    event, details);
}


/* Once a minute: the API's rate windows that ended. */
static void
gc_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sig_rate_gc(arg);
}

static void
set_web_root(struct signaling *sig, const struct config *cfg)
{
	char real[PATH_MAX];

	free(sig->web_root);
	sig->web_root = NULL;
	if (cfg->web_root == NULL)
		return;
	if (realpath(cfg->web_root, real) == NULL) {
		log_warn("web-root %s: %s; static files answer 404",
		    cfg->web_root, strerror(errno));
		return;
	}
	sig->web_root = strdup(real);
}

/* The resume token key: 32 random bytes kept in the state dir, in hex. */
static int
load_jwt_key(struct signaling *sig, char *err, size_t errlen)
{
	char *secret = NULL;
	size_t i, slen;

	if (statedir_secret(sig->env.state_dir, "resume-secret", 32, &secret,
	    err, errlen) != 0)
		return -1;
	slen = strlen(secret);
	for (i = 0; i < sizeof(sig->jwt_key) && 2 * i + 1 < slen; i++) {
		unsigned v;
		char hex[3] = { secret[2 * i], secret[2 * i + 1], 0 };

		v = (unsigned)strtoul(hex, NULL, 16);
		sig->jwt_key[i] = (uint8_t)v;
	}
	explicit_bzero(secret, slen);
	free(secret);
	if (i < sizeof(sig->jwt_key)) {
		snprintf(err, errlen, "state dir: resume-secret is too short");
		return -1;
	}
	return 0;
}

struct signaling *
signaling_new(const struct sig_env *env, char *err, size_t errlen)
{
	struct signaling *sig;
	struct timeval tv = { 60, 0 };

	if ((sig = calloc(1, sizeof(*sig))) == NULL) {
		snprintf(err, errlen, "signaling: out of memory");
		return NULL;
	}
	sig->env = *env;
	sig->base = env->base;
	RB_INIT(&sig->rates);
	RB_INIT(&sig->sessions);
	TAILQ_INIT(&sig->dropped);
	RB_INIT(&sig->dropips);
	pair_queue_init(&sig->queue, PAIR_INTEREST_WAIT);
	if (metrics_name_errors(env->metrics, sig_err_names, SIG_ERR_COUNT) !=
	    0) {
		snprintf(err, errlen, "signaling: too many error codes");
		goto fail;
	}
	if ((sig->pairs = pair_table_new()) == NULL ||
	    (sig->gc = event_new(sig->base, -1, EV_PERSIST, gc_cb, sig)) ==
	    NULL) {
		snprintf(err, errlen, "signaling: out of memory");
		goto fail;
	}
	evtimer_add(sig->gc, &tv);
	if (load_jwt_key(sig, err, errlen) != 0)
		goto fail;
	set_web_root(sig, env->cfg);
	if (sig_http_listen(sig, env->cfg, err, errlen) != 0)
		goto fail;
	return sig;
fail:
	signaling_free(sig);
	return NULL;
}

int
signaling_start(struct signaling *sig)
{
	if (conn_server_start(sig->cs) != 0)
		return -1;
	log_info("signaling: HTTP on port %d%s", sig->env.cfg->http_port,
	    conn_server_tls(sig->cs) != NULL ? ", HTTPS too" : "");
	if (sig->env.cfg->tls_port != 0 && sig->env.cfg->server_name == NULL)
		log_warn("signaling: no server-name: turns: URLs carry an IP "
		    "address, and browsers do not use TURN over TLS by address "
		    "(set server-name to the DNS name of the certificate)");
	return 0;
}

void
signaling_reload(struct signaling *sig, const struct config *cfg)
{
	char err[512];
	SSL_CTX *ctx;

	if (sig == NULL)
		return;
	sig->env.cfg = cfg;
	set_web_root(sig, cfg);
	if (conn_server_tls(sig->cs) != NULL) {
		if ((ctx = tls_server_ctx(cfg->cert, cfg->pkey, err,
		    sizeof(err))) == NULL)
			log_err("SIGHUP: HTTPS keeps its certificate: %s", err);
		else
			conn_server_set_tls(sig->cs, ctx);
	}
	session_reload(sig);
}

void
signaling_stop(struct signaling *sig)
{
	if (sig == NULL)
		return;
	sig->stopping = 1;
	sig_http_stop(sig);
}

void
signaling_free(struct signaling *sig)
{
	if (sig == NULL)
		return;
	sig->stopping = 1;
	conn_server_free(sig->cs);
	session_free_all(sig);
	sig_rate_free(sig);
	if (sig->gc != NULL)
		event_free(sig->gc);
	pair_table_free(sig->pairs);
	free(sig->web_root);
	explicit_bzero(sig->jwt_key, sizeof(sig->jwt_key));
	free(sig);
}

int
sig_are_partners(struct signaling *sig, const char *a, const char *b)
{
	return sig != NULL && pair_table_are(sig->pairs, a, b);
}

int
sig_peer_hook(void *arg, const char *user_a, const char *user_b)
{
	struct signaling *sig = arg;
	char a[CRED_ID_MAX], b[CRED_ID_MAX];

	if (cred_session_of(user_a, strlen(user_a), a, sizeof(a)) != 0)
		return 1;	/* not a session's credential: not restricted */
	if (cred_session_of(user_b, strlen(user_b), b, sizeof(b)) != 0)
		return 0;
	return sig_are_partners(sig, a, b);
}

void
sig_set_pair_hook(struct signaling *sig, sig_pair_hook fn, void *arg)
{
	sig->hook = fn;
	sig->hook_arg = arg;
}

void
sig_set_limits(struct signaling *sig, const struct sig_limits *l)
{
	sig->limits = *l;
}

void
sig_set_end_hook(struct signaling *sig, sig_end_hook fn, void *arg)
{
	sig->end_hook = fn;
	sig->end_hook_arg = arg;
}

void
signaling_bans_changed(struct signaling *sig)
{
	if (sig != NULL && !sig->stopping)
		session_ban_check(sig);
}

