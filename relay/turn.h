/*
 * turn.h - the TURN server's protocol logic (RFC 8656 over RFC 8489),
 * independent of any transport and of libevent.
 *
 * A struct turn_ctx holds the allocations of one event loop and
 * everything the protocol needs; the transports (relay/udp.c, relay/tcp.c)
 * are thin glue that hand it whole messages and carry out what it asks
 * through struct turn_io: send to a client, send from a relayed address's
 * socket (its rsock), open and close rsocks, hand data to another loop.  With
 * relay-threads, one context per loop shares a struct turn_shared (ports,
 * quotas, reservations, nonce key), and a context is only ever used by its
 * loop's thread.  Clock, randomness, the ban lookup and security events
 * come in through the context too, so unit tests and fuzzers drive the
 * protocol directly.
 *
 * Invariants.
 *  - A request that has not authenticated never allocates memory: nonces
 *    are stateless (auth/nonce.h) and nothing is stored before the MAC
 *    checks out.
 *  - A packet on the data path (ChannelData, Send, peer data) costs no
 *    malloc: allocations keep their permissions and channels in fixed
 *    arrays, and messages are built in the context's scratch buffer or
 *    sent as an iovec that points at the received bytes.
 *  - Our own relayed addresses are delivered inside the process (handed
 *    to the owner's loop when that is another one).  A
 *    permission for one of them is for that exact address (not its IP, which
 *    all allocations share) and is re-checked against the pair hook
 *    whenever the pairs changed (turn_pairs_changed()) or the address
 *    belongs to a different allocation than when it was granted.
 */
#ifndef MEETOPIA_TURN_H
#define MEETOPIA_TURN_H

#include <sys/types.h>
#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/metrics.h"
#include "relay/relay.h"

struct config;
struct turn_alloc;
struct turn_ctx;
struct turn_relayed;
struct turn_shared;

#define TURN_DEFAULT_LIFETIME	600	/* RFC 8656 §7.2 */
#define TURN_PERM_LIFETIME	300	/* §9 */
#define TURN_CHAN_LIFETIME	600	/* §12 */
#define TURN_CHAN_COOLDOWN	300	/* §12: no rebinding for 5 minutes */
#define TURN_RESV_LIFETIME	30	/* EVEN-PORT R bit reservations */
#define TURN_MAX_PERMS		16	/* per allocation */
#define TURN_MAX_CHANS		16
#define TURN_MAX_RESV		1024	/* reservations in total */
#define TURN_CHAN_MIN		0x4000
/*
 * RFC 8656 §12 narrows channel numbers to 0x4000-0x4FFF; RFC 5766 allowed
 * 0x4000-0x7FFF and clients still use it (coturn 4.6's turnutils_uclient
 * binds 0x7xxx).  Nothing else shares the TURN port, so the wider range
 * costs no demultiplexing ambiguity: ChannelData is a first byte of
 * 0x40-0x7F there.
 */
#define TURN_CHAN_MAX		0x7FFF
#define TURN_BUF_MAX		65536	/* one message or datagram */
#define TURN_EVENTS_PER_SEC	50	/* security events, at most */

enum turn_proto {
	TURN_UDP = 0,
	TURN_TCP,
	TURN_TLS
};

/* Where a client message came from: the 5-tuple and the transport. */
struct turn_tuple {
	struct maddr	 client;
	struct maddr	 server;
	uint8_t		 proto;		/* enum turn_proto */
	void		*conn;		/* transport's handle (listener, conn) */
};

/*
 * Data from one of our allocations to the relayed address of another that
 * lives on another loop (relay-threads): what the receiving loop needs to
 * deliver it, with turn_handle_handoff().
 */
struct turn_handoff {
	struct maddr	 dst;		/* relayed address it is sent to */
	struct maddr	 from;		/* the sender's relayed address */
	uint64_t	 dst_id;	/* allocation that owned dst */
	uint64_t	 src_id;	/* the sending allocation */
};

