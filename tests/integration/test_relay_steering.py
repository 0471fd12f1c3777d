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
another.  Allocations without a session (REST credentials, over IPv4 and IPv6)
that bind channels to each other end up on one loop too: the younger
follows the older.  A TCP client's allocation (main loop) and a UDP one
still cross, each packet counted once.  Past the steering sockets' share
of the descriptors (a quarter
of RLIMIT_NOFILE) clients fall back to the shared listeners: a call
between two of them still relays, as before.  Before the steering the kernel spread the 40 clients over the 4
workers and about three calls in four crossed threads with every packet.
A Refresh to 0 in a full batch read from the client's own steering socket
frees that socket mid-batch: the daemon lives on (a use-after-free before).
The warning logged when the cap on steering sockets refuses one says it was
the cap, not the descriptors (which it blamed before).
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
from stun import (A_DATA, A_PEER, CREATE_PERMISSION, Client,  # noqa: E402
                  chandata, xaddr)
from turnclient import (Stream, loops_by_port, refresh_code,  # noqa: E402
                        relayed_of)
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
    # The sessions end for good (resume-window 1 s): their allocations
    # are freed on the loops they moved to.
    for s in sessions:
        await s.close()
    deadline = time.time() + 10
    while time.time() < deadline and \
            metric(d, "meetopia_turn_allocations") > 0:
        time.sleep(0.2)
    t.eq(metric(d, "meetopia_turn_allocations"), 0, "when the sessions "
         "end, every moved allocation is freed where it moved to")
    t.eq([refresh_code(c) for c, _ in turns[:4]], [437] * 4,
         "and its client is told so (437)")
    for c, _ in turns:
        c.close()


def following(t, d):
    """Allocations without a session (an app's, meetopia-bench's): the
    younger of two that bind channels to each other follows the older to
    its loop when the batch ends, and their media stays on it."""
    pairs = []
    for i in range(10):
        x = Client(d, *d.credential("fx-%d" % i), bind="127.0.1.%d" % i)
        y = Client(d, *d.credential("fy-%d" % i), bind="127.0.1.%d" % (50 + i))
        rx, ry = x.allocate(), y.allocate()
        if rx and ry and rx["code"] == 0 and ry["code"] == 0:
            pairs.append(((x, relayed_of(rx)), (y, relayed_of(ry))))
    t.eq(len(pairs), 10, "10 pairs of allocations with REST credentials")
    before = loops_by_port(d)
    split = sum(1 for (_, rx), (_, ry) in pairs
                if before.get(rx[1]) != before.get(ry[1]))
    t.diag("%d of 10 pairs on different loops before they bind" % split)
    for (x, rx), (y, ry) in pairs:
        for c, peer in ((x, ry), (y, rx)):
            r = c.bind(peer[0], peer[1], CHANNEL)
            if r is None or r["code"] != 0:
                t.ok(False, "ChannelBind", r)
    where = wait_same_loop(d, pairs)
    t.ok(all(w is not None for w in where), "after the ChannelBinds each "
         "pair is on one loop", where)
    h0 = metric(d, "meetopia_turn_handoffs_total")
    got = [media(x, rx, y, ry) for (x, rx), (y, ry) in pairs]
    t.ok(all(g == (PACKETS, PACKETS) for g in got), "their media flows "
         "both ways, nothing lost", got)
    t.eq(metric(d, "meetopia_turn_handoffs_total") - h0, 0,
         "with no hand-off")
    t.eq([refresh_code(x) for (x, _), _ in pairs] +
         [refresh_code(y) for _, (y, _) in pairs], [0] * 20,
         "and every client refreshes where its allocation is now")
    for (x, _), (y, _) in pairs:
        x.close()
        y.close()


def following_v6(t, d):
    """Clients over IPv6 (::1) are steered alike: a pair that binds
    channels ends up on one loop and relays with no hand-off."""
    pairs = []
    for i in range(4):
        x = Client(d, *d.credential("6x-%d" % i), host="::1")
        y = Client(d, *d.credential("6y-%d" % i), host="::1")
        rx, ry = x.allocate(), y.allocate()
        if rx and ry and rx["code"] == 0 and ry["code"] == 0:
            pairs.append(((x, relayed_of(rx)), (y, relayed_of(ry))))
    t.eq(len(pairs), 4, "4 pairs of allocations from ::1")
    for (x, rx), (y, ry) in pairs:
        for c, peer in ((x, ry), (y, rx)):
            c.bind(peer[0], peer[1], CHANNEL)
    where = wait_same_loop(d, pairs)
    t.ok(all(w is not None for w in where), "IPv6 clients: each pair on "
         "one loop after the ChannelBinds", where)
    h0 = metric(d, "meetopia_turn_handoffs_total")
    got = [media(x, rx, y, ry) for (x, rx), (y, ry) in pairs]
    t.ok(all(g == (PACKETS, PACKETS) for g in got), "their media flows "
         "both ways, nothing lost", got)
    t.eq(metric(d, "meetopia_turn_handoffs_total") - h0, 0,
         "with no hand-off")
    t.eq([refresh_code(c) for p in pairs for c, _ in p], [0] * 8,
         "and every client refreshes where its allocation is now")
    for p in pairs:
        for c, _ in p:
            c.close()


