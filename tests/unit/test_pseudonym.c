/*
 * test_pseudonym.c - keyed pseudonyms of client addresses (auth/pseudonym.c).
 *
 * Known answers computed independently (Python's hmac over SHA-256 of the
 * secret), the client-IP rule (IPv4 address, IPv6 /64), mapped addresses,
 * and the secret file in the state dir.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/pseudonym.h"
#include "tests/tap.h"

static void
ps(const struct pseudonym_key *k, const char *ip, uint16_t port, char *out)
{
	struct maddr a;

	if (addr_parse(ip, &a) != 0) {
		ok(0, "parse %s", ip);
		strlcpy(out, "", PSEUDONYM_LEN + 1);
		return;
	}
	a.port = port;
	pseudonym_of(k, &a, out);
}

int
main(void)
{
	struct pseudonym_key k, k2, k3;
	char a[PSEUDONYM_LEN + 1], b[PSEUDONYM_LEN + 1];
	char dir[] = "/tmp/test_pseudonym.XXXXXX", path[512], err[256];
	struct stat sb;

	pseudonym_key_set(&k, "test-secret", strlen("test-secret"));

	ps(&k, "192.0.2.1", 0, a);
	is_str(a, "6ee88f57ab76e52f2afe07c18ce92611",
	    "IPv4 pseudonym matches the independent HMAC-SHA256");
	ps(&k, "2001:db8:1:2::77", 0, a);
	is_str(a, "e2849aacd913611a48077d74cf6097a1",
	    "IPv6 pseudonym matches the independent HMAC-SHA256 of the /64");
	ok(pseudonym_valid(a), "a pseudonym is 32 lowercase hex");

	ps(&k, "2001:db8:1:2:ffff:1:2:3", 0, b);
	is_str(b, a, "same /64, same pseudonym (SPEC's client IP)");
	ps(&k, "2001:db8:1:3::77", 0, b);
	ok(strcmp(a, b) != 0, "another /64, another pseudonym");

	ps(&k, "192.0.2.1", 1234, a);
	ps(&k, "192.0.2.1", 5678, b);
	is_str(a, b, "the port does not matter");
	ps(&k, "::ffff:192.0.2.1", 0, b);
	is_str(b, "6ee88f57ab76e52f2afe07c18ce92611",
	    "an IPv4-mapped IPv6 address is the IPv4 client");
	ps(&k, "192.0.2.2", 0, b);
	ok(strcmp(a, b) != 0, "another IPv4 address, another pseudonym");

	pseudonym_key_set(&k2, "other-secret", strlen("other-secret"));
	ps(&k2, "192.0.2.1", 0, b);
	ok(strcmp(a, b) != 0, "another key, another pseudonym");

	ok(!pseudonym_valid("6ee88f57ab76e52f2afe07c18ce9261"), "31 chars: "
	    "not a pseudonym");
	ok(!pseudonym_valid("6ee88f57ab76e52f2afe07c18ce926110"), "33 chars: "
	    "not a pseudonym");
	ok(!pseudonym_valid("6EE88F57AB76E52F2AFE07C18CE92611"), "upper case: "
	    "not a pseudonym");
	ok(!pseudonym_valid("6ee88f57ab76e52f2afe07c18ce9261g"), "non-hex: "
	    "not a pseudonym");
	ok(!pseudonym_valid("192.0.2.1"), "an address is not a pseudonym");

	/* The secret in the state dir: created 0600, stable. */
	if (mkdtemp(dir) == NULL)
		return 1;
	ok(pseudonym_key_load(&k2, dir, err, sizeof(err)) == 0,
	    "key created in an empty state dir");
	snprintf(path, sizeof(path), "%s/%s", dir, PSEUDONYM_SECRET);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "pseudonym-secret is 0600");
	ok(pseudonym_key_load(&k3, dir, err, sizeof(err)) == 0 &&
	    memcmp(k2.k, k3.k, sizeof(k2.k)) == 0,
	    "the key is the same at the next start");
	ok(memcmp(k2.k, k.k, sizeof(k.k)) != 0, "a generated key is random");
	chmod(path, 0644);
	ok(pseudonym_key_load(&k3, dir, err, sizeof(err)) != 0 &&
	    strstr(err, "readable by others") != NULL,
	    "a secret readable by others is refused: %s", err);
	unlink(path);
	rmdir(dir);
	pseudonym_key_wipe(&k);
	ok(k.k[0] == 0 && k.k[31] == 0, "wipe clears the key");
	return done_testing();
}
