/* test_ratelimit.c - the token bucket and the fixed window, driven by an
 * injected clock (plain numbers: neither reads the time itself), and the
 * one clock's monotonic and wall readings. */
#include "config.h"

#include <time.h>

#include "common/clock.h"
#include "common/ratelimit.h"
#include "tests/tap.h"

static void
bucket_bursts_then_refills_at_the_rate(void)
{
	struct rl_bucket b;
	uint64_t now = 5000, wait = 7;
	int i, fails = 0;

	/* max-bps style: 1000 bytes per 1000 ms */
	rl_bucket_init(&b, 1000, 1000, now);
	is_int(rl_bucket_take(&b, 1000, 1000, 600, now, &wait), 0,
	    "600 of a full 1000 pass");
	is_int(wait, 0, "no wait when taken");
	is_int(rl_bucket_take(&b, 1000, 1000, 600, now, &wait), -1,
	    "600 more do not");
	is_int(wait, 200, "200 bytes at 1 byte/ms: 200 ms");
	is_int(rl_bucket_take(&b, 1000, 1000, 400, now, NULL), 0,
	    "the refused take took nothing: 400 left");
	is_int(rl_bucket_take(&b, 1000, 1000, 1, now, &wait), -1,
	    "empty");
	is_int(wait, 1, "one byte is one ms away");
	is_int(rl_bucket_take(&b, 1000, 1000, 250, now + 250, NULL), 0,
	    "250 ms earn 250 bytes");
	is_int(rl_bucket_take(&b, 1000, 1000, 1, now + 250, NULL), -1,
	    "and no more");
	is_int(rl_bucket_take(&b, 1000, 1000, 1000, now + 100000, NULL), 0,
	    "a long pause refills to the cap");
	is_int(rl_bucket_take(&b, 1000, 1000, 1, now + 100000, NULL), -1,
	    "but never past it");
	is_int(rl_bucket_take(&b, 1000, 1000, 1001, now + 200000, &wait), -1,
	    "more than the cap never passes");

	/* chat style: 20 per minute, a burst of 20 */
	rl_bucket_init(&b, 20, 60000, 0);
	for (i = 0; i < 20; i++)
		fails += rl_bucket_take(&b, 20, 60000, 1, 0, NULL) != 0;
	is_int(fails, 0, "a burst of 20");
	is_int(rl_bucket_take(&b, 20, 60000, 1, 0, &wait), -1, "then none");
	is_int(wait, 3000, "the next in 60/20 = 3 s");
	is_int(rl_bucket_take(&b, 20, 60000, 1, 2999, NULL), -1,
	    "not at 2999 ms");
	is_int(rl_bucket_take(&b, 20, 60000, 1, 3000, NULL), 0, "at 3000 ms");
}

static void
bucket_is_exact_for_slow_rates(void)
{
	struct rl_bucket b;
	uint64_t t;
	int passed = 0;

	/* 100 bytes a second asked one byte at a time every ms: the old
	 * integer refill (dt * cap / 1000) earned nothing per call. */
	rl_bucket_init(&b, 100, 1000, 0);
	while (rl_bucket_take(&b, 100, 1000, 1, 0, NULL) == 0)
		;
	for (t = 1; t <= 1000; t++)
		passed += rl_bucket_take(&b, 100, 1000, 1, t, NULL) == 0;
	is_int(passed, 100, "100 bytes over one second, none lost");
}

static void
bucket_resize_keeps_what_was_earned(void)
{
	struct rl_bucket b;

	rl_bucket_init(&b, 20, 60000, 0);
	while (rl_bucket_take(&b, 20, 60000, 1, 0, NULL) == 0)
		;
	rl_bucket_resize(&b, 20, 600, 60000, 3000);	/* earned one at 20/min */
	is_int(rl_bucket_take(&b, 600, 60000, 1, 3000, NULL), 0,
	    "the token earned at the old rate stays");
	is_int(rl_bucket_take(&b, 600, 60000, 1, 3099, NULL), -1,
	    "then the new rate: not before 100 ms");
	is_int(rl_bucket_take(&b, 600, 60000, 1, 3100, NULL), 0,
	    "one every 100 ms");
	rl_bucket_init(&b, 600, 60000, 0);
	rl_bucket_resize(&b, 600, 2, 60000, 0);
	is_int(rl_bucket_take(&b, 2, 60000, 2, 0, NULL), 0, "shrunk to 2");
	is_int(rl_bucket_take(&b, 2, 60000, 1, 0, NULL), -1, "not 600");
}

static void
window_counts_max_per_window(void)
{
	struct rl_window w = { 0, 0 };
	int64_t wait = 9;
	int i, fails = 0;

	for (i = 0; i < 5; i++)
		fails += rl_window_take(&w, 100, 60, 5, &wait) != 0;
	is_int(fails, 0, "five in the window pass");
	is_int(rl_window_take(&w, 130, 60, 5, &wait), -1, "the sixth does not");
	is_int(wait, 30, "the window ends in 30");
	ok(rl_window_open(&w, 159, 60), "still open at 159");
	ok(!rl_window_open(&w, 160, 60), "ended at 160");
	is_int(rl_window_take(&w, 160, 60, 5, &wait), 0,
	    "a new window opens with the next event");
	is_int(w.start, 160, "starting then, not at a multiple of 60");
	is_int(rl_window_take(&w, 150, 60, 5, &wait), 0,
	    "a clock stepped back opens a new window");
}

static void
window_of_one_second_is_a_per_second_budget(void)
{
	struct rl_window w = { 0, 0 };
	int i, pass = 0;

	for (i = 0; i < 80; i++)
		pass += rl_window_take(&w, 1700000000, 1, 50, NULL) == 0;
	is_int(pass, 50, "50 in one second");
	is_int(rl_window_take(&w, 1700000001, 1, 50, NULL), 0,
	    "the next second starts afresh");
}

static void
window_with_max_zero_refuses_all(void)
{
	struct rl_window w = { 0, 0 };
	int64_t wait;

	is_int(rl_window_take(&w, 10, 60, 0, &wait), -1, "max 0: refused");
	is_int(wait, 60, "with the whole window to wait");
	ok(!rl_window_open(&w, 10, 60), "and nothing counted");
}

static void
clock_is_monotonic_ms(void)
{
	struct timespec ts = { 0, 20 * 1000000 };
	uint64_t a, b;
	int64_t wall = clock_wall_ms();

	a = clock_mono_ms();
	nanosleep(&ts, NULL);
	b = clock_mono_ms();
	ok(b >= a + 20 && b < a + 5000, "20 ms sleep: 20 ms or a bit more");
	ok(wall / 1000 - (int64_t)time(NULL) <= 1 &&
	    (int64_t)time(NULL) - wall / 1000 <= 1, "wall ms is Unix time");
}

int
main(void)
{
	bucket_bursts_then_refills_at_the_rate();
	bucket_is_exact_for_slow_rates();
	bucket_resize_keeps_what_was_earned();
	window_counts_max_per_window();
	window_of_one_second_is_a_per_second_budget();
	window_with_max_zero_refuses_all();
	clock_is_monotonic_ms();
	return done_testing();
}
