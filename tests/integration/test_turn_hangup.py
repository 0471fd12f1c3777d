#!/usr/bin/env python3
"""test_turn_hangup.py - a hang-up is no attack (SPEC, issue 18): two
allocations on loopback with permissions (and a channel) to each other's
relayed addresses relay to each other; one is released, the other keeps
sending to the address just freed, as a partner's last packets do after a
call ends.  Those packets are dropped silently: no turn_peer_denied
security event, meetopia_turn_peer_denied_total unchanged, and
meetopia_turn_released_peer_dropped_total counts each of them.  Only our
own loopback relayed addresses are ever sent to.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, metric  # noqa: E402
from stun import chandata  # noqa: E402
from tap import Tap  # noqa: E402
from turnclient import allocate, receive, release, send_to  # noqa: E402

CHANNEL = 0x4001
LAST = 8                 # a partner's last packets: SPEC says 1-8 a call


def channel_data(c, payload, timeout=1.0):
    """The payload of the next ChannelData that c's socket gets, or None."""
    c.s.settimeout(timeout)
    try:
        while True:
            data = c.s.recvfrom(4096)[0]
            if 0x40 <= data[0] <= 0x7F:
                return data[4:4 + int.from_bytes(data[2:4], "big")]
    except OSError:
        return None
    finally:
        c.s.settimeout(2)


def main(t):
    with Daemon() as d:
        a, r, ra = allocate(d, "alice")
        b, r2, rb = allocate(d, "bob")
        t.ok(ra is not None and rb is not None, "two allocations", (r, r2))
        if ra is None or rb is None:
            return
        ok_a = a.permit(*rb)
        ok_b = b.permit(*ra)
        t.ok(ok_a and ok_a["code"] == 0 and ok_b and ok_b["code"] == 0,
             "each permits the other's relayed address", (ok_a, ok_b))
        rc = a.bind(rb[0], rb[1], CHANNEL)
        t.ok(rc is not None and rc["code"] == 0, "alice binds a channel to "
             "bob's relayed address", rc)
        send_to(b, ra, b"hello alice")
        t.eq(channel_data(a, b"hello alice"), b"hello alice",
             "while both live: bob reaches alice (on her channel)")
        a.s.sendto(chandata(CHANNEL, b"hello bob"), a.server)
        t.eq(receive(b), b"hello bob", "and alice reaches bob")

        denied0 = metric(d, "meetopia_turn_peer_denied_total")
        dropped0 = metric(d, "meetopia_turn_released_peer_dropped_total")
        t.ok(release(b), "bob hangs up: his allocation is released")
        for i in range(LAST // 2):
            send_to(a, rb, b"last %d" % i)
            a.s.sendto(chandata(CHANNEL, b"last ch %d" % i), a.server)
        deadline = time.time() + 5
        while time.time() < deadline and metric(
                d, "meetopia_turn_released_peer_dropped_total") < \
                dropped0 + LAST:
            time.sleep(0.1)
        t.eq(metric(d, "meetopia_turn_released_peer_dropped_total")
             - dropped0, LAST, "alice's %d last packets (Send and "
             "ChannelData) are counted as dropped to a released peer"
             % LAST)
        t.eq(metric(d, "meetopia_turn_peer_denied_total"), denied0,
             "they are not counted as refused peers")
        time.sleep(0.3)      # a security event would be written by now
        t.ok('"event":"turn_peer_denied"' not in d.log(),
             "the hang-up raises no turn_peer_denied security event",
             d.log()[-1500:])
        t.eq(receive(b, 0.3), None, "bob gets nothing after his release")
        t.ok(d.proc.poll() is None, "the daemon is still running")
        a.close()
        b.close()


if __name__ == "__main__":
    Tap().run(main)
