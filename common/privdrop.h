/*
 * privdrop.h - drop root privileges after the ports are bound.
 *
 * With `user` (and optionally `group`) set, a daemon started as root hands
 * its state dir to that user, then calls setgroups, setgid and setuid, and
 * checks that root cannot be regained.  Started as root without them, the
 * daemon refuses to run unless --allow-root says so.
 */
#ifndef MEETOPIA_PRIVDROP_H
#define MEETOPIA_PRIVDROP_H

#include <stddef.h>

/* Refuses root without user, unless allow_root. */
int	priv_check(const char *user, int allow_root, char *err, size_t errlen);
/* Drops to user/group (no-op when user is NULL); 0 or -1 with err. */
int	priv_drop(const char *user, const char *group, const char *state_dir,
	    char *err, size_t errlen);

#endif
