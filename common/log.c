/*
 * log.c - leveled logging to stderr (see log.h).
 *
 * The level is a process-wide setting of the logger, set once at start and
 * on SIGHUP from the main thread; relay threads only read it.  Each event is written with one write(2) so lines from several
 * threads never interleave.  On stderr a line starts with the time in UTC
 * to the millisecond, and a worker thread's lines carry its name.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static const char	*log_prog = "meetopiad";
static _Atomic int	 log_lvl = LOG_LEVEL_INFO;

static const char *const log_names[] = { "error", "warn", "info", "debug" };
static _Thread_local char log_thread[16];	/* "": the main thread */

void
log_init(const char *progname, enum log_level lvl)
{
	log_prog = progname;
	log_lvl = lvl;
}

void
log_thread_name(const char *name)
{
	snprintf(log_thread, sizeof(log_thread), "%s", name != NULL ? name :
	    "");
}

void
log_set_level(enum log_level lvl)
{
	log_lvl = lvl;
}

enum log_level
log_get_level(void)
{
	return log_lvl;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(enum log_level lvl)
{
	if ((unsigned)lvl >= sizeof(log_names) / sizeof(log_names[0]))
		return "?";
	return log_names[lvl];
}

static void log_msg(enum log_level, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
log_msg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	int n, m;

	if ((int)lvl > log_lvl)
		return;
	/* 2026-12-03T09:36:12.345Z meetopiad[relay-1]: debug: ... */
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ "
	    "%s%s%s%s: %s: ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_prog,
	    log_thread[0] != '\0' ? "[" : "", log_thread,
	    log_thread[0] != '\0' ? "]" : "", log_names[lvl]);
	if (n < 0)
		return;
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	/* One event, one line: newlines from callers become spaces. */
	for (m = 0; m < n; m++)
		if (line[m] == '\n' || line[m] == '\r')
			line[m] = ' ';
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

#define LOG_FN(name, lvl)					\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	log_msg(lvl, fmt, ap);					\
	va_end(ap);						\
}
LOG_FN(log_err, LOG_LEVEL_ERROR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

void
log_fatalx(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%s: ", log_prog);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
