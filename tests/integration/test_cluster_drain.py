#!/usr/bin/env python3
"""Drain and the node table of a cluster (SPEC "Cluster", "meetopiactl"
nodes and drain): one redis-server and two meetopiad nodes on free
loopback ports (cluster_nodes.py).

- `meetopiactl nodes` lists both nodes with their state, as a table and
  with --json; a node alone (no cluster) lists itself;
- `meetopiactl drain --node n1` run on n2: n1's WebSockets get `reconnect`,
  a new Allocate on n1 gets 300 Try Alternate whose ALTERNATE-SERVER is
  n2's TURN address, covered by MESSAGE-INTEGRITY (checked here, RFC 8489
  §14.5), a pair formed afterwards never gets n1 as relay node although
  n1 is the less loaded, and an allocation made before keeps relaying;
- a drain request not signed with auth-secret, or a drain message
  forged on the Redis bus, changes nothing;
- `--undo` takes it back;
- SIGTERM drains likewise (300 with the alternate) and n1 exits once its
  last allocation is gone; n2 then lists it as dead;
- three nodes, n1 drained, n2 more loaded than n3: a pair whose two
  sessions are both on n1 is relayed by n3 (the least loaded live node
  that does not drain), whose pair-permissions hold for it and drop it
  when it ends; n2 drained too: a pair across n1 and n2 is relayed by n3;
  n2 back: a pair on n1 relayed by n2 or n3 gets `relay` naming the other
  when that one is killed (-9);
- three nodes again, n1 and n2 drained: a pair across them relayed by n3;
  n2 back, n3 killed (-9): both partners' nodes agree on n2, not on n1
  that drains (it comes first by name).
Everything on loopback; the relay only relays between loopback
allocations of the test."""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_nodes import Cluster  # noqa: E402
from harness import Daemon, ctl  # noqa: E402
from redis_server import have_redis  # noqa: E402
from stun import (ALLOCATE, A_MI, A_NONCE, A_REALM, A_TRANSPORT,  # noqa: E402
                  A_USERNAME, message)
from tap import Tap  # noqa: E402
from turnclient import (allocate, check_pair, check_pair_on,  # noqa: E402
                        receive, release, send_to, turn_client)
from wsclient import connect, pair  # noqa: E402

A_ALTERNATE = 0x8023
RESUME = 1



def healthz(d):
    """(status, body) of GET /healthz."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" %
                                    d.http_port, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

def nodes(d):
    """{name: node} from `meetopiactl nodes --json` on d, or None."""
    r = ctl(d, "nodes", "--json")
    if r.returncode != 0:
        return None
    return {n["name"]: n for n in json.loads(r.stdout)["nodes"]}


def wait_state(d, name, state, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        n = nodes(d)
        if n is not None and n.get(name, {}).get("state") == state:
            return True
        time.sleep(0.2)
    return False


def more_loaded(d, a, b, timeout=5):
    """(whether d's node table came to show node a with more allocations
    than node b within timeout, the last table)."""
    deadline, more, v = time.time() + timeout, False, {}
    while not more and time.time() < deadline:
        v = nodes(d) or {}
        more = v.get(a, {}).get("allocations", 0) > \
            v.get(b, {}).get("allocations", 9)
        time.sleep(0.2)
    return more, v


async def relay_after_kill(x, y, node):
    """Kills node (-9); the relay messages x and y then get ({} for
    none within the heartbeat timeout and a margin)."""
    node.proc.kill()
    node.proc.wait()
    try:
        rx = await x.recv_type("relay", timeout=8)
        ry = await y.recv_type("relay", timeout=3)
    except asyncio.TimeoutError:
        rx = ry = {}
    return rx, ry


def raw_allocate(c):
    """An authenticated Allocate of client c (which has a nonce): the raw
    answer, and the parsed attributes in order [(type, value, offset)]."""
    msg, tid = message(ALLOCATE, [(A_TRANSPORT, b"\x11\0\0\0"),
                                  (A_USERNAME, c.user.encode()),
                                  (A_REALM, c.realm.encode()),
                                  (A_NONCE, c.nonce)], key=c.key())
    data = c.raw(msg)
    attrs, i = [], 20
    if data is None:
        return None, []
    length = struct.unpack("!H", data[2:4])[0]
    while i + 4 <= 20 + length:
        t, n = struct.unpack("!HH", data[i:i + 4])
        attrs.append((t, data[i + 4:i + 4 + n], i))
        i += 4 + n + (-n % 4)
    return data, attrs


def mi_ok(data, attrs, key):
    """RFC 8489 §14.5: the HMAC-SHA1 over the message up to
    MESSAGE-INTEGRITY, the header's length counting up to its end."""
    for t, v, off in attrs:
        if t == A_MI:
            hdr = data[:2] + struct.pack("!H", off + 24 - 20) + data[4:20]
            return hmac.compare_digest(
                hmac.new(key, hdr + data[20:off], hashlib.sha1).digest(), v)
    return False


