/*
 * test_jwt.c - the HS256 resume token (signaling/jwt.c): a round trip,
 * the RFC 7515 shape, and forgeries refused: another key, a changed
 * payload, "alg":"none", another header, truncation, padding.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "signaling/jwt.h"
#include "tests/tap.h"

static const uint8_t key[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t key2[32] = "0123456789abcdef0123456789abcdeF";

static int
verify(const uint8_t *k, const char *tok)
{
	json_t *c = NULL;
	int rc = jwt_verify(k, 32, tok, strlen(tok), &c);

	if (c != NULL)
		json_decref(c);
	return rc;
}

int
main(void)
{
	json_t *claims = json_pack("{s:s, s:I}", "sid", "abc", "n", 7), *got;
	char *tok = NULL, forged[2048], b64[512], *dot;
	const char *payload = "{\"n\":8,\"sid\":\"abc\"}";

	is_int(jwt_sign(key, 32, claims, &tok), 0, "sign");
	ok(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37) == 0,
	    "header {\"alg\":\"HS256\",\"typ\":\"JWT\"}");
	is_int(jwt_verify(key, 32, tok, strlen(tok), &got), 0, "verify");
	ok(got != NULL && json_integer_value(json_object_get(got, "n")) == 7 &&
	    strcmp(json_string_value(json_object_get(got, "sid")), "abc") == 0,
	    "the claims come back");
	json_decref(got);
	is_int(verify(key2, tok), -1, "another key: refused");

	/* a payload swapped under the same MAC */
	b64_encode(payload, strlen(payload), B64_URL, b64, sizeof(b64), NULL);
	dot = strrchr(tok, '.');
	snprintf(forged, sizeof(forged), "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
	    ".%s%s", b64, dot);
	is_int(verify(key, forged), -1, "a changed payload: refused");

	/* alg none */
	snprintf(forged, sizeof(forged), "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"
	    ".%s.", b64);
	is_int(verify(key, forged), -1, "alg none: refused");
	/* same header, re-encoded differently ({"typ":"JWT","alg":"HS256"}) */
	snprintf(forged, sizeof(forged), "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9"
	    "%s", strchr(tok, '.'));
	is_int(verify(key, forged), -1, "another header: refused");

	strlcpy(forged, tok, sizeof(forged));
	forged[strlen(forged) - 1] = '\0';
	is_int(verify(key, forged), -1, "a truncated MAC: refused");
	snprintf(forged, sizeof(forged), "%s=", tok);
	is_int(verify(key, forged), -1, "padding: refused");
	strlcpy(forged, tok, sizeof(forged));
	forged[strlen(forged) - 2] ^= 1;
	is_int(verify(key, forged), -1, "a flipped MAC bit: refused");
	is_int(verify(key, ""), -1, "empty: refused");
	is_int(verify(key, "a.b"), -1, "two parts: refused");
	{
		char *longtok = malloc(JWT_MAX + 10);

		memset(longtok, 'a', JWT_MAX + 9);
		longtok[JWT_MAX + 9] = '\0';
		is_int(verify(key, longtok), -1, "past JWT_MAX: refused");
		free(longtok);
	}
	json_decref(claims);
	claims = json_pack("[i]", 1);
	free(tok);
	jwt_sign(key, 32, claims, &tok);
	is_int(verify(key, tok), -1, "claims that are not an object: refused");
	json_decref(claims);
	free(tok);
	return done_testing();
}
