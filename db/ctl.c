/*
 * ctl.c - meetopiactl's argument parser (see ctl.h).
 *
 * argv is untrusted input like any other: every value is checked here
 * (numbers with strtonum, durations with the configuration's parser, names
 * against their character set), and nothing is executed.  What needs the
 * configuration (a duration against ban-max, an address against the
 * database) is checked by meetopiactl afterwards.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "db/ctl.h"
#include "db/db.h"

/* Which command takes which option. */
#define O_GLOBAL	0x01
#define O_BAN_ADD	0x02
#define O_BAN_LIST	0x04
#define O_REPORT_LIST	0x08
#define O_CREDENTIAL	0x10
#define O_DRAIN		0x20

struct opt {
	const char	*name;		/* "--for" */
	const char	*alias;		/* "-c" or NULL */
	int		 takes_value;
	int		 where;
};

static const struct opt OPTS[] = {
	{ "--config", "-c", 1, O_GLOBAL },
	{ "--db", NULL, 1, O_GLOBAL },
	{ "--state-dir", NULL, 1, O_GLOBAL },
	{ "--json", NULL, 0, O_GLOBAL },
	{ "--help", "-h", 0, O_GLOBAL },
	{ "--version", NULL, 0, O_GLOBAL },
	{ "--for", NULL, 1, O_BAN_ADD },
	{ "--reason", NULL, 1, O_BAN_ADD },
	{ "--report", NULL, 1, O_BAN_ADD },
	{ "--all", NULL, 0, O_BAN_LIST },
	{ "--open", NULL, 0, O_REPORT_LIST },
	{ "--id", NULL, 1, O_CREDENTIAL },
	{ "--ttl", NULL, 1, O_CREDENTIAL },
	{ "--node", NULL, 1, O_DRAIN },
	{ "--undo", NULL, 0, O_DRAIN },
};
#define NOPTS	(sizeof(OPTS) / sizeof(OPTS[0]))

#define MAXWORDS	4

static int
perr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
perr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
parse_id(const char *s, int64_t *out)
{
	const char *errstr;

	*out = strtonum(s, 1, INT64_MAX, &errstr);
	return errstr == NULL ? 0 : -1;
}

void
ctl_fmt_duration(int64_t secs, char *buf, size_t len)
{
	int64_t d = secs / 86400, h = secs % 86400 / 3600,
	    m = secs % 3600 / 60, s = secs % 60;

	if (secs <= 0)
		snprintf(buf, len, "0s");
	else if (d > 0 && h == 0)
		snprintf(buf, len, "%lldd", (long long)d);
	else if (d > 0)
		snprintf(buf, len, "%lldd%lldh", (long long)d, (long long)h);
	else if (h > 0 && m == 0)
		snprintf(buf, len, "%lldh", (long long)h);
	else if (h > 0)
		snprintf(buf, len, "%lldh%lldm", (long long)h, (long long)m);
	else if (m > 0 && s == 0)
		snprintf(buf, len, "%lldm", (long long)m);
	else if (m > 0)
		snprintf(buf, len, "%lldm%llds", (long long)m, (long long)s);
	else
		snprintf(buf, len, "%llds", (long long)s);
}

/* Which option-set the command accepts besides the global ones. */
static int
cmd_opts(enum ctl_cmd c)
{
	switch (c) {
	case CTL_BAN_ADD:
		return O_BAN_ADD;
	case CTL_BAN_LIST:
		return O_BAN_LIST;
	case CTL_REPORT_LIST:
		return O_REPORT_LIST;
	case CTL_CREDENTIAL:
		return O_CREDENTIAL;
	case CTL_DRAIN:
		return O_DRAIN;
	default:
		return 0;
	}
}

/* The command from its words; *nargs is how many words it consumes. */
static enum ctl_cmd
find_cmd(const char **w, int n, int *used)
{
	static const struct {
		const char	*a, *b;
		enum ctl_cmd	 cmd;
	} cmds[] = {
		{ "ban", "add", CTL_BAN_ADD },
		{ "ban", "list", CTL_BAN_LIST },
		{ "ban", "remove", CTL_BAN_REMOVE },
		{ "report", "list", CTL_REPORT_LIST },
		{ "report", "show", CTL_REPORT_SHOW },
		{ "report", "resolve", CTL_REPORT_RESOLVE },
		{ "admin", "add", CTL_ADMIN_ADD },
		{ "admin", "list", CTL_ADMIN_LIST },
		{ "admin", "remove", CTL_ADMIN_REMOVE },
		{ "credential", NULL, CTL_CREDENTIAL },
		{ "purge", NULL, CTL_PURGE },
		{ "stats", NULL, CTL_STATS },
		{ "nodes", NULL, CTL_NODES },
		{ "drain", NULL, CTL_DRAIN },
		{ "help", NULL, CTL_HELP },
	};
	size_t i;

	*used = 0;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (n < 1 || strcmp(w[0], cmds[i].a) != 0)
			continue;
		if (cmds[i].b == NULL) {
			*used = 1;
			return cmds[i].cmd;
		}
		if (n >= 2 && strcmp(w[1], cmds[i].b) == 0) {
			*used = 2;
			return cmds[i].cmd;
		}
	}
	return CTL_NONE;
}