/* Security events the relay raises. */
enum turn_event {
	TURN_EV_AUTH_FAILED = 0,	/* forged or other-secret credential */
	TURN_EV_AUTH_EXPIRED,		/* expired username */
	TURN_EV_AUTH_MALFORMED,		/* username not EXPIRY[:ID] */
	TURN_EV_PEER_DENIED,		/* peer policy */
	TURN_EV_PAIR_DENIED,		/* pair-permissions */
	TURN_EV_BANNED			/* Allocate from a banned client */
};

/*
 * What the protocol asks of its transports.  Each slot names the
 * functions behind it in meetopiad (relay/relay.c fills it in, in
 * loop_new()); the unit tests and fuzzers fill it with fakes.
 */
struct turn_io {
	void	*arg;		/* relay.c: the struct relay_loop */
	/*
	 * Sends a message (scattered) to a client over its transport.
	 * relay.c's relay_to_client(): udp_to_client() (relay/udp.c) for
	 * TURN_UDP, tcp_to_client() (relay/tcp.c) for TURN_TCP and TURN_TLS.
	 */
	void	(*to_client)(void *arg, const struct turn_tuple *,
		    const struct iovec *, int iovcnt);
	/* Sends a datagram from a relayed address's rsock to a peer.
	 * udp_to_peer(). */
	void	(*to_peer)(void *arg, void *rsock, const struct maddr *peer,
		    const uint8_t *, size_t);
	/*
	 * Opens the rsock of a relayed address: a UDP socket bound to addr
	 * (its port set), with the don't-fragment bit when df; *rsock is the
	 * transport's handle, and datagrams that arrive on it go to
	 * turn_handle_peer(ctx, ra, ...).  Returns 0, or -1 (the port is
	 * taken or sockets ran out).  udp_rsock_open().
	 */
	int	(*rsock_open)(void *arg, const struct maddr *addr, int df,
		    struct turn_relayed *ra, void **rsock);
	/* Closes an rsock.  udp_rsock_close(). */
	void	(*rsock_close)(void *arg, void *rsock);
	/*
	 * EVEN-PORT reservations (RFC 8656 §7.2, R bit): the reserved port's
	 * rsock stays bound, on no loop, until the token is taken or the
	 * reservation expires.  rsock_detach takes an open rsock off this
	 * loop and returns its descriptor, still bound (the handle is
	 * freed), or -1: udp_rsock_detach().  rsock_adopt makes such a
	 * descriptor (detached on any loop) an rsock of this loop, as
	 * rsock_open does; it takes the descriptor, and closes it on
	 * failure: udp_rsock_adopt().  Both may be NULL: a reserved port is
	 * then only held in the port table.
	 */
	int	(*rsock_detach)(void *arg, void *rsock);
	int	(*rsock_adopt)(void *arg, int fd, const struct maddr *addr,
		    int df, struct turn_relayed *ra, void **rsock);
	/* Nonzero when the client address is banned (may be NULL).
	 * relay_is_banned(): the program's hook of struct relay_env. */
	relay_ban_hook is_banned;
	/* A security event (may be NULL); user may be NULL.  relay_event():
	 * the security log, with the client's pseudonym. */
	void	(*event)(void *arg, enum turn_event, const struct maddr *client,
		    const char *user, size_t ulen, const char *what);
	/* Random bytes (may be NULL: OpenSSL's RAND_bytes, as in meetopiad). */
	void	(*rand)(void *arg, void *, size_t);
	/*
	 * Hands data to the context of another loop (may be NULL: dropped),
	 * which the glue passes to turn_handle_handoff() on that loop's
	 * thread.  The bytes are the caller's only during the call.
	 * relay_handoff(): the hand-off rings of relay/ring.h.
	 */
	void	(*handoff)(void *arg, int loop, const struct turn_handoff *,
		    const uint8_t *, size_t);
	/*
	 * Steering (relay-threads, see relay/udp.c): a socket of the UDP
	 * client's own 5-tuple, so that the kernel brings its datagrams to
	 * the loop of its allocation whichever listener it would pick, and
	 * the allocation can move to another loop.  steer_open makes it for
	 * a new allocation (0, or -1: none, the client stays on the shared
	 * listener and its allocation on this loop); steer_close closes it.
	 * steer_detach takes it off this loop and returns its descriptor
	 * (or -1); steer_adopt registers such a descriptor (taken, closed on
	 * failure) on this loop and points t->conn at this loop's
	 * transport.  All may be NULL: no steering, allocations never move.
	 * udp_steer_open(), udp_steer_close(), udp_steer_detach(),
	 * udp_steer_adopt().
	 */
	int	(*steer_open)(void *arg, const struct turn_tuple *, void **steer);
	void	(*steer_close)(void *arg, void *steer);
	int	(*steer_detach)(void *arg, void *steer);
	int	(*steer_adopt)(void *arg, int fd, struct turn_tuple *,
		    void **steer);
	/*
	 * Takes an allocation taken out of this context (see turn_move_out())
	 * to loop, whose context takes it in with turn_move_in(): 0, or -1
	 * (not taken: it is taken in here again).  May be NULL: allocations
	 * do not follow their peers.  relay_move_to().
	 */
	int	(*move)(void *arg, int loop, struct turn_alloc *);
	/* Takes in now, with turn_move_in(), the allocations on their way
	 * to this loop (may be NULL).  relay_arrivals(). */
	void	(*arrivals)(void *arg);
};

