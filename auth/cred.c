/*
 * cred.c - TURN REST credentials (see cred.h).
 *
 * draft-uberti-behave-turn-rest-00 §2.2: username = expiry ":" id,
 * password = base64(HMAC-SHA1(shared secret, username)).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth/cred.h"
#include "auth/mac.h"
#include "common/base64.h"

int
cred_password(const char *secret, const char *user, size_t userlen,
    char *pass, size_t plen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	int rc;

	if (plen < CRED_PASS_MAX)
		return -1;
	if (mac_hmac(MAC_SHA1, (const uint8_t *)secret, strlen(secret),
	    (const uint8_t *)user, userlen, NULL, 0, mac) != 0)
		return -1;
	rc = b64_encode(mac, 20, B64_PAD, pass, plen, NULL);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int
cred_make(const char *secret, const char *id, long long expiry, char *user,
    size_t ulen, char *pass, size_t plen)
{
	size_t i, idlen = id != NULL ? strlen(id) : 0;
	int n;

	if (expiry < 0 || idlen > CRED_ID_MAX)
		return -1;
	for (i = 0; i < idlen; i++)
		if (id[i] == ':' || (unsigned char)id[i] < 0x21 ||
		    id[i] == 0x7f)
			return -1;
	if (idlen > 0)
		n = snprintf(user, ulen, "%lld:%s", expiry, id);
	else
		n = snprintf(user, ulen, "%lld", expiry);
	if (n < 0 || (size_t)n >= ulen)
		return -1;
	return cred_password(secret, user, (size_t)n, pass, plen);
}

int
cred_parse_user(const char *user, size_t len, long long *expiry,
    const char **id, size_t *idlen)
{
	long long v = 0;
	size_t i;

	*id = NULL;
	*idlen = 0;
	for (i = 0; i < len && user[i] != ':'; i++) {
		if (user[i] < '0' || user[i] > '9' || i >= 12)
			return -1;
		v = v * 10 + (user[i] - '0');
	}
	if (i == 0)
		return -1;
	*expiry = v;
	if (i < len) {
		*id = user + i + 1;
		*idlen = len - i - 1;
	}
	return 0;
}

int
cred_session_of(const char *user, size_t len, char *session, size_t slen)
{
	long long expiry;
	const char *id;
	size_t idlen;

	if (cred_parse_user(user, len, &expiry, &id, &idlen) != 0 ||
	    idlen < 3 || id[0] != 's' || id[1] != '-' || idlen - 2 >= slen)
		return -1;
	memcpy(session, id + 2, idlen - 2);
	session[idlen - 2] = '\0';
	return 0;
}
