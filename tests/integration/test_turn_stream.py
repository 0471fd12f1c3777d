#!/usr/bin/env python3
"""test_turn_stream.py - TURN over TCP and TLS, byte by byte: the stream
framing of RFC 8656 §12.5 and the limits of relay/tcp.c, with a small
stdlib client.

Framing: a request sent one byte at a time (TCP, and TLS in one-byte
records), split across reads, two messages in one segment; ChannelData
padded both ways, unpadded at the end of what was sent (relayed at once,
its padding skipped when it comes); an oversize STUN or ChannelData length,
garbage before a message and ChannelData from a client without an
allocation close the connection at once.

Limits: a silent connection, a slow one (a byte a second) and a silent TLS
handshake are dropped within TCP_FIRST_SECS (10 s, far inside the 30 s
required); a connection without an allocation is closed after
TCP_NOALLOC_SECS (20 s, checked every 5 s), also once its allocation is
deleted, while one that holds an allocation stays; a client that does not
read is dropped when 1 MiB waits for it (and its allocation dies); a client
IP holds at most 128 connections (others are unaffected).  Each of these
fails when its limit is taken out.  The slow checks run in threads beside
the fast ones, each from its own loopback source address.
"""
import hashlib
import hmac
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, metric  # noqa: E402
from tap import Tap  # noqa: E402
from turnclient import Stream  # noqa: E402
from stun import (  # noqa: E402
    ALLOCATE, A_CHANNEL, A_LIFETIME, A_MI, A_NONCE, A_PEER, A_REALM,
    A_TRANSPORT, A_USERNAME, BINDING, CHANNEL_BIND, MAGIC,
    REFRESH, attr, chandata, message, xaddr)


FIRST_SECS, NOALLOC_SECS, CHECK_SECS, PER_IP = 10, 20, 5, 128


def bind_channel(c, num, peer):
    """ChannelBind num to peer (XOR-PEER-ADDRESS needs the tid)."""
    for _ in range(3):
        extra = [(A_USERNAME, c.user.encode()), (A_REALM, c.realm.encode()),
                 (A_NONCE, c.nonce)]
        tid = os.urandom(12)
        typ = (CHANNEL_BIND & 0xF) | ((CHANNEL_BIND & 0x70) << 1)
        body = attr(A_CHANNEL, struct.pack("!HH", num, 0)) + \
            attr(A_PEER, xaddr(peer[0], peer[1], tid)) + \
            b"".join(attr(t, v) for t, v in extra)
        hdr = struct.pack("!HHI", typ, len(body) + 24, MAGIC) + tid
        body += attr(A_MI, hmac.new(c.key(), hdr + body,
                                    hashlib.sha1).digest())
        c.send(struct.pack("!HHI", typ, len(body), MAGIC) + tid + body)
        r = c.answer(tid)
        if r["code"] == 438:
            c.nonce = r["attrs"][A_NONCE]
            continue
        return r
    return r


def binding(c, how="whole", pause=0.0):
    msg, tid = message(BINDING, [])
    if how == "bytes":
        for i in range(len(msg)):
            c.send(msg[i:i + 1])
            time.sleep(pause)
    elif how == "split":
        c.send(msg[:7])
        time.sleep(0.3)
        c.send(msg[7:])
    else:
        c.send(msg)
    return c.answer(tid)


