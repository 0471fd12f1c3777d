#!/usr/bin/env python3
"""test_relay_gso.py - the relay sends a run of equal datagrams for one
destination with one UDP GSO send (relay/udp.c, udp_flush), and the
receiver still gets every datagram separately and unchanged; a UDP
listener that found only a few datagrams waits 500 us before it reads
again (udp_read_cb), and loses nothing meanwhile.

Two allocations of ours, a and b, with channels to each other.  The
daemon is stopped (SIGSTOP) while a sends a burst of ChannelData, so that
the relay reads the whole burst in one batch when it resumes; what it
relays to b then leaves as GSO sends, which the debug log shows.  b must
see each datagram on its own, in order, byte for byte: a burst of equal
ones with a shorter last one (one GSO send), one with a shorter datagram
in the middle (it ends a run: two GSO sends), and one of sizes that all
differ (no GSO send: sendmmsg).  On one event loop (relay-threads 0
under taskset -c 0), and with relay-threads 1 and 2 (worker loops, which
send when their loop's iteration ends).  Loopback only.
"""
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from stun import Client, chandata  # noqa: E402
from turnclient import relayed_of  # noqa: E402

GSO_RE = re.compile(r"relay: (\d+) datagrams of (\d+) bytes in one GSO send")
CH_A, CH_B = 0x4000, 0x4001


LOOP_RE = re.compile(r"relay: allocation (\d+) on loop (\d+) at ")


def settle(d, wait=2.0):
    """With workers, waits until the log puts the two allocations on one
    loop (a permission for the other's relayed address moves one to the
    other's worker, asynchronously): until then a burst may cross loops
    through the hand-off ring, datagram by datagram."""
    end = time.time() + wait
    while time.time() < end:
        where = dict(LOOP_RE.findall(d.log()))
        if len(where) == 2 and len(set(where.values())) == 1:
            return True
        time.sleep(0.05)
    return False


def allocate(t, c, name):
    r = c.allocate()
    if not t.ok(r is not None and r["code"] == 0, "%s allocates" % name, r):
        raise RuntimeError("no allocation")
    return relayed_of(r)


def drain(s, wait=0.3):
    """Every datagram s gets until it is quiet for wait seconds."""
    got = []
    s.settimeout(wait)
    try:
        while True:
            got.append(s.recvfrom(70000)[0])
    except socket.timeout:
        pass
    finally:
        s.settimeout(2)
    return got


def burst(t, d, ca, cb, sizes, name):
    """a sends ChannelData of these payload sizes while the daemon is
    stopped; b must get them all, separately and unchanged.  Returns the
    GSO sends the log shows for it: [(datagrams, bytes)]."""
    before = len(GSO_RE.findall(d.log()))
    want = []
    pid = d.proc.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        for i, n in enumerate(sizes):
            payload = bytes([(i * 7 + j) & 0xff for j in range(n)])
            payload = bytes([i]) + payload[1:]
            ca.s.sendto(chandata(CH_A, payload, pad=False), ca.server)
            want.append(chandata(CH_B, payload, pad=False))
        time.sleep(0.05)
    finally:
        os.kill(pid, signal.SIGCONT)
    got = drain(cb.s)
    t.eq(len(got), len(want), "%s: b gets %d datagrams, one per datagram "
         "sent" % (name, len(want)))
    t.ok(got == want, "%s: each unchanged and in order" % name,
         {"got sizes": [len(g) for g in got],
          "want sizes": [len(w) for w in want]})
    time.sleep(0.1)
    return [(int(a), int(b)) for a, b in GSO_RE.findall(d.log())[before:]]


