/*
 * test_ctl.c - meetopiactl's argument parser (db/ctl.c).
 */
#include <stdio.h>
#include <string.h>

#include "db/ctl.h"
#include "tests/tap.h"

static struct ctl_opts o;
static char err[CTL_ERRLEN];

/* Parses a space-separated command line ("" words not possible). */
static int
parse(const char *line)
{
	static char buf[512];
	char *argv[32], *p, *save;
	int argc = 0;

	strlcpy(buf, line, sizeof(buf));
	argv[argc++] = "meetopiactl";
	for (p = strtok_r(buf, " ", &save); p != NULL && argc < 31;
	    p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	argv[argc] = NULL;
	return ctl_parse(argc, argv, &o, err, sizeof(err));
}

static void
good(const char *line, enum ctl_cmd cmd)
{
	int rc = parse(line);

	ok(rc == 0 && o.cmd == cmd, "'%s' parses%s%s", line, rc ? ": " : "",
	    rc ? err : "");
}

static void
bad(const char *line, const char *why)
{
	int rc = parse(line);

	ok(rc != 0 && strstr(err, why) != NULL, "'%s' refused: %s", line, err);
}

int
main(void)
{
	char buf[32];

	good("ban add 203.0.113.7", CTL_BAN_ADD);
	is_str(o.target, "203.0.113.7", "target");
	ok(o.for_secs == 0 && o.reason == NULL, "no --for, no --reason");
	good("ban add 203.0.113.0/24 --for 7d --reason spam", CTL_BAN_ADD);
	ok(o.for_secs == 7 * 86400 && strcmp(o.reason, "spam") == 0 &&
	    strcmp(o.for_text, "7d") == 0, "--for and --reason");
	good("--json ban add --for=90m 10.0.0.1", CTL_BAN_ADD);
	ok(o.json && o.for_secs == 5400, "--json before, --for=VALUE");
	good("ban add --report 12 --for 1h", CTL_BAN_ADD);
	ok(o.report == 12 && o.target == NULL, "--report");
	good("ban list", CTL_BAN_LIST);
	ok(!o.all, "not --all");
	good("ban list --all --json", CTL_BAN_LIST);
	ok(o.all && o.json, "--all --json");
	good("ban remove 3", CTL_BAN_REMOVE);
	is_int(o.id, 3, "id");
	good("report list --open", CTL_REPORT_LIST);
	ok(o.open_only, "--open");
	good("report show 9", CTL_REPORT_SHOW);
	good("report resolve 9", CTL_REPORT_RESOLVE);
	good("admin add alice", CTL_ADMIN_ADD);
	is_str(o.name, "alice", "name");
	good("admin list", CTL_ADMIN_LIST);
	good("admin remove alice", CTL_ADMIN_REMOVE);
	good("credential", CTL_CREDENTIAL);
	good("credential --id bob --ttl 600", CTL_CREDENTIAL);
	ok(strcmp(o.cred_id, "bob") == 0 && o.ttl == 600, "--id --ttl");
	good("purge", CTL_PURGE);
	good("stats", CTL_STATS);
	good("nodes", CTL_NODES);
	good("nodes --json", CTL_NODES);
	good("drain", CTL_DRAIN);
	ok(o.node == NULL && !o.undo, "drain: this node, not --undo");
	good("drain --node n1 --undo", CTL_DRAIN);
	ok(o.node != NULL && strcmp(o.node, "n1") == 0 && o.undo,
	    "drain --node --undo");
	good("-c /etc/m.conf --db /tmp/x.db --state-dir /var/lib/m ban list",
	    CTL_BAN_LIST);
	ok(strcmp(o.config, "/etc/m.conf") == 0 && strcmp(o.db, "/tmp/x.db") ==
	    0 && strcmp(o.state_dir, "/var/lib/m") == 0, "global options");
	good("ban list --config=/etc/m.conf", CTL_BAN_LIST);
	good("--help", CTL_HELP);
	good("ban add --help", CTL_HELP);
	good("--version", CTL_VERSION);
	good("help", CTL_HELP);

	bad("", "no command");
	bad("bann list", "unknown command");
	bad("ban", "unknown command");
	bad("ban kick 1.2.3.4", "ban kick: unknown command");
	bad("ban add", "needs an ADDRESS");
	bad("ban add 1.2.3.4 5.6.7.8", "ADDRESS");
	bad("ban add 1.2.3.4 --report 3", "not both");
	bad("ban add 1.2.3.4 --for", "--for: needs a value");
	bad("ban add 1.2.3.4 --for 0", "not a duration");
	bad("ban add 1.2.3.4 --for -5", "not a duration");
	bad("ban add 1.2.3.4 --for 3w", "not a duration");
	bad("ban add 1.2.3.4 --for 1h --for 2h", "given twice");
	bad("ban add --report x", "not a report id");
	bad("ban add --report 0", "not a report id");
	bad("ban list --for 1h", "not an option of this command");
	bad("ban list --open", "not an option of this command");
	bad("report list --all", "not an option of this command");
	bad("ban list extra", "unexpected argument");
	bad("ban remove", "needs an ID");
	bad("ban remove abc", "not an id");
	bad("ban remove 0", "not an id");
	bad("ban remove 99999999999999999999", "not an id");
	bad("report show -3", "unknown option");
	bad("admin add", "needs a NAME");
	bad("admin add a;b", "not a name");
	bad("admin add --json", "needs a NAME");
	bad("credential --ttl 0", "--ttl");
	bad("credential --ttl 400d", "--ttl");
	bad("credential --id a:b", "--id");
	bad("--bogus ban list", "unknown option");
	bad("drain --node a;b", "not a node name");
	bad("drain --node", "--node: needs a value");
	bad("nodes --undo", "not an option of this command");
	bad("ban list --node n1", "not an option of this command");
	bad("drain n1", "unexpected argument");
	bad("--json=1 ban list", "takes no value");
	bad("-c", "needs a value");
	bad("--db= ban list", "empty file name");
	bad("a b c d e", "too many arguments");
	bad("-- ban list", "not an option");

	ctl_fmt_duration(86400, buf, sizeof(buf));
	is_str(buf, "1d", "1d");
	ctl_fmt_duration(90 * 60, buf, sizeof(buf));
	is_str(buf, "1h30m", "1h30m");
	ctl_fmt_duration(7 * 86400 + 3 * 3600 + 5, buf, sizeof(buf));
	is_str(buf, "7d3h", "7d3h (seconds dropped)");
	ctl_fmt_duration(45, buf, sizeof(buf));
	is_str(buf, "45s", "45s");
	ctl_fmt_duration(0, buf, sizeof(buf));
	is_str(buf, "0s", "0s");
	return done_testing();
}
