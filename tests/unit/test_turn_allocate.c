/*
 * test_turn_allocate.c - Allocate and Refresh (relay/turn_allocate.c, RFC 8656
 * §§7-8): relayed addresses, lifetimes, retransmissions, every error
 * response, the quotas (user, IP, total, the port range), expiry and
 * deletion, and external-ip (the address advertised, not the one bound).
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
test_allocate(void)
{
	static const char *const dual[] = { "listen", "127.0.0.1",
	    "listen", "::1", NULL };
	struct env e;
	struct client c, c2;
	struct attrs as = { 0 };
	struct maddr r, r2, m;
	uint8_t token[8];
	uint8_t tid[12];
	char ip[64];

	ok(env_init(&e, NULL) == 0, "context (IPv4 only)");
	client_init(&c, "192.0.2.1", 2000, SECRET, "a", EXP);
	is_int(allocate(&e, &c, &r), 0, "T12: Allocate succeeds");
	ok(r.family == AF_INET && r.port >= 50000 && r.port <= 50099 &&
	    strcmp(addr_ntop(&r, ip, sizeof(ip)), "127.0.0.1") == 0,
	    "T12/T13: relayed address on the relay IP, port in the range");
	is_int(lifetime(), 600, "T12: default lifetime 600");
	ok(stun_get_xaddr(&lastm, stun_find(&lastm,
	    STUN_ATTR_XOR_MAPPED_ADDRESS), &m) == 0 && addr_eq(&m, &c.t.client),
	    "T12: XOR-MAPPED-ADDRESS");
	is_int(metrics_get(&env_metrics(&e)->turn_allocations),
	    1, "gauge 1");
	is_int(metrics_get(&env_metrics(&e)->turn_allocations_total),
	    1, "total 1");

	/* T2: the same transaction again: the same answer; another: 437. */
	memcpy(tid, c.tid, 12);
	{
		uint8_t buf[1024];
		size_t len;

		A_udp(&as);
		len = build(&c, STUN_ALLOCATE, STUN_REQUEST, &as, buf,
		    sizeof(buf), 0);
		e.io.nout = 0;
		turn_handle_client(e.ctx, &c.t, buf, len);
		ok(answer(&e, &c) == 0 && relayed(&r2, 0) == 0 &&
		    addr_eq(&r, &r2), "T2: a retransmitted Allocate gets the "
		    "same success");
	}
	is_int(allocate(&e, &c, NULL), 437, "T2: a new Allocate on the "
	    "5-tuple: 437");
	ok(mi_ok(&c), "A6: the 437 is integrity-protected");
	is_int(turn_alloc_count(e.ctx), 1, "still one allocation");

	client_init(&c, "192.0.2.1", 2001, SECRET, "a", EXP);
	as.n = 0;
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T3: no "
	    "REQUESTED-TRANSPORT: 400");
	A_raw(&as, STUN_ATTR_REQUESTED_TRANSPORT, "\x06\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 442, "T3: TCP over UDP: 442");
	as.n = 0;
	A_raw(&as, STUN_ATTR_REQUESTED_TRANSPORT, "\x11\0\0", 3);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T3: malformed "
	    "REQUESTED-TRANSPORT: 400");

	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, "12345678", 8);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x00", 1);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T5: RESERVATION-TOKEN "
	    "with EVEN-PORT: 400");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, "12345678", 8);
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x01\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T5: RESERVATION-TOKEN "
	    "with REQUESTED-ADDRESS-FAMILY: 400");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, "12345678", 8);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 508, "T5: unknown "
	    "RESERVATION-TOKEN: 508");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x01\0\0\0", 4);
	A_raw(&as, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T6: both address "
	    "family attributes: 400");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 440, "T7: IPv6 without an "
	    "IPv6 relay: 440");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x03\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 440, "T7: unknown family: 440");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x80", 1);
	A_raw(&as, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T8: EVEN-PORT R=1 with "
	    "ADDITIONAL-ADDRESS-FAMILY: 400");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, "\x01\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 400, "T9: "
	    "ADDITIONAL-ADDRESS-FAMILY IPv4: 400");
	as.n = 0;
	A_udp(&as);
	A_raw(&as, 0x0030, "x", 1);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 420, "S3: unknown attribute "
	    "in Allocate: 420");
	ok(mi_ok(&c) && err_has(STUN_ATTR_UNKNOWN_ATTRIBUTES), "S3/A6: 420 "
	    "with UNKNOWN-ATTRIBUTES, integrity-protected");
	is_int(turn_alloc_count(e.ctx), 1, "refused Allocates create nothing");

	/* T9 with one family: IPv4 and ADDRESS-ERROR-CODE 440 for IPv6. */
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T9: dual request with "
	    "IPv4 only succeeds");
	ok(relayed(&r2, 0) == 0 && r2.family == AF_INET &&
	    relayed(&r2, 1) != 0, "T9: one relayed address");
	ok(err_has(STUN_ATTR_ADDRESS_ERROR_CODE) &&
	    stun_find(&lastm, STUN_ATTR_ADDRESS_ERROR_CODE)->val[0] == 2 &&
	    stun_find(&lastm, STUN_ATTR_ADDRESS_ERROR_CODE)->val[2] == 4 &&
	    stun_find(&lastm, STUN_ATTR_ADDRESS_ERROR_CODE)->val[3] == 40,
	    "T9: ADDRESS-ERROR-CODE 440 for IPv6");

	/* T12: lifetimes. */
	client_init(&c, "192.0.2.1", 2002, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_u32(&as, STUN_ATTR_LIFETIME, 100);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T12: LIFETIME 100");
	is_int(lifetime(), 600, "T12: raised to the default");
	client_init(&c, "192.0.2.1", 2003, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_u32(&as, STUN_ATTR_LIFETIME, 1000000);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T12: LIFETIME 1000000");
	is_int(lifetime(), 3600, "T12: capped by max-allocate-lifetime");
	client_init(&c, "192.0.2.1", 2004, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_u32(&as, STUN_ATTR_LIFETIME, 1200);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T12: LIFETIME 1200");
	is_int(lifetime(), 1200, "T12: granted");

	/* T13: EVEN-PORT, and R=1 with its token. */
	client_init(&c, "192.0.2.1", 2005, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x00", 1);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T13: EVEN-PORT");
	ok(relayed(&r2, 0) == 0 && (r2.port & 1) == 0, "T13: an even port");
	client_init(&c, "192.0.2.1", 2006, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_EVEN_PORT, "\x80", 1);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T13: EVEN-PORT R=1");
	ok(relayed(&r2, 0) == 0 && (r2.port & 1) == 0 &&
	    err_has(STUN_ATTR_RESERVATION_TOKEN) &&
	    stun_find(&lastm, STUN_ATTR_RESERVATION_TOKEN)->len == 8,
	    "T13: even port and an 8-byte RESERVATION-TOKEN");
	memcpy(token, stun_find(&lastm, STUN_ATTR_RESERVATION_TOKEN)->val, 8);
	client_init(&c2, "192.0.2.2", 2006, SECRET, "b", EXP);
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_RESERVATION_TOKEN, token, 8);
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 0, "T13: Allocate with the "
	    "token");
	ok(relayed(&r, 0) == 0 && r.port == r2.port + 1, "T13: gets the port "
	    "above");
	client_init(&c2, "192.0.2.2", 2007, SECRET, "b", EXP);
	is_int(req(&e, &c2, STUN_ALLOCATE, &as), 508, "T5: a used token: 508");

	/* T4: DONT-FRAGMENT is supported and reaches the socket. */
	client_init(&c, "192.0.2.1", 2008, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_DONT_FRAGMENT, "", 0);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T4: DONT-FRAGMENT "
	    "accepted");
	ok(relayed(&r, 0) == 0 && sock_of(&e, &r) != NULL &&
	    sock_of(&e, &r)->df, "T4: the relayed socket sets DF");

	/* 403 for a banned client. */
	e.io.banned = 1;
	client_init(&c, "192.0.2.1", 2009, SECRET, "a", EXP);
	is_int(allocate(&e, &c, NULL), 403, "a banned client: 403");
	is_int(e.io.events[TURN_EV_BANNED], 1, "a banned client: security event");
	e.io.banned = 0;
	env_free(&e);

	/* Both families: IPv4 by default even over IPv6 (T7), dual (T9). */
	ok(env_init(&e, dual) == 0, "context with IPv4 and IPv6");
	client_init(&c, "::1", 3000, SECRET, "a", EXP);
	is_int(allocate(&e, &c, &r), 0, "T7: a client over IPv6, no family "
	    "asked");
	is_int(r.family, AF_INET, "T7: gets an IPv4 relay (RFC default)");
	client_init(&c, "::1", 3001, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T7: IPv6 requested");
	ok(relayed(&r, 0) == 0 && r.family == AF_INET6 &&
	    strcmp(addr_ntop(&r, ip, sizeof(ip)), "::1") == 0,
	    "T7: IPv6 relay on the IPv6 listen address");
	client_init(&c, "127.0.0.1", 3002, SECRET, "a", EXP);
	as.n = 0;
	A_udp(&as);
	A_raw(&as, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_ALLOCATE, &as), 0, "T9: dual allocation");
	ok(relayed(&r, 0) == 0 && relayed(&r2, 1) == 0 &&
	    r.family == AF_INET && r2.family == AF_INET6 &&
	    !err_has(STUN_ATTR_ADDRESS_ERROR_CODE), "T9: two relayed "
	    "addresses, IPv4 and IPv6");
	/* T22: Refresh asking for a family the allocation lacks. */
	client_init(&c, "::1", 3000, SECRET, "a", EXP);
	as.n = 0;
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	is_int(req(&e, &c, STUN_REFRESH, &as), 443, "T22: Refresh with "
	    "another family: 443");
	as.n = 0;
	A_raw(&as, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x01\0\0\0", 4);
	is_int(req(&e, &c, STUN_REFRESH, &as), 0, "T22: with its family: "
	    "success");
	env_free(&e);
}

