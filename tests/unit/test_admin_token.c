/*
 * test_admin_token.c - admin API tokens and their argon2id hashes
 * (auth/admin_token.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <argon2.h>

#include "auth/admin_token.h"
#include "tests/tap.h"

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

int
main(void)
{
	char tok[ADMIN_TOKEN_LEN + 1], tok2[ADMIN_TOKEN_LEN + 1];
	char look[ADMIN_LOOKUP_LEN + 1], look2[ADMIN_LOOKUP_LEN + 1];
	char hash[ADMIN_HASH_MAX], hash2[ADMIN_HASH_MAX], other[ADMIN_HASH_MAX];
	char bad[ADMIN_TOKEN_LEN + 1];
	struct timespec t0;
	double ms;
	const uint8_t salt[16] = "0123456789abcdef";

	ok(admin_token_new(tok, look, hash) == 0, "a token is made");
	is_int(strlen(tok), ADMIN_TOKEN_LEN, "token length");
	ok(tok[ADMIN_LOOKUP_LEN] == '.' && strncmp(tok, look,
	    ADMIN_LOOKUP_LEN) == 0, "token is LOOKUP.SECRET");
	ok(strncmp(hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0,
	    "stored as an argon2id PHC string: %s", hash);
	ok(strstr(hash, tok + ADMIN_LOOKUP_LEN + 1) == NULL,
	    "the hash does not hold the secret");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(admin_token_verify(hash, tok, strlen(tok)), 1,
	    "the token verifies");
	ms = ms_since(&t0);
	printf("# argon2id verification (t=2, m=19 MiB, p=1): %.1f ms\n", ms);

	strlcpy(bad, tok, sizeof(bad));
	bad[ADMIN_TOKEN_LEN - 1] = bad[ADMIN_TOKEN_LEN - 1] == '0' ? '1' : '0';
	is_int(admin_token_verify(hash, bad, strlen(bad)), 0,
	    "one character changed: no match");
	is_int(admin_token_verify(hash, tok, strlen(tok) - 1), 0,
	    "a prefix of the token: no match");

	ok(admin_token_new(tok2, look2, hash2) == 0 && strcmp(tok, tok2) != 0 &&
	    strcmp(look, look2) != 0, "two tokens differ");
	is_int(admin_token_verify(hash2, tok, strlen(tok)), 0,
	    "a token does not match another admin's hash");
	ok(admin_token_hash(tok, other) == 0 && strcmp(other, hash) != 0,
	    "hashing again uses a fresh salt");
	is_int(admin_token_verify(other, tok, strlen(tok)), 1,
	    "and still verifies");

	/* Any argon2id PHC string within bounds verifies. */
	ok(argon2id_hash_encoded(3, 4096, 2, tok, strlen(tok), salt,
	    sizeof(salt), 32, other, sizeof(other)) == ARGON2_OK,
	    "libargon2 makes a hash with other parameters");
	is_int(admin_token_verify(other, tok, strlen(tok)), 1,
	    "other parameters are read from the string");

	/* Malformed or out-of-bounds stored strings. */
	is_int(admin_token_verify("", tok, strlen(tok)), -1, "empty hash");
	is_int(admin_token_verify("garbage", tok, strlen(tok)), -1, "garbage");
	ok(argon2i_hash_encoded(2, 4096, 1, tok, strlen(tok), salt,
	    sizeof(salt), 32, other, sizeof(other)) == ARGON2_OK, "argon2i");
	is_int(admin_token_verify(other, tok, strlen(tok)), -1,
	    "argon2i is refused (argon2id only)");
	is_int(admin_token_verify("$argon2id$v=19$m=1048576,t=2,p=1$"
	    "MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    tok, strlen(tok)), -1, "1 GiB of memory is refused unhashed");
	is_int(admin_token_verify("$argon2id$v=19$m=4096,t=0,p=1$"
	    "MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    tok, strlen(tok)), -1, "t=0 is refused");
	is_int(admin_token_verify("$argon2id$v=16$m=4096,t=2,p=1$"
	    "MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    tok, strlen(tok)), -1, "version 16 is refused");
	is_int(admin_token_verify("$argon2id$v=19$m=4096,t=2,p=1$"
	    "MDEy!zQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    tok, strlen(tok)), -1, "bad base64 in the salt");
	is_int(admin_token_verify("$argon2id$v=19$m=4096,t=2,p=1$"
	    "MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$x",
	    tok, strlen(tok)), -1, "trailing bytes");
	is_int(admin_token_verify("$argon2id$v=19$m=4096,t=2,p=1$"
	    "MDEyMzQ1Njc4OWFiY2RlZg$AAAA", tok, strlen(tok)), -1,
	    "a hash shorter than 16 bytes");
	is_int(admin_token_verify("$argon2id$v=19$m=04096,t=2,p=1$"
	    "MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    tok, strlen(tok)), -1, "leading zeros");

	/* The lookup part of presented tokens. */
	ok(admin_token_lookup(tok, strlen(tok), look2) == 0 &&
	    strcmp(look2, look) == 0, "lookup part of a token");
	ok(admin_token_lookup(tok, strlen(tok) - 1, look2) != 0 &&
	    look2[0] == '\0', "short token refused");
	strlcpy(bad, tok, sizeof(bad));
	bad[ADMIN_LOOKUP_LEN] = ':';
	ok(admin_token_lookup(bad, strlen(bad), look2) != 0, "no dot refused");
	strlcpy(bad, tok, sizeof(bad));
	bad[3] = 'G';
	ok(admin_token_lookup(bad, strlen(bad), look2) != 0,
	    "non-hex lookup refused");
	strlcpy(bad, tok, sizeof(bad));
	bad[40] = 'Z';
	ok(admin_token_lookup(bad, strlen(bad), look2) != 0,
	    "non-hex secret refused");
	return done_testing();
}
