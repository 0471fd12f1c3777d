/*
 * test_turn_permission.c - CreatePermission, Send and Data
 * (relay/turn_peer.c, RFC 8656 §§9-11): the peer policy, the permission
 * cap and lifetime, what is dropped without one, and max-bps (one token
 * bucket per direction).
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
test_permissions(void)
{
	static const char *const allow[] = { "allowed-peer-ip", "127.0.0.2",
	    NULL };
	struct env e;
	struct client c;
	struct attrs as = { 0 };
	struct maddr r, p, got;
	char data[256];
	uint16_t ch;
	int i;

	ok(env_init(&e, allow) == 0, "context with 127.0.0.2 allowed");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	is_int(allocate(&e, &c, &r), 0, "allocate");

	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 400, "T31: no "
	    "XOR-PEER-ADDRESS: 400");
	A_peer(&as, "2001:db8::1", 5);
	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 443, "T31: IPv6 peer "
	    "on an IPv4 allocation: 443");
	as.n = 0;
	A_peer(&as, "10.1.2.3", 5);
	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 403, "T31: a denied "
	    "peer: 403");
	ok(mi_ok(&c), "the 403 is integrity-protected");
	is_int(metrics_get(&env_metrics(&e)->turn_peer_denied_total),
	    1, "peer denied "
	    "counted");
	is_int(e.io.events[TURN_EV_PEER_DENIED], 1, "peer denied: security "
	    "event");
	as.n = 0;
	A_peer(&as, "127.0.0.2", 7000);
	A_peer(&as, "192.168.1.1", 7000);
	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 403, "T31: one "
	    "denied among several: 403");
	e.io.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "nope");
	is_int(e.io.nout, 0, "T31: all or nothing: the allowed one was not "
	    "installed");
	as.n = 0;
	A_raw(&as, STUN_ATTR_XOR_PEER_ADDRESS, "\x00\x01\x00", 3);
	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 400, "a malformed "
	    "XOR-PEER-ADDRESS: 400");

	/* T32, T40: nothing moves without a permission. */
	addr_parse("127.0.0.2", &p);
	p.port = 7000;
	e.io.npeer = 0;
	e.io.nout = 0;
	send_ind(&e, &c, &p, "hello");
	is_int(e.io.npeer, 0, "T40: Send without a permission is dropped");
	is_int(e.io.nout, 0, "T40: and never answered");
	e.io.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "hi");
	is_int(e.io.nout, 0, "T32: peer data without a permission is dropped");

	is_int(permit(&e, &c, &p), 0, "CreatePermission 127.0.0.2:7000");
	ok(mi_ok(&c), "integrity");
	e.io.npeer = 0;
	e.io.nout = 0;
	send_ind(&e, &c, &p, "hello");
	ok(e.io.npeer == 1 && e.io.peer[0].len == 5 &&
	    memcmp(e.io.peer[0].b, "hello", 5) == 0 &&
	    addr_eq(&e.io.peer[0].t.client, &p) &&
	    e.io.peer[0].t.server.port == r.port, "T41: Send relayed as one "
	    "datagram from the relayed address");
	is_int(e.io.nout, 0, "T40: Send is not answered");
	e.io.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "world");
	ok(got_data(&e, &c, &got, data, sizeof(data), &ch) == 1 &&
	    addr_eq(&got, &p) && strcmp(data, "world") == 0, "T42: peer data "
	    "as a Data indication with XOR-PEER-ADDRESS and DATA");
	e.io.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7001, "other port");
	ok(got_data(&e, &c, &got, data, sizeof(data), &ch) == 1 &&
	    got.port == 7001, "T30: the permission is for the IP, any port");
	is_int(metrics_get(&env_metrics(&e)->turn_relayed_packets_to_peer),
	    1, "packets "
	    "to peer counted");
	is_int(metrics_get(&env_metrics(&e)->turn_relayed_bytes_to_client),
	    15, "bytes "
	    "to client counted");

	/* Send: missing DATA, unknown attribute: dropped. */
	{
		struct attrs s = { 0 };
		uint8_t buf[512];
		size_t len;

		A_peer_addr(&s, &p);
		c.noauth = 1;
		len = build(&c, STUN_SEND, STUN_INDICATION, &s, buf,
		    sizeof(buf), 1);
		e.io.npeer = 0;
		turn_handle_client(e.ctx, &c.t, buf, len);
		is_int(e.io.npeer, 0, "T40: Send without DATA dropped");
		A_raw(&s, STUN_ATTR_DATA, "x", 1);
		A_raw(&s, 0x0031, "x", 1);
		len = build(&c, STUN_SEND, STUN_INDICATION, &s, buf,
		    sizeof(buf), 1);
		turn_handle_client(e.ctx, &c.t, buf, len);
		is_int(e.io.npeer, 0, "Send with an unknown required attribute "
		    "dropped");
		c.noauth = 0;
	}
	/* Send to a denied peer: dropped, counted. */
	{
		struct maddr d;

		addr_parse("192.168.0.1", &d);
		d.port = 1;
		e.io.npeer = 0;
		send_ind(&e, &c, &d, "x");
		is_int(e.io.npeer, 0, "Send to a denied peer dropped");
		is_int(metrics_get(&env_metrics(&e)->turn_peer_denied_total),
	    3,
		    "and counted");
	}

	/* Permission lifetime 300 s, refreshed by CreatePermission. */
	env_time(&e, 299 * 1000);
	e.io.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "x");
	is_int(e.io.nout, 1, "T30: the permission holds for 300 s");
	env_time(&e, 2 * 1000);
	turn_tick(e.ctx);
	e.io.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "x");
	is_int(e.io.nout, 0, "T30: and expires after");
	c.nonce[0] = '\0';
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 600);
	req(&e, &c, STUN_REFRESH, &as);

	/* T33: a cap on permissions: all or nothing. */
	as.n = 0;
	for (i = 0; i < TURN_MAX_PERMS + 1; i++)
		A_peer(&as, "127.0.0.2", 1);
	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 508, "T33: more "
	    "peers than the cap in one request: 508");
	{
		char ip[32];

		for (i = 0; i < TURN_MAX_PERMS; i++) {
			snprintf(ip, sizeof(ip), "198.51.100.%d", i + 1);
			as.n = 0;
			A_peer(&as, ip, 1);
			if (req(&e, &c, STUN_CREATE_PERMISSION, &as) != 0)
				break;
		}
		is_int(i, TURN_MAX_PERMS, "T33: %d permissions",
		    TURN_MAX_PERMS);
		as.n = 0;
		A_peer(&as, "198.51.100.200", 1);
		is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 508,
		    "T33: one more: 508");
		as.n = 0;
		A_peer(&as, "198.51.100.1", 1);
		is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 0,
		    "T33: refreshing an existing one still works");
	}
	env_free(&e);
}

static void
test_bps(void)
{
	static const char *const bps[] = { "max-bps", "1000",
	    "allowed-peer-ip", "127.0.0.2", NULL };
	struct env e;
	struct client c;
	struct maddr r, p;
	char big[601];

	memset(big, 'x', 600);
	big[600] = '\0';
	ok(env_init(&e, bps) == 0, "context with max-bps 1000");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	addr_parse("127.0.0.2", &p);
	p.port = 9;
	ok(allocate(&e, &c, &r) == 0 && permit(&e, &c, &p) == 0, "allocate, "
	    "permit");
	e.io.npeer = 0;
	send_ind(&e, &c, &p, big);
	send_ind(&e, &c, &p, big);
	is_int(e.io.npeer, 1, "max-bps: the second 600 bytes in the same second "
	    "are dropped");
	env_time(&e, 1000);
	send_ind(&e, &c, &p, big);
	is_int(e.io.npeer, 2, "max-bps: a second later they pass");
	e.io.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 9, big);
	from_peer(&e, &r, "127.0.0.2", 9, big);
	is_int(e.io.nout, 1, "max-bps: the other direction has its own bucket");
	env_free(&e);
}

int
main(void)
{
	srand(42);
	test_permissions();
	test_bps();
	return done_testing();
}
