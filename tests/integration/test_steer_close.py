#!/usr/bin/env python3
"""test_steer_close.py - with relay-threads a UDP client with an allocation
has a steering socket of its own (relay/udp_steer.c); when the allocation
goes, what the kernel had already queued on that socket is answered: the
socket is read dry, each datagram handled as the shared listener's, before
it is closed.  Before, it was closed at once and those datagrams were lost
(a client that deletes its allocation and at once allocates again from the
same 5-tuple could lose that Allocate; a Refresh sent as the allocation
was freed got no answer, not its 437).

relay-threads = 4.  Each of 20 rounds: a client allocates (its relayed and
its steering socket: two descriptors more), the daemon is stopped
(SIGSTOP), the client sends a Refresh with LIFETIME 0, 20 Binding
requests (more than one batch of the loop's receive slots, so that the
rest waits in the socket when the Refresh frees it), a Refresh of 600 s
and a new Allocate, all from its one socket, and the daemon goes on
(SIGCONT): every request is answered, the Refresh to 0 with success, the
Bindings, the late Refresh with 437 (the allocation is gone) and the new
Allocate with success.  When the allocations are released the daemon has
as many descriptors open as before them (nothing leaked, nothing closed
twice), and it exits 0 (no sanitizer report).
"""
import os
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, metric, proc_fds  # noqa: E402
from tap import Tap  # noqa: E402
from stun import (A_LIFETIME, A_NONCE, A_REALM, A_TRANSPORT,  # noqa: E402
                  A_USERNAME, ALLOCATE, BINDING, REFRESH, Client, message,
                  parse)
from turnclient import release  # noqa: E402

ROUNDS = 20
BINDINGS = 20       # more than RELAY_BATCH (16) behind the Refresh to 0


def authed(c, method, attrs):
    """(bytes, tid) of a request with c's credentials and nonce."""
    return message(method, attrs + [
        (A_USERNAME, c.user.encode()), (A_REALM, c.realm.encode()),
        (A_NONCE, c.nonce)], key=c.key())


def answers(c, tids, timeout=3.0):
    """{tid: parsed answer} for the tids answered within timeout."""
    got = {}
    deadline = time.time() + timeout
    while len(got) < len(tids) and time.time() < deadline:
        c.s.settimeout(max(0.01, deadline - time.time()))
        try:
            data = c.s.recvfrom(4096)[0]
        except socket.timeout:
            break
        r = parse(data)
        if r["tid"] in tids:
            got[r["tid"]] = r
    c.s.settimeout(2)
    return got


def fds_settle(d, want, timeout=5.0):
    """The daemon's open descriptors once they are want (or at timeout)."""
    deadline = time.time() + timeout
    n = proc_fds(d.proc.pid)
    while n != want and time.time() < deadline:
        time.sleep(0.05)
        n = proc_fds(d.proc.pid)
    return n


def one_round(d, i, base, stats):
    c = Client(d, *d.credential("sc-%d" % i), bind="127.0.0.%d" % (100 + i))
    r = c.allocate()
    if r is None or r["code"] != 0:
        stats["alloc_failed"] += 1
        c.close()
        return
    # Its relayed socket and its steering socket.
    stats["fds"].append(fds_settle(d, base + 2, 1.0) - base)
    r0, t_r0 = authed(c, REFRESH, [(A_LIFETIME, struct.pack("!I", 0))])
    binds = [message(BINDING, []) for _ in range(BINDINGS)]
    r1, t_r1 = authed(c, REFRESH, [(A_LIFETIME, struct.pack("!I", 600))])
    al, t_al = authed(c, ALLOCATE, [(A_TRANSPORT, b"\x11\0\0\0")])
    d.proc.send_signal(signal.SIGSTOP)
    try:
        c.s.sendto(r0, c.server)
        for m, _ in binds:
            c.s.sendto(m, c.server)
        c.s.sendto(r1, c.server)
        c.s.sendto(al, c.server)
        time.sleep(0.02)
    finally:
        d.proc.send_signal(signal.SIGCONT)
    tids = [t_r0] + [t for _, t in binds] + [t_r1, t_al]
    got = answers(c, set(tids))
    code = {t: (got[t]["code"] if t in got else None) for t in tids}
    stats["refresh0"].append(code[t_r0])
    stats["bindings"].append(sum(1 for _, t in binds if code[t] == 0))
    stats["refresh"].append(code[t_r1])
    stats["allocate"].append(code[t_al])
    # The new allocation (if any) goes too, its socket read dry.
    if code[t_al] == 0:
        release(c)
    c.close()


def main(t):
    conf = {"relay-threads": "4", "log-level": "debug", "ip-quota": "0",
            "user-quota": "0"}
    with Daemon(conf=conf) as d:
        time.sleep(0.2)
        base = proc_fds(d.proc.pid)
        stats = {"alloc_failed": 0, "fds": [], "refresh0": [],
                 "bindings": [], "refresh": [], "allocate": []}
        for i in range(ROUNDS):
            one_round(d, i, base, stats)
        t.eq(stats["alloc_failed"], 0, "%d clients allocate" % ROUNDS)
        t.eq(stats["fds"], [2] * ROUNDS, "each allocation opens two "
             "descriptors: its relayed socket and its steering socket")
        t.eq(stats["refresh0"], [0] * ROUNDS, "the Refresh to 0 succeeds "
             "(%d rounds)" % ROUNDS)
        t.eq(stats["bindings"], [BINDINGS] * ROUNDS, "the %d Bindings "
             "queued behind it on the steering socket are all answered"
             % BINDINGS)
        t.eq(stats["refresh"], [437] * ROUNDS, "the Refresh queued on the "
             "closing steering socket gets its 437")
        t.eq(stats["allocate"], [0] * ROUNDS, "the new Allocate from the "
             "same 5-tuple queued on it succeeds")
        deadline = time.time() + 5
        while time.time() < deadline and \
                metric(d, "meetopia_turn_allocations") > 0:
            time.sleep(0.1)
        t.eq(metric(d, "meetopia_turn_allocations"), 0,
             "every allocation is released")
        t.eq(fds_settle(d, base), base, "the daemon's descriptors are "
             "back to what they were before the allocations")
        t.ok("datagrams read from it first" in d.log(), "the debug log "
             "shows closing steering sockets read dry")
        t.ok(d.proc.poll() is None, "the daemon is still running")
        t.eq(d.stop(), 0, "meetopiad exits 0 (no sanitizer report)")


if __name__ == "__main__":
    Tap().run(main)
