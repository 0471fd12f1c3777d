"""WebSocket /ws at the protocol level, with a raw socket where a library
would not misbehave on purpose: the opening handshake (RFC 6455 §4: 101
with the accept key and SPEC's security headers; 426 for another version;
400 without a key), an unmasked client frame closed with 1002, a frame over
64 KiB answered with an `error` while the connection goes on, invalid JSON,
invalid UTF-8 and an unknown type answered with `error` and closed with
1008 when repeated, ping frames answered with pong; and SPEC's refusals of
the upgrade: a foreign Origin (403), the fourth socket of one client IP
(429), a banned address (403)."""
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, ctl  # noqa: E402
from tap import Tap  # noqa: E402

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def upgrade(d, origin=True, src="127.0.0.1", headers=None, version="13",
            key=KEY):
    s = socket.create_connection(("127.0.0.1", d.http_port), timeout=5,
                                 source_address=(src, 0))
    h = {"Host": "127.0.0.1:%d" % d.http_port, "Upgrade": "websocket",
         "Connection": "Upgrade", "Sec-WebSocket-Version": version}
    if key is not None:
        h["Sec-WebSocket-Key"] = key
    if origin is True:
        h["Origin"] = "http://127.0.0.1:%d" % d.http_port
    elif origin:
        h["Origin"] = origin
    h.update(headers or {})
    req = "GET /ws HTTP/1.1\r\n" + "".join(
        "%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
    s.sendall(req.encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return s, status, hdrs, rest


def frame(payload, op=1, fin=True, mask=True):
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | op
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        hdr = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return hdr + payload
    key = os.urandom(4)
    return hdr + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


class Reader:
    def __init__(self, s, rest=b""):
        self.s, self.buf = s, rest

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("closed")
            self.buf += chunk

    def frame(self):
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7f, 2
        if n == 126:
            self._need(4)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(off + n)
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0f, payload

    def message(self, want=None):
        while True:
            op, p = self.frame()
            if op == 1:
                m = json.loads(p)
                if want is None or m.get("type") == want:
                    return m
            elif op == 8:
                return {"close": struct.unpack("!H", p[:2])[0] if p else 1005,
                        "reason": p[2:].decode()}


def closed_code(r, limit=20):
    for _ in range(limit):
        op, p = r.frame()
        if op == 8:
            return struct.unpack("!H", p[:2])[0] if len(p) >= 2 else 1005
    return None


def handshake(t, d):
    s, st, h, rest = upgrade(d)
    want = base64.b64encode(hashlib.sha1((KEY + GUID).encode()).digest())
    t.eq(st, 101, "upgrade: 101 Switching Protocols")
    t.eq(h.get("sec-websocket-accept"), want.decode(),
         "Sec-WebSocket-Accept per RFC 6455 §1.3")
    t.ok(h.get("x-frame-options") == "DENY" and
         "frame-ancestors 'none'" in h.get("content-security-policy", ""),
         "the 101 carries the security headers")
    r = Reader(s, rest)
    t.eq(r.message().get("type"), "welcome", "then a welcome")
    s.sendall(frame(b"hi", op=9))
    op, p = r.frame()
    t.ok(op == 10 and p == b"hi", "a ping frame is answered with pong")
    s.sendall(frame(json.dumps({"type": "ping"})))
    t.eq(r.message().get("type"), "pong", "a ping message with a pong one")
    s.sendall(frame(b"\x03\xe8", op=8))
    t.eq(closed_code(r), 1000, "close answered with close")
    s.close()

    s, st, h, _ = upgrade(d, version="8")
    t.ok(st == 426 and h.get("sec-websocket-version") == "13",
         "another version: 426 naming 13")
    s.close()
    s, st, h, _ = upgrade(d, key=None)
    t.eq(st, 400, "no Sec-WebSocket-Key: 400")
    s.close()
    s, st, h, _ = upgrade(d, key="c2hvcnQ=")
    t.eq(st, 400, "a key that is not 16 bytes: 400")
    s.close()


def bad_frames(t, d):
    s, st, h, rest = upgrade(d)
    r = Reader(s, rest)
    r.message("welcome")
    s.sendall(frame(json.dumps({"type": "ping"}), mask=False))
    t.eq(closed_code(r), 1002, "an unmasked client frame: close 1002")
    s.close()
    t.ok('"event":"unmasked_frame"' in d.log(),
         "and a security event")

    s, st, h, rest = upgrade(d)
    r = Reader(s, rest)
    r.message("welcome")
    big = json.dumps({"type": "chat", "text": "x" * 70000})
    s.sendall(frame(big))
    m = r.message()
    t.ok(m.get("type") == "error" and m.get("code") == "bad_request" and
         "64 KiB" in m.get("message", ""),
         "a frame over 64 KiB: error bad_request", m)
    s.sendall(frame(json.dumps({"type": "ping"})))
    t.eq(r.message().get("type"), "pong", "the connection goes on")
    frag = json.dumps({"type": "chat", "text": "y" * 40000})
    s.sendall(frame(frag, op=1, fin=False) + frame(frag, op=0))
    m = r.message()
    t.ok(m.get("type") == "error" and "64 KiB" in m.get("message", ""),
         "fragments adding up to more than 64 KiB: error")
    s.sendall(frame(b"\xc3\x28"))
    m = r.message()
    t.ok(m.get("type") == "error" and "UTF-8" in m.get("message", ""),
         "invalid UTF-8: error")
    t.eq(closed_code(r), 1008, "the third bad message closes with 1008")
    s.close()

    s, st, h, rest = upgrade(d)
    r = Reader(s, rest)
    r.message("welcome")
    s.sendall(frame("{not json"))
    m = r.message()
    t.ok(m.get("type") == "error" and m.get("code") == "bad_request" and
         m.get("message") == "invalid JSON", "invalid JSON: error", m)
    s.sendall(frame(json.dumps({"type": "teleport"})))
    m = r.message()
    t.ok(m.get("type") == "error" and m.get("message") == "unknown type",
         "unknown type: error", m)
    s.sendall(frame(json.dumps({"type": "ping"})))
    t.eq(r.message().get("type"), "pong", "two bad messages: still open")
    s.sendall(frame("[]"))
    m = r.message()
    t.eq(m.get("type"), "error", "a third: error")
    t.eq(closed_code(r), 1008, "and close 1008")
    s.close()
    t.ok('"event":"repeated_bad_messages"' in d.log(),
         "repeated bad messages are a security event")

    s, st, h, rest = upgrade(d)
    r = Reader(s, rest)
    r.message("welcome")
    s.sendall(frame(b"", op=2))
    m = r.message()
    t.ok(m.get("type") == "error" and "binary" in m.get("message", ""),
         "a binary frame: error")
    s.close()

    s, st, h, rest = upgrade(d)
    r = Reader(s, rest)
    r.message("welcome")
    s.sendall(struct.pack("!BBQ", 0x81, 0x80 | 127, 8 << 20) + b"abcd" +
              b"x" * 100)
    t.eq(closed_code(r), 1009, "a frame announcing 8 MiB: close 1009 at once")
    s.close()


def refusals(t, d):
    s, st, h, _ = upgrade(d, origin="http://evil.example")
    t.eq(st, 403, "a foreign Origin: 403")
    t.eq(h.get("x-content-type-options"), "nosniff",
         "with the security headers")
    s.close()
    s, st, h, _ = upgrade(d, origin="https://127.0.0.1:%d" % d.http_port)
    t.eq(st, 403, "the right host with the wrong scheme: 403")
    s.close()
    t.ok('"event":"origin_refused"' in d.log(), "a security event")

    socks = []
    for i in range(3):
        s, st, h, rest = upgrade(d, src="127.0.0.5")
        socks.append(s)
    s, st, h, _ = upgrade(d, src="127.0.0.5")
    t.eq(st, 429, "the 4th socket of one client IP: 429")
    s.close()
    s2, st, h, _ = upgrade(d, src="127.0.0.6")
    t.eq(st, 101, "another client IP still gets in")
    s2.close()
    socks.pop().close()
    time.sleep(0.3)
    s, st, h, _ = upgrade(d, src="127.0.0.5")
    t.eq(st, 101, "after one closes, the 3rd is allowed again")
    s.close()
    for s in socks:
        s.close()

    p = ctl(d, "ban", "add", "127.0.0.7", "--reason", "test")
    t.eq(p.returncode, 0, "meetopiactl ban add 127.0.0.7")
    st = 0
    for _ in range(40):
        s, st, h, _ = upgrade(d, src="127.0.0.7")
        s.close()
        if st == 403:
            break
        time.sleep(0.1)
    t.eq(st, 403, "a banned address: 403 (within 4 s of the ban)")
    s, st, h, _ = upgrade(d, src="127.0.0.8")
    t.eq(st, 101, "others are not affected")
    s.close()


def main(t):
    with Daemon() as d:
        handshake(t, d)
        bad_frames(t, d)
        refusals(t, d)
        t.ok("127.0.0.5" not in "\n".join(
            x for x in d.log().splitlines() if '"event"' in x),
            "no clear address in security events")


Tap().run(main)
