/*
 * redis_url.c - the parser of the `redis` configuration key (see
 * redis_url.h).  Untrusted only in the sense that an operator typed it, but
 * it carries a password: every error path wipes what was copied, and the
 * reason never quotes the text after the scheme.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/pctdecode.h"
#include "common/redis_url.h"

static void
rurl_err(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* A decimal number of at most maxdigits digits in [lo, hi]. */
static int
parse_num(const char *s, size_t n, long lo, long hi, int *out)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* A host name (letters, digits, '-', '.'), or an IPv4 address. */
static int
valid_name(const char *s, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > REDIS_URL_HOST_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

/* The inside of [...]: hex digits, ':' and '.' (an embedded IPv4). */
static int
valid_v6(const char *s, size_t n)
{
	size_t i, colons = 0;

	if (n < 2 || n > 45)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == ':')
			colons++;
		else if (!isxdigit((unsigned char)s[i]) && s[i] != '.')
			return 0;
	}
	return colons >= 2;
}

/* unix:PATH, p after the scheme. */
static int
parse_unix(const char *p, struct redis_url *out, char *why, size_t whylen)
{
	const char *end;
	size_t n = strlen(p);

	if (p[0] != '/') {
		rurl_err(why, whylen, "unix: needs an absolute path "
		    "(unix:/run/redis/redis.sock)");
		return -1;
	}
	if (n > REDIS_URL_PATH_MAX) {
		rurl_err(why, whylen, "unix: path longer than %d bytes",
		    REDIS_URL_PATH_MAX);
		return -1;
	}
	for (end = p; *end != '\0'; end++)
		if ((unsigned char)*end < 0x20 || *end == 0x7f)
			break;
	if (*end != '\0') {
		rurl_err(why, whylen, "control character in unix: path");
		return -1;
	}
	memcpy(out->path, p, n + 1);
	out->kind = REDIS_URL_UNIX;
	return 0;
}

/* redis:// or rediss://: the kind, and *rest after the scheme. */
static int
parse_scheme(const char *s, struct redis_url *out, const char **rest,
    char *why, size_t whylen)
{
	if (strncmp(s, "redis://", 8) == 0) {
		out->kind = REDIS_URL_TCP;
		*rest = s + 8;
		return 0;
	}
	if (strncmp(s, "rediss://", 9) == 0) {
#ifndef HAVE_HIREDIS_SSL
		rurl_err(why, whylen, "rediss:// (TLS) is not supported by "
		    "this build: its hiredis has no TLS (hiredis_ssl; Debian "
		    "12's libhiredis 0.14 has none); use redis:// on a "
		    "private network, unix:PATH, or a TLS tunnel");
		return -1;
#else
		out->kind = REDIS_URL_TLS;
		*rest = s + 9;
		return 0;
#endif
	}
	rurl_err(why, whylen, "not a Redis URL: expected "
	    "redis://[USER:PASSWORD@]HOST[:PORT][/DB], rediss://... "
	    "or unix:PATH");
	return -1;
}

/*
 * USER:PASSWORD@ at the start of the authority [p, hostend), if any;
 * *host is where the host starts.
 */
static int
parse_userinfo(const char *p, const char *hostend, struct redis_url *out,
    const char **host, char *why, size_t whylen)
{
	const char *at = NULL, *colon;

	*host = p;
	/* The last '@' before the path ends the user information. */
	for (colon = p; colon < hostend; colon++)
		if (*colon == '@')
			at = colon;
	if (at == NULL)
		return 0;
	colon = memchr(p, ':', (size_t)(at - p));
	if (colon == NULL) {
		rurl_err(why, whylen, "user information without a "
		    "password: write USER:PASSWORD@ or :PASSWORD@");
		return -1;
	}
	if (pct_decode(p, (size_t)(colon - p), "@/:", NULL, out->user,
	    sizeof(out->user), NULL) != 0 ||
	    pct_decode(colon + 1, (size_t)(at - colon - 1), "@/:", NULL,
	    out->password, sizeof(out->password), NULL) != 0) {
		rurl_err(why, whylen, "bad user or password (percent-"
		    "encode '@', ':', '/' and '%%'; no control "
		    "characters; at most %d bytes)", REDIS_URL_CRED_MAX);
		return -1;
	}
	if (out->password[0] == '\0') {
		rurl_err(why, whylen, "empty password");
		return -1;
	}
	out->has_password = 1;
	*host = at + 1;
	return 0;
}

