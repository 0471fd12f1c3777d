/*
 * nonce.h - stateless STUN nonces (RFC 8489 §9.2): a keyed MAC over the
 * issue time and the client's IP address, so that a 401 costs the server
 * no memory and a nonce is worthless from another address.
 *
 *   nonce = hex(issued, 4 bytes) || hex(HMAC-SHA256(key, issued || ip)[:12])
 *
 * A nonce older than the TTL is stale (438 and a fresh one); a nonce that
 * does not verify is treated the same way (RFC 8489 §9.2.4).  The key is
 * random per process: a restart makes every nonce stale, never valid.
 */
#ifndef MEETOPIA_NONCE_H
#define MEETOPIA_NONCE_H

#include <stddef.h>

#include "common/addr.h"

#define NONCE_KEY_LEN	32
#define NONCE_STRLEN	32	/* characters, without the NUL */
#define NONCE_TTL	600	/* seconds a nonce stays fresh */
#define NONCE_SKEW	5	/* seconds a nonce may be "from the future" */

#define NONCE_OK	0
#define NONCE_BAD	(-1)	/* malformed, forged or for another address */
#define NONCE_STALE	(-2)	/* verifies, but too old */

struct nonce_key {
	unsigned char	 k[NONCE_KEY_LEN];
};

/* A fresh random key; 0 or -1. */
int	nonce_key_init(struct nonce_key *);
void	nonce_key_wipe(struct nonce_key *);

/* Writes NONCE_STRLEN characters and a NUL into out. */
void	nonce_make(const struct nonce_key *, long long now,
	    const struct maddr *client, char out[NONCE_STRLEN + 1]);

/* NONCE_OK, NONCE_STALE (older than ttl seconds) or NONCE_BAD. */
int	nonce_check(const struct nonce_key *, const char *nonce, size_t len,
	    long long now, long long ttl, const struct maddr *client);

#endif
