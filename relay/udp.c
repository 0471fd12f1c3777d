/*
 * udp.c - STUN/TURN over UDP: the listeners on turn-port and the relayed
 * sockets of allocations, on libevent (RFC 8656 §3.1, the UDP transport).
 *
 * Thin glue, per event loop (struct relay_loop): each readable socket is
 * drained with recvmmsg() in batches of RELAY_BATCH datagrams into the
 * loop's buffers, and each datagram goes to the protocol functions of
 * relay/turn.h whole.  With relay-threads each worker loop has its own
 * listener on turn-port (SO_REUSEPORT) and opens its allocations'
 * relayed sockets on its own event base.  Truncated datagrams
 * (larger than TURN_BUF_MAX) are dropped.
 *
 * What the protocol sends while a batch is handled is queued (struct
 * relay_out: the payload stays where it was received, only headers are
 * copied) and leaves with one sendmmsg() per run of datagrams for one
 * socket when the batch ends: relayed media between two clients of the
 * listener costs two system calls per batch instead of one per packet.
 * Within such a run, consecutive datagrams for one destination of one
 * size (the last may be shorter) leave as one sendmsg() with UDP GSO
 * (UDP_SEGMENT): the kernel cuts them back into the same datagrams, and
 * a video frame's packets cross the stack once.  A kernel that refuses
 * GSO turns it off for the loop (sendmmsg() only, as before).  So that
 * those runs form at moderate rates too, a listener whose wakeup brought
 * fewer than UDP_HOLD_MIN datagrams is off the loop for UDP_HOLD_US
 * (500 us, on a timerfd: libevent's timers round up to a millisecond
 * unless the whole base pays for precise ones) and then reads the
 * rest of the frame in one batch: fewer wakeups and system calls for at
 * most half a millisecond more on a datagram's way.
 * On a worker thread the queue is sent when the loop's iteration ends
 * (udp_iteration_end()), so that the small batches of many steering
 * sockets leave together; the next batch is read into the receive slots
 * after those queued datagrams still point into.
 * Outside a batch (TCP, timers) sends go at once.  Sends never block: a
 * full socket buffer drops the datagram, as UDP would.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* recvmmsg */
#endif
#include <sys/socket.h>
#include <sys/timerfd.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/clock.h"
#include "common/log.h"
#include "relay/relay_int.h"

#define UDP_SOCKBUF	(4 * 1024 * 1024)
/* A listener takes every client's datagrams: when the process may
 * (CAP_NET_ADMIN, before privileges are dropped) its receive buffer is
 * this, past net.core.rmem_max, to ride out a loop that could not run
 * for a while (a busy machine); else UDP_SOCKBUF, as the kernel caps it. */
#define UDP_LISTEN_RCVBUF	(16 * 1024 * 1024)
/* GSO sends: at most this many segments (the kernel's UDP_MAX_SEGMENTS
 * of older kernels), bytes, and bytes a segment (within a 1500-byte MTU
 * with IPv6 headers, so that a refusal means the kernel's, not a size). */
#define UDP_GSO_SEGS	64
#define UDP_GSO_BYTES	65000
#define UDP_GSO_SEG_MAX	1400
/* A listener that read fewer than UDP_HOLD_MIN datagrams in a wakeup
 * waits UDP_HOLD_US before it reads again (see udp_read_cb). */
#define UDP_HOLD_MIN	4
#define UDP_HOLD_US	500
#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif

int
udp_socket(const struct maddr *addr, int reuseport, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(addr, &ss);
	int fd, on = 1, sz = UDP_SOCKBUF;
	char buf[ADDR_STRLEN];

	fd = socket(addr->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		if (err != NULL)
			snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (addr->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on)) != 0) {
		if (err != NULL)
			snprintf(err, errlen, "SO_REUSEPORT: %s",
			    strerror(errno));
		close(fd);
		return -1;
	}
	/* Bigger buffers ride out bursts; the kernel caps them. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		int e = errno;

		if (err != NULL)
			snprintf(err, errlen, "cannot bind %s: %s",
			    addr_ntop_port(addr, buf, sizeof(buf)),
			    strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* ------------------------------------------------------------------ */
