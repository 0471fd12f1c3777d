/*
 * test_ring.c - the hand-off ring of relay/ring.h: records come out whole
 * and in order, of any size up to the largest datagram; a record that does
 * not fit before the end of the buffer wraps; a full ring refuses and has
 * room again once the reader releases; and a writer and a reader thread
 * pass a million records of mixed sizes with nothing lost, reordered or
 * damaged (run under ASan here and under ThreadSanitizer by
 * make check-threads).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "relay/ring.h"
#include "tests/tap.h"

#define CAP	RING_MIN_BYTES

struct seen {
	int		 n;
	uint64_t	 next;		/* expected src_id */
	int		 bad;
	size_t		 bytes;
};

/* A datagram whose bytes and size follow from its number. */
static size_t
fill(uint64_t i, uint8_t *buf, size_t max)
{
	size_t len = (size_t)((i * 7919) % max);
	size_t k;

	for (k = 0; k < len; k++)
		buf[k] = (uint8_t)(i + k);
	return len;
}

static void
check(void *arg, const struct turn_handoff *h, const uint8_t *p, size_t len)
{
	static uint8_t want[TURN_BUF_MAX];
	struct seen *s = arg;
	size_t wl = fill(h->src_id, want, (size_t)h->dst_id);

	if (h->src_id != s->next || len != wl || memcmp(p, want, len) != 0)
		s->bad++;
	s->next = h->src_id + 1;
	s->n++;
	s->bytes += len;
}

struct big_seen {
	int		 n;
	int		 bad;
};

static void
big_check(void *arg, const struct turn_handoff *h, const uint8_t *p,
    size_t len)
{
	struct big_seen *bs = arg;
	size_t k;

	bs->n++;
	if (len != TURN_BUF_MAX)
		bs->bad++;
	for (k = 0; k < len; k++)
		if (p[k] != (uint8_t)h->src_id) {
			bs->bad++;
			break;
		}
}

static int
push(struct relay_ring *rg, uint64_t i, size_t max)
{
	static uint8_t buf[TURN_BUF_MAX];
	struct turn_handoff h;
	size_t len = fill(i, buf, max);

	memset(&h, 0, sizeof(h));
	h.src_id = i;
	h.dst_id = max;		/* the reader recomputes the datagram */
	return ring_push(rg, &h, buf, len);
}

static void
test_single(void)
{
	struct relay_ring *rg;
	struct seen s;
	uint64_t i, pushed;
	uint32_t t;
	int full, rounds;

	ok(ring_new(CAP - 1) == NULL && ring_new(CAP + 8) == NULL &&
	    ring_new(4096) == NULL, "sizes that are not a power of 2 of at "
	    "least RING_MIN_BYTES are refused");
	rg = ring_new(CAP);
	ok(rg != NULL, "a ring of %u bytes", CAP);
	ok(ring_empty(rg), "empty at first");

	memset(&s, 0, sizeof(s));
	for (i = 0; i < 10; i++)
		push(rg, i, 1500);
	ok(!ring_empty(rg), "not empty after pushes");
	t = ring_read(rg, check, &s);
	ring_release(rg, t);
	ok(s.n == 10 && s.bad == 0, "10 records out whole and in order");
	ok(ring_empty(rg), "empty after reading them");

	/* Fill it: refused when full, room again after a release. */
	pushed = 10;
	full = 0;
	while (!full && pushed < 100000)
		if (push(rg, pushed, 1500) == 0)
			pushed++;
		else
			full = 1;
	ok(full && pushed > 10 + CAP / 1600 && pushed < 10 + CAP / 32,
	    "a full ring refuses (after %llu records)",
	    (unsigned long long)(pushed - 10));
	ok(push(rg, pushed, 1500) != 0, "and refuses again");
	t = ring_read(rg, check, &s);
	ok(push(rg, pushed, 1500) != 0, "read but not released: still full");
	ring_release(rg, t);
	ok(s.bad == 0 && s.n == (int)pushed, "every record read (%d)", s.n);
	ok(push(rg, pushed, 1500) == 0, "released: room again");
	pushed++;

	/* Many rounds of the buffer: records wrap at its end. */
	for (rounds = 0; rounds < 2000; rounds++) {
		for (i = 0; i < 7; i++)
			if (push(rg, pushed, 3000) == 0)
				pushed++;
		t = ring_read(rg, check, &s);
		ring_release(rg, t);
	}
	ok(s.bad == 0 && s.n == (int)pushed && s.bytes > 8 * (size_t)CAP,
	    "%d records through %zu bytes, many times round the buffer, "
	    "whole and in order", s.n, s.bytes);

	/* The largest datagram fits, wherever head is. */
	{
		static uint8_t big[TURN_BUF_MAX];
		struct big_seen bs;
		struct turn_handoff h;
		int k;

		memset(&h, 0, sizeof(h));
		memset(&bs, 0, sizeof(bs));
		for (k = 0; k < 16; k++) {
			memset(big, k, sizeof(big));
			h.src_id = (uint64_t)k;
			if (ring_push(rg, &h, big, sizeof(big)) != 0)
				break;
			ring_release(rg, ring_read(rg, big_check, &bs));
		}
		ok(k == 16 && bs.n == 16 && bs.bad == 0, "16 datagrams of "
		    "%d bytes, the ring going round 4 times: each whole",
		    TURN_BUF_MAX);
		ok(ring_push(rg, &h, big, sizeof(big) + 1) != 0,
		    "a record over TURN_BUF_MAX is refused");
	}
	ring_free(rg);
}

/* ------------------------------------------------------------------ */
/* A writer thread and a reader thread. */

#define STRESS_N	1000000

struct stress {
	struct relay_ring	*rg;
	uint64_t		 refused;
};

static void *
writer(void *arg)
{
	struct stress *st = arg;
	uint64_t i = 0;

	while (i < STRESS_N) {
		if (push(st->rg, i, 1300) == 0)
			i++;
		else
			st->refused++;	/* full: the reader is behind */
	}
	return NULL;
}

static void
test_threads(void)
{
	struct stress st;
	struct seen s;
	pthread_t th;

	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	st.rg = ring_new(CAP);
	ok(pthread_create(&th, NULL, writer, &st) == 0, "a writer thread");
	while (s.n < STRESS_N && s.bad == 0)
		ring_release(st.rg, ring_read(st.rg, check, &s));
	pthread_join(th, NULL);
	ok(s.n == STRESS_N && s.bad == 0, "%d records from another thread: "
	    "none lost, reordered or damaged (%zu bytes; the writer found the "
	    "ring full %llu times)", s.n, s.bytes,
	    (unsigned long long)st.refused);
	ok(ring_empty(st.rg), "empty at the end");
	ring_free(st.rg);
}

int
main(void)
{
	test_single();
	test_threads();
	return done_testing();
}
