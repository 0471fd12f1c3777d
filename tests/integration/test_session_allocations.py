#!/usr/bin/env python3
"""Allocations made with a session's credential end with the session
(SPEC "credential-ttl"): a visitor who leaves holds nothing on the relay.

A session whose socket dropped keeps its allocations for resume-window (its
media may go on meanwhile), and they are freed once the window passes; the
fresh session that a `resume` discards loses its allocations at once, while
the resumed one keeps its own.  relay-threads 4, so the allocations live on
worker loops and the frees cross threads.  resume-window is 2 s here."""

import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import connect  # noqa: E402
from stun import Client  # noqa: E402
from turnclient import refresh_code  # noqa: E402

WINDOW = 2


def allocations(d, ws, ip, n=3):
    """n allocations with the credential of a session's welcome."""
    srv = ws.welcome["iceServers"][0]
    out = []
    for _ in range(n):
        c = Client(d, srv["username"], srv["credential"], bind=ip)
        r = c.allocate()
        if r is None or r["code"] != 0:
            c.close()
            return None
        out.append(c)
    return out


async def wait_codes(cs, want, limit, seen=None):
    """Seconds until every client's Refresh answers want, or None; seen
    (a list) gets the codes of the last try."""
    t0 = time.time()
    for c in cs:
        # Asked again after 0.3 s, as a client would: a Refresh queued
        # on a steering socket that closes as the allocation goes is
        # lost with it (UDP).
        c.s.settimeout(0.3)
    while time.time() - t0 < limit:
        codes = [refresh_code(c) for c in cs]
        if seen is not None:
            seen[:] = codes
        if all(x == want for x in codes):
            return time.time() - t0
        await asyncio.sleep(0.1)
    return None


async def run(t, d):
    # A session that drops: kept for the window, freed after it.
    a = await connect(d, "127.0.0.2")
    ta = allocations(d, a, "127.0.0.2")
    t.ok(ta, "three allocations with a session's credential")
    if not ta:
        return
    await a.close()
    t0 = time.time()
    await asyncio.sleep(WINDOW / 2)
    t.ok(all(refresh_code(c) == 0 for c in ta),
         "within resume-window the dropped session's allocations live")
    took = await wait_codes(ta, 437, WINDOW + 4)
    t.ok(took is not None and time.time() - t0 <= WINDOW + 2,
         "after resume-window they are freed: Refresh gets 437 (%.1f s "
         "after the drop)" % (time.time() - t0))

    # resume discards the fresh session of the new socket.
    b = await connect(d, "127.0.0.3")
    tb = allocations(d, b, "127.0.0.3", 1)
    await b.close()
    await asyncio.sleep(0.2)
    b2 = await connect(d, "127.0.0.4")
    tf = allocations(d, b2, "127.0.0.4", 2)
    t.ok(tb and tf, "allocations of a session and of a fresh one")
    if not (tb and tf):
        return
    await b2.send_json(type="resume", token=b.welcome["resumeToken"])
    m = await b2.recv_type("resumed", "error")
    t.eq(m.get("type"), "resumed", "the dropped session is resumed")
    seen = []
    took = await wait_codes(tf, 437, 2, seen)
    t.ok(took is not None and took < 1.0,
         "the discarded fresh session's allocations are freed at once "
         "(%s s)" % (took and "%.2f" % took), "Refresh codes: %r" % seen)
    await asyncio.sleep(WINDOW + 1)
    t.eq(refresh_code(tb[0]), 0, "the resumed session keeps its "
         "allocation past the window")
    await b2.close()
    for c in ta + tb + tf:
        c.close()


def main(t):
    with Daemon(conf={"resume-window": "%ds" % WINDOW,
                      "relay-threads": "4"}) as d:
        asyncio.run(run(t, d))
        t.ok(d.proc.poll() is None, "the daemon is still running")


if __name__ == "__main__":
    Tap().run(main)
