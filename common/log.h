/*
 * log.h - leveled logging, one line per event.
 *
 * Lines go to stderr as "TIME meetopiad: LEVEL: message", TIME in UTC to
 * the millisecond (2026-12-03T09:36:12.345Z), "meetopiad[NAME]" on a
 * thread named with log_thread_name().  The log never carries chat text or a
 * clear client address: callers log pseudonyms (see auth/).
 */
#ifndef MEETOPIA_LOG_H
#define MEETOPIA_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

void	log_init(const char *progname, enum log_level);
void	log_set_level(enum log_level);
/* Names the calling thread in its stderr lines (15 characters at most;
 * NULL or "" for none). */
void	log_thread_name(const char *);
enum log_level log_get_level(void);
int	log_level_parse(const char *, enum log_level *);
const char *log_level_name(enum log_level);

void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

/* The one-line usage/runtime error of SPEC: "PROG: what: why" on stderr. */
void	log_fatalx(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
