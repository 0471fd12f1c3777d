/*
 * meetopia-bench.c - a TURN load and media client.
 *
 * Opens N allocations on a TURN server with REST credentials (username
 * EXPIRY:ID, password base64(HMAC-SHA1(secret, username))) over UDP, TCP or
 * TLS, pairs them client-to-client through the relay (a WebRTC call: each
 * permits the other's relayed address, binds a channel, sends ChannelData)
 * or to a UDP echo peer, and streams SRTP-protected RTP at a media profile;
 * every packet is decrypted and checked at the far end.  Reports allocation
 * rate, relayed packets per second, Mbit/s, loss, latency percentiles and
 * RFC 3550 jitter, as a table or as JSON.
 *
 * Loopback only: the server, the peer and every relayed address must be in
 * 127.0.0.0/8 or ::1; a bench never sends load anywhere else.
 *
 * Phases: setup (allocate, permit, bind), then hold (--profile none) or
 * media for --duration seconds, a short drain, and deallocation.
 *
 * Exit codes: 0 done, 1 runtime failure (server unreachable, allocation
 * refused, packets that failed the SRTP check), 2 bad usage.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/time.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "tools/bench.h"

static const struct bench_profile profiles[] = {
	{ "480p15", BENCH_RATE, 500000, 15 },	/* the default */
	{ "1080p30", BENCH_RATE, 3000000, 30 },
	{ "audio", BENCH_RATE, 32000, 50 },
	{ "max", BENCH_MAX, 0, 0 },
	{ "none", BENCH_NONE, 0, 0 },
};

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	interrupted = 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: meetopia-bench [options]\n"
	    "\n"
	    "TURN load and media client: opens allocations with REST "
	    "credentials and\n"
	    "streams SRTP-protected RTP through the relay (loopback only).\n"
	    "\n"
	    "  -s, --server ADDR        TURN server (default 127.0.0.1; "
	    "127.0.0.0/8 or ::1)\n"
	    "  -p, --port PORT          TURN port (default 3478, TLS 5349)\n"
	    "  -t, --transport T        udp, tcp or tls (default udp)\n"
	    "  --secret SECRET          REST secret: username EXPIRY:ID, "
	    "password HMAC\n"
	    "  --user NAME --password P fixed credentials instead of "
	    "--secret\n"
	    "  --id ID                  ID of REST usernames (default "
	    "benchN per allocation)\n"
	    "  --ttl SECONDS            REST credential lifetime (default "
	    "3600)\n"
	    "  -n, --allocations N      allocations (default 2; even in pair "
	    "mode)\n"
	    "  -m, --mode M             pair (client to client through the "
	    "relay) or peer\n"
	    "                           (to a UDP echo peer; default pair)\n"
	    "  --peer ADDR:PORT         external UDP echo peer (loopback), "
	    "e.g. turnutils_peer;\n"
	    "                           implies --mode peer (default: a "
	    "built-in one)\n"
	    "  -P, --profile P          audio (32 kbit/s, 50 packets/s), "
	    "480p15 (~0.5 Mbit/s),\n"
	    "                           1080p30 (~3 Mbit/s), max, or none "
	    "(allocate and hold;\n"
	    "                           default 480p15)\n"
	    "  --fps N                  frames (packets, for audio) per "
	    "second instead of the\n"
	    "                           profile's, each of the same size\n"
	    "  -d, --duration SECONDS   media time (default 10)\n"
	    "  --hold SECONDS           hold the allocations this long before "
	    "media or,\n"
	    "                           with --profile none, before leaving "
	    "(default 0)\n"
	    "  --payload BYTES          RTP payload per packet, at most "
	    "(default 1100)\n"
	    "  --window N               max: packets in flight per stream "
	    "(default 32)\n"
	    "  --threads N              event loops (default 1)\n"
	    "  --concurrency N          Allocates in flight per thread "
	    "(default 64)\n"
	    "  --lifetime SECONDS       LIFETIME to ask for (default: the "
	    "server's)\n"
	    "  --ca FILE                TLS: verify the server against this "
	    "CA\n"
	    "  --srtp IMPL              libsrtp2 (default) or openssl: the "
	    "same SRTP on\n"
	    "                           OpenSSL's AES-NI/SHA code, checked "
	    "against libsrtp2\n"
	    "                           at start (for max, where libsrtp2 "
	    "would be the limit)\n"
	    "  --json                   one JSON document on stdout\n"
	    "  --progress, --no-progress  progress line on stderr (default: "
	    "runs of 10 s or more)\n"
	    "  -q, --quiet              no progress line\n"
	    "  -v, --verbose            report every failed allocation\n"
	    "  -h, --help               this help\n"
	    "  --version                print the version\n"
	    "\n"
	    "See meetopia-bench(1).\n");
}

