/*
 * relay_int.h - the relay's glue state (relay/relay.c, relay/steer.c,
 * relay/udp.c, relay/tcp.c): the listeners, connections and rsocks (the sockets of
 * relayed addresses) on libevent around the protocol context of
 * relay/turn.h, and each loop's own counters.  Not part of the module's
 * interface.
 */
#ifndef MEETOPIA_RELAY_INT_H
#define MEETOPIA_RELAY_INT_H

#include <sys/socket.h>

#include <pthread.h>
#include <stdatomic.h>

#include "auth/cred.h"
#include "common/addr.h"
#include "common/metrics.h"
#include "common/ratelimit.h"
#include "relay/relay.h"
#include "relay/turn.h"

struct config;
struct event;
struct evbuffer;
struct relay;
struct tcp_server;

#define RELAY_BATCH	16	/* datagrams per recvmmsg */
#define RELAY_SENDQ	32	/* datagrams per sendmmsg, at most */
#define RELAY_OUT_SMALL	256	/* bytes of a queued datagram copied */

/*
 * A datagram queued while a received batch is handled (udp.c): its parts
 * that point into the receive buffers are referenced (they stay put until
 * the batch ends), the rest (headers built in scratch space) is copied.
 */
struct relay_out {
	int			 fd;
	socklen_t		 tolen;
	struct sockaddr_storage	 to;
	int			 iovcnt;
	struct iovec		 iov[4];
	uint8_t			 small[RELAY_OUT_SMALL];
};

struct udp_listener {
	int			 fd;
	struct event		*ev;
	int			 hold_fd;	/* udp.c: a timerfd to read */
	struct event		*hold;		/* again later, and its event */
	int			 held;		/* logged once */
	struct maddr		 addr;
	struct relay_loop	*lp;
};

struct rsock {
	int			 fd;
	struct event		*ev;
	struct turn_relayed	*ra;	/* its relayed address */
	struct relay_loop	*lp;
};

struct relay_ring;			/* ring.h: hand-off between loops */
struct steer;				/* udp.c: a client's steering socket */
struct relay_req;			/* steer.c: a session that ended */
struct relay_move;			/* steer.c: an allocation moving */

#define RELAY_MOVED_MAX	64		/* moves a loop remembers */

/*
 * One event loop of the relay with its protocol context.  Loop 0 is the
 * daemon's own (TCP and TLS clients, and UDP ones too when the relay
 * runs on one loop); with relay-threads the others are worker threads,
 * each with a UDP listener of its own on turn-port (SO_REUSEPORT: the
 * kernel keeps a client's 5-tuple on one of them).  Everything in here
 * is touched by its loop's thread only, except what is marked.
 */
struct relay_loop {
	struct relay		*rl;
	int			 idx;		/* 0: the daemon's loop; others
						   have a base and thread of
						   their own */
	struct event_base	*base;
	int			 running;	/* the thread runs */
	pthread_t		 thread;
	struct turn_ctx		*ctx;
	struct udp_listener	*udp;
	size_t			 nudp;
	struct event		*tick;
	uint8_t			 cur_proto;	/* of the message in hand */
	struct rl_window	 emfile_log;	/* ms: one line a second */

	/* Receive buffers, one batch.  On a worker (defer) the sends of a
	 * batch wait for the end of the loop's iteration, so that the
	 * batches of many sockets (a steering socket per client) leave in
	 * one sendmmsg: bufs_used slots hold datagrams that queued sends
	 * still point into, and the next batch is read after them. */
	uint8_t			*bufs;		/* RELAY_BATCH * TURN_BUF_MAX */
	int			 defer;
	int			 bufs_used;

	/* Sends of the batch in hand, flushed with sendmmsg when it ends;
	 * held_lo/held_hi: the hand-off ring being delivered from, whose
	 * records stay put until the flush too. */
	int			 batching;
	int			 nout;
	struct relay_out	*out;		/* RELAY_SENDQ */
	const uint8_t		*held_lo;
	const uint8_t		*held_hi;
	metric_t		 send_drops;	/* datagrams not sent (this
						   thread writes, metrics reads) */
	int			 gso_off;	/* the kernel refused UDP GSO */
	int			 gso_used;	/* logged once */
	/* Steering sockets whose allocation went (udp.c): off the loop,
	 * read dry and closed when the loop is out of its batches
	 * (udp_steer_reap()), so that nothing queued on them is lost. */
	struct steer		*closing;

	/* Hand-off from the other loops: a ring per sender (made on first
	 * use by the sender), an eventfd to wake this loop. */
	struct relay_ring * _Atomic *in;	/* [nloops]; shared */
	int			 efd;
	struct event		*wake;
	_Atomic int		 signaled;	/* shared */
	metric_t		 handoff_drops;	/* this thread writes (sender) */
	metric_t		 handoffs;	/* packets this loop handed to
						   another (this thread writes,
						   metrics reads) */
	/* Loops this one handed packets to during the batch in hand: woken
	 * once each when the batch ends (relay_wake_flush()), not once per
	 * packet.  This thread's only. */
	uint64_t		 wake_mask[2];

