/*
 * steer.c - the relay's work between loops that waits for no answer (see
 * relay.c's comment on steering): the request queue of each worker (a
 * session ended, new bans, allocations to move), allocations moving from
 * one loop to another (turn_move_out(), turn_move_in()), and the choice
 * of a worker for the two sessions of a pair that just formed
 * (relay_pair_formed()).  Whether steering is on at all is decided here
 * too (relay_steer_setup()).
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/utsname.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/cred.h"
#include "relay/relay.h"
#include "relay/relay_int.h"

/* ------------------------------------------------------------------ */
/* Requests that wait for no answer: a session ended, new bans. */

/* A session whose allocations are to be freed on one loop, or moved
 * from it to loop dst. */
struct relay_req {
	struct relay_req	*next;
	char			 id[CRED_ID_MAX];
	int			 dst;
};

/* An allocation on its way to another loop. */
struct relay_move {
	struct relay_move	*next;
	struct turn_alloc	*a;
};

#define RELAY_REQ_BATCH	64	/* sessions per scan of the allocations */

/* Queues a request for lp (a session ended, or moves, with dst) and wakes
 * it.  -1 without memory. */
int
relay_loop_post(struct relay_loop *lp, struct relay_req **list, const char *id,
    int dst)
{
	struct relay_req *r;
	size_t len = strlen(id);

	if (len >= CRED_ID_MAX || (r = malloc(sizeof(*r))) == NULL)
		return -1;
	memcpy(r->id, id, len + 1);
	r->dst = dst;
	pthread_mutex_lock(&lp->req_mu);
	r->next = *list;
	*list = r;
	pthread_mutex_unlock(&lp->req_mu);
	relay_loop_wake(lp);
	return 0;
}

/* On the sending loop's thread (turn_move_out()'s fn): an allocation
 * taken out, queued for the loop it moves to. */
static int
move_send(void *arg, struct turn_alloc *a)
{
	struct relay_loop *dst = arg;
	struct relay_move *m;

	if ((m = malloc(sizeof(*m))) == NULL)
		return -1;	/* taken in again where it was */
	m->a = a;
	pthread_mutex_lock(&dst->req_mu);
	m->next = dst->arrivals;
	dst->arrivals = m;
	/* Its ports name dst only once it is there to be taken: dst, when
	 * it sees them before it looked at its arrivals, finds it. */
	turn_move_claim(dst->rl->sh, a, dst->idx);
	pthread_mutex_unlock(&dst->req_mu);
	relay_loop_wake(dst);
	return 0;
}

/* io.move: an allocation that follows its peer to loop idx (a worker:
 * the main loop has no UDP listener for its client). */
int
relay_move_to(void *arg, int idx, struct turn_alloc *a)
{
	struct relay_loop *src = arg;

	if (idx < 1 || idx >= src->rl->nloops || idx == src->idx)
		return -1;
	return move_send(src->rl->loops[idx], a);
}

/* Takes in the allocations that arrived (on lp's thread). */
static void
loop_arrivals(struct relay_loop *lp, struct relay_move *list)
{
	struct relay_move *m;

	while ((m = list) != NULL) {
		list = m->next;
		turn_move_in(lp->ctx, m->a);
		free(m);
	}
}

/* io.arrivals: data came for an allocation still on its way here. */
void
relay_arrivals(void *arg)
{
	struct relay_loop *lp = arg;
	struct relay_move *list;

	pthread_mutex_lock(&lp->req_mu);
	list = lp->arrivals;
	lp->arrivals = NULL;
	pthread_mutex_unlock(&lp->req_mu);
	loop_arrivals(lp, list);
}

/* Moves this loop's allocations of a session to loop dst, and remembers
 * where they went. */
static void
loop_move(struct relay_loop *lp, const char *id, int dst)
{
	int i;

	if (dst == lp->idx || dst < 1 || dst >= lp->rl->nloops)
		return;
	if (turn_move_out(lp->ctx, id, dst) == 0)
		return;
	i = lp->nmoved++ % RELAY_MOVED_MAX;
	snprintf(lp->moved[i].id, sizeof(lp->moved[i].id), "%s", id);
	lp->moved[i].dst = dst;
}

/* A session ended: when this loop moved its allocations to another
 * loop lately, that loop may have carried out the end before they
 * arrived, so it is told again, after them. */
static void
loop_forward_end(struct relay_loop *lp, const char *id)
{
	int i, n = lp->nmoved < RELAY_MOVED_MAX ? lp->nmoved :
	    RELAY_MOVED_MAX;

	for (i = 0; i < n; i++)
		if (strcmp(lp->moved[i].id, id) == 0) {
			(void)relay_loop_post(lp->rl->loops[lp->moved[i].dst],
			    &lp->rl->loops[lp->moved[i].dst]->reqs, id, 0);
			lp->moved[i].id[0] = '\0';
		}
}

/* On lp's thread: frees what the requests queued for it name, takes in
 * the allocations that arrived and sends off those that move. */
