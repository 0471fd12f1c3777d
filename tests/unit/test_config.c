/*
 * test_config.c - the configuration model: defaults, precedence of the
 * sources, every error path of the parser, --check-config masking and the
 * SIGHUP reconcile rules.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "tests/tap.h"

static char err[CFG_ERRLEN];

static struct config *
parse(const char *text)
{
	struct config *cfg = cfg_new();

	err[0] = '\0';
	if (cfg_parse_text(cfg, "t.conf", text, strlen(text), err,
	    sizeof(err)) != 0 || cfg_validate(cfg, err, sizeof(err)) != 0) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

/* The text is refused, and the error names the place and the key. */
static void
refused(const char *text, const char *want, const char *what)
{
	struct config *cfg = parse(text);

	ok(cfg == NULL && strstr(err, want) != NULL, "refused: %s", what);
	if (cfg != NULL || strstr(err, want) == NULL)
		printf("#   error was '%s', wanted '%s'\n", err, want);
	cfg_free(cfg);
}

static void
defaults_are_spec(void)
{
	struct config *c = cfg_new();
	char buf[64];

	ok(c != NULL, "defaults build");
	is_int(c->listen.n, 1, "one listen address");
	is_str(addr_ntop(&c->listen.v[0], buf, sizeof(buf)), "127.0.0.1",
	    "listen 127.0.0.1");
	is_int(c->turn_port, 3478, "turn-port");
	is_int(c->tls_port, 5349, "tls-port");
	is_int(c->http_port, 8080, "http-port");
	is_int(c->https_port, 0, "https-port off");
	is_str(c->realm, "meetopia", "realm");
	is_int(c->credential_ttl, 3600, "credential-ttl");
	is_int(c->min_port, 49152, "min-port");
	is_int(c->max_port, 65535, "max-port");
	is_int(c->max_allocate_lifetime, 3600, "max-allocate-lifetime");
	is_int(c->user_quota, 10, "user-quota");
	is_int(c->ip_quota, 32, "ip-quota");
	ok(c->relay_only && c->pair_permissions && !c->force_https, "bools");
	is_int(c->ice_candidate_pool_size, 1, "pool size");
	is_int(c->signal_rate_limit, 600, "signal-rate-limit");
	is_int(c->resume_window, 30, "resume-window 30s");
	is_int(c->rate_limit_window, 900, "rate-limit-window");
	is_int(c->rate_limit_max, 100, "rate-limit-max");
	is_int(c->message_rate_limit, 20, "message-rate-limit");
	is_int(c->max_message_length, 500, "max-message-length");
	is_int(c->max_connections_per_ip, 3, "max-connections-per-ip");
	is_int(c->ban_default, 86400, "ban-default 24h");
	is_int(c->ban_max, 30 * 86400, "ban-max 30d");
	is_int(c->report_retention, 30 * 86400, "report-retention 30d");
	is_int(c->auto_ban_reports, 3, "auto-ban-reports");
	is_int(c->auto_ban_window, 3600, "auto-ban-window 1h");
	is_int(c->log_level, LOG_LEVEL_INFO, "log-level info");
	is_str(c->security_log, "stderr", "security-log");
	ok(c->auth_secret.n == 0 && c->cert == NULL && c->db == NULL,
	    "state-dir keys unset");
	cfg_free(c);
}

static void
file_values_parse(void)
{
	struct config *c = parse(
	    "# a comment\n"
	    "\n"
	    "  listen = 127.0.0.1   \n"
	    "listen = ::1\n"
	    "turn-port=3479 # inline comment\n"
	    "realm = example.org\n"
	    "resume-window = 2m\n"
	    "ban-max = 7d\n"
	    "ban-default = 12h\n"
	    "relay-only = no\n"
	    "denied-peer-ip = 203.0.113.0/24\n"
	    "allowed-peer-ip = 127.0.0.1-127.0.0.9\n"
	    "external-ip = 198.51.100.1/10.0.0.1\n"
	    "cors-origins = https://meet.example.org\n"
	    "auth-secret = this-is-a-long-secret-1\n"
	    "auth-secret = this-is-a-long-secret-2\r\n"
	    "log-level = debug\n");

	ok(c != NULL, "a full file parses");
	if (c == NULL) {
		printf("#   %s\n", err);
		return;
	}
	is_int(c->listen.n, 2, "listen repeats");
	is_int(c->turn_port, 3479, "inline comment stripped");
	is_str(c->realm, "example.org", "realm");
	is_int(c->resume_window, 120, "2m");
	is_int(c->ban_max, 7 * 86400, "7d");
	is_int(c->ban_default, 12 * 3600, "12h");
	ok(!c->relay_only, "relay-only no");
	is_int(c->denied_peer_ip.n, 1, "denied-peer-ip");
	ok(c->external_ip.set && c->external_ip.has_priv, "external-ip pair");
	is_int(c->auth_secret.n, 2, "two secrets, CRLF tolerated");
	is_str(c->auth_secret.v[1], "this-is-a-long-secret-2", "second secret");
	is_int(c->log_level, LOG_LEVEL_DEBUG, "log-level");
	is_int(cfg_origin_of(c, "turn-port")->line, 5, "origin line kept");
	cfg_free(c);
}

