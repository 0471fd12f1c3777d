/*
 * secevent.c - security event lines (see secevent.h).
 *
 * Each event is serialised by jansson (so every string is escaped) and
 * written with a single write(2) on an O_APPEND descriptor: lines from
 * several threads never interleave.
 */
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/secevent.h"

struct secevent_log {
	_Atomic int	 fd;		/* -1 with syslog */
	_Atomic int	 use_syslog;
	struct metrics	*m;
};

static const char *const type_names[] = {
	"connection", "message", "violation", "auth", "error"
};
static const char *const sev_names[] = { "low", "medium", "high", "critical" };

static int
open_dest(const char *dest, int *fd, int *use_syslog, char *err, size_t errlen)
{
	*use_syslog = 0;
	if (strcmp(dest, "stderr") == 0) {
		*fd = STDERR_FILENO;
		return 0;
	}
	if (strcmp(dest, "syslog") == 0) {
		*fd = -1;
		*use_syslog = 1;
		openlog("meetopiad", LOG_PID | LOG_NDELAY, LOG_AUTH);
		return 0;
	}
	*fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (*fd < 0) {
		snprintf(err, errlen, "security-log %s: %s", dest,
		    strerror(errno));
		return -1;
	}
	return 0;
}

struct secevent_log *
secevent_open(const char *dest, struct metrics *m, char *err, size_t errlen)
{
	struct secevent_log *l;
	int fd, sl;

	if (open_dest(dest, &fd, &sl, err, errlen) != 0)
		return NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		if (fd > STDERR_FILENO)
			close(fd);
		snprintf(err, errlen, "security-log: out of memory");
		return NULL;
	}
	l->fd = fd;
	l->use_syslog = sl;
	l->m = m;
	return l;
}

int
secevent_reopen(struct secevent_log *l, const char *dest, char *err,
    size_t errlen)
{
	int fd, sl, old;

	if (open_dest(dest, &fd, &sl, err, errlen) != 0)
		return -1;
	old = atomic_exchange(&l->fd, fd);
	l->use_syslog = sl;
	/*
	 * Relay threads may be writing through the old descriptor right now;
	 * dup2() the new file over the old number instead of closing it, so a
	 * racing write lands in the new file, never in a reused descriptor.
	 */
	if (old > STDERR_FILENO && fd > STDERR_FILENO) {
		if (dup2(fd, old) >= 0) {
			atomic_store(&l->fd, old);
			close(fd);
		}
	} else if (old > STDERR_FILENO)
		close(old);
	return 0;
}

void
secevent_close(struct secevent_log *l)
{
	if (l == NULL)
		return;
	if (l->fd > STDERR_FILENO)
		close(l->fd);
	free(l);
}

void
secevent_emit(struct secevent_log *l, enum secev_type type,
    enum secev_severity sev, const char *session, const char *client,
    const char *event, json_t *details)
{
	json_t *o;
	char *line;
	size_t len;
	int fd;

	if ((unsigned)type > SECEV_ERROR)
		type = SECEV_ERROR;
	if ((unsigned)sev > SECEV_CRITICAL)
		sev = SECEV_CRITICAL;
	if (l == NULL) {
		json_decref(details);
		return;
	}
	if (l->m != NULL)
		metrics_inc(&l->m->security_events_total[type][sev]);
	o = json_pack("{s:s, s:s, s:s*, s:s*, s:I, s:s, s:o}",
	    "type", type_names[type], "severity", sev_names[sev],
	    "session", session, "client", client,
	    "ts", (json_int_t)clock_wall_ms(),
	    "event", event != NULL ? event : "unknown",
	    "details", details != NULL ? details : json_object());
	if (o == NULL)
		return;
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (line == NULL)
		return;
	if (l->use_syslog) {
		syslog(LOG_NOTICE, "%s", line);
		free(line);
		return;
	}
	len = strlen(line);
	{
		char *nl = realloc(line, len + 2);

		if (nl == NULL) {
			free(line);
			return;
		}
		line = nl;
	}
	line[len] = '\n';
	fd = l->fd;
	(void)!write(fd, line, len + 1);
	free(line);
}
