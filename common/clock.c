/*
 * clock.c - the one monotonic and the one wall clock, in ms (see clock.h).
 */
#include "config.h"

#include <time.h>

#include "common/clock.h"

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Milliseconds of CLOCK_REALTIME since the epoch. */
int64_t
clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
