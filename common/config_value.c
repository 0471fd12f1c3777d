/*
 * config_value.c - parses one configuration value by its key's type and
 * stores it in struct config (see config_int.h).
 *
 * Values are parsed strictly: trailing garbage, out-of-range numbers, host
 * bits in a CIDR, an origin with a path, all are refused with the reason,
 * and a refused value leaves the field as it was.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config_int.h"
#include "common/redis_url.h"

/* Writes the reason for a refusal into err (when there is room for one). */
void
cfg_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* yes/true/on/1 or no/false/off/0, in any case. */
static int
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

/* A decimal integer with nothing after it. */
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

/* A number of seconds, or of minutes, hours or days with m, h or d. */
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

/* scheme://host[:port] with no path; the wildcard is refused. */
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

/* Frees key k's value in cfg (wiping secrets) and leaves it unset. */
void
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

/* Appends a copy of v to the list l. */
int
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

/* "out of memory" as the reason; -1. */
static int
cfg_nomem(char *why, size_t whylen)
{
	cfg_err(why, whylen, "out of memory");
	return -1;
}

/* Replaces the text at *p with a copy of v (wiping the old one if asked). */
static int
cfg_replace_str(char **p, const char *v, int wipe, char *why, size_t whylen)
{
	char *dup;

	if ((dup = strdup(v)) == NULL)
		return cfg_nomem(why, whylen);
	if (wipe && *p != NULL)
		explicit_bzero(*p, strlen(*p));
	free(*p);
	*p = dup;
	return 0;
}

/* A length within the key's range (of characters), or the reason. */
static int
cfg_check_len(const struct cfg_key *k, size_t len, char *why, size_t whylen)
{
	if ((long long)len < k->min || (long long)len > k->max) {
		cfg_err(why, whylen, "length %zu is out of range "
		    "(%lld to %lld characters)", len, k->min, k->max);
		return -1;
	}
	return 0;
}

/* T_ADDRS: one more IP literal. */
static int
cfg_store_addrs(struct cfg_addrs *a, const char *v, char *why, size_t whylen)
{
	struct maddr m, *nv;

	if (addr_parse(v, &m) != 0) {
		cfg_err(why, whylen, "'%s' is not an IPv4 or IPv6 address", v);
		return -1;
	}
	if ((nv = reallocarray(a->v, a->n + 1, sizeof(*nv))) == NULL)
		return cfg_nomem(why, whylen);
	nv[a->n++] = m;
	a->v = nv;
	return 0;
}

/* T_ADDR: one IP literal. */
static int
cfg_store_addr(struct maddr *m, const char *v, char *why, size_t whylen)
{
	if (addr_parse(v, m) != 0) {
		cfg_err(why, whylen, "'%s' is not an IPv4 or IPv6 address", v);
		return -1;
	}
	return 0;
}

/* T_EXTIP: PUBLIC or PUBLIC/PRIVATE, two addresses of one family. */
static int
cfg_store_extip(struct cfg_extip *e, const char *v, char *why, size_t whylen)
{
	char buf[128], *slash;

	if (strlcpy(buf, v, sizeof(buf)) >= sizeof(buf))
		goto bad;
	memset(e, 0, sizeof(*e));
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (addr_parse(buf, &e->pub) != 0)
		goto bad;
	if (slash != NULL) {
		if (addr_parse(slash, &e->priv) != 0 ||
		    e->priv.family != e->pub.family)
			goto bad;
		e->has_priv = 1;
	}
	e->set = 1;
	return 0;
bad:
	memset(e, 0, sizeof(*e));
	cfg_err(why, whylen, "'%s' is not PUBLIC or PUBLIC/PRIVATE "
	    "(two addresses of one family)", v);
	return -1;
}

/* T_RANGES: one more CIDR, A-B or address. */
static int
cfg_store_ranges(struct cfg_ranges *r, const char *v, char *why,
    size_t whylen)
{
	struct addr_range ar, *nv;

	if (addr_range_parse(v, &ar) != 0) {
		cfg_err(why, whylen, "'%s' is not a range (CIDR such as "
		    "10.0.0.0/8 with no host bits set, A-B, or an address)", v);
		return -1;
	}
	if ((nv = reallocarray(r->v, r->n + 1, sizeof(*nv))) == NULL)
		return cfg_nomem(why, whylen);
	nv[r->n++] = ar;
	r->v = nv;
	return 0;
}

/* T_PORT, T_PORT0, T_INT, T_DUR: a number (or duration) in range. */
static int
cfg_store_number(struct config *cfg, const struct cfg_key *k, const char *v,
    char *why, size_t whylen)
{
	long long n;

	if ((k->type == T_DUR ? cfg_parse_duration(v, &n) :
	    cfg_parse_ll(v, &n)) != 0) {
		cfg_err(why, whylen, k->type == T_DUR ?
		    "'%s' is not a duration (a number of seconds, or "
		    "with s, m, h or d)" : "'%s' is not a number", v);
		return -1;
	}
	if (n < k->min || n > k->max) {
		cfg_err(why, whylen, "%lld is out of range (%lld to %lld)", n,
		    k->min, k->max);
		return -1;
	}
	if (k->type == T_PORT || k->type == T_PORT0)
		*FIELD(cfg, k, int) = (int)n;
	else
		*FIELD(cfg, k, long long) = n;
	return 0;
}

