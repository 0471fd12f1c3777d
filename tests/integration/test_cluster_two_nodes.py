#!/usr/bin/env python3
"""A call survives its relay node in a cluster of exactly two nodes
(SPEC "Cluster": `resume` works on any node, a live pair whose relay node
died gets `relay` with servers of a live node).

a on n1 and b on n2 are paired, n1 (a's node) is the pair's relay node.
n1 is killed (-9); a's page comes back on n2, the only node left, with its
resume token.  Nobody but n2 can hand the pair over, and n2 is the node
that resumes it: n2 must adopt the session itself.  a is resumed (not
bad_token), b keeps the pair and never hears partner_left, both get
`relay` naming n2, allocations made there with those credentials may
permit each other (pair-permissions), and chat flows both ways.
Everything on loopback."""
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_nodes import Cluster  # noqa: E402
from redis_server import have_redis  # noqa: E402
from tap import Tap  # noqa: E402
from turnclient import check_pair_on  # noqa: E402
from wsclient import connect  # noqa: E402

RESUME = 4
HEARTBEAT_DEAD = 5


async def recv(c, *types, timeout=3):
    try:
        return await c.recv_type(*types, timeout=timeout)
    except asyncio.TimeoutError:
        return {}


async def relay_node_dies(t, cl):
    x, y = cl.nodes
    b = await connect(y, "127.0.0.3")
    await b.send_json(type="find")
    await b.recv_type("waiting")
    await asyncio.sleep(0.2)
    # a finds on n1: with no allocations anywhere the finder's node is
    # the less loaded one, so n1 relays the pair.
    a = await connect(x, "127.0.0.2")
    await a.send_json(type="find")
    ma = await a.recv_type("matched", timeout=5)
    mb = await b.recv_type("matched", timeout=5)
    relay = cl.node_of_servers(ma["iceServers"])
    t.ok(relay is x and cl.node_of_servers(mb["iceServers"]) is x,
         "a on n1 and b on n2 are paired, n1 relays the pair")
    await a.send_json(type="chat", text="before")
    t.eq((await recv(b, "chat")).get("text"), "before", "they chat")

    t0 = time.time()
    x.proc.kill()
    x.proc.wait()
    a2 = await connect(y, "127.0.0.2")
    await a2.send_json(type="resume", token=a.token)
    r = await recv(a2, "resumed", "error", timeout=10)
    took = time.time() - t0
    t.ok(r.get("type") == "resumed" and r.get("partner") is True and
         r.get("session") == a.welcome["session"],
         "n1 killed: a resumes on n2, the partner's node, with its partner "
         "(%.1f s; not bad_token)" % took, r)
    ra = await recv(a2, "relay", timeout=HEARTBEAT_DEAD + 2)
    rb = await recv(b, "relay", timeout=HEARTBEAT_DEAD + 2)
    t.ok(cl.node_of_servers(ra.get("iceServers", [])) is y and
         cl.node_of_servers(rb.get("iceServers", [])) is y,
         "both get relay naming n2, the live node", (ra, rb))

    await a2.send_json(type="chat", text="a from n2")
    t.eq((await recv(b, "chat")).get("text"), "a from n2",
         "b hears a, resumed on n2")
    await b.send_json(type="chat", text="b to a")
    t.eq((await recv(a2, "chat")).get("text"), "b to a", "a hears b")

    if ra.get("iceServers") and rb.get("iceServers"):
        c = await connect(y, "127.0.0.4")
        check_pair_on(t, y, ra["iceServers"][0], rb["iceServers"][0],
                      c.welcome["iceServers"][0],
                      " (on n2, with the relay credentials)")
        await c.close()

    # Past n1's death (heartbeat timeout) and the resume window: b keeps
    # the pair, nobody hears partner_left.
    left = max(0.5, HEARTBEAT_DEAD + RESUME + 1 - (time.time() - t0))
    q = await b.quiet(left) + await a2.quiet(0.2)
    t.eq([m["type"] for m in q if m["type"] in ("partner_left", "error")],
         [], "past n1's death and the resume window: no partner_left, no "
         "error")
    await b.send_json(type="chat", text="still here")
    t.eq((await recv(a2, "chat")).get("text"), "still here",
         "and the pair still talks")
    await a2.send_json(type="leave")
    t.eq((await recv(b, "partner_left")).get("reason"), "leave",
         "a's leave reaches b")
    for w in (a2, b):
        await w.close()


def main(t):
    if not have_redis():
        t.skip_all("redis-server is not installed (Debian: redis-server)")
    conf = {"resume-window": "%ds" % RESUME}
    with Cluster(2, conf=conf) as cl:
        t.ok(cl.wait_up(timeout=10), "both nodes see two nodes up")
        asyncio.run(relay_node_dies(t, cl))
        t.ok(cl.nodes[1].proc.poll() is None, "n2 still runs")


if __name__ == "__main__":
    Tap().run(main)
