/*
 * peer_policy.c - the relay's peer address policy (see peer_policy.h).
 */
#include <sys/types.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "relay/peer_policy.h"

/* SPEC "Relay policy", in the order given there. */
const char *const peer_policy_default_deny[] = {
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
	"169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16",
	"198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
	"::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
	NULL
};

/* ------------------------------------------------------------------ */
/* The addresses of this host. */

struct hosts {
	struct addr_range	*v;
	size_t			 n;
	size_t			 cap;
};

static int
hosts_add(struct hosts *h, const struct addr_range *r)
{
	struct addr_range *v;
	size_t i;

	for (i = 0; i < h->n; i++)
		if (memcmp(&h->v[i], r, sizeof(*r)) == 0)
			return 0;
	if (h->n == h->cap) {
		v = reallocarray(h->v, h->cap + 8, sizeof(*v));
		if (v == NULL)
			return -1;
		h->v = v;
		h->cap += 8;
	}
	h->v[h->n++] = *r;
	return 0;
}

/* One address, or (mask not NULL) the network of an address and mask. */
static int
hosts_add_ip(struct hosts *h, const struct maddr *a, const struct maddr *mask)
{
	struct addr_range r;
	size_t i, len;

	if (a->family != AF_INET && a->family != AF_INET6)
		return 0;
	len = addr_iplen(a);
	memset(&r, 0, sizeof(r));
	r.family = a->family;
	for (i = 0; i < len; i++) {
		uint8_t m = mask != NULL && mask->family == a->family ?
		    mask->ip[i] : 0xff;

		r.lo[i] = a->ip[i] & m;
		r.hi[i] = a->ip[i] | (uint8_t)~m;
	}
	return hosts_add(h, &r);
}

static int
is_wildcard(const struct maddr *a)
{
	static const uint8_t zero[16];

	return (a->family == AF_INET || a->family == AF_INET6) &&
	    memcmp(a->ip, zero, addr_iplen(a)) == 0;
}

/*
 * Every address of the interfaces (the whole network of a loopback
 * interface: 127.0.0.2 reaches this host too).  The loopback ranges are
 * added whatever getifaddrs() says.
 */
static int
hosts_add_interfaces(struct hosts *h)
{
	static const char *const loop[] = { "127.0.0.0/8", "::1/128" };
	struct ifaddrs *ifs, *i;
	struct addr_range r;
	struct maddr a, m;
	size_t k;
	int rc = 0;

	for (k = 0; k < sizeof(loop) / sizeof(loop[0]); k++)
		if (addr_range_parse(loop[k], &r) != 0 || hosts_add(h, &r) != 0)
			return -1;
	if (getifaddrs(&ifs) != 0)
		return -1;
	for (i = ifs; i != NULL && rc == 0; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		addr_from_sockaddr(&a, i->ifa_addr);
		if (a.family == 0)
			continue;
		memset(&m, 0, sizeof(m));
		if ((i->ifa_flags & IFF_LOOPBACK) && i->ifa_netmask != NULL)
			addr_from_sockaddr(&m, i->ifa_netmask);
		rc = hosts_add_ip(h, &a, m.family != 0 ? &m : NULL);
	}
	freeifaddrs(ifs);
	return rc;
}

/* SPEC: listen addresses (every interface address when one is a
 * wildcard), relay-ip, both halves of external-ip, and the unspecified
 * addresses, which a kernel delivers to this host. */
static int
hosts_of(struct hosts *h, const struct config *cfg)
{
	struct maddr own[4];
	struct maddr any;
	size_t i, n = 0;
	int wild = 0;

	own[n++] = cfg->relay_ip;
	if (cfg->external_ip.set) {
		own[n++] = cfg->external_ip.pub;
		if (cfg->external_ip.has_priv)
			own[n++] = cfg->external_ip.priv;
	}
	for (i = 0; i < n; i++) {
		if (is_wildcard(&own[i]))
			wild = 1;
		if (hosts_add_ip(h, &own[i], NULL) != 0)
			return -1;
	}
	for (i = 0; i < cfg->listen.n; i++) {
		if (is_wildcard(&cfg->listen.v[i]))
			wild = 1;
		if (hosts_add_ip(h, &cfg->listen.v[i], NULL) != 0)
			return -1;
	}
	memset(&any, 0, sizeof(any));
	any.family = AF_INET;
	if (hosts_add_ip(h, &any, NULL) != 0)
		return -1;
	any.family = AF_INET6;
	if (hosts_add_ip(h, &any, NULL) != 0)
		return -1;
	return wild ? hosts_add_interfaces(h) : 0;
}

/* ------------------------------------------------------------------ */