def check_alternate(t, d, want_port, where):
    """A new Allocate on d: 300 with a signed ALTERNATE-SERVER naming
    127.0.0.1:want_port."""
    c, r, rel = allocate(d, "late-%d" % int(time.time() * 1000))
    t.eq(r and r["code"], 300, "a new Allocate on n1 gets 300 Try "
         "Alternate" + where)
    data, attrs = raw_allocate(c)
    alt = [v for ty, v, _ in attrs if ty == A_ALTERNATE]
    want = struct.pack("!BBH", 0, 1, want_port) + bytes([127, 0, 0, 1])
    t.eq(alt[:1], [want], "its ALTERNATE-SERVER is n2's TURN address "
         "(127.0.0.1:%d)" % want_port + where)
    names = [ty for ty, _, _ in attrs]
    t.ok(A_MI in names and A_ALTERNATE in names and
         names.index(A_ALTERNATE) < names.index(A_MI) and
         mi_ok(data, attrs, c.key()),
         "MESSAGE-INTEGRITY covers ALTERNATE-SERVER and verifies with the "
         "client's key" + where)
    c.close()


def ctl_mac(secret, body):
    """auth/ctlmac.h, written from its description: base64url of
    HMAC-SHA256(HMAC-SHA256(secret, label), body), unpadded."""
    key = hmac.new(secret.encode(), b"meetopia control v1",
                   hashlib.sha256).digest()
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def post_drain(d, body, mac):
    req = urllib.request.Request(
        "http://127.0.0.1:%d/admin/v1/drain" % d.http_port,
        data=body.encode(), method="POST",
        headers={"Content-Type": "application/json",
                 "X-Meetopia-Control": mac})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


