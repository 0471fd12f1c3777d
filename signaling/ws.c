/*
 * ws.c - WebSocket framing of one connection (see ws.h), on wslay's frame
 * layer.
 *
 * Input: ws_feed() points the reader at the new bytes and pulls frames out
 * with wslay_frame_recv(), whose recv callback copies from that reader;
 * when it runs dry wslay answers WSLAY_ERR_WANT_READ and keeps its partial
 * frame for the next call.  A frame is tracked from its first chunk (which
 * carries the header) until its payload is complete.
 *
 * Output: wslay_frame_send() with a send callback that hands the bytes to
 * the owner (a bufferevent), which always takes them whole.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <wslay/wslay.h>

#include "common/base64.h"
#include "common/rdwr.h"
#include "common/utf8.h"
#include "signaling/http.h"
#include "signaling/ws.h"

#define OP_CONT		0x0
#define OP_TEXT		0x1
#define OP_BINARY	0x2
#define OP_CLOSE	0x8
#define OP_PING		0x9
#define OP_PONG		0xa

struct ws {
	wslay_frame_context_ptr	 ctx;
	struct ws_cb		 cb;
	void			*arg;
	struct rd		 in;		/* bytes of the current feed */

	/* the frame being read */
	int			 in_frame;
	uint8_t			 opcode;
	int			 fin;
	uint64_t		 frame_left;
	uint8_t			 ctl[125];
	size_t			 ctl_len;

	/* the message being assembled */
	int			 in_msg;
	uint8_t			 msg_op;
	int			 msg_skip;	/* past WS_MSG_MAX */
	uint8_t			*msg;
	size_t			 msg_len;
	size_t			 msg_cap;

	int			 closing;
	enum ws_fail		 fail;
	uint16_t		 peer_code;
};

static ssize_t
recv_cb(uint8_t *buf, size_t len, int flags, void *arg)
{
	struct ws *ws = arg;
	size_t n = len < ws->in.left ? len : ws->in.left;

	(void)flags;
	if (n == 0 || rd_copy(&ws->in, buf, n) != 0)
		return -1;		/* wslay: WSLAY_ERR_WANT_READ */
	return (ssize_t)n;
}

static ssize_t
send_cb(const uint8_t *data, size_t len, int flags, void *arg)
{
	struct ws *ws = arg;

	(void)flags;
	if (ws->cb.out(ws->arg, data, len) != 0)
		return -1;
	return (ssize_t)len;
}

static int
genmask_cb(uint8_t *buf, size_t len, void *arg)
{
	(void)arg;
	memset(buf, 0, len);	/* a server never masks (§5.1) */
	return 0;
}

struct ws *
ws_new(const struct ws_cb *cb, void *arg)
{
	static const struct wslay_frame_callbacks fcb = {
		send_cb, recv_cb, genmask_cb
	};
	struct ws *ws;

	if ((ws = calloc(1, sizeof(*ws))) == NULL)
		return NULL;
	ws->cb = *cb;
	ws->arg = arg;
	if (wslay_frame_context_init(&ws->ctx, &fcb, ws) != 0) {
		free(ws);
		return NULL;
	}
	return ws;
}

void
ws_free(struct ws *ws)
{
	if (ws == NULL)
		return;
	wslay_frame_context_free(ws->ctx);
	free(ws->msg);
	free(ws);
}

static int
send_frame(struct ws *ws, uint8_t opcode, const uint8_t *data, size_t len)
{
	struct wslay_frame_iocb io;
	ssize_t r;

	memset(&io, 0, sizeof(io));
	io.fin = 1;
	io.opcode = opcode;
	io.payload_length = len;
	io.data = data;
	io.data_length = len;
	/* The send callback takes everything, so one call writes the frame;
	 * a zero-length payload returns 0. */
	r = wslay_frame_send(ws->ctx, &io);
	if (r < 0 || (size_t)r != len)
		return -1;
	return 0;
}

int
ws_send_text(struct ws *ws, const char *s, size_t len)
{
	if (ws->closing)
		return -1;
	return send_frame(ws, OP_TEXT, (const uint8_t *)s, len);
}

int
ws_send_ping(struct ws *ws)
{
	if (ws->closing)
		return -1;
	return send_frame(ws, OP_PING, NULL, 0);
}

