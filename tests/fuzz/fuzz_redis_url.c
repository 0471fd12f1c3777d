/*
 * fuzz_redis_url.c - libFuzzer target: the `redis` URL parser
 * (common/redis_url.c).  Any byte string is parsed or refused with a
 * reason; an accepted URL prints masked without its password.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/redis_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct redis_url u;
	char why[256], out[1024], *s;

	if ((s = malloc(len + 1)) == NULL)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	if (redis_url_parse(s, &u, why, sizeof(why)) == 0) {
		redis_url_masked(&u, out, sizeof(out));
		/* the masked form shows no password that is not also
		 * part of what it may show (a short one can be) */
		if (u.has_password && strlen(u.password) >= 12 &&
		    strstr(out, u.password) != NULL &&
		    strstr(u.host, u.password) == NULL &&
		    strstr(u.user, u.password) == NULL)
			abort();
		redis_url_clear(&u);
	}
	free(s);
	return 0;
}
