/*
 * mac.h - HMAC (RFC 2104) and digests on OpenSSL algorithms fetched once
 * per process: the STUN integrity attributes, nonces and REST passwords
 * are MACed on every TURN request.
 *
 * OpenSSL 3's one-shot HMAC() and EVP_sha1() look the algorithm up by
 * name in the provider store on every call (a lock shared by all threads,
 * a context allocated and freed): 2-2.5 us a MAC, against 0.4 us with
 * the algorithm fetched once, and the relay's worker threads contended
 * for that lock on every request.
 */
#ifndef MEETOPIA_MAC_H
#define MEETOPIA_MAC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

enum mac_md {
	MAC_SHA1,
	MAC_SHA256,
	MAC_MD5
};

/* The digest, fetched on first use (thread-safe); the legacy built-in
 * one when the fetch fails. */
const EVP_MD	*mac_md(enum mac_md);

/*
 * HMAC with md over p1 then p2 (either may be empty): 0 with the MAC in
 * out (EVP_MD_get_size(mac_md(md)) bytes, at most EVP_MAX_MD_SIZE), or -1.
 */
int		 mac_hmac(enum mac_md md, const uint8_t *key, size_t keylen,
		    const uint8_t *p1, size_t l1, const uint8_t *p2, size_t l2,
		    uint8_t *out);

#endif
