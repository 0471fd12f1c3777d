/*
 * privdrop.c - privilege drop (see privdrop.h).
 *
 * Order matters: supplementary groups first (setgroups needs root), then
 * the group, then the user; afterwards setuid(0) must fail, or we abort
 * the start rather than run with a way back to root.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/privdrop.h"

int
priv_check(const char *user, int allow_root, char *err, size_t errlen)
{
	if (geteuid() != 0 || user != NULL || allow_root)
		return 0;
	snprintf(err, errlen, "running as root: set user (and group) to drop "
	    "privileges after binding the ports, or pass --allow-root");
	return -1;
}

/* Hands the state dir and the files directly in it to uid:gid. */
static int
chown_state(const char *dir, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *dp;
	int dfd;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) < 0 ||
	    fchown(dfd, uid, gid) != 0) {
		snprintf(err, errlen, "state dir %s: %s", dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	if ((dp = fdopendir(dfd)) == NULL) {
		snprintf(err, errlen, "state dir %s: %s", dir, strerror(errno));
		close(dfd);
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fchownat(dirfd(dp), de->d_name, uid, gid,
		    AT_SYMLINK_NOFOLLOW) != 0) {
			snprintf(err, errlen, "state dir %s/%s: %s", dir,
			    de->d_name, strerror(errno));
			closedir(dp);
			return -1;
		}
	}
	closedir(dp);
	return 0;
}

int
priv_drop(const char *user, const char *group, const char *state_dir,
    char *err, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;
	uid_t uid;
	gid_t gid;

	if (user == NULL)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user %s: no such user", user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errlen, "group %s: no such group", group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (geteuid() != 0) {
		if (geteuid() == uid)
			return 0;	/* already that user */
		snprintf(err, errlen, "user %s: only root can switch users",
		    user);
		return -1;
	}
	if (uid == 0) {
		snprintf(err, errlen, "user %s: is root; name an unprivileged "
		    "user", user);
		return -1;
	}
	if (state_dir != NULL && chown_state(state_dir, uid, gid, err,
	    errlen) != 0)
		return -1;
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setegid(gid) != 0 ||
	    setuid(uid) != 0 || seteuid(uid) != 0) {
		snprintf(err, errlen, "dropping privileges to %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != uid ||
	    geteuid() != uid || getgid() != gid || getegid() != gid) {
		snprintf(err, errlen, "dropping privileges to %s: root could "
		    "be regained", user);
		return -1;
	}
	log_info("privileges dropped to %s (uid %u, gid %u)", user,
	    (unsigned)uid, (unsigned)gid);
	return 0;
}
