"""Reports through the signaling channel (SPEC: `report` -> `reported`):
an acknowledged report survives kill -9 of the daemon right after the
acknowledgement; the database files then hold the report's pseudonyms and
detail but no chat text, no SDP and no clear client address; three
distinct reporters of one client ban it automatically (auto-ban-reports),
which closes its session, tells its partner `partner_left`/`banned`,
refuses its next /ws upgrade with 403 and writes a security event.
(tests/unit/test_mdb.c proves commit-before-acknowledgement at the
store's level too, with a child killed by SIGKILL right after its
callback.)"""
import asyncio
import ipaddress
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, ctl, pseudonym  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import paired, upgrade_status  # noqa: E402

CHAT = "chat-marker-7f3a91 hello there"
SDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=sdp-marker-55e2\r\n"
DETAIL = "detail-marker-c0ffee"


async def report_then_kill(d):
    a, b = await paired(d, "127.0.0.2", "127.0.0.3")
    await a.send_json(type="offer", sdp=SDP)
    await b.recv_type("offer")
    await a.send_json(type="chat", text=CHAT)
    await b.recv_type("chat")
    await a.send_json(type="report", reason="abuse", detail=DETAIL)
    ack = await a.recv_type("reported")
    os.kill(d.proc.pid, signal.SIGKILL)      # right after the ack
    return ack


def db_bytes(d):
    out = b""
    for suffix in ("", "-wal", "-shm"):
        p = os.path.join(d.state_dir, "meetopia.db" + suffix)
        if os.path.exists(p):
            with open(p, "rb") as f:
                out += f.read()
    return out


async def auto_ban(t, d):
    x = r = None
    for i, rip in enumerate(["127.0.0.4", "127.0.0.5", "127.0.0.6"]):
        x, r = await paired(d, "127.0.0.9", rip)
        # recv_type keeps messages of other types for later: the
        # auto-ban's partner_left may come before the third reporter's
        # `reported` (the ban cache refresh and the report's callback race
        # on the loop).
        await r.send_json(type="report", reason="spam")
        ack = await r.recv_type("reported")
        t.ok(isinstance(ack.get("id"), int), "reporter %d acknowledged" %
             (i + 1))
        if i < 2:
            await r.close()
            await x.close()
    # The third report banned 127.0.0.9: its session ends, its partner
    # hears why.
    left = await r.recv_type("partner_left", timeout=3)
    t.eq(left.get("reason"), "banned", "the partner gets partner_left/banned")
    try:
        await asyncio.wait_for(x.ws.wait_closed(), 3)
        closed = True
    except asyncio.TimeoutError:
        closed = False
    t.ok(closed, "the banned client's socket is closed")
    await r.close()
    code = await upgrade_status(d, "127.0.0.9")
    t.eq(code, 403, "its next /ws upgrade is refused with 403")


def main(t):
    with Daemon() as d:
        ack = asyncio.run(report_then_kill(d))
        t.ok(isinstance(ack.get("id"), int) and ack["id"] > 0,
             "report acknowledged with an id", ack)
        d.proc.wait(10)
        t.eq(d.proc.returncode, -signal.SIGKILL, "daemon killed with -9")
        p = ctl(d, "--json", "report", "show", str(ack["id"]))
        t.eq(p.returncode, 0, "the acknowledged report is listed after kill -9")
        rep = json.loads(p.stdout)["report"] if p.returncode == 0 else {}
        t.ok(rep.get("detail") == DETAIL and rep.get("reason") == "abuse",
             "with its reason and detail", rep)
        t.eq(rep.get("reporter"), pseudonym(d.state_dir, "127.0.0.2"),
             "the reporter as its pseudonym")
        t.eq(rep.get("reported"), pseudonym(d.state_dir, "127.0.0.3"),
             "the reported party as its pseudonym")
        raw = db_bytes(d)
        t.ok(DETAIL.encode() in raw, "the scan sees the database content")
        t.ok(b"chat-marker-7f3a91" not in raw, "no chat text on disk")
        t.ok(b"sdp-marker-55e2" not in raw and b"4611731400430051336" not in
             raw, "no SDP on disk")
        leaks = [a for a in ("127.0.0.2", "127.0.0.3") if a.encode() in raw
                 or ipaddress.ip_address(a).packed in raw]
        t.eq(leaks, [], "no clear client address on disk")

        d.start()
        asyncio.run(auto_ban(t, d))
        t.ok('"event":"auto_ban"' in d.log() and
             pseudonym(d.state_dir, "127.0.0.9") in d.log(),
             "the auto-ban is a security event naming the pseudonym")
        t.ok("127.0.0.9" not in "\n".join(
            x for x in d.log().splitlines() if '"event"' in x),
            "security events hold no clear address")


Tap().run(main)
