"""resume over /ws (SPEC): a client whose socket dropped takes its session
back with the resumeToken within resume-window: its partner (who hears no
partner_left meanwhile) and what the partner sent in between, or its queue
place (not matched while dropped); a new token each time; a used, forged or
expired token gets bad_token; after the window the partner gets
partner_left/disconnect.  resume-window is 2 s here."""
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402

WINDOW = 2


class Client:
    def __init__(self, ws):
        self.ws, self.stash = ws, []

    async def send(self, **m):
        await self.ws.send(json.dumps(m))

    async def recv(self, *types, timeout=5):
        for m in self.stash:
            if m.get("type") in types:
                self.stash.remove(m)
                return m
        while True:
            m = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if m.get("type") in types:
                return m
            self.stash.append(m)

    async def quiet(self, t=0.4):
        got = list(self.stash)
        self.stash = []
        try:
            while True:
                got.append(json.loads(await asyncio.wait_for(
                    self.ws.recv(), t)))
        except (asyncio.TimeoutError, Exception):
            pass
        return got


async def connect(d, ip):
    import websockets
    ws = await websockets.connect(
        "ws://127.0.0.1:%d/ws" % d.http_port,
        origin="http://127.0.0.1:%d" % d.http_port, local_addr=(ip, 0))
    c = Client(ws)
    c.welcome = await c.recv("welcome")
    c.token = c.welcome["resumeToken"]
    return c


async def resume(d, ip, token):
    c = await connect(d, ip)
    await c.send(type="resume", token=token)
    m = await c.recv("resumed", "error")
    return c, m


async def run(t, d):
    a = await connect(d, "127.0.0.2")
    b = await connect(d, "127.0.0.3")
    sid = a.welcome["session"]
    await a.send(type="find")
    await b.send(type="find")
    await a.recv("matched")
    await b.recv("matched")

    await a.ws.close()                      # the socket drops
    await asyncio.sleep(0.3)
    await b.send(type="chat", text="are you there?")
    await b.send(type="typing")
    a2, m = await resume(d, "127.0.0.4", a.token)   # another address too
    t.eq(m.get("type"), "resumed", "resume within the window")
    t.ok(m.get("session") == sid and m.get("partner") is True,
         "same session, partner kept", m)
    t.ok(m.get("resumeToken") and m["resumeToken"] != a.token,
         "with a new token")
    token2 = m.get("resumeToken", "")
    held = await a2.recv("chat")
    t.eq(held.get("text"), "are you there?",
         "what the partner sent meanwhile is delivered")
    seen = await b.quiet()
    t.ok(not any(x.get("type") == "partner_left" for x in seen),
         "the partner saw no partner_left")
    await a2.send(type="chat", text="back")
    t.eq((await b.recv("chat")).get("text"), "back",
         "the pair works after resume")

    x, m = await resume(d, "127.0.0.5", a.token)
    t.ok(m.get("type") == "error" and m.get("code") == "bad_token",
         "a token used once: bad_token", m)
    await x.ws.close()
    forged = token2[:-3] + ("AAA" if not token2.endswith("AAA") else "BBB")
    x, m2 = await resume(d, "127.0.0.5", forged)
    t.eq(m2.get("code"), "bad_token", "a forged token: bad_token")
    await x.ws.close()
    x, m2 = await resume(d, "127.0.0.5", "not.a.token")
    t.eq(m2.get("code"), "bad_token", "garbage: bad_token")
    await x.ws.close()

    await a2.send(type="ping")
    await a2.recv("pong")
    await a2.send(type="resume", token=token2)
    m3 = await a2.recv("error")
    t.eq(m3.get("code"), "bad_request",
         "resume that is not the first message: bad_request")

    # after the window: the partner hears, the token is dead
    await a2.ws.close()
    t0 = time.time()
    left = await b.recv("partner_left", timeout=WINDOW + 3)
    t.ok(left.get("reason") == "disconnect" and
         WINDOW - 0.5 <= time.time() - t0 <= WINDOW + 2,
         "after resume-window the partner gets partner_left/disconnect")
    x, m4 = await resume(d, "127.0.0.5", token2)
    t.eq(m4.get("code"), "bad_token", "a token past the window: bad_token")
    await x.ws.close()
    await b.ws.close()

    # a waiting session keeps its place, unmatched while dropped
    w = await connect(d, "127.0.0.6")
    await w.send(type="find")
    await w.recv("waiting")
    await w.ws.close()
    await asyncio.sleep(0.2)
    n = await connect(d, "127.0.0.7")
    await n.send(type="find")
    got = await n.quiet(0.5)
    t.ok(not any(x.get("type") == "matched" for x in got),
         "a dropped waiting session is not matched")
    w2, m = await resume(d, "127.0.0.6", w.token)
    t.ok(m.get("type") == "resumed" and m.get("partner") is False,
         "resume of a waiting session: partner false", m)
    mw = await w2.recv("matched")
    mn = await n.recv("matched")
    t.ok(mw and mn, "back in the queue, it is matched")
    await w2.ws.close()
    await n.ws.close()


def main(t):
    with Daemon(conf={"resume-window": "%ds" % WINDOW}) as d:
        asyncio.run(run(t, d))
        t.ok('"event":"bad_token"' in d.log(),
             "bad tokens are security events")


Tap().run(main)
