/*
 * raw-loopback.c - the ceiling a relay on this machine is measured against:
 * UDP forwarding over loopback with one recvmmsg and one sendmmsg per packet
 * and nothing else (no TURN, no crypto, no lookup beyond an array).
 *
 * A forwarder process (forked, so its CPU time is its own in /proc) holds
 * one UDP socket per thread on one port (SO_REUSEPORT); a datagram from
 * client port P goes back out to the partner of P.  The parent is the load:
 * FLOWS client sockets in pairs, each keeping WINDOW datagrams in flight to
 * its partner (like meetopia-bench --profile max), epoll, recvmmsg,
 * sendmmsg.  Reports delivered packets per second and the forwarder's CPU
 * seconds per million packets (utime + stime from /proc/PID/stat).
 *
 * Loopback only (127.0.0.1), bounded in time; exits 0, 1 on failure, 2 on
 * bad usage.
 */
#include "config.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* recvmmsg, sendmmsg */
#endif

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/rdwr.h"

#define BATCH		32
#define BUFSZ		2048
#define STALL_NS	(100 * 1000000ULL)

static uint16_t partner_of[65536];	/* client port -> partner's port */
static int fwd_fds[16];

struct flow {
	int		 fd;
	uint16_t	 port;
	unsigned	 partner;	/* index */
	uint64_t	 sent;		/* to the partner */
	uint64_t	 recv;		/* from the partner */
	uint64_t	 written_off;
	uint64_t	 last_progress;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: raw-loopback [--flows N] [--seconds S] [--payload BYTES] "
	    "[--window N]\n"
	    "                    [--forwarder-threads N] [--json]\n"
	    "\n"
	    "UDP forwarding over loopback with one recvmmsg and one sendmmsg "
	    "per packet:\n"
	    "the ceiling for a relay on this machine.\n");
}

/* The forwarder: read a batch, point each datagram at the partner, send. */
static void *
forward_main(void *arg)
{
	int fd = *(int *)arg;
	static __thread uint8_t buf[BATCH][BUFSZ];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in name[BATCH];
	int i, n;

	for (;;) {
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = BUFSZ;
			memset(&msg[i].msg_hdr, 0, sizeof(msg[i].msg_hdr));
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &name[i];
			msg[i].msg_hdr.msg_namelen = sizeof(name[i]);
		}
		n = recvmmsg(fd, msg, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				break;
			continue;
		}
		for (i = 0; i < n; i++) {
			iov[i].iov_len = msg[i].msg_len;
			name[i].sin_port = htons(
			    partner_of[ntohs(name[i].sin_port)]);
		}
		(void)sendmmsg(fd, msg, (unsigned)n, 0);
	}
	return NULL;
}

static void
forwarder(int nthreads)
{
	pthread_t tid[16];
	int i;

	for (i = 1; i < nthreads; i++)
		pthread_create(&tid[i], NULL, forward_main, &fwd_fds[i]);
	forward_main(&fwd_fds[0]);
	_exit(0);
}

