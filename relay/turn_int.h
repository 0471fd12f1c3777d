/*
 * turn_int.h - the relay's private state, shared by relay/turn.c (the
 * request handlers) and relay/allocation.c (allocations, permissions,
 * channels, quotas, relayed ports).  Not part of the module's interface.
 */
#ifndef MEETOPIA_TURN_INT_H
#define MEETOPIA_TURN_INT_H

#include <sys/queue.h>
#include <sys/tree.h>

#include <pthread.h>
#include <stdatomic.h>

#include "auth/nonce.h"
#include "auth/ltkey.h"
#include "common/ratelimit.h"
#include "relay/peer_policy.h"
#include "relay/stun_codec.h"
#include "relay/turn.h"

struct turn_alloc;

/* A permission: for an IP (RFC 8656 §9), or, for one of our own relayed
 * addresses, for that exact address with its pair check. */
struct turn_perm {
	struct maddr		 peer;		/* port 0 unless internal */
	uint64_t		 expires;	/* ms */
	uint64_t		 peer_id;	/* internal: allocation checked */
	uint32_t		 gen;		/* internal: pair_gen checked */
	uint8_t			 internal;
	uint8_t			 ok;		/* internal: the hook's answer */
};

/* A channel; after expiry it cools down (no rebinding elsewhere). */
struct turn_chan {
	uint16_t		 num;
	struct maddr		 peer;
	uint64_t		 expires;	/* ms; bound while now < expires */
};

/*
 * A relayed transport address of an allocation (RFC 8656 §2): the port
 * of the relayed range it holds, and its socket (rsock, the transport's
 * handle).  Words: "relay" is the module; a "relayed" address is this;
 * an "rsock" is its socket; a "port" is a slot of the relayed range,
 * claimed, opened (alloc_port_open: claimed and its rsock opened) and
 * closed.
 */
struct turn_relayed {
	RB_ENTRY(turn_relayed)	 entry;		/* ctx->relayed, by adv */
	struct maddr		 bound;		/* where the rsock is bound */
	struct maddr		 adv;		/* what clients see (external-ip) */
	void			*rsock;
	int			 mfd;		/* the rsock's descriptor while
						   the allocation moves */
	uint8_t			 df;		/* DONT-FRAGMENT asked */
	struct turn_alloc	*a;		/* NULL while reserved */
	struct turn_ctx		*ctx;		/* NULL while it moves */
};


struct turn_count;

struct turn_alloc {
	RB_ENTRY(turn_alloc)	 entry;		/* ctx->allocs, by tuple */
	TAILQ_ENTRY(turn_alloc)	 all;
	uint64_t		 id;		/* serial, never reused */
	struct turn_tuple	 t;
	uint64_t		 expires;	/* ms */
	uint8_t			 tid[STUN_TID_LEN]; /* the Allocate's */
	char			*user;		/* NUL-terminated */
	size_t			 userlen;
	uint8_t			 key[LTKEY_LEN];
	struct turn_relayed	*relayed[2];
	int			 nrelayed;
	void			*steer;		/* io.steer_open's, or NULL */
	int			 steer_fd;	/* its descriptor while the
						   allocation moves */
	int			 move_to;	/* loop it follows its peer
						   to at the batch's end, or 0 */
	uint8_t			 resv_token[8];	/* EVEN-PORT R=1 */
	int			 has_resv;
	int			 lifetime;	/* seconds, last granted */
	struct turn_count	*ucount;
	struct turn_count	*icount;
	struct rl_bucket	 up;		/* max-bps, client -> peer */
	struct rl_bucket	 down;		/* max-bps, peer -> client */
	int			 nperms;
	struct turn_perm	 perms[TURN_MAX_PERMS];
	int			 nchans;
	struct turn_chan	 chans[TURN_MAX_CHANS];
};

/* Concurrent allocations per username or per client IP. */
struct turn_count {
	RB_ENTRY(turn_count)	 entry;
	struct maddr		 ip;		/* per-IP key */
	char			*user;		/* per-user key */
	size_t			 userlen;
	long long		 n;
};

/* A reserved port (EVEN-PORT R=1): held in the port table, its socket
 * kept bound (fd, on no event loop) and handed to the Allocate that brings
 * the token, on whichever loop; closed when the reservation expires. */
struct turn_resv {
	LIST_ENTRY(turn_resv)	 entry;
	uint8_t			 token[8];
	int			 fi;		/* family index */
	uint16_t		 port;
	int			 fd;		/* -1: held in the table only */
	uint64_t		 expires;
};

