"""resume over /ws (SPEC): a client whose socket dropped takes its session
back with the resumeToken within resume-window: its partner (who hears no
partner_left meanwhile) and what the partner sent in between, or its queue
place (not matched while dropped); a new token each time; a used, forged or
expired token gets bad_token; after the window the partner gets
partner_left/disconnect.  resume-window is 2 s here."""
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import connect, pair  # noqa: E402

WINDOW = 2


async def resume(d, ip, token):
    c = await connect(d, ip)
    await c.send_json(type="resume", token=token)
    m = await c.recv_type("resumed", "error")
    return c, m


async def run(t, d):
    a = await connect(d, "127.0.0.2")
    b = await connect(d, "127.0.0.3")
    sid = a.welcome["session"]
    await pair(a, b)

    await a.close()                         # the socket drops
    await asyncio.sleep(0.3)
    await b.send_json(type="chat", text="are you there?")
    await b.send_json(type="typing")
    a2, m = await resume(d, "127.0.0.4", a.token)   # another address too
    t.eq(m.get("type"), "resumed", "resume within the window")
    t.ok(m.get("session") == sid and m.get("partner") is True,
         "same session, partner kept", m)
    t.ok(m.get("resumeToken") and m["resumeToken"] != a.token,
         "with a new token")
    token2 = m.get("resumeToken", "")
    held = await a2.recv_type("chat")
    t.eq(held.get("text"), "are you there?",
         "what the partner sent meanwhile is delivered")
    seen = await b.quiet(closed_ok=True)
    t.ok(not any(x.get("type") == "partner_left" for x in seen),
         "the partner saw no partner_left")
    await a2.send_json(type="chat", text="back")
    t.eq((await b.recv_type("chat")).get("text"), "back",
         "the pair works after resume")

    x, m = await resume(d, "127.0.0.5", a.token)
    t.ok(m.get("type") == "error" and m.get("code") == "bad_token",
         "a token used once: bad_token", m)
    await x.close()
    forged = token2[:-3] + ("AAA" if not token2.endswith("AAA") else "BBB")
    x, m2 = await resume(d, "127.0.0.5", forged)
    t.eq(m2.get("code"), "bad_token", "a forged token: bad_token")
    await x.close()
    x, m2 = await resume(d, "127.0.0.5", "not.a.token")
    t.eq(m2.get("code"), "bad_token", "garbage: bad_token")
    await x.close()

    await a2.send_json(type="ping")
    await a2.recv_type("pong")
    await a2.send_json(type="resume", token=token2)
    m3 = await a2.recv_type("error")
    t.eq(m3.get("code"), "bad_request",
         "resume that is not the first message: bad_request")

    # after the window: the partner hears, the token is dead
    await a2.close()
    t0 = time.time()
    left = await b.recv_type("partner_left", timeout=WINDOW + 3)
    t.ok(left.get("reason") == "disconnect" and
         WINDOW - 0.5 <= time.time() - t0 <= WINDOW + 2,
         "after resume-window the partner gets partner_left/disconnect")
    x, m4 = await resume(d, "127.0.0.5", token2)
    t.eq(m4.get("code"), "bad_token", "a token past the window: bad_token")
    await x.close()
    await b.close()

    # a waiting session keeps its place, unmatched while dropped
    w = await connect(d, "127.0.0.6")
    await w.send_json(type="find")
    await w.recv_type("waiting")
    await w.close()
    await asyncio.sleep(0.2)
    n = await connect(d, "127.0.0.7")
    await n.send_json(type="find")
    got = await n.quiet(0.5, closed_ok=True)
    t.ok(not any(x.get("type") == "matched" for x in got),
         "a dropped waiting session is not matched")
    w2, m = await resume(d, "127.0.0.6", w.token)
    t.ok(m.get("type") == "resumed" and m.get("partner") is False,
         "resume of a waiting session: partner false", m)
    mw = await w2.recv_type("matched")
    mn = await n.recv_type("matched")
    t.ok(mw and mn, "back in the queue, it is matched")
    await w2.close()
    await n.close()


def main(t):
    with Daemon(conf={"resume-window": "%ds" % WINDOW}) as d:
        asyncio.run(run(t, d))
        t.ok('"event":"bad_token"' in d.log(),
             "bad tokens are security events")


Tap().run(main)
