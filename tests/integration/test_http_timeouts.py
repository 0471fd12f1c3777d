"""Timeouts of the HTTP server: a request whose headers trickle in slower
than 10 s is answered 408 and closed (slow headers); an idle keep-alive
socket and a socket that never sends are closed after the same time; a
slow request does not hold up others."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, recv_all  # noqa: E402
from tap import Tap  # noqa: E402


def main(t):
    with Daemon() as d:
        slow = socket.create_connection(("127.0.0.1", d.http_port))
        idle = socket.create_connection(("127.0.0.1", d.http_port))
        ka = socket.create_connection(("127.0.0.1", d.http_port))
        ka.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = ka.recv(4096)
        t.ok(first.startswith(b"HTTP/1.1 200"), "a keep-alive request")
        t0 = time.time()
        slow.sendall(b"GET /healthz HTTP/1.1\r\n")
        for _ in range(3):
            time.sleep(1)
            slow.sendall(b"X-Drip: 1\r\n")
        other = socket.create_connection(("127.0.0.1", d.http_port))
        other.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
        t.ok(other.recv(4096).startswith(b"HTTP/1.1 200"),
             "others are served meanwhile")
        other.close()
        for s in (slow, idle, ka):
            s.settimeout(15)
        got = recv_all(slow)
        took = time.time() - t0
        t.ok(got.startswith(b"HTTP/1.1 408"), "slow headers: 408", got[:40])
        t.ok(8 <= took <= 13, "after about 10 s (%.1f s)" % took)
        t.eq(idle.recv(4096), b"", "a socket that never sent: closed")
        t.eq(ka.recv(4096), b"", "an idle keep-alive socket: closed")
        for s in (slow, idle, ka):
            s.close()


Tap().run(main)