/* Sending: at once, or queued for sendmmsg while a batch is handled. */

static void
send_now(int fd, const struct sockaddr_storage *to, socklen_t tolen,
    const struct iovec *iov, int iovcnt)
{
	struct msghdr mh;

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = (void *)to;
	mh.msg_namelen = tolen;
	mh.msg_iov = (struct iovec *)iov;
	mh.msg_iovlen = (size_t)iovcnt;
	(void)sendmsg(fd, &mh, MSG_DONTWAIT);
}

/* The bytes of queued datagram o. */
static size_t
out_len(const struct relay_out *o)
{
	size_t len = 0;
	int i;

	for (i = 0; i < o->iovcnt; i++)
		len += o->iov[i].iov_len;
	return len;
}

/*
 * The end of the run of datagrams from out[i] (before end) that can leave
 * as one GSO send: the same destination (the caller gives runs of one
 * socket) and the same size, the last maybe shorter; *seg: that size.
 */
static int
gso_run(const struct relay_loop *lp, int i, int end, size_t *seg)
{
	const struct relay_out *a = &lp->out[i], *b;
	size_t len, total;
	int j;

	*seg = total = out_len(a);
	if (*seg == 0 || *seg > UDP_GSO_SEG_MAX)
		return i + 1;
	for (j = i + 1; j < end && j - i < UDP_GSO_SEGS; j++) {
		b = &lp->out[j];
		if (b->tolen != a->tolen || memcmp(&b->to, &a->to,
		    a->tolen) != 0)
			break;
		len = out_len(b);
		if (len == 0 || len > *seg || total + len > UDP_GSO_BYTES)
			break;
		total += len;
		if (len < *seg) {
			j++;		/* a shorter one ends the run */
			break;
		}
	}
	return j;
}

/*
 * Sends out[i..end) (two or more for one destination, as gso_run() found
 * them) with one sendmsg() and a UDP_SEGMENT of seg bytes: the kernel
 * cuts the chained payload back into the same datagrams.  0 when sent or
 * dropped for a full buffer, -1 when the caller should send them with
 * sendmmsg() (GSO refused, which turns it off on this loop, or an error
 * that may concern one datagram only).
 */
static int
gso_send(struct relay_loop *lp, int i, int end, size_t seg)
{
	struct iovec iov[UDP_GSO_SEGS * 4];
	union {
		struct cmsghdr	 hdr;
		uint8_t		 buf[CMSG_SPACE(sizeof(uint16_t))];
	} ctl;
	struct cmsghdr *cm;
	struct msghdr mh;
	uint16_t gso = (uint16_t)seg;
	int k, m, niov = 0;

	for (k = i; k < end; k++)
		for (m = 0; m < lp->out[k].iovcnt; m++)
			iov[niov++] = lp->out[k].iov[m];
	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_name = &lp->out[i].to;
	mh.msg_namelen = lp->out[i].tolen;
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)niov;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(gso));
	memcpy(CMSG_DATA(cm), &gso, sizeof(gso));
	if (sendmsg(lp->out[i].fd, &mh, MSG_DONTWAIT) >= 0) {
		if (!lp->gso_used) {
			lp->gso_used = 1;
			log_debug("relay: UDP GSO in use on loop %d", lp->idx);
		}
		log_debug("relay: %d datagrams of %zu bytes in one GSO send",
		    end - i, seg);
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
		metrics_own_add(&lp->send_drops, (uint64_t)(end - i));
		return 0;
	}
	if (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT ||
	    errno == EOPNOTSUPP) {
		lp->gso_off = 1;
		log_info("relay: UDP GSO refused (%s); one datagram per "
		    "message from now on (loop %d)", strerror(errno), lp->idx);
	}
	return -1;
}

