/*
 * test_nonce.c - stateless nonces (A4): fresh, stale after the TTL, bound
 * to the client address and to the process key, strict format.
 */
#include <string.h>

#include "auth/nonce.h"
#include "tests/tap.h"

int
main(void)
{
	struct nonce_key k, k2;
	struct maddr c, c2, c6;
	char n[NONCE_STRLEN + 1], bad[NONCE_STRLEN + 1];
	long long now = 1700000000;

	ok(nonce_key_init(&k) == 0 && nonce_key_init(&k2) == 0, "keys");
	addr_parse("192.0.2.10", &c);
	c.port = 5000;
	addr_parse("192.0.2.11", &c2);
	addr_parse("2001:db8::1", &c6);

	nonce_make(&k, now, &c, n);
	is_int(strlen(n), NONCE_STRLEN, "nonce length");
	is_int(nonce_check(&k, n, strlen(n), now, NONCE_TTL, &c), NONCE_OK,
	    "fresh nonce verifies");
	c.port = 6000;
	is_int(nonce_check(&k, n, strlen(n), now, NONCE_TTL, &c), NONCE_OK,
	    "bound to the address, not the port");
	is_int(nonce_check(&k, n, strlen(n), now + NONCE_TTL, NONCE_TTL, &c),
	    NONCE_OK, "still fresh at the TTL");
	is_int(nonce_check(&k, n, strlen(n), now + NONCE_TTL + 1, NONCE_TTL,
	    &c), NONCE_STALE, "A4: stale after the TTL");
	is_int(nonce_check(&k, n, strlen(n), now - NONCE_SKEW - 1, NONCE_TTL,
	    &c), NONCE_BAD, "from the future: bad");
	is_int(nonce_check(&k, n, strlen(n), now, NONCE_TTL, &c2), NONCE_BAD,
	    "another client address: bad");
	is_int(nonce_check(&k, n, strlen(n), now, NONCE_TTL, &c6), NONCE_BAD,
	    "another family: bad");
	is_int(nonce_check(&k2, n, strlen(n), now, NONCE_TTL, &c), NONCE_BAD,
	    "another key (a restart): bad");
	is_int(nonce_check(&k, n, strlen(n) - 1, now, NONCE_TTL, &c),
	    NONCE_BAD, "truncated: bad");
	memcpy(bad, n, sizeof(bad));
	bad[NONCE_STRLEN - 1] = bad[NONCE_STRLEN - 1] == '0' ? '1' : '0';
	is_int(nonce_check(&k, bad, strlen(bad), now, NONCE_TTL, &c),
	    NONCE_BAD, "one MAC digit changed: bad");
	memcpy(bad, n, sizeof(bad));
	bad[0] = 'G';
	is_int(nonce_check(&k, bad, strlen(bad), now, NONCE_TTL, &c),
	    NONCE_BAD, "not hex: bad");
	memcpy(bad, n, sizeof(bad));
	bad[7] = bad[7] == '0' ? '1' : '0';
	is_int(nonce_check(&k, bad, strlen(bad), now, NONCE_TTL, &c),
	    NONCE_BAD, "a forged (older) time: bad");
	{
		char n6[NONCE_STRLEN + 1];

		nonce_make(&k, now, &c6, n6);
		is_int(nonce_check(&k, n6, strlen(n6), now + 10, NONCE_TTL,
		    &c6), NONCE_OK, "IPv6 client");
	}
	nonce_key_wipe(&k);
	nonce_key_wipe(&k2);
	return done_testing();
}
