/*
 * statedir.h - the daemon's state dir: generated secrets and the self-signed
 * certificate, created on first start and kept across restarts.
 *
 * The folder is created 0700 if missing; every secret file is written 0600
 * through a temporary file and rename(2), so that a crash never leaves a
 * half-written secret behind.
 */
#ifndef MEETOPIA_STATEDIR_H
#define MEETOPIA_STATEDIR_H

#include <stddef.h>

/* Creates the folder (and its parents) 0700 if missing. */
int	statedir_init(const char *dir, char *err, size_t errlen);

/*
 * Reads DIR/NAME, or creates it with nbytes from the CSPRNG written as
 * lowercase hex.  *out is a NUL-terminated, malloc'ed string the caller wipes
 * and frees.
 */
int	statedir_secret(const char *dir, const char *name, size_t nbytes,
	    char **out, char *err, size_t errlen);

/*
 * Makes sure DIR/cert.pem and DIR/key.pem exist, generating a self-signed
 * certificate (EC P-256, one year) for "localhost" and the given host name
 * if they are missing.  Fills the two paths.
 */
int	statedir_selfsigned(const char *dir, char *cert, size_t certlen,
	    char *key, size_t keylen, char *err, size_t errlen);

#endif
