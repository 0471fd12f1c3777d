/*
 * config.c - SPEC's configuration keys, their parsers and the precedence of
 * sources (see config.h).
 *
 * One table describes every key: its name, type, place in struct config,
 * range, built-in default (a string fed through the same parser as a file
 * value) and whether it may change on SIGHUP.  Values are parsed strictly:
 * trailing garbage, out-of-range numbers, host bits in a CIDR, an origin
 * with a path, all are refused with the reason.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/rdwr.h"
#include "common/redis_url.h"

enum cfg_type {
	T_ADDRS,	/* repeatable IP literals */
	T_PORT,		/* 1-65535 */
	T_PORT0,	/* 0-65535, 0 = off */
	T_STR,		/* one-line text */
	T_PATH,		/* a file or folder name */
	T_STRS,		/* repeatable text */
	T_SECRETS,	/* repeatable text, masked in --check-config */
	T_DUR,		/* duration, in range */
	T_INT,		/* integer, in range */
	T_ADDR,		/* one IP literal */
	T_EXTIP,	/* PUBLIC or PUBLIC/PRIVATE */
	T_RANGES,	/* repeatable CIDR or A-B */
	T_BOOL,
	T_ORIGINS,	/* repeatable scheme://host[:port] */
	T_LOGLEVEL,
	T_REDIS,	/* a Redis URL (redis_url.h); a secret when it has a password */
	T_TOKEN,	/* one word: letters, digits and . _ : { } - */
	T_DNSNAME	/* a DNS host name (not an IP address), kept lower case */
};

struct cfg_key {
	const char	*name;
	enum cfg_type	 type;
	size_t		 off;
	long long	 min, max;
	const char	*def;		/* NULL: unset (see the comment) */
	int		 live;		/* may change on SIGHUP */
	const char	*unset;		/* what an unset value means */
};

#define O(f)	offsetof(struct config, f)
#define DAY	86400LL

