#!/usr/bin/env python3
"""test_daemon_drain.py - the graceful stop of meetopiad (SIGTERM): open
WebSockets are told (close 1001) and closed, new connections and new
allocations are refused (508), the allocations there are keep being served
(Refresh answered) and the daemon exits 0 as soon as the last one is gone;
with none, it exits at once; a second SIGTERM stops a drain at once.
"""
import asyncio
import os
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from stun import A_LIFETIME, REFRESH, Client  # noqa: E402
from wsclient import connect  # noqa: E402


def exited_within(d, secs):
    deadline = time.time() + secs
    while time.time() < deadline:
        if d.proc.poll() is not None:
            return True
        time.sleep(0.05)
    return False


def tcp_refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except OSError:
        return True


def main(t):
    loop = asyncio.new_event_loop()

    # An allocation and a WebSocket, then SIGTERM.
    with Daemon(conf={"allowed-peer-ip": "127.0.0.1"}) as d:
        ws = loop.run_until_complete(connect(d, None))
        c = Client(d, *d.credential("alice"))
        r = c.allocate()
        t.ok(r is not None and r["type"] == 0x0103, "an allocation is made")
        t0 = time.time()
        d.signal(signal.SIGTERM)
        code = loop.run_until_complete(ws.closed_code(3))
        t.eq(code, 1001, "the WebSocket is told the server is going away")
        d.wait_log("drain: 1 allocation")
        t.ok(d.proc.poll() is None, "the daemon drains instead of exiting")
        late = Client(d, *d.credential("bob"))
        r = late.allocate()
        t.ok(r is not None and r["code"] == 508,
             "a new allocation is refused with 508", r and r["code"])
        late.close()
        r = c.request(REFRESH, [(A_LIFETIME, struct.pack("!I", 600))])
        t.ok(r is not None and r["type"] == 0x0104,
             "the live allocation is still served (Refresh 200)")
        t.ok(tcp_refused(d.http_port), "HTTP takes no new connection")
        t.ok(tcp_refused(d.turn_port), "TURN over TCP takes no new "
             "connection")
        t.ok(d.proc.poll() is None and time.time() - t0 < 25,
             "still running while the allocation lives")
        r = c.request(REFRESH, [(A_LIFETIME, struct.pack("!I", 0))])
        t.ok(r is not None and r["type"] == 0x0104, "the allocation is "
             "deleted")
        t.ok(exited_within(d, 3), "the daemon exits once the last "
             "allocation is gone")
        t.eq(d.proc.returncode, 0, "exit 0")
        t.ok("drain: no allocation left" in d.log(), "the drain's end is "
             "logged")
        c.close()

    # Nothing to drain: out at once.
    with Daemon() as d:
        t0 = time.time()
        d.signal(signal.SIGTERM)
        t.ok(exited_within(d, 2), "with no allocation it exits at once "
             "(%.2f s)" % (time.time() - t0))
        t.eq(d.proc.returncode, 0, "exit 0")

    # A second signal cuts the drain short.
    with Daemon(conf={"allowed-peer-ip": "127.0.0.1"}) as d:
        c = Client(d, *d.credential("carol"))
        r = c.allocate()
        t.ok(r is not None and r["type"] == 0x0103, "an allocation is made")
        d.signal(signal.SIGTERM)
        d.wait_log("drain: 1 allocation")
        t.ok(not exited_within(d, 1.5), "draining")
        d.signal(signal.SIGINT)
        t.ok(exited_within(d, 2), "a second signal stops it at once")
        t.ok("second stop signal" in d.log(), "and says so")
        c.close()
    loop.close()


if __name__ == "__main__":
    Tap().run(main)
