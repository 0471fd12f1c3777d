/*
 * bench.h - meetopia-bench, a TURN load and media client: the pieces shared
 * by its files.
 *
 *   bench_stun.c    STUN/TURN messages: building requests (long-term
 *                   credentials, RFC 8489 §9.2) and strictly parsing the
 *                   server's answers through struct rd (RFC 8489, RFC 8656)
 *   bench_media.c   SRTP-protected RTP streams (libsrtp2,
 *                   AES_CM_128_HMAC_SHA1_80): building, decrypting and
 *                   checking packets; latency histogram and RFC 3550 jitter
 *   bench_turn.c    allocations and their transports (UDP with
 *                   recvmmsg/sendmmsg, TCP, TLS), the built-in UDP peer and
 *                   the worker threads' event loops
 *   bench_report.c  the results: table and JSON
 *   meetopia-bench.c  options and the run's phases
 *
 * Every symbol carries the bench_ prefix so that the tool never clashes with
 * the relay's own STUN code.  A bench sends load to loopback only: the
 * server, the peer and every relayed address the server hands out must be in
 * 127.0.0.0/8 or ::1.
 */
#ifndef MEETOPIA_BENCH_H
#define MEETOPIA_BENCH_H

#include <sys/types.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <srtp2/srtp.h>

#include "common/addr.h"
#include "common/rdwr.h"

#define BENCH_EXIT_RUNTIME	1
#define BENCH_EXIT_USAGE	2

#define BENCH_BUFSZ		2048	/* one datagram or frame, with room */
#define BENCH_BATCH		32	/* recvmmsg/sendmmsg batch */
#define BENCH_PAYLOAD_MAX	1200	/* RTP payload bytes, at most */
#define BENCH_PAYLOAD_MIN	24	/* our header in the payload */
#define BENCH_CHANNEL		0x4000	/* RFC 8656 §12: 0x4000-0x4FFF */

/* ------------------------------------------------------------------ */
/* Options. */

enum bench_transport { BENCH_UDP, BENCH_TCP, BENCH_TLS };
enum bench_mode { BENCH_PAIR, BENCH_PEER };
enum bench_kind { BENCH_NONE, BENCH_RATE, BENCH_MAX };
enum bench_srtp { BENCH_SRTP_LIBSRTP, BENCH_SRTP_OPENSSL };

struct bench_profile {
	const char	*name;
	enum bench_kind	 kind;
	uint32_t	 bitrate;	/* bit/s of RTP payload, BENCH_RATE */
	uint32_t	 fps;		/* frames per second, BENCH_RATE */
};

struct bench_opts {
	struct maddr		 server;
	enum bench_transport	 transport;
	enum bench_mode		 mode;
	int			 builtin_peer;	/* peer mode: our echo peer */
	struct maddr		 peer;		/* peer mode: external peer */
	const char		*secret;
	const char		*user;
	const char		*password;
	const char		*id;		/* ID part of the REST username */
	long long		 ttl;		/* credential lifetime, s */
	unsigned		 allocations;
	unsigned		 threads;
	unsigned		 concurrency;	/* Allocates in flight, per thread */
	double			 duration;	/* media seconds */
	double			 hold;		/* seconds to hold without media */
	struct bench_profile	 profile;
	unsigned		 payload;	/* RTP payload bytes per packet */
	unsigned		 window;	/* max: packets in flight per stream */
	unsigned		 lifetime;	/* LIFETIME asked for; 0 = default */
	const char		*ca;		/* TLS: verify against this CA file */
	int			 json;
	int			 quiet;
	int			 progress;	/* -1 auto, 0 off, 1 on */
	int			 verbose;
	enum bench_srtp		 srtp;
};

/* ------------------------------------------------------------------ */
/* STUN/TURN messages (bench_stun.c). */

#define BENCH_STUN_BINDING		0x0001
#define BENCH_TURN_ALLOCATE		0x0003
#define BENCH_TURN_REFRESH		0x0004
#define BENCH_TURN_SEND			0x0006
#define BENCH_TURN_DATA			0x0007
#define BENCH_TURN_CREATE_PERMISSION	0x0008
#define BENCH_TURN_CHANNEL_BIND		0x0009

#define BENCH_CLASS_REQUEST		0x0000
#define BENCH_CLASS_INDICATION		0x0010
#define BENCH_CLASS_SUCCESS		0x0100
#define BENCH_CLASS_ERROR		0x0110

#define BENCH_REALM_MAX		763
#define BENCH_NONCE_MAX		763
#define BENCH_REASON_MAX	128

