/*
 * demux.c - telling STUN/TURN from HTTP on a shared port (see demux.h).
 *
 * Order of the first-bytes rules, and why.  A TLS record that opens a
 * connection is a handshake record (type 22 = 0x16, RFC 8446 §5.1) whose
 * version's major byte is 3 and whose length is 1..2^14, carrying a
 * ClientHello (handshake type 1, §4): six bytes tell, and they cannot be
 * STUN (whose cookie would put 0x12 where the handshake type is) nor
 * HTTP (0x16 is no tchar).  A 0x16 start that fails the rule is judged by
 * the STUN rule, which needs eight bytes.  A STUN message starts with
 * two zero bits (RFC 8489 §5), so its first byte is 0x00-0x3F, and carries
 * the magic cookie at offset 4: both are required.  ChannelData starts
 * 0x40-0x7F (RFC 8656 §12), which is also where the upper-case letters of
 * every HTTP method are: an HTTP method token (tchars, RFC 9110 §5.6.2)
 * followed by a space wins; a first byte in 0x40-0x7F that cannot start
 * or continue such a token is ChannelData, handed to the relay (which
 * closes it: a new connection has no channel).  Anything else is neither.
 * Each rule needs at most DEMUX_PEEK_MAX bytes, so a client cannot hold
 * the decision open by sending more.
 */
#include <string.h>

#include "common/demux.h"
#include "common/rdwr.h"

#define STUN_COOKIE	0x2112A442
#define TLS_HANDSHAKE	22		/* RFC 8446 §5.1: ContentType */
#define TLS_CLIENT_HELLO 1		/* RFC 8446 §4: HandshakeType */
#define TLS_RECORD_MAX	16384		/* RFC 8446 §5.1: 2^14 */
#define METHOD_MAX	(DEMUX_PEEK_MAX - 1)	/* token, then the space */

/* RFC 9110 §5.6.2: tchar. */
static int
is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* An HTTP request line's method and its space: HTTP, MORE or NONE. */
static enum demux_proto
http_method(const uint8_t *p, size_t n)
{
	struct rd r;
	size_t i;
	uint8_t c;

	rd_init(&r, p, n);
	for (i = 0; i <= METHOD_MAX; i++) {
		c = rd_u8(&r);
		if (r.err)
			return DEMUX_MORE;
		if (c == ' ')
			return i > 0 ? DEMUX_HTTP : DEMUX_NONE;
		if (!is_tchar(c))
			return DEMUX_NONE;
	}
	return DEMUX_NONE;		/* no method is this long */
}

/* A TLS record header and a ClientHello's type: TLS, MORE or NONE. */
static enum demux_proto
tls_hello(const uint8_t *p, size_t n)
{
	struct rd r;
	uint8_t type, major, minor, hs;
	uint16_t len;

	rd_init(&r, p, n);
	type = rd_u8(&r);
	major = rd_u8(&r);
	minor = rd_u8(&r);
	len = rd_u16(&r);
	hs = rd_u8(&r);
	if (r.err) {
		/* What is there already may rule TLS out. */
		if ((n >= 1 && p[0] != TLS_HANDSHAKE) || (n >= 2 &&
		    p[1] != 3) || (n >= 3 && p[2] > 4))
			return DEMUX_NONE;
		return DEMUX_MORE;
	}
	if (type != TLS_HANDSHAKE || major != 3 || minor > 4 || len == 0 ||
	    len > TLS_RECORD_MAX || hs != TLS_CLIENT_HELLO)
		return DEMUX_NONE;
	return DEMUX_TLS;
}

int
demux_first(const uint8_t *p, size_t n, enum demux_proto *out)
{
	struct rd r;
	enum demux_proto h;
	uint8_t b0;
	uint32_t cookie;

	*out = DEMUX_MORE;
	rd_init(&r, p, n);
	b0 = rd_u8(&r);
	if (r.err)
		return 0;
	if (b0 == TLS_HANDSHAKE) {
		if ((h = tls_hello(p, n)) != DEMUX_NONE) {
			*out = h;
			return 0;
		}
		/* not TLS: the STUN rule below */
	}
	if ((b0 & 0xC0) == 0) {
		/* RFC 8489 §5: type (2), length (2), then the cookie */
		(void)rd_u8(&r);
		(void)rd_u16(&r);
		cookie = rd_u32(&r);
		if (r.err)
			return 0;
		*out = cookie == STUN_COOKIE ? DEMUX_TURN : DEMUX_NONE;
		return 0;
	}
	if ((b0 & 0xC0) != 0x40) {
		*out = DEMUX_NONE;		/* 0x80-0xFF: neither */
		return 0;
	}
	h = http_method(p, n);
	if (h == DEMUX_HTTP || h == DEMUX_MORE) {
		*out = h;
		return 0;
	}
	*out = DEMUX_TURN;			/* ChannelData */
	return 0;
}

int
demux_alpn(const uint8_t *p, size_t len, enum demux_proto *out)
{
	static const struct {
		const char		*id;
		enum demux_proto	 proto;
	} ids[] = {
		{ "http/1.1", DEMUX_HTTP },
		{ "stun.turn", DEMUX_TURN },		/* RFC 7443 §4.1 */
		{ "stun.nat-discovery", DEMUX_TURN },	/* RFC 7443 §4.2 */
	};
	size_t i;

	*out = DEMUX_MORE;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (len == strlen(ids[i].id) && memcmp(p, ids[i].id, len) == 0) {
			*out = ids[i].proto;
			break;
		}
	return 0;
}

int
demux_alpn_select(const uint8_t *in, size_t inlen, const uint8_t **sel,
    uint8_t *sellen)
{
	struct rd r;
	const uint8_t *id;
	enum demux_proto proto;
	uint8_t len;

	*sel = NULL;
	*sellen = 0;
	/* The whole list is well formed (RFC 7301 §3.1: no empty id), or
	 * nothing in it is taken. */
	rd_init(&r, in, inlen);
	while (r.left > 0) {
		len = rd_u8(&r);
		if (len == 0 || rd_bytes(&r, &id, len) != 0)
			return -1;
	}
	/*
	 * The server's preference (RFC 7301 §3.2): a TURN id over
	 * http/1.1.  coturn's turnutils_uclient offers "http/1.1" first and
	 * the STUN ids after it; browsers never offer a STUN id, so a client
	 * that does is a TURN client.
	 */
	rd_init(&r, in, inlen);
	while (r.left > 0) {
		len = rd_u8(&r);
		if (rd_bytes(&r, &id, len) != 0)
			return -1;
		demux_alpn(id, len, &proto);
		if (proto == DEMUX_TURN || (proto == DEMUX_HTTP &&
		    *sel == NULL)) {
			*sel = id;
			*sellen = len;
			if (proto == DEMUX_TURN)
				break;
		}
	}
	return *sel != NULL ? 0 : -1;
}
