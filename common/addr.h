/*
 * addr.h - IP addresses, ranges and the "client IP" of per-IP limits.
 *
 * struct maddr holds an IPv4 or IPv6 address (and a port) in a form that is
 * cheap to compare and hash.  Ranges are CIDR ("10.0.0.0/8", "fe80::/10") or
 * inclusive spans ("10.0.0.1-10.0.0.9"), parsed strictly: a range whose host
 * bits are set, a prefix past the family's width or a reversed span is an
 * error.
 */
#ifndef MEETOPIA_ADDR_H
#define MEETOPIA_ADDR_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct maddr {
	uint8_t		family;		/* AF_INET or AF_INET6 */
	uint16_t	port;		/* host byte order */
	uint8_t		ip[16];		/* IPv4 in the first 4 bytes */
};

struct addr_range {
	uint8_t		family;
	uint8_t		lo[16];		/* inclusive */
	uint8_t		hi[16];		/* inclusive */
};

#define ADDR_STRLEN	64	/* "[v6]:port" and a NUL fit */

/* Parses a literal IPv4 or IPv6 address (no port, no brackets). */
int	addr_parse(const char *, struct maddr *);
/* Parses "A/N", "A-B" or a single address (a /32 or /128). */
int	addr_range_parse(const char *, struct addr_range *);
int	addr_in_range(const struct maddr *, const struct addr_range *);
int	addr_eq_ip(const struct maddr *, const struct maddr *);
int	addr_eq(const struct maddr *, const struct maddr *);
size_t	addr_iplen(const struct maddr *);

void	addr_from_sockaddr(struct maddr *, const struct sockaddr *);
socklen_t addr_to_sockaddr(const struct maddr *, struct sockaddr_storage *);

/* "1.2.3.4" / "::1" */
const char *addr_ntop(const struct maddr *, char *, size_t);
/* "1.2.3.4:5" / "[::1]:5" */
const char *addr_ntop_port(const struct maddr *, char *, size_t);
const char *addr_range_ntop(const struct addr_range *, char *, size_t);

/*
 * The "client IP" of SPEC's per-IP limits: the IPv4 address, or the IPv6
 * /64 prefix (the rest zeroed, port 0).
 */
void	addr_client_key(const struct maddr *, struct maddr *);

#endif
