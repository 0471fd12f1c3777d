/*
 * test_http.c - the HTTP/1.1 request parser and helpers (signaling/http.c):
 * complete and partial requests, the caps (414, 431), refusals (400, 501,
 * 505), path decoding without "..", the Origin rule and base64.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "signaling/http.h"
#include "tests/tap.h"

static struct http_req req;

#define MORE	1	/* parse(): a valid prefix, send more */

/* 0 (a whole header block), MORE, or the refusing HTTP status. */
static int
parse_n(const char *s, size_t len, size_t *consumed)
{
	struct rd r;
	size_t c;
	int status = -1;

	if (consumed == NULL)
		consumed = &c;
	rd_init(&r, s, len);
	if (http_parse_request(&r, &req, consumed, &status) != 0) {
		ok(status >= 400 && *consumed == 0, "refused with a status");
		return status;
	}
	return *consumed == 0 ? MORE : 0;
}

static int
parse(const char *s, size_t *consumed)
{
	return parse_n(s, strlen(s), consumed);
}

static char *
big(size_t n, char ch)
{
	char *s = malloc(n + 1);

	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

static void
test_parse(void)
{
	size_t used;
	const char *get = "GET /index.html?x=1 HTTP/1.1\r\nHost: a.test:8080\r\n"
	    "Origin:  http://a.test:8080  \r\nConnection: keep-alive, Upgrade"
	    "\r\nUpgrade: websocket\r\n\r\nBODY";
	char buf[40000], *t;
	int i, rc;

	is_int(parse(get, &used), 0, "a complete request");
	is_int(used, strlen(get) - 4, "consumed up to the blank line");
	is_str(req.method, "GET", "method");
	is_str(req.target, "/index.html?x=1", "target");
	is_int(req.minor, 1, "HTTP/1.1");
	is_str(http_field(&req, "host"), "a.test:8080", "Host, by lower-case name");
	is_str(http_field(&req, "origin"), "http://a.test:8080",
	    "values trimmed of OWS");
	ok(req.keep_alive && req.upgrade, "keep-alive and upgrade tokens");
	is_int(req.content_length, -1, "no Content-Length");

	/* every prefix is "more" */
	for (i = 1, rc = MORE; i < (int)(strlen(get) - 4) && rc == MORE; i++)
		rc = parse_n(get, (size_t)i, NULL);
	is_int(rc, MORE, "every proper prefix asks for more");

	is_int(parse("GET / HTTP/1.0\r\n\r\n", NULL), 0, "HTTP/1.0 without Host");
	ok(!req.keep_alive, "HTTP/1.0 closes by default");
	is_int(parse("GET / HTTP/1.1\nHost: x\n\n", NULL), 0, "bare LF lines");
	is_int(parse("GET / HTTP/1.1\r\n\r\n", NULL), 400,
	    "HTTP/1.1 without Host: 400");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", NULL), 400,
	    "two Host fields: 400");
	is_int(parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n", NULL), 400,
	    "whitespace before the colon: 400");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", NULL), 400,
	    "obsolete line folding: 400");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", NULL), 400,
	    "a bare CR: 400");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", NULL), 400,
	    "a control byte in a value: 400");
	is_int(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n", NULL), 505,
	    "HTTP/2.0 on this port: 505");
	is_int(parse("GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 400,
	    "absolute-form target: 400");
	is_int(parse("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 400,
	    "a bad method token: 400");
	is_int(parse("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 400,
	    "two spaces: 400");
	is_int(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n",
	    NULL), 0, "Content-Length");
	is_int(req.content_length, 12, "its value");
	is_int(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\n", NULL), 400, "conflicting lengths: 400");
	is_int(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
	    NULL), 400, "negative length: 400");
	is_int(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n", NULL), 501, "Transfer-Encoding: 501");
	is_int(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
	    "\r\nContent-Length: 3\r\n\r\n", NULL), 400,
	    "Transfer-Encoding with Content-Length: 400 (smuggling)");
	is_int(parse("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 0,
	    "an empty line before the request is ignored");

	/* caps */
	t = big(HTTP_TARGET_MAX + 10, 'a');
	t[0] = '/';
	snprintf(buf, sizeof(buf), "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", t);
	is_int(parse(buf, NULL), 414, "a target past HTTP_TARGET_MAX: 414");
	snprintf(buf, sizeof(buf), "GET %s", t);
	is_int(parse(buf, NULL), 414, "414 before the line is complete");
	free(t);
	t = big(HTTP_HEADERS_MAX, 'v');
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nX: %s\r\n\r\n",
	    t);
	is_int(parse(buf, NULL), 431, "a header block past the cap: 431");
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nX: %s", t);
	is_int(parse(buf, NULL), 431, "431 before the block is complete");
	free(t);
	strlcpy(buf, "GET / HTTP/1.1\r\nHost: a\r\n", sizeof(buf));
	for (i = 0; i < HTTP_HEADER_COUNT_MAX; i++)
		strlcat(buf, "X-A: b\r\n", sizeof(buf));
	strlcat(buf, "\r\n", sizeof(buf));
	is_int(parse(buf, NULL), 431, "more than HTTP_HEADER_COUNT_MAX fields: "
	    "431");
}

static void
test_tokens(void)
{
	ok(http_has_token("keep-alive, Upgrade", "upgrade"), "token found");
	ok(http_has_token(" close ", "close"), "token with spaces");
	ok(!http_has_token("upgraded", "upgrade"), "no prefix match");
	ok(!http_has_token("", "close"), "empty value");
}

static void
test_target(void)
{
	char p[256], q[256];

	ok(http_target_split("/a/b.html?x=1&y", p, sizeof(p), q, sizeof(q)) ==
	    0 && strcmp(p, "/a/b.html") == 0 && strcmp(q, "x=1&y") == 0,
	    "path and query");
	ok(http_target_split("/a%20b", p, sizeof(p), q, sizeof(q)) == 0 &&
	    strcmp(p, "/a b") == 0, "percent-decoding");
	is_int(http_target_split("/../etc/passwd", p, sizeof(p), q, sizeof(q)),
	    -1, "..: refused");
	is_int(http_target_split("/a/%2e%2e/b", p, sizeof(p), q, sizeof(q)), -1,
	    "encoded ..: refused");
	is_int(http_target_split("/a/%2E./b", p, sizeof(p), q, sizeof(q)), -1,
	    "half-encoded ..: refused");
	is_int(http_target_split("/a/./b", p, sizeof(p), q, sizeof(q)), -1,
	    ".: refused");
	is_int(http_target_split("/a/..", p, sizeof(p), q, sizeof(q)), -1,
	    "trailing ..: refused");
	is_int(http_target_split("/a%00b", p, sizeof(p), q, sizeof(q)), -1,
	    "%%00: refused");
	is_int(http_target_split("/a%zz", p, sizeof(p), q, sizeof(q)), -1,
	    "a malformed escape: refused");
	is_int(http_target_split("/a%5c..%5cb", p, sizeof(p), q, sizeof(q)), -1,
	    "a backslash: refused");
	ok(http_target_split("/a..b/.c", p, sizeof(p), q, sizeof(q)) == 0,
	    "dots inside names are fine");
}

static void
test_origin(void)
{
	char *list[] = { "https://meet.example.org", "http://127.0.0.1:8080" };

	ok(http_origin_allowed("http://127.0.0.1:8080", NULL, 0, 0,
	    "127.0.0.1:8080"), "own origin: same scheme, host and port");
	ok(http_origin_allowed("HTTP://LOCALHOST:8080/", NULL, 0, 0,
	    "localhost:8080"), "case and trailing slash ignored");
	ok(http_origin_allowed("http://a.test", NULL, 0, 0, "a.test:80"),
	    "default port ignored");
	ok(!http_origin_allowed("http://evil.test:8080", NULL, 0, 0,
	    "127.0.0.1:8080"), "another host: refused");
	ok(!http_origin_allowed("http://127.0.0.1:8081", NULL, 0, 0,
	    "127.0.0.1:8080"), "another port: refused");
	ok(!http_origin_allowed("https://127.0.0.1:8080", NULL, 0, 0,
	    "127.0.0.1:8080"), "another scheme: refused");
	ok(http_origin_allowed("https://127.0.0.1:8443", NULL, 0, 1,
	    "127.0.0.1:8443"), "https on a TLS connection");
	ok(!http_origin_allowed("null", NULL, 0, 0, "a"), "\"null\": refused");
	ok(!http_origin_allowed(NULL, NULL, 0, 0, "a"), "none: refused here");
	ok(http_origin_allowed("https://meet.example.org", list, 2, 0, "x"),
	    "a configured origin");
	ok(!http_origin_allowed("http://x", list, 2, 0, "x"),
	    "with a list, the own origin is not implied");
	{
		char *star[] = { "*" };

		ok(!http_origin_allowed("http://x", star, 1, 0, "x"),
		    "\"*\" never matches");
	}
	ok(!http_origin_allowed("http://a@b", NULL, 0, 0, "a@b"),
	    "userinfo: refused");
}

static void
test_misc(void)
{
	is_str(http_mime_type("/x/index.html"), "text/html; charset=utf-8",
	    "html");
	is_str(http_mime_type("app.JS"), "text/javascript; charset=utf-8",
	    "js, any case");
	is_str(http_mime_type("/x.d/noext"), "application/octet-stream",
	    "no extension");
	is_str(http_reason(431), "Request Header Fields Too Large", "reason");
}

int
main(void)
{
	test_parse();
	test_tokens();
	test_target();
	test_origin();
	test_misc();
	return done_testing();
}
