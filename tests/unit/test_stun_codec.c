/*
 * test_stun_codec.c - the STUN codec: RFC 5769 vectors byte for byte (S1,
 * F1-F4, A1), RFC 8489 B.1 (corrected by erratum 6268,
 * MESSAGE-INTEGRITY-SHA256), the TURN REST vector (R1), round trips, and
 * malformed input (S1, S3, F1, F3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/cred.h"
#include "auth/ltkey.h"
#include "relay/stun_codec.h"
#include "tests/tap.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s[0] != '\0' && s[1] != '\0' && n < cap) {
		out[n++] = (uint8_t)(hexval(s[0]) << 4 | hexval(s[1]));
		s += 2;
	}
	return n;
}

/* RFC 5769 §2.1-2.4 and RFC 8489 B.1 (corrected). */
static const char v21[] =
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74"
    "002400046e0001ff80290008932ff9b151263b36000600096576746a3a6836765920202000080014"
    "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf";
static const char v22[] =
    "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
    "002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d780280004c07d4c96";
static const char v23[] =
    "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
    "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d900080014a382954e4be67bf11784c97c8292c275bfe3ed41"
    "80280004c8fb0b4c";
static const char v24[] =
    "000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383e382afe382b90000"
    "0015001c662f2f3439396b39353464364f4c33346f4c394653547679363473410014000b6578616d706c652e6f726700"
    "00080014f67024656dd64a3e02b8e0712e85c9a28ca89666";
static const char vb1[] =
    "000100902112a44278ad3433c6ad72c029da412e"
    "001e00204a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41407f1704"
    "001500296f624d61744a6f733241414143662f2f3439396b39353464364f4c33346f4c39465354767936347341000000"
    "0014000b6578616d706c652e6f726700"
    "001d000400020000"
    "001c0020b5c7bf005b6c52a21c51c5e892f81924136296cb927c43149309278cc6518e65";