def udp_peer():
    """A UDP peer outside this host as the relay sees it: 127.0.0.1 is
    the daemon's listen address, never a peer but for our relayed
    addresses."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.2", 0))
    u.settimeout(3)
    return u


# -- slow checks, in threads --------------------------------------------

def timed_close(results, name, d, src, raw_port=None, setup=None,
                limit=None):
    """Connects, runs setup, and records how long until the server closes
    (None when it did not within limit)."""
    try:
        c = Stream(d, src=src, raw_port=raw_port)
        t0 = time.time()
        gone = setup(c) if setup is not None else False
        gone = gone or c.closed(limit - (time.time() - t0))
        results[name] = time.time() - t0 if gone else None
        c.close()
    except Exception as e:  # noqa: BLE001
        results[name] = "error: %r" % e


def slow_bytes(c):
    """A Binding request at a byte a second; True once the server closed."""
    msg, tid = message(BINDING, [])
    for i in range(len(msg)):
        try:
            c.send(msg[i:i + 1])
        except OSError:
            return True
        if c.closed(1):
            return True
    return False


def one_binding(c):
    binding(c)
    return False


def with_allocation(c):
    c.allocate()
    return False


def allocation_then_delete(c):
    c.allocate()
    c.request(REFRESH, [(A_LIFETIME, struct.pack("!I", 0))])
    return False


def main(t):
    with Daemon(conf={"allowed-peer-ip": "127.0.0.2"}, tls=True) as d:
        results = {}
        limit = FIRST_SECS + 5
        idle = NOALLOC_SECS + CHECK_SECS + 5
        slow = [
            ("silent", "127.0.0.3", None, None, limit),
            ("slow", "127.0.0.4", None, slow_bytes, limit),
            ("tls-silent", "127.0.0.5", d.tls_port, None, limit),
            ("no-allocation", "127.0.0.6", None, one_binding, idle),
            ("allocation", "127.0.0.7", None, with_allocation, idle),
            ("deleted", "127.0.0.8", None, allocation_then_delete, idle),
        ]
        threads = [threading.Thread(target=timed_close, args=(results, n, d,
                                                              src, port, fn,
                                                              lim))
                   for n, src, port, fn, lim in slow]
        for th in threads:
            th.start()

        # -- framing --------------------------------------------------
        c = Stream(d)
        r = binding(c, "bytes", 0.005)
        t.ok(r["type"] == 0x0101, "TCP: a request sent one byte at a time "
             "is answered")
        r = binding(c, "split")
        t.ok(r["type"] == 0x0101, "TCP: a request split across reads is "
             "answered")
        m1, tid1 = message(BINDING, [])
        m2, tid2 = message(BINDING, [])
        c.send(m1 + m2)
        a1, a2 = c.frame(), c.frame()
        t.ok(a1[0] == "stun" and a2[0] == "stun" and
             {a1[1]["tid"], a2[1]["tid"]} == {tid1, tid2},
             "TCP: two requests in one segment get two answers")
        c.close()

        c = Stream(d, tls=True)
        r = binding(c, "bytes", 0.002)
        t.ok(r["type"] == 0x0101, "TLS: a request in one-byte records is "
             "answered")
        m1, tid1 = message(BINDING, [])
        m2, tid2 = message(ALLOCATE, [(A_TRANSPORT, b"\x11\0\0\0")])
        c.send(m1 + m2)
        a1, a2 = c.frame(), c.frame()
        t.ok(a1[1]["tid"] == tid1 and a2[1]["tid"] == tid2 and
             a2[1]["code"] == 401,
             "TLS: Binding and Allocate in one record: answered in order "
             "(200, 401)")
        c.close()

        peer = udp_peer()
        pa = peer.getsockname()
        c = Stream(d)
        c.allocate()
        r = bind_channel(c, 0x4001, pa)
        t.ok(r["type"] == 0x0109, "TCP: ChannelBind to a loopback peer")
        c.send(chandata(0x4001, b"five!") + chandata(0x4001, b"eight...") +
               chandata(0x4001, b"x" * 13))
        got = [peer.recvfrom(2048)[0] for _ in range(3)]
        t.ok(got == [b"five!", b"eight...", b"x" * 13],
             "TCP: padded ChannelData (5, 8, 13 bytes) in one segment all "
             "relayed", got)
        c.send(chandata(0x4001, b"1234567", pad=False))
        try:
            got = peer.recvfrom(2048)[0]
        except socket.timeout:
            got = None
        t.ok(got == b"1234567", "TCP: unpadded ChannelData at the end of "
             "the stream is relayed at once", got)
        c.close()

        c = Stream(d)
        c.allocate()
        bind_channel(c, 0x4002, pa)
        c.send(chandata(0x4002, b"abc", pad=False))
        first = peer.recvfrom(2048)[0]
        time.sleep(0.2)
        c.send(b"\0" + chandata(0x4002, b"next frame"))
        try:
            second = peer.recvfrom(2048)[0]
        except socket.timeout:
            second = None
        t.ok(first == b"abc" and second == b"next frame",
             "TCP: padding that comes in a later segment is skipped",
             (first, second))
        c.close()

        c = Stream(d)
        rel = c.allocate()
        bind_channel(c, 0x4003, pa)
        peer.sendto(b"seven!!", rel)
        peer.sendto(b"four", rel)
        f1, f2 = c.frame(), c.frame()
        t.ok(f1 == ("chan", 0x4003, b"seven!!") and
             f2 == ("chan", 0x4003, b"four"),
             "TCP: ChannelData to the client is padded to 4 bytes",
             (f1, f2))
        c.close()

        for name, data in [
                ("oversize STUN length",
                 struct.pack("!HHI", BINDING, 0xFFFC, MAGIC) + b"t" * 12),
                ("oversize ChannelData length",
                 struct.pack("!HH", 0x4000, 0xFFFF) + b"z" * 16),
                ("STUN length not a multiple of 4",
                 struct.pack("!HHI", BINDING, 6, MAGIC) + b"t" * 12),
                ("wrong magic cookie",
                 struct.pack("!HHI", BINDING, 0, 0x12345678) + b"t" * 12),
                ("garbage before a message",
                 b"GARBAGE!" + message(BINDING, [])[0]),
                ("a byte no frame starts with before a message",
                 b"\xff" + message(BINDING, [])[0]),
                ("ChannelData before any allocation",
                 chandata(0x4000, b"data"))]:
            c = Stream(d)
            c.send(data)
            gone = c.closed(3)
            t.ok(gone, "TCP: %s closes the connection at once" % name)
            c.close()
        t.ok('"event":"turn_tcp_bad_frame"' in d.log(),
             "bad frames are security events")

        # -- output cap -------------------------------------------------
        before = metric(d, "meetopia_turn_allocations")
        c = Stream(d, rcvbuf=16384)
        rel = c.allocate()
        bind_channel(c, 0x4004, pa)
        blob = b"m" * 1200
        t0 = time.time()
        sent = 0
        # 24 MB: more than the socket buffers on both sides and the cap.
        while sent < 20000 and time.time() - t0 < 20:
            for _ in range(50):
                peer.sendto(blob, rel)
                sent += 1
            time.sleep(0.002)
        gone = c.closed(10)
        t.ok(gone, "a client that does not read is dropped (%d datagrams "
             "of 1200 bytes sent to it)" % sent)
        t.ok('"event":"slow_consumer"' in d.log(),
             "the dropped slow consumer is a security event")
        deadline = time.time() + 5
        while metric(d, "meetopia_turn_allocations") > before and \
                time.time() < deadline:
            time.sleep(0.1)
        t.ok(metric(d, "meetopia_turn_allocations") == before,
             "its allocation died with it")
        c.close()
        peer.close()

        # -- connection limit per client IP -----------------------------
        conns = []
        try:
            for _ in range(PER_IP):
                conns.append(Stream(d, src="127.0.0.2"))
            answered = sum(1 for k in conns[:PER_IP:16]
                           if binding(k)["type"] == 0x0101)
            extra = Stream(d, src="127.0.0.2")
            refused = extra.closed(3)
            extra.close()
            t.ok(refused and answered == PER_IP // 16,
                 "client IP: %d connections served, the next one closed"
                 % PER_IP, "answered=%d refused=%s" % (answered, refused))
            other = Stream(d, src="127.0.0.9")
            t.ok(binding(other)["type"] == 0x0101,
                 "another client IP is still served")
            other.close()
            conns.pop().close()
            time.sleep(0.3)
            again = Stream(d, src="127.0.0.2")
            t.ok(binding(again)["type"] == 0x0101,
                 "a slot freed by a closed connection is used again")
            again.close()
            t.ok('"event":"turn_tcp_conn_limit"' in d.log(),
                 "the refused connection is a security event")
        finally:
            for k in conns:
                k.close()

        # -- the slow checks -------------------------------------------
        for th in threads:
            th.join(60)

        def took(name, lo, hi):
            v = results.get(name)
            return isinstance(v, float) and lo <= v <= hi, v

        ok1, v = took("silent", FIRST_SECS - 1, FIRST_SECS + 3)
        t.ok(ok1, "a silent TCP connection is dropped after %d s (%s)"
             % (FIRST_SECS, v))
        ok1, v = took("slow", 0, FIRST_SECS + 3)
        t.ok(ok1, "a client sending a byte a second is dropped before its "
             "request is whole (%s)" % v)
        ok1, v = took("tls-silent", FIRST_SECS - 1, FIRST_SECS + 3)
        t.ok(ok1, "a TLS connection without a handshake is dropped after "
             "%d s (%s)" % (FIRST_SECS, v))
        ok1, v = took("no-allocation", NOALLOC_SECS - 1,
                      NOALLOC_SECS + CHECK_SECS + 3)
        t.ok(ok1, "a connection without an allocation is closed after "
             "%d-%d s (%s)" % (NOALLOC_SECS, NOALLOC_SECS + CHECK_SECS, v))
        t.ok(results.get("allocation", "missing") is None,
             "a connection with an allocation stays open (%s)"
             % results.get("allocation", "missing"))
        ok1, v = took("deleted", NOALLOC_SECS - 1,
                      NOALLOC_SECS + 2 * CHECK_SECS + 3)
        t.ok(ok1, "a connection whose allocation was deleted is closed "
             "(%s)" % v)
        t.ok(d.proc.poll() is None, "the daemon is still running")


if __name__ == "__main__":
    Tap().run(main)
