/*
 * tap.h - a minimal Test Anything Protocol emitter for the C unit tests.
 *
 * Every test program prints "1..N" at the end (done_testing) and one
 * "ok"/"not ok" line a check; automake's tap-driver.sh counts them.
 */
#ifndef MEETOPIA_TAP_H
#define MEETOPIA_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...)	tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(a, b, ...) do {						\
	long long tap_a_ = (long long)(a), tap_b_ = (long long)(b);	\
	if (!ok(tap_a_ == tap_b_, __VA_ARGS__))				\
		printf("#   got %lld, expected %lld\n", tap_a_, tap_b_);	\
} while (0)
#define is_str(a, b, ...) do {						\
	const char *tap_a_ = (a), *tap_b_ = (b);			\
	if (!ok(tap_a_ != NULL && tap_b_ != NULL &&			\
	    strcmp(tap_a_, tap_b_) == 0, __VA_ARGS__))			\
		printf("#   got '%s', expected '%s'\n",			\
		    tap_a_ ? tap_a_ : "(null)", tap_b_ ? tap_b_ : "(null)"); \
} while (0)

static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
