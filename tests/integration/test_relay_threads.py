#!/usr/bin/env python3
"""test_relay_threads.py - relay-threads: the relay on worker threads, each
with its own event loop and UDP listener on turn-port (SO_REUSEPORT), and
what must hold across them (SPEC relay-threads; issue 8).

With relay-threads = 4 the daemon runs threads relay-1..relay-4, the kernel
spreads clients over them (the debug log names the loop of every
allocation), and everything the loops share works whichever loop a client
lands on: media between two allocations on different loops (ChannelData
and Send, both ways, nothing dropped), EVEN-PORT reservations taken on
another loop, quotas per user and in total counted over all loops and
given back when an allocation on any loop goes, a reload that reaches
every loop, and pair-permissions between signaling partners on different
loops (a stranger refused, the pair's permission dead after "next").
relay-threads = 1 runs one worker thread, and a second daemon cannot join
the workers' port through SO_REUSEPORT.  relay-threads = 0 (the default)
counts the CPUs the daemon may run on: under taskset -c 0 it runs no
worker thread (one event loop) and its log says why, on two CPUs one
worker; relay-threads = 2 runs two workers under taskset -c 0 all the
same.  Loopback only; the only peers are
our own relayed addresses.
"""
import asyncio
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, metric  # noqa: E402
from tap import Tap  # noqa: E402
from stun import A_EVEN_PORT, A_RESV_TOKEN, chandata  # noqa: E402
from turnclient import (allocate, check_next, check_pair,  # noqa: E402
                        loop_of, receive, release, send_to, turn_client)
from wsclient import matched_and_waiting  # noqa: E402


# Clients whose allocations live on stay open until their daemon stops: a
# closed socket's port may come back to a new client, whose 5-tuple would
# then name the old allocation (437 Allocation Mismatch).
HELD = []


def hold(*clients):
    HELD.extend(c for c in clients if c is not None)


def close_held():
    while HELD:
        HELD.pop().close()


def thread_names(pid):
    names = set()
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                names.add(f.read().strip())
        except OSError:
            pass
    return names


def channel_pair(t, x, rx, y, ry, n=20):
    """Binds a channel each way and sends n ChannelData each way; the
    number received at (x, y)."""
    for c, peer in ((x, ry), (y, rx)):
        r = c.bind(peer[0], peer[1], 0x4000)
        if r is None or r["code"] != 0:
            return (-1, -1)
    got = []
    for src, dst in ((x, y), (y, x)):
        for i in range(n):
            src.s.sendto(chandata(0x4000, b"m%03d" % i), src.server)
        seen = set()
        dst.s.settimeout(1.0)
        try:
            while len(seen) < n:
                data = dst.s.recvfrom(4096)[0]
                num, ln = struct.unpack("!HH", data[:4])
                if num == 0x4000:
                    seen.add(data[4:4 + ln])
        except socket.timeout:
            pass
        dst.s.settimeout(2)
        got.append(len(seen))
    return tuple(got)