async def drain(t, cl):
    n1, n2 = cl.nodes
    table = ctl(n1, "nodes")
    lines = table.stdout.splitlines()
    t.ok(table.returncode == 0 and len(lines) == 3 and
         lines[0].split()[:3] == ["NAME", "ADDRESS", "STATE"] and
         sorted(ln.split()[0] for ln in lines[1:]) == ["n1", "n2"] and
         all(ln.split()[2] == "up" for ln in lines[1:]),
         "meetopiactl nodes: a table of both nodes, up", table.stdout +
         table.stderr)
    view = nodes(n2) or {}
    t.ok(sorted(view) == ["n1", "n2"] and all(
        v["state"] == "up" and v["address"] == "127.0.0.1" and
        v["lastHeartbeatMs"] < 3000 for v in view.values()) and
        view.get("n1", {}).get("turnPort") == n1.turn_port,
        "meetopiactl nodes --json: name, address, TURN port, state, "
        "last heartbeat", json.dumps(view))

    # A call on n1 (both sessions there: relay n1) with its allocations.
    a, b = await connect(n1, "127.0.0.2"), await connect(n1, "127.0.0.3")
    ma, mb = await pair(a, b, wait=True)
    ta, ra = turn_client(n1, ma["iceServers"][0])
    tb, rb = turn_client(n1, mb["iceServers"][0])
    t.ok(ra is not None and rb is not None, "a call's allocations on n1")
    t.eq((ta.permit(*rb) or {}).get("code"), 0, "a permits b")
    t.eq((tb.permit(*ra) or {}).get("code"), 0, "b permits a")
    # n2 more loaded than n1: without the drain n1 would relay new pairs.
    load = [allocate(n2, "load-%d" % i)[0] for i in range(4)]
    w = await connect(n1, "127.0.0.4")
    more, v = more_loaded(n2, "n2", "n1")
    t.ok(more, "n2 has more allocations than n1", json.dumps(v))

    # Forged: not signed, signed with another secret, or on the bus.
    body = json.dumps({"ts": int(time.time()), "undo": False})
    t.eq(post_drain(n1, body, "A" * 43), 403, "a drain request with a "
         "wrong MAC is refused (403)")
    stale = json.dumps({"ts": int(time.time()) - 300, "undo": False})
    t.eq(post_drain(n1, stale, ctl_mac(n1.secret, stale)), 403,
         "a signed request five minutes old (a replay) is refused (403)")
    odd = json.dumps({"ts": int(time.time()), "node": 7})
    t.eq(post_drain(n1, odd, ctl_mac(n1.secret, odd)), 400,
         "a signed request with a bad node is refused (400)")
    await asyncio.sleep(1.5)
    t.eq((nodes(n2) or {}).get("n1", {}).get("state"), "up",
         "none of them drains n1")
    redis = subprocess.run(["redis-cli", "-p", str(cl.redis.port), "-a",
                            cl.redis.password, "--no-auth-warning",
                            "PUBLISH", "mtest:node:n1", json.dumps(
                                {"t": "drain", "node": "n1", "from": "n2",
                                 "undo": False, "ts": int(time.time())})],
                           capture_output=True, text=True)
    t.eq(redis.returncode, 0, "a forged drain message published on n1's "
         "channel")
    await asyncio.sleep(1.5)
    t.eq((nodes(n2) or {}).get("n1", {}).get("state"), "up",
         "the forged bus message does not drain n1")
    q = [m["type"] for m in await w.quiet(0.2)]
    t.ok("reconnect" not in q, "and nobody is told to reconnect")

    r = ctl(n2, "drain", "--node", "n1")
    t.ok(r.returncode == 0, "meetopiactl drain --node n1 on n2", r.stderr)
    try:
        m = await w.recv_type("reconnect", timeout=5)
    except asyncio.TimeoutError:
        m = {}
    t.ok(m.get("type") == "reconnect" and isinstance(m.get("after"), int)
         and m["after"] >= 0, "n1's WebSocket gets reconnect with after "
         "(ms)", json.dumps(m))
    t.ok(wait_state(n2, "n1", "draining") and wait_state(n1, "n1",
                                                         "draining"),
         "both nodes list n1 as draining")
    check_alternate(t, n1, n2.turn_port, "")
    t.eq(healthz(n1), (503, "draining\n"), "n1's /healthz: 503 draining "
         "(a load balancer sends new clients elsewhere)")
    t.eq(healthz(n2), (200, "ok\n"), "n2's /healthz: 200 ok")

    # Pairs formed now: never relayed by n1.
    for i, (wn, fn) in enumerate(((0, 1), (1, 0))):
        x = await connect(cl.nodes[wn], "127.0.0.%d" % (10 + 2 * i))
        y = await connect(cl.nodes[fn], "127.0.0.%d" % (11 + 2 * i))
        mx, my = await pair(x, y, wait=True)
        nx = cl.node_of_servers(mx["iceServers"])
        ny = cl.node_of_servers(my["iceServers"])
        t.ok(nx is n2 and ny is n2, "a pair formed after the drain "
             "(waiting on n%d) is relayed by n2, not n1" % (wn + 1))
        for s in (x, y):
            await s.send_json(type="leave")
            await s.close()

    send_to(ta, rb, b"still a")
    t.eq(receive(tb), b"still a", "the call on n1 keeps relaying")
    send_to(tb, ra, b"still b")
    t.eq(receive(ta), b"still b", "both ways")
    r = ctl(n2, "drain", "--node", "n9")
    t.ok(r.returncode != 0 and "n9" not in r.stdout,
         "drain of an unknown node is refused", r.stderr)

    r = ctl(n2, "drain", "--node", "n1", "--undo")
    t.ok(r.returncode == 0, "meetopiactl drain --node n1 --undo", r.stderr)
    t.ok(wait_state(n2, "n1", "up"), "n1 is up again")
    t.eq(healthz(n1), (200, "ok\n"), "after --undo n1's /healthz is 200 "
         "again")
    c, r, rel = allocate(n1, "after-undo")
    t.eq(r and r["code"], 0, "and takes new Allocates")
    release(c)
    c.close()
    for x in load:
        x.close()
    await sigterm(t, cl, ta, tb, rb, w)
    for s in (a, b):
        await s.close()


