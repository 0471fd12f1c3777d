/*
 * fake_turn_io.h - the one fake transport of the relay's tests: a struct
 * turn_io (relay/turn.h) that records instead of sending.
 *
 * What the protocol sends to clients and to peers is kept for inspection
 * (the first FAKE_MAXOUT of each; every byte handed over is read, so that
 * the sanitizers see a bad pointer even when the record is full or the
 * message too long for it); relayed sockets (rsocks) are entries of a
 * table, and a port can be made busy; bans, security events and
 * hand-offs between loops are counted.  The unit tests of the relay
 * (tests/unit/test_turn_*.c through turn_fixture.h) and the fuzz targets
 * of the request and data paths (tests/fuzz/) all use it.
 */
#ifndef MEETOPIA_FAKE_TURN_IO_H
#define MEETOPIA_FAKE_TURN_IO_H

#include <stddef.h>
#include <stdint.h>

#include "relay/turn.h"

#define FAKE_MAXOUT	32
#define FAKE_MAXSOCKS	128
#define FAKE_NEVENTS	8

/* One message to a client, or one datagram to a peer (then t.client is
 * the peer and t.server the relayed address it was sent from). */
struct fake_sent {
	struct turn_tuple	 t;
	uint8_t			 b[2048];
	size_t			 len;
};

/* A relayed socket. */
struct fake_sock {
	struct maddr		 addr;
	struct turn_relayed	*tr;
	int			 open;
	int			 df;
};

struct fake_io {
	struct turn_ctx		*ctx;		/* set by the caller */
	struct fake_sent	 out[FAKE_MAXOUT];	/* to clients */
	int			 nout;
	struct fake_sent	 peer[FAKE_MAXOUT];	/* to peers */
	int			 npeer;
	struct fake_sock	 socks[FAKE_MAXSOCKS];
	int			 nsocks;
	int			 opens;		/* rsock_open calls that worked */
	int			 busy_port;	/* rsock_open fails for it */
	int			 banned;	/* is_banned answers this */
	int			 events[FAKE_NEVENTS];	/* by enum turn_event */
	struct fake_io		*other;		/* the loop handed to */
	int			 handoffs;
	int			 detached;	/* rsock_detach calls */
	int			 detached_fd;	/* the last one's */
	int			 adopted;	/* rsock_adopt calls */
	int			 adopted_fd;	/* the last one's */
	volatile uint8_t	 sink;		/* every byte handed over */
};

/*
 * Clears f and fills io with its slots (io.arg is f).  With detach, the
 * EVEN-PORT slots rsock_detach and rsock_adopt are filled too: a detached
 * rsock is a real descriptor (a UDP socket) whose life tests can follow.
 */
void	fake_io_init(struct fake_io *f, struct turn_io *io, int detach);
/* The open rsock bound at relayed's family and port, or NULL. */
struct fake_sock *fake_io_sock(struct fake_io *f, const struct maddr *relayed);

#endif
