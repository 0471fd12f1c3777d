/*
 * relay_int.h - the relay's glue state (relay/relay.c, relay/udp.c,
 * relay/tcp.c): the listeners, connections and relayed sockets on libevent
 * around the protocol context of relay/turn.h.  Not part of the module's interface.
 */
#ifndef MEETOPIA_RELAY_INT_H
#define MEETOPIA_RELAY_INT_H

#include <sys/socket.h>

#include "common/addr.h"
#include "relay/turn.h"

struct config;
struct daemon;
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
	struct tcp_server	*tcp;		/* tcp.c: TCP and TLS */
	int			 started;
	uint8_t			 cur_proto;	/* of the message in hand */
	long long		 last_emfile;	/* Unix seconds, log bound */

	/* Receive buffers, one batch (the loop is single-threaded). */
	uint8_t			*bufs;		/* RELAY_BATCH * TURN_BUF_MAX */

	/* Sends of the batch in hand, flushed with sendmmsg when it ends. */
	int			 batching;
	int			 nout;
	struct relay_out	*out;		/* RELAY_SENDQ */
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

/* tcp.c */
int	tcp_listen(struct relay *, const struct config *, char *, size_t);
int	tcp_start(struct relay *);
void	tcp_stop(struct relay *);
void	tcp_reload(struct relay *, const struct config *);
void	tcp_close(struct relay *);
void	tcp_to_client(void *, const struct turn_tuple *, const struct iovec *,
	    int);
/* Stream framing (RFC 8656 §12.5), pure; see tcp.c. */
#define TCP_FRAME_BAD	(-1)
#define TCP_FRAME_MORE	0
#define TCP_FRAME_OK	1
int	tcp_frame(const uint8_t *, size_t, size_t *, size_t *);
int	tcp_drain(struct evbuffer *, size_t *,
	    int (*)(void *, const uint8_t *, size_t), int (*)(void *), void *);

/* relay.c */
void	relay_clock(struct relay *);

#endif