int
ws_close(struct ws *ws, uint16_t code, const char *reason)
{
	uint8_t buf[125];
	struct wr w;
	size_t rl = reason != NULL ? strlen(reason) : 0;

	if (ws->closing)
		return 0;
	ws->closing = 1;
	if (rl > sizeof(buf) - 2)
		rl = sizeof(buf) - 2;
	wr_init(&w, buf, sizeof(buf));
	wr_u16(&w, code);
	wr_bytes(&w, reason, rl);
	return send_frame(ws, OP_CLOSE, buf, w.len);
}

enum ws_fail
ws_fail_reason(const struct ws *ws)
{
	return ws->fail;
}

uint16_t
ws_peer_code(const struct ws *ws)
{
	return ws->peer_code;
}

static int
fail(struct ws *ws, enum ws_fail why, uint16_t code, const char *reason)
{
	if (ws->fail == WS_FAIL_NONE)
		ws->fail = why;
	ws_close(ws, code, reason);
	return -1;
}

/* RFC 6455 §7.4: codes a peer may send. */
static int
close_code_valid(uint16_t c)
{
	return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1011) ||
	    (c >= 3000 && c <= 4999);
}

static int
control_frame(struct ws *ws)
{
	struct rd r;
	uint16_t code;
	size_t ncp;

	switch (ws->opcode) {
	case OP_PING:
		return send_frame(ws, OP_PONG, ws->ctl, ws->ctl_len) == 0 ? 0 :
		    -1;
	case OP_PONG:
		return 0;
	case OP_CLOSE:
		if (ws->ctl_len == 0) {
			ws->fail = WS_FAIL_PEER_CLOSE;
			ws->peer_code = 1005;
			ws_close(ws, WS_CLOSE_NORMAL, NULL);
			return -1;
		}
		rd_init(&r, ws->ctl, ws->ctl_len);
		code = rd_u16(&r);
		if (r.err || !close_code_valid(code))
			return fail(ws, WS_FAIL_PROTOCOL, WS_CLOSE_PROTOCOL,
			    "bad close frame");
		if (utf8_count(r.p, r.left, &ncp) != 0)
			return fail(ws, WS_FAIL_PROTOCOL, WS_CLOSE_INVALID,
			    "close reason is not UTF-8");
		ws->fail = WS_FAIL_PEER_CLOSE;
		ws->peer_code = code;
		ws_close(ws, code, NULL);
		return -1;
	}
	return 0;
}

/* A new frame's header, from its first chunk. */
static int
frame_start(struct ws *ws, const struct wslay_frame_iocb *io)
{
	if (!io->mask)
		return fail(ws, WS_FAIL_UNMASKED, WS_CLOSE_PROTOCOL,
		    "client frames must be masked");
	if (io->rsv != 0)
		return fail(ws, WS_FAIL_PROTOCOL, WS_CLOSE_PROTOCOL,
		    "reserved bits set");
	ws->in_frame = 1;
	ws->opcode = io->opcode;
	ws->fin = io->fin;
	ws->frame_left = io->payload_length;
	ws->ctl_len = 0;
	switch (io->opcode) {
	case OP_CLOSE:
	case OP_PING:
	case OP_PONG:
		/* wslay refused > 125 and fragmented control frames */
		return 0;
	case OP_TEXT:
	case OP_BINARY:
		if (ws->in_msg)
			return fail(ws, WS_FAIL_PROTOCOL, WS_CLOSE_PROTOCOL,
			    "new message inside a fragmented one");
		ws->in_msg = 1;
		ws->msg_op = io->opcode;
		ws->msg_skip = 0;
		ws->msg_len = 0;
		break;
	case OP_CONT:
		if (!ws->in_msg)
			return fail(ws, WS_FAIL_PROTOCOL, WS_CLOSE_PROTOCOL,
			    "continuation outside a message");
		break;
	default:
		return fail(ws, WS_FAIL_PROTOCOL, WS_CLOSE_PROTOCOL,
		    "reserved opcode");
	}
	if (io->payload_length > WS_DISCARD_MAX)
		return fail(ws, WS_FAIL_HUGE, WS_CLOSE_TOO_BIG,
		    "frame too large");
	if (!ws->msg_skip && io->payload_length > WS_MSG_MAX - ws->msg_len) {
		ws->msg_skip = 1;
		free(ws->msg);
		ws->msg = NULL;
		ws->msg_cap = ws->msg_len = 0;
	}
	return 0;
}