static void
test_quota(void)
{
	static const char *const q[] = { "user-quota", "2", "ip-quota", "3",
	    NULL };
	static const char *const tq[] = { "total-quota", "1", NULL };
	static const char *const narrow[] = { "min-port", "50000",
	    "max-port", "50000", NULL };
	struct env e;
	struct client c;
	struct maddr r;

	ok(env_init(&e, q) == 0, "context with quotas");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	is_int(allocate(&e, &c, NULL), 0, "user-quota: 1st");
	c.t.client.port = 2;
	is_int(allocate(&e, &c, NULL), 0, "user-quota: 2nd");
	c.t.client.port = 3;
	is_int(allocate(&e, &c, NULL), 486, "T10: user-quota: 3rd gets 486");
	ok(mi_ok(&c), "T10: the 486 is integrity-protected");
	client_init(&c, "192.0.2.1", 4, SECRET, "b", EXP);
	is_int(allocate(&e, &c, NULL), 0, "ip-quota: 3rd from the address");
	c.t.client.port = 5;
	is_int(allocate(&e, &c, NULL), 486, "ip-quota: 4th gets 486");
	client_init(&c, "192.0.2.2", 5, SECRET, "b", EXP);
	is_int(allocate(&e, &c, NULL), 0, "another address is not counted");
	/* Deleting one frees its place. */
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	is_int(dealloc(&e, &c), 0, "T21: delete one");
	c.t.client.port = 6;
	is_int(allocate(&e, &c, NULL), 0, "its place is free again");
	env_free(&e);

	ok(env_init(&e, tq) == 0, "context with total-quota 1");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	is_int(allocate(&e, &c, NULL), 0, "total-quota: 1st");
	client_init(&c, "192.0.2.9", 1, SECRET, "z", EXP);
	is_int(allocate(&e, &c, NULL), 508, "total-quota: 2nd gets 508");
	env_free(&e);

	ok(env_init(&e, narrow) == 0, "context with one relay port");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	e.io.busy_port = 50000;
	is_int(allocate(&e, &c, NULL), 508, "T8: no free port: 508");
	e.io.busy_port = 0;
	is_int(allocate(&e, &c, &r), 0, "the port is free again");
	is_int(r.port, 50000, "and used");
	client_init(&c, "192.0.2.1", 2, SECRET, "a", EXP);
	is_int(allocate(&e, &c, NULL), 508, "the range is full: 508");
	env_free(&e);
}

