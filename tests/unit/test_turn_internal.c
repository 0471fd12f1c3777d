/*
 * test_turn_internal.c - delivery between our own allocations
 * (relay/turn_peer.c, relay/allocation.c): inside the process, the
 * pair-permissions hook and its re-check when the pairs change (also
 * when a pair ends while the hook answers), sessions' allocations freed
 * when their session ends and banned clients' on a new ban.
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
test_internal(void)
{
	struct env e;
	struct client a, b, x;
	struct maddr ra, rb, rx, got;
	char data[256];
	uint16_t ch;
	int denied;

	ok(env_init(&e, NULL) == 0, "context (loopback peers denied)");
	client_init(&a, "192.0.2.1", 1, SECRET, "s-alice", EXP);
	client_init(&b, "192.0.2.2", 1, SECRET, "s-bob", EXP);
	client_init(&x, "192.0.2.3", 1, SECRET, "s-eve", EXP);
	ok(allocate(&e, &a, &ra) == 0 && allocate(&e, &b, &rb) == 0 &&
	    allocate(&e, &x, &rx) == 0, "three allocations on 127.0.0.1");

	/* No hook: our own relayed addresses are exempt from the policy. */
	is_int(permit(&e, &a, &rb), 0, "a permits b's relayed address "
	    "(exempt from the deny list)");
	{
		struct maddr lo = rb;

		lo.port = 1;
		is_int(permit(&e, &a, &lo), 403, "but not 127.0.0.1 at "
		    "another port");
	}
	e.io.nout = 0;
	e.io.npeer = 0;
	send_ind(&e, &a, &rb, "to bob");
	is_int(e.io.nout, 0, "b has no permission for a: dropped");
	is_int(permit(&e, &b, &ra), 0, "b permits a");
	send_ind(&e, &a, &rb, "to bob");
	ok(got_data(&e, &b, &got, data, sizeof(data), &ch) == 1 &&
	    addr_eq(&got, &ra) && strcmp(data, "to bob") == 0, "delivered "
	    "inside the process, from a's relayed address");
	is_int(e.io.npeer, 0, "no datagram through the kernel");
	e.io.nout = 0;
	send_ind(&e, &x, &rb, "spoof");
	is_int(e.io.nout, 0, "x has no permission: nothing");
	is_int(permit(&e, &x, &rb), 0, "x permits b");
	e.io.nout = 0;
	send_ind(&e, &x, &rb, "spoof");
	is_int(e.io.nout, 0, "b's permission for a is not one for x (same IP)");

	/* Channels between our own allocations. */
	is_int(chanbind(&e, &b, 0x4444, &ra), 0, "b binds a channel to a");
	e.io.nout = 0;
	send_ind(&e, &a, &rb, "via channel");
	ok(got_data(&e, &b, &got, data, sizeof(data), &ch) == 2 &&
	    ch == 0x4444 && strcmp(data, "via channel") == 0, "b receives "
	    "ChannelData");
	is_int(chanbind(&e, &a, 0x4555, &rb), 0, "a binds a channel to b");
	e.io.nout = 0;
	chan_data(&e, &a, 0x4555, "cd both ways", 0, 0);
	ok(got_data(&e, &b, &got, data, sizeof(data), &ch) == 2 &&
	    strcmp(data, "cd both ways") == 0, "ChannelData to ChannelData");

	/* The pair hook. */
	turn_set_peer_hook(e.ctx, hook, &e);
	e.hook_allow = 1;
	e.io.nout = 0;
	send_ind(&e, &a, &rb, "after hook set");
	ok(e.io.nout == 1 && e.hook_calls >= 1, "the hook is asked again once "
	    "it is set");
	ok(strcmp(e.hook_a, b.user) == 0 || strcmp(e.hook_a, a.user) == 0,
	    "with the usernames");
	e.hook_calls = 0;
	e.io.nout = 0;
	send_ind(&e, &a, &rb, "cached");
	is_int(e.hook_calls, 0, "not asked per packet");
	is_int(e.io.nout, 1, "delivered");

	e.hook_allow = 0;
	denied = e.io.events[TURN_EV_PAIR_DENIED];
	is_int(permit(&e, &x, &ra), 403, "pair-permissions: a stranger's "
	    "relayed address: 403");
	ok(strcmp(e.hook_a, x.user) == 0 && strcmp(e.hook_b, a.user) == 0,
	    "the hook got (asker, owner)");
	is_int(e.io.events[TURN_EV_PAIR_DENIED], denied + 1, "security event");
	e.io.nout = 0;
	send_ind(&e, &a, &rb, "still paired");
	is_int(e.io.nout, 1, "existing permissions hold until the pairs change");
	turn_pairs_changed(e.ctx);
	e.io.nout = 0;
	send_ind(&e, &a, &rb, "after the pair ended");
	chan_data(&e, &a, 0x4555, "after the pair ended", 0, 0);
	is_int(e.io.nout, 0, "after turn_pairs_changed a former partner gets "
	    "nothing");
	e.hook_allow = 1;
	turn_pairs_changed(e.ctx);
	e.io.nout = 0;
	send_ind(&e, &a, &rb, "paired again");
	is_int(e.io.nout, 1, "paired again: delivered");

	/* The address changes hands: the permission does not follow. */
	is_int(dealloc(&e, &b), 0, "b deallocates");
	e.io.nout = 0;
	e.io.npeer = 0;
	denied = e.io.events[TURN_EV_PEER_DENIED];
	send_ind(&e, &a, &rb, "gone");
	ok(e.io.nout == 0 && e.io.npeer == 0, "to the freed address: nothing, not "
	    "even through the kernel");
	is_int(e.io.events[TURN_EV_PEER_DENIED], denied, "a partner's last "
	    "packets after a hang-up raise no security event");
	is_int((int)metrics_get(
	    &env_metrics(&e)->turn_released_peer_drops_total), 1,
	    "they are counted (meetopia_turn_released_peer_dropped_total)");
	env_free(&e);
}

