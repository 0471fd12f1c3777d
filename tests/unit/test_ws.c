/*
 * test_ws.c - WebSocket framing (signaling/ws.c): masked text frames,
 * fragmentation, frames split across reads, ping/pong, close, the 64 KiB
 * limit (an error, the connection goes on), a huge frame (1009), unmasked
 * and malformed frames (1002), and the accept key of RFC 6455 §1.3.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "signaling/ws.h"
#include "tests/tap.h"

static uint8_t out[1 << 20];
static size_t outlen;
static char texts[8][256];
static size_t textlens[8];
static int ntexts, nerr;
static enum ws_err lasterr;

static void
text_cb(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	if (ntexts < 8) {
		memcpy(texts[ntexts], p, n < 255 ? n : 255);
		texts[ntexts][n < 255 ? n : 255] = '\0';
		textlens[ntexts] = n;
	}
	ntexts++;
}

static void
error_cb(void *arg, enum ws_err e)
{
	(void)arg;
	nerr++;
	lasterr = e;
}

static int
out_cb(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	if (outlen + n > sizeof(out))
		return -1;
	memcpy(out + outlen, p, n);
	outlen += n;
	return 0;
}

static const struct ws_cb cb = { text_cb, error_cb, out_cb };

static struct ws *
fresh(void)
{
	outlen = 0;
	ntexts = nerr = 0;
	return ws_new(&cb, NULL);
}

/* A client frame: masked unless mask is 0. */
static size_t
frame(uint8_t *buf, int fin, int op, const void *payload, size_t len,
    int mask)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	const uint8_t *p = payload;
	size_t n = 0, i;

	buf[n++] = (uint8_t)((fin ? 0x80 : 0) | op);
	if (len < 126)
		buf[n++] = (uint8_t)((mask ? 0x80 : 0) | len);
	else if (len < 65536) {
		buf[n++] = (uint8_t)((mask ? 0x80 : 0) | 126);
		buf[n++] = (uint8_t)(len >> 8);
		buf[n++] = (uint8_t)len;
	} else {
		buf[n++] = (uint8_t)((mask ? 0x80 : 0) | 127);
		for (i = 0; i < 8; i++)
			buf[n++] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	}
	if (mask) {
		memcpy(buf + n, key, 4);
		n += 4;
	}
	for (i = 0; i < len && p != NULL; i++)
		buf[n + i] = mask ? p[i] ^ key[i % 4] : p[i];
	return n + (p != NULL ? len : 0);
}

static void
test_basic(void)
{
	uint8_t buf[256];
	struct ws *ws = fresh();
	size_t n, i;
	int rc = 0;

	n = frame(buf, 1, 1, "{\"type\":\"ping\"}", 15, 1);
	is_int(ws_feed(ws, buf, n), 0, "a masked text frame");
	is_int(ntexts, 1, "one message");
	is_str(texts[0], "{\"type\":\"ping\"}", "unmasked payload");

	/* byte by byte */
	n = frame(buf, 1, 1, "hello", 5, 1);
	for (i = 0; i < n; i++)
		rc |= ws_feed(ws, buf + i, 1);
	ok(rc == 0 && ntexts == 2 && strcmp(texts[1], "hello") == 0,
	    "a frame fed one byte at a time");

	/* fragmented: text + continuation + continuation */
	n = frame(buf, 0, 1, "frag", 4, 1);
	n += frame(buf + n, 0, 0, "men", 3, 1);
	n += frame(buf + n, 1, 0, "ted", 3, 1);
	is_int(ws_feed(ws, buf, n), 0, "fragments");
	is_str(texts[2], "fragmented", "reassembled");

	/* ping inside a fragmented message */
	outlen = 0;
	n = frame(buf, 0, 1, "a", 1, 1);
	n += frame(buf + n, 1, 9, "pp", 2, 1);
	n += frame(buf + n, 1, 0, "b", 1, 1);
	is_int(ws_feed(ws, buf, n), 0, "a ping between fragments");
	is_str(texts[3], "ab", "the message survives it");
	ok(outlen == 4 && out[0] == 0x8a && out[1] == 2 && out[2] == 'p',
	    "pong with the ping's payload, unmasked");

	/* empty text */
	n = frame(buf, 1, 1, "", 0, 1);
	is_int(ws_feed(ws, buf, n), 0, "an empty text frame");
	is_int(textlens[4], 0, "an empty message");

	/* our own frames */
	outlen = 0;
	ws_send_text(ws, "hi", 2);
	ok(outlen == 4 && out[0] == 0x81 && out[1] == 2 &&
	    memcmp(out + 2, "hi", 2) == 0, "server text frame, no mask");

	/* binary */
	n = frame(buf, 1, 2, "\x01\x02", 2, 1);
	is_int(ws_feed(ws, buf, n), 0, "a binary frame does not close");
	ok(nerr == 1 && lasterr == WS_ERR_BINARY, "it is reported");
	ws_free(ws);
}

