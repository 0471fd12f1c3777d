/*
 * bench_srtp.c - SRTP (RFC 3711) with AES_CM_128_HMAC_SHA1_80 on OpenSSL,
 * meetopia-bench's --srtp openssl.
 *
 * Debian's libsrtp2 is built on NSS, which creates a cipher and a digest
 * context for every packet: at a few hundred thousand packets a second the
 * client, not the relay, would be the limit.  This is the same transform on
 * OpenSSL's AES-NI/SHA code with contexts keyed once per session:
 *
 *   session keys  §4.3.1: AES-CM PRF over (master salt XOR label << 48),
 *                 labels 0 (cipher key), 1 (auth key), 2 (salt); kdr 0
 *   encryption    §4.1.1: AES-128 counter mode, IV = (salt << 16) XOR
 *                 (SSRC << 64) XOR (index << 16) over the RTP payload
 *   auth tag      §4.2: HMAC-SHA1(auth key, header || payload || ROC),
 *                 first 80 bits
 *   receiver      §3.3.1 index estimate (Appendix A), a 1024-packet replay
 *                 window (§3.3.2)
 *
 * bench_osrtp_selftest() checks it byte for byte against libsrtp2 (both
 * directions, across a sequence-number wrap) before a run uses it.
 */
#include "config.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "tools/bench.h"

#define TAG_LEN		10
#define WIN_BITS	1024

