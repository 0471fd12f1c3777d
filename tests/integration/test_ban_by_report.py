"""ban add --report ID bans the reported party by its pseudonym and resolves
the report; the pseudonym is the state dir's keyed HMAC-SHA256 of the client
IP, computed here independently, and a client of that IP is what the
daemon's cache then refuses.

The report rows are written here as the daemon's report path writes them
(two pseudonyms, a reason, a detail): this test is about what the CLI and
the daemon do with a report, not about how one is filed (see
test_report_*.py and tests/unit/test_mdb.c for that)."""
import json
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, ctl, pseudonym  # noqa: E402
from tap import Tap  # noqa: E402
from turnclient import admitted  # noqa: E402


def main(t):
    with Daemon(conf={"allowed-peer-ip": "127.0.0.1"}) as d:
        target = pseudonym(d.state_dir, "127.0.0.1")
        other = pseudonym(d.state_dir, "127.0.0.2")
        t.ok(re.fullmatch(r"[0-9a-f]{32}", target) and target != other,
             "pseudonyms of two clients differ")
        db = sqlite3.connect(os.path.join(d.state_dir, "meetopia.db"),
                             isolation_level=None, timeout=5)
        now = int(time.time())
        db.execute("INSERT INTO reports (reporter, reported, reason, detail,"
                   " created) VALUES (?, ?, 'abuse', 'was rude', ?)",
                   (other, target, now))
        db.execute("INSERT INTO reports (reporter, reported, reason, detail,"
                   " created) VALUES (?, ?, 'spam', '', ?)",
                   (pseudonym(d.state_dir, "127.0.0.3"), target, now))
        db.close()

        p = ctl(d, "report", "list", "--open")
        rows = [x for x in p.stdout.splitlines() if x.startswith("1 ")]
        t.ok(p.returncode == 0 and rows and target in rows[0] and
             "abuse" in rows[0] and "was rude" in rows[0] and
             rows[0].split()[6] == "2", "report list: the report, with 2 "
             "reports against the party", p.stdout)
        p = ctl(d, "report", "show", "1")
        t.ok(p.returncode == 0 and "reported:  client %s (2 reports" % target
             in p.stdout and "ban:       none" in p.stdout,
             "report show", p.stdout)

        p = ctl(d, "ban", "add", "--report", "1", "--for", "7d")
        t.ok(p.returncode == 0 and "the reported party of report 1" in
             p.stdout and target in p.stdout and "report 1 resolved" in
             p.stdout, "ban add --report", p.stdout + p.stderr)
        p = ctl(d, "--json", "ban", "list")
        bans = json.loads(p.stdout)["bans"]
        t.ok(len(bans) == 1 and bans[0]["kind"] == "pseudonym" and
             bans[0]["target"] == target and bans[0]["report"] == 1 and
             bans[0]["expires"] - bans[0]["created"] == 7 * 86400,
             "a pseudonym ban for 7d", bans)
        t.ok("127.0.0.1" not in p.stdout, "the ban holds no clear address")
        p = ctl(d, "--json", "report", "show", "1")
        doc = json.loads(p.stdout)
        t.ok(doc["report"]["status"] == "resolved" and doc["ban"]["id"] ==
             bans[0]["id"] and doc["reports_against"] == 2,
             "the report is resolved and shows the ban", doc)
        p = ctl(d, "ban", "add", "--report", "1", "--for", "31d")
        t.eq(p.returncode, 2, "past ban-max: exit 2")

        # 127.0.0.1 is the reported party: refused once the cache has it.
        for mode in ("turn", "ws"):
            deadline = time.time() + 2
            while time.time() < deadline and admitted(d, mode):
                time.sleep(0.05)
            t.ok(not admitted(d, mode), "%s: the reported client is refused "
                 "within 2 s" % mode)


Tap().run(main)
