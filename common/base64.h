/*
 * base64.h - the one base64 codec (RFC 4648): the standard alphabet (§4)
 * and base64url (§5), padded or not.
 *
 * Users: TURN passwords and Sec-WebSocket-Accept (standard, padded), JWTs
 * and pairing ids (base64url, unpadded), argon2id PHC strings of admin
 * tokens (standard, unpadded).  The decoder takes unpadded input only and
 * is strict: a character outside the alphabet, a lone trailing character or
 * trailing bits that are not zero are refused (RFC 4648 §3.5), so each byte
 * string has exactly one accepted encoding.
 */
#ifndef MEETOPIA_BASE64_H
#define MEETOPIA_BASE64_H

#include <stddef.h>
#include <stdint.h>

#define B64_URL		0x1	/* base64url alphabet (RFC 4648 §5) */
#define B64_PAD		0x2	/* encoder: pad with '=' to a multiple of 4 */

/* Characters of the encoding of len bytes, without the NUL. */
#define B64_LEN(len, flags)						\
	(((flags) & B64_PAD) ? ((len) + 2) / 3 * 4 : ((len) * 4 + 2) / 3)

/*
 * Encodes in[0..len) into out (cap bytes with the NUL).  0, with the length
 * without the NUL in *outlen (may be NULL); -1 when out is too small.
 */
int	b64_encode(const void *in, size_t len, int flags, char *out,
	    size_t cap, size_t *outlen);
/*
 * Decodes unpadded in[0..len) into out (at most cap bytes).  0, with the
 * length in *outlen (may be NULL); -1 when it is not canonical base64 of
 * the alphabet that flags names, or longer than cap.
 */
int	b64_decode(const char *in, size_t len, int flags, uint8_t *out,
	    size_t cap, size_t *outlen);

#endif
