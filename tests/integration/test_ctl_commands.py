"""meetopiactl against a running daemon's database: every command, its
tables and --json, and its errors (one line, exit 1 for runtime failures,
2 for bad usage): bad addresses, durations past ban-max, unknown ids, a
missing or locked database, an unreachable daemon for stats."""
import json
import os
import re
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, MEETOPIACTL, free_port  # noqa: E402
from tap import Tap  # noqa: E402


def clean_env(extra=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MEETOPIA_")}
    e.update(extra or {})
    return e


def ctl(d, *args, env=None, timeout=30):
    base = [MEETOPIACTL]
    if d is not None:
        base += ["-c", d.conf_path, "--state-dir", d.state_dir]
    p = subprocess.run(base + list(args), capture_output=True, text=True,
                       timeout=timeout, env=clean_env(env))
    return p.returncode, p.stdout, p.stderr


def one_error_line(t, err, want, name):
    lines = err.strip().splitlines()
    t.ok(len(lines) == 1 and lines[0].startswith("meetopiactl: ")
         and want in lines[0], name, "stderr: %r" % err)


def usage(t):
    rc, out, err = ctl(None, "--version")
    t.ok(rc == 0 and out.startswith("meetopiactl "), "--version")
    rc, out, err = ctl(None, "--help")
    t.ok(rc == 0 and "ban add" in out and "report list" in out
         and "credential" in out and "stats" in out, "--help lists commands")
    rc, out, err = ctl(None)
    t.eq(rc, 2, "no command: exit 2")
    one_error_line(t, err, "no command", "no command: one line")
    rc, out, err = ctl(None, "ban", "kick", "1.2.3.4")
    t.eq(rc, 2, "unknown command: exit 2")
    one_error_line(t, err, "ban kick: unknown command", "names the command")
    rc, out, err = ctl(None, "ban", "list", "--for", "1h")
    t.eq(rc, 2, "an option of another command: exit 2")
    rc, out, err = ctl(None, "-c", "/nonexistent/meetopia.conf", "ban", "list")
    t.eq(rc, 2, "a missing -c file: exit 2")
    one_error_line(t, err, "/nonexistent/meetopia.conf", "names the file")
    rc, out, err = ctl(None, "--db", "/nonexistent/dir/m.db", "ban", "list")
    t.eq(rc, 1, "a missing database: exit 1")
    one_error_line(t, err, "no such database", "says the database is missing")


def commands(t, d):
    # Bans.
    rc, out, err = ctl(d, "ban", "add", "203.0.113.7", "--reason", "spam wave")
    t.ok(rc == 0 and re.match(r"ban \d+: 203\.0\.113\.7 for 1d, until ", out),
         "ban add ADDRESS", out + err)
    rc, out, err = ctl(d, "ban", "add", "203.0.113.0/24", "--for", "30d")
    t.ok(rc == 0 and "for 30d" in out, "ban add CIDR --for ban-max", out + err)
    rc, out, err = ctl(d, "ban", "add", "198.51.100.0/24", "--for", "31d")
    t.eq(rc, 2, "past ban-max: exit 2")
    one_error_line(t, err, "--for 31d: longer than ban-max (30d)",
                   "past ban-max: says so")
    rc, out, err = ctl(d, "ban", "add", "300.1.2.3")
    t.eq(rc, 2, "a bad address: exit 2")
    one_error_line(t, err, "300.1.2.3: not an IP address",
                   "a bad address: names it")
    rc, out, err = ctl(d, "ban", "add", "10.0.0.1/8")
    t.eq(rc, 2, "a range with host bits: exit 2")
    rc, out, err = ctl(d, "ban", "add", "192.0.2.9", "--for", "soon")
    t.eq(rc, 2, "a bad duration: exit 2")
    one_error_line(t, err, "--for soon: not a duration", "names the duration")
    rc, out, err = ctl(d, "ban", "add", "192.0.2.9", "--reason", "x" * 201)
    t.eq(rc, 2, "a reason past 200 characters: exit 2")
    rc, out, err = ctl(d, "ban", "add", "192.0.2.10", "--for", "1s",
                       "--reason", "bell\x07 and \x1b[31mred")
    t.eq(rc, 0, "a one-second ban")
    rc, out, err = ctl(d, "ban", "list")
    lines = out.splitlines()
    t.ok(rc == 0 and lines[0].split()[:3] == ["ID", "KIND", "TARGET"]
         and any("203.0.113.7" in x and "spam wave" in x for x in lines)
         and any("203.0.113.0/24" in x and "range" in x for x in lines),
         "ban list: a table", out)
    t.ok("\x1b" not in out and "\x07" not in out,
         "control characters of a reason never reach the terminal")
    time.sleep(1.2)
    rc, out, err = ctl(d, "ban", "list")
    t.ok("192.0.2.10" not in out, "an expired ban is not listed")
    rc, out, err = ctl(d, "ban", "list", "--all")
    t.ok(any("192.0.2.10" in x and "expired" in x for x in out.splitlines()),
         "--all lists it as expired", out)
    rc, out, err = ctl(d, "--json", "ban", "list")
    doc = json.loads(out)
    bans = {b["target"]: b for b in doc["bans"]}
    t.ok(rc == 0 and set(bans) == {"203.0.113.7", "203.0.113.0/24"},
         "--json ban list: the active bans", out)
    b = bans["203.0.113.7"]
    t.ok(b["kind"] == "ip" and b["reason"] == "spam wave"
         and b["expires"] - b["created"] == 86400 and b["active"] is True
         and b["source"] == "cli" and b["report"] is None,
         "--json fields", b)
    rc, out, err = ctl(d, "ban", "remove", str(b["id"]))
    t.ok(rc == 0 and out.strip() == "ban %d removed" % b["id"], "ban remove")
    rc, out, err = ctl(d, "ban", "remove", str(b["id"]))
    t.eq(rc, 1, "removing again: exit 1")
    one_error_line(t, err, "ban %d: no such ban" % b["id"], "unknown ban id")
    rc, out, err = ctl(d, "ban", "remove", "abc")
    t.eq(rc, 2, "a bad id: exit 2")
    rc, out, err = ctl(d, "--json", "ban", "add", "2001:db8::/48")
    t.ok(rc == 0 and json.loads(out)["ban"]["target"] == "2001:db8::/48",
         "--json ban add")

    # Reports (none yet: the daemon files them).
    rc, out, err = ctl(d, "report", "list")
    t.ok(rc == 0 and out.strip() == "no reports", "report list: none")
    rc, out, err = ctl(d, "--json", "report", "list", "--open")
    t.ok(rc == 0 and json.loads(out) == {"reports": []},
         "--json report list --open")
    rc, out, err = ctl(d, "report", "show", "5")
    t.eq(rc, 1, "report show of an unknown id: exit 1")
    one_error_line(t, err, "report 5: no such report", "says so")
    rc, out, err = ctl(d, "report", "resolve", "5")
    t.eq(rc, 1, "report resolve of an unknown id: exit 1")
    rc, out, err = ctl(d, "ban", "add", "--report", "5")
    t.eq(rc, 1, "ban by an unknown report: exit 1")
    one_error_line(t, err, "report 5: no such report", "says so")

    # Admin tokens.
    rc, out, err = ctl(d, "admin", "add", "alice")
    m = re.search(r"\b([0-9a-f]{16}\.[0-9a-f]{64})\b", out)
    t.ok(rc == 0 and m, "admin add prints a token", out + err)
    token = m.group(1) if m else "none"
    rc, out, err = ctl(d, "admin", "add", "alice")
    t.eq(rc, 1, "a second alice: exit 1")
    one_error_line(t, err, "admin alice: exists already", "says so")
    rc, out, err = ctl(d, "admin", "add", "bad name")
    t.eq(rc, 2, "a bad name: exit 2")
    rc, out, err = ctl(d, "admin", "list")
    t.ok(rc == 0 and "alice" in out and "never" in out, "admin list", out)
    rc, out, err = ctl(d, "--json", "admin", "list")
    t.ok(rc == 0 and [a["name"] for a in json.loads(out)["admins"]]
         == ["alice"], "--json admin list")
    dbfiles = b""
    for suffix in ("", "-wal", "-shm"):
        p = os.path.join(d.state_dir, "meetopia.db" + suffix)
        if os.path.exists(p):
            dbfiles += open(p, "rb").read()
    t.ok(token.encode() not in dbfiles
         and token.split(".")[1].encode() not in dbfiles,
         "the token itself is not stored")
    t.ok(b"$argon2id$v=19$m=19456,t=2,p=1$" in dbfiles,
         "an argon2id hash is")
    rc, out, err = ctl(d, "admin", "remove", "alice")
    t.eq(rc, 0, "admin remove")
    rc, out, err = ctl(d, "admin", "remove", "alice")
    t.eq(rc, 1, "removing again: exit 1")

    rc, out, err = ctl(d, "purge")
    t.ok(rc == 0 and re.match(r"purged 1 expired ban and 0 reports older "
                              r"than 30d", out), "purge", out + err)
    rc, out, err = ctl(d, "--json", "purge")
    t.ok(rc == 0 and json.loads(out) == {"purged": {"bans": 0, "reports": 0}},
         "--json purge")


def config_precedence(t, d):
    rc, out, err = ctl(d, "ban", "add", "192.0.2.50", "--for", "2h",
                       env={"MEETOPIA_BAN_MAX": "1h",
                            "MEETOPIA_BAN_DEFAULT": "30m"})
    t.eq(rc, 2, "ban-max from the environment applies")
    one_error_line(t, err, "longer than ban-max (1h)", "and is named")
    rc, out, err = ctl(d, "ban", "add", "192.0.2.50",
                       env={"MEETOPIA_BAN_DEFAULT": "2h"})
    t.ok(rc == 0 and "for 2h" in out, "ban-default from the environment",
         out + err)
    rc, out, err = ctl(d, "ban", "list", env={"MEETOPIA_BAN_MAX": "soon"})
    t.eq(rc, 2, "a bad configuration value: exit 2")
    one_error_line(t, err, "ban-max", "names the key")


def locked(t, d):
    db = sqlite3.connect(os.path.join(d.state_dir, "meetopia.db"),
                         isolation_level=None, timeout=1)
    db.execute("BEGIN IMMEDIATE")
    try:
        rc, out, err = ctl(d, "ban", "list")
        t.eq(rc, 0, "reads work while another writer holds the lock (WAL)")
        t0 = time.time()
        rc, out, err = ctl(d, "ban", "add", "192.0.2.60")
        took = time.time() - t0
        t.eq(rc, 1, "a write while the database stays locked: exit 1")
        one_error_line(t, err, "database is locked", "says it is locked")
        t.ok(4 <= took < 15, "after the busy timeout (%.1f s)" % took)
    finally:
        db.execute("ROLLBACK")
        db.close()
    rc, out, err = ctl(d, "ban", "add", "192.0.2.60")
    t.eq(rc, 0, "once released, the write goes through")


def stats(t, d):
    rc, out, err = ctl(d, "stats")
    if rc == 0:
        t.ok("METRIC" in out and "turn_allocations" in out,
             "stats: the daemon's figures", out)
        rc, out, err = ctl(d, "--json", "stats")
        t.ok(rc == 0 and "meetopia_turn_allocations"
             in json.loads(out)["metrics"], "--json stats")
    else:
        # The daemon serves no /metrics yet in this build: the error
        # must still be one clear line.
        t.eq(rc, 1, "stats without /metrics: exit 1")
        one_error_line(t, err, "stats: http://127.0.0.1:%d/metrics"
                       % d.http_port, "names the URL")
    port = free_port(udp_too=False)
    rc, out, err = ctl(d, "stats", env={"MEETOPIA_HTTP_PORT": str(port)})
    t.eq(rc, 1, "stats with no daemon: exit 1")
    one_error_line(t, err, "Connection refused (is meetopiad running?)",
                   "stats with no daemon: one clear line")


def main(t):
    usage(t)
    with Daemon() as d:
        commands(t, d)
        config_precedence(t, d)
        stats(t, d)
        locked(t, d)
        t.ok("ban cache:" in d.log(), "the daemon followed the changes")


Tap().run(main)
