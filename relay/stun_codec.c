/*
 * stun_codec.c - STUN message parsing and building (see stun_codec.h).
 *
 * RFC 8489 §5 (header), §14 (attributes), §14.5-14.7 (MESSAGE-INTEGRITY,
 * MESSAGE-INTEGRITY-SHA256, FINGERPRINT); RFC 8656 §18 (TURN attributes).
 * Every byte is read through struct rd; a message is either indexed whole
 * or refused, and values are interpreted only by the stun_get_*() helpers.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/mac.h"
#include "common/unittest.h"
#include "relay/stun_codec.h"

static const uint32_t crc_table[256] = {
	0x00000000U, 0x77073096U, 0xee0e612cU, 0x990951baU,
	0x076dc419U, 0x706af48fU, 0xe963a535U, 0x9e6495a3U,
	0x0edb8832U, 0x79dcb8a4U, 0xe0d5e91eU, 0x97d2d988U,
	0x09b64c2bU, 0x7eb17cbdU, 0xe7b82d07U, 0x90bf1d91U,
	0x1db71064U, 0x6ab020f2U, 0xf3b97148U, 0x84be41deU,
	0x1adad47dU, 0x6ddde4ebU, 0xf4d4b551U, 0x83d385c7U,
	0x136c9856U, 0x646ba8c0U, 0xfd62f97aU, 0x8a65c9ecU,
	0x14015c4fU, 0x63066cd9U, 0xfa0f3d63U, 0x8d080df5U,
	0x3b6e20c8U, 0x4c69105eU, 0xd56041e4U, 0xa2677172U,
	0x3c03e4d1U, 0x4b04d447U, 0xd20d85fdU, 0xa50ab56bU,
	0x35b5a8faU, 0x42b2986cU, 0xdbbbc9d6U, 0xacbcf940U,
	0x32d86ce3U, 0x45df5c75U, 0xdcd60dcfU, 0xabd13d59U,
	0x26d930acU, 0x51de003aU, 0xc8d75180U, 0xbfd06116U,
	0x21b4f4b5U, 0x56b3c423U, 0xcfba9599U, 0xb8bda50fU,
	0x2802b89eU, 0x5f058808U, 0xc60cd9b2U, 0xb10be924U,
	0x2f6f7c87U, 0x58684c11U, 0xc1611dabU, 0xb6662d3dU,
	0x76dc4190U, 0x01db7106U, 0x98d220bcU, 0xefd5102aU,
	0x71b18589U, 0x06b6b51fU, 0x9fbfe4a5U, 0xe8b8d433U,
	0x7807c9a2U, 0x0f00f934U, 0x9609a88eU, 0xe10e9818U,
	0x7f6a0dbbU, 0x086d3d2dU, 0x91646c97U, 0xe6635c01U,
	0x6b6b51f4U, 0x1c6c6162U, 0x856530d8U, 0xf262004eU,
	0x6c0695edU, 0x1b01a57bU, 0x8208f4c1U, 0xf50fc457U,
	0x65b0d9c6U, 0x12b7e950U, 0x8bbeb8eaU, 0xfcb9887cU,
	0x62dd1ddfU, 0x15da2d49U, 0x8cd37cf3U, 0xfbd44c65U,
	0x4db26158U, 0x3ab551ceU, 0xa3bc0074U, 0xd4bb30e2U,
	0x4adfa541U, 0x3dd895d7U, 0xa4d1c46dU, 0xd3d6f4fbU,
	0x4369e96aU, 0x346ed9fcU, 0xad678846U, 0xda60b8d0U,
	0x44042d73U, 0x33031de5U, 0xaa0a4c5fU, 0xdd0d7cc9U,
	0x5005713cU, 0x270241aaU, 0xbe0b1010U, 0xc90c2086U,
	0x5768b525U, 0x206f85b3U, 0xb966d409U, 0xce61e49fU,
	0x5edef90eU, 0x29d9c998U, 0xb0d09822U, 0xc7d7a8b4U,
	0x59b33d17U, 0x2eb40d81U, 0xb7bd5c3bU, 0xc0ba6cadU,
	0xedb88320U, 0x9abfb3b6U, 0x03b6e20cU, 0x74b1d29aU,
	0xead54739U, 0x9dd277afU, 0x04db2615U, 0x73dc1683U,
	0xe3630b12U, 0x94643b84U, 0x0d6d6a3eU, 0x7a6a5aa8U,
	0xe40ecf0bU, 0x9309ff9dU, 0x0a00ae27U, 0x7d079eb1U,
	0xf00f9344U, 0x8708a3d2U, 0x1e01f268U, 0x6906c2feU,
	0xf762575dU, 0x806567cbU, 0x196c3671U, 0x6e6b06e7U,
	0xfed41b76U, 0x89d32be0U, 0x10da7a5aU, 0x67dd4accU,
	0xf9b9df6fU, 0x8ebeeff9U, 0x17b7be43U, 0x60b08ed5U,
	0xd6d6a3e8U, 0xa1d1937eU, 0x38d8c2c4U, 0x4fdff252U,
	0xd1bb67f1U, 0xa6bc5767U, 0x3fb506ddU, 0x48b2364bU,
	0xd80d2bdaU, 0xaf0a1b4cU, 0x36034af6U, 0x41047a60U,
	0xdf60efc3U, 0xa867df55U, 0x316e8eefU, 0x4669be79U,
	0xcb61b38cU, 0xbc66831aU, 0x256fd2a0U, 0x5268e236U,
	0xcc0c7795U, 0xbb0b4703U, 0x220216b9U, 0x5505262fU,
	0xc5ba3bbeU, 0xb2bd0b28U, 0x2bb45a92U, 0x5cb36a04U,
	0xc2d7ffa7U, 0xb5d0cf31U, 0x2cd99e8bU, 0x5bdeae1dU,
	0x9b64c2b0U, 0xec63f226U, 0x756aa39cU, 0x026d930aU,
	0x9c0906a9U, 0xeb0e363fU, 0x72076785U, 0x05005713U,
	0x95bf4a82U, 0xe2b87a14U, 0x7bb12baeU, 0x0cb61b38U,
	0x92d28e9bU, 0xe5d5be0dU, 0x7cdcefb7U, 0x0bdbdf21U,
	0x86d3d2d4U, 0xf1d4e242U, 0x68ddb3f8U, 0x1fda836eU,
	0x81be16cdU, 0xf6b9265bU, 0x6fb077e1U, 0x18b74777U,
	0x88085ae6U, 0xff0f6a70U, 0x66063bcaU, 0x11010b5cU,
	0x8f659effU, 0xf862ae69U, 0x616bffd3U, 0x166ccf45U,
	0xa00ae278U, 0xd70dd2eeU, 0x4e048354U, 0x3903b3c2U,
	0xa7672661U, 0xd06016f7U, 0x4969474dU, 0x3e6e77dbU,
	0xaed16a4aU, 0xd9d65adcU, 0x40df0b66U, 0x37d83bf0U,
	0xa9bcae53U, 0xdebb9ec5U, 0x47b2cf7fU, 0x30b5ffe9U,
	0xbdbdf21cU, 0xcabac28aU, 0x53b39330U, 0x24b4a3a6U,
	0xbad03605U, 0xcdd70693U, 0x54de5729U, 0x23d967bfU,
	0xb3667a2eU, 0xc4614ab8U, 0x5d681b02U, 0x2a6f2b94U,
	0xb40bbe37U, 0xc30c8ea1U, 0x5a05df1bU, 0x2d02ef8dU,
};

UNITTEST uint32_t
stun_crc32(const uint8_t *p, size_t len)
{
	uint32_t c = 0xFFFFFFFFU;
	size_t i;

	for (i = 0; i < len; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xFFFFFFFFU;
}

uint16_t
stun_type(uint16_t method, uint16_t cls)
{
	return (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) |
	    ((method & 0x0F80) << 2) | (cls & 0x0110));
}

UNITTEST uint16_t
stun_type_method(uint16_t type)
{
	return (uint16_t)((type & 0x000F) | ((type & 0x00E0) >> 1) |
	    ((type & 0x3E00) >> 2));
}

UNITTEST uint16_t
stun_type_class(uint16_t type)
{
	return type & 0x0110;
}

/* The comprehension-required attributes this server understands. */
static int
attr_known(uint16_t t)
{
	switch (t) {
	case STUN_ATTR_MAPPED_ADDRESS:
	case STUN_ATTR_USERNAME:
	case STUN_ATTR_MESSAGE_INTEGRITY:
	case STUN_ATTR_ERROR_CODE:
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
	case STUN_ATTR_CHANNEL_NUMBER:
	case STUN_ATTR_LIFETIME:
	case STUN_ATTR_XOR_PEER_ADDRESS:
	case STUN_ATTR_DATA:
	case STUN_ATTR_REALM:
	case STUN_ATTR_NONCE:
	case STUN_ATTR_XOR_RELAYED_ADDRESS:
	case STUN_ATTR_REQUESTED_ADDRESS_FAMILY:
	case STUN_ATTR_EVEN_PORT:
	case STUN_ATTR_REQUESTED_TRANSPORT:
	case STUN_ATTR_DONT_FRAGMENT:
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
	case STUN_ATTR_RESERVATION_TOKEN:
	case STUN_ATTR_PRIORITY:
	case STUN_ATTR_USE_CANDIDATE:
		return 1;
	}
	return 0;
}