static void
test_close(void)
{
	uint8_t buf[64];
	struct ws *ws = fresh();
	size_t n;

	n = frame(buf, 1, 8, "\x03\xe8" "bye", 5, 1);
	is_int(ws_feed(ws, buf, n), -1, "close frame: the connection ends");
	is_int(ws_fail_reason(ws), WS_FAIL_PEER_CLOSE, "closed by the peer");
	is_int(ws_peer_code(ws), 1000, "with its code");
	ok(outlen == 4 && out[0] == 0x88 && out[2] == 0x03 && out[3] == 0xe8,
	    "answered with a close frame of the same code");
	is_int(ws_feed(ws, buf, n), -1, "nothing is read after close");
	ws_free(ws);

	ws = fresh();
	n = frame(buf, 1, 8, "\x03\xed", 2, 1);	/* 1005 may not be sent */
	is_int(ws_feed(ws, buf, n), -1, "a reserved close code");
	ok(out[0] == 0x88 && out[2] == 0x03 && out[3] == 0xea,
	    "is a protocol error (1002)");
	ws_free(ws);

	ws = fresh();
	is_int(ws_close(ws, WS_CLOSE_POLICY, "repeated"), 0, "ws_close");
	ok(out[0] == 0x88 && out[2] == 0x03 && out[3] == 0xf0 &&
	    memcmp(out + 4, "repeated", 8) == 0, "1008 with its reason");
	is_int(ws_send_text(ws, "x", 1), -1, "no text after close");
	ws_free(ws);
}

static void
test_limits(void)
{
	static uint8_t buf[WS_MSG_MAX + 64], payload[WS_MSG_MAX + 1];
	uint8_t small[64];
	struct ws *ws = fresh();
	size_t n;

	memset(payload, 'a', sizeof(payload));
	n = frame(buf, 1, 1, payload, WS_MSG_MAX, 1);
	is_int(ws_feed(ws, buf, n), 0, "a 64 KiB message");
	ok(ntexts == 1 && textlens[0] == WS_MSG_MAX, "is delivered whole");

	n = frame(buf, 1, 1, payload, WS_MSG_MAX + 1, 1);
	is_int(ws_feed(ws, buf, n), 0, "64 KiB + 1 does not close");
	ok(ntexts == 1 && nerr == 1 && lasterr == WS_ERR_TOO_BIG,
	    "it is skipped and reported");
	n = frame(small, 1, 1, "next", 4, 1);
	is_int(ws_feed(ws, small, n), 0, "the stream stays in step");
	is_str(texts[1], "next", "the next message arrives");

	/* fragments adding up past the limit */
	n = frame(buf, 0, 1, payload, WS_MSG_MAX - 10, 1);
	n += frame(buf + n, 1, 0, payload, 20, 1);
	is_int(ws_feed(ws, buf, n), 0, "fragments past 64 KiB");
	ok(nerr == 2 && lasterr == WS_ERR_TOO_BIG && ntexts == 2,
	    "are skipped and reported once");
	ws_free(ws);

	ws = fresh();
	n = frame(small, 1, 1, NULL, WS_DISCARD_MAX + 1, 1);
	memset(small + n, 'x', 10);	/* the first bytes of its payload */
	is_int(ws_feed(ws, small, n + 10), -1, "a frame announcing > 1 MiB");
	is_int(ws_fail_reason(ws), WS_FAIL_HUGE, "fails at once");
	ok(out[0] == 0x88 && out[2] == 0x03 && out[3] == 0xf1,
	    "with 1009, after its first bytes");
	ws_free(ws);
}

