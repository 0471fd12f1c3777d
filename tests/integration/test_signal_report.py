"""`report` over /ws (SPEC): the current or the last partner is reported
to the moderation store and `reported` carries the report's id (see
meetopiactl report show); no partner ever: no_partner; an unknown reason:
bad_request; a detail past 200 code points: too_long; one report per
partner (each costs a durable write)."""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, ctl  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import connect, pair  # noqa: E402


async def run(t, d):
    a = await connect(d, "127.0.0.2")
    await a.send_json(type="report", reason="spam")
    t.eq((await a.recv_type("error")).get("code"), "no_partner",
         "no partner ever: no_partner")
    b = await connect(d, "127.0.0.3")
    await pair(a, b)
    await a.send_json(type="report", reason="boring")
    t.eq((await a.recv_type("error")).get("code"), "bad_request",
         "an unknown reason: bad_request")
    await a.send_json(type="report", reason="abuse", detail="\u00e9" * 201)
    t.eq((await a.recv_type("error")).get("code"), "too_long",
         "a detail of 201 code points: too_long")
    await a.send_json(type="report", reason="abuse", detail="\u00e9" * 200)
    m = await a.recv_type("reported", "error")
    t.ok(m.get("type") == "reported" and isinstance(m.get("id"), int),
         "a detail of 200 code points: reported with an id", m)
    rid = m.get("id", 0)
    await a.send_json(type="report", reason="spam")
    m = await a.recv_type("error")
    t.eq(m.get("code"), "bad_request", "the same partner again: refused")
    await b.send_json(type="leave")
    await a.recv_type("partner_left")
    await b.send_json(type="report", reason="other", detail="after leaving")
    m = await b.recv_type("reported", "error")
    t.eq(m.get("type"), "reported", "the last partner can be reported")
    for x in (a, b):
        await x.close()
    return rid


def main(t):
    with Daemon() as d:
        rid = asyncio.run(run(t, d))
        p = ctl(d, "--json", "report", "show", str(rid))
        rep = json.loads(p.stdout).get("report", {}) if p.returncode == 0 \
            else {}
        t.ok(rep.get("reason") == "abuse" and rep.get("detail") ==
             "\u00e9" * 200, "meetopiactl shows the report", p.stdout[:200])
        t.ok("127.0.0.2" not in d.log() and "127.0.0.3" not in d.log(),
             "no clear address in the log")


if __name__ == "__main__":
    Tap().run(main)
