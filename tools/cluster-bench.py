#!/usr/bin/python3
"""cluster-bench.py - pairing throughput and latency, and partner message
latency, of a meetopiad cluster against one node alone (a benchmark, not a
test; issue 17).

    tools/cluster-bench.py [--builddir DIR] [--nodes 1,2,3] [--sessions N]
                           [--procs P] [--rounds K] [--messages M]
                           [--message chat|candidate] [--timeout S]
                           [--node-cpu F]

For one meetopiad alone (no Redis) and then for clusters of 1, 2 and 3
nodes on one redis-server (tests/integration/cluster_nodes.py), all on free
loopback ports, it measures:

  1. find -> matched, idle: K pairs one after the other, alternately local
     (both sessions on one node) and cross-node (on two nodes): a finds and
     waits, then b finds; the time from b's find until both have matched;
  2. partner messages: on each of those pairs, M chat (or --message
     candidate: a relay candidate) messages each way,
     one at a time; the time from send to the partner's receipt;
  3. pairing throughput: N sessions spread over P client processes, each
     process's round-robin over the nodes, all send find at once; sessions paired per second = N / (last matched -
     first find), and each session's find -> matched under that load,
     split by local and cross-node pairs (partners tell each other who they
     are in a chat message afterwards).

With --node-cpu F every node runs in a cgroup of its own capped at F CPUs
(cpu.cfs_quota_us of cgroup v1's cpu controller, or cpu.max of cgroup v2;
needs root): each node is then a machine of F CPUs, as behind a load
balancer, while Redis and the clients run uncapped.  Without it every
process shares this machine's CPUs, and a cluster here can only add work
(Redis, the bus) to the same CPUs.

Percentiles are nearest-rank over the samples.  Every session has its own
127.x.y.z source address and the nodes run with max-connections-per-ip and
the message rate limits opened for the load.  Only loopback is used; every
process started is stopped at the end (and at exit, on error).  The
clients share the machine with the daemons and Redis, so the figures are a
lower bound; build without sanitizers for figures (./configure && make).
Needs redis-server and Debian's python3-websockets.
"""
import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import queue
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

CONF = {"max-connections-per-ip": "100000", "message-rate-limit": "10000",
        "signal-rate-limit": "100000", "rate-limit-max": "100000",
        "resume-window": "0", "security-log": "/dev/null"}


def pct(xs, p):
    """Nearest-rank percentile of xs (seconds) in ms, or None."""
    if not xs:
        return None
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k] * 1000.0


def fmt(xs):
    if not xs:
        return "-"
    return "%.2f/%.2f (%d)" % (pct(xs, 50), pct(xs, 99), len(xs))


class Src:
    """Source addresses 127.B.x.y, a new one per session."""

    def __init__(self, base=40):
        self.base, self.n = base, 0

    def next(self):
        self.n += 1
        n = self.n      # 250 per octet: no .0 nor .255
        return "127.%d.%d.%d" % (self.base + n // 62500, n // 250 % 250 + 1,
                                 n % 250 + 1)


RELAY_CAND = ("candidate:1 1 udp 2113937151 127.0.0.1 50000 typ relay "
              "raddr 127.0.0.2 rport 40000")


SDP = ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
       "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n")


def message(kind, m):
    if kind == "candidate":
        return {"type": "candidate", "candidate": RELAY_CAND,
                "sdpMid": str(m), "sdpMLineIndex": 0}
    return {"type": "chat", "text": "m%d" % m}


