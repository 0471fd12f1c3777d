/*
 * test_turn_shared.c - relay-threads (relay/shared.c): two loops' contexts on
 * one shared state: quotas, nonces and the port table over both loops,
 * hand-off of data between loops, the pair hook across loops, EVEN-PORT
 * reservations (their socket kept bound off any loop, handed to the
 * Allocate that brings the token, closed on expiry) and a shared drain.
 *
 * The context and client are tests/unit/turn_fixture.h's, on the fake
 * transport of tests/unit/fake_turn_io.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay/stun_codec.h"
#include "relay/turn.h"
#include "tests/tap.h"
#include "tests/unit/turn_fixture.h"

/* relay-threads: two loops' contexts with one shared state. */
static void
test_loops(void)
{
	static const char *const q[] = { "user-quota", "1", "ip-quota", "0",
	    NULL };
	struct env e1, e2;
	struct turn_shared *sh;
	struct client a, b, x, c;
	struct maddr ra, rb, rx, r, got;
	char err[CFG_ERRLEN], data[256];
	uint16_t ch;
	struct attrs as;
	int i, dup;

	ok(env_init(&e1, q) == 0, "loop 1: a context of its own for the "
	    "configuration");
	sh = turn_shared_new(e1.cfg, err, sizeof(err));
	ok(sh != NULL, "a shared state");
	env_free(&e1);
	ok(env_init_in(&e1, q, sh, 1) == 0 && env_init_in(&e2, q, sh, 2) == 0,
	    "two contexts on it, loops 1 and 2");
	e1.io.other = &e2.io;
	e2.io.other = &e1.io;
	turn_set_peer_hook(e1.ctx, hook, &e1);
	turn_set_peer_hook(e2.ctx, hook, &e2);
	e1.hook_allow = e2.hook_allow = 1;

	/* Quotas count over both loops. */
	client_init(&a, "192.0.2.1", 1, SECRET, "s-alice", EXP);
	client_init(&b, "192.0.2.2", 1, SECRET, "s-bob", EXP);
	client_init(&x, "192.0.2.3", 1, SECRET, "s-eve", EXP);
	is_int(allocate(&e1, &a, &ra), 0, "a allocates on loop 1");
	client_init(&c, "192.0.2.1", 2, SECRET, "s-alice", EXP);
	is_int(allocate(&e2, &c, NULL), 486, "the same user on loop 2: "
	    "user-quota 1 counts both loops (486)");
	is_int(allocate(&e2, &b, &rb), 0, "b allocates on loop 2");
	is_int(allocate(&e2, &x, &rx), 0, "x allocates on loop 2");
	is_int((int)turn_shared_alloc_count(e1.ctx), 3, "3 allocations over "
	    "both loops");
	ok(ra.port != rb.port && ra.port != rx.port && rb.port != rx.port,
	    "distinct relayed ports from one port table");

	/* Nonces: one key for every loop. */
	client_init(&c, "192.0.2.1", 3, SECRET, "s-carol", EXP);
	memcpy(c.nonce, a.nonce, sizeof(c.nonce));
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	e2.io.nout = 0;
	{
		uint8_t buf[1024];
		size_t len = build(&c, STUN_ALLOCATE, STUN_REQUEST, &as, buf,
		    sizeof(buf), 1);

		turn_handle_client(e2.ctx, &c.t, buf, len);
	}
	is_int(answer(&e2, &c), 0, "a nonce of loop 1 is taken on loop 2 "
	    "(another port of the same host): no 438");

	/* Media between loops: handed over, never through the kernel. */
	is_int(permit(&e1, &a, &rb), 0, "a (loop 1) permits b's relayed "
	    "address (loop 2)");
	is_int(permit(&e2, &b, &ra), 0, "b permits a's");
	e1.io.npeer = e2.io.npeer = e1.io.handoffs = 0;
	e2.io.nout = 0;
	send_ind(&e1, &a, &rb, "across loops");
	is_int(e1.io.handoffs, 1, "loop 1 hands the packet to loop 2");
	ok(got_data(&e2, &b, &got, data, sizeof(data), &ch) == 1 &&
	    addr_eq(&got, &ra) && strcmp(data, "across loops") == 0,
	    "loop 2 delivers it to b, from a's relayed address");
	is_int(e1.io.npeer + e2.io.npeer, 0, "no datagram through the kernel");
	is_int(chanbind(&e1, &a, 0x4001, &rb), 0, "a binds a channel to b");
	is_int(chanbind(&e2, &b, 0x4002, &ra), 0, "b binds one to a");
	e1.io.nout = 0;
	chan_data(&e2, &b, 0x4002, "cd back", 0, 0);
	ok(got_data(&e1, &a, &got, data, sizeof(data), &ch) == 2 &&
	    ch == 0x4001 && strcmp(data, "cd back") == 0, "ChannelData from "
	    "loop 2 arrives as ChannelData on loop 1");

	/* The pair hook across loops: the owner's username is known. */
	e2.hook_allow = 0;
	e2.hook_calls = 0;
	is_int(permit(&e2, &x, &ra), 403, "x (loop 2) may not permit a's "
	    "address (loop 1) when the hook says no");
	ok(e2.hook_calls == 1 && strcmp(e2.hook_a, x.user) == 0 &&
	    strcmp(e2.hook_b, a.user) == 0, "the hook got (x, a), the "
	    "owner's username from the other loop");
	e1.hook_allow = 0;
	turn_pairs_changed(e2.ctx);
	e2.io.nout = 0;
	send_ind(&e1, &a, &rb, "after the pairs changed");
	is_int(e2.io.nout, 0, "pairs changed on one loop: a permission on the "
	    "other asks again and stops");
	e1.hook_allow = e2.hook_allow = 1;
	turn_pairs_changed(e1.ctx);
	e2.io.nout = 0;
	send_ind(&e1, &a, &rb, "again");
	is_int(e2.io.nout, 1, "allowed again: delivered");

	/* The address goes: nothing is handed over. */
	is_int(dealloc(&e2, &b), 0, "b deallocates on loop 2");
	e1.io.handoffs = 0;
	e1.io.npeer = 0;
	send_ind(&e1, &a, &rb, "gone");
	ok(e1.io.handoffs == 0 && e1.io.npeer == 0, "to its freed address: no "
	    "hand-off, nothing through the kernel");
	client_init(&c, "192.0.2.2", 9, SECRET, "s-bob", EXP);
	is_int(allocate(&e1, &c, NULL), 0, "b's count was given back: b "
	    "allocates again, on loop 1");

	/* EVEN-PORT reservations are taken on either loop. */
	client_init(&c, "192.0.2.7", 1, SECRET, "s-even", EXP);
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x80", 1);
	is_int(req(&e1, &c, STUN_ALLOCATE, &as), 0, "EVEN-PORT R=1 on loop 1");
	relayed(&r, 0);
	{
		const struct stun_attr *tok = stun_find(&lastm,
		    STUN_ATTR_RESERVATION_TOKEN);
		uint8_t token[8];
		struct maddr r2;

		ok(tok != NULL && tok->len == 8 && (r.port & 1) == 0,
		    "an even port and a token");
		if (tok != NULL && tok->len == 8) {
			memcpy(token, tok->val, 8);
			client_init(&c, "192.0.2.8", 1, SECRET, "s-odd", EXP);
			memset(&as, 0, sizeof(as));
			A_udp(&as);
			A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, token, 8);
			is_int(req(&e2, &c, STUN_ALLOCATE, &as), 0,
			    "the token on loop 2");
			relayed(&r2, 0);
			is_int(r2.port, r.port + 1, "gives the port above");
			client_init(&c, "192.0.2.9", 1, SECRET, "s-odd2", EXP);
			is_int(req(&e1, &c, STUN_ALLOCATE, &as), 508,
			    "and only once (508 on loop 1)");
		}
	}

	/* Many allocations on both loops: never one port twice. */
	dup = 0;
	{
		uint16_t ports[40];
		int n = 0, j;
		char id[16];

		for (i = 0; i < 40; i++) {
			snprintf(id, sizeof(id), "s-many%d", i);
			client_init(&c, "192.0.2.60", 100 + i, SECRET, id,
			    EXP);
			if (allocate(i % 2 ? &e1 : &e2, &c, &r) == 0)
				ports[n++] = r.port;
		}
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				dup += ports[i] == ports[j];
		is_int(n, 40, "40 allocations alternating between loops");
	}
	is_int(dup, 0, "no relayed port given twice");

	/* Drain is shared. */
	turn_drain(e1.ctx);
	client_init(&c, "192.0.2.99", 1, SECRET, "s-late", EXP);
	is_int(allocate(&e2, &c, NULL), 508, "drain on one loop: Allocate on "
	    "the other gets 508");

	env_free(&e2);
	is_int((int)turn_shared_alloc_count(e1.ctx),
	    (int)turn_alloc_count(e1.ctx), "loop 2 gone: its counts were "
	    "given back");
	env_free(&e1);
	turn_shared_free(sh);
}

