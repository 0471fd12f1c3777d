/*
 * ctlmac.h - the MAC of meetopiactl's control requests to a running
 * daemon (POST /admin/v1/drain): HMAC-SHA256 over the request body with
 * the key HMAC-SHA256(auth-secret, "meetopia control v1"), base64url.
 * Only who can read auth-secret (the daemon's user, root) can make one;
 * the body carries a time so that a request seen once is stale soon.
 */
#ifndef MEETOPIA_AUTH_CTLMAC_H
#define MEETOPIA_AUTH_CTLMAC_H

#include <stddef.h>

#define CTLMAC_STRLEN	44	/* base64url of 32 bytes, with NUL */
#define CTLMAC_SKEW	60	/* seconds a request's "ts" may be off */

/* 0 with the MAC in out, or -1. */
int	ctlmac_make(const char *secret, const char *body, size_t len,
	    char out[CTLMAC_STRLEN]);
/* Whether mac is the MAC of body under secret (constant time). */
int	ctlmac_ok(const char *secret, const char *body, size_t len,
	    const char *mac);

#endif
