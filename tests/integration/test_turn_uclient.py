#!/usr/bin/env python3
"""test_turn_uclient.py - coturn's turnutils_uclient relays through meetopiad
over UDP to turnutils_peer with 0 loss: channels, Send indications, and
client-to-client (-y, both peers allocate on our server: the WebRTC case,
delivered inside the process).  A wrong secret gets nowhere and is counted.

Everything on loopback; every run is bounded with timeout (uclient retries
forever on a bad password).
"""
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, free_port  # noqa: E402
from tap import Tap  # noqa: E402

UCLIENT = shutil.which("turnutils_uclient")
PEER = shutil.which("turnutils_peer")


def lost(out):
    m = re.search(r"Total lost packets (\d+) \(", out)
    return int(m.group(1)) if m else None


def received(out):
    m = re.search(r"tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$", out,
                  re.M)
    return (int(m.group(1)), int(m.group(2))) if m else None


def uclient(d, peer_port, extra, secret=None, n=100, m=4, timeout=30):
    cmd = ["timeout", str(timeout), UCLIENT, "-W", secret or d.secret,
           "-u", "uclient", "-p", str(d.turn_port), "-e", "127.0.0.1",
           "-r", str(peer_port), "-m", str(m), "-n", str(n), "-l", "170"] \
        + extra + ["127.0.0.1"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout + 10)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def metric(d, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % d.http_port,
                                timeout=5) as r:
        text = r.read().decode()
    total = 0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += int(float(line.split()[-1]))
    return total


def main(t):
    if UCLIENT is None or PEER is None:
        t.skip_all("coturn's turnutils are not installed")
    peer_port = free_port()
    peer = subprocess.Popen(["timeout", "300", PEER, "-L", "127.0.0.1", "-p",
                             str(peer_port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        with Daemon(conf={"allowed-peer-ip": "127.0.0.1"}) as d:
            for name, extra in [
                    ("channels (ChannelBind, ChannelData)", []),
                    ("Send and Data indications (-s)", ["-s"]),
                    ("client to client (-y), inside the process", ["-y"]),
                    ("client to client with Send indications (-y -s)",
                     ["-y", "-s"]),
                    ("DONT-FRAGMENT (-g), no RTCP allocation (-c)",
                     ["-g", "-c"])]:
                rc, out = uclient(d, peer_port, extra)
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
            rc, out = uclient(d, peer_port, [], secret="not-the-secret-at-all",
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
        peer.kill()
        peer.wait()


if __name__ == "__main__":
    Tap().run(main)
