/*
 * bench_stun.c - the STUN/TURN messages of meetopia-bench.
 *
 * Requests are built with struct wr; the long-term credential mechanism of
 * RFC 8489 §9.2 signs them (key = MD5(username ":" realm ":" password),
 * MESSAGE-INTEGRITY over the message with the length field counting the
 * MESSAGE-INTEGRITY attribute, §14.5) and a FINGERPRINT closes them (§14.7).
 *
 * Everything the server sends is parsed strictly through struct rd: the
 * header (top bits zero, magic cookie, length a multiple of 4 and equal to
 * what arrived), every attribute (length within the message, padding
 * present), known attributes of the right size, a FINGERPRINT that is last
 * and right, no unknown comprehension-required attribute (RFC 8489 §6.3.3:
 * discard).  Attributes after MESSAGE-INTEGRITY other than FINGERPRINT and
 * MESSAGE-INTEGRITY-SHA256 are ignored (§14.5).
 */
#include "config.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "tools/bench.h"

#define COOKIE			0x2112A442U
#define FP_XOR			0x5354554EU

#define ATTR_MAPPED_ADDRESS	0x0001
#define ATTR_USERNAME		0x0006
#define ATTR_MESSAGE_INTEGRITY	0x0008
#define ATTR_ERROR_CODE		0x0009
#define ATTR_UNKNOWN_ATTRIBUTES	0x000A
#define ATTR_CHANNEL_NUMBER	0x000C
#define ATTR_LIFETIME		0x000D
#define ATTR_XOR_PEER_ADDRESS	0x0012
#define ATTR_DATA		0x0013
#define ATTR_REALM		0x0014
#define ATTR_NONCE		0x0015
#define ATTR_XOR_RELAYED_ADDRESS 0x0016
#define ATTR_REQ_ADDR_FAMILY	0x0017
#define ATTR_EVEN_PORT		0x0018
#define ATTR_REQUESTED_TRANSPORT 0x0019
#define ATTR_DONT_FRAGMENT	0x001A
#define ATTR_MI_SHA256		0x001C
#define ATTR_PASSWORD_ALGORITHM	0x001D
#define ATTR_USERHASH		0x001E
#define ATTR_XOR_MAPPED_ADDRESS	0x0020
#define ATTR_RESERVATION_TOKEN	0x0022
#define ATTR_FINGERPRINT	0x8028

static uint32_t crc_table[256];
static int crc_ready;

static void
crc_init(void)
{
	uint32_t c, n, k;

	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
	crc_ready = 1;
}

/* CRC-32 of ISO 3309 / ITU-T V.42, as FINGERPRINT uses (RFC 8489 §14.7). */
uint32_t
bench_crc32(const uint8_t *p, size_t len)
{
	uint32_t c = 0xFFFFFFFFU;
	size_t i;

	if (!crc_ready)
		crc_init();
	for (i = 0; i < len; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xFFFFFFFFU;
}

void
bench_stun_key(const char *user, const uint8_t *realm, size_t realmlen,
    const char *password, uint8_t key[16])
{
	EVP_MD_CTX *ctx;
	unsigned int n = 0;

	memset(key, 0, 16);
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return;
	if (EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, user, strlen(user)) == 1 &&
	    EVP_DigestUpdate(ctx, ":", 1) == 1 &&
	    EVP_DigestUpdate(ctx, realm, realmlen) == 1 &&
	    EVP_DigestUpdate(ctx, ":", 1) == 1 &&
	    EVP_DigestUpdate(ctx, password, strlen(password)) == 1)
		EVP_DigestFinal_ex(ctx, key, &n);
	EVP_MD_CTX_free(ctx);
}

/* ------------------------------------------------------------------ */
/* Requests. */

void
bench_req_begin(struct bench_req *q, uint16_t method)
{
	wr_init(&q->w, q->buf, sizeof(q->buf));
	if (RAND_bytes(q->txid, sizeof(q->txid)) != 1)
		q->w.err = 1;
	wr_u16(&q->w, method);
	wr_u16(&q->w, 0);
	wr_u32(&q->w, COOKIE);
	wr_bytes(&q->w, q->txid, sizeof(q->txid));
}

static void
req_set_len(struct bench_req *q, size_t extra)
{
	if (q->w.err || q->w.len < 20)
		return;
	wr_patch_u16(&q->w, 2, (uint16_t)(q->w.len - 20 + extra));
}

void
bench_req_attr(struct bench_req *q, uint16_t type, const void *v, size_t len)
{
	if (len > 0xffff) {
		q->w.err = 1;
		return;
	}
	wr_u16(&q->w, type);
	wr_u16(&q->w, (uint16_t)len);
	wr_bytes(&q->w, v, len);
	wr_zero(&q->w, (4 - (len & 3)) & 3);
	req_set_len(q, 0);
}

void
bench_req_u32(struct bench_req *q, uint16_t type, uint32_t v)
{
	uint8_t b[4];
	struct wr w;

	wr_init(&w, b, sizeof(b));
	wr_u32(&w, v);
	bench_req_attr(q, type, b, sizeof(b));
}