static const char short_pw[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const char lt_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83"
    "\x83\xe3\x82\xaf\xe3\x82\xb9";

static int
attr_is(const struct stun_msg *m, uint16_t type, const char *want)
{
	const struct stun_attr *a = stun_find(m, type);

	return a != NULL && a->len == strlen(want) &&
	    memcmp(a->val, want, a->len) == 0;
}

static void
test_vectors(void)
{
	uint8_t b[256], out[256], key[LTKEY_SHA256_LEN];
	struct stun_msg m;
	struct maddr a;
	struct wr w;
	char ip[64];
	size_t n;
	uint32_t fp;

	/* §2.1: the request. */
	n = unhex(v21, b, sizeof(b));
	is_int(n, 108, "5769 2.1: 108 bytes");
	is_int(stun_parse(&m, b, n), STUN_OK, "5769 2.1: parses, "
	    "FINGERPRINT checks (F1)");
	is_int(m.method, STUN_BINDING, "5769 2.1: Binding");
	is_int(m.cls, STUN_REQUEST, "5769 2.1: request");
	ok(attr_is(&m, STUN_ATTR_SOFTWARE, "STUN test client"),
	    "5769 2.1: SOFTWARE");
	ok(attr_is(&m, STUN_ATTR_USERNAME, "evtj:h6vY"), "5769 2.1: USERNAME "
	    "(padding not in the value)");
	is_int(m.nunknown, 0, "5769 2.1: PRIORITY and ICE-CONTROLLED known");
	is_int(stun_check_mi(&m, (const uint8_t *)short_pw, strlen(short_pw)),
	    0, "5769 2.1: MESSAGE-INTEGRITY checks (F3)");
	is_int(stun_check_mi(&m, (const uint8_t *)"wrong", 5),
	    STUN_MAC_MISMATCH, "5769 2.1: a wrong key fails");
	is_int(stun_check_mi256(&m, (const uint8_t *)short_pw,
	    strlen(short_pw)), STUN_MAC_ABSENT, "5769 2.1: no MI-SHA256");
	b[27] ^= 1;
	is_int(stun_parse(&m, b, n), STUN_EBADFP, "5769 2.1: byte 27 flipped: "
	    "FINGERPRINT fails");
	b[27] ^= 1;
	b[32] ^= 1;
	is_int(stun_parse(&m, b, n), STUN_EBADFP, "5769 2.1: byte 32 flipped: "
	    "FINGERPRINT fails");
	/* Fix the fingerprint: now only the integrity is wrong. */
	fp = stun_crc32(b, n - 8) ^ STUN_FP_XOR;
	b[n - 4] = fp >> 24;
	b[n - 3] = (fp >> 16) & 0xff;
	b[n - 2] = (fp >> 8) & 0xff;
	b[n - 1] = fp & 0xff;
	is_int(stun_parse(&m, b, n), STUN_OK, "5769 2.1: fingerprint fixed");
	is_int(stun_check_mi(&m, (const uint8_t *)short_pw, strlen(short_pw)),
	    STUN_MAC_MISMATCH,
	    "5769 2.1: byte 32 flipped: MESSAGE-INTEGRITY fails");

	/* §2.1 rebuilt byte for byte (the vector pads with spaces). */
	n = unhex(v21, b, sizeof(b));
	wr_init(&w, out, sizeof(out));
	stun_begin(&w, stun_type(STUN_BINDING, STUN_REQUEST), b + 8);
	stun_put(&w, STUN_ATTR_SOFTWARE, "STUN test client", 16);
	stun_put_u32(&w, STUN_ATTR_PRIORITY, 0x6e0001ff);
	stun_put(&w, STUN_ATTR_ICE_CONTROLLED, "\x93\x2f\xf9\xb1\x51\x26\x3b\x36",
	    8);
	stun_put(&w, STUN_ATTR_USERNAME, "evtj:h6vY", 9);
	memset(out + w.len - 3, 0x20, 3);
	ok(stun_end(&w, STUN_MI_SHA1, (const uint8_t *)short_pw,
	    strlen(short_pw), 1) == 0 && w.len == n &&
	    memcmp(out, b, n) == 0, "5769 2.1: built byte for byte (MI, FP)");

	/* §2.2: IPv4 response. */
	n = unhex(v22, b, sizeof(b));
	is_int(n, 80, "5769 2.2: 80 bytes");
	is_int(stun_parse(&m, b, n), STUN_OK, "5769 2.2: parses");
	is_int(m.cls, STUN_SUCCESS, "5769 2.2: success response");
	ok(stun_get_xaddr(&m, stun_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS),
	    &a) == 0 && a.family == AF_INET && a.port == 32853 &&
	    strcmp(addr_ntop(&a, ip, sizeof(ip)), "192.0.2.1") == 0,
	    "5769 2.2: XOR-MAPPED-ADDRESS 192.0.2.1:32853");
	is_int(stun_check_mi(&m, (const uint8_t *)short_pw, strlen(short_pw)),
	    0, "5769 2.2: MESSAGE-INTEGRITY checks");
	wr_init(&w, out, sizeof(out));
	stun_begin(&w, stun_type(STUN_BINDING, STUN_SUCCESS), b + 8);
	stun_put(&w, STUN_ATTR_SOFTWARE, "test vector", 11);
	out[w.len - 1] = 0x20;
	stun_put_xaddr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &a, b + 8);
	ok(stun_end(&w, STUN_MI_SHA1, (const uint8_t *)short_pw,
	    strlen(short_pw), 1) == 0 && w.len == n &&
	    memcmp(out, b, n) == 0, "5769 2.2: built byte for byte");

	/* §2.3: IPv6 response. */
	n = unhex(v23, b, sizeof(b));
	is_int(n, 92, "5769 2.3: 92 bytes");
	is_int(stun_parse(&m, b, n), STUN_OK, "5769 2.3: parses");
	ok(stun_get_xaddr(&m, stun_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS),
	    &a) == 0 && a.family == AF_INET6 && a.port == 32853 &&
	    strcmp(addr_ntop(&a, ip, sizeof(ip)),
	    "2001:db8:1234:5678:11:2233:4455:6677") == 0,
	    "5769 2.3: XOR-MAPPED-ADDRESS (IPv6: XOR with the transaction ID)");
	is_int(stun_check_mi(&m, (const uint8_t *)short_pw, strlen(short_pw)),
	    0, "5769 2.3: MESSAGE-INTEGRITY checks");
	wr_init(&w, out, sizeof(out));
	stun_begin(&w, stun_type(STUN_BINDING, STUN_SUCCESS), b + 8);
	stun_put(&w, STUN_ATTR_SOFTWARE, "test vector", 11);
	out[w.len - 1] = 0x20;
	stun_put_xaddr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &a, b + 8);
	ok(stun_end(&w, STUN_MI_SHA1, (const uint8_t *)short_pw,
	    strlen(short_pw), 1) == 0 && w.len == n &&
	    memcmp(out, b, n) == 0, "5769 2.3: built byte for byte");

	/* §2.4: long-term credentials (A1). */
	n = unhex(v24, b, sizeof(b));
	is_int(n, 116, "5769 2.4: 116 bytes");
	is_int(stun_parse(&m, b, n), STUN_OK, "5769 2.4: parses (no FP)");
	ok(m.fp.type == 0, "5769 2.4: no FINGERPRINT");
	ok(ltkey_make(lt_user, strlen(lt_user), "example.org", 11,
	    "TheMatrIX", 9, key) == 0, "A1: key MD5(user:realm:password)");
	is_int(stun_check_mi(&m, key, LTKEY_LEN), 0,
	    "5769 2.4: MESSAGE-INTEGRITY with the long-term key");
	ok(attr_is(&m, STUN_ATTR_NONCE, "f//499k954d6OL34oL9FSTvy64sA") &&
	    attr_is(&m, STUN_ATTR_REALM, "example.org") &&
	    attr_is(&m, STUN_ATTR_USERNAME, lt_user), "5769 2.4: attributes");
	wr_init(&w, out, sizeof(out));
	stun_begin(&w, stun_type(STUN_BINDING, STUN_REQUEST), b + 8);
	stun_put(&w, STUN_ATTR_USERNAME, lt_user, strlen(lt_user));
	stun_put(&w, STUN_ATTR_NONCE, "f//499k954d6OL34oL9FSTvy64sA", 28);
	stun_put(&w, STUN_ATTR_REALM, "example.org", 11);
	ok(stun_end(&w, STUN_MI_SHA1, key, LTKEY_LEN, 0) == 0 && w.len == n &&
	    memcmp(out, b, n) == 0, "5769 2.4: built byte for byte");
	b[40] ^= 1;
	is_int(stun_parse(&m, b, n), STUN_OK, "5769 2.4: flipped, parses");
	is_int(stun_check_mi(&m, key, LTKEY_LEN), STUN_MAC_MISMATCH,
	    "5769 2.4: flipped: MESSAGE-INTEGRITY fails");

	/* RFC 8489 B.1 (corrected): MESSAGE-INTEGRITY-SHA256 (F4). */
	n = unhex(vb1, b, sizeof(b));
	is_int(n, 164, "8489 B.1: 164 bytes");
	is_int(stun_parse(&m, b, n), STUN_OK, "8489 B.1: parses");
	ok(ltkey_make_sha256(lt_user, strlen(lt_user), "example.org", 11,
	    "TheMatrIX", 9, key) == 0, "A1: SHA-256 key");
	is_int(stun_check_mi256(&m, key, LTKEY_SHA256_LEN), 0,
	    "8489 B.1: MESSAGE-INTEGRITY-SHA256 checks");
	is_int(stun_check_mi(&m, key, LTKEY_SHA256_LEN), STUN_MAC_ABSENT,
	    "8489 B.1: no MESSAGE-INTEGRITY");
	is_int(m.nunknown, 2, "8489 B.1: USERHASH and PASSWORD-ALGORITHM are "
	    "not supported (420 material)");
}

