/*
 * jwt.h - the resume token: a JSON Web Token (RFC 7519) in compact JWS
 * form (RFC 7515 §7.1) signed with HMAC-SHA256 ("HS256", RFC 7518 §3.2).
 *
 * Only our own header is accepted, byte for byte ({"alg":"HS256",
 * "typ":"JWT"} base64url-encoded): "alg":"none", other algorithms and
 * re-encoded headers are refused before any MAC is computed.  The MAC is
 * compared in constant time.  The claims are a JSON object; what they mean
 * (session, token serial, issue time) is the caller's business.
 */
#ifndef MEETOPIA_SIG_JWT_H
#define MEETOPIA_SIG_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define JWT_MAX		1024	/* bytes of a token we accept */
#define JWT_KEY_MIN	32

/* Signs claims; *out is malloc'ed and NUL-terminated.  0 or -1. */
int		 jwt_sign(const uint8_t *key, size_t keylen, json_t *claims,
		    char **out);

/*
 * Verifies a token and returns its claims (a new reference) in *claims.
 * 0, or -1 for anything malformed, a foreign header or a wrong MAC.
 */
int		 jwt_verify(const uint8_t *key, size_t keylen, const char *tok,
		    size_t len, json_t **claims);

#endif