static void
parser_errors(void)
{
	refused("bogus = 1\n", "t.conf:1: bogus: unknown key", "unknown key");
	refused("\n\nturn-port = 34x\n", "t.conf:3: turn-port: '34x' is not a "
	    "number", "bad number");
	refused("turn-port = 70000\n", "turn-port: 70000 is out of range",
	    "port out of range");
	refused("turn-port = 0\n", "turn-port: 0 is out of range", "port 0");
	refused("turn-port = -1\n", "out of range", "negative port");
	refused("turn-port = 99999999999999999999\n", "not a number",
	    "overflowing number");
	refused("resume-window = 5y\n", "resume-window: '5y' is not a duration",
	    "bad duration suffix");
	refused("resume-window = 2h\n", "resume-window: 7200 is out of range",
	    "duration out of range");
	refused("ban-max = 99999999999999999d\n", "not a duration",
	    "overflowing duration");
	refused("resume-window = -5s\n", "not a duration", "negative duration");
	refused("listen = 300.1.1.1\n", "listen: '300.1.1.1' is not an IPv4",
	    "bad address");
	refused("relay-ip = example.org\n", "relay-ip:", "name, not address");
	refused("denied-peer-ip = 10.0.0.1/8\n", "denied-peer-ip:",
	    "CIDR with host bits");
	refused("external-ip = 1.2.3.4/::1\n", "external-ip:",
	    "external-ip mixed families");
	refused("turn-port = 3479\nturn-port = 3480\n", "t.conf:2: turn-port: "
	    "repeated key (first set on line 1", "repeated scalar key");
	refused("relay-only = maybe\n", "relay-only: 'maybe' is not yes or no",
	    "bad bool");
	refused("log-level = loud\n", "log-level:", "bad log level");
	refused("cors-origins = *\n", "wildcard", "wildcard origin");
	refused("cors-origins = https://a.example/path\n", "path",
	    "origin with a path");
	refused("cors-origins = ftp://a.example\n", "not an origin",
	    "origin with another scheme");
	refused("auth-secret = short\n", "auth-secret: length 5",
	    "too short secret");
	refused("realm = \n", "realm: empty value", "empty value");
	refused("just words\n", "t.conf:1: expected 'key = value'",
	    "no equals sign");
	refused(" = 5\n", "missing key", "missing key");
	refused("realm = a\tb\n", "control character", "control character");
	refused("min-port = 60000\nmax-port = 50000\n",
	    "max-port: 50000 is below min-port", "min-port above max-port");
	refused("ban-default = 40d\n", "ban-default:", "ban-default > ban-max");
	refused("cert = /x.pem\n", "cert and pkey go together",
	    "cert without pkey");
	{
		char big[5000];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		refused(big, "longer than", "overlong line");
	}
	{
		static const char nul[] = "realm = a\0b\n";
		struct config *c = cfg_new();

		ok(cfg_parse_text(c, "t.conf", nul, sizeof(nul) - 1, err,
		    sizeof(err)) != 0 && strstr(err, "NUL") != NULL,
		    "refused: NUL byte");
		cfg_free(c);
	}
}