static const struct cfg_key cfg_keys[] = {
	{ "listen", T_ADDRS, O(listen), 0, 0, "127.0.0.1", 0, NULL },
	{ "turn-port", T_PORT, O(turn_port), 1, 65535, "3478", 0, NULL },
	{ "tls-port", T_PORT0, O(tls_port), 0, 65535, "5349", 0, NULL },
	{ "http-port", T_PORT, O(http_port), 1, 65535, "8080", 0, NULL },
	{ "https-port", T_PORT0, O(https_port), 0, 65535, "0", 0, NULL },
	{ "cert", T_PATH, O(cert), 0, 0, NULL, 1,
	    "generated self-signed in the state dir" },
	{ "pkey", T_PATH, O(pkey), 0, 0, NULL, 1,
	    "generated with the certificate in the state dir" },
	{ "server-name", T_DNSNAME, O(server_name), 1, 253, NULL, 1,
	    "none: turns: URLs carry an IP address, which browsers do not use" },
	{ "realm", T_STR, O(realm), 1, 127, "meetopia", 1, NULL },
	{ "auth-secret", T_SECRETS, O(auth_secret), 16, 512, NULL, 1,
	    "generated once, kept in the state dir" },
	{ "credential-ttl", T_DUR, O(credential_ttl), 10, 7 * DAY, "3600", 1,
	    NULL },
	{ "relay-ip", T_ADDR, O(relay_ip), 0, 0, NULL, 0,
	    "the first listen address" },
	{ "external-ip", T_EXTIP, O(external_ip), 0, 0, NULL, 0, "none" },
	{ "min-port", T_PORT, O(min_port), 1024, 65535, "49152", 0, NULL },
	{ "max-port", T_PORT, O(max_port), 1024, 65535, "65535", 0, NULL },
	{ "max-allocate-lifetime", T_DUR, O(max_allocate_lifetime), 600, DAY,
	    "3600", 1, NULL },
	{ "user-quota", T_INT, O(user_quota), 0, 1000000, "10", 1, NULL },
	{ "ip-quota", T_INT, O(ip_quota), 0, 1000000, "32", 1, NULL },
	{ "total-quota", T_INT, O(total_quota), 0, 100000000, "0", 1, NULL },
	{ "max-bps", T_INT, O(max_bps), 0, 100000000000LL, "0", 1, NULL },
	{ "denied-peer-ip", T_RANGES, O(denied_peer_ip), 0, 0, NULL, 1,
	    "the built-in deny list only" },
	{ "allowed-peer-ip", T_RANGES, O(allowed_peer_ip), 0, 0, NULL, 1,
	    "none" },
	{ "relay-only", T_BOOL, O(relay_only), 0, 1, "yes", 1, NULL },
	{ "ice-candidate-pool-size", T_INT, O(ice_candidate_pool_size), 0, 10,
	    "1", 1, NULL },
	{ "signal-rate-limit", T_INT, O(signal_rate_limit), 1, 100000, "600",
	    1, NULL },
	{ "pair-permissions", T_BOOL, O(pair_permissions), 0, 1, "yes", 1,
	    NULL },
	{ "force-https", T_BOOL, O(force_https), 0, 1, "no", 1, NULL },
	{ "resume-window", T_DUR, O(resume_window), 0, 3600, "30s", 1, NULL },
	{ "cors-origins", T_ORIGINS, O(cors_origins), 0, 0, NULL, 1,
	    "the server's own origin" },
	{ "rate-limit-window", T_DUR, O(rate_limit_window), 1, DAY, "900", 1,
	    NULL },
	{ "rate-limit-max", T_INT, O(rate_limit_max), 1, 1000000, "100", 1,
	    NULL },
	{ "message-rate-limit", T_INT, O(message_rate_limit), 1, 10000, "20",
	    1, NULL },
	{ "max-message-length", T_INT, O(max_message_length), 1, 10000, "500",
	    1, NULL },
	{ "max-connections-per-ip", T_INT, O(max_connections_per_ip), 1,
	    100000, "3", 1, NULL },
	{ "db", T_PATH, O(db), 0, 0, NULL, 0, "<state-dir>/meetopia.db" },
	{ "ban-default", T_DUR, O(ban_default), 60, 3650 * DAY, "24h", 1,
	    NULL },
	{ "ban-max", T_DUR, O(ban_max), 60, 3650 * DAY, "30d", 1, NULL },
	{ "report-retention", T_DUR, O(report_retention), 3600, 3650 * DAY,
	    "30d", 1, NULL },
	{ "auto-ban-reports", T_INT, O(auto_ban_reports), 0, 1000, "3", 1,
	    NULL },
	{ "auto-ban-window", T_DUR, O(auto_ban_window), 60, 30 * DAY, "1h", 1,
	    NULL },
	{ "relay-threads", T_INT, O(relay_threads), 0, 64, "0", 0, NULL },
	{ "metrics-allow", T_RANGES, O(metrics_allow), 0, 0, NULL, 1,
	    "loopback only" },
	{ "api-key", T_SECRETS, O(api_key), 16, 512, NULL, 1,
	    "none: /api/ice-servers is open (rate limited)" },
	{ "log-level", T_LOGLEVEL, O(log_level), 0, 0, "info", 1, NULL },
	{ "security-log", T_STR, O(security_log), 1, 4096, "stderr", 1, NULL },
	{ "user", T_STR, O(user), 1, 64, NULL, 0, "none" },
	{ "group", T_STR, O(group), 1, 64, NULL, 0, "none" },
	{ "web-root", T_PATH, O(web_root), 0, 0, NULL, 1,
	    "the installed web client" },
	{ "redis", T_REDIS, O(redis), 0, 0, NULL, 0,
	    "none: a single node, no Redis" },
	{ "cluster-prefix", T_TOKEN, O(cluster_prefix), 1, 64, "meetopia:", 0,
	    NULL },
	{ "node-name", T_TOKEN, O(node_name), 1, 64, NULL, 0, "the host name" },
	{ "node-address", T_ADDR, O(node_address), 0, 0, NULL, 0,
	    "the first external-ip, else the first listen address" },
};
#define CFG_NKEYS	(sizeof(cfg_keys) / sizeof(cfg_keys[0]))

_Static_assert(CFG_NKEYS <= 64, "struct config origins[] too small");

#define FIELD(cfg, k, type)	((type *)(void *)((char *)(cfg) + (k)->off))

static const struct cfg_key *
cfg_find(const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < CFG_NKEYS; i++) {
		if (strcmp(cfg_keys[i].name, name) == 0) {
			if (idx != NULL)
				*idx = i;
			return &cfg_keys[i];
		}
	}
	return NULL;
}

const struct cfg_origin *
cfg_origin_of(const struct config *cfg, const char *name)
{
	size_t i;

	if (cfg_find(name, &i) == NULL)
		return NULL;
	return &cfg->origins[i];
}

