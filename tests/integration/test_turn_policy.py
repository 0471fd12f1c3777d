#!/usr/bin/env python3
"""test_turn_policy.py - meetopiad's TURN server over UDP with a small
independent STUN client (stdlib only): long-term credentials (401 with REALM
and NONCE, expired / forged / other-secret credentials refused with 401,
rotation: several secrets verify), the peer policy (every default denied
range and the IPv6 forms that embed a denied IPv4 address refused with 403
on CreatePermission and ChannelBind, with a security event and a counter;
permissions only, no data is ever sent to them), our
own relayed addresses exempt, IPv4 relays for clients over IPv6, and bad
input dropped without killing the daemon.
"""
import hashlib
import hmac
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, rest_credential, metric  # noqa: E402
from tap import Tap  # noqa: E402
from stun import (  # noqa: E402
    ALLOCATE, A_FP, A_LIFETIME, A_MAPPED, A_MI, A_NONCE, A_RAF, A_REALM,
    A_RELAYED, A_TRANSPORT, A_USERNAME, BINDING, REFRESH, Client, message,
    parse, unxaddr)


# SPEC's denied ranges: first and last address of each, and IPv4 embedded
# in IPv6.  Only permissions are asked for; nothing is sent to them.
DENIED_V4 = ["0.0.0.1", "0.255.255.255", "10.0.0.1", "10.255.255.254",
             "100.64.0.1", "100.127.255.254", "127.0.0.2", "127.255.255.254",
             "169.254.0.1", "169.254.255.254", "172.16.0.1",
             "172.31.255.254", "192.0.0.1", "192.0.0.254", "192.168.0.1",
             "192.168.255.254", "198.18.0.1", "198.19.255.254", "224.0.0.1",
             "239.255.255.254", "240.0.0.1", "255.255.255.254",
             "255.255.255.255"]
DENIED_V6 = ["::", "::1", "fc00::1", "fdff::1", "fe80::1", "febf::1",
             "ff02::1", "ff0e::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
             "::ffff:192.168.1.1", "64:ff9b::7f00:1", "64:ff9b::a00:1",
             "2002:7f00:1::1", "2002:c0a8:101::1", "2002:a9fe:101::1",
             # IPv4-compatible, IPv4-translated, local-use NAT64 in its
             # /96, /48, /56 and /64 layouts (RFC 6052 §2.2): issue 15.
             "::10.0.0.1", "::192.168.1.1", "::ffff:0:10.0.0.1",
             "::ffff:0:127.0.0.1", "64:ff9b:1::a00:1", "64:ff9b:1::7f00:1",
             "64:ff9b:1:a00:0:100::", "64:ff9b:1:c0a8:0:100::",
             "64:ff9b:1:a:0:1::", "64:ff9b:1:0:a:0:100:0"]


def bad_fingerprint(m):
    """m with its FINGERPRINT's last byte flipped (setting it to 0 left
    one message in 256 valid)."""
    return m[:-1] + bytes([m[-1] ^ 0xFF])


