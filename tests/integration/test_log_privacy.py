#!/usr/bin/env python3
"""The daemon's log names clients by pseudonym only, at every level (SPEC:
never a raw IP; issue 15, point 5).

meetopiad runs at log-level debug with TCP, TLS and worker threads; clients
come from 127.0.0.2 and 127.0.0.1: TURN over UDP (allocations, a
permission, data, a delete), over TCP and TLS (allocations, a bad frame
that closes the connection, clean closes), a WebSocket session that looks
for a partner and leaves.  Then the whole stderr is read:
  - 127.0.0.2 (a client's address, never the server's) appears nowhere;
  - no client port appears anywhere as a number;
  - 127.0.0.1 (the server's address too) appears only in the start-up
    lines before "ready" (listen and relay addresses) and in the debug
    line that names an allocation's relayed address (the server's own
    address with a port of the relay range);
  - the TCP/TLS close lines are there, with a pseudonym (so the checks
    above looked at lines that used to carry the address);
  - every log line starts with the time in UTC to the millisecond, and
    the lines of the relay's worker threads name the thread.
Loopback only."""

import asyncio
import os
import re
import socket
import ssl
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from stun import (A_LIFETIME, A_NONCE, A_REALM, A_RELAYED,  # noqa: E402
                  A_TRANSPORT, A_USERNAME, ALLOCATE, REFRESH, Client,
                  long_term_key, message, parse, unxaddr)
from turnclient import receive, send_to  # noqa: E402
from wsclient import connect  # noqa: E402

ALLOC_LINE = re.compile(r"relay: allocation \d+ on loop \d+ at "
                        r"127\.0\.0\.1:(\d+), \d+s$")
CLOSE_LINE = re.compile(r"relay: (tcp|tls) client ([0-9a-f]{32}): ")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
                   r"meetopiad(\[relay-\d+\])?: (error|warn|info|debug): ")


def client_sock(kind, ip, d):
    """A socket of kind (UDP or TCP) bound on ip at a port outside the
    relay range and the daemon's ports (so a number in the log that equals
    it can only be it)."""
    busy = {d.turn_port, d.http_port, d.tls_port, d.https_port}
    for _ in range(50):
        s = socket.socket(socket.AF_INET, kind)
        s.bind((ip, 0))
        p = s.getsockname()[1]
        if not d.min_port <= p <= d.max_port and p not in busy:
            return s
        s.close()
    raise RuntimeError("no client port outside the relay range")


class StreamTurn:
    """A TURN client over TCP or TLS (STUN messages on the stream)."""

    def __init__(self, d, ip, tls, user, password):
        raw = client_sock(socket.SOCK_STREAM, ip, d)
        raw.settimeout(5)
        raw.connect(("127.0.0.1", d.tls_port if tls else d.turn_port))
        self.port = raw.getsockname()[1]
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            raw = ctx.wrap_socket(raw)
        self.s = raw
        self.user, self.password = user, password
        self.nonce = self.realm = None

    def recv_msg(self):
        hdr = b""
        while len(hdr) < 20:
            chunk = self.s.recv(20 - len(hdr))
            if not chunk:
                return None
            hdr += chunk
        n = struct.unpack("!H", hdr[2:4])[0]
        body = b""
        while len(body) < n:
            chunk = self.s.recv(n - len(body))
            if not chunk:
                return None
            body += chunk
        return parse(hdr + body)

    def request(self, method, attrs):
        for _ in range(2):
            extra, key = [], None
            if self.nonce is not None:
                extra = [(A_USERNAME, self.user.encode()),
                         (A_REALM, self.realm.encode()), (A_NONCE, self.nonce)]
                key = long_term_key(self.user, self.realm, self.password)
            msg, tid = message(method, attrs + extra, key=key)
            self.s.sendall(msg)
            r = self.recv_msg()
            if r is None:
                return None
            if r["code"] in (401, 438) and A_NONCE in r["attrs"]:
                self.nonce = r["attrs"][A_NONCE]
                self.realm = r["attrs"][A_REALM].decode()
                continue
            return r
        return r

    def close(self):
        self.s.close()


