/*
 * base64.c - the one base64 codec, RFC 4648 §4 and §5 (see base64.h).
 *
 * The decoder reads through struct rd; bits are accumulated in a word that
 * keeps only those not yet written, so the trailing-bits check of §3.5 is
 * one comparison at the end.
 */
#include "config.h"

#include "common/base64.h"
#include "common/rdwr.h"

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "abcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "abcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encodes bytes into base64 text of the chosen alphabet. */
int
b64_encode(const void *in_, size_t len, int flags, char *out, size_t cap,
    size_t *outlen)
{
	const uint8_t *in = in_;
	const char *alpha = (flags & B64_URL) ? b64_url : b64_std;
	int pad = (flags & B64_PAD) != 0;
	size_t i, o = 0;
	uint32_t v;

	if (outlen != NULL)
		*outlen = 0;
	if (len > (SIZE_MAX - 3) / 4 || B64_LEN(len, flags) + 1 > cap)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

/* The value of one character of the alphabet, or -1. */
static int
b64_val(uint8_t c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Decodes canonical unpadded base64 text of the chosen alphabet. */
int
b64_decode(const char *in, size_t len, int flags, uint8_t *out, size_t cap,
    size_t *outlen)
{
	struct rd r;
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0, v, url = (flags & B64_URL) != 0;

	if (outlen != NULL)
		*outlen = 0;
	if (len % 4 == 1)	/* a lone sextet is not a byte */
		return -1;
	rd_init(&r, in, len);
	while (r.left > 0) {
		if ((v = b64_val(rd_u8(&r), url)) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)		/* RFC 4648 §3.5: non-zero trailing bits */
		return -1;
	if (outlen != NULL)
		*outlen = o;
	return 0;
}