/* T_REDIS: a Redis URL, kept as written (a secret when it has a password). */
static int
cfg_store_redis(char **p, const char *v, char *why, size_t whylen)
{
	struct redis_url u;

	if (redis_url_parse(v, &u, why, whylen) != 0)
		return -1;
	redis_url_clear(&u);
	return cfg_replace_str(p, v, 1, why, whylen);
}

int
cfg_token_char(int c)
{
	return c != '\0' && (isalnum((unsigned char)c) ||
	    strchr("._:{}-", c) != NULL);
}

int
cfg_token_valid(const char *s, size_t max)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!cfg_token_char(s[i]))
			return 0;
	return 1;
}

/* T_TOKEN: one word of letters, digits and . _ : { } -. */
static int
cfg_store_token(const struct cfg_key *k, char **p, const char *v,
    size_t len, char *why, size_t whylen)
{
	size_t i;

	if (cfg_check_len(k, len, why, whylen) != 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (!cfg_token_char(v[i])) {
			cfg_err(why, whylen, "'%c' is not allowed (letters, "
			    "digits and . _ : { } -)", v[i]);
			return -1;
		}
	}
	return cfg_replace_str(p, v, 0, why, whylen);
}

/* T_DNSNAME: a host name, kept lower case. */
static int
cfg_store_dnsname(char **p, const char *v, size_t len, char *why,
    size_t whylen)
{
	size_t i;

	if (cfg_parse_dnsname(v, len, why, whylen) != 0)
		return -1;
	if (cfg_replace_str(p, v, 0, why, whylen) != 0)
		return -1;
	for (i = 0; i < len; i++)
		(*p)[i] = (char)tolower((unsigned char)(*p)[i]);
	return 0;
}

/* T_STR, T_PATH, T_STRS, T_SECRETS, T_ORIGINS: one line of text. */
static int
cfg_store_text(struct config *cfg, const struct cfg_key *k, const char *v,
    size_t len, char *why, size_t whylen)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			cfg_err(why, whylen, "control character in value");
			return -1;
		}
	}
	if ((k->type == T_STR || k->type == T_STRS || k->type == T_SECRETS) &&
	    k->max > 0 && cfg_check_len(k, len, why, whylen) != 0)
		return -1;
	if (k->type == T_PATH && len > 4096) {
		cfg_err(why, whylen, "path too long");
		return -1;
	}
	if (k->type == T_ORIGINS && cfg_parse_origin(v, why, whylen) != 0)
		return -1;
	if (k->type == T_STR || k->type == T_PATH)
		return cfg_replace_str(FIELD(cfg, k, char *), v, 0, why,
		    whylen);
	if (cfg_strs_add(FIELD(cfg, k, struct cfg_strs), v) != 0)
		return cfg_nomem(why, whylen);
	return 0;
}

/* Parses and stores one value; "why" gets the reason on failure. */
int
cfg_store(struct config *cfg, const struct cfg_key *k, const char *v,
    char *why, size_t whylen)
{
	size_t len = strlen(v);

	if (len == 0) {
		cfg_err(why, whylen, "empty value");
		return -1;
	}
	switch (k->type) {
	case T_ADDRS:
		return cfg_store_addrs(FIELD(cfg, k, struct cfg_addrs), v, why,
		    whylen);
	case T_ADDR:
		return cfg_store_addr(FIELD(cfg, k, struct maddr), v, why,
		    whylen);
	case T_EXTIP:
		return cfg_store_extip(FIELD(cfg, k, struct cfg_extip), v, why,
		    whylen);
	case T_RANGES:
		return cfg_store_ranges(FIELD(cfg, k, struct cfg_ranges), v,
		    why, whylen);
	case T_PORT:
	case T_PORT0:
	case T_INT:
	case T_DUR:
		return cfg_store_number(cfg, k, v, why, whylen);
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
	case T_REDIS:
		return cfg_store_redis(FIELD(cfg, k, char *), v, why, whylen);
	case T_TOKEN:
		return cfg_store_token(k, FIELD(cfg, k, char *), v, len, why,
		    whylen);
	case T_DNSNAME:
		return cfg_store_dnsname(FIELD(cfg, k, char *), v, len, why,
		    whylen);
	case T_STR:
	case T_PATH:
	case T_STRS:
	case T_SECRETS:
	case T_ORIGINS:
		return cfg_store_text(cfg, k, v, len, why, whylen);
	}
	cfg_err(why, whylen, "internal: unknown type");
	return -1;
}