RB_HEAD(turn_alloc_tree, turn_alloc);
RB_HEAD(turn_relayed_tree, turn_relayed);
RB_HEAD(turn_count_tree, turn_count);
TAILQ_HEAD(turn_alloc_list, turn_alloc);
LIST_HEAD(turn_resv_list, turn_resv);

int	turn_alloc_cmp(struct turn_alloc *, struct turn_alloc *);
int	turn_relayed_cmp(struct turn_relayed *, struct turn_relayed *);
int	turn_count_cmp(struct turn_count *, struct turn_count *);
RB_PROTOTYPE(turn_alloc_tree, turn_alloc, entry, turn_alloc_cmp)
RB_PROTOTYPE(turn_relayed_tree, turn_relayed, entry, turn_relayed_cmp)
RB_PROTOTYPE(turn_count_tree, turn_count, entry, turn_count_cmp)

/*
 * What the contexts of one relay share (relay/shared.c), one context per
 * event loop: the relayed port table, quotas, reservations, the nonce
 * key, allocation ids, the pair generation and the drain flag.
 *
 * The port table is read without a lock on the data path: a slot is
 * PORT_FREE, PORT_HELD (bound or reserved, no allocation yet), or the
 * owner's allocation id and loop index, PORT_OWNER(id, loop).  Usernames
 * of owners, counts and reservations are under mu, taken on Allocate,
 * on free and when a permission between two allocations is checked.
 */
#define PORT_FREE		0
#define PORT_HELD		1
#define PORT_LOOP_BITS		8
#define PORT_OWNER(id, loop)	(((uint64_t)(id) << PORT_LOOP_BITS) | \
				    (uint64_t)(loop))
#define PORT_ID(v)		((v) >> PORT_LOOP_BITS)
#define PORT_LOOP(v)		((int)((v) & ((1u << PORT_LOOP_BITS) - 1)))
#define PORT_IS_OWNED(v)	((v) >= (1u << PORT_LOOP_BITS))

struct turn_shared {
	pthread_mutex_t		 mu;
	struct turn_count_tree	 users;		/* mu */
	struct turn_count_tree	 ips;		/* mu */
	_Atomic long long	 nallocs;	/* changed under mu */
	struct turn_resv_list	 resvs;		/* mu */
	size_t			 nresv;		/* mu */
	uint16_t		 min_port;	/* the relayed port range */
	uint16_t		 max_port;
	size_t			 span;
	_Atomic uint64_t	*ports[2];	/* [fi][port - min_port] */
	const char	       **owners[2];	/* mu: owner's username */
	_Atomic uint64_t	 next_id;
	_Atomic uint32_t	 pair_gen;
	_Atomic int		 draining;
	struct maddr		 alt;		/* mu: ALTERNATE-SERVER */
	int			 has_alt;	/* mu */
	struct nonce_key	 nkey;		/* read-only */
};

/*
 * A context's figures: written by its loop's thread only, with
 * metrics_own_add() (no read-modify-write on the data path), and summed
 * by turn_metrics_add() when /metrics is read.
 */
struct turn_stats {
	metric_t		 allocations;	/* gauge */
	metric_t		 allocations_total;
	metric_t		 auth_failures;
	metric_t		 peer_denied;
	metric_t		 packets_to_peer;
	metric_t		 bytes_to_peer;
	metric_t		 packets_to_client;
	metric_t		 bytes_to_client;
	metric_t		 released_peer_drops;
};

struct turn_ctx {
	struct turn_io		 io;
	struct turn_shared	*sh;
	int			 own_sh;	/* sh made for this context */
	int			 loop;		/* index in the port table */
	struct turn_stats	 st;

	/* Configuration. */
	char			*realm;
	size_t			 realmlen;
	char		       **secrets;
	size_t			 nsecrets;
	long long		 max_lifetime;
	long long		 user_quota;
	long long		 ip_quota;
	long long		 total_quota;
	long long		 max_bps;
	int			 pair_permissions;
	struct peer_policy	 policy;
	int			 has_family[2];	/* [0] IPv4, [1] IPv6 */
	struct maddr		 relay_ip[2];
	struct maddr		 adv_ip[2];
	char			 software[64];

	/* Clock. */
	uint64_t		 now;		/* monotonic ms */
	long long		 wall;		/* Unix seconds */

	/* Pair hook. */
	relay_peer_hook		 peer_hook;
	void			*peer_hook_arg;