static void
precedence(void)
{
	char path[] = "/tmp/meetopia-test-XXXXXX";
	char *env[] = { "MEETOPIA_HTTP_PORT=8181", "MEETOPIA_TURN_PORT=4000",
	    "MEETOPIA_LISTEN=127.0.0.2, ::1", "PATH=/bin", NULL };
	char *args[] = { "--turn-port=5000", "--force-https", NULL };
	struct config *c = cfg_new();
	FILE *fp;
	int fd;

	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	fputs("http-port = 8081\nturn-port = 3000\nrealm = file\n"
	    "listen = 127.0.0.3\n", fp);
	fclose(fp);
	ok(cfg_load(c, path, 1, env, 2, args, err, sizeof(err)) == 0,
	    "all sources load");
	is_int(c->turn_port, 5000, "command line beats environment and file");
	is_int(c->http_port, 8181, "environment beats file");
	is_str(c->realm, "file", "file beats default");
	is_int(c->tls_port, 5349, "default stays");
	ok(c->force_https, "a bare --bool-key means yes");
	is_int(c->listen.n, 2, "environment list replaces the file's");
	is_int(cfg_origin_of(c, "turn-port")->src, CFG_SRC_CMDLINE, "origin");
	cfg_free(c);

	c = cfg_new();
	{
		char *bad[] = { "--turn-port=x", NULL };

		ok(cfg_load(c, path, 1, NULL, 1, bad, err, sizeof(err)) != 0 &&
		    strstr(err, "--turn-port: 'x' is not a number") != NULL,
		    "command-line error names the option");
	}
	cfg_free(c);
	c = cfg_new();
	{
		char *bad[] = { "--nope=1", NULL };

		ok(cfg_load(c, NULL, 0, NULL, 1, bad, err, sizeof(err)) != 0 &&
		    strstr(err, "--nope: unknown option") != NULL,
		    "unknown option refused");
	}
	cfg_free(c);
	c = cfg_new();
	{
		char *badenv[] = { "MEETOPIA_MIN_PORT=5", NULL };

		ok(cfg_load(c, NULL, 0, badenv, 0, NULL, err, sizeof(err)) != 0
		    && strstr(err, "environment MEETOPIA_MIN_PORT") != NULL,
		    "environment error names the variable");
	}
	cfg_free(c);
	c = cfg_new();
	ok(cfg_load(c, "/nonexistent/meetopia.conf", 1, NULL, 0, NULL, err,
	    sizeof(err)) != 0 && strstr(err, "No such file") != NULL,
	    "a named file that is missing is an error");
	cfg_free(c);
	c = cfg_new();
	ok(cfg_load(c, "/nonexistent/meetopia.conf", 0, NULL, 0, NULL, err,
	    sizeof(err)) == 0, "the default file may be absent");
	cfg_free(c);
	unlink(path);
}

static void
dump_masks_secrets(void)
{
	struct config *c = parse("auth-secret = very-secret-value-123\n"
	    "api-key = another-secret-value-456\n");
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	cfg_dump(c, 1, fp);
	fclose(fp);
	ok(strstr(buf, "very-secret") == NULL &&
	    strstr(buf, "another-secret") == NULL, "secrets masked");
	ok(strstr(buf, "auth-secret = ********") != NULL, "mask shown");
	ok(strstr(buf, "turn-port = 3478") != NULL, "values shown");
	ok(strstr(buf, "# from the file, line 1") != NULL, "origin shown");
	free(buf);
	cfg_free(c);
}

/* Loads text from a file of the given mode: cfg_load()'s result. */
static int
load_mode_owner(const char *text, mode_t mode, uid_t owner)
{
	char path[] = "/tmp/meetopia-test-XXXXXX";
	struct config *c = cfg_new();
	FILE *fp;
	int fd, rc;

	err[0] = '\0';
	if ((fd = mkstemp(path)) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		cfg_free(c);
		return -2;
	}
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
	if (owner != (uid_t)-1 && chown(path, owner, (gid_t)-1) != 0) {
		unlink(path);
		cfg_free(c);
		return -2;
	}
	rc = cfg_load(c, path, 1, NULL, 0, NULL, err, sizeof(err));
	unlink(path);
	cfg_free(c);
	return rc;
}

static int
load_mode(const char *text, mode_t mode)
{
	return load_mode_owner(text, mode, (uid_t)-1);
}

