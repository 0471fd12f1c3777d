/*
 * test_turn_channel.c - ChannelBind and ChannelData (relay/turn_peer.c,
 * RFC 8656 §12): channel numbers, rebinding rules, expiry and cool-down,
 * padding and length checks of ChannelData, and peer data on a channel.
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
test_channels(void)
{
	static const char *const allow[] = { "allowed-peer-ip", "127.0.0.2",
	    NULL };
	struct env e;
	struct client c;
	struct attrs as = { 0 };
	struct maddr r, p, p2, p6, got;
	char data[256];
	uint16_t ch;

	ok(env_init(&e, allow) == 0, "context");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	is_int(allocate(&e, &c, &r), 0, "allocate");
	addr_parse("127.0.0.2", &p);
	p.port = 7000;
	p2 = p;
	p2.port = 7002;
	addr_parse("2001:db8::1", &p6);
	p6.port = 1;

	is_int(chanbind(&e, &c, 0x3FFF, &p), 400, "T50: channel 0x3FFF: 400");
	is_int(chanbind(&e, &c, 0x8000, &p), 400, "T50: channel 0x8000: 400");
	is_int(chanbind(&e, &c, 0xFFFF, &p), 400, "T50: channel 0xFFFF: 400");
	A_u32(&as, STUN_ATTR_CHANNEL_NUMBER, 0x40000000);
	is_int(req(&e, &c, STUN_CHANNEL_BIND, &as), 400, "T50: no "
	    "XOR-PEER-ADDRESS: 400");
	as.n = 0;
	A_peer_addr(&as, &p);
	is_int(req(&e, &c, STUN_CHANNEL_BIND, &as), 400, "T50: no "
	    "CHANNEL-NUMBER: 400");
	is_int(chanbind(&e, &c, 0x4000, &p6), 443, "T51: family mismatch: "
	    "443");
	{
		struct maddr d;

		addr_parse("172.16.0.1", &d);
		d.port = 1;
		is_int(chanbind(&e, &c, 0x4000, &d), 403, "T51: forbidden "
		    "peer: 403");
	}
	is_int(chanbind(&e, &c, 0x4000, &p), 0, "ChannelBind 0x4000");
	ok(mi_ok(&c), "integrity");
	is_int(chanbind(&e, &c, 0x4000, &p), 0, "T51: rebinding the same pair "
	    "refreshes");
	is_int(chanbind(&e, &c, 0x4000, &p2), 400, "T51: the channel to "
	    "another peer: 400");
	is_int(chanbind(&e, &c, 0x4001, &p), 400, "T51: the peer to another "
	    "channel: 400");
	is_int(chanbind(&e, &c, 0x7FFF, &p2), 0, "channel 0x7FFF (RFC 5766's "
	    "range, which coturn 4.6 clients use) to another peer");
	e.io.npeer = 0;
	chan_data(&e, &c, 0x7FFF, "high", 0, 0);
	ok(e.io.npeer == 1 && addr_eq(&e.io.peer[0].t.client, &p2), "ChannelData "
	    "on 0x7FFF");

	/* T52-T54: data on the channel. */
	e.io.npeer = 0;
	chan_data(&e, &c, 0x4000, "chan!", 0, 0);
	ok(e.io.npeer == 1 && e.io.peer[0].len == 5 && addr_eq(&e.io.peer[0].t.client,
	    &p), "T53: ChannelData relayed to its peer");
	e.io.npeer = 0;
	chan_data(&e, &c, 0x4000, "pad", 0, 1);
	ok(e.io.npeer == 1 && e.io.peer[0].len == 3, "T53: UDP padding after the "
	    "data is accepted");
	e.io.npeer = 0;
	chan_data(&e, &c, 0x4002, "x", 0, 0);
	chan_data(&e, &c, 0x4000, "short", 4, 0);
	is_int(e.io.npeer, 0, "T53: unbound channel and length past the end "
	    "dropped");
	e.io.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "back");
	ok(got_data(&e, &c, &got, data, sizeof(data), &ch) == 2 &&
	    ch == 0x4000 && strcmp(data, "back") == 0, "T54: peer data on a "
	    "channel as ChannelData");
	ok(e.io.out[0].len == 8, "T54: ChannelData over UDP is not padded");
	e.io.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7005, "nochan");
	ok(got_data(&e, &c, &got, data, sizeof(data), &ch) == 1,
	    "T52: the binding installed a permission for the IP (Data "
	    "indication from another port)");

	/* Expiry: 600 s, then 300 s before rebinding elsewhere. */
	env_time(&e, 601 * 1000);
	c.nonce[0] = '\0';
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 3600);
	req(&e, &c, STUN_REFRESH, &as);
	A_peer_addr(&as, &p);
	as.n = 0;
	A_peer_addr(&as, &p);
	req(&e, &c, STUN_CREATE_PERMISSION, &as);
	e.io.npeer = 0;
	chan_data(&e, &c, 0x4000, "late", 0, 0);
	is_int(e.io.npeer, 0, "T52: the channel expired after 600 s");
	e.io.nout = 0;
	from_peer(&e, &r, "127.0.0.2", 7000, "late");
	ok(got_data(&e, &c, &got, data, sizeof(data), &ch) == 1, "T52: peer "
	    "data comes as Data indications again");
	is_int(chanbind(&e, &c, 0x4000, &p2), 400, "T52: the number cannot go "
	    "to another peer for 5 minutes");
	env_time(&e, 300 * 1000);
	turn_tick(e.ctx);
	c.nonce[0] = '\0';
	is_int(chanbind(&e, &c, 0x4000, &p2), 0, "T52: after the cool-down "
	    "the number goes to another peer");
	is_int(chanbind(&e, &c, 0x4001, &p), 0, "T52: and the peer takes "
	    "another number");
	env_free(&e);
}

int
main(void)
{
	srand(42);
	test_channels();
	return done_testing();
}
