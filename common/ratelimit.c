/*
 * ratelimit.c - the token bucket and the fixed window (see ratelimit.h).
 */
#include "config.h"

#include "common/ratelimit.h"

/* Adds the tokens earned since the last refill, up to cap. */
static void
refill(struct rl_bucket *b, int64_t cap, int64_t period_ms, uint64_t now)
{
	int64_t full = cap * period_ms;

	if (now > b->last) {
		uint64_t dt = now - b->last;

		if (dt >= (uint64_t)period_ms)
			b->level = full;
		else
			b->level += (int64_t)dt * cap;
		b->last = now;
	}
	if (b->level > full)
		b->level = full;
}

/* Fills a bucket. */
void
rl_bucket_init(struct rl_bucket *b, int64_t cap, int64_t period_ms,
    uint64_t now)
{
	b->level = cap * period_ms;
	b->last = now;
}

/* Takes n tokens when they are there. */
int
rl_bucket_take(struct rl_bucket *b, int64_t cap, int64_t period_ms,
    int64_t n, uint64_t now, uint64_t *wait_ms)
{
	int64_t need = n * period_ms;

	if (wait_ms != NULL)
		*wait_ms = 0;
	refill(b, cap, period_ms, now);
	if (b->level >= need) {
		b->level -= need;
		return 0;
	}
	/* cap tokens per period_ms is cap units a millisecond. */
	if (wait_ms != NULL && cap > 0 && n <= cap)
		*wait_ms = (uint64_t)((need - b->level + cap - 1) / cap);
	return -1;
}

/* Changes the capacity, keeping what was earned at the old rate. */
void
rl_bucket_resize(struct rl_bucket *b, int64_t oldcap, int64_t newcap,
    int64_t period_ms, uint64_t now)
{
	refill(b, oldcap, period_ms, now);
	if (b->level > newcap * period_ms)
		b->level = newcap * period_ms;
}

/* Counts one event in a fixed window. */
int
rl_window_take(struct rl_window *w, int64_t now, int64_t len, int64_t max,
    int64_t *wait)
{
	if (wait != NULL)
		*wait = 0;
	if (!rl_window_open(w, now, len)) {
		w->start = now;
		w->count = 0;
	}
	if (w->count >= max) {
		if (wait != NULL)
			*wait = w->start + len - now;
		return -1;
	}
	w->count++;
	return 0;
}

/* Whether a window has counted and has not ended. */
int
rl_window_open(const struct rl_window *w, int64_t now, int64_t len)
{
	return w->count > 0 && now >= w->start && now < w->start + len;
}
