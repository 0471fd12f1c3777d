#!/usr/bin/env python3
"""test_turn_security.py - attacks on meetopiad's TURN server over UDP
with the independent client of stun.py (issue: hardening; conformance
IDs A2-A10, S1-S2).

Auth bypass: MESSAGE-INTEGRITY with a wrong key (SHA-1 and SHA-256), a
valid MI over a message changed afterwards, USERNAME and NONCE without MI,
MI without USERNAME, forged far-future and overflowing expiries, a nonce
replayed from another address (another port, another IP), a nonce of
another server (a rotated nonce secret), a good credential on a REALM that
is not ours.  None allocates; each failure is counted.

Amplification (a UDP source address can be spoofed): every unauthenticated
answer is small and bounded whatever the request carries (an error never
echoes the request: UNKNOWN-ATTRIBUTES lists at most what was sent and is
never larger than the request); exactly one datagram answers one request,
retransmissions included; garbage, indications, responses and ChannelData
from strangers get nothing.  Data goes to loopback only.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, metric  # noqa: E402
from tap import Tap  # noqa: E402
from stun import (  # noqa: E402
    ALLOCATE, A_MI, A_MI256, A_NONCE, A_REALM, A_TRANSPORT, A_USERNAME,
    BINDING, ERROR, INDICATION, REFRESH, SUCCESS, Client, chandata,
    long_term_key, message, parse)

TRANSPORT = (A_TRANSPORT, b"\x11\0\0\0")
# An unauthenticated answer: header, ERROR-CODE with its reason, REALM,
# NONCE, SOFTWARE, FINGERPRINT: well under this.
SMALL = 200


def challenge(c):
    """(realm, nonce) of a 401."""
    r = parse(c.raw(message(ALLOCATE, [TRANSPORT])[0]))
    return r["attrs"][A_REALM], r["attrs"][A_NONCE]


def signed(c, realm, nonce, key, user=None, mi=A_MI, tamper=False):
    """An Allocate with USERNAME, REALM, NONCE and an integrity attribute
    of the given kind made with key; tamper flips a byte of REQUESTED-
    TRANSPORT after the MAC is made."""
    user = (user or c.user).encode()
    msg = bytearray(message(ALLOCATE, [TRANSPORT, (A_USERNAME, user),
                                       (A_REALM, realm), (A_NONCE, nonce)],
                            key=key, sha256=(mi == A_MI256))[0])
    if tamper:
        msg[24] ^= 0x01          # REQUESTED-TRANSPORT 17 -> 16
    return bytes(msg)


def lt_key(user, realm, password):
    return long_term_key(user, realm.decode(), password)


def answer_of(c, msg):
    data = c.raw(msg)
    return parse(data) if data is not None else None


def bypass(t, d):
    user, pw = d.credential("eve")
    c = Client(d, user, pw)
    realm, nonce = challenge(c)
    before = metric(d, "meetopia_turn_auth_failures_total")
    good_key = lt_key(user, realm, pw)

    cases = [
        ("MI with a wrong key",
         signed(c, realm, nonce, lt_key(user, realm, "wrong")), 401),
        ("MESSAGE-INTEGRITY-SHA256 with a wrong key",
         signed(c, realm, nonce, lt_key(user, realm, "wrong"),
                mi=A_MI256), 401),
        ("a valid MI over a message changed afterwards",
         signed(c, realm, nonce, good_key, tamper=True), 401),
        ("USERNAME, REALM and NONCE without MI",
         message(ALLOCATE, [TRANSPORT, (A_USERNAME, user.encode()),
                            (A_REALM, realm), (A_NONCE, nonce)])[0], 401),
        ("a far-future expiry with a guessed password",
         signed(c, realm, nonce, lt_key("99999999999:eve", realm, pw),
                user="99999999999:eve"), 401),
        ("an expiry that would overflow",
         signed(c, realm, nonce, lt_key("9" * 30 + ":eve", realm, pw),
                user="9" * 30 + ":eve"), 401),
        ("a good credential on another REALM",
         signed(c, b"evil.example", nonce, lt_key(user, b"evil.example",
                                                   pw)), 401),
    ]
    for name, msg, want in cases:
        r = answer_of(c, msg)
        t.ok(r is not None and r["code"] == want and A_MI not in r["attrs"]
             and A_MI256 not in r["attrs"], "%s: %d without integrity"
             % (name, want), r)
    # MI without USERNAME: 400 (A3).
    msg, _ = message(ALLOCATE, [TRANSPORT], key=good_key)
    r = answer_of(c, msg)
    t.ok(r is not None and r["code"] == 400, "MI without USERNAME: 400", r)

    # The whole signed request replayed from another address (nonces are
    # bound to the client's IP address; another port of the same host may
    # use them, see test_nonce.c).
    o = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    o.bind(("127.0.0.9", 0))
    o.settimeout(2)
    o.sendto(signed(c, realm, nonce, good_key), c.server)
    r = parse(o.recvfrom(4096)[0])
    t.ok(r["code"] == 438 and A_NONCE in r["attrs"] and
         r["attrs"][A_NONCE] != nonce, "a signed request replayed from "
         "another address: 438 with a fresh nonce", r)
    o.close()
    t.eq(metric(d, "meetopia_turn_allocations"), 0, "no attempt allocated")
    t.ok(metric(d, "meetopia_turn_auth_failures_total") - before >= 6,
         "the failures are counted")
    # The real credential still works on the challenged 5-tuple.
    r = answer_of(c, signed(c, realm, nonce, good_key))
    t.ok(r is not None and r["code"] == 0, "the genuine request allocates",
         r)
    c.close()
    return nonce


def other_server_nonce(t, d, nonce):
    """A nonce of a previous daemon (another nonce key) is stale here."""
    user, pw = d.credential("eve")
    c = Client(d, user, pw)
    r = answer_of(c, signed(c, b"meetopia.test", nonce,
                            lt_key(user, b"meetopia.test", pw)))
    t.ok(r is not None and r["code"] == 438, "a nonce of another server "
         "instance: 438", r)
    c.close()


def count_answers(s, wait=0.4):
    s.settimeout(wait)
    got = []
    while True:
        try:
            got.append(s.recvfrom(4096)[0])
        except socket.timeout:
            return got


def amplification(t, d):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    srv = ("127.0.0.1", d.turn_port)

    def exchange(msg, n=1):
        for _ in range(n):
            s.sendto(msg, srv)
        return count_answers(s)

    unknown = [(0x0030 + i, b"u" * 4) for i in range(64)]   # required range
    padded = [(0x8030 + i, b"p" * 400) for i in range(3)]   # optional range
    requests = [
        ("Binding", message(BINDING, [])[0]),
        ("Binding with 1.2 KB of optional attributes",
         message(BINDING, padded)[0]),
        ("Allocate without credentials", message(ALLOCATE, [TRANSPORT])[0]),
        ("Allocate with 1.2 KB of optional attributes",
         message(ALLOCATE, [TRANSPORT] + padded)[0]),
        ("Refresh without credentials", message(REFRESH, [])[0]),
        ("an unknown method", message(0x0F0, [])[0]),
    ]
    for name, msg in requests:
        got = exchange(msg)
        t.ok(len(got) == 1 and len(got[0]) <= SMALL, "%s: one answer of "
             "%s bytes (request %d)" % (name, [len(g) for g in got],
                                        len(msg)))
    msg = message(BINDING, unknown[:40])[0]
    got = exchange(msg)
    t.ok(len(got) == 1 and parse(got[0])["code"] == 420 and
         len(got[0]) <= len(msg) and len(got[0]) <= SMALL,
         "40 unknown required attributes: one 420, small (%s of %d bytes)"
         % ([len(g) for g in got], len(msg)))
    msg = message(BINDING, unknown)[0]
    got = exchange(msg)
    t.ok(len(got) == 1 and parse(got[0])["code"] == 400 and
         len(got[0]) <= SMALL, "64 attributes, too many: one small 400 "
         "(%s of %d bytes)" % ([len(g) for g in got], len(msg)))
    msg = message(ALLOCATE, [TRANSPORT])[0]
    got = exchange(msg, 3)
    t.eq(len(got), 3, "three retransmissions: three answers, not more")
    t.ok(len({g[20:] for g in got}) >= 1 and all(len(g) <= SMALL
                                                  for g in got),
         "each small")

    silent = [
        ("garbage", os.urandom(64)),
        ("a STUN-looking header with a bad cookie",
         message(BINDING, [])[0][:4] + b"\0\0\0\0" + os.urandom(12)),
        ("a Binding indication", message(BINDING, [], cls=INDICATION)[0]),
        ("a Binding success response", message(BINDING, [],
                                               cls=SUCCESS)[0]),
        ("an error response", message(ALLOCATE, [], cls=ERROR)[0]),
        ("ChannelData from a stranger", chandata(0x4000, b"x" * 100)),
        ("a Send indication from a stranger", message(0x006, [],
                                                      cls=INDICATION)[0]),
        ("an empty datagram", b""),
        ("a 2 KB datagram of zeros", b"\0" * 2048),
    ]
    for name, msg in silent:
        got = exchange(msg)
        t.eq(len(got), 0, "%s: no answer" % name)
    got = exchange(message(BINDING, [])[0])
    t.eq(len(got), 1, "still answering")
    s.close()


def main(t):
    d = Daemon()
    with d:
        nonce = bypass(t, d)
        amplification(t, d)
        t.ok(d.proc.poll() is None, "meetopiad alive after the attacks")
    time.sleep(0.1)
    # A second daemon: its nonce key is new (state dir and all).
    with Daemon() as d2:
        other_server_nonce(t, d2, nonce)


if __name__ == "__main__":
    Tap().run(main)
