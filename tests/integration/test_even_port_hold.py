#!/usr/bin/env python3
"""An EVEN-PORT R=1 reservation holds its port (RFC 8656 §7.2; issue 15,
point 5): while the token waits, the port above stays bound by the daemon,
so no other process can take it and make the taker's Allocate fail with
508 (test_relay_threads check 25 once failed that way on a busy machine).

With worker threads: an Allocate with EVEN-PORT R=1; this process tries to
bind UDP 127.0.0.1 at the reserved port and must get EADDRINUSE; the token
then gives that port to the next Allocate (on whichever loop), once; the
taker's relayed socket works (data through it).  Several rounds, so tokens
are taken on other loops than the ones that made them.  Loopback only.
"""
import errno
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from stun import A_EVEN_PORT, A_RESV_TOKEN  # noqa: E402
from turnclient import allocate, loop_of, receive, send_to  # noqa: E402

ROUNDS = 12


def bind_err(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
        return 0
    except OSError as e:
        return e.errno
    finally:
        s.close()


def main(t):
    conf = {"relay-threads": "2", "log-level": "debug", "user-quota": "0"}
    with Daemon(conf=conf) as d:
        held = taken = crossed = 0
        for k in range(ROUNDS):
            c, r, rel = allocate(d, "even-%d" % k,
                                 extra=[(A_EVEN_PORT, b"\x80")])
            if rel is None or A_RESV_TOKEN not in r["attrs"]:
                t.ok(False, "EVEN-PORT R=1: an even port and a token", r)
                return
            reserved = rel[1] + 1
            if bind_err(reserved) == errno.EADDRINUSE:
                held += 1
            token = r["attrs"][A_RESV_TOKEN]
            taker, r2, rel2 = allocate(d, "taker-%d" % k,
                                       extra=[(A_RESV_TOKEN, token)])
            again, r3, _ = allocate(d, "again-%d" % k,
                                    extra=[(A_RESV_TOKEN, token)])
            if rel2 and rel2[1] == reserved and r3 is not None and \
                    r3["code"] == 508:
                taken += 1
            if rel2 and loop_of(d, rel) != loop_of(d, rel2):
                crossed += 1
            if k == 0 and rel2:
                # The taker's socket is live on its loop: data both ways
                # between the two allocations.
                ok = c.permit(*rel2)["code"] == 0 and \
                    taker.permit(*rel)["code"] == 0
                send_to(c, rel2, b"to the reserved port")
                got = receive(taker)
                send_to(taker, rel, b"from it")
                back = receive(c)
                t.ok(ok and got == b"to the reserved port" and
                     back == b"from it", "the taken port relays both ways")
            for x in (c, taker, again):
                x.close()
        t.eq(held, ROUNDS, "while reserved, binding the port from another "
             "process fails with EADDRINUSE (%d rounds)" % ROUNDS)
        t.eq(taken, ROUNDS, "the token then gives that port, once")
        t.ok(crossed >= 1, "tokens taken on another loop than the one "
             "that reserved (%d of %d)" % (crossed, ROUNDS))
        t.eq(d.stop(), 0, "stops cleanly")


if __name__ == "__main__":
    Tap().run(main)