async def sigterm(t, cl, ta, tb, rb, w):
    n1, n2 = cl.nodes
    n1.signal(signal.SIGTERM)
    try:
        m = await w.recv_type("reconnect", timeout=5)
    except asyncio.TimeoutError:
        m = {}
    t.eq(m.get("type"), "reconnect", "SIGTERM: n1's WebSocket is told to "
         "reconnect before it closes")
    t.ok(wait_state(n2, "n1", "draining"), "n2 lists n1 as draining")
    check_alternate(t, n1, n2.turn_port, " (SIGTERM)")
    time.sleep(1.2)
    t.ok(n1.proc.poll() is None, "n1 waits for its last allocation")
    send_to(ta, rb, b"last")
    t.eq(receive(tb), b"last", "which still relays")
    t.ok(release(ta) and release(tb), "the call's allocations are freed")
    try:
        n1.proc.wait(8)
    except subprocess.TimeoutExpired:
        pass
    t.eq(n1.proc.poll(), 0, "n1 exits (0) once its last allocation is "
         "gone")
    t.ok("drain: no allocation left" in n1.log(), "and says so")
    t.ok(wait_state(n2, "n1", "dead", timeout=8), "n2 then lists n1 as "
         "dead (silent for 5 s)")
    table = ctl(n2, "nodes").stdout
    t.ok(any(ln.split()[:1] == ["n1"] and "dead" in ln.split()
             for ln in table.splitlines()), "in its table too", table)
    ta.close()
    tb.close()


async def relay_elsewhere(t, cl, x, y, what):
    """x and y find (x first); both matched name n3's servers, n3 lets
    them permit each other but not a stranger, and drops the pair when
    it ends."""
    n3 = cl.nodes[2]
    mx, my = await pair(x, y, wait=True)
    nx = cl.node_of_servers(mx["iceServers"])
    ny = cl.node_of_servers(my["iceServers"])
    t.ok(nx is n3 and ny is n3, "%s: both matched name n3's servers "
         "(named: n%s)" % (what, "?" if nx not in cl.nodes else
                           cl.nodes.index(nx) + 1))
    if nx is n3 and ny is n3:
        c = await connect(n3, "127.0.0.40")
        tx, rx = turn_client(n3, mx["iceServers"][0])
        ty, ry = turn_client(n3, my["iceServers"][0])
        tc, rc = turn_client(n3, c.welcome["iceServers"][0])
        t.ok(rx and ry and rc, "%s: allocations on n3" % what)
        if rx and ry and rc:
            check_pair(t, tx, rx, ty, ry, tc, rc, " (%s, on n3)" % what)
        await x.send_json(type="leave")
        await y.recv_type("partner_left")
        await asyncio.sleep(0.5)
        r = tx.permit(*ry) if ry else None
        t.eq(r and r["code"], 403, "%s: the pair ended, n3 dropped it: a "
             "new permission 403" % what)
        for s in (tx, ty, tc):
            release(s)
            s.close()
        await c.close()
    for s in (x, y):
        await s.close()


async def three(t, cl):
    n1, n2, n3 = cl.nodes
    r = ctl(n1, "drain")
    t.ok(r.returncode == 0 and all(wait_state(d, "n1", "draining")
                                   for d in cl.nodes),
         "three nodes: n1 drained, every node lists it so", r.stderr)
    load = [allocate(n2, "load3-%d" % i)[0] for i in range(3)]
    more, v = more_loaded(n1, "n2", "n3")
    t.ok(more, "n2 has more allocations than n3", json.dumps(v))
    x = await connect(n1, "127.0.0.30")
    y = await connect(n1, "127.0.0.31")
    await relay_elsewhere(t, cl, x, y, "both sessions on draining n1")
    r = ctl(n2, "drain")
    t.ok(r.returncode == 0 and wait_state(n1, "n2", "draining") and
         wait_state(n2, "n2", "draining"), "n2 drained too", r.stderr)
    x = await connect(n1, "127.0.0.32")
    y = await connect(n2, "127.0.0.33")
    await relay_elsewhere(t, cl, x, y, "one on n1, one on n2, both drain")

    # n2 back, n1 still drains: a pair on n1 relayed by n2 or n3; that
    # one killed: both get relay naming the other.
    r = ctl(n2, "drain", "--undo")
    t.ok(r.returncode == 0 and wait_state(n1, "n2", "up"), "n2 is up "
         "again", r.stderr)
    x = await connect(n1, "127.0.0.34")
    y = await connect(n1, "127.0.0.35")
    mx, my = await pair(x, y, wait=True)
    relay = cl.node_of_servers(mx["iceServers"])
    t.ok(relay in (n2, n3), "a pair on draining n1 relayed by another "
         "node (n%s)" % (cl.nodes.index(relay) + 1 if relay else "?"))
    if relay not in (n2, n3):
        return
    live = n2 if relay is n3 else n3
    rx, ry = await relay_after_kill(x, y, relay)
    t.ok(cl.node_of_servers(rx.get("iceServers", [])) is live and
         cl.node_of_servers(ry.get("iceServers", [])) is live,
         "the relay node killed: both get relay naming the other live "
         "node that does not drain", (rx, ry))
    if rx.get("iceServers") and ry.get("iceServers"):
        c = await connect(live, "127.0.0.41")
        check_pair_on(t, live, rx["iceServers"][0], ry["iceServers"][0],
                      c.welcome["iceServers"][0], " (the new relay)")
        await c.close()
    await x.send_json(type="chat", text="after the kill")
    t.eq((await y.recv_type("chat")).get("text"), "after the kill",
         "and still talk")
    for s in (x, y):
        await s.close()
    for c in load:
        c.close()


