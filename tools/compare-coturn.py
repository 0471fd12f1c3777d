#!/usr/bin/python3
"""compare-coturn.py - meetopiad and coturn side by side, on loopback.

    tools/compare-coturn.py [--builddir DIR] [--json FILE] [--rss-allocations N]
                            [--skip-meetopiad] [--skip-coturn] [--phase-seconds S]
                            [--relay-threads N]

Starts coturn's turnserver (Debian package coturn) and then meetopiad (from
the build tree), each with a temporary configuration on 127.0.0.1 and the
same settings (REST secret, realm, relay range, loopback peers allowed), and
runs the same load against each, one after the other:

  rss       meetopia-bench --profile none -n 10000 (pairs, permissions and
            channels): VmRSS minus the idle baseline, per allocation; and
            allocations per second, with the server's time waiting for a
            CPU and its threads' runs (context switches in) per
            allocation, from /proc/PID/task/*/schedstat: the bench keeps
            64 Allocates in flight and each takes four round trips, so on
            a busy machine allocations/s measures how long the server's
            threads (and the bench's) wait to be scheduled, and a server
            that sleeps and wakes more often per request loses more
  media     meetopia-bench -n 100 --profile 1080p30 (libsrtp2): relay CPU
            seconds per million relayed packets (utime+stime from
            /proc/PID/stat), loss, p99 latency, jitter
  max       meetopia-bench -n 20 --profile max --srtp openssl, the best of
            three 5 s runs with one bench thread and three with one per
            core (up to 4): the most relayed packets per second on this
            machine, and CPU per packet at saturation
  uclient   coturn's turnutils_uclient -y -c -z 0 (client to client, no
            pacing): relay CPU per million packets, loss, wall time; with
            channels over UDP, with Send/Data indications (-s), and with
            channels over TCP (-t), and gently over TLS (-t -S -m 2, a
            self-signed pair made here with openssl(1) for both servers)
  media_tcp, media_tls
            meetopia-bench -n 100 --profile 1080p30 --srtp openssl over TCP
            and TLS

Both servers run with their default relay threads (coturn: one per core;
meetopiad: one event loop on one CPU, one worker thread on two, one per
CPU above) unless --relay-threads N gives meetopiad another value.

And tools/raw-loopback, the ceiling: one recvmmsg + one sendmmsg per packet
and no relay.  Prints a table per server, then ours/coturn ratios.

Loopback only, every phase bounded (60 s), every process it starts is
stopped at the end, even on failure.  Not part of make check.  Build
without --enable-sanitizers for figures worth quoting.
"""
import argparse
import json
import os
import platform
import re
import secrets
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
from harness import proc_stats  # noqa: E402

REALM = "compare.test"
RELAY_MIN, RELAY_MAX = 12000, 32767     # below the kernel's ephemeral range
PHASE_TIMEOUT = 60
PAYLOAD = 1100                           # RTP payload; 1126 bytes of UDP
UDP_PAYLOAD = 12 + PAYLOAD + 10 + 4      # RTP + SRTP tag + ChannelData

procs = []


def die(msg):
    print("compare-coturn: %s" % msg, file=sys.stderr)
    sys.exit(1)


def free_port():
    """A port free for UDP and TCP on 127.0.0.1 (outside the relay range)."""
    for _ in range(200):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
        except OSError:
            t.close()
            u.close()
            continue
        t.close()
        u.close()
        return port
    die("no free port")


def proc_cpu(pid):
    """utime + stime of a process (all its threads), in seconds."""
    return proc_stats(pid)[1]


def proc_rss_kb(pid):
    return proc_stats(pid)[0]


def proc_sched(pid):
    """(ns waiting on a run queue, runs) summed over a process's threads,
    from /proc/PID/task/*/schedstat (zeros where the kernel has none)."""
    wait = runs = 0
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return 0, 0
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                _, w, n = f.read().split()[:3]
        except (OSError, ValueError):
            continue
        wait += int(w)
        runs += int(n)
    return wait, runs