static double
proc_cpu(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	struct rd r;
	ssize_t n;
	int fd, field = 2;
	size_t i, start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	/* Fields after the ")" that closes comm: state is field 3. */
	rd_init(&r, buf, (size_t)n);
	for (i = 0; i < (size_t)n; i++) {
		uint8_t c = rd_u8(&r);

		if (c == ')')
			start = i + 1;
	}
	rd_init(&r, buf, (size_t)n);
	rd_skip(&r, start);
	while (r.left > 0 && field <= 15) {
		uint8_t c = rd_u8(&r);

		if (c == ' ')
			field++;
		else if (c >= '0' && c <= '9' && field == 14)
			ut = ut * 10 + (unsigned long)(c - '0');
		else if (c >= '0' && c <= '9' && field == 15)
			st = st * 10 + (unsigned long)(c - '0');
	}
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int
udp_socket(struct sockaddr_in *sin, int reuse)
{
	int fd, one = 1, bufsz = 4 * 1024 * 1024;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (reuse)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	if (bind(fd, (struct sockaddr *)sin, sizeof(*sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static long long
num(const char *what, const char *s, long long lo, long long hi)
{
	const char *err = NULL;
	long long v = strtonum(s, lo, hi, &err);

	if (err != NULL) {
		log_fatalx("%s: %s (%lld to %lld)", what, err, lo, hi);
		exit(2);
	}
	return v;
}

static uint8_t sbuf[BATCH][BUFSZ];
static struct mmsghdr smsg[BATCH];
static struct iovec siov[BATCH];

static void
refill(struct flow *flows, struct flow *f, unsigned window, unsigned payload,
    uint64_t now)
{
	struct flow *p = &flows[f->partner];
	int64_t inflight = (int64_t)(f->sent - p->recv - f->written_off);
	unsigned want, i;
	int k;

	if (inflight < 0) {
		f->written_off = 0;
		inflight = 0;
	}
	if (inflight > (int64_t)window / 2)
		return;
	f->last_progress = now;
	want = window - (unsigned)inflight;
	while (want > 0) {
		unsigned n = want > BATCH ? BATCH : want;

		for (i = 0; i < n; i++) {
			struct wr w;

			wr_init(&w, sbuf[i], BUFSZ);
			wr_u32(&w, f->partner);
			wr_u64(&w, f->sent + i);
			wr_zero(&w, payload - 12);
			siov[i].iov_base = sbuf[i];
			siov[i].iov_len = w.len;
			memset(&smsg[i].msg_hdr, 0, sizeof(smsg[i].msg_hdr));
			smsg[i].msg_hdr.msg_iov = &siov[i];
			smsg[i].msg_hdr.msg_iovlen = 1;
		}
		k = sendmmsg(f->fd, smsg, n, MSG_DONTWAIT);
		if (k <= 0)
			break;
		f->sent += (unsigned)k;
		want -= (unsigned)k;
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "flows", required_argument, NULL, 'f' },
		{ "seconds", required_argument, NULL, 's' },
		{ "payload", required_argument, NULL, 'p' },
		{ "window", required_argument, NULL, 'w' },
		{ "forwarder-threads", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned nflows = 20, seconds = 5, payload = 1126, window = 32;
	unsigned fthreads = 1, i;
	int c, json = 0, ep, status;
	struct sockaddr_in fwd, any;
	socklen_t sl = sizeof(fwd);
	struct flow *flows;
	struct epoll_event ev, evs[64];
	uint8_t rbuf[BATCH][BUFSZ];
	struct mmsghdr rmsg[BATCH];
	struct iovec riov[BATCH];
	uint64_t t0, t_end, recv_total = 0, bad = 0, last_tick;
	double cpu0, cpu1, secs;
	struct rusage ru0, ru1;
	pid_t pid;

	log_init("raw-loopback", LOG_LEVEL_WARN);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			nflows = (unsigned)num("flows", optarg, 2, 10000);
			break;
		case 's':
			seconds = (unsigned)num("seconds", optarg, 1, 60);
			break;
		case 'p':
			payload = (unsigned)num("payload", optarg, 12, 1400);
			break;
		case 'w':
			window = (unsigned)num("window", optarg, 1, 4096);
			break;
		case 't':
			fthreads = (unsigned)num("forwarder-threads", optarg,
			    1, 16);
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			log_fatalx("%s: unknown option", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc || nflows % 2 != 0) {
		log_fatalx("flows: an even number, and no arguments");
		return 2;
	}

	memset(&any, 0, sizeof(any));
	any.sin_family = AF_INET;
	any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fwd_fds[0] = udp_socket(&any, 1)) == -1 ||
	    getsockname(fwd_fds[0], (struct sockaddr *)&fwd, &sl) != 0) {
		log_fatalx("forwarder socket: %s", strerror(errno));
		return 1;
	}
	for (i = 1; i < fthreads; i++)
		if ((fwd_fds[i] = udp_socket(&fwd, 1)) == -1) {
			log_fatalx("forwarder socket: %s", strerror(errno));
			return 1;
		}
	if ((flows = calloc(nflows, sizeof(*flows))) == NULL)
		return 1;
	for (i = 0; i < nflows; i++) {
		struct sockaddr_in me;
		socklen_t ml = sizeof(me);

		if ((flows[i].fd = udp_socket(&any, 0)) == -1 ||
		    connect(flows[i].fd, (struct sockaddr *)&fwd,
		    sizeof(fwd)) != 0 ||
		    getsockname(flows[i].fd, (struct sockaddr *)&me, &ml) != 0) {
			log_fatalx("client socket: %s", strerror(errno));
			return 1;
		}
		fcntl(flows[i].fd, F_SETFL, O_NONBLOCK);
		flows[i].port = ntohs(me.sin_port);
		flows[i].partner = i ^ 1;
	}
	for (i = 0; i < nflows; i++)
		partner_of[flows[i].port] = flows[i ^ 1].port;

	if ((pid = fork()) == -1) {
		log_fatalx("fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		for (i = 0; i < nflows; i++)
			close(flows[i].fd);
		forwarder((int)fthreads);
	}
	for (i = 0; i < fthreads; i++)
		close(fwd_fds[i]);

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return 1;
	for (i = 0; i < nflows; i++) {
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		epoll_ctl(ep, EPOLL_CTL_ADD, flows[i].fd, &ev);
	}
	usleep(100000);
	getrusage(RUSAGE_SELF, &ru0);
	cpu0 = proc_cpu(pid);
	t0 = now_ns();
	t_end = t0 + (uint64_t)seconds * 1000000000ULL;
	for (i = 0; i < nflows; i++)
		refill(flows, &flows[i], window, payload, t0);
	last_tick = t0;
	while (now_ns() < t_end) {
		int n = epoll_wait(ep, evs, 64, 10), k, j;
		uint64_t now = now_ns();

		for (k = 0; k < n; k++) {
			struct flow *f = &flows[evs[k].data.u32];
			int m;

			for (j = 0; j < BATCH; j++) {
				riov[j].iov_base = rbuf[j];
				riov[j].iov_len = BUFSZ;
				memset(&rmsg[j].msg_hdr, 0,
				    sizeof(rmsg[j].msg_hdr));
				rmsg[j].msg_hdr.msg_iov = &riov[j];
				rmsg[j].msg_hdr.msg_iovlen = 1;
			}
			m = recvmmsg(f->fd, rmsg, BATCH, MSG_DONTWAIT, NULL);
			for (j = 0; j < m; j++) {
				struct rd r;
				uint32_t to;

				rd_init(&r, rbuf[j], rmsg[j].msg_len);
				to = rd_u32(&r);
				if (r.err || to != evs[k].data.u32) {
					bad++;
					continue;
				}
				f->recv++;
				recv_total++;
			}
			refill(flows, &flows[f->partner], window, payload, now);
		}
		if (now - last_tick > 10000000ULL) {
			last_tick = now;
			for (i = 0; i < nflows; i++) {
				struct flow *f = &flows[i];
				int64_t inflight = (int64_t)(f->sent -
				    flows[f->partner].recv - f->written_off);

				if (inflight > 0 &&
				    now - f->last_progress > STALL_NS) {
					f->written_off += (uint64_t)inflight;
					f->last_progress = now;
				}
				refill(flows, f, window, payload, now);
			}
		}
	}
	secs = (double)(now_ns() - t0) / 1e9;
	cpu1 = proc_cpu(pid);
	getrusage(RUSAGE_SELF, &ru1);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	{
		double gen = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
		    (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
		    (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
		    (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
		double pps = (double)recv_total / secs;
		double cpm = recv_total ? (cpu1 - cpu0) / ((double)recv_total /
		    1e6) : 0;

		if (json)
			printf("{\"flows\": %u, \"payload\": %u, \"window\": %u, "
			    "\"forwarder_threads\": %u, \"seconds\": %.3f, "
			    "\"packets\": %llu, \"pps\": %.0f, "
			    "\"forwarder_cpu_seconds\": %.3f, "
			    "\"cpu_seconds_per_mpkt\": %.3f, "
			    "\"generator_cpu_percent\": %.0f, \"bad\": %llu}\n",
			    nflows, payload, window, fthreads, secs,
			    (unsigned long long)recv_total, pps, cpu1 - cpu0,
			    cpm, 100 * gen / secs, (unsigned long long)bad);
		else
			printf("raw loopback: %llu packets in %.2f s = %.0f "
			    "pps; forwarder %.3f CPU s (%.3f per Mpkt); "
			    "generator %.0f%% CPU\n",
			    (unsigned long long)recv_total, secs, pps,
			    cpu1 - cpu0, cpm, 100 * gen / secs);
	}
	return recv_total > 0 && bad == 0 ? 0 : 1;
}
