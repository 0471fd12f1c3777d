#!/usr/bin/env python3
"""test_turn_selfrelay.py - the relay never reaches this host itself
(issue 15, point 2; SPEC "Relay policy"): every address of the host is
denied on every port whatever allowed-peer-ip says, except our own live
relayed addresses, and a permission (which covers a whole IP) is checked
again for each datagram.  Each daemon here opens 127.0.0.0/8 with
allowed-peer-ip, as the tests do for loopback peers.

The attacks, each performed:
- a Binding request through the relay to our own TURN port (Send
  indication, and ChannelData with a wildcard listen), answered before;
- a nested Allocate through the relay, which hid the real client behind
  our relayed address;
- the relay loop: an Allocate nested through an allocation that is
  deleted in the same burst, whose client then is its own relayed
  address, relayed one datagram 1,819 times inside the server;
- another UDP service of this host (a socket of the test on 127.0.0.1)
  reached through the relay;
- with listen = 0.0.0.0 (the clients still talk to 127.0.0.1),
  CreatePermission to 127.0.0.1 at our TURN port and to other addresses
  of this host (the loopback network, the interface addresses).
Our own relayed addresses on 127.0.0.1 stay reachable.  Loopback only:
the interface addresses of the host are asked for as permissions,
nothing is sent to them.
"""
import fcntl
import os
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, free_port, metric  # noqa: E402
from tap import Tap  # noqa: E402
from stun import (  # noqa: E402
    ALLOCATE, A_DATA, A_LIFETIME, A_NONCE, A_PEER, A_REALM,
    A_TRANSPORT, A_USERNAME, BINDING, CREATE_PERMISSION, DATA,
    INDICATION, REFRESH, SEND, Client, chandata, long_term_key, message,
    parse, xaddr)
from turnclient import relayed_of, send_to  # noqa: E402

OPEN = "127.0.0.0/8"
RELAYED = "meetopia_turn_relayed_packets_total"


def allocate(t, c, name, d=None):
    r = c.allocate()
    if not t.ok(r is not None and r["code"] == 0, "%s allocates" % name,
                {"answer": r, "log": d.log()[-2000:] if d else None}):
        raise RuntimeError("no allocation")
    return relayed_of(r)


def received(s, wait=0.8):
    """Every datagram s gets within wait seconds."""
    got, end = [], time.time() + wait
    while True:
        left = end - time.time()
        if left <= 0:
            return got
        s.settimeout(left)
        try:
            got.append(s.recvfrom(65536)[0])
        except socket.timeout:
            return got


def relayed_payloads(c, wait=0.8):
    """What c's allocation received from peers: the DATA of Data
    indications and the payload of ChannelData."""
    out = []
    for d in received(c.s, wait):
        if len(d) >= 4 and 0x40 <= d[0] <= 0x7F:
            n = struct.unpack("!H", d[2:4])[0]
            out.append(d[4:4 + n])
            continue
        if len(d) < 20:
            continue
        r = parse(d)
        if r["type"] == (DATA & 0xF) | ((DATA & 0x70) << 1) | INDICATION \
                and A_DATA in r["attrs"]:
            out.append(r["attrs"][A_DATA])
    return out


def stun_answers(payloads):
    """The STUN responses among relayed payloads (an answer of ours)."""
    return [p for p in payloads if len(p) >= 20 and p[0] in (1, 2)
            and p[4:8] == b"\x21\x12\xa4\x42"]


def signed(c, method, attrs, tid=None, user=None, password=None):
    """A request signed with c's nonce (bound to 127.0.0.1, the IP our
    relayed sockets send from), for c's credential or another one."""
    user = user or c.user
    key = long_term_key(user, c.realm, password or c.password)
    return message(method, attrs + [(A_USERNAME, user.encode()),
                                    (A_REALM, c.realm.encode()),
                                    (A_NONCE, c.nonce)], tid=tid, key=key)[0]


# -- 1, 2, 5: listen = 127.0.0.1 -------------------------------------------