/* XOR-PEER-ADDRESS and friends, RFC 8489 §14.2. */
void
bench_req_xor_addr(struct bench_req *q, uint16_t type, const struct maddr *a)
{
	uint8_t b[20], mask[16];
	struct wr w;
	size_t i, n = a->family == AF_INET6 ? 16 : 4;

	wr_init(&w, mask, sizeof(mask));
	wr_u32(&w, COOKIE);
	wr_bytes(&w, q->txid, sizeof(q->txid));
	wr_init(&w, b, sizeof(b));
	wr_u8(&w, 0);
	wr_u8(&w, a->family == AF_INET6 ? 0x02 : 0x01);
	wr_u16(&w, a->port ^ (uint16_t)(COOKIE >> 16));
	for (i = 0; i < n; i++)
		wr_u8(&w, a->ip[i] ^ mask[i]);
	bench_req_attr(q, type, b, w.len);
}

void
bench_req_auth(struct bench_req *q, const char *user, const uint8_t *realm,
    size_t realmlen, const uint8_t *nonce, size_t noncelen,
    const uint8_t key[16])
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	bench_req_attr(q, ATTR_USERNAME, user, strlen(user));
	bench_req_attr(q, ATTR_REALM, realm, realmlen);
	bench_req_attr(q, ATTR_NONCE, nonce, noncelen);
	if (q->w.err)
		return;
	/* RFC 8489 §14.5: the length counts the MESSAGE-INTEGRITY attribute. */
	req_set_len(q, 24);
	if (HMAC(EVP_sha1(), key, 16, q->buf, q->w.len, mac, &maclen) ==
	    NULL || maclen != 20) {
		q->w.err = 1;
		return;
	}
	bench_req_attr(q, ATTR_MESSAGE_INTEGRITY, mac, 20);
}

void
bench_req_fingerprint(struct bench_req *q)
{
	uint32_t crc;

	if (q->w.err)
		return;
	req_set_len(q, 8);
	crc = bench_crc32(q->buf, q->w.len) ^ FP_XOR;
	bench_req_u32(q, ATTR_FINGERPRINT, crc);
}

size_t
bench_req_len(const struct bench_req *q)
{
	return q->w.err ? 0 : q->w.len;
}

/* ------------------------------------------------------------------ */
/* Parsing. */

static int
parse_xor_addr(struct rd *v, const uint8_t txid[12], struct maddr *a)
{
	uint8_t mask[16], fam;
	struct wr w;
	size_t i, n;

	wr_init(&w, mask, sizeof(mask));
	wr_u32(&w, COOKIE);
	wr_bytes(&w, txid, 12);
	memset(a, 0, sizeof(*a));
	(void)rd_u8(v);
	fam = rd_u8(v);
	a->port = rd_u16(v) ^ (uint16_t)(COOKIE >> 16);
	if (fam == 0x01) {
		a->family = AF_INET;
		n = 4;
	} else if (fam == 0x02) {
		a->family = AF_INET6;
		n = 16;
	} else
		return -1;
	if (v->left != n)
		return -1;
	for (i = 0; i < n; i++)
		a->ip[i] = rd_u8(v) ^ mask[i];
	return v->err ? -1 : 0;
}

static int
known_attr(uint16_t t)
{
	switch (t) {
	case ATTR_MAPPED_ADDRESS:
	case 0x0002: case 0x0003: case 0x0004: case 0x0005: /* RFC 3489 */
	case ATTR_USERNAME:
	case ATTR_MESSAGE_INTEGRITY:
	case ATTR_ERROR_CODE:
	case ATTR_UNKNOWN_ATTRIBUTES:
	case ATTR_CHANNEL_NUMBER:
	case ATTR_LIFETIME:
	case ATTR_XOR_PEER_ADDRESS:
	case ATTR_DATA:
	case ATTR_REALM:
	case ATTR_NONCE:
	case ATTR_XOR_RELAYED_ADDRESS:
	case ATTR_REQ_ADDR_FAMILY:
	case ATTR_EVEN_PORT:
	case ATTR_REQUESTED_TRANSPORT:
	case ATTR_DONT_FRAGMENT:
	case ATTR_MI_SHA256:
	case ATTR_PASSWORD_ALGORITHM:
	case ATTR_USERHASH:
	case ATTR_XOR_MAPPED_ADDRESS:
	case ATTR_RESERVATION_TOKEN:
		return 1;
	}
	return t >= 0x8000;	/* comprehension-optional */
}

