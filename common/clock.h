/*
 * clock.h - the one clock: monotonic milliseconds for every interval,
 * timeout and rate limit, and wall-clock milliseconds for what is shown
 * to people or compared with other hosts (log timestamps, credential
 * expiry).  Pure code takes `now` from its caller instead of reading
 * these, so tests inject time.
 */
#ifndef MEETOPIA_CLOCK_H
#define MEETOPIA_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t	 clock_mono_ms(void);
/* CLOCK_REALTIME in milliseconds since the epoch. */
int64_t		 clock_wall_ms(void);

#endif