static void
cfg_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
cfg_parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int
cfg_parse_ll(const char *s, long long *out)
{
	char *end;
	long long v;

	if (*s == '\0' || !(isdigit((unsigned char)*s) || *s == '-'))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
cfg_parse_duration(const char *s, long long *out)
{
	char num[32];
	size_t len = strlen(s);
	long long v, mult = 1;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 's': mult = 1; num[--len] = '\0'; break;
	case 'm': mult = 60; num[--len] = '\0'; break;
	case 'h': mult = 3600; num[--len] = '\0'; break;
	case 'd': mult = DAY; num[--len] = '\0'; break;
	default: break;
	}
	if (len == 0 || num[0] == '-' || cfg_parse_ll(num, &v) != 0)
		return -1;
	if (v > LLONG_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static int
cfg_parse_origin(const char *s, char *why, size_t whylen)
{
	const char *host, *p;

	if (strcmp(s, "*") == 0) {
		cfg_err(why, whylen, "the wildcard origin * is refused: "
		    "list the allowed origins");
		return -1;
	}
	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else {
		cfg_err(why, whylen, "'%s' is not an origin "
		    "(http://HOST[:PORT] or https://HOST[:PORT])", s);
		return -1;
	}
	if (*host == '\0') {
		cfg_err(why, whylen, "origin '%s' has no host", s);
		return -1;
	}
	for (p = host; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr(".-:[]", *p) == NULL) {
			cfg_err(why, whylen, "origin '%s' has a path or a "
			    "character not allowed in a host", s);
			return -1;
		}
	}
	return 0;
}

static void
cfg_clear_key(struct config *cfg, const struct cfg_key *k)
{
	size_t i;

	switch (k->type) {
	case T_ADDRS: {
		struct cfg_addrs *a = FIELD(cfg, k, struct cfg_addrs);

		free(a->v);
		a->v = NULL;
		a->n = 0;
		break;
	}
	case T_RANGES: {
		struct cfg_ranges *r = FIELD(cfg, k, struct cfg_ranges);

		free(r->v);
		r->v = NULL;
		r->n = 0;
		break;
	}
	case T_STRS:
	case T_SECRETS:
	case T_ORIGINS: {
		struct cfg_strs *l = FIELD(cfg, k, struct cfg_strs);

		for (i = 0; i < l->n; i++) {
			if (k->type == T_SECRETS)
				explicit_bzero(l->v[i], strlen(l->v[i]));
			free(l->v[i]);
		}
		free(l->v);
		l->v = NULL;
		l->n = 0;
		break;
	}
	case T_STR:
	case T_PATH:
	case T_TOKEN:
	case T_DNSNAME:
	case T_REDIS: {
		char **p = FIELD(cfg, k, char *);

		if (k->type == T_REDIS && *p != NULL)
			explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
		break;
	}
	default:
		break;
	}
}

/*
 * A DNS host name as a certificate names it (RFC 1123 §2.1, RFC 6125
 * §6.4): dot-separated labels of 1-63 letters, digits and hyphens, no
 * hyphen at either end of a label, at most 253 characters, no trailing
 * dot.  An IP address is refused: its last label is all digits, and an
 * IPv6 literal has colons.
 */
static int
cfg_parse_dnsname(const char *v, size_t len, char *why, size_t whylen)
{
	size_t i, start = 0, n;
	int digits = 1;

	if (len == 0 || len > 253) {
		cfg_err(why, whylen, "length %zu is out of range (1 to 253 "
		    "characters)", len);
		return -1;
	}
	for (i = 0; i <= len; i++) {
		if (i < len && v[i] != '.') {
			if (!isalnum((unsigned char)v[i]) && v[i] != '-') {
				cfg_err(why, whylen, "'%c' is not allowed in a "
				    "DNS name (letters, digits, - and .)",
				    isprint((unsigned char)v[i]) ? v[i] : '?');
				return -1;
			}
			if (!isdigit((unsigned char)v[i]))
				digits = 0;
			continue;
		}
		n = i - start;
		if (n == 0 || n > 63) {
			cfg_err(why, whylen, "a DNS label is 1 to 63 "
			    "characters");
			return -1;
		}
		if (v[start] == '-' || v[i - 1] == '-') {
			cfg_err(why, whylen, "a DNS label neither starts nor "
			    "ends with '-'");
			return -1;
		}
		if (i < len) {
			start = i + 1;
			digits = 1;
		}
	}
	if (digits) {
		cfg_err(why, whylen, "a DNS name, not an IP address (browsers "
		    "do not use turns: by address)");
		return -1;
	}
	return 0;
}

static int
cfg_strs_add(struct cfg_strs *l, const char *v)
{
	char **nv, *dup;

	if ((dup = strdup(v)) == NULL)
		return -1;
	if ((nv = reallocarray(l->v, l->n + 1, sizeof(*nv))) == NULL) {
		free(dup);
		return -1;
	}
	nv[l->n++] = dup;
	l->v = nv;
	return 0;
}

/* Parses and stores one value; "why" gets the reason on failure. */
static int
cfg_store(struct config *cfg, const struct cfg_key *k, const char *v,
    char *why, size_t whylen)
{
	long long n;
	size_t len = strlen(v);

	if (len == 0) {
		cfg_err(why, whylen, "empty value");
		return -1;
	}
	switch (k->type) {
	case T_ADDRS: {
		struct cfg_addrs *a = FIELD(cfg, k, struct cfg_addrs);
		struct maddr m, *nv;

		if (addr_parse(v, &m) != 0) {
			cfg_err(why, whylen, "'%s' is not an IPv4 or IPv6 "
			    "address", v);
			return -1;
		}
		if ((nv = reallocarray(a->v, a->n + 1, sizeof(*nv))) == NULL)
			goto nomem;
		nv[a->n++] = m;
		a->v = nv;
		return 0;
	}
	case T_ADDR:
		if (addr_parse(v, FIELD(cfg, k, struct maddr)) != 0) {
			cfg_err(why, whylen, "'%s' is not an IPv4 or IPv6 "
			    "address", v);
			return -1;
		}
		return 0;
	case T_EXTIP: {
		struct cfg_extip *e = FIELD(cfg, k, struct cfg_extip);
		char buf[128], *slash;

		if (strlcpy(buf, v, sizeof(buf)) >= sizeof(buf))
			goto badext;
		memset(e, 0, sizeof(*e));
		if ((slash = strchr(buf, '/')) != NULL)
			*slash++ = '\0';
		if (addr_parse(buf, &e->pub) != 0)
			goto badext;
		if (slash != NULL) {
			if (addr_parse(slash, &e->priv) != 0 ||
			    e->priv.family != e->pub.family)
				goto badext;
			e->has_priv = 1;
		}
		e->set = 1;
		return 0;
	badext:
		memset(e, 0, sizeof(*e));
		cfg_err(why, whylen, "'%s' is not PUBLIC or PUBLIC/PRIVATE "
		    "(two addresses of one family)", v);
		return -1;
	}
	case T_RANGES: {
		struct cfg_ranges *r = FIELD(cfg, k, struct cfg_ranges);
		struct addr_range ar, *nv;

		if (addr_range_parse(v, &ar) != 0) {
			cfg_err(why, whylen, "'%s' is not a range (CIDR such "
			    "as 10.0.0.0/8 with no host bits set, A-B, or an "
			    "address)", v);
			return -1;
		}
		if ((nv = reallocarray(r->v, r->n + 1, sizeof(*nv))) == NULL)
			goto nomem;
		nv[r->n++] = ar;
		r->v = nv;
		return 0;
	}
	case T_PORT:
	case T_PORT0:
	case T_INT:
	case T_DUR:
		if ((k->type == T_DUR ? cfg_parse_duration(v, &n) :
		    cfg_parse_ll(v, &n)) != 0) {
			cfg_err(why, whylen, k->type == T_DUR ?
			    "'%s' is not a duration (a number of seconds, or "
			    "with s, m, h or d)" : "'%s' is not a number", v);
			return -1;
		}
		if (n < k->min || n > k->max) {
			cfg_err(why, whylen, "%lld is out of range (%lld to "
			    "%lld)", n, k->min, k->max);
			return -1;
		}
		if (k->type == T_PORT || k->type == T_PORT0)
			*FIELD(cfg, k, int) = (int)n;
		else
			*FIELD(cfg, k, long long) = n;
		return 0;
	case T_BOOL:
		if (cfg_parse_bool(v, FIELD(cfg, k, int)) != 0) {
			cfg_err(why, whylen, "'%s' is not yes or no", v);
			return -1;
		}
		return 0;
	case T_LOGLEVEL:
		if (log_level_parse(v, FIELD(cfg, k, enum log_level)) != 0) {
			cfg_err(why, whylen, "'%s' is not one of error, warn, "
			    "info, debug", v);
			return -1;
		}
		return 0;
	case T_REDIS: {
		struct redis_url u;
		char **p = FIELD(cfg, k, char *), *dup;

		if (redis_url_parse(v, &u, why, whylen) != 0)
			return -1;
		redis_url_clear(&u);
		if ((dup = strdup(v)) == NULL)
			goto nomem;
		if (*p != NULL)
			explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = dup;
		return 0;
	}
	case T_TOKEN: {
		char **p = FIELD(cfg, k, char *), *dup;
		size_t i;

		if ((long long)len < k->min || (long long)len > k->max) {
			cfg_err(why, whylen, "length %zu is out of range "
			    "(%lld to %lld characters)", len, k->min, k->max);
			return -1;
		}
		for (i = 0; i < len; i++) {
			if (!isalnum((unsigned char)v[i]) &&
			    strchr("._:{}-", v[i]) == NULL) {
				cfg_err(why, whylen, "'%c' is not allowed "
				    "(letters, digits and . _ : { } -)", v[i]);
				return -1;
			}
		}
		if ((dup = strdup(v)) == NULL)
			goto nomem;
		free(*p);
		*p = dup;
		return 0;
	}
	case T_DNSNAME: {
		char **p = FIELD(cfg, k, char *), *dup;
		size_t i;

		if (cfg_parse_dnsname(v, len, why, whylen) != 0)
			return -1;
		if ((dup = strdup(v)) == NULL)
			goto nomem;
		for (i = 0; i < len; i++)
			dup[i] = (char)tolower((unsigned char)dup[i]);
		free(*p);
		*p = dup;
		return 0;
	}
	case T_STR:
	case T_PATH:
	case T_STRS:
	case T_SECRETS:
	case T_ORIGINS: {
		size_t i;

		for (i = 0; i < len; i++) {
			if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
				cfg_err(why, whylen, "control character in "
				    "value");
				return -1;
			}
		}
		if ((k->type == T_STR || k->type == T_STRS ||
		    k->type == T_SECRETS) && k->max > 0 &&
		    ((long long)len < k->min || (long long)len > k->max)) {
			cfg_err(why, whylen, "length %zu is out of range "
			    "(%lld to %lld characters)", len, k->min, k->max);
			return -1;
		}
		if (k->type == T_PATH && len > 4096) {
			cfg_err(why, whylen, "path too long");
			return -1;
		}
		if (k->type == T_ORIGINS &&
		    cfg_parse_origin(v, why, whylen) != 0)
			return -1;
		if (k->type == T_STR || k->type == T_PATH) {
			char **p = FIELD(cfg, k, char *), *dup;

			if ((dup = strdup(v)) == NULL)
				goto nomem;
			free(*p);
			*p = dup;
			return 0;
		}
		if (cfg_strs_add(FIELD(cfg, k, struct cfg_strs), v) != 0)
			goto nomem;
		return 0;
	}
	}
	cfg_err(why, whylen, "internal: unknown type");
	return -1;
nomem:
	cfg_err(why, whylen, "out of memory");
	return -1;
}