/*
 * Sends mm[i..j) (datagrams for one socket) with sendmmsg().  sendmmsg()
 * stops at the first datagram that fails and reports its error on the
 * next call.  A full socket buffer (or no kernel buffers) drops the rest
 * of the run, as UDP would; an error of that datagram alone (EPERM from a
 * firewall, ECONNREFUSED, EMSGSIZE, an unreachable network, a bad
 * address) drops it and the rest go.  Drops are counted in
 * lp->send_drops.
 */
static void
mmsg_send(struct relay_loop *lp, struct mmsghdr *mm, int i, int j)
{
	int k, intr = 0;

	while (i < j) {
		k = sendmmsg(lp->out[i].fd, mm + i, (unsigned)(j - i),
		    MSG_DONTWAIT);
		if (k > 0) {
			i += k;
			continue;
		}
		if (k < 0 && errno == EINTR && intr++ < 3)
			continue;
		if (k == 0 || errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS || errno == EINTR ||
		    errno == EBADF || errno == ENOTSOCK) {
			metrics_own_add(&lp->send_drops, (uint64_t)(j - i));
			break;
		}
		metrics_own_add(&lp->send_drops, 1);
		i++;
	}
}

void
udp_flush(struct relay_loop *lp)
{
	struct mmsghdr mm[RELAY_SENDQ];
	size_t seg;
	int i, j, g, p, n = lp->nout;

	lp->nout = 0;
	memset(mm, 0, sizeof(mm[0]) * (size_t)n);
	for (i = 0; i < n; i++) {
		mm[i].msg_hdr.msg_name = &lp->out[i].to;
		mm[i].msg_hdr.msg_namelen = lp->out[i].tolen;
		mm[i].msg_hdr.msg_iov = lp->out[i].iov;
		mm[i].msg_hdr.msg_iovlen = (size_t)lp->out[i].iovcnt;
	}
	/*
	 * One call per run of datagrams for the same socket, and within it
	 * one GSO send per run for one destination of one size: what is
	 * left between those goes with sendmmsg() first (the order for a
	 * destination is kept).
	 */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && lp->out[j].fd == lp->out[i].fd; j++)
			;
		for (p = g = i; g < j && !lp->gso_off; ) {
			int e = gso_run(lp, g, j, &seg);

			if (e - g < 2) {
				g = e;
				continue;
			}
			if (p < g)
				mmsg_send(lp, mm, p, g);
			if (gso_send(lp, g, e, seg) != 0)
				mmsg_send(lp, mm, g, e);
			p = g = e;
		}
		if (p < j)
			mmsg_send(lp, mm, p, j);
	}
}

static int
in_bufs(const struct relay_loop *lp, const void *p, size_t len)
{
	const uint8_t *b = p;

	return (b >= lp->bufs && b + len <= lp->bufs +
	    (size_t)RELAY_BATCH * TURN_BUF_MAX) ||
	    (b >= lp->held_lo && b + len <= lp->held_hi);
}

/* Queues a datagram while a batch is handled, else sends it. */
static void
udp_send(struct relay_loop *lp, int fd, const struct maddr *to,
    const struct iovec *iov, int iovcnt)
{
	struct sockaddr_storage ss;
	struct relay_out *o;
	size_t small = 0;
	int i;

	if (lp->batching && iovcnt <= 4) {
		if (lp->nout == RELAY_SENDQ)
			udp_flush(lp);
		o = &lp->out[lp->nout];
		for (i = 0; i < iovcnt; i++) {
			o->iov[i] = iov[i];
			if (in_bufs(lp, iov[i].iov_base, iov[i].iov_len))
				continue;	/* stays put until the flush */
			if (small + iov[i].iov_len > RELAY_OUT_SMALL)
				break;
			memcpy(o->small + small, iov[i].iov_base,
			    iov[i].iov_len);
			o->iov[i].iov_base = o->small + small;
			small += iov[i].iov_len;
		}
		if (i == iovcnt) {
			o->fd = fd;
			o->tolen = addr_to_sockaddr(to, &o->to);
			o->iovcnt = iovcnt;
			lp->nout++;
			return;
		}
	}
	if (lp->nout > 0)
		udp_flush(lp);		/* keep the order */
	send_now(fd, &ss, addr_to_sockaddr(to, &ss), iov, iovcnt);
}