def spread_and_relay(t, d):
    names = thread_names(d.proc.pid)
    t.ok({"relay-1", "relay-2", "relay-3", "relay-4"} <= names,
         "relay-threads = 4: threads relay-1 to relay-4 run", sorted(names))
    t.ok("4 worker threads" in d.log(), "the start-up log says so")

    clients = [allocate(d, "spread-%d" % i) for i in range(32)]
    t.ok(all(rel for _, _, rel in clients), "32 allocations from 32 client "
         "ports")
    where = [loop_of(d, rel) if rel else None for _, _, rel in clients]
    t.ok(None not in where and set(where) <= {1, 2, 3, 4},
         "each allocation is on a worker loop", where)
    t.ok(len(set(where)) >= 2, "the kernel spreads clients over the "
         "loops (%d of 4 used)" % len(set(where)))

    # Pairs across loops and on one loop.
    cross, same, used = [], [], set()
    for i in range(32):
        for j in range(i + 1, 32):
            if i in used or j in used:
                continue
            if where[i] != where[j] and len(cross) < 6:
                cross.append((i, j))
                used |= {i, j}
            elif where[i] == where[j] and len(same) < 2:
                same.append((i, j))
                used |= {i, j}
    t.ok(len(cross) >= 1, "pairs of allocations on different loops")
    for kind, pairs in (("different loops", cross), ("one loop", same)):
        for i, j in pairs:
            (x, _, rx), (y, _, ry) = clients[i], clients[j]
            got = channel_pair(t, x, rx, y, ry)
            t.eq(got, (20, 20), "ChannelData both ways between loops %d "
                 "and %d (%s): all 20 each way" % (where[i], where[j], kind))
    if cross:
        # Larger than a hand-off slot holds inline (1500 bytes).
        (x, _, rx), (y, _, ry) = clients[cross[0][0]], clients[cross[0][1]]
        big = os.urandom(4000)
        x.s.sendto(chandata(0x4000, big), x.server)
        try:
            data = y.s.recvfrom(8192)[0]
        except socket.timeout:
            data = b""
        t.eq(data[4:4 + 4000], big, "a 4000-byte datagram crosses loops "
             "whole")

    # Send and Data indications (no channel) between two loops.
    rest = [i for i in range(32) if i not in used]
    pair = next(((i, j) for i in rest for j in rest
                 if where[i] != where[j]), None)
    t.ok(pair is not None, "another pair across loops, without channels")
    if pair:
        (x, _, rx), (y, _, ry) = clients[pair[0]], clients[pair[1]]
        t.eq((x.permit(*ry) or {}).get("code"), 0, "CreatePermission for "
             "a relayed address on another loop")
        t.eq((y.permit(*rx) or {}).get("code"), 0, "and back")
        send_to(x, ry, b"send across loops")
        t.eq(receive(y), b"send across loops",
             "a Send indication to a relayed address on another loop "
             "arrives as a Data indication")
        send_to(y, rx, b"and back")
        t.eq(receive(x), b"and back", "and the other way")
    t.eq(metric(d, "meetopia_turn_handoff_dropped_total"), 0,
         "nothing dropped between loops")
    hold(*(c for c, _, _ in clients))


def reservations(t, d):
    crossed = ok = 0
    rounds = 8
    why = []
    for k in range(rounds):
        c, r, rel = allocate(d, "even-%d" % k,
                             extra=[(A_EVEN_PORT, b"\x80")])
        if rel is None or A_RESV_TOKEN not in r["attrs"]:
            t.ok(False, "EVEN-PORT R=1: an even port and a token", r)
            return
        token = r["attrs"][A_RESV_TOKEN]
        taker, r2, rel2 = allocate(d, "taker-%d" % k,
                                   extra=[(A_RESV_TOKEN, token)])
        again, r3, _ = allocate(d, "again-%d" % k,
                                extra=[(A_RESV_TOKEN, token)])
        if rel[1] % 2 == 0 and rel2 and rel2[1] == rel[1] + 1 and \
                r3 is not None and r3["code"] == 508:
            ok += 1
        else:
            why.append("round %d: reserved %r, taker %r (%s), again %s"
                       % (k, rel, rel2, r2 and r2["code"], r3 and r3["code"]))
        if rel2 and loop_of(d, rel) != loop_of(d, rel2):
            crossed += 1
        hold(c, taker, again)
    t.ok(ok == rounds, "EVEN-PORT R=1: the token gives the port above to "
         "the next Allocate, once (%d rounds)" % rounds, "\n".join(why))
    t.ok(crossed >= 1, "reservations taken on another loop than the one "
         "that made them (%d of %d)" % (crossed, rounds))


