/*
 * fuzz_json.c - libFuzzer target: the client message decoder
 * (signaling/msg.c) and, for chat messages, the sanitiser
 * (signaling/chat.c): whatever is accepted leaves no markup.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signaling/chat.h"
#include "signaling/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct msg m;
	const char *why;
	char *out;

	if (msg_decode(data, len, &m, &why) != 0) {
		if (why == NULL || m.root != NULL)
			abort();
		return 0;
	}
	if (m.type == MSG_CHAT && chat_sanitize((const uint8_t *)m.text,
	    m.text_len, 500, &out) == CHAT_OK) {
		if (strpbrk(out, "<>\"'") != NULL)
			abort();
		free(out);
	}
	msg_clear(&m);
	return 0;
}
