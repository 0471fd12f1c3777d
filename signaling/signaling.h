/*
 * signaling.h - the signaling module's public interface: the HTTP/HTTPS
 * server (web client, /healthz, /metrics, /api/ice-servers, the /admin/v1/
 * route), WebSocket /ws with the pairing queue, SDP/ICE relay with IP
 * masking and chat (SPEC "Signaling" and "HTTP").
 *
 * Lifecycle, from meetopiad.c:
 *   signaling_new()     binds the listeners (before privileges are dropped)
 *   signaling_start()   starts accepting
 *   signaling_reload()  takes the live keys of a new configuration
 *   signaling_stop()    stops accepting, closes every socket
 *   signaling_free()
 *
 * The pair table is readable from any thread (the relay's peer-policy hook
 * asks it from its workers); everything else runs on the daemon's loop.
 */
#ifndef MEETOPIA_SIGNALING_H
#define MEETOPIA_SIGNALING_H

#include <stddef.h>

struct daemon;
struct config;
struct signaling;

/* Binds every listener; NULL with a one-line err on failure. */
struct signaling *signaling_new(struct daemon *, char *err, size_t errlen);
int		 signaling_start(struct signaling *);
/* Live keys after SIGHUP (limits, origins, api keys, TLS certificate). */
void		 signaling_reload(struct signaling *, const struct config *);
void		 signaling_stop(struct signaling *);
void		 signaling_free(struct signaling *);

/*
 * Whether sessions a and b (the SESSION of "EXPIRY:s-SESSION") are each
 * other's current partners.  Safe from any thread; a few hundred ns.
 */
int		 sig_are_partners(struct signaling *, const char *a,
		    const char *b);

/*
 * The relay's pair-permissions hook, in the shape of relay/turn.h's
 * turn_peer_hook (arg is the struct signaling): may an allocation made
 * with username user_a permit the relayed address of one made with user_b?
 * A username that names no session ("EXPIRY" or "EXPIRY:ID") is not
 * restricted; one that names a session ("EXPIRY:s-SESSION") may reach
 * only allocations whose username names that session's current partner.
 * Nonzero allows.  Safe from any thread.
 */
int		 sig_peer_hook(void *arg, const char *user_a,
		    const char *user_b);

/*
 * Called on the loop each time a pair forms (paired = 1) or ends (0), with
 * both session ids, so the relay can drop permissions between former
 * partners.  One hook; NULL removes it.
 */
typedef void	(*sig_pair_hook)(void *arg, const char *a, const char *b,
		    int paired);
void		 sig_set_pair_hook(struct signaling *, sig_pair_hook, void *);

/*
 * Called on the loop when a session ends for good (its resume window
 * passed, a resume discarded it, it was banned, or the bound on dropped
 * sessions ended it), with its id, so the relay can free the allocations
 * made with its credentials.  Not called while signaling is being freed.
 * One hook; NULL removes it.
 */
typedef void	(*sig_end_hook)(void *arg, const char *session);
void		 sig_set_end_hook(struct signaling *, sig_end_hook, void *);

/*
 * New bans arrived (the moderation store's ban hook, wired by the daemon):
 * the banned clients' sessions end, their sockets are closed and their
 * partners get partner_left with reason banned.
 */
void		 signaling_bans_changed(struct signaling *);

#endif