static int
fd_open(int fd)
{
	return fd >= 0 && (fcntl(fd, F_GETFD) != -1 || errno != EBADF);
}

/* EVEN-PORT R=1 token of the last answer into tok; 0 or -1. */
static int
resv_token(uint8_t tok[8])
{
	const struct stun_attr *at = stun_find(&lastm,
	    STUN_ATTR_RESERVATION_TOKEN);

	if (at == NULL || at->len != 8)
		return -1;
	memcpy(tok, at->val, 8);
	return 0;
}

/*
 * A reservation holds its port with a bound socket: detached from the
 * loop that made it, kept by the shared state, handed to the Allocate
 * that brings the token (registered on its loop), closed on expiry.
 */
static void
test_resv_socket(void)
{
	struct env e1, e2;
	struct turn_shared *sh;
	struct client c;
	struct attrs as;
	struct maddr r, r2;
	char err[CFG_ERRLEN];
	uint8_t tok[8];
	int fd;

	fake_detach = 1;
	ok(env_init(&e1, NULL) == 0, "a context for the configuration");
	sh = turn_shared_new(e1.cfg, err, sizeof(err));
	env_free(&e1);
	ok(sh != NULL && env_init_in(&e1, NULL, sh, 1) == 0 &&
	    env_init_in(&e2, NULL, sh, 2) == 0, "two loops on one state");

	client_init(&c, "192.0.2.7", 1, SECRET, "even", EXP);
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x80", 1);
	is_int(req(&e1, &c, STUN_ALLOCATE, &as), 0, "EVEN-PORT R=1 on loop 1");
	ok(relayed(&r, 0) == 0 && resv_token(tok) == 0, "a port and a token");
	fd = e1.io.detached_fd;
	ok(e1.io.detached == 1 && fd_open(fd), "the port above: its socket is "
	    "taken off the loop and kept open (the port stays bound)");

	client_init(&c, "192.0.2.8", 1, SECRET, "odd", EXP);
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, tok, 8);
	is_int(req(&e2, &c, STUN_ALLOCATE, &as), 0, "the token on loop 2");
	ok(relayed(&r2, 0) == 0 && r2.port == r.port + 1, "gives the port "
	    "above");
	ok(e2.io.adopted == 1 && e2.io.adopted_fd == fd, "with the kept socket, "
	    "registered on loop 2");

	/* A reservation nobody takes: its socket is closed on expiry. */
	client_init(&c, "192.0.2.9", 1, SECRET, "even2", EXP);
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x80", 1);
	is_int(req(&e1, &c, STUN_ALLOCATE, &as), 0, "another reservation");
	resv_token(tok);
	fd = e1.io.detached_fd;
	ok(fd_open(fd), "its socket is kept");
	env_time(&e1, (TURN_RESV_LIFETIME - 1) * 1000ULL);
	turn_tick(e1.ctx);
	ok(fd_open(fd), "still kept a second before it expires");
	env_time(&e1, 2000);
	turn_tick(e1.ctx);
	ok(!fd_open(fd), "closed when the reservation expires");
	client_init(&c, "192.0.2.10", 1, SECRET, "late", EXP);
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, tok, 8);
	env_time(&e2, (TURN_RESV_LIFETIME + 1) * 1000ULL);
	is_int(req(&e2, &c, STUN_ALLOCATE, &as), 508, "its token: 508");

	/* One left when the relay stops: closed with the shared state. */
	client_init(&c, "192.0.2.11", 1, SECRET, "even3", EXP);
	memset(&as, 0, sizeof(as));
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x80", 1);
	is_int(req(&e1, &c, STUN_ALLOCATE, &as), 0, "a third reservation");
	fd = e1.io.detached_fd;
	env_free(&e2);
	env_free(&e1);
	ok(fd_open(fd), "kept while the state lives");
	turn_shared_free(sh);
	ok(!fd_open(fd), "closed with the shared state");
	fake_detach = 0;
}

int
main(void)
{
	srand(42);
	test_loops();
	test_resv_socket();
	return done_testing();
}
