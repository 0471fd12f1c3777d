/*
 * fuzz_ws.c - libFuzzer target: WebSocket frame handling
 * (signaling/ws.c on wslay's frame layer).  The input is fed in chunks
 * whose sizes come from its first bytes, so that frames split at every
 * place are tried; messages handed up never exceed WS_MSG_MAX and the
 * connection ends only once.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "signaling/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t outbytes;

static void
text_cb(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)p;
	if (n > WS_MSG_MAX)
		abort();
}

static void
error_cb(void *arg, enum ws_err e)
{
	(void)arg;
	(void)e;
}

static int
out_cb(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)p;
	outbytes += n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const struct ws_cb cb = { text_cb, error_cb, out_cb };
	struct ws *ws;
	size_t off = 0, step;
	uint8_t split;

	if (len < 1)
		return 0;
	split = data[0];
	data++;
	len--;
	if ((ws = ws_new(&cb, NULL)) == NULL)
		return 0;
	while (off < len) {
		step = split == 0 ? len - off : (size_t)(split % 61) + 1;
		if (step > len - off)
			step = len - off;
		if (ws_feed(ws, data + off, step) != 0)
			break;
		off += step;
		split = (uint8_t)(split * 33 + 7);
	}
	ws_send_text(ws, "x", 1);
	ws_close(ws, WS_CLOSE_NORMAL, NULL);
	ws_free(ws);
	return 0;
}
