/*
 * test_turn_self.c - this host as a peer (SPEC "Relay policy", issue 15;
 * relay/turn_peer.c, relay/turn.c): only through our own live relayed
 * addresses, and never what our relayed sockets send to our listener.
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

/*
 * SPEC "Relay policy" (issue 15): this host is a peer only through our own
 * live relayed addresses, on every port and whatever allowed-peer-ip says;
 * a permission, which covers a whole IP, is re-checked per datagram; and
 * what one of our relayed sockets sends to our listener is dropped.
 */
static void
test_self(void)
{
	static const char *const allow[] = { "allowed-peer-ip", "127.0.0.0/8",
	    NULL };
	char err[CFG_ERRLEN];
	struct env e;
	struct client a, b, c, fromrelay, local;
	struct maddr ra, rb, rc, p, got;
	char data[256];
	uint16_t ch;

	ok(env_init(&e, allow) == 0, "context with 127.0.0.0/8 allowed");
	client_init(&a, "192.0.2.1", 1, SECRET, "a", EXP);
	client_init(&b, "192.0.2.2", 1, SECRET, "b", EXP);
	ok(allocate(&e, &a, &ra) == 0 && allocate(&e, &b, &rb) == 0,
	    "two allocations");
	addr_parse("127.0.0.1", &p);
	p.port = 3478;
	is_int(permit(&e, &a, &p), 403, "CreatePermission to our own TURN "
	    "port: 403 (allowed-peer-ip covers it)");
	is_int(chanbind(&e, &a, 0x4000, &p), 403, "ChannelBind to it: 403");
	p.port = 53;
	is_int(permit(&e, &a, &p), 403, "to another port of this host: 403");
	p.port = rb.port + 1;
	is_int(permit(&e, &a, &p), 403, "to a port of the relay range that "
	    "is no live relayed address: 403");
	is_int(e.io.events[TURN_EV_PEER_DENIED], 4, "each a security event");
	ok(permit(&e, &a, &rb) == 0 && permit(&e, &b, &ra) == 0 &&
	    chanbind(&e, &a, 0x4001, &rb) == 0, "our own relayed addresses "
	    "on 127.0.0.1 still are peers");

	/* The permission for b's relayed address covers no other port. */
	e.io.npeer = 0;
	e.io.nout = 0;
	p.port = 3478;
	send_ind(&e, &a, &p, "Binding");
	p.port = 53;
	send_ind(&e, &a, &p, "dns");
	p.port = rb.port + 1;
	send_ind(&e, &a, &p, "next");
	ok(e.io.npeer == 0 && e.io.nout == 0, "Send to other ports of this host: "
	    "nothing, through the kernel or inside");
	send_ind(&e, &a, &rb, "to b");
	ok(got_data(&e, &b, &got, data, sizeof(data), &ch) == 1 &&
	    strcmp(data, "to b") == 0, "Send to b's relayed address: "
	    "delivered");
	e.io.nout = 0;
	chan_data(&e, &a, 0x4001, "cd to b", 0, 0);
	ok(got_data(&e, &b, &got, data, sizeof(data), &ch) == 1 &&
	    strcmp(data, "cd to b") == 0, "ChannelData to b: delivered");

	/* What one of our relayed sockets sends to our listener. */
	client_init(&fromrelay, "127.0.0.1", ra.port, SECRET, "n", EXP);
	fromrelay.noauth = 1;
	is_int(req(&e, &fromrelay, STUN_BINDING, NULL), -1, "a Binding "
	    "from our own relayed address: no answer");
	fromrelay.noauth = 0;
	is_int(allocate(&e, &fromrelay, &rc), -1, "a nested Allocate from "
	    "it: no answer");
	is_int(turn_alloc_count(e.ctx), 2, "and no allocation");
	client_init(&local, "127.0.0.1", rb.port + 1, SECRET, "n", EXP);
	local.noauth = 1;
	is_int(req(&e, &local, STUN_BINDING, NULL), 0, "a client of this "
	    "host on a port of the range that is not live: answered");
	local.t.proto = TURN_TCP;
	local.t.client.port = ra.port;
	is_int(req(&e, &local, STUN_BINDING, NULL), 0, "over TCP (a port of "
	    "another protocol): answered");
	is_int(dealloc(&e, &a), 0, "a deallocates");
	fromrelay.noauth = 1;
	is_int(req(&e, &fromrelay, STUN_BINDING, NULL), 0, "its former port "
	    "is an ordinary client again");
	env_free(&e);

	/* A permission that predates the address becoming this host's
	 * (a reload): re-checked for each datagram. */
	ok(env_init(&e, allow) == 0, "context");
	client_init(&c, "192.0.2.3", 1, SECRET, "c", EXP);
	addr_parse("127.0.0.2", &p);
	p.port = 7000;
	ok(allocate(&e, &c, &rc) == 0 && permit(&e, &c, &p) == 0 &&
	    chanbind(&e, &c, 0x4002, &p) == 0, "a permission and a channel "
	    "for 127.0.0.2:7000");
	e.io.npeer = 0;
	send_ind(&e, &c, &p, "before");
	is_int(e.io.npeer, 1, "delivered");
	ok(cfg_set(e.cfg, CFG_SRC_FILE, 99, "relay-ip", "127.0.0.2", err,
	    sizeof(err)) == 0 && turn_reload(e.ctx, e.cfg) == 0,
	    "reload: 127.0.0.2 becomes relay-ip");
	e.io.npeer = 0;
	send_ind(&e, &c, &p, "after");
	chan_data(&e, &c, 0x4002, "after", 0, 0);
	is_int(e.io.npeer, 0, "Send and ChannelData to it are dropped");
	env_free(&e);
}

int
main(void)
{
	srand(42);
	test_self();
	return done_testing();
}
