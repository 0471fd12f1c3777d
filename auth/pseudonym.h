/*
 * pseudonym.h - keyed pseudonyms of client addresses.
 *
 * Reports, pseudonym bans and security events name a client by
 * HMAC-SHA256(key, client IP) instead of its address, where the client IP is
 * SPEC's: the IPv4 address or the IPv6 /64 prefix.  The key comes from the
 * state dir's `pseudonym-secret` (generated once, 0600), so a pseudonym is
 * stable across restarts, cannot be reversed without the key, and two
 * installations never share pseudonyms.  A pseudonym is the first 16 bytes
 * of the MAC in lowercase hex (PSEUDONYM_LEN characters).
 */
#ifndef MEETOPIA_PSEUDONYM_H
#define MEETOPIA_PSEUDONYM_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define PSEUDONYM_LEN		32		/* hex characters */
#define PSEUDONYM_SECRET	"pseudonym-secret"

struct pseudonym_key {
	uint8_t		k[32];
};

/* Reads (or creates) DIR/pseudonym-secret; 0, or -1 with err filled. */
int	pseudonym_key_load(struct pseudonym_key *, const char *state_dir,
	    char *err, size_t errlen);
/* Derives the key from any secret bytes (tests, other callers). */
void	pseudonym_key_set(struct pseudonym_key *, const void *, size_t);
void	pseudonym_key_wipe(struct pseudonym_key *);

/*
 * Writes the pseudonym of a's client IP (port ignored; an IPv4-mapped IPv6
 * address counts as the IPv4 address) and a NUL into out.
 */
void	pseudonym_of(const struct pseudonym_key *, const struct maddr *a,
	    char out[PSEUDONYM_LEN + 1]);

/* Whether s is a well-formed pseudonym (PSEUDONYM_LEN lowercase hex). */
int	pseudonym_valid(const char *s);

/* Folds an IPv4-mapped IPv6 address (::ffff:a.b.c.d) into IPv4. */
void	pseudonym_unmap(const struct maddr *in, struct maddr *out);

#endif