def through_relay(t, d):
    ca = Client(d, *d.credential("mallory"))
    ra = allocate(t, ca, "the attacker")
    turn = ("127.0.0.1", d.turn_port)

    # A permission for 127.0.0.1 would cover every port of it.
    r = ca.permit("127.0.0.1", 9)
    t.ok(r is not None and r["code"] == 403, "CreatePermission to "
         "127.0.0.1:9 (this host, allowed-peer-ip covers it): 403", r)
    r = ca.permit("127.0.0.1", d.turn_port)
    t.ok(r is not None and r["code"] == 403, "CreatePermission to our own "
         "TURN port: 403", r)
    r = ca.bind("127.0.0.1", d.turn_port, 0x4000)
    t.ok(r is not None and r["code"] == 403, "ChannelBind to our own TURN "
         "port: 403", r)

    # 1. A Binding request to our TURN port through the relay.
    send_to(ca, turn, message(BINDING, [])[0])
    got = stun_answers(relayed_payloads(ca))
    t.eq(len(got), 0, "a Binding request sent through the relay (Send) to "
         "our own TURN port: no answer back")
    ca.s.sendto(chandata(0x4000, message(BINDING, [])[0]), ca.server)
    got = stun_answers(relayed_payloads(ca))
    t.eq(len(got), 0, "and through ChannelData: no answer back")

    # 2. A nested Allocate, signed with a good credential and a nonce
    # valid for 127.0.0.1.
    before = metric(d, "meetopia_turn_allocations_total")
    user, pw = d.credential("nested")
    send_to(ca, turn, signed(ca, ALLOCATE, [(A_TRANSPORT, b"\x11\0\0\0")],
                              user=user, password=pw))
    got = stun_answers(relayed_payloads(ca))
    t.eq(len(got), 0, "a nested Allocate through the relay: no answer")
    t.eq(metric(d, "meetopia_turn_allocations_total") - before, 0,
         "and no allocation made with our relayed address as its client")
    t.eq(metric(d, "meetopia_turn_allocations"), 1, "one allocation: the "
         "attacker's own")

    # 5. Another UDP service of this host, and a live relayed address.
    svc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    svc.bind(("127.0.0.1", 0))
    sp = svc.getsockname()
    r = ca.permit(*sp)
    t.ok(r is not None and r["code"] == 403, "CreatePermission to another "
         "UDP service of this host (127.0.0.1:%d): 403" % sp[1], r)
    cb = Client(d, *d.credential("bob"))
    rb = allocate(t, cb, "a second client")
    r1, r2 = ca.permit(*rb), cb.permit(*ra)
    t.ok(r1 is not None and r1["code"] == 0 and r2 is not None and
         r2["code"] == 0, "mutual permissions for our own relayed addresses "
         "on 127.0.0.1")
    before = metric(d, RELAYED)
    send_to(ca, sp, b"to the service")
    r = ca.bind(sp[0], sp[1], 0x4001)
    t.ok(r is not None and r["code"] == 403, "ChannelBind to it: 403", r)
    ca.s.sendto(chandata(0x4001, b"cd to the service"), ca.server)
    # A port of the relay range that is no live relayed address.
    free = next(p for p in range(d.min_port, d.max_port + 1)
                if p not in (ra[1], rb[1]))
    send_to(ca, ("127.0.0.1", free), b"to a free relay port")
    t.eq(received(svc), [], "Send and ChannelData to a host address at a "
         "port that is no live relayed address: the service gets nothing")
    t.eq(metric(d, RELAYED) - before, 0, "nothing relayed")
    send_to(ca, rb, b"to bob")
    t.ok(b"to bob" in relayed_payloads(cb), "Send to the live relayed "
         "address of another allocation: delivered")
    svc.close()
    ca.close()
    cb.close()


# -- 3: the relay loop ------------------------------------------------------