def run(t, threads):
    """threads 0: one event loop (relay-threads 0 on one CPU)."""
    where = " (relay-threads %d)" % threads if threads else " (one loop)"
    d = Daemon(conf={"allowed-peer-ip": "127.0.0.1", "user-quota": "0",
                     "log-level": "debug", "relay-threads": str(threads)},
               prefix=None if threads else ["taskset", "-c", "0"])
    with d:
        if not threads:
            t.ok("one event loop" in d.log(), "one event loop" + where)
        ca = Client(d, *d.credential("alice"))
        cb = Client(d, *d.credential("bob"))
        ra = allocate(t, ca, "a" + where)
        rb = allocate(t, cb, "b" + where)
        r1, r2 = ca.bind(rb[0], rb[1], CH_A), cb.bind(ra[0], ra[1], CH_B)
        t.ok(r1 is not None and r1["code"] == 0 and r2 is not None and
             r2["code"] == 0, "channels between a and b" + where)
        # One datagram first: a's and b's allocations settle on their
        # loop (a permission for another's relayed address may move one).
        ca.s.sendto(chandata(CH_A, b"hello", pad=False), ca.server)
        t.eq(drain(cb.s), [chandata(CH_B, b"hello", pad=False)],
             "a's ChannelData reaches b as ChannelData" + where)
        if threads > 1:
            t.ok(settle(d), "a's and b's allocations end up on one loop" +
                 where, LOOP_RE.findall(d.log()))

        # A worker may read a burst in two batches (its receive slots
        # are shared by the batches of one iteration of its loop): there
        # the runs may be cut shorter, never longer.
        sends = burst(t, d, ca, cb, [1000] * 9 + [600],
                      "nine of 1000 bytes and one of 600" + where)
        if threads == 0:
            t.eq(sends, [(10, 1004)], "they left as one GSO send of 10 "
                 "datagrams of 1004 bytes" + where)
        else:
            t.ok(sends and all(s == 1004 for _, s in sends) and
                 sum(k for k, _ in sends) <= 10, "they left in GSO sends "
                 "of 1004-byte segments" + where, {"gso sends": sends,
                 "log": d.log()[-3000:]})

        sends = burst(t, d, ca, cb, [800] * 4 + [300] + [800] * 3,
                      "a shorter datagram in the middle" + where)
        if threads == 0:
            t.eq(sorted(sends), [(3, 804), (5, 804)], "it ends a run: two "
                 "GSO sends (5 and 3)" + where)
        else:
            t.ok(sends and all(s == 804 for _, s in sends) and
                 sum(k for k, _ in sends) <= 8, "GSO sends of 804-byte "
                 "segments" + where, {"gso sends": sends})

        sends = burst(t, d, ca, cb, [500 + 10 * i for i in range(8)],
                      "sizes that all differ" + where)
        t.eq(sends, [], "no GSO send for datagrams of different sizes" +
             where)
        t.ok("GSO refused" not in d.log(), "the kernel took GSO" + where)

        # The listener's hold: a wakeup that brings fewer than 4
        # datagrams takes it off the loop for 500 us; what comes
        # meanwhile is read after it, all of it, unchanged and in order.
        t.ok(re.search(r"relay: a UDP listener of loop \d+ waits 500 us "
                       r"after a wakeup of [123] datagrams", d.log()),
             "a listener waited after a small wakeup" + where)
        want = []
        for i in range(12):
            payload = bytes([i]) * (700 if i else 100)
            ca.s.sendto(chandata(CH_A, payload, pad=False), ca.server)
            want.append(chandata(CH_B, payload, pad=False))
        got = drain(cb.s)
        t.ok(got == want, "a datagram and 11 more right after it, while "
             "the listener waits: all reach b, unchanged and in order" +
             where, {"got sizes": [len(g) for g in got]})
        ca.s.sendto(chandata(CH_A, b"lone", pad=False), ca.server)
        cb.s.settimeout(0.2)
        try:
            first = cb.s.recvfrom(70000)[0]
        except socket.timeout:
            first = None
        t.eq(first, chandata(CH_B, b"lone", pad=False),
             "a lone datagram after a pause arrives at once (within "
             "200 ms)" + where)


def main(t):
    run(t, 0)
    run(t, 1)
    run(t, 2)


if __name__ == "__main__":
    Tap().run(main)