int
stun_is_stun(const uint8_t *p, size_t len)
{
	struct rd r;
	uint8_t b0;
	uint32_t cookie;

	rd_init(&r, p, len);
	b0 = rd_u8(&r);
	rd_skip(&r, 3);
	cookie = rd_u32(&r);
	return !r.err && b0 <= 3 && cookie == STUN_MAGIC &&
	    len >= STUN_HDR_LEN;
}

static void
add_unknown(struct stun_msg *m, uint16_t t)
{
	size_t i;

	for (i = 0; i < m->nunknown; i++)
		if (m->unknown[i] == t)
			return;
	if (m->nunknown < STUN_MAX_UNKNOWN)
		m->unknown[m->nunknown++] = t;
}

int
stun_parse(struct stun_msg *m, const uint8_t *buf, size_t len)
{
	struct rd r;
	uint16_t mlen;
	uint32_t cookie, want;
	struct stun_attr a;
	struct rd fr;
	int seen_fp = 0;

	m->buf = buf;
	m->len = len;
	m->nattrs = 0;
	m->too_many = 0;
	m->nunknown = 0;
	memset(&m->mi, 0, sizeof(m->mi));
	memset(&m->mi256, 0, sizeof(m->mi256));
	memset(&m->fp, 0, sizeof(m->fp));

	rd_init(&r, buf, len);
	m->type = rd_u16(&r);
	mlen = rd_u16(&r);
	cookie = rd_u32(&r);
	rd_copy(&r, m->tid, STUN_TID_LEN);
	/* RFC 8489 §5: top two bits zero, the cookie, a length that is a
	 * multiple of 4 and covers exactly what follows. */
	if (r.err || (m->type & 0xC000) != 0 || cookie != STUN_MAGIC ||
	    (mlen & 3) != 0 || mlen != r.left)
		return STUN_ENOTSTUN;
	m->method = stun_type_method(m->type);
	m->cls = stun_type_class(m->type);

	while (r.left > 0) {
		size_t pad;

		if (seen_fp)
			return STUN_ENOTSTUN;	/* §14.7: FINGERPRINT is last */
		a.off = len - r.left;
		a.type = rd_u16(&r);
		a.len = rd_u16(&r);
		rd_bytes(&r, &a.val, a.len);
		pad = (4 - (a.len & 3)) & 3;
		rd_skip(&r, pad);
		if (r.err)
			return STUN_ENOTSTUN;

		if (a.type == STUN_ATTR_FINGERPRINT) {
			/* CRC over everything before it, the header length
			 * already counting it (§14.7). */
			seen_fp = 1;
			if (a.len != 4)
				return STUN_ENOTSTUN;
			rd_init(&fr, a.val, 4);
			want = rd_u32(&fr);
			if ((stun_crc32(buf, a.off) ^ STUN_FP_XOR) != want)
				return STUN_EBADFP;
			m->fp = a;
			continue;
		}
		if (m->mi256.type != 0)
			continue;	/* §14.6: only FINGERPRINT after it */
		if (a.type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256) {
			m->mi256 = a;
			continue;
		}
		if (m->mi.type != 0)
			continue;	/* §14.5: ignored after MI */
		if (a.type == STUN_ATTR_MESSAGE_INTEGRITY) {
			m->mi = a;
			continue;
		}
		if (a.type < 0x8000 && !attr_known(a.type))
			add_unknown(m, a.type);
		if (m->nattrs == STUN_MAX_ATTRS) {
			m->too_many = 1;
			continue;
		}
		m->attrs[m->nattrs++] = a;
	}
	return STUN_OK;
}