static int
prf(const uint8_t key[16], const uint8_t salt[14], uint8_t label,
    uint8_t *out, size_t n)
{
	static const uint8_t zero[32];
	EVP_CIPHER_CTX *c;
	uint8_t iv[16];
	int len = 0, rv = -1;

	if (n > sizeof(zero) || (c = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	memset(iv, 0, sizeof(iv));
	memcpy(iv, salt, 14);
	iv[7] ^= label;		/* key_id = label || r, r = 0 (kdr 0) */
	if (EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv) == 1 &&
	    EVP_EncryptUpdate(c, out, &len, zero, (int)n) == 1 &&
	    (size_t)len == n)
		rv = 0;
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(iv, sizeof(iv));
	return rv;
}

void
bench_osrtp_free(struct bench_osrtp *o)
{
	if (o == NULL)
		return;
	EVP_CIPHER_CTX_free(o->cipher);
	EVP_MAC_CTX_free(o->mac);
	OPENSSL_cleanse(o, sizeof(*o));
}

int
bench_osrtp_init(struct bench_osrtp *o, const uint8_t master[30])
{
	uint8_t ck[16], ak[20];
	EVP_MAC *mac = NULL;
	OSSL_PARAM params[2];
	int rv = -1;

	memset(o, 0, sizeof(*o));
	if (prf(master, master + 16, 0x00, ck, sizeof(ck)) != 0 ||
	    prf(master, master + 16, 0x01, ak, sizeof(ak)) != 0 ||
	    prf(master, master + 16, 0x02, o->salt, sizeof(o->salt)) != 0)
		goto out;
	if ((o->cipher = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(o->cipher, EVP_aes_128_ctr(), NULL, ck,
	    NULL) != 1)
		goto out;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (o->mac = EVP_MAC_CTX_new(mac)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA1", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(o->mac, ak, sizeof(ak), params) != 1)
		goto out;
	rv = 0;
out:
	EVP_MAC_free(mac);
	OPENSSL_cleanse(ck, sizeof(ck));
	OPENSSL_cleanse(ak, sizeof(ak));
	if (rv != 0)
		bench_osrtp_free(o);
	return rv;
}

/* The RTP header's length, its sequence number and SSRC; -1 if short. */
static int
rtp_header(const uint8_t *p, size_t len, size_t *hlen, uint16_t *seq,
    uint32_t *ssrc)
{
	struct rd r;
	uint8_t b0;

	rd_init(&r, p, len);
	b0 = rd_u8(&r);
	(void)rd_u8(&r);
	*seq = rd_u16(&r);
	(void)rd_u32(&r);
	*ssrc = rd_u32(&r);
	rd_skip(&r, 4 * (size_t)(b0 & 0x0f));		/* CSRCs */
	if (b0 & 0x10) {				/* extension */
		uint16_t words;

		(void)rd_u16(&r);
		words = rd_u16(&r);
		rd_skip(&r, 4 * (size_t)words);
	}
	if (r.err || (b0 >> 6) != 2)
		return -1;
	*hlen = len - r.left;
	return 0;
}

static int
crypt_payload(struct bench_osrtp *o, uint8_t *pkt, size_t hlen, size_t len,
    uint32_t ssrc, uint64_t index)
{
	uint8_t iv[16];
	int n = 0;
	size_t i;

	memset(iv, 0, sizeof(iv));
	memcpy(iv, o->salt, 14);
	for (i = 0; i < 4; i++)
		iv[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
	for (i = 0; i < 6; i++)
		iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
	if (EVP_EncryptInit_ex(o->cipher, NULL, NULL, NULL, iv) != 1 ||
	    EVP_EncryptUpdate(o->cipher, pkt + hlen, &n, pkt + hlen,
	    (int)(len - hlen)) != 1 || (size_t)n != len - hlen)
		return -1;
	return 0;
}

static int
auth_tag(struct bench_osrtp *o, const uint8_t *pkt, size_t len, uint32_t roc,
    uint8_t tag[20])
{
	uint8_t r[4];
	size_t n = 0;

	r[0] = (uint8_t)(roc >> 24);
	r[1] = (uint8_t)(roc >> 16);
	r[2] = (uint8_t)(roc >> 8);
	r[3] = (uint8_t)roc;
	if (EVP_MAC_init(o->mac, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(o->mac, pkt, len) != 1 ||
	    EVP_MAC_update(o->mac, r, sizeof(r)) != 1 ||
	    EVP_MAC_final(o->mac, tag, &n, 20) != 1 || n != 20)
		return -1;
	return 0;
}

/* Protects the RTP packet in place (room for 10 more bytes); new length. */
size_t
bench_osrtp_protect(struct bench_osrtp *o, uint8_t *pkt, size_t len,
    size_t room, uint32_t roc)
{
	uint8_t tag[20];
	size_t hlen;
	uint16_t seq;
	uint32_t ssrc;

	if (room < len + TAG_LEN ||
	    rtp_header(pkt, len, &hlen, &seq, &ssrc) != 0 ||
	    crypt_payload(o, pkt, hlen, len, ssrc,
	    ((uint64_t)roc << 16) | seq) != 0 ||
	    auth_tag(o, pkt, len, roc, tag) != 0)
		return 0;
	memcpy(pkt + len, tag, TAG_LEN);
	return len + TAG_LEN;
}

static int
win_test(const struct bench_osrtp *o, uint64_t i)
{
	return (o->win[(i % WIN_BITS) / 64] >> (i % 64)) & 1;
}

static void
win_set(struct bench_osrtp *o, uint64_t i)
{
	uint64_t k;

	if (!o->have || i > o->top) {
		if (!o->have || i - o->top >= WIN_BITS)
			memset(o->win, 0, sizeof(o->win));
		else
			for (k = o->top + 1; k < i; k++)
				o->win[(k % WIN_BITS) / 64] &=
				    ~(1ULL << (k % 64));
		o->win[(i % WIN_BITS) / 64] &= ~(1ULL << (i % 64));
		o->top = i;
		o->have = 1;
	}
	o->win[(i % WIN_BITS) / 64] |= 1ULL << (i % 64);
}

/*
 * Checks and decrypts in place.  Returns the RTP length, or -1 when the
 * authentication fails, -2 for a replayed or too old packet.
 */
long
bench_osrtp_unprotect(struct bench_osrtp *o, uint8_t *pkt, size_t len)
{
	uint8_t tag[20];
	const uint8_t *got;
	struct rd r;
	size_t hlen, alen;
	uint16_t seq, s_l;
	uint32_t ssrc, roc, v;
	uint64_t index;

	if (len < 12 + TAG_LEN)
		return -1;
	alen = len - TAG_LEN;
	if (rtp_header(pkt, alen, &hlen, &seq, &ssrc) != 0)
		return -1;
	/* RFC 3711 Appendix A: guess the ROC from the highest index. */
	if (!o->have)
		v = 0;
	else {
		roc = (uint32_t)(o->top >> 16);
		s_l = (uint16_t)o->top;
		v = roc;
		if (s_l < 32768) {
			if ((int)seq - (int)s_l > 32768 && roc > 0)
				v = roc - 1;
		} else if ((int)s_l - 32768 > (int)seq)
			v = roc + 1;
	}
	index = ((uint64_t)v << 16) | seq;
	if (o->have && index <= o->top &&
	    (o->top - index >= WIN_BITS || win_test(o, index)))
		return -2;
	rd_init(&r, pkt, len);
	if (rd_skip(&r, alen) != 0 || rd_bytes(&r, &got, TAG_LEN) != 0 ||
	    auth_tag(o, pkt, alen, v, tag) != 0 ||
	    CRYPTO_memcmp(tag, got, TAG_LEN) != 0)
		return -1;
	if (crypt_payload(o, pkt, hlen, alen, ssrc, index) != 0)
		return -1;
	win_set(o, index);
	return (long)alen;
}

/* ------------------------------------------------------------------ */
/* The same bytes as libsrtp2, or we do not run. */

static size_t
test_packet(uint8_t *p, size_t room, uint16_t seq, uint32_t ssrc)
{
	struct wr w;
	unsigned i;

	wr_init(&w, p, room);
	wr_u8(&w, 0x80);
	wr_u8(&w, 96);
	wr_u16(&w, seq);
	wr_u32(&w, 0x01020304U + seq);
	wr_u32(&w, ssrc);
	for (i = 0; i < 333; i++)
		wr_u8(&w, (uint8_t)(i * 7 + seq));
	return w.err ? 0 : w.len;
}

int
bench_osrtp_selftest(void)
{
	uint8_t master[30], a[512], b[512], c[512];
	struct bench_osrtp otx, orx;
	srtp_t ltx = NULL, lrx = NULL;
	srtp_policy_t p;
	uint32_t ssrc = 0x5eed1234U, xseq;
	int rv = -1, la;
	size_t n, lb;
	long got;

	if (RAND_bytes(master, sizeof(master)) != 1)
		return -1;
	memset(&otx, 0, sizeof(otx));
	memset(&orx, 0, sizeof(orx));
	if (bench_osrtp_init(&otx, master) != 0 ||
	    bench_osrtp_init(&orx, master) != 0)
		goto out;
	memset(&p, 0, sizeof(p));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	p.ssrc.type = ssrc_specific;
	p.ssrc.value = ssrc;
	p.key = master;
	p.window_size = 1024;
	if (srtp_create(&ltx, &p) != srtp_err_status_ok ||
	    srtp_create(&lrx, &p) != srtp_err_status_ok)
		goto out;
	/* Across a wrap of the 16-bit sequence number (ROC 0 -> 1). */
	for (xseq = 65530; xseq < 65542; xseq++) {
		n = test_packet(a, sizeof(a), (uint16_t)xseq, ssrc);
		memcpy(b, a, n);
		memcpy(c, a, n);
		la = (int)n;
		if (n == 0 || srtp_protect(ltx, a, &la) != srtp_err_status_ok)
			goto out;
		lb = bench_osrtp_protect(&otx, b, n, sizeof(b), xseq >> 16);
		if ((size_t)la != lb || memcmp(a, b, lb) != 0)
			goto out;
		/* libsrtp2's packet through ours, ours through libsrtp2. */
		if ((got = bench_osrtp_unprotect(&orx, a, lb)) != (long)n ||
		    memcmp(a, c, n) != 0)
			goto out;
		la = (int)lb;
		if (srtp_unprotect(lrx, b, &la) != srtp_err_status_ok ||
		    (size_t)la != n || memcmp(b, c, n) != 0)
			goto out;
	}
	/* A forged tag and a replay are refused. */
	n = test_packet(a, sizeof(a), (uint16_t)xseq, ssrc);
	if ((lb = bench_osrtp_protect(&otx, a, n, sizeof(a), xseq >> 16)) == 0)
		goto out;
	memcpy(b, a, lb);
	a[20] ^= 1;
	if (bench_osrtp_unprotect(&orx, a, lb) != -1 ||
	    bench_osrtp_unprotect(&orx, b, lb) != (long)n)
		goto out;
	n = test_packet(a, sizeof(a), (uint16_t)(xseq - 1), ssrc);
	lb = bench_osrtp_protect(&otx, a, n, sizeof(a), (xseq - 1) >> 16);
	if (bench_osrtp_unprotect(&orx, a, lb) != -2)
		goto out;
	rv = 0;
out:
	if (ltx != NULL)
		srtp_dealloc(ltx);
	if (lrx != NULL)
		srtp_dealloc(lrx);
	bench_osrtp_free(&otx);
	bench_osrtp_free(&orx);
	OPENSSL_cleanse(master, sizeof(master));
	return rv;
}
