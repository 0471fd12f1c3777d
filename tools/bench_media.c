/*
 * bench_media.c - the media of meetopia-bench: SRTP-protected RTP.
 *
 * Each stream is one direction of a call: its own SSRC and a fresh 30-byte
 * master key (AES_CM_128_HMAC_SHA1_80, RFC 3711 / RFC 4568), one libsrtp2
 * session at the sender and one at the receiver.  The RTP payload carries
 * the stream id, the extended sequence number and the send time, then a
 * pattern derived from both; the receiver decrypts every packet, checks the
 * authentication tag (libsrtp2), the RTP header, the SSRC, the sequence and
 * every payload byte.  Latency is receive time minus send time on one
 * monotonic clock (both ends live in this process, or the packet is echoed
 * back to its sender); jitter is RFC 3550 §6.4.1's running estimate
 * J += (|D| - J) / 16 over the same transit times.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "tools/bench.h"

#define RTP_PT		96
#define PAYLOAD_HEAD	16	/* stream id, extended seq, send time */

static uint8_t pattern[256 + BENCH_PAYLOAD_MAX];
static enum bench_srtp srtp_impl;

uint64_t
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int
bench_media_init(enum bench_srtp impl)
{
	size_t k;

	for (k = 0; k < sizeof(pattern); k++)
		pattern[k] = (uint8_t)((k & 0xff) * 167 + 13);
	srtp_impl = impl;
	if (srtp_init() != srtp_err_status_ok)
		return -1;
	if (impl == BENCH_SRTP_OPENSSL && bench_osrtp_selftest() != 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Histogram. */

static size_t
hist_index(uint64_t v)
{
	int b;
	size_t i;

	if (v < 1024)
		return (size_t)v;
	b = 63 - __builtin_clzll(v);
	i = 1024 + (size_t)(b - 10) * 512 + (size_t)((v >> (b - 9)) - 512);
	return i < BENCH_HIST_BUCKETS ? i : BENCH_HIST_BUCKETS - 1;
}

static double
hist_value(size_t i)
{
	size_t b, sub;

	if (i < 1024)
		return (double)i;
	b = (i - 1024) / 512 + 10;
	sub = (i - 1024) % 512;
	/* The middle of the bucket. */
	return ((double)(512 + sub) + 0.5) * (double)(1ULL << (b - 9));
}

int
bench_hist_init(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->b = calloc(BENCH_HIST_BUCKETS, sizeof(*h->b));
	return h->b == NULL ? -1 : 0;
}

void
bench_hist_free(struct bench_hist *h)
{
	free(h->b);
	h->b = NULL;
}

void
bench_hist_add(struct bench_hist *h, uint64_t us)
{
	h->b[hist_index(us)]++;
	h->n++;
	h->sum_us += us;
	if (us > h->max_us)
		h->max_us = us;
}

void
bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	size_t i;

	for (i = 0; i < BENCH_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->n += src->n;
	dst->sum_us += src->sum_us;
	if (src->max_us > dst->max_us)
		dst->max_us = src->max_us;
}

double
bench_hist_quantile(const struct bench_hist *h, double q)
{
	uint64_t want, seen = 0;
	size_t i;

	if (h->n == 0)
		return 0;
	want = (uint64_t)(q * (double)h->n);
	if (want >= h->n)
		want = h->n - 1;
	for (i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen > want) {
			double v = hist_value(i);

			return v > (double)h->max_us ? (double)h->max_us : v;
		}
	}
	return (double)h->max_us;
}

/* ------------------------------------------------------------------ */
/* Streams. */

static int
session(srtp_t *out, uint32_t ssrc, srtp_ssrc_type_t type, uint8_t *key)
{
	srtp_policy_t p;

	memset(&p, 0, sizeof(p));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	p.ssrc.type = type;
	p.ssrc.value = ssrc;
	p.key = key;
	p.window_size = 1024;	/* max mode reorders a little */
	p.allow_repeat_tx = 0;
	p.next = NULL;
	return srtp_create(out, &p) == srtp_err_status_ok ? 0 : -1;
}

int
bench_stream_init(struct bench_stream *s, uint32_t id)
{
	uint8_t key[SRTP_AES_ICM_128_KEY_LEN_WSALT];
	int rv = -1;

	memset(s, 0, sizeof(*s));
	s->id = id;
	if (RAND_bytes((uint8_t *)&s->ssrc, sizeof(s->ssrc)) != 1 ||
	    RAND_bytes((uint8_t *)&s->rtp_ts, sizeof(s->rtp_ts)) != 1 ||
	    RAND_bytes(key, sizeof(key)) != 1)
		goto out;
	s->seq = 1 + (s->ssrc & 0x3fff);	/* a random start, RFC 3550 §5.1 */
	if (srtp_impl == BENCH_SRTP_OPENSSL) {
		if ((s->otx = calloc(1, sizeof(*s->otx))) == NULL ||
		    (s->orx = calloc(1, sizeof(*s->orx))) == NULL ||
		    bench_osrtp_init(s->otx, key) != 0 ||
		    bench_osrtp_init(s->orx, key) != 0) {
			free(s->otx);
			free(s->orx);
			s->otx = s->orx = NULL;
			goto out;
		}
		rv = 0;
		goto out;
	}
	if (session(&s->tx, s->ssrc, ssrc_specific, key) != 0)
		goto out;
	if (session(&s->rx, s->ssrc, ssrc_specific, key) != 0) {
		srtp_dealloc(s->tx);
		s->tx = NULL;
		goto out;
	}
	rv = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rv;
}

void
bench_stream_free(struct bench_stream *s)
{
	if (s->tx != NULL)
		srtp_dealloc(s->tx);
	if (s->rx != NULL)
		srtp_dealloc(s->rx);
	s->tx = s->rx = NULL;
	bench_osrtp_free(s->otx);
	bench_osrtp_free(s->orx);
	free(s->otx);
	free(s->orx);
	s->otx = s->orx = NULL;
}

size_t
bench_stream_packet(struct bench_stream *s, uint8_t *buf, size_t room,
    unsigned payload, int marker, uint64_t now)
{
	struct wr w;
	unsigned n;
	int len;

	if (payload < BENCH_PAYLOAD_MIN || payload > BENCH_PAYLOAD_MAX ||
	    room < 12 + (size_t)payload + SRTP_MAX_TRAILER_LEN)
		return 0;
	wr_init(&w, buf, room);
	wr_u8(&w, 0x80);				/* V=2 */
	wr_u8(&w, (uint8_t)((marker ? 0x80 : 0) | RTP_PT));
	wr_u16(&w, (uint16_t)s->seq);
	wr_u32(&w, s->rtp_ts);
	wr_u32(&w, s->ssrc);
	wr_u32(&w, s->id);
	wr_u32(&w, s->seq);
	wr_u64(&w, now);
	n = payload - PAYLOAD_HEAD;
	wr_bytes(&w, pattern + ((s->seq * 31 + s->id) & 0xff), n);
	if (w.err)
		return 0;
	len = (int)w.len;
	if (s->otx != NULL) {
		size_t l = bench_osrtp_protect(s->otx, buf, w.len, room,
		    s->seq >> 16);

		if (l == 0)
			return 0;
		len = (int)l;
	} else if (srtp_protect(s->tx, buf, &len) != srtp_err_status_ok)
		return 0;
	s->seq++;
	return (size_t)len;
}

int
bench_stream_receive(struct bench_stream *s, uint8_t *buf, size_t len,
    uint64_t now, struct bench_hist *lat)
{
	srtp_err_status_t st;
	const uint8_t *pat;
	struct rd r;
	uint8_t b0, b1;
	uint16_t seq16;
	uint32_t ssrc, id, xseq;
	uint64_t sent;
	int64_t transit, d;
	int n = (int)len;

	if (len < 12 + PAYLOAD_HEAD + 10 || len > BENCH_BUFSZ) {
		s->bad++;
		return -1;
	}
	if (s->orx != NULL) {
		long l = bench_osrtp_unprotect(s->orx, buf, len);

		st = l == -2 ? srtp_err_status_replay_fail : l < 0 ?
		    srtp_err_status_auth_fail : srtp_err_status_ok;
		n = l < 0 ? 0 : (int)l;
	} else
		st = srtp_unprotect(s->rx, buf, &n);
	if (st == srtp_err_status_replay_fail ||
	    st == srtp_err_status_replay_old) {
		s->dup++;
		return -1;
	}
	if (st != srtp_err_status_ok) {
		s->bad++;
		return -1;
	}
	rd_init(&r, buf, (size_t)n);
	b0 = rd_u8(&r);
	b1 = rd_u8(&r);
	seq16 = rd_u16(&r);
	(void)rd_u32(&r);	/* timestamp */
	ssrc = rd_u32(&r);
	id = rd_u32(&r);
	xseq = rd_u32(&r);
	sent = rd_u64(&r);
	if (r.err || b0 != 0x80 || (b1 & 0x7f) != RTP_PT || ssrc != s->ssrc ||
	    id != s->id || (uint16_t)xseq != seq16 || sent > now ||
	    r.left > BENCH_PAYLOAD_MAX ||
	    rd_bytes(&r, &pat, r.left) != 0 ||
	    memcmp(pat, pattern + ((xseq * 31 + id) & 0xff),
	    (size_t)n - 12 - PAYLOAD_HEAD) != 0) {
		s->bad++;
		return -1;
	}
	s->recv++;
	s->bytes += len;
	if (s->any && (int32_t)(xseq - s->highest) < 0)
		s->reordered++;
	else
		s->highest = xseq;
	transit = (int64_t)(now - sent);
	if (s->any) {
		d = transit - s->last_transit;
		if (d < 0)
			d = -d;
		s->jitter += ((double)d - s->jitter) / 16.0;
	}
	s->last_transit = transit;
	s->any = 1;
	if (lat != NULL)
		bench_hist_add(lat, (uint64_t)transit / 1000);
	return 0;
}