/* ------------------------------------------------------------------ */
/* Receiving. */

/*
 * Reads up to one batch into the free receive slots; calls fn for each
 * datagram, and sends what they queued before the slots are read into
 * again: at once, or on a worker when its loop's iteration ends
 * (udp_iteration_end()) or the slots run short.  Returns 1 when the batch
 * filled the slots it was given (more may wait), else 0; *got: the
 * datagrams read.
 */
int
udp_batch(struct relay_loop *lp, int fd,
    void (*fn)(struct relay_loop *, void *, const struct maddr *,
    const uint8_t *, size_t), void *arg, int *got)
{
	struct mmsghdr mm[RELAY_BATCH];
	struct iovec iov[RELAY_BATCH];
	struct sockaddr_storage from[RELAY_BATCH];
	struct maddr peer;
	int i, n, room;

	/* Room for less than half a batch: what waits leaves first. */
	if (lp->bufs_used > RELAY_BATCH / 2)
		udp_iteration_end(lp);
	room = RELAY_BATCH - lp->bufs_used;
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < room; i++) {
		iov[i].iov_base = lp->bufs + (size_t)(lp->bufs_used + i) *
		    TURN_BUF_MAX;
		iov[i].iov_len = TURN_BUF_MAX;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &from[i];
		mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
	}
	*got = 0;
	n = recvmmsg(fd, mm, (unsigned)room, MSG_DONTWAIT, NULL);
	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNREFUSED)
			log_debug("relay: recvmmsg: %s", strerror(errno));
		return 0;
	}
	*got = n;
	relay_clock(lp);
	lp->batching = 1;
	for (i = 0; i < n; i++) {
		if (mm[i].msg_hdr.msg_flags & MSG_TRUNC)
			continue;
		addr_from_sockaddr(&peer, (struct sockaddr *)&from[i]);
		if (peer.family == 0)
			continue;
		fn(lp, arg, &peer, iov[i].iov_base, mm[i].msg_len);
	}
	lp->batching = 0;
	if (lp->defer)
		lp->bufs_used += n;
	else if (lp->nout > 0)
		udp_flush(lp);
	relay_wake_flush(lp);
	turn_follow_peers(lp->ctx);
	return n == room;
}

/* Sends what the batches of this iteration of a worker's loop queued;
 * their receive slots are free again. */
void
udp_iteration_end(struct relay_loop *lp)
{
	if (lp->nout > 0)
		udp_flush(lp);
	lp->bufs_used = 0;
}

/* ------------------------------------------------------------------ */
/* Listeners: client messages. */

void
udp_listener_dgram(struct relay_loop *lp, void *arg, const struct maddr *from,
    const uint8_t *p, size_t len)
{
	struct udp_listener *l = arg;
	struct turn_tuple t;

	memset(&t, 0, sizeof(t));
	t.client = *from;
	t.server = l->addr;
	t.proto = TURN_UDP;
	t.conn = l;
	turn_handle_client(lp->ctx, &t, p, len);
}

/*
 * Reads what waits on a listener.  A wakeup that found only a few
 * datagrams (at moderate rates most bring one or two of a video frame's
 * packets, the rest still on their way) takes the listener off the loop
 * for UDP_HOLD_US: the next read finds the rest of the frame, which
 * leaves as one GSO send, for one wakeup instead of several.
 */
