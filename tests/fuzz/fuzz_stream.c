/*
 * fuzz_stream.c - libFuzzer target: the framing of TURN over TCP and TLS
 * (relay/tcp.c: tcp_frame(), tcp_drain(); RFC 8656 §12.5).
 *
 * The first byte of an input seeds the split points, the rest is a byte
 * stream from a client.  The stream is framed twice: whole, and fed in
 * pieces of 1 to 64 bytes with the frames drained after every piece, as
 * reads from a socket would come.  Both must hand on the same frames,
 * byte for byte, and end in the same state (a bad frame, or the same
 * bytes and padding left over); every frame has the length its header
 * gives.  The seed's low bit says whether ChannelData may come (a client
 * with an allocation) or is garbage.  The frames of the whole pass go on to the protocol code over a
 * TCP 5-tuple that holds an allocation with a channel, so the data path
 * behind the framing is exercised too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "auth/cred.h"
#include "auth/ltkey.h"
#include "common/config.h"
#include "relay/relay_int.h"
#include "relay/stun_codec.h"
#include "relay/turn.h"
#include "tests/unit/fake_turn_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define SECRET	"fuzz-secret-0123456789"

struct rec {
	uint8_t		*buf;		/* the frames, back to back */
	size_t		 len;
	size_t		 cap;
	size_t		 nframes;
	int		 handle;	/* hand frames to the protocol */
	int		 chan_ok;	/* ChannelData allowed */
};

static struct {
	struct turn_ctx		*ctx;
	struct fake_io		 io;
	struct turn_tuple	 c1;
} fz;

/* One authenticated request (after a 401 for the nonce). */
static void
request(const char *user, const char *pass, uint16_t method,
    const struct maddr *peer, uint16_t chan)
{
	static const uint8_t tid0[12] = "fuzz-strm-tx";
	uint8_t buf[512], key[LTKEY_LEN], tid[12];
	char nonce[64] = "";
	struct stun_msg m;
	const struct stun_attr *n;
	struct wr w;
	int pass_no;

	memcpy(tid, tid0, sizeof(tid));
	for (pass_no = 0; pass_no < 2; pass_no++) {
		tid[0]++;
		wr_init(&w, buf, sizeof(buf));
		stun_begin(&w, stun_type(method, STUN_REQUEST), tid);
		if (method == STUN_ALLOCATE)
			stun_put(&w, STUN_ATTR_REQUESTED_TRANSPORT,
			    "\x11\0\0\0", 4);
		if (chan != 0)
			stun_put_u32(&w, STUN_ATTR_CHANNEL_NUMBER,
			    (uint32_t)chan << 16);
		if (peer != NULL)
			stun_put_xaddr(&w, STUN_ATTR_XOR_PEER_ADDRESS, peer,
			    tid);
		if (nonce[0] != '\0') {
			stun_put(&w, STUN_ATTR_USERNAME, user, strlen(user));
			stun_put(&w, STUN_ATTR_REALM, "meetopia", 8);
			stun_put(&w, STUN_ATTR_NONCE, nonce, strlen(nonce));
			ltkey_make(user, strlen(user), "meetopia", 8, pass,
			    strlen(pass), key);
			stun_end(&w, STUN_MI_SHA1, key, LTKEY_LEN, 0);
		} else
			stun_end(&w, STUN_MI_NONE, NULL, 0, 0);
		fz.io.nout = 0;
		turn_handle_client(fz.ctx, &fz.c1, buf, w.len);
		if (fz.io.nout == 0 || stun_parse(&m,
		    fz.io.out[fz.io.nout - 1].b,
		    fz.io.out[fz.io.nout - 1].len) != STUN_OK ||
		    (n = stun_find(&m, STUN_ATTR_NONCE)) == NULL ||
		    n->len >= sizeof(nonce))
			return;
		memcpy(nonce, n->val, n->len);
		nonce[n->len] = '\0';
	}
}