static void
usage_error(const char *what, const char *why)
{
	log_fatalx("%s: %s", what, why);
	exit(BENCH_EXIT_USAGE);
}

static long long
number(const char *opt, const char *s, long long lo, long long hi)
{
	const char *err = NULL;
	long long v;

	v = strtonum(s, lo, hi, &err);
	if (err != NULL) {
		char why[96];

		snprintf(why, sizeof(why), "%s (%lld to %lld)", err, lo, hi);
		usage_error(opt, why);
	}
	return v;
}

/* "127.0.0.1:5000" or "[::1]:5000", strictly. */
static int
parse_hostport(const char *s, struct maddr *a)
{
	char host[ADDR_STRLEN];
	const char *colon, *err = NULL;
	size_t hl;
	long long port;

	if ((colon = strrchr(s, ':')) == NULL)
		return -1;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host) || hl == 0)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']')
			return -1;
		host[hl - 1] = '\0';
		memmove(host, host + 1, hl - 1);
	}
	if (addr_parse(host, a) != 0)
		return -1;
	port = strtonum(colon + 1, 1, 65535, &err);
	if (err != NULL)
		return -1;
	a->port = (uint16_t)port;
	return 0;
}

enum {
	OPT_SECRET = 256, OPT_USER, OPT_PASSWORD, OPT_ID, OPT_TTL, OPT_PEER,
	OPT_HOLD, OPT_PAYLOAD, OPT_WINDOW, OPT_THREADS, OPT_CONCURRENCY,
	OPT_LIFETIME, OPT_CA, OPT_JSON, OPT_PROGRESS, OPT_NO_PROGRESS,
	OPT_SRTP, OPT_FPS, OPT_VERSION
};

static const struct option longopts[] = {
	{ "server", required_argument, NULL, 's' },
	{ "port", required_argument, NULL, 'p' },
	{ "transport", required_argument, NULL, 't' },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "user", required_argument, NULL, OPT_USER },
	{ "password", required_argument, NULL, OPT_PASSWORD },
	{ "id", required_argument, NULL, OPT_ID },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "allocations", required_argument, NULL, 'n' },
	{ "mode", required_argument, NULL, 'm' },
	{ "peer", required_argument, NULL, OPT_PEER },
	{ "profile", required_argument, NULL, 'P' },
	{ "duration", required_argument, NULL, 'd' },
	{ "hold", required_argument, NULL, OPT_HOLD },
	{ "payload", required_argument, NULL, OPT_PAYLOAD },
	{ "fps", required_argument, NULL, OPT_FPS },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
	{ "lifetime", required_argument, NULL, OPT_LIFETIME },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "srtp", required_argument, NULL, OPT_SRTP },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static void
