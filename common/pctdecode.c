/*
 * pctdecode.c - the one percent-decoder, RFC 3986 §2.1 (see pctdecode.h).
 *
 * Controls are refused after decoding as well as before, so "%00" or
 * "%0a" can never smuggle a NUL or a line break into a path or a password.
 */
#include "config.h"

#include <string.h>

#include "common/pctdecode.h"

/* The value of one hex digit, or -1. */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Whether c (not NUL) is one of set. */
static int
in_set(const char *set, int c)
{
	return set != NULL && c != 0 && strchr(set, c) != NULL;
}

/* Percent-decodes a span, refusing controls and the given characters. */
int
pct_decode(const char *s, size_t n, const char *raw_refuse,
    const char *any_refuse, char *out, size_t cap, size_t *outlen)
{
	size_t i, o = 0;
	int c, h, l;

	if (outlen != NULL)
		*outlen = 0;
	if (cap == 0)
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (n - i < 3 || (h = hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = hexval((unsigned char)s[i + 2])) < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
		} else if (in_set(raw_refuse, c))
			return -1;
		if (c < 0x20 || c == 0x7f || in_set(any_refuse, c))
			return -1;
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return 0;
}
