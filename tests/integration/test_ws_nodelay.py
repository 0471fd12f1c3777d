#!/usr/bin/env python3
"""Signaling's sockets do not wait for Nagle (TCP_NODELAY on every socket
the listener accepts, common/listener.c).

A pair chats the way people do: a types (`typing`), then sends a chat
message a moment later; b answers each one.  b's socket then delays its
ACKs (it answers soon after it receives: the kernel waits to piggyback
the ACK on the answer), so without TCP_NODELAY the server's second small
frame to b (the chat, behind the unacknowledged typing frame) waits for
b's delayed ACK, about 40 ms on Linux.  With it the chat is there within
a millisecond or two on loopback.

50 exchanges; the 90th percentile of the time from a's chat to b's
receiving it must stay under 20 ms (it is ~40 ms with Nagle, every
exchange; the percentile, not the maximum, so that one hiccup of a busy
machine does not fail the test)."""
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon  # noqa: E402
from tap import Tap  # noqa: E402
from wsclient import connect, pair  # noqa: E402

ROUNDS = 50
GAP = 0.002	# s between typing and the chat: two writes to b


async def exchanges(t, d):
    a = await connect(d, "127.0.0.2")
    b = await connect(d, "127.0.0.3")
    await pair(a, b, wait=True)
    lat = []
    for i in range(ROUNDS):
        await a.send_json(type="typing")
        await asyncio.sleep(GAP)
        t0 = time.perf_counter()
        await a.send_json(type="chat", text="a%d" % i)
        await b.recv_type("chat")
        lat.append((time.perf_counter() - t0) * 1000)
        await b.send_json(type="chat", text="b%d" % i)
        await a.recv_type("chat")
        a.stash, b.stash = [], []
    lat.sort()
    p50, p90 = lat[len(lat) // 2], lat[len(lat) * 9 // 10]
    t.ok(p90 < 20, "typing then chat to b: p50 %.1f ms, p90 %.1f ms, max "
         "%.1f ms (p90 < 20 ms: no Nagle wait)" % (p50, p90, lat[-1]))
    await a.close()
    await b.close()


def main(t):
    conf = {"message-rate-limit": "10000", "signal-rate-limit": "100000"}
    with Daemon(conf=conf) as d:
        asyncio.run(exchanges(t, d))


if __name__ == "__main__":
    Tap().run(main)