/* The option a names (n bytes of it), or NOPTS. */
static size_t
find_opt(const char *a, size_t n, int has_value)
{
	size_t k;

	for (k = 0; k < NOPTS; k++)
		if ((strlen(OPTS[k].name) == n &&
		    strncmp(OPTS[k].name, a, n) == 0) ||
		    (OPTS[k].alias != NULL && !has_value &&
		    strcmp(OPTS[k].alias, a) == 0))
			return k;
	return NOPTS;
}

/* Sorts argv into command words and options (given[k]: option k's value). */
static int
scan_argv(int argc, char *const *argv, const char **words, int *nwords,
    const char **given, char *err, size_t errlen)
{
	const char *val;
	size_t k, n;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;

		if (a[0] != '-' || a[1] == '\0') {
			if (*nwords == MAXWORDS)
				return perr(err, errlen, "%.64s: too many "
				    "arguments (try --help)", a);
			words[(*nwords)++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0)
			return perr(err, errlen, "--: not an option "
			    "(try --help)");
		eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
		n = eq != NULL ? (size_t)(eq - a) : strlen(a);
		if ((k = find_opt(a, n, eq != NULL)) == NOPTS)
			return perr(err, errlen, "%.*s: unknown option (try "
			    "--help)", (int)(n > 64 ? 64 : n), a);
		if (OPTS[k].takes_value) {
			if (eq != NULL)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return perr(err, errlen, "%s: needs a value",
				    OPTS[k].name);
		} else {
			if (eq != NULL)
				return perr(err, errlen, "%s: takes no value",
				    OPTS[k].name);
			val = "";
		}
		if (given[k] != NULL)
			return perr(err, errlen, "%s: given twice",
			    OPTS[k].name);
		given[k] = val;
	}
	return 0;
}

/* Whether the option called name was given. */
static int
was_given(const char **given, const char *name)
{
	size_t k;

	for (k = 0; k < NOPTS; k++)
		if (given[k] != NULL && strcmp(OPTS[k].name, name) == 0)
			return 1;
	return 0;
}

/* The command of the words, or the reason there is none. */
static int
parse_cmd(const char **words, int nwords, int *used, struct ctl_opts *o,
    char *err, size_t errlen)
{
	if (nwords == 0)
		return perr(err, errlen, "no command (try --help)");
	if ((o->cmd = find_cmd(words, nwords, used)) == CTL_NONE) {
		if (nwords >= 2 && (strcmp(words[0], "ban") == 0 ||
		    strcmp(words[0], "report") == 0 ||
		    strcmp(words[0], "admin") == 0))
			return perr(err, errlen, "%s %.64s: unknown command "
			    "(try --help)", words[0], words[1]);
		return perr(err, errlen, "%.64s: unknown command (try "
		    "--help)", words[0]);
	}
	return 0;
}

