/*
 * relay.h - the STUN/TURN relay module: its public interface to meetopiad.
 *
 * relay_new() binds the TURN listeners (before privileges are dropped),
 * with what the program gives it in a struct relay_env (below);
 * relay_start() starts serving on the daemon's loop and starts the worker
 * threads of relay-threads; relay_stop() starts
 * the drain of SIGTERM (no new connections or allocations, the live ones
 * keep being served; relay_allocations() tells when they are gone);
 * relay_reload() takes the keys that may change live;
 * relay_halt() stops and joins the worker threads (nothing of the relay
 * runs after it: the daemon calls it before it frees what the workers call
 * into, such as signaling's pair table behind the peer hook);
 * relay_free() stops the workers and closes everything (NULL is fine).
 *
 * Pair permissions (SPEC): the daemon wires signaling's pair table in with
 * relay_set_peer_hook().  The hook is asked, while pair-permissions is on,
 * whenever an allocation asks for a permission or channel to one of our
 * own relayed addresses: fn(arg, user_a, user_b) (a relay_peer_hook) with
 * the usernames of the
 * asking allocation and of the one that owns the address (each
 * "EXPIRY[:ID]", NUL-terminated; cred_session_of() gives the session of
 * "EXPIRY:s-SESSION").  Nonzero allows.  After relay_pairs_changed() every
 * such permission is asked again before its next packet, so a permission to
 * a former partner stops working once the pair ends.  Set the hook before
 * relay_start(); with relay-threads it is called from the relay's worker
 * threads too, so fn must be safe to call from any thread (signaling's
 * pair table takes a read lock).  relay_pairs_changed() is called on the
 * daemon's loop thread.
 *
 * relay-threads (see relay.c): the relay runs on worker threads, each with
 * its own event base; every function here is called from the daemon's
 * loop thread, and relay_reload() waits until each worker has the new
 * configuration.
 */
#ifndef MEETOPIA_RELAY_H
#define MEETOPIA_RELAY_H

#include <stddef.h>

#include "auth/pseudonym.h"
#include "common/addr.h"

struct config;
struct conn_server;
struct event_base;
struct metrics;
struct relay;
struct secevent_log;

/*
 * Whether the client at this address is banned (nonzero: Allocate is
 * refused with 403, and relay_bans_changed() frees what it holds).  Called
 * from any of the relay's threads: it must be safe there and cheap.
 */
typedef int	(*relay_ban_hook)(void *arg, const struct maddr *client);
/*
 * The pseudonym of a client address, the only name of a client that logs
 * and security events carry.  Any thread.
 */
typedef void	(*relay_pseudonym_hook)(void *arg, const struct maddr *client,
		    char out[PSEUDONYM_LEN + 1]);
/*
 * The pair-permissions hook (see above): may an allocation made with
 * user_a permit the relayed address of an allocation made with user_b?
 * Nonzero allows.  Any thread.
 */
typedef int	(*relay_peer_hook)(void *arg, const char *user_a,
		    const char *user_b);

/*
 * What the relay is given by the program: the daemon's loop (loop 0), the
 * configuration (relay_reload() gives the next one), the metrics it
 * registers its figures with, the security log, and the moderation
 * store's two answers, each called with arg.  A NULL is_banned bans no
 * one; a NULL pseudonym leaves clients unnamed.  Copied by relay_new().
 */
struct relay_env {
	struct event_base	*base;
	const struct config	*cfg;
	struct metrics		*metrics;
	struct secevent_log	*seclog;
	relay_ban_hook		 is_banned;
	relay_pseudonym_hook	 pseudonym;
	void			*arg;
};

struct relay	*relay_new(const struct relay_env *, char *err, size_t errlen);
int		 relay_start(struct relay *);
void		 relay_stop(struct relay *);
/*
 * An operator's drain (on) or its undo: new Allocates are answered 300
 * naming alt (NULL: 508); allocations there are keep being served.
 */
void		 relay_drain(struct relay *, int on, const struct maddr *alt);
void		 relay_reload(struct relay *, const struct config *);
void		 relay_halt(struct relay *);
void		 relay_free(struct relay *);

void		 relay_set_peer_hook(struct relay *, relay_peer_hook,
		    void *arg);
void		 relay_pairs_changed(struct relay *);
/*
 * Sessions a and b (the SESSION of "EXPIRY:s-SESSION") were paired: with
 * relay-threads the UDP allocations of both that can move go to one
 * worker thread, so the call relays without a hop between threads.  On
 * the daemon's loop thread; nothing waits.
 */
void		 relay_pair_formed(struct relay *, const char *a,
		    const char *b);

/*
 * A signaling session ended for good: the allocations made with its
 * credentials ("EXPIRY:s-SESSION") are freed, on every loop (the workers'
 * soon after the call returns).  relay_bans_changed(): new bans arrived,
 * the allocations of clients that are now banned are freed likewise.
 * Both are called on the daemon's loop thread.
 */
void		 relay_session_ended(struct relay *, const char *session);
void		 relay_bans_changed(struct relay *);

/*
 * The connection server of TURN over TCP and TLS (common/listener.h): a
 * demultiplexer on a port shared with HTTP hands connections to it.
 */
struct conn_server *relay_conn_server(struct relay *);

/* Live allocations (for logs and meetopiactl stats). */
size_t		 relay_allocations(struct relay *);

#endif