static void
test_refresh_expiry(void)
{
	struct env e;
	struct client c;
	struct attrs as = { 0 };
	struct maddr r;

	ok(env_init(&e, NULL) == 0, "context");
	client_init(&c, "192.0.2.1", 1, SECRET, "a", EXP);
	A_u32(&as, STUN_ATTR_LIFETIME, 600);
	is_int(req(&e, &c, STUN_REFRESH, &as), 437, "T20: Refresh without an "
	    "allocation: 437");
	is_int(req(&e, &c, STUN_CREATE_PERMISSION, &as), 437,
	    "CreatePermission without an allocation: 437");
	is_int(allocate(&e, &c, &r), 0, "allocate");
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 1800);
	is_int(req(&e, &c, STUN_REFRESH, &as), 0, "Refresh 1800");
	is_int(lifetime(), 1800, "T21: LIFETIME 1800");
	ok(mi_ok(&c), "integrity");
	env_time(&e, 1799 * 1000);
	turn_tick(e.ctx);
	is_int(turn_alloc_count(e.ctx), 1, "alive before its lifetime ends");
	env_time(&e, 2 * 1000);
	turn_tick(e.ctx);
	is_int(turn_alloc_count(e.ctx), 0, "T23: expired on the tick");
	ok(sock_of(&e, &r) == NULL, "T23: its port is closed");
	is_int(metrics_get(&env_metrics(&e)->turn_allocations),
	    0, "gauge back to 0");

	c.nonce[0] = '\0';
	is_int(allocate(&e, &c, &r), 0, "allocate again");
	as.n = 0;
	A_u32(&as, STUN_ATTR_LIFETIME, 0);
	is_int(req(&e, &c, STUN_REFRESH, &as), 0, "T21: LIFETIME 0");
	is_int(lifetime(), 0, "T21: answered with LIFETIME 0");
	ok(mi_ok(&c), "T21: integrity-protected");
	is_int(turn_alloc_count(e.ctx), 0, "T21: deleted at once");
	ok(sock_of(&e, &r) == NULL, "T21: port closed");
	is_int(req(&e, &c, STUN_REFRESH, &as), 437, "T20: again: 437");
	env_free(&e);
}