	/* A call from the main thread (reload, stop); shared, cmd_mu. */
	pthread_mutex_t		 cmd_mu;
	pthread_cond_t		 cmd_cv;
	void			(*cmd)(struct relay_loop *, void *);
	void			*cmd_arg;
	int			 cmd_done;

	/* Requests from the main thread that wait for no answer: sessions
	 * that ended, new bans (steer.c); shared, req_mu. */
	pthread_mutex_t		 req_mu;
	struct relay_req	*reqs;
	int			 req_bans;
	/* Sessions whose movable allocations go to another loop (a pair
	 * formed), and allocations that arrive from another loop; shared,
	 * req_mu.  moved: where the last sessions' allocations went, so
	 * that a session that ends meanwhile is ended there too (this
	 * thread's only). */
	struct relay_req	*moves;
	struct relay_move	*arrivals;
	struct {
		char		 id[CRED_ID_MAX];
		int		 dst;
	}			 moved[RELAY_MOVED_MAX];
	int			 nmoved;
};

struct relay {
	struct relay_env	 env;		/* the program's (relay.h) */
	struct turn_shared	*sh;
	struct relay_loop      **loops;
	int			 nloops;	/* 1 + worker threads */
	char			 threads_why[64]; /* how relay-threads
						   resolved, for the log */
	struct tcp_server	*tcp;		/* tcp.c: TCP and TLS, loop 0 */
	int			 steer;		/* steering sockets, and moves
						   at pairing (steer.c) */
	long			 steer_max;	/* steering sockets, at most */
#define STEER_MAX	256	/* 128 calls; ~8 us per unsteered datagram */
	_Atomic long		 nsteer;	/* open now; shared */
	uint32_t		 ring_bytes;	/* of each hand-off ring */
};

/* udp.c */
int	udp_listen(struct relay_loop *, const struct maddr *, int port,
	    int reuseport, char *, size_t);
int	udp_probe(const struct maddr *, int port, char *, size_t);
void	udp_close(struct relay_loop *);
int	udp_start(struct relay_loop *);
void	udp_flush(struct relay_loop *);
void	udp_iteration_end(struct relay_loop *);
void	udp_to_client(void *, const struct turn_tuple *, const struct iovec *,
	    int);
void	udp_to_peer(void *, void *, const struct maddr *, const uint8_t *,
	    size_t);
int	udp_rsock_open(void *, const struct maddr *, int, struct turn_relayed *,
	    void **);
void	udp_rsock_close(void *, void *);
int	udp_rsock_detach(void *, void *);
int	udp_rsock_adopt(void *, int, const struct maddr *, int,
	    struct turn_relayed *, void **);
/* udp.c's pieces that udp_steer.c's steering sockets use. */
int	udp_socket(const struct maddr *, int, char *, size_t);
int	udp_batch(struct relay_loop *, int, void (*)(struct relay_loop *,
	    void *, const struct maddr *, const uint8_t *, size_t), void *,
	    int *);
void	udp_listener_dgram(struct relay_loop *, void *, const struct maddr *,
	    const uint8_t *, size_t);
/* udp_steer.c */
int	udp_steer_open(void *, const struct turn_tuple *, void **);
void	udp_steer_close(void *, void *);
void	udp_steer_reap(struct relay_loop *);
void	udp_steer_close_all(struct relay_loop *);
int	udp_steer_detach(void *, void *);
int	udp_steer_adopt(void *, int, struct turn_tuple *, void **);

/* tcp.c */
int	tcp_listen(struct relay *, const struct config *, char *, size_t);
int	tcp_start(struct relay *);
void	tcp_stop(struct relay *);
void	tcp_reload(struct relay *, const struct config *);
void	tcp_close(struct relay *);
void	tcp_to_client(void *, const struct turn_tuple *, const struct iovec *,
	    int);
/* Stream framing (RFC 8656 §12.5), pure; see tcp.c.  tcp.c's own
 * (UNITTEST): the fuzz target of the framing calls them. */
#ifdef MEETOPIA_UNITTEST
int	tcp_frame(const uint8_t *, size_t, size_t *, size_t *);
int	tcp_drain(struct evbuffer *, size_t *,
	    int (*)(void *, const uint8_t *, size_t), int (*)(void *), void *);
#endif

/* relay.c */
void	relay_clock(struct relay_loop *);
void	relay_wake_flush(struct relay_loop *);
void	relay_loop_wake(struct relay_loop *);

/* steer.c */
int	relay_loop_post(struct relay_loop *, struct relay_req **,
	    const char *id, int dst);
int	relay_move_to(void *, int, struct turn_alloc *);
void	relay_arrivals(void *);
void	relay_arrivals_drop(struct relay_loop *);
void	relay_requests(struct relay_loop *);
void	relay_requests_free(struct relay_loop *);
void	relay_steer_setup(struct relay *, int workers);

#endif