def reload_reaches_loops(t, d):
    new = "a-new-secret-for-every-loop-0123"
    old = d.secret
    d.conf.update({"auth-secret": new, "turn-port": str(d.turn_port),
                   "http-port": str(d.http_port),
                   "min-port": str(d.min_port), "max-port": str(d.max_port)})
    n = d.log().count("configuration reloaded")
    d._write_conf()
    d.signal(signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline and \
            d.log().count("configuration reloaded") <= n:
        time.sleep(0.05)
    good = [allocate(d, "new-%d" % i, secret=new) for i in range(16)]
    bad = [allocate(d, "old-%d" % i, secret=old) for i in range(16)]
    t.ok(all(rel for _, _, rel in good), "after SIGHUP the new secret "
         "works on every loop (16 clients, loops %s)"
         % sorted({loop_of(d, rel) for _, _, rel in good if rel}),
         ["%d: %s" % (i, r and r["code"]) for i, (_, r, rel)
          in enumerate(good) if not rel])
    t.ok(all(r is not None and r["code"] == 401 for _, r, _ in bad),
         "and the removed one is refused on every loop")
    hold(*(c for c, _, _ in good + bad))
    d.secret = new


async def partners(t, d):
    """test_pair_permissions' checks with a's and b's allocations on
    different loops."""
    a, b, c, ma, mb = await matched_and_waiting(d)
    ta, ra = turn_client(d, ma["iceServers"][0])
    tb = rb = None
    for _ in range(16):             # b's allocation on another loop
        x, rx = turn_client(d, mb["iceServers"][0])
        if rx is None or ra is None:
            x.close()
            break
        if loop_of(d, rx) != loop_of(d, ra):
            tb, rb = x, rx
            break
        release(x)
        x.close()
    tc, rc = turn_client(d, c.welcome["iceServers"][0])
    t.ok(ra and rb and rc, "partners with allocations on different loops "
         "(%s, %s)" % (ra and loop_of(d, ra), rb and loop_of(d, rb)))
    if ra and rb and rc:
        check_pair(t, ta, ra, tb, rb, tc, rc, " (across loops)")
        await check_next(t, a, b, ta, ra, tb, rb, " (across loops)")
    hold(ta, tb, tc)
    for w in (a, b, c):
        await w.ws.close()


def quotas(t):
    conf = {"relay-threads": "4", "user-quota": "3", "total-quota": "6",
            "log-level": "debug"}
    with Daemon(conf=conf) as d:
        now = int(time.time())

        def burst(user, n, first_ip):
            # One username per user (user-quota counts usernames): the
            # credentials' expiry must not move on during a burst.
            out = [allocate(d, user, bind="127.0.0.%d" % (first_ip + i),
                            now=now)
                   for i in range(n)]
            return out, [r["code"] if r else None for _, r, _ in out]

        u, codes = burst("u", 8, 10)
        t.eq(sorted(codes), [0] * 3 + [486] * 5, "user-quota 3 over all "
             "loops: 3 of 8 Allocates succeed, 5 get 486")
        v, codes = burst("v", 8, 30)
        t.eq(sorted(codes), [0] * 3 + [486] * 5, "a second user: 3 more")
        w, codes = burst("w", 4, 50)
        t.eq(codes, [508] * 4, "total-quota 6 over all loops: then 508")
        t.eq(metric(d, "meetopia_turn_allocations"), 6, "6 allocations")
        held = [c for c, _, rel in u if rel]
        t.ok(release(held[0]), "one of u's allocations is deleted")
        x, codes = burst("w", 1, 60)
        t.eq(codes, [0], "its counts are given back whatever its loop: "
             "another user allocates")
        for c, _, _ in u + v + w + x:
            c.close()
        t.eq(d.stop(), 0, "stops cleanly with worker threads")


def second_daemon(t, d):
    """SO_REUSEPORT must not let a second daemon join the first's port."""
    other = Daemon(conf={"relay-threads": "4",
                         "turn-port": str(d.turn_port)}, wait_ready=False)
    with other:
        try:
            rc = other.proc.wait(10)
        except Exception:
            rc = None
        t.eq(rc, 1, "a second daemon on the same turn-port exits 1")
        t.ok("turn-port: cannot bind" in other.log() and
             "in use" in other.log(), "refused at the UDP bind, before "
             "any worker socket joined the port", other.log()[-300:])
    c, r, rel = allocate(d, "still-here")
    t.ok(rel is not None, "the first daemon still serves")
    hold(c)


def listener_buffers(t, d):
    """Each worker's UDP listener on turn-port takes every client's
    datagrams: run with CAP_NET_ADMIN (root), the daemon gives it a 16 MiB
    receive buffer past net.core.rmem_max (the kernel shows it doubled)."""
    out = subprocess.run(["ss", "-uanmH", "sport = :%d" % d.turn_port],
                         capture_output=True, text=True, timeout=10).stdout
    rbs, cur = [], None
    for line in out.splitlines():
        if line[:1].strip():        # a socket line: local, then peer
            cols = line.split()
            cur = cols[-1] in ("*:*", "0.0.0.0:*", "[::]:*")
        elif cur:
            m = re.search(r"\brb(\d+)", line)
            if m:
                rbs.append(int(m.group(1)))
    t.eq(len(rbs), 4, "ss shows the 4 workers' listeners on turn-port")
    if os.geteuid() == 0:
        t.ok(rbs and min(rbs) >= 2 * 16 * 1024 * 1024, "as root each has a "
             "16 MiB receive buffer", rbs)
    else:
        t.diag("not root: the listeners' buffers are capped by rmem_max")


def auto_threads(t):
    """relay-threads 0 resolves from sched_getaffinity: taskset counts."""
    one_cpu = ["taskset", "-c", "0"]
    with Daemon(conf={"relay-threads": "0"}, prefix=one_cpu) as d:
        names = thread_names(d.proc.pid)
        t.ok(not any(n.startswith("relay-") for n in names),
             "relay-threads = 0 under taskset -c 0: no worker thread",
             sorted(names))
        t.ok("one event loop (relay-threads 0: 1 CPU to run on)" in d.log(),
             "the start-up log names the count and why")
        c, r, rel = allocate(d, "auto")
        t.ok(rel is not None, "and it relays")
        c.close()
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        two = ["taskset", "-c", "%d,%d" % (cpus[0], cpus[1])]
        with Daemon(conf={"relay-threads": "0"}, prefix=two) as d:
            names = thread_names(d.proc.pid)
            t.ok("relay-1" in names and "relay-2" not in names,
                 "relay-threads = 0 on two CPUs: one worker thread",
                 sorted(names))
            t.ok("1 worker thread (relay-threads 0: 2 CPUs to run on;"
                 in d.log(), "the start-up log names the count and why")
            c, r, rel = allocate(d, "auto-two")
            t.ok(rel is not None, "and it relays")
            c.close()
    else:
        t.diag("relay-threads = 0 on two CPUs: not checked, one CPU here")
    with Daemon(conf={"relay-threads": "2"}, prefix=one_cpu) as d:
        names = thread_names(d.proc.pid)
        t.ok({"relay-1", "relay-2"} <= names and "relay-3" not in names,
             "relay-threads = 2 under taskset -c 0: threads relay-1 and "
             "relay-2", sorted(names))
        t.ok("2 worker threads (relay-threads 2;" in d.log(),
             "the start-up log says so")


def main(t):
    # Well over ip-quota allocations from 127.0.0.1 (closed sockets leave
    # theirs until they expire): no quota here, quotas() tests them.
    conf = {"relay-threads": "4", "log-level": "debug", "user-quota": "0",
            "ip-quota": "0"}
    with Daemon(conf=conf) as d:
        listener_buffers(t, d)
        second_daemon(t, d)
        spread_and_relay(t, d)
        reservations(t, d)
        asyncio.run(partners(t, d))
        reload_reaches_loops(t, d)
        t.ok(d.proc.poll() is None, "the daemon is still running")
        t.eq(d.stop(), 0, "SIGTERM: exit 0 (workers joined, nothing "
             "leaked under the sanitizers)")
    close_held()
    quotas(t)
    with Daemon(conf={"relay-threads": "1"}) as d:
        names = thread_names(d.proc.pid)
        t.ok("relay-1" in names and "relay-2" not in names,
             "relay-threads = 1: one worker thread, relay-1", sorted(names))
        t.ok("1 worker thread (relay-threads 1;" in d.log(),
             "the start-up log says so")
        c, r, rel = allocate(d, "one-worker")
        t.ok(rel is not None, "and it relays")
        c.close()
    auto_threads(t)


if __name__ == "__main__":
    Tap().run(main)
