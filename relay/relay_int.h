/*
 * relay_int.h - the relay's glue state (relay/relay.c, relay/udp.c): the
 * listeners and relayed sockets on libevent around the protocol context of
 * relay/turn.h.  Not part of the module's interface.
 */
#ifndef MEETOPIA_RELAY_INT_H
#define MEETOPIA_RELAY_INT_H

#include <sys/socket.h>

#include "common/addr.h"
#include "relay/turn.h"

struct daemon;
struct event;
struct relay;

#define RELAY_BATCH	16	/* datagrams per recvmmsg */

struct udp_listener {
	int			 fd;
	struct event		*ev;
	struct maddr		 addr;
	struct relay		*rl;
};

struct relay_sock {
	int			 fd;
	struct event		*ev;
	struct turn_relay	*tr;
	struct relay		*rl;
};

struct relay {
	struct daemon		*d;
	struct turn_ctx		*ctx;
	struct udp_listener	*udp;
	size_t			 nudp;
	struct event		*tick;
	int			 started;
	long long		 last_emfile;	/* Unix seconds, log bound */

	/* Receive buffers, one batch (the loop is single-threaded). */
	uint8_t			*bufs;		/* RELAY_BATCH * TURN_BUF_MAX */
};

/* udp.c */
int	udp_listen(struct relay *, const struct maddr *, int port, char *,
	    size_t);
void	udp_close(struct relay *);
int	udp_start(struct relay *);
void	udp_stop(struct relay *);
void	udp_to_client(void *, const struct turn_tuple *, const struct iovec *,
	    int);
void	udp_to_peer(void *, void *, const struct maddr *, const uint8_t *,
	    size_t);
int	udp_relay_open(void *, const struct maddr *, int, struct turn_relay *,
	    void **);
void	udp_relay_close(void *, void *);

/* relay.c */
void	relay_clock(struct relay *);

#endif
