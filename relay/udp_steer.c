/*
 * udp_steer.c - the steering sockets of relay-threads (see below): a UDP
 * client's own socket in the workers' SO_REUSEPORT group, opened when its
 * allocation is made, handed over when it moves, read dry and closed when
 * it goes.  The datagrams read go to relay/udp.c's listener path.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/socket.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/clock.h"
#include "common/log.h"
#include "relay/relay_int.h"

/*
 * Steering (relay-threads): a socket per UDP client with an allocation,
 * bound to the listener's address and port in its SO_REUSEPORT group and
 * connect()ed to the client.  Linux delivers a datagram to the group
 * member whose 4-tuple matches exactly before it hashes over the
 * unconnected ones (and, on the kernels we checked, leaves that hash of
 * the other clients alone), so the client's datagrams come to the loop
 * the socket is registered on, and follow its allocation when it moves.
 * What arrives on it is handled as if the listener had read it; answers
 * still leave from the listener.  One descriptor per allocation: without
 * one (EMFILE, or steer_max open) the client stays on the shared
 * listener, whose kernel hash keeps it on the loop of its allocation as
 * before, and that allocation does not move.
 *
 * When its allocation goes (a Refresh to 0, expiry, its session ended),
 * the socket may hold datagrams the kernel queued on it before: the
 * client's next requests, such as a new Allocate from the same 5-tuple.
 * Closed at once they would be lost, so it only leaves the loop then and
 * waits on the loop's closing list; when the loop is out of its batches
 * (a worker's iteration ends, udp_steer_reap()) it is read dry, each
 * datagram handled as the listener's, and closed.  Reading it at once
 * could not be done safely: the close comes from inside a batch, whose
 * datagrams and queued sends use the loop's receive slots.  Its
 * descriptor counts in nsteer until it is closed.  A socket whose
 * allocation moves is handed over (udp_steer_detach()), not closed.
 */
#define STEER_DRAIN_MAX	64	/* batches read from a closing socket */

struct steer {
	int			 fd;
	struct event		*ev;
	struct udp_listener	*l;	/* this loop's, of the same address */
	struct relay_loop	*lp;
	/*
	 * A datagram of a batch read from this socket may free or move its
	 * allocation (a Refresh to 0, a move at the batch's end), and with
	 * it this socket: a move only marks it gone, and the reader frees it
	 * when the batch is over; a close puts it on the loop's closing list
	 * (closing, next), where the reader leaves it.
	 */
	int			 reading;
	int			 gone;
	int			 closing;
	struct steer		*next;
};

static void
steer_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct steer *st = arg;
	int rounds, more, got;

	st->reading = 1;
	for (rounds = 0; rounds < 8; rounds++) {
		more = udp_batch(st->lp, st->fd, udp_listener_dgram, st->l, &got);
		if (st->gone || st->closing || !more)
			break;
	}
	st->reading = 0;
	if (st->gone)
		free(st);
}

/* Closes a steering socket that is off its loop, and frees it. */
static void
steer_free(struct steer *st)
{
	close(st->fd);
	atomic_fetch_sub(&st->lp->rl->nsteer, 1);
	free(st);
}

/* Takes st off its loop; frees it unless a batch of it is being read. */
static void
steer_release(struct steer *st)
{
	event_free(st->ev);
	st->ev = NULL;
	st->fd = -1;
	if (st->reading)
		st->gone = 1;
	else
		free(st);
}

/* Registers fd (taken, closed on failure) as l's steering socket. */
static int
steer_new(struct relay_loop *lp, struct udp_listener *l, int fd,
    void **steerp)
{
	struct steer *st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		close(fd);
		return -1;
	}
	st->fd = fd;
	st->l = l;
	st->lp = lp;
	if ((st->ev = event_new(lp->base, fd, EV_READ | EV_PERSIST,
	    steer_read_cb, st)) == NULL || event_add(st->ev, NULL) != 0) {
		if (st->ev != NULL)
			event_free(st->ev);
		close(fd);
		free(st);
		return -1;
	}
	*steerp = st;
	return 0;
}

