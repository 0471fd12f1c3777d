/*
 * test_mac.c - HMAC on fetched digests (auth/mac.c): the test vectors of
 * RFC 2202 (HMAC-SHA1) and RFC 4231 (HMAC-SHA256), a key longer than the
 * block (hashed first), and the two pieces MACed as one.
 */
#include <stdio.h>
#include <string.h>

#include "auth/mac.h"
#include "tests/tap.h"

static int
hex_is(const uint8_t *mac, size_t n, const char *want)
{
	char got[2 * EVP_MAX_MD_SIZE + 1];
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(got + 2 * i, 3, "%02x", mac[i]);
	return strcmp(got, want) == 0;
}

int
main(void)
{
	static const char jefe_msg[] = "what do ya want for nothing?";
	static const char big_msg[] =
	    "Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t big[131], mac[EVP_MAX_MD_SIZE];
	const uint8_t *jm = (const uint8_t *)jefe_msg;

	memset(big, 0xaa, sizeof(big));
	ok(mac_md(MAC_SHA1) != NULL && mac_md(MAC_SHA256) != NULL &&
	    mac_md(MAC_MD5) != NULL, "the digests are there");
	ok(mac_hmac(MAC_SHA1, (const uint8_t *)"Jefe", 4, jm,
	    strlen(jefe_msg), NULL, 0, mac) == 0 && hex_is(mac, 20,
	    "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
	    "RFC 2202 test 2: HMAC-SHA1");
	ok(mac_hmac(MAC_SHA1, big, 80, (const uint8_t *)big_msg,
	    strlen(big_msg), NULL, 0, mac) == 0 && hex_is(mac, 20,
	    "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
	    "RFC 2202 test 6: an 80-byte key is hashed first");
	ok(mac_hmac(MAC_SHA256, (const uint8_t *)"Jefe", 4, jm,
	    strlen(jefe_msg), NULL, 0, mac) == 0 && hex_is(mac, 32,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
	    "RFC 4231 test 2: HMAC-SHA256");
	ok(mac_hmac(MAC_SHA256, big, sizeof(big), (const uint8_t *)big_msg,
	    strlen(big_msg), NULL, 0, mac) == 0 && hex_is(mac, 32,
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
	    "RFC 4231 test 6: a 131-byte key is hashed first");
	ok(mac_hmac(MAC_SHA256, (const uint8_t *)"Jefe", 4, jm, 10, jm + 10,
	    strlen(jefe_msg) - 10, mac) == 0 && hex_is(mac, 32,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
	    "two pieces MAC as one");
	return done_testing();
}
