/*
 * ltkey.h - the long-term credential key of STUN (RFC 8489 §9.2.2):
 *
 *   key = MD5(username ":" realm ":" password)
 *
 * (SHA-256 of the same string with PASSWORD-ALGORITHM SHA-256).  Meetopia's
 * usernames, realms and passwords are ASCII, so OpaqueString preparation
 * leaves them unchanged.  ltkey_from_secret() derives the key of a TURN
 * REST username under one auth-secret (the password is
 * base64(HMAC-SHA1(secret, username)), auth/cred.h).
 */
#ifndef MEETOPIA_LTKEY_H
#define MEETOPIA_LTKEY_H

#include <stddef.h>
#include <stdint.h>

#define LTKEY_LEN	16
#define LTKEY_SHA256_LEN 32

int	ltkey_make(const char *user, size_t ulen, const char *realm,
	    size_t rlen, const char *pass, size_t plen,
	    uint8_t key[LTKEY_LEN]);
int	ltkey_make_sha256(const char *user, size_t ulen, const char *realm,
	    size_t rlen, const char *pass, size_t plen,
	    uint8_t key[LTKEY_SHA256_LEN]);
int	ltkey_from_secret(const char *secret, const char *user, size_t ulen,
	    const char *realm, size_t rlen, uint8_t key[LTKEY_LEN]);

#endif
