/*
 * ws.h - the WebSocket protocol (RFC 6455) of /ws above the byte stream:
 * the opening handshake's accept key, and the framing of one connection.
 *
 * wslay's frame layer (wslay_frame_recv/send) reads and writes frame
 * headers and unmasks payloads.  The message layer is ours because
 * wslay's event layer cannot do what SPEC asks: it fails the connection on
 * an oversize message (1009) where SPEC wants an `error` first and a close
 * (1008) only when it is repeated, and it buffers a whole message before
 * any check.  Here a frame's length is checked from its header, before its
 * payload is read: a message past WS_MSG_MAX is skipped without being
 * stored and reported once complete; past WS_DISCARD_MAX the connection
 * is failed (1009) instead of reading it all.
 *
 * Rules (RFC 6455 §5): client frames must be masked (§5.1: else close
 * 1002), RSV bits must be zero, control frames are at most 125 bytes and
 * never fragmented, continuation frames only inside a fragmented message,
 * reserved opcodes refused; ping is answered with pong (§5.5.2), close with
 * close (§5.5.1) and the connection ends.
 */
#ifndef MEETOPIA_SIG_WS_H
#define MEETOPIA_SIG_WS_H

#include <stddef.h>
#include <stdint.h>

#define WS_MSG_MAX	65536		/* SPEC: 64 KiB */
#define WS_DISCARD_MAX	(1024 * 1024)	/* skipped, not read, up to this */
#define WS_ACCEPT_LEN	28

#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_GOING_AWAY	1001
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_DATA		1003
#define WS_CLOSE_INVALID	1007
#define WS_CLOSE_POLICY		1008
#define WS_CLOSE_TOO_BIG	1009
#define WS_CLOSE_INTERNAL	1011

/* What ws_cb.error reports; the connection goes on. */
enum ws_err {
	WS_ERR_TOO_BIG = 1,	/* a message past WS_MSG_MAX was skipped */
	WS_ERR_BINARY		/* a binary message (SPEC: text frames only) */
};

/* Why the connection failed; it is closing when ws_feed returns. */
enum ws_fail {
	WS_FAIL_NONE = 0,
	WS_FAIL_UNMASKED,	/* a client frame without a mask */
	WS_FAIL_PROTOCOL,	/* any other framing error */
	WS_FAIL_HUGE,		/* a frame past WS_DISCARD_MAX */
	WS_FAIL_PEER_CLOSE	/* not a failure: the peer closed */
};

struct ws_cb {
	/* A complete text message (any bytes; UTF-8 is the caller's check). */
	void	(*text)(void *arg, const uint8_t *, size_t);
	void	(*error)(void *arg, enum ws_err);
	/* Bytes for the wire; returns 0, or -1 if they cannot be queued. */
	int	(*out)(void *arg, const uint8_t *, size_t);
};

struct ws;

struct ws	*ws_new(const struct ws_cb *, void *arg);
void		 ws_free(struct ws *);

/*
 * Feeds bytes from the peer.  Returns 0 while the connection goes on, or
 * -1 once it is closing (a close frame was sent or is due: flush the
 * output, then end the connection); ws_fail_reason() says why.  Callbacks
 * run from inside; after one of them calls ws_close() nothing more is
 * read.
 */
int		 ws_feed(struct ws *, const uint8_t *, size_t);
enum ws_fail	 ws_fail_reason(const struct ws *);

int		 ws_send_text(struct ws *, const char *, size_t);
int		 ws_send_ping(struct ws *);
/* Sends a close frame (once); nothing is sent or read after it. */
int		 ws_close(struct ws *, uint16_t code, const char *reason);
/* The close code the peer sent, or 0. */
uint16_t	 ws_peer_code(const struct ws *);

/*
 * Sec-WebSocket-Accept (RFC 6455 §4.2.2): base64(SHA-1(key + GUID)) into
 * out (WS_ACCEPT_LEN + 1).  -1 when the key is not 16 bytes in base64.
 */
int		 ws_accept_key(const char *key, char *out, size_t outlen);

#endif
