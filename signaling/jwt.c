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

#include "common/base64.h"
#include "common/rdwr.h"
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
	size_t plen, cap, n;
	int rc = -1;

	*out = NULL;
	if ((payload = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS)) ==
	    NULL)
		goto out;
	plen = strlen(payload);
	if (b64_encode(payload, plen, B64_URL, b64, sizeof(b64), &n) != 0)
		goto out;
	cap = sizeof(JWT_HEADER) + n + 1 + 44 + 1;
	if ((tok = malloc(cap)) == NULL)
		goto out;
	snprintf(tok, cap, "%s.%s", JWT_HEADER, b64);
	if (mac(key, keylen, tok, strlen(tok), m) != 0)
		goto out;
	n = strlen(tok);
	tok[n++] = '.';
	if (b64_encode(m, sizeof(m), B64_URL, tok + n, cap - n, NULL) != 0)
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
	size_t hlen = sizeof(JWT_HEADER) - 1, plen = 0, slen, n;
	json_t *j;

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
	if (b64_decode((const char *)r.p, slen, B64_URL, got, sizeof(got),
	    &n) != 0 || n != 32)
		return -1;
	if (mac(key, keylen, tok, hlen + 1 + plen, m) != 0 ||
	    CRYPTO_memcmp(m, got, 32) != 0)
		return -1;
	if (b64_decode((const char *)p, plen, B64_URL, payload,
	    sizeof(payload), &n) != 0 || n == 0)
		return -1;
	if ((j = json_loadb((const char *)payload, n,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return -1;
	if (!json_is_object(j)) {
		json_decref(j);
		return -1;
	}
	*claims = j;
	return 0;
}