/*
 * A context from a configuration: realm, auth secrets, relay addresses per
 * family (relay-ip when of that family, else the first listen address of
 * that family), external-ip, port range, lifetimes, quotas, peer policy.
 * NULL with err filled on failure.
 */
struct turn_ctx	*turn_new(const struct config *, const struct turn_io *,
		    char *err, size_t errlen);
void		 turn_free(struct turn_ctx *);

/*
 * relay-threads: one context per event loop, all made with one shared
 * state (the relayed port table, quotas, reservations, nonce key,
 * allocation ids, pair generation, drain flag) and each with its loop's
 * index (0-255).  A context is used by one thread only; the shared state
 * is safe between threads.  turn_new() makes a context with a state of
 * its own.  The shared state is freed after its contexts.
 */
struct turn_shared *turn_shared_new(const struct config *, char *err,
		    size_t errlen);
void		 turn_shared_free(struct turn_shared *);
struct turn_ctx	*turn_new_in(const struct config *, const struct turn_io *,
		    struct turn_shared *, int loop, char *err, size_t errlen);
/* Data from one of our allocations to another's relayed address: from
 * this loop, or handed over by another (struct turn_io's handoff). */
void		 turn_handle_handoff(struct turn_ctx *,
		    const struct turn_handoff *, const uint8_t *, size_t);
/*
 * Moving allocations between loops (relay-threads: a call's two partners
 * on one loop).  turn_move_out() takes the allocations made with a
 * credential of session ("EXPIRY:s-SESSION") that can move (UDP, steered)
 * out of this context: out of its tables, their sockets off its loop
 * (still open, nothing read from them meanwhile, so nothing is lost but
 * kernel queueing), and gives each to io.move (which marks its ports as
 * loop dst's with turn_move_claim()), on this thread (when it cannot take
 * one, that allocation is taken in again here); returns how many moved.
 * turn_move_in() takes one in on the receiving loop's thread (the
 * hand-over between the threads is the caller's, under a lock): its
 * sockets registered there and its relayed ports marked as this loop's;
 * it keeps its permissions, channels, lifetime, quotas and buckets.  When
 * its sockets cannot be registered, or its client is banned meanwhile, it
 * is freed.  0, or -1 when freed.  io.arrivals lets the receiver take in
 * early what is on its way when data for it comes first.
 */
size_t		 turn_move_out(struct turn_ctx *, const char *session,
		    int dst);
int		 turn_move_in(struct turn_ctx *, struct turn_alloc *);
/*
 * An allocation given a permission for the relayed address of another on
 * another loop follows it there (the younger of the two moves), when the
 * batch of messages in hand is handled: the glue calls this at the end of
 * each batch (cheap when nothing is marked).  Through io.move.
 */