/* Checks option name's value and stores it in o. */
static int
set_opt(struct ctl_opts *o, const char *name, const char *val, char *err,
    size_t errlen)
{
	long long secs;

	if (strcmp(name, "--config") == 0)
		o->config = val;
	else if (strcmp(name, "--db") == 0)
		o->db = val;
	else if (strcmp(name, "--state-dir") == 0)
		o->state_dir = val;
	else if (strcmp(name, "--json") == 0)
		o->json = 1;
	else if (strcmp(name, "--all") == 0)
		o->all = 1;
	else if (strcmp(name, "--open") == 0)
		o->open_only = 1;
	else if (strcmp(name, "--reason") == 0)
		o->reason = val;
	else if (strcmp(name, "--id") == 0) {
		/* The same words as an admin's name. */
		if (!admin_name_valid(val))
			return perr(err, errlen, "--id %.64s: 1 to 64 "
			    "letters, digits or . _ - @", val);
		o->cred_id = val;
	} else if (strcmp(name, "--report") == 0) {
		if (parse_id(val, &o->report) != 0)
			return perr(err, errlen, "--report %.64s: not a "
			    "report id", val);
	} else if (strcmp(name, "--for") == 0) {
		if (cfg_parse_duration(val, &secs) != 0 || secs <= 0)
			return perr(err, errlen, "--for %.64s: not a "
			    "duration (like 90m, 24h, 7d)", val);
		o->for_secs = secs;
		o->for_text = val;
	} else if (strcmp(name, "--ttl") == 0) {
		if (cfg_parse_duration(val, &secs) != 0 || secs <= 0 ||
		    secs > 366LL * 86400)
			return perr(err, errlen, "--ttl %.64s: not a number "
			    "of seconds from 1 to a year", val);
		o->ttl = secs;
	} else if (strcmp(name, "--node") == 0) {
		if (!cfg_token_valid(val, 64))
			return perr(err, errlen, "--node %.64s: not a node "
			    "name", val);
		o->node = val;
	} else if (strcmp(name, "--undo") == 0)
		o->undo = 1;
	return 0;
}

/* The options given: each must belong to the command. */
static int
set_opts(struct ctl_opts *o, const char **given, char *err, size_t errlen)
{
	int allowed = O_GLOBAL | cmd_opts(o->cmd);
	size_t k;

	for (k = 0; k < NOPTS; k++) {
		if (given[k] == NULL)
			continue;
		if (!(OPTS[k].where & allowed))
			return perr(err, errlen, "%s: not an option of this "
			    "command (try --help)", OPTS[k].name);
		if (set_opt(o, OPTS[k].name, given[k], err, errlen) != 0)
			return -1;
	}
	if (o->config != NULL && *o->config == '\0')
		return perr(err, errlen, "-c: empty file name");
	if (o->db != NULL && *o->db == '\0')
		return perr(err, errlen, "--db: empty file name");
	if (o->state_dir != NULL && *o->state_dir == '\0')
		return perr(err, errlen, "--state-dir: empty folder name");
	return 0;
}

/* The command's own arguments: the words after the command's. */
static int
parse_args(struct ctl_opts *o, const char **words, int nwords, int used,
    char *err, size_t errlen)
{
	nwords -= used;
	switch (o->cmd) {
	case CTL_BAN_ADD:
		if (o->report != 0) {
			if (nwords != 0)
				return perr(err, errlen, "ban add: give an "
				    "address or --report ID, not both");
		} else if (nwords != 1)
			return perr(err, errlen, "ban add: needs an ADDRESS "
			    "or CIDR, or --report ID");
		else
			o->target = words[used];
		break;
	case CTL_BAN_REMOVE:
	case CTL_REPORT_SHOW:
	case CTL_REPORT_RESOLVE:
		if (nwords != 1)
			return perr(err, errlen, "%s %s: needs an ID",
			    words[0], words[1]);
		if (parse_id(words[used], &o->id) != 0)
			return perr(err, errlen, "%.64s: not an id (a number "
			    "from 1)", words[used]);
		break;
	case CTL_ADMIN_ADD:
	case CTL_ADMIN_REMOVE:
		if (nwords != 1)
			return perr(err, errlen, "admin %s: needs a NAME",
			    words[1]);
		if (!admin_name_valid(words[used]))
			return perr(err, errlen, "%.64s: not a name (1 to 64 "
			    "letters, digits or . _ - @)", words[used]);
		o->name = words[used];
		break;
	default:
		if (nwords != 0)
			return perr(err, errlen, "%.64s: unexpected argument "
			    "(try --help)", words[used]);
		break;
	}
	return 0;
}

int
ctl_parse(int argc, char *const *argv, struct ctl_opts *o, char *err,
    size_t errlen)
{
	const char *words[MAXWORDS], *given[NOPTS];
	int nwords = 0, used = 0;

	memset(o, 0, sizeof(*o));
	memset(given, 0, sizeof(given));
	err[0] = '\0';
	if (scan_argv(argc, argv, words, &nwords, given, err, errlen) != 0)
		return -1;
	/* --help and --version win over everything else. */
	if (was_given(given, "--help")) {
		o->cmd = CTL_HELP;
		return 0;
	}
	if (was_given(given, "--version")) {
		o->cmd = CTL_VERSION;
		return 0;
	}
	if (parse_cmd(words, nwords, &used, o, err, errlen) != 0 ||
	    set_opts(o, given, err, errlen) != 0 ||
	    parse_args(o, words, nwords, used, err, errlen) != 0)
		return -1;
	return 0;
}