	/* State: this loop's allocations and relayed sockets. */
	struct turn_alloc_tree	 allocs;
	struct turn_alloc_list	 all;
	size_t			 nallocs;
	struct turn_relayed_tree relayed;	/* by adv */

	/* Security events this second. */
	struct rl_window	 events;	/* seconds of ctx->now */

	/* Transaction IDs of our Data indications: a random prefix and a
	 * counter, so that no packet costs a call to the random source. */
	uint8_t			 ind_tid[STUN_TID_LEN];
	uint32_t		 ind_seq;

	/* Allocations marked to follow their peer's loop (move_to). */
	int			 nfollow;

	/* Scratch for outgoing messages. */
	uint8_t			 obuf[2048];
};

static inline int
turn_fam_idx(int family)
{
	return family == AF_INET6 ? 1 : 0;
}

/*
 * What a new allocation is made of: gathered by the Allocate handler,
 * taken over by alloc_new().
 */
struct alloc_spec {
	const struct turn_tuple	*t;
	const uint8_t		*tid;		/* the Allocate's */
	const char		*user;
	size_t			 ulen;
	const uint8_t		*key;		/* LTKEY_LEN */
	long long		 lifetime;	/* seconds */
	struct turn_relayed	*relayed[2];
	int			 nrelayed;
	int			 has_resv;	/* EVEN-PORT R=1 */
	uint8_t			 resv_token[8];
	struct turn_count	*ucount;	/* quota counts taken */
	struct turn_count	*icount;
};

/* What an authenticated request was authenticated with (turn.c). */
struct turn_auth {
	const char		*user;
	size_t			 ulen;
	uint8_t			 key[LTKEY_LEN];
	enum stun_mi		 mi;
};

/* turn.c: answers.  au is NULL before authentication succeeded. */
void	turn_reply_begin(struct turn_ctx *, struct wr *,
	    const struct stun_msg *, uint16_t cls);
void	turn_reply_end(struct turn_ctx *, const struct turn_tuple *,
	    struct wr *, const struct stun_msg *, const struct turn_auth *);
void	turn_reply_error(struct turn_ctx *, const struct turn_tuple *,
	    const struct stun_msg *, const struct turn_auth *, int code);

/* turn_allocate.c: Allocate (old: the 5-tuple's allocation, if any) and
 * Refresh, authenticated. */
void	turn_allocate(struct turn_ctx *, const struct turn_tuple *,
	    const struct stun_msg *, struct turn_alloc *old,
	    const struct turn_auth *);
void	turn_refresh(struct turn_ctx *, const struct turn_tuple *,
	    const struct stun_msg *, struct turn_alloc *,
	    const struct turn_auth *);

/* turn_peer.c: CreatePermission and ChannelBind (authenticated), Send
 * indications, ChannelData, and data for the client of ra's allocation
 * (from a peer, or from another of our allocations, src_id not 0). */
void	turn_permission(struct turn_ctx *, const struct turn_tuple *,
	    const struct stun_msg *, struct turn_alloc *,
	    const struct turn_auth *);
void	turn_channel_bind(struct turn_ctx *, const struct turn_tuple *,
	    const struct stun_msg *, struct turn_alloc *,
	    const struct turn_auth *);
void	turn_send(struct turn_ctx *, const struct turn_tuple *,
	    const struct stun_msg *);
void	turn_channel_data(struct turn_ctx *, const struct turn_tuple *,
	    const uint8_t *, size_t);
void	turn_deliver(struct turn_ctx *, struct turn_relayed *ra,
	    const struct maddr *from, const uint8_t *, size_t, uint64_t src_id);

/* allocation.c */
/* Makes the allocation of s and registers it (in the tables, its ports
 * owned, counted): the one place an allocation is made, as alloc_free()
 * is the one where it goes.  It takes s's relayed addresses and quota
 * counts; NULL (out of memory) leaves them the caller's. */
struct turn_alloc *alloc_new(struct turn_ctx *, const struct alloc_spec *);
struct turn_alloc *alloc_find(struct turn_ctx *, const struct turn_tuple *);
struct turn_relayed *alloc_relayed_by_adv(struct turn_ctx *,
	    const struct maddr *);
struct turn_relayed *alloc_relayed_of(struct turn_alloc *, int family);
void	alloc_free(struct turn_ctx *, struct turn_alloc *);
/* Opens a port: claims a random free port of the range (even when even;
 * port when not 0) and opens its rsock; the relayed address, or NULL
 * when none could be had. */
struct turn_relayed *alloc_port_open(struct turn_ctx *, int family, int even,
	    int df, uint16_t port);
