/*
 * admin_token.h - bearer tokens of the HTTP moderation API.
 *
 * A token is "LOOKUP.SECRET": LOOKUP is 16 hex characters that find the
 * admin's row (not secret), SECRET is 64 hex characters (256 bits from the
 * CSPRNG).  The database keeps LOOKUP and an argon2id hash of the whole token
 * in PHC string form ($argon2id$v=19$m=...,t=...,p=...$SALT$HASH); the token
 * itself is printed once by `meetopiactl admin add` and never stored.
 *
 * Parameters: argon2id, t = 2 passes, m = 19 MiB, p = 1 (the OWASP minimum
 * for argon2id).  A verification costs some tens of milliseconds of one core;
 * the admin API caches verified tokens (see db/admin_api.c) so that cost is
 * paid once per token and per failed attempt, and failures are rate limited.
 */
#ifndef MEETOPIA_ADMIN_TOKEN_H
#define MEETOPIA_ADMIN_TOKEN_H

#include <stddef.h>

#define ADMIN_LOOKUP_LEN	16
#define ADMIN_SECRET_LEN	64
#define ADMIN_TOKEN_LEN		(ADMIN_LOOKUP_LEN + 1 + ADMIN_SECRET_LEN)
#define ADMIN_HASH_MAX		192	/* a PHC string with our parameters */

#define ADMIN_ARGON2_T		2
#define ADMIN_ARGON2_M		19456	/* KiB */
#define ADMIN_ARGON2_P		1
#define ADMIN_ARGON2_SALT	16
#define ADMIN_ARGON2_HASH	32

/*
 * Creates a fresh token (ADMIN_TOKEN_LEN + 1 bytes), its lookup part
 * (ADMIN_LOOKUP_LEN + 1) and its argon2id hash (ADMIN_HASH_MAX).  0 or -1.
 */
int	admin_token_new(char *token, char *lookup, char *hash);

/* Hashes a given token with a fresh salt into hash (ADMIN_HASH_MAX). */
int	admin_token_hash(const char *token, char *hash);

/*
 * Copies the lookup part of a presented token (ADMIN_LOOKUP_LEN + 1 bytes);
 * -1 when the token is not of the form above.
 */
int	admin_token_lookup(const char *token, size_t len, char *lookup);

/*
 * Verifies a presented token against a stored PHC string: recomputes the
 * argon2id hash with the stored salt and parameters and compares the two in
 * constant time.  1 match, 0 no match, -1 the stored string is malformed or
 * its parameters are out of the accepted bounds.
 */
int	admin_token_verify(const char *hash, const char *token, size_t len);

#endif
