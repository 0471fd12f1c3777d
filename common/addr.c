/*
 * addr.c - address and range parsing and comparison (see addr.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"

size_t
addr_iplen(const struct maddr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

int
addr_parse(const char *s, struct maddr *out)
{
	memset(out, 0, sizeof(*out));
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, out->ip) != 1)
			return -1;
		out->family = AF_INET6;
		return 0;
	}
	if (inet_pton(AF_INET, s, out->ip) != 1)
		return -1;
	out->family = AF_INET;
	return 0;
}

int
addr_range_parse(const char *s, struct addr_range *out)
{
	char buf[128], *sep;
	struct maddr a, b;
	const char *errstr;
	long long bits;
	size_t len, i;

	memset(out, 0, sizeof(*out));
	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((sep = strchr(buf, '/')) != NULL) {
		*sep++ = '\0';
		if (addr_parse(buf, &a) != 0 || *sep == '\0')
			return -1;
		len = addr_iplen(&a);
		bits = strtonum(sep, 0, (long long)len * 8, &errstr);
		if (errstr != NULL)
			return -1;
		out->family = a.family;
		for (i = 0; i < len; i++) {
			int keep = bits >= (long long)(i + 1) * 8 ? 8 :
			    bits <= (long long)i * 8 ? 0 : (int)(bits - i * 8);
			uint8_t mask = keep == 0 ? 0 : (uint8_t)(0xff << (8 - keep));

			if ((a.ip[i] & ~mask) != 0)
				return -1;	/* host bits set */
			out->lo[i] = a.ip[i];
			out->hi[i] = a.ip[i] | (uint8_t)~mask;
		}
		return 0;
	}
	if ((sep = strchr(buf, '-')) != NULL) {
		*sep++ = '\0';
		if (addr_parse(buf, &a) != 0 || addr_parse(sep, &b) != 0 ||
		    a.family != b.family)
			return -1;
		len = addr_iplen(&a);
		if (memcmp(a.ip, b.ip, len) > 0)
			return -1;
		out->family = a.family;
		memcpy(out->lo, a.ip, len);
		memcpy(out->hi, b.ip, len);
		return 0;
	}
	if (addr_parse(buf, &a) != 0)
		return -1;
	out->family = a.family;
	memcpy(out->lo, a.ip, addr_iplen(&a));
	memcpy(out->hi, a.ip, addr_iplen(&a));
	return 0;
}

int
addr_in_range(const struct maddr *a, const struct addr_range *r)
{
	size_t len = addr_iplen(a);

	if (a->family != r->family)
		return 0;
	return memcmp(a->ip, r->lo, len) >= 0 && memcmp(a->ip, r->hi, len) <= 0;
}

int
addr_eq_ip(const struct maddr *a, const struct maddr *b)
{
	return a->family == b->family &&
	    memcmp(a->ip, b->ip, addr_iplen(a)) == 0;
}

int
addr_eq(const struct maddr *a, const struct maddr *b)
{
	return addr_eq_ip(a, b) && a->port == b->port;
}

void
addr_from_sockaddr(struct maddr *out, const struct sockaddr *sa)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		out->family = AF_INET;
		memcpy(out->ip, &sin->sin_addr, 4);
		out->port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		out->family = AF_INET6;
		memcpy(out->ip, &sin6->sin6_addr, 16);
		out->port = ntohs(sin6->sin6_port);
	}
}

socklen_t
addr_to_sockaddr(const struct maddr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->ip, 4);
		sin->sin_port = htons(a->port);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->ip, 16);
		sin6->sin6_port = htons(a->port);
		return sizeof(*sin6);
	}
}

const char *
addr_ntop(const struct maddr *a, char *buf, size_t len)
{
	if (inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->ip, buf,
	    len) == NULL)
		strlcpy(buf, "?", len);
	return buf;
}

const char *
addr_ntop_port(const struct maddr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	addr_ntop(a, ip, sizeof(ip));
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, len, "%s:%u", ip, a->port);
	return buf;
}

const char *
addr_range_ntop(const struct addr_range *r, char *buf, size_t len)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	int af = r->family == AF_INET ? AF_INET : AF_INET6;

	inet_ntop(af, r->lo, lo, sizeof(lo));
	inet_ntop(af, r->hi, hi, sizeof(hi));
	if (strcmp(lo, hi) == 0)
		snprintf(buf, len, "%s", lo);
	else
		snprintf(buf, len, "%s-%s", lo, hi);
	return buf;
}

void
addr_client_key(const struct maddr *a, struct maddr *key)
{
	memset(key, 0, sizeof(*key));
	key->family = a->family;
	if (a->family == AF_INET)
		memcpy(key->ip, a->ip, 4);
	else
		memcpy(key->ip, a->ip, 8);	/* the /64 prefix */
}
