/*
 * test_peer_policy.c - SPEC's relay policy table: each denied range with
 * its edges, IPv4 embedded in IPv6 (::ffff:0:0/96, 64:ff9b::/96,
 * 2002::/16), denied-peer-ip, allowed-peer-ip, the server's own listeners.
 */
#include <string.h>

#include "common/config.h"
#include "relay/peer_policy.h"
#include "tests/tap.h"

static int
allowed(const struct peer_policy *p, const char *ip, int port)
{
	struct maddr a;

	if (addr_parse(ip, &a) != 0)
		return -1;
	a.port = (uint16_t)port;
	return peer_policy_allowed(p, &a);
}

#define DENY(p, ip)	is_int(allowed(p, ip, 9), 0, "denied: %s", ip)
#define ALLOW(p, ip)	is_int(allowed(p, ip, 9), 1, "allowed: %s", ip)

int
main(void)
{
	struct config *cfg;
	struct peer_policy p;
	char err[CFG_ERRLEN];
	size_t i;

	cfg = cfg_new();
	ok(cfg != NULL && peer_policy_init(&p, cfg) == 0, "default policy");

	/* Every default range, with its first and last address and the
	 * neighbours just outside. */
	ALLOW(&p, "8.8.8.8");
	DENY(&p, "0.0.0.0"); DENY(&p, "0.255.255.255"); ALLOW(&p, "1.0.0.0");
	ALLOW(&p, "9.255.255.255"); DENY(&p, "10.0.0.0");
	DENY(&p, "10.255.255.255"); ALLOW(&p, "11.0.0.0");
	ALLOW(&p, "100.63.255.255"); DENY(&p, "100.64.0.0");
	DENY(&p, "100.127.255.255"); ALLOW(&p, "100.128.0.0");
	ALLOW(&p, "126.255.255.255"); DENY(&p, "127.0.0.1");
	DENY(&p, "127.255.255.255"); ALLOW(&p, "128.0.0.0");
	ALLOW(&p, "169.253.255.255"); DENY(&p, "169.254.0.0");
	DENY(&p, "169.254.255.255"); ALLOW(&p, "169.255.0.0");
	ALLOW(&p, "172.15.255.255"); DENY(&p, "172.16.0.0");
	DENY(&p, "172.31.255.255"); ALLOW(&p, "172.32.0.0");
	ALLOW(&p, "191.255.255.255"); DENY(&p, "192.0.0.0");
	DENY(&p, "192.0.0.255"); ALLOW(&p, "192.0.1.0");
	ALLOW(&p, "192.167.255.255"); DENY(&p, "192.168.0.0");
	DENY(&p, "192.168.255.255"); ALLOW(&p, "192.169.0.0");
	ALLOW(&p, "198.17.255.255"); DENY(&p, "198.18.0.0");
	DENY(&p, "198.19.255.255"); ALLOW(&p, "198.20.0.0");
	ALLOW(&p, "223.255.255.255"); DENY(&p, "224.0.0.0");
	DENY(&p, "239.255.255.255"); DENY(&p, "240.0.0.0");
	DENY(&p, "255.255.255.254"); DENY(&p, "255.255.255.255");

	ALLOW(&p, "2001:db8::1"); ALLOW(&p, "2606:4700::1111");
	DENY(&p, "::"); DENY(&p, "::1"); ALLOW(&p, "::2");
	ALLOW(&p, "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	DENY(&p, "fc00::"); DENY(&p, "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ALLOW(&p, "fe00::"); ALLOW(&p, "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	DENY(&p, "fe80::"); DENY(&p, "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ALLOW(&p, "fec0::"); DENY(&p, "ff00::"); DENY(&p, "ff02::1");
	DENY(&p, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

	/* IPv4 embedded in IPv6. */
	DENY(&p, "::ffff:127.0.0.1"); DENY(&p, "::ffff:10.1.2.3");
	DENY(&p, "::ffff:192.168.1.1"); DENY(&p, "::ffff:0.0.0.0");
	DENY(&p, "::ffff:255.255.255.255"); ALLOW(&p, "::ffff:8.8.8.8");
	DENY(&p, "64:ff9b::127.0.0.1"); DENY(&p, "64:ff9b::a9fe:a9fe");
	DENY(&p, "64:ff9b::ac10:1"); ALLOW(&p, "64:ff9b::808:808");
	DENY(&p, "2002:7f00:1::"); DENY(&p, "2002:a00:1::1");
	DENY(&p, "2002:c0a8:101::"); DENY(&p, "2002:6440::");
	ALLOW(&p, "2002:808:808::1"); DENY(&p, "2002:e000::");
	ALLOW(&p, "2003::1");
	peer_policy_free(&p);

	/* Operator lists: allowed-peer-ip opens, denied-peer-ip adds. */
	ok(cfg_set(cfg, CFG_SRC_FILE, 1, "allowed-peer-ip", "127.0.0.1",
	    err, sizeof(err)) == 0 && cfg_set(cfg, CFG_SRC_FILE, 2,
	    "denied-peer-ip", "203.0.113.0/24", err, sizeof(err)) == 0 &&
	    cfg_set(cfg, CFG_SRC_FILE, 3, "denied-peer-ip", "2001:db8::/32",
	    err, sizeof(err)) == 0, "operator ranges");
	ok(peer_policy_init(&p, cfg) == 0, "policy with operator ranges");
	ALLOW(&p, "127.0.0.1"); DENY(&p, "127.0.0.2");
	ALLOW(&p, "::ffff:127.0.0.1");
	DENY(&p, "203.0.113.0"); DENY(&p, "203.0.113.255");
	ALLOW(&p, "203.0.114.0"); DENY(&p, "2001:db8:ffff::1");
	ALLOW(&p, "2001:db9::1"); DENY(&p, "::ffff:203.0.113.9");
	/* Our own TURN listener is never a peer. */
	is_int(allowed(&p, "127.0.0.1", cfg->turn_port), 0,
	    "our own TURN port is never a peer");
	is_int(allowed(&p, "127.0.0.1", cfg->turn_port + 1), 1,
	    "the port next to it is");
	peer_policy_free(&p);

	for (i = 0; peer_policy_default_deny[i] != NULL; i++)
		;
	is_int(i, 17, "17 default ranges, as in SPEC");
	cfg_free(cfg);
	return done_testing();
}
