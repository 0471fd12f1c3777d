/*
 * secevent.h - security events: one JSON object a line (SPEC "Security
 * events"), to stderr, syslog or a file, and counted in
 * meetopia_security_events_total{type,severity}.
 *
 *   {"type":"violation","severity":"medium","session":"...",
 *    "client":"PSEUDONYM","ts":UNIX_MS,"event":"rate_limited","details":{}}
 *
 * Callers pass pseudonyms, never a clear address, and never chat text.
 * Severity rules (documented in meetopiad(8)):
 *   low       expected noise: a rate limit hit, a stale nonce, bad JSON once
 *   medium    a refused request that a correct client would not make:
 *             forged or expired credentials, a denied peer, a bad token
 *   high      repeated violations from one client, a banned client
 *             retrying, an automatic ban
 *   critical  the daemon's own integrity: a database write lost, a secret
 *             unreadable
 */
#ifndef MEETOPIA_SECEVENT_H
#define MEETOPIA_SECEVENT_H

#include <jansson.h>

#include "common/metrics.h"

enum secev_type {
	SECEV_CONNECTION = 0,
	SECEV_MESSAGE,
	SECEV_VIOLATION,
	SECEV_AUTH,
	SECEV_ERROR
};

enum secev_severity {
	SECEV_LOW = 0,
	SECEV_MEDIUM,
	SECEV_HIGH,
	SECEV_CRITICAL
};

struct secevent_log;

/* dest: "stderr", "syslog" or a file path (appended, created 0600). */
struct secevent_log *secevent_open(const char *dest, struct metrics *,
	    char *err, size_t errlen);
/* Reopens the destination (SIGHUP, log rotation); keeps the old on error. */
int	secevent_reopen(struct secevent_log *, const char *dest, char *err,
	    size_t errlen);
void	secevent_close(struct secevent_log *);

/*
 * Emits one event.  session and client may be NULL; details, if not NULL,
 * is a JSON object whose reference is stolen.  Safe from any thread.
 */
void	secevent_emit(struct secevent_log *, enum secev_type,
	    enum secev_severity, const char *session, const char *client,
	    const char *event, json_t *details);

#endif