void		 turn_follow_peers(struct turn_ctx *);
/*
 * io.move, while it holds the allocation where the receiving loop will
 * take it from (under the lock the receiver takes it with): marks its
 * ports as loop's in the shared port table.  Data for it then goes to
 * that loop, which takes it in early when such data comes first
 * (io.arrivals); what was handed to the old loop before is passed on.
 */
void		 turn_move_claim(struct turn_shared *, struct turn_alloc *,
		    int loop);
/* Frees an allocation on its way here without taking it in (the relay
 * is being freed: nothing of the program is called). */
void		 turn_move_drop(struct turn_ctx *, struct turn_alloc *);
/* The allocations of this context as /metrics counts them (any thread). */
uint64_t	 turn_alloc_gauge(const struct turn_ctx *);
/* Takes the keys that may change live (secrets, realm, quotas, max-bps,
 * lifetimes, peer policy, pair-permissions).  0 or -1 (kept the old). */
int		 turn_reload(struct turn_ctx *, const struct config *);

/* The clock: monotonic milliseconds and Unix seconds, set by the glue. */
void		 turn_set_time(struct turn_ctx *, uint64_t mono_ms,
		    long long wall);

/* A message from a client (STUN or ChannelData): answers it through io. */
void		 turn_handle_client(struct turn_ctx *, const struct turn_tuple *,
		    const uint8_t *, size_t);
/* A datagram that arrived at a relayed socket from peer. */
void		 turn_handle_peer(struct turn_ctx *, struct turn_relayed *,
		    const struct maddr *peer, const uint8_t *, size_t);
/* The client's transport went away (TCP/TLS): delete its allocation. */
void		 turn_tuple_closed(struct turn_ctx *, const struct turn_tuple *);
/* 1 when the client at this 5-tuple has an allocation, 0 when not. */
int		 turn_tuple_allocated(struct turn_ctx *,
		    const struct turn_tuple *);
/*
 * Frees this loop's allocations made with a credential of one of the n
 * sessions ("EXPIRY:s-SESSION", ids are the SESSIONs): the sessions ended
 * for good.  Returns how many were freed.
 */
size_t		 turn_free_sessions(struct turn_ctx *, const char *const *ids,
		    size_t n);
/* Frees this loop's allocations whose client io.is_banned says is banned
 * (new bans end what the banned party holds).  Returns how many. */
size_t		 turn_free_banned(struct turn_ctx *);
/* Expires allocations, permissions, channels and reservations. */
void		 turn_tick(struct turn_ctx *);

/* The pair-permissions hook (relay.h's relay_peer_hook), consulted only
 * while pair-permissions is on. */
void		 turn_set_peer_hook(struct turn_ctx *, relay_peer_hook, void *);
/* The pairs changed: re-check permissions between our own allocations. */
void		 turn_pairs_changed(struct turn_ctx *);
/* The daemon is stopping: new allocations are refused (508), the ones
 * there are live on until they end or the daemon does. */
void		 turn_drain(struct turn_ctx *);
/*
 * Drains (on) or takes the drain back; new Allocates are answered 300 Try
 * Alternate naming alt (RFC 8489 §14.15), or 508 when alt is NULL.
 */
void		 turn_set_drain(struct turn_ctx *, int on,
		    const struct maddr *alt);

/*
 * Adds the context's figures (allocations, auth failures, peers denied,
 * relayed packets and bytes each way, packets to released addresses) to
 * the TURN ones of m.  The context keeps them itself, written by its
 * loop's thread alone; this may be called from any thread (relaxed reads:
 * each figure exact, the set not a snapshot).
 */
void		 turn_metrics_add(const struct turn_ctx *, struct metrics *);

/* Figures for tests and logs. */
size_t		 turn_alloc_count(const struct turn_ctx *);
/* Allocations of all the contexts that share ctx's state. */
size_t		 turn_shared_alloc_count(const struct turn_ctx *);
/* The relayed address bound and advertised for a family: 0, or -1 when
 * the family has none. */
int		 turn_relayed_ip(const struct turn_ctx *, int family,
		    struct maddr *bound, struct maddr *advertised);

#endif