/* Sessions' allocations: the partner's relayed addresses only, freed when
 * the session ends; banned clients' allocations freed on a new ban. */
static void
test_sessions_and_bans(void)
{
	static const char *const kv[] = { "allowed-peer-ip", "198.51.100.0/24",
	    NULL };
	const char *ended[] = { "nobody", "alice" };
	struct env e;
	struct client a, b, c;
	struct maddr ra, rb, rc, out;

	ok(env_init(&e, kv) == 0, "context (198.51.100.0/24 allowed)");
	client_init(&a, "192.0.2.1", 1, SECRET, "s-alice", EXP);
	client_init(&b, "192.0.2.2", 1, SECRET, "s-bob", EXP);
	client_init(&c, "192.0.2.3", 1, SECRET, "app", EXP);
	ok(allocate(&e, &a, &ra) == 0 && allocate(&e, &b, &rb) == 0 &&
	    allocate(&e, &c, &rc) == 0, "two sessions' allocations and one "
	    "of a credential without a session");
	addr_parse("198.51.100.7", &out);
	is_int(permit(&e, &a, &out), 403, "a session's allocation may not "
	    "permit an allowed external address");
	is_int(e.io.events[TURN_EV_PAIR_DENIED], 1, "a pair-denied event");
	is_int(permit(&e, &c, &out), 0, "a credential without a session may");
	is_int(permit(&e, &a, &rb), 0, "our own relayed address: the pair "
	    "hook decides (none here)");

	is_int((int)turn_free_sessions(e.ctx, ended, 2), 1, "the ended "
	    "session's allocation is freed");
	is_int((int)turn_alloc_count(e.ctx), 2, "the others stay");
	is_int(dealloc(&e, &a), 437, "a Refresh of it: 437");
	is_int((int)turn_free_banned(e.ctx), 0, "no ban: nothing freed");
	e.io.banned = 1;
	is_int((int)turn_free_banned(e.ctx), 2, "every client banned: both "
	    "allocations freed");
	is_int(e.io.events[TURN_EV_BANNED], 2, "with an event each");
	e.io.banned = 0;
	is_int(dealloc(&e, &c), 437, "a Refresh of a banned client's: 437");
	env_free(&e);
}

/*
 * A pair that ends while the hook answers a CreatePermission or a
 * ChannelBind: the answer was "partners", and the generation moved on
 * after it.  The permission must not keep that answer as current: the
 * next packet asks again and is dropped.
 */
static void
test_pair_race(void)
{
	struct env e;
	struct client a, b;
	struct maddr ra, rb;
	int calls;

	ok(env_init(&e, NULL) == 0, "context");
	client_init(&a, "192.0.2.1", 1, SECRET, "s-alice", EXP);
	client_init(&b, "192.0.2.2", 1, SECRET, "s-bob", EXP);
	ok(allocate(&e, &a, &ra) == 0 && allocate(&e, &b, &rb) == 0,
	    "two allocations");
	turn_set_peer_hook(e.ctx, hook, &e);
	e.hook_allow = 1;
	is_int(permit(&e, &b, &ra), 0, "b permits its partner a");
	e.io.nout = 0;
	send_ind(&e, &a, &rb, "no permission yet");
	is_int(e.io.nout, 0, "a has no permission for b yet: dropped");

	e.unpair_in_hook = 1;
	is_int(permit(&e, &a, &rb), 0, "a's CreatePermission for b is "
	    "allowed by the hook, and the pair ends as it answers");
	calls = e.hook_calls;
	e.io.nout = 0;
	send_ind(&e, &a, &rb, "after the pair ended");
	is_int(e.io.nout, 0, "the next packet is checked again and dropped "
	    "(the answer from before the change is not cached)");
	ok(e.hook_calls > calls, "the hook was asked again");
	e.io.nout = 0;
	send_ind(&e, &a, &rb, "still ended");
	is_int(e.io.nout, 0, "and stays dropped");

	/* Paired again, then the same race through ChannelBind. */
	e.deny_asker[0] = '\0';
	turn_pairs_changed(e.ctx);
	e.io.nout = 0;
	send_ind(&e, &a, &rb, "paired again");
	is_int(e.io.nout, 1, "paired again: delivered");
	e.unpair_in_hook = 1;
	is_int(chanbind(&e, &a, 0x4100, &rb), 0, "a's ChannelBind to b is "
	    "allowed, and the pair ends as the hook answers");
	e.io.nout = 0;
	chan_data(&e, &a, 0x4100, "after the pair ended", 0, 0);
	is_int(e.io.nout, 0, "ChannelData after it: checked again, dropped");
	env_free(&e);
}

int
main(void)
{
	srand(42);
	test_internal();
	test_sessions_and_bans();
	test_pair_race();
	return done_testing();
}