async def relay_dies_beside_drain(t, cl):
    """The relay node of a cross-node pair dies while one of the pair's
    nodes drains: the two nodes pick the other one."""
    n1, n2, n3 = cl.nodes
    for d, name in ((n1, "n1"), (n2, "n2")):
        r = ctl(d, "drain")
        t.ok(r.returncode == 0 and all(wait_state(x, name, "draining")
                                       for x in cl.nodes),
             "%s drained" % name, r.stderr)
    x = await connect(n1, "127.0.0.50")
    y = await connect(n2, "127.0.0.51")
    mx, my = await pair(x, y, wait=True)
    t.ok(cl.node_of_servers(mx["iceServers"]) is n3 and
         cl.node_of_servers(my["iceServers"]) is n3,
         "a pair across draining n1 and n2 is relayed by n3")
    r = ctl(n2, "drain", "--undo")
    t.ok(r.returncode == 0 and wait_state(n1, "n2", "up") and
         wait_state(n2, "n2", "up"), "n2 is up again", r.stderr)
    rx, ry = await relay_after_kill(x, y, n3)
    gx = cl.node_of_servers(rx.get("iceServers", []))
    gy = cl.node_of_servers(ry.get("iceServers", []))
    t.ok(gx is n2 and gy is n2, "n3 killed: both get relay naming n2, "
         "not n1 that drains (named: %s, %s)"
         % tuple("n%d" % (cl.nodes.index(g) + 1) if g in cl.nodes
                 else "?" for g in (gx, gy)))
    await x.send_json(type="chat", text="through n2")
    t.eq((await y.recv_type("chat")).get("text"), "through n2",
         "and the partners still talk")
    for c in (x, y):
        await c.close()


def alone(t):
    with Daemon(conf={"node-name": "solo"}) as d:
        n = nodes(d)
        t.ok(n is not None and list(n) == ["solo"] and
             n["solo"]["state"] == "up",
             "without a cluster, meetopiactl nodes lists the node alone")
        r = ctl(d, "drain")
        t.ok(r.returncode == 0 and wait_state(d, "solo", "draining", 2),
             "meetopiactl drain drains it", r.stderr)
        c, a, _ = allocate(d, "solo-late")
        t.eq(a and a["code"], 508, "with no other node, a new Allocate "
             "gets 508 as before")
        c.close()
        r = ctl(d, "drain", "--node", "other")
        t.ok(r.returncode != 0, "drain --node of another node: refused "
             "without a cluster", r.stderr)
        r = ctl(d, "drain", "--node", "solo", "--undo")
        t.ok(r.returncode == 0 and wait_state(d, "solo", "up", 2),
             "drain --node solo --undo: up again", r.stderr)
        c, a, _ = allocate(d, "solo-again")
        t.eq(a and a["code"], 0, "and it takes new Allocates")
        release(c)
        c.close()


def main(t):
    if not have_redis():
        t.skip_all("redis-server is not installed (Debian: redis-server)")
    alone(t)
    conf = {"resume-window": "%ds" % RESUME, "max-connections-per-ip": "64"}
    with Cluster(2, conf=conf) as cl:
        t.ok(cl.wait_up(timeout=10), "both nodes see two nodes up")

        asyncio.run(drain(t, cl))
        t.ok(cl.nodes[1].proc.poll() is None, "n2 still runs")
    with Cluster(3, conf=conf) as cl:
        t.ok(cl.wait_up(timeout=10), "three nodes see three nodes up")
        asyncio.run(three(t, cl))
    with Cluster(3, conf=conf) as cl:
        t.ok(cl.wait_up(timeout=10), "three new nodes see three nodes up")
        asyncio.run(relay_dies_beside_drain(t, cl))


if __name__ == "__main__":
    Tap().run(main)
