/*
 * test_redis_url.c - the `redis` key's URL parser (common/redis_url.c):
 * the forms SPEC allows, and each kind of malformed URL refused with a
 * reason; the masked form never shows the password; the configuration
 * takes the key, masks it in --check-config and counts a password as a
 * secret (a loose file mode is refused).
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/redis_url.h"
#include "tests/tap.h"

static void
good(const char *s, int kind, const char *host, int port, const char *user,
    const char *pw, int db)
{
	struct redis_url u;
	char why[256] = "";
	int rc = redis_url_parse(s, &u, why, sizeof(why));

	ok(rc == 0 && (int)u.kind == kind && strcmp(u.host, host) == 0 &&
	    u.port == port && strcmp(u.user, user) == 0 &&
	    strcmp(u.password, pw) == 0 && u.has_password == (pw[0] != '\0') &&
	    u.db == db, "accepted: %s", s);
	if (rc != 0)
		printf("#   %s\n", why);
	else if (strcmp(u.host, host) != 0 || u.port != port)
		printf("#   host '%s' port %d\n", u.host, u.port);
}

static void
bad(const char *s, const char *want)
{
	struct redis_url u;
	char why[256] = "", shown[64];
	int rc = redis_url_parse(s, &u, why, sizeof(why));
	size_t i;

	for (i = 0; s[i] != '\0' && i < sizeof(shown) - 1; i++)
		shown[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	shown[i] = '\0';
	ok(rc == -1 && strstr(why, want) != NULL && u.kind == 0 &&
	    u.password[0] == '\0', "refused (%s): %s", want, shown);
	if (rc != -1 || strstr(why, want) == NULL)
		printf("#   rc %d why '%s'\n", rc, why);
}

int
main(void)
{
	struct redis_url u;
	struct config *cfg;
	char buf[512], err[CFG_ERRLEN + 16], path[] = "/tmp/test_redis_urlXXXXXX";
	FILE *fp;
	int fd;

	good("redis://127.0.0.1", REDIS_URL_TCP, "127.0.0.1", 6379, "", "", 0);
	good("redis://redis:6380/2", REDIS_URL_TCP, "redis", 6380, "", "", 2);
	good("redis://[::1]:7000", REDIS_URL_TCP, "::1", 7000, "", "", 0);
	good("redis://[::1]", REDIS_URL_TCP, "::1", 6379, "", "", 0);
	good("redis://meetopia:s3cret@db.example.net:6379/15", REDIS_URL_TCP,
	    "db.example.net", 6379, "meetopia", "s3cret", 15);
	good("redis://:onlypw@10.0.0.5", REDIS_URL_TCP, "10.0.0.5", 6379, "",
	    "onlypw", 0);
	good("redis://u:p%40ss%3Aw%2Fd@h", REDIS_URL_TCP, "h", 6379, "u",
	    "p@ss:w/d", 0);
	good("redis://h:65535/65535", REDIS_URL_TCP, "h", 65535, "", "",
	    65535);
	ok(redis_url_parse("unix:/run/redis/redis.sock", &u, NULL, 0) == 0 &&
	    u.kind == REDIS_URL_UNIX &&
	    strcmp(u.path, "/run/redis/redis.sock") == 0, "accepted: unix:PATH");

	bad("", "empty");
	bad("http://h", "not a Redis URL");
	bad("redis:/h", "not a Redis URL");
	bad("REDIS://h", "not a Redis URL");
	bad("redis://", "missing host");
	bad("redis://:6379", "missing host");
	bad("redis://h:", "bad port");
	bad("redis://h:0", "bad port");
	bad("redis://h:65536", "bad port");
	bad("redis://h:+80", "bad port");
	bad("redis://h:123456", "bad port");
	bad("redis://h:80x", "bad port");
	bad("redis://h/", "bad database");
	bad("redis://h/x", "bad database");
	bad("redis://h/1/2", "bad database");
	bad("redis://h/65536", "bad database");
	bad("redis://h/1?ssl=true", "bad database");
	bad("redis://h#frag", "bad host");
	bad("redis://h?x", "bad host");
	bad("redis://h_x", "bad host");
	bad("redis://-h", "bad host");
	bad("redis://a..b", "bad host");
	bad("redis://[::1", "IPv6");
	bad("redis://[zz::1]", "IPv6");
	bad("redis://[::1]x", "after ']'");
	bad("redis://::1", "missing host");
	bad("redis://user@h", "without a password");
	bad("redis://u:@h", "empty password");
	bad("redis://u:p@ss@h", "bad user or password");
	bad("redis://u:p%4@h", "bad user or password");
	bad("redis://u:p%00@h", "bad user or password");
	bad("redis://u:p%0a@h", "bad user or password");
	bad("redis://u:p\tq@h", "bad user or password");
	bad("unix:", "absolute path");
	bad("unix:relative.sock", "absolute path");
	bad("unix:/a\nb", "control character");
	memset(buf, 'a', sizeof(buf));
	buf[0] = '/';
	buf[200] = '\0';
	memcpy(err, "unix:", 5);
	memcpy(err + 5, buf, 201);
	bad(err, "longer than");
#ifndef HAVE_HIREDIS_SSL
	bad("rediss://h:6380", "no TLS");
#else
	good("rediss://h:6380", REDIS_URL_TLS, "h", 6380, "", "", 0);
#endif

	/* The masked form shows where, never the password. */
	redis_url_parse("redis://meetopia:s3cret@h:7000/3", &u, NULL, 0);
	redis_url_masked(&u, buf, sizeof(buf));
	is_str(buf, "redis://meetopia:********@h:7000/3", "masked URL");
	redis_url_clear(&u);
	ok(u.password[0] == '\0', "clear wipes the password");

	/* The configuration keys. */
	cfg = cfg_new();
	ok(cfg != NULL && cfg->redis == NULL &&
	    strcmp(cfg->cluster_prefix, "meetopia:") == 0 &&
	    cfg->node_name == NULL && cfg->node_address.family == 0,
	    "defaults: no redis, prefix meetopia:, no node-name/address");
	ok(cfg_set(cfg, CFG_SRC_CMDLINE, 0, "redis", "redis://h:99999", err,
	    sizeof(err)) == -1 && strstr(err, "redis") != NULL &&
	    strstr(err, "bad port") != NULL, "config: a bad redis URL is "
	    "refused with the key and the reason");
	ok(cfg_set(cfg, CFG_SRC_CMDLINE, 0, "node-name", "node a", err,
	    sizeof(err)) == -1, "config: node-name with a space is refused");
	ok(cfg_set(cfg, CFG_SRC_CMDLINE, 0, "cluster-prefix", "", err,
	    sizeof(err)) == -1, "config: empty cluster-prefix is refused");
	ok(cfg_set(cfg, CFG_SRC_CMDLINE, 0, "node-address", "host.example",
	    err, sizeof(err)) == -1, "config: node-address must be an IP");
	ok(cfg_set(cfg, CFG_SRC_CMDLINE, 0, "node-name", "node-1.eu", err,
	    sizeof(err)) == 0 && cfg_set(cfg, CFG_SRC_CMDLINE, 0,
	    "cluster-prefix", "{mt}:", err, sizeof(err)) == 0 &&
	    cfg_set(cfg, CFG_SRC_CMDLINE, 0, "node-address", "192.0.2.7", err,
	    sizeof(err)) == 0, "config: node-name, cluster-prefix, node-address");
	cfg_free(cfg);

	/* A file with a Redis password must be 0600; masked on dump. */
	if ((fd = mkstemp(path)) < 0 || (fp = fdopen(fd, "w")) == NULL)
		return 1;
	fprintf(fp, "redis = redis://m:hunter2hunter2@127.0.0.1:6379/1\n");
	fclose(fp);
	chmod(path, 0644);
	cfg = cfg_new();
	ok(cfg_load(cfg, path, 1, NULL, 0, NULL, err, sizeof(err)) == -1 &&
	    strstr(err, "a password in redis") != NULL &&
	    strstr(err, "chmod 600") != NULL,
	    "a 0644 file with a redis password is refused");
	printf("#   %s\n", err);
	cfg_free(cfg);
	chmod(path, 0600);
	cfg = cfg_new();
	ok(cfg_load(cfg, path, 1, NULL, 0, NULL, err, sizeof(err)) == 0,
	    "the same file at 0600 loads");
	{
		char *out = NULL;
		size_t outlen = 0;
		FILE *mf = open_memstream(&out, &outlen);

		cfg_dump(cfg, 1, mf);
		fclose(mf);
		ok(strstr(out, "hunter2") == NULL &&
		    strstr(out, "redis = redis://m:********@127.0.0.1:6379/1")
		    != NULL, "--check-config masks the redis password");
		free(out);
	}
	cfg_free(cfg);
	/* without a password the file may be world-readable */
	fp = fopen(path, "w");
	fprintf(fp, "redis = redis://127.0.0.1:6379\n");
	fclose(fp);
	chmod(path, 0644);
	cfg = cfg_new();
	ok(cfg_load(cfg, path, 1, NULL, 0, NULL, err, sizeof(err)) == 0,
	    "a 0644 file with a password-less redis URL loads");
	cfg_free(cfg);
	unlink(path);
	return done_testing();
}
