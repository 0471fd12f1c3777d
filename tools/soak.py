#!/usr/bin/python3
"""soak.py - load and soak of one meetopiad (a script, not a test).

    tools/soak.py [--builddir DIR] [--minutes M] [--allocations N]
                  [--websockets W] [--fps F] [--procs P] [--warmup S]
                  [--json FILE]

Starts meetopiad from DIR (default: the current folder; use a build
without sanitizers for the figures) on free loopback ports through the test
harness, with quotas and per-IP limits opened for the load, then for M
minutes (default 10) at once:

  media       meetopia-bench holds N TURN allocations (default 10 000) in
              pairs through the relay and streams SRTP audio on every one
              of them at F packets a second (default 5; 50 000 packets/s
              relayed for 10 000 allocations), refreshing allocations,
              permissions and channels as they age;
  websockets  P client processes (default 4) keep W WebSockets (default
              5000) busy with churn: find -> matched -> a chat each way ->
              20 to 60 s -> next; after one to six partners the socket is
              closed and a new visitor connects (a new session).

Every 10 s it samples the daemon's RSS, CPU time and descriptors and its
/metrics gauges.  At the end it prints the figures and a verdict: RSS flat
within 5% after the warm-up (default 60 s), 0 client errors (an `error`
message, an unexpected close, a missing answer), 0 lost or failed media
packets, the daemon alive.  Exit 0 when all hold, 1 otherwise.  Loopback
only.  Needs Debian's python3-websockets.
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from harness import metric, proc_fds, proc_stats  # noqa: E402

# Below Linux's ephemeral ports (32768-60999), where meetopia-bench's own
# 10 000 client sockets are: relayed ports must not compete with them.
RELAY_MIN, RELAY_MAX = 12000, 32000
# Seconds a pair talks before `next`: 5000 sockets make about 60 pairings
# a second, which the Python clients can drive beside the media on two
# cores (with 3-12 s they took the CPU the bench needed).
TALK_MIN, TALK_MAX = 20, 60


def src_addr(proc, i):
    n = i + 1
    return "127.%d.%d.%d" % (20 + proc, (n >> 8) & 255, n & 255)


class Counts(dict):
    def add(self, k, n=1):
        self[k] = self.get(k, 0) + n


async def visitor(port, proc, i, t_end, c):
    """One browser tab after another on one source address."""
    import websockets
    url = "ws://127.0.0.1:%d/ws" % port
    origin = "http://127.0.0.1:%d" % port
    rnd = random.Random(proc * 100003 + i)
    await asyncio.sleep(rnd.uniform(0, 5))          # spread the start
    while time.time() < t_end:
        try:
            ws = await websockets.connect(
                url, origin=origin, local_addr=(src_addr(proc, i), 0),
                open_timeout=30, ping_interval=None, close_timeout=2,
                max_queue=64)
        except Exception as e:
            c.add("error:connect:%s" % type(e).__name__)
            await asyncio.sleep(1)
            continue
        c.add("sessions")
        try:
            await session(ws, rnd, t_end, c)
        except websockets.ConnectionClosed as e:
            c.add("error:closed:%s" % (e.rcvd.code if e.rcvd else "none"))
        except asyncio.TimeoutError:
            c.add("error:timeout")
        except Exception as e:
            c.add("error:%s" % type(e).__name__)
        try:
            await ws.close()
        except Exception:
            pass


async def session(ws, rnd, t_end, c):
    async def recv(timeout):
        m = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        t = m.get("type")
        if t == "error" and m.get("code") == "no_partner":
            # A chat that crossed the partner's `next`: a race of the
            # load, not a fault.
            c.add("chat_after_partner_left")
        elif t == "error":
            c.add("error:%s" % m.get("code"))
        return m

    m = await recv(30)
    if m.get("type") != "welcome":
        c.add("error:no_welcome")
        return
    await ws.send('{"type":"find"}')
    conversations = rnd.randint(1, 6)
    while time.time() < t_end and conversations > 0:
        # Queued: wait for a partner (up to 2 minutes; not past the end).
        try:
            m = await recv(max(0.1, min(120, t_end - time.time())))
        except asyncio.TimeoutError:
            if time.time() >= t_end:
                break
            raise
        t = m.get("type")
        if t != "matched":
            continue
        c.add("matched")
        await ws.send(json.dumps({"type": "chat", "text": "hello <b>%d</b>"
                                  % rnd.randint(0, 1 << 30)}))
        c.add("chats_sent")
        talk_end = time.time() + rnd.uniform(TALK_MIN, TALK_MAX)
        left = False
        while time.time() < talk_end:
            try:
                m = await recv(max(0.05, talk_end - time.time()))
            except asyncio.TimeoutError:
                break
            t = m.get("type")
            if t == "chat":
                c.add("chats_received")
            elif t == "partner_left":
                c.add("partner_left")
                left = True
                break
        conversations -= 1
        if left:
            await ws.send('{"type":"find"}')
        elif conversations > 0:
            await ws.send('{"type":"next"}')
            c.add("next")
    c.add("churned")


def ws_worker(port, proc, n, seconds, q):
    c = Counts()
    t_end = time.time() + seconds

    async def main():
        await asyncio.gather(*(visitor(port, proc, i, t_end, c)
                               for i in range(n)))
    try:
        asyncio.run(main())
    except Exception as e:
        c.add("error:worker:%s" % type(e).__name__)
    q.put(dict(c))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=os.getcwd())
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--allocations", type=int, default=10000)
    ap.add_argument("--websockets", type=int, default=5000)
    ap.add_argument("--fps", type=int, default=5)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--warmup", type=float, default=60)
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.allocations % 2:
        ap.error("--allocations must be even (pairs)")
    builddir = os.path.abspath(a.builddir)
    os.environ["MTEST_BUILDDIR"] = builddir
    import harness
    harness.MEETOPIAD = os.path.join(builddir, "meetopiad")
    seconds = a.minutes * 60
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # The daemon's: a relayed socket per allocation, one per WebSocket,
    # and WebSockets under half of the limit (its HTTP cap).
    need = max(a.allocations + a.websockets, a.websockets * 2) + 512
    if hard != resource.RLIM_INFINITY and hard < need:
        sys.exit("soak: the descriptor limit %d is below the %d needed"
                 % (hard, need))

    conf = {"min-port": str(RELAY_MIN), "max-port": str(RELAY_MAX),
            "user-quota": "0", "ip-quota": "0",
            "total-quota": str(a.allocations + 1000),
            "max-connections-per-ip": "100000",
            "signal-rate-limit": "100000", "message-rate-limit": "1000",
            "resume-window": "0", "security-log": "/dev/null"}
    limits = {resource.RLIMIT_NOFILE: (hard, hard)}
    with harness.Daemon(conf=conf, rlimits=limits, timeout=30) as d:
        pid, port = d.proc.pid, d.http_port
        print("soak: meetopiad pid %d, TURN 127.0.0.1:%d, HTTP :%d; %g "
              "minutes, %d allocations at %d packets/s, %d WebSockets"
              % (pid, d.turn_port, port, a.minutes, a.allocations, a.fps,
                 a.websockets), flush=True)
        t0 = time.time()
        bench = subprocess.Popen(
            [os.path.join(builddir, "meetopia-bench"), "-p",
             str(d.turn_port), "--secret", d.secret, "-n",
             str(a.allocations), "-P", "audio", "--fps", str(a.fps),
             "-d", str(int(seconds)), "--json", "-q", "--concurrency", "256",
             # Debian's libsrtp2 (on NSS) slows down with thousands of
             # contexts (2000 streams: 10 000 packets/s, 4000: 6500 with
             # 0.3 s of delay); the bench's OpenSSL SRTP, checked against
             # libsrtp2 at its start, keeps up with 10 000.
             "--srtp", "openssl"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        q = multiprocessing.Queue()
        ws_secs = seconds - 5
        ps = [multiprocessing.Process(target=ws_worker, args=(
            port, p, a.websockets // a.procs, ws_secs, q))
            for p in range(a.procs)]
        for p in ps:
            p.start()

        samples = []
        while time.time() - t0 < seconds + 30 and bench.poll() is None:
            time.sleep(10)
            if d.proc.poll() is not None:
                break
            rss, cpu = proc_stats(pid)
            fds = proc_fds(pid)
            s = {"t": round(time.time() - t0), "rss_kib": rss,
                 "cpu_s": round(cpu, 1), "fds": fds,
                 "allocations": metric(d, "meetopia_turn_allocations"),
                 "websockets": metric(d, "meetopia_ws_connections")}
            samples.append(s)
            print("soak: t=%4ds RSS %7d KiB CPU %7.1f s fds %5d "
                  "allocations %s websockets %s" % (
                      s["t"], rss, cpu, fds, s["allocations"],
                      s["websockets"]), flush=True)
        out, err = bench.communicate(timeout=300)
        ws = Counts()
        for _ in ps:
            try:
                for k, v in q.get(timeout=120).items():
                    ws.add(k, v)
            except Exception:
                ws.add("error:worker_lost")
        for p in ps:
            p.join(30)
        alive = d.proc.poll() is None
        try:
            j = json.loads(out)
        except ValueError:
            j = None
            print("soak: meetopia-bench: %s" % err.strip()[-2000:])

    warm = [s for s in samples if s["t"] >= a.warmup]
    growth = None
    if len(warm) >= 2:
        base = warm[0]["rss_kib"]
        growth = 100.0 * (max(s["rss_kib"] for s in warm) - base) / base
    ws_errors = {k: v for k, v in ws.items() if k.startswith("error")}
    media_lost = j["loss"]["packets"] if j else None
    report = {
        "minutes": a.minutes, "allocations": a.allocations,
        "fps": a.fps, "websockets": a.websockets,
        "samples": samples,
        "rss_after_warmup_kib": warm[0]["rss_kib"] if warm else None,
        "rss_max_kib": max(s["rss_kib"] for s in samples) if samples
        else None,
        "rss_growth_percent": growth,
        "daemon_cpu_s": samples[-1]["cpu_s"] if samples else None,
        "bench": j, "websocket_clients": dict(ws),
        "websocket_errors": ws_errors, "daemon_alive": alive,
    }
    ok = (alive and growth is not None and growth <= 5.0 and not ws_errors
          and j is not None and j["allocations"]["ok"] == a.allocations
          and media_lost == 0 and j["check"]["failed"] == 0)
    report["verdict"] = "ok" if ok else "FAILED"
    if j:
        print("soak: media: %d/%d allocations, %.0f packets/s relayed, "
              "%d received, %d lost, %d failed the SRTP check, p50 %.2f ms, "
              "p99 %.2f ms" % (
                  j["allocations"]["ok"], a.allocations,
                  j["packets"]["received_per_second"],
                  j["packets"]["received"], j["loss"]["packets"],
                  j["check"]["failed"], j["latency_ms"]["p50"],
                  j["latency_ms"]["p99"]))
    print("soak: websockets: %s" % json.dumps(dict(sorted(ws.items()))))
    print("soak: RSS after %ds warm-up %s KiB, max %s KiB, growth %s%%; "
          "daemon CPU %s s; alive %s" % (
              a.warmup, report["rss_after_warmup_kib"],
              report["rss_max_kib"],
              "%.2f" % growth if growth is not None else "?",
              report["daemon_cpu_s"], alive))
    print("soak: %s" % report["verdict"])
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