static void
test_protocol(void)
{
	uint8_t buf[256];
	struct ws *ws;
	size_t n;

	ws = fresh();
	n = frame(buf, 1, 1, "hi", 2, 0);
	is_int(ws_feed(ws, buf, n), -1, "an unmasked client frame");
	is_int(ws_fail_reason(ws), WS_FAIL_UNMASKED, "fails (RFC 6455 §5.1)");
	ok(out[0] == 0x88 && out[2] == 0x03 && out[3] == 0xea, "with 1002");
	is_int(ntexts, 0, "and is not delivered");
	ws_free(ws);

	ws = fresh();
	n = frame(buf, 1, 0, "x", 1, 1);
	is_int(ws_feed(ws, buf, n), -1, "a continuation without a message");
	ws_free(ws);

	ws = fresh();
	n = frame(buf, 0, 1, "x", 1, 1);
	n += frame(buf + n, 1, 1, "y", 1, 1);
	is_int(ws_feed(ws, buf, n), -1, "a new message inside a fragmented one");
	ws_free(ws);

	ws = fresh();
	n = frame(buf, 1, 3, "x", 1, 1);
	is_int(ws_feed(ws, buf, n), -1, "a reserved opcode");
	ws_free(ws);

	ws = fresh();
	n = frame(buf, 1, 1, "x", 1, 1);
	buf[0] |= 0x40;
	is_int(ws_feed(ws, buf, n), -1, "RSV1 set (no extension agreed)");
	ws_free(ws);

	ws = fresh();
	n = frame(buf, 0, 9, "x", 1, 1);
	is_int(ws_feed(ws, buf, n), -1, "a fragmented ping");
	ws_free(ws);

	ws = fresh();
	memset(buf, 'p', 200);
	n = frame(buf + 50, 1, 9, buf, 126, 1);
	is_int(ws_feed(ws, buf + 50, n), -1, "a ping of 126 bytes");
	ws_free(ws);

	ws = fresh();
	/* 127-length with a value that fits in 16 bits: not minimal */
	n = frame(buf, 1, 1, NULL, 70000, 1);
	buf[2] = buf[3] = buf[4] = buf[5] = buf[6] = buf[7] = 0;
	buf[8] = 0;
	buf[9] = 10;
	is_int(ws_feed(ws, buf, n), -1, "a non-minimal length");
	ws_free(ws);
}

static void
test_accept(void)
{
	char a[WS_ACCEPT_LEN + 1];

	is_int(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", a, sizeof(a)), 0,
	    "RFC 6455 §1.3 key");
	is_str(a, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "its accept value");
	is_int(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ", a, sizeof(a)), -1,
	    "unpadded: refused");
	is_int(ws_accept_key("dGhlIHNhbXBsZSBub25jZR==", a, sizeof(a)), -1,
	    "not 16 bytes: refused");
	is_int(ws_accept_key("dGhlIHNhbXBs*SBub25jZQ==", a, sizeof(a)), -1,
	    "not base64: refused");
}

int
main(void)
{
	test_basic();
	test_close();
	test_limits();
	test_protocol();
	test_accept();
	return done_testing();
}
