/*
 * config.c - the precedence of SPEC's configuration sources (see config.h):
 * built-in defaults, then the file, the environment and the command line,
 * each replacing what came before; then the checks across keys.
 *
 * The keys are in config_keys.c, the parsing of one value by its type in
 * config_value.c and the writing of values back out in config_dump.c.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config_int.h"
#include "common/rdwr.h"
#include "common/redis_url.h"

/* Sets key from one source; a repeated non-list key is refused. */
int
cfg_set(struct config *cfg, enum cfg_source src, int line, const char *key,
    const char *value, char *err, size_t errlen)
{
	const struct cfg_key *k;
	struct cfg_origin *o;
	char why[CFG_ERRLEN];
	size_t idx;

	if ((k = cfg_find(key, &idx)) == NULL) {
		cfg_err(err, errlen, "%s: unknown key", key);
		return -1;
	}
	o = &cfg->origins[idx];
	if (o->src == src && src != CFG_SRC_DEFAULT && !cfg_is_list(k)) {
		if (o->line > 0)
			cfg_err(err, errlen, "%s: repeated key (first set on "
			    "line %d; only list keys may repeat)", key,
			    o->line);
		else
			cfg_err(err, errlen, "%s: repeated key (only list "
			    "keys may repeat)", key);
		return -1;
	}
	if (o->src != src || !cfg_is_list(k)) {
		/* A new source replaces the value, a list as a whole. */
		if (cfg_is_list(k))
			cfg_clear_key(cfg, k);
	}
	why[0] = '\0';
	if (cfg_store(cfg, k, value, why, sizeof(why)) != 0) {
		cfg_err(err, errlen, "%s: %s", key, why);
		return -1;
	}
	o->src = src;
	o->line = line;
	return 0;
}

/* A config with the built-in defaults (NULL: no memory). */
struct config *
cfg_new(void)
{
	struct config *cfg;
	size_t i;
	char err[CFG_ERRLEN];

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	for (i = 0; i < cfg_nkeys; i++) {
		if (cfg_keys[i].def == NULL)
			continue;
		if (cfg_set(cfg, CFG_SRC_DEFAULT, 0, cfg_keys[i].name,
		    cfg_keys[i].def, err, sizeof(err)) != 0) {
			cfg_free(cfg);
			return NULL;
		}
	}
	return cfg;
}

/* Frees cfg and every value it holds, wiping secrets; NULL is fine. */
void
cfg_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg_nkeys; i++)
		cfg_clear_key(cfg, &cfg_keys[i]);
	free(cfg);
}

/*
 * The file format: one "key = value" per line; blank lines and lines whose
 * first non-blank character is '#' are ignored, as is a '#' comment that
 * follows blank space after a value.  Lines are at most 4096 bytes; NUL
 * bytes and control characters are refused.
 */
#define CFG_LINE_MAX	4096

/* s without blank space at either end (the end is cut in place). */
static char *
cfg_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Parses one file's text into cfg; err names the file and line. */
int
cfg_parse_text(struct config *cfg, const char *name, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct rd r;
	char line[CFG_LINE_MAX + 1], msg[CFG_ERRLEN];
	int lineno = 0;

	rd_init(&r, text, len);
	while (r.left > 0) {
		size_t n = 0;
		char *s, *eq, *key, *val, *hash;
		uint8_t c = 0;

		lineno++;
		while (r.left > 0 && (c = rd_u8(&r)) != '\n') {
			if (c == '\0') {
				cfg_err(err, errlen, "%s:%d: NUL byte in line",
				    name, lineno);
				return -1;
			}
			if (n >= CFG_LINE_MAX) {
				cfg_err(err, errlen, "%s:%d: line longer than "
				    "%d bytes", name, lineno, CFG_LINE_MAX);
				return -1;
			}
			line[n++] = (char)c;
		}
		line[n] = '\0';
		s = cfg_trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			cfg_err(err, errlen, "%s:%d: expected 'key = value'",
			    name, lineno);
			return -1;
		}
		*eq = '\0';
		key = cfg_trim(s);
		val = eq + 1;
		/* An inline comment needs blank space before its '#'. */
		for (hash = val; (hash = strchr(hash, '#')) != NULL; hash++) {
			if (hash > val && (hash[-1] == ' ' || hash[-1] == '\t')) {
				*hash = '\0';
				break;
			}
		}
		val = cfg_trim(val);
		if (*key == '\0') {
			cfg_err(err, errlen, "%s:%d: missing key before '='",
			    name, lineno);
			return -1;
		}
		if (cfg_set(cfg, CFG_SRC_FILE, lineno, key, val, msg,
		    sizeof(msg)) != 0) {
			cfg_err(err, errlen, "%s:%d: %s", name, lineno, msg);
			return -1;
		}
	}
	return 0;
}