const struct stun_attr *
stun_find(const struct stun_msg *m, uint16_t type)
{
	size_t i;

	for (i = 0; i < m->nattrs; i++)
		if (m->attrs[i].type == type)
			return &m->attrs[i];
	return NULL;
}

const struct stun_attr *
stun_find_next(const struct stun_msg *m, const struct stun_attr *prev)
{
	size_t i;

	for (i = (size_t)(prev - m->attrs) + 1; i < m->nattrs; i++)
		if (m->attrs[i].type == prev->type)
			return &m->attrs[i];
	return NULL;
}

int
stun_get_u32(const struct stun_attr *a, uint32_t *v)
{
	struct rd r;

	rd_init(&r, a->val, a->len);
	*v = rd_u32(&r);
	return r.err || r.left != 0 ? -1 : 0;
}

int
stun_get_xaddr(const struct stun_msg *m, const struct stun_attr *a,
    struct maddr *out)
{
	struct rd r;
	uint8_t fam, mask[16];
	uint16_t xport;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	rd_init(&r, a->val, a->len);
	rd_u8(&r);			/* reserved, ignored (§14.1) */
	fam = rd_u8(&r);
	xport = rd_u16(&r);
	if (fam == STUN_FAMILY_IPV4) {
		out->family = AF_INET;
		n = 4;
	} else if (fam == STUN_FAMILY_IPV6) {
		out->family = AF_INET6;
		n = 16;
	} else
		return -1;
	rd_copy(&r, out->ip, n);
	if (r.err || r.left != 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	/* §14.2: XOR with the cookie, then the transaction ID for IPv6. */
	mask[0] = (STUN_MAGIC >> 24) & 0xff;
	mask[1] = (STUN_MAGIC >> 16) & 0xff;
	mask[2] = (STUN_MAGIC >> 8) & 0xff;
	mask[3] = STUN_MAGIC & 0xff;
	memcpy(mask + 4, m->tid, STUN_TID_LEN);
	for (i = 0; i < n; i++)
		out->ip[i] ^= mask[i];
	out->port = xport ^ (uint16_t)(STUN_MAGIC >> 16);
	return 0;
}

int
stun_get_error(const struct stun_attr *a, int *code)
{
	struct rd r;
	uint8_t cls, num;

	rd_init(&r, a->val, a->len);
	rd_u16(&r);
	cls = rd_u8(&r) & 0x07;
	num = rd_u8(&r);
	if (r.err || cls < 3 || cls > 6 || num > 99)
		return -1;
	*code = cls * 100 + num;
	return 0;
}

int
stun_get_family(const struct stun_attr *a, int *af)
{
	struct rd r;
	uint8_t fam;

	rd_init(&r, a->val, a->len);
	fam = rd_u8(&r);
	rd_skip(&r, 3);
	if (r.err || r.left != 0)
		return -1;
	if (fam == STUN_FAMILY_IPV4)
		*af = AF_INET;
	else if (fam == STUN_FAMILY_IPV6)
		*af = AF_INET6;
	else
		return -1;
	return 0;
}

/* HMAC (RFC 2104) over two pieces (auth/mac.c: the digests fetched
 * once, not looked up by name per MAC). */
UNITTEST int
stun_hmac2(const char *mdname, const uint8_t *key, size_t keylen,
    const uint8_t *p1, size_t l1, const uint8_t *p2, size_t l2, uint8_t *out)
{
	return mac_hmac(strcmp(mdname, "SHA256") == 0 ? MAC_SHA256 : MAC_SHA1,
	    key, keylen, p1, l1, p2, l2, out);
}

/*
 * The MAC of a received message up to the attribute at off, with the header
 * length patched as if that attribute (of vlen value bytes) ended it: 0,
 * or -1.
 */
static int
mac_upto(const struct stun_msg *m, const char *md, size_t off, size_t vlen,
    const uint8_t *key, size_t keylen, uint8_t *out)
{
	uint8_t hdr[STUN_HDR_LEN];
	size_t mlen = off + 4 + vlen - STUN_HDR_LEN;
	struct rd r;
	const uint8_t *h, *body;

	rd_init(&r, m->buf, off);
	if (rd_bytes(&r, &h, STUN_HDR_LEN) != 0 ||
	    rd_bytes(&r, &body, r.left) != 0 || mlen > 0xFFFF)
		return -1;
	memcpy(hdr, h, sizeof(hdr));
	hdr[2] = (uint8_t)(mlen >> 8);
	hdr[3] = (uint8_t)(mlen & 0xff);
	return stun_hmac2(md, key, keylen, hdr, sizeof(hdr), body,
	    off - STUN_HDR_LEN, out);
}

int
stun_check_mi(const struct stun_msg *m, const uint8_t *key, size_t keylen)
{
	uint8_t mac[EVP_MAX_MD_SIZE];

	if (m->mi.type == 0)
		return STUN_MAC_ABSENT;
	if (m->mi.len != 20 || mac_upto(m, "SHA1", m->mi.off, 20, key,
	    keylen, mac) != 0 || CRYPTO_memcmp(mac, m->mi.val, 20) != 0)
		return STUN_MAC_MISMATCH;
	return 0;
}

int
stun_check_mi256(const struct stun_msg *m, const uint8_t *key,
    size_t keylen)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	size_t n = m->mi256.len;

