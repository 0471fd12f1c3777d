/*
 * nonce.c - stateless nonces (see nonce.h).
 */
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/mac.h"
#include "auth/nonce.h"
#include "common/rdwr.h"

#define NONCE_MAC_LEN	12

static const char hexdig[] = "0123456789abcdef";

int
nonce_key_init(struct nonce_key *k)
{
	return RAND_bytes(k->k, sizeof(k->k)) == 1 ? 0 : -1;
}

void
nonce_key_wipe(struct nonce_key *k)
{
	OPENSSL_cleanse(k->k, sizeof(k->k));
}

static void
nonce_mac(const struct nonce_key *k, uint32_t issued,
    const struct maddr *client, uint8_t out[NONCE_MAC_LEN])
{
	uint8_t msg[4 + 1 + 16], mac[EVP_MAX_MD_SIZE];
	struct wr w;

	wr_init(&w, msg, sizeof(msg));
	wr_u32(&w, issued);
	wr_u8(&w, client->family);
	wr_bytes(&w, client->ip, 16);
	if (w.err || mac_hmac(MAC_SHA256, k->k, sizeof(k->k), msg, w.len,
	    NULL, 0, mac) != 0) {
		/* Cannot happen with a working libcrypto; a nonce that never
		 * verifies is the safe failure. */
		RAND_bytes(out, NONCE_MAC_LEN);
		return;
	}
	memcpy(out, mac, NONCE_MAC_LEN);
}

void
nonce_make(const struct nonce_key *k, long long now,
    const struct maddr *client, char out[NONCE_STRLEN + 1])
{
	uint8_t raw[4 + NONCE_MAC_LEN];
	uint32_t issued = (uint32_t)now;
	size_t i;

	raw[0] = issued >> 24;
	raw[1] = (issued >> 16) & 0xff;
	raw[2] = (issued >> 8) & 0xff;
	raw[3] = issued & 0xff;
	nonce_mac(k, issued, client, raw + 4);
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hexdig[raw[i] >> 4];
		out[2 * i + 1] = hexdig[raw[i] & 0xf];
	}
	out[NONCE_STRLEN] = '\0';
}

static int
unhex(const char *s, size_t len, uint8_t *out)
{
	struct rd r;
	size_t i;

	rd_init(&r, s, len);
	for (i = 0; i < len / 2; i++) {
		uint8_t v = 0;
		int j;

		for (j = 0; j < 2; j++) {
			uint8_t c = rd_u8(&r);

			if (c >= '0' && c <= '9')
				v = (uint8_t)(v << 4 | (c - '0'));
			else if (c >= 'a' && c <= 'f')
				v = (uint8_t)(v << 4 | (c - 'a' + 10));
			else
				return -1;
		}
		out[i] = v;
	}
	return r.err || r.left != 0 ? -1 : 0;
}

int
nonce_check(const struct nonce_key *k, const char *nonce, size_t len,
    long long now, long long ttl, const struct maddr *client)
{
	uint8_t raw[4 + NONCE_MAC_LEN], mac[NONCE_MAC_LEN];
	uint32_t issued;
	long long age;

	if (len != NONCE_STRLEN || unhex(nonce, len, raw) != 0)
		return NONCE_BAD;
	issued = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
	    (uint32_t)raw[2] << 8 | raw[3];
	nonce_mac(k, issued, client, mac);
	if (CRYPTO_memcmp(mac, raw + 4, NONCE_MAC_LEN) != 0)
		return NONCE_BAD;
	/* Unix seconds in 32 bits: compare within the same era. */
	age = (long long)(uint32_t)now - (long long)issued;
	if (age < -NONCE_SKEW)
		return NONCE_BAD;
	if (age > ttl)
		return NONCE_STALE;
	return NONCE_OK;
}