/* Closes a port's rsock; the port is freed, or kept held (hold). */
void	alloc_port_close(struct turn_ctx *, struct turn_relayed *, int hold);
/* Takes a port's rsock off this loop for a reservation: its port stays
 * held and its socket bound; the descriptor, or -1 (closed: held in the
 * port table only). */
int	alloc_port_detach(struct turn_ctx *, struct turn_relayed *);
/* Gives back a reservation taken but not used: its socket and port. */
void	alloc_resv_drop(struct turn_ctx *, int fi, uint16_t port, int fd);
/* Opens the rsock of a port held for a reservation, from its
 * kept descriptor fd (taken) or anew when fd is -1. */
struct turn_relayed *alloc_port_open_held(struct turn_ctx *, int fi,
	    uint16_t port, int df, int fd);
/* relay-threads: a, which was just given a permission for peer, one of
 * our relayed addresses on another loop, is marked to move there when
 * the batch in hand ends (turn_follow_peers()); of two allocations that
 * permit each other the younger follows the older, so that they do not
 * swap loops. */
void	alloc_follow(struct turn_ctx *, struct turn_alloc *,
	    const struct maddr *peer);
struct turn_perm *perm_find(struct turn_ctx *, struct turn_alloc *,
	    const struct maddr *peer, int internal);
int	perm_install(struct turn_ctx *, struct turn_alloc *,
	    const struct maddr *peer, int internal, uint64_t peer_id);
int	perm_internal_ok(struct turn_ctx *, struct turn_alloc *,
	    struct turn_perm *, const struct maddr *peer, uint64_t peer_id);
struct turn_chan *chan_by_num(struct turn_alloc *, uint16_t, uint64_t now,
	    int live);
struct turn_chan *chan_by_peer(struct turn_alloc *, const struct maddr *,
	    uint64_t now, int live);
int	chan_bind(struct turn_ctx *, struct turn_alloc *, uint16_t,
	    const struct maddr *);
int	bucket_take(struct turn_ctx *, struct rl_bucket *, size_t);
void	alloc_expire(struct turn_ctx *);
void	turn_event(struct turn_ctx *, enum turn_event, const struct maddr *,
	    const char *, size_t, const char *);
void	turn_random(struct turn_ctx *, void *, size_t);

/* shared.c (and turn_shared_new(), turn_shared_free() of turn.h) */
/* The port table's slot of adv: PORT_FREE when adv is not one of our
 * relayed addresses (not the advertised IP, or outside the range). */
uint64_t tsh_owner(struct turn_ctx *, const struct maddr *adv);
/* 1 when adv is the advertised IP of its family at a port of the relayed
 * range: one of our relayed addresses, live or not. */
int	tsh_relayed_addr(struct turn_ctx *, const struct maddr *adv);
/* Claims a free port (PORT_FREE to PORT_HELD); 0 or -1 (taken). */
int	tsh_claim(struct turn_shared *, int fi, uint16_t port);
void	tsh_release(struct turn_shared *, int fi, uint16_t port);
/* Marks a held port as the allocation's, or back to held (a NULL). */
void	tsh_own(struct turn_ctx *, int fi, uint16_t port, struct turn_alloc *);
/* Marks a port as the allocation's on another loop (it moves there). */
void	tsh_own_at(struct turn_shared *, int fi, uint16_t port,
	    struct turn_alloc *, int loop);
/* Copies the username of the allocation id that owns adv; 0 or -1. */
int	tsh_owner_user(struct turn_ctx *, const struct maddr *adv, uint64_t id,
	    char *buf, size_t len);
/* Quotas: counts an allocation for user and client IP when within the
 * limits: 0, 486 (user or IP quota) or 508 (total quota, no memory). */
int	tsh_quota_take(struct turn_ctx *, const char *user, size_t ulen,
	    const struct maddr *client, struct turn_count **uc,
	    struct turn_count **ic);
void	tsh_quota_put(struct turn_shared *, struct turn_count *uc,
	    struct turn_count *ic);
/* Reservations: add (the port already held, fd its bound socket or -1;
 * the descriptor is taken, closed on failure) and take by token (the
 * port still held, *fd the caller's). */
int	tsh_resv_add(struct turn_ctx *, int fi, uint16_t port, int fd,
	    uint8_t *token);
int	tsh_resv_take(struct turn_ctx *, const uint8_t *token, int *fi,
	    uint16_t *port, int *fd);
void	tsh_resv_expire(struct turn_shared *, uint64_t now);

#endif