static int
cfg_is_list(const struct cfg_key *k)
{
	return k->type == T_ADDRS || k->type == T_RANGES ||
	    k->type == T_STRS || k->type == T_SECRETS || k->type == T_ORIGINS;
}

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

struct config *
cfg_new(void)
{
	struct config *cfg;
	size_t i;
	char err[CFG_ERRLEN];

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	for (i = 0; i < CFG_NKEYS; i++) {
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

void
cfg_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < CFG_NKEYS; i++)
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

/*
 * SPEC: a configuration file that holds a secret and can be read by other
 * users is refused, like a state-dir secret with a loose mode (group or
 * other permissions), or owned by another user than us or root.  st is the
 * file's, just read into cfg (so a secret key set from the file is one set
 * by this file: the file is the first source).
 */
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

static int
cfg_file_secret_check(const struct config *cfg, const char *path,
    const struct stat *st, char *err, size_t errlen)
{
	const char *secret = NULL;
	size_t i;

	for (i = 0; i < CFG_NKEYS && secret == NULL; i++)
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

int
cfg_shared_plain_port(const struct config *cfg)
{
	return cfg->http_port == cfg->turn_port ? cfg->http_port : 0;
}

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

/* Writes one key's value(s) as config lines. */
static void
cfg_format(const struct config *cfg, const struct cfg_key *k, int mask,
    FILE *fp)
{
	char buf[128];
	size_t i;
	struct config *c = (struct config *)(uintptr_t)cfg;

	switch (k->type) {
	case T_ADDRS: {
		const struct cfg_addrs *a = FIELD(c, k, struct cfg_addrs);

		for (i = 0; i < a->n; i++)
			fprintf(fp, "%s = %s\n", k->name,
			    addr_ntop(&a->v[i], buf, sizeof(buf)));
		if (a->n == 0)
			fprintf(fp, "# %s = (none)\n", k->name);
		break;
	}
	case T_ADDR: {
		const struct maddr *m = FIELD(c, k, struct maddr);

		if (m->family == 0)
			fprintf(fp, "# %s: %s\n", k->name, k->unset);
		else
			fprintf(fp, "%s = %s\n", k->name,
			    addr_ntop(m, buf, sizeof(buf)));
		break;
	}
	case T_EXTIP: {
		const struct cfg_extip *e = FIELD(c, k, struct cfg_extip);
		char pub[128];

		if (!e->set) {
			fprintf(fp, "# %s: %s\n", k->name, k->unset);
			break;
		}
		addr_ntop(&e->pub, pub, sizeof(pub));
		if (e->has_priv)
			fprintf(fp, "%s = %s/%s\n", k->name, pub,
			    addr_ntop(&e->priv, buf, sizeof(buf)));
		else
			fprintf(fp, "%s = %s\n", k->name, pub);
		break;
	}
	case T_RANGES: {
		const struct cfg_ranges *r = FIELD(c, k, struct cfg_ranges);

		for (i = 0; i < r->n; i++)
			fprintf(fp, "%s = %s\n", k->name,
			    addr_range_ntop(&r->v[i], buf, sizeof(buf)));
		if (r->n == 0)
			fprintf(fp, "# %s: %s\n", k->name, k->unset);
		break;
	}
	case T_PORT:
	case T_PORT0:
		fprintf(fp, "%s = %d\n", k->name, *FIELD(c, k, int));
		break;
	case T_INT:
		fprintf(fp, "%s = %lld\n", k->name, *FIELD(c, k, long long));
		break;
	case T_DUR:
		fprintf(fp, "%s = %llds\n", k->name, *FIELD(c, k, long long));
		break;
	case T_BOOL:
		fprintf(fp, "%s = %s\n", k->name,
		    *FIELD(c, k, int) ? "yes" : "no");
		break;
	case T_LOGLEVEL:
		fprintf(fp, "%s = %s\n", k->name,
		    log_level_name(*FIELD(c, k, enum log_level)));
		break;
	case T_REDIS: {
		char *const *p = FIELD(c, k, char *);
		struct redis_url u;
		char masked[REDIS_URL_HOST_MAX + REDIS_URL_CRED_MAX + 64];

		if (*p == NULL)
			fprintf(fp, "# %s: %s\n", k->name, k->unset);
		else if (!mask)
			fprintf(fp, "%s = %s\n", k->name, *p);
		else if (redis_url_parse(*p, &u, NULL, 0) == 0) {
			redis_url_masked(&u, masked, sizeof(masked));
			redis_url_clear(&u);
			fprintf(fp, "%s = %s\n", k->name, masked);
		} else
			fprintf(fp, "%s = ********\n", k->name);
		break;
	}
	case T_STR:
	case T_PATH:
	case T_TOKEN:
	case T_DNSNAME: {
		char *const *p = FIELD(c, k, char *);

		if (*p == NULL)
			fprintf(fp, "# %s: %s\n", k->name, k->unset);
		else
			fprintf(fp, "%s = %s\n", k->name, *p);
		break;
	}
	case T_STRS:
	case T_SECRETS:
	case T_ORIGINS: {
		const struct cfg_strs *l = FIELD(c, k, struct cfg_strs);

		for (i = 0; i < l->n; i++)
			fprintf(fp, "%s = %s\n", k->name,
			    mask && k->type == T_SECRETS ? "********" :
			    l->v[i]);
		if (l->n == 0)
			fprintf(fp, "# %s: %s\n", k->name, k->unset);
		break;
	}
	}
}

void
cfg_dump(const struct config *cfg, int mask, void *vfp)
{
	static const char *srcs[] = { "default", "file", "environment",
	    "command line" };
	FILE *fp = vfp;
	size_t i;

	for (i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_origin *o = &cfg->origins[i];

		if (o->src == CFG_SRC_FILE)
			fprintf(fp, "# from the file, line %d\n", o->line);
		else if (o->src != CFG_SRC_DEFAULT)
			fprintf(fp, "# from the %s\n", srcs[o->src]);
		cfg_format(cfg, &cfg_keys[i], mask, fp);
	}
}

static char *
cfg_format_str(const struct config *cfg, const struct cfg_key *k, size_t *len)
{
	char *buf = NULL;
	FILE *fp;

	*len = 0;
	if ((fp = open_memstream(&buf, len)) == NULL)
		return NULL;
	cfg_format(cfg, k, 0, fp);
	fclose(fp);
	return buf;
}

/* Copies one key's value from src into dst (deep for lists and text). */
static int
cfg_copy_key(struct config *dst, const struct config *src,
    const struct cfg_key *k)
{
	struct config *s = (struct config *)(uintptr_t)src;
	size_t i;

	cfg_clear_key(dst, k);
	switch (k->type) {
	case T_ADDRS: {
		const struct cfg_addrs *a = FIELD(s, k, struct cfg_addrs);
		struct cfg_addrs *d = FIELD(dst, k, struct cfg_addrs);

		if (a->n > 0) {
			if ((d->v = calloc(a->n, sizeof(*d->v))) == NULL)
				return -1;
			memcpy(d->v, a->v, a->n * sizeof(*d->v));
			d->n = a->n;
		}
		return 0;
	}
	case T_RANGES: {
		const struct cfg_ranges *a = FIELD(s, k, struct cfg_ranges);
		struct cfg_ranges *d = FIELD(dst, k, struct cfg_ranges);

		if (a->n > 0) {
			if ((d->v = calloc(a->n, sizeof(*d->v))) == NULL)
				return -1;
			memcpy(d->v, a->v, a->n * sizeof(*d->v));
			d->n = a->n;
		}
		return 0;
	}
	case T_STRS:
	case T_SECRETS:
	case T_ORIGINS: {
		const struct cfg_strs *a = FIELD(s, k, struct cfg_strs);

		for (i = 0; i < a->n; i++)
			if (cfg_strs_add(FIELD(dst, k, struct cfg_strs),
			    a->v[i]) != 0)
				return -1;
		return 0;
	}
	case T_STR:
	case T_PATH:
	case T_TOKEN:
	case T_DNSNAME:
	case T_REDIS: {
		char *const *p = FIELD(s, k, char *);

		if (*p != NULL &&
		    (*FIELD(dst, k, char *) = strdup(*p)) == NULL)
			return -1;
		return 0;
	}
	case T_ADDR:
		*FIELD(dst, k, struct maddr) = *FIELD(s, k, struct maddr);
		return 0;
	case T_EXTIP:
		*FIELD(dst, k, struct cfg_extip) =
		    *FIELD(s, k, struct cfg_extip);
		return 0;
	case T_PORT:
	case T_PORT0:
	case T_BOOL:
		*FIELD(dst, k, int) = *FIELD(s, k, int);
		return 0;
	case T_LOGLEVEL:
		*FIELD(dst, k, enum log_level) =
		    *FIELD(s, k, enum log_level);
		return 0;
	case T_INT:
	case T_DUR:
		*FIELD(dst, k, long long) = *FIELD(s, k, long long);
		return 0;
	}
	return -1;
}

void
cfg_reconcile(const struct config *old, struct config *new,
    void (*cb)(const char *, int, void *), void *arg)
{
	size_t i, la, lb;

	for (i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		char *a = cfg_format_str(old, k, &la);
		char *b = cfg_format_str(new, k, &lb);
		int same = a != NULL && b != NULL && la == lb &&
		    memcmp(a, b, la) == 0;

		if (a != NULL)
			explicit_bzero(a, la);
		if (b != NULL)
			explicit_bzero(b, lb);
		free(a);
		free(b);
		if (same)
			continue;
		if (!k->live) {
			if (cfg_copy_key(new, old, k) != 0)
				log_err("config: %s: out of memory keeping the "
				    "old value", k->name);
			new->origins[i] = old->origins[i];
		}
		cb(k->name, k->live, arg);
	}
}

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
