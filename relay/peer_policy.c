/*
 * peer_policy.c - the relay's peer address policy (see peer_policy.h).
 */
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

int
peer_policy_init(struct peer_policy *p, const struct config *cfg)
{
	size_t i, n = 0, k;

	memset(p, 0, sizeof(*p));
	while (peer_policy_default_deny[n] != NULL)
		n++;
	p->deny = calloc(n + cfg->denied_peer_ip.n, sizeof(*p->deny));
	p->allow = calloc(cfg->allowed_peer_ip.n + 1, sizeof(*p->allow));
	p->self = calloc(2 * cfg->listen.n + 1, sizeof(*p->self));
	if (p->deny == NULL || p->allow == NULL || p->self == NULL) {
		peer_policy_free(p);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (addr_range_parse(peer_policy_default_deny[i],
		    &p->deny[p->ndeny]) == 0)
			p->ndeny++;
	for (i = 0; i < cfg->denied_peer_ip.n; i++)
		p->deny[p->ndeny++] = cfg->denied_peer_ip.v[i];
	for (i = 0; i < cfg->allowed_peer_ip.n; i++)
		p->allow[p->nallow++] = cfg->allowed_peer_ip.v[i];
	for (i = 0; i < cfg->listen.n; i++) {
		int ports[2] = { cfg->turn_port, cfg->tls_port };

		for (k = 0; k < 2; k++) {
			if (ports[k] == 0)
				continue;
			p->self[p->nself] = cfg->listen.v[i];
			p->self[p->nself++].port = (uint16_t)ports[k];
		}
	}
	return 0;
}

void
peer_policy_free(struct peer_policy *p)
{
	free(p->deny);
	free(p->allow);
	free(p->self);
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

/* The IPv4 address an IPv6 address carries, for the forms of SPEC. */
static int
embedded_v4(const struct maddr *a, struct maddr *v4)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };

	memset(v4, 0, sizeof(*v4));
	v4->family = AF_INET;
	v4->port = a->port;
	if (memcmp(a->ip, mapped, 12) == 0 || memcmp(a->ip, nat64, 12) == 0) {
		memcpy(v4->ip, a->ip + 12, 4);		/* ::ffff:0:0/96,
							   64:ff9b::/96 */
		return 1;
	}
	if (a->ip[0] == 0x20 && a->ip[1] == 0x02) {
		memcpy(v4->ip, a->ip + 2, 4);		/* 2002:V4ADDR::/48 */
		return 1;
	}
	return 0;
}

static int
allowed(const struct peer_policy *p, const struct maddr *a, int depth)
{
	struct maddr v4;
	size_t i;

	if (a->family != AF_INET && a->family != AF_INET6)
		return 0;
	for (i = 0; i < p->nself; i++)
		if (addr_eq(a, &p->self[i]))
			return 0;
	if (in_list(p->allow, p->nallow, a))
		return 1;
	if (in_list(p->deny, p->ndeny, a))
		return 0;
	if (a->family == AF_INET6 && depth == 0 && embedded_v4(a, &v4))
		return allowed(p, &v4, 1);
	return 1;
}

int
peer_policy_allowed(const struct peer_policy *p, const struct maddr *a)
{
	return allowed(p, a, 0);
}
