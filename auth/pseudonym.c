/*
 * pseudonym.c - keyed pseudonyms of client addresses (see pseudonym.h).
 *
 * The MAC input is the address family byte followed by the client IP's
 * bytes (4 for IPv4, the 8 of the /64 prefix for IPv6), so an IPv4 address
 * and an IPv6 prefix never collide by construction.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "auth/pseudonym.h"
#include "common/statedir.h"

int
pseudonym_key_load(struct pseudonym_key *key, const char *state_dir,
    char *err, size_t errlen)
{
	char *secret;

	if (statedir_secret(state_dir, PSEUDONYM_SECRET, 32, &secret, err,
	    errlen) != 0)
		return -1;
	pseudonym_key_set(key, secret, strlen(secret));
	explicit_bzero(secret, strlen(secret));
	free(secret);
	return 0;
}

void
pseudonym_key_set(struct pseudonym_key *key, const void *secret, size_t len)
{
	/* Any length of secret gives a full-size HMAC key. */
	SHA256(secret, len, key->k);
}

void
pseudonym_key_wipe(struct pseudonym_key *key)
{
	explicit_bzero(key->k, sizeof(key->k));
}

void
pseudonym_unmap(const struct maddr *in, struct maddr *out)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	*out = *in;
	if (in->family == AF_INET6 && memcmp(in->ip, mapped, 12) == 0) {
		memset(out->ip, 0, sizeof(out->ip));
		memcpy(out->ip, in->ip + 12, 4);
		out->family = AF_INET;
	}
}

void
pseudonym_of(const struct pseudonym_key *key, const struct maddr *a,
    char out[PSEUDONYM_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	struct maddr plain, ck;
	uint8_t msg[1 + 16], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t n, i;

	pseudonym_unmap(a, &plain);
	addr_client_key(&plain, &ck);
	n = ck.family == AF_INET ? 4 : 8;
	msg[0] = ck.family == AF_INET ? 4 : 6;
	memcpy(msg + 1, ck.ip, n);
	if (HMAC(EVP_sha256(), key->k, sizeof(key->k), msg, 1 + n, mac,
	    &maclen) == NULL || maclen < PSEUDONYM_LEN / 2) {
		/* Cannot happen with a working libcrypto; never emit a
		 * pseudonym that two clients could share by accident. */
		abort();
	}
	for (i = 0; i < PSEUDONYM_LEN / 2; i++) {
		out[2 * i] = digits[mac[i] >> 4];
		out[2 * i + 1] = digits[mac[i] & 15];
	}
	out[PSEUDONYM_LEN] = '\0';
	explicit_bzero(mac, sizeof(mac));
}

int
pseudonym_valid(const char *s)
{
	size_t i;

	for (i = 0; i < PSEUDONYM_LEN; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return s[PSEUDONYM_LEN] == '\0';
}