static void
copy_reason(struct rd *v, char *out, size_t outlen)
{
	size_t o = 0;

	while (v->left > 0 && o + 1 < outlen) {
		uint8_t c = rd_u8(v);

		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[o] = '\0';
}

int
bench_stun_parse(const uint8_t *buf, size_t len, struct bench_stun_msg *m)
{
	struct rd r, v;
	uint16_t type, mlen, atype, alen;
	uint32_t cookie;
	int after_mi = 0, have_err = 0;

	memset(m, 0, sizeof(*m));
	rd_init(&r, buf, len);
	type = rd_u16(&r);
	mlen = rd_u16(&r);
	cookie = rd_u32(&r);
	rd_copy(&r, m->txid, sizeof(m->txid));
	if (r.err || (type & 0xC000) != 0 || cookie != COOKIE ||
	    (mlen & 3) != 0 || (size_t)mlen != r.left)
		return -1;
	m->cls = type & 0x0110;
	m->method = type & ~0x0110;

	while (r.left > 0) {
		size_t off = len - r.left;	/* offset of this attribute */

		atype = rd_u16(&r);
		alen = rd_u16(&r);
		if (rd_sub(&r, &v, alen) != 0 ||
		    rd_skip(&r, (4 - (alen & 3)) & 3) != 0)
			return -1;
		if (atype == ATTR_FINGERPRINT) {
			uint32_t fp = rd_u32(&v);

			if (alen != 4 || r.left != 0 ||
			    (bench_crc32(buf, off) ^ FP_XOR) != fp)
				return -1;
			break;
		}
		if (!known_attr(atype))
			return -1;
		if (after_mi)
			continue;	/* RFC 8489 §14.5: ignored */
		switch (atype) {
		case ATTR_MESSAGE_INTEGRITY:
			if (alen != 20)
				return -1;
			m->mi_off = off;
			after_mi = 1;
			break;
		case ATTR_ERROR_CODE:
			if (have_err)
				break;
			if (alen < 4 || alen > 4 + 763)
				return -1;
			{
				uint16_t hi = rd_u16(&v);
				uint8_t cls = rd_u8(&v), num = rd_u8(&v);

				if (hi != 0 || (cls & 0xF8) != 0 || cls < 3 ||
				    cls > 6 || num > 99)
					return -1;
				m->error_code = cls * 100 + num;
			}
			copy_reason(&v, m->reason, sizeof(m->reason));
			have_err = 1;
			break;
		case ATTR_REALM:
			if (m->realm != NULL)
				break;
			if (alen == 0 || alen > BENCH_REALM_MAX)
				return -1;
			rd_bytes(&v, &m->realm, alen);
			m->realm_len = alen;
			break;
		case ATTR_NONCE:
			if (m->nonce != NULL)
				break;
			if (alen == 0 || alen > BENCH_NONCE_MAX)
				return -1;
			rd_bytes(&v, &m->nonce, alen);
			m->nonce_len = alen;
			break;
		case ATTR_XOR_RELAYED_ADDRESS:
			/* The first; a dual allocation's second is ignored. */
			if (m->have_relayed)
				break;
			if (parse_xor_addr(&v, m->txid, &m->relayed) != 0)
				return -1;
			m->have_relayed = 1;
			break;
		case ATTR_XOR_MAPPED_ADDRESS:
			if (m->have_mapped)
				break;
			if (parse_xor_addr(&v, m->txid, &m->mapped) != 0)
				return -1;
			m->have_mapped = 1;
			break;
		case ATTR_XOR_PEER_ADDRESS:
			if (m->have_peer)
				break;
			if (parse_xor_addr(&v, m->txid, &m->peer) != 0)
				return -1;
			m->have_peer = 1;
			break;
		case ATTR_LIFETIME:
			if (alen != 4)
				return -1;
			if (!m->have_lifetime) {
				m->lifetime = rd_u32(&v);
				m->have_lifetime = 1;
			}
			break;
		case ATTR_DATA:
			if (m->data == NULL) {
				rd_bytes(&v, &m->data, alen);
				m->data_len = alen;
			}
			break;
		default:
			break;
		}
		if (v.err)
			return -1;
	}
	if (r.err)
		return -1;
	if (m->cls == BENCH_CLASS_ERROR && !have_err)
		return -1;	/* RFC 8489 §6.3.4: an error names its code */
	return 0;
}

int
bench_stun_check_mi(const uint8_t *buf, size_t len,
    const struct bench_stun_msg *m, const uint8_t key[16])
{
	uint8_t copy[BENCH_BUFSZ], mac[EVP_MAX_MD_SIZE];
	const uint8_t *want;
	unsigned int maclen = 0;
	struct rd r;
	struct wr w;

	if (m->mi_off < 20 || m->mi_off + 24 > len || m->mi_off > sizeof(copy))
		return -1;
	/* The message up to MESSAGE-INTEGRITY, its length counting it. */
	rd_init(&r, buf, len);
	wr_init(&w, copy, sizeof(copy));
	{
		const uint8_t *head;

		if (rd_bytes(&r, &head, m->mi_off) != 0)
			return -1;
		wr_bytes(&w, head, m->mi_off);
	}
	wr_patch_u16(&w, 2, (uint16_t)(m->mi_off + 24 - 20));
	if (rd_skip(&r, 4) != 0 || rd_bytes(&r, &want, 20) != 0 || w.err)
		return -1;
	if (HMAC(EVP_sha1(), key, 16, copy, w.len, mac, &maclen) == NULL ||
	    maclen != 20)
		return -1;
	return CRYPTO_memcmp(mac, want, 20) == 0 ? 0 : -1;
}