static void
test_rest(void)
{
	char pass[CRED_PASS_MAX];
	uint8_t key[LTKEY_LEN], want[LTKEY_LEN];

	ok(cred_password("north", "1700000000:alice", 16, pass,
	    sizeof(pass)) == 0 && strcmp(pass,
	    "Cd/49soE35ICqcJF/bCTn8Z4OyE=") == 0, "R1: REST password vector");
	unhex("f7e222befb7b1eb9b8beff13b02b4764", want, sizeof(want));
	ok(ltkey_from_secret("north", "1700000000:alice", 16, "meetopia.test",
	    13, key) == 0 && memcmp(key, want, LTKEY_LEN) == 0,
	    "R1: long-term key of the REST vector");
}

static void
test_types(void)
{
	is_int(stun_type(STUN_ALLOCATE, STUN_REQUEST), 0x0003, "Allocate "
	    "request 0x0003");
	is_int(stun_type(STUN_ALLOCATE, STUN_SUCCESS), 0x0103, "Allocate "
	    "success 0x0103");
	is_int(stun_type(STUN_ALLOCATE, STUN_ERROR), 0x0113, "Allocate error "
	    "0x0113");
	is_int(stun_type(STUN_SEND, STUN_INDICATION), 0x0016, "Send "
	    "indication 0x0016");
	is_int(stun_type(STUN_DATA, STUN_INDICATION), 0x0017, "Data "
	    "indication 0x0017");
	is_int(stun_type(STUN_CHANNEL_BIND, STUN_ERROR), 0x0119, "ChannelBind "
	    "error 0x0119");
	is_int(stun_type_method(0x0119), STUN_CHANNEL_BIND, "method back");
	is_int(stun_type_class(0x0119), STUN_ERROR, "class back");
	is_int(stun_type_method(stun_type(0xFFF, STUN_REQUEST)), 0xFFF,
	    "12-bit methods round trip");
}

