/*
 * http.h - the HTTP/1.1 request parser and helpers of the signaling server,
 * as pure functions (no sockets, no clock), shared by the server, the unit
 * tests and the fuzzer.
 *
 * RFC 9112 (message syntax) and RFC 9110 (semantics).  The parser reads the
 * request line and header block through struct rd and copies what it keeps
 * into the request, so nothing points into the network buffer afterwards.
 * Caps are enforced while the bytes arrive, before the block is complete:
 * a request line past HTTP_TARGET_MAX answers 414, a header block past
 * HTTP_HEADERS_MAX or HTTP_HEADER_COUNT_MAX answers 431.
 */
#ifndef MEETOPIA_SIG_HTTP_H
#define MEETOPIA_SIG_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/rdwr.h"

#define HTTP_METHOD_MAX		15
#define HTTP_TARGET_MAX		4096	/* request-target bytes: 414 past it */
#define HTTP_HEADERS_MAX	16384	/* header block bytes: 431 past it */
#define HTTP_HEADER_COUNT_MAX	64	/* header fields: 431 past it */
#define HTTP_BODY_MAX		4096	/* request bodies (the admin API) */

struct http_field {
	const char	*name;		/* lower case, NUL-terminated */
	const char	*value;		/* trimmed, NUL-terminated */
};

struct http_req {
	char		 method[HTTP_METHOD_MAX + 1];
	char		 target[HTTP_TARGET_MAX + 1];
	int		 minor;		/* HTTP/1.minor */
	int		 keep_alive;	/* from the version and Connection */
	int		 upgrade;	/* Connection names "upgrade" */
	long long	 content_length;/* -1: none */
	size_t		 nfields;
	struct http_field fields[HTTP_HEADER_COUNT_MAX];
	size_t		 arena_used;
	char		 arena[HTTP_HEADERS_MAX + HTTP_HEADER_COUNT_MAX * 2];
};

/*
 * Parses a request line and header block from r (which holds every byte
 * received so far).  0 with *consumed set to the block's length (the
 * body, if any, follows), or to 0 when the bytes are a valid prefix under
 * the caps (send more); -1 with *status the HTTP status that refuses the
 * request (400, 414, 431, 501 for Transfer-Encoding, 505).
 */
int		 http_parse_request(struct rd *r, struct http_req *req,
		    size_t *consumed, int *status);

/* The value of a header (name in lower case) or NULL; the first if many. */
const char	*http_field(const struct http_req *, const char *name);
/* How many times a header appears. */
size_t		 http_field_count(const struct http_req *, const char *name);
/* Whether a comma-separated header value holds token (case-insensitive). */
int		 http_has_token(const char *value, const char *token);

/*
 * Splits the target into its decoded path and raw query: percent-decoding
 * (%00, malformed escapes and control characters refused), then "." and
 * ".." segments, backslashes and empty targets refused.  path gets the
 * decoded path starting with '/', query the text after '?' (or "").
 * Returns 0 or -1.
 */
int		 http_target_split(const char *target, char *path,
		    size_t pathlen, char *query, size_t querylen);

/* The reason phrase of a status code. */
const char	*http_reason(int status);
/* Content-Type for a file name, by extension. */
const char	*http_mime_type(const char *name);

/*
 * Origin check of /ws and the APIs.  With a configured list the origin
 * must be one of them exactly (scheme, host and port, compared case-
 * insensitively, a default port and a trailing slash ignored; "*" never
 * matches).  Without one the server's own origin is allowed: the scheme of
 * this connection ("https" when tls) and the Host the client asked for.
 */
int		 http_origin_allowed(const char *origin, char *const *list,
		    size_t n, int tls, const char *host);


#endif