parse_args(int argc, char **argv, struct bench_opts *o)
{
	const char *server = "127.0.0.1", *mode = NULL;
	long long port = -1;
	char why[160];
	size_t i;
	unsigned fps = 0;
	int c;

	memset(o, 0, sizeof(*o));
	o->transport = BENCH_UDP;
	o->mode = BENCH_PAIR;
	o->builtin_peer = 1;
	o->ttl = 3600;
	o->allocations = 2;
	o->threads = 1;
	o->concurrency = 64;
	o->duration = 10;
	o->profile = profiles[0];
	o->payload = 1100;
	o->window = 32;
	o->progress = -1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:p:t:n:m:P:d:qvh", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 's':
			server = optarg;
			break;
		case 'p':
			port = number("port", optarg, 1, 65535);
			break;
		case 't':
			if (strcmp(optarg, "udp") == 0)
				o->transport = BENCH_UDP;
			else if (strcmp(optarg, "tcp") == 0)
				o->transport = BENCH_TCP;
			else if (strcmp(optarg, "tls") == 0)
				o->transport = BENCH_TLS;
			else
				usage_error("transport", "must be udp, tcp or "
				    "tls");
			break;
		case OPT_SECRET:
			if (optarg[0] == '\0')
				usage_error("secret", "empty");
			o->secret = optarg;
			break;
		case OPT_USER:
			if (optarg[0] == '\0' || strlen(optarg) > 512)
				usage_error("user", "empty or longer than 512 "
				    "bytes");
			o->user = optarg;
			break;
		case OPT_PASSWORD:
			if (strlen(optarg) > 512)
				usage_error("password", "longer than 512 "
				    "bytes");
			o->password = optarg;
			break;
		case OPT_ID:
			for (i = 0; optarg[i] != '\0'; i++)
				if (optarg[i] == ':' ||
				    (unsigned char)optarg[i] < 0x21 ||
				    optarg[i] == 0x7f)
					usage_error("id", "no ':', space or "
					    "control characters");
			if (i == 0 || i > 100)
				usage_error("id", "1 to 100 characters");
			o->id = optarg;
			break;
		case OPT_TTL:
			o->ttl = number("ttl", optarg, 60, 86400 * 365);
			break;
		case 'n':
			o->allocations = (unsigned)number("allocations", optarg,
			    1, 100000);
			break;
		case 'm':
			mode = optarg;
			break;
		case OPT_PEER:
			if (parse_hostport(optarg, &o->peer) != 0)
				usage_error("peer", "not ADDR:PORT with a "
				    "literal address");
			o->builtin_peer = 0;
			break;
		case 'P':
			for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]);
			    i++)
				if (strcmp(optarg, profiles[i].name) == 0)
					break;
			if (i == sizeof(profiles) / sizeof(profiles[0]))
				usage_error("profile", "must be audio, "
				    "480p15, 1080p30, max or none");
			o->profile = profiles[i];
			break;
		case 'd':
			o->duration = (double)number("duration", optarg, 1,
			    86400);
			break;
		case OPT_HOLD:
			o->hold = (double)number("hold", optarg, 0, 86400);
			break;
		case OPT_FPS:
			fps = (unsigned)number("fps", optarg, 1, 1000);
			break;
		case OPT_PAYLOAD:
			o->payload = (unsigned)number("payload", optarg,
			    BENCH_PAYLOAD_MIN, BENCH_PAYLOAD_MAX);
			break;
		case OPT_WINDOW:
			o->window = (unsigned)number("window", optarg, 1,
			    4096);
			break;
		case OPT_THREADS:
			o->threads = (unsigned)number("threads", optarg, 1, 64);
			break;
		case OPT_CONCURRENCY:
			o->concurrency = (unsigned)number("concurrency", optarg,
			    1, 10000);
			break;
		case OPT_LIFETIME:
			o->lifetime = (unsigned)number("lifetime", optarg, 60,
			    86400);
			break;
		case OPT_CA:
			o->ca = optarg;
			break;
		case OPT_SRTP:
			if (strcmp(optarg, "libsrtp2") == 0)
				o->srtp = BENCH_SRTP_LIBSRTP;
			else if (strcmp(optarg, "openssl") == 0)
				o->srtp = BENCH_SRTP_OPENSSL;
			else
				usage_error("srtp", "must be libsrtp2 or "
				    "openssl");
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_PROGRESS:
			o->progress = 1;
			break;
		case OPT_NO_PROGRESS:
			o->progress = 0;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("meetopia-bench %s\n", PACKAGE_VERSION);
			exit(0);
		case ':':
			snprintf(why, sizeof(why), "%s",
			    optopt != 0 ? "needs a value" : "needs a value");
			usage_error(argv[optind - 1], why);
			break;
		default:
			usage_error(argv[optind - 1], "unknown option");
		}
	}
	if (optind < argc)
		usage_error(argv[optind], "unexpected argument");
	if (fps != 0) {
		/* The profile's frame size at another frame rate. */
		if (o->profile.kind != BENCH_RATE)
			usage_error("fps", "only with audio, 480p15 or 1080p30");
		o->profile.bitrate = (uint32_t)((uint64_t)o->profile.bitrate *
		    fps / o->profile.fps);
		o->profile.fps = fps;
	}

	if (addr_parse(server, &o->server) != 0)
		usage_error("server", "not a literal IPv4 or IPv6 address");
	if (!bench_addr_is_loopback(&o->server))
		usage_error("server", "not a loopback address (127.0.0.0/8 or "
		    "::1): a bench sends load to loopback only");
	o->server.port = (uint16_t)(port != -1 ? port :
	    o->transport == BENCH_TLS ? 5349 : 3478);
	if (mode != NULL) {
		if (strcmp(mode, "pair") == 0)
			o->mode = BENCH_PAIR;
		else if (strcmp(mode, "peer") == 0)
			o->mode = BENCH_PEER;
		else
			usage_error("mode", "must be pair or peer");
	}
	if (!o->builtin_peer) {
		if (mode != NULL && o->mode == BENCH_PAIR)
			usage_error("peer", "only with --mode peer");
		o->mode = BENCH_PEER;
		if (!bench_addr_is_loopback(&o->peer))
			usage_error("peer", "not a loopback address: a bench "
			    "sends load to loopback only");
		if (o->peer.family != AF_INET)
			usage_error("peer", "must be IPv4 (the relayed "
			    "address family)");
	}
	if (o->mode == BENCH_PAIR && o->allocations % 2 != 0)
		usage_error("allocations", "must be even in pair mode");
	if (o->secret != NULL && (o->user != NULL || o->password != NULL))
		usage_error("secret", "either --secret or --user/--password");
	if (o->secret == NULL && (o->user == NULL || o->password == NULL))
		usage_error("credentials", "--secret, or --user and --password, "
		    "are required");
	if (o->id != NULL && o->secret == NULL)
		usage_error("id", "only with --secret");
	if (o->ca != NULL && o->transport != BENCH_TLS)
		usage_error("ca", "only with --transport tls");
	if (o->ca != NULL && access(o->ca, R_OK) != 0)
		usage_error(o->ca, strerror(errno));
	if (o->threads > o->allocations)
		o->threads = o->allocations;
	if (o->mode == BENCH_PAIR && o->threads > o->allocations / 2)
		o->threads = o->allocations / 2;
	if (o->progress == -1)
		o->progress = !o->quiet && o->duration + o->hold >= 10;
	if (o->quiet)
		o->progress = 0;
}