/* HOST[:PORT] in [p, hostend): the host, and *colon (NULL: no port). */
static int
parse_host(const char *p, const char *hostend, struct redis_url *out,
    const char **colon, char *why, size_t whylen)
{
	size_t n;

	if (p < hostend && *p == '[') {
		const char *rb = memchr(p, ']', (size_t)(hostend - p));

		if (rb == NULL || !valid_v6(p + 1, (size_t)(rb - p - 1))) {
			rurl_err(why, whylen, "bad IPv6 address in brackets");
			return -1;
		}
		memcpy(out->host, p + 1, (size_t)(rb - p - 1));
		out->host[rb - p - 1] = '\0';
		p = rb + 1;
		if (p < hostend && *p != ':') {
			rurl_err(why, whylen, "unexpected text after ']'");
			return -1;
		}
		*colon = p < hostend ? p : NULL;
		return 0;
	}
	*colon = memchr(p, ':', (size_t)(hostend - p));
	n = (size_t)((*colon != NULL ? *colon : hostend) - p);
	if (n == 0) {
		rurl_err(why, whylen, "missing host");
		return -1;
	}
	if (!valid_name(p, n)) {
		rurl_err(why, whylen, "bad host name (letters, digits, "
		    "'-' and '.'; IPv6 in brackets)");
		return -1;
	}
	memcpy(out->host, p, n);
	out->host[n] = '\0';
	return 0;
}

int
redis_url_parse(const char *s, struct redis_url *out, char *why,
    size_t whylen)
{
	const char *p, *end, *hostend, *colon, *slash;

	memset(out, 0, sizeof(*out));
	if (s == NULL || *s == '\0') {
		rurl_err(why, whylen, "empty Redis URL");
		return -1;
	}
	if (strncmp(s, "unix:", 5) == 0) {
		if (parse_unix(s + 5, out, why, whylen) != 0)
			goto bad;
		return 0;
	}
	if (parse_scheme(s, out, &p, why, whylen) != 0)
		goto bad;
	end = p + strlen(p);
	/* The authority ends at the first '/', the DB follows it. */
	slash = memchr(p, '/', (size_t)(end - p));
	hostend = slash != NULL ? slash : end;
	if (parse_userinfo(p, hostend, out, &p, why, whylen) != 0 ||
	    parse_host(p, hostend, out, &colon, why, whylen) != 0)
		goto bad;
	out->port = REDIS_URL_PORT_DEFAULT;
	if (colon != NULL && parse_num(colon + 1,
	    (size_t)(hostend - colon - 1), 1, 65535, &out->port) != 0) {
		rurl_err(why, whylen, "bad port (1 to 65535)");
		goto bad;
	}
	if (slash != NULL && parse_num(slash + 1, (size_t)(end - slash - 1),
	    0, REDIS_URL_DB_MAX, &out->db) != 0) {
		rurl_err(why, whylen, "bad database number after '/' (0 to "
		    "%d, nothing after it)", REDIS_URL_DB_MAX);
		goto bad;
	}
	return 0;
bad:
	redis_url_clear(out);
	memset(out, 0, sizeof(*out));
	return -1;
}

void
redis_url_clear(struct redis_url *u)
{
	explicit_bzero(u->password, sizeof(u->password));
	u->has_password = 0;
}

void
redis_url_masked(const struct redis_url *u, char *buf, size_t len)
{
	char db[16] = "";
	int v6;

	if (u->kind == REDIS_URL_UNIX) {
		snprintf(buf, len, "unix:%s", u->path);
		return;
	}
	if (u->db != 0)
		snprintf(db, sizeof(db), "/%d", u->db);
	v6 = strchr(u->host, ':') != NULL;
	snprintf(buf, len, "%s://%s%s%s%s%s%s:%d%s",
	    u->kind == REDIS_URL_TLS ? "rediss" : "redis",
	    u->user, u->has_password ? ":********" : "",
	    u->has_password ? "@" : "", v6 ? "[" : "", u->host, v6 ? "]" : "",
	    u->port, db);
}
