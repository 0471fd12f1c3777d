#!/usr/bin/env python3
"""The signaling side of a cluster (SPEC "Cluster"): one redis-server and
three meetopiad nodes on free loopback ports (cluster_nodes.py).

- the node registry: every node sees the three nodes up, each keeps its
  key P"nodes:"NAME;
- cross-node pairing: a waits on n1, b finds on n2, they are matched (a
  offers), and offer/answer/candidates/chat/typing reach the partner in
  order, relay-only filtering and chat rules applied once;
- privacy: redis MONITOR during that exchange shows no chat text, no SDP,
  no client address;
- the relay node: both matched messages carry iceServers of one of the
  two nodes, and allocations made there with those credentials may permit
  each other (pair-permissions) but not a stranger's;
- control messages forged on the bus are refused (no MAC); signed ones
  with a field missing, not a string or too long are ignored, and the
  node keeps serving;
- 500 sessions finding at once over the three nodes: no double match;
- kill -9 of a node: its partners get partner_left (disconnect) within the
  heartbeat timeout and the resume window, and `relay` when it was the
  pair's relay node;
- Redis killed: each node pairs its own sessions alone, and rejoins by
  itself when Redis is back.
Everything on loopback."""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_nodes import Cluster  # noqa: E402
from harness import ctl, metric, pseudonym  # noqa: E402
from redis_server import have_redis  # noqa: E402
from tap import Tap  # noqa: E402
from turnclient import (check_pair_on, receive, send_to,  # noqa: E402
                        turn_client)
from wsclient import connect  # noqa: E402

RESUME = 2
CHAT = "secret-chat-text-%d" % os.getpid()
SDP_MARK = "sdp-marker-%d" % os.getpid()


def sdp():
    return ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=%s\r\nt=0 0\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
            "a=mid:0\r\n" % SDP_MARK)


RELAY_CAND = ("candidate:1 1 udp 2113937151 127.0.0.1 50000 typ relay "
              "raddr 127.0.0.2 rport 40000")
HOST_CAND = "candidate:2 1 udp 2122260223 127.0.0.2 40001 typ host"


def redis_cli(cl, *args):
    return subprocess.run(["redis-cli", "-p", str(cl.redis.port), "-a",
                           cl.redis.password, "--no-auth-warning"]
                          + list(args), capture_output=True, text=True)


async def cross_pair(cl, na, nb, ipa="127.0.0.2", ipb="127.0.0.3"):
    a = await connect(cl.nodes[na], ipa)
    b = await connect(cl.nodes[nb], ipb)
    await a.send_json(type="find")
    await a.recv_type("waiting")
    # waiting is sent as the find leaves for Redis: let it arrive first.
    await asyncio.sleep(0.2)
    await b.send_json(type="find")
    ma = await a.recv_type("matched", timeout=5)
    mb = await b.recv_type("matched", timeout=5)
    return a, b, ma, mb