/* Whether the redis URL of k holds a password. */
static int
cfg_redis_has_password(const struct config *cfg, const struct cfg_key *k)
{
	char *const *p = FIELD((struct config *)(uintptr_t)cfg, k, char *);
	struct redis_url u;
	int yes;

	if (*p == NULL || redis_url_parse(*p, &u, NULL, 0) != 0)
		return 0;
	yes = u.has_password;
	redis_url_clear(&u);
	return yes;
}

/*
 * SPEC: a configuration file that holds a secret and can be read by other
 * users is refused, like a state-dir secret with a loose mode (group or
 * other permissions), or owned by another user than us or root.  st is the
 * file's, just read into cfg (so a secret key set from the file is one set
 * by this file: the file is the first source).
 */
static int
cfg_file_secret_check(const struct config *cfg, const char *path,
    const struct stat *st, char *err, size_t errlen)
{
	const char *secret = NULL;
	size_t i;

	for (i = 0; i < cfg_nkeys && secret == NULL; i++)
		if ((cfg_keys[i].type == T_SECRETS ||
		    (cfg_keys[i].type == T_REDIS &&
		    cfg_redis_has_password(cfg, &cfg_keys[i]))) &&
		    cfg->origins[i].src == CFG_SRC_FILE)
			secret = cfg_keys[i].type == T_REDIS ?
			    "a password in redis" : cfg_keys[i].name;
	if (secret == NULL)
		return 0;
	if ((st->st_mode & 077) != 0) {
		cfg_err(err, errlen, "%s: holds %s and other users may read "
		    "it (mode %03o): chmod 600 it", path, secret,
		    (unsigned)(st->st_mode & 0777));
		return -1;
	}
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		cfg_err(err, errlen, "%s: holds %s and belongs to another "
		    "user (uid %u): its owner can read it", path, secret,
		    (unsigned)st->st_uid);
		return -1;
	}
	return 0;
}

