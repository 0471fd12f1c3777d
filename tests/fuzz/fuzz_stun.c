/*
 * fuzz_stun.c - libFuzzer target: the STUN codec and the TURN request
 * handling behind it.
 *
 * Every input is parsed (relay/stun_codec.h); when it parses, every
 * attribute is read with the value getters and both integrity checks run.
 * The input then goes to turn_handle_client() of a context on the fake
 * transport (tests/unit/fake_turn_io.h, which reads every byte it is
 * given), so the whole request path (Binding, the credential checks,
 * every method's validation) sees the bytes.  Nothing may crash, leak or
 * read past the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "relay/stun_codec.h"
#include "relay/turn.h"
#include "tests/unit/fake_turn_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct fake_io fio;

static struct turn_ctx *
context(void)
{
	static struct turn_ctx *ctx;
	struct config *cfg;
	struct turn_io io;
	char err[CFG_ERRLEN];

	if (ctx != NULL)
		return ctx;
	log_set_level(LOG_LEVEL_ERROR);
	if ((cfg = cfg_new()) == NULL ||
	    cfg_set(cfg, CFG_SRC_FILE, 1, "auth-secret",
	    "fuzz-secret-0123456789", err, sizeof(err)) != 0)
		abort();
	fake_io_init(&fio, &io, 0);
	if ((ctx = turn_new(cfg, &io, err, sizeof(err))) == NULL)
		abort();
	cfg_free(cfg);
	fio.ctx = ctx;
	turn_set_time(ctx, 1000, 1700000000);
	return ctx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const uint8_t key[16] = "fuzz-key-0123456";
	struct stun_msg m;
	struct turn_tuple t;
	struct maddr a;
	uint32_t v;
	size_t i;
	int code, af;

	if (stun_parse(&m, data, len) == STUN_OK) {
		for (i = 0; i < m.nattrs; i++) {
			(void)stun_get_u32(&m.attrs[i], &v);
			(void)stun_get_xaddr(&m, &m.attrs[i], &a);
			(void)stun_get_error(&m.attrs[i], &code);
			(void)stun_get_family(&m.attrs[i], &af);
			(void)stun_find_next(&m, &m.attrs[i]);
		}
		(void)stun_check_mi(&m, key, sizeof(key));
		(void)stun_check_mi256(&m, key, sizeof(key));
	}
	(void)stun_is_stun(data, len);

	memset(&t, 0, sizeof(t));
	addr_parse("192.0.2.1", &t.client);
	t.client.port = 40000;
	addr_parse("127.0.0.1", &t.server);
	t.server.port = 3478;
	t.proto = TURN_UDP;
	fio.nout = fio.npeer = 0;
	turn_handle_client(context(), &t, data, len);
	return 0;
}
