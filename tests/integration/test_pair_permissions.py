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
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, rest_credential  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import connect, pair  # noqa: E402
from stun import (A_DATA, A_PEER, A_RELAYED, INDICATION, SEND,  # noqa: E402
                  Client, message, unxaddr, xaddr)

DATA_INDICATION = 0x0017
# An outside peer opened by allowed-peer-ip; not one of the daemon's own
# (listen) addresses, which the relay refuses whatever allowed-peer-ip says.
PEER_IP = "127.0.0.9"


def turn_client(d, server):
    c = Client(d, server["username"], server["credential"])
    r = c.allocate()
    if r is None or r["code"] != 0:
        return c, None
    return c, unxaddr(r["attrs"][A_RELAYED], r["tid_sent"])


def send_to(c, peer, payload):
    tid = os.urandom(12)
    msg, _ = message(SEND, [(A_PEER, xaddr(peer[0], peer[1], tid)),
                            (A_DATA, payload)], tid=tid, cls=INDICATION)
    c.s.sendto(msg, c.server)


def receive(c, timeout=1.0):
    """The DATA of the next Data indication, or None."""
    c.s.settimeout(timeout)
    try:
        while True:
            data = c.s.recvfrom(4096)[0]
            typ = struct.unpack("!H", data[:2])[0]
            if typ != DATA_INDICATION:
                continue
            i = 20
            while i + 4 <= len(data):
                t, n = struct.unpack("!HH", data[i:i + 4])
                if t == A_DATA:
                    return data[i + 4:i + 4 + n]
                i += 4 + n + (-n % 4)
    except socket.timeout:
        return None
    finally:
        c.s.settimeout(2)


async def matched(d):
    """Three WebSocket clients: a and b matched, c waiting.  Returns them
    and a's and b's matched messages."""
    a = await connect(d, "127.0.0.2")
    b = await connect(d, "127.0.0.3")
    c = await connect(d, "127.0.0.4")
    ma, mb = await pair(a, b, wait=True)
    return a, b, c, ma, mb


def check_pair(t, ta, ra, tb, rb, tc, rc, where=""):
    """Partners a and b may permit each other's relayed address and
    exchange data; the stranger c may not."""
    r = ta.permit(*rb)
    t.eq(r and r["code"], 0, "a permits its partner's relayed address" +
         where)
    r = tb.permit(*ra)
    t.eq(r and r["code"], 0, "b permits its partner's relayed address" +
         where)
    r = ta.permit(*rc)
    t.eq(r and r["code"], 403, "a stranger's relayed address: 403" + where)
    r = tc.permit(*ra)
    t.eq(r and r["code"], 403, "and the other way round: 403" + where)
    r = ta.bind(rc[0], rc[1], 0x4001)
    t.eq(r and r["code"], 403, "ChannelBind to a stranger: 403" + where)
    send_to(ta, rb, b"hello b")
    t.eq(receive(tb), b"hello b", "partners: a's data reaches b" + where)
    send_to(tb, ra, b"hello a")
    t.eq(receive(ta), b"hello a", "and b's reaches a" + where)


async def check_next(t, a, b, ta, ra, tb, rb, where=""):
    """After a presses next, the pair's permissions deliver nothing."""
    await a.send_json(type="next")
    left = await b.recv_type("partner_left")
    t.eq(left.get("reason"), "next", "b is told its partner left")
    send_to(tb, ra, b"after next")
    t.eq(receive(ta), None,
         "after next, b's old permission for a delivers nothing" + where)
    send_to(ta, rb, b"after next")
    t.eq(receive(tb), None, "nor a's for b" + where)
    r = tb.permit(*ra)
    t.eq(r and r["code"], 403, "a new permission for the former partner: "
         "403" + where)


async def run(t, d):
    a, b, c, ma, mb = await matched(d)
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
    rf = unxaddr(r["attrs"][A_RELAYED], r["tid_sent"]) if r else None
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
