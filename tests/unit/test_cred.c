/*
 * test_cred.c - TURN REST credentials: the published vector, strict
 * username parsing, session ids.
 */
#include <string.h>

#include "auth/cred.h"
#include "tests/tap.h"

int
main(void)
{
	char user[CRED_USER_MAX], pass[CRED_PASS_MAX], sess[64];
	const char *id;
	size_t idlen;
	long long exp;

	/* turn-conformance.md: secret "north", "1700000000:alice". */
	ok(cred_make("north", "alice", 1700000000, user, sizeof(user), pass,
	    sizeof(pass)) == 0, "make");
	is_str(user, "1700000000:alice", "username EXPIRY:ID");
	is_str(pass, "Cd/49soE35ICqcJF/bCTn8Z4OyE=", "password: the vector");
	ok(cred_make("north", NULL, 1700000000, user, sizeof(user), pass,
	    sizeof(pass)) == 0 && strcmp(user, "1700000000") == 0,
	    "no id: EXPIRY alone");
	ok(cred_make("north", "a:b", 1, user, sizeof(user), pass,
	    sizeof(pass)) != 0, "an id with ':' is refused");
	ok(cred_make("north", "a b", 1, user, sizeof(user), pass,
	    sizeof(pass)) != 0, "an id with a space is refused");
	ok(cred_make("north", "x", 1, user, 3, pass, sizeof(pass)) != 0,
	    "a short buffer is refused");
	cred_password("other", "1700000000:alice", 16, pass, sizeof(pass));
	ok(strcmp(pass, "Cd/49soE35ICqcJF/bCTn8Z4OyE=") != 0,
	    "another secret gives another password");

	ok(cred_parse_user("1700000000:s-abc", 16, &exp, &id, &idlen) == 0 &&
	    exp == 1700000000 && idlen == 5 && memcmp(id, "s-abc", 5) == 0,
	    "parse EXPIRY:ID");
	ok(cred_parse_user("17", 2, &exp, &id, &idlen) == 0 && exp == 17 &&
	    id == NULL, "parse EXPIRY");
	ok(cred_parse_user("", 0, &exp, &id, &idlen) != 0, "empty refused");
	ok(cred_parse_user(":x", 2, &exp, &id, &idlen) != 0,
	    "no expiry refused");
	ok(cred_parse_user("12a:x", 5, &exp, &id, &idlen) != 0,
	    "non-digit expiry refused");
	ok(cred_parse_user("1234567890123:x", 15, &exp, &id, &idlen) != 0,
	    "13-digit expiry refused (no overflow)");
	ok(cred_parse_user("alice:1700000000", 16, &exp, &id, &idlen) != 0,
	    "ID:EXPIRY order refused");
	ok(cred_session_of("99:s-k3y", 8, sess, sizeof(sess)) == 0 &&
	    strcmp(sess, "k3y") == 0, "session of EXPIRY:s-SESSION");
	ok(cred_session_of("99:alice", 8, sess, sizeof(sess)) != 0,
	    "no session in other ids");
	ok(cred_session_of("99:s-", 5, sess, sizeof(sess)) != 0,
	    "empty session refused");
	return done_testing();
}
