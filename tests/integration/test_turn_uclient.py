#!/usr/bin/env python3
"""test_turn_uclient.py - coturn's turnutils_uclient relays through meetopiad
over UDP to turnutils_peer with 0 loss: channels, Send indications, and
client-to-client (-y, both peers allocate on our server: the WebRTC case,
delivered inside the process).  A wrong secret gets nowhere and is counted.

Everything on loopback; every run is bounded with timeout (uclient retries
forever on a bad password).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, free_port, metric  # noqa: E402
from coturn import (PEER, PEER_HOST, UCLIENT, lost, peer_start,  # noqa: E402
                    peer_stop, received, uclient)
from tap import Tap  # noqa: E402


def main(t):
    if UCLIENT is None or PEER is None:
        t.skip_all("coturn's turnutils are not installed")
    peer_port = free_port()
    peer = peer_start(peer_port)
    try:
        with Daemon(conf={"allowed-peer-ip": PEER_HOST}) as d:
            for name, extra in [
                    ("channels (ChannelBind, ChannelData)", []),
                    ("Send and Data indications (-s)", ["-s"]),
                    ("client to client (-y), inside the process", ["-y"]),
                    ("client to client with Send indications (-y -s)",
                     ["-y", "-s"]),
                    ("DONT-FRAGMENT (-g), no RTCP allocation (-c)",
                     ["-g", "-c"])]:
                rc, out = uclient(d, d.turn_port, peer_port, extra)
                n = lost(out)
                sr = received(out)
                t.ok(rc == 0 and n == 0 and sr is not None and sr[0] > 0
                     and sr[0] == sr[1],
                     "uclient %s: 0 loss" % name,
                     "rc=%s lost=%s sent/received=%s\n%s"
                     % (rc, n, sr, out[-1500:]))

            relayed = metric(d, "meetopia_turn_relayed_packets_total")
            t.ok(relayed >= 2000, "relayed packets are counted (%d)" % relayed)
            t.ok(metric(d, "meetopia_turn_allocations_total") > 0,
                 "allocations are counted")

            # A wrong secret: 401 forever; uclient gives up under timeout.
            before = metric(d, "meetopia_turn_auth_failures_total")
            rc, out = uclient(d, d.turn_port, peer_port, [], secret="not-the-secret-at-all",
                              n=5, m=1, timeout=4)
            t.ok(lost(out) is None or received(out) == (0, 0),
                 "a wrong secret relays nothing", out[-800:])
            after = metric(d, "meetopia_turn_auth_failures_total")
            t.ok(after > before, "auth failures counted (%d -> %d)"
                 % (before, after))
            t.ok('"event":"turn_auth_failed"' in d.log(),
                 "auth failure is a security event")
            t.ok(d.proc.poll() is None, "the daemon is still running")
    finally:
        peer_stop(peer)


if __name__ == "__main__":
    Tap().run(main)