def crossing(t, d):
    """A TCP client's allocation lives on the main loop and a UDP
    client's on a worker: what one sends the other crosses threads, and
    each packet is counted once in meetopia_turn_handoffs_total."""
    tcp = Stream(d, src="127.0.1.200")
    rs = tcp.allocate()
    y = Client(d, *d.credential("cross-udp"), bind="127.0.1.201")
    r = y.allocate()
    t.ok(r is not None and r["code"] == 0, "a UDP and a TCP allocation")
    if r is None or r["code"] != 0:
        return
    ry = relayed_of(r)
    tid = os.urandom(12)
    p = tcp.request(CREATE_PERMISSION, [(A_PEER, xaddr(ry[0], ry[1], tid))])
    t.eq(p["code"], 0, "the TCP client permits the UDP one")
    r = y.bind(rs[0], rs[1], CHANNEL)
    t.eq(r and r["code"], 0, "the UDP client binds a channel to the TCP "
         "one's relayed address")
    h0 = metric(d, "meetopia_turn_handoffs_total")
    for i in range(PACKETS):
        y.s.sendto(chandata(CHANNEL, b"t%03d" % i), y.server)
    seen = set()
    try:
        while len(seen) < PACKETS:
            f = tcp.frame(timeout=2)
            if f[0] == "stun" and A_DATA in f[1]["attrs"]:
                seen.add(f[1]["attrs"][A_DATA])
    except (socket.timeout, EOFError):
        pass
    t.eq(len(seen), PACKETS, "the TCP client receives them all")
    t.eq(metric(d, "meetopia_turn_handoffs_total") - h0, PACKETS,
         "each counted once in meetopia_turn_handoffs_total")
    tcp.close()
    y.close()


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
    t.ok("steering sockets at their limit (64 open, at most 64); the "
         "client stays on the shared listener" in d.log(),
         "the log says the cap refused and the client stays on the shared "
         "listener")
    t.ok("no file descriptor for a steering socket" not in d.log(),
         "and does not blame the descriptors, which are not out")
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


def release_in_a_batch(t, d):
    """A Refresh to 0 read in a full batch from the client's steering
    socket frees that socket while the batch is being read: the reader
    must not touch it after (a use-after-free that ASan caught in the
    browser e2e, where a page's last packets follow its Refresh)."""
    import signal as sig
    from stun import A_LIFETIME, A_NONCE, A_REALM, A_USERNAME, BINDING, \
        REFRESH, message
    alive = 0
    for i in range(4):
        user, password = d.credential("steer-%d" % i)
        c = Client(d, user, password, bind="127.0.0.%d" % (60 + i))
        r = c.allocate()
        if r is None or r["code"] != 0:
            continue
        refresh, _ = message(REFRESH, [
            (A_LIFETIME, struct.pack("!I", 0)),
            (A_USERNAME, c.user.encode()), (A_REALM, c.realm.encode()),
            (A_NONCE, c.nonce)], key=c.key())
        d.proc.send_signal(sig.SIGSTOP)
        try:
            c.s.sendto(refresh, c.server)
            for _ in range(40):     # two full batches and more behind it
                c.s.sendto(message(BINDING, [])[0], c.server)
            time.sleep(0.05)
        finally:
            d.proc.send_signal(sig.SIGCONT)
        time.sleep(0.3)
        if d.proc.poll() is None:
            alive += 1
        c.s.close()
    t.eq(alive, 4, "a Refresh to 0 followed by two batches from its "
         "steered client: the daemon lives on (4 rounds)")
    c = Client(d, *d.credential("after"), bind="127.0.0.70")
    r = c.allocate()
    t.ok(r is not None and r["code"] == 0, "and serves the next Allocate")
    c.s.close()


def main(t):
    conf = {"relay-threads": "4", "log-level": "debug", "ip-quota": "0",
            "user-quota": "0", "resume-window": "1s",
            "listen": ["127.0.0.1", "::1"]}
    with Daemon(conf=conf) as d:
        asyncio.run(calls(t, d))
        following(t, d)
        following_v6(t, d)
        crossing(t, d)
        release_in_a_batch(t, d)
        t.ok(d.proc.poll() is None, "the daemon is still running")
    with Daemon(conf=conf, rlimits={resource.RLIMIT_NOFILE: (256, 256)}) as d:
        asyncio.run(fallback(t, d))
        t.ok(d.proc.poll() is None, "the daemon is still running")


if __name__ == "__main__":
    Tap().run(main)
