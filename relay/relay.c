/*
 * relay.c - the relay module's life cycle and its wiring to the daemon
 * (see relay.h): event loops with their protocol contexts (relay/turn.h),
 * the UDP transport of relay/udp.c and the TCP and TLS transports of
 * relay/tcp.c, the one-second expiry tick, and the program's hooks of
 * struct relay_env (ban lookups, pseudonyms for security events).
 *
 * relay-threads.  Loop 0 is the daemon's own loop: it serves TCP and TLS
 * clients, and UDP clients too when the relay runs on one loop (relay-
 * threads 0 on one CPU).  With N worker threads (relay-threads N, or 0
 * and two CPUs or more: see relay_workers()) each
 * worker has an event base, a protocol context and a UDP listener of its
 * own on turn-port (SO_REUSEPORT), so the kernel spreads the clients and
 * keeps each 5-tuple on one worker.  An allocation lives on the loop its
 * Allocate arrived on, and only that thread touches it; the contexts
 * share the port table, quotas, reservations and the nonce key
 * (relay/shared.c).  Media from an allocation to one of our relayed
 * addresses owned by another loop is handed over through a single-
 * producer single-consumer byte ring per pair of loops (no lock, one copy,
 * an eventfd write per receiver and batch).  Reload and stop are calls
 * the main thread makes on each worker's thread and waits for.
 *
 * Steering (rl->steer: two workers or more, Linux 6.13 or later): a UDP
 * client with an allocation has a connected socket of its own in the
 * listeners' SO_REUSEPORT group (relay/udp_steer.c), so its datagrams
 * reach its allocation's loop whichever listener the kernel would hash
 * it to; and
 * when signaling pairs two sessions (relay_pair_formed()) every worker
 * sends its movable allocations of the two to one worker through that
 * worker's request queue (turn_move_out(), turn_move_in()): the call's
 * media then stays on one thread; an allocation given a permission for
 * the relayed address of an older one on another worker follows it there
 * when the batch in hand ends (turn_follow_peers()).  An allocation in
 * transit is on no loop
 * and its sockets are read by none; a session that ends meanwhile is
 * ended again on the loop its allocations went to (loop_forward_end()).
 * The request queues and steering are in relay/steer.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* pthread_setname_np */
#endif
#include <sys/eventfd.h>
#include <sys/resource.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "auth/cred.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/secevent.h"
#include "relay/relay.h"
#include "relay/relay_int.h"
#include "relay/ring.h"

#define RELAY_LOOPS_MAX	65		/* the main loop and 64 workers */
/* Bytes of a hand-off ring: 2 MiB, or 8 MiB over the loops when there are
 * more than four, RING_MIN_BYTES at least. */
#define RING_BYTES_ALL	(8u << 20)
#define RING_BYTES_MAX	(2u << 20)

void
relay_clock(struct relay_loop *lp)
{
	turn_set_time(lp->ctx, clock_mono_ms(),
	    (long long)(clock_wall_ms() / 1000));
}

static int
relay_is_banned(void *arg, const struct maddr *client)
{
	const struct relay_env *env = &((struct relay_loop *)arg)->rl->env;

	return env->is_banned != NULL && env->is_banned(env->arg, client);
}

