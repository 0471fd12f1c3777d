/*
 * turn_fixture.h - what the unit tests of the relay's protocol logic
 * (tests/unit/test_turn_*.c) share: a context on the fake transport
 * (fake_turn_io.h) with a settable clock and pair hook, and a client that
 * builds requests, does the 401/438 nonce dance and reads the answers.
 * Test names carry the IDs of shared/reference/turn-conformance.md.
 *
 * The last answer read (answer(), req()) is kept in lastm/lasts for the
 * checks.  Nothing here prints a TAP line: the checks are the tests'.
 */
#ifndef MEETOPIA_TURN_FIXTURE_H
#define MEETOPIA_TURN_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "auth/cred.h"
#include "common/config.h"
#include "common/metrics.h"
#include "relay/stun_codec.h"
#include "relay/turn.h"
#include "tests/unit/fake_turn_io.h"

#define SECRET		"unit-test-secret-1"
#define SECRET2		"older-test-secret-2"
#define REALM		"unit.test"
/* A credential expiry well after the fixture's clock. */
#define EXP		(1700000000LL + 100000)

/* A context on the fake transport, with its clock and pair hook. */
struct env {
	struct config		*cfg;
	struct turn_ctx		*ctx;
	struct metrics		 m;
	struct fake_io		 io;
	int			 hook_allow;
	int			 hook_calls;
	char			 hook_a[CRED_USER_MAX];
	char			 hook_b[CRED_USER_MAX];
	int			 unpair_in_hook;	/* see hook() */
	char			 deny_asker[CRED_USER_MAX];
	uint64_t		 now;
	long long		 wall;
};

/* Contexts made while this is set have rsock_detach and rsock_adopt. */
extern int fake_detach;

/* A context from "key", "value" pairs (NULL-terminated) over a base
 * configuration (SECRET, REALM, ports 50000-50099); 0 or -1. */
int	env_init(struct env *, const char *const *kv);
/* The same, as loop `loop` of a shared state (NULL: its own). */
int	env_init_in(struct env *, const char *const *kv, struct turn_shared *,
	    int loop);
void	env_free(struct env *);
/* Moves the clock on by add_ms (the wall clock follows). */
void	env_time(struct env *, uint64_t add_ms);
/* The context's figures, as /metrics would show them. */
struct metrics *env_metrics(struct env *);
/*
 * The pair hook (turn_set_peer_hook(ctx, hook, env)): hook_allow, except
 * for the asker deny_asker.  With unpair_in_hook, the pair of the asker
 * ends while the hook answers (as when signaling's thread ends it between
 * the answer and its use): the answer given is the old one, then the
 * asker is denied and the pairs change.
 */
int	hook(void *arg, const char *a, const char *b);

/* A client. */
struct client {
	struct turn_tuple	 t;
	char			 user[600];
	char			 pass[CRED_PASS_MAX];
	char			 nonce[128];
	enum stun_mi		 mi;
	int			 fp;
	int			 noauth;
	uint8_t			 tid[12];
};

/* A client at ip:port with a credential of secret for id until expiry. */
void	client_init(struct client *, const char *ip, int port,
	    const char *secret, const char *id, long long expiry);

/* Attributes of a request. */
struct attrs {
	int		 n;
	struct {
		uint16_t	 type;
		int		 xaddr;
		struct maddr	 a;
		uint8_t		 v[600];
		size_t		 len;
	} a[20];
};

void	A_raw(struct attrs *, uint16_t type, const void *v, size_t len);
void	A_u32(struct attrs *, uint16_t type, uint32_t v);
void	A_peer(struct attrs *, const char *ip, int port);
void	A_peer_addr(struct attrs *, const struct maddr *);
void	A_udp(struct attrs *);

/* The last answer answer() found, parsed and raw. */
extern struct stun_msg lastm;
extern struct fake_sent lasts;

/* The answer's code: 0 success, an error code, -1 none, -2 unparsable. */
int	answer(struct env *, struct client *);
/* A message of the client (a new transaction ID with newtid); its length,
 * 0 when it does not fit. */
size_t	build(struct client *, uint16_t method, uint16_t cls,
	    const struct attrs *, uint8_t *buf, size_t cap, int newtid);
/* Sends a request; answers 401/438 by taking the nonce and retrying once,
 * as a client does.  Returns the final answer's code. */
int	req(struct env *, struct client *, uint16_t method,
	    const struct attrs *);
/* The relayed address of the last Allocate success (n-th, 0-based). */
int	relayed(struct maddr *, int nth);
/* LIFETIME of the last answer (0xFFFFFFFF when none). */
uint32_t lifetime(void);
int	allocate(struct env *, struct client *, struct maddr *relay);
/* Refresh with LIFETIME 0: the allocation is deleted. */
int	dealloc(struct env *, struct client *);
int	permit(struct env *, struct client *, const struct maddr *peer);
int	chanbind(struct env *, struct client *, uint16_t num,
	    const struct maddr *peer);
/* A Send indication. */
void	send_ind(struct env *, struct client *, const struct maddr *peer,
	    const char *data);
/* ChannelData with extra_len added to the length field and pad zeros. */
void	chan_data(struct env *, struct client *, uint16_t num,
	    const char *data, int extra_len, int pad);
/* The open relayed socket of a relayed address, or NULL. */
struct fake_sock *sock_of(struct env *, const struct maddr *relay);
/* Peer data arriving at a relayed address. */
void	from_peer(struct env *, const struct maddr *relay, const char *ip,
	    int port, const char *data);
/* What the client got last as relayed data: 1 and the peer and data of a
 * Data indication, 2 and the channel of ChannelData, 0 for nothing. */
int	got_data(struct env *, struct client *, struct maddr *peer,
	    char *data, size_t cap, uint16_t *chan);
/* The last answer has an attribute of this type. */
int	err_has(uint16_t type);
/* The last answer has a MESSAGE-INTEGRITY(-SHA256). */
int	has_mi(void);
/* The last answer's integrity checks out with the client's key. */
int	mi_ok(struct client *);

#endif