	if (m->mi256.type == 0)
		return STUN_MAC_ABSENT;
	/* §14.6: truncated to at least 16 bytes, a multiple of 4. */
	if (n < 16 || n > 32 || (n & 3) != 0 || mac_upto(m, "SHA256",
	    m->mi256.off, n, key, keylen, mac) != 0 ||
	    CRYPTO_memcmp(mac, m->mi256.val, n) != 0)
		return STUN_MAC_MISMATCH;
	return 0;
}

void
stun_begin(struct wr *w, uint16_t type, const uint8_t *tid)
{
	wr_u16(w, type);
	wr_u16(w, 0);
	wr_u32(w, STUN_MAGIC);
	wr_bytes(w, tid, STUN_TID_LEN);
}

static void
fix_len(struct wr *w, size_t extra)
{
	size_t n = w->len + extra;

	if (n < STUN_HDR_LEN || n - STUN_HDR_LEN > 0xFFFF) {
		w->err = 1;
		return;
	}
	wr_patch_u16(w, 2, (uint16_t)(n - STUN_HDR_LEN));
}

void
stun_put(struct wr *w, uint16_t type, const void *v, size_t len)
{
	if (len > 0xFFFF) {
		w->err = 1;
		return;
	}
	wr_u16(w, type);
	wr_u16(w, (uint16_t)len);
	if (len > 0)
		wr_bytes(w, v, len);
	wr_zero(w, (4 - (len & 3)) & 3);
	fix_len(w, 0);
}

