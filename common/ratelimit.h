/*
 * ratelimit.h - the two rate limiters: a token bucket and a fixed window.
 *
 * Neither reads a clock: the caller passes `now` (ms from clock_mono_ms(),
 * or any unit for the window), so tests inject time.
 *
 * The token bucket holds up to `cap` tokens and refills at cap tokens per
 * period_ms, continuously: a burst of cap, then a steady cap per period.
 * The level is kept in 1/period_ms of a token so that refilling is exact
 * integer arithmetic (no token is lost to rounding).  The rate is passed
 * with every call, so a configuration reload applies at once.  Used for
 * TURN max-bps (bytes per 1000 ms) and for chat and signalling messages
 * (messages per 60000 ms).
 *
 * The fixed window counts events in a window of `len` that opens with the
 * first event after the previous window ended (or when `now` went
 * backwards): at most `max` of them are let through.  Used for the API's
 * per-IP limit, security-event and argon2id budgets per second, the strikes
 * of a WebSocket and one-a-second notices.
 */
#ifndef MEETOPIA_RATELIMIT_H
#define MEETOPIA_RATELIMIT_H

#include <stdint.h>

struct rl_bucket {
	int64_t		 level;		/* 1/period_ms tokens */
	uint64_t	 last;		/* ms of the last refill */
};

/* Fills the bucket (cap tokens) at now. */
void		 rl_bucket_init(struct rl_bucket *, int64_t cap,
		    int64_t period_ms, uint64_t now);
/*
 * Takes n tokens at now: 0; or -1, taking nothing, when fewer are there,
 * with the ms until there will be in *wait_ms (may be NULL; set when n is
 * at most cap).
 */
int		 rl_bucket_take(struct rl_bucket *, int64_t cap,
		    int64_t period_ms, int64_t n, uint64_t now,
		    uint64_t *wait_ms);
/* Changes the capacity from oldcap to newcap, keeping the tokens earned. */
void		 rl_bucket_resize(struct rl_bucket *, int64_t oldcap,
		    int64_t newcap, int64_t period_ms, uint64_t now);

struct rl_window {
	int64_t		 start;		/* when the window opened */
	int64_t		 count;		/* events let through in it */
};

/*
 * Counts one event at now in a window of len: 0 when it is one of the
 * first max; -1 when over, with the time until the window ends in *wait
 * (may be NULL).  A refused event does not count.
 */
int		 rl_window_take(struct rl_window *, int64_t now, int64_t len,
		    int64_t max, int64_t *wait);
/* Whether the window is open at now (it has counted and not ended). */
int		 rl_window_open(const struct rl_window *, int64_t now,
		    int64_t len);

#endif