int
peer_policy_init(struct peer_policy *p, const struct config *cfg)
{
	struct hosts h;
	size_t i, n = 0;

	memset(p, 0, sizeof(*p));
	memset(&h, 0, sizeof(h));
	while (peer_policy_default_deny[n] != NULL)
		n++;
	p->deny = calloc(n + cfg->denied_peer_ip.n, sizeof(*p->deny));
	p->allow = calloc(cfg->allowed_peer_ip.n + 1, sizeof(*p->allow));
	if (p->deny == NULL || p->allow == NULL || hosts_of(&h, cfg) != 0) {
		free(h.v);
		peer_policy_free(p);
		return -1;
	}
	p->host = h.v;
	p->nhost = h.n;
	for (i = 0; i < n; i++)
		if (addr_range_parse(peer_policy_default_deny[i],
		    &p->deny[p->ndeny]) == 0)
			p->ndeny++;
	for (i = 0; i < cfg->denied_peer_ip.n; i++)
		p->deny[p->ndeny++] = cfg->denied_peer_ip.v[i];
	for (i = 0; i < cfg->allowed_peer_ip.n; i++)
		p->allow[p->nallow++] = cfg->allowed_peer_ip.v[i];
	return 0;
}

void
peer_policy_free(struct peer_policy *p)
{
	free(p->deny);
	free(p->allow);
	free(p->host);
	memset(p, 0, sizeof(*p));
}

static int
in_list(const struct addr_range *v, size_t n, const struct maddr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr_in_range(a, &v[i]))
			return 1;
	return 0;
}

int
peer_policy_is_host(const struct peer_policy *p, const struct maddr *a)
{
	return in_list(p->host, p->nhost, a);
}

#define EMBED_MAX	4

static void
v4_of(struct maddr *v4, const struct maddr *a, const uint8_t at[4])
{
	int i;

	memset(v4, 0, sizeof(*v4));
	v4->family = AF_INET;
	v4->port = a->port;
	for (i = 0; i < 4; i++)
		v4->ip[i] = a->ip[at[i]];
}

static int
zero_from(const struct maddr *a, size_t from)
{
	size_t i;

	for (i = from; i < 16; i++)
		if (a->ip[i] != 0)
			return 0;
	return 1;
}

/*
 * The IPv4 addresses an IPv6 address may carry, for the forms of SPEC;
 * how many (0 to EMBED_MAX).
 *
 * The local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) may be used with
 * any prefix length RFC 6052 §2.2 allows from /48 on, and the address
 * does not say which: every reading it is consistent with counts (the
 * u-octet, bits 64-71, is zero and so is the suffix after the IPv4
 * address; the /96 reading always), so that a denied IPv4 address hides
 * behind none of them.
 */
static size_t
embedded_v4(const struct maddr *a, struct maddr v4[EMBED_MAX])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	static const uint8_t translated[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
	    0xff, 0, 0 };
	static const uint8_t compat[12];
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	static const uint8_t nat64_local[6] = { 0x00, 0x64, 0xff, 0x9b, 0x00,
	    0x01 };
	/* RFC 6052 §2.2: the bytes of the IPv4 address for a prefix of
	 * /48, /56, /64, /96 (byte 8 is the u-octet), and where the suffix
	 * starts. */
	static const struct {
		uint8_t	at[4];
		uint8_t	suffix;
	} rfc6052[] = {
		{ { 6, 7, 9, 10 }, 11 },
		{ { 7, 9, 10, 11 }, 12 },
		{ { 9, 10, 11, 12 }, 13 },
		{ { 12, 13, 14, 15 }, 16 },
	};
	static const uint8_t last[4] = { 12, 13, 14, 15 };
	static const uint8_t sixto4[4] = { 2, 3, 4, 5 };
	size_t i, n = 0;

	if (a->family != AF_INET6)
		return 0;
	if (memcmp(a->ip, mapped, 12) == 0 ||		/* ::ffff:0:0/96 */
	    memcmp(a->ip, translated, 12) == 0 ||	/* ::ffff:0:0:0/96 */
	    memcmp(a->ip, compat, 12) == 0 ||		/* ::/96 */
	    memcmp(a->ip, nat64, 12) == 0) {		/* 64:ff9b::/96 */
		v4_of(&v4[n++], a, last);
		return n;
	}
	if (memcmp(a->ip, nat64_local, 6) == 0) {	/* 64:ff9b:1::/48 */
		for (i = 0; i < sizeof(rfc6052) / sizeof(rfc6052[0]); i++)
			if (rfc6052[i].suffix == 16 || (a->ip[8] == 0 &&
			    zero_from(a, rfc6052[i].suffix)))
				v4_of(&v4[n++], a, rfc6052[i].at);
		return n;
	}
	if (a->ip[0] == 0x20 && a->ip[1] == 0x02)	/* 2002:V4ADDR::/48 */
		v4_of(&v4[n++], a, sixto4);
	return n;
}

int
peer_policy_allowed(const struct peer_policy *p, const struct maddr *a)
{
	struct maddr v4[EMBED_MAX];
	size_t i, n;

	if (a->family != AF_INET && a->family != AF_INET6)
		return 0;
	n = embedded_v4(a, v4);
	/* This host, whatever allowed-peer-ip says. */
	if (peer_policy_is_host(p, a))
		return 0;
	for (i = 0; i < n; i++)
		if (peer_policy_is_host(p, &v4[i]))
			return 0;
	if (in_list(p->allow, p->nallow, a))
		return 1;
	if (in_list(p->deny, p->ndeny, a))
		return 0;
	for (i = 0; i < n; i++)
		if (!in_list(p->allow, p->nallow, &v4[i]) &&
		    in_list(p->deny, p->ndeny, &v4[i]))
			return 0;
	return 1;
}