def stun_ping(port, timeout=0.3):
    """A STUN Binding request; True when a Binding success comes back."""
    txid = secrets.token_bytes(12)
    req = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + txid
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(req, ("127.0.0.1", port))
        data = s.recv(2048)
        return len(data) >= 20 and data[0:2] == b"\x01\x01" and data[8:20] == txid
    except OSError:
        return False
    finally:
        s.close()


def stop(p, timeout=10):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            try:
                p.wait(1)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGTERM)   # meetopiad: end the drain
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def is_sanitized(path):
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


class Server:
    def __init__(self, name, tmp):
        self.name = name
        self.tmp = tmp
        self.proc = None
        self.port = free_port()
        self.tls_port = free_port()
        self.version = ""
        self.make_cert()

    def make_cert(self):
        """A self-signed pair for TLS; uclient does not verify it."""
        self.cert = os.path.join(self.tmp, "cert.pem")
        self.key = os.path.join(self.tmp, "key.pem")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey",
                            "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                            "-keyout", self.key, "-out", self.cert],
                           capture_output=True, text=True)
        if p.returncode != 0:
            die("openssl req: %s" % p.stderr.strip())

    def stop(self):
        if self.proc is not None:
            stop(self.proc)


class Coturn(Server):
    def start(self, secret):
        conf = os.path.join(self.tmp, "turnserver.conf")
        log = os.path.join(self.tmp, "turnserver.log")
        with open(conf, "w") as f:
            f.write("\n".join([
                "listening-ip=127.0.0.1", "relay-ip=127.0.0.1",
                "listening-port=%d" % self.port,
                "min-port=%d" % RELAY_MIN, "max-port=%d" % RELAY_MAX,
                "use-auth-secret", "static-auth-secret=%s" % secret,
                "realm=%s" % REALM, "allowed-peer-ip=127.0.0.1",
                "allow-loopback-peers", "no-cli", "no-dtls",
                "tls-listening-port=%d" % self.tls_port,
                "cert=%s" % self.cert, "pkey=%s" % self.key,
                "no-tlsv1", "no-tlsv1_1",
                "no-tcp-relay", "log-file=%s" % log, "simple-log",
                "pidfile=%s" % os.path.join(self.tmp, "turnserver.pid"),
                "no-stun-backward-compatibility", ""]))
        out = subprocess.run(["turnserver", "--version"], capture_output=True,
                             text=True)
        self.version = "coturn " + (out.stdout.strip() or out.stderr.strip())
        self.proc = subprocess.Popen(["turnserver", "-c", conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.tmp, "stderr"), "wb"))
        procs.append(self.proc)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                die("turnserver exited with %s" % self.proc.returncode)
            if stun_ping(self.port):
                return
            time.sleep(0.2)
        die("turnserver: no answer on 127.0.0.1:%d" % self.port)


class Meetopiad(Server):
    def start(self, secret, builddir, relay_threads=None):
        exe = os.path.join(builddir, "meetopiad")
        conf = os.path.join(self.tmp, "meetopia.conf")
        state = os.path.join(self.tmp, "state")
        self.log = os.path.join(self.tmp, "stderr")
        with open(conf, "w") as f:
            f.write("\n".join([
                "listen = 127.0.0.1", "turn-port = %d" % self.port,
                "http-port = %d" % free_port(),
                "tls-port = %d" % self.tls_port,
                "cert = %s" % self.cert, "pkey = %s" % self.key,
                "https-port = 0", "realm = %s" % REALM,
                "auth-secret = %s" % secret,
                "allowed-peer-ip = 127.0.0.1",
                "min-port = %d" % RELAY_MIN, "max-port = %d" % RELAY_MAX,
                # coturn's defaults: no per-user or per-IP quota (uclient
                # uses one name, every client is 127.0.0.1).
                "user-quota = 0", "ip-quota = 0"] +
                (["relay-threads = %d" % relay_threads]
                 if relay_threads is not None else []) + [""]))
        os.chmod(conf, 0o600)   # it holds auth-secret: meetopiad insists
        out = subprocess.run([exe, "--version"], capture_output=True, text=True)
        self.version = out.stdout.strip()
        args = [exe, "-c", conf, "--state-dir", state]
        if os.geteuid() == 0:
            args.append("--allow-root")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "wb"))
        procs.append(self.proc)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                die("meetopiad exited with %s:\n%s" % (self.proc.returncode,
                                                      open(self.log).read()[-2000:]))
            log = open(self.log, errors="replace").read()
            if "ready" in log:
                m = re.search(r"(\d+) worker threads?", log)
                self.version += (", %s relay threads" % m.group(1) if m
                                 else ", one relay loop")
                return
            time.sleep(0.1)
        die("meetopiad: not ready within 15 s")