static void
test_external_ip(void)
{
	static const char *const ext[] = { "external-ip", "203.0.113.5",
	    NULL };
	struct env e;
	struct client a, b;
	struct maddr ra, rb, got;
	char ip[64], data[128];
	uint16_t ch;

	ok(env_init(&e, ext) == 0, "context with external-ip");
	client_init(&a, "192.0.2.1", 1, SECRET, "a", EXP);
	client_init(&b, "192.0.2.2", 1, SECRET, "b", EXP);
	ok(allocate(&e, &a, &ra) == 0 && allocate(&e, &b, &rb) == 0,
	    "two allocations");
	is_str(addr_ntop(&ra, ip, sizeof(ip)), "203.0.113.5",
	    "XOR-RELAYED-ADDRESS advertises external-ip");
	ok(sock_of(&e, &ra) != NULL && strcmp(addr_ntop(&sock_of(&e,
	    &ra)->addr, ip, sizeof(ip)), "127.0.0.1") == 0, "the socket is "
	    "bound on the listen address");
	ok(permit(&e, &a, &rb) == 0 && permit(&e, &b, &ra) == 0, "mutual "
	    "permissions by advertised address");
	e.io.nout = 0;
	send_ind(&e, &a, &rb, "nat");
	ok(got_data(&e, &b, &got, data, sizeof(data), &ch) == 1 &&
	    addr_eq(&got, &ra), "delivered inside, from the advertised "
	    "address");
	env_free(&e);
}

int
main(void)
{
	srand(42);
	test_allocate();
	test_quota();
	test_refresh_expiry();
	test_external_ip();
	return done_testing();
}
