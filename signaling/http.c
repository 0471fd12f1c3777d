/*
 * http.c - HTTP/1.1 request parsing as a pure function (see http.h).
 *
 * RFC 9112 §3 (request line), §5 (field lines: no whitespace before the
 * colon, no obsolete line folding), §6.3 (Content-Length and
 * Transfer-Encoding: a request with both, or with conflicting lengths, is
 * refused; Transfer-Encoding is not implemented here, bodies are small).
 * Lines end in CRLF; a bare LF is accepted (§2.2), a bare CR is not.
 *
 * Every byte is read through struct rd.  The parser restarts from the
 * first byte on each call: a header block is at most HTTP_HEADERS_MAX
 * bytes, so that is cheap and keeps no state between reads.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/pctdecode.h"
#include "signaling/http.h"

/* RFC 9110 §5.6.2 tchar. */
static int
is_tchar(uint8_t c)
{
	if (isalnum(c))
		return 1;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field-value bytes: VCHAR, SP, HTAB, obs-text. */
static int
is_vbyte(uint8_t c)
{
	return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

/* The next byte without consuming it, or -1 at the end. */
static int
rd_peek(const struct rd *r)
{
	struct rd t = *r;
	uint8_t c = rd_u8(&t);

	return t.err ? -1 : c;
}

/*
 * Reads one line (without its CRLF or LF) into a view: 0 with *complete
 * set when the line ended, or clear when the bytes end first; -1 for a
 * bare CR.  At most max bytes are looked at; *toolong is set when a line
 * is longer.
 */
static int
read_line(struct rd *r, const uint8_t **line, size_t *len, size_t max,
    int *complete, int *toolong)
{
	const uint8_t *start = r->p;
	size_t n = 0;
	uint8_t c;

	*complete = *toolong = 0;
	*line = start;
	*len = 0;
	while (r->left > 0) {
		c = rd_u8(r);
		if (c == '\n') {
			*complete = 1;
			break;
		}
		if (c == '\r') {
			if (r->left == 0)
				break;
			if (rd_u8(r) != '\n')
				return -1;
			*complete = 1;
			break;
		}
		if (++n > max) {
			*toolong = 1;
			break;
		}
	}
	*len = n;
	return 0;
}

static char *
arena_put(struct http_req *req, const uint8_t *p, size_t n, int lower)
{
	char *s;
	size_t i;

	if (req->arena_used + n + 1 > sizeof(req->arena))
		return NULL;
	s = req->arena + req->arena_used;
	for (i = 0; i < n; i++)
		s[i] = lower ? (char)tolower(p[i]) : (char)p[i];
	s[n] = '\0';
	req->arena_used += n + 1;
	return s;
}

/* The request line: 0, or minus the HTTP status that refuses it. */
static int
parse_request_line(const uint8_t *line, size_t len, struct http_req *req)
{
	struct rd r;
	size_t n = 0, tlen = 0;
	const uint8_t *t;
	uint8_t c = 0;
	char ver[9];

	rd_init(&r, line, len);
	/* method */
	while (r.left > 0) {
		c = rd_u8(&r);
		if (c == ' ')
			break;
		if (!is_tchar(c) || n >= HTTP_METHOD_MAX)
			return -400;
		req->method[n++] = (char)c;
	}
	req->method[n] = '\0';
	if (n == 0 || c != ' ')
		return -400;
	/* request-target: origin-form only */
	t = r.p;
	while (r.left > 0) {
		c = rd_u8(&r);
		if (c == ' ')
			break;
		if (c < 0x21 || c == 0x7f)
			return -400;
		if (++tlen > HTTP_TARGET_MAX)
			return -414;
	}
	if (tlen == 0 || c != ' ')
		return -400;
	memcpy(req->target, t, tlen);
	req->target[tlen] = '\0';
	if (req->target[0] != '/')
		return -400;
	/* HTTP-version */
	if (r.left != 8 || rd_copy(&r, ver, 8) != 0)
		return -400;
	ver[8] = '\0';
	if (strncmp(ver, "HTTP/", 5) != 0 || !isdigit((uint8_t)ver[5]) ||
	    ver[6] != '.' || !isdigit((uint8_t)ver[7]))
		return -400;
	if (ver[5] != '1')
		return -505;
	req->minor = ver[7] - '0';
	return 0;
}

/* One header field: 0, or minus the HTTP status that refuses it. */
static int
parse_field(const uint8_t *line, size_t len, struct http_req *req)
{
	struct rd r;
	const uint8_t *name, *val;
	size_t nlen = 0, vlen;
	struct http_field *f;
	uint8_t c = 0;

	if (req->nfields >= HTTP_HEADER_COUNT_MAX)
		return -431;
	rd_init(&r, line, len);
	name = r.p;
	while (r.left > 0) {
		c = rd_u8(&r);
		if (c == ':')
			break;
		if (!is_tchar(c))
			return -400;	/* incl. whitespace before the colon */
		nlen++;
	}
	if (nlen == 0 || c != ':')
		return -400;
	/* OWS value OWS */
	while (rd_peek(&r) == ' ' || rd_peek(&r) == '\t')
		rd_skip(&r, 1);
	val = r.p;
	vlen = r.left;
	while (vlen > 0 && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
		vlen--;
	while (r.left > 0)
		if (!is_vbyte(rd_u8(&r)))
			return -400;
	f = &req->fields[req->nfields];
	if ((f->name = arena_put(req, name, nlen, 1)) == NULL ||
	    (f->value = arena_put(req, val, vlen, 0)) == NULL)
		return -431;
	req->nfields++;
	return 0;
}

static int
parse_length(const char *v, long long *out)
{
	long long n = 0;

	if (*v == '\0')
		return -1;
	for (; *v != '\0'; v++) {
		if (!isdigit((uint8_t)*v) || n > 1000000000LL)
			return -1;
		n = n * 10 + (*v - '0');
	}
	*out = n;
	return 0;
}

/* Message semantics once the block is complete: 0, or minus a status. */
static int
check_fields(struct http_req *req)
{
	const char *conn, *te;
	long long len;
	size_t i;

	if (req->minor >= 1 && http_field_count(req, "host") != 1)
		return -400;
	if (http_field_count(req, "host") > 1)
		return -400;
	req->content_length = -1;
	for (i = 0; i < req->nfields; i++) {
		if (strcmp(req->fields[i].name, "content-length") != 0)
			continue;
		if (parse_length(req->fields[i].value, &len) != 0)
			return -400;
		if (req->content_length >= 0 && req->content_length != len)
			return -400;
		req->content_length = len;
	}
	if ((te = http_field(req, "transfer-encoding")) != NULL)
		return req->content_length >= 0 ? -400 : -501;
	conn = http_field(req, "connection");
	if (req->minor == 0)
		req->keep_alive = conn != NULL &&
		    http_has_token(conn, "keep-alive");
	else
		req->keep_alive = conn == NULL || !http_has_token(conn, "close");
	req->upgrade = conn != NULL && http_has_token(conn, "upgrade");
	return 0;
}

/* An incomplete request line whose target is already past the cap. */
static int
partial_target_long(const uint8_t *line, size_t len)
{
	struct rd r;

	rd_init(&r, line, len);
	while (r.left > 0 && rd_u8(&r) != ' ')
		;
	return r.left > HTTP_TARGET_MAX;
}

/* Fails the parse with an HTTP status. */
static int
refuse(int *status, int code)
{
	*status = code;
	return -1;
}

int
http_parse_request(struct rd *r, struct http_req *req, size_t *consumed,
    int *status)
{
	const uint8_t *start = r->p, *hstart = NULL, *line;
	size_t len;
	int rc, complete, toolong, first = 1;

	*consumed = 0;
	*status = 0;
	memset(req, 0, offsetof(struct http_req, arena));
	req->content_length = -1;
	/* RFC 9112 §2.2: ignore at least one empty line before the request. */
	if (rd_peek(r) == '\r') {
		struct rd t = *r;

		rd_skip(&t, 1);
		if (rd_peek(&t) == '\n')
			rd_skip(r, 2);
	} else if (rd_peek(r) == '\n')
		rd_skip(r, 1);
	for (;;) {
		if (read_line(r, &line, &len, first ? HTTP_TARGET_MAX + 32 :
		    HTTP_HEADERS_MAX, &complete, &toolong) != 0)
			return refuse(status, 400);
		if (!complete) {
			if (first)
				return toolong || partial_target_long(line,
				    len) ? refuse(status, 414) : 0;
			if (toolong || (size_t)(r->p - hstart) >
			    HTTP_HEADERS_MAX)
				return refuse(status, 431);
			return 0;		/* a valid prefix: more */
		}
		if (first) {
			if ((rc = parse_request_line(line, len, req)) != 0)
				return refuse(status, -rc);
			hstart = r->p;
			first = 0;
			continue;
		}
		if ((size_t)(r->p - hstart) > HTTP_HEADERS_MAX)
			return refuse(status, 431);
		if (len == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t')
			return refuse(status, 400);	/* obs-fold */
		if ((rc = parse_field(line, len, req)) != 0)
			return refuse(status, -rc);
	}
	if ((rc = check_fields(req)) != 0)
		return refuse(status, -rc);
	*consumed = (size_t)(r->p - start);
	return 0;
}

const char *
http_field(const struct http_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nfields; i++)
		if (strcmp(req->fields[i].name, name) == 0)
			return req->fields[i].value;
	return NULL;
}

size_t
http_field_count(const struct http_req *req, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < req->nfields; i++)
		if (strcmp(req->fields[i].name, name) == 0)
			n++;
	return n;
}

int
http_has_token(const char *v, const char *token)
{
	size_t tl = strlen(token), n;
	const char *e;

	while (*v != '\0') {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		e = v;
		while (*e != '\0' && *e != ',')
			e++;
		n = (size_t)(e - v);
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (n == tl && strncasecmp(v, token, tl) == 0)
			return 1;
		v = e;
	}
	return 0;
}

int
http_target_split(const char *target, char *path, size_t pathlen,
    char *query, size_t querylen)
{
	const char *q, *seg;
	size_t seglen;

	if (pathlen == 0 || querylen == 0 || target[0] != '/')
		return -1;
	q = strchr(target, '?');
	if (strlcpy(query, q != NULL ? q + 1 : "", querylen) >= querylen)
		return -1;
	if (pct_decode(target, strcspn(target, "?#"), NULL, "\\", path,
	    pathlen, NULL) != 0)
		return -1;
	/* No "." or ".." segment, whatever the encoding was. */
	for (seg = path + 1;; seg += seglen + 1) {
		seglen = strcspn(seg, "/");
		if ((seglen == 1 && seg[0] == '.') ||
		    (seglen == 2 && seg[0] == '.' && seg[1] == '.'))
			return -1;
		if (seg[seglen] == '\0')
			break;
	}
	return 0;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}

const char *
http_mime_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "css", "text/css; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" },
		{ "mjs", "text/javascript; charset=utf-8" },
		{ "json", "application/json" },
		{ "map", "application/json" },
		{ "webmanifest", "application/manifest+json" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "svg", "image/svg+xml" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "webp", "image/webp" },
		{ "ico", "image/x-icon" },
		{ "woff", "font/woff" },
		{ "woff2", "font/woff2" },
		{ "wasm", "application/wasm" },
		{ "mp3", "audio/mpeg" },
		{ "ogg", "audio/ogg" },
		{ "wav", "audio/wav" },
	};
	const char *dot, *slash;
	size_t i;

	dot = strrchr(name, '.');
	slash = strrchr(name, '/');
	if (dot == NULL || (slash != NULL && dot < slash))
		return "application/octet-stream";
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(dot + 1, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/*
 * Canonical "scheme://host[:port]" of an origin or of scheme + Host: lower
 * case, the default port of the scheme dropped, no trailing slash.  -1
 * when it is not an origin.
 */
static int
origin_canon(const char *scheme, const char *hostport, char *out,
    size_t outlen)
{
	char hp[512];
	const char *port = NULL;
	char *p;
	size_t n;

	if (strlcpy(hp, hostport, sizeof(hp)) >= sizeof(hp))
		return -1;
	n = strlen(hp);
	if (n > 0 && hp[n - 1] == '/')
		hp[--n] = '\0';
	if (n == 0)
		return -1;
	for (p = hp; *p != '\0'; p++) {
		if (*p == '/' || *p == '@' || *p == '?' || *p == '#' ||
		    (uint8_t)*p <= 0x20 || (uint8_t)*p >= 0x7f)
			return -1;
		*p = (char)tolower((uint8_t)*p);
	}
	if (hp[0] == '[') {
		if ((p = strchr(hp, ']')) == NULL)
			return -1;
		if (p[1] == ':')
			port = p + 2;
		else if (p[1] != '\0')
			return -1;
		p[1] = '\0';
	} else if ((p = strchr(hp, ':')) != NULL) {
		*p = '\0';
		port = p + 1;
	}
	if (port != NULL) {
		if (*port == '\0' || strspn(port, "0123456789") != strlen(port) ||
		    strlen(port) > 5)
			return -1;
		if ((strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0) ||
		    (strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0))
			port = NULL;
	}
	if ((size_t)snprintf(out, outlen, "%s://%s%s%s", scheme, hp,
	    port != NULL ? ":" : "", port != NULL ? port : "") >= outlen)
		return -1;
	return 0;
}

static int
origin_parse(const char *origin, char *out, size_t outlen)
{
	const char *sep = strstr(origin, "://");
	char scheme[16];
	size_t i, n;

	if (sep == NULL || (n = (size_t)(sep - origin)) == 0 ||
	    n >= sizeof(scheme))
		return -1;
	for (i = 0; i < n; i++) {
		if (!isalpha((uint8_t)origin[i]))
			return -1;
		scheme[i] = (char)tolower((uint8_t)origin[i]);
	}
	scheme[n] = '\0';
	return origin_canon(scheme, sep + 3, out, outlen);
}

int
http_origin_allowed(const char *origin, char *const *list, size_t n,
    int tls, const char *host)
{
	char o[600], a[600];
	size_t i;

	if (origin == NULL || origin_parse(origin, o, sizeof(o)) != 0)
		return 0;
	if (n > 0) {
		for (i = 0; i < n; i++) {
			if (strcmp(list[i], "*") == 0)
				continue;
			if (origin_parse(list[i], a, sizeof(a)) == 0 &&
			    strcmp(a, o) == 0)
				return 1;
		}
		return 0;
	}
	if (host == NULL || origin_canon(tls ? "https" : "http", host, a,
	    sizeof(a)) != 0)
		return 0;
	return strcmp(a, o) == 0;
}

