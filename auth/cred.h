/*
 * cred.h - time-limited TURN credentials (the TURN REST scheme, coturn's
 * "use-auth-secret"): username "EXPIRY[:ID]" with EXPIRY in Unix seconds,
 * password base64(HMAC-SHA1(secret, username)).
 *
 * Credentials the signaling channel issues name the session in ID as
 * "s-SESSION"; cred_session_of() gets it back for the relay's pair checks.
 */
#ifndef MEETOPIA_CRED_H
#define MEETOPIA_CRED_H

#include <stddef.h>

#define CRED_USER_MAX	514	/* RFC 8489 §14.3: USERNAME < 513 bytes */
#define CRED_PASS_MAX	32	/* base64 of 20 bytes is 28, and a NUL */
#define CRED_ID_MAX	128

/*
 * Makes a credential for id (NULL or "" for none) valid until expiry.
 * Returns 0, or -1 when id is too long or holds a ':' or a control byte.
 */
int	cred_make(const char *secret, const char *id, long long expiry,
	    char *user, size_t ulen, char *pass, size_t plen);

/* The password of a username under one secret (base64, NUL-terminated). */
int	cred_password(const char *secret, const char *user, size_t userlen,
	    char *pass, size_t plen);

/*
 * Splits "EXPIRY[:ID]" strictly: EXPIRY is 1 to 12 decimal digits; *id
 * points into user (length *idlen, 0 when absent).  Returns 0 or -1.
 */
int	cred_parse_user(const char *user, size_t len, long long *expiry,
	    const char **id, size_t *idlen);

/*
 * For "EXPIRY:s-SESSION" copies SESSION into session (NUL-terminated) and
 * returns 0; -1 when the username names no session.
 */
int	cred_session_of(const char *user, size_t len, char *session,
	    size_t slen);

#endif
