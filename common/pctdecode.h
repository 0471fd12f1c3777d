/*
 * pctdecode.h - the one percent-decoder (RFC 3986 §2.1), for request
 * targets (signaling/http.c) and the userinfo of redis URLs
 * (common/redis_url.c).
 */
#ifndef MEETOPIA_PCTDECODE_H
#define MEETOPIA_PCTDECODE_H

#include <stddef.h>

/*
 * Percent-decodes s[0..n) into out (cap bytes with the NUL).  Refused, -1:
 * an escape that is not '%' and two hex digits, a control character
 * (below 0x20, or 0x7f) whether escaped or not, a character of raw_refuse
 * written as itself, a character of any_refuse escaped or not, and a
 * result that does not fit.  Either set may be NULL.  0 on success, with
 * the length without the NUL in *outlen (may be NULL).
 */
int		 pct_decode(const char *s, size_t n, const char *raw_refuse,
		    const char *any_refuse, char *out, size_t cap,
		    size_t *outlen);

#endif
