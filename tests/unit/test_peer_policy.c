/*
 * test_peer_policy.c - SPEC's relay policy table: each denied range with
 * its edges, IPv4 embedded in IPv6 (::ffff:0:0/96, 64:ff9b::/96,
 * 2002::/16, ::/96, ::ffff:0:0:0/96, 64:ff9b:1::/48 in each RFC 6052
 * layout), denied-peer-ip, allowed-peer-ip, and the addresses of this
 * host (listen, every interface with a wildcard listen, relay-ip,
 * external-ip) on every port whatever allowed-peer-ip says.
 */
#include <sys/types.h>
#include <ifaddrs.h>

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

static int
is_host(const struct peer_policy *p, const char *ip)
{
	struct maddr a;

	if (addr_parse(ip, &a) != 0)
		return -1;
	return peer_policy_is_host(p, &a);
}

static int
set(struct config *cfg, const char *key, const char *val)
{
	char err[CFG_ERRLEN];

	return cfg_set(cfg, CFG_SRC_FILE, 1, key, val, err, sizeof(err));
}

/* allowed-peer-ip opens everything: only this host stays denied. */
static struct config *
open_config(void)
{
	struct config *cfg = cfg_new();

	if (cfg == NULL || set(cfg, "allowed-peer-ip", "0.0.0.0/0") != 0 ||
	    set(cfg, "allowed-peer-ip", "::/0") != 0) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

/* The host addresses of a configuration: listen, relay-ip, external-ip,
 * every port, whatever allowed-peer-ip says. */
static void
host_addresses(void)
{
	struct config *cfg = open_config();
	struct peer_policy p;
	int port, all;

	ok(cfg != NULL && peer_policy_init(&p, cfg) == 0,
	    "listen 127.0.0.1, allowed-peer-ip everything");
	all = 1;
	for (port = 1; port < 65536; port += 97)
		if (allowed(&p, "127.0.0.1", port) != 0)
			all = 0;
	ok(all, "the listen address is denied on every port");
	is_int(allowed(&p, "127.0.0.1", cfg->turn_port), 0,
	    "our own TURN port is never a peer");
	is_int(allowed(&p, "127.0.0.1", cfg->turn_port + 1), 0,
	    "nor the port next to it");
	DENY(&p, "0.0.0.0"); DENY(&p, "::");
	ALLOW(&p, "127.0.0.2"); ALLOW(&p, "10.0.0.1"); ALLOW(&p, "::1");
	/* Embedded forms of a host address: denied although open. */
	DENY(&p, "::ffff:127.0.0.1"); DENY(&p, "::127.0.0.1");
	DENY(&p, "::ffff:0:127.0.0.1"); DENY(&p, "64:ff9b::127.0.0.1");
	DENY(&p, "64:ff9b:1::127.0.0.1"); DENY(&p, "2002:7f00:1::1");
	ALLOW(&p, "::ffff:127.0.0.2");
	is_int(is_host(&p, "127.0.0.1"), 1, "127.0.0.1 is a host address");
	is_int(is_host(&p, "127.0.0.2"), 0, "127.0.0.2 is not (listen is "
	    "127.0.0.1 only)");
	peer_policy_free(&p);

	ok(set(cfg, "relay-ip", "127.0.0.3") == 0 &&
	    set(cfg, "external-ip", "198.51.100.7/10.9.8.7") == 0 &&
	    set(cfg, "listen", "::1") == 0 &&
	    peer_policy_init(&p, cfg) == 0,
	    "relay-ip, external-ip and a second listen address");
	DENY(&p, "127.0.0.3"); DENY(&p, "198.51.100.7"); DENY(&p, "10.9.8.7");
	DENY(&p, "::1"); DENY(&p, "::ffff:198.51.100.7");
	ALLOW(&p, "198.51.100.8"); ALLOW(&p, "10.9.8.6");
	peer_policy_free(&p);
	cfg_free(cfg);
}

/* A wildcard listen address: every interface address, the loopback
 * network whole. */
static void
wildcard(void)
{
	struct config *cfg = cfg_new();
	struct peer_policy p;
	struct ifaddrs *ifs, *i;
	struct maddr a;
	char buf[ADDR_STRLEN];
	int n = 0, all = 1;

	ok(cfg != NULL && set(cfg, "listen", "0.0.0.0") == 0 &&
	    set(cfg, "allowed-peer-ip", "0.0.0.0/0") == 0 &&
	    set(cfg, "allowed-peer-ip", "::/0") == 0 &&
	    peer_policy_init(&p, cfg) == 0, "listen 0.0.0.0");
	DENY(&p, "127.0.0.1"); DENY(&p, "127.0.0.5"); DENY(&p, "127.255.0.1");
	DENY(&p, "::1"); DENY(&p, "0.0.0.0"); ALLOW(&p, "8.8.8.8");
	ok(getifaddrs(&ifs) == 0, "getifaddrs");
	for (i = ifs; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		addr_from_sockaddr(&a, i->ifa_addr);
		if (a.family == 0)
			continue;
		n++;
		if (peer_policy_allowed(&p, &a) != 0) {
			printf("# allowed: %s\n", addr_ntop(&a, buf,
			    sizeof(buf)));
			all = 0;
		}
	}
	freeifaddrs(ifs);
	ok(n > 0 && all, "each of the %d interface addresses is denied", n);
	peer_policy_free(&p);
	cfg_free(cfg);
}

/* IPv4 embedded in IPv6, the forms of issue 15. */
static void
embedded(void)
{
	struct config *cfg = cfg_new();
	struct peer_policy p;

	ok(cfg != NULL && peer_policy_init(&p, cfg) == 0, "default policy");
	/* IPv4-compatible ::a.b.c.d (RFC 4291 §2.5.5.1, deprecated). */
	DENY(&p, "::10.0.0.1"); DENY(&p, "::192.168.1.1");
	DENY(&p, "::127.0.0.1"); DENY(&p, "::2"); ALLOW(&p, "::8.8.8.8");
	/* IPv4-translated ::ffff:0:a.b.c.d (RFC 2765). */
	DENY(&p, "::ffff:0:10.0.0.1"); DENY(&p, "::ffff:0:169.254.1.1");
	DENY(&p, "::ffff:0:127.0.0.1"); ALLOW(&p, "::ffff:0:8.8.8.8");
	/* Local-use NAT64 64:ff9b:1::/48 (RFC 8215), in the layouts of
	 * RFC 6052 §2.2. */
	DENY(&p, "64:ff9b:1::a00:1");		/* /96 */
	DENY(&p, "64:ff9b:1::c0a8:101");
	ALLOW(&p, "64:ff9b:1::808:808");
	DENY(&p, "64:ff9b:1:a00:0:100::");	/* /48: 10.0.0.1 */
	DENY(&p, "64:ff9b:1:7f00:0:100::");	/* /48: 127.0.0.1 */
	DENY(&p, "64:ff9b:1:a:0:1::");		/* /56: 10.0.0.1 */
	DENY(&p, "64:ff9b:1:0:a:0:100:0");	/* /64: 10.0.0.1 */
	DENY(&p, "64:ff9b:1:ffff:c0:a801:100:0");	/* /64 */
	ALLOW(&p, "64:ff9b:1:0:8:808:800:0");	/* /64: 8.8.8.8 */
	ALLOW(&p, "64:ff9b:2::a00:1");		/* another prefix */
	peer_policy_free(&p);
	cfg_free(cfg);
}

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
	DENY(&p, "::"); DENY(&p, "::1"); ALLOW(&p, "::1:0:0:2");
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
	/* 127.0.0.1 is this host's listen address. */
	DENY(&p, "127.0.0.1"); DENY(&p, "127.0.0.2");
	DENY(&p, "::ffff:127.0.0.1");
	DENY(&p, "203.0.113.0"); DENY(&p, "203.0.113.255");
	ALLOW(&p, "203.0.114.0"); DENY(&p, "2001:db8:ffff::1");
	ALLOW(&p, "2001:db9::1"); DENY(&p, "::ffff:203.0.113.9");
	peer_policy_free(&p);
	ok(cfg_set(cfg, CFG_SRC_FILE, 4, "allowed-peer-ip", "127.0.0.2",
	    err, sizeof(err)) == 0 && peer_policy_init(&p, cfg) == 0,
	    "allowed-peer-ip 127.0.0.2");
	ALLOW(&p, "127.0.0.2"); ALLOW(&p, "::ffff:127.0.0.2");
	peer_policy_free(&p);

	for (i = 0; peer_policy_default_deny[i] != NULL; i++)
		;
	is_int(i, 17, "17 default ranges, as in SPEC");
	cfg_free(cfg);

	host_addresses();
	wildcard();
	embedded();
	return done_testing();
}
