#!/usr/bin/env python3
"""pair-permissions end to end: the credentials that signaling hands out
name the session, and the relay lets an allocation reach only the relayed
addresses of its current partner's allocations (SPEC "TURN").

Three WebSocket clients: a and b are matched, c waits.  Each allocates on
the relay with the credentials of its welcome/matched message.  a may
permit b's relayed address and data flows inside the process; a stranger's
address (c's) gets 403; once a presses next, b's existing permission for a
stops delivering.  A session's allocation may not reach an outside address
either, not even one allowed-peer-ip opens (403; Send dropped), while a
credential without a session keeps the normal policy.  Everything stays on
loopback."""

import asyncio
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, rest_credential  # noqa: E402
from tap import Tap  # noqa: E402
from stun import Client  # noqa: E402
from turnclient import (check_next, check_pair, relayed_of,  # noqa: E402
                        send_to, turn_client)
from wsclient import connect, matched_and_waiting  # noqa: E402

# An outside peer opened by allowed-peer-ip; not one of the daemon's own
# (listen) addresses, which the relay refuses whatever allowed-peer-ip says.
PEER_IP = "127.0.0.9"


async def run(t, d):
    a, b, c, ma, mb = await matched_and_waiting(d)
    ta, ra = turn_client(d, ma["iceServers"][0])
    tb, rb = turn_client(d, mb["iceServers"][0])
    tc, rc = turn_client(d, c.welcome["iceServers"][0])
    t.ok(ra and rb and rc, "three allocations with the session credentials")
    if not (ra and rb and rc):
        return
    check_pair(t, ta, ra, tb, rb, tc, rc)

    # A credential that names no session is not restricted by pairs.
    free = Client(d, *rest_credential(d.secret, "tester"))
    r = free.allocate()
    t.eq(r and r["code"], 0, "a credential without a session allocates")
    rf = relayed_of(r) if r else None
    r = free.permit(*ra) if rf else None
    t.eq(r and r["code"], 0, "and may permit any of our relayed addresses")

    await check_next(t, a, b, ta, ra, tb, rb)
    for x in (ta, tb, tc, free):
        x.close()
    for w in (a, b, c):
        await w.close()


def peer_socket(ip):
    """A UDP socket standing for an outside peer, on loopback."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, 0))
    s.settimeout(1.0)
    return s


def got_datagram(s):
    try:
        return s.recvfrom(4096)[0]
    except socket.timeout:
        return None


async def external(t, d):
    """With allowed-peer-ip opening a range, a session's allocation still
    may not reach an address of it (an open relay for any visitor who takes
    a welcome), while a credential without a session may."""
    peer = peer_socket(PEER_IP)
    pa = peer.getsockname()
    a = await connect(d, "127.0.0.2")
    ta, ra = turn_client(d, a.welcome["iceServers"][0])
    t.ok(ra, "a session's credential allocates")
    if ra:
        r = ta.permit(*pa)
        t.eq(r and r["code"], 403, "a session's allocation: CreatePermission "
             "to an allowed-peer-ip address: 403")
        r = ta.bind(pa[0], pa[1], 0x4002)
        t.eq(r and r["code"], 403, "ChannelBind to it: 403")
        send_to(ta, pa, b"to the outside")
        t.eq(got_datagram(peer), None, "a Send to it is dropped")
    free = Client(d, *rest_credential(d.secret, "app-user"))
    r = free.allocate()
    t.eq(r and r["code"], 0, "a credential without a session allocates")
    r = free.permit(*pa)
    t.eq(r and r["code"], 0, "and keeps the normal policy: the allowed "
         "address may be permitted")
    send_to(free, pa, b"app data")
    t.eq(got_datagram(peer), b"app data", "and reached")
    for x in (ta, free, peer):
        x.close()
    await a.close()


def main(t):
    with Daemon() as d:
        asyncio.run(run(t, d))
        t.ok(d.proc.poll() is None, "the daemon is still running")
    with Daemon(conf={"allowed-peer-ip": PEER_IP}) as d:
        asyncio.run(external(t, d))


if __name__ == "__main__":
    Tap().run(main)