async def idle_pairs(nodes, rounds, messages, src, kind_msg="chat"):
    """Phase 1 and 2: {"local"|"cross": ([find->matched], [message])}."""
    from wsclient import connect
    out = {"local": ([], []), "cross": ([], [])}
    n = len(nodes)
    for k in range(rounds):
        kind = "local" if n == 1 or k % 2 == 0 else "cross"
        i = (k // 2) % n
        j = i if kind == "local" else (i + 1) % n
        a = await connect(nodes[i], src.next())
        b = await connect(nodes[j], src.next())
        try:
            await a.send_json(type="find")
            await a.recv_type("waiting")
            # waiting leaves as a's find goes to the queue: let it land.
            await asyncio.sleep(0.1)
            t0 = time.perf_counter()
            await b.send_json(type="find")
            await b.recv_type("matched")
            await a.recv_type("matched")
            out[kind][0].append(time.perf_counter() - t0)
            if kind_msg == "candidate":
                # Candidates follow the offer and the answer.
                # a waited: a offers.
                await a.send_json(type="offer", sdp=SDP)
                await b.recv_type("offer")
                await b.send_json(type="answer", sdp=SDP)
                await a.recv_type("answer")
            for m in range(messages):
                for x, y in ((a, b), (b, a)):
                    t0 = time.perf_counter()
                    await x.send_json(message(kind_msg, m))
                    await y.recv_type(kind_msg)
                    out[kind][1].append(time.perf_counter() - t0)
        finally:
            await a.close()
            await b.close()
    return out


class LeanWs:
    """A lean /ws client for the throughput phase: the HTTP upgrade, masked
    text frames out, whole unmasked frames in, JSON decoded only where a
    field is read.  python3-websockets spends several times the nodes' CPU
    per session, and on one machine paired/s would measure the clients."""

    def __init__(self, reader, writer):
        self.r, self.w = reader, writer

    @classmethod
    async def open(cls, port, src):
        r, w = await asyncio.open_connection("127.0.0.1", port,
                                             local_addr=(src, 0))
        key = base64.b64encode(os.urandom(16)).decode()
        w.write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                 "Origin: http://127.0.0.1:%d\r\n\r\n"
                 % (port, key, port)).encode())
        head = await r.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            w.close()
            raise RuntimeError("upgrade refused: %r" % head[:40])
        c = cls(r, w)
        if b'"welcome"' not in await c.recv():
            raise RuntimeError("no welcome")
        return c

    def send(self, obj):
        data = json.dumps(obj, separators=(",", ":")).encode()
        n = len(data)
        mask = os.urandom(4)
        hdr = bytes([0x81, 0x80 | n]) if n < 126 else \
            bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
        keys = (mask * (n // 4 + 1))[:n]
        body = (int.from_bytes(data, "big") ^
                int.from_bytes(keys, "big")).to_bytes(n, "big")
        self.w.write(hdr + mask + body)

    async def recv(self):
        """The payload of the next text frame (pings answered)."""
        while True:
            h = await self.r.readexactly(2)
            n = h[1] & 0x7F
            if n == 126:
                n = int.from_bytes(await self.r.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await self.r.readexactly(8), "big")
            data = await self.r.readexactly(n)
            op = h[0] & 0x0F
            if op == 0x8:
                raise EOFError("closed by the server")
            if op == 0x9:
                mask = os.urandom(4)
                self.w.write(bytes([0x8A, 0x80 | len(data)]) + mask +
                             bytes(b ^ mask[i & 3]
                                   for i, b in enumerate(data)))
                continue
            if op == 0x1:
                return data

    async def recv_type(self, kind):
        """The next message of type kind (raw); others are skipped."""
        tag = b'"type":"%s"' % kind.encode()
        while True:
            data = await self.recv()
            if tag in data:
                return data

    def close(self):
        self.w.close()


class Node:
    """What a client process needs of a node: its HTTP port."""

    def __init__(self, http_port):
        self.http_port = http_port


def node_of(idx, procs, n):
    """Node of throughput session idx: process idx % procs opens sessions
    idx, idx + procs, ...; each process spreads its own over every node, so
    that no node's sessions all come from one process."""
    return (idx // procs) % n


def src_of(idx):
    """Source address of throughput session idx: 127.50+.x.y."""
    return "127.%d.%d.%d" % (50 + idx // 62500, idx // 250 % 250 + 1,
                             idx % 250 + 1)


async def find_all(ports, mine, procs, ready, go):
    """One client process of phase 3: opens the sessions idx in mine
    (on node node_of(idx)), says ready, waits for go, then
    every one finds at once; returns [(idx, t_find, t_matched, partner)]
    (perf_counter is CLOCK_MONOTONIC: one clock for all processes)."""
    n = len(ports)
    sem = asyncio.Semaphore(100)
    loop = asyncio.get_running_loop()

    async def open_one(idx):
        async with sem:
            return await LeanWs.open(ports[node_of(idx, procs, n)],
                                     src_of(idx))

    clients = await asyncio.gather(*(open_one(i) for i in mine))
    ready.put(len(clients))
    await loop.run_in_executor(None, go.wait)
    res = {}

    async def one(idx, c):
        t0 = time.perf_counter()
        c.send({"type": "find"})
        try:
            await asyncio.wait_for(c.recv_type("matched"), 60)
        except (asyncio.TimeoutError, EOFError,
                asyncio.IncompleteReadError):
            return
        res[idx] = [t0, time.perf_counter(), None]
        # Who is whose partner: each says its index.
        c.send({"type": "chat", "text": "id:%d" % idx})
        try:
            m = json.loads(await asyncio.wait_for(c.recv_type("chat"), 30))
        except (asyncio.TimeoutError, EOFError,
                asyncio.IncompleteReadError, ValueError):
            return
        text = m.get("text", "")
        if text.startswith("id:"):
            res[idx][2] = int(text[3:])

    try:
        await asyncio.gather(*(one(i, c) for i, c in zip(mine, clients)))
    finally:
        for c in clients:
            c.close()
    return [(i, v[0], v[1], v[2]) for i, v in res.items()]


def find_worker(ports, mine, procs, ready, go, out):
    try:
        out.put(asyncio.run(find_all(ports, mine, procs, ready, go)))
    except Exception as e:  # reported by the parent
        ready.put(0)
        out.put("error: %r" % e)


class CpuCap:
    """Cgroups capping each of some processes at a share of a CPU."""

    V1, V2 = "/sys/fs/cgroup/cpu", "/sys/fs/cgroup"

    def __init__(self, cpus):
        self.cpus, self.dirs = cpus, []
        if os.path.exists(os.path.join(self.V1, "cpu.cfs_quota_us")):
            self.root, self.v2 = self.V1, False
        elif os.path.exists(os.path.join(self.V2, "cgroup.controllers")):
            self.root, self.v2 = self.V2, True
        else:
            sys.exit("--node-cpu: no cgroup cpu controller here")

    def cap(self, pid):
        d = os.path.join(self.root, "meetopia-bench-%d" % pid)
        os.mkdir(d)
        self.dirs.append(d)
        period = 100000
        quota = int(self.cpus * period)
        if self.v2:
            with open(os.path.join(d, "cpu.max"), "w") as f:
                f.write("%d %d" % (quota, period))
        else:
            with open(os.path.join(d, "cpu.cfs_period_us"), "w") as f:
                f.write(str(period))
            with open(os.path.join(d, "cpu.cfs_quota_us"), "w") as f:
                f.write(str(quota))
        with open(os.path.join(d, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def close(self):
        """Removes the cgroups (their processes have exited)."""
        for d in self.dirs:
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except OSError:
                    time.sleep(0.1)
        self.dirs = []


def cpu_secs(pid):
    """utime + stime of process pid (all its threads) in seconds, or 0."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def throughput(nodes, sessions, procs, timeout, redis_pid=None):
    """Phase 3 over procs client processes: (sessions paired, seconds,
    {"local"|"cross": [latency]}, errors, {"nodes"|"redis"|"clients":
    CPU seconds from go until the last process reported})."""
    ctx = multiprocessing.get_context("fork")
    ready, go, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    ports = [d.http_port for d in nodes]
    n = len(nodes)
    ps = [ctx.Process(target=find_worker, daemon=True,
                      args=(ports, list(range(p, sessions, procs)), procs,
                            ready, go, out)) for p in range(procs)]
    for p in ps:
        p.start()
    rows, errors = [], []
    try:
        deadline = time.time() + timeout
        for _ in ps:
            ready.get(timeout=max(1, deadline - time.time()))
        groups = {"nodes": [d.proc.pid for d in nodes],
                  "redis": [redis_pid] if redis_pid else [],
                  "clients": [p.pid for p in ps]}
        cpu0 = {k: sum(cpu_secs(x) for x in v) for k, v in groups.items()}
        go.set()
        got = []
        for _ in ps:
            r = out.get(timeout=max(1, deadline - time.time()))
            got.append(r)
            if len(got) == len(ps):
                cpu = {k: sum(cpu_secs(x) for x in v) - cpu0[k]
                       for k, v in groups.items()}
            if isinstance(r, str):
                errors.append(r)
            else:
                rows += r
    finally:
        for p in ps:
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join()
    if not rows:
        return 0, 0, {"local": [], "cross": []}, errors, {}
    secs = max(r[2] for r in rows) - min(r[1] for r in rows)
    lat = {"local": [], "cross": []}
    for idx, t0, t1, partner in rows:
        if partner is not None:
            same = node_of(partner, procs, n) == node_of(idx, procs, n)
            lat["local" if same else "cross"].append(t1 - t0)
    return len(rows), secs, lat, errors, cpu


def measure(nodes, a, redis_pid=None):
    idle = asyncio.run(asyncio.wait_for(
        idle_pairs(nodes, a.rounds, a.messages, Src(), a.message),
        a.timeout))
    paired, secs, load, errors, cpu = throughput(
        nodes, a.sessions, a.procs, a.timeout, redis_pid)
    for e in errors:
        print("client process: %s" % e)
    return {"idle": idle, "paired": paired, "secs": secs, "load": load,
            "cpu": cpu, "loadavg": os.getloadavg()[0]}


def run_setup(label, n, a, results):
    from cluster_nodes import Cluster
    from harness import Daemon
    t0 = time.time()
    if n == 0:
        ctx = Daemon(conf=CONF)
    else:
        ctx = Cluster(n, conf=CONF)
    cap = CpuCap(a.node_cpu) if a.node_cpu else None
    try:
        with ctx as c:
            nodes = [c] if n == 0 else c.nodes
            if n and not c.wait_up(n, timeout=20):
                print("%s: the nodes did not all come up" % label)
                return
            for d in nodes if cap else []:
                cap.cap(d.proc.pid)
            try:
                r = measure(nodes, a, None if n == 0 else c.redis.proc.pid)
            except (asyncio.TimeoutError, queue.Empty):
                print("%s: over --timeout %ss, skipped"
                      % (label, a.timeout))
                return
    finally:
        if cap:
            cap.close()
    r["wall"] = time.time() - t0
    results.append((label, r))
    print("%s: done in %.1f s" % (label, r["wall"]), flush=True)


def table(results, a):
    print()
    print("sessions %d, idle rounds %d, %d messages each way per round; "
          "ms as p50/p99 (samples)%s" % (
              a.sessions, a.rounds, a.messages,
              "; each node capped at %g CPU" % a.node_cpu
              if a.node_cpu else ""))
    head = ("setup", "paired/s", "idle local", "idle cross", "load local",
            "load cross", "msg local", "msg cross")
    w = (16, 8, 17, 17, 18, 18, 17, 17)
    print("  ".join(h.ljust(x) for h, x in zip(head, w)))
    for label, r in results:
        rate = r["paired"] / r["secs"] if r["secs"] > 0 else 0
        row = (label, "%.0f" % rate,
               fmt(r["idle"]["local"][0]), fmt(r["idle"]["cross"][0]),
               fmt(r["load"]["local"]), fmt(r["load"]["cross"]),
               fmt(r["idle"]["local"][1]), fmt(r["idle"]["cross"][1]))
        print("  ".join(v.ljust(x) for v, x in zip(row, w)))
        cpu = r.get("cpu") or {}
        if r["paired"]:
            per = lambda k: 1000.0 * cpu.get(k, 0) / r["paired"]  # noqa
            print("  %s: CPU ms per paired session during paired/s: "
                  "nodes %.3f, redis %.3f, clients %.3f; wall %.0f ms; "
                  "load average %.2f"
                  % (label, per("nodes"), per("redis"), per("clients"),
                     1000.0 * r["secs"], r["loadavg"]))
        if r["paired"] < a.sessions:
            print("  (%s: %d of %d sessions matched)"
                  % (label, r["paired"], a.sessions))
    print("paired/s: sessions matched per second, all finding at once; "
          "idle: find -> both matched, one pair at a time; load: each "
          "session's find -> matched during the paired/s run; msg: %s "
          "send -> partner receives" % a.message)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=os.getcwd())
    ap.add_argument("--nodes", default="1,2,3",
                    help="cluster sizes to run, comma-separated (the "
                    "node alone without Redis is always run first)")
    ap.add_argument("--sessions", type=int, default=2000,
                    help="sessions finding at once (even)")
    ap.add_argument("--rounds", type=int, default=200,
                    help="pairs made one at a time per setup")
    ap.add_argument("--messages", type=int, default=10,
                    help="chat messages each way per idle pair")
    ap.add_argument("--message", choices=("chat", "candidate"),
                    default="chat", help="the partner message timed")
    ap.add_argument("--procs", type=int, default=4,
                    help="client processes for the throughput phase")
    ap.add_argument("--timeout", type=float, default=300,
                    help="seconds at most per phase")
    ap.add_argument("--node-cpu", type=float, default=0,
                    help="cap each node at this many CPUs in a cgroup of "
                    "its own (0: no cap)")
    a = ap.parse_args()
    if a.node_cpu < 0 or a.node_cpu > 64:
        ap.error("--node-cpu: 0 to 64")
    a.sessions += a.sessions % 2
    sizes = [int(x) for x in a.nodes.split(",") if x.strip()]
    if any(s < 1 or s > 3 for s in sizes):
        ap.error("--nodes: sizes from 1 to 3")
    os.environ["MTEST_BUILDDIR"] = os.path.abspath(a.builddir)
    import harness
    harness.MEETOPIAD = os.path.join(os.environ["MTEST_BUILDDIR"],
                                     "meetopiad")
    from redis_server import have_redis
    if not os.access(harness.MEETOPIAD, os.X_OK):
        sys.exit("no meetopiad in %s (--builddir)" % a.builddir)
    if sizes and not have_redis():
        sys.exit("redis-server is not installed")
    results = []
    run_setup("1 node, no Redis", 0, a, results)
    for n in sizes:
        run_setup("cluster of %d" % n, n, a, results)
    table(results, a)


if __name__ == "__main__":
    main()