/* What a response or indication from the server says. */
struct bench_stun_msg {
	uint16_t	 method;
	uint16_t	 cls;
	uint8_t		 txid[12];
	int		 error_code;		/* 0 when absent */
	char		 reason[BENCH_REASON_MAX];
	const uint8_t	*realm;
	size_t		 realm_len;
	const uint8_t	*nonce;
	size_t		 nonce_len;
	int		 have_relayed, have_mapped, have_peer;
	struct maddr	 relayed, mapped, peer;
	int		 have_lifetime;
	uint32_t	 lifetime;
	const uint8_t	*data;			/* DATA of a Data indication */
	size_t		 data_len;
	size_t		 mi_off;		/* MESSAGE-INTEGRITY offset, 0 if none */
};

/* A request under construction. */
struct bench_req {
	struct wr	 w;
	uint8_t		 buf[1024];
	uint8_t		 txid[12];
};

void	bench_req_begin(struct bench_req *, uint16_t method);
void	bench_req_attr(struct bench_req *, uint16_t type, const void *,
	    size_t);
void	bench_req_u32(struct bench_req *, uint16_t type, uint32_t);
void	bench_req_xor_addr(struct bench_req *, uint16_t type,
	    const struct maddr *);
/* USERNAME, REALM, NONCE, MESSAGE-INTEGRITY (key), FINGERPRINT. */
void	bench_req_auth(struct bench_req *, const char *user,
	    const uint8_t *realm, size_t, const uint8_t *nonce, size_t,
	    const uint8_t key[16]);
void	bench_req_fingerprint(struct bench_req *);
/* Returns the message length, or 0 when it did not fit. */
size_t	bench_req_len(const struct bench_req *);

/*
 * Parses one complete STUN message of exactly len bytes.  Returns 0, or -1
 * for anything malformed (bad header, attribute overrunning, wrong
 * FINGERPRINT, bad address family, ...).
 */
int	bench_stun_parse(const uint8_t *, size_t, struct bench_stun_msg *);
/* Checks MESSAGE-INTEGRITY with the long-term key: 0 good, -1 bad/absent. */
int	bench_stun_check_mi(const uint8_t *, size_t,
	    const struct bench_stun_msg *, const uint8_t key[16]);
/* MD5(user ":" realm ":" password), RFC 8489 §9.2.2. */
void	bench_stun_key(const char *user, const uint8_t *realm, size_t,
	    const char *password, uint8_t key[16]);
uint32_t bench_crc32(const uint8_t *, size_t);

/* ------------------------------------------------------------------ */
/* Media (bench_media.c). */

/* Latency histogram: microseconds, about three significant digits. */
#define BENCH_HIST_BUCKETS	(1024 + 30 * 512)
struct bench_hist {
	uint64_t	 n;
	uint64_t	 max_us;
	uint64_t	 sum_us;
	uint32_t	*b;
};

int	bench_hist_init(struct bench_hist *);
void	bench_hist_free(struct bench_hist *);
void	bench_hist_add(struct bench_hist *, uint64_t us);
void	bench_hist_merge(struct bench_hist *, const struct bench_hist *);
/* The value (us) at quantile q in [0, 1]; 0 when empty. */
double	bench_hist_quantile(const struct bench_hist *, double);

struct bench_alloc;

/*
 * SRTP (RFC 3711, AES_CM_128_HMAC_SHA1_80) on OpenSSL's AES-NI and SHA
 * code: the same bytes as libsrtp2 (checked against it at start), for runs
 * where Debian's libsrtp2 (NSS underneath, a context per packet) would make
 * the client, not the relay, the limit.  --srtp openssl.
 */
struct bench_osrtp {
	void		*cipher;	/* EVP_CIPHER_CTX, keyed */
	void		*mac;		/* EVP_MAC_CTX, keyed */
	uint8_t		 salt[14];
	/* Receiver: RFC 3711 §3.3.1 index estimate and replay window. */
	int		 have;
	uint64_t	 top;		/* highest index seen */
	uint64_t	 win[16];	/* 1024 indexes below top */
};

int	bench_osrtp_init(struct bench_osrtp *, const uint8_t master[30]);
void	bench_osrtp_free(struct bench_osrtp *);
size_t	bench_osrtp_protect(struct bench_osrtp *, uint8_t *, size_t len,
	    size_t room, uint32_t roc);
long	bench_osrtp_unprotect(struct bench_osrtp *, uint8_t *, size_t);
int	bench_osrtp_selftest(void);

/* One direction of media: SRTP packets from src's client to dst's client. */
struct bench_stream {
	uint32_t		 id;
	uint32_t		 ssrc;
	srtp_t			 tx;		/* sender's session */
	srtp_t			 rx;		/* receiver's session */
	struct bench_osrtp	*otx, *orx;	/* --srtp openssl */
	struct bench_alloc	*src;		/* sends through this one */
	struct bench_alloc	*dst;		/* receives on this one */

	/* Sender. */
	uint32_t		 seq;		/* next extended sequence */
	uint32_t		 rtp_ts;
	uint64_t		 sent;		/* packets handed to the kernel */
	uint64_t		 send_fail;	/* not sent: socket full */
	uint64_t		 frames, late_frames;
	uint64_t		 next_due;	/* ns, next frame */
	uint64_t		 written_off;	/* max: presumed lost */
	uint64_t		 last_progress;	/* max: ns */
	struct event		*timer;