void
relay_requests(struct relay_loop *lp)
{
	struct relay_req *list, *moves, *r, *next;
	struct relay_move *arrivals;
	const char *ids[RELAY_REQ_BATCH];
	size_t n, i;
	int bans;

	pthread_mutex_lock(&lp->req_mu);
	list = lp->reqs;
	lp->reqs = NULL;
	bans = lp->req_bans;
	lp->req_bans = 0;
	moves = lp->moves;
	lp->moves = NULL;
	arrivals = lp->arrivals;
	lp->arrivals = NULL;
	pthread_mutex_unlock(&lp->req_mu);
	if (list == NULL && !bans && moves == NULL && arrivals == NULL)
		return;
	relay_clock(lp);
	/* Arrivals first: an end or a ban queued with them applies to them
	 * too. */
	loop_arrivals(lp, arrivals);
	if (bans)
		turn_free_banned(lp->ctx);
	while (list != NULL) {
		/* One scan of the loop's allocations per batch. */
		for (n = 0, r = list; r != NULL && n < RELAY_REQ_BATCH;
		    r = r->next)
			ids[n++] = r->id;
		turn_free_sessions(lp->ctx, ids, n);
		for (i = 0; i < n; i++)
			loop_forward_end(lp, ids[i]);
		for (; list != r; list = next) {
			next = list->next;
			free(list);
		}
	}
	for (; moves != NULL; moves = next) {
		next = moves->next;
		loop_move(lp, moves->id, moves->dst);
		free(moves);
	}
}

/* Frees the allocations that were on their way to lp (the loop is
 * going; the program's hooks, such as the ban lookup, may be gone by
 * now). */
void
relay_arrivals_drop(struct relay_loop *lp)
{
	struct relay_move *m;

	while ((m = lp->arrivals) != NULL) {
		lp->arrivals = m->next;
		turn_move_drop(lp->ctx, m->a);
		free(m);
	}
}

/* Frees the requests nobody carried out (the loop is going); the
 * allocations that arrived are taken in, to be freed with the rest. */
void
relay_requests_free(struct relay_loop *lp)
{
	struct relay_req *r;

	while ((r = lp->reqs) != NULL) {
		lp->reqs = r->next;
		free(r);
	}
	while ((r = lp->moves) != NULL) {
		lp->moves = r->next;
		free(r);
	}
}

/*
 * Whether the kernel finds a connected UDP socket of a SO_REUSEPORT group
 * by its 4-tuple in constant time: Linux 6.13 and later hash connected
 * UDP sockets by 4-tuple.  Before, every datagram to turn-port would scan
 * the steering sockets of all allocations, costing more than the hand-offs
 * they save; the relay then does without them.
 */
static int
kernel_steers(void)
{
	struct utsname u;
	char *end;
	long major, minor = 0;

	if (uname(&u) != 0)
		return 0;
	major = strtol(u.release, &end, 10);
	if (*end == '.')
		minor = strtol(end + 1, NULL, 10);
	return major > 6 || (major == 6 && minor >= 13);
}

/* Whether steering is on (rl->steer) and how many sockets it may open. */
void
relay_steer_setup(struct relay *rl, int workers)
{
	struct rlimit lim;

	/*
	 * Steering pays with two workers or more.  Its sockets are few: a
	 * datagram from a client without one (a newcomer, or anyone
	 * spraying our port) makes the kernel walk every connected socket
	 * on the port (measured on 6.18: +33 ns a socket, 12 -> 78 us a
	 * round trip at 2000), so STEER_MAX bounds what a flood costs, and
	 * a quarter of the descriptors at most (HTTP takes up to half, TURN
	 * over TCP a quarter).  Past that, clients stay on the shared
	 * listeners and their calls relay with hand-offs.
	 */
	rl->steer = workers >= 2 && kernel_steers();
	rl->steer_max = STEER_MAX;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur !=
	    RLIM_INFINITY && lim.rlim_cur / 4 < (rlim_t)rl->steer_max)
		rl->steer_max = (long)(lim.rlim_cur / 4);
	atomic_init(&rl->nsteer, 0);
}

/*
 * A pair formed: the movable allocations of both sessions (UDP, steered)
 * go to one worker, the one with the fewest allocations, so that the
 * call's media stays on one thread.  Each worker is asked to send its
 * allocations of the two sessions there; nothing waits.
 */
void
relay_pair_formed(struct relay *rl, const char *a, const char *b)
{
	uint64_t n, best = UINT64_MAX;
	int i, dst = 0;

	if (rl == NULL || a == NULL || b == NULL || !rl->steer ||
	    strlen(a) >= CRED_ID_MAX || strlen(b) >= CRED_ID_MAX)
		return;
	for (i = 1; i < rl->nloops; i++) {
		if (!rl->loops[i]->running)
			return;		/* starting or stopping */
		if ((n = turn_alloc_gauge(rl->loops[i]->ctx)) < best) {
			best = n;
			dst = i;
		}
	}
	for (i = 1; i < rl->nloops; i++) {
		struct relay_loop *lp = rl->loops[i];

		if (i == dst)
			continue;
		/* Without memory the call relays across threads. */
		(void)relay_loop_post(lp, &lp->moves, a, dst);
		(void)relay_loop_post(lp, &lp->moves, b, dst);
	}
}
