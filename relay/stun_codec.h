/*
 * stun_codec.h - the STUN message codec (RFC 8489) with TURN's attributes
 * (RFC 8656): parsing through struct rd, building through struct wr,
 * MESSAGE-INTEGRITY (HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 and FINGERPRINT.
 *
 * stun_parse() checks the framing (RFC 8489 §5, §6: top bits zero, magic
 * cookie, length a multiple of 4 and equal to what follows the header,
 * every attribute inside the message, FINGERPRINT last and correct) and
 * indexes the attributes; it never interprets values.  Values are read with
 * the stun_get_*() helpers, each through a bounds-checked reader.
 *
 * Invariants: attributes after MESSAGE-INTEGRITY other than
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are ignored (RFC 8489 §14.5);
 * attributes after MESSAGE-INTEGRITY-SHA256 other than FINGERPRINT too
 * (§14.6); only the first occurrence of an attribute counts, except where
 * a method allows several (XOR-PEER-ADDRESS in CreatePermission).
 */
#ifndef MEETOPIA_STUN_CODEC_H
#define MEETOPIA_STUN_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/rdwr.h"

#define STUN_HDR_LEN		20
#define STUN_MAGIC		0x2112A442U
#define STUN_TID_LEN		12
#define STUN_FP_XOR		0x5354554EU
#define STUN_MAX_ATTRS		48	/* more makes a request malformed */
#define STUN_MAX_UNKNOWN	8

/* Classes (the C1/C0 bits in place). */
#define STUN_REQUEST		0x0000
#define STUN_INDICATION		0x0010
#define STUN_SUCCESS		0x0100
#define STUN_ERROR		0x0110

/* Methods. */
#define STUN_BINDING		0x001
#define STUN_ALLOCATE		0x003
#define STUN_REFRESH		0x004
#define STUN_SEND		0x006
#define STUN_DATA		0x007
#define STUN_CREATE_PERMISSION	0x008
#define STUN_CHANNEL_BIND	0x009

/* Attributes. */
#define STUN_ATTR_MAPPED_ADDRESS	0x0001
#define STUN_ATTR_USERNAME		0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY	0x0008
#define STUN_ATTR_ERROR_CODE		0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES	0x000A
#define STUN_ATTR_CHANNEL_NUMBER	0x000C
#define STUN_ATTR_LIFETIME		0x000D
#define STUN_ATTR_XOR_PEER_ADDRESS	0x0012
#define STUN_ATTR_DATA			0x0013
#define STUN_ATTR_REALM			0x0014
#define STUN_ATTR_NONCE			0x0015
#define STUN_ATTR_XOR_RELAYED_ADDRESS	0x0016
#define STUN_ATTR_REQUESTED_ADDRESS_FAMILY 0x0017
#define STUN_ATTR_EVEN_PORT		0x0018
#define STUN_ATTR_REQUESTED_TRANSPORT	0x0019
#define STUN_ATTR_DONT_FRAGMENT		0x001A
#define STUN_ATTR_MESSAGE_INTEGRITY_SHA256 0x001C
#define STUN_ATTR_PASSWORD_ALGORITHM	0x001D
#define STUN_ATTR_USERHASH		0x001E
#define STUN_ATTR_XOR_MAPPED_ADDRESS	0x0020
#define STUN_ATTR_RESERVATION_TOKEN	0x0022
#define STUN_ATTR_PRIORITY		0x0024
#define STUN_ATTR_USE_CANDIDATE		0x0025
#define STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY 0x8000
#define STUN_ATTR_ADDRESS_ERROR_CODE	0x8001
#define STUN_ATTR_PASSWORD_ALGORITHMS	0x8002
#define STUN_ATTR_ICMP			0x8004
#define STUN_ATTR_SOFTWARE		0x8022
#define STUN_ATTR_ALTERNATE_SERVER	0x8023
#define STUN_ATTR_FINGERPRINT		0x8028
#define STUN_ATTR_ICE_CONTROLLED	0x8029
#define STUN_ATTR_ICE_CONTROLLING	0x802A

/* Address families of the address attributes (RFC 8489 §14.1). */
#define STUN_FAMILY_IPV4	0x01
#define STUN_FAMILY_IPV6	0x02

/* Limits of RFC 8489 §14.3, §14.8, §14.9. */
#define STUN_USERNAME_MAX	513
#define STUN_REALM_MAX		763
#define STUN_NONCE_MAX		763

/* Integrity of a message being built. */
enum stun_mi {
	STUN_MI_NONE = 0,
	STUN_MI_SHA1,
	STUN_MI_SHA256
};

/* stun_parse() results. */
#define STUN_OK		0
#define STUN_ENOTSTUN	(-1)	/* framing broken: drop silently */
#define STUN_EBADFP	(-2)	/* FINGERPRINT present but wrong: drop */

struct stun_attr {
	uint16_t	 type;
	uint16_t	 len;		/* value length, without padding */
	size_t		 off;		/* offset of the attribute header */
	const uint8_t	*val;
};