/* Reads and parses the file at path (at most 4 MiB). */
static int
cfg_load_file(struct config *cfg, const char *path, int must_exist,
    char *err, size_t errlen)
{
	struct stat st;
	FILE *fp;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		cfg_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) != 0) {
		cfg_err(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nb;

			if (cap >= 4 * 1024 * 1024) {
				cfg_err(err, errlen, "%s: file larger than "
				    "4 MiB", path);
				goto fail;
			}
			cap = cap ? cap * 2 : 8192;
			if ((nb = realloc(buf, cap)) == NULL) {
				cfg_err(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		cfg_err(err, errlen, "%s: read error", path);
		goto fail;
	}
	fclose(fp);
	rc = cfg_parse_text(cfg, path, buf, len, err, errlen);
	explicit_bzero(buf, len);
	free(buf);
	if (rc == 0)
		rc = cfg_file_secret_check(cfg, path, &st, err, errlen);
	return rc;
fail:
	fclose(fp);
	if (buf != NULL)
		explicit_bzero(buf, len);
	free(buf);
	return -1;
}

/* MEETOPIA_TURN_PORT -> turn-port; list keys take comma-separated values. */
static int
cfg_load_env(struct config *cfg, char *const *envp, char *err, size_t errlen)
{
	char name[128], msg[CFG_ERRLEN], *val, *item, *save;
	const struct cfg_key *k;
	size_t i, j;

	if (envp == NULL)
		return 0;
	for (i = 0; envp[i] != NULL; i++) {
		const char *e = envp[i], *eq;

		if (strncmp(e, "MEETOPIA_", 9) != 0 ||
		    (eq = strchr(e, '=')) == NULL)
			continue;
		if ((size_t)(eq - e - 9) >= sizeof(name))
			continue;
		for (j = 0; e + 9 + j < eq; j++) {
			char c = e[9 + j];

			name[j] = c == '_' ? '-' : (char)tolower((unsigned char)c);
		}
		name[j] = '\0';
		if (strcmp(name, "state-dir") == 0)
			continue;	/* the caller's, not a config key */
		if ((k = cfg_find(name, NULL)) == NULL) {
			log_warn("environment: %.*s: not a configuration key, "
			    "ignored", (int)(eq - e), e);
			continue;
		}
		if ((val = strdup(eq + 1)) == NULL) {
			cfg_err(err, errlen, "environment: out of memory");
			return -1;
		}
		if (cfg_is_list(k)) {
			int any = 0;

			for (item = strtok_r(val, ",", &save); item != NULL;
			    item = strtok_r(NULL, ",", &save)) {
				item = cfg_trim(item);
				if (*item == '\0')
					continue;
				any = 1;
				if (cfg_set(cfg, CFG_SRC_ENV, 0, name, item,
				    msg, sizeof(msg)) != 0)
					goto bad;
			}
			if (!any && cfg_set(cfg, CFG_SRC_ENV, 0, name, "", msg,
			    sizeof(msg)) != 0)
				goto bad;
		} else if (cfg_set(cfg, CFG_SRC_ENV, 0, name, cfg_trim(val),
		    msg, sizeof(msg)) != 0)
			goto bad;
		free(val);
		continue;
	bad:
		cfg_err(err, errlen, "environment %.*s: %s", (int)(eq - e), e,
		    msg);
		free(val);
		return -1;
	}
	return 0;
}

/* --key=VALUE arguments; a boolean key alone means yes. */
static int
cfg_load_args(struct config *cfg, int argc, char *const *argv, char *err,
    size_t errlen)
{
	char name[128], msg[CFG_ERRLEN];
	const struct cfg_key *k;
	const char *val;
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t n;

		if (strncmp(a, "--", 2) != 0) {
			cfg_err(err, errlen, "%s: not an option", a);
			return -1;
		}
		a += 2;
		eq = strchr(a, '=');
		n = eq != NULL ? (size_t)(eq - a) : strlen(a);
		if (n == 0 || n >= sizeof(name)) {
			cfg_err(err, errlen, "--%s: not a configuration key", a);
			return -1;
		}
		memcpy(name, a, n);
		name[n] = '\0';
		if ((k = cfg_find(name, NULL)) == NULL) {
			cfg_err(err, errlen, "--%s: unknown option", name);
			return -1;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (k->type == T_BOOL)
			val = "yes";	/* --force-https alone */
		else {
			cfg_err(err, errlen, "--%s: needs a value "
			    "(--%s=VALUE)", name, name);
			return -1;
		}
		if (cfg_set(cfg, CFG_SRC_CMDLINE, 0, name, val, msg,
		    sizeof(msg)) != 0) {
			cfg_err(err, errlen, "--%s", msg);
			return -1;
		}
	}
	return 0;
}

/* The port HTTP shares with TURN over TCP (0: none). */
int
cfg_shared_plain_port(const struct config *cfg)
{
	return cfg->http_port == cfg->turn_port ? cfg->http_port : 0;
}

/* The port HTTPS shares with TURN over TLS (0: none). */
int
cfg_shared_tls_port(const struct config *cfg)
{
	return cfg->https_port != 0 && cfg->https_port == cfg->tls_port ?
	    cfg->https_port : 0;
}

/*
 * Two listeners on one port: only HTTP with TURN over TCP (http-port =
 * turn-port), HTTPS with TURN over TLS (https-port = tls-port), or all of
 * TURN with HTTPS (turn-port = tls-port = https-port, http-port too if
 * wanted: the first bytes tell a ClientHello), which one demultiplexer
 * serves; two of one protocol cannot be told apart.  0, or -1 with err.
 */
static int
cfg_check_ports(const struct config *cfg, char *err, size_t errlen)
{
	const struct {
		const char	*key;
		int		 port;
		int		 tls;
		int		 http;
	} p[] = {
		{ "turn-port", cfg->turn_port, 0, 0 },
		{ "tls-port", cfg->tls_port, 1, 0 },
		{ "http-port", cfg->http_port, 0, 1 },
		{ "https-port", cfg->https_port, 1, 1 },
	};
	size_t i, j;

	/* Everything on one port: any of the four equal to it is served. */
	if (cfg->turn_port != 0 && cfg->turn_port == cfg->tls_port &&
	    cfg->tls_port == cfg->https_port)
		return 0;
	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		for (j = i + 1; j < sizeof(p) / sizeof(p[0]); j++) {
			if (p[i].port == 0 || p[i].port != p[j].port)
				continue;
			if (p[i].tls == p[j].tls && p[i].http != p[j].http)
				continue;	/* a pair the demux serves */
			cfg_err(err, errlen, "%s: %d is also %s; only "
			    "http-port = turn-port, https-port = tls-port and "
			    "turn-port = tls-port = https-port may share a "
			    "port", p[j].key, p[j].port, p[i].key);
			return -1;
		}
	return 0;
}

/* The checks across keys, after every source is read. */
int
cfg_validate(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg_check_ports(cfg, err, errlen) != 0)
		return -1;
	if (cfg->min_port > cfg->max_port) {
		cfg_err(err, errlen, "max-port: %d is below min-port %d",
		    cfg->max_port, cfg->min_port);
		return -1;
	}
	if (cfg->ban_default > cfg->ban_max) {
		cfg_err(err, errlen, "ban-default: %llds is longer than "
		    "ban-max %llds", cfg->ban_default, cfg->ban_max);
		return -1;
	}
	if (cfg->listen.n == 0) {
		cfg_err(err, errlen, "listen: no address to listen on");
		return -1;
	}
	if ((cfg->cert == NULL) != (cfg->pkey == NULL)) {
		cfg_err(err, errlen, "%s: cert and pkey go together",
		    cfg->cert == NULL ? "cert" : "pkey");
		return -1;
	}
	return 0;
}

/* Reads every source in precedence order, then validates. */
int
cfg_load(struct config *cfg, const char *path, int must_exist,
    char *const *envp, int argc, char *const *argv, char *err, size_t errlen)
{
	if (path != NULL && cfg_load_file(cfg, path, must_exist, err,
	    errlen) != 0)
		return -1;
	if (cfg_load_env(cfg, envp, err, errlen) != 0)
		return -1;
	if (cfg_load_args(cfg, argc, argv, err, errlen) != 0)
		return -1;
	return cfg_validate(cfg, err, errlen);
}

/* Whether ip may read /metrics: metrics-allow, or loopback by default. */
int
cfg_metrics_allowed(const struct config *cfg, const struct maddr *ip)
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	size_t i;

	if (cfg->metrics_allow.n == 0)
		return (ip->family == AF_INET && ip->ip[0] == 127) ||
		    (ip->family == AF_INET6 &&
		    memcmp(ip->ip, v6lo, 16) == 0);
	for (i = 0; i < cfg->metrics_allow.n; i++)
		if (addr_in_range(ip, &cfg->metrics_allow.v[i]))
			return 1;
	return 0;
}
