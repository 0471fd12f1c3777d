#!/usr/bin/env python3
"""test_relay_steering.py - with relay-threads, a paired call relays on one
worker thread (issue 19): each UDP client with an allocation has a socket
of its own 5-tuple in turn-port's SO_REUSEPORT group (so the kernel brings
its datagrams to the loop of its allocation), and when signaling pairs two
sessions the allocations they made before `matched` (as a browser's ICE
pool does) move to one worker.  meetopia_turn_handoffs_total counts the
packets that still cross threads.

relay-threads = 4, 20 calls over /ws: 40 sessions allocate with their
welcome credentials, are paired, and then every pair's two allocations
are on one loop (the debug log names it), each client refreshes its
allocation where it now lives (a client whose datagrams reached another
loop would get 437), binds a channel to its partner and sends media both
ways: every packet arrives, and none is handed from one thread to
another.  Past the steering sockets' share of the descriptors (a quarter
of RLIMIT_NOFILE) clients fall back to the shared listeners: a call
between two of them still relays, as before.  Before the steering the kernel spread the 40 clients over the 4
workers and about three calls in four crossed threads with every packet.
"""
import asyncio
import os
import resource
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, metric  # noqa: E402
from tap import Tap  # noqa: E402
from stun import Client, chandata  # noqa: E402
from turnclient import loops_by_port, refresh_code, relayed_of  # noqa: E402
from wsclient import connect, pair  # noqa: E402

CALLS = 20
PACKETS = 50            # each way, per call
CHANNEL = 0x4000


def session_ip(i):
    return "127.0.0.%d" % (10 + i)


def allocate_as(d, server, ip):
    """A TURN client from ip with an ICE server's credential, allocated:
    (client, relayed address) or (client, None)."""
    c = Client(d, server["username"], server["credential"], bind=ip)
    r = c.allocate()
    if r is None or r["code"] != 0:
        return c, None
    return c, relayed_of(r)


def wait_same_loop(d, calls, timeout=5.0):
    """The loop of each call's two relayed addresses once both are on one
    (the log's latest line for a port wins), or None for a call that is
    still split when the time is up."""
    deadline = time.time() + timeout
    while True:
        loops = loops_by_port(d)
        where = []
        for (_, ra), (_, rb) in calls:
            la, lb = loops.get(ra[1]), loops.get(rb[1])
            where.append(la if la is not None and la == lb else None)
        if all(w is not None for w in where) or time.time() > deadline:
            return where
        time.sleep(0.05)


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


async def calls(t, d):
    sessions = [await connect(d, session_ip(i)) for i in range(2 * CALLS)]
    turns = [allocate_as(d, s.welcome["iceServers"][0], session_ip(i))
             for i, s in enumerate(sessions)]
    t.ok(all(rel for _, rel in turns), "%d allocations with the welcome "
         "credentials, before matched" % (2 * CALLS))
    if not all(rel for _, rel in turns):
        return
    before = loops_by_port(d)
    split = sum(1 for i in range(CALLS)
                if before.get(turns[2 * i][1][1]) !=
                before.get(turns[2 * i + 1][1][1]))
    t.diag("before pairing: %d of %d calls have their two allocations on "
           "different loops (%s)" % (split, CALLS,
                                     sorted(set(before.values()))))
    for i in range(CALLS):
        await pair(sessions[2 * i], sessions[2 * i + 1], wait=True)
    pairs = [(turns[2 * i], turns[2 * i + 1]) for i in range(CALLS)]
    where = wait_same_loop(d, pairs)
    t.ok(all(w is not None for w in where),
         "after matched, both allocations of every call are on one worker",
         where)
    t.ok(all(w is None or w >= 1 for w in where),
         "a worker thread, not the main loop", where)

    codes = [refresh_code(c) for c, _ in turns]
    t.eq(codes, [0] * len(turns), "every client refreshes its allocation "
         "on the loop it moved to (its datagrams reach that loop)")

    h0 = metric(d, "meetopia_turn_handoffs_total")
    got = [media(x, rx, y, ry) for (x, rx), (y, ry) in pairs]
    lost = sum(2 * PACKETS - a - b for a, b in got)
    t.ok(lost == 0, "%d calls, %d ChannelData each way: none lost" %
         (CALLS, PACKETS), got)
    handoffs = metric(d, "meetopia_turn_handoffs_total") - h0
    relayed = metric(d, "meetopia_turn_relayed_packets_total")
    t.diag("handoffs during the media: %d of %d packets relayed" %
           (handoffs, 2 * PACKETS * CALLS))
    t.eq(handoffs, 0, "no packet of a paired call is handed between "
         "threads (meetopia_turn_handoffs_total)")
    t.ok(relayed >= 2 * 2 * PACKETS * CALLS, "and the packets were relayed",
         relayed)
    t.eq(metric(d, "meetopia_turn_handoff_dropped_total"), 0,
         "no hand-off dropped")
    t.eq(metric(d, "meetopia_turn_allocations"), 2 * CALLS,
         "the allocation gauge counts each moved allocation once")

    # A partner who presses next: the moved allocations keep the pair
    # checks (the permission delivers nothing any more).
    (x, rx), (y, ry) = pairs[0]
    await sessions[0].send_json(type="next")
    await sessions[1].recv_type("partner_left")
    x.s.sendto(chandata(CHANNEL, b"after next"), x.server)
    y.s.settimeout(0.5)
    try:
        late = y.s.recvfrom(4096)[0]
    except socket.timeout:
        late = None
    t.eq(late, None, "after next, the moved allocations' channel delivers "
         "nothing")
    for c, _ in turns:
        c.close()
    for s in sessions:
        await s.close()


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


