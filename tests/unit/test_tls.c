/*
 * test_tls.c - server contexts load a generated pair, refuse a missing or
 * mismatched key, and never speak less than TLS 1.2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/tls.h"
#include "common/statedir.h"
#include "tests/tap.h"

int
main(void)
{
	char dir[] = "/tmp/meetopia-tls-XXXXXX", dir2[] = "/tmp/meetopia-tls2-XXXXXX";
	char cert[4096], key[4096], cert2[4096], key2[4096], err[512];
	SSL_CTX *ctx;

	ok(mkdtemp(dir) != NULL && mkdtemp(dir2) != NULL, "temp dirs");
	ok(statedir_selfsigned(dir, cert, sizeof(cert), key, sizeof(key), err,
	    sizeof(err)) == 0, "self-signed pair generated");
	ok(statedir_selfsigned(dir2, cert2, sizeof(cert2), key2, sizeof(key2),
	    err, sizeof(err)) == 0, "a second pair");
	ctx = tls_server_ctx(cert, key, err, sizeof(err));
	ok(ctx != NULL, "context from the pair");
	if (ctx != NULL) {
		is_int(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION,
		    "TLS 1.2 minimum");
		ok(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION,
		    "no renegotiation");
		SSL_CTX_free(ctx);
	}
	ok(tls_server_ctx("/nonexistent.pem", key, err, sizeof(err)) == NULL &&
	    strstr(err, "cert /nonexistent.pem") != NULL,
	    "a missing certificate is named");
	ok(tls_server_ctx(cert, key2, err, sizeof(err)) == NULL &&
	    strstr(err, "does not match") != NULL, "a mismatched key refused");
	unlink(cert); unlink(key); unlink(cert2); unlink(key2);
	rmdir(dir); rmdir(dir2);
	return done_testing();
}
