/*
 * ltkey.c - long-term credential keys (see ltkey.h).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/cred.h"
#include "auth/ltkey.h"
#include "auth/mac.h"

static int
ltkey_digest(const EVP_MD *md, const char *user, size_t ulen,
    const char *realm, size_t rlen, const char *pass, size_t plen,
    uint8_t *key, unsigned int want)
{
	EVP_MD_CTX *c;
	unsigned int n = 0;
	int rc = -1;

	if ((c = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(c, md, NULL) == 1 &&
	    EVP_DigestUpdate(c, user, ulen) == 1 &&
	    EVP_DigestUpdate(c, ":", 1) == 1 &&
	    EVP_DigestUpdate(c, realm, rlen) == 1 &&
	    EVP_DigestUpdate(c, ":", 1) == 1 &&
	    EVP_DigestUpdate(c, pass, plen) == 1 &&
	    EVP_DigestFinal_ex(c, key, &n) == 1 && n == want)
		rc = 0;
	EVP_MD_CTX_free(c);
	return rc;
}

int
ltkey_make(const char *user, size_t ulen, const char *realm, size_t rlen,
    const char *pass, size_t plen, uint8_t key[LTKEY_LEN])
{
	return ltkey_digest(mac_md(MAC_MD5), user, ulen, realm, rlen, pass, plen,
	    key, LTKEY_LEN);
}

int
ltkey_make_sha256(const char *user, size_t ulen, const char *realm,
    size_t rlen, const char *pass, size_t plen, uint8_t key[LTKEY_SHA256_LEN])
{
	return ltkey_digest(mac_md(MAC_SHA256), user, ulen, realm, rlen, pass, plen,
	    key, LTKEY_SHA256_LEN);
}

int
ltkey_from_secret(const char *secret, const char *user, size_t ulen,
    const char *realm, size_t rlen, uint8_t key[LTKEY_LEN])
{
	char pass[CRED_PASS_MAX];
	int rc;

	if (cred_password(secret, user, ulen, pass, sizeof(pass)) != 0)
		return -1;
	rc = ltkey_make(user, ulen, realm, rlen, pass, strlen(pass), key);
	OPENSSL_cleanse(pass, sizeof(pass));
	return rc;
}
