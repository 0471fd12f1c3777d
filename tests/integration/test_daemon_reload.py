#!/usr/bin/env python3
"""test_daemon_reload.py - SIGHUP on a busy daemon: a live TURN allocation
and a live pair of WebSockets survive it; the auth secrets rotate (the new
first secret signs, the old one still verifies, a removed one no longer
does); a changed chat limit applies to the open sessions; the security log
is reopened (a log moved away, as logrotate does, is followed by a new
file with the next event).
"""
import asyncio
import json
import os
import signal
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, rest_credential  # noqa: E402
from tap import Tap  # noqa: E402
from stun import A_LIFETIME, REFRESH, Client  # noqa: E402
from wsclient import chat, paired  # noqa: E402

OLD = "the-old-secret-0123456789abcdef"
NEW = "the-new-secret-0123456789abcdef"


def reload(d, n):
    """SIGHUP; waits for the n-th "configuration reloaded"."""
    d.signal(signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline:
        if d.log().count("SIGHUP: configuration reloaded") >= n:
            return True
        time.sleep(0.05)
    return False


def events(path):
    try:
        with open(path) as f:
            return [json.loads(x) for x in f if x.strip()]
    except FileNotFoundError:
        return []


async def run(t, d, seclog):
    a, b = await paired(d, "127.0.0.2", "127.0.0.3")
    got = await chat(a, b, "before")
    t.eq(got.get("text"), "before", "paired and chatting before SIGHUP")

    c = Client(d, *rest_credential(OLD, "alice"))
    r = c.allocate()
    t.ok(r is not None and r["type"] == 0x0103, "an allocation before SIGHUP")

    # Rotate: NEW signs, OLD still verifies; a shorter chat limit; the
    # security log moved away.
    os.rename(seclog, seclog + ".1")
    d.conf.update({"auth-secret": [NEW, OLD], "max-message-length": "10",
                   "turn-port": str(d.turn_port),
                   "http-port": str(d.http_port),
                   "min-port": str(d.min_port), "max-port": str(d.max_port)})
    d._write_conf()
    t.ok(reload(d, 1), "SIGHUP: reloaded")

    got = await chat(b, a, "after")
    t.eq(got.get("text"), "after", "the WebSocket pair survives SIGHUP")
    await a.send_json(type="chat", text="x" * 11)
    err = await a.recv_type("error")
    t.eq(err.get("code"), "too_long", "the new chat limit applies to the "
         "open session")

    r = c.request(REFRESH, [(A_LIFETIME, struct.pack("!I", 600))])
    t.ok(r is not None and r["type"] == 0x0104,
         "the allocation survives SIGHUP (Refresh 200, old secret)")
    n = Client(d, *rest_credential(NEW, "bob"))
    r = n.allocate()
    t.ok(r is not None and r["type"] == 0x0103, "a credential of the new "
         "secret is taken")
    n.close()

    # Drop OLD: its credentials stop working for new allocations.
    d.conf["auth-secret"] = [NEW]
    d._write_conf()
    t.ok(reload(d, 2), "SIGHUP again: reloaded")
    o = Client(d, *rest_credential(OLD, "carol"))
    r = o.allocate()
    t.ok(r is not None and r["code"] == 401, "a removed secret no longer "
         "verifies (401)", r and r["code"])
    o.close()
    c.close()

    evs = events(seclog)
    t.ok(any(e.get("type") == "auth" for e in evs),
         "the reopened security log has the next event")
    with open(seclog) as f:
        raw = f.read()
    t.ok(raw and "127.0.0." not in raw and "alice" not in raw,
         "security events carry pseudonyms, no client address or name")
    old = events(seclog + ".1")
    t.ok(not any(e.get("type") == "auth" for e in old),
         "the moved log gets nothing more")
    await a.ws.close()
    await b.ws.close()


def main(t):
    with tempfile.TemporaryDirectory(prefix="meetopia-reload-") as tmp:
        seclog = os.path.join(tmp, "security.log")
        with Daemon(conf={"allowed-peer-ip": "127.0.0.1",
                          "auth-secret": [OLD],
                          "security-log": seclog}) as d:
            asyncio.run(run(t, d, seclog))
            t.ok(d.proc.poll() is None, "the daemon is still running")
            t.eq(d.stop(), 0, "and stops cleanly")


if __name__ == "__main__":
    Tap().run(main)