int
udp_steer_open(void *arg, const struct turn_tuple *t, void **steerp)
{
	struct relay_loop *lp = arg;
	struct udp_listener *l = t->conn;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, e, capped = 0;

	*steerp = NULL;
	/* Off (one worker, or a kernel without the 4-tuple lookup). */
	if (!lp->rl->steer || t->proto != TURN_UDP || l == NULL ||
	    l->lp != lp)
		return -1;
	if (atomic_fetch_add(&lp->rl->nsteer, 1) >= lp->rl->steer_max) {
		capped = 1;
		goto fail;
	}
	if ((fd = udp_socket(&l->addr, 1, NULL, 0)) == -1)
		goto fail;
	sl = addr_to_sockaddr(&t->client, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
		close(fd);
		goto fail;
	}
	if (steer_new(lp, l, fd, steerp) != 0)
		goto fail;
	return 0;
fail:
	e = errno;
	/* Which refused: the cap on steering sockets, or the system. */
	if (capped && rl_window_take(&lp->emfile_log,
	    (int64_t)clock_mono_ms(), 1000, 1, NULL) == 0) {
		log_warn("relay: steering sockets at their limit (%ld open, "
		    "at most %ld); the client stays on the shared listener",
		    (long)atomic_load(&lp->rl->nsteer) - 1, lp->rl->steer_max);
	} else if (!capped && (e == EMFILE || e == ENFILE) &&
	    rl_window_take(&lp->emfile_log, (int64_t)clock_mono_ms(), 1000, 1,
	    NULL) == 0) {
		log_warn("relay: no file descriptor for a steering socket "
		    "(%s; %ld open, at most %ld); the client stays on the "
		    "shared listener", e == EMFILE ? "process limit" :
		    "system limit", (long)atomic_load(&lp->rl->nsteer) - 1,
		    lp->rl->steer_max);
	}
	atomic_fetch_sub(&lp->rl->nsteer, 1);
	return -1;
}

/*
 * The allocation of st went: st leaves the loop at once and waits on the
 * loop's closing list to be read dry and closed (udp_steer_reap()).  A
 * loop that runs no iterations (a worker stopped, its allocations being
 * freed) closes it now: nobody is there to answer.
 */
void
udp_steer_close(void *arg, void *steer)
{
	struct steer *st = steer;
	struct relay_loop *lp;
	int fd;

	if (st == NULL || st->closing)
		return;
	lp = st->lp;
	if (!lp->defer) {
		/* Off the loop first: an event freed after its descriptor
		 * was closed costs a failing epoll_ctl. */
		atomic_fetch_sub(&lp->rl->nsteer, 1);
		fd = st->fd;
		steer_release(st);
		close(fd);
		return;
	}
	event_free(st->ev);
	st->ev = NULL;
	st->closing = 1;
	st->next = lp->closing;
	lp->closing = st;
}

/*
 * Reads the closing steering sockets of lp dry and closes them; on a
 * worker when its loop's iteration is over (no batch in hand, the receive
 * slots free).  What they hold is handled as the listener's datagrams
 * (a new Allocate from the client whose allocation went, its Refresh,
 * which gets its 437), and may close more of them, which are read too.
 * STEER_DRAIN_MAX batches at most each: a client that keeps sending
 * faster than the loop reads does not hold it.
 */
void
udp_steer_reap(struct relay_loop *lp)
{
	struct steer *st;
	int rounds, got, total;

	if (lp->closing == NULL)
		return;
	while ((st = lp->closing) != NULL) {
		lp->closing = st->next;
		for (rounds = total = 0; rounds < STEER_DRAIN_MAX; rounds++) {
			errno = 0;
			(void)udp_batch(lp, st->fd, udp_listener_dgram, st->l,
			    &got);
			total += got;
			/* An error reported on the socket (an ICMP error)
			 * leaves the datagrams behind it queued. */
			if (got == 0 && errno != EINTR &&
			    errno != ECONNREFUSED)
				break;
		}
		log_debug("relay: a steering socket of loop %d closed, %d "
		    "datagrams read from it first", lp->idx, total);
		steer_free(st);
	}
	udp_iteration_end(lp);
}

/* The closing steering sockets of a loop that stops: closed unread. */
void
udp_steer_close_all(struct relay_loop *lp)
{
	struct steer *st;

	while ((st = lp->closing) != NULL) {
		lp->closing = st->next;
		steer_free(st);
	}
}

int
udp_steer_detach(void *arg, void *steer)
{
	struct steer *st = steer;
	int fd;

	if (st == NULL)
		return -1;
	fd = st->fd;
	steer_release(st);
	return fd;
}

int
udp_steer_adopt(void *arg, int fd, struct turn_tuple *t, void **steerp)
{
	struct relay_loop *lp = arg;
	size_t i;

	*steerp = NULL;
	for (i = 0; i < lp->nudp; i++)
		if (addr_eq(&lp->udp[i].addr, &t->server))
			break;
	if (i == lp->nudp || t->proto != TURN_UDP) {
		close(fd);
		return -1;
	}
	if (steer_new(lp, &lp->udp[i], fd, steerp) != 0)
		return -1;
	t->conn = &lp->udp[i];
	return 0;
}
