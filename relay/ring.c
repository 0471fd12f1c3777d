/*
 * ring.c - the single-producer single-consumer byte ring that hands
 * datagrams from one relay loop to another (see ring.h).
 *
 * head and tail are byte offsets that only grow (mod 2^32); the writer
 * owns head, the reader tail.  A record is a header, the datagram and
 * padding to 8 bytes; one that would not fit before the end of the buffer
 * leaves a skip mark there (8 bytes always fit: every offset is a multiple
 * of 8) and starts at 0.  The writer publishes a record by storing head
 * after writing it; the reader frees room by storing tail after it is done
 * with the records.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "relay/ring.h"

#define RING_SKIP	0xFFFFFFFFu

/* len and size come first: a skip mark writes only them. */
struct ring_rec {
	uint32_t		 len;		/* of the datagram, or RING_SKIP */
	uint32_t		 size;		/* of the record */
	struct turn_handoff	 h;
};

struct relay_ring {
	_Atomic uint32_t	 head;
	char			 pad1[60];	/* head and tail on own lines */
	_Atomic uint32_t	 tail;
	char			 pad2[60];
	uint32_t		 cap;
	uint8_t			*buf;
};

struct relay_ring *
ring_new(uint32_t cap)
{
	struct relay_ring *rg;

	if (cap < RING_MIN_BYTES || (cap & (cap - 1)) != 0 ||
	    (rg = calloc(1, sizeof(*rg))) == NULL)
		return NULL;
	/* Pages are touched as the ring goes round, not here. */
	if ((rg->buf = malloc(cap)) == NULL) {
		free(rg);
		return NULL;
	}
	rg->cap = cap;
	atomic_init(&rg->head, 0);
	atomic_init(&rg->tail, 0);
	return rg;
}

void
ring_free(struct relay_ring *rg)
{
	if (rg == NULL)
		return;
	free(rg->buf);
	free(rg);
}

int
ring_push(struct relay_ring *rg, const struct turn_handoff *h,
    const uint8_t *data, size_t len)
{
	struct ring_rec *rec;
	uint32_t head, tail, off, end, need;

	if (len > TURN_BUF_MAX)
		return -1;
	head = atomic_load_explicit(&rg->head, memory_order_relaxed);
	tail = atomic_load_explicit(&rg->tail, memory_order_acquire);
	need = (uint32_t)((sizeof(*rec) + len + 7) & ~(size_t)7);
	off = head & (rg->cap - 1);
	end = rg->cap - off;
	if (rg->cap - (head - tail) < need + (end < need ? end : 0))
		return -1;
	if (end < need) {
		((struct ring_rec *)(rg->buf + off))->len = RING_SKIP;
		head += end;
		off = 0;
	}
	rec = (struct ring_rec *)(rg->buf + off);
	rec->len = (uint32_t)len;
	rec->size = need;
	rec->h = *h;
	memcpy(rec + 1, data, len);
	atomic_store_explicit(&rg->head, head + need, memory_order_seq_cst);
	return 0;
}

uint32_t
ring_read(struct relay_ring *rg, void (*fn)(void *,
    const struct turn_handoff *, const uint8_t *, size_t), void *arg)
{
	const struct ring_rec *rec;
	uint32_t head, t, off;

	t = atomic_load_explicit(&rg->tail, memory_order_relaxed);
	head = atomic_load_explicit(&rg->head, memory_order_seq_cst);
	while (t != head) {
		off = t & (rg->cap - 1);
		rec = (const struct ring_rec *)(rg->buf + off);
		if (rec->len == RING_SKIP) {
			t += rg->cap - off;
			continue;
		}
		fn(arg, &rec->h, (const uint8_t *)(rec + 1), rec->len);
		t += rec->size;
	}
	return t;
}

void
ring_release(struct relay_ring *rg, uint32_t t)
{
	atomic_store_explicit(&rg->tail, t, memory_order_release);
}

int
ring_empty(struct relay_ring *rg)
{
	return atomic_load_explicit(&rg->tail, memory_order_relaxed) ==
	    atomic_load_explicit(&rg->head, memory_order_seq_cst);
}

const uint8_t *
ring_base(const struct relay_ring *rg, size_t *len)
{
	*len = rg->cap;
	return rg->buf;
}
