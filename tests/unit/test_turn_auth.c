/*
 * test_turn_auth.c - the request path of relay/turn.c: STUN Binding (RFC 8489
 * §§6-7, unknown attributes and methods, malformed messages dropped) and
 * the long-term credential flow (RFC 8656 §5, RFC 8489 §9.2): stateless
 * nonces, 401 and 438, every kind of bad credential with its security
 * event, secret rotation, MESSAGE-INTEGRITY-SHA256 answered in kind, 441
 * for other credentials on an allocation's 5-tuple.
 *
 * The context and client are tests/unit/turn_fixture.h's, on the fake
 * transport of tests/unit/fake_turn_io.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay/stun_codec.h"
#include "relay/turn.h"
#include "tests/tap.h"
#include "tests/unit/turn_fixture.h"

static void
test_binding(void)
{
	struct env e;
	struct client c;
	struct maddr a;
	struct attrs as = { 0 };
	uint8_t buf[512];
	size_t len;

	ok(env_init(&e, NULL) == 0, "context");
	client_init(&c, "192.0.2.9", 40001, SECRET, "x", EXP);
	c.noauth = 1;
	is_int(req(&e, &c, STUN_BINDING, NULL), 0, "S5: Binding without "
	    "credentials succeeds");
	ok(stun_find(&lastm, STUN_ATTR_XOR_MAPPED_ADDRESS) != NULL &&
	    stun_get_xaddr(&lastm, stun_find(&lastm,
	    STUN_ATTR_XOR_MAPPED_ADDRESS), &a) == 0 &&
	    addr_eq(&a, &c.t.client), "S5: XOR-MAPPED-ADDRESS is the client");
	ok(stun_find(&lastm, STUN_ATTR_MAPPED_ADDRESS) == NULL,
	    "S5: no MAPPED-ADDRESS");
	ok(stun_find(&lastm, STUN_ATTR_SOFTWARE) != NULL, "SOFTWARE");
	ok(lastm.fp.type == 0, "F2: no FINGERPRINT when the request had none");
	c.fp = 1;
	is_int(req(&e, &c, STUN_BINDING, NULL), 0, "Binding with FINGERPRINT");
	ok(lastm.fp.type != 0, "F2: FINGERPRINT answered with FINGERPRINT");

	client_init(&c, "2001:db8::7", 40002, SECRET, "x", EXP);
	c.noauth = 1;
	is_int(req(&e, &c, STUN_BINDING, NULL), 0, "S5: IPv6 Binding");
	ok(stun_get_xaddr(&lastm, stun_find(&lastm,
	    STUN_ATTR_XOR_MAPPED_ADDRESS), &a) == 0 &&
	    addr_eq(&a, &c.t.client), "S5: IPv6 XOR-MAPPED-ADDRESS");

	A_raw(&as, 0x7ffe, "abcd", 4);
	A_raw(&as, 0xfffe, "abcd", 4);
	is_int(req(&e, &c, STUN_BINDING, &as), 420, "S3: unknown "
	    "comprehension-required attribute: 420");
	ok(stun_find(&lastm, STUN_ATTR_UNKNOWN_ATTRIBUTES) != NULL &&
	    stun_find(&lastm, STUN_ATTR_UNKNOWN_ATTRIBUTES)->len == 2 &&
	    stun_find(&lastm, STUN_ATTR_UNKNOWN_ATTRIBUTES)->val[0] == 0x7f,
	    "S3: UNKNOWN-ATTRIBUTES lists it (not the optional one)");
	as.n = 0;
	A_raw(&as, 0xfffe, "abcd", 4);
	is_int(req(&e, &c, STUN_BINDING, &as), 0, "S3: unknown optional "
	    "attribute ignored");
	is_int(req(&e, &c, 0x0055, NULL), 400, "S4: unknown method: 400");

	e.io.nout = 0;
	len = build(&c, STUN_BINDING, STUN_INDICATION, NULL, buf, sizeof(buf),
	    1);
	turn_handle_client(e.ctx, &c.t, buf, len);
	len = build(&c, STUN_BINDING, STUN_SUCCESS, NULL, buf, sizeof(buf), 1);
	turn_handle_client(e.ctx, &c.t, buf, len);
	is_int(e.io.nout, 0, "S2: indications and responses are not answered");
	len = build(&c, STUN_BINDING, STUN_REQUEST, NULL, buf, sizeof(buf), 1);
	buf[5] ^= 1;
	turn_handle_client(e.ctx, &c.t, buf, len);
	turn_handle_client(e.ctx, &c.t, buf, 10);
	turn_handle_client(e.ctx, &c.t, (const uint8_t *)"\x80\0\0\0", 4);
	turn_handle_client(e.ctx, &c.t, buf, 0);
	is_int(e.io.nout, 0, "S1: malformed messages are dropped");
	env_free(&e);
}

static void
test_auth(void)
{
	static const char *const two[] = { "auth-secret", SECRET,
	    "auth-secret", SECRET2, NULL };
	struct env e;
	struct client c, c2;
	struct attrs as = { 0 };
	char old[128];
	int i;

	ok(env_init(&e, two) == 0, "context with two secrets");
	client_init(&c, "192.0.2.1", 1000, SECRET, "alice", EXP);
	c.noauth = 1;
	A_udp(&as);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 401, "A2: no integrity: 401");
	ok(err_has(STUN_ATTR_REALM) && err_has(STUN_ATTR_NONCE) && !has_mi(),
	    "A2: 401 carries REALM and NONCE, no MI");
	ok(stun_find(&lastm, STUN_ATTR_REALM)->len == strlen(REALM) &&
	    memcmp(stun_find(&lastm, STUN_ATTR_REALM)->val, REALM,
	    strlen(REALM)) == 0, "A2: our realm");
	for (i = 0; i < 50; i++)
		req(&e, &c, STUN_ALLOCATE, &as);
	ok(turn_alloc_count(e.ctx) == 0 && e.io.opens == 0, "unauthenticated "
	    "requests create nothing");
	is_int(metrics_get(&env_metrics(&e)->turn_auth_failures_total),
	    0, "the challenge "
	    "is not a failure");

	/* A3: MI without USERNAME. */
	{
		uint8_t buf[512], key[16] = { 0 };
		struct wr w;

		e.io.nout = 0;
		c.tid[0]++;
		wr_init(&w, buf, sizeof(buf));
		stun_begin(&w, stun_type(STUN_ALLOCATE, STUN_REQUEST), c.tid);
		stun_put(&w, STUN_ATTR_REQUESTED_TRANSPORT, "\x11\0\0\0", 4);
		stun_end(&w, STUN_MI_SHA1, key, 16, 0);
		turn_handle_client(e.ctx, &c.t, buf, w.len);
		is_int(answer(&e, &c), 400, "A3: MI without USERNAME, REALM, "
		    "NONCE: 400");
		ok(!has_mi(), "A3: the 400 carries no MI");
	}

	c.noauth = 0;
	is_int(allocate(&e, &c, NULL), 0, "A6: the 401 dance, then success");
	ok(has_mi() && lastm.mi.type != 0 && mi_ok(&c), "A6: success "
	    "carries MESSAGE-INTEGRITY with the long-term key");
	is_int(turn_alloc_count(e.ctx), 1, "one allocation");

	/* A4: a stale nonce gives 438 and a fresh one. */
	strlcpy(old, c.nonce, sizeof(old));
	env_time(&e, 601 * 1000);
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 600);
	{
		int save = 0;

		e.io.nout = 0;
		/* One try, without the retry of req(). */
		{
			uint8_t buf[1024];
			size_t len = build(&c, STUN_REFRESH, STUN_REQUEST, &as,
			    buf, sizeof(buf), 1);

			turn_handle_client(e.ctx, &c.t, buf, len);
			save = answer(&e, &c);
		}
		is_int(save, 438, "A4: stale nonce: 438");
		ok(err_has(STUN_ATTR_NONCE) && err_has(STUN_ATTR_REALM) &&
		    !has_mi(), "A4: 438 with NONCE and REALM, no MI");
	}
	c.nonce[0] = '\0';
	is_int(req(&e, &c, STUN_REFRESH, &as), 0, "A4: retry with the fresh "
	    "nonce succeeds");
	strlcpy(c.nonce, "0123456789abcdef0123456789abcdef", sizeof(c.nonce));
	{
		uint8_t buf[1024];
		size_t len = build(&c, STUN_REFRESH, STUN_REQUEST, &as, buf,
		    sizeof(buf), 1);

		e.io.nout = 0;
		turn_handle_client(e.ctx, &c.t, buf, len);
		is_int(answer(&e, &c), 438, "A4: a forged nonce: 438");
	}
	/* A nonce from another address is worthless. */
	client_init(&c2, "192.0.2.2", 1000, SECRET, "bob", EXP);
	c.nonce[0] = '\0';
	req(&e, &c, STUN_REFRESH, &as);
	strlcpy(c2.nonce, c.nonce, sizeof(c2.nonce));
	{
		uint8_t buf[1024];
		size_t len;

		len = build(&c2, STUN_ALLOCATE, STUN_REQUEST, NULL, buf,
		    sizeof(buf), 1);
		e.io.nout = 0;
		turn_handle_client(e.ctx, &c2.t, buf, len);
		is_int(answer(&e, &c2), 438, "A4: another client's nonce: 438");
	}

	/* A5 / R2: wrong password, expired, other secret, malformed. */
	client_init(&c2, "192.0.2.3", 1000, SECRET, "bob", EXP);
	strlcpy(c2.pass, "not-the-password", sizeof(c2.pass));
	as.n = 0;
	A_udp(&as);
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 401, "A5: wrong password: "
	    "401");
	ok(err_has(STUN_ATTR_REALM) && err_has(STUN_ATTR_NONCE) && !has_mi(),
	    "A5: 401 with REALM and NONCE");
	is_int(metrics_get(&env_metrics(&e)->turn_auth_failures_total),
	    1, "A5: counted");
	is_int(e.io.events[TURN_EV_AUTH_FAILED], 1, "A5: security event");

	client_init(&c2, "192.0.2.3", 1001, SECRET, "bob", e.wall - 1);
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 401, "R2: expired username: "
	    "401");
	is_int(e.io.events[TURN_EV_AUTH_EXPIRED], 1, "R2: security event");
	client_init(&c2, "192.0.2.3", 1002, "some-other-secret-3", "bob", EXP);
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 401, "R3: a credential of "
	    "another secret: 401");
	client_init(&c2, "192.0.2.3", 1003, SECRET, "bob", EXP);
	strlcpy(c2.user, "bob", sizeof(c2.user));
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 401, "R1: username not "
	    "EXPIRY[:ID]: 401");
	is_int(e.io.events[TURN_EV_AUTH_MALFORMED], 1, "R1: security event");
	is_int(metrics_get(&env_metrics(&e)->turn_auth_failures_total),
	    4, "every failure "
	    "counted");
	/* A9: a USERNAME over 513 bytes: 400. */
	client_init(&c2, "192.0.2.3", 1004, SECRET, "bob", EXP);
	memset(c2.user, '1', 514);
	c2.user[514] = '\0';
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 400, "A9: USERNAME of 514 "
	    "bytes: 400");

	/* R3: rotation, both secrets verify. */
	client_init(&c2, "192.0.2.4", 1000, SECRET2, "carol", EXP);
	is_int(allocate(&e, &c2, NULL), 0, "R3: the second secret verifies");
	ok(mi_ok(&c2), "R3: answered with its key");
	client_init(&c2, "192.0.2.4", 1001, SECRET, "carol", EXP);
	is_int(allocate(&e, &c2, NULL), 0, "R3: the first secret verifies");

	/* A6 in kind: MI-SHA256. */
	client_init(&c2, "192.0.2.5", 1000, SECRET, "dave", EXP);
	c2.mi = STUN_MI_SHA256;
	is_int(allocate(&e, &c2, NULL), 0, "F4: MESSAGE-INTEGRITY-SHA256 "
	    "request");
	ok(lastm.mi256.type != 0 && lastm.mi.type == 0 && mi_ok(&c2),
	    "A6: answered in kind with MESSAGE-INTEGRITY-SHA256");
	c2.fp = 1;
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 700);
	is_int(req(&e, &c2, STUN_REFRESH, &as), 0, "MI-SHA256 and FINGERPRINT");
	ok(lastm.fp.type != 0 && mi_ok(&c2), "answered with both");

	/* A10: another valid username on an allocation's 5-tuple: 441. */
	client_init(&c2, "192.0.2.1", 1000, SECRET, "mallory", EXP);
	as.n = 0;
	A_peer(&as, "198.51.100.1", 9);
	is_int(req(&e, &c2, STUN_CREATE_PERMISSION, &as), 441, "A10: other "
	    "credentials on the 5-tuple: 441");
	ok(mi_ok(&c2), "A10: the 441 is integrity-protected");

	/* R4: an expired credential keeps refreshing its allocation (the
	 * expiry is checked when an allocation is made). */
	client_init(&c2, "192.0.2.6", 1000, SECRET, "erin", e.wall + 10);
	is_int(allocate(&e, &c2, NULL), 0, "R4: allocate before expiry");
	env_time(&e, 20 * 1000);
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 600);
	c2.nonce[0] = '\0';
	is_int(req(&e, &c2, STUN_REFRESH, &as), 0, "R4: refresh after the "
	    "username expired");
	c2.t.client.port++;
	is_int(allocate(&e, &c2, NULL), 401, "R2: no new allocation with it");
	(void)old;
	env_free(&e);
}

int
main(void)
{
	srand(42);
	test_binding();
	test_auth();
	return done_testing();
}