def bench(opts, builddir, port, secret, extra, watch_hold=None):
    """Runs meetopia-bench; returns (json or None, stderr text)."""
    cmd = [os.path.join(builddir, "meetopia-bench"), "-p", str(port),
           "--secret", secret, "--json", "--no-progress"] + extra
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    procs.append(p)
    err = []
    if watch_hold is not None:
        # Measure while the allocations are held.
        for line in p.stderr:
            err.append(line)
            if "holding" in line:
                time.sleep(1.0)
                watch_hold()
                break
    try:
        out, rest = p.communicate(timeout=PHASE_TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        out, rest = p.communicate()
        err.append("timed out\n")
    err.append(rest or "")
    try:
        return json.loads(out), "".join(err).strip()
    except ValueError:
        return None, "".join(err).strip()


def uclient(port, secret, clients, msgs, extra=()):
    """turnutils_uclient client to client, no RTCP; extra comes last (a
    later -l wins)."""
    cmd = ["timeout", str(PHASE_TIMEOUT), "turnutils_uclient", "-y", "-c",
           "-W", secret, "-m", str(clients), "-n", str(msgs),
           "-l", str(UDP_PAYLOAD - 4)] + list(extra) + ["-p", str(port),
                                                         "127.0.0.1"]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - t0
    text = p.stdout + p.stderr
    r = {"wall_seconds": wall, "rc": p.returncode}
    for line in text.splitlines():
        if "error" in line.lower() and "error" not in r:
            r["error"] = line.split(": ", 2)[-1].strip()
        if "tot_send_msgs=" in line and "msz=" not in line:
            for part in line.split(","):
                k, _, v = part.strip().partition("=")
                if k.endswith("tot_send_msgs"):
                    r["sent"] = int(v)
                elif k.endswith("tot_recv_msgs"):
                    r["received"] = int(v)
        if "Total lost packets" in line:
            tail = line.split("Total lost packets", 1)[1].split()
            r["lost"] = int(tail[0])
        if "Total transmit time is" in line:
            r["transmit_seconds"] = int(line.rsplit(None, 1)[1])
        if "Average round trip delay" in line:
            r["rtt_avg_ms"] = float(line.split("delay", 1)[1].split()[0])
    return r


def run_server(srv, builddir, secret, opts):
    res = {"server": srv.version}
    pid = srv.proc.pid

    # Smoke: does it relay at all?
    j, err = bench(opts, builddir, srv.port, secret, ["-n", "2", "-d", "1"])
    if j is None or j["packets"]["received"] == 0:
        res["error"] = "does not relay: %s" % (err.splitlines()[-1] if err else "?")
        return res

    # RSS at N allocations, on a fresh server.
    time.sleep(1.0)
    base = proc_rss_kb(pid)
    held = {}

    def measure():
        held["rss"] = proc_rss_kb(pid)
        held["sched"] = proc_sched(pid)
        held["cpu"] = proc_cpu(pid)
    s0, cpu0 = proc_sched(pid), proc_cpu(pid)
    j, err = bench(opts, builddir, srv.port, secret,
                   ["-n", str(opts.rss_allocations), "-P", "none",
                    "--hold", "3", "--threads", "1"], watch_hold=measure)
    if j is not None and "rss" in held and j["allocations"]["ok"] > 0:
        ok = j["allocations"]["ok"]
        res["rss"] = {"allocations": ok, "baseline_kb": base,
                      "held_kb": held["rss"],
                      "per_allocation_kb": (held["rss"] - base) / ok,
                      "allocations_per_second": j["allocations"]["per_second"],
                      "failed": j["allocations"]["failed"],
                      "load_average": os.getloadavg()[0]}
        if "sched" in held:
            res["rss"]["runqueue_us_per_allocation"] = \
                (held["sched"][0] - s0[0]) / 1e3 / ok
            res["rss"]["runs_per_allocation"] = \
                (held["sched"][1] - s0[1]) / ok
            res["rss"]["cpu_us_per_allocation"] = \
                (held["cpu"] - cpu0) * 1e6 / ok
    else:
        res["rss"] = {"error": err.splitlines()[-1] if err else "no result"}
    time.sleep(1.0)

    # Media at a fixed rate.
    c0 = proc_cpu(pid)
    j, err = bench(opts, builddir, srv.port, secret,
                   ["-n", "100", "-P", "1080p30", "-d", str(opts.phase_seconds),
                    "--payload", str(PAYLOAD)])
    c1 = proc_cpu(pid)
    if j is not None:
        rel = j["packets"]["relayed"]
        res["media"] = {"relayed": rel, "pps": j["packets"]["relayed_per_second"],
                        "cpu_seconds": c1 - c0,
                        "cpu_s_per_mpkt": (c1 - c0) / (rel / 1e6) if rel else None,
                        "loss_pct": j["loss"]["percent"],
                        "p50_ms": j["latency_ms"]["p50"],
                        "p99_ms": j["latency_ms"]["p99"],
                        "jitter_ms": j["jitter_ms"]["mean"],
                        "check": j["check"]["result"],
                        "client_cpu_pct": j["client"]["cpu_percent"]}
    else:
        res["media"] = {"error": err.splitlines()[-1] if err else "no result"}

    # As fast as it takes: the best of a few short runs, since anything
    # else running on the machine takes a core from one side or the other;
    # with one bench thread and with one per core, so that neither the
    # client's one core nor a client that crowds the relay sets the limit.
    best = None
    bench_threads = [1] + ([min(os.cpu_count() or 1, 4)]
                           if (os.cpu_count() or 1) > 1 else [])
    for bt in bench_threads * opts.repeat:
        c0 = proc_cpu(pid)
        j, err = bench(opts, builddir, srv.port, secret,
                       ["-n", "20", "-P", "max", "--srtp", "openssl",
                        "--window", "32", "-d", str(opts.max_seconds),
                        "--threads", str(bt),
                        "--payload", str(PAYLOAD)])
        c1 = proc_cpu(pid)
        if j is None:
            res["max"] = {"error": err.splitlines()[-1] if err else "no result"}
            break
        rel = j["packets"]["relayed"]
        run = {"relayed": rel, "pps": j["packets"]["relayed_per_second"],
               "cpu_seconds": c1 - c0,
               "cpu_s_per_mpkt": (c1 - c0) / (rel / 1e6) if rel else None,
               "loss_pct": j["loss"]["percent"],
               "p99_ms": j["latency_ms"]["p99"],
               "check": j["check"]["result"],
               "client_cpu_pct": j["client"]["cpu_percent"],
               "bench_threads": bt,
               "load_average": os.getloadavg()[0]}
        if best is None or run["pps"] > best["pps"]:
            best = run
        res.setdefault("max_runs", []).append(run["pps"])
    if best is not None:
        res["max"] = best

    # Media over TCP and TLS (meetopia-bench, the same SRTP streams, on
    # OpenSSL's SRTP: with libsrtp2 100 TLS streams keep the client near a
    # whole core, and its own backlog, not the relay, made the latency).
    for key, proto, port in (("media_tcp", "tcp", srv.port),
                             ("media_tls", "tls", srv.tls_port)):
        c0 = proc_cpu(pid)
        j, err = bench(opts, builddir, port, secret,
                       ["-t", proto, "-n", "100", "-P", "1080p30",
                        "-d", str(opts.phase_seconds),
                        "--payload", str(PAYLOAD), "--srtp", "openssl"])
        c1 = proc_cpu(pid)
        if j is not None:
            rel = j["packets"]["relayed"]
            res[key] = {"relayed": rel,
                        "pps": j["packets"]["relayed_per_second"],
                        "cpu_s_per_mpkt": (c1 - c0) / (rel / 1e6) if rel
                        else None,
                        "loss_pct": j["loss"]["percent"],
                        "p99_ms": j["latency_ms"]["p99"],
                        "client_cpu_pct": j["client"]["cpu_percent"],
                        "allocations_failed": j["allocations"]["failed"]}
        else:
            res[key] = {"error": err.splitlines()[-1] if err else "no result"}

    # coturn's own load generator: channels, Send/Data indications, then
    # channels over TCP, at full speed (-z 0), client to client; and over
    # TLS, gently (-m 2, paced): uclient opens each TLS connection with a
    # TLS version picked at random and retries the ones a server refuses
    # (1.0 and 1.1 here); at speed, or to turnutils_peer, its TLS runs
    # lose packets or stall with either server (in tries here: 45-100%
    # lost with meetopiad, hangs with coturn), so its TLS line says
    # little; media_tls above is the TLS measure.
    for key, port, extra, msgs, clients in (
            ("uclient", srv.port, ("-z", "0"), opts.uclient_messages, 20),
            ("uclient_s", srv.port, ("-z", "0", "-s"),
             opts.uclient_messages, 20),
            ("uclient_tcp", srv.port, ("-z", "0", "-t"),
             opts.uclient_messages, 20),
            ("uclient_tls", srv.tls_port, ("-t", "-S", "-l", "170"), 500,
             2)):
        c0 = proc_cpu(pid)
        u = uclient(port, secret, clients, msgs, extra)
        c1 = proc_cpu(pid)
        u["cpu_seconds"] = c1 - c0
        if u.get("received"):
            u["cpu_s_per_mpkt"] = (c1 - c0) / (u["received"] / 1e6)
            u["loss_pct"] = 100.0 * u.get("lost", 0) / max(1, u.get("sent", 1))
        res[key] = u
    return res


def raw_limit(builddir, seconds, repeat):
    """The best of a few runs of tools/raw-loopback."""
    exe = os.path.join(builddir, "tools", "raw-loopback")
    best = None
    for _ in range(repeat):
        p = subprocess.run([exe, "--flows", "20", "--window", "32", "--payload",
                            str(UDP_PAYLOAD), "--seconds", str(seconds),
                            "--json"], capture_output=True, text=True,
                           timeout=PHASE_TIMEOUT)
        try:
            r = json.loads(p.stdout)
        except ValueError:
            return {"error": p.stderr.strip()}
        if best is None or r["pps"] > best["pps"]:
            best = r
    return best


def fmt(v, spec):
    if v is None:
        return "-"
    return format(v, spec)


def get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


ROWS = [
    ("relay CPU s / Mpkt, 1080p30 x100", ("media", "cpu_s_per_mpkt"), ".2f", "lower"),
    ("relayed pps, 1080p30 x100", ("media", "pps"), ".0f", None),
    ("loss %, 1080p30 x100", ("media", "loss_pct"), ".3f", None),
    ("p99 latency ms, 1080p30 x100", ("media", "p99_ms"), ".3f", "lower"),
    ("jitter ms, 1080p30 x100", ("media", "jitter_ms"), ".3f", None),
    ("max relayed pps (bench max, best)", ("max", "pps"), ".0f", "higher"),
    ("relay CPU s / Mpkt at max", ("max", "cpu_s_per_mpkt"), ".2f", "lower"),
    ("loss % at max", ("max", "loss_pct"), ".3f", None),
    ("p99 latency ms at max", ("max", "p99_ms"), ".3f", None),
    ("bench client CPU % at max", ("max", "client_cpu_pct"), ".0f", None),
    ("bench threads at max (best run)", ("max", "bench_threads"), "d", None),
    ("load average at max", ("max", "load_average"), ".2f", None),
    ("RSS KiB / allocation (10k)", ("rss", "per_allocation_kb"), ".2f", "lower"),
    ("allocations held", ("rss", "allocations"), "d", None),
    ("allocations / s", ("rss", "allocations_per_second"), ".0f", "higher"),
    ("  server CPU us / alloc", ("rss", "cpu_us_per_allocation"), ".1f", "lower"),
    ("  server run-queue wait us / alloc", ("rss", "runqueue_us_per_allocation"), ".1f", "lower"),
    ("  server thread runs / allocation", ("rss", "runs_per_allocation"), ".2f", "lower"),
    ("  load average then", ("rss", "load_average"), ".2f", None),
    ("uclient: relay CPU s / Mpkt", ("uclient", "cpu_s_per_mpkt"), ".2f", "lower"),
    ("uclient: packets received", ("uclient", "received"), "d", None),
    ("uclient: loss %", ("uclient", "loss_pct"), ".3f", None),
    ("uclient -s: relay CPU s / Mpkt", ("uclient_s", "cpu_s_per_mpkt"), ".2f", "lower"),
    ("uclient -s: packets received", ("uclient_s", "received"), "d", None),
    ("uclient -s: loss %", ("uclient_s", "loss_pct"), ".3f", None),
    ("uclient -t (TCP): relay CPU s / Mpkt", ("uclient_tcp", "cpu_s_per_mpkt"), ".2f", "lower"),
    ("uclient -t (TCP): packets received", ("uclient_tcp", "received"), "d", None),
    ("uclient -t (TCP): loss %", ("uclient_tcp", "loss_pct"), ".3f", None),
    ("uclient -t (TCP): wall s", ("uclient_tcp", "wall_seconds"), ".2f", "lower"),
    ("uclient -t (TCP): avg RTT ms", ("uclient_tcp", "rtt_avg_ms"), ".2f", "lower"),
    ("uclient -S (TLS, -m 2 paced): received", ("uclient_tls", "received"), "d", None),
    ("uclient -S (TLS, -m 2 paced): loss %", ("uclient_tls", "loss_pct"), ".3f", None),
    ("uclient -S (TLS, -m 2 paced): wall s", ("uclient_tls", "wall_seconds"), ".2f", None),
    ("TCP media: relay CPU s / Mpkt", ("media_tcp", "cpu_s_per_mpkt"), ".2f", "lower"),
    ("TCP media: relayed pps", ("media_tcp", "pps"), ".0f", None),
    ("TCP media: loss %", ("media_tcp", "loss_pct"), ".3f", None),
    ("TCP media: p99 latency ms", ("media_tcp", "p99_ms"), ".3f", "lower"),
    ("TCP media: bench client CPU %", ("media_tcp", "client_cpu_pct"), ".0f", None),
    ("TLS media: relay CPU s / Mpkt", ("media_tls", "cpu_s_per_mpkt"), ".2f", "lower"),
    ("TLS media: relayed pps", ("media_tls", "pps"), ".0f", None),
    ("TLS media: loss %", ("media_tls", "loss_pct"), ".3f", None),
    ("TLS media: p99 latency ms", ("media_tls", "p99_ms"), ".3f", "lower"),
    ("TLS media: bench client CPU %", ("media_tls", "client_cpu_pct"), ".0f", None),
]


def print_table(results, raw):
    names = list(results)
    w = 34
    print("%-*s" % (w, "") + "".join("%16s" % n for n in names)
          + ("%16s" % "ours/coturn" if len(names) == 2 else ""))
    for label, keys, spec, _ in ROWS:
        vals = [get(results[n], *keys) for n in names]
        line = "%-*s" % (w, label) + "".join("%16s" % fmt(v, spec) for v in vals)
        if len(names) == 2 and all(isinstance(v, (int, float)) and v
                                   for v in vals):
            line += "%16s" % format(vals[1] / vals[0], ".2f")
        print(line)
    if raw is not None and "pps" in raw:
        print("%-*s%16.0f pps, %.2f CPU s / Mpkt (forwarder), generator %.0f%% CPU"
              % (w, "raw loopback limit", raw["pps"],
                 raw["cpu_seconds_per_mpkt"], raw["generator_cpu_percent"]))
        for n in names:
            mx = get(results[n], "max", "pps")
            cpm = get(results[n], "max", "cpu_s_per_mpkt")
            if mx:
                print("%-*s%15.0f%% of raw pps, raw/relay CPU per packet %.2f"
                      % (w, "  " + n, 100 * mx / raw["pps"],
                         raw["cpu_seconds_per_mpkt"] / cpm if cpm else 0))
    for n in names:
        if results[n].get("max_runs"):
            print("%s max runs (pps): %s" % (n, ", ".join(
                "%.0f" % v for v in results[n]["max_runs"])))
    for n in names:
        if "error" in results[n]:
            print("%s: %s" % (n, results[n]["error"]))
        for ph in ("rss", "media", "max", "uclient", "uclient_s",
                   "uclient_tcp", "uclient_tls", "media_tcp", "media_tls"):
            e = get(results[n], ph, "error")
            if e:
                print("%s %s: %s" % (n, ph, e))


def main():
    ap = argparse.ArgumentParser(description="meetopiad and coturn side by side")
    ap.add_argument("--builddir", default=os.environ.get("MTEST_BUILDDIR") or ".",
                    help="build tree with meetopiad, meetopia-bench, tools/raw-loopback")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--rss-allocations", type=int, default=10000)
    ap.add_argument("--phase-seconds", type=int, default=10)
    ap.add_argument("--uclient-messages", type=int, default=5000)
    ap.add_argument("--max-seconds", type=int, default=5,
                    help="length of each max-rate run (default 5)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="max-rate runs per server, the best counts (default 3)")
    ap.add_argument("--relay-threads", type=int,
                    help="meetopiad's relay-threads (default: its own, 0: "
                    "one loop on 1 CPU, one worker on 2, else one per CPU)")
    ap.add_argument("--skip-meetopiad", action="store_true")
    ap.add_argument("--skip-coturn", action="store_true")
    ap.add_argument("--allow-sanitized", action="store_true",
                    help="run even if the binaries are built with sanitizers")
    opts = ap.parse_args()
    if not 1 <= opts.phase_seconds <= 50:
        die("--phase-seconds: 1 to 50")
    if not 1 <= opts.max_seconds <= 20 or not 1 <= opts.repeat <= 5:
        die("--max-seconds: 1 to 20, --repeat: 1 to 5")
    if not 2 <= opts.rss_allocations <= 15000 or opts.rss_allocations % 2:
        die("--rss-allocations: an even number, 2 to 15000")
    if opts.relay_threads is not None and not 0 <= opts.relay_threads <= 64:
        die("--relay-threads: 0 to 64")
    b = os.path.abspath(opts.builddir)
    for exe in ("meetopia-bench", "tools/raw-loopback") + (
            () if opts.skip_meetopiad else ("meetopiad",)):
        if not os.access(os.path.join(b, exe), os.X_OK):
            die("%s: not found in %s (--builddir)" % (exe, b))
        if is_sanitized(os.path.join(b, exe)) and not opts.allow_sanitized:
            die("%s: built with sanitizers; configure without "
                "--enable-sanitizers (or --allow-sanitized)" % exe)
    secret = secrets.token_hex(16)
    results = {}
    t0 = time.time()
    print("machine: %d cores, %s %s, load average %.2f" % (
        os.cpu_count(), platform.system(), platform.release(),
        os.getloadavg()[0]), flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="compare-coturn-") as tmp:
            order = ([] if opts.skip_coturn else ["coturn"]) + \
                    ([] if opts.skip_meetopiad else ["meetopiad"])
            for name in order:
                d = os.path.join(tmp, name)
                os.mkdir(d)
                srv = Coturn(name, d) if name == "coturn" else Meetopiad(name, d)
                print("%s: starting on 127.0.0.1:%d" % (name, srv.port), flush=True)
                try:
                    if name == "coturn":
                        srv.start(secret)
                    else:
                        srv.start(secret, b, opts.relay_threads)
                    results[name] = run_server(srv, b, secret, opts)
                finally:
                    srv.stop()
                print("%s: done (%s), %.0f s so far" % (
                    name, results.get(name, {}).get("server", "?"),
                    time.time() - t0), flush=True)
            print("raw loopback: measuring", flush=True)
            raw = raw_limit(b, opts.max_seconds, opts.repeat)
    finally:
        for p in procs:
            if p.poll() is None:
                stop(p, 5)
    print("load average at the end: %.2f (other work on the machine skews "
          "every figure)" % os.getloadavg()[0])
    print()
    print_table(results, raw)
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"results": results, "raw_loopback": raw,
                       "cores": os.cpu_count()}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
