/*
 * peer_policy.h - which peer addresses a relay may talk to (SPEC "Relay
 * policy"; RFC 8656 §21.1 on abuse of the relay).
 *
 * Denied by default: the private, loopback, link-local, CGN, benchmark,
 * multicast and reserved ranges of both families, and IPv6 addresses that
 * embed a denied IPv4 address (IPv4-mapped ::ffff:0:0/96, NAT64
 * 64:ff9b::/96, 6to4 2002::/16).  denied-peer-ip adds ranges;
 * allowed-peer-ip opens ranges and wins over every deny.  The server's own
 * TURN listeners (the listen addresses at the TURN and TLS ports) are never
 * a valid peer.  The server's own relayed addresses are exempt, but that is
 * decided by the caller, which knows them.
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
	struct maddr		*self;		/* our TURN listeners */
	size_t			 nself;
};

/* Built from a configuration; 0, or -1 when out of memory. */
int	peer_policy_init(struct peer_policy *, const struct config *);
void	peer_policy_free(struct peer_policy *);

/* 1 when the relay may send to (and accept from) peer, 0 when denied. */
int	peer_policy_allowed(const struct peer_policy *, const struct maddr *);

/* The built-in deny list, for tests and documentation. */
extern const char *const peer_policy_default_deny[];

#endif
