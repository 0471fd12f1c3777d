/*
 * fuzz_http.c - libFuzzer target: the HTTP/1.1 request parser
 * (signaling/http.c) and what the server does next with a parsed request:
 * the target split, the Origin rule and the header lookups.
 *
 * Any bytes are a complete request, a valid prefix, or refused with a
 * status; nothing reads past the end (the replay copies each input to an
 * exact-size heap buffer).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signaling/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct http_req req;
	char path[HTTP_TARGET_MAX + 1], query[HTTP_TARGET_MAX + 1];
	struct rd r;
	size_t used;
	int rc, status;

	rd_init(&r, data, len);
	rc = http_parse_request(&r, &req, &used, &status);
	if (rc != 0 || used == 0)
		return 0;
	if (used > len)
		abort();
	if (http_target_split(req.target, path, sizeof(path), query,
	    sizeof(query)) == 0 && (strstr(path, "/../") != NULL ||
	    strcmp(path + strlen(path) - (strlen(path) >= 3 ? 3 : 0), "/..")
	    == 0))
		abort();	/* ".." must never survive the split */
	(void)http_origin_allowed(http_field(&req, "origin"), NULL, 0, 0,
	    http_field(&req, "host"));
	(void)http_has_token(http_field(&req, "connection") != NULL ?
	    http_field(&req, "connection") : "", "upgrade");
	(void)http_mime_type(path);
	return 0;
}
