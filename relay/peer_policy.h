/*
 * peer_policy.h - which peer addresses a relay may talk to (SPEC "Relay
 * policy"; RFC 8656 §21.1 on abuse of the relay).
 *
 * Denied by default: the private, loopback, link-local, CGN, benchmark,
 * multicast and reserved ranges of both families, and IPv6 addresses that
 * embed a denied IPv4 address (IPv4-mapped ::ffff:0:0/96, IPv4-compatible
 * ::/96, IPv4-translated ::ffff:0:0:0/96, NAT64 64:ff9b::/96, local-use
 * NAT64 64:ff9b:1::/48, 6to4 2002::/16).  denied-peer-ip adds ranges;
 * allowed-peer-ip opens ranges and wins over every deny but one: the
 * addresses of this host (the listen addresses, every interface address
 * when a listen address is a wildcard, relay-ip, both halves of
 * external-ip, the unspecified addresses) are denied on every port, and
 * so is an IPv6 address that embeds one.  The server's own live relayed
 * addresses are exempt, but that is decided by the caller, which knows
 * them: it asks peer_policy_is_host() on the data path to hold datagrams
 * to this host to those.
 */
#ifndef MEETOPIA_PEER_POLICY_H
#define MEETOPIA_PEER_POLICY_H

#include <stddef.h>

#include "common/addr.h"

struct config;

struct peer_policy {
	struct addr_range	*deny;
	size_t			 ndeny;
	struct addr_range	*allow;
	size_t			 nallow;
	struct addr_range	*host;		/* this host's addresses */
	size_t			 nhost;
};

/* Built from a configuration (and, with a wildcard listen address, the
 * interface addresses of this host as they are now); 0, or -1 when out
 * of memory or the interfaces cannot be listed. */
int	peer_policy_init(struct peer_policy *, const struct config *);
void	peer_policy_free(struct peer_policy *);

/* 1 when the relay may send to (and accept from) peer, 0 when denied. */
int	peer_policy_allowed(const struct peer_policy *, const struct maddr *);

/* 1 when a's IP is an address of this host (a short scan, for the data
 * path; embedded IPv4 forms are left to peer_policy_allowed()). */
int	peer_policy_is_host(const struct peer_policy *, const struct maddr *);

/* The built-in deny list, for tests and documentation. */
extern const char *const peer_policy_default_deny[];

#endif