static void
secret_file_modes(void)
{
	static const char auth[] = "realm = x\nauth-secret = "
	    "very-secret-value-123\n";
	static const char key[] = "api-key = another-secret-value-456\n";
	static const char plain[] = "realm = x\nturn-port = 3479\n";
	static const mode_t loose[] = { 0644, 0640, 0604, 0660, 0620, 0602,
	    0666 };
	size_t i;

	is_int(load_mode(auth, 0600), 0, "auth-secret in a 0600 file: taken");
	is_int(load_mode(auth, 0400), 0, "auth-secret in a 0400 file: taken");
	for (i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "(mode %03o)", (unsigned)loose[i]);
		ok(load_mode(auth, loose[i]) == -1 &&
		    strstr(err, "/tmp/meetopia-test-") != NULL &&
		    strstr(err, "holds auth-secret") != NULL &&
		    strstr(err, want) != NULL &&
		    strstr(err, "chmod 600") != NULL && strchr(err, '\n') ==
		    NULL, "auth-secret in a %03o file: refused, one line "
		    "naming the file, the key and the mode", (unsigned)loose[i]);
	}
	ok(load_mode(key, 0644) == -1 && strstr(err, "holds api-key") != NULL,
	    "api-key in a 0644 file: refused");
	is_int(load_mode(key, 0600), 0, "api-key in a 0600 file: taken");
	is_int(load_mode(plain, 0644), 0, "a file without a secret may be "
	    "0644");
	if (geteuid() == 0) {
		ok(load_mode_owner(auth, 0600, 65534) == -1 &&
		    strstr(err, "belongs to another user (uid 65534)") != NULL,
		    "auth-secret in a 0600 file of another user: refused");
		is_int(load_mode_owner(plain, 0600, 65534), 0, "a file "
		    "without a secret may be another user's");
	} else {
		ok(1, "# SKIP another owner needs root");
		ok(1, "# SKIP another owner needs root");
	}
	ok(load_mode("realm = x\nauth-secret = \"bad\n", 0644) == -1 &&
	    strstr(err, "chmod") == NULL, "a parse error is reported first");
}

static int nchanged, nkept;

static void
count_cb(const char *key, int live, void *arg)
{
	if (live)
		nchanged++;
	else
		nkept++;
}

static void
reconcile_keeps_non_live(void)
{
	struct config *a = parse("turn-port = 4000\nrealm = one\n");
	struct config *b = parse("turn-port = 4001\nrealm = two\n"
	    "listen = ::1\n");

	cfg_reconcile(a, b, count_cb, NULL);
	is_int(nchanged, 1, "one live key changed (realm)");
	is_int(nkept, 2, "two keys kept (turn-port, listen)");
	is_int(b->turn_port, 4000, "turn-port kept from the running config");
	is_int(b->listen.n, 1, "listen kept");
	is_str(b->realm, "two", "realm takes the new value");
	cfg_free(a);
	cfg_free(b);
}

/* Shared ports (SPEC, Configuration): the two pairings, and everything on
 * one port. */
static void
shared_ports(void)
{
	struct config *c;

	c = parse("turn-port = 443\nhttp-port = 443\ntls-port = 5349\n");
	ok(c != NULL, "http-port = turn-port is allowed");
	if (c != NULL) {
		is_int(cfg_shared_plain_port(c), 443, "shared plain port");
		is_int(cfg_shared_tls_port(c), 0, "no shared TLS port");
	}
	cfg_free(c);
	c = parse("tls-port = 443\nhttps-port = 443\n");
	ok(c != NULL, "https-port = tls-port is allowed");
	if (c != NULL) {
		is_int(cfg_shared_tls_port(c), 443, "shared TLS port");
		is_int(cfg_shared_plain_port(c), 0, "no shared plain port");
	}
	cfg_free(c);
	c = parse("tls-port = 0\nhttps-port = 0\n");
	ok(c != NULL && cfg_shared_tls_port(c) == 0,
	    "https-port and tls-port both off share nothing");
	cfg_free(c);
	c = parse("turn-port = 443\nhttp-port = 443\ntls-port = 5349\n"
	    "https-port = 5349\n");
	ok(c != NULL && cfg_shared_plain_port(c) == 443 &&
	    cfg_shared_tls_port(c) == 5349, "both pairings at once");
	cfg_free(c);
	refused("turn-port = 5349\ntls-port = 5349\n",
	    "tls-port: 5349 is also turn-port", "turn-port = tls-port");
	refused("https-port = 8080\nhttp-port = 8080\n",
	    "https-port: 8080 is also http-port", "http-port = https-port");
	refused("tls-port = 8080\nhttp-port = 8080\n",
	    "http-port: 8080 is also tls-port", "http-port = tls-port (TLS "
	    "and plain)");
	refused("https-port = 3478\n", "https-port: 3478 is also turn-port",
	    "https-port = turn-port (TLS and plain)");
	c = parse("https-port = 443\ntls-port = 443\nturn-port = 443\n"
	    "http-port = 80\n");
	ok(c != NULL, "turn-port = tls-port = https-port is allowed");
	if (c != NULL) {
		is_int(cfg_shared_tls_port(c), 443, "everything on 443: the "
		    "shared TLS port");
		is_int(cfg_shared_plain_port(c), 0, "HTTP stays on its port");
	}
	cfg_free(c);
	c = parse("https-port = 443\ntls-port = 443\nturn-port = 443\n"
	    "http-port = 443\n");
	ok(c != NULL && cfg_shared_plain_port(c) == 443 &&
	    cfg_shared_tls_port(c) == 443, "all four on one port");
	cfg_free(c);
	refused("turn-port = 443\ntls-port = 443\nhttps-port = 8443\n",
	    "tls-port: 443 is also turn-port", "turn-port = tls-port without "
	    "https-port");
	refused("turn-port = 443\nhttps-port = 443\ntls-port = 5349\n",
	    "https-port: 443 is also turn-port", "turn-port = https-port "
	    "without tls-port");
}

