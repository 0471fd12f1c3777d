/*
 * ctlmac.c - MACs of meetopiactl's control requests (see ctlmac.h).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/ctlmac.h"
#include "common/base64.h"

#define CTLMAC_LABEL	"meetopia control v1"

int
ctlmac_make(const char *secret, const char *body, size_t len,
    char out[CTLMAC_STRLEN])
{
	uint8_t key[32], mac[32];
	unsigned int kn = sizeof(key), mn = sizeof(mac);
	int rc;

	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)CTLMAC_LABEL, strlen(CTLMAC_LABEL), key,
	    &kn) == NULL ||
	    HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)body,
	    len, mac, &mn) == NULL) {
		OPENSSL_cleanse(key, sizeof(key));
		return -1;
	}
	OPENSSL_cleanse(key, sizeof(key));
	rc = b64_encode(mac, sizeof(mac), B64_URL, out, CTLMAC_STRLEN, NULL);
	return rc == 0 ? 0 : -1;
}

int
ctlmac_ok(const char *secret, const char *body, size_t len, const char *mac)
{
	char want[CTLMAC_STRLEN];

	if (mac == NULL || ctlmac_make(secret, body, len, want) != 0 ||
	    strlen(mac) != strlen(want))
		return 0;
	return CRYPTO_memcmp(want, mac, strlen(want)) == 0;
}
