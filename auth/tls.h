/*
 * tls.h - TLS server contexts for TURN over TLS and HTTPS/WSS.
 *
 * A context is built from the `cert` (chain) and `pkey` files: TLS 1.2 at
 * least, forward-secret AEAD cipher suites only for TLS 1.2, OpenSSL's
 * defaults for TLS 1.3, no compression, no renegotiation, no session
 * tickets (no ticket key to rotate).  On SIGHUP the daemon builds a new
 * context and swaps it in; connections keep the context they started with
 * (SSL_CTX is reference counted), new connections get the new one.
 */
#ifndef MEETOPIA_TLS_H
#define MEETOPIA_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* A new server context, or NULL with err ("cert FILE: why"). */
SSL_CTX	*tls_server_ctx(const char *cert, const char *pkey, char *err,
	    size_t errlen);

#endif
