#!/usr/bin/env python3
"""test_turn_aioice.py - Debian's python3-aioice TURN client (an independent
implementation) allocates on meetopiad over UDP and relays: to a UDP echo
peer on loopback, from a client over [::1] through an IPv4 relay, and
between two aioice clients whose relayed addresses are both ours (delivered
inside the process).  aioice binds a channel for each peer (which installs
the permission) and sends ChannelData.
"""
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402

try:
    from aioice import turn
except ImportError:     # not Debian's interpreter, or not installed
    turn = None


class Sink(asyncio.DatagramProtocol):
    def __init__(self):
        self.got = asyncio.Queue()

    def datagram_received(self, data, addr):
        self.got.put_nowait((data, addr))


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(b"echo:" + data, addr)


async def recv(proto, timeout=3):
    try:
        return await asyncio.wait_for(proto.got.get(), timeout)
    except asyncio.TimeoutError:
        return None


async def scenario(t, d):
    loop = asyncio.get_event_loop()
    # The echo peer is on 127.0.0.2: 127.0.0.1, where the daemon listens,
    # is this host, never a peer but for our own relayed addresses.
    echo_tr, _ = await loop.create_datagram_endpoint(
        Echo, local_addr=("127.0.0.2", 0))
    echo = echo_tr.get_extra_info("sockname")

    # 1. Allocate and relay to an echo peer.
    user, pw = d.credential("aioice")
    tr, proto = await asyncio.wait_for(turn.create_turn_endpoint(
        Sink, ("127.0.0.1", d.turn_port), user, pw), 5)
    relayed = tr.get_extra_info("sockname")
    t.ok(relayed[0] == "127.0.0.1" and d.min_port <= relayed[1] <= d.max_port,
         "aioice allocates a relayed address in our range: %s:%d" % relayed)
    got = []
    for i in range(20):
        tr.sendto(b"ping %d" % i, echo)
        r = await recv(proto)
        if r is not None:
            got.append(r)
    t.eq(len(got), 20, "20 datagrams to the echo peer and back, none lost")
    t.ok(all(a == echo for _, a in got) and
         got[0][0] == b"echo:ping 0", "from the peer's address, intact")
    big = bytes(range(256)) * 4
    tr.sendto(big, echo)
    r = await recv(proto)
    t.ok(r is not None and r[0] == b"echo:" + big, "a 1 KiB datagram intact")

    # 2. A client over IPv6 relaying through an IPv4 relay.
    user6, pw6 = d.credential("aioice6")
    tr6, proto6 = await asyncio.wait_for(turn.create_turn_endpoint(
        Sink, ("::1", d.turn_port), user6, pw6), 5)
    relayed6 = tr6.get_extra_info("sockname")
    t.ok(relayed6[0] == "127.0.0.1", "a client over [::1] gets an IPv4 "
         "relay (%s)" % (relayed6,))
    tr6.sendto(b"v6", echo)
    r = await recv(proto6)
    t.ok(r is not None and r[0] == b"echo:v6", "and relays through it")

    # 3. Two aioice clients relaying to each other's relayed address.
    n = 0
    for i in range(30):
        tr.sendto(b"a->b %d" % i, relayed6)
        tr6.sendto(b"b->a %d" % i, relayed)
        await asyncio.sleep(0.02)
    seen_a, seen_b = set(), set()
    while True:
        r = await recv(proto, 0.5)
        if r is None:
            break
        if r[1] == relayed6:
            seen_a.add(r[0])
    while True:
        r = await recv(proto6, 0.5)
        if r is None:
            break
        if r[1] == relayed:
            seen_b.add(r[0])
    n = min(len(seen_a), len(seen_b))
    # The first datagrams race the other side's ChannelBind (which is what
    # installs its permission); after that nothing is lost.
    t.ok(n >= 25, "client to client through two of our allocations "
         "(%d and %d of 30 after the permissions)" % (len(seen_a),
                                                      len(seen_b)))
    t.ok(b"b->a 29" in seen_a and b"a->b 29" in seen_b,
         "the last datagrams arrive both ways")

    tr.close()
    tr6.close()
    await asyncio.sleep(0.5)
    echo_tr.close()


def main(t):
    if turn is None:
        t.skip_all("python3-aioice is not installed for this interpreter")
    with Daemon(conf={"allowed-peer-ip": "127.0.0.2",
                      "listen": ["127.0.0.1", "::1"]}) as d:
        asyncio.run(asyncio.wait_for(scenario(t, d), 60))
        t.ok(d.proc.poll() is None, "the daemon is still running")


if __name__ == "__main__":
    Tap().run(main)