static void
relay_event(void *arg, enum turn_event ev, const struct maddr *client,
    const char *user, size_t ulen, const char *what)
{
	static const struct {
		enum secev_type		 type;
		enum secev_severity	 sev;
		const char		*name;
	} evs[] = {
		[TURN_EV_AUTH_FAILED] = { SECEV_AUTH, SECEV_MEDIUM,
		    "turn_auth_failed" },
		[TURN_EV_AUTH_EXPIRED] = { SECEV_AUTH, SECEV_MEDIUM,
		    "turn_auth_expired" },
		[TURN_EV_AUTH_MALFORMED] = { SECEV_AUTH, SECEV_MEDIUM,
		    "turn_auth_malformed" },
		[TURN_EV_PEER_DENIED] = { SECEV_VIOLATION, SECEV_MEDIUM,
		    "turn_peer_denied" },
		[TURN_EV_PAIR_DENIED] = { SECEV_VIOLATION, SECEV_MEDIUM,
		    "turn_pair_denied" },
		[TURN_EV_BANNED] = { SECEV_VIOLATION, SECEV_HIGH,
		    "turn_banned" },
	};
	struct relay_loop *lp = arg;
	struct relay *rl = lp->rl;
	char pseudo[PSEUDONYM_LEN + 1], session[CRED_ID_MAX + 1];
	const char *sp = NULL, *cp = NULL;

	if ((unsigned)ev >= sizeof(evs) / sizeof(evs[0]))
		return;
	if (user != NULL && cred_session_of(user, ulen, session,
	    sizeof(session)) == 0)
		sp = session;
	if (rl->env.pseudonym != NULL) {
		rl->env.pseudonym(rl->env.arg, client, pseudo);
		cp = pseudo;
	}
	secevent_emit(rl->env.seclog, evs[ev].type, evs[ev].sev, sp, cp,
	    evs[ev].name, json_pack("{s:s, s:s}", "transport",
	    lp->cur_proto == TURN_TLS ? "tls" : lp->cur_proto == TURN_TCP ?
	    "tcp" : "udp", "why", what));
}

static void
relay_to_client(void *arg, const struct turn_tuple *t,
    const struct iovec *iov, int iovcnt)
{
	if (t->proto == TURN_UDP)
		udp_to_client(arg, t, iov, iovcnt);
	else
		tcp_to_client(arg, t, iov, iovcnt);
}

static void
relay_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay_loop *lp = arg;

	relay_clock(lp);
	turn_tick(lp->ctx);
}

/*
 * The metrics' collect callback, on the thread that renders /metrics:
 * the TURN figures are the sums of what each loop counted (each loop
 * writes its own, with no read-modify-write on the data path).
 */
static void
relay_collect(void *arg, struct metrics *m)
{
	struct relay *rl = arg;
	int i;

	metrics_set(&m->turn_allocations, 0);
	metrics_set(&m->turn_allocations_total, 0);
	metrics_set(&m->turn_auth_failures_total, 0);
	metrics_set(&m->turn_peer_denied_total, 0);
	metrics_set(&m->turn_relayed_packets_to_peer, 0);
	metrics_set(&m->turn_relayed_bytes_to_peer, 0);
	metrics_set(&m->turn_relayed_packets_to_client, 0);
	metrics_set(&m->turn_relayed_bytes_to_client, 0);
	metrics_set(&m->turn_released_peer_drops_total, 0);
	metrics_set(&m->turn_handoff_drops_total, 0);
	metrics_set(&m->turn_handoffs_total, 0);
	metrics_set(&m->turn_send_drops_total, 0);
	for (i = 0; i < rl->nloops; i++) {
		struct relay_loop *lp = rl->loops[i];

		turn_metrics_add(lp->ctx, m);
		metrics_add(&m->turn_handoff_drops_total,
		    metrics_get(&lp->handoff_drops));
		metrics_add(&m->turn_handoffs_total,
		    metrics_get(&lp->handoffs));
		metrics_add(&m->turn_send_drops_total,
		    metrics_get(&lp->send_drops));
	}
}

/* ------------------------------------------------------------------ */
/* Hand-off between loops. */

void
relay_loop_wake(struct relay_loop *lp)
{
	uint64_t one = 1;

	if (!atomic_exchange(&lp->signaled, 1))
		(void)!write(lp->efd, &one, sizeof(one));
}