static void
test_roundtrip(void)
{
	uint8_t out[512], tid[12] = "abcdefghijkl", key[16] = "0123456789abcdef";
	const struct stun_attr *at;
	struct stun_msg m;
	struct maddr a4, a6, got;
	struct wr w;
	uint32_t v;
	int code, af;

	addr_parse("198.51.100.7", &a4);
	a4.port = 40000;
	addr_parse("2001:db8::42", &a6);
	a6.port = 1;
	wr_init(&w, out, sizeof(out));
	stun_begin(&w, stun_type(STUN_ALLOCATE, STUN_ERROR), tid);
	stun_put_error(&w, 437, "Allocation Mismatch");
	stun_put_xaddr(&w, STUN_ATTR_XOR_PEER_ADDRESS, &a4, tid);
	stun_put_xaddr(&w, STUN_ATTR_XOR_PEER_ADDRESS, &a6, tid);
	stun_put_u32(&w, STUN_ATTR_LIFETIME, 600);
	stun_put(&w, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "\x02\0\0\0", 4);
	ok(stun_end(&w, STUN_MI_SHA256, key, 16, 1) == 0, "build with "
	    "MI-SHA256 and FINGERPRINT");
	is_int(stun_parse(&m, out, w.len), STUN_OK, "parse it back");
	ok(stun_find(&m, STUN_ATTR_ERROR_CODE) != NULL &&
	    stun_get_error(stun_find(&m, STUN_ATTR_ERROR_CODE), &code) == 0 &&
	    code == 437, "ERROR-CODE 437");
	at = stun_find(&m, STUN_ATTR_XOR_PEER_ADDRESS);
	ok(at != NULL && stun_get_xaddr(&m, at, &got) == 0 &&
	    addr_eq(&got, &a4), "first XOR-PEER-ADDRESS (IPv4)");
	at = at != NULL ? stun_find_next(&m, at) : NULL;
	ok(at != NULL && stun_get_xaddr(&m, at, &got) == 0 &&
	    addr_eq(&got, &a6), "second XOR-PEER-ADDRESS (IPv6)");
	ok(at != NULL && stun_find_next(&m, at) == NULL, "no third");
	ok(stun_get_u32(stun_find(&m, STUN_ATTR_LIFETIME), &v) == 0 &&
	    v == 600, "LIFETIME");
	ok(stun_get_family(stun_find(&m, STUN_ATTR_REQUESTED_ADDRESS_FAMILY),
	    &af) == 0 && af == AF_INET6, "REQUESTED-ADDRESS-FAMILY IPv6");
	is_int(stun_check_mi256(&m, key, 16), 0, "MI-SHA256 checks");
	is_int(stun_check_mi(&m, key, 16), STUN_MAC_ABSENT, "no SHA-1 MI");
	ok(m.fp.type == STUN_ATTR_FINGERPRINT, "FINGERPRINT seen");

	/* MI and MI-SHA256 both, SHA-256 truncated to 16 bytes (F4). */
	{
		uint8_t mac[64];
		size_t at_mi;

		wr_init(&w, out, sizeof(out));
		stun_begin(&w, stun_type(STUN_REFRESH, STUN_REQUEST), tid);
		stun_put_u32(&w, STUN_ATTR_LIFETIME, 0);
		stun_end(&w, STUN_MI_SHA1, key, 16, 0);
		at_mi = w.len;
		wr_patch_u16(&w, 2, (uint16_t)(at_mi + 20 - STUN_HDR_LEN));
		stun_hmac2("SHA256", key, 16, out, at_mi, NULL, 0, mac);
		stun_put(&w, STUN_ATTR_MESSAGE_INTEGRITY_SHA256, mac, 16);
		is_int(stun_parse(&m, out, w.len), STUN_OK, "MI + truncated "
		    "MI-SHA256 parses");
		is_int(stun_check_mi(&m, key, 16), 0, "its MI checks");
		is_int(stun_check_mi256(&m, key, 16), 0, "its 16-byte "
		    "MI-SHA256 checks");
	}
}

