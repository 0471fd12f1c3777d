/*
 * admin_token.c - bearer tokens of the moderation API (see admin_token.h).
 *
 * The stored PHC string is parsed here with the bounds-checked reader rather
 * than handed to argon2id_verify(): the parameters a database row may ask
 * for are bounded (a tampered row must not make one request cost a gigabyte
 * of memory), and the final comparison is CRYPTO_memcmp, constant time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth/admin_token.h"
#include "common/base64.h"
#include "common/rdwr.h"

/* What a stored hash may ask for: generous, but bounded. */
#define MAX_T		16
#define MAX_M		(256 * 1024)	/* KiB */
#define MAX_P		8
#define MIN_SALT	8
#define MAX_SALT	64
#define MIN_HASH	16
#define MAX_HASH	64

static void
hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
ishex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
hash_with_salt(const char *token, const uint8_t *salt, size_t saltlen,
    char *out)
{
	int rc;

	rc = argon2id_hash_encoded(ADMIN_ARGON2_T, ADMIN_ARGON2_M,
	    ADMIN_ARGON2_P, token, strlen(token), salt, saltlen,
	    ADMIN_ARGON2_HASH, out, ADMIN_HASH_MAX);
	return rc == ARGON2_OK ? 0 : -1;
}

int
admin_token_hash(const char *token, char *out)
{
	uint8_t salt[ADMIN_ARGON2_SALT];

	out[0] = '\0';
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	return hash_with_salt(token, salt, sizeof(salt), out);
}

int
admin_token_new(char *token, char *lookup, char *hash)
{
	uint8_t raw[ADMIN_LOOKUP_LEN / 2 + ADMIN_SECRET_LEN / 2];
	int rc;

	token[0] = lookup[0] = hash[0] = '\0';
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	hex(raw, ADMIN_LOOKUP_LEN / 2, lookup);
	memcpy(token, lookup, ADMIN_LOOKUP_LEN);
	token[ADMIN_LOOKUP_LEN] = '.';
	hex(raw + ADMIN_LOOKUP_LEN / 2, ADMIN_SECRET_LEN / 2,
	    token + ADMIN_LOOKUP_LEN + 1);
	explicit_bzero(raw, sizeof(raw));
	rc = admin_token_hash(token, hash);
	if (rc != 0)
		explicit_bzero(token, ADMIN_TOKEN_LEN + 1);
	return rc;
}

int
admin_token_lookup(const char *token, size_t len, char *lookup)
{
	lookup[0] = '\0';
	if (len != ADMIN_TOKEN_LEN || token[ADMIN_LOOKUP_LEN] != '.' ||
	    !ishex(token, ADMIN_LOOKUP_LEN) ||
	    !ishex(token + ADMIN_LOOKUP_LEN + 1, ADMIN_SECRET_LEN))
		return -1;
	memcpy(lookup, token, ADMIN_LOOKUP_LEN);
	lookup[ADMIN_LOOKUP_LEN] = '\0';
	return 0;
}

/* Consumes the literal s; sets r->err when it is not next. */
static void
rd_lit(struct rd *r, const char *s)
{
	const uint8_t *p;
	size_t n = strlen(s);

	if (rd_bytes(r, &p, n) == 0 && memcmp(p, s, n) != 0)
		r->err = 1;
}

/* A decimal number up to max (no sign, no leading zeros but "0"). */
static uint32_t
rd_dec(struct rd *r, uint32_t max)
{
	uint64_t v = 0;
	size_t n = 0;

	while (!r->err && r->left > 0 && r->p[0] >= '0' && r->p[0] <= '9') {
		if (n > 0 && v == 0)
			r->err = 1;
		v = v * 10 + (uint64_t)(rd_u8(r) - '0');
		if (v > max)
			r->err = 1;
		n++;
	}
	if (n == 0)
		r->err = 1;
	return r->err ? 0 : (uint32_t)v;
}

/*
 * Decodes unpadded standard base64 up to the next '$' or the end into out
 * (at most max bytes); returns the length, or 0 with r->err set.
 */
static size_t
rd_b64(struct rd *r, uint8_t *out, size_t max)
{
	const uint8_t *p;
	size_t len = 0, n;

	while (len < r->left && r->p[len] != '$')
		len++;
	if (r->err || rd_bytes(r, &p, len) != 0 ||
	    b64_decode((const char *)p, len, 0, out, max, &n) != 0) {
		r->err = 1;
		return 0;
	}
	return n;
}

int
admin_token_verify(const char *stored, const char *token, size_t len)
{
	uint8_t salt[MAX_SALT], want[MAX_HASH], got[MAX_HASH];
	uint32_t m, t, p;
	size_t saltlen, hashlen;
	struct rd r;
	int rc = -1;

	rd_init(&r, stored, strlen(stored));
	rd_lit(&r, "$argon2id$v=19$m=");
	m = rd_dec(&r, MAX_M);
	rd_lit(&r, ",t=");
	t = rd_dec(&r, MAX_T);
	rd_lit(&r, ",p=");
	p = rd_dec(&r, MAX_P);
	rd_lit(&r, "$");
	saltlen = rd_b64(&r, salt, sizeof(salt));
	rd_lit(&r, "$");
	hashlen = rd_b64(&r, want, sizeof(want));
	if (r.err || r.left != 0 || t < 1 || p < 1 || m < 8 * p ||
	    saltlen < MIN_SALT || hashlen < MIN_HASH)
		goto out;
	if (argon2id_hash_raw(t, m, p, token, len, salt, saltlen, got,
	    hashlen) != ARGON2_OK)
		goto out;
	rc = CRYPTO_memcmp(got, want, hashlen) == 0 ? 1 : 0;
out:
	explicit_bzero(got, sizeof(got));
	return rc;
}
