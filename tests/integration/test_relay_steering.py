#!/usr/bin/env python3
"""test_relay_steering.py - relay-threads: what crosses between the relay's
worker threads (issue 19).  meetopia_turn_handoffs_total counts the
packets one relay loop hands to another: two allocations on different
loops that relay to each other cost one hand-off per packet, each counted
once.  Loopback only; the only peers are our own relayed addresses.
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, metric  # noqa: E402
from tap import Tap  # noqa: E402
from stun import Client, chandata  # noqa: E402
from turnclient import loops_by_port, relayed_of  # noqa: E402

PACKETS = 50            # each way, per call
CHANNEL = 0x4000


def media(x, rx, y, ry):
    """Channels both ways, PACKETS ChannelData each way, interleaved:
    (received at y, received at x), or (-1, -1) when a bind failed."""
    for c, peer in ((x, ry), (y, rx)):
        r = c.bind(peer[0], peer[1], CHANNEL)
        if r is None or r["code"] != 0:
            return (-1, -1)
    for i in range(PACKETS):
        x.s.sendto(chandata(CHANNEL, b"x%03d" % i), x.server)
        y.s.sendto(chandata(CHANNEL, b"y%03d" % i), y.server)
    got = []
    for dst, tag in ((y, b"x"), (x, b"y")):
        seen = set()
        dst.s.settimeout(1.0)
        try:
            while len(seen) < PACKETS:
                data = dst.s.recvfrom(4096)[0]
                num, ln = struct.unpack("!HH", data[:4])
                if num == CHANNEL and data[4:5] == tag:
                    seen.add(data[4:4 + ln])
        except socket.timeout:
            pass
        dst.s.settimeout(2)
        got.append(len(seen))
    return tuple(got)


def unpaired_crossing(t, d):
    """Two allocations of credentials without a session, on different
    loops, still relay through the hand-off: the counter counts those."""
    clients = []
    for i in range(16):
        c = Client(d, *d.credential("cross-%d" % i), bind="127.0.1.%d" % i)
        r = c.allocate()
        if r is not None and r["code"] == 0:
            clients.append((c, relayed_of(r)))
    loops = loops_by_port(d)
    pick = None
    for i, (c, rel) in enumerate(clients):
        for c2, rel2 in clients[i + 1:]:
            if loops.get(rel[1]) != loops.get(rel2[1]):
                pick = ((c, rel), (c2, rel2))
                break
        if pick:
            break
    t.ok(pick is not None, "two allocations on different loops")
    if pick is None:
        return
    (x, rx), (y, ry) = pick
    h0 = metric(d, "meetopia_turn_handoffs_total")
    got = media(x, rx, y, ry)
    t.eq(got, (PACKETS, PACKETS), "they relay to each other across threads")
    t.eq(metric(d, "meetopia_turn_handoffs_total") - h0, 2 * PACKETS,
         "each of those packets counted once in "
         "meetopia_turn_handoffs_total")
    for c, _ in clients:
        c.close()


def main(t):
    conf = {"relay-threads": "4", "log-level": "debug", "ip-quota": "0",
            "user-quota": "0"}
    with Daemon(conf=conf) as d:
        unpaired_crossing(t, d)
        t.ok(d.proc.poll() is None, "the daemon is still running")


if __name__ == "__main__":
    Tap().run(main)