/* A hand-made message: header then raw attribute bytes. */
static size_t
mk(uint8_t *b, uint16_t type, const char *attrs_hex, int fix_len)
{
	size_t n;

	b[0] = type >> 8;
	b[1] = type & 0xff;
	b[4] = 0x21; b[5] = 0x12; b[6] = 0xa4; b[7] = 0x42;
	memset(b + 8, 0x5a, 12);
	n = unhex(attrs_hex, b + 20, 400);
	if (fix_len) {
		b[2] = (uint8_t)(n >> 8);
		b[3] = n & 0xff;
	}
	return 20 + n;
}

static void
test_malformed(void)
{
	uint8_t b[512];
	struct stun_msg m;
	struct maddr a;
	size_t n, i;
	char hex[2048];

	memset(b, 0, sizeof(b));
	n = mk(b, 0x0001, "", 1);
	is_int(stun_parse(&m, b, n), STUN_OK, "an empty Binding request");
	is_int(stun_parse(&m, b, 19), STUN_ENOTSTUN, "S1: truncated header");
	is_int(stun_parse(&m, b, 0), STUN_ENOTSTUN, "S1: nothing at all");
	b[3] = 8;
	is_int(stun_parse(&m, b, n), STUN_ENOTSTUN, "S1: length past the end");
	b[3] = 2;
	n = mk(b, 0x0001, "8022000161000000", 0);
	b[3] = 6;
	is_int(stun_parse(&m, b, 26), STUN_ENOTSTUN, "S1: length not a "
	    "multiple of 4");
	n = mk(b, 0x0001, "", 1);
	b[4] = 0x21 ^ 0xff;
	is_int(stun_parse(&m, b, n), STUN_ENOTSTUN, "S1: wrong magic cookie");
	n = mk(b, 0xC001, "", 1);
	is_int(stun_parse(&m, b, n), STUN_ENOTSTUN, "S1: top bits set");
	n = mk(b, 0x0001, "8022ffff61626364", 1);
	is_int(stun_parse(&m, b, n), STUN_ENOTSTUN, "S1: attribute length "
	    "overflows the message");
	n = mk(b, 0x0001, "8022000561626364", 1);
	is_int(stun_parse(&m, b, n), STUN_ENOTSTUN, "S1: attribute padding "
	    "past the end");
	n = mk(b, 0x0001, "802200", 1);
	is_int(stun_parse(&m, b, n), STUN_ENOTSTUN, "S1: half an attribute "
	    "header");
	n = mk(b, 0x0001, "0006000161000000", 1);
	is_int(stun_parse(&m, b, n + 4), STUN_ENOTSTUN, "S1: datagram longer "
	    "than the message");

	/* Duplicates: the first counts, the next is reachable. */
	n = mk(b, 0x0001, "0006000161000000" "0006000162000000", 1);
	is_int(stun_parse(&m, b, n), STUN_OK, "duplicate attributes parse");
	ok(stun_find(&m, STUN_ATTR_USERNAME) != NULL &&
	    stun_find(&m, STUN_ATTR_USERNAME)->val[0] == 'a',
	    "duplicate attributes: the first one counts");

	/* S3: unknown comprehension-required listed, optional ignored. */
	n = mk(b, 0x0001, "7fff0000" "0003000401020304" "fffe0000" "7fff0000",
	    1);
	is_int(stun_parse(&m, b, n), STUN_OK, "unknown attributes parse");
	ok(m.nunknown == 2 && m.unknown[0] == 0x7fff && m.unknown[1] == 0x0003,
	    "S3: unknown comprehension-required listed once each");

	/* F3: attributes after MI are ignored; after FINGERPRINT: broken. */
	n = mk(b, 0x0001, "00080014" "0000000000000000000000000000000000000000"
	    "0006000161000000", 1);
	is_int(stun_parse(&m, b, n), STUN_OK, "MI not last: parses");
	ok(m.mi.type != 0 && stun_find(&m, STUN_ATTR_USERNAME) == NULL,
	    "F3: an attribute after MI is ignored");
	n = mk(b, 0x0001, "8028000400000000" "0006000161000000", 1);
	is_int(stun_parse(&m, b, n), STUN_EBADFP, "a wrong FINGERPRINT is "
	    "refused");
	{
		/* A right FINGERPRINT followed by an attribute. */
		uint32_t fp;

		n = mk(b, 0x0001, "8028000400000000" "0006000161000000", 1);
		fp = stun_crc32(b, 20) ^ STUN_FP_XOR;
		b[24] = fp >> 24;
		b[25] = (fp >> 16) & 0xff;
		b[26] = (fp >> 8) & 0xff;
		b[27] = fp & 0xff;
		is_int(stun_parse(&m, b, n), STUN_ENOTSTUN, "F1: an attribute "
		    "after FINGERPRINT breaks the message");
	}
	n = mk(b, 0x0001, "802800020000" "0000", 1);
	is_int(stun_parse(&m, b, n), STUN_ENOTSTUN, "F1: FINGERPRINT of the "
	    "wrong size");

	/* Too many attributes. */
	hex[0] = '\0';
	for (i = 0; i < STUN_MAX_ATTRS + 2; i++)
		strlcat(hex, "80220000", sizeof(hex));
	n = mk(b, 0x0001, hex, 1);
	is_int(stun_parse(&m, b, n), STUN_OK, "many attributes parse");
	ok(m.too_many, "more than STUN_MAX_ATTRS is flagged (400)");

	/* Address values. */
	n = mk(b, 0x0001, "00120008" "0001a147e112a643" "00120007" "0001a147e112a600"
	    "00120008" "0003a147e112a643" "00120014" "0001a147e112a643"
	    "0000000000000000" "00000000", 1);
	is_int(stun_parse(&m, b, n), STUN_OK, "address attributes parse");
	ok(stun_get_xaddr(&m, &m.attrs[0], &a) == 0, "a good XOR address");
	ok(stun_get_xaddr(&m, &m.attrs[1], &a) != 0, "7-byte IPv4 address "
	    "refused");
	ok(stun_get_xaddr(&m, &m.attrs[2], &a) != 0, "family 3 refused");
	ok(stun_get_xaddr(&m, &m.attrs[3], &a) != 0, "IPv4 family with 16 "
	    "address bytes refused");
	ok(!stun_is_stun((const uint8_t *)"\x40\x00\x00\x00", 4),
	    "ChannelData is not STUN");
}

int
main(void)
{
	test_vectors();
	test_rest();
	test_types();
	test_roundtrip();
	test_malformed();
	return done_testing();
}
