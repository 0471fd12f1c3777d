/*
 * ring.h - the hand-off ring between two relay loops (relay-threads): one
 * thread pushes datagrams with their struct turn_handoff, one other thread
 * reads them, without a lock.  Records take the room of their datagram, so
 * a burst of small audio packets takes little of it.
 *
 * The reader reads with ring_read() and gives the room back with
 * ring_release() once nothing points into the records any more (the relay
 * queues sends that point at them until its sendmmsg flush).
 */
#ifndef MEETOPIA_RING_H
#define MEETOPIA_RING_H

#include <stddef.h>
#include <stdint.h>

#include "relay/turn.h"

struct relay_ring;

/* cap: bytes, a power of 2, at least RING_MIN_BYTES. */
#define RING_MIN_BYTES	(256u << 10)

struct relay_ring *ring_new(uint32_t cap);
void		 ring_free(struct relay_ring *);
/* Writer: 0, or -1 when the ring is full (len at most TURN_BUF_MAX). */
int		 ring_push(struct relay_ring *, const struct turn_handoff *,
		    const uint8_t *, size_t len);
/* Reader: calls fn for each record there, oldest first; returns what to
 * pass to ring_release() (0 records: the same as the last release). */
uint32_t	 ring_read(struct relay_ring *, void (*fn)(void *,
		    const struct turn_handoff *, const uint8_t *, size_t),
		    void *arg);
void		 ring_release(struct relay_ring *, uint32_t);
/* Reader: nonzero when there is nothing to read. */
int		 ring_empty(struct relay_ring *);
/* The bytes records live in (for the relay's "stays put" check). */
const uint8_t	*ring_base(const struct relay_ring *, size_t *len);

#endif