/* Open files for N sockets, and some. */
static void
raise_nofile(unsigned n)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)n + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want) {
		log_fatalx("allocations: %u need %llu open files, the limit is "
		    "%llu", n, (unsigned long long)want,
		    (unsigned long long)rl.rlim_max);
		exit(BENCH_EXIT_RUNTIME);
	}
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_fatalx("setrlimit: %s", strerror(errno));
		exit(BENCH_EXIT_RUNTIME);
	}
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !interrupted)
		;
}

struct progress {
	int		 on, tty;
	uint64_t	 tick_ns;		/* last tick */
	uint64_t	 last_ns, last_recv, last_bytes;	/* last line */
	unsigned	 ticks;
	int		 dirty;
};

static void
progress_line(struct progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
progress_line(struct progress *p, const char *fmt, ...)
{
	char line[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (p->tty) {
		fprintf(stderr, "\r\033[Kmeetopia-bench: %s", line);
		p->dirty = 1;
	} else
		fprintf(stderr, "meetopia-bench: %s\n", line);
	fflush(stderr);
}

static void
progress_end(struct progress *p)
{
	if (p->dirty)
		fputc('\n', stderr);
	p->dirty = 0;
}

/* A line a second on a terminal, every five seconds otherwise. */
static int
progress_due(struct progress *p)
{
	uint64_t now = bench_now();

	if (!p->on || now - p->tick_ns < 1000000000ULL)
		return 0;
	p->tick_ns = now;
	p->ticks++;
	return p->tty || p->ticks % 5 == 0;
}

static void
compute(struct bench_run *run, const struct bench_counters *c,
    const struct bench_counters *at_stop, double cpu, struct bench_result *r)
{
	const struct bench_opts *o = &run->o;
	struct bench_hist lat, al;
	unsigned i, njit = 0;
	double jsum = 0;

	memset(r, 0, sizeof(*r));
	r->allocations = o->allocations;
	r->alloc_ok = c->alloc_ok;
	r->alloc_fail = o->allocations - c->alloc_ok;
	r->ready = c->ready;
	r->junk = c->junk;
	if (c->last_alloc_ns > c->first_alloc_ns && c->first_alloc_ns != 0) {
		r->alloc_secs = (double)(c->last_alloc_ns - c->first_alloc_ns) /
		    1e9;
		r->alloc_rate = (double)c->alloc_ok / r->alloc_secs;
	}
	if (bench_hist_init(&lat) == 0 && bench_hist_init(&al) == 0) {
		bench_hists(run, &lat, &al);
		r->alloc_p50_ms = bench_hist_quantile(&al, 0.5) / 1e3;
		r->alloc_p99_ms = bench_hist_quantile(&al, 0.99) / 1e3;
		r->lat_p50_ms = bench_hist_quantile(&lat, 0.5) / 1e3;
		r->lat_p99_ms = bench_hist_quantile(&lat, 0.99) / 1e3;
		r->lat_max_ms = (double)lat.max_us / 1e3;
		r->lat_mean_ms = lat.n ? (double)lat.sum_us / lat.n / 1e3 : 0;
	}
	bench_hist_free(&lat);
	bench_hist_free(&al);
	if (o->profile.kind == BENCH_NONE)
		return;
	r->media_secs = run->stop_ns > run->start_ns ?
	    (double)(run->stop_ns - run->start_ns) / 1e9 : 0;
	for (i = 0; i < run->nstreams; i++) {
		const struct bench_stream *s = &run->streams[i];

		if (s->sent == 0 && s->recv == 0)
			continue;
		r->streams++;
		r->sent += s->sent;
		r->recv += s->recv;
		r->bytes += s->bytes;
		r->bad += s->bad;
		r->dup += s->dup;
		r->reordered += s->reordered;
		r->send_fail += s->send_fail;
		r->late_frames += s->late_frames;
		r->frames += s->frames;
		if (s->recv > 1) {
			jsum += s->jitter;
			njit++;
			if (s->jitter / 1e6 > r->jitter_max_ms)
				r->jitter_max_ms = s->jitter / 1e6;
		}
	}
	r->jitter_mean_ms = njit ? jsum / njit / 1e6 : 0;
	r->lost = r->sent > r->recv + r->bad ? r->sent - r->recv - r->bad : 0;
	r->loss_pct = r->sent ? 100.0 * (double)r->lost / (double)r->sent : 0;
	if (o->mode == BENCH_PAIR)
		r->relayed = r->recv;
	else if (o->builtin_peer)
		r->relayed = r->recv + c->peer_recv;
	else {
		r->relayed = 2 * r->recv;
		r->relayed_estimated = 1;
	}
	if (r->media_secs > 0) {
		uint64_t relayed_at_stop = o->mode == BENCH_PAIR ?
		    at_stop->recv : o->builtin_peer ?
		    at_stop->recv + at_stop->peer_recv : 2 * at_stop->recv;

		r->pps = (double)at_stop->recv / r->media_secs;
		r->relayed_pps = (double)relayed_at_stop / r->media_secs;
		r->mbps = (double)at_stop->bytes * 8 / r->media_secs / 1e6;
		r->client_cpu_pct = 100.0 * cpu / r->media_secs;
	}
}

int
main(int argc, char **argv)
{
	struct bench_run run;
	struct bench_counters c, at_stop;
	struct bench_result res;
	struct progress pg;
	struct sigaction sa;
	uint64_t deadline, t0, end;
	double cpu0, cpu = 0;
	int rv = 0;

	log_init("meetopia-bench", LOG_LEVEL_WARN);
	memset(&run, 0, sizeof(run));
	parse_args(argc, argv, &run.o);
	raise_nofile(run.o.allocations + run.o.threads * 4);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	memset(&pg, 0, sizeof(pg));
	pg.on = run.o.progress;
	pg.tty = isatty(STDERR_FILENO);
	memset(&at_stop, 0, sizeof(at_stop));

	if (bench_media_init(run.o.srtp) != 0) {
		log_fatalx("srtp: %s", run.o.srtp == BENCH_SRTP_OPENSSL ?
		    "the OpenSSL SRTP does not match libsrtp2" :
		    "cannot initialise libsrtp2");
		return BENCH_EXIT_RUNTIME;
	}
	if (bench_run_setup(&run) != 0 || bench_threads_start(&run) != 0) {
		log_fatalx("setup: %s", run.first_error[0] ? run.first_error :
		    "out of memory");
		bench_threads_join(&run);
		bench_run_free(&run);
		return BENCH_EXIT_RUNTIME;
	}

	/* Setup: every allocation ends ready or failed. */
	t0 = bench_now();
	deadline = t0 + (60ULL + run.o.allocations / 100) * 1000000000ULL;
	for (;;) {
		bench_counters_sum(&run, &c);
		if (c.setup_done >= run.o.allocations || interrupted ||
		    bench_now() > deadline)
			break;
		if (progress_due(&pg)) {
			progress_line(&pg, "setup: %llu/%u allocated, %llu "
			    "ready, %llu failed", (unsigned long long)c.alloc_ok,
			    run.o.allocations, (unsigned long long)c.ready,
			    (unsigned long long)c.alloc_fail);
		}
		sleep_ms(20);
	}
	progress_end(&pg);
	if (c.setup_done < run.o.allocations && !interrupted)
		bench_note_error(&run, "setup: %llu of %u allocations not "
		    "ready in time", (unsigned long long)(run.o.allocations -
		    c.setup_done), run.o.allocations);

	if (c.ready > 0 && !interrupted && run.o.hold > 0) {
		if (!run.o.quiet)
			fprintf(stderr, "meetopia-bench: holding %llu "
			    "allocations for %.0f s\n",
			    (unsigned long long)c.alloc_ok, run.o.hold);
		end = bench_now() + (uint64_t)(run.o.hold * 1e9);
		while (bench_now() < end && !interrupted)
			sleep_ms(50);
	}

	if (c.ready > 0 && !interrupted && run.o.profile.kind != BENCH_NONE) {
		cpu0 = cpu_seconds();
		run.start_ns = bench_now() + 10000000ULL;
		bench_threads_command(&run, BENCH_CMD_START);
		end = run.start_ns + (uint64_t)(run.o.duration * 1e9);
		pg.last_ns = pg.tick_ns = bench_now();
		bench_counters_sum(&run, &c);
		pg.last_recv = c.recv;
		pg.last_bytes = c.bytes;
		pg.ticks = 0;
		while (bench_now() < end && !interrupted) {
			sleep_ms(end - bench_now() > 100000000ULL ? 100 :
			    (unsigned)((end - bench_now()) / 1000000) + 1);
			if (progress_due(&pg)) {
				uint64_t now = bench_now();
				double dt = (double)(now - pg.last_ns) / 1e9;

				bench_counters_sum(&run, &c);
				progress_line(&pg, "%.0f/%.0f s, %llu ready, "
				    "%.0f pkt/s, %.1f Mbit/s, %llu in flight, "
				    "%llu bad", (double)(now - run.start_ns) /
				    1e9, run.o.duration,
				    (unsigned long long)c.ready,
				    (double)(c.recv - pg.last_recv) / dt,
				    (double)(c.bytes - pg.last_bytes) * 8 / dt /
				    1e6, (unsigned long long)(c.sent > c.recv +
				    c.bad ? c.sent - c.recv - c.bad : 0),
				    (unsigned long long)c.bad);
				pg.last_ns = now;
				pg.last_recv = c.recv;
				pg.last_bytes = c.bytes;
			}
		}
		bench_threads_command(&run, BENCH_CMD_STOP);
		run.stop_ns = bench_now();
		cpu = cpu_seconds() - cpu0;
		bench_counters_sum(&run, &at_stop);
		progress_end(&pg);
		/* Drain: what is in flight arrives or is lost. */
		end = bench_now() + 1000000000ULL;
		while (bench_now() < end) {
			sleep_ms(20);
			bench_counters_sum(&run, &c);
			if (c.recv + c.bad >= c.sent)
				break;
		}
	}

	bench_threads_command(&run, BENCH_CMD_TEARDOWN);
	bench_threads_join(&run);
	bench_counters_sum(&run, &c);
	compute(&run, &c, &at_stop, cpu, &res);
	if (run.o.json)
		bench_report_json(&run.o, &res);
	else
		bench_report_table(&run.o, &res);
	fflush(stdout);

	if (interrupted) {
		log_fatalx("interrupted");
		rv = BENCH_EXIT_RUNTIME;
	} else if (c.ready == 0) {
		log_fatalx("%s", run.first_error[0] ? run.first_error :
		    "no allocation became ready");
		rv = BENCH_EXIT_RUNTIME;
	} else if (res.alloc_fail > 0 || c.ready < run.o.allocations) {
		log_fatalx("%llu of %u allocations not ready: %s",
		    (unsigned long long)(run.o.allocations - c.ready),
		    run.o.allocations, run.first_error[0] ? run.first_error :
		    "unknown");
		rv = BENCH_EXIT_RUNTIME;
	} else if (res.bad > 0) {
		log_fatalx("media check: %llu packets failed SRTP "
		    "decryption or verification", (unsigned long long)res.bad);
		rv = BENCH_EXIT_RUNTIME;
	}
	bench_run_free(&run);
	srtp_shutdown();
	return rv;
}