/* On the sending loop's thread: queues data for loop idx. */
static void
relay_handoff(void *arg, int idx, const struct turn_handoff *h,
    const uint8_t *data, size_t len)
{
	struct relay_loop *src = arg, *dst;
	struct relay_ring *rg;

	if (idx < 0 || idx >= src->rl->nloops || idx == src->idx)
		return;
	dst = src->rl->loops[idx];
	if ((rg = atomic_load_explicit(&dst->in[src->idx],
	    memory_order_acquire)) == NULL) {
		/* The first packet between these two loops: the ring is
		 * made once, by its only writer. */
		if ((rg = ring_new(src->rl->ring_bytes)) == NULL) {
			/* No memory for it: dropped, and counted as any
			 * packet lost between loops. */
			metrics_own_add(&src->handoff_drops, 1);
			return;
		}
		atomic_store_explicit(&dst->in[src->idx], rg,
		    memory_order_release);
	}
	if (ring_push(rg, h, data, len) != 0) {
		/* Full: dropped, as a full socket buffer would drop it. */
		metrics_own_add(&src->handoff_drops, 1);
		return;
	}
	metrics_own_add(&src->handoffs, 1);
	/* In a batch the receiver is woken once when the batch ends: one
	 * eventfd write per batch and receiver, not per packet. */
	if (src->batching)
		src->wake_mask[idx / 64] |= 1ull << (idx % 64);
	else
		relay_loop_wake(dst);
}

/* Wakes the loops the batch that just ended handed packets to. */
void
relay_wake_flush(struct relay_loop *lp)
{
	int i, w;

	for (w = 0; w < 2; w++) {
		while (lp->wake_mask[w] != 0) {
			i = __builtin_ctzll(lp->wake_mask[w]);
			lp->wake_mask[w] &= lp->wake_mask[w] - 1;
			if (w * 64 + i < lp->rl->nloops)
				relay_loop_wake(lp->rl->loops[w * 64 + i]);
		}
	}
}

static void
ring_deliver(void *arg, const struct turn_handoff *h, const uint8_t *data,
    size_t len)
{
	struct relay_loop *lp = arg;

	turn_handle_handoff(lp->ctx, h, data, len);
}

/* Delivers what one ring holds; the room is given back after the flush,
 * since queued sends point into it. */
static void
ring_drain(struct relay_loop *lp, struct relay_ring *rg)
{
	size_t n;

	if (ring_empty(rg))
		return;
	relay_clock(lp);
	lp->batching = 1;
	lp->held_lo = ring_base(rg, &n);
	lp->held_hi = lp->held_lo + n;
	n = ring_read(rg, ring_deliver, lp);
	lp->batching = 0;
	if (lp->nout > 0)
		udp_flush(lp);
	lp->held_lo = lp->held_hi = NULL;
	ring_release(rg, (uint32_t)n);
	relay_wake_flush(lp);
	turn_follow_peers(lp->ctx);
}

static void
loop_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay_loop *lp = arg;
	struct relay_ring *rg;
	uint64_t n;
	int i;

	(void)!read(lp->efd, &n, sizeof(n));
	/* Cleared before the rings are read: a sender that finds it clear
	 * afterwards writes again. */
	atomic_store(&lp->signaled, 0);
	if (lp->idx > 0) {
		pthread_mutex_lock(&lp->cmd_mu);
		if (lp->cmd != NULL) {
			lp->cmd(lp, lp->cmd_arg);
			lp->cmd = NULL;
			lp->cmd_done = 1;
			pthread_cond_broadcast(&lp->cmd_cv);
		}
		pthread_mutex_unlock(&lp->cmd_mu);
		relay_requests(lp);
	}
	for (i = 0; i < lp->rl->nloops; i++)
		if ((rg = atomic_load_explicit(&lp->in[i],
		    memory_order_acquire)) != NULL)
			ring_drain(lp, rg);
}

/* Runs fn on lp's thread and waits for it (at once on loop 0). */
static void
loop_call(struct relay_loop *lp, void (*fn)(struct relay_loop *, void *),
    void *arg)
{
	uint64_t one = 1;

	if (!lp->running) {
		fn(lp, arg);
		return;
	}
	pthread_mutex_lock(&lp->cmd_mu);
	lp->cmd = fn;
	lp->cmd_arg = arg;
	lp->cmd_done = 0;
	(void)!write(lp->efd, &one, sizeof(one));
	while (!lp->cmd_done)
		pthread_cond_wait(&lp->cmd_cv, &lp->cmd_mu);
	pthread_mutex_unlock(&lp->cmd_mu);
}