def main(t):
    old_secret = "an-older-secret-still-valid-0123"
    conf = {"auth-secret": [Daemon.SECRET, old_secret],
            "listen": ["127.0.0.1", "::1"]}
    daemon = Daemon(conf=conf)
    daemon.secret = Daemon.SECRET       # the first one signs
    with daemon as d:
        # Binding, without credentials.
        c = Client(d, *d.credential("alice"))
        msg, tid = message(BINDING, [])
        r = parse(c.raw(msg))
        t.ok(r["type"] == 0x0101 and A_MAPPED in r["attrs"] and
             unxaddr(r["attrs"][A_MAPPED], tid) == c.s.getsockname(),
             "Binding: XOR-MAPPED-ADDRESS is our address")

        # The 401 challenge.
        msg, tid = message(ALLOCATE, [(A_TRANSPORT, b"\x11\0\0\0")])
        r = parse(c.raw(msg))
        t.ok(r["code"] == 401 and A_REALM in r["attrs"] and
             A_NONCE in r["attrs"] and A_MI not in r["attrs"],
             "Allocate without credentials: 401 with REALM and NONCE, no MI")
        t.eq(r["attrs"].get(A_REALM), b"meetopia.test", "the realm")
        t.eq(metric(d, "meetopia_turn_allocations"), 0,
             "an unauthenticated request allocates nothing")

        # Expired, forged, other-secret credentials: 401.
        for name, (user, pw) in [
                ("expired", rest_credential(d.secret, "x", ttl=-10)),
                ("forged", (d.credential("x")[0], "Zm9yZ2VkLXBhc3N3b3JkLXh4eA==")),
                ("other secret", rest_credential("some-other-secret-0123456",
                                                 "x")),
                ("not EXPIRY:ID", ("alice", "whatever"))]:
            bad = Client(d, user, pw)
            r = bad.allocate()
            t.ok(r is not None and r["code"] == 401 and A_MI not in r["attrs"],
                 "%s credential: 401" % name, r)
            bad.close()
        t.ok(metric(d, "meetopia_turn_auth_failures_total") >= 4,
             "auth failures counted")
        log = d.log()
        t.ok('"event":"turn_auth_expired"' in log and
             '"event":"turn_auth_failed"' in log,
             "auth failures are security events")

        # Rotation: a credential of the second secret works.
        user, pw = rest_credential(old_secret, "rotated")
        rot = Client(d, user, pw)
        r = rot.allocate()
        t.ok(r is not None and r["code"] == 0, "a credential of the second "
             "auth-secret allocates (rotation)", r)
        rot.close()

        # A good allocation; the success is integrity-protected.
        r = c.allocate()
        t.ok(r is not None and r["code"] == 0 and A_RELAYED in r["attrs"],
             "Allocate with a credential succeeds", r)
        key = c.key()
        data = c.raw(message(REFRESH, [(A_LIFETIME, struct.pack("!I", 600)),
                                       (A_USERNAME, c.user.encode()),
                                       (A_REALM, c.realm.encode()),
                                       (A_NONCE, c.nonce)], key=key)[0])
        mi_at = data.find(struct.pack("!HH", A_MI, 20), 20)
        hdr = data[:2] + struct.pack("!H", mi_at + 24 - 20) + data[4:20]
        want = hmac.new(key, hdr + data[20:mi_at], hashlib.sha1).digest()
        t.ok(mi_at > 0 and data[mi_at + 4:mi_at + 24] == want,
             "Refresh success carries a MESSAGE-INTEGRITY we can check")
        relay_ip, relay_port = unxaddr(r["attrs"][A_RELAYED], r["tid_sent"])
        t.ok(relay_ip == "127.0.0.1" and d.min_port <= relay_port <= d.max_port,
             "relayed address on loopback in the port range")

        # The peer policy: every denied range refused, permissions only.
        denied = 0
        for ip in DENIED_V4:
            r = c.permit(ip)
            if r is not None and r["code"] == 403:
                denied += 1
            else:
                t.diag("CreatePermission %s: %s" % (ip, r))
        t.eq(denied, len(DENIED_V4), "CreatePermission to each denied IPv4 "
             "range edge: 403")
        r = c.bind("10.1.2.3", 9, 0x4001)
        t.ok(r is not None and r["code"] == 403, "ChannelBind to a denied "
             "peer: 403")
        r = c.permit("203.0.113.9")
        t.ok(r is not None and r["code"] == 0, "a public peer is allowed "
             "(permission only; nothing sent)")
        # An IPv6 allocation for the IPv6 denied ranges.
        c6 = Client(d, *d.credential("bob"), host="::1")
        r = c6.allocate([(A_RAF, b"\x02\0\0\0")])
        t.ok(r is not None and r["code"] == 0, "an IPv6 relay for a client "
             "over IPv6", r)
        denied = 0
        for ip in DENIED_V6:
            r = c6.permit(ip)
            if r is not None and r["code"] == 403:
                denied += 1
            else:
                t.diag("CreatePermission %s: %s" % (ip, r))
        t.eq(denied, len(DENIED_V6), "CreatePermission to each denied IPv6 "
             "range and embedded IPv4 form: 403")
        r = c6.permit("127.0.0.2")
        t.ok(r is not None and r["code"] == 443, "an IPv4 peer on an IPv6 "
             "allocation: 443")
        t.ok(metric(d, "meetopia_turn_peer_denied_total") >=
             len(DENIED_V4) + len(DENIED_V6) + 1, "refused peers counted")
        t.ok('"event":"turn_peer_denied"' in d.log(), "refused peers are "
             "security events")

        # A client over IPv6 gets an IPv4 relay by default (RFC 8656).
        c64 = Client(d, *d.credential("carol"), host="::1")
        r = c64.allocate()
        t.ok(r is not None and r["code"] == 0 and
             unxaddr(r["attrs"][A_RELAYED], r["tid_sent"])[0] == "127.0.0.1",
             "a client over [::1] without REQUESTED-ADDRESS-FAMILY gets an "
             "IPv4 relay", r)

        # Our own relayed address is exempt from the deny list (127/8).
        r = c64.permit(relay_ip, relay_port)
        t.ok(r is not None and r["code"] == 0, "a permission for our own "
             "relayed address (127.0.0.1) is granted", r)
        r = c64.permit(relay_ip, d.max_port + 1)
        t.ok(r is not None and r["code"] == 403, "but not for 127.0.0.1 at "
             "a port that is not an allocation")

        # Bad input: dropped, the daemon keeps serving.
        good, _ = message(BINDING, [])
        bad_inputs = [
            good[:19],                                     # truncated header
            good[:2] + b"\0\x08" + good[4:],               # length past end
            good[:4] + b"\x21\x12\xa4\x43" + good[8:],     # wrong cookie
            b"\xc0" + good[1:],                            # top bits
            message(BINDING, [])[0][:2] + b"\0\x08" +      # attr overflows
            good[4:20] + struct.pack("!HH", 0x8022, 0xffff) + b"abcd",
            message(BINDING, [(A_MI, b"\0" * 20), (0x8022, b"x")],
                    fingerprint=False)[0],                 # MI not last
            bad_fingerprint(message(BINDING, [], fingerprint=True)[0]),
            b"\x40\x00\xff\xff" + b"x" * 8,                # ChannelData, long
            b"\xff" * 3,
        ]
        answered = 0
        for b in bad_inputs:
            c.s.sendto(b, c.server)
        c.s.settimeout(0.5)
        while True:
            try:
                data = c.s.recvfrom(4096)[0]
                answered += 1
                r = parse(data)
                t.diag("answer to bad input: type 0x%04x code %d"
                       % (r["type"], r["code"]))
            except socket.timeout:
                break
        # "MI not last" is a well-formed Binding (attributes after MI are
        # ignored): it is answered; everything else is dropped.
        t.eq(answered, 1, "malformed messages dropped; the one whose "
             "attributes follow MI answered (they are ignored)")
        msg, tid = message(BINDING, [], fingerprint=True)
        data = c.raw(msg)
        t.ok(data is not None and parse(data)["type"] == 0x0101 and
             data[-8:-6] == struct.pack("!H", A_FP),
             "still serving; FINGERPRINT answered with FINGERPRINT")
        for x in (c, c6, c64):
            x.close()


if __name__ == "__main__":
    Tap().run(main)