static int
frame_data(struct ws *ws, const uint8_t *p, size_t n)
{
	size_t cap;
	uint8_t *m;

	if (ws->opcode >= OP_CLOSE) {
		/* n <= 125 in all: wslay checked the header */
		if (n > sizeof(ws->ctl) - ws->ctl_len)
			return -1;
		memcpy(ws->ctl + ws->ctl_len, p, n);
		ws->ctl_len += n;
		return 0;
	}
	if (ws->msg_skip || n == 0)
		return 0;
	if (ws->msg_len + n > ws->msg_cap) {
		cap = ws->msg_cap == 0 ? 1024 : ws->msg_cap;
		while (cap < ws->msg_len + n)
			cap *= 2;
		if (cap > WS_MSG_MAX)
			cap = WS_MSG_MAX;
		if ((m = realloc(ws->msg, cap)) == NULL)
			return -1;
		ws->msg = m;
		ws->msg_cap = cap;
	}
	memcpy(ws->msg + ws->msg_len, p, n);
	ws->msg_len += n;
	return 0;
}

static int
frame_end(struct ws *ws)
{
	ws->in_frame = 0;
	if (ws->opcode >= OP_CLOSE)
		return control_frame(ws);
	if (!ws->fin)
		return 0;
	ws->in_msg = 0;
	if (ws->msg_skip) {
		ws->msg_skip = 0;
		ws->cb.error(ws->arg, WS_ERR_TOO_BIG);
	} else if (ws->msg_op == OP_BINARY)
		ws->cb.error(ws->arg, WS_ERR_BINARY);
	else
		ws->cb.text(ws->arg, ws->msg != NULL ? ws->msg :
		    (const uint8_t *)"", ws->msg_len);
	/* Keep a small buffer for the next message, not a large one. */
	if (ws->msg_cap > 4096) {
		free(ws->msg);
		ws->msg = NULL;
		ws->msg_cap = 0;
	}
	ws->msg_len = 0;
	return 0;
}

int
ws_feed(struct ws *ws, const uint8_t *p, size_t len)
{
	struct wslay_frame_iocb io;
	ssize_t r;

	if (ws->closing)
		return -1;
	rd_init(&ws->in, p, len);
	for (;;) {
		memset(&io, 0, sizeof(io));
		r = wslay_frame_recv(ws->ctx, &io);
		if (r == WSLAY_ERR_WANT_READ)
			break;
		if (r < 0)
			return fail(ws, WS_FAIL_PROTOCOL, WS_CLOSE_PROTOCOL,
			    "bad frame");
		if (!ws->in_frame && frame_start(ws, &io) != 0)
			return -1;
		if (frame_data(ws, io.data, io.data_length) != 0)
			return fail(ws, WS_FAIL_PROTOCOL, WS_CLOSE_INTERNAL,
			    "out of memory");
		if ((uint64_t)r > ws->frame_left)
			return fail(ws, WS_FAIL_PROTOCOL, WS_CLOSE_PROTOCOL,
			    "bad frame");
		ws->frame_left -= (uint64_t)r;
		if (ws->frame_left == 0 && frame_end(ws) != 0)
			return -1;
		if (ws->closing)
			return -1;
	}
	return ws->closing ? -1 : 0;
}

int
ws_accept_key(const char *key, char *out, size_t outlen)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	uint8_t md[SHA_DIGEST_LENGTH];
	char buf[24 + sizeof(guid)];
	size_t i, n;

	/* §4.2.1: the base64 of 16 bytes is 22 characters and "==". */
	if (strlen(key) != 24 || key[22] != '=' || key[23] != '=' ||
	    strchr("AQgw", key[21]) == NULL)
		return -1;
	for (i = 0; i < 22; i++)
		if (key[i] == '\0' || strchr(b64, key[i]) == NULL)
			return -1;
	memcpy(buf, key, 24);
	memcpy(buf + 24, guid, sizeof(guid) - 1);
	SHA1((const uint8_t *)buf, 24 + sizeof(guid) - 1, md);
	return b64_encode(md, sizeof(md), B64_PAD, out, outlen, &n) == 0 &&
	    n == WS_ACCEPT_LEN ? 0 : -1;
}
