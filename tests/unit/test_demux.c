/* test_demux.c - a shared port tells STUN/TURN from HTTP by ALPN or by its
 * first bytes (common/demux.c); neither is refused. */
#include "config.h"

#include <string.h>

#include "common/demux.h"
#include "tests/tap.h"

static enum demux_proto
first(const char *p, size_t n)
{
	enum demux_proto out;

	if (demux_first((const uint8_t *)p, n, &out) != 0)
		return (enum demux_proto)-1;
	return out;
}

#define FIRST(s)	first((s), sizeof(s) - 1)

static enum demux_proto
alpn(const char *s)
{
	enum demux_proto out;

	demux_alpn((const uint8_t *)s, strlen(s), &out);
	return out;
}

static const char *
select_of(const char *list, size_t len, uint8_t *sellen)
{
	const uint8_t *sel;

	if (demux_alpn_select((const uint8_t *)list, len, &sel, sellen) != 0)
		return NULL;
	return (const char *)sel;
}

int
main(void)
{
	/* A Binding request header: type 0x0001, length 0, cookie. */
	static const char binding[] = "\x00\x01\x00\x00\x21\x12\xA4\x42"
	    "0123456789ab";
	static const char allocate[] = "\x00\x03\x00\x08\x21\x12\xA4\x42";
	static const char nocookie[] = "\x00\x01\x00\x00\xde\xad\xbe\xef";
	static const char chan[] = "\x40\x00\x00\x04" "abcd";
	static const char chan7f[] = "\x7f\xff\x00\x00";
	const char *s;
	uint8_t n;
	int i;

	is_int(FIRST(""), DEMUX_MORE, "nothing yet: more");
	is_int(first(binding, sizeof(binding) - 1), DEMUX_TURN,
	    "STUN Binding header: TURN");
	is_int(first(allocate, 8), DEMUX_TURN, "STUN header alone: TURN");
	for (i = 1; i < 8; i++)
		if (first(binding, (size_t)i) != DEMUX_MORE)
			break;
	is_int(i, 8, "a STUN header cut short: more, up to the cookie");
	is_int(first(nocookie, 8), DEMUX_NONE, "top bits 0, no cookie: "
	    "neither");
	is_int(FIRST("\x16\x03\x01\x02\x00\x01\x00\x01"), DEMUX_TLS,
	    "a TLS ClientHello: TLS (the caller takes it or not)");
	is_int(FIRST("\x16\x03\x03\x00\x05\x01"), DEMUX_TLS,
	    "TLS 1.2 record version, six bytes: TLS");
	for (i = 1; i < 6; i++)
		if (first("\x16\x03\x01\x02\x00\x01", (size_t)i) !=
		    DEMUX_MORE)
			break;
	is_int(i, 6, "a ClientHello's record header cut short: more");
	is_int(FIRST("\x16\x03\x01\x02\x00\x02\x00\x01"), DEMUX_NONE,
	    "a handshake record that is no ClientHello: neither");
	is_int(FIRST("\x16\x03\x01\x00\x00\x01\x00\x01"), DEMUX_NONE,
	    "an empty TLS record: neither");
	is_int(FIRST("\x16\x03\x01\x40\x01\x01\x00\x01"), DEMUX_NONE,
	    "a record longer than 2^14: neither");
	is_int(FIRST("\x16\x03\x05\x02\x00\x01\x00\x01"), DEMUX_NONE,
	    "version 3.5: neither");
	is_int(FIRST("\x16\x02\x01\x02\x00\x01\x00\x01"), DEMUX_NONE,
	    "version 2.x: neither");
	is_int(FIRST("\x16\x03\x01\x02\x00\x01\x00\x01"
	    "\x21\x12\xA4\x42"), DEMUX_TLS, "TLS decided by six bytes stays "
	    "TLS");
	is_int(FIRST("\x16\x01\x00\x00\x21\x12\xA4\x42"), DEMUX_TURN,
	    "a STUN type 0x1601 with the cookie: TURN, not TLS");
	is_int(FIRST("\x17\x03\x03\x00\x10\x01\x00\x00"), DEMUX_NONE,
	    "TLS application data first: neither");
	is_int(first(chan, 8), DEMUX_TURN, "ChannelData 0x4000: TURN");
	is_int(first(chan7f, 4), DEMUX_TURN, "ChannelData 0x7FFF: TURN");
	is_int(FIRST("\x80\x00"), DEMUX_NONE, "0x80: neither");
	is_int(FIRST("\xff"), DEMUX_NONE, "0xFF: neither");

	is_int(FIRST("GET / HTTP/1.1\r\n"), DEMUX_HTTP, "GET: HTTP");
	is_int(FIRST("GET "), DEMUX_HTTP, "GET and a space: HTTP");
	is_int(FIRST("GET"), DEMUX_MORE, "GET without its space: more");
	is_int(FIRST("G"), DEMUX_MORE, "G: more");
	is_int(FIRST("POST /api HTTP/1.1"), DEMUX_HTTP, "POST: HTTP");
	is_int(FIRST("OPTIONS * HTTP/1.1"), DEMUX_HTTP, "OPTIONS: HTTP");
	is_int(FIRST("HEAD / HTTP/1.0"), DEMUX_HTTP, "HEAD: HTTP");
	is_int(FIRST("PRI * HTTP/2.0"), DEMUX_HTTP, "PRI (h2 preface) goes to "
	    "HTTP, which refuses it");
	is_int(FIRST("G\x00T "), DEMUX_TURN, "a letter then NUL: ChannelData");
	is_int(FIRST("GET\t/"), DEMUX_TURN, "no space after the token: "
	    "ChannelData (which the relay closes)");
	is_int(FIRST(" GET / HTTP/1.1"), DEMUX_NONE, "a space first: neither");
	is_int(FIRST("ABCDEFGHIJKLMNOPQRSTUVWX"), DEMUX_TURN,
	    "a token longer than any method: no longer HTTP");
	is_int(FIRST("ABCDEFGHIJKLMNOPQRSTUVW"), DEMUX_MORE,
	    "a long token still short of the cap: more");
	is_int(first("ABCDEFGHIJKLMNOPQRSTUVWXYZ", DEMUX_PEEK_MAX) == DEMUX_MORE,
	    0, "DEMUX_PEEK_MAX bytes always decide");

	is_int(alpn("http/1.1"), DEMUX_HTTP, "ALPN http/1.1: HTTP");
	is_int(alpn("stun.turn"), DEMUX_TURN, "ALPN stun.turn: TURN");
	is_int(alpn("stun.nat-discovery"), DEMUX_TURN,
	    "ALPN stun.nat-discovery: TURN");
	is_int(alpn("h2"), DEMUX_MORE, "ALPN h2: the first bytes decide");
	is_int(alpn("http/1.10"), DEMUX_MORE, "a longer id is not ours");
	is_int(alpn(""), DEMUX_MORE, "no ALPN: the first bytes decide");

	s = select_of("\x02h2\x08http/1.1", 12, &n);
	ok(s != NULL && n == 8 && memcmp(s, "http/1.1", 8) == 0,
	    "h2,http/1.1: http/1.1");
	s = select_of("\x09stun.turn\x08http/1.1", 19, &n);
	ok(s != NULL && n == 9 && memcmp(s, "stun.turn", 9) == 0,
	    "stun.turn,http/1.1: stun.turn");
	/* what coturn's turnutils_uclient offers */
	s = select_of("\x08http/1.1\x09stun.turn\x12stun.nat-discovery", 38,
	    &n);
	ok(s != NULL && n == 9 && memcmp(s, "stun.turn", 9) == 0,
	    "http/1.1,stun.turn,stun.nat-discovery: stun.turn (a TURN "
	    "client)");
	ok(select_of("\x02h2", 3, &n) == NULL, "h2 alone: no ALPN");
	ok(select_of("\x09stun.turn\x08http/1.", 18, &n) == NULL,
	    "a list cut short is refused whole");
	ok(select_of("\x00\x09stun.turn", 11, &n) == NULL,
	    "an empty id is refused");
	ok(select_of("", 0, &n) == NULL, "an empty list: no ALPN");
	return done_testing();
}
