/* test_addr.c - address and range parsing is strict; the client key. */
#include "config.h"

#include <string.h>

#include "common/addr.h"
#include "tests/tap.h"

static int
in(const char *range, const char *ip)
{
	struct addr_range r;
	struct maddr a;

	if (addr_range_parse(range, &r) != 0 || addr_parse(ip, &a) != 0)
		return -1;
	return addr_in_range(&a, &r);
}

int
main(void)
{
	struct addr_range r;
	struct maddr a, k;
	char buf[ADDR_STRLEN];

	ok(addr_parse("192.0.2.1", &a) == 0 && a.family == AF_INET, "IPv4");
	ok(addr_parse("2001:db8::1", &a) == 0 && a.family == AF_INET6, "IPv6");
	ok(addr_parse("192.0.2", &a) != 0, "short IPv4 refused");
	ok(addr_parse("192.0.2.1 ", &a) != 0, "trailing space refused");
	ok(addr_parse("[::1]", &a) != 0, "brackets refused");
	ok(addr_parse("", &a) != 0, "empty refused");

	is_int(in("10.0.0.0/8", "10.255.255.255"), 1, "CIDR upper edge");
	is_int(in("10.0.0.0/8", "11.0.0.0"), 0, "CIDR just past");
	is_int(in("10.0.0.0/8", "9.255.255.255"), 0, "CIDR just below");
	is_int(in("100.64.0.0/10", "100.127.255.255"), 1, "/10 upper edge");
	is_int(in("100.64.0.0/10", "100.128.0.0"), 0, "/10 just past");
	is_int(in("fe80::/10", "febf:ffff::1"), 1, "IPv6 /10 edge");
	is_int(in("fe80::/10", "fec0::"), 0, "IPv6 /10 past");
	is_int(in("0.0.0.0/0", "255.255.255.255"), 1, "/0 covers all");
	is_int(in("10.0.0.1-10.0.0.9", "10.0.0.9"), 1, "span inclusive");
	is_int(in("10.0.0.1-10.0.0.9", "10.0.0.10"), 0, "span end");
	is_int(in("10.0.0.0/8", "::ffff:10.0.0.1"), 0, "families differ");
	is_int(in("127.0.0.1", "127.0.0.1"), 1, "single address");
	ok(addr_range_parse("10.0.0.1/8", &r) != 0, "host bits refused");
	ok(addr_range_parse("10.0.0.0/33", &r) != 0, "prefix too long");
	ok(addr_range_parse("10.0.0.0/", &r) != 0, "empty prefix");
	ok(addr_range_parse("10.0.0.0/-1", &r) != 0, "negative prefix");
	ok(addr_range_parse("10.0.0.9-10.0.0.1", &r) != 0, "reversed span");
	ok(addr_range_parse("10.0.0.1-::1", &r) != 0, "mixed span");
	ok(addr_range_parse("::/129", &r) != 0, "IPv6 prefix too long");

	addr_parse("2001:db8:1:2:3:4:5:6", &a);
	addr_client_key(&a, &k);
	is_str(addr_ntop(&k, buf, sizeof(buf)), "2001:db8:1:2::",
	    "IPv6 client key is the /64");
	addr_parse("192.0.2.7", &a);
	a.port = 99;
	addr_client_key(&a, &k);
	ok(k.port == 0 && addr_eq_ip(&a, &k), "IPv4 client key is the address");
	a.port = 5;
	is_str(addr_ntop_port(&a, buf, sizeof(buf)), "192.0.2.7:5", "ntop port");
	return done_testing();
}