void
stun_put_u32(struct wr *w, uint16_t type, uint32_t v)
{
	uint8_t b[4];

	b[0] = v >> 24;
	b[1] = (v >> 16) & 0xff;
	b[2] = (v >> 8) & 0xff;
	b[3] = v & 0xff;
	stun_put(w, type, b, 4);
}

void
stun_put_xaddr(struct wr *w, uint16_t type, const struct maddr *a,
    const uint8_t *tid)
{
	uint8_t b[20], mask[16];
	uint16_t xport = a->port ^ (uint16_t)(STUN_MAGIC >> 16);
	size_t i, n = a->family == AF_INET ? 4 : 16;

	mask[0] = (STUN_MAGIC >> 24) & 0xff;
	mask[1] = (STUN_MAGIC >> 16) & 0xff;
	mask[2] = (STUN_MAGIC >> 8) & 0xff;
	mask[3] = STUN_MAGIC & 0xff;
	memcpy(mask + 4, tid, STUN_TID_LEN);
	b[0] = 0;
	b[1] = a->family == AF_INET ? STUN_FAMILY_IPV4 : STUN_FAMILY_IPV6;
	b[2] = xport >> 8;
	b[3] = xport & 0xff;
	for (i = 0; i < n; i++)
		b[4 + i] = a->ip[i] ^ mask[i];
	stun_put(w, type, b, 4 + n);
}

