/*
 * fuzz_demux.c - libFuzzer target: the shared port's demultiplexer
 * (common/demux.c).  Any bytes get a decision; a decision taken on a
 * prefix holds for every longer input (more bytes never change the
 * protocol, so the demux never needs to wait once it has answered), and
 * DEMUX_PEEK_MAX bytes always decide.  The same bytes as a ClientHello's
 * ALPN list: a choice is one of ours and lies inside the list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/demux.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	enum demux_proto full, part, a;
	const uint8_t *sel;
	uint8_t sellen;
	size_t i;

	if (demux_first(data, len, &full) != 0)
		abort();
	if (len >= DEMUX_PEEK_MAX && full == DEMUX_MORE)
		abort();
	for (i = 0; i < len; i++) {
		demux_first(data, i, &part);
		if (part != DEMUX_MORE && part != full)
			abort();
	}
	if (demux_alpn_select(data, len, &sel, &sellen) == 0) {
		if (sel < data || sel + sellen > data + len || sellen == 0)
			abort();
		demux_alpn(sel, sellen, &a);
		if (a == DEMUX_MORE)
			abort();
	}
	return 0;
}