static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct udp_listener *l = arg;
	struct itimerspec its = { { 0, 0 }, { 0, UDP_HOLD_US * 1000 } };
	int rounds, got, total = 0, more = 1;

	/* A bounded number of batches per wakeup keeps the loop fair. */
	for (rounds = 0; rounds < 8 && more; rounds++) {
		more = udp_batch(l->lp, l->fd, udp_listener_dgram, l, &got);
		total += got;
	}
	if (total == 0 || total >= UDP_HOLD_MIN || l->hold == NULL ||
	    event_del(l->ev) != 0)
		return;
	if (timerfd_settime(l->hold_fd, 0, &its, NULL) != 0) {
		event_add(l->ev, NULL);
		return;
	}
	if (!l->held) {
		l->held = 1;
		log_debug("relay: a UDP listener of loop %d waits %d us after "
		    "a wakeup of %d datagrams", l->lp->idx, UDP_HOLD_US, total);
	}
}

/* The end of a listener's hold: back on the loop, and read. */
static void
udp_hold_cb(evutil_socket_t fd, short what, void *arg)
{
	struct udp_listener *l = arg;
	uint64_t ticks;
	ssize_t r;

	r = read(l->hold_fd, &ticks, sizeof(ticks));	/* clears it */
	(void)r;
	if (event_add(l->ev, NULL) != 0)
		log_warn("relay: cannot watch a UDP listener again");
	udp_read_cb(l->fd, EV_READ, l);
}

int
udp_listen(struct relay_loop *lp, const struct maddr *addr, int port,
    int reuseport, char *err, size_t errlen)
{
	struct udp_listener *v, *l;
	struct maddr a = *addr;
	int fd, big;

	a.port = (uint16_t)port;
	if ((fd = udp_socket(&a, reuseport, err, errlen)) == -1)
		return -1;
	big = UDP_LISTEN_RCVBUF;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	v = reallocarray(lp->udp, lp->nudp + 1, sizeof(*lp->udp));
	if (v == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	lp->udp = v;
	l = &lp->udp[lp->nudp++];
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->hold_fd = -1;
	l->addr = a;
	l->lp = lp;
	return 0;
}

/*
 * Whether turn-port is free on addr, by a bind without SO_REUSEPORT: the
 * workers' sockets share the port with SO_REUSEPORT, which would let them
 * join the sockets of another meetopiad on it (and take some of its
 * traffic) instead of failing.  0, or -1 with err.
 */
int
udp_probe(const struct maddr *addr, int port, char *err, size_t errlen)
{
	struct maddr a = *addr;
	int fd;

	a.port = (uint16_t)port;
	if ((fd = udp_socket(&a, 0, err, errlen)) == -1)
		return -1;
	close(fd);
	return 0;
}

int
udp_start(struct relay_loop *lp)
{
	size_t i;

	for (i = 0; i < lp->nudp; i++) {
		struct udp_listener *l = &lp->udp[i];

		if (l->ev == NULL && (l->ev = event_new(lp->base, l->fd,
		    EV_READ | EV_PERSIST, udp_read_cb, l)) == NULL)
			return -1;
		if (l->hold_fd == -1 && (l->hold_fd = timerfd_create(
		    CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) == -1)
			return -1;
		if (l->hold == NULL && (l->hold = event_new(lp->base,
		    l->hold_fd, EV_READ | EV_PERSIST, udp_hold_cb, l)) == NULL)
			return -1;
		if (event_add(l->hold, NULL) != 0)
			return -1;
		if (event_add(l->ev, NULL) != 0)
			return -1;
	}
	return 0;
}

void
udp_close(struct relay_loop *lp)
{
	size_t i;

	udp_steer_close_all(lp);
	for (i = 0; i < lp->nudp; i++) {
		if (lp->udp[i].ev != NULL)
			event_free(lp->udp[i].ev);
		if (lp->udp[i].hold != NULL)
			event_free(lp->udp[i].hold);
		if (lp->udp[i].hold_fd != -1)
			close(lp->udp[i].hold_fd);
		close(lp->udp[i].fd);
	}
	free(lp->udp);
	lp->udp = NULL;
	lp->nudp = 0;
}

void
udp_to_client(void *arg, const struct turn_tuple *t, const struct iovec *iov,
    int iovcnt)
{
	struct udp_listener *l = t->conn;

	if (t->proto != TURN_UDP || l == NULL)
		return;		/* stream transports have their own */
	udp_send(arg, l->fd, &t->client, iov, iovcnt);
}

/* ------------------------------------------------------------------ */
/* Relayed sockets: peer data. */

static void
rsock_dgram(struct relay_loop *lp, void *arg, const struct maddr *from,
    const uint8_t *p, size_t len)
{
	struct rsock *rs = arg;

	turn_handle_peer(lp->ctx, rs->ra, from, p, len);
}

static void
rsock_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rsock *rs = arg;
	int rounds, got;

	for (rounds = 0; rounds < 4; rounds++)
		if (!udp_batch(rs->lp, rs->fd, rsock_dgram, rs, &got))
			break;
}

/* Makes the bound socket fd a relayed socket of lp (the fd is taken,
 * closed on failure). */
static int
rsock_new(struct relay_loop *lp, int fd, const struct maddr *addr,
    int df, struct turn_relayed *tr, void **sockp)
{
	struct rsock *rs;
	int v;

	*sockp = NULL;
	/* RFC 8656 §7.2 DONT-FRAGMENT: DF set when asked, clear when not. */
	if (addr->family == AF_INET) {
		v = df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	} else {
		v = df ? 1 : 0;
		setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &v, sizeof(v));
	}
	if ((rs = calloc(1, sizeof(*rs))) == NULL) {
		close(fd);
		return -1;
	}
	rs->fd = fd;
	rs->ra = tr;
	rs->lp = lp;
	if ((rs->ev = event_new(lp->base, fd, EV_READ | EV_PERSIST,
	    rsock_read_cb, rs)) == NULL || event_add(rs->ev, NULL) != 0) {
		if (rs->ev != NULL)
			event_free(rs->ev);
		close(fd);
		free(rs);
		return -1;
	}
	*sockp = rs;
	return 0;
}

