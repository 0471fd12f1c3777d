#!/usr/bin/env python3
"""One client address cannot exhaust or bloat the server.

ip-quota (default 32) caps the allocations of one client IP whatever
credentials it brings: six WebSocket sessions from 127.0.0.2, each with a
credential of its own (user-quota 10 each), used to take every port of a
40-port relay range in a blink; now the 33rd gets 486 and a client of
another address still gets a port.

Dropped sessions wait resume-window holding their partner's messages; one
address dropping session after session keeps at most
4 x max-connections-per-ip of them (12 here): the oldest ends for good
(its partner gets partner_left/disconnect at once, its token no longer
resumes), the newest resume."""

import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import connect, pair  # noqa: E402
from stun import Client  # noqa: E402

PER_IP = 4 * 3          # SIG_DROPPED_PER_CONN x max-connections-per-ip


async def quota(t, d):
    sessions = [await connect(d, "127.0.0.2") for _ in range(6)]
    codes, clients = [], []
    for s in sessions:
        srv = s.welcome["iceServers"][0]
        for _ in range(10):
            c = Client(d, srv["username"], srv["credential"],
                       bind="127.0.0.2")
            r = c.allocate()
            codes.append(r and r["code"])
            clients.append(c)
    t.eq(codes.count(0), 32, "one address with six sessions' credentials: "
         "32 allocations (ip-quota), not the whole 40-port range")
    t.eq(codes.count(486), 28, "the rest: 486 (allocation quota reached)")
    victim = await connect(d, "127.0.0.3")
    srv = victim.welcome["iceServers"][0]
    v = Client(d, srv["username"], srv["credential"], bind="127.0.0.3")
    r = v.allocate()
    t.eq(r and r["code"], 0, "a client of another address still gets a "
         "relayed port")
    for c in clients + [v]:
        c.close()
    for s in sessions + [victim]:
        await s.close()


async def dropped(t, d):
    # The oldest dropped session has a partner at another address.
    first = await connect(d, "127.0.0.4")
    partner = await connect(d, "127.0.0.5")
    await pair(first, partner, wait=True)
    tokens = [first.welcome["resumeToken"]]
    await first.close()
    n = 3 * PER_IP
    for _ in range(n - 1):
        s = await connect(d, "127.0.0.4")   # one socket open at a time
        tokens.append(s.welcome["resumeToken"])
        await s.close()
    t0 = time.time()
    try:
        left = await partner.recv_type("partner_left", timeout=5)
    except asyncio.TimeoutError:
        left = {}
    t.ok(left.get("reason") == "disconnect" and time.time() - t0 < 5,
         "the partner of the oldest dropped session is told at once "
         "(partner_left disconnect), long before resume-window", left)
    await asyncio.sleep(0.3)
    ok = []
    for i, tok in enumerate(tokens):
        c = await connect(d, "127.0.0.6")
        await c.send_json(type="resume", token=tok)
        m = await c.recv_type("resumed", "error")
        if m.get("type") == "resumed":
            ok.append(i)
        await c.close()
    t.eq(len(ok), PER_IP, "of %d sessions dropped by one address, %d are "
         "held for resume" % (n, PER_IP))
    t.eq(ok, list(range(n - PER_IP, n)), "the newest ones; the oldest "
         "tokens get bad_token")
    await partner.close()


def main(t):
    base = 20000 + (os.getpid() * 41) % 25000
    with Daemon(conf={"min-port": str(base), "max-port": str(base + 39),
                      "max-connections-per-ip": "7"}) as d:
        asyncio.run(quota(t, d))
    with Daemon(conf={"resume-window": "60s"}) as d:
        asyncio.run(dropped(t, d))
        t.ok(d.proc.poll() is None, "the daemon is still running")


if __name__ == "__main__":
    Tap().run(main)
