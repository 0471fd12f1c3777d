/*
 * jwt.c - HS256 JSON Web Tokens (see jwt.h).
 *
 * RFC 7515 §5.2 validation, reduced to what we issue: three base64url
 * parts (§2: unpadded), the header equal to ours, the MAC of
 * "HEADER.PAYLOAD" equal (CRYPTO_memcmp), the payload a JSON object.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/rdwr.h"
#include "signaling/http.h"
#include "signaling/jwt.h"

/* base64url of {"alg":"HS256","typ":"JWT"} */
#define JWT_HEADER	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

static int
mac(const uint8_t *key, size_t keylen, const char *msg, size_t len,
    uint8_t out[32])
{
	unsigned int n = 0;

	if (keylen > INT32_MAX ||
	    HMAC(EVP_sha256(), key, (int)keylen, (const uint8_t *)msg, len,
	    out, &n) == NULL || n != 32)
		return -1;
	return 0;
}

int
jwt_sign(const uint8_t *key, size_t keylen, json_t *claims, char **out)
{
	char *payload = NULL, *tok = NULL;
	char b64[JWT_MAX];
	uint8_t m[32];
	size_t plen, cap;
	int n, rc = -1;

	*out = NULL;
	if ((payload = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS)) ==
	    NULL)
		goto out;
	plen = strlen(payload);
	if ((n = http_b64url((const uint8_t *)payload, plen, b64,
	    sizeof(b64))) < 0)
		goto out;
	cap = sizeof(JWT_HEADER) + (size_t)n + 1 + 44 + 1;
	if ((tok = malloc(cap)) == NULL)
		goto out;
	snprintf(tok, cap, "%s.%s", JWT_HEADER, b64);
	if (mac(key, keylen, tok, strlen(tok), m) != 0)
		goto out;
	n = (int)strlen(tok);
	tok[n++] = '.';
	if (http_b64url(m, sizeof(m), tok + n, cap - (size_t)n) < 0)
		goto out;
	*out = tok;
	tok = NULL;
	rc = 0;
out:
	free(payload);
	free(tok);
	explicit_bzero(m, sizeof(m));
	return rc;
}

int
jwt_verify(const uint8_t *key, size_t keylen, const char *tok, size_t len,
    json_t **claims)
{
	struct rd r;
	const uint8_t *p;
	uint8_t m[32], got[33], payload[JWT_MAX];
	size_t hlen = sizeof(JWT_HEADER) - 1, plen = 0, slen;
	json_t *j;
	int n;

	*claims = NULL;
	if (len > JWT_MAX || len < hlen + 2)
		return -1;
	rd_init(&r, tok, len);
	if (rd_bytes(&r, &p, hlen) != 0 || memcmp(p, JWT_HEADER, hlen) != 0 ||
	    rd_u8(&r) != '.')
		return -1;
	/* payload up to the second dot */
	p = r.p;
	while (r.left > 0) {
		struct rd peek = r;

		if (rd_u8(&peek) == '.')
			break;
		r = peek;
		plen++;
	}
	if (plen == 0 || rd_u8(&r) != '.' || r.err)
		return -1;
	slen = r.left;
	if (slen != 43)			/* 32 bytes, unpadded */
		return -1;
	if (http_b64url_decode((const char *)r.p, slen, got, sizeof(got)) !=
	    32)
		return -1;
	if (mac(key, keylen, tok, hlen + 1 + plen, m) != 0 ||
	    CRYPTO_memcmp(m, got, 32) != 0)
		return -1;
	if ((n = http_b64url_decode((const char *)p, plen, payload,
	    sizeof(payload))) <= 0)
		return -1;
	if ((j = json_loadb((const char *)payload, (size_t)n,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return -1;
	if (!json_is_object(j)) {
		json_decref(j);
		return -1;
	}
	*claims = j;
	return 0;
}
