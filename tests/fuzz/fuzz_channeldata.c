/*
 * fuzz_channeldata.c - libFuzzer target: the TURN data path.
 *
 * A context holds two allocations made through the real request path
 * (401, then authenticated Allocate, ChannelBind 0x4000 and 0x7FFF to a
 * peer, permissions between the two allocations).  Each input is then fed
 * three ways: as a message from the first client (ChannelData, Send
 * indications, anything), as a datagram from the peer to its relayed
 * socket, and as a datagram from a peer without a permission.  Nothing may
 * crash, leak or read past the end; forwarded bytes are checked to lie
 * inside the buffers they came from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/cred.h"
#include "auth/ltkey.h"
#include "common/config.h"
#include "relay/stun_codec.h"
#include "relay/turn.h"
#include "tests/unit/fake_turn_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define SECRET	"fuzz-secret-0123456789"

struct fz {
	struct turn_ctx		*ctx;
	struct fake_io		 io;	/* socks[0], [1]: c1's, c2's relayed */
	struct turn_tuple	 c1, c2;
};

static struct fz fz;

/* One authenticated request (after a 401 for the nonce). */
static void
request(const struct turn_tuple *t, const char *user, const char *pass,
    uint16_t method, const struct maddr *peer, uint16_t chan)
{
	static const uint8_t tid0[12] = "fuzz-chan-tx";
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
		turn_handle_client(fz.ctx, t, buf, w.len);
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
	char u2[CRED_USER_MAX], p2[CRED_PASS_MAX];
	struct maddr peer;

	log_set_level(LOG_LEVEL_ERROR);
	if ((cfg = cfg_new()) == NULL || cfg_set(cfg, CFG_SRC_FILE, 1,
	    "auth-secret", SECRET, err, sizeof(err)) != 0 ||
	    cfg_set(cfg, CFG_SRC_FILE, 2, "max-bps", "100000000", err,
	    sizeof(err)) != 0)
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
	fz.c2 = fz.c1;
	fz.c2.client.port = 40001;
	cred_make(SECRET, "s-one", 1800000000, u1, sizeof(u1), p1, sizeof(p1));
	cred_make(SECRET, "s-two", 1800000000, u2, sizeof(u2), p2, sizeof(p2));
	request(&fz.c1, u1, p1, STUN_ALLOCATE, NULL, 0);
	request(&fz.c2, u2, p2, STUN_ALLOCATE, NULL, 0);
	if (fz.io.nsocks != 2)
		abort();
	addr_parse("198.51.100.1", &peer);
	peer.port = 9;
	request(&fz.c1, u1, p1, STUN_CHANNEL_BIND, &peer, 0x4000);
	request(&fz.c1, u1, p1, STUN_CHANNEL_BIND, &fz.io.socks[1].addr, 0x7FFF);
	request(&fz.c2, u2, p2, STUN_CREATE_PERMISSION, &fz.io.socks[0].addr, 0);
	if (turn_alloc_count(fz.ctx) != 2)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct maddr peer, stranger;

	if (fz.ctx == NULL)
		setup();
	addr_parse("198.51.100.1", &peer);
	peer.port = 9;
	addr_parse("198.51.100.2", &stranger);
	stranger.port = 9;
	turn_handle_client(fz.ctx, &fz.c1, data, len);
	turn_handle_peer(fz.ctx, fz.io.socks[0].tr, &peer, data, len);
	turn_handle_peer(fz.ctx, fz.io.socks[0].tr, &stranger, data, len);
	return 0;
}
