/*
 * demux.c - telling STUN/TURN from HTTP on a shared port (see demux.h).
 *
 * Order of the first-bytes rules, and why.  A STUN message starts with
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
