#!/usr/bin/python3
"""ws-bench.py - how many concurrent WebSockets and pairings per second one
meetopiad holds (a benchmark, not a test).

    tools/ws-bench.py [--builddir DIR] [--connections N] [--procs P]
                      [--pair-clients C] [--seconds S]

Starts meetopiad from DIR (default: the current folder) on free loopback
ports with the test harness (tests/integration/harness.py), with limits
opened for the load (max-connections-per-ip, rate limits), then:

  1. concurrency: P client processes open N WebSockets in all (each from
     its own 127.x.y.z source address, so no port range runs out), wait for
     every `welcome`, then ping all of them at once and time the pongs;
     the daemon's RSS and CPU time are read from /proc;
  2. pairing churn: C clients on open sockets loop find -> matched ->
     next for S seconds; pairs/s = matched messages / 2 / S;
  3. session churn: clients loop connect -> welcome -> find -> matched ->
     close for S seconds (a whole visit per pair).

Only loopback is used.  Clients and daemon share this machine's cores, so
the figures are a lower bound for the daemon alone.  Needs Debian's
python3-websockets.
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from harness import metric, proc_stats  # noqa: E402


def src_addr(proc, i):
    # 127.P.x.y: up to 65k source addresses per process
    n = i + 1
    return "127.%d.%d.%d" % (10 + proc, (n >> 8) & 255, n & 255)


async def open_many(port, proc, n, hold, q):
    import websockets
    origin = "http://127.0.0.1:%d" % port
    url = "ws://127.0.0.1:%d/ws" % port
    socks, fails = [], 0
    t0 = time.time()

    async def one(i):
        nonlocal fails
        try:
            ws = await websockets.connect(
                url, origin=origin, local_addr=(src_addr(proc, i % 60000),
                                                0), open_timeout=30,
                ping_interval=None, close_timeout=1, max_queue=4)
            m = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if m.get("type") != "welcome":
                raise RuntimeError("no welcome")
            socks.append(ws)
        except Exception:
            fails += 1

    sem = asyncio.Semaphore(200)

    async def limited(i):
        async with sem:
            await one(i)

    await asyncio.gather(*(limited(i) for i in range(n)))
    opened = time.time() - t0
    q.put(("opened", proc, len(socks), fails, opened))
    # all ping at once, time the pongs
    await asyncio.sleep(hold)
    t1 = time.time()

    async def ping(ws):
        await ws.send('{"type":"ping"}')
        while json.loads(await asyncio.wait_for(ws.recv(), 60)).get(
                "type") != "pong":
            pass
        return time.time() - t1

    lat = await asyncio.gather(*(ping(ws) for ws in socks),
                               return_exceptions=True)
    ok = sorted(x for x in lat if isinstance(x, float))
    q.put(("pinged", proc, len(ok), ok[len(ok) // 2] if ok else 0,
           ok[int(len(ok) * 0.99)] if ok else 0))
    await asyncio.gather(*(ws.close() for ws in socks),
                         return_exceptions=True)


async def pair_churn(port, proc, n, seconds, q):
    import websockets
    origin = "http://127.0.0.1:%d" % port
    url = "ws://127.0.0.1:%d/ws" % port
    matched = 0
    stop = time.time() + seconds + 2

    async def client(i):
        nonlocal matched
        ws = await websockets.connect(url, origin=origin, ping_interval=None,
                                      local_addr=(src_addr(proc, i), 0))
        await ws.recv()
        await asyncio.sleep(1.5)        # everyone connected first
        await ws.send('{"type":"find"}')
        t_end = time.time() + seconds
        while time.time() < t_end:
            try:
                m = json.loads(await asyncio.wait_for(ws.recv(), 1))
            except asyncio.TimeoutError:
                continue
            t = m.get("type")
            if t == "matched":
                matched += 1
                await ws.send('{"type":"next"}')
            elif t == "partner_left":
                await ws.send('{"type":"find"}')
        await ws.close()

    await asyncio.gather(*(client(i) for i in range(n)),
                         return_exceptions=True)
    del stop
    q.put(("pairs", proc, matched))


async def session_churn(port, proc, n, seconds, q):
    import websockets
    origin = "http://127.0.0.1:%d" % port
    url = "ws://127.0.0.1:%d/ws" % port
    visits = 0
    t_end = time.time() + seconds

    async def client(i):
        nonlocal visits
        k = 0
        while time.time() < t_end:
            k += 1
            try:
                ws = await websockets.connect(
                    url, origin=origin, ping_interval=None, close_timeout=1,
                    local_addr=(src_addr(proc, (i * 997 + k) % 60000), 0))
                await ws.recv()
                await ws.send('{"type":"find"}')
                while True:
                    m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    if m.get("type") == "matched":
                        visits += 1
                        break
                await ws.close()
            except Exception:
                pass

    await asyncio.gather(*(client(i) for i in range(n)),
                         return_exceptions=True)
    q.put(("visits", proc, visits))


def worker(kind, port, proc, n, arg, q):
    try:
        if kind == "open":
            asyncio.run(open_many(port, proc, n, arg, q))
        elif kind == "pairs":
            asyncio.run(pair_churn(port, proc, n, arg, q))
        else:
            asyncio.run(session_churn(port, proc, n, arg, q))
    except Exception as e:
        q.put(("error", proc, repr(e)))


def run(kind, port, procs, total, arg):
    q = multiprocessing.Queue()
    ps = [multiprocessing.Process(target=worker, args=(
        kind, port, p, total // procs, arg, q)) for p in range(procs)]
    for p in ps:
        p.start()
    return ps, q


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=os.getcwd())
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--pair-clients", type=int, default=400)
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()
    os.environ["MTEST_BUILDDIR"] = os.path.abspath(a.builddir)
    import harness
    harness.MEETOPIAD = os.path.join(os.environ["MTEST_BUILDDIR"],
                                     "meetopiad")
    conf = {"max-connections-per-ip": "100000", "log-level": "info",
            "message-rate-limit": "10000", "signal-rate-limit": "100000",
            "resume-window": "0", "security-log": "/dev/null"}
    with harness.Daemon(conf=conf) as d:
        pid, port = d.proc.pid, d.http_port
        print("meetopiad pid %d on 127.0.0.1:%d" % (pid, port))

        rss0, cpu0 = proc_stats(pid)
        ps, q = run("open", port, a.procs, a.connections, 5)
        opened = fails = 0
        slowest = 0
        for _ in ps:
            m = q.get()
            if m[0] == "error":
                print("client error:", m)
                continue
            opened += m[2]
            fails += m[3]
            slowest = max(slowest, m[4])
        live = metric(d, "meetopia_ws_connections")
        rss1, cpu1 = proc_stats(pid)
        print("concurrent: %d WebSockets open (%d failed) in %.1f s; "
              "daemon says %d; RSS %d -> %d KiB (%.1f KiB per socket); "
              "daemon CPU %.2f s" % (opened, fails, slowest, live or 0, rss0,
                                     rss1, (rss1 - rss0) / max(opened, 1),
                                     cpu1 - cpu0))
        pinged, p50, p99 = 0, 0, 0
        for _ in ps:
            m = q.get()
            if m[0] == "pinged":
                pinged += m[2]
                p50, p99 = max(p50, m[3]), max(p99, m[4])
        print("           all pinged at once: %d pongs, median %.0f ms, "
              "p99 %.0f ms" % (pinged, p50 * 1000, p99 * 1000))
        for p in ps:
            p.join()
        time.sleep(1)

        _, cpu0 = proc_stats(pid)
        ps, q = run("pairs", port, a.procs, a.pair_clients, a.seconds)
        matched = 0
        for _ in ps:
            m = q.get()
            if m[0] == "pairs":
                matched += m[2]
            else:
                print("client error:", m)
        for p in ps:
            p.join()
        _, cpu1 = proc_stats(pid)
        print("pairing churn (%d clients, find/matched/next): %.0f pairs/s; "
              "daemon CPU %.0f%%" % (a.pair_clients, matched / 2 / a.seconds,
                                     100 * (cpu1 - cpu0) / (a.seconds + 2)))

        _, cpu0 = proc_stats(pid)
        n = max(a.procs * 2, a.pair_clients // 4)
        ps, q = run("visits", port, a.procs, n, a.seconds)
        visits = 0
        for _ in ps:
            m = q.get()
            if m[0] == "visits":
                visits += m[2]
            else:
                print("client error:", m)
        for p in ps:
            p.join()
        _, cpu1 = proc_stats(pid)
        print("session churn (%d clients, connect/welcome/find/matched/"
              "close): %.0f pairs/s; daemon CPU %.0f%%"
              % (n, visits / 2 / a.seconds, 100 * (cpu1 - cpu0) / a.seconds))


if __name__ == "__main__":
    main()