/* ------------------------------------------------------------------ */
/* Loops. */

static void
loop_free(struct relay_loop *lp)
{
	int i;

	if (lp == NULL)
		return;
	relay_arrivals_drop(lp);
	/* Allocations (their sockets use the base), then the listeners. */
	turn_free(lp->ctx);
	udp_close(lp);
	if (lp->tick != NULL)
		event_free(lp->tick);
	if (lp->wake != NULL)
		event_free(lp->wake);
	if (lp->efd != -1)
		close(lp->efd);
	if (lp->in != NULL)
		for (i = 0; i < lp->rl->nloops; i++)
			ring_free(atomic_load(&lp->in[i]));
	free(lp->in);
	if (lp->idx > 0) {
		if (lp->base != NULL)
			event_base_free(lp->base);
		pthread_mutex_destroy(&lp->cmd_mu);
		pthread_cond_destroy(&lp->cmd_cv);
	}
	relay_requests_free(lp);
	pthread_mutex_destroy(&lp->req_mu);
	free(lp->bufs);
	free(lp->out);
	free(lp);
}

static struct relay_loop *
loop_new(struct relay *rl, int idx, char *err, size_t errlen)
{
	const struct config *cfg = rl->env.cfg;
	struct relay_loop *lp;
	struct turn_io io;
	size_t i;

	if ((lp = calloc(1, sizeof(*lp))) == NULL) {
		snprintf(err, errlen, "relay: out of memory");
		return NULL;
	}
	lp->rl = rl;
	lp->idx = idx;
	lp->efd = -1;
	pthread_mutex_init(&lp->req_mu, NULL);
	if (idx > 0) {
		pthread_mutex_init(&lp->cmd_mu, NULL);
		pthread_cond_init(&lp->cmd_cv, NULL);
	}
	if ((lp->bufs = malloc((size_t)RELAY_BATCH * TURN_BUF_MAX)) == NULL ||
	    (lp->out = calloc(RELAY_SENDQ, sizeof(*lp->out))) == NULL ||
	    (lp->in = calloc((size_t)rl->nloops, sizeof(*lp->in))) == NULL) {
		snprintf(err, errlen, "relay: out of memory");
		goto fail;
	}
	lp->base = idx > 0 ? event_base_new() : rl->env.base;
	if (lp->base == NULL) {
		snprintf(err, errlen, "relay: cannot create an event base");
		goto fail;
	}
	memset(&io, 0, sizeof(io));
	io.arg = lp;
	io.to_client = relay_to_client;
	io.to_peer = udp_to_peer;
	io.rsock_open = udp_rsock_open;
	io.rsock_close = udp_rsock_close;
	io.rsock_detach = udp_rsock_detach;
	io.rsock_adopt = udp_rsock_adopt;
	io.is_banned = relay_is_banned;
	io.event = relay_event;
	io.handoff = relay_handoff;
	io.steer_open = udp_steer_open;
	io.steer_close = udp_steer_close;
	io.steer_detach = udp_steer_detach;
	io.steer_adopt = udp_steer_adopt;
	io.move = relay_move_to;
	io.arrivals = relay_arrivals;
	if ((lp->ctx = turn_new_in(cfg, &io, rl->sh, idx, err,
	    errlen)) == NULL)
		goto fail;
	relay_clock(lp);
	/* The UDP listeners: on every worker, or on the only loop. */
	if (idx > 0 || rl->nloops == 1) {
		for (i = 0; i < cfg->listen.n; i++) {
			char e[256];

			if (udp_listen(lp, &cfg->listen.v[i], cfg->turn_port,
			    rl->nloops > 1, e, sizeof(e)) != 0) {
				snprintf(err, errlen, "relay: turn-port: %s",
				    e);
				goto fail;
			}
		}
	}
	if ((lp->tick = event_new(lp->base, -1, EV_PERSIST, relay_tick_cb,
	    lp)) == NULL ||
	    (lp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (lp->wake = event_new(lp->base, lp->efd, EV_READ | EV_PERSIST,
	    loop_wake_cb, lp)) == NULL) {
		snprintf(err, errlen, "relay: cannot create the loop's "
		    "events: %s", strerror(errno));
		goto fail;
	}
	return lp;
fail:
	loop_free(lp);
	return NULL;
}

static void *
loop_thread(void *arg)
{
	struct relay_loop *lp = arg;
	char name[16];

	snprintf(name, sizeof(name), "relay-%d", lp->idx % 1000);
	log_thread_name(name);
	/* One iteration at a time: the sends its batches queued leave
	 * together when it ends (udp.c). */
	lp->defer = 1;
	do {
		event_base_loop(lp->base, EVLOOP_ONCE |
		    EVLOOP_NO_EXIT_ON_EMPTY);
		udp_iteration_end(lp);
		/* Out of the batches: the steering sockets that closed in
		 * them are read dry now. */
		udp_steer_reap(lp);
	} while (!event_base_got_break(lp->base));
	lp->defer = 0;
	return NULL;
}

static void
loop_exit(struct relay_loop *lp, void *arg)
{
	event_base_loopbreak(lp->base);
}

/* The CPUs this process may run on (sched_getaffinity(2): taskset and
 * cgroup cpusets count), or the online ones when that fails. */
static long
relay_cpus(void)
{
	cpu_set_t set;
	long n;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    (n = CPU_COUNT(&set)) > 0)
		return n;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

/*
 * Worker threads for relay-threads (0: no worker, one loop in all), with
 * the reason in why.  N > 0 is N workers; 0 (auto) is none on one CPU,
 * one on RELAY_AUTO_ONE_WORKER CPUs, else one per CPU.
 *
 * Measured with tools/compare-coturn.py and tools/soak.py on a quiet
 * 2-CPU machine (load average 0.4-1.1): one worker relays for the CPU of
 * one loop (1080p30 x100 3.80 against 4.44 CPU s per million packets,
 * turnutils_uclient 2.90 against 2.90, 194,746 against 189,467 packets/s
 * at most, allocations/s 3% fewer) and, unlike one loop, never waits
 * behind signaling: the soak's 5000 WebSockets connecting in 5 s beside
 * 50,000 relayed packets/s overflowed the one loop's UDP listener (24,675
 * datagrams dropped at the socket), none with a worker.  Two workers
 * cost 5-18% more CPU per packet on two CPUs (every request to a worker
 * that slept is a wakeup, and the second CPU is wanted by everything
 * else).  With more CPUs one worker would cap the relay at one of them,
 * while workers each get a CPU of their own and steering keeps a call's
 * packets on one worker.  On one CPU threads only add switches.
 */
#define RELAY_AUTO_ONE_WORKER	2

static int
relay_workers(const struct config *cfg, char *why, size_t whylen)
{
	long n = cfg->relay_threads, cpus;

	if (n == 0) {
		cpus = relay_cpus();
		n = cpus <= 1 ? 0 : cpus <= RELAY_AUTO_ONE_WORKER ? 1 : cpus;
		snprintf(why, whylen, "relay-threads 0: %ld CPU%s to run on",
		    cpus, cpus == 1 ? "" : "s");
	} else
		snprintf(why, whylen, "relay-threads %ld", n);
	return n > RELAY_LOOPS_MAX - 1 ? RELAY_LOOPS_MAX - 1 : (int)n;
}


struct relay *
relay_new(const struct relay_env *env, char *err, size_t errlen)
{
	const struct config *cfg = env->cfg;
	struct relay *rl;
	char why[64];
	int i, workers = relay_workers(cfg, why, sizeof(why));

	if ((rl = calloc(1, sizeof(*rl))) == NULL ||
	    (rl->loops = calloc((size_t)workers + 1,
	    sizeof(*rl->loops))) == NULL) {
		free(rl);
		snprintf(err, errlen, "relay: out of memory");
		return NULL;
	}
	rl->env = *env;
	rl->nloops = workers + 1;
	snprintf(rl->threads_why, sizeof(rl->threads_why), "%s", why);
	relay_steer_setup(rl, workers);
	for (rl->ring_bytes = RING_BYTES_MAX; rl->ring_bytes > RING_MIN_BYTES &&
	    rl->ring_bytes > RING_BYTES_ALL / (unsigned)rl->nloops;
	    rl->ring_bytes /= 2)
		;
	if ((rl->sh = turn_shared_new(cfg, err, errlen)) == NULL) {
		relay_free(rl);
		return NULL;
	}
	for (i = 0; workers > 0 && i < (int)cfg->listen.n; i++) {
		char e[256];

		if (udp_probe(&cfg->listen.v[i], cfg->turn_port, e,
		    sizeof(e)) != 0) {
			snprintf(err, errlen, "relay: turn-port: %s", e);
			relay_free(rl);
			return NULL;
		}
	}
	for (i = 0; i < rl->nloops; i++)
		if ((rl->loops[i] = loop_new(rl, i, err, errlen)) == NULL) {
			relay_free(rl);
			return NULL;
		}
	if (tcp_listen(rl, cfg, err, errlen) != 0) {
		relay_free(rl);
		return NULL;
	}
	metrics_set_collect(rl->env.metrics, relay_collect, rl);
	return rl;
}

int
relay_start(struct relay *rl)
{
	struct timeval one = { 1, 0 };
	struct maddr b, a;
	char bs[ADDR_STRLEN], as[ADDR_STRLEN];
	sigset_t all, old;
	int f, i, rc = 0;

	if (rl == NULL)
		return -1;
	for (i = 0; i < rl->nloops; i++) {
		struct relay_loop *lp = rl->loops[i];

		if (udp_start(lp) != 0 || event_add(lp->tick, &one) != 0 ||
		    event_add(lp->wake, NULL) != 0)
			return -1;
	}
	if (tcp_start(rl) != 0)
		return -1;
	/* Workers take no signals: the main loop handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 1; i < rl->nloops && rc == 0; i++) {
		struct relay_loop *lp = rl->loops[i];
		char name[32];

		if ((rc = pthread_create(&lp->thread, NULL, loop_thread,
		    lp)) != 0) {
			log_err("relay: cannot start worker %d: %s", i,
			    strerror(rc));
			break;
		}
		lp->running = 1;
		/* Thread names are 15 bytes at most. */
		snprintf(name, sizeof(name), "relay-%d", i % 1000);
		name[15] = '\0';
		pthread_setname_np(lp->thread, name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -1;
	for (f = 0; f < 2; f++) {
		if (turn_relayed_ip(rl->loops[0]->ctx, f == 0 ? AF_INET :
		    AF_INET6, &b, &a) != 0)
			continue;
		addr_ntop(&b, bs, sizeof(bs));
		addr_ntop(&a, as, sizeof(as));
		if (strcmp(bs, as) == 0)
			log_info("relay: %s relays on %s", f == 0 ? "IPv4" :
			    "IPv6", bs);
		else
			log_info("relay: %s relays on %s, advertised as %s",
			    f == 0 ? "IPv4" : "IPv6", bs, as);
	}
	if (rl->nloops == 1)
		log_info("relay: STUN/TURN on UDP port %d, one event loop (%s)",
		    rl->env.cfg->turn_port, rl->threads_why);
	else
		log_info("relay: STUN/TURN on UDP port %d, %d worker thread%s "
		    "(%s; TCP and TLS on the main loop)%s",
		    rl->env.cfg->turn_port, rl->nloops - 1,
		    rl->nloops == 2 ? "" : "s", rl->threads_why,
		    rl->steer ? ", a call's clients steered to one" : "");
	return 0;
}

void
relay_stop(struct relay *rl)
{
	if (rl == NULL)
		return;
	/* Drain: no new TCP/TLS connections, no new allocations (on every
	 * loop: the flag is shared); UDP stays open for the allocations
	 * there are (their refreshes, permissions and media), and so do
	 * their TCP/TLS connections. */
	turn_drain(rl->loops[0]->ctx);
	tcp_stop(rl);
}

void
relay_drain(struct relay *rl, int on, const struct maddr *alt)
{
	if (rl == NULL)
		return;
	turn_set_drain(rl->loops[0]->ctx, on, alt);
}

static void
loop_reload(struct relay_loop *lp, void *arg)
{
	if (turn_reload(lp->ctx, arg) != 0)
		log_err("relay: cannot apply the new configuration; keeping "
		    "the running one");
}

void
relay_reload(struct relay *rl, const struct config *cfg)
{
	int i;

	if (rl == NULL)
		return;
	rl->env.cfg = cfg;
	for (i = 0; i < rl->nloops; i++)
		loop_call(rl->loops[i], loop_reload, (void *)cfg);
	tcp_reload(rl, cfg);
}

void
relay_halt(struct relay *rl)
{
	int i;

	if (rl == NULL)
		return;
	for (i = 1; i < rl->nloops; i++) {
		struct relay_loop *lp = rl->loops[i];

		if (lp == NULL || !lp->running)
			continue;
		loop_call(lp, loop_exit, NULL);
		pthread_join(lp->thread, NULL);
		lp->running = 0;
	}
}

void
relay_free(struct relay *rl)
{
	int i;

	if (rl == NULL)
		return;
	if (rl->env.metrics->collect_arg == rl)
		metrics_set_collect(rl->env.metrics, NULL, NULL);
	/* The workers stop first; then everything is this thread's. */
	relay_halt(rl);
	/* TCP/TLS connections with their allocations, then the loops. */
	tcp_close(rl);
	for (i = rl->nloops - 1; i >= 0; i--)
		loop_free(rl->loops[i]);
	turn_shared_free(rl->sh);
	free(rl->loops);
	free(rl);
}

void
relay_set_peer_hook(struct relay *rl, relay_peer_hook fn, void *arg)
{
	int i;

	/* Before relay_start(): the workers read it without a lock. */
	for (i = 0; i < rl->nloops; i++)
		turn_set_peer_hook(rl->loops[i]->ctx, fn, arg);
}

void
relay_pairs_changed(struct relay *rl)
{
	if (rl != NULL)
		turn_pairs_changed(rl->loops[0]->ctx);
}

size_t
relay_allocations(struct relay *rl)
{
	return rl != NULL ? turn_shared_alloc_count(rl->loops[0]->ctx) : 0;
}

void
relay_session_ended(struct relay *rl, const char *session)
{
	const char *ids[1] = { session };
	struct relay_loop *lp;
	int i;

	if (rl == NULL || session == NULL || strlen(session) >= CRED_ID_MAX)
		return;
	for (i = 0; i < rl->nloops; i++) {
		lp = rl->loops[i];
		if (!lp->running) {
			/* This thread's loop, or a worker not running. */
			turn_free_sessions(lp->ctx, ids, 1);
			continue;
		}
		/* Without memory the allocations live out their lifetime. */
		(void)relay_loop_post(lp, &lp->reqs, session, 0);
	}
}

void
relay_bans_changed(struct relay *rl)
{
	struct relay_loop *lp;
	int i;

	if (rl == NULL)
		return;
	for (i = 0; i < rl->nloops; i++) {
		lp = rl->loops[i];
		if (!lp->running) {
			turn_free_banned(lp->ctx);
			continue;
		}
		pthread_mutex_lock(&lp->req_mu);
		lp->req_bans = 1;
		pthread_mutex_unlock(&lp->req_mu);
		relay_loop_wake(lp);
	}
}