	/* Receiver. */
	uint64_t		 recv;		/* good packets */
	uint64_t		 bytes;		/* SRTP bytes of good packets */
	uint64_t		 bad;		/* failed decryption or check */
	uint64_t		 dup;		/* replayed (SRTP replay check) */
	uint64_t		 reordered;
	uint32_t		 highest;	/* highest extended seq seen */
	int			 any;
	double			 jitter;	/* ns, RFC 3550 §6.4.1 */
	int64_t			 last_transit;
};

/* libsrtp2 up; with BENCH_SRTP_OPENSSL also checks our SRTP against it. */
int	bench_media_init(enum bench_srtp);
/* Makes stream id with fresh keys (both sessions). */
int	bench_stream_init(struct bench_stream *, uint32_t id);
void	bench_stream_free(struct bench_stream *);
/*
 * Writes the SRTP packet for the stream's next sequence number into buf
 * (room for payload + 12 + SRTP_MAX_TRAILER_LEN); returns its length or 0.
 */
size_t	bench_stream_packet(struct bench_stream *, uint8_t *, size_t room,
	    unsigned payload, int marker, uint64_t now);
/* Decrypts and checks a received packet in place; updates the counters. */
int	bench_stream_receive(struct bench_stream *, uint8_t *, size_t,
	    uint64_t now, struct bench_hist *);

uint64_t bench_now(void);	/* CLOCK_MONOTONIC, ns */

/* ------------------------------------------------------------------ */
/* Allocations and threads (bench_turn.c). */

/* Counters a thread publishes (relaxed atomics; the owner writes). */
struct bench_counters {
	uint64_t	 alloc_ok;
	uint64_t	 alloc_fail;
	uint64_t	 ready;		/* permissions and channels in place */
	uint64_t	 setup_done;	/* allocations whose setup ended */
	uint64_t	 sent;
	uint64_t	 recv;
	uint64_t	 bytes;
	uint64_t	 bad;
	uint64_t	 peer_recv;	/* our built-in peer */
	uint64_t	 junk;		/* malformed input dropped */
	uint64_t	 first_alloc_ns;
	uint64_t	 last_alloc_ns;
};

enum bench_cmd { BENCH_CMD_NONE, BENCH_CMD_START, BENCH_CMD_STOP,
    BENCH_CMD_TEARDOWN };

struct bench_thread;

struct bench_run {
	struct bench_opts	 o;
	struct bench_thread	**threads;
	unsigned		 nthreads;
	struct bench_alloc	*allocs;	/* o.allocations of them */
	struct bench_stream	*streams;
	unsigned		 nstreams;
	void			*ssl_ctx;	/* SSL_CTX for TLS */
	char			 first_error[256];
	pthread_mutex_t		 errlock;
	uint64_t		 start_ns, stop_ns;
};

int	bench_run_setup(struct bench_run *);
int	bench_threads_start(struct bench_run *);
void	bench_threads_command(struct bench_run *, enum bench_cmd);
void	bench_threads_join(struct bench_run *);
void	bench_run_free(struct bench_run *);
/* Sums of every thread's counters. */
void	bench_counters_sum(struct bench_run *, struct bench_counters *);
/* Merged histograms (after join). */
void	bench_hists(struct bench_run *, struct bench_hist *lat,
	    struct bench_hist *alloc);
/* The first failure, kept for the error line ("allocate: 401 ..."). */
void	bench_note_error(struct bench_run *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

int	bench_addr_is_loopback(const struct maddr *);

/* ------------------------------------------------------------------ */
/* Report (bench_report.c). */

struct bench_result {
	unsigned	 allocations;
	uint64_t	 alloc_ok, alloc_fail, ready;
	double		 alloc_secs;		/* first request to last success */
	double		 alloc_rate;
	double		 alloc_p50_ms, alloc_p99_ms;
	double		 media_secs;
	uint64_t	 streams;
	uint64_t	 sent, recv, bytes, bad, dup, reordered, send_fail;
	uint64_t	 late_frames, frames;
	uint64_t	 relayed;		/* packets through the relay */
	int		 relayed_estimated;
	uint64_t	 lost;
	double		 loss_pct;
	double		 pps, relayed_pps, mbps;
	double		 lat_p50_ms, lat_p99_ms, lat_max_ms, lat_mean_ms;
	double		 jitter_mean_ms, jitter_max_ms;
	uint64_t	 junk;
	double		 client_cpu_pct;	/* of one core, media phase */
};

void	bench_report_table(const struct bench_opts *,
	    const struct bench_result *);
int	bench_report_json(const struct bench_opts *,
	    const struct bench_result *);
const char *bench_transport_name(enum bench_transport);

#endif