def udp_session(t, d, ip, ports):
    """Two allocations from ip that exchange data, then delete them."""
    out = []
    for name in ("a", "b"):
        c = Client(d, *d.credential("priv-" + name))
        c.s.close()
        c.s = client_sock(socket.SOCK_DGRAM, ip, d)
        c.s.settimeout(2)
        ports.add(c.s.getsockname()[1])
        r = c.allocate()
        rel = unxaddr(r["attrs"][A_RELAYED], r["tid_sent"]) if r and \
            r["code"] == 0 else None
        out.append((c, rel))
    (a, ra), (b, rb) = out
    ok = ra is not None and rb is not None
    if ok:
        ok = a.permit(*rb)["code"] == 0 and b.permit(*ra)["code"] == 0
        send_to(a, rb, b"private")
        ok = ok and receive(b) == b"private"
    for c, _ in out:
        r = c.request(REFRESH, [(A_LIFETIME, struct.pack("!I", 0))])
        ok = ok and r is not None and r["code"] == 0
        c.close()
    t.ok(ok, "UDP from %s: two allocations exchange data, then go" % ip)


def stream_session(t, d, ip, tls, ports):
    name = "TLS" if tls else "TCP"
    c = StreamTurn(d, ip, tls, *d.credential("priv-stream"))
    ports.add(c.port)
    r = c.request(ALLOCATE, [(A_TRANSPORT, b"\x11\0\0\0")])
    t.ok(r is not None and r["code"] == 0, "%s from %s: an allocation"
         % (name, ip))
    c.close()
    # A frame that is no STUN message closes the connection.
    bad = StreamTurn(d, ip, tls, *d.credential("priv-bad"))
    ports.add(bad.port)
    try:
        bad.s.sendall(b"\xff" * 64)
        bad.s.settimeout(3)
        while bad.s.recv(4096):
            pass
    except OSError:
        pass
    bad.close()


async def ws_session(t, d, ip, ports):
    w = await connect(d, ip)
    ports.add(w.ws.local_address[1])
    await w.send_json(type="find")
    await w.recv_type("waiting")
    await w.close()
    t.ok(True, "WebSocket from %s: a session looks for a partner" % ip)


def check_log(t, d, ports):
    log = d.log()
    lines = log.splitlines()
    t.ok("127.0.0.2" not in log, "127.0.0.2 (a client) is nowhere in the "
         "log", "\n".join(x for x in lines if "127.0.0.2" in x)[:2000])
    seen = []
    for p in sorted(ports):
        pat = re.compile(r"(?<![\w.])%d(?!\w)" % p)
        seen += [x for x in lines if pat.search(x)]
    t.ok(not seen, "no client port (%d of them) in the log" % len(ports),
         "\n".join(seen)[:2000])
    ready = next((i for i, x in enumerate(lines) if x.endswith(" ready")), None)
    t.ok(ready is not None, "the start-up lines end with ready")
    stray = []
    for x in lines[(ready or 0) + 1:]:
        if "127.0.0.1" not in x:
            continue
        m = ALLOC_LINE.search(x)
        if m is None or not d.min_port <= int(m.group(1)) <= d.max_port:
            stray.append(x)
    t.ok(not stray, "after start-up, 127.0.0.1 is only the server's "
         "relayed address of an allocation", "\n".join(stray)[:2000])
    closes = CLOSE_LINE.findall(log)
    t.ok({k for k, _ in closes} == {"tcp", "tls"}, "TCP and TLS closes are "
         "logged at debug, by the client's pseudonym (%d lines)"
         % len(closes))
    t.ok(any("allocation" in x and "127.0.0.1" in x for x in lines),
         "the relayed-address line was there to be checked")
    # Security events (security-log = stderr) are JSON lines of their own.
    plain = [x for x in lines if not x.startswith("{")]
    bad = [x for x in plain if not STAMP.match(x)]
    t.ok(plain and not bad, "every log line starts with a UTC timestamp "
         "to the millisecond (%d lines)" % len(plain), "\n".join(bad[:10]))
    t.ok(any(STAMP.match(x) and "meetopiad[relay-" in x and
             "relay: allocation" in x for x in plain),
         "a worker thread's lines name it (meetopiad[relay-N])")


def main(t):
    conf = {"log-level": "debug", "relay-threads": "2",
            "allowed-peer-ip": "127.0.0.1"}
    with Daemon(conf=conf, tls=True) as d:
        ports = set()
        for ip in ("127.0.0.2", "127.0.0.1"):
            udp_session(t, d, ip, ports)
            stream_session(t, d, ip, False, ports)
            stream_session(t, d, ip, True, ports)
            asyncio.run(ws_session(t, d, ip, ports))
        t.eq(d.stop(), 0, "the daemon stops (every line written)")
        check_log(t, d, ports)


if __name__ == "__main__":
    Tap().run(main)