async def messages(t, cl):
    mon = subprocess.Popen(["redis-cli", "-p", str(cl.redis.port), "-a",
                            cl.redis.password, "--no-auth-warning",
                            "monitor"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    time.sleep(0.3)
    a, b, ma, mb = await cross_pair(cl, 0, 1)
    t.eq((ma.get("role"), mb.get("role")), ("offerer", "answerer"),
         "a waiting on n1 and b finding on n2 are matched; a offers")
    await a.send_json(type="offer", sdp=sdp())
    m = await b.recv_type("offer")
    t.ok(SDP_MARK in m.get("sdp", ""), "the offer reaches b on n2")
    await b.send_json(type="answer", sdp=sdp())
    m = await a.recv_type("answer")
    t.ok(SDP_MARK in m.get("sdp", ""), "the answer reaches a on n1")
    await a.send_json(type="candidate", candidate=HOST_CAND, sdpMid="0",
                      sdpMLineIndex=0)
    for i in range(5):
        await a.send_json(type="candidate", candidate=RELAY_CAND,
                          sdpMid=str(i), sdpMLineIndex=i)
        await a.send_json(type="chat", text="%s %d" % (CHAT, i))
    await a.send_json(type="typing")
    await a.send_json(type="chat", text="<b>x</b> & y")
    got = []
    for _ in range(12):
        got.append(await b.recv_json())
    kinds = [m["type"] for m in got]
    t.eq(kinds, ["candidate", "chat"] * 5 + ["typing", "chat"],
         "candidates, chat and typing arrive in order; the host candidate "
         "is dropped (relay-only)")
    t.eq([m.get("sdpMid") for m in got if m["type"] == "candidate"],
         [str(i) for i in range(5)], "the candidates in the order sent")
    t.ok(all("raddr 0.0.0.0 rport 0" in m.get("candidate", "")
             for m in got if m["type"] == "candidate"),
         "related addresses blanked")
    t.eq([m.get("text") for m in got if m["type"] == "chat"],
         ["%s %d" % (CHAT, i) for i in range(5)] + ["x &amp; y"],
         "chat in order, sanitised once (tags removed, & escaped once)")
    await b.send_json(type="chat", text="back")
    t.eq((await a.recv_type("chat")).get("text"), "back",
         "and chat the other way")

    # The pair's relay node: iceServers of one of the two nodes, and
    # pair-permissions hold there.
    ra_node = cl.node_of_servers(ma["iceServers"])
    rb_node = cl.node_of_servers(mb["iceServers"])
    t.ok(ra_node is not None and ra_node is rb_node and
         ra_node in cl.nodes[:2], "both matched carry iceServers of one "
         "node, one of the pair's (n%s)" %
         (cl.nodes.index(ra_node) + 1 if ra_node else "?"))
    c = await connect(cl.nodes[2], "127.0.0.4")
    if ra_node is not None:
        check_pair_on(t, ra_node, ma["iceServers"][0], mb["iceServers"][0],
                      c.welcome["iceServers"][0],
                      " (on the relay node, with the matched credentials)")

    await b.send_json(type="report", reason="spam")
    try:
        m = await b.recv_type("reported", "error", timeout=5)
    except asyncio.TimeoutError:
        m = {}
    t.ok(m.get("type") == "reported" and m.get("id", 0) > 0,
         "b on n2 reports its partner on n1", m)
    rep = {}
    if m.get("id"):
        p = ctl(cl.nodes[1], "--json", "report", "show", str(m["id"]))
        try:
            rep = json.loads(p.stdout)["report"]
        except (ValueError, KeyError):
            rep = {}
    t.eq(rep.get("reported"), pseudonym(cl.nodes[1].state_dir, "127.0.0.2"),
         "the report names the partner on n1 by its pseudonym")
    await a.send_json(type="next")
    m = await b.recv_type("partner_left")
    t.eq(m.get("reason"), "next", "next on n1: b on n2 hears partner_left")
    await a.send_json(type="leave")
    await b.send_json(type="leave")
    for w in (a, b, c):
        await w.close()
    await asyncio.sleep(0.5)
    mon.terminate()
    out = mon.communicate(timeout=5)[0]
    t.ok("PUBLISH" in out and '"t\\":\\"m\\"' in out.replace(" ", ""),
         "MONITOR saw the partner messages go through Redis",
         out[-500:])
    leaks = [w for w in (CHAT, SDP_MARK, "127.0.0.2", "127.0.0.3",
                         "typ relay", "x &amp; y") if w in out]
    t.eq(leaks, [], "nothing on the bus or in a key holds chat text, SDP "
         "or a client address")
    keys = redis_cli(cl, "--scan").stdout.split()
    dump = b"".join(subprocess.run(
        ["redis-cli", "-p", str(cl.redis.port), "-a", cl.redis.password,
         "--no-auth-warning", "DUMP", k], capture_output=True).stdout
        for k in keys)
    t.eq([w for w in (CHAT, SDP_MARK, "127.0.0.2") if w.encode() in dump],
         [],
         "nor any key (%d keys)" % len(keys))


async def recv_or_none(w, typ, timeout):
    """The next message of type typ on w, {} when none comes in time."""
    try:
        return await w.recv_type(typ, timeout=timeout)
    except asyncio.TimeoutError:
        return {}


async def forged(t, cl):
    """Control messages forged on the bus (by anyone who can PUBLISH on
    Redis) are ignored: they carry no valid MAC."""
    a, b, ma, mb = await cross_pair(cl, 0, 1, "127.0.0.15", "127.0.0.16")
    sa, sb = a.welcome["session"], b.welcome["session"]
    c = await connect(cl.nodes[0], "127.0.0.17")
    await c.send_json(type="find", interests=["nobody-else-%d" % os.getpid()])
    await c.recv_type("waiting")
    for m in ({"t": "moved", "to": sa, "from": sb, "node": "n9"},
              {"t": "pair", "to": c.welcome["session"], "from": sb,
               "node": "n2", "relay": "n2"},
              {"t": "take", "sid": sa, "n": 1, "node": "n2",
               "fresh": sb},
              {"t": "relay", "a": sa, "b": c.welcome["session"]},
              {"t": "Q" * 20000, "to": sa}):
        redis_cli(cl, "PUBLISH", "mtest:node:n1", json.dumps(m))
    await asyncio.sleep(0.5)
    await a.send_json(type="chat", text="still here")
    m = await recv_or_none(b, "chat", 3)
    t.eq(m.get("text"), "still here", "a forged moved does not divert a's "
         "messages, a forged take does not take a")
    q = await c.quiet(0.5)
    t.eq([x["type"] for x in q if x["type"] == "matched"], [],
         "a forged pair does not match a waiting session")
    redis_cli(cl, "PUBLISH", "mtest:node:n1", json.dumps(
        {"t": "m", "to": sa, "from": sb, "n": 1000, "c": "AAAA" * 20}))
    await asyncio.sleep(0.3)
    log = cl.nodes[0].log()
    t.ok("failed authentication" in log and
         log.count("cluster_forged_message") >= 5,
         "n1 logs the forged messages and reports them as security "
         "events (cluster_forged_message)")
    t.ok("Q" * 64 not in log, "a forged message's type of 20000 bytes is "
         "not copied into the log")
    q = [x["type"] for x in await a.quiet(0.3)]
    t.eq(q, [], "a forged partner message reaches nobody")
    for w in (a, b, c):
        await w.send_json(type="leave")
        await w.close()


def signed(cl, m):
    """m with the MAC a node of cl puts on a control message
    (cluster_glue.c, written from its description): base64url of
    HMAC-SHA256, under HMAC-SHA256(resume-secret, "meetopia cluster
    partner messages v1"), of its compact key-sorted JSON."""
    key = hmac.new(bytes.fromhex(cl.shared["resume-secret"]),
                   b"meetopia cluster partner messages v1",
                   hashlib.sha256).digest()
    text = json.dumps(m, sort_keys=True, separators=(",", ":"))
    mac = hmac.new(key, text.encode(), hashlib.sha256).digest()
    return json.dumps(dict(m, mac=base64.urlsafe_b64encode(mac).decode()
                           .rstrip("=")))


async def malformed(t, cl):
    """Control messages a node could have sent (a valid MAC) but with a
    field missing, not a string or too long are ignored: the node keeps
    serving, its pair and its waiter as they were."""
    a, b, ma, mb = await cross_pair(cl, 0, 1, "127.0.0.30", "127.0.0.31")
    sa, sb = a.welcome["session"], b.welcome["session"]
    tag = "malformed-%d" % os.getpid()
    c = await connect(cl.nodes[0], "127.0.0.32")
    await c.send_json(type="find", interests=[tag])
    await c.recv_type("waiting")
    sc = c.welcome["session"]
    node, forged = cl.nodes[0], cl.nodes[0].log().count(
        "cluster_forged_message")
    long_node, long_id = "n" * 65, sb + "x"
    now = int(time.time())
    bad = [{"t": "moved", "to": sa, "from": sb},
           {"t": "moved", "to": sa, "from": sb, "node": 3},
           {"t": "moved", "to": sa, "from": sb, "node": long_node},
           {"t": "moved", "to": sa, "from": long_id, "node": "n3"},
           {"t": "pair", "to": sc, "from": sb, "node": "n2"},
           {"t": "pair", "to": sc, "from": long_id, "node": "n2",
            "relay": "n2"},
           {"t": "pair", "to": sc, "from": sb, "node": ["n2"],
            "relay": "n2"},
           {"t": "take", "sid": sa, "n": 1, "node": "n2"},
           {"t": "take", "sid": sa, "n": 1, "node": long_node,
            "fresh": sb},
           {"t": "adopt", "sid": sb, "nd": "n2", "node": "n2",
            "fresh": 7},
           {"t": "taken", "to": sa, "sid": None},
           {"t": "relay", "a": sb, "b": long_id},
           {"t": "unrelay", "a": sa},
           {"t": "requeue", "to": {"id": sc}},
           {"t": "m", "to": sa, "from": sb, "n": 1000, "c": 5},
           {"t": "drain", "node": 1, "ts": now},
           {"t": "drain", "node": "n1" + "x" * 64, "ts": now},
           {"t": "no-such-type", "to": sa},
           {"t": "drain", "node": "n1", "from": "n" * 65, "undo": True,
            "ts": now},
           {"t": "drain", "node": "n1", "from": "n9", "undo": True,
            "ts": now}]
    for m in bad:
        redis_cli(cl, "PUBLISH", "mtest:node:n1", signed(cl, m))
    # The queue's own note carries no MAC.
    redis_cli(cl, "PUBLISH", "mtest:node:n1", json.dumps(
        {"type": "matched", "session": sc, "partner": 5,
         "partnerNode": "n3"}))
    await asyncio.sleep(0.5)
    log = node.log()
    t.eq(log.count("cluster_forged_message"), forged, "signed messages "
         "pass the MAC check (none is reported as forged), an unknown "
         "type as well")
    t.ok("drain undo asked by node n9" in log, "and a well-formed one "
         "is handled")
    t.ok("drain undo asked by node ?" in log and long_node not in log,
         "a sender's node name too long is not logged")
    await a.send_json(type="chat", text="still paired")
    m = await recv_or_none(b, "chat", 3)
    t.eq(m.get("text"), "still paired", "bad moved, take, taken and m "
         "messages leave the pair as it was")
    d = await connect(cl.nodes[1], "127.0.0.33")
    await d.send_json(type="find", interests=[tag])
    mc = await recv_or_none(c, "matched", 5)
    t.ok(mc.get("type") == "matched", "bad pair and matched messages "
         "leave the waiter waiting: it is matched with a finder on n2")
    t.ok(node.proc.poll() is None, "n1 still runs")
    for w in (a, b, c, d):
        await w.send_json(type="leave")
        await w.close()


async def dropped_waiter(t, cl):
    """A waiting session whose socket dropped keeps its place in the
    cluster's queue but is not matched (SPEC `resume`), on any node."""
    a = await connect(cl.nodes[0], "127.0.0.18")
    await a.send_json(type="find")
    await a.recv_type("waiting")
    await a.close()
    await asyncio.sleep(0.3)
    b = await connect(cl.nodes[1], "127.0.0.19")
    await b.send_json(type="find")
    q = await b.quiet(0.8)
    t.eq([x["type"] for x in q], ["waiting"], "a dropped waiter on n1 is "
         "not matched with a finder on n2")
    a2 = await connect(cl.nodes[0], "127.0.0.18")
    await a2.send_json(type="resume", token=a.token)
    r = await a2.recv_type("resumed", "error")
    t.ok(r.get("type") == "resumed" and r.get("partner") is False,
         "it resumes, waiting", r)
    try:
        ma = await a2.recv_type("matched", timeout=3)
        mb = await b.recv_type("matched", timeout=3)
        roles = (ma.get("role"), mb.get("role"))
    except asyncio.TimeoutError:
        roles = None
    t.eq(roles, ("offerer", "answerer"), "back, it is matched with the "
         "finder on n2, and offers: it waited longer")
    for w in (a2, b):
        await w.send_json(type="leave")
        await w.close()


async def crowd(t, cl, n=500):
    """n sessions over the three nodes and 50 source addresses find at
    once; each says its session id to its partner."""
    clients = []
    for i in range(n):
        ip = "127.0.1.%d" % (1 + i % 50)
        clients.append(connect(cl.nodes[i % 3], ip))
    clients = await asyncio.gather(*clients)
    remote0 = sum(metric(d, 'meetopia_cluster_pairs_total{placement="remote"}')
                  for d in cl.nodes)
    t0 = time.time()
    await asyncio.gather(*(c.send_json(type="find") for c in clients))

    async def matched(c):
        try:
            await c.recv_type("matched", timeout=30)
            return True
        except asyncio.TimeoutError:
            return False
    ok = await asyncio.gather(*(matched(c) for c in clients))
    t.eq(sum(ok), n, "all %d sessions matched (%.1f s)" %
         (n, time.time() - t0))
    await asyncio.gather(*(c.send_json(type="chat",
                                        text=c.welcome["session"])
                           for c, k in zip(clients, ok) if k))

    async def heard(c):
        try:
            return (await c.recv_type("chat", timeout=10)).get("text")
        except asyncio.TimeoutError:
            return None
    said = await asyncio.gather(*(heard(c) for c in clients))
    partner = {c.welcome["session"]: s for c, s in zip(clients, said)}
    bad = [k for k, v in partner.items() if v is None or v == k or
           partner.get(v) != k]
    t.eq(bad[:5], [], "no double match: partners are mutual, each session "
         "has exactly one")
    remote = sum(metric(d, 'meetopia_cluster_pairs_total{placement="remote"}')
                 for d in cl.nodes) - remote0
    t.ok(remote > 0, "%d of the pairs are across nodes "
         "(meetopia_cluster_pairs_total{placement=\"remote\"})" % remote)
    extra = await asyncio.gather(*(c.quiet(0.3) for c in clients[:60]))
    t.eq(sum(1 for q in extra for m in q if m["type"] in ("matched",
                                                          "chat")), 0,
         "and nobody got a second matched or chat")
    await asyncio.gather(*(c.close() for c in clients))


async def resume_elsewhere(t, cl, nb, label):
    """a (n1) paired with b (on node nb) drops its socket and resumes on
    n3: the pair goes on and b notices nothing."""
    a, b, ma, mb = await cross_pair(cl, 0, nb, "127.0.0.11", "127.0.0.12")
    await a.close()
    await asyncio.sleep(0.3)
    await b.send_json(type="chat", text="while you were away")
    await asyncio.sleep(0.3)
    a2 = await connect(cl.nodes[2], "127.0.0.11")
    await a2.send_json(type="resume", token=a.token)
    try:
        r = await a2.recv_type("resumed", "error", timeout=5)
    except asyncio.TimeoutError:
        r = {}
    t.ok(r.get("type") == "resumed" and r.get("partner") is True and
         r.get("session") == a.welcome["session"],
         "%s: a resumes on n3 with its partner" % label, r)
    try:
        m = await a2.recv_type("chat", timeout=3)
    except asyncio.TimeoutError:
        m = {}
    t.eq(m.get("text"), "while you were away",
         "%s: what b said meanwhile is delivered on n3" % label)
    await a2.send_json(type="chat", text="back on n3")
    try:
        m = await b.recv_type("chat", timeout=3)
    except asyncio.TimeoutError:
        m = {}
    t.eq(m.get("text"), "back on n3", "%s: b hears a from n3" % label)
    await b.send_json(type="chat", text="welcome back")
    try:
        m = await a2.recv_type("chat", timeout=3)
    except asyncio.TimeoutError:
        m = {}
    t.eq(m.get("text"), "welcome back", "%s: and a hears b" % label)
    if label == "partner on n2":
        # While n1 takes the session over, the socket's messages are
        # refused: a find then would queue the discarded fresh session.
        # n3 is stopped for the find, so the take-over cannot end before
        # it (n3 answers when it runs again; well within the 5 s after
        # which a silent node is dead).
        c = await connect(cl.nodes[0], "127.0.0.28")
        await c.send_json(type="find")
        await c.recv_type("waiting")
        await asyncio.sleep(0.2)
        await a2.close()
        await asyncio.sleep(0.2)
        a4 = await connect(cl.nodes[0], "127.0.0.11")
        cl.nodes[2].proc.send_signal(signal.SIGSTOP)
        try:
            await a4.send_json(type="resume", token=r["resumeToken"])
            await a4.send_json(type="find")
            got = await a4.quiet(0.5)
        finally:
            cl.nodes[2].proc.send_signal(signal.SIGCONT)
        got += await a4.quiet(1.0)
        kinds = [(x["type"], x.get("message")) for x in got]
        t.ok(("error", "resume in progress") in kinds and
             ("resumed", None) in kinds and
             not any(x["type"] == "matched" for x in got),
             "%s: a find while the session is taken over is refused"
             % label, kinds)
        q = await c.quiet(0.3)
        t.eq([x["type"] for x in q], [], "%s: and a waiter is not matched "
             "with the fresh session" % label)
        await c.close()
        a2 = a4
    await asyncio.sleep(RESUME + 1)
    q = await b.quiet(0.3)
    t.eq([x["type"] for x in q if x["type"] == "partner_left"], [],
         "%s: b never got partner_left (past the resume window)" % label)
    a3 = await connect(cl.nodes[0], "127.0.0.11")
    await a3.send_json(type="resume", token=a.token)
    r = await a3.recv_type("resumed", "error", timeout=5)
    t.eq(r.get("code"), "bad_token", "%s: the used token is refused on n1"
         % label)
    await a2.send_json(type="leave")
    m = await b.recv_type("partner_left", timeout=3)
    t.eq(m.get("reason"), "leave", "%s: a's leave on n3 reaches b" % label)
    for w in (a2, a3, b):
        await w.close()


async def relay_after_move(t, cl):
    """The side of a pair on its relay node resumes on n3: the relay node
    keeps the pair (media goes on), and drops it when the pair ends."""
    a, b, ma, mb = await cross_pair(cl, 0, 1, "127.0.0.20", "127.0.0.21")
    relay = cl.node_of_servers(ma["iceServers"])
    if relay is None:
        t.ok(False, "a relay node")
        return
    ta, ra = turn_client(relay, ma["iceServers"][0])
    tb, rb = turn_client(relay, mb["iceServers"][0])
    mover, other = (a, b) if relay is cl.nodes[0] else (b, a)
    await mover.close()
    moved = await connect(cl.nodes[2], mover.ws.local_address[0])
    await moved.send_json(type="resume", token=mover.token)
    r = await moved.recv_type("resumed", "error")
    t.ok(r.get("partner") is True, "the side on the relay node (n%d) "
         "resumes on n3" % (cl.nodes.index(relay) + 1), r)
    codes = (ta.permit(*rb) or {}).get("code"), \
        (tb.permit(*ra) or {}).get("code")
    send_to(ta, rb, b"after the move")
    t.ok(codes == (0, 0) and receive(tb) == b"after the move",
         "the relay node still lets the pair permit each other and relays "
         "(%s)" % (codes,))
    await moved.send_json(type="leave")
    m = await other.recv_type("partner_left")
    t.eq(m.get("reason"), "leave", "the moved side leaves from n3")
    await asyncio.sleep(0.5)
    send_to(tb, ra, b"after the end")
    got = receive(ta)
    r = ta.permit(*rb)
    t.ok(got is None and r is not None and r["code"] == 403,
         "the relay node dropped the pair: nothing relayed, a new "
         "permission 403 (%s)" % (r and r["code"]))
    for x in (ta, tb):
        x.close()
    for w in (moved, other):
        await w.close()


async def node_restart(t, cl):
    """n3 is killed (-9) and started again at once, under the same name:
    its sessions died with the old run, though n3 was never silent for
    5 s.  b comes back and resumes on n2; e does not, and c hears so."""
    a, b, ma, mb = await cross_pair(cl, 0, 2, "127.0.0.22", "127.0.0.23")
    c, e, mc, me = await cross_pair(cl, 0, 2, "127.0.0.24", "127.0.0.25")
    old = cl.nodes[2]
    t0 = time.time()
    old.proc.kill()
    old.proc.wait()
    cl.nodes[2] = cl.make_node(3)
    cl.nodes[2].start()
    old.__exit__(None, None, None)
    started = time.time() - t0
    b2 = await connect(cl.nodes[1], "127.0.0.23")
    await b2.send_json(type="resume", token=b.token)
    try:
        r = await b2.recv_type("resumed", "error", timeout=8)
    except asyncio.TimeoutError:
        r = {}
    t.ok(r.get("type") == "resumed" and r.get("partner") is True,
         "n3 restarted (up again in %.1f s): b resumes on n2 with its "
         "partner" % started, r)
    try:
        m = await c.recv_type("partner_left", timeout=5 + RESUME + 4)
    except asyncio.TimeoutError:
        m = {}
    took = time.time() - t0
    t.ok(m.get("reason") == "disconnect" and took < started + 1 + RESUME + 2,
         "c gets partner_left (disconnect) in %.1f s: the restart counts "
         "as the old run's death" % took, m)
    await b2.send_json(type="chat", text="after the restart")
    try:
        m = await a.recv_type("chat", timeout=3)
    except asyncio.TimeoutError:
        m = {}
    t.eq(m.get("text"), "after the restart", "a and b still talk")
    q = [x["type"] for x in await a.quiet(0.3)]
    t.ok("partner_left" not in q, "a never got partner_left", q)
    t.ok(cl.wait_up(want=3, timeout=5), "three nodes up again")
    for w in (a, b2, c, e):
        await w.close()


async def node_death(t, cl):
    """a-b and c-e are paired across n1 and n3; n3 is killed (-9); b comes
    back on n2 and resumes, e does not."""
    a, b, ma, mb = await cross_pair(cl, 0, 2, "127.0.0.5", "127.0.0.6")
    c, e, mc, me = await cross_pair(cl, 0, 2, "127.0.0.13", "127.0.0.14")
    relay = cl.node_of_servers(mc["iceServers"])
    t0 = time.time()
    cl.nodes[2].proc.kill()
    cl.nodes[2].proc.wait()
    b2 = await connect(cl.nodes[1], "127.0.0.6")
    await b2.send_json(type="resume", token=b.token)
    try:
        r = await b2.recv_type("resumed", "error", timeout=8)
    except asyncio.TimeoutError:
        r = {}
    t.ok(r.get("type") == "resumed" and r.get("partner") is True,
         "b's node killed: b resumes on n2 with its partner (%.1f s)" %
         (time.time() - t0), r)
    left = None
    got = []
    try:
        while left is None:
            m = await c.recv_json(timeout=5 + RESUME + 4)
            got.append(m["type"])
            if m["type"] == "partner_left":
                left = m
    except asyncio.TimeoutError:
        pass
    took = time.time() - t0
    t.ok(left is not None and left.get("reason") == "disconnect" and
         took <= 5 + RESUME + 3, "e did not come back: c gets partner_left "
         "(disconnect) in %.1f s (heartbeat timeout 5 s + resume window "
         "%d s)" % (took, RESUME), got)
    if relay is cl.nodes[2]:
        t.ok("relay" in got, "the pair's relay node died: c got relay "
             "before that")
    else:
        t.ok("relay" not in got, "the relay node (c's) lives: no relay")
    await b2.send_json(type="chat", text="b from n2")
    try:
        m = await a.recv_type("chat", timeout=3)
    except asyncio.TimeoutError:
        m = {}
    t.eq(m.get("text"), "b from n2", "a hears b, resumed on n2")
    await a.send_json(type="chat", text="a to b")
    try:
        m = await b2.recv_type("chat", timeout=3)
    except asyncio.TimeoutError:
        m = {}
    t.eq(m.get("text"), "a to b", "b hears a")
    qa = [m for m in await a.quiet(0.3) + a.stash if m["type"] in
          ("partner_left", "relay")]
    qb = [m for m in await b2.quiet(0.3) if m["type"] == "relay"]
    t.eq([m["type"] for m in qa if m["type"] == "partner_left"], [],
         "a never got partner_left")
    ra = [m for m in qa if m["type"] == "relay"]
    if relay is cl.nodes[2] or cl.node_of_servers(ma["iceServers"]) is \
            cl.nodes[2]:
        t.ok(len(ra) == 1 and len(qb) == 1 and
             cl.node_of_servers(ra[0]["iceServers"]) is
             cl.node_of_servers(qb[0]["iceServers"]) and
             cl.node_of_servers(ra[0]["iceServers"]) in cl.nodes[:2],
             "their relay node died: both got relay naming the same live "
             "node", (ra, qb))
    t.ok(cl.wait_up(want=2, timeout=3) and
         metric(cl.nodes[0], 'meetopia_cluster_nodes{state="dead"}') == 1,
         "n1 counts two nodes up and one dead")
    for w in (a, b2, c, e):
        await w.close()


async def redis_down(t, cl):
    cl.redis.kill()
    deadline = time.time() + 8
    while time.time() < deadline and metric(cl.nodes[0],
                                            "meetopia_cluster_up") != 0:
        await asyncio.sleep(0.1)
    t.eq(metric(cl.nodes[0], "meetopia_cluster_up"), 0,
         "Redis killed: n1 reports meetopia_cluster_up 0")
    a = await connect(cl.nodes[0], "127.0.0.7")
    b = await connect(cl.nodes[0], "127.0.0.8")
    await a.send_json(type="find")
    await a.recv_type("waiting")
    await b.send_json(type="find")
    try:
        ma = await a.recv_type("matched", timeout=3)
        mb = await b.recv_type("matched", timeout=3)
        ok = ma["role"] == "offerer" and mb["role"] == "answerer"
    except asyncio.TimeoutError:
        ok = False
    t.ok(ok, "while Redis is down n1 pairs its own sessions")
    t.eq((await (await chat_pair(a, b))), "alone", "and they chat")
    w = await connect(cl.nodes[0], "127.0.0.26")
    await w.send_json(type="find")
    await w.recv_type("waiting")
    await w.close()
    cl.redis.start()
    deadline = time.time() + 10
    while time.time() < deadline and not all(
            metric(d, "meetopia_cluster_up") == 1 for d in cl.nodes[:2]):
        await asyncio.sleep(0.2)
    t.ok(all(metric(d, "meetopia_cluster_up") == 1 for d in cl.nodes[:2]),
         "Redis back: the nodes rejoin by themselves")
    t.ok(cl.wait_up(want=2, timeout=5), "and see each other again")
    c, e, mc, me = await cross_pair(cl, 0, 1, "127.0.0.9", "127.0.0.10")
    t.eq((mc.get("role"), me.get("role")), ("offerer", "answerer"),
         "and pair across nodes again")
    f = await connect(cl.nodes[1], "127.0.0.27")
    await f.send_json(type="find")
    q = await f.quiet(1.0)
    t.eq([x["type"] for x in q], ["waiting"], "a waiter that dropped while "
         "Redis was down is not queued in Redis when it is back")
    await f.close()
    for w in (a, b, c, e):
        await w.close()


async def chat_pair(a, b):
    async def go():
        await a.send_json(type="chat", text="alone")
        return (await b.recv_type("chat")).get("text")
    return go()


def main(t):
    if not have_redis():
        t.skip_all("redis-server is not installed (Debian: redis-server)")
    conf = {"resume-window": "%ds" % RESUME,
            "max-connections-per-ip": "64"}
    with Cluster(3, conf=conf) as cl:
        t.ok(cl.wait_up(timeout=10), "every node sees three nodes up")
        keys = redis_cli(cl, "--scan", "--pattern", "mtest:nodes:*")
        t.eq(sorted(keys.stdout.split()), ["mtest:nodes:n1", "mtest:nodes:n2",
                                           "mtest:nodes:n3"],
             "each node keeps its registry key")
        asyncio.run(messages(t, cl))
        asyncio.run(forged(t, cl))
        asyncio.run(malformed(t, cl))
        asyncio.run(dropped_waiter(t, cl))
        asyncio.run(crowd(t, cl))
        asyncio.run(resume_elsewhere(t, cl, 1, "partner on n2"))
        asyncio.run(resume_elsewhere(t, cl, 0, "partner on n1"))
        asyncio.run(relay_after_move(t, cl))
        asyncio.run(node_restart(t, cl))
        asyncio.run(node_death(t, cl))
        asyncio.run(redis_down(t, cl))
        for d in cl.nodes[:2]:
            t.ok(d.proc.poll() is None, "%s still runs" % d.conf["node-name"])


if __name__ == "__main__":
    Tap().run(main)
