/*
 * mac.c - HMAC and digests on algorithms fetched once (see mac.h).
 */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/mac.h"

#define MAC_BLOCK	64	/* SHA-1, SHA-256 and MD5 block size */

/* Immutable once fetched, shared read-only by every thread (OpenSSL's
 * algorithm objects are reference-counted and thread-safe). */
static EVP_MD *fetched[3];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

/* Fetches the digests the daemon MACs with. */
static void
mac_fetch(void)
{
	fetched[MAC_SHA1] = EVP_MD_fetch(NULL, "SHA1", NULL);
	fetched[MAC_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
	fetched[MAC_MD5] = EVP_MD_fetch(NULL, "MD5", NULL);
}

const EVP_MD *
mac_md(enum mac_md md)
{
	(void)pthread_once(&fetch_once, mac_fetch);
	switch (md) {
	case MAC_SHA1:
		return fetched[md] != NULL ? fetched[md] : EVP_sha1();
	case MAC_SHA256:
		return fetched[md] != NULL ? fetched[md] : EVP_sha256();
	case MAC_MD5:
		return fetched[md] != NULL ? fetched[md] : EVP_md5();
	}
	return NULL;
}

/* RFC 2104: H(K ^ opad, H(K ^ ipad, text)), a key longer than the block
 * hashed first. */
int
mac_hmac(enum mac_md which, const uint8_t *key, size_t keylen,
    const uint8_t *p1, size_t l1, const uint8_t *p2, size_t l2, uint8_t *out)
{
	const EVP_MD *md = mac_md(which);
	EVP_MD_CTX *c;
	uint8_t k[MAC_BLOCK], pad[MAC_BLOCK], inner[EVP_MAX_MD_SIZE];
	unsigned int ilen = 0, olen = 0;
	size_t i;
	int rc = -1;

	if (md == NULL || (c = EVP_MD_CTX_new()) == NULL)
		return -1;
	memset(k, 0, sizeof(k));
	if (keylen > MAC_BLOCK) {
		if (EVP_DigestInit_ex(c, md, NULL) != 1 ||
		    EVP_DigestUpdate(c, key, keylen) != 1 ||
		    EVP_DigestFinal_ex(c, k, &ilen) != 1)
			goto out;
	} else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < MAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	if (EVP_DigestInit_ex(c, md, NULL) != 1 ||
	    EVP_DigestUpdate(c, pad, MAC_BLOCK) != 1 ||
	    (l1 > 0 && EVP_DigestUpdate(c, p1, l1) != 1) ||
	    (l2 > 0 && EVP_DigestUpdate(c, p2, l2) != 1) ||
	    EVP_DigestFinal_ex(c, inner, &ilen) != 1)
		goto out;
	for (i = 0; i < MAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	if (EVP_DigestInit_ex(c, md, NULL) != 1 ||
	    EVP_DigestUpdate(c, pad, MAC_BLOCK) != 1 ||
	    EVP_DigestUpdate(c, inner, ilen) != 1 ||
	    EVP_DigestFinal_ex(c, out, &olen) != 1 ||
	    olen != (unsigned int)EVP_MD_get_size(md))
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	EVP_MD_CTX_free(c);
	return rc;
}
