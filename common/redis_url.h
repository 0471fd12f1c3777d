/*
 * redis_url.h - the `redis` key of SPEC's Cluster section, parsed strictly:
 *
 *	redis://[USER:PASSWORD@]HOST[:PORT][/DB]
 *	rediss://...			(TLS; refused when hiredis lacks it)
 *	unix:PATH			(an absolute path)
 *
 * USER and PASSWORD may be percent-encoded (%40 for '@'); ":PASSWORD@"
 * alone means Redis' default user.  HOST is a name, an IPv4 address or an
 * IPv6 address in brackets.  Nothing else is accepted: no query, no
 * fragment, no empty port or DB, no trailing slash.  It lives in common/
 * because the configuration checks it at load time; cluster/ connects with
 * the parsed form.
 */
#ifndef MEETOPIA_REDIS_URL_H
#define MEETOPIA_REDIS_URL_H

#include <stddef.h>

#define REDIS_URL_HOST_MAX	253
#define REDIS_URL_PATH_MAX	107	/* sun_path less its NUL */
#define REDIS_URL_CRED_MAX	255
#define REDIS_URL_DB_MAX	65535
#define REDIS_URL_PORT_DEFAULT	6379

enum redis_url_kind {
	REDIS_URL_TCP = 1,
	REDIS_URL_TLS,
	REDIS_URL_UNIX
};

struct redis_url {
	enum redis_url_kind	 kind;
	char			 host[REDIS_URL_HOST_MAX + 1]; /* no brackets */
	int			 port;
	char			 path[REDIS_URL_PATH_MAX + 1];
	char			 user[REDIS_URL_CRED_MAX + 1];	/* "" = default */
	char			 password[REDIS_URL_CRED_MAX + 1];
	int			 has_password;
	int			 db;
};

/* Parses s into out; -1 with the reason in why (and out wiped) on error. */
int	redis_url_parse(const char *s, struct redis_url *out, char *why,
	    size_t whylen);
/* Wipes the password. */
void	redis_url_clear(struct redis_url *);
/* Writes the URL with the password masked (for logs, --check-config). */
void	redis_url_masked(const struct redis_url *, char *buf, size_t len);

#endif