void
stun_put_addr(struct wr *w, uint16_t type, const struct maddr *a)
{
	uint8_t b[20];
	size_t n = a->family == AF_INET ? 4 : 16;

	b[0] = 0;
	b[1] = a->family == AF_INET ? STUN_FAMILY_IPV4 : STUN_FAMILY_IPV6;
	b[2] = a->port >> 8;
	b[3] = a->port & 0xff;
	memcpy(b + 4, a->ip, n);
	stun_put(w, type, b, 4 + n);
}

void
stun_put_error(struct wr *w, int code, const char *reason)
{
	uint8_t b[4 + 128];
	size_t rl = strlen(reason);

	if (rl > 128)
		rl = 128;
	b[0] = 0;
	b[1] = 0;
	b[2] = (uint8_t)(code / 100);
	b[3] = (uint8_t)(code % 100);
	memcpy(b + 4, reason, rl);
	stun_put(w, STUN_ATTR_ERROR_CODE, b, 4 + rl);
}

void
stun_put_unknown(struct wr *w, const uint16_t *t, size_t n)
{
	uint8_t b[2 * STUN_MAX_UNKNOWN];
	size_t i;

	if (n > STUN_MAX_UNKNOWN)
		n = STUN_MAX_UNKNOWN;
	for (i = 0; i < n; i++) {
		b[2 * i] = t[i] >> 8;
		b[2 * i + 1] = t[i] & 0xff;
	}
	stun_put(w, STUN_ATTR_UNKNOWN_ATTRIBUTES, b, 2 * n);
}

int
stun_end(struct wr *w, enum stun_mi mi, const uint8_t *key, size_t keylen,
    int fingerprint)
{
	uint8_t mac[EVP_MAX_MD_SIZE];

	if (w->err)
		return -1;
	if (mi == STUN_MI_SHA1) {
		fix_len(w, 24);
		if (w->err || stun_hmac2("SHA1", key, keylen, w->p, w->len,
		    NULL, 0, mac) != 0)
			return -1;
		stun_put(w, STUN_ATTR_MESSAGE_INTEGRITY, mac, 20);
	} else if (mi == STUN_MI_SHA256) {
		fix_len(w, 36);
		if (w->err || stun_hmac2("SHA256", key, keylen, w->p, w->len,
		    NULL, 0, mac) != 0)
			return -1;
		stun_put(w, STUN_ATTR_MESSAGE_INTEGRITY_SHA256, mac, 32);
	}
	if (fingerprint) {
		fix_len(w, 8);
		if (w->err)
			return -1;
		stun_put_u32(w, STUN_ATTR_FINGERPRINT,
		    stun_crc32(w->p, w->len) ^ STUN_FP_XOR);
	}
	return w->err ? -1 : 0;
}

const char *
stun_reason(int code)
{
	switch (code) {
	case 300: return "Try Alternate";
	case 400: return "Bad Request";
	case 401: return "Unauthenticated";
	case 403: return "Forbidden";
	case 420: return "Unknown Attribute";
	case 437: return "Allocation Mismatch";
	case 438: return "Stale Nonce";
	case 440: return "Address Family not Supported";
	case 441: return "Wrong Credentials";
	case 442: return "Unsupported Transport Protocol";
	case 443: return "Peer Address Family Mismatch";
	case 486: return "Allocation Quota Reached";
	case 500: return "Server Error";
	case 508: return "Insufficient Capacity";
	}
	return "Error";
}
