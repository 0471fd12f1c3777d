#!/usr/bin/env python3
"""The daemon stops while clients flood CreatePermission between two
partners' allocations (issue 15, point 4).

Each CreatePermission for a partner's relayed address asks signaling's
pair table from a relay worker thread (the pair hook).  The stop must join
the relay's workers before it frees signaling: a worker that asked the pair
table after it was freed read freed memory (AddressSanitizer:
heap-use-after-free in sig_are_partners on a relay thread).  Each round
starts a daemon with worker threads, pairs two WebSocket clients, gives
each one allocations with its session credentials, floods CreatePermission
from a few clients and sends SIGTERM twice (the second stops at once);
the daemon must exit 0, with no sanitizer report (exit 99).  A SIGHUP in
the middle of the flood checks that a reload under the same load is
harmless too.  Bounded: a few rounds, each under a few seconds.  Loopback
only; the peers are our own relayed addresses."""

import asyncio
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from stun import (A_NONCE, A_PEER, A_REALM, A_USERNAME,  # noqa: E402
                  CREATE_PERMISSION, message, xaddr)
from turnclient import turn_client  # noqa: E402
from wsclient import matched_and_waiting  # noqa: E402

ROUNDS = 4
FLOOD_S = 0.4          # flood before the stop signal
BUDGET_S = 18          # the whole test stays under 20 s


def prebuilt(c, peer, n=64):
    """n signed CreatePermission requests of client c for peer (XOR
    addresses depend on the transaction ID: one message per ID)."""
    out = []
    for _ in range(n):
        tid = os.urandom(12)
        msg, _ = message(CREATE_PERMISSION,
                         [(A_PEER, xaddr(peer[0], peer[1], tid)),
                          (A_USERNAME, c.user.encode()),
                          (A_REALM, c.realm.encode()), (A_NONCE, c.nonce)],
                         tid=tid, key=c.key())
        out.append(msg)
    return out


def flood(c, msgs, stop):
    """Sends msgs round and round until stop is set (answers ignored)."""
    c.s.setblocking(False)
    i = 0
    while not stop.is_set():
        try:
            c.s.sendto(msgs[i % len(msgs)], c.server)
        except OSError:
            time.sleep(0.001)
        i += 1
        if i % 64 == 0:
            try:
                while True:
                    c.s.recv(4096)      # keep our receive buffer empty
            except OSError:
                pass


async def setup(t, d):
    """Partners a and b with three allocations each; the flooders (each
    of a's allocations permits b's first address and the other way round)
    and the WebSockets."""
    a, b, c, ma, mb = await matched_and_waiting(d)
    ours = []
    for m in (ma, mb):
        srv = m["iceServers"][0]
        got = [turn_client(d, srv) for _ in range(3)]
        ours.append(got)
    ok = all(r is not None for side in ours for _, r in side)
    flooders = []
    if ok:
        for mine, theirs in ((ours[0], ours[1]), (ours[1], ours[0])):
            peer = theirs[0][1]
            for cl, _ in mine:
                r = cl.permit(*peer)
                if r is None or r["code"] != 0:
                    ok = False
                flooders.append((cl, prebuilt(cl, peer)))
    return ok, flooders, (a, b, c), [cl for side in ours for cl, _ in side]


def flood_and_stop(d, flooders, reload_too):
    """Floods, SIGHUP halfway when asked, then SIGTERM twice (the second
    stops at once) while the flood goes on; the exit code."""
    stop = threading.Event()
    threads = [threading.Thread(target=flood, args=(cl, msgs, stop),
                                daemon=True) for cl, msgs in flooders]
    for th in threads:
        th.start()
    time.sleep(FLOOD_S / 2)
    if reload_too:
        n = d.log().count("configuration reloaded")
        d.signal(signal.SIGHUP)
        deadline = time.time() + 3
        while d.log().count("configuration reloaded") <= n and \
                time.time() < deadline:
            time.sleep(0.01)
    time.sleep(FLOOD_S / 2)
    d.signal(signal.SIGTERM)
    time.sleep(0.05)
    d.signal(signal.SIGTERM)
    try:
        rc = d.proc.wait(10)
    except Exception:
        rc = None
    stop.set()
    for th in threads:
        th.join(2)
    return rc


async def round_body(t, d, reload_too):
    """(setup ok, exit code); the WebSockets stay open (the pair lives)
    until the daemon is gone."""
    ok, flooders, ws, clients = await setup(t, d)
    rc = None
    if ok:
        rc = await asyncio.get_running_loop().run_in_executor(
            None, flood_and_stop, d, flooders, reload_too)
    for cl in clients:
        cl.close()
    for w in ws:
        w.ws.transport.abort()
    return ok, rc


def one_round(t, k, reload_too):
    conf = {"relay-threads": "2", "log-level": "info"}
    with Daemon(conf=conf) as d:
        ok, rc = asyncio.run(round_body(t, d, reload_too))
        if not ok:
            t.ok(False, "round %d: partners allocate and permit each other"
                 % k)
            return False
        log = d.log()
        bad = "ERROR: AddressSanitizer" in log or "runtime error" in log
        good = rc == 0 and not bad
        if not good:
            t.ok(False, "round %d%s: exit %s under a CreatePermission "
                 "flood" % (k, " (with a SIGHUP)" if reload_too else "",
                            rc), log[-4000:])
        return good


def main(t):
    start = time.time()
    rounds = passed = 0
    while rounds < ROUNDS and time.time() - start < BUDGET_S - 4:
        if one_round(t, rounds, reload_too=rounds % 2 == 1):
            passed += 1
        rounds += 1
    t.ok(rounds >= 2, "at least two rounds in the time budget (%d in "
         "%.1f s)" % (rounds, time.time() - start))
    t.eq(passed, rounds, "SIGTERM during a CreatePermission flood between "
         "partners: exit 0 and no sanitizer report, every round (the "
         "relay's workers stop before signaling is freed)")


if __name__ == "__main__":
    Tap().run(main)