int
udp_rsock_open(void *arg, const struct maddr *addr, int df,
    struct turn_relayed *tr, void **sockp)
{
	struct relay_loop *lp = arg;
	int fd;

	*sockp = NULL;
	if ((fd = udp_socket(addr, 0, NULL, 0)) == -1) {
		if ((errno == EMFILE || errno == ENFILE) &&
		    rl_window_take(&lp->emfile_log, (int64_t)clock_mono_ms(),
		    1000, 1, NULL) == 0) {
			log_warn("relay: out of file descriptors for relayed "
			    "sockets");
		}
		return -1;
	}
	return rsock_new(lp, fd, addr, df, tr, sockp);
}

/* A reservation's socket: off this loop, still bound, fd returned. */
int
udp_rsock_detach(void *arg, void *sock)
{
	struct relay_loop *lp = arg;
	struct rsock *rs = sock;
	int fd;

	if (rs == NULL)
		return -1;
	if (lp->nout > 0)
		udp_flush(lp);
	event_free(rs->ev);
	fd = rs->fd;
	free(rs);
	return fd;
}

/* A reservation's socket, detached on any loop, registered on this one. */
int
udp_rsock_adopt(void *arg, int fd, const struct maddr *addr, int df,
    struct turn_relayed *tr, void **sockp)
{
	return rsock_new(arg, fd, addr, df, tr, sockp);
}

void
udp_rsock_close(void *arg, void *sock)
{
	struct relay_loop *lp = arg;
	struct rsock *rs = sock;

	if (rs == NULL)
		return;
	/* Its queued datagrams leave first: the descriptor number may be
	 * reused by a socket opened later in the same batch. */
	if (lp->nout > 0)
		udp_flush(lp);
	event_free(rs->ev);
	close(rs->fd);
	free(rs);
}

void
udp_to_peer(void *arg, void *sock, const struct maddr *peer,
    const uint8_t *p, size_t len)
{
	struct rsock *rs = sock;
	struct iovec iov;

	iov.iov_base = (void *)p;
	iov.iov_len = len;
	udp_send(arg, rs->fd, peer, &iov, 1);
}