static void
setup(void)
{
	struct config *cfg;
	struct turn_io io;
	char err[CFG_ERRLEN], u1[CRED_USER_MAX], p1[CRED_PASS_MAX];
	struct maddr peer;

	log_set_level(LOG_LEVEL_ERROR);
	if ((cfg = cfg_new()) == NULL || cfg_set(cfg, CFG_SRC_FILE, 1,
	    "auth-secret", SECRET, err, sizeof(err)) != 0)
		abort();
	fake_io_init(&fz.io, &io, 0);
	if ((fz.ctx = turn_new(cfg, &io, err, sizeof(err))) == NULL)
		abort();
	cfg_free(cfg);
	fz.io.ctx = fz.ctx;
	turn_set_time(fz.ctx, 1000, 1700000000);

	addr_parse("192.0.2.1", &fz.c1.client);
	fz.c1.client.port = 40000;
	addr_parse("127.0.0.1", &fz.c1.server);
	fz.c1.server.port = 3478;
	fz.c1.proto = TURN_TCP;
	cred_make(SECRET, "s-one", 1800000000, u1, sizeof(u1), p1, sizeof(p1));
	request(u1, p1, STUN_ALLOCATE, NULL, 0);
	addr_parse("198.51.100.1", &peer);
	peer.port = 9;
	request(u1, p1, STUN_CHANNEL_BIND, &peer, 0x4000);
	if (turn_alloc_count(fz.ctx) != 1)
		abort();
}

static int
frame_cb(void *arg, const uint8_t *p, size_t len)
{
	struct rec *r = arg;
	size_t msglen, padlen;

	/* The frame is whole: its header gives exactly its length. */
	if (tcp_frame(p, len, &msglen, &padlen) != 0 ||
	    msglen != len || r->len + len > r->cap)
		abort();
	memcpy(r->buf + r->len, p, len);
	r->len += len;
	r->nframes++;
	if (r->handle)
		turn_handle_client(fz.ctx, &fz.c1, p, len);
	return 0;
}

static int
chan_ok_cb(void *arg)
{
	struct rec *r = arg;

	return r->chan_ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct evbuffer *a, *b;
	struct rec whole, split;
	size_t skip_a = 0, skip_b = 0, off, n;
	uint32_t x;
	uint8_t seed;
	int rc_a, rc_b = 0;

	if (len < 1)
		return 0;
	if (fz.ctx == NULL)
		setup();
	seed = data[0];
	x = 0x9E3779B9u ^ seed;
	data++;
	len--;
	memset(&whole, 0, sizeof(whole));
	memset(&split, 0, sizeof(split));
	whole.cap = split.cap = len;
	whole.handle = 1;
	/* The seed's low bit: a client without an allocation. */
	whole.chan_ok = split.chan_ok = (seed & 1) == 0;
	if ((whole.buf = malloc(len + 1)) == NULL ||
	    (split.buf = malloc(len + 1)) == NULL ||
	    (a = evbuffer_new()) == NULL || (b = evbuffer_new()) == NULL)
		abort();

	evbuffer_add(a, data, len);
	rc_a = tcp_drain(a, &skip_a, frame_cb, chan_ok_cb, &whole);

	for (off = 0; off < len && rc_b == 0; off += n) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = 1 + x % 64;
		if (n > len - off)
			n = len - off;
		evbuffer_add(b, data + off, n);
		rc_b = tcp_drain(b, &skip_b, frame_cb, chan_ok_cb, &split);
	}

	if (rc_a != rc_b || whole.nframes != split.nframes ||
	    whole.len != split.len || memcmp(whole.buf, split.buf,
	    whole.len) != 0)
		abort();
	if (rc_a == 0 && (skip_a != skip_b ||
	    evbuffer_get_length(a) != evbuffer_get_length(b)))
		abort();
	evbuffer_free(a);
	evbuffer_free(b);
	free(whole.buf);
	free(split.buf);
	return 0;
}
