/*
 * turn_int.h - the relay's private state, shared by relay/turn.c (the
 * request handlers) and relay/allocation.c (allocations, permissions,
 * channels, quotas, relayed ports).  Not part of the module's interface.
 */
#ifndef MEETOPIA_TURN_INT_H
#define MEETOPIA_TURN_INT_H

#include <sys/queue.h>
#include <sys/tree.h>

#include "auth/nonce.h"
#include "auth/ltkey.h"
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

/* One relayed transport address of an allocation (or a reservation). */
struct turn_relay {
	RB_ENTRY(turn_relay)	 entry;		/* ctx->relays, by adv */
	struct maddr		 bound;		/* where the socket is bound */
	struct maddr		 adv;		/* what clients see (external-ip) */
	void			*sock;
	struct turn_alloc	*a;		/* NULL while reserved */
	struct turn_ctx		*ctx;
};

/* Token bucket of max-bps, one per direction. */
struct turn_bucket {
	int64_t			 tokens;	/* bytes */
	uint64_t		 last;		/* ms */
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
	struct turn_relay	*relay[2];
	int			 nrelay;
	uint8_t			 resv_token[8];	/* EVEN-PORT R=1 */
	int			 has_resv;
	int			 lifetime;	/* seconds, last granted */
	struct turn_count	*ucount;
	struct turn_count	*icount;
	struct turn_bucket	 up;		/* client -> peer */
	struct turn_bucket	 down;		/* peer -> client */
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

struct turn_resv {
	LIST_ENTRY(turn_resv)	 entry;
	uint8_t			 token[8];
	struct turn_relay	*relay;
	uint64_t		 expires;
};

RB_HEAD(turn_alloc_tree, turn_alloc);
RB_HEAD(turn_relay_tree, turn_relay);
RB_HEAD(turn_count_tree, turn_count);
TAILQ_HEAD(turn_alloc_list, turn_alloc);
LIST_HEAD(turn_resv_list, turn_resv);

int	turn_alloc_cmp(struct turn_alloc *, struct turn_alloc *);
int	turn_relay_cmp(struct turn_relay *, struct turn_relay *);
int	turn_count_cmp(struct turn_count *, struct turn_count *);
RB_PROTOTYPE(turn_alloc_tree, turn_alloc, entry, turn_alloc_cmp)
RB_PROTOTYPE(turn_relay_tree, turn_relay, entry, turn_relay_cmp)
RB_PROTOTYPE(turn_count_tree, turn_count, entry, turn_count_cmp)

struct turn_ctx {
	struct turn_io		 io;
	struct metrics		*m;
	struct metrics		 own_metrics;	/* when none was given */

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
	int			 draining;	/* turn_drain() */
	struct peer_policy	 policy;
	int			 has_family[2];	/* [0] IPv4, [1] IPv6 */
	struct maddr		 relay_ip[2];
	struct maddr		 adv_ip[2];
	uint16_t		 min_port;
	uint16_t		 max_port;
	char			 software[64];
	struct nonce_key	 nkey;

	/* Clock. */
	uint64_t		 now;		/* monotonic ms */
	long long		 wall;		/* Unix seconds */

	/* Pair hook. */
	turn_peer_hook		 peer_hook;
	void			*peer_hook_arg;
	uint32_t		 pair_gen;

	/* State. */
	struct turn_alloc_tree	 allocs;
	struct turn_alloc_list	 all;
	size_t			 nallocs;
	uint64_t		 next_id;
	struct turn_relay_tree	 relays;
	struct turn_count_tree	 users;
	struct turn_count_tree	 ips;
	struct turn_resv_list	 resvs;
	size_t			 nresv;

	/* Security events this second. */
	long long		 ev_second;
	int			 ev_count;

	/* Transaction IDs of our Data indications: a random prefix and a
	 * counter, so that no packet costs a call to the random source. */
	uint8_t			 ind_tid[STUN_TID_LEN];
	uint32_t		 ind_seq;

	/* Scratch for outgoing messages. */
	uint8_t			 obuf[2048];
};

static inline int
turn_fam_idx(int family)
{
	return family == AF_INET6 ? 1 : 0;
}

/* allocation.c */
struct turn_alloc *alloc_find(struct turn_ctx *, const struct turn_tuple *);
struct turn_relay *alloc_relay_by_adv(struct turn_ctx *, const struct maddr *);
struct turn_relay *alloc_relay_of(struct turn_alloc *, int family);
void	alloc_free(struct turn_ctx *, struct turn_alloc *);
struct turn_count *alloc_count_user(struct turn_ctx *, const char *, size_t,
	    int create);
struct turn_count *alloc_count_ip(struct turn_ctx *, const struct maddr *,
	    int create);
void	alloc_count_put(struct turn_ctx *, struct turn_count *, int is_user);
/* Opens a relayed socket of a family on a random free port of the range
 * (even when even); NULL when none could be had. */
struct turn_relay *alloc_relay_open(struct turn_ctx *, int family, int even,
	    int df, uint16_t port);
void	alloc_relay_close(struct turn_ctx *, struct turn_relay *);
struct turn_resv *alloc_resv_take(struct turn_ctx *, const uint8_t *token);
int	alloc_resv_add(struct turn_ctx *, struct turn_relay *, uint8_t *token);
void	alloc_resv_free(struct turn_ctx *, struct turn_resv *);
struct turn_perm *perm_find(struct turn_ctx *, struct turn_alloc *,
	    const struct maddr *peer, int internal);
int	perm_install(struct turn_ctx *, struct turn_alloc *,
	    const struct maddr *peer, int internal, uint64_t peer_id);
int	perm_internal_ok(struct turn_ctx *, struct turn_alloc *,
	    struct turn_perm *, struct turn_alloc *peer);
struct turn_chan *chan_by_num(struct turn_alloc *, uint16_t, uint64_t now,
	    int live);
struct turn_chan *chan_by_peer(struct turn_alloc *, const struct maddr *,
	    uint64_t now, int live);
int	chan_bind(struct turn_ctx *, struct turn_alloc *, uint16_t,
	    const struct maddr *);
int	bucket_take(struct turn_ctx *, struct turn_bucket *, size_t);
void	alloc_expire(struct turn_ctx *);
void	turn_event(struct turn_ctx *, enum turn_event, const struct maddr *,
	    const char *, size_t, const char *);
void	turn_random(struct turn_ctx *, void *, size_t);

#endif