async def fallback(t, d):
    """RLIMIT_NOFILE 256: at most 64 steering sockets.  Past them clients
    stay on the shared listeners: their allocations work where the kernel
    put them, do not move at pairing, and the call relays (handing over
    when split)."""
    a = await connect(d, "127.0.2.1")
    b = await connect(d, "127.0.2.2")
    fillers = []
    for i in range(64):
        c = Client(d, *d.credential("filler-%d" % i), bind="127.0.3.%d" % i)
        r = c.allocate()
        if r is not None and r["code"] == 0:
            fillers.append(c)
    t.eq(len(fillers), 64, "64 allocations take the 64 steering sockets")
    ta, ra = allocate_as(d, a.welcome["iceServers"][0], "127.0.2.1")
    tb, rb = allocate_as(d, b.welcome["iceServers"][0], "127.0.2.2")
    t.ok(ra and rb, "two more allocate without one")
    if not (ra and rb):
        return
    t.ok("no file descriptor for a steering socket" in d.log(),
         "the log says the client stays on the shared listener")
    loops = loops_by_port(d)
    before = (loops.get(ra[1]), loops.get(rb[1]))
    await pair(a, b, wait=True)
    time.sleep(0.3)
    loops = loops_by_port(d)
    t.eq((loops.get(ra[1]), loops.get(rb[1])), before,
         "at pairing they do not move")
    t.eq([refresh_code(ta), refresh_code(tb)], [0, 0],
         "their clients still reach them")
    h0 = metric(d, "meetopia_turn_handoffs_total")
    t.eq(media(ta, ra, tb, rb), (PACKETS, PACKETS),
         "and the call relays both ways, nothing lost")
    crossed = metric(d, "meetopia_turn_handoffs_total") - h0
    t.eq(crossed, 0 if before[0] == before[1] else 2 * PACKETS,
         "with hand-offs exactly when the two are on different loops")
    for c in fillers + [ta, tb]:
        c.close()
    await a.close()
    await b.close()


def main(t):
    conf = {"relay-threads": "4", "log-level": "debug", "ip-quota": "0",
            "user-quota": "0"}
    with Daemon(conf=conf) as d:
        asyncio.run(calls(t, d))
        unpaired_crossing(t, d)
        t.ok(d.proc.poll() is None, "the daemon is still running")
    with Daemon(conf=conf, rlimits={resource.RLIMIT_NOFILE: (256, 256)}) as d:
        asyncio.run(fallback(t, d))
        t.ok(d.proc.poll() is None, "the daemon is still running")


if __name__ == "__main__":
    Tap().run(main)