def relay_loop(t):
    port = free_port()
    conf = {"allowed-peer-ip": OPEN, "relay-threads": "1",
            "min-port": str(port), "max-port": str(port)}
    with Daemon(conf=conf) as d:
        ca = Client(d, *d.credential("looper"))
        ra = allocate(t, ca, "the attacker (one relay port)")
        ca.permit("127.0.0.1", 9)       # 403 now; it made the loop go
        turn = ("127.0.0.1", d.turn_port)
        user, pw = d.credential("inner")
        tid = os.urandom(12)
        perm = signed(ca, CREATE_PERMISSION,
                      [(A_PEER, xaddr("127.0.0.1", 9, tid)),
                       (A_PEER, xaddr(ra[0], ra[1], tid))],
                      tid=tid, user=user, password=pw)
        tid = os.urandom(12)
        send = message(SEND, [(A_PEER, xaddr(ra[0], ra[1], tid)),
                              (A_DATA, b"x")], tid=tid, cls=INDICATION)[0]
        before = metric(d, RELAYED)
        # One burst: the nested Allocate, its permissions and one
        # datagram to its relayed address (the port the outer allocation
        # frees), then the outer allocation deleted; read in one batch
        # (the daemon is stopped while it is sent).
        d.signal(signal.SIGSTOP)
        for m in (signed(ca, ALLOCATE, [(A_TRANSPORT, b"\x11\0\0\0")],
                         user=user, password=pw), perm, send):
            send_to(ca, turn, m)
        ca.s.sendto(signed(ca, REFRESH, [(A_LIFETIME, b"\0\0\0\0")]),
                    ca.server)
        d.signal(signal.SIGCONT)
        time.sleep(1.5)
        n = metric(d, RELAYED) - before
        t.ok(n <= 2, "the relay-loop burst relays nothing (%d packets; "
             "5,456 before the fix)" % n)
        t.eq(metric(d, "meetopia_turn_allocations"), 0, "no allocation is "
             "left: the nested one was never made")
        t.ok(d.proc.poll() is None, "the daemon is alive")
        ca.close()


# -- 4: listen = 0.0.0.0 ----------------------------------------------------

def interface_v4():
    """The IPv4 addresses of this host's interfaces but loopback."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out = []
    for _, name in socket.if_nameindex():
        try:
            r = fcntl.ioctl(s.fileno(), 0x8915,         # SIOCGIFADDR
                            struct.pack("256s", name.encode()[:15]))
        except OSError:
            continue
        ip = socket.inet_ntoa(r[20:24])
        if not ip.startswith("127."):
            out.append(ip)
    s.close()
    return out


def wildcard(t):
    ifs = interface_v4()
    # Ports free on the wildcard: a port free on 127.0.0.1 alone may be
    # held on another loopback address by a parallel test.
    conf = {"listen": "0.0.0.0", "relay-ip": "127.0.0.1",
            "turn-port": str(free_port(host="0.0.0.0")),
            "http-port": str(free_port(udp_too=False, host="0.0.0.0")),
            "allowed-peer-ip": [OPEN] + ["%s/32" % ip for ip in ifs]}
    with Daemon(conf=conf) as d:
        c = Client(d, *d.credential("wild"))
        ra = allocate(t, c, "a client of 127.0.0.1", d)
        t.eq(ra[0], "127.0.0.1", "the relayed address is relay-ip")
        for ip, port, what in [
                ("127.0.0.1", d.turn_port, "our TURN port on 127.0.0.1"),
                ("127.0.0.1", d.http_port, "our HTTP port on 127.0.0.1"),
                ("127.0.0.1", 53, "127.0.0.1:53"),
                ("127.0.0.5", d.turn_port, "127.0.0.5, the loopback network "
                 "(it reaches the wildcard listener)")] + \
                [(ip, d.turn_port, "the interface address %s" % ip)
                 for ip in ifs]:
            r = c.permit(ip, port)
            t.ok(r is not None and r["code"] == 403, "listen 0.0.0.0: "
                 "CreatePermission to %s: 403" % what, r)
        r = c.bind("127.0.0.1", d.turn_port, 0x4000)
        t.ok(r is not None and r["code"] == 403, "listen 0.0.0.0: "
             "ChannelBind to our TURN port: 403", r)
        c.s.sendto(chandata(0x4000, message(BINDING, [])[0]), c.server)
        t.eq(len(stun_answers(relayed_payloads(c))), 0, "a Binding through "
             "ChannelData to our TURN port: no answer back")
        c2 = Client(d, *d.credential("wild2"))
        r2 = allocate(t, c2, "a second client")
        r = c.permit(*r2)
        t.ok(r is not None and r["code"] == 0, "a live relayed address of "
             "ours is still a peer", r)
        c.close()
        c2.close()


def main(t):
    with Daemon(conf={"allowed-peer-ip": OPEN}) as d:
        through_relay(t, d)
        t.ok(d.proc.poll() is None, "the daemon is alive")
    relay_loop(t)
    wildcard(t)


if __name__ == "__main__":
    Tap().run(main)