/* server-name: a DNS name as a certificate names it, kept lower case. */
static void
server_name_is_a_dns_name(void)
{
	struct config *c = cfg_new();
	char big[300];

	ok(c->server_name == NULL, "server-name: none by default");
	cfg_free(c);
	c = parse("server-name = Meet.Example.ORG\n");
	ok(c != NULL && c->server_name != NULL &&
	    strcmp(c->server_name, "meet.example.org") == 0,
	    "server-name: a DNS name, kept lower case");
	cfg_free(c);
	c = parse("server-name = a-1.b2.test\n");
	ok(c != NULL, "server-name: hyphens and digits inside labels");
	cfg_free(c);
	refused("server-name = 192.0.2.1\n", "server-name: a DNS name, not an "
	    "IP address", "server-name: an IPv4 address");
	refused("server-name = ::1\n", "server-name: ':' is not allowed",
	    "server-name: an IPv6 address");
	refused("server-name = [::1]\n", "server-name: '[' is not allowed",
	    "server-name: a bracketed IPv6 address");
	refused("server-name = meet.example.org:443\n", "':' is not allowed",
	    "server-name: with a port");
	refused("server-name = https://meet.example.org\n", "not allowed",
	    "server-name: a URL");
	refused("server-name = meet..example.org\n", "1 to 63",
	    "server-name: an empty label");
	refused("server-name = meet.example.org.\n", "1 to 63",
	    "server-name: a trailing dot");
	refused("server-name = -meet.example.org\n", "'-'",
	    "server-name: a label starting with '-'");
	refused("server-name = meet_1.example.org\n", "'_' is not allowed",
	    "server-name: an underscore");
	refused("server-name = *.example.org\n", "'*' is not allowed",
	    "server-name: a wildcard");
	memset(big, 'a', sizeof(big));
	memcpy(big, "server-name = ", 14);
	memcpy(big + 14 + 64, ".test\n", 7);	/* with its NUL */
	refused(big, "1 to 63", "server-name: a 64-character label");
}

/* The token rule node-name shares with the cluster's ids and meetopiactl's
 * --node: letters, digits and . _ : { } -, 1 to max. */
static void
token_words(void)
{
	char big[66];

	ok(cfg_token_valid("node-1.a_b:{c}", 64), "token: every allowed kind");
	ok(!cfg_token_valid("", 64), "token: empty refused");
	ok(!cfg_token_valid(NULL, 64), "token: NULL refused");
	ok(!cfg_token_valid("a b", 64), "token: a space refused");
	ok(!cfg_token_valid("a/b", 64), "token: a slash refused");
	ok(!cfg_token_valid("caf\xc3\xa9", 64), "token: non-ASCII refused");
	memset(big, 'a', 65);
	big[65] = '\0';
	ok(!cfg_token_valid(big, 64), "token: 65 characters refused");
	big[64] = '\0';
	ok(cfg_token_valid(big, 64), "token: 64 characters taken");
	ok(!cfg_token_char('\0'), "token: NUL is not a token character");
	refused("node-name = a/b\n", "'/' is not allowed", "node-name: a "
	    "slash refused at load");
}

int
main(void)
{
	defaults_are_spec();
	shared_ports();
	file_values_parse();
	parser_errors();
	precedence();
	dump_masks_secrets();
	secret_file_modes();
	reconcile_keeps_non_live();
	server_name_is_a_dns_name();
	token_words();
	return done_testing();
}