struct stun_msg {
	const uint8_t	*buf;		/* the whole message */
	size_t		 len;		/* STUN_HDR_LEN + header length */
	uint16_t	 type;
	uint16_t	 method;
	uint16_t	 cls;
	uint8_t		 tid[STUN_TID_LEN];
	size_t		 nattrs;
	struct stun_attr attrs[STUN_MAX_ATTRS];
	int		 too_many;	/* more than STUN_MAX_ATTRS: 400 */
	struct stun_attr mi;		/* type 0 when absent */
	struct stun_attr mi256;
	struct stun_attr fp;
	size_t		 nunknown;	/* comprehension-required, unknown */
	uint16_t	 unknown[STUN_MAX_UNKNOWN];
};

/* Message type from method and class, and back (RFC 8489 §5). */
uint16_t	 stun_type(uint16_t method, uint16_t cls);
#ifdef MEETOPIA_UNITTEST
/* stun_codec.c's own (UNITTEST), as are stun_crc32() and stun_hmac2(). */
uint16_t	 stun_type_method(uint16_t type);
uint16_t	 stun_type_class(uint16_t type);
#endif

/*
 * Whether the bytes start like a STUN message (RFC 7983: first byte 0-3)
 * and carry the magic cookie; cheap demultiplexing before a parse.
 */
int		 stun_is_stun(const uint8_t *, size_t);

/*
 * Parses a whole message of exactly len bytes (a datagram, or one frame cut
 * out of a stream).  STUN_OK, STUN_ENOTSTUN or STUN_EBADFP.  m keeps
 * pointers into buf.
 */
int		 stun_parse(struct stun_msg *m, const uint8_t *buf, size_t len);

/* The first occurrence of an attribute that counts (see above), or NULL. */
const struct stun_attr *stun_find(const struct stun_msg *, uint16_t type);
/* The next occurrence after prev, or NULL. */
const struct stun_attr *stun_find_next(const struct stun_msg *,
		    const struct stun_attr *prev);

/* Value readers: 0, or -1 when the value is malformed. */
int		 stun_get_u32(const struct stun_attr *, uint32_t *);
int		 stun_get_xaddr(const struct stun_msg *, const struct stun_attr *,
		    struct maddr *);
int		 stun_get_error(const struct stun_attr *, int *code);
/* REQUESTED-ADDRESS-FAMILY / ADDITIONAL-ADDRESS-FAMILY: AF_INET(6). */
int		 stun_get_family(const struct stun_attr *, int *af);

/*
 * Integrity checks with a key (RFC 8489 §14.5, §14.6).  0 when the MAC
 * matches (compared in constant time); STUN_MAC_MISMATCH when it does not
 * (or its length is not one the RFC allows), STUN_MAC_ABSENT when the
 * message carries no such attribute.
 */
#define STUN_MAC_ABSENT		(-1)
#define STUN_MAC_MISMATCH	(-2)
int		 stun_check_mi(const struct stun_msg *, const uint8_t *key,
		    size_t keylen);
int		 stun_check_mi256(const struct stun_msg *, const uint8_t *key,
		    size_t keylen);

#ifdef MEETOPIA_UNITTEST
/* CRC-32 (ISO-HDLC) as FINGERPRINT uses it, before the XOR. */
uint32_t	 stun_crc32(const uint8_t *, size_t);
#endif

/*
 * Building.  stun_begin() writes the header (length 0); each put appends an
 * attribute padded with zeros; stun_end() adds MESSAGE-INTEGRITY or
 * MESSAGE-INTEGRITY-SHA256 when asked and FINGERPRINT when asked, fixing
 * the header length at each step.  Overflow is sticky in w->err;
 * stun_end() returns -1 then.
 */
void		 stun_begin(struct wr *, uint16_t type, const uint8_t *tid);
void		 stun_put(struct wr *, uint16_t type, const void *, size_t);
void		 stun_put_u32(struct wr *, uint16_t type, uint32_t);
void		 stun_put_xaddr(struct wr *, uint16_t type, const struct maddr *,
		    const uint8_t *tid);
/* An address as MAPPED-ADDRESS is (ALTERNATE-SERVER, RFC 8489 §14.15). */
void		 stun_put_addr(struct wr *, uint16_t type, const struct maddr *);
void		 stun_put_error(struct wr *, int code, const char *reason);
void		 stun_put_unknown(struct wr *, const uint16_t *, size_t);
int		 stun_end(struct wr *, enum stun_mi, const uint8_t *key,
		    size_t keylen, int fingerprint);

/* The reason phrase of an error code ("Bad Request"). */
const char	*stun_reason(int code);

#ifdef MEETOPIA_UNITTEST
/*
 * HMAC over two pieces (the integrity checks use it over a patched header
 * and the rest); md is "SHA1" or "SHA256".  0 with the MAC in out (20 or
 * 32 bytes), or -1.
 */
int		 stun_hmac2(const char *md, const uint8_t *key, size_t keylen,
		    const uint8_t *p1, size_t l1, const uint8_t *p2, size_t l2,
		    uint8_t *out);
#endif

#endif
